"""The program supervisor's side, driven through real widgets: setting up, unlocking, importing
signed statistics files (good, tampered, duplicate, unknown signer), the dashboard, exports and
locking."""

from __future__ import annotations

import os
import pickle
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from PySide6.QtCharts import QChartView
from PySide6.QtCore import QCoreApplication, QEvent, QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent
from PySide6.QtWidgets import (
    QAbstractButton,
    QDialog,
    QLineEdit,
    QMessageBox,
    QTabBar,
    QTableWidget,
    QWizard,
)

from peersupport.crypto import stats_file
from peersupport.crypto.secret import SecretKey
from peersupport.domain.stats import (
    DIMENSIONS,
    MONTH,
    QUARTER,
    SUPPRESSED,
    AtLeast,
    ShownTable,
    ShownValue,
    dimension_codes,
    number,
    quarter_of,
)
from peersupport.paths import DataDir, ensure
from peersupport.services import demo
from peersupport.services.statistics import ShareRange
from peersupport.services.vault import VaultService, new_recovery_key
from peersupport.supervisor.profile import (
    PROFILE_FILENAME,
    Dashboard,
    SupervisorProfile,
    csv_text,
    suppression_rule_text,
)
from peersupport.ui.app import AppController
from peersupport.ui.supervisor import window as window_mod
from peersupport.ui.supervisor.charts import shown_text
from peersupport.ui.supervisor.window import SupervisorWindow
from peersupport.ui.tasks import wait_for_tasks
from tests.conftest import FAST_TEST_PROFILE, PASSPHRASE

SUPERVISOR_PASSPHRASE = "marigold copper glacier whistle"
PROGRAM = "Riverside County Peer Team"
B = QWizard.WizardButton


# -- statistics files from two supporters' vaults ---------------------------------------------
@dataclass(frozen=True)
class Files:
    good: Path  # supporter A, by month, every month
    again: Path  # supporter A, the same months shared again a month later (a duplicate)
    tampered: Path  # the good file with one count changed after signing
    other: Path  # supporter B, by month
    quarterly: Path  # supporter C, by quarter
    mixed_month: Path  # supporter D: A's monthly tables...
    mixed_quarter: Path  # ...and C's quarterly ones, both signed by D (they overlap)

    def fingerprint(self, path: Path) -> str:
        return stats_file.read(path.read_bytes()).fingerprint

    def pseudonym(self, path: Path) -> str:
        return stats_file.read(path.read_bytes()).pseudonym


def _supporter_files(root: Path, seed: int, granularity: str,
                     *when: datetime) -> list[bytes]:
    """A supporter's vault with demo contacts, sharing every month it has (by
    ``granularity``) once per ``when``."""
    key, _ = new_recovery_key()
    vault = VaultService(ensure(root), FAST_TEST_PROFILE).create(PASSPHRASE,
                                                                  SecretKey(key.raw()))
    try:
        demo.fill(vault, 300, seed=seed)
        month_range = vault.statistics().month_range()
        assert month_range is not None
        share = ShareRange(*month_range, granularity)
        return [vault.statistics().export(share, 5, now=now) for now in when]
    finally:
        vault.lock()


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> Files:
    where = tmp_path_factory.mktemp("psstats")
    first, later = datetime(2026, 12, 1, tzinfo=UTC), datetime(2027, 1, 4, tzinfo=UTC)
    good, again = _supporter_files(where / "vault-a", 1, MONTH, first, later)
    (other,) = _supporter_files(where / "vault-b", 2, MONTH, first)
    (quarterly,) = _supporter_files(where / "vault-c", 3, QUARTER, first)
    text = good.decode("utf-8")
    match = re.search(r'"total": (\d+)', text)
    assert match is not None
    count = match.group(1)
    flipped = count[:-1] + str((int(count[-1]) + 1) % 10)  # one digit of one count
    tampered = text[:match.start(1)] + flipped + text[match.end(1):]
    signing_key, _ = stats_file.generate_signing_key()
    mixed = []
    for data in (good, quarterly):
        verified = stats_file.read(data)
        mixed.append(stats_file.write(signing_key, verified.granularity, verified.periods,
                                      verified.k, verified.made, verified.tables))
    out = {}
    for name, data in (("good", good), ("again", again), ("tampered", tampered.encode()),
                       ("other", other), ("quarterly", quarterly),
                       ("mixed_month", mixed[0]), ("mixed_quarter", mixed[1])):
        path = where / f"{name}.psstats"
        path.write_bytes(data)
        out[name] = path
    return Files(**out)


