"""A key held in a mutable buffer so that it can be zeroed when the vault locks.

Python and the cryptography package make copies we cannot reach (the AEAD objects keep their
own copy of the key); we wipe what we own and drop every reference to the rest.
"""

from __future__ import annotations

import secrets


class SecretKey:
    __slots__ = ("_buf",)

    def __init__(self, material: bytes | bytearray) -> None:
        self._buf = bytearray(material)

    @classmethod
    def random(cls, size: int = 32) -> SecretKey:
        return cls(secrets.token_bytes(size))

    def __len__(self) -> int:
        return len(self._buf)

    def __repr__(self) -> str:  # never show key bytes
        state = "wiped" if self.is_wiped() else "live"
        return f"<SecretKey {len(self._buf)} bytes, {state}>"

    def raw(self) -> bytes:
        """A bytes copy for APIs that require bytes; callers must not keep it."""
        if self.is_wiped():
            raise ValueError("key has been wiped")
        return bytes(self._buf)

    @property
    def buffer(self) -> bytearray:
        return self._buf

    def wipe(self) -> None:
        for i in range(len(self._buf)):
            self._buf[i] = 0

    def is_wiped(self) -> bool:
        return not any(self._buf)
