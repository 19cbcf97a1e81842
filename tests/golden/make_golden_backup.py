"""Make the golden backup tests/golden/golden-backup-v1.psbak (run ONCE, by hand; tests never
run this).

    .venv/bin/python tests/golden/make_golden_backup.py [--force]

It encrypts the golden vault (tests/golden/peersupport.db, schema 0002_officers) exactly as
``peersupport.services.backup.write_backup`` encrypts a vault, but without unlocking it through
the vault service (which would first migrate it to whatever schema the release running this
has): the data key is unwrapped with the test-only golden passphrase, the database is copied
with SQLite's backup API, and the file is written by the same code write_backup uses: backup
file format version 1, 1 MiB chunks, the header holding the database's passphrase slot
(PRODUCTION Argon2id parameters of the golden vault) and recovery slot. So the payload is the
oldest schema a vault can have, and a restored copy is migrated when first unlocked.

Every later release must restore it, with the golden passphrase and with the golden recovery
key, and read back the golden officer: see tests/test_backup.py, which
pins the file's SHA-256. Do not regenerate it; for a new format version add a new file next
to it and keep this one.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

from peersupport.atomic import write_atomic
from peersupport.crypto import backup_file, kdf, keyslots
from peersupport.services.backup import header_for
from peersupport.store import engine as store_engine
from peersupport.store import snapshot

HERE = Path(__file__).resolve().parent
SOURCE = HERE / "peersupport.db"
TARGET = HERE / "golden-backup-v1.psbak"
# TEST-ONLY SECRET (the golden vault's; see README.md). It protects nothing but fixtures.
GOLDEN_PASSPHRASE = "golden fixture: copper walrus juniper 1998"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--force", action="store_true", help="overwrite an existing fixture")
    args = parser.parse_args(argv)
    if TARGET.exists() and not args.force:
        print(f"{TARGET} exists; refusing to regenerate the golden backup", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "peersupport.db"
        shutil.copyfile(SOURCE, copy)
        engine = store_engine.sqlite_engine(copy)
        try:
            database = snapshot.database_bytes(engine)
        finally:
            engine.dispose()
    header = header_for(database)  # the vault id and key slots the database holds
    slot = next(s for s in header.slots if s.slot == keyslots.SLOT_PASSPHRASE)
    data_key = keyslots.unwrap_with_passphrase(
        slot, GOLDEN_PASSPHRASE, kdf.PRODUCTION, header.vault_id, header.schema_version
    )
    try:
        write_atomic(TARGET, backup_file.encrypt(header, data_key, database))
    finally:
        data_key.wipe()
    print(f"wrote {TARGET.name}: {TARGET.stat().st_size} bytes, vault {header.vault_id}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
