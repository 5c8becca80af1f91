"""The deraining task's rain layer: the sparse streak sums (``correlate_sparse``) against the dense
float64 ``conv2d`` the layer used before, at a training patch's size and at the standard suite's size.

    python benchmarks/rain_layer.py [--layers 200] [--threads 1]

Per size, both forms are timed on the same seeds and kernels, alternating (so load drifts hit both), and
each layer's float32 result is compared bit for bit (the layer is cast to float32 before any task uses
it). Prints seconds per layer, the ratio, and how many float32 values differed.
"""

from __future__ import annotations

import argparse
import time

import torch
import torch.nn.functional as F

from cem_bench.core.tasks import dr


def dense(seeds: torch.Tensor, kernel: torch.Tensor) -> torch.Tensor:
    """The former form: "same" float64 cross-correlation, one less pad before than after for even sides."""
    before, after = (kernel.shape[0] - 1) // 2, kernel.shape[0] // 2
    return F.conv2d(F.pad(seeds[None, None], (before, after, before, after)), kernel[None, None])[0, 0]


def layer_inputs(size: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """The smoothed seeds and streak kernel ``rain_layer`` builds for ``seed``, captured from the call itself."""
    captured: dict[str, torch.Tensor] = {}

    def capture(seeds: torch.Tensor, kernel: torch.Tensor) -> torch.Tensor:
        captured["seeds"], captured["kernel"] = seeds, kernel
        return original(seeds, kernel)

    original, dr.correlate_sparse = dr.correlate_sparse, capture
    try:
        dr.rain_layer(size, size, torch.Generator().manual_seed(seed))
    finally:
        dr.correlate_sparse = original
    return captured["seeds"], captured["kernel"]


def normalised(streaks: torch.Tensor) -> torch.Tensor:
    return ((streaks - streaks.min()) / (streaks.max() - streaks.min())).float()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--layers", type=int, default=200, help="layers per size (default 200)")
    parser.add_argument("--sizes", default="48,256", help="layer sides in px (default 48: a training patch; 256: a suite image)")
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    print(f"torch {torch.__version__}, {args.threads} thread(s), {args.layers} layers per size")
    print("| side (px) | dense conv2d s/layer | sparse s/layer | dense / sparse | float32 values differing |")
    print("|---|---|---|---|---|")
    for size in (int(side) for side in args.sizes.split(",")):
        spent = {"dense": 0.0, "sparse": 0.0}
        differing = 0
        for seed in range(args.layers):
            seeds, kernel = layer_inputs(size, seed)
            results = {}
            for name, form in (("dense", dense), ("sparse", dr.correlate_sparse))[:: 1 if seed % 2 else -1]:
                start = time.perf_counter()
                results[name] = form(seeds, kernel)
                spent[name] += time.perf_counter() - start
            differing += int((normalised(results["dense"]) != normalised(results["sparse"])).sum())
        per = {name: seconds / args.layers for name, seconds in spent.items()}
        print(f"| {size} | {per['dense']:.4f} | {per['sparse']:.4f} | {per['dense'] / per['sparse']:.1f} | "
              f"{differing} of {args.layers * size * size:,} |")


if __name__ == "__main__":
    main()
