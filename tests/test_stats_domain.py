"""Anonymized statistics, the pure part: suppression of count tables, checked against
independent checkers over random tables (no published count from 1 to k-1, no line with a
single suppressed value, no suppressed value that can be worked out from what is published,
zeros and true counts published as they are), hand-made tables, periods and quarters, and
hours of support."""

from __future__ import annotations

from fractions import Fraction
from itertools import product

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from peersupport.domain.stats import (
    DIMENSIONS,
    LATE,
    MONTH,
    ON_TIME,
    QUARTER,
    SUPPRESSED,
    CountTable,
    PublishedTable,
    StatRecord,
    check_k,
    dimension_codes,
    hours_range,
    is_safe,
    months_between,
    period_of,
    periods_between,
    quarter_of,
    suppress,
    tables_from_counts,
)
from peersupport.services.statistics import fold

Position = tuple[str, str]  # (code, period); "" for a total, as in the module
FAST = settings(max_examples=300, deadline=None,
                suppress_health_check=[HealthCheck.too_slow])


# -- tables and independent checkers -------------------------------------------------------------
def months(n: int, first: str = "2025-11") -> list[str]:
    year, month = (int(x) for x in first.split("-"))
    out = []
    for _ in range(n):
        out.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


def make_table(rows: list[list[int]], dimension: str = "incident_category",
               codes: list[str] | None = None, first: str = "2025-11") -> CountTable:
    row_codes = codes or [f"code{i}" for i in range(len(rows))]
    periods = months(len(rows[0]), first)
    table = CountTable.empty(dimension, periods, row_codes)
    for code, counts in zip(row_codes, rows, strict=True):
        for period, n in zip(periods, counts, strict=True):
            table.cells[code][period] = n
    return table


def true_values(table: CountTable) -> dict[Position, int]:
    """Every value of the table, totals summed here (not with the table's own helpers)."""
    values: dict[Position, int] = {}
    for c in table.codes:
        for p in table.periods:
            values[(c, p)] = table.cells[c][p]
        values[(c, "")] = sum(table.cells[c][p] for p in table.periods)
    for p in table.periods:
        values[("", p)] = sum(table.cells[c][p] for c in table.codes)
    values[("", "")] = sum(values[(c, "")] for c in table.codes)
    return values


def published(table: PublishedTable) -> dict[Position, int | str]:
    values: dict[Position, int | str] = {}
    for c in table.codes:
        for p in table.periods:
            values[(c, p)] = table.cells[c][p]
        values[(c, "")] = table.row_totals[c]
    for p in table.periods:
        values[("", p)] = table.column_totals[p]
    values[("", "")] = table.total
    return values


def lines(codes: list[str], periods: list[str]) -> list[tuple[list[Position], Position]]:
    """Each line as (the values that add up, their total)."""
    out = [([(c, p) for p in periods], (c, "")) for c in codes]
    out += [([(c, p) for c in codes], ("", p)) for p in periods]
    out.append(([(c, "") for c in codes], ("", "")))
    out.append(([("", p) for p in periods], ("", "")))
    return out


def hidden_of(shown: dict[Position, int | str]) -> list[Position]:
    return [pos for pos, v in shown.items() if v == SUPPRESSED]


def derivable_from_one_line(shown: dict[Position, int | str], codes: list[str],
                            periods: list[str]) -> list[Position]:
    """Suppressed values that a single line gives away: the only unknown in a line."""
    found = []
    for inner, margin in lines(codes, periods):
        unknown = [pos for pos in [*inner, margin] if shown[pos] == SUPPRESSED]
        if len(unknown) == 1:
            found.append(unknown[0])
    return found


def _equations(shown: dict[Position, int | str], codes: list[str], periods: list[str],
               unknowns: list[Position]) -> list[list[Fraction]]:
    """Each line as a row of coefficients over the unknowns (the right-hand side does not
    matter for what is determined)."""
    column = {pos: i for i, pos in enumerate(unknowns)}
    rows = []
    for inner, margin in lines(codes, periods):
        row = [Fraction(0)] * len(unknowns)
        for pos in inner:
            if pos in column:
                row[column[pos]] += 1
        if margin in column:
            row[column[margin]] -= 1
        rows.append(row)
    return rows


