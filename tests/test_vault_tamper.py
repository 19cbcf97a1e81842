"""What an attacker with the database file can do, and what they observe: wrong secrets are
refused without touching the file; moved, swapped, flipped, truncated or re-labelled sealed
data never opens and the record is flagged; weakened or swapped key slots never unlock."""

from __future__ import annotations

import gc
import io
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from peersupport import cli
from peersupport.crypto import backup_file, kdf, keyslots
from peersupport.crypto.associated_data import field_aad
from peersupport.crypto.blob import FieldCipher
from peersupport.crypto.errors import TamperError, WeakParametersError, WrongSecretError
from peersupport.crypto.secret import SecretKey
from peersupport.domain.officer import Officer
from peersupport.paths import DataDir, ensure
from peersupport.services.vault import UnlockedVault, VaultService, new_recovery_key
from peersupport.store.officers import OFFICER_TABLE
from tests._support import (
    GOLDEN_OFFICER,
    GOLDEN_PASSPHRASE,
    golden_copy,
    raw_execute,
    raw_one,
    raw_query,
    sha256_file,
    sidecars,
)
from tests.conftest import FAST_TEST_PROFILE, NEW_PASSPHRASE, PASSPHRASE

SEALED_COLUMNS = [OFFICER_TABLE.column(f) for f in OFFICER_TABLE.fields]


def make_officer(tag: str) -> Officer:
    return Officer(
        alias=f"alias-{tag}", full_name=f"Full Name {tag}", contact=f"{tag}@example.invalid",
        notes=f"notes about {tag}",
    )


def get_blob(db: Path, officer_id: str, column: str) -> bytes:
    value = raw_one(db, f"SELECT {column} FROM officer WHERE id = ?", [officer_id])  # noqa: S608
    assert isinstance(value, bytes)
    return value


def set_column(db: Path, officer_id: str, column: str, value: object) -> None:
    raw_execute(db, f"UPDATE officer SET {column} = ? WHERE id = ?", [value, officer_id])  # noqa: S608


def failures_by_record(vault: UnlockedVault) -> dict[str, set[str]]:
    report = vault.verify()
    assert not report.ok
    out: dict[str, set[str]] = {}
    for table, record, field in report.failures:
        assert table == "officer"
        out.setdefault(record, set()).add(field)
    return out


@pytest.fixture
def three(vault: UnlockedVault) -> tuple[Officer, Officer, Officer]:
    officers = (make_officer("a"), make_officer("b"), make_officer("c"))
    for o in officers:
        vault.add_officer(o)
    return officers


def live_secret_key_ids() -> set[int]:
    gc.collect()
    return {
        id(o) for o in gc.get_objects() if isinstance(o, SecretKey) and not o.is_wiped()
    }


# -- wrong secrets ---------------------------------------------------------------------------
def test_wrong_passphrase_refused_and_file_unchanged(
    service: VaultService, vault: UnlockedVault, three: tuple[Officer, ...]
) -> None:
    vault.lock()
    db = service.data_dir.database
    before = sha256_file(db)
    listing = sorted(p.name for p in service.data_dir.root.rglob("*"))
    keys_before = live_secret_key_ids()
    result = None
    with pytest.raises(WrongSecretError) as caught:
        result = service.unlock("tangerine quarry lantern obo")  # one letter short
    assert result is None
    assert "passphrase" in str(caught.value)
    assert sha256_file(db) == before
    assert sorted(p.name for p in service.data_dir.root.rglob("*")) == listing
    assert not any(p.exists() for p in sidecars(db))
    # the traceback keeps the failed call's frames (and any key they held) alive: all wiped
    assert live_secret_key_ids() <= keys_before, "a derived key was left unwiped"
    del caught
    # and the right passphrase still opens it, records intact
    opened = service.unlock(PASSPHRASE)
    try:
        assert sorted(o.alias for o in opened.list_officers().officers) == [
            "alias-a", "alias-b", "alias-c"
        ]
    finally:
        opened.lock()


def test_wrong_recovery_key_refused_and_file_unchanged(
    service: VaultService, vault: UnlockedVault
) -> None:
    vault.lock()
    before = sha256_file(service.data_dir.database)
    _, other_text = new_recovery_key()
    with pytest.raises(WrongSecretError):
        service.unlock_with_recovery(other_text, NEW_PASSPHRASE)
    assert sha256_file(service.data_dir.database) == before
    opened = service.unlock(PASSPHRASE)  # passphrase not replaced by the failed attempt
    opened.lock()


