"""Kamailio's JSON-RPC over its Unix datagram socket (jsonrpcs `dgram_socket`, transport 4).

Each call binds its own reply socket in a private temporary folder: Kamailio answers to the
sender's address, so a datagram client must have one.
"""

from __future__ import annotations

import json
import os
import socket
import tempfile
import time
from typing import Any

from app.lib.logging import log


class KamailioRpcError(RuntimeError):
    """Kamailio answered with a JSON-RPC error."""


class KamailioUnreachable(RuntimeError):
    """Nothing listens on the socket (that Kamailio is not running) or it did not answer."""


def rpc_call(sock_path: str, method: str, *params: Any, timeout: float = 3.0) -> Any:
    request = {"jsonrpc": "2.0", "method": method, "params": list(params), "id": 1}
    with tempfile.TemporaryDirectory(prefix="fl-rpc") as tmp:
        reply_path = os.path.join(tmp, "r.sock")
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
            sock.bind(reply_path)
            sock.settimeout(timeout)
            try:
                sock.sendto(json.dumps(request).encode(), sock_path)
                reply = json.loads(sock.recv(1 << 20))
            except (FileNotFoundError, ConnectionRefusedError) as exc:
                raise KamailioUnreachable(f"{sock_path}: {exc}") from exc
            except TimeoutError as exc:
                raise KamailioUnreachable(f"{sock_path}: no answer to {method}") from exc
    if "error" in reply:
        raise KamailioRpcError(f"{method}: {reply['error'].get('message')}")
    return reply.get("result")


def reload_addresses(sock_path: str, *, patience: float = 8.0) -> None:
    """`permissions.addressReload` on one Kamailio. The module refuses a reload within
    `reload_delta` (5 s) of the previous one ("ongoing reload"), and a refused reload would
    leave the change unseen: retry until it is accepted."""
    deadline = time.monotonic() + patience
    while True:
        try:
            rpc_call(sock_path, "permissions.addressReload")
            return
        except KamailioRpcError as exc:
            if "ongoing reload" not in str(exc) or time.monotonic() > deadline:
                raise
        time.sleep(0.5)


def reload_all(sockets: tuple[str, ...]) -> dict[str, str]:
    """Reload every configured edge; an edge that is not running loads the table when it
    starts, so it is skipped. Any other failure is raised after trying the rest."""
    outcome: dict[str, str] = {}
    failed: list[str] = []
    for path in sockets:
        try:
            reload_addresses(path)
            outcome[path] = "reloaded"
        except KamailioUnreachable as exc:
            outcome[path] = "not running"
            log.warning("kamailio not reachable for address reload", socket=path, error=str(exc))
        except KamailioRpcError as exc:
            outcome[path] = f"failed: {exc}"
            failed.append(path)
    if failed:
        raise KamailioRpcError(f"address reload failed on {', '.join(failed)}: {outcome}")
    return outcome
