"""The 128-bit recovery key: generated once, shown as seven groups of four characters.

Encoding: Crockford base32 of the 16 key bytes followed by one checksum byte (first byte of
SHA-256 of the key), 140 bits = 28 characters. Typing is forgiving: case, spaces, dashes and
the look-alikes I/L (read as 1) and O (read as 0) are accepted.
"""

from __future__ import annotations

import hashlib

from peersupport.crypto.errors import MalformedRecoveryKeyError
from peersupport.crypto.secret import SecretKey

KEY_BYTES = 16
GROUP = 4
_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_DECODE = {c: i for i, c in enumerate(_ALPHABET)}
_DECODE.update({"I": 1, "L": 1, "O": 0})
_CHARS = 28


def _checksum(key: bytes) -> int:
    return hashlib.sha256(key).digest()[0]


def generate() -> SecretKey:
    return SecretKey.random(KEY_BYTES)


def format_key(key: SecretKey) -> str:
    raw = key.raw() + bytes([_checksum(key.raw())])
    number = int.from_bytes(raw, "big") << 4  # 136 bits -> 140 bits
    chars = []
    for _ in range(_CHARS):
        chars.append(_ALPHABET[number & 31])
        number >>= 5
    text = "".join(reversed(chars))
    return "-".join(text[i : i + GROUP] for i in range(0, _CHARS, GROUP))


def groups(formatted: str) -> list[str]:
    return formatted.split("-")


def normalize(text: str) -> str:
    return "".join(ch for ch in text.upper() if ch not in " -\t\n")


def parse(text: str) -> SecretKey:
    cleaned = normalize(text)
    if len(cleaned) != _CHARS:
        raise MalformedRecoveryKeyError(
            f"a recovery key has {_CHARS} characters; this has {len(cleaned)}"
        )
    number = 0
    for ch in cleaned:
        if ch not in _DECODE:
            raise MalformedRecoveryKeyError(f"'{ch}' is not used in recovery keys")
        number = (number << 5) | _DECODE[ch]
    if number & 0xF:
        raise MalformedRecoveryKeyError("this recovery key has a typing mistake")
    raw = (number >> 4).to_bytes(KEY_BYTES + 1, "big")
    key, check = raw[:KEY_BYTES], raw[KEY_BYTES]
    if _checksum(key) != check:
        raise MalformedRecoveryKeyError("this recovery key has a typing mistake")
    return SecretKey(key)
