"""The officers page: masked aliases, timelines, merge and forget with named confirmations."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

import pytest
from PySide6.QtWidgets import QInputDialog, QMessageBox

from peersupport.domain.officer import Officer
from peersupport.services.checkins import CheckinService
from peersupport.services.vault import UnlockedVault
from peersupport.ui.officer_detail import IdRole
from peersupport.ui.officers_page import OfficersPage
from peersupport.ui.presentation import MASK
from tests.test_ui_checkins_page import TZ, make_checkin, screen_texts, seed, settle, spread

CANARY_ALIAS = "Zq7CanaryOfficerXv"
CANARY_NAME = "Wq4CanaryFullNameZt"


@pytest.fixture
def checkins(vault: UnlockedVault) -> CheckinService:
    return vault.checkins()


@pytest.fixture
def people(checkins: CheckinService) -> dict[str, Officer]:
    """Bravo 12 has three check-ins of their own and is named in one group check-in."""
    bravo = Officer(alias=CANARY_ALIAS, full_name=CANARY_NAME, contact="555 0100")
    dup = Officer(alias="Bravo Twelve")
    harbor = Officer(alias="Harbor 7")
    seed(checkins, [
        *spread(bravo, {"2025-06": 2, "2025-04": 1}, notes="talked"),
        *spread(dup, {"2025-05": 1}),
        make_checkin(harbor, datetime(2025, 3, 2, 9, 0, tzinfo=TZ), contact="debriefing",
                     group=[bravo]),
        make_checkin(None, datetime(2025, 3, 1, 9, 0, tzinfo=TZ), contact="defusing",
                     headcount=4, group=[harbor, bravo]),
    ], [bravo, dup, harbor])
    return {"bravo": bravo, "dup": dup, "harbor": harbor}


@pytest.fixture
def page(qtbot, checkins: CheckinService, people: dict[str, Officer]) -> Iterator[OfficersPage]:
    widget = OfficersPage(checkins)
    qtbot.addWidget(widget)
    widget.resize(900, 560)
    widget.show()
    yield widget
    widget.clear()
    settle()


def listed(page: OfficersPage) -> list[str]:
    return [page.list.item(r).text() for r in range(page.list.count())]


def ready(qtbot, page: OfficersPage, count: int) -> None:
    qtbot.waitUntil(lambda: page.list.count() == count, timeout=10_000)


def answer(asked: list[str], reply: QMessageBox.StandardButton):
    def question(_parent, _title, text, *_args):
        asked.append(text)
        return reply
    return question


def test_loads_when_shown_not_before(qtbot, checkins, people):
    page = OfficersPage(checkins)
    qtbot.addWidget(page)
    page.reload()
    settle()
    assert page.list.count() == 0  # hidden: nothing decrypted yet
    page.show()
    ready(qtbot, page, 3)
    page.clear()


def test_aliases_are_masked_until_selected_found_or_shown(qtbot, page, people):
    ready(qtbot, page, 3)
    assert listed(page) == [MASK] * 3
    assert page.status.text() == "3 officers"
    page.select_officer(people["harbor"].id)
    assert listed(page).count(MASK) == 2 and "Harbor 7" in listed(page)
    assert not any(CANARY_ALIAS in t for t in listed(page))

    page.find_field.setText("bravo")  # typing a name reveals the ones that match
    visible = [page.list.item(r).text() for r in range(3) if not page.list.item(r).isHidden()]
    assert visible == ["Bravo Twelve"]
    page.find_field.setText(CANARY_NAME[:8])  # the full name matches too
    visible = [page.list.item(r).text() for r in range(3) if not page.list.item(r).isHidden()]
    assert visible == [CANARY_ALIAS]
    page.find_field.clear()
    page.show_names.setChecked(True)
    assert sorted(listed(page)) == sorted(["Bravo Twelve", "Harbor 7", CANARY_ALIAS])


def test_timeline_lists_own_and_group_check_ins(qtbot, page, people):
    ready(qtbot, page, 3)
    page.select_officer(people["bravo"].id)
    assert page.detail.title.text() == CANARY_ALIAS and page.detail.full_name.text() == CANARY_NAME
    qtbot.waitUntil(lambda: page.detail.timeline.topLevelItemCount() == 5, timeout=5_000)
    rows = [[page.detail.timeline.topLevelItem(i).text(c) for c in range(4)] for i in range(5)]
    assert rows[0] == ["20 Jun 2025 09:30", "Cumulative stress / not incident-related",
                       "Phone", "Main"]
    assert [r[3] for r in rows] == ["Main", "Main", "Main", "In group", "In group"]
    assert page.detail.timeline_title.text() == "5 check-ins"
    with qtbot.waitSignal(page.open_requested) as opened:
        page.detail.timeline.itemActivated.emit(page.detail.timeline.topLevelItem(0), 0)
    assert opened.args[0] == page.detail.timeline.topLevelItem(0).data(0, IdRole)


def test_merge_asks_names_both_and_moves_every_check_in(
    qtbot, page, people, checkins, monkeypatch
):
    ready(qtbot, page, 3)
    dup, bravo = people["dup"], people["bravo"]
    page.select_officer(dup.id)
    qtbot.waitUntil(lambda: page.detail.timeline.topLevelItemCount() == 1, timeout=5_000)
    offered: list[list[str]] = []

    def pick(_parent, _title, label, items, *_args):
        offered.append([label, *items])
        return CANARY_ALIAS, True

    asked: list[str] = []
    monkeypatch.setattr(QInputDialog, "getItem", pick)
    monkeypatch.setattr(QMessageBox, "question", answer(asked, QMessageBox.StandardButton.Yes))
    with qtbot.waitSignal(page.changed, timeout=10_000):
        page.detail.merge_button.click()
    assert offered == [["Merge Bravo Twelve into:", "Harbor 7", CANARY_ALIAS]]
    assert asked[0].startswith(f"Merge Bravo Twelve into {CANARY_ALIAS}?")
    assert f"Their 1 check-in moves to {CANARY_ALIAS}" in asked[0]
    assert "cannot be undone" in asked[0]
    assert {o.alias for o in checkins.officers()} == {CANARY_ALIAS, "Harbor 7"}
    assert len(checkins.timeline(bravo.id)) == 6
    ready(qtbot, page, 2)
    qtbot.waitUntil(lambda: page.current_id() == bravo.id
                    and page.detail.timeline.topLevelItemCount() == 6, timeout=5_000)
    assert page.status.text() == "Merged: 1 check-in moved."


def test_merge_cancelled_changes_nothing(qtbot, page, people, checkins, monkeypatch):
    ready(qtbot, page, 3)
    page.select_officer(people["dup"].id)
    monkeypatch.setattr(QInputDialog, "getItem", lambda *a: ("Harbor 7", True))
    monkeypatch.setattr(QMessageBox, "question",
                        answer([], QMessageBox.StandardButton.Cancel))
    page.detail.merge_button.click()
    settle()
    assert len(checkins.officers()) == 3


def test_forget_names_what_goes_then_erases_it(qtbot, page, people, checkins, monkeypatch):
    ready(qtbot, page, 3)
    bravo = people["bravo"]
    page.select_officer(bravo.id)
    asked: list[str] = []
    monkeypatch.setattr(QMessageBox, "question",
                        answer(asked, QMessageBox.StandardButton.Cancel))
    page.detail.forget_button.click()
    qtbot.waitUntil(lambda: bool(asked), timeout=5_000)
    assert asked[0].startswith(
        f"Forget {CANARY_ALIAS}: deletes 3 check-ins and removes them from 2 group "
        "check-ins. This cannot be undone.")
    assert checkins.count() == 6 and len(checkins.officers()) == 3

    monkeypatch.setattr(QMessageBox, "question", answer(asked, QMessageBox.StandardButton.Yes))
    with qtbot.waitSignal(page.changed, timeout=10_000):
        page.detail.forget_button.click()
    assert checkins.count() == 3
    assert bravo.id not in {o.id for o in checkins.officers()}
    assert all(bravo.id not in s.group_officer_ids for s in checkins.summaries()[0])
    ready(qtbot, page, 2)
    assert page.status.text() == "Officer forgotten: 3 check-ins deleted."
    assert page.current_id() is None and page.detail.placeholder.isVisibleTo(page)
    assert not any(CANARY_ALIAS in t or CANARY_NAME in t for t in screen_texts())


def test_clear_leaves_no_name_on_screen(qtbot, page, people):
    ready(qtbot, page, 3)
    qtbot.keyClicks(page.find_field, "zq7")
    page.show_names.setChecked(True)
    page.select_officer(people["bravo"].id)
    qtbot.waitUntil(lambda: page.detail.timeline.topLevelItemCount() == 5, timeout=5_000)
    assert any(CANARY_NAME in t for t in screen_texts())
    page.clear()
    assert not any(CANARY_ALIAS in t or CANARY_NAME in t for t in screen_texts())
    assert not page.find_field.isUndoAvailable()
    assert page.list.count() == 0 and page.detail.timeline.topLevelItemCount() == 0
    assert not page.show_names.isChecked()
