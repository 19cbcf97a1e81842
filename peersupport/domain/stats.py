"""Anonymized statistics: count tables and the suppression every shared number goes through.

A **table** counts one dimension (incident category, contact type, ...) by period: one row per
code, one column per period, with row totals, column totals and a grand total. Tables are never
crossed with each other (no "category by contact type"), so a combination of rare values is
never published.

**Suppression** (``suppress``): every value from 1 to k-1 - cells and totals alike - is
replaced by "suppressed" (primary suppression). Then complementary suppression: a row or column
is a linear equation (its cells add up to its total), so one unknown in it could be worked out
from the others. Every line - each row with its total, each column with its total, the row of
column totals and the column of row totals with the grand total - must hold either no
suppressed value or at least two. Where a line holds exactly one, the smallest other non-zero
value in it is suppressed too, and so on until every line is safe. Zeros are published (a zero
names nobody) and never chosen as a complement, so a complement always hides something.

Lines taken one at a time are not enough: equations can be combined (two suppressed values in
each of several rows and columns can still leave one of them determined), and since zeros are
published every suppressed value is known to be at least 1 (a row ``suppressed, suppressed,
10`` with total 12 says both are 1). So after the line rule, every suppressed value is checked
against everything published (``_pinned``): while one is pinned down, the smallest non-zero
value whose suppression frees it is suppressed too.

Pure: no database, no keys.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final, Generic, TypeVar

from peersupport.domain import codes

DEFAULT_K: Final = 5
MIN_K: Final = 3
MAX_K: Final = 11
SUPPRESSED: Final = "suppressed"

# The dimensions a table can count, with their codes and labels, in display order.
DIMENSIONS: dict[str, str] = {
    "incident_category": "Incident category",
    "contact_type": "Contact type",
    "initiated_by": "How the contact started",
    "recipient_class": "Recipient",
    "duration_bucket": "Duration",
    "referral": "Referral made",
    "referral_type": "Referral type",
    "followup": "Follow-ups done",
}
REFERRAL_CODES: dict[str, str] = {"made": "Referral made", "none": "No referral"}
FOLLOWUP_CODES: dict[str, str] = {"on_time": "On time", "late": "Late"}
ON_TIME, LATE = "on_time", "late"

# Hours of support per duration bucket, as a range (lower, upper). A contact over an hour has
# no recorded upper bound; it counts as at most three hours (stated wherever hours are shown).
BUCKET_HOURS: dict[str, tuple[float, float]] = {
    "under_15": (0.0, 0.25),
    "15_30": (0.25, 0.5),
    "30_60": (0.5, 1.0),
    "over_60": (1.0, 3.0),
}


def dimension_codes(dimension: str) -> dict[str, str]:
    """Code -> label for a dimension (KeyError for an unknown one)."""
    return {
        "incident_category": dict(codes.INCIDENT_CATEGORIES),
        "contact_type": dict(codes.CONTACT_TYPES),
        "initiated_by": dict(codes.INITIATED_BY),
        "recipient_class": dict(codes.RECIPIENT_CLASSES),
        "duration_bucket": dict(codes.DURATION_BUCKETS),
        "referral": REFERRAL_CODES,
        "referral_type": dict(codes.REFERRAL_TYPES),
        "followup": FOLLOWUP_CODES,
    }[dimension]


def check_k(k: int) -> int:
    if type(k) is not int or not MIN_K <= k <= MAX_K:
        raise ValueError(f"The suppression threshold must be a whole number from {MIN_K} to "
                         f"{MAX_K}.")
    return k


# -- periods -------------------------------------------------------------------------------------
MONTH, QUARTER = "month", "quarter"


def quarter_of(month: str) -> str:
    """``2026-05`` -> ``2026-Q2``."""
    year, mon = month.split("-")
    return f"{year}-Q{(int(mon) - 1) // 3 + 1}"


def months_between(first: str, last: str) -> list[str]:
    """Every month from ``first`` to ``last`` (``YYYY-MM``), inclusive."""
    y, m = (int(x) for x in first.split("-"))
    ly, lm = (int(x) for x in last.split("-"))
    if (y, m) > (ly, lm):
        raise ValueError("The first month comes after the last.")
    out = []
    while (y, m) <= (ly, lm):
        out.append(f"{y:04d}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def period_of(month: str, granularity: str) -> str:
    if granularity == MONTH:
        return month
    if granularity == QUARTER:
        return quarter_of(month)
    raise ValueError(f"unknown granularity {granularity!r}")


def periods_between(first: str, last: str, granularity: str) -> list[str]:
    seen: list[str] = []
    for month in months_between(first, last):
        p = period_of(month, granularity)
        if not seen or seen[-1] != p:
            seen.append(p)
    return seen


# -- tables --------------------------------------------------------------------------------------
Value = int | str  # a count, or SUPPRESSED


@dataclass
class CountTable:
    """Counts of one dimension by period. ``cells[code][period]``; every code and period the
    table covers is present (zeros included)."""

    dimension: str
    periods: list[str]
    codes: list[str]
    cells: dict[str, dict[str, int]] = field(default_factory=dict)

    @staticmethod
    def empty(dimension: str, periods: Sequence[str], row_codes: Iterable[str]) -> CountTable:
        row_codes = list(row_codes)
        return CountTable(dimension, list(periods), row_codes,
                          {c: dict.fromkeys(periods, 0) for c in row_codes})

    def add(self, code: str, period: str, n: int = 1) -> None:
        self.cells[code][period] += n

    def row_total(self, code: str) -> int:
        return sum(self.cells[code].values())

    def column_total(self, period: str) -> int:
        return sum(self.cells[c][period] for c in self.codes)

    def total(self) -> int:
        return sum(self.row_total(c) for c in self.codes)


V = TypeVar("V")


@dataclass
class MarginTable(Generic[V]):
    """Values of one dimension by period with their margins: ``cells[code][period]``, a total
    per row and per column, and the grand total."""

    dimension: str
    periods: list[str]
    codes: list[str]
    cells: dict[str, dict[str, V]]
    row_totals: dict[str, V]
    column_totals: dict[str, V]
    total: V

    def values(self) -> Iterable[V]:
        for c in self.codes:
            yield from self.cells[c].values()
            yield self.row_totals[c]
        yield from self.column_totals.values()
        yield self.total


# A table as it may leave the laptop or be shown: every value a count or SUPPRESSED.
PublishedTable = MarginTable[Value]


def _lines(table: CountTable) -> list[list[tuple[str, str]]]:
    """Every line of the table with its margin, as positions. A position is (code, period);
    "" stands for a total: (code, "") a row total, ("", period) a column total, ("", "") the
    grand total."""
    lines = [[(c, p) for p in table.periods] + [(c, "")] for c in table.codes]
    lines += [[(c, p) for c in table.codes] + [("", p)] for p in table.periods]
    lines.append([(c, "") for c in table.codes] + [("", "")])
    lines.append([("", p) for p in table.periods] + [("", "")])
    return lines


Position = tuple[str, str]


def _positions(table: CountTable) -> dict[Position, int]:
    value: dict[Position, int] = {}
    for c in table.codes:
        for p in table.periods:
            value[(c, p)] = table.cells[c][p]
        value[(c, "")] = table.row_total(c)
    for p in table.periods:
        value[("", p)] = table.column_total(p)
    value[("", "")] = table.total()
    return value


def _hide(value: dict[Position, int], lines: list[list[Position]], k: int) -> set[Position]:
    """Primary suppression of 1..k-1, then complements until no line has exactly one and no
    suppressed value is pinned down by the published ones (see ``_pinned``)."""
    hidden = {pos for pos, v in value.items() if 0 < v < k}
    known_free: set[Position] = set()
    while True:
        changed = True
        while changed:
            changed = False
            for line in lines:
                inside = [pos for pos in line if pos in hidden]
                if len(inside) != 1:
                    continue
                candidates = [pos for pos in line if pos not in hidden and value[pos] > 0]
                if not candidates:  # cannot happen: the hidden value is > 0, so is its total
                    continue
                # the smallest non-zero value; a cell before a total at the same value
                hidden.add(min(candidates, key=_smallest(value)))
                changed = True
        pinned = _pinned(hidden, value, known_free)
        if not pinned:
            return hidden
        _free(pinned, hidden, value)


def _smallest(value: Mapping[Position, int]) -> Callable[[Position], tuple[int, bool]]:
    """Sort key for complements: the smallest value; a cell before a total at the same value."""
    return lambda pos: (value[pos], pos[0] == "" or pos[1] == "")


# -- values the published table pins down ---------------------------------------------------------
# The table is a grid (codes and the totals row, by periods and the totals column) in which
# every row and every column adds up to zero once the margins are counted negatively. A
# suppressed value is an unknown; the published values and those equations are what a reader
# knows, and that every suppressed value is at least 1 (a zero is always published). Another
# table agreeing with everything published exists exactly when the suppressed values can be
# moved around a closed alternating path: +1, -1, +1, ... along suppressed values, turning at
# a row or a column each time, where no value that goes down is 1. A suppressed value on no
# such path is pinned: it can be worked out, so more must be suppressed.
Node = tuple[str, str]  # ("r", code or "") or ("c", period or "")
Arcs = dict[Node, list[tuple[Node, Position]]]


def _ends(pos: Position) -> tuple[Node, Node]:
    return ("r", pos[0]), ("c", pos[1])


def _ways(pos: Position, value: int) -> tuple[bool, bool]:
    """Whether ``pos`` can be a step from its row to its column on a path, and a step from
    its column to its row: a cell or the grand total goes up in the first and down in the
    second, a margin the other way round; going down needs a value of 2 or more."""
    up_first = (pos[0] == "") == (pos[1] == "")
    return up_first or value >= 2, not up_first or value >= 2


def _add_arcs(arcs: Arcs, pos: Position, value: int) -> None:
    row, col = _ends(pos)
    forward, backward = _ways(pos, value)
    if forward:
        arcs.setdefault(row, []).append((col, pos))
    if backward:
        arcs.setdefault(col, []).append((row, pos))


def _reach(arcs: Arcs, start: Node, without: Position) -> set[Node]:
    seen = {start}
    todo = [start]
    while todo:
        for node, pos in arcs.get(todo.pop(), ()):
            if pos != without and node not in seen:
                seen.add(node)
                todo.append(node)
    return seen


def _strong_components(arcs: Arcs) -> dict[Node, int]:
    """Tarjan's strongly connected components, without recursion: node -> component."""
    index: dict[Node, int] = {}
    low: dict[Node, int] = {}
    component: dict[Node, int] = {}
    stack: list[Node] = []
    for root in arcs:
        if root in index:
            continue
        index[root] = low[root] = len(index)
        stack.append(root)
        work = [(root, iter(arcs.get(root, ())))]
        while work:
            node, todo = work[-1]
            for nxt, _ in todo:
                if nxt not in index:
                    index[nxt] = low[nxt] = len(index)
                    stack.append(nxt)
                    work.append((nxt, iter(arcs.get(nxt, ()))))
                    break
                if nxt not in component:  # on the stack
                    low[node] = min(low[node], index[nxt])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    while True:
                        done = stack.pop()
                        component[done] = index[node]
                        if done == node:
                            break
    return component


