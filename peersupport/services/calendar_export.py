"""Follow-ups as an iCalendar file (.ics), for the supporter's own calendar application.

A calendar file leaves the vault in clear and often ends up synchronised to someone's cloud, so
it says only *when* a follow-up is due, never with whom or why:

- one VEVENT per pending step or milestone due within the window (overdue ones included, at
  their due time), 15 minutes long, in UTC;
- SUMMARY is always "Peer follow-up"; there is no DESCRIPTION, LOCATION, CATEGORIES, attendee,
  label, alias, name, note, incident category or record id in any property;
- UID is a one-way hash of the plan id and the step id, so it links to no record, and a later
  export of the same step carries the same UID: importing it again updates the event instead of
  adding a second one;
- SEQUENCE counts how many times the step's due time has moved (snooze, reschedule, a contact
  that pushed it back), so a moved step reaches the calendar as a newer version;
- an optional VALARM (DISPLAY, "Peer follow-up") some minutes before.

The file is written atomically with mode 0600.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from icalendar import Alarm, Calendar, Event  # type: ignore[import-untyped]  # no stubs in 6.x

from peersupport.atomic import write_atomic
from peersupport.domain.followup import Plan, Step

__all__ = [
    "DEFAULT_DAYS",
    "DURATION",
    "MAX_ALARM_MINUTES",
    "MAX_DAYS",
    "PRODID",
    "SUMMARY",
    "calendar_steps",
    "export_ics",
    "ics_for",
    "step_sequences",
    "step_uid",
    "write_ics",
]

SUMMARY = "Peer follow-up"
PRODID = "-//peersupport//follow-ups//EN"
UID_DOMAIN = "peersupport"
DURATION = timedelta(minutes=15)
DEFAULT_DAYS = 30
MAX_DAYS = 3660  # ten years ahead
MAX_ALARM_MINUTES = 28 * 24 * 60  # four weeks before
_UID_CONTEXT = b"peersupport follow-up calendar uid v1\0"
_MOVING = frozenset({"snooze", "reschedule", "contact"})


def step_uid(plan_id: str, step_id: str) -> str:
    """Stable and opaque: the same step always gets the same UID, which reveals nothing."""
    digest = hashlib.sha256(_UID_CONTEXT + f"{plan_id}\0{step_id}".encode()).hexdigest()
    return f"{digest[:32]}@{UID_DOMAIN}"  # 128 bits; short enough for one unfolded line


def step_sequences(plan: Plan) -> dict[str, int]:
    """For each step and milestone, how many times its due time has moved: the plan's history
    replayed one instant at a time (snooze, reschedule, a contact that pushed it back; moves
    recorded at the very same instant count once)."""
    previous = {s.id: s.due for s in replace(plan, events=[]).schedule()}
    counts = dict.fromkeys(previous, 0)
    # only these move a due time; done, skip, stop and deceased resolve steps or relabel them
    moving = {e.at.astimezone(UTC) for e in plan.events if e.kind in _MOVING}
    for instant in sorted(moving):
        history = [e for e in plan.events if e.at <= instant]
        for step in replace(plan, events=history).schedule():
            if step.due != previous.get(step.id, step.due):
                counts[step.id] = counts.get(step.id, 0) + 1
            previous[step.id] = step.due
    return counts


def calendar_steps(plans: Iterable[Plan], now: datetime, days: int) -> list[tuple[Plan, Step]]:
    """The pending steps due no later than ``days`` after ``now`` (overdue ones included), in
    due order."""
    if now.tzinfo is None:
        raise ValueError("now needs a time zone")
    if not 0 <= days <= MAX_DAYS:
        raise ValueError(f"days must be between 0 and {MAX_DAYS}")
    until = now + timedelta(days=days)
    found = [
        (plan, step) for plan in plans for step in plan.schedule()
        if step.is_pending and step.due <= until
    ]
    found.sort(key=lambda p: (p[1].due, p[0].id, p[1].id))
    return found


def ics_for(
    steps: Iterable[tuple[Plan, Step]], now: datetime, alarm_minutes: int | None = None,
) -> bytes:
    """The calendar for these steps (see the module's docstring for what it holds)."""
    if now.tzinfo is None:
        raise ValueError("now needs a time zone")
    if alarm_minutes is not None and not 0 <= alarm_minutes <= MAX_ALARM_MINUTES:
        raise ValueError(f"the alarm must be between 0 and {MAX_ALARM_MINUTES} minutes before")
    stamp = now.astimezone(UTC).replace(microsecond=0)
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    sequences: dict[str, dict[str, int]] = {}
    for plan, step in steps:
        if plan.id not in sequences:
            sequences[plan.id] = step_sequences(plan)
        event = Event()
        event.add("uid", step_uid(plan.id, step.id))
        event.add("dtstamp", stamp)
        event.add("dtstart", step.due.astimezone(UTC).replace(microsecond=0))
        event.add("duration", DURATION)
        event.add("summary", SUMMARY)
        event.add("class", "PRIVATE")
        event.add("sequence", sequences[plan.id].get(step.id, 0))
        if alarm_minutes is not None:
            alarm = Alarm()
            alarm.add("action", "DISPLAY")
            alarm.add("description", SUMMARY)
            alarm.add("trigger", timedelta(minutes=-alarm_minutes))
            event.add_component(alarm)
        calendar.add_component(event)
    data: bytes = calendar.to_ical()
    return data


def export_ics(
    plans: Iterable[Plan], now: datetime, days: int = DEFAULT_DAYS,
    alarm_minutes: int | None = None,
) -> bytes:
    """One event per pending step due within ``days`` of ``now`` (and every overdue one)."""
    return ics_for(calendar_steps(plans, now, days), now, alarm_minutes)


def write_ics(path: Path, data: bytes) -> None:
    """Atomically (a temporary file in the same folder, then a rename), readable by the owner
    only: the file says when follow-ups are due, which is itself worth keeping private."""
    write_atomic(path, [data])  # the temporary file is created with mode 0600
    if os.name == "posix":
        os.chmod(path, 0o600)
