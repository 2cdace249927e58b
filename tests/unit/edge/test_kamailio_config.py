"""The rendered Kamailio config is valid for Kamailio itself (EDGE-1)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from app.edge.kamailio import KamailioConfig, check_syntax, render, write_config

pytestmark = pytest.mark.feature("EDGE-1")

needs_kamailio = pytest.mark.skipif(shutil.which("kamailio") is None, reason="no kamailio")


@needs_kamailio
@pytest.mark.telephony
@pytest.mark.parametrize(
    "overrides",
    [
        {},
        {"tls_port": 0, "wss_port": 0, "ban_action": "drop"},
        {"advertise_ip": "203.0.113.7", "callcontrol": ("10.0.0.5:5070", "10.0.0.6:5070")},
    ],
    ids=["default", "no-tls", "advertised"],
)
def test_rendered_config_passes_kamailio_syntax_check(
    tmp_path: Path, overrides: dict[str, Any]
) -> None:
    cfg = KamailioConfig(run_dir=tmp_path, **overrides)
    write_config(cfg)
    result = check_syntax(cfg)
    assert result.returncode == 0, result.stdout + result.stderr


def test_config_carries_settings_into_kamailio(tmp_path: Path) -> None:
    cfg = KamailioConfig(
        run_dir=tmp_path,
        sip_port=5099,
        ban_failed_auths=7,
        ban_seconds=42,
        db_url="postgres://k:k@db.internal:5432/fl",
    )
    text = render(cfg)
    assert "listen=udp:127.0.0.1:5099" in text and "listen=tcp:127.0.0.1:5099" in text
    assert '"postgres://k:k@db.internal:5432/fl"' in text
    assert ">= 7)" in text and "autoexpire=42;" in text
    # The scanner and seat-domain regexes need no backslashes (Kamailio's lexer eats them).
    assert "friendly-scanner|" in text and "[.]sip[.]fastline[.]local$" in text


def test_tls_off_loads_no_tls_module(tmp_path: Path) -> None:
    text = render(KamailioConfig(run_dir=tmp_path, tls_port=0, wss_port=0))
    assert "tls.so" not in text and "listen=tls:" not in text


@pytest.mark.parametrize(
    "overrides",
    [
        {"callcontrol": ()},
        {"callcontrol": ("10.0.0.5",)},
        {"ban_action": "tarpit"},
        {"sip_domain_suffix": "bad\\domain"},
    ],
)
def test_bad_settings_are_refused_before_kamailio_sees_them(
    tmp_path: Path, overrides: dict[str, Any]
) -> None:
    with pytest.raises(ValueError):
        render(KamailioConfig(run_dir=tmp_path, **overrides))


def test_from_env_reads_fastline_kamailio_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FASTLINE_KAMAILIO_SIP_PORT", "5080")
    monkeypatch.setenv("FASTLINE_KAMAILIO_CALLCONTROL", "10.0.0.5:5070, 10.0.0.6:5070")
    monkeypatch.setenv("FASTLINE_KAMAILIO_DB_URL", "postgres://k:k@h/db")
    monkeypatch.setenv("FASTLINE_KAMAILIO_BAN_ACTION", "drop")
    cfg = KamailioConfig.from_env()
    assert cfg.sip_port == 5080
    assert cfg.callcontrol == ("10.0.0.5:5070", "10.0.0.6:5070")
    assert cfg.db_url == "postgres://k:k@h/db"
    assert cfg.ban_action == "drop"


def test_from_env_defaults_to_the_apps_database_as_the_kamailio_role(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("FASTLINE_KAMAILIO_DB_URL", raising=False)
    cfg = KamailioConfig.from_env()
    assert cfg.db_url.startswith("postgres://fastline_kamailio:fastline_kamailio@")
