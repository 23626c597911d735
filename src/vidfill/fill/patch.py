"""Exemplar (patch) synthesis: fill a hole with texture copied from elsewhere.

What no frame of a video ever shows has to be invented. Diffusion (Telea,
harmonic fills) invents smooth colour and so blurs texture; this module
invents it by copying patches from the known part of the image (and optionally
of other frames), in the way of Wexler, Shechtman and Irani and of Newson et al.:

* a Gaussian-like pyramid, solved coarse to fine, so that large structures are
  settled where the hole is only a few patches wide;
* at each level an expectation-maximisation loop: PatchMatch (random search +
  propagation) finds for every patch touching the hole its nearest known patch,
  then every hole pixel is re-estimated by a weighted vote of the patches that
  cover it;
* Newson's texture features (locally averaged absolute gradients) are appended
  to the colour, so a textured area is matched by textured patches and the fill
  does not drift towards flat, blurry averages;
* at the finest level each hole pixel takes its colour from the single best
  patch covering it, which keeps the result as sharp as its sources;
* structure first: a smooth membrane (harmonic) fill of the hole, low-passed,
  is a guide that every candidate patch is also compared with (at its centre,
  against the source's own low-pass). Unguided, a patch that continues the
  texture but has the wrong mean colour or sits on the wrong side of an edge
  (grass for river, legs for a fence) wins as easily as the right one, and
  each such error costs more PSNR than blur does; guided, the fill keeps the
  membrane's colour layout and adds the sources' texture on top (Hertzmann
  et al.'s image analogies use the same kind of guide channel).

The heavy loops run under numba (``cache=True``: the JIT cost is paid once per
machine; ``nogil=True``: other threads run meanwhile); everything else is
NumPy/OpenCV.

References
----------
Y. Wexler, E. Shechtman, M. Irani, "Space-time completion of video", PAMI 2007.
A. Hertzmann et al., "Image analogies", SIGGRAPH 2001.
C. Barnes et al., "PatchMatch", SIGGRAPH 2009.
A. Newson et al., "Video inpainting of complex scenes", SIAM J. Imaging Sci. 2014.
"""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np
from numba import njit
from numpy.typing import NDArray

from vidfill.fill.spatial import fill_telea
from vidfill.flow.complete import harmonic_fill

__all__ = ["fill_patch"]

# Fewer valid source centres than this at a level and the search has nothing
# to choose from: use fewer pyramid levels (or, at the finest level, give up).
_MIN_SOURCES = 16


# --------------------------------------------------------------------------
# numba kernels
# --------------------------------------------------------------------------


@njit(cache=True)
def _rand(state: int) -> int:
    """One step of a 31-bit LCG; a plain int keeps the stream reproducible."""
    return (state * 1103515245 + 12345) & 0x7FFFFFFF


@njit(cache=True)
def _patch_dist(feat, ty, tx, sy, sx, r, h, w, best, nd):
    """Squared distance between the target patch at (ty, tx) and the source at (sy, sx).

    Channels ``< nd`` are compared at every pixel of the patch; the rest (the
    low-frequency guide) only at the centre, weighted by the patch area, so
    the guide steers a patch's mean colour without asking its texture to be
    as smooth as the guide. Target pixels outside the image (rows >= h belong
    to extra sources) are skipped, so holes on the border are matched on
    their visible part. Stops early once the partial sum exceeds ``best``.
    """
    d = _centre_dist(feat, ty, tx, sy, sx, r, nd)
    for dy in range(-r, r + 1):
        y = ty + dy
        if y < 0 or y >= h:
            continue
        for dx in range(-r, r + 1):
            x = tx + dx
            if x < 0 or x >= w:
                continue
            for c in range(nd):
                diff = feat[y, x, c] - feat[sy + dy, sx + dx, c]
                d += diff * diff
        if d >= best:
            return d
    return d


@njit(cache=True)
def _centre_dist(feat, ty, tx, sy, sx, r, nd):
    """Area-weighted squared difference of channels ``>= nd`` at the patch centres."""
    d = 0.0
    for c in range(nd, feat.shape[2]):
        diff = feat[ty, tx, c] - feat[sy, sx, c]
        d += diff * diff
    return d * (2 * r + 1) * (2 * r + 1)


@njit(cache=True, nogil=True)
def _all_dists(feat, tys, txs, sys_, sxs, dist, r, h, w, nd):
    for k in range(tys.shape[0]):
        dist[k] = _patch_dist(feat, tys[k], txs[k], sys_[k], sxs[k], r, h, w, np.inf, nd)