# -- sealed fields moved ---------------------------------------------------------------------
def test_field_swapped_between_two_records(
    vault: UnlockedVault, three: tuple[Officer, Officer, Officer]
) -> None:
    a, b, c = three
    db = vault.data_dir.database
    blob_a, blob_b = get_blob(db, a.id, "alias_sealed"), get_blob(db, b.id, "alias_sealed")
    set_column(db, a.id, "alias_sealed", blob_b)
    set_column(db, b.id, "alias_sealed", blob_a)
    listed = vault.list_officers()
    assert sorted(listed.damaged_ids) == sorted([a.id, b.id])
    assert [o.id for o in listed.officers] == [c.id]  # the rest is not hidden
    assert listed.officers[0].alias == "alias-c"
    assert failures_by_record(vault) == {a.id: {"alias"}, b.id: {"alias"}}


def test_fields_swapped_within_one_record(
    vault: UnlockedVault, three: tuple[Officer, Officer, Officer]
) -> None:
    a, _, _ = three
    db = vault.data_dir.database
    alias, name = get_blob(db, a.id, "alias_sealed"), get_blob(db, a.id, "full_name_sealed")
    assert len(alias) == len(name)  # same padded size, so a swap is length-preserving
    set_column(db, a.id, "alias_sealed", name)
    set_column(db, a.id, "full_name_sealed", alias)
    listed = vault.list_officers()
    assert listed.damaged_ids == [a.id]
    assert len(listed.officers) == 2
    assert failures_by_record(vault) == {a.id: {"alias", "full_name"}}


@pytest.fixture
def second(tmp_path: Path) -> Iterator[tuple[VaultService, UnlockedVault]]:
    """Another supporter's vault on the same laptop, with the same passphrase."""
    service = VaultService(ensure(tmp_path / "other"), FAST_TEST_PROFILE)
    key, _ = new_recovery_key()
    opened = service.create(PASSPHRASE, key)
    yield service, opened
    if not opened.is_locked:
        opened.lock()


def test_field_copied_to_another_vault(
    vault: UnlockedVault, three: tuple[Officer, ...], second: tuple[VaultService, UnlockedVault]
) -> None:
    _, other = second
    mine = make_officer("other")
    other.add_officer(mine)
    stolen = get_blob(vault.data_dir.database, three[0].id, "notes_sealed")
    set_column(other.data_dir.database, mine.id, "notes_sealed", stolen)
    listed = other.list_officers()
    assert listed.damaged_ids == [mine.id]
    assert listed.officers == []
    assert failures_by_record(other) == {mine.id: {"notes"}}


@pytest.mark.parametrize("relabel", [False, True], ids=["as-is", "relabelled"])
def test_whole_row_copied_to_another_vault(
    vault: UnlockedVault, three: tuple[Officer, ...],
    second: tuple[VaultService, UnlockedVault], relabel: bool,
) -> None:
    _, other = second
    source = vault.data_dir.database
    row = raw_query(source, "SELECT * FROM officer WHERE id = ?", [three[1].id])[0]
    con = sqlite3.connect(other.data_dir.database)
    try:
        con.execute(f"INSERT INTO officer VALUES ({','.join('?' * len(row))})", row)  # noqa: S608
        if relabel:  # make the plaintext columns look like they belong to this vault
            con.execute(
                "UPDATE officer SET vault_id = ?, key_id = ? WHERE id = ?",
                (other.vault_id, other.key_id, three[1].id),
            )
        con.commit()
    finally:
        con.close()
    listed = other.list_officers()
    assert listed.damaged_ids == [three[1].id]
    assert listed.officers == []
    assert failures_by_record(other) == {three[1].id: set(OFFICER_TABLE.fields)}


