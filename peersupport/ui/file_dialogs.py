"""File choosers that leave no trace of where the user saved sensitive files.

Qt's own file dialog remembers the last folder and a history in ``QtProject.conf``; a folder
name can say more than it should, so that record is removed as soon as the dialog closes.
"""

from __future__ import annotations

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QFileDialog, QWidget


def forget_file_dialog_history() -> None:
    qt_settings = QSettings(QSettings.Scope.UserScope, "QtProject")
    qt_settings.remove("FileDialog")
    qt_settings.sync()


def save_file_name(parent: QWidget | None, title: str, suggested: str, filters: str) -> str:
    try:
        path, _ = QFileDialog.getSaveFileName(parent, title, suggested, filters)
    finally:
        forget_file_dialog_history()
    return path
