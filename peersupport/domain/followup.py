"""A follow-up plan and its schedule. Pure: every function takes the time it needs.

A plan belongs to one check-in and one officer. It keeps a frozen copy of its template's
steps, hand-added milestones, and a history of events; the schedule (each step's due time
and state) is always computed from those, so it can be tested for any history.

Rules (documented for users in the in-app guide and README):
- A step's due time counts from the incident (see ``StepSpec.due``).
- A contact with the officer (any other check-in with them after the incident) completes
  every pending step already due at that moment ("covered by a contact"), and *resets the next
  step*: it is not due sooner than its usual interval after the contact (a call at 20 h moves
  the 24 h step to 44 h; a call at 60 h completes the 24 h step and moves the 72 h step to
  108 h). Later steps keep their time but never come before the step in front of them.
- Snooze and reschedule set a step's due time; skip and done resolve it; stop resolves every
  pending step ("the officer declined further contact"). Deleting a contact's check-in undoes
  what it covered, and a step done by a check-in is pending again if that check-in is deleted.
- Steps keep their template's order: one whose own time falls before the step in front of it
  (``7d@09:00`` after ``7d``, or ``1m`` after ``30d`` from 31 January) is due with that step.
- A deceased officer is never scheduled for contact: their pending steps become support for
  family or colleagues, or are cancelled, as the supporter chooses.
- No step is ever due before the incident.
- A follow-up an officer asked for (an accepted request: a "requested" milestone) is done by
  the next contact with them, whenever it falls.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from peersupport.domain.followup_templates import StepSpec, parse_step

PENDING = "pending"
DONE = "done"
COVERED = "covered"  # completed by a contact logged without "Done"
SKIPPED = "skipped"
STOPPED = "stopped"
CANCELLED = "cancelled"
STATES = (PENDING, DONE, COVERED, SKIPPED, STOPPED, CANCELLED)

STEP = "step"
MILESTONE = "milestone"

MILESTONE_KINDS = {
    "court": "Court date",
    "grand_jury": "Grand-jury date",
    "return_to_duty": "Return to duty",
    "funeral": "Funeral or memorial",
    "anniversary": "Anniversary",
    "other": "Other milestone",
    "requested": "Requested follow-up",
}
REQUESTED = "requested"  # made by accepting an officer's request, not added by hand
MAX_LEAD = timedelta(days=60)

AUDIENCE_OFFICER = "officer"
AUDIENCE_FAMILY = "family_or_colleagues"
DECEASED_CONVERT = "convert"
DECEASED_CANCEL = "cancel"
MAX_REASON = 500


class PlanError(ValueError):
    """An action that does not fit the plan (unknown step, a time before the incident...)."""


@dataclass(frozen=True)
class Milestone:
    id: str
    kind: str  # a key of MILESTONE_KINDS
    at: datetime  # the event itself
    lead: timedelta = timedelta(0)  # remind this long before

    @property
    def due(self) -> datetime:
        # in UTC: with a ZoneInfo, subtracting would count wall-clock time across DST
        return _utc(self.at) - self.lead


@dataclass(frozen=True)
class Event:
    kind: str  # contact, done, snooze, reschedule, skip, stop, deceased
    at: datetime  # when it happened (a contact: the check-in's time)
    step_id: str = ""
    checkin_id: str = ""
    until: datetime | None = None  # snooze and reschedule
    mode: str = ""  # deceased: convert or cancel
    reason: str = ""  # stop


@dataclass(frozen=True)
class Step:
    """One step of the computed schedule."""

    id: str
    plan_id: str
    kind: str  # STEP or MILESTONE
    label: str
    due: datetime  # UTC
    state: str
    audience: str = AUDIENCE_OFFICER
    resolved_at: datetime | None = None
    checkin_id: str = ""  # the check-in that completed it

    @property
    def is_pending(self) -> bool:
        return self.state == PENDING


@dataclass
class Plan:
    id: str
    checkin_id: str  # the check-in that asked for follow-up
    officer_id: str
    category: str
    incident_at: datetime  # timezone-aware
    zone: str  # IANA zone the calendar steps are computed in
    steps: tuple[StepSpec, ...]
    created_at: datetime
    milestones: list[Milestone] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)

    def __repr__(self) -> str:
        return f"<Plan {self.id}>"

    # -- changes (each appends an event; the schedule is recomputed) -----------------------
    def step_ids(self) -> set[str]:
        return {f"s{i}" for i in range(len(self.steps))} | {m.id for m in self.milestones}

    def _check_step(self, step_id: str) -> None:
        if step_id not in self.step_ids():
            raise PlanError("That step is not part of this plan.")

    def _check_time(self, when: datetime) -> None:
        if when.tzinfo is None:
            raise PlanError("A time needs a time zone.")
        if _utc(when) < _utc(self.incident_at):  # same-zone times compare as wall clocks
            raise PlanError("A follow-up cannot be due before the incident.")

    def add_milestone(self, kind: str, at: datetime, lead: timedelta) -> Milestone:
        if kind not in MILESTONE_KINDS:
            raise PlanError(f"Unknown milestone '{kind}'.")
        if not timedelta(0) <= lead <= MAX_LEAD:
            raise PlanError("The reminder can come at most 60 days ahead.")
        self._check_time(at)
        if _utc(at) - lead < _utc(self.incident_at):
            lead = _utc(at) - _utc(self.incident_at)  # remind no earlier than the incident
        milestone = Milestone(f"m-{uuid.uuid4().hex[:12]}", kind, at, lead)
        self.milestones.append(milestone)
        return milestone

    def remove_milestone(self, milestone_id: str) -> None:
        before = len(self.milestones)
        self.milestones = [m for m in self.milestones if m.id != milestone_id]
        if len(self.milestones) == before:
            raise PlanError("That milestone is not part of this plan.")
        self.events = [e for e in self.events if e.step_id != milestone_id]

    def record(self, event: Event) -> None:
        if event.kind in ("done", "snooze", "reschedule", "skip"):
            self._check_step(event.step_id)
        if event.kind in ("snooze", "reschedule"):
            if event.until is None:
                raise PlanError("A new time is needed.")
            self._check_time(event.until)
        if event.kind == "deceased" and event.mode not in (DECEASED_CONVERT, DECEASED_CANCEL):
            raise PlanError("Choose to convert or to cancel the pending steps.")
        if event.kind == "stop" and len(event.reason) > MAX_REASON:
            raise PlanError(f"At most {MAX_REASON} characters.")
        self.events.append(event)

    def set_contact(self, checkin_id: str, at: datetime | None) -> bool:
        """Record, move or (``at`` None) forget a contact. A step marked done by that
        check-in moves with it, and is pending again when the check-in is forgotten (deleted,
        or no longer with this officer). Returns whether anything changed."""
        kept: list[Event] = []
        for e in self.events:
            if e.checkin_id != checkin_id or e.kind not in ("contact", "done"):
                kept.append(e)
            elif e.kind == "done" and at is not None:
                kept.append(replace(e, at=at))
        if at is not None and checkin_id != self.checkin_id:
            kept.append(Event("contact", at, checkin_id=checkin_id))
        changed = kept != self.events
        self.events = kept
        return changed

    # -- the schedule ----------------------------------------------------------------------
    def schedule(self) -> list[Step]:
        return compute_schedule(self)

    def is_open(self) -> bool:
        return any(s.is_pending for s in self.schedule())


def _utc(when: datetime) -> datetime:
    return when.astimezone(UTC)


def compute_schedule(plan: Plan) -> list[Step]:
    """Every step and milestone with its due time (UTC) and state, in due order."""
    zone = ZoneInfo(plan.zone)
    incident = _utc(plan.incident_at)
    n = len(plan.steps)
    base: list[datetime] = []
    for spec in plan.steps:
        # never before the incident, nor before the step in front of it: "7d@09:00" after
        # "7d", or "1m" after "30d" from 31 January, would otherwise come first
        base.append(max(_utc(spec.due(plan.incident_at, zone)), base[-1] if base else incident))
    intervals = [base[0] - incident] + [base[i] - base[i - 1] for i in range(1, n)] if n else []
    due: dict[str, datetime] = {f"s{i}": base[i] for i in range(n)}
    for m in plan.milestones:
        due[m.id] = max(_utc(m.due), incident)
    state: dict[str, str] = dict.fromkeys(due, PENDING)
    resolved: dict[str, tuple[datetime, str]] = {}
    audience = AUDIENCE_OFFICER
    order = [f"s{i}" for i in range(n)]
    requested = [m.id for m in plan.milestones if m.kind == REQUESTED]

    def resolve(step_id: str, new_state: str, when: datetime, checkin_id: str = "") -> None:
        if state.get(step_id) == PENDING:
            state[step_id] = new_state
            resolved[step_id] = (when, checkin_id)

    # actions at the same instant: explicit ones before the contact they came with
    rank = {"done": 0, "skip": 0, "snooze": 1, "reschedule": 1, "contact": 2, "stop": 3,
            "deceased": 3}
    events = sorted(enumerate(plan.events), key=lambda p: (_utc(p[1].at), rank.get(p[1].kind, 4),
                                                           p[0]))
    for _, event in events:
        at = _utc(event.at)
        if event.kind == "done":
            resolve(event.step_id, DONE, at, event.checkin_id)
        elif event.kind == "skip":
            resolve(event.step_id, SKIPPED, at)
        elif event.kind in ("snooze", "reschedule") and event.until is not None:
            if state.get(event.step_id) == PENDING:
                due[event.step_id] = max(_utc(event.until), incident)
        elif event.kind == "contact" and at >= incident and audience == AUDIENCE_OFFICER:
            for step_id in order:
                if state[step_id] == PENDING and due[step_id] <= at:
                    resolve(step_id, COVERED, at, event.checkin_id)
            for step_id in requested:
                resolve(step_id, COVERED, at, event.checkin_id)
            following = [i for i, sid in enumerate(order) if state[sid] == PENDING]
            if following:
                first = following[0]
                sid = order[first]
                due[sid] = max(due[sid], at + intervals[first])
                previous = due[sid]
                for i in following[1:]:
                    due[order[i]] = max(due[order[i]], previous)
                    previous = due[order[i]]
        elif event.kind == "stop":
            for step_id in due:
                resolve(step_id, STOPPED, at)
        elif event.kind == "deceased":
            if event.mode == DECEASED_CANCEL:
                for step_id in due:
                    resolve(step_id, CANCELLED, at)
            else:
                audience = AUDIENCE_FAMILY

    labels = {f"s{i}": spec.label for i, spec in enumerate(plan.steps)}
    labels.update({m.id: MILESTONE_KINDS.get(m.kind, "Milestone") for m in plan.milestones})
    steps = [
        Step(
            id=sid, plan_id=plan.id, kind=STEP if sid.startswith("s") else MILESTONE,
            label=labels[sid], due=due[sid], state=state[sid], audience=audience,
            resolved_at=resolved.get(sid, (None, ""))[0],
            checkin_id=resolved.get(sid, (None, ""))[1],
        )
        for sid in due
    ]
    steps.sort(key=lambda s: (s.due, s.kind != STEP, s.id))
    return steps


def new_plan(
    plan_id: str, checkin_id: str, officer_id: str, category: str, incident_at: datetime,
    zone: str, steps: tuple[StepSpec, ...], now: datetime, deceased: bool = False,
) -> Plan:
    if incident_at.tzinfo is None:
        raise PlanError("The incident time needs a time zone.")
    plan = Plan(plan_id, checkin_id, officer_id, category, incident_at, zone, steps, now)
    if deceased:
        plan.events.append(Event("deceased", incident_at, mode=DECEASED_CONVERT))
    return plan


# -- sealed form (JSON-ready) ----------------------------------------------------------------
def _iso(when: datetime) -> str:
    return when.isoformat()


def _time(text: object) -> datetime:
    if not isinstance(text, str):
        raise ValueError("a time is missing")
    value = datetime.fromisoformat(text)
    if value.tzinfo is None:
        raise ValueError("a stored time has no time zone")
    return value


def plan_to_dict(plan: Plan) -> dict[str, Any]:
    return {
        "v": 1, "id": plan.id, "checkin_id": plan.checkin_id, "officer_id": plan.officer_id,
        "category": plan.category, "incident_at": _iso(plan.incident_at), "zone": plan.zone,
        "steps": [s.code for s in plan.steps], "created_at": _iso(plan.created_at),
        "milestones": [
            {"id": m.id, "kind": m.kind, "at": _iso(m.at), "lead_s": int(m.lead.total_seconds())}
            for m in plan.milestones
        ],
        "events": [_event_to_dict(e) for e in plan.events],
    }


def _event_to_dict(e: Event) -> dict[str, Any]:
    out: dict[str, Any] = {"kind": e.kind, "at": _iso(e.at)}
    for name in ("step_id", "checkin_id", "mode", "reason"):
        if getattr(e, name):
            out[name] = getattr(e, name)
    if e.until is not None:
        out["until"] = _iso(e.until)
    return out


def plan_from_dict(data: dict[str, Any]) -> Plan:
    """Raises ValueError (or KeyError/TypeError) on a malformed plan."""
    if data.get("v") != 1:
        raise ValueError("unknown plan format")
    ZoneInfo(str(data["zone"]))
    plan = Plan(
        id=str(data["id"]), checkin_id=str(data["checkin_id"]),
        officer_id=str(data["officer_id"]), category=str(data["category"]),
        incident_at=_time(data["incident_at"]), zone=str(data["zone"]),
        steps=tuple(parse_step(str(code)) for code in data["steps"]),
        created_at=_time(data["created_at"]),
        milestones=[
            Milestone(str(m["id"]), str(m["kind"]), _time(m["at"]),
                      timedelta(seconds=int(m["lead_s"])))
            for m in data["milestones"]
        ],
    )
    for e in data["events"]:
        plan.events.append(Event(
            kind=str(e["kind"]), at=_time(e["at"]), step_id=str(e.get("step_id", "")),
            checkin_id=str(e.get("checkin_id", "")),
            until=_time(e["until"]) if "until" in e else None, mode=str(e.get("mode", "")),
            reason=str(e.get("reason", "")),
        ))
    return plan


def with_officer(plan: Plan, plan_id: str, officer_id: str) -> Plan:
    return replace(plan, id=plan_id, officer_id=officer_id)
