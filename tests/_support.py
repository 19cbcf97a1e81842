"""Helpers shared by the vault foundation tests: the golden vault, raw SQLite edits and the
at-rest canary scanner. Not a test module (pytest collects only test_*.py)."""

from __future__ import annotations

import base64
import hashlib
import shutil
import sqlite3
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

from peersupport.crypto import kdf
from peersupport.domain.officer import Officer
from peersupport.paths import DataDir, ensure

GOLDEN_DIR = Path(__file__).resolve().parent / "golden"
GOLDEN_DB = GOLDEN_DIR / "peersupport.db"
# Pinned so that a silently regenerated fixture fails loudly.
GOLDEN_SHA256 = "df1d5438dae08ea66026f5a5241a6f0bdd4f60c13268440950b48c03171d016d"
GOLDEN_PASSPHRASE = "golden fixture: copper walrus juniper 1998"
GOLDEN_RECOVERY = "KRFG-RPKV-7N1E-H9P0-Y79E-7D55-JT70"
GOLDEN_VAULT_ID = "82fd3507-2456-4725-896c-31b0b6a60e42"
GOLDEN_OFFICER = Officer(
    id="0b6f2a4e-5c1d-4e7f-9a8b-3c2d1e0f9a8b",
    alias="Golden Heron",
    full_name="Dána O'Brien-Ñúñez",
    contact="+1 555 0100 · golden.heron@example.invalid",
    notes="First line.\nSecond line with emoji 🚓 and a tab\tinside.\n",
    notice_given_at=datetime(2025, 3, 14, 10, 0, 0, tzinfo=UTC),
)


def golden_copy(root: Path) -> DataDir:
    """A private copy of the golden vault in ``root`` (the committed file is never opened)."""
    data_dir = ensure(root)
    shutil.copyfile(GOLDEN_DB, data_dir.database)
    return data_dir


def sha256_file(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def sidecars(db: Path) -> list[Path]:
    return [Path(f"{db}{s}") for s in ("-wal", "-shm", "-journal")]


# -- raw edits, as an attacker with the file would make them -------------------------------
def raw_execute(db: Path, sql: str, params: Iterable[object] = ()) -> None:
    con = sqlite3.connect(db)
    try:
        con.execute(sql, tuple(params))
        con.commit()
    finally:
        con.close()


def raw_query(db: Path, sql: str, params: Iterable[object] = ()) -> list[tuple[object, ...]]:
    con = sqlite3.connect(db)
    try:
        return [tuple(r) for r in con.execute(sql, tuple(params))]
    finally:
        con.close()


def raw_one(db: Path, sql: str, params: Iterable[object] = ()) -> object:
    rows = raw_query(db, sql, params)
    assert len(rows) == 1 and len(rows[0]) == 1, rows
    return rows[0][0]


# -- the canary scanner ---------------------------------------------------------------------
def _base64_forms(data: bytes) -> Iterator[bytes]:
    """The base64 text of ``data`` at each of the three byte alignments, trimmed to the
    characters that depend only on ``data`` (so it matches inside any longer encoding)."""
    n = len(data)
    for k in range(3):
        for encode in (base64.b64encode, base64.urlsafe_b64encode):
            enc = encode(bytes(k) + data + bytes(3))
            start = -(-8 * k // 6)
            end = (8 * (k + n)) // 6
            yield enc[start:end]


def needle_forms(canary: str) -> dict[str, bytes]:
    raw = canary.encode("utf-8")
    forms = {
        "utf-8": raw,
        "utf-16le": canary.encode("utf-16-le"),
        "utf-16be": canary.encode("utf-16-be"),
        "hex": raw.hex().encode(),
    }
    for i, form in enumerate(_base64_forms(raw)):
        forms[f"base64#{i}"] = form
    return forms


@dataclass(frozen=True)
class Hit:
    path: Path
    canary: str
    encoding: str

    def __str__(self) -> str:
        return f"{self.canary!r} as {self.encoding} in {self.path.name}"


def all_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file())


def scan(root: Path, canaries: Iterable[str]) -> list[Hit]:
    """Every file under ``root`` (database, -wal, -shm, -journal, backups, logs, settings),
    every canary, in every encoding. Case-insensitive for the text encodings."""
    hits: list[Hit] = []
    needles = [(c, name, form) for c in canaries for name, form in needle_forms(c).items()]
    for path in all_files(root):
        data = path.read_bytes()
        lowered = data.lower()
        for canary, name, form in needles:
            haystack = data if name.startswith("base64") else lowered
            needle = form if name.startswith("base64") else form.lower()
            if needle in haystack:
                hits.append(Hit(path, canary, name))
    return hits


def scan_bytes(data: bytes, canaries: Iterable[str]) -> list[str]:
    found = []
    for canary in canaries:
        for name, form in needle_forms(canary).items():
            haystack, needle = (data, form) if name.startswith("base64") else (
                data.lower(), form.lower()
            )
            if needle in haystack:
                found.append(f"{canary!r} as {name}")
    return found


# -- the command line as a user runs it ---------------------------------------------------------
CLI_PASSPHRASE = "marble kettle orbit saffron"
# Production parameters at their floor (no calibration): the command line only knows the
# production profile, and this is the cheapest vault it accepts (about 0.1 s to unlock).
FLOOR = replace(kdf.PRODUCTION, name="test-production-floor", target_seconds=None)


@dataclass
class Run:
    """What one ``peersupport`` command did: exit code, standard output and error."""

    code: int
    out: str
    err: str

    def one_line_error(self) -> str:
        assert self.err.endswith("\n") and self.err.count("\n") == 1, repr(self.err)
        assert "Traceback" not in self.err + self.out
        assert self.err.startswith("peersupport: ")
        return self.err.strip()
