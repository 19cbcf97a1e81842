"""Create a program supervisor's profile: the program's name and a passphrase (twice, with the
strength meter). The profile holds only anonymized statistics; it is encrypted under a key
derived from the passphrase, made on the worker thread (Argon2 is slow on purpose)."""

from __future__ import annotations

import errno
import logging
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from peersupport import hygiene
from peersupport.crypto import kdf
from peersupport.supervisor.profile import (
    MAX_PROGRAM_NAME,
    ProfileExistsError,
    SupervisorProfile,
)
from peersupport.ui import style
from peersupport.ui.passphrase_chooser import PassphraseChooser
from peersupport.ui.tasks import run_task

log = logging.getLogger(__name__)


class SupervisorSetup(QWidget):
    """The form. ``created(SupervisorProfile)`` is emitted once, with the open profile;
    ``busy_changed(bool)`` while it is being made; ``ready_changed`` when Create may have
    become possible or impossible."""

    created = Signal(object)
    busy_changed = Signal(bool)
    ready_changed = Signal()

    def __init__(self, folder: Path, kdf_profile: kdf.KdfProfile = kdf.PRODUCTION,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("supervisorSetup")
        self._folder = folder
        self._kdf_profile = kdf_profile
        self._busy = False
        self._done = False

        intro = QLabel(self.tr(
            "As a program supervisor you receive statistics files from peer supporters. They "
            "hold anonymized counts only, with small numbers already hidden: never a name, a "
            "note or the date of a contact. This computer keeps them in a profile locked with "
            "your own passphrase."), self)
        intro.setWordWrap(True)
        self.name = QLineEdit(self)
        self.name.setMaxLength(MAX_PROGRAM_NAME)
        self.name.setPlaceholderText(self.tr("For example: Metro Police peer support team"))
        self.name.setAccessibleName(self.tr("Program name"))
        self.chooser = PassphraseChooser(self)
        self.create_button = QPushButton(self.tr("&Create profile"), self)
        self.create_button.setAccessibleName(self.tr("Create the supervisor profile"))
        self.create_button.setDefault(True)
        self.progress = QProgressBar(self)
        self.progress.setRange(0, 0)
        self.progress.setTextVisible(False)
        self.progress.setAccessibleName(self.tr("Creating the supervisor profile"))
        self.progress.setMaximumWidth(220)
        self.progress.hide()
        self.status = QLabel(self)
        self.status.setWordWrap(True)
        self.status.setAccessibleName(self.tr("Profile creation status"))
        self.error = style.error_label(self)
        self.error.setAccessibleName(self.tr("Profile creation problem"))

        form = self.chooser.layout()
        if isinstance(form, QFormLayout):  # one column of labels with the passphrase rows
            form.insertRow(0, self.tr("Program &name:"), self.name)
        buttons = QHBoxLayout()
        buttons.addWidget(self.create_button)
        buttons.addWidget(self.progress)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(intro)
        layout.addSpacing(6)
        layout.addWidget(self.chooser)
        layout.addLayout(buttons)
        layout.addWidget(self.status)
        layout.addWidget(self.error)
        layout.addStretch(1)
        QWidget.setTabOrder(self.name, self.chooser.first)
        QWidget.setTabOrder(self.chooser.first, self.chooser.second)
        QWidget.setTabOrder(self.chooser.second, self.create_button)

        self.name.textChanged.connect(self._refresh)
        self.chooser.changed.connect(self._refresh)
        self.create_button.clicked.connect(self.create_profile)
        self.name.returnPressed.connect(self.create_profile)
        self.chooser.second.returnPressed.connect(self.create_profile)
        self._refresh()

    # -- state ------------------------------------------------------------------------------
    def is_ready(self) -> bool:
        return (not self._busy and not self._done and bool(self.name.text().strip())
                and self.chooser.is_acceptable())

    def is_busy(self) -> bool:
        return self._busy

    def is_done(self) -> bool:
        return self._done

    def _refresh(self) -> None:
        self.create_button.setEnabled(self.is_ready())
        self.ready_changed.emit()

    def _set_busy(self, busy: bool) -> None:
        self._busy = busy
        for widget in (self.name, self.chooser):
            widget.setEnabled(not busy and not self._done)
        self.progress.setVisible(busy)
        self._refresh()
        self.busy_changed.emit(busy)

    def focus_first(self) -> None:
        self.name.setFocus(Qt.FocusReason.OtherFocusReason)

    # -- creation ---------------------------------------------------------------------------
    def create_profile(self) -> None:
        if not self.is_ready():
            return
        folder, profile = self._folder, self._kdf_profile
        passphrase = self.chooser.passphrase()
        name = " ".join(self.name.text().split())
        self.error.hide()
        self.status.setText(self.tr(
            "Creating your profile\u2026 (a few seconds: the passphrase is stretched so it "
            "is slow to guess)"))
        self._set_busy(True)
        run_task(lambda: SupervisorProfile.create(folder, passphrase, name, profile),
                 self._created, self._failed)

    def _created(self, opened: SupervisorProfile) -> None:
        self._done = True
        self.chooser.clear()
        self._set_busy(False)
        self.status.setText(self.tr("Your supervisor profile is ready."))
        self.created.emit(opened)

    def _failed(self, exc: BaseException) -> None:
        log.warning("supervisor profile creation failed: %s", hygiene.describe_exception(exc))
        self._set_busy(False)
        self.status.clear()
        self.error.setText(self.creation_error_message(exc))
        self.error.show()

    def creation_error_message(self, exc: BaseException) -> str:
        if isinstance(exc, ProfileExistsError):
            return self.tr(
                "This folder already holds a supervisor profile or a peer supporter's vault, "
                "so nothing was created and nothing was overwritten. A supervisor profile "
                "needs a folder of its own.")
        if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
            return self.tr("The disk is full, so the profile could not be saved. Free some "
                           "space, then press Create profile again.")
        if isinstance(exc, OSError):
            return self.tr("The profile could not be saved ({reason}). Check the disk, then "
                           "press Create profile again.").format(
                reason=exc.strerror or type(exc).__name__)
        return self.tr("Something went wrong and the profile was not created ({kind}). "
                       "Press Create profile to try again.").format(kind=type(exc).__name__)


__all__ = ["SupervisorSetup"]