def _bridges(edges: Iterable[Position]) -> set[Position]:
    """The positions on no cycle of ``edges`` (an undirected graph of rows and columns)."""
    adjacent: dict[Node, list[tuple[Node, Position]]] = {}
    for pos in edges:
        row, col = _ends(pos)
        adjacent.setdefault(row, []).append((col, pos))
        adjacent.setdefault(col, []).append((row, pos))
    index: dict[Node, int] = {}
    low: dict[Node, int] = {}
    found: set[Position] = set()
    for root in adjacent:
        if root in index:
            continue
        index[root] = low[root] = len(index)
        work: list[tuple[Node, Position | None, Iterator[tuple[Node, Position]]]] = [
            (root, None, iter(adjacent[root]))]
        while work:
            node, via, todo = work[-1]
            for nxt, pos in todo:
                if pos == via:
                    continue
                if nxt not in index:
                    index[nxt] = low[nxt] = len(index)
                    work.append((nxt, pos, iter(adjacent[nxt])))
                    break
                low[node] = min(low[node], index[nxt])
            else:
                work.pop()
                if work and via is not None:
                    parent = work[-1][0]
                    low[parent] = min(low[parent], low[node])
                    if low[node] > index[parent]:
                        found.add(via)
    return found


def _is_free(arcs: Arcs, pos: Position, value: int) -> bool:
    """Whether a path closes through suppressed ``pos`` (``arcs``: every suppressed value)."""
    row, col = _ends(pos)
    forward, backward = _ways(pos, value)
    return (forward and row in _reach(arcs, col, pos)) or \
        (backward and col in _reach(arcs, row, pos))


