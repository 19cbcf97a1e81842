"""Command-line follow-up requests from officers.

- ``request [--card CARD]`` opens the request form window (no passphrase: the form seals to
  the vault's public key, or to the card's).
- ``request submit --file F`` sends a request (JSON; ``-`` reads standard input) to the vault
  on this computer, with no passphrase, and prints its reference code.
- ``request submit --card CARD --out FILE.psreq --file F`` seals a request with a request
  card into a file for the supporter to import; it needs no vault at all.
- ``request card export OUT`` writes this vault's request card and its QR code (PNG).
- ``request import FILE...`` adds ``.psreq`` files to the inbox, one line per file.
- ``request list [--json]`` opens the requests that arrived while locked and lists the inbox.

Same contract as the rest of the command line (see ``cli``): exit 2 for bad input (nothing is
written), 3 for a wrong passphrase, 4 when a request fails authentication, one line on
standard error for every failure. ``request import`` exits 0 when every file was imported, 4
when any was refused as changed or sealed to another key (tamper), otherwise 2 when any was
refused for another reason (malformed or truncated, unknown version, another vault, already
imported, too large, unreadable); the files it could import are imported either way.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from peersupport import paths
from peersupport.cli import EXIT_ERROR, EXIT_OK, EXIT_TAMPER, EXIT_USAGE, CliError
from peersupport.cli_followups import utc_text
from peersupport.cli_records import _clean, _plural, _unlocked, _write_json

if TYPE_CHECKING:
    from peersupport.crypto.request_card import RequestCard
    from peersupport.domain.follow_request import OfficerRequest, ReceivedRequest

MAX_INPUT_BYTES = 64 * 1024  # far above the longest valid request (about 2,500 characters)


# -- request (the form window) ----------------------------------------------------------------
def _cmd_request_form(args: argparse.Namespace, out: TextIO) -> int:
    card_path: Path | None = None
    if args.card is not None:
        card_path = Path(args.card).expanduser().resolve()
        if not card_path.is_file():
            raise CliError(f"no request card at {_clean(args.card)}", EXIT_USAGE)
    from peersupport.ui.request_window import run_request_gui  # Qt only for the window

    return int(run_request_gui(paths.resolve(args.data_dir), card_path))


@contextlib.contextmanager
def _available() -> Iterator[None]:
    """RequestsUnavailableError (no request key, or the vault file cannot be written) as one
    line and exit code 1."""
    from peersupport.services.requests import RequestsUnavailableError

    try:
        yield
    except RequestsUnavailableError as exc:
        raise CliError(_clean(str(exc)), EXIT_ERROR) from None


def _no_card(args: argparse.Namespace) -> None:
    if args.card is not None:
        raise CliError("--card goes with 'request' (the form) or 'request submit'", EXIT_USAGE)


# -- request submit ------------------------------------------------------------------------------
def _read_limited(name: str, limit: int, what: str) -> bytes:
    if name == "-":
        stream = getattr(sys.stdin, "buffer", None)
        if stream is None:  # a text stream without bytes underneath
            data = sys.stdin.read(limit + 1).encode("utf-8", "surrogatepass")
        else:
            data = stream.read(limit + 1)
    else:
        try:
            with open(name, "rb") as handle:
                data = handle.read(limit + 1)
        except OSError as exc:
            raise CliError(
                f"cannot read the {what} {_clean(name)}: "
                f"{exc.strerror or 'input/output error'}", EXIT_USAGE,
            ) from None
    if len(data) > limit:
        raise CliError(f"invalid {what}: larger than {limit // 1024} KiB", EXIT_USAGE)
    return data


def _refuse_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for key, value in pairs:
        if key in found:
            raise ValueError(f"the key '{key[:40]}' appears twice")
        found[key] = value
    return found


def _parse_request(data: bytes) -> OfficerRequest:
    from peersupport.domain.follow_request import RequestInputError, request_from_json

    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise CliError("invalid request: the input is not UTF-8 text", EXIT_USAGE) from None
    try:
        body = json.loads(text, object_pairs_hook=_refuse_duplicates)
    except json.JSONDecodeError as exc:
        raise CliError(
            f"invalid request: not valid JSON ({exc.msg}, line {exc.lineno} column {exc.colno})",
            EXIT_USAGE,
        ) from None
    except (ValueError, RecursionError) as exc:
        raise CliError(f"invalid request: {_clean(str(exc)[:120])}", EXIT_USAGE) from None
    try:
        return request_from_json(body)
    except RequestInputError as exc:
        raise CliError(f"invalid request: {_clean(str(exc))}", EXIT_USAGE) from None


def _read_card(name: str) -> RequestCard:
    from peersupport.crypto.errors import RequestFormatError, RequestVersionError
    from peersupport.crypto.request_card import MAX_CARD_BYTES, parse_card

    data = _read_limited(name, MAX_CARD_BYTES, "request card")
    try:
        return parse_card(data)
    except (RequestFormatError, RequestVersionError) as exc:
        raise CliError(f"invalid request card: {_clean(str(exc))}", EXIT_USAGE) from None


def _crisis_lines(out: TextIO, agency_text: str = "") -> None:
    from peersupport.domain.follow_request import crisis_resources

    out.write("If you need help now, do not wait for a call back:\n")
    for name, number in crisis_resources(agency_text):
        out.write(f"  {_clean(name)}{': ' + _clean(number) if number else ''}\n")


def _cmd_submit(args: argparse.Namespace, out: TextIO) -> int:
    if (args.card is None) != (args.out is None):
        raise CliError("--card and --out go together: a request sealed with a card is written "
                       "to a file (without them it goes to the vault on this computer)",
                       EXIT_USAGE)
    if args.card is not None:
        return _submit_to_file(args, out)
    from peersupport import settings as settings_mod
    from peersupport.domain.follow_request import URGENT_NOW
    from peersupport.services.requests import (
        RequestDrop,
        RequestFloodError,
        RequestsUnavailableError,
    )

    # the whole input is checked before the vault is touched: bad input writes nothing
    request = _parse_request(_read_limited(args.file, MAX_INPUT_BYTES, "request"))
    data_dir = paths.DataDir(paths.resolve(args.data_dir))
    try:
        receipt = RequestDrop(data_dir).submit(request)
    except (RequestsUnavailableError, RequestFloodError) as exc:
        raise CliError(_clean(str(exc)), EXIT_ERROR) from None
    out.write(f"Request sent. Reference: {receipt.reference}\n")
    if request.urgency == URGENT_NOW:
        _crisis_lines(out, settings_mod.load(data_dir.settings).crisis_resources)
    return EXIT_OK


def _submit_to_file(args: argparse.Namespace, out: TextIO) -> int:
    from peersupport.atomic import write_atomic
    from peersupport.domain.follow_request import URGENT_NOW
    from peersupport.services.requests import seal_for_card

    card = _read_card(args.card)
    target = Path(args.out)
    if target.is_dir():
        raise CliError(f"{_clean(args.out)} is a folder; give a file name such as "
                       "request.psreq", EXIT_USAGE)
    if not target.parent.is_dir():
        raise CliError(f"no folder {_clean(str(target.parent))} to write the request in",
                       EXIT_USAGE)
    request = _parse_request(_read_limited(args.file, MAX_INPUT_BYTES, "request"))
    if target.exists():
        raise CliError(f"{_clean(args.out)} already exists; it was not replaced (choose "
                       "another name)", EXIT_ERROR)
    receipt, data = seal_for_card(card, request)
    write_atomic(target, [data])  # a private temporary file (mode 0600) renamed into place
    out.write(f"Request sealed in {_clean(str(target))}. Reference: {receipt.reference}\n")
    out.write(f"For: {_clean(card.display_name) or '(no name on the card)'}\n")
    out.write(f"Fingerprint: {card.fingerprint}\n")
    out.write("Check that the peer supporter shows you the same fingerprint, then give them "
              "the file.\n")
    if request.urgency == URGENT_NOW:
        _crisis_lines(out)
    return EXIT_OK


# -- request card export --------------------------------------------------------------------------
def _png_path(target: Path) -> Path:
    return target.with_suffix(".png") if target.suffix else target.with_name(target.name + ".png")


def _cmd_card_export(args: argparse.Namespace, out: TextIO) -> int:
    from peersupport.atomic import write_atomic
    from peersupport.services.request_card_image import card_png

    _no_card(args)
    target = Path(args.out)
    image = _png_path(target)
    if target.is_dir():
        raise CliError(f"{_clean(args.out)} is a folder; give a file name such as "
                       "card.pscard", EXIT_USAGE)
    if not target.parent.is_dir():
        raise CliError(f"no folder {_clean(str(target.parent))} to write the card in",
                       EXIT_USAGE)
    if image == target:
        raise CliError("the card and its QR image would have the same name; give a name such "
                       "as card.pscard", EXIT_USAGE)
    with _unlocked(args) as vault, _available():
        card = vault.requests().card()
    write_atomic(target, [card.to_text().encode("utf-8")])
    write_atomic(image, [card_png(card)])
    out.write(f"Request card: {_clean(str(target))}\n")
    out.write(f"QR code: {_clean(str(image))}\n")
    if card.display_name:
        out.write(f"Name on the card: {_clean(card.display_name)}\n")
    out.write(f"Fingerprint: {card.fingerprint}\n")
    return EXIT_OK


# -- request import -------------------------------------------------------------------------------
def _read_request_file(name: str) -> bytes:
    """The file's bytes; its size is checked first, so an oversized file is never read."""
    from peersupport.crypto.errors import RequestTooLargeError
    from peersupport.crypto.request_seal import MAX_FILE_BYTES

    size = os.stat(name).st_size
    if size > MAX_FILE_BYTES:
        raise RequestTooLargeError(
            f"a request file is at most {MAX_FILE_BYTES // 1024} KiB; this one has "
            f"{size:,} bytes")
    with open(name, "rb") as handle:
        return handle.read(MAX_FILE_BYTES + 1)  # import_file refuses one that grew


