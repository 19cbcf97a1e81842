"""``peersupport change-passphrase`` and ``peersupport new-recovery-key`` as a user runs them:
exit codes, what they print, that a refused change writes nothing, and that the printed
recovery key opens the vault."""

from __future__ import annotations

import io
import re
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from peersupport import cli
from peersupport.crypto.errors import WrongSecretError
from peersupport.paths import DataDir, ensure
from peersupport.services.vault import VaultService, new_recovery_key
from tests._support import CLI_PASSPHRASE, FLOOR, Run, sha256_file

NEW = "velvet harbor cobalt thimble"
KEY_LINE = re.compile(r"^  ([0-9A-Z]{4}(?:-[0-9A-Z]{4}){6})$", re.MULTILINE)

RunCli = Callable[..., Run]


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    root = tmp_path_factory.mktemp("cli-keys-template") / "vault"
    key, text = new_recovery_key()
    VaultService(ensure(root), FLOOR).create(CLI_PASSPHRASE, key).lock()
    return root, text


@pytest.fixture
def root(template: tuple[Path, str], tmp_path: Path) -> Path:
    target = tmp_path / "vault"
    shutil.copytree(template[0], target)
    return target


@pytest.fixture
def run(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], root: Path
) -> Iterator[RunCli]:
    def go(*args: str, stdin: str = "") -> Run:
        monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
        out = io.StringIO()
        try:
            code = cli.main(["--data-dir", str(root), *args], out=out)
        except SystemExit as exit_:
            code = int(exit_.code or 0)
        return Run(code, out.getvalue(), capsys.readouterr().err)

    yield go


def service(root: Path) -> VaultService:
    return VaultService(DataDir(root), FLOOR)


def db_hash(root: Path) -> str:
    return sha256_file(DataDir(root).database)


# -- change-passphrase ---------------------------------------------------------------------------
def test_change_passphrase_from_stdin(run: RunCli, root: Path) -> None:
    result = run("change-passphrase", "--passphrase-stdin", stdin=f"{CLI_PASSPHRASE}\n{NEW}\n")
    assert result.code == 0, result.err
    assert result.err == ""
    assert "Passphrase changed" in result.out
    assert CLI_PASSPHRASE not in result.out and NEW not in result.out
    with pytest.raises(WrongSecretError):
        service(root).unlock(CLI_PASSPHRASE)
    service(root).unlock(NEW).lock()
    # and the command line itself now takes the new one
    assert run("verify", "--passphrase-stdin", stdin=NEW + "\n").code == 0


def test_wrong_current_passphrase_exits_3_and_writes_nothing(run: RunCli, root: Path) -> None:
    before = db_hash(root)
    result = run("change-passphrase", "--passphrase-stdin",
                 stdin=f"not the passphrase at all\n{NEW}\n")
    assert result.code == 3
    assert result.one_line_error() == "peersupport: wrong passphrase or recovery key"
    assert db_hash(root) == before
    service(root).unlock(CLI_PASSPHRASE).lock()


@pytest.mark.parametrize(
    ("stdin", "message"),
    [
        (f"{CLI_PASSPHRASE}\npassword1\n", "too weak"),
        (f"{CLI_PASSPHRASE}\n", "no passphrase on standard input"),
        (f"{CLI_PASSPHRASE}\n{CLI_PASSPHRASE}\n", "same as the current one"),
    ],
)
def test_refused_new_passphrase_exits_2_and_writes_nothing(
    run: RunCli, root: Path, stdin: str, message: str
) -> None:
    before = db_hash(root)
    result = run("change-passphrase", "--passphrase-stdin", stdin=stdin)
    assert result.code == 2
    assert message in result.one_line_error()
    assert db_hash(root) == before
    service(root).unlock(CLI_PASSPHRASE).lock()


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_mismatched_new_passphrase_on_the_terminal_exits_2(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], root: Path
) -> None:
    answers = iter([CLI_PASSPHRASE, NEW, NEW + " typo"])
    prompts: list[str] = []

    def fake_getpass(prompt: str = "") -> str:
        prompts.append(prompt)
        return next(answers)

    monkeypatch.setattr("sys.stdin", _Terminal())
    monkeypatch.setattr("getpass.getpass", fake_getpass)
    before = db_hash(root)
    code = cli.main(["--data-dir", str(root), "change-passphrase"], out=io.StringIO())
    assert code == 2
    assert "do not match" in capsys.readouterr().err
    assert prompts == ["Current passphrase: ", "New passphrase: ", "Repeat the passphrase: "]
    assert db_hash(root) == before


def test_change_passphrase_on_the_terminal(
    monkeypatch: pytest.MonkeyPatch, root: Path
) -> None:
    answers = iter([CLI_PASSPHRASE, NEW, NEW])
    monkeypatch.setattr("sys.stdin", _Terminal())
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))
    assert cli.main(["--data-dir", str(root), "change-passphrase"], out=io.StringIO()) == 0
    service(root).unlock(NEW).lock()


def test_no_vault_exits_2(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                          capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(f"{CLI_PASSPHRASE}\n{NEW}\n"))
    code = cli.main(["--data-dir", str(tmp_path / "none"), "change-passphrase",
                     "--passphrase-stdin"], out=io.StringIO())
    assert code == 2
    assert "no vault" in capsys.readouterr().err


# -- new-recovery-key -----------------------------------------------------------------------------
def test_new_recovery_key_prints_a_key_that_works(
    run: RunCli, root: Path, template: tuple[Path, str]
) -> None:
    old_key = template[1]
    result = run("new-recovery-key", "--passphrase-stdin", stdin=CLI_PASSPHRASE + "\n")
    assert result.code == 0, result.err
    assert result.err == ""
    assert "Recovery key (shown once; write it on paper and keep it safe):" in result.out
    assert "old recovery key no longer opens" in result.out
    keys = KEY_LINE.findall(result.out)
    assert len(keys) == 1 and keys[0] != old_key
    with pytest.raises(WrongSecretError):
        service(root).unlock_with_recovery(old_key, NEW)
    service(root).unlock_with_recovery(keys[0], NEW).lock()
    service(root).unlock(NEW).lock()


def test_new_recovery_key_wrong_passphrase_exits_3(
    run: RunCli, root: Path, template: tuple[Path, str]
) -> None:
    before = db_hash(root)
    result = run("new-recovery-key", "--passphrase-stdin", stdin="wrong wrong wrong wrong\n")
    assert result.code == 3
    result.one_line_error()
    assert KEY_LINE.search(result.out) is None
    assert db_hash(root) == before
    service(root).unlock_with_recovery(template[1], NEW).lock()  # the old key still works


def test_help_lists_both_commands() -> None:
    text = cli.build_parser().format_help()
    assert "change-passphrase" in text and "new-recovery-key" in text
