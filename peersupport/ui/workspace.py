"""The unlocked workspace: navigation and the places later features fill in.

Created on unlock and destroyed on lock, so nothing it ever displayed outlives the session.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QHBoxLayout,
    QListWidget,
    QListWidgetItem,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from peersupport.ui import style

SECTIONS = (
    ("checkins", "Check-ins",
     "Log a confidential contact in under a minute, and find it again by officer, incident "
     "or a word in your notes. Everything identifying is sealed with your key."),
    ("followups", "Follow-ups",
     "Reminders timed from the incident - 24 hours, 72 hours, a week, a month, the "
     "anniversary - shown without a name where someone else could read it."),
    ("requests", "Requests",
     "Follow-up requests officers leave for you, readable only by you, urgent ones first."),
    ("statistics", "Statistics",
     "Your own counts, and a preview of exactly what an anonymized, suppressed report to "
     "your program would contain before anything leaves this laptop."),
)


class PlaceholderPage(QWidget):
    def __init__(self, title: str, text: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(32, 28, 32, 28)
        layout.addWidget(style.heading(title, self, 1.5))
        body = style.muted(text, self)
        body.setMaximumWidth(640)
        layout.addWidget(body)
        layout.addSpacing(12)
        layout.addWidget(style.muted(self.tr("This part arrives in a coming release."), self))
        layout.addStretch(1)


class Workspace(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("workspace")
        self.nav = QListWidget(self)
        self.nav.setAccessibleName(self.tr("Sections"))
        self.nav.setFixedWidth(190)
        self.nav.setSpacing(2)
        self.pages = QStackedWidget(self)
        for key, title, text in SECTIONS:
            item = QListWidgetItem(self.tr(title))
            item.setData(Qt.ItemDataRole.UserRole, key)
            item.setSizeHint(item.sizeHint().expandedTo(self.nav.fontMetrics().size(0, "Xg") * 2))
            self.nav.addItem(item)
            self.pages.addWidget(PlaceholderPage(self.tr(title), self.tr(text), self.pages))
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.nav)
        layout.addWidget(self.pages, 1)
        self.nav.currentRowChanged.connect(self.pages.setCurrentIndex)
        self.nav.setCurrentRow(0)

    def show_section(self, key: str) -> None:
        for row in range(self.nav.count()):
            if self.nav.item(row).data(Qt.ItemDataRole.UserRole) == key:
                self.nav.setCurrentRow(row)
