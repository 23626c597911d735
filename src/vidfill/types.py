"""Array and record types shared by every stage.

Conventions, used everywhere in vidfill:

* a *frame* is ``uint8`` of shape ``(H, W, 3)``, RGB;
* a *mask* (or *hole*) is ``bool`` of shape ``(H, W)``, True where pixels are
  to be removed and filled;
* a *flow* field is ``float32`` of shape ``(H, W, 2)``, the displacement
  ``(dx, dy)`` in pixels from a pixel of the first frame to the second;
* stacks put time first: ``(T, H, W, 3)`` frames, ``(T, H, W)`` masks.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

Frame = NDArray[np.uint8]
Mask = NDArray[np.bool_]
Flow = NDArray[np.float32]


@dataclass(frozen=True)
class VideoInfo:
    """What the reader learned about an input, and what the writer must keep.

    Attributes
    ----------
    path : Path
        The input file or frame folder.
    width, height : int
        Frame size in pixels, as stored (before any display rotation).
    frame_count : int
        Number of frames.
    fps : Fraction
        Nominal frame rate (average rate for variable-frame-rate files).
    time_base : Fraction or None
        Time base of the timestamps in ``pts``; None for frame folders.
    pts : tuple of int
        Presentation timestamp of every frame in ``time_base`` units; empty
        for frame folders (frames are then spaced by ``1 / fps``).
    rotation : int
        Display rotation in degrees carried by the input (0, 90, 180, 270).
    has_audio : bool
        Whether the input has at least one audio stream.
    video_stream : int
        Which of the file's video streams holds the video (cover art and
        thumbnails are skipped), counted among video streams only.
    frame_names : tuple of str
        File names of the frames for a frame folder; empty for a video file.
    last_duration : int
        How long the last frame shows, in ``time_base`` units (0 if unknown),
        so the output keeps the input's duration.
    start_time : Fraction
        Time in seconds of the input's earliest packet (any stream) when the
        clock starts late, as in camera .ts/.m2ts files; the writer subtracts
        it from every video and audio timestamp so the output starts at 0, as
        the ffmpeg command line does. 0 when the clock starts at or before 0.
    sample_aspect_ratio : Fraction or None
        Pixel shape for anamorphic video (e.g. 8/9 for NTSC DV); None when
        pixels are square or it is unknown. Carried to the output so it is
        not displayed stretched.
    codec, pix_fmt : str
        The input's video codec and pixel format names (empty for folders).
    color_space, color_primaries, color_trc, color_range : int
        The input's colour tags as FFmpeg enum values (2, 2, 2 and 0 mean
        unspecified). Frames are decoded to RGB with this matrix and range
        and converted back with the same ones, and the output is tagged alike.
    """

    path: Path
    width: int
    height: int
    frame_count: int
    fps: Fraction
    time_base: Fraction | None = None
    pts: tuple[int, ...] = field(default=(), repr=False)
    rotation: int = 0
    has_audio: bool = False
    video_stream: int = 0
    frame_names: tuple[str, ...] = field(default=(), repr=False)
    last_duration: int = 0
    start_time: Fraction = Fraction(0)
    sample_aspect_ratio: Fraction | None = None
    codec: str = ""
    pix_fmt: str = ""
    color_space: int = 2
    color_primaries: int = 2
    color_trc: int = 2
    color_range: int = 0

    @property
    def is_folder(self) -> bool:
        """True when the input is a folder of image files."""
        return self.path.is_dir()

    @property
    def size(self) -> tuple[int, int]:
        """``(height, width)``, the shape of a mask for this video."""
        return (self.height, self.width)
