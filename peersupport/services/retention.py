"""Retention (program policy) and legal holds.

Policy, from the settings, off by default:

- ``notes_expire_days`` N: the narrative notes of a check-in that occurred more than N days
  ago are emptied. Only the notes: the coarse codes, the exact time, the officer link, the
  incident reference and the referral providers stay, and so does the anonymous statistics
  record (counts outlive records).
- ``officer_details_expire_days`` M: an officer whose last activity (their latest check-in,
  main or in a group, or the notice given to them) is more than M days old keeps no
  identifying detail: full name, contact and notes are emptied and the alias becomes the
  neutral label ``Former officer`` plus the first characters of the random record id (so
  the list can still tell two of them apart). Their check-ins, plans and counts stay. An
  officer with no check-in and no notice has no known activity date and is left alone.

A legal hold on an officer or a check-in blocks every expiry and every deletion: a check-in
is held when it is held itself or when any officer it involves (main or group) is held. The
hold set is sealed in the vault (``store.legal_holds``).

``preview`` says exactly what ``purge`` will do at the same time; ``purge`` does it in one
transaction, then checkpoints and VACUUMs the file (secure_delete is on), so that the old
bytes of expired values do not stay in the database file or its log.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from peersupport.crypto.errors import TamperError
from peersupport.domain.officer import Officer
from peersupport.services.errors import LegalHoldError
from peersupport.store.checkins import CheckinRepository
from peersupport.store.legal_holds import LegalHoldRepository, LegalHolds
from peersupport.store.officers import OfficerRepository, RecordNotFoundError

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from peersupport.services.vault import UnlockedVault
    from peersupport.settings import Settings
    from peersupport.store.checkin_records import CheckinSummary

__all__ = [
    "FORMER_OFFICER",
    "LegalHoldError",
    "LegalHolds",
    "PurgePlan",
    "PurgeReport",
    "RetentionPolicy",
    "RetentionService",
    "former_alias",
]

FORMER_OFFICER = "Former officer"
_READ_BATCH = 500  # stay well under SQLite's variable limit


def former_alias(officer_id: str) -> str:
    """The neutral label that replaces an expired officer's alias (the id is random)."""
    return f"{FORMER_OFFICER} {officer_id[:8]}"


def _is_wiped(officer: Officer) -> bool:
    return (officer.alias == former_alias(officer.id)
            and not (officer.full_name or officer.contact or officer.notes))


@dataclass(frozen=True)
class RetentionPolicy:
    notes_expire_days: int = 0  # 0: off
    officer_details_expire_days: int = 0  # 0: off

    @classmethod
    def from_settings(cls, settings: Settings) -> RetentionPolicy:
        valid = settings.validated()
        return cls(valid.notes_expire_days, valid.officer_details_expire_days)

    @property
    def is_on(self) -> bool:
        return self.notes_expire_days > 0 or self.officer_details_expire_days > 0


@dataclass
class PurgePlan:
    """What a purge removes (ids only, never content), and what it had to leave alone."""

    notes_checkin_ids: list[str] = field(default_factory=list)  # notes emptied
    officer_ids: list[str] = field(default_factory=list)  # identifying details wiped
    held_checkins: int = 0  # would expire, kept under a legal hold
    held_officers: int = 0
    damaged_ids: list[str] = field(default_factory=list)  # failed authentication: left alone

    @property
    def is_empty(self) -> bool:
        return not (self.notes_checkin_ids or self.officer_ids)


@dataclass
class PurgeReport(PurgePlan):
    """What a purge did."""


