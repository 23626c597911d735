"""The default engine: flow-guided video completion, on the CPU, with no weights.

Per window (see ``shared/research/methods.md`` §3 for the reasoning):

1. DIS flow forward and backward between neighbours, at a reduced scale;
   scene cuts found and never crossed (:mod:`vidfill.flow.estimate`).
2. Flow inside each hole, and in the band where the removed object's motion
   bleeds into the flow, replaced by a membrane fill of the residual against
   the camera's homography (:mod:`vidfill.flow.complete`).
3. Source coordinates propagated through the frames both ways, with the
   forward-backward test (:mod:`vidfill.propagate.local`); pixels that no
   neighbour chain reaches looked up in distant frames by homography
   (:mod:`vidfill.propagate.distant`).
4. Candidates fused by chain error and temporal distance, pasted with a
   smooth boundary offset that hides exposure seams (:mod:`vidfill.fill.blend`).
5. Pixels no frame shows: the frame with most of them is filled spatially
   (PatchMatch synthesis by default, :mod:`vidfill.fill.patch`), becomes a
   source, and propagation runs again (FGVC's loop), so invented content is
   invented once and carried, not re-invented per frame.
"""

from __future__ import annotations

import importlib.util
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import NamedTuple

import cv2
import numpy as np
from numpy.typing import NDArray

from vidfill.fill.blend import boundary_offset, candidate_weights, fuse
from vidfill.fill.spatial import fill_telea
from vidfill.flow.check import photometric_outliers, sample_stack_bilinear
from vidfill.flow.complete import (
    FLOW_BAND,
    FLOW_CELL,
    FLOW_DILATE,
    OUTLIER_THRESHOLD,
    camera_region,
    complete_flow,
    deviation,
    fit_homography,
    harmonic_fill,
    membrane_box,
)
from vidfill.flow.edges import complete_flow_edges, flow_barrier
from vidfill.flow.estimate import (
    FLOW_MAX_SIDE,
    FLOW_MIN_SCALE,
    detect_cuts,
    flow_scale,
    pair_flows,
    shrink_masks,
    to_grey,
)
from vidfill.propagate.distant import (
    FeatureCache,
    distant_candidates,
    homography_chain,
    off_camera,
    shot_ids,
)
from vidfill.propagate.local import (
    Candidates,
    CandidateSet,
    Motion,
    nearest_pixel,
    propagate,
)
from vidfill.propagate.verify import Verdicts, verify_relaxed

#: Threads for per-frame and per-pair work (the target machine has 2 cores).
_WORKERS = 2

#: Age (frames) recorded for invented pixels, which no frame shows, in
#: :attr:`FlowEngine.provenance_age`: older than any copy within a window.
_INVENTED_AGE = 30.0

#: How each hole pixel was filled, in :attr:`FlowEngine.provenance` (a debug
#: record, see ``benchmarks/flow_breakdown.py``): by the candidate with the
#: largest fusion weight, or by the fill where there was none. The "via
#: keyframe" classes are chains that land inside a keyframe's hole, split by
#: how the keyframe got that pixel (first-hand class, as recorded there).
PROVENANCE: dict[str, int] = {
    "local": 1,  # a neighbour chain into observed content
    "distant": 2,  # a distant frame aligned by homography
    "synthesised": 3,  # the first keyframe's spatial fill (PatchMatch by default)
    "leftover": 4,  # the smooth per-frame / later-keyframe fill
    "via keyframe local": 5,
    "via keyframe distant": 6,
    "via keyframe synth": 7,
    "via keyframe leftover": 8,
}
#: A "via keyframe" code is its first-hand class's code plus this.
_VIA = PROVENANCE["via keyframe local"] - PROVENANCE["local"]

#: Candidates for some rows of a frame's tracked pixels: (rows, candidates).
_Sparse = tuple[NDArray[np.int32], Candidates]

#: How the keyframe is synthesised (see ``fill_patch``): searched and voted
#: at half size and coarser, and only on levels where the hole has at most
#: 8000 pixels (or the coarsest), with 3 EM iterations a level (6 at the
#: coarsest); finer levels only read the matches back.
_PATCH_OPTIONS: dict[str, int] = {"fine_iters": 0, "em_iters": 3, "search_pixels": 8000}

_warm_lock = threading.Lock()
_warm_started = False


def _warm_patch() -> None:
    """Load numba and the synthesis kernels in a background thread, once per process.

    Importing numba and loading the kernels from its disk cache costs about
    0.4 s of one core, mostly before the first kernel runs; started when a
    synthesising engine is made, it overlaps reading the first window (and
    its flow), which leave the second core idle, instead of delaying the
    first keyframe. A window that never synthesises pays it on that core.
    """
    global _warm_started
    with _warm_lock:
        if _warm_started:
            return
        _warm_started = True

    def work() -> None:
        from vidfill.fill.patch import fill_patch

        # Big enough for every kernel to run (onion peel, search, votes).
        image = (np.arange(24 * 24 * 3, dtype=np.int64).reshape(24, 24, 3) * 37 % 251).astype(
            np.uint8
        )
        hole = np.zeros((24, 24), bool)
        hole[9:15, 9:15] = True
        fill_patch(image, hole, **_PATCH_OPTIONS)

    threading.Thread(target=work, name="vidfill-patch-warmup", daemon=True).start()


SpatialFill = Callable[[NDArray[np.uint8], NDArray[np.bool_], NDArray[np.bool_]], NDArray[np.uint8]]


def _harmonic_image(image: NDArray[np.uint8], hole: NDArray[np.bool_]) -> NDArray[np.uint8]:
    """Membrane fill of an image hole (smooth; best PSNR of the cheap fills on large holes)."""
    factor = 1 if hole.sum() < 4000 else 2
    out = image.copy()
    if not hole.any():
        return out
    box = membrane_box(hole, factor)
    filled = harmonic_fill(image[box].astype(np.float32), hole[box], factor=factor)
    out[hole] = np.clip(filled[hole[box]] + 0.5, 0, 255).astype(np.uint8)
    return out


