"""Statistics dashboard speed budget (issue 6): the dashboard's queries over 1,000,000
statistics records, against SQLite running the same statements directly, in one run.

A fresh vault (fast KDF profile: the key derivation is not measured) gets 1,000,000 synthetic
statistics records written with ``StatRepository.insert_many`` in batches: random codes for
every dimension, spread evenly over 36 months; about 30% with one or two referral types, about
10% completing a follow-up step (on time or late). No check-ins: the statistics table alone.

Measured, interleaved, median of the repetitions (3 by default):

(a) ``StatisticsService.counts(first, last)``: every dimension, by month, over the 36 months
    (one transaction; one GROUP BY per column, plus referral types and follow-ups: 7
    statements, results turned into the service's dictionaries);
(b) the baseline: the same 7 GROUP BY statements (same columns, same WHERE, same grouping)
    run with the ``sqlite3`` module directly on the same file, rows fetched, nothing else.
    **PASS when (a) / (b) is at most 2.0.**
(c) for information: ``my_tables`` + ``share_preview`` (the tables and their suppression,
    k = 5) for the 36 months, and ``share_preview`` alone on a sparse vault of 2,000 records
    (where there is much to suppress).

Run:  .venv/bin/python benchmarks/bench_stats.py [--records N] [--runs 7]
Exit code 0 when the budget is met, 1 otherwise.
"""

from __future__ import annotations

import argparse
import gc
import random
import sqlite3
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

# Works from a source checkout too (without `pip install -e .`).
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from peersupport.crypto.kdf import KdfProfile
from peersupport.domain import codes
from peersupport.domain.stats import LATE, MONTH, ON_TIME, SUPPRESSED, StatRecord, months_between
from peersupport.paths import ensure, private_umask
from peersupport.services.statistics import ShareRange
from peersupport.services.vault import UnlockedVault, VaultService, new_recovery_key
from peersupport.store.stat_records import COLUMNS, StatRepository

PASSPHRASE = "benchmark harbor lantern quarry velvet"
BENCH_PROFILE = KdfProfile(  # the KDF is excluded: a fast local profile, never the shipped one
    name="benchmark-fast", memory_kib=1024, lanes=1, min_iterations=1,
    floor_memory_kib=1024, floor_iterations=1, floor_lanes=1, target_seconds=None,
)
FIRST, LAST = "2023-01", "2025-12"  # 36 months
BATCH = 20_000
BUDGET_RATIO = 2.0
K = 5

# The statements StatRepository.counts runs, written out for sqlite3 (same columns, WHERE and
# GROUP BY as the SQLAlchemy ones).
RAW_STATEMENTS = [
    f"SELECT stat_record.{column}, stat_record.period, count(*) FROM stat_record "  # noqa: S608
    "WHERE stat_record.period >= ? AND stat_record.period <= ? "
    f"GROUP BY stat_record.{column}, stat_record.period"
    for column in COLUMNS
] + [
    "SELECT stat_record.referral_types, stat_record.period, count(*) FROM stat_record "
    "WHERE stat_record.period >= ? AND stat_record.period <= ? "
    "GROUP BY stat_record.referral_types, stat_record.period",
    "SELECT stat_record.followup, stat_record.period, count(*) FROM stat_record "
    "WHERE stat_record.period >= ? AND stat_record.period <= ? AND stat_record.followup != ? "
    "GROUP BY stat_record.followup, stat_record.period",
]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:8.1f} ms"


