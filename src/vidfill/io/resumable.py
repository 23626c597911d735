"""A frame-folder output that survives an interruption and can be continued.

Frames go into a work folder with a fixed name next to the destination
(``.NAME.vidfill-resume/``) together with a small state file saying how many
frames are final and which run wrote them. An interrupted run leaves that
folder; the same command with ``--resume`` reads the state and continues; a
run without ``--resume`` starts over. The destination itself appears only
when every frame is written, as with every other output.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import cv2
import numpy as np
from numpy.typing import NDArray

from vidfill.io.write import FolderWriter

STATE_FILE = "state.json"


def work_folder(output: Path) -> Path:
    """The work folder of a resumable run writing to ``output``."""
    return output.parent / f".{output.name}.vidfill-resume"


def finished_frames(output: Path, fingerprint: str) -> int:
    """Frames already final in an interrupted run with this ``fingerprint``; 0 if none."""
    state_path = work_folder(output) / STATE_FILE
    try:
        state = json.loads(state_path.read_text())
    except (OSError, ValueError):
        return 0
    if state.get("fingerprint") != fingerprint:
        return 0
    return int(state.get("finished", 0))


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
        state = self.work / STATE_FILE
        partial = state.with_suffix(".tmp")
        partial.write_text(json.dumps({"fingerprint": self.fingerprint, "finished": finished}))
        os.replace(partial, state)

    def finish(self) -> None:
        """Move the completed frames onto the destination and drop the work folder."""
        super().finish()
        shutil.rmtree(self.work, ignore_errors=True)

    def abort(self) -> None:
        """Keep the work folder: an interrupted run can be resumed from it."""
