"""The Tkinter window of ``vidfill gui``.

Only widgets and their wiring live here; every decision (geometry, the
arguments of ``remove``, the background job) is in :mod:`vidfill.ui.logic`,
where it is tested without a display. Tk is single-threaded: the worker
thread never touches a widget, it queues events that :meth:`App._poll`
reads from the main loop.
"""

from __future__ import annotations

import queue
import tkinter as tk
from pathlib import Path
from tkinter import filedialog, messagebox, ttk

import numpy as np
from numpy.typing import NDArray

from vidfill.errors import DisplayError, MaskError, VidfillError
from vidfill.ui.logic import (
    DEFAULT_QUALITY,
    METHODS,
    QUALITIES,
    Form,
    FrameLoader,
    FrameRange,
    FrameReader,
    Job,
    JobEvent,
    LoadedFrame,
    Region,
    build_remove_kwargs,
    canvas_to_frame_box,
    default_output,
    find_interrupted,
    fit_scale,
    frame_to_canvas_box,
    is_video_output,
    open_in_player,
    ppm_bytes,
    resume_question,
    scale_for_display,
)

#: Colours of the rectangles: red is removed everywhere, cyan is tracked.
STATIC_COLOUR = "#ff3b30"
TRACK_COLOUR = "#00c8ff"

#: Wait this long after the slider stops before asking for the frame: dragging it across a
#: long video would otherwise start (and abandon) a read at every frame it passes over.
SLIDER_DELAY_MS = 80

#: How often the window reads the job's events.
POLL_MS = 100

#: How often it looks for a frame being read for the preview.
FRAME_POLL_MS = 30

#: Wait this long after the preview area stops changing size before re-fitting the frame:
#: dragging a window edge sends a resize event per pixel, and each re-fit rescales the frame.
RESIZE_DELAY_MS = 60

#: Narrowest preview column the window may be shrunk to, in screen pixels.
MIN_PREVIEW_WIDTH = 480

VIDEO_TYPES = [
    ("Videos", "*.mp4 *.mov *.mkv *.avi *.webm *.m4v *.mts *.m2ts *.ts *.wmv *.flv *.mpg"),
    ("All files", "*"),
]
OUTPUT_TYPES = [("MP4 video", "*.mp4"), ("Matroska video", "*.mkv"), ("QuickTime", "*.mov")]
MASK_TYPES = [("Images and videos", "*.png *.jpg *.jpeg *.bmp *.tif *.tiff *.webp *.mp4 *.mkv")]


