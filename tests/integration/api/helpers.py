"""Shared by the API-1 / API-2 tests: API clients, tokens and a loopback webhook receiver."""

from __future__ import annotations

import asyncio
import base64
from dataclasses import dataclass, field
from typing import Any

import httpx

from tests.fixtures.app import TenantCtx


async def create_client(
    client: httpx.AsyncClient, tenant: TenantCtx, scopes: list[str], **extra: Any
) -> dict[str, Any]:
    r = await client.post(
        "/api/v1/api-clients/",
        headers=tenant.headers,
        json={"name": f"partner {len(scopes)}", "scopes": scopes, **extra},
    )
    assert r.status_code == 201, r.text
    return dict(r.json())


async def request_token(
    client: httpx.AsyncClient, client_id: str, secret: str, **form: str
) -> httpx.Response:
    basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    return await client.post(
        "/oauth/token",
        headers={"Authorization": f"Basic {basic}"},
        data={"grant_type": "client_credentials", **form},
    )


async def bearer(client: httpx.AsyncClient, created: dict[str, Any], **form: str) -> dict[str, str]:
    r = await request_token(client, created["clientId"], created["clientSecret"], **form)
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """A tiny HTTP/1.1 server on 127.0.0.1: records every POST and answers the next status
    from `statuses` (then 200)."""

    statuses: list[int] = field(default_factory=list)
    delay: float = 0.0  # seconds before answering (a slow receiver, for timeouts)
    received: list[Received] = field(default_factory=list)
    server: asyncio.Server | None = None
    arrived: asyncio.Event = field(default_factory=asyncio.Event)
    handlers: set[asyncio.Task[None]] = field(default_factory=set)

    async def wait_for(self, count: int, within: float) -> bool:
        """Until `count` requests have arrived (True), or the timeout (False)."""
        try:
            async with asyncio.timeout(within):
                while len(self.received) < count:
                    self.arrived.clear()
                    await self.arrived.wait()
        except TimeoutError:
            return False
        return True

    @property
    def url(self) -> str:
        assert self.server is not None
        port = self.server.sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}/hook"

    async def __aenter__(self) -> Receiver:
        self.server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self.server is not None
        self.server.close()
        for task in self.handlers:  # a slow answer still pending: end it with the test
            task.cancel()
        await asyncio.gather(*self.handlers, return_exceptions=True)
        await self.server.wait_closed()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self.handlers.add(task)
        try:
            request_line = (await reader.readline()).decode()
            headers: dict[str, str] = {}
            while (line := (await reader.readline()).decode().strip()) != "":
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
            body = await reader.readexactly(int(headers.get("content-length", "0")))
            self.received.append(Received(request_line.split()[1], headers, body))
            self.arrived.set()
            await asyncio.sleep(self.delay)
            status = self.statuses.pop(0) if self.statuses else 200
            writer.write(
                f"HTTP/1.1 {status} X\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".encode()
            )
            await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError):
            pass  # the client gave up (a timeout test)
        finally:
            self.handlers.discard(task)
            writer.close()
            try:
                await writer.wait_closed()
            except ConnectionError:
                pass
