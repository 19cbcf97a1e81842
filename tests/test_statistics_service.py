"""The supporter's statistics through the services, on a real vault: one coarse record per
check-in kept in step with it (saved, edited, deleted by mistake or kept under retention),
follow-up timeliness, records made once for check-ins saved before statistics existed, the
supporter's own tables, the suppressed preview and the signed file agreeing with each other,
and nothing identifying at rest or in the file."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from peersupport.crypto import stats_file
from peersupport.domain.checkin import CheckIn
from peersupport.domain.officer import Officer
from peersupport.domain.stats import (
    DIMENSIONS,
    LATE,
    MONTH,
    ON_TIME,
    QUARTER,
    SUPPRESSED,
    suppress,
)
from peersupport.services import demo
from peersupport.services.checkins import CheckinService
from peersupport.services.followups import FollowupPolicy, FollowupService
from peersupport.services.statistics import ShareRange, StatisticsService
from peersupport.services.vault import UnlockedVault, VaultService
from tests._support import raw_execute, raw_one, raw_query, scan, scan_bytes
from tests.conftest import PASSPHRASE

NOW = datetime(2026, 4, 10, 15, 0, tzinfo=UTC)
H = timedelta(hours=1)
COLUMNS = ("id", "period", "incident_category", "contact_type", "initiated_by",
           "recipient_class", "duration_bucket", "referral_types", "followup")
SELECT_RECORDS = ("SELECT id, period, incident_category, contact_type, initiated_by, "
                  "recipient_class, duration_bucket, referral_types, followup "
                  "FROM stat_record ORDER BY period, id")


class FakeClock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(NOW)


@pytest.fixture
def checkins(vault: UnlockedVault, clock: FakeClock) -> CheckinService:
    vault.followup_policy = FollowupPolicy(zone="America/Chicago", clock=clock)
    return vault.checkins()


@pytest.fixture
def stats(vault: UnlockedVault, checkins: CheckinService) -> StatisticsService:
    return vault.statistics()


def make(officer: Officer | None, when: datetime, **changes: Any) -> CheckIn:
    values: dict[str, Any] = {
        "occurred_at": when,
        "officer_id": officer.id if officer else None,
        "incident_category": "fatal_collision",
        "contact_type": "in_person",
        "initiated_by": "peer_outreach",
        "recipient_class": "sworn",
        "duration_minutes": 40,
    }
    values.update(changes)
    return CheckIn(**values)


def records(vault: UnlockedVault) -> list[dict[str, object]]:
    rows = raw_query(vault.data_dir.database, SELECT_RECORDS)
    return [dict(zip(COLUMNS, row, strict=True)) for row in rows]


def record_count(vault: UnlockedVault) -> int:
    value = raw_one(vault.data_dir.database, "SELECT count(*) FROM stat_record")
    assert isinstance(value, int)
    return value


# -- one record per check-in -----------------------------------------------------------------------
def test_a_saved_check_in_makes_one_record_of_its_codes_apart_from_it(
    vault: UnlockedVault, checkins: CheckinService
) -> None:
    heron = Officer(alias="Heron")
    c = make(heron, datetime(2026, 2, 9, 23, 30, tzinfo=UTC), referrals=["eap", "clinician"],
             recipient_class="civilian", initiated_by="self", duration_minutes=75)
    checkins.save(c, [heron])
    (row,) = records(vault)
    assert {k: v for k, v in row.items() if k != "id"} == {
        "period": "2026-02", "incident_category": "fatal_collision",
        "contact_type": "in_person", "initiated_by": "self", "recipient_class": "civilian",
        "duration_bucket": "over_60", "referral_types": "clinician,eap", "followup": "",
    }
    stat_id = row["id"]
    assert isinstance(stat_id, str) and stat_id != c.id
    uuid.UUID(stat_id)  # a random-looking UUID, no counter, no time
    # nothing in the clear joins the two rows: neither id appears in the other row
    (checkin_row,) = raw_query(vault.data_dir.database, "SELECT * FROM checkin WHERE id = ?",
                               [c.id])
    as_bytes = b"".join(v if isinstance(v, bytes) else str(v).encode() for v in checkin_row)
    assert stat_id.encode() not in as_bytes
    assert stat_id.replace("-", "").encode() not in as_bytes
    assert c.id not in " ".join(str(v) for v in row.values())
    assert heron.id not in " ".join(str(v) for v in row.values())
    # stored in the order of its ids, not in the order rows were written
    sql = raw_one(vault.data_dir.database,
                  "SELECT sql FROM sqlite_master WHERE name = 'stat_record'")
    assert isinstance(sql, str) and "WITHOUT ROWID" in sql.upper()


def test_a_group_check_in_is_one_contact(vault: UnlockedVault,
                                         checkins: CheckinService) -> None:
    people = [Officer(alias=a) for a in ("Heron", "Owl", "Lark")]
    c = make(None, datetime(2026, 3, 2, 12, tzinfo=UTC), contact_type="debriefing",
             headcount=9, group_officer_ids=[o.id for o in people])
    checkins.save(c, people)
    assert record_count(vault) == 1
    assert records(vault)[0]["contact_type"] == "debriefing"


def test_editing_a_check_in_updates_its_record(vault: UnlockedVault,
                                               checkins: CheckinService) -> None:
    heron = Officer(alias="Heron")
    c = make(heron, datetime(2026, 2, 9, 12, tzinfo=UTC))
    checkins.save(c, [heron])
    (before,) = records(vault)
    c.incident_category = "line_of_duty_death"
    c.occurred_at = datetime(2026, 3, 1, 12, tzinfo=UTC)
    c.duration_minutes = 10
    c.referrals = ["chaplain"]
    checkins.save(c)
    (after,) = records(vault)
    assert after["id"] == before["id"]
    assert (after["period"], after["incident_category"], after["duration_bucket"],
            after["referral_types"]) == ("2026-03", "line_of_duty_death", "under_15",
                                         "chaplain")


def test_deleting_by_mistake_removes_the_count_and_under_retention_keeps_it(
    vault: UnlockedVault, checkins: CheckinService, stats: StatisticsService
) -> None:
    heron = Officer(alias="Heron")
    mistake = make(heron, datetime(2026, 2, 9, 12, tzinfo=UTC))
    retained = make(heron, datetime(2026, 2, 10, 12, tzinfo=UTC), incident_category="other")
    checkins.save(mistake, [heron])
    checkins.save(retained)
    assert record_count(vault) == 2
    checkins.delete(mistake.id)  # the default: entered by mistake
    assert record_count(vault) == 1
    checkins.delete(retained.id, keep_count=True)  # destroyed under retention rules
    assert checkins.count() == 0
    (kept,) = records(vault)
    assert kept["incident_category"] == "other"
    counted = stats.counts("2026-02", "2026-02")
    assert counted["incident_category"] == {("other", "2026-02"): 1}
    assert sum(counted["contact_type"].values()) == 1


# -- follow-up timeliness --------------------------------------------------------------------------
def _plan_step(checkins: CheckinService) -> tuple[FollowupService, str, datetime]:
    """A follow-up plan for a fatal collision on 1 April 2026 12:00 UTC; its first step
    ("24 hours") falls due a day later."""
    heron = Officer(alias="Heron")
    checkins.save(make(heron, datetime(2026, 4, 1, 12, tzinfo=UTC), follow_up=True), [heron])
    fu = checkins.followups()
    plans, damaged = fu.all_plans()
    assert damaged == 0 and len(plans) == 1
    first = fu.steps(plans[0].id)[0]
    assert first.due == datetime(2026, 4, 2, 12, tzinfo=UTC)
    return fu, plans[0].id, first.due


@pytest.mark.parametrize(("done_after_due", "expected"), [
    (-2 * H, ON_TIME), (0 * H, ON_TIME), (24 * H, ON_TIME),
    (24 * H + timedelta(minutes=1), LATE), (72 * H, LATE),
])
def test_a_follow_up_done_by_a_check_in_counts_on_time_or_late(
    vault: UnlockedVault, checkins: CheckinService, stats: StatisticsService,
    clock: FakeClock, done_after_due: timedelta, expected: str,
) -> None:
    fu, plan_id, due = _plan_step(checkins)
    clock.now = due + done_after_due
    follow = fu.prefill(plan_id, "s0")
    checkins.save(follow, completes=(plan_id, "s0"))
    by_followup = {r["contact_type"]: r["followup"] for r in records(vault)}
    assert by_followup == {"in_person": "", "follow_up": expected}
    month = follow.period
    assert stats.counts(month, month)["followup"] == {(expected, month): 1}
    # an edit that completes nothing keeps what the completion recorded
    follow.notes = "Spoke again briefly."
    follow.duration_minutes = 20
    checkins.save(follow)
    assert {r["contact_type"]: r["followup"] for r in records(vault)}["follow_up"] == expected


# -- records for check-ins saved before statistics existed -----------------------------------------
def test_ensure_records_backfills_an_old_vault_once(
    vault: UnlockedVault, service: VaultService, checkins: CheckinService
) -> None:
    heron = Officer(alias="Heron")
    saved = [make(heron, datetime(2026, m, 5, 12, tzinfo=UTC), referrals=["eap"] if m == 2
                  else []) for m in (1, 2, 3)]
    checkins.save(saved[0], [heron])
    for c in saved[1:]:
        checkins.save(c)
    original = records(vault)
    vault.lock()
    db = vault.data_dir.database
    # what a vault written before statistics records existed looks like
    raw_execute(db, "DELETE FROM stat_record")
    raw_execute(db, "DELETE FROM vault_secret WHERE id = 'stats_backfilled'")
    assert raw_one(db, "SELECT count(*) FROM stat_record") == 0
    opened = service.unlock(PASSPHRASE)  # ensure_records runs at every unlock
    try:
        assert records(opened) == original  # same ids (same key), same codes
        assert opened.statistics().ensure_records() == 0  # once
        assert raw_one(db, "SELECT count(*) FROM vault_secret WHERE id = 'stats_backfilled'") \
            == 1
    finally:
        opened.lock()
    # with the marker there, emptied records stay empty: it is not done again
    raw_execute(db, "DELETE FROM stat_record")
    opened = service.unlock(PASSPHRASE)
    try:
        assert record_count(opened) == 0
    finally:
        opened.lock()


def test_backfill_adds_only_missing_records(
    vault: UnlockedVault, service: VaultService, checkins: CheckinService
) -> None:
    heron = Officer(alias="Heron")
    saved = [make(heron, datetime(2026, 1, d, 12, tzinfo=UTC)) for d in (5, 6, 7)]
    checkins.save(saved[0], [heron])
    for c in saved[1:]:
        checkins.save(c)
    original = records(vault)
    vault.lock()
    db = vault.data_dir.database
    raw_execute(db, "DELETE FROM stat_record WHERE id = ?", [original[0]["id"]])
    raw_execute(db, "DELETE FROM vault_secret WHERE id = 'stats_backfilled'")
    opened = service.unlock(PASSPHRASE)
    try:
        assert records(opened) == original
    finally:
        opened.lock()


def test_demo_check_ins_have_records(vault: UnlockedVault) -> None:
    result = demo.fill(vault, 40, seed=7, now=NOW)
    assert record_count(vault) == result.checkins == 40


# -- the supporter's tables, the preview and the file ----------------------------------------------
def _three_months(checkins: CheckinService) -> list[CheckIn]:
    heron, owl = Officer(alias="Heron"), Officer(alias="Owl")
    saved = [make(heron, datetime(2026, 1, 5, 12, tzinfo=UTC),
                  incident_category="officer_involved_shooting")]
    for day in range(1, 13):  # January: 12 contacts; February: 6; March: 9
        saved.append(make(owl, datetime(2026, 1, day + 5, 9, tzinfo=UTC),
                          incident_category="cumulative_stress", contact_type="phone"))
    for day in range(1, 7):
        saved.append(make(owl, datetime(2026, 2, day, 9, tzinfo=UTC),
                          incident_category="cumulative_stress", referrals=["eap"]))
    for day in range(1, 10):
        saved.append(make(heron, datetime(2026, 3, day, 9, tzinfo=UTC),
                          incident_category="fatal_collision", duration_minutes=90))
    checkins.save(saved[0], [heron, owl])
    for c in saved[1:]:
        checkins.save(c)
    return saved


def test_my_tables_preview_and_export_agree(
    vault: UnlockedVault, checkins: CheckinService, stats: StatisticsService
) -> None:
    _three_months(checkins)
    share = ShareRange("2026-01", "2026-03", MONTH)
    mine = stats.my_tables(share)
    assert list(mine) == list(DIMENSIONS)
    category = mine["incident_category"]
    assert category.periods == ["2026-01", "2026-02", "2026-03"]
    assert category.cells["officer_involved_shooting"] == {"2026-01": 1, "2026-02": 0,
                                                           "2026-03": 0}
    assert category.cells["cumulative_stress"] == {"2026-01": 12, "2026-02": 6, "2026-03": 0}
    assert category.cells["fatal_collision"]["2026-03"] == 9
    assert category.total() == 28
    assert mine["referral"].cells["made"] == {"2026-01": 0, "2026-02": 6, "2026-03": 0}
    assert mine["referral_type"].cells["eap"]["2026-02"] == 6
    assert mine["duration_bucket"].cells["over_60"]["2026-03"] == 9
    preview = stats.share_preview(share, 5)
    assert preview == {d: suppress(t, 5) for d, t in mine.items()}
    assert preview["incident_category"].cells["officer_involved_shooting"]["2026-01"] \
        == SUPPRESSED
    data = stats.export(share, 5, now=datetime(2026, 4, 30, 23, 59, tzinfo=UTC))
    read = stats_file.read(data)
    assert read.tables == preview
    assert (read.granularity, read.periods, read.k, read.made) == (
        MONTH, ["2026-01", "2026-02", "2026-03"], 5, "2026-04")
    assert read.fingerprint == stats.signing_fingerprint()
    assert read.pseudonym == stats.pseudonym()


def test_quarters_and_another_k(vault: UnlockedVault, checkins: CheckinService,
                                stats: StatisticsService) -> None:
    _three_months(checkins)
    share = ShareRange("2025-12", "2026-04", QUARTER)
    mine = stats.my_tables(share)
    assert mine["incident_category"].periods == ["2025-Q4", "2026-Q1", "2026-Q2"]
    assert mine["incident_category"].cells["cumulative_stress"] == {
        "2025-Q4": 0, "2026-Q1": 18, "2026-Q2": 0}
    read = stats_file.read(stats.export(share, 7))
    assert read.tables == stats.share_preview(share, 7)
    assert (read.granularity, read.k) == (QUARTER, 7)


def test_the_signing_key_is_made_once_and_kept(
    vault: UnlockedVault, service: VaultService, checkins: CheckinService
) -> None:
    stats = vault.statistics()
    first = stats.signing_fingerprint()
    assert stats.pseudonym() == "Supporter " + first[:9]
    vault.lock()
    opened = service.unlock(PASSPHRASE)
    try:
        assert opened.statistics().signing_fingerprint() == first
        secret = raw_one(opened.data_dir.database,
                         "SELECT count(*) FROM vault_secret WHERE id = 'stats_signing_key'")
        assert secret == 1
    finally:
        opened.lock()


def test_bad_ranges_and_thresholds(stats: StatisticsService) -> None:
    with pytest.raises(ValueError):
        stats.counts("2026-03", "2026-01")
    with pytest.raises(ValueError):
        stats.share_preview(ShareRange("2026-01", "2026-03"), 2)
    with pytest.raises(ValueError):
        stats.export(ShareRange("2026-01", "2026-03"), 12)


# -- nothing identifying at rest or in the file ----------------------------------------------------
DATE = re.compile(rb"\d{4}-\d{2}-\d{2}")
TIME = re.compile(rb"\d{1,2}:\d{2}")
UUID = re.compile(rb"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.I)


def test_no_canary_at_rest_or_in_the_file_and_no_date_or_id_in_the_file(
    vault: UnlockedVault, checkins: CheckinService, stats: StatisticsService
) -> None:
    tag = uuid.uuid4().hex[:10].upper()
    canaries = [f"CNRYALIAS{tag}", f"CNRYNAME{tag}", f"CNRYNOTE{tag}", f"CNRYREF{tag}",
                f"CNRYPROV{tag}", f"CNRYCONTACT{tag}"]
    officer = Officer(alias=canaries[0], full_name=f"Sgt. {canaries[1]}",
                      contact=f"{canaries[5]}@example.invalid")
    saved = []
    for day in range(1, 16):
        c = make(officer, datetime(2026, 1 + day % 3, day, 21, 30, tzinfo=UTC),
                 notes=f"Long talk. {canaries[2]} " + "more " * 40,
                 incident_ref=f"CASE {canaries[3]}",
                 referral_providers=f"Dr. {canaries[4]}", referrals=["clinician"])
        checkins.save(c, [officer] if day == 1 else None)
        saved.append(c)
    data = stats.export(ShareRange("2026-01", "2026-03"), 5, now=NOW)
    out = vault.data_dir.root / "report.psstats"
    out.write_bytes(data)
    assert scan_bytes(data, canaries) == []
    assert scan(vault.data_dir.root, canaries) == []
    assert scan_bytes(data, [officer.id, *(c.id for c in saved)]) == []
    assert DATE.search(data) is None
    assert TIME.search(data) is None
    assert UUID.search(data) is None  # no officer, check-in or record id of any kind
    assert b"21:30" not in data and b"Heron" not in data
    # control: the scanners would see what they look for
    assert scan_bytes(data + canaries[2].encode(), canaries)
    assert DATE.search(b"made 2026-04-10") and TIME.search(b"at 21:30")
    vault.lock()
    assert scan(vault.data_dir.root, canaries) == []


def test_verify_is_still_ok(vault: UnlockedVault, checkins: CheckinService,
                            stats: StatisticsService) -> None:
    _three_months(checkins)
    stats.export(ShareRange("2026-01", "2026-03"), 5)
    checkins.delete(checkins.summaries()[0][0].id, keep_count=True)
    report = vault.verify()
    assert report.ok, (report.integrity_problems, report.failures)
