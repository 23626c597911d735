"""The patch engine: still fills for still shots, contracts of fill_window."""

from __future__ import annotations

import cv2
import numpy as np
from tests.helpers import textured_frames

from vidfill.engines import get_engine
from vidfill.engines.patch import PatchEngine, camera_shifts, clean_plate


def _static_shot(count: int = 6, seed: int = 0) -> np.ndarray:
    """A still textured background with a little sensor noise per frame."""
    base = textured_frames(1, 48, 64, seed=seed)[0]
    rng = np.random.default_rng(seed + 1)
    noise = rng.integers(-2, 3, (count, *base.shape))
    return np.clip(base[None].astype(int) + noise, 0, 255).astype(np.uint8)


def _box(count: int, shape: tuple[int, int], y0: int, y1: int, x0: int, x1: int) -> np.ndarray:
    holes = np.zeros((count, *shape), bool)
    holes[:, y0:y1, x0:x1] = True
    return holes


def test_registered_under_its_name() -> None:
    engine = get_engine("patch")
    assert isinstance(engine, PatchEngine)
    assert engine.name == "patch" and engine.preferred_window > 1


def test_static_shot_static_mask_gives_identical_fills() -> None:
    frames = _static_shot()
    holes = _box(len(frames), frames.shape[1:3], 14, 34, 20, 44)
    out = PatchEngine().fill_window(frames, holes)
    assert out.shape == frames.shape and out.dtype == np.uint8
    np.testing.assert_array_equal(out[~holes], frames[~holes])
    for t in range(1, len(out)):
        np.testing.assert_array_equal(out[t][holes[t]], out[0][holes[0]])


def test_finished_leading_frames_carry_the_fill_over() -> None:
    frames = _static_shot()
    holes = _box(len(frames), frames.shape[1:3], 14, 34, 20, 44)
    first = PatchEngine(seed=1).fill_window(frames, holes)
    # Next window: two finished frames of the last one lead, hole empty there.
    frames2 = np.concatenate([first[-2:], _static_shot(4, seed=0)])
    holes2 = holes[: len(frames2)].copy()
    holes2[:2] = False
    out = PatchEngine(seed=7).fill_window(frames2, holes2)
    for t in range(2, len(out)):
        np.testing.assert_array_equal(out[t][holes2[t]], first[-1][holes[-1]])


def test_static_shot_moving_mask_uses_revealed_background() -> None:
    frames = _static_shot(8)
    holes = np.zeros(frames.shape[:3], bool)
    for t in range(len(frames)):
        holes[t, 10:30, 4 + 6 * t : 16 + 6 * t] = True  # an object walking right
    blank = frames.copy()
    blank[holes] = 0
    out = PatchEngine().fill_window(blank, holes)
    # Every hidden pixel is shown by some other frame: the fill is the background.
    error = np.abs(out.astype(int) - frames)[holes]
    assert error.mean() < 3.0


def test_moving_camera_fills_every_frame_and_keeps_known_pixels() -> None:
    frames = np.stack(textured_frames(4, 48, 64, seed=3, shift=5))
    holes = _box(len(frames), frames.shape[1:3], 16, 30, 24, 40)
    shifts = camera_shifts(frames, np.zeros_like(holes), chained=True)
    assert abs(shifts[-1, 0] + 15) < 1.5  # content moves left by 5 px a frame
    out = PatchEngine().fill_window(frames, holes)
    np.testing.assert_array_equal(out[~holes], frames[~holes])
    assert (out[holes] != 0).any()


def test_border_touching_hole_and_empty_window() -> None:
    frames = _static_shot(3)
    holes = np.zeros(frames.shape[:3], bool)
    holes[:, :12, :16] = True
    out = PatchEngine().fill_window(frames, holes)
    np.testing.assert_array_equal(out[~holes], frames[~holes])
    nothing = PatchEngine().fill_window(frames, np.zeros_like(holes))
    np.testing.assert_array_equal(nothing, frames)


def test_clean_plate_is_the_median_of_what_is_shown() -> None:
    frames = np.zeros((3, 4, 4, 3), np.uint8)
    frames[:, 1, 1] = [[10] * 3, [200] * 3, [30] * 3]
    holes = np.zeros((3, 4, 4), bool)
    holes[1, 1, 1] = True  # the 200 is the object
    holes[:, 3, 3] = True  # never shown
    plate, seen = clean_plate(frames, holes)
    assert plate[1, 1, 0] == 20
    assert not seen[3, 3] and seen[1, 1]
    assert cv2.countNonZero((~seen).astype(np.uint8)) == 1


