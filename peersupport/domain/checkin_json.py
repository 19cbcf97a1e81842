"""The check-in JSON format of the command line: one object in, one object out.

Pure: no files, no database. ``parse_checkin`` takes what ``json.loads`` made (or
``parse_checkin_text`` the text itself) and either returns a :class:`CheckinInput` or raises
:class:`CheckinInputError` naming the field at fault. The published JSON Schema
(``resources/checkin.schema.json``) describes the same input; a test keeps the two in step.
The parser checks a little more than the schema can say: that the date exists in the
calendar, and that text is valid Unicode (no lone surrogates).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from peersupport.domain import codes
from peersupport.domain.checkin import MAX_NOTES, MAX_SHORT_TEXT, CheckIn, validate
from peersupport.domain.officer import Officer

MAX_OFFICER_TEXT = MAX_SHORT_TEXT

REQUIRED = (
    "occurred_at", "officer", "incident_category", "contact_type", "initiated_by",
    "recipient_class", "duration_minutes", "referrals",
)
OPTIONAL = ("risk_level", "exceptions", "incident_ref", "notes", "follow_up", "headcount")
OFFICER_REQUIRED = ("alias",)
OFFICER_OPTIONAL = ("name", "contact")

# ISO 8601 / RFC 3339 date and time with a UTC offset; seconds and fraction optional.
# Years from 1900 so the period is always YYYY-MM. ASCII digits only ([0-9], not \d).
DATETIME_PATTERN = (
    r"^(19[0-9]{2}|[2-9][0-9]{3})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])"
    r"T([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\.[0-9]{1,6})?)?"
    r"(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9])$"
)
_DATETIME = re.compile(DATETIME_PATTERN.removesuffix("$"))

_CODE_FIELDS: dict[str, Mapping[str, str]] = {
    "incident_category": codes.INCIDENT_CATEGORIES,
    "contact_type": codes.CONTACT_TYPES,
    "initiated_by": codes.INITIATED_BY,
    "recipient_class": codes.RECIPIENT_CLASSES,
    "risk_level": codes.RISK_LEVELS,
}


class CheckinInputError(ValueError):
    """The input is not a valid check-in. ``field`` names the key at fault (dotted for the
    officer object, e.g. ``officer.alias``); it is empty when the whole document is wrong."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"field '{field}': {message}" if field else message)
        self.field = field
        self.message = message


@dataclass(frozen=True)
class OfficerInput:
    alias: str
    name: str = ""
    contact: str = ""

    def __repr__(self) -> str:  # keep names out of logs and tracebacks
        return "<OfficerInput>"


@dataclass
class CheckinInput:
    """A valid check-in whose officer is not resolved yet (``checkin.officer_id`` is None)."""

    checkin: CheckIn
    officer: OfficerInput


# -- small typed readers -------------------------------------------------------------------------
def _shorten(key: str) -> str:
    return key if len(key) <= 40 else key[:40] + "…"


