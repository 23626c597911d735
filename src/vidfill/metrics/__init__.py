"""Plain metric functions for video inpainting results.

* :mod:`~vidfill.metrics.image`: per-frame PSNR, SSIM (65x65 window, as the
  published tables), PSNR inside the hole, texture ratio;
* :mod:`~vidfill.metrics.temporal`: flow warping error E_warp (Lai et al.
  2018, with DIS flow) and flicker inside the hole;
* :mod:`~vidfill.metrics.perceptual`: LPIPS / VFID, only with torch and
  user-supplied weights.
"""

from vidfill.metrics.image import gradient_magnitude, masked_psnr, psnr, ssim, texture_ratio
from vidfill.metrics.temporal import (
    ReferenceFlow,
    estimate_flow,
    masked_flicker,
    occlusion,
    reference_flow,
    warp,
    warp_error_pair,
    warping_error,
)

__all__ = [
    "ReferenceFlow",
    "estimate_flow",
    "gradient_magnitude",
    "masked_flicker",
    "masked_psnr",
    "occlusion",
    "psnr",
    "reference_flow",
    "ssim",
    "texture_ratio",
    "warp",
    "warp_error_pair",
    "warping_error",
]
