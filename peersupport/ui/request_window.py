"""``peersupport request``: a window with only the follow-up request form.

For a shared station, or the supporter's own computer while the app runs: no menus, no
unlock, no access to any record, and it does not take the app's single-instance lock. Requests
go to the local vault's inbox. With ``--card CARD`` (another machine), the request is sealed
to the card's key and saved as a ``.psreq`` file the officer gives to the peer supporter.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import QMessageBox, QVBoxLayout, QWidget

from peersupport import hygiene, paths
from peersupport import settings as settings_mod
from peersupport.domain.follow_request import OfficerRequest, crisis_resources
from peersupport.services.requests import Receipt, RequestDrop, seal_for_card
from peersupport.ui.icons import app_icon
from peersupport.ui.request_form import UNAVAILABLE_PAGE, Delivery, RequestForm

if TYPE_CHECKING:
    from peersupport.crypto.request_card import RequestCard

REQUEST_EXTENSION = ".psreq"
CARD_ERROR_EXIT = 2


def _t(text: str) -> str:
    return QCoreApplication.translate("RequestWindow", text)


class CardError(Exception):
    """The card file cannot be used; the message says why, in plain words."""


def load_card(path: Path) -> RequestCard:
    """Read and check a request card file. Raises CardError with a clear message."""
    from peersupport.crypto.errors import RequestFormatError, RequestVersionError
    from peersupport.crypto.request_card import MAX_CARD_BYTES, parse_card

    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_CARD_BYTES + 1)
    except OSError as exc:
        raise CardError(_t("The request card {name} cannot be read: {reason}.").format(
            name=path.name, reason=exc.strerror or type(exc).__name__)) from None
    try:
        return parse_card(data)
    except (RequestFormatError, RequestVersionError) as exc:
        raise CardError(_t("{name} cannot be used as a request card: {reason}.").format(
            name=path.name, reason=str(exc))) from None


@dataclass(frozen=True)
class SealedReceipt(Receipt):
    """A receipt and the sealed file it belongs to (card mode)."""

    data: bytes = field(default=b"", repr=False)


class RequestWindow(QWidget):
    """The standalone request window: the local vault's inbox, or a card's sealed file."""

    def __init__(self, data: paths.DataDir | None, card: RequestCard | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("requestWindow")
        self.setWindowTitle(self.tr("Request a follow-up - Peer Support"))
        self.setWindowIcon(app_icon())
        self.card = card
        agency_lines = ""
        if data is not None and data.settings.exists():
            agency_lines = settings_mod.load(data.settings).crisis_resources
        resources = crisis_resources(agency_lines)
        if card is not None:
            self.form = RequestForm(
                self._seal, self, resources=resources, deliver=self._choose_file,
                sent_hint=self.tr(
                    "It is sealed: only the Peer Support of the person named on the card can "
                    "open it. Give or send the file to them; they see it once they import it. "
                    "Nothing you typed is kept on this screen."))
            from peersupport.domain.notice import DEFAULT_NOTICE

            self.form.set_notice(self.tr(
                "This is the standard confidentiality notice of Peer Support; your peer "
                "supporter can tell you about any local limits.") + "\n\n" + DEFAULT_NOTICE)
            self.form.set_recipient(card)
        else:
            self.form = RequestForm(self._submit_local, self, resources=resources)
            self._drop: RequestDrop | None = None
            if data is None or not data.has_vault():
                self.form.set_unavailable(self.tr(
                    "There is no Peer Support vault on this computer, so a request cannot be "
                    "left here. Ask your peer supporter for a request card, or call them."))
            else:
                rate = settings_mod.load(data.settings).request_rate_per_minute
                drop = RequestDrop(data, rate)
                self._drop = drop
                self.form.load(lambda: (drop.notice(), drop.card()))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.form)
        self.resize(620, 700)
        # a shared station: Done and Cancel go back to the notice (the form does that), for
        # the next officer; only a window that cannot take requests closes
        self.form.finished.connect(self._finished)

    def _finished(self) -> None:
        if self.form.page() == UNAVAILABLE_PAGE:
            self.close()

    def _submit_local(self, request: OfficerRequest) -> Receipt:
        assert self._drop is not None
        return self._drop.submit(request)

    def _seal(self, request: OfficerRequest) -> Receipt:
        assert self.card is not None
        receipt, data = seal_for_card(self.card, request)
        return SealedReceipt(receipt.request_id, data)

    def _choose_file(self, receipt: Receipt) -> Delivery | None:
        from peersupport.ui.file_dialogs import save_file_name

        if not isinstance(receipt, SealedReceipt):
            return None
        suggested = Path.home() / f"request-{receipt.reference}{REQUEST_EXTENSION}"
        chosen = save_file_name(
            self, self.tr("Save the sealed request"), str(suggested),
            self.tr("Peer Support request (*.psreq)"))
        if not chosen:
            return None
        target = Path(chosen)
        if target.suffix.lower() != REQUEST_EXTENSION:
            target = target.with_name(target.name + REQUEST_EXTENSION)
        data = receipt.data

        def write() -> None:
            write_request_file(target, data)

        return Delivery(write, self.tr("Saved as {path}").format(path=str(target)))


def write_request_file(target: Path, data: bytes) -> None:
    """Write atomically, readable by its owner only (0600)."""
    from peersupport.atomic import write_atomic

    write_atomic(target, [data])  # a temporary file made 0600 by mkstemp, then renamed
    if os.name == "posix":
        with contextlib.suppress(OSError):
            target.chmod(0o600)


def _show_error(message: str) -> None:
    box = QMessageBox(QMessageBox.Icon.Critical, _t("Request a follow-up - Peer Support"),
                      message, QMessageBox.StandardButton.Ok)
    box.setObjectName("requestCardError")
    box.exec()


def run_request_gui(data_root: Path, card_path: Path | None = None,
                    argv: list[str] | None = None) -> int:
    """The window of ``peersupport request [--card CARD]``. Returns the exit code (2 for a
    card that cannot be used)."""
    from peersupport.ui.app import create_application

    hygiene.disable_core_dumps()
    paths.private_umask()
    app = create_application(argv)
    card = None
    if card_path is not None:
        try:
            card = load_card(card_path)
        except CardError as exc:
            _show_error(str(exc))
            return CARD_ERROR_EXIT
    data = paths.DataDir(data_root) if data_root.is_dir() else None
    window = RequestWindow(data if card is None else None, card)
    window.show()
    return int(app.exec())


