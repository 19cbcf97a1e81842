"""Retention and legal holds through the services, on a real vault with a fixed "now": notes
expire after N days, identifying details of inactive officers after M days, statistics stay,
legal holds block expiry and every deletion, the preview matches the purge, and what stays
on disk afterwards."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from peersupport import settings as settings_mod
from peersupport.crypto.errors import TamperError
from peersupport.domain.checkin import CheckIn
from peersupport.domain.officer import Officer
from peersupport.services.checkins import CheckinService, RecordNotFoundError
from peersupport.services.errors import LegalHoldError
from peersupport.services.retention import (
    PurgePlan,
    RetentionPolicy,
    RetentionService,
    former_alias,
)
from peersupport.services.vault import UnlockedVault
from tests._support import all_files, raw_execute, raw_one, raw_query, scan

NOW = datetime(2026, 2, 10, 15, 0, tzinfo=UTC)
D = timedelta(days=1)
NOTES_90 = RetentionPolicy(notes_expire_days=90)
OFFICERS_365 = RetentionPolicy(officer_details_expire_days=365)
BOTH = RetentionPolicy(90, 365)


def make(officer: Officer | None, when: datetime, *, group: list[Officer] | None = None,
         **changes: Any) -> CheckIn:
    values: dict[str, Any] = {
        "occurred_at": when,
        "officer_id": officer.id if officer else None,
        "incident_category": "fatal_collision",
        "contact_type": "debriefing" if group else "in_person",
        "initiated_by": "peer_outreach",
        "recipient_class": "sworn",
        "duration_minutes": 45,
        "group_officer_ids": [o.id for o in group or []],
        "incident_ref": "24-000777",
        "notes": "narrative",
    }
    values.update(changes)
    return CheckIn(**values)


@pytest.fixture
def checkins(vault: UnlockedVault) -> CheckinService:
    return vault.checkins()


@pytest.fixture
def retention(vault: UnlockedVault) -> RetentionService:
    return RetentionService(vault)


def notes_of(checkins: CheckinService, checkin_id: str) -> str:
    return checkins.get(checkin_id).checkin.notes


def all_counts(vault: UnlockedVault) -> Any:
    return vault.statistics().counts("2023-01", "2026-12")


def table_sizes(vault: UnlockedVault) -> dict[str, object]:
    db = vault.data_dir.database
    return {t: raw_one(db, f"SELECT count(*) FROM {t}")  # noqa: S608 - fixed names
            for t in ("checkin", "officer", "stat_record", "followup_plan")}


# -- notes ----------------------------------------------------------------
def test_notes_older_than_n_days_are_emptied_and_newer_ones_kept(
        vault: UnlockedVault, checkins: CheckinService, retention: RetentionService) -> None:
    heron = Officer(alias="Heron", full_name="Dana Example")
    old = make(heron, NOW - 91 * D, notes="old narrative")
    edge = make(heron, NOW - 89 * D, notes="recent narrative")
    checkins.save(old, [heron])
    checkins.save(edge)
    counts_before = all_counts(vault)
    rows_before = table_sizes(vault)

    report = retention.purge(NOTES_90, NOW)

    assert report.notes_checkin_ids == [old.id]
    assert report.officer_ids == []
    assert notes_of(checkins, old.id) == ""
    assert notes_of(checkins, edge.id) == "recent narrative"
    # only the narrative goes: the rest of the record, the officer and the counts stay
    kept = checkins.get(old.id)
    assert kept.checkin.incident_ref == "24-000777"
    assert kept.checkin.occurred_at == old.occurred_at
    assert kept.officer is not None and kept.officer.full_name == "Dana Example"
    assert all_counts(vault) == counts_before
    assert table_sizes(vault) == rows_before


def test_a_policy_that_is_off_changes_nothing(
        checkins: CheckinService, retention: RetentionService) -> None:
    heron = Officer(alias="Heron", full_name="Dana Example")
    c = make(heron, NOW - 3000 * D)
    checkins.save(c, [heron])
    assert not RetentionPolicy().is_on
    report = retention.purge(RetentionPolicy(), NOW)
    assert report.is_empty
    assert notes_of(checkins, c.id) == "narrative"
    assert checkins.get(c.id).officer.full_name == "Dana Example"  # type: ignore[union-attr]


def test_held_check_ins_and_those_of_held_officers_keep_their_notes(
        checkins: CheckinService, retention: RetentionService) -> None:
    heron, owl, wren, lark = (Officer(alias=a) for a in ("Heron", "Owl", "Wren", "Lark"))
    held_itself = make(heron, NOW - 200 * D)
    of_held_officer = make(owl, NOW - 200 * D)
    in_held_group = make(None, NOW - 200 * D, group=[heron, wren], headcount=4)
    free = make(lark, NOW - 200 * D)
    checkins.save(held_itself, [heron])
    checkins.save(of_held_officer, [owl])
    checkins.save(in_held_group, [wren])
    checkins.save(free, [lark])
    retention.hold_checkin(held_itself.id)
    retention.hold_officer(wren.id)
    retention.hold_officer(owl.id)

    plan = retention.preview(NOTES_90, NOW)
    assert plan.notes_checkin_ids == [free.id]
    assert plan.held_checkins == 3
    retention.purge(NOTES_90, NOW)
    for c in (held_itself, of_held_officer, in_held_group):
        assert notes_of(checkins, c.id) == "narrative"
    assert notes_of(checkins, free.id) == ""

    # lifting the holds lets the next purge expire them
    retention.hold_checkin(held_itself.id, on=False)
    retention.hold_officer(owl.id, on=False)
    retention.hold_officer(wren.id, on=False)
    assert not retention.holds()
    assert sorted(retention.purge(NOTES_90, NOW).notes_checkin_ids) == sorted(
        [held_itself.id, of_held_officer.id, in_held_group.id])


# -- officers ----------------------------------------------------------------
def test_inactive_officers_lose_identifying_details_active_and_held_keep_them(
        vault: UnlockedVault, checkins: CheckinService, retention: RetentionService) -> None:
    gone = Officer(alias="Heron", full_name="Dana Example", contact="555-0100",
                   notes="likes fishing")
    active = Officer(alias="Owl", full_name="Sam Active", contact="555-0101")
    held = Officer(alias="Wren", full_name="Kim Held", contact="555-0102")
    in_recent_group = Officer(alias="Lark", full_name="Lee Group")
    never_seen = Officer(alias="Finch", full_name="No Activity")
    old = make(gone, NOW - 400 * D)
    checkins.save(old, [gone])
    checkins.save(make(active, NOW - 500 * D), [active])
    checkins.save(make(active, NOW - 10 * D))
    checkins.save(make(held, NOW - 400 * D), [held])
    checkins.save(make(gone, NOW - 400 * D, group=[in_recent_group], headcount=3),
                  [in_recent_group])
    checkins.save(make(None, NOW - 20 * D, group=[in_recent_group], headcount=3))
    checkins.add_officer(never_seen)
    retention.hold_officer(held.id)
    counts_before = all_counts(vault)

    report = retention.purge(OFFICERS_365, NOW)

    assert report.officer_ids == [gone.id]
    assert report.held_officers == 1
    wiped = {o.id: o for o in checkins.officers()}[gone.id]
    assert (wiped.alias, wiped.full_name, wiped.contact, wiped.notes) == (
        former_alias(gone.id), "", "", "")
    assert "Heron" not in wiped.alias
    # their check-ins stay, still linked to the (now anonymous) record, and the counts stay
    assert checkins.get(old.id).checkin.officer_id == gone.id
    assert checkins.get(old.id).checkin.notes == "narrative"  # notes policy was off
    assert all_counts(vault) == counts_before
    names = {o.id: o.full_name for o in checkins.officers()}
    assert names[active.id] == "Sam Active"
    assert names[held.id] == "Kim Held"
    assert names[in_recent_group.id] == "Lee Group"
    assert names[never_seen.id] == "No Activity"
    # a wiped officer is not wiped again
    assert retention.preview(OFFICERS_365, NOW).is_empty


def test_preview_is_exactly_what_purge_then_does(
        checkins: CheckinService, retention: RetentionService) -> None:
    officers = [Officer(alias=f"O{i}", full_name=f"Name {i}") for i in range(6)]
    for i, officer in enumerate(officers):
        checkins.save(make(officer, NOW - (60 + 80 * i) * D), [officer])
    retention.hold_officer(officers[5].id)

    plan = retention.preview(BOTH, NOW)
    assert len(plan.notes_checkin_ids) == 4  # 140, 220, 300, 380 days (460: held)
    assert len(plan.officer_ids) == 1  # 380 days (460: held)
    assert retention.preview(BOTH, NOW) == plan  # a preview writes nothing
    report = retention.purge(BOTH, NOW)
    assert PurgePlan(**report.__dict__) == plan
    assert retention.preview(BOTH, NOW).is_empty
    assert retention.purge(BOTH, NOW).is_empty


# -- deletion under a legal hold ----------------------------------------------------------------
def test_held_records_refuse_delete_forget_and_merge_and_nothing_changes(
        vault: UnlockedVault, checkins: CheckinService, retention: RetentionService) -> None:
    heron, owl, wren = Officer(alias="Heron"), Officer(alias="Owl"), Officer(alias="Wren")
    held_checkin = make(heron, NOW - 5 * D)
    of_held_officer = make(owl, NOW - 5 * D)
    group = make(None, NOW - 4 * D, group=[owl, wren], headcount=3)
    checkins.save(held_checkin, [heron])
    checkins.save(of_held_officer, [owl])
    checkins.save(group, [wren])
    retention.hold_checkin(held_checkin.id)
    retention.hold_officer(owl.id)
    before, counts_before = table_sizes(vault), all_counts(vault)

    refused = [
        lambda: checkins.delete(held_checkin.id),
        lambda: checkins.delete(held_checkin.id, keep_count=True),
        lambda: checkins.delete(of_held_officer.id),
        lambda: checkins.delete(group.id),  # a held officer is in the group
        lambda: checkins.forget_officer(owl.id),
        lambda: checkins.forget_officer(heron.id),  # one of their check-ins is held
        lambda: checkins.forget_officer(wren.id),  # their group check-in involves Owl
        lambda: checkins.merge_officers(heron.id, owl.id),
    ]
    for attempt in refused:
        with pytest.raises(LegalHoldError):
            attempt()
    assert table_sizes(vault) == before
    assert all_counts(vault) == counts_before
    assert group.id in [c.id for c in checkins.timeline(wren.id)]

    # lifted, the same deletions work
    retention.hold_checkin(held_checkin.id, on=False)
    retention.hold_officer(owl.id, on=False)
    checkins.delete(held_checkin.id)
    checkins.forget_officer(owl.id)
    assert table_sizes(vault)["checkin"] == 1


def test_holding_an_unknown_record_is_refused(retention: RetentionService) -> None:
    with pytest.raises(RecordNotFoundError):
        retention.hold_officer("no-such-officer")
    with pytest.raises(RecordNotFoundError):
        retention.hold_checkin("no-such-checkin")
    retention.hold_checkin("no-such-checkin", on=False)  # lifting nothing is fine
    assert not retention.holds()


# -- on disk ----------------------------------------------------------------
def test_after_purge_neither_the_notes_nor_their_old_ciphertext_remain_on_disk(
        vault: UnlockedVault, checkins: CheckinService, retention: RetentionService) -> None:
    canary = "CANARY-retention-zq7x"
    heron = Officer(alias="Heron")
    c = make(heron, NOW - 100 * D, notes=(canary + " ") * 200)
    checkins.save(c, [heron])
    vault.checkpoint()
    db = vault.data_dir.database
    sealed = raw_one(db, "SELECT notes_sealed FROM checkin WHERE id = ?", [c.id])
    assert isinstance(sealed, bytes) and len(sealed) > 1000
    residues = [sealed[i:i + 48] for i in (40, len(sealed) // 2, len(sealed) - 60)]
    assert any(r in db.read_bytes() for r in residues)  # the scan below can find them

    retention.purge(NOTES_90, NOW)
    data_dir = vault.data_dir.root

    def leftovers() -> list[str]:
        return [p.name for p in all_files(Path(data_dir))
                if any(r in p.read_bytes() for r in residues)]

    assert leftovers() == []  # the purge itself checkpointed: not only the lock below
    vault.lock()
    assert scan(data_dir, [canary]) == []
    assert leftovers() == []


def test_legal_holds_are_sealed_and_tampering_is_detected(
        vault: UnlockedVault, checkins: CheckinService, retention: RetentionService) -> None:
    heron = Officer(alias="Heron")
    c = make(heron, NOW - 5 * D)
    checkins.save(c, [heron])
    retention.hold_officer(heron.id)
    retention.hold_checkin(c.id)
    db = vault.data_dir.database
    vault.checkpoint()
    value = raw_one(db, "SELECT value_sealed FROM vault_secret WHERE id = 'legal_holds'")
    assert isinstance(value, bytes)
    for held_id in (heron.id, c.id):
        assert held_id.encode() not in value
        assert held_id.replace("-", "").encode() not in value

    raw_execute(db, "UPDATE vault_secret SET value_sealed = ? WHERE id = 'legal_holds'",
                [bytes(len(value))])
    with pytest.raises(TamperError):
        retention.holds()
    with pytest.raises(TamperError):  # a hold that cannot be read blocks the deletion
        checkins.delete(c.id)
    assert raw_query(db, "SELECT id FROM checkin") == [(c.id,)]


# -- settings ----------------------------------------------------------------
def test_retention_settings_accept_the_listed_choices_only(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    settings_mod.save(path, settings_mod.Settings(notes_expire_days=90,
                                                  officer_details_expire_days=365))
    loaded = settings_mod.load(path)
    assert RetentionPolicy.from_settings(loaded) == RetentionPolicy(90, 365)
    assert settings_mod.Settings().notes_expire_days == 0  # off by default
    for bad in (-30, 1, 91, "90", 90.0, True, None):
        odd = settings_mod.Settings(notes_expire_days=bad,  # type: ignore[arg-type]
                                    officer_details_expire_days=bad)  # type: ignore[arg-type]
        assert (odd.validated().notes_expire_days,
                odd.validated().officer_details_expire_days) == (0, 0), bad
