"""Per-frame reconstruction metrics: PSNR, SSIM, PSNR inside the hole, texture ratio.

All functions take one frame pair, ``uint8 (H, W, 3)`` RGB (any real dtype
works; values are read on the 0..255 scale), and return a Python float.
Pooling over frames and videos is the caller's job (see :mod:`vidfill.bench`),
because the published protocol pools per frame over a whole dataset.
"""

from __future__ import annotations

import cv2
import numpy as np
from numpy.typing import NDArray

#: SSIM window of the published video-inpainting tables (FuseFormer, E2FGVI, ProPainter).
SSIM_WINDOW = 65


def _as_float(image: NDArray[np.generic]) -> NDArray[np.float64]:
    return np.asarray(image, dtype=np.float64)


def _check_pair(pred: NDArray[np.generic], ref: NDArray[np.generic]) -> None:
    if pred.shape != ref.shape:
        raise ValueError(f"images differ in shape: {pred.shape} vs {ref.shape}")


def psnr(
    pred: NDArray[np.generic], ref: NDArray[np.generic], *, data_range: float = 255.0
) -> float:
    """Peak signal-to-noise ratio over the whole frame.

    Computes ``10 * log10(data_range**2 / MSE)`` where MSE is the mean of the
    squared difference over *every* pixel and channel, in float64. This is
    the published protocol's PSNR (section 2.5 of the research notes): not
    restricted to the hole, so it reads about ``-10 log10(f)`` dB higher than
    the hole-only PSNR when a fraction ``f`` of the frame is hole.

    Parameters
    ----------
    pred, ref : ndarray, shape (H, W, 3) or (H, W)
        The result and the ground truth, on the 0..``data_range`` scale.
    data_range : float
        Peak value; 255 for 8-bit frames.

    Returns
    -------
    float
        PSNR in dB; ``inf`` when the images are identical.
    """
    _check_pair(pred, ref)
    mse = float(np.mean((_as_float(pred) - _as_float(ref)) ** 2))
    if mse == 0.0:
        return float("inf")
    return float(10.0 * np.log10(data_range**2 / mse))


def masked_psnr(
    pred: NDArray[np.generic],
    ref: NDArray[np.generic],
    mask: NDArray[np.bool_],
    *,
    data_range: float = 255.0,
) -> float:
    """PSNR measured only inside ``mask``.

    MSE is the mean squared difference over the masked pixels and all their
    channels; pixels outside the mask are ignored entirely. This is *not*
    comparable to the published tables' whole-frame PSNR.

    Parameters
    ----------
    pred, ref : ndarray, shape (H, W, 3) or (H, W)
    mask : ndarray of bool, shape (H, W)
        True where the error is measured (the hole).
    data_range : float
        Peak value; 255 for 8-bit frames.

    Returns
    -------
    float
        PSNR in dB; ``inf`` when identical inside the mask, ``nan`` when the
        mask is empty.
    """
    _check_pair(pred, ref)
    mask = np.asarray(mask, dtype=bool)
    if mask.shape != pred.shape[:2]:
        raise ValueError(f"mask shape {mask.shape} does not match image {pred.shape[:2]}")
    if not mask.any():
        return float("nan")
    diff = _as_float(pred)[mask] - _as_float(ref)[mask]
    mse = float(np.mean(diff**2))
    if mse == 0.0:
        return float("inf")
    return float(10.0 * np.log10(data_range**2 / mse))


def ssim(
    pred: NDArray[np.generic],
    ref: NDArray[np.generic],
    *,
    win_size: int = SSIM_WINDOW,
    data_range: float = 255.0,
) -> float:
    """Structural similarity over the whole frame, as in the published tables.

    Calls ``skimage.metrics.structural_similarity(ref, pred, win_size=65,
    channel_axis=-1, data_range=255)`` on float64 copies: a 65x65 *uniform*
    window (not the 7x7 or Gaussian 11x11 usual elsewhere), the SSIM map
    averaged over the frame (less a border of 32 pixels that the window
    cannot cover) and over the channels.

    Parameters
    ----------
    pred, ref : ndarray, shape (H, W, 3) or (H, W)
    win_size : int
        Odd window side; 65 to match FuseFormer/E2FGVI/ProPainter.
    data_range : float
        Peak value; 255 for 8-bit frames.

    Returns
    -------
    float
        Mean SSIM, 1.0 for identical images.

    Raises
    ------
    ImportError
        If scikit-image (the optional ``bench`` extra) is not installed.
    """
    _check_pair(pred, ref)
    try:
        from skimage.metrics import structural_similarity
    except ImportError as error:  # optional dependency
        raise ImportError(
            "ssim needs scikit-image: pip install 'vidfill[bench]'"
        ) from error
    channel_axis = -1 if pred.ndim == 3 else None
    return float(
        structural_similarity(
            _as_float(ref),
            _as_float(pred),
            win_size=win_size,
            channel_axis=channel_axis,
            data_range=data_range,
        )
    )


def gradient_magnitude(image: NDArray[np.generic]) -> NDArray[np.float32]:
    """Sobel gradient magnitude of the grey level of ``image`` (``(H, W)`` float32).

    The grey level is the plain channel mean, so the result does not depend on
    RGB/BGR order.
    """
    grey = np.asarray(image, dtype=np.float32)
    if grey.ndim == 3:
        grey = grey.mean(axis=2)
    gx = cv2.Sobel(grey, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(grey, cv2.CV_32F, 0, 1, ksize=3)
    return np.sqrt(gx * gx + gy * gy)


def texture_ratio(
    pred: NDArray[np.generic], ref: NDArray[np.generic], mask: NDArray[np.bool_]
) -> float:
    """How much texture a fill keeps: mean gradient magnitude in the hole, result over truth.

    Both images go through :func:`gradient_magnitude` (3x3 Sobel on the grey
    level); the ratio is ``mean(|grad pred|[mask]) / mean(|grad ref|[mask])``.
    About 1 means the fill is as detailed as the truth; well below 1 means a
    blurred, smeared fill (the usual failure of diffusion-type fills); above 1
    means added edges (seams, noise).

    Parameters
    ----------
    pred, ref : ndarray, shape (H, W, 3) or (H, W)
    mask : ndarray of bool, shape (H, W)

    Returns
    -------
    float
        The ratio; ``nan`` when the mask is empty or the truth is flat there.
    """
    _check_pair(pred, ref)
    mask = np.asarray(mask, dtype=bool)
    if not mask.any():
        return float("nan")
    truth = float(gradient_magnitude(ref)[mask].mean())
    if truth <= 1e-9:
        return float("nan")
    return float(gradient_magnitude(pred)[mask].mean()) / truth
