"""Statistics records at rest: one row of coarse codes per contact, apart from check-ins.

A record's id is an HMAC of its check-in's id under a key sealed in the vault, so only the
supporter (with the vault unlocked) can find - and remove - the record of a check-in; in the
clear nothing joins the two. The table is WITHOUT ROWID with the key (month, id), so rows are
stored by month and then by their random-looking ids, not in the order they were written, and
counting a range of months reads those rows in one sweep.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from collections import defaultdict

from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from peersupport.domain.stats import StatRecord
from peersupport.store.models import CheckinRow, StatRecordRow
from peersupport.store.sealing import RowSealer
from peersupport.store.vault_secrets import VaultSecretRepository

STATS_ID_KEY = "stats_id_key"
BACKFILLED = "stats_backfilled"
# dimension -> the column it is counted from
COLUMNS = {
    "incident_category": StatRecordRow.incident_category,
    "contact_type": StatRecordRow.contact_type,
    "initiated_by": StatRecordRow.initiated_by,
    "recipient_class": StatRecordRow.recipient_class,
    "duration_bucket": StatRecordRow.duration_bucket,
}
Counts = dict[str, dict[tuple[str, str], int]]  # dimension -> (code, month) -> count


class StatRepository:
    def __init__(self, session: Session, sealer: RowSealer) -> None:
        self._session = session
        self._secrets = VaultSecretRepository(session, sealer)
        self._key: bytes | None = None

    def stat_id(self, checkin_id: str) -> str:
        if self._key is None:
            stored = self._secrets.get(STATS_ID_KEY)
            if stored is None:
                stored = secrets.token_hex(32)
                self._secrets.put(STATS_ID_KEY, stored)
            self._key = bytes.fromhex(stored)
        digest = hmac.new(self._key, checkin_id.encode(), hashlib.sha256).digest()
        return str(uuid.UUID(bytes=digest[:16], version=4))

    def _row(self, stat_id: str) -> StatRecordRow | None:
        return self._session.scalars(
            select(StatRecordRow).where(StatRecordRow.id == stat_id)).first()

    def get(self, checkin_id: str) -> StatRecord | None:
        row = self._row(self.stat_id(checkin_id))
        if row is None:
            return None
        return StatRecord(
            period=row.period, incident_category=row.incident_category,
            contact_type=row.contact_type, initiated_by=row.initiated_by,
            recipient_class=row.recipient_class, duration_bucket=row.duration_bucket,
            referral_types=tuple(t for t in row.referral_types.split(",") if t),
            followup=row.followup,
        )

    def put(self, checkin_id: str, record: StatRecord) -> None:
        stat_id = self.stat_id(checkin_id)
        row = self._row(stat_id)
        if row is not None and row.period != record.period:
            # the month is part of the key (rows are clustered by month): move the row
            self._session.delete(row)
            self._session.flush()
            row = None
        if row is None:
            row = StatRecordRow(id=stat_id, period=record.period)
            self._session.add(row)
        row.incident_category = record.incident_category
        row.contact_type = record.contact_type
        row.initiated_by = record.initiated_by
        row.recipient_class = record.recipient_class
        row.duration_bucket = record.duration_bucket
        row.referral_types = ",".join(sorted(record.referral_types))
        row.followup = record.followup

    def insert_many(self, records: list[tuple[str, StatRecord]]) -> None:
        """Records for new check-ins (checkin id, record), in one statement."""
        if records:
            self._session.execute(insert(StatRecordRow), [
                {"id": self.stat_id(cid), "period": r.period,
                 "incident_category": r.incident_category, "contact_type": r.contact_type,
                 "initiated_by": r.initiated_by, "recipient_class": r.recipient_class,
                 "duration_bucket": r.duration_bucket,
                 "referral_types": ",".join(sorted(r.referral_types)), "followup": r.followup}
                for cid, r in records])

    def delete(self, checkin_id: str) -> bool:
        result = self._session.execute(
            delete(StatRecordRow).where(StatRecordRow.id == self.stat_id(checkin_id)))
        return bool(getattr(result, "rowcount", 0))

    def count(self) -> int:
        return int(self._session.scalar(select(func.count()).select_from(StatRecordRow)) or 0)

    def month_range(self) -> tuple[str, str] | None:
        first, last = self._session.execute(
            select(func.min(StatRecordRow.period), func.max(StatRecordRow.period))).one()
        return None if first is None else (str(first), str(last))

    def counts(self, first: str, last: str) -> Counts:
        """Counts per dimension, code and month for months ``first``..``last``: one GROUP BY
        per dimension, over the period index."""
        within = (StatRecordRow.period >= first, StatRecordRow.period <= last)
        out: Counts = {}
        for dimension, column in COLUMNS.items():
            rows = self._session.execute(
                select(column, StatRecordRow.period, func.count())
                .where(*within).group_by(column, StatRecordRow.period))
            out[dimension] = {(str(code), str(period)): int(n) for code, period, n in rows}
        referral: dict[tuple[str, str], int] = defaultdict(int)
        referral_type: dict[tuple[str, str], int] = defaultdict(int)
        rows = self._session.execute(
            select(StatRecordRow.referral_types, StatRecordRow.period, func.count())
            .where(*within).group_by(StatRecordRow.referral_types, StatRecordRow.period))
        for types, period, n in rows:
            kinds = [t for t in str(types).split(",") if t]
            referral[("made" if kinds else "none", str(period))] += int(n)
            for kind in kinds:
                referral_type[(kind, str(period))] += int(n)
        out["referral"] = dict(referral)
        out["referral_type"] = dict(referral_type)
        rows = self._session.execute(
            select(StatRecordRow.followup, StatRecordRow.period, func.count())
            .where(*within, StatRecordRow.followup != "")
            .group_by(StatRecordRow.followup, StatRecordRow.period))
        out["followup"] = {(str(code), str(period)): int(n) for code, period, n in rows}
        return out

    # -- records for check-ins written before statistics records existed ----------------------
    def backfilled(self) -> bool:
        return self._secrets.get(BACKFILLED) is not None

    def backfill(self) -> int:
        """A record for every check-in that has none, from its plaintext codes (old
        check-ins have no follow-up timeliness). Returns how many were made."""
        made = 0
        rows = self._session.execute(select(
            CheckinRow.id, CheckinRow.period, CheckinRow.incident_category,
            CheckinRow.contact_type, CheckinRow.initiated_by, CheckinRow.recipient_class,
            CheckinRow.duration_bucket, CheckinRow.referral_types)).all()
        existing = set(self._session.scalars(select(StatRecordRow.id)))
        for cid, period, category, ctype, initiated, recipient, bucket, referrals in rows:
            if self.stat_id(str(cid)) in existing:
                continue
            self.put(str(cid), StatRecord(
                period=str(period), incident_category=str(category), contact_type=str(ctype),
                initiated_by=str(initiated), recipient_class=str(recipient),
                duration_bucket=str(bucket),
                referral_types=tuple(t for t in str(referrals).split(",") if t)))
            made += 1
        self._secrets.put(BACKFILLED, "1")
        return made
