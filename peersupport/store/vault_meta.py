"""Reading and writing the vault row and its key slots (all plaintext by design)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from peersupport.crypto.errors import TamperError
from peersupport.crypto.kdf import KdfParams
from peersupport.crypto.keyslots import WrappedKey
from peersupport.store.models import KeySlotRow, VaultRow


class VaultMissingError(LookupError):
    """The database holds no vault row: not a peersupport vault, or damaged."""


def read_vault(session: Session) -> VaultRow:
    row = session.scalars(select(VaultRow)).first()
    if row is None:
        raise VaultMissingError("no vault in this database")
    return row


def read_slot(session: Session, slot: str) -> tuple[KeySlotRow, WrappedKey] | None:
    row = session.get(KeySlotRow, slot)
    if row is None:
        return None
    numbers = (row.schema_version, row.kdf_memory_kib, row.kdf_iterations, row.kdf_lanes)
    if (
        any(type(n) is not int for n in numbers)
        or not isinstance(row.kdf_algorithm, str)
        or not isinstance(row.kdf_salt, bytes)
        or not isinstance(row.wrapped_key, bytes)
    ):  # values of the wrong type written into the file by hand
        raise TamperError("a key slot is malformed")
    params = KdfParams(
        row.kdf_algorithm, row.kdf_memory_kib, row.kdf_iterations, row.kdf_lanes,
        bytes(row.kdf_salt),
    )
    return row, WrappedKey(row.slot, params, bytes(row.wrapped_key))


def write_slot(
    session: Session, vault_id: str, key_id: str, schema_version: int, wrapped: WrappedKey
) -> None:
    row = session.get(KeySlotRow, wrapped.slot)
    if row is None:
        row = KeySlotRow(slot=wrapped.slot)
        session.add(row)
    row.vault_id = vault_id
    row.key_id = key_id
    row.schema_version = schema_version
    row.kdf_algorithm = wrapped.params.algorithm
    row.kdf_memory_kib = wrapped.params.memory_kib
    row.kdf_iterations = wrapped.params.iterations
    row.kdf_lanes = wrapped.params.lanes
    row.kdf_salt = wrapped.params.salt
    row.wrapped_key = wrapped.blob
