"""Alembic environment: async engine as the table owner."""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from app.db import models  # noqa: F401  (registers every table)
from app.db.base import Base

target_metadata = Base.metadata


def _run(connection: Connection) -> None:
    context.configure(connection=connection, target_metadata=target_metadata)
    with context.begin_transaction():
        context.run_migrations()


async def _online() -> None:
    engine = create_async_engine(context.config.get_main_option("sqlalchemy.url") or "")
    async with engine.connect() as conn:
        await conn.run_sync(_run)
    await engine.dispose()


def _run_async() -> None:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        asyncio.run(_online())
        return
    # Called from inside a running loop (tests): run in a fresh thread's loop.
    import threading

    error: list[BaseException] = []

    def target() -> None:
        try:
            asyncio.run(_online())
        except BaseException as exc:  # re-raised below in the caller's thread
            error.append(exc)

    thread = threading.Thread(target=target)
    thread.start()
    thread.join()
    if error:
        raise error[0]


_run_async()
