"""LAM (Local Attribution Maps, Gu & Dong, CVPR 2021) and its Diffusion Index, beside CEM.

Integrated gradients of an output window's gradient magnitude along a progressive-blur path; see
docs/lam.md for the exact definition implemented.
"""

from cem_bench.lam.attribution import LAMResult, attribution_map, lam
from cem_bench.lam.settings import DEFAULT_WINDOW, LAM_VERSION, LAMSettings

__all__ = ["DEFAULT_WINDOW", "LAMResult", "LAMSettings", "LAM_VERSION", "attribution_map", "lam"]
