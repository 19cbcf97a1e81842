"""Search: results arrive progressively from a background thread, names are masked, a change
of text or a lock cancels it, nothing of it reaches the disk, and no thread is left behind."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from PySide6.QtCore import Qt

from peersupport.domain.officer import Officer
from peersupport.services.checkins import CheckinService
from peersupport.services.vault import UnlockedVault
from peersupport.ui import search_panel
from peersupport.ui.presentation import MASK
from peersupport.ui.search_panel import SearchPanel
from tests._support import scan
from tests.test_ui_checkins_page import (
    TZ,
    _flip_last_byte,
    make_checkin,
    screen_texts,
    seed,
    settle,
)

CANARY_ALIAS = "Zq7CanarySearchOfficerXv"
NEEDLE = "kq3needle"


@pytest.fixture
def checkins(vault: UnlockedVault) -> CheckinService:
    return vault.checkins()


@pytest.fixture
def bravo() -> Officer:
    return Officer(alias=CANARY_ALIAS, contact="bravo@example.invalid")


def many(checkins: CheckinService, officer: Officer, count: int, notes: str) -> list[str]:
    start = datetime(2025, 6, 28, 9, 30, tzinfo=TZ)
    records = [
        make_checkin(officer, start - timedelta(days=i), notes=f"{notes} number {i}",
                     category="line_of_duty_injury")
        for i in range(count)
    ]
    return [c.id for c in seed(checkins, records, [officer])]


@pytest.fixture
def panel(qtbot, checkins: CheckinService) -> Iterator[SearchPanel]:
    widget = SearchPanel(checkins)
    qtbot.addWidget(widget)
    widget.resize(800, 500)
    widget.show()
    yield widget
    widget.clear()
    settle()


def search_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "peersupport-search"]


def lines(panel: SearchPanel) -> list[str]:
    return [panel.results.item(r).text() for r in range(panel.results.count())]


def test_results_arrive_in_batches_as_they_are_found(qtbot, panel, checkins, bravo):
    ids = many(checkins, bravo, 80, f"Talked about the {NEEDLE} incident")
    counts: list[int] = []
    panel.progress.connect(counts.append)
    with qtbot.waitSignal(panel.finished, timeout=20_000) as done:
        qtbot.keyClicks(panel.field, NEEDLE)
        qtbot.keyClick(panel.field, Qt.Key.Key_Return)
    assert done.args == [80]
    assert len(counts) >= 3 and counts == sorted(counts) and counts[-1] == 80
    assert sorted(panel.result_ids()) == sorted(ids)
    first = lines(panel)[0].splitlines()
    assert first[0] == f"28 Jun 2025 09:30 · Serious line-of-duty injury · {MASK}"
    assert first[1].strip() == f"Notes: Talked about the {NEEDLE} incident number 0"
    assert panel.status.text() == "80 check-ins found. Enter or double-click opens one."
    assert not search_threads()


def test_typing_waits_a_moment_then_searches(qtbot, panel, checkins, bravo):
    many(checkins, bravo, 3, f"a {NEEDLE}")
    with qtbot.waitSignal(panel.finished, timeout=10_000) as done:
        qtbot.keyClicks(panel.field, NEEDLE)
    assert done.args == [3]
    panel.field.clear()
    assert panel.results.count() == 0


def test_officer_hits_are_masked_until_selected_or_shown(qtbot, panel, checkins, bravo):
    many(checkins, bravo, 2, "nothing relevant")
    with qtbot.waitSignal(panel.finished, timeout=10_000):
        panel.search("bravo@example")
    assert panel.results.count() == 2
    assert all(CANARY_ALIAS not in text for text in lines(panel))
    assert "Officer: name or contact details match" in lines(panel)[0]
    panel.results.setCurrentRow(0)
    assert CANARY_ALIAS in lines(panel)[0] and CANARY_ALIAS not in lines(panel)[1]
    panel.show_names.setChecked(True)
    assert all(CANARY_ALIAS in text for text in lines(panel))


def test_activating_a_result_asks_to_open_it(qtbot, panel, checkins, bravo):
    ids = many(checkins, bravo, 1, NEEDLE)
    with qtbot.waitSignal(panel.finished, timeout=10_000):
        panel.search(NEEDLE)
    with qtbot.waitSignal(panel.open_requested) as opened:
        panel.results.itemActivated.emit(panel.results.item(0))
    assert opened.args == ids


def test_a_damaged_check_in_is_flagged_in_the_results(qtbot, panel, vault, checkins, bravo):
    ids = many(checkins, bravo, 2, NEEDLE)
    _flip_last_byte(vault, ids[1], "summary_sealed")
    with qtbot.waitSignal(panel.finished, timeout=10_000):
        panel.search(NEEDLE)
    texts = lines(panel)
    assert sum("failed its integrity check" in t for t in texts) == 1


def test_check_ins_that_cannot_be_searched_are_counted(qtbot, panel, vault, checkins, bravo):
    ids = many(checkins, bravo, 3, NEEDLE)
    _flip_last_byte(vault, ids[0], "notes_sealed")
    with qtbot.waitSignal(panel.finished, timeout=10_000) as done:
        panel.search(NEEDLE)
    assert done.args == [2]
    assert panel.damaged.isVisibleTo(panel)
    assert panel.damaged.text().startswith(
        "⚠ 1 check-in could not be searched: it failed its integrity check.")
    panel.clear()
    assert not panel.damaged.isVisibleTo(panel) and panel.damaged.text() == ""


def test_too_many_matches_stop_at_the_limit(qtbot, panel, checkins, bravo, monkeypatch):
    monkeypatch.setattr(search_panel, "MAX_RESULTS", 10)
    many(checkins, bravo, 30, NEEDLE)
    with qtbot.waitSignal(panel.finished, timeout=10_000) as done:
        panel.search(NEEDLE)
    assert done.args == [10]
    assert panel.status.text().startswith("Showing the first 10 check-ins found.")
    qtbot.waitUntil(lambda: not search_threads(), timeout=5_000)


def test_new_text_cancels_the_running_search(qtbot, panel, checkins, bravo):
    many(checkins, bravo, 150, NEEDLE)
    seed(checkins, [make_checkin(bravo, datetime(2025, 1, 2, 9, 0, tzinfo=TZ),
                                notes="zebra crossing")])
    panel.search(NEEDLE)
    with qtbot.waitSignal(panel.finished, timeout=20_000) as done:
        panel.search("zebra")
    assert done.args == [1]
    assert lines(panel)[0].splitlines()[1].strip() == "Notes: zebra crossing"
    qtbot.waitUntil(lambda: not search_threads(), timeout=5_000)


def test_clear_stops_the_thread_and_wipes_everything(qtbot, panel, checkins, bravo):
    many(checkins, bravo, 200, f"{NEEDLE} with {CANARY_ALIAS}")
    panel.show_names.setChecked(True)
    qtbot.keyClicks(panel.field, NEEDLE)
    qtbot.keyClick(panel.field, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: panel.results.count() > 0, timeout=10_000)
    assert any(CANARY_ALIAS in t for t in screen_texts())
    panel.clear()  # as the vault locks: mid-search
    assert not panel.is_searching() and not search_threads()
    assert panel.field.text() == "" and panel.results.count() == 0
    assert not panel.field.isUndoAvailable()  # Ctrl+Z cannot bring the text back
    assert not panel.show_names.isChecked()
    settle()
    qtbot.wait(50)  # a batch already posted must not come back
    assert panel.results.count() == 0
    assert not any(CANARY_ALIAS in t or NEEDLE in t for t in screen_texts())


def test_destroying_the_panel_stops_its_search(qtbot, checkins, bravo):
    many(checkins, bravo, 200, NEEDLE)
    panel = SearchPanel(checkins)
    panel.search(NEEDLE)
    assert search_threads()
    panel.deleteLater()
    qtbot.waitUntil(lambda: not search_threads(), timeout=5_000)


def test_nothing_of_the_search_reaches_the_disk(qtbot, panel, vault, checkins, bravo):
    many(checkins, bravo, 5, "ordinary notes")
    secret = "Jx8SearchTextCanary"
    with qtbot.waitSignal(panel.finished, timeout=10_000) as done:
        panel.search(secret)
    assert done.args == [0] and panel.status.text() == "Nothing found."
    panel.clear()
    vault.lock()
    import os
    from pathlib import Path

    roots = [vault.data_dir.root, Path(os.environ["HOME"])]
    assert not [hit for root in roots for hit in scan(root, [secret])]


def test_locking_the_app_mid_search_stops_it_and_wipes_every_page(qtbot, vault, bravo):
    from peersupport.ui.app import AppController
    from peersupport.ui.tasks import wait_for_tasks
    from tests.conftest import FAST_TEST_PROFILE, PASSPHRASE

    many(vault.checkins(), bravo, 300, f"{NEEDLE} {CANARY_ALIAS}")
    vault.lock()
    controller = AppController(vault.data_dir.root, FAST_TEST_PROFILE)
    with qtbot.waitSignal(controller.ready, timeout=5_000):
        assert controller.start()
    qtbot.addWidget(controller.window)
    try:
        screen = controller.window.lock_screen
        qtbot.keyClicks(screen.passphrase, PASSPHRASE)
        with qtbot.waitSignal(controller.unlocked, timeout=10_000):
            qtbot.keyClick(screen.passphrase, Qt.Key.Key_Return)
        workspace = controller.window.workspace
        page = workspace.checkins_page
        qtbot.waitUntil(lambda: page.model.rowCount() > 0, timeout=10_000)
        page.show_names.setChecked(True)
        workspace.focus_search()
        workspace.search_panel.search(NEEDLE)
        qtbot.waitUntil(lambda: workspace.search_panel.results.count() > 0, timeout=10_000)
        assert any(CANARY_ALIAS in t for t in screen_texts())
        with qtbot.waitSignal(controller.locked, timeout=5_000):
            controller.lock()
        assert not search_threads()
        qtbot.waitUntil(lambda: not any(CANARY_ALIAS in t or NEEDLE in t
                                        for t in screen_texts()), timeout=5_000)
    finally:
        controller.shutdown()
        wait_for_tasks()
