"""Follow-up use cases: plans made from check-ins, the follow-ups board, step actions,
milestones, deceased officers, and the anonymous schedule kept while the vault is locked.

Every action is one transaction that writes the plan and the sealed agenda together.
"""

from __future__ import annotations

from array import array
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, time, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from peersupport.crypto.errors import TamperError
from peersupport.domain.checkin import CheckIn
from peersupport.domain.clock import Clock, system_clock, system_zone_name
from peersupport.domain.followup import (
    AUDIENCE_FAMILY,
    DECEASED_CANCEL,
    DECEASED_CONVERT,
    MILESTONE,
    REQUESTED,
    Event,
    Plan,
    PlanError,
    Step,
    new_plan,
    with_officer,
)
from peersupport.domain.followup_templates import DEFAULT_TEMPLATES, StepSpec
from peersupport.store.followup_agenda import (
    Agenda,
    AgendaEntry,
    AgendaStore,
    epoch_seconds,
    from_epoch,
)
from peersupport.store.followup_plans import PlanRepository
from peersupport.store.officers import RecordNotFoundError

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from peersupport.services.vault import UnlockedVault
    from peersupport.settings import Settings

__all__ = [
    "GROUPS",
    "FollowupBoard",
    "FollowupPolicy",
    "FollowupService",
    "PlanError",
    "PlanHooks",
    "RecordNotFoundError",
]

OVERDUE, TODAY, THIS_WEEK, LATER = "overdue", "today", "this_week", "later"
GROUPS = {OVERDUE: "Overdue", TODAY: "Today", THIS_WEEK: "This week", LATER: "Later"}
MILESTONE_BASE = 0x8000
FAMILY_PREFIX = "Family or colleague support: "
DEFAULT_SNOOZE_MORNING = time(9, 0)


@dataclass(frozen=True)
class FollowupPolicy:
    """What plans are made of and in which time zone; and the clock (injectable in tests)."""

    templates: Mapping[str, tuple[StepSpec, ...]] = field(default_factory=lambda: DEFAULT_TEMPLATES)
    zone: str = field(default_factory=system_zone_name)
    clock: Clock = system_clock

    def now(self) -> datetime:
        return self.clock()


def policy_from_settings(settings: Settings, clock: Clock = system_clock) -> FollowupPolicy:
    """The templates and time zone the supporter chose in Preferences (window and CLI alike)."""
    from peersupport.domain.clock import zone_or_system
    from peersupport.domain.followup_templates import templates_from_codes

    return FollowupPolicy(templates=templates_from_codes(settings.followup_templates),
                          zone=zone_or_system(settings.time_zone), clock=clock)


def step_index(plan: Plan, step_id: str) -> int:
    if step_id.startswith("s"):
        return int(step_id[1:])
    for j, m in enumerate(plan.milestones):
        if m.id == step_id:
            return MILESTONE_BASE + j
    raise PlanError("That step is not part of this plan.")


def step_id_at(plan: Plan, index: int) -> str:
    if index < MILESTONE_BASE:
        return f"s{index}"
    try:
        return plan.milestones[index - MILESTONE_BASE].id
    except IndexError:
        raise PlanError("That step is no longer part of this plan.") from None


def agenda_entries(plan: Plan) -> list[AgendaEntry]:
    out = []
    for step in plan.schedule():
        if not step.is_pending:
            continue
        label = step.label if step.audience != AUDIENCE_FAMILY else FAMILY_PREFIX + step.label
        out.append(AgendaEntry(epoch_seconds(step.due), plan.id, plan.officer_id,
                               step_index(plan, step.id), step.kind == MILESTONE, label))
    return out


@dataclass(frozen=True)
class BoardItem:
    """One row of the follow-ups panel. No alias here: the panel asks for it on selection."""

    plan_id: str
    step_id: str
    officer_id: str
    label: str  # "72 hours", "Court date", never a category or a name
    is_milestone: bool
    due: datetime  # UTC
    group: str

    def __repr__(self) -> str:
        return f"<BoardItem {self.plan_id}/{self.step_id}>"


