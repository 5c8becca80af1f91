"""Metrics of a causal effect map, one per module."""

from .counts import effect_counts
from .diffusion import diffusion_index, gini
from .effect_range import effect_range
from .psnr import roi_psnr

__all__ = ["diffusion_index", "effect_counts", "effect_range", "gini", "roi_psnr"]
