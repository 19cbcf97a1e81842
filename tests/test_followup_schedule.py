"""Follow-up plans, pure domain: templates, due times across daylight-saving changes, the
contact reset, snooze / reschedule / skip / done / stop, milestones, deceased officers, the
sealed (JSON) form, and properties that hold for any template and any history."""

from __future__ import annotations

import json
from datetime import UTC, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from peersupport.domain.codes import INCIDENT_CATEGORIES
from peersupport.domain.followup import (
    AUDIENCE_FAMILY,
    AUDIENCE_OFFICER,
    CANCELLED,
    COVERED,
    DECEASED_CANCEL,
    DECEASED_CONVERT,
    DONE,
    MAX_LEAD,
    MILESTONE,
    PENDING,
    SKIPPED,
    STEP,
    STOPPED,
    Event,
    Plan,
    PlanError,
    Step,
    compute_schedule,
    new_plan,
    plan_from_dict,
    plan_to_dict,
    with_officer,
)
from peersupport.domain.followup_templates import (
    CRITICAL_STEPS,
    DEFAULT_TEMPLATES,
    LIGHT_STEPS,
    MAX_STEPS,
    StepSpec,
    TemplateError,
    format_steps,
    parse_step,
    parse_steps,
    templates_from_codes,
    templates_to_codes,
)

NY = ZoneInfo("America/New_York")
MADRID = ZoneInfo("Europe/Madrid")
LIGHT = ("cumulative_stress", "personal_or_family", "other", "undisclosed")
CRITICAL = tuple(c for c in INCIDENT_CATEGORIES if c not in LIGHT)
H = timedelta(hours=1)
D = timedelta(days=1)


