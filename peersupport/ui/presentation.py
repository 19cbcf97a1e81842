"""How record values look on screen: code labels, dates, masked names, roomy list rows.

Shared by the check-ins table, the detail pane, the officers page and search results, so a
check-in reads the same everywhere.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QSize, Qt
from PySide6.QtWidgets import (
    QLabel,
    QSizePolicy,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QWidget,
)

if TYPE_CHECKING:
    from peersupport.domain import codes
    from peersupport.services.checkins import CheckinSummary

MASK = "•••••"
UNKNOWN_OFFICER = "Unknown officer"


def format_when(when: datetime) -> str:
    """Short date and time as the supporter entered it: ``4 Jun 2025 09:30``."""
    return f"{when.day} {when:%b %Y %H:%M}"


def format_when_long(when: datetime) -> str:
    return f"{when:%a} {when.day} {when:%B %Y, %H:%M}"


def label(table: codes.Codes[str, str], code: str | None) -> str:
    """The words for a stable code; never the code itself."""
    if code is None:
        return ""
    return table.get(code, "Unknown")


def plural(n: int, one: str, many: str) -> str:
    return one.format(n=n) if n == 1 else many.format(n=f"{n:,}")


def officer_text(summary: CheckinSummary, aliases: dict[str, str], reveal: bool) -> str:
    """The officer column: the alias (or a mask), and how many others in a group."""
    others = [i for i in summary.group_officer_ids if i != summary.officer_id]
    if summary.officer_id is None:
        return f"Group ({len(others)} named)" if others else "Group"
    name = aliases.get(summary.officer_id, UNKNOWN_OFFICER) if reveal else MASK
    return f"{name} +{len(others)}" if others else name


def record_label(parent: QWidget) -> QLabel:
    """A label for text from a record: plain text (never markup), wrapped, selectable."""
    value = QLabel(parent)
    value.setTextFormat(Qt.TextFormat.PlainText)
    value.setWordWrap(True)
    value.setTextInteractionFlags(
        Qt.TextInteractionFlag.TextSelectableByMouse
        | Qt.TextInteractionFlag.TextSelectableByKeyboard
    )
    value.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
    return value


class RoomyDelegate(QStyledItemDelegate):
    """A little air above and below each row of a list."""

    def sizeHint(self, option: QStyleOptionViewItem, index: Any) -> QSize:
        size = super().sizeHint(option, index)
        return QSize(size.width(), size.height() + 8)
