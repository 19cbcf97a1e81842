"""Passphrase strength policy, scored with zxcvbn (pure Python, no I/O)."""

from __future__ import annotations

from dataclasses import dataclass

from zxcvbn import zxcvbn

MIN_SCORE = 3
MIN_LENGTH = 10
MAX_LENGTH = 1024
_LABELS = ("Very weak", "Weak", "Fair", "Strong", "Very strong")


@dataclass(frozen=True)
class Strength:
    score: int  # 0..4
    label: str
    acceptable: bool
    feedback: str
    crack_time: str


def assess(passphrase: str, user_inputs: tuple[str, ...] = ()) -> Strength:
    if not passphrase:
        return Strength(0, _LABELS[0], False, "Choose a passphrase.", "")
    if len(passphrase) > MAX_LENGTH:
        return Strength(0, _LABELS[0], False, "That passphrase is too long.", "")
    # zxcvbn is slow on very long inputs; the first 100 characters decide the score anyway
    result = zxcvbn(passphrase[:100], user_inputs=list(user_inputs))
    score = int(result["score"])
    hints: list[str] = []
    warning = result["feedback"].get("warning") or ""
    if warning:
        hints.append(str(warning))
    hints.extend(str(s) for s in result["feedback"].get("suggestions", []))
    too_short = len(passphrase) < MIN_LENGTH
    if too_short:
        hints.insert(0, f"Use at least {MIN_LENGTH} characters.")
    if not hints and score < MIN_SCORE:
        hints.append("Add more unusual words.")
    if not hints and score < 4:
        hints.append("Good. A few more words would make it even stronger.")
    crack = str(result["crack_times_display"]["offline_slow_hashing_1e4_per_second"])
    acceptable = score >= MIN_SCORE and not too_short
    return Strength(score, _LABELS[score], acceptable, " ".join(hints), crack)


def mismatch_message(first: str, second: str) -> str | None:
    if second and first != second:
        return "The two passphrases do not match."
    return None
