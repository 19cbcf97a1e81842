"""First-run wizard: what the app protects, the notice, a passphrase, a recovery key, the vault.

Pages, in order: the role (peer supporter or program supervisor), then for a peer supporter
welcome, confidentiality notice, passphrase, recovery key, key check, create; for a program
supervisor one page that creates the supervisor profile (``supervisor_created(profile)`` is
emitted when the wizard closes after it was created, as for a vault).

``vault_created(UnlockedVault)`` is emitted once, when the wizard closes after the vault was
created: normally when the person presses Finish. If the window is closed any other way after
creation (Escape, the title bar) the wizard still finishes and emits, so an open vault is never
left orphaned. While the vault is being created the wizard cannot be cancelled or closed, and
the key-check page is a commit page, so there is no Back once creation has started.

The recovery key is generated once, when its page is first shown, and kept in the wizard as a
``SecretKey``; it is regenerated only if the wizard restarts. After creation the passphrase
fields are cleared and the wizard's key is wiped. Python strings (the typed passphrase, the
formatted key shown on screen) cannot be wiped; they are dropped as soon as they are not needed.
"""

from __future__ import annotations

import errno
import logging
import secrets
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QDate, QLocale, QStandardPaths, Qt, QTimer, Signal
from PySide6.QtGui import QFont, QFontDatabase
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
    QWizard,
    QWizardPage,
)

from peersupport.crypto.kdf import KdfProfile
from peersupport.crypto.recovery import groups, normalize
from peersupport.crypto.secret import SecretKey
from peersupport.domain.notice import DEFAULT_NOTICE, validate_notice
from peersupport.services.errors import VaultExistsError
from peersupport.services.vault import UnlockedVault, VaultService, new_recovery_key
from peersupport.ui import style
from peersupport.ui.file_dialogs import save_file_name
from peersupport.ui.passphrase_chooser import PassphraseChooser
from peersupport.ui.recovery_kit import KIT_FILE_NAME, write_recovery_kit
from peersupport.ui.supervisor.setup import SupervisorSetup
from peersupport.ui.tasks import run_task

log = logging.getLogger(__name__)

_ERROR = f"color: {style.ERROR_COLOUR};"
_OK = f"color: {style.OK_COLOUR};"
_LOOK_ALIKES = str.maketrans({"I": "1", "L": "1", "O": "0"})

WELCOME_TEXT = """
<p>Peer Support keeps the records of your peer-support contacts private.</p>
<p><b>What it protects</b></p>
<ul>
<li>Names, contact details, notes and exact dates are sealed with strong encryption
(AES-256) under a key that only your passphrase or your recovery key can open.</li>
<li>Nobody can recover your records without one of them: not your department, not the
developers of this app.</li>
</ul>
<p><b>What it cannot protect against</b></p>
<ul>
<li>A laptop without full-disk encryption (BitLocker, FileVault or similar): keep it
turned on.</li>
<li>Copies of text in the computer's memory while the app is open cannot all be wiped.</li>
<li>Someone who watches your screen, or who installs spying software on this laptop, can see
what the app shows.</li>
<li>If you forget your passphrase <i>and</i> lose your recovery key, your records are gone
for good.</li>
</ul>
"""


def _label(text: str, *, rich: bool = False) -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    label.setTextFormat(Qt.TextFormat.RichText if rich else Qt.TextFormat.PlainText)
    return label


def _fixed_font(scale: float = 1.0, *, bold: bool = False) -> QFont:
    font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
    font.setStyleHint(QFont.StyleHint.Monospace)
    base = QFont().pointSizeF()
    font.setPointSizeF((base if base > 0 else 10) * scale)
    font.setBold(bold)
    return font


def _canonical_group(text: str) -> str:
    """Forgiving comparison: case, spaces and dashes ignored; I/L read as 1 and O as 0."""
    return normalize(text).translate(_LOOK_ALIKES)


def _created_month() -> str:
    return QLocale().toString(QDate.currentDate(), "MMMM yyyy")


