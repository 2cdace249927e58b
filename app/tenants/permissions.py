"""TEN-2: roles and what each may do. Every route declares one permission (or `public`)."""

from __future__ import annotations

import enum

from app.tenants.models import Role


class Perm(enum.StrEnum):
    SELF = "self"  # own profile, password, TOTP, sign out
    USERS_READ = "users.read"
    USERS_WRITE = "users.write"
    AUDIT_READ = "audit.read"
    TENANT_ADMIN = "tenant.admin"  # tenant-wide security settings
    SETTINGS_READ = "settings.read"  # businesses, calendars, numbers
    SETTINGS_WRITE = "settings.write"
    LISTS_READ = "lists.read"  # black / white lists
    LISTS_WRITE = "lists.write"
    FLOWS_READ = "flows.read"  # IVR flows, versions, simulator, information entries
    FLOWS_WRITE = "flows.write"
    CALLS_READ = "calls.read"  # call records, live calls
    CALLS_CONTROL = "calls.control"  # click-to-call (agents: their own extension only)
    PLATFORM = "platform"  # the tenant registry, operators only
    # IVR-5: agents list, listen, accept and call back the messages of their own boxes
    VOICEMAIL_WORK = "voicemail.work"
    VOICEMAIL_MANAGE = "voicemail.manage"  # every box, history, delete
    # SEAT-2..8: ACD queues, agent profiles, reason codes; supervisors read them and move agents
    ACD_READ = "acd.read"
    ACD_WRITE = "acd.write"
    ACD_ASSIGN = "acd.assign"  # put agents in queues / take them out
    CTI = "cti"  # the agent console: own state, own calls (SEAT-2, SEAT-6)
    AGENTS_FORCE = "agents.force"  # force another agent ready / signed out / release (SEAT-7)
    MARQUEE_WRITE = "marquee.write"  # the agents' motivational marquee (DIAL-9)
    AGENTS_MONITOR = "agents.monitor"  # listen, whisper, barge, record an agent's call (SEAT-7)
    WALLBOARD = "wallboard"  # live agent and queue figures (SEAT-8)
    # BILL-1, BILL-2: rates, costs, plan, invoices (read); rate tables, credit limit, Stripe
    # subscription and usage reports (manage). Admins only.
    BILLING_READ = "billing.read"
    BILLING_MANAGE = "billing.manage"

    # DIAL-1..10: campaigns, lead lists, reports (read); change them, see real numbers (write);
    # an agent's own plan, leads (masked, DIAL-6), dispositions and callbacks (work)
    DIALER_READ = "dialer.read"
    DIALER_WRITE = "dialer.write"
    DIALER_WORK = "dialer.work"

    # REC-2, REC-4: play, download and mark recordings (agents: their own calls only, masked
    # numbers); read reports and export them
    RECORDINGS_LISTEN = "recordings.listen"
    REPORTS_READ = "reports.read"

    # API-1, API-2: partner API clients (OAuth 2) and webhook endpoints; admins only. An API
    # client with the webhooks:manage scope holds WEBHOOKS_MANAGE, never API_MANAGE.
    API_MANAGE = "api.manage"
    WEBHOOKS_MANAGE = "webhooks.manage"

    # CRM-4: the knowledge base: read and search it (agents: shared articles and their
    # business's); write articles and their audio
    KNOWLEDGE_READ = "knowledge.read"
    KNOWLEDGE_WRITE = "knowledge.write"

    # CRM-5: tickets (read: the tenant's tickets, numbers masked per DIAL-6; work: open,
    # comment, change status, reply, call back, take one; assign: give one to anyone)
    TICKETS_READ = "tickets.read"
    TICKETS_WORK = "tickets.work"
    TICKETS_ASSIGN = "tickets.assign"

    # CRM-1: customer records (read: find and read them, numbers masked per DIAL-6; write:
    # create and edit; delete: remove a record)
    CUSTOMERS_READ = "customers.read"
    CUSTOMERS_WRITE = "customers.write"
    CUSTOMERS_DELETE = "customers.delete"


