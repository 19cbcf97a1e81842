"""Follow-up request files (.psreq): sealed with the vault's public key only, opened only by
the vault they name, and refused (with a documented error) when edited, cut or oversized."""

from __future__ import annotations

import inspect
import re
import struct

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from peersupport.crypto import padding, request_seal
from peersupport.crypto.errors import (
    CryptoError,
    RequestError,
    RequestFormatError,
    RequestTooLargeError,
    RequestVersionError,
    RequestWrongVaultError,
    TamperError,
)
from peersupport.crypto.request_seal import (
    MAX_FILE_BYTES,
    MAX_PAYLOAD_BYTES,
    RequestHeader,
    fingerprint,
    generate_keypair,
    open_request,
    read_header,
    seal_request,
)

VAULT_A = "743364a3-9748-45a1-8093-5b2628288b67"
VAULT_B = "0b1f6a52-2c3e-4f7d-9d7e-4a1c5e9b2f10"
REQUEST = "req-0001"
CANARY = b"CNRYREQUEST4412 please call me back after the shift"
DOCUMENTED = (RequestError, TamperError)

KEYS_A = generate_keypair()
KEYS_B = generate_keypair()


def _small_file() -> bytes:
    return seal_request(KEYS_A[1], VAULT_A, REQUEST, b"call me")


SMALL = _small_file()


def test_round_trip() -> None:
    data = seal_request(KEYS_A[1], VAULT_A, REQUEST, CANARY)
    header, payload = open_request(KEYS_A[0], VAULT_A, data)
    assert payload == CANARY
    assert header == read_header(data)
    assert (header.vault_id, header.request_id, header.version) == (VAULT_A, REQUEST, 1)
    assert len(header.ephemeral_public_key) == 32
    assert data.startswith(b"PSREQ\x00\x00\x01\x00\x01")


@pytest.mark.parametrize("payload", [b"", b"x", bytes(60), bytes(61), bytes(5000)])
def test_round_trip_sizes(payload: bytes) -> None:
    data = seal_request(KEYS_A[1], VAULT_A, REQUEST, payload)
    assert open_request(KEYS_A[0], VAULT_A, data)[1] == payload


def test_largest_payload_fits_the_file_limit() -> None:
    payload = bytes(MAX_PAYLOAD_BYTES)
    long_ids = ("v" * 64, "r" * 64)
    data = seal_request(KEYS_A[1], long_ids[0], long_ids[1], payload)
    assert len(data) <= MAX_FILE_BYTES
    assert open_request(KEYS_A[0], long_ids[0], data)[1] == payload


def test_sizes_are_padded() -> None:
    short = seal_request(KEYS_A[1], VAULT_A, REQUEST, b"a")
    longer = seal_request(KEYS_A[1], VAULT_A, REQUEST, b"a" * 50)
    assert len(short) == len(longer)


def test_wrong_vault_is_refused_before_decrypting() -> None:
    data = seal_request(KEYS_A[1], VAULT_A, REQUEST, CANARY)
    with pytest.raises(RequestWrongVaultError):
        open_request(KEYS_B[0], VAULT_B, data)
    # even with A's own private key, B's vault id is not the one on the file
    with pytest.raises(RequestWrongVaultError):
        open_request(KEYS_A[0], VAULT_B, data)


def test_other_private_key_under_the_right_vault_id_fails_authentication() -> None:
    data = seal_request(KEYS_A[1], VAULT_A, REQUEST, CANARY)
    with pytest.raises(TamperError):
        open_request(KEYS_B[0], VAULT_A, data)


def test_every_flipped_byte_is_refused() -> None:
    assert open_request(KEYS_A[0], VAULT_A, SMALL)[1] == b"call me"
    for position in range(len(SMALL)):
        for mask in (0x01, 0x80, 0xFF):
            edited = bytearray(SMALL)
            edited[position] ^= mask
            with pytest.raises(DOCUMENTED):
                open_request(KEYS_A[0], VAULT_A, bytes(edited))


def test_every_truncation_is_refused() -> None:
    for length in range(len(SMALL)):
        with pytest.raises((RequestFormatError, TamperError)):
            open_request(KEYS_A[0], VAULT_A, SMALL[:length])


def test_appended_bytes_are_refused() -> None:
    for extra in (b"\x00", bytes(16), bytes(64)):
        with pytest.raises((RequestFormatError, TamperError)):
            open_request(KEYS_A[0], VAULT_A, SMALL + extra)


def test_truncation_inside_the_header_is_a_format_error() -> None:
    (length,) = struct.unpack_from(">H", SMALL, 10)
    for cut in range(12 + length):
        with pytest.raises(RequestFormatError):
            read_header(SMALL[:cut])


def test_unknown_version_is_refused() -> None:
    for version in (0, 2, 0xFFFF):
        data = SMALL[:8] + struct.pack(">H", version) + SMALL[10:]
        with pytest.raises(RequestVersionError, match=f"version {version} is not supported"):
            read_header(data)
        with pytest.raises(RequestVersionError):
            open_request(KEYS_A[0], VAULT_A, data)


def test_not_a_request_file() -> None:
    for data in (b"", b"PSREQ", b"PSBACKUP" + bytes(100), b"hello world, not a request"):
        with pytest.raises(RequestFormatError, match="not a peersupport request file"):
            read_header(data)


def test_over_64_kib_is_refused() -> None:
    with pytest.raises(RequestTooLargeError):
        read_header(SMALL + bytes(MAX_FILE_BYTES))
    with pytest.raises(RequestTooLargeError):
        open_request(KEYS_A[0], VAULT_A, bytes(MAX_FILE_BYTES + 1))
    with pytest.raises(RequestTooLargeError):
        seal_request(KEYS_A[1], VAULT_A, REQUEST, bytes(MAX_PAYLOAD_BYTES + 1))
    with pytest.raises(RequestTooLargeError):
        seal_request(KEYS_A[1], VAULT_A, REQUEST, bytes(MAX_FILE_BYTES + 1))


