"""TEN-2: the permission matrix, enforced on every endpoint, checked per role."""

from __future__ import annotations

import pytest

from app.tenants.permissions import Perm
from tests.fixtures.app import PASSWORD, add_user, login, unique_slug

pytestmark = pytest.mark.feature("TEN-2")

ROLES = ["admin", "supervisor", "qa", "agent", "operator"]
Z = "00000000-0000-0000-0000-000000000000"
HANG_UP_FLOW = {"start": "h", "nodes": [{"id": "h", "type": "hang_up"}]}

# (method, path, body, roles allowed). Written from the product's rules, not from the code:
# admins run the tenant; supervisors read people and settings, keep the caller lists and read
# the audit trail; QA reads; agents only look after themselves; operators see the registry only.
MATRIX = [
    ("GET", "/api/v1/users/", None, {"admin", "supervisor", "qa"}),
    (
        "POST",
        "/api/v1/users/",
        {
            "email": "x@y.example",
            "displayName": "X",
            "role": "agent",
            "password": "Strong-Pass-1234",
        },
        {"admin"},
    ),
    ("PATCH", f"/api/v1/users/{Z}", {"displayName": "Y"}, {"admin"}),
    ("DELETE", f"/api/v1/users/{Z}", None, {"admin"}),
    ("POST", f"/api/v1/users/{Z}/unlock", None, {"admin"}),
    ("GET", "/api/v1/tenant/", None, {"admin", "supervisor", "qa"}),
    ("PATCH", "/api/v1/tenant/", {"name": "Renamed"}, {"admin"}),
    ("GET", "/api/v1/audit/", None, {"admin", "supervisor"}),
    ("GET", "/api/v1/businesses/", None, {"admin", "supervisor", "qa"}),
    ("POST", "/api/v1/businesses/", {"name": "Line"}, {"admin"}),
    ("DELETE", f"/api/v1/businesses/{Z}", None, {"admin"}),
    ("GET", "/api/v1/calendars/", None, {"admin", "supervisor", "qa"}),
    ("POST", "/api/v1/calendars/", {"name": "Hours"}, {"admin"}),
    ("GET", "/api/v1/caller-lists/", None, {"admin", "supervisor", "qa"}),
    (
        "POST",
        "/api/v1/caller-lists/",
        {"listKind": "black", "number": "13800138000"},
        {"admin", "supervisor"},
    ),
    ("GET", "/api/v1/numbers/", None, {"admin", "supervisor", "qa"}),
    ("POST", "/api/v1/numbers/", {"number": "+8610000000"}, {"admin"}),
    ("GET", "/api/v1/extensions/", None, {"admin", "supervisor", "qa"}),
    ("POST", "/api/v1/extensions/", {"number": "1999", "password": "sip-secret-9"}, {"admin"}),
    ("GET", "/api/v1/calls/", None, {"admin", "supervisor", "qa"}),
    ("GET", "/api/v1/calls/live", None, {"admin", "supervisor", "qa"}),
    (
        "POST",
        "/api/v1/calls/click-to-call",
        {"extension": "999", "number": "13800138000"},
        {"admin", "supervisor", "agent"},
    ),
    ("GET", "/api/v1/ivr/node-types", None, {"admin", "supervisor", "qa"}),
    ("GET", "/api/v1/ivr/flows", None, {"admin", "supervisor", "qa"}),
    ("POST", "/api/v1/ivr/flows", {"name": "Main line"}, {"admin"}),
    ("PUT", f"/api/v1/ivr/flows/{Z}/draft", {"document": HANG_UP_FLOW}, {"admin"}),
    ("POST", f"/api/v1/ivr/flows/{Z}/publish", None, {"admin"}),
    ("POST", f"/api/v1/ivr/flows/{Z}/rollback", {"version": 1}, {"admin"}),
    ("GET", f"/api/v1/ivr/flows/{Z}/versions", None, {"admin", "supervisor", "qa"}),
    ("PUT", f"/api/v1/ivr/flows/{Z}/numbers/{Z}", None, {"admin"}),
    ("GET", "/api/v1/ivr/info", None, {"admin", "supervisor", "qa"}),
    ("PUT", "/api/v1/ivr/info/hours/today", {"text": "Open 9-18"}, {"admin"}),
    ("POST", "/api/v1/ivr/simulate", {"document": HANG_UP_FLOW}, {"admin", "supervisor", "qa"}),
    # IVR-4 prompts and TTS: admins upload and delete; whoever reads flows plays and previews.
    ("GET", "/api/v1/ivr/prompts/", None, {"admin", "supervisor", "qa"}),
    ("POST", "/api/v1/ivr/prompts/", {}, {"admin"}),
    ("GET", f"/api/v1/ivr/prompts/{Z}/audio", None, {"admin", "supervisor", "qa"}),
    ("DELETE", f"/api/v1/ivr/prompts/{Z}", None, {"admin"}),
    ("POST", "/api/v1/ivr/tts", {"text": "Hello", "voice": "en"}, {"admin", "supervisor", "qa"}),
    ("GET", f"/api/v1/ivr/tts/{'0' * 64}", None, {"admin", "supervisor", "qa"}),
    # REC-6 survey answers: whoever reads call records.
    ("GET", "/api/v1/ivr/survey-answers", None, {"admin", "supervisor", "qa"}),
    ("GET", "/api/v1/ivr/survey-answers/tallies", None, {"admin", "supervisor", "qa"}),
    # IVR-5 voicemail: admins set up boxes; agents work their boxes' messages; supervisors
    # work and manage (history, delete); QA has no part in it.
    ("GET", "/api/v1/voicemail/boxes", None, {"admin", "supervisor", "agent"}),
    ("POST", "/api/v1/voicemail/boxes", {"name": "sales"}, {"admin"}),
    ("DELETE", f"/api/v1/voicemail/boxes/{Z}", None, {"admin"}),
    ("GET", "/api/v1/voicemail/messages", None, {"admin", "supervisor", "agent"}),
    ("GET", f"/api/v1/voicemail/messages/{Z}/audio", None, {"admin", "supervisor", "agent"}),
    ("POST", f"/api/v1/voicemail/messages/{Z}/accept", None, {"admin", "supervisor", "agent"}),
    (
        "POST",
        f"/api/v1/voicemail/messages/{Z}/called-back",
        None,
        {"admin", "supervisor", "agent"},
    ),
    ("DELETE", f"/api/v1/voicemail/messages/{Z}", None, {"admin", "supervisor"}),
    ("GET", "/api/v1/acd/queues/", None, {"admin", "supervisor"}),
    ("POST", "/api/v1/acd/queues/", {"name": "Q", "businessId": Z}, {"admin"}),
    ("DELETE", f"/api/v1/acd/queues/{Z}", None, {"admin"}),
    ("GET", "/api/v1/acd/agents/", None, {"admin", "supervisor"}),
    ("POST", "/api/v1/acd/agents/", {"userId": Z, "businessId": Z}, {"admin"}),
    ("PUT", f"/api/v1/acd/agents/{Z}/queues", [], {"admin", "supervisor"}),
    ("GET", "/api/v1/acd/reasons/", None, {"admin", "supervisor", "agent"}),
    ("PUT", "/api/v1/acd/reasons/", [{"code": "x", "label": "X"}], {"admin"}),
    ("GET", "/api/v1/cti/me", None, {"admin", "supervisor", "agent"}),
    ("POST", "/api/v1/cti/ready", None, {"admin", "supervisor", "agent"}),
    ("POST", "/api/v1/cti/calls/hangup", {}, {"admin", "supervisor", "agent"}),
    ("POST", f"/api/v1/cti/agents/{Z}/force-ready", None, {"admin", "supervisor"}),
    ("GET", "/api/v1/wallboard", None, {"admin", "supervisor"}),
    # DIAL-*: campaigns and lists are run by admins and supervisors, read by QA too; agents
    # work their own leads (masked numbers) and nothing else of the dialer.
    ("GET", "/api/v1/dialer/campaigns/", None, {"admin", "supervisor", "qa"}),
    ("POST", "/api/v1/dialer/campaigns/", {"name": "Renewals"}, {"admin", "supervisor"}),
    ("PUT", f"/api/v1/dialer/campaigns/{Z}", {"name": "Renewals"}, {"admin", "supervisor"}),
    ("DELETE", f"/api/v1/dialer/campaigns/{Z}", None, {"admin", "supervisor"}),
    ("POST", f"/api/v1/dialer/campaigns/{Z}/start", None, {"admin", "supervisor"}),
    ("POST", f"/api/v1/dialer/campaigns/{Z}/pause", None, {"admin", "supervisor"}),
    ("GET", f"/api/v1/dialer/campaigns/{Z}/leads", None, {"admin", "supervisor", "qa"}),
    ("GET", f"/api/v1/dialer/campaigns/{Z}/abandonment", None, {"admin", "supervisor", "qa"}),
    ("POST", f"/api/v1/dialer/campaigns/{Z}/evidence-exports", {}, {"admin", "supervisor"}),
    ("POST", f"/api/v1/dialer/campaigns/{Z}/dnc", {"numbers": []}, {"admin", "supervisor"}),
    ("POST", f"/api/v1/dialer/campaigns/{Z}/distribute", {}, {"admin", "supervisor"}),
    (
        "POST",
        f"/api/v1/dialer/campaigns/{Z}/lists",
        {"name": "L", "mapping": {"phone": "Phone"}},
        {"admin", "supervisor"},
    ),
    ("PUT", f"/api/v1/dialer/lists/{Z}/file", None, {"admin", "supervisor"}),
    ("GET", f"/api/v1/dialer/imports/{Z}", None, {"admin", "supervisor", "qa"}),
    ("GET", f"/api/v1/dialer/imports/{Z}/errors", None, {"admin", "supervisor"}),
    ("GET", f"/api/v1/dialer/lists/{Z}/report", None, {"admin", "supervisor", "qa"}),
    ("GET", "/api/v1/dialer/groups/", None, {"admin", "supervisor", "qa"}),
    ("POST", "/api/v1/dialer/groups/", {"name": "Team"}, {"admin", "supervisor"}),
    ("POST", f"/api/v1/dialer/groups/{Z}/members", {"userIds": [Z]}, {"admin", "supervisor"}),
    ("GET", "/api/v1/dialer/my/plan", None, {"admin", "supervisor", "agent"}),
    ("GET", "/api/v1/dialer/my/callbacks", None, {"admin", "supervisor", "agent"}),
    ("GET", f"/api/v1/dialer/leads/{Z}", None, {"admin", "supervisor", "agent"}),
    ("POST", f"/api/v1/dialer/leads/{Z}/dial", {}, {"admin", "supervisor", "agent"}),
    (
        "POST",
        f"/api/v1/dialer/leads/{Z}/callbacks",
        {"inDays": 1},
        {"admin", "supervisor", "agent"},
    ),
    (
        "POST",
        f"/api/v1/dialer/attempts/{Z}/disposition",
        {"code": "sale"},
        {"admin", "supervisor", "agent"},
    ),
    ("GET", "/api/v1/platform/tenants", None, {"operator"}),
    ("GET", "/api/v1/auth/me", None, set(ROLES)),
    # CRM-1 customer records: the tenant reads them, QA only reads, agents keep them up to
    # date; removing one is for admins and supervisors.
    ("GET", "/api/v1/customers/", None, {"admin", "supervisor", "qa", "agent"}),
    ("POST", "/api/v1/customers/", {"name": "Matrix"}, {"admin", "supervisor", "agent"}),
    ("PATCH", f"/api/v1/customers/{Z}", {"name": "M"}, {"admin", "supervisor", "agent"}),
    ("DELETE", f"/api/v1/customers/{Z}", None, {"admin", "supervisor"}),
    ("GET", "/api/v1/customers/for-call/x", None, {"admin", "supervisor", "qa", "agent"}),
    ("POST", "/api/v1/customers/from-call/x", {"name": "M"}, {"admin", "supervisor", "agent"}),
]


