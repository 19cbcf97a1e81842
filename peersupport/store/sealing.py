"""Sealing and opening the ``*_sealed`` columns of a row, with associated data rebuilt from
the row itself. Repositories are the only callers."""

from __future__ import annotations

from dataclasses import dataclass

from peersupport.crypto.associated_data import PlainValue, field_aad
from peersupport.crypto.blob import FieldCipher
from peersupport.crypto.errors import TamperError
from peersupport.store.models import Base

RECORD_SCHEMA_VERSION = 1


@dataclass(frozen=True)
class SealedTable:
    """How one table is sealed: which fields, and which plaintext columns are bound in."""

    model: type[Base]
    fields: tuple[str, ...]
    metadata_columns: tuple[str, ...]

    @property
    def name(self) -> str:
        return str(self.model.__tablename__)

    @staticmethod
    def column(field: str) -> str:
        return f"{field}_sealed"


class RowSealer:
    def __init__(self, cipher: FieldCipher, vault_id: str, key_id: str) -> None:
        self._cipher = cipher
        self.vault_id = vault_id
        self.key_id = key_id

    def _aad(self, spec: SealedTable, row: Base, field: str) -> bytes:
        metadata: dict[str, PlainValue] = {
            col: getattr(row, col) for col in spec.metadata_columns
        }
        schema = getattr(row, "schema_version")  # noqa: B009
        # exact type: int() would quietly read an edited 1.5 or "1" back as 1
        if type(schema) is not int:
            raise TamperError("a row's schema version is not a whole number")
        return field_aad(
            table=spec.name,
            record_id=str(getattr(row, "id")),  # noqa: B009 - every sealed table has an id
            field=field,
            schema_version=schema,
            vault_id=self.vault_id,
            key_id=str(getattr(row, "key_id")),  # noqa: B009
            metadata=metadata,
        )

    def stamp(self, row: Base) -> None:
        """Set the columns that say how a row is sealed, before sealing its fields."""
        row.key_id = self.key_id  # type: ignore[attr-defined]
        row.schema_version = RECORD_SCHEMA_VERSION  # type: ignore[attr-defined]

    def seal(self, spec: SealedTable, row: Base, field: str, value: str) -> None:
        setattr(row, spec.column(field), self._cipher.seal_text(value, self._aad(spec, row, field)))

    def open(self, spec: SealedTable, row: Base, field: str) -> str:
        blob = getattr(row, spec.column(field))
        if not isinstance(blob, bytes):  # e.g. text written into the column by hand
            raise TamperError("sealed value is not stored as bytes")
        return self._cipher.open_text(blob, self._aad(spec, row, field))
