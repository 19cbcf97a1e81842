"""Check-in speed budgets (issue 3), measured against each other in one run.

(a) Unlock (KDF excluded) to the first page of rows, ``checkins().page_after(None, 200)``,
    with 100,000 check-ins against the same with 1,000: ratio at most 2. (The older
    whole-month ``page(None, 200)`` is printed too, for comparison, without a budget.)
(b) Search over every check-in's notes (and its other text fields) against a bare AES-GCM
    decrypt loop over the same notes blobs, fetched into memory first: throughput ratio at
    least 0.5.
(c) Saving one check-in (validate, seal, commit) in the 100,000 vault: median at most 50 ms.
(d) Peak memory (maximum resident set size of a fresh process) with 100,000 check-ins
    unlocked and every summary listed: at most 400 MB.

The vaults are made with the demo generator (``peersupport.services.demo``), notes of about
1 KiB, spread over three years. The key derivation is excluded from every figure, so the
vaults use a local fast KDF profile (the production floor would only add the same constant
to each unlock; ``bench_unlock.py`` measures unlock with the production profile).

Run:  .venv/bin/python benchmarks/bench_checkins.py [--large 100000] [--small 1000]
Exit code 0 when every budget is met, 1 otherwise.
"""

from __future__ import annotations

import argparse
import gc
import json
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

# Works from a source checkout too (without `pip install -e .`).
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from peersupport.crypto.kdf import KdfProfile
from peersupport.paths import DataDir, ensure, private_umask
from peersupport.services import demo
from peersupport.services.vault import VaultService, new_recovery_key

PASSPHRASE = "benchmark harbor lantern quarry velvet"
NOTES_CHARS = 1000  # padded to the 2 KiB step, like any note of about 1 KiB
# The KDF is excluded from every figure: a fast local profile, never the shipped one.
BENCH_PROFILE = KdfProfile(
    name="benchmark-fast", memory_kib=1024, lanes=1, min_iterations=1,
    floor_memory_kib=1024, floor_iterations=1, floor_lanes=1, target_seconds=None,
)
ABSENT = "zq-this-needle-is-in-no-note"


def ms(seconds: float) -> str:
    return f"{seconds * 1000:9.1f} ms"


def make_vault(root: Path, parts: list[tuple[int, datetime]]) -> VaultService:
    """A vault with ``count`` demo check-ins ending at ``now`` for each (count, now)."""
    service = VaultService(ensure(root), BENCH_PROFILE)
    key, _ = new_recovery_key()
    vault = service.create(PASSPHRASE, key)
    key.wipe()
    try:
        for seed, (count, now) in enumerate(parts):
            demo.fill(vault, count, seed=seed, now=now, notes_chars=NOTES_CHARS)
    finally:
        vault.lock()
    return service


# -- (a) unlock to the first page ------------------------------------------------------------------
@dataclass
class FirstPage:
    seconds: list[float]
    unlock_seconds: list[float]
    rows: int
    periods: int

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)


def first_page(service: VaultService, whole_months: bool) -> tuple[float, float, int, int]:
    gc.collect()
    started = time.perf_counter()
    vault = service.unlock(PASSPHRASE)
    unlocked = time.perf_counter()
    if whole_months:
        rows, damaged, _oldest = vault.checkins().page(None, 200)
        damaged_indexes: list[str] = []
    else:
        page = vault.checkins().page_after(None, 200)
        rows, damaged, damaged_indexes = page.rows, page.damaged, page.damaged_indexes
    done = time.perf_counter()
    vault.lock()
    assert not damaged and not damaged_indexes
    return done - started, unlocked - started, len(rows), len({r.period for r in rows})


def measure_first_pages(
    services: dict[str, VaultService], runs: int, whole_months: bool = False
) -> dict[str, FirstPage]:
    results = {name: FirstPage([], [], 0, 0) for name in services}
    for service in services.values():  # warm-up: imports, OS file cache
        first_page(service, whole_months)
    for _ in range(runs):  # interleaved, so drift hits every vault alike
        for name, service in services.items():
            total, unlock, rows, periods = first_page(service, whole_months)
            result = results[name]
            result.seconds.append(total)
            result.unlock_seconds.append(unlock)
            result.rows, result.periods = rows, periods
    return results


