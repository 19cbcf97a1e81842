"""Request cards (.pscard): the public values another machine needs to seal a request to a
vault. A card round-trips exactly, works for sealing, and is refused when its fingerprint does
not match its key, its version is unknown, or it is incomplete, malformed or oversized. Any
bytes at all only ever give a card or one of the two documented errors (hypothesis). The QR
image decodes, pixel for pixel, to the QR matrix of the card's text."""

from __future__ import annotations

import json
import struct
import unicodedata
import zlib
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from peersupport.crypto.errors import RequestFormatError, RequestVersionError
from peersupport.crypto.request_card import (
    MAX_CARD_BYTES,
    MAX_DISPLAY_NAME,
    RequestCard,
    check_display_name,
    parse_card,
)
from peersupport.crypto.request_seal import (
    fingerprint,
    generate_keypair,
    open_request,
    read_header,
    seal_request,
)
from peersupport.domain.follow_request import URGENT_NOW, OfficerRequest
from peersupport.services.request_card_image import (
    DEFAULT_SCALE,
    QUIET_ZONE,
    card_png,
    png_bytes,
    qr_matrix,
)
from peersupport.services.requests import seal_for_card

VAULT_ID = "743364a3-9748-45a1-8093-5b2628288b67"
PRIVATE, PUBLIC = generate_keypair()
OTHER_PRIVATE, OTHER_PUBLIC = generate_keypair()
CARD = RequestCard(VAULT_ID, PUBLIC, "Sgt. Dána Ñúñez 🚓")
CARD_BYTES = CARD.to_text().encode("utf-8")
KEYS = {"display_name", "fingerprint", "format", "public_key", "vault_id", "version"}
DOCUMENTED = (RequestFormatError, RequestVersionError)


def body(**changes: Any) -> dict[str, Any]:
    values: dict[str, Any] = json.loads(CARD_BYTES)
    values.update(changes)
    return values


def encoded(values: dict[str, Any]) -> bytes:
    return json.dumps(values).encode("utf-8")


def without(key: str) -> bytes:
    values = body()
    del values[key]
    return encoded(values)


# -- round trip -----------------------------------------------------------------------------------
def test_card_round_trip() -> None:
    assert parse_card(CARD_BYTES) == CARD
    assert parse_card(CARD_BYTES).to_text() == CARD.to_text()
    values = json.loads(CARD_BYTES)
    assert values == {
        "display_name": "Sgt. Dána Ñúñez 🚓",
        "fingerprint": fingerprint(PUBLIC),
        "format": "peersupport-request-card",
        "public_key": PUBLIC.hex(),
        "vault_id": VAULT_ID,
        "version": 1,
    }
    # canonical: keys sorted, no spaces, non-ASCII kept as it is
    assert CARD.to_text() == json.dumps(values, sort_keys=True, separators=(",", ":"),
                                        ensure_ascii=False)
    assert CARD.fingerprint == fingerprint(PUBLIC)


def test_card_holds_only_public_values() -> None:
    assert PRIVATE.hex() not in CARD.to_text()
    assert bytes(PRIVATE) not in CARD_BYTES
    assert PRIVATE.hex().encode() not in card_png(CARD, 1)


def test_a_card_read_back_seals_a_request_only_its_vault_opens() -> None:
    request = OfficerRequest(urgency=URGENT_NOW, message="call me after the shift")
    receipt, data = seal_for_card(parse_card(CARD_BYTES), request)
    header, payload = open_request(PRIVATE, VAULT_ID, data)
    assert header.request_id == receipt.request_id == read_header(data).request_id
    back = OfficerRequest.from_payload(payload)
    assert (back.urgency, back.message) == (URGENT_NOW, "call me after the shift")
    assert b"call me" not in data


def test_the_same_name_with_extra_whitespace_reads_as_the_canonical_card() -> None:
    assert parse_card(encoded(body(display_name="  Sgt.\n\tRivera  "))).display_name == (
        "Sgt. Rivera")
    spaced = json.dumps(json.loads(CARD_BYTES), indent=2).encode()
    assert parse_card(spaced) == CARD


