"""Follow-up requests as plain values, with no key or database: what an officer may send
(urgency, contact details, length limits, control characters, the time), the sealed payload and
the inbox record round trips, the command line's JSON, the inbox order, request ids and
reference codes, and the crisis lines shown with an urgent request. Hypothesis: no payload bytes
and no JSON value make the parsers fail with anything but RequestInputError, and whatever they
accept can be sealed and read back unchanged.

(Arbitrary and mutated ``.psreq`` files are covered in tests/test_request_seal.py.)"""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from peersupport.crypto import request_seal
from peersupport.domain.follow_request import (
    ACCEPTED,
    CLOSED,
    CONTACT_METHODS,
    CRISIS_RESOURCES,
    LIMITS,
    OPEN,
    ROUTINE,
    URGENCIES,
    URGENT_NOW,
    VIA_COMMAND,
    VIA_FILE,
    VIA_FORM,
    WITHIN_24H,
    OfficerRequest,
    ReceivedRequest,
    RequestInputError,
    crisis_resources,
    new_request_id,
    parse_crisis_resources,
    reference_code,
    request_from_json,
)

T0 = datetime(2026, 2, 10, 15, 0, 0, tzinfo=UTC)
CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
REFERENCE = re.compile(r"[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}")
# what the .psreq format accepts as a request id (docs/request-format.md, "Header")
PSREQ_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
EXPECTED_LIMITS = {"address_as": 80, "contact": 200, "best_times": 200, "message": 2000}


def full_request(**changes: Any) -> OfficerRequest:
    values: dict[str, Any] = {
        "urgency": WITHIN_24H,
        "address_as": "Sgt. Dána Ñúñez",
        "contact_method": "phone",
        "contact": "+1 555 0100",
        "best_times": "after 18:00\nor weekends",
        "message": "Rough call last night.\tCan we talk? 🚓",
        "submitted_at": T0,
        "via": VIA_FORM,
    }
    values.update(changes)
    return OfficerRequest(**values)


def payload_of(**changes: Any) -> bytes:
    body: dict[str, Any] = {
        "v": 1, "urgency": ROUTINE, "address_as": "", "contact_method": "", "contact": "",
        "best_times": "", "message": "hello", "submitted_at": "2026-02-10T15:00:00+00:00",
        "via": VIA_FORM,
    }
    body.update(changes)
    return json.dumps({k: v for k, v in body.items() if v is not _MISSING}).encode()


_MISSING = object()


# -- what an officer may send ---------------------------------------------------------------------
def test_only_the_urgency_is_needed_and_no_name_means_anonymous() -> None:
    request = OfficerRequest(submitted_at=T0).validated()
    assert request.urgency == ROUTINE
    assert request.is_anonymous
    assert OfficerRequest(address_as="   \n", submitted_at=T0).validated().is_anonymous
    assert not OfficerRequest(address_as="Rivera", submitted_at=T0).is_anonymous
    assert OfficerRequest.from_payload(request.to_payload()) == request


def test_every_urgency_and_contact_method_is_accepted() -> None:
    assert set(URGENCIES) == {URGENT_NOW, WITHIN_24H, ROUTINE}
    for urgency in URGENCIES:
        assert full_request(urgency=urgency).validated().urgency == urgency
    for method in CONTACT_METHODS:
        assert full_request(contact_method=method).validated().contact_method == method
    assert full_request(contact_method="", contact="any way").validated().contact == "any way"


@pytest.mark.parametrize("urgency", ["", "URGENT_NOW", "soon", "routine "])
def test_an_unknown_urgency_is_refused(urgency: str) -> None:
    with pytest.raises(RequestInputError, match="Choose how soon"):
        full_request(urgency=urgency).validated()


def test_an_unknown_contact_method_is_refused() -> None:
    with pytest.raises(RequestInputError, match="How to reach you must be one of"):
        full_request(contact_method="fax").validated()


@pytest.mark.parametrize("method", ["phone", "email"])
@pytest.mark.parametrize("contact", ["", "   ", "\n\t"])
def test_phone_or_email_without_the_number_or_address_is_refused(
    method: str, contact: str
) -> None:
    name = CONTACT_METHODS[method].lower()
    with pytest.raises(RequestInputError, match=f"Add the {name} to reach you at"):
        full_request(contact_method=method, contact=contact).validated()


