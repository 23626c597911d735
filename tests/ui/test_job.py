"""The GUI's background job: runs remove(), reports progress, cancels without leftovers."""

from __future__ import annotations

import os
import queue
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from tests.helpers import read_folder, textured_frames, write_folder
from vidfill.io import resumable
from vidfill.io.read import probe
from vidfill.io.resumable import work_folder
from vidfill.ui.logic import (
    Form,
    Interrupted,
    Job,
    JobEvent,
    Region,
    build_remove_kwargs,
    find_interrupted,
)

TIMEOUT = 120


@pytest.fixture
def clip(tmp_path: Path) -> Path:
    return write_folder(tmp_path / "clip", textured_frames(8))


def run_to_end(job: Job) -> list[JobEvent]:
    job.start()
    assert job.join(TIMEOUT), "the job did not finish"
    events = job.drain()
    assert events and events[-1].final
    return events


def kinds(events: list[JobEvent]) -> list[str]:
    return [event.kind for event in events]


class CancelWhen(queue.Queue):
    """An event queue that cancels its job at the first event ``stop`` accepts."""

    def __init__(self, stop: Callable[[JobEvent], bool]) -> None:
        super().__init__()
        self.stop = stop
        self.job: Job | None = None

    def put(self, item: JobEvent, block: bool = True, timeout: float | None = None) -> None:
        super().put(item, block, timeout)
        if self.job is not None and self.stop(item):
            self.job.cancel()


def cancel_at(frames: int) -> CancelWhen:
    """A queue that cancels its job once ``frames`` frames are written."""
    return CancelWhen(lambda event: event.kind == "progress" and event.done >= frames)


def test_a_job_fills_a_frame_folder_and_reports_progress(tmp_path: Path, clip: Path) -> None:
    form = Form(
        input=clip,
        output=tmp_path / "out",
        method="frame",
        regions=[Region((20, 10, 12, 10))],
        dilate=0,
    )
    events = run_to_end(Job(build_remove_kwargs(form)))
    assert kinds(events)[0] == "start" and events[0].total == 8
    progress = [event for event in events if event.kind == "progress"]
    assert [event.done for event in progress] == list(range(1, 9))
    assert all(event.total == 8 and event.fps > 0 for event in progress)
    assert events[-1].kind == "done" and events[-1].path == tmp_path / "out"
    hole = np.zeros((48, 64), bool)
    hole[10:20, 20:32] = True
    for original, result in zip(read_folder(clip), read_folder(tmp_path / "out"), strict=True):
        assert np.array_equal(original[~hole], result[~hole])
        assert not np.array_equal(original[hole], result[hole])


def test_a_preview_job_writes_the_preview_video(tmp_path: Path, clip: Path) -> None:
    form = Form(input=clip, method="frame", regions=[Region((2, 2, 8, 8))])
    kwargs = build_remove_kwargs(form, preview=True)
    events = run_to_end(Job(kwargs))
    assert events[-1].kind == "done", events[-1]
    assert events[-1].path == tmp_path / "clip_filled_preview.mp4"
    assert events[-1].path.stat().st_size > 0
    assert not (tmp_path / "clip_filled.mp4").exists()


def cancel_after(kwargs: dict, frames: int) -> list[JobEvent]:
    """Run a job over ``kwargs`` and cancel it once ``frames`` frames are written."""
    events_queue = cancel_at(frames)
    job = Job(kwargs, events=events_queue)
    events_queue.job = job
    events = run_to_end(job)
    assert events[-1].kind == "cancelled"
    assert max(event.done for event in events if event.kind == "progress") < 8
    return events


def test_a_video_cancelled_before_its_first_segment_leaves_nothing(
    tmp_path: Path, clip: Path
) -> None:
    form = Form(
        input=clip, output=tmp_path / "out.mp4", method="frame", regions=[Region((2, 2, 8, 8))]
    )
    events = cancel_after(build_remove_kwargs(form), frames=2)
    # Segments close after 250 frames: nothing was final, so nothing is kept.
    assert events[-1].done == 0
    # Not the output, nor a temporary file, nor a resume work folder.
    assert sorted(os.listdir(tmp_path)) == ["clip"]


def _box_to_folder(clip: Path, output: Path) -> Form:
    """A quick run: one box removed by the per-frame method, PNG frames out."""
    return Form(input=clip, output=output, method="frame", regions=[Region((2, 2, 8, 8))])


def test_a_cancelled_run_keeps_its_finished_frames_for_a_resume(
    tmp_path: Path, clip: Path
) -> None:
    form = _box_to_folder(clip, tmp_path / "out")
    kwargs = build_remove_kwargs(form)
    events = cancel_after(kwargs, frames=3)
    kept = events[-1].done
    assert 0 < kept <= 3
    # No output yet, only the work folder a resume continues from.
    assert sorted(os.listdir(tmp_path)) == [work_folder(tmp_path / "out").name, "clip"]
    assert find_interrupted(kwargs) == Interrupted(kept, same_settings=True)
    # The same settings but another mask growth cannot continue it.
    assert find_interrupted({**kwargs, "dilate": 7}) == Interrupted(kept, same_settings=False)
    # Nor is a preview ever a resume.
    assert find_interrupted(build_remove_kwargs(form, preview=True)) is None

    events = run_to_end(Job({**kwargs, "resume": True}))
    assert events[-1].kind == "done"
    progress = [event.done for event in events if event.kind == "progress"]
    assert progress == list(range(kept + 1, 9))  # it continued, it did not start over
    assert find_interrupted(kwargs) is None
    assert sorted(os.listdir(tmp_path)) == ["clip", "out"]
    whole = tmp_path / "whole"
    run_to_end(Job({**kwargs, "output": whole}))
    for a, b in zip(read_folder(whole), read_folder(tmp_path / "out"), strict=True):
        assert np.array_equal(a, b)


