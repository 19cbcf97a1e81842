"""How the check-in form looks: its widgets, three columns and tab order. No behaviour here;
``CheckinForm`` (checkin_form.py) adds what happens when the supporter types and saves."""

from __future__ import annotations

import itertools
from collections.abc import Iterable

from PySide6.QtCore import QLocale
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateTimeEdit,
    QDialog,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from peersupport.domain import codes
from peersupport.domain.checkin import MAX_DURATION_MINUTES, MAX_HEADCOUNT, MAX_SHORT_TEXT
from peersupport.ui import style
from peersupport.ui.checkin_form_widgets import CheckList, FieldBox, GuidanceBox
from peersupport.ui.lock_screen import SENSITIVE_HINTS

PREFERRED_SIZE = (1180, 680)


def _date_time_format() -> str:
    locale = QLocale()
    date = locale.dateFormat(QLocale.FormatType.ShortFormat)
    if "yyyy" not in date:
        date = date.replace("yy", "yyyy")
    return f"ddd {date}  {locale.timeFormat(QLocale.FormatType.ShortFormat)}"


class _DateTimeEdit(QDateTimeEdit):
    """Tab leaves the field instead of walking through its sections (day, month, ...)."""

    def focusNextPrevChild(self, next: bool) -> bool:
        return QWidget.focusNextPrevChild(self, next)


def _combo(items: codes.Codes, accessible_name: str, placeholder: str = "") -> QComboBox:
    combo = QComboBox()
    for code, label in items.items():
        combo.addItem(label, code)
    combo.setAccessibleName(accessible_name)
    combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
    combo.setMinimumContentsLength(22)
    combo.setMaxVisibleItems(len(items))
    if placeholder:
        combo.setPlaceholderText(placeholder)
    return combo


def _line(accessible_name: str, placeholder: str = "", *, sensitive: bool = True) -> QLineEdit:
    edit = QLineEdit()
    edit.setAccessibleName(accessible_name)
    edit.setMaxLength(MAX_SHORT_TEXT)
    edit.setPlaceholderText(placeholder)
    if sensitive:
        edit.setInputMethodHints(SENSITIVE_HINTS)
    return edit


def _label(text: str, buddy: QWidget | None) -> QLabel:
    label = QLabel(text)
    if buddy is not None:
        label.setBuddy(buddy)
    return label


