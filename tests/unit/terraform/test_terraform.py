"""terraform/ (the many-machines deployment of ARCHITECTURE.md) parsed with python-hcl2: every
reference resolves (what `terraform validate` would catch first; the provider registry is not
reachable from CI), and the security invariants hold — recordings encrypted and never public,
databases private and encrypted, only the SIP edge and the load balancer open to the internet."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import hcl2
import pytest

pytestmark = pytest.mark.feature("REC-1", "EDGE-5")
ROOT = Path(__file__).resolve().parents[3] / "terraform"


def _plain(value: Any) -> Any:
    """python-hcl2 keeps HCL's quotes on block labels and strings: drop them."""
    if isinstance(value, dict):
        return {_plain(k): _plain(v) for k, v in value.items() if k != "__is_block__"}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, str) and len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1]
    return value


def _load() -> dict[str, list[Any]]:
    merged: dict[str, list[Any]] = {}
    for path in sorted(ROOT.glob("*.tf")):
        with path.open() as f:
            for kind, blocks in _plain(hcl2.load(f)).items():
                merged.setdefault(kind, []).extend(blocks)
    return merged


TF = _load()


def resources(kind: str) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for block in TF.get("resource", []):
        found.update(block.get(kind, {}))
    return found


def declared() -> tuple[set[str], set[str], set[str]]:
    res = {f"{k}.{n}" for b in TF["resource"] for k, named in b.items() for n in named}
    data = {f"{k}.{n}" for b in TF.get("data", []) for k, named in b.items() for n in named}
    variables = {n for b in TF["variable"] for n in b}
    return res, data, variables


def text() -> str:
    return "\n".join(p.read_text() for p in sorted(ROOT.glob("*.tf")))


def test_every_reference_resolves() -> None:
    res, data, variables = declared()
    locals_ = {n for b in TF.get("locals", []) for n in b}
    body = text()
    for name in set(re.findall(r"\bvar\.([a-z_]+)", body)):
        assert name in variables, f"var.{name} is not declared"
    for name in set(re.findall(r"\blocal\.([a-z_]+)", body)):
        assert name in locals_, f"local.{name} is not declared"
    for kind, name in set(re.findall(r"(?<!data\.)\b(aws_[a-z0-9_]+)\.([a-z_]+)\.", body)):
        assert f"{kind}.{name}" in res, f"{kind}.{name} is referenced but not declared"
    for kind, name in set(re.findall(r"\bdata\.(aws_[a-z0-9_]+)\.([a-z_]+)\.", body)):
        assert f"{kind}.{name}" in data, f"data.{kind}.{name} is referenced but not declared"
    for template in re.findall(r'templatefile\("\$\{path\.module\}/([^"]+)"', body):
        assert (ROOT / template).exists(), template


def test_object_bucket_is_private_encrypted_versioned_and_tls_only() -> None:
    buckets = resources("aws_s3_bucket")
    assert buckets, "no bucket for recordings"
    for name in buckets:
        ref = f"${{aws_s3_bucket.{name}.id}}"
        blocks = [
            b for b in resources("aws_s3_bucket_public_access_block").values()
            if b["bucket"] == ref
        ]  # fmt: skip
        assert blocks and all(
            blocks[0][k] is True
            for k in ("block_public_acls", "block_public_policy", "ignore_public_acls",
                      "restrict_public_buckets")
        ), f"bucket {name} may become public"  # fmt: skip
        sse = [
            b for b in resources("aws_s3_bucket_server_side_encryption_configuration").values()
            if b["bucket"] == ref
        ]  # fmt: skip
        rule = sse[0]["rule"][0]["apply_server_side_encryption_by_default"][0]
        assert rule["sse_algorithm"] == "aws:kms"
        versioning = [
            v for v in resources("aws_s3_bucket_versioning").values() if v["bucket"] == ref
        ]
        assert versioning[0]["versioning_configuration"][0]["status"] == "Enabled"
        policies = [p for p in resources("aws_s3_bucket_policy").values() if p["bucket"] == ref]
        assert policies, f"bucket {name} has no TLS-only policy"
    assert "aws:SecureTransport" in text()


def test_databases_are_private_encrypted_and_standing_by() -> None:
    for db in resources("aws_db_instance").values():
        assert db["publicly_accessible"] is False
        assert db["storage_encrypted"] is True and db["multi_az"] is True
        assert db["manage_master_user_password"] is True, "no password in the state or the code"
    for redis in resources("aws_elasticache_replication_group").values():
        assert redis["at_rest_encryption_enabled"] is True
        assert redis["transit_encryption_enabled"] is True
        assert redis["automatic_failover_enabled"] is True


def _public_ingress(group: dict[str, Any]) -> list[dict[str, Any]]:
    return [r for r in group.get("ingress", []) if "0.0.0.0/0" in r.get("cidr_blocks", [])]


def test_only_the_sip_edge_and_the_load_balancer_face_the_internet() -> None:
    groups = resources("aws_security_group")
    open_groups = {name for name, g in groups.items() if _public_ingress(g)}
    assert open_groups == {"edge", "lb"}
    edge_ports = {(r["protocol"], r["from_port"]) for r in _public_ingress(groups["edge"])}
    assert edge_ports == {
        ("udp", 5060), ("tcp", 5060), ("tcp", 5061), ("tcp", 443),
        ("udp", "${var.rtp_port_range.from}"),
    }  # fmt: skip
    assert {(r["protocol"], r["from_port"]) for r in _public_ingress(groups["lb"])} == {
        ("tcp", 443)
    }
    for rule in groups["data"]["ingress"]:
        assert "cidr_blocks" not in rule, "Postgres/Redis reachable by address range"


def test_hosts_use_imdsv2_encrypted_disks_and_no_ssh_keys() -> None:
    for name, host in resources("aws_instance").items():
        assert host["metadata_options"][0]["http_tokens"] == "required", name
        assert host["root_block_device"][0]["encrypted"] is True, name
        assert "key_name" not in host, f"{name}: SSH keys (use SSM)"
