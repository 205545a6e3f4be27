"""The plain NumPy loop: one straightforward LSTM / GRU (reset-after) implementation.

Per step one matmul per weight, the gates, and a manual backward: the baseline
``bench/bench_kernels.py`` shows beside the generated kernels (checked against them at startup).
"""

from __future__ import annotations

import numpy as np

CELLS = ("lstm", "gru")


def _sigmoid(a: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-a))


def loop_forward(name: str, x: np.ndarray, p: dict, state: dict) -> tuple:
    """Per step: a = x_t W_ih^T + b_ih + h W_hh^T + b_hh, then the gates: y, final, cache."""
    T, B, _ = x.shape  # noqa: N806
    H = p["weight_hh"].shape[1]  # noqa: N806
    h = state["h"]
    c = state.get("c")
    steps = []
    y = np.empty((T, B, H), x.dtype)
    for t in range(T):
        ax = x[t] @ p["weight_ih"].T + p["bias_ih"]
        ah = h @ p["weight_hh"].T + p["bias_hh"]
        if name == "lstm":
            a = ax + ah
            i = _sigmoid(a[:, :H])
            f = _sigmoid(a[:, H : 2 * H])
            g = np.tanh(a[:, 2 * H : 3 * H])
            o = _sigmoid(a[:, 3 * H :])
            c_new = f * c + i * g
            tc = np.tanh(c_new)
            h_new = o * tc
            steps.append((h, c, i, f, g, o, tc))
            c = c_new
        else:  # gru, reset-after
            r = _sigmoid(ax[:, :H] + ah[:, :H])
            z = _sigmoid(ax[:, H : 2 * H] + ah[:, H : 2 * H])
            ah_n = ah[:, 2 * H :]
            n = np.tanh(ax[:, 2 * H :] + r * ah_n)
            h_new = (1 - z) * n + z * h
            steps.append((h, r, z, n, ah_n))
        h = h_new
        y[t] = h
    final = {"h": h} if c is None else {"h": h, "c": c}
    return y, final, (x, p, steps)


def loop_backward(name: str, dy: np.ndarray, cache: tuple, dstate: dict) -> dict:
    """Backpropagation through time, step by step, with per-step weight-gradient matmuls."""
    x, p, steps = cache
    grads = {k: np.zeros_like(v) for k, v in p.items()}
    dx = np.empty_like(x)
    dh = dstate["h"]
    dc = dstate.get("c")
    for t in range(x.shape[0] - 1, -1, -1):
        dh = dh + dy[t]
        if name == "lstm":
            h_prev, c_prev, i, f, g, o, tc = steps[t]
            do = dh * tc
            dc = dc + dh * o * (1 - tc * tc)
            da = np.concatenate(
                [
                    dc * g * i * (1 - i),
                    dc * c_prev * f * (1 - f),
                    dc * i * (1 - g * g),
                    do * o * (1 - o),
                ],
                axis=1,
            )
            dc = dc * f
            dax = dah = da
        else:
            h_prev, r, z, n, ah_n = steps[t]
            dn = dh * (1 - z)
            dz = dh * (h_prev - n)
            dan = dn * (1 - n * n)
            dar = dan * ah_n * r * (1 - r)
            daz = dz * z * (1 - z)
            dax = np.concatenate([dar, daz, dan], axis=1)
            dah = np.concatenate([dar, daz, dan * r], axis=1)
            dh = dh * z
        grads["weight_ih"] += dax.T @ x[t]
        grads["bias_ih"] += dax.sum(axis=0)
        grads["weight_hh"] += dah.T @ h_prev
        grads["bias_hh"] += dah.sum(axis=0)
        dx[t] = dax @ p["weight_ih"]
        dh = (dh if name == "gru" else 0) + dah @ p["weight_hh"]
    grads["x"] = dx
    grads["h"] = dh
    if dc is not None:
        grads["c"] = dc
    return grads
