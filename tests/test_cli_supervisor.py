"""``peersupport supervisor`` as a program supervisor runs it: a profile created under a new
passphrase (and refused where a profile or a supporter's vault already is), imports that say
for every file what happened and exit 0, 2 or 4 as documented, reports as text, JSON, CSV
and PDF that show only suppressed values and lower bounds, and one line with exit 3 or 4 for
a wrong passphrase or a damaged profile."""

from __future__ import annotations

import hashlib
import importlib.util
import io
import json
import os
import re
import shutil
import stat
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from peersupport import cli, cli_supervisor
from peersupport.crypto import kdf
from peersupport.domain.stats import DIMENSIONS, MONTH, QUARTER, SUPPRESSED, AtLeast
from peersupport.paths import ensure
from peersupport.services.vault import VaultService, new_recovery_key
from peersupport.supervisor import profile_file
from peersupport.supervisor.profile import PROFILE_FILENAME, SupervisorProfile, csv_text
from tests._support import CLI_PASSPHRASE, FLOOR, Run
from tests.test_supervisor import Supporter, _supporter, body_of, signed

REPO = Path(__file__).resolve().parent.parent
K = 5
FINGERPRINT = r"[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}"


@dataclass
class Templates:
    a: Supporter
    b: Supporter
    profile: Path  # an empty supervisor profile at the production floor ("Metro PD")
    vault: Path  # a supporter's vault folder


@pytest.fixture(scope="module")
def templates(tmp_path_factory: pytest.TempPathFactory) -> Templates:
    base = tmp_path_factory.mktemp("cli-supervisor")
    SupervisorProfile.create(base / "profile", CLI_PASSPHRASE, "Metro PD", FLOOR).close()
    key, _ = new_recovery_key()
    VaultService(ensure(base / "vault"), FLOOR).create(CLI_PASSPHRASE, key).lock()
    return Templates(_supporter(base / "a", 1), _supporter(base / "b", 2), base / "profile",
                     base / "vault")


@pytest.fixture
def root(templates: Templates, tmp_path: Path) -> Path:
    target = tmp_path / "supervisor"
    shutil.copytree(templates.profile, target)
    return target


@dataclass
class Stats:
    a: Path  # supporter A, by month
    b: Path  # supporter B, by month
    a_recent: Path  # A's last three months, by month
    b_quarterly: Path  # B, by quarter
    tampered: Path  # A's file with one count changed, not signed again
    malformed: Path  # cut in half
    newer: Path  # format version 2
    stranger: Path  # A's tables signed by another key, naming it


@pytest.fixture
def stats(templates: Templates, tmp_path: Path) -> Stats:
    folder = tmp_path / "files"
    folder.mkdir()

    def put(name: str, data: bytes) -> Path:
        (folder / name).write_bytes(data)
        return folder / name

    changed = body_of(templates.a.monthly)
    changed["tables"]["incident_category"]["total"] += 5
    newer = body_of(templates.a.monthly)
    newer["version"] = 2
    return Stats(
        a=put("a.psstats", templates.a.monthly),
        b=put("b.psstats", templates.b.monthly),
        a_recent=put("a-recent.psstats", templates.a.recent),
        b_quarterly=put("b-quarterly.psstats", templates.b.quarterly),
        tampered=put("tampered.psstats", json.dumps(changed).encode()),
        malformed=put("malformed.psstats", templates.a.monthly[:1000]),
        newer=put("newer.psstats", json.dumps(newer).encode()),
        stranger=put("stranger.psstats", signed(body_of(templates.a.monthly),
                                                Ed25519PrivateKey.generate(),
                                                own_public_key=True)),
    )


@pytest.fixture
def run(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], root: Path) -> Any:
    def go(*args: str, stdin: str = CLI_PASSPHRASE + "\n", passphrase: bool = True,
           data_dir: Path | None = None) -> Run:
        stream = io.StringIO(stdin)
        monkeypatch.setattr("sys.stdin", stream)
        out = io.StringIO()
        argv = ["--data-dir", str(data_dir or root), "supervisor", *args]
        if passphrase:
            argv.append("--passphrase-stdin")
        try:
            code = cli.main(argv, out=out)
        except SystemExit as exit_:  # argparse's usage errors leave through SystemExit
            code = int(exit_.code or 0)
        result = Run(code, out.getvalue(), capsys.readouterr().err)
        result.stdin_read = stream.tell()  # type: ignore[attr-defined]
        return result

    return go


