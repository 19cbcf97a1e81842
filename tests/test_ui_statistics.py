"""The statistics section and sharing, driven offscreen like a person would: the supporter's own
counts (figures, charts and the tables beside them), months and quarters, the share dialog's
preview and the file it saves, deleting a check-in with each answer, Preferences, and wiping on
lock. The vault is filled by the demo generator, so the numbers are realistic."""

from __future__ import annotations

import math
import re
import stat
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from PySide6.QtCharts import (
    QAbstractBarSeries,
    QBarCategoryAxis,
    QCategoryAxis,
    QChartView,
    QHorizontalStackedBarSeries,
    QLineSeries,
    QValueAxis,
)
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QComboBox, QLabel, QTableWidget, QWidget

from peersupport import settings as settings_mod
from peersupport.crypto import stats_file
from peersupport.domain.stats import (
    DIMENSIONS,
    LATE,
    MONTH,
    ON_TIME,
    QUARTER,
    SUPPRESSED,
    dimension_codes,
    hours_range,
    months_between,
    periods_between,
)
from peersupport.services import demo
from peersupport.services.statistics import ShareRange
from peersupport.services.vault import UnlockedVault
from peersupport.ui.checkins_model import CheckinTableModel
from peersupport.ui.checkins_page import CheckinsPage
from peersupport.ui.dialogs import PreferencesDialog
from peersupport.ui.share_stats_dialog import ShareStatisticsDialog
from peersupport.ui.statistics_page import StatisticsPage, period_label, table_grid
from peersupport.ui.tasks import wait_for_tasks
from peersupport.ui.workspace import Workspace

NOW = datetime(2026, 5, 15, 12, 0, tzinfo=UTC)
SEED = 20260515


# -- helpers -------------------------------------------------------------------------------------
def settle() -> None:
    wait_for_tasks()
    QApplication.processEvents()


def cells(widget: QTableWidget) -> list[list[str]]:
    return [[widget.item(r, c).text() for c in range(widget.columnCount())]
            for r in range(widget.rowCount())]


def column_labels(widget: QTableWidget) -> list[str]:
    return [widget.horizontalHeaderItem(c).text() for c in range(widget.columnCount())]


def row_labels(widget: QTableWidget) -> list[str]:
    return [widget.verticalHeaderItem(r).text() for r in range(widget.rowCount())]


def expected_cells(table: object, suppressed: str = "—") -> list[list[str]]:
    return [[suppressed if v == SUPPRESSED else f"{v:,}" for v in row]
            for row in table_grid(table)]  # type: ignore[arg-type]


def expected_labels(table: object) -> tuple[list[str], list[str]]:
    labels = dimension_codes(table.dimension)  # type: ignore[attr-defined]
    return ([*(period_label(p) for p in table.periods), "Total"],  # type: ignore[attr-defined]
            [*(labels[c] for c in table.codes), "Total"])  # type: ignore[attr-defined]


def texts_under(root: QWidget) -> list[str]:
    """Every text a person could read in ``root``: labels, combo items, table cells and
    headers, chart series, axes and accessible descriptions."""
    out: list[str] = []
    for widget in [root, *root.findChildren(QWidget)]:
        if isinstance(widget, QLabel):
            out.append(widget.text())
        elif isinstance(widget, QComboBox):
            out.extend(widget.itemText(i) for i in range(widget.count()))
        elif isinstance(widget, QTableWidget):
            for r in range(widget.rowCount()):
                item = widget.verticalHeaderItem(r)
                out.append(item.text() if item else "")
                for c in range(widget.columnCount()):
                    cell = widget.item(r, c)
                    out.append(cell.text() if cell else "")
            for c in range(widget.columnCount()):
                item = widget.horizontalHeaderItem(c)
                out.append(item.text() if item else "")
        elif isinstance(widget, QChartView):
            chart = widget.chart()
            for series in chart.series():
                if isinstance(series, QLineSeries):
                    out.extend(str(p.y()) for p in series.points())
                elif isinstance(series, QAbstractBarSeries):
                    for bar_set in series.barSets():
                        out.append(bar_set.label())
                        out.extend(str(bar_set.at(i)) for i in range(bar_set.count()))
            for axis in chart.axes():
                if isinstance(axis, QBarCategoryAxis):
                    out.extend(axis.categories())
                elif isinstance(axis, QCategoryAxis):
                    out.extend(axis.categoriesLabels())
                elif isinstance(axis, QValueAxis):
                    out.append(str(axis.max()))
        out.append(widget.accessibleDescription())
        out.append(widget.toolTip() if not widget.toolTip().endswith("(Ctrl+Shift+S)") else "")
    return out


