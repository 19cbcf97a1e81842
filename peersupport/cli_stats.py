"""Command-line statistics: the supporter's own counts and the file they share.

- ``stats show --from YYYY-MM --to YYYY-MM [--quarters] [--json]`` prints the supporter's own
  tables, not suppressed: for their eyes only, never shared as they are.
- ``stats export OUT.psstats --from YYYY-MM --to YYYY-MM [--quarters] [--k K]`` writes the
  suppressed, signed statistics file for the program (readable by the supporter only, written
  atomically), and prints the pseudonym and key fingerprint it is signed with, its periods and
  how many values were suppressed.

With ``--quarters`` the months are widened to whole calendar quarters, so a quarter is never
counted in part. Same contract as the rest of the command line (see ``cli``): exit 2 for a
bad month, range or threshold, or a range that overlaps one shared before without being the
same (nothing is written), 3 for a wrong passphrase.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from peersupport import paths
from peersupport.cli import EXIT_OK, EXIT_USAGE, CliError
from peersupport.cli_records import _clean, _plural, _unlocked, _write_json

if TYPE_CHECKING:
    from peersupport.domain.stats import CountTable, PublishedTable
    from peersupport.services.statistics import ShareRange


def _share_range(args: argparse.Namespace) -> ShareRange:
    """The months asked for (widened to whole quarters with --quarters), checked."""
    from peersupport.crypto.stats_file import MAX_PERIODS
    from peersupport.domain.stats import MONTH, QUARTER
    from peersupport.services.statistics import ShareRange

    first, last = args.first, args.last
    if first > last:  # YYYY-MM compares as text in time order
        raise CliError(f"--from {first} comes after --to {last}", EXIT_USAGE)
    granularity = QUARTER if args.quarters else MONTH
    if args.quarters:
        first = f"{first[:5]}{(int(first[5:]) - 1) // 3 * 3 + 1:02d}"
        last = f"{last[:5]}{(int(last[5:]) - 1) // 3 * 3 + 3:02d}"
    share = ShareRange(first, last, granularity)
    count = len(share.periods())
    if count > MAX_PERIODS:
        unit = "quarters" if args.quarters else "months"
        raise CliError(f"{count:,} {unit} is too long a range: at most {MAX_PERIODS} {unit}",
                       EXIT_USAGE)
    return share


def _describe(share: ShareRange) -> str:
    periods = share.periods()
    if share.granularity == "quarter":
        span = f"{periods[0]} to {periods[-1]}" if len(periods) > 1 else periods[0]
        return f"{span} ({_plural(len(periods), 'quarter')}: {share.first} to {share.last})"
    span = f"{share.first} to {share.last}" if len(periods) > 1 else share.first
    return f"{span} ({_plural(len(periods), 'month')})"


# -- stats show ----------------------------------------------------------------------------------
def table_to_json(table: CountTable) -> dict[str, Any]:
    """One of the supporter's own tables: a row per code (zeros included), in period order."""
    return {
        "codes": list(table.codes),
        "cells": {c: [table.cells[c][p] for p in table.periods] for c in table.codes},
        "row_totals": {c: table.row_total(c) for c in table.codes},
        "column_totals": [table.column_total(p) for p in table.periods],
        "total": table.total(),
    }


def _write_table(out: TextIO, title: str, table: CountTable) -> None:
    out.write(f"\n{title}\n")
    width = max(len("total"), *(len(c) for c in table.codes))
    columns = [*table.periods, "total"]
    widths = [max(len(p), 6) for p in columns]

    def line(name: str, values: list[str]) -> None:
        cells = "  ".join(v.rjust(w) for v, w in zip(values, widths, strict=True))
        out.write(f"  {name:<{width}}  {cells}\n")

    line("", columns)
    for c in table.codes:
        line(c, [f"{table.cells[c][p]:,}" for p in table.periods] + [f"{table.row_total(c):,}"])
    line("total", [f"{table.column_total(p):,}" for p in table.periods] + [f"{table.total():,}"])


