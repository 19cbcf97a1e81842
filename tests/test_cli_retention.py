"""``peersupport purge`` and ``peersupport hold`` as a supporter runs them: the policy from
Preferences applied (or only previewed with --dry-run), ids and counts printed but never
content, holds put on, listed and lifted, a held check-in refused by ``checkin delete``, and
the exit codes (2 usage or unknown id, 3 wrong passphrase, 4 a record that fails
authentication)."""

from __future__ import annotations

import io
import json
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from peersupport import cli
from peersupport import settings as settings_mod
from peersupport.domain.checkin import CheckIn
from peersupport.domain.officer import Officer
from peersupport.paths import DataDir, ensure
from peersupport.services.vault import VaultService, new_recovery_key
from tests._support import CLI_PASSPHRASE, FLOOR, Run, raw_execute, raw_one

SECRET_NOTE = "the note that must never be printed"
DAY = timedelta(days=1)


@dataclass
class Template:
    vault: Path
    old_id: str  # 400 days ago, officer Heron (inactive since)
    new_id: str  # 5 days ago, officer Owl
    heron_id: str
    owl_id: str


def _checkin(officer: Officer, when: datetime) -> CheckIn:
    return CheckIn(
        occurred_at=when, officer_id=officer.id, incident_category="cumulative_stress",
        contact_type="in_person", initiated_by="self", recipient_class="sworn",
        duration_minutes=40, notes=SECRET_NOTE)


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Template:
    root = tmp_path_factory.mktemp("cli-retention") / "vault"
    key, _ = new_recovery_key()
    vault = VaultService(ensure(root), FLOOR).create(CLI_PASSPHRASE, key)
    now = datetime.now(UTC)
    heron = Officer(alias="Heron", full_name="Dana Secretname")
    owl = Officer(alias="Owl", full_name="Sam Other")
    old, new = _checkin(heron, now - 400 * DAY), _checkin(owl, now - 5 * DAY)
    try:
        vault.checkins().save(old, [heron])
        vault.checkins().save(new, [owl])
    finally:
        vault.lock()
    return Template(root, old.id, new.id, heron.id, owl.id)


@pytest.fixture
def root(template: Template, tmp_path: Path) -> Path:
    target = tmp_path / "vault"
    shutil.copytree(template.vault, target)
    return target


@pytest.fixture
def run(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], root: Path) -> Any:
    def go(*args: str, stdin: str = CLI_PASSPHRASE + "\n") -> Run:
        monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
        out = io.StringIO()
        try:
            code = cli.main(["--data-dir", str(root), *args, "--passphrase-stdin"], out=out)
        except SystemExit as exit_:
            code = int(exit_.code or 0)
        return Run(code, out.getvalue(), capsys.readouterr().err)

    return go


def set_policy(root: Path, notes: int, officers: int) -> None:
    settings_mod.save(DataDir(root).settings, settings_mod.Settings(
        notes_expire_days=notes, officer_details_expire_days=officers))


def shown(root: Path, run: Any, checkin_id: str) -> dict[str, Any]:
    result = run("checkin", "show", checkin_id, "--json")
    assert result.code == 0, result.err
    value = json.loads(result.out)
    assert isinstance(value, dict)
    return value


def officer_names(run: Any) -> dict[str, str]:
    result = run("officer", "list", "--json")
    assert result.code == 0, result.err
    return {o["id"]: o["alias"] for o in json.loads(result.out)}


# -- purge ----------------------------------------------------------------
def test_purge_with_the_policy_off_changes_nothing(run: Any, root: Path,
                                                   template: Template) -> None:
    result = run("purge")
    assert (result.code, result.err) == (0, "")
    assert "Retention is off" in result.out
    assert officer_names(run)[template.heron_id] == "Heron"