@njit(cache=True, nogil=True)
def _patchmatch(feat, valid, tidx, tys, txs, sys_, sxs, dist, vys, vxs, r, h, w, n_iter, seed, nd):
    """Improve the nearest-neighbour field in place by PatchMatch.

    ``valid[y, x]`` says whether a source patch may be centred at (y, x) of the
    canvas; ``vys, vxs`` list those centres so a fully random guess is cheap
    even when valid sources are sparse.
    """
    n = tys.shape[0]
    hc, wc = valid.shape
    nv = vys.shape[0]
    max_rad = max(hc, wc)
    for it in range(n_iter):
        step = 1 if it % 2 == 0 else -1
        start = 0 if step == 1 else n - 1
        for j in range(n):
            k = start + step * j
            ty = tys[k]
            tx = txs[k]
            best = dist[k]
            by = sys_[k]
            bx = sxs[k]
            # Propagation: a neighbour's match shifted by one is a good guess
            # wherever the fill is a coherent copy of one region.
            for nb in range(2):
                ny = ty - step if nb == 0 else ty
                nx = tx if nb == 0 else tx - step
                if ny < 0 or ny >= h or nx < 0 or nx >= w:
                    continue
                q = tidx[ny, nx]
                if q < 0:
                    continue
                cy = sys_[q] + (ty - ny)
                cx = sxs[q] + (tx - nx)
                if cy < 0 or cy >= hc or cx < 0 or cx >= wc or not valid[cy, cx]:
                    continue
                if cy == by and cx == bx:
                    continue
                d = _patch_dist(feat, ty, tx, cy, cx, r, h, w, best, nd)
                if d < best:
                    best = d
                    by = cy
                    bx = cx
            # Random search around the current best at shrinking radii, plus
            # one guess anywhere among the valid centres.
            state = _rand((seed * 1000003 + it * 104729 + k * 7919) & 0x7FFFFFFF)
            state = _rand(state)
            state = _rand(state)
            if nv > 0:
                cand = state % nv
                state = _rand(state)
                cy = vys[cand]
                cx = vxs[cand]
                d = _patch_dist(feat, ty, tx, cy, cx, r, h, w, best, nd)
                if d < best:
                    best = d
                    by = cy
                    bx = cx
            rad = max_rad
            while rad >= 1:
                cy = by + (state % (2 * rad + 1)) - rad
                state = _rand(state)
                cx = bx + (state % (2 * rad + 1)) - rad
                state = _rand(state)
                rad //= 2
                if cy < 0 or cy >= hc or cx < 0 or cx >= wc or not valid[cy, cx]:
                    continue
                d = _patch_dist(feat, ty, tx, cy, cx, r, h, w, best, nd)
                if d < best:
                    best = d
                    by = cy
                    bx = cx
            dist[k] = best
            sys_[k] = by
            sxs[k] = bx


@njit(cache=True)
def _patch_dist_known(feat, conf, ty, tx, sy, sx, r, h, w, best, nv, nd):
    """Like :func:`_patch_dist`, comparing only what is known of the target.

    This is the partial patch comparison of the onion-peel initialisation:
    the values (channels ``< nv``) of pixels not yet filled must not vote for a
    match, but their guide channels (``>= nv``, known everywhere) do.
    Channels ``>= nd`` are compared at the centre only (see :func:`_patch_dist`).
    """
    d = _centre_dist(feat, ty, tx, sy, sx, r, nd)
    for dy in range(-r, r + 1):
        y = ty + dy
        if y < 0 or y >= h:
            continue
        for dx in range(-r, r + 1):
            x = tx + dx
            if x < 0 or x >= w:
                continue
            c0 = 0 if conf[y, x] != 0 else nv
            for c in range(c0, nd):
                diff = feat[y, x, c] - feat[sy + dy, sx + dx, c]
                d += diff * diff
        if d >= best:
            return d
    return d


@njit(cache=True, nogil=True)
def _onion_layer(feat, conf, valid, lys, lxs, msy, msx, vys, vxs, r, h, w, n_iter, seed, nv, nd):
    """Fill one onion-peel layer: match each pixel's partial patch, copy its centre.

    ``msy, msx`` hold the match of every pixel filled so far (-1 where none),
    so a layer propagates good matches from the layers before it and from its
    own neighbours on all four sides.
    """
    n = lys.shape[0]
    hc, wc = valid.shape
    n_valid = vys.shape[0]
    max_rad = max(hc, wc)
    dist = np.empty(n)
    state = _rand((seed * 48271 + n) & 0x7FFFFFFF)
    for k in range(n):
        state = _rand(state)
        cand = state % n_valid
        msy[lys[k], lxs[k]] = vys[cand]
        msx[lys[k], lxs[k]] = vxs[cand]
        dist[k] = _patch_dist_known(
            feat, conf, lys[k], lxs[k], vys[cand], vxs[cand], r, h, w, np.inf, nv, nd
        )
    for it in range(n_iter):
        step = 1 if it % 2 == 0 else -1
        start = 0 if step == 1 else n - 1
        for j in range(n):
            k = start + step * j
            ty = lys[k]
            tx = lxs[k]
            best = dist[k]
            by = msy[ty, tx]
            bx = msx[ty, tx]
            for nb in range(4):
                ny = ty + (-1 if nb == 0 else (1 if nb == 1 else 0))
                nx = tx + (-1 if nb == 2 else (1 if nb == 3 else 0))
                if ny < 0 or ny >= h or nx < 0 or nx >= w or msy[ny, nx] < 0:
                    continue
                cy = msy[ny, nx] + (ty - ny)
                cx = msx[ny, nx] + (tx - nx)
                if cy < 0 or cy >= hc or cx < 0 or cx >= wc or not valid[cy, cx]:
                    continue
                d = _patch_dist_known(feat, conf, ty, tx, cy, cx, r, h, w, best, nv, nd)
                if d < best:
                    best = d
                    by = cy
                    bx = cx
            state = _rand((seed * 1000003 + it * 104729 + k * 7919 + 17) & 0x7FFFFFFF)
            state = _rand(_rand(state))
            rad = max_rad
            while rad >= 1:
                cy = by + (state % (2 * rad + 1)) - rad
                state = _rand(state)
                cx = bx + (state % (2 * rad + 1)) - rad
                state = _rand(state)
                rad //= 2
                if cy < 0 or cy >= hc or cx < 0 or cx >= wc or not valid[cy, cx]:
                    continue
                d = _patch_dist_known(feat, conf, ty, tx, cy, cx, r, h, w, best, nv, nd)
                if d < best:
                    best = d
                    by = cy
                    bx = cx
            dist[k] = best
            msy[ty, tx] = by
            msx[ty, tx] = bx
    for k in range(n):
        for c in range(nv):
            feat[lys[k], lxs[k], c] = feat[msy[lys[k], lxs[k]], msx[lys[k], lxs[k]], c]
        conf[lys[k], lxs[k]] = 1


