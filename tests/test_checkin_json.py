"""The check-in JSON input of ``peersupport checkin add``: what it accepts, the field it
names when it refuses, and that the published JSON Schema (resources/checkin.schema.json)
says the same thing."""

from __future__ import annotations

import copy
import json
import re
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from peersupport.domain import codes
from peersupport.domain.checkin import MAX_DURATION_MINUTES, MAX_HEADCOUNT, MAX_NOTES
from peersupport.domain.checkin_json import (
    DATETIME_PATTERN,
    OPTIONAL,
    REQUIRED,
    CheckinInputError,
    checkin_to_json,
    loads_strict,
    parse_checkin,
    parse_checkin_text,
    resolve_officer,
)
from peersupport.domain.officer import Officer

SCHEMA_PATH = Path(__file__).resolve().parent.parent / "resources" / "checkin.schema.json"
SCHEMA = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))

VALID: dict[str, Any] = {
    "occurred_at": "2025-03-14T21:30:00-05:00",
    "officer": {"alias": "Heron", "name": "Dana Example", "contact": "555-0100"},
    "incident_category": "fatal_collision",
    "contact_type": "in_person",
    "initiated_by": "peer_outreach",
    "recipient_class": "sworn",
    "duration_minutes": 45,
    "referrals": ["eap", "chaplain"],
    "risk_level": "low",
    "exceptions": ["witness_or_party"],
    "incident_ref": "24-001234",
    "notes": "Talked after the crash.\nSleeping badly.",
    "follow_up": True,
}
MINIMAL: dict[str, Any] = {k: VALID[k] for k in REQUIRED}
GROUP: dict[str, Any] = {**MINIMAL, "contact_type": "debriefing", "headcount": 12}


def with_(base: dict[str, Any], **changes: Any) -> dict[str, Any]:
    data = copy.deepcopy(base)
    data.update(changes)
    return data


def without(base: dict[str, Any], key: str) -> dict[str, Any]:
    data = copy.deepcopy(base)
    del data[key]
    return data


def field_of(data: object) -> str:
    with pytest.raises(CheckinInputError) as caught:
        parse_checkin(data)
    assert str(caught.value)  # a message a person can read
    return caught.value.field


# -- accepted -----------------------------------------------------------------------------------
def test_a_full_check_in_parses_into_the_domain_objects() -> None:
    parsed = parse_checkin(VALID)
    c = parsed.checkin
    assert c.occurred_at == datetime(2025, 3, 14, 21, 30, tzinfo=timezone(timedelta(hours=-5)))
    assert c.period == "2025-03"
    assert c.officer_id is None  # resolved against the vault later
    assert (c.incident_category, c.contact_type, c.initiated_by, c.recipient_class) == (
        "fatal_collision", "in_person", "peer_outreach", "sworn",
    )
    assert c.duration_minutes == 45 and c.duration_bucket == "30_60"
    assert c.referrals == ["eap", "chaplain"]
    assert c.risk_level == "low" and c.exceptions == ["witness_or_party"]
    assert c.incident_ref == "24-001234"
    assert c.notes == "Talked after the crash.\nSleeping badly."
    assert c.follow_up is True and c.headcount is None
    assert (parsed.officer.alias, parsed.officer.name, parsed.officer.contact) == (
        "Heron", "Dana Example", "555-0100",
    )
    assert "Heron" not in repr(parsed) and "Dana" not in repr(parsed)


def test_optional_keys_may_be_left_out_or_null() -> None:
    for data in (MINIMAL, with_(MINIMAL, **dict.fromkeys(OPTIONAL))):
        c = parse_checkin(data).checkin
        assert (c.risk_level, c.exceptions, c.incident_ref, c.notes, c.follow_up, c.headcount) == (
            "none", [], "", "", False, None,
        )
    officer = parse_checkin(with_(MINIMAL, officer={"alias": " Owl ", "name": None})).officer
    assert (officer.alias, officer.name, officer.contact) == ("Owl", "", "")


@pytest.mark.parametrize(
    "when",
    ["2025-03-14T21:30Z", "2025-03-14T21:30:05.123456+01:00", "1900-01-01T00:00:00+00:00",
     "2024-02-29T23:59:59-12:00"],
)
def test_dates_with_an_offset_are_accepted(when: str) -> None:
    assert parse_checkin(with_(MINIMAL, occurred_at=when)).checkin.occurred_at.tzinfo is not None


