"""``peersupport checkin|officer|search|demo`` as a user runs them: round trips, exit codes,
one-line errors, bad input that writes nothing, and damaged records that are never shown as
if they were fine."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from peersupport import cli, cli_records
from peersupport.domain.officer import Officer
from peersupport.paths import DataDir, ensure
from peersupport.services.vault import VaultService, new_recovery_key
from tests._support import CLI_PASSPHRASE, FLOOR, Run, raw_execute, raw_one, sha256_file
from tests.test_checkin_json import MINIMAL, VALID, valid_inputs

REPO = Path(__file__).resolve().parent.parent
UUID_LINE = r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}\n$"


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("cli-template") / "vault"
    key, _ = new_recovery_key()
    VaultService(ensure(root), FLOOR).create(CLI_PASSPHRASE, key).lock()
    return root


@pytest.fixture
def root(template: Path, tmp_path: Path) -> Path:
    target = tmp_path / "vault"
    shutil.copytree(template, target)
    return target


@pytest.fixture
def run(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], root: Path) -> Any:
    def go(*args: str, stdin: str | bytes = CLI_PASSPHRASE + "\n", passphrase: bool = True) -> Run:
        stream: io.TextIOBase
        if isinstance(stdin, bytes):
            stream = io.TextIOWrapper(io.BytesIO(stdin), encoding="utf-8")
        else:
            stream = io.StringIO(stdin)
        monkeypatch.setattr("sys.stdin", stream)
        out = io.StringIO()
        argv = ["--data-dir", str(root), *args]
        if passphrase:
            argv.append("--passphrase-stdin")
        try:
            code = cli.main(argv, out=out)
        except SystemExit as exit_:  # argparse's usage errors leave through SystemExit
            code = int(exit_.code or 0)
        return Run(code, out.getvalue(), capsys.readouterr().err)

    return go


def write_json(path: Path, data: object) -> Path:
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def db_hash(root: Path) -> str:
    return sha256_file(DataDir(root).database)


def open_vault(root: Path) -> Any:
    return VaultService(DataDir(root), FLOOR).unlock(CLI_PASSPHRASE)


# -- the round trip ------------------------------------------------------------------------------
def test_add_list_show_search_officer_delete_round_trip(run: Any, tmp_path: Path) -> None:
    import re

    data = {**VALID, "notes": "Talked after the crash.\nSleeping badly.\x1b[31m red"}
    added = run("checkin", "add", "--file", str(write_json(tmp_path / "c.json", data)))
    assert added.code == 0, added.err
    assert added.err == ""
    assert re.match(UUID_LINE, added.out)
    new_id = added.out.strip()

    listed = run("checkin", "list")
    assert listed.code == 0 and listed.err == ""
    assert listed.out.startswith(f"{new_id}  2025-03-14 21:30  Heron ")
    assert "fatal_collision  in_person  follow-up" in listed.out
    assert "Dana Example" not in listed.out  # a list shows the alias only

    as_json = json.loads(run("checkin", "list", "--json").out)
    assert as_json == [{
        "id": new_id, "occurred_at": "2025-03-14T21:30:00-05:00", "period": "2025-03",
        "officer_alias": "Heron", "group_officers": 0, "incident_category": "fatal_collision",
        "contact_type": "in_person", "risk_level": "low", "follow_up": True,
    }]

    shown = json.loads(run("checkin", "show", new_id, "--json").out)
    for key, value in data.items():
        if key == "officer":
            assert {k: shown["officer"][k] for k in value} == value
        else:
            assert shown[key] == value, key
    text = run("checkin", "show", new_id)
    assert text.code == 0
    assert "officer:            Heron (Dana Example; 555-0100)" in text.out
    assert "  Sleeping badly.\\x1b[31m red" in text.out  # control characters shown escaped
    assert "\x1b" not in text.out

    hits = run("search", "SLEEPING")
    assert hits.code == 0 and hits.out.startswith(f"{new_id}  notes ")
    found = json.loads(run("search", "dana example", "--json").out)
    assert found == [{"checkin_id": new_id, "field": "officer", "snippet": "Heron"}]
    assert json.loads(run("search", "nowhere to be found", "--json").out) == []

    # the same alias, any case, is the same officer
    second = run("checkin", "add", "--file",
                 str(write_json(tmp_path / "d.json", {**MINIMAL, "officer": {"alias": "hERON"}})))
    assert second.code == 0, second.err
    officers = json.loads(run("officer", "list", "--json").out)
    assert [(o["alias"], o["checkins"]) for o in officers] == [("Heron", 2)]
    assert re.fullmatch(r"[0-9a-f-]{36}  Heron +2 check-ins\n", run("officer", "list").out)

    deleted = run("checkin", "delete", new_id)
    assert (deleted.code, deleted.out) == (0, f"deleted {new_id}\n")
    gone = run("checkin", "show", new_id)
    assert gone.code == 2 and gone.out == ""
    assert gone.one_line_error() == f"peersupport: no check-in with id {new_id}"
    assert run("checkin", "delete", new_id).code == 2
    assert len(json.loads(run("checkin", "list", "--json").out)) == 1


def test_file_dash_reads_the_check_in_from_stdin_and_asks_the_terminal(
    run: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked: list[str] = []

    def fake_getpass(prompt: str = "") -> str:
        asked.append(prompt)
        return CLI_PASSPHRASE

    monkeypatch.setattr(cli, "_has_terminal", lambda: True)
    monkeypatch.setattr("getpass.getpass", fake_getpass)
    result = run("checkin", "add", "--file", "-", stdin=json.dumps(VALID).encode(),
                 passphrase=False)
    assert result.code == 0, result.err
    assert asked == ["Passphrase: "]
    assert len(json.loads(run("checkin", "list", "--json").out)) == 1


# -- bad input: exit 2, the field named, nothing written -----------------------------------------
BAD = [
    ("unknown-key", {**MINIMAL, "colour": "red"}, "field 'colour': unknown key"),
    ("bad-code", {**MINIMAL, "contact_type": "carrier pigeon"}, "field 'contact_type'"),
    ("bad-date", {**MINIMAL, "occurred_at": "2025-03-14 21:30"}, "field 'occurred_at'"),
    ("bool-is-not-int", {**MINIMAL, "duration_minutes": True}, "field 'duration_minutes'"),
    ("missing", {k: v for k, v in MINIMAL.items() if k != "referrals"}, "field 'referrals'"),
    ("blank-alias", {**MINIMAL, "officer": {"alias": " "}}, "field 'officer.alias'"),
    ("headcount-alone", {**MINIMAL, "headcount": 3}, "field 'headcount'"),
]


@pytest.mark.parametrize(("data", "fragment"), [(d, f) for _, d, f in BAD],
                         ids=[n for n, _, _ in BAD])
def test_bad_json_exits_2_naming_the_field_and_writes_nothing(
    run: Any, root: Path, tmp_path: Path, data: object, fragment: str
) -> None:
    before = db_hash(root)
    result = run("checkin", "add", "--file", str(write_json(tmp_path / "bad.json", data)))
    assert result.code == 2 and result.out == ""
    line = result.one_line_error()
    assert line.startswith("peersupport: invalid check-in: ")
    assert fragment in line
    assert db_hash(root) == before


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        (b'{"occurred_at": ', "not valid JSON (line 1"),
        (b"\xff\xfe{}", "not UTF-8"),
        (b" " * (cli_records.MAX_INPUT_BYTES + 1), "larger than 1 MiB"),
        (b'{"a": NaN}', "NaN"),
        (json.dumps(MINIMAL)[:-1].encode() + b', "referrals": []}', "appears twice"),
    ],
    ids=["truncated", "not-utf8", "too-large", "nan", "repeated-key"],
)
def test_unreadable_input_exits_2_and_writes_nothing(
    run: Any, root: Path, tmp_path: Path, content: bytes, fragment: str
) -> None:
    before = db_hash(root)
    path = tmp_path / "bad.json"
    path.write_bytes(content)
    result = run("checkin", "add", "--file", str(path))
    assert result.code == 2
    assert fragment in result.one_line_error()
    assert db_hash(root) == before


def test_a_missing_file_exits_2(run: Any, tmp_path: Path) -> None:
    result = run("checkin", "add", "--file", str(tmp_path / "nope.json"))
    assert result.code == 2
    assert "cannot read the check-in file: No such file" in result.one_line_error()


def test_a_byte_order_mark_is_accepted(run: Any, tmp_path: Path) -> None:
    path = tmp_path / "bom.json"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps(MINIMAL).encode())
    assert run("checkin", "add", "--file", str(path)).code == 0


def test_file_dash_with_passphrase_stdin_is_a_usage_error(run: Any, root: Path) -> None:
    before = db_hash(root)
    result = run("checkin", "add", "--file", "-", stdin=CLI_PASSPHRASE + "\n" + json.dumps(VALID))
    assert result.code == 2 and result.out == ""
    assert "--file - reads the check-in from standard input" in result.one_line_error()
    assert db_hash(root) == before


def test_an_ambiguous_alias_exits_2_and_writes_nothing(run: Any, root: Path,
                                                      tmp_path: Path) -> None:
    vault = open_vault(root)
    vault.add_officer(Officer(alias="Heron"))
    vault.add_officer(Officer(alias="HERON"))
    vault.lock()
    before = db_hash(root)
    result = run("checkin", "add", "--file", str(write_json(tmp_path / "c.json", VALID)))
    assert result.code == 2
    assert "field 'officer.alias': 2 officers have this alias" in result.one_line_error()
    assert db_hash(root) == before


def test_wrong_passphrase_exits_3_and_no_vault_exits_2(run: Any, root: Path,
                                                       tmp_path: Path) -> None:
    path = write_json(tmp_path / "c.json", VALID)
    wrong = run("checkin", "add", "--file", str(path), stdin="marble kettle orbit saffrom\n")
    assert wrong.code == 3
    assert wrong.one_line_error() == "peersupport: wrong passphrase or recovery key"
    for args in (["checkin", "list"], ["officer", "list"], ["search", "x"]):
        assert run(*args, stdin="nope\n").code == 3
    shutil.rmtree(root)
    assert run("checkin", "list").code == 2
    assert not root.exists()


@pytest.mark.parametrize(
    "args",
    [["checkin"], ["checkin", "show"], ["checkin", "frobnicate"], ["officer"],
     ["demo"], ["demo", "--count", "0"], ["demo", "--count", "lots"], ["search"]],
)
def test_usage_errors_exit_2(run: Any, args: list[str]) -> None:
    result = run(*args, passphrase=False)
    assert result.code == 2
    assert "try --help" in result.one_line_error()


# -- damaged records: exit 4, never shown as if fine -----------------------------------------------
def test_a_tampered_check_in_is_reported_with_exit_4(run: Any, root: Path,
                                                   tmp_path: Path) -> None:
    ids = []
    for i in range(3):
        data = {**VALID, "notes": f"needle {i}"}
        ids.append(run("checkin", "add", "--file",
                       str(write_json(tmp_path / f"{i}.json", data))).out.strip())
    bad = ids[1]
    raw_execute(DataDir(root).database,
                "UPDATE checkin SET incident_category='other' WHERE id=?", (bad,))

    listed = run("checkin", "list")
    assert listed.code == 4
    assert bad not in listed.out and all(i in listed.out for i in (ids[0], ids[2]))
    assert listed.one_line_error() == (
        "peersupport: 1 check-in failed authentication and was not shown (run verify)"
    )
    as_json = run("checkin", "list", "--json")
    assert as_json.code == 4
    assert sorted(r["id"] for r in json.loads(as_json.out)) == sorted([ids[0], ids[2]])

    shown = run("checkin", "show", bad)
    assert shown.code == 4 and shown.out == ""
    assert "failed authentication" in shown.one_line_error()
    assert run("checkin", "show", ids[0]).code == 0

    found = run("search", "needle")
    assert found.code == 4
    assert found.out.count("needle") == 2 and bad not in found.out
    assert "1 check-in failed authentication" in found.one_line_error()

    officers = run("officer", "list")
    assert officers.code == 4 and "Heron" in officers.out


def test_a_tampered_officer_is_reported_with_exit_4(run: Any, root: Path,
                                                   tmp_path: Path) -> None:
    added = run("checkin", "add", "--file", str(write_json(tmp_path / "c.json", VALID)))
    raw_execute(DataDir(root).database, "UPDATE officer SET contact_sealed = full_name_sealed")
    listed = run("checkin", "list")
    assert listed.code == 4
    assert "(unreadable officer record)" in listed.out and "Heron" not in listed.out
    assert "1 officer record failed authentication" in listed.one_line_error()
    shown = run("checkin", "show", added.out.strip())
    assert shown.code == 4 and shown.out == ""
    assert run("officer", "list").code == 4
    # adding with a new alias cannot tell whether the damaged record had it: refused
    before = db_hash(root)
    other = run("checkin", "add", "--file", str(write_json(
        tmp_path / "d.json", {**MINIMAL, "officer": {"alias": "Owl"}})))
    assert other.code == 4
    assert "nothing was written" in other.one_line_error()
    assert db_hash(root) == before


# -- demo ----------------------------------------------------------------------------------------
def test_demo_adds_to_an_existing_vault(run: Any, root: Path) -> None:
    result = run("demo", "--count", "120")
    assert result.code == 0, result.err
    assert result.out == f"Added 120 fictional check-ins with 4 fictional officers to {root}\n"
    listed = json.loads(run("checkin", "list", "--json").out)
    assert len(listed) == 120
    assert all(r["officer_alias"].startswith("Demo Officer ") for r in listed)
    vault = open_vault(root)
    try:
        assert vault.verify().ok
    finally:
        vault.lock()


def test_demo_needs_an_explicit_data_dir(monkeypatch: pytest.MonkeyPatch,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(CLI_PASSPHRASE + "\n"))
    code = cli.main(["demo", "--count", "5", "--passphrase-stdin"], out=io.StringIO())
    err = capsys.readouterr().err
    assert code == 2 and "give --data-dir DIR" in err
    assert not Path(os.environ["PEERSUPPORT_HOME"]).exists()


@pytest.mark.slow
def test_demo_creates_a_new_vault_like_init(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "fresh"
    monkeypatch.setattr("sys.stdin", io.StringIO(CLI_PASSPHRASE + "\n"))
    out = io.StringIO()
    code = cli.main(["--data-dir", str(target), "demo", "--count", "30", "--passphrase-stdin"],
                    out=out)
    assert code == 0, capsys.readouterr().err
    lines = out.getvalue().splitlines()
    assert lines[0] == f"Vault created in {target}"
    assert lines[1].startswith("Recovery key (shown once")
    assert lines[-1] == f"Added 30 fictional check-ins with 1 fictional officer to {target}"
    weak = tmp_path / "weak"
    monkeypatch.setattr("sys.stdin", io.StringIO("jennifer1985\n"))
    assert cli.main(["--data-dir", str(weak), "demo", "--count", "3", "--passphrase-stdin"],
                    out=io.StringIO()) == 2
    assert not DataDir(weak).has_vault()


# -- a real process -------------------------------------------------------------------------------
def _process(args: list[str], stdin: str, home: Path) -> Run:
    env = {k: v for k, v in os.environ.items() if k not in ("PEERSUPPORT_HOME",)}
    env.update(HOME=str(home), PEERSUPPORT_HOME=str(home / "unused"), PYTHONDONTWRITEBYTECODE="1")
    proc = subprocess.run(
        [sys.executable, "-m", "peersupport", *args], input=stdin, capture_output=True,
        text=True, cwd=REPO, env=env, timeout=120, check=False,
        start_new_session=True,  # no controlling terminal: /dev/tty cannot be opened
    )
    return Run(proc.returncode, proc.stdout, proc.stderr)


@pytest.mark.slow
def test_a_real_process_round_trip_and_file_dash_without_a_terminal(
    root: Path, tmp_path: Path
) -> None:
    path = write_json(tmp_path / "c.json", VALID)
    added = _process(["--data-dir", str(root), "checkin", "add", "--file", str(path),
                      "--passphrase-stdin"], CLI_PASSPHRASE + "\n", tmp_path)
    assert added.code == 0, added.err
    shown = _process(["--data-dir", str(root), "checkin", "show", added.out.strip(), "--json",
                      "--passphrase-stdin"], CLI_PASSPHRASE + "\n", tmp_path)
    assert shown.code == 0 and json.loads(shown.out)["notes"] == VALID["notes"]
    before = db_hash(root)
    dash = _process(["--data-dir", str(root), "checkin", "add", "--file", "-"],
                    json.dumps(VALID), tmp_path)
    assert dash.code == 2
    assert "no terminal to ask for the passphrase" in dash.one_line_error()
    assert db_hash(root) == before


# -- hypothesis: any input is either added whole or refused naming a field, never half ------------
mutations = st.sampled_from(["none", "drop", "replace", "add"])


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(valid_inputs(), mutations, st.data())
def test_hypothesis_cli_input_is_added_whole_or_refused_naming_a_field(
    run: Any, root: Path, tmp_path: Path, data: dict[str, Any], mutation: str,
    draw: st.DataObject,
) -> None:
    from tests.test_checkin_json import KEYS, json_values

    if mutation == "drop":
        del data[draw.draw(st.sampled_from(sorted(data)))]
    elif mutation == "replace":
        data[draw.draw(st.sampled_from(KEYS))] = draw.draw(json_values)
    elif mutation == "add":
        data[draw.draw(st.sampled_from(["colour", "id", "period", "Notes"]))] = 1
    db = DataDir(root).database
    before = (db_hash(root), raw_one(db, "SELECT count(*) FROM checkin"))
    path = tmp_path / f"{uuid.uuid4().hex}.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    result = run("checkin", "add", "--file", str(path))
    assert result.code in (0, 2), result.err
    if result.code == 2:
        line = result.one_line_error()
        assert line.startswith("peersupport: invalid check-in: field '")
        assert (db_hash(root), raw_one(db, "SELECT count(*) FROM checkin")) == before
    else:
        assert raw_one(db, "SELECT count(*) FROM checkin") == before[1] + 1  # type: ignore[operator]
        assert result.err == ""
