"""Backup and restore throughput (issue 7) against a bare copy with AES-GCM, in the same run.

A vault of 100,000 demo check-ins (fast local KDF profile: the key derivation is not what is
measured). Figures are MB/s of database bytes (1 MB = 10^6 bytes), best of ``--runs``:

- backup: ``services.backup.write_backup`` (SQLite backup-API snapshot, header, AES-256-GCM in
  1 MiB chunks, atomic write with fsync) against the baseline "read the database file,
  AES-GCM-encrypt it in 1 MiB chunks, write and fsync";
- restore: ``services.backup.restore_backup`` into a new folder (read, unwrap with the fast
  KDF, authenticate and decrypt everything, integrity_check of the database, atomic write with
  fsync) against the baseline "read the baseline's encrypted file, AES-GCM-decrypt it in
  1 MiB chunks, write and fsync".

PASS when each ratio (ours / baseline) is at least 0.5.

Run:  .venv/bin/python benchmarks/bench_backup.py [--checkins 100000] [--runs 3]
"""

from __future__ import annotations

import argparse
import os
import secrets
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


def best(runs: int, action: Callable[[int], None]) -> float:
    times = []
    for i in range(runs):
        started = time.perf_counter()
        action(i)
        times.append(time.perf_counter() - started)
    return min(times)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--checkins", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
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
              f"best of {args.runs}")
        print(f"  vault filled in {time.perf_counter() - started:.1f} s")
        size = data_dir.database.stat().st_size
        print(f"  database: {size / 1e6:.1f} MB")

        def ours_backup(i: int) -> None:
            write_backup(vault, root / f"b{i}.psbak")

        t_backup = best(args.runs, ours_backup)
        vault.lock()
        raw_key = secrets.token_bytes(32)
        t_base_enc = best(args.runs, lambda i: baseline_encrypt(
            data_dir.database, root / f"base{i}.enc", raw_key))

        def ours_restore(i: int) -> None:
            restore_backup(root / "b0.psbak", data_dir, passphrase=PASSPHRASE,
                           profile=BENCH_PROFILE, target_dir=DataDir(root / f"restored{i}"))

        t_restore = best(args.runs, ours_restore)
        t_base_dec = best(args.runs, lambda i: baseline_decrypt(
            root / "base0.enc", root / f"base{i}.dec", raw_key))
        assert (root / "base0.dec").read_bytes() == data_dir.database.read_bytes()
        assert (root / "restored0" / "peersupport.db").stat().st_size == size

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
