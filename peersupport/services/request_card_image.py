"""The QR code image of a request card: the card's own text, as a black-and-white PNG.

The QR matrix comes from the ``qrcode`` package; the PNG is written here with zlib (a
one-bit greyscale image is a few lines, and avoids a dependency on Pillow or Qt, so the command
line can write it too).
"""

from __future__ import annotations

import struct
import zlib

import qrcode
from qrcode.constants import ERROR_CORRECT_M

from peersupport.crypto.request_card import RequestCard

QUIET_ZONE = 4  # modules of white border the QR standard asks for
DEFAULT_SCALE = 8  # pixels per module: about 600 px for a typical card, sharp when printed


def qr_matrix(text: str) -> list[list[bool]]:
    """The QR code of ``text`` (medium error correction), True for a dark module, with the
    quiet zone included."""
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=QUIET_ZONE)
    code.add_data(text.encode("utf-8"))
    code.make(fit=True)
    return [[bool(cell) for cell in row] for row in code.get_matrix()]


def png_bytes(matrix: list[list[bool]], scale: int = DEFAULT_SCALE) -> bytes:
    """A one-bit greyscale PNG of the matrix, ``scale`` pixels per module."""
    if not matrix or scale < 1:
        raise ValueError("an empty matrix or a scale below 1")
    width = len(matrix[0]) * scale
    rows = []
    for cells in matrix:
        bits = "".join(("0" if dark else "1") * scale for dark in cells)  # 0 is black
        bits += "0" * (-len(bits) % 8)
        line = b"\x00" + int(bits, 2).to_bytes(len(bits) // 8, "big")  # filter type 0
        rows.extend([line] * scale)
    header = struct.pack(">IIBBBBB", width, len(matrix) * scale, 1, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header)
            + _chunk(b"IDAT", zlib.compress(b"".join(rows), 9)) + _chunk(b"IEND", b""))


def _chunk(kind: bytes, data: bytes) -> bytes:
    return (struct.pack(">I", len(data)) + kind + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))


def card_png(card: RequestCard, scale: int = DEFAULT_SCALE) -> bytes:
    """The PNG image of the card's QR code."""
    return png_bytes(qr_matrix(card.to_text()), scale)
