"""The ``peersupport`` command. Without a subcommand it starts the window.

Exit codes: 0 success; 1 other error; 2 usage or invalid input; 3 wrong passphrase or
recovery key; 4 integrity or tamper failure. Failures print one line on standard error.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, NoReturn, TextIO

from peersupport import __version__, hygiene, paths

# defined apart so that cli_supervisor can use them without importing this module
from peersupport.cli_common import EXIT_ERROR as EXIT_ERROR
from peersupport.cli_common import EXIT_OK as EXIT_OK
from peersupport.cli_common import EXIT_TAMPER as EXIT_TAMPER
from peersupport.cli_common import EXIT_USAGE as EXIT_USAGE
from peersupport.cli_common import EXIT_WRONG_SECRET as EXIT_WRONG_SECRET
from peersupport.cli_common import CliError as CliError

if TYPE_CHECKING:
    from peersupport.services.vault import UnlockedVault, VaultService


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"peersupport: {message} (try --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="peersupport",
        description="Confidential check-ins and follow-ups for peer supporters. "
        "Without a command, opens the application window.",
    )
    parser.add_argument("--version", action="version", version=f"peersupport {__version__}")
    parser.add_argument(
        "--data-dir", metavar="DIR",
        help=f"vault folder (default: ${paths.ENV_VAR} or {paths.default_root()})",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    init = sub.add_parser("init", help="create a new vault and print its recovery key once")
    verify = sub.add_parser(
        "verify", help="check the database file and authenticate every sealed field"
    )
    for command in (init, verify):
        _passphrase_option(command)
    _add_record_commands(sub)
    _add_followup_commands(sub)
    _add_request_commands(sub)
    _add_stats_commands(sub)
    _add_supervisor_commands(sub)
    from peersupport import cli_retention

    cli_retention.add_commands(sub, _Parser, _passphrase_option)  # purge, hold
    from peersupport import cli_keys

    cli_keys.add_commands(sub)  # change-passphrase, new-recovery-key
    from peersupport import cli_backup

    cli_backup.add_parsers(sub)  # backup, restore
    return parser


def _passphrase_option(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--passphrase-stdin", action="store_true",
        help="read the passphrase from the first line of standard input",
    )


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text[:20]!r}") from None
    if not 1 <= value <= 1_000_000:
        raise argparse.ArgumentTypeError("must be between 1 and 1,000,000")
    return value


def _add_record_commands(sub: argparse._SubParsersAction[_Parser]) -> None:
    """checkin add/list/show/delete, officer list, search, demo (see cli_records)."""
    checkin = sub.add_parser("checkin", help="add, list, show or delete check-ins")
    actions = checkin.add_subparsers(
        dest="action", metavar="ACTION", parser_class=_Parser, required=True
    )
    add = actions.add_parser(
        "add", help="add one check-in from a JSON file (see resources/checkin.schema.json)"
    )
    add.add_argument(
        "--file", required=True, metavar="F",
        help="the JSON file; '-' reads standard input (the passphrase is then asked for "
        "on the terminal)",
    )
    listing = actions.add_parser("list", help="every check-in, newest first")
    show = actions.add_parser("show", help="one check-in in full")
    show.add_argument("id", metavar="ID")
    delete = actions.add_parser(
        "delete", help="delete one check-in (securely); its statistics count goes too unless "
        "--keep-count",
        description="Delete one check-in and its follow-up plans, securely. By default its "
        "anonymous statistics count is removed too: the check-in was entered by mistake and "
        "never happened. With --keep-count the count stays in your statistics: the contact "
        "happened, and its record is destroyed under your retention rules.",
    )
    delete.add_argument("id", metavar="ID")
    delete.add_argument(
        "--keep-count", action="store_true",
        help="keep the contact in your anonymous statistics (a record destroyed under "
        "retention rules); without it the count goes too (a check-in entered by mistake)",
    )
    officer = sub.add_parser("officer", help="list officers")
    officer_actions = officer.add_subparsers(
        dest="action", metavar="ACTION", parser_class=_Parser, required=True
    )
    officers = officer_actions.add_parser("list", help="every officer's alias and check-ins")
    search = sub.add_parser(
        "search", help="search notes, incident references, referral providers and officers"
    )
    search.add_argument("text", metavar="TEXT")
    demo = sub.add_parser(
        "demo", help="fill a vault (new or existing) with fictional check-ins; needs --data-dir"
    )
    demo.add_argument("--count", required=True, type=_count, metavar="N",
                      help="how many check-ins (1 to 1,000,000)")
    for command in (listing, show, officers, search):
        command.add_argument("--json", action="store_true", help="print JSON")
    for command in (add, listing, show, delete, officers, search, demo):
        _passphrase_option(command)


def _bounded(low: int, high: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a whole number: {text[:20]!r}") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"must be between {low:,} and {high:,}")
        return value

    return parse


def _add_followup_commands(sub: argparse._SubParsersAction[_Parser]) -> None:
    """``followups [--due | --all] [--json]`` and ``followups export-ics OUT.ics`` (see
    cli_followups). The listing's options belong to ``followups`` itself, so both forms work:
    ``followups --due --json`` and ``followups export-ics OUT.ics --days 14``."""
    followups = sub.add_parser(
        "followups",
        help="list follow-up steps (pending by default), or export them as a calendar file",
        usage="peersupport followups [--due | --all] [--json] [--passphrase-stdin]\n"
        "       peersupport followups export-ics OUT.ics [--days N] [--alarm MINUTES] "
        "[--passphrase-stdin]",
        description="Without an action: list follow-up steps, pending ones by default, with "
        "their step, plan and check-in ids (never an officer's alias or name). "
        "With export-ics: write the pending ones to an iCalendar file.",
    )
    which = followups.add_mutually_exclusive_group()
    which.add_argument("--due", action="store_true",
                       help="only pending steps that are due now or overdue")
    which.add_argument("--all", action="store_true",
                       help="every step of every plan, whatever its state")
    followups.add_argument("--json", action="store_true", help="print JSON")
    _passphrase_option(followups)
    actions = followups.add_subparsers(
        dest="action", metavar="ACTION", parser_class=_Parser, required=False
    )
    export = actions.add_parser(
        "export-ics",
        help="write pending follow-ups (overdue ones and the next days) to an .ics file",
        description="Write one calendar event per pending follow-up step due within the next "
        "days (overdue ones included). Every event is called 'Peer follow-up' and carries no "
        "name, alias, category or note; its UID stays the same in later exports, so "
        "importing a newer file updates the events. The file is readable by you only.",
    )
    export.add_argument("out", metavar="OUT.ics", help="the calendar file to write (replaced "
                        "if it exists)")
    export.add_argument("--days", type=_bounded(1, 3660), default=30, metavar="N",
                        help="how many days ahead (default 30; overdue steps always included)")
    export.add_argument("--alarm", type=_bounded(0, 40320), default=None, metavar="MINUTES",
                        help="add a reminder this many minutes before each follow-up")
    # Also accepted after the action; SUPPRESS keeps a flag given before it (argparse copies
    # every default of a sub-command over the values already parsed).
    export.add_argument("--passphrase-stdin", action="store_true", default=argparse.SUPPRESS,
                        help="read the passphrase from the first line of standard input")


def _add_request_commands(sub: argparse._SubParsersAction[_Parser]) -> None:
    """``request [--card CARD]`` (the form window), ``request submit``, ``request card
    export``, ``request import`` and ``request list`` (see cli_requests)."""
    request = sub.add_parser(
        "request",
        help="officer follow-up requests: open the form, send one, export the request card, "
        "import .psreq files, list the inbox",
        usage="peersupport request [--card CARD]\n"
        "       peersupport request submit --file F [--card CARD --out FILE.psreq]\n"
        "       peersupport request card export OUT [--passphrase-stdin]\n"
        "       peersupport request import FILE [FILE ...] [--passphrase-stdin]\n"
        "       peersupport request list [--json] [--passphrase-stdin]",
        description="Without an action: open the request form, where an officer asks for a "
        "follow-up (no passphrase; with --card, for the vault on that card, on any computer). "
        "submit sends a request from JSON without a passphrase; the others open the vault.",
    )
    request.add_argument(
        "--card", metavar="CARD",
        help="a request card (.pscard): the form seals requests to that vault and saves them "
        "as .psreq files",
    )
    actions = request.add_subparsers(
        dest="action", metavar="ACTION", parser_class=_Parser, required=False
    )
    submit = actions.add_parser(
        "submit", help="send one request from a JSON file (no passphrase); prints its "
        "reference code",
        description="Send one follow-up request, read from a JSON object with the keys "
        "urgency (routine, within_24h or urgent_now; required), address_as, contact (text, or "
        '{"method": "phone" | "email" | "in_person", "detail": ...}), best_times and message. '
        "It is sealed at once to the vault's public key: no passphrase is needed, and only the "
        "vault's owner can read it after unlocking. With --card and --out it is sealed to the "
        "vault on the card and written to a .psreq file instead (no vault needed here).",
    )
    submit.add_argument("--file", required=True, metavar="F",
                        help="the JSON file; '-' reads standard input")
    # SUPPRESS keeps a --card given before the action (argparse copies every default of a
    # sub-command over the values already parsed)
    submit.add_argument("--card", metavar="CARD", default=argparse.SUPPRESS,
                        help="seal to the vault on this request card (with --out)")
    submit.add_argument("--out", metavar="FILE.psreq",
                        help="the request file to write (with --card; never replaced)")
    card = actions.add_parser("card", help="export this vault's request card")
    card_actions = card.add_subparsers(
        dest="card_action", metavar="ACTION", parser_class=_Parser, required=True
    )
    export = card_actions.add_parser(
        "export", help="write the request card and its QR code image",
        description="Write this vault's request card (public: what another computer needs to "
        "seal a request to this vault) to OUT, and its QR code to a PNG next to it (OUT with "
        "the extension .png). Prints both paths and the key fingerprint.",
    )
    export.add_argument("out", metavar="OUT", help="the card file, such as card.pscard "
                        "(replaced if it exists)")
    importing = actions.add_parser(
        "import", help="add .psreq request files to the inbox",
        description="Add request files made with this vault's card. Prints one line per "
        "file: imported (with its reference code and urgency) or refused (and why); a "
        "refused file writes nothing.",
        epilog="Exit code: 0 when every file was imported; 4 when any was refused as changed "
        "or sealed to another key; otherwise 2 when any was refused (malformed or truncated, "
        "unknown version, another vault, already imported, too large, unreadable).",
    )
    importing.add_argument("files", nargs="+", metavar="FILE", help="a .psreq file")
    listing = actions.add_parser(
        "list", help="open the requests that arrived while locked and list the inbox",
        description="List every request (open ones first, urgent first, then oldest first) "
        "with its reference, state, urgency, time received (UTC) and what the officer wrote.",
    )
    listing.add_argument("--json", action="store_true", help="print JSON")
    for command in (export, importing, listing):
        _passphrase_option(command)


def _add_supervisor_commands(sub: argparse._SubParsersAction[_Parser]) -> None:
    """``supervisor init``, ``supervisor import`` and ``supervisor report`` (see
    cli_supervisor): the program supervisor's profile, in a folder of its own."""
    supervisor = sub.add_parser(
        "supervisor",
        help="the program supervisor: create a profile, import supporters' signed statistics "
        "files, report their sums",
        description="The program supervisor's profile lives in the data folder (--data-dir), "
        "which must not hold a peer supporter's vault. It holds the pinned keys of supporters "
        "and the suppressed tables they shared, encrypted under the supervisor's passphrase; "
        "it cannot open any supporter's records.",
    )
    actions = supervisor.add_subparsers(
        dest="action", metavar="ACTION", parser_class=_Parser, required=True
    )
    init = actions.add_parser(
        "init", help="create a supervisor profile under a new passphrase",
        description="Create a supervisor profile in the data folder (refused when it already "
        "holds a profile or a peer supporter's vault). The new passphrase is asked for twice; "
        "there is no recovery key.",
    )
    init.add_argument("--program", default="", metavar="NAME",
                      help="the program's name, shown on reports")
    init.add_argument("--passphrase-stdin", action="store_true",
                      help="read the new passphrase from the first two lines of standard "
                      "input (the same twice)")
    importing = actions.add_parser(
        "import", help="verify and import signed statistics files (.psstats)",
        description="Verify and import statistics files, one line per file: imported (with "
        "the supporter's pseudonym, key fingerprint and periods) or refused (and why). The key "
        "of a supporter seen for the first time is pinned: compare its fingerprint with the "
        "one the supporter sees.",
        epilog="Exit code: 0 when every file was imported; 4 when any was refused for a "
        "signature that does not match; otherwise 2 when any was refused (malformed or "
        "truncated, unknown version, unknown signer, already imported).",
    )
    importing.add_argument("files", nargs="+", metavar="FILE", help="a .psstats file")
    importing.add_argument("--replace", action="store_true",
                           help="replace statistics imported before for the same supporter "
                           "and periods")
    signers = importing.add_mutually_exclusive_group()
    signers.add_argument("--pin-new", action="store_true",
                         help="pin the keys of new supporters, even when the profile accepts "
                         "only pinned ones")
    signers.add_argument("--only-pinned", action="store_true",
                         help="refuse files signed by keys that are not pinned yet")
    report = actions.add_parser(
        "report", help="the sums of every imported table, suppressed again",
        description="Every table summed over the imported files, by month (monthly files) or "
        "by quarter (all files), with the suppression rule applied again: a value reads "
        "'suppressed' or, where it includes suppressed counts, 'at least N'.",
    )
    report.add_argument("--quarters", action="store_true", help="by quarter (default: by "
                        "month)")
    form = report.add_mutually_exclusive_group()
    form.add_argument("--json", action="store_true", help="print JSON")
    form.add_argument("--csv", metavar="OUT", help="write CSV to OUT (replaced if it exists)")
    form.add_argument("--pdf", metavar="OUT", help="write a PDF report to OUT (replaced if it "
                      "exists)")
    for command in (importing, report):
        _passphrase_option(command)