def bar_series(page: StatisticsPage) -> QHorizontalStackedBarSeries:
    (series,) = page.bar_view.chart().series()
    assert isinstance(series, QHorizontalStackedBarSeries)
    return series


def bar_categories(page: StatisticsPage) -> list[str]:
    (axis,) = [a for a in page.bar_view.chart().axes() if isinstance(a, QBarCategoryAxis)]
    return list(axis.categories())


# -- fixtures --------------------------------------------------------------------------------------
@pytest.fixture
def filled(vault: UnlockedVault) -> UnlockedVault:
    demo.fill(vault, 200, seed=SEED, now=NOW)
    return vault


def _open_page(qtbot, vault: UnlockedVault, k: int = 5) -> StatisticsPage:
    page = StatisticsPage(vault.checkins(), k_source=lambda: k)
    qtbot.addWidget(page)
    page.resize(900, 640)
    with qtbot.waitSignal(page.loaded, timeout=10_000):
        page.show()
    return page


@pytest.fixture
def page(qtbot, filled: UnlockedVault) -> Iterator[StatisticsPage]:
    widget = _open_page(qtbot, filled)
    yield widget
    widget.clear()
    settle()


def _share_dialog(qtbot, page: StatisticsPage) -> ShareStatisticsDialog:
    page.share_button.click()
    dialog = page.dialog
    assert isinstance(dialog, ShareStatisticsDialog) and dialog.isVisible()
    qtbot.waitUntil(lambda: dialog.preview is not None and dialog.pseudonym.text() != "",
                    timeout=10_000)
    return dialog


# -- my statistics -----------------------------------------------------------------------------
def test_the_page_shows_the_last_twelve_months_unsuppressed(page: StatisticsPage, filled):
    stats = filled.statistics()
    first, last = stats.month_range()  # type: ignore[misc]
    months = months_between(first, last)
    assert page.share == ShareRange(months[-12], last, MONTH)
    assert page.range_bar.from_combo.currentText() == period_label(months[-12])
    assert page.range_bar.to_combo.currentText() == period_label(last)
    assert page.range_bar.from_combo.count() == len(months)  # every month with counts
    assert page.hint.text().startswith("Only you see these numbers unsuppressed")
    assert page.hint.isVisibleTo(page)
    tables = stats.my_tables(page.share)

    contacts = tables["contact_type"].total()
    assert contacts > 20
    assert page.contacts_figure.value.text() == f"{contacts:,}"
    low, high, _ = hours_range(tables["duration_bucket"])
    assert page.hours_figure.value.text() == \
        f"about {math.floor(low)}–{math.ceil(high)} hours"
    assert page.hours_figure.note.text() == "contacts over an hour counted as at most 3 h"
    made = tables["referral"].row_total("made")
    assert page.referral_figure.value.text() == f"{round(100 * made / contacts)}%"
    assert page.referral_figure.note.text() == f"{made} of {contacts} contacts"
    on_time = tables["followup"].row_total(ON_TIME)
    done = on_time + tables["followup"].row_total(LATE)
    assert done > 0
    assert page.followup_figure.value.text() == f"{round(100 * on_time / done)}%"
    assert page.followup_figure.note.text().startswith(f"{on_time} of {done} on time")

    small = False
    for dimension in DIMENSIONS:
        page.set_dimension(dimension)
        assert cells(page.table) == expected_cells(tables[dimension])
        assert (column_labels(page.table), row_labels(page.table)) == \
            expected_labels(tables[dimension])
        small |= any(text in {"1", "2", "3", "4"} for row in cells(page.table) for text in row)
    assert small  # the supporter's own numbers are not suppressed