def _records(rng: random.Random, n: int, months: list[str]) -> list[tuple[str, StatRecord]]:
    category = list(codes.INCIDENT_CATEGORIES)
    contact = list(codes.CONTACT_TYPES)
    initiated = list(codes.INITIATED_BY)
    recipient = list(codes.RECIPIENT_CLASSES)
    bucket = list(codes.DURATION_BUCKETS)
    referral = list(codes.REFERRAL_TYPES)
    out = []
    for _ in range(n):
        r = rng.random()
        types: tuple[str, ...] = ()
        if r < 0.25:
            types = (rng.choice(referral),)
        elif r < 0.30:
            types = tuple(sorted(rng.sample(referral, 2)))
        f = rng.random()
        followup = ON_TIME if f < 0.08 else LATE if f < 0.10 else ""
        out.append((str(uuid.UUID(int=rng.getrandbits(128), version=4)), StatRecord(
            period=rng.choice(months), incident_category=rng.choice(category),
            contact_type=rng.choice(contact), initiated_by=rng.choice(initiated),
            recipient_class=rng.choice(recipient), duration_bucket=rng.choice(bucket),
            referral_types=types, followup=followup)))
    return out


def seed(root: Path, records: int, seed_value: int) -> tuple[VaultService, float, float]:
    """A vault holding ``records`` statistics records. Returns (service, seconds, MB)."""
    started = time.perf_counter()
    service = VaultService(ensure(root), BENCH_PROFILE)
    key, _ = new_recovery_key()
    vault = service.create(PASSPHRASE, key)
    key.wipe()
    rng = random.Random(seed_value)
    months = months_between(FIRST, LAST)
    try:
        done = 0
        while done < records:
            n = min(BATCH, records - done)
            with vault.transaction() as session:
                StatRepository(session, vault.sealer).insert_many(_records(rng, n, months))
            done += n
    finally:
        vault.lock()
    seconds = time.perf_counter() - started
    return service, seconds, service.data_dir.database.stat().st_size / 1e6


def service_counts(vault: UnlockedVault) -> Callable[[], int]:
    stats = vault.statistics()

    def run() -> int:
        counted = stats.counts(FIRST, LAST)
        return sum(n for (code, _), n in counted["contact_type"].items())

    return run


def raw_counts(database: Path) -> tuple[Callable[[], int], sqlite3.Connection]:
    connection = sqlite3.connect(database)

    def run() -> int:
        total = 0
        for i, sql in enumerate(RAW_STATEMENTS):
            params: tuple[Any, ...] = (FIRST, LAST, "") if i == len(RAW_STATEMENTS) - 1 \
                else (FIRST, LAST)
            rows = connection.execute(sql, params).fetchall()
            if i == 1:  # contact_type
                total = sum(n for _, _, n in rows)
        return total

    return run, connection


