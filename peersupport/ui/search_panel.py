"""Search across notes, names and references, in a background thread, results as found.

The search runs on its own thread rather than through ``run_task``: it reads every check-in,
which would hold the single worker that serializes saves for as long as it takes, and it must
stop mid-way when the text changes or the vault locks. It only reads (SQLite's WAL lets it
read beside a writer). Nothing of the search - text or results - is written anywhere: no
settings, no history, no log line with the text.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

import shiboken6
from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QHBoxLayout,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QVBoxLayout,
    QWidget,
)

from peersupport.domain import codes
from peersupport.ui import style
from peersupport.ui.presentation import (
    MASK,
    UNKNOWN_OFFICER,
    RoomyDelegate,
    format_when,
    label,
    plural,
)

if TYPE_CHECKING:
    from peersupport.services.checkins import CheckinService

MIN_CHARS = 2
DEBOUNCE_MS = 250
BATCH = 25  # hits per batch from the service: small, so the first ones show at once
MAX_RESULTS = 500  # check-ins; past this the supporter is asked to narrow the search
JOIN_SECONDS = 5.0
IdRole = Qt.ItemDataRole.UserRole + 1
FIELD_LABELS = {
    "notes": "Notes",
    "incident_ref": "Reference",
    "referral_providers": "Providers",
    "officer": "Officer",
}


@dataclass
class Result:
    """One check-in that matched, with what the list line needs."""

    checkin_id: str
    occurred_at: datetime | None = None
    incident_category: str | None = None
    alias: str | None = None  # the main officer, or None for a group
    damaged: bool = False
    hits: list[tuple[str, str]] = field(default_factory=list)  # (field, snippet)

    def __repr__(self) -> str:
        return f"<Result {self.checkin_id}>"


class _Relay(QObject):
    """Carries batches from the search thread to the UI thread (queued signals)."""

    found = Signal(object)  # list[Result]
    ended = Signal(bool, int)  # MAX_RESULTS reached; check-ins that failed authentication
    failed = Signal(str)


class _Search:
    """One run of the search on a plain thread; cancelled through an Event."""

    def __init__(self, service: CheckinService, text: str) -> None:
        self.cancel = threading.Event()
        self.relay = _Relay()
        self._service = service
        self._text = text
        self.thread = threading.Thread(target=self._run, name="peersupport-search")

    def start(self) -> None:
        self.thread.start()

    def stop(self, wait: bool) -> None:
        self.cancel.set()
        self.detach()
        if wait and self.thread.is_alive():
            self.thread.join(JOIN_SECONDS)

    def _describe(self, checkin_id: str) -> Result:
        from peersupport.crypto.errors import TamperError

        try:
            detail = self._service.get(checkin_id)
        except TamperError:
            return Result(checkin_id, damaged=True)
        c = detail.checkin
        alias = detail.officer.alias if detail.officer else (
            UNKNOWN_OFFICER if c.officer_id else None)
        return Result(checkin_id, c.occurred_at, c.incident_category, alias)

    def _run(self) -> None:
        damaged: list[str] = []
        batches = self._service.search(
            self._text, BATCH, self.cancel.is_set, on_damaged=damaged.append
        )
        try:
            seen: set[str] = set()
            for hits in batches:
                batch: dict[str, Result] = {}
                for hit in hits:
                    if self.cancel.is_set():
                        return
                    result = batch.get(hit.checkin_id)
                    if result is None:
                        if hit.checkin_id in seen:
                            result = Result(hit.checkin_id)  # adds to an earlier line
                        elif len(seen) >= MAX_RESULTS:
                            self._emit(batch)
                            self.relay.ended.emit(True, len(damaged))
                            return
                        else:
                            seen.add(hit.checkin_id)
                            result = self._describe(hit.checkin_id)
                        batch[hit.checkin_id] = result
                    result.hits.append((hit.field, hit.snippet))
                self._emit(batch)
            if not self.cancel.is_set():
                self.relay.ended.emit(False, len(damaged))
        except Exception as exc:  # handed to the UI thread by type only
            if not self.cancel.is_set():
                self.relay.failed.emit(type(exc).__name__)
        finally:
            close = getattr(batches, "close", None)
            if close is not None:  # ends the read transaction now, not at garbage collection
                close()

    def detach(self) -> None:
        """Drop the UI's connections: late batches go nowhere, and nothing keeps us alive."""
        for signal in (self.relay.found, self.relay.ended, self.relay.failed):
            try:
                signal.disconnect()
            except (RuntimeError, TypeError):
                pass

    def _emit(self, batch: dict[str, Result]) -> None:
        if batch and not self.cancel.is_set():
            self.relay.found.emit(list(batch.values()))