def _pan(count: int, shift: int, seed: int = 4) -> np.ndarray:
    """A textured scene panning: content moves ``shift`` px left per frame."""
    return np.stack(textured_frames(count, 72, 96, seed=seed, shift=shift))


def test_moving_camera_fills_from_the_frames_that_show_the_background() -> None:
    frames = _pan(8, 6)
    holes = _box(len(frames), frames.shape[1:3], 24, 48, 40, 58)
    blank = frames.copy()
    blank[holes] = 0
    out = PatchEngine().fill_window(blank, holes)
    np.testing.assert_array_equal(out[~holes], frames[~holes])
    # A static box over a pan hides, in each frame, what others show: the
    # mosaic plate brings the real background back (up to resampling).
    error = np.abs(out.astype(int) - frames)[holes]
    assert error.mean() < 4.0


def test_moving_camera_synthesised_fill_moves_with_the_camera() -> None:
    frames = _pan(6, 5)
    holes = np.zeros(frames.shape[:3], bool)
    for t in range(len(frames)):
        # Fixed in the scene (moves with the pan): no frame ever shows it.
        holes[t, 20:44, 50 - 5 * t : 70 - 5 * t] = True
    blank = frames.copy()
    blank[holes] = 0
    out = PatchEngine().fill_window(blank, holes).astype(int)
    # Synthesised once on the plate and carried: frame t+1 shows frame t's
    # fill, 5 px further left (up to the resampling of the fitted motion).
    for t in range(len(frames) - 1):
        now = out[t][holes[t]]
        later = np.roll(out[t + 1], 5, axis=1)[holes[t]]
        assert np.abs(now - later).mean() < 3.0