def _pinned(hidden: set[Position], value: Mapping[Position, int],
            known_free: set[Position]) -> list[Position]:
    """The suppressed positions (in ``value``'s order) that the published table pins down.
    ``known_free``: positions found free before (suppressing more never pins one); it gains
    those found free now."""
    arcs: Arcs = {}
    for pos in hidden:
        _add_arcs(arcs, pos, value[pos])
    component = _strong_components(arcs)
    both_ways = {pos for pos in hidden if value[pos] >= 2}
    on_cycles = both_ways - _bridges(both_ways)  # free on a cycle of such values
    pinned = []
    for pos in value:
        if pos not in hidden or pos in known_free:
            continue
        if pos in both_ways:
            free = pos in on_cycles or _is_free(arcs, pos, value[pos])
        else:  # one way only: free exactly when both ends are strongly connected
            row, col = _ends(pos)
            free = component.get(row) == component.get(col) is not None
        if free:
            known_free.add(pos)
        else:
            pinned.append(pos)
    return pinned


def _free(pinned: list[Position], hidden: set[Position], value: Mapping[Position, int]) -> None:
    """Suppress complements for the ``pinned`` positions, in order: for each one still pinned,
    the smallest non-zero value (a cell before a total) whose suppression closes a path
    through it, else the smallest of all (never none: with every non-zero value suppressed,
    nothing is pinned)."""
    arcs: Arcs = {}
    backwards: Arcs = {}

    def add(pos: Position) -> None:
        _add_arcs(arcs, pos, value[pos])
        row, col = _ends(pos)
        forward, backward = _ways(pos, value[pos])
        if forward:
            backwards.setdefault(col, []).append((row, pos))
        if backward:
            backwards.setdefault(row, []).append((col, pos))

    for pos in hidden:
        add(pos)
    candidates = sorted((q for q in value if q not in hidden and value[q] > 0),
                        key=_smallest(value))
    for pos in pinned:
        if _is_free(arcs, pos, value[pos]):  # freed by an earlier complement
            continue
        row, col = _ends(pos)
        forward, backward = _ways(pos, value[pos])
        # a path closes through ``pos`` when a new step leads from a node reached after it
        # to a node that leads back to where it started
        gaps = []
        if forward:
            gaps.append((_reach(arcs, col, pos), _reach(backwards, row, pos)))
        if backward:
            gaps.append((_reach(arcs, row, pos), _reach(backwards, col, pos)))
        left = [q for q in candidates if q not in hidden]
        chosen = left[0]
        for q in left:
            q_row, q_col = _ends(q)
            q_forward, q_backward = _ways(q, value[q])
            if any((q_forward and q_row in after and q_col in before) or
                   (q_backward and q_col in after and q_row in before)
                   for after, before in gaps):
                chosen = q
                break
        hidden.add(chosen)
        add(chosen)


