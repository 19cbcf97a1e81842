"""Check-in use cases: log, edit, delete, list, officers, search, drafts.

Every user action is one transaction. Validation happens here, before anything is sealed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from peersupport.crypto.errors import TamperError
from peersupport.domain.checkin import CheckIn, validate
from peersupport.domain.officer import Officer
from peersupport.services.errors import LegalHoldError
from peersupport.store.checkins import (
    NO_FILTER,
    TEXT_FIELDS,
    CheckinFilter,
    CheckinPage,
    CheckinRepository,
    CheckinSummary,
    PageCursor,
)
from peersupport.store.drafts import CHECKIN_DRAFT_ID, DraftRepository
from peersupport.store.legal_holds import LegalHoldRepository
from peersupport.store.officers import OfficerRepository, RecordNotFoundError

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from peersupport.paths import DataDir
    from peersupport.services.followups import FollowupService
    from peersupport.services.requests import RequestService
    from peersupport.services.retention import RetentionService
    from peersupport.services.statistics import StatisticsService
    from peersupport.services.vault import UnlockedVault

__all__ = [
    "NO_FILTER",
    "CheckinDetail",
    "CheckinFilter",
    "CheckinPage",
    "CheckinService",
    "CheckinSummary",
    "ForgetPreview",
    "LegalHoldError",
    "MonthIndexRebuild",
    "PageCursor",
    "RecordNotFoundError",
    "SearchHit",
    "ValidationError",
]

SEARCH_BATCH = 500


class ValidationError(ValueError):
    """The check-in is not valid; ``errors`` maps field names to messages."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


@dataclass
class CheckinDetail:
    checkin: CheckIn
    officer: Officer | None
    group_officers: list[Officer]
    held: bool = False  # under a legal hold (itself or through one of its officers)


@dataclass(frozen=True)
class SearchHit:
    checkin_id: str
    field: str  # notes, incident_ref, referral_providers or officer
    snippet: str

    def __repr__(self) -> str:
        return f"<SearchHit {self.checkin_id} {self.field}>"


@dataclass
class ForgetPreview:
    officer_id: str
    alias: str
    checkins: int  # check-ins with this officer as the main officer: deleted
    group_mentions: int  # group check-ins that list them: they are removed from the list
    checkin_ids: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class MonthIndexRebuild:
    months: int  # months indexed
    damaged: list[str]  # check-ins whose summary failed authentication: left out


def _snippet(text: str, start: int, length: int, width: int = 40) -> str:
    lo = max(0, start - width)
    hi = min(len(text), start + length + width)
    return ("…" if lo else "") + text[lo:hi].replace("\n", " ") + ("…" if hi < len(text) else "")


_DAMAGED_REFUSAL = (
    "a check-in failed authentication, so it cannot be told whether it concerns this "
    "officer; run verify"
)


def _involving(checkins: CheckinRepository, officer_id: str) -> list[CheckIn]:
    """Every check-in with this officer, main or in the group, read in full. Found from the
    summaries (one decryption a row); refuses when a row cannot be read, since it might be
    one of them."""
    summaries, damaged = checkins.summaries()
    if damaged:
        raise TamperError(_DAMAGED_REFUSAL)
    ids = [
        s.id for s in summaries if s.officer_id == officer_id or officer_id in s.group_officer_ids
    ]
    found: list[CheckIn] = []
    for start in range(0, len(ids), 500):  # stay well under SQLite's variable limit
        found.extend(checkins.read(row) for row in checkins.rows_by_id(ids[start:start + 500]))
    return found


