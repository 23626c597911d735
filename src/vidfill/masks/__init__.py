"""The masks stage: what to remove, as one boolean mask per frame."""

from vidfill.masks.ops import binarize, bounding_box, box_mask, dilate
from vidfill.masks.sources import MaskSequence, load_masks, parse_box

__all__ = [
    "MaskSequence",
    "binarize",
    "bounding_box",
    "box_mask",
    "dilate",
    "load_masks",
    "parse_box",
]
