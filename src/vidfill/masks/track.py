"""Tracking a user's box through a clip, forward and backward from where it was drawn.

The user marks an object once (a box on any frame, because objects often appear
mid-clip) and the tracker carries the box to every other frame, with a change of
scale. Trackers (chosen on the DAVIS clips by ``benchmarks/mask_quality.py``):

* ``"points"``: corners inside the box are followed with pyramidal Lucas-Kanade,
  checked forward-backward; points moving like the ring around the box (the
  background seen through it) are dropped, and the box moves by the median of the
  rest, preferring motions near the object's last velocity, and scales by the
  median change of their spread. Fast, follows fast scale changes and deforming
  objects; an occluder crossing the box can capture it.
* ``"csrt"``: OpenCV's discriminative correlation filter. Steady through occluders
  and clutter, but its scale adapts slowly and it can stick to a strongly textured
  background; its confidence is only "found or not".
* ``"hybrid"`` (default): both, each correcting the other (:class:`HybridTracker`).
  Best mean box coverage of the ground-truth objects (0.86 from the first frame,
  0.89 from the middle frame, against 0.75/0.82 for CSRT and 0.77/0.85 for points).

Box trackers keep the box's aspect while objects change shape, so by default the
object's pixels are also followed with dense flow (:mod:`vidfill.masks.support`)
and each box grows to hold them: mean box coverage from the first frame went from
0.86 to 0.96 (worst frame per clip 0.53 to 0.81), precision from 0.31 to 0.21.
Growing the box is a trade: holding the support's box only within half the
tracked box's size around it, or a smaller margin (:data:`BOX_MARGIN` 0 or 0.05),
each bought about 0.01-0.03 of precision for a similar loss of coverage; a missed
object pixel is a visible remnant after filling, so coverage wins.

Occluders: when no point in the box moves like the object any more (it is hidden
behind something crossing the box), the points coast on the object's velocity for
up to :data:`MAX_COAST` frames instead of leaving with the occluder, the hybrid
does not follow a CSRT box that leaves the coasting one, and those frames get no
confidence (flagged lost when it lasts). On a synthetic bar sweeping across an
object (``tests/masks/synthetic.py``, six textures, two bar speeds) the object is
found again after the bar 12 times in 12 by the points (0 before) and 8 in 12 by
the hybrid (1 before); the DAVIS clips' tracks are unchanged.

The object's own motion: in DAVIS bmx-trees (frames 63-79) the rider is small and
blurred in a box twice his width while the camera pans 5-9 pixels a frame: only 0-8
of 60-100 points in the box moved unlike the camera, below the 15% needed to count
as the object, so the box took every point's motion, the camera's, and CSRT (mostly
background in its box) did the same; the box left the rider (worst frame 0.00). Now,
once the object is known to move relative to the camera (:data:`OWN_MOTION`), three
such points suffice; with fewer, dense flow (the box's pixels moving unlike the
camera) gives its motion, else the points coast; and the hybrid overrules a CSRT
box that moves with a moving camera while the object does not. Box coverage on
bmx-trees 0.906 -> 0.999, worst frame 0.00 -> 0.955; the other 7 DAVIS clips' worst
frames unchanged or better (``benchmarks/mask_quality.py``). Overruling CSRT under a
still camera lost dog-agility (worst frame 0.97 -> 0.67), hence :data:`MIN_CAMERA`.
A tolerance on the object's velocity tight enough to refuse the background (0.02 of
the box size instead of 0.05) kept the rider too, but lost dog-agility and
rollerblade: their points' motions spread more than that.

Several keyframes (box + frame) may be given; between two keyframes the two
tracks started from each end are cross-faded, so a later keyframe corrects the
drift of an earlier one, the way compositors' trackers work.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import cv2
import numpy as np
from numpy.typing import NDArray

from vidfill.errors import MaskError
from vidfill.masks.ops import bounding_box
from vidfill.masks.support import new_flow, track_support

Box = tuple[int, int, int, int]
FloatBox = tuple[float, float, float, float]

TRACK_METHODS = ("hybrid", "csrt", "points", "kcf")
# A frame whose confidence falls below this is reported as lost.
LOST_CONFIDENCE = 0.3
# A box with less than this share of its area inside the frame has left it.
VISIBLE_SHARE = 0.25
# A (small) object predicted to be less than this much inside the frame is leaving it:
# from then on its box keeps moving out and is flagged (trackers stop at the border).
GONE_SHARE = 0.5
# The hybrid tracker restarts CSRT when its box and the fused box overlap less.
RESTART_IOU = 0.8
# When the trackers disagree, CSRT may win only if its box moved less than this share
# of the box size in one frame: larger jumps were CSRT latching on to an occluder
# (the tree trunk in front of the rider of DAVIS bmx-trees).
JUMP_SHARE = 0.3
# Frames the point tracker coasts on the object's velocity while no point in the box
# moves like it (the object is hidden behind an occluder crossing the box).
MAX_COAST = 10
# While the object is hidden, CSRT is followed only if its box overlaps the coasting
# box at least this much.
HIDDEN_IOU = 0.5
# Tracking works on frames no larger than this (longest side): LK and CSRT are
# accurate enough at this size and the stored grey frames stay small.
WORK_SIDE = 480
# Tracked boxes are grown by this share of their size on each side, reached a few
# frames from a keyframe (drift grows with the distance from the user's box): the
# trackers keep the box's aspect while arms, rackets and legs reach out of it.
BOX_MARGIN = 0.1
MARGIN_RAMP = 4
# A keyframe box covering at least this share of the frame holds no shape for the
# support to follow (the whole frame moves rigidly with the camera), so the frames
# around it take their support from the other keyframes, when there are any. DAVIS
# motocross-jump frame 20, the bike filling the frame: `benchmarks/mask_quality.py
# --no-overlay --keys 3` refined worst frame 0.693 -> 0.780 (see DEVELOPERS.md).
SHAPELESS_KEY = 0.9
# Motion relative to the camera (tracking pixels per frame) above which the object is
# taken to move on its own; then MIN_MOVING points moving unlike the camera suffice to
# follow it, and when fewer do, dense flow (at least DENSE_MIN_PIXELS pixels moving
# unlike the camera) or coasting replaces the box's points. CSRT is overruled when it
# moves with a camera moving at least MIN_CAMERA while the object does not.
OWN_MOTION = 2.0
MIN_MOVING = 3
DENSE_MIN_PIXELS = 30
MIN_CAMERA = 2.0


@dataclass
class Track:
    """Result of :func:`track_box`: one box per frame, in the frames' pixels.

    Attributes
    ----------
    boxes : list of (x, y, w, h) floats
        The object's box on every frame; it may reach outside the frame.
    confidence : list of float
        0..1 per frame; 1 on keyframes.
    lost : list of bool
        True where the tracker lost the object or the object left the frame.
    supports : list of (x0, y0, bool crop) or None
        The object's pixels followed by flow, per frame, on the reduced tracking
        frames (of size ``support_size``), cropped to their bounding box to keep
        long clips small; None where empty or not followed.
    support_size : (H, W)
        Size of the reduced frames the supports live on.
    keys : list of int
        The frames the user drew boxes on, in order (empty: unknown).
    """

    boxes: list[FloatBox] = field(default_factory=list)
    confidence: list[float] = field(default_factory=list)
    lost: list[bool] = field(default_factory=list)
    supports: list[tuple[int, int, NDArray[np.bool_]] | None] = field(default_factory=list)
    support_size: tuple[int, int] = (0, 0)
    keys: list[int] = field(default_factory=list)

    def support_mask(self, index: int, size: tuple[int, int]) -> NDArray[np.bool_] | None:
        """The object's pixels on frame ``index`` as followed by flow (see
        :mod:`vidfill.masks.support`), at full resolution ``size`` (H, W), or None."""
        if index >= len(self.supports) or self.supports[index] is None:
            return None
        x0, y0, crop = self.supports[index]  # type: ignore[misc]
        small = np.zeros(self.support_size, np.uint8)
        small[y0 : y0 + crop.shape[0], x0 : x0 + crop.shape[1]] = crop
        full = cv2.resize(small, (size[1], size[0]), interpolation=cv2.INTER_LINEAR)
        return full > 0

    def int_boxes(self) -> list[Box]:
        """Boxes rounded outward to whole pixels."""
        out = []
        for x, y, w, h in self.boxes:
            x0, y0 = int(np.floor(x)), int(np.floor(y))
            out.append((x0, y0, int(np.ceil(x + w)) - x0, int(np.ceil(y + h)) - y0))
        return out

    def lost_ranges(self) -> list[tuple[int, int]]:
        """Runs of lost frames as ``[first, last]`` inclusive pairs, for reporting."""
        runs: list[tuple[int, int]] = []
        for index, flag in enumerate(self.lost):
            if flag and runs and runs[-1][1] == index - 1:
                runs[-1] = (runs[-1][0], index)
            elif flag:
                runs.append((index, index))
        return runs


def work_scale(size: tuple[int, int], work_side: int = WORK_SIDE) -> float:
    """Factor that brings a frame of ``size`` (H, W) to at most ``work_side`` pixels."""
    return min(1.0, work_side / max(size))


def to_work_gray(frame: NDArray[np.uint8], scale: float) -> NDArray[np.uint8]:
    """Grey, downscaled copy of an RGB frame for tracking (cheap to keep for a whole clip)."""
    gray = cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY) if frame.ndim == 3 else frame
    if scale < 1.0:
        size = (max(1, round(gray.shape[1] * scale)), max(1, round(gray.shape[0] * scale)))
        gray = cv2.resize(gray, size, interpolation=cv2.INTER_AREA)
    return gray


def visible_share(box: FloatBox, size: tuple[int, int]) -> float:
    """Share of ``box``'s area that lies inside a frame of ``size`` (H, W)."""
    x, y, w, h = box
    inside_w = max(0.0, min(x + w, size[1]) - max(x, 0.0))
    inside_h = max(0.0, min(y + h, size[0]) - max(y, 0.0))
    return inside_w * inside_h / max(w * h, 1e-9)


