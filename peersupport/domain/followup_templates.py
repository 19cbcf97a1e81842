"""Follow-up plan templates: which steps a plan has, keyed by incident category.

A step is written as a short code so that templates can be edited as text in Preferences:

- ``24h``: exactly 24 real hours after the incident (DST changes do not move it);
- ``7d``: 7 calendar days later at the incident's local wall-clock time;
- ``7d@09:00``: 7 calendar days later at 09:00 local time;
- ``3w``, ``2m``, ``1y``: weeks, calendar months, years (``1y`` is the anniversary), with an
  optional ``@HH:MM`` like days.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from types import MappingProxyType
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta

from peersupport.domain.codes import INCIDENT_CATEGORIES

UNITS = {"h": "hours", "d": "days", "w": "weeks", "m": "months", "y": "years"}
_STEP = re.compile(r"^\s*(\d{1,4})\s*([hdwmy])\s*(?:@\s*(\d{1,2}):(\d{2}))?\s*$", re.IGNORECASE)
MAX_STEPS = 20
MAX_HOURS = 24 * 366
MAX_DAYS_EQUIVALENT = 366 * 5  # no step more than five years out


class TemplateError(ValueError):
    """A template step or list cannot be read; the message says why, in plain words."""


@dataclass(frozen=True, order=True)
class StepSpec:
    amount: int
    unit: str  # one of UNITS' keys
    at: time | None = None  # local time of day, for calendar units

    @property
    def code(self) -> str:
        text = f"{self.amount}{self.unit}"
        return f"{text}@{self.at:%H:%M}" if self.at is not None else text

    @property
    def label(self) -> str:
        """What the step is called on screen; it says nothing about the incident."""
        if self.unit == "y" and self.amount == 1:
            text = "1-year anniversary"
        else:
            word = UNITS[self.unit]
            text = f"{self.amount} {word[:-1] if self.amount == 1 else word}"
        return f"{text}, {self.at:%H:%M}" if self.at is not None else text

    def due(self, incident_at: datetime, zone: ZoneInfo) -> datetime:
        """When this step falls due for an incident at ``incident_at`` (timezone-aware), as a
        UTC instant. Hours are elapsed time; calendar units keep the local wall-clock time in
        ``zone``."""
        if self.unit == "h":
            # in UTC: adding hours to a time with a ZoneInfo would add wall-clock hours, and
            # 24 h across a DST change would be 23 or 25 real hours
            return incident_at.astimezone(UTC) + timedelta(hours=self.amount)
        local = incident_at.astimezone(zone)
        delta = {
            "d": relativedelta(days=self.amount),
            "w": relativedelta(weeks=self.amount),
            "m": relativedelta(months=self.amount),
            "y": relativedelta(years=self.amount),
        }[self.unit]
        wall = local.replace(tzinfo=None, fold=0) + delta
        if self.at is not None:
            wall = wall.replace(hour=self.at.hour, minute=self.at.minute, second=0, microsecond=0)
        # fold=0: an ambiguous wall time (clocks going back) takes its first occurrence; a
        # wall time that does not exist (clocks going forward) is moved forward by the gap
        return _normalise(wall.replace(tzinfo=zone, fold=0))

    def approximate_days(self) -> float:
        return {"h": self.amount / 24, "d": self.amount, "w": 7 * self.amount,
                "m": 30.44 * self.amount, "y": 365.25 * self.amount}[self.unit]


def _normalise(aware: datetime) -> datetime:
    """The UTC instant of a local wall-clock time. One that does not exist (inside a
    spring-forward gap) is read with the offset from before the change (fold=0), which moves
    it forward by the gap, as a person would read it: 02:30 becomes 03:30."""
    return aware.astimezone(UTC)


def parse_step(text: str) -> StepSpec:
    match = _STEP.match(text)
    if match is None:
        raise TemplateError(
            f"'{text.strip()}' is not a step: write a number and h, d, w, m or y, "
            "for example 24h, 7d, 7d@09:00 or 1y"
        )
    amount, unit = int(match.group(1)), match.group(2).lower()
    at = None
    if match.group(3) is not None:
        if unit == "h":
            raise TemplateError(f"'{text.strip()}': a time of day only goes with d, w, m or y")
        hour, minute = int(match.group(3)), int(match.group(4))
        if hour > 23 or minute > 59:
            raise TemplateError(f"'{text.strip()}': {hour}:{minute:02d} is not a time of day")
        at = time(hour, minute)
    spec = StepSpec(amount, unit, at)
    if unit == "h" and amount > MAX_HOURS:
        raise TemplateError(
            f"'{text.strip()}': at most {MAX_HOURS} hours; for longer, use d, w, m or y")
    if amount < 1 or spec.approximate_days() > MAX_DAYS_EQUIVALENT:
        raise TemplateError(f"'{text.strip()}' must be at least 1 and at most five years")
    return spec


def parse_steps(text: str) -> tuple[StepSpec, ...]:
    """A comma-separated list of steps, returned in time order, without repeats."""
    parts = [p for p in text.split(",") if p.strip()]
    steps = sorted({parse_step(p) for p in parts}, key=_order)
    if len(steps) > MAX_STEPS:
        raise TemplateError(f"At most {MAX_STEPS} steps in a plan.")
    return tuple(steps)


def _order(spec: StepSpec) -> tuple[float, int, str, bool, time]:
    """Template order: by length, then a fixed order for steps of the same length (the
    dataclass order cannot compare a step without a time of day with one that has one)."""
    return (spec.approximate_days(), spec.amount, spec.unit, spec.at is not None,
            spec.at or time(0))


def format_steps(steps: tuple[StepSpec, ...]) -> str:
    return ", ".join(s.code for s in steps)


CRITICAL_STEPS = parse_steps("24h, 72h, 7d, 30d, 90d, 1y")
LIGHT_STEPS = parse_steps("7d, 30d")
_LIGHT_CATEGORIES = frozenset({"cumulative_stress", "personal_or_family", "other", "undisclosed"})

DEFAULT_TEMPLATES: Mapping[str, tuple[StepSpec, ...]] = MappingProxyType({
    category: LIGHT_STEPS if category in _LIGHT_CATEGORIES else CRITICAL_STEPS
    for category in INCIDENT_CATEGORIES
})


def templates_from_codes(raw: object) -> dict[str, tuple[StepSpec, ...]]:
    """Templates as stored in settings (category -> step codes), over the defaults.
    Unknown categories and unreadable entries are ignored (the default stays)."""
    result = dict(DEFAULT_TEMPLATES)
    if isinstance(raw, Mapping):
        for category, text in raw.items():
            if category in result and isinstance(text, str):
                try:
                    result[category] = parse_steps(text)
                except TemplateError:
                    continue
    return result


def templates_to_codes(templates: Mapping[str, tuple[StepSpec, ...]]) -> dict[str, str]:
    """Only what differs from the defaults, for settings."""
    return {
        category: format_steps(steps) for category, steps in templates.items()
        if DEFAULT_TEMPLATES.get(category) != steps
    }
