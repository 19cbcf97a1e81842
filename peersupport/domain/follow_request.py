"""A follow-up request an officer leaves for a peer supporter, and what the supporter does
with it. Pure: no keys, no database.

An officer writes an :class:`OfficerRequest` (every field optional but the urgency); it is
sealed to the vault's public key at once (see ``crypto.request_seal``). After unlock it becomes
a :class:`ReceivedRequest`, sealed under the data key, that the supporter accepts (links to an
officer and schedules a follow-up) or closes with a note.
"""

from __future__ import annotations

import json
import secrets
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

ROUTINE = "routine"
WITHIN_24H = "within_24h"
URGENT_NOW = "urgent_now"
URGENCIES = {
    URGENT_NOW: "Urgent - now",
    WITHIN_24H: "Within 24 hours",
    ROUTINE: "Routine",
}
URGENCY_ORDER = {URGENT_NOW: 0, WITHIN_24H: 1, ROUTINE: 2}

CONTACT_METHODS = {
    "phone": "Phone",
    "email": "E-mail",
    "in_person": "In person",
}

LIMITS = {"address_as": 80, "contact": 200, "best_times": 200, "message": 2000}
MAX_NOTE = 2000
PAYLOAD_VERSION = 1

# How a request reached the vault
VIA_FORM = "form"  # the form on the supporter's laptop
VIA_COMMAND = "command"  # ``peersupport request submit``
VIA_FILE = "file"  # a .psreq file made with a request card, then imported

OPEN = "open"
ACCEPTED = "accepted"
CLOSED = "closed"
STATES = (OPEN, ACCEPTED, CLOSED)

CRISIS_RESOURCES: tuple[tuple[str, str], ...] = (
    ("988 Suicide & Crisis Lifeline (call or text)", "988"),
    ("COPLINE, by and for officers (24/7)", "1-800-267-5463"),
)
_REFERENCE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base32
_EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)  # the range a request's time must lie in
_LATEST = datetime(9000, 1, 1, tzinfo=UTC)


# bidirectional embeddings, overrides and isolates: they can make text read differently on
# screen than it is stored (a name shown reversed, a number changed)
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def has_hidden_characters(text: str) -> bool:
    """Control characters (C0 but tab and newline, DEL, C1) or bidi controls."""
    return any(
        (unicodedata.category(c) == "Cc" and c not in "\n\t") or c in _BIDI_CONTROLS
        for c in text
    )


class RequestInputError(ValueError):
    """The request cannot be sent as it is; the message says why, in plain words."""


def new_request_id() -> str:
    """A random request id: 130 random bits as 26 Crockford base32 characters. Its first
    eight characters are the reference code the officer is given."""
    number = secrets.randbits(130)
    return "".join(_REFERENCE_ALPHABET[(number >> s) & 31] for s in range(125, -1, -5))


def reference_code(request_id: str) -> str:
    """The short code an officer can quote: the id's first eight characters, ``7K2M-0QXD``."""
    head = request_id[:8].upper()
    return f"{head[:4]}-{head[4:8]}" if len(head) == 8 else head


