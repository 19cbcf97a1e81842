"""Follow-up requests at rest.

Two kinds of access, kept apart on purpose:

- :class:`RequestDropbox` needs no key at all. It reads the vault id and public request key
  (plaintext by design) and adds *envelopes*: request files already sealed to that key. This
  is what the lock screen, ``peersupport request`` and another process use while locked.
- :class:`RequestRepository` works with an unlocked vault: it opens envelopes with the
  private key (sealed in ``vault_secret``) and keeps each request sealed under the data key.
"""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from peersupport.crypto.errors import TamperError
from peersupport.domain.follow_request import ReceivedRequest
from peersupport.store.models import FollowRequestRow, RequestKeyRow, VaultRow
from peersupport.store.sealing import RowSealer, SealedTable
from peersupport.store.vault_secrets import VaultSecretRepository

REQUEST_TABLE = SealedTable(
    model=FollowRequestRow, fields=("record",), metadata_columns=("vault_id",),
)
KEY_ROW_ID = "current"
PRIVATE_KEY_SECRET = "request_private_key"  # noqa: S105 - a row name, not a secret


class DuplicateRequestError(ValueError):
    """A request with this id is already in the inbox."""


class RequestDropbox:
    """Keyless access: the public request key, adding envelopes, counting new requests."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def vault_id(self) -> str | None:
        return self._session.scalars(select(VaultRow.id)).first()

    def public_key(self) -> tuple[bytes, str] | None:
        """The public request key and display name, or None before the first unlock with a
        version that makes one."""
        row = self._session.get(RequestKeyRow, KEY_ROW_ID)
        if row is None or not isinstance(row.public_key, bytes):
            return None
        return bytes(row.public_key), str(row.display_name or "")

    def exists(self, request_id: str) -> bool:
        return self._session.get(FollowRequestRow, request_id) is not None

    def add_envelope(self, vault_id: str, request_id: str, envelope: bytes) -> None:
        if self.exists(request_id):
            raise DuplicateRequestError("this request is already in the inbox")
        self._session.add(FollowRequestRow(
            id=request_id, vault_id=vault_id, is_new=1, envelope=envelope,
        ))

    def new_count(self) -> int:
        return int(self._session.scalar(
            select(func.count()).select_from(FollowRequestRow)
            .where(FollowRequestRow.is_new == 1)) or 0)


class RequestRepository:
    def __init__(self, session: Session, sealer: RowSealer) -> None:
        self._session = session
        self._sealer = sealer
        self._secrets = VaultSecretRepository(session, sealer)

    # -- the key pair ----------------------------------------------------------------------
    def private_key_hex(self) -> str | None:
        """The sealed private key (hex), None if never made; TamperError if it fails."""
        return self._secrets.get(PRIVATE_KEY_SECRET)

    def stored_public_key(self) -> bytes | None:
        """None when missing, or not bytes (edited outside the app): ensure_keys repairs it."""
        row = self._session.get(RequestKeyRow, KEY_ROW_ID)
        if row is None or not isinstance(row.public_key, bytes):
            return None
        return bytes(row.public_key)

    def display_name(self) -> str:
        row = self._session.get(RequestKeyRow, KEY_ROW_ID)
        return "" if row is None else str(row.display_name or "")

    def write_key(self, private_hex: str | None, public_key: bytes, display_name: str) -> None:
        """Store the public key (and, if given, the sealed private key) in one transaction."""
        if private_hex is not None:
            self._secrets.put(PRIVATE_KEY_SECRET, private_hex)
        row = self._session.get(RequestKeyRow, KEY_ROW_ID)
        if row is None:
            row = RequestKeyRow(id=KEY_ROW_ID, vault_id=self._sealer.vault_id)
            self._session.add(row)
        row.public_key = public_key
        row.display_name = display_name

    # -- requests --------------------------------------------------------------------------
    def envelopes(self) -> list[tuple[str, bytes]]:
        """Requests not yet opened: (id, request file bytes)."""
        rows = self._session.execute(
            select(FollowRequestRow.id, FollowRequestRow.envelope)
            .where(FollowRequestRow.envelope.is_not(None)).order_by(FollowRequestRow.id))
        return [(str(i), bytes(e)) for i, e in rows if isinstance(e, bytes)]

    def exists(self, request_id: str) -> bool:
        return self._session.get(FollowRequestRow, request_id) is not None

    def put(self, record: ReceivedRequest) -> None:
        """Seal the request under the data key; its envelope, if any, is dropped."""
        row = self._session.get(FollowRequestRow, record.id)
        if row is None:
            row = FollowRequestRow(id=record.id, vault_id=self._sealer.vault_id)
            self._session.add(row)
        row.envelope = None
        row.is_new = 0 if record.seen else 1
        self._sealer.stamp(row)
        self._sealer.seal(REQUEST_TABLE, row, "record", record.to_json())

    def _read(self, row: FollowRequestRow) -> ReceivedRequest:
        text = self._sealer.open(REQUEST_TABLE, row, "record")
        try:
            record = ReceivedRequest.from_json(text)
        except (ValueError, KeyError, TypeError):
            raise TamperError("a follow-up request is malformed") from None
        if record.id != row.id:
            raise TamperError("a follow-up request was moved to another row")
        return record

    def get(self, request_id: str) -> ReceivedRequest | None:
        """The request, None if missing or not yet opened; TamperError if damaged."""
        row = self._session.get(FollowRequestRow, request_id)
        if row is None or row.record_sealed is None:
            return None
        return self._read(row)

    def opened(self) -> Iterator[tuple[str, ReceivedRequest | None]]:
        """Every opened request (None for one that fails authentication)."""
        rows = self._session.scalars(
            select(FollowRequestRow).where(FollowRequestRow.record_sealed.is_not(None))
            .order_by(FollowRequestRow.id))
        for row in rows:
            try:
                yield row.id, self._read(row)
            except TamperError:
                yield row.id, None

    def mark_not_new(self, request_id: str) -> None:
        row = self._session.get(FollowRequestRow, request_id)
        if row is not None:
            row.is_new = 0

    def delete(self, request_id: str) -> bool:
        row = self._session.get(FollowRequestRow, request_id)
        if row is None:
            return False
        self._session.delete(row)
        return True
