"""A few shared visual constants so screens look like one application."""

from __future__ import annotations

from PySide6.QtGui import QColor, QFont, QFontDatabase, QPalette
from PySide6.QtWidgets import QLabel, QProgressBar, QWidget

ERROR_COLOUR = "#b3261e"
OK_COLOUR = "#2e7d32"


def set_text_colour(widget: QWidget, colour: QColor | None) -> None:
    """Palette, not style sheets: cheaper at start-up and it follows light/dark themes."""
    palette = widget.palette()
    if colour is None:
        colour = widget.style().standardPalette().color(QPalette.ColorRole.WindowText)
        parent = widget.parentWidget()
        if parent is not None:
            colour = parent.palette().color(QPalette.ColorRole.WindowText)
    palette.setColor(QPalette.ColorRole.WindowText, colour)
    palette.setColor(QPalette.ColorRole.Text, colour)
    widget.setPalette(palette)


def error_colour() -> QColor:
    return QColor(ERROR_COLOUR)


def heading(text: str, parent: QWidget | None = None, scale: float = 1.6) -> QLabel:
    label = QLabel(text, parent)
    font = label.font()
    font.setPointSizeF(font.pointSizeF() * scale)
    font.setWeight(QFont.Weight.DemiBold)
    label.setFont(font)
    label.setWordWrap(True)
    return label


def muted(text: str, parent: QWidget | None = None) -> QLabel:
    label = QLabel(text, parent)
    label.setWordWrap(True)
    palette = label.palette()
    palette.setColor(
        QPalette.ColorRole.WindowText, palette.color(QPalette.ColorRole.PlaceholderText)
    )
    label.setPalette(palette)
    return label


def error_label(parent: QWidget | None = None) -> QLabel:
    label = QLabel(parent)
    label.setWordWrap(True)
    set_text_colour(label, error_colour())
    label.setVisible(False)
    return label


def monospace() -> QFont:
    return QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)


def busy_bar(accessible_name: str, parent: QWidget | None = None) -> QProgressBar:
    """A small, hidden, endless progress bar for "loading" beside a page's heading."""
    bar = QProgressBar(parent)
    bar.setRange(0, 0)
    bar.setTextVisible(False)
    bar.setFixedWidth(90)
    bar.setAccessibleName(accessible_name)
    bar.setVisible(False)
    return bar