@dataclass(frozen=True)
class OfficerRequest:
    """What the officer typed. Nothing here is ever written in the clear."""

    urgency: str = ROUTINE
    address_as: str = ""
    contact_method: str = ""  # "" or a key of CONTACT_METHODS
    contact: str = ""
    best_times: str = ""
    message: str = ""
    submitted_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    via: str = VIA_FORM

    def __repr__(self) -> str:  # keep what the officer typed out of logs and tracebacks
        return f"<OfficerRequest {self.urgency}>"

    @property
    def is_anonymous(self) -> bool:
        return not self.address_as.strip()

    def validated(self) -> OfficerRequest:
        """The request with whitespace trimmed; raises RequestInputError when it cannot go."""
        if self.urgency not in URGENCIES:
            raise RequestInputError(
                "Choose how soon: " + ", ".join(URGENCIES) + f" (not '{self.urgency[:20]}').")
        if self.contact_method and self.contact_method not in CONTACT_METHODS:
            raise RequestInputError(
                "How to reach you must be one of: " + ", ".join(CONTACT_METHODS) + ".")
        if self.submitted_at.tzinfo is None:
            raise RequestInputError("The time of the request needs a time zone.")
        try:  # a time at the edge of what Python holds would overflow every later conversion
            in_range = _EARLIEST <= self.submitted_at.astimezone(UTC) < _LATEST
        except OverflowError:
            in_range = False
        if not in_range:
            raise RequestInputError("The time of the request is out of range.")
        values = {name: getattr(self, name).strip() for name in LIMITS}
        for name, limit in LIMITS.items():
            if len(values[name]) > limit:
                raise RequestInputError(
                    f"{_FIELD_NAMES[name]} can be at most {limit:,} characters "
                    f"({len(values[name]):,} now).")
            if has_hidden_characters(values[name]):
                raise RequestInputError(f"{_FIELD_NAMES[name]} holds control characters.")
        if self.contact_method in ("phone", "email") and not values["contact"]:
            raise RequestInputError(
                f"Add the {CONTACT_METHODS[self.contact_method].lower()} to reach you at, "
                "or choose another way.")
        return replace(self, **values)

    # -- the sealed payload ------------------------------------------------------------------
    def to_payload(self) -> bytes:
        request = self.validated()
        body = {
            "v": PAYLOAD_VERSION,
            "urgency": request.urgency,
            "address_as": request.address_as,
            "contact_method": request.contact_method,
            "contact": request.contact,
            "best_times": request.best_times,
            "message": request.message,
            "submitted_at": request.submitted_at.astimezone(UTC).isoformat(timespec="seconds"),
            "via": request.via,
        }
        return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode("utf-8")

    @staticmethod
    def from_payload(data: bytes) -> OfficerRequest:
        """Raises RequestInputError for a payload that is not a valid request."""
        try:
            body = json.loads(data.decode("utf-8"))
        except (ValueError, RecursionError):
            raise RequestInputError("The request's contents are not readable.") from None
        version = body.get("v") if isinstance(body, dict) else None
        if type(version) is not int or version != PAYLOAD_VERSION:
            raise RequestInputError("The request's contents are in an unknown format.")
        text = {k: body.get(k, "") for k in (*LIMITS, "urgency", "contact_method", "via",
                                               "submitted_at")}
        if not all(isinstance(v, str) for v in text.values()):
            raise RequestInputError("The request's contents are malformed.")
        try:
            when = datetime.fromisoformat(text["submitted_at"])
        except ValueError:
            raise RequestInputError("The request's time is malformed.") from None
        if when.tzinfo is None:
            raise RequestInputError("The request's time has no time zone.")
        request = OfficerRequest(
            urgency=text["urgency"], address_as=text["address_as"],
            contact_method=text["contact_method"], contact=text["contact"],
            best_times=text["best_times"], message=text["message"], submitted_at=when,
            via=text["via"] if text["via"] in (VIA_FORM, VIA_COMMAND, VIA_FILE) else VIA_FILE,
        )
        return request.validated()


_FIELD_NAMES = {
    "address_as": "How to address you",
    "contact": "How to reach you",
    "best_times": "Best times",
    "message": "The message",
}
_JSON_KEYS = frozenset({"address_as", "contact", "best_times", "urgency", "message"})


def request_from_json(data: object, via: str = VIA_COMMAND) -> OfficerRequest:
    """A request from the command line's JSON (``address_as``, ``contact``, ``best_times``,
    ``urgency``, ``message``). ``contact`` is text, or ``{"method": "phone", "detail": ...}``
    with a method of phone, email or in_person. Raises RequestInputError."""
    if not isinstance(data, Mapping):
        raise RequestInputError("The request must be a JSON object.")
    unknown = set(data) - _JSON_KEYS
    if unknown:
        raise RequestInputError("Unknown field(s): " + ", ".join(sorted(map(str, unknown)))[:200]
                                + ".")
    if "urgency" not in data:
        raise RequestInputError("'urgency' is required: " + ", ".join(URGENCIES) + ".")
    method, contact = "", data.get("contact", "")
    if isinstance(contact, Mapping):
        extra = set(contact) - {"method", "detail"}
        if extra:
            raise RequestInputError("'contact' takes only 'method' and 'detail'.")
        method, contact = contact.get("method", ""), contact.get("detail", "")
    values: dict[str, Any] = {k: data.get(k, "") for k in ("address_as", "best_times",
                                                            "urgency", "message")}
    values.update(contact=contact, contact_method=method)
    for name, value in values.items():
        if not isinstance(value, str):
            raise RequestInputError(f"'{name}' must be text.")
    return OfficerRequest(**values, via=via).validated()


