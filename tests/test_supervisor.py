"""The program supervisor's profile: a passphrase-encrypted file that refuses a wrong
passphrase, edits and weakened parameters; imports that verify every ``.psstats`` file and
refuse changed, re-signed, cut, malformed, newer and repeated ones (writing nothing); a
dashboard whose every shown value is true (exact) or a true lower bound and passes the
suppression rule again; and a profile that holds no key able to open a supporter's records,
loads no code that could, and keeps no record text at rest."""

from __future__ import annotations

import gc
import json
import re
import subprocess
import sys
import types
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from peersupport.crypto import stats_file
from peersupport.crypto.blob import FieldCipher
from peersupport.crypto.errors import (
    StatsFormatError,
    StatsVersionError,
    TamperError,
    WeakParametersError,
    WrongSecretError,
)
from peersupport.crypto.kdf import KdfParams
from peersupport.crypto.secret import SecretKey
from peersupport.domain.checkin import CheckIn
from peersupport.domain.officer import Officer
from peersupport.domain.stats import (
    MONTH,
    QUARTER,
    SUPPRESSED,
    AtLeast,
    CountTable,
    ShownTable,
    ShownValue,
)
from peersupport.paths import ensure
from peersupport.services import demo
from peersupport.services.statistics import ShareRange
from peersupport.services.vault import UnlockedVault, VaultService, new_recovery_key
from peersupport.store.sealing import RowSealer
from peersupport.supervisor import profile_file
from peersupport.supervisor.profile import (
    PROFILE_FILENAME,
    DuplicateStatsError,
    NoProfileError,
    PinnedKey,
    ProfileExistsError,
    SupervisorProfile,
    UnknownSignerError,
    csv_text,
)
from tests._support import raw_execute, scan, scan_bytes
from tests.conftest import FAST_TEST_PROFILE, PASSPHRASE

REPO = Path(__file__).resolve().parent.parent
SUPERVISOR_PASSPHRASE = "harbor quince meadow clarinet"
K = 5
SIGNED_PREFIX = b"peersupport-stats v1\x00"  # as docs/stats-format.md states it


# -- supporters and their files ---------------------------------------------------------------
@dataclass
class Supporter:
    first: str
    last: str
    monthly: bytes  # every month, by month
    quarterly: bytes  # every month, by quarter
    recent: bytes  # the last three months, by month
    truth: dict[str, dict[str, CountTable]]  # granularity -> dimension -> unsuppressed counts


def export_anyway(vault: UnlockedVault, share: ShareRange, k: int) -> bytes:
    """The supporter's app refuses a range overlapping one shared before; a supervisor must
    still cope with overlapping files (from another build, or written by hand), so the tests
    make them by forgetting what was shared."""
    raw_execute(vault.data_dir.database,
                "DELETE FROM vault_secret WHERE id = 'stats_shared_ranges'")
    return vault.statistics().export(share, k)


def _supporter(root: Path, seed: int) -> Supporter:
    key, _ = new_recovery_key()
    vault = VaultService(ensure(root), FAST_TEST_PROFILE).create(PASSPHRASE, key)
    try:
        demo.fill(vault, 300, seed=seed)
        stats = vault.statistics()
        span = stats.month_range()
        assert span is not None
        first, last = span
        months = ShareRange(first, last, MONTH)
        quarters = ShareRange(first, last, QUARTER)
        recent = ShareRange(months.periods()[-3], last, MONTH)
        return Supporter(
            first, last, export_anyway(vault, months, K), export_anyway(vault, quarters, K),
            export_anyway(vault, recent, K),
            {MONTH: stats.my_tables(months), QUARTER: stats.my_tables(quarters)})
    finally:
        vault.lock()


@dataclass
class Files:
    a: Supporter
    b: Supporter


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> Files:
    base = tmp_path_factory.mktemp("supporters")
    return Files(_supporter(base / "a", 1), _supporter(base / "b", 2))


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    return tmp_path / "supervisor"


@pytest.fixture
def profile(folder: Path) -> Iterator[SupervisorProfile]:
    opened = SupervisorProfile.create(folder, SUPERVISOR_PASSPHRASE, "Metro PD",
                                      FAST_TEST_PROFILE)
    yield opened
    opened.close()


