"""Where fine-tuning of the zoo's BSRN attention pair starts: each member, untrained, against bsrn-s-x4.

    python benchmarks/bsrn_finetune_start.py [--threads 1]

Every config of pair ``bsrn-sr`` is built as ``cem-bench train`` builds it before its first step (seed,
published weights, new layers from the seed: :func:`cem_bench.models.train.base_weights.load_base`) and
scored, with the published ``bsrn-s-x4``, on

* the zoo's quality protocol (``zoo_quality.py``: 14 CSet14 centre crops of 192 px, PIL-bicubic x4 LR,
  RGB PSNR, 4 px shaved), with the largest output difference from ``bsrn-s-x4`` (8-bit levels);
* the papers' protocol (``paper_psnr.py``: whole CSet14, MATLAB-bicubic LR, Y-PSNR);
* the training's own held-out validation crops (sun-hays80), the point before the first iteration of
  the validation curve.

Two rows show what the chosen gate (``2 * sigmoid``, expand conv zero) avoids: the ``ca`` member with the
paper's plain sigmoid gate, once with the expand conv at torch's default initialisation and once with it
zero and its bias +5 (a gate of 0.9933 everywhere). Needs the shared assets.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch
from paper_psnr import lr_and_hr, super_resolve, y_psnr
from tabulate import tabulate
from zoo_quality import BENCHMARKS, ground_truths

from cem_bench import ROI
from cem_bench.core.assets import asset_path
from cem_bench.core.images import to_tensor
from cem_bench.core.metrics import roi_psnr
from cem_bench.models.loading import RestorationModel, build_network, load_model
from cem_bench.models.train.base_weights import load_base
from cem_bench.models.train.data import validation_set
from cem_bench.models.train.loop import card_skeleton, validate
from cem_bench.models.train.recipe import TrainConfig, read_config
from model_registry import ZOO_DIR
from model_registry.archs.bsrn import ContrastChannelAttention, contrast_statistics

PAIR = ("ca", "noca", "win4", "win16")


class PlainSigmoid(torch.nn.Module):
    """The paper's CCA gate (``sigmoid``, no factor 2) on a CCA's own layers: what the chosen init avoids."""

    def __init__(self, cca: ContrastChannelAttention) -> None:
        super().__init__()
        self.cca = cca

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * torch.sigmoid(self.cca.conv_du(contrast_statistics(x, self.cca.window)))


def member(config: TrainConfig, variant: str = "") -> torch.nn.Module:
    """The network of ``config`` as training starts it; ``variant`` swaps in a plain-sigmoid gate."""
    torch.manual_seed(config.train.seed)
    network = build_network(card_skeleton(config))
    assert config.init is not None
    load_base(network, config.init, config.train.seed)
    for block in range(1, 6):
        esdb = getattr(network, f"B{block}")
        if variant and esdb.cca is not None:
            expand = esdb.cca.conv_du[2]
            if variant == "sigmoid, torch init":
                expand.reset_parameters()
            else:  # "sigmoid, bias +5"
                torch.nn.init.constant_(expand.bias, 5.0)
            esdb.cca = PlainSigmoid(esdb.cca)
    return network.eval()


@torch.inference_mode()
def crops_psnr(model: RestorationModel, pairs: list, reference: list[torch.Tensor] | None) -> tuple[float, list, float]:
    """Mean RGB PSNR over the crops, the 8-bit outputs, and the largest level difference from ``reference``."""
    shave, psnrs, outputs = BENCHMARKS["sr"].shave, [], []
    for gt, lq in pairs:
        roi = ROI(shave, shave, min(gt.shape[:2]) - 2 * shave)
        output = model(to_tensor(lq)[None]).double()
        window = torch.from_numpy(np.ascontiguousarray(gt[shave:-shave, shave:-shave])).permute(2, 0, 1).double()
        psnrs.append(float(roi_psnr(output, window, roi)[0]))
        outputs.append((output.clamp(0, 1) * 255).round())
    gap = 0.0 if reference is None else max(float((a - b).abs().max()) for a, b in zip(outputs, reference))
    return float(np.mean(psnrs)), outputs, gap


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    started = time.perf_counter()
    task = BENCHMARKS["sr"].task
    pairs = []
    for gt in ground_truths("sr"):
        degraded = task.degrade(task.prepare_gt(gt), 0)
        pairs.append((degraded.gt, degraded.lq))
    folder = asset_path("benchmarks/CSet14")
    paper_pairs = [lr_and_hr(path, 4) for path in sorted(folder.glob("*.png"))]
    configs = {suffix: read_config(ZOO_DIR / "configs" / f"zoo-sr-bsrn-{suffix}.yaml") for suffix in PAIR}
    held_out = validation_set(configs["ca"].data)
    published = load_model("bsrn-s-x4")
    published.configure(task)
    base_psnr, reference, _ = crops_psnr(published, pairs, None)
    rows = []
    candidates = [(f"zoo-sr-bsrn-{s}", configs[s], "") for s in PAIR]
    candidates += [("zoo-sr-bsrn-ca", configs["ca"], v) for v in ("sigmoid, torch init", "sigmoid, bias +5")]
    for name, config, variant in [("bsrn-s-x4", None, "published"), *candidates]:
        if config is None:
            model, network, gap, psnr = published, published.network, 0.0, base_psnr
        else:
            network = member(config, variant)
            model = RestorationModel(network, card_skeleton(config), None)
            model.configure(task)
            psnr, _, gap = crops_psnr(model, pairs, reference)
        paper = np.mean([y_psnr(super_resolve(name, lr, 4, model), hr, 4) for lr, hr in paper_pairs])
        val = validate(network, configs["ca"] if config is None else config, [task], held_out)[task.label]
        gate = variant or ("no CCA" if config.architecture.kwargs.get("attention") == "none" else "2·sigmoid, expand 0")
        rows.append([f"`{name}`", gate, f"{sum(p.numel() for p in network.parameters()):,}",
                     f"{psnr:.2f}", f"{psnr - base_psnr:+.3f}", f"{gap:.0f}", f"{paper:.2f}", f"{val['psnr']:.2f}"])
    print(f"untrained start of pair bsrn-sr, torch {torch.__version__}, {args.threads} thread(s), "
          f"{time.perf_counter() - started:.0f} s")
    headers = ["model", "gate at start", "params", "CSet14 crops RGB PSNR (dB)", "vs bsrn-s-x4 (dB)",
               "max |output diff| (levels)", "CSet14 Y-PSNR, paper protocol (dB)", "sun-hays80 validation (dB)"]
    print(tabulate(rows, headers=headers, tablefmt="github", disable_numparse=True))


if __name__ == "__main__":
    main()
