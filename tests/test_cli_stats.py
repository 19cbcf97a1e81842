"""``peersupport stats`` as a supporter runs it: the signed statistics file written (private,
readable by the reader, with the periods, threshold and signer it prints), the supporter's own
counts shown, bad months, ranges and thresholds refused before anything is written, a wrong
passphrase, and ``checkin delete --keep-count``."""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import stat
import subprocess
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from peersupport import cli
from peersupport import settings as settings_mod
from peersupport.crypto import stats_file
from peersupport.domain.checkin import CheckIn
from peersupport.domain.officer import Officer
from peersupport.domain.stats import DIMENSIONS, MONTH, QUARTER, SUPPRESSED
from peersupport.paths import DataDir, ensure
from peersupport.services.vault import VaultService, new_recovery_key
from tests._support import CLI_PASSPHRASE, FLOOR, Run, raw_one

REPO = Path(__file__).resolve().parent.parent


@dataclass
class Template:
    vault: Path
    checkin_ids: list[str]


def _checkin(officer: Officer, when: datetime, **changes: Any) -> CheckIn:
    values: dict[str, Any] = {
        "occurred_at": when, "officer_id": officer.id, "incident_category": "cumulative_stress",
        "contact_type": "in_person", "initiated_by": "self", "recipient_class": "sworn",
        "duration_minutes": 40,
    }
    values.update(changes)
    return CheckIn(**values)


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Template:
    """A vault with 1 shooting contact in January 2026, 10 stress contacts a month from
    January to April, and 6 phone contacts in May."""
    root = tmp_path_factory.mktemp("cli-stats") / "vault"
    key, _ = new_recovery_key()
    vault = VaultService(ensure(root), FLOOR).create(CLI_PASSPHRASE, key)
    try:
        heron = Officer(alias="Heron")
        saved = [_checkin(heron, datetime(2026, 1, 20, 12, tzinfo=UTC),
                          incident_category="officer_involved_shooting")]
        for month in (1, 2, 3, 4):
            saved += [_checkin(heron, datetime(2026, month, day, 12, tzinfo=UTC))
                      for day in range(1, 11)]
        saved += [_checkin(heron, datetime(2026, 5, day, 12, tzinfo=UTC), contact_type="phone")
                  for day in range(1, 7)]
        checkins = vault.checkins()
        checkins.save(saved[0], [heron])
        for c in saved[1:]:
            checkins.save(c)
    finally:
        vault.lock()
    return Template(root, [c.id for c in saved])


@pytest.fixture
def root(template: Template, tmp_path: Path) -> Path:
    target = tmp_path / "vault"
    shutil.copytree(template.vault, target)
    return target


@pytest.fixture
def run(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], root: Path) -> Any:
    def go(*args: str, stdin: str = CLI_PASSPHRASE + "\n", passphrase: bool = True) -> Run:
        monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
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


def printed(result: Run, label: str) -> str:
    found = re.search(rf"^{label}: (.+)$", result.out, re.M)
    assert found, result.out
    return found.group(1)


def record_count(root: Path) -> int:
    value = raw_one(DataDir(root).database, "SELECT count(*) FROM stat_record")
    assert isinstance(value, int)
    return value


# -- stats export ----------------------------------------------------------------------------------
def test_export_writes_a_private_signed_file_the_reader_accepts(run: Any, tmp_path: Path) -> None:
    out = tmp_path / "march.psstats"
    month_before = datetime.now(UTC).strftime("%Y-%m")
    result = run("stats", "export", str(out), "--from", "2026-01", "--to", "2026-03")
    months_made = {month_before, datetime.now(UTC).strftime("%Y-%m")}
    assert result.code == 0, result.err
    assert result.err == ""
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporary left
    read = stats_file.read(out.read_bytes())
    assert (read.granularity, read.periods, read.k) == (
        MONTH, ["2026-01", "2026-02", "2026-03"], 5)
    assert read.made in months_made  # the month only, never the day
    assert set(read.tables) == set(DIMENSIONS)
    category = read.tables["incident_category"]
    assert category.cells["officer_involved_shooting"] == {
        "2026-01": SUPPRESSED, "2026-02": 0, "2026-03": 0}
    # what is published is the true count (ten stress contacts a month; January's ten are
    # suppressed as the shooting contact's complement)
    assert category.cells["cumulative_stress"]["2026-01"] == SUPPRESSED
    assert all(v in (10, SUPPRESSED) for v in category.cells["cumulative_stress"].values())
    assert all(v in (0, SUPPRESSED) for c in category.codes if c not in (
        "officer_involved_shooting", "cumulative_stress") for v in category.cells[c].values())
    # what it prints is what the file holds
    assert printed(result, "Signed as") == read.pseudonym
    assert printed(result, "Key fingerprint") == read.fingerprint
    assert printed(result, "Periods") == "2026-01 to 2026-03 (3 months)"
    cells = [v for t in read.tables.values() for c in t.codes for v in t.cells[c].values()]
    hidden = sum(v == SUPPRESSED for v in cells)
    assert hidden >= 2
    assert f"; {hidden} of {len(cells)} cells and " in printed(result, "Suppression")
    assert str(out) in result.out
    # the same key signs every export of this vault
    again = run("stats", "export", str(tmp_path / "again.psstats"), "--from", "2026-04",
                "--to", "2026-05")
    assert again.code == 0, again.err
    assert printed(again, "Key fingerprint") == read.fingerprint


