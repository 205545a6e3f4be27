"""Shared helpers of the core tests: random problems and a scalar loss over all outputs."""

from __future__ import annotations

import numpy as np

import gated_ref as gr


def rel_err(a: np.ndarray, b: np.ndarray) -> float:
    """Norm-wise relative error of a against the reference b."""
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    denom = np.linalg.norm(b)
    return float(np.linalg.norm(a - b) / denom) if denom > 0 else float(np.linalg.norm(a))


def problem(name: str, T: int, B: int, I: int, H: int, seed: int = 0, dtype=np.float64):  # noqa: E741, N803
    """A kernel, parameters, input, non-zero initial state, and random output adjoints."""
    rng = np.random.default_rng(seed)
    kernel = gr.lower(gr.cell(name))
    params = kernel.init_params(I, H, rng=rng, dtype=dtype)
    x = rng.standard_normal((T, B, I)).astype(dtype)
    spec = gr.cell(name)
    state = {s: (0.5 * rng.standard_normal((B, H))).astype(dtype) for s in spec.states}
    dy = rng.standard_normal((T, B, H)).astype(dtype)
    dstate = {s: rng.standard_normal((B, H)).astype(dtype) for s in spec.states}
    return kernel, params, x, state, dy, dstate


def loss(kernel, params, x, state, dy, dstate) -> float:  # noqa: ANN001
    """L = <y, dy> + sum over states <final_s, dstate_s>: its gradient is backward(dy, dstate)."""
    y, final, _ = kernel.forward(x, params, state)
    total = float(np.sum(y * dy))
    for s, d in dstate.items():
        total += float(np.sum(final[s] * d))
    return total
