"""A vault file that cannot be read at start: say so, name the latest automatic backup, and
offer to restore it, never overwriting or deleting the damaged file.

The restore first writes and checks the backup's database in a new private folder inside the
data folder (``services.backup.restore_backup`` with ``target_dir``: the whole backup is
verified before anything is written). Only then is the damaged file renamed aside, with its
``-wal``/``-shm``/``-journal`` files, to ``peersupport.db.damaged-<time>`` (byte for byte as it
was), and the restored database renamed into its place.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QCoreApplication, QObject, Signal
from PySide6.QtWidgets import QMessageBox, QWidget

from peersupport import hygiene
from peersupport.paths import DataDir
from peersupport.ui.tasks import run_task

if TYPE_CHECKING:
    from peersupport.crypto.kdf import KdfProfile

log = logging.getLogger(__name__)

_SIDECARS = ("-wal", "-shm", "-journal")


def _t(text: str) -> str:
    return QCoreApplication.translate("DamagedStart", text)


def latest_automatic_backup(folders: list[Path]) -> Path | None:
    """The newest automatic backup (``peersupport-<time>.psbak``, newest by name) in any of
    ``folders``; failing that the newest ``pre-migration-*.psbak`` (by modification time)."""
    from peersupport.services.backup import AUTO_PATTERN

    automatic: list[tuple[tuple[str, int], Path]] = []
    migration: list[tuple[float, Path]] = []
    for folder in folders:
        try:
            paths = [p for p in folder.iterdir() if p.is_file()]
        except OSError:
            continue
        for path in paths:
            found = AUTO_PATTERN.match(path.name)
            if found is not None:
                automatic.append(((found.group(1), int(found.group(2) or 1)), path))
            elif path.name.startswith("pre-migration-") and path.suffix == ".psbak":
                with contextlib.suppress(OSError):
                    migration.append((path.stat().st_mtime, path))
    if automatic:
        return max(automatic)[1]
    if migration:
        return max(migration)[1]
    return None


def backup_folders(data: DataDir, auto_backup_folder: str) -> list[Path]:
    folders = [Path(auto_backup_folder)] if auto_backup_folder else []
    return [*folders, data.backups]


def folder_is_read_only(data: DataDir) -> bool:
    """Whether this process may not write the data folder or the database file."""
    if not os.access(data.root, os.W_OK | os.X_OK):
        return True
    return data.database.exists() and not os.access(data.database, os.R_OK | os.W_OK)


def set_aside(database: Path, stamp: str) -> Path:
    """Rename the damaged database (and its log files) to ``<name>.damaged-<stamp>``; never
    over an existing file. Returns the new path of the database file."""
    aside = database.with_name(f"{database.name}.damaged-{stamp}")
    n = 1
    while any(Path(f"{aside}{s}").exists() for s in ("", *_SIDECARS)):
        n += 1
        aside = database.with_name(f"{database.name}.damaged-{stamp}-{n}")
    for suffix in _SIDECARS:  # the log first: never leave it beside another database
        side = Path(f"{database}{suffix}")
        if side.exists():
            os.replace(side, Path(f"{aside}{suffix}"))
    os.replace(database, aside)
    return aside


def restore_over_damaged(
    source: Path, data: DataDir, secret: str, recovery: bool, profile: KdfProfile,
    now: datetime | None = None,
) -> Path:
    """Restore ``source`` as the vault, keeping the damaged file (see the module docstring).
    Returns where the damaged file now is. Raises what ``restore_backup`` raises, before
    anything in the data folder changed."""
    from peersupport.atomic import fsync_dir
    from peersupport.services.backup import restore_backup

    stamp = (now or datetime.now(UTC)).strftime("%Y-%m-%d-%H%M%S")
    staging = data.root / f".restoring-{stamp}"
    try:
        restore_backup(
            source, data, passphrase=None if recovery else secret,
            recovery_text=secret if recovery else None, profile=profile,
            target_dir=DataDir(staging),
        )
        aside = set_aside(data.database, stamp)
        os.replace(DataDir(staging).database, data.database)
        fsync_dir(data.root)
    finally:
        shutil.rmtree(staging, ignore_errors=True)  # only what restore_backup made there
    return aside


class DamagedStart(QObject):
    """The message box and restore dialog shown when the vault file cannot be read."""

    restored = Signal(str)  # the path the damaged file was moved to

    def __init__(self, data: DataDir, profile: KdfProfile, parent_window: QWidget | None,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._data = data
        self._profile = profile
        self._window = parent_window
        self.box: QMessageBox | None = None
        self.restore_button: Any = None
        self.dialog: Any = None
        self.backup: Path | None = None

    @staticmethod
    def message(backup: Path | None) -> str:
        text = _t("The vault file is damaged: it cannot be read. It is kept as it is; nothing "
                  "was changed.")
        if backup is None:
            return text + " " + _t("No automatic backup was found to restore.")
        return text + " " + _t("The latest automatic backup is {name}.").format(name=backup.name)

    def offer(self, backup: Path | None) -> None:
        """Tell the user; with a backup, offer to restore it."""
        self.backup = backup
        if self.box is not None:
            self.box.close()
        box = QMessageBox(QMessageBox.Icon.Critical, _t("The vault file is damaged"),
                          self.message(backup), QMessageBox.StandardButton.NoButton,
                          self._window)
        box.setObjectName("damagedVaultBox")
        if backup is not None:
            box.setInformativeText(_t(
                "Restoring puts the backup in place of the damaged file, which is renamed "
                "and kept next to it. Records saved after the backup was made are not in it."))
            self.restore_button = box.addButton(_t("&Restore from this backup…"),
                                                QMessageBox.ButtonRole.AcceptRole)
        box.addButton(QMessageBox.StandardButton.Close)
        box.buttonClicked.connect(self._answered)
        self.box = box
        box.open()

    def _answered(self, button: Any) -> None:
        if button is self.restore_button and self.backup is not None:
            self.open_restore(self.backup)
        self.box = None

    def open_restore(self, backup: Path) -> Any:
        from peersupport.ui.backups import RestoreDialog

        dialog = RestoreDialog(backup, inspect=False, parent=self._window)
        dialog.setObjectName("damagedRestoreDialog")
        dialog.submitted.connect(lambda secret, recovery: self._restore(backup, secret, recovery))
        dialog.finished.connect(lambda *_: setattr(self, "dialog", None))
        self.dialog = dialog
        dialog.open()
        return dialog

    def _restore(self, backup: Path, secret: str, recovery: bool) -> None:
        from peersupport.ui.backups import restore_error_message

        dialog, data, profile = self.dialog, self._data, self._profile

        def done(aside: Path) -> None:
            if dialog is not None:
                dialog.finish_ok()
            self.restored.emit(str(aside))

        def failed(exc: BaseException) -> None:
            log.warning("restore over a damaged vault failed: %s",
                        hygiene.describe_exception(exc))
            if dialog is not None:
                dialog.failed(restore_error_message(exc, recovery))

        run_task(lambda: restore_over_damaged(backup, data, secret, recovery, profile),
                 done, failed)
