"""Compositing a fill into the original frame."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray


def composite(
    original: NDArray[np.uint8], filled: NDArray[np.uint8], hole: NDArray[np.bool_]
) -> NDArray[np.uint8]:
    """Take ``filled`` inside ``hole`` and ``original`` everywhere else.

    This is the guarantee vidfill gives: pixels outside the (dilated) hole
    are byte-identical to the input, whatever the engine did.

    Shapes: frames ``(..., H, W, 3)`` uint8, hole ``(..., H, W)`` bool.
    """
    result = original.copy()
    composite_into(result, filled, hole)
    return result


def composite_into(
    frame: NDArray[np.uint8], filled: NDArray[np.uint8], hole: NDArray[np.bool_]
) -> None:
    """In place: copy ``filled`` into ``frame`` where ``hole`` is True, nothing else.

    The memory-light form of :func:`composite`, for a crop view of a large frame.
    """
    np.copyto(frame, filled, where=hole[..., None])


def overlay_mask(
    frame: NDArray[np.uint8],
    mask: NDArray[np.bool_],
    *,
    color: tuple[int, int, int] = (255, 0, 64),
    opacity: float = 0.5,
) -> NDArray[np.uint8]:
    """Tint the masked pixels of ``frame`` so a person can check a mask.

    Used by ``--preview``: the result shows what would be removed.
    """
    tinted = frame.astype(np.float32)
    tinted[mask] = (1.0 - opacity) * tinted[mask] + opacity * np.asarray(color, np.float32)
    return np.clip(tinted + 0.5, 0, 255).astype(np.uint8)
