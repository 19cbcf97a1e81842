"""Check-in text at rest: canaries in the notes, incident reference, referral providers and
the officer's alias, name and contact never appear in any file of the data directory (in any
encoding the scanner knows) after add, edit, delete, search and lock."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path

from peersupport.domain.checkin import CheckIn
from peersupport.domain.officer import Officer
from peersupport.paths import DataDir
from peersupport.services.vault import UnlockedVault, VaultService
from tests._support import all_files, scan, sha256_file
from tests.conftest import PASSPHRASE


def canary(label: str) -> str:
    return f"CNRY{label}{uuid.uuid4().hex[:12].upper()}"


def canaried(label: str) -> tuple[CheckIn, Officer, list[str]]:
    c = {part: canary(f"{label}{part}") for part in
         ("NOTES", "REF", "PROVIDER", "ALIAS", "NAME", "CONTACT", "DRAFT")}
    officer = Officer(alias=c["ALIAS"], full_name=f"Sgt. {c['NAME']}",
                      contact=f"{c['CONTACT']}@example.invalid")
    checkin = CheckIn(
        occurred_at=datetime(2025, 3, 14, 21, 30, tzinfo=UTC), officer_id=officer.id,
        incident_category="fatal_collision", contact_type="in_person",
        initiated_by="peer_outreach", recipient_class="sworn", duration_minutes=45,
        referrals=["clinician"], referral_providers=f"Dr. {c['PROVIDER']} (fictional)",
        incident_ref=f"CASE {c['REF']}", notes=f"Long talk. {c['NOTES']} " + "more " * 60,
        follow_up=True,
    )
    return checkin, officer, list(c.values())


def assert_clean(root: Path, canaries: list[str]) -> None:
    assert all_files(root), "nothing to scan"
    hits = scan(root, canaries)
    assert hits == [], [str(h) for h in hits]


def test_the_scanner_would_see_a_canary_in_this_directory(data_dir: DataDir) -> None:
    """Control: the same scan does find a canary that is there."""
    text = canary("CONTROL")
    (data_dir.root / "leak.txt").write_text(f"x {text} y", encoding="utf-16-le")
    assert scan(data_dir.root, [text])


def test_no_canary_at_rest_through_add_edit_search_delete_and_lock(
    vault: UnlockedVault, service: VaultService, data_dir: DataDir
) -> None:
    checkins = vault.checkins()
    first, officer, old = canaried("A")
    checkins.save(first, [officer])
    draft_text = old[-1]
    checkins.save_draft({"notes": f"typing {draft_text}"})
    assert_clean(data_dir.root, old)  # after add (vault open, write-ahead log live)

    # edit: every canaried field replaced; the old values must be gone from every file
    edited, _, new = canaried("B")
    first.notes, first.incident_ref = edited.notes, edited.incident_ref
    first.referral_providers = edited.referral_providers
    checkins.save(first)
    officer.alias, officer.full_name, officer.contact = "Heron", f"Sgt. {new[4]}", new[5]
    checkins.update_officer(officer)
    checkins.clear_draft()
    assert_clean(data_dir.root, old + new)

    # search: finds the record, writes nothing anywhere (the -shm file is SQLite's
    # shared-memory index of the write-ahead log, where every reader marks its place)
    def files() -> dict[Path, str]:
        return {p: sha256_file(p) for p in all_files(data_dir.root) if p.suffix != ".db-shm"}

    files_before = files()
    hits = [h for batch in checkins.search(new[0]) for h in batch]
    assert [h.field for h in hits] == ["notes"]
    assert [h.field for batch in checkins.search(new[4]) for h in batch] == ["officer"]
    assert files() == files_before
    assert_clean(data_dir.root, old + new)

    # delete: securely deleted
    second, other, more = canaried("C")
    checkins.save(second, [other])
    checkins.delete(second.id)
    checkins.forget_officer(other.id)
    assert_clean(data_dir.root, old + new + more)

    vault.lock()
    assert_clean(data_dir.root, old + new + more)
    reopened = service.unlock(PASSPHRASE)
    try:
        assert reopened.checkins().get(first.id).checkin.notes == edited.notes
        assert reopened.checkins().count() == 1
    finally:
        reopened.lock()
    assert_clean(data_dir.root, old + new + more)


def test_demo_vault_and_bulk_insert_leave_no_plaintext(
    vault: UnlockedVault, data_dir: DataDir
) -> None:
    from peersupport.domain import demo_data
    from peersupport.services import demo

    demo.fill(vault, 300, seed=3)
    vault.lock()
    words = [s.split()[1] + " " + s.split()[2] for s in demo_data.SENTENCES[:8]]
    assert_clean(data_dir.root, ["Demo Officer", "(fictional)", "DEMO-20", *words])


def test_deleting_a_checkin_leaves_no_copy_of_its_blobs_in_the_write_ahead_log(vault) -> None:
    """Even the ciphertext of a deleted check-in is gone from every file at once, not only
    after the next lock: a later key compromise must not revive it."""
    from datetime import UTC, datetime

    from peersupport.domain.checkin import CheckIn
    from peersupport.domain.officer import Officer
    from peersupport.store.models import CheckinRow

    service = vault.checkins()
    officer = Officer(alias="wal probe")
    checkin = CheckIn(
        occurred_at=datetime(2026, 3, 4, 5, 6, tzinfo=UTC), officer_id=officer.id,
        incident_category="other", contact_type="phone", initiated_by="self",
        recipient_class="sworn", duration_minutes=20, notes="x" * 900,
    )
    service.save(checkin, [officer])
    with vault.transaction() as s:
        notes_blob = bytes(s.get(CheckinRow, checkin.id).notes_sealed)
    service.delete(checkin.id)
    for path in vault.data_dir.root.rglob("*"):
        if path.is_file():
            assert notes_blob[13:45] not in path.read_bytes(), path.name