def _month(text: str) -> str:
    """A month as ``YYYY-MM``."""
    if len(text) != 7 or text[4] != "-" or not (text[:4] + text[5:]).isdigit() or \
            not "01" <= text[5:] <= "12" or not text.isascii():
        raise argparse.ArgumentTypeError(f"not a month (YYYY-MM): {text[:20]!r}")
    return text


def _add_stats_commands(sub: argparse._SubParsersAction[_Parser]) -> None:
    """``stats show`` and ``stats export OUT.psstats`` (see cli_stats)."""
    stats = sub.add_parser(
        "stats",
        help="your anonymized statistics: show your own counts, or export the suppressed, "
        "signed file for your program",
        usage="peersupport stats show --from YYYY-MM --to YYYY-MM [--quarters] [--json] "
        "[--passphrase-stdin]\n"
        "       peersupport stats export OUT.psstats --from YYYY-MM --to YYYY-MM [--quarters] "
        "[--k K] [--passphrase-stdin]",
        description="Counts of contacts by incident category, contact type, how the contact "
        "started, recipient, duration, referrals and follow-ups done, by month or quarter: "
        "never a name, a note or an exact date. show prints your own counts, not suppressed; "
        "export writes the file you share with your program, suppressed and signed.",
    )
    actions = stats.add_subparsers(
        dest="action", metavar="ACTION", parser_class=_Parser, required=True,
        prog="peersupport stats",
    )
    show = actions.add_parser(
        "show", help="print your own counts, not suppressed (for you only)",
        description="Print your own tables, not suppressed: for your eyes only, never shared "
        "as they are.",
    )
    show.add_argument("--json", action="store_true", help="print JSON")
    export = actions.add_parser(
        "export", help="write the suppressed, signed statistics file for your program",
        description="Write the statistics file (.psstats) for your program: every count from "
        "1 to K-1 is suppressed, with the further values that would give it away, and the "
        "file is signed with this vault's statistics key. It names you only by a pseudonym "
        "and the key fingerprint, which it prints; the file is readable by you only.",
    )
    export.add_argument("out", metavar="OUT.psstats",
                        help="the statistics file to write (replaced if it exists)")
    export.add_argument("--k", type=_bounded(3, 11), default=None, metavar="K",
                        help="the suppression threshold, 3 to 11: counts from 1 to K-1 are "
                        "never shared (default: the threshold set in Preferences, 5 unless "
                        "changed)")
    for command in (show, export):
        command.add_argument("--from", dest="first", required=True, type=_month,
                             metavar="YYYY-MM", help="the first month counted")
        command.add_argument("--to", dest="last", required=True, type=_month,
                             metavar="YYYY-MM", help="the last month counted")
        command.add_argument("--quarters", action="store_true",
                             help="count by calendar quarter (the months are widened to whole "
                             "quarters) instead of by month")
        _passphrase_option(command)


