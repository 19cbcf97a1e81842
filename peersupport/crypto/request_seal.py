"""Follow-up request files (``.psreq``, format version 1), sealed to a vault's public key.
See docs/request-format.md.

    magic "PSREQ\\0\\0\\1" | u16 format version | u16 header length | header (canonical JSON)
    then the AES-256-GCM ciphertext and tag of the padded payload, to the end of the file

An officer without an account writes a request with only the vault's X25519 *public* key:
writing never needs, loads or unwraps the vault's private key or data key. The body key is
HKDF-SHA256(X25519(fresh ephemeral key, vault key), salt = ephemeral public | vault public,
info = "peersupport request v1"). The header carries the vault id, the request id, the ephemeral
public key and a random nonce; the whole preamble (magic, version, length, header) is the
associated data, so any edit to it fails authentication.

Anyone holding the public key can write a valid file: opening one proves it was not altered
after sealing, not who wrote it.
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
import struct
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from peersupport.crypto import padding
from peersupport.crypto.errors import (
    RequestFormatError,
    RequestTooLargeError,
    RequestVersionError,
    RequestWrongVaultError,
    TamperError,
)

MAGIC = b"PSREQ\x00\x00\x01"
FORMAT_VERSION = 1
CIPHER = "aes-256-gcm"
KEY_BYTES = 32
NONCE_BYTES = 12
TAG_BYTES = 16
MAX_FILE_BYTES = 64 * 1024
MAX_HEADER_BYTES = 1024
# the largest padded body is 63 KiB, which leaves room for the largest header under 64 KiB
MAX_PADDED_BYTES = 63 * 1024
MAX_PAYLOAD_BYTES = MAX_PADDED_BYTES - 4  # padding's 4-byte length prefix
FILE_EXTENSION = ".psreq"

_PRE = struct.Struct(">8sHH")
_INFO = b"peersupport request v1"
_FINGERPRINT_PREFIX = b"peersupport/request-key-fingerprint/v1\x00"
_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
_HEADER_KEYS = frozenset({"cipher", "ephemeral_key", "nonce", "request_id", "vault_id"})
_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base32, as recovery keys use


class PrivateKeyBytes(bytes):
    """Raw X25519 private key bytes whose repr and str never show the key."""

    __slots__ = ()

    def __repr__(self) -> str:
        return f"<X25519 private key, {len(self)} bytes>"

    def __str__(self) -> str:
        return self.__repr__()


@dataclass(frozen=True)
class RequestHeader:
    """What a request file says in the clear. Holds no key material beyond the ephemeral
    public key."""

    vault_id: str
    request_id: str
    version: int
    ephemeral_public_key: bytes


def generate_keypair() -> tuple[bytes, bytes]:
    """A new X25519 key pair as raw bytes: (32-byte private key, 32-byte public key).

    The private key comes back as :class:`PrivateKeyBytes`, so it does not show in a repr.
    """
    private = X25519PrivateKey.generate()
    return PrivateKeyBytes(private.private_bytes_raw()), private.public_key().public_bytes_raw()


def public_key_of(private_key: bytes) -> bytes:
    """The public key that belongs to a raw X25519 private key."""
    _check_key(private_key, "private")
    return X25519PrivateKey.from_private_bytes(private_key).public_key().public_bytes_raw()


def fingerprint(public_key: bytes) -> str:
    """A short fingerprint to compare by eye or over the phone: the first 80 bits of
    SHA-256("peersupport/request-key-fingerprint/v1" NUL | key) as 16 Crockford base32
    characters in four groups, e.g. ``7K2M-0QXD-94TB-VH1E``."""
    _check_key(public_key, "public")
    digest = hashlib.sha256(_FINGERPRINT_PREFIX + public_key).digest()
    number = int.from_bytes(digest[:10], "big")
    chars = "".join(_ALPHABET[(number >> shift) & 31] for shift in range(75, -1, -5))
    return "-".join(chars[i : i + 4] for i in range(0, 16, 4))


def seal_request(public_key: bytes, vault_id: str, request_id: str, payload: bytes) -> bytes:
    """The bytes of a ``.psreq`` file holding ``payload`` sealed to ``public_key``.

    Raises ValueError for a key that is not 32 bytes or an id outside ``[A-Za-z0-9._-]``
    (1 to 64 characters, starting with a letter or digit), and RequestTooLargeError for a
    payload over MAX_PAYLOAD_BYTES.
    """
    _check_key(public_key, "public")
    for name, value in (("vault id", vault_id), ("request id", request_id)):
        if not isinstance(value, str) or not _ID.fullmatch(value):
            raise ValueError(f"the {name} must be 1 to 64 characters from A-Z a-z 0-9 . _ -")
    if len(payload) > MAX_PAYLOAD_BYTES:
        raise RequestTooLargeError(
            f"a request can hold at most {MAX_PAYLOAD_BYTES} bytes; this one has {len(payload)}"
        )
    recipient = X25519PublicKey.from_public_bytes(public_key)
    ephemeral = X25519PrivateKey.generate()
    ephemeral_public = ephemeral.public_key().public_bytes_raw()
    try:
        shared = ephemeral.exchange(recipient)
    except ValueError:  # a low-order point: no shared secret (not a real vault key)
        raise ValueError("this is not a usable vault public key") from None
    del ephemeral
    nonce = secrets.token_bytes(NONCE_BYTES)
    raw = _encode_header(vault_id, request_id, ephemeral_public, nonce)
    preamble = _PRE.pack(MAGIC, FORMAT_VERSION, len(raw)) + raw
    aead = AESGCM(_body_key(shared, ephemeral_public, public_key))
    data = preamble + aead.encrypt(nonce, padding.pad(payload), preamble)
    if len(data) > MAX_FILE_BYTES:  # cannot happen with the limits above; never write one
        raise RequestTooLargeError("the sealed request would be over 64 KiB")
    return data


def read_header(data: bytes) -> RequestHeader:
    """Parse a request file's clear header without any key.

    Raises RequestTooLargeError, RequestFormatError or RequestVersionError. A header that
    parses is not yet authenticated: only :func:`open_request` proves it was not edited.
    """
    return _parse(data)[0]


def open_request(
    private_key: bytes, expected_vault_id: str, data: bytes
) -> tuple[RequestHeader, bytes]:
    """Authenticate and decrypt a request file sealed to this vault; return its header and
    payload.

    Raises what :func:`read_header` raises, RequestWrongVaultError when the header names
    another vault (checked before any decryption), and TamperError when the file fails
    authentication (edited, truncated inside the ciphertext, or sealed to another key).
    """
    header, nonce, preamble_end = _parse(data)
    if header.vault_id != expected_vault_id:
        raise RequestWrongVaultError("this request was written for another vault")
    _check_key(private_key, "private")
    private = X25519PrivateKey.from_private_bytes(private_key)
    recipient_public = private.public_key().public_bytes_raw()
    try:
        shared = private.exchange(
            X25519PublicKey.from_public_bytes(header.ephemeral_public_key)
        )
    except ValueError:  # a low-order ephemeral key: nobody could have sealed this honestly
        raise TamperError("the request failed authentication") from None
    del private
    aead = AESGCM(_body_key(shared, header.ephemeral_public_key, recipient_public))
    try:
        body = aead.decrypt(nonce, data[preamble_end:], data[:preamble_end])
    except InvalidTag:
        raise TamperError("the request failed authentication") from None
    try:
        payload = padding.unpad(body)
    except TamperError:
        raise TamperError("the request's payload is badly padded") from None
    return header, payload


# -- internals -------------------------------------------------------------------------------


def _check_key(key: bytes, kind: str) -> None:
    if not isinstance(key, bytes) or len(key) != KEY_BYTES:
        raise ValueError(f"an X25519 {kind} key is {KEY_BYTES} raw bytes")


def _body_key(shared: bytes, ephemeral_public: bytes, recipient_public: bytes) -> bytes:
    hkdf = HKDF(hashes.SHA256(), 32, ephemeral_public + recipient_public, _INFO)
    return hkdf.derive(shared)


def _encode_header(vault_id: str, request_id: str, ephemeral: bytes, nonce: bytes) -> bytes:
    body = {
        "cipher": CIPHER,
        "ephemeral_key": ephemeral.hex(),
        "nonce": nonce.hex(),
        "request_id": request_id,
        "vault_id": vault_id,
    }
    return json.dumps(body, sort_keys=True, separators=(",", ":")).encode("ascii")


def _parse(data: bytes) -> tuple[RequestHeader, bytes, int]:
    """The header, the nonce, and the offset where the ciphertext starts."""
    if len(data) > MAX_FILE_BYTES:
        raise RequestTooLargeError(
            f"a request file is at most {MAX_FILE_BYTES} bytes; this one has {len(data)}"
        )
    if len(data) < _PRE.size or not data.startswith(MAGIC):
        raise RequestFormatError("this is not a peersupport request file")
    _, version, length = _PRE.unpack_from(data)
    if version != FORMAT_VERSION:
        raise RequestVersionError(
            f"request format version {version} is not supported (this build reads version "
            f"{FORMAT_VERSION}); a newer peersupport may open it"
        )
    if not 0 < length <= MAX_HEADER_BYTES or _PRE.size + length > len(data):
        raise RequestFormatError("the request header is truncated or malformed")
    end = _PRE.size + length
    raw = data[_PRE.size : end]
    try:
        fields = json.loads(raw.decode("ascii"))
        if not isinstance(fields, dict) or set(fields) != _HEADER_KEYS:
            raise ValueError("wrong keys")
        vault_id, request_id = fields["vault_id"], fields["request_id"]
        cipher, ephemeral_hex, nonce_hex = (
            fields["cipher"], fields["ephemeral_key"], fields["nonce"]
        )
        if not all(
            isinstance(v, str) for v in (vault_id, request_id, cipher, ephemeral_hex, nonce_hex)
        ):
            raise ValueError("wrong types")
        ephemeral = bytes.fromhex(ephemeral_hex)
        nonce = bytes.fromhex(nonce_hex)
    except (ValueError, RecursionError):  # UnicodeDecodeError and JSONDecodeError included
        raise RequestFormatError("the request header is malformed") from None
    if cipher != CIPHER:
        raise RequestFormatError("the request uses an unknown cipher")
    if len(ephemeral) != KEY_BYTES or len(nonce) != NONCE_BYTES:
        raise RequestFormatError("the request header has a key or nonce of the wrong size")
    if not _ID.fullmatch(vault_id) or not _ID.fullmatch(request_id):
        raise RequestFormatError("the request header has an invalid vault or request id")
    if _encode_header(vault_id, request_id, ephemeral, nonce) != raw:
        raise RequestFormatError("the request header is not in canonical form")
    sealed = len(data) - end
    padded = sealed - TAG_BYTES
    # the body must be one of padding's sizes (64, 128, ... bytes) plus the tag
    if padded < 64 or padded > MAX_PADDED_BYTES or padding.padded_size(padded - 4) != padded:
        raise RequestFormatError("the request body is truncated or has an invalid length")
    header = RequestHeader(vault_id, request_id, version, ephemeral)
    return header, nonce, end
