"""SIPp runs for the edge tests: scenarios in ./scenarios, outcomes read from their log files.

SIPp does not substitute -key values or injection fields inside action attributes, so the
scenarios log what they saw ("final 200", "call tenant=..."), and the tests assert on that.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import signal
import subprocess
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

SCENARIOS = Path(__file__).resolve().parent / "scenarios"
_runs = itertools.count()


@dataclass(frozen=True)
class SippRun:
    returncode: int
    log: list[str]
    errors: str

    @property
    def final(self) -> int | None:
        """The status a scenario logged as "final NNN" (register.xml, call_uac.xml)."""
        for line in reversed(self.log):
            if line.startswith("final "):
                status = line.split()[1]
                return int(status) if status.isdigit() else None
        return None


def _argv(
    scenario: str,
    workdir: Path,
    name: str,
    *,
    local: tuple[str, int],
    remote: str | None,
    args: Sequence[str],
) -> list[str]:
    argv = ["sipp"]
    if remote:
        argv.append(remote)
    argv += [
        "-sf",
        str(SCENARIOS / scenario),
        "-i",
        local[0],
        "-p",
        str(local[1]),
        "-nostdin",
        "-nr",
        "-trace_logs",
        "-log_file",
        str(workdir / f"{name}.log"),
        "-trace_err",
        "-error_file",
        str(workdir / f"{name}.err"),
        *args,
    ]
    return argv


def _read(path: Path) -> str:
    return path.read_text(errors="replace") if path.exists() else ""


def run_sipp(
    scenario: str,
    workdir: Path,
    *,
    local: tuple[str, int],
    remote: str,
    args: Sequence[str] = (),
    timeout: float = 15.0,
) -> SippRun:
    """Run one call of `scenario` from `local` toward `remote` and wait for SIPp to exit."""
    name = f"{Path(scenario).stem}-{next(_runs)}"
    argv = _argv(scenario, workdir, name, local=local, remote=remote, args=["-m", "1", *args])
    proc = subprocess.run(argv, capture_output=True, timeout=timeout, check=False)
    return SippRun(
        proc.returncode,
        _read(workdir / f"{name}.log").splitlines(),
        _read(workdir / f"{name}.err") + proc.stderr.decode(errors="replace"),
    )


@dataclass
class SippServer:
    """A SIPp UAS running in the background; `log()` is what its scenario logged so far."""

    process: subprocess.Popen[bytes]
    log_path: Path
    err_path: Path

    def log(self) -> list[str]:
        return _read(self.log_path).splitlines()

    def errors(self) -> str:
        return _read(self.err_path)

    def wait_for(self, predicate_text: str, timeout: float = 5.0) -> list[str]:
        """Lines of the log containing `predicate_text`, waiting up to `timeout` for one."""
        deadline = time.monotonic() + timeout
        while True:
            lines = [line for line in self.log() if predicate_text in line]
            if lines or time.monotonic() > deadline:
                return lines
            time.sleep(0.05)

    def exited(self, timeout: float) -> int | None:
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            return None


@contextlib.contextmanager
def sipp_server(
    scenario: str,
    workdir: Path,
    *,
    local: tuple[str, int],
    args: Sequence[str] = (),
) -> Iterator[SippServer]:
    """Start a SIPp UAS on `local`; stopped by its PID on exit."""
    name = f"{Path(scenario).stem}-{next(_runs)}"
    argv = _argv(scenario, workdir, name, local=local, remote=None, args=args)
    proc = subprocess.Popen(
        argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL
    )
    server = SippServer(proc, workdir / f"{name}.log", workdir / f"{name}.err")
    time.sleep(0.2)  # SIPp binds its socket before reading anything
    if proc.poll() is not None and proc.returncode != 0:
        raise RuntimeError(f"sipp {scenario} exited {proc.returncode}: {server.errors()}")
    try:
        yield server
    finally:
        if proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(proc.pid, signal.SIGTERM)
            try:
                proc.wait(5)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(proc.pid, signal.SIGKILL)
                proc.wait()


def injection_file(workdir: Path, name: str, rows: Sequence[Sequence[str]]) -> Path:
    """A SIPp -inf file (SEQUENTIAL, fields separated by ';')."""
    path = workdir / f"{name}.csv"
    path.write_text("SEQUENTIAL\n" + "".join(";".join(row) + "\n" for row in rows))
    return path
