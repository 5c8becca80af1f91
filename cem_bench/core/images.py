"""Reading evaluation images and hashing arrays.

Images are handled as 8-bit RGB: a ``uint8`` tensor of shape ``[3, H, W]``. An image is named either
by a file path or as ``skimage:NAME`` for the colour images bundled with scikit-image (the embedded
default evaluation set, :data:`EVAL_IMAGES`).

What a file may be (each refusal is a one-line :class:`CemBenchError`):

- at most :data:`MAX_PIXELS` pixels (8192 x 8192), checked from the header before any pixel is decoded,
  so a small file claiming a huge size (a decompression bomb) costs nothing; a CEM of a larger image
  would take days anyway;
- 8 bits per channel. Images with 16-bit (or float) samples are refused, grey and colour alike, rather
  than silently cut to 8 bits: the protocol measures PSNR on the 8-bit grid, so the conversion (and its
  rounding) is the user's decision, made once, e.g. ``convert in.png -depth 8 out.png``.

``skimage:NAME`` accepts only the names in :data:`SKIMAGE_IMAGES`, never any other attribute of
``skimage.data`` (``skimage:download_all`` would otherwise be called).
"""

from __future__ import annotations

import hashlib
import warnings
from pathlib import Path

import numpy as np
import torch
from PIL import Image, UnidentifiedImageError

from cem_bench.core.errors import CemBenchError

SKIMAGE_PREFIX = "skimage:"
# scikit-image's bundled colour photographs used for evaluation. The skimage-8 patch bank is cut
# from the *other* bundled colour images (see banks.py) so that no evaluation pixel is ever pasted
# into an evaluation image as an intervention.
EVAL_IMAGES = ("astronaut", "chelsea", "coffee")
# The 8-bit colour images bundled with scikit-image (no download): the only loaders ``skimage:NAME``
# calls. Greyscale, 3-D, downloaded and generated data are left out on purpose.
SKIMAGE_IMAGES = ("astronaut", "cat", "chelsea", "coffee", "colorwheel", "hubble_deep_field",
                  "immunohistochemistry", "logo", "retina", "rocket")
assert set(EVAL_IMAGES) <= set(SKIMAGE_IMAGES)
MAX_PIXELS = 8192 * 8192
WIDE_MODES = ("I", "I;16", "I;16B", "I;16L", "I;16N", "F")  # Pillow modes of >8-bit samples


def skimage_rgb(name: str) -> np.ndarray:
    """A bundled scikit-image colour image as ``uint8`` ``[H, W, 3]`` (alpha dropped)."""
    if name not in SKIMAGE_IMAGES:
        raise CemBenchError(f"unknown scikit-image image {name!r} (known: {', '.join(SKIMAGE_IMAGES)})")
    import skimage.data

    loader = getattr(skimage.data, name)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        array = np.asarray(loader())
    if array.ndim != 3 or array.shape[2] < 3 or array.dtype != np.uint8:
        raise CemBenchError(f"scikit-image image {name!r} is not an 8-bit colour image")
    return np.ascontiguousarray(array[..., :3])


def wide_samples(image: Image.Image) -> bool:
    """Whether ``image`` stores more than 8 bits per sample. Pillow opens a 16-bit RGB PNG as mode RGB
    (decoding would drop the low bytes), so the raw modes of its tiles are read too (``RGB;16B``)."""
    if image.mode in WIDE_MODES:
        return True
    for tile in getattr(image, "tile", None) or ():
        args = tile[3] if len(tile) > 3 else None  # (codec, extents, offset, args): args holds the raw mode
        rawmode = args[0] if isinstance(args, tuple) and args else args
        if isinstance(rawmode, str) and (";16" in rawmode or ";32" in rawmode):
            return True
    return False