def describe_creation_error(exc: BaseException) -> str:
    """A plain message for a failed creation (never shows key or passphrase material)."""
    if isinstance(exc, VaultExistsError):
        return ("There is already a vault on this computer, so a new one was not created and "
                "nothing was overwritten. Cancel, then open the existing vault with its "
                "passphrase.")
    disk_full = (isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT)) or (
        "disk is full" in str(exc).lower()
    )
    if disk_full:
        return ("The disk is full, so the vault could not be saved. Free some space, then "
                "press Try again.")
    if isinstance(exc, OSError):
        reason = exc.strerror or type(exc).__name__
        return (f"The vault could not be saved ({reason}). Check that the disk is working and "
                "has free space, then press Try again.")
    return ("Something went wrong and the vault was not created. Press Try again. If it keeps "
            "happening, contact whoever looks after this app for your team.")


class RolePage(QWizardPage):
    """The first question: a peer supporter (records, the rest of this wizard) or a program
    supervisor (anonymized statistics only: a profile of its own, no vault)."""

    def __init__(self, owner: FirstRunWizard) -> None:
        super().__init__()
        self._owner = owner
        self.setTitle(self.tr("How will you use Peer Support?"))
        self.setSubTitle(self.tr("Choose one. A computer is set up for one of the two."))
        self.supporter = QRadioButton(self.tr("I am a &peer supporter"))
        self.supporter.setAccessibleName(self.tr("I am a peer supporter"))
        supporter_hint = _label(self.tr(
            "Keep confidential records of your peer-support contacts, encrypted on this "
            "computer."))
        self.supervisor = QRadioButton(self.tr(
            "I am a program &supervisor (I receive anonymized statistics only)"))
        self.supervisor.setAccessibleName(self.tr(
            "I am a program supervisor (I receive anonymized statistics only)"))
        supervisor_hint = _label(self.tr(
            "Import the signed statistics files peer supporters share and see your program's "
            "numbers. They hold anonymized counts only: this never opens anyone's records."))
        for hint in (supporter_hint, supervisor_hint):
            hint.setContentsMargins(26, 0, 0, 0)  # under its choice's text
        self.supporter.setChecked(True)
        group = QButtonGroup(self)
        group.addButton(self.supporter)
        group.addButton(self.supervisor)
        layout = QVBoxLayout(self)
        layout.addSpacing(8)
        layout.addWidget(self.supporter)
        layout.addWidget(supporter_hint)
        layout.addSpacing(14)
        layout.addWidget(self.supervisor)
        layout.addWidget(supervisor_hint)
        layout.addStretch(1)

    def initializePage(self) -> None:
        self.supporter.setFocus()

    def nextId(self) -> int:
        if self.supervisor.isChecked():
            return self._owner.supervisor_page_id
        return self._owner.welcome_page_id


class SupervisorPage(QWizardPage):
    """Creates the supervisor profile (program name, passphrase) in the wizard's folder."""

    def __init__(self, owner: FirstRunWizard, folder: Path, kdf_profile: KdfProfile) -> None:
        super().__init__()
        self.setTitle(self.tr("Set up program statistics"))
        self.setSubTitle(self.tr("For a program supervisor: anonymized statistics only."))
        self.setup = SupervisorSetup(folder, kdf_profile)
        self.setup.created.connect(owner.supervisor_ready)
        self.setup.created.connect(lambda _p: self.completeChanged.emit())
        self.setup.busy_changed.connect(owner.set_creating)
        layout = QVBoxLayout(self)
        layout.addWidget(self.setup)

    def initializePage(self) -> None:
        self.setup.focus_first()

    def isComplete(self) -> bool:
        return self.setup.is_done()


class WelcomePage(QWizardPage):
    def __init__(self) -> None:
        super().__init__()
        self.setTitle("Welcome to Peer Support")
        self.setSubTitle("Setting up takes a few minutes. Here is what the app does for you.")
        self.text = _label(WELCOME_TEXT, rich=True)
        self.text.setAccessibleName("What Peer Support protects and what it cannot")
        layout = QVBoxLayout(self)
        layout.addWidget(self.text)
        layout.addStretch(1)


