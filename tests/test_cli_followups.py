"""``peersupport followups`` as a user runs it: pending, due and every step, the JSON schema,
the .ics export, and the exit codes of the rest of the command line. The real clock applies,
so the check-ins are dated in the past."""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import stat
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from icalendar import Calendar  # type: ignore[import-untyped]

from peersupport import cli
from peersupport.domain.checkin import CheckIn
from peersupport.domain.followup import STATES
from peersupport.domain.officer import Officer
from peersupport.paths import DataDir, ensure
from peersupport.services.calendar_export import step_uid
from peersupport.services.vault import VaultService, new_recovery_key
from tests._support import CLI_PASSPHRASE, FLOOR, Run, raw_execute

ALIAS = "Pelican Canary"
FULL_NAME = "Ottoline Canarysmith"
NOTES = "notes-canary: slept badly"
KEYS = {"step_id", "plan_id", "checkin_id", "kind", "label", "due", "state"}
UTC_TEXT = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


@dataclass
class Seeded:
    root: Path
    critical_checkin: str  # 3 days ago, critical template (24h, 72h, 7d, 30d, 90d, 1y),
    #                         its 24h step skipped, and a court date in 10 days
    light_checkin: str  # 40 days ago, light template (7d, 30d), both covered by the other
    milestone_at: datetime


def _checkin(officer_id: str, when: datetime, category: str, **extra: Any) -> CheckIn:
    return CheckIn(
        occurred_at=when, officer_id=officer_id, incident_category=category,
        contact_type="in_person", initiated_by="peer_outreach", recipient_class="sworn",
        duration_minutes=30, **extra,
    )


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Seeded:
    root = tmp_path_factory.mktemp("cli-followups") / "vault"
    key, _ = new_recovery_key()
    vault = VaultService(ensure(root), FLOOR).create(CLI_PASSPHRASE, key)
    try:
        now = datetime.now(UTC).replace(microsecond=0)
        officer = Officer(alias=ALIAS, full_name=FULL_NAME, notes=NOTES)
        critical = _checkin(officer.id, now - timedelta(days=3, hours=1), "fatal_collision",
                            follow_up=True, notes=NOTES, incident_ref="REF-CANARY-9")
        light = _checkin(officer.id, now - timedelta(days=40), "cumulative_stress",
                         follow_up=True)
        # saved oldest first: the later check-in is a contact in the older plan
        vault.checkins().save(light, [officer])
        vault.checkins().save(critical)
        service = vault.followups()
        plans = {p.checkin_id: p for p in service.all_plans()[0]}
        service.skip(plans[critical.id].id, "s0")
        milestone_at = (now + timedelta(days=10)).replace(second=0)
        service.add_milestone(plans[critical.id].id, "court", milestone_at)
    finally:
        vault.lock()
    return Seeded(root, critical.id, light.id, milestone_at)


@pytest.fixture
def root(seeded: Seeded, tmp_path: Path) -> Path:
    target = tmp_path / "vault"
    shutil.copytree(seeded.root, target)
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


def listed(result: Run) -> list[dict[str, Any]]:
    assert result.code == 0, result.err
    assert result.err == ""
    value = json.loads(result.out)
    assert isinstance(value, list)
    return value


def no_names(text: str) -> None:
    for canary in (ALIAS, FULL_NAME, NOTES, "REF-CANARY-9", "fatal_collision",
                   "cumulative_stress", "Canary"):
        assert canary not in text


# -- listing ---------------------------------------------------------------------------------
def test_json_schema_and_the_default_lists_pending_steps(run: Any, seeded: Seeded) -> None:
    rows = listed(run("followups", "--json"))
    for row in rows:
        assert set(row) == KEYS
        assert all(isinstance(v, str) for v in row.values())
        assert UTC_TEXT.match(row["due"])
        assert row["kind"] in ("step", "milestone")
        assert row["state"] in STATES
        assert re.match(r"^[0-9a-f-]{36}$", row["plan_id"])
    assert {r["state"] for r in rows} == {"pending"}
    dues = [r["due"] for r in rows]
    assert dues == sorted(dues)
    # critical: 24h skipped, 72h overdue, 7d, the court date, 30d, 90d, 1y pending;
    # light: 7d and 30d covered by the later check-in (a contact 37 days after it)
    critical = [r for r in rows if r["checkin_id"] == seeded.critical_checkin]
    assert [r["label"] for r in critical] == [
        "72 hours", "7 days", "Court date", "30 days", "90 days", "1-year anniversary",
    ]
    assert len(rows) == 6
    assert [r["kind"] for r in critical].count("milestone") == 1
    court = next(r for r in critical if r["kind"] == "milestone")
    assert court["due"] == seeded.milestone_at.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert court["step_id"].startswith("m-")
    assert [r for r in rows if r["checkin_id"] == seeded.light_checkin] == []
    no_names(json.dumps(rows))


