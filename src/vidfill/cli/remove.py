"""``vidfill remove``: the main job."""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path
from typing import Annotated

import typer

from vidfill.api import DEFAULT_DILATE, remove
from vidfill.batch import BatchItem, BatchResult, plan_batch, remove_batch
from vidfill.cli import app, configure_logging
from vidfill.cli.progress import FrameProgress, frame_progress
from vidfill.engines import DEFAULT_ENGINE, available_engines
from vidfill.errors import EngineError, MaskError
from vidfill.io.write import DEFAULT_PRESET
from vidfill.masks.sources import parse_box

HELP = {
    "input": (
        "Video file (mp4, mov, mkv, avi, webm...) or folder of frames. Several inputs: a "
        "batch, with OUTPUT a folder that gets one result per input, named like it."
    ),
    "output": (
        "Output video (.mp4/.mkv/.mov) or folder for PNG frames; for a batch, the folder "
        "for the results."
    ),
    "mask": (
        "Mask folder (one image per frame), one image (static mask) or a mask video. "
        "White = remove."
    ),
    "mask_dir": (
        "Batch: folder holding each input's own mask under the input's name "
        "(NAME/ with one image per frame, NAME.png, or NAME.mp4)."
    ),
    "box": "Rectangle X,Y,W,H to remove in every frame; repeatable, adds to -m.",
    "track_box": (
        "Object to track: X,Y,W,H[@FRAME], a box around it on frame FRAME (default 0); "
        "its per-frame masks add to -m. Repeatable."
    ),
    "dilate": (
        "Grow the mask by N pixels. Masks drawn tight to an object miss its blurred, "
        "anti-aliased edge and compression halo; copying even one of those pixels leaves "
        "a visible outline."
    ),
    "method": (
        f"Fill engine: {', '.join(available_engines())}. 'frame' is the naive per-frame baseline."
    ),
    "start": (
        "First frame to process: a frame number, seconds ('4.5s') or m:s ('1:02.5'). "
        "Earlier frames pass through untouched."
    ),
    "end": "Frame (or time) to stop before; later frames pass through untouched.",
    "preview": "Write the input with the mask overlaid instead of filling, to check the mask.",
    "overwrite": "Replace the output if it exists.",
    "codec": "Video codec for file output (FFmpeg encoder name).",
    "crf": "Constant rate factor for H.264/H.265 (lower = better quality, larger file).",
    "lossless": "Encode without loss (FFV1 in .mkv, RGB H.264 in .mp4/.mov).",
    "preset": "Encoder speed preset (ultrafast ... veryslow); auto: medium, faster above 1080p.",
    "fps": "Frame rate of a frame-folder input when written to a video (default 25).",
    "window": "Frames per processing window; memory grows with it.",
    "max_side": (
        "Work on the mask's region at most this many pixels wide or high, then scale the "
        "fill up; 0 = full resolution."
    ),
    "quiet": "No progress bar or warnings.",
    "option": (
        "Engine setting KEY=VALUE, repeatable; e.g. -O spatial=harmonic gives the flow engine "
        "a smooth fill instead of synthesised texture where no frame shows the background."
    ),
    "resume": (
        "Continue an interrupted run of the same command: a frame-folder output from its "
        "last finished window, a video from its last finished segment (about every 250 "
        "frames)."
    ),
}


def parse_track_box(text: str) -> tuple[tuple[int, int, int, int], int]:
    """``"X,Y,W,H@FRAME"`` (frame optional, default 0) into a box and a frame index."""
    box_text, _, frame_text = text.partition("@")
    try:
        frame = int(frame_text) if frame_text else 0
    except ValueError:
        raise MaskError(f"--track-box {text!r}: expected X,Y,W,H@FRAME") from None
    return parse_box(box_text), frame


def parse_options(texts: list[str]) -> dict[str, object]:
    """``["alpha=0.5", "spatial=patch"]`` into engine keyword options, numbers typed."""
    options: dict[str, object] = {}
    for text in texts:
        key, sep, raw = text.partition("=")
        if not sep or not key.isidentifier():
            raise EngineError(f"-O {text!r}: expected KEY=VALUE")
        value: object = raw
        if raw.lower() in ("true", "false"):
            value = raw.lower() == "true"
        else:
            for convert in (int, float):
                try:
                    value = convert(raw)
                    break
                except ValueError:
                    pass
        options[key] = value
    return options


