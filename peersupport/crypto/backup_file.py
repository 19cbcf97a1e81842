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
