"""The recovery kit: a one-page PDF with the recovery key and how to keep it.

The page carries no vault id, no name and no path: only the key, the month it was made and
instructions. The PDF is drawn into memory and written atomically with owner-only permissions.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QLocale, QMarginsF, QRect, Qt
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

from peersupport.atomic import write_atomic

KIT_FILE_NAME = "peersupport-recovery-kit.pdf"
TITLE = "Peer Support recovery kit"
_RESOLUTION = 300  # dots per inch; coordinates below are in these dots
_INK = QColor("#1a1a1a")
_MUTED = QColor("#555555")

INSTRUCTIONS = (
    "This key opens your Peer Support records if you forget your passphrase. Nobody else can "
    "reset your passphrase or open your records for you: not your department, not the "
    "developers of the app.",
    "Keep this page on paper, somewhere safe and private: a locked drawer or a safe at home. "
    "Do not keep it on the laptop that holds Peer Support, and do not carry it in the same bag.",
    "Anyone who has this key and the laptop can read your records. Treat it like the key to a "
    "locked file cabinet.",
    "If you saved this page as a file, print it, then delete the file and empty the trash.",
    "To use it: open Peer Support, choose to unlock with your recovery key, type the key "
    "(capital or small letters, dashes optional) and choose a new passphrase.",
)


def _page_size() -> QPageSize:
    imperial = QLocale().measurementSystem() == QLocale.MeasurementSystem.ImperialUSSystem
    size_id = QPageSize.PageSizeId.Letter if imperial else QPageSize.PageSizeId.A4
    return QPageSize(size_id)


def _font(base: QFont, points: float, *, bold: bool = False) -> QFont:
    font = QFont(base)
    font.setPointSizeF(points)
    font.setBold(bold)
    return font


def _fixed_font() -> QFont:
    font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
    font.setStyleHint(QFont.StyleHint.Monospace)
    return font


def render_recovery_kit(formatted_key: str, created: str) -> bytes:
    """Draw the kit and return the PDF bytes."""
    data = QByteArray()
    buffer = QBuffer(data)
    if not buffer.open(QIODevice.OpenModeFlag.WriteOnly):
        raise OSError("could not prepare the recovery kit in memory")
    writer = QPdfWriter(buffer)
    writer.setResolution(_RESOLUTION)
    writer.setTitle(TITLE)
    writer.setCreator("Peer Support")
    writer.setPageLayout(QPageLayout(
        _page_size(), QPageLayout.Orientation.Portrait, QMarginsF(20, 20, 20, 20),
        QPageLayout.Unit.Millimeter,
    ))
    painter = QPainter()
    if not painter.begin(writer):
        raise OSError("could not start drawing the recovery kit")
    try:
        area = writer.pageLayout().paintRectPixels(_RESOLUTION)
        _draw(painter, area.width(), area.height(), formatted_key, created)
    finally:
        painter.end()
    buffer.close()
    return bytes(data.data())


def write_recovery_kit(path: str, formatted_key: str, created: str) -> None:
    """Write the one-page recovery kit PDF to ``path`` (atomically, readable by the owner)."""
    write_atomic(Path(path), [render_recovery_kit(formatted_key, created)])


def _draw(painter: QPainter, width: int, height: int, formatted_key: str, created: str) -> None:

    def pt(points: float) -> int:
        return round(points * _RESOLUTION / 72)

    general = QFontDatabase.systemFont(QFontDatabase.SystemFont.GeneralFont)
    wrap = int(Qt.TextFlag.TextWordWrap)
    y = 0

    def block(text: str, font: QFont, colour: QColor = _INK, gap: float = 10,
              left: int = 0, flags: int = wrap) -> None:
        nonlocal y
        painter.setFont(font)
        painter.setPen(colour)
        box = QRect(left, y, width - left, height - y)
        needed = painter.boundingRect(box, flags, text)
        painter.drawText(QRect(left, y, width - left, needed.height()), flags, text)
        y += needed.height() + pt(gap)

    block(TITLE, _font(general, 22, bold=True), gap=4)
    block(f"Created {created}", _font(general, 11), _MUTED, gap=22)

    block("Your recovery key", _font(general, 13, bold=True), gap=8)
    key_font = _font(_fixed_font(), 24, bold=True)
    painter.setFont(key_font)
    while painter.fontMetrics().horizontalAdvance(formatted_key) > width - pt(36):
        key_font.setPointSizeF(key_font.pointSizeF() - 1)  # never clip the key
        painter.setFont(key_font)
    key_height = painter.fontMetrics().height()
    frame = QRect(0, y, width, key_height + pt(28))
    painter.setPen(QPen(_INK, pt(1.5)))
    painter.drawRoundedRect(frame, pt(6), pt(6))
    painter.setPen(_INK)
    painter.drawText(frame, int(Qt.AlignmentFlag.AlignCenter), formatted_key)
    y = frame.bottom() + pt(8)
    block("Seven groups of four characters. There is no letter O, I, L or U in a key.",
          _font(general, 10), _MUTED, gap=24)

    block("How to keep it", _font(general, 13, bold=True), gap=8)
    body = _font(general, 11)
    painter.setFont(body)
    indent = painter.fontMetrics().horizontalAdvance("\u2022") + pt(10)
    for item in INSTRUCTIONS:
        top = y
        block(item, body, gap=8, left=indent)
        painter.drawText(QRect(0, top, indent, pt(20)), int(Qt.AlignmentFlag.AlignLeft), "\u2022")
    y += pt(18)

    label = "Where I keep this page:"
    painter.setFont(_font(general, 11, bold=True))
    painter.setPen(_INK)
    metrics = painter.fontMetrics()
    baseline = y + metrics.ascent()
    painter.drawText(0, baseline, label)
    painter.setPen(QPen(_INK, pt(0.75)))
    start = metrics.horizontalAdvance(label) + pt(8)
    painter.drawLine(start, baseline + pt(2), width, baseline + pt(2))
    painter.drawLine(0, baseline + pt(30), width, baseline + pt(30))

    footer = ("Keep this page private. Peer Support never shows this key again, and nobody can "
              "make a copy of it for you.")
    painter.setFont(_font(general, 9))
    painter.setPen(_MUTED)
    footer_box = QRect(0, height - pt(30), width, pt(30))
    painter.drawText(footer_box, wrap | int(Qt.AlignmentFlag.AlignBottom), footer)
