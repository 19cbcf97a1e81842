"""The check-in form: log a confidential contact in under a minute, with the keyboard alone.

Defaults cover the common case (now, the last contact type, 30 minutes, sworn, no risk). The
tab order follows the columns top to bottom; Ctrl+Enter saves from anywhere, Esc cancels (and
asks first when something was typed). Plain Enter never saves, so picking from a list cannot
file a half-typed record. Problems are shown next to the field at fault and focus goes there.

The app keeps ``draft_payload()`` sealed in the vault when it locks mid-typing, closes the form
with ``discard()``, and after unlocking opens a new form with ``draft=`` to restore it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime

from PySide6.QtCore import QDateTime, QLocale, Qt, Signal
from PySide6.QtGui import QKeyEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import QCompleter, QDialog, QMessageBox, QPushButton, QWidget

from peersupport import hygiene
from peersupport.domain import codes
from peersupport.domain.checkin import CheckIn, validate
from peersupport.domain.guidance import guidance_for
from peersupport.domain.officer import Officer
from peersupport.services.checkins import (
    CheckinDetail,
    CheckinService,
    RecordNotFoundError,
    ValidationError,
)
from peersupport.services.errors import VaultLockedError
from peersupport.services.followups import PlanError
from peersupport.ui.checkin_form_layout import CheckinFormLayout
from peersupport.ui.checkin_form_state import FormState
from peersupport.ui.checkin_form_widgets import NoticeDialog
from peersupport.ui.storage_messages import storage_error_message

log = logging.getLogger(__name__)

# Field keys in tab order: the first one at fault gets the focus.
FIELD_ORDER = (
    "occurred_at", "officer", "notice", "incident_category", "contact_type", "initiated_by",
    "recipient_class", "duration_minutes", "headcount", "group_officers", "incident_ref",
    "referrals", "referral_providers", "risk_level", "exceptions", "notes", "incident_at",
)
_CHOOSE = {
    "incident_category": "Choose the incident category.",
    "contact_type": "Choose the contact type.",
    "initiated_by": "Choose who started the contact.",
    "recipient_class": "Choose who received support.",
    "risk_level": "Choose the risk level.",
}
NOTICE_REQUIRED = (
    "Required before a first contact: confirm you gave the confidentiality notice, or show "
    "it now."
)


def local_now() -> datetime:
    """Now, aware, in this machine's time zone."""
    return datetime.now().astimezone()


def _to_qdatetime(when: datetime) -> QDateTime:
    return QDateTime.fromMSecsSinceEpoch(round(when.timestamp() * 1000))


def _from_qdatetime(value: QDateTime) -> datetime:
    """The instant shown, as an aware datetime with the machine's offset at that instant."""
    return datetime.fromtimestamp(value.toMSecsSinceEpoch() / 1000, tz=UTC).astimezone()