@pytest.fixture(scope="module")
def role_tokens():
    return {}


async def _tokens(client, role_tokens):
    if role_tokens:
        return role_tokens
    from app.cli import create_operator_account
    from tests.fixtures.app import signup

    t = await signup(client)
    role_tokens["admin"] = t.token
    for role in ("supervisor", "qa", "agent"):
        user = await add_user(client, t, role)
        role_tokens[role] = (await login(client, t.slug, user["email"])).json()["token"]
    email = f"op-{unique_slug()}@fastline.example"
    await create_operator_account(email, PASSWORD)
    role_tokens["operator"] = (await login(client, "platform", email)).json()["token"]
    return role_tokens


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(
    ("method", "path", "body", "allowed"), MATRIX, ids=[f"{m} {p}" for m, p, *_ in MATRIX]
)
async def test_role_matrix(client, role_tokens, role, method, path, body, allowed):
    tokens = await _tokens(client, role_tokens)
    kwargs = {"json": body} if body is not None else {}
    r = await client.request(
        method, path, headers={"Authorization": f"Bearer {tokens[role]}"}, **kwargs
    )
    if role in allowed:
        assert r.status_code != 403, f"{role} should be allowed: {r.text}"
    else:
        assert r.status_code == 403, f"{role} should be refused, got {r.status_code}"
        assert r.headers["content-type"].startswith("application/problem+json")


async def test_anonymous_callers_are_refused_everywhere_but_public_routes(client):
    for method, path, body, _ in MATRIX:
        r = await client.request(method, path, **({"json": body} if body else {}))
        assert r.status_code == 401, (method, path, r.status_code)


def test_every_route_declares_a_permission_or_is_public(app):
    """Fail closed: the guard refuses routes without a permission, and this test names them."""
    missing = []
    for route in app.routes:
        for handler in getattr(route, "route_handlers", []):
            if route.path.startswith("/schema") or handler.handler_name == "options_handler":
                continue
            opt = handler.opt
            if not opt.get("public") and not isinstance(opt.get("permission"), Perm):
                missing.append(f"{route.path} {handler.handler_name}")
    assert missing == []
