"""The recurrent hand-over at window boundaries (pipeline/handover.py)."""

from __future__ import annotations

import numpy as np
from tests.helpers import brightening_frames, hole_levels, textured_frames

from vidfill.pipeline.handover import background_flow, handover_blend, handover_weights


def square_hole(shape: tuple[int, int], y: int, x: int, size: int) -> np.ndarray:
    hole = np.zeros(shape, bool)
    hole[y : y + size, x : x + size] = True
    return hole


def with_object(frame: np.ndarray, hole: np.ndarray) -> np.ndarray:
    """The frame as read: a bright object where the hole is."""
    out = frame.copy()
    out[hole] = (255, 0, 255)
    return out


def test_weights_rise_to_the_window_fill() -> None:
    assert np.allclose(handover_weights(3), [0.25, 0.5, 0.75])


def test_background_flow_follows_the_camera_through_the_hole() -> None:
    frames = textured_frames(2, 96, 128, seed=4, shift=2)
    hole = square_hole((96, 128), 30, 40, 28)
    # Frame 1 as read (object in its hole) against finished frame 0: the
    # texture moved 2 px left, so frame 1's pixel x was at x + 2 in frame 0.
    flow = background_flow(with_object(frames[1], hole), hole, frames[0])
    assert np.abs(flow[hole] - (2.0, 0.0)).max() < 0.5


def test_background_flow_is_exactly_zero_in_the_hole_on_a_still_camera() -> None:
    frame = textured_frames(1, 96, 128, seed=5)[0]
    hole = square_hole((96, 128), 30, 40, 28)
    flow = background_flow(with_object(frame, hole), hole, frame)
    assert np.array_equal(flow[hole], np.zeros_like(flow[hole]))


def test_hand_over_continues_the_previous_finished_frame_along_the_motion() -> None:
    # A texture panning 1 px a frame; the window's own fill is flat grey. The
    # hand-over must carry the previous finished frame (here the truth) into
    # the hole, moved with the texture, then let the own fill in step by step.
    truth = textured_frames(5, 96, 128, seed=6)
    hole = square_hole((96, 128), 30, 40, 28)
    frames = [with_object(f, hole) for f in truth[1:]]
    fills = [np.where(hole[..., None], 128, f).astype(np.uint8) for f in truth[1:]]
    weights = handover_weights(3)
    out = handover_blend(truth[0], frames, [hole] * 4, fills, weights)
    expected = truth[0].astype(np.float64)
    for index, weight in enumerate(weights):
        # The exact recurrence: continue the last output one pixel to the left.
        moved = np.roll(expected, -1, axis=1)
        moved[~hole] = truth[index + 1][~hole]
        expected = np.where(
            hole[..., None], (1 - weight) * moved + weight * 128.0, truth[index + 1]
        )
        error = np.abs(out[index].astype(np.float64) - expected)[hole]
        assert error.mean() < 3.0, (index, error.mean())
        # The texture, not only its mean, comes through: far closer than grey alone.
        grey_error = np.abs(fills[index].astype(np.float64) - expected)[hole].mean()
        assert error.mean() < 0.2 * grey_error
    # Frames after the hand-over keep the window's own fill, untouched.
    assert out[3] is fills[3]
    assert np.array_equal(out[0][~hole], truth[1][~hole])


def test_tolerance_keeps_the_own_fill_where_both_agree() -> None:
    frame = textured_frames(1, 48, 64, seed=7)[0]
    hole = square_hole((48, 64), 10, 20, 16)
    own = frame.copy()
    own[hole] = np.clip(own[hole].astype(int) + 3, 0, 255).astype(np.uint8)
    out = handover_blend(frame, [with_object(frame, hole)], [hole], [own], [0.5], tolerance=4.0)
    assert np.array_equal(out[0], own)
    blended = handover_blend(frame, [with_object(frame, hole)], [hole], [own], [0.5])
    assert not np.array_equal(blended[0], own)


def test_fill_stream_hands_over_from_the_last_finished_frame() -> None:
    frames = brightening_frames(40)

    jumpy, boundaries = hole_levels(frames, seam_frames=0)
    handed, _ = hole_levels(frames, seam_frames=0, handover_frames=4)
    inner = [b for b in boundaries if b + 7 < len(frames)]
    assert len(inner) >= 3
    for b in inner:
        level = float(handed[b - 1])
        for i, weight in enumerate(handover_weights(4)):
            level = (1 - weight) * level + weight * jumpy[b + i]
            assert abs(handed[b + i] - level) <= 1, (b, i)
        assert handed[b + 4] == jumpy[b + 4]
    assert np.abs(np.diff(handed)).max() < np.abs(np.diff(jumpy)).max()


def test_nothing_is_carried_across_a_cut() -> None:
    # The previous frame shows another scene: no flow explains the frame from
    # it, so the window's own fill stays, and the next frame continues that.
    before, after = textured_frames(1, 96, 128, seed=8)[0], textured_frames(3, 96, 128, seed=9)
    hole = square_hole((96, 128), 30, 40, 28)
    frames = [with_object(f, hole) for f in after[1:]]
    fills = [np.where(hole[..., None], 128, f).astype(np.uint8) for f in after[1:]]
    out = handover_blend(before, frames, [hole] * 2, fills, handover_weights(2))
    assert np.array_equal(out[0], fills[0])
    # Continuing frame 0's flat own fill into frame 1's flat fill changes
    # nothing away from the hole's edge (where texture moves in from outside).
    inner = square_hole((96, 128), 33, 43, 22)
    assert np.abs(out[1].astype(int) - fills[1])[inner].max() <= 1
