"""What a reminder says and when, from due times alone.

The app keeps only the due times (UTC epoch seconds) of pending follow-up steps in memory
while the vault is locked. From those it can tell how many steps are due and whether one
fell due since the last look; a reminder therefore says a count and nothing else: no name,
alias, category or time. After a restart, when nothing is in memory, it can only nudge the
supporter once a day to unlock.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

NUDGE_TEXT = "Unlock Peer Support to check follow-ups"


def due_text(count: int) -> str:
    """The whole of a reminder: a count."""
    return "1 peer follow-up due" if count == 1 else f"{count} peer follow-ups due"


def epoch(moment: datetime) -> int:
    """Whole seconds since 1970 (as the agenda stores due times)."""
    return int((moment - datetime(1970, 1, 1, tzinfo=UTC)).total_seconds())


@dataclass(frozen=True)
class DueCheck:
    due_now: int  # steps due at or before now
    badge: int  # overdue plus due later today (local day)
    text: str | None  # the reminder to show, or None when nothing newly fell due
    announced: tuple[int, ...]  # due times now counted as announced: pass to the next check

    def __repr__(self) -> str:
        return f"<DueCheck due_now={self.due_now} badge={self.badge} text={self.text!r}>"


def _local_midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)


def check_due(
    dues: Sequence[int], announced: Sequence[int], now: datetime, zone: ZoneInfo
) -> DueCheck:
    """Count the due steps in ``dues`` (sorted epoch seconds) at ``now``.

    ``announced`` is what the previous check returned. A reminder is due when at least one
    step is due that was not due at the previous check (a new step, or one snoozed or
    moved that fell due again); the same steps never remind twice. A step done since
    simply leaves the count.
    """
    now_s = epoch(now)
    due_now = bisect_right(dues, now_s)
    tomorrow = now.astimezone(zone).date() + timedelta(days=1)
    badge = bisect_left(dues, epoch(_local_midnight(tomorrow, zone)))
    current = tuple(dues[:due_now])
    if current == tuple(announced):
        fresh = False
    elif len(current) > len(announced) and current[: len(announced)] == tuple(announced):
        fresh = True  # the usual case: later steps fell due, nothing else changed
    else:
        fresh = bool(Counter(current) - Counter(announced))
    return DueCheck(due_now, max(badge, due_now), due_text(due_now) if fresh else None,
                    current)


def next_due_after(dues: Sequence[int], now: datetime) -> int | None:
    """The first due time later than ``now``, or None."""
    i = bisect_right(dues, epoch(now))
    return dues[i] if i < len(dues) else None


def parse_nudge(text: str) -> time | None:
    """``"HH:MM"`` as a time of day; anything else (``""``) means no nudge."""
    try:
        hour, minute = (int(part) for part in text.split(":"))
        return time(hour, minute)
    except ValueError:
        return None


def next_nudge(after: datetime, at: time, zone: ZoneInfo) -> datetime:
    """The first moment strictly after ``after`` when the local clock in ``zone`` shows
    ``at`` (a time skipped by a spring-forward change falls just after the change)."""
    local = after.astimezone(zone)
    day = local.date()
    for _ in range(3):
        candidate = datetime.combine(day, at, tzinfo=zone).astimezone(UTC)
        if candidate > after:
            return candidate
        day += timedelta(days=1)
    raise AssertionError("unreachable: a time of day recurs within three days")


def nudge_due(last_check: datetime, now: datetime, at: time, zone: ZoneInfo) -> bool:
    """Whether the daily nudge time passed between two looks at the clock (once, however
    many days a sleeping computer skipped)."""
    return next_nudge(last_check, at, zone) <= now
