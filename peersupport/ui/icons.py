"""The application icon from resources/, with a drawn fallback."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtGui import QIcon

_CANDIDATES = (
    Path(__file__).resolve().parents[2] / "resources",  # source checkout
    Path(__file__).resolve().parents[1] / "resources",  # installed package data
)


def app_icon() -> QIcon:
    for folder in _CANDIDATES:
        svg = folder / "peersupport.svg"
        if svg.exists():
            icon = QIcon(str(svg))
            for size in (16, 32, 48, 64, 128, 256):
                png = folder / f"peersupport-{size}.png"
                if png.exists():
                    icon.addFile(str(png))
            return icon
    return QIcon()