class RetentionService:
    def __init__(self, vault: UnlockedVault) -> None:
        self._vault = vault

    def _holds_repo(self, s: Session) -> LegalHoldRepository:
        return LegalHoldRepository(s, self._vault.sealer)

    # -- legal holds --------------------------------------------------------------------------
    def holds(self) -> LegalHolds:
        with self._vault.transaction() as s:
            return self._holds_repo(s).get()

    def hold_officer(self, officer_id: str, on: bool = True) -> None:
        """Put an officer (and so every check-in involving them) under a legal hold, or
        lift it. Raises RecordNotFoundError for an unknown officer when putting one on."""
        with self._vault.transaction() as s:
            repo = self._holds_repo(s)
            holds = repo.get()
            if on:
                OfficerRepository(s, self._vault.sealer).get(officer_id)
                officers = holds.officers | {officer_id}
            else:
                officers = holds.officers - {officer_id}
            if officers != holds.officers:
                repo.put(LegalHolds(frozenset(officers), holds.checkins))

    def hold_checkin(self, checkin_id: str, on: bool = True) -> None:
        """Put one check-in under a legal hold, or lift it. Raises RecordNotFoundError for
        an unknown check-in when putting one on."""
        with self._vault.transaction() as s:
            repo = self._holds_repo(s)
            holds = repo.get()
            if on:
                if not CheckinRepository(s, self._vault.sealer).rows_by_id([checkin_id]):
                    raise RecordNotFoundError(checkin_id)
                checkins = holds.checkins | {checkin_id}
            else:
                checkins = holds.checkins - {checkin_id}
            if checkins != holds.checkins:
                repo.put(LegalHolds(holds.officers, frozenset(checkins)))

    def is_officer_held(self, officer_id: str) -> bool:
        return officer_id in self.holds().officers

    def is_checkin_held(self, checkin_id: str, officer_ids: list[str | None] | None = None
                        ) -> bool:
        """Held itself, or through one of ``officer_ids`` (its main and group officers)."""
        return self.holds().covers(checkin_id, officer_ids or [])

    # -- preview and purge ----------------------------------------------------------------------
    def _plan(self, s: Session, policy: RetentionPolicy, now: datetime) -> PurgePlan:
        sealer = self._vault.sealer
        checkins = CheckinRepository(s, sealer)
        holds = self._holds_repo(s).get()
        plan = PurgePlan()
        summaries, damaged = checkins.summaries()
        plan.damaged_ids.extend(damaged)
        now = now.astimezone(UTC)
        if policy.notes_expire_days > 0:
            cutoff = now - timedelta(days=policy.notes_expire_days)
            old = [c for c in summaries if c.occurred_at.astimezone(UTC) < cutoff]
            candidates: list[str] = []
            for c in old:
                if holds.covers(c.id, [c.officer_id, *c.group_officer_ids]):
                    plan.held_checkins += 1
                else:
                    candidates.append(c.id)
            for start in range(0, len(candidates), _READ_BATCH):
                for row in checkins.rows_by_id(candidates[start:start + _READ_BATCH]):
                    try:
                        if checkins.read(row).notes:
                            plan.notes_checkin_ids.append(row.id)
                    except TamperError:
                        plan.damaged_ids.append(row.id)
            plan.notes_checkin_ids.sort()
        if policy.officer_details_expire_days > 0:
            listing = OfficerRepository(s, sealer).list_all()
            plan.damaged_ids.extend(listing.damaged_ids)
            if not damaged:  # a damaged check-in might be an officer's latest activity
                self._plan_officers(plan, policy, now, summaries, listing.officers, holds)
        return plan

    @staticmethod
    def _plan_officers(plan: PurgePlan, policy: RetentionPolicy, now: datetime,
                       summaries: list[CheckinSummary], officers: list[Officer],
                       holds: LegalHolds) -> None:
        cutoff = now - timedelta(days=policy.officer_details_expire_days)
        latest: dict[str, datetime] = {}
        for c in summaries:
            when = c.occurred_at.astimezone(UTC)
            for oid in {c.officer_id, *c.group_officer_ids}:
                if oid is not None and (oid not in latest or latest[oid] < when):
                    latest[oid] = when
        for officer in officers:
            last = latest.get(officer.id)
            if officer.notice_given_at is not None:
                notice = officer.notice_given_at.astimezone(UTC)
                last = notice if last is None or last < notice else last
            if last is None or last >= cutoff or _is_wiped(officer):
                continue
            if officer.id in holds.officers:
                plan.held_officers += 1
            else:
                plan.officer_ids.append(officer.id)
        plan.officer_ids.sort()

    def preview(self, policy: RetentionPolicy, now: datetime | None = None) -> PurgePlan:
        """What ``purge`` would remove now (nothing is written)."""
        when = now or self._vault.followup_policy.now()
        with self._vault.transaction() as s:
            return self._plan(s, policy, when)

    def purge(self, policy: RetentionPolicy, now: datetime | None = None) -> PurgeReport:
        """Expire what the policy says, in one transaction, keeping statistics records and
        everything under a legal hold; then checkpoint and VACUUM so that the old bytes
        leave the file. Returns what was done (ids and counts only)."""
        when = now or self._vault.followup_policy.now()
        sealer = self._vault.sealer
        with self._vault.transaction() as s:
            plan = self._plan(s, policy, when)
            report = PurgeReport(**plan.__dict__)
            if plan.is_empty:
                return report
            checkins = CheckinRepository(s, sealer)
            for checkin_id in plan.notes_checkin_ids:
                checkin = checkins.get(checkin_id)
                checkin.notes = ""
                checkins.update(checkin)  # statistics records are not touched
            officers = OfficerRepository(s, sealer)
            for officer_id in plan.officer_ids:
                officer = officers.get(officer_id)
                officer.alias = former_alias(officer_id)
                officer.full_name = officer.contact = officer.notes = ""
                officers.update(officer)
        self._vault.vacuum()
        return report

