"""The OS screen-lock signal really reaches the app over D-Bus (a private session bus)."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator

import pytest

pytestmark = pytest.mark.skipif(
    shutil.which("dbus-daemon") is None or shutil.which("dbus-send") is None,
    reason="dbus-daemon and dbus-send are needed (Debian package: dbus)",
)


@pytest.fixture
def session_bus(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    proc = subprocess.Popen(
        ["dbus-daemon", "--session", "--nofork", "--print-address=1"],
        stdout=subprocess.PIPE, text=True,
    )
    assert proc.stdout is not None
    address = proc.stdout.readline().strip()
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", address)
    yield address
    proc.terminate()
    proc.wait(timeout=5)


def test_screensaver_active_signal_requests_a_lock(qtbot, session_bus: str):
    from peersupport.ui.session_watch import SessionWatcher

    watcher = SessionWatcher()
    assert "org.freedesktop.ScreenSaver ActiveChanged" in watcher.connected

    def send(active: str) -> None:
        subprocess.run(
            ["dbus-send", "--session", "--type=signal", "/org/freedesktop/ScreenSaver",
             "org.freedesktop.ScreenSaver.ActiveChanged", f"boolean:{active}"],
            check=True, env=dict(os.environ, DBUS_SESSION_BUS_ADDRESS=session_bus),
        )

    with qtbot.assertNotEmitted(watcher.lock_requested, wait=300):
        send("false")  # the screen saver going away must not lock
    with qtbot.waitSignal(watcher.lock_requested, timeout=5_000):
        send("true")
