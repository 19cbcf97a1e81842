"""The sealed agenda: every pending follow-up step of every open plan, sorted by due time.

Plans are sealed one per row, and a vault of 100,000 check-ins can hold 300,000 steps; opening
every plan after unlock would take seconds. The agenda is one sealed value holding only what the
follow-ups panel needs for the *pending* steps, packed so that it can be used without decoding
it entry by entry:

    header   4 bytes  number of entries n (big-endian)
             4 bytes  length of the label table, then the label table (UTF-8 JSON list)
    dues     n x 8    due time, UTC epoch seconds, signed big-endian, ascending
    records  n x 77   plan id (36, ASCII, NUL padded), officer id (36), step index into the
                      plan (2, big-endian), kind (1: 0 step, 1 milestone), label index (2)

Step ids inside a plan are short strings (``s3``, ``m-...``); a record keeps its position in
the step list the plan's schedule returns, which the service maps back.

The agenda is derived data: the service rewrites it in the same transaction as every plan
change, and rebuilds it from the plans when it is missing or fails authentication.
"""

from __future__ import annotations

import bisect
import json
import struct
from array import array
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from peersupport.crypto.errors import TamperError
from peersupport.store.models import FollowupAgendaRow
from peersupport.store.sealing import RowSealer, SealedTable

AGENDA_TABLE = SealedTable(
    model=FollowupAgendaRow, fields=("entries",), metadata_columns=("vault_id",),
    binary_fields=("entries",),
)
AGENDA_ID = "agenda"
ID_BYTES = 36
_HEAD = struct.Struct(">II")
_RECORD = struct.Struct(f">{ID_BYTES}s{ID_BYTES}sHBH")
RECORD_SIZE = _RECORD.size
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def epoch_seconds(when: datetime) -> int:
    return int((when - _EPOCH).total_seconds())