# -- refusals -------------------------------------------------------------------------------------
def test_fingerprint_mismatch_is_refused() -> None:
    with pytest.raises(RequestFormatError, match="fingerprint does not match"):
        parse_card(encoded(body(fingerprint=fingerprint(OTHER_PUBLIC))))
    # a key changed in one digit, the fingerprint left as it was
    key_hex = PUBLIC.hex()
    edited = ("0" if key_hex[10] != "0" else "1").join((key_hex[:10], key_hex[11:]))
    with pytest.raises(RequestFormatError, match="fingerprint does not match"):
        parse_card(encoded(body(public_key=edited)))
    # another vault's key under this card's fingerprint
    with pytest.raises(RequestFormatError, match="fingerprint does not match"):
        parse_card(encoded(body(public_key=OTHER_PUBLIC.hex())))
    with pytest.raises(RequestFormatError):
        parse_card(encoded(body(fingerprint=fingerprint(PUBLIC).lower())))


@pytest.mark.parametrize("version", [0, 2, 99, -1])
def test_an_unknown_version_is_refused(version: int) -> None:
    with pytest.raises(RequestVersionError, match=f"version {version} is not supported"):
        parse_card(encoded(body(version=version)))
    # a newer card may have fields this build does not know: still a version error
    with pytest.raises(RequestVersionError):
        parse_card(encoded(body(version=version, extra="new")))


@pytest.mark.parametrize("version", ["1", 1.0, True, None, [1]])
def test_a_version_that_is_not_a_whole_number_is_refused(version: object) -> None:
    with pytest.raises(RequestFormatError, match="no format version"):
        parse_card(encoded(body(version=version)))


@pytest.mark.parametrize("key", sorted(KEYS))
def test_a_missing_field_is_refused(key: str) -> None:
    with pytest.raises(RequestFormatError):
        parse_card(without(key))


def test_an_extra_field_is_refused() -> None:
    with pytest.raises(RequestFormatError, match="unknown fields"):
        parse_card(encoded(body(private_key=PRIVATE.hex())))


@pytest.mark.parametrize("key", ["display_name", "fingerprint", "public_key", "vault_id"])
@pytest.mark.parametrize("value", [5, None, [], {}, True, 1.5])
def test_a_field_of_the_wrong_type_is_refused(key: str, value: object) -> None:
    with pytest.raises(RequestFormatError):
        parse_card(encoded(body(**{key: value})))


@pytest.mark.parametrize("fmt", [None, "", "peersupport-request", "PEERSUPPORT-REQUEST-CARD", 1])
def test_another_format_is_refused(fmt: object) -> None:
    with pytest.raises(RequestFormatError, match="not a peersupport request card"):
        parse_card(encoded(body(format=fmt)))


@pytest.mark.parametrize("key_hex", [
    "zz" * 32,
    PUBLIC.hex()[:-1],  # an odd number of digits
    PUBLIC.hex()[:-2],  # 31 bytes
    PUBLIC.hex() + "00",  # 33 bytes
    "",
    "0x" + PUBLIC.hex()[2:],
])
def test_a_malformed_key_is_refused(key_hex: str) -> None:
    with pytest.raises(RequestFormatError, match="key"):
        parse_card(encoded(body(public_key=key_hex)))


@pytest.mark.parametrize("vault_id", ["", "a b", "../etc", "-lead", "é", "v" * 65, "a/b"])
def test_a_malformed_vault_id_is_refused(vault_id: str) -> None:
    with pytest.raises(RequestFormatError, match="vault id"):
        parse_card(encoded(body(vault_id=vault_id)))


def test_an_oversized_card_is_refused() -> None:
    # JSON allows whitespace after the object: the same card, padded to the limit and past it
    at_limit = CARD_BYTES + b" " * (MAX_CARD_BYTES - len(CARD_BYTES))
    assert len(at_limit) == MAX_CARD_BYTES == 4096
    assert parse_card(at_limit) == CARD
    with pytest.raises(RequestFormatError, match="too large"):
        parse_card(at_limit + b" ")
    with pytest.raises(RequestFormatError, match="too large"):
        parse_card(encoded(body(display_name="x" * 5000)))