@njit(cache=True, nogil=True)
def _vote(feat, hys, hxs, tidx, sys_, sxs, wts, r, h, w, best_only, nv):
    """Re-estimate every hole pixel from the patches that cover it.

    With ``best_only`` a pixel copies the pixel of the single best covering
    patch (sharp, Newson's final step); otherwise it is the weighted mean of
    all covering patches (Wexler's vote, smooth but convergent). Source patches
    never contain hole pixels, so writing in place is safe. Only the first
    ``nv`` channels (values) are voted; guide channels after them stay fixed.
    """
    nc = nv
    acc = np.zeros(nc, dtype=np.float64)
    for i in range(hys.shape[0]):
        py = hys[i]
        px = hxs[i]
        for c in range(nc):
            acc[c] = 0.0
        wsum = 0.0
        best_w = -1.0
        by = -1
        bx = -1
        for oy in range(-r, r + 1):
            cy = py - oy
            if cy < 0 or cy >= h:
                continue
            for ox in range(-r, r + 1):
                cx = px - ox
                if cx < 0 or cx >= w:
                    continue
                k = tidx[cy, cx]
                if k < 0:
                    continue
                sy = sys_[k] + oy
                sx = sxs[k] + ox
                wk = wts[k]
                if best_only:
                    if wk > best_w:
                        best_w = wk
                        by = sy
                        bx = sx
                else:
                    for c in range(nc):
                        acc[c] += wk * feat[sy, sx, c]
                    wsum += wk
        if best_only:
            if by >= 0:
                for c in range(nc):
                    feat[py, px, c] = feat[by, bx, c]
        elif wsum > 0.0:
            for c in range(nc):
                feat[py, px, c] = acc[c] / wsum


# --------------------------------------------------------------------------
# pyramid helpers (NumPy / OpenCV)
# --------------------------------------------------------------------------


