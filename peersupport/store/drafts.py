"""Sealed drafts of forms that were open when the vault locked."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import delete
from sqlalchemy.orm import Session

from peersupport.crypto.errors import TamperError
from peersupport.store.models import DraftRow
from peersupport.store.sealing import RowSealer, SealedTable

DRAFT_TABLE = SealedTable(model=DraftRow, fields=("payload",), metadata_columns=("vault_id",))
CHECKIN_DRAFT_ID = "00000000-0000-4000-8000-00000000c0de"  # one check-in draft at a time


class DraftRepository:
    def __init__(self, session: Session, sealer: RowSealer) -> None:
        self._session = session
        self._sealer = sealer

    def save(self, draft_id: str, payload: dict[str, Any]) -> None:
        row = self._session.get(DraftRow, draft_id)
        if row is None:
            row = DraftRow(id=draft_id, vault_id=self._sealer.vault_id)
            self._session.add(row)
        self._sealer.stamp(row)
        self._sealer.seal(DRAFT_TABLE, row, "payload", json.dumps(payload))

    def load(self, draft_id: str) -> dict[str, Any] | None:
        row = self._session.get(DraftRow, draft_id)
        if row is None:
            return None
        try:
            data = json.loads(self._sealer.open(DRAFT_TABLE, row, "payload"))
        except ValueError:
            raise TamperError("a draft is malformed") from None
        return data if isinstance(data, dict) else None

    def clear(self, draft_id: str) -> None:
        self._session.execute(delete(DraftRow).where(DraftRow.id == draft_id))
