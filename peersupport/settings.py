"""Non-sensitive settings, declared once, typed, with defaults and limits.

Stored as JSON in the data directory. Nothing identifying belongs here: no names, no paths
that could contain a name, no search history.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import NamedTuple

from peersupport.atomic import write_atomic

log = logging.getLogger(__name__)

IDLE_MINUTES_MIN = 1
IDLE_MINUTES_MAX = 60
LANGUAGES = ("system", "en", "es")


class Settings(NamedTuple):
    idle_lock_minutes: int = 5
    lock_on_screen_lock: bool = True
    language: str = "system"
    last_contact_type: str = "in_person"  # a code, pre-selected in the next check-in form

    def validated(self) -> Settings:
        minutes = min(max(int(self.idle_lock_minutes), IDLE_MINUTES_MIN), IDLE_MINUTES_MAX)
        language = self.language if self.language in LANGUAGES else "system"
        return self._replace(
            idle_lock_minutes=minutes, lock_on_screen_lock=bool(self.lock_on_screen_lock),
            language=language,
            last_contact_type=str(self.last_contact_type)[:40],
        )


def load(path: Path) -> Settings:
    if not path.exists():
        return Settings()
    import json

    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(raw, dict):
            raise ValueError("settings file does not hold an object")
        known = set(Settings._fields)
        return Settings(**{k: v for k, v in raw.items() if k in known}).validated()
    except (OSError, ValueError, TypeError):
        log.warning("settings file unreadable; using defaults")
        return Settings()


def save(path: Path, settings: Settings) -> None:
    import json

    data = json.dumps(settings.validated()._asdict(), indent=2, sort_keys=True).encode()
    write_atomic(path, [data])
