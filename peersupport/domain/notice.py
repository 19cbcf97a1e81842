"""The confidentiality notice an officer is shown before a first peer-support contact."""

from __future__ import annotations

DEFAULT_NOTICE = """\
CONFIDENTIALITY OF PEER SUPPORT

What you say to a peer supporter is confidential peer support communication. Under the \
federal COPS Counseling Act (34 U.S.C. 50901) it is not disclosed to your department, your \
supervisors or anyone else, and it is never used for discipline.

The limits of confidentiality. A peer supporter may or must disclose what is necessary when:
  - you make an explicit threat of suicide and state an intent and a plan;
  - you make an explicit threat of imminent and serious physical harm or death to another \
person;
  - you disclose abuse or neglect of a child, an elderly person or a vulnerable adult;
  - you admit to criminal conduct;
  - everyone who took part in the conversation consents to disclosure;
  - a court orders it, or a subpoena or another law requires it.

State law may add limits. In some states there is no privilege when the peer supporter was \
a witness to, or a party in, the incident being discussed.

The peer supporter is a trained colleague, not a counselor. Ask at any time for a referral \
to a licensed clinician, a chaplain or your Employee Assistance Program.

Crisis help, any time: call or text 988. COPLINE (by and for officers): 1-800-267-5463.
"""

MAX_NOTICE_LENGTH = 20_000


def validate_notice(text: str) -> str | None:
    """Return an error message for an unusable notice, or None."""
    stripped = text.strip()
    if len(stripped) < 40:
        return "The notice is too short to tell an officer the limits of confidentiality."
    if len(stripped) > MAX_NOTICE_LENGTH:
        return f"The notice is longer than {MAX_NOTICE_LENGTH:,} characters."
    return None
