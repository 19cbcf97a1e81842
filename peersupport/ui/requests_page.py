"""The requests section: the follow-up requests officers left, urgent ones first.

A row says how urgent, when it came, its reference and its state; who sent it shows only on the
selected row (anyone looking over the shoulder sees "•••••"). Selecting a request opens it in
the details pane and marks it seen. From here the supporter accepts a request (links it to an
officer and schedules a "Requested follow-up"), closes it with a note, deletes handled or
damaged ones, imports ``.psreq`` files made on another computer, and shows the request card.

The inbox loads off the UI thread, and so does importing files; accepting and closing act
inside their dialogs (one short transaction each), so a refusal is shown where it was typed.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from PySide6.QtCore import (
    QAbstractTableModel,
    QCoreApplication,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QPoint,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QAction, QFont, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QDialog,
    QFileDialog,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMenu,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QSplitter,
    QStackedWidget,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from peersupport.crypto.errors import RequestTooLargeError
from peersupport.crypto.request_seal import FILE_EXTENSION, MAX_FILE_BYTES
from peersupport.domain.follow_request import (
    ACCEPTED,
    CLOSED,
    CONTACT_METHODS,
    OPEN,
    URGENCIES,
    URGENT_NOW,
    VIA_COMMAND,
    VIA_FILE,
    VIA_FORM,
)
from peersupport.services.requests import request_error_message
from peersupport.ui import style
from peersupport.ui.file_dialogs import forget_file_dialog_history
from peersupport.ui.presentation import (
    MASK,
    RoomyDelegate,
    format_when_long,
    plural,
    record_label,
)
from peersupport.ui.request_dialogs import (
    AcceptChoice,
    AcceptRequestDialog,
    CloseRequestDialog,
    ImportOutcome,
    ImportSummaryDialog,
    RequestCardDialog,
    action_error_text,
)
from peersupport.ui.task_scope import TaskScope

if TYPE_CHECKING:
    from peersupport.domain.follow_request import ReceivedRequest
    from peersupport.services.checkins import CheckinService
    from peersupport.services.requests import Inbox, RequestService

Index = QModelIndex | QPersistentModelIndex
ANONYMOUS = "Anonymous"
URGENT_FLAG = "⚠ "  # the urgency is said in words too, never by colour alone
REFRESH_MS = 60_000  # "5 min ago" moves on while the page is open
STATE_LABELS = {"new": "New", OPEN: "Open", ACCEPTED: "Accepted", CLOSED: "Closed"}
VIA_LABELS = {
    VIA_FORM: "The request form on this computer",
    VIA_COMMAND: "The peersupport request command",
    VIA_FILE: "A request file, imported",
}


def _t(text: str) -> str:
    return QCoreApplication.translate("RequestsPage", text)


def state_key(record: ReceivedRequest) -> str:
    """"new" for an open request not yet seen, else its state."""
    return "new" if record.state == OPEN and not record.seen else record.state


def urgency_text(urgency: str) -> str:
    label = _t(URGENCIES.get(urgency, urgency))
    return URGENT_FLAG + label if urgency == URGENT_NOW else label


def received_text(when: datetime, now: datetime, zone: ZoneInfo) -> str:
    """``just now``, ``12 min ago``, ``today 09:30``, ``yesterday 18:05``, ``3 Jun 09:30``."""
    seconds = (now - when).total_seconds()
    if seconds < 60:
        return _t("just now")
    if seconds < 3600:
        return _t("{n} min ago").format(n=int(seconds // 60))
    local, today = when.astimezone(zone), now.astimezone(zone).date()
    if local.date() == today:
        return _t("today {time}").format(time=f"{local:%H:%M}")
    if local.date() == today - timedelta(days=1):
        return _t("yesterday {time}").format(time=f"{local:%H:%M}")
    if local.year == today.year:
        return f"{local.day} {local:%b %H:%M}"
    return f"{local.day} {local:%b %Y}"


def contact_text(record: ReceivedRequest) -> str:
    request = record.request
    method = _t(CONTACT_METHODS[request.contact_method]) if request.contact_method else ""
    if method and request.contact:
        return f"{method}: {request.contact}"
    return method or request.contact or "—"


class RequestsModel(QAbstractTableModel):
    """The inbox as rows; who sent a request is shown only on the selected row."""

    URGENCY, RECEIVED, REFERENCE, STATE, FROM = range(5)
    COLUMNS = ("Urgency", "Received", "Reference", "State", "From")
    RecordRole = Qt.ItemDataRole.UserRole + 1

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._rows: list[ReceivedRequest] = []
        self._selected: str | None = None  # the id of the one row whose name shows
        self._now: datetime | None = None
        self._zone = ZoneInfo("UTC")
        bold = QFont()
        bold.setBold(True)
        self._bold = bold

    def set_rows(self, rows: list[ReceivedRequest], now: datetime, zone: ZoneInfo) -> None:
        self.beginResetModel()
        self._rows, self._now, self._zone = list(rows), now, zone
        self._selected = None
        self.endResetModel()

    def clear(self) -> None:
        self.beginResetModel()
        self._rows, self._selected, self._now = [], None, None
        self.endResetModel()

    def rows(self) -> list[ReceivedRequest]:
        return list(self._rows)

    def record(self, index: Index) -> ReceivedRequest | None:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        return self._rows[index.row()]

    def row_of(self, request_id: str) -> int:
        return next((i for i, r in enumerate(self._rows) if r.id == request_id), -1)

    def replace_record(self, record: ReceivedRequest) -> None:
        row = self.row_of(record.id)
        if row >= 0:
            self._rows[row] = record
            self.dataChanged.emit(self.index(row, 0), self.index(row, len(self.COLUMNS) - 1))

    def set_selected(self, request_id: str | None) -> None:
        """Reveal the name on this row only (None masks every row)."""
        changed = {self._selected, request_id} - {None}
        self._selected = request_id
        for rid in changed:
            assert rid is not None
            row = self.row_of(rid)
            if row >= 0:
                index = self.index(row, self.FROM)
                self.dataChanged.emit(index, index)

    def now(self) -> datetime | None:
        return self._now

    def set_now(self, now: datetime) -> None:
        self._now = now
        if self._rows:
            self.dataChanged.emit(self.index(0, self.RECEIVED),
                                  self.index(len(self._rows) - 1, self.RECEIVED))

    # -- Qt ----------------------------------------------------------------------------------
    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if (orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole
                and 0 <= section < len(self.COLUMNS)):
            return self.tr(self.COLUMNS[section])
        return None

    def from_text(self, record: ReceivedRequest) -> str:
        if record.request.is_anonymous:
            return self.tr(ANONYMOUS)
        return record.request.address_as if record.id == self._selected else MASK

    def _text(self, record: ReceivedRequest, column: int) -> str:
        if column == self.URGENCY:
            return urgency_text(record.urgency)
        if column == self.RECEIVED:
            now = self._now or record.request.submitted_at
            return received_text(record.request.submitted_at, now, self._zone)
        if column == self.REFERENCE:
            return record.reference
        if column == self.STATE:
            return self.tr(STATE_LABELS[state_key(record)])
        return self.from_text(record)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        record = self.record(index)
        if record is None:
            return None
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._text(record, column)
        if role == Qt.ItemDataRole.ToolTipRole:
            if column == self.RECEIVED:
                local = record.request.submitted_at.astimezone(self._zone)
                return format_when_long(local)
            if column == self.FROM and record.id != self._selected \
                    and not record.request.is_anonymous:
                return self.tr("Select the request to see who sent it")
            return None
        if role == Qt.ItemDataRole.AccessibleTextRole:
            text = self._text(record, column)
            return text if text != MASK else self.tr("Hidden name")
        if role == Qt.ItemDataRole.FontRole:
            urgent = column == self.URGENCY and record.urgency == URGENT_NOW \
                and record.state == OPEN
            new = column == self.STATE and state_key(record) == "new"
            return self._bold if urgent or new else None
        if role == Qt.ItemDataRole.ForegroundRole:
            if column == self.URGENCY and record.urgency == URGENT_NOW and record.state == OPEN:
                return style.error_colour()
            return None
        if role == self.RecordRole:
            return record
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable


class RequestDetails(QScrollArea):
    """Everything about the selected request, as plain text."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setMinimumWidth(260)
        body = QWidget(self)
        self.placeholder = style.muted(self.tr(
            "Select a request to read it. Selecting it marks it as seen."), body)
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.title = style.heading("", body, 1.2)
        self.title.setTextFormat(Qt.TextFormat.PlainText)
        self.urgent_line = QLabel(body)
        self.urgent_line.setWordWrap(True)
        font = self.urgent_line.font()
        font.setBold(True)
        self.urgent_line.setFont(font)
        style.set_text_colour(self.urgent_line, style.error_colour())
        self.values: dict[str, QLabel] = {}
        form = QFormLayout()
        form.setHorizontalSpacing(12)
        form.setVerticalSpacing(6)
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.DontWrapRows)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.handled_title = style.heading(self.tr("What you did"), body, 1.05)
        handled = QFormLayout()
        handled.setHorizontalSpacing(12)
        handled.setVerticalSpacing(6)
        handled.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self._handled_rows: list[str] = []
        for target, key, text in (
            (form, "urgency", "Urgency:"),
            (form, "from", "Address as:"),
            (form, "contact", "Contact:"),
            (form, "best_times", "Best times:"),
            (form, "message", "Message:"),
            (form, "received", "Received:"),
            (form, "reference", "Reference:"),
            (form, "via", "Sent with:"),
            (handled, "state", "State:"),
            (handled, "officer", "Officer:"),
            (handled, "follow_up", "Follow-up:"),
            (handled, "note", "Note:"),
            (handled, "handled", "Handled:"),
        ):
            value = record_label(body)
            value.setAccessibleName(self.tr(text).rstrip(":"))
            label = QLabel(self.tr(text), body)
            label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop)
            target.addRow(label, value)
            self.values[key] = value
        self.content = QWidget(body)
        content = QVBoxLayout(self.content)
        content.setContentsMargins(0, 0, 0, 0)
        content.setSpacing(8)
        content.addWidget(self.title)
        content.addWidget(self.urgent_line)
        content.addLayout(form)
        content.addSpacing(6)
        content.addWidget(self.handled_title)
        content.addLayout(handled)
        content.addStretch(1)
        self._handled_layout = handled
        layout = QVBoxLayout(body)
        layout.setContentsMargins(14, 4, 6, 4)
        layout.addWidget(self.placeholder, 0, Qt.AlignmentFlag.AlignTop)
        layout.addWidget(self.content, 1)
        self.setWidget(body)
        self.show_record(None)

    def show_record(self, record: ReceivedRequest | None, zone: ZoneInfo | None = None,
                    officer_alias: str | None = None) -> None:
        self.placeholder.setVisible(record is None)
        self.content.setVisible(record is not None)
        if record is None or zone is None:
            self.title.clear()
            self.urgent_line.clear()
            for value in self.values.values():
                value.clear()
            return
        request = record.request
        self.title.setText(self.tr("Request {ref}").format(ref=record.reference))
        urgent = record.urgency == URGENT_NOW
        self.urgent_line.setText(self.tr(
            "Urgent: the officer asked to be contacted now.") if urgent else "")
        self.urgent_line.setVisible(urgent)

        def when(at: datetime | None) -> str:
            return format_when_long(at.astimezone(zone)) if at is not None else "—"

        values = {
            "urgency": urgency_text(record.urgency),
            "from": request.address_as or self.tr("Anonymous (no name given)"),
            "contact": contact_text(record),
            "best_times": request.best_times or "—",
            "message": request.message or self.tr("(no message)"),
            "received": when(request.submitted_at),
            "reference": record.reference,
            "via": self.tr(VIA_LABELS.get(request.via, request.via)),
            "state": self.tr(STATE_LABELS[state_key(record)]),
            "officer": officer_alias or "—",
            "follow_up": when(record.follow_up_at),
            "note": record.note or "—",
            "handled": when(record.handled_at),
        }
        for key, text in values.items():
            self.values[key].setText(text)
        handled = record.state != OPEN
        self.handled_title.setVisible(handled)
        for key in ("state", "officer", "follow_up", "note", "handled"):
            self._set_row_visible(key, handled)
        if handled and record.state == CLOSED:
            self._set_row_visible("officer", False)
            self._set_row_visible("follow_up", False)

    def _set_row_visible(self, key: str, visible: bool) -> None:
        self._handled_layout.setRowVisible(self.values[key], visible)

    def texts(self) -> list[str]:
        return [self.title.text(), self.urgent_line.text(),
                *(v.text() for v in self.values.values())]


