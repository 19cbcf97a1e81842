"""The program supervisor's command line.

- ``supervisor init [--program NAME]`` creates a supervisor profile in the data folder (which
  must hold neither a profile nor a peer supporter's vault), under a new passphrase asked for
  twice (or given on the first two lines of standard input) and checked for strength.
- ``supervisor import FILE... [--replace] [--pin-new | --only-pinned]`` verifies and imports
  signed ``.psstats`` files, one line per file. The key of a supporter seen for the first time
  is pinned and its fingerprint printed, to be compared with the one the supporter sees.
- ``supervisor report [--quarters] [--json | --csv OUT | --pdf OUT]`` shows the sums of every
  imported table with the suppression rule applied again.

Same contract as the rest of the command line (see ``cli``): exit 2 for bad input or no
profile, 3 for a wrong passphrase, 4 for a damaged profile, one line on standard error for
every failure. ``supervisor import`` exits 0 when every file was imported, 4 when any was
refused for a signature that does not match, otherwise 2 when any was refused for another
reason (malformed or truncated, unknown version, unknown signer, already imported); the files
it could import are imported either way.

This module must not import ``peersupport.cli`` or anything else that can reach a vault: like
``peersupport.supervisor`` it has no code path that can open a sealed record (import-linter
contract in pyproject.toml).
"""

from __future__ import annotations

import argparse
import contextlib
import getpass
import json
import os
import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TextIO

from peersupport import paths
from peersupport.atomic import write_atomic
from peersupport.cli_common import (
    EXIT_ERROR,
    EXIT_OK,
    EXIT_TAMPER,
    EXIT_USAGE,
    EXIT_WRONG_SECRET,
    CliError,
)
from peersupport.crypto import kdf
from peersupport.crypto.errors import (
    StatsError,
    TamperError,
    WeakParametersError,
    WrongSecretError,
)
from peersupport.crypto.stats_file import MAX_FILE_BYTES
from peersupport.domain.stats import (
    DIMENSIONS,
    MONTH,
    QUARTER,
    SUPPRESSED,
    AtLeast,
    ShownTable,
    ShownValue,
    dimension_codes,
)
from peersupport.supervisor.profile import (
    MAX_PROGRAM_NAME,
    PROFILE_FILENAME,
    VAULT_FILENAME,
    Dashboard,
    DuplicateStatsError,
    ImportedStats,
    NoProfileError,
    ProfileExistsError,
    SupervisorProfile,
    UnknownSignerError,
    csv_text,
    suppression_rule_text,
)

# The command line knows only the production parameters (tests make fast profiles at the
# production floor with SupervisorProfile.create, as they make vaults).
KDF_PROFILE = kdf.PRODUCTION

# Control characters (and bidirectional overrides) in file and program names are shown
# escaped, so a name cannot move the cursor, recolour or rewrite the terminal.
_CONTROL = {c: f"\\x{c:02x}" for c in (*range(0x20), *range(0x7F, 0xA0))}
_CONTROL.update({c: f"\\u{c:04x}" for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A))})


def _clean(text: str) -> str:
    return text.translate(_CONTROL)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


# -- passphrases and the profile ------------------------------------------------------------------
def _stdin_line() -> str:
    return sys.stdin.readline().rstrip("\r\n")


def _read_passphrase(from_stdin: bool, *, new: bool) -> str:
    """From standard input (a new passphrase: on the first two lines, the same twice), or
    asked for without echo on the terminal (a new one twice)."""
    if from_stdin:
        first = _stdin_line()
        if not first:
            raise CliError("no passphrase on standard input", EXIT_USAGE)
        if new and _stdin_line() != first:
            raise CliError("the new passphrase must be on the first two lines of standard "
                           "input, the same twice; they differ", EXIT_USAGE)
        return first
    if not sys.stdin.isatty():
        raise CliError("no terminal to ask for a passphrase; use --passphrase-stdin", EXIT_USAGE)
    first = getpass.getpass("New supervisor passphrase: " if new else "Supervisor passphrase: ")
    if new and getpass.getpass("Repeat the passphrase: ") != first:
        raise CliError("the two passphrases do not match", EXIT_USAGE)
    return first


