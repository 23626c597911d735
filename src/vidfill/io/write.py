"""Writing finished frames to a video file or a folder of PNGs.

Output is written under a temporary name next to the destination and renamed
onto it only when every frame is written, so a failed or interrupted run
leaves no partial output behind.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from fractions import Fraction
from pathlib import Path
from types import TracebackType

import av
import cv2
import numpy as np
from numpy.typing import NDArray

from vidfill.errors import OutputError
from vidfill.types import VideoInfo

VIDEO_SUFFIXES = frozenset({".mp4", ".mkv", ".mov"})


def check_output_path(path: Path, inputs: list[Path], *, overwrite: bool) -> None:
    """Refuse outputs that would clobber an input, exist already, or cannot be written."""
    resolved = path.resolve()
    for source in inputs:
        if source is not None and resolved == Path(source).resolve():
            raise OutputError(f"{path}: output is the same path as an input; choose another")
    if path.suffix and path.suffix.lower() not in VIDEO_SUFFIXES:
        raise OutputError(
            f"{path}: unsupported output extension {path.suffix!r}; "
            "use .mp4, .mkv, .mov or a folder (no extension)"
        )
    if path.exists() and not overwrite:
        raise OutputError(f"{path}: already exists (pass --overwrite to replace it)")
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        raise OutputError(f"{path}: folder {parent} does not exist")
    if not os.access(parent, os.W_OK):
        raise OutputError(f"{path}: folder {parent} is not writable")


class FolderWriter:
    """Write frames as PNG files into a folder that appears only when complete."""

    def __init__(self, path: Path, names: list[str]) -> None:
        self.path = path
        self.names = names
        self.index = 0
        self.temp = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent))

    def write(self, frame: NDArray[np.uint8]) -> None:
        """Write the next frame."""
        name = self.names[self.index] if self.index < len(self.names) else f"{self.index:05d}.png"
        cv2.imwrite(str(self.temp / name), cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
        self.index += 1

    def finish(self) -> None:
        """Move the completed folder onto the destination."""
        if self.path.exists():
            shutil.rmtree(self.path) if self.path.is_dir() else self.path.unlink()
        os.replace(self.temp, self.path)

    def abort(self) -> None:
        """Remove everything written so far."""
        shutil.rmtree(self.temp, ignore_errors=True)


class VideoWriter:
    """Encode frames to a video file, keeping frame timing, then rename into place."""

    def __init__(
        self,
        path: Path,
        info: VideoInfo,
        *,
        codec: str = "libx264",
        crf: int = 18,
        lossless: bool = False,
        preset: str = "medium",
        fps: float | None = None,
    ) -> None:
        self.path = path
        self.info = info
        handle, temp_name = tempfile.mkstemp(
            prefix=f".{path.stem}.", suffix=f".part{path.suffix}", dir=path.parent
        )
        os.close(handle)
        self.temp = Path(temp_name)
        self.container = av.open(str(self.temp), mode="w")
        rate = Fraction(fps).limit_denominator(1001) if fps else info.fps
        self.stream = self.container.add_stream(codec, rate=rate)
        self.stream.width = info.width
        self.stream.height = info.height
        if lossless:
            self.stream.pix_fmt = "yuv444p"
            self.stream.options = {"qp": "0", "preset": preset}
        else:
            self.stream.pix_fmt = "yuv420p"
            self.stream.options = {"crf": str(crf), "preset": preset}
        self.index = 0

    def write(self, frame: NDArray[np.uint8]) -> None:
        """Encode the next frame."""
        video_frame = av.VideoFrame.from_ndarray(frame, format="rgb24")
        for packet in self.stream.encode(video_frame):
            self.container.mux(packet)
        self.index += 1

    def finish(self) -> None:
        """Flush the encoder and move the file onto the destination."""
        for packet in self.stream.encode():
            self.container.mux(packet)
        self.container.close()
        os.replace(self.temp, self.path)

    def abort(self) -> None:
        """Remove the partial file."""
        try:
            self.container.close()
        finally:
            self.temp.unlink(missing_ok=True)


class OutputWriter:
    """Context manager over a folder or video writer: finishes on success, aborts on error."""

    def __init__(self, writer: FolderWriter | VideoWriter) -> None:
        self.writer = writer

    def write(self, frame: NDArray[np.uint8]) -> None:
        """Write the next frame."""
        self.writer.write(frame)

    def __enter__(self) -> OutputWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if exc_type is None:
            self.writer.finish()
        else:
            self.writer.abort()


def open_output(
    path: str | Path,
    info: VideoInfo,
    *,
    codec: str = "libx264",
    crf: int = 18,
    lossless: bool = False,
    preset: str = "medium",
    fps: float | None = None,
) -> OutputWriter:
    """Open ``path`` for writing frames shaped like ``info``.

    A path with a video extension (.mp4, .mkv, .mov) gets an encoded video;
    any other path becomes a folder of PNG frames named like the input frames
    (``00000.png``... for a video input).
    """
    path = Path(path)
    if path.suffix.lower() in VIDEO_SUFFIXES:
        return OutputWriter(
            VideoWriter(path, info, codec=codec, crf=crf, lossless=lossless, preset=preset, fps=fps)
        )
    names = [Path(name).stem + ".png" for name in info.frame_names]
    return OutputWriter(FolderWriter(path, names))
