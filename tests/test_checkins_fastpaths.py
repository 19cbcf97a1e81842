"""The faster paths search and listing use give exactly what the reference implementations
give: associated data byte for byte, the same opened text, the same refusals. The on-disk
format is unchanged (the golden vault and golden blob tests also keep passing)."""

from __future__ import annotations

import os
import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from peersupport.crypto import padding
from peersupport.crypto.associated_data import TableAad, field_aad
from peersupport.crypto.blob import FieldCipher
from peersupport.crypto.errors import TamperError
from peersupport.crypto.secret import SecretKey

metadata_values = st.one_of(
    st.text(max_size=12), st.none(), st.booleans(), st.integers(-(2**70), 2**70),
    st.floats(allow_nan=False), st.binary(max_size=3),
    st.text(alphabet=st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF), max_size=2),
)
names = st.text(max_size=10)


def reference(table: str, vault: str, keys: list[str], fields: list[str], record_id: object,
              key_id: object, schema: object, values: list[object]) -> list[bytes]:
    metadata = dict(zip(keys, values, strict=True))
    return [
        field_aad(table=table, record_id=record_id, field=f, schema_version=schema,  # type: ignore[arg-type]
                  vault_id=vault, key_id=key_id, metadata=metadata)  # type: ignore[arg-type]
        for f in fields
    ]


@settings(max_examples=600, deadline=None)
@given(
    table=names, vault=names, keys=st.lists(names, unique=True, max_size=9),
    fields=st.lists(names, min_size=1, max_size=4),
    record_id=st.one_of(names, st.integers()), key_id=names,
    schema=st.one_of(st.integers(-5, 2**40), st.booleans(), st.floats(allow_nan=False)),
    data=st.data(),
)
def test_table_aad_is_byte_identical_to_field_aad(
    table: str, vault: str, keys: list[str], fields: list[str], record_id: object,
    key_id: str, schema: object, data: st.DataObject,
) -> None:
    values = [data.draw(metadata_values) for _ in keys]
    try:
        expected = reference(table, vault, keys, fields, record_id, key_id, schema, values)
    except Exception as exc:  # the fast path must fail the same way
        with pytest.raises(type(exc)):
            TableAad(table, vault, keys).build(fields, record_id, key_id, schema, values)  # type: ignore[arg-type]
        return
    built = TableAad(table, vault, keys).build(fields, record_id, key_id, schema, values)  # type: ignore[arg-type]
    assert built == expected


@settings(max_examples=400, deadline=None)
@given(table=st.text(), vault=st.text(), keys=st.lists(st.text(), unique=True, max_size=9),
       fields=st.lists(st.text(), min_size=1, max_size=4), record_id=st.text(),
       key_id=st.text(), schema=st.integers(), data=st.data())
def test_table_aad_fast_path_with_text_values(
    table: str, vault: str, keys: list[str], fields: list[str], record_id: str, key_id: str,
    schema: int, data: st.DataObject,
) -> None:
    """The common case (every value text), with any characters: quotes, backslashes,
    control characters, non-ASCII, percent signs."""
    values = [data.draw(st.text()) for _ in keys]
    expected = reference(table, vault, keys, fields, record_id, key_id, schema, values)  # type: ignore[arg-type]
    assert TableAad(table, vault, keys).build(fields, record_id, key_id, schema, values) == (
        expected
    )


def test_table_aad_on_a_real_check_in_row_shape() -> None:
    keys = ["vault_id", "period", "incident_category", "contact_type", "initiated_by",
            "recipient_class", "duration_bucket", "referral_types"]
    values = ["5e1c…", "2025-03", "fatal_collision", "in_person", "self", "sworn", "30_60",
              "chaplain,eap"]
    aad = TableAad("checkin", "vault-id", keys)
    fields = ["notes", "incident_ref", "summary"]
    for _ in range(2):  # the per-field cache gives the same bytes the second time
        assert aad.build(fields, "id-1", "k1", 1, values) == reference(
            "checkin", "vault-id", keys, fields, "id-1", "k1", 1, values  # type: ignore[arg-type]
        )
    with pytest.raises(ValueError):
        aad.build(fields, "id-1", "k1", 1, values[:-1])
    with pytest.raises(ValueError):
        TableAad("t", "v", ["a", "a"])


def _reference_unpad(padded: bytes) -> bytes:
    """padding.unpad as it was first written (per-byte check of the fill)."""
    if len(padded) < 4:
        raise TamperError("short")
    (length,) = struct.unpack_from(">I", padded)
    end = 4 + length
    if end > len(padded) or any(padded[end:]):
        raise TamperError("bad length")
    return padded[4:end]


@settings(max_examples=500, deadline=None)
@given(st.binary(max_size=300) | st.binary(max_size=200).map(padding.pad),
       st.integers(0, 300), st.integers(1, 255))
def test_unpad_refuses_and_accepts_exactly_as_before(data: bytes, at: int, flip: int) -> None:
    for candidate in (data, bytes(b ^ flip if i == at else b for i, b in enumerate(data))):
        try:
            expected: bytes | None = _reference_unpad(candidate)
        except TamperError:
            expected = None
        if expected is None:
            with pytest.raises(TamperError):
                padding.unpad(candidate)
        else:
            assert padding.unpad(candidate) == expected


@pytest.fixture(scope="module")
def cipher() -> FieldCipher:
    return FieldCipher(SecretKey(os.urandom(32)))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.text(max_size=80), st.binary(max_size=40)), min_size=1,
                max_size=4), st.data())
def test_open_texts_equals_open_text_one_by_one(
    cipher: FieldCipher, items: list[tuple[str, bytes]], data: st.DataObject
) -> None:
    blobs: list[object] = [cipher.seal_text(text, aad) for text, aad in items]
    aads = [aad for _, aad in items]
    assert cipher.open_texts(blobs, aads) == [text for text, _ in items]
    # damage one blob in one way: the batch refuses exactly when open_text refuses
    i = data.draw(st.integers(0, len(blobs) - 1))
    blob = blobs[i]
    assert isinstance(blob, bytes)
    damage = data.draw(st.sampled_from(["flip", "truncate", "version", "text", "aad"]))
    if damage == "flip":
        at = data.draw(st.integers(0, len(blob) - 1))
        blobs[i] = blob[:at] + bytes([blob[at] ^ 1]) + blob[at + 1:]
    elif damage == "truncate":
        blobs[i] = blob[: data.draw(st.integers(0, len(blob) - 1))]
    elif damage == "version":
        blobs[i] = b"\x02" + blob[1:]
    elif damage == "text":
        blobs[i] = blob.decode("latin-1")
    else:
        aads[i] = aads[i] + b"x"
    with pytest.raises(TamperError):
        cipher.open_text(blobs[i], aads[i])  # type: ignore[arg-type]
    with pytest.raises(TamperError):
        cipher.open_texts(blobs, aads)


def test_open_texts_refuses_when_locked() -> None:
    locked = FieldCipher(SecretKey(os.urandom(32)))
    blob = locked.seal_text("x", b"a")
    locked.close()
    with pytest.raises(TamperError):
        locked.open_texts([blob], [b"a"])