class App:
    """The main window's contents, built into ``root``.

    Parameters
    ----------
    root : tk.Tk
        The window.
    view_size : (width, height), optional
        Starting size of the frame preview; by default it fits the screen.
        The preview then follows the window's size.
    """

    def __init__(self, root: tk.Tk, *, view_size: tuple[int, int] | None = None) -> None:
        self.root = root
        if view_size is None:
            # Leave room for the side panel and the rows above and below the preview.
            view_size = (
                max(320, min(960, root.winfo_screenwidth() - 460)),
                max(240, min(600, root.winfo_screenheight() - 260)),
            )
        self.view_size = view_size
        self.reader: FrameReader | None = None
        self.loader: FrameLoader | None = None
        # The frame last asked for (the one shown may still be an earlier one).
        self.wanted = 0
        self._frame_poll: str | None = None
        self.scale = 1.0
        self.index = 0
        self.regions: list[Region] = []
        self.job: Job | None = None
        self.job_is_preview = False
        self.warnings: list[str] = []
        self.closing = False
        # The output path the user agreed to replace (Save as... asks itself).
        self.confirmed_output: Path | None = None
        self._photo: tk.PhotoImage | None = None
        self._drag_start: tuple[float, float] | None = None
        self._slider_job: str | None = None
        self._resize_job: str | None = None
        # The frame shown, at full size: re-fitted when the preview area changes size.
        self._frame: NDArray[np.uint8] | None = None
        self.frames = FrameRange()

        self.input_var = tk.StringVar(value="No video open: use Open video… or Open frame folder…")
        self.output_var = tk.StringVar()
        self.mask_var = tk.StringVar()
        self.method_var = tk.StringVar(value=METHODS[0])
        self.dilate_var = tk.StringVar(value=str(Form().dilate))
        self.mode_var = tk.StringVar(value="static")
        self.frame_var = tk.StringVar(value="")
        self.range_var = tk.StringVar(value=FrameRange().describe())
        self.quality_var = tk.StringVar(value=DEFAULT_QUALITY)
        self.status_var = tk.StringVar(value="Open a video to begin.")
        self._build()
        # The quality applies to a video output only: follow what the output field says.
        self.output_var.trace_add("write", lambda *_args: self._on_output_changed())
        root.protocol("WM_DELETE_WINDOW", self.close)
        # Step through frames from the keyboard: finding the frame where an object is
        # clearest is easier one frame at a time than with the slider.
        root.bind("<Left>", lambda event: self._step(event, -1))
        root.bind("<Right>", lambda event: self._step(event, 1))

    # --- Layout ----------------------------------------------------------------------------

    def _build(self) -> None:
        root = self.root
        root.title("vidfill")
        root.columnconfigure(0, weight=1)
        root.rowconfigure(1, weight=1)

        top = ttk.Frame(root, padding=(8, 8, 8, 0))
        top.grid(row=0, column=0, columnspan=2, sticky="ew")
        self.open_video_button = ttk.Button(top, text="Open video…", command=self.ask_video)
        self.open_video_button.pack(side="left")
        self.open_folder_button = ttk.Button(
            top, text="Open frame folder…", command=self.ask_folder
        )
        self.open_folder_button.pack(side="left", padx=(4, 8))
        ttk.Label(top, textvariable=self.input_var).pack(side="left", fill="x")

        left = ttk.Frame(root, padding=8)
        left.grid(row=1, column=0, sticky="nsew")
        left.columnconfigure(0, weight=1)
        # The preview takes whatever room the window gives it.
        left.rowconfigure(0, weight=1)
        width, height = self.view_size
        self.canvas = tk.Canvas(
            left,
            width=width,
            height=height,
            background="#202020",
            highlightthickness=0,
            cursor="crosshair",
        )
        self.canvas.grid(row=0, column=0, sticky="nsew")
        self._image_item = self.canvas.create_image(0, 0, anchor="nw")
        self.canvas.bind("<Configure>", self._on_canvas_resize)
        self.canvas.bind("<ButtonPress-1>", self._on_press)
        self.canvas.bind("<B1-Motion>", self._on_drag)
        self.canvas.bind("<ButtonRelease-1>", self._on_release)
        self.slider = tk.Scale(
            left,
            from_=0,
            to=0,
            orient="horizontal",
            showvalue=False,
            command=self._on_slider,
            state="disabled",
        )
        self.slider.grid(row=1, column=0, sticky="ew", pady=(6, 0))
        ttk.Label(left, textvariable=self.frame_var).grid(row=2, column=0, sticky="w")
        self._build_range(left).grid(row=3, column=0, sticky="w", pady=(4, 0))

        side = ttk.Frame(root, padding=(0, 8, 8, 8))
        side.grid(row=1, column=1, sticky="ns")
        self._build_regions(side)
        self._build_mask(side)
        self._build_settings(side)
        self._build_output(side)
        self._build_actions(side)

        bottom = ttk.Frame(root, padding=(8, 0, 8, 8))
        bottom.grid(row=2, column=0, columnspan=2, sticky="ew")
        bottom.columnconfigure(1, weight=1)
        self.progress = ttk.Progressbar(bottom, length=240, mode="determinate")
        self.progress.grid(row=0, column=0, sticky="w")
        ttk.Label(bottom, textvariable=self.status_var).grid(
            row=0, column=1, sticky="ew", padx=(8, 0)
        )
        # The preview shrinks with the window, the side panel cannot: keep it whole, and
        # room for the preview and its row of range buttons.
        root.update_idletasks()
        root.minsize(
            side.winfo_reqwidth() + MIN_PREVIEW_WIDTH,
            top.winfo_reqheight() + side.winfo_reqheight() + bottom.winfo_reqheight(),
        )

    def _build_range(self, parent: ttk.Frame) -> ttk.Frame:
        row = ttk.Frame(parent)
        self.start_here_button = ttk.Button(row, text="Start here", command=self.start_here)
        self.start_here_button.pack(side="left")
        self.end_here_button = ttk.Button(row, text="End here", command=self.end_here)
        self.end_here_button.pack(side="left", padx=4)
        self.whole_clip_button = ttk.Button(row, text="Whole clip", command=self.whole_clip)
        self.whole_clip_button.pack(side="left")
        ttk.Label(row, textvariable=self.range_var).pack(side="left", padx=(8, 0))
        return row

    def _build_regions(self, parent: ttk.Frame) -> None:
        box = ttk.LabelFrame(parent, text="Regions to remove", padding=6)
        box.pack(fill="x")
        hint = "Drag on the frame to draw a rectangle.\n← → step through frames."
        ttk.Label(box, text=hint, foreground="#555").pack(anchor="w")
        modes = (
            ("static", "Remove this region in every frame\n(logo, timestamp, caption)", (4, 0)),
            ("track", "Track this object\n(boxed on the frame shown)", (2, 4)),
        )
        for value, text, pady in modes:
            ttk.Radiobutton(
                box, text=text, variable=self.mode_var, value=value, command=self._on_mode
            ).pack(anchor="w", pady=pady)
        self.region_list = tk.Listbox(box, height=6, width=34, exportselection=False)
        self.region_list.pack(fill="x")
        self.region_list.bind("<<ListboxSelect>>", self._on_select_region)
        self.region_list.bind("<Delete>", lambda _event: self.delete_region())
        self.region_list.bind("<BackSpace>", lambda _event: self.delete_region())
        buttons = ttk.Frame(box)
        buttons.pack(fill="x", pady=(4, 0))
        ttk.Button(buttons, text="Delete", command=self.delete_region).pack(side="left")
        ttk.Button(buttons, text="Clear all", command=self.clear_regions).pack(side="left", padx=4)

    def _build_mask(self, parent: ttk.Frame) -> None:
        box = ttk.LabelFrame(parent, text="Mask file or folder (optional)", padding=6)
        box.pack(fill="x", pady=(8, 0))
        ttk.Entry(box, textvariable=self.mask_var, state="readonly", width=34).pack(fill="x")
        buttons = ttk.Frame(box)
        buttons.pack(fill="x", pady=(4, 0))
        ttk.Button(buttons, text="File…", command=self.ask_mask_file).pack(side="left")
        ttk.Button(buttons, text="Folder…", command=self.ask_mask_folder).pack(side="left", padx=4)
        ttk.Button(buttons, text="None", command=lambda: self.mask_var.set("")).pack(side="left")

    def _build_settings(self, parent: ttk.Frame) -> None:
        box = ttk.LabelFrame(parent, text="Settings", padding=6)
        box.pack(fill="x", pady=(8, 0))
        ttk.Label(box, text="Method").grid(row=0, column=0, sticky="w")
        ttk.Combobox(
            box, textvariable=self.method_var, values=METHODS, state="readonly", width=10
        ).grid(row=0, column=1, sticky="w", padx=(6, 0))
        ttk.Label(box, text="Grow mask by (px)").grid(row=1, column=0, sticky="w", pady=(4, 0))
        ttk.Spinbox(box, textvariable=self.dilate_var, from_=0, to=64, width=5).grid(
            row=1, column=1, sticky="w", padx=(6, 0), pady=(4, 0)
        )

    def _build_output(self, parent: ttk.Frame) -> None:
        box = ttk.LabelFrame(parent, text="Output", padding=6)
        box.pack(fill="x", pady=(8, 0))
        ttk.Entry(box, textvariable=self.output_var, width=34).pack(fill="x")
        ttk.Button(box, text="Save as…", command=self.ask_output).pack(anchor="w", pady=(4, 0))
        row = ttk.Frame(box)
        row.pack(fill="x", pady=(4, 0))
        ttk.Label(row, text="Quality").pack(side="left")
        self.quality_box = ttk.Combobox(
            row, textvariable=self.quality_var, values=list(QUALITIES), state="readonly", width=18
        )
        self.quality_box.pack(side="left", padx=(6, 0))

    def _build_actions(self, parent: ttk.Frame) -> None:
        box = ttk.Frame(parent)
        box.pack(fill="x", pady=(12, 0))
        self.preview_button = ttk.Button(
            box, text="Preview masks", command=lambda: self.start(preview=True)
        )
        self.preview_button.pack(side="left")
        self.remove_button = ttk.Button(box, text="Remove", command=lambda: self.start())
        self.remove_button.pack(side="left", padx=4)
        self.cancel_button = ttk.Button(box, text="Cancel", command=self.cancel, state="disabled")
        self.cancel_button.pack(side="left")

    # --- Input and frame preview -----------------------------------------------------------

    def ask_video(self) -> None:
        """Pick a video file with the system dialog and open it."""
        path = filedialog.askopenfilename(parent=self.root, filetypes=VIDEO_TYPES)
        if path:
            self.open_input(path)

    def ask_folder(self) -> None:
        """Pick a folder of frames with the system dialog and open it."""
        path = filedialog.askdirectory(parent=self.root, mustexist=True)
        if path:
            self.open_input(path)

    def open_input(self, path: str | Path) -> bool:
        """Open a video or frame folder and show its first frame; False (and a message) if not.

        Rectangles from the previous input are dropped: their coordinates
        belong to that video. The output resets to the default beside the input.
        """
        try:
            reader = FrameReader(path)
        except VidfillError as error:
            self.show_error(str(error))
            return False
        if self.loader is not None:
            self.loader.close()
        self.reader = reader
        self.loader = FrameLoader(reader)
        info = reader.info
        self.scale = fit_scale(info.size, self._view())
        self.regions.clear()
        self._refresh_regions()
        self._set_range(FrameRange())
        self.output_var.set(str(default_output(info.path)))
        self.confirmed_output = None
        kind = "frame folder" if info.is_folder else "video"
        text = f"{info.path}  ({kind}, {info.width}x{info.height}, {info.frame_count} frames)"
        if info.rotation:
            # Boxes are in stored pixels, which is how the frames are shown here.
            text += f"  shown as stored; players rotate it {info.rotation}°"
        self.input_var.set(text)
        self.slider.configure(state="normal", to=max(0, info.frame_count - 1))
        self.slider.set(0)
        # Until frame 0 arrives, show nothing rather than the previous input's frame.
        self.index = 0
        self._frame = None
        self.canvas.itemconfigure(self._image_item, image="")
        self.go_to(0)
        self.status_var.set("Drag on the frame to mark what to remove.")
        return True

    def _on_slider(self, value: str) -> None:
        if self._slider_job is not None:
            self.root.after_cancel(self._slider_job)
        self._slider_job = self.root.after(SLIDER_DELAY_MS, self.go_to, int(float(value)))
        if self.reader is not None:
            self.frame_var.set(f"Frame {int(float(value))} of {self.reader.frame_count}")

    def _step(self, event: tk.Event, delta: int) -> None:
        if self.reader is None or isinstance(event.widget, (tk.Entry, ttk.Entry)):
            return  # arrows in a text field move its cursor
        index = min(max(0, int(self.slider.get()) + delta), self.reader.frame_count - 1)
        self.slider.set(index)

    def go_to(self, index: int) -> None:
        """Show frame ``index`` once the loader thread has read it."""
        self._slider_job = None
        if self.loader is None or self.reader is None:
            return
        self.wanted = index
        self.loader.request(index)
        if index != self.index:
            self.frame_var.set(f"Frame {index} of {self.reader.frame_count} (reading…)")
        if self._frame_poll is None:
            self._frame_poll = self.root.after(FRAME_POLL_MS, self._poll_frames)

    def _poll_frames(self) -> None:
        self._frame_poll = None
        if self.loader is None:
            return
        latest: LoadedFrame | None = None
        while True:
            try:
                latest = self.loader.results.get_nowait()
            except queue.Empty:
                break
        if latest is not None and latest.index == self.wanted:
            if latest.frame is None:
                self.status_var.set(latest.error)
            else:
                self._show(latest.index, latest.frame)
            return
        self._frame_poll = self.root.after(FRAME_POLL_MS, self._poll_frames)

    def _show(self, index: int, frame: NDArray[np.uint8]) -> None:
        self.index = index
        self._frame = frame
        self._render()
        if self.reader is not None:
            self.frame_var.set(f"Frame {index} of {self.reader.frame_count}")
        self._draw_regions()

    def _render(self) -> None:
        if self._frame is None:
            return
        shown = scale_for_display(self._frame, self.scale)
        self._photo = tk.PhotoImage(data=ppm_bytes(shown), format="PPM")
        self.canvas.itemconfigure(self._image_item, image=self._photo)
        self._centre()

    def _centre(self) -> None:
        """Show the frame in the middle of the preview area.

        The frame stays at canvas (0, 0), so frame and box geometry keep one
        origin; the view is scrolled instead, and ``canvasx``/``canvasy``
        turn pointer positions into those coordinates.
        """
        if self._photo is None:
            return
        width, height = self._view()
        left = max(0, (width - self._photo.width()) // 2)
        top = max(0, (height - self._photo.height()) // 2)
        self.canvas.configure(scrollregion=(-left, -top, width - left, height - top))
        self.canvas.xview_moveto(0)
        self.canvas.yview_moveto(0)

    def _view(self) -> tuple[int, int]:
        """The preview area's size (width, height); the starting size until it is shown."""
        width, height = self.canvas.winfo_width(), self.canvas.winfo_height()
        # Before the window is mapped, Tk reports 1x1.
        return (width, height) if width > 1 and height > 1 else self.view_size

    def _on_canvas_resize(self, _event: tk.Event) -> None:
        if self._resize_job is not None:
            self.root.after_cancel(self._resize_job)
        self._resize_job = self.root.after(RESIZE_DELAY_MS, self.refit)

    def refit(self) -> None:
        """Fit the frame to the preview area's size; boxes keep their frame coordinates."""
        self._resize_job = None
        if self.reader is None:
            return
        scale = fit_scale(self.reader.info.size, self._view())
        if scale == self.scale:
            self._centre()  # the same size in a wider or taller area
            return
        self.scale = scale
        if self._drag_start is not None:
            # A rectangle begun at the old scale would end at the new one: drop it.
            self._drag_start = None
            self.canvas.delete("drag")
        self._render()
        self._draw_regions()

    # --- Frame range -----------------------------------------------------------------------

    def _slider_frame(self) -> int:
        return int(self.slider.get())

    def start_here(self) -> None:
        """Start the run at the frame under the slider; earlier frames pass through."""
        if self.reader is not None:
            self._set_range(self.frames.starting_at(self._slider_frame()))

    def end_here(self) -> None:
        """End the run at the frame under the slider (included); later frames pass through."""
        if self.reader is not None:
            self._set_range(self.frames.ending_at(self._slider_frame()))

    def whole_clip(self) -> None:
        """Clear the start and the end: work on every frame."""
        self._set_range(FrameRange())

    def _set_range(self, frames: FrameRange) -> None:
        self.frames = frames
        count = self.reader.frame_count if self.reader is not None else None
        self.range_var.set(frames.describe(count))

    # --- Drawing rectangles ----------------------------------------------------------------

    def _on_press(self, event: tk.Event) -> None:
        if self.reader is None:
            return
        self._drag_start = (self.canvas.canvasx(event.x), self.canvas.canvasy(event.y))
        x, y = self._drag_start
        self.canvas.delete("drag")
        self.canvas.create_rectangle(
            x,
            y,
            x,
            y,
            outline=self._colour(self.mode_var.get() == "track"),
            width=1,
            dash=(4, 2),
            tags="drag",
        )

    def _on_drag(self, event: tk.Event) -> None:
        if self._drag_start is None:
            return
        x0, y0 = self._drag_start
        self.canvas.coords(
            "drag", x0, y0, self.canvas.canvasx(event.x), self.canvas.canvasy(event.y)
        )

    def _on_release(self, event: tk.Event) -> None:
        if self._drag_start is None or self.reader is None:
            return
        end = (self.canvas.canvasx(event.x), self.canvas.canvasy(event.y))
        box = canvas_to_frame_box(self._drag_start, end, self.scale, self.reader.info.size)
        self._drag_start = None
        self.canvas.delete("drag")
        if box is None:
            return
        self.add_region(Region(box, frame=self.index, track=self.mode_var.get() == "track"))

    def add_region(self, region: Region) -> None:
        """Add a rectangle and select it, so the mode buttons apply to it."""
        self.regions.append(region)
        self._refresh_regions(select=len(self.regions) - 1)

    def delete_region(self) -> None:
        """Delete the selected rectangle."""
        selected = self._selected()
        if selected is not None:
            del self.regions[selected]
            self._refresh_regions()

    def clear_regions(self) -> None:
        """Delete every rectangle."""
        self.regions.clear()
        self._refresh_regions()

    def _selected(self) -> int | None:
        chosen = self.region_list.curselection()
        return int(chosen[0]) if chosen else None

    def _on_select_region(self, _event: object = None) -> None:
        selected = self._selected()
        if selected is not None:
            self.mode_var.set("track" if self.regions[selected].track else "static")
        self._draw_regions()

    def _on_mode(self) -> None:
        # The mode buttons set the mode of the selected rectangle, and of the next ones drawn.
        selected = self._selected()
        if selected is not None:
            self.regions[selected].track = self.mode_var.get() == "track"
            self._refresh_regions(select=selected)

    def _refresh_regions(self, select: int | None = None) -> None:
        self.region_list.delete(0, "end")
        for number, region in enumerate(self.regions, start=1):
            self.region_list.insert("end", f"{number}. {region.describe()}")
        if select is not None:
            self.region_list.selection_set(select)
            self.region_list.see(select)
        self._draw_regions()

    def _draw_regions(self) -> None:
        self.canvas.delete("region")
        selected = self._selected()
        for number, region in enumerate(self.regions, start=1):
            x0, y0, x1, y1 = frame_to_canvas_box(region.box, self.scale)
            colour = self._colour(region.track)
            label = str(number)
            dash: tuple[int, ...] = ()
            width = 3 if selected == number - 1 else 2
            if region.track and region.frame != self.index:
                # A tracked box shows where the object was on its own frame: dashed on the
                # others (1 pixel wide, since X servers draw wide dashed lines solid).
                dash, width, label = (4, 3), 1, f"{number} @{region.frame}"
            self.canvas.create_rectangle(
                x0, y0, x1, y1, outline=colour, width=width, dash=dash, tags="region"
            )
            self.canvas.create_text(
                x0 + 3, y0 + 2, text=label, anchor="nw", fill=colour, tags="region"
            )

    @staticmethod
    def _colour(track: bool) -> str:
        return TRACK_COLOUR if track else STATIC_COLOUR

    # --- Mask and output -------------------------------------------------------------------

    def ask_mask_file(self) -> None:
        """Pick one mask image (static) or a mask video."""
        path = filedialog.askopenfilename(parent=self.root, filetypes=MASK_TYPES)
        if path:
            self.mask_var.set(path)

    def ask_mask_folder(self) -> None:
        """Pick a folder of mask images, one per frame."""
        path = filedialog.askdirectory(parent=self.root, mustexist=True)
        if path:
            self.mask_var.set(path)

    def ask_output(self) -> None:
        """Choose where the result goes; the dialog itself asks before replacing a file."""
        current = Path(self.output_var.get()) if self.output_var.get() else None
        path = filedialog.asksaveasfilename(
            parent=self.root,
            defaultextension=".mp4",
            filetypes=OUTPUT_TYPES,
            initialdir=str(current.parent) if current else None,
            initialfile=current.name if current else None,
        )
        if path:
            self.output_var.set(path)
            self.confirmed_output = Path(path)

    def _on_output_changed(self) -> None:
        output = self.output_var.get().strip()
        # An empty field means the default output, a video.
        video = not output or is_video_output(output)
        self.quality_box.configure(state="readonly" if video else "disabled")

    # --- Running ---------------------------------------------------------------------------

    def form(self) -> Form:
        """The form as the user left it.

        Raises
        ------
        MaskError
            If the mask growth is not a whole number.
        """
        try:
            dilate = int(self.dilate_var.get())
        except ValueError:
            raise MaskError(
                f"mask growth {self.dilate_var.get()!r} is not a whole number"
            ) from None
        output = self.output_var.get().strip()
        return Form(
            input=self.reader.info.path if self.reader is not None else None,
            output=output or None,
            method=self.method_var.get(),
            regions=[Region(r.box, r.frame, r.track) for r in self.regions],
            mask=self.mask_var.get() or None,
            dilate=dilate,
            overwrite=output != "" and Path(output) == self.confirmed_output,
            frames=self.frames,
            quality=self.quality_var.get(),
        )

    def start(self, *, preview: bool = False) -> bool:
        """Start a run (or a mask preview) in the background; False if it could not start.

        If an earlier run into the same output was interrupted (cancelled, or
        the program stopped), it first asks whether to resume it or start over.
        """
        if self.job is not None and self.job.is_alive():
            return False
        try:
            form = self.form()
            kwargs = build_remove_kwargs(form, preview=preview)
        except VidfillError as error:
            self.show_error(str(error))
            return False
        output = Path(kwargs["output"])
        if not preview and not form.overwrite and (output.exists() or output.is_symlink()):
            if not self.ask_yes_no(f"{output} already exists. Replace it?"):
                return False
            kwargs["overwrite"] = True
            self.confirmed_output = output
        resuming = False
        interrupted = find_interrupted(kwargs)
        if interrupted is not None:
            total = self.reader.frame_count if self.reader is not None else None
            question = resume_question(interrupted, output, total)
            if interrupted.same_settings:
                answer = self.ask_yes_no_cancel(question)
                if answer is None:
                    return False
                resuming = kwargs["resume"] = answer
            elif not self.ask_yes_no(question):
                return False
        self.job_is_preview = preview
        self.warnings = []
        self.job = Job(kwargs).start()
        self._set_running(True)
        self.progress.configure(value=0, maximum=1)
        verb = "Writing the mask preview" if preview else "Resuming" if resuming else "Removing"
        self.status_var.set(f"{verb}: reading {Path(kwargs['input']).name}…")
        self.root.after(POLL_MS, self._poll)
        return True

    def cancel(self) -> None:
        """Stop the run at its next finished frame.

        It leaves no output; what it finished up to its last checkpoint is
        kept, and starting the same run again offers to resume it.
        """
        if self.job is not None and self.job.is_alive():
            self.job.cancel()
            self.status_var.set("Cancelling (at the next finished frame)…")

    def _set_running(self, running: bool) -> None:
        idle = "disabled" if running else "normal"
        for button in (
            self.preview_button,
            self.remove_button,
            self.open_video_button,
            self.open_folder_button,
        ):
            button.configure(state=idle)
        self.cancel_button.configure(state="normal" if running else "disabled")

    def _poll(self) -> None:
        if self.job is None:
            return
        for event in self.job.drain():
            self._handle(event)
            if event.final:
                self.job = None
                self._set_running(False)
                if self.closing:
                    self._destroy()
                return
        self.root.after(POLL_MS, self._poll)

    def _handle(self, event: JobEvent) -> None:
        if event.kind == "start":
            self.progress.configure(maximum=max(1, event.total), value=0)
            text = f"0 / {event.total} frames"
            if self.job is not None and self.job.kwargs.get("track_boxes"):
                # Tracking reads the whole clip before the first frame is written.
                text += ": tracking the marked objects through the clip first…"
            self.status_var.set(text)
        elif event.kind == "tracking":
            self.progress.configure(value=event.done)
            self.status_var.set(f"Tracking the marked objects: {event.done} / {event.total} frames")
        elif event.kind == "progress":
            self.progress.configure(value=event.done)
            self.status_var.set(f"{event.done} / {event.total} frames   {event.fps:.1f} frames/s")
        elif event.kind == "warning":
            self.warnings.append(event.message)
            self.status_var.set(f"Warning: {event.message}")
        elif event.kind == "error":
            self.status_var.set(f"Failed: {event.message}")
            if not self.closing:
                self.show_error(event.message)
        elif event.kind == "cancelled":
            self.progress.configure(value=0)
            if event.done and not self.job_is_preview:
                self.status_var.set(
                    f"Cancelled; {event.done} finished frames are kept: Remove again to resume."
                )
            else:
                self.status_var.set("Cancelled; nothing was written.")
        elif event.kind == "done":
            self._finished(event)

    def _finished(self, event: JobEvent) -> None:
        self.progress.configure(value=self.progress.cget("maximum"))
        self.status_var.set(f"Wrote {event.path} in {event.seconds:.1f} s")
        if self.closing:
            return
        if self.warnings:
            self.show_warning("\n".join(self.warnings))
        if self.job_is_preview and event.path is not None:
            question = f"Mask preview written to\n{event.path}\n\nOpen it now?"
            if self.ask_yes_no(question):
                try:
                    open_in_player(event.path)
                except VidfillError as error:
                    self.show_error(str(error))

    def close(self) -> None:
        """Close the window; a run in progress is cancelled first (keeping it to resume)."""
        if self.job is not None and self.job.is_alive():
            question = "A run is in progress. Cancel it and quit?"
            if not self.job_is_preview:
                question += "\n\nWhat it has finished is kept, so that Remove can resume it."
            if not self.ask_yes_no(question):
                return
            self.closing = True
            self.job.cancel()
            self.status_var.set("Cancelling before quitting…")
            return  # _poll destroys the window when the job has stopped.
        self._destroy()

    def _destroy(self) -> None:
        for pending in (self._frame_poll, self._slider_job, self._resize_job):
            if pending is not None:
                self.root.after_cancel(pending)
        if self.loader is not None:
            self.loader.close()
        self.root.destroy()

    # --- Dialogs (methods, so tests can replace them) -----------------------------------

    def show_error(self, message: str) -> None:
        """Show a user-caused error: the message only, never a traceback."""
        messagebox.showerror("vidfill", message, parent=self.root)

    def show_warning(self, message: str) -> None:
        """Show warnings the run logged (an empty mask, a damaged file)."""
        messagebox.showwarning("vidfill", message, parent=self.root)

    def ask_yes_no(self, question: str) -> bool:
        """Ask before replacing a file, quitting mid-run, or opening the preview."""
        return bool(messagebox.askyesno("vidfill", question, parent=self.root))

    def ask_yes_no_cancel(self, question: str) -> bool | None:
        """Ask whether to resume an interrupted run: True, False, or None to do nothing."""
        answer = messagebox.askyesnocancel("vidfill", question, parent=self.root)
        return None if answer is None else bool(answer)


def launch(input: str | Path | None = None) -> None:
    """Open the window, with ``input`` loaded if given, and run until it is closed.

    Raises
    ------
    DisplayError
        If Tk cannot open a window (no X server behind ``$DISPLAY``, say).
    """
    try:
        root = tk.Tk()
    except tk.TclError as error:
        raise DisplayError(f"cannot open a window: {error}") from None
    app = App(root)
    if input is not None:
        root.after_idle(app.open_input, input)
    root.mainloop()
