"""The officers page: each alias (masked until selected), its timeline, merge and forget."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QHBoxLayout,
    QInputDialog,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from peersupport.services.errors import LegalHoldError
from peersupport.ui import style
from peersupport.ui.officer_detail import IdRole, OfficerDetail
from peersupport.ui.presentation import MASK, RoomyDelegate, plural
from peersupport.ui.storage_messages import storage_error_message
from peersupport.ui.task_scope import TaskScope

if TYPE_CHECKING:
    from peersupport.domain.officer import Officer
    from peersupport.services.checkins import CheckinService, CheckinSummary, ForgetPreview



def forget_message(preview: ForgetPreview) -> str:
    """What "forget this officer" will erase, named and counted."""
    parts = plural(preview.checkins, "deletes {n} check-in", "deletes {n} check-ins")
    if preview.group_mentions:
        parts += plural(
            preview.group_mentions, " and removes them from {n} group check-in",
            " and removes them from {n} group check-ins",
        )
    return (
        f"Forget {preview.alias}: {parts}. This cannot be undone.\n\n"
        "Their name, contact details and notes are erased too."
    )


class OfficersPage(QWidget):
    changed = Signal()  # officers were merged or forgotten: other pages reload
    open_requested = Signal(str)  # a check-in in the timeline was activated

    def __init__(self, service: CheckinService, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._service = service
        self._scope = TaskScope(self)  # the list, merges and forgets
        self._timeline_scope = TaskScope(self)  # the selected officer's check-ins
        self._officers: dict[str, Officer] = {}
        self._timeline_count: int | None = None
        self._stale = True  # load when first shown, not before
        self._epoch = 0

        self.find_field = QLineEdit(self)
        self.find_field.setPlaceholderText(self.tr("Find an officer"))
        self.find_field.setAccessibleName(self.tr("Find an officer"))
        self.find_field.setClearButtonEnabled(True)
        self.find_field.textChanged.connect(self._refilter)
        self.show_names = QCheckBox(self.tr("&Show names"), self)
        self.show_names.setToolTip(self.tr(
            "Show every name in the list. Otherwise a name shows when it is selected or "
            "matches what you typed."))
        self.show_names.toggled.connect(self._refilter)
        self.status = style.muted("", self)
        bottom = QHBoxLayout()
        bottom.addWidget(self.status, 1)
        bottom.addWidget(self.show_names)

        self.list = QListWidget(self)
        self.list.setAccessibleName(self.tr("Officers"))
        self.list.setMinimumWidth(200)
        self.list.setUniformItemSizes(True)
        self.list.setItemDelegate(RoomyDelegate(self.list))
        self.list.currentItemChanged.connect(self._current_changed)
        left = QWidget(self)
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(self.find_field)
        left_layout.addWidget(self.list, 1)
        left_layout.addLayout(bottom)

        # -- the selected officer -------------------------------------------------------------
        self.detail = OfficerDetail(self)
        self.detail.merge_button.clicked.connect(self.merge_selected)
        self.detail.forget_button.clicked.connect(self.forget_selected)
        self.detail.deceased_button.clicked.connect(self.mark_deceased_selected)
        self.detail.undo_deceased_button.clicked.connect(self.undo_deceased_selected)
        self.detail.hold_button.clicked.connect(self.toggle_hold_selected)
        self.dialog: QDialog | None = None  # the deceased dialog, while open
        self.detail.open_requested.connect(self.open_requested)

        splitter = QSplitter(Qt.Orientation.Horizontal, self)
        splitter.setChildrenCollapsible(False)
        splitter.addWidget(left)
        splitter.addWidget(self.detail)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([220, 600])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 10, 12, 8)
        self.error = style.error_label(self)
        layout.addWidget(self.error)
        layout.addWidget(splitter, 1)

    # -- public -------------------------------------------------------------------------------
    def reload(self) -> None:
        """Load the officers again (now if shown, otherwise when next shown)."""
        self._stale = True
        if self.isVisible():
            self._load()

    def clear(self) -> None:
        """Wipe every name, the timeline and any request in flight (the vault is locking)."""
        self._epoch += 1
        self._scope.invalidate()
        self._timeline_scope.invalidate()
        if self.dialog is not None:
            self.dialog.reject()
            self.dialog = None
        self._officers = {}
        self._stale = True
        self.list.blockSignals(True)
        self.list.clear()
        self.list.blockSignals(False)
        self.find_field.setText("")  # unlike clear(), also empties the undo history
        self.show_names.setChecked(False)
        self.status.clear()
        self.error.clear()
        self.error.setVisible(False)
        self._show_officer(None)

    def select_officer(self, officer_id: str) -> None:
        for row in range(self.list.count()):
            item = self.list.item(row)
            if item.data(IdRole) == officer_id:
                self.list.setCurrentItem(item)
                return

    def current_id(self) -> str | None:
        item = self.list.currentItem()
        return None if item is None else item.data(IdRole)

    def merge_selected(self) -> None:
        """Pick the entry to keep, confirm, then move every check-in to it."""
        merge_id = self.current_id()
        if merge_id is None or merge_id not in self._officers:
            return
        gone = self._officers[merge_id]
        choices = self._choice_labels(exclude=merge_id)
        if not choices:
            QMessageBox.information(self, self.tr("Merge officers"),
                                    self.tr("There is no other officer to merge with."))
            return
        epoch = self._epoch
        picked, ok = QInputDialog.getItem(
            self, self.tr("Merge officers"),
            self.tr("Merge {alias} into:").format(alias=gone.alias), list(choices), 0, False,
        )
        if not ok or picked not in choices or epoch != self._epoch:
            return
        keep = self._officers[choices[picked]]
        moved = self._timeline_count
        what = (plural(moved, "Their {n} check-in moves", "Their {n} check-ins move")
                if moved is not None else "Their check-ins move")
        text = self.tr(
            "Merge {gone} into {keep}?\n\n{what} to {keep}, details {keep} lacks are copied "
            "over, and {gone} is removed. This cannot be undone."
        ).format(gone=gone.alias, keep=keep.alias, what=what)
        if not self._confirm(self.tr("Merge officers"), text, epoch):
            return
        service = self._service
        self._busy(True)
        self._scope.run(
            lambda: service.merge_officers(keep.id, merge_id),
            lambda n: self._after_change(
                plural(n, "Merged: {n} check-in moved.", "Merged: {n} check-ins moved."),
                keep.id),
            self._failed,
        )

    def forget_selected(self) -> None:
        """Show exactly what will be erased, confirm, then erase it."""
        officer_id = self.current_id()
        if officer_id is None:
            return
        service = self._service
        self._busy(True)
        self._scope.run(
            lambda: service.forget_preview(officer_id), self._confirm_forget, self._failed
        )

    def mark_deceased_selected(self) -> None:
        """Explain, ask what becomes of the pending follow-ups, then mark the officer."""
        officer_id = self.current_id()
        if officer_id is None or officer_id not in self._officers:
            return
        from peersupport.ui.followup_dialogs import DeceasedDialog

        dialog = DeceasedDialog(self._officers[officer_id].alias, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        epoch = self._epoch

        def accepted() -> None:
            if epoch != self._epoch or self.current_id() != officer_id:
                return
            mode = dialog.mode()
            followups = self._service.followups()
            self._busy(True)
            self._scope.run(
                lambda: followups.mark_deceased(officer_id, mode),
                lambda n: self._deceased_marked(officer_id, mode, n), self._failed,
            )

        dialog.accepted.connect(accepted)
        dialog.finished.connect(lambda *_: setattr(self, "dialog", None))
        self.dialog = dialog
        dialog.open()

    def undo_deceased_selected(self) -> None:
        officer_id = self.current_id()
        if officer_id is None:
            return
        followups = self._service.followups()
        self._busy(True)
        self._scope.run(lambda: followups.clear_deceased(officer_id),
                        lambda _: self._deceased_cleared(officer_id), self._failed)

    def toggle_hold_selected(self) -> None:
        """Place a legal hold on the selected officer, or lift it after asking."""
        officer_id = self.current_id()
        if officer_id is None:
            return
        on = not self.detail.is_held()
        if not on and not self._confirm(
                self.tr("Lift legal hold"),
                self.tr("Lift the legal hold on this officer?\n\nLifting the hold allows "
                        "deletion and expiry again."), self._epoch):
            return
        retention = self._service.retention()
        self._busy(True)
        self._scope.run(lambda: retention.hold_officer(officer_id, on),
                        lambda _: self._hold_changed(officer_id, on), self._failed)

    def _hold_changed(self, officer_id: str, on: bool) -> None:
        self._busy(False)
        if self.current_id() == officer_id:
            self.detail.set_held(on)
        self.status.setText(self.tr("Legal hold placed.") if on else
                            self.tr("Legal hold lifted."))
        self.changed.emit()

    def _deceased_marked(self, officer_id: str, mode: str, changed: int) -> None:
        self._busy(False)
        if mode == "convert":
            text = plural(changed, "{n} follow-up plan now supports family or colleagues.",
                          "{n} follow-up plans now support family or colleagues.")
        else:
            text = plural(changed, "{n} follow-up plan was cancelled.",
                          "{n} follow-up plans were cancelled.")
        if self.current_id() == officer_id:
            self.detail.set_deceased(True, text)
        self.status.setText(self.tr("Marked as deceased."))
        self.changed.emit()

    def _deceased_cleared(self, officer_id: str) -> None:
        self._busy(False)
        if self.current_id() == officer_id:
            self.detail.set_deceased(False)
        self.status.setText(self.tr("Mark removed."))

    # -- loading --------------------------------------------------------------------------------
    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self._stale:
            self._load()

    def _load(self) -> None:
        self._stale = False
        service = self._service
        self._scope.run(service.officers, self._officers_arrived, self._failed)

    def _officers_arrived(self, officers: list[Officer]) -> None:
        current = self.current_id()
        self._officers = {o.id: o for o in officers}
        self.list.blockSignals(True)
        self.list.clear()
        for officer in officers:
            item = QListWidgetItem()
            item.setData(IdRole, officer.id)
            self.list.addItem(item)
        self.list.blockSignals(False)
        self.status.setText(plural(len(officers), "{n} officer", "{n} officers"))
        self._busy(False)
        self._refilter()
        if current in self._officers:
            self.select_officer(current)
        else:
            self._show_officer(None)

    def _load_timeline(self, officer_id: str) -> None:
        self._timeline_scope.invalidate()
        self._timeline_count = None
        service = self._service
        followups = service.followups()
        retention = service.retention()
        self._timeline_scope.run(
            lambda: (service.timeline(officer_id), followups.is_deceased(officer_id),
                     retention.is_officer_held(officer_id)),
            lambda result: self._timeline_arrived(officer_id, *result), self._failed,
        )

    def _timeline_arrived(
        self, officer_id: str, rows: list[CheckinSummary], deceased: bool = False,
        held: bool = False,
    ) -> None:
        self._timeline_count = len(rows)
        self.detail.show_timeline(officer_id, rows)
        self.detail.set_deceased(deceased)
        self.detail.set_held(held)

    # -- changes ----------------------------------------------------------------------------
    def _confirm_forget(self, preview: ForgetPreview) -> None:
        self._busy(False)
        if not self._confirm(self.tr("Forget this officer"), forget_message(preview), self._epoch):
            return
        service = self._service
        self._busy(True)
        self._scope.run(
            lambda: service.forget_officer(preview.officer_id),
            lambda done: self._after_change(plural(
                done.checkins, "Officer forgotten: {n} check-in deleted.",
                "Officer forgotten: {n} check-ins deleted.")),
            self._failed,
        )

    def _confirm(self, title: str, text: str, epoch: int) -> bool:
        answer = QMessageBox.question(
            self, title, text,
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Cancel,
        )
        return answer == QMessageBox.StandardButton.Yes and epoch == self._epoch

    def _after_change(self, message: str, select: str | None = None) -> None:
        self._busy(False)
        self._scope.run(
            self._service.officers,
            lambda officers: self._changed_and_loaded(officers, message, select),
            self._failed,
        )
        self.changed.emit()

    def _changed_and_loaded(
        self, officers: list[Officer], message: str, select: str | None
    ) -> None:
        self._officers_arrived(officers)
        if select is not None:
            self.select_officer(select)
        self.status.setText(message)

    def _failed(self, exc: BaseException) -> None:
        self._busy(False)
        if isinstance(exc, LegalHoldError):
            self.error.setText(self.tr(
                "This officer, or one of their check-ins, is under a legal hold: it cannot "
                "be deleted, forgotten or merged away until the hold is lifted. Nothing was "
                "changed."))
        elif (storage := storage_error_message(exc)) is not None:
            self.error.setText(storage)
        else:
            self.error.setText(self.tr("That did not work ({kind}). Nothing was changed.")
                               .format(kind=type(exc).__name__))
        self.error.setVisible(True)

    def _busy(self, on: bool) -> None:
        self.detail.set_busy(on)
        if on:
            self.error.setVisible(False)

    # -- showing ----------------------------------------------------------------------------
    def _refilter(self, *_: Any) -> None:
        needle = self.find_field.text().casefold().strip()
        current = self.list.currentItem()
        for row in range(self.list.count()):
            item = self.list.item(row)
            officer = self._officers.get(item.data(IdRole))
            if officer is None:
                continue
            matches = bool(needle) and (
                needle in officer.alias.casefold() or needle in officer.full_name.casefold()
            )
            item.setHidden(bool(needle) and not matches)
            reveal = matches or item is current or self.show_names.isChecked()
            item.setText(officer.alias if reveal else MASK)
            item.setData(Qt.ItemDataRole.AccessibleTextRole,
                         officer.alias if reveal else self.tr("Name hidden"))

    def _current_changed(self, current: QListWidgetItem | None, _previous: Any) -> None:
        self._refilter()
        officer_id = None if current is None else current.data(IdRole)
        self._show_officer(officer_id)
        if officer_id is not None:
            self._load_timeline(officer_id)

    def _show_officer(self, officer_id: str | None) -> None:
        if officer_id is None:
            self._timeline_scope.invalidate()
            self._timeline_count = None
        self.detail.show_officer(self._officers.get(officer_id) if officer_id else None)

    def _choice_labels(self, exclude: str) -> dict[str, str]:
        """Label -> officer id for every other officer; duplicate aliases told apart."""
        labels: dict[str, str] = {}
        for officer in sorted(self._officers.values(), key=lambda o: o.alias.casefold()):
            if officer.id == exclude:
                continue
            text = officer.alias
            if officer.full_name and text in labels:
                text = f"{officer.alias} ({officer.full_name})"
            n = 2
            base = text
            while text in labels:
                text, n = f"{base} #{n}", n + 1
            labels[text] = officer.id
        return labels