# -- helpers ----------------------------------------------------------------------------------
def make_profile(folder: Path, *, only_pinned: bool = False) -> Path:
    profile = SupervisorProfile.create(folder, SUPERVISOR_PASSPHRASE, PROGRAM, FAST_TEST_PROFILE)
    if only_pinned:
        profile.set_policy(accept_only_pinned=True)
    profile.close()
    return folder / PROFILE_FILENAME


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    where = tmp_path / "supervisor"
    where.mkdir()
    make_profile(where)
    return where


@pytest.fixture
def window(qtbot, folder: Path) -> Iterator[SupervisorWindow]:
    w = SupervisorWindow(folder, FAST_TEST_PROFILE)
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    yield w
    w.lock()
    wait_for_tasks()


def click(qtbot, button: QAbstractButton) -> None:
    assert button.isEnabled()
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def unlock(qtbot, w: SupervisorWindow, passphrase: str = SUPERVISOR_PASSPHRASE) -> None:
    page = w.lock_page
    page.passphrase.clear()
    qtbot.keyClicks(page.passphrase, passphrase)
    click(qtbot, page.unlock_button)


def unlocked(qtbot, w: SupervisorWindow) -> SupervisorWindow:
    unlock(qtbot, w)
    qtbot.waitUntil(w.is_unlocked, timeout=10_000)
    return w


def button_named(box: QMessageBox, text: str) -> QAbstractButton:
    found = [b for b in box.buttons() if b.text().replace("&", "") == text]
    assert found, [b.text() for b in box.buttons()]
    return found[0]


def wait_question(qtbot, w: SupervisorWindow) -> QMessageBox:
    qtbot.waitUntil(lambda: w.question is not None and w.question.isVisible(), timeout=10_000)
    assert w.question is not None
    return w.question


def wait_summary(qtbot, w: SupervisorWindow) -> str:
    """The end-of-import summary as the user reads it; closes it."""
    qtbot.waitUntil(lambda: w.summary_box is not None and w.summary_box.isVisible(),
                    timeout=10_000)
    box = w.summary_box
    assert box is not None
    text = box.text() + "\n" + box.informativeText()
    box.accept()
    qtbot.waitUntil(lambda: w.summary_box is None)
    return text


def import_pinning(qtbot, w: SupervisorWindow, path: Path) -> str:
    """Import a file from a new supporter, answering Pin and import."""
    w.import_files([path])
    box = wait_question(qtbot, w)
    click(qtbot, button_named(box, "Pin and import"))
    return wait_summary(qtbot, w)


def flush_deletes() -> None:
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)


def table_texts(w: SupervisorWindow) -> list[str]:
    texts = []
    for table in w.findChildren(QTableWidget):
        for r in range(table.rowCount()):
            for c in range(table.columnCount()):
                item = table.item(r, c)
                if item is not None:
                    texts.append(item.text())
    return texts


def shown_numbers(text: str) -> list[int]:
    return [int(n.replace(",", "")) for n in re.findall(r"\d[\d,]*", text)]