def test_non_canonical_header_is_refused() -> None:
    (length,) = struct.unpack_from(">H", SMALL, 10)
    raw = SMALL[12 : 12 + length]
    spaced = raw.replace(b",", b", ")
    data = SMALL[:10] + struct.pack(">H", len(spaced)) + spaced + SMALL[12 + length :]
    with pytest.raises(RequestFormatError, match="canonical"):
        read_header(data)


def test_seals_differ_and_hide_the_payload() -> None:
    first = seal_request(KEYS_A[1], VAULT_A, REQUEST, CANARY)
    second = seal_request(KEYS_A[1], VAULT_A, REQUEST, CANARY)
    assert first != second
    assert read_header(first).ephemeral_public_key != read_header(second).ephemeral_public_key
    (length,) = struct.unpack_from(">H", first, 10)
    assert first[12 + length :] != second[12 + length :]
    for data in (first, second):
        assert CANARY not in data
        assert b"CNRYREQUEST4412" not in data
        assert CANARY.hex().encode() not in data


def test_sealing_takes_only_the_public_key() -> None:
    params = list(inspect.signature(seal_request).parameters)
    assert params == ["public_key", "vault_id", "request_id", "payload"]
    assert not any("private" in name or "secret" in name for name in params)
    # and works with nothing but the public key's bytes in hand
    _, public = generate_keypair()
    assert seal_request(bytes(public), VAULT_A, REQUEST, b"hi").startswith(b"PSREQ")


def test_bad_arguments_to_seal() -> None:
    with pytest.raises(ValueError):
        seal_request(KEYS_A[1][:31], VAULT_A, REQUEST, b"")
    for bad_id in ("", "a" * 65, "with space", "../up", "-lead", "é"):
        with pytest.raises(ValueError):
            seal_request(KEYS_A[1], bad_id, REQUEST, b"")
        with pytest.raises(ValueError):
            seal_request(KEYS_A[1], VAULT_A, bad_id, b"")
    with pytest.raises(ValueError):  # a low-order point is not a vault key
        seal_request(bytes(32), VAULT_A, REQUEST, b"")


def test_low_order_ephemeral_key_is_tamper() -> None:
    header = read_header(SMALL)
    data = SMALL.replace(header.ephemeral_public_key.hex().encode(), bytes(32).hex().encode())
    with pytest.raises(TamperError):
        open_request(KEYS_A[0], VAULT_A, data)


def test_private_key_stays_out_of_reprs() -> None:
    private, public = generate_keypair()
    assert private.hex() not in repr(private)
    assert private.hex() not in str(private)
    assert repr(private) == "<X25519 private key, 32 bytes>"
    assert private.hex() not in repr((private, public))
    assert len(private) == 32 and len(public) == 32


def test_fingerprint() -> None:
    fp = fingerprint(KEYS_A[1])
    assert re.fullmatch(r"[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){3}", fp)
    assert fp == fingerprint(bytes(KEYS_A[1]))
    assert fp != fingerprint(KEYS_B[1])
    # known answer, so the fingerprint people compare never silently changes
    assert fingerprint(bytes(range(32))) == KNOWN_FINGERPRINT
    with pytest.raises(ValueError):
        fingerprint(b"short")


KNOWN_FINGERPRINT = "CTPP-EQ08-QZ9M-HB36"


def test_errors_are_crypto_errors() -> None:
    for error in (RequestFormatError, RequestVersionError, RequestTooLargeError,
                  RequestWrongVaultError):
        assert issubclass(error, RequestError)
        assert issubclass(error, CryptoError)
    assert isinstance(read_header(SMALL), RequestHeader)


def test_module_holds_no_store_or_qt_imports() -> None:
    source = inspect.getsource(request_seal)
    for name in ("sqlalchemy", "alembic", "peersupport.store", "PySide6", "logging"):
        assert name not in source
    assert padding.padded_size(0) == 64


# -- hypothesis: arbitrary and mutated input raise only the documented errors ---------------


def _only_documented(data: bytes) -> None:
    try:
        read_header(data)
    except DOCUMENTED:
        pass
    try:
        open_request(KEYS_A[0], VAULT_A, data)
    except DOCUMENTED:
        pass


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=2048))
def test_hypothesis_arbitrary_bytes(data: bytes) -> None:
    _only_documented(data)
    _only_documented(b"PSREQ\x00\x00\x01\x00\x01" + data)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.tuples(st.integers(0, len(SMALL) - 1), st.integers(0, 255)), min_size=1, max_size=6
    ),
    st.integers(0, len(SMALL)),
    st.binary(max_size=64),
)
def test_hypothesis_mutated_valid_file(
    edits: list[tuple[int, int]], cut: int, tail: bytes
) -> None:
    data = bytearray(SMALL)
    for position, value in edits:
        data[position] = value
    mutated = bytes(data[:cut]) + tail
    if mutated == SMALL:
        assert open_request(KEYS_A[0], VAULT_A, mutated)[1] == b"call me"
        return
    with pytest.raises(DOCUMENTED):
        open_request(KEYS_A[0], VAULT_A, mutated)
    try:
        read_header(mutated)
    except DOCUMENTED:
        pass


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=3000), st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}", fullmatch=True))
def test_hypothesis_round_trip(payload: bytes, request_id: str) -> None:
    data = seal_request(KEYS_A[1], VAULT_A, request_id, payload)
    header, opened = open_request(KEYS_A[0], VAULT_A, data)
    assert opened == payload and header.request_id == request_id
