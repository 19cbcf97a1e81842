"""What is left on disk: no record text, passphrase or key in any file of the data directory
(after edits, deletes, locks and a SIGKILL), fixed-size ciphertexts, the required SQLite
pragmas on every pooled connection, a plaintext schema that matches the allow-list, and an
encrypted copy written before a migration."""

from __future__ import annotations

import base64
import logging
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, LargeBinary, inspect, text
from sqlalchemy.exc import DBAPIError

from peersupport import hygiene, settings
from peersupport.crypto import backup_file, keyslots, padding
from peersupport.crypto.secret import SecretKey
from peersupport.domain.officer import Officer
from peersupport.paths import DataDir
from peersupport.services.vault import UnlockedVault, VaultService
from peersupport.store import migrate
from peersupport.store.models import PLAINTEXT_ALLOW_LIST, Base
from peersupport.store.verification import SEALED_TABLES
from tests._support import all_files, needle_forms, raw_execute, raw_query, scan, scan_bytes
from tests.conftest import FAST_TEST_PROFILE, PASSPHRASE

REPO = Path(__file__).resolve().parent.parent


def new_canary(label: str) -> str:
    return f"CNRY{label}{uuid.uuid4().hex[:12].upper()}"


def officer_with_canaries(label: str) -> tuple[Officer, list[str]]:
    c = [new_canary(f"{label}{part}") for part in ("ALIAS", "NAME", "CONTACT", "NOTES")]
    officer = Officer(
        alias=c[0], full_name=f"Sgt. {c[1]} Jr.", contact=f"{c[2]}@example.invalid",
        notes=f"Long talk after the incident. {c[3]} " + "more words " * 30,
    )
    return officer, c


def engine_of(vault: UnlockedVault) -> Engine:
    engine = vault._engine  # the live pooled engine the vault reads and writes through
    assert engine is not None
    return engine


@pytest.fixture
def app_logging(data_dir: DataDir) -> Iterator[Path]:
    """Logging configured as the app does, into the data directory; restored afterwards."""
    root = logging.getLogger()
    saved_handlers, saved_level = list(root.handlers), root.level
    hygiene.configure_logging(data_dir.logs)
    yield data_dir.logs
    for handler in list(root.handlers):
        handler.close()
        root.removeHandler(handler)
    for handler in saved_handlers:
        root.addHandler(handler)
    root.setLevel(saved_level)
    logging.captureWarnings(False)


def _close_log_files() -> None:
    for handler in logging.getLogger().handlers:
        handler.flush()
        handler.close()


# -- the scanner itself ------------------------------------------------------------------------
@pytest.mark.parametrize("prefix", [b"", b"a", b"ab", b"abc", b"\x00\x01\x02\x03\x04"])
def test_scanner_finds_every_encoding_at_every_alignment(tmp_path: Path, prefix: bytes) -> None:
    canary = new_canary("SCAN")
    raw = canary.encode()
    blobs = {
        "utf8": b"junk" + raw + b"junk",
        "utf8-lower": b"junk" + canary.lower().encode() + b"junk",
        "utf16le": b"\xff\xfe" + canary.encode("utf-16-le"),
        "utf16be": canary.encode("utf-16-be"),
        "hex": raw.hex().upper().encode(),
        "base64": base64.b64encode(prefix + raw + b"tail"),
        "base64-url": base64.urlsafe_b64encode(prefix + b"\xfb\xff" + raw + b"\xfe"),
    }
    for name, data in blobs.items():
        folder = tmp_path / name
        folder.mkdir()
        (folder / "nested").mkdir()
        (folder / "nested" / "file.bin").write_bytes(b"\x00" * 100 + data + b"\x00" * 100)
        assert scan(folder, [canary]), name
        assert not scan(folder, [new_canary("SCAN")]), name
    assert len(needle_forms(canary)) >= 10