def suppress(table: CountTable, k: int = DEFAULT_K) -> PublishedTable:
    """The table with primary and complementary suppression applied (see the module doc)."""
    check_k(k)
    value = _positions(table)
    hidden = _hide(value, _lines(table), k)

    def shown(pos: Position) -> Value:
        return SUPPRESSED if pos in hidden else value[pos]

    return PublishedTable(
        dimension=table.dimension, periods=list(table.periods), codes=list(table.codes),
        cells={c: {p: shown((c, p)) for p in table.periods} for c in table.codes},
        row_totals={c: shown((c, "")) for c in table.codes},
        column_totals={p: shown(("", p)) for p in table.periods},
        total=shown(("", "")),
    )


# -- sums of shared tables (the supervisor's side) -----------------------------------------------
@dataclass(frozen=True)
class AtLeast:
    """A sum that includes suppressed values: the true count is at least ``n``."""

    n: int

    def __str__(self) -> str:
        return f"at least {self.n:,}"


ShownValue = int | str | AtLeast  # a count, SUPPRESSED, or a lower bound


@dataclass
class Aggregate:
    """Several published tables of one dimension added up. A suppressed value counts as at
    least 1 (it is never a zero), so a sum that includes one is a lower bound (``inexact``)."""

    dimension: str
    periods: list[str]
    codes: list[str]
    value: dict[Position, int] = field(default_factory=dict)
    inexact: set[Position] = field(default_factory=set)

    @staticmethod
    def empty(dimension: str, periods: Sequence[str], row_codes: Sequence[str]) -> Aggregate:
        agg = Aggregate(dimension, list(periods), list(row_codes))
        for c in row_codes:
            for p in periods:
                agg.value[(c, p)] = 0
            agg.value[(c, "")] = 0
        for p in periods:
            agg.value[("", p)] = 0
        agg.value[("", "")] = 0
        return agg

    def _add(self, pos: Position, v: Value) -> None:
        if pos not in self.value:
            return
        if isinstance(v, int):
            self.value[pos] += v
        else:
            self.value[pos] += 1
            self.inexact.add(pos)

    def add(self, table: PublishedTable, period_map: Callable[[str], str] = str) -> None:
        """Add a published table; ``period_map`` folds its periods (months into quarters)."""
        for c in table.codes:
            for p in table.periods:
                self._add((c, period_map(p)), table.cells[c][p])
            self._add((c, ""), table.row_totals[c])
        for p in table.periods:
            self._add(("", period_map(p)), table.column_totals[p])
        self._add(("", ""), table.total)


