"""Outputs that survive an interruption and can be continued.

Frames go into a work folder with a fixed name next to the destination
(``.NAME.vidfill-resume/``) together with a small state file saying how many
frames are final and which run wrote them. An interrupted run leaves that
folder; the same command with ``--resume`` reads the state and continues; a
run without ``--resume`` starts over. The destination itself appears only
when every frame is written, as with every other output.

A frame folder is final frame by frame. A video is encoded in segments, each
starting on a keyframe: one is closed at the first window boundary after
:data:`SEGMENT_FRAMES` frames, and only closed segments count as final. A
resumed run encodes the remaining segments exactly as an uninterrupted one
would (same boundaries, same frames, same encoder settings), and the
segments are joined by packet copy at the end. The last finished frames are
also kept losslessly, as the carried context the next window starts from:
decoded from the video they would differ from what an uninterrupted run
carried.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
from collections import deque
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from numpy.typing import NDArray

from vidfill.errors import OutputError
from vidfill.io.write import FolderWriter, VideoWriter, join_segments
from vidfill.types import VideoInfo

STATE_FILE = "state.json"

#: A video segment is closed at the first window boundary after this many
#: frames: an interruption loses at most that much work. x264 starts a
#: keyframe every 250 frames anyway, so segments this long cost no more
#: keyframes than one continuous encode.
SEGMENT_FRAMES = 250


def work_folder(output: Path) -> Path:
    """The work folder of a resumable run writing to ``output``."""
    return output.parent / f".{output.name}.vidfill-resume"


def _read_state(output: Path, fingerprint: str | None) -> dict[str, Any]:
    """The state of an interrupted run with this ``fingerprint`` (None: any); empty if none."""
    try:
        state = json.loads((work_folder(output) / STATE_FILE).read_text())
    except (OSError, ValueError):
        return {}
    if not isinstance(state, dict):
        return {}
    return state if fingerprint is None or state.get("fingerprint") == fingerprint else {}


def _write_state(work: Path, state: dict[str, Any]) -> None:
    """Replace the state file atomically: an interruption leaves the old one or the new one."""
    path = work / STATE_FILE
    partial = path.with_suffix(".tmp")
    partial.write_text(json.dumps(state))
    os.replace(partial, path)


def finished_frames(output: Path, fingerprint: str | None) -> int:
    """Frames already final in an interrupted run with this ``fingerprint``; 0 if none.

    ``fingerprint=None`` counts any interrupted run at ``output``, whatever its
    settings: one that another run into ``output`` would discard.
    """
    return int(_read_state(output, fingerprint).get("finished", 0))


class ResumableFolderWriter(FolderWriter):
    """A :class:`FolderWriter` whose partial folder can be continued later.

    Parameters
    ----------
    path : Path
        The destination folder.
    names : list of str
        File name of each frame, in order.
    fingerprint : str
        Identifies the run (input, masks, options); a resumed run must match it.
    start : int
        Frames already final in the work folder (0 starts afresh).
    """

    def __init__(self, path: Path, names: list[str], *, fingerprint: str, start: int = 0) -> None:
        self.path = Path(path)
        self.names = names
        self.fingerprint = fingerprint
        self.work = work_folder(self.path)
        self.temp = self.work / "frames"
        if start == 0:
            shutil.rmtree(self.work, ignore_errors=True)
        self.temp.mkdir(parents=True, exist_ok=True)
        self.index = start

    def read_back(self, first: int, stop: int) -> list[NDArray[np.uint8]]:
        """Frames ``first..stop-1`` as written (RGB), to restore the run's context."""
        frames = []
        for index in range(first, stop):
            bgr = cv2.imread(str(self.temp / self.names[index]), cv2.IMREAD_COLOR)
            if bgr is None:
                raise OSError(f"{self.work}: frame {self.names[index]} of the run is missing")
            frames.append(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))
        return frames

    def checkpoint(self, finished: int) -> None:
        """Record that the first ``finished`` frames are final (atomically)."""
        _write_state(self.work, {"fingerprint": self.fingerprint, "finished": finished})

    def finish(self) -> None:
        """Move the completed frames onto the destination and drop the work folder."""
        super().finish()
        shutil.rmtree(self.work, ignore_errors=True)

    def abort(self) -> None:
        """Keep the work folder: an interrupted run can be resumed from it."""


