"""DIS flow between neighbours and scene-cut detection."""

from __future__ import annotations

import cv2
import numpy as np

from vidfill.flow.estimate import detect_cuts, flow_scale, pair_flows, shrink_masks, to_grey


def _pan(count: int, shift: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    base = cv2.GaussianBlur(
        rng.integers(0, 256, (96, 160 + count * shift, 3), np.uint8), (7, 7), 2.0
    )
    return np.stack([base[:, i * shift : i * shift + 160] for i in range(count)])


def test_flow_of_a_pan_is_the_pan() -> None:
    frames = _pan(3, 4)
    forward, backward = pair_flows(to_grey(frames, 1.0))
    # Content moves left by 4 px from frame t to t+1.
    inner = (slice(16, -16), slice(16, -16))
    assert np.abs(np.median(forward[0][inner][..., 0]) + 4) < 0.3
    assert np.abs(np.median(backward[0][inner][..., 0]) - 4) < 0.3


def test_cuts_are_found_and_pans_are_not() -> None:
    first = _pan(6, 4, seed=1)
    # A different shot: other texture, other tone.
    second = np.clip(_pan(6, 4, seed=2).astype(np.int16) * 2 - 60, 0, 255).astype(np.uint8)
    frames = np.concatenate([first, second])
    grey = to_grey(frames, 1.0)
    forward, _ = pair_flows(grey)
    cuts = detect_cuts(grey, forward)
    assert cuts.tolist() == [False] * 5 + [True] + [False] * 5


def test_scales_and_mask_shrinking() -> None:
    assert flow_scale((480, 854), 427) == 0.5
    assert flow_scale((240, 432), 432) == 1.0
    masks = np.zeros((1, 8, 8), bool)
    masks[0, 3, 3] = True
    small = shrink_masks(masks, (4, 4))
    assert small[0, 1, 1] and small.sum() == 1
