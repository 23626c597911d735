"""Decoding mask images into boolean masks."""

from __future__ import annotations

import numpy as np

from vidfill.masks.ops import binarize


def test_binarize_takes_the_brightest_channel_of_a_colour_mask() -> None:
    rng = np.random.default_rng(2)
    image = rng.integers(0, 256, (9, 11, 3), np.uint8)
    expected = image.max(axis=2) >= 127.5
    np.testing.assert_array_equal(binarize(image), expected)
    # Any one channel at half scale or more marks the pixel.
    single = np.zeros((2, 2, 3), np.uint8)
    single[0, 1, 2] = 128
    single[1, 0, 0] = 127
    assert binarize(single).tolist() == [[False, True], [False, False]]


def test_binarize_reads_alpha_grey_and_float_masks() -> None:
    rgba = np.zeros((2, 2, 4), np.uint16)
    rgba[..., :3] = 65535  # white colour, but the alpha channel decides
    rgba[1, 1, 3] = 40000
    assert binarize(rgba).tolist() == [[False, False], [False, True]]
    grey = np.array([[0.2, 0.5], [0.7, 0.0]], np.float32)
    assert binarize(grey).tolist() == [[False, True], [True, False]]
    two = np.zeros((1, 2, 2), np.float32)
    two[0, 1, 1] = 0.9
    assert binarize(two).tolist() == [[False, True]]
