"""The lock screen: passphrase, Unlock, "Forgot passphrase?" (recovery key), and "Request a
follow-up" for an officer at the supporter's locked laptop (no account needed)."""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from peersupport.ui import style
from peersupport.ui.icons import app_icon

SENSITIVE_HINTS = Qt.InputMethodHint.ImhSensitiveData | Qt.InputMethodHint.ImhNoPredictiveText


def password_field(accessible_name: str, parent: QWidget | None = None) -> QLineEdit:
    field = QLineEdit(parent)
    field.setEchoMode(QLineEdit.EchoMode.Password)
    field.setInputMethodHints(SENSITIVE_HINTS)
    field.setAccessibleName(accessible_name)
    return field


class LockScreen(QWidget):
    unlock_requested = Signal(str)
    recovery_requested = Signal()
    request_form_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("lockScreen")
        card = QFrame(self)
        card.setObjectName("lockCard")
        card.setFrameShape(QFrame.Shape.StyledPanel)
        card.setMaximumWidth(460)
        card.setMinimumWidth(380)

        icon = QLabel(card)
        icon.setPixmap(app_icon().pixmap(64, 64))
        icon.setAlignment(Qt.AlignmentFlag.AlignCenter)
        icon.setAccessibleName("Peer Support")
        title = style.heading(self.tr("Peer Support is locked"), card)
        title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        hint = style.muted(
            self.tr("Enter your passphrase to open your confidential records."), card
        )
        hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        # for the owner: only a count, never who or what
        self.new_requests = QLabel(card)
        self.new_requests.setObjectName("newRequests")
        self.new_requests.setAlignment(Qt.AlignmentFlag.AlignCenter)
        font = self.new_requests.font()
        font.setWeight(QFont.Weight.DemiBold)
        self.new_requests.setFont(font)
        self.new_requests.setAccessibleName(self.tr("New follow-up requests"))
        self.new_requests.setVisible(False)

        self.passphrase = password_field(self.tr("Passphrase"), card)
        self.passphrase.setPlaceholderText(self.tr("Passphrase"))
        self.passphrase.setAccessibleDescription(self.tr("The passphrase that opens this vault"))
        self.passphrase.setMinimumHeight(32)
        self.unlock_button = QPushButton(self.tr("&Unlock"), card)
        self.unlock_button.setDefault(True)
        self.unlock_button.setMinimumHeight(32)
        self.unlock_button.setAccessibleName(self.tr("Unlock"))
        self.status = style.error_label(card)
        self.status.setAccessibleName(self.tr("Unlock status"))
        self.status.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.forgot_button = QPushButton(self.tr("&Forgot passphrase?"), card)
        self.forgot_button.setFlat(True)
        self.forgot_button.setAccessibleName(self.tr("Forgot passphrase? Unlock with recovery key"))
        self.forgot_button.setCursor(Qt.CursorShape.PointingHandCursor)

        separator = QFrame(card)
        separator.setFrameShape(QFrame.Shape.HLine)
        separator.setFrameShadow(QFrame.Shadow.Sunken)
        officer_hint = style.muted(self.tr(
            "Not the owner of this laptop?\nAn officer can ask for a follow-up here."), card)
        officer_hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.request_button = QPushButton(self.tr("&Request a follow-up"), card)
        self.request_button.setAccessibleName(self.tr("Request a follow-up"))
        self.request_button.setAccessibleDescription(self.tr(
            "For officers: ask this peer supporter for a follow-up, without an account"))
        self.request_button.setAutoDefault(False)
        self.request_button.setMinimumHeight(32)

        row = QHBoxLayout()
        row.addWidget(self.passphrase, 1)
        row.addWidget(self.unlock_button)

        inner = QVBoxLayout(card)
        inner.setContentsMargins(32, 28, 32, 24)
        inner.setSpacing(12)
        inner.addWidget(icon)
        inner.addWidget(title)
        inner.addWidget(hint)
        inner.addWidget(self.new_requests)
        inner.addSpacing(8)
        inner.addLayout(row)
        inner.addWidget(self.status)
        inner.addWidget(self.forgot_button, 0, Qt.AlignmentFlag.AlignCenter)
        inner.addSpacing(8)
        inner.addWidget(separator)
        inner.addSpacing(4)
        inner.addWidget(officer_hint)
        inner.addWidget(self.request_button, 0, Qt.AlignmentFlag.AlignCenter)

        outer = QVBoxLayout(self)
        outer.addStretch(1)
        centre = QHBoxLayout()
        centre.addStretch(1)
        centre.addWidget(card, 3)
        centre.addStretch(1)
        outer.addLayout(centre)
        outer.addStretch(2)

        self.setTabOrder(self.passphrase, self.unlock_button)
        self.setTabOrder(self.unlock_button, self.forgot_button)
        self.setTabOrder(self.forgot_button, self.request_button)
        self.unlock_button.clicked.connect(self._submit)
        self.passphrase.returnPressed.connect(self._submit)
        self.forgot_button.clicked.connect(self.recovery_requested)
        self.request_button.clicked.connect(self.request_form_requested)
        self.passphrase.textChanged.connect(self._refresh)

        self._busy = False
        self._base_message = ""
        self._cooldown_left = 0
        self._cooldown = QTimer(self)
        self._cooldown.setInterval(1000)
        self._cooldown.timeout.connect(self._tick)
        self._refresh()

    # -- state --------------------------------------------------------------------------
    def _refresh(self) -> None:
        waiting = self._busy or self._cooldown_left > 0
        self.passphrase.setEnabled(not self._busy)
        self.unlock_button.setEnabled(not waiting and bool(self.passphrase.text()))
        self.forgot_button.setEnabled(not self._busy)
        self.request_button.setEnabled(not self._busy)

    def _submit(self) -> None:
        if not self.unlock_button.isEnabled():
            return
        self.unlock_requested.emit(self.passphrase.text())

    def set_busy(self, busy: bool) -> None:
        self._busy = busy
        if busy:
            self.show_message(self.tr("Unlocking…"), error=False)
        self._refresh()

    def show_message(self, text: str, *, error: bool = True) -> None:
        style.set_text_colour(self.status, style.error_colour() if error else None)
        self.status.setText(text)
        self.status.setVisible(bool(text))

    def reset(self) -> None:
        """Back to a clean locked state, keeping any running cooldown."""
        self._busy = False
        self.passphrase.clear()
        if self._cooldown_left <= 0:
            self.show_message("")
        self._refresh()

    def failed(self, message: str, delay_seconds: int) -> None:
        self._busy = False
        self.passphrase.selectAll()
        self._cooldown_left = delay_seconds
        self._base_message = message
        if delay_seconds > 0:
            self._cooldown.start()
        self._show_failure()
        self._refresh()
        self.passphrase.setFocus()

    def _show_failure(self) -> None:
        text = self._base_message
        if self._cooldown_left > 0:
            text += " " + self.tr("Too many attempts: try again in {n} s.").format(
                n=self._cooldown_left)
        self.show_message(text)

    def _tick(self) -> None:
        self._cooldown_left -= 1
        if self._cooldown_left <= 0:
            self._cooldown.stop()
            self._cooldown_left = 0
        self._show_failure()
        self._refresh()

    def set_new_requests(self, count: int) -> None:
        """Show how many follow-up requests wait (hidden when none)."""
        if count == 1:
            text = self.tr("1 new request")
        else:
            text = self.tr("{n} new requests").format(n=count)
        self.new_requests.setText(text if count > 0 else "")
        self.new_requests.setVisible(count > 0)

    def cooldown_left(self) -> int:
        return self._cooldown_left

    def focus_passphrase(self) -> None:
        self.passphrase.setFocus(Qt.FocusReason.OtherFocusReason)