def z(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """A UTC instant, for expected values."""
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def make_plan(
    incident: datetime, steps: tuple[StepSpec, ...] = CRITICAL_STEPS,
    zone: str = "America/New_York", *, deceased: bool = False, category: str = "fatal_collision",
) -> Plan:
    return new_plan("p1", "c0", "o1", category, incident, zone, steps, incident,
                    deceased=deceased)


def by_id(plan: Plan) -> dict[str, Step]:
    return {s.id: s for s in plan.schedule()}


def dues(plan: Plan) -> dict[str, datetime]:
    return {sid: s.due for sid, s in by_id(plan).items()}


def states(plan: Plan) -> dict[str, str]:
    return {sid: s.state for sid, s in by_id(plan).items()}


def contact(plan: Plan, checkin_id: str, at: datetime) -> None:
    assert plan.set_contact(checkin_id, at)


# Jan 10 2026, 14:30 in New York (EST, UTC-5): no DST change for the first weeks
JAN = datetime(2026, 1, 10, 14, 30, tzinfo=NY)
JAN_UTC = z(2026, 1, 10, 19, 30)


# -- templates per category -------------------------------------------------------------------
def test_every_category_has_a_template_critical_or_light() -> None:
    assert set(DEFAULT_TEMPLATES) == set(INCIDENT_CATEGORIES)
    assert format_steps(CRITICAL_STEPS) == "24h, 72h, 7d, 30d, 90d, 1y"
    assert format_steps(LIGHT_STEPS) == "7d, 30d"
    for category in CRITICAL:
        assert DEFAULT_TEMPLATES[category] == CRITICAL_STEPS, category
    for category in LIGHT:
        assert DEFAULT_TEMPLATES[category] == LIGHT_STEPS, category


@pytest.mark.parametrize("category", CRITICAL)
def test_a_critical_incident_gets_six_steps_at_the_right_times(category: str) -> None:
    plan = make_plan(JAN, DEFAULT_TEMPLATES[category], category=category)
    schedule = plan.schedule()
    assert [(s.id, s.label) for s in schedule] == [
        ("s0", "24 hours"), ("s1", "72 hours"), ("s2", "7 days"), ("s3", "30 days"),
        ("s4", "90 days"), ("s5", "1-year anniversary"),
    ]
    assert [s.due for s in schedule] == [
        z(2026, 1, 11, 19, 30), z(2026, 1, 13, 19, 30), z(2026, 1, 17, 19, 30),
        z(2026, 2, 9, 19, 30),
        z(2026, 4, 10, 18, 30),  # 14:30 EDT: calendar days keep the local time across DST
        z(2027, 1, 10, 19, 30),
    ]
    assert all(s.state == PENDING and s.kind == STEP for s in schedule)
    assert all(s.audience == AUDIENCE_OFFICER and s.plan_id == "p1" for s in schedule)
    assert all(s.due.utcoffset() == timedelta(0) for s in schedule)
    assert plan.is_open()


@pytest.mark.parametrize("category", LIGHT)
def test_a_light_category_gets_seven_and_thirty_days(category: str) -> None:
    plan = make_plan(JAN, DEFAULT_TEMPLATES[category], category=category)
    assert [(s.label, s.due) for s in plan.schedule()] == [
        ("7 days", z(2026, 1, 17, 19, 30)), ("30 days", z(2026, 2, 9, 19, 30)),
    ]


def test_an_empty_template_makes_a_plan_with_nothing_pending() -> None:
    plan = make_plan(JAN, ())
    assert plan.schedule() == []
    assert not plan.is_open()
    assert plan.step_ids() == set()


def test_new_plan_needs_an_aware_incident_time() -> None:
    with pytest.raises(PlanError, match="time zone"):
        make_plan(datetime(2026, 1, 10, 14, 30))


# -- due times and daylight-saving changes ------------------------------------------------------
def _forms(local: datetime) -> list[datetime]:
    """The same instant with a ZoneInfo, as UTC, and as a fixed offset (what a stored plan
    reads back): a due time must not depend on how the incident time was written."""
    offset = local.utcoffset()
    assert offset is not None
    return [local, local.astimezone(UTC), local.astimezone(timezone(offset))]


@pytest.mark.parametrize(
    ("incident", "zone", "expected_24h"),
    [
        # New York springs forward on Sun 8 Mar 2026: 24 h later is 13:00 EDT, not 12:00
        (datetime(2026, 3, 7, 12, 0, tzinfo=NY), NY, z(2026, 3, 8, 17)),
        # ... and falls back on Sun 1 Nov 2026: 24 h later is 11:00 EST
        (datetime(2026, 10, 31, 12, 0, tzinfo=NY), NY, z(2026, 11, 1, 16)),
        # Madrid: last Sundays of March (29) and October (25) 2026
        (datetime(2026, 3, 28, 10, 0, tzinfo=MADRID), MADRID, z(2026, 3, 29, 9)),
        (datetime(2026, 10, 24, 10, 0, tzinfo=MADRID), MADRID, z(2026, 10, 25, 8)),
    ],
)
def test_hours_are_real_elapsed_hours_across_a_dst_change(
    incident: datetime, zone: ZoneInfo, expected_24h: datetime
) -> None:
    spec = parse_step("24h")
    for form in _forms(incident):
        due = spec.due(form, zone)
        assert due == expected_24h, form
        assert due.astimezone(UTC) - form.astimezone(UTC) == timedelta(hours=24)
        plan = make_plan(form, (spec,), zone.key)
        assert plan.schedule()[0].due == expected_24h


@pytest.mark.parametrize(
    ("incident", "zone", "expected_7d", "expected_7d_at_9", "local_offset_after"),
    [
        (datetime(2026, 3, 5, 10, 0, tzinfo=NY), NY, z(2026, 3, 12, 14), z(2026, 3, 12, 13),
         -4),
        (datetime(2026, 10, 28, 10, 0, tzinfo=NY), NY, z(2026, 11, 4, 15), z(2026, 11, 4, 14),
         -5),
        (datetime(2026, 3, 28, 10, 0, tzinfo=MADRID), MADRID, z(2026, 4, 4, 8),
         z(2026, 4, 4, 7), 2),
        (datetime(2026, 10, 24, 10, 0, tzinfo=MADRID), MADRID, z(2026, 10, 31, 9),
         z(2026, 10, 31, 8), 1),
    ],
)
def test_days_keep_the_local_wall_clock_time_across_a_dst_change(
    incident: datetime, zone: ZoneInfo, expected_7d: datetime, expected_7d_at_9: datetime,
    local_offset_after: int,
) -> None:
    for form in _forms(incident):
        seven = parse_step("7d").due(form, zone)
        at_nine = parse_step("7d@09:00").due(form, zone)
        assert (seven, at_nine) == (expected_7d, expected_7d_at_9), form
        assert seven.astimezone(zone).time() == time(10, 0)
        assert at_nine.astimezone(zone).time() == time(9, 0)
        assert seven.astimezone(zone).utcoffset() == timedelta(hours=local_offset_after)
        # a week is the same as seven days
        assert parse_step("1w").due(form, zone) == seven


def test_one_day_across_spring_forward_is_23_real_hours_and_24h_is_24() -> None:
    incident = datetime(2026, 3, 7, 12, 0, tzinfo=NY)
    plan = make_plan(incident, parse_steps("1d, 24h"))
    assert [(s.label, s.due) for s in plan.schedule()] == [
        ("1 day", z(2026, 3, 8, 16)), ("24 hours", z(2026, 3, 8, 17)),
    ]


def test_one_day_across_fall_back_is_25_real_hours() -> None:
    incident = datetime(2026, 10, 31, 12, 0, tzinfo=NY)
    assert parse_step("1d").due(incident, NY) == z(2026, 11, 1, 17)


def test_a_wall_time_in_the_spring_forward_gap_moves_forward_by_the_gap() -> None:
    # 02:30 on Sun 8 Mar 2026 does not exist in New York: read as 03:30 EDT
    due = parse_step("7d@02:30").due(datetime(2026, 3, 1, 12, 0, tzinfo=NY), NY)
    assert due == z(2026, 3, 8, 7, 30)
    local = due.astimezone(NY)
    assert (local.time(), local.utcoffset()) == (time(3, 30), timedelta(hours=-4))
    # an incident at 02:30 the day before, plus one calendar day: the same
    assert parse_step("1d").due(datetime(2026, 3, 7, 2, 30, tzinfo=NY), NY) == due
    # Madrid: 02:30 on Sun 29 Mar 2026 does not exist either: 03:30 CEST
    due = parse_step("1d").due(datetime(2026, 3, 28, 2, 30, tzinfo=MADRID), MADRID)
    assert due == z(2026, 3, 29, 1, 30)
    assert due.astimezone(MADRID).time() == time(3, 30)


def test_an_ambiguous_wall_time_at_fall_back_takes_the_first_occurrence() -> None:
    due = parse_step("7d@01:30").due(datetime(2026, 10, 25, 12, 0, tzinfo=NY), NY)
    assert due == z(2026, 11, 1, 5, 30)  # 01:30 EDT, not 01:30 EST (06:30 UTC)


def test_the_anniversary_of_29_february_is_28_february() -> None:
    incident = datetime(2028, 2, 29, 22, 15, tzinfo=MADRID)
    assert parse_step("1y").due(incident, MADRID) == z(2029, 2, 28, 21, 15)
    assert parse_step("4y").due(incident, MADRID) == z(2032, 2, 29, 21, 15)
    assert parse_step("1y@09:00").due(incident, MADRID) == z(2029, 2, 28, 8)
    # a summer incident's anniversary keeps its summer time
    summer = datetime(2026, 7, 4, 20, 0, tzinfo=NY)
    assert parse_step("1y").due(summer, NY) == z(2027, 7, 5, 0)


def test_a_month_from_31_january_is_the_end_of_february() -> None:
    incident = datetime(2026, 1, 31, 9, 0, tzinfo=NY)
    assert parse_step("1m").due(incident, NY) == z(2026, 2, 28, 14)
    assert parse_step("2m").due(incident, NY) == z(2026, 3, 31, 13)  # EDT by then


def test_calendar_steps_use_the_plan_zone_not_the_incident_offset() -> None:
    # 23:30 in New York is already the next day in Madrid: days count in the plan's zone
    incident = datetime(2026, 1, 10, 23, 30, tzinfo=NY)  # 04:30 UTC on the 11th
    assert parse_step("1d@09:00").due(incident, NY) == z(2026, 1, 11, 14)
    assert parse_step("1d@09:00").due(incident, MADRID) == z(2026, 1, 12, 8)


# -- contacts: cover and reset ------------------------------------------------------------------
def test_a_call_at_20h_moves_the_24h_step_to_44h() -> None:
    plan = make_plan(JAN)
    contact(plan, "c1", JAN + 20 * H)
    got = by_id(plan)
    assert (got["s0"].state, got["s0"].due) == (PENDING, JAN_UTC + 44 * H)
    assert got["s1"].due == JAN_UTC + 72 * H  # later steps keep their time
    assert got["s2"].due == JAN_UTC + 7 * D


def test_a_call_at_60h_covers_the_24h_step_and_moves_72h_to_108h() -> None:
    plan = make_plan(JAN)
    contact(plan, "c1", JAN + 60 * H)
    got = by_id(plan)
    assert (got["s0"].state, got["s0"].resolved_at, got["s0"].checkin_id) == (
        COVERED, JAN_UTC + 60 * H, "c1")
    assert got["s0"].due == JAN_UTC + 24 * H  # a covered step keeps the time it was due
    assert (got["s1"].state, got["s1"].due) == (PENDING, JAN_UTC + 108 * H)
    assert got["s2"].due == JAN_UTC + 7 * D
    assert [s.id for s in plan.schedule() if s.is_pending] == ["s1", "s2", "s3", "s4", "s5"]


def test_a_late_contact_covers_every_step_already_due() -> None:
    plan = make_plan(JAN)
    contact(plan, "c1", JAN + 8 * D)
    assert states(plan) == {"s0": COVERED, "s1": COVERED, "s2": COVERED, "s3": PENDING,
                            "s4": PENDING, "s5": PENDING}
    # 30 days is 23 days after 7 days: not sooner than 23 days after the contact
    assert dues(plan)["s3"] == JAN_UTC + 31 * D


def test_a_contact_exactly_at_the_due_time_covers_the_step() -> None:
    plan = make_plan(JAN)
    contact(plan, "c1", JAN + 24 * H)
    assert states(plan)["s0"] == COVERED
    assert dues(plan)["s1"] == JAN_UTC + 24 * H + 48 * H


def test_later_steps_never_come_before_the_step_in_front_of_them() -> None:
    plan = make_plan(JAN, parse_steps("24h, 30h, 7d"))
    contact(plan, "c1", JAN + 20 * H)
    assert dues(plan) == {"s0": JAN_UTC + 44 * H, "s1": JAN_UTC + 44 * H,
                          "s2": JAN_UTC + 7 * D}
    schedule = plan.schedule()
    assert [s.id for s in schedule] == ["s0", "s1", "s2"]


def test_contacts_reset_again_and_again() -> None:
    plan = make_plan(JAN)
    contact(plan, "c1", JAN + 20 * H)
    contact(plan, "c2", JAN + 40 * H)  # before the moved 44 h: covers nothing, resets again
    assert states(plan)["s0"] == PENDING
    assert dues(plan)["s0"] == JAN_UTC + 64 * H
    contact(plan, "c3", JAN + 70 * H)  # covers the moved 24 h step
    got = by_id(plan)
    assert (got["s0"].state, got["s0"].checkin_id) == (COVERED, "c3")
    assert got["s1"].due == JAN_UTC + 70 * H + 48 * H


def test_moving_and_forgetting_a_contact_recomputes_the_schedule() -> None:
    plan = make_plan(JAN)
    original = dues(plan)
    contact(plan, "c1", JAN + 60 * H)
    assert states(plan)["s0"] == COVERED
    contact(plan, "c1", JAN + 20 * H)  # the check-in's time was edited
    assert [e.at for e in plan.events if e.kind == "contact"] == [JAN + 20 * H]
    assert states(plan)["s0"] == PENDING
    assert dues(plan)["s0"] == JAN_UTC + 44 * H
    assert plan.set_contact("c1", None)  # deleted
    assert dues(plan) == original
    assert not plan.set_contact("c1", None)  # nothing left to change
    assert plan.events == []


def test_contacts_before_the_incident_and_by_the_plans_own_check_in_do_not_count() -> None:
    plan = make_plan(JAN)
    original = dues(plan)
    contact(plan, "c1", JAN - 2 * H)
    assert dues(plan) == original
    assert set(states(plan).values()) == {PENDING}
    assert not plan.set_contact("c0", JAN + 30 * H)  # c0 made the plan
    assert dues(plan) == original


# -- snooze, reschedule, skip, done, stop ---------------------------------------------------------
def test_snooze_sets_the_due_time_of_one_step() -> None:
    plan = make_plan(JAN)
    plan.record(Event("snooze", JAN + 25 * H, step_id="s0", until=JAN + 30 * H))
    got = dues(plan)
    assert got["s0"] == JAN_UTC + 30 * H
    assert got["s1"] == JAN_UTC + 72 * H
    assert states(plan)["s0"] == PENDING


def test_a_snoozed_step_past_the_next_one_comes_after_it_in_due_order() -> None:
    plan = make_plan(JAN)
    plan.record(Event("snooze", JAN + 25 * H, step_id="s0", until=JAN + 100 * H))
    assert [s.id for s in plan.schedule()][:2] == ["s1", "s0"]


def test_reschedule_may_move_a_step_earlier_but_not_before_the_incident() -> None:
    plan = make_plan(JAN)
    plan.record(Event("reschedule", JAN + H, step_id="s1", until=JAN + 2 * H))
    assert dues(plan)["s1"] == JAN_UTC + 2 * H
    assert plan.schedule()[0].id == "s1"
    with pytest.raises(PlanError, match="before the incident"):
        plan.record(Event("reschedule", JAN + H, step_id="s1", until=JAN - H))
    with pytest.raises(PlanError, match="time zone"):
        plan.record(Event("snooze", JAN + H, step_id="s1",
                          until=datetime(2026, 1, 12, 9, 0)))
    with pytest.raises(PlanError, match="new time"):
        plan.record(Event("snooze", JAN + H, step_id="s1"))
    with pytest.raises(PlanError, match="not part of this plan"):
        plan.record(Event("snooze", JAN + H, step_id="s9", until=JAN + 3 * H))
    assert len(plan.events) == 1  # refused events are not kept


def test_skip_and_done_resolve_one_step_each() -> None:
    plan = make_plan(JAN)
    plan.record(Event("skip", JAN + 2 * H, step_id="s0"))
    plan.record(Event("done", JAN + 73 * H, step_id="s1", checkin_id="c7"))
    got = by_id(plan)
    assert (got["s0"].state, got["s0"].resolved_at, got["s0"].checkin_id) == (
        SKIPPED, JAN_UTC + 2 * H, "")
    assert (got["s1"].state, got["s1"].resolved_at, got["s1"].checkin_id) == (
        DONE, JAN_UTC + 73 * H, "c7")
    assert [s.state for s in plan.schedule()[2:]] == [PENDING] * 4
    with pytest.raises(PlanError):
        plan.record(Event("done", JAN, step_id="nope"))


def test_snoozing_a_resolved_step_changes_nothing() -> None:
    plan = make_plan(JAN)
    plan.record(Event("skip", JAN + 2 * H, step_id="s0"))
    plan.record(Event("snooze", JAN + 3 * H, step_id="s0", until=JAN + 90 * H))
    assert (states(plan)["s0"], dues(plan)["s0"]) == (SKIPPED, JAN_UTC + 24 * H)


def test_done_with_its_contact_at_the_same_instant_completes_then_resets() -> None:
    plan = make_plan(JAN)
    at = JAN + 30 * H
    contact(plan, "c1", at)
    plan.record(Event("done", at, step_id="s0", checkin_id="c1"))
    got = by_id(plan)
    assert got["s0"].state == DONE  # not merely covered: the explicit action comes first
    assert got["s1"].due == JAN_UTC + 30 * H + 48 * H


def test_a_done_step_moves_with_its_check_in_and_reopens_when_it_is_forgotten() -> None:
    plan = make_plan(JAN)
    plan.record(Event("done", JAN + 30 * H, step_id="s0", checkin_id="c1"))
    contact(plan, "c1", JAN + 30 * H)
    assert dues(plan)["s1"] == JAN_UTC + 78 * H
    contact(plan, "c1", JAN + 26 * H)  # the check-in's time was edited
    got = by_id(plan)
    assert (got["s0"].state, got["s0"].resolved_at) == (DONE, JAN_UTC + 26 * H)
    assert got["s1"].due == JAN_UTC + 74 * H
    assert plan.set_contact("c1", None)  # the check-in was deleted
    got = by_id(plan)
    assert (got["s0"].state, got["s0"].checkin_id, got["s1"].due) == (PENDING, "",
                                                                      JAN_UTC + 72 * H)
    assert plan.events == []


def test_steps_stay_in_template_order_when_a_calendar_step_falls_early() -> None:
    # from 31 January, one month (28 February) comes before thirty days (2 March)
    incident = datetime(2026, 1, 31, 9, 0, tzinfo=NY)
    plan = make_plan(incident, parse_steps("30d, 1m"))
    assert [s.code for s in plan.steps] == ["30d", "1m"]
    assert dues(plan) == {"s0": z(2026, 3, 2, 14), "s1": z(2026, 3, 2, 14)}
    # a time of day earlier than the incident's on the same day
    plan = make_plan(datetime(2026, 1, 10, 15, 0, tzinfo=NY), parse_steps("7d, 7d@09:00"))
    assert [s.code for s in plan.steps] == ["7d", "7d@09:00"]
    assert dues(plan) == {"s0": z(2026, 1, 17, 20), "s1": z(2026, 1, 17, 20)}


def test_stop_ends_every_pending_step_and_keeps_the_reason() -> None:
    plan = make_plan(JAN)
    plan.add_milestone("court", JAN + 40 * D, timedelta(days=2))
    contact(plan, "c1", JAN + 60 * H)
    plan.record(Event("stop", JAN + 3 * D, reason="Declined further contact."))
    got = by_id(plan)
    assert got["s0"].state == COVERED  # already resolved: stays
    assert {s.state for sid, s in got.items() if sid != "s0"} == {STOPPED}
    assert all(s.resolved_at == JAN_UTC + 3 * D for sid, s in got.items() if sid != "s0")
    assert not plan.is_open()
    # a later contact changes nothing
    contact(plan, "c2", JAN + 200 * D)
    assert {s.state for sid, s in by_id(plan).items() if sid != "s0"} == {STOPPED}
    assert [e.reason for e in plan.events if e.kind == "stop"] == ["Declined further contact."]
    with pytest.raises(PlanError, match="500"):
        plan.record(Event("stop", JAN + 4 * D, reason="x" * 501))


# -- milestones ---------------------------------------------------------------------------------
def test_a_milestone_is_due_its_lead_time_before_the_event() -> None:
    plan = make_plan(JAN)
    court = JAN + 20 * D
    m = plan.add_milestone("court", court, timedelta(days=2))
    assert m.id.startswith("m-") and m.id in plan.step_ids()
    step = by_id(plan)[m.id]
    assert (step.kind, step.label, step.due, step.state) == (
        MILESTONE, "Court date", JAN_UTC + 18 * D, PENDING)
    assert m.due == court - timedelta(days=2)
    # in due order among the steps: after 7 days, before 30 days
    assert [s.id for s in plan.schedule()] == ["s0", "s1", "s2", m.id, "s3", "s4", "s5"]


def test_a_milestone_lead_is_clipped_at_the_incident() -> None:
    plan = make_plan(JAN)
    m = plan.add_milestone("funeral", JAN + D, timedelta(days=3))
    assert m.lead == D
    assert by_id(plan)[m.id].due == JAN_UTC
    assert all(s.due >= JAN_UTC for s in plan.schedule())


def test_a_milestone_and_a_step_due_together_list_the_step_first() -> None:
    plan = make_plan(JAN)
    m = plan.add_milestone("return_to_duty", JAN + 24 * H, timedelta(0))
    assert [s.id for s in plan.schedule()[:2]] == ["s0", m.id]


@pytest.mark.parametrize(
    ("kind", "at_offset", "lead", "message"),
    [
        ("parade", 10 * D, timedelta(0), "Unknown milestone"),
        ("court", 10 * D, MAX_LEAD + timedelta(seconds=1), "60 days"),
        ("court", 10 * D, -H, "60 days"),
        ("court", -H, timedelta(0), "before the incident"),
    ],
)
def test_milestone_errors(kind: str, at_offset: timedelta, lead: timedelta,
                          message: str) -> None:
    plan = make_plan(JAN)
    with pytest.raises(PlanError, match=message):
        plan.add_milestone(kind, JAN + at_offset, lead)
    assert plan.milestones == []
    with pytest.raises(PlanError, match="time zone"):
        plan.add_milestone("court", datetime(2026, 2, 1, 9, 0), timedelta(0))


def test_a_milestone_lead_is_real_time_across_a_dst_change() -> None:
    incident = datetime(2026, 3, 1, 12, 0, tzinfo=NY)
    plan = make_plan(incident)
    court = datetime(2026, 3, 8, 12, 0, tzinfo=NY)  # 16:00 UTC, the day clocks went forward
    m = plan.add_milestone("court", court, D)
    assert m.due == z(2026, 3, 7, 16)  # 24 real hours before
    assert by_id(plan)[m.id].due == z(2026, 3, 7, 16)
    back = plan_from_dict(json.loads(json.dumps(plan_to_dict(plan))))
    assert back.schedule() == plan.schedule()
    # the clip at the incident is in real time too
    early = plan.add_milestone("funeral", datetime(2026, 3, 1, 13, 0, tzinfo=NY), D)
    assert (early.lead, early.due) == (H, z(2026, 3, 1, 17))


def test_times_in_the_repeated_hour_compare_as_instants() -> None:
    # 01:30 EST (the second 01:30 of 1 Nov 2026) is later than 01:45 EDT (the first)
    incident = datetime(2026, 11, 1, 1, 30, fold=1, tzinfo=NY)
    plan = make_plan(incident)
    with pytest.raises(PlanError, match="before the incident"):
        plan.add_milestone("court", datetime(2026, 11, 1, 1, 45, tzinfo=NY), timedelta(0))
    with pytest.raises(PlanError, match="before the incident"):
        plan.record(Event("reschedule", incident, step_id="s0",
                          until=datetime(2026, 11, 1, 1, 45, tzinfo=NY)))
    assert plan.schedule()[0].due == z(2026, 11, 2, 6, 30)


def test_milestones_can_be_snoozed_done_and_removed_with_their_events() -> None:
    plan = make_plan(JAN)
    court = plan.add_milestone("court", JAN + 20 * D, timedelta(days=1))
    grand = plan.add_milestone("grand_jury", JAN + 30 * D, timedelta(0))
    plan.record(Event("snooze", JAN + 19 * D, step_id=court.id, until=JAN + 19 * D + 2 * H))
    plan.record(Event("done", JAN + 30 * D, step_id=grand.id, checkin_id="c9"))
    got = by_id(plan)
    assert got[court.id].due == JAN_UTC + 19 * D + 2 * H
    assert (got[grand.id].state, got[grand.id].checkin_id) == (DONE, "c9")
    plan.remove_milestone(court.id)
    assert court.id not in by_id(plan)
    assert all(e.step_id != court.id for e in plan.events)
    with pytest.raises(PlanError):
        plan.remove_milestone(court.id)


# -- deceased officers --------------------------------------------------------------------------
def test_deceased_convert_turns_pending_steps_into_family_support() -> None:
    plan = make_plan(JAN)
    contact(plan, "c1", JAN + 60 * H)  # before the death: still counts
    plan.record(Event("deceased", JAN + 4 * D, mode=DECEASED_CONVERT))
    before = dues(plan)
    got = by_id(plan)
    assert got["s0"].state == COVERED
    assert all(s.audience == AUDIENCE_FAMILY for s in got.values())
    assert [s.state for s in plan.schedule()[1:]] == [PENDING] * 5
    # contacts after that no longer cover or move anything
    contact(plan, "c2", JAN + 10 * D)
    assert dues(plan) == before
    assert [s.state for s in plan.schedule()[1:]] == [PENDING] * 5
    assert plan.is_open()


def test_deceased_cancel_cancels_every_pending_step() -> None:
    plan = make_plan(JAN)
    plan.record(Event("skip", JAN + 2 * H, step_id="s0"))
    m = plan.add_milestone("funeral", JAN + 6 * D, timedelta(0))
    plan.record(Event("deceased", JAN + 4 * D, mode=DECEASED_CANCEL))
    got = by_id(plan)
    assert got["s0"].state == SKIPPED
    assert {s.state for sid, s in got.items() if sid != "s0"} == {CANCELLED}
    assert got[m.id].resolved_at == JAN_UTC + 4 * D
    assert not plan.is_open()


def test_deceased_needs_a_mode() -> None:
    plan = make_plan(JAN)
    with pytest.raises(PlanError, match="convert or to cancel"):
        plan.record(Event("deceased", JAN, mode="bury"))


def test_a_plan_made_for_a_deceased_officer_is_family_support_from_the_start() -> None:
    plan = make_plan(JAN, deceased=True)
    assert {s.audience for s in plan.schedule()} == {AUDIENCE_FAMILY}
    contact(plan, "c1", JAN + 60 * H)
    assert set(states(plan).values()) == {PENDING}
    assert dues(plan) == dues(make_plan(JAN))


# -- sealed form -----------------------------------------------------------------------------------
def test_plan_to_dict_and_back_keeps_everything() -> None:
    # a ZoneInfo incident before a DST change: the stored copy has a fixed offset
    incident = datetime(2026, 3, 7, 12, 0, tzinfo=NY)
    plan = make_plan(incident, parse_steps("24h, 72h, 7d@09:00, 2w, 1m, 1y"))
    m = plan.add_milestone("court", incident + 20 * D, timedelta(days=2))
    contact(plan, "c1", incident + 20 * H)
    plan.record(Event("snooze", incident + 21 * H, step_id="s1", until=incident + 90 * H))
    plan.record(Event("reschedule", incident + 22 * H, step_id=m.id, until=incident + 19 * D))
    plan.record(Event("skip", incident + 23 * H, step_id="s2"))
    plan.record(Event("done", incident + 24 * H, step_id="s3", checkin_id="c2"))
    plan.record(Event("deceased", incident + 25 * H, mode=DECEASED_CONVERT))
    plan.record(Event("stop", incident + 26 * H, reason="Asked to stop — «merci»"))
    data = json.loads(json.dumps(plan_to_dict(plan)))
    back = plan_from_dict(data)
    for name in ("id", "checkin_id", "officer_id", "category", "incident_at", "zone", "steps",
                 "created_at", "milestones", "events"):
        assert getattr(back, name) == getattr(plan, name), name
    assert back.schedule() == plan.schedule()
    assert plan_to_dict(back) == data


def test_a_stored_plan_computes_the_same_24h_as_a_fresh_one_across_dst() -> None:
    incident = datetime(2026, 3, 7, 12, 0, tzinfo=NY)
    plan = make_plan(incident)
    back = plan_from_dict(json.loads(json.dumps(plan_to_dict(plan))))
    assert back.incident_at.tzinfo != plan.incident_at.tzinfo  # fixed offset once stored
    assert compute_schedule(back) == compute_schedule(plan)
    assert compute_schedule(back)[0].due == z(2026, 3, 8, 17)


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"v": 2}, ValueError),
        ({"zone": "Mars/Olympus_Mons"}, KeyError),  # ZoneInfoNotFoundError
        ({"incident_at": "2026-01-10T14:30:00"}, ValueError),
        ({"incident_at": None}, ValueError),
        ({"steps": ["24x"]}, ValueError),
    ],
)
def test_a_malformed_plan_dict_is_refused(change: dict[str, object],
                                          error: type[Exception]) -> None:
    data = plan_to_dict(make_plan(JAN))
    data.update(change)
    with pytest.raises(error):
        plan_from_dict(data)