def linearly_determined(shown: dict[Position, int | str], codes: list[str],
                        periods: list[str]) -> list[Position]:
    """Suppressed values fixed by the published values and any combination of the line
    equations: those whose unit vector lies in the row space (Gaussian elimination)."""
    unknowns = hidden_of(shown)
    if not unknowns:
        return []
    basis: list[tuple[int, list[Fraction]]] = []  # (pivot column, row with 1 at the pivot)
    for row in _equations(shown, codes, periods, unknowns):
        row = list(row)
        for pivot, base in basis:
            if row[pivot]:
                factor = row[pivot]
                row = [a - factor * b for a, b in zip(row, base, strict=True)]
        lead = next((i for i, a in enumerate(row) if a), None)
        if lead is None:
            continue
        row = [a / row[lead] for a in row]
        for i, (pivot, base) in enumerate(basis):
            if base[lead]:
                factor = base[lead]
                basis[i] = (pivot, [a - factor * b for a, b in zip(base, row, strict=True)])
        basis.append((lead, row))
    determined = []
    for i, pos in enumerate(unknowns):
        vector = [Fraction(0)] * len(unknowns)
        vector[i] = Fraction(1)
        for pivot, base in basis:
            if vector[pivot]:
                factor = vector[pivot]
                vector = [a - factor * b for a, b in zip(vector, base, strict=True)]
        if not any(vector):
            determined.append(pos)
    return determined


def pinned_by_search(shown: dict[Position, int | str], truth: dict[Position, int],
                     codes: list[str], periods: list[str]) -> list[Position]:
    """Suppressed values that no other table agreeing with everything published can change,
    knowing that every suppressed value is at least 1 (zeros are published). Exhaustive: a
    change of +1, 0 or -1 to every suppressed value (any other table agreeing with the
    published one can be reached by such steps), searched with the line sums as pruning."""
    unknowns = hidden_of(shown)
    index = {pos: i for i, pos in enumerate(unknowns)}
    eqs: list[list[tuple[int, int]]] = []  # (unknown, coefficient) per line
    for inner, margin in lines(codes, periods):
        terms = [(index[pos], 1) for pos in inner if pos in index]
        if margin in index:
            terms.append((index[margin], -1))
        if terms:
            eqs.append(terms)
    of_var: list[list[int]] = [[] for _ in unknowns]
    for e, terms in enumerate(eqs):
        for var, _ in terms:
            of_var[var].append(e)

    def other_table_exists(target: int, step: int) -> bool:
        delta: list[int | None] = [None] * len(unknowns)
        delta[target] = step
        partial = [0] * len(eqs)
        open_count = [len(t) for t in eqs]
        for e in of_var[target]:
            coef = next(c for v, c in eqs[e] if v == target)
            partial[e] += coef * step
            open_count[e] -= 1
        if any(abs(partial[e]) > open_count[e] for e in range(len(eqs))):
            return False
        order = [v for v in range(len(unknowns)) if v != target]

        def search(at: int) -> bool:
            if at == len(order):
                return all(p == 0 for p in partial)
            var = order[at]
            options = (0, 1, -1) if truth[unknowns[var]] >= 2 else (0, 1)
            for d in options:
                ok = True
                touched = []
                for e in of_var[var]:
                    coef = next(c for v, c in eqs[e] if v == var)
                    partial[e] += coef * d
                    open_count[e] -= 1
                    touched.append((e, coef))
                    if abs(partial[e]) > open_count[e]:
                        ok = False
                if ok and search(at + 1):
                    return True
                for e, coef in touched:
                    partial[e] -= coef * d
                    open_count[e] += 1
            return False

        return search(0)

    pinned = []
    for i, pos in enumerate(unknowns):
        steps = (1, -1) if truth[pos] >= 2 else (1,)
        if not any(other_table_exists(i, s) for s in steps):
            pinned.append(pos)
    return pinned


# -- strategies -----------------------------------------------------------------------------------
counts = st.one_of(st.just(0), st.integers(0, 2), st.integers(1, 6), st.integers(0, 15),
                   st.integers(0, 300))