def _spatial_fill(name: str) -> tuple[str, SpatialFill]:
    """The single-image fill called ``name``; "auto" is PatchMatch synthesis if present."""
    if name in ("auto", "patch"):
        if importlib.util.find_spec("vidfill.fill.patch") is not None:

            def patch(
                image: NDArray[np.uint8], hole: NDArray[np.bool_], source: NDArray[np.bool_]
            ) -> NDArray[np.uint8]:
                # Imported here, not at the top: it pulls in numba, which
                # _warm_patch loads in the background meanwhile.
                from vidfill.fill.patch import fill_patch

                return fill_patch(image, hole, source_mask=source, **_PATCH_OPTIONS)

            return "patch", patch
        if name == "patch":
            raise ValueError("spatial fill 'patch' needs vidfill.fill.patch")
        name = "telea"
    if name == "harmonic":
        return name, lambda image, hole, source: _harmonic_image(image, hole)
    if name == "telea":
        return name, lambda image, hole, source: fill_telea(image, hole)
    raise ValueError(f"unknown spatial fill {name!r}; choose auto, patch, harmonic or telea")


def _dilate(mask: NDArray[np.bool_], radius: int) -> NDArray[np.bool_]:
    if radius <= 0:
        return mask.copy()
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (2 * radius + 1, 2 * radius + 1))
    return cv2.dilate(mask.astype(np.uint8), kernel) > 0