class RequestsPage(QWidget):
    changed = Signal()  # a request was accepted, closed, imported or deleted here
    badge_changed = Signal(int)  # open requests not yet seen, after every load
    followups_changed = Signal()  # accepting scheduled a follow-up

    def __init__(self, service: CheckinService, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._service = service
        self._load_scope = TaskScope(self)
        self._action_scope = TaskScope(self)
        self._zone = ZoneInfo("UTC")
        self._inbox: Inbox | None = None
        self._acting = False
        self._restore: str | None = None
        self._message = ""
        self.dialog: QDialog | None = None  # the dialog opened last (tests drive it)
        self.confirm: QMessageBox | None = None  # the confirmation open now, if any
        self.model = RequestsModel(self)

        # -- heading ---------------------------------------------------------------------------
        title = style.heading(self.tr("Requests"), self, 1.3)
        self.status = style.muted("", self)
        self.status.setWordWrap(False)
        self.status.setAccessibleName(self.tr("Requests status"))
        self.busy = style.busy_bar(self.tr("Loading"), self)
        top = QHBoxLayout()
        top.addWidget(title)
        top.addStretch(1)
        top.addWidget(self.busy)
        top.addWidget(self.status)
        self.hint = style.muted(self.tr(
            "Only you can read these requests. Names are hidden: select a request to see who "
            "sent it."), self)

        # -- damaged requests --------------------------------------------------------------------
        self.damaged_bar = QWidget(self)
        self.damaged_label = QLabel(self.damaged_bar)
        self.damaged_label.setWordWrap(True)
        self.damaged_label.setAccessibleName(self.tr("Requests that could not be opened"))
        style.set_text_colour(self.damaged_label, style.error_colour())
        self.remove_damaged_button = QPushButton(self.tr("&Remove them…"), self.damaged_bar)
        self.remove_damaged_button.setAccessibleName(
            self.tr("Remove the requests that could not be opened"))
        self.remove_damaged_button.setAutoDefault(False)
        self.remove_damaged_button.clicked.connect(self.ask_remove_damaged)
        damaged = QHBoxLayout(self.damaged_bar)
        damaged.setContentsMargins(0, 0, 0, 0)
        damaged.addWidget(self.damaged_label, 1)
        damaged.addWidget(self.remove_damaged_button)
        self.damaged_bar.setVisible(False)

        # -- actions -----------------------------------------------------------------------------
        self.accept_action = self._action(
            self.tr("&Accept…"), [QKeySequence("Ctrl+Return"), QKeySequence("Ctrl+Enter")],
            self.ask_accept,
            self.tr("Link to an officer and schedule the follow-up (Ctrl+Enter or Alt+A)"))
        self.close_action = self._action(
            self.tr("C&lose…"), [], self.ask_close,
            self.tr("Close without a follow-up, with a note of what was done (Alt+L)"))
        self.delete_action = self._action(
            self.tr("&Delete"), QKeySequence.keyBindings(QKeySequence.StandardKey.Delete),
            self.ask_delete, self.tr("Delete a handled request for good (Delete)"))
        self.import_action = self._action(
            self.tr("&Import request files…"), [], self.ask_import,
            self.tr("Add .psreq files officers made on another computer (Ctrl+I)"))
        self.card_action = self._action(
            self.tr("Request &card…"), [], self.open_card,
            self.tr("The card officers use to send you a request from another computer"))
        self.buttons: dict[str, QPushButton] = {}
        self.actions_bar = QWidget(self)
        bar = QHBoxLayout(self.actions_bar)
        bar.setContentsMargins(0, 0, 0, 0)
        bar.setSpacing(6)
        for name, action in (("accept", self.accept_action), ("close", self.close_action),
                             ("delete", self.delete_action), ("import", self.import_action),
                             ("card", self.card_action)):
            button = QPushButton(action.text(), self.actions_bar)
            button.setToolTip(action.toolTip())
            button.setAccessibleName(action.text().replace("&", "").rstrip("…"))
            button.setAutoDefault(False)
            button.clicked.connect(action.trigger)
            action.enabledChanged.connect(button.setEnabled)
            self.buttons[name] = button
            bar.addWidget(button)
            if name == "delete":
                bar.addSpacing(14)
        bar.addStretch(1)
        self.show_handled = QCheckBox(self.tr("&Show handled"), self.actions_bar)
        self.show_handled.setAccessibleName(self.tr("Show handled requests"))
        self.show_handled.setToolTip(self.tr(
            "Also list the requests you accepted or closed"))
        self.show_handled.toggled.connect(self._refilter)
        bar.addWidget(self.show_handled)

        self.error_banner = style.error_label(self)
        self.error_banner.setAccessibleName(self.tr("Problem"))

        # -- the list and the details ----------------------------------------------------------
        self.table = QTreeView(self)
        self.table.setModel(self.model)
        self.table.setAccessibleName(self.tr("Follow-up requests"))
        self.table.setRootIsDecorated(False)
        self.table.setItemsExpandable(False)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setUniformRowHeights(True)
        self.table.setAlternatingRowColors(True)
        self.table.setItemDelegate(RoomyDelegate(self.table))
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.table.customContextMenuRequested.connect(self._context_menu)
        header = self.table.header()
        header.setStretchLastSection(True)
        header.setMinimumSectionSize(60)
        for column in (RequestsModel.URGENCY, RequestsModel.RECEIVED, RequestsModel.REFERENCE,
                       RequestsModel.STATE):  # as wide as what they show, the rest to "From"
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(RequestsModel.FROM, QHeaderView.ResizeMode.Stretch)
        self.table.selectionModel().selectionChanged.connect(self._selection_changed)

        self.empty = style.muted("", self)
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setAccessibleName(self.tr("No requests"))
        self.empty.setMaximumWidth(520)
        self.empty_page = QWidget(self)
        centred = QHBoxLayout(self.empty_page)
        centred.addStretch(1)
        centred.addWidget(self.empty)
        centred.addStretch(1)
        self.list_stack = QStackedWidget(self)
        self.list_stack.addWidget(self.table)
        self.list_stack.addWidget(self.empty_page)

        self.details = RequestDetails(self)
        self.splitter = QSplitter(Qt.Orientation.Horizontal, self)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.addWidget(self.list_stack)
        self.splitter.addWidget(self.details)
        self.splitter.setStretchFactor(0, 2)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([640, 300])

        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 10, 12, 8)
        layout.setSpacing(8)
        layout.addLayout(top)
        layout.addWidget(self.hint)
        layout.addWidget(self.damaged_bar)
        layout.addWidget(self.actions_bar)
        layout.addWidget(self.error_banner)
        layout.addWidget(self.splitter, 1)

        self._timer = QTimer(self)
        self._timer.setInterval(REFRESH_MS)
        self._timer.timeout.connect(self._tick)
        self._timer.start()
        self._update_actions()
        self.reload()

    def _action(self, text: str, shortcuts: list[QKeySequence], slot: Callable[[], object],
                tip: str) -> QAction:
        action = QAction(text, self)
        action.setShortcuts(shortcuts)
        action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        action.setToolTip(tip)
        action.triggered.connect(lambda *_: slot())
        self.addAction(action)
        return action

    def _requests(self) -> RequestService:
        return self._service.requests()

    def _now(self) -> datetime:
        return self._service.followups().policy.now()

    # -- public -------------------------------------------------------------------------------
    def reload(self) -> None:
        """Read the inbox again (after a change here, a request received or imported)."""
        requests = self._requests()
        followups = self._service.followups()
        self._load_scope.invalidate()
        self.busy.setVisible(True)

        def work() -> tuple[Inbox, datetime, str]:
            return requests.inbox(), followups.policy.now(), followups.policy.zone

        self._load_scope.run(work, self._arrived, self._load_failed)

    def clear(self) -> None:
        """Forget every request, name, dialog and answer in flight (the vault is locking)."""
        self._load_scope.invalidate()
        self._action_scope.invalidate()
        self._acting = False
        self._restore = None
        self._message = ""
        for dialog in (self.dialog, self.confirm):
            if dialog is not None:
                dialog.reject()
        self.dialog = None
        self.confirm = None
        self._inbox = None
        self.model.clear()
        self.details.show_record(None)
        self.status.clear()
        self.empty.clear()
        self.damaged_label.clear()
        self.damaged_bar.setVisible(False)
        self.error_banner.clear()
        self.error_banner.setVisible(False)
        self.busy.setVisible(False)
        self._update_actions()

    def inbox(self) -> Inbox | None:
        return self._inbox

    def current_record(self) -> ReceivedRequest | None:
        rows = self.table.selectionModel().selectedRows()
        return self.model.record(rows[0]) if rows else None

    def select(self, request_id: str) -> bool:
        """Select (and so open and reveal) this request, if it is listed."""
        row = self.model.row_of(request_id)
        if row < 0:
            return False
        index = self.model.index(row, 0)
        self.table.setCurrentIndex(index)
        self.table.scrollTo(index)
        return True

    # -- accepting and closing -----------------------------------------------------------------
    def ask_accept(self) -> None:
        record = self.current_record()
        if record is None or record.state != OPEN:
            return
        requests = self._requests()
        try:
            officers = self._service.officers()
            suggested = requests.suggested_time(record, self._zone)
        except Exception as exc:
            self._show_error(action_error_text(exc))
            return

        def submit(choice: AcceptChoice) -> object:
            return requests.accept(record.id, choice.follow_up_at, officer_id=choice.officer_id,
                                   new_officer=choice.new_officer, note=choice.note)

        dialog = AcceptRequestDialog(record, officers, self._zone, suggested, submit, self)
        self._open(dialog, lambda: self._acted(
            record.id, self.tr("Request {ref} accepted: the follow-up is in Follow-ups.")
            .format(ref=record.reference), followups=True))

    def ask_close(self) -> None:
        record = self.current_record()
        if record is None or record.state != OPEN:
            return
        requests = self._requests()
        dialog = CloseRequestDialog(record.reference,
                                    lambda note: requests.close(record.id, note), self)
        self._open(dialog, lambda: self._acted(
            record.id, self.tr("Request {ref} closed.").format(ref=record.reference)))

    def _acted(self, request_id: str, message: str, followups: bool = False) -> None:
        self._message = message
        self._restore = request_id
        self.reload()
        self.changed.emit()
        if followups:
            self.followups_changed.emit()

    # -- deleting --------------------------------------------------------------------------------
    def ask_delete(self) -> None:
        record = self.current_record()
        if record is None or record.state == OPEN:
            return
        text = self.tr("Delete request {ref} for good?").format(ref=record.reference)
        detail = self.tr("What the officer wrote and your note are erased. This cannot be "
                         "undone.")
        if record.state == ACCEPTED:
            detail += " " + self.tr("The follow-up it scheduled stays in Follow-ups.")
        self._confirm(text, detail, self.tr("&Delete"),
                      lambda: self._run_delete([record.id], self.tr("Request {ref} deleted.")
                                               .format(ref=record.reference)))

    def ask_remove_damaged(self) -> None:
        ids = list(self._inbox.damaged) if self._inbox is not None else []
        if not ids:
            return
        text = plural(len(ids), "Remove the request that could not be opened?",
                      "Remove the {n} requests that could not be opened?")
        detail = self.tr("They are damaged, or were sealed to another key: no one can read "
                         "them. Removing them cannot be undone.")
        self._confirm(self.tr(text), detail, self.tr("&Remove"),
                      lambda: self._run_delete(ids, plural(
                          len(ids), "Removed {n} request that could not be opened.",
                          "Removed {n} requests that could not be opened.")))

    def _confirm(self, text: str, detail: str, ok_text: str, then: Callable[[], None]) -> None:
        if self.confirm is not None:
            self.confirm.reject()
        box = QMessageBox(self)
        box.setObjectName("requestConfirmBox")
        box.setIcon(QMessageBox.Icon.Warning)
        box.setWindowTitle(self.tr("Requests"))
        box.setText(text)
        box.setInformativeText(detail)
        ok = box.addButton(ok_text, QMessageBox.ButtonRole.DestructiveRole)
        ok.setAccessibleName(ok_text.replace("&", ""))
        cancel = box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(cancel)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)

        def answered(button: Any) -> None:
            self.confirm = None
            if button is ok:
                then()

        box.buttonClicked.connect(answered)
        box.rejected.connect(lambda: setattr(self, "confirm", None))
        self.confirm = box
        box.open()

    def _run_delete(self, ids: list[str], message: str) -> None:
        if self._acting:
            return
        requests = self._requests()
        self._start_acting()

        def work() -> int:
            return sum(1 for i in ids if requests.delete(i))

        self._action_scope.run(work, lambda _n: self._finish_acting(message),
                               self._action_failed)

    # -- importing -------------------------------------------------------------------------------
    def ask_import(self) -> None:
        try:
            paths, _ = QFileDialog.getOpenFileNames(
                self, self.tr("Import request files"), "",
                self.tr("Peer Support requests (*{ext});;All files (*)").format(
                    ext=FILE_EXTENSION))
        finally:
            forget_file_dialog_history()
        if paths:
            self.import_files(paths)

    def import_files(self, paths: list[str]) -> None:
        """Import each file (off the UI thread), then show what happened to each."""
        if self._acting or not paths:
            return
        requests = self._requests()
        self._start_acting()
        self.status.setText(plural(len(paths), "Importing {n} file…", "Importing {n} files…"))

        def work() -> list[ImportOutcome]:
            return [_import_one(requests, path) for path in paths]

        self._action_scope.run(work, self._imported, self._action_failed)

    def _imported(self, outcomes: list[ImportOutcome]) -> None:
        done = [o for o in outcomes if o.imported]
        self._finish_acting(plural(len(done), "{n} request imported.",
                                   "{n} requests imported."), changed=bool(done))
        dialog = ImportSummaryDialog(outcomes, self)
        self._open(dialog, None)

    # -- the card --------------------------------------------------------------------------------
    def open_card(self) -> None:
        try:
            dialog = RequestCardDialog(self._requests(), self)
        except Exception as exc:
            self._show_error(action_error_text(exc))
            return
        self._open(dialog, None)

    # -- acting ----------------------------------------------------------------------------------
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

    def _start_acting(self) -> None:
        self._acting = True
        self.error_banner.setVisible(False)
        self.busy.setVisible(True)
        self._update_actions()

    def _finish_acting(self, message: str, changed: bool = True) -> None:
        self._acting = False
        self._message = message
        self.reload()
        if changed:
            self.changed.emit()

    def _action_failed(self, exc: BaseException) -> None:
        self._acting = False
        self._show_error(action_error_text(exc))
        self.reload()

    def _show_error(self, text: str) -> None:
        self.error_banner.setText(text)
        self.error_banner.setVisible(True)

    # -- loading -----------------------------------------------------------------------------------
    def _arrived(self, result: tuple[Inbox, datetime, str]) -> None:
        inbox, now, zone = result
        self._inbox = inbox
        self._zone = ZoneInfo(zone)
        self.busy.setVisible(self._acting)
        self._show(now)
        damaged = len(inbox.damaged)
        self.damaged_label.setText(plural(
            damaged, "{n} request could not be opened (damaged or sealed to another key).",
            "{n} requests could not be opened (damaged or sealed to another key)."))
        self.damaged_bar.setVisible(damaged > 0)
        message, self._message = self._message, ""
        self.status.setText(f"{message}  {self._count_text(inbox)}".strip())
        self.badge_changed.emit(inbox.unseen_count())

    def _count_text(self, inbox: Inbox) -> str:
        text = plural(inbox.open_count(), "{n} open request", "{n} open requests")
        unseen = inbox.unseen_count()
        if unseen:
            text += self.tr(" · {n} new").format(n=f"{unseen:,}")
        return text

    def _show(self, now: datetime) -> None:
        """Fill the list from the inbox (open ones, or every one with Show handled)."""
        inbox = self._inbox
        if inbox is None:
            return
        key = self._restore
        if key is None:
            current = self.current_record()
            key = current.id if current is not None else None
        self._restore = None
        everything = self.show_handled.isChecked()
        rows = [r for r in inbox.requests if everything or r.state == OPEN]
        self.model.set_rows(rows, now, self._zone)
        handled = len(inbox.requests) - inbox.open_count()
        if rows:
            self.list_stack.setCurrentWidget(self.table)
        else:
            self.list_stack.setCurrentWidget(self.empty_page)
            if handled and not everything:
                self.empty.setText(plural(
                    handled, "No open requests. Tick “Show handled” to see the one you "
                    "handled.", "No open requests. Tick “Show handled” to see the {n} you "
                    "handled."))
            else:
                self.empty.setText(self.tr(
                    "No requests. Officers can leave one on this computer's lock screen, with "
                    "the peersupport request command, or from another computer with your "
                    "request card."))
        if key is not None and self.select(key):
            return
        self._selection_changed()

    def _refilter(self) -> None:
        if self._inbox is not None:
            self._show(self.model.now() or self._now())

    def _load_failed(self, exc: BaseException) -> None:
        self.busy.setVisible(self._acting)
        self._show_error(self.tr("The requests could not be loaded ({kind}).").format(
            kind=type(exc).__name__))

    def _tick(self) -> None:
        if self.isVisible() and self._inbox is not None:
            try:
                self.model.set_now(self._now())
            except Exception:  # the vault locked meanwhile: the page is going away
                return

    # -- reacting ----------------------------------------------------------------------------------
    def _selection_changed(self, *_: object) -> None:
        """Open the selected request and mark it seen; only its row shows a name."""
        record = self.current_record()
        self.model.set_selected(record.id if record is not None else None)
        if record is not None and record.state == OPEN and not record.seen:
            record = self._mark_seen(record)
        self._show_details(record)
        self._update_actions()

    def _mark_seen(self, record: ReceivedRequest) -> ReceivedRequest:
        try:
            record = self._requests().mark_seen(record.id)
        except Exception as exc:
            self._show_error(action_error_text(exc))
            return record
        self.model.replace_record(record)
        inbox = self._inbox
        if inbox is not None:
            inbox.requests = [record if r.id == record.id else r for r in inbox.requests]
            self.badge_changed.emit(inbox.unseen_count())
            self.status.setText(self._count_text(inbox))
        return record

    def _show_details(self, record: ReceivedRequest | None) -> None:
        alias = None
        if record is not None and record.officer_id:
            try:
                alias = self._service.alias_of(record.officer_id)
            except Exception:  # a locked vault or a damaged record: show no name
                alias = None
            if alias is None:
                alias = self.tr("(an officer no longer in the vault)")
        self.details.show_record(record, self._zone, alias)

    def _update_actions(self) -> None:
        record = self.current_record()
        idle = not self._acting
        is_open = record is not None and record.state == OPEN
        self.accept_action.setEnabled(idle and is_open)
        self.close_action.setEnabled(idle and is_open)
        self.delete_action.setEnabled(idle and record is not None and not is_open)
        self.import_action.setEnabled(idle)
        self.remove_damaged_button.setEnabled(idle)

    def _context_menu(self, pos: QPoint) -> None:
        index = self.table.indexAt(pos)
        if self.model.record(index) is None:
            return
        self.table.setCurrentIndex(index)
        menu = QMenu(self)
        menu.addAction(self.accept_action)
        menu.addAction(self.close_action)
        menu.addSeparator()
        menu.addAction(self.delete_action)
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        menu.popup(self.table.viewport().mapToGlobal(pos))


def _import_one(requests: RequestService, path: str) -> ImportOutcome:
    """One file: its size is checked before anything is read; a refusal writes nothing."""
    name = Path(path).name
    try:
        size = os.stat(path).st_size
        if size > MAX_FILE_BYTES:
            raise RequestTooLargeError(
                f"a request file is at most {MAX_FILE_BYTES // 1024} KiB; this one has "
                f"{size:,} bytes")
        with open(path, "rb") as handle:
            data = handle.read(MAX_FILE_BYTES + 1)  # a file that grew meanwhile is refused
        record = requests.import_file(data)
    except OSError as exc:
        return ImportOutcome(name, refusal=_t("The file could not be read: {reason}.").format(
            reason=exc.strerror or type(exc).__name__))
    except Exception as exc:
        return ImportOutcome(name, refusal=request_error_message(exc))
    return ImportOutcome(name, reference=record.reference)

