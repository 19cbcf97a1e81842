"""The statistics section: the supporter's own counts, unsuppressed, and the way to share them.

A range bar (from month, to month, by month or by quarter) chooses what is counted. Below it:
four summary figures (contacts, hours of support as a range, referral rate, follow-ups done on
time), a line chart of contacts per period, and one dimension at a time (incident category,
contact type, ...) as a bar chart with a table of the same numbers under it, so nothing is
only a picture. These numbers are never shared as they are: "Share statistics…" opens a
preview of exactly the suppressed tables a ``.psstats`` file would hold.

Counts load off the UI thread, when the page is first shown and again after check-ins change
while it is visible (otherwise on the next show). ``clear()`` (the vault is locking) wipes every
number, chart, month and dialog.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtCharts import (
    QBarCategoryAxis,
    QBarSet,
    QCategoryAxis,
    QChart,
    QChartView,
    QHorizontalStackedBarSeries,
    QLineSeries,
    QValueAxis,
)
from PySide6.QtCore import QCoreApplication, QEvent, QLocale, QMargins, QObject, Qt, Signal
from PySide6.QtGui import (
    QAction,
    QColor,
    QCursor,
    QFont,
    QKeySequence,
    QPainter,
    QPalette,
    QResizeEvent,
    QShowEvent,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QButtonGroup,
    QComboBox,
    QDialog,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QRadioButton,
    QScrollArea,
    QSizePolicy,
    QStackedWidget,
    QTableWidget,
    QTableWidgetItem,
    QToolTip,
    QVBoxLayout,
    QWidget,
)

from peersupport.domain.stats import (
    BUCKET_HOURS,
    DEFAULT_K,
    DIMENSIONS,
    LATE,
    MONTH,
    ON_TIME,
    QUARTER,
    SUPPRESSED,
    CountTable,
    PublishedTable,
    Value,
    dimension_codes,
    hours_range,
    months_between,
    periods_between,
)
from peersupport.services.statistics import ShareRange
from peersupport.ui import style
from peersupport.ui.task_scope import TaskScope

if TYPE_CHECKING:
    from peersupport.services.checkins import CheckinService

DEFAULT_MONTHS = 12  # the range first shown: the last twelve months with counts
DEFAULT_QUARTERS = 4
NARROW_WIDTH = 720  # narrower than this, the summary figures go two by two
LINE_CHART_HEIGHT = 230
LINE_CHART_LABELS = 13  # at most this many period labels under the line chart
BAR_ROW_HEIGHT = 24
# the hours of a contact over an hour have no recorded upper bound
MAX_HOURS_PER_LONG_CONTACT = BUCKET_HOURS["over_60"][1]

Span = tuple[str, str]  # the first and last month with counts


def _t(text: str) -> str:
    return QCoreApplication.translate("StatisticsPage", text)


def dimension_label(dimension: str) -> str:
    return _t(DIMENSIONS[dimension])


# -- periods and ranges (pure, usable on the worker thread) ------------------------------------
def period_label(period: str) -> str:
    """``2025-06`` -> ``Jun 2025``; ``2025-Q2`` -> ``Q2 2025``."""
    year, rest = period.split("-")
    if rest.startswith("Q"):
        return f"{rest} {year}"
    return f"{QLocale().monthName(int(rest), QLocale.FormatType.ShortFormat)} {year}"


def quarter_months(quarter: str) -> tuple[str, str]:
    """``2025-Q2`` -> (``2025-04``, ``2025-06``)."""
    year, q = quarter.split("-Q")
    first = (int(q) - 1) * 3 + 1
    return f"{year}-{first:02d}", f"{year}-{first + 2:02d}"


def range_items(span: Span, granularity: str) -> list[tuple[str, str, str]]:
    """What the range combos offer: (period, its first month, its last month). Quarters are
    whole, so a quarter's column never counts only part of it."""
    if granularity == QUARTER:
        return [(q, *quarter_months(q)) for q in periods_between(*span, QUARTER)]
    return [(m, m, m) for m in months_between(*span)]


