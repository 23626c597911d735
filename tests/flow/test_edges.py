"""Edge-guided flow completion: motion edges continued through a hole act as barriers."""

from __future__ import annotations

import numpy as np
import pytest

from vidfill.flow.complete import harmonic_fill
from vidfill.flow.edges import (
    barrier_fill,
    complete_flow_edges,
    continue_edges,
    edge_guided_fill,
    edge_stubs,
    match_stubs,
    motion_edges,
)


def _disc(height: int, width: int, cy: int, cx: int, radius: int) -> np.ndarray:
    ys, xs = np.mgrid[0:height, 0:width]
    return (ys - cy) ** 2 + (xs - cx) ** 2 <= radius**2


def _two_motions(height: int = 120, width: int = 160) -> tuple[np.ndarray, np.ndarray]:
    """Two regions translating differently, split by a slanted line; the left side's mask."""
    ys, xs = np.mgrid[0:height, 0:width]
    left = xs < 70 + 0.3 * (ys - 60)
    flow = np.empty((height, width, 2), np.float32)
    flow[left] = (3.0, 0.0)
    flow[~left] = (-1.0, 1.5)
    return flow, left


def _epe(a: np.ndarray, b: np.ndarray, where: np.ndarray) -> float:
    return float(np.linalg.norm(a[where] - b[where], axis=-1).mean())


@pytest.mark.parametrize("factor", [1, 2])
def test_edge_guided_fill_keeps_each_side_of_a_motion_boundary(factor: int) -> None:
    flow, _ = _two_motions()
    hole = _disc(120, 160, 60, 80, 30)  # the boundary crosses the hole
    damaged = flow.copy()
    damaged[hole] = np.random.default_rng(0).normal(0, 5, (int(hole.sum()), 2))
    filled, barrier = edge_guided_fill(damaged, hole, factor=factor)
    membrane = harmonic_fill(damaged, hole, factor=factor)
    edge_epe = _epe(filled, flow, hole)
    membrane_epe = _epe(membrane, flow, hole)
    # The membrane ramps between the two motions over the whole hole
    # (measured 0.88 px at factor 1); the barrier keeps both (0.02 px).
    assert membrane_epe > 0.8
    assert edge_epe < 0.1 * membrane_epe
    assert barrier[hole].sum() >= 40  # the boundary was drawn through the hole
    np.testing.assert_array_equal(filled[~hole], damaged[~hole])


def test_the_continued_edge_joins_the_two_stubs_along_the_true_boundary() -> None:
    flow, left = _two_motions()
    hole = _disc(120, 160, 60, 80, 30)
    edges = motion_edges(flow, hole)
    stubs = edge_stubs(edges, hole)
    assert len(stubs) == 2
    assert match_stubs(stubs, hole) == [(0, 1)]
    barrier = continue_edges(edges, hole)
    ys, xs = np.nonzero(barrier & hole)
    true_x = 70 + 0.3 * (ys - 60)
    assert np.abs(xs - true_x).max() <= 2.0


def test_stubs_pointing_apart_are_not_joined_and_only_extended() -> None:
    # A wedge: two boundaries that enter the hole at a 90 degree angle to
    # each other do not continue one another.
    height, width = 120, 160
    ys, xs = np.mgrid[0:height, 0:width]
    wedge = (ys < 60) & (np.abs(xs - 80) < (60 - ys))
    flow = np.zeros((height, width, 2), np.float32)
    flow[wedge] = (4.0, 0.0)
    hole = _disc(height, width, 60, 80, 20)
    edges = motion_edges(flow, hole)
    stubs = edge_stubs(edges, hole)
    assert len(stubs) == 2
    assert match_stubs(stubs, hole) == []
    barrier = continue_edges(edges, hole, extend=6)
    assert 0 < (barrier & hole).sum() <= 2 * 8
    assert not (continue_edges(edges, hole, extend=0) & hole).any()


def test_a_smooth_field_has_no_motion_edges_and_fills_like_the_membrane() -> None:
    ys, xs = np.mgrid[0:96, 0:128].astype(np.float32)
    flow = np.stack([0.02 * xs - 0.01 * ys + 3.0, 0.015 * xs + 0.03 * ys - 2.0], axis=-1)
    hole = _disc(96, 128, 48, 60, 22)
    damaged = flow.copy()
    damaged[hole] = 1000.0
    assert not motion_edges(damaged, hole).any()
    filled, _ = edge_guided_fill(damaged, hole, factor=2)
    np.testing.assert_allclose(filled[hole], flow[hole], atol=1e-3)


def test_a_region_the_barriers_cut_off_from_all_data_gets_the_membrane_not_zero() -> None:
    values = np.full((40, 40, 2), 5.0, np.float32)
    hole = np.zeros((40, 40), bool)
    hole[10:30, 10:30] = True
    barrier = np.zeros_like(hole)
    barrier[15, 15:25] = barrier[24, 15:25] = True
    barrier[15:25, 15] = barrier[15:25, 24] = True  # a closed square inside the hole
    filled = barrier_fill(values, hole, barrier)
    np.testing.assert_allclose(filled[hole], 5.0, atol=1e-3)


def test_complete_flow_edges_adds_the_camera_motion_back() -> None:
    flow, _ = _two_motions()
    camera = np.zeros_like(flow)
    camera[..., 0] = 0.5
    hole = _disc(120, 160, 60, 80, 30)
    damaged = flow + camera
    damaged[hole] = 0.0
    completed = complete_flow_edges(damaged, hole, camera)
    assert _epe(completed, flow + camera, hole) < 0.1
    assert np.array_equal(complete_flow_edges(damaged, np.zeros_like(hole), camera), damaged)


def test_aligned_edges_with_different_motions_on_their_sides_are_not_joined() -> None:
    # Four quadrants moving four ways: the vertical edges above and below
    # the hole are collinear, but the motions beside them differ, so they
    # are not one boundary; neither are the horizontal ones.
    height, width = 120, 160
    ys, xs = np.mgrid[0:height, 0:width]
    flow = np.empty((height, width, 2), np.float32)
    motions = {(0, 0): (3.0, 0.0), (0, 1): (-1.0, 1.5), (1, 0): (0.0, 2.0), (1, 1): (2.0, 2.0)}
    for (row, col), motion in motions.items():
        flow[((ys >= 60) == row) & ((xs >= 80) == col)] = motion
    hole = _disc(height, width, 60, 80, 25)
    edges = motion_edges(flow, hole)
    blind = edge_stubs(edges, hole)
    assert len(blind) == 4
    assert len(match_stubs(blind, hole)) == 2  # direction alone pairs them up
    seeing = edge_stubs(edges, hole, flow, min_jump=1.0)
    assert len(seeing) == 4
    assert match_stubs(seeing, hole) == []