class PointTracker:
    """Box tracker from the median motion of Lucas-Kanade points inside the box."""

    def __init__(self, max_points: int = 150, fb_error: float = 1.0) -> None:
        self.max_points = max_points
        self.fb_error = fb_error
        self.velocity: NDArray[np.float64] | None = None
        # Frames in a row coasted on the velocity (no point moved like the object).
        self.coasted = 0
        # The camera's motion at the box centre in the last step (from the ring around
        # the box), or None when it could not be fitted.
        self.camera: NDArray[np.float64] | None = None
        self.dense: cv2.DISOpticalFlow | None = None
        self.lk = dict(
            winSize=(15, 15),
            maxLevel=3,
            criteria=(cv2.TERM_CRITERIA_EPS | cv2.TERM_CRITERIA_COUNT, 20, 0.03),
        )

    def _points(self, gray: NDArray[np.uint8], box: FloatBox) -> NDArray[np.float32]:
        height, width = gray.shape
        x, y, w, h = box
        # The inner part of the box: the object usually fills the box's centre while its
        # corners show background, whose motion (a camera pan) would pull the median.
        x0 = int(max(0, x + 0.15 * w))
        y0 = int(max(0, y + 0.15 * h))
        x1 = int(min(width, x + 0.85 * w))
        y1 = int(min(height, y + 0.85 * h))
        if x1 - x0 < 3 or y1 - y0 < 3:
            return np.empty((0, 1, 2), np.float32)
        region = np.zeros_like(gray)
        region[y0:y1, x0:x1] = 255
        corners = cv2.goodFeaturesToTrack(gray, self.max_points, 0.005, 3, mask=region, blockSize=5)
        count = 0 if corners is None else len(corners)
        if count < 20:
            # Flat objects have few corners: a grid still follows them (LK needs only some
            # gradient), and the forward-backward check discards the points that slip.
            gx, gy = np.meshgrid(np.linspace(x0, x1 - 1, 8), np.linspace(y0, y1 - 1, 8))
            grid = np.stack([gx.ravel(), gy.ravel()], 1).astype(np.float32)[:, None, :]
            corners = grid if corners is None else np.concatenate([corners, grid])
        return corners.astype(np.float32)

    def _flow(
        self, prev: NDArray[np.uint8], nxt: NDArray[np.uint8], p0: NDArray[np.float32]
    ) -> tuple[NDArray[np.float32], NDArray[np.float32], NDArray[np.bool_]]:
        """LK from ``prev`` to ``nxt`` with a forward-backward check: (start, end, good)."""
        p1, st1, _ = cv2.calcOpticalFlowPyrLK(prev, nxt, p0, None, **self.lk)
        p0r, st2, _ = cv2.calcOpticalFlowPyrLK(nxt, prev, p1, None, **self.lk)
        fb = np.linalg.norm((p0 - p0r).reshape(-1, 2), axis=1)
        good = (st1.ravel() == 1) & (st2.ravel() == 1) & (fb < self.fb_error)
        return p0.reshape(-1, 2), p1.reshape(-1, 2), good

    def own_motion(self) -> float:
        """How fast the object moved relative to the camera in the last step (tracking
        pixels per frame); 0 when unknown."""
        if self.velocity is None or self.camera is None:
            return 0.0
        return float(np.linalg.norm(self.velocity - self.camera))

    def _dense_shift(
        self,
        prev: NDArray[np.uint8],
        nxt: NDArray[np.uint8],
        box: FloatBox,
        model: NDArray[np.float64],
        own: float,
    ) -> NDArray[np.float64] | None:
        """The object's motion from dense flow: the median flow of the box's pixels that
        move unlike the camera (``model``) by at least half the object's own motion
        ``own``; None when too few do or their motion is far from the object's velocity.

        Used when too few corners move like the object: dense flow also follows the
        object's untextured and blurred parts.
        """
        height, width = prev.shape
        x, y, w, h = box
        x0, y0 = int(max(0, x)), int(max(0, y))
        x1, y1 = int(min(width, x + w)), int(min(height, y + h))
        if x1 - x0 < 8 or y1 - y0 < 8 or self.velocity is None:
            return None
        if self.dense is None:
            self.dense = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_FAST)
        flow = self.dense.calc(prev, nxt, None)[y0:y1, x0:x1]
        xs, ys = np.meshgrid(
            np.arange(x0, x1, dtype=np.float32), np.arange(y0, y1, dtype=np.float32)
        )
        camera = xs[..., None] * model[:, 0] + ys[..., None] * model[:, 1] + model[:, 2]
        camera -= np.stack([xs, ys], -1)
        movers = np.linalg.norm(flow - camera, axis=2) > max(1.0, 0.5 * own)
        if movers.sum() < DENSE_MIN_PIXELS:
            return None
        shift = np.median(flow[movers], axis=0).astype(np.float64)
        sigma = max(2.0, 0.05 * max(w, h))
        if np.linalg.norm(shift - self.velocity) > 2.0 * sigma:
            return None
        return shift

    def _background(
        self, prev: NDArray[np.uint8], nxt: NDArray[np.uint8], box: FloatBox
    ) -> NDArray[np.float64] | None:
        """Affine motion of the ring around the box (the background), or None."""
        height, width = prev.shape
        x, y, w, h = box
        pad_x, pad_y = 0.5 * w + 8, 0.5 * h + 8
        region = np.zeros_like(prev)
        region[
            int(max(0, y - pad_y)) : int(min(height, y + h + pad_y)),
            int(max(0, x - pad_x)) : int(min(width, x + w + pad_x)),
        ] = 255
        region[int(max(0, y)) : int(max(0, y + h)), int(max(0, x)) : int(max(0, x + w))] = 0
        corners = cv2.goodFeaturesToTrack(prev, 100, 0.01, 5, mask=region, blockSize=5)
        if corners is None or len(corners) < 8:
            return None
        a, b, good = self._flow(prev, nxt, corners.astype(np.float32))
        if good.sum() < 8:
            return None
        model, _ = cv2.estimateAffinePartial2D(a[good], b[good], ransacReprojThreshold=1.0)
        return model

    def step(
        self, prev: NDArray[np.uint8], nxt: NDArray[np.uint8], box: FloatBox
    ) -> tuple[FloatBox, float]:
        """Move ``box`` from frame ``prev`` to frame ``nxt``; return the box and a confidence."""
        p0 = self._points(prev, box)
        if len(p0) < 4:
            return box, 0.0
        a, b, good = self._flow(prev, nxt, p0)
        if good.sum() < 4:
            return box, 0.0
        confidence = float(good.mean()) * min(1.0, good.sum() / 10.0)
        a, b = a[good], b[good]
        model = self._background(prev, nxt, box)
        self.camera = None
        if model is not None:
            # Points inside the box that move like the surrounding background are background
            # seen through the box (a camera pan would otherwise drag the box off the object).
            predicted = a @ model[:, :2].T + model[:, 2]
            moving = np.linalg.norm(b - predicted, axis=1) > 1.0
            x, y, w, h = box
            centre = np.array([x + w / 2, y + h / 2])
            self.camera = centre @ model[:, :2].T + model[:, 2] - centre
            own = self.own_motion()
            # An object known to move on its own may show only a few corners among many
            # of the background (a small, blurred rider in a box twice his width, DAVIS
            # bmx-trees): a handful of points moving unlike the camera are then the
            # object, and taking every point instead would move the box with the camera.
            if moving.sum() >= (MIN_MOVING if own > OWN_MOTION else max(4, 0.15 * len(a))):
                a, b = a[moving], b[moving]
            elif own > OWN_MOTION:
                shift = self._dense_shift(prev, nxt, box, model, own)
                if shift is not None:
                    self.coasted = 0
                    self.velocity = shift
                    return (x + shift[0], y + shift[1], w, h), 0.5
                if self.coasted < MAX_COAST:
                    self.coasted += 1
                    return (x + self.velocity[0], y + self.velocity[1], w, h), 0.0  # type: ignore[index]
        motion = b - a
        if self.velocity is None:
            shift = np.median(motion, axis=0)
        else:
            # Objects move smoothly: among the motions seen in the box, prefer those close
            # to the object's last velocity, so an occluder crossing the box (a tree trunk
            # in front of a rider) does not capture the track.
            sigma = max(2.0, 0.05 * max(box[2], box[3]))
            near = np.linalg.norm(motion - self.velocity, axis=1) < 2.0 * sigma
            if near.sum() >= 4:
                self.coasted = 0
                shift = np.median(motion[near], axis=0)
            elif self.coasted < MAX_COAST:
                # No point moves like the object: it is hidden and the points seen in
                # the box are the occluder's (a bar sweeping across it). Coast on the
                # object's velocity rather than leave with the occluder.
                self.coasted += 1
                x, y, w, h = box
                return (x + self.velocity[0], y + self.velocity[1], w, h), 0.0
            else:
                # Hidden for too long to trust the old velocity: take what moves.
                self.coasted = 0
                shift = np.median(motion, axis=0)
        self.velocity = shift
        # Points that move with the median are the object; the rest (occluders, parts
        # moving on their own) are left out of the scale estimate.
        agree = np.linalg.norm((b - a) - shift, axis=1) < max(1.0, 0.03 * max(box[2], box[3]))
        if agree.sum() >= 4:
            a, b = a[agree], b[agree]
        spread0 = np.linalg.norm(a - np.median(a, axis=0), axis=1)
        spread1 = np.linalg.norm(b - np.median(b, axis=0), axis=1)
        keep = spread0 > 2.0
        scale = float(np.median(spread1[keep] / spread0[keep])) if keep.sum() >= 4 else 1.0
        # One frame never changes an object's size by more than a few percent; clamping
        # keeps a bad frame from blowing the box up or collapsing it.
        scale = float(np.clip(scale, 0.93, 1.07))
        x, y, w, h = box
        cx, cy = x + w / 2 + shift[0], y + h / 2 + shift[1]
        w, h = w * scale, h * scale
        return (cx - w / 2, cy - h / 2, w, h), confidence


