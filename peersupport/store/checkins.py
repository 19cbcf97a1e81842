"""Check-in records. Coarse codes are plaintext (and bound into every field's associated
data); the exact time, the officer link and everything else live in sealed fields.

Small fields that a list row needs are sealed together in one ``summary`` blob, so showing a
row costs one decryption; notes, the incident reference and referral providers are sealed
apart and opened only when needed. Every write also keeps the sealed index of the check-in's
month exact (``checkin_months``), in the same transaction, so a page of the newest rows opens
only the summaries it shows.

Order: newest first means by period, then exact time, then id, all descending, everywhere
(``summaries``, ``page``, ``page_after``). Within one time zone that is simply time order.
"""

from __future__ import annotations

import contextlib
import logging
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, func, insert, select
from sqlalchemy.orm import Session

from peersupport.crypto.errors import TamperError
from peersupport.domain.checkin import CheckIn
from peersupport.store.checkin_months import (
    MonthEntries,
    MonthIndexStore,
    pack_entry,
    time_key,
    unpack_entry,
)
from peersupport.store.checkin_records import (
    NO_FILTER,
    CheckinFilter,
    CheckinPage,
    CheckinSummary,
    PageCursor,
    PageSlice,
    TextScan,
    parse_summary,
    summary_of,
    summary_payload,
)
from peersupport.store.models import CheckinRow
from peersupport.store.officers import RecordNotFoundError
from peersupport.store.sealing import RowSealer, SealedTable

__all__ = [  # the records live in checkin_records; importing them from here keeps working
    "CHECKIN_TABLE",
    "NO_FILTER",
    "TEXT_FIELDS",
    "CheckinFilter",
    "CheckinPage",
    "CheckinRepository",
    "CheckinSummary",
    "PageCursor",
    "TextScan",
]

log = logging.getLogger(__name__)

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
# built once: paging runs them on every page
_SUMMARIES_BY_ID = select(*_SUMMARY_COLUMNS).where(
    CheckinRow.id.in_(bindparam("ids", expanding=True))
)
_MONTH_COUNTS = (
    select(CheckinRow.period, func.count())
    .where(CheckinRow.period.in_(bindparam("periods", expanding=True)))
    .group_by(CheckinRow.period)
)


def _where(query: Any, flt: CheckinFilter) -> Any:
    if flt.periods:
        query = query.where(CheckinRow.period.in_(flt.periods))
    if flt.incident_category:
        query = query.where(CheckinRow.incident_category == flt.incident_category)
    if flt.contact_type:
        query = query.where(CheckinRow.contact_type == flt.contact_type)
    return query


def _order(summary: CheckinSummary) -> tuple[str, int, str]:
    """Sort key of the list order (used descending): period, exact time, id."""
    return summary.period, time_key(summary.occurred_at), summary.id


def _is_filtered(flt: CheckinFilter) -> bool:
    return bool(flt.incident_category or flt.contact_type)


