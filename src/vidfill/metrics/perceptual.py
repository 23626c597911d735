"""Learned metrics (LPIPS, VFID): only with torch and weights the user supplies.

vidfill never downloads anything. These metrics run only when torch is
installed *and* the user passes model files; the files must be TorchScript
modules (``torch.jit.save``) so that no network code has to live here:

* LPIPS: ``model(x, y)`` with ``x, y`` float ``(N, 3, H, W)`` in -1..1
  returns one distance per image (the usual LPIPS convention);
* I3D for VFID: ``model(v)`` with ``v`` float ``(1, 3, T, H, W)`` in 0..1
  returns a feature vector (1024-d Mixed_5c pooled, as the published VFID).

Otherwise the report says :data:`NOT_COMPUTED`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

NOT_COMPUTED = "not computed: needs torch and user-provided weights"


def torch_available() -> bool:
    """Whether torch can be imported."""
    try:
        import torch  # noqa: F401
    except ImportError:
        return False
    return True


def load_model(path: str | Path | None) -> Any | None:
    """Load a TorchScript model from ``path``; None when torch or the path is missing."""
    if path is None or not torch_available():
        return None
    import torch

    model = torch.jit.load(str(path), map_location="cpu")
    model.eval()
    return model


def lpips(model: Any, pred: NDArray[np.uint8], ref: NDArray[np.uint8]) -> float:
    """Mean LPIPS distance over frames between ``pred`` and ``ref`` (``(T, H, W, 3)`` uint8).

    Frames are scaled to -1..1 and fed in batches of 8; the result is the
    mean of the per-frame distances.
    """
    import torch

    distances = []
    with torch.no_grad():
        for start in range(0, len(pred), 8):
            x = torch.from_numpy(pred[start : start + 8].astype(np.float32) / 127.5 - 1.0)
            y = torch.from_numpy(ref[start : start + 8].astype(np.float32) / 127.5 - 1.0)
            out = model(x.permute(0, 3, 1, 2), y.permute(0, 3, 1, 2))
            distances.extend(out.reshape(-1).tolist())
    return float(np.mean(distances))


def i3d_features(model: Any, video: NDArray[np.uint8]) -> NDArray[np.float64]:
    """One I3D feature vector for a whole video ``(T, H, W, 3)`` uint8 (values 0..1 in)."""
    import torch

    clip = torch.from_numpy(video.astype(np.float32) / 255.0).permute(3, 0, 1, 2)[None]
    with torch.no_grad():
        return model(clip).reshape(-1).double().numpy()


def frechet_distance(first: NDArray[np.float64], second: NDArray[np.float64]) -> float:
    """Fréchet distance between Gaussians fitted to two sets of feature rows.

    ``|mu1 - mu2|^2 + Tr(S1 + S2 - 2 sqrt(S1 S2))`` with ``np.cov(rowvar=False)``;
    an ``eps * I`` is added when the matrix square root is not finite, and a
    small imaginary part is dropped, as the usual FID code does.
    """
    from scipy import linalg

    mu1, mu2 = first.mean(axis=0), second.mean(axis=0)
    s1 = np.atleast_2d(np.cov(first, rowvar=False))
    s2 = np.atleast_2d(np.cov(second, rowvar=False))
    root, _ = linalg.sqrtm(s1 @ s2, disp=False)
    if not np.isfinite(root).all():
        offset = np.eye(len(s1)) * 1e-6
        root = linalg.sqrtm((s1 + offset) @ (s2 + offset))
    root = np.real(root)
    return float(np.sum((mu1 - mu2) ** 2) + np.trace(s1) + np.trace(s2) - 2.0 * np.trace(root))
