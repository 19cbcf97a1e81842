"""The sealed per-month index of check-ins.

Only the month (``period``) of a check-in is stored in clear, so finding the newest rows of a
month would mean opening the summary of every row of that month. Instead each month has one
``checkin_month`` row whose sealed ``entries`` hold, for every check-in of the month, its exact
time and its id, sorted. The first page of the list then costs one decryption of the month's
index plus one per row shown, however many check-ins the month holds.

Entry layout, 44 bytes, fixed width: the exact time as UTC epoch microseconds plus 2**63,
unsigned big-endian (8 bytes), then the id in ASCII, NUL-padded to 36 bytes. Comparing two
entries as bytes therefore orders them by (time, id), the order the list uses, so the entries
are kept in ascending byte order (oldest first) and searched with ``bisect`` without decoding
them. The whole index is sealed like any field (AES-256-GCM, padded, associated data binding
table, period, field, schema version, vault id and key id): the file never shows an exact time.

The check-in repository keeps every month's index exact in the same transaction as the
write; a reader checks it against the number of rows the month holds and falls back to opening
the whole month when it does not match or fails authentication.
"""

from __future__ import annotations

import bisect
import struct
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, delete, select
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from peersupport.crypto.errors import TamperError
from peersupport.store.models import CheckinMonthRow
from peersupport.store.sealing import RowSealer, SealedTable

CHECKIN_MONTH_TABLE = SealedTable(
    model=CheckinMonthRow,
    fields=("entries",),
    metadata_columns=("vault_id",),
    id_column="period",
    binary_fields=("entries",),
)

ID_BYTES = 36
_ENTRY = struct.Struct(f">Q{ID_BYTES}s")
ENTRY_SIZE = _ENTRY.size
_BIAS = 1 << 63
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
_SPLICE_LIMIT = 32


def time_key(when: datetime) -> int:
    """The exact instant as whole UTC epoch microseconds (integer arithmetic: no rounding).
    ``when`` must be timezone-aware."""
    return (when - _EPOCH) // _MICROSECOND


def pack_entry(key: int, record_id: str) -> bytes:
    try:
        raw = record_id.encode("ascii")
    except UnicodeEncodeError:
        raise ValueError("a check-in id must be ASCII") from None
    if len(raw) > ID_BYTES or b"\0" in raw or not raw:
        raise ValueError(f"a check-in id must be 1 to {ID_BYTES} ASCII characters")
    return _ENTRY.pack(key + _BIAS, raw)


def unpack_entry(entry: bytes) -> tuple[int, str]:
    biased, raw = _ENTRY.unpack(entry)
    try:
        return biased - _BIAS, raw.rstrip(b"\0").decode("ascii")
    except UnicodeDecodeError:
        raise TamperError("a month index is malformed") from None


class MonthEntries:
    """One month's packed entries, oldest first. A read-only sequence of 44-byte entries
    (``bisect`` works on it directly); changes return a new object."""

    __slots__ = ("_raw",)

    def __init__(self, raw: bytes = b"") -> None:
        if len(raw) % ENTRY_SIZE:
            raise TamperError("a month index is malformed")
        self._raw = raw

    @classmethod
    def from_items(cls, items: Iterable[tuple[int, str]]) -> MonthEntries:
        return cls(b"".join(sorted(pack_entry(k, i) for k, i in items)))

    @property
    def raw(self) -> bytes:
        return self._raw

    def __len__(self) -> int:
        return len(self._raw) // ENTRY_SIZE

    def __getitem__(self, index: int) -> bytes:
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError(index)
        start = index * ENTRY_SIZE
        return self._raw[start:start + ENTRY_SIZE]

    def __iter__(self) -> Iterator[bytes]:
        raw = self._raw
        return (raw[i:i + ENTRY_SIZE] for i in range(0, len(raw), ENTRY_SIZE))

    def items(self) -> Iterator[tuple[int, str]]:
        """Every (time key, id), oldest first."""
        return (unpack_entry(e) for e in self)

    def end_before(self, key: int | None, record_id: str | None) -> int:
        """How many entries come strictly before (time key, id); all when ``key`` is None."""
        if key is None or record_id is None:
            return len(self)
        return bisect.bisect_left(self, pack_entry(key, record_id))

    def newest(self, end: int, count: int) -> list[tuple[int, str]]:
        """Up to ``count`` entries just before position ``end``, newest first."""
        start = max(0, end - count)
        return [unpack_entry(self[i]) for i in range(end - 1, start - 1, -1)]

    def position_of(self, record_id: str) -> int | None:
        """Where this id's entry is, found in the packed bytes (a C search, no decoding)."""
        needle = pack_entry(0, record_id)[8:]
        raw, at = self._raw, 0
        while (at := raw.find(needle, at)) >= 0:
            if at % ENTRY_SIZE == 8:
                return at // ENTRY_SIZE
            at += 1
        return None

    def changed(
        self, remove: Iterable[str] = (), add: Iterable[tuple[int, str]] = ()
    ) -> MonthEntries | None:
        """A copy without the ``remove`` ids and with the ``add`` entries; None when an id to
        remove is not in the index (the index does not match the check-ins). A few changes
        splice the packed bytes (a save touches one entry of thousands); many re-sort."""
        gone: set[int] = set()
        for record_id in remove:
            at = self.position_of(record_id)
            if at is None:
                return None
            gone.add(at)
        new = sorted(pack_entry(k, i) for k, i in add)
        if len(gone) + len(new) > _SPLICE_LIMIT:
            parts = [e for n, e in enumerate(self) if n not in gone]
            parts.extend(new)
            parts.sort()  # two sorted runs: linear in practice
            return MonthEntries(b"".join(parts))
        raw = self._raw
        for at in sorted(gone, reverse=True):
            raw = raw[:at * ENTRY_SIZE] + raw[(at + 1) * ENTRY_SIZE:]
        for entry in new:
            at = bisect.bisect_left(MonthEntries(raw), entry) * ENTRY_SIZE
            raw = raw[:at] + entry + raw[at:]
        return MonthEntries(raw)

    def is_well_formed(self) -> bool:
        """Strictly ascending (so sorted, and no entry twice) and every id decodable."""
        previous = b""
        for entry in self:
            if entry <= previous:
                return False
            previous = entry
        try:
            for _ in self.items():
                pass
        except TamperError:
            return False
        return True