def test_with_officer_copies_the_plan_under_another_id() -> None:
    plan = make_plan(JAN)
    contact(plan, "c1", JAN + 20 * H)
    moved = with_officer(plan, "p2", "o2")
    assert (moved.id, moved.officer_id, moved.events) == ("p2", "o2", plan.events)
    assert (plan.id, plan.officer_id) == ("p1", "o1")
    assert [s.due for s in moved.schedule()] == [s.due for s in plan.schedule()]


# -- step codes ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "spec", "label"),
    [
        ("24h", StepSpec(24, "h"), "24 hours"),
        ("1h", StepSpec(1, "h"), "1 hour"),
        (" 7 D ", StepSpec(7, "d"), "7 days"),
        ("7d@09:00", StepSpec(7, "d", time(9, 0)), "7 days, 09:00"),
        ("7d @ 9:05", StepSpec(7, "d", time(9, 5)), "7 days, 09:05"),
        ("1w", StepSpec(1, "w"), "1 week"),
        ("2m", StepSpec(2, "m"), "2 months"),
        ("1y", StepSpec(1, "y"), "1-year anniversary"),
        ("1Y@23:59", StepSpec(1, "y", time(23, 59)), "1-year anniversary, 23:59"),
        ("5y", StepSpec(5, "y"), "5 years"),
    ],
)
def test_parse_step_reads_codes(text: str, spec: StepSpec, label: str) -> None:
    assert parse_step(text) == spec
    assert spec.label == label
    assert parse_step(spec.code) == spec


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "is not a step: write a number and h, d, w, m or y"),
        ("soon", "'soon' is not a step"),
        ("24x", "'24x' is not a step"),
        ("-3d", "'-3d' is not a step"),
        ("1.5d", "'1.5d' is not a step"),
        ("0h", "'0h' must be at least 1 and at most five years"),
        ("24h@09:00", "a time of day only goes with d, w, m or y"),
        ("7d@24:00", "24:00 is not a time of day"),
        ("7d@09:60", "9:60 is not a time of day"),
        ("7d@9", "'7d@9' is not a step"),
        ("6y", "'6y' must be at least 1 and at most five years"),
        ("1831d", "at most five years"),
        ("8785h", "at most 8784 hours; for longer, use d, w, m or y"),
        ("61m", "at most five years"),
    ],
)
def test_parse_step_errors_say_what_is_wrong(text: str, message: str) -> None:
    with pytest.raises(TemplateError) as caught:
        parse_step(text)
    assert message in str(caught.value)