def _describe(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def _text(name: str, value: object, limit: int) -> str:
    if not isinstance(value, str):
        raise CheckinInputError(name, f"must be a string, not {_describe(value)}")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise CheckinInputError(name, "contains characters that are not valid Unicode") from None
    if len(value) > limit:
        raise CheckinInputError(name, f"at most {limit:,} characters")
    return value


def _optional_text(name: str, data: Mapping[str, object], limit: int) -> str:
    value = data.get(name)
    return "" if value is None else _text(name, value, limit)


def _integer(name: str, value: object) -> int:
    # JSON has one number type: 30 and 30.0 are the same number (JSON Schema agrees).
    # A boolean is not a number here, although Python's bool is an int.
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise CheckinInputError(name, f"must be a whole number, not {_describe(value)}")
    if isinstance(value, float):
        if not math.isfinite(value) or not value.is_integer():
            raise CheckinInputError(name, "must be a whole number")
        return int(value)
    return value


def _code(name: str, value: object) -> str:
    allowed = _CODE_FIELDS[name]
    if not isinstance(value, str):
        raise CheckinInputError(name, f"must be a string, not {_describe(value)}")
    if value not in allowed:
        raise CheckinInputError(name, f"unknown code; expected one of: {', '.join(allowed)}")
    return value


def _code_list(name: str, value: object, allowed: Mapping[str, str]) -> list[str]:
    if not isinstance(value, list):
        raise CheckinInputError(name, f"must be a list of codes, not {_describe(value)}")
    out: list[str] = []
    for item in value:
        if not isinstance(item, str) or item not in allowed:
            raise CheckinInputError(
                name, f"unknown code in the list; expected any of: {', '.join(allowed)}"
            )
        if item in out:
            raise CheckinInputError(name, "a code is listed twice")
        out.append(item)
    return out


def parse_datetime(name: str, value: object) -> datetime:
    if not isinstance(value, str):
        raise CheckinInputError(name, f"must be a string, not {_describe(value)}")
    if _DATETIME.fullmatch(value) is None:
        raise CheckinInputError(
            name, "must be an ISO 8601 date and time with a UTC offset, "
            "e.g. 2025-03-14T21:30:00-05:00 (year 1900 or later)"
        )
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        raise CheckinInputError(name, "is not a date that exists in the calendar") from None
    return when


def _check_keys(where: str, data: Mapping[str, object], required: Sequence[str],
                optional: Sequence[str]) -> None:
    prefix = f"{where}." if where else ""
    for key in data:
        if key not in required and key not in optional:
            shown = _shorten(str(key))
            raise CheckinInputError(f"{prefix}{shown}", "unknown key")
    for key in required:
        if key not in data:
            raise CheckinInputError(f"{prefix}{key}", "is required")


def _officer(value: object) -> OfficerInput:
    if not isinstance(value, dict):
        raise CheckinInputError("officer", f"must be an object, not {_describe(value)}")
    _check_keys("officer", value, OFFICER_REQUIRED, OFFICER_OPTIONAL)
    alias = _text("officer.alias", value["alias"], MAX_OFFICER_TEXT).strip()
    if not alias:
        raise CheckinInputError("officer.alias", "must not be empty")
    name = value.get("name")
    contact = value.get("contact")
    return OfficerInput(
        alias=alias,
        name="" if name is None else _text("officer.name", name, MAX_OFFICER_TEXT).strip(),
        contact=(
            "" if contact is None else _text("officer.contact", contact, MAX_OFFICER_TEXT).strip()
        ),
    )


# -- parsing --------------------------------------------------------------------------------------
def parse_checkin(data: object) -> CheckinInput:
    """Check one decoded JSON value; raise :class:`CheckinInputError` naming the field."""
    if not isinstance(data, dict):
        raise CheckinInputError("", f"a check-in must be a JSON object, not {_describe(data)}")
    _check_keys("", data, REQUIRED, OPTIONAL)
    when = parse_datetime("occurred_at", data["occurred_at"])
    officer = _officer(data["officer"])
    category = _code("incident_category", data["incident_category"])
    contact_type = _code("contact_type", data["contact_type"])
    initiated_by = _code("initiated_by", data["initiated_by"])
    recipient = _code("recipient_class", data["recipient_class"])
    duration = _integer("duration_minutes", data["duration_minutes"])
    referrals = _code_list("referrals", data["referrals"], codes.REFERRAL_TYPES)
    risk = data.get("risk_level")
    exceptions = data.get("exceptions")
    follow_up = data.get("follow_up")
    if follow_up is not None and not isinstance(follow_up, bool):
        raise CheckinInputError("follow_up", f"must be true or false, not {_describe(follow_up)}")
    headcount = data.get("headcount")
    checkin = CheckIn(
        occurred_at=when,
        officer_id=None,
        incident_category=category,
        contact_type=contact_type,
        initiated_by=initiated_by,
        recipient_class=recipient,
        duration_minutes=duration,
        referrals=referrals,
        risk_level="none" if risk is None else _code("risk_level", risk),
        exceptions=(
            [] if exceptions is None
            else _code_list("exceptions", exceptions, codes.EXCEPTION_FLAGS)
        ),
        incident_ref=_optional_text("incident_ref", data, MAX_SHORT_TEXT),
        notes=_optional_text("notes", data, MAX_NOTES),
        follow_up=bool(follow_up),
        headcount=None if headcount is None else _integer("headcount", headcount),
    )
    # The domain's own rules (ranges, lengths, headcount only for groups). The officer is
    # resolved later against the vault, so its "missing" error does not apply here.
    errors = {k: v for k, v in validate(checkin).items() if k != "officer"}
    if errors:
        name, message = next(iter(errors.items()))
        raise CheckinInputError(name, message.rstrip("."))
    return CheckinInput(checkin, officer)


def _reject_constant(name: str) -> float:
    raise CheckinInputError("", f"not valid JSON: {name} is not a number in JSON")


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise CheckinInputError(_shorten(key), "the key appears twice")
        out[key] = value
    return out


def loads_strict(text: str) -> object:
    """``json.loads`` that refuses NaN/Infinity and repeated keys, with a clear error."""
    try:
        return json.loads(
            text, object_pairs_hook=_no_duplicates, parse_constant=_reject_constant
        )
    except json.JSONDecodeError as exc:
        raise CheckinInputError(
            "", f"not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"
        ) from None
    except RecursionError:
        raise CheckinInputError("", "not valid JSON: nested too deeply") from None
    except ValueError as exc:
        if isinstance(exc, CheckinInputError):
            raise
        raise CheckinInputError("", "not valid JSON: a number is too long") from None


def parse_checkin_text(text: str) -> CheckinInput:
    return parse_checkin(loads_strict(text))


# -- the officer ----------------------------------------------------------------------------------
def same_alias(a: str, b: str) -> bool:
    """Aliases match case-insensitively and exactly otherwise (surrounding spaces ignored)."""
    return a.strip().casefold() == b.strip().casefold()


def resolve_officer(
    parsed: CheckinInput, officers: Sequence[Officer]
) -> tuple[CheckIn, list[Officer]]:
    """Link the check-in to the officer with this alias, or to a new officer.

    Returns the check-in and the officers to create with it (empty or one). The name and
    contact are used only for a new officer; an existing officer is never changed here.
    """
    matches = [o for o in officers if same_alias(o.alias, parsed.officer.alias)]
    if len(matches) > 1:
        raise CheckinInputError(
            "officer.alias",
            f"{len(matches)} officers have this alias; give them distinct aliases in the app",
        )
    checkin = parsed.checkin
    if matches:
        checkin.officer_id = matches[0].id
        return checkin, []
    new = Officer(
        alias=parsed.officer.alias, full_name=parsed.officer.name,
        contact=parsed.officer.contact,
    )
    checkin.officer_id = new.id
    return checkin, [new]


# -- output ---------------------------------------------------------------------------------------
def officer_to_json(officer: Officer) -> dict[str, Any]:
    return {
        "id": officer.id, "alias": officer.alias, "name": officer.full_name,
        "contact": officer.contact,
    }


def checkin_to_json(
    checkin: CheckIn, officer: Officer | None, group_officers: Sequence[Officer] = ()
) -> dict[str, Any]:
    """Everything about one check-in, with the input keys under the same names (so what
    ``checkin add`` took can be compared with what ``checkin show --json`` gives)."""
    return {
        "id": checkin.id,
        "occurred_at": checkin.occurred_at.isoformat(),
        "period": checkin.period,
        "officer": officer_to_json(officer) if officer is not None else None,
        "group_officers": [{"id": o.id, "alias": o.alias} for o in group_officers],
        "incident_category": checkin.incident_category,
        "contact_type": checkin.contact_type,
        "initiated_by": checkin.initiated_by,
        "recipient_class": checkin.recipient_class,
        "duration_minutes": checkin.duration_minutes,
        "duration_bucket": checkin.duration_bucket,
        "referrals": list(checkin.referrals),
        "referral_providers": checkin.referral_providers,
        "risk_level": checkin.risk_level,
        "exceptions": list(checkin.exceptions),
        "incident_ref": checkin.incident_ref,
        "notes": checkin.notes,
        "follow_up": checkin.follow_up,
        "headcount": checkin.headcount,
    }