_COLUMNS = (
    CheckinMonthRow.period, CheckinMonthRow.key_id, CheckinMonthRow.schema_version,
    CheckinMonthRow.vault_id, CheckinMonthRow.entries_sealed,
)
_ONE = select(*_COLUMNS).where(CheckinMonthRow.period == bindparam("period"))
_MANY = select(*_COLUMNS).where(CheckinMonthRow.period.in_(bindparam("periods", expanding=True)))


class MonthIndexStore:
    """Reads and writes ``checkin_month`` rows. Callers decide when an index can be trusted."""

    def __init__(self, session: Session, sealer: RowSealer) -> None:
        self._session = session
        self._sealer = sealer

    def load(self, period: str) -> MonthEntries | None:
        """The month's entries, or None when it has no index row. Raises TamperError when the
        row fails authentication or is malformed."""
        row = self._session.connection().execute(_ONE, {"period": period}).first()
        return None if row is None else self._open(row)

    def load_many(self, periods: Sequence[str]) -> dict[str, MonthEntries]:
        """The entries of each of these months that has an index row which authenticates;
        the others are left out (a reader opens those months whole)."""
        found: dict[str, MonthEntries] = {}
        for row in self._session.connection().execute(_MANY, {"periods": list(periods)}):
            try:
                found[row[0]] = self._open(row)
            except TamperError:
                continue
        return found

    def _open(self, row: Any) -> MonthEntries:
        raw = self._sealer.open_binary_values(
            CHECKIN_MONTH_TABLE, "entries", row[0], row[1], row[2], (row[3],), row[4]
        )
        return MonthEntries(raw)

    def save(self, period: str, entries: MonthEntries) -> None:
        """Write the month's index (an empty month has no row). Core statements: the index
        row is never loaded as an ORM object, so nothing stale can linger in the session."""
        connection = self._session.connection()
        if not len(entries):
            connection.execute(delete(CheckinMonthRow).where(CheckinMonthRow.period == period))
            return
        row = CheckinMonthRow(period=period, vault_id=self._sealer.vault_id)  # never added
        self._sealer.stamp(row)
        self._sealer.seal_binary(CHECKIN_MONTH_TABLE, row, "entries", entries.raw)
        values = {
            "period": row.period, "vault_id": row.vault_id, "key_id": row.key_id,
            "schema_version": row.schema_version, "entries_sealed": row.entries_sealed,
        }
        upsert = sqlite_insert(CheckinMonthRow).values(values)
        connection.execute(upsert.on_conflict_do_update(
            index_elements=[CheckinMonthRow.period],
            set_={k: v for k, v in values.items() if k != "period"},
        ))

    def periods(self) -> list[str]:
        query = select(CheckinMonthRow.period).order_by(CheckinMonthRow.period.desc())
        return list(self._session.connection().execute(query).scalars())

    def delete_all(self) -> None:
        self._session.connection().execute(delete(CheckinMonthRow))

    def exists(self) -> bool:
        query = select(CheckinMonthRow.period).limit(1)
        return self._session.connection().execute(query).first() is not None