class NoticePage(QWizardPage):
    def __init__(self) -> None:
        super().__init__()
        self.setTitle("Confidentiality notice")
        self.setSubTitle("Officers see this notice before a first contact, so they know what "
                         "stays private and what does not.")
        intro = _label(
            "The text below follows the federal limits of confidentiality "
            "(34 U.S.C. 50901). State laws differ: adapt it to your agency's state law and "
            "policy. You can change it later."
        )
        self.editor = QPlainTextEdit()
        self.editor.setPlainText(DEFAULT_NOTICE)
        self.editor.setTabChangesFocus(True)
        self.editor.setAccessibleName("Confidentiality notice text")
        label = QLabel("Notice &text:")
        label.setBuddy(self.editor)
        self.restore = QPushButton("&Restore default text")
        self.restore.setAccessibleName("Restore default notice text")
        self.restore.clicked.connect(self._restore_default)
        self.problem = _label("")
        self.problem.setStyleSheet(_ERROR)
        self.problem.setAccessibleName("Notice problem")

        row = QHBoxLayout()
        row.addWidget(self.problem, 1)
        row.addWidget(self.restore, 0, Qt.AlignmentFlag.AlignTop)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(label)
        layout.addWidget(self.editor, 1)
        layout.addLayout(row)
        QWidget.setTabOrder(self.editor, self.restore)
        self.editor.textChanged.connect(self._changed)

    def notice(self) -> str:
        return self.editor.toPlainText()

    def isComplete(self) -> bool:
        return validate_notice(self.notice()) is None

    def _restore_default(self) -> None:
        self.editor.setPlainText(DEFAULT_NOTICE)
        self.editor.setFocus()

    def _changed(self) -> None:
        self.problem.setText(validate_notice(self.notice()) or "")
        self.completeChanged.emit()


class PassphrasePage(QWizardPage):
    def __init__(self) -> None:
        super().__init__()
        self.setTitle("Choose a passphrase")
        self.setSubTitle("You will type it each time you open Peer Support.")
        intro = _label(
            "Use several unrelated words you can remember, for example four or five. "
            "There is no reset: if you forget it, only your recovery key (the next step) "
            "can open your records."
        )
        self.chooser = PassphraseChooser()
        self.chooser.changed.connect(self.completeChanged)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addSpacing(8)
        layout.addWidget(self.chooser)
        layout.addStretch(1)

    def initializePage(self) -> None:
        self.chooser.first.setFocus()

    def isComplete(self) -> bool:
        return self.chooser.is_acceptable()


class RecoveryKeyPage(QWizardPage):
    def __init__(self, owner: FirstRunWizard) -> None:
        super().__init__()
        self._owner = owner
        self.setTitle("Your recovery key")
        self.setSubTitle("The only way back in if you forget your passphrase.")
        self.key_label = QLabel()
        self.key_label.setFont(_fixed_font(2.0, bold=True))
        self.key_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.key_label.setTextFormat(Qt.TextFormat.PlainText)
        self.key_label.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByMouse
            | Qt.TextInteractionFlag.TextSelectableByKeyboard
        )
        self.key_label.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.key_label.setAccessibleName("Your recovery key")
        self.key_label.setStyleSheet(
            "QLabel { border: 1px solid palette(mid); border-radius: 6px; padding: 14px; }"
        )
        advice = _label(
            "Write it on paper, or save the recovery kit as a PDF and print it. Keep it "
            "somewhere safe and private, away from this laptop. Anyone who has this key and "
            "this laptop can read your records."
        )
        self.save_pdf = QPushButton("&Save as PDF\u2026")
        self.save_pdf.setAccessibleName("Save the recovery kit as a PDF")
        self.save_pdf.clicked.connect(self._save_pdf)
        self.status = _label("")
        self.status.setAccessibleName("Recovery kit status")
        self.confirmed = QCheckBox("I have &written down or saved my recovery key")
        self.confirmed.setAccessibleName("I have written down or saved my recovery key")
        self.confirmed.toggled.connect(self.completeChanged)

        row = QHBoxLayout()
        row.addWidget(self.save_pdf, 0, Qt.AlignmentFlag.AlignTop)
        row.addWidget(self.status, 1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.key_label)
        layout.addSpacing(6)
        layout.addWidget(advice)
        layout.addLayout(row)
        layout.addSpacing(18)
        layout.addWidget(self.confirmed)
        layout.addStretch(1)
        QWidget.setTabOrder(self.key_label, self.save_pdf)
        QWidget.setTabOrder(self.save_pdf, self.confirmed)

    def initializePage(self) -> None:
        self.key_label.setText(self._owner.ensure_recovery_key())
        # QWizard focuses the first focusable child after this; a caret in the key looks
        # editable, so start on the Save button instead (the key stays reachable by Tab).
        QTimer.singleShot(0, self.save_pdf, self.save_pdf.setFocus)

    def isComplete(self) -> bool:
        return self.confirmed.isChecked()

    def forget(self) -> None:
        self.key_label.clear()
        self.status.clear()
        self.confirmed.setChecked(False)

    def _save_pdf(self) -> None:
        documents = QStandardPaths.writableLocation(
            QStandardPaths.StandardLocation.DocumentsLocation
        )
        suggested = str(Path(documents or Path.home()) / KIT_FILE_NAME)
        path = save_file_name(self, "Save recovery kit", suggested, "PDF document (*.pdf)")
        if not path:
            return
        if not path.lower().endswith(".pdf"):
            path += ".pdf"
        try:
            write_recovery_kit(path, self._owner.ensure_recovery_key(), _created_month())
        except OSError as exc:
            self.status.setStyleSheet(_ERROR)
            self.status.setText(
                f"The recovery kit could not be saved ({exc.strerror or 'write error'}). "
                "Try another place, or write the key down."
            )
            return
        self.status.setStyleSheet(_OK)
        self.status.setText("Saved. Print it, then delete the file from this laptop and empty "
                            "the trash.")


