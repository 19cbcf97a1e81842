"""Sealing and opening the ``*_sealed`` columns of a row, with associated data rebuilt from
the row itself. Repositories are the only callers."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from peersupport.crypto.associated_data import TableAad
from peersupport.crypto.blob import FieldCipher
from peersupport.crypto.errors import TamperError
from peersupport.store.models import Base

RECORD_SCHEMA_VERSION = 1


@dataclass(frozen=True)
class SealedTable:
    """How one table is sealed: which fields, and which plaintext columns are bound in.

    ``id_column`` names the column bound in as the record id; ``binary_fields`` are sealed
    as bytes (the others are text)."""

    model: type[Base]
    fields: tuple[str, ...]
    metadata_columns: tuple[str, ...]
    id_column: str = "id"
    binary_fields: tuple[str, ...] = ()

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
        self._aads_by_table: dict[str, TableAad] = {}

    def _table_aad(self, spec: SealedTable) -> TableAad:
        found = self._aads_by_table.get(spec.name)
        if found is None:
            found = self._aads_by_table[spec.name] = TableAad(
                spec.name, self.vault_id, spec.metadata_columns
            )
        return found

    def _aads(self, spec: SealedTable, fields: Sequence[str], record_id: object,
              key_id: object, schema: object, metadata: Sequence[object]) -> list[bytes]:
        """Associated data rebuilt from the row's own columns (never from the blob)."""
        # exact type: int() would quietly read an edited 1.5 or "1" back as 1
        if type(schema) is not int:
            raise TamperError("a row's schema version is not a whole number")
        try:
            return self._table_aad(spec).build(
                fields, str(record_id), str(key_id), schema,
                metadata,  # type: ignore[arg-type]
            )
        except TypeError:
            # SQLite stores whatever it is given: a blob written into a plaintext column
            # cannot be encoded as associated data; the record is damaged, not the program
            raise TamperError("a row's plaintext column holds a value of the wrong type") from None

    def _row_aads(self, spec: SealedTable, row: Any, fields: Sequence[str]) -> list[bytes]:
        metadata = [getattr(row, col) for col in spec.metadata_columns]
        record_id = getattr(row, spec.id_column)
        return self._aads(spec, fields, record_id, row.key_id, row.schema_version, metadata)

    def stamp(self, row: Base) -> None:
        """Set the columns that say how a row is sealed, before sealing its fields."""
        row.key_id = self.key_id  # type: ignore[attr-defined]
        row.schema_version = RECORD_SCHEMA_VERSION  # type: ignore[attr-defined]

    def seal(self, spec: SealedTable, row: Base, field: str, value: str) -> None:
        self.seal_fields(spec, row, {field: value})

    def seal_fields(self, spec: SealedTable, row: Base, values: Mapping[str, str]) -> None:
        names = tuple(values)
        seal_text = self._cipher.seal_text
        for field, aad in zip(names, self._row_aads(spec, row, names), strict=True):
            setattr(row, spec.column(field), seal_text(values[field], aad))

    def seal_binary(self, spec: SealedTable, row: Base, field: str, value: bytes) -> None:
        (aad,) = self._row_aads(spec, row, (field,))
        setattr(row, spec.column(field), self._cipher.seal_bytes(value, aad))

    def open_binary(self, spec: SealedTable, row: Any, field: str) -> bytes:
        """Open a field sealed with ``seal_binary``; raises TamperError if it fails."""
        (aad,) = self._row_aads(spec, row, (field,))
        return self._open_bytes(getattr(row, spec.column(field)), aad)

    def open_binary_values(
        self, spec: SealedTable, field: str, record_id: object, key_id: object, schema: object,
        metadata: Sequence[object], blob: object,
    ) -> bytes:
        """``open_binary`` from the row's values by position (see ``open_values``)."""
        (aad,) = self._aads(spec, (field,), record_id, key_id, schema, metadata)
        return self._open_bytes(blob, aad)

    def _open_bytes(self, blob: object, aad: bytes) -> bytes:
        if type(blob) is not bytes:  # e.g. text written into the column by hand
            raise TamperError("sealed value is not stored as bytes")
        return self._cipher.open_bytes(blob, aad)

    def open(self, spec: SealedTable, row: Any, field: str) -> str:
        return self.open_fields(spec, row, (field,))[field]

    def open_fields(self, spec: SealedTable, row: Any, fields: Sequence[str]) -> dict[str, str]:
        """Open several fields of one row (ORM row or Core row with the same column
        names); raises TamperError if any fails."""
        blobs = [getattr(row, spec.column(f)) for f in fields]
        opened = self._cipher.open_texts(blobs, self._row_aads(spec, row, fields))
        return dict(zip(fields, opened, strict=True))

    def open_values(
        self, spec: SealedTable, fields: Sequence[str], record_id: object, key_id: object,
        schema: object, metadata: Sequence[object], blobs: Sequence[object],
    ) -> list[str]:
        """The fast path for scans: the row's values by position, ``metadata`` in the
        order of ``spec.metadata_columns`` and ``blobs`` in the order of ``fields``."""
        aads = self._aads(spec, fields, record_id, key_id, schema, metadata)
        return self._cipher.open_texts(blobs, aads)