class SearchPanel(QWidget):
    open_requested = Signal(str)
    progress = Signal(int)  # check-ins found so far, after each batch
    finished = Signal(int)  # the search ended (not cancelled) with this many check-ins

    def __init__(self, service: CheckinService, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._service = service
        self._search: _Search | None = None
        self._retired: list[_Search] = []  # cancelled, maybe still finishing a row
        self._results: dict[str, Result] = {}
        self._items: dict[str, QListWidgetItem] = {}
        # If the page is destroyed without clear(), its searches still stop.
        cancels: list[threading.Event] = []
        self._cancels = cancels

        def cancel_all(*_: Any) -> None:
            for event in cancels:
                event.set()

        self.destroyed.connect(cancel_all)

        title = style.heading(self.tr("Search"), self, 1.3)
        self.field = QLineEdit(self)
        self.field.setPlaceholderText(self.tr("Words in notes, names, contact details or "
                                              "incident references"))
        self.field.setAccessibleName(self.tr("Search text"))
        self.field.setClearButtonEnabled(True)
        self.field.textEdited.connect(self._text_edited)
        self.field.textChanged.connect(self._text_changed)
        self.field.returnPressed.connect(self._start_now)
        self.show_names = QCheckBox(self.tr("&Show names"), self)
        self.show_names.setToolTip(self.tr(
            "Show officers' names in every result; otherwise only in the selected one."))
        self.show_names.toggled.connect(self._render_all)
        self.status = style.muted(self.tr(
            "Search runs on this computer, over your unlocked vault. Nothing you type here "
            "is saved."), self)
        self.damaged = style.error_label(self)
        self.damaged.setTextFormat(Qt.TextFormat.PlainText)
        self.results = QListWidget(self)
        self.results.setAccessibleName(self.tr("Search results"))
        self.results.setWordWrap(True)
        self.results.setAlternatingRowColors(True)
        self.results.setItemDelegate(RoomyDelegate(self.results))
        self.results.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.results.currentItemChanged.connect(self._current_changed)
        self.results.itemActivated.connect(self._activated)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(DEBOUNCE_MS)
        self._timer.timeout.connect(self._start_now)

        row = QHBoxLayout()
        row.addWidget(self.field, 1)
        row.addWidget(self.show_names)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 18, 24, 12)
        layout.setSpacing(8)
        layout.addWidget(title)
        layout.addLayout(row)
        layout.addWidget(self.status)
        layout.addWidget(self.damaged)
        layout.addWidget(self.results, 1)

    # -- public -------------------------------------------------------------------------------
    def focus_field(self) -> None:
        self.field.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.field.selectAll()

    def search(self, text: str) -> None:
        """Search for ``text`` now (as typing it and pressing Enter would)."""
        self.field.setText(text)
        self._start_now()

    def is_searching(self) -> bool:
        return self._search is not None or any(s.thread.is_alive() for s in self._retired)

    def result_ids(self) -> list[str]:
        return list(self._results)

    def clear(self) -> None:
        """Stop the search, wait for its thread, and wipe the text and every result."""
        self._timer.stop()
        self._stop(wait=True)
        for old in self._retired:
            old.stop(wait=True)
        self._retired = [s for s in self._retired if s.thread.is_alive()]
        self.field.blockSignals(True)
        self.field.setText("")  # unlike clear(), also empties the undo history
        self.field.blockSignals(False)
        self.show_names.setChecked(False)
        self._wipe_results()
        self.status.setText(self.tr("Search runs on this computer, over your unlocked vault. "
                                    "Nothing you type here is saved."))

    # -- running ----------------------------------------------------------------------------
    def _text_edited(self, _text: str) -> None:
        self._timer.start()

    def _text_changed(self, text: str) -> None:
        if len(text.strip()) < MIN_CHARS:
            self._timer.stop()
            self._stop(wait=False)
            self._wipe_results()
            self.status.setText(
                self.tr("Type at least {n} characters.").format(n=MIN_CHARS) if text.strip()
                else "")

    def _start_now(self) -> None:
        self._timer.stop()
        text = self.field.text().strip()
        self._stop(wait=False)
        self._wipe_results()
        if len(text) < MIN_CHARS:
            return
        search = _Search(self._service, text)
        search.relay.found.connect(lambda batch: self._found(search, batch))
        search.relay.ended.connect(
            lambda limited, damaged: self._ended(search, limited, damaged))
        search.relay.failed.connect(lambda kind: self._failed(search, kind))
        self._cancels.append(search.cancel)
        self._search = search
        self.status.setText(self.tr("Searching…"))
        search.start()

    def _stop(self, wait: bool) -> None:
        search, self._search = self._search, None
        if search is not None:
            search.stop(wait)
            if search.thread.is_alive():
                self._retired.append(search)
        self._retired = [s for s in self._retired if s.thread.is_alive()]
        self._cancels[:] = [s.cancel for s in (self._search, *self._retired) if s is not None]

    def _current(self, search: _Search) -> bool:
        return shiboken6.isValid(self) and search is self._search

    def _found(self, search: _Search, batch: list[Result]) -> None:
        if not self._current(search):
            return
        for result in batch:
            known = self._results.get(result.checkin_id)
            if known is not None:
                known.hits.extend(result.hits)
                self._render(self._items[result.checkin_id])
                continue
            self._results[result.checkin_id] = result
            item = QListWidgetItem()
            item.setData(IdRole, result.checkin_id)
            self._items[result.checkin_id] = item
            self.results.addItem(item)
            self._render(item)
        count = len(self._results)
        self.status.setText(self.tr("Searching… {n} found").format(n=f"{count:,}"))
        self.progress.emit(count)

    def _ended(self, search: _Search, limited: bool, damaged: int) -> None:
        if not self._current(search):
            return
        self._search = None
        search.detach()
        count = len(self._results)
        if limited:
            text = self.tr("Showing the first {n} check-ins found. Type more to narrow the "
                           "search.").format(n=f"{count:,}")
        elif count == 0:
            text = self.tr("Nothing found.")
        elif count == 1:
            text = self.tr("1 check-in found. Enter or double-click opens it.")
        else:
            text = self.tr("{n} check-ins found. Enter or double-click opens one.").format(
                n=f"{count:,}")
        self.status.setText(text)
        if damaged:
            self.damaged.setText(plural(
                damaged,
                "⚠ 1 check-in could not be searched: it failed its integrity check.",
                "⚠ {n} check-ins could not be searched: they failed their integrity check.",
            ) + " " + self.tr("“peersupport verify” lists damaged records."))
        self.damaged.setVisible(bool(damaged))
        self.finished.emit(count)

    def _failed(self, search: _Search, kind: str) -> None:
        if not self._current(search):
            return
        self._search = None
        search.detach()
        self.status.setText(self.tr("The search stopped ({kind}).").format(kind=kind))

    # -- showing ----------------------------------------------------------------------------
    def _wipe_results(self) -> None:
        self.damaged.clear()
        self.damaged.setVisible(False)
        self._results.clear()
        self._items.clear()
        self.results.blockSignals(True)
        self.results.clear()
        self.results.blockSignals(False)

    def _render(self, item: QListWidgetItem) -> None:
        result = self._results[item.data(IdRole)]
        reveal = self.show_names.isChecked() or item is self.results.currentItem()
        if result.damaged:
            first = self.tr("⚠ A check-in that failed its integrity check")
        else:
            parts = [format_when(result.occurred_at) if result.occurred_at else "",
                     label(codes.INCIDENT_CATEGORIES, result.incident_category)]
            if result.alias is not None:
                parts.append(result.alias if reveal else MASK)
            else:
                parts.append(self.tr("Group"))
            first = " · ".join(p for p in parts if p)
        lines = [first]
        for name, snippet in result.hits:
            if name == "officer" and not reveal:
                snippet = self.tr("name or contact details match")
            lines.append(f"    {self.tr(FIELD_LABELS.get(name, name))}: {snippet}")
        item.setText("\n".join(lines))

    def _render_all(self, *_: Any) -> None:
        for row in range(self.results.count()):
            self._render(self.results.item(row))

    def _current_changed(
        self, current: QListWidgetItem | None, previous: QListWidgetItem | None
    ) -> None:
        for item in (previous, current):
            if item is not None and item.data(IdRole) in self._results:
                self._render(item)

    def _activated(self, item: QListWidgetItem) -> None:
        checkin_id = item.data(IdRole)
        if checkin_id:
            self.open_requested.emit(checkin_id)