class CheckinRepository:
    def __init__(self, session: Session, sealer: RowSealer) -> None:
        self._session = session
        self._sealer = sealer
        self._deferred: dict[str, list[tuple[int, str]]] | None = None

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
            "summary": summary_payload(c),
            "incident_ref": c.incident_ref,
            "referral_providers": c.referral_providers,
            "notes": c.notes,
        })

    def add(self, checkin: CheckIn) -> None:
        row = CheckinRow(id=checkin.id, vault_id=self._sealer.vault_id)
        self._write(row, checkin)
        self._session.add(row)
        self._index_change(checkin.period, add=[_entry_of(checkin)])

    def insert_many(self, checkins: Iterable[CheckIn]) -> int:
        """Bulk path for many new check-ins: sealed exactly as ``add`` seals them (same
        RowSealer, same associated data), then one executemany INSERT through SQLAlchemy
        Core, without the ORM's unit of work. The caller validates and batches."""
        values: list[dict[str, Any]] = []
        by_period: dict[str, list[tuple[int, str]]] = defaultdict(list)
        for checkin in checkins:
            row = CheckinRow(id=checkin.id, vault_id=self._sealer.vault_id)
            self._write(row, checkin)
            values.append({name: getattr(row, name) for name in _COLUMNS})
            by_period[checkin.period].append(_entry_of(checkin))
        if values:
            self._session.execute(insert(_TABLE), values)
        for period, entries in by_period.items():  # each month's index once per call
            if self._deferred is not None:
                self._deferred.setdefault(period, []).extend(entries)
            else:
                self._index_change(period, add=entries)
        return len(values)

    @contextlib.contextmanager
    def deferred_month_indexes(self) -> Iterator[None]:
        """For bulk inserts in batches: inside this block ``insert_many`` only collects
        index entries, and each month's index is written once when the block ends (still
        inside the caller's transaction). If the block raises, nothing is written: the
        transaction is expected to roll back."""
        if self._deferred is not None:
            raise RuntimeError("month indexes are already deferred")
        self._deferred = {}
        try:
            yield
            pending = self._deferred
        finally:
            self._deferred = None
        for period, entries in pending.items():
            self._index_change(period, add=entries)

    def update(self, checkin: CheckIn) -> None:
        row = self._session.get(CheckinRow, checkin.id)
        if row is None:
            raise RecordNotFoundError(checkin.id)
        old_period = row.period
        self._write(row, checkin)
        if old_period == checkin.period:
            self._index_change(old_period, remove=[checkin.id], add=[_entry_of(checkin)])
        else:  # moved to another month
            self._index_change(old_period, remove=[checkin.id])
            self._index_change(checkin.period, add=[_entry_of(checkin)])

    def delete(self, checkin_id: str) -> None:
        row = self._session.get(CheckinRow, checkin_id)
        if row is None:
            raise RecordNotFoundError(checkin_id)
        period = row.period
        self._session.delete(row)
        self._index_change(period, remove=[checkin_id])

    # -- the sealed month index -----------------------------------------------------------
    def _months(self) -> MonthIndexStore:
        return MonthIndexStore(self._session, self._sealer)

    def _month_count(self, period: str) -> int:
        query = select(func.count()).select_from(CheckinRow).where(CheckinRow.period == period)
        return int(self._session.scalar(query) or 0)

    def _index_change(
        self, period: str, remove: Sequence[str] = (), add: Sequence[tuple[int, str]] = ()
    ) -> None:
        """Bring ``period``'s index in step with rows just written to it (pending rows are
        flushed first). An index that fails authentication or did not match the month before
        this change is rebuilt from the month's rows instead: a save never fails for it."""
        self._session.flush()
        months = self._months()
        try:
            current = months.load(period)
        except TamperError:
            changed = None
        else:
            changed = (current or MonthEntries()).changed(remove, add)
        if changed is None or len(changed) != self._month_count(period):
            log.warning("a month index did not match its check-ins; rebuilt it")
            self._rebuild_month(period)
            return
        months.save(period, changed)

    def _rebuild_month(self, period: str) -> None:
        """The month's index from its rows' summaries; rows whose summary fails
        authentication cannot be placed and stay out (readers then open the month whole,
        and report them)."""
        good, _damaged = self.summaries(CheckinFilter((period,)))
        self._months().save(
            period, MonthEntries.from_items((time_key(s.occurred_at), s.id) for s in good)
        )

    def rebuild_month_indexes(self) -> tuple[int, list[str]]:
        """Build every month's index again from the check-ins' summaries. Returns how many
        months were indexed and the ids of check-ins whose summary failed authentication
        (left out of the index)."""
        months = self._months()
        months.delete_all()
        good, damaged = self.summaries()
        by_period: dict[str, list[tuple[int, str]]] = defaultdict(list)
        for s in good:
            by_period[s.period].append((time_key(s.occurred_at), s.id))
        for period, entries in by_period.items():
            months.save(period, MonthEntries.from_items(entries))
        self._session.flush()
        return len(by_period), damaged

    def needs_month_indexes(self) -> bool:
        """Check-ins exist but no month is indexed (a vault written before the index)."""
        has_checkins = self._session.scalar(select(CheckinRow.id).limit(1)) is not None
        return has_checkins and not self._months().exists()

    def month_index_problems(self) -> list[str]:
        """Periods whose index is missing or does not list exactly the month's check-ins at
        their exact times, newest first (for ``verify``). Check-ins whose summary fails
        authentication are left out of the comparison (they are reported as themselves), and
        so are indexes that fail authentication (``verify`` reports those as sealed fields)."""
        good, damaged = self.summaries()
        skip = set(damaged)
        expected: dict[str, set[bytes]] = defaultdict(set)
        for s in good:
            expected[s.period].add(pack_entry(time_key(s.occurred_at), s.id))
        months = self._months()
        problems: list[str] = []
        for period in sorted(set(months.periods()) | set(expected), reverse=True):
            try:
                entries = months.load(period)
            except TamperError:
                continue
            if entries is None:
                problems.append(period)
                continue
            if not entries.is_well_formed():
                problems.append(period)
                continue
            listed = {e for e in entries if unpack_entry(e)[1] not in skip}
            if listed != expected.get(period, set()):
                problems.append(period)
        return problems

    # -- reading ------------------------------------------------------------------------
    def _open(self, row: CheckinRow, field: str) -> str:
        return self._sealer.open(CHECKIN_TABLE, row, field)

    def _summary(self, row: CheckinRow) -> dict[str, Any]:
        return parse_summary(self._open(row, "summary"))

    def get(self, checkin_id: str) -> CheckIn:
        row = self._session.get(CheckinRow, checkin_id)
        if row is None:
            raise RecordNotFoundError(checkin_id)
        return self.read(row)

    def read(self, row: CheckinRow) -> CheckIn:
        opened = self._sealer.open_fields(CHECKIN_TABLE, row, CHECKIN_TABLE.fields)
        s = parse_summary(opened["summary"])
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
                good.append(summary_of(
                    record_id, row[_PERIOD], row[_CATEGORY], row[_CONTACT_TYPE], text
                ))
            except TamperError:
                damaged.append(record_id)
        good.sort(key=_order, reverse=True)
        return good, damaged

    def rows_by_id(self, ids: Sequence[str]) -> list[CheckinRow]:
        if not ids:
            return []
        return list(self._session.scalars(select(CheckinRow).where(CheckinRow.id.in_(ids))))

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
                summary = parse_summary(opened[3]) if with_summary else None
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

    # -- paging through the month index ----------------------------------------------------
    def page_after(
        self, cursor: PageCursor | None, min_rows: int, flt: CheckinFilter = NO_FILTER
    ) -> CheckinPage:
        """The next ``min_rows`` rows (at least one) below ``cursor``, newest first, or
        fewer when nothing older is left. Opens the sealed index of each month it needs and
        then only the summaries it returns: the cost grows neither with the vault nor with
        how many check-ins a month holds. A month whose index cannot be trusted is read
        whole instead (see CheckinPage).

        A handful of queries a page, whatever the number of months it spans: which months
        hold the next rows (the period index, LIMIT), their row counts, their index rows,
        then the summaries by id."""
        want = max(min_rows, 1)
        self._session.flush()  # Core below the ORM: make pending writes visible first
        result = CheckinPage([], [], None)
        bound = cursor.period if cursor is not None else None
        inclusive = cursor is not None and cursor.key is not None
        while True:
            # rows still above the cursor in its month count here too: ask for more then
            extra = want if inclusive else 0
            months = self._months_holding(bound, inclusive, want - len(result.rows) + extra, flt)
            if not months:
                return result
            period = months[0]
            for got in self._slices(months, cursor, want - len(result.rows), flt):
                period = got.period
                result.rows.extend(got.rows)
                result.damaged.extend(got.damaged)
                if got.index_damaged:
                    result.damaged_indexes.append(period)
                if got.next is not None:  # stopped inside this month
                    result.next = got.next
                    return result
                if len(result.rows) >= want:
                    older = period != months[-1] or (
                        self._next_period(period, False, flt) is not None
                    )
                    result.next = PageCursor(period) if older else None
                    return result
            # fewer rows than planned (damaged ones): go on below the last month read
            bound, inclusive = period, False

    def _months_holding(
        self, bound: str | None, inclusive: bool, rows: int, flt: CheckinFilter
    ) -> list[str]:
        """The months, newest first, that hold the next ``rows`` matching check-ins at or
        below (``inclusive``) or below ``bound``: one walk down the period index."""
        query = _where(select(CheckinRow.period), flt)
        if bound is not None:
            query = query.where(
                CheckinRow.period <= bound if inclusive else CheckinRow.period < bound
            )
        query = query.order_by(CheckinRow.period.desc()).limit(max(rows, 1))
        return list(dict.fromkeys(self._session.connection().execute(query).scalars()))

    def _next_period(self, bound: str | None, inclusive: bool, flt: CheckinFilter) -> str | None:
        found = self._months_holding(bound, inclusive, 1, flt)
        return found[0] if found else None

    def _slices(
        self, months: list[str], cursor: PageCursor | None, want: int, flt: CheckinFilter
    ) -> Iterator[PageSlice]:
        """Each month's rows for this page, in order, taking at most ``want`` in all."""
        connection = self._session.connection()
        counts: dict[str, int] = {
            str(p): int(n) for p, n in connection.execute(_MONTH_COUNTS, {"periods": months})
        }
        indexes = self._months().load_many(months)
        allowed: dict[str, set[str]] | None = None
        if _is_filtered(flt):
            allowed = defaultdict(set)
            query = _where(select(CheckinRow.period, CheckinRow.id), flt).where(
                CheckinRow.period.in_(months)
            )
            for period, record_id in connection.execute(query):
                allowed[period].add(record_id)
        plans: list[tuple[str, PageCursor | None, list[tuple[int, str]] | None, bool]] = []
        need = want
        for period in months:
            if need <= 0:
                break
            before = cursor if cursor is not None and cursor.period == period else None
            entries = indexes.get(period)
            if entries is None or len(entries) != counts.get(period, 0):
                plans.append((period, before, None, False))  # read it whole
                need -= counts.get(period, 0)
                continue
            end = entries.end_before(before.key, before.id) if before is not None else len(entries)
            if allowed is not None:
                ok = allowed.get(period, set())
                picked: list[tuple[int, str]] = []
                at = end - 1
                while at >= 0 and len(picked) < need:
                    entry = unpack_entry(entries[at])
                    if entry[1] in ok:
                        picked.append(entry)
                    at -= 1
                more = at >= 0
            else:
                picked = entries.newest(end, need)
                more = end > len(picked)
            plans.append((period, before, picked, more))
            need -= len(picked)
        found = self._summary_rows([i for plan in plans if plan[2] for _, i in plan[2]])
        for period, before, chosen, more in plans:
            got = None if chosen is None else self._open_picked(period, chosen, more, found)
            yield got if got is not None else self._whole_month(period, before, flt)

    def _open_picked(
        self, period: str, picked: list[tuple[int, str]], more: bool, found: dict[str, Any]
    ) -> PageSlice | None:
        """Open the summaries of the entries picked from a month's index; None when a row
        does not match its entry (the index is out of step: read the month whole)."""
        rows: list[CheckinSummary] = []
        damaged: list[str] = []
        open_values = self._sealer.open_values
        for key, record_id in picked:
            row = found.get(record_id)
            if row is None or row[_PERIOD] != period:
                return None
            try:
                (text,) = open_values(
                    CHECKIN_TABLE, _SUMMARY_FIELD, record_id, row[1], row[2],
                    row[3:_SUMMARY_BLOB], row[_SUMMARY_BLOB:],
                )
                summary = summary_of(
                    record_id, row[_PERIOD], row[_CATEGORY], row[_CONTACT_TYPE], text
                )
            except TamperError:
                damaged.append(record_id)
                continue
            if time_key(summary.occurred_at) != key:
                return None
            rows.append(summary)
        last = picked[-1] if picked else None
        after = PageCursor(period, last[0], last[1]) if more and last is not None else None
        return PageSlice(period, rows, damaged, after)

    def _summary_rows(self, ids: Sequence[str]) -> dict[str, Any]:
        found: dict[str, Any] = {}
        execute = self._session.connection().execute
        for start in range(0, len(ids), 500):  # stay well under SQLite's variable limit
            for row in execute(_SUMMARIES_BY_ID, {"ids": ids[start:start + 500]}):
                found[row[0]] = row
        return found

    def _whole_month(
        self, period: str, before: PageCursor | None, flt: CheckinFilter
    ) -> PageSlice:
        """The slow path for a month whose index cannot be trusted: open every summary of
        the month (as ``page`` does) and return all of it below ``before``."""
        log.warning("a month index failed authentication or did not match; read it whole")
        good, damaged = self.summaries(
            CheckinFilter((period,), flt.incident_category, flt.contact_type)
        )
        if before is not None and before.key is not None and before.id is not None:
            bound = (before.key, before.id)
            good = [s for s in good if (time_key(s.occurred_at), s.id) < bound]
        return PageSlice(period, good, damaged, None, index_damaged=True)


def _entry_of(checkin: CheckIn) -> tuple[int, str]:
    return time_key(checkin.occurred_at), checkin.id


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