@st.composite
def tables(draw: st.DrawFn, max_rows: int = 8, max_cols: int = 12,
           values: st.SearchStrategy[int] = counts) -> CountTable:
    rows = draw(st.integers(1, max_rows))
    cols = draw(st.integers(1, max_cols))
    cells = draw(st.lists(st.lists(values, min_size=cols, max_size=cols),
                          min_size=rows, max_size=rows))
    first = draw(st.sampled_from(["2024-01", "2025-11", "2026-12"]))
    return make_table(cells, first=first)


thresholds = st.integers(3, 11)


# -- properties over random tables ----------------------------------------------------------------
@FAST
@given(tables(), thresholds)
def test_suppression_over_random_tables(table: CountTable, k: int) -> None:
    truth = true_values(table)
    result = suppress(table, k)
    shown = published(result)
    codes, periods = table.codes, table.periods
    assert (result.codes, result.periods) == (codes, periods)
    assert set(shown) == set(truth)
    for pos, value in shown.items():
        if value == SUPPRESSED:
            assert truth[pos] > 0, f"a zero was suppressed at {pos}"
        else:
            assert value == truth[pos], f"{pos} published {value}, true {truth[pos]}"
            assert value == 0 or value >= k, f"{pos} published {value} below k={k}"
    # every true value from 1 to k-1 is suppressed (cells and totals alike)
    assert {pos for pos, v in truth.items() if 0 < v < k} <= set(hidden_of(shown))
    for inner, margin in lines(codes, periods):
        n = sum(1 for pos in [*inner, margin] if shown[pos] == SUPPRESSED)
        assert n != 1, f"line {[*inner, margin]} has exactly one suppressed value"
    assert derivable_from_one_line(shown, codes, periods) == []
    assert linearly_determined(shown, codes, periods) == []
    if len(hidden_of(shown)) <= 14:
        assert pinned_by_search(shown, truth, codes, periods) == []
    assert is_safe(result, k)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tables(max_rows=3, max_cols=4, values=st.one_of(st.just(0), st.integers(0, 3),
                                                       st.integers(1, 9))),
       st.integers(3, 6))
def test_no_suppressed_value_is_pinned_in_small_tables(table: CountTable, k: int) -> None:
    """Exhaustively: for every suppressed value there is another table, agreeing with all
    that is published and with no suppressed value below 1, where it differs."""
    truth = true_values(table)
    shown = published(suppress(table, k))
    assert pinned_by_search(shown, truth, table.codes, table.periods) == []


@FAST
@given(tables(), thresholds)
def test_suppression_is_deterministic(table: CountTable, k: int) -> None:
    assert suppress(table, k) == suppress(table, k)


@FAST
@given(st.data(), thresholds)
def test_a_table_without_small_counts_is_published_as_it_is(data: st.DataObject,
                                                            k: int) -> None:
    table = data.draw(tables(values=st.one_of(st.just(0), st.integers(k, 400))))
    result = suppress(table, k)
    assert published(result) == true_values(table)
    assert is_safe(result, k)
    # and suppressing what was published (nothing hidden) changes nothing
    again = CountTable.empty(table.dimension, table.periods, table.codes)
    for c in table.codes:
        for p in table.periods:
            value = result.cells[c][p]
            assert isinstance(value, int)
            again.cells[c][p] = value
    assert suppress(again, k) == result


@FAST
@given(tables(), thresholds, thresholds)
def test_a_larger_k_never_publishes_what_a_smaller_k_hides_as_primary(
    table: CountTable, k: int, other: int
) -> None:
    low, high = sorted((k, other))
    shown_high = published(suppress(table, high))
    truth = true_values(table)
    assert all(shown_high[pos] == SUPPRESSED for pos, v in truth.items() if 0 < v < low)


