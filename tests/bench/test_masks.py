"""Synthetic mask generators: reproducible, the right sizes, the right speeds."""

from __future__ import annotations

import numpy as np
import pytest

from vidfill.bench.masks import (
    BLOB_SPAN,
    FAMILIES,
    MOVING_MAX_STEP,
    blob_masks,
    case_seed,
    fast_blob_masks,
    make_masks,
    protocol_dilate,
)
from vidfill.masks.ops import bounding_box

SIZE = (240, 432)


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_every_family_is_reproducible_and_sane(family: str) -> None:
    first = make_masks(family, SIZE, 8, seed=7)
    again = make_masks(family, SIZE, 8, seed=7)
    other = make_masks(family, SIZE, 8, seed=8)
    assert first.shape == (8, *SIZE) and first.dtype == bool
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, other)
    for mask in first:
        assert mask.any() and not mask.all()


def test_case_seed_is_stable_and_distinct() -> None:
    assert case_seed(0, "bikes", "blob") == case_seed(0, "bikes", "blob")
    assert case_seed(0, "bikes", "blob") != case_seed(1, "bikes", "blob")
    assert case_seed(0, "bikes", "blob") != case_seed(0, "bikes", "logo")


def test_protocol_dilation_is_a_cross_four_times() -> None:
    dot = np.zeros((21, 21), bool)
    dot[10, 10] = True
    grown = protocol_dilate(dot)
    # A 3x3 cross applied 4 times grows a point into the L1 ball of radius 4: 41 pixels.
    ys, xs = np.nonzero(grown)
    assert grown.sum() == 41
    assert (np.abs(ys - 10) + np.abs(xs - 10)).max() == 4


@pytest.mark.parametrize("seed", range(12))
def test_large_blob_spans_a_third_to_all_of_the_frame(seed: int) -> None:
    masks = blob_masks(np.random.default_rng(seed), SIZE, 2, span=1.0)
    x, y, w, h = bounding_box(masks[0])
    assert SIZE[0] // 3 <= h <= SIZE[0]
    assert SIZE[1] // 3 <= w <= SIZE[1]
    np.testing.assert_array_equal(masks[0], masks[1])  # stationary


@pytest.mark.parametrize("seed", range(12))
def test_blob_spans_the_published_share_of_its_box(seed: int) -> None:
    masks = blob_masks(np.random.default_rng(seed), SIZE, 1)
    x, y, w, h = bounding_box(masks[0])
    assert round(SIZE[0] / 3 * BLOB_SPAN) - 1 <= h <= round(SIZE[0] * BLOB_SPAN) + 1
    assert round(SIZE[1] / 3 * BLOB_SPAN) - 1 <= w <= round(SIZE[1] * BLOB_SPAN) + 1


def test_blob_holes_match_the_published_masks_on_average() -> None:
    # The published masks cover ~7.8% of a 432x240 frame before dilation
    # (see BLOB_SPAN); edge-to-edge blobs would cover about three times that.
    share = np.mean(
        [blob_masks(np.random.default_rng(s), (240, 432), 1).mean() for s in range(60)]
    )
    assert 0.06 < share < 0.10


@pytest.mark.parametrize("seed", range(8))
def test_moving_blob_moves_at_most_three_pixels_per_frame(seed: int) -> None:
    masks = blob_masks(np.random.default_rng(seed), SIZE, 60, moving=True)
    corners = np.array([bounding_box(mask)[:2] for mask in masks], float)
    steps = np.linalg.norm(np.diff(corners, axis=0), axis=1)
    assert steps.max() <= MOVING_MAX_STEP
    # It does move, unless the drawn box fills the frame and has nowhere to go.
    x, y, w, h = bounding_box(masks[0])
    if w < SIZE[1] - 3 or h < SIZE[0] - 3:
        assert steps.sum() > 0


def test_fast_blob_is_small_and_fast() -> None:
    masks = fast_blob_masks(np.random.default_rng(3), SIZE, 30)
    corners = np.array([bounding_box(mask)[:2] for mask in masks], float)
    steps = np.linalg.norm(np.diff(corners, axis=0), axis=1)
    assert steps.mean() > MOVING_MAX_STEP
    assert masks.mean() < 0.05


def test_unknown_family_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown mask family"):
        make_masks("spiral", SIZE, 2, seed=0)
