"""The right side of the officers page: who the officer is and their check-ins over time."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from peersupport.domain import codes
from peersupport.ui import style
from peersupport.ui.presentation import (
    RoomyDelegate,
    format_when,
    label,
    plural,
    record_label,
)

if TYPE_CHECKING:
    from peersupport.domain.officer import Officer
    from peersupport.services.checkins import CheckinSummary

IdRole = Qt.ItemDataRole.UserRole + 1
TIMELINE = ("Date", "Incident", "Contact", "Role")


class OfficerDetail(QWidget):
    open_requested = Signal(str)  # a check-in in the timeline was activated

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.placeholder = style.muted(self.tr(
            "Names are hidden. Type part of a name, or choose Show names, then select an "
            "officer to see their check-ins."), self)
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)

        self.title = style.heading("", self, 1.3)
        self.title.setTextFormat(Qt.TextFormat.PlainText)
        self.merge_button = QPushButton(self.tr("&Merge into…"), self)
        self.merge_button.setToolTip(self.tr(
            "This officer was entered twice: move their check-ins to the other entry"))
        self.forget_button = QPushButton(self.tr("&Forget this officer…"), self)
        self.forget_button.setToolTip(self.tr("Delete this officer and every check-in with them"))
        heading = QHBoxLayout()
        heading.addWidget(self.title, 1)
        heading.addWidget(self.merge_button)
        heading.addWidget(self.forget_button)

        form = QFormLayout()
        form.setHorizontalSpacing(14)
        self.full_name = record_label(self)
        self.contact = record_label(self)
        self.notice = record_label(self)
        self.notes = record_label(self)
        for title, value in ((self.tr("Full name"), self.full_name),
                             (self.tr("Contact"), self.contact),
                             (self.tr("Notice"), self.notice),
                             (self.tr("Notes"), self.notes)):
            value.setAccessibleName(title)
            form.addRow(style.muted(title, self), value)

        # line-of-duty death: never schedule contacting them
        self.deceased_state = QLabel(self)
        self.deceased_state.setWordWrap(True)
        self.deceased_state.setAccessibleName(self.tr("Deceased"))
        self.deceased_button = QPushButton(self.tr("Mark as &deceased (line-of-duty death)…"),
                                           self)
        self.deceased_button.setAccessibleName(self.tr("Mark as deceased (line-of-duty death)"))
        self.deceased_button.setToolTip(self.tr(
            "Never schedule contacting this officer; turn their pending follow-ups into family "
            "or colleague support, or cancel them"))
        self.undo_deceased_button = QPushButton(self.tr("&Undo mark"), self)
        self.undo_deceased_button.setAccessibleName(self.tr("Undo the deceased mark"))
        self.undo_deceased_button.setToolTip(self.tr(
            "Remove a mistaken mark; follow-ups already changed stay as they are"))
        deceased = QHBoxLayout()
        deceased.addWidget(self.deceased_button, 0, Qt.AlignmentFlag.AlignLeft)
        deceased.addWidget(self.deceased_state, 1)
        deceased.addWidget(self.undo_deceased_button, 0, Qt.AlignmentFlag.AlignTop)
        self.set_deceased(None)
        self.hold_state = QLabel(self.tr(
            "Legal hold: this officer and their check-ins cannot be deleted, forgotten, "
            "merged away or expired until the hold is lifted."), self)
        self.hold_state.setWordWrap(True)
        self.hold_state.setAccessibleName(self.tr("Legal hold"))
        self.hold_state.setVisible(False)
        self.hold_button = QPushButton(self.tr("Place legal &hold"), self)
        hold = QHBoxLayout()
        hold.addWidget(self.hold_state, 1)
        hold.addWidget(self.hold_button, 0, Qt.AlignmentFlag.AlignTop)

        self.timeline_title = style.heading(self.tr("Check-ins"), self, 1.0)
        self.timeline = QTreeWidget(self)
        self.timeline.setAccessibleName(self.tr("Check-ins with this officer"))
        self.timeline.setHeaderLabels([self.tr(t) for t in TIMELINE])
        self.timeline.setRootIsDecorated(False)
        self.timeline.setUniformRowHeights(True)
        self.timeline.setAlternatingRowColors(True)
        self.timeline.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.timeline.setItemDelegate(RoomyDelegate(self.timeline))
        self.timeline.itemActivated.connect(self._activated)
        header = self.timeline.header()
        header.setStretchLastSection(False)
        fm = self.fontMetrics()
        header.resizeSection(0, fm.horizontalAdvance("30 Sep 2025 23:59") + 20)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        header.resizeSection(3, fm.horizontalAdvance("In group") + 24)

        self.content = QWidget(self)
        content = QVBoxLayout(self.content)
        content.setContentsMargins(0, 0, 0, 0)
        content.addLayout(heading)
        content.addLayout(form)
        content.addLayout(deceased)
        content.addLayout(hold)
        content.addSpacing(6)
        content.addWidget(self.timeline_title)
        content.addWidget(self.timeline, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(14, 0, 0, 0)
        layout.addWidget(self.placeholder, 1)
        layout.addWidget(self.content, 1)
        self.show_officer(None)

    def show_officer(self, officer: Officer | None) -> None:
        self.placeholder.setVisible(officer is None)
        self.content.setVisible(officer is not None)
        self.timeline.clear()
        self.set_deceased(None)
        self.set_held(False)
        if officer is None:
            for value in (self.title, self.full_name, self.contact, self.notice, self.notes):
                value.clear()
            return
        self.title.setText(officer.alias)
        self.full_name.setText(officer.full_name or "—")
        self.contact.setText(officer.contact or "—")
        self.notice.setText(
            self.tr("Confidentiality notice given {when}").format(
                when=format_when(officer.notice_given_at))
            if officer.notice_given_at else self.tr("Not recorded yet")
        )
        self.notes.setText(officer.notes or "—")
        self.timeline_title.setText(self.tr("Check-ins (loading…)"))

    def show_timeline(self, officer_id: str, rows: list[CheckinSummary]) -> None:
        self.timeline.clear()
        self.timeline_title.setText(plural(len(rows), "{n} check-in", "{n} check-ins"))
        items = []
        for s in rows:
            item = QTreeWidgetItem([
                format_when(s.occurred_at),
                label(codes.INCIDENT_CATEGORIES, s.incident_category),
                label(codes.CONTACT_TYPES, s.contact_type),
                self.tr("Main") if s.officer_id == officer_id else self.tr("In group"),
            ])
            item.setData(0, IdRole, s.id)
            item.setToolTip(1, item.text(1))
            item.setToolTip(2, item.text(2))
            items.append(item)
        self.timeline.addTopLevelItems(items)

    def set_deceased(self, deceased: bool | None, outcome: str = "") -> None:
        """Whether the officer is marked deceased (None while that is not known yet), and
        what marking them just did to their follow-ups."""
        self.deceased_state.setVisible(deceased is True)
        text = self.tr("Deceased (line-of-duty death). No contact with this officer is "
                       "scheduled.") if deceased else ""
        self.deceased_state.setText(f"{text} {outcome}".strip() if deceased else "")
        self.undo_deceased_button.setVisible(deceased is True)
        self.deceased_button.setVisible(deceased is False)
        self._deceased = deceased

    def set_held(self, held: bool) -> None:
        """Whether the officer is under a legal hold."""
        self.hold_state.setVisible(held)
        self.hold_button.setText(
            self.tr("Lift legal &hold…") if held else self.tr("Place legal &hold"))
        self.hold_button.setAccessibleName(
            self.hold_button.text().replace("&", "").replace("…", ""))
        self.hold_button.setToolTip(self.tr(
            "Allow deleting, forgetting, merging and expiry of this officer again") if held
            else self.tr("Keep this officer and their check-ins from being deleted, "
                         "forgotten, merged away or expired (a legal hold)"))

    def is_held(self) -> bool:
        return not self.hold_state.isHidden()

    def is_deceased(self) -> bool | None:
        return self._deceased

    def set_busy(self, busy: bool) -> None:
        for button in (self.merge_button, self.forget_button, self.deceased_button,
                       self.undo_deceased_button, self.hold_button):
            button.setEnabled(not busy)

    def clear(self) -> None:
        self.show_officer(None)

    def _activated(self, item: QTreeWidgetItem, _column: int) -> None:
        checkin_id = item.data(0, IdRole)
        if checkin_id:
            self.open_requested.emit(checkin_id)
