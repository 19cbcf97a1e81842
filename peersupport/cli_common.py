"""Exit codes and the one-line error of the ``peersupport`` command, for command modules that
must not import ``peersupport.cli`` (it reaches the services, lazily): ``cli_supervisor``
imports nothing that can open a vault. ``peersupport.cli`` re-exports all of these."""

from __future__ import annotations

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_WRONG_SECRET = 3
EXIT_TAMPER = 4


class CliError(Exception):
    """One line on standard error and an exit code (caught in ``peersupport.cli.main``)."""

    def __init__(self, message: str, code: int) -> None:
        super().__init__(message)
        self.code = code


__all__ = ["EXIT_ERROR", "EXIT_OK", "EXIT_TAMPER", "EXIT_USAGE", "EXIT_WRONG_SECRET", "CliError"]