class ConfirmKeyPage(QWizardPage):
    def __init__(self, owner: FirstRunWizard) -> None:
        super().__init__()
        self._owner = owner
        self.setTitle("Check your recovery key")
        self.setSubTitle("A quick check that your copy is right.")
        self.setCommitPage(True)
        self.setButtonText(QWizard.WizardButton.CommitButton, "&Create vault")
        self.prompt = _label("")
        self.entry = QLineEdit()
        self.entry.setFont(_fixed_font(1.4, bold=True))
        self.entry.setMaxLength(9)
        self.entry.setAccessibleName("Group of your recovery key")
        self.entry.setMaximumWidth(180)
        self.entry.setInputMethodHints(
            Qt.InputMethodHint.ImhSensitiveData | Qt.InputMethodHint.ImhNoPredictiveText
        )
        self.entry_label = QLabel()
        self.entry_label.setBuddy(self.entry)
        self.feedback = _label("")
        self.feedback.setAccessibleName("Recovery key check result")
        hint = _label("Press Back to see your key again. When the group matches, press Create "
                      "vault.")
        row = QHBoxLayout()
        row.addWidget(self.entry_label)
        row.addWidget(self.entry)
        row.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.prompt)
        layout.addSpacing(8)
        layout.addLayout(row)
        layout.addWidget(self.feedback)
        layout.addStretch(1)
        layout.addWidget(hint)
        self.entry.textChanged.connect(self._changed)

    @property
    def group_number(self) -> int:
        return self._owner.check_group

    def initializePage(self) -> None:
        n = self.group_number
        self.prompt.setText(
            f"Type group {n} of your recovery key. Groups are the blocks of four characters, "
            f"counted from the left; group {n} is block number {n} of 7."
        )
        self.entry_label.setText(f"&Group {n}:")
        self.entry.setAccessibleName(f"Group {n} of your recovery key")
        self.entry.clear()
        self.feedback.clear()
        self.entry.setFocus()

    def cleanupPage(self) -> None:
        self.entry.clear()

    def isComplete(self) -> bool:
        key_text = self._owner.recovery_key_text
        if not key_text:
            return False
        expected = groups(key_text)[self.group_number - 1]
        return _canonical_group(self.entry.text()) == _canonical_group(expected)

    def _changed(self) -> None:
        typed = _canonical_group(self.entry.text())
        if self.isComplete():
            self.feedback.setStyleSheet(_OK)
            self.feedback.setText("That matches.")
        elif len(typed) >= 4:
            self.feedback.setStyleSheet(_ERROR)
            self.feedback.setText(f"That is not group {self.group_number}. Check your copy, or "
                                  "press Back to see the key again.")
        else:
            self.feedback.clear()
        self.completeChanged.emit()


