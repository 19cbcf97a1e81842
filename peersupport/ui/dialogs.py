"""Small dialogs: About, Preferences (general, follow-ups, requests, statistics, backups and
retention) and the
unexpected-error message."""

from __future__ import annotations

import platform
from collections.abc import Callable
from pathlib import Path

from PySide6 import __version__ as pyside_version
from PySide6.QtCore import QCoreApplication, Qt, QTime
from PySide6.QtGui import QBrush
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLayout,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QSizePolicy,
    QSpacerItem,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QTimeEdit,
    QVBoxLayout,
    QWidget,
)

from peersupport import __version__, autostart
from peersupport.domain.clock import system_zone_name, zone_names
from peersupport.domain.codes import INCIDENT_CATEGORIES
from peersupport.domain.follow_request import CRISIS_RESOURCES
from peersupport.domain.followup_templates import (
    DEFAULT_TEMPLATES,
    TemplateError,
    format_steps,
    parse_steps,
    templates_from_codes,
    templates_to_codes,
)
from peersupport.domain.reminders import parse_nudge
from peersupport.domain.stats import MAX_K, MIN_K
from peersupport.settings import (
    AUTO_BACKUP_HOURS_MAX,
    AUTO_BACKUP_HOURS_MIN,
    AUTO_BACKUP_KEEP_MAX,
    AUTO_BACKUP_KEEP_MIN,
    CLOSE_ASK,
    CLOSE_QUIT,
    CLOSE_TRAY,
    IDLE_MINUTES_MAX,
    IDLE_MINUTES_MIN,
    MAX_CRISIS_RESOURCES_TEXT,
    REQUEST_RATE_MAX,
    REQUEST_RATE_MIN,
    RETENTION_DAYS,
    SYSTEM_ZONE,
    Settings,
)
from peersupport.ui import style
from peersupport.ui.icons import app_icon


class AboutDialog(QDialog):
    def __init__(self, data_root: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("About Peer Support"))
        icon = QLabel(self)
        icon.setPixmap(app_icon().pixmap(64, 64))
        text = QLabel(self)
        text.setTextFormat(Qt.TextFormat.RichText)
        text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        text.setWordWrap(True)
        text.setText(self.tr(
            "<h3>Peer Support {version}</h3>"
            "<p>Confidential check-ins and follow-ups for law-enforcement peer supporters.</p>"
            "<p>Licence: GNU General Public License, version 3 or later.</p>"
            "<p>Your vault lives in:<br><code>{root}</code></p>"
            "<p>Python {py} · Qt for Python {qt}</p>"
        ).format(
            version=__version__, root=str(data_root), py=platform.python_version(),
            qt=pyside_version,
        ))
        text.setAccessibleName(self.tr("About this application"))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(icon)
        layout.addWidget(text)
        layout.addWidget(buttons)
        self.setMinimumWidth(440)
        self.text = text