def _folder(args: argparse.Namespace) -> Path:
    return paths.resolve(args.data_dir)


@contextlib.contextmanager
def _opened(args: argparse.Namespace) -> Iterator[SupervisorProfile]:
    """The profile in the data folder, opened with the passphrase; closed (its key wiped)
    afterwards. No profile: exit 2; wrong passphrase: 3; a damaged profile: 4."""
    root = _folder(args)
    if not (root / PROFILE_FILENAME).is_file():
        raise CliError(_no_profile(root), EXIT_USAGE)
    passphrase = _read_passphrase(args.passphrase_stdin, new=False)
    try:
        profile = SupervisorProfile.open(root, passphrase, KDF_PROFILE)
    except NoProfileError:
        raise CliError(_no_profile(root), EXIT_USAGE) from None
    except WrongSecretError:
        raise CliError("wrong passphrase (or the supervisor profile was changed)",
                       EXIT_WRONG_SECRET) from None
    except WeakParametersError:
        raise CliError("integrity failure: the supervisor profile's key-derivation parameters "
                       "are below the accepted minimum", EXIT_TAMPER) from None
    except TamperError as exc:  # ProfileFormatError: not a whole, readable profile
        raise CliError(f"integrity failure: {exc}", EXIT_TAMPER) from None
    try:
        yield profile
    finally:
        profile.close()


def _no_profile(root: Path) -> str:
    vault = (" (it holds a peer supporter's vault; a supervisor profile needs a folder of its "
             "own)") if (root / VAULT_FILENAME).exists() else ""
    return (f"no supervisor profile in {_clean(str(root))}{vault}; create one with "
            "'peersupport --data-dir DIR supervisor init'")


# -- supervisor init ------------------------------------------------------------------------------
def _program_name(text: str) -> str:
    name = " ".join(text.split())
    if not name.isprintable():
        raise CliError("invalid program name: it holds control characters", EXIT_USAGE)
    if len(name) > MAX_PROGRAM_NAME:
        raise CliError(f"invalid program name: at most {MAX_PROGRAM_NAME} characters",
                       EXIT_USAGE)
    return name


def _cmd_init(args: argparse.Namespace, out: TextIO) -> int:
    from peersupport.domain.passphrase import assess

    root = _folder(args)
    shown = _clean(str(root))
    # refused before any passphrase is asked for: nothing is written
    if (root / PROFILE_FILENAME).exists():
        raise CliError(f"a supervisor profile already exists in {shown}", EXIT_ERROR)
    if (root / VAULT_FILENAME).exists():
        raise CliError(f"{shown} holds a peer supporter's vault; a supervisor profile needs a "
                       "folder of its own (choose another with --data-dir)", EXIT_ERROR)
    if root.exists() and not root.is_dir():
        raise CliError(f"{shown} is not a folder", EXIT_ERROR)
    program = _program_name(args.program)
    passphrase = _read_passphrase(args.passphrase_stdin, new=True)
    strength = assess(passphrase)
    if not strength.acceptable:
        raise CliError(f"passphrase too weak ({strength.label}): {strength.feedback}", EXIT_USAGE)
    root.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        profile = SupervisorProfile.create(root, passphrase, program, KDF_PROFILE)
    except ProfileExistsError as exc:  # made meanwhile by another process
        raise CliError(_clean(str(exc)), EXIT_ERROR) from None
    profile.close()
    out.write(f"Supervisor profile created in {shown}\n")
    if program:
        out.write(f"Program: {program}\n")
    out.write("There is no recovery key: if the passphrase is lost, the profile cannot be "
              "opened (the supporters' files can be imported again into a new one).\n")
    return EXIT_OK


# -- supervisor import ----------------------------------------------------------------------------
class _TooLarge(Exception):
    pass


def _read_stats_file(name: str) -> bytes:
    """The file's bytes; its size is checked first, so an oversized file is never read."""
    if os.stat(name).st_size > MAX_FILE_BYTES:
        raise _TooLarge
    with open(name, "rb") as handle:
        data = handle.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        raise _TooLarge
    return data


