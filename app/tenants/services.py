"""Sign-up, sign-in and user management (TEN-1..3)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from uuid import UUID

from advanced_alchemy.mixins.uuid import uuid7
from redis.asyncio import Redis
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.repository import TenantRepository
from app.db.session import TENANT_KEY, get_sessionmaker, tenant_session
from app.lib.problems import Problem
from app.settings import Settings, get_settings
from app.tenants import passwords, sessions
from app.tenants.audit import AuditRecord, write_audit
from app.tenants.models import Role, Tenant, User


class UserRepository(TenantRepository[User]):
    model_type = User

    async def by_email(self, email: str) -> User | None:
        return await self.get_one_or_none(func.lower(User.email) == email.lower())


def _now() -> datetime:
    return datetime.now(UTC)


async def tenant_for_slug(session: AsyncSession, slug: str) -> UUID | None:
    # The security-definer function reveals an id for a slug, and nothing else of the registry.
    return await session.scalar(text("SELECT tenant_id_for_slug(:slug)"), {"slug": slug})


def check_password(password: str, email: str) -> None:
    try:
        passwords.check_strength(password, email=email)
    except passwords.WeakPasswordError as exc:
        raise Problem(400, f"Weak password: {exc}", code="weak_password") from exc


async def signup(
    *, company_name: str, slug: str, admin_email: str, admin_name: str, password: str
) -> tuple[Tenant, User]:
    """TEN-1: a tenant and its first admin, in one transaction."""
    check_password(password, admin_email)
    tenant_id = uuid7()
    async with get_sessionmaker()() as session:
        if await tenant_for_slug(session, slug) is not None:
            raise Problem(409, f"The name {slug!r} is taken; choose another.", code="slug_taken")
        await session.rollback()
        session.info[TENANT_KEY] = tenant_id
        async with session.begin():
            tenant = Tenant(
                id=tenant_id,
                slug=slug.lower(),
                name=company_name,
                sip_domain=f"{slug.lower()}.{get_settings().sip_domain_suffix}",
            )
            session.add(tenant)
            await session.flush()
            user = User(
                tenant_id=tenant_id,
                email=admin_email,
                display_name=admin_name,
                role=Role.ADMIN.value,
                password_hash=passwords.hash_password(password),
            )
            session.add(user)
    return tenant, user


@dataclass(slots=True)
class SignInResult:
    user: User
    principal: sessions.Principal


async def sign_in(
    *,
    settings: Settings,
    tenant_slug: str,
    email: str,
    password: str,
    totp_code: str | None,
    source_ip: str | None,
) -> SignInResult:
    """TEN-3: argon2 check, lockout after repeated failures, TOTP, password age."""
    async with get_sessionmaker()() as session:
        tenant_id = await tenant_for_slug(session, tenant_slug)
    if tenant_id is None:
        passwords.verify_dummy(password)
        raise Problem(401, "Wrong company, e-mail or password.")
    async with tenant_session(tenant_id) as session:
        tenant = await session.get_one(Tenant, tenant_id)
        user = await UserRepository(session=session, tenant_id=tenant_id).by_email(email)
        outcome, detail = _check_credentials(settings, user, password, totp_code)
        if user is not None:
            _count_attempt(settings, user, outcome)
        expired = user is not None and _password_expired(tenant, user)
    await write_audit(
        AuditRecord(
            tenant_id=tenant_id,
            action="auth.sign_in",
            outcome="success" if outcome == "ok" else "failed",
            actor_id=user.id if user else None,
            actor_email=email,
            method="POST",
            path="/api/v1/auth/login",
            status_code=200 if outcome == "ok" else 401,
            source_ip=source_ip,
            detail={"reason": outcome},
        )
    )
    if outcome != "ok" or user is None:
        raise Problem(423 if outcome == "locked" else 401, detail, code=outcome)
    principal = sessions.Principal(
        tenant_id=tenant_id,
        user_id=user.id,
        role=user.role,
        email=user.email,
        password_expired=expired,
    )
    return SignInResult(user=user, principal=principal)


def _check_credentials(
    settings: Settings, user: User | None, password: str, totp_code: str | None
) -> tuple[str, str]:
    if user is None or not user.is_active:
        passwords.verify_dummy(password)
        return "bad_credentials", "Wrong company, e-mail or password."
    if user.locked_until is not None and user.locked_until > _now():
        until = user.locked_until.strftime("%H:%M UTC")
        return "locked", (
            f"This account is locked after {settings.lockout_threshold} failed sign-ins. "
            f"Try again after {until}, or ask your administrator to unlock it."
        )
    if not passwords.verify_password(user.password_hash, password):
        return "bad_credentials", "Wrong company, e-mail or password."
    if user.totp_enabled and user.totp_secret:
        if not totp_code:
            return "totp_required", "Enter the 6-digit code from your authenticator app."
        if not passwords.verify_totp(user.totp_secret, totp_code):
            return "totp_invalid", "That authenticator code is not valid."
    return "ok", ""


def _count_attempt(settings: Settings, user: User, outcome: str) -> None:
    if outcome == "ok":
        user.failed_logins = 0
        user.locked_until = None
    elif outcome in ("bad_credentials", "totp_invalid"):
        user.failed_logins += 1
        if user.failed_logins >= settings.lockout_threshold:
            user.locked_until = _now() + timedelta(minutes=settings.lockout_minutes)
            user.failed_logins = 0


def _password_expired(tenant: Tenant, user: User) -> bool:
    if not tenant.password_max_age_days:
        return False
    return user.password_changed_at + timedelta(days=tenant.password_max_age_days) < _now()


async def change_password(
    session: AsyncSession, redis: Redis, principal: sessions.Principal, current: str, new: str
) -> User:
    repo = UserRepository(session=session, tenant_id=principal.tenant_id)
    user = await repo.get_one_by_id(principal.user_id)
    if not passwords.verify_password(user.password_hash, current):
        raise Problem(400, "The current password is wrong.", code="bad_current_password")
    if new == current:
        raise Problem(400, "Choose a password different from the current one.")
    check_password(new, user.email)
    user.password_hash = passwords.hash_password(new)
    user.password_changed_at = _now()
    await session.flush()
    await sessions.close_user_sessions(redis, principal.tenant_id, principal.user_id)
    return user


async def count_admins(session: AsyncSession, tenant_id: UUID) -> int:
    return int(
        await session.scalar(
            select(func.count())
            .select_from(User)
            .where(User.tenant_id == tenant_id, User.role == Role.ADMIN.value, User.is_active)
        )
        or 0
    )
