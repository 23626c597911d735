"""``vidfill mask``: outputs, preview, and one-line errors for bad input."""

from __future__ import annotations

import os
from pathlib import Path

import cv2
import numpy as np
import pytest

from tests.helpers import run_cli, write_folder
from tests.masks.synthetic import moving_object_clip, shadowed_disk_clip
from vidfill.io.read import probe
from vidfill.masks.make import iter_masks, make_masks, track_masks, track_objects
from vidfill.masks.ops import bounding_box


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list]:
    frames, boxes = moving_object_clip(count=12)
    folder = write_folder(tmp_path_factory.mktemp("clip") / "frames", frames)
    return folder, boxes


def box_arg(box: tuple[float, ...]) -> str:
    return ",".join(str(int(v)) for v in box)


def test_masks_named_like_frames_with_preview(tmp_path: Path, clip: tuple[Path, list]) -> None:
    folder, boxes = clip
    out, preview = tmp_path / "masks", tmp_path / "preview.mp4"
    code = run_cli(
        "mask",
        str(folder),
        "-o",
        str(out),
        "--box",
        box_arg(boxes[4]),
        "--at",
        "4",
        "--preview",
        str(preview),
        "-q",
    )
    assert code == 0
    assert sorted(os.listdir(out)) == sorted(os.listdir(folder))
    mask = cv2.imread(str(out / "00004.png"), cv2.IMREAD_UNCHANGED)
    assert mask.ndim == 2 and set(np.unique(mask)) <= {0, 255}
    x, y, w, h = (int(v) for v in boxes[4])
    assert (mask[y : y + h, x : x + w] > 0).mean() > 0.9
    assert probe(preview).frame_count == 12
    assert not [n for n in os.listdir(tmp_path) if n.endswith(".part") or ".part." in n]


def test_mask_video_keep_box_and_grow_down(tmp_path: Path, clip: tuple[Path, list]) -> None:
    folder, boxes = clip
    out = tmp_path / "masks.mkv"
    report = make_masks(
        folder, out, boxes=[tuple(int(v) for v in boxes[0])], keep_box=True, dilate=0, grow_down=10
    )
    assert report.frame_count == 12 and probe(out).frame_count == 12
    masks = list(track_masks(folder, tuple(int(v) for v in boxes[0]), 0, keep_box=True))
    assert len(masks) == 12 and masks[0].dtype == bool
    x, y, w, h = (int(v) for v in boxes[0])
    assert masks[0][y : y + h, x : x + w].all()


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--box", "500,500,10,10"], "outside"),
        (["--box", "10,10,20,20", "--at", "12"], "beyond"),
        (["--box", "10,10,20"], "four integers"),
        ([], "nothing to mask"),
        (["--box", "10,10,20,20", "--preview", "p.png"], "preview"),
        (["--box", "10,10,20,20", "--refine", "snake"], "unknown refinement"),
    ],
)
def test_bad_input_exits_2_with_one_line(
    tmp_path: Path,
    clip: tuple[Path, list],
    capsys: pytest.CaptureFixture[str],
    args: list[str],
    needle: str,
) -> None:
    folder, _ = clip
    out = tmp_path / "masks"
    args = [a.replace("p.png", str(tmp_path / "p.png")) for a in args]
    assert run_cli("mask", str(folder), "-o", str(out), *args) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and needle in err[0], err
    assert not out.exists()


