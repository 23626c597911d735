"""Benchmark cases: clips loaded at the protocol size, with synthetic or real holes.

Clip layout (see ``shared/data/README.md``)::

    CLIPS_DIR/<name>/frames/*.jpg|png      consecutive RGB frames
    CLIPS_DIR/<name>/masks/<stem>.png      optional, one per frame, white = remove
    CLIPS_DIR/<name>/masks/static.png      optional, one mask for every frame

Every clip gives *video-completion* cases: its frames are the ground truth
and each synthetic mask family (:mod:`vidfill.bench.masks`) cuts a hole in
them. A clip with real masks also gives one *object-removal* case, which
has no ground truth and is scored with temporal metrics only.

Loading follows the protocol: frames resized with ``INTER_LINEAR`` (as
ProPainter), masks resized with ``NEAREST``, binarised with ``> 0`` and
dilated with a 3x3 cross 4 times.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np
from numpy.typing import NDArray

from vidfill.bench.attributes import VideoMotion, label, mask_area, mask_speed, video_motion
from vidfill.bench.masks import case_seed, make_masks, protocol_dilate
from vidfill.errors import InputError
from vidfill.metrics.temporal import ReferenceFlow, reference_flow

FRAME_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp")

Size = tuple[int, int]  # (width, height), as the command line writes it


@dataclass
class Clip:
    """One clip at the protocol size, with its reference flow and motion."""

    name: str
    frames: NDArray[np.uint8]
    real_masks: NDArray[np.bool_] | None
    reference: ReferenceFlow
    motion: VideoMotion
    source_size: Size


@dataclass
class Case:
    """One benchmark case: a clip, a hole per frame, and its labels.

    Attributes
    ----------
    case_id : str
        ``"<clip>/<family>"``.
    kind : {"completion", "removal"}
        Completion cases have ground truth (``truth``); removal cases do not,
        and ``truth`` then holds the original frames with the object.
    masks : bool (T, H, W)
        The holes, already dilated.
    attributes : dict
        DEVIL-style labels (:data:`vidfill.bench.attributes.GROUPS`).
    measures : dict
        The measured values behind the labels.
    """

    case_id: str
    clip: str
    kind: str
    family: str
    seed: int | None
    truth: NDArray[np.uint8]
    masks: NDArray[np.bool_]
    attributes: dict[str, str] = field(default_factory=dict)
    measures: dict[str, float] = field(default_factory=dict)

    def method_input(self) -> NDArray[np.uint8]:
        """The frames a method receives: hole pixels set to black, so nothing can leak."""
        blanked = self.truth.copy()
        blanked[self.masks] = 0
        return blanked


def parse_size(text: str) -> Size:
    """``"432x240"`` -> ``(432, 240)``."""
    try:
        width, height = (int(part) for part in text.lower().split("x"))
    except ValueError:
        raise InputError(f"cannot read size {text!r}; expected WIDTHxHEIGHT (432x240)") from None
    if width < 65 or height < 65:  # the protocol's SSIM window is 65x65
        raise InputError(f"size {text!r} is too small; use at least 65x65")
    return width, height


def list_clips(clips_dir: Path) -> list[str]:
    """Names of the clip folders under ``clips_dir`` that hold a ``frames/`` folder, sorted."""
    if not clips_dir.is_dir():
        raise InputError(f"{clips_dir}: no such folder of clips")
    names = sorted(p.name for p in clips_dir.iterdir() if (p / "frames").is_dir())
    if not names:
        raise InputError(f"{clips_dir}: holds no <clip>/frames/ folders")
    return names


def _read_rgb(path: Path) -> NDArray[np.uint8]:
    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if image is None:
        raise InputError(f"{path}: not a readable image")
    return cv2.cvtColor(image, cv2.COLOR_BGR2RGB)


def _read_mask(path: Path, size: Size) -> NDArray[np.bool_]:
    image = cv2.imread(str(path), cv2.IMREAD_GRAYSCALE)
    if image is None:
        raise InputError(f"{path}: not a readable mask image")
    return cv2.resize(image, size, interpolation=cv2.INTER_NEAREST) > 0


def load_clip(
    folder: Path, *, size: Size = (432, 240), max_frames: int | None = None
) -> Clip:
    """Load a clip folder at ``size`` and measure its reference flow and motion.

    Parameters
    ----------
    folder : Path
        ``<clips>/<name>``.
    size : (width, height)
        Protocol size.
    max_frames : int, optional
        Keep only the first frames.

    Raises
    ------
    InputError
        If frames or masks are missing or unreadable.
    """
    frame_paths = sorted(
        p for p in (folder / "frames").iterdir() if p.suffix.lower() in FRAME_SUFFIXES
    )
    if max_frames is not None:
        frame_paths = frame_paths[:max_frames]
    if len(frame_paths) < 2:
        raise InputError(f"{folder / 'frames'}: needs at least 2 frames")
    first = _read_rgb(frame_paths[0])
    source_size = (first.shape[1], first.shape[0])
    frames = np.stack(
        [cv2.resize(_read_rgb(p), size, interpolation=cv2.INTER_LINEAR) for p in frame_paths]
    )
    real = _load_real_masks(folder / "masks", frame_paths, size)
    reference = reference_flow(frames)
    motion = video_motion(reference, exclude=real)
    return Clip(folder.name, frames, real, reference, motion, source_size)


def _load_real_masks(
    folder: Path, frame_paths: list[Path], size: Size
) -> NDArray[np.bool_] | None:
    if not folder.is_dir():
        return None
    static = folder / "static.png"
    if static.is_file():
        mask = protocol_dilate(_read_mask(static, size))
        return np.repeat(mask[None], len(frame_paths), axis=0)
    masks = []
    for frame_path in frame_paths:
        path = folder / f"{frame_path.stem}.png"
        if not path.is_file():
            raise InputError(f"{path}: missing mask for frame {frame_path.name}")
        masks.append(_read_mask(path, size))
    return protocol_dilate(np.stack(masks))


def build_cases(
    clip: Clip,
    families: list[str],
    *,
    seed: int = 0,
    removal: bool = True,
    real_masks_are_holes: bool = False,
) -> list[Case]:
    """The completion cases (one per mask family) and the real-mask case of a clip.

    Parameters
    ----------
    clip : Clip
    families : list of str
        Synthetic mask families, one completion case each.
    seed : int
        Base seed of the synthetic masks.
    removal : bool
        Add a case for the clip's real masks, when it has some.
    real_masks_are_holes : bool
        The real masks cut holes into intact frames (devil-sample and
        running-car in the shared clips): the real-mask case is then scored as
        completion (family ``"real"``) instead of removal.
    """
    height, width = clip.frames.shape[1:3]
    cases = []
    for family in families:
        family_seed = case_seed(seed, clip.name, family)
        masks = make_masks(family, (height, width), len(clip.frames), family_seed)
        cases.append(
            _labelled(
                Case(f"{clip.name}/{family}", clip.name, "completion", family, family_seed,
                     clip.frames, masks),
                clip.motion,
            )
        )
    if removal and clip.real_masks is not None and clip.real_masks.any():
        kind = "completion" if real_masks_are_holes else "removal"
        cases.append(
            _labelled(
                Case(f"{clip.name}/real", clip.name, kind, "real", None, clip.frames,
                     clip.real_masks),
                clip.motion,
            )
        )
    return cases


def _labelled(case: Case, motion: VideoMotion) -> Case:
    area, speed = mask_area(case.masks), mask_speed(case.masks)
    case.measures = {
        "mask_area": area,
        "mask_speed_px": speed,
        "camera_motion_px": motion.camera,
        "background_motion_px": motion.background,
    }
    case.attributes = label(area, speed, motion)
    return case
