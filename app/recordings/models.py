"""REC-2: who has listened to which recording (listened / unlistened per user)."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from advanced_alchemy.types import DateTimeUTC
from sqlalchemy import Integer, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import TenantOwned


class RecordingListen(TenantOwned):
    """One row per (recording, user); `times` counts plays."""

    __tablename__ = "recording_listen"
    __table_args__ = (
        UniqueConstraint("tenant_id", "recording_id", "user_id", name="uq_recording_listen_user"),
    )

    recording_id: Mapped[UUID] = mapped_column()
    user_id: Mapped[UUID] = mapped_column()
    first_listened_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
    last_listened_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
    times: Mapped[int] = mapped_column(Integer, default=1)
