"""Warping error, occlusion and flicker on videos whose motion is known exactly."""

from __future__ import annotations

import math

import numpy as np
import pytest

from vidfill.metrics import (
    ReferenceFlow,
    estimate_flow,
    masked_flicker,
    occlusion,
    reference_flow,
    warp,
    warp_error_pair,
    warping_error,
)

HEIGHT, WIDTH, SHIFT = 48, 100, 3


def ramp() -> np.ndarray:
    """A horizontal ramp, value 2x in every channel: a shift of s changes it by 2s."""
    row = (2 * np.arange(WIDTH)).astype(np.uint8)
    return np.repeat(np.repeat(row[None, :, None], HEIGHT, axis=0), 3, axis=2)


def shifted(image: np.ndarray, shift: int) -> np.ndarray:
    """Content moved right by ``shift`` px: out(x + shift) = image(x); left edge repeated."""
    out = np.empty_like(image)
    out[:, shift:] = image[:, :-shift]
    out[:, :shift] = image[:, :1]
    return out


def constant_flow(dx: float, dy: float = 0.0) -> np.ndarray:
    flow = np.zeros((HEIGHT, WIDTH, 2), np.float32)
    flow[..., 0], flow[..., 1] = dx, dy
    return flow


def test_warp_with_the_true_flow_undoes_a_shift() -> None:
    first = ramp()
    second = shifted(first, SHIFT)
    back = warp(second, constant_flow(SHIFT))
    # Exact wherever x + 3 stays inside the frame.
    np.testing.assert_array_equal(back[:, : WIDTH - SHIFT], first[:, : WIDTH - SHIFT])


def test_warping_error_is_zero_when_warped_correctly() -> None:
    first = ramp()
    second = shifted(first, SHIFT)
    flow = constant_flow(SHIFT)
    valid = ~occlusion(flow, constant_flow(-SHIFT))
    assert valid[:, : WIDTH - SHIFT].all() and not valid[:, WIDTH - SHIFT :].any()
    assert warp_error_pair(first, second, flow, valid) == pytest.approx(0.0, abs=1e-12)


def test_warping_error_of_a_wrong_flow_is_the_known_value() -> None:
    first = ramp()
    second = shifted(first, SHIFT)
    valid = np.zeros((HEIGHT, WIDTH), bool)
    valid[:, SHIFT:] = True
    # With zero flow every valid pixel differs by 2 * 3 = 6 grey levels:
    # E_warp = (6 / 255)^2 = 5.536e-4.
    error = warp_error_pair(first, second, constant_flow(0.0), valid)
    assert error == pytest.approx((6 / 255) ** 2, rel=1e-6)


def test_warping_error_with_nothing_valid_uses_every_pixel() -> None:
    first = np.zeros((HEIGHT, WIDTH, 3), np.uint8)
    second = np.full_like(first, 51)
    error = warp_error_pair(first, second, constant_flow(0.0), np.zeros((HEIGHT, WIDTH), bool))
    assert error == pytest.approx(0.2**2, rel=1e-6)


def test_occlusion_flags_inconsistent_flow() -> None:
    assert occlusion(constant_flow(2.0), constant_flow(2.0)).all()
    assert not occlusion(constant_flow(0.0), constant_flow(0.0)).any()


def test_dis_flow_finds_a_known_shift(rng: np.random.Generator) -> None:
    texture = rng.integers(0, 255, (HEIGHT // 4, WIDTH // 4), dtype=np.uint8)
    import cv2

    smooth = cv2.resize(texture, (WIDTH * 2, HEIGHT * 2), interpolation=cv2.INTER_CUBIC)
    first = np.repeat(smooth[:, :, None], 3, axis=2)
    second = shifted(first, SHIFT)
    flow = estimate_flow(first, second)
    inner = flow[20:-20, 20:-20]
    assert np.median(inner[..., 0]) == pytest.approx(SHIFT, abs=0.3)
    assert np.median(inner[..., 1]) == pytest.approx(0.0, abs=0.3)


def test_warping_error_of_a_video_ranks_flicker_above_steadiness(
    rng: np.random.Generator,
) -> None:
    import cv2

    texture = rng.integers(0, 255, (30, 50), dtype=np.uint8)
    base = cv2.resize(texture, (WIDTH * 3, HEIGHT * 2), interpolation=cv2.INTER_CUBIC)
    video = np.stack([np.repeat(base[:HEIGHT * 2, 2 * t : 2 * t + WIDTH * 2, None], 3, axis=2)
                      for t in range(6)])
    reference = reference_flow(video)
    steady = warping_error(video, reference)
    flicker = video.astype(np.int16)
    flicker[1::2] += 20
    flickering = warping_error(np.clip(flicker, 0, 255).astype(np.uint8), reference)
    assert steady < 1e-3
    assert flickering > (15 / 255) ** 2


def test_masked_flicker_reads_grey_levels_of_change() -> None:
    video = np.full((4, HEIGHT, WIDTH, 3), 100, np.uint8)
    masks = np.zeros((4, HEIGHT, WIDTH), bool)
    masks[:, 10:20, 10:30] = True
    video[1::2][masks[1::2]] = 110  # the fill alternates 100 / 110 inside the hole
    video[:, 0, 0] = 0  # outside the hole: ignored
    reference = ReferenceFlow(
        flows=np.zeros((3, HEIGHT, WIDTH, 2), np.float32),
        valid=np.ones((3, HEIGHT, WIDTH), bool),
        used=np.ones(3, bool),
    )
    assert masked_flicker(video, masks, reference) == pytest.approx(10.0)
    assert masked_flicker(np.full_like(video, 7), masks, reference) == 0.0
    assert math.isnan(masked_flicker(video, np.zeros_like(masks), reference))