@pytest.mark.parametrize("data", [
    b"", b"\xff\xfe\x00", b"[]", b"null", b'"card"', b"{}", b"[" * 5000,
    b'{"format": "peersupport-request-card"}',
    seal_request(PUBLIC, VAULT_ID, "r1", b"not a card"),
])
def test_not_a_card_is_refused(data: bytes) -> None:
    with pytest.raises(RequestFormatError):
        parse_card(data)


# -- the display name -----------------------------------------------------------------------------
def test_display_name_limits() -> None:
    assert MAX_DISPLAY_NAME == 80
    assert check_display_name("") == ""
    assert check_display_name("  Sgt.\n\tRivera  ") == "Sgt. Rivera"
    assert check_display_name("é" * 80) == "é" * 80
    assert check_display_name("a  " * 40) == " ".join(["a"] * 40)  # 120 typed, 79 kept
    with pytest.raises(ValueError, match="at most 80 characters"):
        check_display_name("x" * 81)
    with pytest.raises(RequestFormatError, match="at most 80 characters"):
        parse_card(encoded(body(display_name="x" * 81)))
    assert parse_card(encoded(body(display_name="x" * 80))).display_name == "x" * 80


# -- hypothesis -----------------------------------------------------------------------------------
def _only_documented(data: bytes) -> None:
    try:
        card = parse_card(data)
    except DOCUMENTED:
        return
    assert isinstance(card, RequestCard)
    assert len(card.public_key) == 32
    assert parse_card(card.to_text().encode("utf-8")) == card  # an accepted card is whole


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=MAX_CARD_BYTES + 64))
def test_hypothesis_arbitrary_bytes(data: bytes) -> None:
    _only_documented(data)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.tuples(st.integers(0, len(CARD_BYTES) - 1), st.integers(0, 255)), max_size=6),
    st.integers(0, len(CARD_BYTES)),
    st.binary(max_size=32),
)
def test_hypothesis_mutated_valid_card(edits: list[tuple[int, int]], cut: int,
                                       tail: bytes) -> None:
    data = bytearray(CARD_BYTES)
    for position, value in edits:
        data[position] = value
    _only_documented(bytes(data[:cut]) + tail)


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=70),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner,
                                                                max_size=3),
    max_leaves=6,
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(st.sampled_from([*sorted(KEYS), "extra"]), _JSON, max_size=3),
       st.sets(st.sampled_from(sorted(KEYS)), max_size=2))
def test_hypothesis_fields_replaced_or_removed(replaced: dict[str, object],
                                               removed: set[str]) -> None:
    values = body(**replaced)
    for key in removed:
        values.pop(key, None)
    _only_documented(encoded(values))


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=100))
def test_hypothesis_display_name_round_trip(name: str) -> None:
    try:
        kept = check_display_name(name)
    except ValueError:
        hidden = any(unicodedata.category(c) == "Cc" or "\u202a" <= c <= "\u202e"
                     or "\u2066" <= c <= "\u2069" for c in name)
        assert hidden or len(" ".join(name.split())) > MAX_DISPLAY_NAME
        return
    card = RequestCard(VAULT_ID, PUBLIC, kept)
    assert parse_card(card.to_text().encode("utf-8")) == card


