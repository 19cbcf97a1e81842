"""The check-in service: save, edit, delete, validation, paging by period, officers (merge,
forget), search, drafts, damaged rows, and the demo filler's bulk path."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from peersupport.crypto.errors import TamperError
from peersupport.domain import codes, demo_data
from peersupport.domain.checkin import CheckIn, validate
from peersupport.domain.officer import Officer
from peersupport.services import demo
from peersupport.services.checkins import (
    CheckinFilter,
    CheckinService,
    RecordNotFoundError,
    ValidationError,
)
from peersupport.services.vault import UnlockedVault
from peersupport.store.checkins import CheckinRepository
from tests._support import raw_execute, raw_one, raw_query

EST = timezone(timedelta(hours=-5))


def make(officer: Officer | None, when: datetime | None = None, **changes: Any) -> CheckIn:
    values: dict[str, Any] = {
        "occurred_at": when or datetime(2025, 3, 14, 21, 30, tzinfo=EST),
        "officer_id": officer.id if officer else None,
        "incident_category": "fatal_collision",
        "contact_type": "in_person",
        "initiated_by": "peer_outreach",
        "recipient_class": "sworn",
        "duration_minutes": 45,
    }
    values.update(changes)
    return CheckIn(**values)


def counts(vault: UnlockedVault) -> tuple[int, int]:
    db = vault.data_dir.database
    return (int(raw_one(db, "SELECT count(*) FROM checkin")),  # type: ignore[call-overload]
            int(raw_one(db, "SELECT count(*) FROM officer")))  # type: ignore[call-overload]


@pytest.fixture
def checkins(vault: UnlockedVault) -> CheckinService:
    return vault.checkins()


# -- save, edit, delete --------------------------------------------------------------------------
def test_save_with_a_new_officer_then_read_back_everything(checkins: CheckinService) -> None:
    heron = Officer(alias="Heron", full_name="Dana Example", contact="555-0100")
    c = make(
        heron, referrals=["eap", "chaplain"], referral_providers="Dr. Placeholder",
        risk_level="high", exceptions=["threat_to_self"], incident_ref="24-001234",
        notes="Long talk.\nSleeping badly 🚓", follow_up=True,
    )
    assert checkins.save(c, [heron]) == c.id
    detail = checkins.get(c.id)
    got = detail.checkin
    assert detail.officer is not None and detail.officer.full_name == "Dana Example"
    for name in ("occurred_at", "officer_id", "incident_category", "contact_type",
                 "initiated_by", "recipient_class", "duration_minutes", "referrals",
                 "referral_providers", "risk_level", "exceptions", "incident_ref", "notes",
                 "follow_up", "headcount", "group_officer_ids"):
        assert getattr(got, name) == getattr(c, name), name
    assert got.occurred_at.utcoffset() == timedelta(hours=-5)
    assert checkins.count() == 1
    assert [o.alias for o in checkins.officers()] == ["Heron"]


def test_plaintext_columns_hold_only_the_coarse_codes(vault: UnlockedVault,
                                                       checkins: CheckinService) -> None:
    heron = Officer(alias="Heron")
    c = make(heron, referrals=["eap", "chaplain"], duration_minutes=14)
    checkins.save(c, [heron])
    row = raw_query(vault.data_dir.database,
                    "SELECT period, incident_category, contact_type, initiated_by, "
                    "recipient_class, duration_bucket, referral_types FROM checkin")
    assert row == [("2025-03", "fatal_collision", "in_person", "peer_outreach", "sworn",
                    "under_15", "chaplain,eap")]


def test_edit_changes_the_record_in_place(checkins: CheckinService) -> None:
    heron, owl = Officer(alias="Heron"), Officer(alias="Owl")
    c = make(heron, notes="first")
    checkins.save(c, [heron])
    c.notes = "second"
    c.incident_category = "assault_on_officer"
    c.occurred_at = datetime(2024, 1, 2, 3, 4, tzinfo=UTC)
    c.officer_id = owl.id
    checkins.save(c, [owl])
    assert checkins.count() == 1
    got = checkins.get(c.id).checkin
    assert (got.notes, got.incident_category, got.period, got.officer_id) == (
        "second", "assault_on_officer", "2024-01", owl.id,
    )
    assert checkins.period_counts() == [("2024-01", 1)]


def test_delete_removes_it_and_unknown_ids_are_reported(checkins: CheckinService) -> None:
    heron = Officer(alias="Heron")
    c = make(heron)
    checkins.save(c, [heron])
    checkins.delete(c.id)
    assert checkins.count() == 0
    with pytest.raises(RecordNotFoundError):
        checkins.get(c.id)
    with pytest.raises(RecordNotFoundError):
        checkins.delete(c.id)


@pytest.mark.parametrize(
    ("changes", "fields"),
    [
        ({"incident_category": "nope"}, {"incident_category"}),
        ({"duration_minutes": 0, "risk_level": "severe"}, {"duration_minutes", "risk_level"}),
        ({"headcount": 4}, {"headcount"}),
        ({"referrals": ["eap", "eap"]}, {"referrals"}),
        ({"exceptions": ["nope"]}, {"exceptions"}),
        ({"notes": "x" * 20_001}, {"notes"}),
        ({"incident_ref": "x" * 201}, {"incident_ref"}),
        ({"occurred_at": datetime(2025, 1, 1)}, {"occurred_at"}),
        ({"officer_id": None}, {"officer"}),
    ],
)
def test_validation_errors_name_the_fields_and_nothing_is_written(
    vault: UnlockedVault, checkins: CheckinService, changes: dict[str, Any], fields: set[str]
) -> None:
    heron = Officer(alias="Heron")
    before = counts(vault)
    with pytest.raises(ValidationError) as caught:
        checkins.save(make(heron, **changes), [heron])
    assert set(caught.value.errors) == fields
    assert counts(vault) == before == (0, 0)  # not even the new officer


def test_a_dangling_officer_link_rolls_back_the_new_officer_too(
    vault: UnlockedVault, checkins: CheckinService
) -> None:
    heron, ghost = Officer(alias="Heron"), Officer(alias="Ghost")
    c = make(ghost, group_officer_ids=[], contact_type="debriefing", headcount=3)
    c.group_officer_ids = [heron.id]
    c.officer_id = ghost.id
    with pytest.raises(RecordNotFoundError):
        checkins.save(c, [heron])  # ghost was never saved
    assert counts(vault) == (0, 0)


def test_a_group_contact_may_have_a_headcount_and_no_main_officer(
    checkins: CheckinService,
) -> None:
    a, b = Officer(alias="A"), Officer(alias="B")
    c = make(None, contact_type="debriefing", headcount=12, group_officer_ids=[a.id, b.id])
    checkins.save(c, [a, b])
    detail = checkins.get(c.id)
    assert detail.officer is None
    assert {o.alias for o in detail.group_officers} == {"A", "B"}


# -- listing -----------------------------------------------------------------------------------
def _fill_periods(checkins: CheckinService) -> tuple[Officer, dict[str, list[str]]]:
    heron = Officer(alias="Heron")
    checkins.add_officer(heron)
    plan = {"2024-11": 1, "2025-01": 3, "2025-02": 2, "2025-03": 1}
    ids: dict[str, list[str]] = {}
    for period, n in plan.items():
        year, month = map(int, period.split("-"))
        for day in range(1, n + 1):
            c = make(heron, datetime(year, month, day * 3, 9, tzinfo=EST),
                     contact_type="phone" if day == 1 else "in_person")
            checkins.save(c)
            ids.setdefault(period, []).append(c.id)
    return heron, ids


def test_page_returns_whole_periods_newest_first(checkins: CheckinService) -> None:
    _, ids = _fill_periods(checkins)
    rows, damaged, oldest = checkins.page(None, 2)
    assert damaged == [] and oldest == "2025-02"
    assert [r.period for r in rows] == ["2025-03", "2025-02", "2025-02"]
    assert [r.occurred_at for r in rows] == sorted((r.occurred_at for r in rows), reverse=True)
    rows, _, oldest = checkins.page(oldest, 2)
    assert oldest == "2025-01" and sorted(r.id for r in rows) == sorted(ids["2025-01"])
    rows, _, oldest = checkins.page(oldest, 1000)
    assert oldest == "2024-11" and [r.id for r in rows] == ids["2024-11"]
    assert checkins.page(oldest, 2) == ([], [], None)


def test_page_and_summaries_filter_on_plaintext_codes(checkins: CheckinService) -> None:
    _fill_periods(checkins)
    phone = CheckinFilter(contact_type="phone")
    rows, _, oldest = checkins.page(None, 2, phone)
    assert [r.period for r in rows] == ["2025-03", "2025-02"] and oldest == "2025-02"
    summaries, damaged = checkins.summaries(phone)
    assert len(summaries) == 4 and damaged == []
    assert checkins.period_counts(CheckinFilter(periods=("2025-01", "2025-02"))) == [
        ("2025-02", 2), ("2025-01", 3),
    ]


def test_timeline_lists_an_officers_check_ins_main_or_group(checkins: CheckinService) -> None:
    heron, owl = Officer(alias="Heron"), Officer(alias="Owl")
    first = make(heron, datetime(2025, 1, 1, tzinfo=UTC))
    group = make(owl, datetime(2025, 2, 1, tzinfo=UTC), contact_type="defusing",
                 headcount=5, group_officer_ids=[heron.id])
    other = make(owl, datetime(2025, 3, 1, tzinfo=UTC))
    checkins.save(first, [heron, owl])
    checkins.save(group)
    checkins.save(other)
    assert [s.id for s in checkins.timeline(heron.id)] == [group.id, first.id]
    assert checkins.aliases() == {heron.id: "Heron", owl.id: "Owl"}


# -- merge and forget ------------------------------------------------------------------------
def test_merge_moves_check_ins_and_deletes_the_merged_officer(
    vault: UnlockedVault, checkins: CheckinService
) -> None:
    keep = Officer(alias="Heron")
    gone = Officer(alias="heron (dup)", full_name="Dana Example", contact="555-0100",
                   notes="met at the range")
    other = Officer(alias="Owl")
    a = make(gone)
    b = make(other, contact_type="debriefing", headcount=4,
             group_officer_ids=[gone.id, keep.id])
    c = make(keep)
    d = make(other)
    checkins.save(a, [keep, gone, other])
    for x in (b, c, d):
        checkins.save(x)
    assert checkins.merge_officers(keep.id, gone.id) == 2
    assert checkins.get(a.id).checkin.officer_id == keep.id
    assert checkins.get(b.id).checkin.group_officer_ids == [keep.id]  # no duplicate
    assert checkins.get(d.id).checkin.officer_id == other.id
    kept = {o.id: o for o in checkins.officers()}
    assert set(kept) == {keep.id, other.id}
    assert (kept[keep.id].full_name, kept[keep.id].contact) == ("Dana Example", "555-0100")
    assert "met at the range" in kept[keep.id].notes
    assert vault.verify().ok
    with pytest.raises(ValueError, match="itself"):
        checkins.merge_officers(keep.id, keep.id)


def test_forget_deletes_the_officer_their_check_ins_and_their_group_places(
    vault: UnlockedVault, checkins: CheckinService
) -> None:
    gone, owl = Officer(alias="Heron"), Officer(alias="Owl")
    mine = [make(gone, notes="one"), make(gone, notes="two")]
    group = make(owl, contact_type="defusing", headcount=6, group_officer_ids=[gone.id])
    theirs = make(owl)
    checkins.save(mine[0], [gone, owl])
    for x in (mine[1], group, theirs):
        checkins.save(x)
    preview = checkins.forget_preview(gone.id)
    assert (preview.alias, preview.checkins, preview.group_mentions) == ("Heron", 2, 1)
    assert sorted(preview.checkin_ids) == sorted(c.id for c in mine)
    done = checkins.forget_officer(gone.id)
    assert (done.checkins, done.group_mentions) == (2, 1)
    assert checkins.count() == 2
    assert checkins.get(group.id).checkin.group_officer_ids == []
    assert [o.alias for o in checkins.officers()] == ["Owl"]
    for c in mine:
        with pytest.raises(RecordNotFoundError):
            checkins.get(c.id)
    assert vault.verify().ok


def test_merge_and_forget_refuse_while_a_check_in_is_damaged(
    vault: UnlockedVault, checkins: CheckinService
) -> None:
    keep, gone = Officer(alias="Heron"), Officer(alias="Dup")
    a, b = make(gone), make(keep)
    checkins.save(a, [keep, gone])
    checkins.save(b)
    raw_execute(vault.data_dir.database, "UPDATE checkin SET incident_category='other' "
                                         "WHERE id=?", (b.id,))
    before = counts(vault)
    for action in (lambda: checkins.merge_officers(keep.id, gone.id),
                   lambda: checkins.forget_officer(gone.id),
                   lambda: checkins.forget_preview(gone.id)):
        with pytest.raises(TamperError):
            action()
    assert counts(vault) == before
    assert checkins.get(a.id).checkin.officer_id == gone.id


# -- search ------------------------------------------------------------------------------------
def test_search_finds_every_text_field_and_officers_case_insensitively(
    checkins: CheckinService,
) -> None:
    heron = Officer(alias="Heron", full_name="Dana Quixote", contact="dq@example.invalid")
    owl = Officer(alias="Owl")
    note = make(owl, notes="He mentioned the ZEBRA crossing twice.")
    ref = make(owl, incident_ref="CASE-ZeBrA-7")
    provider = make(owl, referral_providers="zebra counselling (fictional)")
    by_name = make(heron)
    in_group = make(owl, contact_type="defusing", headcount=3, group_officer_ids=[heron.id])
    nothing = make(owl, notes="Nothing to see.")
    checkins.save(note, [heron, owl])
    for c in (ref, provider, by_name, in_group, nothing):
        checkins.save(c)
    hits = [h for batch in checkins.search("zebra") for h in batch]
    assert {(h.checkin_id, h.field) for h in hits} == {
        (note.id, "notes"), (ref.id, "incident_ref"), (provider.id, "referral_providers"),
    }
    assert "ZEBRA crossing" in next(h.snippet for h in hits if h.field == "notes")
    by_officer = [h for batch in checkins.search("QUIXOTE") for h in batch]
    assert {(h.checkin_id, h.field, h.snippet) for h in by_officer} == {
        (by_name.id, "officer", "Heron"), (in_group.id, "officer", "Heron"),
    }
    assert [h.checkin_id for b in checkins.search("DQ@EXAMPLE") for h in b] != []
    assert list(checkins.search("   ")) == []
    assert "Nothing" not in repr(hits)


def test_search_yields_in_batches_and_can_be_cancelled(checkins: CheckinService) -> None:
    owl = Officer(alias="Owl")
    checkins.add_officer(owl)
    for i in range(7):
        checkins.save(make(owl, notes=f"needle number {i}"))
    batches = list(checkins.search("NEEDLE", batch=3))
    assert [len(b) for b in batches] == [3, 3, 1]
    seen = 0

    def cancelled() -> bool:
        nonlocal seen
        seen += 1
        return seen > 4

    assert sum(len(b) for b in checkins.search("needle", batch=1, cancelled=cancelled)) == 4


def test_search_skips_and_reports_a_damaged_check_in(
    vault: UnlockedVault, checkins: CheckinService
) -> None:
    owl = Officer(alias="Owl")
    good, bad = make(owl, notes="needle good"), make(owl, notes="needle bad")
    checkins.save(good, [owl])
    checkins.save(bad)
    raw_execute(vault.data_dir.database,
                "UPDATE checkin SET notes_sealed = (SELECT notes_sealed FROM checkin WHERE id=?) "
                "WHERE id=?", (good.id, bad.id))
    damaged: list[str] = []
    hits = [h for b in checkins.search("needle", on_damaged=damaged.append) for h in b]
    assert [h.checkin_id for h in hits] == [good.id]
    assert damaged == [bad.id]


# -- damaged rows ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "edit",
    [
        "UPDATE checkin SET period='2020-01' WHERE id=:bad",
        "UPDATE checkin SET summary_sealed=(SELECT summary_sealed FROM checkin WHERE id=:good) "
        "WHERE id=:bad",
        "UPDATE checkin SET notes_sealed=summary_sealed WHERE id=:bad",
        "UPDATE checkin SET schema_version=2 WHERE id=:bad",
        "UPDATE checkin SET contact_type=X'00' WHERE id=:bad",
        "UPDATE checkin SET summary_sealed='text' WHERE id=:bad",
    ],
    ids=["period-edited", "summary-swapped", "field-moved", "schema", "blob-in-code", "text-blob"],
)
def test_a_tampered_check_in_is_reported_by_lists_get_and_verify(
    vault: UnlockedVault, checkins: CheckinService, edit: str
) -> None:
    owl = Officer(alias="Owl")
    good, bad = make(owl), make(owl, notes="x")
    checkins.save(good, [owl])
    checkins.save(bad)
    # the ids are our own UUIDs, so formatting them into the statement is safe here
    raw_execute(vault.data_dir.database,
                edit.replace(":good", f"'{good.id}'").replace(":bad", f"'{bad.id}'"))
    summaries, damaged = checkins.summaries()
    if "notes_sealed" in edit:
        assert damaged == []  # the summary is fine; the notes are not
    else:
        assert [s.id for s in summaries] == [good.id] and damaged == [bad.id]
        rows, page_damaged, _ = checkins.page(None, 10)
        assert [r.id for r in rows] == [good.id] and page_damaged == [bad.id]
    with pytest.raises(TamperError):
        checkins.get(bad.id)
    report = vault.verify()
    assert not report.ok
    assert {(t, i) for t, i, _ in report.failures} == {("checkin", bad.id)}
    assert checkins.get(good.id).checkin.id == good.id


# -- drafts -----------------------------------------------------------------------------------
def test_drafts_round_trip_and_clear(vault: UnlockedVault, checkins: CheckinService) -> None:
    assert checkins.load_draft() is None
    draft = {"notes": "half typed …", "officer": "Heron", "minutes": 20}
    checkins.save_draft(draft)
    checkins.save_draft({**draft, "minutes": 25})  # one draft at a time
    assert checkins.load_draft() == {**draft, "minutes": 25}
    assert raw_one(vault.data_dir.database, "SELECT count(*) FROM draft") == 1
    checkins.clear_draft()
    assert checkins.load_draft() is None
    checkins.clear_draft()  # clearing nothing is fine


# -- the demo filler and the bulk insert ----------------------------------------------------------
def test_demo_fill_is_valid_fictional_and_verifies(vault: UnlockedVault) -> None:
    now = datetime(2026, 6, 15, 12, tzinfo=EST)
    result = demo.fill(vault, 400, seed=7, now=now, batch=64)
    assert (result.checkins, result.officers) == (400, 16)
    checkins = vault.checkins()
    assert checkins.count() == 400
    officers = checkins.officers()
    assert all(o.alias.startswith("Demo Officer ") for o in officers)
    assert all("(fictional)" in o.full_name and ".invalid" in o.contact for o in officers)
    summaries, damaged = checkins.summaries()
    assert damaged == [] and len(summaries) == 400
    oldest = now - timedelta(days=3 * 365 + 1)
    assert all(oldest <= s.occurred_at <= now for s in summaries)
    assert len({s.period for s in summaries}) >= 30  # spread over three years
    categories = [s.incident_category for s in summaries]
    assert len(set(categories)) >= 10
    assert categories.count("cumulative_stress") > categories.count("line_of_duty_death")
    report = vault.verify()
    assert report.ok and report.records["checkin"] == 400
    # a second run adds to the vault and numbers its officers after the first run's
    demo.fill(vault, 30, seed=8, now=now)
    assert checkins.count() == 430
    aliases = sorted(o.alias for o in checkins.officers())
    assert aliases[-1] == "Demo Officer 017"


def test_demo_weights_cover_exactly_the_codes() -> None:
    tables = {
        "incident_category": codes.INCIDENT_CATEGORIES, "contact_type": codes.CONTACT_TYPES,
        "initiated_by": codes.INITIATED_BY, "recipient_class": codes.RECIPIENT_CLASSES,
        "risk_level": codes.RISK_LEVELS,
    }
    assert {k: set(v) for k, v in demo_data.WEIGHTS.items()} == {
        k: set(v) for k, v in tables.items()
    }
    rng = random.Random(1)
    people = demo_data.demo_officers(rng, 5)
    made = list(demo_data.demo_checkins(rng, people, 500, datetime.now(UTC), notes_chars=1000))
    assert all(validate(c) == {} for c in made)
    assert all(len(c.notes) >= 1000 for c in made)
    assert all(c.officer_id not in c.group_officer_ids for c in made)


def test_bulk_insert_seals_exactly_like_a_single_save(vault: UnlockedVault) -> None:
    owl = Officer(alias="Owl")
    vault.add_officer(owl)
    one = make(owl, notes="single", incident_ref="R-1", referrals=["eap"])
    many = [make(owl, notes=f"bulk {i}", referral_providers="P", follow_up=True)
            for i in range(5)]
    vault.checkins().save(one)
    with vault.transaction() as session:
        assert CheckinRepository(session, vault.sealer).insert_many(many) == 5
        assert CheckinRepository(session, vault.sealer).insert_many([]) == 0
    for c in [one, *many]:
        got = vault.checkins().get(c.id).checkin
        assert (got.notes, got.incident_ref, got.referral_providers, got.follow_up) == (
            c.notes, c.incident_ref, c.referral_providers, c.follow_up,
        )
    lengths = raw_query(vault.data_dir.database,
                        "SELECT DISTINCT length(notes_sealed), length(summary_sealed) FROM checkin")
    assert len(lengths) == 1  # same padding steps, same blob layout
    assert vault.verify().ok