class CreatePage(QWizardPage):
    def __init__(self, owner: FirstRunWizard) -> None:
        super().__init__()
        self._owner = owner
        self._ready = False
        self.setTitle("Creating your vault")
        self.setSubTitle("Almost done.")
        self.status = _label("")
        self.status.setAccessibleName("Vault creation status")
        self.progress = QProgressBar()
        self.progress.setRange(0, 0)
        self.progress.setTextVisible(False)
        self.progress.setAccessibleName("Creating your vault")
        self.error = _label("")
        self.error.setStyleSheet(_ERROR)
        self.error.setAccessibleName("Vault creation problem")
        self.retry = QPushButton("&Try again")
        self.retry.setAccessibleName("Try again to create the vault")
        self.retry.clicked.connect(self._start)
        row = QHBoxLayout()
        row.addWidget(self.retry)
        row.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.status)
        layout.addWidget(self.progress)
        layout.addWidget(self.error)
        layout.addLayout(row)
        layout.addStretch(1)

    def initializePage(self) -> None:
        self._start()

    def nextId(self) -> int:
        return -1  # the last page of a peer supporter's setup (the supervisor's comes after)

    def isComplete(self) -> bool:
        return self._ready

    def _start(self) -> None:
        self._ready = False
        self.setTitle("Creating your vault")
        self.setSubTitle("Almost done.")
        self.status.setText("Creating your vault\u2026 (this takes a few seconds: the passphrase "
                            "is stretched so it is slow to guess)")
        self.progress.show()
        self.error.hide()
        self.retry.hide()
        self.completeChanged.emit()
        self._owner.begin_creation(self._created, self._failed)

    def _created(self) -> None:
        self._ready = True
        self.progress.hide()
        self.setTitle("Your vault is ready")
        self.setSubTitle("Setup is complete.")
        self.status.setText("Press Finish to start using Peer Support.\n\n"
                            "Keep your recovery key on paper somewhere safe, away from this "
                            "laptop.")
        self.completeChanged.emit()

    def _failed(self, message: str) -> None:
        self.progress.hide()
        self.setTitle("The vault was not created")
        self.setSubTitle("Nothing was overwritten.")
        self.status.clear()
        self.error.setText(message)
        self.error.show()
        self.retry.show()
        self.retry.setFocus()