def test_whole_numbers_written_with_a_fraction_are_numbers_as_json_schema_says() -> None:
    assert parse_checkin(with_(MINIMAL, duration_minutes=45.0)).checkin.duration_minutes == 45
    assert parse_checkin(with_(GROUP, headcount=3.0)).checkin.headcount == 3


def test_group_contacts_take_a_headcount() -> None:
    assert parse_checkin(GROUP).checkin.headcount == 12


# -- refused, naming the field ------------------------------------------------------------------
INVALID: list[tuple[str, dict[str, Any] | object, str]] = [
    ("unknown key", with_(MINIMAL, colour="red"), "colour"),
    ("unknown officer key", with_(MINIMAL, officer={"alias": "A", "badge": 1}), "officer.badge"),
    ("referral_providers is not an input key", with_(MINIMAL, referral_providers="x"),
     "referral_providers"),
    ("officer without alias", with_(MINIMAL, officer={"name": "N"}), "officer.alias"),
    ("blank alias", with_(MINIMAL, officer={"alias": "  \t"}), "officer.alias"),
    ("alias not text", with_(MINIMAL, officer={"alias": 7}), "officer.alias"),
    ("officer as text", with_(MINIMAL, officer="Heron"), "officer"),
    ("officer name not text", with_(MINIMAL, officer={"alias": "A", "name": ["x"]}),
     "officer.name"),
    ("officer contact too long", with_(MINIMAL, officer={"alias": "A", "contact": "x" * 201}),
     "officer.contact"),
    ("no offset", with_(MINIMAL, occurred_at="2025-03-14T21:30:00"), "occurred_at"),
    ("date only", with_(MINIMAL, occurred_at="2025-03-14"), "occurred_at"),
    ("not in the calendar", with_(MINIMAL, occurred_at="2025-02-30T10:00Z"), "occurred_at"),
    ("month 13", with_(MINIMAL, occurred_at="2025-13-01T10:00Z"), "occurred_at"),
    ("before 1900", with_(MINIMAL, occurred_at="1899-12-31T10:00Z"), "occurred_at"),
    ("trailing newline", with_(MINIMAL, occurred_at="2025-03-14T21:30Z\n"), "occurred_at"),
    ("non-ASCII digits", with_(MINIMAL, occurred_at="٢٠٢٥-03-14T21:30Z"), "occurred_at"),
    ("basic format", with_(MINIMAL, occurred_at="20250314T213000+0100"), "occurred_at"),
    ("timestamp number", with_(MINIMAL, occurred_at=1741995000), "occurred_at"),
    ("unknown category", with_(MINIMAL, incident_category="shooting"), "incident_category"),
    ("category not text", with_(MINIMAL, incident_category=3), "incident_category"),
    ("unknown contact type", with_(MINIMAL, contact_type="email"), "contact_type"),
    ("unknown initiator", with_(MINIMAL, initiated_by="boss"), "initiated_by"),
    ("unknown recipient", with_(MINIMAL, recipient_class="k9"), "recipient_class"),
    ("unknown risk", with_(MINIMAL, risk_level="severe"), "risk_level"),
    ("duration is a boolean", with_(MINIMAL, duration_minutes=True), "duration_minutes"),
    ("duration as text", with_(MINIMAL, duration_minutes="45"), "duration_minutes"),
    ("duration with a fraction", with_(MINIMAL, duration_minutes=45.5), "duration_minutes"),
    ("duration zero", with_(MINIMAL, duration_minutes=0), "duration_minutes"),
    ("duration over a day", with_(MINIMAL, duration_minutes=MAX_DURATION_MINUTES + 1),
     "duration_minutes"),
    ("duration null", with_(MINIMAL, duration_minutes=None), "duration_minutes"),
    ("referrals as text", with_(MINIMAL, referrals="eap"), "referrals"),
    ("referral repeated", with_(MINIMAL, referrals=["eap", "eap"]), "referrals"),
    ("unknown referral", with_(MINIMAL, referrals=["eap", "shaman"]), "referrals"),
    ("referral not text", with_(MINIMAL, referrals=[1]), "referrals"),
    ("unknown exception", with_(MINIMAL, exceptions=["jaywalking"]), "exceptions"),
    ("exceptions as text", with_(MINIMAL, exceptions="threat_to_self"), "exceptions"),
    ("follow_up as text", with_(MINIMAL, follow_up="yes"), "follow_up"),
    ("follow_up as number", with_(MINIMAL, follow_up=1), "follow_up"),
    ("headcount is a boolean", with_(GROUP, headcount=True), "headcount"),
    ("headcount for one person", with_(MINIMAL, headcount=5), "headcount"),
    ("headcount zero", with_(GROUP, headcount=0), "headcount"),
    ("headcount too large", with_(GROUP, headcount=MAX_HEADCOUNT + 1), "headcount"),
    ("notes too long", with_(MINIMAL, notes="n" * (MAX_NOTES + 1)), "notes"),
    ("notes not text", with_(MINIMAL, notes=["a"]), "notes"),
    ("lone surrogate in notes", with_(MINIMAL, notes="bad \ud800 text"), "notes"),
    ("incident_ref too long", with_(MINIMAL, incident_ref="r" * 201), "incident_ref"),
    ("top level list", [MINIMAL], ""),
    ("top level text", "checkin", ""),
]


