"""The ``peersupport`` command as a user runs it: exit codes, what it prints, and that every
failure is exactly one line on standard error with no traceback."""

from __future__ import annotations

import io
import os
import re
import shutil
import stat
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from peersupport import __version__, cli
from peersupport.crypto import kdf, keyslots, recovery
from peersupport.paths import DataDir
from peersupport.store.vault_meta import read_slot
from tests._support import (
    CLI_PASSPHRASE,
    GOLDEN_PASSPHRASE,
    Run,
    golden_copy,
    raw_execute,
    raw_query,
)

REPO = Path(__file__).resolve().parent.parent
KEY_LINE = re.compile(r"^  ([0-9A-Z]{4}(?:-[0-9A-Z]{4}){6})$", re.MULTILINE)
ANY_KEY = re.compile(r"[0-9A-Z]{4}(?:-[0-9A-Z]{4}){6}")


def run_cli(
    args: list[str], home: Path, stdin: str | None = "", env_home: Path | None = None
) -> Run:
    env = {
        k: v for k, v in os.environ.items()
        if k not in ("PEERSUPPORT_HOME", "HOME", "XDG_DATA_HOME", "XDG_CONFIG_HOME")
    }
    env.update(
        HOME=str(home), XDG_DATA_HOME=str(home / "share"), XDG_CONFIG_HOME=str(home / "config"),
        PEERSUPPORT_HOME=str(env_home or home / "env-default"), PYTHONDONTWRITEBYTECODE="1",
    )
    proc = subprocess.run(
        [sys.executable, "-m", "peersupport", *args],
        input=stdin, stdin=subprocess.DEVNULL if stdin is None else None,
        capture_output=True, text=True, cwd=REPO, env=env, timeout=120, check=False,
    )
    return Run(proc.returncode, proc.stdout, proc.stderr)


@dataclass
class Initialized:
    root: Path
    home: Path
    run: Run


@pytest.fixture(scope="module")
def initialized(tmp_path_factory: pytest.TempPathFactory) -> Initialized:
    """One real `init` (PRODUCTION parameters, calibrated), shared by the read-only tests."""
    home = tmp_path_factory.mktemp("cli-home")
    root = home / "vault"
    result = run_cli(["--data-dir", str(root), "init", "--passphrase-stdin"], home,
                     stdin=CLI_PASSPHRASE + "\n")
    return Initialized(root, home, result)


# -- version and usage --------------------------------------------------------------------------
def test_version(tmp_path: Path) -> None:
    result = run_cli(["--version"], tmp_path)
    assert result.code == 0
    assert result.out == f"peersupport {__version__}\n"
    assert result.err == ""


@pytest.mark.parametrize(
    "args",
    [["--bogus"], ["verify", "--bogus"], ["frobnicate"], ["init", "extra-argument"]],
    ids=["global-flag", "command-flag", "unknown-command", "extra-argument"],
)
def test_bad_usage_exits_2_with_one_line(tmp_path: Path, args: list[str]) -> None:
    result = run_cli(args, tmp_path)
    assert result.code == 2
    assert result.out == ""
    assert "try --help" in result.one_line_error()
    assert not (tmp_path / "env-default").exists()


