"""Check-in records. Coarse codes are plaintext (and bound into every field's associated
data); the exact time, the officer link and everything else live in sealed fields.

Small fields that a list row needs are sealed together in one ``summary`` blob, so showing a
row costs one decryption; notes, the incident reference and referral providers are sealed
apart and opened only when needed.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from peersupport.crypto.errors import TamperError
from peersupport.domain.checkin import CheckIn
from peersupport.store.models import CheckinRow
from peersupport.store.officers import RecordNotFoundError
from peersupport.store.sealing import RowSealer, SealedTable

CHECKIN_TABLE = SealedTable(
    model=CheckinRow,
    fields=("summary", "incident_ref", "referral_providers", "notes"),
    metadata_columns=(
        "vault_id", "period", "incident_category", "contact_type", "initiated_by",
        "recipient_class", "duration_bucket", "referral_types",
    ),
)


TEXT_FIELDS = ("notes", "incident_ref", "referral_providers")
_TABLE = CheckinRow.metadata.tables[CheckinRow.__tablename__]
_COLUMNS = tuple(c.name for c in _TABLE.columns)


@dataclass(frozen=True)
class CheckinFilter:
    """Filters on plaintext codes (answered by the database without decrypting)."""

    periods: tuple[str, ...] = ()
    incident_category: str | None = None
    contact_type: str | None = None


NO_FILTER = CheckinFilter()


@dataclass(slots=True)
class CheckinSummary:
    """What a list row shows: one decryption per row."""

    id: str
    period: str
    incident_category: str
    contact_type: str
    occurred_at: datetime
    officer_id: str | None
    group_officer_ids: list[str]
    follow_up: bool
    risk_level: str

    def __repr__(self) -> str:
        return f"<CheckinSummary {self.id}>"


class TextScan(NamedTuple):
    """One row of ``scan_text``: ``texts`` holds the TEXT_FIELDS in that order, or is None
    when the row failed authentication."""

    id: str
    texts: Sequence[str] | None
    summary: dict[str, Any] | None


# The columns a list row needs, by position: id, key_id, schema_version, the metadata
# columns (in CHECKIN_TABLE's order), then the sealed summary.
_SUMMARY_FIELD = ("summary",)
_SUMMARY_COLUMNS = [
    getattr(CheckinRow, name)
    for name in ("id", "key_id", "schema_version", *CHECKIN_TABLE.metadata_columns,
                 CHECKIN_TABLE.column("summary"))
]
_SUMMARY_BLOB = 3 + len(CHECKIN_TABLE.metadata_columns)
_PERIOD, _CATEGORY, _CONTACT_TYPE = (
    3 + CHECKIN_TABLE.metadata_columns.index(name)
    for name in ("period", "incident_category", "contact_type")
)


def _where(query: Any, flt: CheckinFilter) -> Any:
    if flt.periods:
        query = query.where(CheckinRow.period.in_(flt.periods))
    if flt.incident_category:
        query = query.where(CheckinRow.incident_category == flt.incident_category)
    if flt.contact_type:
        query = query.where(CheckinRow.contact_type == flt.contact_type)
    return query


def _newest_first(summary: CheckinSummary) -> float:
    return -summary.occurred_at.timestamp()


def _summary_payload(c: CheckIn) -> str:
    return json.dumps({
        "occurred_at": c.occurred_at.isoformat(),
        "officer_id": c.officer_id,
        "group_officer_ids": c.group_officer_ids,
        "headcount": c.headcount,
        "duration_minutes": c.duration_minutes,
        "risk_level": c.risk_level,
        "exceptions": c.exceptions,
        "follow_up": c.follow_up,
        "referrals": c.referrals,
    }, separators=(",", ":"))


def _summary_of(
    record_id: str, period: str, category: str, contact_type: str, text: str
) -> CheckinSummary:
    """A list row from the plaintext codes and the opened summary."""
    try:
        s = json.loads(text)
        return CheckinSummary(
            id=record_id,
            period=period,
            incident_category=category,
            contact_type=contact_type,
            occurred_at=datetime.fromisoformat(s["occurred_at"]),
            officer_id=s["officer_id"],
            group_officer_ids=list(s.get("group_officer_ids", [])),
            follow_up=bool(s["follow_up"]),
            risk_level=str(s["risk_level"]),
        )
    except (ValueError, KeyError, TypeError, AttributeError):
        raise TamperError("a check-in summary is malformed") from None


def _parse_summary(text: str) -> dict[str, Any]:
    try:
        data = json.loads(text)
        if not isinstance(data, dict):
            raise ValueError("not an object")
        datetime.fromisoformat(data["occurred_at"])
        return data
    except (ValueError, KeyError, TypeError):
        raise TamperError("a check-in summary is malformed") from None


class CheckinRepository:
    def __init__(self, session: Session, sealer: RowSealer) -> None:
        self._session = session
        self._sealer = sealer

    # -- writing ------------------------------------------------------------------------
    def _write(self, row: CheckinRow, c: CheckIn) -> None:
        self._sealer.stamp(row)
        row.period = c.period
        row.incident_category = c.incident_category
        row.contact_type = c.contact_type
        row.initiated_by = c.initiated_by
        row.recipient_class = c.recipient_class
        row.duration_bucket = c.duration_bucket
        row.referral_types = ",".join(sorted(c.referrals))
        self._sealer.seal_fields(CHECKIN_TABLE, row, {
            "summary": _summary_payload(c),
            "incident_ref": c.incident_ref,
            "referral_providers": c.referral_providers,
            "notes": c.notes,
        })

    def add(self, checkin: CheckIn) -> None:
        row = CheckinRow(id=checkin.id, vault_id=self._sealer.vault_id)
        self._write(row, checkin)
        self._session.add(row)

    def add_many(self, checkins: Iterable[CheckIn]) -> int:
        count = 0
        for checkin in checkins:
            self.add(checkin)
            count += 1
        return count

    def insert_many(self, checkins: Iterable[CheckIn]) -> int:
        """Bulk path for many new check-ins: sealed exactly as ``add`` seals them (same
        RowSealer, same associated data), then one executemany INSERT through SQLAlchemy
        Core, without the ORM's unit of work. The caller validates and batches."""
        values: list[dict[str, Any]] = []
        for checkin in checkins:
            row = CheckinRow(id=checkin.id, vault_id=self._sealer.vault_id)
            self._write(row, checkin)
            values.append({name: getattr(row, name) for name in _COLUMNS})
        if values:
            self._session.execute(insert(_TABLE), values)
        return len(values)

    def update(self, checkin: CheckIn) -> None:
        row = self._session.get(CheckinRow, checkin.id)
        if row is None:
            raise RecordNotFoundError(checkin.id)
        self._write(row, checkin)

    def delete(self, checkin_id: str) -> None:
        row = self._session.get(CheckinRow, checkin_id)
        if row is None:
            raise RecordNotFoundError(checkin_id)
        self._session.delete(row)

    # -- reading ------------------------------------------------------------------------
    def _open(self, row: CheckinRow, field: str) -> str:
        return self._sealer.open(CHECKIN_TABLE, row, field)

    def _summary(self, row: CheckinRow) -> dict[str, Any]:
        return _parse_summary(self._open(row, "summary"))

    def get(self, checkin_id: str) -> CheckIn:
        row = self._session.get(CheckinRow, checkin_id)
        if row is None:
            raise RecordNotFoundError(checkin_id)
        return self.read(row)

    def read(self, row: CheckinRow) -> CheckIn:
        opened = self._sealer.open_fields(CHECKIN_TABLE, row, CHECKIN_TABLE.fields)
        s = _parse_summary(opened["summary"])
        return CheckIn(
            id=row.id,
            occurred_at=datetime.fromisoformat(s["occurred_at"]),
            officer_id=s["officer_id"],
            incident_category=row.incident_category,
            contact_type=row.contact_type,
            initiated_by=row.initiated_by,
            recipient_class=row.recipient_class,
            duration_minutes=int(s["duration_minutes"]),
            referrals=list(s.get("referrals", [])),
            referral_providers=opened["referral_providers"],
            risk_level=str(s["risk_level"]),
            exceptions=list(s["exceptions"]),
            incident_ref=opened["incident_ref"],
            notes=opened["notes"],
            follow_up=bool(s["follow_up"]),
            headcount=s.get("headcount"),
            group_officer_ids=list(s.get("group_officer_ids", [])),
        )

    def summarize(self, row: CheckinRow) -> CheckinSummary:
        return _summary_of(
            row.id, row.period, row.incident_category, row.contact_type,
            self._open(row, "summary"),
        )

    def _filtered(self, flt: CheckinFilter) -> Any:
        return _where(select(CheckinRow), flt)

    def period_counts(self, flt: CheckinFilter = NO_FILTER) -> list[tuple[str, int]]:
        """Newest period first; answered from the plaintext period column and its index."""
        query = select(CheckinRow.period, func.count()).group_by(CheckinRow.period)
        if flt.incident_category:
            query = query.where(CheckinRow.incident_category == flt.incident_category)
        if flt.contact_type:
            query = query.where(CheckinRow.contact_type == flt.contact_type)
        if flt.periods:
            query = query.where(CheckinRow.period.in_(flt.periods))
        rows = self._session.execute(query.order_by(CheckinRow.period.desc()))
        return [(str(p), int(n)) for p, n in rows]

    def summaries(
        self, flt: CheckinFilter = NO_FILTER
    ) -> tuple[list[CheckinSummary], list[str]]:
        """Open the summary of every matching row, newest first; damaged rows are reported,
        not hidden. Fetches only the columns a summary needs, streaming (the notes and other
        sealed text stay in the database)."""
        good: list[CheckinSummary] = []
        damaged: list[str] = []
        open_values = self._sealer.open_values
        query = _where(select(*_SUMMARY_COLUMNS), flt).execution_options(yield_per=512)
        self._session.flush()  # Core below the ORM: make pending writes visible first
        for row in self._session.connection().execute(query):
            record_id = row[0]
            try:
                (text,) = open_values(
                    CHECKIN_TABLE, _SUMMARY_FIELD, record_id, row[1], row[2],
                    row[3:_SUMMARY_BLOB], row[_SUMMARY_BLOB:],
                )
                good.append(_summary_of(
                    record_id, row[_PERIOD], row[_CATEGORY], row[_CONTACT_TYPE], text
                ))
            except TamperError:
                damaged.append(record_id)
        good.sort(key=_newest_first)
        return good, damaged

    def rows(self, flt: CheckinFilter = NO_FILTER) -> Iterator[CheckinRow]:
        yield from self._session.scalars(self._filtered(flt))

    def rows_by_id(self, ids: Sequence[str]) -> list[CheckinRow]:
        if not ids:
            return []
        return list(self._session.scalars(select(CheckinRow).where(CheckinRow.id.in_(ids))))

    def open_text_fields(self, row: CheckinRow) -> dict[str, str]:
        return self._sealer.open_fields(CHECKIN_TABLE, row, TEXT_FIELDS)

    def scan_text(self, with_summary: bool = False) -> Iterator[TextScan]:
        """Every check-in's free-text fields (and, if asked, its summary), for search: one
        streaming pass that fetches only the columns opening them needs, keeps nothing, and
        uses the sealer's positional fast path (the same associated data, built once)."""
        fields = (*TEXT_FIELDS, "summary") if with_summary else TEXT_FIELDS
        meta = CHECKIN_TABLE.metadata_columns
        columns = [
            getattr(CheckinRow, name) for name in ("id", "key_id", "schema_version", *meta)
        ] + [getattr(CheckinRow, CHECKIN_TABLE.column(f)) for f in fields]
        first_blob = 3 + len(meta)
        open_values = self._sealer.open_values
        self._session.flush()  # Core below the ORM: make pending writes visible first
        result = self._session.connection().execute(
            select(*columns).execution_options(yield_per=256)
        )
        for row in result:
            record_id = row[0]
            try:
                opened = open_values(
                    CHECKIN_TABLE, fields, record_id, row[1], row[2], row[3:first_blob],
                    row[first_blob:],
                )
                summary = _parse_summary(opened[3]) if with_summary else None
            except TamperError:
                yield TextScan(record_id, None, None)
                continue
            yield TextScan(record_id, opened, summary)

    def count(self) -> int:
        return int(self._session.scalar(select(func.count()).select_from(CheckinRow)) or 0)

    def page(
        self, before_period: str | None, min_rows: int, flt: CheckinFilter = NO_FILTER
    ) -> tuple[list[CheckinSummary], list[str], str | None]:
        return page(self, self._session, before_period, min_rows, flt)


def _page_query(flt: CheckinFilter) -> Any:
    return _where(select(CheckinRow.period), flt)


def page(
    repo: CheckinRepository, session: Session, before_period: str | None, min_rows: int,
    flt: CheckinFilter,
) -> tuple[list[CheckinSummary], list[str], str | None]:
    """See CheckinService.page. Uses the period index: LIMIT, then whole periods."""
    query = _page_query(flt)
    if before_period is not None:
        query = query.where(CheckinRow.period < before_period)
    periods = list(
        session.scalars(query.order_by(CheckinRow.period.desc()).limit(max(min_rows, 1)))
    )
    if not periods:
        return [], [], None
    oldest = periods[-1]
    wanted = tuple(sorted(set(periods)))
    narrowed = CheckinFilter(wanted, flt.incident_category, flt.contact_type)
    rows, damaged = repo.summaries(narrowed)
    return rows, damaged, oldest
