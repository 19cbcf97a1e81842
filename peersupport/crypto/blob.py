"""Sealed field blobs: version byte, 12-byte nonce, AEAD ciphertext and tag.

Version 1 is AES-256-GCM. Version 2 is reserved for ChaCha20-Poly1305. The associated data
is never stored in the blob: the caller rebuilds it from the row it read (see
:mod:`peersupport.crypto.associated_data`).
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from peersupport.crypto import padding
from peersupport.crypto.errors import TamperError
from peersupport.crypto.secret import SecretKey

VERSION_AES_256_GCM = 1
VERSION_CHACHA20_POLY1305 = 2  # reserved, not written yet
NONCE_LENGTH = 12
TAG_LENGTH = 16
MIN_LENGTH = 1 + NONCE_LENGTH + TAG_LENGTH
_BODY_START = 1 + NONCE_LENGTH


class FieldCipher:
    """Seals and opens field values with one data key. Drop it when the vault locks."""

    def __init__(self, key: SecretKey) -> None:
        if len(key) != 32:
            raise ValueError("AES-256-GCM needs a 32-byte key")
        self._aead: AESGCM | None = AESGCM(key.raw())

    def close(self) -> None:
        self._aead = None

    def _cipher(self) -> AESGCM:
        if self._aead is None:
            raise TamperError("the vault is locked")
        return self._aead

    def seal_bytes(self, plaintext: bytes, aad: bytes, *, pad: bool = True) -> bytes:
        body = padding.pad(plaintext) if pad else plaintext
        nonce = secrets.token_bytes(NONCE_LENGTH)
        return bytes([VERSION_AES_256_GCM]) + nonce + self._cipher().encrypt(nonce, body, aad)

    def open_bytes(self, blob: bytes, aad: bytes, *, pad: bool = True) -> bytes:
        if len(blob) < MIN_LENGTH:
            raise TamperError("sealed value is truncated")
        if blob[0] != VERSION_AES_256_GCM:
            raise TamperError("sealed value has an unknown format version")
        nonce = blob[1 : 1 + NONCE_LENGTH]
        if len(nonce) != NONCE_LENGTH:  # the library would accept a shorter nonce
            raise TamperError("sealed value has a bad nonce")
        try:
            body = self._cipher().decrypt(nonce, blob[1 + NONCE_LENGTH :], aad)
        except InvalidTag:
            raise TamperError("sealed value failed authentication") from None
        return padding.unpad(body) if pad else body

    def seal_text(self, text: str, aad: bytes) -> bytes:
        return self.seal_bytes(text.encode("utf-8"), aad)

    def open_texts(self, blobs: Sequence[object], aads: Sequence[bytes]) -> list[str]:
        """``[open_text(b, a) for b, a in zip(blobs, aads)]`` with less overhead per field
        (search opens every text field of every record). Raises on the first failure."""
        decrypt = self._cipher().decrypt
        unpad = padding.unpad
        out: list[str] = []
        for blob, aad in zip(blobs, aads, strict=True):
            if type(blob) is not bytes:  # e.g. text written into the column by hand
                raise TamperError("sealed value is not stored as bytes")
            if len(blob) < MIN_LENGTH:
                raise TamperError("sealed value is truncated")
            if blob[0] != VERSION_AES_256_GCM:
                raise TamperError("sealed value has an unknown format version")
            try:
                body = decrypt(blob[1:_BODY_START], blob[_BODY_START:], aad)
            except InvalidTag:
                raise TamperError("sealed value failed authentication") from None
            try:
                out.append(unpad(body).decode("utf-8"))
            except UnicodeDecodeError:
                raise TamperError("sealed value is not valid text") from None
        return out

    def open_text(self, blob: bytes, aad: bytes) -> str:
        data = self.open_bytes(blob, aad)
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            raise TamperError("sealed value is not valid text") from None
