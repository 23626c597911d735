"""A progress bar with frames/s and ETA on stderr (Rich)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.text import Text


def _average_speed(task: Task) -> float | None:
    """Frames per second since the task started.

    Not Rich's recent speed: frames come out a window at a time (dozens
    within a moment, then none while the next window is filled), so a
    short-term rate swings between hundreds and zero.
    """
    elapsed = task.elapsed
    if not elapsed or not task.completed:
        return None
    return task.completed / elapsed


class FramesPerSecondColumn(ProgressColumn):
    """Throughput in frames per second, averaged since the start."""

    def render(self, task: Task) -> Text:
        """Show the task's average speed."""
        speed = _average_speed(task)
        return Text("  -- frames/s" if speed is None else f"{speed:6.1f} frames/s")


class AverageTimeRemainingColumn(ProgressColumn):
    """Time left at the average speed since the start (see :func:`_average_speed`)."""

    def render(self, task: Task) -> Text:
        """Show h:mm:ss left, or -:--:-- until there is a speed."""
        speed = _average_speed(task)
        if speed is None or task.total is None:
            return Text("-:--:--")
        seconds = int(max(0.0, task.total - task.completed) / speed)
        return Text(f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}")


class FrameProgress:
    """Callbacks for :func:`vidfill.remove`: ``on_start(info)`` then ``on_frame(n)``."""

    def __init__(self, progress: Progress | None, label: str) -> None:
        self.progress = progress
        self.label = label
        self.task: int | None = None

    def on_start(self, info: object) -> None:
        """Create the bar once the frame count is known."""
        if self.progress is not None:
            total = getattr(info, "frame_count", None)
            self.task = self.progress.add_task(self.label, total=total)

    def on_frame(self, done: int) -> None:
        """Move the bar to ``done`` frames."""
        if self.progress is not None and self.task is not None:
            self.progress.update(self.task, completed=done)

    def for_label(self, label: str) -> FrameProgress:
        """Callbacks for one more bar in the same display (one per input of a batch)."""
        return FrameProgress(self.progress, label)

    def print(self, text: str) -> None:
        """A line on stderr above the bars (or plainly, without them)."""
        if self.progress is not None:
            self.progress.console.print(text, markup=False, highlight=False)
        else:
            print(text, file=sys.stderr)


@contextmanager
def frame_progress(label: str, *, quiet: bool = False) -> Iterator[FrameProgress]:
    """Show a bar on stderr for the duration of the block (nothing if ``quiet``)."""
    if quiet:
        yield FrameProgress(None, label)
        return
    progress = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TaskProgressColumn(),
        FramesPerSecondColumn(),
        TimeElapsedColumn(),
        AverageTimeRemainingColumn(),
        console=Console(stderr=True),
        transient=False,
    )
    with progress:
        yield FrameProgress(progress, label)
