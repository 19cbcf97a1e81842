"""Small dialogs: About, Preferences and the unexpected-error message."""

from __future__ import annotations

import platform
from pathlib import Path

from PySide6 import __version__ as pyside_version
from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QMessageBox,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from peersupport import __version__
from peersupport.settings import IDLE_MINUTES_MAX, IDLE_MINUTES_MIN, Settings
from peersupport.ui import style
from peersupport.ui.icons import app_icon


class AboutDialog(QDialog):
    def __init__(self, data_root: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("About Peer Support"))
        icon = QLabel(self)
        icon.setPixmap(app_icon().pixmap(64, 64))
        text = QLabel(self)
        text.setTextFormat(Qt.TextFormat.RichText)
        text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        text.setWordWrap(True)
        text.setText(self.tr(
            "<h3>Peer Support {version}</h3>"
            "<p>Confidential check-ins and follow-ups for law-enforcement peer supporters.</p>"
            "<p>Licence: GNU General Public License, version 3 or later.</p>"
            "<p>Your vault lives in:<br><code>{root}</code></p>"
            "<p>Python {py} · Qt for Python {qt}</p>"
        ).format(
            version=__version__, root=str(data_root), py=platform.python_version(),
            qt=pyside_version,
        ))
        text.setAccessibleName(self.tr("About this application"))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(icon)
        layout.addWidget(text)
        layout.addWidget(buttons)
        self.setMinimumWidth(440)
        self.text = text


class PreferencesDialog(QDialog):
    def __init__(self, settings: Settings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Preferences"))
        self.idle = QSpinBox(self)
        self.idle.setRange(IDLE_MINUTES_MIN, IDLE_MINUTES_MAX)
        self.idle.setSuffix(self.tr(" min"))
        self.idle.setValue(settings.idle_lock_minutes)
        self.idle.setAccessibleName(self.tr("Lock after idle minutes"))
        self.idle.setMaximumWidth(110)
        self.screen_lock = QCheckBox(
            self.tr("Lock when the computer locks its screen or goes to sleep"), self
        )
        self.screen_lock.setChecked(settings.lock_on_screen_lock)
        self.screen_lock.setAccessibleName(self.tr("Lock with the screen"))
        form = QFormLayout()
        form.addRow(self.tr("&Lock after being idle for:"), self.idle)
        form.addRow("", self.screen_lock)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(style.muted(self.tr(
            "These settings are stored on this computer without any record data."), self))
        layout.addLayout(form)
        layout.addWidget(buttons)
        self._base = settings

    def result_settings(self) -> Settings:
        return self._base._replace(
            idle_lock_minutes=self.idle.value(),
            lock_on_screen_lock=self.screen_lock.isChecked(),
        ).validated()


def _t(text: str) -> str:
    return QCoreApplication.translate("ErrorDialog", text)


def unexpected_error_box(kind: str, log_path: Path | None, parent: QWidget | None) -> QMessageBox:
    """Says what kind of error happened; never shows or writes record data."""
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Critical)
    box.setWindowTitle(_t("Something went wrong"))
    box.setText(_t("Peer Support ran into an unexpected problem ({kind}).").format(
        kind=kind))
    where = f"\n\n{log_path}" if log_path else ""
    box.setInformativeText(_t(
        "Your saved records are not affected. No record data is shown here or written to "
        "the log. If it happens again, please report the error type and the log file:"
    ) + where)
    box.setStandardButtons(QMessageBox.StandardButton.Ok)
    return box