# -- (b) search against bare AES-GCM -------------------------------------------------------------
def search_against_bare(service: VaultService, runs: int) -> dict[str, float]:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM
    from sqlalchemy import select

    from peersupport.crypto.associated_data import field_aad
    from peersupport.store.checkins import CHECKIN_TABLE
    from peersupport.store.models import CheckinRow

    vault = service.unlock(PASSPHRASE)
    try:
        meta = CHECKIN_TABLE.metadata_columns
        columns = [CheckinRow.id, CheckinRow.key_id, CheckinRow.schema_version,
                   *(getattr(CheckinRow, c) for c in meta), CheckinRow.notes_sealed]
        with vault.transaction() as session:
            started = time.perf_counter()
            rows = list(session.execute(select(*columns)))
            fetch_all = time.perf_counter() - started
        # Everything the bare loop needs, prepared outside its timing: nonce, ciphertext and
        # the associated data of each notes blob.
        items = []
        for row in rows:
            aad = field_aad(
                table="checkin", record_id=row[0], field="notes", schema_version=row[2],
                vault_id=vault.vault_id, key_id=row[1],
                metadata=dict(zip(meta, row[3:-1], strict=True)),
            )
            blob = row[-1]
            items.append((blob[1:13], blob[13:], aad))
        del rows
        aead = AESGCM(vault.data_key.raw())
        checkins = vault.checkins()
        bare: list[float] = []
        ours: list[float] = []
        for _ in range(runs):
            gc.collect()
            started = time.perf_counter()
            for nonce, ciphertext, aad in items:
                aead.decrypt(nonce, ciphertext, aad)
            bare.append(time.perf_counter() - started)
            gc.collect()
            started = time.perf_counter()
            hits = sum(len(batch) for batch in checkins.search(ABSENT))
            ours.append(time.perf_counter() - started)
            assert hits == 0
        # where our time goes: the streaming fetch of the columns search reads, alone
        from peersupport.store.checkins import TEXT_FIELDS

        text_columns = [CheckinRow.id, CheckinRow.key_id, CheckinRow.schema_version,
                        *(getattr(CheckinRow, c) for c in meta),
                        *(getattr(CheckinRow, CHECKIN_TABLE.column(f)) for f in TEXT_FIELDS)]
        with vault.transaction() as session:
            started = time.perf_counter()
            for _row in session.connection().execute(
                select(*text_columns).execution_options(yield_per=256)
            ):
                pass
            fetch_only = time.perf_counter() - started
        hits_found = sum(len(b) for b in checkins.search("sleeping poorly"))
    finally:
        vault.lock()
    n = len(items)
    return {
        "records": n, "bare": statistics.median(bare), "search": statistics.median(ours),
        "fetch_only": fetch_only, "fetch_all_notes": fetch_all, "hits_common_word": hits_found,
    }


# -- (c) saving one check-in --------------------------------------------------------------------
def measure_saves(service: VaultService, runs: int) -> list[float]:
    import random

    from peersupport.domain import demo_data

    vault = service.unlock(PASSPHRASE)
    try:
        checkins = vault.checkins()
        officers = checkins.officers()[:20]
        made = list(demo_data.demo_checkins(
            random.Random(99), officers, runs, datetime.now().astimezone(), NOTES_CHARS
        ))
        checkins.save(made[0])  # warm-up, not counted
        times = []
        for checkin in made[1:]:
            gc.collect()
            started = time.perf_counter()
            checkins.save(checkin)
            times.append(time.perf_counter() - started)
    finally:
        vault.lock()
    return times


