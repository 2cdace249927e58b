"""IVR-3: walk a flow without media. Typed digits stand in for the caller's keys ("" = the
caller said nothing until the timeout), canned or real HTTP answers for lookups, and the
tenant's own calendars, caller lists, information entries and published sub-flows for the rest.

The simulator is a driver of the same interpreter callcontrol runs, so what it shows is what a
caller would hear.
"""

from __future__ import annotations

import asyncio
import ipaddress
import os
import socket
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol
from urllib.parse import urlsplit
from uuid import UUID

import httpx
import msgspec

from app.ivr_builder import interpreter as ip
from app.ivr_builder.flow import FlowDocument
from app.tenants.calendar import CalendarSpec

# Loopback and private targets are refused unless this is set (tests, on-premise installs):
# the simulator must not become a way to probe the platform's own network.
ALLOW_PRIVATE_ENV = "FASTLINE_IVR_HTTP_ALLOW_PRIVATE"
MAX_BODY = 256 * 1024


class Resources(Protocol):
    """The tenant's data the interpreter asks for, read at run time (so edits apply live)."""

    async def calendar(self, calendar_id: UUID) -> CalendarSpec | None: ...

    async def caller_lists(self, number: str) -> frozenset[str]: ...

    async def info(self, table: str, key: str) -> str | None: ...

    async def published_flow(self, flow_id: UUID) -> FlowDocument | None: ...


@dataclass(frozen=True, slots=True)
class CannedHttp:
    status: int = 200
    body: Any = None
    timeout: bool = False


@dataclass(slots=True)
class Heard:
    node_id: str
    kind: str  # play | say
    prompt: str = ""
    text: str = ""
    voice: str = ""


@dataclass(slots=True)
class SimulationResult:
    path: list[ip.Step]
    heard: list[Heard]
    variables: dict[str, str]
    final: ip.Action | None
    ended: str  # left_ivr | needs_input
    http_calls: list[str] = field(default_factory=list)


@dataclass(slots=True)
class Simulation:
    document: FlowDocument
    resources: Resources
    caller_number: str
    at: datetime
    digits: list[str]
    http_responses: dict[str, CannedHttp] = field(default_factory=dict)
    max_steps: int = ip.MAX_STEPS

    async def run(self) -> SimulationResult:
        interp = ip.Interpreter(
            self.document, caller_number=self.caller_number, max_steps=self.max_steps
        )
        keys = deque(self.digits)
        heard: list[Heard] = []
        http_calls: list[str] = []
        action = interp.start()
        while not isinstance(action, ip.LEAVES_IVR):
            if isinstance(action, ip.CollectDigits) and not keys:
                _record_prompt(action, heard)
                return SimulationResult(
                    interp.path, heard, interp.variables, action, "needs_input", http_calls
                )
            event = await self._answer(action, keys, heard, http_calls)
            action = interp.send(event)
        if isinstance(action, ip.Voicemail):
            _record_prompt(action, heard)
        return SimulationResult(
            interp.path, heard, interp.variables, action, "left_ivr", http_calls
        )

    async def _answer(
        self, action: ip.Action, keys: deque[str], heard: list[Heard], http_calls: list[str]
    ) -> ip.Event:
        match action:
            case ip.Play() | ip.Say():
                _record_prompt(action, heard)
                return ip.PlaybackDone()
            case ip.CollectDigits():
                _record_prompt(action, heard)
                pressed = keys.popleft()
                return ip.Digits(pressed) if pressed else ip.Timeout()
            case ip.CheckCalendar(calendar_id=calendar_id):
                spec = await self.resources.calendar(calendar_id)
                return ip.CalendarChecked(spec.is_open(self.at) if spec else None)
            case ip.CheckCallerLists(number=number):
                return ip.CallerLists(await self.resources.caller_lists(number))
            case ip.LookupInfo(table=table, key=key):
                return ip.InfoFound(await self.resources.info(table, key))
            case ip.LoadFlow(flow_id=flow_id):
                return ip.FlowLoaded(await self.resources.published_flow(flow_id))
            case ip.HttpRequest():
                http_calls.append(f"{action.method} {action.url}")
                return await self._http(action)
        raise ip.FlowRuntimeError(f"the simulator cannot answer {type(action).__name__}")

    async def _http(self, request: ip.HttpRequest) -> ip.Event:
        canned = self.http_responses.get(request.node_id) or self.http_responses.get(request.url)
        if canned is not None:
            if canned.timeout:
                return ip.Timeout()
            return ip.HttpResult(canned.status, canned.body)
        return await fetch(request)


def _record_prompt(action: ip.Action, heard: list[Heard]) -> None:
    match action:
        case ip.Play(prompt=prompt):
            heard.append(Heard(action.node_id, "play", prompt=prompt))
        case ip.Say(text=text, voice=voice):
            heard.append(Heard(action.node_id, "say", text=text, voice=voice))
        case ip.CollectDigits() | ip.Voicemail():
            if action.prompt:
                heard.append(Heard(action.node_id, "play", prompt=action.prompt))
            if action.text:
                heard.append(Heard(action.node_id, "say", text=action.text, voice=action.voice))


# --- real HTTP ------------------------------------------------------------------------------


class BlockedTarget(Exception):
    pass


async def _check_target(url: str, seconds: float) -> None:
    if os.environ.get(ALLOW_PRIVATE_ENV) == "1":
        return
    host = urlsplit(url).hostname or ""
    loop = asyncio.get_running_loop()
    try:
        async with asyncio.timeout(seconds):
            infos = await loop.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except (OSError, TimeoutError, UnicodeError) as exc:
        raise BlockedTarget(f"cannot resolve {host!r}") from exc
    for info in infos:
        address = ipaddress.ip_address(info[4][0])
        if not address.is_global:
            raise BlockedTarget(f"{host} is not a public address")


async def fetch(request: ip.HttpRequest) -> ip.Event:
    """Call the URL once with the node's timeout; a non-JSON answer counts as an error."""
    try:
        await _check_target(request.url, request.timeout_seconds)
    except BlockedTarget:
        return ip.HttpResult(0, None)
    # The address is checked, then httpx resolves again: a DNS answer that changes in between
    # (rebinding) is not caught here; live calls should go through an egress proxy.
    timeout = httpx.Timeout(request.timeout_seconds)
    try:
        async with httpx.AsyncClient(timeout=timeout, follow_redirects=False) as client:
            if request.method == "POST":
                response = await client.post(request.url, json=request.variables)
            else:
                response = await client.get(request.url, params=request.variables)
    except httpx.TimeoutException:
        return ip.Timeout()
    except (httpx.HTTPError, ValueError):
        return ip.HttpResult(0, None)  # refused, reset, or a URL httpx cannot use
    try:
        body = msgspec.json.decode(response.content[:MAX_BODY])
    except msgspec.DecodeError:
        return ip.HttpResult(0 if response.is_success else response.status_code, None)
    return ip.HttpResult(response.status_code, body)
