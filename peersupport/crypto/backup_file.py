"""Encrypted single-file backups (format version 1). See docs/backup-format.md.

    magic "PSBACKUP" | u16 format version | u32 header length | header (canonical JSON)
    then chunks: u32 ciphertext length | AES-256-GCM ciphertext+tag

The header names the vault, the cipher, the chunk size, a random body salt and copies of the
vault's key slots (each with its own KDF parameters). The body key is HKDF(data key, body
salt). Chunk i's nonce is 7 zero bytes | u32 i | u8 last-chunk flag; every chunk's
associated data is SHA-256 of the whole preamble, so an edited header, a reordered, dropped
or truncated chunk, or a missing last chunk all fail.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from peersupport.crypto.errors import TamperError
from peersupport.crypto.kdf import KdfParams
from peersupport.crypto.keyslots import WrappedKey
from peersupport.crypto.secret import SecretKey

MAGIC = b"PSBACKUP"
FORMAT_VERSION = 1
CIPHER = "aes-256-gcm"
DEFAULT_CHUNK = 1 << 20
_PRE = struct.Struct(">8sHI")
_LEN = struct.Struct(">I")
MAX_HEADER = 1 << 16


@dataclass(frozen=True)
class BackupHeader:
    vault_id: str
    schema_version: int
    chunk_size: int
    body_salt: bytes
    slots: tuple[WrappedKey, ...]

    def encode(self) -> bytes:
        body = {
            "vault_id": self.vault_id,
            "schema_version": self.schema_version,
            "cipher": CIPHER,
            "chunk_size": self.chunk_size,
            "body_salt": self.body_salt.hex(),
            "slots": [
                {
                    "slot": s.slot,
                    "kdf": {
                        "algorithm": s.params.algorithm,
                        "memory_kib": s.params.memory_kib,
                        "iterations": s.params.iterations,
                        "lanes": s.params.lanes,
                        "salt": s.params.salt.hex(),
                    },
                    "wrapped_key": s.blob.hex(),
                }
                for s in self.slots
            ],
        }
        return json.dumps(body, sort_keys=True, separators=(",", ":")).encode()

    @classmethod
    def decode(cls, raw: bytes) -> BackupHeader:
        try:
            body = json.loads(raw)
            if body["cipher"] != CIPHER:
                raise TamperError("the backup uses an unknown cipher")
            slots = tuple(
                WrappedKey(
                    str(s["slot"]),
                    KdfParams(
                        str(s["kdf"]["algorithm"]), int(s["kdf"]["memory_kib"]),
                        int(s["kdf"]["iterations"]), int(s["kdf"]["lanes"]),
                        bytes.fromhex(s["kdf"]["salt"]),
                    ),
                    bytes.fromhex(s["wrapped_key"]),
                )
                for s in body["slots"]
            )
            header = cls(
                str(body["vault_id"]), int(body["schema_version"]), int(body["chunk_size"]),
                bytes.fromhex(body["body_salt"]), slots,
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise TamperError("the backup header is malformed") from exc
        if header.encode() != raw:
            raise TamperError("the backup header is not in canonical form")
        if not 1024 <= header.chunk_size <= 1 << 26:
            raise TamperError("the backup header has an invalid chunk size")
        return header


def _body_key(data_key: SecretKey, salt: bytes) -> AESGCM:
    key = HKDF(hashes.SHA256(), 32, salt, b"peersupport backup body v1").derive(data_key.raw())
    return AESGCM(key)


def _nonce(index: int, last: bool) -> bytes:
    return bytes(7) + struct.pack(">IB", index, 1 if last else 0)


def new_header(
    vault_id: str, schema_version: int, slots: tuple[WrappedKey, ...],
    chunk_size: int = DEFAULT_CHUNK,
) -> BackupHeader:
    return BackupHeader(vault_id, schema_version, chunk_size, secrets.token_bytes(32), slots)


def encrypt(header: BackupHeader, data_key: SecretKey, plaintext: bytes) -> Iterator[bytes]:
    """Yield the file's bytes piece by piece (so callers can show progress)."""
    raw = header.encode()
    preamble = _PRE.pack(MAGIC, FORMAT_VERSION, len(raw)) + raw
    aad = hashlib.sha256(preamble).digest()
    aead = _body_key(data_key, header.body_salt)
    yield preamble
    size = header.chunk_size
    count = max(1, -(-len(plaintext) // size))
    for i in range(count):
        chunk = plaintext[i * size : (i + 1) * size]
        sealed = aead.encrypt(_nonce(i, i == count - 1), chunk, aad)
        yield _LEN.pack(len(sealed)) + sealed


def encrypt_stream(
    header: BackupHeader, data_key: SecretKey, source: BinaryIO
) -> Iterator[bytes]:
    """Like ``encrypt`` for the plaintext read from ``source`` (to its end), one chunk at a
    time: the whole plaintext is never held in memory. Same bytes as ``encrypt`` would give
    for the same header, key and plaintext."""
    raw = header.encode()
    preamble = _PRE.pack(MAGIC, FORMAT_VERSION, len(raw)) + raw
    aad = hashlib.sha256(preamble).digest()
    aead = _body_key(data_key, header.body_salt)
    yield preamble
    size = header.chunk_size
    chunk = _read_full(source, size)
    index = 0
    while True:
        following = _read_full(source, size) if len(chunk) == size else b""
        last = not following
        sealed = aead.encrypt(_nonce(index, last), chunk, aad)
        yield _LEN.pack(len(sealed))
        yield sealed
        if last:
            return
        chunk = following
        index += 1


def _read_full(source: BinaryIO, size: int) -> bytes:
    """``size`` bytes, fewer only at the end of ``source`` (raw files may return short reads)."""
    data = source.read(size)
    if len(data) == size or not data:
        return data
    parts = [data]
    missing = size - len(data)
    while missing:
        more = source.read(missing)
        if not more:
            break
        parts.append(more)
        missing -= len(more)
    return b"".join(parts)


def read_preamble(source: BinaryIO) -> tuple[BackupHeader, bytes]:
    """Read and parse the preamble at ``source``'s position; return the header and the
    preamble's bytes (``source`` is left where the chunks start)."""
    head = _read_full(source, _PRE.size)
    if len(head) == _PRE.size:
        length = _PRE.unpack(head)[2]
        if length <= MAX_HEADER:
            head += _read_full(source, length)
    header, offset = read_header(head)
    return header, head[:offset]


def decrypt_stream(source: BinaryIO, data_key: SecretKey) -> Iterator[bytes]:
    """Read a backup from ``source`` (at its start) and yield the plaintext chunk by chunk,
    each one authenticated before it is yielded.

    The file as a whole (no chunk dropped, reordered or appended, the last one present) is
    authentic only once the iterator ends without raising: on a ``TamperError`` the consumer
    must discard everything it received. Same checks and errors as ``decrypt``; at most one
    chunk is held in memory."""
    header, preamble = read_preamble(source)
    aad = hashlib.sha256(preamble).digest()
    aead = _body_key(data_key, header.body_salt)
    limit = header.chunk_size + 16
    prefix = _read_full(source, _LEN.size)
    index = 0
    while True:
        if len(prefix) != _LEN.size:
            raise TamperError("the backup is truncated")
        (length,) = _LEN.unpack(prefix)
        if length > limit:
            raise TamperError("the backup is truncated")
        sealed = _read_full(source, length)
        if len(sealed) != length:
            raise TamperError("the backup is truncated")
        prefix = _read_full(source, _LEN.size)
        last = not prefix
        try:
            plain = aead.decrypt(_nonce(index, last), sealed, aad)
        except InvalidTag:
            raise TamperError("the backup failed authentication") from None
        yield plain
        if last:
            return
        index += 1


def read_header(data: bytes) -> tuple[BackupHeader, int]:
    """Parse the preamble; return the header and the offset where the body starts."""
    if len(data) < _PRE.size:
        raise TamperError("this is not a peersupport backup (too short)")
    magic, version, length = _PRE.unpack_from(data)
    if magic != MAGIC:
        raise TamperError("this is not a peersupport backup")
    if version != FORMAT_VERSION:
        raise TamperError(f"backup format version {version} is not supported")
    if length > MAX_HEADER or _PRE.size + length > len(data):
        raise TamperError("the backup header is truncated")
    header = BackupHeader.decode(data[_PRE.size : _PRE.size + length])
    return header, _PRE.size + length


def decrypt(data: bytes, data_key: SecretKey) -> bytes:
    """Authenticate every chunk and return the plaintext; raise before returning anything."""
    header, offset = read_header(data)
    aad = hashlib.sha256(data[:offset]).digest()
    aead = _body_key(data_key, header.body_salt)
    parts: list[bytes] = []
    index = 0
    while True:
        if offset + _LEN.size > len(data):
            raise TamperError("the backup is truncated")
        (length,) = _LEN.unpack_from(data, offset)
        offset += _LEN.size
        sealed = data[offset : offset + length]
        if len(sealed) != length or length > header.chunk_size + 16:
            raise TamperError("the backup is truncated")
        offset += length
        last = offset == len(data)
        try:
            parts.append(aead.decrypt(_nonce(index, last), sealed, aad))
        except InvalidTag:
            raise TamperError("the backup failed authentication") from None
        if last:
            return b"".join(parts)
        index += 1
