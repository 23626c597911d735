"""What the GUI decides, kept free of widgets so it is tested without a display.

Four parts: the geometry between the scaled preview and frame pixels, reading
one frame for display, turning the form (regions, frame range, output quality)
into the keyword arguments of :func:`vidfill.api.remove` and finding an
interrupted run it could resume, and a :class:`Job` that runs ``remove`` in a
worker thread so the window stays responsive, reports progress through a queue
(Tk widgets may only be touched from the main thread, which polls the queue)
and can be cancelled, keeping what is finished for a resume.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import queue
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import cv2
import numpy as np
from numpy.typing import NDArray

from vidfill import api
from vidfill.engines import DEFAULT_ENGINE, available_engines
from vidfill.errors import (
    DisplayError,
    EngineError,
    InputError,
    MaskError,
    OutputError,
    VidfillError,
)
from vidfill.io.read import iter_frames, probe
from vidfill.io.resumable import finished_frames, work_folder
from vidfill.io.write import VIDEO_SUFFIXES
from vidfill.masks.sources import Box
from vidfill.types import VideoInfo

log = logging.getLogger("vidfill")

#: Methods offered in the dropdown, default first; others stay reachable from the CLI.
METHODS: tuple[str, ...] = tuple(
    dict.fromkeys([DEFAULT_ENGINE, *(m for m in ("patch", "frame") if m in available_engines())])
)

#: A drag shorter than this many canvas pixels either way is a click, not a rectangle.
MIN_DRAG = 4

#: Smallest box side in frame pixels: a 1-pixel box is almost surely a slip of the mouse,
#: and the mask's dilation would make it a blob anyway.
MIN_BOX_SIDE = 2


# --- Display and box geometry --------------------------------------------------------------


def fit_scale(
    frame_size: tuple[int, int], view_size: tuple[int, int], *, most: float = 4.0
) -> float:
    """Scale that fits a frame of ``(height, width)`` into a view of ``(width, height)``.

    Small clips are enlarged (up to ``most`` times) so boxes can be drawn on them
    precisely; large ones are shrunk to fit the screen.
    """
    height, width = frame_size
    view_width, view_height = view_size
    if height <= 0 or width <= 0 or view_width <= 0 or view_height <= 0:
        raise ValueError("sizes must be positive")
    return min(view_width / width, view_height / height, most)


def canvas_to_frame_box(
    start: tuple[float, float],
    end: tuple[float, float],
    scale: float,
    frame_size: tuple[int, int],
) -> Box | None:
    """The frame rectangle ``(x, y, w, h)`` for a drag from ``start`` to ``end`` on the canvas.

    The drag may go in any direction and leave the image (the box is clamped to
    the frame, since ``remove`` refuses boxes outside it). Returns None for a
    drag shorter than :data:`MIN_DRAG` canvas pixels, which is a click; a box
    thinner than :data:`MIN_BOX_SIDE` frame pixels is widened to it.
    """
    (x0, y0), (x1, y1) = start, end
    if abs(x1 - x0) < MIN_DRAG or abs(y1 - y0) < MIN_DRAG:
        return None
    height, width = frame_size
    # Floor the near edge and ceil the far one: the box covers every pixel the drag touched.
    left = int(np.floor(min(x0, x1) / scale))
    top = int(np.floor(min(y0, y1) / scale))
    right = int(np.ceil(max(x0, x1) / scale))
    bottom = int(np.ceil(max(y0, y1) / scale))
    left, right = _clamp_span(left, right, width)
    top, bottom = _clamp_span(top, bottom, height)
    if right <= left or bottom <= top:
        return None
    return left, top, right - left, bottom - top


def _clamp_span(low: int, high: int, limit: int) -> tuple[int, int]:
    """Clamp ``[low, high)`` into ``[0, limit)`` and widen it to MIN_BOX_SIDE if it can."""
    low, high = max(0, min(low, limit)), max(0, min(high, limit))
    if high <= low:
        # Entirely outside the frame: nothing to keep.
        return low, high
    side = min(MIN_BOX_SIDE, limit)
    if high - low < side:
        high = min(limit, low + side)
        low = high - side
    return low, high


def frame_to_canvas_box(box: Box, scale: float) -> tuple[float, float, float, float]:
    """Canvas corners ``(x0, y0, x1, y1)`` of a frame box, to draw it over the preview."""
    x, y, w, h = box
    return x * scale, y * scale, (x + w) * scale, (y + h) * scale


def scale_for_display(frame: NDArray[np.uint8], scale: float) -> NDArray[np.uint8]:
    """Resize a frame by ``scale`` for the preview (area averaging down, nearest up).

    Nearest-neighbour when enlarging keeps pixel edges sharp, so a user drawing
    on a tiny clip sees exactly which pixels a box covers.
    """
    height, width = frame.shape[:2]
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    if size == (width, height):
        return frame
    interpolation = cv2.INTER_AREA if scale < 1 else cv2.INTER_NEAREST
    return cv2.resize(frame, size, interpolation=interpolation)


def ppm_bytes(frame: NDArray[np.uint8]) -> bytes:
    """A binary PPM (P6) of an RGB frame: Tk's PhotoImage reads it without PIL."""
    frame = np.ascontiguousarray(frame, dtype=np.uint8)
    height, width = frame.shape[:2]
    return f"P6 {width} {height} 255\n".encode("ascii") + frame.tobytes()