def test_one_supporters_key_fails_on_the_others_rows(
    vault: UnlockedVault, second: tuple[VaultService, UnlockedVault]
) -> None:
    _, other = second
    theirs = make_officer("theirs")
    other.add_officer(theirs)
    db = other.data_dir.database
    vault_id, key_id, schema = raw_query(
        db, "SELECT vault_id, key_id, schema_version FROM officer WHERE id = ?", [theirs.id]
    )[0]
    for field in OFFICER_TABLE.fields:
        blob = get_blob(db, theirs.id, OFFICER_TABLE.column(field))
        aad = field_aad(
            table="officer", record_id=theirs.id, field=field, schema_version=int(schema),  # type: ignore[arg-type]
            vault_id=str(vault_id), key_id=str(key_id), metadata={"vault_id": vault_id},  # type: ignore[dict-item]
        )
        # control: the owner's key opens exactly this blob with exactly this AAD
        expected = getattr(theirs, field) if field != "notice_given_at" else ""
        assert FieldCipher(SecretKey(other.data_key.raw())).open_text(blob, aad) == expected
        with pytest.raises(TamperError):
            FieldCipher(SecretKey(vault.data_key.raw())).open_text(blob, aad)


# -- plaintext columns edited -----------------------------------------------------------------
@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("vault_id", "00000000-0000-4000-8000-000000000000"),
        ("key_id", "0000000000000000"),
        ("schema_version", 2),
        ("schema_version", 1.5),  # SQLite keeps a REAL; must not be read back as 1
        ("schema_version", "one"),
        ("id", "11111111-1111-4111-8111-111111111111"),
    ],
)
def test_plaintext_column_edited(
    vault: UnlockedVault, three: tuple[Officer, ...], column: str, value: object
) -> None:
    target = three[0]
    set_column(vault.data_dir.database, target.id, column, value)
    record_id = str(value) if column == "id" else target.id
    listed = vault.list_officers()
    assert listed.damaged_ids == [record_id]
    assert sorted(o.id for o in listed.officers) == sorted(o.id for o in three[1:])
    assert failures_by_record(vault) == {record_id: set(OFFICER_TABLE.fields)}


@pytest.mark.parametrize("value", ["some text", b"", b"\x01", 42])
def test_sealed_column_with_wrong_type_flags_only_that_record(
    vault: UnlockedVault, three: tuple[Officer, ...], value: object
) -> None:
    set_column(vault.data_dir.database, three[2].id, "contact_sealed", value)
    listed = vault.list_officers()
    assert listed.damaged_ids == [three[2].id]
    assert len(listed.officers) == 2
    assert failures_by_record(vault) == {three[2].id: {"contact"}}


# -- every byte, every bit, every length -------------------------------------------------------
AAD = field_aad(
    table="officer", record_id="r1", field="notes", schema_version=1, vault_id="v1",
    key_id="k1", metadata={"vault_id": "v1"},
)


def test_every_bit_flip_and_truncation_of_a_blob_is_refused() -> None:
    cipher = FieldCipher(SecretKey.random(32))
    secret = "Officer confided: PARTIAL-PLAINTEXT-CANARY"
    blob = cipher.seal_text(secret, AAD)
    assert cipher.open_text(blob, AAD) == secret  # control
    refused = 0
    for position in range(len(blob)):
        for bit in range(8):
            flipped = bytearray(blob)
            flipped[position] ^= 1 << bit
            with pytest.raises(TamperError):
                cipher.open_text(bytes(flipped), AAD)
            refused += 1
    for length in range(len(blob)):
        with pytest.raises(TamperError):
            cipher.open_text(blob[:length], AAD)
        refused += 1
    for extra in (b"\x00", b"\x00" * 16, blob[-16:]):
        with pytest.raises(TamperError):
            cipher.open_text(blob + extra, AAD)
    with pytest.raises(TamperError):  # tag moved to the front, body otherwise intact
        cipher.open_text(blob[:13] + blob[-16:] + blob[13:-16], AAD)
    assert refused == 9 * len(blob)


def test_every_byte_of_a_stored_blob_flipped_flags_the_record(
    vault: UnlockedVault, three: tuple[Officer, ...]
) -> None:
    """The same through the database: no position, no truncation yields an officer."""
    db = vault.data_dir.database
    target = three[1]
    original = get_blob(db, target.id, "alias_sealed")
    for position in range(len(original)):
        flipped = bytearray(original)
        flipped[position] ^= 1 << (position % 8)
        set_column(db, target.id, "alias_sealed", bytes(flipped))
        listed = vault.list_officers()
        assert listed.damaged_ids == [target.id], position
        assert "alias-b" not in [o.alias for o in listed.officers]
    for length in range(len(original)):
        set_column(db, target.id, "alias_sealed", original[:length])
        assert vault.list_officers().damaged_ids == [target.id], length
    set_column(db, target.id, "alias_sealed", original)
    assert vault.list_officers().damaged_ids == []  # control: the original still opens


