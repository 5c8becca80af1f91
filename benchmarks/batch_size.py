"""Per-image forward time of registered models at several batch sizes (what the automatic batch rests on).

    python batch_size.py [--models imdn-x2,prn6-rain100l,dncnn-color-blind] [--batches 1,2,4] [--device cpu]

Each model gets random inputs of the size its own task feeds it for the 256×256 benchmark image (LR side
256 / scale for SR). Prints seconds per image, fastest of ``--repeats`` timed forwards after a warm-up.
"""

from __future__ import annotations

import argparse

import torch
from common import best_of, machine
from tabulate import tabulate

from cem_bench.models.loading import get_card, load_model


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", default="imdn-x2,prn6-rain100l,dncnn-color-blind")
    parser.add_argument("--batches", default="1,2,4")
    parser.add_argument("--side", type=int, default=256, help="HR image side")
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()
    device = torch.device(args.device)
    batches = [int(b) for b in args.batches.split(",")]
    rows = []
    for name in args.models.split(","):
        card = get_card(name)
        side = args.side // (card.scale if card.tasks[0].task == "sr" else 1)
        model = load_model(name, device=device)
        row = [name, side]
        for batch in batches:
            x = torch.rand(batch, 3, side, side, generator=torch.Generator().manual_seed(0)).to(device)
            with torch.inference_mode():
                row.append(f"{best_of(lambda: model(x), device, args.repeats) / batch:.3f}")
        rows.append(row)
        print(tabulate([row], tablefmt="plain"), flush=True)
    print(f"\n{machine(device)}; seconds per image")
    print(tabulate(rows, headers=["model", "input side", *(f"batch {b}" for b in batches)], tablefmt="github"))


if __name__ == "__main__":
    main()
