"""Metrics of a causal effect map, one per module."""

from .counts import effect_counts
from .effect_range import effect_range
from .psnr import roi_psnr

__all__ = ["effect_counts", "effect_range", "roi_psnr"]
