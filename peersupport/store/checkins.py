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
from typing import Any

from sqlalchemy import func, select
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


@dataclass(frozen=True)
class CheckinFilter:
    """Filters on plaintext codes (answered by the database without decrypting)."""

    periods: tuple[str, ...] = ()
    incident_category: str | None = None
    contact_type: str | None = None


NO_FILTER = CheckinFilter()


@dataclass
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
        seal = self._sealer.seal
        seal(CHECKIN_TABLE, row, "summary", _summary_payload(c))
        seal(CHECKIN_TABLE, row, "incident_ref", c.incident_ref)
        seal(CHECKIN_TABLE, row, "referral_providers", c.referral_providers)
        seal(CHECKIN_TABLE, row, "notes", c.notes)

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
        s = self._summary(row)
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
            referral_providers=self._open(row, "referral_providers"),
            risk_level=str(s["risk_level"]),
            exceptions=list(s["exceptions"]),
            incident_ref=self._open(row, "incident_ref"),
            notes=self._open(row, "notes"),
            follow_up=bool(s["follow_up"]),
            headcount=s.get("headcount"),
            group_officer_ids=list(s.get("group_officer_ids", [])),
        )

    def summarize(self, row: CheckinRow) -> CheckinSummary:
        s = self._summary(row)
        return CheckinSummary(
            id=row.id,
            period=row.period,
            incident_category=row.incident_category,
            contact_type=row.contact_type,
            occurred_at=datetime.fromisoformat(s["occurred_at"]),
            officer_id=s["officer_id"],
            group_officer_ids=list(s.get("group_officer_ids", [])),
            follow_up=bool(s["follow_up"]),
            risk_level=str(s["risk_level"]),
        )

    def _filtered(self, flt: CheckinFilter) -> Any:
        query = select(CheckinRow)
        if flt.periods:
            query = query.where(CheckinRow.period.in_(flt.periods))
        if flt.incident_category:
            query = query.where(CheckinRow.incident_category == flt.incident_category)
        if flt.contact_type:
            query = query.where(CheckinRow.contact_type == flt.contact_type)
        return query

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
        """Open the summary of every matching row; damaged rows are reported, not hidden."""
        good: list[CheckinSummary] = []
        damaged: list[str] = []
        for row in self._session.scalars(self._filtered(flt)):
            try:
                good.append(self.summarize(row))
            except TamperError:
                damaged.append(row.id)
        good.sort(key=lambda s: s.occurred_at, reverse=True)
        return good, damaged

    def rows(self, flt: CheckinFilter = NO_FILTER) -> Iterator[CheckinRow]:
        yield from self._session.scalars(self._filtered(flt))

    def rows_by_id(self, ids: Sequence[str]) -> list[CheckinRow]:
        if not ids:
            return []
        return list(self._session.scalars(select(CheckinRow).where(CheckinRow.id.in_(ids))))

    def open_text_fields(self, row: CheckinRow) -> dict[str, str]:
        return {f: self._open(row, f) for f in ("notes", "incident_ref", "referral_providers")}

    def count(self) -> int:
        return int(self._session.scalar(select(func.count()).select_from(CheckinRow)) or 0)

    def page(
        self, before_period: str | None, min_rows: int, flt: CheckinFilter = NO_FILTER
    ) -> tuple[list[CheckinSummary], list[str], str | None]:
        return page(self, self._session, before_period, min_rows, flt)


def _page_query(flt: CheckinFilter) -> Any:
    query = select(CheckinRow.period)
    if flt.incident_category:
        query = query.where(CheckinRow.incident_category == flt.incident_category)
    if flt.contact_type:
        query = query.where(CheckinRow.contact_type == flt.contact_type)
    if flt.periods:
        query = query.where(CheckinRow.period.in_(flt.periods))
    return query


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