def _leftover_after_delete(folder: Path, secure_delete: bool, journal: str) -> list[str]:
    canary = new_canary("SDEL")
    con = sqlite3.connect(folder / "raw.db")
    con.execute(f"PRAGMA secure_delete={'ON' if secure_delete else 'OFF'}")
    con.execute(f"PRAGMA journal_mode={journal}")
    con.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, x TEXT)")
    con.execute("INSERT INTO t (x) VALUES ('filler')")
    con.execute("INSERT INTO t (x) VALUES (?)", (f"before {canary} after",))
    con.execute("INSERT INTO t (x) VALUES ('more filler')")
    con.commit()
    assert scan(folder, [canary])  # control: it is there before the delete
    con.execute("DELETE FROM t WHERE x LIKE '%CNRY%'")
    con.commit()
    con.close()
    assert raw_query(folder / "raw.db", "SELECT count(*) FROM t") == [(2,)]
    return [str(h) for h in scan(folder, [canary])]


@pytest.mark.parametrize("journal", ["DELETE", "WAL"])
def test_scanner_finds_a_deleted_row_when_secure_delete_is_off(
    tmp_path: Path, journal: str
) -> None:
    assert _leftover_after_delete(tmp_path, secure_delete=False, journal=journal)


@pytest.mark.parametrize("journal", ["DELETE", "WAL"])
def test_deleted_row_is_gone_when_secure_delete_is_on(tmp_path: Path, journal: str) -> None:
    assert _leftover_after_delete(tmp_path, secure_delete=True, journal=journal) == []


# -- canaries at rest --------------------------------------------------------------------------
def test_canaries_leave_no_trace_after_edit_delete_lock(
    service: VaultService, recovery: tuple[SecretKey, str], app_logging: Path
) -> None:
    settings.save(service.data_dir.settings, settings.Settings(idle_lock_minutes=7))
    vault = service.create(PASSPHRASE, SecretKey(recovery[0].raw()))
    data_key = SecretKey(vault.data_key.raw())
    kept, kept_canaries = officer_with_canaries("KEPT")
    gone, gone_canaries = officer_with_canaries("GONE")
    vault.add_officer(kept)
    vault.add_officer(gone)
    # edit: every field replaced, so the first values exist only in freed/overwritten space
    edited, edited_canaries = officer_with_canaries("EDIT")
    edited.id = kept.id
    vault.update_officer(edited)
    vault.delete_officer(gone.id)
    # a careless log call: the redacting filter must keep the value out of the log file
    logging.getLogger("peersupport.test").warning("saved officer %s", edited.alias)
    try:
        raise ValueError(f"could not save {edited.full_name}")
    except ValueError:
        logging.getLogger("peersupport.test").exception("save failed")
    vault.lock()
    _close_log_files()

    root = service.data_dir.root
    files = {p.relative_to(root).as_posix() for p in all_files(root)}
    assert "peersupport.db" in files and "settings.json" in files
    assert "logs/peersupport.log" in files
    log_text = (service.data_dir.logs / "peersupport.log").read_text()
    assert "saved officer <redacted>" in log_text  # the careless lines were logged, redacted
    assert "save failed [builtins.ValueError at " in log_text
    canaries = kept_canaries + gone_canaries + edited_canaries
    hits = scan(service.data_dir.root, [*canaries, PASSPHRASE, recovery[1]])
    assert hits == [], [str(h) for h in hits]
    for path in all_files(service.data_dir.root):
        content = path.read_bytes()
        assert data_key.raw() not in content, path
        assert recovery[0].raw() not in content, path

    # control: the edited values really are stored, and the deleted officer really is gone
    reopened = service.unlock(PASSPHRASE)
    try:
        listed = reopened.list_officers()
        assert [o.alias for o in listed.officers] == [edited_canaries[0]]
        assert listed.damaged_ids == []
    finally:
        reopened.lock()