class FlowEngine:
    """Flow-guided propagation with keyframe spatial fill for never-seen pixels.

    Parameters
    ----------
    flow_max_side : int
        Larger side of the grid DIS runs on; larger frames are downscaled...
    flow_min_scale : float
        ...but never by more than this factor.
    preset : str
        DIS preset: "ultrafast", "fast" or "medium".
    flow_dilate, flow_band : int
        Flow-mask growth in working pixels: plain dilation, and the band
        within which pixels off the camera motion join the mask.
    flow_cell : int
        Cell size (working pixels) of the coarse grid the flow fill is
        solved on; flow behind a hole is smooth, so 8 px cells lose little.
    outlier_threshold : float
        Deviation from the camera motion (working pixels) that marks the
        removed object's motion bleeding into the flow.
    foreign_threshold : float
        Deviation that marks a moving object near the hole, never used as a
        source (copied into the hole it would leave ghosts).
    alpha, tau : float
        Fusion weights: chain error scale (px) and temporal distance scale
        (frames).
    max_rounds : int
        Keyframe fill rounds for never-seen pixels; what remains after them
        is filled per frame with the ``leftover`` fill.
    min_missing : int
        A frame with no more never-seen pixels than this (or than 1% of its
        hole) gets no keyframe.
    distant : bool
        Look up pixels with no local candidate in distant frames.
    match_features : bool
        Where the chain of pairwise homographies has drifted (fails the ring
        test), align the distant frame by ORB feature matching instead. Off by
        default: on 9 shared clips (60 frames, blob masks) it changed mean PSNR
        by +0.01 dB and made the engine several times slower.
    source_check : float
        Known pixels whose colour their own (completed) flow cannot explain
        towards either neighbour, by more than this many grey levels, are no
        sources: the flow there is wrong (a thin object smoothed into its
        surroundings), and chains copying them leave trails of ghosts.
        0 turns the test off.
    still_threshold : float
        A distant frame's pixel is copied only if its flow agrees with the
        camera's homography within this many working pixels: people and
        cars that moved meanwhile are not where the homography puts them.
        0 turns the test off.
    ring_error : float
        A distant frame is used only where the homography maps the ring
        around the hole onto colours within this mean error (grey levels).
    ring_chains : bool
        Inside completed flow the forward-backward test compares two fills:
        let chains that fail it there through, marked ``relaxed``, and keep
        them only where the ring test vouches for them
        (:func:`vidfill.propagate.verify.verify_relaxed`: per frame and
        source frame, an affine map fitted to the relaxed chains must map
        the known ring around the hole onto matching colours). Off, such
        chains are rejected, as before: on bikes 11 of 38 pairs let no
        chain through the hole. 11 clips, 40 frames, blob masks
        (``benchmarks/flow_quality.py --frames 40``): bikes 38.59 -> 40.32
        dB (E_warp x1e3 0.170 -> 0.126), parkour-street +0.05,
        motocross-jump -0.01, others unchanged (all-clip mean 28.18 ->
        28.34); real masks: E_warp and flicker unchanged or lower.
        Off by default for speed: the whole command on dog-agility (854x480,
        25 frames, paired runs, medians of 5) takes 5.38 s with it, 4.74 s
        without (x1.14; 4.6 against 5.3 frames/s, where the issue asks for
        5), and it changes nothing on that clip. ``-O ring_chains=True``
        turns it on.
    verify_ring : int
        Outer radius (working px) of the ring the relaxed chains are
        checked on; moving objects are part of it (a chain that pastes
        background over an object the camera follows maps the object's
        visible part onto background too).
    chain_ring_error : float
        Largest mean colour error (grey levels) on that ring. Stricter
        than ``ring_error``: at 10 motocross-jump's chains pasted far
        background over its rider (-0.30 dB); 6 and 5 gained as much on
        bikes without that (-0.02 and -0.01 dB there).
    blend_factor : int
        Coarse cell size (px) of the boundary-offset (Poisson) seam
        correction; 1 solves it at full resolution, 0 pastes colours as
        propagated.
    spatial : str
        Fill of never-seen pixels on the first keyframe: "patch" (default;
        guided PatchMatch synthesis, :func:`vidfill.fill.patch.fill_patch`,
        searched at half size and coarser and read back at full size, see
        ``_PATCH_OPTIONS``), "harmonic" (a smooth membrane), "telea", or
        "auto" (patch when available). Harmonic was the default while
        synthesis cost too much: it scores a little higher in PSNR, which
        favours blur, but leaves a smooth smear where a static overlay hid
        a textured background. Measured against harmonic: 11 clips at
        432x240, 40 frames, blob masks
        (``benchmarks/flow_quality.py --no-real``): DAVIS PSNR 26.05 vs
        26.09 dB, all clips 28.18 vs 28.35, texture ratio 0.60 vs 0.50,
        E_warp +4%, flicker +12% (a textured fill warped by the truth's flow
        of whatever crosses the hole differs more than a smooth one); static
        masks (``benchmarks/static_mask_engines.py``): +0.35 dB vs Telea at
        texture 0.65 and flicker 0.74x Telea's, against +0.73 dB, 0.36 and
        0.43x. Cost: the keyframe synthesis of dog-agility at 854x480 (10%
        hole) takes 0.27 s of CPU (1.15 s with ``fill_patch``'s defaults)
        and runs beside the next round's propagation; numba's start-up
        (0.45 s of CPU) runs in a background thread from the engine's
        creation (:func:`_warm_patch`). Whole command, paired medians:
        dog-agility 854x480 5.8 frames/s vs 6.3, car-shadow 854x480 9.4 vs
        9.4, tennis 432x240 25.1 vs 27.7 (no keyframe; the start-up only).
    leftover : str
        Fill of the never-seen pixels left after the first keyframe: on later
        keyframes and, per frame, in the rest (same choices as ``spatial``).
        A smooth fill by default: synthesis run per frame would invent a
        different texture in each frame and flicker.
    flow_edges : bool
        Complete a moving camera's flow edge-guided
        (:func:`vidfill.flow.edges.complete_flow_edges`): motion edges that
        reach the flow mask are continued through it and the fill does not
        couple across them, so two motions meeting inside the hole are not
        blended into a ramp. Off by default (measured, see DEVELOPERS.md,
        "Known gaps"). A still camera's flow is set to zero either way.
    edge_cell : int
        Cell size (working px) of the edge-guided solve.
    edge_high : float
        Canny's upper threshold on the flow gradient (px of flow per px;
        the lower one is half of it).
    edge_jump : float
        Smallest step (working px) between the motions on the two sides of
        an edge for it to be continued.
    edge_extend : int
        Length (working px) an edge with no partner across the hole is
        continued into it.
    """

    name = "flow"
    preferred_window = 60

    def __init__(
        self,
        *,
        flow_max_side: int = FLOW_MAX_SIDE,
        flow_min_scale: float = FLOW_MIN_SCALE,
        preset: str = "medium",
        flow_dilate: int = FLOW_DILATE,
        flow_band: int = FLOW_BAND,
        flow_cell: int = FLOW_CELL,
        outlier_threshold: float = OUTLIER_THRESHOLD,
        foreign_threshold: float = 2.0,
        alpha: float = 0.5,
        tau: float = 3.0,
        max_rounds: int = 4,
        min_missing: int = 24,
        distant: bool = True,
        match_features: bool = False,
        still_threshold: float = 3.0,
        source_check: float = 24.0,
        ring_error: float = 10.0,
        blend_factor: int = 4,
        ring_chains: bool = False,
        verify_ring: int = 8,
        chain_ring_error: float = 5.0,
        spatial: str = "patch",
        leftover: str = "harmonic",
        flow_edges: bool = False,
        edge_cell: int = 8,
        edge_high: float = 0.4,
        edge_jump: float = 1.0,
        edge_extend: int = 16,
    ) -> None:
        self.flow_max_side = int(flow_max_side)
        self.flow_min_scale = float(flow_min_scale)
        self.preset = preset
        self.flow_dilate = int(flow_dilate)
        self.flow_band = int(flow_band)
        self.flow_cell = int(flow_cell)
        self.outlier_threshold = float(outlier_threshold)
        self.foreign_threshold = float(foreign_threshold)
        self.alpha = float(alpha)
        self.tau = float(tau)
        self.max_rounds = int(max_rounds)
        self.min_missing = int(min_missing)
        self.distant = bool(distant)
        self.match_features = bool(match_features)
        self.still_threshold = float(still_threshold)
        self.source_check = float(source_check)
        self.ring_error = float(ring_error)
        self.blend_factor = int(blend_factor)
        self.ring_chains = bool(ring_chains)
        self.verify_ring = int(verify_ring)
        self.chain_ring_error = float(chain_ring_error)
        self.flow_edges = bool(flow_edges)
        self.edge_cell = int(edge_cell)
        self.edge_high = float(edge_high)
        self.edge_jump = float(edge_jump)
        self.edge_extend = int(edge_extend)
        self.spatial_name, self._spatial = _spatial_fill(spatial)
        self.leftover_name, self._leftover = _spatial_fill(leftover)
        if "patch" in (self.spatial_name, self.leftover_name):
            _warm_patch()
        # Weights divide by these, and a zero or negative grid size, scale or
        # threshold has no meaning: refuse them here, not as NaN frames later.
        for name in ("alpha", "tau", "flow_max_side", "flow_min_scale", "flow_cell", "edge_cell"):
            if not getattr(self, name) > 0:
                raise ValueError(f"{name} must be positive, not {getattr(self, name)}")
        for name in (
            "flow_dilate",
            "flow_band",
            "max_rounds",
            "min_missing",
            "blend_factor",
            "edge_extend",
        ):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must not be negative, not {getattr(self, name)}")
        # Set during fill_window only: the working frames, and per frame which
        # tracked pixels lie on the ring around the hole.
        self._work: NDArray[np.uint8] | None = None
        self._holes: NDArray[np.bool_] | None = None
        self._distant_sources: NDArray[np.bool_] | None = None
        self._ring_rows: list[NDArray[np.bool_]] = []
        #: Figures of the last window, for benchmarks and debugging.
        self.last_stats: dict[str, float] = {}
        #: Set True to record, per window, how each hole pixel was filled
        #: (:data:`PROVENANCE` codes, uint8 (T, H, W), 0 outside holes) in
        #: :attr:`provenance`. Off by default: it costs a full-window map.
        self.record_provenance = False
        self.provenance: NDArray[np.uint8] | None = None
        self.provenance_age: NDArray[np.float32] | None = None
        # Recording provenance, per keyframe of the window: how far (frames)
        # and how uncertain (px) the content its hole was filled with is.
        self._carried: dict[int, tuple[NDArray[np.float32], NDArray[np.float32]]] = {}

    def _tick(self, key: str, start: float) -> None:
        # Process CPU time (all threads) per stage, for benchmarks/flow_speed.py.
        self.last_stats[key] = self.last_stats.get(key, 0.0) + time.process_time() - start

    # -- stage 1 and 2 -------------------------------------------------------

    def estimate_motion(self, frames: NDArray[np.uint8], holes: NDArray[np.bool_]) -> _Estimate:
        """Completed flow and cuts, homographies, and the pixels not to copy from.

        Returns
        -------
        motion : Motion
        homographies : list of (3, 3) arrays or None
            Pair t -> t+1 on the working grid.
        foreign : ndarray of bool, shape (T, H, W)
            Pixels near a hole that move unlike the camera (the bled-over or
            moving surroundings the flow mask grew over), at working size.
        moving : ndarray of bool, shape (T, h, w), or None
            Pixels anywhere in the frame whose flow departs from the camera's
            (see :func:`off_camera`), on the flow grid; None when distant
            frames are off or the test is.
        outliers : ndarray of bool, shape (T, h, w), or None
            Known pixels their own flow cannot explain (see
            :func:`photometric_outliers`), on the flow grid; None when the
            test is off.
        """
        count, height, width = holes.shape
        # Small frames: a 320 px flow grid is as good as full size (measured
        # -0.05 dB at 432x240) and 25% cheaper overall. Large frames: never
        # below half size, where object bleed and thin structures suffer
        # (-0.23 dB at 864x480 for 320 px).
        scale = flow_scale((height, width), self.flow_max_side, self.flow_min_scale)
        grey = to_grey(frames, scale)
        small_holes = shrink_masks(holes, grey.shape[1:])
        clock = time.process_time()
        forward, backward = pair_flows(grey, preset=self.preset)
        cuts = detect_cuts(grey, forward, small_holes)
        self._tick("cpu_flow", clock)
        clock = time.process_time()
        foreign_small = np.zeros(grey.shape, bool)
        find_movers = self.distant and self.still_threshold > 0 and count > 1
        moving_small = np.zeros(grey.shape, bool) if find_movers else None
        mover_threshold = self.still_threshold * scale
        filled_forward = filled_backward = None
        if self.ring_chains:
            filled_forward = np.zeros((count - 1, *grey.shape[1:]), bool)
            filled_backward = np.zeros_like(filled_forward)

        def complete_pair(t: int) -> NDArray[np.float64] | None:
            # Both frames' holes: DIS bleeds a hole's content into the flow
            # of the *other* frame too, and a carried context frame (no hole
            # of its own) must still get clean flow towards its neighbour.
            both = small_holes[t] | small_holes[t + 1]
            fwd, bwd = self._complete_pair(forward[t], backward[t], both, scale)
            forward[t], matrix, grown_fwd, filled_fwd = fwd
            backward[t], _, grown_bwd, filled_bwd = bwd
            if filled_forward is not None and filled_backward is not None:
                filled_forward[t] = filled_fwd
                filled_backward[t] = filled_bwd
            if moving_small is not None:
                moving_small[t] = off_camera(forward[t], matrix, mover_threshold)
                if t == len(forward) - 1 and matrix is not None:
                    inverse = np.linalg.inv(matrix)
                    moving_small[t + 1] = off_camera(backward[t], inverse, mover_threshold)
            return matrix, grown_fwd, grown_bwd

        # OpenCV, SciPy's solver and most NumPy kernels release the GIL.
        with ThreadPoolExecutor(max_workers=_WORKERS) as pool:
            results = list(pool.map(complete_pair, range(len(forward))))
        homographies: list[NDArray[np.float64] | None] = []
        for t, (matrix, grown_fwd, grown_bwd) in enumerate(results):
            foreign_small[t] |= grown_fwd
            foreign_small[t + 1] |= grown_bwd
            homographies.append(_rescale_homography(matrix, scale))
        self._tick("cpu_complete", clock)
        foreign = _to_working(foreign_small, (height, width))
        outliers = None
        if self.source_check > 0 and count > 1:
            clock = time.process_time()
            outliers = photometric_outliers(
                grey, forward, backward, small_holes, self.source_check, cuts
            )
            self._tick("cpu_check", clock)
        motion = Motion(forward, backward, cuts, scale, filled_forward, filled_backward)
        # Both kept on the flow grid (a quarter of the working size at 720p)
        # and enlarged one frame at a time where used.
        return _Estimate(motion, homographies, foreign, moving_small, outliers)

    def _complete_pair(
        self,
        forward: NDArray[np.float32],
        backward: NDArray[np.float32],
        hole: NDArray[np.bool_],
        scale: float,
    ) -> tuple[tuple, tuple]:
        """Complete a pair's forward and backward flow.

        Returns, for each, the flow, the camera homography, the region grown
        beyond the dilated hole that moves unlike the camera, and the
        completed region (the flow mask).

        With ``flow_edges`` both fills stop at the same barrier, the union of
        the edges continued through each flow's mask: barriers found in one
        direction only make the two completions disagree, and the
        forward-backward test then rejects every chain through them (bikes).
        """
        regions = [self._flow_region(f, hole, scale) for f in (forward, backward)]
        barrier = None
        if self.flow_edges:
            barrier = np.zeros(hole.shape, bool)
            for flow, region in zip((forward, backward), regions, strict=True):
                barrier |= self._barrier(flow, region, scale)
        return tuple(
            (self._fill_region(flow, region, scale, barrier), *region[:3])
            for flow, region in zip((forward, backward), regions, strict=True)
        )

    def _flow_region(
        self, flow: NDArray[np.float32], hole: NDArray[np.bool_], scale: float
    ) -> _Region:
        """Camera homography, moving surroundings and the flow mask of one flow field."""
        dilate = max(1, round(self.flow_dilate * scale))
        band = max(1, round(self.flow_band * scale))
        if not hole.any():
            matrix = fit_homography(flow, None, step=max(2, round(8 * scale)))
            return _Region(matrix, hole, hole, None, False)
        seed = _dilate(hole, dilate)
        matrix, static, camera, mask = camera_region(
            flow, hole, dilate=dilate, band=band, threshold=self.outlier_threshold * scale,
            scale=scale,
        )
        # Moving objects: the part of the grown region that is far off the
        # camera motion (a subset of the flow mask, so no second growth).
        foreign = mask & ~seed
        if camera is not None and foreign.any():
            ys, xs = np.nonzero(foreign)
            keep = deviation(flow[ys, xs], camera[ys, xs]) > self.foreign_threshold * scale
            foreign[ys[~keep], xs[~keep]] = False
        return _Region(matrix, foreign, mask, camera, static)

    def _barrier(
        self, flow: NDArray[np.float32], region: _Region, scale: float
    ) -> NDArray[np.bool_]:
        """Motion edges of ``flow`` continued through its flow mask (none for a still camera)."""
        if region.static or not region.mask.any():
            return np.zeros(region.mask.shape, bool)
        camera = np.zeros_like(flow) if region.camera is None else region.camera
        return flow_barrier(
            flow - camera,
            region.mask,
            high=self.edge_high * scale,
            low=0.5 * self.edge_high * scale,
            min_jump=self.edge_jump * scale,
            extend=max(1, round(self.edge_extend * scale)),
        )

    def _fill_region(
        self,
        flow: NDArray[np.float32],
        region: _Region,
        scale: float,
        barrier: NDArray[np.bool_] | None,
    ) -> NDArray[np.float32]:
        """``flow`` with its flow mask filled: zeros, a membrane, or one stopping at ``barrier``."""
        mask = region.mask
        if not mask.any():
            return flow
        if region.static:
            # A still camera: the background behind the hole does not move.
            # Exact zeros (not DIS noise) make every frame copy the same
            # pixels, so a static fill is identical in every frame.
            out = flow.copy()
            out[mask] = 0.0
            return out
        if barrier is not None:
            factor = max(1, round(self.edge_cell * scale))
            return complete_flow_edges(flow, mask, region.camera, barrier, factor=factor)
        factor = max(2, round(self.flow_cell * scale))
        return complete_flow(flow, mask, region.camera, factor=factor)

    # -- the window ----------------------------------------------------------

    def fill_window(self, frames: NDArray[np.uint8], holes: NDArray[np.bool_]) -> NDArray[np.uint8]:
        """Fill every hole pixel of the window; other pixels are returned unchanged.

        Memory: besides the frames, the window's flow and its source mask,
        state is kept per tracked pixel (hole and ring), never as full-frame
        maps per frame, and the fills are written into one working copy of
        the frames that is also the result.
        """
        frames = np.ascontiguousarray(frames)
        holes = np.asarray(holes, bool)
        count = len(frames)
        if not holes.any():
            return frames.copy()
        if count == 1:
            out = frames.copy()
            out[0] = self._spatial(frames[0], holes[0], ~holes[0])
            return out
        self.last_stats = {}
        motion, homographies, foreign, moving, outliers = self.estimate_motion(frames, holes)
        size = holes.shape[1:]
        ring_width = max(self.blend_factor, 1) + 1
        has_hole = holes.any(axis=(1, 2))
        sources, tracked, self._ring_rows, clean = _sources_and_tracked(
            holes, foreign, outliers, ring_width
        )
        del foreign, outliers
        self._distant_sources = None
        if moving is not None:
            # Distant frames copy only what moves with the camera; flow
            # blurs an object's outline over a few pixels, hence the margin.
            def still(t: int) -> NDArray[np.bool_]:
                return ~_enlarged(moving[t], size, 2)

            self._distant_sources = np.empty_like(sources)
            for t in range(count):
                np.logical_and(sources[t], still(t), out=self._distant_sources[t])
        chain = homography_chain(homographies, motion.cuts) if self.distant else None
        shots = shot_ids(homographies, motion.cuts)
        # The working copy is the result too: finishing a frame writes only its
        # hole pixels, which no other frame ever samples (sources keep 1 px
        # away from holes, and bilinear reads stay within 1 px), so frames can
        # be finished in place and in parallel without a second copy.
        work = frames.copy()
        self._work = work
        self._holes = holes
        self._carried = {}
        self.provenance = np.zeros(holes.shape, np.uint8) if self.record_provenance else None
        self.provenance_age = (
            np.full(holes.shape, _INVENTED_AGE, np.float32) if self.record_provenance else None
        )
        done = ~has_hole
        rounds = 0
        previous = None
        hole_sizes = holes.sum(axis=(1, 2))
        # A keyframe's spatial fill runs on a second thread while the next
        # round propagates: propagation follows flow and source masks only,
        # never colours, and the single-threaded chains leave a core idle
        # (dog-agility 854x480: the synthesis, 0.3 s, hides behind them).
        # Colours are read again from the distant-frame lookup on, so the
        # fill is waited for there; the result is the same as in sequence.
        spatial_pool = ThreadPoolExecutor(max_workers=1)
        verdicts: tuple[Verdicts, Verdicts] = ({}, {})
        # Each frame's check ring, made once a window (holes do not change).
        rings: dict[int, tuple[NDArray[np.intp], NDArray[np.intp]]] = {}
        offered = sources
        keyframe: tuple[int, Future[NDArray[np.uint8]]] | None = None
        try:
            while True:
                clock = time.process_time()
                # Sparse: each sweep finds a source for part of the pixels only,
                # and its result is held until the frame is finished.
                # Later rounds can only find chains into the new keyframe:
                # the rest were found, or ran into the same dead ends, the
                # first time. With relaxed chains the dead ends are long
                # chains dropped by the ring test, so only the keyframe is
                # offered to them (motocross-jump 854x480, 40 frames: 18 M
                # -> 10 M chains found over the 4 rounds, PSNR within 0.01 dB).
                future, past = propagate(offered, tracked, motion, previous, sparse=True)
                if keyframe is not None:
                    work[keyframe[0]] = keyframe[1].result()
                    keyframe = None
                if self.ring_chains:
                    self._verify(holes, sources, tracked, future, past, done, verdicts, rings)
                extra = self._distant(chain, shots, sources, tracked, future, past)
                self._tick("cpu_propagate", clock)
                missing = _missing(holes, tracked, future, past, extra, done)
                if rounds == 0:
                    total_hole = max(int(holes[~done].sum()), 1)
                    self.last_stats["first_round_missing"] = float(missing.sum()) / total_hole
                # Small leftovers (a few px, or 1% of a frame's hole) are not worth
                # a keyframe round; Telea fills them per frame.
                allowed = np.maximum(self.min_missing, 0.01 * hole_sizes)
                if rounds >= self.max_rounds or (missing <= allowed).all():
                    break
                # Most missing, discounted by how much of the band around the hole
                # is unusable (9 clips, 40 frames: rollerblade 23.15 -> 24.12 dB,
                # its static hole no longer filled from a frame the skater crosses;
                # DAVIS mean 25.94 -> 26.09).
                key = int(np.argmax((missing - allowed) * clean))
                # Only the keyframe's distant candidates are used before the next
                # round replaces them all.
                extra = [e if t == key else None for t, e in enumerate(extra)]
                clock = time.process_time()
                # Only the first keyframe is synthesised: it holds most of what
                # no frame shows, and later rounds fill thin remainders (11
                # clips, 40 frames, spatial="patch": same PSNR and E_warp as
                # synthesising every round, dog-agility 854x480 CPU 11.9 -> 8.3 s).
                fill = self._spatial if rounds == 0 else self._leftover
                fused = self._fuse(
                    key, work, holes, tracked, sources, future, past, extra, keyframe=True
                )
                if self.provenance is not None and fused[1] is not None:
                    code = "synthesised" if rounds == 0 else "leftover"
                    self.provenance[key][fused[1]] = PROVENANCE[code]
                keyframe = (key, spatial_pool.submit(self._fill_rest, *fused, fill))
                del fused
                self._tick("cpu_keyframes", clock)
                sources[key] = True
                if self.ring_chains:
                    # np.zeros maps untouched zero pages: only the
                    # keyframe's plane takes memory.
                    offered = np.zeros(sources.shape, bool)
                    offered[key] = True
                if self._distant_sources is not None:
                    self._distant_sources[key] = still(key)
                tracked[key] = (np.zeros(0, np.int32), np.zeros(0, np.int32))
                self._ring_rows[key] = np.zeros(0, bool)
                # The next round extends this state in place; the keyframe's and
                # the distant candidates are not needed any more.
                future[key] = past[key] = Candidates.empty(0)
                extra = []
                previous = (future, past)
                done[key] = True
                rounds += 1
        finally:
            spatial_pool.shutdown()

        clock = time.process_time()

        def finish(t: int) -> None:
            fused = self._fuse(t, work, holes, tracked, sources, future, past, extra)
            if self.provenance is not None and fused[1] is not None:
                self.provenance[t][fused[1]] = PROVENANCE["leftover"]
            image = self._fill_rest(*fused, self._leftover)
            np.copyto(work[t], image, where=holes[t][..., None])

        with ThreadPoolExecutor(max_workers=_WORKERS) as pool:
            list(pool.map(finish, np.nonzero(~done)[0]))
        self._tick("cpu_finish", clock)
        self.last_stats.update(rounds=float(rounds), cuts=float(motion.cuts.sum()))
        # Not held between windows: the pipeline keeps the result, and
        # these would outlive it into the next window's peak.
        self._work = None
        self._holes = None
        self._carried = {}
        self._distant_sources = None
        self._ring_rows = []
        return work

    def _verify(
        self,
        holes: NDArray[np.bool_],
        sources: NDArray[np.bool_],
        tracked: list[tuple[NDArray[np.int32], NDArray[np.int32]]],
        future: list[CandidateSet],
        past: list[CandidateSet],
        done: NDArray[np.bool_],
        verdicts: tuple[Verdicts, Verdicts],
        rings: dict[int, tuple[NDArray[np.intp], NDArray[np.intp]]],
    ) -> None:
        """Drop the relaxed chains that fail the ring test (see :func:`verify_relaxed`).

        After the sweeps, not during them: a chain that fails in one frame
        may still pass in the next, where more chains into the same source
        make the fit (bikes, 40 frames: judged during the sweep, so that
        dropped chains are not inherited, kept 0.8 of the 2.4 dB gained).
        """
        assert self._work is not None
        dropped = 0
        for t in np.nonzero(~done)[0]:
            if t not in rings:
                rings[t] = self._verify_ring(holes[t])
            ring = rings[t]
            for cands, seen in zip((future[t], past[t]), verdicts, strict=True):
                dropped += verify_relaxed(
                    cands,
                    tracked[t],
                    ring,
                    int(t),
                    self._work,
                    sources,
                    verdicts=seen,
                    max_error=self.chain_ring_error,
                )
        self.last_stats["relaxed_dropped"] = self.last_stats.get("relaxed_dropped", 0) + dropped

    def _verify_ring(self, hole: NDArray[np.bool_]) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
        """Known pixels 2 to ``verify_ring`` px from the hole, moving objects included.

        Unlike the distant frames' ring, pixels moving unlike the camera are
        kept: a chain that pastes background over an object the camera
        follows maps the object's visible part onto background too.
        """
        ring = _dilate(hole, self.verify_ring) & ~_dilate(hole, 1)
        return np.nonzero(ring)

    def _distant(
        self,
        chain: list[NDArray[np.float64] | None] | None,
        shots: NDArray[np.int32],
        sources: NDArray[np.bool_],
        tracked: list[tuple[NDArray[np.int32], NDArray[np.int32]]],
        future: list[CandidateSet],
        past: list[CandidateSet],
    ) -> list[_Sparse | None]:
        """Distant candidates for the tracked pixels no neighbour chain reached.

        Returns, per frame, the rows of ``tracked[t]`` that were wanted and
        their candidates (aligned with those rows), or None.
        """
        count = len(tracked)
        if chain is None:
            return [None] * count
        wanted = [~(future[t].found | past[t].found) for t in range(count)]
        if self._distant_sources is not None:
            sources = self._distant_sources
        rings = []
        for t, (ys, xs) in enumerate(tracked):
            keep = self._ring_rows[t] & sources[t, ys, xs]
            rings.append((ys[keep], xs[keep]))
        cands = distant_candidates(
            sources,
            tracked,
            wanted,
            chain,
            shots=shots,
            frames=self._work,
            rings=rings,
            max_ring_error=self.ring_error,
            compact=True,
            matcher=FeatureCache(self._work, sources) if self.match_features else None,
        )
        # Kept for the pixels a distant frame showed only: most wanted pixels
        # are never seen, and a frame's candidates live until it is finished.
        out: list[_Sparse | None] = []
        for want, cand in zip(wanted, cands, strict=True):
            if cand is None:
                out.append(None)
                continue
            hit = cand.found
            out.append((np.flatnonzero(want)[hit].astype(np.int32), cand.take(hit)))
        return out

    @staticmethod
    def _fill_rest(
        image: NDArray[np.uint8],
        missing: NDArray[np.bool_] | None,
        source: NDArray[np.bool_] | None,
        spatial: SpatialFill,
    ) -> NDArray[np.uint8]:
        """``image`` with its ``missing`` pixels filled by ``spatial`` from ``source``."""
        if missing is None or source is None:
            return image
        return spatial(image, missing, source)

    def _fuse(
        self,
        t: int,
        work: NDArray[np.uint8],
        holes: NDArray[np.bool_],
        tracked: list[tuple[NDArray[np.int32], NDArray[np.int32]]],
        sources: NDArray[np.bool_],
        future: list[CandidateSet],
        past: list[CandidateSet],
        extra: list[_Sparse | None],
        *,
        keyframe: bool = False,
    ) -> tuple[NDArray[np.uint8], NDArray[np.bool_] | None, NDArray[np.bool_] | None]:
        """Frame ``t`` with its candidates fused and the seam corrected.

        Returns the image, and the hole pixels no candidate reached with the
        pixels a spatial fill may copy from (None, None when there are none).
        Recording provenance, a ``keyframe``'s age and error maps are kept
        for the chains that will copy from it (see :meth:`_carry`).
        """
        ys, xs = tracked[t]
        hole = holes[t]
        if len(ys) == 0:
            return work[t].copy(), None, None
        cands = [future[t].dense(), past[t].dense()]
        if extra[t] is not None:
            rows, sparse = extra[t]
            full = Candidates.empty(len(ys))
            full.assign(rows, sparse)
            cands.append(full)
        found = np.stack([c.found for c in cands])
        weights = candidate_weights(
            np.stack([c.error for c in cands]),
            np.stack([c.distance for c in cands]),
            found,
            alpha=self.alpha,
            tau=self.tau,
        )
        if self.provenance is not None:
            # Debug: how far back, through keyframes, each pixel's fill was seen.
            errors, distances = self._carry(cands)
            age = np.where(found.any(axis=0), (weights * distances).sum(axis=0), _INVENTED_AGE)
            age_map = np.full(hole.shape, _INVENTED_AGE, np.float32)
            age_map[ys, xs] = age
            if keyframe:
                uncertainty = np.zeros(hole.shape, np.float32)
                uncertainty[ys, xs] = (weights * errors).sum(axis=0)
                self._carried[t] = (age_map, uncertainty)
            if self.provenance_age is not None:
                inside = hole[ys, xs]
                self.provenance_age[t, ys[inside], xs[inside]] = age[inside]
            del errors, distances, age
        # Only candidates that exist are sampled (often under half of them):
        # the others weigh 0 and a zero colour adds the same 0 to the sum.
        colours = np.zeros((len(cands), len(ys), work.shape[-1]), np.float32)
        for k, c in enumerate(cands):
            rows = np.flatnonzero(c.t >= 0)
            colours[k, rows] = sample_stack_bilinear(work, c.t[rows], c.x[rows], c.y[rows])
        fused = fuse(colours, weights)
        any_found = found.any(axis=0)
        if self.provenance is not None:
            self._record(t, cands, weights, any_found, ys, xs, hole)
        # Per-pixel temporaries go before the full-frame work below: two
        # frames are finished at once while the window's state is still held.
        del cands, found, weights, colours
        fill = np.zeros(work.shape[1:], np.float32)
        fill[ys[any_found], xs[any_found]] = fused[any_found]
        del fused
        have = np.zeros(hole.shape, bool)
        have[ys[any_found], xs[any_found]] = True
        ring = np.zeros(hole.shape, bool)
        on_ring = any_found & self._ring_rows[t]
        ring[ys[on_ring], xs[on_ring]] = True
        ring &= ~hole
        if self.blend_factor > 0:
            image = boundary_offset(
                work[t], fill, hole & have, ring, factor=self.blend_factor, skip_below=1.0
            )
        else:
            image = work[t].copy()
            inside = hole & have
            image[inside] = np.clip(fill[inside] + 0.5, 0, 255).astype(np.uint8)
        del fill
        missing = hole & ~have
        if missing.any():
            return image, missing, ~missing & (sources[t] | hole)
        return image, None, None

    def _carry(self, cands: list[Candidates]) -> tuple[NDArray[np.float32], NDArray[np.float32]]:
        """Chain errors and distances ``(K, N)``, counted back to observed content.

        A chain that lands in a keyframe's hole copies what the keyframe was
        filled with, which came from further away (or was invented): its
        distance adds the keyframe's own and its error is the larger of the
        two. Used for the age of a fill only, not for the fusion weights:
        weighing candidates by these (so that a direct chain outweighs a
        copy of a keyframe's copy) took kite-surf 17.03 -> 16.29 dB and the
        11-clip mean 17.90 -> 17.82 (``flow_quality.py --frames 40``).
        """
        errors = np.stack([c.error for c in cands]).astype(np.float32)
        distances = np.stack([c.distance for c in cands]).astype(np.float32)
        if not self._carried or self._holes is None:
            return errors, distances
        holes = self._holes
        _, height, width = holes.shape
        for k, c in enumerate(cands):
            for key, (age, uncertainty) in self._carried.items():
                rows = np.flatnonzero(c.t == key)
                if len(rows) == 0:
                    continue
                ry, rx = nearest_pixel(c.x[rows], c.y[rows], height, width)
                inside = holes[key, ry, rx]
                rows, ry, rx = rows[inside], ry[inside], rx[inside]
                distances[k, rows] += age[ry, rx]
                errors[k, rows] = np.maximum(errors[k, rows], uncertainty[ry, rx])
        return errors, distances

    def _record(
        self,
        t: int,
        cands: list[Candidates],
        weights: NDArray[np.float32],
        any_found: NDArray[np.bool_],
        ys: NDArray[np.int32],
        xs: NDArray[np.int32],
        hole: NDArray[np.bool_],
    ) -> None:
        """Write the provenance of frame ``t``'s found hole pixels (debug only).

        A pixel is labelled by its heaviest candidate; a candidate landing
        inside another frame's hole reads a keyframe's fill, and is labelled
        by how that keyframe's pixel was filled.
        """
        assert self.provenance is not None and self._holes is not None
        best = np.argmax(weights, axis=0)
        rows = np.arange(len(ys))
        src_t = np.stack([c.t for c in cands])[best, rows].astype(np.intp)
        src_x = np.stack([c.x for c in cands])[best, rows]
        src_y = np.stack([c.y for c in cands])[best, rows]
        code = np.where(best < 2, PROVENANCE["local"], PROVENANCE["distant"]).astype(np.uint8)
        _, height, width = self._holes.shape
        sy, sx = nearest_pixel(src_x, src_y, height, width)
        st = np.maximum(src_t, 0)
        inside = any_found & self._holes[st, sy, sx]
        # A keyframe's own "via" pixels keep their first-hand class.
        first_hand = self.provenance[st, sy, sx][inside]
        first_hand = np.where(first_hand > _VIA, first_hand - _VIA, first_hand)
        code[inside] = np.where(first_hand > 0, first_hand + _VIA, 0)
        keep = any_found & hole[ys, xs]
        self.provenance[t, ys[keep], xs[keep]] = code[keep]