def opened(root: Path) -> SupervisorProfile:
    return SupervisorProfile.open(root, CLI_PASSPHRASE, FLOOR)


def profile_bytes(root: Path) -> bytes:
    return (root / PROFILE_FILENAME).read_bytes()


def imported_line(path: Path, data: bytes) -> str:
    body = body_of(data)
    who = body["supporter"]
    return (f"imported {path}: {who['pseudonym']} ({who['fingerprint']}), "
            f"{body['periods'][0]}..{body['periods'][-1]}\n")


def pinned_line(data: bytes) -> str:
    return (f"  new supporter key pinned: {body_of(data)['supporter']['fingerprint']}; "
            "compare it with the one the supporter sees\n")


# -- init -----------------------------------------------------------------------------------------
def test_init_refuses_a_folder_with_a_profile_before_asking(run: Any, root: Path) -> None:
    before = profile_bytes(root)
    result = run("init", stdin=f"{CLI_PASSPHRASE}\n{CLI_PASSPHRASE}\n")
    assert result.code == 1 and result.out == ""
    assert result.one_line_error() == (
        f"peersupport: a supervisor profile already exists in {root.resolve()}")
    assert result.stdin_read == 0  # no passphrase was read
    assert profile_bytes(root) == before


def test_init_refuses_a_folder_with_a_supporters_vault(
    run: Any, templates: Templates, tmp_path: Path
) -> None:
    vault = tmp_path / "vault"
    shutil.copytree(templates.vault, vault)
    before = sorted(p.name for p in vault.iterdir())
    result = run("init", stdin=f"{CLI_PASSPHRASE}\n{CLI_PASSPHRASE}\n", data_dir=vault)
    assert result.code == 1 and result.out == ""
    assert "holds a peer supporter's vault; a supervisor profile needs a folder of its own" \
        in result.one_line_error()
    assert result.stdin_read == 0
    assert sorted(p.name for p in vault.iterdir()) == before
    # and its commands say why there is no profile there
    report = run("report", data_dir=vault)
    assert report.code == 2
    assert "no supervisor profile in" in report.one_line_error()
    assert "peer supporter's vault" in report.err


@pytest.mark.parametrize(("args", "stdin", "message"), [
    ((), "password1\npassword1\n", "passphrase too weak"),
    ((), f"{CLI_PASSPHRASE}\n{CLI_PASSPHRASE} \n", "the same twice; they differ"),
    ((), f"{CLI_PASSPHRASE}\n", "the same twice; they differ"),
    ((), "\n", "no passphrase on standard input"),
    ((), "", "no passphrase on standard input"),
    (("--program", "Metro\x1b[2J PD"), f"{CLI_PASSPHRASE}\n{CLI_PASSPHRASE}\n",
     "invalid program name: it holds control characters"),
    (("--program", "x" * 121), f"{CLI_PASSPHRASE}\n{CLI_PASSPHRASE}\n",
     "invalid program name: at most 120 characters"),
])
def test_init_refuses_bad_input_with_exit_2_writing_nothing(
    run: Any, tmp_path: Path, args: tuple[str, ...], stdin: str, message: str
) -> None:
    target = tmp_path / "new"
    result = run("init", *args, stdin=stdin, data_dir=target)
    assert result.code == 2 and result.out == ""
    assert message in result.one_line_error()
    assert not target.exists()


def test_init_without_a_terminal_or_stdin_passphrase_exits_2(run: Any, tmp_path: Path) -> None:
    result = run("init", passphrase=False, data_dir=tmp_path / "new")
    assert result.code == 2
    assert result.one_line_error() == (
        "peersupport: no terminal to ask for a passphrase; use --passphrase-stdin")


@pytest.mark.parametrize("args", [
    [], ["import"], ["import", "a", "--pin-new", "--only-pinned"],
    ["report", "--json", "--csv", "x.csv"], ["report", "--csv", "a", "--pdf", "b"],
    ["frobnicate"], ["init", "extra"],
])
def test_usage_errors_exit_2(run: Any, args: list[str]) -> None:
    result = run(*args, passphrase=False)
    assert result.code == 2 and result.out == ""
    assert result.one_line_error().endswith("(try --help)")


