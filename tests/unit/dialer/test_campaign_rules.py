"""Campaign rules without a database: masking (DIAL-6), windows and retry rules (DIAL-5)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest

from app.dialer.campaigns import CampaignError, check_settings, pacing_config
from app.dialer.leads import in_windows, mask_number, schedule_after
from app.dialer.models import Campaign, Lead, LeadStatus, Outcome


@pytest.mark.feature("DIAL-6")
@pytest.mark.parametrize(
    ("e164", "shown"),
    [
        ("+8613800138000", "138****8000"),
        ("+861065529988", "106***9988"),
        ("+442079460958", "442*****0958"),
        ("+8612345", "*****"),
        ("+85212345678", "852****5678"),
    ],
)
def test_mask_number(e164, shown):
    assert mask_number(e164) == shown


def _campaign(**kw) -> Campaign:
    base = dict(
        tenant_id=uuid4(), id=uuid4(), name="c", windows=[{"start": "09:00", "end": "12:00"}],
        timezone="Asia/Shanghai", retry_rules={}, max_attempts=5, manual_ratio=None,
        max_ratio=3.0, target_abandon_rate=0.03, max_channels=10, starts_on=None, ends_on=None,
    )  # fmt: skip
    return Campaign(**(base | kw))


@pytest.mark.feature("DIAL-5")
def test_windows_with_days():
    windows = [{"start": "18:30", "end": "20:30", "days": [1, 2, 3, 4, 5]}]
    tuesday = datetime(2026, 12, 1, 19, 0)
    assert in_windows(tuesday, windows)
    assert not in_windows(tuesday.replace(hour=20, minute=30), windows)  # end is exclusive
    assert not in_windows(tuesday + timedelta(days=4), windows)  # Saturday


@pytest.mark.feature("DIAL-5")
def test_settings_checks():
    check_settings(_campaign())
    with pytest.raises(CampaignError, match="midnight"):
        check_settings(_campaign(windows=[{"start": "22:00", "end": "02:00"}]))
    with pytest.raises(CampaignError, match="days"):
        check_settings(_campaign(windows=[{"start": "09:00", "end": "10:00", "days": [8]}]))
    assert pacing_config(_campaign(manual_ratio=2.0)).manual_ratio == 2.0


@pytest.mark.feature("DIAL-5")
def test_schedule_after_outcomes():
    campaign = _campaign(retry_rules={"no_answer": {"delayMinutes": 30, "maxAttempts": 2}})
    lead = Lead(attempts=1, outcome_counts={}, status=LeadStatus.DIALING)
    ended = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
    schedule_after(lead, campaign, Outcome.NO_ANSWER, ended)
    assert lead.status == LeadStatus.RETRY and lead.next_attempt_at == ended + timedelta(minutes=30)
    lead.attempts = 2
    schedule_after(lead, campaign, Outcome.NO_ANSWER, ended)
    assert lead.status == LeadStatus.EXHAUSTED
    fresh = Lead(attempts=1, outcome_counts={}, status=LeadStatus.DIALING)
    schedule_after(fresh, campaign, Outcome.INVALID, ended)
    assert fresh.status == LeadStatus.EXHAUSTED
    done = Lead(attempts=1, outcome_counts={}, status=LeadStatus.DIALING)
    schedule_after(done, campaign, Outcome.ANSWERED, ended)
    assert done.status == LeadStatus.DONE