def _cmd_import(args: argparse.Namespace, out: TextIO) -> int:
    from peersupport.crypto.errors import RequestError, TamperError
    from peersupport.services.requests import DuplicateRequestError, request_error_message

    _no_card(args)
    tampered = other = 0
    with _unlocked(args) as vault, _available():
        service = vault.requests()
        for name in args.files:
            shown = _clean(name)
            try:
                record = service.import_file(_read_request_file(name))
            except TamperError as exc:
                tampered += 1
                out.write(f"refused {shown}: {request_error_message(exc)}\n")
            except (RequestError, DuplicateRequestError) as exc:
                other += 1
                out.write(f"refused {shown}: {_clean(request_error_message(exc))}\n")
            except OSError as exc:
                other += 1
                out.write(f"refused {shown}: The file cannot be read "
                          f"({exc.strerror or 'input/output error'}).\n")
            else:
                out.write(f"imported {shown}: reference {record.reference} "
                          f"({record.urgency})\n")
            out.flush()
    refused = tampered + other
    if refused:
        raise CliError(
            f"{refused} of {_plural(len(args.files), 'request file')} "
            f"{'was' if refused == 1 else 'were'} refused"
            + (f" ({tampered} failed the integrity check)" if tampered else ""),
            EXIT_TAMPER if tampered else EXIT_USAGE,
        )
    return EXIT_OK


