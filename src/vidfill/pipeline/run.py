"""The orchestrator: streams frames through an engine, window by window.

This is the one place that owns memory and time structure. Stages below it
are pure functions on arrays; front ends above it (CLI, Python API) only
open files and pass iterators. See :mod:`vidfill.pipeline.windows` for how a
window is laid out.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass

import cv2
import numpy as np
from numpy.typing import NDArray

from vidfill.compose.composite import composite_into
from vidfill.engines.base import Engine
from vidfill.errors import MaskError
from vidfill.masks.ops import bounding_box
from vidfill.pipeline.handover import handover_blend, handover_weights
from vidfill.pipeline.memory import bound_heap_growth, release_free_heap
from vidfill.pipeline.windows import Region, WindowSettings, region_around

ProgressCallback = Callable[[int], None]

#: Frames after a window boundary that the hand-over blends (measured with
#: 12-frame windows, where it is every frame a window finishes).
HANDOVER_FRAMES = 9

#: Full-resolution frames one window may hold (the engine's own working copies of
#: the cropped region come on top).
DEFAULT_MEMORY_BUDGET = 512 * 2**20


@dataclass(frozen=True)
class _Hole:
    """A frame's hole as held while its window waits: its bounding box and the mask inside it.

    A full-size mask of a 4K frame is 8 MB, and a window holds twenty of
    them for a hole that is usually a few percent of the frame.
    """

    #: ``(x, y, w, h)``, or None for an empty hole.
    box: tuple[int, int, int, int] | None
    inside: NDArray[np.bool_] | None

    @classmethod
    def of(cls, hole: NDArray[np.bool_]) -> _Hole:
        box = bounding_box(hole)
        if box is None:
            return cls(None, None)
        x, y, w, h = box
        return cls(box, hole[y : y + h, x : x + w].copy())

    def crop(self, region: Region) -> NDArray[np.bool_]:
        """The hole within ``region`` (full resolution), as ``hole[region.slices]`` would be."""
        out = np.zeros((region.y1 - region.y0, region.x1 - region.x0), bool)
        if self.box is None or self.inside is None:
            return out
        x, y, w, h = self.box
        y0, y1 = max(y, region.y0), min(y + h, region.y1)
        x0, x1 = max(x, region.x0), min(x + w, region.x1)
        if y0 < y1 and x0 < x1:
            out[y0 - region.y0 : y1 - region.y0, x0 - region.x0 : x1 - region.x0] = self.inside[
                y0 - y : y1 - y, x0 - x : x1 - x
            ]
        return out


def fill_stream(
    frames: Iterable[NDArray[np.uint8]],
    holes: Iterable[NDArray[np.bool_]],
    engine: Engine,
    *,
    window: WindowSettings | None = None,
    max_side: int | None = 1280,
    on_frame: ProgressCallback | None = None,
    context: Sequence[NDArray[np.uint8]] = (),
    first_index: int = 0,
    on_checkpoint: ProgressCallback | None = None,
    memory_budget: int | None = DEFAULT_MEMORY_BUDGET,
    seam_frames: int | None = 0,
    handover_frames: int = HANDOVER_FRAMES,
) -> Iterator[NDArray[np.uint8]]:
    """Fill the holes of a stream of frames; yield finished frames in order.

    Parameters
    ----------
    frames : iterable of uint8 (H, W, 3)
        RGB frames, read lazily.
    holes : iterable of bool (H, W)
        The pixels to fill in each frame (already dilated). Must yield as
        many items as ``frames``.
    engine : Engine
        What fills a window of frames.
    window : WindowSettings, optional
        Window geometry; default from ``engine.preferred_window``.
    max_side : int or None
        Cap on the larger side of the working region; the fill is computed
        at that size and scaled up. None works at full resolution.
    on_frame : callable, optional
        Called with the number of frames finished so far, after each frame.
    context : sequence of uint8 (H, W, 3)
        Finished frames just before the first frame of ``frames``, to resume
        an interrupted run exactly as it would have gone on: pass the last
        ``window.context`` frames it wrote.
    first_index : int
        Index of the first frame of ``frames`` in the whole video (when
        resuming); counts passed to the callbacks include it.
    on_checkpoint : callable, optional
        Called with the number of frames finished whenever every yielded
        frame so far is final and the next window starts from a clean state:
        a run restarted there with ``context`` and ``first_index`` gives the
        same output as one that never stopped.
    memory_budget : int or None
        Bytes that the full-resolution frames held for one window may take;
        windows are shortened for large frames to stay within it (at 4K,
        about 20 frames for the default 512 MiB). None: no limit.
    seam_frames : int or None
        How many frames after a window boundary fade from a fill anchored to
        the carried frames into the window's own fill (see
        :func:`_anchored_blend`); at most the window's look-ahead. None: the
        look-ahead; 0 (default): no fade. Off by default since the hand-over
        (``handover_frames``) does its work better (see DEVELOPERS.md).
    handover_frames : int
        How many frames after a window boundary continue the last finished
        frame along the background flow, each blended with the window's own
        fill and continued by the next (see :mod:`vidfill.pipeline.handover`);
        at most the frames the window finishes. 0: off (the fill may jump at
        the boundary).

    Yields
    ------
    uint8 (H, W, 3)
        Each frame with its hole filled; every pixel outside the hole is
        the input pixel, unchanged.
    """
    # Without it the C heap grows from window to window (see pipeline.memory).
    bound_heap_growth()
    settings = window or WindowSettings.for_length(engine.preferred_window)
    pairs = iter(zip(frames, holes, strict=True))
    budget_checked = memory_budget is None
    pending: deque[tuple[NDArray[np.uint8], _Hole]] = deque()
    carried: deque[NDArray[np.uint8]] = deque(
        list(context)[-settings.context :] if settings.context else [],
        maxlen=settings.context or None,
    )
    finished = first_index
    exhausted = False
    while True:
        if on_checkpoint is not None and finished > first_index:
            on_checkpoint(finished)
        capacity = settings.length - len(carried)
        while not exhausted and len(pending) < capacity:
            try:
                frame, hole = next(pairs)
            except StopIteration:
                exhausted = True
                break
            except ValueError as error:  # zip(strict=True) on unequal lengths
                raise MaskError(f"masks and frames differ in number: {error}") from None
            _check_pair(frame, hole, finished + len(pending))
            pending.append((frame, _Hole.of(hole)))
            if not budget_checked:
                budget_checked = True
                settings = _fit_budget(settings, frame.nbytes, memory_budget)
                capacity = settings.length - len(carried)
        if not pending:
            return
        emit_count = len(pending) if exhausted else max(1, len(pending) - settings.lookahead)
        passthrough = _leading_empty(pending, emit_count)
        if passthrough:
            region, fills = None, [None] * passthrough
        else:
            region = _window_region(list(pending), max_side)
            # Free heap left by the previous window and the encoder would
            # otherwise stay resident under this window's peak (see
            # pipeline.memory); after reading, so the new frames reuse it first.
            release_free_heap()
            fills = _fill_window(engine, list(carried), list(pending), emit_count, region)
            fade = min(
                settings.lookahead if seam_frames is None else seam_frames,
                settings.lookahead,
                emit_count,
            )
            if carried and fade > 0:
                fills = _anchored_blend(engine, list(carried), list(pending), fills, fade, region)
            handover = min(handover_frames, emit_count)
            if carried and handover > 0:
                fills = _hand_over(carried[-1], list(pending), fills, handover, region)
        for fill in fills:
            original, hole = pending.popleft()
            finished_frame = original
            if fill is not None and region is not None and hole.box is not None:
                finished_frame = original.copy()
                composite_into(finished_frame[region.slices], fill, hole.crop(region))
            if settings.context:
                carried.append(finished_frame)
            finished += 1
            if on_frame is not None:
                on_frame(finished)
            yield finished_frame
        # The fills are views of the engine's result for the whole window:
        # held on, they would sit in memory through the next window's peak
        # (at 1280x720, 120 MB more in every window after the first).
        del fills, fill


def _fit_budget(settings: WindowSettings, frame_bytes: int, budget: int) -> WindowSettings:
    """Shorten the window so that its full-resolution frames fit in ``budget`` bytes."""
    affordable = max(2, budget // max(frame_bytes, 1))
    if affordable >= settings.length:
        return settings
    return WindowSettings.for_length(affordable)


def _check_pair(frame: NDArray[np.uint8], hole: NDArray[np.bool_], index: int) -> None:
    if hole.shape != frame.shape[:2]:
        raise MaskError(
            f"mask of frame {index} is {hole.shape[1]}x{hole.shape[0]} "
            f"but the frame is {frame.shape[1]}x{frame.shape[0]}"
        )


def _leading_empty(pending: deque[tuple[NDArray[np.uint8], _Hole]], limit: int) -> int:
    """How many frames at the head of ``pending`` (up to ``limit``) have no hole."""
    count = 0
    while count < limit and pending[count][1].box is None:
        count += 1
    return count


def _window_region(pending: list[tuple[NDArray[np.uint8], _Hole]], max_side: int | None) -> Region:
    """The working region of a window: around every pending hole (context has none)."""
    boxes = [hole.box for _, hole in pending if hole.box is not None]
    # Callers only fill windows that have a hole.
    return region_around(boxes, pending[0][0].shape[:2], max_side=max_side)


def _fill_window(
    engine: Engine,
    context: list[NDArray[np.uint8]],
    pending: list[tuple[NDArray[np.uint8], _Hole]],
    emit_count: int,
    region: Region,
) -> list[NDArray[np.uint8]]:
    """Run the engine on context + pending frames, cropped to ``region``.

    Returns the filled crops of the first ``emit_count`` pending frames.
    Only crops are stacked: full frames are never copied, so a small mask on
    a 4K video costs little more than on a small one.
    """
    crop_frames = np.stack([f[region.slices] for f in context + [f for f, _ in pending]])
    crop_holes = np.zeros(crop_frames.shape[:3], bool)
    for index, (_, hole) in enumerate(pending, start=len(context)):
        crop_holes[index] = hole.crop(region)
    if region.scale == 1.0:
        filled = engine.fill_window(crop_frames, crop_holes)
    else:
        small_frames, small_holes = _downscale(crop_frames, crop_holes, region.working_size)
        filled = _upscale(engine.fill_window(small_frames, small_holes), crop_frames.shape[1:3])
    first = len(context)
    return list(filled[first : first + emit_count])


def _anchored_blend(
    engine: Engine,
    context: list[NDArray[np.uint8]],
    pending: list[tuple[NDArray[np.uint8], _Hole]],
    fills: list[NDArray[np.uint8]],
    fade: int,
    region: Region,
) -> list[NDArray[np.uint8]]:
    """Fade the first ``fade`` fills of a window in from a fill anchored to its context.

    The jump at a boundary comes from what the two windows can see: the
    previous window filled its last frame from sources up to its look-ahead,
    this one fills the next frame from sources up to its own end, so content
    revealed in between appears at once. A second, short run over the
    context and only the next ``fade`` frames sees what the previous window
    saw (the carried frames stand in for its past), so its fill continues
    the carried one; blending from it into the window's own fill spreads the
    jump over ``fade + 1`` steps.

    The anchor is computed from the carried frames and pending frames only,
    never from state of the previous window, so a run resumed at a
    checkpoint (which passes just the carried frames) gives the same bytes.
    """
    anchors = _fill_window(engine, context, pending[:fade], fade, region)
    blended = list(fills)
    for index in range(fade):
        # Equal steps: for a given jump they keep the largest frame-to-frame
        # change smallest (and the warping error, a square, lowest in sum).
        own = (index + 1) / (fade + 1)
        mix = (1.0 - own) * anchors[index].astype(np.float32) + own * fills[index].astype(
            np.float32
        )
        blended[index] = np.clip(mix + 0.5, 0, 255).astype(np.uint8)
    return blended


def _hand_over(
    previous: NDArray[np.uint8],
    pending: list[tuple[NDArray[np.uint8], _Hole]],
    fills: list[NDArray[np.uint8]],
    count: int,
    region: Region,
) -> list[NDArray[np.uint8]]:
    """The hand-over (:func:`~vidfill.pipeline.handover.handover_blend`) of the first
    ``count`` fills, cropped to ``region``."""
    return handover_blend(
        previous[region.slices],
        [frame[region.slices] for frame, _ in pending[:count]],
        [hole.crop(region) for _, hole in pending[:count]],
        fills,
        handover_weights(count),
    )


def _downscale(
    frames: NDArray[np.uint8], holes: NDArray[np.bool_], size: tuple[int, int]
) -> tuple[NDArray[np.uint8], NDArray[np.bool_]]:
    height, width = size
    small_frames = np.stack(
        [cv2.resize(f, (width, height), interpolation=cv2.INTER_AREA) for f in frames]
    )
    # A working pixel is hole if any full-resolution pixel under it is: object
    # colours must never leak into the sources.
    small_holes = np.stack(
        [
            cv2.resize(h.astype(np.uint8) * 255, (width, height), interpolation=cv2.INTER_AREA) > 0
            for h in holes
        ]
    )
    return small_frames, small_holes


def _upscale(frames: NDArray[np.uint8], size: tuple[int, int]) -> NDArray[np.uint8]:
    height, width = size
    return np.stack([cv2.resize(f, (width, height), interpolation=cv2.INTER_CUBIC) for f in frames])
