"""The check-ins page: filters, the table (lazily loaded, names masked) and a detail pane.

Deleting asks why: a check-in entered by mistake leaves the statistics too; one destroyed under
retention rules keeps its anonymous count (its coarse codes and month), so the program's
numbers stay true.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QEvent, QItemSelectionModel, QModelIndex, QObject, Qt, Signal
from PySide6.QtGui import QKeyEvent, QKeySequence, QResizeEvent, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QCommandLinkButton,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from peersupport.crypto.errors import TamperError
from peersupport.services.checkins import (
    CheckinDetail,
    CheckinFilter,
    LegalHoldError,
    RecordNotFoundError,
)
from peersupport.ui import style
from peersupport.ui.checkin_detail import CheckinDetailPane
from peersupport.ui.checkins_filters import CheckinFilterBar
from peersupport.ui.checkins_model import CheckinTableModel
from peersupport.ui.presentation import UNKNOWN_OFFICER, format_when, plural
from peersupport.ui.storage_messages import storage_error_message
from peersupport.ui.task_scope import TaskScope

if TYPE_CHECKING:
    from peersupport.services.checkins import CheckinService

Model = CheckinTableModel
SIDE_BY_SIDE_WIDTH = 1000  # narrower than this, the detail pane goes below the list
DETAIL_WIDTH = 380


class DeleteCheckinDialog(QDialog):
    """Delete a check-in: entered by mistake (its statistics count goes too) or destroyed
    under retention rules (its anonymous count stays). ``chosen`` carries keep_count."""

    chosen = Signal(bool)

    def __init__(self, question: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Delete check-in"))
        self.question = style.heading(question, self, 1.1)
        self.question.setTextFormat(Qt.TextFormat.PlainText)
        self.question.setAccessibleName(self.tr("Delete check-in"))
        self.detail = QLabel(self.tr(
            "It is erased from the vault and cannot be undone. Your statistics also hold one "
            "anonymous count for it: coarse codes such as the kind of incident, the type of "
            "contact and the month, with no name, no notes and no exact date."), self)
        self.detail.setWordWrap(True)
        self.mistake_button = QCommandLinkButton(
            self.tr("&Entered by mistake — remove it from the statistics too"), self)
        self.mistake_button.setDescription(self.tr(
            "It never happened as recorded, so it should not be counted."))
        self.retention_button = QCommandLinkButton(
            self.tr("&Destroying it under retention rules — keep its anonymous count"), self)
        self.retention_button.setDescription(self.tr(
            "The contact happened: your program's numbers still count it."))
        for button in (self.mistake_button, self.retention_button):
            button.setAccessibleName(button.text().replace("&", ""))
            button.setAccessibleDescription(button.description())
            button.setAutoDefault(False)
        self.mistake_button.clicked.connect(lambda: self._choose(False))
        self.retention_button.clicked.connect(lambda: self._choose(True))
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel, self)
        self.buttons.rejected.connect(self.reject)
        self.cancel_button = self.buttons.button(QDialogButtonBox.StandardButton.Cancel)
        layout = QVBoxLayout(self)
        layout.setSpacing(10)
        layout.addWidget(self.question)
        layout.addWidget(self.detail)
        layout.addWidget(self.mistake_button)
        layout.addWidget(self.retention_button)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(520)
        if self.cancel_button is not None:
            self.cancel_button.setDefault(True)
            self.cancel_button.setFocus()

    def text(self) -> str:
        """The question and its explanation, as read."""
        return f"{self.question.text()}\n\n{self.detail.text()}"

    def _choose(self, keep_count: bool) -> None:
        self.accept()
        self.chosen.emit(keep_count)


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
        self._refiltered = False
        self._epoch = 0  # bumped by clear(): a question asked before it is void
        self.delete_question: DeleteCheckinDialog | None = None  # open now, if any
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
        self.busy = style.busy_bar(self.tr("Loading"), self)
        actions = QHBoxLayout()
        actions.addWidget(self.new_button)
        actions.addSpacing(12)
        actions.addWidget(self.show_names)
        actions.addStretch(1)
        actions.addWidget(self.busy)
        actions.addWidget(self.status)

        # -- second row: filters -------------------------------------------------------------
        self.filters = CheckinFilterBar(self)
        self.filters.changed.connect(self._apply_filters)

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
        self.detail.hold_requested.connect(self.set_hold)

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
        layout.addWidget(self.filters)
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
        if self.delete_question is not None:
            self.delete_question.reject()
            self.delete_question = None
        self._scope.invalidate()
        self._detail_scope.invalidate()
        self._detail = None
        self._total = None
        self.filters.clear()
        self.show_names.setChecked(False)
        self.model.clear()
        self.table.horizontalHeader().setSortIndicator(Model.DATE, Qt.SortOrder.DescendingOrder)
        self.detail.clear()
        self.status.clear()
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
        """Ask, naming the date and officer, and why: entered by mistake (its statistics count
        goes too) or destroyed under retention rules (its anonymous count stays); then delete
        (securely erased by the store)."""
        if self.delete_question is not None:
            self.delete_question.reject()
        epoch = self._epoch
        dialog = DeleteCheckinDialog(self._delete_question(checkin_id), self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.chosen.connect(lambda keep: self._delete(checkin_id, keep, epoch))
        dialog.finished.connect(lambda *_: self._question_closed(dialog))
        self.delete_question = dialog
        dialog.open()

    def set_hold(self, checkin_id: str, on: bool) -> None:
        """Place a legal hold on a check-in, or lift it after asking; then show the change."""
        epoch = self._epoch
        if not on:
            answer = QMessageBox.question(
                self, self.tr("Lift legal hold"),
                self.tr("Lift the legal hold on this check-in?\n\nLifting the hold allows "
                        "deletion and expiry again."),
                QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
                QMessageBox.StandardButton.Cancel,
            )
            if answer != QMessageBox.StandardButton.Yes or epoch != self._epoch:
                return
        retention = self._service.retention()
        self.error_banner.setVisible(False)
        self.detail.set_hold_busy(True)
        self._scope.run(
            lambda: retention.hold_checkin(checkin_id, on),
            lambda _: self._hold_changed(checkin_id),
            self._hold_failed,
        )

    def _hold_changed(self, checkin_id: str) -> None:
        self.detail.set_hold_busy(False)
        self.model.reload()  # the list marks held rows
        if self.detail.current_id() == checkin_id:
            self._load_detail(checkin_id, force=True)
        self.changed.emit()

    def _hold_failed(self, exc: BaseException) -> None:
        self.detail.set_hold_busy(False)
        if isinstance(exc, RecordNotFoundError):
            message = self.tr("That check-in no longer exists.")
        else:
            message = storage_error_message(exc) or self.tr(
                "The legal hold could not be changed ({kind}). Nothing was changed.").format(
                kind=type(exc).__name__)
        self._show_error(message)

    def _question_closed(self, dialog: DeleteCheckinDialog) -> None:
        if self.delete_question is dialog:
            self.delete_question = None

    def _delete(self, checkin_id: str, keep_count: bool, epoch: int) -> None:
        if epoch != self._epoch:
            return
        service = self._service
        self._scope.run(
            lambda: service.delete(checkin_id, keep_count=keep_count),
            lambda _: self._deleted(checkin_id, keep_count),
            lambda exc: self._show_error(self._delete_error(exc)),
        )

    def _delete_error(self, exc: BaseException) -> str:
        if isinstance(exc, LegalHoldError):
            return self.tr("This check-in is under a legal hold: it cannot be deleted until "
                           "the hold is lifted. Nothing was changed.")
        storage = storage_error_message(exc)
        if storage is not None:
            return storage
        return self.tr("The check-in could not be deleted ({kind}).").format(
            kind=type(exc).__name__)

    def _delete_question(self, checkin_id: str) -> str:
        detail = self._detail if self._detail and self._detail.checkin.id == checkin_id else None
        row = self.model.row_of(checkin_id)
        summary = self.model.summary(row) if row is not None else None
        if detail is not None:
            when, officer_id = detail.checkin.occurred_at, detail.checkin.officer_id
            aliases = {detail.officer.id: detail.officer.alias} if detail.officer else {}
        elif summary is not None:
            when, officer_id, aliases = summary.occurred_at, summary.officer_id, \
                self.model.aliases()
        else:
            return self.tr("Delete this damaged check-in?")
        if officer_id is None:
            return self.tr("Delete the group check-in of {when}?").format(when=format_when(when))
        return self.tr("Delete the check-in of {when} with {who}?").format(
            when=format_when(when), who=aliases.get(officer_id, self.tr(UNKNOWN_OFFICER)))

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
        self.filters.set_periods(periods)
        self._update_status()

    def _fill_officers(self) -> None:
        self.filters.set_officers(self.model.aliases())

    def _load_detail(self, checkin_id: str | None, force: bool = False) -> None:
        if checkin_id is None:
            return
        if not force and checkin_id == self.detail.current_id():
            return
        self._detail_scope.invalidate()
        self.detail.show_loading(checkin_id)
        service = self._service
        retention = service.retention()

        def work() -> tuple[CheckinDetail, bool]:
            detail = service.get(checkin_id)
            return detail, detail.held and checkin_id in retention.holds().checkins

        self._detail_scope.run(
            work, lambda result: self._detail_arrived(*result),
            lambda exc: self._detail_failed(checkin_id, exc),
        )

    def _detail_arrived(self, detail: CheckinDetail, own_hold: bool | None = None) -> None:
        self._detail = detail
        self.detail.show_detail(detail)
        self.detail.set_hold(detail.held, detail.held if own_hold is None else own_hold)

    def _detail_failed(self, checkin_id: str, exc: BaseException) -> None:
        self._detail = None
        if isinstance(exc, TamperError):
            self.detail.show_damaged(checkin_id)
        elif isinstance(exc, RecordNotFoundError):
            self.detail.show_empty(self.tr("That check-in no longer exists."))
        else:
            self.detail.show_empty(self.tr("The check-in could not be opened ({kind}).")
                                   .format(kind=type(exc).__name__))

    def _deleted(self, checkin_id: str, keep_count: bool = False) -> None:
        self.model.remove_checkin(checkin_id)
        if self.detail.current_id() == checkin_id:
            self._detail = None
            self.detail.show_empty(
                self.tr("The check-in was deleted; its anonymous count stays in your "
                        "statistics.") if keep_count else
                self.tr("The check-in was deleted, and its count removed from your "
                        "statistics."))
        self._load_counts()
        self.changed.emit()

    # -- reacting ---------------------------------------------------------------------------
    def _apply_filters(self) -> None:
        chosen = self.filters.current()
        if chosen != self.model.filter():
            self._refiltered = True
            self.model.set_filter(*chosen)
            self._total = None
            self._load_counts()

    def _forget_detail(self) -> None:
        self._detail_scope.invalidate()
        self._detail = None
        self.model.set_selected_id(None)
        self.detail.show_empty()

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
        elif current is not None and self._refiltered:
            self._forget_detail()  # the filter left it out: do not show it beside the list
        self._refiltered = False
        self._update_status()

    def _loading_changed(self, loading: bool) -> None:
        self.busy.setVisible(loading)
        self._update_status()

    def _damaged_changed(self, count: int) -> None:
        self.damaged_banner.setText(plural(
            count,
            "⚠ 1 check-in failed its integrity check and is not shown: it may have been "
            "changed outside this app.",
            "⚠ {n} check-ins failed their integrity check and are not shown: they may have "
            "been changed outside this app.",
        ) + " " + self.tr("“peersupport verify” lists damaged records.") if count else "")
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
            text = plural(shown, "1 check-in", "{n} check-ins")
        else:
            text = self.tr("{shown} of {total} · scroll for older").format(
                shown=f"{shown:,}", total=f"{self._total:,}")
        self.status.setText(text)
        if self.detail.current_id() is None and not self.model.is_loading():
            self.detail.show_empty(None if shown else self._nothing_listed())

    def _nothing_listed(self) -> str:
        flt, officer_id = self.model.filter()
        if flt != CheckinFilter() or officer_id is not None:
            return self.tr("No check-ins match these filters.")
        return self.tr("No check-ins yet. “New check-in…” (Ctrl+N) logs one.")
