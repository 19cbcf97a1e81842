"""What the check-in form holds, as plain data: the draft kept when the vault locks, and the
values an existing check-in fills in. No Qt here, so it is easy to reason about and test."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from datetime import datetime
from typing import Any

from peersupport.services.checkins import CheckinDetail

DRAFT_KIND = "checkin-form"
DRAFT_VERSION = 1


@dataclass
class FormState:
    occurred_at: datetime  # aware, minute precision
    officer_text: str = ""  # what is in the officer box
    officer_id: str | None = None  # the existing officer that text names, if any
    new_officer_name: str = ""
    new_officer_contact: str = ""
    notice_confirmed: bool = False
    incident_category: str = ""  # "" until chosen
    contact_type: str = "in_person"
    initiated_by: str = ""  # "" until chosen
    recipient_class: str = "sworn"
    duration_minutes: int = 30
    headcount: int | None = None
    group_officer_ids: list[str] = field(default_factory=list)
    referrals: list[str] = field(default_factory=list)
    referral_providers: str = ""
    risk_level: str = "none"
    exceptions: list[str] = field(default_factory=list)
    incident_ref: str = ""
    notes: str = ""
    follow_up: bool = False
    incident_at: datetime | None = None  # None: the incident is the contact's own time
    checkin_id: str | None = None  # set when editing a saved check-in

    def __repr__(self) -> str:  # keep typed text out of logs and tracebacks
        return "<FormState>"

    def to_payload(self) -> dict[str, Any]:
        data = asdict(self)
        data["occurred_at"] = self.occurred_at.isoformat()
        data["incident_at"] = self.incident_at.isoformat() if self.incident_at else None
        data["kind"] = DRAFT_KIND
        data["version"] = DRAFT_VERSION
        return data

    @classmethod
    def from_payload(cls, payload: dict[str, Any], fallback: FormState) -> FormState:
        """Read a draft defensively: a value of the wrong type keeps the fallback's value."""
        values: dict[str, Any] = {}
        for f in fields(cls):
            current = getattr(fallback, f.name)
            raw = payload.get(f.name, current)
            values[f.name] = _coerce(f.name, raw, current)
        return cls(**values)

    @classmethod
    def from_detail(cls, detail: CheckinDetail) -> FormState:
        c = detail.checkin
        officer = detail.officer
        return cls(
            occurred_at=c.occurred_at,
            officer_text=officer.alias if officer else "",
            officer_id=officer.id if officer else None,
            notice_confirmed=False,
            incident_category=c.incident_category,
            contact_type=c.contact_type,
            initiated_by=c.initiated_by,
            recipient_class=c.recipient_class,
            duration_minutes=c.duration_minutes,
            headcount=c.headcount,
            group_officer_ids=list(c.group_officer_ids),
            referrals=list(c.referrals),
            referral_providers=c.referral_providers,
            risk_level=c.risk_level,
            exceptions=list(c.exceptions),
            incident_ref=c.incident_ref,
            notes=c.notes,
            follow_up=c.follow_up,
            checkin_id=c.id,
        )


def _coerce(name: str, raw: Any, current: Any) -> Any:
    if name == "incident_at" and raw is None:
        return None
    if name in ("occurred_at", "incident_at"):
        if isinstance(raw, datetime):
            return raw
        try:
            when = datetime.fromisoformat(raw)
        except (TypeError, ValueError):
            return current
        return when if when.tzinfo is not None else current
    if name in ("officer_id", "checkin_id"):
        return raw if raw is None or isinstance(raw, str) else current
    if name == "headcount":
        ok = raw is None or (isinstance(raw, int) and not isinstance(raw, bool))
        return raw if ok else current
    if isinstance(current, bool):
        return raw if isinstance(raw, bool) else current
    if isinstance(current, int):
        return raw if isinstance(raw, int) and not isinstance(raw, bool) else current
    if isinstance(current, str):
        return raw if isinstance(raw, str) else current
    if isinstance(current, list):
        ok = isinstance(raw, list) and all(isinstance(v, str) for v in raw)
        return list(raw) if ok else list(current)
    return current
