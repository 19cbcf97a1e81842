"""Signed statistics files (``.psstats``, format version 1). See docs/stats-format.md.

A peer supporter shares anonymized, already suppressed count tables with their program. The
file is UTF-8 JSON; its ``signature`` is an Ed25519 signature, by the supporter's per-vault
signing key, over the canonical JSON of every other field (keys sorted, no spaces), prefixed
with ``peersupport-stats v1`` and a NUL byte. The file names the supporter only by a pseudonym
and the signing key's fingerprint.

Reading verifies the signature before anything else is trusted, then checks the structure and
that every table is suppressed (no count from 1 to k-1, no line with one suppressed value).
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from peersupport.crypto.errors import StatsFormatError, StatsVersionError, TamperError
from peersupport.domain.stats import (
    DIMENSIONS,
    MONTH,
    QUARTER,
    SUPPRESSED,
    PublishedTable,
    Value,
    check_k,
    dimension_codes,
    is_safe,
)

STATS_FORMAT = "peersupport-stats"
STATS_VERSION = 1
STATS_EXTENSION = ".psstats"
MAX_FILE_BYTES = 2 * 1024 * 1024
MAX_PERIODS = 240
_SIGNED_PREFIX = b"peersupport-stats v1\x00"
_FINGERPRINT_PREFIX = b"peersupport/stats-key-fingerprint/v1\x00"
_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_KEYS = frozenset({"format", "version", "supporter", "granularity", "periods", "k", "made",
                   "tables", "signature"})
_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
_QUARTER = re.compile(r"^\d{4}-Q[1-4]$")


class SigningKeyBytes(bytes):
    """Raw Ed25519 private key bytes whose repr never shows the key."""

    __slots__ = ()

    def __repr__(self) -> str:
        return f"<Ed25519 private key, {len(self)} bytes>"

    def __str__(self) -> str:
        return self.__repr__()


def generate_signing_key() -> tuple[SigningKeyBytes, bytes]:
    private = Ed25519PrivateKey.generate()
    return (SigningKeyBytes(private.private_bytes_raw()),
            private.public_key().public_bytes_raw())


def signing_public_key(private: bytes) -> bytes:
    return Ed25519PrivateKey.from_private_bytes(private).public_key().public_bytes_raw()


def fingerprint(public_key: bytes) -> str:
    """16 Crockford base32 characters in four groups, from SHA-256 of the key."""
    digest = hashlib.sha256(_FINGERPRINT_PREFIX + public_key).digest()
    number = int.from_bytes(digest[:10], "big")
    chars = "".join(_ALPHABET[(number >> shift) & 31] for shift in range(75, -1, -5))
    return "-".join(chars[i : i + 4] for i in range(0, 16, 4))


def pseudonym(public_key: bytes) -> str:
    """How a supporter is named in shared statistics: from their key, never their name."""
    return "Supporter " + fingerprint(public_key)[:9]


@dataclass(frozen=True)
class StatsFile:
    """A verified statistics file."""

    public_key: bytes
    granularity: str
    periods: list[str]
    k: int
    made: str  # the month the file was written (YYYY-MM): no exact date
    tables: dict[str, PublishedTable]

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.public_key)

    @property
    def pseudonym(self) -> str:
        return pseudonym(self.public_key)


def _canonical(body: dict[str, Any]) -> bytes:
    return json.dumps(body, sort_keys=True, separators=(",", ":"),
                      ensure_ascii=False).encode("utf-8")


def _table_json(table: PublishedTable) -> dict[str, Any]:
    return {
        "codes": list(table.codes),
        "cells": {c: [table.cells[c][p] for p in table.periods] for c in table.codes},
        "row_totals": {c: table.row_totals[c] for c in table.codes},
        "column_totals": [table.column_totals[p] for p in table.periods],
        "total": table.total,
    }


def write(private_key: bytes, granularity: str, periods: list[str], k: int, made: str,
          tables: dict[str, PublishedTable]) -> bytes:
    """The bytes of a signed ``.psstats`` file. Refuses tables that are not suppressed."""
    check_k(k)
    for table in tables.values():
        if not is_safe(table, k) or table.periods != periods:
            raise ValueError("every table must be suppressed and cover the same periods")
    signer = Ed25519PrivateKey.from_private_bytes(private_key)
    public = signer.public_key().public_bytes_raw()
    body: dict[str, Any] = {
        "format": STATS_FORMAT,
        "version": STATS_VERSION,
        "supporter": {"pseudonym": pseudonym(public), "public_key": public.hex(),
                      "fingerprint": fingerprint(public)},
        "granularity": granularity,
        "periods": periods,
        "k": k,
        "made": made,
        "tables": {d: _table_json(tables[d]) for d in DIMENSIONS if d in tables},
    }
    body["signature"] = signer.sign(_SIGNED_PREFIX + _canonical(body)).hex()
    return json.dumps(body, sort_keys=True, indent=1, ensure_ascii=False).encode("utf-8")


def read(data: bytes) -> StatsFile:
    """Verify and parse a statistics file. Raises StatsFormatError (not a whole, well-formed
    file, or counts that are not suppressed), StatsVersionError (another format version) or
    TamperError (the signature does not match: changed after signing, or re-signed)."""
    if len(data) > MAX_FILE_BYTES:
        raise StatsFormatError("the file is too large to be a statistics file")
    try:
        body = json.loads(data.decode("utf-8"))
    except (ValueError, RecursionError):
        raise StatsFormatError("this is not a peersupport statistics file") from None
    if not isinstance(body, dict) or body.get("format") != STATS_FORMAT:
        raise StatsFormatError("this is not a peersupport statistics file")
    version = body.get("version")
    if type(version) is not int:
        raise StatsFormatError("the statistics file has no format version")
    if version != STATS_VERSION:
        raise StatsVersionError(
            f"statistics format version {version} is not supported (this build reads version "
            f"{STATS_VERSION}); a newer peersupport may read it")
    if set(body) != _KEYS:
        raise StatsFormatError("the statistics file is incomplete or has unknown fields")
    supporter, signature = body["supporter"], body["signature"]
    try:
        if not isinstance(supporter, dict) or set(supporter) != {"pseudonym", "public_key",
                                                                 "fingerprint"}:
            raise ValueError("supporter")
        public = bytes.fromhex(supporter["public_key"])
        sig = bytes.fromhex(signature)
        key = Ed25519PublicKey.from_public_bytes(public)
    except (ValueError, TypeError):
        raise StatsFormatError("the statistics file's key or signature is malformed") from None
    unsigned = {k: v for k, v in body.items() if k != "signature"}
    try:
        signed = _SIGNED_PREFIX + _canonical(unsigned)
    except (ValueError, RecursionError):  # a lone surrogate (``"\ud800"``) has no UTF-8 form
        raise StatsFormatError("this is not a peersupport statistics file") from None
    try:
        key.verify(sig, signed)
    except InvalidSignature:
        raise TamperError(
            "the statistics file's signature does not match: it was changed after it was "
            "signed") from None
    if supporter["fingerprint"] != fingerprint(public) or \
            supporter["pseudonym"] != pseudonym(public):
        raise StatsFormatError("the statistics file names its signer inconsistently")
    return _parse_signed(public, body)


def _parse_signed(public: bytes, body: dict[str, Any]) -> StatsFile:
    granularity, periods, k, made = (body["granularity"], body["periods"], body["k"],
                                     body["made"])
    pattern = {MONTH: _MONTH, QUARTER: _QUARTER}.get(granularity) \
        if isinstance(granularity, str) else None  # a list or an object is not hashable
    if pattern is None or not isinstance(periods, list) or not 0 < len(periods) <= MAX_PERIODS \
            or not all(isinstance(p, str) and pattern.match(p) for p in periods) \
            or periods != sorted(set(periods)):
        raise StatsFormatError("the statistics file's periods are malformed")
    if not isinstance(made, str) or not _MONTH.match(made):
        raise StatsFormatError("the statistics file's date is malformed")
    try:
        check_k(k)
    except ValueError:
        raise StatsFormatError("the statistics file's suppression threshold is invalid") \
            from None
    tables_raw = body["tables"]
    if not isinstance(tables_raw, dict) or not tables_raw or \
            not set(tables_raw) <= set(DIMENSIONS):
        raise StatsFormatError("the statistics file's tables are malformed")
    tables = {}
    for dimension, raw in tables_raw.items():
        try:
            table = _parse_table(dimension, periods, raw)
        except (ValueError, TypeError, KeyError):
            raise StatsFormatError(
                f"the statistics file's {dimension} table is malformed") from None
        if not is_safe(table, k):
            raise StatsFormatError(
                f"the statistics file's {dimension} table holds counts below the suppression "
                "threshold")
        tables[dimension] = table
    return StatsFile(public, granularity, list(periods), k, made, tables)


def _value(v: object) -> Value:
    if v == SUPPRESSED and isinstance(v, str):
        return SUPPRESSED
    if type(v) is int and 0 <= v <= 10**9:
        return v
    raise ValueError("a count is malformed")


def _parse_table(dimension: str, periods: list[str], raw: Any) -> PublishedTable:
    if not isinstance(raw, dict) or set(raw) != {"codes", "cells", "row_totals",
                                                 "column_totals", "total"}:
        raise ValueError("keys")
    known = dimension_codes(dimension)
    row_codes = raw["codes"]
    if not isinstance(row_codes, list) or not all(c in known for c in row_codes) or \
            len(set(row_codes)) != len(row_codes):
        raise ValueError("codes")
    cells_raw, rows_raw, cols_raw = raw["cells"], raw["row_totals"], raw["column_totals"]
    if not isinstance(cells_raw, dict) or not isinstance(rows_raw, dict) or \
            not isinstance(cols_raw, list) or set(cells_raw) != set(row_codes) or \
            set(rows_raw) != set(row_codes) or len(cols_raw) != len(periods):
        raise ValueError("shape")
    cells: dict[str, dict[str, Value]] = {}
    for c in row_codes:
        line = cells_raw[c]
        if not isinstance(line, list) or len(line) != len(periods):
            raise ValueError("row")
        cells[c] = {p: _value(v) for p, v in zip(periods, line, strict=True)}
    table = PublishedTable(
        dimension=dimension, periods=list(periods), codes=list(row_codes), cells=cells,
        row_totals={c: _value(rows_raw[c]) for c in row_codes},
        column_totals={p: _value(v) for p, v in zip(periods, cols_raw, strict=True)},
        total=_value(raw["total"]),
    )
    _check_sums(table)
    return table


def _check_sums(table: PublishedTable) -> None:
    """Every line must add up: exactly where nothing in it is suppressed, and where values
    are suppressed (each is at least 1), the published total must leave room for them. The
    lines: each row, each column, the row totals and the column totals with the grand total."""
    lines: list[tuple[list[Value], Value]] = [
        ([table.cells[c][p] for p in table.periods], table.row_totals[c]) for c in table.codes]
    lines += [([table.cells[c][p] for c in table.codes], table.column_totals[p])
              for p in table.periods]
    lines.append(([table.row_totals[c] for c in table.codes], table.total))
    lines.append(([table.column_totals[p] for p in table.periods], table.total))
    for values, total in lines:
        if not isinstance(total, int):
            continue
        known = sum(v for v in values if isinstance(v, int))
        unknown = sum(1 for v in values if not isinstance(v, int))
        if (known != total) if not unknown else (total - known < unknown):
            raise ValueError("sum")
    grand = table.total
    for margin in (list(table.row_totals.values()), list(table.column_totals.values())):
        if all(isinstance(v, int) for v in margin) and isinstance(grand, int) \
                and sum(margin) != grand:  # type: ignore[arg-type]
            raise ValueError("grand total")
