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


#: What ``sympy.lambdify`` needs, besides NumPy, to evaluate the cells' own functions.
NUMPY_FUNCTIONS: dict[str, object] = {
    "sigmoid": lambda v: 1 / (1 + np.exp(-v)),
    "relu": lambda v: np.maximum(v, 0),
    "step": lambda v: np.where(np.asarray(v) > 0, 1.0, 0.0),  # step(0) = 0, as torch
}


def hidden_size(spec: gr.CellSpec, params: dict[str, np.ndarray]) -> int:
    """H, read off the parameters: the rows of one gate block, or a peephole row's length."""
    if spec.input_gates:
        return params["weight_ih"].shape[0] // len(spec.input_gates)
    if spec.recurrent_gates:
        return params["weight_hh"].shape[0] // len(spec.recurrent_gates)
    if spec.elementwise_params:
        return params[spec.elementwise_params[0].key].shape[1]
    fam = spec.families[0]
    return params[fam.key].shape[0] // len(fam.gates)


def lambdify_step(
    spec: gr.CellSpec,
    params: dict[str, np.ndarray],
    x_t: np.ndarray,
    state: dict[str, np.ndarray],
    overrides: dict[str, object] | None = None,
) -> dict[sp.Symbol, np.ndarray]:
    """Every symbol of one step for one sequence (x_t: (I,), state: one vector each),
    evaluated node by node with ``sympy.lambdify``: an oracle that shares no code with our
    printer.

    The affine maps are applied here from the layouts of the contract: ``weight_ih`` holds one
    row block per gate of ``spec.input_gates``, ``weight_hh`` one per gate of
    ``spec.recurrent_gates``, each extra recurrent matrix one per gate of its family, and a
    projection node is its matrix times its source.

    ``overrides`` maps a node name to a value (scalar or one per unit) that replaces the
    node's own before any later node reads it; ``None`` leaves the node alone.
    """
    overrides = overrides or {}
    H = hidden_size(spec, params)
    sizes = spec.sizes_from(params)

    def block(k: int) -> slice:
        return slice(k * H, (k + 1) * H)

    env: dict[sp.Symbol, np.ndarray] = {spec.prev[s]: state[s] for s in spec.states}
    for k, g in enumerate(spec.input_gates):
        env[spec.input_affine[g]] = (
            params["weight_ih"][block(k)] @ x_t + params["bias_ih"][block(k)]
        )
    if spec.input_symbol is not None:
        env[spec.input_symbol] = x_t
    for p in spec.elementwise_params:
        env[p.symbol] = params[p.key][p.row]

    def affine_maps() -> None:  # every recurrent term whose source is known by now
        for k, g in enumerate(spec.recurrent_gates):
            src = spec.hidden_source[g]
            if src in env and spec.hidden_affine[g] not in env:
                u, b = params["weight_hh"][block(k)], params["bias_hh"][block(k)]
                env[spec.hidden_affine[g]] = u @ env[src] + b
        for fam in spec.families:
            for k, sym in enumerate(fam.symbols):
                if fam.source in env and sym not in env:
                    env[sym] = params[fam.key][block(k)] @ env[fam.source]

    for node in spec.nodes:
        affine_maps()
        width = (spec.size_of(node.symbol, H, **sizes),)
        if node.projection is not None:
            value = params[node.projection] @ env[node.rhs]
        else:
            args = sorted(node.rhs.free_symbols, key=str)
            fn = sp.lambdify(args, node.rhs, modules=[NUMPY_FUNCTIONS, "numpy"])
            value = np.broadcast_to(fn(*[env[a] for a in args]), width).astype(float)
        if overrides.get(node.symbol.name) is not None:
            value = np.broadcast_to(np.asarray(overrides[node.symbol.name], float), width)
        env[node.symbol] = value
    return env