def test_parse_steps_sorts_and_drops_repeats() -> None:
    assert format_steps(parse_steps("1y, 24h, 7d, 24H, ,72h")) == "24h, 72h, 7d, 1y"
    assert parse_steps("") == ()
    assert parse_steps(" , ") == ()


def test_parse_steps_accepts_the_same_day_with_and_without_a_time() -> None:
    steps = parse_steps("7d@09:00, 7d, 1d, 24h, 1d@08:00")
    assert {s.code for s in steps} == {"7d@09:00", "7d", "1d", "24h", "1d@08:00"}
    assert len(steps) == 5
    days = [s.approximate_days() for s in steps]
    assert days == sorted(days)
    assert parse_steps(format_steps(steps)) == steps  # a stable order


def test_parse_steps_refuses_too_many_and_names_the_bad_one() -> None:
    with pytest.raises(TemplateError, match=f"At most {MAX_STEPS}"):
        parse_steps(", ".join(f"{n}d" for n in range(1, MAX_STEPS + 2)))
    assert len(parse_steps(", ".join(f"{n}d" for n in range(1, MAX_STEPS + 1)))) == MAX_STEPS
    with pytest.raises(TemplateError, match="'fortnight' is not a step"):
        parse_steps("24h, fortnight, 7d")


def test_templates_from_and_to_settings_codes() -> None:
    custom = templates_from_codes({
        "fatal_collision": "48h, 14d@10:00",
        "other": "not a template",  # unreadable: the default stays
        "no_such_category": "24h",  # unknown: ignored
        "mass_casualty": 7,  # not text: ignored
    })
    assert set(custom) == set(DEFAULT_TEMPLATES)
    assert format_steps(custom["fatal_collision"]) == "48h, 14d@10:00"
    assert custom["other"] == LIGHT_STEPS
    assert custom["mass_casualty"] == CRITICAL_STEPS
    assert templates_to_codes(custom) == {"fatal_collision": "48h, 14d@10:00"}
    assert templates_from_codes(None) == dict(DEFAULT_TEMPLATES)
    assert templates_to_codes(DEFAULT_TEMPLATES) == {}


