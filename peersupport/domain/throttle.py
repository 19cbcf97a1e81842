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
