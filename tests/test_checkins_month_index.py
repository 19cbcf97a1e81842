"""The sealed per-month index of check-ins (``checkin_month``): kept exact by every write
(save, edit within and across months, delete, bulk insert, merge, forget), used by
``page_after`` to open only the summaries a page shows, checked by ``verify``, and never a
source of wrong rows: a damaged, missing or stale index makes the page read that month whole
(and say so). No exact time reaches the file in clear."""

from __future__ import annotations

import random
import struct
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from peersupport.domain.checkin import CheckIn
from peersupport.domain.officer import Officer
from peersupport.services import demo
from peersupport.services.checkins import (
    CheckinFilter,
    CheckinService,
    CheckinSummary,
    PageCursor,
)
from peersupport.services.vault import UnlockedVault, VaultService
from peersupport.store.checkin_months import (
    ENTRY_SIZE,
    MonthEntries,
    MonthIndexStore,
    pack_entry,
    time_key,
)
from peersupport.store.checkins import CheckinRepository
from peersupport.store.models import CheckinMonthRow
from tests._support import all_files, raw_execute, raw_query, scan
from tests.conftest import PASSPHRASE

EST = timezone(timedelta(hours=-5))
CET = timezone(timedelta(hours=1))


def make(officer: Officer | None, when: datetime, **changes: Any) -> CheckIn:
    values: dict[str, Any] = {
        "occurred_at": when,
        "officer_id": officer.id if officer else None,
        "incident_category": "fatal_collision",
        "contact_type": "in_person",
        "initiated_by": "peer_outreach",
        "recipient_class": "sworn",
        "duration_minutes": 45,
    }
    values.update(changes)
    return CheckIn(**values)


def indexes(vault: UnlockedVault) -> dict[str, list[tuple[int, str]]]:
    """Every month's index as stored, oldest entry first."""
    with vault.transaction() as s:
        months = MonthIndexStore(s, vault.sealer)
        found: dict[str, list[tuple[int, str]]] = {}
        for period in months.periods():
            entries = months.load(period)
            assert entries is not None
            found[period] = list(entries.items())
        return found


def expected(vault: UnlockedVault) -> dict[str, list[tuple[int, str]]]:
    """What every month's index must hold, from the summaries themselves."""
    summaries, damaged = vault.checkins().summaries()
    assert damaged == []
    found: dict[str, list[tuple[int, str]]] = {}
    for s in summaries:
        found.setdefault(s.period, []).append((time_key(s.occurred_at), s.id))
    return {p: sorted(v) for p, v in found.items()}


def assert_exact(vault: UnlockedVault) -> None:
    assert indexes(vault) == expected(vault)
    with vault.transaction() as s:
        assert CheckinRepository(s, vault.sealer).month_index_problems() == []
    assert vault.verify().ok


def every_page(checkins: CheckinService, size: int, flt: CheckinFilter | None = None
               ) -> tuple[list[CheckinSummary], list[str], list[str], int]:
    """Page through everything; returns rows, damaged ids, damaged indexes, pages."""
    rows: list[CheckinSummary] = []
    damaged: list[str] = []
    bad_months: list[str] = []
    cursor: PageCursor | None = None
    pages = 0
    while True:
        page = checkins.page_after(cursor, size, flt) if flt else checkins.page_after(
            cursor, size
        )
        pages += 1
        assert pages < 10_000
        rows.extend(page.rows)
        damaged.extend(page.damaged)
        bad_months.extend(page.damaged_indexes)
        if page.next is None:
            return rows, damaged, bad_months, pages
        cursor = page.next


def reference_order(summaries: list[CheckinSummary]) -> list[str]:
    """The list order, computed independently: period, exact instant, id; newest first."""
    return [s.id for s in sorted(
        summaries, key=lambda s: (s.period, s.occurred_at.astimezone(UTC), s.id), reverse=True
    )]


@pytest.fixture
def checkins(vault: UnlockedVault) -> CheckinService:
    return vault.checkins()


@pytest.fixture
def heron(checkins: CheckinService) -> Officer:
    officer = Officer(alias="Heron")
    checkins.add_officer(officer)
    return officer


