"""Dialogs for the vault's keys while unlocked: change the passphrase, make a new recovery key.

Both only collect secrets and show results; the controller runs the slow work (Argon2id) off
the UI thread and calls back ``set_busy``, ``failed`` or ``show_key``. Secrets typed here are
cleared however the dialog closes.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QDate, QLocale, QStandardPaths, Qt, QTimer, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from peersupport.ui import style
from peersupport.ui.file_dialogs import save_file_name
from peersupport.ui.lock_screen import SENSITIVE_HINTS
from peersupport.ui.passphrase_chooser import PassphraseChooser
from peersupport.ui.recovery_kit import KIT_FILE_NAME, write_recovery_kit


def _password_field(parent: QWidget, accessible: str) -> QLineEdit:
    field = QLineEdit(parent)
    field.setEchoMode(QLineEdit.EchoMode.Password)
    field.setInputMethodHints(SENSITIVE_HINTS)
    field.setAccessibleName(accessible)
    return field


def _wrapped(text: str, parent: QWidget) -> QLabel:
    label = QLabel(text, parent)
    label.setWordWrap(True)
    label.setTextFormat(Qt.TextFormat.PlainText)
    return label


class ChangePassphraseDialog(QDialog):
    """The current passphrase, then a new one (twice, with the strength meter)."""

    submitted = Signal(str, str)  # current passphrase, new passphrase

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Change passphrase"))
        self.setMinimumWidth(520)
        intro = _wrapped(self.tr(
            "Type your current passphrase, then choose a new one. Your records stay as they "
            "are; from now on only the new passphrase opens them. Your recovery key keeps "
            "working. Backups made before now still open with the old passphrase."
        ), self)
        self.current = _password_field(self, self.tr("Current passphrase"))
        self.chooser = PassphraseChooser(self)
        self.status = style.error_label(self)
        self.status.setAccessibleName(self.tr("Change passphrase status"))
        self.buttons = QDialogButtonBox(self)
        self.ok_button = self.buttons.addButton(
            self.tr("&Change passphrase"), QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.ok_button.setAccessibleName(self.tr("Change passphrase"))
        cancel = self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        cancel.setAccessibleName(self.tr("Cancel"))

        form = QFormLayout()
        form.addRow(self.tr("C&urrent passphrase:"), self.current)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addSpacing(6)
        layout.addLayout(form)
        layout.addSpacing(6)
        layout.addWidget(style.heading(self.tr("New passphrase"), self, 1.15))
        layout.addWidget(self.chooser)
        layout.addWidget(self.status)
        layout.addStretch(1)
        layout.addWidget(self.buttons)

        self.current.textChanged.connect(self._refresh)
        self.chooser.changed.connect(self._refresh)
        self.buttons.accepted.connect(self._submit)
        self.buttons.rejected.connect(self.reject)
        self._busy = False
        self._refresh()
        self.current.setFocus()

    def _same_as_current(self) -> bool:
        return bool(self.current.text()) and self.current.text() == self.chooser.passphrase()

    def _refresh(self) -> None:
        same = self._same_as_current()
        if same:
            style.set_text_colour(self.status, style.error_colour())
            self.status.setText(self.tr("The new passphrase is the same as the current one."))
        elif not self._busy and self.status.text() == self.tr(
            "The new passphrase is the same as the current one."
        ):
            self.status.clear()
        self.status.setVisible(bool(self.status.text()))
        self.ok_button.setEnabled(
            not self._busy and bool(self.current.text()) and not same
            and self.chooser.is_acceptable()
        )

    def _submit(self) -> None:
        if self.ok_button.isEnabled():
            self.submitted.emit(self.current.text(), self.chooser.passphrase())

    def set_busy(self, busy: bool) -> None:
        self._busy = busy
        self.current.setEnabled(not busy)
        self.chooser.setEnabled(not busy)
        if busy:
            style.set_text_colour(self.status, None)
            self.status.setText(self.tr("Changing the passphrase…"))
        self._refresh()

    def failed(self, message: str) -> None:
        self.set_busy(False)
        style.set_text_colour(self.status, style.error_colour())
        self.status.setText(message)
        self.status.setVisible(True)
        self.current.selectAll()
        self.current.setFocus()

    def done(self, result: int) -> None:  # clear secrets however the dialog closes
        self.current.clear()
        self.chooser.clear()
        super().done(result)


class NewRecoveryKeyDialog(QDialog):
    """Confirm with the passphrase, then show the new recovery key once."""

    submitted = Signal(str)  # the current passphrase

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("New recovery key"))
        self.setMinimumWidth(560)
        self._key = ""
        self.pages = QStackedWidget(self)
        self.pages.addWidget(self._ask_page())
        self.pages.addWidget(self._key_page())
        layout = QVBoxLayout(self)
        layout.addWidget(self.pages)
        self.passphrase.setFocus()

    # -- page 1: confirm with the passphrase ------------------------------------------------
    def _ask_page(self) -> QWidget:
        page = QWidget(self)
        intro = _wrapped(self.tr(
            "Make a new recovery key if the old one was lost or someone else may have seen "
            "it. The new key replaces the old one at once: the old recovery key will no "
            "longer open your records. The new key is shown once; have paper ready."
        ), page)
        self.passphrase = _password_field(page, self.tr("Current passphrase"))
        self.status = style.error_label(page)
        self.status.setAccessibleName(self.tr("New recovery key status"))
        buttons = QDialogButtonBox(page)
        self.make_button = buttons.addButton(
            self.tr("&Make new recovery key"), QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.make_button.setAccessibleName(self.tr("Make new recovery key"))
        cancel = buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        cancel.setAccessibleName(self.tr("Cancel"))
        form = QFormLayout()
        form.addRow(self.tr("Current &passphrase:"), self.passphrase)
        layout = QVBoxLayout(page)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(intro)
        layout.addSpacing(6)
        layout.addLayout(form)
        layout.addWidget(self.status)
        layout.addStretch(1)
        layout.addWidget(buttons)
        self.passphrase.textChanged.connect(self._refresh)
        buttons.accepted.connect(self._submit)
        buttons.rejected.connect(self.reject)
        self._busy = False
        self._refresh()
        return page

    def _refresh(self) -> None:
        self.make_button.setEnabled(not self._busy and bool(self.passphrase.text()))

    def _submit(self) -> None:
        if self.make_button.isEnabled():
            self.submitted.emit(self.passphrase.text())

    def set_busy(self, busy: bool) -> None:
        self._busy = busy
        self.passphrase.setEnabled(not busy)
        if busy:
            style.set_text_colour(self.status, None)
            self.status.setText(self.tr("Making the new recovery key…"))
            self.status.setVisible(True)
        self._refresh()

    def failed(self, message: str) -> None:
        self.set_busy(False)
        style.set_text_colour(self.status, style.error_colour())
        self.status.setText(message)
        self.status.setVisible(True)
        self.passphrase.selectAll()
        self.passphrase.setFocus()

    # -- page 2: the new key, once ----------------------------------------------------------
    def _key_page(self) -> QWidget:
        page = QWidget(self)
        self.key_label = QLabel(page)
        font = style.monospace()
        font.setStyleHint(QFont.StyleHint.Monospace)
        base = QFont().pointSizeF()
        font.setPointSizeF((base if base > 0 else 10) * 1.6)
        font.setBold(True)
        self.key_label.setFont(font)
        self.key_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.key_label.setTextFormat(Qt.TextFormat.PlainText)
        self.key_label.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByMouse
            | Qt.TextInteractionFlag.TextSelectableByKeyboard
        )
        self.key_label.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.key_label.setAccessibleName(self.tr("Your new recovery key"))
        self.key_label.setStyleSheet(
            "QLabel { border: 1px solid palette(mid); border-radius: 6px; padding: 14px; }"
        )
        self.replaced = _wrapped(self.tr(
            "Your old recovery key no longer works. Destroy the paper or file that holds it."
        ), page)
        self.replaced.setAccessibleName(self.tr("The old recovery key no longer works"))
        bold = self.replaced.font()
        bold.setBold(True)
        self.replaced.setFont(bold)
        advice = _wrapped(self.tr(
            "Write the new key on paper, or save the recovery kit as a PDF and print it. Keep "
            "it somewhere safe and private, away from this laptop. It is not shown again."
        ), page)
        self.save_pdf = QPushButton(self.tr("&Save as PDF…"), page)
        self.save_pdf.setAccessibleName(self.tr("Save the recovery kit as a PDF"))
        self.save_pdf.clicked.connect(self._save_pdf)
        self.kit_status = _wrapped("", page)
        self.kit_status.setAccessibleName(self.tr("Recovery kit status"))
        self.confirmed = QCheckBox(
            self.tr("I have &written down or saved my new recovery key"), page
        )
        self.confirmed.setAccessibleName(
            self.tr("I have written down or saved my new recovery key")
        )
        self.close_button = QPushButton(self.tr("&Done"), page)
        self.close_button.setAccessibleName(self.tr("Done"))
        self.close_button.setEnabled(False)
        self.confirmed.toggled.connect(self.close_button.setEnabled)
        self.close_button.clicked.connect(self.accept)

        row = QHBoxLayout()
        row.addWidget(self.save_pdf, 0, Qt.AlignmentFlag.AlignTop)
        row.addWidget(self.kit_status, 1)
        bottom = QHBoxLayout()
        bottom.addWidget(self.confirmed, 1)
        bottom.addWidget(self.close_button)
        layout = QVBoxLayout(page)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.key_label)
        layout.addSpacing(6)
        layout.addWidget(self.replaced)
        layout.addSpacing(6)
        layout.addWidget(advice)
        layout.addSpacing(4)
        layout.addLayout(row)
        layout.addSpacing(12)
        layout.addStretch(1)
        layout.addLayout(bottom)
        return page

    def show_key(self, formatted_key: str) -> None:
        """Show the new key (once): the passphrase is cleared, there is no way back."""
        self._key = formatted_key
        self.passphrase.clear()
        self.key_label.setText(formatted_key)
        self.pages.setCurrentIndex(1)
        self.adjustSize()
        QTimer.singleShot(0, self.save_pdf, self.save_pdf.setFocus)

    def showing_key(self) -> bool:
        return self.pages.currentIndex() == 1

    def reject(self) -> None:
        # Escape must not lose a key that was never written down; locking still closes
        # the dialog (it is deleted), and another key can be made then.
        if self.showing_key() and not self.confirmed.isChecked():
            self.kit_status.setText(self.tr(
                "Write the key down or save it first, then tick the box and press Done."))
            return
        super().reject()

    def _save_pdf(self) -> None:
        documents = QStandardPaths.writableLocation(
            QStandardPaths.StandardLocation.DocumentsLocation
        )
        suggested = str(Path(documents or Path.home()) / KIT_FILE_NAME)
        path = save_file_name(
            self, self.tr("Save recovery kit"), suggested, self.tr("PDF document (*.pdf)")
        )
        if not path:
            return
        if not path.lower().endswith(".pdf"):
            path += ".pdf"
        try:
            write_recovery_kit(
                path, self._key, QLocale().toString(QDate.currentDate(), "MMMM yyyy")
            )
        except OSError as exc:
            style.set_text_colour(self.kit_status, style.error_colour())
            self.kit_status.setText(self.tr(
                "The recovery kit could not be saved ({reason}). Try another place, or write "
                "the key down."
            ).format(reason=exc.strerror or self.tr("write error")))
            return
        style.set_text_colour(self.kit_status, None)
        self.kit_status.setText(self.tr(
            "Saved. Print it, then delete the file from this laptop and empty the trash."))

    def done(self, result: int) -> None:  # clear secrets however the dialog closes
        self.passphrase.clear()
        self.key_label.clear()
        self._key = ""
        super().done(result)
