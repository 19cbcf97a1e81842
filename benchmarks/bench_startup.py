"""Process start to the lock screen shown, against a bare PySide6 window, in the same run.

Each sample spawns a fresh Python process and measures the wall time from spawn until the
child reports that its first window has been shown (offscreen). Runs alternate between the
two programs so machine noise hits both alike. Target: median ratio at most 1.3.

    .venv/bin/python benchmarks/bench_startup.py [--runs 15]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGET_RATIO = 1.3

BASELINE = """
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMainWindow
app = QApplication([])
window = QMainWindow()
window.resize(960, 640)
window.show()
def shown():
    print("shown", flush=True)
    app.quit()
QTimer.singleShot(0, shown)
app.exec()
"""

# The real entry point, run_gui(); the marker fires on the first pass of its event loop,
# after the lock screen has been shown.
PEERSUPPORT = """
import sys
from pathlib import Path
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication
from peersupport.ui.app import create_application, run_gui
app = create_application([])
def shown():
    visible = [w for w in QApplication.topLevelWidgets() if w.isVisible()]
    assert any(type(w).__name__ == "MainWindow" for w in visible), visible
    print("shown", flush=True)
    app.quit()
QTimer.singleShot(0, shown)
sys.exit(run_gui(Path(sys.argv[1])))
"""


def sample(code: str, *args: str) -> float:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    started = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-c", code, *args], stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL, text=True, env=env,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    elapsed = time.perf_counter() - started
    proc.wait(timeout=60)
    if line.strip() != "shown":
        raise SystemExit(f"child did not show its window (exit {proc.returncode})")
    return elapsed


def make_vault(root: Path) -> None:
    from peersupport.paths import ensure
    from peersupport.services.vault import VaultService, new_recovery_key

    key, _ = new_recovery_key()
    VaultService(ensure(root)).create("benchmark passphrase tangerine quarry", key).lock()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "vault"
        print("creating a vault with production key parameters...", flush=True)
        make_vault(root)
        sample(BASELINE)  # warm the file cache for both
        sample(PEERSUPPORT, str(root))
        base, ours = [], []
        for _ in range(args.runs):
            base.append(sample(BASELINE))
            ours.append(sample(PEERSUPPORT, str(root)))
    b, o = statistics.median(base), statistics.median(ours)
    ratio = o / b
    print(f"runs per program:               {args.runs}")
    print(f"bare PySide6 window   median {b * 1000:7.1f} ms   min {min(base) * 1000:7.1f} ms")
    print(f"peersupport lock scr. median {o * 1000:7.1f} ms   min {min(ours) * 1000:7.1f} ms")
    verdict = "PASS" if ratio <= TARGET_RATIO else "FAIL"
    print(f"ratio (median):                 {ratio:.2f}  (target <= {TARGET_RATIO})  {verdict}")
    return 0 if ratio <= TARGET_RATIO else 1


if __name__ == "__main__":
    raise SystemExit(main())
