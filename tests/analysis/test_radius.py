"""Causal radii are summarised by medians with their censoring, never averaged as if measured."""

from __future__ import annotations

import pytest

from cem_bench.analysis.radius import summarise_radii, unit_radii


def _unit(radius: float | None, x: int = 112) -> dict:
    """A 256x256 unit record (block 8, x4) with a 32-px ROI at (x, 112): its ring limit is min(x, 112) - 8."""
    return {"metrics": {"causal_radius": radius}, "roi": {"x": x, "y": 112, "size": 32},
            "grid": {"block": 8, "in_block": 2}, "image": {"size": [256, 256]}}


def test_radii_at_their_image_edge_limit_are_censored_and_move_the_median_to_a_bound():
    # limits: 104 px for the central ROI, 24 px for the ROI 32 px from the left edge
    summary = unit_radii([_unit(0.0), _unit(24.0, x=32), _unit(24.0, x=32)])
    assert (summary.median, summary.censored, summary.n, summary.lower_bound) == (24.0, 2, 3, True)
    assert summary.text() == "≥ 24 px (2/3 at the image edge)"


def test_measured_radii_give_a_plain_median_and_undefined_ones_are_left_out():
    summary = unit_radii([_unit(0.0), _unit(8.0), _unit(16.0, x=32), _unit(None)])
    assert summary.text() == "8 px (0/3 at the image edge)"
    assert unit_radii([_unit(None)]).text() == "–"


@pytest.mark.parametrize(("radii", "flags", "text"), [
    ([0.0, 8.0, 16.0], [0.0, 0.0, 1.0], "8 px (1/3 at the image edge)"),  # the censored one lies above the median
    ([8.0, 16.0, 16.0], [0.0, 1.0, 1.0], "≥ 16 px (2/3 at the image edge)"),
])
def test_a_censored_radius_makes_the_median_a_bound_only_when_it_could_move_it(radii, flags, text):
    assert summarise_radii(radii, flags).text() == text