def test_locked_cipher_opens_nothing() -> None:
    cipher = FieldCipher(SecretKey.random(32))
    blob = cipher.seal_text("x", AAD)
    cipher.close()
    with pytest.raises(TamperError):
        cipher.open_text(blob, AAD)


# -- key slots --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("kdf_memory_kib", 32 * 1024),
        ("kdf_iterations", 2),
        ("kdf_iterations", 1),
        ("kdf_lanes", 2),
        ("kdf_lanes", 1),
        ("kdf_algorithm", "argon2i"),
        ("kdf_salt", b"\x00" * 8),
    ],
)
def test_lowered_kdf_parameters_refused(tmp_path: Path, column: str, value: object) -> None:
    data_dir = golden_copy(tmp_path / "vault")
    raw_execute(
        data_dir.database,
        f"UPDATE key_slot SET {column} = ? WHERE slot = 'passphrase'",  # noqa: S608
        [value],
    )
    before = sha256_file(data_dir.database)
    with pytest.raises(WeakParametersError):
        VaultService(data_dir, kdf.PRODUCTION).unlock(GOLDEN_PASSPHRASE)
    assert sha256_file(data_dir.database) == before


@pytest.mark.slow
@pytest.mark.parametrize(
    ("column", "delta"), [("kdf_iterations", -1), ("kdf_iterations", +1), ("kdf_lanes", +1)]
)
def test_changed_kdf_parameters_above_the_floor_refused(
    tmp_path: Path, column: str, delta: int
) -> None:
    """Parameters are bound into the wrap: even a change the floor allows fails."""
    data_dir = golden_copy(tmp_path / "vault")
    current = raw_one(
        data_dir.database, f"SELECT {column} FROM key_slot WHERE slot='passphrase'"  # noqa: S608
    )
    assert isinstance(current, int)
    changed = current + delta
    assert changed >= kdf.PRODUCTION.floor_iterations
    raw_execute(
        data_dir.database,
        f"UPDATE key_slot SET {column} = ? WHERE slot = 'passphrase'",  # noqa: S608
        [changed],
    )
    with pytest.raises(WrongSecretError):
        VaultService(data_dir, kdf.PRODUCTION).unlock(GOLDEN_PASSPHRASE)


def _flip(value: bytes, position: int) -> bytes:
    out = bytearray(value)
    out[position] ^= 0x01
    return bytes(out)


@pytest.mark.parametrize("position", [0, 7, 15])
def test_edited_kdf_salt_refused(
    service: VaultService, vault: UnlockedVault, position: int
) -> None:
    vault.lock()
    db = service.data_dir.database
    salt = raw_one(db, "SELECT kdf_salt FROM key_slot WHERE slot='passphrase'")
    assert isinstance(salt, bytes)
    raw_execute(
        db, "UPDATE key_slot SET kdf_salt=? WHERE slot='passphrase'", [_flip(salt, position)]
    )
    with pytest.raises(WrongSecretError):
        service.unlock(PASSPHRASE)


@pytest.mark.parametrize(
    ("position", "error"),
    [(0, TamperError), (1, WrongSecretError), (12, WrongSecretError), (13, WrongSecretError),
     (40, WrongSecretError), (-1, WrongSecretError), ("truncate", TamperError),
     ("extend", TamperError)],
)
def test_edited_wrapped_key_refused(
    service: VaultService, vault: UnlockedVault, position: int | str, error: type[Exception]
) -> None:
    vault.lock()
    db = service.data_dir.database
    wrapped = raw_one(db, "SELECT wrapped_key FROM key_slot WHERE slot='passphrase'")
    assert isinstance(wrapped, bytes)
    if position == "truncate":
        edited = wrapped[:-1]
    elif position == "extend":
        edited = wrapped + b"\x00"
    else:
        assert isinstance(position, int)
        edited = _flip(wrapped, position)
    raw_execute(db, "UPDATE key_slot SET wrapped_key=? WHERE slot='passphrase'", [edited])
    with pytest.raises(error):
        service.unlock(PASSPHRASE)


@pytest.mark.parametrize(
    ("column", "value"),
    [("kdf_iterations", "three"), ("kdf_salt", "0123456789abcdef"), ("wrapped_key", "text"),
     ("schema_version", 1.5)],
)
def test_key_slot_with_wrong_types_refused_as_tamper(
    service: VaultService, vault: UnlockedVault, column: str, value: object
) -> None:
    vault.lock()
    raw_execute(
        service.data_dir.database,
        f"UPDATE key_slot SET {column} = ? WHERE slot = 'passphrase'",  # noqa: S608
        [value],
    )
    with pytest.raises(TamperError):
        service.unlock(PASSPHRASE)