def _cmd_show(args: argparse.Namespace, out: TextIO) -> int:
    from peersupport.domain.stats import DIMENSIONS, hours_range

    share = _share_range(args)
    with _unlocked(args) as vault:
        tables = vault.statistics().my_tables(share)
    low, high, _ = hours_range(tables["duration_bucket"])
    if args.json:
        _write_json(out, {
            "suppressed": False,
            "granularity": share.granularity,
            "first_month": share.first,
            "last_month": share.last,
            "periods": share.periods(),
            "tables": {d: table_to_json(t) for d, t in tables.items()},
            "hours": {"at_least": low, "at_most": high},
        })
        return EXIT_OK
    out.write(f"Your own counts, NOT suppressed (for you only; never shared as they are): "
              f"{_describe(share)}\n")
    for dimension, table in tables.items():
        _write_table(out, DIMENSIONS[dimension], table)
    out.write(f"\nHours of support: {low:,.1f} to {high:,.1f} (a contact over an hour counts "
              "as at most 3 hours)\n")
    return EXIT_OK


# -- stats export --------------------------------------------------------------------------------
def _suppressed(tables: dict[str, PublishedTable]) -> tuple[int, int, int, int]:
    """(suppressed cells, cells, suppressed totals, totals) over every table."""
    from peersupport.domain.stats import SUPPRESSED

    cells = [v for t in tables.values() for c in t.codes for v in t.cells[c].values()]
    totals = [v for t in tables.values()
              for v in [*t.row_totals.values(), *t.column_totals.values(), t.total]]
    return (sum(v == SUPPRESSED for v in cells), len(cells),
            sum(v == SUPPRESSED for v in totals), len(totals))


def _cmd_export(args: argparse.Namespace, out: TextIO) -> int:
    from peersupport import settings as settings_mod
    from peersupport.atomic import write_atomic
    from peersupport.crypto import stats_file
    from peersupport.services.statistics import ShareOverlapError

    share = _share_range(args)
    target = Path(args.out)
    if target.is_dir():
        raise CliError(f"{_clean(args.out)} is a folder; give a file name such as "
                       "statistics.psstats", EXIT_USAGE)
    if not target.parent.is_dir():
        raise CliError(f"no folder {_clean(str(target.parent))} to write the statistics in",
                       EXIT_USAGE)
    k = args.k
    if k is None:  # the program's policy, as set in Preferences
        k = settings_mod.load(paths.DataDir(paths.resolve(args.data_dir)).settings).stats_k
    with _unlocked(args) as vault:
        try:
            data = vault.statistics().export(share, k)
        except ShareOverlapError as exc:  # differencing two files would give counts away
            raise CliError(_clean(str(exc)), EXIT_USAGE) from None
    written = stats_file.read(data)  # what the program will read, checked before it is saved
    write_atomic(target, [data])  # a private temporary file (mode 0600) renamed into place
    hidden_cells, cells, hidden_totals, totals = _suppressed(written.tables)
    out.write(f"Statistics written to {_clean(str(target))} (readable by you only)\n")
    out.write(f"Signed as: {written.pseudonym}\n")
    out.write(f"Key fingerprint: {written.fingerprint}\n")
    out.write(f"Periods: {_describe(share)}\n")
    out.write(f"Suppression: k = {written.k}: counts from 1 to {written.k - 1} are never "
              f"shared; {hidden_cells:,} of {cells:,} cells and {hidden_totals:,} of "
              f"{totals:,} totals suppressed\n")
    out.write("Give your program the file; they can check it came from you by the key "
              "fingerprint.\n")
    return EXIT_OK


HANDLERS: dict[str, Callable[[argparse.Namespace, TextIO], int]] = {
    "stats show": _cmd_show,
    "stats export": _cmd_export,
}