class _Region(NamedTuple):
    """Where one flow field is replaced, and by what (see :meth:`FlowEngine._flow_region`)."""

    matrix: NDArray[np.float64] | None  # camera homography
    foreign: NDArray[np.bool_]  # grown region moving unlike the camera
    mask: NDArray[np.bool_]  # the flow mask: the pixels replaced
    camera: NDArray[np.float32] | None  # the homography's flow
    static: bool  # a still camera: the mask is set to zero


class _Estimate(NamedTuple):
    """What :meth:`FlowEngine.estimate_motion` returns."""

    motion: Motion
    homographies: list[NDArray[np.float64] | None]
    foreign: NDArray[np.bool_]
    moving: NDArray[np.bool_] | None
    outliers: NDArray[np.bool_] | None


def _sources_and_tracked(
    holes: NDArray[np.bool_],
    foreign: NDArray[np.bool_],
    outliers: NDArray[np.bool_] | None,
    ring_width: int,
) -> tuple[
    NDArray[np.bool_],
    list[tuple[NDArray[np.int32], NDArray[np.int32]]],
    list[NDArray[np.bool_]],
    NDArray[np.float64],
]:
    """Per frame: where chains may copy from, which pixels they follow, the check ring.

    Parameters
    ----------
    holes : bool (T, H, W)
    foreign : bool (T, H, W)
        Pixels near a hole moving unlike the camera (:meth:`FlowEngine.estimate_motion`).
    outliers : bool (T, h, w) or None
        Known pixels whose own flow fails the photometric test, on the working grid.
    ring_width : int
        Width (px) of the ring around each hole where the seam offset is measured.

    Returns
    -------
    sources : bool (T, H, W)
        Pixels a chain may copy from: not within 1 px of a hole, not foreign, not
        an outlier (grown by 1 px).
    tracked : list of (ys, xs) int32 arrays
        Per frame, the pixels whose chains are followed: the hole, its ring and
        the foreign pixels (none on a frame without a hole).
    ring_rows : list of bool arrays
        Per frame, which tracked pixels belong to the ring.
    clean : float64 (T,)
        Share of the band around each hole that may be copied from.
    """
    count = len(holes)
    size = holes.shape[1:]
    has_hole = holes.any(axis=(1, 2))
    # Built frame by frame so no full-window temporaries pile up.
    sources = np.empty(holes.shape, bool)
    tracked: list[tuple[NDArray[np.int32], NDArray[np.int32]]] = []
    ring_rows: list[NDArray[np.bool_]] = []
    # A keyframe's spatial fill is drawn from the band around its hole and then
    # carried to every frame, so a band crossed by a passer-by would colour them all.
    clean = np.ones(count)
    for t in range(count):
        near = _dilate(holes[t], 1)
        # Pixels moving unlike the camera next to a hole are a moving object
        # (or the removed one's bleed): copied into the hole they leave
        # ghosts, so they are no sources, but chains pass through them.
        sources[t] = ~(near | foreign[t])
        if outliers is not None:
            # One pixel more: the test is blind inside a thin object whose
            # own shift lands on itself (a leg moving along its length);
            # its failing edges, grown, cover it (9 clips: E_warp -2%,
            # same mean PSNR, fewer ghost trails; 2 px cost 0.1 dB).
            sources[t] &= ~_enlarged(outliers[t], size, 1)
        around = _dilate(holes[t], ring_width)
        ring = around & ~foreign[t]
        band = np.count_nonzero(around & ~near)
        if band:
            clean[t] = np.count_nonzero(sources[t] & around) / band
        if has_hole[t]:
            ys, xs = np.nonzero(ring | foreign[t])
        else:
            ys, xs = np.zeros(0, np.intp), np.zeros(0, np.intp)
        # int32 halves the largest per-pixel state; NumPy indexes with it.
        tracked.append((ys.astype(np.int32), xs.astype(np.int32)))
        ring_rows.append(ring[ys, xs])
    return sources, tracked, ring_rows, clean


