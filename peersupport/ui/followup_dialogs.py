"""Dialogs of the follow-ups section: a date and time, stopping a plan, a milestone, a plan's
details, and marking an officer deceased.

Times are edited as wall-clock time in the follow-up time zone (the one plans are computed in),
whatever the machine's zone, and handed back timezone-aware. Nothing here shows an incident
category.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, time, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from PySide6.QtCore import QDate, QDateTime, Qt, QTime, QTimeZone, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QButtonGroup,
    QComboBox,
    QDateTimeEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from peersupport.domain.followup import (
    AUDIENCE_FAMILY,
    CANCELLED,
    COVERED,
    DECEASED_CANCEL,
    DECEASED_CONVERT,
    DONE,
    MAX_REASON,
    MILESTONE,
    MILESTONE_KINDS,
    PENDING,
    REQUESTED,
    SKIPPED,
    STOPPED,
)
from peersupport.services.followups import PlanError, RecordNotFoundError
from peersupport.ui import style
from peersupport.ui.presentation import RoomyDelegate, format_when

if TYPE_CHECKING:
    from peersupport.domain.followup import Plan, Step
    from peersupport.services.followups import FollowupService

DEFAULT_STOP_REASON = "The officer declined further contact."
LEADS = (
    ("No reminder before", timedelta(0)),
    ("1 day before", timedelta(days=1)),
    ("3 days before", timedelta(days=3)),
    ("1 week before", timedelta(weeks=1)),
)
STATE_LABELS = {
    PENDING: "Pending",
    DONE: "Done",
    COVERED: "Covered by a contact",
    SKIPPED: "Skipped",
    STOPPED: "Stopped",
    CANCELLED: "Cancelled",
}
StepRole = Qt.ItemDataRole.UserRole + 1


def error_text(exc: BaseException) -> str:
    """A plan's own explanations are shown as they are; anything else by its type only."""
    if isinstance(exc, PlanError | RecordNotFoundError):
        return str(exc)
    return f"That did not work ({type(exc).__name__}). Nothing was changed."


def _wall(when: datetime, zone: ZoneInfo) -> QDateTime:
    """``when`` as its wall-clock time in ``zone``, carried in a UTC QDateTime so that Qt
    never shifts it by the machine's own offset."""
    local = when.astimezone(zone)
    return QDateTime(QDate(local.year, local.month, local.day),
                     QTime(local.hour, local.minute), QTimeZone.utc())


def _from_wall(value: QDateTime, zone: ZoneInfo) -> datetime:
    d, t = value.date(), value.time()
    return datetime(d.year(), d.month(), d.day(), t.hour(), t.minute(), tzinfo=zone)


