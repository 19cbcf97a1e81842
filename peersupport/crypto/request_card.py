"""Request cards (``.pscard``): what another machine needs to seal a request to a vault.

A card is a small canonical JSON object, the same text a QR code of the card holds:

    {"display_name": "...", "fingerprint": "7K2M-0QXD-94TB-VH1E",
     "format": "peersupport-request-card", "public_key": "<64 hex>", "vault_id": "...",
     "version": 1}

It holds only public values. The fingerprint is checked against the key when a card is read,
so a mistyped or edited key is refused; an officer can also compare it by eye with the one the
supporter shows in the app. See docs/request-format.md.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass

from peersupport.crypto.errors import RequestFormatError, RequestVersionError
from peersupport.crypto.request_seal import KEY_BYTES, fingerprint

CARD_FORMAT = "peersupport-request-card"
CARD_VERSION = 1
CARD_EXTENSION = ".pscard"
MAX_CARD_BYTES = 4096
MAX_DISPLAY_NAME = 80
_KEYS = frozenset({"display_name", "fingerprint", "format", "public_key", "vault_id", "version"})
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


@dataclass(frozen=True)
class RequestCard:
    vault_id: str
    public_key: bytes
    display_name: str

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.public_key)

    def to_text(self) -> str:
        """The canonical JSON of the card (the file's contents and the QR code's text)."""
        body = {
            "display_name": self.display_name,
            "fingerprint": self.fingerprint,
            "format": CARD_FORMAT,
            "public_key": self.public_key.hex(),
            "vault_id": self.vault_id,
            "version": CARD_VERSION,
        }
        return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def check_display_name(name: str) -> str:
    name = " ".join(name.split())
    if any(unicodedata.category(c) == "Cc" or c in _BIDI_CONTROLS for c in name):
        raise ValueError("A display name cannot hold control characters.")
    if len(name) > MAX_DISPLAY_NAME:
        raise ValueError(f"A display name is at most {MAX_DISPLAY_NAME} characters.")
    return name


def parse_card(data: bytes) -> RequestCard:
    """Read a card file (or a QR code's text). Raises RequestFormatError for anything that is
    not a whole, consistent card and RequestVersionError for a newer card format."""
    if len(data) > MAX_CARD_BYTES:
        raise RequestFormatError("this file is too large to be a request card")
    try:
        body = json.loads(data.decode("utf-8"))
    except (ValueError, RecursionError):
        raise RequestFormatError("this is not a peersupport request card") from None
    if not isinstance(body, dict) or body.get("format") != CARD_FORMAT:
        raise RequestFormatError("this is not a peersupport request card")
    version = body.get("version")
    if type(version) is not int:
        raise RequestFormatError("the request card has no format version")
    if version != CARD_VERSION:
        raise RequestVersionError(
            f"request card version {version} is not supported (this build reads version "
            f"{CARD_VERSION}); a newer peersupport may read it")
    if set(body) != _KEYS:
        raise RequestFormatError("the request card is incomplete or has unknown fields")
    vault_id, key_hex, printed, name = (
        body["vault_id"], body["public_key"], body["fingerprint"], body["display_name"])
    if not all(isinstance(v, str) for v in (vault_id, key_hex, printed, name)):
        raise RequestFormatError("the request card is malformed")
    try:
        key = bytes.fromhex(key_hex)
    except ValueError:
        raise RequestFormatError("the request card's key is malformed") from None
    if len(key) != KEY_BYTES or not _ID.fullmatch(vault_id):
        raise RequestFormatError("the request card's key or vault id is malformed")
    if fingerprint(key) != printed:
        raise RequestFormatError(
            "the request card's fingerprint does not match its key: the card was changed or "
            "damaged; ask the peer supporter for a new one")
    try:
        name = check_display_name(name)
    except ValueError as exc:
        raise RequestFormatError(str(exc)) from None
    return RequestCard(vault_id, key, name)
