"""Follow-up plans through the services, on a real vault with a fake clock: plans made,
moved and deleted with their check-ins, contacts, the board and its groups, step actions,
milestones, deceased officers, what lies on disk, and tampering."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from peersupport.crypto.errors import TamperError
from peersupport.domain.checkin import CheckIn
from peersupport.domain.followup import (
    AUDIENCE_FAMILY,
    COVERED,
    DECEASED_CANCEL,
    DECEASED_CONVERT,
    DONE,
    PENDING,
    SKIPPED,
    STOPPED,
    Plan,
    PlanError,
    Step,
)
from peersupport.domain.followup_templates import CRITICAL_STEPS, LIGHT_STEPS, parse_steps
from peersupport.domain.officer import Officer
from peersupport.services.checkins import CheckinService, RecordNotFoundError, ValidationError
from peersupport.services.followups import (
    FAMILY_PREFIX,
    GROUPS,
    FollowupBoard,
    FollowupPolicy,
    FollowupService,
)
from peersupport.services.vault import UnlockedVault
from peersupport.store.followup_agenda import epoch_seconds
from tests._support import raw_execute, raw_one, raw_query, scan, scan_bytes

CHICAGO = ZoneInfo("America/Chicago")
H = timedelta(hours=1)
D = timedelta(days=1)
# the fake "now": Tuesday 10 February 2026, 09:00 in Chicago (CST, UTC-6)
NOW = datetime(2026, 2, 10, 15, 0, tzinfo=UTC)


def chi(month: int, day: int, hour: int = 0, minute: int = 0, year: int = 2026) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=CHICAGO)


def utc(when: datetime) -> datetime:
    return when.astimezone(UTC)


class FakeClock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(NOW)


@pytest.fixture
def fu(vault: UnlockedVault, clock: FakeClock) -> FollowupService:
    vault.followup_policy = FollowupPolicy(zone="America/Chicago", clock=clock)
    return vault.followups()


@pytest.fixture
def checkins(vault: UnlockedVault, fu: FollowupService) -> CheckinService:
    return vault.checkins()


def make(officer: Officer | None, when: datetime, *, group: list[Officer] | None = None,
         **changes: Any) -> CheckIn:
    values: dict[str, Any] = {
        "occurred_at": when,
        "officer_id": officer.id if officer else None,
        "incident_category": "fatal_collision",
        "contact_type": "debriefing" if group else "in_person",
        "initiated_by": "peer_outreach",
        "recipient_class": "sworn",
        "duration_minutes": 30,
        "group_officer_ids": [o.id for o in group or []],
    }
    values.update(changes)
    return CheckIn(**values)


def plan_rows(vault: UnlockedVault) -> int:
    count = raw_one(vault.data_dir.database, "SELECT count(*) FROM followup_plan")
    assert isinstance(count, int)
    return count


def plans(fu: FollowupService) -> list[Plan]:
    found, damaged = fu.all_plans()
    assert damaged == 0
    return found


def only_plan(fu: FollowupService) -> Plan:
    found = plans(fu)
    assert len(found) == 1, found
    return found[0]


def steps(fu: FollowupService, plan_id: str) -> dict[str, Step]:
    return {s.id: s for s in fu.steps(plan_id)}


def items(board: FollowupBoard) -> dict[str, list[tuple[str, str, str, datetime]]]:
    """Each group's rows as (plan id, step id, label, due)."""
    return {
        g: [(i.plan_id, i.step_id, i.label, i.due)
            for i in (board.item(g, r) for r in range(board.count(g)))]
        for g in GROUPS
    }


def counts(board: FollowupBoard) -> dict[str, int]:
    return {g: board.count(g) for g in GROUPS}