def reopen(folder: Path) -> SupervisorProfile:
    return SupervisorProfile.open(folder, SUPERVISOR_PASSPHRASE, FAST_TEST_PROFILE)


def body_of(data: bytes) -> dict[str, Any]:
    body = json.loads(data)
    assert isinstance(body, dict)
    return body


def canonical(body: dict[str, Any]) -> bytes:
    """The signed form as docs/stats-format.md describes it (written independently)."""
    unsigned = {k: v for k, v in body.items() if k != "signature"}
    return json.dumps(unsigned, sort_keys=True, separators=(",", ":"),
                      ensure_ascii=False).encode("utf-8")


def signed(body: dict[str, Any], key: Ed25519PrivateKey, *, own_public_key: bool) -> bytes:
    """``body`` signed again by ``key``: naming ``key`` as the signer, or keeping the original
    supporter's public key (a forgery that hopes nobody checks)."""
    body = {k: v for k, v in body.items() if k != "signature"}
    if own_public_key:
        public = key.public_key().public_bytes_raw()
        body["supporter"] = {"public_key": public.hex(),
                             "fingerprint": stats_file.fingerprint(public),
                             "pseudonym": stats_file.pseudonym(public)}
    body["signature"] = key.sign(SIGNED_PREFIX + canonical(body)).hex()
    return json.dumps(body, sort_keys=True, indent=1).encode("utf-8")


# -- the profile file -------------------------------------------------------------------------
def test_create_open_round_trip_keeps_policy_pins_and_imports(
    profile: SupervisorProfile, folder: Path, files: Files
) -> None:
    imported = profile.import_stats(files.a.monthly)
    profile.set_policy(k=7, accept_only_pinned=True)
    board = profile.dashboard()
    profile.close()

    again = reopen(folder)
    try:
        assert again.program_name == "Metro PD"
        assert (again.k, again.accept_only_pinned) == (7, True)
        assert list(again.pinned) == [imported.fingerprint]
        assert again.pinned[imported.fingerprint].public_key == bytes.fromhex(
            body_of(files.a.monthly)["supporter"]["public_key"])
        assert again.imports == [imported]
        assert csv_text(again.dashboard(), "x") == csv_text(board, "x")
    finally:
        again.close()


def test_create_refuses_a_folder_with_a_profile_or_a_vault(
    profile: SupervisorProfile, folder: Path, tmp_path: Path
) -> None:
    before = (folder / PROFILE_FILENAME).read_bytes()
    with pytest.raises(ProfileExistsError, match="already exists"):
        SupervisorProfile.create(folder, "another passphrase here", "", FAST_TEST_PROFILE)
    assert (folder / PROFILE_FILENAME).read_bytes() == before
    vault_folder = tmp_path / "vault"
    key, _ = new_recovery_key()
    VaultService(ensure(vault_folder), FAST_TEST_PROFILE).create(PASSPHRASE, key).lock()
    with pytest.raises(ProfileExistsError, match="vault"):
        SupervisorProfile.create(vault_folder, SUPERVISOR_PASSPHRASE, "", FAST_TEST_PROFILE)
    assert not (vault_folder / PROFILE_FILENAME).exists()
    with pytest.raises(NoProfileError):
        SupervisorProfile.open(tmp_path / "empty", SUPERVISOR_PASSPHRASE, FAST_TEST_PROFILE)


def test_a_wrong_passphrase_is_refused(profile: SupervisorProfile, folder: Path) -> None:
    with pytest.raises(WrongSecretError):
        SupervisorProfile.open(folder, SUPERVISOR_PASSPHRASE + " ", FAST_TEST_PROFILE)
    reopen(folder).close()  # control: the right one opens it


def _edits(data: bytes) -> dict[str, bytes]:
    params, nonce, end = profile_file.read_params(data)
    other_salt = KdfParams(params.algorithm, params.memory_kib, params.iterations,
                           params.lanes, bytes(16))
    header = data[12:end]
    return {
        "a flipped ciphertext byte": data[:-20] + bytes([data[-20] ^ 1]) + data[-19:],
        "a flipped tag byte": data[:-1] + bytes([data[-1] ^ 0x80]),
        "a cut body": data[:end + 10],
        "nothing after the header": data[:end],
        "a cut header": data[:end - 5],
        "another salt": profile_file._preamble(other_salt, nonce) + data[end:],
        "another magic": b"PSSUP\x00\x00\x02" + data[8:],
        "another version": data[:8] + b"\x00\x02" + data[10:],
        "a header not in canonical form":
            data[:10] + (len(header) + 1).to_bytes(2, "big") + header[:-1] + b" }"
            + data[end:],
        "an empty file": b"",
    }


