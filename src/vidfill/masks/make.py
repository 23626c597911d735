"""``vidfill mask`` as a function: boxes and/or overlay detection -> mask files.

Two passes over the input keep memory small for long videos: the first keeps
only reduced grey frames (for tracking) and a few sampled frames (for overlay
detection); the second re-reads full frames, refines, and writes each mask as it
goes. Output appears only when complete (a temporary folder or file is renamed).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np
from numpy.typing import NDArray

from vidfill.compose import overlay_mask
from vidfill.errors import MaskError, OutputError
from vidfill.io.read import iter_frames, probe
from vidfill.io.write import VIDEO_SUFFIXES, check_output_path, open_output
from vidfill.masks.ops import dilate as dilate_mask
from vidfill.masks.overlay import detect_overlay
from vidfill.masks.refine import (
    DEFAULT_REFINE,
    REFINE_ITERATIONS,
    REFINE_METHODS,
    MotionCue,
    StillCutGuard,
    colour_histogram,
    key_cut,
    refine_mask,
    vote_mask,
)
from vidfill.masks.sources import check_box
from vidfill.masks.track import Box, Track, box_to_mask, to_work_gray, track_box, work_scale
from vidfill.types import VideoInfo

# Tracked masks are grown by this much by default: DAVIS-style outlines miss the
# blurred edge, and after refinement a few more pixels of margin cost little.
DEFAULT_DILATE = 8
# About this many frames, evenly spread over the clip, feed overlay detection.
OVERLAY_SAMPLES = 48
# Default tracker, chosen by benchmarks/mask_quality.py (see the report there).
DEFAULT_TRACKER = "hybrid"


@dataclass
class MaskReport:
    """What :func:`make_masks` did, for the user to check.

    Attributes
    ----------
    frame_count : int
        Masks written.
    tracks : list of Track
        One track per tracked object.
    overlay_boxes : list of (x, y, w, h)
        Static overlays found by ``auto_overlay``.
    """

    frame_count: int = 0
    tracks: list[Track] = field(default_factory=list)
    overlay_boxes: list[Box] = field(default_factory=list)

    def lost_ranges(self) -> list[tuple[int, int]]:
        """Frame ranges (inclusive) where any track was lost."""
        return [r for track in self.tracks for r in track.lost_ranges()]


def _check_keys(boxes: Sequence[Box], at: Sequence[int], info: VideoInfo) -> list[tuple[Box, int]]:
    """Pair boxes with frames (``at`` defaults to frame 0) and validate both."""
    if at and len(at) != len(boxes):
        raise MaskError(f"{len(boxes)} boxes but {len(at)} --at frames; give one frame per box")
    frames = list(at) if at else [0] * len(boxes)
    for box, frame in zip(boxes, frames, strict=False):
        check_box(box, info.size)
        if not 0 <= frame < info.frame_count:
            raise MaskError(
                f"{info.path}: frame {frame} is beyond the clip's {info.frame_count} frames "
                f"(0..{info.frame_count - 1})"
            )
    return list(zip(boxes, frames, strict=False))


def _group_keys(keys: list[tuple[Box, int]]) -> list[list[tuple[Box, int]]]:
    """Keyframes of one object: boxes on different frames correct one track; several
    boxes on the same frame are different objects, each with its own track."""
    objects: list[list[tuple[Box, int]]] = []
    for box, frame in keys:
        for group in objects:
            if all(f != frame for _, f in group):
                group.append((box, frame))
                break
        else:
            objects.append([(box, frame)])
    return objects


def _first_pass(
    info: VideoInfo,
    need_track: bool,
    need_overlay: bool,
    on_frame: Callable[[int], None] | None = None,
) -> tuple[list[NDArray[np.uint8]], float, tuple[NDArray[np.bool_], list[Box]] | None]:
    """Read the clip once: reduced grey frames for tracking, and overlays found from
    frames sampled on the way (accumulated, not stored: 4K frames are 25 MB each).
    ``on_frame`` gets the number of frames read so far."""
    scale = work_scale(info.size)
    stride = max(1, info.frame_count // OVERLAY_SAMPLES)
    grays: list[NDArray[np.uint8]] = []

    def sampled() -> Iterator[NDArray[np.uint8]]:
        for index, frame in enumerate(iter_frames(info)):
            if need_track:
                grays.append(to_work_gray(frame, scale))
            if on_frame is not None:
                on_frame(index + 1)
            if index % stride == 0:
                yield frame

    overlay = None
    if need_overlay:
        overlay = detect_overlay(sampled())
    else:
        for _ in sampled():
            pass
    return grays, scale, overlay


def iter_masks(
    info: VideoInfo,
    tracks: Sequence[Track],
    *,
    static: NDArray[np.bool_] | None = None,
    keep_box: bool = False,
    dilate: int = DEFAULT_DILATE,
    grow_down: int = 0,
    smooth: bool = True,
    frames: Iterable[NDArray[np.uint8]] | None = None,
    refine: str = DEFAULT_REFINE,
) -> Iterator[tuple[NDArray[np.uint8], NDArray[np.bool_]]]:
    """Second pass: yield ``(frame, mask)`` with the tracked objects refined and merged.

    ``frames`` replaces reading the input again when the caller already holds the
    decoded frames (``benchmarks/mask_quality.py`` times this exact code without
    decoding). ``refine`` is the shape method of
    :func:`vidfill.masks.refine.refine_mask` (``"keyed"``, ``"model"`` or ``"grabcut"``).
    """
    frames = iter_frames(info) if frames is None else frames
    if not tracks:
        for frame in frames:
            yield frame, static if static is not None else np.zeros(info.size, bool)
        return

    def finish(mask: NDArray[np.bool_]) -> NDArray[np.bool_]:
        if grow_down > 0:
            mask = _grow_down(mask, grow_down)
        mask = dilate_mask(mask, dilate)
        return mask | static if static is not None else mask

    # (frame, raw mask per object) for the previous, current and next frame: the
    # temporal vote needs one frame of look-ahead.
    window: list[tuple[NDArray[np.uint8], list[NDArray[np.bool_]]]] = []
    cue = MotionCue(info.size) if refine in ("keyed", "model") and not keep_box else None
    # "keyed": each object's colours, learned on its keyframes so far.
    key_colours: list[NDArray[np.float64] | None] = [None] * len(tracks)
    guards = [StillCutGuard() for _ in tracks]
    for index, frame in enumerate(frames):
        motion = None if cue is None else cue.next(frame, [t.boxes[index] for t in tracks])
        if refine == "keyed" and not keep_box:
            _learn_key_colours(frame, index, tracks, key_colours)
        raw = [
            box_to_mask(t.boxes[index], info.size)
            if keep_box
            else refine_mask(
                frame,
                t.boxes[index],
                iterations=REFINE_ITERATIONS,
                support=t.support_mask(index, info.size),
                method=refine,
                motion=motion,
                key_colours=colours,
                guard=guard,
                slow_motion=cue.slow if cue is not None and motion is not None else None,
            )
            for t, colours, guard in zip(tracks, key_colours, guards, strict=True)
        ]
        window.append((frame, raw))
        if len(window) > 3:
            window.pop(0)
        if len(window) >= 2:
            yield _voted(window, len(window) - 2, smooth and not keep_box, finish)
    if window:
        yield _voted(window, len(window) - 1, smooth and not keep_box, finish)


def _learn_key_colours(
    frame: NDArray[np.uint8],
    index: int,
    tracks: Sequence[Track],
    colours: list[NDArray[np.float64] | None],
) -> None:
    """On a keyframe of a track, add to that track's object colours those of the
    object GrabCut cuts out of the user's box there (nothing when the cut fails).

    The latest keyframe's cut weighs half and the keyframes before it the other half
    (histograms normalised before the sum, so a small cut counts as much as a large
    one): a cut misses parts of the object (DAVIS bmx-trees frame 40: 0.48 of the
    rider, not the bike), and colours an earlier keyframe saw stay known after it.
    """
    for number, track in enumerate(tracks):
        # A track made without keyframes started from frame 0.
        if index not in (track.keys or [0]):
            continue
        cut = key_cut(frame, track.boxes[index])
        if cut is None:
            continue
        learned = colour_histogram(frame, cut)
        learned /= learned.sum()
        before = colours[number]
        colours[number] = learned if before is None else before / before.sum() + learned


def _voted(
    window: list[tuple[NDArray[np.uint8], list[NDArray[np.bool_]]]],
    current: int,
    smooth: bool,
    finish: Callable[[NDArray[np.bool_]], NDArray[np.bool_]],
) -> tuple[NDArray[np.uint8], NDArray[np.bool_]]:
    frame, raw = window[current]
    parts = [
        vote_mask([masks[number] for _, masks in window], current) if smooth else mask
        for number, mask in enumerate(raw)
    ]
    return frame, finish(np.logical_or.reduce(parts))


def _grow_down(mask: NDArray[np.bool_], pixels: int) -> NDArray[np.bool_]:
    """Extend ``mask`` downward by ``pixels`` (an object's shadow usually falls below it)."""
    kernel = np.zeros((2 * pixels + 1, 1), np.uint8)
    kernel[: pixels + 1] = 1  # anchor at the centre: only rows above reach down
    return cv2.dilate(mask.view(np.uint8), kernel).astype(bool)


class _MaskFolder:
    """PNG masks (0/255, one channel) into a temporary folder renamed at the end."""

    def __init__(self, path: Path, info: VideoInfo) -> None:
        self.path = path
        self.names = [Path(n).stem + ".png" for n in info.frame_names]
        self.temp = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent))
        self.index = 0

    def write(self, mask: NDArray[np.bool_]) -> None:
        name = self.names[self.index] if self.index < len(self.names) else f"{self.index:05d}.png"
        if not cv2.imwrite(str(self.temp / name), mask.astype(np.uint8) * 255):
            raise OutputError(f"{self.temp / name}: cannot write the mask")
        self.index += 1

    def finish(self) -> None:
        if self.path.exists():
            shutil.rmtree(self.path) if self.path.is_dir() else self.path.unlink()
        os.replace(self.temp, self.path)

    def abort(self) -> None:
        shutil.rmtree(self.temp, ignore_errors=True)


