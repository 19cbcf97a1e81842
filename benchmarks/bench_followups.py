"""Follow-ups panel speed budget (issue 4): the panel's data at 300,000 plan steps against a
tenth of that, measured in one run.

Two vaults: 100,000 check-ins with 50,000 follow-up plans of 6 steps (300,000 steps), and a
tenth (10,000 check-ins, 5,000 plans, 30,000 steps). Check-ins and plans are spread evenly
over the last ten years; a step due more than three days ago has been dealt with the way a
supporter does (done, covered by a contact, skipped, the plan stopped), except for about 2%
left overdue; steps due later are pending. The agenda is built once, as after an upgrade.

Measured after a fresh unlock (lock and unlock before every repetition, KDF excluded: a fast
local profile), median of the repetitions, the vaults interleaved:

(a) ``vault.followups().board()`` plus decoding the first screenful (50 rows of each group):
    budget 200 ms at full size, and full / tenth at most 2.0.
(b) when ``peersupport.ui.followups_page`` is there: constructing the page, showing it, and
    processing events until its board has arrived and painted
    (offscreen Qt): the same budgets as (a), since this is the panel the supporter sees.
(c) for information: what the command line and the .ics export cost (they open the plans
    the agenda names: those with a pending step).

Run:  .venv/bin/python benchmarks/bench_followups.py [--quick] [--runs 5]
Exit code 0 when every budget is met, 1 otherwise.
"""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # before anything imports Qt

import argparse
import gc
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import islice
from pathlib import Path
from typing import Any

# Works from a source checkout too (without `pip install -e .`).
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from peersupport.crypto.kdf import KdfProfile
from peersupport.domain import demo_data
from peersupport.domain.followup import (
    DONE,
    PENDING,
    Event,
    Plan,
    new_plan,
)
from peersupport.domain.followup_templates import CRITICAL_STEPS, DEFAULT_TEMPLATES
from peersupport.paths import ensure, private_umask
from peersupport.services.followups import GROUPS
from peersupport.services.vault import UnlockedVault, VaultService, new_recovery_key
from peersupport.store.checkins import CheckinRepository
from peersupport.store.followup_plans import PlanRepository
from peersupport.store.officers import OfficerRepository

PASSPHRASE = "benchmark harbor lantern quarry velvet"
BENCH_PROFILE = KdfProfile(  # the KDF is excluded: a fast local profile, never the shipped one
    name="benchmark-fast", memory_kib=1024, lanes=1, min_iterations=1,
    floor_memory_kib=1024, floor_iterations=1, floor_lanes=1, target_seconds=None,
)
YEARS = 10
SCREENFUL = 50  # rows decoded per group: more than a window shows
BATCH = 2000
BUDGET_MS = 200
BUDGET_RATIO = 2.0
# categories whose default template is the six-step one (24h, 72h, 7d, 30d, 90d, 1y)
CRITICAL = sorted(c for c, steps in DEFAULT_TEMPLATES.items() if steps == CRITICAL_STEPS)


def ms(seconds: float) -> str:
    return f"{seconds * 1000:8.1f} ms"


# -- seeding -----------------------------------------------------------------------------------
@dataclass
class Seeded:
    service: VaultService
    checkins: int
    plans: int
    officers: int
    states: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0
    agenda_seconds: float = 0.0
    size_mb: float = 0.0

    @property
    def steps(self) -> int:
        return sum(self.states.values())


def _history(plan: Plan, rng: random.Random, horizon: datetime) -> None:
    """What a supporter did with the steps due before ``horizon``: about 50% done, 30%
    covered by a contact (which also moves the next step), 15% skipped, 2% of the time the
    plan is stopped there, the rest left pending (overdue)."""
    schedule = plan.schedule()
    decided: set[str] = set()
    while True:
        step = next((s for s in schedule if s.is_pending and s.due < horizon
                     and s.id not in decided), None)
        if step is None:
            return
        decided.add(step.id)
        at = step.due + timedelta(minutes=rng.randrange(48 * 60))
        r = rng.random()
        if r < 0.50:
            plan.events.append(Event(DONE, at, step_id=step.id, checkin_id=str(uuid.uuid4())))
        elif r < 0.80:
            plan.events.append(Event("contact", at, checkin_id=str(uuid.uuid4())))
            schedule = plan.schedule()  # a contact covers what is due and moves the next step
        elif r < 0.95:
            plan.events.append(Event("skip", at, step_id=step.id))
        elif r < 0.97:
            plan.events.append(Event("stop", at, reason="The officer declined further contact."))
            return


