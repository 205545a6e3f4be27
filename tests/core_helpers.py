"""Shared helpers of the core tests: random problems and a scalar loss over all outputs."""

from __future__ import annotations

import numpy as np
import sympy as sp

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
    spec = gr.cell(name)
    if spec.input_symbol is not None:
        I = H  # noqa: E741, N806 - the cell adds x_t to an H-vector
    sizes = extra_sizes(spec, H)
    params = kernel.init_params(I, H, rng=rng, dtype=dtype, **sizes)
    x = rng.standard_normal((T, B, I)).astype(dtype)
    width = {s: spec.size_of(spec.prev[s], H, **sizes) for s in spec.states}
    state = {s: (0.5 * rng.standard_normal((B, width[s]))).astype(dtype) for s in spec.states}
    dy = rng.standard_normal((T, B, width["h"])).astype(dtype)
    dstate = {s: rng.standard_normal((B, width[s])).astype(dtype) for s in spec.states}
    return kernel, params, x, state, dy, dstate


def extra_sizes(spec: gr.CellSpec, H: int) -> dict[str, int]:  # noqa: N803
    """The cell's extra sizes for a test problem: a projection one smaller than H (at least 1)."""
    return {size: max(1, H - 1) for size in spec.sizes}


def loss(kernel, params, x, state, dy, dstate) -> float:  # noqa: ANN001
    """L = <y, dy> + sum over states <final_s, dstate_s>: its gradient is backward(dy, dstate)."""
    y, final, _ = kernel.forward(x, params, state)
    total = float(np.sum(y * dy))
    for s, d in dstate.items():
        total += float(np.sum(final[s] * d))
    return total


def lambdify_step(
    spec: gr.CellSpec,
    params: dict[str, np.ndarray],
    x_t: np.ndarray,
    state: dict[str, np.ndarray],
    overrides: dict[str, object] | None = None,
) -> dict[sp.Symbol, np.ndarray]:
    """Every symbol of one step for one sequence (x_t: (I,), state: (H,) each), evaluated
    node by node with ``sympy.lambdify``: an oracle that shares no code with our printer.

    ``overrides`` maps a node name to a value (scalar or (H,)) that replaces the node's own
    before any later node reads it; ``None`` leaves the node alone.
    """
    overrides = overrides or {}
    H = params["weight_hh"].shape[1]
    env: dict[sp.Symbol, np.ndarray] = {spec.prev[s]: state[s] for s in spec.states}
    for k, g in enumerate(spec.gates):
        rows = slice(k * H, (k + 1) * H)
        env[spec.input_affine[g]] = params["weight_ih"][rows] @ x_t + params["bias_ih"][rows]
    for p in spec.elementwise_params:
        env[p.symbol] = params[p.key][p.row]
    ns = {"sigmoid": lambda v: 1 / (1 + np.exp(-v))}
    for node in spec.nodes:
        for k, g in enumerate(spec.gates):
            src = spec.hidden_source[g]
            if src in env and spec.hidden_affine[g] not in env:
                rows = slice(k * H, (k + 1) * H)
                env[spec.hidden_affine[g]] = (
                    params["weight_hh"][rows] @ env[src] + params["bias_hh"][rows]
                )
        args = sorted(node.rhs.free_symbols, key=str)
        fn = sp.lambdify(args, node.rhs, modules=[ns, "numpy"])
        value = np.broadcast_to(fn(*[env[a] for a in args]), (H,)).astype(float)
        if overrides.get(node.symbol.name) is not None:
            value = np.broadcast_to(np.asarray(overrides[node.symbol.name], float), (H,))
        env[node.symbol] = value
    return env
