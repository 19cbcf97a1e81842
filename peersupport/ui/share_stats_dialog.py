"""Share statistics: a preview of exactly what a ``.psstats`` file holds, then saving it.

The supporter chooses the range (months or quarters); the suppression threshold k is program
policy, set in Preferences, and only shown here. The preview is ``share_preview(range, k)``:
the suppressed tables, one tab per dimension. "Save…" writes ``export(range, k)`` for the same
range and k, after checking (off the UI thread) that the signed file holds exactly the tables
on screen; if a count changed since the preview was made, nothing is written and the preview
is made again.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTableWidget,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from peersupport.crypto import stats_file
from peersupport.domain.stats import DIMENSIONS, PublishedTable
from peersupport.services.statistics import ShareOverlapError
from peersupport.ui import style
from peersupport.ui.file_dialogs import save_file_name
from peersupport.ui.statistics_page import (
    RangeBar,
    Span,
    clear_count_table,
    dimension_label,
    fill_count_table,
    fit_range,
    new_count_table,
    period_label,
)
from peersupport.ui.task_scope import TaskScope

if TYPE_CHECKING:
    from peersupport.services.statistics import ShareRange, StatisticsService

SUPPRESSED_MARK = "—"


class PreviewOutdatedError(Exception):
    """The counts changed between the preview and the save: nothing was written."""


def write_stats_file(target: Path, data: bytes) -> None:
    """Write atomically, readable by its owner only (0600)."""
    from peersupport.atomic import write_atomic

    write_atomic(target, [data])  # a temporary file made 0600 by mkstemp, then renamed
    if os.name == "posix":
        with contextlib.suppress(OSError):
            target.chmod(0o600)


def default_file_name(share: ShareRange) -> str:
    periods = share.periods()
    return f"statistics-{periods[0]}-to-{periods[-1]}{stats_file.STATS_EXTENSION}"


class ShareStatisticsDialog(QDialog):
    """What the program would receive, exactly, and "Save…"."""

    def __init__(self, statistics: StatisticsService, k: int, span: Span, share: ShareRange,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Share statistics"))
        self._statistics = statistics
        self.k = k
        self._span = span
        self._scope = TaskScope(self)  # the preview
        self._identity_scope = TaskScope(self)
        self._save_scope = TaskScope(self)
        self.preview: dict[str, PublishedTable] | None = None
        self.preview_range: ShareRange | None = None  # the range the preview counts
        self.saved_path: Path | None = None
        self._saving = False

        intro = style.muted(self.tr(
            "This is exactly what the file will hold: counts of coarse codes per period, with "
            "no names, no notes and no dates finer than a month. Nothing leaves this laptop "
            "until you save the file and send it yourself."), self)

        self.range_bar = RangeBar(self)
        self.range_bar.set_span(span, fit_range(span, share, share.granularity))
        self.range_bar.changed.connect(self.load_preview)

        # -- the rule, and who the file names -------------------------------------------------
        rule_box = QGroupBox(self.tr("Suppression"), self)
        self.rule = QLabel(self.tr(
            "Counts from 1 to {last} are replaced by “suppressed”, and further cells are "
            "hidden so that none can be worked out from the totals.").format(last=k - 1),
            rule_box)
        self.rule.setWordWrap(True)
        self.rule.setAccessibleName(self.tr("Suppression rule"))
        self.k_label = style.muted(self.tr(
            "Threshold: {k}, set by your program in Preferences.").format(k=k), rule_box)
        self.k_label.setAccessibleName(self.tr("Suppression threshold"))
        rule_column = QVBoxLayout(rule_box)
        rule_column.addWidget(self.rule)
        rule_column.addWidget(self.k_label)

        who_box = QGroupBox(self.tr("What your program sees instead of your name"), self)
        self.pseudonym = QLabel(who_box)
        self.pseudonym.setAccessibleName(self.tr("Your pseudonym"))
        self.fingerprint = QLabel(who_box)
        self.fingerprint.setFont(style.monospace())
        self.fingerprint.setAccessibleName(self.tr("Signing key fingerprint"))
        for label in (self.pseudonym, self.fingerprint):
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse
                                          | Qt.TextInteractionFlag.TextSelectableByKeyboard)
        who_hint = style.muted(self.tr(
            "The file is signed with a key only this vault holds: the fingerprint lets your "
            "program check that it comes from you, unchanged."), who_box)
        who_grid = QVBoxLayout(who_box)
        pseudonym_row = QHBoxLayout()
        pseudonym_row.addWidget(QLabel(self.tr("Pseudonym:"), who_box))
        pseudonym_row.addWidget(self.pseudonym, 1)
        fingerprint_row = QHBoxLayout()
        fingerprint_row.addWidget(QLabel(self.tr("Signing key:"), who_box))
        fingerprint_row.addWidget(self.fingerprint, 1)
        who_grid.addLayout(pseudonym_row)
        who_grid.addLayout(fingerprint_row)
        who_grid.addWidget(who_hint)

        boxes = QHBoxLayout()
        boxes.addWidget(rule_box, 1)
        boxes.addWidget(who_box, 1)

        # -- the preview ------------------------------------------------------------------------
        self.preview_heading = style.heading(self.tr("Preview"), self, 1.1)
        self.preview_heading.setWordWrap(False)
        self.busy = style.busy_bar(self.tr("Preparing the preview"), self)
        self.legend = style.muted(self.tr(
            "{mark} suppressed: a count from 1 to {last}, or a cell hidden so that such a "
            "count cannot be worked out.").format(mark=SUPPRESSED_MARK, last=k - 1), self)
        self.legend.setAccessibleName(self.tr("Legend"))
        heading_row = QHBoxLayout()
        heading_row.addWidget(self.preview_heading)
        heading_row.addStretch(1)
        heading_row.addWidget(self.busy)
        self.tabs = QTabWidget(self)
        self.tabs.setAccessibleName(self.tr("Preview tables"))
        self.tabs.setUsesScrollButtons(True)
        self.tabs.setDocumentMode(True)
        self.tables: dict[str, QTableWidget] = {}
        for dimension in DIMENSIONS:
            table = new_count_table(self.tabs, self.tr("{dimension}, as shared").format(
                dimension=dimension_label(dimension)))
            self.tables[dimension] = table
            self.tabs.addTab(table, dimension_label(dimension))

        self.error_banner = style.error_label(self)
        self.error_banner.setAccessibleName(self.tr("Problem"))
        self.saved = QLabel(self)
        self.saved.setWordWrap(True)
        self.saved.setTextFormat(Qt.TextFormat.PlainText)
        self.saved.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse
                                           | Qt.TextInteractionFlag.TextSelectableByKeyboard)
        self.saved.setAccessibleName(self.tr("Where the file was saved"))
        style.set_text_colour(self.saved, QColor(style.OK_COLOUR))
        self.saved.setVisible(False)

        # -- buttons ----------------------------------------------------------------------------
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        self.save_button = QPushButton(self.tr("&Save…"), self)
        self.save_button.setAccessibleName(self.tr("Save the statistics file"))
        self.save_button.setToolTip(self.tr("Save this preview as a signed .psstats file "
                                            "(Ctrl+S)"))
        self.save_button.setEnabled(False)
        self.save_button.clicked.connect(self.save)
        self.buttons.addButton(self.save_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.buttons.rejected.connect(self.reject)
        close = self.buttons.button(QDialogButtonBox.StandardButton.Close)
        if close is not None:
            close.setAccessibleName(self.tr("Close"))
            close.setAutoDefault(False)
        save_shortcut = QShortcut(QKeySequence(QKeySequence.StandardKey.Save), self)
        save_shortcut.activated.connect(self.save)

        layout = QVBoxLayout(self)
        layout.setSpacing(8)
        layout.addWidget(intro)
        layout.addWidget(self.range_bar)
        layout.addLayout(boxes)
        layout.addLayout(heading_row)
        layout.addWidget(self.legend)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(self.error_banner)
        layout.addWidget(self.saved)
        layout.addWidget(self.buttons)
        self.resize(860, 640)
        self.setMinimumSize(600, 460)

        self._load_identity()
        self.load_preview()

    # -- loading ------------------------------------------------------------------------------
    def _load_identity(self) -> None:
        statistics = self._statistics

        def work() -> tuple[str, str]:
            return statistics.pseudonym(), statistics.signing_fingerprint()

        def arrived(result: tuple[str, str]) -> None:
            self.pseudonym.setText(result[0])
            self.fingerprint.setText(result[1])

        self._identity_scope.run(work, arrived, self._failed)

    def share_range(self) -> ShareRange | None:
        return self.range_bar.share_range()

    def load_preview(self) -> None:
        """The suppressed tables for the range chosen, exactly as they would be written."""
        share = self.share_range()
        if share is None:
            return
        self._scope.invalidate()
        self.preview = None
        self.preview_range = None
        self.saved.setVisible(False)  # it named the file of another range
        self._update_save()
        self.busy.setVisible(True)
        statistics, k = self._statistics, self.k
        self._scope.run(lambda: (statistics.share_preview(share, k),
                                 statistics.check_share(share)),
                        lambda found: self._preview_arrived(share, *found), self._failed)

    def _preview_arrived(self, share: ShareRange, tables: dict[str, PublishedTable],
                         overlap: str | None = None) -> None:
        self.busy.setVisible(False)
        self.preview = tables
        self.preview_range = share
        if overlap is not None:  # shown with the preview; Save stays off for this range
            self.error_banner.setText(overlap)
            self.error_banner.setVisible(True)
        elif getattr(self, "overlap", None) is not None:  # the banner said so: not any more
            self.error_banner.setVisible(False)
        self.overlap = overlap
        tip = self.tr("suppressed")
        for dimension, widget in self.tables.items():
            fill_count_table(widget, tables[dimension], SUPPRESSED_MARK, tip)
        periods = share.periods()
        self.preview_heading.setText(self.tr("Preview: {first} to {last}").format(
            first=period_label(periods[0]), last=period_label(periods[-1])))
        self._update_save()

    def _failed(self, exc: BaseException) -> None:
        self.busy.setVisible(False)
        self._saving = False
        self._update_save()
        self.error_banner.setText(self.tr("The statistics could not be prepared ({kind}).")
                                  .format(kind=type(exc).__name__))
        self.error_banner.setVisible(True)

    def _update_save(self) -> None:
        self.save_button.setEnabled(self.preview is not None and not self._saving
                                    and getattr(self, "overlap", None) is None)

    # -- saving ---------------------------------------------------------------------------------
    def save(self) -> None:
        """Ask where, then write ``export()`` for the range and k of the preview shown."""
        if self.preview is None or self.preview_range is None or self._saving:
            return
        share, preview, k = self.preview_range, self.preview, self.k
        chosen = save_file_name(
            self, self.tr("Save statistics"), str(Path.home() / default_file_name(share)),
            self.tr("Peer Support statistics (*{ext})").format(ext=stats_file.STATS_EXTENSION))
        if not chosen or self.preview_range != share:
            return
        target = Path(chosen)
        if target.suffix.lower() != stats_file.STATS_EXTENSION:
            target = target.with_name(target.name + stats_file.STATS_EXTENSION)
        statistics = self._statistics
        self._saving = True
        self._update_save()
        self.error_banner.setVisible(False)
        self.saved.setVisible(False)

        def work() -> Path:
            data = statistics.export(share, k)
            written = stats_file.read(data)  # what the program will read: the preview, exactly
            if written.tables != preview or written.k != k or \
                    written.periods != share.periods():
                raise PreviewOutdatedError
            write_stats_file(target, data)
            return target

        self._save_scope.run(work, self._saved, self._save_failed)

    def _saved(self, target: Path) -> None:
        self._saving = False
        self.saved_path = target
        self.saved.setText(self.tr("Saved to {path}. Send this file to your program: it holds "
                                   "only the tables above.").format(path=str(target)))
        self.saved.setVisible(True)
        self._update_save()

    def _save_failed(self, exc: BaseException) -> None:
        self._saving = False
        if isinstance(exc, PreviewOutdatedError):
            self.error_banner.setText(self.tr(
                "Your counts changed since this preview was made, so nothing was saved. Check "
                "the new preview and save again."))
            self.error_banner.setVisible(True)
            self.load_preview()
            return
        if isinstance(exc, ShareOverlapError):
            text = str(exc)
        elif isinstance(exc, OSError):
            text = self.tr("The file could not be saved: {reason}.").format(
                reason=exc.strerror or type(exc).__name__)
        else:
            text = self.tr("The file could not be saved ({kind}).").format(
                kind=type(exc).__name__)
        self.error_banner.setText(text)
        self.error_banner.setVisible(True)
        self._update_save()

    # -- closing ----------------------------------------------------------------------------------
    def done(self, result: int) -> None:
        """Closing drops every answer still on its way and wipes the tables."""
        for scope in (self._scope, self._identity_scope, self._save_scope):
            scope.invalidate()
        self.preview = None
        for widget in self.tables.values():
            clear_count_table(widget)
        super().done(result)