# -- first run --------------------------------------------------------------------------------
def test_first_run_as_supervisor_creates_a_profile_and_opens_the_window(
    qtbot, data_dir: DataDir
) -> None:
    ctl = AppController(data_dir.root, FAST_TEST_PROFILE)
    try:
        assert ctl.start()
        wizard = ctl.wizard
        assert wizard is not None and wizard.isVisible()
        role = wizard.role_page  # type: ignore[attr-defined]
        assert wizard.currentPage() is role  # type: ignore[attr-defined]
        click(qtbot, role.supervisor)
        click(qtbot, wizard.button(B.NextButton))  # type: ignore[attr-defined]
        page = wizard.supervisor_page  # type: ignore[attr-defined]
        assert wizard.currentPage() is page  # type: ignore[attr-defined]
        setup = page.setup
        assert not setup.create_button.isEnabled()
        qtbot.keyClicks(setup.name, PROGRAM)
        qtbot.keyClicks(setup.chooser.first, "password1")
        qtbot.keyClicks(setup.chooser.second, "password1")
        assert not setup.create_button.isEnabled()  # too weak
        setup.chooser.clear()
        qtbot.keyClicks(setup.chooser.first, SUPERVISOR_PASSPHRASE)
        qtbot.keyClicks(setup.chooser.second, SUPERVISOR_PASSPHRASE)
        click(qtbot, setup.create_button)
        finish = wizard.button(B.FinishButton)  # type: ignore[attr-defined]
        qtbot.waitUntil(finish.isEnabled, timeout=10_000)
        assert "ready" in setup.status.text()
        assert setup.chooser.first.text() == ""  # nothing of the passphrase left
        assert not wizard.button(B.BackButton).isEnabled()  # type: ignore[attr-defined]
        click(qtbot, finish)
        qtbot.waitUntil(lambda: ctl.supervisor_window is not None
                        and ctl.supervisor_window.isVisible())
        w = ctl.supervisor_window
        assert w is not None and w.is_unlocked()
        assert ctl.window is None  # never the supporter's window
        assert w.dashboard_page.title.text() == PROGRAM
        assert w.dashboard_page.empty is not None
        assert "No statistics yet" in w.dashboard_page.empty.text()
        assert (data_dir.root / PROFILE_FILENAME).is_file()
        assert not data_dir.database.exists()
    finally:
        ctl.shutdown()
        wait_for_tasks()

    # the next start finds the profile: the supervisor's lock page, not a wizard
    again = AppController(data_dir.root, FAST_TEST_PROFILE)
    try:
        assert again.start()
        assert again.wizard is None and again.window is None
        w = again.supervisor_window
        assert w is not None and w.isVisible() and not w.is_unlocked()
        assert w.pages.currentWidget() is w.lock_page
        unlock(qtbot, w)
        qtbot.waitUntil(w.is_unlocked, timeout=10_000)
        again.lock()  # the app's lock (idle, screen lock) locks the supervisor too
        assert not w.is_unlocked()
    finally:
        again.shutdown()
        wait_for_tasks()


def test_setup_refuses_a_folder_with_a_supporters_vault(qtbot, tmp_path: Path) -> None:
    from peersupport.ui.supervisor.setup import SupervisorSetup

    (tmp_path / "peersupport.db").write_bytes(b"a vault")
    setup = SupervisorSetup(tmp_path, FAST_TEST_PROFILE)
    qtbot.addWidget(setup)
    qtbot.keyClicks(setup.name, PROGRAM)
    qtbot.keyClicks(setup.chooser.first, SUPERVISOR_PASSPHRASE)
    qtbot.keyClicks(setup.chooser.second, SUPERVISOR_PASSPHRASE)
    setup.create_profile()
    qtbot.waitUntil(lambda: setup.error.text() != "", timeout=10_000)
    assert "folder of its own" in setup.error.text()
    assert not (tmp_path / PROFILE_FILENAME).exists()
    wait_for_tasks()


# -- unlocking --------------------------------------------------------------------------------
def test_wrong_passphrase_then_right(qtbot, window: SupervisorWindow) -> None:
    assert window.pages.currentWidget() is window.lock_page
    assert not window.toolbar.isVisible()
    assert not window.import_action.isEnabled()
    unlock(qtbot, window, "not the passphrase at all")
    qtbot.waitUntil(lambda: "does not open" in window.lock_page.status.text(), timeout=10_000)
    assert window.lock_page.status.isVisible()
    assert not window.is_unlocked()
    unlock(qtbot, window)
    qtbot.waitUntil(window.is_unlocked, timeout=10_000)
    assert window.pages.currentWidget() is window.dashboard_page
    assert window.lock_page.passphrase.text() == ""
    assert window.dashboard_page.title.text() == PROGRAM
    assert window.import_action.isEnabled()
    assert PROGRAM in window.windowTitle()


