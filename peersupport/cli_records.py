"""Command-line commands on records: ``checkin add|list|show|delete``, ``officer list``,
``search`` and ``demo``. Same contract as the rest of the command line (see ``cli``): exit
2 for bad input (naming the field, writing nothing), 3 for a wrong passphrase, 4 when a
record fails authentication (the good ones are printed first, the damaged ones never), one
line on standard error for every failure.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, TextIO

from peersupport import paths
from peersupport.cli import (
    EXIT_OK,
    EXIT_TAMPER,
    EXIT_USAGE,
    CliError,
    _read_passphrase,
    create_vault,
)

if TYPE_CHECKING:
    from peersupport.domain.checkin_json import CheckinInput
    from peersupport.services.checkins import CheckinSummary
    from peersupport.services.vault import UnlockedVault

MAX_INPUT_BYTES = 1024 * 1024  # far above the longest valid check-in (20,000-character notes)

# Control characters (and bidirectional overrides) in record text are shown escaped, so a
# note cannot move the cursor, recolour or rewrite the terminal.
_CONTROL = {c: f"\\x{c:02x}" for c in (*range(0x20), *range(0x7F, 0xA0))}
_CONTROL.update({c: f"\\u{c:04x}" for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A))})
_CONTROL_KEEP_LINES = {c: v for c, v in _CONTROL.items() if c != 0x0A}


def _clean(text: str, *, keep_newlines: bool = False) -> str:
    return text.translate(_CONTROL_KEEP_LINES if keep_newlines else _CONTROL)


def _short(value: str, limit: int = 80) -> str:
    shown = value if len(value) <= limit else value[:limit] + "…"
    return _clean(shown)


def _write_json(out: TextIO, value: object) -> None:
    out.write(json.dumps(value, ensure_ascii=False, indent=2) + "\n")


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


@contextlib.contextmanager
def _unlocked(args: argparse.Namespace, *, stdin_taken: bool = False) -> Iterator[UnlockedVault]:
    from peersupport.services.vault import VaultService

    data_dir = paths.DataDir(paths.resolve(args.data_dir))
    service = VaultService(data_dir)
    if not service.exists():
        raise CliError(f"no vault in {data_dir.root}", EXIT_USAGE)
    passphrase = _read_passphrase(
        args.passphrase_stdin, "Passphrase: ", confirm=False, stdin_taken=stdin_taken
    )
    vault = service.unlock(passphrase)
    try:
        from peersupport import settings as settings_mod
        from peersupport.services.followups import policy_from_settings

        # plans made from the command line follow the templates and zone chosen in Preferences
        vault.followup_policy = policy_from_settings(settings_mod.load(data_dir.settings))
        yield vault
    finally:
        vault.lock()


# -- checkin add -----------------------------------------------------------------------------------
def _read_input(name: str) -> str:
    if name == "-":
        stream = getattr(sys.stdin, "buffer", None)
        if stream is None:  # a text stream without bytes underneath
            data = sys.stdin.read(MAX_INPUT_BYTES + 1).encode("utf-8", "surrogatepass")
        else:
            data = stream.read(MAX_INPUT_BYTES + 1)
    else:
        try:
            with open(name, "rb") as handle:
                data = handle.read(MAX_INPUT_BYTES + 1)
        except OSError as exc:
            raise CliError(
                f"cannot read the check-in file: {exc.strerror or 'input/output error'}",
                EXIT_USAGE,
            ) from None
    if len(data) > MAX_INPUT_BYTES:
        raise CliError("invalid check-in: the input is larger than 1 MiB", EXIT_USAGE)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise CliError("invalid check-in: the input is not UTF-8 text", EXIT_USAGE) from None


def _parse(text: str) -> CheckinInput:
    from peersupport.domain.checkin_json import CheckinInputError, parse_checkin_text

    try:
        return parse_checkin_text(text)
    except CheckinInputError as exc:
        raise CliError(f"invalid check-in: {_clean(str(exc))}", EXIT_USAGE) from None


def _cmd_checkin_add(args: argparse.Namespace, out: TextIO) -> int:
    from peersupport.domain.checkin_json import CheckinInputError, resolve_officer
    from peersupport.services.checkins import ValidationError

    from_stdin = args.file == "-"
    if from_stdin and args.passphrase_stdin:
        raise CliError(
            "--file - reads the check-in from standard input, so the passphrase cannot come "
            "from there too: drop --passphrase-stdin (it is then asked for on the terminal) "
            "or give the check-in as a file",
            EXIT_USAGE,
        )
    # All of the input is checked before the vault is even opened: bad input writes nothing.
    parsed = _parse(_read_input(args.file))
    with _unlocked(args, stdin_taken=from_stdin) as vault:
        listing = vault.list_officers()
        try:
            checkin, new_officers = resolve_officer(parsed, listing.officers)
        except CheckinInputError as exc:
            raise CliError(f"invalid check-in: {_clean(str(exc))}", EXIT_USAGE) from None
        if new_officers and listing.damaged_ids:
            # an unreadable officer record might carry this very alias: do not add a twin
            raise CliError(
                f"{_plural(len(listing.damaged_ids), 'officer record')} failed authentication, "
                "so it cannot be told whether this alias is new; nothing was written "
                "(run verify)",
                EXIT_TAMPER,
            )
        try:
            new_id = vault.checkins().save(checkin, new_officers)
        except ValidationError as exc:
            field, message = next(iter(exc.errors.items()))
            raise CliError(
                f"invalid check-in: field '{field}': {message.rstrip('.')}", EXIT_USAGE
            ) from None
    out.write(f"{new_id}\n")
    return EXIT_OK


# -- checkin list / show / delete ----------------------------------------------------------------
def _aliases(vault: UnlockedVault) -> tuple[dict[str, str], int]:
    listing = vault.list_officers()
    return {o.id: o.alias for o in listing.officers}, len(listing.damaged_ids)


def _alias_of(officer_id: str | None, aliases: dict[str, str]) -> str | None:
    if officer_id is None:
        return None
    return aliases.get(officer_id, "(unreadable officer record)")


def summary_to_json(summary: CheckinSummary, alias: str | None) -> dict[str, Any]:
    """What a list needs: when, who (alias only), what kind, and the follow-up flag."""
    return {
        "id": summary.id,
        "occurred_at": summary.occurred_at.isoformat(),
        "period": summary.period,
        "officer_alias": alias,
        "group_officers": len(summary.group_officer_ids),
        "incident_category": summary.incident_category,
        "contact_type": summary.contact_type,
        "risk_level": summary.risk_level,
        "follow_up": summary.follow_up,
    }


def _damage_report(checkins: int, officers: int) -> CliError | None:
    parts = []
    if checkins:
        parts.append(f"{_plural(checkins, 'check-in')}")
    if officers:
        parts.append(f"{_plural(officers, 'officer record')}")
    if not parts:
        return None
    return CliError(
        f"{' and '.join(parts)} failed authentication and "
        f"{'was' if checkins + officers == 1 else 'were'} not shown (run verify)",
        EXIT_TAMPER,
    )


def _cmd_checkin_list(args: argparse.Namespace, out: TextIO) -> int:
    with _unlocked(args) as vault:
        summaries, damaged = vault.checkins().summaries()
        aliases, damaged_officers = _aliases(vault)
    if args.json:
        _write_json(out, [summary_to_json(s, _alias_of(s.officer_id, aliases)) for s in summaries])
    else:
        for s in summaries:
            alias = _alias_of(s.officer_id, aliases) or "(group)"
            flags = "  follow-up" if s.follow_up else ""
            out.write(
                f"{s.id}  {s.occurred_at:%Y-%m-%d %H:%M}  {_short(alias, 30):<30}  "
                f"{s.incident_category}  {s.contact_type}{flags}\n"
            )
    problem = _damage_report(len(damaged), damaged_officers)
    if problem is not None:
        raise problem
    return EXIT_OK


def _not_found(checkin_id: str) -> CliError:
    return CliError(f"no check-in with id {_short(checkin_id)}", EXIT_USAGE)


def _show_text(out: TextIO, data: dict[str, Any]) -> None:
    from peersupport.domain import codes

    def label(code: str, table: Any) -> str:
        return f"{code} ({table[code]})" if code in table else code

    officer = data["officer"]
    who = "(none)"
    if officer is not None:
        extra = "; ".join(v for v in (officer["name"], officer["contact"]) if v)
        who = officer["alias"] + (f" ({extra})" if extra else "")
    rows = [
        ("id", data["id"]),
        ("date", data["occurred_at"].replace("T", " ")),
        ("officer", who),
        ("group officers", ", ".join(o["alias"] for o in data["group_officers"])),
        ("headcount", "" if data["headcount"] is None else str(data["headcount"])),
        ("incident", label(data["incident_category"], codes.INCIDENT_CATEGORIES)),
        ("contact type", label(data["contact_type"], codes.CONTACT_TYPES)),
        ("initiated by", label(data["initiated_by"], codes.INITIATED_BY)),
        ("recipient", label(data["recipient_class"], codes.RECIPIENT_CLASSES)),
        ("duration", f"{data['duration_minutes']} min"),
        ("referrals", ", ".join(data["referrals"])),
        ("referral providers", data["referral_providers"]),
        ("risk level", label(data["risk_level"], codes.RISK_LEVELS)),
        ("exceptions", ", ".join(data["exceptions"])),
        ("incident ref", data["incident_ref"]),
        ("follow-up", "yes" if data["follow_up"] else "no"),
    ]
    for name, value in rows:
        if value:
            out.write(f"{name + ':':<20}{_clean(value)}\n")
    if data["notes"]:
        out.write("notes:\n")
        for line in _clean(data["notes"], keep_newlines=True).split("\n"):
            out.write(f"  {line}\n")


def _cmd_checkin_show(args: argparse.Namespace, out: TextIO) -> int:
    from peersupport.crypto.errors import TamperError
    from peersupport.domain.checkin_json import checkin_to_json
    from peersupport.services.checkins import RecordNotFoundError

    with _unlocked(args) as vault:
        try:
            detail = vault.checkins().get(args.id)
        except RecordNotFoundError as exc:
            if exc.args and exc.args[0] == args.id:
                raise _not_found(args.id) from None
            raise CliError(
                f"integrity failure: check-in {_short(args.id)} names an officer record that "
                "does not exist (run verify)", EXIT_TAMPER,
            ) from None
        except TamperError:
            raise CliError(
                f"integrity failure: check-in {_short(args.id)} or its officer failed "
                "authentication and is not shown (run verify)", EXIT_TAMPER,
            ) from None
    data = checkin_to_json(detail.checkin, detail.officer, detail.group_officers)
    if args.json:
        _write_json(out, data)
    else:
        _show_text(out, data)
    return EXIT_OK


def _cmd_checkin_delete(args: argparse.Namespace, out: TextIO) -> int:
    from peersupport.services.checkins import RecordNotFoundError

    keep_count = bool(getattr(args, "keep_count", False))
    with _unlocked(args) as vault:
        try:
            # by default the statistics count goes too (entered by mistake); --keep-count
            # keeps it (a contact that happened, its record destroyed under retention rules)
            vault.checkins().delete(args.id, keep_count=keep_count)
        except RecordNotFoundError:
            raise _not_found(args.id) from None
    out.write(f"deleted {args.id}" + (" (its count stays in your statistics)" if keep_count
                                      else "") + "\n")
    return EXIT_OK


# -- officer list, search -------------------------------------------------------------------------
def _cmd_officer_list(args: argparse.Namespace, out: TextIO) -> int:
    with _unlocked(args) as vault:
        listing = vault.list_officers()
        summaries, damaged = vault.checkins().summaries()
    counts: dict[str, int] = {}
    for s in summaries:
        for oid in {s.officer_id, *s.group_officer_ids}:
            if oid is not None:
                counts[oid] = counts.get(oid, 0) + 1
    officers = sorted(listing.officers, key=lambda o: (o.alias.casefold(), o.id))
    if args.json:
        _write_json(out, [
            {"id": o.id, "alias": o.alias, "checkins": counts.get(o.id, 0)} for o in officers
        ])
    else:
        for o in officers:
            count = _plural(counts.get(o.id, 0), "check-in")
            out.write(f"{o.id}  {_short(o.alias, 40):<40}  {count}\n")
    problem = _damage_report(len(damaged), len(listing.damaged_ids))
    if problem is not None:
        raise problem
    return EXIT_OK


def _cmd_search(args: argparse.Namespace, out: TextIO) -> int:
    if not args.text.strip():
        raise CliError("nothing to search for", EXIT_USAGE)
    damaged: list[str] = []
    found: list[dict[str, str]] = []
    with _unlocked(args) as vault:
        damaged_officers = len(vault.list_officers().damaged_ids)
        for batch in vault.checkins().search(args.text, on_damaged=damaged.append):
            for hit in batch:
                if args.json:
                    found.append(
                        {"checkin_id": hit.checkin_id, "field": hit.field, "snippet": hit.snippet}
                    )
                else:  # results appear as they are found
                    out.write(f"{hit.checkin_id}  {hit.field:<18}  {_clean(hit.snippet)}\n")
            out.flush()
    if args.json:
        _write_json(out, found)
    problem = _damage_report(len(damaged), damaged_officers)
    if problem is not None:
        raise problem
    return EXIT_OK


# -- demo -----------------------------------------------------------------------------------------
def _cmd_demo(args: argparse.Namespace, out: TextIO) -> int:
    from peersupport.services import demo
    from peersupport.services.vault import VaultService

    if not args.data_dir:
        raise CliError(
            "demo writes fictional records only where it is told to: give --data-dir DIR "
            "(a new folder makes a new vault)", EXIT_USAGE,
        )
    data_dir = paths.DataDir(paths.resolve(args.data_dir))
    service = VaultService(data_dir)
    if service.exists():
        context: contextlib.AbstractContextManager[UnlockedVault] = _unlocked(args)
    else:
        context = _locking(create_vault(service, args.passphrase_stdin, out))
    with context as vault:
        result = demo.fill(vault, args.count)
    out.write(
        f"Added {result.checkins:,} fictional check-ins with "
        f"{_plural(result.officers, 'fictional officer')} to {data_dir.root}\n"
    )
    return EXIT_OK


@contextlib.contextmanager
def _locking(vault: UnlockedVault) -> Iterator[UnlockedVault]:
    try:
        yield vault
    finally:
        vault.lock()


HANDLERS: dict[str, Callable[[argparse.Namespace, TextIO], int]] = {
    "checkin add": _cmd_checkin_add,
    "checkin list": _cmd_checkin_list,
    "checkin show": _cmd_checkin_show,
    "checkin delete": _cmd_checkin_delete,
    "officer list": _cmd_officer_list,
    "search": _cmd_search,
    "demo": _cmd_demo,
}
