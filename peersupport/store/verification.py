"""Authenticate every sealed field of every sealed table (``peersupport verify``)."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from peersupport.crypto.errors import TamperError
from peersupport.store.checkins import CHECKIN_TABLE
from peersupport.store.drafts import DRAFT_TABLE
from peersupport.store.officers import OFFICER_TABLE
from peersupport.store.sealing import RowSealer, SealedTable

SEALED_TABLES: tuple[SealedTable, ...] = (OFFICER_TABLE, CHECKIN_TABLE, DRAFT_TABLE)


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
            for name in spec.fields:
                report.fields_checked += 1
                try:
                    sealer.open(spec, row, name)
                except TamperError:
                    report.failures.append((spec.name, str(getattr(row, "id")), name))  # noqa: B009
        report.records[spec.name] = count
    return report