def track_objects(
    info: VideoInfo,
    keys: Sequence[tuple[Box, int]],
    *,
    method: str = DEFAULT_TRACKER,
    grays: Sequence[NDArray[np.uint8]] | None = None,
    scale: float | None = None,
    on_frame: Callable[[int], None] | None = None,
) -> list[Track]:
    """Track every object given by ``keys`` (box, frame) pairs through the clip.

    ``on_frame`` gets the number of frames read, when the clip is read here.
    """
    if grays is None or scale is None:
        grays, scale, _ = _first_pass(info, True, False, on_frame)
    if len(grays) != info.frame_count:
        raise MaskError(f"{info.path}: decoded {len(grays)} frames, expected {info.frame_count}")
    tracks = []
    for group in _group_keys(list(keys)):
        (box, frame), rest = group[0], group[1:]
        tracks.append(track_box(grays, box, frame, keyframes=rest, method=method, scale=scale))
    return tracks


def track_masks(
    input: str | Path,
    box: Box,
    at: int = 0,
    *,
    keep_box: bool = False,
    dilate: int = 0,
    grow_down: int = 0,
    method: str = DEFAULT_TRACKER,
    refine: str = DEFAULT_REFINE,
    on_frame: Callable[[int], None] | None = None,
) -> Iterator[NDArray[np.bool_]]:
    """Masks of the object in ``box`` on frame ``at``, tracked over the whole clip.

    For ``vidfill remove --track-box``: yields one ``bool (H, W)`` mask per frame,
    in order, reading the input twice (tracking, then refinement), with memory
    bounded by the reduced grey frames (about 0.1 MB a frame at 480p). The
    tracking pass reads the whole clip before the first mask; ``on_frame`` gets
    the number of frames it has read.

    Raises
    ------
    MaskError
        For a box outside the frame or ``at`` beyond the clip.
    """
    info = probe(input)
    keys = _check_keys([box], [at], info)
    tracks = track_objects(info, keys, method=method, on_frame=on_frame)
    for _, mask in iter_masks(
        info, tracks, keep_box=keep_box, dilate=dilate, grow_down=grow_down, refine=refine
    ):
        yield mask


