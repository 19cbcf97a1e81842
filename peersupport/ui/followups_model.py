"""The follow-ups tree model: four groups (overdue, today, this week, later) of due steps.

Rows are decoded from the board only when the view asks for them, and each group hands them
out in chunks through ``fetchMore``, so a board of 100,000 pending steps costs nothing until it
is scrolled. Officer names are masked except on the selected row. Nothing here says what the
incident was: a row is who (masked), why (the step or milestone) and when.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from PySide6.QtCore import QAbstractItemModel, QModelIndex, QObject, QPersistentModelIndex, Qt
from PySide6.QtGui import QFont

from peersupport.services.followups import FAMILY_PREFIX, GROUPS
from peersupport.ui import style
from peersupport.ui.presentation import MASK, UNKNOWN_OFFICER, format_when, plural

if TYPE_CHECKING:
    from peersupport.services.followups import BoardItem, FollowupBoard

Index = QModelIndex | QPersistentModelIndex
GROUP_KEYS = tuple(GROUPS)  # overdue, today, this_week, later
FIRST_ROWS = 100  # rows per group before the view asks for more
MORE_ROWS = 200
Key = tuple[str, str]  # (plan id, step id)


def _amount(seconds: float) -> str:
    minutes = int(seconds // 60)
    if minutes < 60:
        return plural(max(minutes, 1), "{n} minute", "{n} minutes")
    hours = minutes // 60
    if hours < 48:
        return plural(hours, "{n} hour", "{n} hours")
    days = hours // 24
    if days < 14:
        return plural(days, "{n} day", "{n} days")
    if days < 61:
        return plural(days // 7, "{n} week", "{n} weeks")
    if days < 730:
        return plural(days // 30, "{n} month", "{n} months")
    return plural(days // 365, "{n} year", "{n} years")


def relative_due(due: datetime, now: datetime) -> str:
    """``overdue by 2 days``, ``due now``, ``in 3 hours``."""
    seconds = (due - now).total_seconds()
    if abs(seconds) < 60:
        return "due now"
    if seconds < 0:
        return f"overdue by {_amount(-seconds)}"
    return f"in {_amount(seconds)}"


def why_text(item: BoardItem) -> str:
    """What the reminder is for: a step of the plan, or a milestone."""
    label = item.label
    family = label.startswith(FAMILY_PREFIX)
    if family:
        label = label[len(FAMILY_PREFIX):]
    if item.is_milestone:
        text = f"Milestone: {label}"
    else:
        text = f"Follow-up at {label}"
    return f"{text} (family or colleague support)" if family else text


def local_when(due: datetime, zone: ZoneInfo) -> str:
    local = due.astimezone(zone)
    return f"{local:%a} {format_when(local)}"


class FollowupBoardModel(QAbstractItemModel):
    OFFICER, WHY, DUE, WHEN = range(4)
    COLUMNS = ("Officer", "Why", "Due", "When")
    ItemRole = Qt.ItemDataRole.UserRole + 1  # the BoardItem of a row (None for a group)
    GroupRole = Qt.ItemDataRole.UserRole + 2  # the group key of a group row

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._board: FollowupBoard | None = None
        self._zone = ZoneInfo("UTC")
        self._aliases: dict[str, str] = {}
        # names are opened one at a time, when a row is revealed: the board loads none
        self._lookup: Callable[[str], str | None] | None = None
        self._shown = dict.fromkeys(GROUP_KEYS, 0)
        self._cache: dict[tuple[int, int], BoardItem] = {}
        self._selected: tuple[int, int] | None = None  # (group, row)

    # -- what the page asks ---------------------------------------------------------------
    def set_board(
        self, board: FollowupBoard, aliases: dict[str, str], zone: ZoneInfo,
        keep_rows: dict[str, int] | None = None,
    ) -> None:
        """Show a new board. ``keep_rows`` keeps at least that many rows per group loaded
        (so a refresh does not shrink what was scrolled into view)."""
        self.beginResetModel()
        self._board, self._aliases, self._zone = board, dict(aliases), zone
        self._cache = {}
        self._selected = None
        for g in GROUP_KEYS:
            wanted = max(FIRST_ROWS, (keep_rows or {}).get(g, 0))
            self._shown[g] = min(board.count(g), wanted)
        self.endResetModel()

    def clear(self) -> None:
        self.beginResetModel()
        self._board, self._aliases, self._cache, self._selected = None, {}, {}, None
        self._lookup = None
        self._shown = dict.fromkeys(GROUP_KEYS, 0)
        self.endResetModel()

    def board(self) -> FollowupBoard | None:
        return self._board

    def shown_rows(self) -> dict[str, int]:
        return dict(self._shown)

    def total(self) -> int:
        return len(self._board) if self._board is not None else 0

    def count(self, group: str) -> int:
        return self._board.count(group) if self._board is not None else 0

    def set_alias_lookup(self, lookup: Callable[[str], str | None] | None) -> None:
        self._lookup = lookup

    def alias(self, officer_id: str) -> str:
        found = self._aliases.get(officer_id)
        if found is None and self._lookup is not None:
            try:
                found = self._lookup(officer_id)
            except Exception:  # a locked vault or a damaged record: show no name
                found = None
            if found is not None:
                self._aliases[officer_id] = found
        return found if found is not None else UNKNOWN_OFFICER

    def item(self, index: Index) -> BoardItem | None:
        if not index.isValid() or index.internalId() == 0:
            return None
        return self._item(index.internalId() - 1, index.row())

    def group_index(self, group: str) -> QModelIndex:
        return self.index(GROUP_KEYS.index(group), 0)

    def index_of(self, key: Key) -> QModelIndex:
        """The row showing (plan id, step id), if it is loaded."""
        for g, group in enumerate(GROUP_KEYS):
            for row in range(self._shown[group]):
                item = self._item(g, row)
                if item is not None and (item.plan_id, item.step_id) == key:
                    return self.index(row, 0, self.index(g, 0))
        return QModelIndex()

    def set_selected(self, index: Index | None) -> None:
        """The selected row shows its officer's name; every other row stays masked."""
        new = None
        if index is not None and index.isValid() and index.internalId() != 0:
            new = (index.internalId() - 1, index.row())
        if new == self._selected:
            return
        before, self._selected = self._selected, new
        for position in (before, new):
            if position is not None:
                g, row = position
                cell = self.index(row, self.OFFICER, self.index(g, 0))
                self.dataChanged.emit(cell, cell, [
                    Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole,
                    Qt.ItemDataRole.AccessibleTextRole])

    # -- Qt model API ---------------------------------------------------------------------
    def index(self, row: int, column: int, parent: Index = QModelIndex()) -> QModelIndex:  # noqa: B008
        if not 0 <= column < len(self.COLUMNS):
            return QModelIndex()
        if not parent.isValid():
            return self.createIndex(row, column, 0) if 0 <= row < len(GROUP_KEYS) else \
                QModelIndex()
        if parent.internalId() != 0:
            return QModelIndex()
        group = parent.row()
        if not 0 <= row < self._shown[GROUP_KEYS[group]]:
            return QModelIndex()
        return self.createIndex(row, column, group + 1)

    def parent(self, index: Index = QModelIndex()) -> QModelIndex:  # type: ignore[override]  # noqa: B008
        if not index.isValid() or index.internalId() == 0:
            return QModelIndex()
        return self.createIndex(index.internalId() - 1, 0, 0)

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        if not parent.isValid():
            return len(GROUP_KEYS) if self._board is not None else 0
        if parent.internalId() != 0 or parent.column() != 0:
            return 0
        return self._shown[GROUP_KEYS[parent.row()]]

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return len(self.COLUMNS)

    def hasChildren(self, parent: Index = QModelIndex()) -> bool:  # noqa: B008
        if not parent.isValid():
            return self._board is not None
        if parent.internalId() != 0 or parent.column() != 0:
            return False
        return self.count(GROUP_KEYS[parent.row()]) > 0

    def canFetchMore(self, parent: Index) -> bool:
        if not parent.isValid() or parent.internalId() != 0:
            return False
        group = GROUP_KEYS[parent.row()]
        return self._shown[group] < self.count(group)

    def fetchMore(self, parent: Index) -> None:
        if not self.canFetchMore(parent):
            return
        group = GROUP_KEYS[parent.row()]
        first = self._shown[group]
        last = min(self.count(group), first + MORE_ROWS) - 1
        self.beginInsertRows(self.index(parent.row(), 0), first, last)
        self._shown[group] = last + 1
        self.endInsertRows()

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        if index.internalId() == 0:
            return Qt.ItemFlag.ItemIsEnabled
        return (Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
                | Qt.ItemFlag.ItemNeverHasChildren)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if (orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole
                and 0 <= section < len(self.COLUMNS)):
            return self.tr(self.COLUMNS[section])
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        if index.internalId() == 0:
            return self._group_data(index.row(), index.column(), role)
        item = self._item(index.internalId() - 1, index.row())
        if item is None:
            return None
        column = index.column()
        reveal = (index.internalId() - 1, index.row()) == self._selected
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(item, column, reveal)
        if role == self.ItemRole:
            return item
        if role == Qt.ItemDataRole.ToolTipRole:
            if column == self.OFFICER and not reveal:
                return self.tr("Select the row to see the name")
            if column in (self.DUE, self.WHEN) and self._board is not None:
                return self.tr("{when}, {relative}").format(
                    when=local_when(item.due, self._zone),
                    relative=relative_due(item.due, self._board.now))
            if column == self.WHY:
                return self._display(item, column, reveal)
            return None
        if role == Qt.ItemDataRole.AccessibleTextRole and column == self.OFFICER:
            return self._display(item, column, True) if reveal else self.tr("Name hidden")
        if (role == Qt.ItemDataRole.ForegroundRole and column == self.WHEN
                and self._board is not None and item.due < self._board.now):
            return style.error_colour()
        return None

    # -- helpers ----------------------------------------------------------------------------
    def _group_data(self, g: int, column: int, role: int) -> Any:
        if not 0 <= g < len(GROUP_KEYS) or column != 0:
            return None
        group = GROUP_KEYS[g]
        if role == Qt.ItemDataRole.DisplayRole:
            n = self.count(group)
            return f"{self.tr(GROUPS[group])} ({n:,})" if n else \
                self.tr("{group}: nothing").format(group=self.tr(GROUPS[group]))
        if role == self.GroupRole:
            return group
        if role == Qt.ItemDataRole.FontRole:
            font = QFont()
            font.setWeight(QFont.Weight.DemiBold)
            return font
        if (role == Qt.ItemDataRole.ForegroundRole and group == "overdue"
                and self.count(group)):
            return style.error_colour()
        return None

    def _item(self, g: int, row: int) -> BoardItem | None:
        if self._board is None or not 0 <= g < len(GROUP_KEYS):
            return None
        cached = self._cache.get((g, row))
        if cached is None:
            try:
                cached = self._board.item(GROUP_KEYS[g], row)
            except IndexError:
                return None
            self._cache[(g, row)] = cached
        return cached

    def _display(self, item: BoardItem, column: int, reveal: bool) -> str:
        if column == self.OFFICER:
            return self.alias(item.officer_id) if reveal else MASK
        if column == self.WHY:
            return why_text(item)
        if column == self.DUE:
            return local_when(item.due, self._zone)
        if column == self.WHEN and self._board is not None:
            return relative_due(item.due, self._board.now)
        return ""

