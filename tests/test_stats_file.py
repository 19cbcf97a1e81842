"""Signed statistics files (``.psstats``): a round trip, and every kind of change refused with
the right error: changed after signing or re-signed (TamperError), cut or malformed
(StatsFormatError), another format version (StatsVersionError), counts that are not
suppressed or do not add up even when properly signed (StatsFormatError), and any bytes at all
refused with one of those three errors only."""

from __future__ import annotations

import copy
import json
import re
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from peersupport.crypto import stats_file
from peersupport.crypto.errors import StatsFormatError, StatsVersionError, TamperError
from peersupport.domain.stats import (
    DIMENSIONS,
    MONTH,
    QUARTER,
    SUPPRESSED,
    PublishedTable,
    periods_between,
    suppress,
    tables_from_counts,
)

PERIODS = ["2026-01", "2026-02", "2026-03"]
K = 5
REFUSED = (StatsFormatError, StatsVersionError, TamperError)
PRIVATE, PUBLIC = stats_file.generate_signing_key()
OTHER_PRIVATE, OTHER_PUBLIC = stats_file.generate_signing_key()
PREFIX = b"peersupport-stats v1\x00"  # written out here, not imported: the format's constant
FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def sample_counts() -> dict[str, dict[tuple[str, str], int]]:
    """Counts with something to suppress in most tables (a 1, a 3) and zeros."""
    return {
        "incident_category": {("officer_involved_shooting", "2026-03"): 1,
                              ("fatal_collision", "2026-01"): 7,
                              ("fatal_collision", "2026-03"): 9,
                              ("cumulative_stress", "2026-01"): 14,
                              ("cumulative_stress", "2026-02"): 20,
                              ("cumulative_stress", "2026-03"): 11},
        "contact_type": {("in_person", p): 20 for p in PERIODS} | {("phone", "2026-02"): 3},
        "initiated_by": {("self", p): 12 for p in PERIODS},
        "recipient_class": {("sworn", p): 18 for p in PERIODS} | {("family", "2026-01"): 2},
        "duration_bucket": {("30_60", p): 15 for p in PERIODS},
        "referral": {("none", p): 16 for p in PERIODS} | {("made", "2026-03"): 4},
        "referral_type": {("eap", "2026-03"): 4},
        "followup": {("on_time", "2026-02"): 6, ("late", "2026-02"): 1},
    }


def sample_tables(periods: list[str] = PERIODS, k: int = K) -> dict[str, PublishedTable]:
    return {d: suppress(t, k) for d, t in tables_from_counts(sample_counts(), periods).items()}


def good_file(private: bytes = PRIVATE) -> bytes:
    return stats_file.write(private, MONTH, PERIODS, K, "2026-04", sample_tables())


def body_of(data: bytes) -> dict[str, Any]:
    value = json.loads(data)
    assert isinstance(value, dict)
    return value


def dump(body: dict[str, Any]) -> bytes:
    return json.dumps(body, indent=1, ensure_ascii=False).encode("utf-8")


