"""The unlocked workspace: navigation and the places later features fill in.

Created on unlock and destroyed on lock, so nothing it ever displayed outlives the session.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QListWidget,
    QListWidgetItem,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from peersupport.ui import style

if TYPE_CHECKING:
    from peersupport.services.checkins import CheckinService
    from peersupport.ui.checkins_page import CheckinsPage
    from peersupport.ui.followups_page import FollowupsPage
    from peersupport.ui.officers_page import OfficersPage
    from peersupport.ui.requests_page import RequestsPage
    from peersupport.ui.search_panel import SearchPanel
    from peersupport.ui.statistics_page import StatisticsPage

SECTIONS = (
    ("checkins", "Check-ins", ""),
    ("officers", "Officers", ""),
    ("search", "Search", ""),
    ("followups", "Follow-ups",
     "Reminders timed from the incident - 24 hours, 72 hours, a week, a month, the "
     "anniversary - shown without a name where someone else could read it."),
    ("requests", "Requests",
     "Follow-up requests officers leave for you, readable only by you, urgent ones first."),
    ("statistics", "Statistics",
     "Your own counts, and a preview of exactly what an anonymized, suppressed report to "
     "your program would contain before anything leaves this laptop."),
)


class PlaceholderPage(QWidget):
    def __init__(self, title: str, text: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(32, 28, 32, 28)
        layout.addWidget(style.heading(title, self, 1.5))
        body = style.muted(text, self)
        body.setMaximumWidth(640)
        layout.addWidget(body)
        layout.addSpacing(12)
        layout.addWidget(style.muted(self.tr("This part arrives in a coming release."), self))
        layout.addStretch(1)


class Workspace(QWidget):
    """Navigation on the left, one page per section on the right."""

    new_checkin_requested = Signal()
    edit_checkin_requested = Signal(str)
    followup_done_requested = Signal(str, str)  # plan id, step id: log its check-in

    def __init__(self, service: CheckinService | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("workspace")
        self.service = service
        self.nav = QListWidget(self)
        self.nav.setAccessibleName(self.tr("Sections"))
        self.nav.setFixedWidth(190)
        self.nav.setSpacing(2)
        self.pages = QStackedWidget(self)
        self.checkins_page: CheckinsPage | None = None
        self.officers_page: OfficersPage | None = None
        self.search_panel: SearchPanel | None = None
        self.followups_page: FollowupsPage | None = None
        self.requests_page: RequestsPage | None = None
        self.statistics_page: StatisticsPage | None = None
        self._titles: dict[str, str] = {}
        for key, title, text in SECTIONS:
            item = QListWidgetItem(self.tr(title))
            item.setData(Qt.ItemDataRole.UserRole, key)
            self._titles[key] = self.tr(title)
            item.setSizeHint(item.sizeHint().expandedTo(self.nav.fontMetrics().size(0, "Xg") * 2))
            self.nav.addItem(item)
            self.pages.addWidget(self._make_page(key, title, text))
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.nav)
        layout.addWidget(self.pages, 1)
        self.nav.currentRowChanged.connect(self.pages.setCurrentIndex)
        self.nav.setCurrentRow(0)

    def _make_page(self, key: str, title: str, text: str) -> QWidget:
        if self.service is not None and key == "checkins":
            from peersupport.ui.checkins_page import CheckinsPage

            page = CheckinsPage(self.service, self.pages)
            page.new_requested.connect(self.new_checkin_requested)
            page.edit_requested.connect(self.edit_checkin_requested)
            page.changed.connect(self._reload_officers)
            page.changed.connect(self._reload_followups)
            page.changed.connect(self._reload_statistics)
            self.checkins_page = page
            return page
        if self.service is not None and key == "officers":
            from peersupport.ui.officers_page import OfficersPage

            officers = OfficersPage(self.service, self.pages)
            officers.changed.connect(self.refresh)
            officers.open_requested.connect(self.open_checkin)
            self.officers_page = officers
            return officers
        if self.service is not None and key == "search":
            from peersupport.ui.search_panel import SearchPanel

            panel = SearchPanel(self.service, self.pages)
            panel.open_requested.connect(self.open_checkin)
            self.search_panel = panel
            return panel
        if self.service is not None and key == "followups":
            from peersupport.ui.followups_page import FollowupsPage

            followups = FollowupsPage(self.service, self.pages)
            followups.done_requested.connect(self.followup_done_requested)
            followups.badge_changed.connect(self.set_followup_badge)
            self.followups_page = followups
            return followups
        if self.service is not None and key == "requests":
            from peersupport.ui.requests_page import RequestsPage

            requests = RequestsPage(self.service, self.pages)
            requests.badge_changed.connect(self.set_request_badge)
            requests.followups_changed.connect(self._reload_followups)
            requests.changed.connect(self._reload_officers)  # accepting may add an officer
            self.requests_page = requests
            return requests
        if self.service is not None and key == "statistics":
            from peersupport.ui.statistics_page import StatisticsPage

            statistics = StatisticsPage(self.service, self.pages, k_source=self.stats_k)
            self.statistics_page = statistics
            return statistics
        if not text:
            return PlaceholderPage(self.tr(title), "", self.pages)
        return PlaceholderPage(self.tr(title), self.tr(text), self.pages)

    def show_section(self, key: str) -> None:
        for row in range(self.nav.count()):
            if self.nav.item(row).data(Qt.ItemDataRole.UserRole) == key:
                self.nav.setCurrentRow(row)

    def refresh(self) -> None:
        """Reload what the pages show after a change (a save, a merge, a delete)."""
        if self.checkins_page is not None:
            self.checkins_page.reload()
        if self.officers_page is not None:
            self.officers_page.reload()
        self._reload_followups()
        self._reload_statistics()

    def _reload_officers(self) -> None:
        if self.officers_page is not None:
            self.officers_page.reload()

    def _reload_followups(self) -> None:
        if self.followups_page is not None:
            self.followups_page.reload()

    def _reload_statistics(self) -> None:
        """Count again now if the statistics are on screen, else when they are shown."""
        page = self.statistics_page
        if page is None:
            return
        if page.isVisible():
            page.reload()
        else:
            page.mark_stale()

    def stats_k(self) -> int:
        """The program's suppression threshold, as last saved in Preferences."""
        from peersupport import settings as settings_mod

        if self.service is None:
            return settings_mod.Settings().stats_k
        return settings_mod.load(self.service.data_dir.settings).stats_k

    def set_followup_badge(self, n: int) -> None:
        """Show how many follow-ups are due (overdue and today's) beside the section name."""
        self._set_badge("followups", n, self.tr("{title}, {n} due"))

    def set_request_badge(self, n: int) -> None:
        """Show how many open requests are not yet seen beside the section name."""
        self._set_badge("requests", n, self.tr("{title}, {n} new"))

    def _set_badge(self, key: str, n: int, spoken: str) -> None:
        for row in range(self.nav.count()):
            item = self.nav.item(row)
            if item.data(Qt.ItemDataRole.UserRole) == key:
                title = self._titles[key]
                item.setText(f"{title} ({n:,})" if n > 0 else title)
                item.setData(Qt.ItemDataRole.AccessibleTextRole,
                             spoken.format(title=title, n=n) if n > 0 else title)

    def section_text(self, key: str) -> str:
        """What the navigation shows for a section (its name and badge)."""
        for row in range(self.nav.count()):
            item = self.nav.item(row)
            if item.data(Qt.ItemDataRole.UserRole) == key:
                return item.text()
        return ""

    def open_checkin(self, checkin_id: str) -> None:
        self.show_section("checkins")
        if self.checkins_page is not None:
            self.checkins_page.show_checkin(checkin_id)

    def focus_search(self) -> None:
        self.show_section("search")
        if self.search_panel is not None:
            self.search_panel.focus_field()

    def clear(self) -> None:
        """Wipe every model and widget that showed decrypted data (the vault is locking)."""
        for page in (self.checkins_page, self.officers_page, self.search_panel,
                     self.followups_page, self.requests_page, self.statistics_page):
            if page is not None:
                page.clear()
