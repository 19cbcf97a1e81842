"""Canonical associated data for a sealed field, rebuilt from the row when opening.

Binding table, record id, field, schema version, vault id, key id and the row's plaintext
metadata means a blob moved to another row, field or vault, or a plaintext column edited,
fails authentication.
"""

from __future__ import annotations

import json
import operator
from collections.abc import Callable, Mapping, Sequence

PlainValue = str | int | bool | None

_PREFIX = b"peersupport/field/v1\x00"


def field_aad(
    *,
    table: str,
    record_id: str,
    field: str,
    schema_version: int,
    vault_id: str,
    key_id: str,
    metadata: Mapping[str, PlainValue],
) -> bytes:
    body = {
        "table": table,
        "id": record_id,
        "field": field,
        "schema": schema_version,
        "vault": vault_id,
        "key": key_id,
        "meta": dict(sorted(metadata.items())),
    }
    return _PREFIX + json.dumps(body, sort_keys=True, separators=(",", ":")).encode()


# -- the same bytes, faster ----------------------------------------------------------------------
# Opening a record opens several fields whose associated data differ only in the field name,
# and every row of a table shares the table name, the vault id and the metadata keys.
# ``TableAad`` encodes those once and each row's own values once. The output is
# byte-identical to ``field_aad`` (a property test compares them); a value of a type the fast
# path does not handle goes through ``field_aad`` itself, so even its errors are the same.
_json_str = json.encoder.encode_basestring_ascii  # what json.dumps uses with ensure_ascii
_FIELD_HEAD = _PREFIX + b'{"field":'


class TableAad:
    """``field_aad`` for the rows of one table in one vault.

    ``metadata_keys`` gives the order in which callers pass metadata values.
    """

    __slots__ = ("_field_heads", "_format", "_keys", "_meta_names", "_ordered", "_table",
                 "_vault_id", "_vault_tail")

    def __init__(self, table: str, vault_id: str, metadata_keys: Sequence[str]) -> None:
        self._table = table
        self._vault_id = vault_id
        self._keys = tuple(metadata_keys)
        if len(set(self._keys)) != len(self._keys):
            raise ValueError("metadata keys must be distinct")
        order = sorted(range(len(self._keys)), key=self._keys.__getitem__)
        # the values in key order, as a tuple (itemgetter of one index returns no tuple)
        self._ordered: Callable[[Sequence[PlainValue]], tuple[PlainValue, ...]] = (
            operator.itemgetter(*order) if len(order) > 1
            else lambda values: tuple(values[i] for i in order)
        )
        self._meta_names = tuple(_json_str(self._keys[i]) + ":" for i in order)
        self._vault_tail = f',"table":{_json_str(table)},"vault":{_json_str(vault_id)}}}'
        meta = ",".join(name.replace("%", "%%") + "%s" for name in self._meta_names)
        # id, key, each metadata value (in key order), schema: all already JSON-encoded
        self._format = (
            ',"id":%s,"key":%s,"meta":{' + meta + '},"schema":%s'
            + self._vault_tail.replace("%", "%%")
        )
        self._field_heads: dict[tuple[str, ...], tuple[bytes, ...]] = {}

    def _heads(self, fields: Sequence[str]) -> tuple[bytes, ...] | None:
        """The encoded start of each field's associated data; None if a name is not text."""
        try:
            return self._field_heads[fields]  # type: ignore[index]
        except (KeyError, TypeError):  # not seen yet, or not hashable (a list)
            pass
        if not all(isinstance(f, str) for f in fields):
            return None
        heads = tuple(_FIELD_HEAD + _json_str(f).encode() for f in fields)
        if isinstance(fields, tuple) and len(self._field_heads) < 64:
            self._field_heads[fields] = heads
        return heads

    def build(
        self, fields: Sequence[str], record_id: str, key_id: str, schema_version: int,
        values: Sequence[PlainValue],
    ) -> list[bytes]:
        """The associated data of each of ``fields`` of one row, in order."""
        if len(values) != len(self._keys):
            raise ValueError("one metadata value per metadata key")
        tail = self._tail(record_id, key_id, schema_version, values)
        heads = self._heads(fields) if tail is not None else None
        if tail is None or heads is None:
            metadata = dict(zip(self._keys, values, strict=True))
            return [
                field_aad(
                    table=self._table, record_id=record_id, field=f,
                    schema_version=schema_version, vault_id=self._vault_id, key_id=key_id,
                    metadata=metadata,
                )
                for f in fields
            ]
        return [head + tail for head in heads]

    def _tail(
        self, record_id: str, key_id: str, schema_version: int, values: Sequence[PlainValue]
    ) -> bytes | None:
        """Everything after the field name, or None when only the general path will do."""
        if type(schema_version) is not int or type(record_id) is not str or (
            type(key_id) is not str
        ):
            return None
        ordered = self._ordered(values)
        encoded: tuple[str, ...] | None
        try:  # the common case: every metadata value is a str
            encoded = tuple(map(_json_str, ordered))  # type: ignore[arg-type]
        except TypeError:
            encoded = self._encode_values(ordered)
            if encoded is None:
                return None
        return (self._format % (
            _json_str(record_id), _json_str(key_id), *encoded, int.__repr__(schema_version)
        )).encode()

    @staticmethod
    def _encode_values(ordered: Sequence[PlainValue]) -> tuple[str, ...] | None:
        out: list[str] = []
        for value in ordered:
            kind = type(value)
            if kind is str:
                out.append(_json_str(value))  # type: ignore[arg-type]
            elif value is None:
                out.append("null")
            elif kind is bool:
                out.append("true" if value else "false")
            elif kind is int:
                out.append(int.__repr__(value))
            else:
                return None
        return tuple(out)