class CheckinForm(CheckinFormLayout):
    saved = Signal(str)  # the check-in's id
    contact_type_used = Signal(str)  # a contact-type code, to pre-select next time

    def __init__(
        self,
        service: CheckinService,
        notice_text: str,
        last_contact_type: str,
        parent: QWidget | None = None,
        existing: CheckinDetail | None = None,
        draft: dict | None = None,
        now: Callable[[], datetime] = local_now,
        *,
        prefill: CheckIn | None = None,
        completes: tuple[str, str] | None = None,
    ) -> None:
        super().__init__(parent)
        self._service = service
        self._notice_text = notice_text
        self._now = now
        self._existing = existing
        self._completes = completes
        self._checkin_id = existing.checkin.id if existing else None
        self._officers: dict[str, Officer] = {}
        self._notice_dialog: NoticeDialog | None = None
        self._incident_touched = False  # the supporter set the incident time themselves
        self._syncing = False
        if existing:
            self.setWindowTitle(self.tr("Edit check-in"))
        elif completes is not None:
            self.setWindowTitle(self.tr("Log a follow-up check-in"))
        else:
            self.setWindowTitle(self.tr("Log a check-in"))
        self._connect()
        self._load_officers()

        if existing is not None:
            base = FormState.from_detail(existing)
            base.incident_at = self._plan_incident(existing)
        elif prefill is not None:
            base = self._prefilled(prefill)
        else:
            contact = last_contact_type if last_contact_type in codes.CONTACT_TYPES else ""
            base = FormState(
                occurred_at=self._now().replace(second=0, microsecond=0),
                contact_type=contact or "in_person",
            )
        self._apply(base)
        self._baseline = self.state()
        if draft:
            self._apply(FormState.from_payload(draft, self._baseline))
        self._refresh_officer()
        self._refresh_zone()
        self._refresh_group()
        self._refresh_guidance()
        self._refresh_incident()
        if completes is not None:  # it belongs to a plan already: it cannot start another
            self.follow_up.setEnabled(False)
            self.follow_up.setToolTip(self.tr(
                "This check-in completes a step of a follow-up plan; the plan's later steps "
                "stay scheduled"))
        self._fit_to_screen()
        self.officer.setFocus(Qt.FocusReason.OtherFocusReason)

    # -- behaviour ---------------------------------------------------------------------------
    def _connect(self) -> None:
        self.officer.editTextChanged.connect(self._refresh_officer)
        self.when.dateTimeChanged.connect(self._refresh_zone)
        self.contact_type.currentIndexChanged.connect(self._refresh_group)
        self.risk.currentIndexChanged.connect(self._refresh_guidance)
        self.exceptions.changed.connect(self._refresh_guidance)
        self.show_notice.clicked.connect(self.open_notice)
        self.follow_up.toggled.connect(self._refresh_incident)
        self.when.dateTimeChanged.connect(self._follow_contact_time)
        self.incident_at.dateTimeChanged.connect(self._incident_edited)
        self.save_button.clicked.connect(self.save)
        self.cancel_button.clicked.connect(self.reject)
        for sequence in ("Ctrl+Return", "Ctrl+Enter"):
            QShortcut(QKeySequence(sequence), self, self.save)
        for key, signal in (
            ("occurred_at", self.when.dateTimeChanged),
            ("officer", self.officer.editTextChanged),
            ("notice", self.notice.toggled),
            ("incident_category", self.category.currentIndexChanged),
            ("contact_type", self.contact_type.currentIndexChanged),
            ("initiated_by", self.initiated_by.currentIndexChanged),
            ("recipient_class", self.recipient.currentIndexChanged),
            ("duration_minutes", self.duration.valueChanged),
            ("headcount", self.headcount.valueChanged),
            ("incident_ref", self.incident_ref.textChanged),
            ("referral_providers", self.providers.textChanged),
            ("notes", self.notes.textChanged),
            ("incident_at", self.incident_at.dateTimeChanged),
        ):
            signal.connect(self._boxes[key].clear_error)
        self.headcount.valueChanged.connect(self._boxes["officer"].clear_error)

    def _load_officers(self) -> None:
        officers = self._service.officers()
        if self._existing is not None:  # keep the record's own officers even if unreadable
            known = {o.id for o in officers}
            extra = [self._existing.officer, *self._existing.group_officers]
            officers += [o for o in extra if o is not None and o.id not in known]
        self._officers = {o.id: o for o in officers}
        text = self.officer.currentText()
        self.officer.blockSignals(True)
        self.officer.clear()
        for o in officers:
            self.officer.addItem(o.alias, o.id)
        self.officer.setCurrentIndex(-1)
        self.officer.setEditText(text)
        self.officer.blockSignals(False)
        completer = QCompleter(self.officer.model(), self.officer)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        completer.setCompletionMode(QCompleter.CompletionMode.PopupCompletion)
        self.officer.setCompleter(completer)
        self.group_officers.set_items((o.id, o.alias) for o in officers)

    # -- state ------------------------------------------------------------------------------
    def _resolve_officer(self) -> str | None:
        """The id of the existing officer the officer box names, or None (empty or new)."""
        text = self.officer.currentText().strip()
        if not text:
            return None
        index = self.officer.currentIndex()
        if index >= 0 and self.officer.itemText(index) == text:
            return self.officer.itemData(index)
        for oid, officer in self._officers.items():
            if officer.alias == text:
                return oid
        folded = text.casefold()
        for oid, officer in self._officers.items():
            if officer.alias.casefold() == folded:
                return oid
        return None

    def state(self) -> FormState:
        return FormState(
            occurred_at=_from_qdatetime(self.when.dateTime()),
            officer_text=self.officer.currentText(),
            officer_id=self._resolve_officer(),
            new_officer_name=self.new_name.text(),
            new_officer_contact=self.new_contact.text(),
            notice_confirmed=self.notice.isChecked(),
            incident_category=self.category.currentData() or "",
            contact_type=self.contact_type.currentData() or "",
            initiated_by=self.initiated_by.currentData() or "",
            recipient_class=self.recipient.currentData() or "",
            duration_minutes=self.duration.value(),
            headcount=self.headcount.value() or None,
            group_officer_ids=self.group_officers.checked(),
            referrals=self.referrals.checked(),
            referral_providers=self.providers.text(),
            risk_level=self.risk.currentData() or "",
            exceptions=self.exceptions.checked(),
            incident_ref=self.incident_ref.text(),
            notes=self.notes.toPlainText(),
            follow_up=self.follow_up.isChecked(),
            incident_at=(_from_qdatetime(self.incident_at.dateTime())
                         if self._incident_touched else None),
            checkin_id=self._checkin_id,
        )

    def _apply(self, state: FormState) -> None:
        self.when.setDateTime(_to_qdatetime(state.occurred_at))
        index = self.officer.findData(state.officer_id) if state.officer_id else -1
        if index >= 0 and self.officer.itemText(index).casefold() == (
            state.officer_text.strip().casefold()
        ):
            self.officer.setCurrentIndex(index)
        else:
            self.officer.setCurrentIndex(-1)
        self.officer.setEditText(state.officer_text)
        self.new_name.setText(state.new_officer_name)
        self.new_contact.setText(state.new_officer_contact)
        self.notice.setChecked(state.notice_confirmed)
        for combo, code in (
            (self.category, state.incident_category),
            (self.contact_type, state.contact_type),
            (self.initiated_by, state.initiated_by),
            (self.recipient, state.recipient_class),
            (self.risk, state.risk_level),
        ):
            combo.setCurrentIndex(combo.findData(code) if code else -1)
        self.duration.setValue(state.duration_minutes)
        self.headcount.setValue(state.headcount or 0)
        self.group_officers.set_checked(state.group_officer_ids)
        self.referrals.set_checked(state.referrals)
        self.providers.setText(state.referral_providers)
        self.exceptions.set_checked(state.exceptions)
        self.incident_ref.setText(state.incident_ref)
        self.notes.setPlainText(state.notes)
        self.follow_up.setChecked(state.follow_up)
        self._incident_touched = False
        self._follow_contact_time()
        if state.incident_at is not None:
            self._syncing = True
            self.incident_at.setDateTime(_to_qdatetime(state.incident_at))
            self._syncing = False
            self._incident_touched = True

    def is_dirty(self) -> bool:
        return self.state() != self._baseline

    def draft_payload(self) -> dict | None:
        """Everything typed, as JSON-able data, or None when nothing was typed."""
        if not self.is_dirty():
            return None
        payload = self.state().to_payload()
        if self._completes is not None:  # after unlock, saving still completes the step
            payload["completes"] = list(self._completes)
        return payload

    # -- what shows when --------------------------------------------------------------------
    def _officer_needs_notice(self, officer_id: str | None, text: str) -> bool:
        if officer_id is None:
            return bool(text)
        return self._officers[officer_id].notice_given_at is None

    def _notice_required(self, state: FormState) -> bool:
        """Blocking only for a first contact: a new check-in, or an edit that changes the
        officer. Re-saving an old check-in does not invent a notice after the fact."""
        if not self._officer_needs_notice(state.officer_id, state.officer_text.strip()):
            return False
        old = self._existing.checkin.officer_id if self._existing else None
        return self._existing is None or state.officer_id is None or state.officer_id != old

    def _refresh_officer(self) -> None:
        text = self.officer.currentText().strip()
        officer_id = self._resolve_officer()
        is_new = bool(text) and officer_id is None
        if is_new:
            hint = self.tr("New officer: {alias}. Added when you save.").format(alias=text)
        elif officer_id is not None and self._officers[officer_id].notice_given_at:
            given = self._officers[officer_id].notice_given_at
            assert given is not None
            day = QLocale().toString(_to_qdatetime(given).date(),
                                     QLocale.FormatType.ShortFormat)
            hint = self.tr("Confidentiality notice given {day}.").format(day=day)
        else:
            hint = ""
        self.officer_hint.setText(hint)
        self.officer_hint.setVisible(bool(hint))
        self._contact_form.setRowVisible(self.new_name, is_new)
        self._contact_form.setRowVisible(self.new_contact, is_new)
        needs = self._officer_needs_notice(officer_id, text)
        self._contact_form.setRowVisible(self._boxes["notice"], needs)
        self._boxes["notice"].clear_error()

    def _refresh_zone(self) -> None:
        self.zone.setText(self.when.dateTime().timeZoneAbbreviation())

    def _refresh_group(self) -> None:
        group = self.contact_type.currentData() in codes.GROUP_CONTACT_TYPES
        self._contact_form.setRowVisible(self._boxes["headcount"], group)
        self._contact_form.setRowVisible(self._boxes["group_officers"], group)
        self.officer_line.setPlaceholderText(
            self.tr("Optional with a headcount") if group
            else self.tr("Alias: type to find or add"))

    def _refresh_guidance(self) -> None:
        self.guidance.set_lines(
            guidance_for(self.risk.currentData() or "", self.exceptions.checked()))

    def _refresh_incident(self) -> None:
        self.incident_row.setVisible(self.follow_up.isChecked())

    def _follow_contact_time(self) -> None:
        """The incident cannot come after the contact; until the supporter sets it, it is
        the contact's own time."""
        self._syncing = True
        try:
            self.incident_at.setMaximumDateTime(self.when.dateTime())
            if not self._incident_touched:
                self.incident_at.setDateTime(self.when.dateTime())
        finally:
            self._syncing = False

    def _incident_edited(self) -> None:
        if not self._syncing:
            self._incident_touched = True

    def _plan_incident(self, existing: CheckinDetail) -> datetime | None:
        """The incident time of the open follow-up plan this check-in made, if any."""
        c = existing.checkin
        if not c.follow_up or c.officer_id is None:
            return None
        try:
            plans = self._service.followups().open_plans_of(c.officer_id)
        except Exception as exc:
            log.warning("reading follow-up plans failed: %s", hygiene.describe_exception(exc))
            return None
        found = [p.incident_at for p in plans if p.checkin_id == c.id]
        return found[0] if found and found[0] != c.occurred_at else None

    def _prefilled(self, prefill: CheckIn) -> FormState:
        """A new check-in for a follow-up: the officer and the usual choices filled in."""
        officer = self._officers.get(prefill.officer_id) if prefill.officer_id else None
        return FormState(
            occurred_at=self._now().replace(second=0, microsecond=0),
            officer_text=officer.alias if officer else "",
            officer_id=officer.id if officer else None,
            incident_category=prefill.incident_category,
            contact_type=prefill.contact_type,
            initiated_by=prefill.initiated_by,
            recipient_class=prefill.recipient_class,
            duration_minutes=prefill.duration_minutes,
        )

    def open_notice(self) -> None:
        """Show the notice; closing it puts the focus on "I gave … the notice"."""
        if self._notice_dialog is None:
            self._notice_dialog = NoticeDialog(self._notice_text, self)
            self._notice_dialog.finished.connect(self._notice_closed)
        self._notice_dialog.open()

    def _notice_closed(self) -> None:
        if self.isVisible() and self.notice.isVisible():
            self.notice.setFocus(Qt.FocusReason.OtherFocusReason)

    # -- keys and closing -------------------------------------------------------------------
    def keyPressEvent(self, event: QKeyEvent) -> None:
        plain = not (event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier)
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and plain:
            focus = self.focusWidget()
            if isinstance(focus, QPushButton) and focus.isEnabled():
                focus.animateClick()
            event.accept()  # plain Enter never saves a half-typed check-in by accident
            return
        super().keyPressEvent(event)

    def reject(self) -> None:
        """Esc, Cancel or the window's close button: ask first if anything was typed."""
        if self.is_dirty():
            answer = QMessageBox.question(
                self, self.tr("Discard this check-in?"),
                self.tr("Discard this check-in? What you typed will not be saved."),
                QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
                QMessageBox.StandardButton.No,
            )
            if answer != QMessageBox.StandardButton.Yes:
                return
        self.discard()

    def discard(self) -> None:
        """Close without asking (the app calls this after sealing a draft on lock)."""
        if self._notice_dialog is not None:
            self._notice_dialog.done(QDialog.DialogCode.Rejected)
        super().reject()

    # -- saving -----------------------------------------------------------------------------
    def _clear_errors(self) -> None:
        for box in self._boxes.values():
            box.clear_error()
        self.summary.setText("")
        self.summary.setVisible(False)

    def _show_errors(self, errors: dict[str, str]) -> None:
        shown = [key for key in FIELD_ORDER if key in errors and key in self._boxes]
        for key in shown:
            self._boxes[key].show_error(errors[key])
        other = [msg for key, msg in errors.items() if key not in shown]
        count = len(shown)
        text = " ".join(other)
        if count:
            text = (self.tr("1 field needs attention.") if count == 1 else
                    self.tr("{n} fields need attention.").format(n=count)) + (
                " " + text if text else "")
        self.summary.setText(text)
        self.summary.setVisible(bool(text))
        if shown:
            editor = self._boxes[shown[0]].editor
            editor.setFocus(Qt.FocusReason.OtherFocusReason)
            self.scroll_area.ensureWidgetVisible(self._boxes[shown[0]])

    def _build_checkin(self, state: FormState) -> tuple[CheckIn, list[Officer]]:
        new_officers: list[Officer] = []
        officer_id = state.officer_id
        alias = state.officer_text.strip()
        if officer_id is None and alias:
            officer = Officer(
                alias=alias, full_name=state.new_officer_name.strip(),
                contact=state.new_officer_contact.strip(),
            )
            new_officers.append(officer)
            officer_id = officer.id
        group = state.contact_type in codes.GROUP_CONTACT_TYPES
        checkin = CheckIn(
            occurred_at=state.occurred_at,
            officer_id=officer_id,
            incident_category=state.incident_category,
            contact_type=state.contact_type,
            initiated_by=state.initiated_by,
            recipient_class=state.recipient_class,
            duration_minutes=state.duration_minutes,
            referrals=state.referrals,
            referral_providers=state.referral_providers.strip(),
            risk_level=state.risk_level,
            exceptions=state.exceptions,
            incident_ref=state.incident_ref.strip(),
            notes=state.notes,
            follow_up=state.follow_up,
            headcount=state.headcount if group else None,
            group_officer_ids=state.group_officer_ids if group else [],
        )
        if self._checkin_id is not None:
            checkin.id = self._checkin_id
        return checkin, new_officers

    def save(self) -> None:
        """Validate, save in one transaction, record the notice, then close."""
        self._clear_errors()
        state = self.state()
        checkin, new_officers = self._build_checkin(state)
        errors = validate(checkin)
        errors.update({k: msg for k, msg in _CHOOSE.items() if not getattr(state, k)})
        if "officer" in errors and checkin.is_group:
            errors["officer"] = self.tr("Choose the officer, or give the group's headcount.")
        if self._notice_required(state) and not state.notice_confirmed:
            errors["notice"] = NOTICE_REQUIRED
        if errors:
            self._show_errors(errors)
            return
        # The notice is given before the session starts: record the contact's time, or now
        # if the contact was entered in the future by mistake.
        notice_at = min(state.occurred_at, self._now())
        if new_officers and state.notice_confirmed:
            new_officers[0].notice_given_at = notice_at
        try:
            saved_id = self._service.save(
                checkin, new_officers,
                incident_at=state.incident_at if state.follow_up else None,
                completes=self._completes)
        except ValidationError as exc:
            self._show_errors(exc.errors)
            return
        except PlanError as exc:  # its message is the app's own, with no record data
            self._fail(self.tr("The follow-up could not be completed: {reason}").format(
                reason=str(exc)))
            return
        except RecordNotFoundError:
            if self._completes is not None and not self._plan_exists(self._completes[0]):
                self._completes = None
                self._fail(self.tr(
                    "The follow-up plan this check-in completes no longer exists (it may have "
                    "been deleted with its check-in). Save again to log it as an ordinary "
                    "check-in."))
                return
            self._load_officers()
            self._refresh_officer()
            self._fail(self.tr(
                "An officer chosen here no longer exists: they may have been merged or "
                "forgotten in another window. Choose the officer again, then save."))
            return
        except VaultLockedError:
            self._fail(self.tr("The vault is locked, so the check-in was not saved."))
            return
        except Exception as exc:
            log.warning("saving a check-in failed: %s", hygiene.describe_exception(exc))
            storage = storage_error_message(exc)
            if storage is not None:
                self._fail(storage + " " + self.tr("What you typed is still here."))
                return
            self._fail(self.tr(
                "The check-in could not be saved ({kind}). Nothing was changed and what you "
                "typed is still here. Try again; if it keeps happening, report the error "
                "type.").format(kind=type(exc).__name__))
            return
        existing_needing_notice = (
            state.notice_confirmed and state.officer_id is not None
            and self._officers[state.officer_id].notice_given_at is None
        )
        if existing_needing_notice:
            assert state.officer_id is not None
            try:
                self._service.mark_notice_given(state.officer_id, notice_at)
            except Exception as exc:
                log.warning("recording the notice failed: %s", hygiene.describe_exception(exc))
                self._fail(self.tr(
                    "The check-in was saved, but the time the notice was given could not be "
                    "recorded, so you will be asked about the notice again next time."),
                    title=self.tr("Notice not recorded"))
        try:
            self._service.clear_draft()
        except Exception as exc:
            log.warning("clearing the draft failed: %s", hygiene.describe_exception(exc))
        self.saved.emit(saved_id)
        self.contact_type_used.emit(checkin.contact_type)
        self._close_after_save()

    def _plan_exists(self, plan_id: str) -> bool:
        try:
            self._service.followups().plan(plan_id)
        except RecordNotFoundError:
            return False
        except Exception:
            return True
        return True

    def _close_after_save(self) -> None:
        if self._notice_dialog is not None:
            self._notice_dialog.done(QDialog.DialogCode.Rejected)
        self.accept()

    def _fail(self, message: str, title: str = "") -> None:
        QMessageBox.warning(self, title or self.tr("Check-in not saved"), message)