class FrameReader:
    """Frame N of a video file or frame folder, for the preview slider.

    It reads with :func:`vidfill.io.read.iter_frames` (no seeking, so the frame
    shown is exactly the frame ``remove`` will see under that index) and keeps
    the stream open: moving the slider forward decodes only the frames in
    between; moving back starts again from the first frame.
    """

    def __init__(self, path: str | Path) -> None:
        self.info: VideoInfo = probe(path)
        self._frames: Iterator[NDArray[np.uint8]] | None = None
        self._next = 0
        self._last: tuple[int, NDArray[np.uint8]] | None = None

    @property
    def frame_count(self) -> int:
        """Frames in the input."""
        return self.info.frame_count

    def read(
        self, index: int, *, stop: Callable[[], bool] | None = None
    ) -> NDArray[np.uint8] | None:
        """Frame ``index`` as ``uint8 (H, W, 3)`` RGB; None if ``stop()`` said to give up.

        ``stop`` is asked between decoded frames, so a long read towards a
        frame the user has already moved away from can be abandoned; the
        stream keeps its place, and a later read forward goes on from there.

        Raises
        ------
        InputError
            If ``index`` is outside the input or the frame cannot be decoded.
        """
        if not 0 <= index < self.info.frame_count:
            raise InputError(f"frame {index} is outside the input's {self.info.frame_count} frames")
        if self._last is not None and self._last[0] == index:
            return self._last[1]
        if self._frames is None or index < self._next:
            self.close()
            self._frames = iter_frames(self.info)
            self._next = 0
        while True:
            frame = next(self._frames, None)
            if frame is None:
                # The file listed more frames than it decodes (a damaged tail).
                self.close()
                raise InputError(f"{self.info.path}: frame {index} cannot be decoded")
            self._next += 1
            if self._next > index:
                break
            if stop is not None and stop():
                return None
        self._last = (index, frame)
        return frame

    def close(self) -> None:
        """Close the open stream (a generator's ``close`` runs its ``with`` exit)."""
        if self._frames is not None and hasattr(self._frames, "close"):
            self._frames.close()
        self._frames = None
        self._next = 0


@dataclass(frozen=True)
class LoadedFrame:
    """A frame the :class:`FrameLoader` read: ``frame`` or, if reading failed, ``error``."""

    index: int
    frame: NDArray[np.uint8] | None = None
    error: str = ""


