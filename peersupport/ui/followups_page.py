"""The follow-ups section: what is due (overdue, today, this week, later) and what to do with it.

Rows show who (masked until the row is selected), why (a step of the plan or a milestone) and
when; never what the incident was. The board loads off the UI thread, and so does every action
(snooze, reschedule, skip, stop, milestones); "Done" asks the app to open a check-in prefilled
for the step, which completes it when saved.
"""

from __future__ import annotations

import time as _time
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from PySide6.QtCore import QModelIndex, QPoint, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeySequence, QResizeEvent, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QMenu,
    QPushButton,
    QStackedWidget,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from peersupport.ui import style
from peersupport.ui.followup_dialogs import (
    DateTimeDialog,
    MilestoneDialog,
    PlanDetailsDialog,
    StopPlanDialog,
    error_text,
)
from peersupport.ui.followups_model import GROUP_KEYS, FollowupBoardModel, local_when
from peersupport.ui.presentation import RoomyDelegate, plural
from peersupport.ui.task_scope import TaskScope

if TYPE_CHECKING:
    from peersupport.services.checkins import CheckinService
    from peersupport.services.followups import BoardItem, FollowupBoard, FollowupService

Model = FollowupBoardModel
REFRESH_MS = 60_000  # due times become overdue while the page is open


