"""Sampling, warping and the forward-backward test."""

from __future__ import annotations

import numpy as np

from vidfill.flow.check import (
    fb_check,
    photometric_outliers,
    sample_bilinear,
    sample_stack_bilinear,
    warp_backward,
)


def test_bilinear_sampling_is_exact_on_a_linear_ramp() -> None:
    ys, xs = np.mgrid[0:20, 0:30].astype(np.float32)
    ramp = 3.0 * xs - 2.0 * ys + 5.0
    x = np.array([0.0, 4.25, 17.5, 28.9], np.float32)
    y = np.array([0.0, 3.75, 10.1, 18.0], np.float32)
    np.testing.assert_allclose(sample_bilinear(ramp, x, y), 3 * x - 2 * y + 5, atol=1e-4)


def test_stack_sampling_reads_the_named_frame() -> None:
    stack = np.zeros((3, 8, 8, 3), np.uint8)
    stack[1] = 100
    stack[2] = 200
    out = sample_stack_bilinear(
        stack, np.array([2, 1, 0]), np.array([3.5, 1, 0]), np.array([2.5, 1, 0])
    )
    np.testing.assert_allclose(out[:, 0], [200, 100, 0])


def test_backward_warp_undoes_a_translation() -> None:
    rng = np.random.default_rng(0)
    image = rng.random((24, 32)).astype(np.float32)
    flow = np.zeros((24, 32, 2), np.float32)
    flow[..., 0] = 3  # content of b sits 3 px right of a
    shifted = np.zeros_like(image)
    shifted[:, 3:] = image[:, :-3]
    back = warp_backward(shifted, flow)
    np.testing.assert_allclose(back[:, :-3], image[:, :-3], atol=1e-6)


def test_fb_check_flags_the_pixels_an_object_covers() -> None:
    height, width = 40, 60
    forward = np.zeros((height, width, 2), np.float32)
    backward = np.zeros_like(forward)
    # A square moving 6 px right: in frame a at x 20..29, in frame b at 26..35.
    forward[10:20, 20:30, 0] = 6
    backward[10:20, 26:36, 0] = -6
    valid, residual = fb_check(forward, backward)
    # Background at x 30..35 in frame a is covered in frame b: occluded.
    assert not valid[10:20, 30:36].any()
    assert residual[10:20, 30:36].min() > 5
    # The square itself and far background are consistent.
    assert valid[10:20, 20:30].all()
    assert valid[25:, :].all()


def test_photometric_outliers_find_an_object_the_flow_smoothed_away() -> None:
    # Smooth texture panning 2 px left per frame; a bright square stays still,
    # but the flow says everything pans (as DIS does for a small object).
    ys, xs = np.mgrid[0:40, 0:80].astype(np.float32)
    count = 4
    grey = np.stack(
        [(100 + 40 * np.sin((xs + 2 * t) / 6.0) + 10 * np.cos(ys / 5.0)) for t in range(count)]
    ).astype(np.uint8)
    grey[:, 15:21, 40:46] = 250
    forward = np.zeros((count - 1, 40, 80, 2), np.float32)
    forward[..., 0] = -2.0
    backward = -forward
    holes = np.zeros(grey.shape, bool)
    holes[:, 30:, :10] = True
    out = photometric_outliers(grey, forward, backward, holes, threshold=20.0)
    # Carried 2 px either way, the square's edge columns land on texture.
    assert out[1, 15:21, 40:42].all() and out[1, 15:21, 44:46].all()
    assert not out[1, 15:21, 42:44].any()
    # The texture moves as its flow says: no false alarms there, nor in holes.
    assert not out[:, :10].any()
    assert not out[holes].any()

    # Across a scene cut nothing is judged.
    cut = photometric_outliers(grey, forward, backward, holes, 20.0, np.ones(count - 1, bool))
    assert not cut.any()