# -- importing --------------------------------------------------------------------------------
def test_a_new_supporter_is_pinned_after_the_fingerprint_is_shown(
    qtbot, window: SupervisorWindow, files: Files, folder: Path
) -> None:
    unlocked(qtbot, window)
    window.import_files([files.good])
    box = wait_question(qtbot, window)
    assert box.text() == "Pin this supporter's key?"
    fingerprint = files.fingerprint(files.good)
    assert fingerprint in box.informativeText()
    assert files.pseudonym(files.good) in box.informativeText()
    click(qtbot, button_named(box, "Pin and import"))
    summary = wait_summary(qtbot, window)
    assert "1 of 1 file(s) imported" in summary
    assert "good.psstats: Imported" in summary
    profile = window.profile
    assert profile is not None
    assert list(profile.pinned) == [fingerprint]
    assert len(profile.imports) == 1
    # saved: a fresh open sees it
    again = SupervisorProfile.open(folder, SUPERVISOR_PASSPHRASE, FAST_TEST_PROFILE)
    assert list(again.pinned) == [fingerprint]
    again.close()


def test_declining_to_pin_writes_nothing(
    qtbot, window: SupervisorWindow, files: Files, folder: Path
) -> None:
    unlocked(qtbot, window)
    before = (folder / PROFILE_FILENAME).read_bytes()
    window.import_files([files.good])
    click(qtbot, button_named(wait_question(qtbot, window), "Don't import"))
    summary = wait_summary(qtbot, window)
    assert "0 of 1 file(s) imported" in summary
    assert "key was not pinned" in summary
    assert (folder / PROFILE_FILENAME).read_bytes() == before
    assert window.profile is not None and not window.profile.pinned


def test_a_tampered_file_is_refused_and_nothing_written(
    qtbot, window: SupervisorWindow, files: Files, folder: Path
) -> None:
    unlocked(qtbot, window)
    before = (folder / PROFILE_FILENAME).read_bytes()
    window.import_files([files.tampered])
    summary = wait_summary(qtbot, window)
    assert window.question is None  # nothing asked about a file that failed its check
    assert ("The file failed its signature check: it was changed after it was signed"
            in summary)
    assert "0 of 1 file(s) imported" in summary
    assert "Nothing was written" in summary
    assert (folder / PROFILE_FILENAME).read_bytes() == before


def test_a_file_that_is_not_statistics_is_refused(
    qtbot, window: SupervisorWindow, tmp_path: Path, folder: Path
) -> None:
    unlocked(qtbot, window)
    junk = tmp_path / "notes.psstats"
    junk.write_text("dear diary", encoding="utf-8")
    before = (folder / PROFILE_FILENAME).read_bytes()
    window.import_files([junk])
    summary = wait_summary(qtbot, window)
    assert "not a readable statistics file" in summary
    assert (folder / PROFILE_FILENAME).read_bytes() == before


def test_a_duplicate_offers_replace_and_declining_writes_nothing(
    qtbot, window: SupervisorWindow, files: Files, folder: Path
) -> None:
    unlocked(qtbot, window)
    import_pinning(qtbot, window, files.good)
    before = (folder / PROFILE_FILENAME).read_bytes()

    window.import_files([files.again])
    box = wait_question(qtbot, window)
    assert box.text() == "Replace the statistics imported earlier for these periods?"
    assert files.pseudonym(files.good) in box.informativeText()
    months = stats_file.read(files.good.read_bytes()).periods
    assert f"{months[0]} to {months[-1]}" in box.informativeText()
    click(qtbot, button_named(box, "Keep the earlier ones"))
    summary = wait_summary(qtbot, window)
    assert "earlier were kept" in summary
    assert (folder / PROFILE_FILENAME).read_bytes() == before

    window.import_files([files.good])  # the very same file again: nothing to ask
    summary = wait_summary(qtbot, window)
    assert "imported before" in summary
    assert (folder / PROFILE_FILENAME).read_bytes() == before

    window.import_files([files.again])
    click(qtbot, button_named(wait_question(qtbot, window), "Replace"))
    summary = wait_summary(qtbot, window)
    assert "1 of 1 file(s) imported" in summary
    assert window.profile is not None
    assert [i.made for i in window.profile.imports] == ["2027-01"]  # the later one only


