"""The progress bar's speed and time left: averaged, since frames come out a window at a time."""

from __future__ import annotations

from rich.progress import Progress

from vidfill.cli.progress import AverageTimeRemainingColumn, FramesPerSecondColumn


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_speed_and_time_left_average_over_the_whole_run() -> None:
    clock = Clock()
    progress = Progress(get_time=clock, auto_refresh=False, disable=True)
    task_id = progress.add_task("filling", total=1000)
    progress.start_task(task_id)
    task = progress.tasks[0]
    assert str(FramesPerSecondColumn().render(task)).strip() == "-- frames/s"
    assert str(AverageTimeRemainingColumn().render(task)) == "-:--:--"
    # A window of 60 frames lands at once after 20 s, then nothing for a while.
    clock.now = 20.0
    progress.update(task_id, completed=60)
    clock.now = 20.1
    assert str(FramesPerSecondColumn().render(task)).strip() == "3.0 frames/s"
    # 940 frames left at 60 / 20.1 frames/s: 314 s.
    assert str(AverageTimeRemainingColumn().render(task)) == "0:05:14"
