"""Streaming backup and restore (issue 7 §7): the chunk streams give exactly the bytes and the
refusals of the in-memory functions, and the scratch files a backup or a restore uses are
private and never outlive it."""

from __future__ import annotations

import io
import os
import stat
import uuid
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from peersupport.crypto import backup_file, kdf, keyslots
from peersupport.crypto.errors import TamperError
from peersupport.crypto.secret import SecretKey
from peersupport.domain.officer import Officer
from peersupport.paths import DataDir
from peersupport.services import backup
from peersupport.services.backup import restore_backup, verify_backup, write_backup
from peersupport.services.vault import UnlockedVault
from peersupport.store import snapshot
from tests.conftest import FAST_TEST_PROFILE, PASSPHRASE
from tests.test_backup import DAMAGE, _sample_backup, digest

KEY = SecretKey(b"s" * 32)
SMALL = 1024


class Trickle(io.RawIOBase):
    """A raw stream that returns at most 7 bytes per read (short reads are legal)."""

    def __init__(self, data: bytes) -> None:
        self._data = io.BytesIO(data)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        piece = self._data.read(min(7, len(buffer)))
        buffer[: len(piece)] = piece
        return len(piece)


def scratch_files(*folders: Path) -> list[Path]:
    return [p for f in folders if f.exists() for p in f.rglob("*")
            if ".peersupport-scratch-" in p.name or p.name.endswith(".restoring")]


# -- the streams ----------------------------------------------------------------------------
@settings(max_examples=60, deadline=None)
@given(st.sampled_from([0, 1, SMALL - 1, SMALL, SMALL + 1, 3 * SMALL, 3 * SMALL + 5])
       | st.integers(0, 5 * SMALL))
def test_encrypt_stream_writes_the_same_bytes_as_encrypt(size: int) -> None:
    plaintext = os.urandom(size)
    header = backup_file.new_header("vault", 1, (), chunk_size=SMALL)
    whole = b"".join(backup_file.encrypt(header, KEY, plaintext))
    assert b"".join(backup_file.encrypt_stream(header, KEY, io.BytesIO(plaintext))) == whole
    assert b"".join(backup_file.encrypt_stream(header, KEY, Trickle(plaintext))) == whole
    assert backup_file.decrypt(whole, KEY) == plaintext
    assert b"".join(backup_file.decrypt_stream(io.BytesIO(whole), KEY)) == plaintext
    assert b"".join(backup_file.decrypt_stream(Trickle(whole), KEY)) == plaintext


def test_read_preamble_leaves_the_stream_at_the_first_chunk() -> None:
    header = backup_file.new_header("vault", 1, (), chunk_size=SMALL)
    data = b"".join(backup_file.encrypt(header, KEY, b"x" * 3000))
    source = io.BytesIO(data)
    got, preamble = backup_file.read_preamble(source)
    assert got == header and data.startswith(preamble)
    assert source.tell() == len(preamble) == backup_file.read_header(data)[1]
    with pytest.raises(TamperError):
        backup_file.read_preamble(io.BytesIO(data[: len(preamble) - 1]))


@pytest.mark.parametrize("damage", list(DAMAGE), ids=list(DAMAGE))
def test_decrypt_stream_refuses_every_damaged_file(damage: str) -> None:
    data, key = _sample_backup()
    with pytest.raises(TamperError):
        for _ in backup_file.decrypt_stream(io.BytesIO(DAMAGE[damage](data)), key):
            pass


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_decrypt_stream_agrees_with_decrypt_on_mutated_files(draw: st.DataObject) -> None:
    data, key = _sample_backup()
    kind = draw.draw(st.sampled_from(["flip", "cut", "insert", "splice"]))
    at = draw.draw(st.integers(0, len(data) - 1))
    if kind == "flip":
        bad = data[:at] + bytes([data[at] ^ draw.draw(st.integers(1, 255))]) + data[at + 1 :]
    elif kind == "cut":
        bad = data[:at]
    elif kind == "insert":
        bad = data[:at] + draw.draw(st.binary(min_size=1, max_size=8)) + data[at:]
    else:
        bad = data[:at] + data[draw.draw(st.integers(at + 1, len(data))) :]
    with pytest.raises(TamperError):
        b"".join(backup_file.decrypt_stream(io.BytesIO(bad), key))
    assert b"".join(backup_file.decrypt_stream(io.BytesIO(data), key)) == (
        backup_file.decrypt(data, key))


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=400))
def test_decrypt_stream_on_arbitrary_bytes(data: bytes) -> None:
    for blob in (data, b"PSBACKUP" + data, b"PSBACKUP\x00\x01" + data):
        with pytest.raises(TamperError):
            b"".join(backup_file.decrypt_stream(io.BytesIO(blob), KEY))


