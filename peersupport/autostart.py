"""Start Peer Support when the user logs in.

On Linux and other freedesktop systems this writes (or removes) an XDG autostart entry,
``$XDG_CONFIG_HOME/autostart/peersupport.desktop``, that runs the same ``peersupport``
command that is running now. Other systems are not handled yet: the functions say so.
The entry holds no record data; it names the vault folder only when it is not the default.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import NamedTuple

from peersupport.atomic import write_atomic

DESKTOP_FILE = "peersupport.desktop"
UNSUPPORTED = "Starting at login is not implemented on this system: see README."


class Outcome(NamedTuple):
    ok: bool
    message: str


def supported(platform: str | None = None) -> bool:
    """Whether this system reads XDG autostart entries (Linux and the BSDs)."""
    platform = platform or sys.platform
    return platform.startswith(("linux", "freebsd", "openbsd", "netbsd"))


def entry_path(env: Mapping[str, str] | None = None) -> Path:
    env = os.environ if env is None else env
    config = env.get("XDG_CONFIG_HOME", "")
    base = Path(config) if config and Path(config).is_absolute() else Path.home() / ".config"
    return base / "autostart" / DESKTOP_FILE


def launch_command(argv0: str | None = None) -> list[str]:
    """The command that started this program: the ``peersupport`` script (or a frozen
    executable) by its absolute path, else ``python -m peersupport``."""
    if getattr(sys, "frozen", False):
        return [str(Path(sys.executable).resolve())]
    argv0 = sys.argv[0] if argv0 is None else argv0
    if argv0:
        script = Path(argv0)
        if script.name in ("peersupport", "peersupport.exe") and script.is_file():
            return [str(script.resolve())]
    return [str(Path(sys.executable).absolute()), "-m", "peersupport"]


def _quote(arg: str) -> str:
    """One Exec argument, quoted as the Desktop Entry specification asks."""
    if arg and not any(c in arg for c in ' \t\n"\'\\><~|&;$*?#()`='):
        return arg.replace("%", "%%")
    escaped = "".join("\\" + c if c in '"`$\\' else c for c in arg)
    return '"' + escaped.replace("%", "%%") + '"'


def exec_line(command: Sequence[str]) -> str:
    # The value is itself a string value: its backslashes are escaped once more.
    return " ".join(_quote(a) for a in command).replace("\\", "\\\\")


def desktop_entry(command: Sequence[str]) -> str:
    return (
        "[Desktop Entry]\n"
        "Type=Application\n"
        "Version=1.5\n"
        "Name=Peer Support\n"
        "Comment=Follow-up reminders for peer supporters\n"
        f"Exec={exec_line(command)}\n"
        "Icon=peersupport\n"
        "Terminal=false\n"
        "X-GNOME-Autostart-enabled=true\n"
    )


def is_enabled(env: Mapping[str, str] | None = None) -> bool:
    return entry_path(env).is_file()


def set_enabled(
    enabled: bool, extra_args: Sequence[str] = (), env: Mapping[str, str] | None = None,
    platform: str | None = None,
) -> Outcome:
    """Write or remove the autostart entry. ``extra_args`` follow the command (for
    example ``--data-dir DIR`` for a vault folder that is not the default)."""
    if not supported(platform):
        return Outcome(False, UNSUPPORTED)
    path = entry_path(env)
    try:
        if enabled:
            text = desktop_entry([*launch_command(), *extra_args])
            write_atomic(path, [text.encode("utf-8")])
            return Outcome(True, "Peer Support will start when you log in.")
        path.unlink(missing_ok=True)
        return Outcome(True, "Peer Support will no longer start when you log in.")
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        return Outcome(False, f"The login start-up entry could not be changed: {reason}.")
