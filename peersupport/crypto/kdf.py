"""Passphrase -> key-encryption key with Argon2id, calibrated per machine.

A :class:`KdfProfile` says which parameters a vault is created with and the floor below
which stored parameters are refused. The shipped program only knows :data:`PRODUCTION`;
tests build their own fast profile explicitly (see ``tests/conftest.py``).
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass

from cryptography.hazmat.primitives.kdf.argon2 import Argon2id

from peersupport.crypto.errors import WeakParametersError
from peersupport.crypto.secret import SecretKey

ALGORITHM = "argon2id"
KEY_LENGTH = 32
SALT_LENGTH = 16


@dataclass(frozen=True)
class KdfParams:
    algorithm: str
    memory_kib: int
    iterations: int
    lanes: int
    salt: bytes

    def canonical(self) -> bytes:
        """Stable encoding bound into the key wrap's associated data."""
        fields = asdict(self)
        fields["salt"] = self.salt.hex()
        return json.dumps(fields, sort_keys=True, separators=(",", ":")).encode()

    def with_new_salt(self) -> KdfParams:
        return KdfParams(
            self.algorithm, self.memory_kib, self.iterations, self.lanes,
            secrets.token_bytes(SALT_LENGTH),
        )


@dataclass(frozen=True)
class KdfProfile:
    """Creation parameters, calibration target and acceptance floor."""

    name: str
    memory_kib: int
    lanes: int
    min_iterations: int
    floor_memory_kib: int
    floor_iterations: int
    floor_lanes: int
    target_seconds: float | None  # None: no calibration, use min_iterations
    max_iterations: int = 64

    def check(self, params: KdfParams) -> None:
        """Refuse parameters weaker than this profile's floor."""
        if (
            params.algorithm != ALGORITHM
            or params.memory_kib < self.floor_memory_kib
            or params.iterations < self.floor_iterations
            or params.lanes < self.floor_lanes
            or len(params.salt) < SALT_LENGTH
        ):
            raise WeakParametersError(
                "the vault's key-derivation parameters are below the accepted minimum"
            )


PRODUCTION = KdfProfile(
    name="production",
    memory_kib=64 * 1024,
    lanes=4,
    min_iterations=3,
    floor_memory_kib=64 * 1024,
    floor_iterations=3,
    floor_lanes=4,
    target_seconds=0.75,
)


def derive_kek(passphrase: str, params: KdfParams) -> SecretKey:
    out = bytearray(KEY_LENGTH)
    kdf = Argon2id(
        salt=params.salt,
        length=KEY_LENGTH,
        iterations=params.iterations,
        lanes=params.lanes,
        memory_cost=params.memory_kib,
    )
    kdf.derive_into(passphrase.encode("utf-8"), out)
    return SecretKey(out)


def _clamp(profile: KdfProfile, iterations: int) -> int:
    return max(profile.min_iterations, min(iterations, profile.max_iterations))


def new_params(
    profile: KdfProfile, clock: Callable[[], float] = time.perf_counter
) -> KdfParams:
    """Fresh salt; iterations calibrated so one derivation takes about the target time."""
    salt = secrets.token_bytes(SALT_LENGTH)
    iterations = profile.min_iterations
    if profile.target_seconds is not None:
        probe = KdfParams(ALGORITHM, profile.memory_kib, iterations, profile.lanes, salt)
        # The first run pays for page faults on fresh memory; time the faster of two.
        timings = []
        for _ in range(2):
            started = clock()
            derive_kek("calibration probe", probe).wipe()
            timings.append(max(clock() - started, 1e-6))
        per_iteration = min(timings) / iterations
        iterations = _clamp(profile, int(profile.target_seconds / per_iteration))
        # Cost is not quite linear in iterations; one check at the estimate refines it.
        check = KdfParams(ALGORITHM, profile.memory_kib, iterations, profile.lanes, salt)
        started = clock()
        derive_kek("calibration probe", check).wipe()
        elapsed = max(clock() - started, 1e-6)
        iterations = _clamp(profile, round(iterations * profile.target_seconds / elapsed))
    params = KdfParams(ALGORITHM, profile.memory_kib, iterations, profile.lanes, salt)
    profile.check(params)
    return params