@app.command("remove")
def remove_command(
    inputs: Annotated[list[Path], typer.Argument(help=HELP["input"], metavar="INPUT")],
    output: Annotated[Path, typer.Option("-o", "--output", help=HELP["output"])],
    mask: Annotated[Path | None, typer.Option("-m", "--mask", help=HELP["mask"])] = None,
    mask_dir: Annotated[
        Path | None, typer.Option("--mask-dir", help=HELP["mask_dir"])
    ] = None,
    box: Annotated[list[str] | None, typer.Option("--box", help=HELP["box"])] = None,
    track_box: Annotated[
        list[str] | None, typer.Option("--track-box", help=HELP["track_box"])
    ] = None,
    dilate: Annotated[int, typer.Option(help=HELP["dilate"])] = DEFAULT_DILATE,
    method: Annotated[str, typer.Option(help=HELP["method"])] = DEFAULT_ENGINE,
    start: Annotated[str | None, typer.Option(help=HELP["start"])] = None,
    end: Annotated[str | None, typer.Option(help=HELP["end"])] = None,
    preview: Annotated[bool, typer.Option(help=HELP["preview"])] = False,
    overwrite: Annotated[bool, typer.Option(help=HELP["overwrite"])] = False,
    codec: Annotated[str, typer.Option(help=HELP["codec"])] = "libx264",
    crf: Annotated[int, typer.Option(help=HELP["crf"])] = 18,
    lossless: Annotated[bool, typer.Option(help=HELP["lossless"])] = False,
    preset: Annotated[str, typer.Option(help=HELP["preset"])] = DEFAULT_PRESET,
    fps: Annotated[float | None, typer.Option(help=HELP["fps"])] = None,
    window: Annotated[int | None, typer.Option(help=HELP["window"])] = None,
    max_side: Annotated[int, typer.Option("--max-side", help=HELP["max_side"])] = 1280,
    option: Annotated[list[str] | None, typer.Option("-O", "--option", help=HELP["option"])] = None,
    resume: Annotated[bool, typer.Option(help=HELP["resume"])] = False,
    quiet: Annotated[bool, typer.Option("-q", "--quiet", help=HELP["quiet"])] = False,
) -> None:
    """Remove what the mask marks from INPUT and write the filled video to OUTPUT."""
    configure_logging(quiet=quiet)
    settings = dict(
        boxes=[parse_box(text) for text in box or []],
        track_boxes=[parse_track_box(text) for text in track_box or []],
        dilate=dilate,
        method=method,
        start=start,
        end=end,
        preview=preview,
        codec=codec,
        crf=crf,
        lossless=lossless,
        preset=preset,
        fps=fps,
        window=window,
        max_side=max_side or None,
        resume=resume,
        **parse_options(option or []),
    )
    label = "preview" if preview else "filling"
    if len(inputs) > 1 or mask_dir is not None:
        _remove_many(inputs, output, mask, mask_dir, overwrite, quiet, label, settings)
        return
    with frame_progress(label, quiet=quiet) as progress:
        remove(
            inputs[0],
            output,
            mask=mask,
            overwrite=overwrite,
            **settings,
            **_callbacks(progress, "tracking" if settings["track_boxes"] else None),
        )


def _callbacks(progress: FrameProgress, track_label: str | None) -> dict[str, object]:
    """Progress callbacks of one remove() call: a bar for filling, one for tracking if named."""
    callbacks: dict[str, object] = {"on_start": progress.on_start, "on_frame": progress.on_frame}
    if track_label is not None:
        bar = progress.for_label(track_label)
        # Created when filling starts, so the tracking bar gets the same frame count.
        def on_start(info: object) -> None:
            bar.on_start(info)
            progress.on_start(info)

        callbacks.update(on_start=on_start, on_track=bar.on_frame)
    return callbacks


def _remove_many(
    inputs: list[Path],
    output: Path,
    mask: Path | None,
    mask_dir: Path | None,
    overwrite: bool,
    quiet: bool,
    label: str,
    settings: dict[str, object],
) -> None:
    """The batch: every input in turn, a line per result, exit status 2 if any failed."""
    items = plan_batch(inputs, output, mask=mask, mask_dir=mask_dir)
    with frame_progress(label, quiet=quiet) as progress:

        def on_item(item: BatchItem) -> dict[str, object]:
            bar = progress.for_label(f"{label} {item.input.name}")
            tracking = f"tracking {item.input.name}" if settings["track_boxes"] else None
            return _callbacks(bar, tracking)

        def on_result(result: BatchResult) -> None:
            if result.outcome != "done":
                # Errors and skip reasons name the path themselves.
                progress.print(f"{result.outcome}: {result.message}")
            elif not quiet:
                progress.print(f"done: {result.item.input} -> {result.item.output}")

        results = remove_batch(
            items,
            mask_dir=mask_dir,
            overwrite=overwrite,
            on_item=on_item,
            on_result=on_result,
            **settings,
        )
    counts = Counter(result.outcome for result in results)
    summary = ", ".join(f"{counts[o]} {o}" for o in ("done", "skipped", "failed") if counts[o])
    if not quiet or counts["failed"]:
        print(f"vidfill: {len(results)} inputs: {summary}", file=sys.stderr)
    if counts["failed"]:
        raise typer.Exit(2)
