"""A full disk or a read-only data folder, in plain words, for any window that saves."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication

from peersupport.services import storage_errors


def _t(text: str) -> str:
    return QCoreApplication.translate("AppController", text)  # the context it always had


def storage_error_message(exc: BaseException) -> str | None:
    """A full disk or a read-only data folder in plain words; None for other errors."""
    problem = storage_errors.storage_problem(exc)
    if problem == storage_errors.FULL:
        return _t("The disk is full: nothing was saved. Free some space and try again.")
    if problem == storage_errors.READ_ONLY:
        return _t("The data folder is read-only: nothing was saved. Check the folder's "
                  "permissions, or that its disk is not mounted read-only.")
    if problem == storage_errors.WRITE_FAILED:
        return _t("The disk refused to write (it may be full or failing): nothing was saved.")
    return None