# -- import ---------------------------------------------------------------------------------------
def test_import_prints_one_line_per_file_and_pins_new_signers(
    run: Any, root: Path, stats: Stats
) -> None:
    result = run("import", str(stats.a), str(stats.b))
    assert (result.code, result.err) == (0, "")
    assert result.out == (imported_line(stats.a, stats.a.read_bytes())
                          + pinned_line(stats.a.read_bytes())
                          + imported_line(stats.b, stats.b.read_bytes())
                          + pinned_line(stats.b.read_bytes()))
    assert re.search(rf"\(({FINGERPRINT})\), \d{{4}}-\d\d\.\.\d{{4}}-\d\d\n", result.out)
    profile = opened(root)
    assert len(profile.imports) == 2 and len(profile.pinned) == 2
    profile.close()

    # a pinned signer's next file: no new key; overlapping periods need --replace
    again = run("import", str(stats.a_recent))
    assert again.code == 2
    assert again.out.startswith(f"refused {stats.a_recent}: statistics of ")
    assert again.out.endswith("were already imported; replace them to import this file "
                              "(with --replace)\n")
    assert again.one_line_error() == "peersupport: 1 of 1 statistics file was refused"
    replaced = run("import", "--replace", str(stats.a_recent), str(stats.b_quarterly))
    assert (replaced.code, replaced.err) == (0, "")
    assert replaced.out == (
        imported_line(stats.a_recent, stats.a_recent.read_bytes())
        + "  it replaces the statistics imported before for the same supporter and periods\n"
        + imported_line(stats.b_quarterly, stats.b_quarterly.read_bytes())
        + "  it replaces the statistics imported before for the same supporter and periods\n")
    profile = opened(root)
    assert sorted(i.granularity for i in profile.imports) == [MONTH, QUARTER]
    assert len(profile.pinned) == 2
    profile.close()


def test_import_exit_4_when_a_signature_fails_the_others_imported(
    run: Any, root: Path, stats: Stats
) -> None:
    result = run("import", str(stats.tampered), str(stats.a), str(stats.malformed))
    assert result.code == 4
    lines = result.out.splitlines()
    assert lines[0] == (f"refused {stats.tampered}: the statistics file's signature does not "
                        "match: it was changed after it was signed")
    assert lines[1] + "\n" == imported_line(stats.a, stats.a.read_bytes())
    assert lines[3].startswith(f"refused {stats.malformed}: ")
    assert result.one_line_error() == (
        "peersupport: 2 of 3 statistics files were refused (1 failed the signature check)")
    profile = opened(root)
    assert [i.sha256 for i in profile.imports] == [
        hashlib.sha256(stats.a.read_bytes()).hexdigest()]
    profile.close()


def test_import_exit_2_for_malformed_newer_missing_large_and_repeated_files(
    run: Any, root: Path, stats: Stats, tmp_path: Path
) -> None:
    large = tmp_path / "large.psstats"
    with open(large, "wb") as handle:
        handle.truncate(2 * 1024 * 1024 + 1)
    missing = tmp_path / "missing.psstats"
    odd = tmp_path / "odd\x1b[31m.psstats"
    odd.write_bytes(b"{}")
    before = profile_bytes(root)
    result = run("import", str(stats.malformed), str(stats.newer), str(missing), str(large),
                 str(odd))
    assert result.code == 2
    assert result.out.splitlines() == [
        f"refused {stats.malformed}: this is not a peersupport statistics file",
        f"refused {stats.newer}: statistics format version 2 is not supported (this build "
        "reads version 1); a newer peersupport may read it",
        f"refused {missing}: the file cannot be read (No such file or directory)",
        f"refused {large}: the file is too large to be a statistics file (at most 2 MiB)",
        f"refused {tmp_path}/odd\\x1b[31m.psstats: this is not a peersupport statistics file",
    ]
    assert result.one_line_error() == "peersupport: 5 of 5 statistics files were refused"
    assert profile_bytes(root) == before  # nothing written

    imported = run("import", str(stats.a), str(stats.a))
    assert imported.code == 2
    assert imported.out.splitlines()[2].startswith(f"refused {stats.a}: statistics of ")
    assert imported.one_line_error() == "peersupport: 1 of 2 statistics files was refused"