# -- the checkers themselves catch what they must -------------------------------------------------
def test_the_checkers_catch_a_one_line_disclosure_and_a_combined_one() -> None:
    codes, periods = ["a", "b"], ["p1", "p2"]
    shown: dict[Position, int | str] = {
        ("a", "p1"): SUPPRESSED, ("a", "p2"): 10, ("a", ""): 12,
        ("b", "p1"): 7, ("b", "p2"): 8, ("b", ""): 15,
        ("", "p1"): 9, ("", "p2"): 18, ("", ""): 27,
    }
    assert derivable_from_one_line(shown, codes, periods) == [("a", "p1")] * 2
    assert linearly_determined(shown, codes, periods) == [("a", "p1")]
    # the example the line rule alone let through (see the next test): two suppressed values
    # in every line, and still (row 2, first month) is worked out by combining four lines
    table = make_table([[0, 21, 0], [0, 0, 0], [2, 4, 0], [24, 39, 3]])
    (c0, _, c2, c3), (p0, p1, p2) = table.codes, table.periods
    old: dict[Position, int | str] = dict(true_values(table))
    for pos in [(c0, p1), (c0, ""), (c2, p0), (c2, p1), (c2, ""), (c3, p0), (c3, p2),
                ("", p0), ("", p2)]:
        old[pos] = SUPPRESSED
    assert derivable_from_one_line(old, table.codes, table.periods) == []
    assert linearly_determined(old, table.codes, table.periods) == [(c2, p0)]
    new = published(suppress(table, 8))
    assert set(hidden_of(new)) > set(hidden_of(old))
    assert linearly_determined(new, table.codes, table.periods) == []
    # and "suppressed, suppressed, 10" with total 12: both are 1 (each is at least 1)
    ones = make_table([[1, 1, 10], [5, 6, 7]])
    shown_ones = true_values(ones) | {(ones.codes[0], ones.periods[0]): SUPPRESSED,
                                      (ones.codes[0], ones.periods[1]): SUPPRESSED,
                                      (ones.codes[1], ones.periods[0]): SUPPRESSED,
                                      (ones.codes[1], ones.periods[1]): SUPPRESSED}
    assert linearly_determined(shown_ones, ones.codes, ones.periods) == []
    # the two ones first, and through them the other two as well
    assert set(pinned_by_search(shown_ones, true_values(ones), ones.codes, ones.periods)) == {
        (c, p) for c in ones.codes for p in ones.periods[:2]}
    # the suppression of the same table hides more than that
    assert pinned_by_search(published(suppress(ones, 5)), true_values(ones), ones.codes,
                            ones.periods) == []


# -- hand-made tables -----------------------------------------------------------------------------
def test_one_officer_involved_shooting_contact_in_march_is_suppressed_with_its_complement(
) -> None:
    codes = ["officer_involved_shooting", "fatal_collision", "cumulative_stress"]
    table = make_table([[0, 0, 1, 0],  # January to April: 1 shooting contact in March
                        [6, 0, 9, 12],
                        [14, 20, 11, 30]], codes=codes, first="2026-01")
    result = suppress(table, 5)
    ois = result.cells["officer_involved_shooting"]
    assert ois["2026-03"] == SUPPRESSED
    # its row total is 1 too; the row holds two suppressed values, the shooting's other
    # months are zeros and stay published
    assert result.row_totals["officer_involved_shooting"] == SUPPRESSED
    assert [ois[p] for p in ("2026-01", "2026-02", "2026-04")] == [0, 0, 0]
    # March's column needs a complement: the smallest other count there (9, fatal collisions)
    march = [result.cells[c]["2026-03"] for c in codes]
    assert march.count(SUPPRESSED) >= 2
    assert result.cells["fatal_collision"]["2026-03"] == SUPPRESSED
    assert result.column_totals["2026-03"] == 21  # 1 + 9 + 11: nothing to hide
    # and the 9 has its own complements in its row, so nothing can be subtracted back
    shown = published(result)
    assert derivable_from_one_line(shown, codes, table.periods) == []
    assert linearly_determined(shown, codes, table.periods) == []
    assert pinned_by_search(shown, true_values(table), codes, table.periods) == []
    assert is_safe(result, 5)


def test_two_ones_beside_a_published_total_get_another_complement() -> None:
    """``suppressed, suppressed, 10`` with total 12 gives both away: each is at least 1."""
    table = make_table([[1, 1, 10], [30, 40, 50]])
    result = suppress(table, 5)
    shown = published(result)
    row = [shown[(table.codes[0], p)] for p in table.periods] + [shown[(table.codes[0], "")]]
    assert row[:2] == [SUPPRESSED, SUPPRESSED]
    assert row.count(SUPPRESSED) >= 3
    assert pinned_by_search(shown, true_values(table), table.codes, table.periods) == []


def test_an_all_zero_table_is_published_whole() -> None:
    table = make_table([[0, 0, 0], [0, 0, 0]])
    result = suppress(table, 5)
    assert list(result.values()) == [0] * 12
    assert is_safe(result, 5)


