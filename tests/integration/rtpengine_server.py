"""Start and stop a real rtpengine 10.5 (userspace) for tests, on 127.0.0.1 only.

Usage::

    with run_rtpengine(tmp_path) as rtp:
        client = NgClient(rtp.ng_address)
        ...  # rtp.dtmf_port, rtp.recording_dir, rtp.log_text()

Every port is picked free at start; the daemon is stopped by the PID it wrote, and its stderr log
is kept in ``workdir/rtpengine.log`` for failing tests to print.
"""

from __future__ import annotations

import contextlib
import os
import random
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from app.callcontrol.media import bencode

RTPENGINE_BIN = "rtpengine"
PORT_SPAN = 200


@dataclass(frozen=True)
class RtpengineServer:
    ng_port: int
    dtmf_port: int
    port_min: int
    port_max: int
    workdir: Path
    recording_dir: Path
    process: subprocess.Popen[bytes] = field(repr=False, compare=False)

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def ng_address(self) -> tuple[str, int]:
        return ("127.0.0.1", self.ng_port)

    @property
    def log_path(self) -> Path:
        return self.workdir / "rtpengine.log"

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _free_port_range(span: int = PORT_SPAN) -> tuple[int, int]:
    """A range of UDP ports that were all free a moment ago (rtpengine needs a span for RTP)."""
    for _ in range(50):
        # 10000-19999: below Linux's ephemeral range (32768-60999), where every `bind(0)` of
        # this and other test runs lands, and below SIPp's media ports (20000-31999, see
        # tests/integration/calls/edge_calls.py); rtpengine's sockets share ports otherwise.
        base = random.randrange(10000, 20000 - span, 2)
        if all(_udp_port_free(port) for port in range(base, base + span, 7)):
            return base, base + span - 1
    raise RuntimeError("no free UDP port range for rtpengine")


def _udp_port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _ping(ng_port: int, timeout: float = 0.2) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(timeout)
        try:
            sock.sendto(b"probe " + bencode.encode({"command": "ping"}), ("127.0.0.1", ng_port))
            data = sock.recv(65535)
        except OSError:
            return False
    cookie, _, body = data.partition(b" ")
    return cookie == b"probe" and bencode.decode(body) == {b"result": b"pong"}


def rtpengine_command(server_dir: Path, ng_port: int, dtmf_port: int, ports: tuple[int, int],
                      extra: tuple[str, ...] = ()) -> list[str]:
    recording_dir = server_dir / "recordings"
    return [
        RTPENGINE_BIN,
        # Debian's default config sets table=0 and proc recording, neither works here.
        "--config-file=none",
        "--table=-1",
        "--interface=127.0.0.1",
        f"--listen-ng=127.0.0.1:{ng_port}",
        f"--port-min={ports[0]}",
        f"--port-max={ports[1]}",
        "--foreground",
        "--log-stderr",
        f"--pidfile={server_dir / 'rtpengine.pid'}",
        f"--recording-dir={recording_dir}",
        "--recording-method=pcap",
        f"--dtmf-log-dest=127.0.0.1:{dtmf_port}",
        "--delete-delay=0",
        *extra,
    ]


def start_rtpengine(workdir: Path, dtmf_port: int | None = None,
                    extra: tuple[str, ...] = (), ready_timeout: float = 10.0) -> RtpengineServer:
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "recordings").mkdir(exist_ok=True)
    ng_port = free_udp_port()
    dtmf = dtmf_port if dtmf_port is not None else free_udp_port()
    ports = _free_port_range()
    cmd = rtpengine_command(workdir, ng_port, dtmf, ports, extra)
    log = (workdir / "rtpengine.log").open("ab")
    # Run in its workdir: rtpengine 10.5 can crash on exit while freeing recorded calls (in
    # recording_finish), and its core file then lands there, not in the caller's directory.
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                            cwd=workdir)  # fmt: skip
    log.close()
    deadline = time.monotonic() + ready_timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"rtpengine exited with {proc.returncode}: "
                               f"{(workdir / 'rtpengine.log').read_text(errors='replace')}")
        if _ping(ng_port):
            return RtpengineServer(ng_port, dtmf, ports[0], ports[1], workdir,
                                   workdir / "recordings", proc)
        time.sleep(0.05)
    _stop_process(proc)
    raise RuntimeError("rtpengine did not answer ping in time")


def stop_rtpengine(server: RtpengineServer, timeout: float = 5.0) -> None:
    """Stop the daemon by its PID (SIGTERM, then SIGKILL) and reap it."""
    _stop_process(server.process, timeout)


def _stop_process(proc: subprocess.Popen[bytes], timeout: float = 5.0) -> None:
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
def run_rtpengine(workdir: Path, dtmf_port: int | None = None,
                  extra: tuple[str, ...] = ()) -> Iterator[RtpengineServer]:
    server = start_rtpengine(workdir, dtmf_port, extra)
    try:
        yield server
    finally:
        stop_rtpengine(server)
