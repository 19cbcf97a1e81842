"""Reminding without record data: the pure counting and nudge rules, the follow-up settings,
and the start-at-login entry."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from peersupport import autostart, settings
from peersupport.domain.followup_templates import parse_steps, templates_from_codes
from peersupport.domain.reminders import (
    NUDGE_TEXT,
    check_due,
    due_text,
    epoch,
    next_due_after,
    next_nudge,
    nudge_due,
    parse_nudge,
)

T0 = datetime(2025, 3, 14, 12, 0, tzinfo=UTC)
UTC_ZONE = ZoneInfo("UTC")


def at(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


def s(hours: float) -> int:
    return epoch(at(hours))


# -- counting -------------------------------------------------------------------------------------
def test_the_text_is_only_a_count() -> None:
    assert due_text(1) == "1 peer follow-up due"
    assert due_text(2) == "2 peer follow-ups due"
    assert due_text(0) == "0 peer follow-ups due"


def test_nothing_due_says_nothing() -> None:
    dues = [s(24), s(72)]
    result = check_due(dues, (), at(1), UTC_ZONE)
    assert (result.due_now, result.text, result.announced) == (0, None, ())


def test_a_step_falling_due_reminds_once() -> None:
    dues = [s(24), s(72)]
    first = check_due(dues, (), at(24), UTC_ZONE)  # due at exactly its second
    assert first.due_now == 1
    assert first.text == "1 peer follow-up due"
    again = check_due(dues, first.announced, at(30), UTC_ZONE)
    assert again.due_now == 1 and again.text is None  # the same step never reminds twice
    later = check_due(dues, again.announced, at(73), UTC_ZONE)
    assert later.due_now == 2 and later.text == "2 peer follow-ups due"  # a new one does


def test_a_step_done_leaves_the_count_quietly_and_a_new_one_still_reminds() -> None:
    before = check_due([s(24), s(48), s(96)], (), at(50), UTC_ZONE)
    assert before.due_now == 2 and before.text == "2 peer follow-ups due"
    done = check_due([s(48), s(96)], before.announced, at(51), UTC_ZONE)  # the 24h step done
    assert done.due_now == 1 and done.text is None
    # one done and another fell due between two looks: the count is the same, but it is new
    swapped = check_due([s(96)], done.announced, at(97), UTC_ZONE)
    assert swapped.due_now == 1 and swapped.text == "1 peer follow-up due"


def test_a_snoozed_step_reminds_again_when_it_falls_due_again() -> None:
    first = check_due([s(24)], (), at(25), UTC_ZONE)
    assert first.text is not None
    snoozed = check_due([s(26)], first.announced, at(25.5), UTC_ZONE)
    assert snoozed.due_now == 0 and snoozed.text is None
    back = check_due([s(26)], snoozed.announced, at(26), UTC_ZONE)
    assert back.text == "1 peer follow-up due"


def test_steps_due_in_the_same_second_are_counted_apart() -> None:
    dues = [s(24), s(24), s(24)]
    result = check_due(dues, (), at(24), UTC_ZONE)
    assert result.due_now == 3 and result.text == "3 peer follow-ups due"
    one_done = check_due(dues[1:], result.announced, at(25), UTC_ZONE)
    assert one_done.due_now == 2 and one_done.text is None


def test_the_badge_counts_overdue_and_the_rest_of_the_local_day() -> None:
    madrid = ZoneInfo("Europe/Madrid")  # UTC+1 in March
    now = datetime(2025, 3, 14, 20, 0, tzinfo=UTC)  # 21:00 in Madrid
    dues = [
        epoch(now - timedelta(days=3)),
        epoch(now + timedelta(hours=2)),  # 23:00 Madrid: today
        epoch(now + timedelta(hours=2, minutes=59)),  # 23:59 Madrid: today
        epoch(now + timedelta(hours=3)),  # 00:00 Madrid: tomorrow
    ]
    result = check_due(dues, (), now, madrid)
    assert (result.due_now, result.badge) == (1, 3)
    assert check_due(dues, (), now, UTC_ZONE).badge == 4  # in UTC, all before midnight


def test_next_due_after() -> None:
    dues = [s(24), s(72)]
    assert next_due_after(dues, at(1)) == s(24)
    assert next_due_after(dues, at(24)) == s(72)
    assert next_due_after(dues, at(80)) is None


# -- the daily nudge ----------------------------------------------------------------------------
def test_parse_nudge() -> None:
    assert parse_nudge("09:05") == time(9, 5)
    assert parse_nudge("") is None
    assert parse_nudge("25:00") is None
    assert parse_nudge("nine") is None


def test_the_nudge_comes_when_its_time_passes_and_once_a_day() -> None:
    nine = time(9, 0)
    start = datetime(2025, 3, 14, 8, 59, tzinfo=UTC)
    assert not nudge_due(start, start + timedelta(seconds=30), nine, UTC_ZONE)
    assert nudge_due(start, start + timedelta(minutes=2), nine, UTC_ZONE)
    after = start + timedelta(minutes=2)
    assert not nudge_due(after, after + timedelta(hours=5), nine, UTC_ZONE)
    # started after the time: not until the next day
    late = datetime(2025, 3, 14, 18, 0, tzinfo=UTC)
    assert next_nudge(late, nine, UTC_ZONE) == datetime(2025, 3, 15, 9, 0, tzinfo=UTC)
    # asleep for three days: one nudge on waking, not three
    assert nudge_due(late, late + timedelta(days=3), nine, UTC_ZONE)
    assert NUDGE_TEXT == "Unlock Peer Support to check follow-ups"


def test_the_nudge_follows_local_time_across_a_clock_change() -> None:
    new_york = ZoneInfo("America/New_York")  # clocks went forward on 9 March 2025
    saturday = datetime(2025, 3, 8, 12, 0, tzinfo=new_york)
    assert next_nudge(saturday, time(9, 0), new_york) == datetime(
        2025, 3, 9, 9, 0, tzinfo=new_york)
    assert next_nudge(saturday, time(9, 0), new_york).astimezone(UTC).hour == 13  # EDT
    # 02:30 does not exist that night: the nudge comes just after the change
    gap = next_nudge(saturday, time(2, 30), new_york)
    assert gap.astimezone(UTC) == datetime(2025, 3, 9, 7, 30, tzinfo=UTC)


# -- settings --------------------------------------------------------------------------------------
def test_followup_settings_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    chosen = settings.Settings(
        followup_templates={"other": "7d, 30d, 90d", "line_of_duty_death": "24h, 7d@09:00, 1y"},
        time_zone="America/Chicago", close_to_tray="tray", daily_nudge="08:30",
        start_at_login=True,
    )
    settings.save(path, chosen)
    assert settings.load(path) == chosen
    raw = json.loads(path.read_text())
    assert raw["followup_templates"] == {"other": "7d, 30d, 90d",
                                         "line_of_duty_death": "24h, 7d@09:00, 1y"}
    assert (raw["time_zone"], raw["close_to_tray"], raw["daily_nudge"],
            raw["start_at_login"]) == ("America/Chicago", "tray", "08:30", True)
    templates = templates_from_codes(settings.load(path).followup_templates)
    assert templates["other"] == parse_steps("7d, 30d, 90d")


def test_followup_defaults_store_nothing_extra() -> None:
    fresh = settings.Settings().validated()
    assert fresh.followup_templates == {}
    assert (fresh.time_zone, fresh.close_to_tray, fresh.daily_nudge,
            fresh.start_at_login) == ("system", "ask", "", False)


@pytest.mark.parametrize(
    ("templates", "expected"),
    [
        ({"other": "7D,30d ,90d"}, {"other": "7d, 30d, 90d"}),  # tidied
        ({"other": "7d, 30d"}, {}),  # the default is not stored
        ({"other": "7d, 5x"}, {}),  # unreadable: the default stays
        ({"no_such_category": "1d"}, {}),
        ({"other": 7}, {}),
        ({"other": ""}, {"other": ""}),  # no steps at all is a choice
        ([["other", "1d"]], {}),
        ("other=1d", {}),
    ],
)
def test_followup_templates_are_validated(templates: object, expected: dict[str, str]) -> None:
    got = settings.Settings(followup_templates=templates).validated()  # type: ignore[arg-type]
    assert got.followup_templates == expected


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("time_zone", "Europe/Madrid", "Europe/Madrid"),
        ("time_zone", "Mars/Olympus_Mons", "system"),
        ("time_zone", "../../etc/passwd", "system"),
        ("time_zone", "", "system"),
        ("time_zone", 3, "system"),
        ("close_to_tray", "quit", "quit"),
        ("close_to_tray", "minimise", "ask"),
        ("daily_nudge", "9:05", "09:05"),
        ("daily_nudge", "24:00", ""),
        ("daily_nudge", "09:60", ""),
        ("daily_nudge", "morning", ""),
        ("daily_nudge", None, ""),
        ("start_at_login", True, True),
        ("start_at_login", "yes", False),
    ],
)
def test_followup_settings_are_validated(field: str, value: object, expected: object) -> None:
    got = settings.Settings(**{field: value}).validated()  # type: ignore[arg-type]
    assert getattr(got, field) == expected


def test_a_hand_edited_settings_file_falls_back_field_by_field(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    path.write_text(json.dumps({
        "idle_lock_minutes": 9, "followup_templates": "junk", "time_zone": "Nowhere/Land",
        "daily_nudge": "7:15", "close_to_tray": "tray",
    }))
    got = settings.load(path)
    assert got == settings.Settings(idle_lock_minutes=9, daily_nudge="07:15",
                                    close_to_tray="tray")


# -- start at login ------------------------------------------------------------------------------
def _config(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    config = tmp_path / "config home"
    monkeypatch.setenv("XDG_CONFIG_HOME", str(config))
    return config / "autostart" / "peersupport.desktop"


def test_autostart_writes_and_removes_the_desktop_entry(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    entry = _config(monkeypatch, tmp_path)
    outcome = autostart.set_enabled(True, platform="linux")
    assert outcome.ok and "log in" in outcome.message
    assert entry.is_file() and autostart.is_enabled()
    text = entry.read_text()
    assert "[Desktop Entry]" in text and "Type=Application" in text
    exec_line = next(line for line in text.splitlines() if line.startswith("Exec="))
    assert exec_line.endswith(" -m peersupport")  # under pytest: python -m peersupport
    assert [p.name for p in entry.parent.iterdir()] == ["peersupport.desktop"]  # no temp file
    outcome = autostart.set_enabled(False, platform="linux")
    assert outcome.ok and not entry.exists() and not autostart.is_enabled()
    assert autostart.set_enabled(False, platform="linux").ok  # already off: fine


def test_autostart_runs_the_command_that_is_running(tmp_path: Path) -> None:
    script = tmp_path / "bin" / "peersupport"
    script.parent.mkdir()
    script.write_text("#!/bin/sh\n")
    assert autostart.launch_command(str(script)) == [str(script.resolve())]
    assert autostart.launch_command("/somewhere/pytest")[1:] == ["-m", "peersupport"]
    assert autostart.launch_command("")[0] == str(Path(sys.executable).absolute())


def test_autostart_quotes_paths_as_the_desktop_entry_spec_asks() -> None:
    line = autostart.exec_line(["/opt/Peer Support/peersupport", "--data-dir",
                                '/home/x/my "vault" $HOME 100%'])
    assert line == ('"/opt/Peer Support/peersupport" --data-dir '
                    '"/home/x/my \\\\"vault\\\\" \\\\$HOME 100%%"')


def test_autostart_passes_extra_arguments(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    entry = _config(monkeypatch, tmp_path)
    autostart.set_enabled(True, ["--data-dir", "/srv/vault"], platform="linux")
    assert "--data-dir /srv/vault" in entry.read_text()


def test_autostart_elsewhere_says_it_is_not_implemented(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    entry = _config(monkeypatch, tmp_path)
    for platform in ("win32", "darwin"):
        outcome = autostart.set_enabled(True, platform=platform)
        assert not outcome.ok
        assert outcome.message == autostart.UNSUPPORTED
        assert "not implemented on this system: see README" in outcome.message
        assert not autostart.supported(platform)
    assert not entry.exists()


def test_autostart_ignores_a_relative_config_home(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", "relative/dir")
    assert autostart.entry_path() == Path.home() / ".config" / "autostart" / "peersupport.desktop"
