"""Call set-up through the Fastline edge and callcontrol, against a bare Kamailio relay (the
ceiling) and the Sippy B2BUA (the Python baseline), in one run.

    .venv/bin/python bench/sip_setup.py [--profile] [--rates 25,50,100,150,200,...]

(about 3-4 minutes; Postgres, Redis, kamailio, rtpengine and sipp on 127.0.0.1.)
Sippy comes with the project's `bench` extra, which `make install` installs (its path is
skipped, and the ratio against it not printed, when `b2bua_simple` is missing). The rates rise
by 50 calls/s from 100 to 400, so a highest clean rate is known to within 50 (a ratio between
two paths is not an artefact of coarse steps).

A SIPp caller places calls at rising rates (STEP_SECONDS per step, HOLD_MS of talk, then BYE)
to one SIPp callee, through three paths:
1. ours: seat 102 -> Kamailio (digest auth, dispatcher) -> callcontrol (tenant and seat look-up,
   rtpengine offer/answer, live state and events in Redis, CDR in Postgres at the end) ->
   Kamailio (location look-up) -> seat 101, the callee, registered with digest auth;
2. bare: a minimal stateful Kamailio (record_route + t_relay to the callee), rendered here;
3. sippy: Sippy's b2bua_simple relaying to the callee (no media anchoring, no database).
A step is clean when every call succeeds; a path stops at its first unclean rate. Set-up delay
is SIPp's response time from the INVITE that gets the 200 (after Kamailio's 407 on path 1) to
the 200 (`-trace_rtt`), p50/p95 over the step's calls.

Goal (issue 3 part 8): ours >= 2x Sippy's highest clean rate, >= 1/4 of the bare relay's, and
under 50 ms added at p95 over the bare relay at the same rate.
`--profile` runs callcontrol under cProfile and prints its hottest functions at the end.
On 2 shared cores, every process here competes with every other: run it on a quiet machine.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import csv
import os
import pstats
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

RUN = f"sipbench_{os.getpid()}"
DB = f"fastline_{RUN}"
os.environ["FASTLINE_DATABASE_URL"] = (
    f"postgresql+asyncpg://fastline_app:fastline_app@127.0.0.1:5432/{DB}"
)
os.environ["FASTLINE_DATABASE_OWNER_URL"] = (
    f"postgresql+asyncpg://fastline_owner:fastline_owner@127.0.0.1:5432/{DB}"
)
os.environ.setdefault("FASTLINE_REDIS_URL", "redis://127.0.0.1:6379/15")
os.environ.setdefault("FASTLINE_QUEUE_NAMESPACE", f"fastline-{RUN}")
os.environ.setdefault("FASTLINE_LOG_JSON", "1")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.db.bootstrap import DbTarget, bootstrap, drop_database  # noqa: E402
from app.db.migrate import upgrade  # noqa: E402
from app.edge.kamailio import KamailioConfig  # noqa: E402
from app.settings import get_settings  # noqa: E402
from tests.integration.edge.sipp import injection_file, run_sipp  # noqa: E402
from tests.integration.kamailio_server import (  # noqa: E402
    KamailioServer,
    free_port,
    options_ping,
    run_kamailio,
)

SCENARIOS = Path(__file__).resolve().parent / "scenarios"
RATES = (25, 50, 100, 150, 200, 250, 300, 350, 400, 500, 600, 800)
STEP_SECONDS = 4
HOLD_MS = 200
PASSWORD = "Bench-Seat-Pass-1"
CALLER_IP, CALLEE_IP = "127.0.0.61", "127.0.0.62"
GOAL_VS_SIPPY, GOAL_VS_BARE, GOAL_ADDED_P95_MS = 2.0, 0.25, 50.0


@dataclass
class Step:
    rate: int
    calls: int
    succeeded: int
    failed: int
    p50_ms: float
    p95_ms: float
    cpu_ms_per_call: float | None = None  # callcontrol's CPU (user + system), path 1 only

    @property
    def clean(self) -> bool:
        return self.failed == 0 and self.succeeded == self.calls

    def __str__(self) -> str:
        mark = "clean" if self.clean else f"{self.failed} FAILED"
        cpu = (
            f"  callcontrol {self.cpu_ms_per_call:.1f} ms CPU/call" if self.cpu_ms_per_call else ""
        )
        return (
            f"{self.rate:4d} cps: {self.succeeded:5d}/{self.calls:<5d} {mark:10s} "
            f"set-up p50 {self.p50_ms:6.1f} ms  p95 {self.p95_ms:6.1f} ms{cpu}"
        )


@dataclass
class PathResult:
    name: str
    steps: list[Step]

    @property
    def best(self) -> Step | None:
        clean = [s for s in self.steps if s.clean]
        return clean[-1] if clean else None

    def at(self, rate: int) -> Step | None:
        return next((s for s in self.steps if s.rate == rate and s.clean), None)

    def best_within(self, p95_ms: float) -> Step | None:
        """The highest clean rate whose set-up p95 stays under `p95_ms` (a side view: the goal
        itself counts lost calls only, and an overloaded B2BUA can queue calls for seconds
        without losing one)."""
        ok = [s for s in self.steps if s.clean and s.p95_ms < p95_ms]
        return ok[-1] if ok else None


# ---------------------------------------------------------------------- SIPp


def sipp_step(
    workdir: Path,
    name: str,
    rate: int,
    remote: tuple[str, int],
    *,
    scenario: str,
    domain: str,
    extra: tuple[str, ...] = (),
) -> Step:
    """One step: rate*STEP_SECONDS calls at `rate` per second from a fresh SIPp caller."""
    calls = rate * STEP_SECONDS
    stepdir = workdir / f"{name}-{rate}"
    stepdir.mkdir()
    argv = [
        "sipp", f"{remote[0]}:{remote[1]}",
        "-sf", str(SCENARIOS / scenario),
        "-i", CALLER_IP, "-p", str(free_port()),
        "-s", "101", "-key", "domain", domain, "-key", "caller", "102",
        "-r", str(rate), "-m", str(calls), "-l", str(rate * 4),
        "-d", str(HOLD_MS),
        "-recv_timeout", "5000", "-timeout", str(STEP_SECONDS * 4 + 20), "-timeout_error",
        # A retransmitted 1xx arriving during the hold is harmless (the INVITE was resent
        # before the first 1xx came back): not a failed call. Real failures still fail, by
        # -recv_timeout.
        "-default_behaviors", "all,-abortunexp",
        "-nostdin", "-trace_rtt", "-rtt_freq", "10",
        "-trace_stat", "-stf", str(stepdir / "stat.csv"), "-fd", "1",
        "-trace_err", "-error_file", str(stepdir / "err.log"),
        *extra,
    ]  # fmt: skip
    subprocess.run(argv, cwd=stepdir, capture_output=True, check=False)
    succeeded, failed = _final_counts(stepdir / "stat.csv")
    delays = _response_times(stepdir)
    return Step(
        rate, calls, succeeded, failed + max(0, calls - succeeded - failed), *_p50_p95(delays)
    )


def _final_counts(stat_file: Path) -> tuple[int, int]:
    if not stat_file.exists():
        return 0, 0
    with stat_file.open() as f:
        rows = list(csv.DictReader(f, delimiter=";"))
    if not rows:
        return 0, 0
    last = rows[-1]
    return int(last["SuccessfulCall(C)"]), int(last["FailedCall(C)"])


def _response_times(stepdir: Path) -> list[float]:
    delays: list[float] = []
    for path in stepdir.glob("*_rtt.csv"):
        with path.open() as f:
            for row in csv.reader(f, delimiter=";"):
                with contextlib.suppress(ValueError, IndexError):
                    delays.append(float(row[1]))
    return delays


def _p50_p95(values: list[float]) -> tuple[float, float]:
    if len(values) < 2:
        return (values[0], values[0]) if values else (float("nan"), float("nan"))
    cuts = statistics.quantiles(values, n=100)
    return cuts[49], cuts[94]


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process so far (/proc/<pid>/stat fields 14 and 15)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def climb(
    workdir: Path,
    name: str,
    remote: tuple[str, int],
    rates: tuple[int, ...],
    *,
    scenario: str,
    domain: str,
    extra: tuple[str, ...] = (),
    cpu_pid: int | None = None,
) -> PathResult:
    result = PathResult(name, [])
    for rate in rates:
        before = cpu_seconds(cpu_pid) if cpu_pid else 0.0
        step = sipp_step(workdir, name, rate, remote, scenario=scenario, domain=domain, extra=extra)
        if cpu_pid and step.calls:
            step.cpu_ms_per_call = (cpu_seconds(cpu_pid) - before) * 1000 / step.calls
        result.steps.append(step)
        print(f"  {name:6s} {step}", flush=True)
        if not step.clean:
            break
        time.sleep(1.0)  # let BYEs and transaction timers drain between steps
    return result


@contextlib.contextmanager
def background(
    argv: list[str], log: Path, env: dict[str, str] | None = None
) -> Iterator[subprocess.Popen[bytes]]:
    """A process for the bench's duration, stopped by its PID (SIGINT, then SIGKILL)."""
    with log.open("wb") as out:
        proc = subprocess.Popen(
            argv, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env
        )
    try:
        yield proc
    finally:
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGINT)
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                os.kill(proc.pid, signal.SIGKILL)
                proc.wait()


