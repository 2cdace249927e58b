"""Kamailio edge: render its config from templates and run it (EDGE-1, SEAT-10).

Kamailio is the only SIP face to the outside (see edge/kamailio/README.md for the contract with
callcontrol). Its configuration is generated here from `KamailioConfig` and the Jinja2
templates in `edge/kamailio/`, so the same code serves `make run`, production hosts and tests.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import jinja2

from app.settings import ROOT

TEMPLATES = ROOT / "edge" / "kamailio"
KAMAILIO_BIN = "kamailio"

# User-Agent fragments of SIP scanners and brute-forcers (SIPVicious, sipcli, VaxSIP, ...).
# They are dropped without an answer so a scan learns nothing.
SCANNER_USER_AGENTS = (
    "friendly-scanner",
    "friendly-request",
    "sipvicious",
    "sipcli",
    "sip-scan",
    "sipsak",
    "sundayddr",
    "iWar",
    "SIVuS",
    "Gulp",
    "sipv",
    "smap",
    "VaxSIPUserAgent",
    "VaxIPUserAgent",
    "pplsip",
    "PortSIP VoIP SDK",
)


# The `version` table Kamailio modules check is the `kamailio_version` view (migration 0002).
VERSION_TABLE = "kamailio_version"


def _env(name: str, default: str) -> str:
    return os.environ.get(f"FASTLINE_KAMAILIO_{name}", default)


def _addresses(value: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in value.split(",") if part.strip())


@dataclass(frozen=True, slots=True)
class KamailioConfig:
    """Everything the edge's config depends on. Ports set to 0 disable that listener."""

    listen_ip: str = "127.0.0.1"
    # Public address put in Via/Record-Route when Kamailio sits behind 1:1 NAT ("" = listen_ip).
    advertise_ip: str = ""
    sip_port: int = 5060  # UDP and TCP
    tls_port: int = 5061
    ws_port: int = 8080
    wss_port: int = 8443
    db_url: str = "postgres://fastline_kamailio:fastline_kamailio@127.0.0.1:5432/fastline"
    # callcontrol nodes, "host:port": dispatcher set 1, and the only sources trusted to send
    # calls toward seats and trunks.
    callcontrol: tuple[str, ...] = ("127.0.0.1:5070",)
    # Seats register as <ext>@<slug>.<sip_domain_suffix> (app.settings.sip_domain_suffix).
    sip_domain_suffix: str = "sip.fastline.local"
    # Dispatcher health probes (OPTIONS) toward callcontrol.
    probe_interval_seconds: int = 5
    probe_threshold: int = 2
    # pike: more than pike_density requests from one address within pike_window_seconds is a
    # flood; its requests are dropped until the rate falls.
    pike_window_seconds: int = 2
    pike_density: int = 60
    # Ban a source address for ban_seconds after ban_failed_auths failed digest checks with
    # no gap longer than ban_window_seconds.
    ban_failed_auths: int = 10
    ban_window_seconds: int = 300
    ban_seconds: int = 900
    # "reply": banned sources get 403 (a human who mistyped sees why); "drop": silence.
    ban_action: str = "reply"
    run_dir: Path = field(default_factory=lambda: ROOT / "var" / "kamailio")
    tls_cert: Path | None = None  # None: <run_dir>/tls/cert.pem, generated for development
    tls_key: Path | None = None
    # Transaction timers (RFC 3261 17.1.1.2 Timer B / 17.1.2.2 Timer F bound, in ms).
    fr_timer_ms: int = 5000
    fr_inv_timer_ms: int = 60000
    # A table or view (table_name, table_version) for Kamailio's schema checks; "" answers the
    # only check we need inline (see the template).
    version_table: str = VERSION_TABLE
    children: int = 4
    log_level: int = 1  # Kamailio "debug": -3 alert .. 1 notice, 2 info, 3 debug
    # Shared memory (MB) holds every transaction until its wait timer ends, usrloc, dispatcher
    # and htables: 64 ran out at 300 calls/s in bench/sip_setup.py ("could not allocate shared
    # memory" -> 500 to BYEs). Reserved address space, touched as used.
    shm_mb: int = 512
    pkg_mb: int = 8  # private memory per process

    @classmethod
    def from_env(cls) -> KamailioConfig:
        """Read FASTLINE_KAMAILIO_* variables; unset ones keep the defaults above."""
        base = cls()
        db_url = os.environ.get("FASTLINE_KAMAILIO_DB_URL") or _db_url_from_app_settings()
        return cls(
            listen_ip=_env("LISTEN_IP", base.listen_ip),
            advertise_ip=_env("ADVERTISE_IP", base.advertise_ip),
            sip_port=int(_env("SIP_PORT", str(base.sip_port))),
            tls_port=int(_env("TLS_PORT", str(base.tls_port))),
            ws_port=int(_env("WS_PORT", str(base.ws_port))),
            wss_port=int(_env("WSS_PORT", str(base.wss_port))),
            db_url=db_url,
            callcontrol=_addresses(_env("CALLCONTROL", ",".join(base.callcontrol))),
            sip_domain_suffix=os.environ.get("FASTLINE_SIP_DOMAIN_SUFFIX", base.sip_domain_suffix),
            probe_interval_seconds=int(_env("PROBE_INTERVAL", str(base.probe_interval_seconds))),
            probe_threshold=int(_env("PROBE_THRESHOLD", str(base.probe_threshold))),
            pike_window_seconds=int(_env("PIKE_WINDOW", str(base.pike_window_seconds))),
            pike_density=int(_env("PIKE_DENSITY", str(base.pike_density))),
            ban_failed_auths=int(_env("BAN_FAILED_AUTHS", str(base.ban_failed_auths))),
            ban_window_seconds=int(_env("BAN_WINDOW", str(base.ban_window_seconds))),
            ban_seconds=int(_env("BAN_SECONDS", str(base.ban_seconds))),
            ban_action=_env("BAN_ACTION", base.ban_action),
            run_dir=Path(_env("RUN_DIR", str(base.run_dir))),
            tls_cert=_optional_path(_env("TLS_CERT", "")),
            tls_key=_optional_path(_env("TLS_KEY", "")),
            children=int(_env("CHILDREN", str(base.children))),
            log_level=int(_env("LOG_LEVEL", str(base.log_level))),
            shm_mb=int(_env("SHM_MB", str(base.shm_mb))),
            pkg_mb=int(_env("PKG_MB", str(base.pkg_mb))),
        )

    @property
    def cert_path(self) -> Path:
        return self.tls_cert or self.run_dir / "tls" / "cert.pem"

    @property
    def key_path(self) -> Path:
        return self.tls_key or self.run_dir / "tls" / "key.pem"

    @property
    def config_path(self) -> Path:
        return self.run_dir / "kamailio.cfg"

    @property
    def dispatcher_list_path(self) -> Path:
        return self.run_dir / "dispatcher.list"

    @property
    def pid_path(self) -> Path:
        return self.run_dir / "kamailio.pid"

    @property
    def ctl_socket(self) -> Path:
        """binrpc socket: `kamcmd -s unix:<this> ul.dump`."""
        return self.run_dir / "kamailio_ctl"

    @property
    def rpc_socket(self) -> Path:
        """JSON-RPC over a Unix datagram socket (jsonrpcs `dgram_socket`)."""
        return self.run_dir / "kamailio_rpc.sock"

    @property
    def tls_enabled(self) -> bool:
        return self.tls_port > 0 or self.wss_port > 0


