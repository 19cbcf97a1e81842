"""What the supervisor's dashboard and report show, shared by both: the text of a shown value,
the summary figures, and the QtCharts charts of a dashboard.

Every number here comes from a ``ShownTable`` (already suppressed again by the profile). The
summary figures are derived from shown values only (a total, a lower bound, a suppressed
value counted as "at least 1"), so nothing hidden can be worked out from them.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCharts import (
    QBarCategoryAxis,
    QBarSet,
    QChart,
    QHorizontalStackedBarSeries,
    QLineSeries,
    QScatterSeries,
    QValueAxis,
)
from PySide6.QtCore import QCoreApplication, QMargins, Qt
from PySide6.QtGui import QColor, QFont, QPen

from peersupport.domain.stats import (
    BUCKET_HOURS,
    DIMENSIONS,
    MONTH,
    SUPPRESSED,
    AtLeast,
    ShownTable,
    ShownValue,
    dimension_codes,
    number,
)
from peersupport.supervisor.profile import Dashboard

EXACT_COLOUR = QColor("#1f6fb2")
BOUND_COLOUR = QColor("#e08a1e")
_CONTEXT = "SupervisorFigures"


def _t(text: str) -> str:
    return QCoreApplication.translate(_CONTEXT, text)


# -- one value --------------------------------------------------------------------------------
def shown_text(value: ShownValue) -> str:
    """A shown value as words: ``1,234``, ``at least 37`` or ``suppressed``."""
    if isinstance(value, AtLeast):
        return _t("at least {n}").format(n=f"{value.n:,}")
    if isinstance(value, int):
        return f"{value:,}"
    return _t("suppressed")


def is_bound(value: ShownValue) -> bool:
    return isinstance(value, AtLeast)


def is_suppressed(value: ShownValue) -> bool:
    return value == SUPPRESSED


def bounds(value: ShownValue) -> tuple[int, int | None]:
    """What a shown value says about the true count: (at least, at most or None). A
    suppressed value is never a zero, so it is at least 1."""
    if isinstance(value, AtLeast):
        return value.n, None
    if isinstance(value, int):
        return value, value
    return 1, None


def period_word(granularity: str) -> str:
    return _t("month") if granularity == MONTH else _t("quarter")


def period_range(board: Dashboard) -> str:
    if not board.periods:
        return _t("no periods")
    if len(board.periods) == 1:
        return board.periods[0]
    return _t("{first} to {last}").format(first=board.periods[0], last=board.periods[-1])


def row_label(dimension: str, code: str) -> str:
    return dimension_codes(dimension).get(code, code)


# -- summary figures --------------------------------------------------------------------------
@dataclass(frozen=True)
class Figure:
    key: str
    title: str
    value: str
    note: str


def _percent(x: float) -> str:
    return f"{round(x * 100)}%"


def rate_range(table: ShownTable, yes: str, no: str) -> tuple[float, float] | None:
    """The share of ``yes`` among ``yes`` and ``no`` as a range, from the shown row totals
    and grand total. None when there is nothing to divide by."""
    y_lo, y_hi = bounds(table.row_totals[yes])
    n_lo, n_hi = bounds(table.row_totals[no])
    if y_hi == 0 and n_hi == 0:
        return None
    total = table.total
    if isinstance(total, int) and total > 0:  # yes + no = total, exactly
        lo = y_lo if n_hi is None else max(y_lo, total - n_hi)
        hi = total - n_lo if y_hi is None else min(y_hi, total - n_lo)
        return lo / total, hi / total
    low = y_lo / (y_lo + n_hi) if n_hi is not None else 0.0
    high = y_hi / (y_hi + n_lo) if y_hi is not None else 1.0
    return low, high


def rate_text(rate: tuple[float, float] | None) -> str:
    if rate is None:
        return _t("none yet")
    lo, hi = _percent(rate[0]), _percent(rate[1])
    return lo if lo == hi else _t("{low} to {high}").format(low=lo, high=hi)


def hours_range(table: ShownTable) -> tuple[float, float | None]:
    """Hours of support from the duration table's shown row totals: (at least, at most or
    None when a bucket's count has no upper bound). A lower bound counts as its bound."""
    low = 0.0
    high: float | None = 0.0
    for code in table.codes:
        lo_h, hi_h = BUCKET_HOURS.get(code, (0.0, 0.0))
        at_least, at_most = bounds(table.row_totals[code])
        low += lo_h * at_least
        if at_most is None:
            high = None
        elif high is not None:
            high += hi_h * at_most
    return low, high


