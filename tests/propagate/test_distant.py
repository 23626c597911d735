"""Distant keyframe candidates through chained homographies."""

from __future__ import annotations

import numpy as np

from vidfill.propagate.distant import distant_candidates, homography_chain, shot_ids


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