def _has_terminal() -> bool:
    """Whether getpass can ask on a terminal although standard input is taken."""
    if os.name != "posix":
        return sys.stderr.isatty()
    try:
        fd = os.open("/dev/tty", os.O_RDWR | os.O_NOCTTY)
    except OSError:
        return False
    os.close(fd)
    return True


def _read_passphrase(
    from_stdin: bool, prompt: str, *, confirm: bool, stdin_taken: bool = False
) -> str:
    """From the first line of standard input, or asked for without echo on the terminal.
    ``stdin_taken``: standard input holds something else (``--file -``); ask the terminal."""
    if from_stdin:
        line = sys.stdin.readline()
        value = line.rstrip("\r\n")
        if not value:
            raise CliError("no passphrase on standard input", EXIT_USAGE)
        return value
    if stdin_taken:
        if not _has_terminal():
            raise CliError(
                "no terminal to ask for the passphrase (standard input holds the check-in)",
                EXIT_USAGE,
            )
    elif not sys.stdin.isatty():
        raise CliError("no terminal to ask for a passphrase; use --passphrase-stdin", EXIT_USAGE)
    first = getpass.getpass(prompt)
    if confirm and getpass.getpass("Repeat the passphrase: ") != first:
        raise CliError("the two passphrases do not match", EXIT_USAGE)
    return first