@pytest.mark.parametrize(("data", "field"), [(d, f) for _, d, f in INVALID],
                         ids=[name for name, _, _ in INVALID])
def test_invalid_input_names_the_field(data: object, field: str) -> None:
    assert field_of(data) == field


@pytest.mark.parametrize("key", REQUIRED)
def test_every_required_key_is_named_when_missing(key: str) -> None:
    assert field_of(without(MINIMAL, key)) == key


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ('{"a": 1,}', "not valid JSON (line 1"),
        ("", "not valid JSON"),
        ('{"duration_minutes": NaN}', "NaN"),
        ('{"x": Infinity}', "Infinity"),
        ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
        ('{"duration_minutes": ' + "9" * 5000 + "}", "number is too long"),
    ],
    ids=["trailing-comma", "empty", "nan", "infinity", "deep", "huge-number"],
)
def test_malformed_json_is_a_clear_document_error(text: str, fragment: str) -> None:
    with pytest.raises(CheckinInputError) as caught:
        parse_checkin_text(text)
    assert caught.value.field == ""
    assert fragment in str(caught.value)


def test_a_repeated_key_is_refused_not_silently_overwritten() -> None:
    text = json.dumps(MINIMAL)[:-1] + ', "duration_minutes": 30}'
    with pytest.raises(CheckinInputError) as caught:
        loads_strict(text)
    assert caught.value.field == "duration_minutes"
    assert "twice" in str(caught.value)


# -- the officer ---------------------------------------------------------------------------------
def test_an_existing_alias_is_matched_case_insensitively_and_never_changed() -> None:
    heron = Officer(alias="Heron", full_name="Stored Name")
    owl = Officer(alias="Owl")
    parsed = parse_checkin(with_(MINIMAL, officer={"alias": " hERON ", "name": "Other"}))
    checkin, new = resolve_officer(parsed, [owl, heron])
    assert new == [] and checkin.officer_id == heron.id
    assert heron.full_name == "Stored Name"


def test_a_new_alias_makes_a_new_officer_with_name_and_contact() -> None:
    parsed = parse_checkin(VALID)
    checkin, new = resolve_officer(parsed, [Officer(alias="Heronsson")])  # not a prefix match
    assert len(new) == 1
    assert (new[0].alias, new[0].full_name, new[0].contact) == ("Heron", "Dana Example", "555-0100")
    assert checkin.officer_id == new[0].id


def test_an_ambiguous_alias_is_refused_naming_the_alias_field() -> None:
    parsed = parse_checkin(MINIMAL)
    with pytest.raises(CheckinInputError) as caught:
        resolve_officer(parsed, [Officer(alias="heron"), Officer(alias="HERON")])
    assert caught.value.field == "officer.alias"


# -- output -------------------------------------------------------------------------------------
def test_show_json_uses_the_input_names_for_the_input_values() -> None:
    parsed = parse_checkin(VALID)
    checkin, new = resolve_officer(parsed, [])
    out = checkin_to_json(checkin, new[0], [])
    json.dumps(out)  # serialisable as is
    for key in REQUIRED + OPTIONAL:
        if key == "officer":
            assert {k: out["officer"][k] for k in ("alias", "name", "contact")} == VALID["officer"]
        elif key == "occurred_at":
            assert datetime.fromisoformat(out[key]) == datetime.fromisoformat(VALID[key])
        elif key == "headcount":
            assert out[key] is None
        else:
            assert out[key] == VALID[key], key
    assert out["period"] == "2025-03" and out["duration_bucket"] == "30_60"


