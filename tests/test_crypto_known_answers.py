"""Known answers: the primitives compute what their standards say, and our own formats stay
readable. The golden values below were generated once and must never be regenerated: a
release that cannot open them cannot open its users' vaults."""

from __future__ import annotations

import re
import string

import pytest
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.argon2 import Argon2id
from hypothesis import given, settings
from hypothesis import strategies as st

from peersupport.crypto import kdf, recovery
from peersupport.crypto.associated_data import field_aad
from peersupport.crypto.blob import FieldCipher
from peersupport.crypto.errors import MalformedRecoveryKeyError, TamperError
from peersupport.crypto.secret import SecretKey

# --------------------------------------------------------------------------------------
# Argon2id, RFC 9106 section 5.3
# --------------------------------------------------------------------------------------
RFC9106_TAG = "0d640df58d78766c08c037a34a8b53c9d01ef0452d75b65eb52520e96b01e659"


def test_argon2id_rfc9106_test_vector() -> None:
    kdf_ = Argon2id(
        salt=b"\x02" * 16,
        length=32,
        iterations=3,
        lanes=4,
        memory_cost=32,
        ad=b"\x04" * 12,
        secret=b"\x03" * 8,
    )
    assert kdf_.derive(b"\x01" * 32).hex() == RFC9106_TAG


def test_argon2id_vector_is_sensitive_to_every_input() -> None:
    """The vector above would not pass with a dropped secret, ad or changed cost."""
    base = {
        "salt": b"\x02" * 16, "length": 32, "iterations": 3, "lanes": 4, "memory_cost": 32,
        "ad": b"\x04" * 12, "secret": b"\x03" * 8,
    }
    for change in ({"ad": None}, {"secret": None}, {"iterations": 4}, {"lanes": 2},
                   {"memory_cost": 64}, {"salt": b"\x02" * 15 + b"\x03"}):
        assert Argon2id(**{**base, **change}).derive(b"\x01" * 32).hex() != RFC9106_TAG


# Our own derive_kek, pinned: same passphrase and parameters must give the same KEK forever.
DERIVE_KEK_PARAMS = kdf.KdfParams("argon2id", 1024, 2, 1, bytes(range(16)))
DERIVE_KEK_ANSWER = "fda42131f460853eb130319abb843a0f5dabb640050ce955678ef5c4ad215a8b"


def test_derive_kek_matches_plain_argon2id() -> None:
    expected = Argon2id(
        salt=bytes(range(16)), length=32, iterations=2, lanes=1, memory_cost=1024
    ).derive("pässphrase".encode())
    key = kdf.derive_kek("pässphrase", DERIVE_KEK_PARAMS)
    assert key.raw() == expected
    assert key.raw().hex() == DERIVE_KEK_ANSWER
    assert len(key) == kdf.KEY_LENGTH


# --------------------------------------------------------------------------------------
# AES-256-GCM, McGrew & Viega "The Galois/Counter Mode of Operation", test cases 13-16
# (the 256-bit cases also published in NIST's GCM test vectors)
# --------------------------------------------------------------------------------------
GCM_CASES = [
    pytest.param(  # test case 13
        "00" * 32, "00" * 12, "", "", "", "530f8afbc74536b9a963b4f1c4cb738b", id="tc13",
    ),
    pytest.param(  # test case 14
        "00" * 32, "00" * 12, "00" * 16, "",
        "cea7403d4d606b6e074ec5d3baf39d18", "d0d1c8a799996bf0265b98b5d48ab919", id="tc14",
    ),
    pytest.param(  # test case 15
        "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308",
        "cafebabefacedbaddecaf888",
        "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
        "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b391aafd255",
        "",
        "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
        "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662898015ad",
        "b094dac5d93471bdec1a502270e3cc6c",
        id="tc15",
    ),
    pytest.param(  # test case 16
        "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308",
        "cafebabefacedbaddecaf888",
        "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
        "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39",
        "feedfacedeadbeeffeedfacedeadbeefabaddad2",
        "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
        "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662",
        "76fc6ece0f4e1768cddf8853bb2d551b",
        id="tc16",
    ),
]


