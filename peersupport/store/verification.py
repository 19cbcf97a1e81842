"""Authenticate every sealed field of every sealed table (``peersupport verify``), and check
that every month's sealed check-in index lists exactly that month's check-ins."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from peersupport.crypto.errors import TamperError
from peersupport.store.checkin_months import CHECKIN_MONTH_TABLE
from peersupport.store.checkins import CHECKIN_TABLE, CheckinRepository
from peersupport.store.drafts import DRAFT_TABLE
from peersupport.store.follow_requests import REQUEST_TABLE
from peersupport.store.followup_agenda import AGENDA_TABLE
from peersupport.store.followup_plans import PLAN_TABLE
from peersupport.store.officers import OFFICER_TABLE
from peersupport.store.sealing import RowSealer, SealedTable
from peersupport.store.vault_meta import read_vault
from peersupport.store.vault_secrets import NOTICE, VAULT_SECRET_TABLE, VaultSecretRepository

SEALED_TABLES: tuple[SealedTable, ...] = (
    OFFICER_TABLE, CHECKIN_TABLE, CHECKIN_MONTH_TABLE, DRAFT_TABLE, VAULT_SECRET_TABLE,
    PLAN_TABLE, AGENDA_TABLE, REQUEST_TABLE,
)


def notice_problem(session: Session, sealer: RowSealer) -> str | None:
    """'changed' when the public notice differs from its sealed copy, 'unreadable' when the
    copy fails to open, None when they agree or no copy exists yet."""
    try:
        sealed = VaultSecretRepository(session, sealer).get(NOTICE)
    except TamperError:
        return "unreadable"
    if sealed is None or sealed == read_vault(session).notice_text:
        return None
    return "changed"


@dataclass
class SealedFieldReport:
    records: dict[str, int] = field(default_factory=dict)
    fields_checked: int = 0
    failures: list[tuple[str, str, str]] = field(default_factory=list)  # table, id, field


def authenticate_all(session: Session, sealer: RowSealer) -> SealedFieldReport:
    report = SealedFieldReport()
    for spec in SEALED_TABLES:
        count = 0
        for row in session.scalars(select(spec.model)):
            count += 1
            if spec is REQUEST_TABLE and getattr(row, "record_sealed", None) is None:
                continue  # still sealed to the request key: opened at the next unlock
            record_id = str(getattr(row, spec.id_column))
            for name in spec.fields:
                report.fields_checked += 1
                try:
                    if name in spec.binary_fields:
                        sealer.open_binary(spec, row, name)
                    else:
                        sealer.open(spec, row, name)
                except TamperError:
                    report.failures.append((spec.name, record_id, name))
        report.records[spec.name] = count
    # an index that authenticates but is missing, stale or not the month's: the list would
    # still be right (it reads such a month whole), but the index must be rebuilt
    for period in CheckinRepository(session, sealer).month_index_problems():
        report.failures.append((CHECKIN_MONTH_TABLE.name, period, "entries"))
    if notice_problem(session, sealer) == "changed":
        report.failures.append(("vault", read_vault(session).id, "notice_text"))
    return report
