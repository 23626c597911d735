"""A learned video-inpainting network the user supplies, run with PyTorch.

vidfill ships no weights and never downloads any. A user who has a trained
network (E2FGVI, ProPainter, STTN, FuseFormer or their own) wraps it once in a
small module with the contract below, saves it as a self-contained file --
``torch.export.save`` (a ``.pt2`` file) or TorchScript's ``torch.jit.save``
(any other name) -- and runs it like any engine::

    vidfill remove in.mp4 -m masks/ -o out.mp4 --method torch -O checkpoint=net.pt2

Both formats hold the network's code with its weights, so loading runs no
Python from the file (unlike a pickled checkpoint) and needs none of the
network's own repository.

The orchestrator still owns everything else: windows (so memory stays
bounded on long videos), the crop around the hole, the working resolution
(``--max-side``), compositing only hole pixels, audio and timing.

Contract of the module, called once per window::

    filled = model(frames, masks)

* ``frames``: float32 ``(1, T, 3, H, W)``, RGB in 0..1, hole pixels set to 0;
* ``masks``: float32 ``(1, T, 1, H, W)``, 1 in the hole, 0 elsewhere;
* ``H`` and ``W`` are multiples of ``multiple`` (the engine pads by reflection);
* ``filled``: ``(1, T, 3, H, W)`` RGB in 0..1, any float dtype. Only its hole
  pixels are used.

Networks that want -1..1 inputs, or a separate list of reference frames,
do that conversion inside the wrapper, where the network's own conventions
are known.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from vidfill.errors import EngineError


def _import_torch() -> Any:
    try:
        import torch
    except ImportError:
        raise EngineError("needs PyTorch: pip install 'vidfill[torch]'") from None
    return torch


def pad_to_multiple(array: NDArray, multiple: int) -> NDArray:
    """Pad axes 1 and 2 (height, width) of ``(T, H, W, ...)`` up to multiples of ``multiple``.

    Reflection, not zeros: a network sees a plausible continuation of the
    picture at the border instead of a black edge it would smear inwards.
    """
    height, width = array.shape[1:3]
    extra_h = -height % multiple
    extra_w = -width % multiple
    if not extra_h and not extra_w:
        return array
    widths = [(0, 0), (0, extra_h), (0, extra_w)] + [(0, 0)] * (array.ndim - 3)
    # Reflection needs the padded side to be longer than the padding.
    mode = "reflect" if extra_h < height and extra_w < width else "edge"
    return np.pad(array, widths, mode=mode)


class TorchEngine:
    """Fill each window with a user-supplied network (see the module docstring for the contract).

    Parameters
    ----------
    checkpoint : str or Path
        The network: a ``.pt2`` file from ``torch.export.save``, or a
        TorchScript file from ``torch.jit.save``. Required.
    device : str
        "auto" (a CUDA GPU when there is one, else the CPU), "cpu", "cuda" or
        "cuda:N".
    half : bool
        Run in float16 on a GPU: half the memory, usually faster; the model
        must support it.
    multiple : int
        Height and width are padded up to multiples of this (most networks
        downsample by 4 or 8, some cut 2-D patches).
    window : int
        Frames per call. Memory on the device grows with it; networks trained
        on short clips gain little from more.
    """

    name = "torch"

    def __init__(
        self,
        checkpoint: str | Path | None = None,
        *,
        device: str = "auto",
        half: bool = False,
        multiple: int = 8,
        window: int = 20,
    ) -> None:
        if checkpoint is None:
            raise EngineError(
                "needs the network file: -O checkpoint=PATH "
                "(torch.export or TorchScript; vidfill downloads nothing)"
            )
        if multiple < 1 or window < 1:
            raise EngineError("multiple and window must be >= 1")
        torch = self._torch = _import_torch()
        path = Path(checkpoint)
        if not path.is_file():
            raise EngineError(f"{path}: network file not found")
        self.device = _pick_device(torch, device)
        self.half = bool(half) and self.device.type == "cuda"
        self.multiple = int(multiple)
        self.preferred_window = int(window)
        self.model = _load_network(torch, path, self.device)
        if self.half:
            self.model.half()

    def fill_window(self, frames: NDArray[np.uint8], holes: NDArray[np.bool_]) -> NDArray[np.uint8]:
        """Run the network on the window; return the frames with its fill in the holes."""
        torch = self._torch
        holes = np.asarray(holes, bool)
        if not holes.any():
            return frames.copy()
        count, height, width = holes.shape
        blanked = frames.astype(np.float32) / 255.0
        blanked[holes] = 0.0
        images = pad_to_multiple(blanked, self.multiple)
        masks = pad_to_multiple(holes[..., None].astype(np.float32), self.multiple)
        dtype = torch.float16 if self.half else torch.float32
        # (T, H, W, C) -> (1, T, C, H, W), the layout video networks take.
        image_tensor = torch.from_numpy(images).permute(0, 3, 1, 2)[None]
        mask_tensor = torch.from_numpy(masks).permute(0, 3, 1, 2)[None]
        with torch.inference_mode():
            try:
                filled = self.model(
                    image_tensor.to(self.device, dtype), mask_tensor.to(self.device, dtype)
                )
            except RuntimeError as error:
                raise EngineError(f"method 'torch': the network failed ({error})") from None
        expected = tuple(image_tensor.shape)
        if tuple(filled.shape) != expected:
            raise EngineError(
                f"method 'torch': the network returned shape {tuple(filled.shape)}, "
                f"expected {expected}"
            )
        result = filled[0].float().clamp(0.0, 1.0).permute(0, 2, 3, 1).cpu().numpy()
        result = result[:count, :height, :width]
        out = frames.copy()
        out[holes] = (result[holes] * 255.0 + 0.5).astype(np.uint8)
        return out


def _pick_device(torch: Any, name: str) -> Any:
    """The torch device for ``name``; "auto" prefers a CUDA GPU."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        device = torch.device(name)
    except RuntimeError:
        raise EngineError(f"unknown device {name!r}") from None
    if device.type == "cuda" and not torch.cuda.is_available():
        raise EngineError("device 'cuda' asked for, but no CUDA GPU is usable")
    return device


def _load_network(torch: Any, path: Path, device: Any) -> Any:
    """The callable network in ``path`` on ``device``, in inference mode."""
    try:
        if path.suffix == ".pt2":
            # An exported program is already in inference form (it has no
            # train/eval switch to set).
            return torch.export.load(str(path)).module().to(device)
        model = torch.jit.load(str(path), map_location=device)
    except (RuntimeError, ValueError, OSError) as error:
        kind = "a torch.export program" if path.suffix == ".pt2" else "a TorchScript module"
        raise EngineError(f"{path}: not {kind} ({error})") from None
    model.eval()
    return model
