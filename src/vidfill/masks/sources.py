"""Masks from the forms users have them in.

A mask source is a folder of per-frame images (matched to frames in sorted
order), one image (a static mask for every frame, the watermark case), a mask
video, or rectangles. :func:`load_masks` checks everything it can up front,
so a long run never fails at frame 9,000 because mask 9,000 is missing, and
then yields masks one frame at a time, so memory does not grow with length.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np
from numpy.typing import NDArray

from vidfill.errors import MaskError
from vidfill.masks.ops import binarize, box_mask, dilate

IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp"})

Box = tuple[int, int, int, int]


def parse_box(text: str) -> Box:
    """Parse ``"X,Y,W,H"`` (pixels) into a tuple; raise :class:`MaskError` if malformed."""
    parts = text.replace(" ", "").split(",")
    try:
        x, y, w, h = (int(p) for p in parts)
    except ValueError:
        raise MaskError(f"box {text!r}: expected X,Y,W,H as four integers") from None
    if w <= 0 or h <= 0:
        raise MaskError(f"box {text!r}: width and height must be positive")
    return x, y, w, h


def check_box(box: Box, size: tuple[int, int]) -> None:
    """Raise :class:`MaskError` unless ``box`` overlaps a frame of ``size`` (H, W)."""
    x, y, w, h = box
    height, width = size
    if x >= width or y >= height or x + w <= 0 or y + h <= 0:
        raise MaskError(f"box {x},{y},{w},{h} lies outside the {width}x{height} frame")


def read_mask_image(path: Path, size: tuple[int, int] | None = None) -> NDArray[np.bool_]:
    """Read one mask image as a boolean mask (alpha channel if present, else grey >= 50%)."""
    image = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    if image is None:
        raise MaskError(f"{path}: not a readable image")
    mask = binarize(image)
    if size is not None and mask.shape != size:
        raise MaskError(
            f"{path}: mask is {mask.shape[1]}x{mask.shape[0]} but the video is {size[1]}x{size[0]}"
        )
    return mask


def list_images(folder: Path) -> list[Path]:
    """Image files of ``folder`` sorted by name."""
    return sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)


@dataclass
class MaskSequence:
    """One boolean mask per frame, produced lazily in frame order.

    Build it with :func:`load_masks`. Iterating yields ``bool (H, W)`` masks,
    already dilated, empty outside the ``[start, end)`` frame range.
    """

    size: tuple[int, int]
    frame_count: int
    static: NDArray[np.bool_] | None = None
    paths: Sequence[Path] = ()
    video: Path | None = None
    tracked: Sequence[Callable[[], Iterable[NDArray[np.bool_]]]] = ()
    boxes: Sequence[Box] = ()
    dilate_radius: int = 0
    start: int = 0
    end: int | None = None
    _box_mask: NDArray[np.bool_] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._box_mask = box_mask(self.size, list(self.boxes))

    def __len__(self) -> int:
        return self.frame_count

    @property
    def is_static(self) -> bool:
        """True when every frame gets the same mask (no per-frame source)."""
        return not self.paths and self.video is None and not self.tracked

    def _raw(self) -> Iterator[NDArray[np.bool_]]:
        own = self._own()
        if not self.tracked:
            yield from own
            return
        # Tracked objects are extra per-frame sources, united with the rest.
        for mask, *objects in zip(own, *(make() for make in self.tracked), strict=True):
            for tracked in objects:
                mask = mask | tracked
            yield mask

    def _own(self) -> Iterator[NDArray[np.bool_]]:
        if self.paths:
            for path in self.paths:
                yield read_mask_image(path, self.size)
        elif self.video is not None:
            from vidfill.io.read import iter_frames, probe

            for frame in iter_frames(probe(self.video)):
                if frame.shape[:2] != self.size:
                    raise MaskError(
                        f"{self.video}: mask video is {frame.shape[1]}x{frame.shape[0]} "
                        f"but the video is {self.size[1]}x{self.size[0]}"
                    )
                yield binarize(frame)
        else:
            static = self.static if self.static is not None else np.zeros(self.size, bool)
            for _ in range(self.frame_count):
                yield static

    def __iter__(self) -> Iterator[NDArray[np.bool_]]:
        empty = np.zeros(self.size, dtype=bool)
        end = self.frame_count if self.end is None else self.end
        cached_static: NDArray[np.bool_] | None = None
        for index, raw in enumerate(self._raw()):
            if not self.start <= index < end:
                yield empty
            elif self.is_static:
                # Dilating the same mask thousands of times would dominate short fills.
                if cached_static is None:
                    cached_static = dilate(raw | self._box_mask, self.dilate_radius)
                yield cached_static
            else:
                yield dilate(raw | self._box_mask, self.dilate_radius)


def load_masks(
    source: str | Path | None,
    *,
    size: tuple[int, int],
    frame_count: int,
    boxes: Sequence[Box] = (),
    tracked: Sequence[Callable[[], Iterable[NDArray[np.bool_]]]] = (),
    dilate_radius: int = 0,
    start: int = 0,
    end: int | None = None,
) -> MaskSequence:
    """Open a mask source for a video of ``frame_count`` frames of ``size`` (H, W).

    Parameters
    ----------
    source : path or None
        A folder of mask images (one per frame, sorted by name), one image (the
        same mask for every frame), or a video file of masks. None: boxes only.
    boxes : sequence of (x, y, w, h)
        Rectangles added to the mask of every frame.
    tracked : sequence of callables
        Each returns a fresh iterable of one mask per frame (a tracked
        object, say), united with the other sources.
    dilate_radius : int
        Grow every mask by this many pixels.
    start, end : int
        Only frames in ``[start, end)`` get a mask; the others pass through.

    Raises
    ------
    MaskError
        For a missing or unreadable source, a count or size mismatch, a box
        outside the frame, or no mask at all.
    """
    for box in boxes:
        check_box(box, size)
    common = dict(
        size=size,
        frame_count=frame_count,
        boxes=tuple(boxes),
        tracked=tuple(tracked),
        dilate_radius=dilate_radius,
        start=start,
        end=end,
    )
    if source is None:
        if not boxes and not tracked:
            raise MaskError("no mask given: pass a mask (-m), a box (--box) or --track-box")
        return MaskSequence(**common)
    path = Path(source)
    if not path.exists():
        raise MaskError(f"{path}: mask not found")
    if path.is_dir():
        paths = list_images(path)
        if len(paths) != frame_count:
            raise MaskError(
                f"{path}: {len(paths)} mask images for {frame_count} frames; "
                "a mask folder needs exactly one image per frame"
            )
        # Reading the first mask now catches a size mismatch before any work.
        read_mask_image(paths[0], size)
        return MaskSequence(paths=paths, **common)
    if path.suffix.lower() in IMAGE_SUFFIXES:
        return MaskSequence(static=read_mask_image(path, size), **common)
    from vidfill.io.read import probe

    info = probe(path)
    if info.frame_count != frame_count:
        raise MaskError(f"{path}: mask video has {info.frame_count} frames for {frame_count}")
    if info.size != size:
        raise MaskError(
            f"{path}: mask video is {info.width}x{info.height} but the video is {size[1]}x{size[0]}"
        )
    return MaskSequence(video=path, **common)
