"""The supervisor's PDF report, drawn with Qt's own PDF writer: the program, the period, how
many supporters and files, the suppression rule in words, the summary figures, and for each
dimension its chart and its table - exactly the values the dashboard shows.

``write_report_pdf`` also works from the command line without a display: when no Qt
application exists it makes one, on the offscreen platform if there is no display.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCharts import QChart
from PySide6.QtCore import (
    QBuffer,
    QByteArray,
    QCoreApplication,
    QIODevice,
    QMarginsF,
    QRect,
    QRectF,
    QSizeF,
    Qt,
)
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontDatabase,
    QPageLayout,
    QPageSize,
    QPainter,
    QPdfWriter,
    QPen,
)
from PySide6.QtWidgets import QApplication, QGraphicsScene

from peersupport.atomic import write_atomic
from peersupport.domain.stats import DIMENSIONS, ShownTable, ShownValue
from peersupport.supervisor.profile import Dashboard, suppression_rule_text
from peersupport.ui.supervisor.charts import (
    BOUND_COLOUR,
    contacts_chart,
    dimension_chart,
    is_bound,
    is_suppressed,
    period_range,
    period_word,
    row_label,
    shown_text,
    summary_figures,
)

_RESOLUTION = 300  # dots per inch; coordinates below are in these dots
_INK = QColor("#1a1a1a")
_MUTED = QColor("#5f5f5f")
_RULE = QColor("#c8c8c8")
_SHADE = QColor("#f2f4f7")
_CHART_WIDTH = 820  # the charts' own size in logical pixels; scaled onto the page
_CONTEXT = "SupervisorReport"
_APP: QApplication | None = None  # one made here is kept alive for the process


def _t(text: str) -> str:
    return QCoreApplication.translate(_CONTEXT, text)


def ensure_application() -> QApplication:
    """The running QApplication, or a new one (offscreen when there is no display).
    Charts are widgets' graphics items: a QGuiApplication alone cannot draw them."""
    global _APP
    existing = QCoreApplication.instance()
    if isinstance(existing, QApplication):
        return existing
    if existing is not None:
        raise RuntimeError("the PDF report needs a QApplication, not a "
                           f"{type(existing).__name__}")
    if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    _APP = QApplication(["peersupport-report"])
    return _APP


def write_report_pdf(board: Dashboard, program_name: str, path: Path) -> None:
    """Write the report of ``board`` to ``path`` (atomically, private to the owner)."""
    ensure_application()
    write_atomic(Path(path), [render_report_pdf(board, program_name)])


def render_report_pdf(board: Dashboard, program_name: str) -> bytes:
    """The report as PDF bytes (needs a QApplication: see ``ensure_application``)."""
    data = QByteArray()
    buffer = QBuffer(data)
    if not buffer.open(QIODevice.OpenModeFlag.WriteOnly):
        raise OSError("could not prepare the report in memory")
    writer = QPdfWriter(buffer)
    writer.setResolution(_RESOLUTION)
    title = _t("Peer support program statistics")
    writer.setTitle(f"{title}: {program_name}" if program_name else title)
    writer.setCreator("Peer Support")
    writer.setPageLayout(QPageLayout(
        QPageSize(QPageSize.PageSizeId.A4), QPageLayout.Orientation.Portrait,
        QMarginsF(15, 15, 15, 15), QPageLayout.Unit.Millimeter,
    ))
    painter = QPainter()
    if not painter.begin(writer):
        raise OSError("could not start drawing the report")
    try:
        area = writer.pageLayout().paintRectPixels(_RESOLUTION)
        _Report(writer, painter, area.width(), area.height(), program_name).draw(board)
    finally:
        painter.end()
    buffer.close()
    return bytes(data.data())


def _pt(points: float) -> int:
    return round(points * _RESOLUTION / 72)


def _font(points: float, *, bold: bool = False, italic: bool = False) -> QFont:
    font = QFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.GeneralFont))
    font.setPointSizeF(points)
    font.setBold(bold)
    font.setItalic(italic)
    return font