def callee(workdir: Path, port: int) -> contextlib.AbstractContextManager[subprocess.Popen[bytes]]:
    argv = [
        "sipp", "-sf", str(SCENARIOS / "uas.xml"), "-i", CALLEE_IP, "-p", str(port),
        "-nostdin", "-trace_err", "-error_file", str(workdir / "uas.err"),
    ]  # fmt: skip
    return background(argv, workdir / "uas.log")


# ---------------------------------------------------------------------- the stack


def rtpengine(
    workdir: Path, ng: int, dtmf: int
) -> contextlib.AbstractContextManager[subprocess.Popen[bytes]]:
    # A wide port range (every call holds 4 ports until its BYE), below the ephemeral range.
    argv = [
        "rtpengine", "--config-file=none", "--table=-1", "--interface=127.0.0.1",
        f"--listen-ng=127.0.0.1:{ng}", "--port-min=20000", "--port-max=29999",
        "--foreground", "--log-stderr", "--log-level=4", f"--pidfile={workdir / 'rtpengine.pid'}",
        f"--dtmf-log-dest=127.0.0.1:{dtmf}", "--delete-delay=0",
    ]  # fmt: skip
    return background(argv, workdir / "rtpengine.log")


def callcontrol(
    workdir: Path, port: int, edge_port: int, ng: int, dtmf: int, profile: Path | None
) -> contextlib.AbstractContextManager[subprocess.Popen[bytes]]:
    env = {
        **os.environ,
        "FASTLINE_CALLCONTROL_SIP_HOST": "127.0.0.1",
        "FASTLINE_CALLCONTROL_SIP_PORT": str(port),
        "FASTLINE_CALLCONTROL_OUTBOUND_PROXY": f"127.0.0.1:{edge_port}",
        "FASTLINE_CALLCONTROL_TRUSTED_PROXIES": "127.0.0.1",
        "FASTLINE_CALLCONTROL_RECORD": "0",
        "FASTLINE_CALLCONTROL_PROMPT_DIR": str(workdir / "prompts"),
        "FASTLINE_RTPENGINE_NG": f"127.0.0.1:{ng}",
        "FASTLINE_RTPENGINE_DTMF": f"127.0.0.1:{dtmf}",
    }
    python = [sys.executable]
    if profile is not None:
        python += ["-m", "cProfile", "-o", str(profile)]
    return background([*python, "-m", "app.cli", "callcontrol"], workdir / "callcontrol.log", env)


