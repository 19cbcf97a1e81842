"""Follow-up requests through the services, on real vaults: a request left while the vault is
locked is read in full after unlock; the keyless request path never holds or uses a private or
data key; no request text lies anywhere on disk at any stage; refused imports write nothing and
are explained without the request's content; damaged requests are reported, not fatal; the
request key pair is made, checked and repaired at unlock; accepting schedules a follow-up that
a check-in covers; suggested times; flood protection; verify; and a vault from before requests.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import struct
import types
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from peersupport.crypto import kdf, keyslots, request_seal
from peersupport.crypto.blob import FieldCipher
from peersupport.crypto.errors import (
    RequestFormatError,
    RequestTooLargeError,
    RequestVersionError,
    RequestWrongVaultError,
    TamperError,
)
from peersupport.crypto.request_card import RequestCard
from peersupport.crypto.request_seal import MAX_FILE_BYTES, PrivateKeyBytes, public_key_of
from peersupport.crypto.secret import SecretKey
from peersupport.domain.checkin import CheckIn
from peersupport.domain.follow_request import (
    ACCEPTED,
    CLOSED,
    OPEN,
    ROUTINE,
    URGENT_NOW,
    VIA_FILE,
    VIA_FORM,
    WITHIN_24H,
    OfficerRequest,
    ReceivedRequest,
    RequestInputError,
)
from peersupport.domain.followup import COVERED, MILESTONE, PENDING
from peersupport.domain.officer import Officer
from peersupport.domain.throttle import RateLimiter
from peersupport.paths import DataDir, ensure
from peersupport.services.errors import NoVaultError, VaultCorruptError
from peersupport.services.followups import FollowupPolicy
from peersupport.services.requests import (
    DuplicateRequestError,
    RequestDrop,
    RequestFloodError,
    RequestsUnavailableError,
    request_error_message,
    seal_for_card,
)
from peersupport.services.vault import UnlockedVault, VaultService
from peersupport.store import migrate
from peersupport.store.follow_requests import PRIVATE_KEY_SECRET, RequestRepository
from peersupport.store.officers import RecordNotFoundError
from peersupport.store.sealing import RowSealer
from peersupport.store.vault_secrets import VaultSecretRepository
from tests._support import raw_execute, raw_one, raw_query, scan, scan_bytes
from tests.conftest import FAST_TEST_PROFILE, PASSPHRASE

CHICAGO = ZoneInfo("America/Chicago")
# the fake "now": Tuesday 10 February 2026, 09:00 in Chicago (CST, UTC-6)
NOW = datetime(2026, 2, 10, 15, 0, tzinfo=UTC)
H = timedelta(hours=1)


class FakeClock:
    def __init__(self, now: datetime = NOW) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def new_canary(label: str) -> str:
    return f"CNRY{label}{uuid.uuid4().hex[:12].upper()}"


def canary_request(label: str, urgency: str = ROUTINE,
                   minutes_ago: int = 60) -> tuple[OfficerRequest, list[str]]:
    c = [new_canary(f"{label}{part}") for part in ("ADDR", "REACH", "TIMES", "MSG")]
    request = OfficerRequest(
        urgency=urgency, address_as=f"Ofc. {c[0]}", contact_method="email",
        contact=f"{c[1]}@example.invalid", best_times=f"after 18:00, {c[2]}",
        message=f"Rough week. {c[3]}\n" + "more words " * 20,
        submitted_at=NOW - timedelta(minutes=minutes_ago), via=VIA_FORM,
    )
    return request, c


@contextlib.contextmanager
def unlocked(service: VaultService, clock: Callable[[], datetime] | None = None,
             ) -> Iterator[UnlockedVault]:
    opened = service.unlock(PASSPHRASE)
    opened.followup_policy = FollowupPolicy(zone="America/Chicago", clock=clock or FakeClock())
    try:
        yield opened
    finally:
        if not opened.is_locked:
            opened.lock()


def request_rows(db: Path) -> list[tuple[Any, ...]]:
    """(id, is_new, has envelope, has sealed record) for every row, by id."""
    return raw_query(db, "SELECT id, is_new, envelope IS NOT NULL, record_sealed IS NOT NULL "
                         "FROM follow_request ORDER BY id")


def files_digest(data_dir: DataDir) -> dict[str, str]:
    """sha256 of the database and its write-ahead log (the files a write would change)."""
    found = {}
    for path in (data_dir.database, Path(f"{data_dir.database}-wal")):
        if path.exists():
            found[path.name] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found


def count(db: Path, table: str) -> int:
    value = raw_one(db, f"SELECT count(*) FROM {table}")  # noqa: S608 - fixed names only
    assert isinstance(value, int)
    return value


def private_key_of(vault: UnlockedVault) -> bytes:
    with vault.transaction() as s:
        private_hex = RequestRepository(s, vault.sealer).private_key_hex()
    assert private_hex is not None
    return bytes.fromhex(private_hex)


def flipped(blob: object, at: int) -> bytes:
    assert isinstance(blob, bytes)
    data = bytearray(blob)
    data[at] ^= 0x01
    return bytes(data)


def header_length(data: bytes) -> int:
    return int(struct.unpack_from(">H", data, 10)[0])


def crafted_payload(**changes: Any) -> bytes:
    body: dict[str, Any] = {
        "v": 1, "urgency": ROUTINE, "address_as": "", "contact_method": "", "contact": "",
        "best_times": "", "message": "crafted", "submitted_at": "2026-02-10T14:00:00+00:00",
        "via": VIA_FORM,
    }
    body.update(changes)
    return json.dumps(body).encode()


def same_request(got: OfficerRequest, sent: OfficerRequest) -> None:
    """Every typed field came back (the time to the second)."""
    sent = sent.validated()
    for name in ("urgency", "address_as", "contact_method", "contact", "best_times",
                 "message", "via"):
        assert getattr(got, name) == getattr(sent, name), name
    assert got.submitted_at == sent.submitted_at.replace(microsecond=0)


@pytest.fixture
def locked(service: VaultService, vault: UnlockedVault) -> VaultService:
    """A vault that exists and is locked (its request key pair was made at creation)."""
    vault.lock()
    return service


@pytest.fixture
def drop(data_dir: DataDir) -> RequestDrop:
    return RequestDrop(data_dir, per_minute=1000)


# -- a request left while locked ------------------------------------------------------------------
def test_a_request_sent_while_locked_is_read_after_unlock(
    locked: VaultService, drop: RequestDrop
) -> None:
    db = locked.data_dir.database
    assert drop.new_count() == 0
    urgent, _ = canary_request("URG", URGENT_NOW, minutes_ago=5)
    routine, _ = canary_request("ROU", ROUTINE, minutes_ago=120)
    anonymous = OfficerRequest(urgency=WITHIN_24H, message="no name, no contact",
                               submitted_at=NOW - 30 * timedelta(minutes=1))
    sent = {drop.submit(r).request_id: r for r in (urgent, routine, anonymous)}
    assert drop.new_count() == 3
    # waiting: only the sealed envelope, nothing under the data key yet
    assert request_rows(db) == [(i, 1, 1, 0) for i in sorted(sent)]
    for request_id, envelope in raw_query(db, "SELECT id, envelope FROM follow_request"):
        assert isinstance(envelope, bytes)
        header = request_seal.read_header(envelope)
        assert header.request_id == request_id

    with unlocked(locked) as vault:
        assert vault.request_key_status == "ok"
        report = vault.requests().receive_pending()
        assert {r.id for r in report.opened} == set(sent)
        assert report.unreadable == [] and report.urgent == 1
        for record in report.opened:
            same_request(record.request, sent[record.id])
            assert (record.state, record.seen, record.received_at) == (OPEN, False, NOW)
            assert vault.requests().get(record.id) == record
        inbox = vault.requests().inbox()
        assert [sent[r.id] for r in inbox.requests] == [urgent, anonymous, routine]
        assert (inbox.open_count(), inbox.unseen_count(), inbox.damaged) == (3, 3, [])
        # opened: sealed under the data key, the envelope dropped, still new
        assert request_rows(db) == [(i, 1, 0, 1) for i in sorted(sent)]
        assert {r[0] for r in raw_query(db, "SELECT key_id FROM follow_request")} == {
            vault.key_id}
        assert drop.new_count() == 3  # another process counts while the vault is open

        first = inbox.requests[0].id
        assert vault.requests().mark_seen(first).seen
        assert drop.new_count() == 2
        assert vault.requests().mark_seen(first).seen  # twice is harmless
        assert drop.new_count() == 2
        assert vault.requests().inbox().unseen_count() == 2
    assert drop.new_count() == 2  # while locked too

    with unlocked(locked) as vault:
        assert vault.requests().get(first).seen
        again = vault.requests().receive_pending()
        assert (again.opened, again.unreadable) == ([], [])
        assert len(vault.requests().inbox().requests) == 3


def test_receiving_with_nothing_waiting_writes_nothing(vault: UnlockedVault) -> None:
    vault.checkpoint()
    before = files_digest(vault.data_dir)
    report = vault.requests().receive_pending()
    assert (report.opened, report.unreadable, report.urgent) == ([], [], 0)
    assert vault.requests().inbox().requests == []
    assert files_digest(vault.data_dir) == before


def test_a_request_sent_while_the_vault_is_open_waits_for_receive_pending(
    vault: UnlockedVault, drop: RequestDrop
) -> None:
    vault.followup_policy = FollowupPolicy(zone="America/Chicago", clock=FakeClock())
    request, _ = canary_request("OPEN")
    receipt = drop.submit(request)
    assert vault.requests().inbox().damaged == [receipt.request_id]  # not opened yet
    assert [r.id for r in vault.requests().receive_pending().opened] == [receipt.request_id]
    same_request(vault.requests().get(receipt.request_id).request, request)
    assert vault.requests().inbox().damaged == []


def test_the_receipt_is_a_reference_code(locked: VaultService, drop: RequestDrop) -> None:
    receipt = drop.submit(OfficerRequest(submitted_at=NOW))
    assert len(receipt.request_id) == 26
    assert receipt.reference == f"{receipt.request_id[:4]}-{receipt.request_id[4:8]}"
    with unlocked(locked) as vault:
        (record,) = vault.requests().receive_pending().opened
        assert record.reference == receipt.reference


# -- the request path holds no key ----------------------------------------------------------------
FORBIDDEN_TYPES: tuple[type, ...] = (SecretKey, X25519PrivateKey, PrivateKeyBytes, FieldCipher,
                                     UnlockedVault, RowSealer, AESGCM, VaultSecretRepository,
                                     RequestRepository)
_LEAVES = (str, bytes, bytearray, memoryview, int, float, complex, bool, type(None))


def reachable(root: object, max_depth: int = 10) -> list[object]:
    """Every object reachable from ``root`` through attributes (``__dict__`` and
    ``__slots__``), containers, bound methods and closures, to a bounded depth."""
    seen: set[int] = set()
    found: list[object] = []
    stack: list[tuple[object, int]] = [(root, 0)]
    while stack:
        obj, depth = stack.pop()
        if id(obj) in seen:
            continue
        seen.add(id(obj))
        found.append(obj)
        if depth >= max_depth or isinstance(obj, (*_LEAVES, types.ModuleType, type)):
            continue
        children: list[object] = []
        if isinstance(obj, dict):
            children += [*obj.keys(), *obj.values()]
        elif isinstance(obj, list | tuple | set | frozenset):
            children += list(obj)
        if isinstance(obj, types.MethodType):
            children.append(obj.__self__)
            obj = obj.__func__
        if isinstance(obj, types.FunctionType):
            children += [c.cell_contents for c in obj.__closure__ or ()
                         if c.cell_contents is not None]
            children += list(obj.__defaults__ or ())
            children += list((obj.__kwdefaults__ or {}).values())
        elif hasattr(obj, "__dict__"):
            children += list(vars(obj).values())
        for cls in type(obj).__mro__:
            slots = cls.__dict__.get("__slots__", ())
            for name in (slots,) if isinstance(slots, str) else slots:
                if name not in ("__dict__", "__weakref__") and hasattr(obj, name):
                    children.append(getattr(obj, name))
        stack.extend((child, depth + 1) for child in children)
    return found


def key_material_in(root: object, secrets: list[bytes]) -> list[str]:
    problems = []
    for obj in reachable(root):
        if isinstance(obj, FORBIDDEN_TYPES):
            problems.append(type(obj).__name__)
        if isinstance(obj, bytes | bytearray | memoryview):
            data = bytes(obj)
            for secret in secrets:
                if secret in data or secret.hex().encode() in data:
                    problems.append(f"key bytes in a {type(obj).__name__}")
        if isinstance(obj, str):
            problems += ["key hex in a str" for s in secrets if s.hex() in obj.lower()]
    return problems


def test_the_walker_finds_keys_wherever_they_are_held() -> None:
    secret = os.urandom(32)
    hidden = types.SimpleNamespace(inner=[{"k": (SecretKey(secret),)}])
    assert key_material_in(hidden, []) == ["SecretKey"]
    assert key_material_in({"a": [b"x" + secret]}, [secret]) == ["key bytes in a bytes"]
    assert key_material_in([secret.hex()], [secret]) == ["key hex in a str"]
    slotted = DataDir(Path("/tmp"))
    assert any(isinstance(o, Path) for o in reachable(slotted))  # __slots__ are followed
    held = bytearray(secret)
    assert key_material_in(types.SimpleNamespace(get=lambda: held), [secret])  # closures
    assert key_material_in(PrivateKeyBytes(secret), []) == ["PrivateKeyBytes"]


def test_the_request_path_holds_no_private_or_data_key(
    vault: UnlockedVault, monkeypatch: pytest.MonkeyPatch
) -> None:
    data_key = vault.data_key.raw()
    private = private_key_of(vault)
    public = vault.requests().card().public_key
    assert public_key_of(private) == public
    data_dir = vault.data_dir
    vault.lock()

    def forbidden(name: str) -> Callable[..., Any]:
        def refuse(*args: object, **kwargs: object) -> Any:
            raise AssertionError(f"the request path called {name}")
        return refuse

    targets: list[tuple[Any, str, str]] = [
        (keyslots, "unwrap_with_passphrase", "keyslots"),
        (keyslots, "unwrap_with_recovery", "keyslots"), (kdf, "derive_kek", "kdf"),
        (request_seal, "open_request", "request_seal"),
        (RequestRepository, "private_key_hex", "RequestRepository"),
        (VaultSecretRepository, "get", "VaultSecretRepository"),
    ]
    for target, name, label in targets:
        monkeypatch.setattr(target, name, forbidden(f"{label}.{name}"))
    for cls in (SecretKey, FieldCipher, RowSealer):
        monkeypatch.setattr(cls, "__init__", forbidden(f"{cls.__name__}()"))

    drop = RequestDrop(data_dir)
    card = drop.card()
    assert (card.vault_id, card.public_key) == (vault.vault_id, public)
    assert drop.new_count() == 0
    request, _ = canary_request("NOKEY")
    receipt = drop.submit(request)
    assert drop.new_count() == 1
    assert drop.wait_seconds() == 0
    assert drop.notice()  # the public notice, read without any key
    for root in (drop, card, receipt):
        assert key_material_in(root, [private, data_key]) == [], root
    assert len(reachable(drop)) > 5  # the walk really went into the drop

    monkeypatch.undo()
    with unlocked(VaultService(data_dir, FAST_TEST_PROFILE)) as opened:
        (record,) = opened.requests().receive_pending().opened
        assert record.id == receipt.request_id
        same_request(record.request, request)


# -- canaries on disk -----------------------------------------------------------------------------
def test_no_request_text_on_disk_at_any_stage(
    locked: VaultService, drop: RequestDrop, recovery: tuple[SecretKey, str]
) -> None:
    root = locked.data_dir.root
    db = locked.data_dir.database
    with unlocked(locked) as vault:
        data_key = vault.data_key.raw()
        private = private_key_of(vault)
        card = vault.requests().card()
    secrets = [PASSPHRASE, recovery[1]]

    def assert_clean(stage: str, canaries: list[str]) -> None:
        hits = scan(root, [*canaries, *secrets])
        assert hits == [], (stage, [str(h) for h in hits])
        for path in (p for p in root.rglob("*") if p.is_file()):
            content = path.read_bytes()
            for key in (data_key, private):
                assert key not in content and key.hex().encode() not in content, (stage, path)

    first, c1 = canary_request("ONE", URGENT_NOW)
    second, c2 = canary_request("TWO", WITHIN_24H)
    receipts = [drop.submit(first), drop.submit(second)]
    canaries = c1 + c2
    assert_clean("submitted while locked", canaries)
    for (envelope,) in raw_query(db, "SELECT envelope FROM follow_request"):
        assert isinstance(envelope, bytes)
        assert scan_bytes(envelope, canaries) == []

    with unlocked(locked) as vault:
        assert len(vault.requests().receive_pending().opened) == 2
    assert_clean("opened at unlock", canaries)

    third, c3 = canary_request("FILE")
    _, psreq = seal_for_card(card, third)
    assert scan_bytes(psreq, c3) == []
    assert bytes(private) not in psreq and data_key not in psreq
    canaries += c3
    with unlocked(locked) as vault:
        imported = vault.requests().import_file(psreq)
    assert_clean("imported", canaries)

    officer_canaries = [new_canary(part) for part in ("ALIAS", "NAME", "CONTACT", "NOTES")]
    accept_note = new_canary("ACCEPTNOTE")
    close_note = new_canary("CLOSENOTE")
    officer = Officer(alias=officer_canaries[0], full_name=f"Sgt. {officer_canaries[1]}",
                      contact=f"{officer_canaries[2]}@example.invalid",
                      notes=officer_canaries[3])
    canaries += [*officer_canaries, accept_note]
    with unlocked(locked) as vault:
        vault.requests().accept(receipts[0].request_id, NOW + 2 * H, new_officer=officer,
                                note=accept_note)
    assert_clean("accepted", canaries)

    canaries.append(close_note)
    with unlocked(locked) as vault:
        vault.requests().close(receipts[1].request_id, close_note)
    assert_clean("closed", canaries)

    # control: everything above is really stored, and readable with the key
    with unlocked(locked) as vault:
        service = vault.requests()
        accepted = service.get(receipts[0].request_id)
        assert (accepted.state, accepted.note) == (ACCEPTED, accept_note)
        assert vault.list_officers().officers[0].alias == officer_canaries[0]
        assert accepted.officer_id == officer.id
        closed = service.get(receipts[1].request_id)
        assert (closed.state, closed.note) == (CLOSED, close_note)
        same_request(service.get(imported.id).request, replace(third, via=VIA_FILE))
        same_request(accepted.request, first)


# -- importing .psreq files -----------------------------------------------------------------------
@dataclass
class ImportContext:
    vault: UnlockedVault
    card: RequestCard
    good: bytes  # already imported once
    other_card: RequestCard  # another vault's
    canaries: list[str]


def _seal(ctx: ImportContext, payload: bytes, card: RequestCard | None = None) -> bytes:
    card = card or ctx.card
    return request_seal.seal_request(card.public_key, card.vault_id, uuid.uuid4().hex, payload)


def _fresh(ctx: ImportContext) -> bytes:
    request, canaries = canary_request("FRESH")
    ctx.canaries += canaries
    return seal_for_card(ctx.card, request)[1]


def _nonce_digit_changed(ctx: ImportContext) -> bytes:
    data = _fresh(ctx)
    start = data.index(b'"nonce":"') + len(b'"nonce":"')
    digit = data[start : start + 1]
    return data[:start] + (b"1" if digit != b"1" else b"2") + data[start + 1 :]


def _version(ctx: ImportContext, version: int) -> bytes:
    data = _fresh(ctx)
    return data[:8] + struct.pack(">H", version) + data[10:]


def _urgency_canary(ctx: ImportContext) -> bytes:
    leak = new_canary("URGENCY")
    ctx.canaries.append(leak[:20])  # the error once quoted the first 20 characters back
    return _seal(ctx, crafted_payload(urgency=leak))


IMPORT_REFUSALS: dict[str, tuple[Callable[[ImportContext], bytes], type[Exception], str]] = {
    "ciphertext-byte-flipped": (lambda c: flipped(_fresh(c), -40), TamperError,
                                "integrity check"),
    "tag-byte-flipped": (lambda c: flipped(_fresh(c), -1), TamperError, "integrity check"),
    "header-nonce-digit-changed": (_nonce_digit_changed, TamperError, "integrity check"),
    "header-byte-flipped": (lambda c: flipped(_fresh(c), 12 + 5), RequestFormatError,
                            "not a whole"),
    "header-length-changed": (lambda c: flipped(_fresh(c), 11), RequestFormatError,
                              "not a whole"),
    "last-10-bytes-cut": (lambda c: _fresh(c)[:-10], RequestFormatError, "not a whole"),
    "cut-inside-header": (lambda c: _fresh(c)[: 12 + header_length(c.good) // 2],
                          RequestFormatError, "not a whole"),
    "cut-inside-preamble": (lambda c: _fresh(c)[:11], RequestFormatError, "not a whole"),
    "other-vaults-card": (lambda c: seal_for_card(c.other_card, canary_request("X")[0])[1],
                          RequestWrongVaultError, "another peer supporter's vault"),
    "this-vault-id-other-key": (
        lambda c: seal_for_card(RequestCard(c.card.vault_id, c.other_card.public_key, ""),
                                canary_request("Y")[0])[1],
        TamperError, "integrity check"),
    "duplicate": (lambda c: c.good, DuplicateRequestError, "Already imported"),
    "duplicate-resealed": (lambda c: request_seal.seal_request(
        c.card.public_key, c.card.vault_id, request_seal.read_header(c.good).request_id,
        crafted_payload()), DuplicateRequestError, "Already imported"),
    "over-64-KiB": (lambda c: c.good + bytes(MAX_FILE_BYTES), RequestTooLargeError,
                    "too large"),
    "one-byte-over": (lambda c: bytes(MAX_FILE_BYTES + 1), RequestTooLargeError, "too large"),
    "version-2": (lambda c: _version(c, 2), RequestVersionError, "newer version"),
    "version-0": (lambda c: _version(c, 0), RequestVersionError, "newer version"),
    "random-bytes": (lambda c: os.urandom(500), RequestFormatError, "not a whole"),
    "json": (lambda c: b'{"urgency": "urgent_now", "message": "call me"}', RequestFormatError,
             "not a whole"),
    "empty": (lambda c: b"", RequestFormatError, "not a whole"),
    "sealed-but-not-json": (lambda c: _seal(c, b"not a request"), RequestFormatError,
                            "not a whole"),
    "sealed-unknown-urgency": (_urgency_canary, RequestFormatError, "not a whole"),
    "sealed-impossible-time": (
        lambda c: _seal(c, crafted_payload(submitted_at="9999-12-31T23:59:59-05:00")),
        RequestFormatError, "not a whole"),
    "sealed-time-before-year-1": (
        lambda c: _seal(c, crafted_payload(submitted_at="0001-01-01T00:00:00+05:00")),
        RequestFormatError, "not a whole"),
}


@pytest.mark.parametrize("case", sorted(IMPORT_REFUSALS))
def test_a_refused_import_writes_nothing_and_is_explained_without_content(
    vault: UnlockedVault, tmp_path: Path, case: str
) -> None:
    vault.followup_policy = FollowupPolicy(zone="America/Chicago", clock=FakeClock())
    other_service = VaultService(ensure(tmp_path / "other"), FAST_TEST_PROFILE)
    other = other_service.create("another passphrase entirely", SecretKey(os.urandom(16)))
    try:
        other_card = other.requests().card()
    finally:
        other.lock()
    card = vault.requests().card()
    request, canaries = canary_request("GOOD")
    _, good = seal_for_card(card, request)
    imported = vault.requests().import_file(good)
    ctx = ImportContext(vault, card, good, other_card, list(canaries))
    make, error, phrase = IMPORT_REFUSALS[case]
    data = make(ctx)

    db = vault.data_dir.database
    vault.checkpoint()
    rows, digest = request_rows(db), files_digest(vault.data_dir)
    with pytest.raises(error) as caught:
        vault.requests().import_file(data)
    assert request_rows(db) == rows
    assert files_digest(vault.data_dir) == digest
    assert [r.id for r in vault.requests().inbox().requests] == [imported.id]

    message = request_error_message(caught.value)
    assert phrase in message
    assert message.endswith(".") and "\n" not in message and message[0].isupper()
    assert "could not be imported" not in message  # not the catch-all
    assert scan_bytes(message.encode(), ctx.canaries) == []
    assert card.public_key.hex() not in message


def test_an_imported_file_is_read_in_full(vault: UnlockedVault) -> None:
    vault.followup_policy = FollowupPolicy(zone="America/Chicago", clock=FakeClock())
    request, _ = canary_request("IMP", WITHIN_24H)
    receipt, data = seal_for_card(vault.requests().card(), request)
    record = vault.requests().import_file(data)
    assert record.id == receipt.request_id
    same_request(record.request, replace(request, via=VIA_FILE))  # however it was written
    assert (record.state, record.seen, record.received_at) == (OPEN, False, NOW)
    assert vault.requests().get(record.id) == record
    assert request_rows(vault.data_dir.database) == [(record.id, 1, 0, 1)]


def test_request_error_message_for_other_failures() -> None:
    assert request_error_message(VaultCorruptError("x")) == "The vault file cannot be read."
    assert request_error_message(KeyError("secret text")) == (
        "The request could not be imported (KeyError).")


# -- damaged requests -----------------------------------------------------------------------------
def test_an_edited_waiting_request_is_reported_and_the_others_open(
    locked: VaultService, drop: RequestDrop
) -> None:
    db = locked.data_dir.database
    ids = [drop.submit(canary_request(f"W{i}")[0]).request_id for i in range(3)]
    damaged = ids[1]
    envelope = raw_one(db, "SELECT envelope FROM follow_request WHERE id = ?", [damaged])
    raw_execute(db, "UPDATE follow_request SET envelope = ? WHERE id = ?",
                [flipped(envelope, -30), damaged])
    assert drop.new_count() == 3

    with unlocked(locked) as vault:
        report = vault.requests().receive_pending()
        assert report.unreadable == [damaged]
        assert sorted(r.id for r in report.opened) == sorted(i for i in ids if i != damaged)
        assert drop.new_count() == 2  # the damaged one is no longer counted as new
        inbox = vault.requests().inbox()
        assert inbox.damaged == [damaged]
        assert sorted(r.id for r in inbox.requests) == sorted(i for i in ids if i != damaged)
        with pytest.raises(RecordNotFoundError):
            vault.requests().get(damaged)
        # it stays as it was, to be deleted by the supporter
        assert raw_one(db, "SELECT envelope FROM follow_request WHERE id = ?", [damaged]) == (
            flipped(envelope, -30))
        assert vault.requests().receive_pending().unreadable == [damaged]
        assert vault.requests().delete(damaged)
        assert vault.requests().inbox().damaged == []


def test_a_waiting_request_moved_to_another_row_is_unreadable(
    locked: VaultService, drop: RequestDrop
) -> None:
    db = locked.data_dir.database
    first, second = (drop.submit(canary_request(f"M{i}")[0]).request_id for i in range(2))
    envelope = raw_one(db, "SELECT envelope FROM follow_request WHERE id = ?", [first])
    raw_execute(db, "UPDATE follow_request SET envelope = ? WHERE id = ?", [envelope, second])
    with unlocked(locked) as vault:
        report = vault.requests().receive_pending()
        assert [r.id for r in report.opened] == [first]
        assert report.unreadable == [second]


@pytest.mark.parametrize("payload", [
    crafted_payload(submitted_at="9999-12-31T23:59:59-05:00"),
    crafted_payload(submitted_at="0001-01-01T00:00:00+05:00"),
    crafted_payload(urgency="soonish"),
    b"\x00not json",
])
def test_a_crafted_waiting_request_is_unreadable_not_a_crash(
    locked: VaultService, drop: RequestDrop, payload: bytes
) -> None:
    """Anyone with the card can seal any payload; one the vault cannot use must not stop the
    other requests from opening."""
    db = locked.data_dir.database
    card = drop.card()
    good = drop.submit(canary_request("OK")[0]).request_id
    crafted = "crafted-0001"
    envelope = request_seal.seal_request(card.public_key, card.vault_id, crafted, payload)
    raw_execute(db, "INSERT INTO follow_request (id, vault_id, is_new, envelope) "
                    "VALUES (?, ?, 1, ?)", [crafted, card.vault_id, envelope])
    with unlocked(locked) as vault:
        report = vault.requests().receive_pending()
        assert [r.id for r in report.opened] == [good]
        assert report.unreadable == [crafted]
        assert vault.requests().inbox().damaged == [crafted]


# -- the request key pair -------------------------------------------------------------------------
def test_request_keys_are_made_once_then_checked(
    service: VaultService, vault: UnlockedVault
) -> None:
    assert vault.request_key_status == "created"
    card = vault.requests().card()
    assert card.vault_id == vault.vault_id and len(card.public_key) == 32
    assert public_key_of(private_key_of(vault)) == card.public_key
    assert raw_one(service.data_dir.database,
                   "SELECT public_key FROM request_key") == card.public_key
    vault.lock()
    for _ in range(2):
        with unlocked(service) as opened:
            assert opened.request_key_status == "ok"
            assert opened.requests().card() == card


def test_a_replaced_public_key_is_put_back_at_unlock(
    locked: VaultService, drop: RequestDrop
) -> None:
    db = locked.data_dir.database
    genuine = drop.card().public_key
    _, attacker_public = request_seal.generate_keypair()
    raw_execute(db, "UPDATE request_key SET public_key = ?", [attacker_public])
    # while locked the keyless path cannot tell: a request now goes to the attacker's key
    assert drop.card().public_key == attacker_public
    misdirected = drop.submit(canary_request("MIS")[0]).request_id

    with unlocked(locked) as vault:
        assert vault.request_key_status == "restored"
        assert raw_one(db, "SELECT public_key FROM request_key") == genuine
        assert vault.requests().card().public_key == genuine
        report = vault.requests().receive_pending()
        assert report.unreadable == [misdirected]  # the supporter is told it is unreadable
    assert drop.card().public_key == genuine
    request, _ = canary_request("AFTER")
    after = drop.submit(request).request_id
    with unlocked(locked) as vault:
        assert vault.request_key_status == "ok"
        (record,) = vault.requests().receive_pending().opened
        assert record.id == after
        same_request(record.request, request)


@pytest.mark.parametrize("sql, params", [
    ("UPDATE request_key SET public_key = ?", ["not a key"]),
    ("UPDATE request_key SET public_key = ?", [bytes(31)]),
    ("UPDATE request_key SET public_key = ?", [bytes(32)]),  # a low-order point
    ("UPDATE request_key SET public_key = NULL", []),
    ("DELETE FROM request_key", []),
], ids=["text", "31-bytes", "zero-key", "null", "deleted"])
def test_a_damaged_public_key_stops_requests_and_is_repaired_at_unlock(
    locked: VaultService, drop: RequestDrop, sql: str, params: list[object]
) -> None:
    db = locked.data_dir.database
    genuine = drop.card().public_key
    with contextlib.suppress(Exception):  # NOT NULL may refuse the NULL: then nothing changed
        raw_execute(db, sql, params)
    changed = raw_query(db, "SELECT public_key FROM request_key") != [(genuine,)]
    if changed:
        rows = request_rows(db)
        with pytest.raises(RequestsUnavailableError):
            drop.submit(canary_request("DMG")[0])
        assert request_rows(db) == rows
    with unlocked(locked) as vault:
        assert vault.request_key_status == ("restored" if changed else "ok")
    assert raw_query(db, "SELECT public_key FROM request_key") == [(genuine,)]
    request, _ = canary_request("FIXED")
    drop.submit(request)
    with unlocked(locked) as vault:
        (record,) = vault.requests().receive_pending().opened
        same_request(record.request, request)


def test_a_damaged_private_key_is_replaced(locked: VaultService, drop: RequestDrop) -> None:
    db = locked.data_dir.database
    old_public = drop.card().public_key
    before = drop.submit(canary_request("OLD")[0]).request_id
    sealed = raw_one(db, "SELECT value_sealed FROM vault_secret WHERE id = ?",
                     [PRIVATE_KEY_SECRET])
    raw_execute(db, "UPDATE vault_secret SET value_sealed = ? WHERE id = ?",
                [flipped(sealed, 20), PRIVATE_KEY_SECRET])

    with unlocked(locked) as vault:
        assert vault.request_key_status == "replaced"
        new_public = vault.requests().card().public_key
        assert new_public != old_public
        assert raw_one(db, "SELECT public_key FROM request_key") == new_public
        assert public_key_of(private_key_of(vault)) == new_public
        assert vault.requests().receive_pending().unreadable == [before]
    request, _ = canary_request("NEW")
    drop.submit(request)
    with unlocked(locked) as vault:
        assert vault.request_key_status == "ok"
        (record,) = vault.requests().receive_pending().opened
        same_request(record.request, request)


def test_the_display_name_is_on_the_card_even_while_locked(
    service: VaultService, vault: UnlockedVault, drop: RequestDrop
) -> None:
    card = vault.requests().set_display_name("  Sgt.\n  Rivera ")
    assert card.display_name == "Sgt. Rivera"
    assert vault.requests().card() == card
    with pytest.raises(ValueError, match="at most 80"):
        vault.requests().set_display_name("x" * 81)
    vault.lock()
    assert drop.card() == card
    with unlocked(service) as opened:
        assert opened.request_key_status == "ok"
        assert opened.requests().card().display_name == "Sgt. Rivera"


# -- accepting and closing ------------------------------------------------------------------------
def make_checkin(officer: Officer, when: datetime) -> CheckIn:
    return CheckIn(occurred_at=when, officer_id=officer.id, incident_category="fatal_collision",
                   contact_type="follow_up", initiated_by="self", recipient_class="sworn",
                   duration_minutes=20)


@pytest.fixture
def clock(vault: UnlockedVault) -> FakeClock:
    fake = FakeClock()
    vault.followup_policy = FollowupPolicy(zone="America/Chicago", clock=fake)
    return fake


def received(vault: UnlockedVault, label: str = "R", urgency: str = WITHIN_24H,
             ) -> tuple[ReceivedRequest, OfficerRequest]:
    request, _ = canary_request(label, urgency)
    _, data = seal_for_card(vault.requests().card(), request)
    return vault.requests().import_file(data), request


def requested_items(vault: UnlockedVault) -> list[tuple[str, str, str, datetime, bool]]:
    board = vault.followups().board()
    found = []
    for group in ("overdue", "today", "this_week", "later"):
        for row in range(board.count(group)):
            item = board.item(group, row)
            found.append((group, item.plan_id, item.label, item.due, item.is_milestone))
    return found


def test_accept_with_a_new_officer_schedules_the_requested_follow_up(
    vault: UnlockedVault, clock: FakeClock
) -> None:
    record, _ = received(vault)
    when = datetime(2026, 2, 10, 14, 0, tzinfo=CHICAGO)
    alias = new_canary("ALIAS")
    officer = Officer(alias=alias, full_name="Dána Ñúñez")
    clock.now = NOW + 5 * timedelta(minutes=1)
    accepted = vault.requests().accept(record.id, when, new_officer=officer, note=" thanks ")
    assert (accepted.state, accepted.seen, accepted.officer_id) == (ACCEPTED, True, officer.id)
    assert (accepted.follow_up_at, accepted.note, accepted.handled_at) == (
        when, "thanks", clock.now)
    assert accepted.plan_id
    assert vault.requests().get(record.id) == accepted
    assert [o.alias for o in vault.list_officers().officers] == [alias]
    vault.checkpoint()
    assert scan(vault.data_dir.root, [alias]) == []  # the new officer is sealed too

    assert requested_items(vault) == [
        ("today", accepted.plan_id, "Requested follow-up", when.astimezone(UTC), True)]
    steps = vault.followups().steps(accepted.plan_id)
    assert [(s.kind, s.label, s.state, s.due) for s in steps] == [
        (MILESTONE, "Requested follow-up", PENDING, when.astimezone(UTC))]
    assert vault.followups().plan(accepted.plan_id).officer_id == officer.id


def test_a_check_in_with_the_officer_covers_the_requested_follow_up(
    vault: UnlockedVault, clock: FakeClock
) -> None:
    officer, bystander = Officer(alias="Rivera"), Officer(alias="Someone else")
    vault.add_officer(officer)
    vault.add_officer(bystander)
    record, _ = received(vault)
    accepted = vault.requests().accept(record.id, NOW + 5 * H, officer_id=officer.id)
    checkins = vault.checkins()
    # a check-in with another officer leaves it pending
    checkins.save(make_checkin(bystander, NOW + H))
    assert [i[2] for i in requested_items(vault)] == ["Requested follow-up"]
    clock.now = NOW + 2 * H
    checkin = make_checkin(officer, NOW + 2 * H)
    checkins.save(checkin)
    (step,) = vault.followups().steps(accepted.plan_id)
    assert (step.state, step.checkin_id) == (COVERED, checkin.id)
    assert requested_items(vault) == []
    assert vault.requests().get(record.id).state == ACCEPTED


def test_accept_with_an_existing_officer(vault: UnlockedVault, clock: FakeClock) -> None:
    officer = Officer(alias="Rivera")
    vault.add_officer(officer)
    record, _ = received(vault, urgency=URGENT_NOW)
    suggested = vault.requests().suggested_time(record)
    accepted = vault.requests().accept(record.id, suggested, officer_id=officer.id)
    assert accepted.officer_id == officer.id and accepted.follow_up_at == NOW
    assert [o.id for o in vault.list_officers().officers] == [officer.id]
    assert [i[:3] for i in requested_items(vault)] == [
        ("today", accepted.plan_id, "Requested follow-up")]


def test_a_request_is_accepted_or_closed_only_once(
    vault: UnlockedVault, clock: FakeClock
) -> None:
    officer = Officer(alias="Rivera")
    vault.add_officer(officer)
    first, _ = received(vault, "A")
    second, _ = received(vault, "B")
    service = vault.requests()
    service.accept(first.id, NOW + H, officer_id=officer.id)
    service.close(second.id, "handled by phone")
    db = vault.data_dir.database
    vault.checkpoint()
    digest = files_digest(vault.data_dir)
    attempts: list[Callable[[], object]] = [
        lambda: service.accept(first.id, NOW + 2 * H, officer_id=officer.id),
        lambda: service.accept(first.id, NOW + 2 * H, new_officer=Officer(alias="New")),
        lambda: service.close(first.id, "again"),
        lambda: service.close(second.id, "again"),
        lambda: service.accept(second.id, NOW + H, officer_id=officer.id),
    ]
    for attempt in attempts:
        with pytest.raises(RequestInputError, match="already handled"):
            attempt()
    assert files_digest(vault.data_dir) == digest
    assert count(db, "officer") == 1 and count(db, "followup_plan") == 1
    assert service.get(first.id).follow_up_at == NOW + H
    assert service.get(second.id).note == "handled by phone"


def test_accept_refuses_an_unknown_officer_and_writes_nothing(
    vault: UnlockedVault, clock: FakeClock
) -> None:
    record, _ = received(vault)
    vault.checkpoint()
    digest = files_digest(vault.data_dir)
    with pytest.raises(RecordNotFoundError):
        vault.requests().accept(record.id, NOW + H, officer_id=str(uuid.uuid4()))
    assert files_digest(vault.data_dir) == digest
    assert vault.requests().get(record.id).state == OPEN
    assert count(vault.data_dir.database, "followup_plan") == 0
    assert requested_items(vault) == []


def test_accept_and_close_check_their_arguments(vault: UnlockedVault, clock: FakeClock) -> None:
    record, _ = received(vault)
    officer = Officer(alias="Rivera")
    vault.add_officer(officer)
    service = vault.requests()
    vault.checkpoint()
    digest = files_digest(vault.data_dir)
    with pytest.raises(ValueError, match="existing officer or a new one"):
        service.accept(record.id, NOW + H)
    with pytest.raises(ValueError, match="existing officer or a new one"):
        service.accept(record.id, NOW + H, officer_id=officer.id, new_officer=Officer(alias="x"))
    with pytest.raises(RequestInputError, match="time zone"):
        service.accept(record.id, datetime(2026, 2, 11, 9, 0), officer_id=officer.id)
    with pytest.raises(RequestInputError, match="at most 2,000"):
        service.accept(record.id, NOW + H, officer_id=officer.id, note="x" * 2001)
    with pytest.raises(RequestInputError, match="at most 2,000"):
        service.close(record.id, "x" * 2001)
    with pytest.raises(RecordNotFoundError):
        service.close("no-such-request", "note")
    with pytest.raises(RecordNotFoundError):
        service.mark_seen("no-such-request")
    assert files_digest(vault.data_dir) == digest
    assert service.get(record.id).state == OPEN


def test_close_keeps_the_note_sealed(
    service: VaultService, vault: UnlockedVault, clock: FakeClock
) -> None:
    record, request = received(vault)
    note = new_canary("NOTE") + "\nCalled back at once; no follow-up wanted."
    clock.now = NOW + 10 * timedelta(minutes=1)
    closed = vault.requests().close(record.id, f"  {note}  ")
    assert (closed.state, closed.seen, closed.note, closed.handled_at) == (
        CLOSED, True, note, clock.now)
    assert (closed.officer_id, closed.plan_id, closed.follow_up_at) == ("", "", None)
    assert count(vault.data_dir.database, "followup_plan") == 0
    vault.lock()
    assert scan(service.data_dir.root, [note.split("\n")[0]]) == []
    with unlocked(service) as opened:
        again = opened.requests().get(record.id)
        assert again == closed
        same_request(again.request, replace(request, via=VIA_FILE))
        inbox = opened.requests().inbox()
        assert (inbox.open_count(), inbox.unseen_count()) == (0, 0)


def test_delete(vault: UnlockedVault, clock: FakeClock) -> None:
    record, _ = received(vault)
    assert vault.requests().delete(record.id)
    with pytest.raises(RecordNotFoundError):
        vault.requests().get(record.id)
    assert not vault.requests().delete(record.id)
    assert count(vault.data_dir.database, "follow_request") == 0


# -- suggested follow-up times --------------------------------------------------------------------
def _record(urgency: str, submitted_at: datetime) -> ReceivedRequest:
    return ReceivedRequest(id="r", request=OfficerRequest(urgency=urgency,
                                                          submitted_at=submitted_at),
                           received_at=submitted_at)


@pytest.mark.parametrize("now, urgency, submitted_at, zone, expected", [
    # urgent: now, to the minute
    (NOW + timedelta(seconds=42), URGENT_NOW, NOW - H, None, NOW),
    # within 24 hours: four hours on...
    (NOW + timedelta(seconds=42), WITHIN_24H, NOW - H, None, NOW + 4 * H),
    # ...but never after the 24 hours asked for...
    (NOW, WITHIN_24H, NOW - 22 * H, None, NOW + 2 * H),
    # ...and never in the past when those 24 hours are over
    (NOW, WITHIN_24H, NOW - 30 * H, None, NOW),
    # routine: the next morning at 09:00, local time (Chicago)
    (NOW, ROUTINE, NOW - H, None, datetime(2026, 2, 11, 9, 0, tzinfo=CHICAGO)),
    # 23:30 in Chicago is already the next day in UTC: still the next *local* morning
    (datetime(2026, 2, 11, 5, 30, tzinfo=UTC), ROUTINE, NOW, None,
     datetime(2026, 2, 11, 9, 0, tzinfo=CHICAGO)),
    # the next morning is the first day of daylight saving time: 09:00 CDT
    (datetime(2026, 3, 8, 2, 0, tzinfo=UTC), ROUTINE, NOW, None,
     datetime(2026, 3, 8, 14, 0, tzinfo=UTC)),
    # a zone passed in wins over the policy's
    (NOW, ROUTINE, NOW - H, ZoneInfo("Europe/Berlin"),
     datetime(2026, 2, 11, 8, 0, tzinfo=UTC)),
], ids=["urgent", "24h-four-hours", "24h-deadline", "24h-overdue", "routine",
        "routine-late-evening", "routine-dst", "routine-zone"])
def test_suggested_time(vault: UnlockedVault, now: datetime, urgency: str,
                        submitted_at: datetime, zone: ZoneInfo | None,
                        expected: datetime) -> None:
    vault.followup_policy = FollowupPolicy(clock=lambda: now, zone="America/Chicago")
    suggested = vault.requests().suggested_time(_record(urgency, submitted_at), zone)
    assert suggested == expected
    assert suggested.utcoffset() is not None
    if urgency == ROUTINE:
        local = suggested.astimezone(zone or CHICAGO)
        assert (local.hour, local.minute) == (9, 0)
        assert local.date() > now.astimezone(zone or CHICAGO).date()


# -- flood protection -----------------------------------------------------------------------------
def test_rate_limiter_window() -> None:
    limiter = RateLimiter(per_minute=2)
    assert limiter.wait_seconds(0.0) == 0
    limiter.record(0.0)
    assert limiter.wait_seconds(1.0) == 0
    limiter.record(1.0)
    assert limiter.wait_seconds(2.0) == 58
    assert limiter.wait_seconds(30.5) == 30  # 29.5 s, rounded up
    assert limiter.wait_seconds(59.5) == 1
    assert limiter.wait_seconds(60.0) == 0  # the first one is a minute old
    limiter.record(60.0)
    assert limiter.wait_seconds(60.5) == 1  # the one at 1.0 is still inside the minute
    assert limiter.wait_seconds(61.0) == 0
    assert RateLimiter(per_minute=0).per_minute == 1


def test_request_drop_refuses_a_flood_and_writes_nothing(locked: VaultService) -> None:
    db = locked.data_dir.database
    now = [1000.0]
    drop = RequestDrop(locked.data_dir, per_minute=2, monotonic=lambda: now[0])
    drop.submit(canary_request("F1")[0])
    now[0] += 1
    drop.submit(canary_request("F2")[0])
    rows, digest = request_rows(db), files_digest(locked.data_dir)
    with pytest.raises(RequestFloodError) as caught:
        drop.submit(canary_request("F3")[0])
    assert caught.value.wait_seconds == 59
    assert "59 seconds" in str(caught.value) and "988" in str(caught.value)
    assert request_rows(db) == rows and files_digest(locked.data_dir) == digest
    assert drop.wait_seconds() == 59
    now[0] += 58.5
    with pytest.raises(RequestFloodError):
        drop.submit(canary_request("F4")[0])
    assert len(request_rows(db)) == 2
    now[0] += 0.5  # a minute after the first
    drop.submit(canary_request("F5")[0])
    assert len(request_rows(db)) == 3
    with pytest.raises(RequestFloodError):
        drop.submit(canary_request("F6")[0])
    assert drop.new_count() == 3


def test_a_refused_request_does_not_use_up_the_limit(locked: VaultService) -> None:
    now = [0.0]
    drop = RequestDrop(locked.data_dir, per_minute=1, monotonic=lambda: now[0])
    for bad in (OfficerRequest(urgency="later"), OfficerRequest(message="x" * 2001),
                OfficerRequest(contact_method="phone", contact="")):
        with pytest.raises(RequestInputError):
            drop.submit(bad)
    assert drop.wait_seconds() == 0
    drop.submit(OfficerRequest(submitted_at=NOW))
    assert drop.wait_seconds() == 60


# -- verify ---------------------------------------------------------------------------------------
def test_verify_reports_the_tampered_opened_requests(
    locked: VaultService, drop: RequestDrop
) -> None:
    db = locked.data_dir.database
    opened_ids = [drop.submit(canary_request(f"V{i}")[0]).request_id for i in range(4)]
    with unlocked(locked) as vault:
        assert len(vault.requests().receive_pending().opened) == 4
        assert vault.verify().ok
    waiting = drop.submit(canary_request("VW")[0]).request_id
    waiting_damaged = drop.submit(canary_request("VD")[0]).request_id
    envelope = raw_one(db, "SELECT envelope FROM follow_request WHERE id = ?", [waiting_damaged])
    raw_execute(db, "UPDATE follow_request SET envelope = ? WHERE id = ?",
                [flipped(envelope, -5), waiting_damaged])
    with unlocked(locked) as vault:
        report = vault.verify()
        assert report.ok, report.failures  # waiting envelopes are not sealed to the data key
        assert report.records["follow_request"] == 6

    a, b, c, intact = opened_ids
    sealed = {row[0]: row[1] for row in raw_query(db, "SELECT id, record_sealed "
                                                      "FROM follow_request")}
    raw_execute(db, "UPDATE follow_request SET record_sealed = ? WHERE id = ?",
                [flipped(sealed[a], 40), a])
    raw_execute(db, "UPDATE follow_request SET record_sealed = ? WHERE id = ?", [sealed[c], b])
    raw_execute(db, "UPDATE follow_request SET record_sealed = ? WHERE id = ?", [sealed[b], c])
    with unlocked(locked) as vault:
        report = vault.verify()
        assert not report.ok
        assert sorted(report.failures) == sorted(
            ("follow_request", i, "record") for i in (a, b, c))
        assert report.records["follow_request"] == 6
        inbox = vault.requests().inbox()
        assert [r.id for r in inbox.requests] == [intact]
        assert sorted(inbox.damaged) == sorted([a, b, c, waiting, waiting_damaged])
        assert waiting not in [i for _, i, _ in report.failures]


# -- a vault from before requests (revision 0004) -------------------------------------------------
def test_an_older_vault_takes_requests_only_after_it_is_unlocked(
    locked: VaultService, drop: RequestDrop
) -> None:
    db = locked.data_dir.database
    for table in ("stat_record", "follow_request", "request_key"):
        raw_execute(db, f"DROP TABLE {table}")
    raw_execute(db, "DELETE FROM vault_secret WHERE id = ?", [PRIVATE_KEY_SECRET])
    raw_execute(db, "UPDATE alembic_version SET version_num = '0004_followups'")
    tables = {r[0] for r in raw_query(db, "SELECT name FROM sqlite_master")}

    with pytest.raises(RequestsUnavailableError, match="must unlock it once") as caught:
        drop.card()
    assert "\n" not in str(caught.value)
    assert drop.new_count() == 0
    with pytest.raises(RequestsUnavailableError, match="must unlock it once"):
        drop.submit(canary_request("OLD")[0])
    assert drop.wait_seconds() == 0  # the refusal did not count against the limit
    assert {r[0] for r in raw_query(db, "SELECT name FROM sqlite_master")} == tables

    with unlocked(locked) as vault:
        assert vault.request_key_status == "created"
        assert raw_query(db, "SELECT version_num FROM alembic_version") == [
            (migrate.HEAD_REVISION,)]
        card = vault.requests().card()
    assert [p.name for p in locked.data_dir.backups.iterdir()] == [
        f"pre-migration-0004_followups-to-{migrate.HEAD_REVISION}.psbak"]
    assert drop.card() == card
    request, _ = canary_request("NEWER")
    receipt = drop.submit(request)
    assert drop.new_count() == 1
    with unlocked(locked) as vault:
        assert vault.request_key_status == "ok"
        (record,) = vault.requests().receive_pending().opened
        assert record.id == receipt.request_id
        same_request(record.request, request)


def test_no_vault(tmp_path: Path) -> None:
    drop = RequestDrop(ensure(tmp_path / "empty"))
    assert drop.new_count() == 0
    with pytest.raises(NoVaultError):
        drop.card()
    with pytest.raises(NoVaultError):
        drop.submit(OfficerRequest(submitted_at=NOW))
    assert not (tmp_path / "empty" / "peersupport.db").exists()
