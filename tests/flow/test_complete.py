"""Flow masks and the smooth completion of flow inside holes."""

from __future__ import annotations

import numpy as np

from vidfill.flow.complete import (
    CoarseGrid,
    complete_flow,
    deviation,
    fit_homography,
    flow_mask,
    harmonic_fill,
    homography_flow,
    is_static,
    membrane_box,
)


def _affine_field(height: int, width: int) -> np.ndarray:
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    u = 0.02 * xs - 0.01 * ys + 3.0
    v = 0.015 * xs + 0.03 * ys - 2.0
    return np.stack([u, v], axis=-1)


def _disc(height: int, width: int, cy: int, cx: int, radius: int) -> np.ndarray:
    ys, xs = np.mgrid[0:height, 0:width]
    return (ys - cy) ** 2 + (xs - cx) ** 2 <= radius**2


def test_harmonic_fill_reproduces_an_affine_field_exactly() -> None:
    field = _affine_field(96, 128)
    hole = _disc(96, 128, 48, 60, 22)
    damaged = field.copy()
    damaged[hole] = 1000.0  # distrusted values must not leak in
    for factor in (1, 4):
        filled = harmonic_fill(damaged, hole, factor=factor)
        np.testing.assert_allclose(filled[hole], field[hole], atol=1e-3)
        np.testing.assert_array_equal(filled[~hole], field[~hole])


def test_complete_flow_with_camera_motion_restores_a_homography_field() -> None:
    height, width = 90, 120
    matrix = np.array([[1.02, 0.01, 2.0], [-0.01, 0.99, 1.0], [1e-5, -2e-5, 1.0]])
    truth = homography_flow(matrix, (height, width))
    hole = _disc(height, width, 45, 60, 25)
    flow = truth.copy()
    flow[hole] = np.array([8.0, -5.0], np.float32)  # the removed object's motion
    fitted = fit_homography(flow, hole)
    assert fitted is not None
    camera = homography_flow(fitted, (height, width))
    np.testing.assert_allclose(camera, truth, atol=0.05)
    completed = complete_flow(flow, hole, camera)
    np.testing.assert_allclose(completed[hole], truth[hole], atol=0.05)


def test_homography_flow_matches_the_projection_of_every_pixel() -> None:
    matrix = np.array([[1.02, 0.01, 2.0], [-0.01, 0.99, 1.0], [1e-4, -2e-4, 1.0]])
    height, width = 30, 50
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float64)
    points = np.stack([xs, ys, np.ones_like(xs)], axis=-1) @ matrix.T
    truth = points[..., :2] / points[..., 2:] - np.stack([xs, ys], axis=-1)
    flow = homography_flow(matrix, (height, width))
    assert flow.dtype == np.float32 and flow.shape == (height, width, 2)
    np.testing.assert_allclose(flow, truth, atol=1e-4)
    assert not homography_flow(None, (height, width)).any()


def test_deviation_is_the_larger_component_difference() -> None:
    rng = np.random.default_rng(0)
    flow = rng.normal(size=(7, 9, 2)).astype(np.float32)
    reference = rng.normal(size=(7, 9, 2)).astype(np.float32)
    flow[3, 4, 1] = np.nan  # propagates, as a max over the axis would
    expected = np.abs(flow - reference).max(axis=-1)
    np.testing.assert_array_equal(deviation(flow, reference), expected)
    assert deviation(flow[2], reference[2]).shape == (9,)


def test_flow_mask_grows_over_bleed_that_touches_the_hole_only() -> None:
    height, width = 80, 120
    hole = _disc(height, width, 40, 40, 8)
    flow = np.zeros((height, width, 2), np.float32)
    camera = np.zeros_like(flow)
    flow[_disc(height, width, 40, 40, 20)] = (5.0, 0.0)  # bleed around the object
    flow[_disc(height, width, 40, 105, 6)] = (5.0, 0.0)  # another mover, far away
    mask = flow_mask(hole, flow, camera, dilate=2, band=30, threshold=2.0)
    assert mask[_disc(height, width, 40, 40, 19)].all()
    assert not mask[_disc(height, width, 40, 105, 6)].any()
    # The band bounds the growth even when the outlier region is huge.
    flow[:] = (5.0, 0.0)
    bounded = flow_mask(hole, flow, camera, dilate=2, band=10, threshold=2.0)
    assert not bounded[:, 70:].any()


def test_static_camera_is_recognised() -> None:
    assert is_static(np.eye(3), (100, 100))
    shifted = np.eye(3)
    shifted[0, 2] = 1.0
    assert not is_static(shifted, (100, 100))
    assert not is_static(None, (100, 100))


def test_harmonic_fill_over_the_membrane_box_matches_the_whole_frame() -> None:
    rng = np.random.default_rng(5)
    height, width = 61, 83
    values = rng.normal(size=(height, width, 3)).astype(np.float32) * 40
    # Holes in the middle and against each border, where the box is clipped.
    for cy, cx in ((30, 40), (3, 40), (58, 40), (30, 2), (30, 80)):
        hole = _disc(height, width, cy, cx, 9)
        known = _disc(height, width, cy, cx, 13) & ~hole & (rng.random((height, width)) > 0.2)
        for factor in (1, 2, 3, 4):
            box = membrane_box(hole, factor)
            for data in (None, known):
                whole = harmonic_fill(values, hole, known=data, factor=factor)
                part = harmonic_fill(
                    values[box], hole[box], known=None if data is None else data[box], factor=factor
                )
                np.testing.assert_array_equal(part[hole[box]], whole[hole])
                assert hole[box].sum() == hole.sum()


def test_coarse_grid_sums_each_cell_in_row_major_order() -> None:
    rng = np.random.default_rng(7)
    height, width = 37, 45
    # Magnitudes 1e-12 to 1e3: sums that are not exact, so the order shows.
    scale = 10.0 ** rng.integers(-12, 4, (height, width, 2))
    values = (rng.normal(size=(height, width, 2)) * scale).astype(np.float32)
    weights = rng.random((height, width)) > 0.3
    unknown = _disc(height, width, 18, 22, 10)
    for factor in (2, 3, 4):
        grid = CoarseGrid.around(unknown, factor)
        means, count = grid.mean(values, weights)
        hc, wc = grid.cells
        inside = weights[grid.box]
        part = values[grid.box]
        for row in range(hc):
            for col in range(wc):
                total = np.zeros(2)
                pixels = 0
                for y in range(row * factor, min((row + 1) * factor, grid.h)):
                    for x in range(col * factor, min((col + 1) * factor, grid.w)):
                        total += part[y, x].astype(np.float64) * inside[y, x]
                        pixels += int(inside[y, x])
                assert count[row, col] == pixels
                np.testing.assert_array_equal(means[row, col], total / max(pixels, 1))
        hole = unknown[grid.box]
        expected = [
            [
                hole[r * factor : (r + 1) * factor, c * factor : (c + 1) * factor].any()
                for c in range(wc)
            ]
            for r in range(hc)
        ]
        assert grid.any(unknown).tolist() == expected