# -- the published schema ----------------------------------------------------------------------
try:  # a test-only dependency (the `test` extra); the parser tests above run without it
    import jsonschema
except ImportError:  # pragma: no cover
    jsonschema = None

needs_jsonschema = pytest.mark.skipif(jsonschema is None, reason="jsonschema is not installed")


def schema_ok(data: object) -> bool:
    assert jsonschema is not None
    return bool(jsonschema.Draft202012Validator(SCHEMA).is_valid(data))


@needs_jsonschema
def test_the_schema_is_a_valid_draft_2020_12_schema_and_matches_the_codes() -> None:
    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    assert SCHEMA["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    props = SCHEMA["properties"]
    assert set(props) == set(REQUIRED) | set(OPTIONAL)
    assert SCHEMA["required"] == list(REQUIRED)
    assert SCHEMA["additionalProperties"] is False
    assert props["incident_category"]["enum"] == list(codes.INCIDENT_CATEGORIES)
    assert props["contact_type"]["enum"] == list(codes.CONTACT_TYPES)
    assert props["initiated_by"]["enum"] == list(codes.INITIATED_BY)
    assert props["recipient_class"]["enum"] == list(codes.RECIPIENT_CLASSES)
    assert props["risk_level"]["enum"] == [*codes.RISK_LEVELS, None]
    assert props["referrals"]["items"]["enum"] == list(codes.REFERRAL_TYPES)
    assert props["exceptions"]["items"]["enum"] == list(codes.EXCEPTION_FLAGS)
    assert props["occurred_at"]["pattern"] == DATETIME_PATTERN
    assert props["notes"]["maxLength"] == MAX_NOTES
    assert props["duration_minutes"]["maximum"] == MAX_DURATION_MINUTES
    assert props["headcount"]["maximum"] == MAX_HEADCOUNT
    assert SCHEMA["if"]["properties"]["contact_type"]["not"]["enum"] == sorted(
        codes.GROUP_CONTACT_TYPES
    )


@needs_jsonschema
@pytest.mark.parametrize(
    "data", [VALID, MINIMAL, GROUP, *SCHEMA["examples"]], ids=["full", "minimal", "group", "ex"]
)
def test_valid_examples_pass_both_the_schema_and_the_parser(data: dict[str, Any]) -> None:
    assert schema_ok(data)
    parse_checkin(data)


@needs_jsonschema
@pytest.mark.parametrize(("data", "field"), [(d, f) for _, d, f in INVALID],
                         ids=[name for name, _, _ in INVALID])
def test_the_schema_refuses_what_the_parser_refuses(data: object, field: str) -> None:
    # two documented exceptions the schema language cannot say: calendar dates, lone surrogates
    if field == "occurred_at" and data["occurred_at"] == "2025-02-30T10:00Z":  # type: ignore[index]
        assert schema_ok(data)
        return
    if field == "notes" and isinstance(data, dict) and "\ud800" in str(data.get("notes")):
        return
    if field == "occurred_at" and str(data["occurred_at"]).endswith("\n"):  # type: ignore[index]
        return  # the jsonschema package matches `$` before a final newline (Python's re)
    assert not schema_ok(data)


# -- hypothesis: valid input, mutated input, anything at all -------------------------------------
def codes_list(table: Any) -> st.SearchStrategy[list[str]]:
    return st.lists(st.sampled_from(list(table)), unique=True, max_size=len(table))


texts = st.text(max_size=30)
aware_datetimes = st.datetimes(
    min_value=datetime(1900, 1, 2), max_value=datetime(9998, 12, 30),
    timezones=st.builds(
        timezone, st.integers(-23 * 60 - 59, 23 * 60 + 59).map(lambda m: timedelta(minutes=m))
    ),
)


@st.composite
def valid_inputs(draw: st.DrawFn) -> dict[str, Any]:
    contact_type = draw(st.sampled_from(list(codes.CONTACT_TYPES)))
    when = draw(aware_datetimes)
    data: dict[str, Any] = {
        "occurred_at": when.isoformat(timespec=draw(
            st.sampled_from(["minutes", "seconds", "microseconds"])
        )),
        "officer": {"alias": draw(texts.filter(str.strip))},
        "incident_category": draw(st.sampled_from(list(codes.INCIDENT_CATEGORIES))),
        "contact_type": contact_type,
        "initiated_by": draw(st.sampled_from(list(codes.INITIATED_BY))),
        "recipient_class": draw(st.sampled_from(list(codes.RECIPIENT_CLASSES))),
        "duration_minutes": draw(st.integers(1, MAX_DURATION_MINUTES)),
        "referrals": draw(codes_list(codes.REFERRAL_TYPES)),
    }
    optional: dict[str, st.SearchStrategy[Any]] = {
        "risk_level": st.sampled_from(list(codes.RISK_LEVELS)),
        "exceptions": codes_list(codes.EXCEPTION_FLAGS),
        "incident_ref": texts,
        "notes": st.text(max_size=300),
        "follow_up": st.booleans(),
    }
    for key, strategy in optional.items():
        if draw(st.booleans()):
            data[key] = draw(st.one_of(st.none(), strategy))
    if contact_type in codes.GROUP_CONTACT_TYPES and draw(st.booleans()):
        data["headcount"] = draw(st.integers(1, MAX_HEADCOUNT))
    for key in ("name", "contact"):
        if draw(st.booleans()):
            data["officer"][key] = draw(texts)
    return data


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner,
                                                               max_size=4),
    max_leaves=12,
)
KEYS = [*REQUIRED, *OPTIONAL]