def test_help_lists_the_commands(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        cli.main(["--help"])
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    assert "init" in out and "verify" in out and "--data-dir" in out


# -- init ----------------------------------------------------------------------------------------
@pytest.mark.slow
def test_init_prints_the_recovery_key_once(initialized: Initialized) -> None:
    result = initialized.run
    assert result.code == 0, result.err
    assert result.err == ""
    keys = KEY_LINE.findall(result.out)
    assert len(keys) == 1
    assert len(ANY_KEY.findall(result.out)) == 1  # printed once, nowhere else
    assert CLI_PASSPHRASE not in result.out
    assert str(initialized.root) in result.out
    data_dir = DataDir(initialized.root)
    assert data_dir.has_vault()
    # the printed key is the vault's real recovery key (checked without Argon2id)
    from sqlalchemy.orm import Session

    from peersupport.store.engine import sqlite_engine

    engine = sqlite_engine(data_dir.database)
    try:
        with Session(engine) as session:
            found = read_slot(session, keyslots.SLOT_RECOVERY)
            vault_id = str(raw_query(data_dir.database, "SELECT id FROM vault")[0][0])
    finally:
        engine.dispose()
    assert found is not None
    key = recovery.parse(keys[0])
    data_key = keyslots.unwrap_with_recovery(found[1], key, vault_id, 1)
    assert len(data_key) == 32
    assert not data_key.is_wiped()


@pytest.mark.slow
def test_init_uses_production_parameters_and_private_files(initialized: Initialized) -> None:
    assert initialized.run.code == 0
    data_dir = DataDir(initialized.root)
    memory, iterations, lanes = raw_query(
        data_dir.database,
        "SELECT kdf_memory_kib, kdf_iterations, kdf_lanes FROM key_slot WHERE slot='passphrase'",
    )[0]
    assert memory >= kdf.PRODUCTION.floor_memory_kib  # type: ignore[operator]
    assert iterations >= kdf.PRODUCTION.floor_iterations  # type: ignore[operator]
    assert lanes >= kdf.PRODUCTION.floor_lanes  # type: ignore[operator]
    if os.name == "posix":
        assert stat.S_IMODE(data_dir.root.stat().st_mode) == 0o700
        assert stat.S_IMODE(data_dir.database.stat().st_mode) == 0o600
    leftovers = [p.name for p in data_dir.root.iterdir() if ".creating" in p.name]
    assert leftovers == []


@pytest.mark.slow
def test_init_again_refuses_with_exit_1(initialized: Initialized) -> None:
    before = initialized.root.joinpath("peersupport.db").read_bytes()
    result = run_cli(["--data-dir", str(initialized.root), "init", "--passphrase-stdin"],
                     initialized.home, stdin="another strong passphrase for this\n")
    assert result.code == 1
    assert result.out == ""
    assert "already exists" in result.one_line_error()
    assert initialized.root.joinpath("peersupport.db").read_bytes() == before


@pytest.mark.parametrize(
    "passphrase", ["jennifer1985", "Tr0ub4dor"], ids=["low-score", "too-short"]
)
def test_init_weak_passphrase_exits_2(tmp_path: Path, passphrase: str) -> None:
    root = tmp_path / "vault"
    result = run_cli(["--data-dir", str(root), "init", "--passphrase-stdin"], tmp_path,
                     stdin=passphrase + "\n")
    assert result.code == 2
    assert result.out == ""
    line = result.one_line_error()
    assert "too weak" in line
    assert passphrase not in line
    assert not DataDir(root).has_vault()


@pytest.mark.parametrize("stdin", ["", "\n"], ids=["eof", "empty-line"])
def test_init_without_a_passphrase_on_stdin_exits_2(tmp_path: Path, stdin: str) -> None:
    result = run_cli(["--data-dir", str(tmp_path / "vault"), "init", "--passphrase-stdin"],
                     tmp_path, stdin=stdin)
    assert result.code == 2
    assert "no passphrase" in result.one_line_error()


def test_verify_without_terminal_or_stdin_flag_exits_2(initialized: Initialized) -> None:
    result = run_cli(["--data-dir", str(initialized.root), "verify"], initialized.home, stdin=None)
    assert result.code == 2
    assert "--passphrase-stdin" in result.one_line_error()


# -- verify --------------------------------------------------------------------------------------
@pytest.mark.slow
def test_verify_right_passphrase_exits_0_and_prints_counts(initialized: Initialized) -> None:
    result = run_cli(["--data-dir", str(initialized.root), "verify", "--passphrase-stdin"],
                     initialized.home, stdin=CLI_PASSPHRASE + "\n")
    assert result.code == 0, result.err
    assert result.err == ""
    assert result.out == (
        "database integrity: ok\n"
        "records: checkin: 0, checkin_month: 0, draft: 0, follow_request: 0, "
        "followup_agenda: 0, followup_plan: 0, officer: 0, vault_secret: 3\n"
        "sealed fields: 3 checked, 0 failed\n"
    )


@pytest.mark.slow
def test_verify_finds_the_vault_through_the_environment(initialized: Initialized) -> None:
    result = run_cli(["verify", "--passphrase-stdin"], initialized.home,
                     stdin=CLI_PASSPHRASE + "\n", env_home=initialized.root)
    assert result.code == 0, result.err
    assert ("records: checkin: 0, checkin_month: 0, draft: 0, follow_request: 0, "
            "followup_agenda: 0, followup_plan: 0, officer: 0") in result.out


@pytest.mark.slow
def test_verify_wrong_passphrase_exits_3(initialized: Initialized) -> None:
    before = initialized.root.joinpath("peersupport.db").read_bytes()
    result = run_cli(["--data-dir", str(initialized.root), "verify", "--passphrase-stdin"],
                     initialized.home, stdin="marble kettle orbit saffrom\n")
    assert result.code == 3
    assert result.out == ""
    assert result.one_line_error() == "peersupport: wrong passphrase or recovery key"
    assert initialized.root.joinpath("peersupport.db").read_bytes() == before


@pytest.mark.slow
def test_verify_tampered_vault_exits_4(tmp_path: Path) -> None:
    data_dir = golden_copy(tmp_path / "vault")
    raw_execute(
        data_dir.database,
        "UPDATE officer SET contact_sealed = full_name_sealed, full_name_sealed = contact_sealed",
    )
    result = run_cli(["--data-dir", str(data_dir.root), "verify", "--passphrase-stdin"],
                     tmp_path, stdin=GOLDEN_PASSPHRASE + "\n")
    assert result.code == 4
    # 5 officer fields, the request key and the statistics marker made at unlock
    assert "sealed fields: 7 checked, 2 failed" in result.out
    assert "verification failed" in result.one_line_error()


def test_verify_no_vault_exits_2(tmp_path: Path) -> None:
    result = run_cli(["--data-dir", str(tmp_path / "nothing-here"), "verify",
                      "--passphrase-stdin"], tmp_path, stdin="whatever\n")
    assert result.code == 2
    assert result.out == ""
    assert "no vault" in result.one_line_error()
    assert not (tmp_path / "nothing-here").exists()


# -- in-process: the same contract, faster ---------------------------------------------------------
def _main(args: list[str], stdin: str, monkeypatch: pytest.MonkeyPatch,
          capsys: pytest.CaptureFixture[str]) -> Run:
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    out = io.StringIO()
    code = cli.main(args, out=out)
    return Run(code, out.getvalue(), capsys.readouterr().err)


@pytest.mark.parametrize(
    ("damage", "fragment"),
    [
        (lambda db: db.write_bytes(b"\x00" * 16 + db.read_bytes()[16:]), "integrity failure"),
        (lambda db: db.write_bytes(b"this is not a database at all\n" * 50), "integrity failure"),
        (lambda db: raw_execute(db, "DELETE FROM key_slot WHERE slot='passphrase'"),
         "no passphrase key slot"),
        (lambda db: raw_execute(db, "DELETE FROM vault"), "integrity failure"),
    ],
    ids=["header-zeroed", "not-sqlite", "slot-deleted", "vault-row-deleted"],
)
def test_damaged_file_exits_4_in_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
    damage: object, fragment: str,
) -> None:
    data_dir = golden_copy(tmp_path / "vault")
    damage(data_dir.database)  # type: ignore[operator]
    result = _main(["--data-dir", str(data_dir.root), "verify", "--passphrase-stdin"],
                   GOLDEN_PASSPHRASE + "\n", monkeypatch, capsys)
    assert result.code == 4
    assert fragment in result.one_line_error()