class FollowupBoard:
    """The pending steps split into groups, computed with bisect on the agenda's due times:
    building it costs the same for 100 or 100,000 pending steps; rows are decoded on demand."""

    def __init__(self, agenda: Agenda, now: datetime, zone: ZoneInfo) -> None:
        self._agenda = agenda
        self.now = now
        local = now.astimezone(zone)
        start = datetime.combine(local.date(), time(0), tzinfo=zone)
        end = datetime.combine(local.date() + timedelta(days=1), time(0), tzinfo=zone)
        week = datetime.combine(local.date() + timedelta(days=8), time(0), tzinfo=zone)
        cuts = [agenda.first_at_or_after(epoch_seconds(t)) for t in (start, end, week)]
        bounds = [0, *cuts, len(agenda)]
        self.ranges = {
            g: (bounds[i], bounds[i + 1]) for i, g in enumerate((OVERDUE, TODAY, THIS_WEEK, LATER))
        }
        self.due_now = agenda.first_at_or_after(epoch_seconds(now) + 1)

    def count(self, group: str) -> int:
        lo, hi = self.ranges[group]
        return hi - lo

    @property
    def badge(self) -> int:
        """Overdue plus today's."""
        return self.count(OVERDUE) + self.count(TODAY)

    def __len__(self) -> int:
        return len(self._agenda)

    def item(self, group: str, row: int) -> BoardItem:
        lo, hi = self.ranges[group]
        if not 0 <= row < hi - lo:
            raise IndexError(row)
        e = self._agenda.entry(lo + row)
        sid = f"s{e.step_index}" if e.step_index < MILESTONE_BASE else f"#{e.step_index}"
        return BoardItem(e.plan_id, sid, e.officer_id, e.label, e.is_milestone,
                         from_epoch(e.due), group)


