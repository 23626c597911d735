"""The flow engine end to end on small synthetic videos with known answers."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from vidfill.engines.flow import FlowEngine
from vidfill.engines.frame import FrameEngine


def _texture(height: int, width: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    noise = rng.integers(0, 256, (height, width, 3), np.uint8)
    return cv2.GaussianBlur(noise, (7, 7), 1.5)


def _disc(height: int, width: int, cy: float, cx: float, radius: float) -> np.ndarray:
    ys, xs = np.mgrid[0:height, 0:width]
    return (ys - cy) ** 2 + (xs - cx) ** 2 <= radius**2


def _masked_psnr(a: np.ndarray, b: np.ndarray, mask: np.ndarray) -> float:
    diff = a[mask].astype(np.float64) - b[mask]
    return float(10 * np.log10(255**2 / max(np.mean(diff**2), 1e-10)))


@pytest.mark.parametrize("options", [{"ring_chains": True}, {}, {"flow_edges": True}])
def test_translating_background_under_a_moving_mask_is_restored(options: dict) -> None:
    count, height, width, pan = 12, 96, 128, 2
    canvas = _texture(height, width + pan * count)
    truth = np.stack([canvas[:, i * pan : i * pan + width] for i in range(count)])
    holes = np.stack([_disc(height, width, 48, 40 + 4 * i, 14) for i in range(count)])
    blanked = np.where(holes[..., None], 0, truth).astype(np.uint8)
    out = FlowEngine(**options).fill_window(blanked, holes)
    assert _masked_psnr(out, truth, holes) > 35
    base = FrameEngine().fill_window(blanked, holes)
    assert _masked_psnr(base, truth, holes) < 30  # the baseline cannot do this


@pytest.mark.parametrize("spatial", ["harmonic", "patch"])
def test_static_camera_and_static_mask_give_the_same_fill_in_every_frame(spatial: str) -> None:
    # Large enough for the camera's homography to be fitted around the hole:
    # the stillness is detected, not inferred from near-zero noisy flow
    # (which would resample a synthesised texture differently each frame).
    count, height, width = 8, 96, 128
    rng = np.random.default_rng(3)
    background = _texture(height, width, seed=5).astype(np.int16)
    # Sensor noise: the frames are not bit-identical.
    frames = np.clip(background + rng.integers(-1, 2, (count, height, width, 3)), 0, 255)
    frames = frames.astype(np.uint8)
    hole = np.zeros((height, width), bool)
    hole[36:60, 50:80] = True
    holes = np.repeat(hole[None], count, axis=0)
    out = FlowEngine(spatial=spatial).fill_window(frames, holes)
    fills = out[:, hole]
    assert (fills == fills[0]).all()


def test_only_hole_pixels_change() -> None:
    count, height, width = 6, 48, 64
    frames = np.stack([_texture(height, width, seed=i) for i in range(count)])
    holes = np.zeros((count, height, width), bool)
    holes[:, 10:20, 12:30] = True
    holes[0] = False  # a carried context frame
    out = FlowEngine().fill_window(frames, holes)
    assert out.shape == frames.shape and out.dtype == np.uint8
    np.testing.assert_array_equal(out[~holes], frames[~holes])
    assert (out[holes] != 0).any()


def test_the_input_is_left_alone_and_no_window_state_is_held() -> None:
    # The fill is written into the engine's working copy of the frames, which
    # is also the result: the caller's frames must not change, and nothing of
    # the window may outlive the call (it would add to the next window's peak).
    count, height, width = 6, 48, 64
    frames = np.stack([_texture(height, width, seed=i) for i in range(count)])
    holes = np.zeros((count, height, width), bool)
    holes[:, 10:24, 12:34] = True
    before = frames.copy()
    engine = FlowEngine()
    out = engine.fill_window(frames, holes)
    np.testing.assert_array_equal(frames, before)
    assert not np.shares_memory(out, frames)
    assert engine._work is None and engine._ring_rows == []


def test_context_frames_carry_the_fill_across_windows() -> None:
    # A still scene with a static hole: the first window invents the fill;
    # the next window, given finished frames as context, must reuse it.
    count, height, width = 6, 48, 64
    frames = np.repeat(_texture(height, width, seed=9)[None], count, axis=0)
    hole = np.zeros((height, width), bool)
    hole[14:30, 20:40] = True
    holes = np.repeat(hole[None], count, axis=0)
    engine = FlowEngine()
    first = engine.fill_window(frames, holes)
    second_in = first.copy()
    second_holes = holes.copy()
    second_holes[:2] = False  # two finished frames carried in
    second_in[2:] = frames[2:]
    second = engine.fill_window(second_in, second_holes)
    np.testing.assert_array_equal(second[2:, hole], first[:1, hole].repeat(count - 2, axis=0))


def test_single_frame_window_is_filled_spatially() -> None:
    frame = _texture(32, 32)[None]
    hole = np.zeros((1, 32, 32), bool)
    hole[0, 10:20, 10:20] = True
    out = FlowEngine().fill_window(frame, hole)
    np.testing.assert_array_equal(out[~hole], frame[~hole])


@pytest.mark.clips
def test_real_clip_beats_the_per_frame_baseline(clips_dir) -> None:
    paths = sorted((clips_dir / "bmx-trees" / "frames").glob("*.jpg"))[:10]
    truth = np.stack(
        [
            cv2.resize(cv2.imread(str(p))[..., ::-1], (216, 120), interpolation=cv2.INTER_AREA)
            for p in paths
        ]
    )
    # On the graffiti wall, clear of the rider (who would be in the truth).
    holes = np.repeat(_disc(120, 216, 40, 60, 22)[None], len(truth), axis=0)
    blanked = np.where(holes[..., None], 0, truth).astype(np.uint8)
    ours = _masked_psnr(FlowEngine().fill_window(blanked, holes), truth, holes)
    base = _masked_psnr(FrameEngine().fill_window(blanked, holes), truth, holes)
    assert ours > base + 5


@pytest.mark.parametrize("shape", [(2, 16, 16), (3, 7, 5), (4, 2, 3)])
@pytest.mark.parametrize("kind", ["all", "border", "alternate"])
def test_degenerate_windows_are_filled_without_error(shape, kind) -> None:
    frames = np.random.default_rng(0).integers(0, 255, (*shape, 3), dtype=np.uint8)
    holes = np.zeros(shape, bool)
    if kind == "all":
        holes[:] = True
    elif kind == "border":
        holes[:, : shape[1] // 2, : max(1, shape[2] // 3)] = True
    else:
        holes[::2] = True
    out = FlowEngine().fill_window(frames, holes)
    assert out.shape == frames.shape and out.dtype == np.uint8
    np.testing.assert_array_equal(out[~holes], frames[~holes])



def test_never_seen_fill_is_not_drawn_from_a_passer_by() -> None:
    # Static shot, static hole over a never-seen spot of a wall; a textured
    # red figure walks along the hole's edge in the first three frames only.
    # The spatial fill is made once, on a keyframe, and carried to every
    # frame: it must be made where the band around the hole shows the wall.
    count, height, width = 10, 64, 96
    ys, xs = np.mgrid[0:height, 0:width]
    wall = np.stack([90 + ys // 4, 100 + xs // 8, np.full_like(ys, 110)], axis=-1)
    frames = np.repeat(wall[None].astype(np.uint8), count, axis=0)
    rng = np.random.default_rng(1)
    figure = np.zeros((24, 10, 3), np.uint8)
    figure[..., 0] = 160 + rng.integers(0, 90, (24, 10))
    figure[..., 1] = rng.integers(0, 60, (24, 10))
    for t in range(3):
        frames[t, 20:44, 30 + 4 * t : 40 + 4 * t] = figure
    hole = np.zeros((height, width), bool)
    hole[24:40, 40:56] = True
    holes = np.repeat(hole[None], count, axis=0)
    out = FlowEngine().fill_window(frames, holes)
    fill = out[3:, hole].astype(int)
    # Keyed on the first frame (most missing, ties to the earliest), the
    # figure's red was carried into every frame (red - green up to 145).
    assert (fill[..., 0] - fill[..., 1]).max() < 20


def test_a_synthesising_engine_loads_the_kernels_in_the_background(monkeypatch) -> None:
    import threading

    import vidfill.engines.flow as flow
    import vidfill.fill.patch as patch

    monkeypatch.setattr(flow, "_warm_started", False)
    FlowEngine(spatial="harmonic", leftover="harmonic")
    assert not flow._warm_started  # a smooth fill never needs numba
    FlowEngine(spatial="patch")
    assert flow._warm_started
    for thread in threading.enumerate():
        if thread.name == "vidfill-patch-warmup":
            thread.join(timeout=120)
    assert patch._patchmatch.signatures  # compiled or loaded, ready for the keyframe


def _static_never_seen_window() -> tuple[np.ndarray, np.ndarray]:
    count, height, width = 6, 48, 64
    frames = np.repeat(_texture(height, width, seed=11)[None], count, axis=0)
    hole = np.zeros((height, width), bool)
    hole[14:30, 20:40] = True
    return frames, np.repeat(hole[None], count, axis=0)


def test_the_keyframe_fill_runs_beside_the_next_propagation() -> None:
    # The keyframe's spatial fill reads no state the next round changes, so
    # it runs on a second thread; the result must be what it returned.
    import threading

    frames, holes = _static_never_seen_window()
    engine = FlowEngine(spatial="harmonic")
    threads: list[str] = []
    fill = engine._spatial

    def recording(image, hole, source):
        threads.append(threading.current_thread().name)
        return fill(image, hole, source)

    engine._spatial = recording
    out = engine.fill_window(frames, holes)
    assert threads and threading.main_thread().name not in threads
    reference = FlowEngine(spatial="harmonic").fill_window(frames, holes)
    np.testing.assert_array_equal(out, reference)


def test_an_error_in_the_keyframe_fill_is_raised_not_lost() -> None:
    frames, holes = _static_never_seen_window()
    engine = FlowEngine()

    def failing(image, hole, source):
        raise RuntimeError("spatial fill failed")

    engine._spatial = failing
    with pytest.raises(RuntimeError, match="spatial fill failed"):
        engine.fill_window(frames, holes)


def test_provenance_labels_every_hole_pixel_by_how_it_was_filled() -> None:
    from vidfill.engines.flow import PROVENANCE

    count, height, width, pan = 10, 96, 128, 2
    canvas = _texture(height, width + pan * count)
    truth = np.stack([canvas[:, i * pan : i * pan + width] for i in range(count)])
    holes = np.stack([_disc(height, width, 48, 40 + 4 * i, 14) for i in range(count)])
    blanked = np.where(holes[..., None], 0, truth).astype(np.uint8)
    engine = FlowEngine()
    engine.record_provenance = True
    out = engine.fill_window(blanked, holes)
    labels = engine.provenance
    assert labels is not None and engine.provenance_age is not None
    assert (labels[holes] > 0).all() and (labels[~holes] == 0).all()
    # A pan under a moving hole: nearly everything is copied from neighbours.
    assert (labels[holes] == PROVENANCE["local"]).mean() > 0.9
    # Recording changes nothing.
    np.testing.assert_array_equal(out, FlowEngine().fill_window(blanked, holes))

