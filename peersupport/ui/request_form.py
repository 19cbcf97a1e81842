"""The follow-up request form an officer fills in without any account.

The same widget serves the lock screen's "Request a follow-up" dialog, ``peersupport
request`` (a window with only this form, for a shared station) and ``peersupport request
--card`` (another machine: the request is sealed to the card's key and saved as a file).

Pages, in order: the confidentiality notice (always first), the form, the receipt. Choosing
"Urgent - now" shows the crisis lines above the form at once. After a request is sent every
field is emptied, undo history included, so the next person at the screen finds nothing of it.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont, QKeyEvent, QKeySequence, QShortcut, QTextCursor
from PySide6.QtWidgets import (
    QAbstractButton,
    QButtonGroup,
    QComboBox,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QRadioButton,
    QScrollArea,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from peersupport.domain.follow_request import (
    LIMITS,
    ROUTINE,
    URGENT_NOW,
    VIA_FORM,
    WITHIN_24H,
    OfficerRequest,
    RequestInputError,
    crisis_resources,
)
from peersupport.domain.notice import DEFAULT_NOTICE
from peersupport.ui import style
from peersupport.ui.lock_screen import SENSITIVE_HINTS
from peersupport.ui.task_scope import TaskScope

if TYPE_CHECKING:
    from peersupport.crypto.request_card import RequestCard
    from peersupport.services.requests import Receipt

MIN_WIDTH = 480
MESSAGE_LIMIT = LIMITS["message"]
TEXT_SELECTABLE = (Qt.TextInteractionFlag.TextSelectableByMouse
                   | Qt.TextInteractionFlag.TextSelectableByKeyboard)

NOTICE_PAGE, FORM_PAGE, RECEIPT_PAGE, UNAVAILABLE_PAGE = range(4)


@dataclass(frozen=True)
class Delivery:
    """A last step after sealing, on the worker thread (the card mode writes the file the
    officer chose); ``description`` is shown on the receipt."""

    write: Callable[[], object]
    description: str = ""


def _scaled(label: QLabel, scale: float, weight: QFont.Weight | None = None) -> QLabel:
    font = label.font()
    font.setPointSizeF(font.pointSizeF() * scale)
    if weight is not None:
        font.setWeight(weight)
    label.setFont(font)
    return label


class CrisisPanel(QFrame):
    """The crisis lines, large and selectable: shown for an urgent request."""

    def __init__(self, resources: Sequence[tuple[str, str]], parent: QWidget | None = None,
                 *, intro: str | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("crisisPanel")
        self.setFrameShape(QFrame.Shape.Box)
        self.setLineWidth(2)
        self.setAccessibleName(self.tr("Crisis lines"))
        title = QLabel(intro or self.tr(
            "If you are in danger or thinking of harming yourself, call now:"), self)
        title.setWordWrap(True)
        _scaled(title, 1.1, QFont.Weight.DemiBold)
        style.set_text_colour(title, style.error_colour())
        grid = QGridLayout()
        grid.setHorizontalSpacing(16)
        grid.setVerticalSpacing(6)
        self.number_labels: list[QLabel] = []
        for row, (name, number) in enumerate(resources):
            shown = QLabel(number or name, self)
            shown.setTextInteractionFlags(TEXT_SELECTABLE)
            shown.setAccessibleName(f"{name}: {number}" if number else name)
            if number:
                _scaled(shown, 1.5, QFont.Weight.Bold)
                caption = QLabel(name, self)
                caption.setWordWrap(True)
                caption.setTextInteractionFlags(TEXT_SELECTABLE)
                grid.addWidget(shown, row, 0, Qt.AlignmentFlag.AlignLeft
                               | Qt.AlignmentFlag.AlignVCenter)
                grid.addWidget(caption, row, 1)
            else:
                shown.setWordWrap(True)
                grid.addWidget(shown, row, 0, 1, 2)
            self.number_labels.append(shown)
        grid.setColumnStretch(1, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(14, 12, 14, 12)
        layout.setSpacing(8)
        layout.addWidget(title)
        layout.addLayout(grid)


class RequestForm(QWidget):
    """Notice, form and receipt for one officer's follow-up request.

    ``submit`` runs on the worker thread (``RequestDrop.submit`` for the local inbox, or a
    sealing function for the card mode). ``deliver``, if given, runs on the UI thread after
    ``submit`` and returns what to write (or None if the officer cancelled)."""

    submitted = Signal(bool)  # urgent
    finished = Signal()

    def __init__(
        self, submit: Callable[[OfficerRequest], Receipt], parent: QWidget | None = None, *,
        resources: Sequence[tuple[str, str]] | None = None,
        deliver: Callable[[Receipt], Delivery | None] | None = None,
        sent_hint: str | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("requestForm")
        self.setMinimumWidth(MIN_WIDTH)
        self._submit = submit
        self._deliver = deliver
        self._resources = tuple(resources if resources is not None else crisis_resources(""))
        self._sent_hint = sent_hint or self.tr(
            "Your peer supporter will see it next time they unlock Peer Support. "
            "Nothing you typed is kept on this screen.")
        self._tasks = TaskScope(self)
        self._busy = False
        self._ready = False

        self.stack = QStackedWidget(self)
        self.stack.addWidget(self._build_notice_page())
        self.stack.addWidget(self._build_form_page())
        self.stack.addWidget(self._build_receipt_page())
        self.stack.addWidget(self._build_unavailable_page())
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.stack)

        escape = QShortcut(QKeySequence(Qt.Key.Key_Escape), self)
        escape.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        escape.activated.connect(self._escape)
        self.set_notice(None)
        self.clear()
        self.stack.currentChanged.connect(self._focus_page)

    # -- pages -------------------------------------------------------------------------------
    def _build_notice_page(self) -> QWidget:
        page = QWidget(self)
        title = style.heading(self.tr("Ask your peer supporter for a follow-up"), page, 1.3)
        intro = QLabel(self.tr(
            "Please read this first: it says what stays confidential, and what does not."), page)
        intro.setWordWrap(True)
        self.notice_view = QPlainTextEdit(page)
        self.notice_view.setReadOnly(True)
        self.notice_view.setObjectName("requestNotice")
        self.notice_view.setAccessibleName(self.tr("Confidentiality notice"))
        self.notice_view.setMinimumHeight(220)
        self.notice_view.setTabChangesFocus(True)
        self.notice_view.setTextInteractionFlags(TEXT_SELECTABLE)
        self.recipient = style.muted("", page)
        self.recipient.setObjectName("requestRecipient")
        self.recipient.setTextInteractionFlags(TEXT_SELECTABLE)
        self.recipient.setAccessibleName(self.tr("Recipient"))
        _scaled(self.recipient, 0.9)
        self.recipient.setVisible(False)
        self.notice_cancel = QPushButton(self.tr("&Cancel"), page)
        self.notice_cancel.setAccessibleName(self.tr("Cancel"))
        self.notice_cancel.setAutoDefault(False)
        self.continue_button = QPushButton(self.tr("C&ontinue"), page)
        self.continue_button.setAccessibleName(self.tr("Continue to the request form"))
        self.continue_button.setDefault(True)
        self.continue_button.clicked.connect(self.show_form)
        self.notice_cancel.clicked.connect(self.cancel)

        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.notice_cancel)
        buttons.addWidget(self.continue_button)
        layout = QVBoxLayout(page)
        layout.setContentsMargins(20, 16, 20, 16)
        layout.setSpacing(10)
        layout.addWidget(title)
        layout.addWidget(intro)
        layout.addWidget(self.notice_view, 1)
        layout.addWidget(self.recipient)
        layout.addLayout(buttons)
        page.setTabOrder(self.notice_view, self.notice_cancel)
        page.setTabOrder(self.notice_cancel, self.continue_button)
        return page

    def _line(self, accessible_name: str, limit: int, parent: QWidget) -> QLineEdit:
        edit = QLineEdit(parent)
        edit.setAccessibleName(accessible_name)
        edit.setMaxLength(limit)
        edit.setInputMethodHints(SENSITIVE_HINTS)
        edit.setClearButtonEnabled(False)
        return edit

    def _field_label(self, text: str, buddy: QWidget, parent: QWidget) -> QLabel:
        label = QLabel(text, parent)
        label.setWordWrap(True)
        label.setBuddy(buddy)
        _scaled(label, 1.0, QFont.Weight.DemiBold)
        return label

    def _build_form_page(self) -> QWidget:
        page = QWidget(self)
        self.crisis_panel = CrisisPanel(self._resources, page)
        self.crisis_panel.setVisible(False)

        body = QWidget()
        self.form_body = body
        title = style.heading(self.tr("Ask for a follow-up"), body, 1.3)
        intro = style.muted(self.tr(
            "Only your peer supporter can read this: it is sealed as soon as you send it. "
            "Everything is optional except how soon."), body)

        self.address_as = self._line(self.tr("How should we address you"),
                                     LIMITS["address_as"], body)
        self.address_as.setPlaceholderText(self.tr("A first name, a nickname, or nothing"))
        address_label = self._field_label(self.tr(
            "How should we &address you? (optional - you can stay anonymous)"),
            self.address_as, body)

        self.method = QComboBox(body)
        self.method.setAccessibleName(self.tr("How to reach you"))
        for code, text in (("phone", self.tr("Phone")), ("email", self.tr("E-mail")),
                           ("in_person", self.tr("In person"))):
            self.method.addItem(text, code)
        self.contact = self._line(self.tr("Phone number"), LIMITS["contact"], body)
        reach_label = self._field_label(self.tr("&How to reach you"), self.method, body)
        reach_row = QHBoxLayout()
        reach_row.addWidget(self.method)
        reach_row.addWidget(self.contact, 1)

        self.best_times = self._line(self.tr("Best times to reach you"), LIMITS["best_times"],
                                     body)
        self.best_times.setPlaceholderText(self.tr("e.g. weekdays after 6 pm, not at home"))
        times_label = self._field_label(self.tr("Best &times (optional)"), self.best_times, body)

        self.urgent = QRadioButton(self.tr("&Urgent - now"), body)
        self.within_24h = QRadioButton(self.tr("&Within 24 hours"), body)
        self.routine = QRadioButton(self.tr("&Routine"), body)
        self.urgency_group = QButtonGroup(self)
        self.urgency_group.setExclusive(True)
        self._urgency_buttons = {URGENT_NOW: self.urgent, WITHIN_24H: self.within_24h,
                                 ROUTINE: self.routine}
        urgency_row = QHBoxLayout()
        for code, button in self._urgency_buttons.items():
            button.setAccessibleName(button.text().replace("&", ""))
            button.setProperty("urgency", code)
            self.urgency_group.addButton(button)
            urgency_row.addWidget(button)
        urgency_row.addStretch(1)
        self.urgent.setAccessibleDescription(self.tr("Shows crisis lines to call now"))
        urgency_label = QLabel(self.tr("How soon?"), body)
        _scaled(urgency_label, 1.0, QFont.Weight.DemiBold)

        self.message = QPlainTextEdit(body)
        self.message.setAccessibleName(self.tr("Message"))
        self.message.setInputMethodHints(SENSITIVE_HINTS)
        self.message.setTabChangesFocus(True)
        self.message.setMinimumHeight(110)
        self.message.setPlaceholderText(self.tr(
            "Anything you want your peer supporter to know before they reach you."))
        message_label = self._field_label(self.tr("&Message (optional)"), self.message, body)
        self.counter = style.muted("", body)
        self.counter.setAccessibleName(self.tr("Message length"))
        self.counter.setAlignment(Qt.AlignmentFlag.AlignRight)

        fields = QVBoxLayout(body)
        fields.setContentsMargins(20, 12, 20, 8)
        fields.setSpacing(6)
        fields.addWidget(title)
        fields.addWidget(intro)
        for label, item, gap in (
            (address_label, self.address_as, 12), (reach_label, reach_row, 12),
            (times_label, self.best_times, 12), (urgency_label, urgency_row, 12),
        ):
            fields.addSpacing(gap - 6)
            fields.addWidget(label)
            if isinstance(item, QWidget):
                fields.addWidget(item)
            else:
                fields.addLayout(item)
        fields.addSpacing(6)
        fields.addWidget(message_label)
        fields.addWidget(self.message, 1)
        fields.addWidget(self.counter)

        scroll = QScrollArea(page)
        scroll.setWidget(body)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setFocusPolicy(Qt.FocusPolicy.NoFocus)

        self.status = style.error_label(page)
        self.status.setObjectName("requestStatus")
        self.status.setAccessibleName(self.tr("Request status"))
        self.status.setTextInteractionFlags(TEXT_SELECTABLE)
        self.form_cancel = QPushButton(self.tr("&Cancel"), page)
        self.form_cancel.setAccessibleName(self.tr("Cancel and clear the form"))
        self.form_cancel.setAutoDefault(False)
        self.send_button = QPushButton(self.tr("&Send request"), page)
        self.send_button.setAccessibleName(self.tr("Send request"))
        self.send_button.setAutoDefault(False)  # Enter in a field must not send half a request
        self.form_cancel.clicked.connect(self.cancel)
        self.send_button.clicked.connect(self.send)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.form_cancel)
        buttons.addWidget(self.send_button)

        layout = QVBoxLayout(page)
        layout.setContentsMargins(0, 0, 0, 16)
        layout.setSpacing(8)
        crisis_box = QVBoxLayout()
        crisis_box.setContentsMargins(20, 16, 20, 0)
        crisis_box.addWidget(self.crisis_panel)
        layout.addLayout(crisis_box)
        layout.addWidget(scroll, 1)
        bottom = QVBoxLayout()
        bottom.setContentsMargins(20, 0, 20, 0)
        bottom.addWidget(self.status)
        bottom.addLayout(buttons)
        layout.addLayout(bottom)

        order: list[QWidget] = [
            *self.crisis_panel.number_labels, self.address_as, self.method, self.contact,
            self.best_times, self.urgent, self.within_24h, self.routine, self.message,
            self.form_cancel, self.send_button,
        ]
        for first, second in itertools.pairwise(order):
            page.setTabOrder(first, second)

        self.method.currentIndexChanged.connect(self._method_changed)
        self.urgency_group.buttonToggled.connect(self._urgency_changed)
        self.message.textChanged.connect(self._message_changed)
        return page

    def _build_receipt_page(self) -> QWidget:
        page = QWidget(self)
        title = style.heading(self.tr("Your request was sent."), page, 1.3)
        caption = QLabel(self.tr("Your reference code:"), page)
        self.reference = QLabel("", page)
        self.reference.setObjectName("requestReference")
        self.reference.setFont(style.monospace())
        _scaled(self.reference, 2.0, QFont.Weight.Bold)
        self.reference.setTextInteractionFlags(TEXT_SELECTABLE)
        self.reference.setAccessibleName(self.tr("Reference code"))
        self.sent_hint = QLabel(self._sent_hint, page)
        self.sent_hint.setWordWrap(True)
        self.delivered = style.muted("", page)
        self.delivered.setTextInteractionFlags(TEXT_SELECTABLE)
        self.delivered.setVisible(False)
        self.receipt_crisis = CrisisPanel(self._resources, page)
        self.receipt_crisis.setVisible(False)
        self.done_button = QPushButton(self.tr("&Done"), page)
        self.done_button.setAccessibleName(self.tr("Done"))
        self.done_button.setDefault(True)
        self.done_button.clicked.connect(self.done)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.done_button)
        layout = QVBoxLayout(page)
        layout.setContentsMargins(20, 16, 20, 16)
        layout.setSpacing(10)
        layout.addWidget(title)
        layout.addWidget(caption)
        layout.addWidget(self.reference)
        layout.addWidget(self.sent_hint)
        layout.addWidget(self.delivered)
        layout.addWidget(self.receipt_crisis)
        layout.addStretch(1)
        layout.addLayout(buttons)
        return page

    def _build_unavailable_page(self) -> QWidget:
        page = QWidget(self)
        title = style.heading(self.tr("A request cannot be left here"), page, 1.3)
        self.unavailable = QLabel("", page)
        self.unavailable.setObjectName("requestUnavailable")
        self.unavailable.setWordWrap(True)
        self.unavailable.setTextInteractionFlags(TEXT_SELECTABLE)
        crisis = CrisisPanel(self._resources, page, intro=self.tr(
            "If you need help now, or are thinking of harming yourself, call:"))
        self.close_button = QPushButton(self.tr("&Close"), page)
        self.close_button.setAccessibleName(self.tr("Close"))
        self.close_button.setDefault(True)
        self.close_button.clicked.connect(self.cancel)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.close_button)
        layout = QVBoxLayout(page)
        layout.setContentsMargins(20, 16, 20, 16)
        layout.setSpacing(10)
        layout.addWidget(title)
        layout.addWidget(self.unavailable)
        layout.addWidget(crisis)
        layout.addStretch(1)
        layout.addLayout(buttons)
        return page

    # -- what the form shows -------------------------------------------------------------------
    def set_notice(self, text: str | None) -> None:
        """The vault's confidentiality notice (None while it loads); Continue works once it
        is there. An empty notice is replaced by the standard one: an officer always reads
        the limits of confidentiality before writing anything."""
        self._ready = text is not None
        if text is not None and not text.strip():
            text = DEFAULT_NOTICE
        self.notice_view.setPlainText(text if text is not None
                                      else self.tr("Loading the notice…"))
        self.continue_button.setEnabled(self._ready)

    def set_recipient(self, card: RequestCard | None) -> None:
        if card is None:
            self.recipient.setVisible(False)
            return
        lines = []
        if card.display_name:
            lines.append(self.tr("To: {name}").format(name=card.display_name))
        lines.append(self.tr("Key fingerprint: {fingerprint}").format(
            fingerprint=card.fingerprint))
        self.recipient.setText("\n".join(lines))
        self.recipient.setVisible(True)

    def set_unavailable(self, message: str) -> None:
        """Show why no request can be left here, and the crisis lines, instead of the form."""
        self.clear()
        self.unavailable.setText(message)
        self.stack.setCurrentIndex(UNAVAILABLE_PAGE)

    def load(self, fetch: Callable[[], tuple[str, RequestCard | None]]) -> None:
        """Fetch the notice and the card on the worker thread."""
        self._tasks.run(fetch, self._loaded, lambda exc: self.set_unavailable(
            self.load_error_message(exc)))

    def _loaded(self, found: tuple[str, RequestCard | None]) -> None:
        notice, card = found
        self.set_notice(notice)
        self.set_recipient(card)
        if self.page() == NOTICE_PAGE:
            self.continue_button.setFocus(Qt.FocusReason.OtherFocusReason)

    def load_error_message(self, exc: BaseException) -> str:
        from peersupport.services.errors import NoVaultError
        from peersupport.services.requests import RequestsUnavailableError

        if isinstance(exc, RequestsUnavailableError):
            return str(exc)
        if isinstance(exc, NoVaultError):
            return self.tr(
                "There is no Peer Support vault on this computer. Ask your peer supporter for "
                "a request card, or call them.")
        return self.tr(
            "Peer Support cannot take requests on this computer right now: its vault file "
            "cannot be read.")

    def page(self) -> int:
        return self.stack.currentIndex()

    def is_busy(self) -> bool:
        return self._busy

    # -- moving through the pages ------------------------------------------------------------
    def show_notice(self) -> None:
        self.stack.setCurrentIndex(NOTICE_PAGE)

    def show_form(self) -> None:
        if self._ready and self.page() == NOTICE_PAGE:
            self.stack.setCurrentIndex(FORM_PAGE)

    def _focus_page(self, index: int) -> None:
        target: QWidget = {
            NOTICE_PAGE: self.continue_button, FORM_PAGE: self.address_as,
            RECEIPT_PAGE: self.done_button, UNAVAILABLE_PAGE: self.close_button,
        }[index]
        target.setFocus(Qt.FocusReason.OtherFocusReason)

    def cancel(self) -> None:
        """Clear everything and give the screen back (Cancel, Escape, Close)."""
        if self._busy:
            return
        self.reset()
        self.finished.emit()

    def done(self) -> None:
        self.reset()
        self.finished.emit()

    def reset(self) -> None:
        """Empty every field and go back to the notice, ready for the next officer."""
        self.clear()
        self.reference.setText("")
        self.delivered.setText("")
        self.delivered.setVisible(False)
        self.receipt_crisis.setVisible(False)
        if self.page() != UNAVAILABLE_PAGE:
            self.stack.setCurrentIndex(NOTICE_PAGE)

    def clear(self) -> None:
        """Empty every input, undo history included (``QLineEdit.clear()`` could be undone;
        ``setText`` and ``setPlainText`` reset the history)."""
        for edit in (self.address_as, self.contact, self.best_times):
            edit.setText("")
            edit.setModified(False)
        self.method.setCurrentIndex(0)
        self._method_changed()
        self.message.setPlainText("")
        self.message.document().clearUndoRedoStacks()
        self.routine.setChecked(True)
        self._show_status("")

    # -- typing --------------------------------------------------------------------------------
    def _method_changed(self, *_: Any) -> None:
        code = self.method.currentData()
        text = {
            "phone": (self.tr("Phone number"), self.tr("Phone number, e.g. 555-0100")),
            "email": (self.tr("E-mail address"), self.tr("E-mail address")),
            "in_person": (self.tr("Where to find you"),
                          self.tr("Where to find you (optional), e.g. north station, days")),
        }[code]
        self.contact.setAccessibleName(text[0])
        self.contact.setPlaceholderText(text[1])

    def _urgency_changed(self, *_: Any) -> None:
        self.crisis_panel.setVisible(self.urgent.isChecked())
        # one tab stop for the group, on the chosen urgency; arrow keys move between them
        for button in self._urgency_buttons.values():
            button.setFocusPolicy(Qt.FocusPolicy.StrongFocus if button.isChecked()
                                  else Qt.FocusPolicy.ClickFocus)

    def _message_changed(self) -> None:
        text = self.message.toPlainText()
        if len(text) > MESSAGE_LIMIT:  # a hard limit, whatever was pasted
            cursor = QTextCursor(self.message.document())
            cursor.setPosition(MESSAGE_LIMIT)
            cursor.movePosition(QTextCursor.MoveOperation.End, QTextCursor.MoveMode.KeepAnchor)
            cursor.removeSelectedText()
            return  # removing emitted textChanged again, with the counter
        self.counter.setText(self.tr("{n} / {limit}").format(
            n=f"{len(text):,}", limit=f"{MESSAGE_LIMIT:,}"))

    def urgency(self) -> str:
        checked = self.urgency_group.checkedButton()
        return str(checked.property("urgency")) if checked is not None else ROUTINE

    def _request(self) -> OfficerRequest:
        return OfficerRequest(
            urgency=self.urgency(), address_as=self.address_as.text(),
            contact_method=str(self.method.currentData()), contact=self.contact.text(),
            best_times=self.best_times.text(), message=self.message.toPlainText(),
            via=VIA_FORM,
        )

    # -- sending -------------------------------------------------------------------------------
    def send(self) -> None:
        if self._busy or self.page() != FORM_PAGE:
            return
        try:
            request = self._request().validated()
        except RequestInputError as exc:  # nothing typed is lost
            self._show_status(str(exc), error=True)
            return
        urgent = request.urgency == URGENT_NOW
        submit = self._submit
        self._set_busy(True)
        self._tasks.run(lambda: submit(request), lambda receipt: self._submitted(receipt, urgent),
                        self._failed)

    def _submitted(self, receipt: Receipt, urgent: bool) -> None:
        if self._deliver is None:
            self._sent(receipt, urgent, "")
            return
        delivery = self._deliver(receipt)
        if delivery is None:
            self._set_busy(False)
            self._show_status(self.tr(
                "Nothing was saved: no file was chosen. Send again to choose where to save "
                "the request."), error=True)
            return
        self._tasks.run(delivery.write,
                        lambda _: self._sent(receipt, urgent, delivery.description),
                        self._failed)

    def _sent(self, receipt: Receipt, urgent: bool, description: str) -> None:
        self._set_busy(False)
        self.clear()
        self.reference.setText(receipt.reference)
        self.delivered.setText(description)
        self.delivered.setVisible(bool(description))
        self.receipt_crisis.setVisible(urgent)
        self.stack.setCurrentIndex(RECEIPT_PAGE)
        self.submitted.emit(urgent)

    def _failed(self, exc: BaseException) -> None:
        self._set_busy(False)
        self._show_status(self.send_error_message(exc), error=True)

    def send_error_message(self, exc: BaseException) -> str:
        if isinstance(exc, RequestInputError):
            return str(exc)
        from peersupport.services.errors import NoVaultError
        from peersupport.services.requests import RequestFloodError, RequestsUnavailableError

        if isinstance(exc, RequestFloodError | RequestsUnavailableError):
            return str(exc)
        if isinstance(exc, NoVaultError):
            return self.tr("There is no Peer Support vault on this computer any more. Nothing "
                           "was sent. If you need help now, call 988.")
        if isinstance(exc, OSError):
            return self.tr("The request file could not be saved: {reason}. Nothing was "
                           "sent.").format(reason=exc.strerror or self.tr("input/output error"))
        return self.tr("The request could not be sent ({kind}). Nothing was sent. If you need "
                       "help now, call 988.").format(kind=type(exc).__name__)

    def _set_busy(self, busy: bool) -> None:
        self._busy = busy
        self.form_body.setEnabled(not busy)
        self.send_button.setEnabled(not busy)
        self.form_cancel.setEnabled(not busy)
        if busy:
            self._show_status(self.tr("Sending…"))

    def _show_status(self, text: str, *, error: bool = False) -> None:
        style.set_text_colour(self.status, style.error_colour() if error else None)
        self.status.setText(text)
        self.status.setVisible(bool(text))

    # -- keys ----------------------------------------------------------------------------------
    def _escape(self) -> None:
        if self.page() == RECEIPT_PAGE:
            self.done()
        else:
            self.cancel()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        """Enter presses the focused button, or Continue / Done (outside a dialog too)."""
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            focused = self.focusWidget()
            if isinstance(focused, QAbstractButton) and focused.isEnabled():
                focused.click()
                return
            default = {NOTICE_PAGE: self.continue_button, RECEIPT_PAGE: self.done_button,
                       UNAVAILABLE_PAGE: self.close_button}.get(self.page())
            if default is not None and default.isEnabled():
                default.click()
                return
        super().keyPressEvent(event)
