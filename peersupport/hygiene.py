"""Process hygiene: no core dumps, and logging that cannot carry record data.

The redacting filter is defence in depth: our own log calls pass no record data, and the
filter replaces every argument that is not a number or a boolean with ``<redacted>`` and
reduces exceptions to their type and location, since exception messages from libraries can
quote values.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path

REDACTED = "<redacted>"


class SafeText(str):
    """Text built by our code from types and code locations only; allowed into logs."""

    __slots__ = ()


_SAFE_TYPES = (int, float, bool, type(None), SafeText)


def disable_core_dumps() -> None:
    try:
        import resource

        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    except (ImportError, ValueError, OSError):  # not POSIX, or not permitted
        pass


def describe_exception(exc: BaseException) -> SafeText:
    """Type and code locations only: never the message, which may quote data."""
    import traceback

    frames = traceback.extract_tb(exc.__traceback__)
    where = " <- ".join(f"{Path(f.filename).name}:{f.lineno}" for f in reversed(frames[-5:]))
    return SafeText(f"{type(exc).__module__}.{type(exc).__qualname__} at {where or 'unknown'}")


def _safe(value: object) -> object:
    return value if isinstance(value, _SAFE_TYPES) else REDACTED


class RedactingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, Mapping):  # "%(name)s" style: keep keys, redact values
            record.args = {k: _safe(v) for k, v in record.args.items()}
        elif record.args:
            args = record.args if isinstance(record.args, tuple) else (record.args,)
            record.args = tuple(_safe(a) for a in args)
        if not isinstance(record.msg, str):
            record.msg = REDACTED
        if record.exc_info and record.exc_info[1] is not None:
            record.msg = f"{record.msg} [{describe_exception(record.exc_info[1])}]"
            record.exc_info = None
            record.exc_text = None
        record.stack_info = None
        return True


def configure_logging(log_dir: Path | None, level: int = logging.INFO) -> None:
    root = logging.getLogger()
    root.setLevel(level)
    for handler in list(root.handlers):
        root.removeHandler(handler)
    formatter = logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    handlers: list[logging.Handler] = [logging.StreamHandler()]
    handlers[0].setLevel(logging.WARNING)
    if log_dir is not None:
        from logging.handlers import RotatingFileHandler

        log_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        handlers.append(
            RotatingFileHandler(
                log_dir / "peersupport.log", maxBytes=512_000, backupCount=2, encoding="utf-8"
            )
        )
    for handler in handlers:
        handler.addFilter(RedactingFilter())
        handler.setFormatter(formatter)
        root.addHandler(handler)
    logging.captureWarnings(True)
