"""The Python API: arrays in and arrays out, and the file-level call.

Both functions are thin: :func:`inpaint` hands iterators to the orchestrator,
:func:`remove` opens files, checks them, and does the same. The command line
calls :func:`remove`.
"""

from __future__ import annotations

import hashlib
import inspect
import itertools
import json
import logging
import shutil
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from vidfill.compose import overlay_mask
from vidfill.engines import DEFAULT_ENGINE, get_engine
from vidfill.engines.base import Engine
from vidfill.errors import MaskError, OutputError, VidfillError
from vidfill.io.read import iter_frames, probe
from vidfill.io.resumable import (
    ResumableFolderWriter,
    ResumableVideoWriter,
    finished_frames,
)
from vidfill.io.write import (
    DEFAULT_PRESET,
    VIDEO_SUFFIXES,
    OutputWriter,
    check_encoder,
    check_output_path,
    frame_names,
    open_output,
)
from vidfill.masks.sources import Box, load_masks
from vidfill.pipeline.run import fill_stream
from vidfill.pipeline.windows import WindowSettings
from vidfill.types import VideoInfo

log = logging.getLogger("vidfill")

VERSION = "0.1.0"

#: Default mask growth in pixels; see ``vidfill remove --help`` for why.
DEFAULT_DILATE = 4


def inpaint(
    frames: Iterable[NDArray[np.uint8]],
    masks: Iterable[NDArray[np.bool_]],
    *,
    method: str = DEFAULT_ENGINE,
    window: int | None = None,
    max_side: int | None = 1280,
    on_frame: Callable[[int], None] | None = None,
    **options: Any,
) -> Iterator[NDArray[np.uint8]]:
    """Fill the masked pixels of a sequence of frames.

    Streaming: frames and masks are consumed lazily and finished frames are
    yielded as soon as they are done, so memory stays bounded by the window.

    Parameters
    ----------
    frames : iterable of uint8 (H, W, 3)
        RGB frames.
    masks : iterable of bool (H, W)
        True where a frame's pixels are to be removed; one per frame. Used as
        given (no dilation here).
    method : str
        Engine name (``"flow"``, ``"frame"``, ``"patch"``...).
    window : int, optional
        Frames per window; the engine's preferred length by default.
    max_side : int or None
        Cap on the larger side of the region worked on.
    on_frame : callable, optional
        Progress callback, called with the count of frames finished.
    **options
        Passed to the engine.

    Yields
    ------
    uint8 (H, W, 3)
        Filled frames, in order; unmasked pixels are unchanged.

    Examples
    --------
    >>> import numpy as np, vidfill
    >>> frames = [np.full((32, 32, 3), 90, np.uint8) for _ in range(3)]
    >>> masks = [np.zeros((32, 32), bool) for _ in range(3)]
    >>> for m in masks: m[8:16, 8:16] = True
    >>> out = list(vidfill.inpaint(frames, masks, method="frame"))
    >>> int(out[0][10, 10, 0])
    90
    """
    engine = get_engine(method, **options)
    settings = WindowSettings.for_length(window or engine.preferred_window)
    masks = (np.asarray(mask, dtype=bool) for mask in masks)
    return fill_stream(frames, masks, engine, window=settings, max_side=max_side, on_frame=on_frame)


def parse_position(text: str | int | None, fps: float) -> int | None:
    """A frame index from ``"120"`` (frames), ``"4.5s"`` (seconds) or ``"1:02.5"`` (m:s)."""
    if text is None or isinstance(text, int):
        return text
    text = text.strip()
    try:
        if text.endswith("s"):
            return round(float(text[:-1]) * fps)
        if ":" in text:
            seconds = 0.0
            for part in text.split(":"):
                seconds = seconds * 60 + float(part)
            return round(seconds * fps)
        return int(text)
    except ValueError:
        raise MaskError(f"cannot read {text!r} as a frame number or a time") from None


def _tracker(
    path: Path,
    info: VideoInfo,
    box: Box,
    at: int,
    on_track: Callable[[int], None] | None = None,
) -> Callable[[], Iterator[NDArray[np.bool_]]]:
    """A factory of per-frame masks of the object in ``box`` on frame ``at`` (checked now)."""
    from vidfill.masks.make import track_masks
    from vidfill.masks.sources import check_box

    check_box(box, info.size)
    if not 0 <= at < info.frame_count:
        raise MaskError(f"--track-box frame {at} is outside the video's {info.frame_count} frames")
    return lambda: track_masks(path, box, at, on_frame=on_track)