def test_the_charts_hold_the_numbers_of_the_table_beside_them(page: StatisticsPage, filled):
    tables = filled.statistics().my_tables(page.share)  # type: ignore[arg-type]
    page.set_dimension("contact_type")
    totals_row = cells(page.table)[-1][:-1]
    (line,) = page.line_view.chart().series()
    assert [f"{int(p.y()):,}" for p in line.points()] == totals_row
    (x_axis,) = [a for a in page.line_view.chart().axes() if isinstance(a, QCategoryAxis)]
    # month over year on the axis, so twelve months fit side by side
    assert [c.replace("<br>", " ") for c in x_axis.categoriesLabels()] == \
        column_labels(page.table)[:-1]
    assert page.line_heading.text() == "Contacts per month"
    assert page.line_view.accessibleDescription().startswith(
        f"{column_labels(page.table)[0]}: {totals_row[0]}")

    for dimension in DIMENSIONS:
        page.set_dimension(dimension)
        grid = cells(page.table)
        periods = column_labels(page.table)[:-1]
        codes = row_labels(page.table)[:-1]
        series = bar_series(page)
        # one bar per row of the table (drawn bottom-up), one shade per period
        assert list(reversed(bar_categories(page))) == codes
        assert [s.label() for s in series.barSets()] == periods
        for column, bar_set in enumerate(series.barSets()):
            values = [int(bar_set.at(i)) for i in range(bar_set.count())]
            assert [f"{v:,}" for v in reversed(values)] == [row[column] for row in grid[:-1]]
        assert page.bar_view.accessibleName() == f"{page.dimension_combo.currentText()}, " \
                                                 "bar chart"
        assert tables[dimension].total() == int(grid[-1][-1].replace(",", ""))


def test_quarters_change_the_columns_and_the_range(qtbot, page: StatisticsPage, filled):
    with qtbot.waitSignal(page.loaded, timeout=10_000):
        page.range_bar.quarter_button.click()
    share = page.share
    assert share is not None and share.granularity == QUARTER
    quarters = periods_between(share.first, share.last, QUARTER)
    assert share.first.endswith(("-01", "-04", "-07", "-10"))  # whole quarters only
    assert share.last.endswith(("-03", "-06", "-09", "-12"))
    page.set_dimension("incident_category")
    assert column_labels(page.table) == [*(period_label(q) for q in quarters), "Total"]
    assert column_labels(page.table)[0].startswith("Q")
    tables = filled.statistics().my_tables(share)
    assert cells(page.table) == expected_cells(tables["incident_category"])
    assert len(page.line_view.chart().series()[0].points()) == len(quarters)
    assert page.line_heading.text() == "Contacts per quarter"
    assert page.range_bar.from_combo.currentText() == period_label(quarters[0])

    # the whole range, from the keyboard: Home in "From" picks the first quarter
    page.range_bar.from_combo.setFocus()
    with qtbot.waitSignal(page.loaded, timeout=10_000):
        qtbot.keyClick(page.range_bar.from_combo, Qt.Key.Key_Home)
    first, last = filled.statistics().month_range()  # type: ignore[misc]
    assert page.share is not None
    assert page.share.periods() == periods_between(first, last, QUARTER)
    assert column_labels(page.table)[:-1] == [period_label(q) for q in page.share.periods()]

    with qtbot.waitSignal(page.loaded, timeout=10_000):
        page.range_bar.month_button.click()
    assert page.share is not None and page.share.granularity == MONTH
    assert column_labels(page.table)[0] == period_label(first)


