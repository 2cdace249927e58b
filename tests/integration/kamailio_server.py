"""Start and stop a real Kamailio edge (the config in edge/kamailio/) for tests, on 127.0.0.1.

Usage::

    with run_kamailio(run_dir, db_name=db_name_of(migrated_db)) as edge:
        edge.sip_address          # ("127.0.0.1", port): UDP and TCP
        edge.tls_port, edge.ws_port, edge.wss_port
        edge.callcontrol          # ("127.0.0.1:port", ...): bind your fake callcontrol there
        edge.rpc("ul.lookup", "location", "1001@acme.sip.fastline.local")   # JSON-RPC result
        edge.log_text()           # Kamailio's stderr, for failing tests to print

`db_name` defaults to the database of the app's settings (the test run's database).
Keep `run_dir` short (Unix socket paths live there). Every port is picked free at start unless
given. `callcontrol` defaults to one free UDP port on
127.0.0.1 (nothing listens there until the test binds it). Any other `KamailioConfig` field can
be overridden by keyword (`ban_failed_auths=3`, `pike_density=20`, ...). Kamailio runs in the
foreground with its own run dir (`-Y`) and pid file, and is stopped by its PID at the end.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from app.edge.kamailio import KamailioConfig, command, write_config
from app.settings import get_settings

# Fast probing and failover: tests should not wait seconds for a dead node to be noticed.
TEST_DEFAULTS: dict[str, Any] = {
    "probe_interval_seconds": 1,
    "probe_threshold": 1,
    "fr_timer_ms": 2000,
    "children": 2,
    "log_level": 2,
}


class KamailioError(RuntimeError):
    pass


@dataclass(frozen=True)
class KamailioServer:
    cfg: KamailioConfig
    process: subprocess.Popen[bytes] = field(repr=False, compare=False)

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def host(self) -> str:
        return self.cfg.listen_ip

    @property
    def sip_port(self) -> int:
        return self.cfg.sip_port

    @property
    def tls_port(self) -> int:
        return self.cfg.tls_port

    @property
    def ws_port(self) -> int:
        return self.cfg.ws_port

    @property
    def wss_port(self) -> int:
        return self.cfg.wss_port

    @property
    def sip_address(self) -> tuple[str, int]:
        return (self.cfg.listen_ip, self.cfg.sip_port)

    @property
    def callcontrol(self) -> tuple[str, ...]:
        return self.cfg.callcontrol

    @property
    def log_path(self) -> Path:
        return self.cfg.run_dir / "kamailio.log"

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def rpc(self, method: str, *params: Any, timeout: float = 3.0) -> Any:
        """Call a Kamailio RPC (JSON-RPC 2.0 over its Unix datagram socket); KamailioError on
        an RPC error (e.g. "AOR not found in location table")."""
        return rpc_call(self.cfg.rpc_socket, method, *params, timeout=timeout)

    def contacts(self, aor: str) -> list[str]:
        """Registered contact URIs of `aor` (user@domain); [] when none."""
        try:
            result = self.rpc("ul.lookup", "location", aor)
        except KamailioError:
            return []
        return [c["Contact"]["Address"] for c in result.get("Contacts", [])]


def rpc_call(sock_path: Path, method: str, *params: Any, timeout: float = 3.0) -> Any:
    request = {"jsonrpc": "2.0", "method": method, "params": list(params), "id": 1}
    with tempfile.TemporaryDirectory(prefix="kamrpc") as tmp:
        reply_path = os.path.join(tmp, "reply.sock")
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
            sock.bind(reply_path)
            sock.settimeout(timeout)
            sock.sendto(json.dumps(request).encode(), str(sock_path))
            reply = json.loads(sock.recv(1 << 20))
    if "error" in reply:
        raise KamailioError(f"{method}: {reply['error'].get('message')}")
    return reply.get("result")


def free_port(kind: int = socket.SOCK_DGRAM) -> int:
    """A port free for UDP and TCP both (Kamailio listens on both for SIP)."""
    for _ in range(100):
        with socket.socket(socket.AF_INET, kind) as sock:
            sock.bind(("127.0.0.1", 0))
            port = int(sock.getsockname()[1])
        if _free(port, socket.SOCK_DGRAM) and _free(port, socket.SOCK_STREAM):
            return port
    raise KamailioError("no free port")


def _free(port: int, kind: int) -> bool:
    with socket.socket(socket.AF_INET, kind) as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def options_ping(address: tuple[str, int], timeout: float = 0.3) -> int | None:
    """Send one OPTIONS over UDP; the status code of the answer, or None."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.settimeout(timeout)
        port = sock.getsockname()[1]
        branch = "z9hG4bK" + uuid.uuid4().hex
        message = (
            f"OPTIONS sip:{address[0]}:{address[1]} SIP/2.0\r\n"
            f"Via: SIP/2.0/UDP 127.0.0.1:{port};branch={branch};rport\r\n"
            f"From: <sip:probe@127.0.0.1>;tag={uuid.uuid4().hex[:8]}\r\n"
            f"To: <sip:{address[0]}:{address[1]}>\r\n"
            f"Call-ID: {uuid.uuid4().hex}\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\n"
            "Content-Length: 0\r\n\r\n"
        )
        try:
            sock.sendto(message.encode(), address)
            data = sock.recv(65535)
        except OSError:
            return None
    first = data.split(b"\r\n", 1)[0].split()
    return int(first[1]) if len(first) > 1 and first[1].isdigit() else None