def _opencv_tracker(method: str) -> cv2.Tracker:
    """A new CSRT or KCF tracker set up for grey frames."""
    if method != "csrt":
        return cv2.TrackerKCF.create()
    # Default settings: fewer scales or a smaller template (about 1.3x faster) lost
    # the object on two of the eight DAVIS clips of benchmarks/mask_quality.py.
    return cv2.TrackerCSRT.create()


class OpenCVTracker:
    """Wrapper of an OpenCV tracker (CSRT or KCF) with the same ``step`` interface."""

    def __init__(self, method: str) -> None:
        self.method = method
        self.tracker: cv2.Tracker | None = None
        # The tracker's own box after its last step or restart (the caller may have
        # moved on from it), or None before the first step.
        self.last: FloatBox | None = None

    def step(
        self, prev: NDArray[np.uint8], nxt: NDArray[np.uint8], box: FloatBox
    ) -> tuple[FloatBox, float]:
        """Move ``box`` from ``prev`` to ``nxt`` (the tracker keeps its own model)."""
        if self.tracker is None:
            self.tracker = _opencv_tracker(self.method)
            rect = tuple(int(round(v)) for v in box)
            self.tracker.init(cv2.cvtColor(prev, cv2.COLOR_GRAY2BGR), rect)
        ok, rect = self.tracker.update(cv2.cvtColor(nxt, cv2.COLOR_GRAY2BGR))
        if not ok:
            return box, 0.0
        self.last = tuple(float(v) for v in rect)  # type: ignore[assignment]
        return self.last, 1.0  # type: ignore[return-value]

    def restart(self, gray: NDArray[np.uint8], box: FloatBox) -> None:
        """Start afresh from ``box`` on ``gray`` (after another tracker corrected it)."""
        self.tracker = _opencv_tracker(self.method)
        self.last = box
        x, y, w, h = box
        height, width = gray.shape
        # OpenCV refuses boxes reaching outside the image.
        x0, y0 = int(max(0, round(x))), int(max(0, round(y)))
        x1, y1 = int(min(width, round(x + w))), int(min(height, round(y + h)))
        if x1 - x0 < 4 or y1 - y0 < 4:
            self.tracker = None
            return
        self.tracker.init(cv2.cvtColor(gray, cv2.COLOR_GRAY2BGR), (x0, y0, x1 - x0, y1 - y0))


