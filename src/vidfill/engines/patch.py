"""Exemplar (patch) synthesis engine: fills that stay still over time.

Synthesising every frame on its own makes the fill boil: each frame invents
a different texture. This engine synthesises once per window and carries the
result to every frame instead.

* **Still camera** -- the common "remove a logo / caption / watermark" case.
  The global motion of every frame against the first is measured (median DIS
  flow outside the holes); when it stays under ``static_threshold`` pixels
  the window collapses into one *clean plate*: one real frame (the one hiding
  least, the last such), whose hidden pixels take the temporal median of the
  frames that show them. Pixels no frame shows are synthesised once, on the
  plate, by :func:`vidfill.fill.patch.fill_patch`. Every frame's hole is then
  copied from the plate (never resampled), so a static hole gets the
  identical fill in every frame. Frames the previous window already finished
  arrive with an empty hole and are chosen as the plate, so a static hole's
  fill carries over the window boundary unchanged instead of being
  re-invented.
* **Nearly still camera** (a drift or sway of up to ``drift_threshold``
  pixels): the same mosaic plate as for a moving camera (below), but the
  motion is one sub-pixel translation per frame, measured against the first
  frame directly by the median of the flow. Homographies chained over the
  band around the hole add up every pair's error, and moving texture there
  (a river) biases every pair the same way: on devil-sample (20 frames, the
  camera drifting by under 2 px, a river under the box) they put the hole's
  centre 8 px and a 10% zoom away by the last frame, and the fill slid
  against its surroundings. Where the chained homographies align the band
  around the hole with the first frame better, they are kept: when most of
  the frame moves on its own (carphone's car window), the median follows it.
* **Moving camera** (a pan, or a larger hand-held jitter): the frames are
  registered by chained homographies fitted around the holes, and the same
  plate is built on a canvas that covers them all (a mosaic): what the hole
  hides in one frame, another usually shows; only what none shows is
  synthesised, once. Each frame's hole is resampled from the plate, where
  nearby frames (``local_span``) show it from their median, so what passes
  through the hole stays; a frame whose surroundings of the hole disagree
  with the plate (something crosses it) is synthesised on its own, warm-started
  from the plate, within ``frame_reach`` of what changed (the rest of its hole
  keeps the plate's fill). ``benchmarks/patch_quality.py`` (20 frames; against
  per-frame Telea; per-frame warm starts before -> this engine), 11 cases on
  devil-sample, schoolgirls, rollerblade, tennis: flicker ratio after flow
  compensation 0.92 -> 0.78, after camera compensation 0.79 -> 0.54, texture
  ratio 0.64 -> 0.74, PSNR -0.33 -> +0.06 dB; 21 cases on 9 clips: flicker
  0.86 -> 0.85 (camera 0.78 -> 0.60), texture 0.62 -> 0.78, PSNR +0.52 ->
  +0.42 dB (captions over moving content lose: bikes -6.1 dB where the old
  per-frame fill had +1.9).
  When no homography fits or the canvas would grow too large, each frame is
  synthesised with the previous result, moved with the camera, as the starting
  guess and the frames ``source_gap`` before and after as extra sources.
"""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np
from numpy.typing import NDArray

from vidfill.fill.patch import fill_patch
from vidfill.flow.complete import fit_homography

__all__ = ["PatchEngine", "camera_shifts", "clean_plate"]

# Global motion is measured on frames shrunk to about this width: it needs no
# detail, and DIS gets very cheap.
_MOTION_WIDTH = 320

# The homographies of the mosaic are fitted to DIS flow on frames shrunk to
# about this width. At _MOTION_WIDTH (320) the pair steps were off by 2.5 px
# in tennis's caption (a fast pan over clay): photometric error in the hole
# of the true frames moved by them 4.07 grey levels against 2.74 at 640
# (rollerblade's caption 4.79 -> 4.13, tennis's bg-box 3.94 -> 3.59).
_REGISTER_WIDTH = 640

# The mosaic of a moving shot may cover at most this many frame areas; a
# longer pan falls back to per-frame synthesis.
_MAX_CANVAS = 6.0

# Camera motion for the mosaic is fitted within this many hole depths of the
# holes (plus a margin).
_BAND = 2.0

# Frames are warped onto the plate bilinearly: the temporal median there
# smooths anyway, and bicubic measured texture +0.03 for -0.14 dB (8 cases on
# devil-sample, rollerblade, tennis). How the plate is read back per frame
# is the ``interpolation`` option.
_RESAMPLE = cv2.INTER_LINEAR

