"""Regenerate the README screenshots offscreen: docs/make_screenshots.py [OUT_DIR].

Uses a throw-away vault in a temporary folder; no real data is touched or shown.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtWidgets import QApplication

from peersupport.domain.follow_request import OfficerRequest
from peersupport.paths import ensure
from peersupport.services.demo import fill
from peersupport.services.requests import RequestDrop
from peersupport.services.statistics import ShareRange
from peersupport.services.vault import VaultService, new_recovery_key
from peersupport.supervisor.profile import SupervisorProfile
from peersupport.ui.app import AppController, create_application
from peersupport.ui.first_run import FirstRunWizard
from peersupport.ui.request_form import RequestForm
from peersupport.ui.supervisor.window import SupervisorWindow
from peersupport.ui.tasks import wait_for_tasks

PASSPHRASE = "screenshot tangerine quarry lantern"


def settle(app: QApplication, seconds: float = 0.3) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        app.processEvents()
        time.sleep(0.01)


def main() -> int:
    out = Path(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).parent / "screenshots")
    out.mkdir(parents=True, exist_ok=True)
    app = create_application([])
    with tempfile.TemporaryDirectory() as tmp:
        wizard = FirstRunWizard(VaultService(ensure(Path(tmp) / "new")))
        wizard.show()
        settle(app)
        wizard.grab().save(str(out / "first-run.png"))
        wizard.next()
        settle(app)
        wizard.grab().save(str(out / "first-run-notice.png"))
        wizard.close()

        root = Path(tmp) / "vault"
        key, _ = new_recovery_key()
        demo_vault = VaultService(ensure(root)).create(PASSPHRASE, key)
        fill(demo_vault, 400, seed=7)
        demo_vault.lock()
        drop = RequestDrop(ensure(root), per_minute=10)
        for request in (  # fictional requests, as officers would leave them while locked
            OfficerRequest(urgency="within_24h", address_as="Sam R.", contact_method="phone",
                           contact="555-0134", best_times="After 18:00",
                           message="Rough call on Tuesday. Could someone call me?"),
            OfficerRequest(urgency="routine", contact_method="in_person",
                           best_times="Any weekday morning"),
            OfficerRequest(urgency="urgent_now", address_as="J.", contact_method="phone",
                           contact="555-0199"),
        ):
            drop.submit(request)
        controller = AppController(root)
        controller.start()
        window = controller.window
        assert window is not None
        settle(app)
        window.grab().save(str(out / "lock-screen.png"))
        dialog = controller.open_request_form()
        settle(app, 1.0)
        if dialog is not None:
            form = dialog.findChild(RequestForm)
            if form is not None:
                form.show_form()
                form.urgent.setChecked(True)
                settle(app, 0.3)
            dialog.grab().save(str(out / "request-form.png"))
            dialog.reject()
            settle(app, 0.3)
        controller.unlock(PASSPHRASE)
        deadline = time.monotonic() + 30
        while not controller.is_unlocked() and time.monotonic() < deadline:
            settle(app, 0.1)
        settle(app, 1.0)
        workspace = window.workspace
        assert workspace is not None and workspace.checkins_page is not None
        workspace.checkins_page.table.selectRow(1)
        settle(app, 0.5)
        window.grab().save(str(out / "checkins.png"))
        form = controller.open_checkin_form()
        settle(app, 0.5)
        if form is not None:
            form.grab().save(str(out / "checkin-form.png"))
            form.discard()  # type: ignore[attr-defined]
        workspace.show_section("officers")
        settle(app, 0.5)
        window.grab().save(str(out / "officers.png"))
        workspace.show_section("followups")
        settle(app, 1.0)
        window.grab().save(str(out / "followups.png"))
        workspace.show_section("requests")
        settle(app, 1.0)
        page = workspace.requests_page
        if page is not None:
            page.table.setCurrentIndex(page.model.index(0, 0))
            settle(app, 0.5)
        window.grab().save(str(out / "requests.png"))
        workspace.show_section("statistics")
        settle(app, 1.5)
        window.grab().save(str(out / "statistics.png"))
        vault = controller.vault
        assert vault is not None
        stats = vault.statistics()
        months = stats.month_range()
        assert months is not None
        shared = stats.export(ShareRange(months[0], months[1], "quarter"), 5)
        controller.shutdown()
        wait_for_tasks()

        supervisor_dir = ensure(Path(tmp) / "supervisor").root
        profile = SupervisorProfile.create(supervisor_dir, PASSPHRASE, "Riverside County Peer Team")
        profile.import_stats(shared)
        board_window = SupervisorWindow(supervisor_dir)
        board_window.resize(1000, 700)
        board_window.show()
        board_window.enter(profile)
        board_window.quarter_action.trigger()
        settle(app, 1.5)
        board_window.grab().save(str(out / "supervisor.png"))
        board_window.lock()
        board_window.close()
        settle(app, 0.3)
    print(f"screenshots written to {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