SIGKILL_CHILD = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from peersupport import hygiene
    from peersupport.crypto.kdf import KdfProfile
    from peersupport.crypto.secret import SecretKey
    from peersupport.domain.officer import Officer
    from peersupport.paths import ensure
    from peersupport.services.vault import VaultService

    root, passphrase, officer_id = sys.argv[1:4]
    canaries = sys.argv[4:8]
    profile = KdfProfile(
        name="test-fast", memory_kib=1024, lanes=1, min_iterations=1, floor_memory_kib=1024,
        floor_iterations=1, floor_lanes=1, target_seconds=None,
    )
    data_dir = ensure(Path(root))
    hygiene.configure_logging(data_dir.logs)
    service = VaultService(data_dir, profile)
    if service.exists():
        vault = service.unlock(passphrase)
    else:
        vault = service.create(passphrase, SecretKey(bytes(range(1, 17))))
    vault.add_officer(Officer(
        id=officer_id, alias=canaries[0], full_name=canaries[1], contact=canaries[2],
        notes=canaries[3],
    ))
    print("saved", flush=True)
    time.sleep(120)
    """
)


def _run_until_saved_then_kill(root: Path, officer_id: str, canaries: list[str]) -> None:
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    child = subprocess.Popen(
        [sys.executable, "-c", SIGKILL_CHILD, str(root), PASSPHRASE, officer_id, *canaries],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=REPO, env=env, text=True,
    )
    try:
        timer = threading.Timer(60, child.kill)
        timer.start()
        try:
            line = child.stdout.readline() if child.stdout else ""
        finally:
            timer.cancel()
        assert line == "saved\n", child.stderr.read() if child.stderr else line
        os.kill(child.pid, signal.SIGKILL)
        assert child.wait(timeout=30) == -signal.SIGKILL
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
        for stream in (child.stdout, child.stderr):
            if stream:
                stream.close()


@pytest.mark.slow
def test_canaries_leave_no_trace_after_sigkill_right_after_a_save(tmp_path: Path) -> None:
    root = tmp_path / "vault"
    first_id, second_id = str(uuid.uuid4()), str(uuid.uuid4())
    first = [new_canary(f"KILL1{p}") for p in "ABCD"]
    second = [new_canary(f"KILL2{p}") for p in "ABCD"]
    _run_until_saved_then_kill(root, first_id, first)  # create + save, killed
    _run_until_saved_then_kill(root, second_id, second)  # reopen + save, killed
    wal = Path(f"{root / 'peersupport.db'}-wal")
    assert wal.exists() and wal.stat().st_size > 0  # the kill really left an open WAL
    hits = scan(root, [*first, *second, PASSPHRASE])
    assert hits == [], [str(h) for h in hits]
    # control: both acknowledged saves survived the kill (synchronous=FULL)
    reopened = VaultService(DataDir(root), FAST_TEST_PROFILE).unlock(PASSPHRASE)
    try:
        listed = reopened.list_officers()
        by_id = {o.id: o for o in listed.officers}
        assert listed.damaged_ids == []
        assert by_id[first_id].alias == first[0] and by_id[first_id].notes == first[3]
        assert by_id[second_id].contact == second[2]
    finally:
        reopened.lock()


# -- ciphertext length ------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("length", "padded"),
    [(0, 64), (1, 64), (60, 64), (61, 128), (124, 128), (125, 256), (252, 256), (253, 512),
     (508, 512), (509, 1024), (1020, 1024), (1021, 2048), (2044, 2048), (2045, 3072)],
)
def test_padding_steps(length: int, padded: int) -> None:
    assert padding.padded_size(length) == padded
    data = bytes([0x41]) * length
    assert len(padding.pad(data)) == padded
    assert padding.unpad(padding.pad(data)) == data


def test_short_and_long_values_give_equal_ciphertext_lengths(vault: UnlockedVault) -> None:
    short = Officer(alias="Al", full_name="Bo", contact="", notes="ok")
    long = Officer(
        alias="Maximiliano-Bartholomew", full_name="Alexandria Konstantinopoulou-Vanderbilt",
        contact="alexandria.konstantinopoulou@precinct-forty-two.example",
        notes="n" * 59,
    )
    vault.add_officer(short)
    vault.add_officer(long)
    cols = ["alias_sealed", "full_name_sealed", "contact_sealed", "notes_sealed"]
    lengths = raw_query(
        vault.data_dir.database,
        "SELECT id, " + ", ".join(f"length({c})" for c in cols) + " FROM officer",  # noqa: S608
    )
    by_id = {row[0]: row[1:] for row in lengths}
    assert by_id[short.id] == by_id[long.id] == (1 + 12 + 64 + 16,) * 4
    # and a longer note moves to the next step, by design
    vault.update_officer(Officer(id=long.id, alias="x", notes="n" * 61))
    notes_len = raw_query(
        vault.data_dir.database, "SELECT length(notes_sealed) FROM officer WHERE id=?", [long.id]
    )
    assert notes_len == [(1 + 12 + 128 + 16,)]


# -- engine settings -----------------------------------------------------------------------------
def test_every_pooled_connection_has_the_required_pragmas(vault: UnlockedVault) -> None:
    engine = engine_of(vault)
    vault.add_officer(Officer(alias="warm up"))  # the pool already has a used connection
    held = [engine.connect() for _ in range(8)]  # more than pool_size: overflow ones too
    try:
        drivers = {id(c.connection.dbapi_connection) for c in held}
        assert len(drivers) == len(held)
        for conn in held:
            got = {
                name: conn.execute(text(f"PRAGMA {name}")).scalar()
                for name in ("secure_delete", "foreign_keys", "temp_store", "journal_mode",
                             "synchronous", "busy_timeout")
            }
            assert got == {
                "secure_delete": 1, "foreign_keys": 1, "temp_store": 2, "journal_mode": "wal",
                "synchronous": 2, "busy_timeout": 5000,
            }
    finally:
        for conn in held:
            conn.close()


def test_pragmas_on_connections_checked_out_from_threads(vault: UnlockedVault) -> None:
    engine = engine_of(vault)
    results: list[tuple[int, int, int, str]] = []
    barrier = threading.Barrier(4)

    def worker() -> None:
        with engine.connect() as conn:
            barrier.wait(timeout=10)  # all four connections are out at the same time
            results.append(tuple(  # type: ignore[arg-type]
                conn.execute(text(f"PRAGMA {p}")).scalar()
                for p in ("secure_delete", "foreign_keys", "temp_store", "journal_mode")
            ))
            barrier.wait(timeout=10)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=20)
    assert results == [(1, 1, 2, "wal")] * 4


def test_engine_hides_parameters_in_errors(vault: UnlockedVault) -> None:
    engine = engine_of(vault)
    assert engine.hide_parameters is True
    canary = new_canary("PARAM")
    with pytest.raises(DBAPIError) as caught, engine.begin() as conn:
        conn.execute(text("INSERT INTO officer (id) VALUES (:x)"), {"x": canary})
    assert "hidden" in str(caught.value)
    assert canary not in str(caught.value)
    assert canary not in repr(caught.value)


def test_foreign_keys_are_enforced(vault: UnlockedVault) -> None:
    with pytest.raises(DBAPIError), engine_of(vault).begin() as conn:
        conn.execute(
            text("UPDATE key_slot SET vault_id = 'no-such-vault' WHERE slot = 'passphrase'")
        )


# -- schema: the plaintext allow-list -------------------------------------------------------------
def test_plaintext_columns_equal_the_allow_list(vault: UnlockedVault) -> None:
    inspector = inspect(engine_of(vault))
    tables = set(inspector.get_table_names())
    assert tables == set(PLAINTEXT_ALLOW_LIST)
    sealed_specs = {spec.name: spec for spec in SEALED_TABLES}
    for table in sorted(tables):
        columns = {c["name"]: c for c in inspector.get_columns(table)}
        plain = {name for name in columns if not name.endswith("_sealed")}
        sealed = {name for name in columns if name.endswith("_sealed")}
        assert plain == set(PLAINTEXT_ALLOW_LIST[table]), table
        spec = sealed_specs.get(table)
        expected_sealed = {spec.column(f) for f in spec.fields} if spec else set()
        assert sealed == expected_sealed, table
        for name in sealed:
            assert isinstance(columns[name]["type"], LargeBinary), (table, name)
    for reason_by_column in PLAINTEXT_ALLOW_LIST.values():
        assert all(reason.strip() for reason in reason_by_column.values())


def test_migrations_build_exactly_the_models(vault: UnlockedVault) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    with engine_of(vault).connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []


def test_head_revision_constant_matches_alembic() -> None:
    assert migrate.HEAD_REVISION == migrate.script_head()


# -- migration: an encrypted copy first ------------------------------------------------------------
def test_unlocking_an_old_vault_writes_an_encrypted_copy_then_migrates(
    service: VaultService, vault: UnlockedVault, tmp_path: Path
) -> None:
    officer, canaries = officer_with_canaries("MIGR")
    vault.add_officer(officer)
    vault_id, data_key = vault.vault_id, SecretKey(vault.data_key.raw())
    vault.lock()
    db = service.data_dir.database
    # make it look like a vault written by a release that knew only revision 0001_vault
    after_0001 = ("stat_record", "follow_request", "request_key", "followup_agenda",
                  "followup_plan", "vault_secret", "draft", "checkin_month", "checkin", "officer")
    for table in after_0001:
        raw_execute(db, f"DROP TABLE {table}")
    raw_execute(db, "UPDATE alembic_version SET version_num = '0001_vault'")
    assert list(service.data_dir.backups.iterdir()) == []

    opened = service.unlock(PASSPHRASE)
    try:
        assert opened.list_officers().officers == []
        opened.add_officer(Officer(alias="after migration"))
        assert [o.alias for o in opened.list_officers().officers] == ["after migration"]
    finally:
        opened.lock()
    assert raw_query(db, "SELECT version_num FROM alembic_version") == [(migrate.HEAD_REVISION,)]
    assert "officer" in {r[0] for r in raw_query(db, "SELECT name FROM sqlite_master")}

    copies = list(service.data_dir.backups.iterdir())
    assert [p.name for p in copies] == [
        f"pre-migration-0001_vault-to-{migrate.HEAD_REVISION}.psbak"
    ]
    blob = copies[0].read_bytes()
    assert blob[:8] == b"PSBACKUP"
    assert scan(service.data_dir.root, [*canaries, PASSPHRASE]) == []
    header, _ = backup_file.read_header(blob)
    assert header.vault_id == vault_id
    assert {s.slot for s in header.slots} == {"passphrase", "recovery"}
    # the copy carries its own key slots: the passphrase alone recovers its key
    slot = next(s for s in header.slots if s.slot == "passphrase")
    recovered = keyslots.unwrap_with_passphrase(slot, PASSPHRASE, FAST_TEST_PROFILE, vault_id, 1)
    assert recovered.raw() == data_key.raw()

    image = backup_file.decrypt(blob, data_key)
    assert image[:16] == b"SQLite format 3\x00"
    assert scan_bytes(image, [*canaries, PASSPHRASE]) == []
    # restored as a file (the image keeps the WAL flag, so it is not opened in memory)
    restored = tmp_path / "restored" / "peersupport.db"
    restored.parent.mkdir()
    restored.write_bytes(image)
    assert raw_query(restored, "PRAGMA integrity_check") == [("ok",)]
    assert raw_query(restored, "SELECT version_num FROM alembic_version") == [("0001_vault",)]
    assert raw_query(restored, "SELECT id FROM vault") == [(vault_id,)]
    assert "officer" not in {r[0] for r in raw_query(restored, "SELECT name FROM sqlite_master")}

    # a second unlock does not migrate or copy again
    service.unlock(PASSPHRASE).lock()
    assert len(list(service.data_dir.backups.iterdir())) == 1
