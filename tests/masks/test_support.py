import cv2
import numpy as np

from tests.masks.synthetic import texture
from vidfill.masks.support import background_motion, track_support
from vidfill.masks.track import box_to_mask


def disk_clip(count: int = 12) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """A textured disk moving right over a background panning left (grey frames)."""
    height, width = 120, 200
    background = cv2.cvtColor(texture(height, width + 2 * count, seed=3), cv2.COLOR_RGB2GRAY)
    disk = cv2.cvtColor(texture(height, width, seed=4, blur=1.0), cv2.COLOR_RGB2GRAY)
    frames, truth = [], []
    for t in range(count):
        frame = np.ascontiguousarray(background[:, 2 * t : 2 * t + width])
        shape = np.zeros((height, width), np.uint8)
        cv2.circle(shape, (60 + 3 * t, 60), 22, 1, -1)
        frame = np.where(shape > 0, np.roll(disk, 3 * t, axis=1), frame)
        frames.append(frame.astype(np.uint8))
        truth.append(shape > 0)
    return frames, truth


def test_support_sheds_the_background_of_the_box_and_follows_the_object() -> None:
    frames, truth = disk_clip()
    start = box_to_mask((38, 38, 45, 45), truth[0].shape)
    supports = track_support(frames, start, range(len(frames)))
    assert sorted(supports) == list(range(len(frames)))
    # A few frames on, the box's corners (a quarter of it) that move with the
    # background are dropped while the disk stays covered.
    later = supports[5]
    coverage = (later & truth[5]).sum() / truth[5].sum()
    precision = (later & truth[5]).sum() / later.sum()
    assert coverage > 0.8, coverage
    assert precision > 0.85, precision
    # Backward from the last frame works the same way.
    back = track_support(frames, truth[8], range(8, -1, -1))
    assert (back[3] & truth[3]).sum() / truth[3].sum() > 0.8


def test_background_motion_is_the_camera_pan() -> None:
    frames, truth = disk_clip()
    flow = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM).calc(
        frames[1], frames[0], None
    )
    model = background_motion(flow, truth[1])
    # Going back one frame the background sits 2 pixels to the right.
    assert abs(model[0, 2] - 2.0) < 0.5 and abs(model[1, 2]) < 0.5
