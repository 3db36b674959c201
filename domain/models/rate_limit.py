"""QBO's per-company request budget, shared by every process and machine that talks to the company.

Times are seconds since the epoch as floats: the limiter's windows are arithmetic on them, the same on SQLite
and PostgreSQL, and a slot lives a few minutes at most.
"""

from __future__ import annotations

from sqlalchemy import Float, String
from sqlalchemy.orm import Mapped, mapped_column

from domain.db import Base


class QboRateRealm(Base):
    """One row per QBO company: admissions lock it (one at a time), and it keeps a pause QBO asked for."""

    __tablename__ = "qbo_rate_realms"

    realm_id: Mapped[str] = mapped_column(String(80), primary_key=True)
    paused_until: Mapped[float] = mapped_column(Float, default=0.0)


class QboRateSlot(Base):
    """One request admitted to a company by any process, counted in the windows until a window after it ended.

    ``done_at`` is written when the answer is in; a process that died first never writes it, and the request
    then counts as ending at QBO's request timeout after ``admitted_at``.
    """

    __tablename__ = "qbo_rate_slots"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    realm_id: Mapped[str] = mapped_column(String(80), index=True)
    batch: Mapped[bool]
    admitted_at: Mapped[float] = mapped_column(Float)
    done_at: Mapped[float | None] = mapped_column(Float, default=None)


__all__ = ["QboRateRealm", "QboRateSlot"]