ROLE_PERMISSIONS: dict[Role, frozenset[Perm]] = {
    Role.ADMIN: frozenset(Perm) - {Perm.PLATFORM},
    Role.SUPERVISOR: frozenset(
        {
            Perm.SELF,
            Perm.USERS_READ,
            Perm.SETTINGS_READ,
            Perm.LISTS_READ,
            Perm.LISTS_WRITE,
            Perm.AUDIT_READ,
            Perm.CALLS_READ,
            Perm.CALLS_CONTROL,
            Perm.FLOWS_READ,
            Perm.VOICEMAIL_WORK,
            Perm.VOICEMAIL_MANAGE,
            Perm.ACD_READ,
            Perm.ACD_ASSIGN,
            Perm.CTI,
            Perm.AGENTS_FORCE,
            Perm.AGENTS_MONITOR,
            Perm.WALLBOARD,
        }
    ),
    Role.QA: frozenset(
        {
            Perm.SELF,
            Perm.USERS_READ,
            Perm.SETTINGS_READ,
            Perm.LISTS_READ,
            Perm.FLOWS_READ,
            Perm.CALLS_READ,
        }
    ),
    Role.AGENT: frozenset({Perm.SELF, Perm.CALLS_CONTROL, Perm.VOICEMAIL_WORK, Perm.CTI}),
    Role.OPERATOR: frozenset({Perm.SELF, Perm.PLATFORM}),
}


# The dialer's grants, added apart from the table above so that domains do not edit each
# other's lines. Admins already hold every permission.
_DIALER_GRANTS = {
    Role.SUPERVISOR: {Perm.DIALER_READ, Perm.DIALER_WRITE, Perm.DIALER_WORK},
    Role.QA: {Perm.DIALER_READ},
    Role.AGENT: {Perm.DIALER_WORK},
}
for _role, _perms in _DIALER_GRANTS.items():
    ROLE_PERMISSIONS[_role] = ROLE_PERMISSIONS[_role] | _perms

# The recordings and reports grants, apart for the same reason.
_RECORDINGS_GRANTS = {
    Role.SUPERVISOR: {Perm.RECORDINGS_LISTEN, Perm.REPORTS_READ},
    Role.QA: {Perm.RECORDINGS_LISTEN},
    Role.AGENT: {Perm.RECORDINGS_LISTEN},
}
for _role, _perms in _RECORDINGS_GRANTS.items():
    ROLE_PERMISSIONS[_role] = ROLE_PERMISSIONS[_role] | _perms


# Supervisors set their team's marquee (DIAL-9).
ROLE_PERMISSIONS[Role.SUPERVISOR] = ROLE_PERMISSIONS[Role.SUPERVISOR] | {Perm.MARQUEE_WRITE}


# Tickets (CRM-5): QA reads them; agents work them; supervisors also assign them.
_TICKET_GRANTS = {
    Role.SUPERVISOR: {Perm.TICKETS_READ, Perm.TICKETS_WORK, Perm.TICKETS_ASSIGN},
    Role.QA: {Perm.TICKETS_READ},
    Role.AGENT: {Perm.TICKETS_READ, Perm.TICKETS_WORK},
}
for _role, _perms in _TICKET_GRANTS.items():
    ROLE_PERMISSIONS[_role] = ROLE_PERMISSIONS[_role] | _perms

# The knowledge base (CRM-4): everyone who talks to callers reads it; supervisors keep it.
_KNOWLEDGE_GRANTS = {
    Role.SUPERVISOR: {Perm.KNOWLEDGE_READ, Perm.KNOWLEDGE_WRITE},
    Role.QA: {Perm.KNOWLEDGE_READ},
    Role.AGENT: {Perm.KNOWLEDGE_READ},
}
for _role, _perms in _KNOWLEDGE_GRANTS.items():
    ROLE_PERMISSIONS[_role] = ROLE_PERMISSIONS[_role] | _perms

# Customer records (CRM-1): everyone in the tenant reads them; agents keep them up to date on
# the screen pop; supervisors may also remove one.
_CUSTOMER_GRANTS = {
    Role.SUPERVISOR: {Perm.CUSTOMERS_READ, Perm.CUSTOMERS_WRITE, Perm.CUSTOMERS_DELETE},
    Role.QA: {Perm.CUSTOMERS_READ},
    Role.AGENT: {Perm.CUSTOMERS_READ, Perm.CUSTOMERS_WRITE},
}
for _role, _perms in _CUSTOMER_GRANTS.items():
    ROLE_PERMISSIONS[_role] = ROLE_PERMISSIONS[_role] | _perms


def allowed(role: str, perm: Perm) -> bool:
    try:
        return perm in ROLE_PERMISSIONS[Role(role)]
    except ValueError:
        return False  # an unknown role may do nothing