def test_an_unknown_signer_is_refused_when_only_pinned_supporters_are_accepted(
    qtbot, window: SupervisorWindow, files: Files, folder: Path
) -> None:
    unlocked(qtbot, window)
    import_pinning(qtbot, window, files.good)
    dialog = window.open_settings()
    assert dialog is not None
    assert not dialog.only_pinned.isChecked()
    dialog.only_pinned.setChecked(True)
    dialog.accept()
    qtbot.waitUntil(lambda: window.profile is not None and window.profile.accept_only_pinned,
                    timeout=10_000)
    wait_for_tasks()
    qtbot.waitUntil(lambda: "Settings saved" in window.statusBar().currentMessage())
    before = (folder / PROFILE_FILENAME).read_bytes()

    window.import_files([files.other])
    summary = wait_summary(qtbot, window)
    assert window.question is None  # refused, not offered
    assert "only pinned supporters' files are accepted" in summary
    assert files.fingerprint(files.other) in summary
    assert (folder / PROFILE_FILENAME).read_bytes() == before


def test_several_files_at_once_are_summed_up_at_the_end(
    qtbot, window: SupervisorWindow, files: Files
) -> None:
    unlocked(qtbot, window)
    window.import_files([files.tampered, files.quarterly, files.other])
    for _ in range(2):  # two supporters seen for the first time
        box = wait_question(qtbot, window)
        click(qtbot, button_named(box, "Pin and import"))
        qtbot.waitUntil(lambda box=box: window.question is not box)
    summary = wait_summary(qtbot, window)
    assert "2 of 3 file(s) imported" in summary
    for name in ("tampered.psstats", "quarterly.psstats", "other.psstats"):
        assert name in summary
    page = window.dashboard_page
    assert page.left_out.isVisible()
    assert page.left_out.text() == "1 quarterly file(s) are shown by quarter only."
    assert window.board is not None and window.board.supporters == 1
    click(qtbot, page.by_quarter)
    assert not page.left_out.isVisible()
    assert window.board.supporters == 2


def test_a_quarterly_file_overlapping_monthly_ones_offers_replace(
    qtbot, window: SupervisorWindow, files: Files
) -> None:
    unlocked(qtbot, window)
    import_pinning(qtbot, window, files.mixed_month)
    window.import_files([files.mixed_quarter])
    box = wait_question(qtbot, window)
    assert box.text() == "Replace the statistics imported earlier for these periods?"
    months = stats_file.read(files.mixed_month.read_bytes()).periods
    quarters = stats_file.read(files.mixed_quarter.read_bytes()).periods
    both = sorted({quarter_of(m) for m in months} & set(quarters))
    assert f"{both[0]} to {both[-1]}" in box.informativeText()
    click(qtbot, button_named(box, "Keep the earlier ones"))
    assert "0 of 1 file(s) imported" in wait_summary(qtbot, window)