def _import_one(profile: SupervisorProfile, data: bytes, args: argparse.Namespace
                ) -> tuple[ImportedStats, bool, bool]:
    """Import verified bytes: (what was imported, whether its key was pinned now, whether it
    replaced earlier imports). ``--pin-new`` pins a new key even when the profile accepts only
    pinned keys; ``--only-pinned`` refuses new keys whatever the profile says."""
    check = profile.check_import(data)
    new_key = not check.pinned
    replaced = bool(check.duplicates) and args.replace and not check.same_file
    if new_key and args.pin_new and profile.accept_only_pinned:
        pinned = profile.pin(data)
        try:
            imported = profile.import_stats(data, replace=args.replace)
        except BaseException:
            profile.unpin(pinned.fingerprint)
            raise
    else:
        imported = profile.import_stats(data, replace=args.replace,
                                        pin_new=not args.only_pinned)
    return imported, new_key, replaced


def _cmd_import(args: argparse.Namespace, out: TextIO) -> int:
    tampered = other = 0
    with _opened(args) as profile:
        for name in args.files:
            shown = _clean(name)
            try:
                data = _read_stats_file(name)
            except _TooLarge:
                other += 1
                out.write(f"refused {shown}: the file is too large to be a statistics file "
                          f"(at most {MAX_FILE_BYTES // (1024 * 1024)} MiB)\n")
                continue
            except OSError as exc:
                other += 1
                out.write(f"refused {shown}: the file cannot be read "
                          f"({exc.strerror or 'input/output error'})\n")
                continue
            try:
                imported, new_key, replaced = _import_one(profile, data, args)
            except TamperError as exc:  # the signature does not match
                tampered += 1
                out.write(f"refused {shown}: {exc}\n")
            except DuplicateStatsError as exc:
                other += 1
                out.write(f"refused {shown}: {exc}"
                          f"{'' if args.replace else ' (with --replace)'}\n")
            except (StatsError, UnknownSignerError) as exc:
                other += 1
                out.write(f"refused {shown}: {exc}\n")
            else:
                out.write(f"imported {shown}: {imported.pseudonym} ({imported.fingerprint}), "
                          f"{imported.periods[0]}..{imported.periods[-1]}\n")
                if new_key:
                    out.write(f"  new supporter key pinned: {imported.fingerprint}; compare it "
                              "with the one the supporter sees\n")
                if replaced:
                    out.write("  it replaces the statistics imported before for the same "
                              "supporter and periods\n")
            out.flush()
    refused = tampered + other
    if refused:
        raise CliError(
            f"{refused} of {_plural(len(args.files), 'statistics file')} "
            f"{'was' if refused == 1 else 'were'} refused"
            + (f" ({tampered} failed the signature check)" if tampered else ""),
            EXIT_TAMPER if tampered else EXIT_USAGE,
        )
    return EXIT_OK


# -- supervisor report ----------------------------------------------------------------------------
def shown_text(value: ShownValue) -> str:
    """A shown value as text: a count, "suppressed" or "at least N"."""
    if isinstance(value, AtLeast):
        return str(value)
    if isinstance(value, int):
        return f"{value:,}"
    return SUPPRESSED


def shown_json(value: ShownValue) -> int | str | dict[str, int]:
    """A shown value in JSON: a number, "suppressed" or {"at_least": N}."""
    if isinstance(value, AtLeast):
        return {"at_least": value.n}
    if isinstance(value, int):
        return value
    return SUPPRESSED


def table_json(table: ShownTable) -> dict[str, Any]:
    labels = dimension_codes(table.dimension)
    return {
        "dimension": table.dimension,
        "title": DIMENSIONS[table.dimension],
        "periods": list(table.periods),
        "codes": list(table.codes),
        "labels": {c: labels.get(c, c) for c in table.codes},
        "cells": {c: {p: shown_json(table.cells[c][p]) for p in table.periods}
                  for c in table.codes},
        "row_totals": {c: shown_json(table.row_totals[c]) for c in table.codes},
        "column_totals": {p: shown_json(table.column_totals[p]) for p in table.periods},
        "total": shown_json(table.total),
    }


