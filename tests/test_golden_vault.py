"""The golden vault (tests/golden/) made by the first release opens in this release, with the
shipped PRODUCTION parameters, by passphrase and by recovery key, and reads back exactly."""

from __future__ import annotations

from pathlib import Path

import pytest

from peersupport.crypto import kdf
from peersupport.crypto.errors import WrongSecretError
from peersupport.services.vault import VaultService
from peersupport.store import migrate
from tests._support import (
    GOLDEN_DB,
    GOLDEN_OFFICER,
    GOLDEN_PASSPHRASE,
    GOLDEN_RECOVERY,
    GOLDEN_SHA256,
    GOLDEN_VAULT_ID,
    golden_copy,
    raw_query,
    sha256_file,
    sidecars,
)

NEW_GOLDEN_PASSPHRASE = "a brand new passphrase for the golden copy"


def test_golden_fixture_is_the_committed_one() -> None:
    assert sha256_file(GOLDEN_DB) == GOLDEN_SHA256
    assert not any(p.exists() for p in sidecars(GOLDEN_DB))


def test_golden_fixture_parameters_meet_the_production_floor(tmp_path: Path) -> None:
    data_dir = golden_copy(tmp_path / "vault")
    rows = raw_query(
        data_dir.database,
        "SELECT slot, kdf_algorithm, kdf_memory_kib, kdf_iterations, kdf_lanes,"
        " length(kdf_salt) FROM key_slot ORDER BY slot",
    )
    slots = {r[0]: r[1:] for r in rows}
    assert set(slots) == {"passphrase", "recovery"}
    algorithm, memory, iterations, lanes, salt_len = slots["passphrase"]
    assert algorithm == "argon2id"
    assert memory >= kdf.PRODUCTION.floor_memory_kib  # type: ignore[operator]
    assert iterations >= kdf.PRODUCTION.floor_iterations  # type: ignore[operator]
    assert lanes >= kdf.PRODUCTION.floor_lanes  # type: ignore[operator]
    assert salt_len == kdf.SALT_LENGTH
    assert slots["recovery"][0] == "hkdf-sha256"
    # the golden file was written by release 0.1.0 at schema 0002; newer releases migrate it
    assert raw_query(data_dir.database, "SELECT version_num FROM alembic_version") == [
        ("0002_officers",)
    ]


@pytest.mark.slow
def test_golden_vault_unlocks_by_passphrase_and_reads_back_exactly(tmp_path: Path) -> None:
    data_dir = golden_copy(tmp_path / "vault")
    service = VaultService(data_dir, kdf.PRODUCTION)
    opened = service.unlock(GOLDEN_PASSPHRASE)
    try:
        assert opened.vault_id == GOLDEN_VAULT_ID
        listed = opened.list_officers()
        assert listed.damaged_ids == []
        assert len(listed.officers) == 1
        officer = listed.officers[0]
        for name in ("id", "alias", "full_name", "contact", "notes", "notice_given_at"):
            assert getattr(officer, name) == getattr(GOLDEN_OFFICER, name), name
        assert officer.notice_given_at is not None
        assert officer.notice_given_at.utcoffset() is not None  # time zone survived
        # the notice the first release stored is still readable (today's default may differ)
        assert opened.notice().startswith("CONFIDENTIALITY OF PEER SUPPORT")
        assert "988" in opened.notice()
        report = opened.verify()
        assert report.ok
        assert report.integrity_problems == []
        assert report.failures == []
        assert report.records == {
            # unlocking made the request key pair (its private half is a vault secret) and
            # marked the statistics records as made for the check-ins it holds
            "officer": 1, "checkin": 0, "checkin_month": 0, "draft": 0, "vault_secret": 2,
            "followup_plan": 0, "followup_agenda": 0, "follow_request": 0,
        }
        assert report.fields_checked == 7
    finally:
        opened.lock()
    assert opened.is_locked
    assert opened.data_key.is_wiped()
    # opening it migrated it to today's schema, after writing an encrypted copy
    assert raw_query(data_dir.database, "SELECT version_num FROM alembic_version") == [
        (migrate.HEAD_REVISION,)
    ]
    copies = [p.name for p in data_dir.backups.iterdir()]
    assert copies == [f"pre-migration-0002_officers-to-{migrate.HEAD_REVISION}.psbak"]


@pytest.mark.slow
def test_golden_vault_unlocks_by_recovery_key_and_sets_a_new_passphrase(tmp_path: Path) -> None:
    data_dir = golden_copy(tmp_path / "vault")
    service = VaultService(data_dir, kdf.PRODUCTION)
    # typed the forgiving way: lower case, spaces instead of dashes
    typed = GOLDEN_RECOVERY.lower().replace("-", " ")
    opened = service.unlock_with_recovery(typed, NEW_GOLDEN_PASSPHRASE)
    try:
        assert opened.vault_id == GOLDEN_VAULT_ID
        assert opened.list_officers().officers == [GOLDEN_OFFICER]
    finally:
        opened.lock()
    # the new passphrase works, the old one no longer does
    with pytest.raises(WrongSecretError):
        service.unlock(GOLDEN_PASSPHRASE)
    again = service.unlock(NEW_GOLDEN_PASSPHRASE)
    try:
        assert again.list_officers().officers[0].full_name == GOLDEN_OFFICER.full_name
    finally:
        again.lock()
    slot = raw_query(
        data_dir.database,
        "SELECT kdf_memory_kib, kdf_iterations, kdf_lanes FROM key_slot WHERE slot='passphrase'",
    )[0]
    assert slot[0] >= kdf.PRODUCTION.floor_memory_kib  # type: ignore[operator]
    assert slot[1] >= kdf.PRODUCTION.floor_iterations  # type: ignore[operator]
    assert slot[2] >= kdf.PRODUCTION.floor_lanes  # type: ignore[operator]


def test_golden_vault_wrong_recovery_key_refused(tmp_path: Path) -> None:
    """A well-formed recovery key that is not this vault's is refused (no Argon2id needed)."""
    from peersupport.crypto import recovery
    from peersupport.crypto.secret import SecretKey

    data_dir = golden_copy(tmp_path / "vault")
    service = VaultService(data_dir, kdf.PRODUCTION)
    other = recovery.format_key(SecretKey(bytes(range(1, 17))))
    before = sha256_file(data_dir.database)
    with pytest.raises(WrongSecretError):
        service.unlock_with_recovery(other, NEW_GOLDEN_PASSPHRASE)
    assert sha256_file(data_dir.database) == before


@pytest.mark.slow
def test_golden_vault_passes_cli_verify(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`peersupport verify` (shipped defaults, PRODUCTION floor) accepts the golden vault."""
    import io

    from peersupport import cli

    data_dir = golden_copy(tmp_path / "vault")
    monkeypatch.setattr("sys.stdin", io.StringIO(GOLDEN_PASSPHRASE + "\n"))
    out = io.StringIO()
    code = cli.main(["--data-dir", str(data_dir.root), "verify", "--passphrase-stdin"], out=out)
    assert (code, capsys.readouterr().err) == (0, "")
    assert out.getvalue() == (
        "database integrity: ok\n"
        "records: checkin: 0, checkin_month: 0, draft: 0, follow_request: 0, "
        "followup_agenda: 0, followup_plan: 0, officer: 1, vault_secret: 2\n"
        "sealed fields: 7 checked, 0 failed\n"
    )