def box_iou(a: FloatBox, b: FloatBox) -> float:
    """Intersection over union of two ``(x, y, w, h)`` boxes."""
    ix = max(0.0, min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1]))
    inter = ix * iy
    return inter / max(a[2] * a[3] + b[2] * b[3] - inter, 1e-9)


def _histogram(gray: NDArray[np.uint8], box: FloatBox) -> NDArray[np.float32] | None:
    """Normalised grey histogram of the inner part of ``box`` (the object's look)."""
    x, y, w, h = box
    height, width = gray.shape
    x0, y0 = int(max(0, x + 0.15 * w)), int(max(0, y + 0.15 * h))
    x1, y1 = int(min(width, x + 0.85 * w)), int(min(height, y + 0.85 * h))
    if x1 - x0 < 2 or y1 - y0 < 2:
        return None
    hist = cv2.calcHist([gray[y0:y1, x0:x1]], [0], None, [32], [0, 256])
    return cv2.normalize(hist, hist, 1.0, 0.0, cv2.NORM_L1)


class HybridTracker:
    """CSRT and Lucas-Kanade points together, each correcting the other.

    CSRT holds on through occluders and clutter but adapts its scale slowly and can
    stick to a strongly textured background; the points follow fast scale changes and
    deforming objects but can be captured by an occluder. When they agree, the box
    takes CSRT's position and the points' size; when they disagree, the one whose
    content looks more like the object on the keyframe (grey histogram) wins, and
    CSRT is restarted there if it was the one that went astray.
    """

    def __init__(self) -> None:
        self.points = PointTracker()
        self.csrt = OpenCVTracker("csrt")
        self.model: NDArray[np.float32] | None = None

    def _likeness(self, gray: NDArray[np.uint8], box: FloatBox) -> float:
        hist = _histogram(gray, box)
        if hist is None or self.model is None:
            return 0.0
        return 1.0 - cv2.compareHist(self.model, hist, cv2.HISTCMP_BHATTACHARYYA)

    def _csrt_on_background(
        self,
        box: FloatBox,
        csrt_before: FloatBox,
        by_csrt: FloatBox,
        by_points: FloatBox,
        hidden: bool,
    ) -> bool:
        """Whether CSRT moved with the camera while the object moves on its own.

        A correlation filter on a box that is mostly background (the object small in
        it, or hidden) follows the background; the points know the object's motion
        relative to the camera. Only with a moving camera: under a still one, "moved
        like the camera" is "stood still", which a lagging CSRT also does.
        """
        camera = getattr(self.points, "camera", None)
        if camera is None:
            return False
        own = self.points.own_motion()
        if np.linalg.norm(camera) < MIN_CAMERA or own <= OWN_MOTION:
            return False
        # CSRT's move from its own last box: when it was overruled, ``box`` is not it.
        moved = np.array(_centre_shift(csrt_before, by_csrt))
        if np.linalg.norm(moved - camera) >= 0.5 * own:
            return False
        points_moved = np.array(_centre_shift(box, by_points))
        return hidden or bool(np.linalg.norm(points_moved - camera) > 0.5 * own)

    def step(
        self, prev: NDArray[np.uint8], nxt: NDArray[np.uint8], box: FloatBox
    ) -> tuple[FloatBox, float]:
        """Move ``box`` from ``prev`` to ``nxt``."""
        if self.model is None:
            self.model = _histogram(prev, box)
        by_points, confidence = self.points.step(prev, nxt, box)
        csrt_before = getattr(self.csrt, "last", None) or box
        by_csrt, found = self.csrt.step(prev, nxt, box)
        hidden = confidence <= 0.0 and getattr(self.points, "coasted", 0) > 0
        if found > 0.0 and self._csrt_on_background(box, csrt_before, by_csrt, by_points, hidden):
            if hidden:
                return by_points, 0.0
            self.csrt.restart(nxt, by_points)
            return by_points, confidence
        if hidden and (found <= 0.0 or box_iou(by_points, by_csrt) < HIDDEN_IOU):
            # The object is hidden (its points coast on its velocity) and CSRT went
            # elsewhere: with the occluder. Coast, with no confidence (flagged lost).
            return by_points, 0.0
        if confidence <= 0.0 and found <= 0.0:
            return box, 0.0
        if confidence <= 0.0:
            return by_csrt, 0.5
        if found <= 0.0 or box_iou(by_points, by_csrt) < 0.5:
            if (
                found > 0.0
                and _jump(box, by_csrt) < JUMP_SHARE
                and self._likeness(nxt, by_csrt) > self._likeness(nxt, by_points)
            ):
                return by_csrt, 0.5 * confidence
            # CSRT went astray (stuck on background texture): restart it on the points.
            self.csrt.restart(nxt, by_points)
            return by_points, confidence
        # Agreement: CSRT's centre is steadier, the points' size follows scale faster.
        cx, cy = by_csrt[0] + by_csrt[2] / 2, by_csrt[1] + by_csrt[3] / 2
        w, h = by_points[2], by_points[3]
        fused = (cx - w / 2, cy - h / 2, w, h)
        # CSRT's own size adapts slowly: once it is well off, restart it at the new
        # size (a restart costs about as much as ten updates, so not every frame).
        if box_iou(fused, by_csrt) < RESTART_IOU:
            self.csrt.restart(nxt, fused)
        return fused, confidence