@pytest.mark.parametrize(("key", "iv", "pt", "aad", "ct", "tag"), GCM_CASES)
def test_aes_256_gcm_known_answer(
    key: str, iv: str, pt: str, aad: str, ct: str, tag: str
) -> None:
    aead = AESGCM(bytes.fromhex(key))
    sealed = aead.encrypt(bytes.fromhex(iv), bytes.fromhex(pt), bytes.fromhex(aad) or None)
    assert sealed.hex() == ct + tag
    assert aead.decrypt(bytes.fromhex(iv), sealed, bytes.fromhex(aad) or None).hex() == pt


def test_aes_256_gcm_known_answer_rejects_a_wrong_tag() -> None:
    aead = AESGCM(bytes.fromhex("feffe9928665731c6d6a8f9467308308" * 2))
    sealed = bytes.fromhex(
        "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
        "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662"
        "76fc6ece0f4e1768cddf8853bb2d551a"  # last tag byte changed
    )
    with pytest.raises(InvalidTag):
        aead.decrypt(
            bytes.fromhex("cafebabefacedbaddecaf888"), sealed,
            bytes.fromhex("feedfacedeadbeeffeedfacedeadbeefabaddad2"),
        )


# --------------------------------------------------------------------------------------
# Golden sealed-field blobs in OUR format (version 1, AES-256-GCM, padded).
# Generated once with FieldCipher; every future release must open them.
# --------------------------------------------------------------------------------------
GOLDEN_KEY = bytes(range(0x20, 0x40))
GOLDEN_VAULT_ID = "c1a2b3d4-e5f6-4789-abcd-ef0123456789"
GOLDEN_AAD_ARGS = {
    "table": "officer",
    "record_id": "3f0d5c1e-7a2b-4c9d-8e1f-0a9b8c7d6e5f",
    "field": "notes",
    "schema_version": 1,
    "vault_id": GOLDEN_VAULT_ID,
    "key_id": "00112233aabbccdd",
    "metadata": {"vault_id": GOLDEN_VAULT_ID},
}
GOLDEN_AAD = (
    b'peersupport/field/v1\x00{"field":"notes","id":"3f0d5c1e-7a2b-4c9d-8e1f-0a9b8c7d6e5f",'
    b'"key":"00112233aabbccdd","meta":{"vault_id":"c1a2b3d4-e5f6-4789-abcd-ef0123456789"},'
    b'"schema":1,"table":"officer","vault":"c1a2b3d4-e5f6-4789-abcd-ef0123456789"}'
)
GOLDEN_BLOBS = [
    pytest.param(
        "Golden blob v1: Ñandú 🚓 «notes»",
        "01569708cd0ddd1b6eb35d5f3b08715423083f5b0add22baf2ae83d2042250a337e846d9ddb0f3ce5d"
        "c4e4bdab10985e5dfccb6b591cb264c5edd5c0cb83a0febac08e083dd72512eabae1db1f31152a51da"
        "f4e777da5cb31a0af8e7aa",
        id="short-64-byte-step",
    ),
    pytest.param(
        "x" * 70,
        "0169ee9fb8050f24450b65333f66afdabdc01c947cf98cafa01c81e63ac2c835287751076a29a97e43"
        "fb74139c3686c200f0c25cb396c932df941dbd85958ce54f526e5107b9000d38b88b874995b8222bb3"
        "9e7222a0b2d6eac0c33094ed11b13edd75b3e28bfc0107e3b129cbaae0d627635d5f17af3a3e3d298e"
        "a08d1babd17d19e6e5d0908e6311b48f93dfd216a83d2de3f1551671c663288df4cd",
        id="long-128-byte-step",
    ),
]


def test_golden_associated_data_encoding_is_stable() -> None:
    assert field_aad(**GOLDEN_AAD_ARGS) == GOLDEN_AAD  # type: ignore[arg-type]