def scattered(officer: Officer, count: int, seed: int = 3) -> list[CheckIn]:
    """Check-ins over five months, with equal times, microseconds and mixed offsets."""
    rng = random.Random(seed)
    base = datetime(2025, 1, 1, tzinfo=UTC)
    made = []
    for n in range(count):
        when = base + timedelta(minutes=rng.randrange(5 * 30 * 24 * 60) // 30 * 30)
        if n % 7 == 0:
            when = when.replace(microsecond=rng.randrange(1_000_000))
        zone = (UTC, EST, CET)[n % 3]
        made.append(make(officer, when.astimezone(zone),
                         contact_type="phone" if n % 4 == 0 else "in_person",
                         incident_category="other" if n % 5 == 0 else "fatal_collision"))
    made.append(make(officer, made[0].occurred_at))  # the very same instant twice
    return made


# -- the entry encoding ---------------------------------------------------------------------------
def test_entries_sort_as_bytes_in_time_then_id_order() -> None:
    when = datetime(2025, 3, 14, 21, 30, tzinfo=EST)
    keys = [time_key(when + timedelta(microseconds=d)) for d in (-1, 0, 1)]
    assert keys[1] == int((when - datetime(1970, 1, 1, tzinfo=UTC)).total_seconds()) * 10**6
    assert keys == sorted(keys) and len(set(keys)) == 3
    assert time_key(datetime(1969, 12, 31, 23, 59, 59, tzinfo=UTC)) == -1_000_000
    items = [(k, i) for k in (*keys, -5, 0) for i in ("b", "a", "0b6f2a4e-5c1d")]
    packed = sorted(pack_entry(k, i) for k, i in items)
    assert [struct.unpack(">Q", p[:8])[0] - (1 << 63) for p in packed] == sorted(
        k for k, _ in items
    )
    entries = MonthEntries(b"".join(packed))
    assert list(entries.items()) == sorted(items)
    assert len(entries) == len(items) and all(len(e) == ENTRY_SIZE for e in entries)
    assert entries.is_well_formed()
    assert entries.end_before(keys[1], "a") == sorted(items).index((keys[1], "a"))
    assert entries.newest(len(entries), 2) == sorted(items)[::-1][:2]
    for bad in ("é", "x" * 37, "", "a\0b"):
        with pytest.raises(ValueError):
            pack_entry(0, bad)


def test_changes_splice_or_resort_to_the_same_result() -> None:
    rng = random.Random(5)
    items = {(rng.randrange(-10**12, 10**12), f"id-{n}") for n in range(300)}
    entries = MonthEntries.from_items(items)
    gone = rng.sample(sorted(items), 40)
    added = {(rng.randrange(10**6), f"new-{n}") for n in range(50)}
    for remove, add in ((gone[:3], list(added)[:2]), (gone, list(added))):
        changed = entries.changed([i for _, i in remove], add)
        assert changed is not None
        assert list(changed.items()) == sorted((items - set(remove)) | set(add))
    assert entries.changed(["no-such-id"]) is None


# -- kept exact by every write --------------------------------------------------------------------
def test_save_edit_across_months_and_delete_keep_the_index_exact(
    vault: UnlockedVault, checkins: CheckinService, heron: Officer
) -> None:
    made = scattered(heron, 40)
    for c in made:
        checkins.save(c)
    assert set(indexes(vault)) == {c.period for c in made} and len(indexes(vault)) >= 5
    assert_exact(vault)

    moved = made[5]
    old_period = moved.period
    moved.occurred_at = datetime(2023, 7, 4, 12, tzinfo=EST)  # to a month of its own
    checkins.save(moved)
    assert indexes(vault)["2023-07"] == [(time_key(moved.occurred_at), moved.id)]
    assert moved.id not in {i for _, i in indexes(vault).get(old_period, [])}
    assert_exact(vault)

    same_month = made[6]
    same_month.occurred_at = same_month.occurred_at.replace(day=1, hour=0, minute=1)
    checkins.save(same_month)  # new time, same month: re-sorted in place
    assert_exact(vault)

    checkins.delete(moved.id)  # the month's last check-in: its index row goes
    assert "2023-07" not in indexes(vault)
    for c in made[10:20]:
        checkins.delete(c.id)
    assert_exact(vault)


def test_bulk_insert_and_demo_fill_keep_the_index_exact(
    vault: UnlockedVault, heron: Officer
) -> None:
    with vault.transaction() as session:
        repo = CheckinRepository(session, vault.sealer)
        assert repo.insert_many(scattered(heron, 60)) == 61
        with repo.deferred_month_indexes():  # batches, each month's index written once
            repo.insert_many(scattered(heron, 30, seed=4))
            repo.insert_many(scattered(heron, 30, seed=5))
    assert_exact(vault)
    demo.fill(vault, 300, seed=2, now=datetime(2026, 1, 15, tzinfo=EST), batch=40)
    assert_exact(vault)
    assert sum(len(v) for v in indexes(vault).values()) == 60 + 1 + 62 + 300


def test_a_failed_bulk_insert_leaves_no_index(vault: UnlockedVault, heron: Officer) -> None:
    with pytest.raises(RuntimeError), vault.transaction() as session:
        repo = CheckinRepository(session, vault.sealer)
        with repo.deferred_month_indexes():
            repo.insert_many(scattered(heron, 10))
            raise RuntimeError("interrupted")
    assert indexes(vault) == {} and raw_query(
        vault.data_dir.database, "SELECT count(*) FROM checkin") == [(0,)]


def test_merge_and_forget_keep_the_index_exact(
    vault: UnlockedVault, checkins: CheckinService, heron: Officer
) -> None:
    owl, crow = Officer(alias="Owl"), Officer(alias="Crow")
    checkins.add_officer(owl)
    checkins.add_officer(crow)
    for n, c in enumerate(scattered(heron, 30)):
        c.officer_id = (heron, owl, crow)[n % 3].id
        checkins.save(c)
    checkins.merge_officers(heron.id, owl.id)
    assert_exact(vault)
    before = sum(len(v) for v in indexes(vault).values())
    preview = checkins.forget_officer(crow.id)
    assert preview.checkins == 10
    assert sum(len(v) for v in indexes(vault).values()) == before - 10
    assert_exact(vault)


def test_random_saves_edits_and_deletes_keep_the_index_exact(
    vault: UnlockedVault, checkins: CheckinService, heron: Officer
) -> None:
    rng = random.Random(11)
    pool = scattered(heron, 80, seed=12)
    live: list[CheckIn] = []
    for _ in range(120):
        action = rng.random()
        if action < 0.5 or not live:
            if pool:
                live.append(pool.pop())
                checkins.save(live[-1])
        elif action < 0.8:
            c = rng.choice(live)
            c.occurred_at += timedelta(days=rng.randrange(-40, 40), minutes=rng.randrange(60))
            checkins.save(c)
        else:
            c = live.pop(rng.randrange(len(live)))
            checkins.delete(c.id)
    assert_exact(vault)
    summaries, _ = checkins.summaries()
    assert [r.id for r in every_page(checkins, 6)[0]] == [s.id for s in summaries]
    assert sorted(s.id for s in summaries) == sorted(c.id for c in live)


# -- paging ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("size", [1, 3, 7, 200])
def test_pages_give_every_row_once_in_the_order_of_summaries(
    checkins: CheckinService, heron: Officer, size: int
) -> None:
    for c in scattered(heron, 45):
        checkins.save(c)
    summaries, _ = checkins.summaries()
    rows, damaged, bad_months, pages = every_page(checkins, size)
    assert [r.id for r in rows] == [s.id for s in summaries] == reference_order(summaries)
    assert damaged == [] and bad_months == []
    assert [(r.occurred_at, r.officer_id) for r in rows] == [
        (s.occurred_at, s.officer_id) for s in summaries
    ]
    assert pages == -(-len(rows) // size)  # the last page says there is nothing older


@pytest.mark.parametrize("flt", [
    CheckinFilter(contact_type="phone"),
    CheckinFilter(incident_category="other"),
    CheckinFilter(incident_category="other", contact_type="phone"),
    CheckinFilter(periods=("2025-02", "2025-04")),
    CheckinFilter(periods=("2025-03",), contact_type="in_person"),
], ids=["contact", "category", "both", "periods", "period-and-contact"])
def test_filtered_pages_match_filtered_summaries(
    checkins: CheckinService, heron: Officer, flt: CheckinFilter
) -> None:
    for c in scattered(heron, 45):
        checkins.save(c)
    summaries, _ = checkins.summaries(flt)
    assert summaries
    for size in (1, 4, 100):
        rows, damaged, bad_months, _ = every_page(checkins, size, flt)
        assert [r.id for r in rows] == [s.id for s in summaries]
        assert damaged == [] and bad_months == []


def test_a_page_stops_inside_a_month_and_the_next_continues_below(
    checkins: CheckinService, heron: Officer
) -> None:
    for day in range(1, 11):
        checkins.save(make(heron, datetime(2025, 3, day, 9, tzinfo=EST)))
    checkins.save(make(heron, datetime(2025, 2, 1, 9, tzinfo=EST)))
    first = checkins.page_after(None, 4)
    assert [r.occurred_at.day for r in first.rows] == [10, 9, 8, 7]
    assert first.next is not None and first.next.period == "2025-03"
    assert "2025" not in repr(first.next).replace("2025-03", "")  # no exact time in its repr
    # a newer check-in saved meanwhile does not shift what comes next
    checkins.save(make(heron, datetime(2025, 3, 31, 9, tzinfo=EST)))
    second = checkins.page_after(first.next, 10)
    assert [r.occurred_at.day for r in second.rows] == [6, 5, 4, 3, 2, 1, 1]
    assert [r.period for r in second.rows][-1] == "2025-02" and second.next is None
    # ending exactly at a month's end: the cursor says the month is done
    page = checkins.page_after(None, 11)
    assert page.next == PageCursor("2025-03")
    rest = checkins.page_after(page.next, 5)
    assert [r.period for r in rest.rows] == ["2025-02"] and rest.next is None
    assert checkins.page_after(None, 100).next is None


def test_the_whole_period_page_call_still_works(checkins: CheckinService, heron: Officer) -> None:
    for c in scattered(heron, 30):
        checkins.save(c)
    rows: list[CheckinSummary] = []
    oldest: str | None = None
    while True:
        got, damaged, oldest = checkins.page(oldest, 5)
        assert damaged == []
        if oldest is None:
            break
        assert min(r.period for r in got) == oldest  # whole periods, down to ``oldest``
        rows.extend(got)
    assert [r.id for r in rows] == [s.id for s in checkins.summaries()[0]]


# -- damage: never wrong rows, always said --------------------------------------------------------
def _newest_period(vault: UnlockedVault) -> str:
    return max(indexes(vault))


def _flip_a_byte(db: Any, period: str) -> None:
    (blob,) = raw_query(db, "SELECT entries_sealed FROM checkin_month WHERE period=?",
                        (period,))[0]
    assert isinstance(blob, bytes)
    raw_execute(db, "UPDATE checkin_month SET entries_sealed=? WHERE period=?",
                (blob[:40] + bytes([blob[40] ^ 1]) + blob[41:], period))


@pytest.mark.parametrize("edit", [
    _flip_a_byte,
    "UPDATE checkin_month SET entries_sealed = "
    "(SELECT entries_sealed FROM checkin_month WHERE period < :p ORDER BY period DESC LIMIT 1)"
    " WHERE period = :p",
    "UPDATE checkin_month SET schema_version = 2 WHERE period = :p",
    "UPDATE checkin_month SET entries_sealed = 'text' WHERE period = :p",
    "DELETE FROM checkin_month WHERE period = :p",
], ids=["flipped-byte", "other-months-blob", "schema", "text", "missing"])
def test_a_damaged_index_gives_the_right_rows_and_is_reported(
    vault: UnlockedVault, checkins: CheckinService, heron: Officer, edit: Any
) -> None:
    for c in scattered(heron, 45):
        checkins.save(c)
    summaries, _ = checkins.summaries()
    period = _newest_period(vault)
    if isinstance(edit, str):
        raw_execute(vault.data_dir.database, edit.replace(":p", "?"), [period] * edit.count(":p"))
    else:
        edit(vault.data_dir.database, period)

    first = checkins.page_after(None, 3)
    assert first.damaged_indexes == [period] and first.damaged == []
    assert [r.id for r in first.rows][:3] == [s.id for s in summaries][:3]
    rows, damaged, bad_months, _ = every_page(checkins, 4)
    assert [r.id for r in rows] == [s.id for s in summaries] and damaged == []
    assert bad_months == [period]

    report = vault.verify()
    assert not report.ok
    assert {(t, i) for t, i, _ in report.failures} == {("checkin_month", period)}

    assert checkins.rebuild_month_indexes().months == len({s.period for s in summaries})
    assert_exact(vault)
    assert checkins.page_after(None, 3).damaged_indexes == []


def test_a_stale_index_is_caught_by_the_page_and_by_verify(
    vault: UnlockedVault, checkins: CheckinService, heron: Officer
) -> None:
    """An older copy of the month's own index (it authenticates: same month, same key), put
    back after a time changed inside the month: the count still matches, the time does not.
    The page notices on opening that row, reads the month whole and says so; ``verify``
    notices anywhere in the month; ``rebuild_month_indexes`` repairs it. (Deeper in the
    month, a page notices only when it reaches that row: like any sealed value, an older
    copy of the index authenticates; see SECURITY.md.)"""
    made = [make(heron, datetime(2025, 3, day, 9, tzinfo=EST)) for day in range(1, 6)]
    for c in made:
        checkins.save(c)
    db = vault.data_dir.database
    (old_blob,) = raw_query(db, "SELECT entries_sealed FROM checkin_month")[0]
    made[4].occurred_at = datetime(2025, 3, 6, 9, tzinfo=EST)  # still the newest
    checkins.save(made[4])
    raw_execute(db, "UPDATE checkin_month SET entries_sealed = ?", (old_blob,))

    page = checkins.page_after(None, 2)
    assert [r.id for r in page.rows] == [c.id for c in reversed(made)]  # the month, whole
    assert page.rows[0].occurred_at.day == 6
    assert page.damaged_indexes == ["2025-03"]
    assert {(t, i) for t, i, _ in vault.verify().failures} == {("checkin_month", "2025-03")}
    checkins.rebuild_month_indexes()
    assert_exact(vault)
    assert checkins.page_after(None, 2).damaged_indexes == []


def test_check_ins_missing_from_the_index_are_never_hidden(
    vault: UnlockedVault, checkins: CheckinService, heron: Officer
) -> None:
    """A row the index does not know (as if written around it): the month's count differs
    from the index, so the month is read whole and the row is shown."""
    for day in range(1, 6):
        checkins.save(make(heron, datetime(2025, 3, day, 9, tzinfo=EST)))
    db = vault.data_dir.database
    (old_blob,) = raw_query(db, "SELECT entries_sealed FROM checkin_month")[0]
    newest = make(heron, datetime(2025, 3, 31, 9, tzinfo=EST))
    checkins.save(newest)
    raw_execute(db, "UPDATE checkin_month SET entries_sealed = ?", (old_blob,))
    page = checkins.page_after(None, 1)
    assert page.rows[0].id == newest.id and len(page.rows) == 6
    assert page.damaged_indexes == ["2025-03"]
    assert {(t, i) for t, i, _ in vault.verify().failures} == {("checkin_month", "2025-03")}


def test_a_damaged_check_in_is_reported_at_its_place_in_the_pages(
    vault: UnlockedVault, checkins: CheckinService, heron: Officer
) -> None:
    made = [make(heron, datetime(2025, 3, day, 9, tzinfo=EST)) for day in range(1, 9)]
    for c in made:
        checkins.save(c)
    bad = made[5]
    raw_execute(vault.data_dir.database,
                "UPDATE checkin SET summary_sealed = (SELECT summary_sealed FROM checkin "
                "WHERE id = ?) WHERE id = ?", (made[0].id, bad.id))
    first = checkins.page_after(None, 2)  # days 8, 7: nothing damaged yet
    assert [r.occurred_at.day for r in first.rows] == [8, 7] and first.damaged == []
    second = checkins.page_after(first.next, 2)  # day 6 is the damaged one: reported
    assert [r.occurred_at.day for r in second.rows] == [5] and second.damaged == [bad.id]
    assert second.damaged_indexes == []
    rows, damaged, _, _ = every_page(checkins, 3)
    assert bad.id not in {r.id for r in rows} and damaged == [bad.id] and len(rows) == 7
    # verify names the check-in only: its month's index is not at fault
    assert {(t, i) for t, i, _ in vault.verify().failures} == {("checkin", bad.id)}
    checkins.delete(bad.id)  # deleting a damaged check-in keeps the index exact
    assert_exact(vault)


def test_a_short_month_does_not_make_the_page_skip_older_months(
    vault: UnlockedVault, checkins: CheckinService, heron: Officer
) -> None:
    """A month read whole gives fewer rows than its count (damaged ones): the page goes on
    with the very next month, not below the months it had planned to read."""
    march = [make(heron, datetime(2025, 3, day, 9, tzinfo=EST)) for day in range(1, 7)]
    older = [make(heron, datetime(2025, month, 1, 9, tzinfo=EST)) for month in (2, 1)]
    for c in [*march, *older]:
        checkins.save(c)
    first = checkins.page_after(None, 2)  # days 6 and 5: stops inside March
    db = vault.data_dir.database
    raw_execute(db, "DELETE FROM checkin_month WHERE period = '2025-03'")
    for bad in march[2:4]:
        raw_execute(db, "UPDATE checkin SET schema_version = 2 WHERE id = ?", (bad.id,))
    page = checkins.page_after(first.next, 4)
    assert [r.id for r in page.rows] == [march[1].id, march[0].id, older[0].id, older[1].id]
    assert sorted(page.damaged) == sorted(c.id for c in march[2:4])
    assert page.damaged_indexes == ["2025-03"] and page.next is None


def test_an_edited_period_reads_whole_months_and_reports_only_the_check_in(
    vault: UnlockedVault, checkins: CheckinService, heron: Officer
) -> None:
    good, bad = (make(heron, datetime(2025, 3, d, 9, tzinfo=EST)) for d in (1, 2))
    checkins.save(good)
    checkins.save(bad)
    raw_execute(vault.data_dir.database,
                "UPDATE checkin SET period='2020-01' WHERE id=?", (bad.id,))
    rows, damaged, bad_months, _ = every_page(checkins, 10)
    assert [r.id for r in rows] == [good.id] and damaged == [bad.id]
    assert sorted(bad_months) == ["2020-01", "2025-03"]
    assert {(t, i) for t, i, _ in vault.verify().failures} == {("checkin", bad.id)}


# -- unlock builds the index of a vault written before it -----------------------------------------
def test_unlock_indexes_check_ins_written_before_the_index(
    service: VaultService, vault: UnlockedVault, heron: Officer
) -> None:
    checkins = vault.checkins()
    for c in scattered(heron, 25):
        checkins.save(c)
    vault.lock()
    raw_execute(service.data_dir.database, "DELETE FROM checkin_month")
    opened = service.unlock(PASSPHRASE)
    try:
        assert indexes(opened) == expected(opened) and indexes(opened)
        assert opened.checkins().ensure_month_indexes() is False  # nothing left to do
        assert opened.verify().ok
    finally:
        opened.lock()


# -- at rest: no exact time in the file -----------------------------------------------------------
def test_no_exact_time_at_rest(
    service: VaultService, vault: UnlockedVault, heron: Officer
) -> None:
    when = datetime(2025, 3, 14, 21, 37, 53, 123457, tzinfo=EST)
    canary = make(heron, when)
    checkins = vault.checkins()
    for c in scattered(heron, 10):
        checkins.save(c)
    checkins.save(canary)
    seconds = int(when.timestamp())
    micros = time_key(when)
    texts = [when.isoformat(), when.astimezone(UTC).isoformat(), when.strftime("%Y-%m-%d %H:%M"),
             "2025-03-14T21:37", "2025-03-15T02:37", str(seconds), str(micros),
             str(seconds * 1000)]
    entry = pack_entry(micros, canary.id)
    binary = [entry, entry[:8], struct.pack("<q", micros), struct.pack(">q", micros),
              struct.pack(">q", seconds), struct.pack("<q", seconds)]

    def check() -> None:
        assert scan(service.data_dir.root, texts) == []
        for path in all_files(service.data_dir.root):
            data = path.read_bytes()
            assert not [b for b in binary if b in data], path.name

    check()  # open, write-ahead log live
    assert raw_query(vault.data_dir.database, "SELECT count(*) FROM checkin_month") != [(0,)]
    vault.lock()
    check()  # locked and checkpointed
    opened = service.unlock(PASSPHRASE)
    try:
        opened.checkins().rebuild_month_indexes()
    finally:
        opened.lock()
    check()


def test_the_index_table_holds_only_allow_listed_plaintext(vault: UnlockedVault) -> None:
    from peersupport.store.models import PLAINTEXT_ALLOW_LIST

    columns = {c.name for c in CheckinMonthRow.__table__.columns}
    assert columns - {"entries_sealed"} == set(PLAINTEXT_ALLOW_LIST["checkin_month"])