def remove(
    input: str | Path,
    output: str | Path,
    *,
    mask: str | Path | None = None,
    boxes: Sequence[Box] = (),
    track_boxes: Sequence[tuple[Box, int]] = (),
    dilate: int = DEFAULT_DILATE,
    method: str = DEFAULT_ENGINE,
    start: str | int | None = None,
    end: str | int | None = None,
    preview: bool = False,
    overwrite: bool = False,
    codec: str = "libx264",
    crf: int = 18,
    lossless: bool = False,
    preset: str = DEFAULT_PRESET,
    fps: float | None = None,
    window: int | None = None,
    max_side: int | None = 1280,
    resume: bool = False,
    on_start: Callable[[VideoInfo], None] | None = None,
    on_frame: Callable[[int], None] | None = None,
    on_track: Callable[[int], None] | None = None,
    **options: Any,
) -> Path:
    """Remove the masked region from a video file or frame folder; write the result.

    This is what ``vidfill remove`` does. The output keeps the input's size,
    frame count, timing and audio; only masked pixels change. It is written
    under a temporary name and renamed at the end, so a failure leaves
    nothing behind, and an input is never modified.

    The output is written resumably: if the run is interrupted, the same call
    with ``resume=True`` continues from the last finished window (a frame
    folder) or segment (a video) and gives the same frames as a run that
    never stopped.

    Progress callbacks: ``on_start(info)`` once the input is probed,
    ``on_frame(n)`` after each finished frame, and ``on_track(n)`` with the
    frames read so far by the tracking pass of each ``track_boxes`` object,
    which reads the whole clip before the first frame is filled.

    Returns
    -------
    Path
        The output path.

    Raises
    ------
    VidfillError
        For any problem with the input, masks, options or output path.
    """
    input_path, output_path = Path(input), Path(output)
    info = probe(input_path, folder_fps=fps or 25.0)
    inputs = [input_path] + ([Path(mask)] if mask is not None else [])
    check_output_path(output_path, inputs, overwrite=overwrite)
    first = parse_position(start, float(info.fps)) or 0
    last = parse_position(end, float(info.fps))
    masks = load_masks(
        mask,
        size=info.size,
        frame_count=info.frame_count,
        boxes=boxes,
        tracked=[_tracker(input_path, info, box, at, on_track) for box, at in track_boxes],
        dilate_radius=dilate,
        start=first,
        end=last,
    )
    if masks.is_static and first < info.frame_count:
        # The first frame inside --start/--end: frames outside get an empty mask.
        static = next(itertools.islice(iter(masks), first, None))
        source = mask if mask is not None else "--box"
        if not static.any():
            log.warning("%s: the mask is empty: the output will equal the input", source)
        elif static.all():
            raise MaskError(
                f"{source}: the mask covers the whole frame; nothing is left to fill from"
            )
    engine = get_engine(method, **options)
    settings = WindowSettings.for_length(window or engine.preferred_window)
    folder_output = output_path.suffix.lower() not in VIDEO_SUFFIXES
    if resume and preview:
        raise OutputError(f"{output_path}: --resume does not apply to --preview")
    if on_start is not None:
        on_start(info)
    if not preview:
        encoder = {"codec": codec, "crf": crf, "lossless": lossless, "preset": preset, "fps": fps}
        fingerprint = _run_fingerprint(
            input_path,
            output_path,
            info,
            mask=mask,
            boxes=boxes,
            track_boxes=track_boxes,
            dilate=dilate,
            method=method,
            start=first,
            end=last,
            window=window,
            max_side=max_side,
            options=options,
            **encoder,
        )
        start = finished_frames(output_path, fingerprint) if resume else 0
        if resume and start == 0:
            log.warning("nothing to resume for %s: starting from the first frame", output_path)
        writer: ResumableFolderWriter | ResumableVideoWriter
        if folder_output:
            writer = ResumableFolderWriter(
                output_path, frame_names(info), fingerprint=fingerprint, start=start
            )
        else:
            check_encoder(output_path, info, **encoder)
            writer = ResumableVideoWriter(
                output_path,
                info,
                fingerprint=fingerprint,
                start=start,
                keep=settings.context,
                **encoder,
            )
        _fill_resumably(info, masks, engine, settings, writer, start, max_side, on_frame)
        return output_path
    previews = (
        overlay_mask(frame, hole) for frame, hole in zip(iter_frames(info), masks, strict=True)
    )
    writer_out = open_output(
        output_path, info, codec=codec, crf=crf, lossless=lossless, preset=preset, fps=fps
    )
    _write_all(writer_out, previews, on_frame)
    return output_path