# -- request list ---------------------------------------------------------------------------------
def request_to_json(record: ReceivedRequest) -> dict[str, Any]:
    """Every field of a received request; times in UTC, ``null`` when not set."""
    request = record.request

    def when(value: Any) -> str | None:
        return None if value is None else utc_text(value)

    return {
        "id": record.id,
        "reference": record.reference,
        "state": record.state,
        "seen": record.seen,
        "urgency": request.urgency,
        "submitted_at": utc_text(request.submitted_at),
        "received_at": utc_text(record.received_at),
        "via": request.via,
        "address_as": request.address_as,
        "contact_method": request.contact_method,
        "contact": request.contact,
        "best_times": request.best_times,
        "message": request.message,
        "officer_id": record.officer_id or None,
        "plan_id": record.plan_id or None,
        "follow_up_at": when(record.follow_up_at),
        "note": record.note,
        "handled_at": when(record.handled_at),
    }


def _write_text(out: TextIO, row: dict[str, Any]) -> None:
    from peersupport.domain.follow_request import CONTACT_METHODS

    who = _clean(row["address_as"]) if row["address_as"] else "(anonymous)"
    new = "  new" if not row["seen"] and row["state"] == "open" else ""
    out.write(f"{row['reference']}  {row['state']:<8}  {row['urgency']:<10}  "
              f"{row['received_at']}  {who}{new}\n")
    method = CONTACT_METHODS.get(row["contact_method"], "")
    contact = " ".join(v for v in (method, _clean(row["contact"])) if v)
    fields = [("contact", contact), ("best times", _clean(row["best_times"])),
              ("follow-up", row["follow_up_at"] or ""), ("note", _clean(row["note"]))]
    for name, value in fields:
        if value:
            out.write(f"  {name + ':':<12}{value}\n")
    if row["message"]:
        lines = _clean(row["message"], keep_newlines=True).split("\n")
        out.write(f"  {'message:':<12}{lines[0]}\n")
        for line in lines[1:]:
            out.write(f"  {'':<12}{line}\n")


def _cmd_list(args: argparse.Namespace, out: TextIO) -> int:
    _no_card(args)
    with _unlocked(args) as vault, _available():
        service = vault.requests()
        service.receive_pending()  # requests that arrived while locked, opened and sealed
        inbox = service.inbox()
    rows = [request_to_json(r) for r in inbox.requests]
    if args.json:
        _write_json(out, rows)
    else:
        for i, row in enumerate(rows):
            if i:
                out.write("\n")
            _write_text(out, row)
    if inbox.damaged:
        count = len(inbox.damaged)
        raise CliError(
            f"{_plural(count, 'follow-up request')} failed authentication and "
            f"{'was' if count == 1 else 'were'} not shown (run verify)",
            EXIT_TAMPER,
        )
    return EXIT_OK


HANDLERS: dict[str, Callable[[argparse.Namespace, TextIO], int]] = {
    "request": _cmd_request_form,
    "request submit": _cmd_submit,
    "request card": _cmd_card_export,  # ``request card export`` (the only card action)
    "request import": _cmd_import,
    "request list": _cmd_list,
}