def test_an_empty_vault_says_so_and_offers_nothing_to_share(qtbot, vault):
    page = _open_page(qtbot, vault)
    assert page.empty.isVisibleTo(page)
    assert page.empty.text().startswith("No statistics yet.")
    assert not page.share_button.isEnabled() and not page.share_action.isEnabled()
    page.clear()


# -- sharing --------------------------------------------------------------------------------------
def test_the_share_preview_is_exactly_what_would_be_shared(qtbot, filled):
    page = _open_page(qtbot, filled, k=7)
    dialog = _share_dialog(qtbot, page)
    stats = filled.statistics()
    assert dialog.preview_range == page.share
    expected = stats.share_preview(page.share, 7)  # type: ignore[arg-type]
    assert dialog.preview == expected
    assert dialog.rule.text() == (
        "Counts from 1 to 6 are replaced by “suppressed”, and further cells are hidden so "
        "that none can be worked out from the totals.")
    assert dialog.k_label.text() == "Threshold: 7, set by your program in Preferences."
    assert dialog.legend.text().startswith("— suppressed: a count from 1 to 6")
    assert dialog.pseudonym.text() == stats.pseudonym()
    assert dialog.fingerprint.text() == stats.signing_fingerprint()
    assert [dialog.tabs.tabText(i) for i in range(dialog.tabs.count())] == list(
        DIMENSIONS.values())

    hidden = 0
    for dimension, widget in dialog.tables.items():
        grid = cells(widget)
        assert grid == expected_cells(expected[dimension])
        assert (column_labels(widget), row_labels(widget)) == \
            expected_labels(expected[dimension])
        for text in (t for row in grid for t in row):
            assert text == "—" or text == "0" or int(text.replace(",", "")) >= 7
        hidden += sum(t == "—" for row in grid for t in row)
        for r in range(widget.rowCount()):
            for c in range(widget.columnCount()):
                if widget.item(r, c).text() == "—":
                    assert widget.item(r, c).toolTip() == "suppressed"
    assert hidden > 0  # 200 contacts over three years: plenty of small counts are hidden
    # the page itself still shows the numbers unsuppressed
    assert any(t in {"1", "2", "3"} for row in cells(page.table) for t in row)
    page.clear()
    assert not dialog.isVisible()


def test_save_writes_the_signed_file_of_the_preview(qtbot, filled, tmp_path: Path,
                                                    monkeypatch):
    page = _open_page(qtbot, filled, k=6)
    dialog = _share_dialog(qtbot, page)
    # choose quarters in the dialog: the preview follows
    dialog.range_bar.quarter_button.click()
    qtbot.waitUntil(lambda: dialog.preview is not None
                    and dialog.preview_range is not None
                    and dialog.preview_range.granularity == QUARTER, timeout=10_000)
    share = dialog.preview_range
    assert share is not None
    assert column_labels(dialog.tables["contact_type"])[0].startswith("Q")
    asked: list[str] = []

    def choose(_parent, _title, suggested, _filters):
        asked.append(suggested)
        return str(tmp_path / "for-my-program")

    monkeypatch.setattr("peersupport.ui.share_stats_dialog.save_file_name", choose)
    dialog.save_button.click()
    qtbot.waitUntil(lambda: dialog.saved.isVisible(), timeout=10_000)
    periods = share.periods()
    assert Path(asked[0]).name == f"statistics-{periods[0]}-to-{periods[-1]}.psstats"
    target = tmp_path / "for-my-program.psstats"
    assert dialog.saved.text().startswith(f"Saved to {target}.")
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    written = stats_file.read(target.read_bytes())  # verifies the signature
    assert written.k == 6 and written.granularity == QUARTER and written.periods == periods
    assert written.tables == dialog.preview
    assert written.tables == filled.statistics().share_preview(share, 6)
    assert written.pseudonym == dialog.pseudonym.text()
    assert written.fingerprint == dialog.fingerprint.text()
    assert not dialog.error_banner.isVisible()
    page.clear()


