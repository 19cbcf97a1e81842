"""The detail pane beside the check-ins table: every field of one check-in, with labels."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import (
    QBoxLayout,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from peersupport.domain import codes
from peersupport.ui import style
from peersupport.ui.presentation import UNKNOWN_OFFICER, format_when_long, label, record_label

if TYPE_CHECKING:
    from peersupport.services.checkins import CheckinDetail

FIELDS = (
    ("officer", "Officer"),
    ("group", "Group"),
    ("incident", "Incident"),
    ("incident_ref", "Reference"),
    ("contact", "Contact"),
    ("initiated_by", "Initiated by"),
    ("recipient", "Recipient"),
    ("duration", "Duration"),
    ("referrals", "Referrals"),
    ("providers", "Providers"),
    ("risk", "Risk"),
    ("exceptions", "Exceptions"),
    ("follow_up", "Follow-up"),
)
OPTIONAL = frozenset({"group", "incident_ref", "providers", "exceptions"})


class CheckinDetailPane(QWidget):
    edit_requested = Signal(str)
    delete_requested = Signal(str)
    hold_requested = Signal(str, bool)  # the check-in, and whether to place (True) or lift

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._id: str | None = None
        self._own_hold = False  # held itself (not only through one of its officers)
        self.setMinimumWidth(280)

        self.placeholder = style.muted(self.tr("Select a check-in to see it here."), self)
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)

        self.title = style.heading("", self, 1.2)
        self.title.setTextFormat(Qt.TextFormat.PlainText)
        self.status = style.error_label(self)
        self.status.setTextFormat(Qt.TextFormat.PlainText)
        self.hold_label = QLabel(self.tr(
            "Legal hold: this check-in cannot be deleted, and its notes do not expire, until "
            "the hold is lifted."), self)
        self.hold_label.setWordWrap(True)
        self.hold_label.setAccessibleName(self.tr("Legal hold"))
        self.hold_label.setVisible(False)
        self.hold_button = QPushButton(self.tr("Place legal &hold"), self)
        self.hold_button.clicked.connect(self._hold)
        self.hold_row = QWidget(self)
        hold_layout = QHBoxLayout(self.hold_row)
        hold_layout.setContentsMargins(0, 2, 0, 6)
        hold_layout.setSpacing(10)
        hold_layout.addWidget(self.hold_label, 1)
        hold_layout.addWidget(self.hold_button, 0, Qt.AlignmentFlag.AlignTop)

        form_widget = self._form_widget = QWidget(self)
        self.form = QFormLayout(form_widget)
        self.form.setContentsMargins(0, 0, 6, 0)
        self.form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.DontWrapRows)
        self.form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.form.setLabelAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.form.setHorizontalSpacing(14)
        self.form.setVerticalSpacing(6)
        self.values: dict[str, QLabel] = {}
        for key, title in FIELDS:
            value = record_label(form_widget)
            value.setAccessibleName(self.tr(title))
            self.values[key] = value
            self.form.addRow(style.muted(self.tr(title), form_widget), value)
        self.scroller = QScrollArea(self)
        self.scroller.setWidget(form_widget)
        self.scroller.setWidgetResizable(True)
        self.scroller.setFrameShape(QFrame.Shape.NoFrame)
        self.scroller.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)

        self.notes_box = QWidget(self)
        self.notes_title = style.heading(self.tr("Notes"), self.notes_box, 1.0)
        self.notes = QPlainTextEdit(self.notes_box)
        self.notes.setReadOnly(True)
        self.notes.setAccessibleName(self.tr("Notes"))
        self.notes.setMinimumHeight(70)
        self.notes.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByMouse
            | Qt.TextInteractionFlag.TextSelectableByKeyboard
        )
        notes_layout = QVBoxLayout(self.notes_box)
        notes_layout.setContentsMargins(0, 0, 0, 0)
        notes_layout.setSpacing(4)
        notes_layout.addWidget(self.notes_title)
        notes_layout.addWidget(self.notes, 1)
        # Form above notes in a tall pane; side by side in a wide, short one.
        self.body = QBoxLayout(QBoxLayout.Direction.TopToBottom)
        self.body.setSpacing(10)
        self.body.addWidget(self.scroller, 0)
        self.body.addWidget(self.notes_box, 1)
        self._arrange(wide=False)

        self.edit_button = QPushButton(self.tr("&Edit…"), self)
        self.edit_button.setToolTip(self.tr("Edit this check-in (Enter in the list)"))
        self.edit_button.clicked.connect(self._edit)
        self.delete_button = QPushButton(self.tr("&Delete…"), self)
        self.delete_button.setToolTip(self.tr("Delete this check-in (Delete in the list)"))
        self.delete_button.clicked.connect(self._delete)
        heading = QHBoxLayout()
        heading.addWidget(self.title, 1)
        heading.addWidget(self.edit_button)
        heading.addWidget(self.delete_button)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(14, 10, 10, 10)
        layout.addWidget(self.placeholder, 1)
        layout.addLayout(heading)
        layout.addWidget(self.status)
        layout.addWidget(self.hold_row)
        layout.addLayout(self.body, 1)
        self.show_empty()

    # -- states ---------------------------------------------------------------------------
    def current_id(self) -> str | None:
        return self._id

    def show_empty(self, text: str | None = None) -> None:
        self._wipe()
        self.placeholder.setText(text or self.tr("Select a check-in to see it here."))
        self._set_mode(content=False)

    def show_loading(self, checkin_id: str) -> None:
        if checkin_id != self._id:
            self._wipe()
            self._id = checkin_id
            self.placeholder.setText(self.tr("Opening…"))
            self._set_mode(content=False)

    def show_damaged(self, checkin_id: str) -> None:
        """The record failed authentication: say so, show nothing of it, allow deleting it."""
        self._wipe()
        self._id = checkin_id
        self.status.setText(self.tr(
            "This check-in failed its integrity check: it may have been changed outside "
            "this app, so its details are not shown. “peersupport verify” lists every "
            "damaged record."
        ))
        self.status.setVisible(True)
        self.title.setText(self.tr("Damaged check-in"))
        self._set_mode(content=True)
        self.scroller.setVisible(False)
        self.notes_box.setVisible(False)
        self.edit_button.setEnabled(False)
        self.hold_row.setVisible(False)  # whether it is held is not known here

    def show_detail(self, detail: CheckinDetail) -> None:
        c = detail.checkin
        self._wipe()
        self._id = c.id
        self.title.setText(format_when_long(c.occurred_at))
        officer = ""
        if detail.officer is not None:
            officer = detail.officer.alias
            if detail.officer.full_name:
                officer += f" ({detail.officer.full_name})"
        elif c.officer_id is not None:
            officer = self.tr(UNKNOWN_OFFICER)
        group = []
        if c.headcount:
            group.append(self.tr("{n} people").format(n=c.headcount))
        if detail.group_officers:
            group.append(", ".join(o.alias for o in detail.group_officers))
        risk = label(codes.RISK_LEVELS, c.risk_level)
        values = {
            "officer": officer or "—",
            "group": "; ".join(group),
            "incident": label(codes.INCIDENT_CATEGORIES, c.incident_category),
            "incident_ref": c.incident_ref,
            "contact": label(codes.CONTACT_TYPES, c.contact_type),
            "initiated_by": label(codes.INITIATED_BY, c.initiated_by),
            "recipient": label(codes.RECIPIENT_CLASSES, c.recipient_class),
            "duration": self.tr("{n} min").format(n=c.duration_minutes),
            "referrals": ", ".join(label(codes.REFERRAL_TYPES, r) for r in c.referrals) or "—",
            "providers": c.referral_providers,
            "risk": risk,
            "exceptions": "\n".join(
                "• " + label(codes.EXCEPTION_FLAGS, e) for e in c.exceptions
            ),
            "follow_up": self.tr("Wanted") if c.follow_up else self.tr("Not needed"),
        }
        for key, text in values.items():
            self.values[key].setText(text)
            self.form.setRowVisible(self.values[key], bool(text) or key not in OPTIONAL)
        style.set_text_colour(
            self.values["risk"],
            style.error_colour() if c.risk_level in codes.HIGH_RISK else None,
        )
        self.notes.setPlainText(c.notes or "")
        self.notes.setPlaceholderText(self.tr("No notes."))
        self._set_mode(content=True)
        self.set_hold(detail.held, detail.held)
        self._fit_form()

    def set_hold(self, held: bool, own: bool) -> None:
        """Whether the check-in is under a legal hold, and whether the hold is its own (which
        the button lifts) rather than only through one of its officers."""
        self._own_hold = own
        self.hold_label.setText(self.tr(
            "Legal hold: this check-in cannot be deleted, and its notes do not expire, until "
            "the hold is lifted.") if own or not held else self.tr(
            "Legal hold (through one of its officers): this check-in cannot be deleted, and "
            "its notes do not expire, until the officer's hold is lifted on the Officers "
            "page."))
        self.hold_label.setVisible(held)
        self.hold_button.setText(
            self.tr("Lift legal &hold…") if own else self.tr("Place legal &hold"))
        self.hold_button.setAccessibleName(
            self.hold_button.text().replace("&", "").replace("…", ""))
        self.hold_button.setToolTip(self.tr(
            "Allow deleting this check-in, and its notes to expire, again") if own else
            self.tr("Keep this check-in from being deleted or expired (a legal hold)"))
        self.hold_button.setEnabled(True)

    def is_held(self) -> bool:
        return not self.hold_label.isHidden()

    def set_hold_busy(self, busy: bool) -> None:
        self.hold_button.setEnabled(not busy)

    def clear(self) -> None:
        self.show_empty()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        wide = event.size().width() >= max(560, int(event.size().height() * 1.6))
        direction = QBoxLayout.Direction.LeftToRight if wide else QBoxLayout.Direction.TopToBottom
        if self.body.direction() != direction:
            self._arrange(wide)
        self._fit_form()

    def _fit_form(self) -> None:
        """Above the notes, the form takes the height it needs and no more."""
        if self.body.direction() == QBoxLayout.Direction.LeftToRight:
            self.scroller.setMaximumHeight(16_777_215)
            return
        form = self._form_widget
        width = max(self.scroller.viewport().width(), 200)
        needed = form.heightForWidth(width)
        self.scroller.setMaximumHeight((needed if needed > 0 else form.sizeHint().height()) + 2)

    def _arrange(self, wide: bool) -> None:
        self.body.setDirection(
            QBoxLayout.Direction.LeftToRight if wide else QBoxLayout.Direction.TopToBottom
        )
        self.body.setStretch(0, 1 if wide else 0)
        self.scroller.setSizePolicy(
            QSizePolicy.Policy.Expanding,
            QSizePolicy.Policy.Expanding if wide else QSizePolicy.Policy.Maximum,
        )

    # -- internals --------------------------------------------------------------------------
    def _wipe(self) -> None:
        self._id = None
        self.title.clear()
        self.status.clear()
        self.status.setVisible(False)
        self.set_hold(False, False)
        for value in self.values.values():
            value.clear()
        self.notes.clear()
        self.notes.document().clearUndoRedoStacks()
        self.edit_button.setEnabled(True)

    def _set_mode(self, content: bool) -> None:
        self.placeholder.setVisible(not content)
        self.title.setVisible(content)
        self.scroller.setVisible(content)
        self.notes_box.setVisible(content)
        self.scroller.verticalScrollBar().setValue(0)
        self.edit_button.setVisible(content)
        self.delete_button.setVisible(content)
        self.hold_row.setVisible(content)

    def _edit(self) -> None:
        if self._id is not None:
            self.edit_requested.emit(self._id)

    def _hold(self) -> None:
        if self._id is not None:
            self.hold_requested.emit(self._id, not self._own_hold)

    def _delete(self) -> None:
        if self._id is not None:
            self.delete_requested.emit(self._id)
