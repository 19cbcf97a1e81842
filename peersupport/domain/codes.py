"""Stable codes for what a check-in records. Exports, the command line and reports use the
codes; screens show the labels. Never renumber or rename a code."""

from __future__ import annotations

from types import MappingProxyType

Codes = MappingProxyType  # code -> English label, in display order


def _codes(*pairs: tuple[str, str]) -> MappingProxyType[str, str]:
    return MappingProxyType(dict(pairs))


INCIDENT_CATEGORIES = _codes(
    ("officer_involved_shooting", "Officer-involved shooting / deadly force"),
    ("line_of_duty_death", "Line-of-duty death"),
    ("line_of_duty_injury", "Serious line-of-duty injury"),
    ("assault_on_officer", "Assault on an officer"),
    ("coworker_suicide", "Co-worker suicide"),
    ("child_death_or_injury", "Death or serious injury of a child"),
    ("mass_casualty", "Mass-casualty incident"),
    ("fatal_collision", "Fatal or multi-fatality collision"),
    ("in_custody_death", "In-custody death"),
    ("school_threat", "School threat / weapon on campus"),
    ("prolonged_or_high_profile", "Prolonged or high-profile event"),
    ("victim_known_to_responder", "Victim known to the responder"),
    ("cumulative_stress", "Cumulative stress / not incident-related"),
    ("personal_or_family", "Personal or family matter"),
    ("other", "Other"),
    ("undisclosed", "Undisclosed"),
)

CONTACT_TYPES = _codes(
    ("in_person", "One-on-one, in person"),
    ("phone", "Phone"),
    ("video_or_text", "Video or text"),
    ("defusing", "Defusing (group)"),
    ("debriefing", "Debriefing / CISD (group)"),
    ("crisis_briefing", "Crisis management briefing"),
    ("family_support", "Family support"),
    ("follow_up", "Follow-up contact"),
    ("education", "Pre-incident education"),
)
GROUP_CONTACT_TYPES = frozenset({"defusing", "debriefing", "crisis_briefing"})

INITIATED_BY = _codes(
    ("self", "Self-referred"),
    ("peer_outreach", "Peer outreach"),
    ("supervisor_referral", "Supervisor referral"),
    ("post_incident_activation", "Post-incident activation"),
    ("other_agency", "Another agency"),
)

RECIPIENT_CLASSES = _codes(
    ("sworn", "Sworn"),
    ("civilian", "Civilian / dispatch"),
    ("family", "Family member"),
    ("other_agency", "Other agency"),
)

DURATION_BUCKETS = _codes(
    ("under_15", "Under 15 min"),
    ("15_30", "15-30 min"),
    ("30_60", "30-60 min"),
    ("over_60", "Over 60 min"),
)

REFERRAL_TYPES = _codes(
    ("eap", "Employee Assistance Program"),
    ("clinician", "Psychologist / licensed clinician"),
    ("chaplain", "Chaplain"),
    ("substance_use", "Substance-use treatment"),
    ("medical", "Medical"),
    ("financial_legal", "Financial or legal help"),
    ("family_resources", "Family resources"),
    ("crisis_line", "Crisis line (988, COPLINE)"),
)

RISK_LEVELS = _codes(
    ("none", "None"),
    ("low", "Low"),
    ("moderate", "Moderate"),
    ("high", "High"),
    ("imminent", "Imminent"),
)
HIGH_RISK = frozenset({"high", "imminent"})

EXCEPTION_FLAGS = _codes(
    ("threat_to_self", "Threat to self with intent and plan"),
    ("threat_to_others", "Threat of serious harm to others"),
    ("abuse_of_vulnerable", "Abuse or neglect of a child or vulnerable person"),
    ("admitted_crime", "Admission of criminal conduct"),
    ("witness_or_party", "I was a witness to or party in the incident"),
)


def duration_bucket(minutes: int) -> str:
    if minutes < 15:
        return "under_15"
    if minutes < 30:
        return "15_30"
    if minutes <= 60:
        return "30_60"
    return "over_60"