class ResumableVideoWriter:
    """A video output encoded in segments, so that an interrupted run can be continued.

    Parameters
    ----------
    path : Path
        The destination video (.mp4, .mkv or .mov).
    info : VideoInfo
        The input's description (timing, rotation, colour, audio), as for
        :class:`~vidfill.io.write.VideoWriter`.
    fingerprint : str
        Identifies the run (input, masks, options); a resumed run must match it.
    start : int
        Frames already final in the work folder (0 starts afresh).
    keep : int
        How many of the last finished frames to keep losslessly for
        :meth:`read_back` (the window's carried context).
    segment_frames : int, optional
        Frames after which a segment is closed at the next checkpoint
        (default :data:`SEGMENT_FRAMES`).
    **encoder
        ``codec``, ``crf``, ``lossless``, ``preset``, ``fps`` of the encoder.
    """

    def __init__(
        self,
        path: Path,
        info: VideoInfo,
        *,
        fingerprint: str,
        start: int = 0,
        keep: int = 0,
        segment_frames: int | None = None,
        **encoder: Any,
    ) -> None:
        self.path = Path(path)
        self.info = info
        self.fingerprint = fingerprint
        self.work = work_folder(self.path)
        self.encoder = encoder
        self.segment_frames = segment_frames or SEGMENT_FRAMES
        state = _read_state(self.path, fingerprint) if start else {}
        if start == 0 or state.get("finished") != start:
            start = 0
            shutil.rmtree(self.work, ignore_errors=True)
        self.segments: list[str] = list(state.get("segments", [])) if start else []
        (self.work / "segments").mkdir(parents=True, exist_ok=True)
        (self.work / "context").mkdir(exist_ok=True)
        for leftover in (self.work / "segments").iterdir():
            # A segment that was open when the run stopped is redone.
            if leftover.name not in self.segments:
                leftover.unlink()
        self.index = start
        self.current: VideoWriter | None = None
        self.recent: deque[NDArray[np.uint8]] = deque(maxlen=keep)
        # Segments carry video only; the source's audio is added once, to the joined whole.
        self.segment_info = dataclasses.replace(info, has_audio=False)

    def _segment_path(self, first: int) -> Path:
        # MP4 keeps each packet's decode time; Matroska stores none, and B-frames
        # read back from it cannot be joined. So segments of a .mkv are MP4,
        # except for FFV1 (lossless .mkv), which MP4 cannot hold and which has
        # no B-frames.
        suffix = self.path.suffix.lower()
        if suffix == ".mkv" and not self.encoder.get("lossless"):
            suffix = ".mp4"
        return self.work / "segments" / f"{first:09d}{suffix}"

    def write(self, frame: NDArray[np.uint8]) -> None:
        """Encode the next frame, ``uint8 (H, W, 3)`` RGB."""
        if self.current is None:
            self.current = VideoWriter(
                self._segment_path(self.index),
                self.segment_info,
                first_index=self.index,
                encode_for=self.path,
                **self.encoder,
            )
        self.current.write(frame)
        self.recent.append(frame)
        self.index += 1

    def read_back(self, first: int, stop: int) -> list[NDArray[np.uint8]]:
        """Finished frames ``first..stop-1``, as kept losslessly at the last closed segment."""
        frames = []
        for index in range(first, stop):
            bgr = cv2.imread(str(self.work / "context" / f"{index:09d}.png"), cv2.IMREAD_COLOR)
            if bgr is None:
                raise OSError(f"{self.work}: context frame {index} of the run is missing")
            frames.append(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))
        return frames

    def checkpoint(self, finished: int) -> None:
        """Close the segment if it is long enough; then the first ``finished`` frames are final."""
        if self.current is None or finished != self.index:
            return
        if self.index - self.current.first_index < self.segment_frames:
            return
        self._close_segment()
        context = self.work / "context"
        for old in context.iterdir():
            old.unlink()
        first = self.index - len(self.recent)
        for index, frame in enumerate(self.recent, start=first):
            cv2.imwrite(str(context / f"{index:09d}.png"), cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
        _write_state(
            self.work,
            {"fingerprint": self.fingerprint, "finished": finished, "segments": self.segments},
        )

    def _close_segment(self) -> None:
        assert self.current is not None
        self.current.finish()
        self.segments.append(self.current.path.name)
        self.current = None

    def finish(self) -> None:
        """Join the segments, add the audio, move the video onto the destination."""
        if self.current is not None:
            self._close_segment()
        if not self.segments:
            raise OutputError(f"{self.path}: no frames were written")
        join_segments(
            [self.work / "segments" / name for name in self.segments], self.info, self.path
        )
        shutil.rmtree(self.work, ignore_errors=True)

    def abort(self) -> None:
        """Drop the open segment; keep the closed ones so the run can be resumed."""
        if self.current is not None:
            self.current.abort()
            self.current = None