class WallClockEdit(QDateTimeEdit):
    """A date and time in a given zone. Tab leaves it instead of walking its sections."""

    def __init__(self, zone: ZoneInfo, when: datetime, accessible_name: str,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._zone = zone
        self.setTimeZone(QTimeZone.utc())
        self.setCalendarPopup(True)
        self.setDisplayFormat("ddd d MMM yyyy  HH:mm")
        self.setAccessibleName(accessible_name)
        self.set_value(when)

    def value(self) -> datetime:
        return _from_wall(self.dateTime(), self._zone)

    def set_value(self, when: datetime) -> None:
        self.setDateTime(_wall(when, self._zone))

    def set_bounds(self, minimum: datetime | None, maximum: datetime | None) -> None:
        if minimum is not None:
            self.setMinimumDateTime(_wall(minimum, self._zone))
        if maximum is not None:
            self.setMaximumDateTime(_wall(maximum, self._zone))

    def focusNextPrevChild(self, next: bool) -> bool:
        return QWidget.focusNextPrevChild(self, next)


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


def _zone_note(zone: ZoneInfo, parent: QWidget) -> QLabel:
    return style.muted(parent.tr("Times are in {zone}.").format(zone=zone.key), parent)


class DateTimeDialog(QDialog):
    """Pick one date and time (reschedule, snooze until...)."""

    def __init__(
        self, title: str, prompt: str, ok_text: str, zone: ZoneInfo, initial: datetime,
        parent: QWidget | None = None, *, minimum: datetime | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setObjectName("followupDateTimeDialog")
        self.editor = WallClockEdit(zone, initial, title, self)
        self.editor.set_bounds(minimum, None)
        label = QLabel(prompt, self)
        label.setWordWrap(True)
        label.setBuddy(self.editor)
        self.buttons = _buttons(self, ok_text)
        layout = QVBoxLayout(self)
        layout.setSpacing(8)
        layout.addWidget(label)
        layout.addWidget(self.editor)
        layout.addWidget(_zone_note(zone, self))
        layout.addSpacing(6)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(380)

    def value(self) -> datetime:
        return self.editor.value()


class StopPlanDialog(QDialog):
    """Confirm stopping a whole plan, with the reason kept (sealed) in the plan."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Stop this follow-up plan"))
        self.setObjectName("stopPlanDialog")
        text = QLabel(self.tr(
            "Every pending step of this plan ends now and no more reminders come from it. "
            "Check-ins already logged are kept."), self)
        text.setWordWrap(True)
        self.reason = QLineEdit(self.tr(DEFAULT_STOP_REASON), self)
        self.reason.setMaxLength(MAX_REASON)
        self.reason.setAccessibleName(self.tr("Reason for stopping"))
        self.reason.setPlaceholderText(self.tr("Optional"))
        self.reason.setClearButtonEnabled(True)
        reason_label = QLabel(self.tr("&Reason (kept sealed with the plan):"), self)
        reason_label.setBuddy(self.reason)
        self.buttons = _buttons(self, self.tr("&Stop plan"))
        layout = QVBoxLayout(self)
        layout.setSpacing(8)
        layout.addWidget(text)
        layout.addSpacing(4)
        layout.addWidget(reason_label)
        layout.addWidget(self.reason)
        layout.addSpacing(6)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(460)

    def value(self) -> str:
        return self.reason.text().strip()


class MilestoneDialog(QDialog):
    """A court date, return to duty, funeral... with an optional reminder ahead of it."""

    def __init__(self, zone: ZoneInfo, initial: datetime, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Add a milestone"))
        self.setObjectName("milestoneDialog")
        self.kind = QComboBox(self)
        for code, text in MILESTONE_KINDS.items():
            if code == REQUESTED:  # made by accepting an officer's request
                continue
            self.kind.addItem(self.tr(text), code)
        self.kind.setAccessibleName(self.tr("Milestone"))
        start = initial.astimezone(zone)
        day = datetime.combine(start.date() + timedelta(days=7), time(9, 0), tzinfo=zone)
        self.when = WallClockEdit(zone, day, self.tr("Date and time of the milestone"), self)
        self.lead = QComboBox(self)
        for text, delta in LEADS:
            self.lead.addItem(self.tr(text), delta)
        self.lead.setCurrentIndex(1)
        self.lead.setAccessibleName(self.tr("Remind me"))
        form = QFormLayout()
        form.setHorizontalSpacing(12)
        form.setVerticalSpacing(8)
        for text, widget in ((self.tr("&Milestone:"), self.kind),
                             (self.tr("&Date and time:"), self.when),
                             (self.tr("&Remind me:"), self.lead)):
            label = QLabel(text, self)
            label.setBuddy(widget)
            form.addRow(label, widget)
        intro = QLabel(self.tr(
            "A day in this officer's process that may be hard, such as a court date or the "
            "return to duty. The reminder comes ahead of it, or at the time itself."), self)
        intro.setWordWrap(True)
        self.buttons = _buttons(self, self.tr("&Add milestone"))
        layout = QVBoxLayout(self)
        layout.setSpacing(8)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(_zone_note(zone, self))
        layout.addSpacing(6)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(440)

    def value(self) -> tuple[str, datetime, timedelta]:
        return self.kind.currentData(), self.when.value(), self.lead.currentData()


class PlanDetailsDialog(QDialog):
    """Every step of one plan with its state and due time; the incident time; milestones."""

    changed = Signal()  # the plan was changed here

    def __init__(
        self, service: FollowupService, plan_id: str, alias: str, zone: ZoneInfo,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._service = service
        self._plan_id = plan_id
        self._zone = zone
        self._plan: Plan | None = None
        self.setWindowTitle(self.tr("Follow-up plan"))
        self.setObjectName("planDetailsDialog")
        self.title = style.heading(self.tr("Follow-up plan: {alias}").format(alias=alias),
                                   self, 1.25)
        self.title.setTextFormat(Qt.TextFormat.PlainText)
        self.summary = style.muted("", self)

        self.incident = WallClockEdit(zone, datetime.now(zone), self.tr("Incident date and time"),
                                      self)
        incident_label = QLabel(self.tr("&Incident:"), self)
        incident_label.setBuddy(self.incident)
        self.incident_button = QPushButton(self.tr("&Change incident time"), self)
        self.incident_button.setAccessibleName(self.tr("Change the incident time"))
        self.incident_button.setToolTip(self.tr(
            "Every step is timed from the incident: changing it moves the steps still pending"))
        self.incident_button.clicked.connect(self.change_incident)
        incident_row = QHBoxLayout()
        incident_row.addWidget(incident_label)
        incident_row.addWidget(self.incident)
        incident_row.addWidget(self.incident_button)
        incident_row.addStretch(1)

        self.steps = QTreeWidget(self)
        self.steps.setAccessibleName(self.tr("Steps of this plan"))
        self.steps.setHeaderLabels([self.tr("Step"), self.tr("Due"), self.tr("State")])
        self.steps.setRootIsDecorated(False)
        self.steps.setUniformRowHeights(True)
        self.steps.setAlternatingRowColors(True)
        self.steps.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.steps.setItemDelegate(RoomyDelegate(self.steps))
        header = self.steps.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        fm = self.fontMetrics()
        header.resizeSection(1, fm.horizontalAdvance("Wed 30 Sep 2025 23:59") + 24)
        header.resizeSection(2, fm.horizontalAdvance("Covered by a contact") + 24)
        self.steps.currentItemChanged.connect(self._current_changed)

        self.remove_button = QPushButton(self.tr("&Remove milestone"), self)
        self.remove_button.setAccessibleName(self.tr("Remove the selected milestone"))
        self.remove_button.setEnabled(False)
        self.remove_button.clicked.connect(self.remove_selected_milestone)
        self.error = style.error_label(self)
        self.error.setAccessibleName(self.tr("Problem"))
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        close.rejected.connect(self.reject)
        close.button(QDialogButtonBox.StandardButton.Close).setAccessibleName(self.tr("Close"))
        bottom = QHBoxLayout()
        bottom.addWidget(self.remove_button)
        bottom.addStretch(1)
        bottom.addWidget(close)

        layout = QVBoxLayout(self)
        layout.setSpacing(8)
        layout.addWidget(self.title)
        layout.addWidget(self.summary)
        layout.addLayout(incident_row)
        layout.addWidget(_zone_note(zone, self))
        layout.addWidget(self.steps, 1)
        layout.addWidget(self.error)
        layout.addLayout(bottom)
        self.setMinimumSize(560, 380)
        self.resize(680, 480)
        self.reload()
        self.steps.setFocus(Qt.FocusReason.OtherFocusReason)

    def plan(self) -> Plan | None:
        return self._plan

    def reload(self) -> None:
        try:
            self._plan = self._service.plan(self._plan_id)
        except Exception as exc:
            self._show_error(exc)
            self._plan = None
            self.steps.clear()
            for widget in (self.incident, self.incident_button, self.remove_button):
                widget.setEnabled(False)
            return
        plan = self._plan
        self.incident.setMaximumDateTime(_wall(self._service.policy.now(), self._zone))
        self.incident.set_value(plan.incident_at)
        self.steps.clear()
        schedule = plan.schedule()
        pending = sum(1 for s in schedule if s.is_pending)
        self.summary.setText(self.tr("{pending} of {total} pending").format(
            pending=pending, total=len(schedule)))
        for step in schedule:
            self.steps.addTopLevelItem(self._row(step))
        self._current_changed(self.steps.currentItem())

    def _row(self, step: Step) -> QTreeWidgetItem:
        if step.kind == MILESTONE:
            name = self.tr("Milestone: {label}").format(label=step.label)
        else:
            name = self.tr("Follow-up at {label}").format(label=step.label)
        if step.audience == AUDIENCE_FAMILY and step.state == PENDING:
            name += self.tr(" (family or colleague support)")
        local = step.due.astimezone(self._zone)
        item = QTreeWidgetItem([name, f"{local:%a} {format_when(local)}",
                                self.tr(STATE_LABELS.get(step.state, step.state))])
        item.setData(0, StepRole, (step.id, step.kind))
        item.setToolTip(0, name)
        return item

    def _current_changed(self, item: QTreeWidgetItem | None, *_: object) -> None:
        data = item.data(0, StepRole) if item is not None else None
        self.remove_button.setEnabled(data is not None and data[1] == MILESTONE)

    def select_step(self, step_id: str) -> None:
        for row in range(self.steps.topLevelItemCount()):
            item = self.steps.topLevelItem(row)
            if item is not None and item.data(0, StepRole)[0] == step_id:
                self.steps.setCurrentItem(item)

    def change_incident(self) -> None:
        self._act(lambda: self._service.set_incident_time(self._plan_id, self.incident.value()))

    def remove_selected_milestone(self) -> None:
        item = self.steps.currentItem()
        data = item.data(0, StepRole) if item is not None else None
        if not data or data[1] != MILESTONE:
            return
        self._act(lambda: self._service.remove_milestone(self._plan_id, data[0]))

    def _act(self, change: Callable[[], object]) -> None:
        self.error.setVisible(False)
        try:
            change()
        except Exception as exc:
            self._show_error(exc)
            return
        self.reload()
        self.changed.emit()

    def _show_error(self, exc: BaseException) -> None:
        self.error.setText(error_text(exc))
        self.error.setVisible(True)


class DeceasedDialog(QDialog):
    """Mark an officer deceased (line-of-duty death): the app will never schedule contacting
    them again; their pending follow-ups become support for family or colleagues, or end."""

    def __init__(self, alias: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Mark as deceased"))
        self.setObjectName("deceasedDialog")
        title = style.heading(self.tr("Mark {alias} as deceased (line-of-duty death)")
                              .format(alias=alias), self, 1.2)
        title.setTextFormat(Qt.TextFormat.PlainText)
        text = QLabel(self.tr(
            "Peer Support will never schedule contacting this officer again. Their check-ins "
            "are kept. Choose what happens to the follow-ups still pending:"), self)
        text.setWordWrap(True)
        self.convert = QRadioButton(self.tr(
            "&Convert pending follow-ups into family or colleague support"), self)
        self.convert.setAccessibleName(self.tr(
            "Convert pending follow-ups into family or colleague support"))
        self.cancel = QRadioButton(self.tr("C&ancel pending follow-ups"), self)
        self.cancel.setAccessibleName(self.tr("Cancel pending follow-ups"))
        self.convert.setChecked(True)
        group = QButtonGroup(self)
        group.addButton(self.convert)
        group.addButton(self.cancel)
        note = style.muted(self.tr(
            "Converted steps keep their times and show as family or colleague support. You can "
            "undo the mark later; follow-ups already changed stay as they are."), self)
        self.buttons = _buttons(self, self.tr("&Mark as deceased"))
        layout = QVBoxLayout(self)
        layout.setSpacing(8)
        layout.addWidget(title)
        layout.addWidget(text)
        layout.addSpacing(2)
        layout.addWidget(self.convert)
        layout.addWidget(self.cancel)
        layout.addSpacing(4)
        layout.addWidget(note)
        layout.addSpacing(6)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(480)

    def mode(self) -> str:
        return DECEASED_CONVERT if self.convert.isChecked() else DECEASED_CANCEL