# -- the QR code image ----------------------------------------------------------------------------
def decode_png(data: bytes) -> list[list[bool]]:
    """A one-bit greyscale PNG, as this module writes it, back to pixels (True for black).
    Checks the signature, every chunk's CRC, the header and the filter bytes."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    offset, chunks = 8, []
    while offset < len(data):
        (length,) = struct.unpack_from(">I", data, offset)
        kind = data[offset + 4 : offset + 8]
        content = data[offset + 8 : offset + 8 + length]
        (crc,) = struct.unpack_from(">I", data, offset + 8 + length)
        assert crc == zlib.crc32(kind + content) & 0xFFFFFFFF, kind
        chunks.append((kind, content))
        offset += 12 + length
    assert offset == len(data)
    kinds = [k for k, _ in chunks]
    assert kinds[0] == b"IHDR" and kinds[-1] == b"IEND" and b"IDAT" in kinds
    width, height, depth, colour, compression, filtering, interlace = struct.unpack(
        ">IIBBBBB", chunks[0][1])
    assert (depth, colour, compression, filtering, interlace) == (1, 0, 0, 0, 0)
    raw = zlib.decompress(b"".join(c for k, c in chunks if k == b"IDAT"))
    stride = 1 + (width + 7) // 8
    assert len(raw) == stride * height
    pixels = []
    for y in range(height):
        line = raw[y * stride : (y + 1) * stride]
        assert line[0] == 0  # filter type 0 (None)
        bits = "".join(f"{byte:08b}" for byte in line[1:])[:width]
        pixels.append([bit == "0" for bit in bits])  # 0 is black
    return pixels


def modules_of(pixels: list[list[bool]], scale: int) -> list[list[bool]]:
    """The module grid, checking that every module is a solid ``scale`` x ``scale`` block."""
    size = len(pixels) // scale
    grid = []
    for row in range(size):
        cells = []
        for col in range(size):
            block = {pixels[row * scale + dy][col * scale + dx]
                     for dy in range(scale) for dx in range(scale)}
            assert len(block) == 1, (row, col)
            cells.append(block.pop())
        grid.append(cells)
    return grid


@pytest.mark.parametrize("scale", [1, 3, DEFAULT_SCALE])
def test_qr_png_decodes_to_the_qr_matrix_of_the_card(scale: int) -> None:
    matrix = qr_matrix(CARD.to_text())
    modules = len(matrix)
    assert all(len(row) == modules for row in matrix)
    png = card_png(CARD, scale)
    pixels = decode_png(png)
    assert len(pixels) == modules * scale
    assert all(len(row) == modules * scale for row in pixels)
    assert len(pixels) * len(pixels[0]) == (modules * scale) ** 2
    assert modules_of(pixels, scale) == matrix


def test_qr_matrix_is_a_qr_code_of_the_card_text() -> None:
    matrix = qr_matrix(CARD.to_text())
    size = len(matrix)
    inner = size - 2 * QUIET_ZONE
    assert (inner - 17) % 4 == 0  # a QR code is 21, 25, 29, ... modules across
    assert not any(matrix[r][c] for r in range(size) for c in range(size)
                   if min(r, c) < QUIET_ZONE or max(r, c) >= size - QUIET_ZONE)
    # the three finder patterns: a dark 7 x 7 ring around a light ring around a dark 3 x 3
    for top, left in ((0, 0), (0, inner - 7), (inner - 7, 0)):
        for r in range(7):
            for c in range(7):
                ring = max(abs(r - 3), abs(c - 3))
                assert matrix[QUIET_ZONE + top + r][QUIET_ZONE + left + c] == (ring != 2)
    other = RequestCard(VAULT_ID, OTHER_PUBLIC, CARD.display_name)
    assert qr_matrix(other.to_text()) != matrix
    assert qr_matrix(CARD.to_text()) == matrix  # the same card, the same code


def test_qr_png_opens_in_an_independent_decoder() -> None:
    qt_gui = pytest.importorskip("PySide6.QtGui")
    scale = 3
    matrix = qr_matrix(CARD.to_text())
    image = qt_gui.QImage.fromData(card_png(CARD, scale))
    assert not image.isNull()
    assert image.width() == image.height() == len(matrix) * scale
    for row, cells in enumerate(matrix):
        for col, dark in enumerate(cells):
            lightness = image.pixelColor(col * scale + 1, row * scale + 1).lightness()
            assert lightness == (0 if dark else 255), (row, col)


def test_png_bytes_refuses_an_empty_matrix_or_scale() -> None:
    with pytest.raises(ValueError):
        png_bytes([], 4)
    with pytest.raises(ValueError):
        png_bytes([[True]], 0)
    assert decode_png(png_bytes([[True, False], [False, True]], 1)) == [[True, False],
                                                                         [False, True]]


@pytest.mark.parametrize("hidden", ["\x07", "\x7f", "\u202e", "\u2067"])
def test_display_name_with_hidden_characters_refused(hidden: str) -> None:
    with pytest.raises(ValueError, match="control characters"):
        check_display_name(f"Sgt{hidden} Rivera")