def test_only_pinned_and_pin_new_decide_about_new_signers(
    run: Any, root: Path, stats: Stats
) -> None:
    assert run("import", str(stats.a)).code == 0
    refused = run("import", "--only-pinned", str(stats.stranger))
    assert refused.code == 2
    fingerprint = body_of(stats.stranger.read_bytes())["supporter"]["fingerprint"]
    assert refused.out == (
        f"refused {stats.stranger}: the file is signed by an unknown key ({fingerprint}); "
        "only pinned supporters' files are accepted\n")

    profile = opened(root)
    profile.set_policy(accept_only_pinned=True)
    profile.close()
    assert run("import", str(stats.stranger)).code == 2  # the profile's own policy
    pinned = run("import", "--pin-new", str(stats.stranger))
    assert (pinned.code, pinned.err) == (0, "")
    assert pinned.out == (imported_line(stats.stranger, stats.stranger.read_bytes())
                          + pinned_line(stats.stranger.read_bytes()))
    profile = opened(root)
    assert fingerprint in profile.pinned and profile.accept_only_pinned
    assert profile.dashboard().supporters == 2
    profile.close()


# -- report ---------------------------------------------------------------------------------------
def _shown_json(value: object) -> object:
    if isinstance(value, AtLeast):
        return {"at_least": value.n}
    return value


def _values(report: dict[str, Any]) -> list[object]:
    found: list[object] = []
    for table in report["tables"].values():
        for code in table["codes"]:
            found += [*table["cells"][code].values(), table["row_totals"][code]]
        found += [*table["column_totals"].values(), table["total"]]
    return found


@pytest.fixture
def filled(run: Any, stats: Stats) -> None:
    assert run("import", str(stats.a), str(stats.b)).code == 0


def test_report_json_shows_the_dashboard_values(run: Any, root: Path, filled: None) -> None:
    result = run("report", "--json")
    assert (result.code, result.err) == (0, "")
    report = json.loads(result.out)
    profile = opened(root)
    board = profile.dashboard(MONTH)
    profile.close()
    assert report["program"] == "Metro PD"
    assert (report["granularity"], report["k"], report["supporters"], report["files"]) == (
        MONTH, K, 2, 2)
    assert report["periods"] == board.periods
    assert list(report["tables"]) == list(DIMENSIONS)
    for dimension, table in board.tables.items():
        shown = report["tables"][dimension]
        assert shown["title"] == DIMENSIONS[dimension]
        assert shown["codes"] == table.codes
        assert shown["total"] == _shown_json(table.total)
        for code in table.codes:
            assert shown["cells"][code] == {p: _shown_json(v)
                                            for p, v in table.cells[code].items()}
            assert shown["row_totals"][code] == _shown_json(table.row_totals[code])
        assert shown["column_totals"] == {p: _shown_json(v)
                                          for p, v in table.column_totals.items()}
    values = _values(report)
    assert report["tables"]["incident_category"]["total"] == 600
    assert SUPPRESSED in values and any(isinstance(v, dict) for v in values)
    for v in values:
        if isinstance(v, dict):
            assert list(v) == ["at_least"] and v["at_least"] >= K
        elif isinstance(v, int):
            assert not 0 < v < K
        else:
            assert v == SUPPRESSED

    quarters = json.loads(run("report", "--quarters", "--json").out)
    assert quarters["granularity"] == QUARTER and quarters["files"] == 2
    assert all(re.fullmatch(r"\d{4}-Q[1-4]", p) for p in quarters["periods"])


def test_report_text_has_a_table_per_dimension(run: Any, filled: None, stats: Stats) -> None:
    result = run("report")
    assert (result.code, result.err) == (0, "")
    text = result.out
    first = body_of(stats.a.read_bytes())["periods"][0]
    last = body_of(stats.a.read_bytes())["periods"][-1]
    assert text.startswith(f"Program: Metro PD\nBy month, {first} to {last}: 2 supporters, "
                           "2 files\nCounts from 1 to 4 are never shown")
    for title in DIMENSIONS.values():
        assert f"\n\n{title}\n" in text
    assert "suppressed" in text and re.search(r"at least \d", text)
    cells = [c for line in text.splitlines() if line.startswith("  ")
             for c in re.split(r"\s{2,}", line.strip())]
    numbers = [int(c.replace(",", "")) for c in cells if re.fullmatch(r"[\d,]+", c)]
    assert numbers and not [n for n in numbers if 0 < n < K]
    assert re.search(r"\n  Total .* 600\n", text)  # the grand total of the first table


