"""Errors raised by the crypto layer. Messages never contain key or record material."""


class CryptoError(Exception):
    """Base class for every crypto failure."""


class WrongSecretError(CryptoError):
    """The passphrase or recovery key does not open this vault."""


class TamperError(CryptoError):
    """Stored data failed authentication: it was edited, moved, truncated or corrupted."""


class WeakParametersError(TamperError):
    """Stored key-derivation parameters are below the floor this build accepts."""


class MalformedRecoveryKeyError(CryptoError):
    """The text typed is not a well-formed recovery key (wrong length or checksum)."""


class RequestError(CryptoError):
    """A follow-up request file (``.psreq``) was refused before anything was decrypted."""


class RequestFormatError(RequestError):
    """The bytes are not a well-formed request file: wrong magic, truncated or malformed."""


class RequestVersionError(RequestError):
    """The request file uses a format version this build does not know."""


class RequestTooLargeError(RequestError):
    """The request file (or the payload to seal) is over the size limit."""


class RequestWrongVaultError(RequestError):
    """The request file was sealed for another vault."""


class StatsError(CryptoError):
    """A statistics file (``.psstats``) was refused."""


class StatsFormatError(StatsError):
    """The bytes are not a well-formed statistics file (or hold unsuppressed counts)."""


class StatsVersionError(StatsError):
    """The statistics file uses a format version this build does not know."""