def test_export_by_quarter_widens_to_whole_quarters(run: Any, tmp_path: Path) -> None:
    out = tmp_path / "q.psstats"
    result = run("stats", "export", str(out), "--from", "2026-02", "--to", "2026-04",
                 "--quarters")
    assert result.code == 0, result.err
    read = stats_file.read(out.read_bytes())
    assert (read.granularity, read.periods) == (QUARTER, ["2026-Q1", "2026-Q2"])
    assert read.tables["contact_type"].cells["in_person"] == {"2026-Q1": 31, "2026-Q2": 10}
    assert printed(result, "Periods") == "2026-Q1 to 2026-Q2 (2 quarters: 2026-01 to 2026-06)"
    # January counts although --from said February: a quarter is never counted in part
    shown = json.loads(run("stats", "show", "--from", "2026-02", "--to", "2026-04",
                           "--quarters", "--json").out)
    assert (shown["first_month"], shown["last_month"]) == ("2026-01", "2026-06")
    assert shown["tables"]["incident_category"]["cells"]["cumulative_stress"] == [30, 16]


def test_k_comes_from_the_settings_unless_given(run: Any, root: Path, tmp_path: Path) -> None:
    settings_mod.save(DataDir(root).settings, settings_mod.Settings(stats_k=7))
    result = run("stats", "export", str(tmp_path / "a.psstats"), "--from", "2026-01", "--to",
                 "2026-03")
    assert result.code == 0, result.err
    assert stats_file.read((tmp_path / "a.psstats").read_bytes()).k == 7
    assert "k = 7: counts from 1 to 6 are never shared" in result.out
    result = run("stats", "export", str(tmp_path / "b.psstats"), "--from", "2026-01", "--to",
                 "2026-03", "--k", "11")
    assert result.code == 0, result.err
    read = stats_file.read((tmp_path / "b.psstats").read_bytes())
    assert read.k == 11
    # ten a month is below 11: suppressed too now
    assert read.tables["incident_category"].cells["cumulative_stress"]["2026-02"] == SUPPRESSED


BAD = {
    "a month 13": ["--from", "2026-13", "--to", "2026-12"],
    "a day": ["--from", "2026-01-05", "--to", "2026-03"],
    "a short year": ["--from", "26-01", "--to", "2026-03"],
    "one digit month": ["--from", "2026-1", "--to", "2026-03"],
    "month zero": ["--from", "2026-00", "--to", "2026-03"],
    "a reversed range": ["--from", "2026-04", "--to", "2026-03"],
    "a range too long": ["--from", "2000-01", "--to", "2026-03"],
    "k below 3": ["--from", "2026-01", "--to", "2026-03", "--k", "2"],
    "k above 11": ["--from", "2026-01", "--to", "2026-03", "--k", "12"],
    "k not a number": ["--from", "2026-01", "--to", "2026-03", "--k", "five"],
    "no --to": ["--from", "2026-01"],
}


@pytest.mark.parametrize("what", list(BAD))
def test_bad_months_ranges_and_thresholds_exit_2_and_write_nothing(
    run: Any, tmp_path: Path, what: str
) -> None:
    out = tmp_path / "x.psstats"
    result = run("stats", "export", str(out), *BAD[what])
    assert result.code == 2, (result.out, result.err)
    result.one_line_error()
    assert not out.exists()
    assert list(tmp_path.iterdir()) == [tmp_path / "vault"]


def test_a_range_overlapping_one_shared_before_exits_2(run: Any, tmp_path: Path) -> None:
    first = run("stats", "export", str(tmp_path / "a.psstats"), "--from", "2026-01", "--to",
                "2026-03")
    assert first.code == 0, first.err
    overlapping = tmp_path / "b.psstats"
    result = run("stats", "export", str(overlapping), "--from", "2026-02", "--to", "2026-04")
    assert result.code == 2
    assert "overlap" in result.one_line_error()
    assert not overlapping.exists()
    again = run("stats", "export", str(tmp_path / "c.psstats"), "--from", "2026-01", "--to",
                "2026-03")
    assert again.code == 0, again.err


def test_a_bad_range_for_show_exits_2(run: Any) -> None:
    result = run("stats", "show", "--from", "2026-05", "--to", "2026-01")
    assert result.code == 2
    assert "comes after" in result.one_line_error()


def test_a_folder_or_a_missing_folder_exits_2(run: Any, tmp_path: Path) -> None:
    for target in (tmp_path, tmp_path / "nowhere" / "x.psstats"):
        result = run("stats", "export", str(target), "--from", "2026-01", "--to", "2026-03")
        assert result.code == 2, result.err
        result.one_line_error()
    assert not (tmp_path / "nowhere").exists()


