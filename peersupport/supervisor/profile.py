"""A program supervisor's profile: pinned supporter keys, imported statistics files, and the
dashboard of their sums. Everything here is already anonymized and suppressed by the
supporters' own apps; the dashboard applies the same suppression rule again to every sum.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from peersupport.atomic import write_atomic
from peersupport.crypto import kdf, stats_file
from peersupport.crypto.secret import SecretKey
from peersupport.domain.stats import (
    DEFAULT_K,
    DIMENSIONS,
    MONTH,
    QUARTER,
    Aggregate,
    PublishedTable,
    ShownTable,
    check_k,
    dimension_codes,
    quarter_of,
    resuppress,
)
from peersupport.supervisor import profile_file

PROFILE_FILENAME = "supervisor.psprofile"
VAULT_FILENAME = "peersupport.db"  # a supporter's vault: never in a supervisor's folder
STATE_VERSION = 1
MAX_PROGRAM_NAME = 120


class ProfileExistsError(Exception):
    """A supervisor profile (or a supporter's vault) is already in this folder."""


class NoProfileError(Exception):
    """There is no supervisor profile in this folder."""


class UnknownSignerError(Exception):
    """The file is signed by a key that is not pinned, and only pinned keys are accepted."""

    def __init__(self, fingerprint: str) -> None:
        super().__init__(
            f"the file is signed by an unknown key ({fingerprint}); only pinned supporters' "
            "files are accepted")
        self.fingerprint = fingerprint


class DuplicateStatsError(Exception):
    """Statistics for the same supporter and period were imported before."""

    def __init__(self, pseudonym: str, periods: list[str]) -> None:
        shown = ", ".join(periods[:4]) + (" ..." if len(periods) > 4 else "")
        super().__init__(
            f"statistics of {pseudonym} for {shown} were already imported; replace them to "
            "import this file")
        self.pseudonym = pseudonym
        self.periods = periods


@dataclass(frozen=True)
class PinnedKey:
    fingerprint: str
    public_key: bytes
    pseudonym: str
    pinned: str  # YYYY-MM


@dataclass(frozen=True)
class ImportedStats:
    fingerprint: str
    pseudonym: str
    granularity: str
    periods: list[str]
    k: int
    made: str
    tables: dict[str, PublishedTable]
    sha256: str


@dataclass(frozen=True)
class ImportCheck:
    """What an import would do, for the screen to show before it is done."""

    stats: stats_file.StatsFile
    pinned: bool
    duplicates: list[ImportedStats]
    same_file: bool


@dataclass
class Dashboard:
    granularity: str
    periods: list[str]
    k: int
    tables: dict[str, ShownTable] = field(default_factory=dict)
    supporters: int = 0
    files: int = 0
    left_out: int = 0  # quarterly files, not shown by month

    def contacts(self) -> ShownTable:
        return self.tables["incident_category"]


def _month_now() -> str:
    return datetime.now(UTC).strftime("%Y-%m")


def _overlap(imported: ImportedStats, granularity: str, periods: list[str]) -> set[str]:
    """The periods of a new file (``periods``, by ``granularity``) that an imported file
    covers too. A month and the quarter it falls in overlap: both would count in the
    dashboard by quarter."""
    if imported.granularity == granularity:
        return set(imported.periods) & set(periods)
    theirs = {p if imported.granularity == QUARTER else quarter_of(p)
              for p in imported.periods}
    return {p for p in periods if (p if granularity == QUARTER else quarter_of(p)) in theirs}


def _table_to_json(t: PublishedTable) -> dict[str, Any]:
    return {"dimension": t.dimension, "periods": t.periods, "codes": t.codes,
            "cells": t.cells, "row_totals": t.row_totals,
            "column_totals": t.column_totals, "total": t.total}


def _table_from_json(d: dict[str, Any]) -> PublishedTable:
    return PublishedTable(
        dimension=str(d["dimension"]), periods=list(d["periods"]), codes=list(d["codes"]),
        cells={str(c): dict(v) for c, v in d["cells"].items()},
        row_totals=dict(d["row_totals"]), column_totals=dict(d["column_totals"]),
        total=d["total"])


class SupervisorProfile:
    """An open profile. Holds the key derived from the supervisor's passphrase (to save
    changes) and public keys of supporters; never a supporter's private or data key."""

    def __init__(self, path: Path, state: dict[str, Any], params: kdf.KdfParams,
                 key: SecretKey) -> None:
        self.path = path
        self._params = params
        self._key = key
        try:
            self.program_name = str(state.get("program_name", ""))
            self.k = check_k(int(state.get("k", DEFAULT_K)))
            self.accept_only_pinned = bool(state.get("accept_only_pinned", False))
            self.pinned = {
                fp: PinnedKey(fp, bytes.fromhex(p["public_key"]), str(p["pseudonym"]),
                              str(p["pinned"]))
                for fp, p in dict(state.get("pinned", {})).items()}
            self.imports = [
                ImportedStats(
                    fingerprint=str(i["fingerprint"]), pseudonym=str(i["pseudonym"]),
                    granularity=str(i["granularity"]), periods=list(i["periods"]),
                    k=int(i["k"]), made=str(i["made"]),
                    tables={d: _table_from_json(t) for d, t in i["tables"].items()},
                    sha256=str(i["sha256"]))
                for i in list(state.get("imports", []))]
        except (ValueError, KeyError, TypeError, AttributeError):
            key.wipe()
            raise profile_file.ProfileFormatError(
                "the supervisor profile's contents are malformed") from None

    # -- life cycle ------------------------------------------------------------------------
    @staticmethod
    def create(folder: Path, passphrase: str, program_name: str = "",
               profile: kdf.KdfProfile = kdf.PRODUCTION) -> SupervisorProfile:
        path = folder / PROFILE_FILENAME
        if path.exists():
            raise ProfileExistsError(f"a supervisor profile already exists in {folder}")
        if (folder / VAULT_FILENAME).exists():
            raise ProfileExistsError(
                f"{folder} holds a peer supporter's vault; a supervisor profile needs a "
                "folder of its own")
        params = kdf.new_params(profile)
        key = kdf.derive_kek(passphrase, params)
        opened = SupervisorProfile(path, {"program_name": program_name[:MAX_PROGRAM_NAME]},
                                   params, key)
        opened.save()
        return opened

    @staticmethod
    def open(folder: Path, passphrase: str,
             profile: kdf.KdfProfile = kdf.PRODUCTION) -> SupervisorProfile:
        path = folder / PROFILE_FILENAME
        if not path.is_file():
            raise NoProfileError(f"no supervisor profile in {folder}")
        state, params, key = profile_file.open_profile(path.read_bytes(), passphrase, profile)
        return SupervisorProfile(path, state, params, key)

    def close(self) -> None:
        self._key.wipe()
        self.imports = []
        self.pinned = {}

    def _state(self) -> dict[str, Any]:
        return {
            "version": STATE_VERSION,
            "program_name": self.program_name,
            "k": self.k,
            "accept_only_pinned": self.accept_only_pinned,
            "pinned": {fp: {"public_key": p.public_key.hex(), "pseudonym": p.pseudonym,
                            "pinned": p.pinned} for fp, p in self.pinned.items()},
            "imports": [{"fingerprint": i.fingerprint, "pseudonym": i.pseudonym,
                         "granularity": i.granularity, "periods": i.periods, "k": i.k,
                         "made": i.made, "sha256": i.sha256,
                         "tables": {d: _table_to_json(t) for d, t in i.tables.items()}}
                        for i in self.imports],
        }

    def save(self) -> None:
        write_atomic(self.path, [profile_file.seal(self._state(), self._key, self._params)])

    def set_policy(self, *, program_name: str | None = None, k: int | None = None,
                   accept_only_pinned: bool | None = None) -> None:
        if program_name is not None:
            self.program_name = " ".join(program_name.split())[:MAX_PROGRAM_NAME]
        if k is not None:
            self.k = check_k(k)
        if accept_only_pinned is not None:
            self.accept_only_pinned = accept_only_pinned
        self.save()

    # -- imports ---------------------------------------------------------------------------
    def check_import(self, data: bytes) -> ImportCheck:
        """Verify a file and say what importing it would do. Raises what
        ``stats_file.read`` raises (StatsFormatError, StatsVersionError, TamperError)."""
        verified = stats_file.read(data)
        digest = hashlib.sha256(data).hexdigest()
        fp = verified.fingerprint
        pinned = self.pinned.get(fp)
        overlapping = [
            i for i in self.imports
            if i.fingerprint == fp and _overlap(i, verified.granularity, verified.periods)]
        return ImportCheck(verified, pinned is not None, overlapping,
                           any(i.sha256 == digest for i in self.imports))

    def import_stats(self, data: bytes, *, replace: bool = False,
                     pin_new: bool = True) -> ImportedStats:
        """Import a verified file. A signer seen for the first time is pinned (unless
        ``pin_new`` is False: then refused) or, when only pinned keys are accepted, refused.
        Overlapping periods of the same supporter are refused unless ``replace``."""
        check = self.check_import(data)
        verified = check.stats
        fp = verified.fingerprint
        if not check.pinned and (self.accept_only_pinned or not pin_new):
            raise UnknownSignerError(fp)
        if check.same_file:
            raise DuplicateStatsError(verified.pseudonym, verified.periods)
        if check.duplicates and not replace:
            raise DuplicateStatsError(verified.pseudonym, sorted(
                {p for d in check.duplicates
                 for p in _overlap(d, verified.granularity, verified.periods)}))
        imported = ImportedStats(
            fingerprint=fp, pseudonym=verified.pseudonym, granularity=verified.granularity,
            periods=verified.periods, k=verified.k, made=verified.made,
            tables=verified.tables, sha256=hashlib.sha256(data).hexdigest())
        if not check.pinned:
            self.pinned[fp] = PinnedKey(fp, verified.public_key, verified.pseudonym,
                                        _month_now())
        self.imports = [i for i in self.imports if i not in check.duplicates] + [imported]
        self.save()
        return imported

    def pin(self, data: bytes) -> PinnedKey:
        """Pin the signer of a verified file without importing it."""
        verified = stats_file.read(data)
        pinned = PinnedKey(verified.fingerprint, verified.public_key, verified.pseudonym,
                           _month_now())
        self.pinned[pinned.fingerprint] = pinned
        self.save()
        return pinned

    def unpin(self, fingerprint: str) -> None:
        self.pinned.pop(fingerprint, None)
        self.save()

    def remove_import(self, sha256: str) -> None:
        self.imports = [i for i in self.imports if i.sha256 != sha256]
        self.save()

    # -- the dashboard ---------------------------------------------------------------------
    def dashboard(self, granularity: str = MONTH) -> Dashboard:
        """Sums of every imported table, by month (monthly files only) or by quarter (all),
        with the suppression rule applied again (k: the larger of the program's and every
        file's)."""
        if granularity not in (MONTH, QUARTER):
            raise ValueError("by month or by quarter")
        usable = [i for i in self.imports
                  if granularity == QUARTER or i.granularity == MONTH]
        fold: Callable[[str], str] = (
            quarter_of if granularity == QUARTER else str)

        def folded(i: ImportedStats) -> list[str]:
            return [p if i.granularity == QUARTER else fold(p) for p in i.periods]

        periods = sorted({p for i in usable for p in folded(i)})
        k = max([self.k, *(i.k for i in usable)])
        board = Dashboard(granularity, periods, k,
                          supporters=len({i.fingerprint for i in usable}), files=len(usable),
                          left_out=len(self.imports) - len(usable))
        for dimension in DIMENSIONS:
            agg = Aggregate.empty(dimension, periods, list(dimension_codes(dimension)))
            for i in usable:
                table = i.tables.get(dimension)
                if table is None:
                    continue
                period_map: Callable[[str], str] = (
                    str if i.granularity == QUARTER else fold)
                agg.add(table, period_map)
            board.tables[dimension] = resuppress(agg, k)
        return board


def csv_text(board: Dashboard, program_name: str = "") -> str:
    """The dashboard as CSV: dimension, code, label, period, value. A value is a count,
    "suppressed", or "at least N"; "total" rows and columns carry the margins."""
    import csv
    import io

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["program", "dimension", "code", "label", "period", "value"])
    for dimension, table in board.tables.items():
        labels = dimension_codes(dimension)
        for code in table.codes:
            for period in table.periods:
                writer.writerow([program_name, dimension, code, labels.get(code, code),
                                 period, str(table.cells[code][period])])
            writer.writerow([program_name, dimension, code, labels.get(code, code), "total",
                             str(table.row_totals[code])])
        for period in table.periods:
            writer.writerow([program_name, dimension, "total", "Total", period,
                             str(table.column_totals[period])])
        writer.writerow([program_name, dimension, "total", "Total", "total", str(table.total)])
    return out.getvalue()


def suppression_rule_text(k: int) -> str:
    """The rule in words, for reports."""
    return (f"Counts from 1 to {k - 1} are never shown: they read \"suppressed\". Further "
            "counts are hidden where needed so that no hidden count can be worked out from "
            "the totals of its row or column. Sums that include hidden counts are shown as "
            "lower bounds (\"at least N\").")


__all__ = [
    "Dashboard",
    "DuplicateStatsError",
    "ImportCheck",
    "ImportedStats",
    "NoProfileError",
    "PinnedKey",
    "ProfileExistsError",
    "SupervisorProfile",
    "UnknownSignerError",
    "csv_text",
    "suppression_rule_text",
]