def _optional_path(value: str) -> Path | None:
    return Path(value) if value else None


def _db_url_from_app_settings() -> str:
    """Same database as the app, as the read-only fastline_kamailio role (db_postgres URL)."""
    from urllib.parse import urlsplit

    from app.settings import get_settings

    parts = urlsplit(get_settings().database_url)
    host = parts.hostname or "127.0.0.1"
    port = parts.port or 5432
    return f"postgres://fastline_kamailio:fastline_kamailio@{host}:{port}{parts.path}"


def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,  # noqa: S701 - renders a Kamailio config, not HTML
    )


def _validate(cfg: KamailioConfig) -> None:
    if not cfg.callcontrol:
        raise ValueError("at least one callcontrol address is needed")
    for address in cfg.callcontrol:
        host, sep, port = address.rpartition(":")
        if not sep or not host or not port.isdigit():
            raise ValueError(f"callcontrol address must be host:port, got {address!r}")
    if cfg.ban_action not in ("reply", "drop"):
        raise ValueError("ban_action is 'reply' or 'drop'")
    if not re.fullmatch(r"[A-Za-z0-9.-]+", cfg.sip_domain_suffix):
        raise ValueError(f"bad SIP domain suffix {cfg.sip_domain_suffix!r}")


def _literal_regex(text: str) -> str:
    """A POSIX ERE matching `text` literally, without backslashes (Kamailio's string lexer
    would want them doubled): dots become [.]; other characters must be plain."""
    if not re.fullmatch(r"[a-z0-9. -]+", text):
        raise ValueError(f"unexpected character in {text!r}")
    return text.replace(".", "[.]")