def _pool2(mask: NDArray[np.bool_], mode: str) -> NDArray[np.bool_]:
    """2x2 any/all pooling with odd sizes padded by edge replication."""
    h, w = mask.shape
    padded = np.pad(mask, ((0, h % 2), (0, w % 2)), mode="edge")
    blocks = padded.reshape(padded.shape[0] // 2, 2, padded.shape[1] // 2, 2)
    return blocks.any(axis=(1, 3)) if mode == "any" else blocks.all(axis=(1, 3))


def _down(feat: NDArray[np.float32], known: NDArray[np.bool_]) -> NDArray[np.float32]:
    """Halve ``feat`` with a Gaussian filter that ignores unknown pixels.

    Normalised convolution keeps hole garbage (or the removed object) from
    bleeding into the known pixels of the coarser level.
    """
    wgt = known.astype(np.float32)
    num = cv2.pyrDown(feat * wgt[..., None])
    den = cv2.pyrDown(wgt)
    if num.ndim == 2:
        num = num[..., None]
    out = num / np.maximum(den, 1e-6)[..., None]
    return out.astype(np.float32)


def _texture_features(
    rgb: NDArray[np.float32], known: NDArray[np.bool_], window: int
) -> NDArray[np.float32]:
    """Newson's texture features: |dI/dx| and |dI/dy| averaged over known pixels.

    Gradients are taken only between two known pixels, so the hole edge (and
    whatever was removed) contributes nothing.
    """
    grey = rgb.mean(axis=2)
    gx = np.zeros_like(grey)
    gy = np.zeros_like(grey)
    okx = known[:, 1:] & known[:, :-1]
    oky = known[1:, :] & known[:-1, :]
    gx[:, :-1] = np.where(okx, np.abs(grey[:, 1:] - grey[:, :-1]), 0.0)
    gy[:-1, :] = np.where(oky, np.abs(grey[1:, :] - grey[:-1, :]), 0.0)
    cx = np.zeros_like(grey)
    cy = np.zeros_like(grey)
    cx[:, :-1] = okx
    cy[:-1, :] = oky
    k = (window, window)
    sx = cv2.boxFilter(gx, -1, k, normalize=False, borderType=cv2.BORDER_CONSTANT)
    sy = cv2.boxFilter(gy, -1, k, normalize=False, borderType=cv2.BORDER_CONSTANT)
    nx = cv2.boxFilter(cx, -1, k, normalize=False, borderType=cv2.BORDER_CONSTANT)
    ny = cv2.boxFilter(cy, -1, k, normalize=False, borderType=cv2.BORDER_CONSTANT)
    return np.stack([sx / np.maximum(nx, 1.0), sy / np.maximum(ny, 1.0)], axis=2).astype(np.float32)


def _valid_centres(source: NDArray[np.bool_], r: int) -> NDArray[np.bool_]:
    """Centres whose whole (2r+1)^2 patch lies inside the image and in ``source``."""
    h, w = source.shape
    out = np.zeros((h, w), dtype=bool)
    if h < 2 * r + 1 or w < 2 * r + 1:
        return out
    kernel = np.ones((2 * r + 1, 2 * r + 1), np.uint8)
    eroded = cv2.erode(
        source.astype(np.uint8), kernel, borderType=cv2.BORDER_CONSTANT, borderValue=0
    )
    return eroded.astype(bool)


def _onion_init(
    canvas: NDArray[np.float32],
    hole: NDArray[np.bool_],
    valid: NDArray[np.bool_],
    r: int,
    seed: int,
    nv: int,
    nd: int,
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Newson's onion-peel initialisation of the coarsest level, in place.

    The hole is filled one pixel-thick layer at a time, from the edge inwards;
    each layer pixel copies the centre of the source patch that best matches
    what is already known around it. Unlike a smooth (diffusion) start, this
    starts the EM loop with texture, so flat look-alikes (a painted ledge for a
    gravel path) do not win the first matches and then lock in.

    Returns the match map (row, column per pixel; -1 outside the hole).
    """
    h, w = hole.shape
    conf = np.ones(hole.shape, np.uint8)
    conf[hole] = 0
    msy = np.full(hole.shape, -1, np.int64)
    msx = np.full(hole.shape, -1, np.int64)
    vys, vxs = (a.astype(np.int64) for a in np.nonzero(valid))
    remaining = hole.copy()
    cross = cv2.getStructuringElement(cv2.MORPH_CROSS, (3, 3))
    layer_no = 0
    while remaining.any():
        layer = remaining & cv2.dilate((~remaining).astype(np.uint8), cross).astype(bool)
        if not layer.any():  # the whole image is hole: start anywhere
            layer = remaining
        lys, lxs = (a.astype(np.int64) for a in np.nonzero(layer))
        _onion_layer(
            canvas,
            conf,
            valid,
            lys,
            lxs,
            msy,
            msx,
            vys,
            vxs,
            r,
            h,
            w,
            2,
            seed + 31 * layer_no,
            nv,
            nd,
        )
        remaining &= ~layer
        layer_no += 1
    return msy, msx


class _Level:
    """One pyramid level: the canvas of target image plus extra sources.

    Channels ``< nv`` of each feature image are values (colour, texture
    features), known only outside the hole; the rest are guide channels,
    known everywhere, hole included.
    """

    def __init__(
        self,
        feats: list[NDArray[np.float32]],
        knowns: list[NDArray[np.bool_]],
        sources: list[NDArray[np.bool_]],
        hole: NDArray[np.bool_],
        nv: int,
    ) -> None:
        self.nv = nv
        self.feats = feats
        self.knowns = knowns
        self.sources = sources
        self.hole = hole
        self.heights = [f.shape[0] for f in feats]
        self.offsets = np.cumsum([0, *self.heights])[:-1]

    def down(self) -> _Level:
        nv = self.nv
        feats = []
        for f, k in zip(self.feats, self.knowns, strict=True):
            vals = _down(np.ascontiguousarray(f[..., :nv]), k)
            if f.shape[2] > nv:
                guide = _down(np.ascontiguousarray(f[..., nv:]), np.ones_like(k))
                vals = np.concatenate([vals, guide], axis=2)
            feats.append(vals)
        knowns = [~_pool2(~k, "any") for k in self.knowns]
        sources = [_pool2(s, "all") for s in self.sources]
        hole = _pool2(self.hole, "any")
        return _Level(feats, knowns, sources, hole, nv)


# --------------------------------------------------------------------------
# the solver
# --------------------------------------------------------------------------


def _solve_level(
    canvas: NDArray[np.float32],
    hole: NDArray[np.bool_],
    valid: NDArray[np.bool_],
    sys_: NDArray[np.int64],
    sxs: NDArray[np.int64],
    *,
    r: int,
    em_iters: int,
    pm_iters: int,
    seed: int,
    best_final: bool,
    nv: int,
    nd: int,
    vote_first: bool = False,
    tol: float = 0.5,
) -> None:
    """Run the EM loop of one level in place on ``canvas`` and the field (sys_, sxs)."""
    h, w = hole.shape
    tys, txs, tidx, hys, hxs = _targets(hole, r)
    if vote_first:
        # Rebuild the hole from the upsampled field before searching: it puts
        # fine detail where the coarse level decided the layout, whereas a
        # blurry upsampled image would attract blurry matches.
        _vote(canvas, hys, hxs, tidx, sys_, sxs, np.ones(tys.shape[0]), r, h, w, False, nv)
    vys, vxs = (a.astype(np.int64) for a in np.nonzero(valid))
    dist = np.empty(tys.shape[0], dtype=np.float64)
    # Pixels a target patch actually sees (fewer at the border) and channels,
    # so distances are comparable when turned into weights.
    counts = _in_image_counts(tys, txs, r, h, w) * canvas.shape[2]
    wts = np.ones(tys.shape[0])
    if em_iters <= 0 and best_final:
        # No search: the best vote still needs each patch's match quality.
        _all_dists(canvas, tys, txs, sys_, sxs, dist, r, h, w, nd)
        wts = _vote_weights(dist / counts)
    for em in range(em_iters):
        _all_dists(canvas, tys, txs, sys_, sxs, dist, r, h, w, nd)
        _patchmatch(
            canvas,
            valid,
            tidx,
            tys,
            txs,
            sys_,
            sxs,
            dist,
            vys,
            vxs,
            r,
            h,
            w,
            pm_iters,
            seed * 7 + em,
            nd,
        )
        wts = _vote_weights(dist / counts)
        before = canvas[hys, hxs, :3].copy()
        _vote(canvas, hys, hxs, tidx, sys_, sxs, wts, r, h, w, False, nv)
        # Stop once the fill has settled (Newson stops at 0.1 per channel;
        # a coarser threshold costs nothing visible and saves iterations).
        if em >= 1 and float(np.abs(canvas[hys, hxs, :3] - before).mean()) < tol:
            break
    if best_final:
        _vote(canvas, hys, hxs, tidx, sys_, sxs, wts, r, h, w, True, nv)


def _vote_weights(dn: NDArray[np.float64]) -> NDArray[np.float64]:
    """Vote weights of patches at normalised distances ``dn``."""
    # Newson's adaptive sigma: the 75th percentile of the match distances.
    sigma2 = max(float(np.percentile(dn, 75)), 0.1)
    return np.exp(-dn / (2.0 * sigma2))


def _targets(hole: NDArray[np.bool_], r: int):
    """Patch centres whose patch overlaps the hole, and the hole pixels themselves."""
    kernel = np.ones((2 * r + 1, 2 * r + 1), np.uint8)
    near = cv2.dilate(hole.astype(np.uint8), kernel).astype(bool)
    tys, txs = (a.astype(np.int64) for a in np.nonzero(near))
    tidx = np.full(hole.shape, -1, dtype=np.int64)
    tidx[tys, txs] = np.arange(tys.shape[0])
    hys, hxs = (a.astype(np.int64) for a in np.nonzero(hole))
    return tys, txs, tidx, hys, hxs


def _in_image_counts(tys, txs, r, h, w) -> NDArray[np.float64]:
    ny = np.minimum(tys + r, h - 1) - np.maximum(tys - r, 0) + 1
    nx = np.minimum(txs + r, w - 1) - np.maximum(txs - r, 0) + 1
    return (ny * nx).astype(np.float64)


def _random_valid(n: int, valid: NDArray[np.bool_], seed: int):
    vys, vxs = np.nonzero(valid)
    pick = np.random.default_rng(seed).integers(0, vys.shape[0], size=n)
    return vys[pick].astype(np.int64), vxs[pick].astype(np.int64)


def _upsample_field(
    coarse: _Level,
    fine: _Level,
    c_sys: NDArray[np.int64],
    c_sxs: NDArray[np.int64],
    valid: NDArray[np.bool_],
    r: int,
    seed: int,
):
    """Carry the coarse nearest-neighbour field to the finer level (offsets x2)."""
    ch, cw = coarse.hole.shape
    c_tys, c_txs, c_tidx, _, _ = _targets(coarse.hole, r)
    del c_tys, c_txs
    tys, txs, _, _, _ = _targets(fine.hole, r)
    cy = np.minimum(tys // 2, ch - 1)
    cx = np.minimum(txs // 2, cw - 1)
    k = c_tidx[cy, cx]
    have = k >= 0
    sy_c = np.where(have, c_sys[np.maximum(k, 0)], 0)
    sx_c = np.where(have, c_sxs[np.maximum(k, 0)], 0)
    # Map the coarse canvas row back to (source image, row) and then to the
    # fine canvas, since each stacked image halves on its own.
    img = np.searchsorted(coarse.offsets, sy_c, side="right") - 1
    row = sy_c - coarse.offsets[img]
    fy = np.asarray(fine.offsets)[img] + 2 * row + (tys % 2)
    fx = 2 * sx_c + (txs % 2)
    hc, wc = valid.shape
    fy = np.clip(fy, 0, hc - 1)
    fx = np.clip(fx, 0, wc - 1)
    ok = have & valid[fy, fx]
    if not ok.all():
        ry, rx = _random_valid(int((~ok).sum()), valid, seed)
        fy[~ok] = ry
        fx[~ok] = rx
    return fy.astype(np.int64), fx.astype(np.int64)


def _low_pass(image: NDArray[np.floating], sigma: float) -> NDArray[np.float32]:
    """Gaussian low-pass (identity for ``sigma <= 0``)."""
    image = np.asarray(image, np.float32)
    return cv2.GaussianBlur(image, (0, 0), sigma) if sigma > 0 else image


def _smooth_fill(image: NDArray[np.uint8], hole: NDArray[np.bool_]) -> NDArray[np.float32]:
    """The membrane (harmonic) fill of ``hole``: the smooth structure guide.

    Of the cheap fills it has the best PSNR on large holes: it is the least
    wrong low-frequency guess when nothing is known about the hole.
    """
    # Solved at full resolution: a coarser grid loses thin holes (captions)
    # by about 0.6 dB, and costs only ~40 ms less at 854x480.
    return harmonic_fill(image.astype(np.float32), hole, factor=1)


def _near_hole(hole: NDArray[np.bool_], reach: float) -> NDArray[np.bool_]:
    """Pixels within ``reach`` x the hole's depth (+10 px) of the hole."""
    if hole.all() or not hole.any():
        return np.ones(hole.shape, bool)
    depth = float(cv2.distanceTransform(hole.astype(np.uint8), cv2.DIST_L2, 3).max())
    outside = cv2.distanceTransform((~hole).astype(np.uint8), cv2.DIST_L2, 3)
    return outside <= min(reach * depth + 10.0, float(sum(hole.shape)))


def fill_patch(
    image: NDArray[np.uint8],
    hole: NDArray[np.bool_],
    *,
    source_mask: NDArray[np.bool_] | None = None,
    patch_size: int = 7,
    seed: int = 0,
    sources: Sequence[tuple[NDArray[np.uint8], NDArray[np.bool_]]] = (),
    init: NDArray[np.uint8] | None = None,
    init_levels: int = 2,
    texture_weight: float = 1.0,
    em_iters: int = 10,
    pm_iters: int = 2,
    max_levels: int = 3,
    final_vote: str = "best",
    reach: float | None = 4.0,
    guide: NDArray[np.floating] | None = None,
    guide_weight: float = 0.7,
    guide_sigma: float = 3.0,
    fine_iters: int | None = None,
    search_pixels: int | None = None,
) -> NDArray[np.uint8]:
    """Fill ``hole`` with texture synthesised from patches of the known image.

    Parameters
    ----------
    image : ndarray of uint8, shape (H, W, 3)
    hole : ndarray of bool, shape (H, W)
        True where pixels are unknown and must be synthesised.
    source_mask : ndarray of bool, shape (H, W), optional
        True where pixels may be copied from. Hole pixels are never sources.
        Default: everything outside the hole.
    patch_size : int
        Side of the square patches (odd; even sizes are rounded up).
    seed : int
        Seed of the random search; the result is a deterministic function of
        the inputs and the seed.
    sources : sequence of (image, mask) pairs
        Extra source images (other frames) of the same shape as ``image``;
        ``mask`` is True where that image may be copied from.
    init : ndarray of uint8, shape (H, W, 3), optional
        A starting guess for the hole (the previous frame's fill, for video).
        Synthesis then starts ``init_levels`` levels above the finest one from
        this guess instead of from scratch, which keeps consecutive fills alike
        and costs less.
    init_levels : int
        Pyramid levels used when ``init`` is given (1 = finest only).
    texture_weight : float
        Weight of the two texture-feature channels against the three colours.
    em_iters, pm_iters : int
        EM iterations per level (the coarsest gets twice as many), and
        PatchMatch sweeps per EM iteration.
    fine_iters : int or None
        EM iterations at the finest level when coarser levels came before
        (None: ``em_iters``). 0 searches nothing at full size: the matches of
        the level below, doubled, are read back there (one vote, then each
        pixel from its best covering patch), so the texture still comes from
        full-size sources. Most of the cost is the finest level (4x the
        pixels of the next); on 11 clips x 4 static masks at 854x480 and
        432x240 (single frames, masked PSNR / texture ratio) 0 gave
        19.10 dB / 0.65 against 19.13 / 0.62, at 45% of the CPU time.
    search_pixels : int or None
        Levels other than the coarsest whose hole has more pixels than this
        are not searched either, only read back from the level below: the
        cost of a large hole is bounded by what is searched at a reduced
        scale. None: no bound. Same cases, with ``fine_iters=0`` and
        ``em_iters=3``: 8000 gave 19.07 dB / 0.69 against 19.08 / 0.66 with
        no bound (the 12% boxes -0.07 to -0.22 dB, all with more texture);
        4000 gave 18.98 / 0.75.
    max_levels : int
        Upper bound on the number of pyramid levels. Deeper pyramids settle
        the layout of very large holes, but below about 1/4 scale fine
        textures (bricks, gravel) all become the same flat colour and the
        layout chosen there is often the wrong texture; 3 levels measured
        best on the shared clips.
    reach : float or None
        Sources are taken only within ``reach`` times the hole's depth (its
        largest distance from the edge) plus 10 px of the hole, in every
        source image; None searches everywhere. Nearby texture is usually the
        right one, while a far look-alike (a gravel path for a brick wall)
        often matches the blurry first guess better; measured +0.3 dB on
        average on the shared clips. Dropped when too few patches fit.
    final_vote : {"best", "mean"}
        How the finest level sets each hole pixel: from the single most
        similar covering patch (sharp; Newson's final step) or the weighted
        mean of all covering patches (a little smoother, a little closer to
        the truth in PSNR terms).
    guide : ndarray of float, shape (H, W, 3), optional
        A smooth estimate of the hole (the structure to keep); only its
        values inside the hole, low-passed with the image around it, are
        used. Default: the harmonic (membrane) fill of ``image``.
    guide_weight : float
        Weight of the low-passed guide against the colours (0 disables it).
        It trades PSNR for texture. Measured on 30 single-frame cases of the
        13 shared clips (box, background box and caption masks; middle frame;
        ``mean dB vs Telea / mean texture ratio``): 0 (unguided) -1.37 / 0.86,
        0.3 +0.45 / 0.75, 0.5 +0.80 / 0.68, 0.7 +0.90 / 0.65. Moving the guide
        to coarse or fine levels only, a wider low-pass, or larger patches
        lands on the same trade-off curve. So does an unguided fill whose low
        frequencies are replaced by the membrane's afterwards (+0.72 dB /
        0.78), and where a patch of the wrong colour was copied it leaves a
        half-transparent ghost of it (logo letters, doubled edges) that the
        guided search avoids. On the video benchmark (11 cases of
        ``benchmarks/patch_quality.py``, mean texture ratio / dB vs Telea at
        0.7: 0.64 / -0.01), tried and not kept: a weaker guide at the finest
        level only (0.3: 0.64 / -0.03; 0: 0.63 / -0.04), a guide strength varying with
        the depth in the hole (0.3 deep inside: 0.66 / -0.11; 0.3 at the
        edge rising to 0.75: 0.67 / -0.15), a texture-feature weight of 2
        (0.66 / -0.06), a second search against the sharp final vote
        (0.65 / -0.04); a uniform 0.5 gives 0.66 / -0.10 and 0.3 gives
        0.70 / -0.18, the largest gain within the PSNR budget. The patch
        engine uses 0.3.
    guide_sigma : float
        Gaussian sigma (pixels, at the finest level) of the guide's low-pass;
        the sources' own low-pass uses the same.

    Returns
    -------
    ndarray of uint8, shape (H, W, 3)
        A copy of ``image`` with the hole filled; every other pixel unchanged.

    Notes
    -----
    When no patch of the requested size fits in the allowed sources (a hole
    covering nearly the whole image, a tiny image), smaller patches are tried,
    and finally :func:`vidfill.fill.spatial.fill_telea` (which diffuses from
    every known pixel: ``source_mask`` cannot be honoured there).

    Cost: about 0.8 s CPU on one core for a 6% hole at 854x480 after the JIT
    (``benchmarks/patch_speed.py``; 0.45 s unguided: with the guide the finest
    level needs about 5 EM iterations instead of 3, and the membrane fill
    costs 0.07 s); with ``fine_iters=0, em_iters=3, search_pixels=8000`` (the
    flow engine's keyframe) an 854x480 frame with a 10% hole takes 0.27 s
    instead of 1.15 s. The first call on a machine compiles the kernels
    (about 3 s) into numba's cache (``__pycache__`` next to this file, or
    ``NUMBA_CACHE_DIR``); every later process loads them from there, but
    still pays numba's own start-up, about 0.45 s of CPU.
    """
    image = np.ascontiguousarray(image)
    hole = np.asarray(hole, dtype=bool)
    if image.ndim != 3 or image.shape[2] != 3 or hole.shape != image.shape[:2]:
        raise ValueError(f"image {image.shape} and hole {hole.shape} do not match")
    if final_vote not in ("best", "mean"):
        raise ValueError(f"final_vote must be 'best' or 'mean', not {final_vote!r}")
    if not hole.any():
        return image.copy()
    src0 = ~hole if source_mask is None else (np.asarray(source_mask, bool) & ~hole)
    extra = [(np.ascontiguousarray(im), np.asarray(m, bool)) for im, m in sources]
    for im, m in extra:
        if im.shape != image.shape or m.shape != hole.shape:
            raise ValueError("extra sources must have the shape of the image")

    if reach is not None:
        near = _near_hole(hole, float(reach))
        r = max(3, int(patch_size) | 1) // 2
        band_src = src0 & near
        band_extra = [(im, m & near) for im, m in extra]
        # Keep the restriction only if it leaves plenty to choose from.
        fits = _valid_centres(band_src, r).sum() + sum(
            _valid_centres(m, r).sum() for _, m in band_extra
        )
        if fits >= max(_MIN_SOURCES, int(hole.sum())):
            src0, extra = band_src, band_extra

    low = None
    if guide_weight > 0:
        if guide is None:
            low_ref = _smooth_fill(image, hole)
        else:
            guide = np.asarray(guide, np.float32)
            if guide.shape != image.shape:
                raise ValueError(f"guide {guide.shape} does not match image {image.shape}")
            # Outside the hole the image itself is the truth; a guide that
            # disagreed there would steer the sources of this image too.
            low_ref = image.astype(np.float32)
            low_ref[hole] = guide[hole]
        low = _low_pass(low_ref, float(guide_sigma))

    size = max(3, int(patch_size) | 1)
    while size >= 3:
        r = size // 2
        if (
            _valid_centres(src0, r).sum() + sum(_valid_centres(m, r).sum() for _, m in extra)
            >= _MIN_SOURCES
        ):
            break
        size -= 2
    else:
        # Not even a 3x3 patch fits in the sources: diffusion is all that is left.
        return fill_telea(image, hole)

    out = _synthesise(
        image,
        hole,
        src0,
        extra,
        r=size // 2,
        seed=int(seed),
        init=init,
        init_levels=int(init_levels),
        texture_weight=float(texture_weight),
        em_iters=int(em_iters),
        pm_iters=int(pm_iters),
        max_levels=int(max_levels),
        final_vote=final_vote,
        guide=low,
        guide_weight=float(guide_weight),
        guide_sigma=float(guide_sigma),
        fine_iters=em_iters if fine_iters is None else int(fine_iters),
        search_pixels=None if search_pixels is None else int(search_pixels),
    )
    result = image.copy()
    result[hole] = out[hole]
    return result


def _synthesise(
    image,
    hole,
    src0,
    extra,
    *,
    r,
    seed,
    init,
    init_levels,
    texture_weight,
    em_iters,
    pm_iters,
    max_levels,
    final_vote,
    guide,
    guide_weight,
    guide_sigma,
    fine_iters,
    search_pixels=None,
) -> NDArray[np.uint8]:
    # Feature stacks: colour + weighted texture features (the values), then
    # the weighted low-frequency guide, per image.
    window = 2 * r + 3
    imgs = [image] + [im for im, _ in extra]
    knowns = [~hole] + [np.ones(hole.shape, bool) for _ in extra]
    srcs = [src0] + [m for _, m in extra]
    feats = []
    for i, (im, kn) in enumerate(zip(imgs, knowns, strict=True)):
        rgb = im.astype(np.float32)
        tex = _texture_features(rgb, kn, window) * np.float32(texture_weight)
        parts = [rgb, tex]
        nv = rgb.shape[2] + tex.shape[2]
        if guide is not None:
            # Sources see their own low frequencies; the hole sees the guide's.
            low = guide if i == 0 else _low_pass(rgb, guide_sigma)
            parts.append(low * np.float32(guide_weight))
        feats.append(np.concatenate(parts, axis=2))
    if init is not None:
        # The initial guess enters as the hole's values; features of the guess
        # are computed on it as if it were known.
        g = np.asarray(init).astype(np.float32)
        tex = _texture_features(g, np.ones(hole.shape, bool), window) * np.float32(texture_weight)
        feats[0][hole, :nv] = np.concatenate([g, tex], axis=2)[hole]

    # Pyramid depth: enough that the coarsest hole is about a patch across,
    # but keep a usable image and enough source patches at the top.
    depth = float(cv2.distanceTransform(hole.astype(np.uint8), cv2.DIST_L2, 3).max())
    want = int(np.ceil(np.log2(max(depth / (2.0 * r), 1.0)))) + 1
    n_levels = min(want, max_levels)
    if init is not None:
        n_levels = min(n_levels, max(init_levels, 1))
    # Channels compared at every patch pixel: the values; the guide is compared
    # at the patch centre only (per pixel it also asked the texture to be as
    # smooth as the guide: about as good in PSNR, less texture, 1.5x slower).
    nd = nv
    levels = [_Level(feats, knowns, srcs, hole, nv)]
    while len(levels) < n_levels:
        nxt = levels[-1].down()
        h, w = nxt.hole.shape
        n_valid = sum(int(_valid_centres(s, r).sum()) for s in nxt.sources)
        if min(h, w) < 2 * r + 1 or n_valid < _MIN_SOURCES or not nxt.hole.any():
            break
        if init is not None:
            # Downsample the guess too, so every level starts from it.
            nxt.feats[0][nxt.hole, :nv] = _down(
                np.ascontiguousarray(levels[-1].feats[0][..., :nv]),
                np.ones(levels[-1].hole.shape, bool),
            )[nxt.hole]
        levels.append(nxt)

    sys_ = sxs = None
    prev: _Level | None = None
    prev_canvas = np.empty((0, 0, 0), np.float32)
    for li in range(len(levels) - 1, -1, -1):
        lev = levels[li]
        canvas = np.ascontiguousarray(np.concatenate(lev.feats, axis=0))
        valid = np.concatenate([_valid_centres(s, r) for s in lev.sources], axis=0)
        h, w = lev.hole.shape
        hole_l = lev.hole
        n_targets = int(_targets(hole_l, r)[0].shape[0])
        coarsest = prev is None
        if coarsest:
            sys_, sxs = _random_valid(n_targets, valid, seed)
            if init is None:
                msy, msx = _onion_init(canvas, hole_l, valid, r, seed, nv, nd)
                # Hole pixels keep their onion matches as the first field.
                tys, txs = _targets(hole_l, r)[:2]
                have = msy[tys, txs] >= 0
                sys_[have] = msy[tys, txs][have]
                sxs[have] = msx[tys, txs][have]
            iters = 2 * em_iters  # cheap at the top, and decides the layout
        else:
            # Start the hole from the upsampled coarse solution; the field
            # follows, then the EM loop sharpens both.
            sys_, sxs = _upsample_field(prev, lev, sys_, sxs, valid, r, seed + li)
            if init is None:
                up = cv2.resize(
                    np.ascontiguousarray(prev_canvas[: prev.hole.shape[0], :, :nv]),
                    (w, h),
                    interpolation=cv2.INTER_LINEAR,
                )
                canvas[:h][hole_l, :nv] = up[hole_l]
            iters = em_iters if li > 0 else fine_iters
            if search_pixels is not None and int(hole_l.sum()) > search_pixels:
                iters = 0
        _solve_level(
            canvas,
            hole_l,
            valid,
            sys_,
            sxs,
            r=r,
            em_iters=iters,
            pm_iters=pm_iters,
            seed=seed + 101 * li,
            best_final=(li == 0) and final_vote == "best",
            nv=nv,
            nd=nd,
            vote_first=not coarsest,
        )
        prev = lev
        prev_canvas = canvas
    out = np.clip(np.rint(prev_canvas[: hole.shape[0], :, :3]), 0, 255).astype(np.uint8)
    return out