def _two_windows(blank: np.ndarray, holes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Frames 0-5 as one window, then frames 6 on as the next, led by finished frames 4 and 5.

    The engines differ in seed, so a fill that is synthesised again (rather than carried)
    comes out different. Returns the first window's result and the second's (its frame 2
    is frame 6).
    """
    first = PatchEngine(seed=1).fill_window(blank[:6], holes[:6])
    frames2 = np.concatenate([first[4:6], blank[6:]])
    holes2 = holes[4:].copy()
    holes2[:2] = False  # finished frames lead with empty holes
    return first, PatchEngine(seed=7).fill_window(frames2, holes2)


def test_moving_camera_fill_carries_over_the_window_boundary() -> None:
    frames = _pan(10, 5)
    holes = np.zeros(frames.shape[:3], bool)
    for t in range(len(frames)):
        holes[t, 20:44, 60 - 5 * t : 80 - 5 * t] = True  # never shown by any frame
    blank = frames.copy()
    blank[holes] = 0
    first, out = _two_windows(blank, holes)
    out = out.astype(int)
    # Frame 6 shows frame 5's invented fill, moved with the camera, not a new one.
    now = first[5].astype(int)[holes[5]]
    later = np.roll(out[2], 5, axis=1)[holes[5]]
    assert np.abs(now - later).mean() < 3.0


def _drifting_shot(count: int = 12, seed: int = 5) -> tuple[np.ndarray, np.ndarray]:
    """A still scene filmed by a slowly drifting camera, with a stream flowing across it.

    Returns the frames and, per frame, the camera's drift ``(dx, dy)``: what is
    at ``p`` in frame 0 is at ``p + drift[t]`` in frame t. The stream (rows
    40-64) flows 2 px a frame on top of that, as a river does under a box.
    """
    rng = np.random.default_rng(seed)
    height, width = 96, 128

    def texture(h: int, w: int) -> np.ndarray:
        noise = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
        return cv2.GaussianBlur(noise, (9, 9), 2.0)

    land = texture(height + 16, width + 16)
    water = texture(height + 16, width + 16 + 2 * count)
    frames, drift = [], []
    for t in range(count):
        dx, dy = 0.15 * t, -0.1 * t
        scene = land.copy()
        start = 2 * (count - t)
        scene[48:72] = water[48:72, start : start + width + 16]
        move = np.float32([[1, 0, dx - 8], [0, 1, dy - 8]])
        frames.append(
            cv2.warpAffine(
                scene, move, (width, height), flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REFLECT
            )
        )
        drift.append((dx, dy))
    return np.stack(frames), np.array(drift)


def test_drifting_shot_fill_follows_the_camera_not_the_stream() -> None:
    frames, drift = _drifting_shot()
    holes = _box(len(frames), frames.shape[1:3], 28, 56, 40, 80)
    blank = frames.copy()
    blank[holes] = 0
    out = PatchEngine().fill_window(blank, holes)
    np.testing.assert_array_equal(out[~holes], frames[~holes])
    # The part of the hole over land, away from the hole's edge: moved back
    # by the camera's drift, every frame's fill is frame 0's. Homographies
    # chained over the band around the hole followed the stream there and
    # drifted by 3 grey levels a pixel by the last frame.
    land = np.zeros(holes.shape[1:], bool)
    land[30:38, 42:78] = True
    size = frames.shape[2:0:-1]
    for t in range(1, len(out)):
        dx, dy = drift[t]
        back = cv2.warpAffine(out[t], np.float32([[1, 0, -dx], [0, 1, -dy]]), size)
        error = np.abs(back.astype(float) - out[0])[land].mean()
        assert error < 1.5, (t, error)


def test_drifting_shot_fill_carries_over_the_window_boundary() -> None:
    frames, drift = _drifting_shot()
    holes = _box(len(frames), frames.shape[1:3], 28, 56, 40, 80)
    blank = frames.copy()
    blank[holes] = 0
    first, out = _two_windows(blank, holes)
    # Frame 6 shows frame 5's fill moved by the camera's drift, not a new one.
    dx, dy = drift[6] - drift[5]
    back = cv2.warpAffine(out[2], np.float32([[1, 0, -dx], [0, 1, -dy]]), frames.shape[2:0:-1])
    inner = np.zeros(holes.shape[1:], bool)
    inner[30:38, 42:78] = True
    assert np.abs(back.astype(float) - first[5])[inner].mean() < 1.5


def test_still_camera_with_most_of_the_frame_moving_keeps_the_fill_still() -> None:
    # A still camera, the hole on the still part (left), and on the right
    # 60% of the frame scenery sliding 0.2 px a frame (a car's window): the
    # median of the flow follows the scenery, the band around the hole does not.
    rng = np.random.default_rng(9)
    height, width, count = 96, 128, 12
    still = cv2.GaussianBlur(rng.integers(0, 256, (height, width, 3), np.uint8), (9, 9), 2.0)
    scenery = cv2.GaussianBlur(rng.integers(0, 256, (height, width, 3), np.uint8), (9, 9), 2.0)
    frames = []
    for t in range(count):
        frame = still.copy()
        slid = cv2.warpAffine(
            scenery,
            np.float32([[1, 0, 0.2 * t], [0, 1, 0]]),
            (width, height),
            flags=cv2.INTER_CUBIC,
            borderMode=cv2.BORDER_REFLECT,
        )
        frame[:, 52:] = slid[:, 52:]
        frames.append(frame)
    frames = np.stack(frames)
    holes = _box(count, (height, width), 30, 60, 8, 36)
    assert 0.5 < np.abs(camera_shifts(frames, holes, chained=True)).max() <= 3.0
    blank = frames.copy()
    blank[holes] = 0
    out = PatchEngine().fill_window(blank, holes).astype(float)
    for t in range(1, count):
        assert np.abs(out[t] - out[0])[holes[t]].mean() < 1.0, t


def test_object_beside_the_hole_changes_the_fill_only_near_it() -> None:
    # A pan with a hole fixed in the scene (never shown: its fill is
    # invented once, on the plate); in frames 4-6 a magenta bar passes
    # just left of the hole, so those frames no longer match the plate
    # around it and are re-synthesised near the bar.
    count, shift = 10, 4
    frames = np.stack(textured_frames(count, 96, 128, seed=3, shift=shift))
    holes = np.zeros(frames.shape[:3], bool)
    bar = np.zeros(frames.shape[:3], bool)
    for t in range(count):
        left = 80 - shift * t
        holes[t, 30:66, left : left + 40] = True
        if 4 <= t <= 6:
            bar[t, 34:62, left - 8 : left - 1] = True
    crossed = frames.copy()
    crossed[bar] = (255, 0, 255)
    engine = PatchEngine()
    fills = []
    for source in (frames, crossed):
        blank = source.copy()
        blank[holes] = 0
        fills.append(engine.fill_window(blank, holes).astype(int))
    for t in (4, 5, 6):
        change = np.abs(fills[0][t] - fills[1][t]).max(axis=2)
        distance = cv2.distanceTransform((~bar[t]).astype(np.uint8), cv2.DIST_L2, 3)
        # Far from the bar the plate's fill stays (up to the registration's
        # rounding: the bar moves the fitted motion a little); re-synthesising
        # the whole hole changed it by 28 grey levels on average.
        assert change[holes[t] & (distance > 24)].max() <= 2
        # Next to it the frame got a fill of its own.
        assert change[holes[t] & (distance <= 8)].mean() > 10