def test_in_person_needs_no_contact_detail() -> None:
    request = full_request(contact_method="in_person", contact="").validated()
    assert (request.contact_method, request.contact) == ("in_person", "")


def test_whitespace_is_trimmed() -> None:
    request = full_request(address_as="  Rivera \n", message="\n  hi there \t").validated()
    assert (request.address_as, request.message) == ("Rivera", "hi there")


def test_the_limits() -> None:
    assert LIMITS == EXPECTED_LIMITS


@pytest.mark.parametrize("name", sorted(EXPECTED_LIMITS))
def test_each_field_is_limited_in_characters_after_trimming(name: str) -> None:
    limit = EXPECTED_LIMITS[name]
    base = {"contact_method": ""}
    # exactly the limit, in multi-byte characters and with whitespace around: accepted
    at_limit = full_request(**base, **{name: "  " + "é" * limit + "\n"}).validated()
    assert getattr(at_limit, name) == "é" * limit
    with pytest.raises(RequestInputError, match=f"at most {limit:,} characters") as caught:
        full_request(**base, **{name: "x" * (limit + 1)}).validated()
    assert f"({limit + 1:,} now)" in str(caught.value)


@pytest.mark.parametrize("name", sorted(EXPECTED_LIMITS))
@pytest.mark.parametrize("char", ["\x00", "\x07", "\x1b", "\r", "\x1f", "\x0b"])
def test_control_characters_are_refused(name: str, char: str) -> None:
    with pytest.raises(RequestInputError, match="holds control characters"):
        full_request(contact_method="", **{name: f"before{char}after"}).validated()


def test_new_lines_and_tabs_are_allowed_inside_a_field() -> None:
    request = full_request(message="line one\nline two\tand a tab").validated()
    assert request.message == "line one\nline two\tand a tab"


def test_a_time_without_a_zone_is_refused() -> None:
    with pytest.raises(RequestInputError, match="time zone"):
        full_request(submitted_at=datetime(2026, 2, 10, 9, 0)).validated()


@pytest.mark.parametrize("when", [
    datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=5))),
    datetime(9999, 12, 31, 23, 0, tzinfo=timezone(timedelta(hours=-5))),
    datetime(9999, 12, 31, 23, 0, tzinfo=UTC),  # a day later cannot be computed
    datetime(1, 1, 1, tzinfo=UTC),
])
def test_a_time_that_cannot_be_worked_with_is_refused(when: datetime) -> None:
    """Anyone with a request card can put any time in a request: one at the very edge of
    what Python can hold would crash every later conversion (to UTC, or 24 hours on)."""
    with pytest.raises(RequestInputError, match="time"):
        full_request(submitted_at=when).validated()
    with pytest.raises(RequestInputError):
        OfficerRequest.from_payload(payload_of(submitted_at=when.isoformat()))


@pytest.mark.parametrize("when", [
    datetime(1999, 12, 31, 23, 59, tzinfo=timezone(timedelta(hours=-12))),
    datetime(2026, 2, 10, 9, 0, tzinfo=timezone(timedelta(hours=14))),
    datetime(2100, 1, 1, tzinfo=UTC),
])
def test_ordinary_times_are_accepted_in_any_zone(when: datetime) -> None:
    request = full_request(submitted_at=when)
    assert request.validated().submitted_at == when
    assert OfficerRequest.from_payload(request.to_payload()).submitted_at == when


def test_repr_never_shows_what_was_typed() -> None:
    request = full_request()
    assert repr(request) == "<OfficerRequest within_24h>"
    for value in (request.address_as, request.contact, request.message):
        assert value not in repr(request) and value not in str(request)


# -- the sealed payload ---------------------------------------------------------------------------
def test_payload_round_trip() -> None:
    request = full_request()
    data = request.to_payload()
    assert OfficerRequest.from_payload(data) == request
    body = json.loads(data)
    assert body["v"] == 1 and body["submitted_at"] == "2026-02-10T15:00:00+00:00"
    assert set(body) == {"v", "urgency", "address_as", "contact_method", "contact",
                         "best_times", "message", "submitted_at", "via"}