def test_unexpected_errors_are_one_line_without_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    data_dir = golden_copy(tmp_path / "vault")

    def boom(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("secret detail CNRYBOOM")

    monkeypatch.setattr("peersupport.services.vault.VaultService.verify", boom)
    result = _main(["--data-dir", str(data_dir.root), "verify", "--passphrase-stdin"],
                   "x\n", monkeypatch, capsys)
    assert result.code == 1
    line = result.one_line_error()
    assert line == "peersupport: unexpected error (RuntimeError)"
    assert "CNRYBOOM" not in result.err


def test_no_vault_in_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    result = _main(["--data-dir", str(tmp_path / "none"), "verify", "--passphrase-stdin"],
                   "x\n", monkeypatch, capsys)
    assert result.code == cli.EXIT_USAGE == 2
    assert "no vault" in result.one_line_error()


@pytest.mark.slow
def test_init_in_process_then_verify_copy(
    initialized: Initialized, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A copy of the CLI-made vault moved elsewhere still verifies (nothing ties it to a path)."""
    moved = tmp_path / "moved"
    shutil.copytree(initialized.root, moved)
    result = _main(["--data-dir", str(moved), "verify", "--passphrase-stdin"],
                   CLI_PASSPHRASE + "\n", monkeypatch, capsys)
    assert result.code == 0, result.err
    assert result.out.startswith("database integrity: ok\n")
