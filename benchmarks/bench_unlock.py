"""Unlock of an empty vault, excluding the key derivation: budget 100 ms.

The vault is created with the PRODUCTION key-derivation profile (Argon2id, 64 MiB, calibrated
to about 0.75 s on this machine) in a temporary folder. Argon2id is deliberately slow and is
measured separately; the budget is for everything else unlock does: open the database, read
the vault row and the passphrase slot, check the KDF parameters against the floor, unwrap the
data key with AES-256-GCM, check the migration revision and build the unlocked vault.

How the KDF is excluded: ``peersupport.crypto.kdf.derive_kek`` is replaced, for the timed
runs only, by a function that returns a copy of the key-encryption key derived once beforehand
with the stored parameters (it checks that it is asked for exactly those parameters). Every
other line of ``VaultService.unlock`` runs unchanged. As a cross-check, a few full unlocks
(with Argon2id) are timed and the KDF time is subtracted.

Run:  .venv/bin/python benchmarks/bench_unlock.py [--runs 20] [--budget-ms 100]
Exit code 0 when the p90 is within the budget, 1 otherwise.
"""

from __future__ import annotations

import argparse
import gc
import math
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

# Works from a source checkout too (without `pip install -e .`).
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from peersupport.crypto import kdf
from peersupport.crypto.secret import SecretKey
from peersupport.paths import ensure, private_umask
from peersupport.services.vault import VaultService, new_recovery_key
from peersupport.store import vault_meta
from peersupport.store.engine import sqlite_engine

PASSPHRASE = "benchmark harbor lantern quarry velvet"


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile (no interpolation): p90 of 20 runs is the 18th smallest."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), math.ceil(fraction * len(ordered))))
    return ordered[rank - 1]


def stored_params(service: VaultService) -> kdf.KdfParams:
    from sqlalchemy.orm import Session

    engine = sqlite_engine(service.data_dir.database)
    try:
        with Session(engine) as session:
            found = vault_meta.read_slot(session, "passphrase")
    finally:
        engine.dispose()
    if found is None:
        raise SystemExit("benchmark: the new vault has no passphrase slot")
    return found[1].params


@contextmanager
def kdf_precomputed(passphrase: str, params: kdf.KdfParams) -> Iterator[None]:
    """Replace Argon2id by its known result for (passphrase, params), nothing else."""
    real: Callable[[str, kdf.KdfParams], SecretKey] = kdf.derive_kek
    kek = real(passphrase, params)
    material = bytes(kek.buffer)
    kek.wipe()

    def precomputed(given_passphrase: str, given_params: kdf.KdfParams) -> SecretKey:
        if given_passphrase != passphrase or given_params != params:
            raise AssertionError("unlock asked for a different derivation than the stored one")
        return SecretKey(material)  # a fresh copy: unlock wipes the one it gets

    kdf.derive_kek = precomputed  # type: ignore[assignment]
    try:
        yield
    finally:
        kdf.derive_kek = real  # type: ignore[assignment]


def time_unlock(service: VaultService) -> float:
    """Seconds for one unlock; the vault is locked again outside the timed region."""
    started = time.perf_counter()
    opened = service.unlock(PASSPHRASE)
    elapsed = time.perf_counter() - started
    opened.lock()
    return elapsed


def ms(seconds: float) -> str:
    return f"{seconds * 1000:8.1f} ms"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20, help="timed unlocks (default 20)")
    parser.add_argument("--full-runs", type=int, default=3,
                        help="full unlocks with Argon2id for the cross-check (default 3)")
    parser.add_argument("--budget-ms", type=float, default=100.0, help="budget (default 100)")
    args = parser.parse_args(argv)

    private_umask()
    with tempfile.TemporaryDirectory(prefix="peersupport-bench-") as tmp:
        data_dir = ensure(Path(tmp) / "vault")
        service = VaultService(data_dir, kdf.PRODUCTION)

        print("peersupport benchmark: unlock of an empty vault, excluding the KDF")
        print(f"  python {sys.version.split()[0]}, runs {args.runs}, budget {args.budget_ms:g} ms")
        started = time.perf_counter()
        key, _text = new_recovery_key()
        service.create(PASSPHRASE, key).lock()
        key.wipe()
        print(f"  vault created (production profile, incl. calibration): "
              f"{ms(time.perf_counter() - started).strip()}")
        params = stored_params(service)
        print(f"  stored KDF parameters: {params.algorithm}, {params.memory_kib // 1024} MiB, "
              f"t={params.iterations}, p={params.lanes}")

        # Cross-check: full unlocks with Argon2id, and Argon2id alone.
        full = [time_unlock(service) for _ in range(args.full_runs)]
        derive: list[float] = []
        for _ in range(args.full_runs):
            t0 = time.perf_counter()
            kdf.derive_kek(PASSPHRASE, params).wipe()
            derive.append(time.perf_counter() - t0)

        with kdf_precomputed(PASSPHRASE, params):
            runs = []
            for _ in range(args.runs):
                gc.collect()
                runs.append(time_unlock(service))

    median = statistics.median(runs)
    p90 = percentile(runs, 0.90)
    budget = args.budget_ms / 1000
    verdict = "PASS" if p90 <= budget else "FAIL"

    kdf_median = statistics.median(derive)
    full_median = statistics.median(full)
    rows = [
        (f"Argon2id alone, median of {len(derive)}", kdf_median),
        (f"full unlock with Argon2id, median of {len(full)}", full_median),
        ("full unlock minus Argon2id (noisy check)", full_median - kdf_median),
        ("", None),
        ("unlock excluding KDF, min", min(runs)),
        ("unlock excluding KDF, median", median),
        ("unlock excluding KDF, p90", p90),
        ("unlock excluding KDF, max", max(runs)),
    ]
    print()
    for label, value in rows:
        print(f"  {label + ':':<44}{ms(value)}" if value is not None else "")
    print()
    print(f"{verdict}: p90 {p90 * 1000:.1f} ms {'<=' if p90 <= budget else '>'} "
          f"budget {args.budget_ms:g} ms (median {median * 1000:.1f} ms)")
    return 0 if verdict == "PASS" else 1


if __name__ == "__main__":
    raise SystemExit(main())
