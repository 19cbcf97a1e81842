"""The packed agenda: incremental changes give exactly what a rebuild from entries gives."""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from peersupport.store.followup_agenda import Agenda, AgendaEntry

LABELS = ["24 hours", "72 hours", "7 days", "Court date", "Family or colleague support: 7 days"]


def entry(rng: random.Random, plan: int, step: int) -> AgendaEntry:
    return AgendaEntry(
        due=rng.randrange(1_700_000_000, 1_800_000_000), plan_id=f"plan-{plan}",
        officer_id=f"officer-{plan % 7}", step_index=step, is_milestone=step >= 0x8000,
        label=rng.choice(LABELS),
    )


def as_set(agenda: Agenda) -> set[tuple[int, str, str, int, bool, str]]:
    return {(e.due, e.plan_id, e.officer_id, e.step_index, e.is_milestone, e.label)
            for e in agenda.entries()}


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 10_000), plans=st.integers(0, 40), changes=st.integers(0, 8))
def test_replacing_plans_matches_a_rebuild_and_stays_in_due_order(
    seed: int, plans: int, changes: int
) -> None:
    rng = random.Random(seed)
    entries = [entry(rng, p, s) for p in range(plans) for s in range(rng.randrange(0, 4))]
    agenda = Agenda.from_entries(entries)
    for _ in range(changes):
        touched = {f"plan-{rng.randrange(0, plans + 3)}" for _ in range(rng.randrange(1, 3))}
        new = [entry(rng, int(p.split("-")[1]), s) for p in touched
               for s in range(rng.randrange(0, 3))]
        entries = [e for e in entries if e.plan_id not in touched] + new
        agenda = Agenda.unpack(agenda.replaced(touched, new).pack())
        assert as_set(agenda) == as_set(Agenda.from_entries(entries))
        assert list(agenda.dues) == sorted(agenda.dues)
        assert len(agenda) == len(entries)


def test_plans_of_an_officer_are_found_only_at_the_officer_field() -> None:
    rng = random.Random(1)
    # an officer id equal to another row's plan id must not be taken for a match
    entries = [
        AgendaEntry(1_800_000_000, "same-id", "officer-a", 0, False, "24 hours"),
        AgendaEntry(1_800_000_100, "plan-b", "same-id", 1, False, "72 hours"),
        entry(rng, 9, 0),
    ]
    agenda = Agenda.from_entries(entries)
    assert agenda.plan_ids_of(["same-id"]) == {"plan-b"}
    assert agenda.plan_ids_of(["officer-a"]) == {"same-id"}
    assert agenda.plan_ids_of(["nobody"]) == set()