def _hours(x: float) -> str:
    return f"{round(x):,}"


def summary_figures(board: Dashboard) -> list[Figure]:
    contacts = board.contacts()
    duration = board.tables["duration_bucket"]
    referral = board.tables["referral"]
    followup = board.tables["followup"]

    low, high = hours_range(duration)
    if high is None:
        hours = _t("at least {low} h").format(low=_hours(low))
        hours_note = _t("Some durations are suppressed, so there is no upper bound. "
                        "Contacts over an hour count as 1 to 3 hours.")
    else:
        hours = (_t("{low} h").format(low=_hours(low)) if _hours(low) == _hours(high) else
                 _t("{low} to {high} h").format(low=_hours(low), high=_hours(high)))
        hours_note = _t("From the duration of each contact. Contacts over an hour count as "
                        "1 to 3 hours.")
    referral_rate = rate_range(referral, "made", "none")
    on_time = rate_range(followup, "on_time", "late")
    return [
        Figure("contacts", _t("Contacts in total"), shown_text(contacts.total),
               _t("Every contact of every supporter, {range}.").format(
                   range=period_range(board))),
        Figure("hours", _t("Hours of support"), hours, hours_note),
        Figure("referrals", _t("Referral rate"), rate_text(referral_rate),
               _t("Contacts where a referral was made. A range when some counts are "
                  "suppressed.")),
        Figure("followups", _t("Follow-ups done on time"), rate_text(on_time),
               _t("Of {n} follow-ups done.").format(n=shown_text(followup.total))),
    ]


# -- charts -----------------------------------------------------------------------------------
def _base_chart(title: str) -> QChart:
    chart = QChart()
    chart.setAnimationOptions(QChart.AnimationOption.NoAnimation)
    chart.setTheme(QChart.ChartTheme.ChartThemeLight)
    chart.setTitle(title)
    font = QFont(chart.titleFont())
    font.setBold(True)
    chart.setTitleFont(font)
    chart.setMargins(QMargins(4, 4, 4, 4))
    chart.legend().setAlignment(Qt.AlignmentFlag.AlignBottom)
    return chart


def _value_axis(top: int) -> QValueAxis:
    axis = QValueAxis()
    axis.setLabelFormat("%d")
    axis.setRange(0, max(top, 1) * 1.1)
    axis.applyNiceNumbers()
    axis.setMin(0)
    return axis


@dataclass
class LineChart:
    """Contacts per period: exact counts joined by a line, lower bounds as orange marks at
    their bound, suppressed periods as gaps. ``points[i]`` is what is plotted for period i."""

    chart: QChart
    segments: list[QLineSeries]
    exact: QScatterSeries
    bounds: QScatterSeries
    points: list[int | None]


