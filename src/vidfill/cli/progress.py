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
    TimeRemainingColumn,
)
from rich.text import Text


class FramesPerSecondColumn(ProgressColumn):
    """Throughput in frames per second."""

    def render(self, task: Task) -> Text:
        """Show the task's recent speed."""
        speed = task.speed
        return Text("  -- frames/s" if speed is None else f"{speed:6.1f} frames/s")


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
        TimeRemainingColumn(),
        console=Console(stderr=True),
        transient=False,
    )
    with progress:
        yield FrameProgress(progress, label)
