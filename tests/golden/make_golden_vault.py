"""Make the golden vault in tests/golden/ (run ONCE, by hand; tests never run this).

    .venv/bin/python tests/golden/make_golden_vault.py [--force]

The vault is created with the shipped PRODUCTION key-derivation profile (calibrated on the
machine that ran this), the test-only passphrase and recovery key below, and one officer with
known fields. Every later release must open it: see tests/test_golden_vault.py. Regenerating
it defeats the point; --force exists only for a deliberate new format version, in which case
keep the old file too.
"""

from __future__ import annotations

import argparse
import shutil
import sqlite3
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from peersupport.crypto import kdf, recovery
from peersupport.crypto.secret import SecretKey
from peersupport.domain.officer import Officer
from peersupport.paths import ensure
from peersupport.services.vault import VaultService

HERE = Path(__file__).resolve().parent
TARGET = HERE / "peersupport.db"

# TEST-ONLY SECRETS. They protect nothing but this fixture.
GOLDEN_PASSPHRASE = "golden fixture: copper walrus juniper 1998"
GOLDEN_RECOVERY_BYTES = bytes.fromhex("9e1f0c5a7b3d42e8a6c0f1d2e3b4a596")
GOLDEN_CREATED = datetime(2025, 3, 14, 9, 26, 53, tzinfo=UTC)
GOLDEN_OFFICER = Officer(
    id="0b6f2a4e-5c1d-4e7f-9a8b-3c2d1e0f9a8b",
    alias="Golden Heron",
    full_name="Dána O'Brien-Ñúñez",
    contact="+1 555 0100 · golden.heron@example.invalid",
    notes="First line.\nSecond line with emoji 🚓 and a tab\tinside.\n",
    notice_given_at=datetime(2025, 3, 14, 10, 0, 0, tzinfo=UTC),
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--force", action="store_true", help="overwrite an existing fixture")
    args = parser.parse_args(argv)
    if TARGET.exists() and not args.force:
        print(f"{TARGET} exists; refusing to regenerate the golden vault", file=sys.stderr)
        return 1
    key = SecretKey(GOLDEN_RECOVERY_BYTES)
    recovery_text = recovery.format_key(key)
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = ensure(Path(tmp) / "vault")
        vault = VaultService(data_dir, kdf.PRODUCTION).create(
            GOLDEN_PASSPHRASE, key, now=GOLDEN_CREATED
        )
        vault.add_officer(GOLDEN_OFFICER)
        vault.lock()  # checkpoints the write-ahead log and closes every connection
        for suffix in ("-wal", "-shm", "-journal"):
            leftover = Path(f"{data_dir.database}{suffix}")
            if leftover.exists() and leftover.stat().st_size:
                raise SystemExit(f"unexpected non-empty {leftover.name}")
        con = sqlite3.connect(data_dir.database)
        try:
            vault_id = con.execute("SELECT id FROM vault").fetchone()[0]
            slot = con.execute(
                "SELECT kdf_memory_kib, kdf_iterations, kdf_lanes FROM key_slot"
                " WHERE slot = 'passphrase'"
            ).fetchone()
        finally:
            con.close()
        shutil.copyfile(data_dir.database, TARGET)
    TARGET.chmod(0o644)
    print(f"wrote {TARGET}")
    print(f"vault id: {vault_id}")
    print(f"passphrase slot: memory_kib={slot[0]} iterations={slot[1]} lanes={slot[2]}")
    print(f"recovery key: {recovery_text}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