def test_nothing_is_saved_when_the_counts_changed_after_the_preview(
    qtbot, filled, tmp_path: Path, monkeypatch
):
    page = _open_page(qtbot, filled)
    dialog = _share_dialog(qtbot, page)
    shown = dialog.preview
    demo.fill(filled, 50, seed=SEED + 1, now=NOW)  # saved meanwhile (another window, a sync)
    monkeypatch.setattr("peersupport.ui.share_stats_dialog.save_file_name",
                        lambda *_: str(tmp_path / "late.psstats"))
    dialog.save_button.click()
    qtbot.waitUntil(lambda: dialog.error_banner.isVisible(), timeout=10_000)
    assert dialog.error_banner.text().startswith(
        "Your counts changed since this preview was made, so nothing was saved.")
    assert not (tmp_path / "late.psstats").exists()
    qtbot.waitUntil(lambda: dialog.preview is not None, timeout=10_000)
    assert dialog.preview != shown
    assert dialog.preview == filled.statistics().share_preview(dialog.preview_range, 5)
    page.clear()


def test_share_opens_from_the_keyboard_only_on_the_statistics_section(qtbot, filled):
    workspace = Workspace(filled.checkins())
    qtbot.addWidget(workspace)
    workspace.resize(960, 640)
    workspace.show()
    page = workspace.statistics_page
    assert page is not None
    workspace.show_section("checkins")
    chord = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
    qtbot.keyClick(workspace.nav, Qt.Key.Key_S, chord)
    assert page.dialog is None  # another section is shown
    with qtbot.waitSignal(page.loaded, timeout=10_000):
        workspace.show_section("statistics")
    workspace.nav.setFocus()
    qtbot.keyClick(workspace.nav, Qt.Key.Key_S, chord)
    assert isinstance(page.dialog, ShareStatisticsDialog)
    qtbot.waitUntil(lambda: page.dialog is not None and page.dialog.preview is not None,
                    timeout=10_000)
    workspace.clear()
    settle()


# -- deleting a check-in --------------------------------------------------------------------------
def _month_counts(vault: UnlockedVault, period: str) -> int:
    counts = vault.statistics().counts(period, period)["contact_type"]
    return sum(counts.values())


@pytest.mark.parametrize("keep", [False, True], ids=["by-mistake", "retention"])
def test_deleting_asks_whether_the_count_stays(qtbot, filled, keep: bool):
    workspace = Workspace(filled.checkins())
    qtbot.addWidget(workspace)
    workspace.resize(960, 640)
    workspace.show()
    stats_page = workspace.statistics_page
    assert stats_page is not None
    with qtbot.waitSignal(stats_page.loaded, timeout=10_000):
        workspace.show_section("statistics")
    before_figure = int(stats_page.contacts_figure.value.text().replace(",", ""))

    workspace.show_section("checkins")
    checkins_page = workspace.checkins_page
    assert isinstance(checkins_page, CheckinsPage)
    qtbot.waitUntil(lambda: checkins_page.model.rowCount() > 0, timeout=10_000)
    checkin_id = checkins_page.model.index(0, 0).data(CheckinTableModel.IdRole)
    period = filled.checkins().get(checkin_id).checkin.period  # the newest: in the range shown
    before = _month_counts(filled, period)
    checkins_page.table.selectRow(0)
    qtbot.keyClick(checkins_page.table, Qt.Key.Key_Delete)
    question = checkins_page.delete_question
    assert question is not None and question.isVisible()
    assert "no name, no notes and no exact date" in question.detail.text()
    assert question.mistake_button.text() == \
        "&Entered by mistake — remove it from the statistics too"
    assert question.retention_button.text() == \
        "&Destroying it under retention rules — keep its anonymous count"
    with qtbot.waitSignal(checkins_page.changed, timeout=10_000):
        (question.retention_button if keep else question.mistake_button).click()
    settle()
    assert _month_counts(filled, period) == (before if keep else before - 1)

    with qtbot.waitSignal(stats_page.loaded, timeout=10_000):
        workspace.show_section("statistics")  # counted again when shown
    after_figure = int(stats_page.contacts_figure.value.text().replace(",", ""))
    assert after_figure == (before_figure if keep else before_figure - 1)
    workspace.clear()
    settle()