# fill_patch's guide weight for this engine. fill_patch's own default (0.7)
# suits the flow engine's leftovers, where PSNR rules; this engine is chosen
# for texture. With bicubic resampling of the plate, on the 11 cases of
# benchmarks/patch_quality.py (20 frames): texture ratio 0.64 -> 0.75 (up on
# every case), PSNR against Telea -0.01 -> -0.28 dB (down on 10 of 11, by
# 0.1-0.7 dB), flicker ratio after flow compensation 0.61 -> 0.72 (the
# ground truth's own is 1.15: sharp texture "flickers" under resampling).
_GUIDE_WEIGHT = 0.3

# A frame whose known pixels next to the hole differ from the plate (by more
# than _RING_TOLERANCE grey levels in some channel) on more than _RING_SHARE
# of that ring is synthesised on its own instead (see _fill_mosaic).
_RING_TOLERANCE = 40
_RING_SHARE = 0.15

_INTERPOLATION = {
    "linear": cv2.INTER_LINEAR,
    "cubic": cv2.INTER_CUBIC,
    "lanczos": cv2.INTER_LANCZOS4,
}


def _small_grey(frame: NDArray[np.uint8], scale: float) -> NDArray[np.uint8]:
    grey = cv2.cvtColor(np.ascontiguousarray(frame), cv2.COLOR_RGB2GRAY)
    if scale != 1.0:
        grey = cv2.resize(grey, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    return grey


def camera_shifts(
    frames: NDArray[np.uint8],
    holes: NDArray[np.bool_],
    *,
    chained: bool = False,
    precise: bool = False,
) -> NDArray[np.float64]:
    """Global translation of every frame against the first one, in pixels.

    The median of a dense DIS flow over the known pixels: unlike phase
    correlation it is not pulled by a large moving region (people walking,
    a river) as long as the background is most of the frame.

    Parameters
    ----------
    frames : ndarray of uint8, shape (T, H, W, 3)
    holes : ndarray of bool, shape (T, H, W)
        Pixels ignored for the estimate (the removed object moves on its own).
    chained : bool
        Measure each frame against the previous one and accumulate (robust to
        large motion) instead of against frame 0 directly (exact for small).
    precise : bool
        DIS's "medium" preset instead of "ultrafast": about 3x the time, and
        sub-pixel shifts a few tenths of a pixel closer (ultrafast measured
        1.28 px for a drift of 1.65 px on a smooth synthetic texture).

    Returns
    -------
    ndarray of float64, shape (T, 2)
        ``(dx, dy)`` such that content at ``p`` in frame 0 is at about
        ``p + (dx, dy)`` in frame ``t``.
    """
    count, _, width = holes.shape
    scale = min(1.0, _MOTION_WIDTH / width)
    greys = [_small_grey(f, scale) for f in frames]
    shifts = np.zeros((count, 2))
    if min(greys[0].shape) < 16:
        return shifts
    preset = cv2.DISOPTICAL_FLOW_PRESET_MEDIUM if precise else cv2.DISOPTICAL_FLOW_PRESET_ULTRAFAST
    dis = cv2.DISOpticalFlow_create(preset)
    for t in range(1, count):
        ref = t - 1 if chained else 0
        flow = dis.calc(greys[ref], greys[t], None)
        hidden = holes[ref] | holes[t]
        if scale != 1.0:
            hidden = cv2.resize(
                hidden.astype(np.uint8), flow.shape[1::-1], interpolation=cv2.INTER_NEAREST
            ).astype(bool)
        use = flow[~hidden] if (~hidden).sum() > 64 else flow.reshape(-1, 2)
        step = np.median(use, axis=0) / scale
        shifts[t] = shifts[ref] + step if chained else step
    return shifts


def clean_plate(
    frames: NDArray[np.uint8], holes: NDArray[np.bool_]
) -> tuple[NDArray[np.uint8], NDArray[np.bool_]]:
    """Temporal median of the values each pixel shows outside its holes.

    Parameters
    ----------
    frames : ndarray of uint8, shape (T, H, W, 3)
        Frames of a static shot.
    holes : ndarray of bool, shape (T, H, W)

    Returns
    -------
    plate : ndarray of uint8, shape (H, W, 3)
        The background estimate; pixels no frame shows are left as in
        ``frames[0]``.
    seen : ndarray of bool, shape (H, W)
        True where at least one frame shows the pixel.
    """
    seen = ~holes.all(axis=0)
    plate = frames[0].copy()
    # Only pixels hidden somewhere need a median; elsewhere every frame is
    # known and the median of the window is still the robust choice, but
    # outside the holes the orchestrator keeps the input pixels anyway.
    region = holes.any(axis=0) & seen
    if region.any():
        ys, xs = np.nonzero(region)
        values = frames[:, ys, xs, :].astype(np.float32)  # (T, N, 3)
        values[holes[:, ys, xs]] = np.nan
        plate[ys, xs] = np.clip(np.rint(np.nanmedian(values, axis=0)), 0, 255).astype(np.uint8)
    return plate, seen


def _shift(image: NDArray, dx: float, dy: float, *, nearest: bool = False, border=0):
    """``out(p) = image(p + (dx, dy))``; an exact copy when the shift is zero."""
    if dx == 0.0 and dy == 0.0:
        return image.copy()
    move = np.float32([[1, 0, dx], [0, 1, dy]])
    flags = (cv2.INTER_NEAREST if nearest else cv2.INTER_LINEAR) | cv2.WARP_INVERSE_MAP
    return cv2.warpAffine(
        image,
        move,
        (image.shape[1], image.shape[0]),
        flags=flags,
        borderMode=cv2.BORDER_CONSTANT if nearest else cv2.BORDER_REPLICATE,
        borderValue=border,
    )


def _pick_shifts(frames, holes, direct, chained, *, whole: bool = True):
    """Per frame, the candidate shift that aligns it best with frame 0.

    The direct estimate has no drift but DIS can miss a shift of several
    pixels; the chained one never misses but drifts. The photometric error
    outside the holes decides. ``whole``: the candidates are rounded to whole
    pixels (and so is the answer).
    """
    scale = min(1.0, _MOTION_WIDTH / frames.shape[2])
    ref = _small_grey(frames[0], scale).astype(np.float32)
    keep = ~holes[0]
    pick = np.rint if whole else np.asarray
    best = np.array(pick(direct), np.float64)
    for t in range(1, frames.shape[0]):
        cur = _small_grey(frames[t], scale).astype(np.float32)
        errors = []
        for cand in (pick(direct[t]), pick(chained[t])):
            dx, dy = cand * scale
            moved = _shift(cur, dx, dy)
            seen = _shift((keep & ~holes[t]).astype(np.uint8), 0, 0)
            if scale != 1.0:
                seen = cv2.resize(seen, ref.shape[::-1], interpolation=cv2.INTER_NEAREST)
            seen = seen.astype(bool) & (_shift(np.ones_like(seen), dx, dy, nearest=True) > 0)
            errors.append(np.median(np.abs(moved - ref)[seen]) if seen.any() else np.inf)
        if errors[1] < errors[0]:
            best[t] = pick(chained[t])
    return best


def _median(values: NDArray[np.float32]) -> NDArray[np.uint8]:
    """Per-pixel median over axis 0 of values with NaN gaps (each column has one value)."""
    return np.clip(np.rint(np.nanmedian(values, axis=0)), 0, 255).astype(np.uint8)


def _band_around(holes: NDArray[np.bool_]) -> NDArray[np.bool_]:
    """Pixels within the registration band of the holes' union (holes included).

    The band is ``_BAND`` times the union's depth (its largest distance to
    the edge) plus 16 px wide: the motion that matters for the plate.
    """
    union = holes.any(axis=0).astype(np.uint8)
    depth = float(cv2.distanceTransform(union, cv2.DIST_L2, 3).max())
    return cv2.distanceTransform(1 - union, cv2.DIST_L2, 3) <= _BAND * depth + 16.0


def _near_change(
    hole: NDArray[np.bool_], edge: NDArray[np.bool_], changed: NDArray[np.bool_], reach: float
) -> NDArray[np.bool_]:
    """The part of ``hole`` within ``reach`` px of the ring pixels that changed.

    Parameters
    ----------
    hole : ndarray of bool, shape (H, W)
    edge : ndarray of bool, shape (H, W)
        The ring around the hole that was compared with the plate.
    changed : ndarray of bool, shape (N,)
        Per pixel of ``edge`` (in ``np.nonzero`` order), whether it differs
        from the plate.
    reach : float
        Distance in pixels.
    """
    far = np.ones(hole.shape, np.uint8)
    ys, xs = np.nonzero(edge)
    far[ys[changed], xs[changed]] = 0
    return hole & (cv2.distanceTransform(far, cv2.DIST_L2, 3) <= reach)


def _band_error(
    frames: NDArray[np.uint8], holes: NDArray[np.bool_], to_first: list[NDArray]
) -> float:
    """How well ``to_first`` aligns the frames with frame 0 around the holes.

    The median absolute grey difference between frame 0 and every other
    frame moved onto it, over the band around the holes that both show (the
    band :func:`_register` fits), averaged over the frames.
    """
    count, height, width = holes.shape
    ring = cv2.getStructuringElement(cv2.MORPH_RECT, (9, 9))
    band = _band_around(holes)
    band &= ~cv2.dilate(holes[0].astype(np.uint8), ring).astype(bool)
    first = cv2.cvtColor(frames[0], cv2.COLOR_RGB2GRAY).astype(np.float32)
    errors = []
    for t in range(1, count):
        grey = cv2.cvtColor(frames[t], cv2.COLOR_RGB2GRAY).astype(np.float32)
        moved = cv2.warpPerspective(grey, to_first[t], (width, height), flags=cv2.INTER_LINEAR)
        shown = ~cv2.dilate(holes[t].astype(np.uint8), ring).astype(bool)
        shown = cv2.warpPerspective(
            shown.astype(np.uint8), to_first[t], (width, height), flags=cv2.INTER_NEAREST
        ).astype(bool)
        use = band & shown
        if use.any():
            errors.append(float(np.median(np.abs(moved - first)[use])))
    return float(np.mean(errors)) if errors else np.inf


def _register(frames: NDArray[np.uint8], holes: NDArray[np.bool_]) -> list[NDArray] | None:
    """Homographies taking every frame's pixel coordinates to frame 0's.

    Chained over consecutive pairs (each pair moves little, so DIS and RANSAC
    are reliable), on frames shrunk to ``_REGISTER_WIDTH``. Only the band
    around the holes is fitted, holes excluded: the plate is only read inside
    the holes, and a scene is rarely one plane (a court and the wall behind
    it move differently in a pan), so the motion that matters is the local
    one. None when a pair has no fit.
    """
    count, height, width = holes.shape
    scale = min(1.0, _REGISTER_WIDTH / width)
    greys = [_small_grey(f, scale) for f in frames]
    if min(greys[0].shape) < 16:
        return None
    small = greys[0].shape[::-1]
    zoom = np.diag([scale, scale, 1.0])
    dis = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM)
    ring = cv2.getStructuringElement(cv2.MORPH_RECT, (9, 9))
    far = ~_band_around(holes)
    band = cv2.resize(far.astype(np.uint8), small, interpolation=cv2.INTER_NEAREST) > 0
    to_first = [np.eye(3)]
    for t in range(1, count):
        flow = dis.calc(greys[t - 1], greys[t], None)
        hidden = cv2.dilate((holes[t - 1] | holes[t]).astype(np.uint8), ring)
        hidden = cv2.resize(hidden, small, interpolation=cv2.INTER_NEAREST).astype(bool)
        step = fit_homography(flow, hidden | band, step=3)
        if step is None:
            step = fit_homography(flow, hidden, step=4)
        if step is None:
            return None
        # ``step`` maps frame t-1 to frame t (in shrunk pixels).
        step = np.linalg.inv(zoom) @ step @ zoom
        to_first.append(to_first[-1] @ np.linalg.inv(step))
    return to_first