def test_due_lists_only_steps_due_now_or_overdue(run: Any, seeded: Seeded) -> None:
    rows = listed(run("followups", "--due", "--json"))
    assert [r["label"] for r in rows] == ["72 hours"]
    now = datetime.now(UTC)
    for r in rows:
        assert r["state"] == "pending"
        assert datetime.fromisoformat(r["due"]) <= now
    assert listed(run("followups", "--json", "--due")) == rows  # options in any order


def test_all_lists_every_step_in_any_state(run: Any, seeded: Seeded) -> None:
    rows = listed(run("followups", "--all", "--json"))
    light = [r for r in rows if r["checkin_id"] == seeded.light_checkin]
    assert [(r["label"], r["state"]) for r in light] == [
        ("7 days", "covered"), ("30 days", "covered"),
    ]
    critical = [r for r in rows if r["checkin_id"] == seeded.critical_checkin]
    assert [(r["label"], r["state"]) for r in critical[:2]] == [
        ("24 hours", "skipped"), ("72 hours", "pending"),
    ]
    assert len(critical) == 7
    assert len(rows) == 7 + 2
    assert {r["plan_id"] for r in rows} == {r["plan_id"] for r in light} | {
        r["plan_id"] for r in rows if r["checkin_id"] == seeded.critical_checkin}


def test_text_lines_hold_the_same_fields(run: Any) -> None:
    rows = listed(run("followups", "--all", "--json"))
    text = run("followups", "--all")
    assert text.code == 0 and text.err == ""
    lines = text.out.splitlines()
    assert len(lines) == len(rows)
    for line, row in zip(lines, rows, strict=True):
        fields = line.split()
        assert fields[:6] == [row["due"], row["state"], row["kind"], row["plan_id"],
                              row["step_id"], row["checkin_id"]]
        assert line.endswith("  " + row["label"])
    no_names(text.out)


def test_due_and_all_exclude_each_other(run: Any) -> None:
    result = run("followups", "--due", "--all")
    assert result.code == 2
    assert "not allowed with" in result.one_line_error()


# -- export-ics ------------------------------------------------------------------------------
@pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")
def test_export_ics_writes_a_private_calendar(run: Any, tmp_path: Path) -> None:
    pending = listed(run("followups", "--json"))
    out = tmp_path / "followups.ics"
    result = run("followups", "export-ics", str(out), "--days", "14")
    assert result.code == 0, result.err
    assert result.err == ""
    # overdue 72h, 7 days, the court date in 10 days; not 30d, 90d, 1y
    assert result.out == f"Wrote 3 follow-ups (1 due now or overdue, the rest within 14 days) " \
                         f"to {out}\n"
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    data = out.read_bytes()
    events = list(Calendar.from_ical(data).walk("VEVENT"))
    assert len(events) == 3
    expected = {step_uid(r["plan_id"], r["step_id"]) for r in pending[:3]}
    assert {str(e["UID"]) for e in events} == expected
    assert {str(e["SUMMARY"]) for e in events} == {"Peer follow-up"}
    assert b"VALARM" not in data
    for row in pending:
        for value in (row["plan_id"], row["checkin_id"], row["label"]):
            assert value.encode() not in data
    no_names(data.decode())

    # again, later, with an alarm and the default 30 days: same UIDs for the same steps
    again = run("followups", "export-ics", str(out), "--alarm", "15")
    assert again.code == 0, again.err
    later = list(Calendar.from_ical(out.read_bytes()).walk("VEVENT"))
    assert len(later) == 4  # the 30-day step too
    assert expected < {str(e["UID"]) for e in later}
    for event in later:
        (alarm,) = event.subcomponents
        assert alarm.decoded("TRIGGER") == timedelta(minutes=-15)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["followups.ics", "vault"]