# -- properties ------------------------------------------------------------------------------------
ZONES = ("America/New_York", "Europe/Madrid", "America/Chicago", "UTC", "Asia/Kolkata",
         "Australia/Lord_Howe", "America/Santiago", "Pacific/Chatham", "America/St_Johns")
_LIMITS = {"h": 24 * 366, "d": 1826, "w": 260, "m": 59, "y": 5}


@st.composite
def step_specs(draw: st.DrawFn) -> StepSpec:
    unit = draw(st.sampled_from(sorted(_LIMITS)))
    # mostly short steps (where DST changes and contacts bite), sometimes long ones
    amount = draw(st.one_of(st.integers(1, min(10, _LIMITS[unit])),
                            st.integers(1, _LIMITS[unit])))
    at = None
    if unit != "h" and draw(st.booleans()):
        at = time(draw(st.integers(0, 23)), draw(st.sampled_from([0, 15, 30, 59])))
    return StepSpec(amount, unit, at)


@st.composite
def templates(draw: st.DrawFn) -> tuple[StepSpec, ...]:
    specs = draw(st.lists(step_specs(), min_size=1, max_size=7))
    if draw(st.booleans()):
        return parse_steps(format_steps(tuple(specs)))  # as Preferences would store it
    return tuple(dict.fromkeys(specs))  # any order at all


