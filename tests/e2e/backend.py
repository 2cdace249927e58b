"""A real back end for the browser tests: a fresh database, `fastline serve` and a worker.

Playwright starts `backend.py run` as its web server (frontend/playwright.config.ts):

1. creates the database `fastline_e2e_<pid>` with app.db.bootstrap and migrates it with Alembic,
   exactly as tests/fixtures/app.py does for the pytest suite;
2. starts `python -m app.cli serve` on FASTLINE_E2E_PORT (serving frontend/dist) and
   `python -m app.cli worker` (audit CSV exports), with their own Dramatiq namespace;
3. starts the telephony a browser seat needs, on free ports: a real Kamailio edge (edge/kamailio,
   via tests/integration/kamailio_server.py) against the same database, rtpengine
   (tests/integration/rtpengine_server.py) and `python -m app.cli callcontrol` behind the
   edge, offering WebRTC media to browser seats (FASTLINE_E2E_CALLCONTROL=0 skips these two);
   the ports are written to test-artifacts/e2e-logs/edge.json for the tests
   (FASTLINE_E2E_KAMAILIO=0 skips all three);
4. on SIGTERM or SIGINT stops them all by PID and drops the database.

A run that was killed outright leaves its database behind; the next run drops databases of
e2e runs whose process is gone.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

import asyncpg

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from app.db.bootstrap import DbTarget, bootstrap, drop_database  # noqa: E402
from app.db.migrate import upgrade  # noqa: E402
from tests.integration.kamailio_server import (  # noqa: E402
    KamailioServer,
    free_port,
    kamailio_config,
    start_kamailio,
    stop_kamailio,
)
from tests.integration.rtpengine_server import (  # noqa: E402
    RtpengineServer,
    start_rtpengine,
    stop_rtpengine,
)

PREFIX = "fastline_e2e_"
SUPERUSER_URL = os.environ.get(
    "FASTLINE_DATABASE_SUPERUSER_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
LOGS = ROOT / "test-artifacts" / "e2e-logs"


def environment(port: int, run_id: str) -> dict[str, str]:
    db = f"{PREFIX}{run_id}"
    return os.environ | {
        "FASTLINE_DATABASE_URL": f"postgresql+asyncpg://fastline_app:fastline_app@127.0.0.1:5432/{db}",
        "FASTLINE_DATABASE_OWNER_URL": (
            f"postgresql+asyncpg://fastline_owner:fastline_owner@127.0.0.1:5432/{db}"
        ),
        "FASTLINE_DATABASE_SUPERUSER_URL": SUPERUSER_URL,
        "FASTLINE_REDIS_URL": os.environ.get("FASTLINE_E2E_REDIS_URL", "redis://127.0.0.1:6379/14"),
        "FASTLINE_QUEUE_NAMESPACE": f"fastline-e2e-{run_id}",
        "FASTLINE_STORAGE_DIR": str(ROOT / "var" / f"e2e-storage-{run_id}"),
        "FASTLINE_HOST": "127.0.0.1",
        "FASTLINE_PORT": str(port),
        "FASTLINE_LOG_JSON": "1",
        "FASTLINE_LOCKOUT_THRESHOLD": "3",
        # rtpengine's directory (start_telephony): callcontrol records calls there and the
        # worker turns each capture into the call's WAV (REC-1).
        "FASTLINE_RTPENGINE_DIR": str(telephony_dir(run_id) / "rtp"),
    }


def telephony_dir(run_id: str) -> Path:
    """Short: Kamailio's Unix socket paths live there."""
    return Path(f"/tmp/fl-e2e-{run_id}")


async def drop_stale_databases() -> None:
    """Drop e2e databases whose run (named by PID) no longer exists."""
    conn = await asyncpg.connect(SUPERUSER_URL)
    try:
        names = [
            r["datname"]
            for r in await conn.fetch(
                "SELECT datname FROM pg_database WHERE datname LIKE $1", PREFIX + "%"
            )
        ]
    finally:
        await conn.close()
    for name in names:
        if not _run_alive(name.removeprefix(PREFIX)):
            await drop_database(SUPERUSER_URL, name)


def _run_alive(pid: str) -> bool:
    return not pid.isdigit() or Path(f"/proc/{pid}").exists()


def create_database(env: dict[str, str]) -> DbTarget:
    target = DbTarget.from_urls(env["FASTLINE_DATABASE_OWNER_URL"], env["FASTLINE_DATABASE_URL"])
    asyncio.run(drop_stale_databases())
    asyncio.run(bootstrap(SUPERUSER_URL, target, recreate=True))
    upgrade(env["FASTLINE_DATABASE_OWNER_URL"])
    return target


