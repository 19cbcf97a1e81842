"""The lock screen: passphrase, Unlock, and "Forgot passphrase?" (recovery key)."""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
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
        inner.addWidget(self.forgot_button, 0, Qt.AlignmentFlag.AlignCenter)

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
        self.unlock_button.clicked.connect(self._submit)
        self.passphrase.returnPressed.connect(self._submit)
        self.forgot_button.clicked.connect(self.recovery_requested)
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

    def cooldown_left(self) -> int:
        return self._cooldown_left

    def focus_passphrase(self) -> None:
        self.passphrase.setFocus(Qt.FocusReason.OtherFocusReason)