def _centre_shift(before: FloatBox, after: FloatBox) -> tuple[float, float]:
    """How far the box centre moved, (dx, dy) in pixels."""
    return (
        after[0] + after[2] / 2 - before[0] - before[2] / 2,
        after[1] + after[3] / 2 - before[1] - before[3] / 2,
    )


def _jump(before: FloatBox, after: FloatBox) -> float:
    """How far the box centre moved, as a share of the box's larger side."""
    dx = after[0] + after[2] / 2 - before[0] - before[2] / 2
    dy = after[1] + after[3] / 2 - before[1] - before[3] / 2
    return float(np.hypot(dx, dy)) / max(before[2], before[3], 1e-9)


def _make_tracker(method: str) -> PointTracker | OpenCVTracker | HybridTracker:
    if method == "points":
        return PointTracker()
    if method == "hybrid":
        return HybridTracker()
    if method in ("csrt", "kcf"):
        return OpenCVTracker(method)
    raise MaskError(f"unknown tracker {method!r}; choose one of {', '.join(TRACK_METHODS)}")


def _run(
    grays: Sequence[NDArray[np.uint8]], box: FloatBox, order: Iterable[int], method: str
) -> dict[int, tuple[FloatBox, float]]:
    """Track ``box`` over the frames in ``order`` (first index = where ``box`` is known)."""
    order = list(order)
    tracker = _make_tracker(method)
    result = {order[0]: (box, 1.0)}
    current = box
    confidence = 1.0
    velocity = (0.0, 0.0)
    gone = False
    size = grays[order[0]].shape
    for prev, nxt in zip(order, order[1:], strict=False):
        predicted = (current[0] + velocity[0], current[1] + velocity[1], current[2], current[3])
        # An object about to leave the frame is gone: trackers near the border latch on
        # to background instead (CSRT still says "found"). Keep it moving out, flagged.
        small = predicted[2] < 0.5 * size[1] and predicted[3] < 0.5 * size[0]
        if gone or (small and visible_share(predicted, size) < GONE_SHARE):
            gone = True
            current = predicted
            confidence *= 0.5
            result[nxt] = (current, confidence)
            continue
        stepped, step_conf = tracker.step(grays[prev], grays[nxt], current)
        if step_conf > 0.0:
            moved = (
                stepped[0] + stepped[2] / 2 - current[0] - current[2] / 2,
                stepped[1] + stepped[3] / 2 - current[1] - current[3] / 2,
            )
            velocity = (0.5 * velocity[0] + 0.5 * moved[0], 0.5 * velocity[1] + 0.5 * moved[1])
            current = stepped
        else:
            # Lost for a moment (occlusion, blur): coast on the last velocity, slowing down.
            velocity = (0.8 * velocity[0], 0.8 * velocity[1])
            current = (current[0] + velocity[0], current[1] + velocity[1], current[2], current[3])
        # Confidence decays smoothly so one bad frame does not flag a whole run.
        confidence = 0.5 * confidence + 0.5 * step_conf
        result[nxt] = (current, confidence)
    return result


