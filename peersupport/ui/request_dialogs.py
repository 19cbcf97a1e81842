"""Dialogs of the requests inbox: accepting a request (link it to an officer and schedule the
follow-up), closing it with a note, the request card officers use on another computer, and the
outcome of importing request files.

Accepting and closing act through a callable the page hands in, inside the dialog: a refusal
(already handled, an officer deleted meanwhile, a note too long) is shown in the dialog, which
stays open with what was typed. Times are wall-clock times in the follow-up time zone.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from PySide6.QtCore import Qt
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QCompleter,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QRadioButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from peersupport.crypto.request_card import CARD_EXTENSION, MAX_DISPLAY_NAME
from peersupport.domain.checkin import MAX_SHORT_TEXT
from peersupport.domain.follow_request import MAX_NOTE, RequestInputError
from peersupport.domain.officer import Officer
from peersupport.services.followups import RecordNotFoundError
from peersupport.services.request_card_image import card_png
from peersupport.ui import style
from peersupport.ui.file_dialogs import save_file_name
from peersupport.ui.followup_dialogs import WallClockEdit
from peersupport.ui.lock_screen import SENSITIVE_HINTS
from peersupport.ui.presentation import record_label

if TYPE_CHECKING:
    from peersupport.crypto.request_card import RequestCard
    from peersupport.domain.follow_request import ReceivedRequest
    from peersupport.services.requests import RequestService

QR_PREVIEW = 220  # pixels on screen; the saved image is larger
CARD_COMMAND = "peersupport request --card FILE"


def action_error_text(exc: BaseException) -> str:
    """The service's own words for a refusal it explains; anything else by its type only."""
    if isinstance(exc, RequestInputError | RecordNotFoundError):
        return str(exc)
    return f"That did not work ({type(exc).__name__}). Nothing was changed."


def _buttons(dialog: QDialog, ok_text: str) -> QDialogButtonBox:
    buttons = QDialogButtonBox(
        QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, dialog)
    ok = buttons.button(QDialogButtonBox.StandardButton.Ok)
    ok.setText(ok_text)
    ok.setAccessibleName(ok_text.replace("&", ""))
    cancel = buttons.button(QDialogButtonBox.StandardButton.Cancel)
    cancel.setAccessibleName(dialog.tr("Cancel"))
    buttons.accepted.connect(dialog.accept)
    buttons.rejected.connect(dialog.reject)
    return buttons


