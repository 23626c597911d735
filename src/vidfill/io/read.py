"""Reading frames from a video file (PyAV) or a folder of images."""

from __future__ import annotations

from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np
from numpy.typing import NDArray

from vidfill.errors import InputError, InputNotFoundError
from vidfill.types import VideoInfo

FRAME_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp"})


def probe(path: str | Path, *, folder_fps: float = 25.0) -> VideoInfo:
    """Describe a video file or frame folder without decoding every frame.

    Raises
    ------
    InputNotFoundError
        If ``path`` does not exist.
    InputError
        If it is not a readable video or holds no frames.
    """
    path = Path(path)
    if not path.exists():
        raise InputNotFoundError(f"{path}: no such file or folder")
    if path.is_dir():
        return _probe_folder(path, folder_fps)
    return _probe_video(path)


def _probe_folder(path: Path, fps: float) -> VideoInfo:
    names = sorted(p.name for p in path.iterdir() if p.suffix.lower() in FRAME_SUFFIXES)
    if not names:
        raise InputError(f"{path}: folder holds no png/jpg frames")
    first = cv2.imread(str(path / names[0]), cv2.IMREAD_COLOR)
    if first is None:
        raise InputError(f"{path / names[0]}: not a readable image")
    return VideoInfo(
        path=path,
        width=first.shape[1],
        height=first.shape[0],
        frame_count=len(names),
        fps=Fraction(fps).limit_denominator(1001),
        frame_names=tuple(names),
    )


def _probe_video(path: Path) -> VideoInfo:
    try:
        container = av.open(str(path))
    except (av.error.FFmpegError, UnicodeDecodeError) as error:
        raise InputError(f"{path}: not a video FFmpeg can read ({error})") from None
    with container:
        if not container.streams.video:
            raise InputError(f"{path}: holds no video stream")
        stream = container.streams.video[0]
        pts = [
            packet.pts
            for packet in container.demux(stream)
            if packet.size and packet.pts is not None
        ]
        if not pts:
            raise InputError(f"{path}: video stream holds no frames")
        rate = stream.average_rate or stream.guessed_rate or Fraction(25)
        return VideoInfo(
            path=path,
            width=stream.codec_context.width,
            height=stream.codec_context.height,
            frame_count=len(pts),
            fps=Fraction(rate),
            time_base=Fraction(stream.time_base) if stream.time_base else None,
            pts=tuple(sorted(pts)),
            has_audio=bool(container.streams.audio),
        )


def iter_frames(info: VideoInfo) -> Iterator[NDArray[np.uint8]]:
    """Yield the frames described by ``info`` as ``uint8 (H, W, 3)`` RGB, one at a time."""
    if info.is_folder:
        for name in info.frame_names:
            bgr = cv2.imread(str(info.path / name), cv2.IMREAD_COLOR)
            if bgr is None:
                raise InputError(f"{info.path / name}: not a readable image")
            if bgr.shape[:2] != info.size:
                raise InputError(
                    f"{info.path / name}: frame is {bgr.shape[1]}x{bgr.shape[0]}, "
                    f"the first frame is {info.width}x{info.height}"
                )
            yield cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
        return
    with av.open(str(info.path)) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        for frame in container.decode(stream):
            yield frame.to_ndarray(format="rgb24")
