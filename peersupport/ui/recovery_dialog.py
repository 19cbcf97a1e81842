"""Unlock with the recovery key and choose a new passphrase ("Forgot passphrase?")."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from peersupport.ui import style
from peersupport.ui.lock_screen import SENSITIVE_HINTS
from peersupport.ui.passphrase_chooser import PassphraseChooser


class RecoveryDialog(QDialog):
    """Unlock with the recovery key and choose a new passphrase in one step."""

    submitted = Signal(str, str)  # recovery key text, new passphrase

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Unlock with your recovery key"))
        self.setMinimumWidth(520)
        intro = QLabel(self.tr(
            "Type the recovery key you wrote down when you set up Peer Support "
            "(28 letters and digits in 7 groups). Then choose a new passphrase; "
            "the old one will stop working."
        ), self)
        intro.setWordWrap(True)
        self.key_field = QLineEdit(self)
        self.key_field.setFont(style.monospace())
        self.key_field.setPlaceholderText("XXXX-XXXX-XXXX-XXXX-XXXX-XXXX-XXXX")
        self.key_field.setAccessibleName(self.tr("Recovery key"))
        self.key_field.setInputMethodHints(SENSITIVE_HINTS)
        self.key_hint = style.error_label(self)
        self.key_hint.setAccessibleName(self.tr("Recovery key status"))
        self.chooser = PassphraseChooser(self)
        self.status = style.error_label(self)
        self.status.setAccessibleName(self.tr("Recovery status"))
        self.buttons = QDialogButtonBox(self)
        self.ok_button = self.buttons.addButton(
            self.tr("&Unlock and set passphrase"), QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.ok_button.setAccessibleName(self.tr("Unlock and set new passphrase"))
        cancel = self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        cancel.setAccessibleName(self.tr("Cancel"))

        form = QFormLayout()
        form.addRow(self.tr("&Recovery key:"), self.key_field)
        form.addRow("", self.key_hint)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(style.heading(self.tr("New passphrase"), self, 1.15))
        layout.addWidget(self.chooser)
        layout.addWidget(self.status)
        layout.addWidget(self.buttons)

        self.key_field.textChanged.connect(self._refresh)
        self.chooser.changed.connect(self._refresh)
        self.buttons.accepted.connect(self._submit)
        self.buttons.rejected.connect(self.reject)
        self._busy = False
        self._refresh()

    def _key_problem(self) -> str | None:
        from peersupport.crypto import recovery  # crypto is loaded once a vault exists
        from peersupport.crypto.errors import MalformedRecoveryKeyError

        text = self.key_field.text()
        if not recovery.normalize(text):
            return ""
        try:
            recovery.parse(text).wipe()
        except MalformedRecoveryKeyError as exc:
            return str(exc).capitalize() + "."
        return None

    def _refresh(self) -> None:
        problem = self._key_problem()
        complete = len(self.key_field.text().replace("-", "").replace(" ", "")) >= 28
        self.key_hint.setText(problem or "")
        self.key_hint.setVisible(bool(problem) and complete)
        self.ok_button.setEnabled(
            not self._busy and problem is None and self.chooser.is_acceptable()
        )

    def _submit(self) -> None:
        if self.ok_button.isEnabled():
            self.submitted.emit(self.key_field.text(), self.chooser.passphrase())

    def set_busy(self, busy: bool) -> None:
        self._busy = busy
        self.key_field.setEnabled(not busy)
        self.chooser.setEnabled(not busy)
        if busy:
            style.set_text_colour(self.status, None)
            self.status.setText(self.tr("Checking the recovery key…"))
            self.status.setVisible(True)
        self._refresh()

    def failed(self, message: str) -> None:
        self.set_busy(False)
        style.set_text_colour(self.status, style.error_colour())
        self.status.setText(message)
        self.status.setVisible(True)

    def done(self, result: int) -> None:  # clear secrets however the dialog closes
        self.key_field.clear()
        self.chooser.clear()
        super().done(result)
