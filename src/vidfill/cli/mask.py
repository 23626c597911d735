"""``vidfill mask``: make per-frame masks (box tracking, overlay detection)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated

import typer

from vidfill.cli import app
from vidfill.cli.progress import frame_progress
from vidfill.errors import MaskError
from vidfill.masks.make import DEFAULT_DILATE, DEFAULT_TRACKER, make_masks
from vidfill.masks.refine import DEFAULT_REFINE
from vidfill.masks.sources import parse_box


def _parse_keyed_box(text: str) -> tuple[tuple[int, int, int, int], int | None]:
    """``X,Y,W,H`` or ``X,Y,W,H@FRAME``."""
    box_text, _, frame_text = text.partition("@")
    if not frame_text:
        return parse_box(box_text), None
    try:
        return parse_box(box_text), int(frame_text)
    except ValueError:
        raise MaskError(f"box {text!r}: expected X,Y,W,H@FRAME with an integer frame") from None


HELP_OUTPUT = "Folder for PNG masks (named like the frames) or a mask video (.mp4/.mkv/.mov)."
HELP_BOX = (
    "Object to track: X,Y,W,H on frame --at (or X,Y,W,H@FRAME). Repeat on other frames to "
    "correct the track; repeat on the same frame for more objects."
)
HELP_AT = "Frame each --box was drawn on (default 0), in the same order as --box."
HELP_OVERLAY = "Find static overlays (logos, timestamps, captions) and mask them in every frame."
HELP_KEEP_BOX = "Mask the whole tracked box, not the object's shape."
HELP_GROW_DOWN = "Extend tracked masks N pixels downward (shadows)."
HELP_TRACKER = "Tracker: hybrid (CSRT + points, default), csrt, points or kcf."
HELP_REFINE = (
    "How the object's shape is found in its box: keyed (colour and motion, the colours cut"
    " out of the box on its frame; default), model (colours followed by flow) or grabcut."
)
HELP_PREVIEW = "Also write the video with the masks overlaid (.mp4/.mkv/.mov)."


@app.command("mask")
def mask_command(
    input: Annotated[Path, typer.Argument(help="Video file or folder of frames.")],
    output: Annotated[Path, typer.Option("-o", "--output", help=HELP_OUTPUT)],
    box: Annotated[list[str] | None, typer.Option("--box", help=HELP_BOX)] = None,
    at: Annotated[list[int] | None, typer.Option("--at", help=HELP_AT)] = None,
    auto_overlay: Annotated[
        bool, typer.Option("--auto-overlay", help=HELP_OVERLAY)
    ] = False,
    dilate: Annotated[int, typer.Option(help="Grow tracked masks by N pixels.")] = DEFAULT_DILATE,
    keep_box: Annotated[bool, typer.Option("--keep-box", help=HELP_KEEP_BOX)] = False,
    grow_down: Annotated[int, typer.Option("--grow-down", help=HELP_GROW_DOWN)] = 0,
    preview: Annotated[Path | None, typer.Option("--preview", help=HELP_PREVIEW)] = None,
    tracker: Annotated[str, typer.Option(help=HELP_TRACKER)] = DEFAULT_TRACKER,
    refine: Annotated[str, typer.Option(help=HELP_REFINE)] = DEFAULT_REFINE,
    overwrite: Annotated[bool, typer.Option(help="Replace outputs that exist.")] = False,
    quiet: Annotated[bool, typer.Option("-q", "--quiet", help="No progress or report.")] = False,
) -> None:
    """Make one mask per frame of INPUT: track boxed objects and/or find static overlays."""
    logging.basicConfig(
        level=logging.ERROR if quiet else logging.WARNING, format="vidfill: %(message)s"
    )
    parsed = [_parse_keyed_box(text) for text in box or []]
    frames = list(at or [])
    if any(f is not None for _, f in parsed):
        if frames:
            raise MaskError("give frames either as --box X,Y,W,H@FRAME or with --at, not both")
        frames = [f or 0 for _, f in parsed]
    with frame_progress("masks", quiet=quiet) as progress:
        report = make_masks(
            input,
            output,
            boxes=[b for b, _ in parsed],
            at=frames,
            auto_overlay=auto_overlay,
            dilate=dilate,
            keep_box=keep_box,
            grow_down=grow_down,
            preview=preview,
            overwrite=overwrite,
            method=tracker,
            refine=refine,
            on_start=progress.on_start,
            on_frame=progress.on_frame,
        )
    if quiet:
        return
    typer.echo(f"wrote {report.frame_count} masks to {output}")
    for x, y, w, h in report.overlay_boxes:
        typer.echo(f"overlay found: --box {x},{y},{w},{h}")
    if auto_overlay and not report.overlay_boxes:
        typer.echo("no static overlay found")
    for first, last in report.lost_ranges():
        typer.echo(f"check frames {first}-{last}: the tracker lost the object or it left the frame")