def make_masks(
    input: str | Path,
    output: str | Path,
    *,
    boxes: Sequence[Box] = (),
    at: Sequence[int] = (),
    auto_overlay: bool = False,
    dilate: int = DEFAULT_DILATE,
    keep_box: bool = False,
    grow_down: int = 0,
    preview: str | Path | None = None,
    overwrite: bool = False,
    method: str = DEFAULT_TRACKER,
    refine: str = DEFAULT_REFINE,
    on_start: Callable[[VideoInfo], None] | None = None,
    on_frame: Callable[[int], None] | None = None,
) -> MaskReport:
    """Write one mask per frame of ``input`` for the objects in ``boxes`` and/or overlays.

    Parameters
    ----------
    input : path
        Video file or frame folder.
    output : path
        Folder for PNG masks (named like the frames: ``00000.png``... for a video),
        or a video file (.mp4/.mkv/.mov) of masks.
    boxes, at : sequences
        Boxes ``(x, y, w, h)`` and the frame each was drawn on (default 0). Boxes
        on different frames are keyframes of one object; several boxes on the
        same frame are separate objects.
    auto_overlay : bool
        Add static overlays (logos, captions) found in the clip to every mask.
    dilate : int
        Grow tracked masks by this many pixels.
    keep_box : bool
        Mask the whole tracked box instead of the object's shape.
    grow_down : int
        Extend tracked masks downward by this many pixels (shadows).
    preview : path, optional
        Also write the video with the masks overlaid (a video file).
    overwrite : bool
        Replace existing outputs.
    method : str
        Tracker: ``"hybrid"`` (default: CSRT + points), ``"csrt"``, ``"points"`` or ``"kcf"``.
    refine : str
        How the object's shape is found in its box: ``"keyed"`` (default: colour and
        motion model with the object's colours cut out on the keyframe), ``"model"``
        (colours from the flow-followed support) or ``"grabcut"`` (see
        :mod:`vidfill.masks.refine`).
    on_start, on_frame : callables, optional
        Progress callbacks (the info, then the count of masks written).

    Returns
    -------
    MaskReport
        Tracks (with lost frames) and overlay boxes.

    Raises
    ------
    MaskError
        For bad boxes or frames, or nothing to do.
    OutputError
        For an output that exists or cannot be written.
    """
    input_path, output_path = Path(input), Path(output)
    if refine not in REFINE_METHODS:
        raise MaskError(f"unknown refinement {refine!r}; choose one of {', '.join(REFINE_METHODS)}")
    if not boxes and not auto_overlay:
        raise MaskError("nothing to mask: give --box X,Y,W,H and/or --auto-overlay")
    info = probe(input_path)
    keys = _check_keys(list(boxes), list(at), info)
    check_output_path(output_path, [input_path], overwrite=overwrite)
    preview_path = Path(preview) if preview is not None else None
    if preview_path is not None:
        if preview_path.suffix.lower() not in VIDEO_SUFFIXES:
            raise OutputError(f"{preview_path}: the preview must be a video (.mp4, .mkv, .mov)")
        check_output_path(preview_path, [input_path, output_path], overwrite=overwrite)
    if on_start is not None:
        on_start(info)
    report = MaskReport()
    grays, scale, overlay = _first_pass(info, bool(keys), auto_overlay)
    static = None
    if overlay is not None:
        static, report.overlay_boxes = overlay
    if keys:
        report.tracks = track_objects(info, keys, method=method, grays=grays, scale=scale)
    del grays
    masks = iter_masks(
        info,
        report.tracks,
        static=static,
        keep_box=keep_box,
        dilate=dilate,
        grow_down=grow_down,
        refine=refine,
    )
    if output_path.suffix.lower() in VIDEO_SUFFIXES:
        # A lossless mask video: lossy chroma/edge ringing would turn into grey pixels.
        writer: object = open_output(output_path, info, lossless=True, preset="veryfast")
    else:
        writer = _MaskFolder(output_path, info)
    preview_writer = (
        open_output(preview_path, info, preset="veryfast") if preview_path is not None else None
    )
    try:
        for frame, mask in masks:
            if isinstance(writer, _MaskFolder):
                writer.write(mask)
            else:
                writer.write(np.repeat(mask[..., None].astype(np.uint8) * 255, 3, axis=2))  # type: ignore[attr-defined]
            if preview_writer is not None:
                preview_writer.write(overlay_mask(frame, mask))
            report.frame_count += 1
            if on_frame is not None:
                on_frame(report.frame_count)
    except BaseException as error:
        _close(writer, error)
        if preview_writer is not None:
            preview_writer.__exit__(type(error), error, None)
        raise
    _close(writer, None)
    if preview_writer is not None:
        preview_writer.__exit__(None, None, None)
    return report


def _close(writer: object, error: BaseException | None) -> None:
    if isinstance(writer, _MaskFolder):
        writer.abort() if error is not None else writer.finish()
    else:
        writer.__exit__(None if error is None else type(error), error, None)  # type: ignore[attr-defined]
