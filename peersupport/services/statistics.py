"""The supporter's statistics: a coarse record per contact, their own counts, and the signed,
suppressed ``.psstats`` file they may share with their program.

Counts outlive records: each check-in writes a statistics record (codes only) in the same
transaction; deleting a check-in "entered by mistake" removes its record, destroying it under
retention rules keeps it (``CheckinService.delete(..., keep_count=...)``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from peersupport.crypto import stats_file
from peersupport.crypto.errors import TamperError
from peersupport.domain.stats import (
    DEFAULT_K,
    LATE,
    MONTH,
    ON_TIME,
    CountTable,
    PublishedTable,
    StatRecord,
    check_k,
    months_between,
    period_of,
    periods_between,
    suppress,
    tables_from_counts,
)
from peersupport.store.stat_records import Counts, StatRepository
from peersupport.store.vault_secrets import VaultSecretRepository

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from peersupport.domain.checkin import CheckIn
    from peersupport.services.vault import UnlockedVault

SIGNING_KEY_SECRET = "stats_signing_key"  # noqa: S105 - a row name, not a secret
SHARED_SECRET = "stats_shared_ranges"  # noqa: S105 - a row name, not a secret


class ShareOverlapError(ValueError):
    """The range overlaps one shared before without being the same range: the difference of
    the two files' totals would give counts that suppression hid."""
ON_TIME_GRACE = timedelta(hours=24)


def record_for(checkin: CheckIn, followup: str = "") -> StatRecord:
    return StatRecord(
        period=checkin.period, incident_category=checkin.incident_category,
        contact_type=checkin.contact_type, initiated_by=checkin.initiated_by,
        recipient_class=checkin.recipient_class, duration_bucket=checkin.duration_bucket,
        referral_types=tuple(sorted(checkin.referrals)), followup=followup,
    )


def timeliness(due: datetime, done_at: datetime) -> str:
    """A follow-up step done no later than a day after it fell due is on time."""
    return ON_TIME if done_at.astimezone(UTC) <= due.astimezone(UTC) + ON_TIME_GRACE else LATE


def fold(counts: Counts, granularity: str) -> Counts:
    """Monthly counts summed into quarters (or left as months)."""
    if granularity == MONTH:
        return counts
    out: Counts = {}
    for dimension, cells in counts.items():
        folded: dict[tuple[str, str], int] = {}
        for (code, month), n in cells.items():
            key = (code, period_of(month, granularity))
            folded[key] = folded.get(key, 0) + n
        out[dimension] = folded
    return out


@dataclass(frozen=True)
class ShareRange:
    first: str  # YYYY-MM
    last: str  # YYYY-MM
    granularity: str = MONTH

    def periods(self) -> list[str]:
        return periods_between(self.first, self.last, self.granularity)