def test_dropping_files_on_the_window_imports_them(
    qtbot, window: SupervisorWindow, files: Files, tmp_path: Path
) -> None:
    unlocked(qtbot, window)
    other = tmp_path / "readme.txt"
    other.write_text("not statistics", encoding="utf-8")
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(files.good)), QUrl.fromLocalFile(str(other))])
    event = QDropEvent(QPointF(QPoint(50, 50)), Qt.DropAction.CopyAction, mime,
                       Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    window.dropEvent(event)
    click(qtbot, button_named(wait_question(qtbot, window), "Pin and import"))
    summary = wait_summary(qtbot, window)
    assert "1 of 1 file(s) imported" in summary  # the .txt was not taken


def test_supporters_dialog_lists_and_unpins(
    qtbot, window: SupervisorWindow, files: Files
) -> None:
    unlocked(qtbot, window)
    import_pinning(qtbot, window, files.good)
    dialog = window.open_supporters()
    assert dialog is not None
    table = dialog.table
    assert table.rowCount() == 1
    assert table.item(0, 0).text() == files.pseudonym(files.good)
    assert table.item(0, 1).text() == files.fingerprint(files.good)
    assert re.fullmatch(r"\d{4}-\d{2}", table.item(0, 2).text())
    assert not dialog.unpin_button.isEnabled()
    table.selectRow(0)
    click(qtbot, dialog.unpin_button)
    qtbot.waitUntil(lambda: dialog.question is not None and dialog.question.isVisible())
    assert dialog.question is not None
    click(qtbot, button_named(dialog.question, "Unpin"))
    qtbot.waitUntil(lambda: table.rowCount() == 0, timeout=10_000)
    assert window.profile is not None and not window.profile.pinned
    assert len(window.profile.imports) == 1  # what was imported stays
    dialog.accept()


# -- the dashboard ----------------------------------------------------------------------------
def _check_views_match_tables(w: SupervisorWindow) -> None:
    page = w.dashboard_page
    board = w.board
    assert board is not None
    assert len(w.findChildren(QChartView)) == 1 + len(board.tables)

    contacts = page.contacts_view
    assert contacts is not None
    table = board.contacts()
    assert contacts.periods() == table.periods
    plotted_exact = {int(p.x()): p.y() for p in contacts.line.exact.points()}
    plotted_bounds = {int(p.x()): p.y() for p in contacts.line.bounds.points()}
    for i, period in enumerate(table.periods):
        value = table.column_totals[period]
        assert contacts.table.item(i, 0).text() == shown_text(value)
        if isinstance(value, AtLeast):
            assert plotted_bounds[i] == value.n and i not in plotted_exact
        elif isinstance(value, int):
            assert plotted_exact[i] == value and i not in plotted_bounds
        else:  # suppressed: a gap, in no series
            assert i not in plotted_exact and i not in plotted_bounds
            assert all(int(p.x()) != i for s in contacts.line.segments for p in s.points())

    for dimension, view in page.dimension_views.items():
        shown = board.tables[dimension]
        bars = view.bars
        for i, code in enumerate(bars.codes):
            value = shown.row_totals[code]
            charted = bars.exact.at(i) + bars.bounds.at(i)
            assert charted == (number(value) or 0)
            assert (bars.bounds.at(i) > 0) == isinstance(value, AtLeast)
            row = shown.codes.index(code)
            assert view.total_text(row) == shown_text(value)  # the table beside the chart
        for r, code in enumerate(shown.codes):
            for c, period in enumerate(shown.periods):
                assert view.cell_text(r, c) == shown_text(shown.cells[code][period])

    k = board.k
    for text in table_texts(w):
        assert not any(1 <= n < k for n in shown_numbers(text)), text


def test_dashboard_charts_show_exactly_the_tables(
    qtbot, window: SupervisorWindow, files: Files
) -> None:
    unlocked(qtbot, window)
    import_pinning(qtbot, window, files.good)
    page = window.dashboard_page
    assert page.by_month.isChecked()
    assert window.board is not None and window.board.granularity == MONTH
    _check_views_match_tables(window)
    assert "suppressed" in table_texts(window)
    assert page.cards["contacts"].value.text() == shown_text(window.board.contacts().total)

    click(qtbot, page.by_quarter)
    assert window.board is not None and window.board.granularity == QUARTER
    _check_views_match_tables(window)
    window.month_action.trigger()  # Ctrl+1
    assert page.by_month.isChecked() and window.board.granularity == MONTH


PERIODS = ["2026-Q1", "2026-Q2", "2026-Q3"]


def _shown(dimension: str, rows: dict[str, list[ShownValue]],
           totals: list[ShownValue], total: ShownValue) -> ShownTable:
    """A table as the profile would show it: ``rows[code]`` is the row's cells and its total
    (codes not given are all zero)."""
    codes = list(dimension_codes(dimension))
    full = {c: rows.get(c, [0] * (len(PERIODS) + 1)) for c in codes}
    return ShownTable(dimension, list(PERIODS), codes,
                      {c: dict(zip(PERIODS, full[c][:-1], strict=True)) for c in codes},
                      {c: full[c][-1] for c in codes},
                      dict(zip(PERIODS, totals, strict=True)), total)


def fixed_board() -> Dashboard:
    """A dashboard with a lower bound, a suppressed period and plain counts, by quarter."""
    low, gap = AtLeast(37), SUPPRESSED
    tables = {
        "incident_category": _shown(
            "incident_category",
            {"cumulative_stress": [20, gap, AtLeast(9), AtLeast(33)],
             "personal_or_family": [17, gap, AtLeast(28), AtLeast(51)]},
            [low, gap, AtLeast(42)], AtLeast(96)),
        "duration_bucket": _shown(
            "duration_bucket",
            {"under_15": [8, 6, 6, 20], "15_30": [12, 14, 14, 40],
             "30_60": [gap, gap, AtLeast(8), AtLeast(10)], "over_60": [gap, gap, gap, 6]},
            [low, gap, AtLeast(42)], AtLeast(96)),
        "referral": _shown("referral", {"made": [10, 10, 10, 30], "none": [20, 25, 25, 70]},
                           [30, 35, 35], 100),
        "followup": _shown("followup", {"on_time": [gap, gap, gap, AtLeast(8)],
                                        "late": [gap, gap, 0, gap]},
                           [7, 6, 7], 20),
    }
    for dimension in DIMENSIONS:
        tables.setdefault(dimension, _shown(dimension, {}, [0, 0, 0], 0))
    return Dashboard(QUARTER, list(PERIODS), 5, tables, supporters=3, files=4)


def test_lower_bounds_and_suppressed_values_are_shown_as_such(
    qtbot, window: SupervisorWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    unlocked(qtbot, window)
    assert window.profile is not None
    monkeypatch.setattr(window.profile, "dashboard", lambda _granularity: fixed_board())
    window.refresh()
    _check_views_match_tables(window)
    page = window.dashboard_page
    contacts = page.contacts_view
    assert contacts is not None
    cells = [contacts.table.item(r, 0) for r in range(contacts.table.rowCount())]
    assert [c.text() for c in cells] == ["at least 37", "suppressed", "at least 42",
                                         "at least 96"]
    assert cells[0].font().italic() and "lower bound" in cells[0].toolTip()
    assert [(p.x(), p.y()) for p in contacts.line.bounds.points()] == [(0, 37), (2, 42)]
    assert contacts.line.exact.count() == 0
    assert contacts.line.points == [37, None, 42]  # period 2 is a gap
    assert len(contacts.line.segments) == 2

    stress = page.dimension_views["incident_category"]
    row = list(dimension_codes("incident_category")).index("cumulative_stress")
    assert stress.total_text(row) == "at least 33"
    at = stress.bars.codes.index("cumulative_stress")
    assert (stress.bars.exact.at(at), stress.bars.bounds.at(at)) == (0, 33)

    cards = page.cards
    assert cards["contacts"].value.text() == "at least 96"
    assert cards["hours"].value.text() == "at least 21 h"  # 10 + 5 + 6: no upper bound
    assert cards["referrals"].value.text() == "30%"
    assert cards["followups"].value.text() == "40% to 95%"  # 8 to 19 of 20 on time
    assert "3 supporter(s), 4 file(s)" in page.subtitle.text()
    assert "2026-Q1 to 2026-Q3" in page.subtitle.text()


def test_every_input_button_and_chart_has_an_accessible_name(
    qtbot, window: SupervisorWindow, files: Files
) -> None:
    unlocked(qtbot, window)
    import_pinning(qtbot, window, files.good)
    widgets = [*window.findChildren(QAbstractButton), *window.findChildren(QLineEdit),
               *window.findChildren(QChartView), *window.findChildren(QTableWidget)]
    unnamed = [w.objectName() or type(w).__name__ for w in widgets
               if not w.accessibleName() and w.isVisibleTo(window)
               and not isinstance(w.parentWidget(), QTabBar)]  # Qt's own tab scroll arrows
    assert not unnamed
    for action in (window.import_action, window.lock_action, window.csv_action,
                   window.pdf_action):
        assert not action.shortcut().isEmpty()
    assert window.import_action.shortcut().toString() == "Ctrl+I"
    assert window.lock_action.shortcut().toString() == "Ctrl+L"


# -- exports ----------------------------------------------------------------------------------
def test_csv_export_is_exactly_the_dashboard(
    qtbot, window: SupervisorWindow, files: Files, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    unlocked(qtbot, window)
    import_pinning(qtbot, window, files.good)
    target = tmp_path / "out" / "statistics"
    monkeypatch.setattr(window_mod, "save_file_name", lambda *_a, **_k: str(target))
    window.csv_action.trigger()
    written = target.with_suffix(".csv")
    assert window.board is not None and window.profile is not None
    assert written.read_text(encoding="utf-8") == csv_text(window.board,
                                                           window.profile.program_name)
    assert "CSV saved" in window.statusBar().currentMessage()


def _pdf_text(path: Path) -> str | None:
    pdftotext = shutil.which("pdftotext")
    if pdftotext is None:
        return None
    text = subprocess.run([pdftotext, str(path), "-"], capture_output=True, text=True,
                          check=True).stdout
    text = text.replace("\ufb01", "fi").replace("\ufb02", "fl")
    return " ".join(text.split())


def test_pdf_export_writes_a_report(
    qtbot, window: SupervisorWindow, files: Files, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    unlocked(qtbot, window)
    import_pinning(qtbot, window, files.good)
    target = tmp_path / "report.pdf"
    monkeypatch.setattr(window_mod, "save_file_name", lambda *_a, **_k: str(target))
    window.pdf_action.trigger()
    assert target.read_bytes().startswith(b"%PDF")
    text = _pdf_text(target)
    if text is None:
        pytest.skip("pdftotext is not installed; the PDF text was not checked")
    assert window.board is not None
    assert PROGRAM in text
    assert " ".join(suppression_rule_text(window.board.k).split()) in text
    assert "Contacts in total" in text and "Incident category" in text


def test_the_report_is_written_from_a_process_without_a_display(tmp_path: Path) -> None:
    board = fixed_board()
    pickled = tmp_path / "board.pickle"
    pickled.write_bytes(pickle.dumps(board))
    out = tmp_path / "cli-report.pdf"
    script = (
        "import pickle, sys\n"
        "from pathlib import Path\n"
        "from PySide6.QtCore import QCoreApplication\n"
        "from peersupport.ui.supervisor.report_pdf import write_report_pdf\n"
        "assert QCoreApplication.instance() is None\n"
        "board = pickle.loads(Path(sys.argv[1]).read_bytes())\n"
        "write_report_pdf(board, 'Program From The CLI', Path(sys.argv[2]))\n"
        "print(QCoreApplication.instance().platformName())\n"
    )
    env = {k: v for k, v in os.environ.items()
           if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    result = subprocess.run([sys.executable, "-c", script, str(pickled), str(out)],
                            capture_output=True, text=True, env=env, timeout=120,
                            cwd=Path(__file__).resolve().parent.parent)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "offscreen"
    assert out.read_bytes().startswith(b"%PDF")
    text = _pdf_text(out)
    if text is None:
        pytest.skip("pdftotext is not installed; the PDF text was not checked")
    assert "Program From The CLI" in text
    assert "at least 37" in text and "suppressed" in text  # as on screen
    assert " ".join(suppression_rule_text(board.k).split()) in text


# -- locking ----------------------------------------------------------------------------------
def test_lock_wipes_the_key_and_every_widget(
    qtbot, window: SupervisorWindow, files: Files
) -> None:
    unlocked(qtbot, window)
    import_pinning(qtbot, window, files.good)
    profile = window.profile
    assert profile is not None
    key = profile._key
    settings = window.open_settings()
    assert settings is not None and settings.isVisible()
    assert window.findChildren(QChartView)

    settings.activateWindow()
    qtbot.waitUntil(settings.isActiveWindow)
    qtbot.keyClick(settings.name, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
    assert not window.is_unlocked()  # Ctrl+L works from a dialog too
    assert key.is_wiped()
    assert profile.imports == [] and profile.pinned == {}
    flush_deletes()
    assert not window.findChildren(QChartView)
    assert not [t for t in window.findChildren(QTableWidget)]
    assert not [d for d in window.findChildren(QDialog) if d.isVisible()]
    page = window.dashboard_page
    assert page.title.text() == "" and page.subtitle.text() == ""
    assert page.cards == {} and page.contacts_view is None
    assert window.board is None
    assert window.pages.currentWidget() is window.lock_page
    assert PROGRAM not in window.windowTitle()
    assert not window.import_action.isEnabled()

    unlocked(qtbot, window)  # and back: everything is read again from the file
    assert window.board is not None and window.board.files == 1
