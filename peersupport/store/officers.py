"""Officer records: sealed on write, opened on read. A record that fails authentication is
reported as damaged rather than hiding the rest."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from peersupport.crypto.errors import TamperError
from peersupport.domain.officer import Officer
from peersupport.store.models import OfficerRow
from peersupport.store.sealing import RowSealer, SealedTable

OFFICER_TABLE = SealedTable(
    model=OfficerRow,
    fields=("alias", "full_name", "contact", "notes", "notice_given_at"),
    metadata_columns=("vault_id",),
)


class RecordNotFoundError(LookupError):
    pass


@dataclass
class OfficerList:
    officers: list[Officer] = field(default_factory=list)
    damaged_ids: list[str] = field(default_factory=list)


class OfficerRepository:
    def __init__(self, session: Session, sealer: RowSealer) -> None:
        self._session = session
        self._sealer = sealer

    def _write(self, row: OfficerRow, officer: Officer) -> None:
        self._sealer.stamp(row)
        when = officer.notice_given_at.isoformat() if officer.notice_given_at else ""
        values = {
            "alias": officer.alias,
            "full_name": officer.full_name,
            "contact": officer.contact,
            "notes": officer.notes,
            "notice_given_at": when,
        }
        for name, value in values.items():
            self._sealer.seal(OFFICER_TABLE, row, name, value)

    def _read(self, row: OfficerRow) -> Officer:
        opened = {
            name: self._sealer.open(OFFICER_TABLE, row, name) for name in OFFICER_TABLE.fields
        }
        when = opened["notice_given_at"]
        return Officer(
            id=row.id,
            alias=opened["alias"],
            full_name=opened["full_name"],
            contact=opened["contact"],
            notes=opened["notes"],
            notice_given_at=datetime.fromisoformat(when) if when else None,
        )

    def add(self, officer: Officer) -> None:
        row = OfficerRow(id=officer.id, vault_id=self._sealer.vault_id)
        self._write(row, officer)
        self._session.add(row)

    def update(self, officer: Officer) -> None:
        row = self._session.get(OfficerRow, officer.id)
        if row is None:
            raise RecordNotFoundError(officer.id)
        self._write(row, officer)

    def get(self, officer_id: str) -> Officer:
        row = self._session.get(OfficerRow, officer_id)
        if row is None:
            raise RecordNotFoundError(officer_id)
        return self._read(row)

    def delete(self, officer_id: str) -> None:
        row = self._session.get(OfficerRow, officer_id)
        if row is None:
            raise RecordNotFoundError(officer_id)
        self._session.delete(row)

    def list_all(self) -> OfficerList:
        result = OfficerList()
        for row in self._session.scalars(select(OfficerRow).order_by(OfficerRow.id)):
            try:
                result.officers.append(self._read(row))
            except TamperError:
                result.damaged_ids.append(row.id)
        return result