def flipped(blob: object, at: int | None = None) -> bytes:
    assert isinstance(blob, bytes)
    data = bytearray(blob)
    data[len(data) // 2 if at is None else at] ^= 0x01
    return bytes(data)


# -- plans made from check-ins --------------------------------------------------------------------
def test_a_follow_up_check_in_makes_a_plan_per_officer(
    vault: UnlockedVault, fu: FollowupService, checkins: CheckinService
) -> None:
    lead, a, b = Officer(alias="Lead"), Officer(alias="A"), Officer(alias="B")
    incident = chi(2, 1, 12)
    c = make(lead, chi(2, 1, 18), group=[a, b], follow_up=True)
    checkins.save(c, [lead, a, b], incident_at=incident)
    found = plans(fu)
    assert sorted(p.officer_id for p in found) == sorted([lead.id, a.id, b.id])
    assert len({p.id for p in found}) == 3
    for p in found:
        assert (p.checkin_id, p.category, p.zone, p.steps) == (
            c.id, "fatal_collision", "America/Chicago", CRITICAL_STEPS)
        assert p.incident_at == incident
        assert p.created_at == NOW
        assert fu.steps(p.id)[0].due == utc(incident) + 24 * H  # timed from the incident
    assert plan_rows(vault) == 3
    assert len(fu.board()) == 18
    assert {p.id for p in fu.open_plans_of(a.id)} == {p.id for p in found if p.officer_id == a.id}


def test_a_plan_is_timed_from_the_check_in_without_an_incident_time(
    fu: FollowupService, checkins: CheckinService
) -> None:
    heron = Officer(alias="Heron")
    checkins.save(make(heron, chi(2, 9, 12), follow_up=True,
                       incident_category="cumulative_stress"), [heron])
    plan = only_plan(fu)
    assert plan.steps == LIGHT_STEPS
    assert [(s.label, s.due) for s in fu.steps(plan.id)] == [
        ("7 days", utc(chi(2, 16, 12))), ("30 days", utc(chi(3, 11, 12))),  # CDT by then
    ]


def test_no_follow_up_no_plan(vault: UnlockedVault, fu: FollowupService,
                              checkins: CheckinService) -> None:
    heron = Officer(alias="Heron")
    checkins.save(make(heron, chi(2, 9, 12)), [heron])
    assert plans(fu) == []
    assert plan_rows(vault) == 0
    assert len(fu.board()) == 0
    assert list(fu.anonymous_schedule()) == []


def test_the_incident_time_must_have_a_zone_and_come_first(
    vault: UnlockedVault, checkins: CheckinService
) -> None:
    heron = Officer(alias="Heron")
    for bad in (chi(2, 9, 13), datetime(2026, 2, 9, 11, 0)):
        with pytest.raises(ValidationError) as caught:
            checkins.save(make(heron, chi(2, 9, 12), follow_up=True), [heron], incident_at=bad)
        assert set(caught.value.errors) == {"incident_at"}
    assert plan_rows(vault) == 0
    assert checkins.count() == 0


def test_a_naive_check_in_time_with_an_incident_time_is_a_validation_error(
    checkins: CheckinService,
) -> None:
    heron = Officer(alias="Heron")
    c = make(heron, datetime(2026, 2, 9, 12, 0), follow_up=True)
    with pytest.raises(ValidationError) as caught:
        checkins.save(c, [heron], incident_at=chi(2, 9, 11))
    assert "occurred_at" in caught.value.errors


def test_24_hours_across_dst_is_24_real_hours_on_the_board(
    fu: FollowupService, checkins: CheckinService, clock: FakeClock
) -> None:
    heron = Officer(alias="Heron")
    # Chicago springs forward on Sunday 8 March 2026
    checkins.save(make(heron, chi(3, 7, 12), follow_up=True), [heron])
    clock.now = utc(chi(3, 8, 6))
    board = fu.board()
    first = board.item("today", 0)
    assert (first.label, first.due) == ("24 hours", utc(chi(3, 7, 12)) + 24 * H)
    assert first.due.astimezone(CHICAGO).hour == 13  # 13:00 CDT
    seven = [i for i in items(board)["this_week"] if i[2] == "7 days"]
    assert seven[0][3] == utc(chi(3, 14, 12))  # 12:00 CDT: wall-clock time kept
    # the agenda written at save agrees with the stored plan
    before = items(fu.board())
    assert fu.rebuild_agenda() == 0
    assert items(fu.board()) == before


def test_unticking_follow_up_on_edit_deletes_the_plans(
    vault: UnlockedVault, fu: FollowupService, checkins: CheckinService
) -> None:
    heron, owl = Officer(alias="Heron"), Officer(alias="Owl")
    c = make(heron, chi(2, 9, 12), group=[owl], follow_up=True)
    checkins.save(c, [heron, owl])
    assert plan_rows(vault) == 2
    c.follow_up = False
    checkins.save(c)
    assert plan_rows(vault) == 0
    assert len(fu.board()) == 0
    c.follow_up = True  # ticked again: fresh plans
    checkins.save(c)
    assert plan_rows(vault) == 2


def test_removing_an_officer_from_the_check_in_deletes_only_their_plan(
    vault: UnlockedVault, fu: FollowupService, checkins: CheckinService
) -> None:
    heron, owl, lark = Officer(alias="Heron"), Officer(alias="Owl"), Officer(alias="Lark")
    c = make(heron, chi(2, 9, 12), group=[owl, lark], follow_up=True)
    checkins.save(c, [heron, owl, lark])
    kept = {p.officer_id: p.id for p in plans(fu)}
    c.group_officer_ids = [lark.id]
    checkins.save(c)
    assert {p.officer_id: p.id for p in plans(fu)} == {heron.id: kept[heron.id],
                                                        lark.id: kept[lark.id]}
    assert plan_rows(vault) == 2
    assert {i.officer_id for g in GROUPS for i in (
        fu.board().item(g, r) for r in range(fu.board().count(g)))} == {heron.id, lark.id}
    with pytest.raises(RecordNotFoundError):
        fu.plan(kept[owl.id])


def test_editing_with_a_new_incident_time_moves_the_plan(
    fu: FollowupService, checkins: CheckinService
) -> None:
    heron = Officer(alias="Heron")
    c = make(heron, chi(2, 9, 12), follow_up=True)
    checkins.save(c, [heron])
    plan_id = only_plan(fu).id
    c.notes = "edited"
    checkins.save(c, incident_at=chi(2, 8, 22))
    assert only_plan(fu).id == plan_id
    assert fu.steps(plan_id)[0].due == utc(chi(2, 9, 22))


def test_deleting_the_check_in_deletes_its_plans(
    vault: UnlockedVault, fu: FollowupService, checkins: CheckinService
) -> None:
    heron, owl = Officer(alias="Heron"), Officer(alias="Owl")
    c = make(heron, chi(2, 9, 12), group=[owl], follow_up=True)
    other = make(owl, chi(2, 1, 12), follow_up=True)
    checkins.save(c, [heron, owl])
    checkins.save(other)
    assert plan_rows(vault) == 3
    checkins.delete(c.id)
    assert raw_query(vault.data_dir.database, "SELECT id FROM followup_plan") == [
        (only_plan(fu).id,)]
    assert only_plan(fu).checkin_id == other.id
    assert {fu.board().item(g, 0).plan_id for g in GROUPS if fu.board().count(g)} == {
        only_plan(fu).id}


# -- contacts --------------------------------------------------------------------------------------
@pytest.fixture
def heron_plan(checkins: CheckinService, fu: FollowupService) -> tuple[Officer, str]:
    heron = Officer(alias="Heron")
    checkins.save(make(heron, chi(2, 1, 12), follow_up=True), [heron])
    return heron, only_plan(fu).id


T0 = utc(chi(2, 1, 12))


def test_a_later_check_in_is_a_contact_that_resets_and_covers(
    fu: FollowupService, checkins: CheckinService, heron_plan: tuple[Officer, str]
) -> None:
    heron, plan_id = heron_plan
    call = make(heron, chi(2, 2, 8), contact_type="phone")  # 20 h after the incident
    checkins.save(call)
    got = steps(fu, plan_id)
    assert (got["s0"].state, got["s0"].due) == (PENDING, T0 + 44 * H)
    # the check-in is edited to 60 h: it now covers the 24 h step and moves the 72 h one
    call.occurred_at = chi(2, 4, 0)
    checkins.save(call)
    got = steps(fu, plan_id)
    assert (got["s0"].state, got["s0"].checkin_id, got["s0"].resolved_at) == (
        COVERED, call.id, T0 + 60 * H)
    assert got["s1"].due == T0 + 108 * H
    assert len(plans(fu)) == 1  # a check-in without follow-up makes no plan
    # deleted: nothing covered any more
    checkins.delete(call.id)
    got = steps(fu, plan_id)
    assert (got["s0"].state, got["s0"].due, got["s1"].due) == (PENDING, T0 + 24 * H,
                                                               T0 + 72 * H)


def test_a_group_check_in_is_a_contact_for_every_officer_in_it(
    fu: FollowupService, checkins: CheckinService, heron_plan: tuple[Officer, str]
) -> None:
    heron, plan_id = heron_plan
    owl = Officer(alias="Owl")
    group = make(owl, chi(2, 4, 0), group=[heron])
    checkins.save(group, [owl])
    assert steps(fu, plan_id)["s0"].state == COVERED
    group.group_officer_ids = []  # heron taken off the list: no longer a contact
    checkins.save(group)
    assert steps(fu, plan_id)["s0"].state == PENDING


def test_a_check_in_with_another_officer_is_not_a_contact(
    fu: FollowupService, checkins: CheckinService, heron_plan: tuple[Officer, str]
) -> None:
    _, plan_id = heron_plan
    owl = Officer(alias="Owl")
    before = fu.steps(plan_id)
    checkins.save(make(owl, chi(2, 4, 0)), [owl])
    assert fu.steps(plan_id) == before


def test_deleting_a_contact_that_closed_the_plan_opens_it_again(
    fu: FollowupService, checkins: CheckinService
) -> None:
    heron = Officer(alias="Heron")
    checkins.save(make(heron, chi(1, 1, 12), follow_up=True,
                       incident_category="cumulative_stress"), [heron])
    plan_id = only_plan(fu).id
    late = make(heron, chi(2, 5, 12))  # 35 days later: covers 7 and 30 days
    checkins.save(late)
    assert {s.state for s in fu.steps(plan_id)} == {COVERED}
    assert len(fu.board()) == 0
    assert fu.open_plans_of(heron.id) == []
    checkins.delete(late.id)
    assert [(s.state, s.due) for s in fu.steps(plan_id)] == [
        (PENDING, utc(chi(1, 8, 12))), (PENDING, utc(chi(1, 31, 12)))]
    assert fu.board().count("overdue") == 2


def test_moving_a_contact_that_closed_the_plan_recomputes_it(
    fu: FollowupService, checkins: CheckinService
) -> None:
    heron = Officer(alias="Heron")
    checkins.save(make(heron, chi(1, 1, 12), follow_up=True,
                       incident_category="cumulative_stress"), [heron])
    plan_id = only_plan(fu).id
    late = make(heron, chi(2, 5, 12))
    checkins.save(late)
    assert len(fu.board()) == 0
    late.occurred_at = chi(1, 4, 12)  # the date was a typo
    checkins.save(late)
    got = steps(fu, plan_id)
    assert (got["s0"].state, got["s0"].due) == (PENDING, utc(chi(1, 11, 12)))
    assert len(fu.board()) == 2


def test_completes_marks_the_step_done_by_that_check_in(
    vault: UnlockedVault, fu: FollowupService, checkins: CheckinService, clock: FakeClock,
    heron_plan: tuple[Officer, str],
) -> None:
    heron, plan_id = heron_plan
    clock.now = T0 + 30 * H + timedelta(seconds=42)
    follow = fu.prefill(plan_id, "s0")
    assert (follow.officer_id, follow.contact_type, follow.recipient_class) == (
        heron.id, "follow_up", "sworn")
    assert follow.occurred_at == chi(2, 2, 18)  # now, local, to the minute
    assert follow.occurred_at.utcoffset() == -6 * H
    checkins.save(follow, completes=(plan_id, "s0"))
    got = steps(fu, plan_id)
    assert (got["s0"].state, got["s0"].checkin_id, got["s0"].resolved_at) == (
        DONE, follow.id, T0 + 30 * H)
    assert got["s1"].due == T0 + 78 * H  # the contact it also is resets the next step
    assert plan_rows(vault) == 1  # completing makes no plan of its own
    assert fu.board().count("overdue") == 0
    # deleting the check-in that did it: the step is pending again
    checkins.delete(follow.id)
    got = steps(fu, plan_id)
    assert (got["s0"].state, got["s0"].checkin_id, got["s1"].due) == (PENDING, "",
                                                                      T0 + 72 * H)


def test_completes_a_milestone_by_its_board_id(
    fu: FollowupService, checkins: CheckinService, heron_plan: tuple[Officer, str]
) -> None:
    _, plan_id = heron_plan
    m = fu.add_milestone(plan_id, "court", chi(2, 11, 10)).milestones[0]
    row = next(i for i in items(fu.board())["this_week"] if i[2] == "Court date")
    assert row[:2] == (plan_id, "#32768")
    assert fu.resolve_step_id(plan_id, "#32768") == m.id
    checkins.save(fu.prefill(plan_id, "#32768"), completes=(plan_id, "#32768"))
    assert steps(fu, plan_id)[m.id].state == DONE


def test_completes_for_a_missing_plan_saves_nothing(
    fu: FollowupService, checkins: CheckinService, heron_plan: tuple[Officer, str]
) -> None:
    heron, _ = heron_plan
    with pytest.raises(RecordNotFoundError):
        checkins.save(make(heron, chi(2, 9, 12)), completes=("no-such-plan", "s0"))
    assert checkins.count() == 1


# -- officers: forget and merge ------------------------------------------------------------------
def test_forget_officer_removes_all_their_plans(
    vault: UnlockedVault, fu: FollowupService, checkins: CheckinService
) -> None:
    heron, owl = Officer(alias="Heron"), Officer(alias="Owl")
    checkins.save(make(heron, chi(2, 1, 12), follow_up=True), [heron, owl])
    group = make(owl, chi(2, 3, 12), group=[heron], follow_up=True)
    checkins.save(group)
    assert plan_rows(vault) == 3
    fu.mark_deceased(heron.id, DECEASED_CONVERT)
    checkins.forget_officer(heron.id)
    left = only_plan(fu)
    assert (left.officer_id, left.checkin_id) == (owl.id, group.id)
    assert plan_rows(vault) == 1
    board = fu.board()
    assert {board.item(g, r).officer_id for g in GROUPS for r in range(board.count(g))} == {
        owl.id}
    assert not fu.is_deceased(heron.id)


def test_merge_officers_moves_plans_to_the_officer_kept(
    vault: UnlockedVault, fu: FollowupService, checkins: CheckinService
) -> None:
    keep, gone = Officer(alias="Keep"), Officer(alias="Gone")
    checkins.save(make(gone, chi(2, 1, 12), follow_up=True), [keep, gone])
    both = make(keep, chi(2, 2, 12), group=[gone], follow_up=True)
    checkins.save(both)
    old = {(p.checkin_id, p.officer_id): p for p in plans(fu)}
    assert len(old) == 3
    checkins.merge_officers(keep.id, gone.id)
    found = plans(fu)
    assert {p.officer_id for p in found} == {keep.id}
    assert len(found) == 2  # the group check-in's two plans became one
    moved = next(p for p in found if p.checkin_id != both.id)
    assert moved.id != old[(moved.checkin_id, gone.id)].id
    assert [s.due for s in fu.steps(moved.id)] == [
        s.due for s in old[(moved.checkin_id, gone.id)].schedule()]
    with pytest.raises(RecordNotFoundError):
        fu.plan(old[(moved.checkin_id, gone.id)].id)
    board = fu.board()
    assert {board.item(g, r).officer_id for g in GROUPS for r in range(board.count(g))} == {
        keep.id}
    # the group check-in was a contact at 24 h in the moved plan: its first step is covered
    assert len(board) == 11
    assert plan_rows(vault) == 2


# -- the board ------------------------------------------------------------------------------------
@pytest.fixture
def three(checkins: CheckinService, fu: FollowupService) -> dict[str, str]:
    """Three plans: Heron's (1 Feb, three steps overdue), Owl's (9 Feb, one due today),
    Lark's (cumulative stress, this morning)."""
    heron, owl, lark = Officer(alias="Heron"), Officer(alias="Owl"), Officer(alias="Lark")
    a = make(heron, chi(2, 1, 14), follow_up=True)
    b = make(owl, chi(2, 9, 12), follow_up=True)
    c = make(lark, chi(2, 10, 8), follow_up=True, incident_category="cumulative_stress")
    checkins.save(a, [heron], incident_at=chi(2, 1, 12))
    checkins.save(b, [owl])
    checkins.save(c, [lark])
    by_officer = {p.officer_id: p.id for p in plans(fu)}
    return {"heron": heron.id, "owl": owl.id, "lark": lark.id,
            "A": by_officer[heron.id], "B": by_officer[owl.id], "C": by_officer[lark.id]}


def test_the_board_groups_overdue_today_this_week_and_later(
    fu: FollowupService, three: dict[str, str]
) -> None:
    board = fu.board()
    assert board.now == NOW
    assert counts(board) == {"overdue": 3, "today": 1, "this_week": 3, "later": 7}
    assert board.badge == 4
    assert len(board) == 14
    got = items(board)
    a, b, c = three["A"], three["B"], three["C"]
    assert got["overdue"] == [
        (a, "s0", "24 hours", utc(chi(2, 2, 12))), (a, "s1", "72 hours", utc(chi(2, 4, 12))),
        (a, "s2", "7 days", utc(chi(2, 8, 12))),
    ]
    assert got["today"] == [(b, "s0", "24 hours", utc(chi(2, 10, 12)))]
    assert got["this_week"] == [
        (b, "s1", "72 hours", utc(chi(2, 12, 12))), (b, "s2", "7 days", utc(chi(2, 16, 12))),
        (c, "s0", "7 days", utc(chi(2, 17, 8))),
    ]
    assert [(p, s) for p, s, _, _ in got["later"]] == [
        (a, "s3"), (b, "s3"), (c, "s1"), (a, "s4"), (b, "s4"), (a, "s5"), (b, "s5")]
    first = board.item("overdue", 0)
    assert (first.officer_id, first.is_milestone, first.group) == (three["heron"], False,
                                                                   "overdue")
    for group in GROUPS:
        with pytest.raises(IndexError):
            board.item(group, board.count(group))
        with pytest.raises(IndexError):
            board.item(group, -1)


def test_advancing_the_clock_moves_items_between_groups(
    fu: FollowupService, clock: FakeClock, three: dict[str, str]
) -> None:
    clock.advance(D)  # Wednesday 11 Feb 09:00
    board = fu.board()
    assert counts(board) == {"overdue": 4, "today": 0, "this_week": 3, "later": 7}
    last = board.item("overdue", 3)
    assert (last.plan_id, last.step_id) == (three["B"], "s0")
    clock.advance(D)  # Thursday 12 Feb: Owl's 72 hours is due at noon
    assert counts(fu.board()) == {"overdue": 4, "today": 1, "this_week": 2, "later": 7}
    clock.advance(3 * H + timedelta(seconds=1))  # past noon: still today, not overdue
    assert counts(fu.board())["today"] == 1
    clock.advance(12 * H)  # Friday 13 Feb, 00:00:01
    assert counts(fu.board()) == {"overdue": 5, "today": 0, "this_week": 2, "later": 7}
    clock.now = utc(chi(2, 26, 9))  # two weeks later: Heron's 30 days is this week
    got = fu.board()
    assert counts(got)["this_week"] == 1
    assert (got.item("this_week", 0).plan_id, got.item("this_week", 0).step_id) == (
        three["A"], "s3")


def test_snooze_moves_an_item_out_of_overdue(
    fu: FollowupService, three: dict[str, str]
) -> None:
    choices = fu.snooze_choices()
    assert choices == {"1 hour": NOW + H, "Tomorrow 9:00": chi(2, 11, 9),
                       "Next week": chi(2, 17, 9)}
    fu.snooze(three["A"], "s0", choices["Tomorrow 9:00"])
    board = fu.board()
    assert counts(board) == {"overdue": 2, "today": 1, "this_week": 4, "later": 7}
    assert items(board)["this_week"][0] == (three["A"], "s0", "24 hours",
                                            utc(chi(2, 11, 9)))
    fu.snooze(three["A"], "s1", choices["1 hour"])
    assert items(fu.board())["today"][0] == (three["A"], "s1", "72 hours", NOW + H)
    with pytest.raises(PlanError, match="future"):
        fu.snooze(three["A"], "s2", NOW - H)
    with pytest.raises(PlanError, match="future"):
        fu.snooze(three["A"], "s2", NOW)
    with pytest.raises(PlanError):
        fu.snooze(three["A"], "s2", datetime(2026, 2, 20, 9, 0))  # no time zone
    with pytest.raises(RecordNotFoundError):
        fu.snooze("no-such-plan", "s2", NOW + H)
    assert counts(fu.board())["overdue"] == 1


def test_reschedule_skip_and_stop(fu: FollowupService, three: dict[str, str]) -> None:
    a, b = three["A"], three["B"]
    fu.reschedule(b, "s1", chi(2, 9, 20))  # into the past, after the incident: overdue
    assert (b, "s1") in [i[:2] for i in items(fu.board())["overdue"]]
    with pytest.raises(PlanError, match="before the incident"):
        fu.reschedule(b, "s1", chi(2, 9, 11))
    with pytest.raises(PlanError, match="time zone"):
        fu.reschedule(b, "s1", datetime(2026, 2, 20, 9, 0))
    fu.skip(b, "s0")
    assert steps(fu, b)["s0"].state == SKIPPED
    assert counts(fu.board())["today"] == 0
    with pytest.raises(PlanError, match="no longer pending"):
        fu.skip(b, "s0")
    with pytest.raises(PlanError):
        fu.skip(b, "s42")
    plan = fu.stop(a, "Asked us to stop.")
    assert not plan.is_open()
    assert {s.state for s in fu.steps(a)} == {STOPPED}
    assert [e.reason for e in fu.plan(a).events if e.kind == "stop"] == ["Asked us to stop."]
    board = fu.board()
    assert a not in {i[0] for group in items(board).values() for i in group}
    assert counts(board) == {"overdue": 1, "today": 0, "this_week": 2, "later": 4}
    with pytest.raises(PlanError):
        fu.stop(b, "x" * 501)


def test_milestones_on_the_board(fu: FollowupService, three: dict[str, str]) -> None:
    b = three["B"]
    plan = fu.add_milestone(b, "court", chi(2, 20, 10), timedelta(days=3))
    m = plan.milestones[0]
    row = next(i for i in items(fu.board())["this_week"] if i[2] == "Court date")
    assert row == (b, "#32768", "Court date", utc(chi(2, 17, 10)))
    assert fu.board().item("this_week", 3).is_milestone
    fu.snooze(b, "#32768", utc(chi(2, 19, 9)))
    assert steps(fu, b)[m.id].due == utc(chi(2, 19, 9))
    assert "Court date" in [i[2] for i in items(fu.board())["later"]]
    fu.remove_milestone(b, "#32768")
    assert fu.plan(b).milestones == []
    assert "Court date" not in {i[2] for g in items(fu.board()).values() for i in g}
    with pytest.raises(PlanError, match="before the incident"):
        fu.add_milestone(b, "court", chi(2, 1, 10))
    with pytest.raises(PlanError, match="Unknown milestone"):
        fu.add_milestone(b, "party", chi(2, 20, 10))
    assert len(fu.board()) == 14


def test_anonymous_schedule_is_only_the_due_times_of_the_board(
    fu: FollowupService, three: dict[str, str]
) -> None:
    schedule = fu.anonymous_schedule()
    assert schedule.typecode == "q"
    board = fu.board()
    expected = [epoch_seconds(i[3]) for g in GROUPS for i in items(board)[g]]
    assert list(schedule) == expected
    assert all(type(x) is int for x in schedule)
    assert len(schedule) == 14
    fu.stop(three["A"])
    assert len(fu.anonymous_schedule()) == 8


# -- deceased officers ----------------------------------------------------------------------------
def test_mark_deceased_convert_turns_the_board_to_family_support(
    fu: FollowupService, checkins: CheckinService, three: dict[str, str]
) -> None:
    a = three["A"]
    before = counts(fu.board())
    assert fu.mark_deceased(three["heron"], DECEASED_CONVERT) == 1
    assert fu.is_deceased(three["heron"])
    board = fu.board()
    assert counts(board) == before
    labels = {i[2] for g in items(board).values() for i in g if i[0] == a}
    assert labels and all(label.startswith(FAMILY_PREFIX) for label in labels)
    assert FAMILY_PREFIX + "24 hours" in labels
    assert all(not i[2].startswith(FAMILY_PREFIX)
               for g in items(board).values() for i in g if i[0] != a)
    follow = fu.prefill(a, "s0")
    assert (follow.contact_type, follow.recipient_class) == ("family_support", "family")
    # a check-in with the deceased officer after that no longer covers anything
    heron = next(o for o in checkins.officers() if o.id == three["heron"])
    checkins.save(make(heron, chi(2, 10, 10), contact_type="family_support",
                       recipient_class="family"))
    assert counts(fu.board()) == before
    assert {s.state for s in fu.steps(a)} == {PENDING}


def test_mark_deceased_cancel_takes_their_steps_off_the_board(
    fu: FollowupService, three: dict[str, str]
) -> None:
    assert fu.mark_deceased(three["owl"], DECEASED_CANCEL) == 1
    board = fu.board()
    assert three["B"] not in {i[0] for g in items(board).values() for i in g}
    assert counts(board) == {"overdue": 3, "today": 0, "this_week": 1, "later": 4}
    assert all(s.state == "cancelled" for s in fu.steps(three["B"]))
    assert fu.mark_deceased(three["owl"], DECEASED_CANCEL) == 0  # nothing left open
    with pytest.raises(PlanError):
        fu.mark_deceased(three["lark"], "bury")
    with pytest.raises(RecordNotFoundError):
        fu.mark_deceased("00000000-0000-4000-8000-000000000000", DECEASED_CANCEL)


def test_a_new_follow_up_for_a_deceased_officer_plans_family_support(
    fu: FollowupService, checkins: CheckinService
) -> None:
    heron = Officer(alias="Heron")
    checkins.add_officer(heron)
    fu.mark_deceased(heron.id, DECEASED_CONVERT)
    checkins.save(make(heron, chi(2, 9, 12), follow_up=True, contact_type="family_support",
                       recipient_class="family", incident_category="line_of_duty_death"))
    plan = only_plan(fu)
    assert {s.audience for s in fu.steps(plan.id)} == {AUDIENCE_FAMILY}
    labels = [i[2] for g in items(fu.board()).values() for i in g]
    assert len(labels) == 6 and all(x.startswith(FAMILY_PREFIX) for x in labels)
    fu.clear_deceased(heron.id)
    assert not fu.is_deceased(heron.id)


# -- what lies on disk -----------------------------------------------------------------------------
def _raw_rows(vault: UnlockedVault) -> bytes:
    db = vault.data_dir.database
    out = b""
    for table in ("followup_plan", "followup_agenda"):
        for row in raw_query(db, f"SELECT * FROM {table}"):  # noqa: S608
            for value in row:
                out += value if isinstance(value, bytes) else str(value).encode() + b"\0"
    return out


def test_nothing_identifying_lies_in_clear(
    vault: UnlockedVault, fu: FollowupService, checkins: CheckinService
) -> None:
    canaries = ["CNRYALIAS4471", "CNRYFULLNAME8823", "CNRYCONTACT1902", "CNRYNOTES5530",
                "CNRYREF7714", "CNRYREASON3391", "CNRYGROUP6606"]
    heron = Officer(alias="CNRYALIAS4471", full_name="CNRYFULLNAME8823",
                    contact="CNRYCONTACT1902")
    owl = Officer(alias="CNRYGROUP6606")
    first = make(heron, chi(2, 1, 12), group=[owl], follow_up=True, notes="CNRYNOTES5530",
                 incident_ref="CNRYREF7714")
    checkins.save(first, [heron, owl], incident_at=chi(2, 1, 11))
    call = make(heron, chi(2, 4, 12), contact_type="phone", notes="CNRYNOTES5530 again")
    checkins.save(call)
    heron_plan = next(p for p in plans(fu) if p.officer_id == heron.id)
    owl_plan = next(p for p in plans(fu) if p.officer_id == owl.id)
    fu.add_milestone(heron_plan.id, "court", chi(3, 2, 9), timedelta(days=2))
    fu.snooze(heron_plan.id, "s2", chi(2, 12, 9))
    fu.stop(owl_plan.id, "CNRYREASON3391")
    vault.checkpoint()
    assert scan(vault.data_dir.root, canaries) == []
    raw = _raw_rows(vault)
    assert len(raw) > 500
    needles = [heron.id, owl.id, first.id, call.id, heron_plan.checkin_id, "24 hours",
               "72 hours", "Court date", "fatal_collision", "America/Chicago", "2026-02-01",
               "2026-02-02", "2026-03-02", "2026-02-12", *canaries]
    assert scan_bytes(raw, needles) == []
    # the plan ids in clear are keyed hashes: neither the check-in's nor the officer's id
    ids = {r[0] for r in raw_query(vault.data_dir.database, "SELECT id FROM followup_plan")}
    assert ids == {heron_plan.id, owl_plan.id}
    assert not ids & {heron.id, owl.id, first.id, call.id}
    assert raw_query(vault.data_dir.database, "SELECT id FROM followup_agenda") == [
        ("agenda",)]
    vault.lock()
    assert scan(vault.data_dir.root, canaries) == []


# -- tampering ------------------------------------------------------------------------------------
def test_a_tampered_agenda_is_rebuilt_from_the_plans(
    vault: UnlockedVault, fu: FollowupService, three: dict[str, str]
) -> None:
    fu.add_milestone(three["B"], "court", chi(2, 20, 10), timedelta(days=3))
    fu.snooze(three["A"], "s0", chi(2, 11, 9))
    before = items(fu.board())
    db = vault.data_dir.database
    blob = raw_one(db, "SELECT entries_sealed FROM followup_agenda")
    bad = flipped(blob)
    raw_execute(db, "UPDATE followup_agenda SET entries_sealed = ?", [bad])
    assert not vault.verify().ok
    assert items(fu.board()) == before
    rewritten = raw_one(db, "SELECT entries_sealed FROM followup_agenda")
    assert rewritten != bad
    assert vault.verify().ok
    # a missing agenda is rebuilt too
    raw_execute(db, "DELETE FROM followup_agenda")
    assert items(fu.board()) == before
    assert list(fu.anonymous_schedule()) == [
        epoch_seconds(i[3]) for g in GROUPS for i in before[g]]


def test_a_tampered_plan_is_left_out_and_reported(
    vault: UnlockedVault, fu: FollowupService, three: dict[str, str]
) -> None:
    db = vault.data_dir.database
    a = three["A"]
    blob = raw_one(db, "SELECT plan_sealed FROM followup_plan WHERE id = ?", [a])
    raw_execute(db, "UPDATE followup_plan SET plan_sealed = ? WHERE id = ?", [flipped(blob), a])
    assert fu.rebuild_agenda() == 1
    board = fu.board()
    assert len(board) == 8
    assert a not in {i[0] for g in items(board).values() for i in g}
    found, damaged = fu.all_plans()
    assert (sorted(p.id for p in found), damaged) == (sorted([three["B"], three["C"]]), 1)
    with pytest.raises(TamperError):
        fu.plan(a)
    report = vault.verify()
    assert ("followup_plan", a, "plan") in report.failures
    assert report.records["followup_plan"] == 3


def test_a_plan_moved_to_another_row_does_not_open(
    vault: UnlockedVault, fu: FollowupService, three: dict[str, str]
) -> None:
    db = vault.data_dir.database
    blob = raw_one(db, "SELECT plan_sealed FROM followup_plan WHERE id = ?", [three["A"]])
    raw_execute(db, "UPDATE followup_plan SET plan_sealed = ? WHERE id = ?",
                [blob, three["B"]])
    assert fu.rebuild_agenda() == 1
    with pytest.raises(TamperError):
        fu.plan(three["B"])
    assert fu.plan(three["A"]).officer_id == three["heron"]


def test_the_policy_templates_decide_the_steps(vault: UnlockedVault, clock: FakeClock,
                                               checkins: CheckinService) -> None:
    custom = {"fatal_collision": parse_steps("2h, 3d@08:00")}
    vault.followup_policy = FollowupPolicy(templates=custom, zone="Europe/Madrid", clock=clock)
    heron = Officer(alias="Heron")
    checkins.save(make(heron, chi(2, 9, 12), follow_up=True), [heron])
    fu = vault.followups()
    plan = only_plan(fu)
    assert plan.zone == "Europe/Madrid"
    madrid = ZoneInfo("Europe/Madrid")
    assert [(s.label, s.due) for s in fu.steps(plan.id)] == [
        ("2 hours", utc(chi(2, 9, 14))),
        ("3 days, 08:00", datetime(2026, 2, 12, 8, 0, tzinfo=madrid).astimezone(UTC)),
    ]
    # a category without a template makes an empty plan: nothing on the board
    owl = Officer(alias="Owl")
    checkins.save(make(owl, chi(2, 9, 12), follow_up=True, incident_category="other"), [owl])
    assert len(fu.board()) == 2