def test_a_small_grand_total_hides_the_whole_table() -> None:
    table = make_table([[1, 0], [0, 2]])
    result = suppress(table, 5)
    assert result.total == SUPPRESSED
    assert all(v in (0, SUPPRESSED) for v in result.values())
    assert is_safe(result, 5)


def test_k_is_checked() -> None:
    table = make_table([[5]])
    for bad in (2, 12, 0, -5, True, 5.0, "5"):
        with pytest.raises(ValueError):
            suppress(table, bad)  # type: ignore[arg-type]
        with pytest.raises(ValueError):
            check_k(bad)  # type: ignore[arg-type]
    assert check_k(3) == 3 and check_k(11) == 11


def _published_from(rows: list[list[int | str]], totals: list[int | str]) -> PublishedTable:
    """A hand-written published table: ``rows`` are cells plus the row total; ``totals`` the
    column totals plus the grand total."""
    codes = [f"code{i}" for i in range(len(rows))]
    periods = months(len(totals) - 1)
    return PublishedTable(
        dimension="incident_category", periods=periods, codes=codes,
        cells={c: dict(zip(periods, r[:-1], strict=True)) for c, r in zip(codes, rows,
                                                                            strict=True)},
        row_totals={c: r[-1] for c, r in zip(codes, rows, strict=True)},
        column_totals=dict(zip(periods, totals[:-1], strict=True)), total=totals[-1])


S = SUPPRESSED


def test_is_safe_refuses_what_gives_a_count_away() -> None:
    safe = _published_from([[S, S, 10, 22], [S, S, 20, 30]], [11, 11, 30, 52])
    assert is_safe(safe, 5)
    # a count below k
    assert not is_safe(_published_from([[3, 7, 10], [9, 7, 16]], [12, 14, 26]), 5)
    assert is_safe(_published_from([[3, 7, 10], [9, 7, 16]], [12, 14, 26]), 3)
    # one suppressed value in a line
    assert not is_safe(_published_from([[S, 10, 12], [9, 7, 16]], [S, 17, 28]), 5)
    # the suppressed values of a line must all be 1: total 12, published 10, two unknowns
    assert not is_safe(_published_from([[S, S, 10, 12], [S, S, 20, 30]], [6, 6, 30, 42]), 5)
    # two suppressed values in every line, still one determined by combining lines
    combined = _published_from(
        [[0, S, 0, S], [0, 0, 0, 0], [S, S, 0, S], [S, 39, S, 66]], [S, 64, S, 93])
    assert not is_safe(combined, 8)


# -- periods --------------------------------------------------------------------------------------
def test_periods_helpers() -> None:
    assert [quarter_of(m) for m in ("2026-01", "2026-03", "2026-04", "2026-09", "2026-12")] \
        == ["2026-Q1", "2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4"]
    assert months_between("2025-11", "2026-02") == ["2025-11", "2025-12", "2026-01", "2026-02"]
    assert months_between("2026-05", "2026-05") == ["2026-05"]
    assert len(months_between("2024-01", "2026-12")) == 36
    with pytest.raises(ValueError):
        months_between("2026-02", "2026-01")
    assert period_of("2026-05", MONTH) == "2026-05"
    assert period_of("2026-05", QUARTER) == "2026-Q2"
    with pytest.raises(ValueError):
        period_of("2026-05", "week")
    assert periods_between("2025-11", "2026-04", QUARTER) == ["2025-Q4", "2026-Q1", "2026-Q2"]
    assert periods_between("2025-11", "2026-01", MONTH) == ["2025-11", "2025-12", "2026-01"]
    assert periods_between("2026-02", "2026-02", QUARTER) == ["2026-Q1"]


@FAST
@given(st.dictionaries(
    st.tuples(st.sampled_from(["officer_involved_shooting", "other", "no_such_code"]),
              st.sampled_from(months(14, "2025-11"))),
    st.integers(0, 50), max_size=30))