def render(cfg: KamailioConfig) -> str:
    """The kamailio.cfg text for this configuration."""
    _validate(cfg)
    template = _environment().get_template("kamailio.cfg.j2")
    return template.render(
        cfg=cfg,
        seat_domain_regex=_literal_regex("." + cfg.sip_domain_suffix.lower()) + "$",
        scanner_regex="|".join(_literal_regex(ua.lower()) for ua in SCANNER_USER_AGENTS),
    )


def render_dispatcher_list(cfg: KamailioConfig) -> str:
    """dispatcher.list: set 1 = callcontrol nodes (setid destination flags priority)."""
    _validate(cfg)
    template = _environment().get_template("dispatcher.list.j2")
    return template.render(cfg=cfg)


def write_config(cfg: KamailioConfig) -> Path:
    """Render kamailio.cfg and dispatcher.list into run_dir (with a dev cert if TLS needs one)."""
    cfg.run_dir.mkdir(parents=True, exist_ok=True)
    if cfg.tls_enabled:
        ensure_dev_cert(cfg.cert_path, cfg.key_path)
    cfg.dispatcher_list_path.write_text(render_dispatcher_list(cfg))
    cfg.config_path.write_text(render(cfg))
    return cfg.config_path


def ensure_dev_cert(cert: Path, key: Path) -> None:
    """A self-signed certificate for development and tests; production passes its own."""
    if cert.exists() and key.exists():
        return
    cert.parent.mkdir(parents=True, exist_ok=True)
    key.parent.mkdir(parents=True, exist_ok=True)
    openssl = shutil.which("openssl")
    if openssl is None:
        raise RuntimeError("openssl is needed to make the development TLS certificate")
    subprocess.run(  # noqa: S603 - fixed argv, no shell
        [
            openssl,
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-days",
            "3650",
            "-subj",
            "/CN=fastline-edge-dev",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    key.chmod(0o600)


def command(cfg: KamailioConfig, *, foreground: bool = True) -> list[str]:
    """argv for Kamailio on this config: its own runtime dir (-Y) and pid file per instance."""
    argv = [KAMAILIO_BIN, "-f", str(cfg.config_path)]
    if foreground:
        argv += ["-DD", "-E"]
    argv += ["-m", str(cfg.shm_mb), "-M", str(cfg.pkg_mb)]
    argv += ["-Y", str(cfg.run_dir), "-P", str(cfg.pid_path)]
    return argv


def check_syntax(cfg: KamailioConfig) -> subprocess.CompletedProcess[str]:
    """`kamailio -c`: parse the written config and load its modules without starting."""
    return subprocess.run(  # noqa: S603 - fixed argv
        [KAMAILIO_BIN, "-c", "-f", str(cfg.config_path), "-Y", str(cfg.run_dir)],
        capture_output=True,
        text=True,
        check=False,
    )


def main() -> None:
    """`python -m app.edge.kamailio`: render from the environment and exec Kamailio."""
    cfg = KamailioConfig.from_env()
    write_config(cfg)
    argv = command(cfg)
    os.execvp(argv[0], argv)  # noqa: S606 - replaces this process with Kamailio


if __name__ == "__main__":
    main()
