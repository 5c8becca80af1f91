"""Per-image forward time of registered models at several batch sizes (what the automatic batch rests on).

    python batch_size.py [--models imdn-x2,prn6-rain100l,dncnn-color-blind] [--batches 1,2,4] [--device cpu]
    python batch_size.py --models imdn-x4,craft-x4 --batches 1,8,64 --backends torch,onnxruntime --rounds 5

Each model gets random inputs of the size its own task feeds it for the 256×256 benchmark image (LR side
256 / scale for SR). Prints seconds per image. With one backend (torch, the default): fastest of
``--repeats`` timed forwards after a warm-up. With ``--backends torch,onnxruntime`` (CPU only): per batch,
``--rounds`` alternating rounds of one forward per backend (after onnxruntime's export or cache hit and
its check against torch, and a torch warm-up); median per-image seconds and, in brackets, the range.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable

import torch
from common import best_of, machine
from tabulate import tabulate

from cem_bench.cem.backends import serve
from cem_bench.models.loading import get_card, load_model


def alternating(fns: dict[str, Callable[[torch.Tensor], torch.Tensor]], x: torch.Tensor, rounds: int) -> dict[str, list[float]]:
    """Seconds per image of each callable over ``rounds`` rounds, the order reversed every other round."""
    names = list(fns)
    times: dict[str, list[float]] = {name: [] for name in names}
    with torch.inference_mode():
        for fn in fns.values():
            fn(x)  # warm-up; onnxruntime: export or cache hit, session, check against torch
        for index in range(rounds):
            for name in names if index % 2 == 0 else names[::-1]:
                start = time.perf_counter()
                fns[name](x)
                times[name].append((time.perf_counter() - start) / len(x))
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", default="imdn-x2,prn6-rain100l,dncnn-color-blind")
    parser.add_argument("--batches", default="1,2,4")
    parser.add_argument("--side", type=int, default=256, help="HR image side")
    parser.add_argument("--repeats", type=int, default=2, help="torch alone: timed forwards, fastest kept")
    parser.add_argument("--backends", default="torch", help="torch, or torch,onnxruntime (alternating; CPU)")
    parser.add_argument("--rounds", type=int, default=5, help="several backends: alternating rounds, median kept")
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()
    device = torch.device(args.device)
    batches = sorted(int(b) for b in args.batches.split(","))  # ascending: a smaller batch would be padded into a larger graph
    backends = args.backends.split(",")
    print(f"{machine(device)}; load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores", flush=True)
    rows = []
    for name in args.models.split(","):
        card = get_card(name)
        side = args.side // (card.scale if card.tasks[0].task == "sr" else 1)
        model = load_model(name, device=device)
        fns = {backend: model if backend == "torch" else serve(backend, model, device).model for backend in backends}
        cells: dict[str, list[str]] = {backend: [] for backend in backends}
        for batch in batches:
            x = torch.rand(batch, 3, side, side, generator=torch.Generator().manual_seed(0)).to(device)
            if len(backends) == 1:
                with torch.inference_mode():
                    cells[backends[0]].append(f"{best_of(lambda: fns[backends[0]](x), device, args.repeats) / batch:.3f}")
                continue
            for backend, times in alternating(fns, x, args.rounds).items():
                cells[backend].append(f"{statistics.median(times):.3f} ({min(times):.3f}-{max(times):.3f})")
                print(f"    {name} batch {batch} {backend}: {cells[backend][-1]}", flush=True)
        for backend in backends:
            rows.append([name, side, backend, *cells[backend]])
            print(tabulate([rows[-1]], tablefmt="plain"), flush=True)
    print(f"\n{machine(device)}; seconds per image; load average now {os.getloadavg()[0]:.2f}")
    print(tabulate(rows, headers=["model", "input side", "backend", *(f"batch {b}" for b in batches)],
                   tablefmt="github"))


if __name__ == "__main__":
    main()
