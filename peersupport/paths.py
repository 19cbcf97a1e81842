"""The one place that knows where a vault's data directory is.

Order of precedence: ``--data-dir DIR`` on the command line, then the environment variable
``PEERSUPPORT_HOME``, then platformdirs' per-user data directory. The directory is created
with mode 0700 and the process umask is set to 077 so every file we write is private.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

ENV_VAR = "PEERSUPPORT_HOME"
DB_FILENAME = "peersupport.db"
SETTINGS_FILENAME = "settings.json"
LOCK_FILENAME = "peersupport.lock"
LOG_DIRNAME = "logs"
BACKUP_DIRNAME = "backups"


class DataDir:
    """Where one vault's files live. (A plain class: dataclasses cost start-up time.)"""

    __slots__ = ("root",)

    def __init__(self, root: Path) -> None:
        self.root = root

    def __repr__(self) -> str:
        return f"DataDir({str(self.root)!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, DataDir) and other.root == self.root

    def __hash__(self) -> int:
        return hash(self.root)

    @property
    def database(self) -> Path:
        return self.root / DB_FILENAME

    @property
    def settings(self) -> Path:
        return self.root / SETTINGS_FILENAME

    @property
    def lock_file(self) -> Path:
        return self.root / LOCK_FILENAME

    @property
    def logs(self) -> Path:
        return self.root / LOG_DIRNAME

    @property
    def backups(self) -> Path:
        return self.root / BACKUP_DIRNAME

    def has_vault(self) -> bool:
        return self.database.is_file()


def default_root() -> Path:
    import platformdirs  # only needed when no folder was given

    return Path(platformdirs.user_data_dir("peersupport", appauthor=False, roaming=False))


def resolve(cli_value: str | os.PathLike[str] | None = None) -> Path:
    """Return the data directory chosen by flag, environment or platform default."""
    if cli_value:
        return Path(cli_value).expanduser().resolve()
    env = os.environ.get(ENV_VAR)
    if env:
        return Path(env).expanduser().resolve()
    return default_root()


def private_umask() -> None:
    """Make every file and directory this process creates private to the user."""
    os.umask(0o077)


def ensure(root: Path) -> DataDir:
    """Create the data directory (0700) and its sub-folders; tighten it if it exists."""
    private_umask()
    root.mkdir(mode=0o700, parents=True, exist_ok=True)
    if os.name == "posix":
        mode = stat.S_IMODE(root.stat().st_mode)
        if mode != 0o700:
            root.chmod(0o700)
    data = DataDir(root)
    for sub in (data.logs, data.backups):
        sub.mkdir(mode=0o700, exist_ok=True)
    return data
