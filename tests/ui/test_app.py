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

from tests.helpers import read_folder, textured_frames, write_folder
from vidfill.ui.logic import Region

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
    monkeypatch.setattr(window, "ask_yes_no", lambda question: False)
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
    canvas = app.canvas
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
    assert int(app.canvas.cget("width")) == 256
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
