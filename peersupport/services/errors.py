"""Errors a screen or the command line turns into a clear message."""

from peersupport.crypto.errors import (
    MalformedRecoveryKeyError,
    TamperError,
    WeakParametersError,
    WrongSecretError,
)

__all__ = [
    "LegalHoldError",
    "MalformedRecoveryKeyError",
    "NoVaultError",
    "TamperError",
    "VaultCorruptError",
    "VaultExistsError",
    "VaultLockedError",
    "WeakParametersError",
    "WrongSecretError",
]


class NoVaultError(Exception):
    """There is no vault in this data directory yet."""


class VaultExistsError(Exception):
    """A vault already exists here; refusing to overwrite it."""


class VaultCorruptError(TamperError):
    """The database file is not a readable peersupport vault."""


class VaultLockedError(Exception):
    """The vault was locked while an operation needed it."""


class LegalHoldError(Exception):
    """The record is under a legal hold: it cannot be deleted, forgotten, merged away or
    expired until the hold is lifted."""