def track_box(
    frames: Sequence[NDArray[np.uint8]],
    box: Box | FloatBox,
    at: int = 0,
    *,
    keyframes: Sequence[tuple[Box | FloatBox, int]] = (),
    method: str = "hybrid",
    scale: float | None = None,
    follow_shape: bool = True,
) -> Track:
    """Track an object marked by ``box`` on frame ``at`` through every frame of ``frames``.

    Parameters
    ----------
    frames : sequence of uint8 (H, W, 3) or (H, W)
        The clip, RGB or grey. Frames are converted to grey and downscaled
        (longest side :data:`WORK_SIDE`) unless ``scale`` says otherwise; pass
        already reduced grey frames with ``scale`` = their factor to save memory.
    box : (x, y, w, h)
        The object on frame ``at``, in full-resolution pixels.
    at : int
        Frame on which ``box`` was drawn; tracking runs forward and backward from it.
    keyframes : sequence of (box, frame)
        More boxes on other frames; between two keyframes the tracks from both
        ends are cross-faded, so each keyframe corrects the drift.
    method : str
        ``"hybrid"`` (CSRT + points, default), ``"csrt"``, ``"points"`` (Lucas-Kanade
        points, fastest) or ``"kcf"``.
    scale : float, optional
        Factor from full-resolution pixels to the pixels of ``frames``, when the
        caller already reduced them (e.g. 0.5). None: reduce here.
    follow_shape : bool
        Also follow the object's pixels with optical flow
        (:mod:`vidfill.masks.support`) and grow each box to hold them and a margin
        (:data:`BOX_MARGIN`), so the box follows shape changes that a box tracker
        misses. The supports are kept in the track for refinement.

    Returns
    -------
    Track
        Boxes (full-resolution pixels), confidences and lost flags per frame.

    Raises
    ------
    MaskError
        For no frames, a keyframe beyond the clip or a box outside the frame.
    """
    count = len(frames)
    if count == 0:
        raise MaskError("no frames to track in")
    keys = sorted(
        [(int(at), tuple(map(float, box)))] + [(int(f), tuple(map(float, b))) for b, f in keyframes]
    )
    if scale is None:
        full_size = frames[0].shape[:2]
        scale = work_scale(full_size)
        grays: Sequence[NDArray[np.uint8]] = [to_work_gray(f, scale) for f in frames]
    else:
        grays = [f if f.ndim == 2 else cv2.cvtColor(f, cv2.COLOR_RGB2GRAY) for f in frames]
        full_size = (round(grays[0].shape[0] / scale), round(grays[0].shape[1] / scale))
    for frame_index, key_box in keys:
        if not 0 <= frame_index < count:
            raise MaskError(f"frame {frame_index} is beyond the clip's {count} frames")
        if visible_share(key_box, full_size) <= 0.0:  # type: ignore[arg-type]
            x, y, w, h = key_box
            raise MaskError(
                f"box {x:g},{y:g},{w:g},{h:g} lies outside the {full_size[1]}x{full_size[0]} frame"
            )

    def scaled(b: FloatBox) -> FloatBox:
        return (b[0] * scale, b[1] * scale, b[2] * scale, b[3] * scale)

    boxes: list[FloatBox] = [(0.0, 0.0, 0.0, 0.0)] * count
    confs = [0.0] * count
    first_at, first_box = keys[0]
    for index, (b, c) in _run(grays, scaled(first_box), range(first_at, -1, -1), method).items():
        boxes[index], confs[index] = b, c
    last_at, last_box = keys[-1]
    for index, (b, c) in _run(grays, scaled(last_box), range(last_at, count), method).items():
        boxes[index], confs[index] = b, c
    for (a_at, a_box), (b_at, b_box) in zip(keys, keys[1:], strict=False):
        if b_at == a_at:
            continue
        forward = _run(grays, scaled(a_box), range(a_at, b_at + 1), method)
        backward = _run(grays, scaled(b_box), range(b_at, a_at - 1, -1), method)
        for index in range(a_at, b_at + 1):
            weight = (index - a_at) / (b_at - a_at)
            fa, ca = forward[index]
            fb, cb = backward[index]
            # A track that lost confidence gives way to the other one.
            if ca + cb > 0:
                weight = weight * cb / ((1 - weight) * ca + weight * cb + 1e-9)
            boxes[index] = tuple(  # type: ignore[assignment]
                (1 - weight) * va + weight * vb for va, vb in zip(fa, fb, strict=False)
            )
            confs[index] = (1 - weight) * ca + weight * cb
    track = Track(support_size=grays[0].shape[:2], keys=sorted({k for k, _ in keys}))
    key_frames = np.array([k for k, _ in keys])
    supports = _supports(grays, [(k, scaled(b)) for k, b in keys]) if follow_shape else {}
    for index, (b, c) in enumerate(zip(boxes, confs, strict=False)):
        full = (b[0] / scale, b[1] / scale, b[2] / scale, b[3] / scale)
        track.confidence.append(c)
        track.lost.append(c < LOST_CONFIDENCE or visible_share(full, full_size) < VISIBLE_SHARE)
        if not follow_shape:
            track.boxes.append(full)
            continue
        distance = int(np.abs(key_frames - index).min())
        margin = BOX_MARGIN * min(1.0, distance / MARGIN_RAMP)
        grown = grow_box(b, margin)
        crop = _crop(supports.get(index))
        track.supports.append(crop)
        if crop is not None:
            x0, y0, mask = crop
            grown = union_box(grown, (x0, y0, mask.shape[1], mask.shape[0]))
        track.boxes.append(tuple(v / scale for v in grown))  # type: ignore[arg-type]
    return track