def start(name: str, args: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    LOGS.mkdir(parents=True, exist_ok=True)
    log = (LOGS / f"{name}.log").open("wb")
    # Own session: a Ctrl-C in the terminal reaches this script, which stops the children.
    return subprocess.Popen(
        [sys.executable, "-m", "app.cli", *args],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def wait_ready(url: str, server: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(f"{url}/ready", timeout=1) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        if server.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"fastline serve did not become ready; see {LOGS / 'serve.log'}")
        time.sleep(0.2)


def stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


EDGE_INFO = LOGS / "edge.json"


@dataclass
class Telephony:
    edge: KamailioServer
    rtpengine: RtpengineServer | None = None
    callcontrol: subprocess.Popen[bytes] | None = None

    def stop(self) -> None:
        if self.callcontrol is not None:
            stop(self.callcontrol)
        stop_kamailio(self.edge)
        if self.rtpengine is not None:
            stop_rtpengine(self.rtpengine)
        with contextlib.suppress(OSError):
            shutil.rmtree(self.edge.cfg.run_dir)


def start_telephony(env: dict[str, str], database: str, run_id: str) -> Telephony | None:
    """Kamailio, rtpengine and callcontrol for browser seats; None when turned off.
    Short run dir: Kamailio's Unix socket paths live there."""
    EDGE_INFO.unlink(missing_ok=True)
    if os.environ.get("FASTLINE_E2E_KAMAILIO", "1") == "0" or not shutil.which("kamailio"):
        return None
    run_dir = telephony_dir(run_id)
    run_dir.mkdir(parents=True, exist_ok=True)
    cc_port = free_port()
    edge = start_kamailio(
        kamailio_config(run_dir, db_name=database, callcontrol=[f"127.0.0.1:{cc_port}"])
    )
    telephony = Telephony(edge)
    info: dict[str, object] = {
        "wsUrl": f"ws://127.0.0.1:{edge.ws_port}",
        "sipPort": edge.sip_port,
        "ctlSocket": str(edge.cfg.ctl_socket),
    }
    if os.environ.get("FASTLINE_E2E_CALLCONTROL", "1") == "1":
        try:
            telephony.rtpengine = rtp = start_rtpengine(run_dir / "rtp")
        except RuntimeError:
            telephony.stop()
            raise
        telephony.callcontrol = start(
            "callcontrol",
            ["callcontrol"],
            env
            | {
                "FASTLINE_CALLCONTROL_SIP_HOST": "127.0.0.1",
                "FASTLINE_CALLCONTROL_SIP_PORT": str(cc_port),
                "FASTLINE_CALLCONTROL_OUTBOUND_PROXY": f"127.0.0.1:{edge.sip_port}",
                "FASTLINE_CALLCONTROL_TRUSTED_PROXIES": "127.0.0.1",
                "FASTLINE_RTPENGINE_NG": f"127.0.0.1:{rtp.ng_port}",
                "FASTLINE_RTPENGINE_DTMF": f"127.0.0.1:{rtp.dtmf_port}",
                "FASTLINE_RTPENGINE_DIR": str(rtp.workdir),
                "FASTLINE_CALLCONTROL_DIGIT_TIMEOUT": "1",
                "FASTLINE_CALLCONTROL_RECORD": "1",
                "FASTLINE_CALLCONTROL_WEBRTC_SEATS": "1",
            },
        )
        info["callcontrolPort"] = cc_port
    EDGE_INFO.write_text(json.dumps(info))
    return telephony


def write_seed_env(port: int, env: dict[str, str]) -> None:
    """Where a test's seed script (tests/e2e/seed_calls.py) finds this run's database and
    storage: per port, so that runs side by side do not read each other's."""
    LOGS.mkdir(parents=True, exist_ok=True)
    wanted = {k: v for k, v in env.items() if k.startswith("FASTLINE_") and k != "FASTLINE_PORT"}
    (LOGS / f"backend-env-{port}.json").write_text(json.dumps(wanted))


def run() -> None:
    port = int(os.environ["FASTLINE_E2E_PORT"])
    run_id = str(os.getpid())
    env = environment(port, run_id)
    target = create_database(env)
    write_seed_env(port, env)
    children: list[subprocess.Popen[bytes]] = []
    telephony: Telephony | None = None
    stopping = False

    def shutdown(signum: int, frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, shutdown)
    signal.signal(signal.SIGINT, shutdown)
    try:
        server = start("serve", ["serve"], env)
        children.append(server)
        children.append(start("worker", ["worker", "--threads", "1"], env))
        wait_ready(f"http://127.0.0.1:{port}", server)
        telephony = start_telephony(env, target.database, run_id)
        print(f"e2e back end ready on http://127.0.0.1:{port} (database {target.database})")
        sys.stdout.flush()
        while not stopping and all(c.poll() is None for c in children):
            time.sleep(0.2)
    finally:
        if telephony is not None:
            telephony.stop()
        for child in reversed(children):
            stop(child)
        asyncio.run(drop_database(SUPERUSER_URL, target.database))
        shutil.rmtree(env["FASTLINE_STORAGE_DIR"], ignore_errors=True)
        print(f"e2e back end stopped; database {target.database} dropped")


if __name__ == "__main__":
    run()