def fit_range(span: Span, wanted: ShareRange | None, granularity: str) -> ShareRange:
    """``wanted`` moved onto whole periods of ``granularity`` within ``span``; without a
    wish, the last twelve months (or four quarters)."""
    items = range_items(span, granularity)
    if wanted is None:
        last = len(items) - 1
        back = DEFAULT_QUARTERS if granularity == QUARTER else DEFAULT_MONTHS
        first = max(0, last - back + 1)
    else:
        first = max([i for i, item in enumerate(items) if item[1] <= wanted.first] or [0])
        last = min([i for i, item in enumerate(items) if item[2] >= wanted.last]
                   or [len(items) - 1])
        first = min(first, last)
    return ShareRange(items[first][1], items[last][2], granularity)


# -- tables as rows and columns ----------------------------------------------------------------
def table_grid(table: CountTable | PublishedTable) -> list[list[Value]]:
    """One row per code then a row of column totals; one column per period then the row
    total."""
    if isinstance(table, CountTable):
        rows: list[list[Value]] = [
            [*(table.cells[c][p] for p in table.periods), table.row_total(c)]
            for c in table.codes]
        rows.append([*(table.column_total(p) for p in table.periods), table.total()])
        return rows
    rows = [[*(table.cells[c][p] for p in table.periods), table.row_totals[c]]
            for c in table.codes]
    rows.append([*(table.column_totals[p] for p in table.periods), table.total])
    return rows


def count_text(value: Value, suppressed: str) -> str:
    return suppressed if value == SUPPRESSED else f"{value:,}"


def new_count_table(parent: QWidget, name: str) -> QTableWidget:
    """A read-only table of counts: codes' labels as rows, periods as columns."""
    widget = QTableWidget(parent)
    widget.setAccessibleName(name)
    widget.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    widget.setSelectionMode(QAbstractItemView.SelectionMode.ContiguousSelection)
    widget.setTabKeyNavigation(False)
    widget.setWordWrap(False)
    widget.setAlternatingRowColors(True)
    widget.setCornerButtonEnabled(False)
    widget.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
    widget.verticalHeader().setDefaultSectionSize(widget.fontMetrics().height() + 8)
    widget.horizontalHeader().setHighlightSections(False)
    widget.verticalHeader().setHighlightSections(False)
    return widget


def fill_count_table(widget: QTableWidget, table: CountTable | PublishedTable,
                     suppressed: str = "—", suppressed_tip: str = "") -> None:
    """Show ``table`` in ``widget``: a suppressed value as ``suppressed``, read out (and shown
    on hover) as ``suppressed_tip``."""
    labels = dimension_codes(table.dimension)
    total = _t("Total")
    grid = table_grid(table)
    widget.clearContents()
    widget.setRowCount(len(grid))
    widget.setColumnCount(len(table.periods) + 1)
    widget.setVerticalHeaderLabels([*(labels.get(c, c) for c in table.codes), total])
    widget.setHorizontalHeaderLabels([*(period_label(p) for p in table.periods), total])
    bold = QFont(widget.font())
    bold.setWeight(QFont.Weight.DemiBold)
    last_row, last_column = len(grid) - 1, len(table.periods)
    for r, row in enumerate(grid):
        for c, value in enumerate(row):
            item = QTableWidgetItem(count_text(value, suppressed))
            item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            if value == SUPPRESSED and suppressed_tip:
                item.setToolTip(suppressed_tip)
                item.setData(Qt.ItemDataRole.AccessibleTextRole, suppressed_tip)
            if r == last_row or c == last_column:
                item.setFont(bold)
            widget.setItem(r, c, item)
    widget.resizeColumnsToContents()


def fit_table_height(widget: QTableWidget) -> None:
    """Tall enough for every row, so the page scrolls rather than the table (and for the
    horizontal scroll bar when the columns are wider than the table)."""
    frame = widget.frameWidth() * 2
    content = widget.verticalHeader().sizeHint().width() + widget.horizontalHeader().length()
    bar = widget.horizontalScrollBar().sizeHint().height() if content + frame > widget.width() \
        else 0
    widget.setFixedHeight(widget.horizontalHeader().sizeHint().height()
                          + widget.verticalHeader().length() + frame + bar)


def clear_count_table(widget: QTableWidget) -> None:
    widget.clearContents()
    widget.setRowCount(0)
    widget.setColumnCount(0)