class _Report:
    """Draws top to bottom, starting a new page when something does not fit."""

    def __init__(self, writer: QPdfWriter, painter: QPainter, width: int, height: int,
                 program_name: str) -> None:
        self.writer = writer
        self.painter = painter
        self.width = width
        self.footer_height = _pt(20)
        self.bottom = height - self.footer_height
        self.height = height
        self.program_name = program_name
        self.page = 1
        self.y = 0

    # -- page flow --------------------------------------------------------------------------
    def _footer(self) -> None:
        p = self.painter
        p.setFont(_font(8))
        p.setPen(_MUTED)
        left = self.program_name or _t("Peer support program statistics")
        box = QRect(0, self.height - _pt(12), self.width, _pt(12))
        p.drawText(box, int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignBottom),
                   _t("{program} - anonymized statistics").format(program=left))
        p.drawText(box, int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignBottom),
                   _t("Page {n}").format(n=self.page))

    def new_page(self) -> None:
        self._footer()
        self.writer.newPage()
        self.page += 1
        self.y = 0

    def need(self, height: int) -> None:
        if self.y > 0 and self.y + height > self.bottom:
            self.new_page()

    # -- text -------------------------------------------------------------------------------
    def text(self, text: str, font: QFont, colour: QColor = _INK, gap: float = 6,
             left: int = 0) -> None:
        p = self.painter
        p.setFont(font)
        flags = int(Qt.TextFlag.TextWordWrap)
        needed = p.boundingRect(QRect(left, 0, self.width - left, self.bottom), flags, text)
        self.need(needed.height())
        p.setPen(colour)
        p.drawText(QRect(left, self.y, self.width - left, needed.height()), flags, text)
        self.y += needed.height() + _pt(gap)

    # -- charts -----------------------------------------------------------------------------
    def chart(self, chart: QChart, logical_height: int) -> None:
        height = round(self.width * logical_height / _CHART_WIDTH)
        self.need(height)
        scene = QGraphicsScene()
        scene.addItem(chart)
        chart.resize(QSizeF(_CHART_WIDTH, logical_height))
        scene.render(self.painter, QRectF(0, self.y, self.width, height),
                     QRectF(0, 0, _CHART_WIDTH, logical_height))
        scene.removeItem(chart)
        chart.deleteLater()
        self.y += height + _pt(6)

    # -- tables -----------------------------------------------------------------------------
    def grid(self, rows: Sequence[str], columns: Sequence[str],
             values: Sequence[Sequence[ShownValue]], *, total_row: bool,
             total_column: bool) -> None:
        """A table in blocks of as many columns as fit the width, each with the row labels;
        the last row and column are totals (bold) when so marked."""
        p = self.painter
        body, bold = _font(8), _font(8, bold=True)
        p.setFont(body)
        metrics = p.fontMetrics()
        pad = _pt(4)
        row_h = metrics.height() + _pt(4)
        p.setFont(bold)
        bold_metrics = p.fontMetrics()
        label_w = min(max(bold_metrics.horizontalAdvance(r) for r in rows) + 2 * pad,
                      self.width // 3)
        widths = []
        for c, name in enumerate(columns):
            texts = [shown_text(values[r][c]) for r in range(len(rows))]
            widest = max([bold_metrics.horizontalAdvance(name)]
                         + [bold_metrics.horizontalAdvance(t) for t in texts])
            widths.append(widest + 2 * pad)
        blocks: list[list[int]] = []
        current: list[int] = []
        used = label_w
        for c, w in enumerate(widths):
            if current and used + w > self.width:
                blocks.append(current)
                current, used = [], label_w
            current.append(c)
            used += w
        if current:
            blocks.append(current)

        last_row, last_col = len(rows) - 1, len(columns) - 1
        for block in blocks:
            self.need(row_h * 2)
            self._grid_row("", [(columns[c], widths[c]) for c in block], label_w, row_h,
                           header=True)
            for r, label in enumerate(rows):
                if self.y + row_h > self.bottom:  # continued on a new page: header again
                    self.new_page()
                    self._grid_row("", [(columns[c], widths[c]) for c in block], label_w,
                                   row_h, header=True)
                if r % 2 == 1:
                    p.fillRect(QRect(0, self.y, label_w + sum(widths[c] for c in block),
                                     row_h), _SHADE)
                is_total_row = total_row and r == last_row
                p.setFont(bold if is_total_row else body)
                p.setPen(_INK)
                p.drawText(QRect(pad, self.y, label_w - 2 * pad, row_h),
                           int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter),
                           p.fontMetrics().elidedText(label, Qt.TextElideMode.ElideRight,
                                                      label_w - 2 * pad))
                x = label_w
                for c in block:
                    value = values[r][c]
                    strong = is_total_row or (total_column and c == last_col)
                    font = _font(8, bold=strong, italic=is_bound(value))
                    p.setFont(font)
                    p.setPen(BOUND_COLOUR.darker(130) if is_bound(value)
                             else _MUTED if is_suppressed(value) else _INK)
                    p.drawText(QRect(x, self.y, widths[c] - pad, row_h),
                               int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter),
                               shown_text(value))
                    x += widths[c]
                self.y += row_h
            p.setPen(QPen(_RULE, _pt(0.5)))
            p.drawLine(0, self.y, label_w + sum(widths[c] for c in block), self.y)
            self.y += _pt(8)

    def _grid_row(self, label: str, cells: list[tuple[str, int]], label_w: int, row_h: int,
                  *, header: bool) -> None:
        p = self.painter
        p.setFont(_font(8, bold=header))
        p.setPen(_INK)
        p.drawText(QRect(0, self.y, label_w, row_h),
                   int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter), label)
        x = label_w
        pad = _pt(4)
        for text, w in cells:
            p.drawText(QRect(x, self.y, w - pad, row_h),
                       int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter), text)
            x += w
        self.y += row_h
        p.setPen(QPen(_RULE, _pt(0.5)))
        p.drawLine(0, self.y, x, self.y)

    def table(self, table: ShownTable) -> None:
        rows = [row_label(table.dimension, c) for c in table.codes] + [_t("Total")]
        columns = [*table.periods, _t("Total")]
        values: list[list[ShownValue]] = [
            [*(table.cells[c][p] for p in table.periods), table.row_totals[c]]
            for c in table.codes]
        values.append([*(table.column_totals[p] for p in table.periods), table.total])
        self.grid(rows, columns, values, total_row=True, total_column=True)

    # -- the report -------------------------------------------------------------------------
    def draw(self, board: Dashboard) -> None:
        self.text(_t("Peer support program statistics"), _font(11), _MUTED, gap=2)
        self.text(self.program_name or _t("(no program name)"), _font(20, bold=True), gap=4)
        by = _t("by month") if board.granularity == "month" else _t("by quarter")
        self.text(_t("Period covered: {range}, {by}.").format(range=period_range(board), by=by),
                  _font(11), gap=2)
        self.text(_t("From {s} supporter(s) in {f} statistics file(s).").format(
            s=board.supporters, f=board.files), _font(11), gap=2)
        if board.left_out:
            self.text(_t("{n} quarterly file(s) are shown by quarter only and are not in "
                         "this report by month.").format(n=board.left_out), _font(11), gap=2)
        self.y += _pt(8)
        self.text(_t("How counts are protected"), _font(12, bold=True), gap=3)
        self.text(suppression_rule_text(board.k), _font(10), gap=12)

        self.text(_t("Summary"), _font(12, bold=True), gap=4)
        for figure in summary_figures(board):
            self.need(_pt(30))
            top = self.y
            self.text(figure.title, _font(10, bold=True), gap=0, left=0)
            self.y = top
            self.text(figure.value, _font(10), gap=1, left=self.width // 3)
            self.text(figure.note, _font(8), _MUTED, gap=6, left=self.width // 3)
        self.y += _pt(6)

        if not board.periods:
            self.text(_t("No statistics have been imported for this view."), _font(11))
            self._footer()
            return

        contacts = board.contacts()
        self.chart(contacts_chart(board).chart, 360)
        word = period_word(board.granularity)
        self.grid([_t("Contacts")], list(contacts.periods),
                  [[contacts.column_totals[p] for p in contacts.periods]],
                  total_row=False, total_column=False)
        self.text(_t("Contacts per {period}; an orange mark is a lower bound (\"at least\"), "
                     "a gap a suppressed count.").format(period=word), _font(8), _MUTED,
                  gap=10)

        for dimension, label in DIMENSIONS.items():
            table = board.tables.get(dimension)
            if table is None:
                continue
            chart_height = 90 + 26 * len(table.codes)
            self.need(round(self.width * chart_height / _CHART_WIDTH) + _pt(60))
            self.text(label, _font(13, bold=True), gap=4)
            bars = dimension_chart(table).chart
            bars.setTitle("")  # the heading above names it
            self.chart(bars, chart_height)
            self.table(table)
        self._footer()


__all__ = ["ensure_application", "render_report_pdf", "write_report_pdf"]
