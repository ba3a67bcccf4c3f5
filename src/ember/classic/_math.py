"""Numerically careful building blocks: sigmoid, softmax, and the losses built on them.

Each function avoids the overflow its textbook formula invites; the comments say how.
"""

from __future__ import annotations

import numpy as np

# Probabilities are clipped to [EPS, 1 - EPS] before a log, so a confident wrong
# prediction costs -log(1e-15) ~ 34.5 instead of inf.
EPS = 1e-15


def sigmoid(z: np.ndarray) -> np.ndarray:
    """sigma(z) = 1 / (1 + exp(-z)), evaluated with exp(-|z|) only, so it never overflows.

    For z >= 0 it is 1 / (1 + e) and for z < 0 it is e / (1 + e), with e = exp(-|z|) in (0, 1].
    """
    z = np.asarray(z, dtype=np.float64)
    # exp(-|z|) underflowing to 0 for |z| > ~745 is exactly the right answer, not an error.
    with np.errstate(under="ignore"):
        e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def log_softmax(Z: np.ndarray) -> np.ndarray:
    """log softmax(Z)_k = (Z_k - m) - log sum_j exp(Z_j - m) with m = max_j Z_j, row by row.

    Subtracting the row maximum makes every exponent <= 0, so exp cannot overflow and the
    sum is >= 1, so the log is finite.
    """
    shifted = Z - Z.max(axis=1, keepdims=True)
    with np.errstate(under="ignore"):
        return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


def softmax(Z: np.ndarray) -> np.ndarray:
    """softmax(Z)_k = exp(Z_k - m) / sum_j exp(Z_j - m) with m the row maximum (no overflow)."""
    shifted = Z - Z.max(axis=1, keepdims=True)
    with np.errstate(under="ignore"):
        E = np.exp(shifted)
    return E / E.sum(axis=1, keepdims=True)


def log_loss(y: np.ndarray, p: np.ndarray) -> float:
    """Binary cross-entropy  -(1/n) sum_i sum_k [y log p + (1 - y) log(1 - p)],  p clipped to [eps, 1-eps].

    ``y`` and ``p`` have the same shape, (n,) or (n, k); the sum over k covers several sigmoid
    outputs, the mean is over the n samples.
    """
    p = np.clip(p, EPS, 1.0 - EPS)
    per_entry = y * np.log(p) + (1.0 - y) * np.log1p(-p)
    return float(-per_entry.reshape(len(y), -1).sum(axis=1).mean())


def cross_entropy(Y: np.ndarray, Z: np.ndarray) -> float:
    """Multiclass cross-entropy from logits: -(1/n) sum_i sum_k Y_ik log softmax(Z_i)_k."""
    return float(-(Y * log_softmax(Z)).sum(axis=1).mean())


def squared_error(Y: np.ndarray, out: np.ndarray) -> float:
    """Mean squared error: (1/n) sum_i ||out_i - Y_i||^2 (summed over outputs, mean over samples)."""
    diff = (out - Y).reshape(len(Y), -1)
    return float((diff * diff).sum(axis=1).mean())
