"""Distant keyframe candidates through chained homographies."""

from __future__ import annotations

import cv2
import numpy as np

from vidfill.propagate.distant import (
    FeatureCache,
    distant_candidates,
    homography_chain,
    match_homography,
    off_camera,
    ring_aligned,
    shot_ids,
)


def _shift(dx: float) -> np.ndarray:
    matrix = np.eye(3)
    matrix[0, 2] = dx
    return matrix


def test_chain_composes_pair_homographies_and_restarts_at_cuts() -> None:
    pairs = [_shift(2.0), _shift(3.0), _shift(1.0)]
    cuts = np.array([False, False, True])
    chain = homography_chain(pairs, cuts)
    # Frame 2 sits 5 px right of frame 0's content: back into frame 0 is -5.
    np.testing.assert_allclose(chain[2][0, 2], -5.0)
    np.testing.assert_allclose(chain[3], np.eye(3))
    assert shot_ids(pairs, cuts).tolist() == [0, 0, 0, 1]


def test_distant_candidates_map_into_a_keyframe_of_the_same_shot() -> None:
    count, height, width = 7, 30, 60
    sources = np.ones((count, height, width), bool)
    sources[1:6, 10:20, 20:40] = False
    pairs = [_shift(2.0)] * (count - 1)
    chain = homography_chain(pairs, np.zeros(count - 1, bool))
    ys, xs = np.nonzero(~sources[3])
    tracked = [(np.zeros(0, np.intp),) * 2 for _ in range(count)]
    tracked[3] = (ys, xs)
    wanted = [np.ones(len(t[0]), bool) for t in tracked]
    out = distant_candidates(sources, tracked, wanted, chain, stride=3)
    cand = out[3]
    assert cand is not None and cand.found.all()
    assert set(np.unique(cand.t)) <= {0, 6}
    np.testing.assert_allclose(cand.x, xs + 2.0 * (cand.t - 3), atol=1e-6)


def test_compact_candidates_cover_the_wanted_pixels_only() -> None:
    count, height, width = 7, 30, 60
    sources = np.ones((count, height, width), bool)
    sources[1:6, 10:20, 20:40] = False
    pairs = [_shift(2.0)] * (count - 1)
    chain = homography_chain(pairs, np.zeros(count - 1, bool))
    ys, xs = np.nonzero(~sources[3])
    tracked = [(np.zeros(0, np.intp),) * 2 for _ in range(count)]
    tracked[3] = (ys, xs)
    wanted = [np.zeros(len(t[0]), bool) for t in tracked]
    wanted[3][::3] = True
    full = distant_candidates(sources, tracked, wanted, chain, stride=3)[3]
    compact = distant_candidates(sources, tracked, wanted, chain, stride=3, compact=True)[3]
    assert full is not None and compact is not None
    rows = np.flatnonzero(wanted[3])
    assert len(compact.t) == len(rows)
    np.testing.assert_array_equal(compact.t, full.t[rows])
    np.testing.assert_array_equal(compact.x, full.x[rows])
    np.testing.assert_array_equal(compact.distance, full.distance[rows])
    assert not full.found[~wanted[3]].any()


def test_feature_matching_recovers_a_shift_between_two_frames() -> None:
    rng = np.random.default_rng(5)
    scene = cv2.GaussianBlur(rng.integers(0, 256, (140, 220), dtype=np.uint8), (3, 3), 0)
    first = np.ascontiguousarray(scene[10:130, 10:190])
    second = np.ascontiguousarray(scene[16:136, 3:183])  # content moves by (+7, -6)
    matrix = match_homography(first, second)
    assert matrix is not None
    mapped = cv2.perspectiveTransform(np.float64([[[90.0, 60.0]]]), matrix)[0, 0]
    np.testing.assert_allclose(mapped, [97.0, 54.0], atol=0.5)


