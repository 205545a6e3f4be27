"""Backpropagation through time, measured and truncated, on the generated kernels.

Two questions about the gradient through time, answered with ``Kernel.forward`` and
``Kernel.backward`` only (no hand-written Jacobian, no finite differences):

- :func:`jacobian_rows`: how strongly does the final state depend on the state at step t?
  It returns the rows ``u^T d s_T / d h_t`` (and ``/ d c_t``) for every t.
- :func:`truncated_gradients`: what does truncated BPTT keep? It returns the parameter
  gradient of TBPTT(k1, k2), which with k1 = k2 = k is what PyTorch computes when the state
  is ``detach()``-ed every k steps.
"""

from __future__ import annotations

import numpy as np

from .kernel import Kernel, Params, State

Arrays = dict[str, np.ndarray]


def _positive(name: str, value: object) -> int:
    if not isinstance(value, int | np.integer) or isinstance(value, bool) or value < 1:
        raise ValueError(f"{name}: got {value!r}, expected a positive integer")
    return int(value)


def jacobian_rows(
    kernel: Kernel,
    params: Params,
    x: np.ndarray,
    u: np.ndarray,
    state: State | None = None,
    seed_state: str = "h",
    stride: int = 1,
) -> Arrays:
    """Rows ``u^T d s_T / d h_t`` (and ``/ d c_t``) for t = T, T - stride, ..., down to 0.

    ``s_T`` is the final state named ``seed_state`` (``"h"``, or ``"c"`` for an LSTM), ``u``
    (B, H) one vector per sequence. Each row is the gradient, from the generated backward
    pass, of ``L = sum(u * s_T)`` with respect to the state at step t, computed by running the
    kernel on ``x[t:]`` from the state the full forward pass reached at t.

    Returns ``{"distance": (n,), "h": (n, B, H)}`` plus ``"c"`` for cells with a cell state;
    ``distance`` is T - t.
    """
    stride = _positive("stride", stride)
    states = kernel.spec.states
    if seed_state not in states:
        raise ValueError(f"seed_state: got {seed_state!r}, expected one of {states}")
    _, _, cache = kernel.forward(x, params, state)
    steps = x.shape[0]
    if not isinstance(u, np.ndarray) or u.shape != cache["S_h"][0].shape:
        got = getattr(u, "shape", type(u))
        raise ValueError(f"u: got {got}, expected an array of shape {cache['S_h'][0].shape}")
    distance, rows = [], {s: [] for s in states}
    for t in range(steps, -1, -stride):
        seed = {s: (u if s == seed_state else np.zeros_like(u)) for s in states}
        if t == steps:
            grads = seed
        else:
            start = {s: cache[f"S_{s}"][t] for s in states}
            y, _, suffix = kernel.forward(x[t:], params, start)
            grads = kernel.backward(np.zeros_like(y), suffix, seed)
        for s in states:
            rows[s].append(grads[s])
        distance.append(steps - t)
    return {"distance": np.array(distance)} | {s: np.stack(v) for s, v in rows.items()}


def truncated_gradients(
    kernel: Kernel,
    params: Params,
    x: np.ndarray,
    dy: np.ndarray,
    k1: int,
    k2: int | None = None,
    state: State | None = None,
) -> Arrays:
    """Parameter gradients of TBPTT(k1, k2), summed over its updates.

    Every k1 steps (and at the end of the sequence), the losses of the steps since the last
    update, whose gradients with respect to the outputs are ``dy`` (T, B, H), are sent back
    through at most the last k2 steps (k2 >= k1; ``None`` means k2 = k1). The state at the
    start of that window is treated as a constant: nothing flows further back. This is Williams
    & Peng's BPTT(h; h') with h = k2, h' = k1, named TBPTT(k1, k2) by Sutskever (2013).
    With k1 = k2 = k it is PyTorch's ``h = h.detach()`` every k steps; with k = T it is full
    BPTT.
    """
    k1 = _positive("k1", k1)
    k2 = k1 if k2 is None else _positive("k2", k2)
    if k2 < k1:
        raise ValueError(f"k2: got {k2}, expected at least k1 = {k1}")
    y, _, cache = kernel.forward(x, params, state)
    if not isinstance(dy, np.ndarray) or dy.shape != y.shape:
        got = getattr(dy, "shape", type(dy))
        raise ValueError(f"dy: got {got}, expected an array of shape {y.shape}")
    steps = x.shape[0]
    total = {key: np.zeros_like(value) for key, value in params.items()}
    ends = [*range(k1, steps, k1), steps]
    previous = 0
    for end in ends:
        start = max(0, end - k2)
        window = {s: cache[f"S_{s}"][start] for s in kernel.spec.states}
        y_w, _, cache_w = kernel.forward(x[start:end], params, window)
        dy_w = np.zeros_like(y_w)
        dy_w[previous - start :] = dy[previous:end]
        grads = kernel.backward(dy_w, cache_w)
        for key in total:
            total[key] += grads[key]
        previous = end
    return total