def test_payload_keeps_the_instant_to_the_second_in_utc() -> None:
    local = datetime(2026, 2, 10, 17, 0, 0, 987654, tzinfo=timezone(timedelta(hours=2)))
    back = OfficerRequest.from_payload(full_request(submitted_at=local).to_payload())
    assert back.submitted_at == T0  # 17:00 at +02:00, without the microseconds
    assert back.submitted_at.utcoffset() == timedelta(0)


@pytest.mark.parametrize("via", [VIA_FORM, VIA_COMMAND, VIA_FILE])
def test_payload_keeps_how_it_arrived(via: str) -> None:
    assert OfficerRequest.from_payload(full_request(via=via).to_payload()).via == via


def test_an_unknown_via_is_read_as_a_file() -> None:
    assert OfficerRequest.from_payload(payload_of(via="carrier pigeon")).via == VIA_FILE


def test_to_payload_refuses_what_cannot_be_sent() -> None:
    with pytest.raises(RequestInputError):
        full_request(urgency="later").to_payload()
    with pytest.raises(RequestInputError):
        full_request(message="x" * 2001).to_payload()


@pytest.mark.parametrize("data", [
    b"",
    b"\xff\xfe\x00",
    b"not json",
    b"[]",
    b'"a request"',
    b"null",
    b"1",
    b"[" * 100_000,
    payload_of(v=_MISSING),
    payload_of(v=2),
    payload_of(v="1"),
    payload_of(urgency=_MISSING),
    payload_of(urgency="whenever"),
    payload_of(message=5),
    payload_of(address_as=None),
    payload_of(contact=["+1 555"]),
    payload_of(best_times={"when": "now"}),
    payload_of(via=1),
    payload_of(submitted_at=_MISSING),
    payload_of(submitted_at="yesterday"),
    payload_of(submitted_at="2026-02-10T15:00:00"),  # no zone
    payload_of(submitted_at=1770735600),
    payload_of(message="x" * 2001),
    payload_of(message="bell\x07"),
    payload_of(contact_method="fax"),
    payload_of(contact_method="email", contact=""),
], ids=lambda d: repr(d[:40]))
def test_a_malformed_payload_is_refused(data: bytes) -> None:
    with pytest.raises(RequestInputError):
        OfficerRequest.from_payload(data)


def test_a_payload_with_only_the_needed_keys_is_read() -> None:
    minimal = json.dumps({"v": 1, "urgency": URGENT_NOW,
                          "submitted_at": "2026-02-10T15:00:00Z"}).encode()
    request = OfficerRequest.from_payload(minimal)
    assert (request.urgency, request.message, request.via) == (URGENT_NOW, "", VIA_FILE)
    assert request.submitted_at == T0


# -- the command line's JSON ----------------------------------------------------------------------
def test_json_with_contact_as_text() -> None:
    request = request_from_json({"urgency": "routine", "contact": " call 555 0100 ",
                                 "address_as": "Rivera", "best_times": "mornings",
                                 "message": "hi"})
    assert (request.contact_method, request.contact) == ("", "call 555 0100")
    assert (request.address_as, request.best_times, request.message) == (
        "Rivera", "mornings", "hi")
    assert request.via == VIA_COMMAND


def test_json_with_contact_as_an_object() -> None:
    request = request_from_json({"urgency": WITHIN_24H,
                                 "contact": {"method": "email", "detail": "r@example.invalid"}})
    assert (request.contact_method, request.contact) == ("email", "r@example.invalid")
    in_person = request_from_json({"urgency": ROUTINE, "contact": {"method": "in_person"}})
    assert (in_person.contact_method, in_person.contact) == ("in_person", "")


def test_json_via_is_passed_on() -> None:
    assert request_from_json({"urgency": ROUTINE}, via=VIA_FORM).via == VIA_FORM


