"""The records the check-in store hands out (list rows, pages, cursors, filters), and the
encoding of the sealed ``summary`` field. Kept apart from the repository's queries."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple

from peersupport.crypto.errors import TamperError
from peersupport.domain.checkin import CheckIn


@dataclass(frozen=True)
class CheckinFilter:
    """Filters on plaintext codes (answered by the database without decrypting)."""

    periods: tuple[str, ...] = ()
    incident_category: str | None = None
    contact_type: str | None = None


NO_FILTER = CheckinFilter()


@dataclass(slots=True)
class CheckinSummary:
    """What a list row shows: one decryption per row."""

    id: str
    period: str
    incident_category: str
    contact_type: str
    occurred_at: datetime
    officer_id: str | None
    group_officer_ids: list[str]
    follow_up: bool
    risk_level: str

    def __repr__(self) -> str:
        return f"<CheckinSummary {self.id}>"


@dataclass(frozen=True, repr=False)
class PageCursor:
    """Where a page of ``page_after`` stopped. With ``key`` and ``id`` it stopped inside
    ``period``, after the row with that exact time key and id: the next page starts just
    below it. Without them ``period`` was finished: the next page starts in older periods.
    Holds an exact time: keep it in memory only (its repr shows the period alone)."""

    period: str
    key: int | None = None
    id: str | None = None

    def __repr__(self) -> str:
        return f"<PageCursor {self.period}>"


@dataclass
class CheckinPage:
    """One page of ``page_after``: ``rows`` newest first; ``damaged`` ids of check-ins whose
    summary failed authentication (never shown); ``next`` where to continue, None when there
    is nothing older; ``damaged_indexes`` periods whose sealed index failed authentication or
    did not match their check-ins: those were read by opening the whole month (slower, and
    still exact). ``verify`` reports them; ``rebuild_month_indexes`` repairs them."""

    rows: list[CheckinSummary]
    damaged: list[str]
    next: PageCursor | None
    damaged_indexes: list[str] = field(default_factory=list)


@dataclass
class PageSlice:
    period: str
    rows: list[CheckinSummary]
    damaged: list[str]
    next: PageCursor | None  # None: nothing more in this period
    index_damaged: bool = False


class TextScan(NamedTuple):
    """One row of ``scan_text``: ``texts`` holds the TEXT_FIELDS in that order, or is None
    when the row failed authentication."""

    id: str
    texts: Sequence[str] | None
    summary: dict[str, Any] | None


def summary_payload(c: CheckIn) -> str:
    return json.dumps({
        "occurred_at": c.occurred_at.isoformat(),
        "officer_id": c.officer_id,
        "group_officer_ids": c.group_officer_ids,
        "headcount": c.headcount,
        "duration_minutes": c.duration_minutes,
        "risk_level": c.risk_level,
        "exceptions": c.exceptions,
        "follow_up": c.follow_up,
        "referrals": c.referrals,
    }, separators=(",", ":"))


def summary_of(
    record_id: str, period: str, category: str, contact_type: str, text: str
) -> CheckinSummary:
    """A list row from the plaintext codes and the opened summary."""
    try:
        s = json.loads(text)
        return CheckinSummary(
            id=record_id,
            period=period,
            incident_category=category,
            contact_type=contact_type,
            occurred_at=datetime.fromisoformat(s["occurred_at"]),
            officer_id=s["officer_id"],
            group_officer_ids=list(s.get("group_officer_ids", [])),
            follow_up=bool(s["follow_up"]),
            risk_level=str(s["risk_level"]),
        )
    except (ValueError, KeyError, TypeError, AttributeError):
        raise TamperError("a check-in summary is malformed") from None


def parse_summary(text: str) -> dict[str, Any]:
    try:
        data = json.loads(text)
        if not isinstance(data, dict):
            raise ValueError("not an object")
        datetime.fromisoformat(data["occurred_at"])
        return data
    except (ValueError, KeyError, TypeError):
        raise TamperError("a check-in summary is malformed") from None
