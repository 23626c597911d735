"""The orchestrator: windows, carried context, the working region, untouched pixels."""

from __future__ import annotations

import numpy as np
import pytest
from tests.helpers import textured_frames

from vidfill.errors import MaskError
from vidfill.pipeline.run import fill_stream
from vidfill.pipeline.windows import WindowSettings, working_region


class RecordingEngine:
    """Fills holes with a constant and records every window it is given."""

    name = "recording"
    preferred_window = 10

    def __init__(self) -> None:
        self.calls: list[tuple[np.ndarray, np.ndarray]] = []

    def fill_window(self, frames: np.ndarray, holes: np.ndarray) -> np.ndarray:
        self.calls.append((frames.copy(), holes.copy()))
        out = frames.copy()
        out[holes] = 200
        return out


def hole_stack(count: int, shape: tuple[int, int], box: tuple[int, int, int, int]) -> list:
    x, y, w, h = box
    holes = []
    for _ in range(count):
        hole = np.zeros(shape, bool)
        hole[y : y + h, x : x + w] = True
        holes.append(hole)
    return holes


def test_every_frame_comes_out_once_in_order_and_only_holes_change() -> None:
    frames = textured_frames(37)
    holes = hole_stack(37, frames[0].shape[:2], (20, 10, 8, 6))
    engine = RecordingEngine()
    settings = WindowSettings(length=10, context=2, lookahead=3)
    out = list(fill_stream(iter(frames), iter(holes), engine, window=settings, max_side=None))
    assert len(out) == 37
    for frame, hole, result in zip(frames, holes, out, strict=True):
        assert np.array_equal(result[~hole], frame[~hole])
        assert (result[hole] == 200).all()


def test_windows_carry_finished_frames_as_known_context() -> None:
    frames = textured_frames(30)
    holes = hole_stack(30, frames[0].shape[:2], (20, 10, 8, 6))
    engine = RecordingEngine()
    settings = WindowSettings(length=10, context=2, lookahead=3)
    list(fill_stream(frames, holes, engine, window=settings, max_side=None))
    assert len(engine.calls) > 1
    for window_frames, window_holes in engine.calls[1:]:
        assert len(window_frames) <= settings.length
        # The first `context` frames are finished output: no hole, filled content visible.
        assert not window_holes[: settings.context].any()
        assert window_holes[settings.context :].any(axis=(1, 2)).all()
        assert (window_frames[: settings.context] == 200).any()


def test_frames_without_holes_skip_the_engine() -> None:
    frames = textured_frames(12)
    holes = [np.zeros(frames[0].shape[:2], bool) for _ in frames]
    holes[5][3:6, 3:6] = True
    engine = RecordingEngine()
    out = list(fill_stream(frames, holes, engine, window=WindowSettings(4, 1, 1), max_side=None))
    assert len(out) == 12
    assert all(np.array_equal(a, b) for a, b in zip(out[:5], frames[:5], strict=True))
    # Only windows holding frame 5 reach the engine.
    assert 1 <= len(engine.calls) <= 2
    assert all(call[1].any() for call in engine.calls)
    assert not np.array_equal(out[5], frames[5])


def test_engine_sees_only_the_region_around_the_hole() -> None:
    frames = textured_frames(6, height=200, width=300)
    holes = hole_stack(6, (200, 300), (140, 90, 10, 10))
    engine = RecordingEngine()
    list(fill_stream(frames, holes, engine, window=WindowSettings(6, 0, 0), max_side=None))
    window_frames, _ = engine.calls[0]
    assert window_frames.shape[1] < 200 and window_frames.shape[2] < 300


def test_max_side_scales_the_working_region_and_composites_at_full_size() -> None:
    frames = textured_frames(4, height=120, width=160)
    holes = hole_stack(4, (120, 160), (40, 30, 80, 60))
    engine = RecordingEngine()
    out = list(fill_stream(frames, holes, engine, window=WindowSettings(4, 0, 0), max_side=40))
    window_frames, _ = engine.calls[0]
    assert max(window_frames.shape[1:3]) <= 40
    for frame, hole, result in zip(frames, holes, out, strict=True):
        assert result.shape == frame.shape
        assert np.array_equal(result[~hole], frame[~hole])
        assert abs(int(result[hole].mean()) - 200) <= 2


def test_working_region_is_none_without_holes() -> None:
    assert working_region(np.zeros((3, 10, 10), bool)) is None


def test_mismatched_mask_size_is_a_mask_error() -> None:
    frames = textured_frames(3)
    holes = [np.zeros((10, 10), bool)] * 3
    with pytest.raises(MaskError, match="mask of frame 0"):
        list(fill_stream(frames, holes, RecordingEngine()))


def test_fewer_masks_than_frames_is_a_mask_error() -> None:
    frames = textured_frames(3)
    holes = [np.ones(frames[0].shape[:2], bool)] * 2
    with pytest.raises(MaskError, match="differ in number"):
        list(fill_stream(frames, holes, RecordingEngine(), window=WindowSettings(1, 0, 0)))


def test_window_settings_reject_impossible_geometry() -> None:
    with pytest.raises(ValueError):
        WindowSettings(length=4, context=2, lookahead=2)


class ContextSensitiveEngine:
    """Fills each hole with the window's mean known colour, so output depends on the window."""

    name = "mean"
    preferred_window = 9

    def fill_window(self, frames: np.ndarray, holes: np.ndarray) -> np.ndarray:
        out = frames.copy()
        out[holes] = frames[~holes].mean(axis=0).astype(np.uint8)
        return out


def test_restarting_at_a_checkpoint_gives_the_same_frames() -> None:
    frames = textured_frames(40, seed=3)
    holes = hole_stack(40, frames[0].shape[:2], (20, 10, 8, 6))
    settings = WindowSettings(length=9, context=2, lookahead=3)
    checkpoints: list[int] = []
    full = list(
        fill_stream(
            frames,
            holes,
            ContextSensitiveEngine(),
            window=settings,
            max_side=None,
            on_checkpoint=checkpoints.append,
        )
    )
    assert len(checkpoints) >= 3 and checkpoints == sorted(checkpoints)
    restart = checkpoints[len(checkpoints) // 2]
    resumed = list(
        fill_stream(
            frames[restart:],
            holes[restart:],
            ContextSensitiveEngine(),
            window=settings,
            max_side=None,
            context=full[restart - settings.context : restart],
            first_index=restart,
        )
    )
    assert len(resumed) == 40 - restart
    assert all(np.array_equal(a, b) for a, b in zip(resumed, full[restart:], strict=True))
