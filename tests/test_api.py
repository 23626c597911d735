"""The Python API: streaming arrays in and out, and the file-level call on real clips."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

import vidfill
from tests.helpers import read_folder, textured_frames, write_folder
from vidfill.masks import dilate
from vidfill.masks.sources import list_images


def test_inpaint_streams_without_reading_the_whole_video() -> None:
    frames = textured_frames(200, height=24, width=32)
    pulled = 0

    def source():
        nonlocal pulled
        for frame in frames:
            pulled += 1
            yield frame

    hole = np.zeros((24, 32), bool)
    hole[8:12, 8:12] = True
    results = vidfill.inpaint(source(), (hole for _ in frames), method="frame")
    first = next(results)
    assert first.shape == (24, 32, 3)
    assert pulled < 200
    assert sum(1 for _ in results) == 199


def test_inpaint_rejects_unknown_method() -> None:
    with pytest.raises(vidfill.VidfillError, match="unknown method"):
        vidfill.inpaint([], [], method="nope")


@pytest.mark.parametrize("method", ["frame", "flow"])
def test_remove_on_tennis_changes_only_the_dilated_mask(
    clips_dir: Path, tmp_path: Path, method: str
) -> None:
    frames_dir = clips_dir / "tennis" / "frames"
    masks_dir = clips_dir / "tennis" / "masks"
    out = tmp_path / "out"
    vidfill.remove(frames_dir, out, mask=masks_dir, method=method)
    outputs = sorted(out.iterdir())
    assert len(outputs) == 70
    assert [p.stem for p in outputs] == [p.stem for p in list_images(frames_dir)]
    for index in (0, 35, 69):
        original = cv2.imread(str(list_images(frames_dir)[index]))
        result = cv2.imread(str(outputs[index]))
        mask = cv2.imread(str(list_images(masks_dir)[index]), cv2.IMREAD_GRAYSCALE) >= 128
        hole = dilate(mask, vidfill.api.DEFAULT_DILATE)
        assert np.array_equal(original[~hole], result[~hole])
        assert not np.array_equal(original[hole], result[hole])


def test_remove_frame_folder_to_video_keeps_count_and_fps(clips_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "out.mp4"
    vidfill.remove(
        clips_dir / "carphone" / "frames", out, boxes=[(60, 40, 30, 20)], method="frame", fps=29.97
    )
    info = vidfill.io.probe(out)
    assert info.frame_count == 120
    assert abs(float(info.fps) - 29.97) < 0.01
    assert (info.width, info.height) == (176, 144)
    assert len(read_folder(clips_dir / "carphone" / "frames")) == 120


def test_the_tracking_pass_reports_its_progress_before_filling(tmp_path: Path) -> None:
    frames = textured_frames(7, height=48, width=64)
    for index, frame in enumerate(frames):
        frame[10:22, 8 + 4 * index : 20 + 4 * index] = (240, 30, 30)
    clip = write_folder(tmp_path / "frames", frames)
    calls: list[tuple[str, int]] = []
    vidfill.remove(
        clip,
        tmp_path / "out",
        track_boxes=[((8, 10, 12, 12), 0)],
        method="frame",
        on_track=lambda n: calls.append(("track", n)),
        on_frame=lambda n: calls.append(("fill", n)),
    )
    assert calls == [("track", n) for n in range(1, 8)] + [("fill", n) for n in range(1, 8)]