class PatchEngine:
    """Fill a window by exemplar synthesis, kept still over time.

    Parameters
    ----------
    patch_size : int
        Patch side for :func:`vidfill.fill.patch.fill_patch`.
    seed : int
        Random seed of the synthesis (the same for every frame, which also
        helps frame-to-frame stability).
    static_threshold : float
        Largest global shift (pixels, against the window's first frame) for
        which the shot is treated as still: one plate, copied without
        resampling. Above it (a hand-held jitter of a pixel or two included)
        the mosaic follows the camera with sub-pixel motion (a translation up
        to ``drift_threshold``, homographies beyond); whole-pixel
        shifts left the fill up to half a pixel off the background in every
        frame, which measured as flicker (devil-sample, rollerblade).
    drift_threshold : float
        Largest global shift (pixels, chained over the window) for which the
        motion is taken as one translation per frame (see the module
        docstring) rather than chained homographies. On
        ``benchmarks/patch_quality.py`` (20 frames) only devil-sample's shift
        (under 2 px) falls between 0.5 and 3: box flicker ratio 2.45 -> 1.52,
        raw change 3.56 -> 2.24 x Telea's; caption raw 0.91 -> 0.58 but
        flicker ratio 0.86 -> 1.16 (the flow there is the river's, which the
        chained homographies had followed). carphone (2.2 px) keeps the
        homographies, which align it better (see :func:`_band_error`).
    source_gap : int
        With a moving camera, the frames this far before and after each frame
        are searched for patches too (0: the frame alone), where the mosaic
        plate cannot be built.
    mosaic : bool
        With a moving camera, build one mosaic plate and carry it to every
        frame (False: synthesise every frame, warm-started from the last).
    local_span : int
        With the mosaic, what the hole hides in frame t is the median of the
        frames up to this far before and after t that show it (0: of the
        whole window, i.e. the background without anything passing through).
    interpolation : {"linear", "cubic", "lanczos"}
        How each frame's hole is resampled from the mosaic plate. Sharper
        kernels keep more texture and cost steadiness and PSNR (11 cases of
        ``benchmarks/patch_quality.py`` at fill_patch's default guide: cubic
        against linear, texture ratio 0.68 vs 0.64, flicker ratio 0.69 vs
        0.61, PSNR -0.08 dB; lanczos about the same as cubic).
    frame_em_iters : int or None
        EM iterations a level for the frames synthesised one by one (a
        crossing object, or no mosaic); None: those of ``fill_options``. The
        plate is synthesised once a window and keeps ``fill_options``'.
        Fewer iterations from the plate's warm start keep each frame closer
        to it (see the figures in DEVELOPERS.md).
    frame_reach : float or None
        Such a frame re-synthesises only the part of its hole within this
        many pixels of the ring pixels that differ from the plate (something
        passing beside the hole); the rest keeps the plate's fill, so content
        away from the change stays as in the other frames. None: the whole
        hole. ``benchmarks/patch_quality.py --frames 20``, None -> 16:
        rollerblade box flicker ratio 0.51 -> 0.36, tennis box 0.63 -> 0.49
        (texture 0.63 -> 0.69, 0.47 -> 0.57; -0.10 and -1.02 dB, where the
        truth in the box is the player), 0.43 -> 0.17 and 0.70 -> 0.25
        s/frame; 8 px: 0.35 / 0.48, -0.17 / -1.25 dB.
    fill_options : dict, optional
        Keyword arguments for every :func:`vidfill.fill.patch.fill_patch` call
        (benchmarks compare variants with it); ``guide_weight`` defaults to
        0.3 here, a sharper fill than fill_patch's own default.
    """

    name = "patch"
    preferred_window = 30

    def __init__(
        self,
        patch_size: int = 7,
        seed: int = 0,
        static_threshold: float = 0.5,
        drift_threshold: float = 3.0,
        source_gap: int = 5,
        mosaic: bool = True,
        local_span: int = 5,
        interpolation: str = "cubic",
        frame_em_iters: int | None = 3,
        frame_reach: float | None = 16.0,
        fill_options: dict[str, Any] | None = None,
    ) -> None:
        self.patch_size = int(patch_size)
        self.seed = int(seed)
        self.static_threshold = float(static_threshold)
        self.drift_threshold = float(drift_threshold)
        self.source_gap = int(source_gap)
        self.mosaic = bool(mosaic)
        self.local_span = int(local_span)
        if interpolation not in _INTERPOLATION:
            raise ValueError(f"interpolation must be one of {sorted(_INTERPOLATION)}")
        self.interpolation = interpolation
        self.frame_em_iters = None if frame_em_iters is None else int(frame_em_iters)
        self.frame_reach = None if frame_reach is None else float(frame_reach)
        self.fill_options = {"guide_weight": _GUIDE_WEIGHT, **(fill_options or {})}

    def fill_window(self, frames: NDArray[np.uint8], holes: NDArray[np.bool_]) -> NDArray[np.uint8]:
        """Return ``frames`` with every hole filled (see the module docstring)."""
        frames = np.asarray(frames)
        holes = np.asarray(holes, dtype=bool)
        out = frames.copy()
        if not holes.any():
            return out
        # Chained pairs see large motion reliably; a direct comparison with
        # frame 0 is more exact (no drift), but only while the motion is small.
        chained = camera_shifts(frames, holes, chained=True)
        largest = np.abs(chained).max()
        if largest > max(self.static_threshold, self.drift_threshold):
            return self._fill_moving(frames, holes, chained, out)
        if largest <= self.static_threshold:
            direct = camera_shifts(frames, holes)
            shifts = _pick_shifts(frames, holes, direct, chained)
            if np.abs(shifts).max() <= self.static_threshold:
                # Whole pixels: the plate is then copied, never resampled, so
                # the fill keeps its sharpness and a still shot gets
                # bit-identical fills; half a pixel of misalignment is not seen.
                shifts = np.rint(shifts)
                return self._fill_static(frames, holes, shifts, out)
        if largest <= self.drift_threshold:
            # A nearly still shot (a tripod's drift, a slow sway): its motion
            # is one sub-pixel translation of the whole frame, measured
            # against frame 0 directly, so no error accumulates, and by the
            # median of the flow, which moving texture around the hole (a
            # river, leaves) does not pull the way it pulls a homography
            # fitted to the band around the hole.
            precise = camera_shifts(frames, holes, precise=True)
            shifts = _pick_shifts(frames, holes, precise, chained, whole=False)
            to_first = [np.float64([[1, 0, -dx], [0, 1, -dy], [0, 0, 1]]) for dx, dy in shifts]
            # Unless most of the frame moves on its own (carphone: a car
            # window's scenery and the passenger pull the median), where the
            # homographies fitted around the hole align it better.
            chain = _register(frames, holes) if self.mosaic else None
            if chain is not None and _band_error(frames, holes, chain) < _band_error(
                frames, holes, to_first
            ):
                to_first = chain
            done = self._fill_mosaic(frames, holes, to_first, out)
            if done is not None:
                return done
        return self._fill_moving(frames, holes, chained, out)

    def _invent(
        self, plate: NDArray[np.uint8], never: NDArray[np.bool_], seen: NDArray[np.bool_]
    ) -> NDArray[np.uint8]:
        """The plate with the pixels no frame shows synthesised from those some frame shows."""
        return fill_patch(
            plate,
            never,
            patch_size=self.patch_size,
            seed=self.seed,
            source_mask=seen,
            **self.fill_options,
        )

    def _synthesise_frame(
        self,
        frames: NDArray[np.uint8],
        holes: NDArray[np.bool_],
        t: int,
        init: NDArray[np.uint8] | None,
        redo: NDArray[np.bool_] | None = None,
    ) -> NDArray[np.uint8]:
        """Frame ``t`` synthesised from itself and its neighbours, warm-started from ``init``.

        ``redo`` (a part of the hole): only it is synthesised; the rest of
        the hole keeps ``init`` and borders the synthesis like known pixels,
        though it is never copied from.
        """
        options = dict(self.fill_options)
        if self.frame_em_iters is not None:
            options["em_iters"] = self.frame_em_iters
        image, hole, source = frames[t], holes[t], None
        if redo is not None and init is not None:
            image = frames[t].copy()
            keep = holes[t] & ~redo
            image[keep] = init[keep]
            hole, source = redo, ~holes[t]
        return fill_patch(
            image,
            hole,
            patch_size=self.patch_size,
            seed=self.seed,
            init=init,
            source_mask=source,
            sources=self._neighbours(frames, holes, t),
            **options,
        )

    def _fill_static(self, frames, holes, shifts, out):
        # Bring every frame into frame 0's coordinates; what falls outside a
        # frame counts as unseen there.
        aligned = np.empty_like(frames)
        hidden = np.empty_like(holes)
        ring = cv2.getStructuringElement(cv2.MORPH_RECT, (3, 3))
        for t, (dx, dy) in enumerate(shifts):
            aligned[t] = _shift(frames[t], dx, dy)
            hole = holes[t].astype(np.uint8)
            if dx != round(dx) or dy != round(dy):
                # Sub-pixel resampling mixes a hole pixel into its neighbours.
                hole = cv2.dilate(hole, ring)
            hidden[t] = _shift(hole, dx, dy, nearest=True, border=1) > 0
        median, seen = clean_plate(aligned, hidden)
        # The plate is one real frame, with what it hides taken from the
        # median of the others. A real frame, not the median everywhere: the
        # median of water or leaves is a smooth blur, and synthesis copying
        # from it would be blurred too. The frame hiding least is used, the
        # last of those: a finished frame of the previous window when there is
        # one, so its fill carries over exactly.
        counts = hidden.reshape(len(hidden), -1).sum(axis=1)
        ref = int(np.flatnonzero(counts == counts.min())[-1])
        plate = aligned[ref].copy()
        plate[hidden[ref]] = median[hidden[ref]]
        never = ~seen
        if never.any():
            # Sources: what some frame shows; the synthesis is anchored to it.
            plate = self._invent(plate, never, seen)
        for t, (dx, dy) in enumerate(shifts):
            if holes[t].any():
                back = _shift(plate, -dx, -dy)
                out[t][holes[t]] = back[holes[t]]
        return out

    def _neighbours(self, frames, holes, t):
        """Frames ``source_gap`` before and after ``t`` as extra patch sources.

        With a moving camera these frames show much of what the hole hides at
        ``t``, a little to the side, and PatchMatch finds it there: real
        background instead of invented texture.
        """
        count = frames.shape[0]
        picks = {min(max(t + d, 0), count - 1) for d in (-self.source_gap, self.source_gap)}
        ring = cv2.getStructuringElement(cv2.MORPH_RECT, (5, 5))
        return [
            (frames[k], ~cv2.dilate(holes[k].astype(np.uint8), ring).astype(bool))
            for k in sorted(picks - {t})
        ]

    def _fill_moving(self, frames, holes, shifts, out):
        """Moving camera: one mosaic plate, carried to every frame by homographies.

        The frames are registered to one reference frame by chained
        homographies (the camera motion), and their known pixels build a
        plate on a canvas that covers them all. What the hole hides in one
        frame another frame usually shows, and the plate takes it from
        there; only what no frame shows is synthesised, once, on the plate.
        Every frame's hole is then resampled from that one plate, so the fill
        moves with the camera instead of being re-invented frame by frame.
        Falls back to per-frame warm-started synthesis when the motion is not
        a homography or the canvas would grow too large.
        """
        to_first = _register(frames, holes) if self.mosaic else None
        if to_first is not None:
            done = self._fill_mosaic(frames, holes, to_first, out)
            if done is not None:
                return done
        return self._fill_per_frame(frames, holes, shifts, out)

    def _fill_mosaic(self, frames, holes, to_ref, out):
        count, height, width = holes.shape
        # The reference is the frame hiding least (the last such), as for the
        # still plate: a finished frame of the previous window when there is
        # one, so its fill carries over; its pixels are not resampled.
        counts = holes.reshape(count, -1).sum(axis=1)
        ref = int(np.flatnonzero(counts == counts.min())[-1])
        to_ref = [np.linalg.inv(to_ref[ref]) @ m for m in to_ref]
        corners = np.float64([[0, 0], [width, 0], [0, height], [width, height]])
        placed = np.concatenate(
            [cv2.perspectiveTransform(corners[None], m)[0] for m in to_ref], axis=0
        )
        lo = np.floor(placed.min(axis=0)).astype(int)
        hi = np.ceil(placed.max(axis=0)).astype(int)
        size = hi - lo
        if size[0] * size[1] > _MAX_CANVAS * height * width:
            return None
        offset = np.float64([[1, 0, -lo[0]], [0, 1, -lo[1]], [0, 0, 1]])
        to_canvas = [offset @ m for m in to_ref]
        cw, ch = int(size[0]), int(size[1])
        ring = cv2.getStructuringElement(cv2.MORPH_RECT, (3, 3))
        hidden = np.empty((count, ch, cw), bool)
        need = np.zeros((ch, cw), bool)
        for t in range(count):
            m = to_canvas[t]
            # Bilinear resampling mixes a hole pixel into its neighbours.
            hole = cv2.dilate(holes[t].astype(np.uint8), ring)
            hidden[t] = (
                cv2.warpPerspective(hole, m, (cw, ch), flags=cv2.INTER_NEAREST, borderValue=1) > 0
            )
            need |= cv2.warpPerspective(hole, m, (cw, ch), flags=cv2.INTER_NEAREST) > 0
        # A margin so that sampling the plate back never reads past what was set.
        need = cv2.dilate(need.astype(np.uint8), ring, iterations=2) > 0
        seen = ~hidden.all(axis=0)
        plate = cv2.warpPerspective(frames[ref], to_canvas[ref], (cw, ch), flags=_RESAMPLE)
        # Every frame's values on the part of the canvas some hole covers
        # (NaN where that frame does not show it).
        ys, xs = np.nonzero(need & seen)
        values = np.full((count, ys.size, 3), np.nan, np.float32)
        for t in range(count):
            show = ~hidden[t][ys, xs]
            if show.any():
                warped = cv2.warpPerspective(frames[t], to_canvas[t], (cw, ch), flags=_RESAMPLE)
                values[t, show] = warped[ys[show], xs[show]]
        own = hidden[ref][ys, xs]
        if own.any():
            plate[ys[own], xs[own]] = _median(values[:, own])
        never = need & ~seen
        if never.any():
            plate = self._invent(plate, never, seen)
        index = np.full((ch, cw), -1, np.int64)
        index[ys, xs] = np.arange(ys.size)
        for t in range(count):
            if not holes[t].any():
                continue
            # The hole grown by 3 px: where nearby frames' values are taken,
            # and (minus 1 px) the band checked against the plate.
            grown = cv2.dilate(holes[t].astype(np.uint8), ring, iterations=3)
            frame_plate = plate
            if self.local_span > 0:
                # What moves through the hole (people, traffic) is taken from
                # frames near t, as they show it now; the window's median
                # would show the empty background instead. Pixels no nearby
                # frame shows keep the window's plate.
                mine = cv2.warpPerspective(
                    grown,
                    to_canvas[t],
                    (cw, ch),
                    flags=cv2.INTER_NEAREST,
                ).astype(bool)
                pick = index[mine & (index >= 0)]
                near = values[max(t - self.local_span, 0) : t + self.local_span + 1][:, pick]
                shown = np.isfinite(near[..., 0]).any(axis=0)
                if shown.any():
                    frame_plate = plate.copy()
                    sel = pick[shown]
                    frame_plate[ys[sel], xs[sel]] = _median(near[:, shown])
            back = cv2.warpPerspective(
                frame_plate,
                to_canvas[t],
                (width, height),
                flags=_INTERPOLATION[self.interpolation] | cv2.WARP_INVERSE_MAP,
                borderMode=cv2.BORDER_REPLICATE,
            )
            # The band 2-3 px out: frame t shows it, and so it is on the plate.
            edge = grown.astype(bool)
            edge &= ~cv2.dilate(holes[t].astype(np.uint8), ring).astype(bool)
            # Checked against the window's plate, not the local one: what
            # no frame shows was synthesised there once, to fit the plate's
            # surroundings; a frame whose surroundings differ needs its own.
            check = back
            if frame_plate is not plate:
                check = cv2.warpPerspective(
                    plate,
                    to_canvas[t],
                    (width, height),
                    flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                    borderMode=cv2.BORDER_REPLICATE,
                )
            diff = np.abs(check[edge].astype(np.int16) - frames[t][edge]).max(axis=1)
            if edge.any() and (diff > _RING_TOLERANCE).mean() > _RING_SHARE:
                # Around the hole, frame t does not look like the plate:
                # something crosses it (a passer-by, traffic) or the camera
                # model fails here. The plate would cut that off at the
                # hole's edge, so this frame is synthesised from its own
                # surroundings and its neighbours, warm-started from the
                # plate (from scratch: flicker ratio 0.6-0.9 -> 0.7-1.0 on
                # rollerblade and tennis). Only near the part of the ring
                # that changed: further in, the plate's fill stays, as in
                # the frames before and after (see ``frame_reach``).
                redo = None
                if self.frame_reach is not None:
                    redo = _near_change(holes[t], edge, diff > _RING_TOLERANCE, self.frame_reach)
                out[t] = self._synthesise_frame(frames, holes, t, back, redo)
            else:
                out[t][holes[t]] = back[holes[t]]
        return out

    def _fill_per_frame(self, frames, holes, shifts, out):
        prev: int | None = None
        for t in range(frames.shape[0]):
            if not holes[t].any():
                prev = t
                continue
            init = None
            if prev is not None:
                # Move the previous result with the camera so the guess lies
                # where its content now is.
                dx, dy = shifts[t] - shifts[prev]
                init = _shift(out[prev], -dx, -dy)
            out[t] = self._synthesise_frame(frames, holes, t, init)
            prev = t
        return out
