"""The progressive-blur path: kernel, end points, increments, against SciPy's reflect-101 filter."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from scipy import ndimage

from cem_bench.core.errors import CemBenchError
from cem_bench.lam.path import BlurPath, gaussian_kernel


def test_gaussian_kernel_is_the_normalised_isotropic_gaussian():
    kernel = gaussian_kernel(9, 1.2).numpy()
    axis = np.arange(-4, 5)
    expected = np.exp(-(axis[:, None] ** 2 + axis[None, :] ** 2) / (2 * 1.2**2))
    np.testing.assert_allclose(kernel, expected / expected.sum(), rtol=1e-14)
    assert kernel.shape == (9, 9) and np.array_equal(kernel, kernel.T) and np.array_equal(kernel, kernel[::-1])


@pytest.mark.parametrize(("size", "sigma"), [(8, 1.2), (0, 1.2), (9, -0.1)])
def test_bad_kernel_is_refused(size, sigma):
    with pytest.raises(CemBenchError):
        gaussian_kernel(size, sigma)


@pytest.fixture(scope="module")
def image() -> torch.Tensor:
    return torch.rand(3, 13, 17, generator=torch.Generator().manual_seed(3), dtype=torch.float64)


def test_path_ends_at_the_input_and_starts_at_the_blurred_baseline(image):
    path = BlurPath(image, sigma=1.2, kernel_size=9)
    ends = path.points(torch.tensor([0.0, 1.0], dtype=torch.float64))
    assert torch.equal(ends[1], image)
    kernel = gaussian_kernel(9, 1.2).numpy()
    # SciPy's "mirror" border is OpenCV's reflect-101, the LAM reference's filter2D default.
    expected = np.stack([ndimage.correlate(channel, kernel, mode="mirror") for channel in image.numpy()])
    np.testing.assert_allclose(ends[0].numpy(), expected, rtol=0, atol=1e-12)


def test_midway_point_is_blurred_with_the_interpolated_sigma(image):
    path = BlurPath(image, sigma=2.0, kernel_size=5)
    point = path.points(torch.tensor([0.75], dtype=torch.float64))[0]
    kernel = gaussian_kernel(5, 0.5).numpy()
    expected = np.stack([ndimage.correlate(channel, kernel, mode="mirror") for channel in image.numpy()])
    np.testing.assert_allclose(point.numpy(), expected, rtol=0, atol=1e-12)


def test_increments_are_differences_of_points(image):
    path = BlurPath(image)
    alphas = torch.linspace(0, 1, 6, dtype=torch.float64)
    steps = path.increments(alphas[1:], alphas[:-1])
    points = path.points(alphas)
    np.testing.assert_allclose(steps.numpy(), (points[1:] - points[:-1]).numpy(), rtol=0, atol=1e-12)
    np.testing.assert_allclose(steps.sum(0).numpy(), (image - points[0]).numpy(), rtol=0, atol=1e-12)


def test_image_smaller_than_the_kernel_is_refused():
    with pytest.raises(CemBenchError, match="at least 5x5"):
        BlurPath(torch.zeros(3, 4, 20)).points(torch.zeros(1, dtype=torch.float64))