@dataclass(frozen=True)
class ReceivedRequest:
    """A request in the supporter's inbox (sealed under the data key)."""

    id: str
    request: OfficerRequest
    received_at: datetime
    state: str = OPEN
    seen: bool = False
    officer_id: str = ""  # set when accepted
    plan_id: str = ""  # the follow-up scheduled when accepted
    follow_up_at: datetime | None = None
    note: str = ""  # the supporter's note when closing (or accepting)
    handled_at: datetime | None = None

    def __repr__(self) -> str:
        return f"<ReceivedRequest {self.id} {self.state}>"

    @property
    def reference(self) -> str:
        return reference_code(self.id)

    @property
    def urgency(self) -> str:
        return self.request.urgency

    def sort_key(self) -> tuple[int, int, datetime]:
        """Open before handled; urgent first; then oldest first."""
        return (self.state != OPEN, URGENCY_ORDER.get(self.urgency, 9),
                self.request.submitted_at.astimezone(UTC))

    def to_json(self) -> str:
        body = {
            "v": 1, "id": self.id, "payload": self.request.to_payload().decode("utf-8"),
            "received_at": self.received_at.astimezone(UTC).isoformat(),
            "state": self.state, "seen": self.seen, "officer_id": self.officer_id,
            "plan_id": self.plan_id, "note": self.note,
            "follow_up_at": _iso(self.follow_up_at), "handled_at": _iso(self.handled_at),
        }
        return json.dumps(body, separators=(",", ":"), ensure_ascii=False)

    @staticmethod
    def from_json(text: str) -> ReceivedRequest:
        """Raises ValueError (or KeyError/TypeError) on a malformed record."""
        body = json.loads(text)
        if not isinstance(body, dict) or body.get("v") != 1 or body["state"] not in STATES:
            raise ValueError("unknown request record")
        return ReceivedRequest(
            id=str(body["id"]),
            request=OfficerRequest.from_payload(str(body["payload"]).encode("utf-8")),
            received_at=_time(body["received_at"]), state=str(body["state"]),
            seen=bool(body["seen"]), officer_id=str(body["officer_id"]),
            plan_id=str(body["plan_id"]), note=str(body["note"]),
            follow_up_at=_opt_time(body["follow_up_at"]),
            handled_at=_opt_time(body["handled_at"]),
        )


def _iso(when: datetime | None) -> str | None:
    return None if when is None else when.astimezone(UTC).isoformat()


def _time(text: object) -> datetime:
    if not isinstance(text, str):
        raise ValueError("a time is missing")
    value = datetime.fromisoformat(text)
    if value.tzinfo is None:
        raise ValueError("a stored time has no time zone")
    return value


def _opt_time(text: object) -> datetime | None:
    return None if text is None else _time(text)


def parse_crisis_resources(text: str) -> tuple[tuple[str, str], ...]:
    """The agency's own crisis lines from Preferences, one per line as ``Name: number``
    (a line without a colon is shown as it is)."""
    found = []
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        name, sep, number = line.rpartition(":")
        found.append((name.strip(), number.strip()) if sep and name.strip() else (line, ""))
    return tuple(found[:12])


def crisis_resources(agency_text: str = "") -> tuple[tuple[str, str], ...]:
    """Every crisis resource shown for an urgent request: the national ones, then the
    agency's."""
    return CRISIS_RESOURCES + parse_crisis_resources(agency_text)
