"""The .ics export of follow-ups: one opaque event per pending step in the window, stable
UIDs (a re-import updates), a higher SEQUENCE when a step moves, an alarm only when asked,
nothing that names or describes anyone, and a private file written atomically."""

from __future__ import annotations

import os
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from icalendar import Calendar  # type: ignore[import-untyped]

from peersupport.domain.checkin import CheckIn
from peersupport.domain.followup import Plan
from peersupport.domain.officer import Officer
from peersupport.services.calendar_export import (
    PRODID,
    SUMMARY,
    calendar_steps,
    export_ics,
    step_sequences,
    step_uid,
    write_ics,
)
from peersupport.services.followups import FollowupPolicy
from peersupport.services.vault import UnlockedVault
from tests._support import scan_bytes

NOW = datetime(2025, 6, 10, 12, 0, tzinfo=UTC)
ZONE = "Europe/Madrid"
ALIAS = "Quokka Canary"
FULL_NAME = "Zebulon Canarywood"
CONTACT = "+1 555 0199 canary-contact@example.invalid"
OFFICER_NOTES = "officer-notes-canary: prefers evenings"
CHECKIN_NOTES = "checkin-notes-canary: could not sleep"
INCIDENT_REF = "REF-CANARY-4471"
CATEGORY = "fatal_collision"
CATEGORY_LABEL = "Fatal or multi-fatality collision"


def _checkin(officer_id: str, when: datetime, **extra: Any) -> CheckIn:
    values: dict[str, Any] = {
        "occurred_at": when, "officer_id": officer_id, "incident_category": CATEGORY,
        "contact_type": "in_person", "initiated_by": "peer_outreach",
        "recipient_class": "sworn", "duration_minutes": 30,
    }
    values.update(extra)
    return CheckIn(**values)


class Setup:
    def __init__(self, vault: UnlockedVault) -> None:
        self.now = NOW
        vault.followup_policy = FollowupPolicy(clock=lambda: self.now, zone=ZONE)
        self.vault = vault
        self.officer = Officer(alias=ALIAS, full_name=FULL_NAME, contact=CONTACT,
                               notes=OFFICER_NOTES)
        self.checkin = _checkin(self.officer.id, NOW - timedelta(days=2), follow_up=True,
                                notes=CHECKIN_NOTES, incident_ref=INCIDENT_REF)
        vault.checkins().save(self.checkin, [self.officer])
        plans, damaged = vault.followups().all_plans()
        assert damaged == 0 and len(plans) == 1
        self.plan_id = plans[0].id

    def plans(self) -> list[Plan]:
        plans, damaged = self.vault.followups().all_plans()
        assert damaged == 0
        return plans

    def plan(self) -> Plan:
        return self.vault.followups().plan(self.plan_id)

    def export(self, days: int = 30, alarm: int | None = None) -> bytes:
        return export_ics(self.plans(), self.now, days, alarm)


@pytest.fixture
def setup(vault: UnlockedVault) -> Setup:
    return Setup(vault)


def events(data: bytes) -> list[Any]:
    return list(Calendar.from_ical(data).walk("VEVENT"))


def by_uid(data: bytes) -> dict[str, Any]:
    return {str(e["UID"]): e for e in events(data)}


def test_one_opaque_event_per_pending_step_in_the_window(setup: Setup) -> None:
    data = setup.export(days=30)
    calendar = Calendar.from_ical(data)
    assert str(calendar["PRODID"]) == PRODID
    assert str(calendar["VERSION"]) == "2.0"
    # incident 2 days ago: 24h overdue, 72h tomorrow, 7d in 5 days, 30d in 28 days; 90d and
    # 1y are outside the 30 days
    schedule = setup.plan().schedule()
    wanted = [s for s in schedule if s.due <= NOW + timedelta(days=30)]
    assert [s.label for s in wanted] == ["24 hours", "72 hours", "7 days", "30 days"]
    found = events(data)
    assert len(found) == 4
    for event, step in zip(found, wanted, strict=True):
        assert str(event["SUMMARY"]) == SUMMARY == "Peer follow-up"
        assert str(event["UID"]) == step_uid(setup.plan_id, step.id)
        assert event.decoded("DTSTART") == step.due
        assert event.decoded("DTSTART").tzinfo is not None
        assert event.decoded("DTSTART").utcoffset() == timedelta(0)
        assert event.decoded("DURATION") == timedelta(minutes=15)
        assert event.decoded("DTSTAMP") == NOW
        assert int(event["SEQUENCE"]) == 0
        # nothing beyond the opaque minimum
        assert set(event.keys()) == {"UID", "DTSTAMP", "DTSTART", "DURATION", "SUMMARY",
                                     "CLASS", "SEQUENCE"}
        assert not event.subcomponents
    assert b"DTSTART:" in data and b"Z\r\n" in data  # UTC form, no TZID
    assert b"TZID" not in data and b"VTIMEZONE" not in data


