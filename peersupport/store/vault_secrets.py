"""Sealed values that belong to the vault as a whole, stored under fixed names."""

from __future__ import annotations

from sqlalchemy.orm import Session

from peersupport.store.models import VaultSecretRow
from peersupport.store.sealing import RowSealer, SealedTable

VAULT_SECRET_TABLE = SealedTable(
    model=VaultSecretRow, fields=("value",), metadata_columns=("vault_id",)
)
NOTICE = "notice"  # the copy that authenticates vault.notice_text


class VaultSecretRepository:
    def __init__(self, session: Session, sealer: RowSealer) -> None:
        self._session = session
        self._sealer = sealer

    def get(self, name: str) -> str | None:
        """The value, or None if never stored. Raises TamperError if it fails to open."""
        row = self._session.get(VaultSecretRow, name)
        if row is None:
            return None
        return self._sealer.open(VAULT_SECRET_TABLE, row, "value")

    def put(self, name: str, value: str) -> None:
        row = self._session.get(VaultSecretRow, name)
        if row is None:
            row = VaultSecretRow(id=name, vault_id=self._sealer.vault_id)
            self._session.add(row)
        self._sealer.stamp(row)
        self._sealer.seal(VAULT_SECRET_TABLE, row, "value", value)