def signed(body: dict[str, Any], private: bytes = PRIVATE, *, name_signer: bool = True) -> bytes:
    """A crafted writer: signs any body with the format's canonical scheme, bypassing
    ``write``'s checks. ``name_signer``: put the signing key (and its fingerprint and
    pseudonym) in the file; otherwise leave the file's ``supporter`` as it is."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    key = Ed25519PrivateKey.from_private_bytes(private)
    body = {k: v for k, v in body.items() if k != "signature"}
    if name_signer:
        public = key.public_key().public_bytes_raw()
        body["supporter"] = {"public_key": public.hex(),
                             "fingerprint": stats_file.fingerprint(public),
                             "pseudonym": stats_file.pseudonym(public)}
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"),
                           ensure_ascii=False).encode("utf-8")
    body["signature"] = key.sign(PREFIX + canonical).hex()
    return dump(body)


# -- the round trip -------------------------------------------------------------------------------
def test_round_trip() -> None:
    tables = sample_tables()
    data = stats_file.write(PRIVATE, MONTH, PERIODS, K, "2026-04", tables)
    read = stats_file.read(data)
    assert read.public_key == PUBLIC == stats_file.signing_public_key(PRIVATE)
    assert (read.granularity, read.periods, read.k, read.made) == (MONTH, PERIODS, K, "2026-04")
    assert read.tables == tables
    assert set(read.tables) == set(DIMENSIONS)
    assert read.fingerprint == stats_file.fingerprint(PUBLIC)
    assert re.fullmatch(r"([0-9A-HJKMNP-TV-Z]{4}-){3}[0-9A-HJKMNP-TV-Z]{4}", read.fingerprint)
    assert read.pseudonym == "Supporter " + read.fingerprint[:9]
    body = body_of(data)
    assert body["format"] == "peersupport-stats" and body["version"] == 1
    assert body["supporter"]["pseudonym"] == read.pseudonym
    # something was suppressed, and the file says "suppressed" for it
    shooting = body["tables"]["incident_category"]
    assert shooting["cells"]["officer_involved_shooting"] == [0, 0, SUPPRESSED]


def test_quarters_round_trip() -> None:
    quarters = periods_between("2025-11", "2026-06", QUARTER)
    tables = sample_tables(quarters)
    read = stats_file.read(stats_file.write(PRIVATE, QUARTER, quarters, 7, "2026-07", tables))
    assert (read.granularity, read.periods, read.k) == (QUARTER, quarters, 7)
    assert read.tables == tables


def test_the_signing_key_never_shows_in_its_repr() -> None:
    assert PRIVATE.hex() not in repr(PRIVATE) + str(PRIVATE)
    assert "32 bytes" in repr(PRIVATE)


def test_write_refuses_tables_that_are_not_suppressed() -> None:
    raw = tables_from_counts(sample_counts(), PERIODS)
    unsuppressed = {d: suppress(t, K) for d, t in raw.items()}
    unsuppressed["incident_category"].cells["officer_involved_shooting"]["2026-03"] = 1
    with pytest.raises(ValueError):
        stats_file.write(PRIVATE, MONTH, PERIODS, K, "2026-04", unsuppressed)
    with pytest.raises(ValueError):  # suppressed for k = 5, not for k = 8
        stats_file.write(PRIVATE, MONTH, PERIODS, 8, "2026-04", sample_tables())
    with pytest.raises(ValueError):  # the tables cover other periods
        stats_file.write(PRIVATE, MONTH, ["2026-01", "2026-02"], K, "2026-04",
                         sample_tables())
    with pytest.raises(ValueError):
        stats_file.write(PRIVATE, MONTH, PERIODS, 2, "2026-04", sample_tables())


# -- changed after signing -------------------------------------------------------------------------
def _edited(edit: Any) -> bytes:
    body = body_of(good_file())
    edit(body)
    return dump(body)


EDITS = {
    "a count": lambda b: b["tables"]["contact_type"]["cells"]["in_person"].__setitem__(0, 21),
    "a total": lambda b: b["tables"]["contact_type"].__setitem__("total", 64),
    "a suppressed value shown": lambda b: b["tables"]["incident_category"]["cells"][
        "officer_involved_shooting"].__setitem__(2, 1),
    "the pseudonym": lambda b: b["supporter"].__setitem__("pseudonym", "Supporter 0000-0000"),
    "the fingerprint": lambda b: b["supporter"].__setitem__("fingerprint",
                                                            "0000-0000-0000-0000"),
    "k": lambda b: b.__setitem__("k", 6),
    "the month made": lambda b: b.__setitem__("made", "2026-05"),
    "the periods": lambda b: b.__setitem__("periods", ["2025-01", "2025-02", "2025-03"]),
    "a table dropped": lambda b: b["tables"].pop("followup"),
    "the signature": lambda b: b.__setitem__(
        "signature", b["signature"][:10] + ("0" if b["signature"][10] != "0" else "1")
        + b["signature"][11:]),
}


@pytest.mark.parametrize("what", list(EDITS))
def test_any_change_after_signing_is_tamper(what: str) -> None:
    with pytest.raises(TamperError):
        stats_file.read(_edited(EDITS[what]))


def test_every_flipped_bit_of_the_signature_is_tamper() -> None:
    body = body_of(good_file())
    signature = bytes.fromhex(body["signature"])
    for i in range(0, len(signature) * 8, 37):
        flipped = bytearray(signature)
        flipped[i // 8] ^= 1 << (i % 8)
        with pytest.raises(TamperError):
            stats_file.read(dump(body | {"signature": bytes(flipped).hex()}))


def test_the_layout_of_the_json_does_not_matter() -> None:
    body = body_of(good_file())
    compact = json.dumps(body, separators=(",", ":")).encode()
    ascii_only = json.dumps(body, indent=4, ensure_ascii=True).encode()
    for data in (compact, ascii_only):
        assert stats_file.read(data).tables == sample_tables()


# -- re-signed -------------------------------------------------------------------------------------
def test_resigned_by_another_key_with_the_original_key_left_in_is_tamper() -> None:
    forged = signed(body_of(good_file()), OTHER_PRIVATE, name_signer=False)
    assert body_of(forged)["supporter"]["public_key"] == PUBLIC.hex()
    with pytest.raises(TamperError):
        stats_file.read(forged)


def test_resigned_by_another_key_naming_it_verifies_as_another_signer() -> None:
    body = body_of(good_file())
    table = body["tables"]["initiated_by"]  # 12 self-referred contacts a month
    table["cells"]["self"][0] = 13
    table["row_totals"]["self"] = 37
    table["column_totals"][0] = 13
    table["total"] = 37
    forged = stats_file.read(signed(body, OTHER_PRIVATE))
    original = stats_file.read(good_file())
    assert forged.public_key == OTHER_PUBLIC
    assert forged.fingerprint != original.fingerprint
    assert forged.pseudonym != original.pseudonym
    assert forged.fingerprint == stats_file.fingerprint(OTHER_PUBLIC)
    assert forged.tables["initiated_by"].total == 37


def test_another_key_under_the_original_name_is_refused() -> None:
    body = body_of(good_file())
    other = signed(body, OTHER_PRIVATE)
    renamed = body_of(other)
    renamed["supporter"]["pseudonym"] = body["supporter"]["pseudonym"]
    with pytest.raises(StatsFormatError):  # properly signed, but the names do not match
        stats_file.read(signed(renamed, OTHER_PRIVATE, name_signer=False))


# -- cut, malformed, other versions ----------------------------------------------------------------
def test_a_truncated_file_is_a_format_error() -> None:
    data = good_file()
    for n in (0, 1, 10, len(data) // 3, len(data) // 2, len(data) - 2):
        with pytest.raises(StatsFormatError):
            stats_file.read(data[:n])


def test_other_versions() -> None:
    body = body_of(good_file())
    for version in (2, 0, 99):
        with pytest.raises(StatsVersionError):
            stats_file.read(dump(body | {"version": version}))
        # also when the rest of the file is of a shape this build does not know
        with pytest.raises(StatsVersionError):
            stats_file.read(dump({"format": "peersupport-stats", "version": version,
                                  "whatever": [1]}))
    for version in ("1", 1.0, None, True, [1]):
        with pytest.raises(StatsFormatError):
            stats_file.read(dump(body | {"version": version}))
    with pytest.raises(StatsFormatError):
        stats_file.read(dump({k: v for k, v in body.items() if k != "version"}))


MALFORMED_BYTES = {
    "not JSON": b"peersupport statistics",
    "not UTF-8": b'{"format": "peersupport-stats", "version": 1, "x": "\xff\xfe"}',
    "a list": b"[1, 2, 3]",
    "a string": b'"peersupport-stats"',
    "deeply nested": b"[" * 100_000 + b"]" * 100_000,
    "too large": b" " * (stats_file.MAX_FILE_BYTES + 1) + b"{}",
}


@pytest.mark.parametrize("what", list(MALFORMED_BYTES))
def test_malformed_bytes(what: str) -> None:
    with pytest.raises(StatsFormatError):
        stats_file.read(MALFORMED_BYTES[what])


def _without(key: str) -> Any:
    return lambda b: b.pop(key)


MALFORMED_UNSIGNED = {
    "another format": lambda b: b.__setitem__("format", "peersupport-backup"),
    "no signature": _without("signature"),
    "no tables": _without("tables"),
    "an unknown field": lambda b: b.__setitem__("officer", "Heron"),
    "supporter not an object": lambda b: b.__setitem__("supporter", "Supporter X"),
    "supporter missing its key": lambda b: b["supporter"].pop("public_key"),
    "public key not hex": lambda b: b["supporter"].__setitem__("public_key", "zz" * 32),
    "public key too short": lambda b: b["supporter"].__setitem__("public_key", "ab" * 31),
    "public key a number": lambda b: b["supporter"].__setitem__("public_key", 12),
    "signature not hex": lambda b: b.__setitem__("signature", "not a signature"),
    "signature a list": lambda b: b.__setitem__("signature", [1, 2]),
    "a lone surrogate": lambda b: b.__setitem__("made", "\ud800"),
}


@pytest.mark.parametrize("what", list(MALFORMED_UNSIGNED))
def test_malformed_fields_before_the_signature_is_checked(what: str) -> None:
    body = body_of(good_file())
    MALFORMED_UNSIGNED[what](body)
    data = json.dumps(body, ensure_ascii=True).encode()
    with pytest.raises(StatsFormatError):
        stats_file.read(data)


def _cell(dimension: str, code: str, index: int, value: Any) -> Any:
    return lambda b: b["tables"][dimension]["cells"][code].__setitem__(index, value)


MALFORMED_SIGNED = {
    "granularity": lambda b: b.__setitem__("granularity", "week"),
    "granularity as a list": lambda b: b.__setitem__("granularity", ["month"]),
    "granularity as an object": lambda b: b.__setitem__("granularity", {}),
    "quarters as months": lambda b: b.__setitem__("granularity", QUARTER),
    "a period not a month": lambda b: b["periods"].__setitem__(1, "2026-13"),
    "an exact date for a period": lambda b: b["periods"].__setitem__(1, "2026-02-14"),
    "periods out of order": lambda b: b.__setitem__("periods", ["2026-02", "2026-01",
                                                                "2026-03"]),
    "a period twice": lambda b: b.__setitem__("periods", ["2026-01", "2026-01", "2026-03"]),
    "no periods": lambda b: b.__setitem__("periods", []),
    "periods not a list": lambda b: b.__setitem__("periods", "2026-01"),
    "too many periods": lambda b: b.__setitem__(
        "periods", periods_between("2000-01", "2021-01", MONTH)),
    "an exact date for made": lambda b: b.__setitem__("made", "2026-04-02"),
    "made not text": lambda b: b.__setitem__("made", 202604),
    "k too small": lambda b: b.__setitem__("k", 2),
    "k too large": lambda b: b.__setitem__("k", 12),
    "k as text": lambda b: b.__setitem__("k", "5"),
    "k as a boolean": lambda b: b.__setitem__("k", True),
    "no table at all": lambda b: b.__setitem__("tables", {}),
    "an unknown dimension": lambda b: b["tables"].__setitem__(
        "officer_name", b["tables"]["followup"]),
    "an unknown code": lambda b: b["tables"]["followup"].__setitem__(
        "codes", ["on_time", "never"]),
    "a code twice": lambda b: b["tables"]["followup"].__setitem__("codes",
                                                                 ["on_time", "on_time"]),
    "a row too short": lambda b: b["tables"]["initiated_by"]["cells"]["self"].pop(),
    "a missing row": lambda b: b["tables"]["initiated_by"]["cells"].pop("self"),
    "a negative count": _cell("initiated_by", "self", 0, -12),
    "a fractional count": _cell("initiated_by", "self", 0, 12.0),
    "a boolean count": _cell("initiated_by", "peer_outreach", 0, False),
    "another word for suppressed": _cell("incident_category", "officer_involved_shooting",
                                         2, "hidden"),
    "null for a count": _cell("initiated_by", "peer_outreach", 0, None),
    "cells not an object": lambda b: b["tables"]["initiated_by"].__setitem__("cells", [1]),
    "column totals as an object": lambda b: b["tables"]["initiated_by"].__setitem__(
        "column_totals", {"2026-01": 12, "2026-02": 12, "2026-03": 12}),
    "a table without its total": lambda b: b["tables"]["initiated_by"].pop("total"),
    "a table not an object": lambda b: b["tables"].__setitem__("initiated_by", [0]),
}


@pytest.mark.parametrize("what", list(MALFORMED_SIGNED))
def test_malformed_fields_properly_signed_are_format_errors(what: str) -> None:
    body = body_of(good_file())
    MALFORMED_SIGNED[what](body)
    with pytest.raises(StatsFormatError):
        stats_file.read(signed(body))


def test_the_crafted_writer_makes_files_read_accepts() -> None:
    """The helper the refusals below rely on signs the way write does."""
    read = stats_file.read(signed(body_of(good_file())))
    assert read.tables == sample_tables()
    assert read.public_key == PUBLIC


# -- properly signed, but not suppressed or not adding up ------------------------------------------
def _table_json(rows: list[list[Any]], totals: list[Any]) -> dict[str, Any]:
    """An ``initiated_by`` table (codes self, peer_outreach, ...): ``rows`` are cells plus the
    row total, ``totals`` the column totals plus the grand total."""
    codes = ["self", "peer_outreach", "supervisor_referral", "post_incident_activation"]
    codes = codes[:len(rows)]
    return {"codes": codes, "cells": {c: r[:-1] for c, r in zip(codes, rows, strict=True)},
            "row_totals": {c: r[-1] for c, r in zip(codes, rows, strict=True)},
            "column_totals": totals[:-1], "total": totals[-1]}


def _with_table(table: dict[str, Any]) -> bytes:
    body = body_of(good_file())
    body["tables"]["initiated_by"] = table
    return signed(body)


S = SUPPRESSED


def test_the_table_helper_makes_a_table_read_accepts() -> None:
    ok = _with_table(_table_json([[12, 10, 20, 42], [20, 30, 40, 90]], [32, 40, 60, 132]))
    assert stats_file.read(ok).tables["initiated_by"].total == 132
    ok = _with_table(_table_json([[S, S, 20, 30], [S, S, 40, 90]], [32, 28, 60, 120]))
    assert stats_file.read(ok).tables["initiated_by"].row_totals["self"] == 30


UNSAFE = {
    "a count of 1": ([[1, 10, 20, 31], [20, 30, 40, 90]], [21, 40, 60, 121]),
    "a total of 3": ([[0, 0, 3, 3], [20, 30, 40, 90]], [20, 30, 43, 93]),
    "one suppressed value in a row": ([[S, 10, 20, 31], [20, 30, 40, 90]], [S, 40, 60, 121]),
    "suppressed values that must be 1": ([[S, S, 20, 22], [S, S, 40, 90]], [21, 31, 60, 112]),
    "a value worked out across lines": (
        [[0, S, 0, S], [0, 0, 0, 0], [S, S, 0, S], [S, 39, S, 66]], [S, 64, S, 93]),
}


@pytest.mark.parametrize("what", list(UNSAFE))
def test_unsuppressed_counts_signed_by_a_crafted_writer_are_refused(what: str) -> None:
    rows, totals = UNSAFE[what]
    with pytest.raises(StatsFormatError, match="suppression"):
        stats_file.read(_with_table(_table_json(rows, totals)))


NOT_ADDING_UP = {
    "a row total": ([[12, 10, 20, 43], [20, 30, 40, 90]], [32, 40, 60, 133]),
    "a column total": ([[12, 10, 20, 42], [20, 30, 40, 90]], [33, 40, 60, 132]),
    "the grand total": ([[12, 10, 20, 42], [20, 30, 40, 90]], [32, 40, 60, 140]),
    "grand total against the column totals": (
        [[S, S, 20, S], [S, S, 40, S]], [32, 28, 60, 140]),
    "grand total against the row totals": ([[S, S, 20, 42], [S, S, 40, 90]], [S, S, 60, 140]),
    "no room for the suppressed values": (
        [[S, S, 20, 21], [S, S, 40, 90]], [30, 31, 60, 111]),
}


@pytest.mark.parametrize("what", list(NOT_ADDING_UP))
def test_totals_that_do_not_add_up_are_refused(what: str) -> None:
    rows, totals = NOT_ADDING_UP[what]
    with pytest.raises(StatsFormatError):
        stats_file.read(_with_table(_table_json(rows, totals)))


# -- any bytes at all ------------------------------------------------------------------------------
def _read_or_refuse(data: bytes) -> stats_file.StatsFile | None:
    try:
        return stats_file.read(data)
    except REFUSED:
        return None


@FUZZ
@given(st.binary(max_size=2000))
def test_arbitrary_bytes_are_refused_cleanly(data: bytes) -> None:
    assert _read_or_refuse(data) is None


GOOD = good_file()
GOOD_READ = stats_file.read(GOOD)


@FUZZ
@given(st.lists(st.tuples(st.integers(0, len(GOOD) - 1), st.sampled_from(["flip", "drop",
                                                                           "insert"]),
                          st.integers(0, 255)), min_size=1, max_size=4))
def test_mutated_files_are_refused_or_read_unchanged(
    mutations: list[tuple[int, str, int]]
) -> None:
    data = bytearray(GOOD)
    for at, how, byte in mutations:
        at = min(at, len(data) - 1)
        if how == "flip":
            data[at] ^= byte or 1
        elif how == "drop":
            del data[at]
        else:
            data.insert(at, byte)
    read = _read_or_refuse(bytes(data))
    # a change the signature covers is refused; one it does not (spacing) changes nothing
    assert read is None or read == GOOD_READ


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-3, 2**40) | st.floats(allow_nan=True)
    | st.text(max_size=12) | st.sampled_from([SUPPRESSED, "2026-01", "2026-Q1", "month"]),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner,
                                                                max_size=4),
    max_leaves=12)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(value, dict):
        for k, v in value.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out += _paths(v, (*prefix, i))
    return out


BODY = {k: v for k, v in body_of(GOOD).items() if k not in ("signature", "supporter")}
PATHS = [p for p in _paths(BODY) if p]


@FUZZ
@given(st.sampled_from(PATHS), json_values)
def test_any_value_anywhere_properly_signed_is_read_or_a_format_error(
    path: tuple[Any, ...], value: Any
) -> None:
    """The parser behind the signature (what a crafted writer can reach) never fails in any
    other way, whatever value stands anywhere in the file."""
    body = copy.deepcopy(BODY)
    target = body
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    try:
        read = stats_file.read(signed(body))
    except (StatsFormatError, StatsVersionError):
        return
    assert read.public_key == PUBLIC
    for table in read.tables.values():
        assert all(v == SUPPRESSED or (type(v) is int and (v == 0 or v >= read.k))
                   for v in table.values())