def test_a_job_cancelled_before_it_starts_leaves_an_interrupted_run_alone(
    tmp_path: Path, clip: Path
) -> None:
    form = _box_to_folder(clip, tmp_path / "out")
    kwargs = build_remove_kwargs(form)
    kept = cancel_after(kwargs, frames=3)[-1].done
    # A run with other settings that never began must not discard it.
    job = Job({**kwargs, "dilate": 9})
    job.cancel()
    assert kinds(run_to_end(job)) == ["cancelled"]
    assert find_interrupted(kwargs) == Interrupted(kept, same_settings=True)


def test_starting_over_discards_the_interrupted_run(tmp_path: Path, clip: Path) -> None:
    form = _box_to_folder(clip, tmp_path / "out")
    kwargs = build_remove_kwargs(form)
    assert cancel_after(kwargs, frames=3)[-1].done > 0
    events = run_to_end(Job(kwargs))  # resume not asked for
    assert [event.done for event in events if event.kind == "progress"][0] == 1
    assert sorted(os.listdir(tmp_path)) == ["clip", "out"]


def test_a_video_run_resumes_with_the_quality_it_was_started_with(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Segments close after 10 frames instead of 250, so a 30-frame clip has several.
    monkeypatch.setattr(resumable, "SEGMENT_FRAMES", 10)
    clip = write_folder(tmp_path / "clip", textured_frames(30))
    form = Form(
        input=clip,
        output=tmp_path / "out.mp4",
        method="frame",
        regions=[Region((2, 2, 8, 8))],
        quality="lossless",
    )
    kwargs = {**build_remove_kwargs(form), "window": 6}
    events_queue = cancel_at(25)
    job = Job(kwargs, events=events_queue)
    events_queue.job = job
    kept = run_to_end(job)[-1].done
    assert 10 <= kept <= 25
    assert find_interrupted(kwargs) == Interrupted(kept, same_settings=True)
    form.quality = "high (crf 12)"
    other = {**build_remove_kwargs(form), "window": 6}
    assert find_interrupted(other) == Interrupted(kept, same_settings=False)

    events = run_to_end(Job({**kwargs, "resume": True}))
    assert events[-1].kind == "done"
    assert [event.done for event in events if event.kind == "progress"][0] == kept + 1
    assert probe(tmp_path / "out.mp4").frame_count == 30
    assert find_interrupted(kwargs) is None


def test_cancel_before_start_writes_nothing(tmp_path: Path, clip: Path) -> None:
    form = Form(input=clip, output=tmp_path / "out.mp4", regions=[Region((2, 2, 8, 8))])
    job = Job(build_remove_kwargs(form))
    job.cancel()
    events = run_to_end(job)
    assert kinds(events) == ["cancelled"]
    assert sorted(os.listdir(tmp_path)) == ["clip"]


def test_bad_input_is_an_error_event_not_an_exception(tmp_path: Path) -> None:
    form = Form(input=tmp_path / "missing.mp4", regions=[Region((2, 2, 8, 8))])
    events = run_to_end(Job(build_remove_kwargs(form)))
    assert kinds(events) == ["error"]
    assert "no such file" in events[0].message


def test_a_box_outside_the_frame_is_an_error_event(tmp_path: Path, clip: Path) -> None:
    form = Form(input=clip, method="frame", regions=[Region((500, 500, 8, 8))])
    events = run_to_end(Job(build_remove_kwargs(form)))
    assert kinds(events) == ["error"]
    assert "outside" in events[0].message
    assert sorted(os.listdir(tmp_path)) == ["clip"]


def test_warnings_from_remove_reach_the_window(tmp_path: Path, clip: Path) -> None:
    empty = tmp_path / "empty.png"
    write_folder(tmp_path / "m", [np.zeros((48, 64, 3), np.uint8)])
    (tmp_path / "m" / "00000.png").rename(empty)
    form = Form(input=clip, output=tmp_path / "out", method="frame", mask=empty)
    events = run_to_end(Job(build_remove_kwargs(form)))
    assert events[-1].kind == "done"
    assert any(e.kind == "warning" and "empty" in e.message for e in events)


def test_a_bug_in_remove_is_an_error_event_too(
    tmp_path: Path, clip: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(**kwargs: object) -> Path:
        raise RuntimeError("boom")

    monkeypatch.setattr("vidfill.ui.logic.api.remove", broken)
    form = Form(input=clip, regions=[Region((2, 2, 8, 8))])
    events = run_to_end(Job(build_remove_kwargs(form)))
    assert kinds(events) == ["error"]
    assert "unexpected error" in events[0].message and "boom" in events[0].message


def test_tracking_reports_progress_and_can_be_cancelled(tmp_path: Path, clip: Path) -> None:
    tracked = Form(
        input=clip,
        output=tmp_path / "out.mp4",
        method="frame",
        regions=[Region((20, 10, 12, 10), frame=2, track=True)],
    )
    events = run_to_end(Job(build_remove_kwargs(tracked)))
    assert [e.done for e in events if e.kind == "tracking"] == list(range(1, 9))
    assert kinds(events)[-1] == "done"

    (tmp_path / "out.mp4").unlink()
    events_queue = CancelWhen(lambda event: event.kind == "tracking")
    job = Job(build_remove_kwargs(tracked), events=events_queue)
    events_queue.job = job
    events = run_to_end(job)
    # Stopped during the tracking pass, before any frame was filled.
    assert kinds(events)[-1] == "cancelled"
    assert "progress" not in kinds(events)
    assert os.listdir(tmp_path) == ["clip"]