class FollowupService:
    def __init__(self, vault: UnlockedVault, policy: FollowupPolicy | None = None) -> None:
        self._vault = vault
        self.policy = policy or vault.followup_policy

    def _zone(self) -> ZoneInfo:
        return ZoneInfo(self.policy.zone)

    def _repos(self, s: Session) -> tuple[PlanRepository, AgendaStore]:
        return PlanRepository(s, self._vault.sealer), AgendaStore(s, self._vault.sealer)

    # -- the agenda --------------------------------------------------------------------------
    def _agenda(self, s: Session) -> Agenda:
        plans, store = self._repos(s)
        try:
            agenda = store.load()
        except TamperError:
            agenda = None
        if agenda is None:
            agenda = self._rebuild(plans, store)
        return agenda

    @staticmethod
    def _rebuild(plans: PlanRepository, store: AgendaStore) -> Agenda:
        entries: list[AgendaEntry] = []
        for _, plan in plans.all():
            if plan is not None:
                entries.extend(agenda_entries(plan))
        agenda = Agenda.from_entries(entries)
        store.save(agenda)
        return agenda

    def rebuild_agenda(self) -> int:
        """Build the agenda again from every plan. Returns how many plans failed to open."""
        with self._vault.transaction() as s:
            plans, store = self._repos(s)
            damaged = sum(1 for _, p in plans.all() if p is None)
            self._rebuild(plans, store)
        return damaged

    def board(self) -> FollowupBoard:
        with self._vault.transaction() as s:
            agenda = self._agenda(s)
        return FollowupBoard(agenda, self.policy.now(), self._zone())

    def anonymous_schedule(self) -> array[int]:
        """Only the due times (epoch seconds) of pending steps: what the app may keep in
        memory while locked, to count due follow-ups without any record data."""
        with self._vault.transaction() as s:
            return array("q", self._agenda(s).dues)

    # -- plans --------------------------------------------------------------------------------
    def plan(self, plan_id: str) -> Plan:
        with self._vault.transaction() as s:
            return self._get(self._repos(s)[0], plan_id)

    @staticmethod
    def _get(plans: PlanRepository, plan_id: str) -> Plan:
        plan = plans.get(plan_id)
        if plan is None:
            raise RecordNotFoundError("That follow-up plan no longer exists.")
        return plan

    def all_plans(self) -> tuple[list[Plan], int]:
        """Every plan, and how many failed to open (for the command line and .ics export)."""
        with self._vault.transaction() as s:
            found = list(self._repos(s)[0].all())
        return [p for _, p in found if p is not None], sum(1 for _, p in found if p is None)

    def open_plans(self) -> tuple[list[Plan], int]:
        """The plans with a pending step (those the agenda names), and how many of them
        failed to open: the cost grows with open plans, not with every plan ever made."""
        with self._vault.transaction() as s:
            plans, _ = self._repos(s)
            found: list[Plan] = []
            damaged = 0
            for plan_id in sorted({e.plan_id for e in self._agenda(s).entries()}):
                try:
                    plan = plans.get(plan_id)
                except TamperError:
                    damaged += 1
                    continue
                if plan is not None:
                    found.append(plan)
            return found, damaged

    def open_plans_of(self, officer_id: str) -> list[Plan]:
        with self._vault.transaction() as s:
            plans, _ = self._repos(s)
            ids = self._agenda(s).plan_ids_of([officer_id])
            return [p for p in (plans.get(i) for i in sorted(ids)) if p is not None]

    def _change(self, plan_id: str, apply: Callable[[Plan], None]) -> Plan:
        with self._vault.transaction() as s:
            plans, store = self._repos(s)
            plan = self._get(plans, plan_id)
            apply(plan)
            plans.put(plan)
            store.save(self._agenda(s).replaced([plan.id], agenda_entries(plan)))
            return plan

    def _step_event(self, plan_id: str, kind: str, step_id: str,
                    until: datetime | None = None) -> Plan:
        now = self.policy.now()

        def apply(plan: Plan) -> None:
            sid = _resolve(plan, step_id)
            step = next((x for x in plan.schedule() if x.id == sid), None)
            if step is None or not step.is_pending:
                raise PlanError("That step is no longer pending.")
            plan.record(Event(kind, now, step_id=sid, until=until))

        return self._change(plan_id, apply)

    def snooze(self, plan_id: str, step_id: str, until: datetime) -> Plan:
        """Remind again at ``until`` (a future time)."""
        if until.tzinfo is None:
            raise PlanError("A time needs a time zone.")
        if until <= self.policy.now():
            raise PlanError("Snooze to a time in the future.")
        return self._step_event(plan_id, "snooze", step_id, until)

    def reschedule(self, plan_id: str, step_id: str, to: datetime) -> Plan:
        """Move the step to ``to`` (any time after the incident, past or future)."""
        if to.tzinfo is None:
            raise PlanError("A time needs a time zone.")
        return self._step_event(plan_id, "reschedule", step_id, to)

    def skip(self, plan_id: str, step_id: str) -> Plan:
        return self._step_event(plan_id, "skip", step_id)

    def stop(self, plan_id: str, reason: str = "The officer declined further contact.") -> Plan:
        """End the plan: every pending step is stopped, and the reason is kept (sealed)."""
        now = self.policy.now()
        return self._change(plan_id, lambda p: p.record(Event("stop", now, reason=reason)))

    def add_milestone(self, plan_id: str, kind: str, at: datetime,
                      lead: timedelta = timedelta(0)) -> Plan:
        def apply(plan: Plan) -> None:
            plan.add_milestone(kind, at, lead)

        return self._change(plan_id, apply)

    def remove_milestone(self, plan_id: str, milestone_id: str) -> Plan:
        return self._change(plan_id, lambda p: p.remove_milestone(_resolve(p, milestone_id)))

    def set_incident_time(self, plan_id: str, at: datetime) -> Plan:
        if at.tzinfo is None or at > self.policy.now():
            raise PlanError("The incident time must be a past time with a time zone.")

        def apply(plan: Plan) -> None:
            plan.incident_at = at

        return self._change(plan_id, apply)

    def snooze_choices(self) -> dict[str, datetime]:
        """The quick snooze times, from now: 1 hour, tomorrow 9:00, next week (same time)."""
        now = self.policy.now()
        zone = self._zone()
        local = now.astimezone(zone)
        tomorrow = datetime.combine(local.date() + timedelta(days=1), DEFAULT_SNOOZE_MORNING,
                                    tzinfo=zone)
        return {
            "1 hour": now + timedelta(hours=1),
            "Tomorrow 9:00": tomorrow,
            "Next week": (local.replace(tzinfo=None) + timedelta(days=7)).replace(tzinfo=zone),
        }

    def steps(self, plan_id: str) -> list[Step]:
        return self.plan(plan_id).schedule()

    def resolve_step_id(self, plan_id: str, agenda_step: str) -> str:
        """A board item's step id (``#32768`` for a milestone by position) as the plan's."""
        return _resolve(self.plan(plan_id), agenda_step)

    def prefill(self, plan_id: str, step_id: str) -> CheckIn:
        """A follow-up check-in for this step, to be completed by the supporter."""
        plan = self.plan(plan_id)
        step_id = _resolve(plan, step_id)
        step = next((s for s in plan.schedule() if s.id == step_id), None)
        if step is None:
            raise PlanError("That step is not part of this plan.")
        family = step.audience == AUDIENCE_FAMILY
        asked = step.kind == MILESTONE and any(
            m.id == step_id and m.kind == REQUESTED for m in plan.milestones)
        return CheckIn(
            occurred_at=self.policy.now().astimezone(self._zone()).replace(second=0,
                                                                          microsecond=0),
            officer_id=plan.officer_id,
            incident_category=plan.category,
            contact_type="family_support" if family else "follow_up",
            initiated_by="self" if asked else "peer_outreach",
            recipient_class="family" if family else "sworn",
            duration_minutes=15,
        )

    def timeliness(self, s: Session, plan_id: str, step_id: str, done_at: datetime) -> str:
        """Inside the caller's transaction: 'on_time' or 'late' for a step done at
        ``done_at`` ('' when the plan or step cannot be read)."""
        from peersupport.services.statistics import timeliness

        try:
            plan = self._repos(s)[0].get(plan_id)
        except TamperError:
            return ""
        if plan is None:
            return ""
        sid = _resolve(plan, step_id)
        # the due time before this check-in completed it: the schedule without its "done"
        events = [e for e in plan.events if not (e.kind == "done" and e.step_id == sid)]
        before = replace(plan, events=events)
        step = next((x for x in before.schedule() if x.id == sid), None)
        return "" if step is None else timeliness(step.due, done_at)

    def add_request_plan(self, s: Session, request_id: str, officer_id: str,
                         asked_at: datetime, follow_up_at: datetime) -> str:
        """Inside the caller's transaction: a plan for an accepted request, with one
        "Requested follow-up" at ``follow_up_at``. Returns its id."""
        plans, store = self._repos(s)
        plan_id = plans.plan_id(request_id, officer_id)
        now = self.policy.now()
        start = min(asked_at, follow_up_at, now)
        plan = new_plan(plan_id, request_id, officer_id, "undisclosed", start, self.policy.zone,
                        (), now, deceased=officer_id in plans.deceased())
        plan.add_milestone(REQUESTED, follow_up_at, timedelta(0))
        plans.put(plan)
        store.save(self._agenda(s).replaced([plan_id], agenda_entries(plan)))
        return plan_id

    # -- deceased officers -----------------------------------------------------------------------
    def is_deceased(self, officer_id: str) -> bool:
        with self._vault.transaction() as s:
            return officer_id in self._repos(s)[0].deceased()

    def mark_deceased(self, officer_id: str, mode: str) -> int:
        """Mark the officer deceased; their pending steps become family or colleague support
        (``convert``) or are cancelled (``cancel``). Returns how many plans changed."""
        if mode not in (DECEASED_CONVERT, DECEASED_CANCEL):
            raise PlanError("Choose to convert or to cancel the pending steps.")
        with self._vault.transaction() as s:
            self._vault.officers(s).get(officer_id)  # raises for an unknown officer
            plans, store = self._repos(s)
            dead = plans.deceased()
            dead.add(officer_id)
            plans.set_deceased(dead)
            agenda = self._agenda(s)
            changed = []
            now = self.policy.now()
            for plan_id in sorted(agenda.plan_ids_of([officer_id])):
                try:
                    plan = plans.get(plan_id)
                except TamperError:
                    continue  # left as it is; verify reports it
                if plan is None:
                    continue
                plan.record(Event("deceased", now, mode=mode))
                plans.put(plan)
                changed.append(plan)
            store.save(agenda.replaced([p.id for p in changed],
                                       [e for p in changed for e in agenda_entries(p)]))
            return len(changed)

    def clear_deceased(self, officer_id: str) -> None:
        """Undo a mistaken mark (plans already converted stay as they are)."""
        with self._vault.transaction() as s:
            plans = self._repos(s)[0]
            dead = plans.deceased()
            dead.discard(officer_id)
            plans.set_deceased(dead)

    # -- hooks called by the check-in service inside its transaction ------------------------------
    def hooks(self, s: Session) -> PlanHooks:
        return PlanHooks(self, s)


