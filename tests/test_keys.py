"""Changing the passphrase and making a new recovery key: only key slots change, never the
data key or a sealed field; the old secret stops working; a crash leaves the old one."""

from __future__ import annotations

from pathlib import Path

import pytest

from peersupport.crypto.errors import WrongSecretError
from peersupport.crypto.secret import SecretKey
from peersupport.domain.officer import Officer
from peersupport.services import demo
from peersupport.services.vault import UnlockedVault, VaultService
from peersupport.store import vault_meta
from tests._support import raw_query, sha256_file
from tests.conftest import NEW_PASSPHRASE, PASSPHRASE

THIRD_PASSPHRASE = "juniper ledger mosaic otter"


def _tables(db: Path) -> list[str]:
    return [str(r[0]) for r in raw_query(
        db, "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]


def _columns(db: Path, table: str) -> list[str]:
    return [str(r[1]) for r in raw_query(db, f'PRAGMA table_info("{table}")')]


def sealed_blobs(db: Path) -> dict[tuple[str, str], list[object]]:
    """Every ``*_sealed`` column of every table, all rows, in a stable order."""
    found: dict[tuple[str, str], list[object]] = {}
    for table in _tables(db):
        for column in _columns(db, table):
            if column.endswith("_sealed"):
                query = f'SELECT "{column}" FROM "{table}"'  # noqa: S608 - names from the schema
                found[(table, column)] = sorted((r[0] for r in raw_query(db, query)), key=repr)
    return found


def every_row(db: Path, skip: str = "key_slot") -> dict[str, list[tuple[object, ...]]]:
    """Every row of every table but ``skip``, all columns."""
    return {t: sorted(raw_query(db, f'SELECT * FROM "{t}"'), key=repr)  # noqa: S608
            for t in _tables(db) if t != skip}


def key_slots(db: Path) -> dict[str, dict[str, object]]:
    columns = _columns(db, "key_slot")
    query = f'SELECT {", ".join(columns)} FROM key_slot ORDER BY slot'  # noqa: S608
    return {str(r[0]): dict(zip(columns, r, strict=True)) for r in raw_query(db, query)}


@pytest.fixture
def filled(vault: UnlockedVault) -> UnlockedVault:
    vault.add_officer(Officer(alias="Quiet Kestrel", full_name="Sam Example", notes="a note"))
    demo.fill(vault, 25, seed=11)
    vault.checkpoint()
    return vault


def _db(vault: UnlockedVault) -> Path:
    return vault.data_dir.database


# -- change the passphrase ---------------------------------------------------------------------
def test_change_passphrase_rewraps_only(filled: UnlockedVault, service: VaultService) -> None:
    db = _db(filled)
    blobs_before, rows_before, slots_before = sealed_blobs(db), every_row(db), key_slots(db)
    assert sum(1 for v in blobs_before.values() if v) >= 5  # there is something to compare
    key_before = filled.data_key.raw()

    filled.change_passphrase(PASSPHRASE, NEW_PASSPHRASE)

    assert sealed_blobs(db) == blobs_before
    assert every_row(db) == rows_before  # nothing but key_slot changed, in any table
    slots_after = key_slots(db)
    assert slots_after["recovery"] == slots_before["recovery"]
    changed = {c for c, v in slots_after["passphrase"].items()
               if v != slots_before["passphrase"][c]}
    assert changed == {"wrapped_key", "kdf_salt"}
    filled.lock()

    with pytest.raises(WrongSecretError):
        service.unlock(PASSPHRASE)
    reopened = service.unlock(NEW_PASSPHRASE)
    try:
        assert reopened.data_key.raw() == key_before
        assert reopened.verify().ok
        assert "Quiet Kestrel" in [o.alias for o in reopened.list_officers().officers]
    finally:
        reopened.lock()


def test_wrong_old_passphrase_changes_nothing(
    filled: UnlockedVault, service: VaultService
) -> None:
    db = _db(filled)
    before = sha256_file(db)
    with pytest.raises(WrongSecretError):
        filled.change_passphrase("not the passphrase at all", NEW_PASSPHRASE)
    filled.lock()
    assert sha256_file(db) == before
    service.unlock(PASSPHRASE).lock()
    with pytest.raises(WrongSecretError):
        service.unlock(NEW_PASSPHRASE)


def test_change_twice_only_the_newest_works(vault: UnlockedVault, service: VaultService) -> None:
    vault.change_passphrase(PASSPHRASE, NEW_PASSPHRASE)
    with pytest.raises(WrongSecretError):  # checked against the slot, not the opening one
        vault.change_passphrase(PASSPHRASE, THIRD_PASSPHRASE)
    vault.change_passphrase(NEW_PASSPHRASE, THIRD_PASSPHRASE)
    vault.lock()
    for stale in (PASSPHRASE, NEW_PASSPHRASE):
        with pytest.raises(WrongSecretError):
            service.unlock(stale)
    service.unlock(THIRD_PASSPHRASE).lock()


def test_change_passphrase_is_one_transaction(
    filled: UnlockedVault, service: VaultService, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A crash after the new slot is written but before the commit: the old passphrase
    still opens the vault and the new one does not."""
    db = _db(filled)
    before = sha256_file(db)
    real_write = vault_meta.write_slot

    def write_then_crash(*args: object, **kwargs: object) -> None:
        real_write(*args, **kwargs)  # type: ignore[arg-type]
        args[0].flush()  # type: ignore[attr-defined]  # the new slot reaches SQLite
        raise RuntimeError("power cut")

    monkeypatch.setattr(vault_meta, "write_slot", write_then_crash)
    with pytest.raises(RuntimeError, match="power cut"):
        filled.change_passphrase(PASSPHRASE, NEW_PASSPHRASE)
    monkeypatch.undo()
    filled.lock()
    assert sha256_file(db) == before
    with pytest.raises(WrongSecretError):
        service.unlock(NEW_PASSPHRASE)
    service.unlock(PASSPHRASE).lock()


# -- a new recovery key ----------------------------------------------------------------------
def test_new_recovery_key_replaces_the_old(
    filled: UnlockedVault, service: VaultService, recovery: tuple[SecretKey, str]
) -> None:
    db = _db(filled)
    blobs_before, rows_before, slots_before = sealed_blobs(db), every_row(db), key_slots(db)
    old_text = recovery[1]

    new_text = filled.new_recovery_key()

    assert new_text != old_text
    assert sealed_blobs(db) == blobs_before
    assert every_row(db) == rows_before
    slots_after = key_slots(db)
    assert slots_after["passphrase"] == slots_before["passphrase"]
    assert slots_after["recovery"]["wrapped_key"] != slots_before["recovery"]["wrapped_key"]
    assert slots_after["recovery"]["kdf_salt"] != slots_before["recovery"]["kdf_salt"]
    filled.lock()

    with pytest.raises(WrongSecretError):
        service.unlock_with_recovery(old_text, NEW_PASSPHRASE)
    service.unlock(PASSPHRASE).lock()  # the failed attempt changed nothing
    reopened = service.unlock_with_recovery(new_text, NEW_PASSPHRASE)
    try:
        assert reopened.verify().ok
    finally:
        reopened.lock()
    service.unlock(NEW_PASSPHRASE).lock()


def test_new_recovery_key_leaves_no_old_slot_in_the_log(filled: UnlockedVault) -> None:
    db = _db(filled)
    old_blob = key_slots(db)["recovery"]["wrapped_key"]
    assert isinstance(old_blob, bytes)
    filled.new_recovery_key()
    wal = Path(f"{db}-wal")
    for path in (db, wal):
        if path.exists():
            assert old_blob not in path.read_bytes(), path.name


def test_check_passphrase(vault: UnlockedVault) -> None:
    vault.check_passphrase(PASSPHRASE)
    with pytest.raises(WrongSecretError):
        vault.check_passphrase(NEW_PASSPHRASE)