@pytest.mark.parametrize(("data", "message"), [
    ([], "must be a JSON object"),
    ("routine", "must be a JSON object"),
    (None, "must be a JSON object"),
    ({"urgency": "routine", "name": "Rivera"}, r"Unknown field\(s\): name\."),
    ({"urgency": "routine", "via": "form", "age": 3}, r"Unknown field\(s\): age, via\."),
    ({"message": "hi"}, "'urgency' is required"),
    ({"urgency": 1}, "'urgency' must be text"),
    ({"urgency": "routine", "message": None}, "'message' must be text"),
    ({"urgency": "routine", "address_as": ["Rivera"]}, "'address_as' must be text"),
    ({"urgency": "routine", "best_times": {"from": 9}}, "'best_times' must be text"),
    ({"urgency": "routine", "contact": 5550100}, "'contact' must be text"),
    ({"urgency": "routine", "contact": {"method": 1}}, "'contact_method' must be text"),
    ({"urgency": "routine", "contact": {"method": "phone", "detail": 5}},
     "'contact' must be text"),
    ({"urgency": "routine", "contact": {"method": "phone", "detail": "5", "note": "x"}},
     "only 'method' and 'detail'"),
    ({"urgency": "routine", "contact": {"method": "fax", "detail": "5"}},
     "How to reach you must be one of"),
    ({"urgency": "routine", "contact": {"method": "email"}}, "Add the e-mail"),
    ({"urgency": "asap"}, "Choose how soon"),
])
def test_json_refusals(data: object, message: str) -> None:
    with pytest.raises(RequestInputError, match=message):
        request_from_json(data)


# -- the inbox record -----------------------------------------------------------------------------
def test_received_request_round_trip_open() -> None:
    record = ReceivedRequest(id=new_request_id(), request=full_request(),
                             received_at=T0 + timedelta(hours=1, microseconds=5))
    back = ReceivedRequest.from_json(record.to_json())
    assert back == record
    assert (back.state, back.seen, back.follow_up_at, back.handled_at) == (OPEN, False, None, None)


def test_received_request_round_trip_handled() -> None:
    berlin = timezone(timedelta(hours=1))
    record = ReceivedRequest(
        id=new_request_id(), request=full_request(urgency=URGENT_NOW),
        received_at=T0, state=ACCEPTED, seen=True, officer_id="officer-1", plan_id="plan-1",
        follow_up_at=datetime(2026, 2, 10, 19, 30, tzinfo=berlin),
        note="Called at once.\nAll good ✓", handled_at=T0 + timedelta(minutes=3),
    )
    back = ReceivedRequest.from_json(record.to_json())
    assert back == record
    assert back.follow_up_at == datetime(2026, 2, 10, 18, 30, tzinfo=UTC)
    closed = replace(record, state=CLOSED, officer_id="", plan_id="", follow_up_at=None)
    assert ReceivedRequest.from_json(closed.to_json()) == closed


def test_received_request_repr_and_reference() -> None:
    record = ReceivedRequest(id="7K2M0QXD94TBVH1E0000000000", request=full_request(),
                             received_at=T0)
    assert repr(record) == "<ReceivedRequest 7K2M0QXD94TBVH1E0000000000 open>"
    assert record.request.message not in repr(record)
    assert record.reference == "7K2M-0QXD"
    assert record.urgency == WITHIN_24H


def _record_json(**changes: Any) -> str:
    record = ReceivedRequest(id="r1", request=full_request(), received_at=T0)
    body = json.loads(record.to_json())
    body.update(changes)
    return json.dumps({k: v for k, v in body.items() if v is not _MISSING})


@pytest.mark.parametrize("text", [
    "[]",
    '"record"',
    "null",
    _record_json(v=2),
    _record_json(state="lost"),
    _record_json(note=_MISSING),
    _record_json(payload="not a payload"),
    _record_json(received_at=None),
    _record_json(received_at="2026-02-10T15:00:00"),
    _record_json(handled_at="soon"),
])
def test_a_malformed_record_is_refused(text: str) -> None:
    # the repository turns exactly these into TamperError ("a request is malformed")
    with pytest.raises((ValueError, KeyError, TypeError)):
        ReceivedRequest.from_json(text)