@pytest.mark.parametrize(("plaintext", "blob_hex"), GOLDEN_BLOBS)
def test_golden_blob_opens(plaintext: str, blob_hex: str) -> None:
    blob = bytes.fromhex(blob_hex)
    assert blob[0] == 1  # format version 1: AES-256-GCM
    cipher = FieldCipher(SecretKey(GOLDEN_KEY))
    assert cipher.open_text(blob, field_aad(**GOLDEN_AAD_ARGS)) == plaintext  # type: ignore[arg-type]


@pytest.mark.parametrize(("plaintext", "blob_hex"), GOLDEN_BLOBS)
def test_golden_blob_refuses_other_key_or_context(plaintext: str, blob_hex: str) -> None:
    blob = bytes.fromhex(blob_hex)
    other_key = bytearray(GOLDEN_KEY)
    other_key[0] ^= 1
    with pytest.raises(TamperError):
        FieldCipher(SecretKey(bytes(other_key))).open_text(blob, GOLDEN_AAD)
    for change in ({"field": "alias"}, {"record_id": "3f0d5c1e-7a2b-4c9d-8e1f-0a9b8c7d6e50"},
                   {"schema_version": 2}, {"key_id": "00112233aabbccde"},
                   {"metadata": {"vault_id": "other"}}):
        aad = field_aad(**{**GOLDEN_AAD_ARGS, **change})  # type: ignore[arg-type]
        with pytest.raises(TamperError):
            FieldCipher(SecretKey(GOLDEN_KEY)).open_text(blob, aad)


def test_fresh_blobs_use_the_golden_layout() -> None:
    """What we write today has the layout the golden blobs have: version | nonce | ct+tag."""
    cipher = FieldCipher(SecretKey(GOLDEN_KEY))
    first = cipher.seal_text("Golden blob v1: Ñandú 🚓 «notes»", GOLDEN_AAD)
    second = cipher.seal_text("Golden blob v1: Ñandú 🚓 «notes»", GOLDEN_AAD)
    assert first[0] == 1
    assert len(first) == len(bytes.fromhex(GOLDEN_BLOBS[0].values[1])) == 1 + 12 + 64 + 16
    assert first[1:13] != second[1:13]  # a fresh random nonce per seal
    assert first != second


# --------------------------------------------------------------------------------------
# Recovery key: format, checksum, forgiving input
# --------------------------------------------------------------------------------------
RECOVERY_RE = re.compile(r"^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){6}$")
# A pinned example: these 16 bytes are written as this text in every release.
PINNED_RECOVERY_BYTES = bytes.fromhex("9e1f0c5a7b3d42e8a6c0f1d2e3b4a596")
PINNED_RECOVERY_TEXT = "KRFG-RPKV-7N1E-H9P0-Y79E-7D55-JT70"

# SecretKey treats all-zero material as wiped; a random 128-bit key is never all zero.
keys16 = st.binary(min_size=16, max_size=16).filter(any)


def test_pinned_recovery_key_text() -> None:
    assert recovery.format_key(SecretKey(PINNED_RECOVERY_BYTES)) == PINNED_RECOVERY_TEXT
    assert recovery.parse(PINNED_RECOVERY_TEXT).raw() == PINNED_RECOVERY_BYTES


@given(keys16)
def test_recovery_key_round_trip(raw: bytes) -> None:
    text = recovery.format_key(SecretKey(raw))
    assert RECOVERY_RE.match(text), text
    assert len(recovery.groups(text)) == 7
    assert recovery.parse(text).raw() == raw


def test_generated_recovery_keys_are_random_and_well_formed() -> None:
    texts = set()
    for _ in range(20):
        key = recovery.generate()
        assert len(key) == 16
        text = recovery.format_key(key)
        assert RECOVERY_RE.match(text)
        texts.add(text)
    assert len(texts) == 20


_LOOKALIKE = {"0": "Oo", "1": "IiLl"}