class FirstRunWizard(QWizard):
    """Guides a new user to a created vault. See the module docstring for the signal."""

    vault_created = Signal(object)
    supervisor_created = Signal(object)  # an open SupervisorProfile, handed over on closing

    def __init__(self, service: VaultService, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._service = service
        self._key: SecretKey | None = None
        self._formatted: str | None = None
        self._check_group = 2
        self._creating = False
        self._vault: UnlockedVault | None = None
        self._supervisor: object | None = None
        self._handed_over = False

        self.setWindowTitle("Set up Peer Support")
        self.setWizardStyle(QWizard.WizardStyle.ModernStyle)
        self.setOption(QWizard.WizardOption.NoBackButtonOnStartPage, True)
        self.setMinimumSize(660, 540)
        for which, text, name in (
            (QWizard.WizardButton.BackButton, "&Back", "Back"),
            (QWizard.WizardButton.NextButton, "&Next", "Next"),
            (QWizard.WizardButton.CommitButton, "&Create vault", "Create vault"),
            (QWizard.WizardButton.FinishButton, "&Finish", "Finish"),
            (QWizard.WizardButton.CancelButton, "Cancel", "Cancel"),
        ):
            self.setButtonText(which, text)
            self.button(which).setAccessibleName(name)

        self.welcome_page = WelcomePage()
        self.notice_page = NoticePage()
        self.passphrase_page = PassphrasePage()
        self.key_page = RecoveryKeyPage(self)
        self.confirm_page = ConfirmKeyPage(self)
        self.create_page = CreatePage(self)
        self.role_page = RolePage(self)
        self.supervisor_page = SupervisorPage(self, service.data_dir.root, service.profile)
        self.addPage(self.role_page)
        for page in (self.welcome_page, self.notice_page, self.passphrase_page,
                     self.key_page, self.confirm_page, self.create_page):
            self.addPage(page)
        self.supervisor_page_id = self.addPage(self.supervisor_page)

    @property
    def welcome_page_id(self) -> int:
        return next(i for i in self.pageIds() if self.page(i) is self.welcome_page)

    # -- the program supervisor's profile ----------------------------------------------------
    def set_creating(self, creating: bool) -> None:
        """While the supervisor profile is made: no Cancel, no Back, no closing."""
        self._set_creating(creating)
        self.button(QWizard.WizardButton.BackButton).setEnabled(not creating)

    def supervisor_ready(self, profile: object) -> None:
        self._supervisor = profile
        self.setOption(QWizard.WizardOption.DisabledBackButtonOnLastPage, True)
        self.button(QWizard.WizardButton.CancelButton).setEnabled(False)
        self.button(QWizard.WizardButton.BackButton).setEnabled(False)
        QTimer.singleShot(0, self.button(QWizard.WizardButton.FinishButton).setFocus)

    # -- the recovery key, generated once per run ---------------------------------------
    def ensure_recovery_key(self) -> str:
        if self._key is None or self._formatted is None:
            self._key, self._formatted = new_recovery_key()
            self._check_group = secrets.choice(range(2, 8))
        return self._formatted

    @property
    def recovery_key_text(self) -> str:
        """The key as shown, or "" before it is generated and after creation."""
        return self._formatted or ""

    @property
    def check_group(self) -> int:
        return self._check_group

    def _forget_recovery_key(self) -> None:
        if self._key is not None:
            self._key.wipe()
        self._key = None
        self._formatted = None
        self.key_page.forget()

    # -- creation ----------------------------------------------------------------------------
    def begin_creation(
        self, on_created: Callable[[], None], on_failed: Callable[[str], None]
    ) -> None:
        """Create the vault off the UI thread; Cancel, Escape and closing wait for it."""
        if self._creating or self._key is None:
            return
        self._set_creating(True)
        service = self._service
        passphrase = self.passphrase_page.chooser.passphrase()
        notice = self.notice_page.notice()
        key_copy = SecretKey(self._key.buffer)  # the service may keep or wipe its own copy

        def done(vault: UnlockedVault) -> None:
            key_copy.wipe()
            self._set_creating(False)
            self._vault = vault
            self.passphrase_page.chooser.clear()
            self._forget_recovery_key()
            self.button(QWizard.WizardButton.CancelButton).setEnabled(False)
            on_created()
            self.button(QWizard.WizardButton.FinishButton).setFocus()

        def failed(exc: BaseException) -> None:
            key_copy.wipe()
            self._set_creating(False)
            log.warning("vault creation failed: %s", type(exc).__name__)
            on_failed(describe_creation_error(exc))

        run_task(lambda: service.create(passphrase, key_copy, notice), done, failed)

    def _set_creating(self, creating: bool) -> None:
        self._creating = creating
        self.button(QWizard.WizardButton.CancelButton).setEnabled(not creating)

    # -- QWizard ---------------------------------------------------------------------------
    def initializePage(self, page_id: int) -> None:
        if page_id == self.startId():  # first show or restart: a fresh key for a fresh run
            self._forget_recovery_key()
            self._handed_over = False
            self.button(QWizard.WizardButton.CancelButton).setEnabled(True)
        super().initializePage(page_id)

    def done(self, result: int) -> None:
        if self._creating:
            return  # creation cannot be interrupted; it finishes in a few seconds
        profile, self._supervisor = self._supervisor, None
        if profile is not None:  # a supervisor profile was made: hand it over, however closed
            self._handed_over = True
            self.supervisor_created.emit(profile)
        if self._vault is not None or self._handed_over:
            result = QDialog.DialogCode.Accepted.value
            vault, self._vault = self._vault, None
            if vault is not None:
                self._handed_over = True
                self.vault_created.emit(vault)
        super().done(result)
