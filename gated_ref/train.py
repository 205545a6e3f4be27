"""Small NumPy training pieces for the site's experiments: a readout, losses, Adam, clipping."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

Arrays = dict[str, np.ndarray]


def linear_readout(h: np.ndarray, weight: np.ndarray, bias: np.ndarray) -> np.ndarray:
    """Scores ``h @ weight.T + bias`` for hidden states h (..., H); weight (K, H), bias (K,)."""
    if h.shape[-1] != weight.shape[1] or bias.shape != (weight.shape[0],):
        raise ValueError(
            f"readout: got h {h.shape}, weight {weight.shape}, bias {bias.shape}; "
            "expected h (..., H), weight (K, H), bias (K,)"
        )
    return h @ weight.T + bias


def mse_last_step(
    y: np.ndarray, target: np.ndarray, weight: np.ndarray, bias: np.ndarray
) -> tuple[float, np.ndarray, Arrays]:
    """Mean squared error of a linear readout of the last output y[-1] against target (B, K).

    Returns the loss, dL/dy (T, B, H) and the readout's gradients ``{"weight", "bias"}``.
    """
    pred = linear_readout(y[-1], weight, bias)
    if pred.shape != target.shape:
        raise ValueError(f"target: got shape {target.shape}, expected {pred.shape}")
    batch = target.shape[0]
    diff = pred - target
    loss = float(np.mean(np.sum(diff**2, axis=-1)))
    dpred = 2.0 * diff / batch
    dy = np.zeros_like(y)
    dy[-1] = dpred @ weight
    return loss, dy, {"weight": dpred.T @ y[-1], "bias": dpred.sum(axis=0)}


def _log_softmax(logits: np.ndarray) -> np.ndarray:
    shifted = logits - logits.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def cross_entropy_last_step(
    y: np.ndarray, labels: np.ndarray, weight: np.ndarray, bias: np.ndarray
) -> tuple[float, np.ndarray, Arrays]:
    """Mean cross-entropy of a linear softmax readout of the last output y[-1] against labels (B,).

    Returns the loss, dL/dy (T, B, H) and the readout's gradients ``{"weight", "bias"}``.
    """
    logits = linear_readout(y[-1], weight, bias)
    if labels.shape != logits.shape[:1]:
        raise ValueError(f"labels: got shape {labels.shape}, expected {logits.shape[:1]}")
    logp = _log_softmax(logits)
    batch = labels.shape[0]
    loss = float(-np.take_along_axis(logp, labels[:, None], axis=-1).mean())
    dlogits = np.exp(logp)
    dlogits[np.arange(batch), labels] -= 1.0
    dlogits /= batch
    dy = np.zeros_like(y)
    dy[-1] = dlogits @ weight
    return loss, dy, {"weight": dlogits.T @ y[-1], "bias": dlogits.sum(axis=0)}


def softmax_cross_entropy(
    y: np.ndarray, labels: np.ndarray, weight: np.ndarray, bias: np.ndarray
) -> tuple[float, np.ndarray, Arrays]:
    """Mean cross-entropy of a linear readout of every output y (T, B, H) against labels (T, B).

    Returns the loss, dL/dy and the readout's gradients ``{"weight", "bias"}``.
    """
    logits = linear_readout(y, weight, bias)
    if labels.shape != y.shape[:2]:
        raise ValueError(f"labels: got shape {labels.shape}, expected {y.shape[:2]}")
    logp = _log_softmax(logits)
    n = labels.size
    picked = np.take_along_axis(logp, labels[..., None], axis=-1)[..., 0]
    loss = float(-picked.mean())
    dlogits = np.exp(logp)
    np.put_along_axis(
        dlogits, labels[..., None], np.take_along_axis(dlogits, labels[..., None], -1) - 1, -1
    )
    dlogits /= n
    flat_y = y.reshape(-1, y.shape[-1])
    flat_d = dlogits.reshape(-1, dlogits.shape[-1])
    grads = {"weight": flat_d.T @ flat_y, "bias": flat_d.sum(axis=0)}
    return loss, dlogits @ weight, grads


def clip_by_global_norm(grads: Mapping[str, np.ndarray], max_norm: float) -> tuple[Arrays, float]:
    """Scale all gradients together so their global L2 norm is at most ``max_norm``."""
    if not max_norm > 0:
        raise ValueError(f"max_norm: got {max_norm!r}, expected a positive number")
    norm = float(np.sqrt(sum(float(np.sum(g * g)) for g in grads.values())))
    scale = min(1.0, max_norm / (norm + 1e-12))
    return {k: g * scale for k, g in grads.items()}, norm


class Adam:
    """Adam (Kingma & Ba 2015) with bias correction, as ``torch.optim.Adam``; updates in place."""

    def __init__(
        self,
        params: Mapping[str, np.ndarray],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
    ) -> None:
        if not lr > 0:
            raise ValueError(f"lr: got {lr!r}, expected a positive number")
        self.params = params
        self.lr, self.betas, self.eps = lr, betas, eps
        self.m = {k: np.zeros_like(v) for k, v in params.items()}
        self.v = {k: np.zeros_like(v) for k, v in params.items()}
        self.t = 0

    def step(self, grads: Mapping[str, np.ndarray]) -> None:
        """One update of every parameter that has a gradient in ``grads``."""
        self.t += 1
        b1, b2 = self.betas
        for key, p in self.params.items():
            g = grads[key]
            self.m[key] = b1 * self.m[key] + (1 - b1) * g
            self.v[key] = b2 * self.v[key] + (1 - b2) * g * g
            m_hat = self.m[key] / (1 - b1**self.t)
            v_hat = self.v[key] / (1 - b2**self.t)
            p -= (self.lr * m_hat / (np.sqrt(v_hat) + self.eps)).astype(p.dtype)