def test_recovery_slot_edits_refused(
    service: VaultService, vault: UnlockedVault, recovery: tuple[SecretKey, str]
) -> None:
    vault.lock()
    db = service.data_dir.database
    salt = raw_one(db, "SELECT kdf_salt FROM key_slot WHERE slot='recovery'")
    assert isinstance(salt, bytes)
    raw_execute(db, "UPDATE key_slot SET kdf_salt=? WHERE slot='recovery'", [_flip(salt, 3)])
    with pytest.raises(WrongSecretError):
        service.unlock_with_recovery(recovery[1], NEW_PASSPHRASE)
    raw_execute(
        db, "UPDATE key_slot SET kdf_salt=?, kdf_algorithm='argon2id' WHERE slot='recovery'",
        [salt],
    )
    with pytest.raises(TamperError):
        service.unlock_with_recovery(recovery[1], NEW_PASSPHRASE)
    raw_execute(db, "UPDATE key_slot SET kdf_algorithm='hkdf-sha256' WHERE slot='recovery'")
    service.unlock_with_recovery(recovery[1], NEW_PASSPHRASE).lock()  # control


def _copy_slot(source: DataDir, target: DataDir, slot: str, relabel_to: str | None) -> None:
    row = raw_query(source.database, "SELECT * FROM key_slot WHERE slot = ?", [slot])[0]
    con = sqlite3.connect(target.database)
    try:
        con.execute("DELETE FROM key_slot WHERE slot = ?", (slot,))
        con.execute(f"INSERT INTO key_slot VALUES ({','.join('?' * len(row))})", row)  # noqa: S608
        if relabel_to is not None:
            con.execute("UPDATE key_slot SET vault_id = ? WHERE slot = ?", (relabel_to, slot))
        con.commit()
    finally:
        con.close()


@pytest.mark.parametrize("relabel", [False, True], ids=["as-is", "relabelled"])
def test_key_slot_swapped_from_another_vault_refused(
    service: VaultService, vault: UnlockedVault, three: tuple[Officer, ...],
    second: tuple[VaultService, UnlockedVault], relabel: bool,
) -> None:
    """Both vaults use the same passphrase; the other vault's slot still must not open mine."""
    other_service, other = second
    my_id = vault.vault_id
    vault.lock()
    other.lock()
    _copy_slot(other_service.data_dir, service.data_dir, "passphrase", my_id if relabel else None)
    with pytest.raises(WrongSecretError if relabel else TamperError):
        service.unlock(PASSPHRASE)


def test_recovery_slot_swapped_from_another_vault_refused(
    service: VaultService, vault: UnlockedVault, second: tuple[VaultService, UnlockedVault],
) -> None:
    other_service, other = second
    my_id = vault.vault_id
    vault.lock()
    other.lock()
    # the attacker holds a recovery key that opens the other vault's recovery slot
    other_key, other_text = new_recovery_key()
    wrapped = keyslots.wrap_with_recovery(
        SecretKey.random(32), SecretKey(other_key.raw()), other.vault_id, 1
    )
    raw_execute(
        other_service.data_dir.database,
        "UPDATE key_slot SET kdf_salt=?, wrapped_key=? WHERE slot='recovery'",
        [wrapped.params.salt, wrapped.blob],
    )
    _copy_slot(other_service.data_dir, service.data_dir, "recovery", my_id)
    with pytest.raises(WrongSecretError):
        service.unlock_with_recovery(other_text, NEW_PASSPHRASE)


def test_slot_renamed_refused(service: VaultService, vault: UnlockedVault) -> None:
    """The passphrase slot's contents under the recovery name (and back) do not open."""
    vault.lock()
    db = service.data_dir.database
    raw_execute(db, "UPDATE key_slot SET slot='tmp' WHERE slot='recovery'")
    raw_execute(db, "UPDATE key_slot SET slot='recovery' WHERE slot='passphrase'")
    raw_execute(db, "UPDATE key_slot SET slot='passphrase' WHERE slot='tmp'")
    with pytest.raises(TamperError):  # the recovery slot has no Argon2id parameters
        service.unlock(PASSPHRASE)


