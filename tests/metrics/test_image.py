"""Per-frame metrics against values worked out by hand."""

from __future__ import annotations

import math
import sys

import numpy as np
import pytest

from vidfill.metrics import masked_psnr, psnr, ssim, texture_ratio


@pytest.fixture
def image(rng: np.random.Generator) -> np.ndarray:
    return rng.integers(20, 230, (72, 96, 3), dtype=np.uint8)


def test_psnr_of_identical_frames_is_infinite(image: np.ndarray) -> None:
    assert psnr(image, image.copy()) == math.inf


def test_psnr_of_constant_offset(image: np.ndarray) -> None:
    # MSE = 5^2 everywhere, so PSNR = 10 log10(255^2 / 25) = 34.1514 dB.
    assert psnr(image + 5, image) == pytest.approx(20 * math.log10(255 / 5), abs=1e-9)
    assert psnr(image + 5, image) == pytest.approx(34.1514, abs=1e-4)


def test_psnr_counts_the_whole_frame(image: np.ndarray) -> None:
    # An offset of 10 on a quarter of the pixels: MSE = 100 / 4 = 25, same as above.
    other = image.copy()
    other[:36, :48] += 10
    assert psnr(other, image) == pytest.approx(20 * math.log10(255 / 5), abs=1e-9)


def test_psnr_rejects_different_shapes(image: np.ndarray) -> None:
    with pytest.raises(ValueError, match="shape"):
        psnr(image, image[:-1])


def test_masked_psnr_only_looks_inside_the_mask(image: np.ndarray) -> None:
    mask = np.zeros(image.shape[:2], bool)
    mask[10:30, 20:50] = True
    pred = image.copy()
    pred[mask] += 10
    expected = 20 * math.log10(255 / 10)
    assert masked_psnr(pred, image, mask) == pytest.approx(expected, abs=1e-9)
    pred[~mask] = 0  # whatever happens outside is ignored
    assert masked_psnr(pred, image, mask) == pytest.approx(expected, abs=1e-9)
    assert masked_psnr(image, image, mask) == math.inf
    assert math.isnan(masked_psnr(pred, image, np.zeros_like(mask)))


def test_ssim_of_identical_frames_is_one(image: np.ndarray) -> None:
    assert ssim(image, image.copy()) == pytest.approx(1.0, abs=1e-12)


def test_ssim_drops_with_noise(image: np.ndarray, rng: np.random.Generator) -> None:
    noisy = np.clip(image + rng.normal(0, 25, image.shape), 0, 255).astype(np.uint8)
    assert ssim(noisy, image) < 0.95


def test_ssim_explains_a_missing_scikit_image(
    image: np.ndarray, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "skimage.metrics", None)
    with pytest.raises(ImportError, match="scikit-image"):
        ssim(image, image)


def test_texture_ratio(image: np.ndarray) -> None:
    mask = np.zeros(image.shape[:2], bool)
    mask[20:50, 30:70] = True
    assert texture_ratio(image, image, mask) == pytest.approx(1.0)
    flat = image.copy()
    flat[mask] = 128  # a smeared fill has no texture inside the hole
    assert texture_ratio(flat, image, mask) < 0.5
    assert math.isnan(texture_ratio(image, image, np.zeros_like(mask)))