def contacts_chart(board: Dashboard) -> LineChart:
    table = board.contacts()
    word = period_word(board.granularity)
    chart = _base_chart(_t("Contacts per {period}").format(period=word))
    values = [table.column_totals[p] for p in table.periods]
    points = [number(v) for v in values]

    segments: list[QLineSeries] = []
    current: QLineSeries | None = None
    for i, y in enumerate(points):
        if y is None:
            current = None
            continue
        if current is None:
            current = QLineSeries()
            current.setPen(QPen(EXACT_COLOUR, 2))
            segments.append(current)
        current.append(i, y)
    exact = QScatterSeries()
    exact.setName(_t("Contacts"))
    exact.setMarkerSize(8)
    exact.setColor(EXACT_COLOUR)
    exact.setBorderColor(EXACT_COLOUR)
    lower = QScatterSeries()
    lower.setName(_t("At least (a lower bound)"))
    lower.setMarkerShape(QScatterSeries.MarkerShape.MarkerShapeTriangle)
    lower.setMarkerSize(12)
    lower.setColor(BOUND_COLOUR)
    lower.setBorderColor(BOUND_COLOUR)
    for i, (v, y) in enumerate(zip(values, points, strict=True)):
        if y is None:
            continue
        (lower if is_bound(v) else exact).append(i, y)

    x_axis = QBarCategoryAxis()
    x_axis.append(table.periods or [""])
    x_axis.setTruncateLabels(False)
    if len(table.periods) > 8:  # quarter labels ("2024-Q1") touch beyond eight or so
        x_axis.setLabelsAngle(-90)
    y_axis = _value_axis(max([y for y in points if y is not None], default=0))
    chart.addAxis(x_axis, Qt.AlignmentFlag.AlignBottom)
    chart.addAxis(y_axis, Qt.AlignmentFlag.AlignLeft)
    for series in (*segments, exact, lower):
        chart.addSeries(series)
        series.attachAxis(x_axis)
        series.attachAxis(y_axis)
    for series in segments:  # the line is explained by the "Contacts" marks
        for marker in chart.legend().markers(series):
            marker.setVisible(False)
    if lower.count() == 0:
        for marker in chart.legend().markers(lower):
            marker.setVisible(False)
    return LineChart(chart, segments, exact, lower, points)


@dataclass
class BarChart:
    """One dimension's totals over the shown range, a bar per code: exact counts in blue,
    lower bounds in orange; a suppressed total has no bar and says so in its label.
    ``values[i]`` is the number charted for ``codes[i]`` (None: suppressed), in the order of
    the bar sets: the table's last code first, as bars are drawn from the bottom up."""

    chart: QChart
    exact: QBarSet
    bounds: QBarSet
    codes: list[str]
    values: list[int | None]


def dimension_chart(table: ShownTable) -> BarChart:
    chart = _base_chart(DIMENSIONS.get(table.dimension, table.dimension))
    exact = QBarSet(_t("Count"))
    exact.setColor(EXACT_COLOUR)
    exact.setBorderColor(EXACT_COLOUR)
    lower = QBarSet(_t("At least (a lower bound)"))
    lower.setColor(BOUND_COLOUR)
    lower.setBorderColor(BOUND_COLOUR)
    categories: list[str] = []
    values: list[int | None] = []
    codes = list(reversed(table.codes))  # bars are drawn from the bottom: first code on top
    for code in codes:
        v = table.row_totals[code]
        n = number(v)
        values.append(n)
        exact.append(0 if n is None or is_bound(v) else n)
        lower.append(n if n is not None and is_bound(v) else 0)
        label = row_label(table.dimension, code)
        if is_suppressed(v):
            label = _t("{label} (suppressed)").format(label=label)
        categories.append(label)
    series = QHorizontalStackedBarSeries()
    series.append(exact)
    series.append(lower)
    series.setBarWidth(0.7)
    chart.addSeries(series)
    y_axis = QBarCategoryAxis()
    y_axis.append(categories)
    x_axis = _value_axis(max([n for n in values if n is not None], default=0))
    chart.addAxis(y_axis, Qt.AlignmentFlag.AlignLeft)
    chart.addAxis(x_axis, Qt.AlignmentFlag.AlignBottom)
    series.attachAxis(y_axis)
    series.attachAxis(x_axis)
    if not any(is_bound(table.row_totals[c]) for c in table.codes):
        chart.legend().markers(series)[1].setVisible(False)
    return BarChart(chart, exact, lower, codes, values)


__all__ = [
    "BarChart",
    "Figure",
    "LineChart",
    "bounds",
    "contacts_chart",
    "dimension_chart",
    "hours_range",
    "is_bound",
    "is_suppressed",
    "period_range",
    "rate_range",
    "rate_text",
    "row_label",
    "shown_text",
    "summary_figures",
]
