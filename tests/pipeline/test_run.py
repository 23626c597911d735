"""The orchestrator: windows, carried context, the working region, untouched pixels."""

from __future__ import annotations

import weakref

import numpy as np
import pytest
from tests.helpers import HorizonEngine, brightening_frames, hole_levels, textured_frames

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
    # No hand-over: the engine's constant fill must reach the output as is.
    out = list(
        fill_stream(
            iter(frames), iter(holes), engine, window=settings, max_side=None, handover_frames=0
        )
    )
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


class ForgetfulnessProbe:
    """Checks, at each window, that the results of earlier windows are freed."""

    name = "probe"
    preferred_window = 10

    def __init__(self) -> None:
        self.results: list[weakref.ref] = []
        self.alive_at_call: list[int] = []

    def fill_window(self, frames: np.ndarray, holes: np.ndarray) -> np.ndarray:
        self.alive_at_call.append(sum(ref() is not None for ref in self.results))
        out = frames.copy()
        out[holes] = 200
        self.results.append(weakref.ref(out))
        return out


def test_a_window_result_is_freed_before_the_next_window_runs() -> None:
    # Each result spans the whole window; kept alive into the next window it
    # would add a second window of crops to the peak memory of a long run.
    frames = textured_frames(40)
    holes = hole_stack(40, frames[0].shape[:2], (20, 10, 8, 6))
    engine = ForgetfulnessProbe()
    settings = WindowSettings(length=10, context=2, lookahead=3)
    stream = fill_stream(
        iter(frames), iter(holes), engine, window=settings, max_side=None, seam_frames=0
    )
    assert sum(1 for _ in stream) == 40
    assert len(engine.alive_at_call) > 3
    assert engine.alive_at_call == [0] * len(engine.alive_at_call)


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


@pytest.mark.parametrize("make_engine", [lambda: ContextSensitiveEngine(), lambda: HorizonEngine()])
def test_restarting_at_a_checkpoint_gives_the_same_frames(make_engine) -> None:
    # The seam fade right after the restart must be rebuilt from the context alone.
    frames = textured_frames(40, seed=3)
    holes = hole_stack(40, frames[0].shape[:2], (20, 10, 8, 6))
    settings = WindowSettings(length=9, context=2, lookahead=3)
    checkpoints: list[int] = []
    full = list(
        fill_stream(
            frames,
            holes,
            make_engine(),
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
            make_engine(),
            window=settings,
            max_side=None,
            context=full[restart - settings.context : restart],
            first_index=restart,
        )
    )
    assert len(resumed) == 40 - restart
    assert all(np.array_equal(a, b) for a, b in zip(resumed, full[restart:], strict=True))




def test_fill_fades_across_a_window_boundary_instead_of_jumping() -> None:
    frames = brightening_frames(40)
    jumpy, boundaries = hole_levels(frames, seam_frames=0)
    faded, _ = hole_levels(frames, seam_frames=None)
    # The last window sees no further than the one before it: no jump to fade there.
    inner = [b for b in boundaries if b + 7 < len(frames)]
    assert len(inner) >= 3
    steps_jumpy, steps_faded = np.abs(np.diff(jumpy)), np.abs(np.diff(faded))
    # Without the fade the fill jumps by the frames a window finishes (7 x 4 grey levels).
    assert all(steps_jumpy[b - 1] == 7 * 4 for b in inner)
    # With it the anchor continues the previous window's fill, so the jump is
    # spread evenly over look-ahead + 1 steps and no step is larger.
    assert all(faded[b] == jumpy[b - 1] + 7 for b in inner)
    assert steps_faded.max() == 7
    # Only the first look-ahead frames of a window fade: later ones keep the window's fill.
    assert all(jumpy[b + 3] == faded[b + 3] for b in inner if b + 3 < len(frames))


def test_seam_anchor_sees_only_the_context_and_the_faded_frames() -> None:
    frames = brightening_frames(30)
    holes = hole_stack(30, (24, 32), (10, 8, 6, 6))
    engine = HorizonEngine()
    settings = WindowSettings(length=12, context=2, lookahead=3)
    list(
        fill_stream(
            frames,
            holes,
            engine,
            window=settings,
            max_side=None,
            seam_frames=None,
            handover_frames=0,
        )
    )
    # The first window has no context to anchor to; each later one is followed
    # by an anchor run over its 2 context frames and the 3 frames that fade.
    assert engine.lengths[:5] == [12, 12, 5, 12, 5]


def test_a_held_hole_crops_like_the_full_mask() -> None:
    # Pending holes are kept as box + inside; any region must crop them exactly.
    from vidfill.pipeline.run import _Hole
    from vidfill.pipeline.windows import Region

    rng = np.random.default_rng(3)
    for _ in range(50):
        hole = np.zeros((40, 60), bool)
        y, x = rng.integers(0, 35), rng.integers(0, 55)
        hole[y : y + rng.integers(1, 12), x : x + rng.integers(1, 12)] = rng.random() > 0.3
        hole[y, x] = True
        y0, x0 = rng.integers(0, 30), rng.integers(0, 50)
        region = Region(y0, y0 + int(rng.integers(1, 12)), x0, x0 + int(rng.integers(1, 12)))
        assert np.array_equal(_Hole.of(hole).crop(region), hole[region.slices])
    assert not _Hole.of(np.zeros((4, 4), bool)).crop(Region(0, 4, 0, 4)).any()


def test_free_heap_is_released_before_every_filled_window(monkeypatch) -> None:
    # Free heap left by one window (and the encoder) would otherwise stay
    # resident under the next window's peak; frames without a hole cost nothing.
    import vidfill.pipeline.run as run

    released: list[int] = []
    engine = RecordingEngine()
    monkeypatch.setattr(run, "release_free_heap", lambda: released.append(len(engine.calls)))
    frames = textured_frames(30)
    holes = hole_stack(30, frames[0].shape[:2], (20, 10, 8, 6))
    for index in range(10):
        holes[index][:] = False
    settings = WindowSettings(length=10, context=2, lookahead=3)
    list(fill_stream(frames, holes, engine, window=settings, max_side=None, seam_frames=0))
    assert len(engine.calls) > 1
    # Once before each engine call, none for the empty frames passed through.
    assert released == list(range(len(engine.calls)))