def seed(root: Path, checkins: int, plans: int, now: datetime, seed_value: int) -> Seeded:
    started = time.perf_counter()
    service = VaultService(ensure(root), BENCH_PROFILE)
    key, _ = new_recovery_key()
    vault = service.create(PASSPHRASE, key)
    key.wipe()
    rng = random.Random(seed_value)
    people = demo_data.demo_officers(rng, demo_data.officers_for(checkins))
    result = Seeded(service, checkins, plans, len(people))
    every = max(1, checkins // plans)
    span = YEARS * 365 * 24 * 60  # minutes
    horizon = now - timedelta(days=3)
    zone = vault.followup_policy.zone
    generated = demo_data.demo_checkins(rng, people, checkins, now)
    made = 0
    try:
        with vault.transaction() as session:
            officers = OfficerRepository(session, vault.sealer)
            for officer in people:
                officers.add(officer)
            session.flush()
            repo = CheckinRepository(session, vault.sealer)
            plan_repo = PlanRepository(session, vault.sealer)
            index = 0
            with repo.deferred_month_indexes():
                while chunk := list(islice(generated, BATCH)):
                    wanting = []
                    for checkin in chunk:  # spread over ten years; every n-th wants follow-up
                        when = now - timedelta(minutes=rng.randrange(span))
                        checkin.occurred_at = when.replace(second=0, microsecond=0)
                        checkin.follow_up = index % every == 0 and made < plans
                        if checkin.follow_up:
                            checkin.incident_category = rng.choice(CRITICAL)
                            wanting.append(checkin)
                            made += 1
                        index += 1
                    repo.insert_many(chunk)
                    for checkin in wanting:
                        assert checkin.officer_id is not None
                        plan = new_plan(
                            plan_repo.plan_id(checkin.id, checkin.officer_id), checkin.id,
                            checkin.officer_id, checkin.incident_category, checkin.occurred_at,
                            zone, CRITICAL_STEPS, checkin.occurred_at,
                        )
                        _history(plan, rng, horizon)
                        result.states.update(s.state for s in plan.schedule())
                        plan_repo.put(plan)
        result.plans = made
        agenda_started = time.perf_counter()
        damaged = vault.followups().rebuild_agenda()
        result.agenda_seconds = time.perf_counter() - agenda_started
        assert damaged == 0
    finally:
        vault.lock()
    result.seconds = time.perf_counter() - started
    result.size_mb = service.data_dir.database.stat().st_size / 1e6
    return result


# -- (a) the board and its first screenful -----------------------------------------------------
@dataclass
class BoardRun:
    unlock: float
    board: float
    pending: int
    counts: dict[str, int]


def board_once(service: VaultService) -> BoardRun:
    gc.collect()
    started = time.perf_counter()
    vault = service.unlock(PASSPHRASE)
    unlocked = time.perf_counter()
    board = vault.followups().board()
    rows = [board.item(g, r) for g in GROUPS for r in range(min(SCREENFUL, board.count(g)))]
    done = time.perf_counter()
    counts = {g: board.count(g) for g in GROUPS}
    vault.lock()
    assert len(rows) == sum(min(SCREENFUL, n) for n in counts.values())
    return BoardRun(unlocked - started, done - unlocked, len(board), counts)


def interleaved(fn: Any, services: dict[str, VaultService], runs: int) -> dict[str, list[Any]]:
    for service in services.values():  # warm-up: imports, OS file cache
        fn(service)
    results: dict[str, list[Any]] = {name: [] for name in services}
    for _ in range(runs):
        for name, service in services.items():
            results[name].append(fn(service))
    return results


# -- (b) the follow-ups page ---------------------------------------------------------------------
def page_available() -> str | None:
    """None when the page can be measured, else why not."""
    if not (Path(__file__).resolve().parents[1] / "peersupport/ui/followups_page.py").exists():
        return "peersupport/ui/followups_page.py does not exist"
    try:
        from PySide6.QtWidgets import QApplication

        import peersupport.ui  # noqa: F401  (its Qt for Python guard)
        from peersupport.ui.followups_page import FollowupsPage  # noqa: F401
    except Exception as exc:
        return f"cannot import the page ({type(exc).__name__}: {exc})"
    from PySide6.QtCore import qInstallMessageHandler

    def quiet(_mode: Any, _context: Any, message: str) -> None:
        if "propagateSizeHints" not in message:  # the offscreen platform's own notice
            sys.stderr.write(message + "\n")

    qInstallMessageHandler(quiet)
    if QApplication.instance() is None:
        QApplication(["bench_followups"])
    return None


@dataclass
class PageRun:
    constructed: float  # constructor returned (the load is on its way, off the UI thread)
    arrived: float  # the board arrived and the rows were painted
    badge: int


def page_once(service: VaultService) -> PageRun:
    from PySide6.QtCore import QEventLoop
    from PySide6.QtWidgets import QApplication

    from peersupport.ui.followups_page import FollowupsPage
    from peersupport.ui.tasks import wait_for_tasks

    app = QApplication.instance()
    assert app is not None
    vault = service.unlock(PASSPHRASE)
    gc.collect()
    arrived: list[tuple[float, int]] = []
    started = time.perf_counter()
    page = FollowupsPage(vault.checkins())
    constructed = time.perf_counter()
    page.badge_changed.connect(lambda n: arrived.append((time.perf_counter(), n)))
    page.resize(1100, 720)
    page.show()
    deadline = started + 60
    while not arrived and time.perf_counter() < deadline:
        app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 5)
    if not arrived:
        raise RuntimeError("the page did not load within 60 s")
    app.processEvents()  # the paint that follows the rows
    end = time.perf_counter()
    page.clear()
    page.close()
    page.deleteLater()
    app.processEvents()
    wait_for_tasks()
    vault.lock()
    return PageRun(constructed - started, end - started, arrived[0][1])