def db_name_of(database_url: str) -> str:
    return urlsplit(database_url).path.lstrip("/")


def kamailio_config(
    run_dir: Path,
    *,
    db_name: str | None = None,
    callcontrol: Sequence[str] | None = None,
    **overrides: Any,
) -> KamailioConfig:
    """A test config: free ports on 127.0.0.1, the test database, fast probing."""
    db_name = db_name or db_name_of(get_settings().database_url)
    values: dict[str, Any] = {
        **TEST_DEFAULTS,
        "listen_ip": "127.0.0.1",
        "sip_port": free_port(),
        "tls_port": free_port(socket.SOCK_STREAM),
        "ws_port": free_port(socket.SOCK_STREAM),
        "wss_port": free_port(socket.SOCK_STREAM),
        "db_url": (f"postgres://fastline_kamailio:fastline_kamailio@127.0.0.1:5432/{db_name}"),
        "callcontrol": tuple(callcontrol) if callcontrol else (f"127.0.0.1:{free_port()}",),
        "run_dir": run_dir,
    }
    values.update(overrides)
    return KamailioConfig(**values)


def start_kamailio(cfg: KamailioConfig, ready_timeout: float = 10.0) -> KamailioServer:
    write_config(cfg)
    log = (cfg.run_dir / "kamailio.log").open("ab")
    proc = subprocess.Popen(
        command(cfg), stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
    )
    log.close()
    server = KamailioServer(cfg, proc)
    deadline = time.monotonic() + ready_timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise KamailioError(f"kamailio exited with {proc.returncode}:\n{server.log_text()}")
        if options_ping(server.sip_address) == 200:
            return server
        time.sleep(0.1)
    stop_kamailio(server)
    raise KamailioError(f"kamailio did not answer OPTIONS in time:\n{server.log_text()}")


def stop_kamailio(server: KamailioServer, timeout: float = 5.0) -> None:
    """SIGTERM to the main process (it stops its children), SIGKILL if it lingers."""
    proc = server.process
    if proc.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.kill(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.kill(proc.pid, signal.SIGKILL)
        proc.wait()


@contextlib.contextmanager
def run_kamailio(
    run_dir: Path,
    *,
    db_name: str | None = None,
    callcontrol: Sequence[str] | None = None,
    **overrides: Any,
) -> Iterator[KamailioServer]:
    cfg = kamailio_config(run_dir, db_name=db_name, callcontrol=callcontrol, **overrides)
    server = start_kamailio(cfg)
    try:
        yield server
    finally:
        stop_kamailio(server)
