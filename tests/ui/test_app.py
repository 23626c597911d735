"""A smoke test of the Tk window: open a clip, drag a rectangle, run it.

It needs a display; without one (CI, servers) it is skipped. To run it on a
machine without a desktop: ``xvfb-run -a python -m pytest tests/ui/test_app.py``.
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest

import vidfill
from tests.helpers import read_folder, textured_frames, write_folder
from vidfill.io.resumable import work_folder
from vidfill.ui.logic import (
    FrameRange,
    JobEvent,
    Region,
    build_remove_kwargs,
    fit_scale,
    frame_to_canvas_box,
)

tk = pytest.importorskip("tkinter", reason="this Python has no Tkinter")

if sys.platform not in ("win32", "cygwin", "darwin") and not os.environ.get("DISPLAY"):
    pytest.skip(
        "no display ($DISPLAY is not set); run under xvfb-run to include the GUI smoke test",
        allow_module_level=True,
    )

from vidfill.ui.app import App  # noqa: E402  (imports tkinter; only with a display)


@pytest.fixture
def root() -> Iterator[tk.Tk]:
    try:
        window = tk.Tk()
    except tk.TclError as error:
        pytest.skip(f"Tk cannot open a window here ({error})")
    yield window
    with contextlib.suppress(tk.TclError):  # the app may have closed it already
        window.destroy()


@pytest.fixture
def app(root: tk.Tk, monkeypatch: pytest.MonkeyPatch) -> Iterator[App]:
    window = App(root, view_size=(640, 480))
    # A modal message box would hang the test: record what it would have said instead.
    window.messages = []  # type: ignore[attr-defined]
    monkeypatch.setattr(window, "show_error", window.messages.append)  # type: ignore[attr-defined]
    monkeypatch.setattr(window, "show_warning", window.messages.append)  # type: ignore[attr-defined]
    # Questions are recorded too, and answered no (or, for a resume, cancel).
    window.questions = []  # type: ignore[attr-defined]

    def ask(question: str) -> None:
        window.questions.append(question)  # type: ignore[attr-defined]

    monkeypatch.setattr(window, "ask_yes_no", lambda question: bool(ask(question)))
    monkeypatch.setattr(window, "ask_yes_no_cancel", ask)
    root.update()
    yield window
    if window.loader is not None:
        window.loader.close()


def pump(root: tk.Tk, until: Callable[[], bool], timeout: float = 60.0) -> None:
    """Run the Tk event loop until ``until()`` is true."""
    deadline = time.monotonic() + timeout
    while not until():
        assert time.monotonic() < deadline, "timed out waiting for the window"
        root.update()
        time.sleep(0.01)


def drag(app: App, start: tuple[int, int], end: tuple[int, int]) -> None:
    """Drag between two points given from the shown frame's top-left corner."""
    canvas = app.canvas
    # The frame is centred in the preview area: add where its corner is on screen.
    left, top = round(-canvas.canvasx(0)), round(-canvas.canvasy(0))
    start = (start[0] + left, start[1] + top)
    end = (end[0] + left, end[1] + top)
    canvas.event_generate("<ButtonPress-1>", x=start[0], y=start[1])
    midway = ((start[0] + end[0]) // 2, (start[1] + end[1]) // 2)
    canvas.event_generate("<B1-Motion>", x=midway[0], y=midway[1], state=0x100)
    canvas.event_generate("<B1-Motion>", x=end[0], y=end[1], state=0x100)
    canvas.event_generate("<ButtonRelease-1>", x=end[0], y=end[1], state=0x100)
    app.root.update()


def test_drawing_a_rectangle_on_the_frame_makes_a_box(app: App, tmp_path: Path) -> None:
    clip = write_folder(tmp_path / "clip", textured_frames(6))
    assert app.open_input(clip)
    app.root.update()
    # A 64x48 clip in a 640x480 view is shown 4x (the most it is enlarged).
    assert app.scale == 4.0
    assert app.output_var.get() == str(tmp_path / "clip_filled.mp4")
    # Frames are read in a thread of their own; the window shows frame 0 when it arrives.
    pump(app.root, lambda: bool(app.canvas.itemcget(app._image_item, "image")))
    assert app._photo is not None and app._photo.width() == 256

    drag(app, (8, 12), (40, 52))
    assert app.regions == [Region((2, 3, 8, 10), frame=0, track=False)]
    assert app.region_list.get(0) == "1. every frame  2,3 8x10"
    assert len(app.canvas.find_withtag("region")) == 2  # the rectangle and its number

    # A click is not a rectangle.
    drag(app, (100, 100), (101, 101))
    assert len(app.regions) == 1

    # On frame 3, in "track" mode, the box records the frame it was drawn on.
    app.slider.set(3)
    pump(app.root, lambda: app.index == 3)
    app.mode_var.set("track")
    app.region_list.selection_clear(0, "end")
    drag(app, (120, 80), (80, 40))
    assert app.regions[1] == Region((20, 10, 10, 10), frame=3, track=True)
    assert app.region_list.get(1) == "2. track  20,10 10x10 @ frame 3"

    # The arrow keys step through frames; the tracked box is then drawn dashed.
    app.canvas.event_generate("<Right>")
    pump(app.root, lambda: app.index == 4)
    dashed = [
        item
        for item in app.canvas.find_withtag("region")
        if app.canvas.type(item) == "rectangle" and app.canvas.itemcget(item, "dash")
    ]
    assert len(dashed) == 1

    # Delete in the list removes the selected rectangle.
    app.region_list.selection_clear(0, "end")
    app.region_list.selection_set(0)
    app.region_list.focus_force()
    app.root.update()
    app.region_list.event_generate("<Delete>")
    assert [region.track for region in app.regions] == [True]


def test_the_window_runs_remove_and_reports_errors(app: App, tmp_path: Path) -> None:
    clip = write_folder(tmp_path / "clip", textured_frames(6))
    app.open_input(clip)
    app.start()
    assert app.messages == ["draw a rectangle on the frame, or choose a mask file or folder, first"]  # type: ignore[attr-defined]

    drag(app, (80, 40), (128, 80))
    app.method_var.set("frame")
    app.output_var.set(str(tmp_path / "out"))
    assert app.start()
    assert str(app.cancel_button.cget("state")) == "normal"
    pump(app.root, lambda: app.job is None)
    assert app.status_var.get().startswith(f"Wrote {tmp_path / 'out'}")
    assert float(app.progress.cget("value")) == 6
    assert str(app.remove_button.cget("state")) == "normal"
    results = read_folder(tmp_path / "out")
    hole = np.zeros((48, 64), bool)
    hole[10:20, 20:32] = True
    assert not np.array_equal(results[0][hole], read_folder(clip)[0][hole])

    # Running again: the output exists and the (patched) question says no, so nothing starts.
    assert not app.start()
    # A video that cannot be opened is a message, not a traceback.
    assert not app.open_input(tmp_path / "missing.mp4")
    assert "no such file" in app.messages[-1]  # type: ignore[attr-defined]


def test_the_frame_is_centred_in_the_preview(app: App, tmp_path: Path) -> None:
    clip = write_folder(tmp_path / "clip", textured_frames(2, height=48, width=128))
    assert app.open_input(clip)
    pump(app.root, lambda: app._photo is not None)
    app.root.update()
    view_width, view_height = app.canvas.winfo_width(), app.canvas.winfo_height()
    shown_width, shown_height = app._photo.width(), app._photo.height()
    # A wide clip fills the width and is centred in height (and vice versa).
    left, top = -app.canvas.canvasx(0), -app.canvas.canvasy(0)
    assert abs(left - (view_width - shown_width) // 2) <= 1
    assert abs(top - (view_height - shown_height) // 2) <= 1
    assert top > 0
    # A click on the frame's top-left pixel is frame pixel (0, 0), not the area's corner.
    drag(app, (0, 0), (round(10 * app.scale), round(8 * app.scale)))
    assert app.regions[0].box[:2] == (0, 0)


def test_the_preview_follows_the_window_size(app: App, tmp_path: Path) -> None:
    clip = write_folder(tmp_path / "clip", textured_frames(2, height=480, width=640))
    app.open_input(clip)

    def settled() -> bool:
        # The window has taken its size (a long input name may widen it) and the frame fits it.
        app.root.update()
        view = (app.canvas.winfo_width(), app.canvas.winfo_height())
        return app._resize_job is None and app.scale == fit_scale((480, 640), view)

    pump(app.root, lambda: app._photo is not None and settled())
    first = app.scale
    drag(app, (80, 120), (400, 360))
    box = app.regions[0].box

    def rectangle() -> list[float]:
        items = [i for i in app.canvas.find_withtag("region") if app.canvas.type(i) == "rectangle"]
        return app.canvas.coords(items[0])

    # A smaller window: the frame shrinks to fit what is left of the preview area.
    app.root.geometry("400x300")
    pump(app.root, lambda: settled() and app.scale < first)
    assert app._photo is not None and app._photo.width() == round(640 * app.scale)
    # The window stops shrinking before the side panel is cut off.
    assert app.root.winfo_width() >= app.root.minsize()[0] > 400
    # Boxes stay where they were on the frame, drawn at the new scale.
    assert app.regions[0].box == box
    assert rectangle() == pytest.approx(list(frame_to_canvas_box(box, app.scale)))
    # A rectangle drawn now maps to frame pixels at the new scale.
    scale = app.scale
    drag(app, (0, 0), (round(100 * scale), round(60 * scale)))
    x, y, w, h = app.regions[1].box
    # Within one canvas pixel (more than one frame pixel when shrunk) of 100x60.
    assert (x, y) == (0, 0) and abs(w - 100) <= 1 / scale and abs(h - 60) <= 1 / scale

    # Larger again: enlarged up to the room there is.
    app.root.geometry("1800x1200")
    pump(app.root, lambda: settled() and app.scale > first)
    assert app._photo.width() == round(640 * app.scale)
    assert rectangle() == pytest.approx(list(frame_to_canvas_box(box, app.scale)))


def test_start_and_end_here_limit_the_run_to_a_frame_range(app: App, tmp_path: Path) -> None:
    frames = textured_frames(6)
    clip = write_folder(tmp_path / "clip", frames)
    app.open_input(clip)
    assert app.range_var.get() == "All frames"
    app.slider.set(4)
    app.end_here()
    app.slider.set(2)
    app.start_here()
    assert app.frames == FrameRange(2, 4)
    assert app.range_var.get() == "Frames 2–4 (3 of 6)"
    drag(app, (80, 40), (128, 80))
    app.method_var.set("frame")
    app.output_var.set(str(tmp_path / "out"))
    assert app.start()
    pump(app.root, lambda: app.job is None)
    results = read_folder(tmp_path / "out")
    hole = np.zeros((48, 64), bool)
    hole[10:20, 20:32] = True
    for index, (original, result) in enumerate(zip(frames, results, strict=True)):
        # Frames outside the range pass through untouched; those inside are filled.
        assert np.array_equal(original, result) == (index not in (2, 3, 4)), index

    app.whole_clip()
    assert app.frames == FrameRange() and app.range_var.get() == "All frames"
    app.slider.set(3)
    app.start_here()
    # Opening another input starts again with every frame.
    app.open_input(clip)
    assert app.frames == FrameRange() and app.range_var.get() == "All frames"


def test_quality_is_for_video_outputs_only(app: App, tmp_path: Path) -> None:
    clip = write_folder(tmp_path / "clip", textured_frames(4))
    app.open_input(clip)
    assert str(app.quality_box.cget("state")) == "readonly"
    app.quality_var.set("lossless")
    app.output_var.set(str(tmp_path / "frames_out"))
    assert str(app.quality_box.cget("state")) == "disabled"
    app.output_var.set(str(tmp_path / "out.mkv"))
    assert str(app.quality_box.cget("state")) == "readonly"
    drag(app, (80, 40), (128, 80))
    kwargs = build_remove_kwargs(app.form())
    assert kwargs["lossless"] is True and kwargs["output"] == tmp_path / "out.mkv"


class Interrupt(KeyboardInterrupt):
    pass


def test_starting_again_offers_to_resume_an_interrupted_run(
    app: App, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    clip = write_folder(tmp_path / "clip", textured_frames(8))
    app.open_input(clip)
    drag(app, (80, 40), (128, 80))
    app.method_var.set("frame")
    app.output_var.set(str(tmp_path / "out"))

    # The run the window would start is interrupted after 3 frames (a crash, say).
    def stop(done: int) -> None:
        if done == 3:
            raise Interrupt

    with pytest.raises(Interrupt):
        vidfill.remove(**build_remove_kwargs(app.form()), on_frame=stop)
    assert work_folder(tmp_path / "out").is_dir()

    # Cancel in the question: nothing starts, nothing is discarded.
    assert not app.start()
    kept = vidfill.api.resumable_frames(**build_remove_kwargs(app.form()))
    assert 0 < kept <= 3
    assert f"interrupted with {kept} of 8 frames finished" in app.questions[-1]  # type: ignore[attr-defined]
    assert work_folder(tmp_path / "out").is_dir()

    # Other settings cannot resume it: the window asks before discarding it (no: nothing starts).
    app.dilate_var.set("7")
    assert not app.start()
    assert "other settings" in app.questions[-1]  # type: ignore[attr-defined]
    app.dilate_var.set("4")

    # Yes: it resumes after the kept frames.
    monkeypatch.setattr(app, "ask_yes_no_cancel", lambda question: True)
    assert app.start()
    assert app.job is not None and app.job.kwargs["resume"] is True
    assert app.status_var.get().startswith("Resuming")
    pump(app.root, lambda: app.job is None)
    assert app.status_var.get().startswith(f"Wrote {tmp_path / 'out'}")
    assert not work_folder(tmp_path / "out").exists()
    assert len(read_folder(tmp_path / "out")) == 8


def test_a_cancelled_run_says_whether_it_can_be_resumed(app: App) -> None:
    app._handle(JobEvent("cancelled", done=250))
    kept = "Cancelled; 250 finished frames are kept: Remove again to resume."
    assert app.status_var.get() == kept
    app._handle(JobEvent("cancelled"))
    assert app.status_var.get() == "Cancelled; nothing was written."