def test_report_csv_is_written_to_a_private_file(
    run: Any, root: Path, filled: None, tmp_path: Path
) -> None:
    target = tmp_path / "report.csv"
    result = run("report", "--quarters", "--csv", str(target))
    assert (result.code, result.err) == (0, "")
    assert result.out == f"Report written to {target}\n"
    profile = opened(root)
    expected = csv_text(profile.dashboard(QUARTER), "Metro PD")
    profile.close()
    assert target.read_text(encoding="utf-8") == expected
    assert expected.startswith("program,dimension,code,label,period,value\n")
    assert "at least " in expected
    if os.name == "posix":
        assert stat.S_IMODE(target.stat().st_mode) == 0o600


@pytest.mark.parametrize("kind", ["csv", "pdf"])
def test_report_to_a_folder_or_nowhere_exits_2_before_asking(
    run: Any, tmp_path: Path, kind: str
) -> None:
    folder = run("report", f"--{kind}", str(tmp_path))
    assert folder.code == 2 and "is a folder" in folder.one_line_error()
    nowhere = run("report", f"--{kind}", str(tmp_path / "no" / f"r.{kind}"))
    assert nowhere.code == 2 and "no folder" in nowhere.one_line_error()
    assert folder.stdin_read == nowhere.stdin_read == 0


def test_report_pdf(run: Any, filled: None, tmp_path: Path) -> None:
    try:
        from peersupport.ui.supervisor import report_pdf  # noqa: F401
    except ModuleNotFoundError as exc:
        if exc.name != "peersupport.ui.supervisor.report_pdf":
            raise
        missing = run("report", "--pdf", str(tmp_path / "r.pdf"))
        assert missing.code == 1
        assert "PDF reports are not available" in missing.one_line_error()
        pytest.skip("the PDF writer is not in this tree yet")
    target = tmp_path / "report.pdf"
    result = run("report", "--pdf", str(target))
    assert (result.code, result.err) == (0, "")
    assert result.out == f"Report written to {target}\n"
    assert target.read_bytes().startswith(b"%PDF")


def test_report_of_an_empty_profile(run: Any) -> None:
    result = run("report")
    assert (result.code, result.err) == (0, "")
    assert result.out == ("Program: Metro PD\nBy month: 0 supporters, 0 files\n"
                          "No statistics imported yet.\n")
    report = json.loads(run("report", "--json").out)
    assert (report["files"], report["periods"]) == (0, [])


# -- wrong passphrase, damaged and missing profiles -------------------------------------------
@pytest.mark.parametrize("command", [["report"], ["import", "x.psstats"]])
def test_a_wrong_passphrase_exits_3(run: Any, root: Path, command: list[str]) -> None:
    before = profile_bytes(root)
    result = run(*command, stdin="wrong horse battery staple\n")
    assert result.code == 3 and result.out == ""
    assert result.one_line_error() == (
        "peersupport: wrong passphrase (or the supervisor profile was changed)")
    assert profile_bytes(root) == before


def _damaged(data: bytes) -> dict[str, bytes]:
    params, nonce, end = profile_file.read_params(data)
    weak = kdf.KdfParams(params.algorithm, params.memory_kib // 2, params.iterations,
                         params.lanes, params.salt)
    return {
        "a cut header": data[:end - 3],
        "another magic": b"XXXXX" + data[5:],
        "weakened parameters": profile_file._preamble(weak, nonce) + data[end:],
        "nothing": b"",
    }


def test_a_damaged_profile_exits_4(run: Any, root: Path) -> None:
    path = root / PROFILE_FILENAME
    good = path.read_bytes()
    for what, data in _damaged(good).items():
        path.write_bytes(data)
        for command in (["report"], ["import", "x.psstats"]):
            result = run(*command)
            assert result.code == 4, (what, result)
            assert result.one_line_error().startswith("peersupport: integrity failure: "), what
            assert path.read_bytes() == data
    path.write_bytes(good)
    assert run("report").code == 0
    # an edited ciphertext cannot be told from a wrong passphrase (AES-GCM fails either way)
    path.write_bytes(good[:-1] + bytes([good[-1] ^ 1]))
    assert run("report").code == 3