def test_inbox_order_open_first_then_urgent_first_then_oldest_first() -> None:
    def rec(name: str, urgency: str, minutes: int, state: str = OPEN,
            zone: timezone = UTC) -> ReceivedRequest:
        at = (T0 + timedelta(minutes=minutes)).astimezone(zone)
        return ReceivedRequest(id=name, request=full_request(urgency=urgency, submitted_at=at),
                               received_at=T0, state=state)

    plus9 = timezone(timedelta(hours=9))  # later on the wall clock, earlier in fact
    records = [
        rec("handled-urgent", URGENT_NOW, -500, ACCEPTED),
        rec("routine-old", ROUTINE, -300),
        rec("urgent-new", URGENT_NOW, 10),
        rec("closed-routine", ROUTINE, -900, CLOSED),
        rec("urgent-old", URGENT_NOW, -20, zone=plus9),
        rec("within-24h", WITHIN_24H, 50),
        rec("routine-new", ROUTINE, 5),
        rec("handled-24h", WITHIN_24H, -1000, CLOSED),
    ]
    ordered = [r.id for r in sorted(records, key=ReceivedRequest.sort_key)]
    assert ordered == ["urgent-old", "urgent-new", "within-24h", "routine-old", "routine-new",
                       "handled-urgent", "handled-24h", "closed-routine"]


# -- ids and reference codes ----------------------------------------------------------------------
def test_new_request_id_is_26_crockford_characters_and_a_valid_psreq_id() -> None:
    ids = [new_request_id() for _ in range(2000)]
    assert len(set(ids)) == len(ids)
    for request_id in ids:
        assert len(request_id) == 26
        assert set(request_id) <= set(CROCKFORD)
        assert PSREQ_ID.fullmatch(request_id)
        assert REFERENCE.fullmatch(reference_code(request_id))
    assert len({i[0] for i in ids}) >= 24  # the leading character is random too
    # and the request file format takes it as it is
    _, public = request_seal.generate_keypair()
    data = request_seal.seal_request(public, "vault-1", ids[0], b"")
    assert request_seal.read_header(data).request_id == ids[0]


def test_reference_code() -> None:
    assert reference_code("7K2M0QXD94TBVH1E0000000000") == "7K2M-0QXD"
    assert reference_code("7k2m0qxdzzz") == "7K2M-0QXD"
    assert reference_code("abc") == "ABC"
    assert reference_code("") == ""


# -- crisis lines ---------------------------------------------------------------------------------
def test_crisis_lines_from_preferences() -> None:
    text = "County EAP: 555-0100\n\n   Chaplain on call   \nShift line: 2: 555 0199\n: 911\n"
    assert parse_crisis_resources(text) == (
        ("County EAP", "555-0100"),
        ("Chaplain on call", ""),
        ("Shift line: 2", "555 0199"),
        (": 911", ""),
    )
    assert len(parse_crisis_resources("\n".join(f"Line {i}: {i}" for i in range(30)))) == 12
    assert parse_crisis_resources("") == ()


def test_the_national_lines_always_come_first() -> None:
    assert crisis_resources() == CRISIS_RESOURCES
    assert any(number == "988" for _, number in CRISIS_RESOURCES)
    assert crisis_resources("EAP: 1") == (*CRISIS_RESOURCES, ("EAP", "1"))


# -- hypothesis -----------------------------------------------------------------------------------
def _accepted_round_trips(request: OfficerRequest) -> None:
    """Whatever from_payload accepts can be sealed again and stored in the inbox (the time
    is kept to the second)."""
    request = replace(request, submitted_at=request.submitted_at.replace(microsecond=0))
    again = OfficerRequest.from_payload(request.to_payload())
    assert again == request
    record = ReceivedRequest(id="r", request=request, received_at=T0)
    assert ReceivedRequest.from_json(record.to_json()) == record
    request.submitted_at.astimezone(UTC) + timedelta(hours=24)  # as suggested_time does


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=600))
def test_hypothesis_payload_bytes_only_raise_input_errors(data: bytes) -> None:
    try:
        request = OfficerRequest.from_payload(data)
    except RequestInputError:
        return
    _accepted_round_trips(request)