# -- (c) command line and export ------------------------------------------------------------------
def cli_costs(service: VaultService) -> dict[str, float]:
    from peersupport.cli_followups import _selected
    from peersupport.services.calendar_export import export_ics

    vault: UnlockedVault = service.unlock(PASSPHRASE)
    try:
        followups = vault.followups()
        started = time.perf_counter()
        plans, damaged = followups.open_plans()
        opened = time.perf_counter()
        now = followups.policy.now()
        pending = _selected(plans, now, due=False, every=False)
        listed = time.perf_counter()
        data = export_ics(plans, now, 30, 15)
        exported = time.perf_counter()
    finally:
        vault.lock()
    assert damaged == 0
    return {"open": opened - started, "list": listed - opened, "export": exported - listed,
            "pending": len(pending), "events": data.count(b"BEGIN:VEVENT"),
            "bytes": len(data)}


# -- main ------------------------------------------------------------------------------------------
def describe(s: Seeded, label: str) -> None:
    states = ", ".join(f"{name} {count:,}" for name, count in s.states.most_common())
    pending = s.states[PENDING]
    print(f"  {label}: {s.checkins:,} check-ins, {s.officers:,} officers, {s.plans:,} plans, "
          f"{s.steps:,} steps; made in {s.seconds:.1f} s (agenda rebuilt from every plan in "
          f"{s.agenda_seconds:.1f} s); database {s.size_mb:.0f} MB")
    print(f"    steps: {states}; pending {pending:,} ({pending / max(1, s.steps):.1%})")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="a tenth of the size (10,000 check-ins and 30,000 steps, against "
                        "1,000 and 3,000): a quick check, not the budget")
    parser.add_argument("--runs", type=int, default=5, help="repetitions per vault")
    args = parser.parse_args(argv)
    private_umask()
    full = (10_000, 5_000) if args.quick else (100_000, 50_000)
    tenth = (full[0] // 10, full[1] // 10)
    print("peersupport benchmark: follow-ups panel")
    print(f"  python {sys.version.split()[0]}; {full[1] * 6:,} plan steps against "
          f"{tenth[1] * 6:,}; KDF excluded; median of {args.runs}"
          + ("; --quick: a tenth of the real size" if args.quick else ""))
    verdicts: list[tuple[str, bool]] = []
    with tempfile.TemporaryDirectory(prefix="peersupport-bench-") as tmp:
        now = datetime.now().astimezone()
        large = seed(Path(tmp) / "large", full[0], full[1], now, seed_value=1)
        small = seed(Path(tmp) / "small", tenth[0], tenth[1], now, seed_value=2)
        describe(large, "full ")
        describe(small, "tenth")
        services = {"tenth": small.service, "full": large.service}

        # (a)
        boards = interleaved(board_once, services, args.runs)
        medians = {name: statistics.median(r.board for r in runs)
                   for name, runs in boards.items()}
        print(f"\n(a) board() plus the first {SCREENFUL} rows of each group, after a fresh "
              "unlock")
        for name, seeded in (("tenth", small), ("full", large)):
            run = boards[name][-1]
            groups = ", ".join(f"{GROUPS[g].lower()} {n:,}" for g, n in run.counts.items())
            unlock = statistics.median(r.unlock for r in boards[name])
            print(f"  {seeded.steps:>7,} steps ({run.pending:,} pending):{ms(medians[name])}  "
                  f"(unlock {unlock * 1000:.1f} ms; {groups})")
        ratio = medians["full"] / medians["tenth"]
        print(f"  full: {medians['full'] * 1000:.1f} ms (budget {BUDGET_MS} ms); ratio "
              f"full/tenth: {ratio:.2f} (budget {BUDGET_RATIO})")
        verdicts.append((f"(a) board at {large.steps:,} steps within {BUDGET_MS} ms",
                         medians["full"] <= BUDGET_MS / 1000))
        verdicts.append(("(a) ratio full/tenth", ratio <= BUDGET_RATIO))

        # (b)
        reason = page_available()
        print("\n(b) the follow-ups page: construct, show, process events until its rows "
              "have arrived and painted")
        if reason is None:
            pages = interleaved(page_once, services, args.runs)
            page_medians = {}
            for name, seeded in (("tenth", small), ("full", large)):
                runs = pages[name]
                page_medians[name] = statistics.median(r.arrived for r in runs)
                built = statistics.median(r.constructed for r in runs)
                print(f"  {seeded.steps:>7,} steps:{ms(page_medians[name])}  (constructor "
                      f"{built * 1000:.1f} ms; badge {runs[-1].badge:,}; no alias opened until a "
                      "row is selected)")
            page_ratio = page_medians["full"] / page_medians["tenth"]
            print(f"  full: {page_medians['full'] * 1000:.1f} ms (budget {BUDGET_MS} ms); "
                  f"ratio full/tenth: {page_ratio:.2f} (budget {BUDGET_RATIO})")
            verdicts.append((f"(b) page at {large.steps:,} steps within {BUDGET_MS} ms",
                             page_medians["full"] <= BUDGET_MS / 1000))
            verdicts.append(("(b) page ratio full/tenth", page_ratio <= BUDGET_RATIO))
        else:
            print(f"  skipped: {reason}")

        # (c)
        print("\n(c) for information: `followups` and export-ics open the plans with a pending "
              "step")
        for seeded in (small, large):
            c = cli_costs(seeded.service)
            print(f"  {seeded.plans:>6,} plans: open_plans() {c['open'] * 1000:.0f} ms, "
                  f"schedules for `followups` {c['list'] * 1000:.0f} ms "
                  f"({c['pending']:,} pending), export-ics --days 30 --alarm 15 "
                  f"{c['export'] * 1000:.0f} ms ({c['events']:,} events, "
                  f"{c['bytes'] / 1000:.0f} kB)")

    print()
    for name, ok in verdicts:
        print(f"{'PASS' if ok else 'FAIL'}: {name}")
    passed = all(ok for _, ok in verdicts)
    print(f"{'PASS' if passed else 'FAIL'}: {sum(ok for _, ok in verdicts)} of "
          f"{len(verdicts)} budgets met" + (" (--quick: not the real size)" if args.quick
                                            else ""))
    return 0 if passed else 1


if __name__ == "__main__":
    raise SystemExit(main())
