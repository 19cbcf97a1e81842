"""Realistic, obviously fictional check-ins for trying the app, screenshots and benchmarks.

Pure: a seeded ``random.Random`` in, officers and check-ins out. Every alias starts with
"Demo Officer", every name is marked fictional, phone numbers are in the 555-01xx range set
aside for fiction, and e-mail addresses end in ``.invalid``.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime, timedelta

from peersupport.domain import codes
from peersupport.domain.checkin import CheckIn
from peersupport.domain.officer import Officer

ALIAS_PREFIX = "Demo Officer"
YEARS_BACK = 3

_FIRST = (
    "Alex", "Sam", "Jordan", "Casey", "Riley", "Morgan", "Taylor", "Jamie", "Robin", "Drew",
    "Quinn", "Avery", "Dana", "Kim", "Lee", "Pat",
)
_LAST = (
    "Example", "Sample", "Placeholder", "Demo", "Testwood", "Mockley", "Fictional",
    "Samplesen", "Exemplar", "Dummyford",
)
_PROVIDERS = (
    "Example County EAP (fictional)", "Dr. A. Placeholder, PsyD (fictional)",
    "Demo Valley Chaplaincy (fictional)", "Sample Recovery Center (fictional)",
    "Fictional Family Services", "Example Crisis Line (fictional)",
)
SENTENCES = (
    "Met after shift in the parking lot; talked for a while about the call.",
    "Sleeping poorly since the incident, waking up around three most nights.",
    "Says the scene keeps replaying, especially the sounds.",
    "Supportive spouse at home; kids have noticed the irritability.",
    "Discussed normal reactions to abnormal events and what to expect next week.",
    "Went over the peer team's confidentiality and its limits again.",
    "Appetite is down, drinking a bit more than usual on days off.",
    "Feels the sergeant handled the debrief well; wants to keep working.",
    "Worried about the upcoming review and what it means for the career.",
    "Mentioned a similar call years ago that is coming back to mind.",
    "Agreed to try the breathing exercise before bed and to cut caffeine after noon.",
    "Gave the EAP number and offered to make the first call together.",
    "Tired, but engaged and open; humour intact.",
    "Partner on the call is struggling more; asked us to reach out to them too.",
    "Prefers to talk by phone; evenings after seven work best.",
    "Back on patrol this week; first nights were harder than expected.",
    "Family member in hospital adds to the load; schedule swaps would help.",
    "No thoughts of self-harm; knows how to reach the crisis line.",
    "Talked about exercise and getting back to the gym with the team.",
    "Frustrated with overtime and court dates stacking up.",
    "Asked about the chaplain; gave contact details.",
    "Short check-in; things are settling down.",
    "Will check again after the anniversary date next month.",
    "Recognised the warning signs and called early, which is good.",
)
_CATEGORY_WEIGHTS = {
    "cumulative_stress": 24, "personal_or_family": 18, "fatal_collision": 7,
    "assault_on_officer": 7, "child_death_or_injury": 5, "line_of_duty_injury": 5,
    "officer_involved_shooting": 3, "prolonged_or_high_profile": 4,
    "victim_known_to_responder": 3, "in_custody_death": 2, "school_threat": 2,
    "coworker_suicide": 2, "mass_casualty": 1, "line_of_duty_death": 1, "other": 10,
    "undisclosed": 6,
}
_CONTACT_WEIGHTS = {
    "in_person": 34, "phone": 26, "video_or_text": 10, "follow_up": 14, "defusing": 4,
    "debriefing": 3, "crisis_briefing": 1, "family_support": 5, "education": 3,
}
_INITIATED_WEIGHTS = {
    "self": 35, "peer_outreach": 35, "supervisor_referral": 12,
    "post_incident_activation": 15, "other_agency": 3,
}
_RECIPIENT_WEIGHTS = {"sworn": 72, "civilian": 18, "family": 7, "other_agency": 3}
_RISK_WEIGHTS = {"none": 70, "low": 21, "moderate": 7, "high": 1.7, "imminent": 0.3}
_NO_REF = frozenset({"cumulative_stress", "personal_or_family", "undisclosed"})

WEIGHTS = {  # a test checks each table covers exactly its codes
    "incident_category": _CATEGORY_WEIGHTS, "contact_type": _CONTACT_WEIGHTS,
    "initiated_by": _INITIATED_WEIGHTS, "recipient_class": _RECIPIENT_WEIGHTS,
    "risk_level": _RISK_WEIGHTS,
}


def _picker(rng: random.Random, weights: Mapping[str, float]) -> Iterator[str]:
    """Weighted choices drawn a thousand at a time (cheaper than one call per value)."""
    population = list(weights)
    cumulative: list[float] = []
    total = 0.0
    for w in weights.values():
        total += w
        cumulative.append(total)
    while True:
        yield from rng.choices(population, cum_weights=cumulative, k=1000)


def demo_officers(rng: random.Random, count: int, start: int = 1) -> list[Officer]:
    officers = []
    for n in range(start, start + count):
        first, last = rng.choice(_FIRST), rng.choice(_LAST)
        officers.append(Officer(
            alias=f"{ALIAS_PREFIX} {n:03d}",
            full_name=f"{first} {last} (fictional)",
            contact=f"555-01{n % 100:02d} · {first.lower()}.{last.lower()}@example.invalid",
        ))
    return officers


def officers_for(count: int) -> int:
    """How many officers a demo of ``count`` check-ins gets: about 25 check-ins each."""
    return max(1, min(count // 25, 1000))


def _notes(rng: random.Random, min_chars: int | None) -> str:
    if min_chars is None:
        return " ".join(rng.sample(SENTENCES, rng.randint(1, 4)))
    parts: list[str] = []
    size = -1  # the joined length: one space fewer than sentences
    while size < min_chars:
        sentence = rng.choice(SENTENCES)
        parts.append(sentence)
        size += len(sentence) + 1
    return " ".join(parts)


def demo_checkins(
    rng: random.Random, officers: Sequence[Officer], count: int, now: datetime,
    notes_chars: int | None = None,
) -> Iterator[CheckIn]:
    """``count`` check-ins spread over the last three years before ``now`` (timezone-aware),
    with a plausible mix of categories, contact types and referrals."""
    if not officers:
        raise ValueError("demo check-ins need at least one officer")
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    span = YEARS_BACK * 365 * 24 * 60  # minutes
    category = _picker(rng, _CATEGORY_WEIGHTS)
    contact = _picker(rng, _CONTACT_WEIGHTS)
    initiated = _picker(rng, _INITIATED_WEIGHTS)
    recipient = _picker(rng, _RECIPIENT_WEIGHTS)
    risk = _picker(rng, _RISK_WEIGHTS)
    referral_codes = list(codes.REFERRAL_TYPES)
    for _ in range(count):
        minutes_ago = rng.randrange(span) // 5 * 5
        when = now - timedelta(minutes=minutes_ago)
        when = when.replace(second=0, microsecond=0)
        kind = next(contact)
        cat = next(category)
        group = kind in codes.GROUP_CONTACT_TYPES
        level = next(risk)
        referrals = rng.sample(referral_codes, rng.choice((0, 0, 0, 1, 1, 2)))
        exceptions: list[str] = []
        if level in codes.HIGH_RISK and rng.random() < 0.5:
            exceptions.append("threat_to_self")
        elif rng.random() < 0.01:
            exceptions.append(rng.choice(("threat_to_others", "witness_or_party")))
        main = rng.choice(officers)
        yield CheckIn(
            occurred_at=when,
            officer_id=main.id,
            incident_category=cat,
            contact_type=kind,
            initiated_by=next(initiated),
            recipient_class=next(recipient),
            duration_minutes=rng.choice((10, 15, 20, 30, 45, 60, 90)) if not group
            else rng.choice((45, 60, 90, 120)),
            referrals=referrals,
            referral_providers=rng.choice(_PROVIDERS) if referrals else "",
            risk_level=level,
            exceptions=exceptions,
            incident_ref=(
                "" if cat in _NO_REF
                else f"DEMO-{when.year}-{rng.randrange(100000):05d}"
            ),
            notes=_notes(rng, notes_chars),
            follow_up=rng.random() < 0.25,
            headcount=rng.randint(3, 20) if group else None,
            group_officer_ids=(
                [o.id for o in rng.sample(officers, min(len(officers), 3)) if o is not main]
                if group and rng.random() < 0.5 else []
            ),
        )