def test_overdue_steps_of_any_age_are_included_and_resolved_ones_are_not(setup: Setup) -> None:
    setup.now = NOW + timedelta(days=400)  # every step of the plan is now overdue
    assert len(events(setup.export(days=1))) == 6
    plan = setup.plan()
    first, second = plan.schedule()[:2]
    setup.vault.followups().skip(setup.plan_id, first.id)
    uids = set(by_uid(setup.export(days=1)))
    assert step_uid(setup.plan_id, first.id) not in uids
    assert step_uid(setup.plan_id, second.id) in uids
    setup.vault.followups().stop(setup.plan_id)
    assert events(setup.export(days=3660)) == []


def test_days_bounds_the_window(setup: Setup) -> None:
    assert len(events(setup.export(days=0))) == 1  # only the overdue 24h step
    assert len(events(setup.export(days=1))) == 2  # and the 72h step, due in exactly 1 day
    assert len(events(setup.export(days=89))) == 5
    assert len(events(setup.export(days=365))) == 6
    with pytest.raises(ValueError):
        export_ics(setup.plans(), NOW, -1, None)
    with pytest.raises(ValueError):
        export_ics(setup.plans(), NOW.replace(tzinfo=None), 30, None)


def test_uid_is_stable_and_a_snooze_changes_only_dtstart_and_sequence(setup: Setup) -> None:
    first = setup.export()
    assert first == setup.export()  # same input, same bytes
    before = by_uid(first)
    step = setup.plan().schedule()[1]  # 72 hours
    uid = step_uid(setup.plan_id, step.id)
    until = NOW + timedelta(days=3)
    setup.vault.followups().snooze(setup.plan_id, step.id, until)
    after = by_uid(setup.export())
    assert set(after) == set(before)  # same UIDs: a re-import updates, nothing duplicates
    for key, event in after.items():
        if key != uid:
            assert event.to_ical() == before[key].to_ical()
    moved, old = after[uid], before[uid]
    assert moved.decoded("DTSTART") == until
    assert int(moved["SEQUENCE"]) == int(old["SEQUENCE"]) + 1
    changed = {k for k in set(moved.keys()) | set(old.keys()) if moved.get(k) != old.get(k)}
    assert changed == {"DTSTART", "SEQUENCE"}

    # a reschedule a minute later moves it again: a higher sequence again
    setup.now = NOW + timedelta(minutes=1)
    setup.vault.followups().reschedule(setup.plan_id, step.id, NOW + timedelta(days=2))
    again = by_uid(setup.export())[uid]
    assert int(again["SEQUENCE"]) == int(moved["SEQUENCE"]) + 1
    assert again.decoded("DTSTART") == NOW + timedelta(days=2)


def test_a_contact_that_pushes_a_step_back_raises_its_sequence(setup: Setup) -> None:
    # a call 25 hours after the incident: covers the 24h step, moves the 72h step back by 1h
    call = _checkin(setup.officer.id, NOW - timedelta(days=2) + timedelta(hours=25))
    setup.vault.checkins().save(call)
    plan = setup.plan()
    sequences = step_sequences(plan)
    schedule = {s.label: s for s in plan.schedule()}
    assert schedule["24 hours"].state == "covered"
    assert schedule["72 hours"].due == NOW + timedelta(days=1, hours=1)
    assert sequences[schedule["72 hours"].id] == 1
    assert sequences[schedule["7 days"].id] == 0  # not moved
    found = by_uid(setup.export())
    assert step_uid(setup.plan_id, schedule["24 hours"].id) not in found
    assert int(found[step_uid(setup.plan_id, schedule["72 hours"].id)]["SEQUENCE"]) == 1