async def make_tenant() -> str:
    """A tenant with seats 101 (the callee) and 102 (the caller); its SIP domain."""
    from app.db.session import engines, tenant_session
    from app.seats.services import create_extension
    from app.tenants.services import signup

    tenant, _ = await signup(
        company_name="SIP bench Ltd",
        slug=f"sipbench-{os.getpid()}",
        admin_email="admin@sipbench.example",
        admin_name="Admin",
        password="Correct-Horse-42",
    )
    async with tenant_session(tenant.id) as session:
        for number in ("101", "102"):
            await create_extension(session, tenant.id, number, PASSWORD, seat_type="sip")
    for engine in engines.items_for_current_loop():
        await engine.dispose()
    assert tenant.sip_domain
    return tenant.sip_domain


def wait_until(check: object, what: str, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():  # type: ignore[operator]
            return
        time.sleep(0.2)
    raise RuntimeError(f"{what} not ready in {timeout} s")


def dispatcher_active(kamailio: KamailioServer) -> bool:
    result = kamailio.rpc("dispatcher.list")
    return all(
        dest["DEST"]["FLAGS"].startswith("A")
        for record in result["RECORDS"]
        for dest in record["SET"]["TARGETS"]
    )


def register_callee(kamailio: KamailioServer, workdir: Path, domain: str, port: int) -> None:
    auth = f"[authentication username=101 password={PASSWORD}]"
    inf = injection_file(workdir, "reg101", [("101", domain, auth)])
    host, edge_port = kamailio.sip_address
    run = run_sipp(
        "register.xml", workdir, local=(CALLEE_IP, port), remote=f"{host}:{edge_port}",
        args=("-inf", str(inf)),
    )  # fmt: skip
    if run.final != 200:
        raise RuntimeError(f"callee did not register: {run.log} {run.errors}")


def ours(workdir: Path, domain: str, rates: tuple[int, ...], profile: Path | None) -> PathResult:
    cc_port, edge_port, callee_port = free_port(), free_port(), free_port()
    ng, dtmf = free_port(), free_port()
    with (
        rtpengine(workdir, ng, dtmf),
        run_kamailio(
            workdir / "kam",
            db_name=DB,
            callcontrol=[f"127.0.0.1:{cc_port}"],
            sip_port=edge_port,
            tls_port=0,
            ws_port=0,
            wss_port=0,
            children=4,
            log_level=1,
            pike_density=1_000_000,  # the bench's one caller is not a flood
        ) as kamailio,
        callcontrol(workdir, cc_port, edge_port, ng, dtmf, profile) as cc,
    ):
        try:
            wait_until(lambda: options_ping(("127.0.0.1", cc_port)) == 200, "callcontrol")
        except RuntimeError:
            log = (workdir / "callcontrol.log").read_text(errors="replace")
            print(f"callcontrol's log ends:\n{log[-3000:]}", file=sys.stderr)
            raise
        wait_until(lambda: dispatcher_active(kamailio), "Kamailio's dispatcher")
        register_callee(kamailio, workdir, domain, callee_port)
        with callee(workdir, callee_port):
            time.sleep(0.3)
            return climb(
                workdir, "ours", kamailio.sip_address, rates, scenario="uac_auth.xml",
                domain=domain, extra=("-au", "102", "-ap", PASSWORD), cpu_pid=cc.pid,
            )  # fmt: skip


BARE_RELAY = """#!KAMAILIO
debug=1
log_stderror=yes
children=4
auto_aliases=no
listen=udp:127.0.0.1:{port}
loadmodule "tm.so"
loadmodule "sl.so"
loadmodule "rr.so"
loadmodule "pv.so"
loadmodule "maxfwd.so"
loadmodule "siputils.so"
loadmodule "textops.so"
modparam("rr", "enable_full_lr", 0)

# The ceiling: a stateful relay and nothing else (no auth, no database, no media).
request_route {{
	if (!mf_process_maxfwd_header("10")) {{
		sl_send_reply("483", "Too Many Hops");
		exit;
	}}
	if (has_totag()) {{
		if (loose_route()) {{
			t_relay();
		}} else if (is_method("ACK") && t_check_trans()) {{
			t_relay();
		}}
		exit;
	}}
	if (is_method("CANCEL")) {{
		if (t_check_trans()) {{
			t_relay();
		}}
		exit;
	}}
	t_check_trans();
	record_route();
	$du = "sip:{callee}";
	t_relay();
}}
"""


def bare(workdir: Path, domain: str, rates: tuple[int, ...]) -> PathResult:
    port, callee_port = free_port(), free_port()
    rundir = workdir / "bare"
    rundir.mkdir()
    cfg = rundir / "kamailio.cfg"
    cfg.write_text(BARE_RELAY.format(port=port, callee=f"{CALLEE_IP}:{callee_port}"))
    argv = [
        "kamailio", "-f", str(cfg), "-DD", "-E", "-m", str(KamailioConfig().shm_mb), "-M", "8",
        "-Y", str(rundir), "-P", str(rundir / "kamailio.pid"),
    ]  # fmt: skip
    with background(argv, rundir / "kamailio.log"), callee(workdir, callee_port):
        wait_until(lambda: (rundir / "kamailio.pid").exists(), "bare Kamailio")
        time.sleep(0.5)
        return climb(workdir, "bare", ("127.0.0.1", port), rates, scenario="uac.xml", domain=domain)


def sippy(workdir: Path, domain: str, rates: tuple[int, ...]) -> PathResult | None:
    script = shutil.which("b2bua_simple", path=str(Path(sys.executable).parent))
    if script is None:
        print("  sippy  skipped: install the `bench` extra (Sippy) to run the Sippy B2BUA path")
        return None
    port, callee_port = free_port(), free_port()
    argv = [
        script, "-f", "-l", "127.0.0.1", "-p", str(port),
        "-n", f"{CALLEE_IP}:{callee_port}", "-L", str(workdir / "sippy-sip.log"),
    ]  # fmt: skip
    with background(argv, workdir / "sippy.log"), callee(workdir, callee_port):
        time.sleep(1.0)
        return climb(
            workdir, "sippy", ("127.0.0.1", port), rates, scenario="uac.xml", domain=domain
        )


# ---------------------------------------------------------------------- report


def report(ours_r: PathResult, bare_r: PathResult, sippy_r: PathResult | None) -> None:
    print("\nhighest clean rate and its set-up delay:")
    for result in (ours_r, bare_r, sippy_r):
        if result is None:
            continue
        best = result.best
        text = str(best) if best else "none clean"
        print(f"  {result.name:6s} {text}")
    mine = ours_r.best.rate if ours_r.best else 0
    if bare_r.best:
        ratio = mine / bare_r.best.rate
        verdict = "meets" if ratio >= GOAL_VS_BARE else "MISSES"
        print(f"ours / bare relay: {ratio:.2f} ({verdict} the >= {GOAL_VS_BARE} goal)")
    if sippy_r is not None and sippy_r.best:
        ratio = mine / sippy_r.best.rate
        verdict = "meets" if ratio >= GOAL_VS_SIPPY else "MISSES"
        print(f"ours / sippy: {ratio:.2f} ({verdict} the >= {GOAL_VS_SIPPY} goal)")
    if ours_r.best and bare_r.at(ours_r.best.rate):
        ref = bare_r.at(ours_r.best.rate)
        assert ref is not None
        added = ours_r.best.p95_ms - ref.p95_ms
        verdict = "meets" if added < GOAL_ADDED_P95_MS else "MISSES"
        print(
            f"added p95 set-up over the bare relay at {ours_r.best.rate} cps: {added:.1f} ms "
            f"({verdict} the < {GOAL_ADDED_P95_MS:.0f} ms goal)"
        )
    # A side view, not the goal: the same climb, counting a rate only while calls still set up
    # promptly (p95 under GOAL_ADDED_P95_MS).
    prompt = {r.name: r.best_within(GOAL_ADDED_P95_MS) for r in (ours_r, bare_r, sippy_r) if r}
    shown = ", ".join(f"{name} {step.rate if step else 0}" for name, step in prompt.items())
    print(f"side view, highest clean rate with set-up p95 < {GOAL_ADDED_P95_MS:.0f} ms: {shown}")
    mine_prompt, sippy_prompt = prompt.get("ours"), prompt.get("sippy")
    if mine_prompt and sippy_prompt:
        print(f"  ours / sippy on that view: {mine_prompt.rate / sippy_prompt.rate:.2f}")
    print(
        "(clean = every call answered; at the top rates of a path, ties go to whoever "
        "was not sharing the 2 cores with more processes: ours runs Kamailio, callcontrol, "
        "rtpengine, Postgres and Redis)"
    )


def print_profile(path: Path) -> None:
    if not path.exists():
        print("no profile written (callcontrol did not exit cleanly)")
        return
    print("\ncallcontrol profile, by own time (top 25):")
    pstats.Stats(str(path)).sort_stats("tottime").print_stats(25)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", action="store_true", help="cProfile callcontrol")
    parser.add_argument("--rates", default=",".join(map(str, RATES)))
    parser.add_argument("--only", default="ours,bare,sippy")
    args = parser.parse_args()
    rates = tuple(int(r) for r in args.rates.split(","))
    only = set(args.only.split(","))
    for tool in ("sipp", "kamailio", "rtpengine"):
        if shutil.which(tool) is None:
            sys.exit(f"{tool} not found")
    s = get_settings()
    target = DbTarget.from_urls(s.database_owner_url, s.database_url)
    asyncio.run(bootstrap(s.database_superuser_url, target, recreate=True))
    started = time.monotonic()
    try:
        upgrade(s.database_owner_url)
        domain = asyncio.run(make_tenant())
        with tempfile.TemporaryDirectory(prefix="sipb") as tmp:
            workdir = Path(tmp)
            (workdir / "prompts").mkdir()
            profile = workdir / "callcontrol.prof" if args.profile else None
            print(f"steps of {STEP_SECONDS} s, {HOLD_MS} ms hold; rates {rates}")
            empty = PathResult("-", [])
            ours_r = ours(workdir, domain, rates, profile) if "ours" in only else empty
            bare_r = bare(workdir, domain, rates) if "bare" in only else empty
            sippy_r = sippy(workdir, domain, rates) if "sippy" in only else None
            report(ours_r, bare_r, sippy_r)
            if profile is not None:
                print_profile(profile)
            if os.environ.get("SIP_BENCH_KEEP"):
                shutil.copytree(workdir, os.environ["SIP_BENCH_KEEP"], dirs_exist_ok=True)
    finally:
        asyncio.run(drop_database(s.database_superuser_url, DB))
    print(f"bench took {time.monotonic() - started:.0f} s")


if __name__ == "__main__":
    main()
