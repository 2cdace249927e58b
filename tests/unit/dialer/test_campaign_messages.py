"""DIAL-8 settings without a database: the survey a notification campaign asks, the checks a
tenant admin sees, and where a delivered notification leaves its lead."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import uuid4

import pytest

from app.dialer.campaigns import RETRY_OUTCOMES, CampaignError, check_settings
from app.dialer.leads import schedule_after
from app.dialer.messages import Survey, has_message, prompt_ids, survey_of
from app.dialer.models import Campaign, Lead, LeadStatus, Outcome

pytestmark = pytest.mark.feature("DIAL-8")

KEYS = [{"key": "1", "label": "满意"}, {"key": "2", "label": "不满意"}]


def _campaign(**kw: object) -> Campaign:
    base = dict(
        tenant_id=uuid4(), id=uuid4(), name="notice", mode="notification",
        windows=[{"start": "09:00", "end": "12:00"}], timezone="Asia/Shanghai", retry_rules={},
        max_attempts=5, manual_ratio=None, max_ratio=3.0, target_abandon_rate=0.03,
        max_channels=10, starts_on=None, ends_on=None, message_text="您的包裹明天送达",
        message_voice="zh", survey={}, machine_text="",
    )  # fmt: skip
    return Campaign(**(base | kw))


def test_a_survey_is_parsed_with_its_keys_in_order_and_defaults() -> None:
    prompt = uuid4()
    c = _campaign(survey={"promptId": str(prompt), "keys": KEYS})
    assert survey_of(c) == Survey(prompt, "", {"1": "满意", "2": "不满意"}, 2, 5.0)
    assert survey_of(_campaign()) is None
    assert prompt_ids(_campaign(survey={"promptId": str(prompt), "keys": KEYS})) == [prompt]


@pytest.mark.parametrize(
    ("survey", "why"),
    [
        ({"text": "q", "keys": [{"key": "1", "label": "a"}, {"key": "1", "label": "b"}]}, "twice"),
        ({"text": "q", "keys": [{"key": "A", "label": "a"}]}, "0-9"),
        ({"text": "q", "keys": [{"key": "1", "label": "  "}]}, "label"),
        ({"keys": KEYS}, "question"),
        ({"text": "q"}, "at least one key"),
        ({"text": "q", "keys": KEYS, "repeat": 9}, "1 to 5"),
        ({"text": "q", "keys": KEYS, "timeoutSeconds": 0}, "1 to 30"),
    ],
)
def test_a_bad_survey_is_refused_with_a_reason(survey: dict[str, object], why: str) -> None:
    with pytest.raises(CampaignError, match=why):
        check_settings(_campaign(survey=survey))


def test_only_notification_campaigns_ask_surveys_and_voices_are_checked() -> None:
    with pytest.raises(CampaignError, match="only notification"):
        check_settings(_campaign(mode="progressive", survey={"text": "q", "keys": KEYS}))
    with pytest.raises(CampaignError, match="voice"):
        check_settings(_campaign(message_voice="fr"))
    check_settings(_campaign(survey={"text": "q", "keys": KEYS}))
    assert has_message(_campaign()) and not has_message(_campaign(message_text=" "))
    assert has_message(_campaign(message_text="", message_prompt_id=uuid4()))


def test_a_delivered_notification_finishes_its_lead_and_takes_no_retry_rule() -> None:
    lead = Lead(attempts=1, outcome_counts={}, status=LeadStatus.DIALING)
    schedule_after(lead, _campaign(), Outcome.DELIVERED, datetime(2026, 12, 1, tzinfo=UTC))
    assert (lead.status, lead.next_attempt_at, lead.last_outcome) == (
        LeadStatus.DONE, None, "delivered",
    )  # fmt: skip
    assert Outcome.DELIVERED not in RETRY_OUTCOMES
    with pytest.raises(CampaignError, match="delivered"):
        check_settings(_campaign(retry_rules={"delivered": {"delayMinutes": 1, "maxAttempts": 1}}))