def test_a_wrong_passphrase_exits_3_and_writes_nothing(run: Any, tmp_path: Path) -> None:
    out = tmp_path / "x.psstats"
    result = run("stats", "export", str(out), "--from", "2026-01", "--to", "2026-03",
                 stdin="not the passphrase at all\n")
    assert result.code == 3
    assert "wrong passphrase" in result.one_line_error()
    assert not out.exists()
    result = run("stats", "show", "--from", "2026-01", "--to", "2026-03",
                 stdin="not the passphrase at all\n")
    assert (result.code, result.out) == (3, "")


# -- stats show ------------------------------------------------------------------------------------
def test_show_json_prints_the_own_counts_unsuppressed(run: Any) -> None:
    result = run("stats", "show", "--from", "2026-01", "--to", "2026-05", "--json")
    assert result.code == 0, result.err
    data = json.loads(result.out)
    assert data["suppressed"] is False
    assert (data["granularity"], data["first_month"], data["last_month"]) == (
        "month", "2026-01", "2026-05")
    assert data["periods"] == ["2026-01", "2026-02", "2026-03", "2026-04", "2026-05"]
    assert list(data["tables"]) == list(DIMENSIONS)
    category = data["tables"]["incident_category"]
    assert category["cells"]["officer_involved_shooting"] == [1, 0, 0, 0, 0]  # not hidden
    assert category["cells"]["cumulative_stress"] == [10, 10, 10, 10, 6]
    assert category["row_totals"]["cumulative_stress"] == 46
    assert category["column_totals"] == [11, 10, 10, 10, 6]
    assert category["total"] == 47
    contact = data["tables"]["contact_type"]
    assert contact["cells"]["phone"] == [0, 0, 0, 0, 6]
    assert data["tables"]["duration_bucket"]["row_totals"]["30_60"] == 47
    assert data["hours"] == {"at_least": 23.5, "at_most": 47.0}
    assert all(type(v) is int for table in data["tables"].values()
               for row in table["cells"].values() for v in row)


def test_show_as_text(run: Any) -> None:
    result = run("stats", "show", "--from", "2026-01", "--to", "2026-03", "--quarters")
    assert result.code == 0, result.err
    assert result.out.startswith("Your own counts, NOT suppressed")
    assert "2026-Q1 (1 quarter: 2026-01 to 2026-03)" in result.out
    line = next(x for x in result.out.splitlines() if "officer_involved_shooting" in x)
    assert line.split() == ["officer_involved_shooting", "1", "1"]
    assert "Incident category" in result.out and "Follow-ups done" in result.out
    assert "Hours of support: 15.5 to 31.0" in result.out


# -- checkin delete [--keep-count] -----------------------------------------------------------------
def test_delete_removes_the_count_unless_keep_count(run: Any, root: Path,
                                                    template: Template) -> None:
    first, second = template.checkin_ids[1], template.checkin_ids[2]
    before = record_count(root)
    result = run("checkin", "delete", first)
    assert (result.code, result.out) == (0, f"deleted {first}\n")
    assert record_count(root) == before - 1
    result = run("checkin", "delete", second, "--keep-count")
    assert result.code == 0, result.err
    assert result.out == f"deleted {second} (its count stays in your statistics)\n"
    assert record_count(root) == before - 1
    shown = json.loads(run("stats", "show", "--from", "2026-01", "--to", "2026-01",
                           "--json").out)
    # January had 10 stress contacts: the mistake is gone, the retained one still counts
    assert shown["tables"]["incident_category"]["cells"]["cumulative_stress"] == [9]
    assert raw_one(DataDir(root).database, "SELECT count(*) FROM checkin") == \
        len(template.checkin_ids) - 2


def test_delete_help_explains_keep_count(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        cli.main(["checkin", "delete", "--help"])
    assert exit_.value.code == 0
    text = " ".join(capsys.readouterr().out.split())
    assert "--keep-count" in text
    assert "entered by mistake" in text and "retention rules" in text


# -- a real process --------------------------------------------------------------------------------
@pytest.mark.slow
def test_a_real_process_exports(root: Path, tmp_path: Path) -> None:
    out = tmp_path / "real.psstats"
    env = {k: v for k, v in os.environ.items() if k != "PEERSUPPORT_HOME"}
    env.update(HOME=str(tmp_path), PEERSUPPORT_HOME=str(tmp_path / "unused"),
               PYTHONDONTWRITEBYTECODE="1")
    proc = subprocess.run(
        [sys.executable, "-m", "peersupport", "--data-dir", str(root), "stats", "export",
         str(out), "--from", "2026-01", "--to", "2026-05", "--passphrase-stdin"],
        input=CLI_PASSPHRASE + "\n", capture_output=True, text=True, cwd=REPO, env=env,
        timeout=120, check=False, start_new_session=True,
    )
    result = Run(proc.returncode, proc.stdout, proc.stderr)
    assert result.code == 0, result.err
    assert result.err == ""
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    read = stats_file.read(out.read_bytes())
    assert len(read.periods) == 5
    assert printed(result, "Key fingerprint") == read.fingerprint