# -- charts -------------------------------------------------------------------------------------
def new_chart_view(parent: QWidget, name: str) -> QChartView:
    chart = QChart()
    chart.setAnimationOptions(QChart.AnimationOption.NoAnimation)
    chart.setMargins(QMargins(4, 4, 4, 4))
    chart.layout().setContentsMargins(0, 0, 0, 0)
    chart.setBackgroundRoundness(0)
    view = QChartView(chart, parent)
    view.setRenderHint(QPainter.RenderHint.Antialiasing)
    view.setAccessibleName(name)
    view.setFocusPolicy(Qt.FocusPolicy.TabFocus)  # read out by screen readers
    view.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
    return view


def clear_chart(view: QChartView) -> None:
    chart = view.chart()
    chart.removeAllSeries()
    for axis in chart.axes():
        chart.removeAxis(axis)
        axis.deleteLater()
    view.setAccessibleDescription("")


def _style_chart(chart: QChart, palette: QPalette) -> None:
    """Colours from the application palette, so the chart follows light and dark themes."""
    text = palette.color(QPalette.ColorRole.WindowText)
    chart.setBackgroundBrush(palette.brush(QPalette.ColorRole.Base))
    chart.setBackgroundPen(palette.color(QPalette.ColorRole.Mid))
    chart.legend().setLabelColor(text)
    for axis in chart.axes():
        axis.setLabelsColor(text)
        axis.setTitleBrush(text)
        grid = QColor(palette.color(QPalette.ColorRole.Mid))
        grid.setAlpha(90)
        axis.setGridLineColor(grid)