class CheckinService:
    def __init__(self, vault: UnlockedVault) -> None:
        self._vault = vault

    def followups(self) -> FollowupService:
        """The follow-up use cases of the same vault (with its current policy)."""
        return self._vault.followups()

    def requests(self) -> RequestService:
        """The follow-up requests of the same vault."""
        return self._vault.requests()

    @property
    def data_dir(self) -> DataDir:
        """The vault's folder (where its settings live)."""
        return self._vault.data_dir

    def statistics(self) -> StatisticsService:
        """The anonymized statistics of the same vault."""
        return self._vault.statistics()

    def retention(self) -> RetentionService:
        """Legal holds and the retention purge of the same vault."""
        from peersupport.services.retention import RetentionService

        return RetentionService(self._vault)

    # -- helpers -----------------------------------------------------------------------
    def _repos(self, s: Session) -> tuple[CheckinRepository, OfficerRepository]:
        sealer = self._vault.sealer
        return CheckinRepository(s, sealer), OfficerRepository(s, sealer)

    # -- writing -----------------------------------------------------------------------
    def save(
        self, checkin: CheckIn, new_officers: list[Officer] | None = None, *,
        incident_at: datetime | None = None, completes: tuple[str, str] | None = None,
    ) -> str:
        """Add or update a check-in, creating any new officers, in one transaction. A
        check-in that wants follow-up gets a plan per officer, timed from ``incident_at``
        (default: the check-in's own time); ``completes`` (plan id, step id) marks that step
        done by this check-in. Every open plan of its officers records it as a contact."""
        new_ids = {o.id for o in new_officers or []}
        errors = validate(checkin)
        if incident_at is not None:
            if incident_at.tzinfo is None:
                errors["incident_at"] = "The incident's date and time need a time zone."
            # not compared with a check-in time without a zone (that is its own error);
            # in UTC, as times in the same zone compare as wall clocks in the repeated hour
            elif "occurred_at" not in errors and \
                    incident_at.astimezone(UTC) > checkin.occurred_at.astimezone(UTC):
                errors["incident_at"] = "The incident cannot come after the check-in."
        if errors:
            raise ValidationError(errors)
        with self._vault.transaction() as s:
            checkins, officers = self._repos(s)
            for officer in new_officers or []:
                officers.add(officer)
            for oid in [checkin.officer_id, *checkin.group_officer_ids]:
                if oid is not None and oid not in new_ids:
                    officers.get(oid)  # raises RecordNotFoundError for a dangling link
            previous: CheckIn | None
            try:
                previous = checkins.get(checkin.id)
            except RecordNotFoundError:
                previous = None
                checkins.add(checkin)
            else:
                checkins.update(checkin)
            followups = self._vault.followups()
            followups.hooks(s).checkin_saved(
                checkin, previous, incident_at=incident_at, completes=completes)
            timely = None if completes is None else followups.timeliness(
                s, completes[0], completes[1], checkin.occurred_at)
            self._vault.statistics().checkin_saved(s, checkin, timely)
        return checkin.id

    def delete(self, checkin_id: str, *, keep_count: bool = False) -> None:
        """Delete a check-in and its follow-up plans; secure_delete overwrites them in the
        database file, and the checkpoint empties the write-ahead log of their older copies.
        ``keep_count``: the check-in is destroyed under retention rules, so its anonymous
        statistics record stays; otherwise (entered by mistake) it goes too."""
        with self._vault.transaction() as s:
            checkins = self._repos(s)[0]
            try:
                checkin: CheckIn | None = checkins.get(checkin_id)
            except TamperError:  # a damaged check-in can still be deleted (unless held)
                checkin = None
            linked = [] if checkin is None else [checkin.officer_id, *checkin.group_officer_ids]
            if LegalHoldRepository(s, self._vault.sealer).get().covers(checkin_id, linked):
                raise LegalHoldError("this check-in is under a legal hold")
            self._vault.statistics().checkin_deleted(s, checkin_id, keep_count)
            hooks = self._vault.followups().hooks(s)
            checkins.delete(checkin_id)
            if checkin is not None:
                hooks.checkin_deleted(checkin)
            else:
                hooks.unreadable_checkin_deleted(checkin_id)
        self._vault.checkpoint()

    def mark_notice_given(self, officer_id: str, when: datetime) -> None:
        with self._vault.transaction() as s:
            officers = self._repos(s)[1]
            officer = officers.get(officer_id)
            officer.notice_given_at = when
            officers.update(officer)

    def add_officer(self, officer: Officer) -> None:
        with self._vault.transaction() as s:
            self._repos(s)[1].add(officer)

    def update_officer(self, officer: Officer) -> None:
        with self._vault.transaction() as s:
            self._repos(s)[1].update(officer)

    # -- reading -----------------------------------------------------------------------
    def get(self, checkin_id: str) -> CheckinDetail:
        with self._vault.transaction() as s:
            checkins, officers = self._repos(s)
            checkin = checkins.get(checkin_id)
            officer = officers.get(checkin.officer_id) if checkin.officer_id else None
            group = []
            for oid in checkin.group_officer_ids:
                try:
                    group.append(officers.get(oid))
                except RecordNotFoundError:
                    continue
            held = LegalHoldRepository(s, self._vault.sealer).get().covers(
                checkin.id, [checkin.officer_id, *checkin.group_officer_ids])
            return CheckinDetail(checkin, officer, group, held)

    def period_counts(self, flt: CheckinFilter = NO_FILTER) -> list[tuple[str, int]]:
        with self._vault.transaction() as s:
            return self._repos(s)[0].period_counts(flt)

    def summaries(
        self, flt: CheckinFilter = NO_FILTER
    ) -> tuple[list[CheckinSummary], list[str]]:
        """Newest first, with the ids of rows that failed authentication."""
        with self._vault.transaction() as s:
            return self._repos(s)[0].summaries(flt)

    def page(
        self, before_period: str | None, min_rows: int, flt: CheckinFilter = NO_FILTER
    ) -> tuple[list[CheckinSummary], list[str], str | None]:
        """Whole periods, newest first, older than ``before_period``, until at least
        ``min_rows`` rows. Returns the rows, damaged ids, and the oldest period included
        (``None`` when there is nothing older). Cost does not grow with the vault's size,
        but it does with the size of the months it returns (every row of them is opened):
        ``page_after`` does not."""
        with self._vault.transaction() as s:
            return self._repos(s)[0].page(before_period, min_rows, flt)

    def page_after(
        self, cursor: PageCursor | None, min_rows: int, flt: CheckinFilter = NO_FILTER
    ) -> CheckinPage:
        """The next ``min_rows`` rows (at least one; fewer at the end) below ``cursor``
        (``None``: from the newest), newest first, in the order of ``summaries``. Continue
        with ``page.next`` until it is ``None``. Months are not returned whole: a page may
        stop inside one, and the next continues right below it. Only the summaries returned
        are opened (plus one sealed index per month touched), so the cost depends neither on
        the vault's size nor on how many check-ins a month holds. A month whose index fails
        authentication or does not match its check-ins is read whole instead, correctly,
        and named in ``page.damaged_indexes`` (``rebuild_month_indexes`` repairs it)."""
        with self._vault.transaction() as s:
            return self._repos(s)[0].page_after(cursor, min_rows, flt)

    def rebuild_month_indexes(self) -> MonthIndexRebuild:
        """Build every month's sealed index again from the check-ins (one transaction):
        for indexes reported damaged, or for a vault written before the index existed."""
        with self._vault.transaction() as s:
            months, damaged = self._repos(s)[0].rebuild_month_indexes()
        return MonthIndexRebuild(months, damaged)

    def ensure_month_indexes(self) -> bool:
        """Build the month indexes if check-ins exist but none is indexed (run at unlock;
        cheap when there is nothing to do). Returns whether it built them."""
        with self._vault.transaction() as s:
            repo = self._repos(s)[0]
            if not repo.needs_month_indexes():
                return False
            repo.rebuild_month_indexes()
        return True

    def count(self) -> int:
        with self._vault.transaction() as s:
            return self._repos(s)[0].count()

    def officers(self) -> list[Officer]:
        return sorted(self._vault.list_officers().officers, key=lambda o: o.alias.casefold())

    def alias_of(self, officer_id: str) -> str | None:
        """One officer's alias (one record opened), or None when there is no such officer."""
        with self._vault.transaction() as s:
            try:
                return self._repos(s)[1].get(officer_id).alias
            except RecordNotFoundError:
                return None

    def aliases(self) -> dict[str, str]:
        return {o.id: o.alias for o in self._vault.list_officers().officers}

    def timeline(self, officer_id: str) -> list[CheckinSummary]:
        """Every check-in with this officer (main or in a group), newest first."""
        rows, _ = self.summaries()
        return [
            r for r in rows if r.officer_id == officer_id or officer_id in r.group_officer_ids
        ]

    # -- officers: merge and forget --------------------------------------------------------
    def merge_officers(self, keep_id: str, merge_id: str) -> int:
        """Move every check-in of ``merge_id`` to ``keep_id`` and delete ``merge_id``.
        Returns how many check-ins changed. One transaction."""
        if keep_id == merge_id:
            raise ValueError("cannot merge an officer with itself")
        with self._vault.transaction() as s:
            checkins, officers = self._repos(s)
            keep = officers.get(keep_id)
            gone = officers.get(merge_id)
            if merge_id in LegalHoldRepository(s, self._vault.sealer).get().officers:
                raise LegalHoldError("this officer is under a legal hold")
            hooks = self._vault.followups().hooks(s)
            changed = 0
            for checkin in _involving(checkins, merge_id):
                hooks.officer_merged(checkin.id, keep_id, merge_id)
                touched = False
                if checkin.officer_id == merge_id:
                    checkin.officer_id = keep_id
                    touched = True
                if merge_id in checkin.group_officer_ids:
                    ids = [keep_id if i == merge_id else i for i in checkin.group_officer_ids]
                    checkin.group_officer_ids = list(dict.fromkeys(ids))
                    touched = True
                if touched:
                    checkins.update(checkin)
                    changed += 1
            for name in ("full_name", "contact"):
                if not getattr(keep, name) and getattr(gone, name):
                    setattr(keep, name, getattr(gone, name))
            if gone.notes:
                keep.notes = "\n\n".join(n for n in (keep.notes, gone.notes) if n)
            if keep.notice_given_at is None:
                keep.notice_given_at = gone.notice_given_at
            officers.update(keep)
            officers.delete(merge_id)
        self._vault.checkpoint()
        return changed

    def forget_preview(self, officer_id: str) -> ForgetPreview:
        with self._vault.transaction() as s:
            checkins, officers = self._repos(s)
            alias = officers.get(officer_id).alias
            preview = ForgetPreview(officer_id, alias, 0, 0)
            summaries, damaged = checkins.summaries()
            if damaged:
                raise TamperError(_DAMAGED_REFUSAL)
            for summary in summaries:
                if summary.officer_id == officer_id:
                    preview.checkins += 1
                    preview.checkin_ids.append(summary.id)
                elif officer_id in summary.group_officer_ids:
                    preview.group_mentions += 1
            return preview

    def forget_officer(self, officer_id: str) -> ForgetPreview:
        """Delete the officer, their check-ins, and their place in group check-ins."""
        with self._vault.transaction() as s:
            checkins, officers = self._repos(s)
            alias = officers.get(officer_id).alias
            preview = ForgetPreview(officer_id, alias, 0, 0)
            hooks = self._vault.followups().hooks(s)
            involved = _involving(checkins, officer_id)
            holds = LegalHoldRepository(s, self._vault.sealer).get()
            if officer_id in holds.officers or any(
                    holds.covers(c.id, [c.officer_id, *c.group_officer_ids]) for c in involved):
                raise LegalHoldError("this officer, or one of their check-ins, is under a "
                                     "legal hold")
            for checkin in involved:
                if checkin.officer_id == officer_id:
                    checkins.delete(checkin.id)
                    hooks.checkin_deleted(checkin)
                    preview.checkins += 1
                    preview.checkin_ids.append(checkin.id)
                elif officer_id in checkin.group_officer_ids:
                    previous = CheckIn(**{**checkin.__dict__,
                                          "group_officer_ids": list(checkin.group_officer_ids)})
                    checkin.group_officer_ids.remove(officer_id)
                    checkins.update(checkin)
                    hooks.checkin_saved(checkin, previous)
                    preview.group_mentions += 1
            hooks.officer_forgotten(officer_id)
            officers.delete(officer_id)
        self._vault.checkpoint()
        return preview

    # -- search ----------------------------------------------------------------------------
    def search(
        self, text: str, batch: int = SEARCH_BATCH,
        cancelled: Callable[[], bool] = lambda: False,
        on_damaged: Callable[[str], None] | None = None,
    ) -> Iterator[list[SearchHit]]:
        """Case-insensitive search over notes, incident references, referral providers and
        officer names and contacts. Yields hits in batches as they are found; nothing of the
        search is written anywhere. A check-in that fails authentication is skipped and its
        id passed to ``on_damaged``."""
        needle = text.casefold().strip()
        if not needle:
            return
        matching_officers = {
            o.id: o.alias for o in self._vault.list_officers().officers
            if any(needle in v.casefold() for v in (o.alias, o.full_name, o.contact))
        }
        hits: list[SearchHit] = []
        with self._vault.transaction() as s:
            checkins = self._repos(s)[0]
            for scanned in checkins.scan_text(with_summary=bool(matching_officers)):
                if cancelled():
                    return
                texts = scanned.texts
                if texts is None:
                    if on_damaged is not None:
                        on_damaged(scanned.id)
                    continue
                if scanned.summary is not None:
                    linked = [scanned.summary.get("officer_id"),
                              *scanned.summary.get("group_officer_ids", [])]
                    for oid in linked:
                        if oid in matching_officers:
                            hits.append(SearchHit(scanned.id, "officer", matching_officers[oid]))
                            break
                for name, value in zip(TEXT_FIELDS, texts, strict=False):
                    at = value.casefold().find(needle)
                    if at >= 0:
                        hits.append(SearchHit(scanned.id, name, _snippet(value, at, len(needle))))
                if len(hits) >= batch:
                    yield hits
                    hits = []
        if hits:
            yield hits

    # -- drafts ----------------------------------------------------------------------------
    def save_draft(self, payload: dict[str, Any]) -> None:
        with self._vault.transaction() as s:
            DraftRepository(s, self._vault.sealer).save(CHECKIN_DRAFT_ID, payload)

    def load_draft(self) -> dict[str, Any] | None:
        with self._vault.transaction() as s:
            return DraftRepository(s, self._vault.sealer).load(CHECKIN_DRAFT_ID)

    def clear_draft(self) -> None:
        with self._vault.transaction() as s:
            DraftRepository(s, self._vault.sealer).clear(CHECKIN_DRAFT_ID)