def report_json(board: Dashboard, program_name: str) -> dict[str, Any]:
    return {
        "program": program_name,
        "granularity": board.granularity,
        "periods": list(board.periods),
        "k": board.k,
        "supporters": board.supporters,
        "files": board.files,
        "left_out": board.left_out,
        "rule": suppression_rule_text(board.k),
        "tables": {d: table_json(t) for d, t in board.tables.items()},
    }


def _summary(board: Dashboard) -> str:
    by = "By month" if board.granularity == MONTH else "By quarter"
    span = (f", {board.periods[0]} to {board.periods[-1]}" if board.periods else "")
    line = (f"{by}{span}: {_plural(board.supporters, 'supporter')}, "
            f"{_plural(board.files, 'file')}")
    if board.left_out:
        line += (f" ({_plural(board.left_out, 'quarterly file')} shown only by quarter: use "
                 "--quarters)")
    return line


def _write_table(out: TextIO, table: ShownTable) -> None:
    labels = dimension_codes(table.dimension)
    header = ["", *table.periods, "Total"]
    rows = [[labels.get(c, c), *(shown_text(table.cells[c][p]) for p in table.periods),
             shown_text(table.row_totals[c])] for c in table.codes]
    rows.append(["Total", *(shown_text(table.column_totals[p]) for p in table.periods),
                 shown_text(table.total)])
    widths = [max(len(r[i]) for r in (header, *rows)) for i in range(len(header))]
    out.write(f"{DIMENSIONS[table.dimension]}\n")
    for row in (header, *rows):
        cells = [row[0].ljust(widths[0])] + [v.rjust(w) for v, w in zip(row[1:], widths[1:],
                                                                          strict=True)]
        out.write(("  " + "  ".join(cells)).rstrip() + "\n")


def write_report_text(out: TextIO, board: Dashboard, program_name: str) -> None:
    if program_name:
        out.write(f"Program: {_clean(program_name)}\n")
    out.write(_summary(board) + "\n")
    if not board.files:
        out.write("No statistics imported yet.\n")
        return
    out.write(textwrap.fill(suppression_rule_text(board.k), width=100) + "\n")
    for table in board.tables.values():
        out.write("\n")
        _write_table(out, table)


def _target(name: str, what: str) -> Path:
    """Where to write a report: a file in an existing folder (replaced if it exists)."""
    target = Path(name)
    if target.is_dir():
        raise CliError(f"{_clean(name)} is a folder; give a file name such as report.{what}",
                       EXIT_USAGE)
    if not target.parent.is_dir():
        raise CliError(f"no folder {_clean(str(target.parent))} to write the report in",
                       EXIT_USAGE)
    return target


def _pdf_writer() -> Callable[[Dashboard, str, Path], None]:
    try:
        from peersupport.ui.supervisor.report_pdf import write_report_pdf  # Qt: only here
    except ImportError as exc:
        raise CliError(f"PDF reports are not available in this installation ({exc.name or exc})",
                       EXIT_ERROR) from None
    return write_report_pdf


def _cmd_report(args: argparse.Namespace, out: TextIO) -> int:
    csv_target = _target(args.csv, "csv") if args.csv else None
    pdf_target = _target(args.pdf, "pdf") if args.pdf else None
    write_pdf = _pdf_writer() if pdf_target is not None else None
    with _opened(args) as profile:
        board = profile.dashboard(QUARTER if args.quarters else MONTH)
        program = profile.program_name
    if args.json:
        out.write(json.dumps(report_json(board, program), ensure_ascii=False, indent=2) + "\n")
    elif csv_target is not None:
        write_atomic(csv_target, [csv_text(board, program).encode("utf-8")])
        out.write(f"Report written to {_clean(str(csv_target))}\n")
    elif pdf_target is not None and write_pdf is not None:
        write_pdf(board, program, pdf_target)
        out.write(f"Report written to {_clean(str(pdf_target))}\n")
    else:
        write_report_text(out, board, program)
    return EXIT_OK


HANDLERS: dict[str, Callable[[argparse.Namespace, TextIO], int]] = {
    "supervisor init": _cmd_init,
    "supervisor import": _cmd_import,
    "supervisor report": _cmd_report,
}
