"""Short guidance shown (never blocking) when a check-in records risk or an exception."""

from __future__ import annotations

from peersupport.domain import codes

CRISIS_RESOURCES = (
    "Crisis help, any time: call or text 988 (Suicide & Crisis Lifeline). "
    "COPLINE, by and for officers: 1-800-267-5463. Emergency: 911."
)

_RISK = (
    "High or imminent risk: do not leave the officer alone if the danger is immediate. "
    "Connect them with a clinician or crisis line now, and follow your program's protocol. "
    "Confidentiality does not stop you from acting to keep someone alive: an explicit threat "
    "of suicide with intent and a plan is an exception under 34 U.S.C. 50901."
)
_EXCEPTIONS = {
    "threat_to_self": "Threat to self with intent and plan: an exception to confidentiality. "
    "You may disclose what is needed to keep the officer safe.",
    "threat_to_others": "Threat of imminent serious harm to others: an exception. Disclose "
    "what is needed to prevent it, following your program's protocol.",
    "abuse_of_vulnerable": "Abuse or neglect of a child, an elderly or vulnerable person: an "
    "exception, and often a mandatory report under state law.",
    "admitted_crime": "Admission of criminal conduct: not privileged under 34 U.S.C. 50901. "
    "Consult your program coordinator about what, if anything, must be reported.",
    "witness_or_party": "You were a witness to or party in this incident: in several states "
    "(for example California, Virginia, Colorado) peer-support privilege does not apply. "
    "Consider handing this officer over to another supporter.",
}


def guidance_for(risk_level: str, exceptions: list[str]) -> list[str]:
    lines: list[str] = []
    if risk_level in codes.HIGH_RISK:
        lines.append(_RISK)
    lines.extend(_EXCEPTIONS[e] for e in exceptions if e in _EXCEPTIONS)
    if lines:
        lines.append(CRISIS_RESOURCES)
    return lines
