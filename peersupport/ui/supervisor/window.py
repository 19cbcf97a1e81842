"""The program supervisor's window: a lock page, then the dashboard of the anonymized
statistics supporters shared (imported from signed ``.psstats`` files).

Every number shown comes from the profile's ``Dashboard``: its tables are already suppressed
again, and the window never adds anything up itself. Locking closes every dialog, deletes the
dashboard's widgets and wipes the profile's key.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCharts import QChartView
from PySide6.QtCore import QCoreApplication, QStandardPaths, Qt, QUrl, Signal
from PySide6.QtGui import (
    QAction,
    QCloseEvent,
    QColor,
    QDragEnterEvent,
    QDropEvent,
    QFont,
    QGuiApplication,
    QKeySequence,
    QPainter,
)
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QButtonGroup,
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMainWindow,
    QMessageBox,
    QPushButton,
    QRadioButton,
    QScrollArea,
    QSpinBox,
    QSplitter,
    QStackedWidget,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QToolBar,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from peersupport import hygiene
from peersupport.atomic import write_atomic
from peersupport.crypto import kdf
from peersupport.crypto.errors import (
    StatsFormatError,
    StatsVersionError,
    TamperError,
    WeakParametersError,
    WrongSecretError,
)
from peersupport.crypto.stats_file import MAX_FILE_BYTES, STATS_EXTENSION
from peersupport.domain.stats import (
    DIMENSIONS,
    MAX_K,
    MIN_K,
    MONTH,
    QUARTER,
    ShownTable,
    ShownValue,
    quarter_of,
)
from peersupport.supervisor.profile import (
    MAX_PROGRAM_NAME,
    Dashboard,
    DuplicateStatsError,
    ImportCheck,
    NoProfileError,
    SupervisorProfile,
    UnknownSignerError,
    csv_text,
    suppression_rule_text,
)
from peersupport.supervisor.profile_file import ProfileFormatError
from peersupport.ui import style
from peersupport.ui.file_dialogs import forget_file_dialog_history, save_file_name
from peersupport.ui.icons import app_icon
from peersupport.ui.lock_screen import password_field
from peersupport.ui.supervisor.charts import (
    BOUND_COLOUR,
    Figure,
    contacts_chart,
    dimension_chart,
    is_bound,
    is_suppressed,
    period_range,
    period_word,
    row_label,
    shown_text,
    summary_figures,
)
from peersupport.ui.supervisor.report_pdf import write_report_pdf
from peersupport.ui.tasks import run_task, wait_for_tasks

log = logging.getLogger(__name__)

_CONTEXT = "SupervisorWindow"


def _t(text: str) -> str:
    return QCoreApplication.translate(_CONTEXT, text)


# -- messages ---------------------------------------------------------------------------------
def unlock_error_message(exc: BaseException) -> str:
    if isinstance(exc, WrongSecretError):
        return _t("That passphrase does not open this profile. Check Caps Lock and try "
                  "again.")
    if isinstance(exc, WeakParametersError):
        return _t("This profile's key settings were weakened, which this app refuses: its "
                  "file may have been tampered with. Nothing was changed.")
    if isinstance(exc, (ProfileFormatError, TamperError)):
        return _t("The supervisor profile cannot be read: it is damaged or was changed "
                  "outside Peer Support. Nothing was changed.")
    if isinstance(exc, NoProfileError):
        return _t("There is no supervisor profile in this folder any more.")
    if isinstance(exc, OSError):
        return _t("The profile could not be opened: {reason}.").format(
            reason=exc.strerror or "input/output error")
    return _t("The profile could not be opened ({kind}).").format(kind=type(exc).__name__)


def import_error_message(exc: BaseException) -> str:
    """Why a file was not imported, in plain words (nothing was written)."""
    if isinstance(exc, StatsVersionError):
        return _t("It was made by a newer version of Peer Support, in a format this app does "
                  "not know. Update Peer Support, then import it again.")
    if isinstance(exc, StatsFormatError):
        return _t("It is not a readable statistics file ({detail}).").format(detail=str(exc))
    if isinstance(exc, TamperError):
        return _t("The file failed its signature check: it was changed after it was signed. "
                  "Ask the supporter to share it again.")
    if isinstance(exc, UnknownSignerError):
        return _t("It is signed by a supporter whose key is not pinned ({fingerprint}), and "
                  "only pinned supporters' files are accepted (Settings). To accept this "
                  "supporter, pin their key first: Supporters > Pin from a file.").format(
            fingerprint=exc.fingerprint)
    if isinstance(exc, DuplicateStatsError):
        return _t("Statistics of {who} for these periods were imported before.").format(
            who=exc.pseudonym)
    if isinstance(exc, OSError):
        return _t("The file could not be read or saved ({reason}).").format(
            reason=exc.strerror or type(exc).__name__)
    return _t("The file could not be imported ({kind}).").format(kind=type(exc).__name__)


def _read_and_check(profile: SupervisorProfile, path: Path) -> tuple[bytes, ImportCheck]:
    """On the worker thread: read the file (refusing anything too large) and verify it."""
    if path.stat().st_size > MAX_FILE_BYTES:
        raise StatsFormatError("the file is too large to be a statistics file")
    data = path.read_bytes()
    return data, profile.check_import(data)


def _overlapping(check: ImportCheck) -> list[str]:
    """The new file's periods that statistics imported before cover too (a month and the
    quarter it falls in overlap)."""
    stats = check.stats

    def as_quarter(period: str, granularity: str) -> str:
        return period if granularity == QUARTER else quarter_of(period)

    covered: set[str] = set()
    for earlier in check.duplicates:
        if earlier.granularity == stats.granularity:
            covered |= set(earlier.periods) & set(stats.periods)
        else:
            theirs = {as_quarter(p, earlier.granularity) for p in earlier.periods}
            covered |= {p for p in stats.periods
                        if as_quarter(p, stats.granularity) in theirs}
    return sorted(covered)


def _periods_text(periods: Sequence[str]) -> str:
    if not periods:
        return ""
    if len(periods) == 1:
        return periods[0]
    return _t("{first} to {last}").format(first=periods[0], last=periods[-1])


@dataclass(frozen=True)
class ImportOutcome:
    name: str
    imported: bool
    message: str


# -- the lock page ----------------------------------------------------------------------------
class SupervisorLockPage(QWidget):
    unlock_requested = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("supervisorLockPage")
        card = QFrame(self)
        card.setFrameShape(QFrame.Shape.StyledPanel)
        card.setMaximumWidth(480)
        card.setMinimumWidth(360)
        icon = QLabel(card)
        icon.setPixmap(app_icon().pixmap(64, 64))
        icon.setAlignment(Qt.AlignmentFlag.AlignCenter)
        icon.setAccessibleName(self.tr("Peer Support"))
        title = style.heading(self.tr("Program statistics are locked"), card)
        title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        hint = style.muted(self.tr(
            "Enter the supervisor passphrase to open the anonymized statistics of your "
            "program."), card)
        hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.passphrase = password_field(self.tr("Supervisor passphrase"), card)
        self.passphrase.setPlaceholderText(self.tr("Passphrase"))
        self.passphrase.setMinimumHeight(32)
        self.unlock_button = QPushButton(self.tr("&Unlock"), card)
        self.unlock_button.setDefault(True)
        self.unlock_button.setMinimumHeight(32)
        self.unlock_button.setAccessibleName(self.tr("Unlock"))
        self.status = style.error_label(card)
        self.status.setAccessibleName(self.tr("Unlock status"))
        self.status.setAlignment(Qt.AlignmentFlag.AlignCenter)
        row = QHBoxLayout()
        row.addWidget(self.passphrase, 1)
        row.addWidget(self.unlock_button)
        inner = QVBoxLayout(card)
        inner.setContentsMargins(32, 28, 32, 24)
        inner.setSpacing(12)
        inner.addWidget(icon)
        inner.addWidget(title)
        inner.addWidget(hint)
        inner.addSpacing(8)
        inner.addLayout(row)
        inner.addWidget(self.status)
        outer = QVBoxLayout(self)
        outer.addStretch(1)
        centre = QHBoxLayout()
        centre.addStretch(1)
        centre.addWidget(card, 3)
        centre.addStretch(1)
        outer.addLayout(centre)
        outer.addStretch(2)
        self._busy = False
        self.unlock_button.clicked.connect(self._submit)
        self.passphrase.returnPressed.connect(self._submit)
        self.passphrase.textChanged.connect(self._refresh)
        self._refresh()

    def _refresh(self) -> None:
        self.passphrase.setEnabled(not self._busy)
        self.unlock_button.setEnabled(not self._busy and bool(self.passphrase.text()))

    def _submit(self) -> None:
        if self.unlock_button.isEnabled():
            self.unlock_requested.emit(self.passphrase.text())

    def set_busy(self, busy: bool) -> None:
        self._busy = busy
        if busy:
            self.show_message(self.tr("Unlocking\u2026"), error=False)
        self._refresh()

    def show_message(self, text: str, *, error: bool = True) -> None:
        style.set_text_colour(self.status, style.error_colour() if error else None)
        self.status.setText(text)
        self.status.setVisible(bool(text))

    def failed(self, message: str) -> None:
        self._busy = False
        self.show_message(message)
        self._refresh()
        self.passphrase.selectAll()
        self.passphrase.setFocus()

    def reset(self) -> None:
        self._busy = False
        self.passphrase.clear()
        self.show_message("")
        self._refresh()


# -- the dashboard ----------------------------------------------------------------------------
def _value_item(value: ShownValue, *, total: bool = False) -> QTableWidgetItem:
    item = QTableWidgetItem(shown_text(value))
    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
    item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable)
    font = QFont(item.font())
    font.setBold(total)
    if is_bound(value):
        font.setItalic(True)
        item.setForeground(BOUND_COLOUR.darker(140))
        item.setToolTip(_t("A lower bound: this sum includes suppressed counts, so the true "
                           "number is at least this."))
    elif is_suppressed(value):
        item.setForeground(QColor("#767676"))
        item.setToolTip(_t("Suppressed: small counts (and the counts that would give them "
                           "away) are never shown."))
    item.setFont(font)
    return item


def _table_widget(name: str, parent: QWidget) -> QTableWidget:
    table = QTableWidget(parent)
    table.setAccessibleName(name)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionMode(QAbstractItemView.SelectionMode.ContiguousSelection)
    table.setAlternatingRowColors(True)
    table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
    table.verticalHeader().setDefaultSectionSize(table.fontMetrics().height() + 8)
    corner = table.findChild(QAbstractButton, "qt_tableview_cornerbutton")
    if corner is not None:
        corner.setAccessibleName(_t("Select the whole table"))
    return table


def _chart_view(chart: Any, name: str, parent: QWidget) -> QChartView:
    view = QChartView(chart, parent)
    view.setRenderHint(QPainter.RenderHint.Antialiasing)
    view.setAccessibleName(name)
    view.setAccessibleDescription(_t(
        "The same values are in the table beside the chart."))
    view.setMinimumSize(280, 220)
    view.setFocusPolicy(Qt.FocusPolicy.NoFocus)
    return view


class ContactsView(QWidget):
    """Contacts per period: the line chart and, beside it, the values it plots."""

    def __init__(self, board: Dashboard, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        table = board.contacts()
        word = period_word(board.granularity)
        self.line = contacts_chart(board)
        self.chart_view = _chart_view(
            self.line.chart, self.tr("Chart: contacts per {period}").format(period=word), self)
        self.table = _table_widget(
            self.tr("Table: contacts per {period}").format(period=word), self)
        self.table.setColumnCount(1)
        self.table.setRowCount(len(table.periods) + 1)
        self.table.setHorizontalHeaderLabels([self.tr("Contacts")])
        self.table.setVerticalHeaderLabels([*table.periods, self.tr("Total")])
        for row, period in enumerate(table.periods):
            self.table.setItem(row, 0, _value_item(table.column_totals[period]))
        self.table.setItem(len(table.periods), 0, _value_item(table.total, total=True))
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.setMinimumWidth(190)
        self.table.setMaximumWidth(300)
        note = style.muted(self.tr(
            "Orange triangles are lower bounds (\"at least\"): those sums include suppressed "
            "counts. A gap in the line is a suppressed count.") + " "
            + suppression_rule_text(board.k), self)
        note.setAccessibleName(self.tr("How to read the chart"))
        splitter = QSplitter(Qt.Orientation.Horizontal, self)
        splitter.addWidget(self.chart_view)
        splitter.addWidget(self.table)
        splitter.setStretchFactor(0, 4)
        splitter.setStretchFactor(1, 1)
        splitter.setChildrenCollapsible(False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(splitter, 1)
        layout.addWidget(note)

    def periods(self) -> list[str]:
        return [self.table.verticalHeaderItem(r).text()
                for r in range(self.table.rowCount() - 1)]


class DimensionView(QWidget):
    """One dimension: a bar chart of its totals and, beside it, the whole shown table (its
    Total column first, next to the chart that draws it)."""

    def __init__(self, table: ShownTable, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.dimension = table.dimension
        label = DIMENSIONS.get(table.dimension, table.dimension)
        self.bars = dimension_chart(table)
        self.chart_view = _chart_view(
            self.bars.chart, self.tr("Chart: {dimension}, totals").format(dimension=label),
            self)
        # every bar keeps room for its label; a short window scrolls instead of squeezing
        self.chart_view.setMinimumHeight(110 + 24 * len(table.codes))
        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setWidget(self.chart_view)
        scroll.setMinimumWidth(300)
        self.table = _table_widget(self.tr("Table: {dimension}").format(dimension=label), self)
        self.table.setRowCount(len(table.codes) + 1)
        self.table.setColumnCount(len(table.periods) + 1)
        for r, text in enumerate([row_label(table.dimension, c) for c in table.codes]
                                 + [self.tr("Total")]):
            header = QTableWidgetItem(text)
            header.setToolTip(text)  # long names are shortened in a narrow window
            self.table.setVerticalHeaderItem(r, header)
        rows = self.table.verticalHeader()
        rows.setMaximumWidth(max(160, rows.fontMetrics().horizontalAdvance("M") * 17))
        rows.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.table.setHorizontalHeaderLabels([self.tr("Total"), *table.periods])
        for r, code in enumerate(table.codes):
            self.table.setItem(r, 0, _value_item(table.row_totals[code], total=True))
            for c, period in enumerate(table.periods, start=1):
                self.table.setItem(r, c, _value_item(table.cells[code][period]))
        last_row = len(table.codes)
        self.table.setItem(last_row, 0, _value_item(table.total, total=True))
        for c, period in enumerate(table.periods, start=1):
            self.table.setItem(last_row, c, _value_item(table.column_totals[period],
                                                        total=True))
        self.table.resizeColumnsToContents()
        self.table.setMinimumWidth(240)
        splitter = QSplitter(Qt.Orientation.Horizontal, self)
        splitter.addWidget(scroll)
        splitter.addWidget(self.table)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        splitter.setSizes([3000, 2000])
        splitter.setChildrenCollapsible(False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(splitter)

    def total_text(self, code_index: int) -> str:
        """The text the table shows as the total of the row ``code_index``."""
        item = self.table.item(code_index, 0)
        return item.text() if item is not None else ""

    def cell_text(self, code_index: int, period_index: int) -> str:
        item = self.table.item(code_index, period_index + 1)
        return item.text() if item is not None else ""


class FigureCard(QFrame):
    def __init__(self, figure: Figure, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(f"figure_{figure.key}")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.title = style.muted(figure.title, self)
        self.value = style.heading(figure.value, self, scale=1.4)
        self.value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.value.setAccessibleName(f"{figure.title}: {figure.value}")
        self.setToolTip(figure.note)
        self.setAccessibleName(f"{figure.title}: {figure.value}")
        self.setAccessibleDescription(figure.note)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 6, 10, 6)
        layout.setSpacing(2)
        layout.addWidget(self.title)
        layout.addWidget(self.value)


class DashboardPage(QWidget):
    """The header with the Month / Quarter choice, the summary figures and one tab per view.
    ``show_board`` rebuilds the figures and tabs; ``clear`` deletes them."""

    granularity_changed = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("supervisorDashboard")
        self.title = style.heading("", self, scale=1.5)
        self.title.setAccessibleName(self.tr("Program"))
        self.subtitle = style.muted("", self)
        self.subtitle.setAccessibleName(self.tr("Periods shown"))
        self.left_out = QLabel(self)
        self.left_out.setWordWrap(True)
        self.left_out.setAccessibleName(self.tr("Files not shown by month"))
        self.left_out.hide()
        self.by_month = QRadioButton(self.tr("By &month"), self)
        self.by_month.setAccessibleName(self.tr("Show by month"))
        self.by_quarter = QRadioButton(self.tr("By &quarter"), self)
        self.by_quarter.setAccessibleName(self.tr("Show by quarter"))
        self.by_month.setChecked(True)
        group = QButtonGroup(self)
        group.addButton(self.by_month)
        group.addButton(self.by_quarter)
        self.by_month.toggled.connect(self._toggled)

        heading = QVBoxLayout()
        heading.setSpacing(2)
        heading.addWidget(self.title)
        heading.addWidget(self.subtitle)
        toggle = QHBoxLayout()
        toggle.addWidget(self.by_month)
        toggle.addWidget(self.by_quarter)
        top = QHBoxLayout()
        top.addLayout(heading, 1)
        top.addLayout(toggle)
        self.body = QVBoxLayout()
        self.body.setContentsMargins(0, 0, 0, 0)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 8, 12, 8)
        layout.addLayout(top)
        layout.addWidget(self.left_out)
        layout.addLayout(self.body, 1)

        self.content: QWidget | None = None
        self.cards: dict[str, FigureCard] = {}
        self.tabs: QTabWidget | None = None
        self.contacts_view: ContactsView | None = None
        self.dimension_views: dict[str, DimensionView] = {}
        self.empty: QLabel | None = None
        self._tab_index = 0

    def granularity(self) -> str:
        return QUARTER if self.by_quarter.isChecked() else MONTH

    def set_granularity(self, granularity: str) -> None:
        (self.by_quarter if granularity == QUARTER else self.by_month).setChecked(True)

    def _toggled(self) -> None:
        self.granularity_changed.emit(self.granularity())

    def clear(self) -> None:
        """Delete every widget that showed numbers."""
        if self.tabs is not None:
            self._tab_index = self.tabs.currentIndex()
        content, self.content = self.content, None
        if content is not None:
            content.hide()
            self.body.removeWidget(content)
            content.setParent(None)  # out of the window at once, gone with its numbers
            content.deleteLater()
        self.cards = {}
        self.tabs = None
        self.contacts_view = None
        self.dimension_views = {}
        self.empty = None
        self.title.clear()
        self.subtitle.clear()
        self.left_out.clear()
        self.left_out.hide()

    def show_board(self, board: Dashboard, program_name: str, imported_files: int) -> None:
        self.clear()
        self.title.setText(program_name or self.tr("Program statistics"))
        by = self.tr("by month") if board.granularity == MONTH else self.tr("by quarter")
        rule = self.tr("counts from 1 to {k1} are suppressed").format(k1=board.k - 1)
        self.subtitle.setText(self.tr(
            "{range}, {by} \u00b7 {s} supporter(s), {f} file(s) \u00b7 {rule}").format(
            range=period_range(board), by=by, s=board.supporters, f=board.files, rule=rule)
            if board.periods else rule.capitalize())
        self.subtitle.setToolTip(suppression_rule_text(board.k))
        if board.left_out:
            self.left_out.setText(self.tr(
                "{n} quarterly file(s) are shown by quarter only.").format(n=board.left_out))
            self.left_out.show()

        content = QWidget(self)
        layout = QVBoxLayout(content)
        layout.setContentsMargins(0, 4, 0, 0)
        if not board.periods:
            if imported_files:
                text = self.tr("Nothing to show by month: the files imported so far are "
                               "quarterly. Choose By quarter.")
            else:
                text = self.tr(
                    "No statistics yet.\n\nImport the .psstats files peer supporters send "
                    "you: File > Import statistics files\u2026 (Ctrl+I), or drop them on "
                    "this window.")
            self.empty = QLabel(text, content)
            self.empty.setWordWrap(True)
            self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
            self.empty.setAccessibleName(self.tr("No statistics to show"))
            layout.addWidget(self.empty, 1)
        else:
            cards = QHBoxLayout()
            for figure in summary_figures(board):
                card = FigureCard(figure, content)
                self.cards[figure.key] = card
                cards.addWidget(card, 1)
            layout.addLayout(cards)
            tabs = QTabWidget(content)
            tabs.setAccessibleName(self.tr("Views of the statistics"))
            tabs.setDocumentMode(True)
            tabs.setUsesScrollButtons(True)
            self.contacts_view = ContactsView(board, tabs)
            tabs.addTab(self.contacts_view, self.tr("Contacts over time"))
            for dimension, label in DIMENSIONS.items():
                table = board.tables.get(dimension)
                if table is None:
                    continue
                view = DimensionView(table, tabs)
                self.dimension_views[dimension] = view
                tabs.addTab(view, label)
            tabs.setCurrentIndex(min(self._tab_index, tabs.count() - 1))
            self.tabs = tabs
            layout.addWidget(tabs, 1)
        self.body.addWidget(content, 1)
        self.content = content


# -- dialogs ----------------------------------------------------------------------------------
class SettingsDialog(QDialog):
    def __init__(self, profile: SupervisorProfile, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("supervisorSettings")
        self.setWindowTitle(self.tr("Settings"))
        self.name = QLineEdit(profile.program_name, self)
        self.name.setMaxLength(MAX_PROGRAM_NAME)
        self.name.setAccessibleName(self.tr("Program name"))
        self.k = QSpinBox(self)
        self.k.setRange(MIN_K, MAX_K)
        self.k.setValue(profile.k)
        self.k.setAccessibleName(self.tr("Smallest count shown"))
        k_hint = style.muted(self.tr(
            "Counts below this number are never shown, here and in exports. A file made with "
            "a larger number keeps its own: the larger one always applies."), self)
        self.only_pinned = QCheckBox(
            self.tr("&Accept files only from pinned supporters"), self)
        self.only_pinned.setChecked(profile.accept_only_pinned)
        self.only_pinned.setAccessibleName(self.tr("Accept files only from pinned supporters"))
        pinned_hint = style.muted(self.tr(
            "When on, a file signed by a key you have not pinned is refused. Pin new "
            "supporters in Supporters > Pin from a file."), self)
        form = QFormLayout()
        form.addRow(self.tr("Program &name:"), self.name)
        form.addRow(self.tr("&Smallest count shown:"), self.k)
        form.addRow("", k_hint)
        form.addRow("", self.only_pinned)
        form.addRow("", pinned_hint)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setAccessibleName(self.tr("OK"))
        buttons.button(QDialogButtonBox.StandardButton.Cancel).setAccessibleName(
            self.tr("Cancel"))
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(buttons)
        self.setMinimumWidth(460)


class SupportersDialog(QDialog):
    """The pinned supporters' keys: pseudonym, fingerprint, since when; unpin; pin from a
    file (when only pinned supporters are accepted)."""

    def __init__(self, window: SupervisorWindow) -> None:
        super().__init__(window)
        self._window = window
        self.setObjectName("supervisorSupporters")
        self.setWindowTitle(self.tr("Supporters"))
        intro = style.muted(self.tr(
            "Files are accepted as a supporter's when they are signed by that supporter's "
            "key. Unpinning a key keeps the statistics already imported from it."), self)
        self.table = _table_widget(self.tr("Pinned supporters"), self)
        self.table.setColumnCount(3)
        self.table.setHorizontalHeaderLabels(
            [self.tr("Supporter"), self.tr("Fingerprint"), self.tr("Pinned since")])
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setStretchLastSection(True)
        self.unpin_button = QPushButton(self.tr("&Unpin\u2026"), self)
        self.unpin_button.setAccessibleName(self.tr("Unpin the selected supporter"))
        self.pin_button = QPushButton(self.tr("&Pin from a file\u2026"), self)
        self.pin_button.setAccessibleName(self.tr("Pin a supporter's key from a statistics file"))
        close = QPushButton(self.tr("&Close"), self)
        close.setAccessibleName(self.tr("Close"))
        self.empty = style.muted(self.tr("No supporter is pinned yet."), self)
        row = QHBoxLayout()
        row.addWidget(self.unpin_button)
        row.addWidget(self.pin_button)
        row.addStretch(1)
        row.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.empty)
        layout.addLayout(row)
        self.resize(620, 360)
        self.question: QMessageBox | None = None
        self.unpin_button.clicked.connect(self._ask_unpin)
        self.pin_button.clicked.connect(self._choose_pin_file)
        close.clicked.connect(self.accept)
        self.table.itemSelectionChanged.connect(self._refresh_buttons)
        self.reload()

    def reload(self) -> None:
        profile = self._window.profile
        keys = sorted(profile.pinned.values(), key=lambda p: p.pseudonym) if profile else []
        self.table.setRowCount(len(keys))
        mono = style.monospace()
        for r, key in enumerate(keys):
            name = QTableWidgetItem(key.pseudonym)
            name.setData(Qt.ItemDataRole.UserRole, key.fingerprint)
            fingerprint = QTableWidgetItem(key.fingerprint)
            fingerprint.setFont(mono)
            for c, item in enumerate((name, fingerprint, QTableWidgetItem(key.pinned))):
                item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable)
                self.table.setItem(r, c, item)
        self.table.resizeColumnsToContents()
        self.empty.setVisible(not keys)
        self._refresh_buttons()

    def selected_fingerprint(self) -> str | None:
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            return None
        item = self.table.item(rows[0].row(), 0)
        return str(item.data(Qt.ItemDataRole.UserRole)) if item is not None else None

    def _refresh_buttons(self) -> None:
        self.unpin_button.setEnabled(self.selected_fingerprint() is not None)

    def _ask_unpin(self) -> None:
        fingerprint = self.selected_fingerprint()
        profile = self._window.profile
        if fingerprint is None or profile is None or fingerprint not in profile.pinned:
            return
        pseudonym = profile.pinned[fingerprint].pseudonym
        box = QMessageBox(self)
        box.setIcon(QMessageBox.Icon.Question)
        box.setWindowTitle(self.tr("Unpin supporter"))
        box.setText(self.tr("Unpin {who}?").format(who=pseudonym))
        box.setInformativeText(self.tr(
            "Their next file is then treated as coming from a new supporter: you will be "
            "asked to check its fingerprint again (or it is refused, when only pinned "
            "supporters are accepted). Statistics already imported stay."))
        yes = box.addButton(self.tr("&Unpin"), QMessageBox.ButtonRole.DestructiveRole)
        no = box.addButton(self.tr("&Keep"), QMessageBox.ButtonRole.RejectRole)
        box.setDefaultButton(no)
        box.setEscapeButton(no)

        def answered(button: Any) -> None:
            self.question = None
            if button is yes:
                self._window.save_change(lambda p: p.unpin(fingerprint),
                                         self.tr("{who} was unpinned.").format(who=pseudonym),
                                         self.reload)

        box.buttonClicked.connect(answered)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.question = box
        box.addAction(self._window.lock_action)  # Ctrl+L locks from here too
        box.open()

    def _choose_pin_file(self) -> None:
        try:
            name, _ = QFileDialog.getOpenFileName(
                self, self.tr("Pin a supporter's key"), _documents(),
                self.tr("Statistics files (*{ext})").format(ext=STATS_EXTENSION))
        finally:
            forget_file_dialog_history()
        if name:
            self.pin_from_file(Path(name))

    def pin_from_file(self, path: Path) -> None:
        profile = self._window.profile
        if profile is None:
            return

        def checked(result: tuple[bytes, ImportCheck]) -> None:
            data, check = result
            stats = check.stats
            if self._window.profile is not profile:
                return
            if check.pinned:
                self._window.statusBar().showMessage(
                    self.tr("{who} is already pinned.").format(who=stats.pseudonym), 6000)
                return
            box, yes = _pin_question(self, path.name, stats.pseudonym, stats.fingerprint,
                                     self.tr("&Pin"), self.tr("&Cancel"))

            def answered(button: Any) -> None:
                self.question = None
                if button is yes:
                    self._window.save_change(
                        lambda p: p.pin(data),
                        self.tr("{who} was pinned.").format(who=stats.pseudonym), self.reload)

            box.buttonClicked.connect(answered)
            self.question = box
            box.addAction(self._window.lock_action)  # Ctrl+L locks from here too
            box.open()

        def failed(exc: BaseException) -> None:
            QMessageBox.warning(self, self.tr("Pin a supporter's key"),
                                self.tr("{file} was not used. {why}").format(
                                    file=path.name, why=import_error_message(exc)))

        run_task(lambda: _read_and_check(profile, path), checked, failed)


def _pin_question(parent: QWidget, file_name: str, pseudonym: str, fingerprint: str,
                  yes_text: str, no_text: str) -> tuple[QMessageBox, QPushButton]:
    box = QMessageBox(parent)
    box.setObjectName("pinQuestion")
    box.setIcon(QMessageBox.Icon.Question)
    box.setWindowTitle(_t("New supporter"))
    box.setText(_t("Pin this supporter's key?"))
    box.setInformativeText(_t(
        "{file} is signed by {who}, whose key you have not pinned yet.\n\n"
        "Fingerprint: {fingerprint}\n\n"
        "Ask the supporter to read out the fingerprint their app shows when they share "
        "statistics, and pin the key only if it is the same. Their later files are then "
        "recognized as theirs.").format(file=file_name, who=pseudonym,
                                        fingerprint=fingerprint))
    yes = box.addButton(yes_text, QMessageBox.ButtonRole.AcceptRole)
    no = box.addButton(no_text, QMessageBox.ButtonRole.RejectRole)
    yes.setAccessibleName(yes_text.replace("&", ""))
    no.setAccessibleName(no_text.replace("&", ""))
    box.setDefaultButton(no)
    box.setEscapeButton(no)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    return box, yes


def _documents() -> str:
    return QStandardPaths.writableLocation(
        QStandardPaths.StandardLocation.DocumentsLocation) or str(Path.home())


# -- the window -------------------------------------------------------------------------------
class SupervisorWindow(QMainWindow):
    """The supervisor's window for ``folder`` (which holds ``supervisor.psprofile``)."""

    unlocked = Signal()
    locked = Signal()
    quit_requested = Signal()
    imports_finished = Signal()

    def __init__(self, folder: Path, kdf_profile: kdf.KdfProfile = kdf.PRODUCTION,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("supervisorWindow")
        self._folder = folder
        self._kdf_profile = kdf_profile
        self.profile: SupervisorProfile | None = None
        self.board: Dashboard | None = None
        self._session = 0  # bumped by every lock: late callbacks of a closed session are dropped
        self._queue: list[Path] = []
        self._importing = False
        self.outcomes: list[ImportOutcome] = []
        self.question: QMessageBox | None = None
        self.summary_box: QMessageBox | None = None

        self.setWindowTitle(self.tr("Peer Support \u2013 program statistics"))
        self.setWindowIcon(app_icon())
        self.setAcceptDrops(True)
        self.resize(1000, 700)
        self.setMinimumSize(760, 540)

        self.lock_page = SupervisorLockPage(self)
        self.dashboard_page = DashboardPage(self)
        self.pages = QStackedWidget(self)
        self.pages.addWidget(self.lock_page)
        self.pages.addWidget(self.dashboard_page)
        self.setCentralWidget(self.pages)
        self.lock_page.unlock_requested.connect(self.unlock)
        self.dashboard_page.granularity_changed.connect(lambda _g: self.refresh())
        self._make_actions()
        self._show_locked()

    # -- actions ----------------------------------------------------------------------------
    def _action(self, text: str, name: str, shortcut: QKeySequence | str | None,
                slot: Callable[[], object]) -> QAction:
        action = QAction(text, self)
        action.setToolTip(name)
        action.setStatusTip(name)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        action.triggered.connect(slot)
        return action

    def _make_actions(self) -> None:
        tr = self.tr
        self.import_action = self._action(tr("&Import statistics files\u2026"),
                                          tr("Import statistics files"), "Ctrl+I",
                                          self.choose_files)
        self.csv_action = self._action(tr("Export &CSV\u2026"), tr("Export the view as CSV"),
                                       "Ctrl+E", self.export_csv)
        self.pdf_action = self._action(tr("Export &PDF report\u2026"),
                                       tr("Export a PDF report of the view"), "Ctrl+P",
                                       self.export_pdf)
        self.lock_action = self._action(tr("&Lock"), tr("Lock the statistics"), "Ctrl+L",
                                        self.lock)
        self.quit_action = self._action(tr("&Quit"), tr("Quit Peer Support"), "Ctrl+Q",
                                        self._quit)
        self.settings_action = self._action(tr("&Settings\u2026"), tr("Program settings"),
                                            "Ctrl+,", self.open_settings)
        self.supporters_action = self._action(tr("S&upporters\u2026"),
                                              tr("Pinned supporters"), "Ctrl+U",
                                              self.open_supporters)
        self.month_action = self._action(tr("By &month"), tr("Show by month"), "Ctrl+1",
                                         lambda: self.dashboard_page.set_granularity(MONTH))
        self.quarter_action = self._action(tr("By &quarter"), tr("Show by quarter"), "Ctrl+2",
                                           lambda: self.dashboard_page.set_granularity(QUARTER))
        menu = self.menuBar()
        file_menu = menu.addMenu(tr("&File"))
        file_menu.addAction(self.import_action)
        file_menu.addSeparator()
        file_menu.addAction(self.csv_action)
        file_menu.addAction(self.pdf_action)
        file_menu.addSeparator()
        file_menu.addAction(self.lock_action)
        file_menu.addAction(self.quit_action)
        view_menu = menu.addMenu(tr("&View"))
        view_menu.addAction(self.month_action)
        view_menu.addAction(self.quarter_action)
        program_menu = menu.addMenu(tr("&Program"))
        program_menu.addAction(self.settings_action)
        program_menu.addAction(self.supporters_action)
        self.toolbar = QToolBar(tr("Main toolbar"), self)
        self.toolbar.setObjectName("supervisorToolbar")
        self.toolbar.setMovable(False)
        self.toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.toolbar.setAccessibleName(tr("Main toolbar"))
        for action, short in ((self.import_action, tr("Import\u2026")),
                              (self.csv_action, tr("CSV\u2026")),
                              (self.pdf_action, tr("PDF report\u2026")),
                              (self.settings_action, tr("Settings\u2026")),
                              (self.supporters_action, tr("Supporters\u2026")),
                              (self.lock_action, tr("Lock"))):
            action.setIconText(short)  # what a tool button shows
            self.toolbar.addAction(action)
            button = self.toolbar.widgetForAction(action)
            if isinstance(button, QToolButton):
                button.setAccessibleName(action.toolTip())
        self.addToolBar(self.toolbar)
        self._open_actions = [self.import_action, self.csv_action, self.pdf_action,
                              self.lock_action, self.settings_action, self.supporters_action,
                              self.month_action, self.quarter_action]

    def _set_actions(self) -> None:
        is_open = self.profile is not None
        for action in self._open_actions:
            action.setEnabled(is_open and not self._importing)
        has_board = is_open and self.board is not None and bool(self.board.periods)
        self.csv_action.setEnabled(has_board and not self._importing)
        self.pdf_action.setEnabled(has_board and not self._importing)
        self.lock_action.setEnabled(is_open)
        self.toolbar.setVisible(is_open)
        for button in (self.dashboard_page.by_month, self.dashboard_page.by_quarter):
            button.setEnabled(not self._importing)

    # -- lock and unlock --------------------------------------------------------------------
    def _show_locked(self) -> None:
        self.lock_page.reset()
        self.pages.setCurrentWidget(self.lock_page)
        self.setWindowTitle(self.tr("Peer Support \u2013 program statistics"))
        self._set_actions()
        self.lock_page.passphrase.setFocus(Qt.FocusReason.OtherFocusReason)

    def unlock(self, passphrase: str) -> None:
        if self.profile is not None:
            return
        self.lock_page.set_busy(True)
        folder, kdf_profile, session = self._folder, self._kdf_profile, self._session

        def opened(profile: SupervisorProfile) -> None:
            if session != self._session or self.profile is not None:
                profile.close()
                return
            self.enter(profile)

        def failed(exc: BaseException) -> None:
            if not isinstance(exc, WrongSecretError):
                log.warning("supervisor unlock failed: %s", hygiene.describe_exception(exc))
            if session == self._session:
                self.lock_page.failed(unlock_error_message(exc))

        run_task(lambda: SupervisorProfile.open(folder, passphrase, kdf_profile),
                 opened, failed)

    def enter(self, profile: SupervisorProfile) -> None:
        """Show the dashboard of an open profile (after unlocking, or right after setup)."""
        self.profile = profile
        self.lock_page.reset()
        self.pages.setCurrentWidget(self.dashboard_page)
        self.refresh()
        self.unlocked.emit()

    def lock(self) -> None:
        """Close every dialog, delete the dashboard's widgets, wipe the profile's key."""
        if self.profile is None:
            return
        self._session += 1
        self._queue.clear()
        wait_for_tasks()  # an import being saved finishes (with the key) before it is wiped
        self._importing = False
        for dialog in self.findChildren(QDialog):
            dialog.hide()
            dialog.deleteLater()
        self.question = None
        self.summary_box = None
        self.outcomes = []
        self.dashboard_page.clear()
        self.board = None
        profile, self.profile = self.profile, None
        profile.close()
        self.statusBar().clearMessage()
        self._show_locked()
        self.locked.emit()

    def is_unlocked(self) -> bool:
        return self.profile is not None

    def _quit(self) -> None:
        self.lock()
        self.quit_requested.emit()
        self.close()

    def closeEvent(self, event: QCloseEvent) -> None:
        self.lock()
        super().closeEvent(event)

    # -- the dashboard ----------------------------------------------------------------------
    def refresh(self) -> None:
        profile = self.profile
        if profile is None:
            return
        self.board = profile.dashboard(self.dashboard_page.granularity())
        self.dashboard_page.show_board(self.board, profile.program_name, len(profile.imports))
        name = profile.program_name
        self.setWindowTitle(self.tr("{program} \u2013 Peer Support statistics").format(
            program=name) if name else self.tr("Peer Support \u2013 program statistics"))
        self._set_actions()

    # -- saving a change --------------------------------------------------------------------
    def save_change(self, change: Callable[[SupervisorProfile], object], done_message: str,
                    then: Callable[[], None] | None = None) -> None:
        """Apply ``change`` to the profile (it saves) on the worker thread, then refresh."""
        profile, session = self.profile, self._session
        if profile is None:
            return

        def done(_result: object) -> None:
            if session != self._session:
                return
            self.refresh()
            self.statusBar().showMessage(done_message, 6000)
            if then is not None:
                then()

        def failed(exc: BaseException) -> None:
            log.warning("saving the supervisor profile failed: %s",
                        hygiene.describe_exception(exc))
            if session == self._session:
                QMessageBox.warning(self, self.tr("Not saved"), self.tr(
                    "The change could not be saved ({kind}). Nothing was changed on "
                    "disk.").format(kind=type(exc).__name__))

        run_task(lambda: change(profile), done, failed)

    def open_settings(self) -> SettingsDialog | None:
        if self.profile is None:
            return None
        dialog = SettingsDialog(self.profile, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)

        def accepted() -> None:
            name, k, only = (dialog.name.text(), dialog.k.value(),
                             dialog.only_pinned.isChecked())
            self.save_change(
                lambda p: p.set_policy(program_name=name, k=k, accept_only_pinned=only),
                self.tr("Settings saved."))

        dialog.accepted.connect(accepted)
        dialog.addAction(self.lock_action)  # Ctrl+L locks from here too
        dialog.open()
        return dialog

    def open_supporters(self) -> SupportersDialog | None:
        if self.profile is None:
            return None
        dialog = SupportersDialog(self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.addAction(self.lock_action)  # Ctrl+L locks from here too
        dialog.open()
        return dialog

    # -- exports ----------------------------------------------------------------------------
    def _suggested(self, extension: str) -> str:
        granularity = self.board.granularity if self.board is not None else MONTH
        return str(Path(_documents()) / f"peer-support-statistics-by-{granularity}.{extension}")

    def export_csv(self) -> None:
        board, profile = self.board, self.profile
        if board is None or profile is None or not board.periods:
            return
        path = save_file_name(self, self.tr("Export CSV"), self._suggested("csv"),
                              self.tr("CSV files (*.csv)"))
        if not path:
            return
        if not path.lower().endswith(".csv"):
            path += ".csv"
        text = csv_text(board, profile.program_name)
        try:
            write_atomic(Path(path), [text.encode("utf-8")])
        except OSError as exc:
            self._export_failed(exc)
            return
        self.statusBar().showMessage(self.tr("CSV saved: {file}").format(
            file=Path(path).name), 8000)

    def export_pdf(self) -> None:
        board, profile = self.board, self.profile
        if board is None or profile is None or not board.periods:
            return
        path = save_file_name(self, self.tr("Export PDF report"), self._suggested("pdf"),
                              self.tr("PDF documents (*.pdf)"))
        if not path:
            return
        if not path.lower().endswith(".pdf"):
            path += ".pdf"
        QGuiApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            write_report_pdf(board, profile.program_name, Path(path))
        except OSError as exc:
            self._export_failed(exc)
            return
        finally:
            QGuiApplication.restoreOverrideCursor()
        self.statusBar().showMessage(self.tr("PDF report saved: {file}").format(
            file=Path(path).name), 8000)

    def _export_failed(self, exc: OSError) -> None:
        QMessageBox.warning(self, self.tr("Not saved"), self.tr(
            "The file could not be saved ({reason}). Try another place.").format(
            reason=exc.strerror or type(exc).__name__))

    # -- imports ----------------------------------------------------------------------------
    def choose_files(self) -> None:
        if self.profile is None or self._importing:
            return
        try:
            names, _ = QFileDialog.getOpenFileNames(
                self, self.tr("Import statistics files"), _documents(),
                self.tr("Statistics files (*{ext});;All files (*)").format(
                    ext=STATS_EXTENSION))
        finally:
            forget_file_dialog_history()
        if names:
            self.import_files([Path(n) for n in names])

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if self.profile is not None and self._stats_paths(event.mimeData().urls()):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event: QDropEvent) -> None:
        paths = self._stats_paths(event.mimeData().urls())
        if self.profile is None or not paths:
            event.ignore()
            return
        event.acceptProposedAction()
        self.import_files(paths)

    @staticmethod
    def _stats_paths(urls: Sequence[QUrl]) -> list[Path]:
        return [Path(u.toLocalFile()) for u in urls
                if u.isLocalFile() and u.toLocalFile().lower().endswith(STATS_EXTENSION)]

    def import_files(self, paths: Sequence[Path | str]) -> None:
        """Import files one after the other, asking what needs asking, then a summary."""
        if self.profile is None:
            return
        self._queue.extend(Path(p) for p in paths)
        if self._importing:
            return
        self._importing = True
        self.outcomes = []
        self._set_actions()
        self._next_file()

    def _record(self, path: Path, imported: bool, message: str) -> None:
        self.outcomes.append(ImportOutcome(path.name, imported, message))
        self._next_file()

    def _refused(self, path: Path, why: str) -> None:
        self._record(path, False, self.tr("Not imported. {why}").format(why=why))

    def _next_file(self) -> None:
        profile, session = self.profile, self._session
        if profile is None:
            return
        if not self._queue:
            self._finish_imports()
            return
        path = self._queue.pop(0)

        def checked(result: tuple[bytes, ImportCheck]) -> None:
            if session == self._session:
                self._checked(path, *result)

        def failed(exc: BaseException) -> None:
            if session == self._session:
                self._refused(path, import_error_message(exc))

        run_task(lambda: _read_and_check(profile, path), checked, failed)

    def _checked(self, path: Path, data: bytes, check: ImportCheck) -> None:
        profile = self.profile
        if profile is None:
            return
        stats = check.stats
        if check.same_file:
            self._refused(path, self.tr("This very file was imported before."))
            return
        if not check.pinned:
            if profile.accept_only_pinned:
                self._refused(path, import_error_message(UnknownSignerError(stats.fingerprint)))
                return
            box, yes = _pin_question(self, path.name, stats.pseudonym, stats.fingerprint,
                                     self.tr("&Pin and import"), self.tr("&Don't import"))

            def pin_answered(button: Any) -> None:
                self.question = None
                if button is yes:
                    self._ask_replace(path, data, check)
                else:
                    self._record(path, False, self.tr(
                        "Not imported: the supporter's key was not pinned."))

            box.buttonClicked.connect(pin_answered)
            self.question = box
            box.addAction(self.lock_action)  # Ctrl+L locks from here too
            box.open()
            return
        self._ask_replace(path, data, check)

    def _ask_replace(self, path: Path, data: bytes, check: ImportCheck) -> None:
        if not check.duplicates:
            self._import(path, data, replace=False)
            return
        stats = check.stats
        overlap = _overlapping(check)
        box = QMessageBox(self)
        box.setObjectName("replaceQuestion")
        box.setIcon(QMessageBox.Icon.Question)
        box.setWindowTitle(self.tr("Statistics imported before"))
        box.setText(self.tr("Replace the statistics imported earlier for these periods?"))
        box.setInformativeText(self.tr(
            "{file}: {who} already sent statistics for {periods}. Replacing removes the "
            "earlier file's numbers ({n} file(s)) and imports this one; keeping them leaves "
            "everything as it is.").format(file=path.name, who=stats.pseudonym,
                                           periods=_periods_text(overlap),
                                           n=len(check.duplicates)))
        yes = box.addButton(self.tr("&Replace"), QMessageBox.ButtonRole.AcceptRole)
        no = box.addButton(self.tr("&Keep the earlier ones"), QMessageBox.ButtonRole.RejectRole)
        yes.setAccessibleName(self.tr("Replace"))
        no.setAccessibleName(self.tr("Keep the earlier ones"))
        box.setDefaultButton(no)
        box.setEscapeButton(no)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)

        def answered(button: Any) -> None:
            self.question = None
            if button is yes:
                self._import(path, data, replace=True)
            else:
                self._record(path, False, self.tr(
                    "Not imported: the statistics imported earlier were kept."))

        box.buttonClicked.connect(answered)
        self.question = box
        box.addAction(self.lock_action)  # Ctrl+L locks from here too
        box.open()

    def _import(self, path: Path, data: bytes, *, replace: bool) -> None:
        profile, session = self.profile, self._session
        if profile is None:
            return

        def done(imported: Any) -> None:
            if session != self._session:
                return
            self._record(path, True, self.tr("Imported: {who}, {periods}.").format(
                who=imported.pseudonym, periods=_periods_text(imported.periods)))

        def failed(exc: BaseException) -> None:
            if not isinstance(exc, (UnknownSignerError, DuplicateStatsError, TamperError)):
                log.warning("import failed: %s", hygiene.describe_exception(exc))
            if session == self._session:
                self._refused(path, import_error_message(exc))

        run_task(lambda: profile.import_stats(data, replace=replace, pin_new=True),
                 done, failed)

    def _finish_imports(self) -> None:
        self._importing = False
        self.refresh()
        outcomes = list(self.outcomes)
        if not outcomes:
            self._set_actions()
            return
        done = sum(1 for o in outcomes if o.imported)
        box = QMessageBox(self)
        box.setObjectName("importSummary")
        box.setIcon(QMessageBox.Icon.Information if done == len(outcomes)
                    else QMessageBox.Icon.Warning)
        box.setWindowTitle(self.tr("Import statistics files"))
        box.setText(self.tr("{done} of {total} file(s) imported.").format(
            done=done, total=len(outcomes)))
        box.setInformativeText("\n\n".join(f"{o.name}: {o.message}" for o in outcomes))
        if done < len(outcomes):
            box.setInformativeText(box.informativeText() + "\n\n" + self.tr(
                "Nothing was written for the files not imported."))
        box.setStandardButtons(QMessageBox.StandardButton.Ok)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.finished.connect(lambda *_: setattr(self, "summary_box", None))
        self.summary_box = box
        box.addAction(self.lock_action)  # Ctrl+L locks from here too
        box.open()
        self.statusBar().showMessage(box.text(), 8000)
        self.imports_finished.emit()


__all__ = [
    "ContactsView",
    "DashboardPage",
    "DimensionView",
    "ImportOutcome",
    "SupervisorLockPage",
    "SupervisorWindow",
    "import_error_message",
    "unlock_error_message",
]