def test_a_drifted_chain_is_replaced_by_a_feature_match() -> None:
    # Frame 1 shows the scene 6 px to the right of frame 0; the chain claims no motion (drift),
    # so only the feature match can map frame 1's hole onto frame 0's pixels.
    rng = np.random.default_rng(9)
    scene = cv2.GaussianBlur(rng.integers(0, 256, (120, 200), dtype=np.uint8), (3, 3), 0)
    grey = np.stack([scene[10:110, 10:170], scene[10:110, 4:164]])
    frames = np.repeat(grey[..., None], 3, axis=-1)
    hole = np.zeros((100, 160), bool)
    hole[40:60, 70:90] = True
    sources = np.stack([np.ones_like(hole), ~hole])
    ys, xs = np.nonzero(cv2.dilate(hole.astype(np.uint8), np.ones((7, 7), np.uint8)) > 0)
    tracked = [(np.zeros(0, np.intp), np.zeros(0, np.intp)), (ys, xs)]
    wanted = [np.zeros(0, bool), hole[ys, xs]]
    ring = ~hole[ys, xs]
    rings = [(ys[:0], xs[:0]), (ys[ring], xs[ring])]
    chain = [np.eye(3), np.eye(3)]
    kwargs = dict(frames=frames, rings=rings, stride=1, compact=True)
    assert distant_candidates(sources, tracked, wanted, chain, **kwargs)[1].found.sum() == 0
    matcher = FeatureCache(frames, sources)
    cand = distant_candidates(sources, tracked, wanted, chain, matcher=matcher, **kwargs)[1]
    assert cand.found.all()
    hy, hx = ys[~ring], xs[~ring]
    np.testing.assert_allclose(cand.x, hx - 6, atol=0.5)
    np.testing.assert_allclose(cand.y, hy, atol=0.5)


def test_off_camera_flags_only_what_moves_unlike_the_camera() -> None:
    # A pan of 3 px right with a 10x10 object moving 3 px left instead.
    flow = np.zeros((40, 60, 2), np.float32)
    flow[..., 0] = 3.0
    flow[10:20, 30:40, 0] = -3.0
    moving = off_camera(flow, _shift(3.0), threshold=1.0)
    expected = np.zeros((40, 60), bool)
    expected[10:20, 30:40] = True
    np.testing.assert_array_equal(moving, expected)
    # Judged against a still camera instead, the whole pan would move.
    assert off_camera(flow, np.eye(3), threshold=1.0).all()
    assert not off_camera(flow, None, threshold=1.0).any()


def _ring_error(frames, sources, ring, t, k, matrix):
    """The ring test's mean colour error written out pixel by pixel (None: too few pixels)."""
    height, width = sources.shape[1:]
    errors = []
    for y, x in zip(*ring, strict=True):
        mx, my, w = matrix @ np.array([x, y, 1.0])
        rx, ry = int(np.rint(mx / w)), int(np.rint(my / w))
        if 0 <= rx < width and 0 <= ry < height and sources[k, ry, rx]:
            diff = frames[k, ry, rx].astype(int) - frames[t, y, x].astype(int)
            errors.extend(np.abs(diff).tolist())
    return None if len(errors) < 3 * 16 else float(np.mean(errors))


def test_ring_aligned_compares_the_mapped_ring_with_the_other_frame() -> None:
    rng = np.random.default_rng(3)
    height, width = 40, 50
    base = rng.integers(0, 256, (height, width + 20, 3), np.uint8)
    # Frame 1 shows frame 0's content moved 3 px left, plus noise of +-4.
    frames = np.stack([base[:, :width], base[:, 3 : width + 3]])
    noise = rng.integers(-4, 5, frames[1].shape)
    frames[1] = np.clip(frames[1].astype(int) + noise, 0, 255).astype(np.uint8)
    sources = np.ones((2, height, width), bool)
    sources[1, 12:20, :] = False  # part of the ring lands off frame 1's sources
    hole = np.zeros((height, width), bool)
    hole[10:30, 15:35] = True
    ring = np.nonzero(cv2.dilate(hole.astype(np.uint8), np.ones((5, 5), np.uint8)) > hole)
    for dx, expect in ((-3.0, True), (0.0, False), (-40.0, False)):
        matrix = _shift(dx)
        reference = _ring_error(frames, sources, ring, 0, 1, matrix)
        assert (reference is not None and reference < 10.0) is expect
        assert ring_aligned(frames, sources, ring, 0, 1, matrix, 10.0) is expect
    # The threshold sits on the same mean error as the pixel-by-pixel one.
    error = _ring_error(frames, sources, ring, 0, 1, _shift(-3.0))
    assert ring_aligned(frames, sources, ring, 0, 1, _shift(-3.0), error + 1e-6)
    assert not ring_aligned(frames, sources, ring, 0, 1, _shift(-3.0), error)