_ZONES = st.sampled_from([UTC, timezone(timedelta(hours=14)), timezone(timedelta(hours=-12)),
                          timezone(timedelta(hours=5, minutes=45))])
_EDGE_TIMES = st.one_of(  # the first and last days Python can hold, where conversions overflow
    st.datetimes(max_value=datetime(1, 1, 2), timezones=_ZONES),
    st.datetimes(min_value=datetime(9999, 12, 30), timezones=_ZONES),
)
_TIMES = st.one_of(
    st.datetimes(timezones=_ZONES).map(lambda d: d.isoformat()),
    _EDGE_TIMES.map(lambda d: d.isoformat()),
    st.datetimes().map(lambda d: d.isoformat()),  # no zone
    st.text(max_size=30),
    st.integers(),
    st.none(),
)
_TEXT = st.one_of(st.text(max_size=60), st.sampled_from(["", " ", "\n"]), st.integers(),
                  st.none(), st.lists(st.text(max_size=3), max_size=2))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.fixed_dictionaries({}, optional={
    "v": st.sampled_from([1, 2, "1", None]),
    "urgency": st.one_of(st.sampled_from(sorted(URGENCIES)), _TEXT),
    "contact_method": st.one_of(st.sampled_from(["", *CONTACT_METHODS]), _TEXT),
    "address_as": _TEXT, "contact": _TEXT, "best_times": _TEXT, "message": _TEXT,
    "submitted_at": _TIMES,
    "via": st.one_of(st.sampled_from([VIA_FORM, VIA_COMMAND, VIA_FILE]), _TEXT),
}))
def test_hypothesis_payload_fields_only_raise_input_errors(changes: dict[str, object]) -> None:
    body = json.loads(payload_of())  # a valid payload with some fields replaced
    body.update(changes)
    try:
        request = OfficerRequest.from_payload(json.dumps(body).encode())
    except RequestInputError:
        return
    _accepted_round_trips(request)


@settings(max_examples=200, deadline=None)
@given(st.one_of(st.datetimes(timezones=_ZONES), _EDGE_TIMES))
def test_hypothesis_any_time_is_refused_or_usable(when: datetime) -> None:
    try:
        request = OfficerRequest.from_payload(payload_of(submitted_at=when.isoformat()))
    except RequestInputError:
        return
    assert request.submitted_at == when
    _accepted_round_trips(request)


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner,
                                                                max_size=3),
    max_leaves=8,
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(
    _JSON,
    st.fixed_dictionaries({}, optional={
        "urgency": st.one_of(st.sampled_from(sorted(URGENCIES)), _JSON),
        "contact": st.one_of(
            _JSON, st.fixed_dictionaries({}, optional={
                "method": st.one_of(st.sampled_from(sorted(CONTACT_METHODS)), _JSON),
                "detail": st.one_of(st.text(max_size=30), _JSON)})),
        "address_as": _JSON, "best_times": _JSON, "message": _JSON,
    }),
))
def test_hypothesis_json_only_raises_input_errors(data: object) -> None:
    try:
        request = request_from_json(data)
    except RequestInputError:
        return
    assert request.via == VIA_COMMAND
    _accepted_round_trips(replace(request, submitted_at=T0))


@pytest.mark.parametrize("hidden", ["\x7f", "\x85", "\x9b", "\u202e", "\u2066", "\x00"])
def test_hidden_characters_refused_in_every_field(hidden: str) -> None:
    for name in ("address_as", "contact", "best_times", "message"):
        values = {"urgency": "routine", "contact_method": "in_person", name: f"a{hidden}b"}
        with pytest.raises(RequestInputError, match="control characters"):
            OfficerRequest(**values).validated()  # type: ignore[arg-type]


def test_payload_version_must_be_the_integer_one() -> None:
    good = json.loads(OfficerRequest(urgency="routine").to_payload())
    for version in (True, 1.0, "1"):
        bad = dict(good, v=version)
        with pytest.raises(RequestInputError, match="unknown format"):
            OfficerRequest.from_payload(json.dumps(bad).encode())
