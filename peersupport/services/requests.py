"""Follow-up requests from officers: submitting them without any key, and the supporter's
inbox after unlock.

- :class:`RequestDrop` is everything the request form (on the lock screen, in
  ``peersupport request``, or on another machine with a card) can do. It holds a data
  directory, a rate limiter and, while submitting, the vault's *public* key: it never needs,
  loads or unwraps the private request key or the data key.
- :class:`RequestService` belongs to an unlocked vault: it makes the key pair, opens waiting
  requests, imports ``.psreq`` files, and accepts or closes requests.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from sqlalchemy import Engine
from sqlalchemy.exc import DatabaseError, OperationalError
from sqlalchemy.orm import Session

from peersupport.crypto import request_seal
from peersupport.crypto.errors import (
    RequestError,
    RequestFormatError,
    RequestTooLargeError,
    RequestVersionError,
    RequestWrongVaultError,
    TamperError,
)
from peersupport.crypto.request_card import RequestCard, check_display_name
from peersupport.domain.follow_request import (
    ACCEPTED,
    CLOSED,
    MAX_NOTE,
    OPEN,
    URGENT_NOW,
    VIA_FILE,
    WITHIN_24H,
    OfficerRequest,
    ReceivedRequest,
    RequestInputError,
    new_request_id,
    reference_code,
)
from peersupport.domain.officer import Officer
from peersupport.domain.throttle import RateLimiter
from peersupport.paths import DataDir
from peersupport.services.errors import NoVaultError, VaultCorruptError
from peersupport.store import engine as store_engine
from peersupport.store import migrate
from peersupport.store.follow_requests import (
    DuplicateRequestError,
    RequestDropbox,
    RequestRepository,
)
from peersupport.store.officers import RecordNotFoundError

if TYPE_CHECKING:
    from peersupport.services.vault import UnlockedVault

__all__ = [
    "DuplicateRequestError",
    "RequestDrop",
    "RequestFloodError",
    "RequestInputError",
    "RequestService",
    "RequestsUnavailableError",
    "seal_for_card",
]

DEFAULT_PER_MINUTE = 3
_KEY_DAMAGED = ("This vault cannot take requests right now: its owner must unlock it once to "
                "repair it.")
KEY_CREATED, KEY_OK, KEY_RESTORED, KEY_REPLACED = "created", "ok", "restored", "replaced"


class RequestsUnavailableError(Exception):
    """This vault cannot take requests yet (no request key: it has not been unlocked with a
    version that makes one), or its file cannot be read."""


class RequestFloodError(Exception):
    """Too many requests from this form in the last minute."""

    def __init__(self, wait_seconds: int) -> None:
        super().__init__(
            f"Too many requests were sent from here in the last minute. Please wait "
            f"{wait_seconds} seconds, or call 988 if you need help now.")
        self.wait_seconds = wait_seconds


@dataclass(frozen=True)
class Receipt:
    """What the officer is shown after submitting: a short reference code, nothing else."""

    request_id: str

    @property
    def reference(self) -> str:
        return reference_code(self.request_id)


def seal_for_card(card: RequestCard, request: OfficerRequest) -> tuple[Receipt, bytes]:
    """A sealed ``.psreq`` file for the vault named by ``card`` (its public key only)."""
    request_id = new_request_id()
    data = request_seal.seal_request(card.public_key, card.vault_id, request_id,
                                     request.to_payload())
    return Receipt(request_id), data


class RequestDrop:
    """Submit requests to the vault in ``data_dir`` while it is locked (or from another
    process). Holds no key of the vault; reads its public request key for each request."""

    def __init__(self, data_dir: DataDir, per_minute: int = DEFAULT_PER_MINUTE,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self.data_dir = data_dir
        self.limiter = RateLimiter(per_minute)
        self._monotonic = monotonic

    def _engine(self) -> Engine:
        if not self.data_dir.has_vault():
            raise NoVaultError(f"no vault in {self.data_dir.root}")
        return store_engine.sqlite_engine(self.data_dir.database)

    def card(self) -> RequestCard:
        """The vault's public request card. Raises RequestsUnavailableError."""
        engine = self._engine()
        try:
            with Session(engine) as s:
                box = RequestDropbox(s)
                vault_id = box.vault_id()
                found = box.public_key()
        except (OperationalError, DatabaseError):
            # an older vault has no request tables until it is unlocked with this version
            raise RequestsUnavailableError(
                "This vault cannot take requests yet: its owner must unlock it once with "
                "this version of Peer Support.") from None
        finally:
            engine.dispose()
        if vault_id is None or found is None:
            raise RequestsUnavailableError(
                "This vault cannot take requests yet: its owner must unlock it once with "
                "this version of Peer Support.")
        if len(found[0]) != request_seal.KEY_BYTES:
            raise RequestsUnavailableError(_KEY_DAMAGED)
        return RequestCard(vault_id, found[0], found[1])

    def notice(self) -> str:
        """The vault's confidentiality notice (public text), shown before the form."""
        from peersupport.services.vault import VaultService

        return VaultService(self.data_dir).read_notice()

    def wait_seconds(self) -> int:
        return self.limiter.wait_seconds(self._monotonic())

    def submit(self, request: OfficerRequest) -> Receipt:
        """Seal the request to the vault's public key and add it to the inbox.

        Raises RequestInputError (what was typed cannot go), RequestFloodError,
        RequestsUnavailableError, NoVaultError."""
        request = request.validated()
        wait = self.wait_seconds()
        if wait:
            raise RequestFloodError(wait)
        card = self.card()
        try:
            receipt, data = seal_for_card(card, request)
        except RequestInputError:
            raise
        except ValueError:  # the stored public key is not a usable key (edited outside the app)
            raise RequestsUnavailableError(_KEY_DAMAGED) from None
        engine = self._engine()
        try:
            with Session(engine) as s, s.begin():
                RequestDropbox(s).add_envelope(card.vault_id, receipt.request_id, data)
        except (OperationalError, DatabaseError) as exc:
            raise RequestsUnavailableError(
                "The request could not be saved: the vault file cannot be written.") from exc
        finally:
            engine.dispose()
        self.limiter.record(self._monotonic())
        return receipt

    def new_count(self) -> int:
        """How many requests the supporter has not seen yet (0 when none can be read)."""
        if not self.data_dir.has_vault():
            return 0
        engine = self._engine()
        try:
            if migrate.needs_upgrade(engine):
                return 0
            with Session(engine) as s:
                return RequestDropbox(s).new_count()
        except (OperationalError, DatabaseError):
            return 0
        finally:
            engine.dispose()