def test_no_profile_exits_2(run: Any, tmp_path: Path) -> None:
    for command in (["report"], ["import", "x.psstats"]):
        result = run(*command, data_dir=tmp_path / "nothing")
        assert result.code == 2 and result.out == ""
        assert result.one_line_error() == (
            f"peersupport: no supervisor profile in {tmp_path / 'nothing'}; create one with "
            "'peersupport --data-dir DIR supervisor init'")
        assert result.stdin_read == 0
    assert not (tmp_path / "nothing").exists()


def test_cli_supervisor_uses_the_production_profile() -> None:
    assert cli_supervisor.KDF_PROFILE is kdf.PRODUCTION


# -- a real process -------------------------------------------------------------------------------
def _process(args: list[str], stdin: str, home: Path) -> Run:
    env = {k: v for k, v in os.environ.items()
           if k not in ("PEERSUPPORT_HOME", "DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    env.update(HOME=str(home), PEERSUPPORT_HOME=str(home / "unused"), PYTHONDONTWRITEBYTECODE="1")
    proc = subprocess.run(
        [sys.executable, "-m", "peersupport", *args], input=stdin, capture_output=True,
        text=True, cwd=REPO, env=env, timeout=120, check=False,
        start_new_session=True,  # no controlling terminal: nothing can be asked there
    )
    return Run(proc.returncode, proc.stdout, proc.stderr)


@pytest.mark.slow
def test_a_real_process_creates_imports_and_reports(tmp_path: Path, stats: Stats) -> None:
    root = tmp_path / "new" / "supervisor"
    two = f"{CLI_PASSPHRASE}\n{CLI_PASSPHRASE}\n"
    made = _process(["--data-dir", str(root), "supervisor", "init", "--program",
                     "  Metro   PD ", "--passphrase-stdin"], two, tmp_path)
    assert (made.code, made.err) == (0, "")
    assert made.out == (
        f"Supervisor profile created in {root}\nProgram: Metro PD\n"
        "There is no recovery key: if the passphrase is lost, the profile cannot be opened "
        "(the supporters' files can be imported again into a new one).\n")
    path = root / PROFILE_FILENAME
    params, _, _ = profile_file.read_params(path.read_bytes())
    assert params.memory_kib >= kdf.PRODUCTION.floor_memory_kib
    assert params.iterations >= kdf.PRODUCTION.floor_iterations
    assert params.lanes >= kdf.PRODUCTION.floor_lanes
    if os.name == "posix":
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert stat.S_IMODE(root.stat().st_mode) == 0o700
    assert sorted(p.name for p in root.iterdir()) == [PROFILE_FILENAME]

    again = _process(["--data-dir", str(root), "supervisor", "init", "--passphrase-stdin"],
                     two, tmp_path)
    assert again.code == 1 and "already exists" in again.one_line_error()

    imported = _process(["--data-dir", str(root), "supervisor", "import", str(stats.a),
                         str(stats.tampered), "--passphrase-stdin"], CLI_PASSPHRASE + "\n",
                        tmp_path)
    assert imported.code == 4
    assert imported.out.startswith(imported_line(stats.a, stats.a.read_bytes()))
    assert f"refused {stats.tampered}: the statistics file's signature" in imported.out
    assert imported.one_line_error() == (
        "peersupport: 1 of 2 statistics files was refused (1 failed the signature check)")

    shown = _process(["--data-dir", str(root), "supervisor", "report", "--json",
                      "--passphrase-stdin"], CLI_PASSPHRASE + "\n", tmp_path)
    assert (shown.code, shown.err) == (0, "")
    report = json.loads(shown.out)
    assert (report["program"], report["files"], report["supporters"]) == ("Metro PD", 1, 1)
    assert report["tables"]["incident_category"]["total"] == 300

    wrong = _process(["--data-dir", str(root), "supervisor", "report", "--passphrase-stdin"],
                     "not the passphrase\n", tmp_path)
    assert wrong.code == 3

    if importlib.util.find_spec("peersupport.ui.supervisor.report_pdf") is not None:
        pdf = tmp_path / "report.pdf"  # with no display: the writer goes offscreen itself
        written = _process(["--data-dir", str(root), "supervisor", "report", "--pdf", str(pdf),
                            "--passphrase-stdin"], CLI_PASSPHRASE + "\n", tmp_path)
        assert (written.code, written.err) == (0, "")
        assert pdf.read_bytes().startswith(b"%PDF")