def try_covering(database: Path, ours: Callable[[], int],
                 raw: Callable[[], int]) -> tuple[float, float, float]:
    """An experiment, not the shipped schema: covering indexes for the GROUP BY statements.
    Returns (service, sqlite3, database MB), medians of 3."""
    connection = sqlite3.connect(database)
    try:
        for column in (*COLUMNS, "referral_types", "followup"):
            connection.execute(f"CREATE INDEX bench_{column} ON stat_record (period, {column})")
        connection.commit()
    finally:
        connection.close()
    results: dict[str, list[float]] = {"service": [], "raw": []}
    for _ in range(3):
        for name, fn in (("service", ours), ("raw", raw)):
            results[name].append(timed(fn)[0])
    return (statistics.median(results["service"]), statistics.median(results["raw"]),
            database.stat().st_size / 1e6)


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    gc.collect()
    started = time.perf_counter()
    result = fn()
    return time.perf_counter() - started, result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1_000_000,
                        help="statistics records in the vault (default 1,000,000)")
    parser.add_argument("--runs", type=int, default=3, help="repetitions")
    parser.add_argument("--try-covering-indexes", action="store_true",
                        help="then, as an experiment, add an index (period, column) for each "
                        "counted column to the benchmark's vault and time (a) and (b) again")
    args = parser.parse_args(argv)
    private_umask()
    print("peersupport benchmark: statistics dashboard")
    print(f"  python {sys.version.split()[0]}; sqlite {sqlite3.sqlite_version}; "
          f"{args.records:,} statistics records over 36 months ({FIRST} to {LAST}); "
          f"KDF excluded; median of {args.runs}")
    with tempfile.TemporaryDirectory(prefix="peersupport-bench-") as tmp:
        service, seconds, size = seed(Path(tmp) / "large", args.records, seed_value=1)
        print(f"  made in {seconds:.1f} s (insert_many, {BATCH:,} a batch); database "
              f"{size:.0f} MB")
        sparse, _, _ = seed(Path(tmp) / "sparse", 2_000, seed_value=2)

        vault = service.unlock(PASSPHRASE)
        raw, connection = raw_counts(service.data_dir.database)
        try:
            ours = service_counts(vault)
            # no warm-up run (each takes seconds at this size): the file was just written,
            # so it is in the OS cache already
            times: dict[str, list[float]] = {"service": [], "raw": []}
            for _ in range(args.runs):
                for name, fn in (("service", ours), ("raw", raw)):
                    seconds, answer = timed(fn)
                    assert answer == args.records, (name, answer)  # the same answer
                    times[name].append(seconds)
            share = ShareRange(FIRST, LAST, MONTH)
            stats = vault.statistics()
            started = time.perf_counter()  # once: it runs counts() twice
            stats.my_tables(share)
            preview = stats.share_preview(share, K)
            preview_seconds = time.perf_counter() - started
            covering = try_covering(service.data_dir.database, ours, raw) \
                if args.try_covering_indexes else None
        finally:
            connection.close()
            vault.lock()
        hidden = sum(v == SUPPRESSED for t in preview.values() for v in t.values())
        values = sum(1 for t in preview.values() for _ in t.values())

        small = sparse.unlock(PASSPHRASE)
        try:
            sparse_stats = small.statistics()
            sparse_stats.share_preview(share, K)
            sparse_times = []
            for _ in range(max(3, args.runs // 2)):
                started = time.perf_counter()
                sparse_preview = sparse_stats.share_preview(share, K)
                sparse_times.append(time.perf_counter() - started)
        finally:
            small.lock()
        sparse_hidden = sum(v == SUPPRESSED for t in sparse_preview.values()
                            for v in t.values())
        sparse_values = sum(1 for t in sparse_preview.values() for _ in t.values())

    service_ms = statistics.median(times["service"])
    raw_ms = statistics.median(times["raw"])
    ratio = service_ms / raw_ms
    print(f"\n(a) StatisticsService.counts({FIRST!r}, {LAST!r}): every dimension by month, "
          f"{len(RAW_STATEMENTS)} statements")
    print(f"  median {ms(service_ms)}  (min {ms(min(times['service']))}, max "
          f"{ms(max(times['service']))})")
    print(f"(b) sqlite3 directly, the same {len(RAW_STATEMENTS)} GROUP BY statements on the "
          "same file")
    print(f"  median {ms(raw_ms)}  (min {ms(min(times['raw']))}, max {ms(max(times['raw']))})")
    print(f"  ratio service/raw: {ratio:.2f} (budget {BUDGET_RATIO})")
    print("\n(c) for information: my_tables + share_preview (k = 5), 36 months, 8 tables")
    print(f"  {args.records:,} records: {ms(preview_seconds)} "
          f"({hidden:,} of {values:,} values suppressed)")
    print(f"  2,000 records, share_preview alone: median "
          f"{ms(statistics.median(sparse_times))} ({sparse_hidden:,} of {sparse_values:,} "
          "values suppressed)")
    if covering is not None:
        print("\n(d) experiment: the same after CREATE INDEX (period, column) for each of the 7 "
              "counted columns")
        print(f"  service {ms(covering[0])}, sqlite3 {ms(covering[1])}, ratio "
              f"{covering[0] / covering[1]:.2f}; database {covering[2]:.0f} MB")
    ok = ratio <= BUDGET_RATIO
    print(f"\n{'PASS' if ok else 'FAIL'}: (a)/(b) ratio {ratio:.2f} within {BUDGET_RATIO}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