def test_export_ics_passphrase_flag_before_or_after_the_action(run: Any, tmp_path: Path) -> None:
    out = tmp_path / "a.ics"
    before = run("followups", "--passphrase-stdin", "export-ics", str(out), passphrase=False)
    assert before.code == 0, before.err
    assert out.exists()
    out.unlink()
    after = run("followups", "export-ics", str(out), "--days", "7", "--passphrase-stdin",
                passphrase=False)
    assert after.code == 0, after.err
    assert out.exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--days", "0"], "must be between 1"),
        (["--days", "soon"], "not a whole number"),
        (["--alarm", "-5"], "must be between 0"),
    ],
)
def test_export_ics_bad_options_exit_2(run: Any, tmp_path: Path, args: list[str],
                                       message: str) -> None:
    out = tmp_path / "x.ics"
    result = run("followups", "export-ics", str(out), *args)
    assert result.code == 2
    assert message in result.one_line_error()
    assert not out.exists()


def test_export_ics_refuses_listing_options_and_missing_folders(run: Any, tmp_path: Path) -> None:
    out = tmp_path / "x.ics"
    mixed = run("followups", "--due", "export-ics", str(out))
    assert mixed.code == 2
    assert "export-ics takes --days" in mixed.one_line_error()
    missing = run("followups", "export-ics", str(tmp_path / "nowhere" / "x.ics"))
    assert missing.code == 2
    assert "no folder" in missing.one_line_error()
    folder = run("followups", "export-ics", str(tmp_path))
    assert folder.code == 2
    assert "is a folder" in folder.one_line_error()
    assert not out.exists()


# -- failures ----------------------------------------------------------------------------------
@pytest.mark.parametrize("action", [[], ["--due", "--json"], ["export-ics", "OUT"]])
def test_wrong_passphrase_exits_3(run: Any, tmp_path: Path, action: list[str]) -> None:
    args = [str(tmp_path / "x.ics") if a == "OUT" else a for a in action]
    result = run("followups", *args, stdin="not the passphrase at all\n")
    assert result.code == 3
    assert result.one_line_error() == "peersupport: wrong passphrase or recovery key"
    assert result.out == ""
    assert not (tmp_path / "x.ics").exists()


def test_no_vault_exits_2(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
                          tmp_path: Path) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(CLI_PASSPHRASE + "\n"))
    code = cli.main(["--data-dir", str(tmp_path / "none"), "followups", "--passphrase-stdin"],
                    out=io.StringIO())
    assert code == 2
    assert "no vault" in capsys.readouterr().err


def test_damaged_plan_is_never_shown_and_exits_4(run: Any, root: Path, seeded: Seeded,
                                                 tmp_path: Path) -> None:
    # the light plan's sealed blob replaced by the critical plan's: it fails authentication
    all_rows = listed(run("followups", "--all", "--json"))
    light_plan = next(r["plan_id"] for r in all_rows if r["checkin_id"] == seeded.light_checkin)
    critical_plan = next(r["plan_id"] for r in all_rows
                         if r["checkin_id"] == seeded.critical_checkin)
    raw_execute(DataDir(root).database,
                "UPDATE followup_plan SET plan_sealed = (SELECT plan_sealed FROM followup_plan "
                "WHERE id = ?) WHERE id = ?", (critical_plan, light_plan))
    result = run("followups", "--all", "--json")
    assert result.code == 4
    assert result.one_line_error() == (
        "peersupport: 1 follow-up plan failed authentication and was not shown (run verify)")
    rows = json.loads(result.out)
    assert {r["plan_id"] for r in rows} == {critical_plan}
    # the export and the pending list open only plans with a pending step: the damaged
    # plan is closed, so they do not meet it
    out = tmp_path / "x.ics"
    exported = run("followups", "export-ics", str(out))
    assert (exported.code, exported.out[:17]) == (0, "Wrote 4 follow-up")
    # an open plan that fails authentication is reported, and the rest still exported
    raw_execute(DataDir(root).database,
                "UPDATE followup_plan SET plan_sealed = (SELECT entries_sealed FROM "
                "followup_agenda) WHERE id = ?", (critical_plan,))
    exported = run("followups", "export-ics", str(out))
    assert exported.code == 4
    assert "was not exported" in exported.one_line_error()
    assert exported.out.startswith("Wrote 0 follow-ups")
    pending = run("followups", "--json")
    assert pending.code == 4
    assert json.loads(pending.out) == []