class FrameLoader:
    """Reads preview frames in a thread of its own, so a long video never freezes the window.

    Going to frame 5,000 of a video means decoding 5,000 frames (the reader
    does not seek); done in the window's thread, that would hang it for
    seconds. Here only the latest request counts: a read is abandoned as soon
    as a newer one arrives, and the window polls :attr:`results`.
    """

    def __init__(self, reader: FrameReader) -> None:
        self.reader = reader
        self.results: queue.Queue[LoadedFrame] = queue.Queue()
        self._wanted: int | None = None
        self._closed = False
        self._wake = threading.Condition()
        self._thread = threading.Thread(target=self._run, name="vidfill-gui-frames", daemon=True)
        self._thread.start()

    def request(self, index: int) -> None:
        """Ask for frame ``index``; replaces any request not yet served."""
        with self._wake:
            self._wanted = index
            self._wake.notify()

    def close(self, timeout: float = 5.0) -> None:
        """Stop the thread (abandoning a read) and close the input."""
        with self._wake:
            self._closed = True
            self._wake.notify()
        self._thread.join(timeout)
        if not self._thread.is_alive():
            self.reader.close()

    def _newer(self) -> bool:
        return self._closed or self._wanted is not None

    def _run(self) -> None:
        while True:
            with self._wake:
                while self._wanted is None and not self._closed:
                    self._wake.wait()
                if self._closed:
                    return
                index, self._wanted = self._wanted, None
            try:
                frame = self.reader.read(index, stop=self._newer)
            except VidfillError as error:
                self.results.put(LoadedFrame(index, error=str(error)))
                continue
            if frame is not None:
                self.results.put(LoadedFrame(index, frame))


# --- The form -> remove() ------------------------------------------------------------------


@dataclass
class Region:
    """A rectangle drawn on the preview.

    ``track`` False: remove this region in every frame (a logo, a timestamp).
    ``track`` True: the box surrounds an object on frame ``frame``, which is
    tracked through the clip (a passer-by).
    """

    box: Box
    frame: int = 0
    track: bool = False

    def describe(self) -> str:
        """One line for the region list."""
        x, y, w, h = self.box
        if self.track:
            return f"track  {x},{y} {w}x{h} @ frame {self.frame}"
        return f"every frame  {x},{y} {w}x{h}"


@dataclass(frozen=True)
class FrameRange:
    """The frames to work on, as the user marked them: ``first`` to ``last``, both included.

    None is the clip's own first or last frame. Frames outside the range pass
    through untouched (``remove``'s ``start``/``end``, whose ``end`` is the
    frame to stop *before*: "End here" on frame 40 includes frame 40).
    """

    first: int | None = None
    last: int | None = None

    def starting_at(self, index: int) -> FrameRange:
        """The range starting at frame ``index``; an end before it is dropped."""
        last = self.last if self.last is not None and self.last >= index else None
        return FrameRange(index, last)

    def ending_at(self, index: int) -> FrameRange:
        """The range ending at frame ``index`` (included); a start after it is dropped."""
        first = self.first if self.first is not None and self.first <= index else None
        return FrameRange(first, index)

    @property
    def whole(self) -> bool:
        """True when no start or end is set."""
        return self.first is None and self.last is None

    def describe(self, frame_count: int | None = None) -> str:
        """One line for the window: ``"Frames 10–40 (31 of 120)"`` or ``"All frames"``."""
        if self.whole:
            return "All frames"
        first = self.first if self.first is not None else 0
        if self.last is not None:
            last = str(self.last)
        elif frame_count is not None:
            last = str(frame_count - 1)
        else:
            last = "the end"
        text = f"Frames {first}–{last}"
        if frame_count is not None:
            count = (self.last if self.last is not None else frame_count - 1) - first + 1
            text += f" ({count} of {frame_count})"
        return text

    def remove_arguments(self) -> dict[str, int | None]:
        """``start`` and ``end`` for :func:`vidfill.api.remove` (``end`` is exclusive there).

        Raises
        ------
        MaskError
            If the range ends before it starts.
        """
        if self.first is not None and self.last is not None and self.last < self.first:
            raise MaskError(
                f"the frame range ends (frame {self.last}) before it starts (frame {self.first})"
            )
        return {"start": self.first, "end": None if self.last is None else self.last + 1}


#: Output quality choices for a video output: label -> ``remove`` arguments. A frame
#: folder is written as lossless PNG whatever is chosen.
QUALITIES: dict[str, dict[str, Any]] = {
    "standard (crf 18)": {"crf": 18, "lossless": False},
    "high (crf 12)": {"crf": 12, "lossless": False},
    # crf stays at its default: remove ignores it when lossless, and it is part of the
    # run's fingerprint, so keeping it fixed changes nothing a resume compares.
    "lossless": {"crf": 18, "lossless": True},
}

#: The quality offered first: remove()'s own default.
DEFAULT_QUALITY = next(iter(QUALITIES))


def is_video_output(output: str | Path) -> bool:
    """Whether ``remove`` writes ``output`` as a video (by suffix) rather than a frame folder."""
    return Path(output).suffix.lower() in VIDEO_SUFFIXES


