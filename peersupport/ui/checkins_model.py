"""The check-ins table model: one row per check-in, one decryption per row.

Rows arrive by whole periods, newest first, through ``fetchMore`` (``CheckinService.page``), so
the first rows show as fast with 100,000 check-ins as with 100. Sorting by anything other than
newest-first, or filtering by officer (the officer link is sealed), needs every row: the model
then loads them all in the background and says so through ``loading_changed``.

Officer names are masked unless the row is the selected one or names are shown on purpose.
Check-ins whose summary fails authentication are counted in ``damaged_ids()``, never shown as
if they were fine.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    Signal,
)

from peersupport.domain import codes
from peersupport.services.checkins import NO_FILTER, CheckinFilter, CheckinSummary
from peersupport.ui.presentation import UNKNOWN_OFFICER, format_when, label, officer_text
from peersupport.ui.task_scope import TaskScope

if TYPE_CHECKING:
    from peersupport.services.checkins import CheckinService
    from peersupport.store.legal_holds import LegalHolds

PAGE_ROWS = 200

Index = QModelIndex | QPersistentModelIndex


class CheckinTableModel(QAbstractTableModel):
    DATE, OFFICER, INCIDENT, CONTACT, FOLLOW_UP = range(5)
    COLUMNS = ("Date", "Officer", "Incident", "Contact", "Follow-up")
    IdRole = Qt.ItemDataRole.UserRole + 1
    SortRole = Qt.ItemDataRole.UserRole + 2
    NATURAL_SORT = (DATE, Qt.SortOrder.DescendingOrder)

    loading_changed = Signal(bool)
    damaged_changed = Signal(int)
    aliases_changed = Signal()
    failed = Signal(str)

    def __init__(
        self, service: CheckinService, parent: QObject | None = None,
        page_rows: int | None = None,
    ) -> None:
        super().__init__(parent)
        self._service = service
        self._page_rows = page_rows or PAGE_ROWS
        self._scope = TaskScope(self)
        self._loaded: list[CheckinSummary] = []  # everything loaded, newest first
        self._rows: list[CheckinSummary] = []  # what the view shows
        self._row_of: dict[str, int] = {}
        self._aliases: dict[str, str] = {}
        self._damaged: dict[str, None] = {}
        self._filter = NO_FILTER
        self._officer_id: str | None = None
        self._sort: tuple[int, Qt.SortOrder] = self.NATURAL_SORT
        self._oldest: Any = None  # a PageCursor: where the next page continues
        self._more = False
        self._complete = False
        self._loading = False
        self._loading_all = False
        self._show_names = False
        self._selected: str | None = None
        self._holds: LegalHolds | None = None  # as of the last full load

    # -- Qt model API ---------------------------------------------------------------------
    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.COLUMNS)

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return (
            Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
            | Qt.ItemFlag.ItemNeverHasChildren
        )

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(self.COLUMNS):
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return self.tr(self.COLUMNS[section])
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self._rows):
            return None
        s = self._rows[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(s, column)
        if role == self.IdRole:
            return s.id
        if role == self.SortRole:
            return self._sort_value(s, column)
        if role == Qt.ItemDataRole.ToolTipRole:
            if column == self.DATE and self.is_held(s):
                return self.tr("⚖ Held: under a legal hold")
            if column == self.OFFICER and not self._reveals(s):
                return self.tr("Select the row, or turn on Show names, to see the name")
            if column in (self.INCIDENT, self.CONTACT):
                return self._display(s, column)
            return None
        if role == Qt.ItemDataRole.AccessibleTextRole and column == self.DATE \
                and self.is_held(s):
            return self.tr("{when}, under a legal hold").format(when=self._display(s, column))
        if role == Qt.ItemDataRole.AccessibleTextRole and column == self.OFFICER:
            return self._display(s, column) if self._reveals(s) else self.tr("Name hidden")
        return None

    def canFetchMore(self, parent: Index) -> bool:
        return not parent.isValid() and self._more and not self._loading

    def fetchMore(self, parent: Index) -> None:
        if self.canFetchMore(parent):
            self._load_page(first=False)

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        if not 0 <= column < len(self.COLUMNS):
            column, order = self.NATURAL_SORT
        self._sort = (column, order)
        if self._complete:
            self._apply_sort()
        elif self._sort != self.NATURAL_SORT and not self.is_loading_everything():
            self._load_all()

    # -- what a screen asks -----------------------------------------------------------------
    def reload(self) -> None:
        """Load again from the vault. Rows stay until the new ones arrive."""
        if self._needs_everything():
            self._load_all()
        else:
            self._load_page(first=True)

    def clear(self) -> None:
        """Forget every row, name and request in flight (the vault is locking)."""
        self._scope.invalidate()
        self.beginResetModel()
        self._loaded, self._rows, self._row_of = [], [], {}
        self._aliases = {}
        self._holds = None
        self._damaged = {}
        self._filter, self._officer_id, self._sort = NO_FILTER, None, self.NATURAL_SORT
        self._oldest, self._more, self._complete = None, False, False
        self._show_names, self._selected = False, None
        self.endResetModel()
        self._set_loading(False)
        self.damaged_changed.emit(0)
        self.aliases_changed.emit()

    def set_filter(self, flt: CheckinFilter, officer_id: str | None = None) -> None:
        if (flt, officer_id) == (self._filter, self._officer_id):
            return
        self._filter, self._officer_id = flt, officer_id
        self.reload()

    def filter(self) -> tuple[CheckinFilter, str | None]:
        return self._filter, self._officer_id

    def set_show_names(self, on: bool) -> None:
        if on != self._show_names:
            self._show_names = on
            self._officer_cells_changed(range(len(self._rows)))

    def set_selected_id(self, checkin_id: str | None) -> None:
        """The selected row shows its officer's name; the others stay masked."""
        if checkin_id == self._selected:
            return
        before, self._selected = self._selected, checkin_id
        rows = [self._row_of[i] for i in (before, checkin_id) if i in self._row_of]
        self._officer_cells_changed(rows)

    def remove_checkin(self, checkin_id: str) -> None:
        self._loaded = [s for s in self._loaded if s.id != checkin_id]
        row = self._row_of.get(checkin_id)
        if row is None:
            return
        self.beginRemoveRows(QModelIndex(), row, row)
        del self._rows[row]
        self._reindex()
        self.endRemoveRows()

    def summary(self, row: int) -> CheckinSummary | None:
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def is_held(self, s: CheckinSummary) -> bool:
        """Under a legal hold, itself or through one of its officers (as last loaded)."""
        return self._holds is not None and self._holds.covers(
            s.id, [s.officer_id, *s.group_officer_ids])

    def row_of(self, checkin_id: str) -> int | None:
        return self._row_of.get(checkin_id)

    def aliases(self) -> dict[str, str]:
        return dict(self._aliases)

    def damaged_ids(self) -> list[str]:
        return list(self._damaged)

    def is_loading(self) -> bool:
        return self._loading

    def is_loading_everything(self) -> bool:
        """Loading every matching row (to sort, or to filter by officer)."""
        return self._loading and self._loading_all

    def is_complete(self) -> bool:
        """Every check-in matching the filter is loaded."""
        return self._complete

    # -- loading ------------------------------------------------------------------------------
    def _needs_everything(self) -> bool:
        return self._officer_id is not None or self._sort != self.NATURAL_SORT

    def _load_page(self, first: bool) -> None:
        service, flt, rows = self._service, self._filter, self._page_rows
        before = None if first else self._oldest
        if first:
            self._scope.invalidate()

        def work() -> tuple[dict[str, str] | None, Any, LegalHolds | None]:
            aliases = service.aliases() if first else None
            holds = service.retention().holds() if first else None
            return aliases, service.page_after(before, rows, flt), holds

        self._loading_all = False
        self._set_loading(True)
        self._scope.run(work, lambda result: self._page_arrived(result, first), self._failed)

    def _load_all(self) -> None:
        service, flt = self._service, self._filter
        self._scope.invalidate()
        self._loading_all = True
        self._set_loading(True)
        def work() -> tuple[dict[str, str], Any, LegalHolds]:
            return service.aliases(), service.summaries(flt), service.retention().holds()

        self._scope.run(work, self._all_arrived, self._failed)

    def _page_arrived(self, result: Any, first: bool) -> None:
        aliases, page, holds = result
        rows, damaged = page.rows, page.damaged
        self._oldest = page.next
        self._more = page.next is not None
        self._complete = not self._more
        if first:
            self._replace(aliases, rows, damaged, holds)
        else:
            self._append(rows, damaged)
        self._set_loading(False)

    def _all_arrived(self, result: Any) -> None:
        aliases, (rows, damaged), holds = result
        self._oldest, self._more, self._complete = None, False, True
        self._replace(aliases, rows, damaged, holds)
        self._set_loading(False)

    def _failed(self, exc: BaseException) -> None:
        self._set_loading(False)
        self.failed.emit(self.tr("The check-ins could not be loaded ({kind}).").format(
            kind=type(exc).__name__))

    def _replace(
        self, aliases: dict[str, str], rows: list[CheckinSummary], damaged: list[str],
        holds: LegalHolds | None = None,
    ) -> None:
        self.beginResetModel()
        self._aliases = aliases
        self._holds = holds
        self._loaded = list(rows)
        self._rows = [s for s in rows if self._matches(s)]
        if self._sort != self.NATURAL_SORT:
            self._sort_rows()
        self._reindex()
        self.endResetModel()
        self.aliases_changed.emit()
        self._damaged = dict.fromkeys(damaged)
        self.damaged_changed.emit(len(self._damaged))

    def _append(self, rows: list[CheckinSummary], damaged: list[str]) -> None:
        self._loaded.extend(rows)
        new = [s for s in rows if self._matches(s)]
        if new:
            first = len(self._rows)
            self.beginInsertRows(QModelIndex(), first, first + len(new) - 1)
            self._rows.extend(new)
            self._reindex()
            self.endInsertRows()
        if damaged:
            self._damaged.update(dict.fromkeys(damaged))
            self.damaged_changed.emit(len(self._damaged))

    def _set_loading(self, on: bool) -> None:
        if on != self._loading:
            self._loading = on
            self.loading_changed.emit(on)

    # -- helpers ------------------------------------------------------------------------------
    def _matches(self, s: CheckinSummary) -> bool:
        oid = self._officer_id
        return oid is None or s.officer_id == oid or oid in s.group_officer_ids

    def _reveals(self, s: CheckinSummary) -> bool:
        return self._show_names or s.id == self._selected

    def _display(self, s: CheckinSummary, column: int) -> str:
        if column == self.DATE:
            return format_when(s.occurred_at)
        if column == self.OFFICER:
            return officer_text(s, self._aliases, self._reveals(s))
        if column == self.INCIDENT:
            return label(codes.INCIDENT_CATEGORIES, s.incident_category)
        if column == self.CONTACT:
            return label(codes.CONTACT_TYPES, s.contact_type)
        if column == self.FOLLOW_UP:
            return self.tr("Wanted") if s.follow_up else ""
        return ""

    def _sort_value(self, s: CheckinSummary, column: int) -> Any:
        if column == self.DATE:
            return s.occurred_at.timestamp()
        if column == self.OFFICER:
            if s.officer_id is None:
                return ""
            return self._aliases.get(s.officer_id, UNKNOWN_OFFICER).casefold()
        if column == self.FOLLOW_UP:
            return int(s.follow_up)
        return self._display(s, column).casefold()

    def _sort_rows(self) -> None:
        column, order = self._sort
        self._rows.sort(key=lambda s: s.occurred_at, reverse=True)  # ties: newest first
        if column != self.DATE:
            self._rows.sort(
                key=lambda s: self._sort_value(s, column),
                reverse=order == Qt.SortOrder.DescendingOrder,
            )
        elif order == Qt.SortOrder.AscendingOrder:
            self._rows.reverse()

    def _apply_sort(self) -> None:
        self.layoutAboutToBeChanged.emit()
        before = self.persistentIndexList()
        keys = [(self._rows[i.row()].id, i.column()) for i in before]
        self._sort_rows()
        self._reindex()
        after = [self.index(self._row_of[cid], column) for cid, column in keys]
        self.changePersistentIndexList(before, after)
        self.layoutChanged.emit()

    def _reindex(self) -> None:
        self._row_of = {s.id: row for row, s in enumerate(self._rows)}

    def _officer_cells_changed(self, rows: Any) -> None:
        rows = list(rows)
        if not rows:
            return
        roles = [Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole,
                 Qt.ItemDataRole.AccessibleTextRole]
        self.dataChanged.emit(
            self.index(min(rows), self.OFFICER), self.index(max(rows), self.OFFICER), roles
        )
