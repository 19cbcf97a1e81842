"""Follow-up reminders: counts of due steps, from an in-memory list of due times.

While the vault is unlocked the list comes from the vault's anonymous schedule (the due
times of pending steps, nothing else) and is refreshed on every check; when the vault locks
the last list stays in memory, so counting and reminding go on without any record data.
After a restart nothing is known until the next unlock: then only a daily nudge to unlock
can be offered. The counting itself is in :mod:`peersupport.domain.reminders`.
"""

from __future__ import annotations

import logging
import math
from array import array
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, time
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from PySide6.QtCore import QObject, Qt, QTimer, Signal

from peersupport import hygiene
from peersupport.domain.clock import Clock, system_clock, zone_or_system
from peersupport.domain.reminders import (
    NUDGE_TEXT,
    check_due,
    next_due_after,
    next_nudge,
    nudge_due,
    parse_nudge,
)

if TYPE_CHECKING:
    from peersupport.services.vault import UnlockedVault

log = logging.getLogger(__name__)

Fetch = Callable[[], Sequence[int]]


class ReminderService(QObject):
    """Counts due follow-ups on a timer and says when one more fell due.

    ``due_changed(due_now, badge)``: steps due now, and overdue plus today's (the badge).
    ``notify(text)``: a reminder to show: a count only, or the daily nudge to unlock.
    """

    due_changed = Signal(int, int)
    notify = Signal(str)

    TICK_MS = 60_000
    MIN_WAIT_MS = 250

    def __init__(self, clock: Clock = system_clock, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.clock = clock
        self._zone_name = "system"
        self._zone_info: ZoneInfo | None = None  # looked up on first use: start-up stays lean
        self._dues: array[int] | None = None  # None: nothing known since the app started
        self._announced: tuple[int, ...] = ()
        self._due_now = 0
        self._badge = 0
        self._source: Fetch | None = None
        self._nudge_at: time | None = None
        self._last_check = clock()
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.timeout.connect(self.check)
        self._running = False

    # -- configuration ------------------------------------------------------------------------
    def set_zone(self, name: str) -> None:
        """``"system"`` or an IANA name: where "today" (for the badge) and the nudge are."""
        self._zone_name = name
        self._zone_info = None
        if self._running:
            self.check()

    def set_nudge(self, text: str) -> None:
        """``"HH:MM"`` for a daily nudge while nothing is known, ``""`` for none."""
        self._nudge_at = parse_nudge(text) if text else None
        if self._running:
            self._arm(self.clock())

    @property
    def zone(self) -> ZoneInfo:
        if self._zone_info is None:
            self._zone_info = ZoneInfo(zone_or_system(self._zone_name))
        return self._zone_info

    @property
    def nudge_at(self) -> time | None:
        return self._nudge_at

    # -- the schedule -------------------------------------------------------------------------
    def set_source(self, fetch: Fetch | None) -> None:
        """Where each check reads the current schedule from (the unlocked vault), or None
        to keep counting from the schedule in memory (locked)."""
        self._source = fetch

    def refresh_from(self, vault: UnlockedVault) -> None:
        """Read the vault's anonymous schedule now (one decryption) and check."""
        self.set_schedule(vault.followups().anonymous_schedule())

    def set_schedule(self, dues: Iterable[int]) -> None:
        """The due times (UTC epoch seconds) of every pending step, in any order."""
        self._dues = array("q", sorted(dues))
        self.check(force=True)

    def forget(self) -> None:
        """Drop the schedule (nothing known: only the daily nudge remains)."""
        self._dues = None
        self._announced = ()
        self._set_counts(0, 0, force=True)

    @property
    def has_schedule(self) -> bool:
        return self._dues is not None

    @property
    def schedule(self) -> tuple[int, ...]:
        return tuple(self._dues) if self._dues is not None else ()

    @property
    def due_now(self) -> int:
        return self._due_now

    @property
    def badge(self) -> int:
        return self._badge

    # -- running ------------------------------------------------------------------------------
    def start(self) -> None:
        self._running = True
        self._last_check = self.clock()
        self._arm(self._last_check)

    def stop(self) -> None:
        self._running = False
        self._timer.stop()

    def is_running(self) -> bool:
        return self._running

    def check(self, force: bool = False) -> None:
        """Look at the clock: refresh from the source, recount, remind if one more is due.
        Called by the timer, after unlock and after the computer wakes up."""
        now = self.clock()
        if self._source is not None:
            try:
                self._dues = array("q", sorted(self._source()))
            except Exception as exc:  # a failed read keeps the last schedule
                log.warning("could not read the follow-up schedule: %s",
                            hygiene.describe_exception(exc))
        if self._dues is None:
            at = self._nudge_at
            if at is not None and nudge_due(self._last_check, now, at, self.zone):
                self.notify.emit(NUDGE_TEXT)
        else:
            result = check_due(self._dues, self._announced, now, self.zone)
            self._announced = result.announced
            self._set_counts(result.due_now, result.badge, force)
            if result.text is not None:
                self.notify.emit(result.text)
        self._last_check = now
        if self._running:
            self._arm(now)

    def _set_counts(self, due_now: int, badge: int, force: bool) -> None:
        if force or (due_now, badge) != (self._due_now, self._badge):
            self._due_now, self._badge = due_now, badge
            self.due_changed.emit(due_now, badge)

    def _arm(self, now: datetime) -> None:
        """Wake at the next due time or nudge time, and at least every minute (the badge
        also changes at midnight, and the source may have changed)."""
        wait_s = self.TICK_MS / 1000
        if self._dues is not None:
            due = next_due_after(self._dues, now)
            if due is not None:
                wait_s = min(wait_s, due - now.timestamp())
        elif self._nudge_at is not None:
            wait_s = min(wait_s, (next_nudge(now, self._nudge_at, self.zone) - now)
                         .total_seconds())
        self._timer.start(max(self.MIN_WAIT_MS, math.ceil(wait_s * 1000) + 5))