# -- preferences --------------------------------------------------------------------------------
def test_preferences_round_trip_the_suppression_threshold(qtbot, filled, tmp_path: Path):
    dialog = PreferencesDialog(settings_mod.Settings(stats_k=7), tray_available=False,
                               autostart_supported=False)
    qtbot.addWidget(dialog)
    tabs = [dialog.tabs.tabText(i) for i in range(dialog.tabs.count())]
    assert "&Statistics" in tabs
    dialog.tabs.setCurrentIndex(tabs.index("&Statistics"))
    assert dialog.stats_k.value() == 7
    assert (dialog.stats_k.minimum(), dialog.stats_k.maximum()) == (3, 11)
    page_texts = [w.text() for w in dialog.tabs.currentWidget().findChildren(QLabel)]
    assert any(t.startswith("Program policy: counts below this are never shared.")
               for t in page_texts)
    dialog.stats_k.setValue(9)
    result = dialog.result_settings()
    assert result.stats_k == 9
    settings_mod.save(filled.data_dir.settings, result)
    assert settings_mod.load(filled.data_dir.settings).stats_k == 9
    again = PreferencesDialog(settings_mod.load(filled.data_dir.settings),
                              tray_available=False, autostart_supported=False)
    qtbot.addWidget(again)
    assert again.stats_k.value() == 9

    # the share dialog uses the saved policy
    workspace = Workspace(filled.checkins())
    qtbot.addWidget(workspace)
    assert workspace.stats_k() == 9
    workspace.show()
    stats_page = workspace.statistics_page
    assert stats_page is not None
    with qtbot.waitSignal(stats_page.loaded, timeout=10_000):
        workspace.show_section("statistics")
    share = _share_dialog(qtbot, stats_page)
    assert share.k == 9 and share.rule.text().startswith("Counts from 1 to 8 are replaced")
    workspace.clear()
    settle()


# -- lock ---------------------------------------------------------------------------------------
def test_clear_leaves_no_number_month_or_chart(qtbot, page: StatisticsPage):
    dialog = _share_dialog(qtbot, page)
    with qtbot.waitSignal(page.loaded, timeout=10_000):
        page.range_bar.quarter_button.click()
    texts = texts_under(page)
    assert any(re.search(r"\d", t) for t in texts)
    page.clear()
    assert not dialog.isVisible() and page.dialog is None
    settle()
    leftover = [t for t in texts_under(page) if re.search(r"\d", t)]
    assert leftover == []
    assert page.line_view.chart().series() == [] and page.bar_view.chart().series() == []
    assert page.tables is None and page.share is None
    assert page.range_bar.month_button.isChecked()
    assert not page.share_button.isEnabled()


def test_share_dialog_refuses_a_range_overlapping_one_shared_before(qtbot, filled):
    from peersupport.services.statistics import ShareRange

    page = _open_page(qtbot, filled, k=5)
    share = page.share
    assert share is not None and share.first != share.last
    filled.statistics().export(ShareRange(share.last, share.last, "month"))  # shared alone
    dialog = _share_dialog(qtbot, page)
    assert dialog.preview_range == share
    assert dialog.error_banner.isVisible()
    assert "before" in dialog.error_banner.text()
    assert not dialog.save_button.isEnabled()
