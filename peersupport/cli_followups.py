"""Command-line follow-ups: ``followups [--due | --all] [--json]`` lists steps, and
``followups export-ics OUT.ics [--days N] [--alarm MINUTES]`` writes a calendar file.

A step is shown with its step, plan and check-in ids, never with an officer's alias or name:
``checkin show ID`` tells who it is, when the supporter needs to know. Same contract as the
rest of the command line (see ``cli``): exit 2 for bad input, 3 for a wrong passphrase, 4 when
a plan fails authentication (the readable ones are printed, or exported, first; the damaged
ones never).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from peersupport.cli import EXIT_OK, EXIT_TAMPER, EXIT_USAGE, CliError
from peersupport.cli_records import _clean, _plural, _unlocked, _write_json

if TYPE_CHECKING:
    from peersupport.domain.followup import Plan, Step


def utc_text(when: datetime) -> str:
    """ISO 8601 in UTC, to the second: ``2025-03-15T21:30:00Z``."""
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def step_to_json(plan: Plan, step: Step) -> dict[str, Any]:
    from peersupport.domain.followup import AUDIENCE_FAMILY
    from peersupport.services.followups import FAMILY_PREFIX

    label = FAMILY_PREFIX + step.label if step.audience == AUDIENCE_FAMILY else step.label
    return {
        "step_id": step.id,
        "plan_id": plan.id,
        "checkin_id": plan.checkin_id,
        "kind": step.kind,
        "label": label,
        "due": utc_text(step.due),
        "state": step.state,
    }


def _damaged(count: int, what: str) -> CliError:
    return CliError(
        f"{_plural(count, 'follow-up plan')} failed authentication and "
        f"{'was' if count == 1 else 'were'} not {what} (run verify)",
        EXIT_TAMPER,
    )


def _selected(plans: list[Plan], now: datetime, *, due: bool, every: bool) -> list[dict[str, Any]]:
    rows = []
    for plan in plans:
        for order, step in enumerate(plan.schedule()):
            if every or (step.is_pending and (not due or step.due <= now)):
                rows.append((step.due, plan.id, order, step_to_json(plan, step)))
    rows.sort(key=lambda r: r[:3])
    return [r[3] for r in rows]


def _cmd_followups(args: argparse.Namespace, out: TextIO) -> int:
    with _unlocked(args) as vault:
        service = vault.followups()
        plans, damaged = service.all_plans() if args.all else service.open_plans()
        now = service.policy.now()
    rows = _selected(plans, now, due=args.due, every=args.all)
    if args.json:
        _write_json(out, rows)
    else:
        for r in rows:
            out.write(
                f"{r['due']}  {r['state']:<9}  {r['kind']:<9}  {r['plan_id']}  "
                f"{r['step_id']:<14}  {r['checkin_id']}  {_clean(r['label'])}\n"
            )
    if damaged:
        raise _damaged(damaged, "shown")
    return EXIT_OK


def _cmd_export_ics(args: argparse.Namespace, out: TextIO) -> int:
    from peersupport.services.calendar_export import calendar_steps, ics_for, write_ics

    if args.due or args.all or args.json:
        raise CliError("--due, --all and --json list steps; export-ics takes --days and "
                       "--alarm", EXIT_USAGE)
    target = Path(args.out)
    if target.is_dir():
        raise CliError(f"{_clean(args.out)} is a folder; give a file name such as "
                       "followups.ics", EXIT_USAGE)
    if not target.parent.is_dir():
        raise CliError(f"no folder {_clean(str(target.parent))} to write the calendar in",
                       EXIT_USAGE)
    with _unlocked(args) as vault:
        service = vault.followups()
        plans, damaged = service.open_plans()
        now = service.policy.now()
    steps = calendar_steps(plans, now, args.days)
    write_ics(target, ics_for(steps, now, args.alarm))
    overdue = sum(1 for _, s in steps if s.due <= now)
    out.write(
        f"Wrote {_plural(len(steps), 'follow-up')} ({overdue} due now or overdue, the rest "
        f"within {_plural(args.days, 'day')}) to {_clean(str(target))}\n"
    )
    if damaged:
        raise _damaged(damaged, "exported")
    return EXIT_OK


HANDLERS: dict[str, Callable[[argparse.Namespace, TextIO], int]] = {
    "followups": _cmd_followups,
    "followups export-ics": _cmd_export_ics,
}