def test_quarters_add_up_their_months(monthly: dict[tuple[str, str], int]) -> None:
    periods_m = months(14, "2025-11")  # 2025-11 .. 2026-12
    counts = {"incident_category": monthly}
    by_month = tables_from_counts(counts, periods_m)["incident_category"]
    quarters = periods_between(periods_m[0], periods_m[-1], QUARTER)
    assert quarters == ["2025-Q4", "2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4"]
    by_quarter = tables_from_counts(fold(counts, QUARTER), quarters)["incident_category"]
    for code in by_month.codes:
        for q in quarters:
            assert by_quarter.cells[code][q] == sum(
                by_month.cells[code][m] for m in periods_m if quarter_of(m) == q)
        assert by_quarter.row_total(code) == by_month.row_total(code)
    assert by_quarter.total() == by_month.total() == sum(
        n for (code, _), n in monthly.items() if code != "no_such_code")
    assert fold(counts, MONTH) == counts


def test_tables_from_counts_has_every_code_and_drops_the_unknown() -> None:
    periods = ["2026-01", "2026-02"]
    tables_ = tables_from_counts({
        "contact_type": {("phone", "2026-01"): 4, ("carrier_pigeon", "2026-01"): 9,
                         ("phone", "2025-12"): 7},
        "followup": {(ON_TIME, "2026-02"): 3, (LATE, "2026-02"): 1},
    }, periods)
    assert list(tables_) == list(DIMENSIONS)
    for dimension, table in tables_.items():
        assert table.codes == list(dimension_codes(dimension))
        assert table.periods == periods
    contact = tables_["contact_type"]
    assert contact.cells["phone"] == {"2026-01": 4, "2026-02": 0}
    assert contact.total() == 4
    assert tables_["followup"].cells[LATE]["2026-02"] == 1
    assert tables_["incident_category"].total() == 0
    with pytest.raises(KeyError):
        dimension_codes("officer_name")


def test_a_record_has_a_referral_only_with_referral_types() -> None:
    base = StatRecord("2026-01", "other", "phone", "self", "sworn", "under_15")
    assert base.referral == "none"
    assert StatRecord("2026-01", "other", "phone", "self", "sworn", "under_15",
                      referral_types=("eap",)).referral == "made"


# -- hours of support -------------------------------------------------------------------------
def test_hours_range_from_a_duration_table() -> None:
    table = CountTable.empty("duration_bucket", ["2026-01", "2026-02"],
                             dimension_codes("duration_bucket"))
    table.cells["under_15"]["2026-01"] = 4  # 0 to 1 hour
    table.cells["15_30"]["2026-02"] = 2  # 0.5 to 1 hour
    table.cells["30_60"]["2026-01"] = 3  # 1.5 to 3 hours
    table.cells["over_60"]["2026-02"] = 2  # 2 to 6 hours (at most 3 hours each)
    assert hours_range(table) == (4.0, 11.0, True)
    assert hours_range(CountTable.empty("duration_bucket", ["2026-01"],
                                        dimension_codes("duration_bucket"))) == (0, 0, True)


def test_hours_range_of_a_suppressed_table_counts_only_what_is_published() -> None:
    periods = ["2026-01", "2026-02", "2026-03"]
    table = CountTable.empty("duration_bucket", periods, dimension_codes("duration_bucket"))
    for code, row in (("under_15", [20, 30, 40]), ("over_60", [1, 9, 12])):
        for period, n in zip(periods, row, strict=True):
            table.cells[code][period] = n
    result = suppress(table, 5)
    assert result.cells["over_60"]["2026-01"] == SUPPRESSED
    low, high, complete = hours_range(result)
    assert not complete
    published_over = [v for v in result.cells["over_60"].values() if isinstance(v, int)]
    published_under = [v for v in result.cells["under_15"].values() if isinstance(v, int)]
    assert published_over and published_under
    assert (low, high) == (1.0 * sum(published_over),
                           0.25 * sum(published_under) + 3.0 * sum(published_over))
    assert high < hours_range(table)[1]


def test_exhaustive_search_agrees_with_itself_on_a_tiny_grid() -> None:
    """Sanity of the exhaustive checker: every 1x2 table of small counts, k = 3."""
    for a, b in product(range(4), repeat=2):
        table = make_table([[a, b]])
        shown = published(suppress(table, 3))
        assert pinned_by_search(shown, true_values(table), table.codes, table.periods) == []
        assert linearly_determined(shown, table.codes, table.periods) == []
