"""An interrupted run, resumed, writes the same frames as a run that never stopped."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import vidfill
from tests.helpers import read_folder, textured_frames, write_folder
from vidfill.io.resumable import work_folder


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


def test_resume_needs_a_folder_output(tmp_path: Path) -> None:
    clip = write_folder(tmp_path / "frames", textured_frames(4))
    with pytest.raises(vidfill.OutputError, match="frame-folder output"):
        vidfill.remove(clip, tmp_path / "out.mp4", boxes=[(1, 1, 4, 4)], resume=True)
