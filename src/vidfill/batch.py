"""Many videos in one call: the same removal applied to each, one output per input.

The typical batch is a channel's worth of clips with the same logo or
timestamp in the same place: one static mask (``mask``), or one rectangle,
removes it from all of them. When each video has its own masks, ``mask_dir``
holds them under the video's name: ``MASKS/clip1/`` (one image per frame),
``MASKS/clip1.png`` (a static mask) or ``MASKS/clip1.mp4`` (a mask video).

A failure on one input (unreadable file, missing mask) is reported and the
batch goes on with the next; an output that exists already is skipped unless
``overwrite`` is set, so running an interrupted batch again finishes it
without redoing what was done.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from vidfill.api import remove
from vidfill.errors import MaskError, OutputError, VidfillError
from vidfill.io.write import VIDEO_SUFFIXES
from vidfill.masks.sources import IMAGE_SUFFIXES

#: Mask videos are looked for under these suffixes, after folders and images.
MASK_VIDEO_SUFFIXES = (".mp4", ".mkv", ".mov", ".avi", ".webm")

Outcome = Literal["done", "skipped", "failed"]


@dataclass(frozen=True)
class BatchItem:
    """One input of a batch, where its result goes, and which mask it uses."""

    input: Path
    output: Path
    mask: Path | None


@dataclass(frozen=True)
class BatchResult:
    """What became of one :class:`BatchItem`; ``message`` says why for skips and failures."""

    item: BatchItem
    outcome: Outcome
    message: str = ""


def output_name(input_path: Path) -> str:
    """The file or folder name of ``input_path``'s result inside the output folder.

    A video keeps its name and container where vidfill can write it (.mp4,
    .mkv, .mov) and becomes .mp4 otherwise; a folder of frames gives a
    folder of PNG frames of the same name.
    """
    if input_path.is_dir():
        return input_path.name
    suffix = input_path.suffix.lower()
    return input_path.stem + (suffix if suffix in VIDEO_SUFFIXES else ".mp4")


def find_mask(mask_dir: Path, input_path: Path) -> Path:
    """The mask of ``input_path`` in ``mask_dir``: a folder, an image or a video named like it.

    Raises
    ------
    MaskError
        When ``mask_dir`` holds nothing under the input's name.
    """
    stem = input_path.name if input_path.is_dir() else input_path.stem
    folder = mask_dir / stem
    if folder.is_dir():
        return folder
    for suffix in (*sorted(IMAGE_SUFFIXES), *MASK_VIDEO_SUFFIXES):
        for candidate in (mask_dir / (stem + suffix), mask_dir / (stem + suffix.upper())):
            if candidate.is_file():
                return candidate
    raise MaskError(
        f"{input_path}: no mask named {stem!r} in {mask_dir} "
        "(expected a folder, an image or a video of that name)"
    )


def plan_batch(
    inputs: Sequence[str | Path],
    output_dir: str | Path,
    *,
    mask: str | Path | None = None,
    mask_dir: str | Path | None = None,
) -> list[BatchItem]:
    """Pair every input with its output path in ``output_dir`` and its mask.

    ``mask`` is shared by all inputs; with ``mask_dir`` each input's mask is
    looked up by name when the batch runs (see :func:`find_mask`), so one
    missing mask fails that input only. Give at most one of the two.

    Raises
    ------
    OutputError
        When ``output_dir`` is a file, two inputs would write the same output,
        or an output would replace its input.
    MaskError
        When both ``mask`` and ``mask_dir`` are given, or ``mask_dir`` is no folder.
    """
    output_dir = Path(output_dir)
    looks_like_a_video = output_dir.suffix.lower() in VIDEO_SUFFIXES and not output_dir.is_dir()
    if looks_like_a_video or (output_dir.exists() and not output_dir.is_dir()):
        raise OutputError(f"{output_dir}: several inputs need an output folder, not a file")
    if mask is not None and mask_dir is not None:
        raise MaskError(
            "give one mask for every input (-m) or a mask folder (--mask-dir), not both"
        )
    if mask_dir is not None and not Path(mask_dir).is_dir():
        raise MaskError(f"{mask_dir}: mask folder not found")
    items: list[BatchItem] = []
    taken: dict[str, Path] = {}
    for raw in inputs:
        input_path = Path(raw)
        name = output_name(input_path)
        if name in taken:
            raise OutputError(
                f"{taken[name]} and {input_path} would both be written to {output_dir / name}"
            )
        taken[name] = input_path
        output = output_dir / name
        if output.resolve() == input_path.resolve():
            raise OutputError(
                f"{output}: the result would replace its input; choose another output folder"
            )
        items.append(BatchItem(input_path, output, Path(mask) if mask else None))
    return items


def remove_batch(
    items: Sequence[BatchItem],
    *,
    mask_dir: str | Path | None = None,
    overwrite: bool = False,
    on_item: Callable[[BatchItem], dict[str, Any]] | None = None,
    on_result: Callable[[BatchResult], None] | None = None,
    **options: Any,
) -> list[BatchResult]:
    """Run :func:`vidfill.remove` on every item; never stop at a failed one.

    Parameters
    ----------
    items : sequence of BatchItem
        From :func:`plan_batch`.
    mask_dir : path, optional
        Where each input's own mask is found by name (see :func:`find_mask`).
    overwrite : bool
        Replace existing outputs; otherwise they are skipped.
    on_item : callable, optional
        Called before each input runs; returns extra keyword arguments for
        that call of :func:`vidfill.remove` (progress callbacks).
    on_result : callable, optional
        Called with each item's result as soon as it is known.
    **options
        Passed to :func:`vidfill.remove` for every input (boxes, method, ...).

    Returns
    -------
    list of BatchResult
        One per item, in order.
    """
    results = []
    for item in items:
        if item.output.exists() and not overwrite:
            result = BatchResult(item, "skipped", f"{item.output} exists (--overwrite replaces it)")
        else:
            try:
                mask = item.mask
                if mask_dir is not None:
                    mask = find_mask(Path(mask_dir), item.input)
                extra = on_item(item) if on_item is not None else {}
                item.output.parent.mkdir(parents=True, exist_ok=True)
                remove(item.input, item.output, mask=mask, overwrite=overwrite, **options, **extra)
                result = BatchResult(item, "done")
            except VidfillError as error:
                result = BatchResult(item, "failed", str(error))
        if on_result is not None:
            on_result(result)
        results.append(result)
    return results
