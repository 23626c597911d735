"""An interrupted run, resumed, writes the same frames as a run that never stopped."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

import vidfill
from tests.helpers import read_folder, textured_frames, write_folder
from tests.io.media import make_video
from vidfill.io import resumable
from vidfill.io.read import iter_frames, probe
from vidfill.io.resumable import work_folder
from vidfill.metrics.image import psnr


class Interrupt(KeyboardInterrupt):
    pass


def stop_after(count: int):
    def on_frame(done: int) -> None:
        if done == count:
            raise Interrupt

    return on_frame


@pytest.mark.parametrize("method", ["frame", "flow"])
def test_resume_matches_an_uninterrupted_run(tmp_path: Path, method: str) -> None:
    clip = write_folder(tmp_path / "frames", textured_frames(40, height=72, width=96, shift=2))
    options = dict(boxes=[(30, 20, 24, 18)], method=method, window=12)
    whole = tmp_path / "whole"
    vidfill.remove(clip, whole, **options)

    part = tmp_path / "part"
    with pytest.raises(Interrupt):
        vidfill.remove(clip, part, on_frame=stop_after(23), **options)
    assert not part.exists()
    assert work_folder(part).is_dir()

    resumed_from = []
    vidfill.remove(clip, part, resume=True, on_frame=resumed_from.append, **options)
    assert 0 < resumed_from[0] - 1 < 23  # it continued, it did not start over
    assert not work_folder(part).exists()
    for a, b in zip(read_folder(whole), read_folder(part), strict=True):
        assert np.array_equal(a, b)


def test_changed_settings_start_over(tmp_path: Path) -> None:
    clip = write_folder(tmp_path / "frames", textured_frames(20, height=48, width=64))
    out = tmp_path / "out"
    with pytest.raises(Interrupt):
        vidfill.remove(
            clip, out, boxes=[(10, 10, 8, 8)], method="frame", window=6, on_frame=stop_after(12)
        )
    done = []
    vidfill.remove(
        clip,
        out,
        boxes=[(10, 10, 9, 8)],
        method="frame",
        window=6,
        resume=True,
        on_frame=done.append,
    )
    assert done[0] == 1
    assert len(read_folder(out)) == 20


@pytest.fixture
def short_segments(monkeypatch: pytest.MonkeyPatch) -> None:
    # Segments close after 10 frames instead of 250, so a 40-frame clip has several.
    monkeypatch.setattr(resumable, "SEGMENT_FRAMES", 10)


@pytest.mark.parametrize("suffix", [".mp4", ".mkv"])
def test_a_video_output_resumes_to_the_same_frames(
    tmp_path: Path, short_segments: None, suffix: str
) -> None:
    # Lossless, so the decoded frames are the filled frames themselves: x264's
    # lossy output is not reproducible bit for bit (under load, 40 encodes of
    # the same frames gave up to 3 different files), the fill is.
    clip = write_folder(tmp_path / "frames", textured_frames(40, height=72, width=96, shift=2))
    options = dict(boxes=[(30, 20, 24, 18)], method="flow", window=12, lossless=True)
    whole = tmp_path / f"whole{suffix}"
    vidfill.remove(clip, whole, **options)

    part = tmp_path / f"part{suffix}"
    with pytest.raises(Interrupt):
        vidfill.remove(clip, part, on_frame=stop_after(31), **options)
    assert not part.exists()
    segments = sorted(p.name for p in (work_folder(part) / "segments").iterdir())
    assert len(segments) >= 2  # closed segments survive; the open one is dropped

    resumed_from = []
    vidfill.remove(clip, part, resume=True, on_frame=resumed_from.append, **options)
    assert 10 < resumed_from[0] - 1 < 31
    assert not work_folder(part).exists()
    assert probe(part).frame_count == 40
    assert probe(part).pts == probe(whole).pts
    for a, b in zip(iter_frames(probe(whole)), iter_frames(probe(part)), strict=True):
        assert np.array_equal(a, b)


def test_a_lossy_video_output_resumes_with_the_same_timing(
    tmp_path: Path, short_segments: None
) -> None:
    clip = write_folder(tmp_path / "frames", textured_frames(30, height=72, width=96, shift=2))
    options = dict(boxes=[(30, 20, 24, 18)], method="frame", window=12)
    whole = tmp_path / "whole.mp4"
    vidfill.remove(clip, whole, **options)
    part = tmp_path / "part.mp4"
    with pytest.raises(Interrupt):
        vidfill.remove(clip, part, on_frame=stop_after(25), **options)
    vidfill.remove(clip, part, resume=True, **options)
    assert probe(part).pts == probe(whole).pts
    # The same frames, each encoded by x264 on its own: under CPU load x264 does
    # not repeat its rate decisions bit for bit (a mean difference of 1 grey
    # level was once exceeded), so compare as codecs do, not as equal arrays.
    for a, b in zip(iter_frames(probe(whole)), iter_frames(probe(part)), strict=True):
        assert psnr(a, b) > 35.0


def test_a_video_output_keeps_timing_and_frames_across_segments(
    tmp_path: Path, short_segments: None
) -> None:
    clip = write_folder(tmp_path / "frames", textured_frames(33, height=48, width=64))
    out = tmp_path / "out.mkv"
    vidfill.remove(clip, out, boxes=[(10, 10, 8, 8)], method="frame", window=6, lossless=True,
                   fps=30)
    frames = list(iter_frames(probe(out)))
    assert len(frames) == 33
    assert probe(out).fps == 30
    hole = np.zeros((48, 64), bool)
    hole[6:22, 6:22] = True  # the box grown by the default dilation
    for original, result in zip(read_folder(clip), frames, strict=True):
        assert np.array_equal(original[~hole], result[~hole])


def test_resume_does_not_apply_to_a_preview(tmp_path: Path) -> None:
    clip = write_folder(tmp_path / "frames", textured_frames(4))
    with pytest.raises(vidfill.OutputError, match="preview"):
        vidfill.remove(
            clip, tmp_path / "out.mp4", boxes=[(1, 1, 4, 4)], resume=True, preview=True
        )


def test_segments_keep_variable_timing_rotation_and_audio(
    tmp_path: Path, short_segments: None
) -> None:
    stamps = [0, 40, 90, 100, 180, 200, 260, 300, 333, 400, 480, 500, 560, 640, 650, 700, 760]
    source = make_video(
        tmp_path / "vfr.mp4", frames=len(stamps), pts=stamps, time_base=Fraction(1, 1000),
        audio="aac", rotation=90, size=(96, 64),
    )
    out = tmp_path / "out.mp4"
    vidfill.remove(source, out, boxes=[(10, 10, 20, 20)], method="frame", window=6)
    before, after = probe(source), probe(out)
    assert after.frame_count == len(stamps)
    assert after.pts == before.pts and after.time_base == before.time_base
    assert after.rotation == 90 and after.has_audio


def test_resumable_frames_identifies_the_run_as_remove_does(tmp_path: Path) -> None:
    clip = write_folder(tmp_path / "frames", textured_frames(20, height=48, width=64))
    out = tmp_path / "out"
    # A start given as a time is the frame remove() makes of it (0.2 s at 25 frames/s: 5).
    options = dict(boxes=[(10, 10, 8, 8)], method="frame", window=6, start="0.2s", fps=25)
    assert vidfill.api.resumable_frames(clip, out, **options) == 0
    with pytest.raises(Interrupt):
        vidfill.remove(clip, out, on_frame=stop_after(14), **options)
    kept = vidfill.api.resumable_frames(clip, out, **options)
    assert 0 < kept < 14
    assert vidfill.api.resumable_frames(clip, out, **{**options, "start": 5}) == kept
    assert vidfill.api.resumable_frames(clip, out, **{**options, "start": 6}) == 0
    assert vidfill.api.resumable_frames(clip, out, **{**options, "dilate": 3}) == 0
    assert vidfill.api.resumable_frames(clip, out, preview=True, **options) == 0
    assert vidfill.api.resumable_frames(clip, tmp_path / "elsewhere", **options) == 0
    # A missing mask, and the encoder of a folder output, are no error.
    assert vidfill.api.resumable_frames(clip, out, mask=tmp_path / "gone.png", **options) == 0
    assert vidfill.api.resumable_frames(clip, out, crf=12, **options) == kept
    done = []
    vidfill.remove(clip, out, resume=True, on_frame=done.append, **options)
    assert done[0] == kept + 1
    assert vidfill.api.resumable_frames(clip, out, **options) == 0
