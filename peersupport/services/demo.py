"""``peersupport demo``: fill a vault with realistic, obviously fictional check-ins.

Sealing is the same as for a check-in saved from the form (the repository's RowSealer, the
same associated data); only the insert differs: batches of rows go to the database in one
executemany INSERT each, inside one transaction, so an interrupted run leaves nothing, and each
month's sealed index is written once at the end of that transaction.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import islice
from typing import TYPE_CHECKING

from peersupport.domain import demo_data
from peersupport.domain.checkin import CheckIn, validate
from peersupport.domain.followup import DONE, Event, Plan, new_plan
from peersupport.domain.stats import LATE, ON_TIME, StatRecord
from peersupport.services.checkins import ValidationError
from peersupport.services.followups import FollowupPolicy, agenda_entries
from peersupport.services.statistics import record_for
from peersupport.store.checkins import CheckinRepository
from peersupport.store.followup_agenda import AgendaStore
from peersupport.store.followup_plans import PlanRepository
from peersupport.store.officers import OfficerRepository
from peersupport.store.stat_records import StatRepository

if TYPE_CHECKING:
    from peersupport.services.vault import UnlockedVault

BATCH = 2000
MAX_COUNT = 1_000_000


@dataclass(frozen=True)
class DemoResult:
    officers: int
    checkins: int


def _next_number(aliases: list[str]) -> int:
    """Number new demo officers after the ones already in the vault."""
    highest = 0
    prefix = demo_data.ALIAS_PREFIX + " "
    for alias in aliases:
        if alias.startswith(prefix) and alias[len(prefix):].isdigit():
            highest = max(highest, int(alias[len(prefix):]))
    return highest + 1


def fill(
    vault: UnlockedVault,
    count: int,
    *,
    seed: int | None = None,
    now: datetime | None = None,
    officers: int | None = None,
    notes_chars: int | None = None,
    batch: int = BATCH,
    progress: Callable[[int], None] | None = None,
) -> DemoResult:
    """Add ``count`` fictional check-ins (and their fictional officers) in one transaction.

    ``notes_chars`` makes every note at least that long (benchmarks use about 1 KiB);
    ``progress`` is called with the number of check-ins prepared so far.
    """
    if not 0 <= count <= MAX_COUNT:
        raise ValueError(f"count must be between 0 and {MAX_COUNT:,}")
    if batch < 1:
        raise ValueError("batch must be at least 1")
    rng = random.Random(seed)
    now = now or datetime.now().astimezone()
    existing = vault.list_officers()
    start = _next_number([o.alias for o in existing.officers])
    people = demo_data.demo_officers(
        rng, officers if officers is not None else demo_data.officers_for(count), start
    )
    generated = demo_data.demo_checkins(rng, people, count, now, notes_chars)
    policy = vault.followup_policy
    done = 0
    plans: list[Plan] = []
    with vault.transaction() as session:
        plan_repo = PlanRepository(session, vault.sealer)
        officer_repo = OfficerRepository(session, vault.sealer)
        for officer in people:
            officer_repo.add(officer)
        session.flush()
        checkins = CheckinRepository(session, vault.sealer)
        stats = StatRepository(session, vault.sealer)
        with checkins.deferred_month_indexes():  # each month's sealed index written once
            while chunk := list(islice(generated, batch)):
                for checkin in chunk:
                    errors = validate(checkin)
                    if errors:  # a bug in the generator, never the user's doing
                        raise ValidationError(errors)
                done += checkins.insert_many(chunk)
                stats.insert_many([(c.id, _demo_stat(rng, c)) for c in chunk])
                plans.extend(_demo_plans(rng, chunk, plan_repo, policy, now))
                if progress is not None:
                    progress(done)
        for plan in plans:
            plan_repo.put(plan)
        agenda_store = AgendaStore(session, vault.sealer)
        agenda = agenda_store.load()
        if agenda is not None or plans:
            from peersupport.store.followup_agenda import Agenda

            base = agenda if agenda is not None else Agenda.empty()
            agenda_store.save(base.replaced(
                [p.id for p in plans], [e for p in plans for e in agenda_entries(p)]))
    return DemoResult(officers=len(people), checkins=done)


def _demo_stat(rng: random.Random, checkin: CheckIn) -> StatRecord:
    """The check-in's statistics record; a follow-up contact is on time most of the time."""
    followup = ""
    if checkin.contact_type == "follow_up":
        followup = ON_TIME if rng.random() < 0.85 else LATE
    return record_for(checkin, followup)


def _demo_plans(
    rng: random.Random, chunk: list[CheckIn], repo: PlanRepository, policy: FollowupPolicy,
    now: datetime,
) -> list[Plan]:
    """Follow-up plans for the demo check-ins that want one. Steps more than three days
    overdue are marked done (a supporter keeps up), so the board looks like a real one."""
    out = []
    horizon = now - timedelta(days=3)
    for checkin in chunk:
        if not checkin.follow_up or checkin.officer_id is None:
            continue
        plan = new_plan(
            repo.plan_id(checkin.id, checkin.officer_id), checkin.id, checkin.officer_id,
            checkin.incident_category, checkin.occurred_at, policy.zone,
            policy.templates.get(checkin.incident_category, ()), checkin.occurred_at,
        )
        for step in plan.schedule():
            if step.due < horizon and rng.random() < 0.995:
                plan.events.append(Event(DONE, step.due + timedelta(hours=rng.randint(0, 20)),
                                         step_id=step.id))
        out.append(plan)
    return out
