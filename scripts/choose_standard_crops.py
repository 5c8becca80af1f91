"""Choose the standard suite's 256x256 crops from the shared test sets (run once; the result is fixed in
cem_bench/pipeline/suites/standard.yaml with each crop's sha256, and docs/standard_suite.md says why).

Criterion, stated before looking: a crop should be content-rich where the ROIs are, so every ROI of the
3x3 lattice sees structure a model must restore. Score of a window = the 10th percentile, over its nine
ROI windows, of the mean gradient magnitude (Sobel on luma) inside each ROI: a window is only as good as
its flattest ROI. Windows are searched on a 32-px stride; per image the best window is kept, and per set
the images with the best scores (ties by name). Greyscale-only images and images smaller than the crop are skipped.

    .venv/bin/python scripts/choose_standard_crops.py ../shared/assets/benchmarks
"""

from __future__ import annotations

import argparse
import hashlib
from pathlib import Path

import numpy as np
from PIL import Image
from scipy import ndimage

SIZE, STRIDE = 256, 32
LATTICE = (32, 112, 192)  # ROI corners in the crop (32-px ROIs, >= 32 px from the border)
ROI = 32
PICK = {"CUrban100": 4, "CBSD68": 4, "CSet14": 2}


def gradient(rgb: np.ndarray) -> np.ndarray:
    luma = rgb.astype(np.float64) @ np.array([0.299, 0.587, 0.114])
    return np.hypot(ndimage.sobel(luma, 0), ndimage.sobel(luma, 1))


def window_score(grad: np.ndarray, y: int, x: int) -> float:
    means = [grad[y + ry : y + ry + ROI, x + rx : x + rx + ROI].mean() for ry in LATTICE for rx in LATTICE]
    return float(np.percentile(means, 10))


def best_window(rgb: np.ndarray) -> tuple[float, int, int]:
    grad = gradient(rgb)
    height, width = rgb.shape[:2]
    return max((window_score(grad, y, x), x, y) for y in range(0, height - SIZE + 1, STRIDE)
               for x in range(0, width - SIZE + 1, STRIDE))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("benchmarks", type=Path)
    args = parser.parse_args()
    for folder, count in PICK.items():
        rows = []
        for path in sorted((args.benchmarks / folder).glob("*.png")):
            image = Image.open(path)
            if image.mode not in ("RGB", "RGBA"):
                continue
            rgb = np.asarray(image.convert("RGB"))
            if min(rgb.shape[:2]) < SIZE:
                continue
            score, x, y = best_window(rgb)
            rows.append((-score, path.name, x, y))
        for negative, name, x, y in sorted(rows)[:count]:
            rgb = np.asarray(Image.open(args.benchmarks / folder / name).convert("RGB"))
            crop = np.ascontiguousarray(rgb[y : y + SIZE, x : x + SIZE])
            digest = hashlib.sha256(crop.tobytes()).hexdigest()
            print(f"{folder}/{name} crop [{x}, {y}, {SIZE}] score {-negative:.1f} sha256 {digest}")


if __name__ == "__main__":
    main()