# -- (d) peak memory, in a fresh process -----------------------------------------------------------
def peak_rss_kib() -> int:
    """This process's peak resident set size. Linux: VmHWM, which starts afresh at exec
    (getrusage's ru_maxrss does not: it keeps the forking parent's peak)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    import resource

    scale = 1024 if sys.platform == "darwin" else 1  # bytes on macOS, KiB elsewhere
    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // scale)


def child_memory(root: str) -> None:
    """Run in a child process: unlock, list every summary and every officer, report."""
    service = VaultService(DataDir(Path(root)), BENCH_PROFILE)
    baseline = peak_rss_kib()
    vault = service.unlock(PASSPHRASE)
    started = time.perf_counter()
    summaries, damaged = vault.checkins().summaries()
    aliases = vault.checkins().aliases()
    elapsed = time.perf_counter() - started
    peak = peak_rss_kib()
    print(json.dumps({
        "summaries": len(summaries), "damaged": len(damaged), "officers": len(aliases),
        "seconds": elapsed, "baseline_kib": baseline, "peak_kib": peak,
    }))
    vault.lock()


def measure_memory(root: Path) -> dict[str, float]:
    proc = subprocess.run(
        [sys.executable, __file__, "--child-memory", str(root)],
        capture_output=True, text=True, check=True, timeout=600,
    )
    result: dict[str, float] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


# -- main ------------------------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--large", type=int, default=100_000)
    parser.add_argument("--small", type=int, default=1_000)
    parser.add_argument("--runs", type=int, default=9, help="first-page runs per vault")
    parser.add_argument("--search-runs", type=int, default=3)
    parser.add_argument("--save-runs", type=int, default=41)
    parser.add_argument("--child-memory", metavar="DIR", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child_memory:
        child_memory(args.child_memory)
        return 0

    private_umask()
    print("peersupport benchmark: check-ins")
    print(f"  python {sys.version.split()[0]}; vaults of {args.large:,} and {args.small:,} "
          f"demo check-ins, notes of {NOTES_CHARS} characters, KDF excluded")
    verdicts: list[tuple[str, bool]] = []
    with tempfile.TemporaryDirectory(prefix="peersupport-bench-") as tmp:
        now = datetime.now().astimezone()
        started = time.perf_counter()
        large = make_vault(Path(tmp) / "large", [(args.large, now)])
        made_large = time.perf_counter() - started
        small = make_vault(Path(tmp) / "small", [(args.small, now)])
        # a control: as many check-ins as the large vault, but its newest three years as
        # sparse as the small vault (the rest is older)
        control = make_vault(Path(tmp) / "control", [
            (args.large - args.small, now - timedelta(days=3 * 365 + 31)), (args.small, now),
        ])
        size_mb = large.data_dir.database.stat().st_size / 1e6
        print(f"  {args.large:,} check-ins made in {made_large:.1f} s "
              f"(demo generator, sealing, bulk insert); database {size_mb:.0f} MB")

        # (a)
        pages = measure_first_pages({"small": small, "large": large, "control": control},
                                    args.runs)
        ratio = pages["large"].median / pages["small"].median
        print("\n(a) unlock (KDF excluded) to the first page: page_after(None, 200), "
              f"median of {args.runs}")
        labels = (("small", f"{args.small:,}"), ("large", f"{args.large:,}"),
                  ("control", f"{args.large:,}, newest 3 years sparse"))
        for name, label in labels:
            p = pages[name]
            print(f"  {label + ' check-ins:':<42}{ms(p.median)}  (unlock "
                  f"{statistics.median(p.unlock_seconds) * 1000:.1f} ms; {p.rows} rows from "
                  f"{p.periods} months)")
        control_ratio = pages["control"].median / pages["small"].median
        print(f"  ratio large/small: {ratio:.2f} (budget 2); control/small: {control_ratio:.2f}")
        verdicts.append(("(a) first page ratio", ratio <= 2))
        whole = measure_first_pages({"small": small, "large": large}, args.runs,
                                    whole_months=True)
        print("  for comparison, whole months: page(None, 200), no budget")
        for name, label in labels[:2]:
            p = whole[name]
            print(f"  {label + ' check-ins:':<42}{ms(p.median)}  ({p.rows} rows in "
                  f"{p.periods} whole months)")
        print(f"  ratio large/small: {whole['large'].median / whole['small'].median:.2f}")

        # (b)
        s = search_against_bare(large, args.search_runs)
        n = s["records"]
        bare_rate, search_rate = n / s["bare"], n / s["search"]
        search_ratio = search_rate / bare_rate
        print(f"\n(b) search over {n:,} check-ins (absent word: every record opened), "
              f"median of {args.search_runs}")
        print(f"  bare AES-GCM decrypt of the notes blobs: {ms(s['bare'])}  "
              f"{bare_rate:,.0f} blobs/s")
        print(f"  search (notes, ref, providers per record): {ms(s['search'])}  "
              f"{search_rate:,.0f} records/s")
        print(f"  of which fetching those columns alone:  {ms(s['fetch_only'])}")
        print(f"  throughput ratio search/bare: {search_ratio:.2f} (budget at least 0.5); "
              f"a common phrase finds {s['hits_common_word']:,} hits")
        verdicts.append(("(b) search throughput ratio", search_ratio >= 0.5))

        # (c)
        saves = measure_saves(large, args.save_runs)
        median_save = statistics.median(saves)
        print(f"\n(c) saving one check-in in the {args.large:,} vault (validate, seal, "
              f"commit), {len(saves)} saves")
        print(f"  median {ms(median_save).strip()}, max {ms(max(saves)).strip()} "
              "(budget: median at most 50 ms)")
        verdicts.append(("(c) save median", median_save <= 0.050))

        # (d)
        mem = measure_memory(large.data_dir.root)
        peak_mb = mem["peak_kib"] / 1024
        print(f"\n(d) peak memory, fresh process, {mem['summaries']:,} summaries and "
              f"{mem['officers']:,} officers listed in {mem['seconds']:.2f} s")
        print(f"  max resident set size: {peak_mb:.0f} MB (interpreter and imports before "
              f"unlock: {mem['baseline_kib'] / 1024:.0f} MB; budget 400 MB)")
        verdicts.append(("(d) peak memory", peak_mb <= 400))

    print()
    for name, ok in verdicts:
        print(f"{'PASS' if ok else 'FAIL'}: {name}")
    passed = all(ok for _, ok in verdicts)
    print(f"{'PASS' if passed else 'FAIL'}: {sum(ok for _, ok in verdicts)} of "
          f"{len(verdicts)} budgets met")
    return 0 if passed else 1


if __name__ == "__main__":
    raise SystemExit(main())