@dataclass
class Form:
    """What the user chose in the window, before it is checked."""

    input: str | Path | None = None
    output: str | Path | None = None
    method: str = DEFAULT_ENGINE
    regions: list[Region] = field(default_factory=list)
    mask: str | Path | None = None
    dilate: int = api.DEFAULT_DILATE
    overwrite: bool = False
    frames: FrameRange = field(default_factory=FrameRange)
    quality: str = DEFAULT_QUALITY


def default_output(input: str | Path) -> Path:
    """``<input stem>_filled.mp4`` beside the input (a folder's name is its stem)."""
    path = Path(input)
    stem = path.name if path.is_dir() else path.stem
    return path.parent / f"{stem}_filled.mp4"


def preview_output(output: str | Path) -> Path:
    """Where "Preview masks" writes: ``<output stem>_preview.mp4`` beside the output.

    Always a video, even for a frame-folder output: it is meant to be played
    once to check the masks, then thrown away.
    """
    path = Path(output)
    stem = path.stem if path.suffix.lower() in VIDEO_SUFFIXES else path.name
    return path.parent / f"{stem}_preview.mp4"


def build_remove_kwargs(form: Form, *, preview: bool = False) -> dict[str, Any]:
    """The keyword arguments of :func:`vidfill.api.remove` for this form.

    Checks only what the form alone can tell (an input chosen, something to
    remove, a known method); ``remove`` checks the rest against the video and
    reports it the same way, as a :class:`VidfillError`.

    A preview goes to :func:`preview_output` and replaces an earlier preview;
    the real output is replaced only when ``form.overwrite`` says so. The
    quality applies to a video output only: a frame folder and the (throwaway)
    preview get ``remove``'s defaults.

    Raises
    ------
    VidfillError
        For a form that cannot be run.
    """
    if form.input is None or not str(form.input).strip():
        raise InputError("open a video or a frame folder first")
    input_path = Path(form.input)
    if not form.regions and form.mask is None:
        raise MaskError("draw a rectangle on the frame, or choose a mask file or folder, first")
    if form.method not in available_engines():
        raise EngineError(
            f"unknown method {form.method!r}; choose one of {', '.join(available_engines())}"
        )
    if form.dilate < 0:
        raise MaskError(f"mask growth must be 0 or more pixels, not {form.dilate}")
    if form.quality not in QUALITIES:
        raise OutputError(f"unknown quality {form.quality!r}; choose one of {', '.join(QUALITIES)}")
    given = str(form.output).strip() if form.output is not None else ""
    output = Path(given) if given else default_output(input_path)
    kwargs: dict[str, Any] = {
        "input": input_path,
        "output": preview_output(output) if preview else output,
        "method": form.method,
        "boxes": [region.box for region in form.regions if not region.track],
        "track_boxes": [(region.box, region.frame) for region in form.regions if region.track],
        "mask": Path(form.mask) if form.mask is not None else None,
        "dilate": form.dilate,
        **form.frames.remove_arguments(),
        "preview": preview,
        "overwrite": True if preview else form.overwrite,
    }
    if not preview and is_video_output(output):
        kwargs.update(QUALITIES[form.quality])
    return kwargs


# --- Resuming an interrupted run -----------------------------------------------------------


@dataclass(frozen=True)
class Interrupted:
    """An interrupted run found at the output of a form about to start.

    ``finished`` frames of it are final. ``same_settings`` True: the form's
    run can continue it (``remove(resume=True)``). False: it was started with
    other settings, another mask, or before the input changed; the form's
    run would discard it.
    """

    finished: int
    same_settings: bool


def find_interrupted(kwargs: Mapping[str, Any]) -> Interrupted | None:
    """The interrupted run a ``remove(**kwargs)`` would resume or discard; None if none.

    A run that stopped before its first checkpoint (a video's first segment
    closes after about 250 frames) left nothing to keep, and counts as none.
    """
    if kwargs.get("preview") or not work_folder(Path(kwargs["output"])).is_dir():
        return None
    try:
        same = api.resumable_frames(**kwargs)
    except VidfillError:
        # The input cannot be read: remove() will say so; there is nothing to offer.
        return None
    if same:
        return Interrupted(same, same_settings=True)
    other = finished_frames(Path(kwargs["output"]), None)
    return Interrupted(other, same_settings=False) if other else None