def test_an_alarm_only_when_asked(setup: Setup) -> None:
    assert b"VALARM" not in setup.export()
    data = setup.export(alarm=30)
    found = events(data)
    assert found
    for event in found:
        (alarm,) = event.subcomponents
        assert alarm.name == "VALARM"
        assert str(alarm["ACTION"]) == "DISPLAY"
        assert str(alarm["DESCRIPTION"]) == "Peer follow-up"
        assert alarm.decoded("TRIGGER") == timedelta(minutes=-30)
    assert events(setup.export(alarm=0))[0].subcomponents[0].decoded("TRIGGER") == timedelta(0)
    with pytest.raises(ValueError):
        setup.export(alarm=-5)


def test_nothing_that_names_or_describes_anyone(setup: Setup) -> None:
    service = setup.vault.followups()
    service.add_milestone(setup.plan_id, "court", NOW + timedelta(days=10))
    setup.vault.checkins().save(  # a plan for a second officer of a group check-in
        _checkin(setup.officer.id, NOW - timedelta(hours=3), follow_up=True,
                 incident_category="line_of_duty_death", incident_ref="REF-CANARY-2"))
    plans = setup.plans()
    data = export_ics(plans, NOW, 3660, 15)
    assert len(events(data)) == sum(1 for p in plans for s in p.schedule() if s.is_pending)
    schedule = [s for p in plans for s in p.schedule()]
    labels = sorted({s.label for s in schedule})
    assert "Court date" in labels
    canaries = [
        ALIAS, FULL_NAME, CONTACT, OFFICER_NOTES, CHECKIN_NOTES, INCIDENT_REF, "REF-CANARY-2",
        CATEGORY, CATEGORY_LABEL, "line_of_duty_death", "Line-of-duty death",
        setup.officer.id, setup.checkin.id, *(p.id for p in plans), *(p.checkin_id for p in plans),
        *labels, "hours", "days", "year", "Court", "Family", "milestone",
        *(s.id for s in schedule if len(s.id) > 2),  # milestone ids (m-...)
    ]
    unfolded = data.replace(b"\r\n ", b"")  # a long line may be folded anywhere
    assert b"\r\n " not in data  # (none is, today)
    assert scan_bytes(unfolded, canaries) == []
    text = unfolded.decode()
    for forbidden in ("DESCRIPTION:Peer follow-up\r\n",):
        text = text.replace(forbidden, "")  # the alarm's own text is the one allowed
    for name in ("DESCRIPTION", "LOCATION", "CATEGORIES", "ATTENDEE", "ORGANIZER", "COMMENT",
                 "CONTACT", "URL", "X-"):
        assert f"\n{name}" not in text
    assert {line.split(":", 1)[1] for line in text.splitlines()
            if line.startswith("SUMMARY")} == {"Peer follow-up"}


def test_uid_is_a_one_way_hash_of_plan_and_step() -> None:
    uid = step_uid("3f1c7c7e-0000-4000-8000-000000000001", "s1")
    assert uid.endswith("@peersupport")
    assert len(uid.split("@")[0]) == 32
    assert uid == step_uid("3f1c7c7e-0000-4000-8000-000000000001", "s1")
    assert uid != step_uid("3f1c7c7e-0000-4000-8000-000000000001", "s2")
    assert uid != step_uid("3f1c7c7e-0000-4000-8000-000000000002", "s1")
    assert "3f1c7c7e" not in uid


def test_calendar_steps_are_in_due_order(setup: Setup) -> None:
    steps = calendar_steps(setup.plans(), NOW, 3660)
    dues = [s.due for _, s in steps]
    assert dues == sorted(dues) and len(steps) == 6


@pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")
def test_the_file_is_private_and_written_atomically(setup: Setup, tmp_path: Path) -> None:
    folder = tmp_path / "out"
    folder.mkdir()
    target = folder / "followups.ics"
    target.write_bytes(b"old calendar")
    os.chmod(target, 0o644)
    data = setup.export()
    write_ics(target, data)
    assert target.read_bytes() == data
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert sorted(p.name for p in folder.iterdir()) == ["followups.ics"]  # no temp file left
    fresh = folder / "new.ics"
    old_umask = os.umask(0)
    try:
        write_ics(fresh, data)
    finally:
        os.umask(old_umask)
    assert stat.S_IMODE(fresh.stat().st_mode) == 0o600