def test_auto_overlay_prints_boxes_and_masks_every_frame(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from tests.masks.test_overlay import overlay_clip

    frames, truth = overlay_clip()
    folder = write_folder(tmp_path / "frames", frames)
    out = tmp_path / "masks"
    assert run_cli("mask", str(folder), "-o", str(out), "--auto-overlay") == 0
    printed = capsys.readouterr().out
    assert printed.count("overlay found: --box") == 2
    masks = [cv2.imread(str(p), cv2.IMREAD_UNCHANGED) > 0 for p in sorted(out.iterdir())]
    assert len(masks) == len(frames)
    assert all((m & truth).sum() >= 0.95 * truth.sum() for m in masks)


def test_grow_down_extends_masks_below_only() -> None:
    from vidfill.masks.make import _grow_down

    mask = np.zeros((10, 5), bool)
    mask[2, 2] = True
    assert np.flatnonzero(_grow_down(mask, 3)[:, 2]).tolist() == [2, 3, 4, 5]
    assert _grow_down(mask, 3).sum() == 4


def test_masks_from_frames_in_memory_match_the_files(
    tmp_path: Path, clip: tuple[Path, list]
) -> None:
    # benchmarks/mask_quality.py passes decoded frames to iter_masks: it must measure
    # exactly what `vidfill mask` writes.
    folder, boxes = clip
    box = tuple(int(v) for v in boxes[3])
    out = tmp_path / "masks"
    make_masks(folder, out, boxes=[box], at=[3])
    info = probe(folder)
    frames = [cv2.cvtColor(cv2.imread(str(p)), cv2.COLOR_BGR2RGB) for p in sorted(folder.iterdir())]
    tracks = track_objects(info, [(box, 3)])
    in_memory = [mask for _, mask in iter_masks(info, tracks, frames=frames)]
    written = [cv2.imread(str(p), cv2.IMREAD_UNCHANGED) > 0 for p in sorted(out.iterdir())]
    assert len(in_memory) == len(written) == 12
    assert all(np.array_equal(a, b) for a, b in zip(in_memory, written, strict=True))
    # Tracked objects are refined with the followed shape, not left as boxes.
    assert tracks[0].support_mask(3, info.size) is not None


def test_both_refinements_cover_the_object_and_stay_inside_the_box_margin(
    clip: tuple[Path, list],
) -> None:
    folder, boxes = clip
    info = probe(folder)
    frames = [cv2.cvtColor(cv2.imread(str(p)), cv2.COLOR_BGR2RGB) for p in sorted(folder.iterdir())]
    tracks = track_objects(info, [(tuple(int(v) for v in boxes[0]), 0)])
    for refine in ("keyed", "model", "grabcut"):
        masks = [m for _, m in iter_masks(info, tracks, frames=frames, dilate=0, refine=refine)]
        for mask, (x, y, w, h) in zip(masks, boxes, strict=True):
            x0, y0 = int(x), int(y)
            inside = mask[y0 : y0 + int(h), x0 : x0 + int(w)].mean()
            assert inside > 0.9, refine
            # Not the whole frame: the object is a small patch of a 160x120 clip.
            assert mask.sum() < 3 * w * h, refine


def test_keyed_refinement_follows_a_moving_shape_tighter_than_the_model(tmp_path: Path) -> None:
    # A red disk moving with a dark shadow under it (background moving like the object,
    # which the flow-followed support takes in); the user's box is the disk's on frame 0.
    frames, truths = shadowed_disk_clip()
    folder = write_folder(tmp_path / "frames", frames)
    info = probe(folder)
    frames = [cv2.cvtColor(cv2.imread(str(p)), cv2.COLOR_BGR2RGB) for p in sorted(folder.iterdir())]
    tracks = track_objects(info, [(bounding_box(truths[0]), 0)])
    assert tracks[0].keys == [0]
    precision = {}
    for refine in ("keyed", "model"):
        masks = [m for _, m in iter_masks(info, tracks, frames=frames, dilate=0, refine=refine)]
        for mask, truth in zip(masks, truths, strict=True):
            assert (mask & truth).sum() / truth.sum() > 0.97, refine
        precision[refine] = np.mean(
            [(m & t).sum() / m.sum() for m, t in zip(masks, truths, strict=True)]
        )
    assert precision["keyed"] > 0.5
    assert precision["keyed"] > precision["model"] + 0.05
