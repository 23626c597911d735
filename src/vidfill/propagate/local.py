"""Bidirectional propagation of *source coordinates* through neighbouring frames.

Every tracked pixel (the hole plus a thin ring) of frame ``t`` follows the
completed flow into the next frame of a sweep. Where it lands on a source
pixel, that position (sub-pixel) is its candidate; where it lands on another
tracked pixel, it inherits that pixel's candidate shifted by the sub-pixel
offset of the landing point (the chain of FGVC). Colours are sampled once,
from the source frame, so content travels many frames without the blur of
repeated resampling. Each step must pass the forward-backward test; a chain
carries the largest residual met along it as its error. Where the flow was
completed (see :class:`Motion`) a failing step passes, marked ``relaxed``,
for a colour check after the sweep (:mod:`vidfill.propagate.verify`).

Two sweeps give each pixel up to two candidates: the nearest source in the
future and in the past. All work is vectorised over the tracked pixels of a
frame; the only Python loop is over frames.

Memory: the state is kept per tracked pixel, never as full-frame maps per
frame (a window holds 40-60 frames; only the hole and its ring are tracked),
in the narrowest exact types: frame numbers and distances fit int16 (a window
never has 32k frames), optionally only for the pixels a sweep found a source
for (:class:`SparseCandidates`). A keyframe round extends the previous
sweep's state in place rather than copying it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from vidfill.flow.check import fb_consistent, sample_bilinear

#: Most frames a window may have: frame numbers and distances are int16.
MAX_FRAMES = int(np.iinfo(np.int16).max)


@dataclass
class Motion:
    """Completed flow of a window, at the flow scale.

    Attributes
    ----------
    forward, backward : ndarray of float32, shape (T-1, h, w, 2)
        ``forward[t]`` maps t -> t+1, ``backward[t]`` maps t+1 -> t, in
        pixels of the flow grid.
    cuts : ndarray of bool, shape (T-1,)
        Pairs that straddle a scene cut; nothing propagates across them.
    scale : float
        Flow grid size over working size (<= 1).
    filled_forward, filled_backward : ndarray of bool, shape (T-1, h, w), optional
        Where ``forward[t]`` (on frame t's grid) and ``backward[t]`` (on
        frame t+1's grid) were completed rather than estimated. Given, a step
        that starts or lands there skips the forward-backward test, which
        there compares two fills, not two measurements, and its candidate is
        marked ``relaxed``: someone must verify it (see
        :func:`vidfill.propagate.verify.verify_relaxed`).
    """

    forward: NDArray[np.float32]
    backward: NDArray[np.float32]
    cuts: NDArray[np.bool_]
    scale: float = 1.0
    filled_forward: NDArray[np.bool_] | None = None
    filled_backward: NDArray[np.bool_] | None = None


@dataclass
class Candidates:
    """One candidate source per tracked pixel of a frame (one sweep).

    Attributes
    ----------
    t : ndarray of int16, shape (N,)
        Source frame, -1 where none was found.
    x, y : ndarray of float32, shape (N,)
        Sub-pixel source position in that frame.
    error : ndarray of float32, shape (N,)
        Largest forward-backward residual along the chain, in pixels.
    distance : ndarray of int16, shape (N,)
        Frames between the pixel and its source.
    relaxed : ndarray of bool, shape (N,)
        The chain took a step the forward-backward test could not judge
        (see :class:`Motion`): the candidate is unverified.
    """

    t: NDArray[np.int16]
    x: NDArray[np.float32]
    y: NDArray[np.float32]
    error: NDArray[np.float32]
    distance: NDArray[np.int16]
    relaxed: NDArray[np.bool_]

    @classmethod
    def empty(cls, count: int) -> Candidates:
        """``count`` pixels with no candidate."""
        return cls(
            t=np.full(count, -1, np.int16),
            x=np.zeros(count, np.float32),
            y=np.zeros(count, np.float32),
            error=np.zeros(count, np.float32),
            distance=np.zeros(count, np.int16),
            relaxed=np.zeros(count, bool),
        )

    def copy(self) -> Candidates:
        """An independent copy."""
        return Candidates(
            self.t.copy(),
            self.x.copy(),
            self.y.copy(),
            self.error.copy(),
            self.distance.copy(),
            self.relaxed.copy(),
        )

    def take(self, rows: NDArray[np.integer] | NDArray[np.bool_]) -> Candidates:
        """The candidates of ``rows`` (indices or a mask), as a new set."""
        return Candidates(
            self.t[rows],
            self.x[rows],
            self.y[rows],
            self.error[rows],
            self.distance[rows],
            self.relaxed[rows],
        )

    def assign(self, rows: NDArray[np.intp], other: Candidates) -> None:
        """Overwrite ``rows`` with the candidates of ``other`` (aligned with ``rows``)."""
        self.t[rows] = other.t
        self.x[rows] = other.x
        self.y[rows] = other.y
        self.error[rows] = other.error
        self.distance[rows] = other.distance
        self.relaxed[rows] = other.relaxed

    @property
    def found(self) -> NDArray[np.bool_]:
        """Which pixels have a candidate."""
        return self.t >= 0

    def dense(self) -> Candidates:
        """This set, one candidate slot per pixel (itself)."""
        return self

    def sparse(self) -> SparseCandidates:
        """The same candidates stored for the found pixels only."""
        found = self.found
        return SparseCandidates(
            len(self.t), np.flatnonzero(found).astype(np.int32), self.take(found)
        )


@dataclass
class SparseCandidates:
    """A frame's :class:`Candidates` stored for the pixels that have one.

    A sweep finds a source for some of the tracked pixels only (typically
    half looking forward and a fifth looking back), and its result lives for
    the whole window: the slots of the others would be most of its memory.

    Attributes
    ----------
    size : int
        Number of tracked pixels.
    rows : ndarray of int32, shape (M,)
        The pixels (rows of the tracked set) that have a candidate.
    values : Candidates
        Their candidates, aligned with ``rows``.
    """

    size: int
    rows: NDArray[np.int32]
    values: Candidates

    @property
    def found(self) -> NDArray[np.bool_]:
        """Which pixels have a candidate."""
        found = np.zeros(self.size, bool)
        found[self.rows] = self.values.found
        return found

    def dense(self) -> Candidates:
        """The same candidates with one slot per pixel."""
        out = Candidates.empty(self.size)
        out.assign(self.rows, self.values)
        return out

    def sparse(self) -> SparseCandidates:
        """This set (already sparse)."""
        return self


#: A frame's candidates in either storage.
CandidateSet = Candidates | SparseCandidates


def flow_at(
    flow: NDArray[np.float32], x: NDArray[np.floating], y: NDArray[np.floating], scale: float
) -> NDArray[np.float32]:
    """Flow vectors (in working pixels) at working positions ``x, y``, from a grid at ``scale``."""
    if scale == 1.0:
        return sample_bilinear(flow, x, y)
    fx = (np.asarray(x, np.float32) + 0.5) * scale - 0.5
    fy = (np.asarray(y, np.float32) + 0.5) * scale - 0.5
    return sample_bilinear(flow, fx, fy) / scale


class _DenseMap:
    """A frame's candidates scattered into full-size images, for O(1) lookup by pixel."""

    def __init__(self, height: int, width: int) -> None:
        self.t = np.full((height, width), -1, np.int16)
        self.x = np.zeros((height, width), np.float32)
        self.y = np.zeros((height, width), np.float32)
        self.error = np.zeros((height, width), np.float32)
        self.distance = np.zeros((height, width), np.int16)
        self.relaxed = np.zeros((height, width), bool)
        self._width = width
        self._written = np.zeros(0, np.intp)

    def load(self, ys: NDArray[np.intp], xs: NDArray[np.intp], cand: CandidateSet) -> None:
        # Only pixels with a candidate are written (lookups read the others'
        # ``t`` only, which stays -1): in flat indices, a fraction of the
        # tracked pixels, and 1-D scatters instead of 2-D fancy indexing.
        self.t.ravel()[self._written] = -1
        rows = None
        if isinstance(cand, SparseCandidates):
            # Read as stored: the same pixels and values as its dense form.
            rows, cand = cand.rows, cand.values
        found = np.flatnonzero(cand.t >= 0)
        pixels = found if rows is None else rows[found]
        flat = ys[pixels].astype(np.intp) * self._width + xs[pixels]
        self._written = flat
        self.t.ravel()[flat] = cand.t[found]
        self.x.ravel()[flat] = cand.x[found]
        self.y.ravel()[flat] = cand.y[found]
        self.error.ravel()[flat] = cand.error[found]
        self.distance.ravel()[flat] = cand.distance[found]
        self.relaxed.ravel()[flat] = cand.relaxed[found]


def sweep(
    sources: NDArray[np.bool_],
    tracked: list[tuple[NDArray[np.intp], NDArray[np.intp]]],
    motion: Motion,
    *,
    direction: str,
    previous: list[CandidateSet] | None = None,
    sparse: bool = False,
) -> list[CandidateSet]:
    """One propagation sweep over a window.

    Parameters
    ----------
    sources : ndarray of bool, shape (T, H, W)
        Pixels whose colour may be copied (known, away from holes).
    tracked : list of (ys, xs)
        Per frame, the pixels that want a candidate. Every pixel that is not a
        source must be tracked (or be outside the hole's reach), so chains
        can pass through it.
    motion : Motion
    direction : {"future", "past"}
        Where sources are looked for: "future" sweeps from the last frame
        back along the forward flow; "past" from the first frame on along the
        backward flow.
    previous : list of Candidates, optional
        An earlier sweep's result (same direction) to extend: only pixels it
        found nothing for are propagated again. It is updated in place (the
        list and its dense Candidates) and returned: a copy would hold the
        window's state twice. Frames whose tracked set changed size restart.
    sparse : bool
        Store each frame's result as :class:`SparseCandidates` (the found
        pixels only) once the sweep has passed it.

    Returns
    -------
    list of Candidates (or SparseCandidates)
        One per frame, aligned with ``tracked``.
    """
    count, height, width = sources.shape
    if count > MAX_FRAMES:
        raise ValueError(f"a window has at most {MAX_FRAMES} frames, not {count}")

    def fresh(t: int) -> CandidateSet:
        size = len(tracked[t][0])
        if not sparse:
            return Candidates.empty(size)
        return SparseCandidates(size, np.zeros(0, np.int32), Candidates.empty(0))

    if previous is None:
        results = [fresh(t) for t in range(count)]
    else:
        results = previous
        for t, old in enumerate(results):
            size = old.size if isinstance(old, SparseCandidates) else len(old.t)
            if size != len(tracked[t][0]):
                results[t] = fresh(t)
    if count < 2:
        return results
    if direction == "future":
        order = range(count - 2, -1, -1)
        # (pair, frame stepped to, flow stepped along, which of the pair's
        # flows it is): the forward flow leads to the next frame.
        step_of = lambda t: (t, t + 1, True)  # noqa: E731
    elif direction == "past":
        order = range(1, count)
        step_of = lambda t: (t - 1, t - 1, False)  # noqa: E731
    else:
        raise ValueError(f"direction must be 'future' or 'past', not {direction!r}")
    start = count - 1 if direction == "future" else 0
    neighbour_map = _DenseMap(height, width)
    neighbour_map.load(*tracked[start], results[start].dense())
    for t in order:
        ys, xs = tracked[t]
        pair, u, forward = step_of(t)
        step = _Step(
            motion.forward[pair] if forward else motion.backward[pair],
            motion.backward[pair] if forward else motion.forward[pair],
            _pair_mask(motion.filled_forward if forward else motion.filled_backward, pair),
            _pair_mask(motion.filled_backward if forward else motion.filled_forward, pair),
            motion.scale,
        )
        stepping = len(ys) > 0 and not motion.cuts[pair]
        if previous is None:
            cand = results[t].dense()
            if stepping:
                _step(ys, xs, step, sources, u, neighbour_map, cand)
        else:
            current = results[t]
            todo = np.flatnonzero(~current.found)
            part = None
            if stepping and len(todo):
                part = Candidates.empty(len(todo))
                _step(ys[todo], xs[todo], step, sources, u, neighbour_map, part)
            if part is None or not part.found.any():
                # Nothing new (about half the frames of a later round on
                # dog-agility): the frame's candidates stay as stored, with
                # no dense copy to fill and shrink again.
                neighbour_map.load(ys, xs, current)
                results[t] = current.sparse() if sparse else current.dense()
                continue
            cand = current.dense()
            cand.assign(todo, part)
        neighbour_map.load(ys, xs, cand)
        results[t] = cand.sparse() if sparse else cand
    return results


def _pair_mask(masks: NDArray[np.bool_] | None, pair: int) -> NDArray[np.bool_] | None:
    return None if masks is None else masks[pair]


@dataclass
class _Step:
    """One pair's flows for a step: the one followed, the one checked against,
    where each was completed (None: estimated everywhere), and the flow scale."""

    flow: NDArray[np.float32]
    check: NDArray[np.float32]
    flow_filled: NDArray[np.bool_] | None
    check_filled: NDArray[np.bool_] | None
    scale: float


def nearest_pixel(
    x: NDArray[np.floating], y: NDArray[np.floating], height: int, width: int
) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
    """Row and column of the pixel nearest to each ``(x, y)``, clipped into the frame."""
    ry = np.clip(np.rint(y), 0, height - 1).astype(np.intp)
    rx = np.clip(np.rint(x), 0, width - 1).astype(np.intp)
    return ry, rx


def _grid_lookup(
    mask: NDArray[np.bool_], x: NDArray[np.float32], y: NDArray[np.float32], scale: float
) -> NDArray[np.bool_]:
    """``mask`` (flow grid) at working positions ``x, y``, nearest, clamped to the grid."""
    height, width = mask.shape
    gx = np.clip(np.rint((x + 0.5) * scale - 0.5), 0, width - 1).astype(np.intp)
    gy = np.clip(np.rint((y + 0.5) * scale - 0.5), 0, height - 1).astype(np.intp)
    return mask[gy, gx]


def _step(
    ys: NDArray[np.intp],
    xs: NDArray[np.intp],
    step: _Step,
    sources: NDArray[np.bool_],
    u: int,
    neighbour: _DenseMap,
    cand: Candidates,
) -> None:
    """Move the tracked pixels one frame (to ``u``) and fill ``cand`` in place."""
    height, width = sources.shape[1:]
    fx = xs.astype(np.float32)
    fy = ys.astype(np.float32)
    f = flow_at(step.flow, fx, fy, step.scale)
    qx = fx + f[:, 0]
    qy = fy + f[:, 1]
    inside = (qx >= 0) & (qx <= width - 1) & (qy >= 0) & (qy <= height - 1)
    g = flow_at(step.check, qx, qy, step.scale)
    valid, residual = fb_consistent(f, g)
    # Where either flow is a fill, the test compares two fills: it passes
    # when they happen to agree and fails when they were fitted apart, and
    # says nothing about whether the content is there. Such steps pass
    # unjudged and their chains are marked for a check against colours.
    relaxed = np.zeros(len(ys), bool)
    failed = np.flatnonzero(~valid)
    if len(failed) and step.flow_filled is not None:
        relaxed[failed] = _grid_lookup(step.flow_filled, fx[failed], fy[failed], step.scale)
    if len(failed) and step.check_filled is not None:
        relaxed[failed] |= _grid_lookup(step.check_filled, qx[failed], qy[failed], step.scale)
    ok = inside & (valid | relaxed)
    ry, rx = nearest_pixel(qx, qy, height, width)
    # Flat indices: one gather per lookup instead of a 2-D fancy index.
    landing = ry * width + rx
    direct = ok & sources[u].ravel()[landing]
    cand.t[direct] = u
    cand.x[direct] = qx[direct]
    cand.y[direct] = qy[direct]
    cand.error[direct] = residual[direct]
    cand.distance[direct] = 1
    cand.relaxed[direct] = relaxed[direct]
    reach = np.flatnonzero(ok & ~direct)
    at = landing[reach]
    src_t = neighbour.t.ravel()[at]
    has = src_t >= 0
    if not has.any():
        return
    inherit, at, src_t = reach[has], at[has], src_t[has]
    ix = rx[inherit]
    iy = ry[inherit]
    nx = neighbour.x.ravel()[at]
    ny = neighbour.y.ravel()[at]
    # The landing point's sub-pixel offset carries over to the source
    # position, assuming the motion is locally a translation.
    sx = np.clip(nx + (qx[inherit] - ix), 0, width - 1)
    sy = np.clip(ny + (qy[inherit] - iy), 0, height - 1)
    plane = height * width
    spot = src_t.astype(np.intp) * plane + np.rint(sy).astype(np.intp) * width
    usable = sources.ravel()[spot + np.rint(sx).astype(np.intp)]
    cand.t[inherit] = src_t
    cand.x[inherit] = np.where(usable, sx, nx)
    cand.y[inherit] = np.where(usable, sy, ny)
    cand.error[inherit] = np.maximum(residual[inherit], neighbour.error.ravel()[at])
    cand.distance[inherit] = neighbour.distance.ravel()[at] + 1
    cand.relaxed[inherit] = relaxed[inherit] | neighbour.relaxed.ravel()[at]


def propagate(
    sources: NDArray[np.bool_],
    tracked: list[tuple[NDArray[np.intp], NDArray[np.intp]]],
    motion: Motion,
    previous: tuple[list[CandidateSet], list[CandidateSet]] | None = None,
    *,
    sparse: bool = False,
) -> tuple[list[CandidateSet], list[CandidateSet]]:
    """Both sweeps: per frame, the nearest future and the nearest past candidate.

    See :func:`sweep` for the arguments; ``previous`` is an earlier
    ``(future, past)`` result to extend (in place).

    Returns
    -------
    future, past : list of Candidates (SparseCandidates if ``sparse``)
    """
    old_future, old_past = previous if previous is not None else (None, None)
    return (
        sweep(sources, tracked, motion, direction="future", previous=old_future, sparse=sparse),
        sweep(sources, tracked, motion, direction="past", previous=old_past, sparse=sparse),
    )