def _check_header(image: Image.Image, path: Path) -> None:
    width, height = image.size
    if width * height > MAX_PIXELS:
        raise CemBenchError(f"image {path} is {width}x{height} pixels; at most {MAX_PIXELS:,} (8192x8192) are read")
    if wide_samples(image):
        raise CemBenchError(f"image {path} has more than 8 bits per channel; only 8-bit images are read: "
                            "convert it first (e.g. `convert in.png -depth 8 out.png`)")


def read_rgb(spec: str | Path) -> np.ndarray:
    """Read ``spec`` (a path or ``skimage:NAME``) as ``uint8`` ``[H, W, 3]``.

    Greyscale images are replicated to three channels and an alpha channel is dropped (the CEM demo
    images are RGBA). Missing, unreadable, oversized (> :data:`MAX_PIXELS`) and >8-bit files raise
    :class:`CemBenchError`, checked from the header before pixels are decoded (module docstring).
    """
    text = str(spec)
    if text.startswith(SKIMAGE_PREFIX):
        return skimage_rgb(text[len(SKIMAGE_PREFIX):])
    path = Path(text)
    if not path.is_file():
        hint = f" (scikit-image's picture is {SKIMAGE_PREFIX}{text})" if text in SKIMAGE_IMAGES else ""
        raise CemBenchError(f"image not found: {path}{hint}")
    try:
        with warnings.catch_warnings():
            # Pillow's own bomb check warns between its limit and twice it; ours (lower) decides instead.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(path) as image:
                _check_header(image, path)
                image.load()
                rgb = image.convert("RGB")
    except Image.DecompressionBombError:  # beyond twice Pillow's limit: refused at open, before our check
        raise CemBenchError(f"image {path} claims more than {MAX_PIXELS:,} (8192x8192) pixels") from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as error:
        raise CemBenchError(f"cannot read image {path}: {error}") from None
    return np.asarray(rgb, dtype=np.uint8).copy()


def to_tensor(rgb: np.ndarray) -> torch.Tensor:
    """``uint8`` ``[H, W, 3]`` -> float32 ``[3, H, W]`` in ``[0, 1]``."""
    return torch.from_numpy(np.array(rgb, dtype=np.uint8, copy=True)).permute(2, 0, 1).float().div(255.0)


def to_uint8(image: torch.Tensor) -> np.ndarray:
    """float ``[3, H, W]`` in ``[0, 1]`` -> ``uint8`` ``[H, W, 3]`` (clipped, rounded)."""
    return image.detach().clamp(0, 1).mul(255).round().byte().permute(1, 2, 0).cpu().numpy()


def quantize(image: torch.Tensor) -> torch.Tensor:
    """Clip to ``[0, 1]`` and round to the 8-bit grid, as saving to PNG would."""
    return image.clamp(0, 1).mul(255).round().div(255)


def array_sha256(array: np.ndarray) -> str:
    """sha256 of an array's content: dtype, shape and C-ordered bytes (not of a file's encoding).

    >>> array_sha256(np.zeros((2, 2), np.uint8))[:12]
    '0f4c62411b61'
    """
    array = np.ascontiguousarray(array)
    digest = hashlib.sha256()
    digest.update(f"{array.dtype.str}{array.shape}".encode())
    digest.update(array.tobytes())
    return digest.hexdigest()


def file_sha256(path: str | Path) -> str:
    """sha256 of a file's bytes, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def as_rgb(image: str | Path | np.ndarray) -> np.ndarray:
    """An image given as a file, ``skimage:NAME`` or an array, as contiguous uint8 ``[H, W, 3]``.

    >>> as_rgb(np.zeros((2, 2, 3))).dtype
    dtype('uint8')
    """
    return read_rgb(image) if isinstance(image, (str, Path)) else np.ascontiguousarray(image, dtype=np.uint8)


def source_name(image: str | Path | np.ndarray) -> str:
    """How a result names its image: the path or ``skimage:NAME`` given, or ``array``.

    >>> source_name("skimage:astronaut"), source_name(np.zeros((1, 1, 3)))
    ('skimage:astronaut', 'array')
    """
    return str(image) if isinstance(image, (str, Path)) else "array"
