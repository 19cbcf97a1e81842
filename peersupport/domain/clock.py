"""Time zones and the injectable clock every scheduling function takes."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

Clock = Callable[[], datetime]  # returns a timezone-aware "now"


def system_clock() -> datetime:
    return datetime.now(UTC)


def system_zone_name() -> str:
    """The machine's IANA time zone (e.g. Europe/Madrid), or UTC when it cannot be told."""
    try:
        import tzlocal

        name = str(tzlocal.get_localzone_name() or "UTC")
        ZoneInfo(name)
        return name
    except Exception:  # any failure: a wrong zone is better than no schedule
        return "UTC"


def zone_or_system(name: str) -> str:
    """``name`` if it is a known IANA zone, else the system's."""
    if name and name != "system":
        try:
            ZoneInfo(name)
            return name
        except (ZoneInfoNotFoundError, ValueError):
            pass
    return system_zone_name()


def zone_names() -> list[str]:
    return sorted(available_timezones())
