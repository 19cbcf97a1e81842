"""Legal holds and retention in the window, offscreen: a held check-in and a held officer say
"Legal hold" in their detail panes, deleting or forgetting them shows why it was refused and
changes nothing, and unlocking with a retention policy on purges and says so."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from peersupport import settings as settings_mod
from peersupport.domain.officer import Officer
from peersupport.services.checkins import CheckinService
from peersupport.services.retention import RetentionService
from peersupport.services.vault import UnlockedVault, VaultService
from peersupport.ui.app import AppController
from peersupport.ui.checkins_page import CheckinsPage
from peersupport.ui.officers_page import OfficersPage
from peersupport.ui.tasks import wait_for_tasks
from tests.conftest import FAST_TEST_PROFILE, PASSPHRASE
from tests.test_ui_checkins_page import TZ, loaded, make_checkin, seed, settle


@pytest.fixture
def checkins(vault: UnlockedVault) -> CheckinService:
    return vault.checkins()


@pytest.fixture
def heron() -> Officer:
    return Officer(alias="Heron 4", full_name="Dana Reyes")


@pytest.fixture
def checkins_page(qtbot, checkins: CheckinService) -> Iterator[CheckinsPage]:
    widget = CheckinsPage(checkins)
    qtbot.addWidget(widget)
    widget.resize(1000, 600)
    widget.show()
    yield widget
    widget.clear()
    settle()


def test_a_held_check_in_says_legal_hold_and_refuses_deletion(
        qtbot, checkins_page: CheckinsPage, checkins: CheckinService, heron: Officer) -> None:
    held, free = seed(checkins, [
        make_checkin(heron, datetime(2025, 6, 20, 9, 30, tzinfo=TZ), notes="kept"),
        make_checkin(heron, datetime(2025, 6, 10, 9, 30, tzinfo=TZ)),
    ], [heron])
    checkins.retention().hold_checkin(held.id)
    page = checkins_page
    page.reload()
    loaded(qtbot, page, 2)

    page.show_checkin(free.id)
    qtbot.waitUntil(lambda: page.detail.current_id() == free.id
                    and page.detail.values["officer"].text() != "", timeout=5_000)
    assert not page.detail.hold_label.isVisible()

    page.show_checkin(held.id)
    qtbot.waitUntil(lambda: page.detail.current_id() == held.id
                    and page.detail.values["officer"].text() != "", timeout=5_000)
    assert page.detail.hold_label.isVisible()
    assert page.detail.hold_label.text().startswith("Legal hold")

    page.detail.delete_button.click()
    assert page.delete_question is not None
    page.delete_question.mistake_button.click()
    qtbot.waitUntil(lambda: page.error_banner.isVisible(), timeout=5_000)
    assert "legal hold" in page.error_banner.text()
    assert checkins.count() == 2
    assert checkins.get(held.id).checkin.notes == "kept"


def test_a_held_officer_says_legal_hold_and_forgetting_is_refused(
        qtbot, checkins: CheckinService, heron: Officer, monkeypatch) -> None:
    owl = Officer(alias="Owl 2")
    seed(checkins, [make_checkin(heron, datetime(2025, 6, 20, 9, 30, tzinfo=TZ)),
                    make_checkin(owl, datetime(2025, 6, 21, 9, 30, tzinfo=TZ))], [heron, owl])
    checkins.retention().hold_officer(heron.id)
    page = OfficersPage(checkins)
    qtbot.addWidget(page)
    page.resize(900, 560)
    page.show()
    try:
        qtbot.waitUntil(lambda: page.list.count() == 2, timeout=10_000)
        page.select_officer(owl.id)
        qtbot.waitUntil(lambda: page.detail.timeline.topLevelItemCount() == 1, timeout=5_000)
        assert not page.detail.is_held()
        page.select_officer(heron.id)
        qtbot.waitUntil(lambda: page.detail.is_held(), timeout=5_000)
        assert page.detail.hold_state.text().startswith("Legal hold")

        monkeypatch.setattr(QMessageBox, "question",
                            lambda *_a: QMessageBox.StandardButton.Yes)
        page.detail.forget_button.click()
        qtbot.waitUntil(lambda: page.error.isVisible(), timeout=5_000)
        assert "legal hold" in page.error.text()
        assert checkins.count() == 2 and len(checkins.officers()) == 2
    finally:
        page.clear()
        settle()


def test_unlocking_with_a_policy_on_purges_and_says_so(qtbot, vault: UnlockedVault,
                                                       heron: Officer) -> None:
    now = datetime.now(UTC)
    old = make_checkin(heron, now - timedelta(days=200), notes="old narrative")
    recent = make_checkin(heron, now - timedelta(days=2), notes="recent narrative")
    seed(vault.checkins(), [old, recent], [heron])
    root = vault.data_dir.root
    settings_mod.save(vault.data_dir.settings, settings_mod.Settings(notes_expire_days=90))
    vault.lock()

    ctl = AppController(root, FAST_TEST_PROFILE)
    try:
        with qtbot.waitSignal(ctl.ready, timeout=5_000):
            assert ctl.start()
        assert ctl.window is not None
        qtbot.addWidget(ctl.window)
        screen = ctl.window.lock_screen
        qtbot.keyClicks(screen.passphrase, PASSPHRASE)
        with qtbot.waitSignal(ctl.unlocked, timeout=10_000):
            qtbot.mouseClick(screen.unlock_button, Qt.MouseButton.LeftButton)
        window = ctl.window
        qtbot.waitUntil(lambda: "Retention" in window.statusBar().currentMessage(),
                        timeout=10_000)
        assert "1 check-in" in window.statusBar().currentMessage()
        assert ctl._retention_timer is not None and ctl._retention_timer.isActive()
        ctl.lock()
        assert not ctl._retention_timer.isActive()
    finally:
        ctl.shutdown()
        wait_for_tasks()
    reopened = VaultService(vault.data_dir, FAST_TEST_PROFILE).unlock(PASSPHRASE)
    try:
        service = reopened.checkins()
        assert service.get(old.id).checkin.notes == ""
        assert service.get(recent.id).checkin.notes == "recent narrative"
        assert not RetentionService(reopened).holds()
    finally:
        reopened.lock()
