"""Everything that imports Qt lives here: windows, dialogs, workers, the app object."""

import sys


def _guard_none_refcount() -> None:
    """Work around a Qt for Python 6.12.0 bug on Python 3.11.

    Every call to a Qt method that returns nothing (``setText``, ``setEnabled`` ...) takes one
    reference from ``None`` without having given one. Python 3.12 and later make ``None``
    immortal, so nothing happens there; on 3.11 the count reaches zero after some hundred
    thousand calls and the interpreter aborts ("deallocating None"), losing whatever was being
    typed. Giving ``None`` a very large head start keeps 3.11 safe for any realistic session.
    """
    if sys.version_info >= (3, 12):
        return
    import ctypes

    ctypes.c_ssize_t.from_address(id(None)).value += 1 << 40


_guard_none_refcount()