# -- the snapshot file ------------------------------------------------------------------------
def test_copy_to_file_is_the_in_memory_snapshot(vault: UnlockedVault, tmp_path: Path) -> None:
    vault.add_officer(Officer(alias="Snapshot"))
    engine = vault._live_engine()
    (tmp_path / "snap").mkdir()
    target = tmp_path / "snap" / "copy.db"
    size = snapshot.copy_to_file(engine, target)
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    copied, memory = target.read_bytes(), snapshot.database_bytes(engine)
    assert size == len(copied) == len(memory)
    # the same pages; only the header's change counter (24-27) and its copy (92-95) differ
    mask = [*range(24, 28), *range(92, 96)]
    assert [b for i, b in enumerate(copied) if i not in mask] == [
        b for i, b in enumerate(memory) if i not in mask]
    assert sorted(p.name for p in target.parent.iterdir()) == ["copy.db"]  # no journal or log
    with pytest.raises(FileExistsError):
        snapshot.copy_to_file(engine, target)


# -- scratch files: private, and gone afterwards ------------------------------------------------
def test_scratch_files_are_private_and_removed(
    vault: UnlockedVault, data_dir: DataDir, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    vault.add_officer(Officer(alias="Scratch"))
    modes: list[tuple[str, int]] = []
    real = backup._file_contents

    def spy(path: Path, *, check: bool = True) -> Any:
        assert path.parent in (data_dir.root, data_dir.backups, tmp_path / "restored")
        modes.append((path.name, stat.S_IMODE(path.stat().st_mode)))
        return real(path, check=check)

    monkeypatch.setattr(backup, "_file_contents", spy)
    write_backup(vault, tmp_path / "b.psbak")
    vault.lock()
    restore_backup(tmp_path / "b.psbak", data_dir, passphrase=PASSPHRASE,
                   profile=FAST_TEST_PROFILE, target_dir=DataDir(tmp_path / "restored"))
    restore_backup(tmp_path / "b.psbak", data_dir, passphrase=PASSPHRASE,
                   profile=FAST_TEST_PROFILE)  # in place: the replaced one is snapshot too
    assert len(modes) == 4 and all(mode == 0o600 for _name, mode in modes), modes
    assert scratch_files(data_dir.root, tmp_path / "restored") == []


def test_a_failing_backup_leaves_no_scratch_file(
    vault: UnlockedVault, data_dir: DataDir, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    def broken(*_args: Any) -> Any:
        yield b"PSBACKUP"
        raise OSError("disk full")

    monkeypatch.setattr(backup_file, "encrypt_stream", broken)
    with pytest.raises(OSError, match="disk full"):
        write_backup(vault, tmp_path / "out" / "b.psbak")
    assert scratch_files(data_dir.root) == []
    assert not (tmp_path / "out" / "b.psbak").exists()


@pytest.mark.parametrize("where", ["in place", "new folder", "new nested folder"])
def test_a_restore_refused_late_leaves_nothing(
    vault: UnlockedVault, data_dir: DataDir, tmp_path: Path, where: str,
) -> None:
    """Every chunk authenticates but the payload names another vault: refused only after the
    whole file was decrypted into the scratch file, which must then be gone."""
    write_backup(vault, tmp_path / "b.psbak", chunk_size=SMALL)
    data = (tmp_path / "b.psbak").read_bytes()
    header, _ = backup_file.read_header(data)
    database = backup_file.decrypt(data, vault.data_key)
    other_id = str(uuid.uuid4())
    slot = keyslots.wrap_with_passphrase(
        vault.data_key, PASSPHRASE, kdf.new_params(FAST_TEST_PROFILE), other_id, 1)
    other = backup_file.BackupHeader(
        other_id, header.schema_version, header.chunk_size, header.body_salt, (slot,))
    (tmp_path / "forged.psbak").write_bytes(
        b"".join(backup_file.encrypt(other, vault.data_key, database)))
    vault.lock()
    before = digest(data_dir.root)
    target = {"in place": None, "new folder": DataDir(tmp_path / "new"),
              "new nested folder": DataDir(tmp_path / "a" / "b" / "c")}[where]
    with pytest.raises(TamperError, match="another vault"):
        restore_backup(tmp_path / "forged.psbak", data_dir, passphrase=PASSPHRASE,
                       profile=FAST_TEST_PROFILE, target_dir=target)
    assert digest(data_dir.root) == before
    assert not (tmp_path / "new").exists() and not (tmp_path / "a").exists()
    with pytest.raises(TamperError, match="another vault"):  # the in-memory check agrees
        verify_backup((tmp_path / "forged.psbak").read_bytes(), passphrase=PASSPHRASE,
                      profile=FAST_TEST_PROFILE)


def test_a_leftover_scratch_file_does_not_stop_a_restore(
    vault: UnlockedVault, data_dir: DataDir, tmp_path: Path,
) -> None:
    write_backup(vault, tmp_path / "b.psbak")
    vault.lock()
    leftover = data_dir.database.with_name(data_dir.database.name + ".restoring")
    leftover.write_bytes(b"half a database from an interrupted restore")
    restore_backup(tmp_path / "b.psbak", data_dir, passphrase=PASSPHRASE,
                   profile=FAST_TEST_PROFILE)
    assert not leftover.exists()
    assert data_dir.database.read_bytes().startswith(b"SQLite format 3\x00")