def _missing(
    holes: NDArray[np.bool_],
    tracked: list[tuple[NDArray[np.int32], NDArray[np.int32]]],
    future: list[CandidateSet],
    past: list[CandidateSet],
    extra: list[_Sparse | None],
    done: NDArray[np.bool_],
) -> NDArray[np.int64]:
    """Per frame, how many hole pixels no chain or distant frame has a candidate for
    (0 for frames already ``done``)."""
    missing = np.zeros(len(holes), np.int64)
    for t in np.nonzero(~done)[0]:
        ys, xs = tracked[t]
        found = future[t].found | past[t].found
        if extra[t] is not None:
            rows, cand = extra[t]
            found[rows] |= cand.found
        missing[t] = int((holes[t, ys, xs] & ~found).sum())
    return missing


def _resized(mask: NDArray[np.bool_], size: tuple[int, int]) -> NDArray[np.bool_]:
    """One flow-grid mask at working ``size`` (H, W), nearest neighbour."""
    if mask.shape == size:
        return mask
    height, width = size
    return cv2.resize(mask.astype(np.uint8), (width, height), interpolation=cv2.INTER_NEAREST) > 0


def _enlarged(mask: NDArray[np.bool_], size: tuple[int, int], grow: int) -> NDArray[np.bool_]:
    """One flow-grid mask at working ``size``, grown by ``grow`` px."""
    return _dilate(_resized(mask, size), grow)


def _to_working(masks: NDArray[np.bool_], size: tuple[int, int]) -> NDArray[np.bool_]:
    """Masks on the flow grid, resized (nearest) to the working ``size``."""
    if masks.shape[1:] == size:
        return masks
    # Filled frame by frame: a list of frames plus their stack would hold
    # the full-size mask twice.
    out = np.empty((len(masks), *size), bool)
    for t, m in enumerate(masks):
        out[t] = _resized(m, size)
    return out


def _rescale_homography(
    matrix: NDArray[np.float64] | None, scale: float
) -> NDArray[np.float64] | None:
    """A homography on the flow grid, expressed on the working grid."""
    if matrix is None or scale == 1.0:
        return matrix
    # Grid coordinates relate by x_small = s * (x + 0.5) - 0.5.
    to_small = np.array([[scale, 0, 0.5 * scale - 0.5], [0, scale, 0.5 * scale - 0.5], [0, 0, 1]])
    return np.linalg.inv(to_small) @ matrix @ to_small
