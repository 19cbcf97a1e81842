"""Canonical associated data for a sealed field, rebuilt from the row when opening.

Binding table, record id, field, schema version, vault id, key id and the row's plaintext
metadata means a blob moved to another row, field or vault, or a plaintext column edited,
fails authentication.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

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
