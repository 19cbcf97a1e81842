"""The filter bar above the check-ins table: month, incident, contact type and officer."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QPushButton, QWidget

from peersupport.domain import codes
from peersupport.services.checkins import CheckinFilter


def month_label(period: str) -> str:
    return datetime.strptime(period, "%Y-%m").strftime("%B %Y")


def _combo(parent: QWidget, name: str, first: str, chars: int) -> QComboBox:
    combo = QComboBox(parent)
    combo.setAccessibleName(name)
    combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
    combo.setMinimumContentsLength(chars)
    combo.addItem(first, None)
    return combo


class CheckinFilterBar(QWidget):
    """Month, incident and contact type are plaintext codes the database filters on; the
    officer link is sealed, so that filter is applied to decrypted rows."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.month = _combo(self, self.tr("Month"), self.tr("All months"), 16)
        self.incident = _combo(self, self.tr("Incident"), self.tr("All incidents"), 18)
        for code, text in codes.INCIDENT_CATEGORIES.items():
            self.incident.addItem(self.tr(text), code)
        self.contact = _combo(self, self.tr("Contact type"), self.tr("All contact types"), 16)
        for code, text in codes.CONTACT_TYPES.items():
            self.contact.addItem(self.tr(text), code)
        self.officer = _combo(self, self.tr("Officer"), self.tr("All officers"), 12)
        self.combos = (self.month, self.incident, self.contact, self.officer)
        for combo in self.combos:
            combo.currentIndexChanged.connect(self._changed)
        self.reset_button = QPushButton(self.tr("Clear filters"), self)
        self.reset_button.setVisible(False)
        self.reset_button.clicked.connect(self.reset)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.month)
        layout.addWidget(self.incident, 2)
        layout.addWidget(self.contact, 1)
        layout.addWidget(self.officer, 1)
        layout.addWidget(self.reset_button)

    def current(self) -> tuple[CheckinFilter, str | None]:
        period = self.month.currentData()
        flt = CheckinFilter(
            periods=(period,) if period else (),
            incident_category=self.incident.currentData(),
            contact_type=self.contact.currentData(),
        )
        return flt, self.officer.currentData()

    def set_periods(self, periods: list[tuple[str, int]]) -> None:
        """Newest first, with counts. A chosen month that is gone falls back to all months."""
        self._refill(self.month, [(f"{month_label(p)} ({n:,})", p) for p, n in periods])

    def set_officers(self, aliases: dict[str, str]) -> None:
        ordered = sorted(aliases.items(), key=lambda item: item[1].casefold())
        self._refill(self.officer, [(alias, oid) for oid, alias in ordered])

    def reset(self) -> None:
        """Every filter back to "all"; one ``changed``."""
        def all_of_them() -> None:
            for combo in self.combos:
                combo.setCurrentIndex(0)

        self._quietly(all_of_them)
        self._changed()

    def clear(self) -> None:
        """Back to "all" and forget the months and names listed; no signal."""
        def wipe() -> None:
            for combo in self.combos:
                combo.setCurrentIndex(0)
            for combo in (self.month, self.officer):
                while combo.count() > 1:
                    combo.removeItem(combo.count() - 1)

        self._quietly(wipe)
        self.reset_button.setVisible(False)

    # -- internals --------------------------------------------------------------------------
    def _changed(self, *_: Any) -> None:
        flt, officer_id = self.current()
        self.reset_button.setVisible(flt != CheckinFilter() or officer_id is not None)
        self.changed.emit()

    def _quietly(self, change: Callable[[], None]) -> None:
        for combo in self.combos:
            combo.blockSignals(True)
        try:
            change()
        finally:
            for combo in self.combos:
                combo.blockSignals(False)

    def _refill(self, combo: QComboBox, items: list[tuple[str, str]]) -> None:
        chosen = combo.currentData()

        def refill() -> None:
            while combo.count() > 1:
                combo.removeItem(combo.count() - 1)
            for text, data in items:
                combo.addItem(text, data)
            combo.setCurrentIndex(max(combo.findData(chosen), 0) if chosen else 0)

        self._quietly(refill)
        if chosen and combo.currentData() != chosen:
            self._changed()