class NoteEdit(QPlainTextEdit):
    """A sealed note with a limit; Tab moves on instead of typing a tab."""

    def __init__(self, accessible_name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName(accessible_name)
        self.setTabChangesFocus(True)
        self.setInputMethodHints(SENSITIVE_HINTS)
        self.setFixedHeight(self.fontMetrics().lineSpacing() * 5 + 14)

    def text(self) -> str:
        return self.toPlainText()


def _counter(note: NoteEdit, parent: QWidget) -> QLabel:
    counter = style.muted("", parent)
    counter.setAlignment(Qt.AlignmentFlag.AlignRight)
    counter.setAccessibleName(parent.tr("Characters used"))

    def update() -> None:
        n = len(note.text().strip())
        counter.setText(parent.tr("{n} / {limit}").format(n=f"{n:,}", limit=f"{MAX_NOTE:,}"))
        style.set_text_colour(counter, style.error_colour() if n > MAX_NOTE else None)

    note.textChanged.connect(update)
    update()
    return counter


@dataclass(frozen=True)
class AcceptChoice:
    """What the supporter chose: an existing officer's id, or a new officer."""

    follow_up_at: datetime
    officer_id: str | None = None
    new_officer: Officer | None = None
    note: str = ""

    def __repr__(self) -> str:  # the new officer's alias stays out of logs
        return f"<AcceptChoice {'existing' if self.officer_id else 'new'}>"


class AcceptRequestDialog(QDialog):
    """Link the request to an officer (an existing one, or a new one made from what the
    officer wrote) and schedule the "Requested follow-up"."""

    def __init__(
        self, record: ReceivedRequest, officers: list[Officer], zone: ZoneInfo,
        suggested: datetime, submit: Callable[[AcceptChoice], object],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._submit = submit
        self._officers = {o.id: o for o in officers}
        self.setWindowTitle(self.tr("Accept request {ref}").format(ref=record.reference))
        self.setObjectName("acceptRequestDialog")
        request = record.request
        intro = QLabel(self.tr(
            "Accepting links this request to an officer and schedules a “Requested "
            "follow-up” in Follow-ups. The officer is not told anything by the app."), self)
        intro.setWordWrap(True)

        # -- who --------------------------------------------------------------------------------
        self.existing_radio = QRadioButton(self.tr("&Existing officer"), self)
        self.existing_radio.setAccessibleName(self.tr("Existing officer"))
        self.new_radio = QRadioButton(self.tr("&New officer"), self)
        self.new_radio.setAccessibleName(self.tr("New officer"))
        group = QButtonGroup(self)
        group.addButton(self.existing_radio)
        group.addButton(self.new_radio)

        self.officer = QComboBox(self)
        self.officer.setEditable(True)
        self.officer.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.officer.setAccessibleName(self.tr("Existing officer's alias"))
        self.officer.setMinimumContentsLength(24)
        self.officer.setMaxVisibleItems(12)
        self.officer.setInputMethodHints(SENSITIVE_HINTS)
        for o in sorted(officers, key=lambda o: o.alias.casefold()):
            self.officer.addItem(o.alias, o.id)
        self.officer.view().setAccessibleName(self.tr("Officers"))
        line = self.officer.lineEdit()
        if line is not None:
            line.setPlaceholderText(self.tr("Type to find an alias"))
            line.setAccessibleName(self.tr("Find an existing officer"))
            line.setInputMethodHints(SENSITIVE_HINTS)
        completer = QCompleter(self.officer.model(), self.officer)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        completer.setCompletionMode(QCompleter.CompletionMode.PopupCompletion)
        self.officer.setCompleter(completer)
        popup = completer.popup()
        if popup is not None:
            popup.setAccessibleName(self.tr("Matching officers"))

        self.alias = QLineEdit(request.address_as.strip()[:MAX_SHORT_TEXT], self)
        self.alias.setMaxLength(MAX_SHORT_TEXT)
        self.alias.setAccessibleName(self.tr("New officer's alias"))
        self.alias.setPlaceholderText(self.tr("Required: how you will know them"))
        self.alias.setInputMethodHints(SENSITIVE_HINTS)
        self.alias.setClearButtonEnabled(True)
        self.contact = QLineEdit(request.contact.strip()[:MAX_SHORT_TEXT], self)
        self.contact.setMaxLength(MAX_SHORT_TEXT)
        self.contact.setAccessibleName(self.tr("New officer's contact details"))
        self.contact.setPlaceholderText(self.tr("Optional: phone or e-mail"))
        self.contact.setInputMethodHints(SENSITIVE_HINTS)
        self.contact.setClearButtonEnabled(True)
        new_form = QFormLayout()
        new_form.setContentsMargins(24, 0, 0, 0)
        for text, widget in ((self.tr("A&lias:"), self.alias),
                             (self.tr("C&ontact:"), self.contact)):
            label = QLabel(text, self)
            label.setBuddy(widget)
            new_form.addRow(label, widget)
        existing_row = QHBoxLayout()
        existing_row.setContentsMargins(24, 0, 0, 0)
        existing_row.addWidget(self.officer, 1)

        # -- when and a note --------------------------------------------------------------------
        self.when = WallClockEdit(zone, suggested, self.tr("Follow-up date and time"), self)
        when_label = QLabel(self.tr("&Follow up at:"), self)
        when_label.setBuddy(self.when)
        self.note = NoteEdit(self.tr("Note (optional)"), self)
        self.note.setPlaceholderText(self.tr("Optional, kept sealed with the request"))
        note_label = QLabel(self.tr("No&te:"), self)
        note_label.setBuddy(self.note)
        self.counter = _counter(self.note, self)
        form = QFormLayout()
        form.setHorizontalSpacing(12)
        form.setVerticalSpacing(8)
        form.addRow(when_label, self.when)
        form.addRow("", style.muted(self.tr("Suggested from the urgency. Times are in "
                                            "{zone}.").format(zone=zone.key), self))
        form.addRow(note_label, self.note)
        form.addRow("", self.counter)

        self.error = style.error_label(self)
        self.error.setAccessibleName(self.tr("Problem"))
        self.buttons = _buttons(self, self.tr("&Accept and schedule"))
        self.ok_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)

        layout = QVBoxLayout(self)
        layout.setSpacing(8)
        layout.addWidget(intro)
        layout.addSpacing(4)
        layout.addWidget(self.existing_radio)
        layout.addLayout(existing_row)
        layout.addWidget(self.new_radio)
        layout.addLayout(new_form)
        layout.addSpacing(6)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(500)

        # an officer who wrote the alias the supporter already uses is most likely them
        match = self._alias_match(request.address_as)
        if not officers:
            self.existing_radio.setEnabled(False)
            self.officer.setEnabled(False)
            if line is not None:
                line.setPlaceholderText(self.tr("No officers yet"))
        if match is not None:
            self.officer.setCurrentIndex(self.officer.findData(match))
            self.existing_radio.setChecked(True)
        else:
            self.officer.setCurrentIndex(-1)
            self.new_radio.setChecked(True)
        self.existing_radio.toggled.connect(self._mode_changed)
        for signal in (self.existing_radio.toggled, self.alias.textChanged,
                       self.officer.currentTextChanged, self.note.textChanged):
            signal.connect(self._validate)
        self._mode_changed()
        self._validate()

    def _alias_match(self, text: str) -> str | None:
        folded = text.strip().casefold()
        if not folded:
            return None
        return next((oid for oid, o in self._officers.items()
                     if o.alias.strip().casefold() == folded), None)

    def _mode_changed(self, *_: object) -> None:
        existing = self.existing_radio.isChecked()
        self.officer.setEnabled(existing)
        self.alias.setEnabled(not existing)
        self.contact.setEnabled(not existing)
        (self.officer if existing else self.alias).setFocus()

    def selected_officer_id(self) -> str | None:
        """The existing officer the combo box names (exactly, or ignoring case), or None."""
        text = self.officer.currentText().strip()
        index = self.officer.currentIndex()
        if index >= 0 and self.officer.itemText(index) == text:
            return str(self.officer.itemData(index))
        return self._alias_match(text)

    def problem(self) -> str:
        """Why the dialog cannot be accepted as it is ("" when it can)."""
        if self.existing_radio.isChecked():
            if self.selected_officer_id() is None:
                return self.tr("Choose an officer from the list, or choose New officer.")
        else:
            if not self.alias.text().strip():
                return self.tr("Give the new officer an alias.")
            if self._alias_match(self.alias.text()) is not None:
                return self.tr("You already have an officer with this alias: choose them "
                               "under Existing officer, or use another alias.")
        if len(self.note.text().strip()) > MAX_NOTE:
            return self.tr("A note can be at most {n} characters.").format(n=f"{MAX_NOTE:,}")
        return ""

    def _validate(self, *_: object) -> None:
        self.ok_button.setEnabled(not self.problem())

    def choice(self) -> AcceptChoice:
        note = self.note.text().strip()
        if self.existing_radio.isChecked():
            return AcceptChoice(self.when.value(), officer_id=self.selected_officer_id(),
                                note=note)
        officer = Officer(alias=self.alias.text().strip(), contact=self.contact.text().strip())
        return AcceptChoice(self.when.value(), new_officer=officer, note=note)

    def accept(self) -> None:
        problem = self.problem()
        if problem:
            self.show_error(problem)
            return
        try:
            self._submit(self.choice())
        except Exception as exc:
            self.show_error(action_error_text(exc))
            return
        super().accept()

    def show_error(self, text: str) -> None:
        self.error.setText(text)
        self.error.setVisible(True)


class CloseRequestDialog(QDialog):
    """Close a request without a follow-up, with a note of what was done (kept sealed)."""

    def __init__(self, reference: str, submit: Callable[[str], object],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._submit = submit
        self.setWindowTitle(self.tr("Close request {ref}").format(ref=reference))
        self.setObjectName("closeRequestDialog")
        text = QLabel(self.tr(
            "Close this request without scheduling a follow-up, for example when you already "
            "reached the officer. Say what was done: the note is kept sealed with the "
            "request."), self)
        text.setWordWrap(True)
        self.note = NoteEdit(self.tr("Note (required)"), self)
        self.note.setPlaceholderText(self.tr("For example: called back the same evening"))
        label = QLabel(self.tr("&Note (required):"), self)
        label.setBuddy(self.note)
        self.counter = _counter(self.note, self)
        self.error = style.error_label(self)
        self.error.setAccessibleName(self.tr("Problem"))
        self.buttons = _buttons(self, self.tr("&Close request"))
        self.ok_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        layout = QVBoxLayout(self)
        layout.setSpacing(8)
        layout.addWidget(text)
        layout.addSpacing(4)
        layout.addWidget(label)
        layout.addWidget(self.note)
        layout.addWidget(self.counter)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(460)
        self.note.textChanged.connect(self._validate)
        self._validate()
        self.note.setFocus()

    def problem(self) -> str:
        note = self.note.text().strip()
        if not note:
            return self.tr("Write a short note of what was done.")
        if len(note) > MAX_NOTE:
            return self.tr("A note can be at most {n} characters.").format(n=f"{MAX_NOTE:,}")
        return ""

    def _validate(self) -> None:
        self.ok_button.setEnabled(not self.problem())

    def accept(self) -> None:
        problem = self.problem()
        if problem:
            self.show_error(problem)
            return
        try:
            self._submit(self.note.text().strip())
        except Exception as exc:
            self.show_error(action_error_text(exc))
            return
        super().accept()

    def show_error(self, text: str) -> None:
        self.error.setText(text)
        self.error.setVisible(True)


class RequestCardDialog(QDialog):
    """The card another computer needs to seal a request to this vault: public values only."""

    def __init__(self, requests: RequestService, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._requests = requests
        self.setWindowTitle(self.tr("Your request card"))
        self.setObjectName("requestCardDialog")
        self._card: RequestCard = requests.card()

        explain = QLabel(self.tr(
            "Give this card to officers who want to ask for a follow-up from another "
            "computer: <code style='white-space:nowrap'>{command}</code>. It holds only your "
            "public key; anyone can use it to send you a request only you can read.").format(
                command=CARD_COMMAND), self)
        explain.setTextFormat(Qt.TextFormat.RichText)
        explain.setWordWrap(True)
        explain.setAccessibleName(self.tr("About the request card"))

        self.name = QLineEdit(self._card.display_name, self)
        self.name.setMaxLength(MAX_DISPLAY_NAME)
        self.name.setAccessibleName(self.tr("Name shown on the card"))
        self.name.setPlaceholderText(self.tr("Optional, e.g. “Sgt. Rivera, peer support”"))
        self.name.setClearButtonEnabled(True)
        self.save_name_button = QPushButton(self.tr("Save &name"), self)
        self.save_name_button.setAccessibleName(self.tr("Save the name shown on the card"))
        self.save_name_button.setAutoDefault(False)
        self.save_name_button.clicked.connect(self.save_name)
        self.name.returnPressed.connect(self.save_name)
        self.name.textChanged.connect(self._name_edited)
        name_label = QLabel(self.tr("Name on the &card:"), self)
        name_label.setBuddy(self.name)
        name_row = QHBoxLayout()
        name_row.addWidget(name_label)
        name_row.addWidget(self.name, 1)
        name_row.addWidget(self.save_name_button)
        name_hint = style.muted(self.tr(
            "Public: anyone with the card sees it. Leave it empty to show no name."), self)

        fingerprint_title = QLabel(self.tr("Fingerprint"), self)
        self.fingerprint = QLabel(self)
        font = style.monospace()
        font.setPointSizeF(font.pointSizeF() * 1.6)
        font.setBold(True)
        self.fingerprint.setFont(font)
        self.fingerprint.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.fingerprint.setAccessibleName(self.tr("Fingerprint of your request key"))
        fingerprint_hint = style.muted(self.tr(
            "Officers can compare it with the one their copy of the card shows."), self)

        self.qr = QLabel(self)
        self.qr.setFixedSize(QR_PREVIEW, QR_PREVIEW)
        self.qr.setScaledContents(True)
        self.qr.setAccessibleName(self.tr("QR code of the card"))

        self.save_card_button = QPushButton(self.tr("Save card &file…"), self)
        self.save_card_button.setAccessibleName(self.tr("Save card file"))
        self.save_card_button.setAutoDefault(False)
        self.save_card_button.clicked.connect(lambda: self.save_card_file())
        self.save_qr_button = QPushButton(self.tr("Save &QR image…"), self)
        self.save_qr_button.setAccessibleName(self.tr("Save QR image"))
        self.save_qr_button.setAutoDefault(False)
        self.save_qr_button.clicked.connect(lambda: self.save_qr_image())
        self.status = style.muted("", self)
        self.status.setAccessibleName(self.tr("Card status"))
        self.error = style.error_label(self)
        self.error.setAccessibleName(self.tr("Problem"))
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        close.rejected.connect(self.reject)
        close.button(QDialogButtonBox.StandardButton.Close).setAccessibleName(self.tr("Close"))

        side = QVBoxLayout()
        side.setSpacing(6)
        side.addWidget(fingerprint_title)
        side.addWidget(self.fingerprint)
        side.addWidget(fingerprint_hint)
        side.addSpacing(10)
        side.addWidget(self.save_card_button, 0, Qt.AlignmentFlag.AlignLeft)
        side.addWidget(self.save_qr_button, 0, Qt.AlignmentFlag.AlignLeft)
        side.addStretch(1)
        middle = QHBoxLayout()
        middle.setSpacing(18)
        middle.addWidget(self.qr, 0, Qt.AlignmentFlag.AlignTop)
        middle.addLayout(side, 1)

        layout = QVBoxLayout(self)
        layout.setSpacing(8)
        layout.addWidget(explain)
        layout.addSpacing(4)
        layout.addLayout(name_row)
        layout.addWidget(name_hint)
        layout.addSpacing(8)
        layout.addLayout(middle)
        layout.addWidget(self.status)
        layout.addWidget(self.error)
        layout.addWidget(close)
        self.setMinimumWidth(600)
        self._show_card()

    def card(self) -> RequestCard:
        return self._card

    def _show_card(self) -> None:
        self.fingerprint.setText(self._card.fingerprint)
        pixmap = QPixmap()
        pixmap.loadFromData(card_png(self._card))
        self.qr.setPixmap(pixmap)
        self.save_name_button.setEnabled(False)

    def _name_edited(self, text: str) -> None:
        self.save_name_button.setEnabled(" ".join(text.split()) != self._card.display_name)

    def save_name(self) -> None:
        self.error.setVisible(False)
        try:
            self._card = self._requests.set_display_name(self.name.text())
        except ValueError as exc:  # the name is too long: the check's own words
            self._show_error(str(exc))
            return
        except Exception as exc:
            self._show_error(action_error_text(exc))
            return
        self.name.setText(self._card.display_name)
        self._show_card()
        self.status.setText(self.tr("Name saved. Save the card again to hand out the new one."))

    def save_card_file(self, path: str | None = None) -> bool:
        if path is None:
            path = save_file_name(self, self.tr("Save request card"), "request-card"
                                  + CARD_EXTENSION,
                                  self.tr("Request cards (*{ext})").format(ext=CARD_EXTENSION))
        if not path:
            return False
        if not path.endswith(CARD_EXTENSION):
            path += CARD_EXTENSION
        return self._write(Path(path), self._card.to_text().encode("utf-8"))

    def save_qr_image(self, path: str | None = None) -> bool:
        if path is None:
            path = save_file_name(self, self.tr("Save QR code"), "request-card.png",
                                  self.tr("PNG images (*.png)"))
        if not path:
            return False
        if not path.lower().endswith(".png"):
            path += ".png"
        return self._write(Path(path), card_png(self._card))

    def _write(self, path: Path, data: bytes) -> bool:
        self.error.setVisible(False)
        try:
            path.write_bytes(data)
        except OSError as exc:
            self._show_error(self.tr("It could not be saved: {reason}.").format(
                reason=exc.strerror or type(exc).__name__))
            return False
        self.status.setText(self.tr("Saved {name}.").format(name=path.name))
        return True

    def _show_error(self, text: str) -> None:
        self.error.setText(text)
        self.error.setVisible(True)


@dataclass(frozen=True)
class ImportOutcome:
    """One file's result: imported (with its reference) or refused (with why)."""

    file_name: str
    reference: str = ""
    refusal: str = ""

    @property
    def imported(self) -> bool:
        return not self.refusal


class ImportSummaryDialog(QDialog):
    """What happened to each file of an import: each file's name, then its result in full."""

    def __init__(self, outcomes: list[ImportOutcome], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Import request files"))
        self.setObjectName("importSummaryDialog")
        done = sum(1 for o in outcomes if o.imported)
        refused = len(outcomes) - done
        self.summary = style.heading(self.tr("{done} imported, {refused} refused").format(
            done=f"{done:,}", refused=f"{refused:,}"), self, 1.15)
        self.summary.setAccessibleName(self.tr("Import summary"))
        note = style.muted(self.tr(
            "Nothing was written for a refused file. Imported requests are in your inbox."),
            self)
        body = QWidget(self)
        grid = QGridLayout(body)
        grid.setContentsMargins(8, 8, 8, 8)
        grid.setHorizontalSpacing(16)
        grid.setVerticalSpacing(8)
        grid.setColumnStretch(1, 1)
        self._rows: list[tuple[QLabel, QLabel]] = []
        for row, outcome in enumerate(outcomes):
            if outcome.imported:
                text = self.tr("Imported (reference {ref})").format(ref=outcome.reference)
            else:
                text = self.tr("Refused: {why}").format(why=outcome.refusal)
            name = record_label(body)
            name.setText(outcome.file_name)
            name.setAccessibleName(self.tr("File"))
            name.setMaximumWidth(260)
            result = record_label(body)
            result.setText(text)
            result.setAccessibleName(self.tr("Result for {name}").format(
                name=outcome.file_name))
            if not outcome.imported:
                style.set_text_colour(result, style.error_colour())
            grid.addWidget(name, row, 0, Qt.AlignmentFlag.AlignTop)
            grid.addWidget(result, row, 1, Qt.AlignmentFlag.AlignTop)
            self._rows.append((name, result))
        grid.setRowStretch(len(outcomes), 1)
        self.results = QScrollArea(self)
        self.results.setWidgetResizable(True)
        self.results.setWidget(body)
        self.results.setAccessibleName(self.tr("Result for each file"))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        buttons.button(QDialogButtonBox.StandardButton.Close).setAccessibleName(
            self.tr("Close"))
        layout = QVBoxLayout(self)
        layout.setSpacing(8)
        layout.addWidget(self.summary)
        layout.addWidget(note)
        layout.addWidget(self.results, 1)
        layout.addWidget(buttons)
        self.resize(680, 360)

    def texts(self) -> list[tuple[str, str]]:
        """(file name, result) for each file, in the order they were imported."""
        return [(name.text(), result.text()) for name, result in self._rows]
