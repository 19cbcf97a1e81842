"""Command-line retention and legal holds.

- ``purge [--dry-run]`` applies the retention policy set in Preferences (notes and officer
  details that expire; see ``services.retention``) and prints what was (or, with
  ``--dry-run``, would be) removed: counts and record ids, never content. With the policy off
  it says so and changes nothing.
- ``hold officer ID [--off]`` and ``hold checkin ID [--off]`` put a record under a legal hold
  (or lift it): no deletion or expiry touches it, or any check-in of a held officer.
- ``hold list [--json]`` prints the held ids.

Same contract as the rest of the command line (see ``cli``): exit 0 on success, 2 for bad
usage or an unknown id, 3 for a wrong passphrase, 4 when a record fails authentication (a
purge prints what it did first; the damaged records are left alone).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TextIO

from peersupport import paths
from peersupport.cli import EXIT_OK, EXIT_TAMPER, EXIT_USAGE, CliError
from peersupport.cli_records import _plural, _short, _unlocked, _write_json

if TYPE_CHECKING:
    from peersupport.services.retention import PurgePlan


def add_commands(sub: Any, parser_class: type[argparse.ArgumentParser],
                 passphrase_option: Callable[[argparse.ArgumentParser], None]) -> None:
    """``purge`` and ``hold`` (registered by ``cli.build_parser``)."""
    purge = sub.add_parser(
        "purge", help="apply the retention policy: expire old notes and inactive officers' "
        "details (except under a legal hold)",
        description="Apply the retention policy chosen in Preferences: empty the notes of "
        "check-ins older than its limit and the identifying details of officers with no "
        "activity for longer than its limit, except records under a legal hold. Statistics "
        "counts stay. Prints counts and record ids, never content.",
    )
    purge.add_argument("--dry-run", action="store_true",
                       help="only print what would be removed; change nothing")
    passphrase_option(purge)
    hold = sub.add_parser("hold", help="legal holds: hold an officer or a check-in, or list "
                          "the holds")
    actions = hold.add_subparsers(dest="action", metavar="ACTION", parser_class=parser_class,
                                  required=True)
    for kind in ("officer", "checkin"):
        one = actions.add_parser(
            kind, help=f"put a {'check-in' if kind == 'checkin' else kind} under a legal hold "
            "(or lift it with --off)")
        one.add_argument("id", metavar="ID")
        one.add_argument("--off", action="store_true", help="lift the hold")
        passphrase_option(one)
    listing = actions.add_parser("list", help="every held officer and check-in id")
    listing.add_argument("--json", action="store_true", help="print JSON")
    passphrase_option(listing)


def _write_plan(out: TextIO, plan: PurgePlan, dry_run: bool) -> None:
    verb = "would expire" if dry_run else "expired"
    out.write(f"Notes {verb}: {_plural(len(plan.notes_checkin_ids), 'check-in')}\n")
    for checkin_id in plan.notes_checkin_ids:
        out.write(f"  {checkin_id}\n")
    out.write(f"Officer details {verb}: {_plural(len(plan.officer_ids), 'officer')}\n")
    for officer_id in plan.officer_ids:
        out.write(f"  {officer_id}\n")
    out.write(f"Kept under a legal hold: {_plural(plan.held_checkins, 'check-in')}, "
              f"{_plural(plan.held_officers, 'officer')}\n")


def _days(n: int) -> str:
    return f"after {n} days" if n else "never"


def _cmd_purge(args: argparse.Namespace, out: TextIO) -> int:
    from peersupport import settings as settings_mod
    from peersupport.services.retention import RetentionPolicy, RetentionService

    data_dir = paths.DataDir(paths.resolve(args.data_dir))
    policy = RetentionPolicy.from_settings(settings_mod.load(data_dir.settings))
    with _unlocked(args) as vault:
        if not policy.is_on:
            out.write("Retention is off (set it in Preferences): nothing to purge\n")
            return EXIT_OK
        service = RetentionService(vault)
        plan = service.preview(policy) if args.dry_run else service.purge(policy)
    out.write(f"Policy: notes expire {_days(policy.notes_expire_days)}, officer details "
              f"expire {_days(policy.officer_details_expire_days)}\n")
    _write_plan(out, plan, args.dry_run)
    if plan.damaged_ids:
        raise CliError(f"{_plural(len(plan.damaged_ids), 'record')} failed authentication and "
                       "were left alone; run verify", EXIT_TAMPER)
    return EXIT_OK


def _hold(args: argparse.Namespace, out: TextIO, kind: str) -> int:
    from peersupport.services.retention import RetentionService
    from peersupport.store.officers import RecordNotFoundError

    on = not args.off
    with _unlocked(args) as vault:
        service = RetentionService(vault)
        try:
            if kind == "officer":
                service.hold_officer(args.id, on)
            else:
                service.hold_checkin(args.id, on)
        except RecordNotFoundError:
            label = "check-in" if kind == "checkin" else kind
            raise CliError(f"no {label} with id {_short(args.id)}", EXIT_USAGE) from None
    state = "under a legal hold" if on else "no longer under a legal hold"
    out.write(f"{kind} {_short(args.id)} is {state}\n")
    return EXIT_OK


def _cmd_hold_officer(args: argparse.Namespace, out: TextIO) -> int:
    return _hold(args, out, "officer")


def _cmd_hold_checkin(args: argparse.Namespace, out: TextIO) -> int:
    return _hold(args, out, "checkin")


def _cmd_hold_list(args: argparse.Namespace, out: TextIO) -> int:
    from peersupport.services.retention import RetentionService

    with _unlocked(args) as vault:
        holds = RetentionService(vault).holds()
    if args.json:
        _write_json(out, {"officers": sorted(holds.officers),
                          "checkins": sorted(holds.checkins)})
        return EXIT_OK
    for officer_id in sorted(holds.officers):
        out.write(f"officer  {officer_id}\n")
    for checkin_id in sorted(holds.checkins):
        out.write(f"checkin  {checkin_id}\n")
    if not holds:
        out.write("No legal holds\n")
    return EXIT_OK


HANDLERS: dict[str, Callable[[argparse.Namespace, TextIO], int]] = {
    "purge": _cmd_purge,
    "hold officer": _cmd_hold_officer,
    "hold checkin": _cmd_hold_checkin,
    "hold list": _cmd_hold_list,
}
