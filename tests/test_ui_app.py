"""The application as a whole: first screen, unexpected errors, one instance per folder."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import time
from pathlib import Path

from PySide6.QtWidgets import QMessageBox

from peersupport import hygiene
from peersupport.paths import DataDir
from peersupport.services.vault import UnlockedVault
from peersupport.ui.app import AppController, report_unhandled
from peersupport.ui.tasks import wait_for_tasks
from tests.conftest import FAST_TEST_PROFILE

CANARY = "Qx9CanaryInErrorZk"


def test_without_a_vault_the_first_run_wizard_opens(qtbot, data_dir: DataDir):
    ctl = AppController(data_dir.root, FAST_TEST_PROFILE)
    try:
        assert ctl.start()
        assert ctl.wizard is not None and ctl.wizard.isVisible()
        assert ctl.window is None  # no lock screen for a vault that does not exist
    finally:
        ctl.shutdown()
        wait_for_tasks()


def test_lock_checkpoints_the_write_ahead_log(qtbot, vault: UnlockedVault):
    from peersupport.domain.officer import Officer

    vault.add_officer(Officer(alias="someone"))
    wal = Path(f"{vault.data_dir.database}-wal")
    assert wal.exists() and wal.stat().st_size > 0
    vault.lock()
    assert not wal.exists() or wal.stat().st_size == 0


def test_unexpected_error_dialog_and_log_carry_no_record_data(qtbot, data_dir: DataDir):
    hygiene.configure_logging(data_dir.logs)
    try:
        try:
            raise ValueError(f"could not save officer {CANARY}")
        except ValueError as exc:
            box = report_unhandled(exc, data_dir.logs)
        qtbot.addWidget(box)
        shown = " ".join([box.text(), box.informativeText(), box.detailedText()])
        assert "ValueError" in shown
        assert CANARY not in shown
        for handler in logging.getLogger().handlers:
            handler.flush()
        logged = (data_dir.logs / "peersupport.log").read_text()
        assert "ValueError" in logged and "test_ui_app.py" in logged
        assert CANARY not in logged
        box.done(QMessageBox.StandardButton.Ok)
    finally:
        hygiene.configure_logging(None)


def _launch(root: Path) -> subprocess.Popen[str]:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    return subprocess.Popen(
        [sys.executable, "-m", "peersupport", "--data-dir", str(root)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )


def test_second_launch_on_the_same_folder_raises_the_first(vault: UnlockedVault):
    root = vault.data_dir.root
    vault.lock()
    first = _launch(root)
    try:
        deadline = time.monotonic() + 20
        # the first instance holds the lock file once its window is up
        while not vault.data_dir.lock_file.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(1.0)  # let it start listening for raise requests
        assert first.poll() is None, first.stderr.read() if first.stderr else ""
        second = _launch(root)
        _out, err = second.communicate(timeout=30)
        assert second.returncode == 0
        assert "already running" in err
        assert "Traceback" not in err
        assert first.poll() is None  # the first one is untouched
    finally:
        first.kill()
        first.communicate(timeout=10)


def test_file_dialog_history_is_forgotten(qtbot, monkeypatch):
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QFileDialog

    from peersupport.ui.file_dialogs import save_file_name

    def fake_dialog(*_args, **_kwargs):
        # what Qt's own dialog does when it closes
        qt = QSettings(QSettings.Scope.UserScope, "QtProject")
        qt.setValue("FileDialog/lastVisited", "file:///home/someone/Officer-Smith-case")
        qt.sync()
        return "/tmp/kit.pdf", "PDF document (*.pdf)"

    monkeypatch.setattr(QFileDialog, "getSaveFileName", fake_dialog)
    assert save_file_name(None, "Save", "/tmp/kit.pdf", "PDF document (*.pdf)") == "/tmp/kit.pdf"
    qt = QSettings(QSettings.Scope.UserScope, "QtProject")
    assert qt.value("FileDialog/lastVisited") is None
    stored = Path(qt.fileName())
    assert not stored.exists() or "Officer-Smith" not in stored.read_text()


def test_many_qt_calls_do_not_abort_the_interpreter():
    """Qt for Python 6.12.0 leaks a reference to None per call on Python 3.11; the ui package
    guards against the resulting abort. Without the guard this child dies with SIGABRT."""
    code = (
        "import peersupport.ui\n"
        "from PySide6.QtWidgets import QApplication, QLabel\n"
        "app = QApplication([])\n"
        "label = QLabel()\n"
        "for _ in range(300_000):\n"
        "    label.setText('x')\n"
        "print('survived')\n"
    )
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120
    )
    assert done.returncode == 0, done.stderr[-500:]
    assert done.stdout.strip() == "survived"
