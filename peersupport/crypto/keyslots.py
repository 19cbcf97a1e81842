"""Wrapping the data key: one slot per way of unlocking (passphrase, recovery key).

A slot stores KDF parameters, a salt and the wrapped data key. The wrap's associated data
binds the vault id, the slot name, the schema version and the KDF parameters, so a slot
copied to another vault, renamed, or with weakened parameters fails to unwrap. No password
hash is stored: a secret is right when it unwraps the data key.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from peersupport.crypto import kdf
from peersupport.crypto.errors import TamperError, WrongSecretError
from peersupport.crypto.secret import SecretKey

SLOT_PASSPHRASE = "passphrase"  # noqa: S105 - a slot name, not a secret
SLOT_RECOVERY = "recovery"
WRAP_VERSION = 1
_NONCE = 12
RECOVERY_KDF = "hkdf-sha256"


@dataclass(frozen=True)
class WrappedKey:
    """What a key slot stores. ``params`` holds the KDF parameters (salt included)."""

    slot: str
    params: kdf.KdfParams
    blob: bytes  # version byte | nonce | ciphertext+tag


def wrap_aad(vault_id: str, slot: str, schema_version: int, params: kdf.KdfParams) -> bytes:
    head = {"vault": vault_id, "slot": slot, "schema": schema_version, "wrap": WRAP_VERSION}
    return (
        b"peersupport/wrap/v1\x00"
        + json.dumps(head, sort_keys=True, separators=(",", ":")).encode()
        + b"\x00"
        + params.canonical()
    )


def _wrap(kek: SecretKey, data_key: SecretKey, aad: bytes) -> bytes:
    nonce = secrets.token_bytes(_NONCE)
    sealed = AESGCM(kek.raw()).encrypt(nonce, data_key.raw(), aad)
    return bytes([WRAP_VERSION]) + nonce + sealed


def _unwrap(kek: SecretKey, blob: bytes, aad: bytes) -> SecretKey:
    if len(blob) != 1 + _NONCE + 32 + 16 or blob[0] != WRAP_VERSION:
        raise TamperError("a key slot is malformed")
    try:
        raw = AESGCM(kek.raw()).decrypt(blob[1 : 1 + _NONCE], blob[1 + _NONCE :], aad)
    except InvalidTag:
        raise WrongSecretError("the passphrase or recovery key is not right") from None
    return SecretKey(raw)


def recovery_kek(recovery_key: SecretKey, params: kdf.KdfParams, vault_id: str) -> SecretKey:
    out = HKDF(
        algorithm=hashes.SHA256(),
        length=32,
        salt=params.salt,
        info=b"peersupport recovery slot v1 " + vault_id.encode(),
    ).derive(recovery_key.raw())
    return SecretKey(out)


def recovery_params() -> kdf.KdfParams:
    return kdf.KdfParams(RECOVERY_KDF, 0, 0, 0, secrets.token_bytes(kdf.SALT_LENGTH))


def wrap_with_passphrase(
    data_key: SecretKey, passphrase: str, params: kdf.KdfParams, vault_id: str, schema: int
) -> WrappedKey:
    kek = kdf.derive_kek(passphrase, params)
    try:
        blob = _wrap(kek, data_key, wrap_aad(vault_id, SLOT_PASSPHRASE, schema, params))
    finally:
        kek.wipe()
    return WrappedKey(SLOT_PASSPHRASE, params, blob)


def unwrap_with_passphrase(
    slot: WrappedKey, passphrase: str, profile: kdf.KdfProfile, vault_id: str, schema: int
) -> SecretKey:
    profile.check(slot.params)
    kek = kdf.derive_kek(passphrase, slot.params)
    try:
        return _unwrap(kek, slot.blob, wrap_aad(vault_id, SLOT_PASSPHRASE, schema, slot.params))
    finally:
        kek.wipe()


def wrap_with_recovery(
    data_key: SecretKey, recovery_key: SecretKey, vault_id: str, schema: int
) -> WrappedKey:
    params = recovery_params()
    kek = recovery_kek(recovery_key, params, vault_id)
    try:
        blob = _wrap(kek, data_key, wrap_aad(vault_id, SLOT_RECOVERY, schema, params))
    finally:
        kek.wipe()
    return WrappedKey(SLOT_RECOVERY, params, blob)


def unwrap_with_recovery(
    slot: WrappedKey, recovery_key: SecretKey, vault_id: str, schema: int
) -> SecretKey:
    if slot.params.algorithm != RECOVERY_KDF or len(slot.params.salt) < kdf.SALT_LENGTH:
        raise TamperError("the recovery slot is malformed")
    kek = recovery_kek(recovery_key, slot.params, vault_id)
    try:
        return _unwrap(kek, slot.blob, wrap_aad(vault_id, SLOT_RECOVERY, schema, slot.params))
    finally:
        kek.wipe()
