"""Follow-up reminders in the app: counting from the anonymous schedule while unlocked and
locked, the tray, closing to the tray, and the follow-up preferences."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractButton,
    QApplication,
    QCheckBox,
    QComboBox,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTimeEdit,
)

from peersupport import settings as settings_mod
from peersupport.domain.checkin import CheckIn
from peersupport.domain.followup_templates import DEFAULT_TEMPLATES, parse_steps
from peersupport.domain.officer import Officer
from peersupport.domain.reminders import NUDGE_TEXT, epoch
from peersupport.services.followups import FollowupPolicy
from peersupport.services.vault import UnlockedVault
from peersupport.ui import tray as tray_mod
from peersupport.ui.app import AppController
from peersupport.ui.dialogs import PreferencesDialog
from peersupport.ui.reminders import ReminderService
from peersupport.ui.tasks import wait_for_tasks
from tests.conftest import FAST_TEST_PROFILE, PASSPHRASE

CANARY = "Kw4CanaryAliasReminderJp"
T0 = datetime(2025, 3, 14, 12, 0, tzinfo=UTC)


class FakeClock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def at(self, hours: float) -> None:
        self.now = T0 + timedelta(hours=hours)


def _add_followup_checkin(vault: UnlockedVault, clock: FakeClock) -> None:
    """A check-in at T0 that wants follow-up, for an officer whose alias is the canary:
    steps fall due at T0 + 24h, 72h, 7d ..."""
    vault.followup_policy = FollowupPolicy(zone="UTC", clock=clock)
    officer = Officer(alias=CANARY, full_name=CANARY + " Fullname")
    checkin = CheckIn(
        occurred_at=T0, officer_id=officer.id, incident_category="line_of_duty_death",
        contact_type="in_person", initiated_by="peer_outreach", recipient_class="sworn",
        duration_minutes=30, follow_up=True, notes=CANARY + " notes",
    )
    vault.checkins().save(checkin, [officer])


def _recorder(service: ReminderService) -> tuple[list[str], list[tuple[int, int]]]:
    texts: list[str] = []
    counts: list[tuple[int, int]] = []
    service.notify.connect(texts.append)
    service.due_changed.connect(lambda due, badge: counts.append((due, badge)))
    return texts, counts


# -- the service on its own, with a real vault --------------------------------------------------
def test_a_step_falling_due_notifies_a_count_and_nothing_else(qtbot, vault: UnlockedVault):
    clock = FakeClock(T0 + timedelta(hours=1))
    _add_followup_checkin(vault, clock)
    service = ReminderService(clock)
    texts, counts = _recorder(service)
    service.refresh_from(vault)
    assert texts == [] and counts[-1] == (0, 0)
    assert all(isinstance(d, int) for d in service.schedule)
    assert service.schedule[0] == epoch(T0 + timedelta(hours=24))

    clock.at(24 + 1 / 60)
    service.check()
    assert texts == ["1 peer follow-up due"]
    assert counts[-1][0] == 1
    assert (service.due_now, service.badge) == (1, 1)
    service.check()
    assert texts == ["1 peer follow-up due"]  # no repeat for the same step

    # locked: nothing but the integers in memory, and counting goes on
    vault.lock()
    clock.at(72 + 1 / 60)
    service.check()
    assert texts == ["1 peer follow-up due", "2 peer follow-ups due"]
    assert service.due_now == 2
    for text in texts:
        assert CANARY not in text and "Line-of-duty" not in text and ":" not in text


def test_a_failed_source_keeps_the_schedule(qtbot):
    clock = FakeClock(T0)
    service = ReminderService(clock)
    service.set_schedule([epoch(T0 + timedelta(hours=1))])

    def broken() -> list[int]:
        raise RuntimeError("vault went away")

    service.set_source(broken)
    clock.at(2)
    texts, _ = _recorder(service)
    service.check()
    assert texts == ["1 peer follow-up due"]


def test_the_timer_wakes_exactly_when_the_next_step_falls_due(qtbot):
    clock = FakeClock(T0)
    service = ReminderService(clock)
    service.start()
    try:
        service.set_schedule([epoch(T0 + timedelta(seconds=2)), epoch(T0 + timedelta(days=1))])
        assert 1_900 <= service._timer.remainingTime() <= 2_100
        service.set_schedule([epoch(T0 + timedelta(days=1))])
        assert service._timer.remainingTime() > ReminderService.TICK_MS - 1_000  # a minute
    finally:
        service.stop()
    assert not service.is_running()


def test_after_a_restart_only_the_daily_nudge_is_offered(qtbot):
    clock = FakeClock(datetime(2025, 3, 14, 8, 59, 58, tzinfo=UTC))
    service = ReminderService(clock)
    service.set_zone("UTC")
    service.set_nudge("09:00")
    assert service.nudge_at == time(9, 0)
    texts, _ = _recorder(service)
    service.start()
    try:
        assert 1_900 <= service._timer.remainingTime() <= 2_100  # wakes at the nudge time
        service.check()
        assert texts == []
        clock.now = datetime(2025, 3, 14, 9, 0, 30, tzinfo=UTC)
        service.check()
        assert texts == [NUDGE_TEXT]
        clock.now = datetime(2025, 3, 14, 17, 0, tzinfo=UTC)
        service.check()
        assert texts == [NUDGE_TEXT]  # once a day
        # once a schedule is known, counts replace the nudge
        service.set_schedule([])
        clock.now = datetime(2025, 3, 15, 9, 1, tzinfo=UTC)
        service.check()
        assert texts == [NUDGE_TEXT]
    finally:
        service.stop()


# -- the app -----------------------------------------------------------------------------------
@pytest.fixture
def restore_quit_on_last_window() -> Iterator[None]:
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    before = app.quitOnLastWindowClosed()
    yield
    app.setQuitOnLastWindowClosed(before)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(T0 + timedelta(hours=1))


@pytest.fixture
def prepared(vault: UnlockedVault, clock: FakeClock) -> UnlockedVault:
    _add_followup_checkin(vault, clock)
    vault.lock()
    settings_mod.save(vault.data_dir.settings, settings_mod.Settings(time_zone="UTC"))
    return vault


def _start(qtbot, root: Path, clock: FakeClock) -> AppController:
    ctl = AppController(root, FAST_TEST_PROFILE, clock=clock)
    with qtbot.waitSignal(ctl.ready, timeout=5_000):
        assert ctl.start()
    assert ctl.window is not None
    qtbot.addWidget(ctl.window)
    return ctl


@pytest.fixture
def controller(qtbot, prepared: UnlockedVault, clock: FakeClock) -> Iterator[AppController]:
    ctl = _start(qtbot, prepared.data_dir.root, clock)
    yield ctl
    ctl.shutdown()
    wait_for_tasks()


@pytest.fixture
def tray_controller(
    qtbot, prepared: UnlockedVault, clock: FakeClock, monkeypatch: pytest.MonkeyPatch,
    restore_quit_on_last_window: None,
) -> Iterator[AppController]:
    monkeypatch.setattr(tray_mod, "tray_available", lambda: True)
    ctl = _start(qtbot, prepared.data_dir.root, clock)
    assert ctl.tray is not None and ctl.tray.available
    shown: list[str] = []
    ctl.tray.show_message = shown.append  # type: ignore[method-assign]
    ctl.tray.shown = shown  # type: ignore[attr-defined]
    yield ctl
    ctl.shutdown()
    wait_for_tasks()


def _unlock(qtbot, ctl: AppController) -> None:
    assert ctl.window is not None
    screen = ctl.window.lock_screen
    qtbot.keyClicks(screen.passphrase, PASSPHRASE)
    with qtbot.waitSignal(ctl.unlocked, timeout=10_000):
        qtbot.mouseClick(screen.unlock_button, Qt.MouseButton.LeftButton)


def test_unlock_sets_the_followup_policy_from_the_settings(qtbot, controller: AppController,
                                                           clock: FakeClock):
    controller.settings = controller.settings._replace(followup_templates={"other": "1d"})
    _unlock(qtbot, controller)
    policy = controller.vault.followup_policy
    assert policy.clock is clock
    assert policy.zone == "UTC"
    assert policy.templates["other"] == parse_steps("1d")
    assert policy.templates["line_of_duty_death"] == DEFAULT_TEMPLATES["line_of_duty_death"]


def test_reminders_count_while_unlocked_and_after_lock(qtbot, controller: AppController,
                                                       clock: FakeClock):
    texts, _ = _recorder(controller.reminders)
    _unlock(qtbot, controller)
    assert controller.reminders.has_schedule and controller.reminders.due_now == 0
    clock.at(24 + 1 / 60)
    controller.reminders.check()
    assert texts == ["1 peer follow-up due"]
    window = controller.window
    # no tray offscreen: the status bar says it, and only the count
    assert window.statusBar().currentMessage() == "1 peer follow-up due"
    controller.lock()
    assert controller.vault is None and controller.reminders.has_schedule
    assert controller.reminders._source is None  # no path back to the vault
    clock.at(72 + 1 / 60)
    controller.reminders.check()
    assert texts == ["1 peer follow-up due", "2 peer follow-ups due"]
    assert all(CANARY not in t for t in texts)


def test_waking_from_sleep_checks_the_reminders(qtbot, controller: AppController,
                                                clock: FakeClock, monkeypatch):
    from peersupport.ui import idle

    _unlock(qtbot, controller)
    texts, _ = _recorder(controller.reminders)
    clock.at(25)
    base = idle._suspend_clock()
    monkeypatch.setattr(idle, "_suspend_clock", lambda: base + 3600)
    with qtbot.waitSignal(controller.locked, timeout=2_000):
        controller.sleep.check()
    assert texts == ["1 peer follow-up due"]


def test_the_badge_reaches_the_workspace_when_it_can_show_one(qtbot, controller: AppController,
                                                              clock: FakeClock):
    _unlock(qtbot, controller)
    workspace = controller.window.workspace
    seen: list[int] = []
    if not hasattr(workspace, "set_followup_badge"):
        workspace.set_followup_badge = seen.append  # the panel's method, where it is missing
    else:
        original = workspace.set_followup_badge

        def spy(n: int) -> None:
            seen.append(n)
            original(n)

        workspace.set_followup_badge = spy
    clock.at(24 + 1 / 60)
    controller.reminders.check()
    assert seen and seen[-1] == 1


def test_the_tray_shows_reminders_and_its_menu_works(qtbot, tray_controller: AppController,
                                                     clock: FakeClock):
    ctl = tray_controller
    _unlock(qtbot, ctl)
    assert ctl.tray.lock_action.isEnabled()
    clock.at(24 + 1 / 60)
    ctl.reminders.check()
    assert ctl.tray.shown == ["1 peer follow-up due"]
    assert CANARY not in ctl.tray.icon.toolTip() and "1 follow-up due" in ctl.tray.icon.toolTip()
    with qtbot.waitSignal(ctl.locked, timeout=2_000):
        ctl.tray.lock_action.trigger()
    assert not ctl.tray.lock_action.isEnabled()
    assert ctl.window.lock_screen.isVisible()


def _close_box_button(ctl: AppController, word: str) -> QAbstractButton:
    box = ctl._close_box
    assert box is not None and box.isVisible()
    return next(b for b in box.buttons() if word in b.text().replace("&", ""))


def test_closing_asks_once_then_keeps_running_locked_in_the_tray(
    qtbot, tray_controller: AppController
):
    ctl = tray_controller
    _unlock(qtbot, ctl)
    window = ctl.window
    window.close()
    qtbot.waitUntil(lambda: ctl._close_box is not None and ctl._close_box.isVisible(),
                    timeout=2_000)
    assert "tray" in ctl._close_box.text()
    qtbot.mouseClick(_close_box_button(ctl, "tray"), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=2_000)
    assert ctl.vault is None  # a hidden window keeps no records open
    assert not ctl._quitting
    assert json.loads(ctl.data.settings.read_text())["close_to_tray"] == "tray"
    assert ctl.reminders.has_schedule  # reminders go on from the in-memory schedule
    ctl.tray.show_requested.emit()
    assert window.isVisible() and window.lock_screen.isVisible()
    window.close()  # asked once: now it goes straight to the tray
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=2_000)
    assert ctl._close_box is None and not ctl._quitting


def test_closing_and_choosing_quit_quits_and_is_remembered(qtbot,
                                                           tray_controller: AppController):
    ctl = tray_controller
    _unlock(qtbot, ctl)
    ctl.window.close()
    qtbot.waitUntil(lambda: ctl._close_box is not None and ctl._close_box.isVisible(),
                    timeout=2_000)
    qtbot.mouseClick(_close_box_button(ctl, "Quit"), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: ctl._quitting, timeout=2_000)
    assert ctl.vault is None
    assert json.loads(ctl.data.settings.read_text())["close_to_tray"] == "quit"


def test_cancel_keeps_the_window_and_asks_next_time(qtbot, tray_controller: AppController):
    ctl = tray_controller
    _unlock(qtbot, ctl)
    ctl.window.close()
    qtbot.waitUntil(lambda: ctl._close_box is not None and ctl._close_box.isVisible(),
                    timeout=2_000)
    qtbot.mouseClick(_close_box_button(ctl, "Cancel"), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: ctl._close_box is None, timeout=2_000)
    assert ctl.window.isVisible() and ctl.vault is not None
    assert ctl.settings.close_to_tray == "ask"


def test_without_a_tray_closing_the_window_quits_as_before(qtbot, controller: AppController):
    assert controller.tray is not None and not controller.tray.available
    _unlock(qtbot, controller)
    controller.window.close()
    assert controller._quitting and controller.vault is None
    assert controller._close_box is None


# -- preferences -----------------------------------------------------------------------------
def _preferences(ctl: AppController) -> PreferencesDialog:
    ctl.open_preferences()
    return next(w for w in QApplication.topLevelWidgets()
                if isinstance(w, PreferencesDialog) and w.isVisible())


def _row(dialog: PreferencesDialog, code: str) -> int:
    table = dialog.templates
    return next(r for r in range(table.rowCount())
                if table.item(r, 0).data(Qt.ItemDataRole.UserRole) == code)


def test_preferences_save_template_codes_and_update_the_policy(qtbot, controller: AppController):
    _unlock(qtbot, controller)
    dialog = _preferences(controller)
    dialog.templates.item(_row(dialog, "other"), 1).setText("7d, 30d,90D")
    assert dialog.ok_button.isEnabled() and dialog.template_error.isHidden()
    dialog.accept()
    saved = json.loads(controller.data.settings.read_text())
    assert saved["followup_templates"] == {"other": "7d, 30d, 90d"}
    assert controller.vault.followup_policy.templates["other"] == parse_steps("7d, 30d, 90d")


def test_preferences_reject_unreadable_steps_inline(qtbot, controller: AppController):
    _unlock(qtbot, controller)
    before = controller.data.settings.read_text()
    dialog = _preferences(controller)
    dialog.templates.item(_row(dialog, "line_of_duty_death"), 1).setText("24h, 5x")
    assert not dialog.ok_button.isEnabled()
    assert not dialog.template_error.isHidden()
    assert "Line-of-duty death" in dialog.template_error.text()
    assert "'5x' is not a step" in dialog.template_error.text()
    dialog.accept()  # refused
    assert dialog.isVisible()
    assert controller.data.settings.read_text() == before
    qtbot.mouseClick(dialog.reset_templates, Qt.MouseButton.LeftButton)
    assert dialog.ok_button.isEnabled() and dialog.template_error.isHidden()
    assert dialog.templates.item(_row(dialog, "line_of_duty_death"), 1).text() == \
        "24h, 72h, 7d, 30d, 90d, 1y"
    dialog.reject()


def test_preferences_time_zone_nudge_and_close_choice(qtbot, controller: AppController):
    dialog = _preferences(controller)  # also while locked
    dialog.zone.setCurrentIndex(dialog.zone.findData("America/Chicago"))
    assert dialog.zone.itemText(0).startswith("System (")
    dialog.nudge_on.setChecked(True)
    dialog.nudge_time.setTime(dialog.nudge_time.time().fromString("08:30", "HH:mm"))
    dialog.close_choice.setCurrentIndex(dialog.close_choice.findData("tray"))
    dialog.accept()
    saved = json.loads(controller.data.settings.read_text())
    assert (saved["time_zone"], saved["daily_nudge"], saved["close_to_tray"]) == (
        "America/Chicago", "08:30", "tray")
    assert controller.reminders.nudge_at == time(8, 30)
    assert controller.reminders.zone.key == "America/Chicago"
    _unlock(qtbot, controller)
    assert controller.vault.followup_policy.zone == "America/Chicago"


def test_preferences_start_at_login_writes_the_autostart_entry(qtbot, controller: AppController,
                                                               monkeypatch, tmp_path: Path):
    from peersupport import autostart

    if not autostart.supported():
        pytest.skip("autostart entries are written on Linux only")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    entry = tmp_path / "config" / "autostart" / "peersupport.desktop"
    dialog = _preferences(controller)
    assert dialog.start_login.isEnabled()
    dialog.start_login.setChecked(True)
    dialog.accept()
    assert entry.is_file()
    assert f"--data-dir {controller.data.root}" in entry.read_text()
    assert controller.settings.start_at_login
    dialog = _preferences(controller)
    assert dialog.start_login.isChecked()
    dialog.start_login.setChecked(False)
    dialog.accept()
    assert not entry.exists()


def test_every_preferences_input_has_an_accessible_name(qtbot):
    dialog = PreferencesDialog(settings_mod.Settings(), tray_available=False,
                               autostart_supported=False)
    qtbot.addWidget(dialog)
    inputs = [w for kind in (QComboBox, QCheckBox, QSpinBox, QTimeEdit, QTableWidget,
                             QPushButton)
              for w in dialog.findChildren(kind)
              if w.parent() is not None and not isinstance(w.parent(), QComboBox | QSpinBox)]
    buttons = set(dialog.buttons.buttons())
    unnamed = [w for w in inputs if w not in buttons and not w.accessibleName()]
    assert inputs and not unnamed, [type(w).__name__ for w in unnamed]
    assert not dialog.close_choice.isEnabled() and not dialog.start_login.isEnabled()


def test_a_change_in_the_followups_panel_recounts_at_once(qtbot, controller: AppController,
                                                          clock: FakeClock):
    _unlock(qtbot, controller)
    page = getattr(controller.window.workspace, "followups_page", None)
    if page is None:
        pytest.skip("the follow-ups panel is not part of this build")
    clock.at(25)
    controller.reminders.check()
    assert controller.reminders.due_now == 1
    followups = controller.vault.followups()
    item = followups.board().item("today", 0)  # due at 12:00 UTC, now 13:00
    followups.snooze(item.plan_id, item.step_id, clock() + timedelta(hours=1))
    page.changed.emit()
    assert controller.reminders.due_now == 0
    texts, _ = _recorder(controller.reminders)
    clock.at(26.5)  # the snooze is over: it reminds again
    controller.reminders.check()
    assert texts == ["1 peer follow-up due"]