incidents = st.datetimes(
    min_value=datetime(2001, 1, 1), max_value=datetime(2034, 12, 31),
    timezones=st.sampled_from([ZoneInfo(name) for name in ZONES] + [UTC]),
    allow_imaginary=False,
)
offsets = st.one_of(
    st.integers(-3 * 86_400, 12 * 86_400),  # around the first steps
    st.integers(0, 2_000 * 86_400),  # anywhere in the plan
).map(lambda s: timedelta(seconds=s))


@st.composite
def histories(draw: st.DrawFn) -> tuple[tuple[StepSpec, ...], datetime, str, Plan, set[str]]:
    steps = draw(templates())
    incident = draw(incidents)
    zone = draw(st.sampled_from(ZONES))
    plan = new_plan("p1", "c0", "o1", "fatal_collision", incident, zone, steps, incident,
                    deceased=draw(st.booleans()) and draw(st.booleans()))
    # offsets are added in UTC: adding to a ZoneInfo time would count wall-clock time
    start = incident.astimezone(UTC)
    for _ in range(draw(st.integers(0, 2))):
        plan.add_milestone(draw(st.sampled_from(["court", "funeral", "other"])),
                           start + draw(offsets.filter(lambda t: t >= timedelta(0))),
                           timedelta(hours=draw(st.integers(0, 60 * 24))))
    moved: set[str] = set()
    ids = sorted(plan.step_ids())
    actions = st.one_of(
        st.tuples(st.just("contact"), offsets, st.just(""), st.just(timedelta(0))),
        st.tuples(st.sampled_from(["snooze", "reschedule", "skip", "done"]), offsets,
                  st.sampled_from(ids), offsets.map(abs)),
    )
    for n, (kind, at, step_id, until) in enumerate(draw(st.lists(actions, max_size=8))):
        if kind == "contact":
            plan.set_contact(f"k{n}", start + at)
        elif kind in ("snooze", "reschedule"):
            moved.add(step_id)
            plan.record(Event(kind, start + abs(at), step_id=step_id,
                              until=start + until))
        else:
            plan.record(Event(kind, start + abs(at), step_id=step_id,
                              checkin_id=f"k{n}" if kind == "done" else ""))
    return steps, incident, zone, plan, moved


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(histories())
def test_any_history_keeps_due_order_template_order_and_the_incident(
    history: tuple[tuple[StepSpec, ...], datetime, str, Plan, set[str]],
) -> None:
    steps, incident, _, plan, moved = history
    start = incident.astimezone(UTC)
    schedule = plan.schedule()
    # every step and milestone exactly once
    assert sorted(s.id for s in schedule) == sorted(plan.step_ids())
    assert len(schedule) == len(steps) + len(plan.milestones)
    # in due order
    keys = [(s.due, s.kind != STEP, s.id) for s in schedule]
    assert keys == sorted(keys)
    # never before the incident, always in UTC
    assert all(s.due >= start and s.due.utcoffset() == timedelta(0) for s in schedule)
    # pending template steps keep the template's order (unless moved by hand)
    by = {s.id: s for s in schedule}
    kept = [by[f"s{i}"].due for i in range(len(steps))
            if by[f"s{i}"].is_pending and f"s{i}" not in moved]
    assert kept == sorted(kept)
    # a step covered by a contact was due by then, and names that contact
    contacts = {e.checkin_id: e.at for e in plan.events if e.kind == "contact"}
    for s in schedule:
        if s.state == COVERED:
            assert s.resolved_at is not None and s.checkin_id in contacts
            assert s.resolved_at == contacts[s.checkin_id].astimezone(UTC)
            assert start <= s.resolved_at and s.due <= s.resolved_at
    # the stored form computes exactly the same schedule
    assert plan_from_dict(json.loads(json.dumps(plan_to_dict(plan)))).schedule() == schedule


@settings(max_examples=150, deadline=None)
@given(templates(), incidents, st.sampled_from(ZONES))
def test_a_fresh_plan_is_due_at_its_template_times_in_order(
    steps: tuple[StepSpec, ...], incident: datetime, zone: str
) -> None:
    plan = new_plan("p1", "c0", "o1", "other", incident, zone, steps, incident)
    by = {s.id: s for s in plan.schedule()}
    start = incident.astimezone(UTC)
    latest = start
    for i, spec in enumerate(steps):
        own = spec.due(incident, ZoneInfo(zone)).astimezone(UTC)
        if spec.unit == "h":  # hours are real elapsed hours, whatever the zones
            assert own - start == timedelta(hours=spec.amount)
        else:  # calendar steps fall on the right local day (or the month's last day)
            assert own.astimezone(ZoneInfo(zone)).date() >= incident.astimezone(
                ZoneInfo(zone)).date()
        latest = max(latest, own)
        assert by[f"s{i}"].due == latest, (i, spec.code)  # never before an earlier step
        assert by[f"s{i}"].state == PENDING
