"""Small widgets the check-in form is built from: a checkable list, a field with an inline
error underneath, the guidance box and the notice viewer."""

from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QFont, QResizeEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from peersupport.ui import style

CODE_ROLE = Qt.ItemDataRole.UserRole


class CheckList(QListWidget):
    """Checkable items in one Tab stop: arrows move, Space ticks. Shows every row up to
    ``max_rows``, then scrolls."""

    changed = Signal()

    def __init__(
        self, accessible_name: str, parent: QWidget | None = None, max_rows: int = 8
    ) -> None:
        super().__init__(parent)
        self._max_rows = max_rows
        self.setAccessibleName(accessible_name)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setUniformItemSizes(True)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.itemChanged.connect(lambda _item: self.changed.emit())

    def set_items(self, items: Iterable[tuple[str, str]]) -> None:
        """(code, label) pairs, in display order; ticks are kept for codes still present."""
        ticked = set(self.checked())
        self.blockSignals(True)
        self.clear()
        for code, label in items:
            item = QListWidgetItem(label, self)
            item.setData(CODE_ROLE, code)
            item.setFlags(
                Qt.ItemFlag.ItemIsEnabled
                | Qt.ItemFlag.ItemIsSelectable
                | Qt.ItemFlag.ItemIsUserCheckable
            )
            item.setCheckState(
                Qt.CheckState.Checked if code in ticked else Qt.CheckState.Unchecked
            )
        self.blockSignals(False)
        self.updateGeometry()
        self.setFixedHeight(self.sizeHint().height())

    def checked(self) -> list[str]:
        return [
            self.item(i).data(CODE_ROLE) for i in range(self.count())
            if self.item(i).checkState() == Qt.CheckState.Checked
        ]

    def set_checked(self, codes: Iterable[str]) -> None:
        wanted = set(codes)
        self.blockSignals(True)
        for i in range(self.count()):
            item = self.item(i)
            item.setCheckState(
                Qt.CheckState.Checked if item.data(CODE_ROLE) in wanted
                else Qt.CheckState.Unchecked
            )
        self.blockSignals(False)
        self.changed.emit()

    def codes(self) -> list[str]:
        return [self.item(i).data(CODE_ROLE) for i in range(self.count())]

    def sizeHint(self) -> QSize:
        rows = max(1, min(self.count(), self._max_rows))
        row = self.sizeHintForRow(0) if self.count() else self.fontMetrics().height() + 6
        frame = 2 * self.frameWidth()
        return QSize(super().sizeHint().width(), rows * row + frame + 2)

    def minimumSizeHint(self) -> QSize:
        """Wide enough for the longest label: ticks are never cut short."""
        width = self.sizeHintForColumn(0) if self.count() else 120
        scroll = self.verticalScrollBar().sizeHint().width() if self.count() > self._max_rows else 0
        return QSize(width + 2 * self.frameWidth() + scroll + 4, self.sizeHint().height())


class FieldBox(QWidget):
    """An editor (with optional widgets beside it) and its inline error message below."""

    def __init__(
        self, editor: QWidget, parent: QWidget | None = None, *,
        beside: Iterable[QWidget] = (), below: Iterable[QWidget] = (),
    ) -> None:
        super().__init__(parent)
        self.editor = editor
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(8)
        row.addWidget(editor, 1)
        for widget in beside:
            row.addWidget(widget)
        if editor.maximumWidth() < 10_000:  # a narrow editor stays at the left
            row.addStretch(1)
        self.error = style.error_label(self)
        self.error.setAccessibleName(f"{editor.accessibleName()}: problem")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addLayout(row)
        for widget in below:
            layout.addWidget(widget)
        layout.addWidget(self.error)

    def show_error(self, text: str) -> None:
        self.error.setText(text)
        self.error.setVisible(bool(text))
        self.editor.setAccessibleDescription(text)

    def clear_error(self) -> None:
        self.show_error("")

    def has_error(self) -> bool:
        return bool(self.error.text())


class GuidanceBox(QFrame):
    """Short, non-blocking guidance when a check-in records risk or an exception."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("guidanceBox")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setStyleSheet(
            "QFrame#guidanceBox { border: 1px solid #c8a23c; border-left: 4px solid #c8a23c;"
            " border-radius: 4px; }"
        )
        self.title = QLabel(self.tr("Guidance"), self)
        font = self.title.font()
        font.setWeight(QFont.Weight.DemiBold)
        self.title.setFont(font)
        self.body = QLabel(self)
        self.body.setWordWrap(True)
        self.body.setTextFormat(Qt.TextFormat.RichText)
        self.body.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.body.setAccessibleName(self.tr("Guidance for this check-in"))
        self.footer = style.muted(self.tr("This never stops you from saving."), self)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 8, 12, 8)
        layout.setSpacing(4)
        layout.addWidget(self.title)
        layout.addWidget(self.body)
        layout.addWidget(self.footer)
        self.lines: list[str] = []
        self.setVisible(False)

    def set_lines(self, lines: list[str]) -> None:
        self.lines = list(lines)
        paragraphs = "".join(f"<p style='margin: 0 0 6px 0'>{_escape(line)}</p>" for line in lines)
        self.body.setText(paragraphs)
        self.setAccessibleDescription(" ".join(lines))
        self.setVisible(bool(lines))
        self._fit()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._fit()

    def _fit(self) -> None:
        """Nested layouts do not pass height-for-width up, so a wrapped label would be cut
        short: reserve the height the text needs at the current width."""
        width = self.body.width()
        needed = self.body.heightForWidth(width) if width > 0 else -1
        if needed > 0 and needed != self.body.minimumHeight():
            self.body.setMinimumHeight(needed)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class NoticeDialog(QDialog):
    """Shows the confidentiality notice so the supporter can read it out or hand it over."""

    def __init__(self, notice_text: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Confidentiality notice"))
        self.text = QPlainTextEdit(self)
        self.text.setPlainText(notice_text)
        self.text.setReadOnly(True)
        self.text.setTabChangesFocus(True)
        self.text.setAccessibleName(self.tr("Confidentiality notice text"))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.text, 1)
        layout.addWidget(buttons)
        self.resize(620, 520)