@dataclass
class ReceiveReport:
    """What opening the waiting requests found."""

    opened: list[ReceivedRequest] = field(default_factory=list)
    unreadable: list[str] = field(default_factory=list)

    @property
    def urgent(self) -> int:
        return sum(1 for r in self.opened if r.urgency == URGENT_NOW)


@dataclass
class Inbox:
    requests: list[ReceivedRequest]  # open first, urgent first, then oldest first
    damaged: list[str]  # ids of requests that fail authentication (sealed or still waiting)

    def open_count(self) -> int:
        return sum(1 for r in self.requests if r.state == OPEN)

    def unseen_count(self) -> int:
        return sum(1 for r in self.requests if r.state == OPEN and not r.seen)


class RequestService:
    def __init__(self, vault: UnlockedVault) -> None:
        self._vault = vault

    def _now(self) -> datetime:
        return self._vault.followup_policy.now()

    def _repo(self, s: Session) -> RequestRepository:
        return RequestRepository(s, self._vault.sealer)

    # -- keys ------------------------------------------------------------------------------
    def ensure_keys(self) -> str:
        """Make the vault's request key pair if it has none, and check that the public key in
        the clear is the one that belongs to the sealed private key. Returns 'created', 'ok',
        'restored' (the public key had been changed outside the app and was put back) or
        'replaced' (the sealed private key failed authentication: a new pair was made, and
        requests sealed to the old one cannot be opened)."""
        with self._vault.transaction() as s:
            repo = self._repo(s)
            try:
                private_hex = repo.private_key_hex()
            except TamperError:
                private_hex = None
                status = KEY_REPLACED
            else:
                status = KEY_CREATED if private_hex is None else KEY_OK
            if private_hex is None:
                private, public = request_seal.generate_keypair()
                repo.write_key(private.hex(), public, repo.display_name())
                return status
            public = request_seal.public_key_of(bytes.fromhex(private_hex))
            if repo.stored_public_key() != public:
                repo.write_key(None, public, repo.display_name())
                return KEY_RESTORED
            return KEY_OK

    def card(self) -> RequestCard:
        with self._vault.transaction() as s:
            repo = self._repo(s)
            public = repo.stored_public_key()
            if public is None:
                raise RequestsUnavailableError("This vault has no request key yet.")
            return RequestCard(self._vault.vault_id, public, repo.display_name())

    def set_display_name(self, name: str) -> RequestCard:
        """The name printed on the request card (public: officers see it)."""
        name = check_display_name(name)
        with self._vault.transaction() as s:
            repo = self._repo(s)
            public = repo.stored_public_key()
            if public is None:
                raise RequestsUnavailableError("This vault has no request key yet.")
            repo.write_key(None, public, name)
        return self.card()

    def _private_key(self, repo: RequestRepository) -> bytes:
        private_hex = repo.private_key_hex()
        if private_hex is None:
            raise RequestsUnavailableError("This vault has no request key yet.")
        return request_seal.PrivateKeyBytes(bytes.fromhex(private_hex))

    # -- receiving -------------------------------------------------------------------------
    def _open(self, private: bytes, request_id: str | None, data: bytes,
              via: str | None = None) -> ReceivedRequest:
        header, payload = request_seal.open_request(private, self._vault.vault_id, data)
        if request_id is not None and header.request_id != request_id:
            raise TamperError("a waiting request was moved to another row")
        try:
            request = OfficerRequest.from_payload(payload)
        except RequestInputError:  # its message may quote the request's text: not shown
            raise RequestFormatError("the request's contents are malformed") from None
        if via is not None:
            request = replace(request, via=via)
        return ReceivedRequest(id=header.request_id, request=request, received_at=self._now())

    def receive_pending(self) -> ReceiveReport:
        """Open every request that arrived while locked and seal it under the data key.
        A request that cannot be opened stays as it is (and no longer counts as new)."""
        report = ReceiveReport()
        with self._vault.transaction() as s:
            repo = self._repo(s)
            waiting = repo.envelopes()
            if not waiting:
                return report
            private = self._private_key(repo)
            for request_id, data in waiting:
                try:
                    record = self._open(private, request_id, data)
                except (RequestError, TamperError):
                    repo.mark_not_new(request_id)
                    report.unreadable.append(request_id)
                    continue
                repo.put(record)
                report.opened.append(record)
        return report

    def import_file(self, data: bytes) -> ReceivedRequest:
        """Add a ``.psreq`` file made with this vault's card. Refuses, writing nothing:
        RequestTooLargeError, RequestFormatError (malformed or truncated), RequestVersionError,
        RequestWrongVaultError, DuplicateRequestError, TamperError (edited, or sealed to
        another key)."""
        if len(data) > request_seal.MAX_FILE_BYTES:
            raise RequestTooLargeError(
                f"a request file is at most {request_seal.MAX_FILE_BYTES // 1024} KiB; this "
                f"one has {len(data):,} bytes")
        header = request_seal.read_header(data)
        if header.vault_id != self._vault.vault_id:
            raise RequestWrongVaultError(
                "this request was written for another peer supporter's vault")
        with self._vault.transaction() as s:
            repo = self._repo(s)
            if repo.exists(header.request_id):
                raise DuplicateRequestError(
                    f"request {reference_code(header.request_id)} is already in your inbox")
            record = self._open(self._private_key(repo), None, data, via=VIA_FILE)
            repo.put(record)
            return record

    # -- the inbox -------------------------------------------------------------------------
    def inbox(self) -> Inbox:
        with self._vault.transaction() as s:
            repo = self._repo(s)
            found = list(repo.opened())
            waiting = [i for i, _ in repo.envelopes()]
        requests = sorted((r for _, r in found if r is not None), key=ReceivedRequest.sort_key)
        damaged = [i for i, r in found if r is None] + waiting
        return Inbox(requests, damaged)

    def get(self, request_id: str) -> ReceivedRequest:
        with self._vault.transaction() as s:
            return self._get(self._repo(s), request_id)

    @staticmethod
    def _get(repo: RequestRepository, request_id: str) -> ReceivedRequest:
        record = repo.get(request_id)
        if record is None:
            raise RecordNotFoundError("That request is no longer in the inbox.")
        return record

    def mark_seen(self, request_id: str) -> ReceivedRequest:
        with self._vault.transaction() as s:
            repo = self._repo(s)
            record = self._get(repo, request_id)
            if not record.seen:
                record = replace(record, seen=True)
                repo.put(record)
            return record

    def suggested_time(self, record: ReceivedRequest, zone: ZoneInfo | None = None) -> datetime:
        """When to follow up, by urgency: now; within a few hours (never past the 24 hours
        asked for); or the next morning at 09:00 local time."""
        now = self._now().replace(second=0, microsecond=0)
        if record.urgency == URGENT_NOW:
            return now
        if record.urgency == WITHIN_24H:
            deadline = record.request.submitted_at + timedelta(hours=24)
            return max(now, min(now + timedelta(hours=4), deadline))
        zone = zone or ZoneInfo(self._vault.followup_policy.zone)
        local = now.astimezone(zone)
        return datetime.combine(local.date() + timedelta(days=1), datetime.min.time(),
                                tzinfo=zone).replace(hour=9)

    def accept(self, request_id: str, follow_up_at: datetime, *, officer_id: str | None = None,
               new_officer: Officer | None = None, note: str = "") -> ReceivedRequest:
        """Link the request to an officer (an existing one, or ``new_officer``, created in
        the same transaction) and schedule a follow-up at ``follow_up_at``."""
        if (officer_id is None) == (new_officer is None):
            raise ValueError("choose an existing officer or a new one")
        if follow_up_at.tzinfo is None:
            raise RequestInputError("The follow-up time needs a time zone.")
        _check_note(note)
        with self._vault.transaction() as s:
            repo = self._repo(s)
            record = self._get(repo, request_id)
            if record.state != OPEN:
                raise RequestInputError("That request was already handled.")
            officers = self._vault.officers(s)
            if new_officer is not None:
                officers.add(new_officer)
                officer_id = new_officer.id
            else:
                assert officer_id is not None
                officers.get(officer_id)  # RecordNotFoundError for an unknown officer
            plan_id = self._vault.followups().add_request_plan(
                s, record.id, officer_id, record.request.submitted_at, follow_up_at)
            record = replace(record, state=ACCEPTED, seen=True, officer_id=officer_id,
                             plan_id=plan_id, follow_up_at=follow_up_at, note=note.strip(),
                             handled_at=self._now())
            repo.put(record)
            return record

    def close(self, request_id: str, note: str) -> ReceivedRequest:
        """Close without a follow-up (e.g. handled by phone at once); the note stays sealed."""
        _check_note(note)
        with self._vault.transaction() as s:
            repo = self._repo(s)
            record = self._get(repo, request_id)
            if record.state != OPEN:
                raise RequestInputError("That request was already handled.")
            record = replace(record, state=CLOSED, seen=True, note=note.strip(),
                             handled_at=self._now())
            repo.put(record)
            return record

    def delete(self, request_id: str) -> bool:
        """Remove a request for good (a damaged one, or one no longer needed)."""
        with self._vault.transaction() as s:
            return self._repo(s).delete(request_id)


def _check_note(note: str) -> None:
    if len(note.strip()) > MAX_NOTE:
        raise RequestInputError(f"A note can be at most {MAX_NOTE:,} characters.")


def request_error_message(exc: BaseException) -> str:
    """One clear sentence for a refused import (no content of the request)."""
    if isinstance(exc, RequestTooLargeError):
        return f"The file is too large to be a request (over 64 KiB): {exc}."
    if isinstance(exc, RequestVersionError):
        return f"The request was made by a newer version of Peer Support: {exc}."
    if isinstance(exc, RequestWrongVaultError):
        return "The request was sealed to another peer supporter's vault, not yours."
    if isinstance(exc, RequestFormatError):
        return f"The file is not a whole Peer Support request: {exc}."
    if isinstance(exc, DuplicateRequestError):
        return f"Already imported: {exc}."
    if isinstance(exc, VaultCorruptError):  # a TamperError too: checked first
        return "The vault file cannot be read."
    if isinstance(exc, TamperError):
        return ("The request failed its integrity check: it was changed or damaged after it "
                "was sealed, or sealed to another key.")
    return f"The request could not be imported ({type(exc).__name__})."
