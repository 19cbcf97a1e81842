"""The supervisor's profile file (``supervisor.psprofile``): the pinned supporter keys and the
imported tables, encrypted under a key derived from the supervisor's own passphrase.

    magic "PSSUP\\0\\0\\1" | u16 version | u16 header length | header (canonical JSON:
    the Argon2id parameters and salt, the AES-GCM nonce) | AES-256-GCM ciphertext of the
    profile's JSON, with the whole preamble as associated data

A wrong passphrase and an edited file both fail authentication; the header's parameters are
checked against the same floor as a vault's before any derivation.
"""

from __future__ import annotations

import json
import secrets
import struct
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from peersupport.crypto import kdf
from peersupport.crypto.errors import TamperError, WrongSecretError
from peersupport.crypto.secret import SecretKey

MAGIC = b"PSSUP\x00\x00\x01"
VERSION = 1
_PRE = struct.Struct(">8sHH")
MAX_HEADER = 1024


class ProfileFormatError(TamperError):
    """The file is not a readable supervisor profile."""


def _preamble(params: kdf.KdfParams, nonce: bytes) -> bytes:
    header = json.dumps({
        "kdf": {"algorithm": params.algorithm, "memory_kib": params.memory_kib,
                "iterations": params.iterations, "lanes": params.lanes,
                "salt": params.salt.hex()},
        "nonce": nonce.hex(),
    }, sort_keys=True, separators=(",", ":")).encode("ascii")
    return _PRE.pack(MAGIC, VERSION, len(header)) + header


def seal(state: dict[str, Any], key: SecretKey, params: kdf.KdfParams) -> bytes:
    """The file's bytes, under ``key`` (derived from the passphrase with ``params``)."""
    nonce = secrets.token_bytes(12)
    preamble = _preamble(params, nonce)
    body = json.dumps(state, sort_keys=True, separators=(",", ":"),
                      ensure_ascii=False).encode("utf-8")
    return preamble + AESGCM(key.raw()).encrypt(nonce, body, preamble)


def read_params(data: bytes) -> tuple[kdf.KdfParams, bytes, int]:
    """The KDF parameters, nonce and end of the preamble. Raises ProfileFormatError."""
    if len(data) < _PRE.size or not data.startswith(MAGIC):
        raise ProfileFormatError("this is not a supervisor profile")
    _, version, length = _PRE.unpack_from(data)
    if version != VERSION:
        raise ProfileFormatError(f"supervisor profile version {version} is not supported")
    if not 0 < length <= MAX_HEADER or _PRE.size + length > len(data):
        raise ProfileFormatError("the supervisor profile is truncated")
    try:
        header = json.loads(data[_PRE.size:_PRE.size + length].decode("ascii"))
        k = header["kdf"]
        params = kdf.KdfParams(str(k["algorithm"]), int(k["memory_kib"]), int(k["iterations"]),
                               int(k["lanes"]), bytes.fromhex(k["salt"]))
        nonce = bytes.fromhex(header["nonce"])
    except (ValueError, KeyError, TypeError):
        raise ProfileFormatError("the supervisor profile's header is malformed") from None
    if len(nonce) != 12:
        raise ProfileFormatError("the supervisor profile's header is malformed")
    return params, nonce, _PRE.size + length


def open_profile(data: bytes, passphrase: str, profile: kdf.KdfProfile
                 ) -> tuple[dict[str, Any], kdf.KdfParams, SecretKey]:
    """The profile's state, its KDF parameters and the derived key (to save changes).

    Raises WrongSecretError for a wrong passphrase (or an edited body: the two cannot be told
    apart), WeakParametersError for weakened parameters, ProfileFormatError for a damaged
    file."""
    params, nonce, end = read_params(data)
    profile.check(params)
    preamble = data[:end]
    if preamble != _preamble(params, nonce):
        raise ProfileFormatError("the supervisor profile's header is not in canonical form")
    key = kdf.derive_kek(passphrase, params)
    try:
        body = AESGCM(key.raw()).decrypt(nonce, data[end:], preamble)
        state = json.loads(body.decode("utf-8"))
        if not isinstance(state, dict):
            raise ValueError("not an object")
    except InvalidTag:
        key.wipe()
        raise WrongSecretError("wrong passphrase, or the profile was changed") from None
    except ValueError:
        key.wipe()
        raise ProfileFormatError("the supervisor profile's contents are malformed") from None
    return state, params, key
