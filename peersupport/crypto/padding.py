"""Pad plaintext to fixed steps so ciphertext length does not fingerprint a name or note.

Layout: 4-byte big-endian length, the bytes, zero fill up to the step.
Steps: 64, 128, 256, 512, 1024 bytes, then whole multiples of 1024.
"""

from __future__ import annotations

import struct

from peersupport.crypto.errors import TamperError

_PREFIX = struct.Struct(">I")
_STEPS = (64, 128, 256, 512, 1024)


def padded_size(length: int) -> int:
    needed = length + _PREFIX.size
    for step in _STEPS:
        if needed <= step:
            return step
    return -(-needed // 1024) * 1024


def pad(data: bytes) -> bytes:
    size = padded_size(len(data))
    return _PREFIX.pack(len(data)) + data + bytes(size - len(data) - _PREFIX.size)


def unpad(padded: bytes) -> bytes:
    if len(padded) < _PREFIX.size:
        raise TamperError("sealed value is too short")
    (length,) = _PREFIX.unpack_from(padded)
    end = _PREFIX.size + length
    # the fill must be all zero bytes (counted in C: no per-byte Python loop)
    if end > len(padded) or padded.count(0, end) != len(padded) - end:
        raise TamperError("sealed value has an invalid length")
    return padded[_PREFIX.size:end]
