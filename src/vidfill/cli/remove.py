"""``vidfill remove``: the main job."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from vidfill.api import DEFAULT_DILATE, remove
from vidfill.cli import app, configure_logging
from vidfill.cli.progress import frame_progress
from vidfill.engines import DEFAULT_ENGINE, available_engines
from vidfill.masks.sources import parse_box


@app.command("remove")
def remove_command(
    input: Annotated[Path, typer.Argument(help="Video file (mp4, mov, mkv, avi, webm...) or folder of frames.")],
    output: Annotated[Path, typer.Option("-o", "--output", help="Output video (.mp4/.mkv/.mov) or folder for PNG frames.")],
    mask: Annotated[Path | None, typer.Option("-m", "--mask", help="Mask folder (one image per frame), one image (static mask) or a mask video. White = remove.")] = None,
    box: Annotated[list[str] | None, typer.Option("--box", help="Rectangle X,Y,W,H to remove in every frame; repeatable, adds to -m.")] = None,
    dilate: Annotated[int, typer.Option(help="Grow the mask by N pixels. Masks drawn tight to an object miss its blurred, anti-aliased edge and compression halo; copying even one of those pixels leaves a visible outline.")] = DEFAULT_DILATE,
    method: Annotated[str, typer.Option(help=f"Fill engine: {', '.join(available_engines())}. 'frame' is the naive per-frame baseline.")] = DEFAULT_ENGINE,
    start: Annotated[str | None, typer.Option(help="First frame to process: a frame number, seconds ('4.5s') or m:s ('1:02.5'). Earlier frames pass through untouched.")] = None,
    end: Annotated[str | None, typer.Option(help="Frame (or time) to stop before; later frames pass through untouched.")] = None,
    preview: Annotated[bool, typer.Option(help="Write the input with the mask overlaid instead of filling, to check the mask.")] = False,
    overwrite: Annotated[bool, typer.Option(help="Replace the output if it exists.")] = False,
    codec: Annotated[str, typer.Option(help="Video codec for file output (FFmpeg encoder name).")] = "libx264",
    crf: Annotated[int, typer.Option(help="Constant rate factor for H.264/H.265 (lower = better quality, larger file).")] = 18,
    lossless: Annotated[bool, typer.Option(help="Encode without loss (H.264 qp 0, 4:4:4).")] = False,
    preset: Annotated[str, typer.Option(help="Encoder speed preset (ultrafast ... veryslow).")] = "medium",
    fps: Annotated[float | None, typer.Option(help="Frame rate of a frame-folder input when written to a video (default 25).")] = None,
    window: Annotated[int | None, typer.Option(help="Frames per processing window; memory grows with it.")] = None,
    max_side: Annotated[int, typer.Option("--max-side", help="Work on the mask's region at most this many pixels wide or high, then scale the fill up; 0 = full resolution.")] = 1280,
    quiet: Annotated[bool, typer.Option("-q", "--quiet", help="No progress bar or warnings.")] = False,
) -> None:
    """Remove what the mask marks from INPUT and write the filled video to OUTPUT."""
    configure_logging(quiet=quiet)
    boxes = [parse_box(text) for text in box or []]
    with frame_progress("preview" if preview else "filling", quiet=quiet) as progress:
        remove(
            input,
            output,
            mask=mask,
            boxes=boxes,
            dilate=dilate,
            method=method,
            start=start,
            end=end,
            preview=preview,
            overwrite=overwrite,
            codec=codec,
            crf=crf,
            lossless=lossless,
            preset=preset,
            fps=fps,
            window=window,
            max_side=max_side or None,
            on_start=progress.on_start,
            on_frame=progress.on_frame,
        )
