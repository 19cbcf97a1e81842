"""A growing delay after repeated wrong passphrases (in memory; resets when the app restarts).

The Argon2id cost (about a second per guess) is the real brake; this delay keeps someone at
the keyboard from trying a list of guesses in a few minutes.
"""

from __future__ import annotations

FREE_ATTEMPTS = 3
MAX_DELAY_S = 60


class UnlockThrottle:
    def __init__(self) -> None:
        self.failures = 0

    def record_failure(self) -> int:
        """Count a failure; return the seconds to wait before the next attempt."""
        self.failures += 1
        return self.delay_seconds()

    def delay_seconds(self) -> int:
        extra = self.failures - FREE_ATTEMPTS + 1
        if extra <= 0:
            return 0
        return int(min(MAX_DELAY_S, 2 ** extra))

    def reset(self) -> None:
        self.failures = 0


class RateLimiter:
    """At most ``per_minute`` events in any 60 seconds (in memory). ``now`` is seconds on
    a monotonic clock, passed in so tests can move time."""

    WINDOW_S = 60.0

    def __init__(self, per_minute: int) -> None:
        self.per_minute = max(1, int(per_minute))
        self._times: list[float] = []

    def _trim(self, now: float) -> None:
        self._times = [t for t in self._times if now - t < self.WINDOW_S]

    def wait_seconds(self, now: float) -> int:
        """0 if one more event is allowed now, else the whole seconds until it is."""
        self._trim(now)
        if len(self._times) < self.per_minute:
            return 0
        return max(1, int(self.WINDOW_S - (now - self._times[0]) + 0.999))

    def record(self, now: float) -> None:
        self._trim(now)
        self._times.append(now)
