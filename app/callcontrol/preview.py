"""DIAL-2 preview dialling: the agent dials a lead from the console (`/dialer/leads/{id}/dial`,
a click-to-call that names the lead's attempt). When the call ends, the attempt is finished
like a runtime attempt: its outcome from the customer leg's SIP status (or "answered" once the
two were bridged), the call key so the call search finds it, and the campaign's retry rules."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING
from uuid import UUID

from sqlalchemy import update

from app.callcontrol.call import LegRole
from app.callcontrol.outbound import outcome_for_status
from app.db.base import utcnow
from app.db.session import tenant_session
from app.dialer.leads import finish_attempt
from app.dialer.models import LeadAttempt, Outcome

if TYPE_CHECKING:
    from app.callcontrol.b2bua import CallSession

log = logging.getLogger(__name__)


def preview_outcome(session: CallSession) -> tuple[Outcome, int | None]:
    call = session.call
    if call.bridged_at is not None:
        return Outcome.ANSWERED, 200
    customer = call.leg(LegRole.CUSTOMER)
    if customer is None:
        return Outcome.FAILED, None  # the agent never took the call: not the lead's doing
    status = customer.sip_status or 487  # cancelled before any final answer
    return outcome_for_status(status), status


async def finish_when_done(session: CallSession, attempt_id: UUID) -> None:
    await session.done.wait()
    call = session.call
    outcome, status = preview_outcome(session)
    try:
        async with tenant_session(call.tenant_id) as db:
            await db.execute(
                update(LeadAttempt)
                .where(LeadAttempt.tenant_id == call.tenant_id, LeadAttempt.id == attempt_id)
                .values(call_key=call.key)
            )
            await finish_attempt(
                db,
                call.tenant_id,
                attempt_id,
                outcome,
                call.ended_at or utcnow(),
                answered_at=call.bridged_at,
                sip_status=status,
                agent_id=call.agent_user_id,
            )
            await db.commit()
    except Exception:
        log.exception("preview attempt %s of call %s not finished", attempt_id, call.key)