def _cmd_init(args: argparse.Namespace, out: TextIO) -> int:
    from peersupport.services.vault import VaultService

    data_dir = paths.ensure(paths.resolve(args.data_dir))
    service = VaultService(data_dir)
    if service.exists():
        raise CliError(f"a vault already exists in {data_dir.root}", EXIT_ERROR)
    create_vault(service, args.passphrase_stdin, out).lock()
    return EXIT_OK


def create_vault(service: VaultService, passphrase_stdin: bool, out: TextIO) -> UnlockedVault:
    """Ask for a new passphrase (checked for strength), create the vault, print the
    recovery key once. Returns the vault unlocked."""
    from peersupport.domain.passphrase import assess
    from peersupport.services.errors import VaultExistsError
    from peersupport.services.vault import new_recovery_key

    data_dir = service.data_dir
    passphrase = _read_passphrase(passphrase_stdin, "New passphrase: ", confirm=True)
    strength = assess(passphrase)
    if not strength.acceptable:
        raise CliError(f"passphrase too weak ({strength.label}): {strength.feedback}", EXIT_USAGE)
    key, text = new_recovery_key()
    try:
        vault = service.create(passphrase, key)
    except VaultExistsError as exc:
        raise CliError(str(exc), EXIT_ERROR) from None
    finally:
        key.wipe()
    out.write(f"Vault created in {data_dir.root}\n")
    out.write("Recovery key (shown once; write it on paper and keep it safe):\n")
    out.write(f"  {text}\n")
    return vault