def resume_question(interrupted: Interrupted, output: str | Path, total: int | None) -> str:
    """What to ask the user about an interrupted run before starting (see :class:`Interrupted`)."""
    done = f"{interrupted.finished} of {total}" if total else str(interrupted.finished)
    if interrupted.same_settings:
        return (
            f"A run into {output} was interrupted with {done} frames finished.\n\n"
            "Yes: resume from there.\nNo: start over (the finished frames are discarded)."
        )
    return (
        f"A run into {output} was interrupted with {done} frames finished, but with other "
        "settings, another mask, or before the input changed, so these settings cannot "
        "resume it.\n\nStart over and discard it?"
    )


# --- The background job --------------------------------------------------------------------


class JobCancelled(Exception):
    """Raised from ``remove``'s progress callback to stop a run the user cancelled."""


EventKind = Literal["start", "tracking", "progress", "warning", "done", "error", "cancelled"]


@dataclass(frozen=True)
class JobEvent:
    """One message from the worker thread to the window.

    ``start`` carries ``total``; ``progress`` carries ``done``, ``total`` and
    ``fps``; ``tracking`` (the pass that tracks marked objects through the
    whole clip before filling starts) carries ``done`` and ``total``;
    ``warning`` and ``error`` carry ``message``; ``done`` carries ``path``
    and ``seconds``; ``cancelled`` carries ``done``, the frames kept for a
    resume (0: nothing was kept). ``done``, ``error`` and ``cancelled`` are last.
    """

    kind: EventKind
    done: int = 0
    total: int = 0
    fps: float = 0.0
    message: str = ""
    path: Path | None = None
    seconds: float = 0.0

    @property
    def final(self) -> bool:
        """True for the event that ends a job."""
        return self.kind in ("done", "error", "cancelled")


class _QueueHandler(logging.Handler):
    """Forwards vidfill's warnings (an empty mask, a damaged file) to the window."""

    def __init__(self, events: queue.Queue[JobEvent]) -> None:
        super().__init__(logging.WARNING)
        self.events = events

    def emit(self, record: logging.LogRecord) -> None:
        self.events.put(JobEvent("warning", message=record.getMessage()))


