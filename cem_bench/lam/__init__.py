"""LAM (Local Attribution Maps, Gu & Dong, CVPR 2021) and its Diffusion Index, beside CEM.

Integrated gradients of an output window's gradient magnitude along a progressive-blur path; see
docs/lam.md for the exact definition implemented. Like :mod:`cem_bench.cem`, this engine takes loaded
modules and arrays; :func:`cem_bench.compute_lam` is the entry point that takes names and files.
"""

from cem_bench.lam.attribution import Attribution, attribute, attribution_map
from cem_bench.lam.settings import DEFAULT_WINDOW, LAM_VERSION, LAMSettings

__all__ = ["Attribution", "DEFAULT_WINDOW", "LAMSettings", "LAM_VERSION", "attribute", "attribution_map"]