def _cmd_verify(args: argparse.Namespace, out: TextIO) -> int:
    from peersupport.services.vault import VaultService

    data_dir = paths.DataDir(paths.resolve(args.data_dir))
    service = VaultService(data_dir)
    if not service.exists():
        raise CliError(f"no vault in {data_dir.root}", EXIT_USAGE)
    passphrase = _read_passphrase(args.passphrase_stdin, "Passphrase: ", confirm=False)
    report = service.verify(passphrase)
    integrity = "ok" if not report.integrity_problems else "FAILED"
    records = ", ".join(f"{name}: {count}" for name, count in sorted(report.records.items()))
    out.write(f"database integrity: {integrity}\n")
    out.write(f"records: {records or 'none'}\n")
    out.write(
        f"sealed fields: {report.fields_checked} checked, {len(report.failures)} failed\n"
    )
    if not report.ok:
        raise CliError(
            f"verification failed: {len(report.integrity_problems)} database problem(s), "
            f"{len(report.failures)} sealed field(s) failed authentication",
            EXIT_TAMPER,
        )
    return EXIT_OK


def _run(args: argparse.Namespace, out: TextIO) -> int:
    from peersupport import (
        cli_followups,
        cli_keys,
        cli_records,
        cli_requests,
        cli_stats,
        cli_supervisor,
    )
    from peersupport.crypto.errors import MalformedRecoveryKeyError, TamperError, WrongSecretError
    from peersupport.services.errors import NoVaultError

    handlers = {"init": _cmd_init, "verify": _cmd_verify, **cli_records.HANDLERS,
                **cli_followups.HANDLERS, **cli_requests.HANDLERS, **cli_supervisor.HANDLERS,
                **cli_stats.HANDLERS, **cli_keys.HANDLERS}
    from peersupport import cli_backup

    handlers.update(cli_backup.HANDLERS)
    from peersupport import cli_retention
    from peersupport.services.errors import LegalHoldError

    handlers.update(cli_retention.HANDLERS)
    name = f"{args.command} {args.action}" if getattr(args, "action", None) else args.command
    try:
        return handlers[name](args, out)
    except WrongSecretError:
        raise CliError("wrong passphrase or recovery key", EXIT_WRONG_SECRET) from None
    except MalformedRecoveryKeyError as exc:
        raise CliError(str(exc), EXIT_USAGE) from None
    except TamperError as exc:
        raise CliError(f"integrity failure: {exc}", EXIT_TAMPER) from None
    except NoVaultError as exc:
        raise CliError(str(exc), EXIT_USAGE) from None
    except LegalHoldError as exc:
        raise CliError(f"{exc}; lift the hold first (peersupport hold ... --off)",
                       EXIT_ERROR) from None


def main(argv: Sequence[str] | None = None, out: TextIO | None = None) -> int:
    hygiene.disable_core_dumps()
    paths.private_umask()
    args = build_parser().parse_args(argv)
    out = out or sys.stdout
    if args.command is None:
        from peersupport.ui.app import run_gui

        return run_gui(paths.resolve(args.data_dir))
    hygiene.configure_logging(None)
    try:
        return _run(args, out)
    except CliError as exc:
        sys.stderr.write(f"peersupport: {exc}\n")
        return exc.code
    except KeyboardInterrupt:
        sys.stderr.write("peersupport: interrupted\n")
        return EXIT_ERROR
    except Exception as exc:  # one clear line, never a traceback
        from peersupport.services.storage_errors import storage_message

        message = storage_message(exc)  # a full disk, a read-only folder
        if message is None and isinstance(exc, OSError):
            message = exc.strerror or "input/output error"
        sys.stderr.write(f"peersupport: {message or f'unexpected error ({type(exc).__name__})'}\n")
        return EXIT_ERROR