class PreferencesDialog(QDialog):
    """General settings; follow-ups: time zone, daily nudge and the plan templates; requests:
    the request form's rate limit and the agency's crisis lines."""

    def __init__(
        self, settings: Settings, parent: QWidget | None = None, *,
        tray_available: bool = True, autostart_supported: bool | None = None,
        retention_preview: RetentionPreview | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Preferences"))
        self._base = settings
        self.tabs = QTabWidget(self)
        self.tabs.setAccessibleName(self.tr("Preferences sections"))
        self.tabs.addTab(self._general_tab(settings, tray_available, autostart_supported),
                         self.tr("&General"))
        self.tabs.addTab(self._followups_tab(settings), self.tr("&Follow-ups"))
        self.tabs.addTab(self._requests_tab(settings), self.tr("&Requests"))
        self.tabs.addTab(self._statistics_tab(settings), self.tr("&Statistics"))
        self.tabs.addTab(self._backups_tab(settings), self.tr("&Backups"))
        self.tabs.addTab(self._retention_tab(settings, retention_preview),
                         self.tr("Re&tention"))
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self.ok_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        layout = QVBoxLayout(self)
        layout.addWidget(style.muted(self.tr(
            "These settings are stored on this computer without any record data."), self))
        layout.addWidget(self.tabs, 1)
        layout.addWidget(self.buttons)
        self.resize(720, 620)
        self._validate_templates()

    # -- General --------------------------------------------------------------------------
    def _general_tab(
        self, settings: Settings, tray_available: bool, autostart_supported: bool | None
    ) -> QWidget:
        page = QWidget(self)
        self.idle = QSpinBox(page)
        self.idle.setRange(IDLE_MINUTES_MIN, IDLE_MINUTES_MAX)
        self.idle.setSuffix(self.tr(" min"))
        self.idle.setValue(settings.idle_lock_minutes)
        self.idle.setAccessibleName(self.tr("Lock after idle minutes"))
        self.idle.setMaximumWidth(110)
        self.screen_lock = QCheckBox(
            self.tr("Lock when the computer locks its screen or goes to sleep"), page
        )
        self.screen_lock.setChecked(settings.lock_on_screen_lock)
        self.screen_lock.setAccessibleName(self.tr("Lock with the screen"))

        self.close_choice = QComboBox(page)
        for code, text in (
            (CLOSE_ASK, self.tr("Ask me")),
            (CLOSE_TRAY, self.tr("Keep running in the tray (the vault locks)")),
            (CLOSE_QUIT, self.tr("Quit")),
        ):
            self.close_choice.addItem(text, code)
        self.close_choice.setCurrentIndex(max(0, self.close_choice.findData(
            settings.close_to_tray)))
        self.close_choice.setAccessibleName(self.tr("When the window is closed"))
        self.close_choice.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        close_hint = style.muted(self.tr(
            "In the tray, Peer Support keeps reminding you of due follow-ups (by number "
            "only) while the vault stays locked."), page)
        if not tray_available:
            self.close_choice.setEnabled(False)
            close_hint.setText(self.tr(
                "This desktop shows no system tray: closing the window quits."))

        supported = (autostart.supported() if autostart_supported is None
                     else autostart_supported)
        self.start_login = QCheckBox(self.tr("Start Peer Support when I log in"), page)
        self.start_login.setChecked(settings.start_at_login and supported)
        self.start_login.setAccessibleName(self.tr("Start at login"))
        self.start_login.setEnabled(supported)
        login_hint = style.muted(self.tr(
            "It opens on the lock screen. Once you have unlocked, follow-up reminders keep "
            "arriving while it stays locked."), page)
        if not supported:
            login_hint.setText(self.tr(autostart.UNSUPPORTED))

        form = QFormLayout(page)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.setVerticalSpacing(10)
        form.addRow(self.tr("&Lock after being idle for:"), self.idle)
        form.addRow("", self.screen_lock)
        form.addItem(QSpacerItem(0, 12))
        form.addRow(self.tr("&Closing the window:"), _with_hint(self.close_choice, close_hint))
        form.addItem(QSpacerItem(0, 12))
        form.addRow("", _with_hint(self.start_login, login_hint))
        return page

    # -- Follow-ups -----------------------------------------------------------------------
    def _followups_tab(self, settings: Settings) -> QWidget:
        page = QWidget(self)
        self.zone = QComboBox(page)
        self.zone.addItem(self.tr("System ({name})").format(name=system_zone_name()),
                          SYSTEM_ZONE)
        for name in zone_names():
            self.zone.addItem(name, name)
        self.zone.setMaxVisibleItems(20)
        self.zone.setCurrentIndex(max(0, self.zone.findData(settings.time_zone)))
        self.zone.setAccessibleName(self.tr("Time zone for follow-ups"))
        self.zone.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        self.zone.setMinimumContentsLength(28)

        nudge_at = parse_nudge(settings.daily_nudge)
        self.nudge_on = QCheckBox(self.tr("Every day at"), page)
        self.nudge_on.setAccessibleName(self.tr("Daily reminder to unlock"))
        self.nudge_on.setChecked(nudge_at is not None)
        self.nudge_time = QTimeEdit(page)
        self.nudge_time.setDisplayFormat("HH:mm")
        self.nudge_time.setTime(QTime(nudge_at.hour, nudge_at.minute) if nudge_at
                                else QTime(9, 0))
        self.nudge_time.setAccessibleName(self.tr("Daily reminder time"))
        self.nudge_time.setEnabled(nudge_at is not None)
        self.nudge_on.toggled.connect(self.nudge_time.setEnabled)
        nudge_row = QHBoxLayout()
        nudge_row.addWidget(self.nudge_on)
        nudge_row.addWidget(self.nudge_time)
        nudge_row.addStretch(1)
        nudge_hint = style.muted(self.tr(
            "After the computer restarts, Peer Support knows nothing about your follow-ups "
            "until you unlock; this daily reminder asks you to."), page)

        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.addRow(self.tr("&Time zone:"), self.zone)
        form.addRow(self.tr("Remind me to unlock:"), _with_hint(nudge_row, nudge_hint))

        plans = QGroupBox(self.tr("Follow-up plans by incident category"), page)
        self.templates = QTableWidget(len(INCIDENT_CATEGORIES), 2, plans)
        self.templates.setAccessibleName(self.tr("Follow-up steps for each incident category"))
        self.templates.setHorizontalHeaderLabels([self.tr("Incident category"),
                                                  self.tr("Steps after the incident")])
        self.templates.verticalHeader().setVisible(False)
        header = self.templates.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.templates.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.templates.setEditTriggers(QAbstractItemView.EditTrigger.AllEditTriggers)
        self.templates.setWordWrap(False)
        current = templates_from_codes(settings.followup_templates)
        for row, (code, label) in enumerate(INCIDENT_CATEGORIES.items()):
            category = QTableWidgetItem(label)
            category.setFlags(Qt.ItemFlag.ItemIsEnabled)
            category.setData(Qt.ItemDataRole.UserRole, code)
            steps = QTableWidgetItem(format_steps(current[code]))
            steps.setData(Qt.ItemDataRole.AccessibleDescriptionRole,
                          self.tr("Follow-up steps for {category}").format(category=label))
            self.templates.setItem(row, 0, category)
            self.templates.setItem(row, 1, steps)
        self.templates.itemChanged.connect(lambda _item: self._validate_templates())
        self.template_error = style.error_label(plans)
        self.template_error.setAccessibleName(self.tr("Follow-up plan problem"))
        self.reset_templates = QPushButton(self.tr("&Reset to defaults"), plans)
        self.reset_templates.setAccessibleName(self.tr("Reset follow-up plans to defaults"))
        self.reset_templates.clicked.connect(self._reset_templates)
        reset_row = QHBoxLayout()
        reset_row.addStretch(1)
        reset_row.addWidget(self.reset_templates)
        plan_layout = QVBoxLayout(plans)
        plan_layout.addWidget(style.muted(self.tr(
            "Steps are separated by commas: 24h (hours), 7d (days), 3w (weeks), 2m (months), "
            "1y (the anniversary); 7d@09:00 also sets the time of day. Leave a category "
            "empty for no follow-up steps. Changes apply to plans made from now on."), plans))
        plan_layout.addWidget(self.templates, 1)
        plan_layout.addWidget(self.template_error)
        plan_layout.addLayout(reset_row)

        layout = QVBoxLayout(page)
        layout.addLayout(form)
        layout.addSpacing(6)
        layout.addWidget(plans, 1)
        return page

    # -- Requests -----------------------------------------------------------------------------
    def _requests_tab(self, settings: Settings) -> QWidget:
        page = QWidget(self)
        self.request_rate = QSpinBox(page)
        self.request_rate.setRange(REQUEST_RATE_MIN, REQUEST_RATE_MAX)
        self.request_rate.setValue(settings.request_rate_per_minute)
        self.request_rate.setAccessibleName(self.tr("Requests per minute from the request form"))
        self.request_rate.setMaximumWidth(110)
        rate_hint = style.muted(self.tr(
            "More requests than this in one minute are refused with a request to wait (and "
            "the crisis lines), so no one can flood your inbox from the lock screen."), page)

        self.crisis_lines = QPlainTextEdit(settings.crisis_resources, page)
        self.crisis_lines.setAccessibleName(self.tr("Your agency's crisis lines"))
        self.crisis_lines.setPlaceholderText(self.tr(
            "Employee Assistance Program: 1-800-555-0100\nChaplain on call: 555-0142"))
        self.crisis_lines.setTabChangesFocus(True)
        self.crisis_lines.setMinimumHeight(self.fontMetrics().lineSpacing() * 6)
        self.crisis_lines.textChanged.connect(self._validate_crisis_lines)
        national = ", ".join(name for name, _ in CRISIS_RESOURCES)
        crisis_hint = style.muted(self.tr(
            "Shown to an officer who asks for an urgent follow-up, after the national lines, "
            "which are always shown: {national}. Public numbers only, never a person's own "
            "phone.").format(national=national), page)
        self.crisis_error = style.error_label(page)
        self.crisis_error.setAccessibleName(self.tr("Crisis lines problem"))

        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.setVerticalSpacing(10)
        form.addRow(self.tr("Requests &per minute from the request form:"),
                    _with_hint(self.request_rate, rate_hint))
        crisis_label = QLabel(self.tr(
            "Your agency's &crisis lines (one per line, Name: number):"), page)
        crisis_label.setBuddy(self.crisis_lines)
        crisis_label.setWordWrap(True)
        layout = QVBoxLayout(page)
        layout.addLayout(form)
        layout.addSpacing(8)
        layout.addWidget(crisis_label)
        layout.addWidget(self.crisis_lines, 1)
        layout.addWidget(self.crisis_error)
        layout.addWidget(crisis_hint)
        return page

    # -- Backups ------------------------------------------------------------------------------
    def _backups_tab(self, settings: Settings) -> QWidget:
        page = QWidget(self)
        self.backup_folder = QLineEdit(settings.auto_backup_folder, page)
        self.backup_folder.setReadOnly(True)
        self.backup_folder.setPlaceholderText(self.tr("Off: no automatic backups"))
        self.backup_folder.setAccessibleName(self.tr("Folder for automatic backups"))
        self.choose_backup_folder = QPushButton(self.tr("C&hoose folder…"), page)
        self.choose_backup_folder.setAccessibleName(self.tr("Choose the backup folder"))
        self.choose_backup_folder.clicked.connect(self._choose_backup_folder)
        self.backups_off = QPushButton(self.tr("Turn o&ff"), page)
        self.backups_off.setAccessibleName(self.tr("Turn automatic backups off"))
        self.backups_off.clicked.connect(lambda: self._set_backup_folder(""))
        folder_buttons = QHBoxLayout()
        folder_buttons.addWidget(self.choose_backup_folder)
        folder_buttons.addWidget(self.backups_off)
        folder_buttons.addStretch(1)
        folder_row = QVBoxLayout()
        folder_row.addWidget(self.backup_folder)
        folder_row.addLayout(folder_buttons)
        folder_hint = style.muted(self.tr(
            "While the vault is unlocked, Peer Support writes an encrypted backup there when "
            "the last one is older than the interval below. Each opens with the passphrase "
            "valid when it was made, or your recovery key. Best on another disk."), page)
        self.backup_hours = QSpinBox(page)
        self.backup_hours.setRange(AUTO_BACKUP_HOURS_MIN, AUTO_BACKUP_HOURS_MAX)
        self.backup_hours.setSuffix(self.tr(" h"))
        self.backup_hours.setValue(settings.auto_backup_hours)
        self.backup_hours.setAccessibleName(self.tr("Hours between automatic backups"))
        self.backup_hours.setMaximumWidth(110)
        self.backup_keep = QSpinBox(page)
        self.backup_keep.setRange(AUTO_BACKUP_KEEP_MIN, AUTO_BACKUP_KEEP_MAX)
        self.backup_keep.setValue(settings.auto_backup_keep)
        self.backup_keep.setAccessibleName(self.tr("Automatic backups to keep"))
        self.backup_keep.setMaximumWidth(110)
        keep_hint = style.muted(self.tr(
            "Older automatic backups of this vault are deleted; other files in the folder "
            "are never touched."), page)
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.setVerticalSpacing(10)
        form.addRow(self.tr("Back up &automatically to:"), _with_hint(folder_row, folder_hint))
        form.addRow(self.tr("&Every:"), self.backup_hours)
        form.addRow(self.tr("&Keep the newest:"), _with_hint(self.backup_keep, keep_hint))
        layout = QVBoxLayout(page)
        layout.addLayout(form)
        layout.addWidget(style.muted(self.tr(
            "File > Back up now… writes a backup wherever you choose; File > Restore… puts "
            "one back."), page))
        layout.addStretch(1)
        self._set_backup_folder(settings.auto_backup_folder)
        return page

    def _choose_backup_folder(self) -> None:
        from peersupport.ui.file_dialogs import forget_file_dialog_history

        start = self.backup_folder.text() or str(Path.home())
        try:
            folder = QFileDialog.getExistingDirectory(
                self, self.tr("Folder for automatic backups"), start)
        finally:
            forget_file_dialog_history()
        if folder:
            self._set_backup_folder(folder)

    def _set_backup_folder(self, folder: str) -> None:
        self.backup_folder.setText(folder)
        self.backup_folder.setToolTip(folder)
        self.backups_off.setEnabled(bool(folder))
        for field in (self.backup_hours, self.backup_keep):
            field.setEnabled(bool(folder))

    # -- Retention ----------------------------------------------------------------------------
    def _retention_choice(self, page: QWidget, current: int, name: str) -> QComboBox:
        box = QComboBox(page)
        for days in RETENTION_DAYS:
            box.addItem(_days_text(days), days)
        box.setCurrentIndex(max(0, box.findData(current)))
        box.setAccessibleName(name)
        box.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        box.currentIndexChanged.connect(lambda _i: self.preview_result.clear())
        return box

    def _retention_tab(self, settings: Settings, preview: RetentionPreview | None) -> QWidget:
        page = QWidget(self)
        self._preview = preview
        self.preview_result = QLabel(page)
        self.preview_result.setWordWrap(True)
        self.preview_result.setAccessibleName(self.tr("Retention preview"))
        self.notes_expire = self._retention_choice(
            page, settings.notes_expire_days, self.tr("Check-in notes expire after"))
        notes_hint = style.muted(self.tr(
            "Only the narrative notes of older check-ins are emptied; the codes, dates and "
            "anonymous counts stay."), page)
        self.officers_expire = self._retention_choice(
            page, settings.officer_details_expire_days,
            self.tr("Officer details expire after"))
        officers_hint = style.muted(self.tr(
            "Name, contact and notes of an officer with no check-in or notice for this long "
            "are emptied; the officer becomes “Former officer”."), page)
        self.preview_button = QPushButton(self.tr("&Preview…"), page)
        self.preview_button.setAccessibleName(self.tr("Preview what would expire now"))
        self.preview_button.clicked.connect(self._run_preview)
        self.preview_button.setEnabled(preview is not None)
        if preview is None:
            self.preview_result.setText(self.tr("Unlock the vault to preview."))
        preview_row = QHBoxLayout()
        preview_row.addWidget(self.preview_button)
        preview_row.addWidget(self.preview_result, 1)
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.setVerticalSpacing(10)
        form.addRow(self.tr("Check-in &notes expire after:"),
                    _with_hint(self.notes_expire, notes_hint))
        form.addRow(self.tr("&Officer details expire after:"),
                    _with_hint(self.officers_expire, officers_hint))
        layout = QVBoxLayout(page)
        layout.addWidget(style.muted(self.tr(
            "Program policy. Expiry runs after unlocking and once a day while unlocked. "
            "Anything under a legal hold never expires."), page))
        layout.addSpacing(6)
        layout.addLayout(form)
        layout.addSpacing(6)
        layout.addLayout(preview_row)
        layout.addStretch(1)
        return page

    def _run_preview(self) -> None:
        if self._preview is None:
            return
        self.preview_button.setEnabled(False)
        self.preview_result.setText(self.tr("Working it out…"))

        def done(notes: int, officers: int) -> None:
            self.preview_button.setEnabled(True)
            self.preview_result.setText(self.tr(
                "Now this would empty the notes of {notes} check-in(s) and the details of "
                "{officers} officer(s).").format(notes=notes, officers=officers))

        def failed(message: str) -> None:
            self.preview_button.setEnabled(True)
            self.preview_result.setText(message)

        self._preview(self.notes_expire.currentData(), self.officers_expire.currentData(),
                      done, failed)

    # -- Statistics ---------------------------------------------------------------------------
    def _statistics_tab(self, settings: Settings) -> QWidget:
        page = QWidget(self)
        self.stats_k = QSpinBox(page)
        self.stats_k.setRange(MIN_K, MAX_K)
        self.stats_k.setValue(settings.stats_k)
        self.stats_k.setAccessibleName(self.tr("Smallest count shared"))
        self.stats_k.setMaximumWidth(110)
        k_hint = style.muted(self.tr(
            "Program policy: counts below this are never shared. In a statistics file, a count "
            "from 1 to one less than this is replaced by “suppressed”, and further cells are "
            "hidden so that none can be worked out from the totals. Your own statistics page "
            "always shows your numbers as they are."), page)
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.setVerticalSpacing(10)
        form.addRow(self.tr("Smallest count s&hared:"), _with_hint(self.stats_k, k_hint))
        layout = QVBoxLayout(page)
        layout.addLayout(form)
        layout.addStretch(1)
        return page

    def _validate_crisis_lines(self) -> None:
        too_long = len(self.crisis_lines.toPlainText()) > MAX_CRISIS_RESOURCES_TEXT
        self.crisis_error.setText(self.tr(
            "The crisis lines can be at most {n} characters.").format(
                n=f"{MAX_CRISIS_RESOURCES_TEXT:,}") if too_long else "")
        self.crisis_error.setVisible(too_long)
        if self.ok_button is not None:
            self.ok_button.setEnabled(not too_long and not self.template_errors())

    def _reset_templates(self) -> None:
        for row, code in enumerate(INCIDENT_CATEGORIES):
            item = self.templates.item(row, 1)
            if item is not None:
                item.setText(format_steps(DEFAULT_TEMPLATES[code]))

    def template_texts(self) -> dict[str, str]:
        out: dict[str, str] = {}
        for row, code in enumerate(INCIDENT_CATEGORIES):
            item = self.templates.item(row, 1)
            out[code] = item.text() if item is not None else ""
        return out

    def template_errors(self) -> dict[str, str]:
        """Category code -> why its steps cannot be read."""
        errors: dict[str, str] = {}
        for code, text in self.template_texts().items():
            try:
                parse_steps(text)
            except TemplateError as exc:
                errors[code] = str(exc)
        return errors

    def _validate_templates(self) -> None:
        errors = self.template_errors()
        self.templates.blockSignals(True)
        try:
            for row, code in enumerate(INCIDENT_CATEGORIES):
                item = self.templates.item(row, 1)
                if item is not None:
                    item.setForeground(style.error_colour() if code in errors else QBrush())
                    item.setToolTip(errors.get(code, ""))
        finally:
            self.templates.blockSignals(False)
        if errors:
            code, message = next(iter(errors.items()))
            self.template_error.setText(f"{INCIDENT_CATEGORIES[code]}: {message}")
        self.template_error.setVisible(bool(errors))
        if self.ok_button is not None:
            self.ok_button.setEnabled(not errors and not self._crisis_too_long())

    def _crisis_too_long(self) -> bool:
        return len(self.crisis_lines.toPlainText()) > MAX_CRISIS_RESOURCES_TEXT

    def accept(self) -> None:
        if self.template_errors() or self._crisis_too_long():
            return
        super().accept()

    def result_settings(self) -> Settings:
        templates = {code: parse_steps(text) for code, text in self.template_texts().items()
                     if code not in self.template_errors()}
        nudge = self.nudge_time.time().toString("HH:mm") if self.nudge_on.isChecked() else ""
        return self._base._replace(
            idle_lock_minutes=self.idle.value(),
            lock_on_screen_lock=self.screen_lock.isChecked(),
            followup_templates=templates_to_codes(templates),
            time_zone=self.zone.currentData() or SYSTEM_ZONE,
            daily_nudge=nudge,
            close_to_tray=self.close_choice.currentData() or CLOSE_ASK,
            start_at_login=(self.start_login.isChecked() if self.start_login.isEnabled()
                            else self._base.start_at_login),
            request_rate_per_minute=self.request_rate.value(),
            crisis_resources=self.crisis_lines.toPlainText().strip(),
            stats_k=self.stats_k.value(),
            auto_backup_folder=self.backup_folder.text(),
            auto_backup_keep=self.backup_keep.value(),
            auto_backup_hours=self.backup_hours.value(),
            notes_expire_days=int(self.notes_expire.currentData() or 0),
            officer_details_expire_days=int(self.officers_expire.currentData() or 0),
        ).validated()


# Preferences > Retention > Preview…: (notes days, officer days, on_done(notes, officers),
# on_error(message)); the work happens off the UI thread
RetentionPreview = Callable[[int, int, Callable[[int, int], None], Callable[[str], None]], None]


def _days_text(days: int) -> str:
    if days == 0:
        return QCoreApplication.translate("PreferencesDialog", "Off (never)")
    if days % 365 == 0:
        years = days // 365
        return (QCoreApplication.translate("PreferencesDialog", "1 year") if years == 1 else
                QCoreApplication.translate("PreferencesDialog", "{n} years").format(n=years))
    return QCoreApplication.translate("PreferencesDialog", "{n} days").format(n=days)


def _with_hint(field: QWidget | QLayout, hint: QLabel) -> QWidget:
    """A form field with its explanation right below it."""
    box = QWidget(hint.parentWidget())
    column = QVBoxLayout(box)
    column.setContentsMargins(0, 0, 0, 0)
    column.setSpacing(4)
    if isinstance(field, QLayout):
        column.addLayout(field)
    else:
        column.addWidget(field, 0, Qt.AlignmentFlag.AlignLeft)
    column.addWidget(hint)
    return box


def _t(text: str) -> str:
    return QCoreApplication.translate("ErrorDialog", text)


def unexpected_error_box(kind: str, log_path: Path | None, parent: QWidget | None) -> QMessageBox:
    """Says what kind of error happened; never shows or writes record data."""
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Critical)
    box.setWindowTitle(_t("Something went wrong"))
    box.setText(_t("Peer Support ran into an unexpected problem ({kind}).").format(
        kind=kind))
    where = f"\n\n{log_path}" if log_path else ""
    box.setInformativeText(_t(
        "Your saved records are not affected. No record data is shown here or written to "
        "the log. If it happens again, please report the error type and the log file:"
    ) + where)
    box.setStandardButtons(QMessageBox.StandardButton.Ok)
    return box
