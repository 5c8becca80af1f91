"""The hostile input files of tests/security/inputs/, built from code so that each one says what it is.

``python tests/security/hostile_inputs.py`` rewrites them (byte for byte up to the zlib version).
"""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from pathlib import Path

import numpy as np

INPUTS = Path(__file__).resolve().parent / "inputs"


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def png(width: int, height: int, depth: int, colour: int, pixels: np.ndarray | None = None) -> bytes:
    """A PNG whose header says ``width`` x ``height`` at ``depth`` bits, colour type ``colour`` (0 grey,
    2 RGB, 4 grey+alpha, 6 RGBA); ``pixels`` (big-endian rows) or no image data at all."""
    header = struct.pack(">IIBBBBB", width, height, depth, colour, 0, 0, 0)
    raw = b"" if pixels is None else b"".join(b"\x00" + row.tobytes() for row in pixels)
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", zlib.compress(raw)) + _chunk(b"IEND", b"")


def ramp16(height: int, width: int, channels: int) -> np.ndarray:
    """Big-endian 16-bit samples whose low bytes differ (an 8-bit cut would lose them)."""
    values = (np.arange(height * width * channels) * 997 % 65536).astype(">u2")
    return values.reshape(height, width, channels) if channels > 1 else values.reshape(height, width)


def npz_member(name: str, header: dict, data: bytes = b"") -> bytes:
    """A zip archive holding one ``.npy`` member with the given header (and data)."""
    member = io.BytesIO()
    np.lib.format.write_array_header_1_0(member, header)
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as handle:
        handle.writestr(zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0)), member.getvalue() + data)
    return archive.getvalue()


def files() -> dict[str, bytes]:
    """File name -> bytes of every hostile input (each a few hundred bytes at most)."""
    return {
        # a decompression bomb: the header claims 100,000 x 100,000 RGB pixels
        "bomb-100000.png": png(100_000, 100_000, 8, 2),
        # between cem-bench's limit (8192^2) and Pillow's own (~179 M pixels)
        "big-10000.png": png(10_000, 10_000, 8, 2),
        "rgb16.png": png(8, 8, 16, 2, ramp16(8, 8, 3)),
        "grey16.png": png(8, 8, 16, 0, ramp16(8, 8, 1)),
        "rgba16.png": png(8, 8, 16, 6, ramp16(8, 8, 4)),
        # patch banks
        "not-a-zip.npz": b"this is not a zip archive\n" * 4,
        "zip-magic-only.npz": b"PK\x03\x04" + b"\x00" * 60,
        "npy-renamed.npz": _npy(np.zeros((2, 8, 8, 3), np.uint8)),
        "no-patches.npz": npz_member("other.npy", {"descr": "|u1", "fortran_order": False, "shape": (4,)}, b"\x00" * 4),
        "huge-patches.npz": npz_member("patches.npy", {"descr": "|u1", "fortran_order": False,
                                                       "shape": (10**9, 8, 8, 3)}, b"\x00" * 16),
        "float-patches.npz": npz_member("patches.npy", {"descr": "<f4", "fortran_order": False,
                                                        "shape": (1, 8, 8, 3)}, b"\x00" * 768),
        # YAML in Latin-1 (the first non-ASCII byte is the 0xe8 of "modèle"): cards and suites are UTF-8
        "latin1-card.yaml": "name: latin1\ndescription: mod\u00e8le d\u00e9bruit\u00e9\n".encode("latin-1"),
        "latin1-suite.yaml": "name: latin1\ndescription: s\u00e9rie\n".encode("latin-1"),
    }


def _npy(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=False)
    return buffer.getvalue()


if __name__ == "__main__":
    INPUTS.mkdir(exist_ok=True)
    for name, data in files().items():
        (INPUTS / name).write_bytes(data)
    print(f"wrote {len(files())} files to {INPUTS}")