def grow_box(box: FloatBox, share: float) -> FloatBox:
    """``box`` grown by ``share`` of its width and height on each side."""
    x, y, w, h = box
    return (x - share * w, y - share * h, w * (1 + 2 * share), h * (1 + 2 * share))


def union_box(a: FloatBox, b: FloatBox) -> FloatBox:
    """The smallest box holding both ``(x, y, w, h)`` boxes."""
    x0, y0 = min(a[0], b[0]), min(a[1], b[1])
    x1, y1 = max(a[0] + a[2], b[0] + b[2]), max(a[1] + a[3], b[1] + b[3])
    return (x0, y0, x1 - x0, y1 - y0)


def _crop(mask: NDArray[np.bool_] | None) -> tuple[int, int, NDArray[np.bool_]] | None:
    """``mask`` cut to its bounding box, as (x0, y0, crop); None when empty."""
    box = None if mask is None else bounding_box(mask)
    if box is None:
        return None
    x0, y0, w, h = box
    return x0, y0, mask[y0 : y0 + h, x0 : x0 + w].copy()


def _supports(
    grays: Sequence[NDArray[np.uint8]], keys: Sequence[tuple[int, FloatBox]]
) -> dict[int, NDArray[np.bool_]]:
    """The object's support on every frame, followed from the nearest keyframe (in
    reduced-frame pixels); each keyframe starts from its box. Keyframes whose box
    covers :data:`SHAPELESS_KEY` of the frame are skipped unless all do."""
    size = grays[0].shape[:2]
    shaped = [
        (at, box)
        for at, box in keys
        if box_to_mask(box, size).sum() < SHAPELESS_KEY * size[0] * size[1]
    ]
    keys = shaped or list(keys)
    flow = new_flow()
    count = len(grays)
    result: dict[int, NDArray[np.bool_]] = {}
    for number, (at, box) in enumerate(keys):
        start = box_to_mask(box, size)
        # Forward to half-way to the next keyframe (or the end), backward likewise.
        stop = count - 1 if number == len(keys) - 1 else (at + keys[number + 1][0]) // 2
        first = 0 if number == 0 else (keys[number - 1][0] + at) // 2 + 1
        result.update(track_support(grays, start, range(at, stop + 1), flow))
        result.update(track_support(grays, start, range(at, first - 1, -1), flow))
    return result


def box_to_mask(box: Box | FloatBox, size: tuple[int, int]) -> NDArray[np.bool_]:
    """A ``(H, W)`` mask that is True inside ``box`` (clipped to the frame)."""
    x, y, w, h = box
    mask = np.zeros(size, dtype=bool)
    x0, y0 = max(0, int(np.floor(x))), max(0, int(np.floor(y)))
    x1, y1 = min(size[1], int(np.ceil(x + w))), min(size[0], int(np.ceil(y + h)))
    if x1 > x0 and y1 > y0:
        mask[y0:y1, x0:x1] = True
    return mask