# An aggregate after suppression, as it may be displayed, charted or exported.
ShownTable = MarginTable[ShownValue]


def resuppress(agg: Aggregate, k: int = DEFAULT_K) -> ShownTable:
    """The same rule again on a sum: an exact value or a lower bound below k is suppressed,
    then complements as for a single table. Lower bounds of k or more are shown as such."""
    check_k(k)
    dummy = CountTable(agg.dimension, agg.periods, agg.codes)
    hidden = _hide(agg.value, _lines(dummy), k)

    def shown(pos: Position) -> ShownValue:
        if pos in hidden:
            return SUPPRESSED
        return AtLeast(agg.value[pos]) if pos in agg.inexact else agg.value[pos]

    return ShownTable(
        dimension=agg.dimension, periods=list(agg.periods), codes=list(agg.codes),
        cells={c: {p: shown((c, p)) for p in agg.periods} for c in agg.codes},
        row_totals={c: shown((c, "")) for c in agg.codes},
        column_totals={p: shown(("", p)) for p in agg.periods},
        total=shown(("", "")),
    )


def number(v: ShownValue) -> int | None:
    """The number to chart for a shown value (a lower bound charts as its bound; a
    suppressed value as nothing)."""
    if isinstance(v, AtLeast):
        return v.n
    return v if isinstance(v, int) else None


def is_safe(table: PublishedTable, k: int) -> bool:
    """No published value from 1 to k-1, no line with exactly one suppressed value, no
    suppressed value that the published ones determine through several lines, and no line
    whose suppressed values must all be 1. (``suppress`` guarantees more: no suppressed value
    is pinned down at all; telling that needs the true values.)"""
    if any(isinstance(v, int) and 0 < v < k for v in table.values()):
        return False
    get: dict[tuple[str, str], Value] = {}
    for c in table.codes:
        for p in table.periods:
            get[(c, p)] = table.cells[c][p]
        get[(c, "")] = table.row_totals[c]
    for p in table.periods:
        get[("", p)] = table.column_totals[p]
    get[("", "")] = table.total
    dummy = CountTable(table.dimension, table.periods, table.codes)
    if any(sum(1 for pos in line if get[pos] == SUPPRESSED) == 1 for line in _lines(dummy)):
        return False
    if _bridges(pos for pos, v in get.items() if v == SUPPRESSED):
        return False
    for *inner, margin in _lines(dummy):
        total = get[margin]
        unknown = sum(1 for pos in inner if get[pos] == SUPPRESSED)
        if unknown and isinstance(total, int) and \
                total - sum(v for pos in inner if isinstance(v := get[pos], int)) <= unknown:
            return False
    return True


# -- statistics records --------------------------------------------------------------------------
@dataclass(frozen=True)
class StatRecord:
    """One contact's coarse statistics: no name, no note, no exact date."""

    period: str  # YYYY-MM
    incident_category: str
    contact_type: str
    initiated_by: str
    recipient_class: str
    duration_bucket: str
    referral_types: tuple[str, ...] = ()
    followup: str = ""  # "", ON_TIME or LATE: a follow-up step this contact completed

    @property
    def referral(self) -> str:
        return "made" if self.referral_types else "none"


def tables_from_counts(
    counts: Mapping[str, Mapping[tuple[str, str], int]], periods: Sequence[str],
) -> dict[str, CountTable]:
    """Tables from ``counts[dimension][(code, period)]``: every known code gets a row (zeros
    included), unknown codes are dropped."""
    tables = {}
    for dimension in DIMENSIONS:
        table = CountTable.empty(dimension, periods, dimension_codes(dimension))
        for (code, period), n in counts.get(dimension, {}).items():
            if code in table.cells and period in table.cells[code]:
                table.add(code, period, n)
        tables[dimension] = table
    return tables


def hours_range(duration: CountTable | PublishedTable) -> tuple[float, float, bool]:
    """Hours of support from a duration table: (at least, at most, complete). With suppressed
    cells the range covers only what is published (``complete`` is False)."""
    low = high = 0.0
    complete = True
    for code in duration.codes:
        lo, hi = BUCKET_HOURS.get(code, (0.0, 0.0))
        for v in duration.cells[code].values():
            if isinstance(v, int):
                low += lo * v
                high += hi * v
            else:
                complete = False
    return low, high, complete