def test_an_edited_profile_file_is_refused(profile: SupervisorProfile, folder: Path,
                                           files: Files) -> None:
    profile.import_stats(files.a.monthly)
    path = folder / PROFILE_FILENAME
    good = path.read_bytes()
    for what, edited in _edits(good).items():
        assert edited != good, what
        path.write_bytes(edited)
        with pytest.raises((WrongSecretError, TamperError)):
            reopen(folder)
        # the parts outside the ciphertext are checked before any key is derived
        if what in ("a cut header", "another magic", "another version",
                    "a header not in canonical form", "an empty file"):
            with pytest.raises(profile_file.ProfileFormatError):
                reopen(folder)
    path.write_bytes(good)
    reopen(folder).close()


def test_weakened_key_derivation_parameters_in_the_header_are_refused(
    profile: SupervisorProfile, folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = folder / PROFILE_FILENAME
    data = path.read_bytes()
    params, nonce, end = profile_file.read_params(data)
    assert params.memory_kib == FAST_TEST_PROFILE.memory_kib
    derived: list[KdfParams] = []
    real = profile_file.kdf.derive_kek

    def spy(passphrase: str, p: KdfParams) -> SecretKey:
        derived.append(p)
        return real(passphrase, p)

    monkeypatch.setattr(profile_file.kdf, "derive_kek", spy)
    for weaker in (
        KdfParams(params.algorithm, params.memory_kib // 2, params.iterations, params.lanes,
                  params.salt),
        KdfParams(params.algorithm, params.memory_kib, 0, params.lanes, params.salt),
        KdfParams("argon2i", params.memory_kib, params.iterations, params.lanes,
                  params.salt),
        KdfParams(params.algorithm, params.memory_kib, params.iterations, params.lanes,
                  params.salt[:8]),
    ):
        path.write_bytes(profile_file._preamble(weaker, nonce) + data[end:])
        with pytest.raises(WeakParametersError):
            reopen(folder)
    assert derived == []  # refused before any derivation
    path.write_bytes(data)
    reopen(folder).close()
    assert derived == [params]


# -- imports ----------------------------------------------------------------------------------
def test_a_good_file_is_imported_and_its_signer_pinned(
    profile: SupervisorProfile, folder: Path, files: Files
) -> None:
    body = body_of(files.a.monthly)
    # the signature is what the format document says it is
    Ed25519PublicKey.from_public_bytes(bytes.fromhex(body["supporter"]["public_key"])).verify(
        bytes.fromhex(body["signature"]), SIGNED_PREFIX + canonical(body))
    check = profile.check_import(files.a.monthly)
    assert (check.pinned, check.duplicates, check.same_file) == (False, [], False)
    imported = profile.import_stats(files.a.monthly)
    assert imported.fingerprint == body["supporter"]["fingerprint"]
    assert imported.pseudonym == body["supporter"]["pseudonym"]
    assert imported.periods == body["periods"]
    assert imported.periods[0] == files.a.first and imported.periods[-1] == files.a.last
    assert set(profile.pinned) == {imported.fingerprint}
    profile.close()
    again = reopen(folder)
    assert [i.fingerprint for i in again.imports] == [imported.fingerprint]
    assert again.check_import(files.a.monthly).pinned
    again.close()


def _raises_and_writes_nothing(profile: SupervisorProfile, folder: Path, data: bytes,
                               error: type[Exception], **kwargs: Any) -> Exception:
    path = folder / PROFILE_FILENAME
    before = path.read_bytes()
    pinned, imports = dict(profile.pinned), list(profile.imports)
    with pytest.raises(error) as caught:
        profile.import_stats(data, **kwargs)
    assert path.read_bytes() == before
    assert (profile.pinned, profile.imports) == (pinned, imports)
    return caught.value


def test_a_changed_count_is_refused_even_when_signed_again(
    profile: SupervisorProfile, folder: Path, files: Files
) -> None:
    body = body_of(files.a.monthly)
    body["tables"]["incident_category"]["total"] += 5
    not_signed = json.dumps(body).encode()
    forged = signed(body, Ed25519PrivateKey.generate(), own_public_key=False)
    for data in (not_signed, forged):
        _raises_and_writes_nothing(profile, folder, data, TamperError)
    # control: the unchanged file imports
    profile.import_stats(files.a.monthly)


def test_a_file_signed_again_by_another_key_is_another_signer(
    profile: SupervisorProfile, folder: Path, files: Files
) -> None:
    original = profile.import_stats(files.a.monthly)
    body = body_of(files.a.monthly)
    body["tables"]["incident_category"]["total"] += 5
    other = signed(body, Ed25519PrivateKey.generate(), own_public_key=True)
    profile.set_policy(accept_only_pinned=True)
    error = _raises_and_writes_nothing(profile, folder, other, UnknownSignerError)
    assert isinstance(error, UnknownSignerError)
    assert error.fingerprint != original.fingerprint
    _raises_and_writes_nothing(profile, folder, other, UnknownSignerError)
    profile.set_policy(accept_only_pinned=False)
    _raises_and_writes_nothing(profile, folder, other, UnknownSignerError, pin_new=False)
    imported = profile.import_stats(other)  # the default pins a new signer
    assert imported.fingerprint == error.fingerprint
    assert imported.pseudonym != original.pseudonym
    assert set(profile.pinned) == {original.fingerprint, imported.fingerprint}
    assert profile.dashboard().supporters == 2


def _versioned(data: bytes, version: object) -> bytes:
    body = body_of(data)
    body["version"] = version
    return json.dumps(body).encode()


def test_cut_malformed_unsafe_and_newer_files_are_refused(
    profile: SupervisorProfile, folder: Path, files: Files
) -> None:
    data = files.a.monthly
    key = Ed25519PrivateKey.generate()
    # a count below the threshold, validly signed, every sum right
    unsafe = {**body_of(data), "periods": ["2026-01"], "tables": {"followup": {
        "codes": ["on_time", "late"], "cells": {"on_time": [2], "late": [7]},
        "row_totals": {"on_time": 2, "late": 7}, "column_totals": [9], "total": 9}}}
    safe = {**unsafe, "tables": {"followup": {
        "codes": ["on_time", "late"], "cells": {"on_time": [0], "late": [7]},
        "row_totals": {"on_time": 0, "late": 7}, "column_totals": [7], "total": 7}}}
    stats_file.read(signed(safe, key, own_public_key=True))  # control: this one is read
    bad_period = body_of(data)
    bad_period["periods"][0] = "2025-13"
    exact_date = body_of(data)
    exact_date["made"] = "2026-11-28"
    refusals: dict[str, tuple[bytes, type[Exception]]] = {
        "cut": (data[: len(data) // 2], StatsFormatError),
        "empty": (b"", StatsFormatError),
        "not json": (b"\xff\xfe garbage", StatsFormatError),
        "another format": (json.dumps({"format": "other", "version": 1}).encode(),
                           StatsFormatError),
        "an extra field": (json.dumps({**body_of(data), "name": "x"}).encode(),
                           StatsFormatError),
        "no version": (_versioned(data, "1"), StatsFormatError),
        "a newer version": (_versioned(data, 2), StatsVersionError),
        "a count below k": (signed(unsafe, key, own_public_key=True), StatsFormatError),
        "a sum that does not add up": (signed({**safe, "tables": {"followup": {
            **safe["tables"]["followup"], "column_totals": [8], "total": 8}}}, key,
            own_public_key=True),
            StatsFormatError),
        "a malformed period": (signed(bad_period, key, own_public_key=True),
                               StatsFormatError),
        "an exact date": (signed(exact_date, key, own_public_key=True), StatsFormatError),
        "too large": (data + b" " * stats_file.MAX_FILE_BYTES, StatsFormatError),
    }
    for what, (bad, error) in refusals.items():
        try:
            _raises_and_writes_nothing(profile, folder, bad, error)
        except AssertionError as exc:
            raise AssertionError(what) from exc
    assert profile.pinned == {}


def test_duplicates_are_refused_and_replace_replaces(
    profile: SupervisorProfile, folder: Path, files: Files
) -> None:
    first = profile.import_stats(files.a.monthly)
    same = _raises_and_writes_nothing(profile, folder, files.a.monthly, DuplicateStatsError)
    assert isinstance(same, DuplicateStatsError)
    _raises_and_writes_nothing(profile, folder, files.a.monthly, DuplicateStatsError,
                               replace=True)  # the very same file: nothing to replace
    overlapping = _raises_and_writes_nothing(profile, folder, files.a.recent,
                                             DuplicateStatsError)
    assert isinstance(overlapping, DuplicateStatsError)
    assert overlapping.periods == body_of(files.a.recent)["periods"]
    # a quarter holds its months: both would count in the dashboard by quarter
    by_quarter = _raises_and_writes_nothing(profile, folder, files.a.quarterly,
                                            DuplicateStatsError)
    assert isinstance(by_quarter, DuplicateStatsError)
    assert by_quarter.periods == body_of(files.a.quarterly)["periods"]
    profile.import_stats(files.b.recent)  # another supporter, same months: no duplicate

    check = profile.check_import(files.a.recent)
    assert check.duplicates == [first] and not check.same_file
    replaced = profile.import_stats(files.a.recent, replace=True)
    assert first not in profile.imports and replaced in profile.imports
    assert len(profile.imports) == 2
    kept = [i.sha256 for i in profile.imports]
    profile.close()
    again = reopen(folder)
    assert [i.sha256 for i in again.imports] == kept
    again.close()


# -- the dashboard ----------------------------------------------------------------------------
Position = tuple[str, str]


def positions(table: ShownTable) -> dict[Position, ShownValue]:
    value: dict[Position, ShownValue] = {}
    for c in table.codes:
        for p in table.periods:
            value[(c, p)] = table.cells[c][p]
        value[(c, "")] = table.row_totals[c]
    for p in table.periods:
        value[("", p)] = table.column_totals[p]
    value[("", "")] = table.total
    return value


def lines(table: ShownTable) -> list[list[Position]]:
    out = [[(c, p) for p in table.periods] + [(c, "")] for c in table.codes]
    out += [[(c, p) for c in table.codes] + [("", p)] for p in table.periods]
    out.append([(c, "") for c in table.codes] + [("", "")])
    out.append([("", p) for p in table.periods] + [("", "")])
    return out


def true_counts(tables: list[CountTable], period_of: Any = str) -> dict[Position, int]:
    value: dict[Position, int] = {}
    for t in tables:
        for c in t.codes:
            for p in t.periods:
                n = t.cells[c][p]
                for pos in ((c, period_of(p)), (c, ""), ("", period_of(p)), ("", "")):
                    value[pos] = value.get(pos, 0) + n
    return value


@dataclass
class Counter:
    exact: int = 0
    at_least: int = 0
    suppressed: int = 0


def assert_true_and_safe(table: ShownTable, truth: dict[Position, int], k: int) -> Counter:
    """Every shown value: an exact count that is the true count, a lower bound of at least k
    that is at most the true count, or "suppressed"; no count from 1 to k-1; no line with
    exactly one suppressed value."""
    counter = Counter()
    for pos, v in positions(table).items():
        true = truth.get(pos, 0)
        if isinstance(v, AtLeast):
            assert k <= v.n <= true, (table.dimension, pos, v, true)
            counter.at_least += 1
        elif isinstance(v, int):
            assert v == true and not 0 < v < k, (table.dimension, pos, v, true)
            counter.exact += v > 0
        else:
            assert v == SUPPRESSED
            counter.suppressed += 1
    shown = positions(table)
    for line in lines(table):
        assert sum(1 for pos in line if shown[pos] == SUPPRESSED) != 1, (table.dimension, line)
    return counter


def test_the_dashboard_sums_two_supporters_truthfully_and_suppresses_again(
    profile: SupervisorProfile, files: Files
) -> None:
    profile.import_stats(files.a.monthly)
    profile.import_stats(files.b.monthly)
    board = profile.dashboard(MONTH)
    assert (board.supporters, board.files, board.left_out, board.k) == (2, 2, 0, K)
    assert board.periods == sorted(set(body_of(files.a.monthly)["periods"])
                                   | set(body_of(files.b.monthly)["periods"]))
    assert board.contacts().total == 600  # 300 contacts each: both totals published exactly
    seen = Counter()
    for dimension, table in board.tables.items():
        truth = true_counts([files.a.truth[MONTH][dimension], files.b.truth[MONTH][dimension]])
        counted = assert_true_and_safe(table, truth, K)
        seen.exact += counted.exact
        seen.at_least += counted.at_least
        seen.suppressed += counted.suppressed
    # the test means something: all three kinds of value appear
    assert seen.exact and seen.at_least and seen.suppressed
    # a higher program threshold applies to the sums too
    profile.set_policy(k=9)
    stricter = profile.dashboard(MONTH)
    assert stricter.k == 9
    for dimension, table in stricter.tables.items():
        truth = true_counts([files.a.truth[MONTH][dimension], files.b.truth[MONTH][dimension]])
        assert_true_and_safe(table, truth, 9)


def test_the_quarter_view_folds_months_and_adds_quarterly_files(
    profile: SupervisorProfile, files: Files
) -> None:
    from peersupport.domain.stats import quarter_of

    profile.import_stats(files.a.monthly)
    profile.import_stats(files.b.quarterly)
    by_month = profile.dashboard(MONTH)
    assert (by_month.files, by_month.left_out, by_month.supporters) == (1, 1, 1)
    assert by_month.contacts().total == 300
    board = profile.dashboard(QUARTER)
    assert (board.files, board.left_out, board.supporters) == (2, 0, 2)
    assert board.periods == sorted({quarter_of(p) for p in by_month.periods}
                                   | set(body_of(files.b.quarterly)["periods"]))
    assert all(re.fullmatch(r"\d{4}-Q[1-4]", p) for p in board.periods)
    assert board.contacts().total == 600
    for dimension, table in board.tables.items():
        truth_a = true_counts([files.a.truth[MONTH][dimension]], quarter_of)
        truth_b = true_counts([files.b.truth[QUARTER][dimension]])
        truth = {pos: truth_a.get(pos, 0) + truth_b.get(pos, 0)
                 for pos in set(truth_a) | set(truth_b)}
        assert_true_and_safe(table, truth, K)
    with pytest.raises(ValueError):
        profile.dashboard("year")


# -- what the supervisor holds ----------------------------------------------------------------
_NOT_WALKED = (type, types.ModuleType, types.FunctionType, types.BuiltinFunctionType,
               types.MethodType, types.CodeType, types.FrameType)


def reachable(root: object) -> list[object]:
    """Every object reachable from ``root`` (classes, modules and functions excluded: they
    lead to the whole interpreter)."""
    seen: dict[int, object] = {id(root): root}
    todo = [root]
    while todo:
        for child in gc.get_referents(todo.pop()):
            if id(child) not in seen and not isinstance(child, _NOT_WALKED):
                seen[id(child)] = child
                todo.append(child)
    return list(seen.values())


_FORBIDDEN = (UnlockedVault, FieldCipher, RowSealer, Ed25519PrivateKey, X25519PrivateKey,
              stats_file.SigningKeyBytes)


def test_the_walk_would_find_a_data_key(vault: UnlockedVault) -> None:
    """Control: from an unlocked vault, the same walk finds what it looks for."""
    found = reachable(vault)
    assert any(isinstance(o, FieldCipher) for o in found)
    assert any(isinstance(o, RowSealer) for o in found)
    assert any(isinstance(o, SecretKey) for o in found)


def test_the_profile_holds_no_data_key_and_no_private_key(
    profile: SupervisorProfile, folder: Path, files: Files
) -> None:
    profile.import_stats(files.a.monthly)
    profile.import_stats(files.b.quarterly)
    profile.check_import(files.b.monthly)
    profile.dashboard(QUARTER)
    profile.close()
    opened = reopen(folder)
    try:
        opened.dashboard(MONTH)
        found = reachable(opened)
        assert any(isinstance(o, PinnedKey) for o in found)  # the walk reached the state
        assert [o for o in found if isinstance(o, _FORBIDDEN)] == []
        keys = [o for o in found if isinstance(o, SecretKey)]
        assert keys == [opened._key]
        assert len(keys[0]) == 32
    finally:
        opened.close()
    assert opened._key.is_wiped()


def test_supervisor_modules_load_nothing_that_opens_records() -> None:
    code = ("import sys, peersupport.supervisor.profile, peersupport.cli_supervisor; "
            "print('\\n'.join(sorted(sys.modules)))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=REPO, timeout=60, check=True)
    loaded = set(proc.stdout.split())
    assert {"peersupport.supervisor.profile", "peersupport.cli_supervisor",
            "peersupport.crypto.stats_file"} <= loaded  # control
    forbidden = ("peersupport.store", "peersupport.services", "peersupport.crypto.blob",
                 "peersupport.crypto.keyslots", "peersupport.crypto.request_seal",
                 "peersupport.crypto.recovery", "peersupport.crypto.backup_file",
                 "peersupport.cli", "peersupport.cli_records", "sqlalchemy", "alembic",
                 "PySide6")
    assert sorted(m for m in loaded
                  if any(m == f or m.startswith(f + ".") for f in forbidden)) == []


# -- nothing of a record at rest --------------------------------------------------------------
def _canaried_checkins(vault: UnlockedVault) -> list[str]:
    canaries = []
    for n in range(6):
        c = {part: f"CNRY{part}{uuid.uuid4().hex[:10].upper()}"
             for part in ("NOTES", "REF", "PROVIDER", "ALIAS", "NAME", "CONTACT")}
        officer = Officer(alias=c["ALIAS"], full_name=f"Sgt. {c['NAME']}",
                          contact=f"{c['CONTACT']}@example.invalid",
                          notes=f"officer note {c['NAME']}")
        checkin = CheckIn(
            occurred_at=datetime(2026, 3, 14 + n, 21, 30, tzinfo=UTC), officer_id=officer.id,
            incident_category="fatal_collision", contact_type="in_person",
            initiated_by="peer_outreach", recipient_class="sworn", duration_minutes=45,
            referrals=["clinician"], referral_providers=f"Dr. {c['PROVIDER']}",
            incident_ref=f"CASE {c['REF']}", notes=f"Long talk. {c['NOTES']}",
        )
        vault.checkins().save(checkin, [officer])
        canaries += list(c.values())
    return canaries


def test_no_record_text_and_no_exact_date_reach_the_supervisor(
    vault: UnlockedVault, folder: Path
) -> None:
    canaries = _canaried_checkins(vault)
    demo.fill(vault, 200, seed=3)
    stats = vault.statistics()
    span = stats.month_range()
    assert span is not None
    shared = [export_anyway(vault, ShareRange(span[0], span[1], g), K)
              for g in (MONTH, QUARTER)]
    names = [o.alias for o in vault.list_officers().officers][:20]
    for data in shared:
        assert scan_bytes(data, canaries + names) == []
        text = data.decode("utf-8")
        assert not re.search(r"\d{4}-\d\d-\d\d|\d\d:\d\d", text), "an exact date"
        assert set(body_of(data)) == {"format", "version", "supporter", "granularity",
                                      "periods", "k", "made", "tables", "signature"}
        assert re.fullmatch(r"\d{4}-\d\d", body_of(data)["made"])
    # the March 2026 check-ins are counted, by month only
    march = body_of(shared[0])["periods"].index("2026-03")
    assert body_of(shared[0])["tables"]["incident_category"]["column_totals"][march] != 0
    # control: the scanner sees a canary that is there
    assert scan_bytes(shared[0] + canaries[0].encode("utf-16-le"), canaries)

    supervisor = SupervisorProfile.create(folder, SUPERVISOR_PASSPHRASE, "", FAST_TEST_PROFILE)
    for data in shared[:1]:
        supervisor.import_stats(data)
    (folder / "report.csv").write_text(csv_text(supervisor.dashboard(), ""), encoding="utf-8")
    supervisor.close()
    assert scan(folder, canaries + names) == []
    (folder / "control.txt").write_text(canaries[-1])
    assert scan(folder, canaries)  # control