def _write_all(
    writer: OutputWriter,
    frames: Iterable[NDArray[np.uint8]],
    on_frame: Callable[[int], None] | None,
    *,
    first_index: int = 0,
) -> None:
    with writer:
        for count, frame in enumerate(frames, start=first_index + 1):
            writer.write(frame)
            if on_frame is not None:
                on_frame(count)


def resumable_frames(input: str | Path, output: str | Path, **arguments: Any) -> int:
    """Frames an interrupted :func:`remove` with these arguments left for ``resume=True``.

    Takes the arguments of :func:`remove` (defaults and all) and identifies
    the run exactly as ``remove`` does, so a changed setting, mask or input
    gives 0, as does a preview or a run that never reached its first
    checkpoint (a video's first segment closes after about 250 frames).
    The GUI asks this before it offers to resume.

    Raises
    ------
    VidfillError
        If the input cannot be probed or a start/end position cannot be read.
    """
    bound = inspect.signature(remove).bind(input, output, **arguments)
    bound.apply_defaults()
    given = bound.arguments
    if given["preview"]:
        return 0
    input_path, output_path = Path(input), Path(output)
    info = probe(input_path, folder_fps=given["fps"] or 25.0)
    names = inspect.signature(_run_fingerprint).parameters
    try:
        fingerprint = _run_fingerprint(
            input_path, output_path, info, **{name: given[name] for name in names if name in given}
        )
    except OSError:
        return 0  # the mask has gone: nothing this run could continue
    return finished_frames(output_path, fingerprint)


def _run_fingerprint(
    input_path: Path,
    output_path: Path,
    info: VideoInfo,
    *,
    mask: str | Path | None,
    boxes: Sequence[Box],
    track_boxes: Sequence[tuple[Box, int]],
    dilate: int,
    method: str,
    start: str | int | None,
    end: str | int | None,
    window: int | None,
    max_side: int | None,
    options: dict[str, Any],
    codec: str,
    crf: int,
    lossless: bool,
    preset: str,
    fps: float | None,
) -> str:
    """The fingerprint of a resumable run of :func:`remove` with these arguments.

    The one place that says what identifies a run, for ``remove`` and
    :func:`resumable_frames` alike; the encoder counts only for a video output.
    """
    settings: dict[str, Any] = {
        "boxes": list(boxes),
        "track": [[*box, at] for box, at in track_boxes],
        "dilate": dilate,
        "method": method,
        "start": parse_position(start, float(info.fps)) or 0,
        "end": parse_position(end, float(info.fps)),
        "window": window,
        "max_side": max_side,
        "options": options,
    }
    if output_path.suffix.lower() in VIDEO_SUFFIXES:
        settings["encoder"] = {
            "codec": codec,
            "crf": crf,
            "lossless": lossless,
            "preset": preset,
            "fps": fps,
        }
    return _fingerprint(input_path, mask, settings)


def _fingerprint(input_path: Path, mask: str | Path | None, settings: dict[str, Any]) -> str:
    """Identify a run by its inputs (path, size, modification time) and settings."""
    stamps = []
    for path in (input_path, Path(mask) if mask is not None else None):
        if path is not None:
            status = path.stat()
            stamps.append([str(path.resolve()), status.st_size, status.st_mtime_ns])
    text = json.dumps([stamps, settings, VERSION], default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def _fill_resumably(
    info: VideoInfo,
    masks: Iterable[NDArray[np.bool_]],
    engine: Engine,
    settings: WindowSettings,
    writer: ResumableFolderWriter | ResumableVideoWriter,
    start: int,
    max_side: int | None,
    on_frame: Callable[[int], None] | None,
) -> None:
    """Fill into a resumable output from frame ``start`` on, checkpointing at window boundaries."""
    context = writer.read_back(max(0, start - settings.context), start)
    results = fill_stream(
        itertools.islice(iter_frames(info), start, None),
        itertools.islice(iter(masks), start, None),
        engine,
        window=settings,
        max_side=max_side,
        context=context,
        first_index=start,
        on_checkpoint=writer.checkpoint,
    )
    try:
        _write_all(OutputWriter(writer), results, on_frame, first_index=start)
    except VidfillError:
        # Bad input found mid-run is not an interruption: leave nothing behind.
        shutil.rmtree(writer.work, ignore_errors=True)
        raise