class StatisticsService:
    def __init__(self, vault: UnlockedVault) -> None:
        self._vault = vault

    def _repo(self, s: Session) -> StatRepository:
        return StatRepository(s, self._vault.sealer)

    # -- kept in step with check-ins (inside the caller's transaction) ------------------------
    def checkin_saved(self, s: Session, checkin: CheckIn, followup: str | None = None) -> None:
        """Write the check-in's record; ``followup`` None keeps what an earlier save set."""
        repo = self._repo(s)
        if followup is None:
            previous = repo.get(checkin.id)
            followup = previous.followup if previous is not None else ""
        repo.put(checkin.id, record_for(checkin, followup))

    def checkin_deleted(self, s: Session, checkin_id: str, keep_count: bool) -> None:
        if not keep_count:
            self._repo(s).delete(checkin_id)

    def ensure_records(self) -> int:
        """Make records for check-ins saved before statistics records existed (once)."""
        with self._vault.transaction() as s:
            repo = self._repo(s)
            if repo.backfilled():
                return 0
            return repo.backfill()

    # -- the supporter's own counts ------------------------------------------------------------
    def month_range(self) -> tuple[str, str] | None:
        with self._vault.transaction() as s:
            return self._repo(s).month_range()

    def counts(self, first: str, last: str, granularity: str = MONTH) -> Counts:
        months_between(first, last)  # raises for a reversed range
        with self._vault.transaction() as s:
            monthly = self._repo(s).counts(first, last)
        return fold(monthly, granularity)

    def my_tables(self, share: ShareRange) -> dict[str, CountTable]:
        """Unsuppressed tables: the supporter's own numbers, never shared as they are."""
        return tables_from_counts(self.counts(share.first, share.last, share.granularity),
                                  share.periods())

    def share_preview(self, share: ShareRange, k: int = DEFAULT_K) -> dict[str, PublishedTable]:
        """Exactly the tables a shared file will hold: suppressed."""
        check_k(k)
        return {d: suppress(t, k) for d, t in self.my_tables(share).items()}

    # -- the signed file -------------------------------------------------------------------------
    def _signing_key(self, s: Session) -> bytes:
        secrets_repo = VaultSecretRepository(s, self._vault.sealer)
        stored = secrets_repo.get(SIGNING_KEY_SECRET)
        if stored is None:
            private, _ = stats_file.generate_signing_key()
            secrets_repo.put(SIGNING_KEY_SECRET, private.hex())
            return private
        return stats_file.SigningKeyBytes(bytes.fromhex(stored))

    def signing_fingerprint(self) -> str:
        with self._vault.transaction() as s:
            return stats_file.fingerprint(stats_file.signing_public_key(self._signing_key(s)))

    def pseudonym(self) -> str:
        with self._vault.transaction() as s:
            return stats_file.pseudonym(stats_file.signing_public_key(self._signing_key(s)))

    # -- ranges shared before ------------------------------------------------------------------
    def _shared(self, s: Session) -> list[ShareRange]:
        stored = VaultSecretRepository(s, self._vault.sealer).get(SHARED_SECRET)
        if stored is None:
            return []
        try:
            return [ShareRange(str(r[0]), str(r[1]), str(r[2])) for r in json.loads(stored)]
        except (ValueError, TypeError, IndexError):
            raise TamperError("the list of shared statistics ranges is malformed") from None

    def shared_ranges(self) -> list[ShareRange]:
        with self._vault.transaction() as s:
            return self._shared(s)

    @staticmethod
    def _overlap_problem(share: ShareRange, before: list[ShareRange]) -> str | None:
        months = set(months_between(share.first, share.last))
        for old in before:
            if old == share:
                continue  # the same range again gives the same cells (or a corrected copy)
            if months & set(months_between(old.first, old.last)):
                return (f"You shared statistics for {old.first} to {old.last} "
                        f"(by {old.granularity}) before. Share exactly that range again, or a "
                        "range that does not overlap it: the difference between two "
                        "overlapping files would give away counts that suppression hides.")
        return None

    def check_share(self, share: ShareRange) -> str | None:
        """None when ``share`` may be exported, else why not (in plain words)."""
        return self._overlap_problem(share, self.shared_ranges())

    def export(self, share: ShareRange, k: int = DEFAULT_K,
               now: datetime | None = None) -> bytes:
        """The signed ``.psstats`` bytes for ``share``, holding ``share_preview`` exactly.
        Raises ShareOverlapError for a range that overlaps one shared before (unless it is
        the same range); the range is remembered (sealed) as shared."""
        tables = self.share_preview(share, k)
        made = (now or self._vault.followup_policy.now()).astimezone(UTC).strftime("%Y-%m")
        with self._vault.transaction() as s:
            before = self._shared(s)
            problem = self._overlap_problem(share, before)
            if problem is not None:
                raise ShareOverlapError(problem)
            key = self._signing_key(s)
            if share not in before:
                VaultSecretRepository(s, self._vault.sealer).put(SHARED_SECRET, json.dumps(
                    [[r.first, r.last, r.granularity] for r in [*before, share]]))
        return stats_file.write(key, share.granularity, share.periods(), k, made, tables)
