"""Process hygiene: logs that cannot carry record data, settings that stay in range, private
files and folders, and a data directory chosen by flag, then environment, then platform."""

from __future__ import annotations

import io
import json
import logging
import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import platformdirs
import pytest

from peersupport import hygiene, paths, settings
from peersupport.domain.officer import Officer
from peersupport.services.vault import UnlockedVault

CANARY = "CNRYHYGIENE7731"
posix_only = pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")


@pytest.fixture
def captured() -> Iterator[tuple[logging.Logger, io.StringIO]]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(hygiene.RedactingFilter())
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    # a logger outside the global hierarchy, so pytest's own capture handlers stay out
    logger = logging.Logger("peersupport.test.hygiene", logging.DEBUG)
    logger.addHandler(handler)
    yield logger, stream
    logger.removeHandler(handler)


@pytest.fixture
def restore_umask() -> Iterator[None]:
    old = os.umask(0o022)
    yield
    os.umask(old)


@pytest.fixture
def restore_root_logger() -> Iterator[None]:
    root = logging.getLogger()
    saved, level = list(root.handlers), root.level
    yield
    for handler in list(root.handlers):
        handler.close()
        root.removeHandler(handler)
    for handler in saved:
        root.addHandler(handler)
    root.setLevel(level)
    logging.captureWarnings(False)


# -- the redacting filter ------------------------------------------------------------------------
def test_string_arguments_are_redacted_numbers_kept(
    captured: tuple[logging.Logger, io.StringIO]
) -> None:
    logger, stream = captured
    logger.info("opened %s with %d records in %.1f s, ok=%s, none=%s",
                CANARY, 12, 0.5, True, None)
    logger.info("officer %r", Officer(alias=CANARY))
    logger.info("bytes %s", CANARY.encode())
    logger.info("path %s", Path("/home") / CANARY)
    out = stream.getvalue()
    assert CANARY not in out
    assert "opened <redacted> with 12 records in 0.5 s, ok=True, none=None" in out
    assert out.count("<redacted>") == 4


def test_exception_messages_are_dropped(captured: tuple[logging.Logger, io.StringIO]) -> None:
    logger, stream = captured
    try:
        try:
            raise OSError(f"cannot open /home/{CANARY}/notes.txt")
        except OSError as inner:
            raise ValueError(f"bad value {CANARY!r}") from inner
    except ValueError:
        logger.exception("saving failed")
    try:
        raise KeyError(CANARY)
    except KeyError as exc:
        logger.error("lookup failed", exc_info=exc)
    logger.warning("with stack", stack_info=True)
    out = stream.getvalue()
    assert CANARY not in out
    assert "Traceback" not in out
    assert "saving failed [builtins.ValueError at test_hygiene.py:" in out
    assert "lookup failed [builtins.KeyError at test_hygiene.py:" in out
    assert "Stack (most recent call last)" not in out


def test_non_string_messages_are_redacted(captured: tuple[logging.Logger, io.StringIO]) -> None:
    logger, stream = captured
    logger.error(ValueError(CANARY))
    logger.error({"name": CANARY})
    out = stream.getvalue()
    assert CANARY not in out
    assert out.count("<redacted>") == 2


def test_mapping_arguments_never_leak(
    captured: tuple[logging.Logger, io.StringIO], capsys: pytest.CaptureFixture[str]
) -> None:
    logger, stream = captured
    logger.info("officer %(name)s", {"name": CANARY})
    captured_io = capsys.readouterr()
    assert CANARY not in stream.getvalue()
    assert CANARY not in captured_io.err + captured_io.out


def test_mapping_arguments_are_logged_redacted(
    captured: tuple[logging.Logger, io.StringIO], capsys: pytest.CaptureFixture[str]
) -> None:
    logger, stream = captured
    logger.info("officer %(name)s", {"name": CANARY})
    capsys.readouterr()
    assert "officer <redacted>" in stream.getvalue()


def test_describe_exception_has_type_and_place_only() -> None:
    try:
        raise RuntimeError(CANARY)
    except RuntimeError as exc:
        text = hygiene.describe_exception(exc)
    assert CANARY not in text
    assert text.startswith("builtins.RuntimeError at test_hygiene.py:")


