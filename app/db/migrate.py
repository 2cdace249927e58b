"""Alembic, driven from code (`fastline db upgrade`) with the owner's connection."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

from app.settings import get_settings

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def alembic_config(owner_url: str | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", owner_url or get_settings().database_owner_url)
    return cfg


def upgrade(owner_url: str | None = None, revision: str = "head") -> None:
    command.upgrade(alembic_config(owner_url), revision)


def downgrade(owner_url: str | None = None, revision: str = "base") -> None:
    command.downgrade(alembic_config(owner_url), revision)