def from_epoch(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def _id_bytes(value: str) -> bytes:
    raw = value.encode("ascii")
    if not raw or len(raw) > ID_BYTES or b"\0" in raw:
        raise ValueError(f"an id must be 1 to {ID_BYTES} ASCII characters")
    return raw


@dataclass(frozen=True)
class AgendaEntry:
    due: int  # UTC epoch seconds
    plan_id: str
    officer_id: str
    step_index: int
    is_milestone: bool
    label: str

    def __repr__(self) -> str:
        return f"<AgendaEntry {self.plan_id}/{self.step_index}>"


class Agenda:
    """The pending steps, due order. ``dues`` is a plain array of epoch seconds (for bisect and
    for the anonymous schedule kept while locked); entries are decoded only when asked for."""

    def __init__(self, dues: array[int], records: bytes | memoryview, labels: list[str]) -> None:
        if len(records) != len(dues) * RECORD_SIZE:
            raise TamperError("the follow-up agenda is malformed")
        self.dues = dues
        self._records = records
        self._labels = labels

    @classmethod
    def empty(cls) -> Agenda:
        return cls(array("q"), b"", [])

    @classmethod
    def from_entries(cls, entries: Iterable[AgendaEntry]) -> Agenda:
        ordered = sorted(entries, key=lambda e: (e.due, e.plan_id, e.step_index))
        labels: dict[str, int] = {}
        parts = []
        for e in ordered:
            index = labels.setdefault(e.label, len(labels))
            if index > 0xFFFF:
                raise ValueError("too many different step labels")
            parts.append(_RECORD.pack(_id_bytes(e.plan_id), _id_bytes(e.officer_id),
                                      e.step_index, 1 if e.is_milestone else 0, index))
        return cls(array("q", (e.due for e in ordered)), b"".join(parts), list(labels))

    def __len__(self) -> int:
        return len(self.dues)

    def entry(self, index: int) -> AgendaEntry:
        plan, officer, step, kind, label = _RECORD.unpack_from(self._records, index * RECORD_SIZE)
        try:
            return AgendaEntry(
                self.dues[index], plan.rstrip(b"\0").decode("ascii"),
                officer.rstrip(b"\0").decode("ascii"), step, kind == 1, self._labels[label],
            )
        except (UnicodeDecodeError, IndexError):
            raise TamperError("the follow-up agenda is malformed") from None

    def entries(self) -> list[AgendaEntry]:
        return [self.entry(i) for i in range(len(self))]

    def first_at_or_after(self, seconds: int) -> int:
        """Index of the first entry due at or after ``seconds``."""
        return bisect.bisect_left(self.dues, seconds)

    def _positions(self, key: bytes, field_offset: int) -> list[int]:
        """Indexes of the records whose id field at ``field_offset`` is ``key``; the search
        runs in C (``bytes.find``), not record by record in Python."""
        records = self._records if isinstance(self._records, bytes) else bytes(self._records)
        found = []
        at = records.find(key)
        while at >= 0:
            if at % RECORD_SIZE == field_offset:
                found.append(at // RECORD_SIZE)
            at = records.find(key, at + 1)
        return found

    def plan_ids_of(self, officer_ids: Iterable[str]) -> set[str]:
        found: set[str] = set()
        for officer_id in officer_ids:
            key = _id_bytes(officer_id).ljust(ID_BYTES, b"\0")
            for index in self._positions(key, ID_BYTES):
                start = index * RECORD_SIZE
                raw = bytes(self._records[start: start + ID_BYTES])
                found.add(raw.rstrip(b"\0").decode("ascii"))
        return found

    def replaced(self, plan_ids: Iterable[str], new: Sequence[AgendaEntry]) -> Agenda:
        """The agenda with every entry of ``plan_ids`` removed and ``new`` added. The cost is
        a few copies of the packed arrays (in C), not a decode of every entry: saving one
        check-in must not grow with the number of pending steps."""
        drop: set[int] = set()
        for plan_id in plan_ids:
            drop.update(self._positions(_id_bytes(plan_id).ljust(ID_BYTES, b"\0"), 0))
        dues = array("q", self.dues)
        records = bytearray(self._records)
        for index in sorted(drop, reverse=True):
            del dues[index]
            del records[index * RECORD_SIZE: (index + 1) * RECORD_SIZE]
        labels = list(self._labels)
        label_index = {label: i for i, label in enumerate(labels)}
        for e in sorted(new, key=lambda e: (e.due, e.plan_id, e.step_index)):
            if e.label not in label_index:
                if len(labels) > 0xFFFF:
                    raise ValueError("too many different step labels")
                label_index[e.label] = len(labels)
                labels.append(e.label)
            index = label_index[e.label]
            at = bisect.bisect_right(dues, e.due)
            dues.insert(at, e.due)
            records[at * RECORD_SIZE: at * RECORD_SIZE] = _RECORD.pack(
                _id_bytes(e.plan_id), _id_bytes(e.officer_id), e.step_index,
                1 if e.is_milestone else 0, index)
        return Agenda(dues, bytes(records), labels)

    # -- packed form ---------------------------------------------------------------------
    def pack(self) -> bytes:
        labels = json.dumps(self._labels).encode()
        dues = array("q", self.dues)
        if not _is_big_endian():
            dues.byteswap()
        return _HEAD.pack(len(self), len(labels)) + labels + dues.tobytes() + bytes(self._records)

    @classmethod
    def unpack(cls, raw: bytes) -> Agenda:
        try:
            count, label_len = _HEAD.unpack_from(raw)
            at = _HEAD.size
            labels = json.loads(raw[at: at + label_len])
            if not isinstance(labels, list) or not all(isinstance(x, str) for x in labels):
                raise ValueError
            at += label_len
            dues = array("q")
            dues.frombytes(raw[at: at + 8 * count])
            if not _is_big_endian():
                dues.byteswap()
            at += 8 * count
            records = raw[at:]
            if len(dues) != count or len(records) != count * RECORD_SIZE:
                raise ValueError
        except (struct.error, ValueError, UnicodeDecodeError):
            raise TamperError("the follow-up agenda is malformed") from None
        return cls(dues, records, labels)


def _is_big_endian() -> bool:
    import sys

    return sys.byteorder == "big"


class AgendaStore:
    def __init__(self, session: Session, sealer: RowSealer) -> None:
        self._session = session
        self._sealer = sealer

    def load(self) -> Agenda | None:
        """The agenda, or None when none was written. Raises TamperError if it fails to open."""
        row = self._session.get(FollowupAgendaRow, AGENDA_ID)
        if row is None:
            return None
        return Agenda.unpack(self._sealer.open_binary(AGENDA_TABLE, row, "entries"))

    def save(self, agenda: Agenda) -> None:
        row = self._session.get(FollowupAgendaRow, AGENDA_ID)
        if row is None:
            row = FollowupAgendaRow(id=AGENDA_ID, vault_id=self._sealer.vault_id)
            self._session.add(row)
        self._sealer.stamp(row)
        self._sealer.seal_binary(AGENDA_TABLE, row, "entries", agenda.pack())

    def clear(self) -> None:
        self._session.execute(delete(FollowupAgendaRow))

    def exists(self) -> bool:
        return self._session.scalar(select(FollowupAgendaRow.id).limit(1)) is not None