# -- passphrase change --------------------------------------------------------------------------
def test_passphrase_change_keeps_every_blob_and_retires_the_old_one(
    service: VaultService, vault: UnlockedVault, three: tuple[Officer, ...],
    recovery: tuple[SecretKey, str],
) -> None:
    db = service.data_dir.database
    query = "SELECT id, " + ", ".join(SEALED_COLUMNS) + " FROM officer ORDER BY id"  # noqa: S608
    before = raw_query(db, query)
    vault.set_passphrase(NEW_PASSPHRASE)
    vault.lock()
    assert raw_query(db, query) == before
    with pytest.raises(WrongSecretError):
        service.unlock(PASSPHRASE)
    service.unlock(NEW_PASSPHRASE).lock()
    reopened = service.unlock_with_recovery(recovery[1], "yet another passphrase here")
    try:
        assert len(reopened.list_officers().officers) == 3
    finally:
        reopened.lock()


# -- the command line reports tampering with exit code 4 -----------------------------------------
def _cli_verify(data_dir: DataDir, passphrase: str, monkeypatch: pytest.MonkeyPatch,
                capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    monkeypatch.setattr("sys.stdin", io.StringIO(passphrase + "\n"))
    out = io.StringIO()
    code = cli.main(["--data-dir", str(data_dir.root), "verify", "--passphrase-stdin"], out=out)
    return code, out.getvalue(), capsys.readouterr().err


@pytest.mark.slow
@pytest.mark.parametrize(
    ("edit", "failed"),
    [
        ("UPDATE officer SET alias_sealed = notes_sealed, notes_sealed = alias_sealed", 2),
        ("UPDATE officer SET schema_version = 7", 5),
        ("UPDATE officer SET key_id = 'ffffffffffffffff'", 5),
    ],
    ids=["fields-swapped", "schema-edited", "key-id-edited"],
)
def test_cli_verify_exits_4_on_tampered_records(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
    edit: str, failed: int,
) -> None:
    data_dir = golden_copy(tmp_path / "vault")
    raw_execute(data_dir.database, edit)
    code, out, err = _cli_verify(data_dir, GOLDEN_PASSPHRASE, monkeypatch, capsys)
    assert code == cli.EXIT_TAMPER == 4
    assert "officer: 1" in out
    # 5 fields of the officer, the request private key and the statistics marker
    assert f"sealed fields: 7 checked, {failed} failed" in out
    assert err.count("\n") == 1 and err.startswith("peersupport: verification failed")
    assert GOLDEN_OFFICER.alias not in out + err


def test_cli_verify_exits_4_on_weakened_parameters(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    data_dir = golden_copy(tmp_path / "vault")
    raw_execute(data_dir.database, "UPDATE key_slot SET kdf_iterations = 1")
    code, out, err = _cli_verify(data_dir, GOLDEN_PASSPHRASE, monkeypatch, capsys)
    assert code == 4
    assert out == ""
    assert err.count("\n") == 1 and "integrity failure" in err


# -- encrypted copies (the pre-migration copy uses this format) -------------------------------
def test_backup_file_refuses_any_edit() -> None:
    key = SecretKey.random(32)
    header = backup_file.new_header("vault-id", 1, (), chunk_size=1024)
    plaintext = bytes(range(256)) * 10  # three chunks
    data = b"".join(backup_file.encrypt(header, key, plaintext))
    assert backup_file.decrypt(data, key) == plaintext  # control
    _, body = backup_file.read_header(data)
    for position in [*range(0, body, 7), *range(body, len(data), 97)]:
        with pytest.raises(TamperError):
            backup_file.decrypt(_flip(data, position), key)
    for length in range(0, len(data), 61):
        with pytest.raises(TamperError):
            backup_file.decrypt(data[:length], key)
    chunk_len = 4 + 1024 + 16
    first, second_ = data[body : body + chunk_len], data[body + chunk_len : body + 2 * chunk_len]
    reordered = data[:body] + second_ + first + data[body + 2 * chunk_len :]
    with pytest.raises(TamperError):
        backup_file.decrypt(reordered, key)
    with pytest.raises(TamperError):  # last chunk dropped: the new end is not flagged last
        backup_file.decrypt(data[: body + 2 * chunk_len], key)
    with pytest.raises(TamperError):
        backup_file.decrypt(data, SecretKey.random(32))