@needs_jsonschema
@settings(max_examples=300, deadline=None)
@given(valid_inputs())
def test_hypothesis_valid_input_passes_parser_and_schema(data: dict[str, Any]) -> None:
    parsed = parse_checkin(data)
    assert parsed.checkin.period == data["occurred_at"][:7]
    assert schema_ok(data)


@needs_jsonschema
@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(valid_inputs(), st.data())
def test_hypothesis_one_mutation_is_either_fine_or_refused_naming_that_field(
    data: dict[str, Any], draw: st.DataObject
) -> None:
    kind = draw.draw(st.sampled_from(["drop", "add", "replace", "officer"]))
    if kind == "drop":
        key = draw.draw(st.sampled_from(sorted(data)))
        del data[key]
    elif kind == "add":
        key = draw.draw(st.text(min_size=1, max_size=12).filter(lambda k: k not in KEYS))
        data[key] = draw.draw(json_values)
    elif kind == "replace":
        key = draw.draw(st.sampled_from(KEYS))
        data[key] = draw.draw(json_values)
    else:
        key = "officer"
        sub = draw.draw(st.sampled_from(["alias", "name", "contact", "extra"]))
        data["officer"][sub] = draw.draw(json_values)
    try:
        parse_checkin(data)
    except CheckinInputError as exc:
        related = {"contact_type", "headcount"}
        assert (
            exc.field == key or exc.field.startswith(f"{key}.") or {exc.field, key} <= related
        ), (exc.field, key)
        assert not schema_ok(data) or _schema_cannot_say(data)
    else:
        assert schema_ok(data)  # whatever the parser takes, the published schema allows


def _schema_cannot_say(data: dict[str, Any]) -> bool:
    """The documented gaps: a date missing from the calendar, a lone surrogate."""
    when = data.get("occurred_at")
    if isinstance(when, str) and re.fullmatch(DATETIME_PATTERN.strip("^$"), when):
        try:
            datetime.fromisoformat(when)
        except ValueError:
            return True
    text = json.dumps(data, ensure_ascii=False)
    return any(0xD800 <= ord(c) <= 0xDFFF for c in text)


@settings(max_examples=300, deadline=None)
@given(json_values)
def test_hypothesis_any_json_value_is_refused_cleanly(value: object) -> None:
    with pytest.raises(CheckinInputError):
        parse_checkin(value)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200) | valid_inputs().map(json.dumps).map(lambda t: t[: len(t) // 2]))
def test_hypothesis_any_text_never_crashes(text: str) -> None:
    try:
        parse_checkin_text(text)
    except CheckinInputError:
        pass


def test_now_round_trips_through_isoformat() -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    assert parse_checkin(with_(MINIMAL, occurred_at=now.isoformat())).checkin.occurred_at == now