def _nice_axis(axis: QValueAxis, top: int) -> None:
    """0 to a round number above ``top``, ticks on whole numbers."""
    step = 1
    for candidate in (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000, 10_000):
        step = candidate
        if top <= 5 * candidate:
            break
    else:
        step = 10 ** max(0, len(str(top)) - 1)
    high = max(step, math.ceil((top + 0.5) / step) * step)  # room above the highest
    axis.setRange(0, high)
    axis.setTickCount(high // step + 1)
    axis.setLabelFormat("%d")


def period_colours(n: int, palette: QPalette) -> list[QColor]:
    """Oldest lightest, newest darkest: one hue, so the order of periods reads at a glance."""
    base = QColor(palette.color(QPalette.ColorRole.Highlight))
    hue = base.hslHue() if base.hslHue() >= 0 else 210
    dark = palette.color(QPalette.ColorRole.Base).lightness() < 128
    out = []
    for i in range(n):
        share = i / max(1, n - 1)
        lightness = int(75 + 95 * share) if dark else int(190 - 120 * share)
        out.append(QColor.fromHsl(hue, 150, lightness))
    return out


@dataclass(frozen=True)
class Figures:
    """The summary figures, as shown."""

    contacts: str
    hours: str
    hours_note: str
    referral_rate: str
    referral_note: str
    followups: str
    followups_note: str


def percent(part: int, whole: int) -> str:
    return f"{round(100 * part / whole)}%"


def summary_figures(tables: dict[str, CountTable]) -> Figures:
    contacts = tables["contact_type"].total()
    low, high, _ = hours_range(tables["duration_bucket"])
    if high == 0:
        hours = _t("0 hours")
    else:
        hours = _t("about {low}–{high} hours").format(low=f"{math.floor(low):,}",
                                                      high=f"{math.ceil(high):,}")
    hours_note = _t("contacts over an hour counted as at most {n} h").format(
        n=f"{MAX_HOURS_PER_LONG_CONTACT:g}")
    made = tables["referral"].row_total("made")
    if contacts:
        rate, rate_note = percent(made, contacts), _t("{made} of {n} contacts").format(
            made=f"{made:,}", n=f"{contacts:,}")
    else:
        rate, rate_note = "—", _t("no contacts in this range")
    on_time = tables["followup"].row_total(ON_TIME)
    done = on_time + tables["followup"].row_total(LATE)
    if done:
        followups, followups_note = percent(on_time, done), _t(
            "{on_time} of {n} on time (within a day of falling due)").format(
                on_time=f"{on_time:,}", n=f"{done:,}")
    else:
        followups, followups_note = _t("no follow-ups yet"), ""
    return Figures(f"{contacts:,}", hours, hours_note, rate, rate_note, followups,
                   followups_note)


# -- the range bar ------------------------------------------------------------------------------
class RangeBar(QWidget):
    """From, to, and by month or by quarter. ``changed`` after the user changes any of them."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._span: Span | None = None
        self.from_combo = QComboBox(self)
        self.from_combo.setAccessibleName(self.tr("From"))
        self.to_combo = QComboBox(self)
        self.to_combo.setAccessibleName(self.tr("To"))
        for combo in (self.from_combo, self.to_combo):
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
            combo.setMinimumContentsLength(8)
        from_label = QLabel(self.tr("Fr&om"), self)
        from_label.setBuddy(self.from_combo)
        to_label = QLabel(self.tr("&to"), self)
        to_label.setBuddy(self.to_combo)
        self.month_button = QRadioButton(self.tr("By &month"), self)
        self.month_button.setAccessibleName(self.tr("By month"))
        self.quarter_button = QRadioButton(self.tr("By &quarter"), self)
        self.quarter_button.setAccessibleName(self.tr("By quarter"))
        self.month_button.setChecked(True)
        self.granularity_group = QButtonGroup(self)
        self.granularity_group.addButton(self.month_button)
        self.granularity_group.addButton(self.quarter_button)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(6)
        row.addWidget(from_label)
        row.addWidget(self.from_combo)
        row.addWidget(to_label)
        row.addWidget(self.to_combo)
        row.addSpacing(16)
        row.addWidget(self.month_button)
        row.addWidget(self.quarter_button)
        row.addStretch(1)
        self.from_combo.activated.connect(self._from_chosen)
        self.to_combo.activated.connect(self._to_chosen)
        self.month_button.toggled.connect(self._granularity_chosen)
        self.setEnabled(False)

    def granularity(self) -> str:
        return QUARTER if self.quarter_button.isChecked() else MONTH

    def set_span(self, span: Span, share: ShareRange) -> None:
        """Offer the periods of ``span`` and select ``share`` (already fitted to them)."""
        self._span = span
        for button in (self.month_button, self.quarter_button):
            button.blockSignals(True)
        self.quarter_button.setChecked(share.granularity == QUARTER)
        self.month_button.setChecked(share.granularity != QUARTER)
        for button in (self.month_button, self.quarter_button):
            button.blockSignals(False)
        items = range_items(span, share.granularity)
        for combo in (self.from_combo, self.to_combo):
            combo.blockSignals(True)
            combo.clear()
            for period, first, last in items:
                combo.addItem(period_label(period), (first, last))
            combo.blockSignals(False)
        starts = [first for _, first, _ in items]
        ends = [last for _, _, last in items]
        self.from_combo.setCurrentIndex(starts.index(share.first) if share.first in starts
                                        else 0)
        self.to_combo.setCurrentIndex(ends.index(share.last) if share.last in ends
                                      else len(items) - 1)
        self.setEnabled(True)

    def share_range(self) -> ShareRange | None:
        first, last = self.from_combo.currentData(), self.to_combo.currentData()
        if self._span is None or first is None or last is None:
            return None
        return ShareRange(first[0], last[1], self.granularity())

    def clear(self) -> None:
        self._span = None
        for combo in (self.from_combo, self.to_combo):
            combo.blockSignals(True)
            combo.clear()
            combo.blockSignals(False)
        self.setEnabled(False)

    def _from_chosen(self, index: int) -> None:
        if index > self.to_combo.currentIndex():
            self.to_combo.setCurrentIndex(index)  # "from" after "to": the range is one period
        self.changed.emit()

    def _to_chosen(self, index: int) -> None:
        if index < self.from_combo.currentIndex():
            self.from_combo.setCurrentIndex(index)
        self.changed.emit()

    def _granularity_chosen(self, *_: object) -> None:
        if self._span is None:
            return
        current = self.from_combo.currentData(), self.to_combo.currentData()
        wanted = ShareRange(current[0][0], current[1][1]) if None not in current else None
        self.set_span(self._span, fit_range(self._span, wanted, self.granularity()))
        self.changed.emit()


# -- a summary figure ---------------------------------------------------------------------------
class Figure(QFrame):
    """A big number with what it is, and a note under it."""

    def __init__(self, caption: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.caption = style.muted(caption, self)
        self.value = style.heading("", self, 1.4)
        self.value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.note = style.muted("", self)
        self.setAccessibleName(caption)
        column = QVBoxLayout(self)
        column.setContentsMargins(10, 8, 10, 8)
        column.setSpacing(2)
        column.addWidget(self.caption)
        column.addWidget(self.value)
        column.addWidget(self.note)
        column.addStretch(1)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)

    def set(self, value: str, note: str = "") -> None:
        self.value.setText(value)
        self.note.setText(note)
        self.note.setVisible(bool(note))
        self.value.setAccessibleName(f"{self.caption.text()}: {value}")
        self.setAccessibleDescription(f"{value}. {note}" if note else value)

    def clear(self) -> None:
        self.value.clear()
        self.value.setAccessibleName("")
        self.note.clear()
        self.setAccessibleDescription("")


# -- the page -----------------------------------------------------------------------------------
class StatisticsPage(QWidget):
    """The supporter's own counts, and "Share statistics…"."""

    loaded = Signal()  # after every load (tests wait for it)

    def __init__(self, service: CheckinService, parent: QWidget | None = None, *,
                 k_source: Callable[[], int] | None = None) -> None:
        super().__init__(parent)
        self._service = service
        self._scope = TaskScope(self)
        self.k_source: Callable[[], int] = k_source or (lambda: DEFAULT_K)  # program policy
        self._span: Span | None = None
        self._wanted: ShareRange | None = None  # what the user chose; None: the default
        self.share: ShareRange | None = None  # what the tables count
        self.tables: dict[str, CountTable] | None = None
        self._stale = True
        self.dialog: QDialog | None = None  # the share dialog, while open (tests drive it)

        # -- heading ------------------------------------------------------------------------
        title = style.heading(self.tr("Statistics"), self, 1.3)
        self.status = style.muted("", self)
        self.status.setWordWrap(False)
        self.status.setAccessibleName(self.tr("Statistics status"))
        self.busy = style.busy_bar(self.tr("Loading"), self)
        self.share_action = QAction(self.tr("&Share statistics…"), self)
        self.share_action.setShortcut(QKeySequence("Ctrl+Shift+S"))
        self.share_action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        self.share_action.setToolTip(self.tr(
            "Preview and save the anonymized, suppressed statistics for your program "
            "(Ctrl+Shift+S)"))
        self.share_action.triggered.connect(lambda *_: self.open_share())
        self.share_action.setEnabled(False)
        self.addAction(self.share_action)
        self.share_button = QPushButton(self.share_action.text(), self)
        self.share_button.setAccessibleName(self.tr("Share statistics"))
        self.share_button.setToolTip(self.share_action.toolTip())
        self.share_button.setAutoDefault(False)
        self.share_button.clicked.connect(self.share_action.trigger)
        self.share_action.enabledChanged.connect(self.share_button.setEnabled)
        self.share_button.setEnabled(False)
        top = QHBoxLayout()
        top.addWidget(title)
        top.addStretch(1)
        top.addWidget(self.busy)
        top.addWidget(self.status)
        top.addSpacing(8)
        top.addWidget(self.share_button)

        self.range_bar = RangeBar(self)
        self.range_bar.changed.connect(self._range_chosen)
        self.hint = style.muted(self.tr(
            "Only you see these numbers unsuppressed. What you share is suppressed first: "
            "“Share statistics…” shows exactly what the file holds."), self)
        self.error_banner = style.error_label(self)
        self.error_banner.setAccessibleName(self.tr("Problem"))

        # -- the figures --------------------------------------------------------------------
        self.contacts_figure = Figure(self.tr("Contacts in range"), self)
        self.hours_figure = Figure(self.tr("Hours of support"), self)
        self.referral_figure = Figure(self.tr("Referral rate"), self)
        self.followup_figure = Figure(self.tr("Follow-ups done on time"), self)
        self.figures = (self.contacts_figure, self.hours_figure, self.referral_figure,
                        self.followup_figure)
        self.figure_grid = QGridLayout()
        self.figure_grid.setSpacing(8)
        self._figure_columns = 0

        # -- contacts per period ------------------------------------------------------------
        self.line_heading = style.heading("", self, 1.1)
        self.line_view = new_chart_view(self, self.tr("Contacts per period, line chart"))
        self.line_view.setFixedHeight(LINE_CHART_HEIGHT)

        # -- one dimension ------------------------------------------------------------------
        self.dimension_combo = QComboBox(self)
        self.dimension_combo.setAccessibleName(self.tr("Break down by"))
        for key in DIMENSIONS:
            self.dimension_combo.addItem(dimension_label(key), key)
        self.dimension_combo.currentIndexChanged.connect(lambda *_: self._show_dimension())
        break_down = QLabel(self.tr("Break &down by:"), self)
        break_down.setBuddy(self.dimension_combo)
        dimension_row = QHBoxLayout()
        dimension_row.addWidget(break_down)
        dimension_row.addWidget(self.dimension_combo)
        dimension_row.addStretch(1)
        self.bar_view = new_chart_view(self, self.tr("Counts by period, bar chart"))
        self.table = new_count_table(self, self.tr("Counts by period, table"))
        self.table.installEventFilter(self)
        self.table_hint = style.muted("", self)

        body = QWidget(self)
        column = QVBoxLayout(body)
        column.setContentsMargins(0, 0, 4, 0)
        column.setSpacing(8)
        column.addLayout(self.figure_grid)
        column.addSpacing(6)
        column.addWidget(self.line_heading)
        column.addWidget(self.line_view)
        column.addSpacing(6)
        column.addLayout(dimension_row)
        column.addWidget(self.bar_view)
        column.addWidget(self.table_hint)
        column.addWidget(self.table)
        column.addStretch(1)
        self.scroller = QScrollArea(self)
        self.scroller.setWidgetResizable(True)
        self.scroller.setFrameShape(QFrame.Shape.NoFrame)
        self.scroller.setWidget(body)
        self.scroller.setAccessibleName(self.tr("Your statistics"))

        self.empty = style.muted(self.tr(
            "No statistics yet. Every check-in you save adds one anonymous count here: its "
            "kind of incident, type of contact, duration and month."), self)
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setAccessibleName(self.tr("No statistics"))
        self.empty.setMaximumWidth(520)
        empty_page = QWidget(self)
        centred = QHBoxLayout(empty_page)
        centred.addStretch(1)
        centred.addWidget(self.empty)
        centred.addStretch(1)
        self.stack = QStackedWidget(self)
        self.stack.addWidget(self.scroller)
        self.stack.addWidget(empty_page)
        self.empty_page = empty_page
        self.stack.addWidget(QWidget(self))  # nothing at all: before loading and after clear
        self.stack.setCurrentIndex(2)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 10, 12, 8)
        layout.setSpacing(8)
        layout.addLayout(top)
        layout.addWidget(self.range_bar)
        layout.addWidget(self.hint)
        layout.addWidget(self.error_banner)
        layout.addWidget(self.stack, 1)
        self._arrange_figures(2)

    # -- public -----------------------------------------------------------------------------
    def reload(self) -> None:
        """Count again (after check-ins changed, or the range was chosen)."""
        self._stale = False
        self._scope.invalidate()
        self.busy.setVisible(True)
        statistics = self._service.statistics()
        wanted, granularity = self._wanted, self.range_bar.granularity()

        def work() -> tuple[Span, ShareRange, dict[str, CountTable]] | None:
            span = statistics.month_range()
            if span is None:
                return None
            share = fit_range(span, wanted, wanted.granularity if wanted else granularity)
            return span, share, statistics.my_tables(share)

        self._scope.run(work, self._arrived, self._load_failed)

    def mark_stale(self) -> None:
        """Check-ins changed while the page is hidden: count again when it is shown."""
        self._stale = True

    def clear(self) -> None:
        """Forget every number, month, chart and dialog (the vault is locking)."""
        self._scope.invalidate()
        self._stale = True
        if self.dialog is not None:
            self.dialog.reject()
            self.dialog = None
        self._wanted = None
        self.clear_numbers()
        self._reset_granularity()
        self.status.clear()
        self.error_banner.clear()
        self.error_banner.setVisible(False)
        self.busy.setVisible(False)
        self.share_action.setEnabled(False)
        self.stack.setCurrentIndex(2)

    def _reset_granularity(self) -> None:
        self.range_bar.month_button.blockSignals(True)
        self.range_bar.month_button.setChecked(True)
        self.range_bar.month_button.blockSignals(False)

    def dimension(self) -> str:
        return str(self.dimension_combo.currentData())

    def set_dimension(self, dimension: str) -> None:
        self.dimension_combo.setCurrentIndex(self.dimension_combo.findData(dimension))

    def open_share(self) -> None:
        """Open the share dialog on the range shown here."""
        if self._span is None or self.share is None:
            return
        from peersupport.ui.share_stats_dialog import ShareStatisticsDialog

        if self.dialog is not None:
            self.dialog.reject()
        try:
            k = self.k_source()
        except Exception:  # settings unreadable: the program default
            k = DEFAULT_K
        dialog = ShareStatisticsDialog(self._service.statistics(), k, self._span, self.share,
                                       self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.finished.connect(lambda *_: self._dialog_closed(dialog))
        self.dialog = dialog
        dialog.open()

    # -- loading ------------------------------------------------------------------------------
    def _arrived(self, result: tuple[Span, ShareRange, dict[str, CountTable]] | None) -> None:
        self.busy.setVisible(False)
        self.error_banner.setVisible(False)
        if result is None:
            self.clear_numbers()
            self.stack.setCurrentWidget(self.empty_page)
            self.status.clear()
            self.loaded.emit()
            return
        self._span, self.share, self.tables = result
        self.range_bar.set_span(self._span, self.share)
        self.share_action.setEnabled(True)
        self._show_summary()
        self._show_line()
        self._show_dimension()
        self.stack.setCurrentWidget(self.scroller)
        periods = self.share.periods()
        self.status.setText(self.tr("{first} to {last}").format(
            first=period_label(periods[0]), last=period_label(periods[-1])))
        self.loaded.emit()

    def clear_numbers(self) -> None:
        """Forget the counts, the months they cover, and every figure and chart of them."""
        self._span = None
        self.share = None
        self.tables = None
        self.range_bar.clear()
        self.share_action.setEnabled(False)
        for figure in self.figures:
            figure.clear()
        self.line_heading.clear()
        clear_chart(self.line_view)
        clear_chart(self.bar_view)
        clear_count_table(self.table)
        self.table_hint.clear()

    def _load_failed(self, exc: BaseException) -> None:
        self.busy.setVisible(False)
        self.error_banner.setText(self.tr("Your statistics could not be counted ({kind}).")
                                  .format(kind=type(exc).__name__))
        self.error_banner.setVisible(True)

    def _range_chosen(self) -> None:
        self._wanted = self.range_bar.share_range()
        self.reload()

    def _dialog_closed(self, dialog: QDialog) -> None:
        if self.dialog is dialog:
            self.dialog = None

    # -- showing ------------------------------------------------------------------------------
    def _show_summary(self) -> None:
        assert self.tables is not None
        figures = summary_figures(self.tables)
        self.contacts_figure.set(figures.contacts)
        self.hours_figure.set(figures.hours, figures.hours_note)
        self.referral_figure.set(figures.referral_rate, figures.referral_note)
        self.followup_figure.set(figures.followups, figures.followups_note)

    def _show_line(self) -> None:
        assert self.tables is not None and self.share is not None
        table = self.tables["contact_type"]
        by_quarter = self.share.granularity == QUARTER
        self.line_heading.setText(self.tr("Contacts per quarter") if by_quarter
                                  else self.tr("Contacts per month"))
        clear_chart(self.line_view)
        chart = self.line_view.chart()
        series = QLineSeries()
        series.setName(self.tr("Contacts"))
        series.setPointsVisible(True)
        labels = [period_label(p) for p in table.periods]
        values = [table.column_total(p) for p in table.periods]
        for i, n in enumerate(values):
            series.append(i, n)
        pen = series.pen()
        pen.setWidth(2)
        pen.setColor(self.palette().color(QPalette.ColorRole.Highlight))
        series.setPen(pen)
        chart.addSeries(series)
        # month over year, and only every few periods over a long range, so labels fit
        x = QCategoryAxis()
        x.setLabelsPosition(QCategoryAxis.AxisLabelsPosition.AxisLabelsPositionOnValue)
        x.setStartValue(-0.5)
        step = max(1, math.ceil(len(labels) / LINE_CHART_LABELS))
        for i in range(0, len(labels), step):
            x.append(labels[i].replace(" ", "<br>"), i)
        x.setRange(-0.5, len(labels) - 0.5)
        y = QValueAxis()
        _nice_axis(y, max(values, default=0))
        chart.addAxis(x, Qt.AlignmentFlag.AlignBottom)
        chart.addAxis(y, Qt.AlignmentFlag.AlignLeft)
        series.attachAxis(x)
        series.attachAxis(y)
        chart.legend().setVisible(False)
        _style_chart(chart, self.palette())
        self.line_view.setAccessibleName(self.line_heading.text() + self.tr(", line chart"))
        self.line_view.setAccessibleDescription(", ".join(
            f"{label}: {n:,}" for label, n in zip(labels, values, strict=True)))

    def _show_dimension(self) -> None:
        if self.tables is None:
            return
        dimension = self.dimension()
        table = self.tables[dimension]
        name = self.dimension_combo.currentText()
        fill_count_table(self.table, table)
        fit_table_height(self.table)
        self.table.setAccessibleName(self.tr("{dimension} by period, table").format(
            dimension=name))
        labels = dimension_codes(dimension)
        clear_chart(self.bar_view)
        chart = self.bar_view.chart()
        series = QHorizontalStackedBarSeries()
        series.setBarWidth(0.7)
        # a horizontal chart draws its first category at the bottom: reversed, the bars read
        # top to bottom in the table's order
        codes = list(reversed(table.codes))
        colours = period_colours(len(table.periods), self.palette())
        for period, colour in zip(table.periods, colours, strict=True):
            bar_set = QBarSet(period_label(period))
            bar_set.append([float(table.cells[c][period]) for c in codes])
            bar_set.setColor(colour)
            bar_set.setBorderColor(self.palette().color(QPalette.ColorRole.Base))
            series.append(bar_set)
        chart.addSeries(series)
        y = QBarCategoryAxis()
        y.append([labels.get(c, c) for c in codes])
        x = QValueAxis()
        _nice_axis(x, max((table.row_total(c) for c in codes), default=0))
        chart.addAxis(y, Qt.AlignmentFlag.AlignLeft)
        chart.addAxis(x, Qt.AlignmentFlag.AlignBottom)
        series.attachAxis(y)
        series.attachAxis(x)
        y.setGridLineVisible(False)
        # twelve legend entries would not fit side by side: the hint names the shades instead
        chart.legend().setVisible(False)
        _style_chart(chart, self.palette())
        names = [labels.get(c, c) for c in codes]
        series.hovered.connect(lambda on, index, bar_set: self._bar_tip(on, names[index],
                                                                        bar_set, index))
        self.bar_view.setFixedHeight(len(codes) * BAR_ROW_HEIGHT + 60)
        if len(table.periods) > 1:
            by_quarter = self.share is not None and self.share.granularity == QUARTER
            self.table_hint.setText((self.tr(
                "Each bar is one row of the table below: its length is the row's total, its "
                "shades the quarters, from {first} (lightest) to {last} (darkest).") if by_quarter
                else self.tr(
                "Each bar is one row of the table below: its length is the row's total, its "
                "shades the months, from {first} (lightest) to {last} (darkest).")).format(
                    first=period_label(table.periods[0]), last=period_label(table.periods[-1])))
        else:
            self.table_hint.setText(self.tr(
                "Each bar is one row of the table below: its length is the row's total."))
        self.bar_view.setAccessibleName(self.tr("{dimension}, bar chart").format(
            dimension=name))
        self.bar_view.setAccessibleDescription(", ".join(
            f"{labels.get(c, c)}: {table.row_total(c):,}" for c in table.codes))

    def _bar_tip(self, on: bool, row: str, bar_set: QBarSet, index: int) -> None:
        if on:
            QToolTip.showText(QCursor.pos(), self.tr("{row}, {period}: {n}").format(
                row=row, period=bar_set.label(), n=f"{int(bar_set.at(index)):,}"),
                self.bar_view)
        else:
            QToolTip.hideText()

    # -- layout ---------------------------------------------------------------------------------
    def _arrange_figures(self, columns: int) -> None:
        if columns == self._figure_columns:
            return
        self._figure_columns = columns
        for figure in self.figures:
            self.figure_grid.removeWidget(figure)
        for i, figure in enumerate(self.figures):
            self.figure_grid.addWidget(figure, i // columns, i % columns)
        for c in range(4):
            self.figure_grid.setColumnStretch(c, 1 if c < columns else 0)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._arrange_figures(4 if event.size().width() >= NARROW_WIDTH else 2)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.table and event.type() == QEvent.Type.Resize and \
                self.table.rowCount():
            fit_table_height(self.table)  # the scroll bar comes and goes with the width
        return super().eventFilter(watched, event)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self._stale:
            self.reload()

