"""The deraining task's rain layer: the sparse streak sums (``correlate_sparse``, a loop on NumPy views)
against the dense float64 ``conv2d`` the layer used first and against the same loop on torch slices (the
form before it), at a training patch's size and at the standard suite's size.

    python benchmarks/rain_layer.py [--layers 200] [--threads 1]

Per size, the forms are timed on the same seeds and kernels, in an order that rotates per layer (so load
drifts hit all), and each layer's float32 result is compared with the dense one bit for bit (the layer is
cast to float32 before any task uses it), and its float64 result with the torch loop's (the same sums in
the same order). Prints seconds per layer, the ratios, and how many values differed.
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


def torch_loop(seeds: torch.Tensor, kernel: torch.Tensor) -> torch.Tensor:
    """The sparse form as first written: one flipped kernel added per non-zero seed, on torch slices."""
    side = kernel.shape[0]
    flipped = kernel.flip(0, 1)
    extended = torch.zeros(seeds.shape[0] + side - 1, seeds.shape[1] + side - 1, dtype=kernel.dtype)
    rows, cols = torch.nonzero(seeds, as_tuple=True)
    for row, col, value in zip(rows.tolist(), cols.tolist(), seeds[rows, cols].tolist()):
        extended[row:row + side, col:col + side] += value * flipped
    return extended[side // 2:side // 2 + seeds.shape[0], side // 2:side // 2 + seeds.shape[1]]


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
    print("| side (px) | dense conv2d s/layer | torch loop s/layer | NumPy loop s/layer | dense / NumPy | torch loop / NumPy "
          "| float32 values differing from dense | float64 values differing from the torch loop |")
    print("|---|---|---|---|---|---|---|---|")
    forms = (("dense", dense), ("torch loop", torch_loop), ("numpy", dr.correlate_sparse))
    for size in (int(side) for side in args.sizes.split(",")):
        spent = dict.fromkeys([name for name, _ in forms], 0.0)
        from_dense = from_loop = 0
        for seed in range(args.layers):
            seeds, kernel = layer_inputs(size, seed)
            results = {}
            for name, form in forms[seed % 3:] + forms[:seed % 3]:
                start = time.perf_counter()
                results[name] = form(seeds, kernel)
                spent[name] += time.perf_counter() - start
            from_dense += int((normalised(results["dense"]) != normalised(results["numpy"])).sum())
            from_loop += int((results["torch loop"] != results["numpy"]).sum())
        per = {name: seconds / args.layers for name, seconds in spent.items()}
        values = f"{args.layers * size * size:,}"
        print(f"| {size} | {per['dense']:.4f} | {per['torch loop']:.4f} | {per['numpy']:.4f} | "
              f"{per['dense'] / per['numpy']:.1f} | {per['torch loop'] / per['numpy']:.2f} | "
              f"{from_dense} of {values} | {from_loop} of {values} |")

if __name__ == "__main__":
    main()