class FollowupsPage(QWidget):
    done_requested = Signal(str, str)  # plan id, step id: log the follow-up check-in
    changed = Signal()  # a plan was changed here
    badge_changed = Signal(int)  # overdue plus today's, after every load

    def __init__(self, service: CheckinService, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._service = service
        self._load_scope = TaskScope(self)
        self._action_scope = TaskScope(self)
        self._zone = ZoneInfo("UTC")
        self._acting = False
        self._loaded_at = 0.0
        self._restore: tuple[str, str] | None = None
        self._message = ""  # what the last action did, shown with the next load
        self.dialog: QDialog | None = None  # the dialog opened last (tests drive it)
        self.model = FollowupBoardModel(self)

        # -- heading --------------------------------------------------------------------------
        title = style.heading(self.tr("Follow-ups"), self, 1.3)
        self.status = style.muted("", self)
        self.status.setWordWrap(False)
        self.status.setAccessibleName(self.tr("Follow-ups status"))
        self.busy = style.busy_bar(self.tr("Loading"), self)
        top = QHBoxLayout()
        top.addWidget(title)
        top.addStretch(1)
        top.addWidget(self.busy)
        top.addWidget(self.status)
        self.hint = style.muted(self.tr(
            "Names are hidden: select a row to see who it is. Done opens a check-in for the "
            "follow-up; saving it completes the step."), self)

        # -- actions ----------------------------------------------------------------------------
        self.done_action = self._action(self.tr("&Done…"), "Ctrl+D", self.mark_done,
                                        self.tr("Log the follow-up check-in (Ctrl+D)"))
        self.snooze_action = self._action(self.tr("&Snooze"), "S", self._popup_snooze,
                                          self.tr("Remind me later (S)"))
        self.reschedule_action = self._action(self.tr("&Reschedule…"), "R", self.ask_reschedule,
                                              self.tr("Move this follow-up to another time (R)"))
        self.skip_action = self._action(self.tr("S&kip this step"), "K", self.skip,
                                        self.tr("Skip this step; later steps stay (K)"))
        self.stop_action = self._action(self.tr("Sto&p plan…"), "X", self.ask_stop,
                                        self.tr("End every pending step of this plan (X)"))
        self.milestone_action = self._action(
            self.tr("Add &milestone…"), "M", self.ask_milestone,
            self.tr("A court date, return to duty, funeral... (M)"))
        self.details_action = self._action(
            self.tr("Plan &details…"), "I", self.open_details,
            self.tr("Every step of this plan, the incident time and milestones (I or Enter)"))
        self.snooze_menu = QMenu(self.tr("Snooze"), self)
        self.snooze_menu.aboutToShow.connect(self._fill_snooze_menu)

        self.buttons: dict[str, QPushButton] = {}
        self.actions_bar = QWidget(self)
        bar = QHBoxLayout(self.actions_bar)
        bar.setContentsMargins(0, 0, 0, 0)
        bar.setSpacing(6)
        for name, action in (("done", self.done_action), ("snooze", self.snooze_action),
                             ("reschedule", self.reschedule_action),
                             ("skip", self.skip_action), ("stop", self.stop_action),
                             ("milestone", self.milestone_action),
                             ("details", self.details_action)):
            button = QPushButton(action.text(), self.actions_bar)
            button.setToolTip(action.toolTip())
            button.setAccessibleName(action.text().replace("&", "").rstrip("…"))
            button.setAutoDefault(False)
            if name == "snooze":
                button.setMenu(self.snooze_menu)
            else:
                button.clicked.connect(action.trigger)
            action.enabledChanged.connect(button.setEnabled)
            self.buttons[name] = button
            bar.addWidget(button)
            if name in ("skip", "stop"):
                bar.addSpacing(10)
        bar.addStretch(1)

        self.error_banner = style.error_label(self)
        self.error_banner.setAccessibleName(self.tr("Problem"))

        # -- the board --------------------------------------------------------------------------
        self.tree = QTreeView(self)
        self.tree.setModel(self.model)
        self.tree.setAccessibleName(self.tr("Follow-ups due"))
        self.tree.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.tree.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.tree.setUniformRowHeights(True)
        self.tree.setAlternatingRowColors(True)
        self.tree.setItemDelegate(RoomyDelegate(self.tree))
        self.tree.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.tree.customContextMenuRequested.connect(self._context_menu)
        self.tree.activated.connect(self._activated)
        header = self.tree.header()
        header.setStretchLastSection(False)
        fm = self.fontMetrics()
        header.resizeSection(Model.OFFICER, fm.horizontalAdvance("Bravo Twelve Long") + 40)
        header.setSectionResizeMode(Model.WHY, QHeaderView.ResizeMode.Stretch)
        header.resizeSection(Model.DUE, fm.horizontalAdvance("Wed 30 Sep 2025 23:59") + 24)
        header.resizeSection(Model.WHEN, fm.horizontalAdvance("overdue by 11 months") + 24)
        header.setMinimumSectionSize(60)
        self.tree.selectionModel().selectionChanged.connect(self._selection_changed)
        # the view itself only fetches more rows for the last group; every group whose last
        # loaded row scrolls into view gets its next rows here
        self.tree.verticalScrollBar().valueChanged.connect(self._fetch_visible)
        self.model.rowsInserted.connect(
            lambda *_: QTimer.singleShot(0, self, self._fetch_visible))

        self.empty = style.muted(self.tr(
            "Nothing to follow up. When a check-in has “Follow-up wanted” ticked, its "
            "reminders appear here, timed from the incident: 24 hours, 72 hours, a week, a "
            "month, the anniversary."), self)
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setAccessibleName(self.tr("No follow-ups"))
        self.empty.setMaximumWidth(520)
        self.empty_page = QWidget(self)
        centred = QHBoxLayout(self.empty_page)
        centred.addStretch(1)
        centred.addWidget(self.empty)
        centred.addStretch(1)
        self.stack = QStackedWidget(self)
        self.stack.addWidget(self.tree)
        self.stack.addWidget(self.empty_page)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 10, 12, 8)
        layout.setSpacing(8)
        layout.addLayout(top)
        layout.addWidget(self.hint)
        layout.addWidget(self.actions_bar)
        layout.addWidget(self.error_banner)
        layout.addWidget(self.stack, 1)

        self._timer = QTimer(self)
        self._timer.setInterval(REFRESH_MS)
        self._timer.timeout.connect(self._tick)
        self._timer.start()
        self._update_actions()
        self.reload()

    def _action(self, text: str, shortcut: str, slot: Callable[[], object],
                tip: str) -> QAction:
        action = QAction(text, self)
        action.setShortcut(QKeySequence(shortcut))
        action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        action.setToolTip(tip)
        action.triggered.connect(lambda *_: slot())
        self.addAction(action)
        return action

    # -- public ---------------------------------------------------------------------------
    def reload(self) -> None:
        """Load the board again (after a change here or a check-in saved elsewhere)."""
        followups = self._service.followups()
        checkins = self._service
        self._load_scope.invalidate()
        self.busy.setVisible(True)

        self.model.set_alias_lookup(checkins.alias_of)

        def work() -> tuple[FollowupBoard, dict[str, str], str]:
            # no names: a row's alias is opened only when the row is selected
            return followups.board(), {}, followups.policy.zone

        self._load_scope.run(work, self._arrived, self._load_failed)

    def clear(self) -> None:
        """Forget every row, name, dialog and request in flight (the vault is locking)."""
        self._load_scope.invalidate()
        self._action_scope.invalidate()
        self._acting = False
        self._restore = None
        if self.dialog is not None:
            self.dialog.reject()
            self.dialog = None
        self.model.clear()
        self.status.clear()
        self.error_banner.clear()
        self.error_banner.setVisible(False)
        self.busy.setVisible(False)
        self._update_actions()

    def current_item(self) -> BoardItem | None:
        """The selected row's step, or None."""
        return self.model.item(self._selected_index())

    def _selected_index(self) -> QModelIndex:
        rows = self.tree.selectionModel().selectedRows()
        return rows[0] if rows else QModelIndex()

    def select(self, plan_id: str, step_id: str) -> bool:
        """Select (and so reveal) the row of this step, if it is loaded."""
        index = self.model.index_of((plan_id, step_id))
        if not index.isValid():
            return False
        self.tree.setCurrentIndex(index)
        self.tree.scrollTo(index)
        return True

    def mark_done(self) -> None:
        """Ask for the follow-up check-in that completes the selected step."""
        item = self.current_item()
        if item is not None:
            self.done_requested.emit(item.plan_id, item.step_id)

    def snooze(self, until: datetime) -> None:
        item = self.current_item()
        if item is None:
            return
        self._run(lambda s: s.snooze(item.plan_id, item.step_id, until),
                  self.tr("Snoozed until {when}.").format(when=local_when(until, self._zone)),
                  item)

    def reschedule(self, to: datetime) -> None:
        item = self.current_item()
        if item is None:
            return
        self._run(lambda s: s.reschedule(item.plan_id, item.step_id, to),
                  self.tr("Moved to {when}.").format(when=local_when(to, self._zone)), item)

    def skip(self) -> None:
        item = self.current_item()
        if item is None:
            return
        self._run(lambda s: s.skip(item.plan_id, item.step_id), self.tr("Step skipped."))

    def stop_plan(self, reason: str) -> None:
        item = self.current_item()
        if item is None:
            return
        self._run(lambda s: s.stop(item.plan_id, reason), self.tr("Plan stopped."))

    def add_milestone(self, kind: str, at: datetime, lead: timedelta) -> None:
        item = self.current_item()
        if item is None:
            return
        self._run(lambda s: s.add_milestone(item.plan_id, kind, at, lead),
                  self.tr("Milestone added."), item)

    # -- dialogs ------------------------------------------------------------------------------
    def ask_snooze_custom(self) -> None:
        item = self.current_item()
        if item is None:
            return
        now = self._service.followups().policy.now()
        dialog = DateTimeDialog(
            self.tr("Snooze until"), self.tr("Remind me about this follow-up again at:"),
            self.tr("&Snooze"), self._zone, max(item.due, now) + timedelta(days=1), self,
            minimum=now)
        self._open(dialog, lambda: self._if_same(item, lambda: self.snooze(dialog.value())))

    def ask_reschedule(self) -> None:
        item = self.current_item()
        if item is None:
            return
        dialog = DateTimeDialog(
            self.tr("Reschedule"), self.tr("Move this follow-up to:"), self.tr("&Reschedule"),
            self._zone, item.due, self)
        self._open(dialog, lambda: self._if_same(item, lambda: self.reschedule(dialog.value())))

    def ask_stop(self) -> None:
        item = self.current_item()
        if item is None:
            return
        dialog = StopPlanDialog(self)
        self._open(dialog, lambda: self._if_same(item, lambda: self.stop_plan(dialog.value())))

    def ask_milestone(self) -> None:
        item = self.current_item()
        if item is None:
            return
        dialog = MilestoneDialog(self._zone, self._service.followups().policy.now(), self)
        self._open(dialog, lambda: self._if_same(item, lambda: self.add_milestone(
            *dialog.value())))

    def open_details(self) -> None:
        item = self.current_item()
        if item is None:
            return
        dialog = PlanDetailsDialog(self._service.followups(), item.plan_id,
                                   self.model.alias(item.officer_id), self._zone, self)
        dialog.changed.connect(self._changed_in_dialog)
        if item.step_id.startswith("s"):
            dialog.select_step(item.step_id)
        self._open(dialog, None)

    def _open(self, dialog: QDialog, accepted: Callable[[], None] | None) -> None:
        if self.dialog is not None:
            self.dialog.reject()
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        if accepted is not None:
            dialog.accepted.connect(accepted)
        dialog.finished.connect(lambda *_: self._dialog_closed(dialog))
        self.dialog = dialog
        dialog.open()

    def _dialog_closed(self, dialog: QDialog) -> None:
        if self.dialog is dialog:
            self.dialog = None

    def _if_same(self, item: BoardItem, then: Callable[[], None]) -> None:
        """Act only if the row the dialog was opened for is still the selected one."""
        current = self.current_item()
        if current is not None and (current.plan_id, current.step_id) == (
                item.plan_id, item.step_id):
            then()
        else:
            self._show_error(self.tr("The list changed meanwhile; nothing was changed. "
                                     "Select the follow-up and try again."))

    def _changed_in_dialog(self) -> None:
        self.reload()
        self.changed.emit()

    # -- acting -------------------------------------------------------------------------------
    def _run(self, work: Callable[[FollowupService], object], message: str,
             keep: BoardItem | None = None) -> None:
        if self._acting:
            return
        followups = self._service.followups()
        self._acting = True
        self._restore = (keep.plan_id, keep.step_id) if keep is not None else None
        self.error_banner.setVisible(False)
        self._update_actions()
        self._action_scope.run(lambda: work(followups), lambda _: self._acted(message),
                               self._action_failed)

    def _acted(self, message: str) -> None:
        self._acting = False
        self._message = message
        self.reload()
        self.changed.emit()

    def _action_failed(self, exc: BaseException) -> None:
        self._acting = False
        self._restore = None
        self._show_error(error_text(exc))
        self.reload()

    def _show_error(self, text: str) -> None:
        self.error_banner.setText(text)
        self.error_banner.setVisible(True)

    # -- loading ------------------------------------------------------------------------------
    def _arrived(self, result: tuple[FollowupBoard, dict[str, str], str]) -> None:
        board, aliases, zone = result
        key = self._restore
        if key is None:
            current = self.current_item()
            key = (current.plan_id, current.step_id) if current is not None else None
        self._restore = None
        scroll = self.tree.verticalScrollBar().value()
        self._zone = ZoneInfo(zone)
        self.model.set_board(board, aliases, self._zone, self.model.shown_rows())
        for row in range(len(GROUP_KEYS)):
            self.tree.setFirstColumnSpanned(row, QModelIndex(), True)
        self.tree.expandAll()
        self.tree.verticalScrollBar().setValue(scroll)
        self._fetch_visible()
        if key is not None:
            self.select(*key)
        self._loaded_at = _time.monotonic()
        self.busy.setVisible(False)
        total = len(board)
        self.stack.setCurrentWidget(self.tree if total else self.empty_page)
        self.hint.setVisible(bool(total))
        self.actions_bar.setVisible(bool(total))
        due = board.badge
        if total:
            text = plural(total, "{n} follow-up pending", "{n} follow-ups pending")
            if due:
                text += self.tr(" · {n} overdue or due today").format(n=f"{due:,}")
        else:
            text = ""
        message, self._message = self._message, ""
        self.status.setText(f"{message}  {text}".strip())
        self._update_actions()
        self.badge_changed.emit(due)

    def _load_failed(self, exc: BaseException) -> None:
        self.busy.setVisible(False)
        self._show_error(self.tr("The follow-ups could not be loaded ({kind}).").format(
            kind=type(exc).__name__))

    def _tick(self) -> None:
        if self.isVisible() and not self._acting and self.dialog is None:
            self.reload()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        stale = _time.monotonic() - self._loaded_at > REFRESH_MS / 1000
        if stale and self._loaded_at and not self._acting:
            self.reload()

    # -- reacting -----------------------------------------------------------------------------
    def _selection_changed(self, *_: object) -> None:
        """Only the selected row shows its name: deselecting masks it again."""
        index = self._selected_index()
        self.model.set_selected(index if index.isValid() else None)
        self._update_actions()

    def _update_actions(self) -> None:
        has = self.current_item() is not None and not self._acting
        for action in (self.done_action, self.snooze_action, self.reschedule_action,
                       self.skip_action, self.stop_action, self.milestone_action,
                       self.details_action):
            action.setEnabled(has)
        self.buttons["snooze"].setEnabled(has)

    def _fetch_visible(self, *_: object) -> None:
        """Load the next rows of any group whose last loaded row is on screen."""
        height = self.tree.viewport().height()
        for g in range(len(GROUP_KEYS)):
            parent = self.model.index(g, 0)
            if not self.model.canFetchMore(parent) or not self.tree.isExpanded(parent):
                continue
            last = self.model.index(self.model.rowCount(parent) - 1, 0, parent)
            rect = self.tree.visualRect(last)
            if rect.isValid() and rect.top() < height:
                self.model.fetchMore(parent)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._fetch_visible()

    def _activated(self, index: QModelIndex) -> None:
        if self.model.item(index) is not None:
            self.open_details()

    def _fill_snooze_menu(self) -> None:
        self.snooze_menu.clear()
        try:
            choices = self._service.followups().snooze_choices()
        except Exception:  # the vault locked meanwhile
            choices = {}
        for label, until in choices.items():
            action = self.snooze_menu.addAction(self.tr("{label}  ({when})").format(
                label=self.tr(label), when=local_when(until, self._zone)))
            action.triggered.connect(partial(self.snooze, until))
        self.snooze_menu.addSeparator()
        custom = self.snooze_menu.addAction(self.tr("Custom…"))
        custom.triggered.connect(self.ask_snooze_custom)

    def _popup_snooze(self) -> None:
        if self.current_item() is None:
            return
        rect = self.tree.visualRect(self._selected_index())
        self.snooze_menu.popup(self.tree.viewport().mapToGlobal(rect.bottomLeft()))

    def _context_menu(self, pos: QPoint) -> None:
        index = self.tree.indexAt(pos)
        if self.model.item(index) is None:
            return
        self.tree.setCurrentIndex(index)
        menu = QMenu(self)
        menu.addAction(self.done_action)
        menu.addMenu(self.snooze_menu)
        menu.addAction(self.reschedule_action)
        menu.addAction(self.skip_action)
        menu.addSeparator()
        menu.addAction(self.stop_action)
        menu.addAction(self.milestone_action)
        menu.addAction(self.details_action)
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        menu.popup(self.tree.viewport().mapToGlobal(pos))