def test_dry_run_prints_ids_and_counts_and_changes_nothing(
        run: Any, root: Path, template: Template) -> None:
    set_policy(root, 90, 365)
    db = DataDir(root).database
    before = raw_one(db, "SELECT notes_sealed FROM checkin WHERE id = ?", [template.old_id])
    result = run("purge", "--dry-run")
    assert (result.code, result.err) == (0, "")
    assert "Notes would expire: 1 check-in\n" f"  {template.old_id}\n" in result.out
    assert f"Officer details would expire: 1 officer\n  {template.heron_id}\n" in result.out
    for secret in (SECRET_NOTE, "Heron", "Secretname", template.new_id):
        assert secret not in result.out
    assert raw_one(db, "SELECT notes_sealed FROM checkin WHERE id = ?",
                   [template.old_id]) == before


def test_purge_expires_what_the_dry_run_listed(run: Any, root: Path,
                                               template: Template) -> None:
    set_policy(root, 90, 365)
    dry = run("purge", "--dry-run")
    result = run("purge")
    assert (result.code, result.err) == (0, "")
    assert result.out == dry.out.replace("would expire", "expired")
    assert SECRET_NOTE not in result.out
    assert shown(root, run, template.old_id)["notes"] == ""
    assert shown(root, run, template.new_id)["notes"] == SECRET_NOTE
    names = officer_names(run)
    assert names[template.heron_id].startswith("Former officer")
    assert names[template.owl_id] == "Owl"
    again = run("purge")
    assert "Notes expired: 0 check-ins" in again.out


# -- holds ----------------------------------------------------------------
def test_holds_are_listed_protect_from_purge_and_delete_and_can_be_lifted(
        run: Any, root: Path, template: Template) -> None:
    assert run("hold", "list").out == "No legal holds\n"
    assert run("hold", "officer", template.heron_id).code == 0
    result = run("hold", "checkin", template.new_id)
    assert (result.code, result.out) == (0, f"checkin {template.new_id} is under a legal hold\n")
    listed = json.loads(run("hold", "list", "--json").out)
    assert listed == {"officers": [template.heron_id], "checkins": [template.new_id]}

    set_policy(root, 90, 365)
    purged = run("purge")
    assert purged.code == 0
    assert "Notes expired: 0 check-ins" in purged.out
    assert "Kept under a legal hold: 1 check-in, 1 officer" in purged.out
    assert shown(root, run, template.old_id)["notes"] == SECRET_NOTE

    refused = run("checkin", "delete", template.new_id)
    assert refused.code == 1
    assert "legal hold" in refused.one_line_error()
    assert shown(root, run, template.new_id)["id"] == template.new_id

    assert run("hold", "checkin", template.new_id, "--off").code == 0
    assert run("checkin", "delete", template.new_id).code == 0
    assert json.loads(run("hold", "list", "--json").out)["checkins"] == []


# -- exit codes ----------------------------------------------------------------
def test_unknown_ids_and_bad_usage_exit_2(run: Any) -> None:
    for args in (("hold", "officer", "no-such-id"), ("hold", "checkin", "no-such-id")):
        result = run(*args)
        assert result.code == 2
        assert "no-such-id" in result.one_line_error()
    for args in (("hold",), ("hold", "nothing", "x"), ("purge", "--now")):
        assert run(*args).code == 2, args


def test_wrong_passphrase_exits_3_and_changes_nothing(run: Any, root: Path,
                                                      template: Template) -> None:
    set_policy(root, 90, 365)
    for args in (("purge",), ("hold", "officer", template.heron_id), ("hold", "list")):
        result = run(*args, stdin="not the passphrase\n")
        assert result.code == 3, args
        assert "wrong passphrase" in result.one_line_error()
    assert shown(root, run, template.old_id)["notes"] == SECRET_NOTE


def test_a_damaged_record_exits_4_after_the_rest_is_purged(run: Any, root: Path,
                                                           template: Template) -> None:
    set_policy(root, 90, 0)
    db = DataDir(root).database
    raw_execute(db, "UPDATE checkin SET summary_sealed = ? WHERE id = ?",
                [b"\0" * 64, template.new_id])
    result = run("purge")
    assert result.code == 4
    assert "failed authentication" in result.one_line_error()
    assert f"Notes expired: 1 check-in\n  {template.old_id}\n" in result.out