class CheckinFormLayout(QDialog):
    """The form's widgets, laid out. ``_boxes`` maps validation keys to their fields."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("checkinForm")
        self._build()

    def _build(self) -> None:
        self._boxes: dict[str, FieldBox] = {}

        # column 1: the contact
        self.when = _DateTimeEdit()
        self.when.setCalendarPopup(True)
        self.when.setDisplayFormat(_date_time_format())
        self.when.setAccessibleName(self.tr("Date and time of the contact"))
        self.zone = style.muted("")
        self.zone.setAccessibleName(self.tr("Time zone"))
        self.officer = QComboBox()
        self.officer.setEditable(True)
        self.officer.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.officer.setAccessibleName(self.tr("Officer"))
        self.officer.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.officer.setMinimumContentsLength(22)
        self.officer.setMaxVisibleItems(12)
        self.officer.setInputMethodHints(SENSITIVE_HINTS)  # the combo box passes it on
        line = self.officer.lineEdit()
        assert line is not None
        self.officer_line: QLineEdit = line
        line.setMaxLength(MAX_SHORT_TEXT)
        line.setInputMethodHints(SENSITIVE_HINTS)
        line.setPlaceholderText(self.tr("Alias: type to find or add"))
        line.setAccessibleName(self.tr("Officer alias"))
        self.officer_hint = style.muted("")
        self.officer_hint.setAccessibleName(self.tr("About this officer"))
        self.new_name = _line(self.tr("New officer's full name"), self.tr("Optional"))
        self.new_contact = _line(self.tr("New officer's contact details"),
                                 self.tr("Optional: phone or e-mail"))
        self.notice = QCheckBox(self.tr("I ga&ve this officer the confidentiality notice"))
        self.notice.setAccessibleName(self.tr("I gave this officer the confidentiality notice"))
        self.show_notice = QPushButton(self.tr("Sho&w notice…"))
        self.show_notice.setAccessibleName(self.tr("Show the confidentiality notice"))
        self.category = _combo(codes.INCIDENT_CATEGORIES, self.tr("Incident category"),
                               self.tr("Choose…"))
        self.contact_type = _combo(codes.CONTACT_TYPES, self.tr("Contact type"))
        self.initiated_by = _combo(codes.INITIATED_BY, self.tr("Initiated by"),
                                   self.tr("Choose…"))
        self.recipient = _combo(codes.RECIPIENT_CLASSES, self.tr("Recipient"))
        self.duration = QSpinBox()
        self.duration.setRange(1, MAX_DURATION_MINUTES)
        self.duration.setSingleStep(5)
        self.duration.setSuffix(self.tr(" min"))
        self.duration.setAccessibleName(self.tr("Duration in minutes"))
        self.headcount = QSpinBox()
        self.headcount.setRange(0, MAX_HEADCOUNT)
        self.headcount.setSpecialValueText(self.tr("Not counted"))
        self.headcount.setAccessibleName(self.tr("Headcount of the group"))
        self.group_officers = CheckList(self.tr("Officers in the group"), max_rows=5)
        self.incident_ref = _line(self.tr("Incident reference"),
                                  self.tr("Optional: case or CAD number"))
        for spin in (self.duration, self.headcount):
            spin.setMaximumWidth(160)

        contact = QFormLayout()
        contact.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        contact.setVerticalSpacing(8)
        self._contact_form = contact
        when_box = self._box("occurred_at", self.when, beside=[self.zone])
        contact.addRow(_label(self.tr("Date and &time:"), self.when), when_box)
        officer_box = self._box("officer", self.officer, below=[self.officer_hint])
        contact.addRow(_label(self.tr("&Officer:"), self.officer), officer_box)
        contact.addRow(_label(self.tr("Full na&me:"), self.new_name), self.new_name)
        contact.addRow(_label(self.tr("Contact &details:"), self.new_contact), self.new_contact)
        notice_box = self._box("notice", self.notice, beside=[self.show_notice])
        contact.addRow(notice_box)
        contact.addRow(_label(self.tr("&Incident:"), self.category),
                       self._box("incident_category", self.category))
        contact.addRow(_label(self.tr("Contact t&ype:"), self.contact_type),
                       self._box("contact_type", self.contact_type))
        contact.addRow(_label(self.tr("Initiated &by:"), self.initiated_by),
                       self._box("initiated_by", self.initiated_by))
        contact.addRow(_label(self.tr("&Recipient:"), self.recipient),
                       self._box("recipient_class", self.recipient))
        contact.addRow(_label(self.tr("D&uration:"), self.duration),
                       self._box("duration_minutes", self.duration))
        contact.addRow(_label(self.tr("&Headcount:"), self.headcount),
                       self._box("headcount", self.headcount))
        contact.addRow(_label(self.tr("&Group officers:"), self.group_officers),
                       self._box("group_officers", self.group_officers))
        contact.addRow(_label(self.tr("In&cident ref.:"), self.incident_ref),
                       self._box("incident_ref", self.incident_ref))

        # column 2: support given and risk
        self.referrals = CheckList(self.tr("Referrals"))
        self.referrals.set_items(codes.REFERRAL_TYPES.items())
        self.providers = _line(self.tr("Referral provider names"),
                               self.tr("Optional: who you referred them to"))
        self.risk = _combo(codes.RISK_LEVELS, self.tr("Risk level"))
        self.risk.setMinimumContentsLength(10)
        self.exceptions = CheckList(self.tr("Confidentiality exceptions"))
        self.exceptions.set_items(codes.EXCEPTION_FLAGS.items())
        support = QVBoxLayout()
        support.setSpacing(4)
        for text, key, editor in (
            (self.tr("Referra&ls:"), "referrals", self.referrals),
            (self.tr("&Provider names:"), "referral_providers", self.providers),
            (self.tr("Ris&k level:"), "risk_level", self.risk),
            (self.tr("Confidentiality e&xceptions:"), "exceptions", self.exceptions),
        ):
            support.addWidget(_label(text, editor))
            support.addWidget(self._box(key, editor))
            support.addSpacing(6)
        support.addStretch(1)

        # column 3: notes, follow-up, guidance
        self.notes = QPlainTextEdit()
        self.notes.setTabChangesFocus(True)
        self.notes.setInputMethodHints(SENSITIVE_HINTS)
        self.notes.setAccessibleName(self.tr("Notes"))
        self.notes.setPlaceholderText(self.tr("What matters for the next contact. Kept sealed."))
        self.notes.setMinimumHeight(140)
        self.follow_up = QCheckBox(self.tr("&Follow-up wanted"))
        self.follow_up.setAccessibleName(self.tr("Follow-up wanted"))
        self.incident_at = _DateTimeEdit()
        self.incident_at.setCalendarPopup(True)
        self.incident_at.setDisplayFormat(_date_time_format())
        self.incident_at.setAccessibleName(self.tr("Incident date and time"))
        self.incident_at.setToolTip(self.tr(
            "Follow-up reminders are timed from the incident: 24 hours, 72 hours, a week..."))
        self.incident_label = _label(self.tr("Incident d&ate and time:"), self.incident_at)
        self.incident_hint = style.muted(self.tr("Reminders are timed from the incident."))
        self.incident_row = QWidget()
        incident_layout = QVBoxLayout(self.incident_row)
        incident_layout.setContentsMargins(24, 0, 0, 0)
        incident_layout.setSpacing(4)
        incident_layout.addWidget(self.incident_label)
        incident_layout.addWidget(self._box("incident_at", self.incident_at,
                                            below=[self.incident_hint]))
        self.incident_row.setVisible(False)
        self.guidance = GuidanceBox()
        notes_col = QVBoxLayout()
        notes_col.setSpacing(4)
        notes_col.addWidget(_label(self.tr("&Notes:"), self.notes))
        notes_col.addWidget(self._box("notes", self.notes), 1)
        notes_col.addWidget(self.follow_up)
        notes_col.addWidget(self.incident_row)
        notes_col.addSpacing(6)
        notes_col.addWidget(self.guidance)

        body = QWidget()
        columns = QHBoxLayout(body)
        columns.setContentsMargins(20, 16, 20, 8)
        columns.setSpacing(28)
        for title, layout, stretch in (
            (self.tr("The contact"), contact, 0),
            (self.tr("Support and risk"), support, 0),
            (self.tr("Notes"), notes_col, 1),
        ):
            column = QWidget(body)
            column_layout = QVBoxLayout(column)
            column_layout.setContentsMargins(0, 0, 0, 0)
            column_layout.setSpacing(10)
            column_layout.addWidget(style.heading(title, column, 1.15))
            column_layout.addLayout(layout, 1)
            if layout is contact:
                column_layout.addStretch(1)
            if stretch == 0:
                # every optional row is still visible here: the widest state sets the width,
                # so the columns do not jump while the supporter types
                column.setMinimumWidth(column.sizeHint().width() + 8)
            columns.addWidget(column, stretch)
        self.body = body
        scroll = QScrollArea(self)
        scroll.setWidget(body)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.scroll_area = scroll

        # buttons
        self.summary = style.error_label()
        self.summary.setAccessibleName(self.tr("Problems with this check-in"))
        keys = style.muted(self.tr("Ctrl+Enter saves · Esc cancels"))
        keys.setWordWrap(False)
        self.save_button = QPushButton(self.tr("&Save"))
        self.save_button.setAccessibleName(self.tr("Save the check-in"))
        self.save_button.setToolTip(self.tr("Save (Ctrl+Enter)"))
        self.cancel_button = QPushButton(self.tr("Cancel"))
        self.cancel_button.setAccessibleName(self.tr("Cancel"))
        self.cancel_button.setToolTip(self.tr("Cancel (Esc)"))
        for button in (self.save_button, self.cancel_button, self.show_notice):
            button.setAutoDefault(False)
            button.setDefault(False)
        self.save_button.setMinimumWidth(110)
        bar = QHBoxLayout()
        bar.setContentsMargins(20, 8, 20, 16)
        bar.addWidget(keys)
        bar.addSpacing(12)
        bar.addWidget(self.summary, 1)
        bar.addStretch(0)
        bar.addWidget(self.cancel_button)
        bar.addWidget(self.save_button)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(0)
        outer.addWidget(scroll, 1)
        outer.addLayout(bar)

        order = [
            self.when, self.officer, self.new_name, self.new_contact, self.notice,
            self.show_notice, self.category, self.contact_type, self.initiated_by,
            self.recipient, self.duration, self.headcount, self.group_officers,
            self.incident_ref, self.referrals, self.providers, self.risk, self.exceptions,
            self.notes, self.follow_up, self.incident_at, self.save_button, self.cancel_button,
        ]
        for first, second in itertools.pairwise(order):
            QWidget.setTabOrder(first, second)

    def _box(
        self, key: str, editor: QWidget, *,
        beside: Iterable[QWidget] = (), below: Iterable[QWidget] = (),
    ) -> FieldBox:
        box = FieldBox(editor, beside=beside, below=below)
        self._boxes[key] = box
        return box

    def _fit_to_screen(self) -> None:
        """Room for the tallest usual state (new officer, group, guidance) without scrolling
        on a 1366x768 laptop; smaller screens scroll instead of squeezing the fields."""
        width, height = PREFERRED_SIZE
        screen = (self.parentWidget() or self).screen()
        if screen is not None:
            room = screen.availableGeometry()
            width = min(width, room.width() - 40)
            height = min(height, room.height() - 60)
        self.setMinimumSize(min(width, 760), min(height, 480))
        self.resize(width, height)
