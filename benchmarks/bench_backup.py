"""Backup and restore throughput (issue 7) against a bare copy with AES-GCM, in the same run.

A vault of 100,000 demo check-ins (fast local KDF profile: the key derivation is not what is
measured). Figures are MB/s of database bytes (1 MB = 10^6 bytes), the median of ``--runs``
runs. Ours and the baseline alternate run by run (ours, baseline, ours, baseline, ...), so a
slow or fast phase of the machine affects both; each output file is deleted after its run so
the page cache and the disk see the same amount of data for both:

- backup: ``services.backup.write_backup`` (SQLite backup-API snapshot into a scratch file,
  header, AES-256-GCM in 1 MiB chunks streamed from it, atomic write with fsync) against the
  baseline "read the database file, AES-GCM-encrypt it in 1 MiB chunks, write and fsync";
- restore: ``services.backup.restore_backup`` into a new folder (unwrap with the fast KDF,
  authenticate and decrypt chunk by chunk into a scratch file, fsync, integrity_check of that
  file, rename) against the baseline "read the baseline's encrypted file, AES-GCM-decrypt it in
  1 MiB chunks, write and fsync".

PASS when each ratio (ours / baseline) is at least 0.5.

Run:  .venv/bin/python benchmarks/bench_backup.py [--checkins 100000] [--runs 7]
"""

from __future__ import annotations

import argparse
import os
import secrets
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from peersupport.crypto.kdf import KdfProfile
from peersupport.paths import DataDir, ensure, private_umask
from peersupport.services import demo
from peersupport.services.backup import restore_backup, write_backup
from peersupport.services.vault import VaultService, new_recovery_key

PASSPHRASE = "benchmark harbor lantern quarry velvet"
BENCH_PROFILE = KdfProfile(
    name="benchmark-fast", memory_kib=1024, lanes=1, min_iterations=1,
    floor_memory_kib=1024, floor_iterations=1, floor_lanes=1, target_seconds=None,
)
CHUNK = 1 << 20
MIN_RATIO = 0.5


def _write_synced(path: Path, pieces: list[bytes]) -> None:
    with open(path, "wb") as handle:
        for piece in pieces:
            handle.write(piece)
        handle.flush()
        os.fsync(handle.fileno())


def baseline_encrypt(db: Path, out: Path, key: bytes) -> None:
    aead = AESGCM(key)
    data = db.read_bytes()
    pieces = [
        aead.encrypt(i.to_bytes(12, "big"), data[i * CHUNK : (i + 1) * CHUNK], None)
        for i in range(max(1, -(-len(data) // CHUNK)))
    ]
    _write_synced(out, pieces)


def baseline_decrypt(src: Path, out: Path, key: bytes) -> None:
    aead = AESGCM(key)
    data = src.read_bytes()
    sealed = CHUNK + 16
    pieces = [
        aead.decrypt(i.to_bytes(12, "big"), data[i * sealed : (i + 1) * sealed], None)
        for i in range(max(1, -(-len(data) // sealed)))
    ]
    _write_synced(out, pieces)


def timed(action: Callable[[int], None], i: int) -> float:
    started = time.perf_counter()
    action(i)
    return time.perf_counter() - started


def interleaved(
    runs: int, ours: Callable[[int], None], base: Callable[[int], None],
    cleanup: Callable[[int], None],
) -> tuple[float, float]:
    """Median seconds of ``ours`` and of ``base``, run alternately ``runs`` times each."""
    t_ours, t_base = [], []
    for i in range(runs):
        first, second = (ours, base) if i % 2 == 0 else (base, ours)
        got = {first: timed(first, i), second: timed(second, i)}
        t_ours.append(got[ours])
        t_base.append(got[base])
        cleanup(i)
    print(f"  runs (ms): ours {[round(t * 1000) for t in t_ours]}, "
          f"baseline {[round(t * 1000) for t in t_base]}")
    return statistics.median(t_ours), statistics.median(t_base)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--checkins", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args(argv)
    private_umask()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        data_dir = ensure(root / "vault")
        key, _ = new_recovery_key()
        vault = VaultService(data_dir, BENCH_PROFILE).create(PASSPHRASE, key)
        started = time.perf_counter()
        demo.fill(vault, args.checkins, seed=1)
        vault.checkpoint()
        print("peersupport benchmark: backup and restore throughput")
        print(f"  python {sys.version.split()[0]}, {args.checkins:,} check-ins, "
              f"median of {args.runs} interleaved runs")
        print(f"  vault filled in {time.perf_counter() - started:.1f} s")
        size = data_dir.database.stat().st_size
        print(f"  database: {size / 1e6:.1f} MB")

        raw_key = secrets.token_bytes(32)

        def ours_backup(i: int) -> None:
            write_backup(vault, root / f"b{i}.psbak")

        def base_backup(i: int) -> None:
            baseline_encrypt(data_dir.database, root / f"base{i}.enc", raw_key)

        def drop_backup(i: int) -> None:
            if i > 0:
                (root / f"b{i}.psbak").unlink()
                (root / f"base{i}.enc").unlink()

        print("  backup:")
        t_backup, t_base_enc = interleaved(args.runs, ours_backup, base_backup, drop_backup)
        vault.lock()

        def ours_restore(i: int) -> None:
            restore_backup(root / "b0.psbak", data_dir, passphrase=PASSPHRASE,
                           profile=BENCH_PROFILE, target_dir=DataDir(root / f"restored{i}"))

        def base_restore(i: int) -> None:
            baseline_decrypt(root / "base0.enc", root / f"base{i}.dec", raw_key)

        def drop_restore(i: int) -> None:
            if i == 0:
                assert (root / "base0.dec").read_bytes() == data_dir.database.read_bytes()
                restored = root / "restored0" / "peersupport.db"
                assert restored.stat().st_size == size
            shutil.rmtree(root / f"restored{i}")
            (root / f"base{i}.dec").unlink()

        print("  restore:")
        t_restore, t_base_dec = interleaved(args.runs, ours_restore, base_restore, drop_restore)

    rows = [("backup", t_backup, t_base_enc), ("restore", t_restore, t_base_dec)]
    ok = True
    print()
    for name, ours, base in rows:
        mb_ours, mb_base = size / 1e6 / ours, size / 1e6 / base
        ratio = mb_ours / mb_base
        ok &= ratio >= MIN_RATIO
        print(f"  {name:8s} {mb_ours:8.1f} MB/s ({ours * 1000:7.1f} ms)   baseline "
              f"{mb_base:8.1f} MB/s ({base * 1000:7.1f} ms)   ratio {ratio:.2f}")
    print()
    print(f"{'PASS' if ok else 'FAIL'}: each ratio must be at least {MIN_RATIO}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