@given(keys16, st.data())
def test_recovery_key_forgiving_input(raw: bytes, data: st.DataObject) -> None:
    text = recovery.format_key(SecretKey(raw))
    typed = []
    for ch in text:
        if ch == "-":
            typed.append(data.draw(st.sampled_from(["-", " ", "", "  ", " - ", "\t"])))
            continue
        options = [ch, ch.lower(), *_LOOKALIKE.get(ch, "")]
        typed.append(data.draw(st.sampled_from(options)))
    entered = data.draw(st.sampled_from(["", " ", "\n"])) + "".join(typed)
    entered += data.draw(st.sampled_from(["", " ", "\n"]))
    assert recovery.parse(entered).raw() == raw


def test_recovery_key_lookalikes_explicitly() -> None:
    text = PINNED_RECOVERY_TEXT  # contains 0 and 1
    assert "0" in text and "1" in text
    mangled = text.lower().replace("0", "O").replace("1", "l").replace("-", " ")
    assert recovery.parse(mangled).raw() == PINNED_RECOVERY_BYTES
    assert recovery.parse(text.replace("1", "I").replace("0", "o")).raw() == PINNED_RECOVERY_BYTES


_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


@given(keys16, st.integers(min_value=26, max_value=27), st.integers(1, 31))
def test_recovery_key_typo_in_checksum_characters_always_detected(
    raw: bytes, position: int, shift: int
) -> None:
    """The last two characters carry only checksum and zero padding: any typo there changes
    the checksum without changing the key, so it is always caught."""
    chars = list(recovery.normalize(recovery.format_key(SecretKey(raw))))
    chars[position] = _ALPHABET[(_ALPHABET.index(chars[position]) + shift) % 32]
    with pytest.raises(MalformedRecoveryKeyError):
        recovery.parse("".join(chars))


def test_recovery_key_single_typos_are_almost_all_detected() -> None:
    """Every single-character substitution of a few fixed keys: an 8-bit checksum plus 4
    zero bits must catch at least 99% (expected miss rate is about 1/256 on key chars)."""
    missed = total = 0
    for seed in range(4):
        raw = bytes((seed * 37 + i * 11) % 256 for i in range(16))
        clean = recovery.normalize(recovery.format_key(SecretKey(raw)))
        for pos, ch in enumerate(clean):
            for other in _ALPHABET:
                if other == ch:
                    continue
                total += 1
                typo = clean[:pos] + other + clean[pos + 1:]
                try:
                    parsed = recovery.parse(typo)
                except MalformedRecoveryKeyError:
                    continue
                missed += 1
                assert parsed.raw() != raw  # an undetected typo never yields the same key
    assert total == 4 * 28 * 31
    assert missed / total < 0.01


@given(keys16)
def test_recovery_key_adjacent_swap_in_checksum_chars_detected(raw: bytes) -> None:
    clean = recovery.normalize(recovery.format_key(SecretKey(raw)))
    if clean[26] == clean[27]:
        return
    swapped = clean[:26] + clean[27] + clean[26]
    with pytest.raises(MalformedRecoveryKeyError):
        recovery.parse(swapped)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "KRFG-RPKV-7N1E-H9P0-Y79E-7D55-JT7",  # one character short
        "KRFG-RPKV-7N1E-H9P0-Y79E-7D55-JT700",  # one character long
        "KRFG-RPKV-7N1E-H9P0-Y79E-7D55-JT7U",  # U is not in the alphabet
        "KRFG-RPKV-7N1E-H9P0-Y79E-7D55-JT7!",
        "KRFG-RPKV-7N1E-H9P0-Y79E-7D55-JT71",  # padding bits not zero
        "KRFG-RPKV-7N1E-H9P0-Y79E-7D55-JT60",  # checksum wrong
        "JRFG-RPKV-7N1E-H9P0-Y79E-7D55-JT70",  # first character changed
    ],
)
def test_recovery_key_malformed_inputs_refused(text: str) -> None:
    with pytest.raises(MalformedRecoveryKeyError):
        recovery.parse(text)


@settings(max_examples=200)
@given(st.text(alphabet=string.printable, max_size=40))
def test_recovery_key_parse_never_raises_anything_else(text: str) -> None:
    try:
        key = recovery.parse(text)
    except MalformedRecoveryKeyError:
        return
    assert len(key) == 16
