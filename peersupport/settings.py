"""Non-sensitive settings, declared once, typed, with defaults and limits.

Stored as JSON in the data directory. Nothing identifying belongs here: no names, no paths
that could contain a name, no search history. The one path kept is the automatic-backup
folder, and only as the user chose it in Preferences (never a record's or an export's
path). Follow-up templates are stored as step codes (``24h, 72h, 7d``) per incident category,
and only where they differ from the defaults.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import NamedTuple

from peersupport.atomic import write_atomic

log = logging.getLogger(__name__)

IDLE_MINUTES_MIN = 1
IDLE_MINUTES_MAX = 60
LANGUAGES = ("system", "en", "es")
SYSTEM_ZONE = "system"
CLOSE_ASK, CLOSE_TRAY, CLOSE_QUIT = "ask", "tray", "quit"
CLOSE_CHOICES = (CLOSE_ASK, CLOSE_TRAY, CLOSE_QUIT)
REQUEST_RATE_MIN, REQUEST_RATE_MAX = 1, 30
MAX_CRISIS_RESOURCES_TEXT = 2000
# retention (program policy): days after which check-in notes, and the identifying details of
# officers with no activity, expire. 0 is off (the default); only these choices are accepted,
# and any other stored value reads as off: a mistyped value never deletes anything.
RETENTION_DAYS = (0, 30, 90, 180, 365, 730, 1825, 3650)
# automatic backups: a folder the user chose in Preferences ("" is off), how many to keep and
# how often (hours)
AUTO_BACKUP_KEEP_MIN, AUTO_BACKUP_KEEP_MAX = 1, 100
AUTO_BACKUP_HOURS_MIN, AUTO_BACKUP_HOURS_MAX = 1, 168
MAX_FOLDER_TEXT = 1000
_HH_MM = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*$")


class Settings(NamedTuple):
    idle_lock_minutes: int = 5
    lock_on_screen_lock: bool = True
    language: str = "system"
    last_contact_type: str = "in_person"  # a code, pre-selected in the next check-in form
    # category code -> step codes, only where they differ from the default templates
    followup_templates: dict[str, str] = {}  # noqa: RUF012 - never mutated: validated() copies
    time_zone: str = SYSTEM_ZONE  # "system" or an IANA name such as "Europe/Madrid"
    close_to_tray: str = CLOSE_ASK  # what closing the window does when a tray exists
    daily_nudge: str = ""  # "" (off) or "HH:MM": remind to unlock, after a restart
    start_at_login: bool = False
    # follow-up requests: how many the request form accepts per minute (flood protection),
    # and the agency's own crisis lines shown for an urgent request, one "Name: number" per
    # line (public phone numbers, never a person's)
    request_rate_per_minute: int = 3
    crisis_resources: str = ""
    # statistics: program policy for suppression (k: counts from 1 to k-1 are never shared)
    stats_k: int = 5
    # retention: 0 (off) or one of RETENTION_DAYS (see services/retention.py)
    notes_expire_days: int = 0
    officer_details_expire_days: int = 0
    # automatic backups (encrypted .psbak files): only ever a folder the user chose in
    # Preferences; "" is off
    auto_backup_folder: str = ""
    auto_backup_keep: int = 7
    auto_backup_hours: int = 24

    def validated(self) -> Settings:
        minutes = min(max(int(self.idle_lock_minutes), IDLE_MINUTES_MIN), IDLE_MINUTES_MAX)
        language = self.language if self.language in LANGUAGES else "system"
        return self._replace(
            idle_lock_minutes=minutes, lock_on_screen_lock=bool(self.lock_on_screen_lock),
            language=language,
            last_contact_type=str(self.last_contact_type)[:40],
            followup_templates=valid_templates(self.followup_templates),
            time_zone=valid_zone(self.time_zone),
            close_to_tray=self.close_to_tray if self.close_to_tray in CLOSE_CHOICES else CLOSE_ASK,
            daily_nudge=valid_nudge(self.daily_nudge),
            start_at_login=self.start_at_login is True,
            request_rate_per_minute=_clamped(self.request_rate_per_minute, REQUEST_RATE_MIN,
                                             REQUEST_RATE_MAX, 3),
            stats_k=_clamped(self.stats_k, 3, 11, 5),
            notes_expire_days=valid_retention(self.notes_expire_days),
            officer_details_expire_days=valid_retention(self.officer_details_expire_days),
            auto_backup_folder=valid_folder(self.auto_backup_folder),
            auto_backup_keep=_clamped(self.auto_backup_keep, AUTO_BACKUP_KEEP_MIN,
                                      AUTO_BACKUP_KEEP_MAX, 7),
            auto_backup_hours=_clamped(self.auto_backup_hours, AUTO_BACKUP_HOURS_MIN,
                                       AUTO_BACKUP_HOURS_MAX, 24),
            crisis_resources=(self.crisis_resources if isinstance(self.crisis_resources, str)
                              else "")[:MAX_CRISIS_RESOURCES_TEXT],
        )


def _clamped(value: object, low: int, high: int, default: int) -> int:
    if type(value) is not int:
        return default
    return min(max(value, low), high)


def valid_retention(value: object) -> int:
    """One of RETENTION_DAYS, else 0 (off)."""
    return value if type(value) is int and value in RETENTION_DAYS else 0


def valid_folder(value: object) -> str:
    """An absolute folder path (as chosen in Preferences), else ``""`` (off)."""
    if not isinstance(value, str) or not value or len(value) > MAX_FOLDER_TEXT:
        return ""
    if "\x00" in value or not Path(value).is_absolute():
        return ""
    return value


def valid_templates(raw: object) -> dict[str, str]:
    """Readable step codes for known categories that differ from the defaults; anything
    else is dropped (that category keeps its default plan)."""
    if not raw or not isinstance(raw, dict):
        return {}
    # imported here: parsing templates is not needed to show the lock screen
    from peersupport.domain.followup_templates import templates_from_codes, templates_to_codes

    return templates_to_codes(templates_from_codes(raw))


def valid_zone(name: object) -> str:
    """``name`` if it is an IANA time zone this computer knows, else ``"system"``."""
    if not isinstance(name, str) or not name or name == SYSTEM_ZONE or len(name) > 64:
        return SYSTEM_ZONE
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return SYSTEM_ZONE
    return name


def valid_nudge(text: object) -> str:
    """``"HH:MM"`` (zero-padded) for a time of day, else ``""`` (no daily nudge)."""
    match = _HH_MM.match(text) if isinstance(text, str) else None
    if match is None:
        return ""
    hour, minute = int(match.group(1)), int(match.group(2))
    if hour > 23 or minute > 59:
        return ""
    return f"{hour:02d}:{minute:02d}"


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