class Job:
    """Runs :func:`vidfill.api.remove` in a worker thread; cancellable; reports to a queue.

    Cancelling raises :class:`JobCancelled` from ``remove``'s ``on_frame``
    (or, while objects are tracked, ``on_track``) callback at the next frame;
    ``remove`` then drops its temporary output, so a cancelled run leaves
    nothing at the output path. What it finished up to its last checkpoint
    stays in the run's work folder, so that starting the same run again can
    resume (:func:`find_interrupted`); the ``cancelled`` event says how many
    frames were kept. A work folder with nothing to resume is deleted.

    Parameters
    ----------
    kwargs : mapping
        Arguments of ``remove``, from :func:`build_remove_kwargs`.
    events : queue.Queue, optional
        Where events go; a fresh queue by default.
    """

    def __init__(
        self, kwargs: Mapping[str, Any], *, events: queue.Queue[JobEvent] | None = None
    ) -> None:
        self.kwargs = dict(kwargs)
        self.events: queue.Queue[JobEvent] = events if events is not None else queue.Queue()
        self._cancel = threading.Event()
        self._thread = threading.Thread(target=self._run, name="vidfill-gui-job", daemon=True)
        self._began = 0.0
        self._total = 0
        self._first: int | None = None
        # Whether remove() was called: only then may a cancel touch the work folder.
        self._entered = False

    def start(self) -> Job:
        """Start the worker thread; returns self."""
        self._thread.start()
        return self

    def cancel(self) -> None:
        """Ask the run to stop at the next finished frame (safe from any thread)."""
        self._cancel.set()

    @property
    def cancelled(self) -> bool:
        """Whether cancel() was called."""
        return self._cancel.is_set()

    def is_alive(self) -> bool:
        """Whether the worker thread is still running."""
        return self._thread.is_alive()

    def join(self, timeout: float | None = None) -> bool:
        """Wait for the worker to end; True if it has."""
        self._thread.join(timeout)
        return not self._thread.is_alive()

    def drain(self) -> list[JobEvent]:
        """Every event queued so far, without waiting."""
        items: list[JobEvent] = []
        while True:
            try:
                items.append(self.events.get_nowait())
            except queue.Empty:
                return items

    def _on_start(self, info: VideoInfo) -> None:
        self._check_cancel()
        self._total = info.frame_count
        self._began = time.monotonic()
        self.events.put(JobEvent("start", total=info.frame_count))

    def _on_frame(self, done: int) -> None:
        if self._first is None:
            # A resumed run starts counting after the frames it kept: they took no time now.
            self._first = done - 1
        elapsed = time.monotonic() - self._began
        fps = (done - self._first) / elapsed if elapsed > 0 else 0.0
        self.events.put(JobEvent("progress", done=done, total=self._total, fps=fps))
        self._check_cancel()

    def _on_track(self, done: int) -> None:
        self.events.put(JobEvent("tracking", done=done, total=self._total))
        self._check_cancel()

    def _check_cancel(self) -> None:
        if self._cancel.is_set():
            raise JobCancelled

    def _run(self) -> None:
        handler = _QueueHandler(self.events)
        log.addHandler(handler)
        began = time.monotonic()
        try:
            self._check_cancel()
            self._entered = True
            path = api.remove(
                **self.kwargs,
                on_start=self._on_start,
                on_frame=self._on_frame,
                on_track=self._on_track,
            )
        except JobCancelled:
            self.events.put(JobEvent("cancelled", done=self._keep_after_cancel()))
        except VidfillError as error:
            self.events.put(JobEvent("error", message=str(error)))
        except Exception as error:
            # A bug must reach the user as a message, not end the thread silently.
            log.removeHandler(handler)
            log.exception("unexpected error in the GUI job")
            self.events.put(JobEvent("error", message=f"unexpected error: {error!r}"))
        else:
            self.events.put(JobEvent("done", path=path, seconds=time.monotonic() - began))
        finally:
            log.removeHandler(handler)

    def _keep_after_cancel(self) -> int:
        """Frames a resume of this run can keep; deletes the work folder if there are none."""
        output = self.kwargs.get("output")
        if output is None or self.kwargs.get("preview") or not self._entered:
            return 0
        try:
            kept = api.resumable_frames(**self.kwargs)
        except VidfillError:
            kept = 0
        if not kept:
            # Stopped before the first checkpoint: an open segment or unconfirmed frames
            # would only be clutter beside the output.
            shutil.rmtree(work_folder(Path(output)), ignore_errors=True)
        return kept


# --- Environment ---------------------------------------------------------------------------


def check_display(environ: Mapping[str, str] | None = None, platform: str | None = None) -> None:
    """Raise :class:`DisplayError` unless Tkinter is importable and a display is likely.

    On X11 systems Tk needs ``$DISPLAY`` (Wayland desktops set it for XWayland);
    without it ``Tk()`` fails with a Tcl error, so this says so first, in words.
    Windows and macOS have a display whenever someone is logged in.
    """
    environ = os.environ if environ is None else environ
    platform = sys.platform if platform is None else platform
    if _tkinter_missing():
        raise DisplayError(
            "the GUI needs Tkinter, which this Python lacks "
            "(on Debian/Ubuntu: apt install python3-tk)"
        )
    if platform not in ("win32", "cygwin", "darwin") and not environ.get("DISPLAY"):
        raise DisplayError(
            "no display: the GUI needs a desktop session ($DISPLAY is not set); "
            "on a server use 'vidfill remove'"
        )


def _tkinter_missing() -> bool:
    # find_spec, not import: None in sys.modules (a test's way to hide it) also counts.
    try:
        return importlib.util.find_spec("tkinter") is None or sys.modules.get("tkinter", 0) is None
    except ValueError:
        return True


def open_in_player(path: str | Path) -> None:
    """Open a file with the desktop's default application (the preview, say); best effort."""
    path = str(path)
    try:
        if sys.platform == "win32":
            os.startfile(path)  # type: ignore[attr-defined]  # Windows only
        elif sys.platform == "darwin":
            subprocess.Popen(["open", path])
        else:
            subprocess.Popen(["xdg-open", path])
    except OSError as error:
        raise DisplayError(f"cannot open {path} ({error.strerror or error})") from None
