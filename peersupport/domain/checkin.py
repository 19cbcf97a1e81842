"""A check-in: one confidential contact. Pure data and its rules."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime

from peersupport.domain import codes

MAX_NOTES = 20_000
MAX_SHORT_TEXT = 200
MAX_DURATION_MINUTES = 24 * 60
MAX_HEADCOUNT = 500


@dataclass
class CheckIn:
    occurred_at: datetime  # timezone-aware
    officer_id: str | None
    incident_category: str
    contact_type: str
    initiated_by: str
    recipient_class: str
    duration_minutes: int
    referrals: list[str] = field(default_factory=list)
    referral_providers: str = ""
    risk_level: str = "none"
    exceptions: list[str] = field(default_factory=list)
    incident_ref: str = ""
    notes: str = ""
    follow_up: bool = False
    headcount: int | None = None
    group_officer_ids: list[str] = field(default_factory=list)
    id: str = field(default_factory=lambda: str(uuid.uuid4()))

    def __repr__(self) -> str:  # keep record data out of logs and tracebacks
        return f"<CheckIn {self.id}>"

    @property
    def period(self) -> str:
        return self.occurred_at.strftime("%Y-%m")

    @property
    def duration_bucket(self) -> str:
        return codes.duration_bucket(self.duration_minutes)

    @property
    def is_group(self) -> bool:
        return self.contact_type in codes.GROUP_CONTACT_TYPES

    @property
    def needs_guidance(self) -> bool:
        return self.risk_level in codes.HIGH_RISK or bool(self.exceptions)


def validate(checkin: CheckIn) -> dict[str, str]:
    """Field name -> what is wrong, in words a supporter understands. Empty when valid."""
    errors: dict[str, str] = {}
    when = checkin.occurred_at
    if when.tzinfo is None or when.utcoffset() is None:
        errors["occurred_at"] = "The date and time need a time zone."
    if checkin.officer_id is None and not (checkin.is_group and checkin.headcount):
        errors["officer"] = "Choose the officer, or add a new one."
    for name, value, allowed in (
        ("incident_category", checkin.incident_category, codes.INCIDENT_CATEGORIES),
        ("contact_type", checkin.contact_type, codes.CONTACT_TYPES),
        ("initiated_by", checkin.initiated_by, codes.INITIATED_BY),
        ("recipient_class", checkin.recipient_class, codes.RECIPIENT_CLASSES),
        ("risk_level", checkin.risk_level, codes.RISK_LEVELS),
    ):
        if value not in allowed:
            errors[name] = f"Unknown value '{value}'."
    if not 1 <= checkin.duration_minutes <= MAX_DURATION_MINUTES:
        errors["duration_minutes"] = f"Between 1 and {MAX_DURATION_MINUTES} minutes."
    bad = [r for r in checkin.referrals if r not in codes.REFERRAL_TYPES]
    if bad or len(set(checkin.referrals)) != len(checkin.referrals):
        errors["referrals"] = f"Unknown or repeated referral: {', '.join(bad) or 'repeated'}."
    bad = [e for e in checkin.exceptions if e not in codes.EXCEPTION_FLAGS]
    if bad or len(set(checkin.exceptions)) != len(checkin.exceptions):
        errors["exceptions"] = f"Unknown or repeated exception: {', '.join(bad) or 'repeated'}."
    if checkin.headcount is not None:
        if not checkin.is_group:
            errors["headcount"] = "A headcount is only for group contacts."
        elif not 1 <= checkin.headcount <= MAX_HEADCOUNT:
            errors["headcount"] = f"Between 1 and {MAX_HEADCOUNT}."
    if len(checkin.notes) > MAX_NOTES:
        errors["notes"] = f"Notes are limited to {MAX_NOTES:,} characters."
    for name in ("incident_ref", "referral_providers"):
        if len(getattr(checkin, name)) > MAX_SHORT_TEXT:
            errors[name] = f"At most {MAX_SHORT_TEXT} characters."
    return errors
