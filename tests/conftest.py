"""Shared fixtures. Every test gets its own data directory; none touches the user's data."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest

import peersupport.ui  # noqa: F401  (guards Qt for Python 6.12.0 on Python 3.11; see there)
from peersupport.crypto.kdf import KdfProfile
from peersupport.crypto.secret import SecretKey
from peersupport.paths import DataDir, ensure
from peersupport.services.vault import UnlockedVault, VaultService, new_recovery_key

# An explicit, named fast profile for tests. The shipped program only knows PRODUCTION.
FAST_TEST_PROFILE = KdfProfile(
    name="test-fast",
    memory_kib=1024,
    lanes=1,
    min_iterations=1,
    floor_memory_kib=1024,
    floor_iterations=1,
    floor_lanes=1,
    target_seconds=None,
)
PASSPHRASE = "tangerine quarry lantern oboe"
NEW_PASSPHRASE = "velvet harbor cobalt thimble"


@pytest.fixture(autouse=True)
def _isolated_home(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Point HOME, XDG dirs and PEERSUPPORT_HOME away from the real user's data."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / ".local" / "share"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("PEERSUPPORT_HOME", str(home / "peersupport-default"))


@pytest.fixture
def data_dir(tmp_path: Path) -> DataDir:
    return ensure(tmp_path / "vault")


@pytest.fixture
def service(data_dir: DataDir) -> VaultService:
    return VaultService(data_dir, FAST_TEST_PROFILE)


@pytest.fixture
def recovery() -> tuple[SecretKey, str]:
    key, text = new_recovery_key()
    return SecretKey(key.raw()), text


@pytest.fixture
def vault(service: VaultService, recovery: tuple[SecretKey, str]) -> Iterator[UnlockedVault]:
    opened = service.create(PASSPHRASE, SecretKey(recovery[0].raw()))
    yield opened
    if not opened.is_locked:
        opened.lock()


@pytest.fixture(autouse=True)
def _no_dangling_threads() -> Iterator[None]:
    before = {t.ident for t in threading.enumerate()}
    yield
    leftover = [
        t for t in threading.enumerate()
        if t.ident not in before and t.is_alive() and not t.daemon
    ]
    for t in leftover:
        t.join(timeout=5)
    still = [t.name for t in leftover if t.is_alive()]
    assert not still, f"test left threads running: {still}"


@pytest.fixture(autouse=True)
def _collect_garbage_on_the_main_thread(request: pytest.FixtureRequest) -> Iterator[None]:
    """A test's leftover Qt objects (an AppController and its timers, held in reference
    cycles) must be freed here, on the GUI thread. Left to the cyclic collector, they may be
    freed on the worker thread in a later test, leaving Qt timers registered for deleted
    objects: the suite then dies with a segmentation fault in QTimerInfoList."""
    import gc

    yield
    if "qtbot" in request.fixturenames:  # only tests that made Qt objects: a full
        gc.collect()  # collection after every test would triple the suite's time