class PlanHooks:
    """Keeps plans in step with check-ins, inside the caller's transaction."""

    def __init__(self, service: FollowupService, s: Session) -> None:
        self._service = service
        self._s = s
        self._plans, self._store = service._repos(s)
        self._agenda = service._agenda(s)
        self._changed: dict[str, Plan] = {}
        self._deleted: set[str] = set()
        self._texts: dict[str, str] | None = None  # plan id -> its text, to search ids in

    def _open_plan_ids(self, officer_ids: Iterable[str]) -> set[str]:
        return self._agenda.plan_ids_of(officer_ids) - self._deleted

    def _linked_plan_ids(self, checkin_id: str) -> set[str]:
        """Every plan, open or closed, that may name this check-in (a contact, or a step done
        by it; a plan whose text merely contains the id is harmless, the caller finds nothing
        to change). A plan the check-in closed is no longer in the agenda, so this opens every
        plan (once per transaction, without reading them in full): only when a check-in is
        deleted, moved in time or taken off an officer, which must undo what it did even in a
        closed plan."""
        if self._texts is None:
            self._texts = {i: text for i, text in self._plans.texts() if text is not None}
        found = {i for i, text in self._texts.items() if checkin_id in text}
        return found - self._deleted

    def _note_texts(self, plan: Plan) -> None:
        if self._texts is not None:  # keep the search current with this transaction's changes
            self._texts[plan.id] = " ".join(e.checkin_id for e in plan.events)

    def _load(self, plan_id: str) -> Plan | None:
        """The plan, None when there is none. Raises TamperError for a damaged one."""
        if plan_id in self._changed:
            return self._changed[plan_id]
        return self._plans.get(plan_id)

    def _readable(self, plan_id: str) -> Plan | None:
        """The plan, or None when missing or damaged: a damaged plan never blocks saving a
        check-in; it stays as it is for verify to report."""
        try:
            return self._load(plan_id)
        except TamperError:
            return None

    def checkin_saved(
        self, checkin: CheckIn, previous: CheckIn | None, incident_at: datetime | None = None,
        completes: tuple[str, str] | None = None,
    ) -> list[str]:
        """Make plans for a check-in that wants follow-up, record it as a contact in the open
        plans of its officers, and complete ``completes`` (plan id, step id). Returns the ids
        of plans created."""
        officers = _officers_of(checkin)
        before = _officers_of(previous) if previous is not None else set()
        policy = self._service.policy
        created: list[str] = []
        wants = checkin.follow_up and completes is None
        # follow-up unticked, or an officer taken off the check-in: their plan goes
        for officer_id in (before - officers) if wants else before:
            self._delete(self._plans.plan_id(checkin.id, officer_id))
        if completes is not None:
            plan = self._load(completes[0])  # a damaged plan: the save fails, nothing lost
            if plan is None:
                raise RecordNotFoundError("That follow-up plan no longer exists.")
            # a board item names a milestone by position (``#32768``): accept both forms
            plan.record(Event("done", checkin.occurred_at, step_id=_resolve(plan, completes[1]),
                              checkin_id=checkin.id))
            self._changed[plan.id] = plan
        if wants:
            dead = self._plans.deceased()
            templates = policy.templates
            for officer_id in sorted(officers):
                plan_id = self._plans.plan_id(checkin.id, officer_id)
                try:
                    plan = self._load(plan_id)
                except TamperError:
                    continue  # never overwrite a damaged plan
                if plan is None:
                    plan = new_plan(
                        plan_id, checkin.id, officer_id, checkin.incident_category,
                        incident_at or checkin.occurred_at, policy.zone,
                        templates.get(checkin.incident_category, ()), policy.now(),
                        deceased=officer_id in dead,
                    )
                    created.append(plan_id)
                else:
                    plan.category = checkin.incident_category
                    if incident_at is not None:
                        plan.incident_at = incident_at
                self._changed[plan_id] = plan
        involved = officers | before
        candidates = self._open_plan_ids(involved)
        if previous is not None and (before - officers
                                     or previous.occurred_at != checkin.occurred_at):
            candidates |= self._linked_plan_ids(checkin.id)
        for plan_id in candidates:
            plan = self._readable(plan_id)
            if plan is None or plan.officer_id not in involved:
                continue
            at = checkin.occurred_at if plan.officer_id in officers else None
            if plan.set_contact(checkin.id, at):
                self._changed[plan_id] = plan
        self._flush()
        return created

    def checkin_deleted(self, checkin: CheckIn) -> None:
        officers = _officers_of(checkin)
        for officer_id in officers:
            self._delete(self._plans.plan_id(checkin.id, officer_id))
        for plan_id in self._open_plan_ids(officers) | self._linked_plan_ids(checkin.id):
            plan = self._readable(plan_id)
            if plan is not None and plan.set_contact(checkin.id, None):
                self._changed[plan_id] = plan
        self._flush()

    def unreadable_checkin_deleted(self, checkin_id: str) -> None:
        """Its officers cannot be read, so every plan is opened to find the ones it made or
        was a contact in (rare: only for a check-in that failed authentication)."""
        for plan_id, plan in self._plans.all():
            if plan is None:
                continue
            if plan.checkin_id == checkin_id:
                self._delete(plan_id)
            elif plan.set_contact(checkin_id, None):
                self._changed[plan_id] = plan
        self._flush()

    def officer_merged(self, checkin_id: str, keep_id: str, merge_id: str) -> None:
        """Move the plan of (check-in, merged officer) to the officer kept."""
        old_id = self._plans.plan_id(checkin_id, merge_id)
        plan = self._readable(old_id)
        if plan is None:
            return
        new_id = self._plans.plan_id(checkin_id, keep_id)
        self._delete(old_id)
        if self._load(new_id) is None:
            self._deleted.discard(new_id)
            self._changed[new_id] = with_officer(plan, new_id, keep_id)
        self._flush()

    def officer_forgotten(self, officer_id: str) -> None:
        dead = self._plans.deceased()
        if officer_id in dead:
            dead.discard(officer_id)
            self._plans.set_deceased(dead)

    def _delete(self, plan_id: str) -> None:
        self._changed.pop(plan_id, None)
        if self._plans.delete(plan_id):
            self._deleted.add(plan_id)

    def _flush(self) -> None:
        for plan in self._changed.values():
            self._plans.put(plan)
            self._note_texts(plan)
        touched = set(self._changed) | self._deleted
        if touched:
            self._agenda = self._agenda.replaced(
                touched, [e for p in self._changed.values() for e in agenda_entries(p)])
            self._store.save(self._agenda)
        self._changed.clear()
        self._deleted.clear()


def _resolve(plan: Plan, step_id: str) -> str:
    return step_id_at(plan, int(step_id[1:])) if step_id.startswith("#") else step_id


def _officers_of(checkin: CheckIn) -> set[str]:
    return {o for o in [checkin.officer_id, *checkin.group_officer_ids] if o is not None}