@posix_only
def test_configured_log_file_is_private_and_redacted(
    tmp_path: Path, restore_umask: None, restore_root_logger: None
) -> None:
    data_dir = paths.ensure(tmp_path / "vault")
    hygiene.configure_logging(data_dir.logs)
    logging.getLogger("peersupport.test").warning("value %s", CANARY)
    for handler in logging.getLogger().handlers:
        handler.flush()
    log_file = data_dir.logs / "peersupport.log"
    content = log_file.read_text(encoding="utf-8")
    assert "value <redacted>" in content
    assert CANARY not in content
    assert stat.S_IMODE(log_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(data_dir.logs.stat().st_mode) == 0o700


@posix_only
def test_core_dumps_disabled() -> None:
    code = (
        "import resource; from peersupport import hygiene; hygiene.disable_core_dumps();"
        " print(resource.getrlimit(resource.RLIMIT_CORE))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    ).stdout
    assert out.strip() == "(0, 0)"


# -- settings ------------------------------------------------------------------------------------
def test_settings_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    assert settings.load(path) == settings.Settings()  # missing file: defaults
    chosen = settings.Settings(idle_lock_minutes=12, lock_on_screen_lock=False, language="es")
    settings.save(path, chosen)
    assert settings.load(path) == chosen
    assert json.loads(path.read_text()) == {
        "idle_lock_minutes": 12, "lock_on_screen_lock": False, "language": "es",
        "last_contact_type": "in_person", "followup_templates": {}, "time_zone": "system",
        "close_to_tray": "ask", "daily_nudge": "", "start_at_login": False,
        "request_rate_per_minute": 3, "crisis_resources": "", "stats_k": 5,
        "notes_expire_days": 0, "officer_details_expire_days": 0,
        "auto_backup_folder": "", "auto_backup_keep": 7, "auto_backup_hours": 24,
    }
    assert [p.name for p in tmp_path.iterdir()] == ["settings.json"]  # no temp files left


@pytest.mark.parametrize(
    ("raw", "expected"),
    [(0, 1), (1, 1), (3, 3), (30, 30), (31, 30), ("5", 3), (2.5, 3), (True, 3), (None, 3)],
)
def test_settings_request_rate_clamped_and_typed(tmp_path: Path, raw: object,
                                                 expected: int) -> None:
    path = tmp_path / "settings.json"
    path.write_text(json.dumps({"request_rate_per_minute": raw}))
    assert settings.load(path).request_rate_per_minute == expected


def test_settings_crisis_resources_kept_as_text_and_capped(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    path.write_text(json.dumps({"crisis_resources": "Agency EAP: 555-0100\n" * 200}))
    loaded = settings.load(path).crisis_resources
    assert loaded.startswith("Agency EAP: 555-0100\n")
    assert len(loaded) == settings.MAX_CRISIS_RESOURCES_TEXT
    path.write_text(json.dumps({"crisis_resources": ["not", "text"]}))
    assert settings.load(path).crisis_resources == ""


@pytest.mark.parametrize(
    ("minutes", "expected"),
    [(-5, 1), (0, 1), (1, 1), (5, 5), (60, 60), (61, 60), (10_000, 60)],
)
def test_settings_idle_minutes_clamped(tmp_path: Path, minutes: int, expected: int) -> None:
    assert settings.Settings(idle_lock_minutes=minutes).validated().idle_lock_minutes == expected
    path = tmp_path / "settings.json"
    settings.save(path, settings.Settings(idle_lock_minutes=minutes))
    assert json.loads(path.read_text())["idle_lock_minutes"] == expected
    path.write_text(json.dumps({"idle_lock_minutes": minutes}))
    assert settings.load(path).idle_lock_minutes == expected


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ('{"language": "fr"}', settings.Settings()),
        ('{"language": "en", "unknown_key": 1}', settings.Settings(language="en")),
        ('{"idle_lock_minutes": "7"}', settings.Settings(idle_lock_minutes=7)),
        ('{"idle_lock_minutes": "seven"}', settings.Settings()),
        ('{"idle_lock_minutes": 3, "lock_on_screen_lock": 0}',
         settings.Settings(idle_lock_minutes=3, lock_on_screen_lock=False)),
        ("{not json", settings.Settings()),
        ("", settings.Settings()),
    ],
)
def test_settings_load_is_forgiving(
    tmp_path: Path, content: str, expected: settings.Settings
) -> None:
    path = tmp_path / "settings.json"
    path.write_text(content)
    assert settings.load(path) == expected


@pytest.mark.parametrize("content", ["[]", "null", "3"])
def test_settings_load_survives_non_object_json(tmp_path: Path, content: str) -> None:
    path = tmp_path / "settings.json"
    path.write_text(content)
    assert settings.load(path) == settings.Settings()


@posix_only
def test_settings_file_is_private(tmp_path: Path, restore_umask: None) -> None:
    data_dir = paths.ensure(tmp_path / "vault")
    settings.save(data_dir.settings, settings.Settings())
    assert stat.S_IMODE(data_dir.settings.stat().st_mode) == 0o600


# -- paths ---------------------------------------------------------------------------------------
@posix_only
def test_ensure_creates_private_folders_and_files(tmp_path: Path, restore_umask: None) -> None:
    root = tmp_path / "a" / "b" / "vault"
    data_dir = paths.ensure(root)
    for folder in (root, data_dir.logs, data_dir.backups):
        assert folder.is_dir()
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700, folder
    created = root / "anything.txt"
    with open(created, "w") as handle:  # default mode 0666, filtered by the umask
        handle.write("x")
    assert stat.S_IMODE(created.stat().st_mode) == 0o600
    (root / "sub").mkdir()
    assert stat.S_IMODE((root / "sub").stat().st_mode) == 0o700


@posix_only
def test_ensure_tightens_an_existing_folder(tmp_path: Path, restore_umask: None) -> None:
    root = tmp_path / "vault"
    root.mkdir(mode=0o755)
    root.chmod(0o755)
    paths.ensure(root)
    assert stat.S_IMODE(root.stat().st_mode) == 0o700


@posix_only
def test_vault_files_are_private(vault: UnlockedVault) -> None:
    vault.add_officer(Officer(alias="x"))
    db = vault.data_dir.database
    present = [p for p in (db, Path(f"{db}-wal"), Path(f"{db}-shm")) if p.exists()]
    assert db in present and len(present) == 3  # WAL files exist while the vault is open
    for path in present:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path.name


def test_resolve_precedence(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    flag, env = tmp_path / "from-flag", tmp_path / "from-env"
    monkeypatch.setenv(paths.ENV_VAR, str(env))
    assert paths.resolve(str(flag)) == flag.resolve()
    assert paths.resolve(flag) == flag.resolve()
    assert paths.resolve(None) == env.resolve()
    assert paths.resolve("") == env.resolve()
    monkeypatch.delenv(paths.ENV_VAR)
    assert paths.resolve(None) == paths.default_root()
    assert paths.resolve(str(flag)) == flag.resolve()
    monkeypatch.setenv(paths.ENV_VAR, "")
    assert paths.resolve(None) == paths.default_root()


def test_resolve_expands_home_and_relative_paths(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv(paths.ENV_VAR, "~/vault-env")
    assert paths.resolve(None) == (tmp_path / "vault-env").resolve()
    assert paths.resolve("~/vault-flag") == (tmp_path / "vault-flag").resolve()
    monkeypatch.chdir(tmp_path)
    assert paths.resolve("relative") == (tmp_path / "relative").resolve()
    assert paths.resolve("relative").is_absolute()


def test_default_root_is_the_platform_data_dir(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(paths.ENV_VAR, raising=False)
    expected = Path(platformdirs.user_data_dir("peersupport", appauthor=False, roaming=False))
    assert paths.default_root() == expected
    if sys.platform.startswith("linux"):
        assert expected == Path(os.environ["XDG_DATA_HOME"]) / "peersupport"
