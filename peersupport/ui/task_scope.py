"""Background requests tied to what a screen currently shows.

A screen that loads through ``run_task`` must not paint an answer that arrives after the vault
locked (``clear()``), after the widget was destroyed, or after the question changed (a new
filter, another selection). ``TaskScope.invalidate()`` makes every answer still in flight void.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import shiboken6
from PySide6.QtCore import QObject

from peersupport import hygiene
from peersupport.ui.tasks import run_task

log = logging.getLogger(__name__)


class TaskScope:
    def __init__(self, owner: QObject) -> None:
        self._owner = owner
        self._generation = 0

    def invalidate(self) -> None:
        """Drop every answer still on its way."""
        self._generation += 1

    def run(
        self,
        fn: Callable[[], Any],
        on_done: Callable[[Any], None],
        on_error: Callable[[BaseException], None] | None = None,
    ) -> None:
        generation = self._generation

        def current() -> bool:
            return generation == self._generation and shiboken6.isValid(self._owner)

        def done(result: Any) -> None:
            if current():
                on_done(result)

        def failed(exc: BaseException) -> None:
            if not current():
                return
            log.warning("background request failed: %s", hygiene.describe_exception(exc))
            if on_error is not None:
                on_error(exc)

        run_task(fn, done, failed)
