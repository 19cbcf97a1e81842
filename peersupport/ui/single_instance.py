"""One running instance per data directory: a QLockFile, plus a local socket so that a
second launch can bring the first window to the front instead of opening a second one."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QLockFile, QObject, Signal

if TYPE_CHECKING:
    from PySide6.QtNetwork import QLocalServer, QLocalSocket

_RAISE = b"raise\n"


def server_name(data_root: Path) -> str:
    import hashlib

    # a hash, so the socket's name says nothing about the user or the folder
    digest = hashlib.sha256(str(data_root.resolve()).encode()).hexdigest()[:20]
    return f"peersupport-{digest}"


class SingleInstance(QObject):
    raise_requested = Signal()

    def __init__(self, data_root: Path, lock_path: Path, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._name = server_name(data_root)
        self._lock = QLockFile(str(lock_path))
        self._lock.setStaleLockTime(0)
        self._server: QLocalServer | None = None

    def acquire(self) -> bool:
        """True if this process is now the only instance for the data directory."""
        return bool(self._lock.tryLock(100))

    def listen(self) -> None:
        """Accept "raise your window" requests from later launches."""
        from PySide6.QtNetwork import QLocalServer

        if self._server is not None:
            return
        QLocalServer.removeServer(self._name)
        self._server = QLocalServer(self)
        self._server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        self._server.newConnection.connect(self._on_connection)
        self._server.listen(self._name)

    def ask_first_to_raise(self) -> bool:
        from PySide6.QtNetwork import QLocalSocket

        socket = QLocalSocket()
        socket.connectToServer(self._name)
        if not socket.waitForConnected(1000):
            return False
        socket.write(_RAISE)
        ok = socket.waitForBytesWritten(1000)
        socket.disconnectFromServer()
        return ok

    def release(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None
        self._lock.unlock()

    def _on_connection(self) -> None:
        assert self._server is not None
        while (conn := self._server.nextPendingConnection()) is not None:
            conn.readyRead.connect(lambda c=conn: self._read(c))
            conn.disconnected.connect(conn.deleteLater)

    def _read(self, conn: QLocalSocket) -> None:
        if bytes(conn.readAll().data()).startswith(_RAISE.strip()):
            self.raise_requested.emit()
