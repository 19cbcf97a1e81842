"""The check-ins page: filters, the table (lazily loaded, names masked) and a detail pane."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QEvent, QItemSelectionModel, QModelIndex, QObject, Qt, Signal
from PySide6.QtGui import QKeyEvent, QKeySequence, QResizeEvent, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from peersupport.crypto.errors import TamperError
from peersupport.domain import codes
from peersupport.services.checkins import CheckinDetail, CheckinFilter, RecordNotFoundError
from peersupport.ui import style
from peersupport.ui.checkin_detail import CheckinDetailPane
from peersupport.ui.checkins_model import CheckinTableModel
from peersupport.ui.presentation import format_when
from peersupport.ui.task_scope import TaskScope

if TYPE_CHECKING:
    from peersupport.services.checkins import CheckinService

Model = CheckinTableModel
SIDE_BY_SIDE_WIDTH = 1000  # narrower than this, the detail pane goes below the list
DETAIL_WIDTH = 380


def month_label(period: str) -> str:
    return datetime.strptime(period, "%Y-%m").strftime("%B %Y")


def _combo(parent: QWidget, name: str, first: str) -> QComboBox:
    combo = QComboBox(parent)
    combo.setAccessibleName(name)
    combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
    combo.addItem(first, None)
    return combo


class CheckinsPage(QWidget):
    new_requested = Signal()
    edit_requested = Signal(str)
    changed = Signal()  # a check-in was deleted here

    def __init__(self, service: CheckinService, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._service = service
        self._scope = TaskScope(self)  # counts and deletions
        self._detail_scope = TaskScope(self)  # the one check-in the pane shows
        self._detail: CheckinDetail | None = None
        self._total: int | None = None
        self._split_set = False
        self._epoch = 0  # bumped by clear(): a question asked before it is void
        self.model = CheckinTableModel(service, self)

        # -- first row: actions -------------------------------------------------------------
        self.new_button = QPushButton(self.tr("New check-in…"), self)
        self.new_button.setToolTip(self.tr("Log a check-in (Ctrl+N)"))
        self.new_button.clicked.connect(self.new_requested)
        self.show_names = QCheckBox(self.tr("&Show names"), self)
        self.show_names.setToolTip(self.tr(
            "Show every officer's name in the list (Ctrl+Shift+N). Otherwise only the selected "
            "row shows its name."))
        self.show_names.toggled.connect(self.model.set_show_names)
        toggle = QShortcut(QKeySequence("Ctrl+Shift+N"), self)
        toggle.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        toggle.activated.connect(self.show_names.toggle)
        self.status = style.muted("", self)
        self.status.setWordWrap(False)
        self.busy = QProgressBar(self)
        self.busy.setRange(0, 0)
        self.busy.setTextVisible(False)
        self.busy.setFixedWidth(90)
        self.busy.setAccessibleName(self.tr("Loading"))
        self.busy.setVisible(False)
        actions = QHBoxLayout()
        actions.addWidget(self.new_button)
        actions.addSpacing(12)
        actions.addWidget(self.show_names)
        actions.addStretch(1)
        actions.addWidget(self.busy)
        actions.addWidget(self.status)

        # -- second row: filters -------------------------------------------------------------
        self.month = _combo(self, self.tr("Month"), self.tr("All months"))
        self.incident = _combo(self, self.tr("Incident"), self.tr("All incidents"))
        for code, text in codes.INCIDENT_CATEGORIES.items():
            self.incident.addItem(self.tr(text), code)
        self.contact = _combo(self, self.tr("Contact type"), self.tr("All contact types"))
        for code, text in codes.CONTACT_TYPES.items():
            self.contact.addItem(self.tr(text), code)
        self.officer = _combo(self, self.tr("Officer"), self.tr("All officers"))
        for combo, chars in ((self.month, 16), (self.incident, 18), (self.contact, 16),
                             (self.officer, 12)):
            combo.setMinimumContentsLength(chars)
            combo.currentIndexChanged.connect(self._apply_filters)
        self.reset_filters = QPushButton(self.tr("Clear filters"), self)
        self.reset_filters.setVisible(False)
        self.reset_filters.clicked.connect(self._reset_filters)
        filters = QHBoxLayout()
        filters.addWidget(self.month)
        filters.addWidget(self.incident, 2)
        filters.addWidget(self.contact, 1)
        filters.addWidget(self.officer, 1)
        filters.addWidget(self.reset_filters)

        # -- banners -------------------------------------------------------------------------
        self.damaged_banner = style.error_label(self)
        self.error_banner = style.error_label(self)

        # -- table and detail ----------------------------------------------------------------
        self.table = QTableView(self)
        self.table.setModel(self.model)
        self.table.setAccessibleName(self.tr("Check-ins"))
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setTabKeyNavigation(False)
        self.table.setWordWrap(False)
        self.table.setAlternatingRowColors(True)
        self.table.setCornerButtonEnabled(False)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 10)
        header = self.table.horizontalHeader()
        header.setHighlightSections(False)
        header.setStretchLastSection(False)
        fm = self.fontMetrics()
        widths = {
            Model.DATE: fm.horizontalAdvance("30 Sep 2025 23:59") + 20,
            Model.OFFICER: fm.horizontalAdvance("Bravo Twelve +2") + 16,
            Model.CONTACT: fm.horizontalAdvance("Debriefing / CISD (grou") + 16,
            Model.FOLLOW_UP: fm.horizontalAdvance("Follow-up") + 30,
        }
        for column, width in widths.items():
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Interactive)
            header.resizeSection(column, width)
        header.setSectionResizeMode(Model.INCIDENT, QHeaderView.ResizeMode.Stretch)
        header.setMinimumSectionSize(60)
        header.setSortIndicator(Model.DATE, Qt.SortOrder.DescendingOrder)
        self.table.setSortingEnabled(True)
        self.table.activated.connect(self._activated)
        self.table.selectionModel().currentRowChanged.connect(self._current_changed)
        self.table.installEventFilter(self)  # the Delete key

        self.detail = CheckinDetailPane(self)
        self.detail.edit_requested.connect(self.edit_requested)
        self.detail.delete_requested.connect(self.delete_checkin)

        self.splitter = QSplitter(Qt.Orientation.Horizontal, self)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.addWidget(self.table)
        self.splitter.addWidget(self.detail)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        self.splitter.setOrientation(Qt.Orientation.Vertical)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 10, 12, 8)
        layout.setSpacing(8)
        layout.addLayout(actions)
        layout.addLayout(filters)
        layout.addWidget(self.damaged_banner)
        layout.addWidget(self.error_banner)
        layout.addWidget(self.splitter, 1)

        self.model.loading_changed.connect(self._loading_changed)
        self.model.damaged_changed.connect(self._damaged_changed)
        self.model.aliases_changed.connect(self._fill_officers)
        self.model.failed.connect(self._show_error)
        self.model.modelReset.connect(self._after_reset)
        self.model.rowsInserted.connect(self._update_status)
        self.model.rowsRemoved.connect(self._update_status)
        self.reload()

    # -- public ---------------------------------------------------------------------------
    def reload(self) -> None:
        """Load the list again (after a save, a merge, a deletion elsewhere)."""
        self.error_banner.setVisible(False)
        self.model.reload()
        self._load_counts()
        if self.detail.current_id() is not None:
            self._load_detail(self.detail.current_id(), force=True)

    def clear(self) -> None:
        """Wipe the list, the names, the detail pane and any request in flight."""
        self._epoch += 1
        self._scope.invalidate()
        self._detail_scope.invalidate()
        self._detail = None
        self._total = None
        for combo in (self.month, self.incident, self.contact, self.officer):
            combo.blockSignals(True)
            combo.setCurrentIndex(0)
        for combo in (self.month, self.officer):
            while combo.count() > 1:
                combo.removeItem(combo.count() - 1)
        for combo in (self.month, self.incident, self.contact, self.officer):
            combo.blockSignals(False)
        self.show_names.setChecked(False)
        self.model.clear()
        self.detail.clear()
        self.status.clear()
        self.reset_filters.setVisible(False)
        for banner in (self.damaged_banner, self.error_banner):
            banner.clear()
            banner.setVisible(False)

    def show_checkin(self, checkin_id: str) -> None:
        """Show one check-in in the pane, selecting its row when it is loaded."""
        self.model.set_selected_id(checkin_id)
        row = self.model.row_of(checkin_id)
        if row is not None:
            self._select_row(row)
        self._load_detail(checkin_id)

    def current_id(self) -> str | None:
        return self.detail.current_id()

    def delete_checkin(self, checkin_id: str) -> None:
        """Ask, naming the date and officer; then delete (securely erased by the store)."""
        detail = self._detail if self._detail and self._detail.checkin.id == checkin_id else None
        if detail is not None:
            when = format_when(detail.checkin.occurred_at)
            who = detail.officer.alias if detail.officer else self.tr("a group")
            text = self.tr("Delete the check-in of {when} with {who}?").format(when=when, who=who)
        else:
            text = self.tr("Delete this damaged check-in?")
        epoch = self._epoch
        answer = QMessageBox.question(
            self, self.tr("Delete check-in"),
            text + "\n\n" + self.tr("It is erased from the vault and cannot be undone."),
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Cancel,
        )
        if answer != QMessageBox.StandardButton.Yes or epoch != self._epoch:
            return
        service = self._service
        self._scope.run(
            lambda: service.delete(checkin_id),
            lambda _: self._deleted(checkin_id),
            lambda exc: self._show_error(self.tr("The check-in could not be deleted ({kind}).")
                                         .format(kind=type(exc).__name__)),
        )

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (
            watched is self.table and event.type() == QEvent.Type.KeyPress
            and isinstance(event, QKeyEvent) and event.key() == Qt.Key.Key_Delete
            and event.modifiers() == Qt.KeyboardModifier.NoModifier
        ):
            self._delete_current()
            return True
        return super().eventFilter(watched, event)

    def resizeEvent(self, event: QResizeEvent) -> None:
        """Detail beside the list when there is room for both, below it otherwise."""
        super().resizeEvent(event)
        width, height = event.size().width(), event.size().height()
        wanted = Qt.Orientation.Horizontal if width >= SIDE_BY_SIDE_WIDTH else \
            Qt.Orientation.Vertical
        if wanted != self.splitter.orientation() or not self._split_set:
            self._split_set = True
            self.splitter.setOrientation(wanted)
            if wanted == Qt.Orientation.Horizontal:
                self.splitter.setSizes([width - DETAIL_WIDTH, DETAIL_WIDTH])
            else:
                self.splitter.setSizes([height // 2, height - height // 2])

    # -- loading ----------------------------------------------------------------------------
    def _load_counts(self) -> None:
        service = self._service
        flt, _ = self.model.filter()

        def work() -> tuple[list[tuple[str, int]], int]:
            every = service.period_counts()
            matching = every if flt == CheckinFilter() else service.period_counts(flt)
            return every, sum(n for _, n in matching)

        self._scope.run(work, self._counts_arrived)

    def _counts_arrived(self, result: tuple[list[tuple[str, int]], int]) -> None:
        periods, self._total = result
        chosen = self.month.currentData()
        self.month.blockSignals(True)
        while self.month.count() > 1:
            self.month.removeItem(self.month.count() - 1)
        for period, count in periods:
            self.month.addItem(f"{month_label(period)} ({count:,})", period)
        at = self.month.findData(chosen) if chosen else 0
        self.month.setCurrentIndex(max(at, 0))
        self.month.blockSignals(False)
        if chosen and at < 0:
            self._apply_filters()  # the chosen month has no check-ins left
        self._update_status()

    def _fill_officers(self) -> None:
        chosen = self.officer.currentData()
        aliases = self.model.aliases()
        self.officer.blockSignals(True)
        while self.officer.count() > 1:
            self.officer.removeItem(self.officer.count() - 1)
        for oid, alias in sorted(aliases.items(), key=lambda kv: kv[1].casefold()):
            self.officer.addItem(alias, oid)
        at = self.officer.findData(chosen) if chosen else 0
        self.officer.setCurrentIndex(max(at, 0))
        self.officer.blockSignals(False)
        if chosen and at < 0:
            self._apply_filters()

    def _load_detail(self, checkin_id: str | None, force: bool = False) -> None:
        if checkin_id is None:
            return
        if not force and checkin_id == self.detail.current_id() and self._detail is not None:
            return
        self._detail_scope.invalidate()
        self.detail.show_loading(checkin_id)
        service = self._service
        self._detail_scope.run(
            lambda: service.get(checkin_id), self._detail_arrived,
            lambda exc: self._detail_failed(checkin_id, exc),
        )

    def _detail_arrived(self, detail: CheckinDetail) -> None:
        self._detail = detail
        self.detail.show_detail(detail)

    def _detail_failed(self, checkin_id: str, exc: BaseException) -> None:
        self._detail = None
        if isinstance(exc, TamperError):
            self.detail.show_damaged(checkin_id)
        elif isinstance(exc, RecordNotFoundError):
            self.detail.show_empty(self.tr("That check-in no longer exists."))
        else:
            self.detail.show_empty(self.tr("The check-in could not be opened ({kind}).")
                                   .format(kind=type(exc).__name__))

    def _deleted(self, checkin_id: str) -> None:
        self.model.remove_checkin(checkin_id)
        if self.detail.current_id() == checkin_id:
            self._detail = None
            self.detail.show_empty(self.tr("The check-in was deleted."))
        self._load_counts()
        self.changed.emit()

    # -- reacting ---------------------------------------------------------------------------
    def _apply_filters(self, *_: Any) -> None:
        flt = CheckinFilter(
            periods=(self.month.currentData(),) if self.month.currentData() else (),
            incident_category=self.incident.currentData(),
            contact_type=self.contact.currentData(),
        )
        officer_id = self.officer.currentData()
        self.reset_filters.setVisible(flt != CheckinFilter() or officer_id is not None)
        if (flt, officer_id) != self.model.filter():
            self.model.set_filter(flt, officer_id)
            self._total = None
            self._load_counts()

    def _reset_filters(self) -> None:
        for combo in (self.month, self.incident, self.contact, self.officer):
            combo.blockSignals(True)
            combo.setCurrentIndex(0)
            combo.blockSignals(False)
        self._apply_filters()

    def _current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if not current.isValid():
            return
        checkin_id = current.data(Model.IdRole)
        self.model.set_selected_id(checkin_id)
        self._load_detail(checkin_id)

    def _activated(self, index: QModelIndex) -> None:
        if index.isValid():
            self.edit_requested.emit(index.data(Model.IdRole))

    def _delete_current(self) -> None:
        index = self.table.currentIndex()
        if index.isValid():
            self.delete_checkin(index.data(Model.IdRole))

    def _select_row(self, row: int) -> None:
        index = self.model.index(row, Model.DATE)
        self.table.selectionModel().setCurrentIndex(
            index,
            QItemSelectionModel.SelectionFlag.ClearAndSelect
            | QItemSelectionModel.SelectionFlag.Rows,
        )
        self.table.scrollTo(index)

    def _after_reset(self) -> None:
        current = self.detail.current_id()
        row = self.model.row_of(current) if current else None
        if row is not None:
            self._select_row(row)
        self._update_status()

    def _loading_changed(self, loading: bool) -> None:
        self.busy.setVisible(loading)
        self._update_status()

    def _damaged_changed(self, count: int) -> None:
        if count == 1:
            text = self.tr(
                "⚠ 1 check-in failed its integrity check and is not shown: it may have been "
                "changed outside this app. “peersupport verify” lists damaged records.")
        else:
            text = self.tr(
                "⚠ {n} check-ins failed their integrity check and are not shown: they may have "
                "been changed outside this app. “peersupport verify” lists damaged records."
            ).format(n=f"{count:,}")
        self.damaged_banner.setText(text if count else "")
        self.damaged_banner.setVisible(bool(count))

    def _show_error(self, message: str) -> None:
        self.error_banner.setText(message)
        self.error_banner.setVisible(True)

    def _update_status(self, *_: Any) -> None:
        shown = self.model.rowCount()
        officer_id = self.model.filter()[1]
        if self.model.is_loading() and self.model.is_loading_everything():
            text = self.tr("Loading every check-in…")
        elif self.model.is_loading() and shown == 0:
            text = self.tr("Loading…")
        elif officer_id is not None:
            text = self.tr("{n} with this officer").format(n=f"{shown:,}")
        elif self.model.is_complete() or self._total is None or shown >= self._total:
            text = self.tr("1 check-in") if shown == 1 else \
                self.tr("{n} check-ins").format(n=f"{shown:,}")
        else:
            text = self.tr("{shown} of {total} · scroll for older").format(
                shown=f"{shown:,}", total=f"{self._total:,}")
        self.status.setText(text)
