"""The data every contender builds from a seed: the same parameters, inputs and gradients.

Building needs NumPy's random generator only (no BLAS call), so the torch worker builds the
same arrays without waking NumPy's BLAS threads.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

import gated_ref as gr


@dataclass(frozen=True)
class Problem:
    """One configuration's arrays: the kernel, its parameters, x, the initial state and dy."""

    kernel: gr.Kernel
    params: dict[str, np.ndarray]
    x: np.ndarray
    state: dict[str, np.ndarray]
    dy: np.ndarray


def make_problem(cell: str, dtype: str, t: int, b: int, i: int, h: int, seed: int = 0) -> Problem:
    """Random data for ``cell``: T = t steps, batch B = b, input size I = i (I = H for a cell
    that adds x_t to an H-vector), hidden size H = h (P = H / 2 for a projection), dtype
    ``"float32"`` or ``"float64"``."""
    if dtype not in ("float32", "float64"):
        raise ValueError(f"dtype: got {dtype!r}, expected 'float32' or 'float64'")
    for label, value in (("t", t), ("b", b), ("i", i), ("h", h)):
        if not (isinstance(value, int) and value >= 1):
            raise ValueError(f"{label}: got {value!r}, expected a positive int")
    spec = gr.cell(cell)
    kernel = gr.lower(spec)
    rng = np.random.default_rng([seed, t, b, i, h])
    if spec.input_symbol is not None:
        i = h
    sizes = {size: max(1, h // 2) for size in spec.sizes}
    params = kernel.init_params(i, h, rng=rng, dtype=np.dtype(dtype), **sizes)
    x = rng.standard_normal((t, b, i)).astype(dtype)
    state = {
        s: (0.5 * rng.standard_normal((b, spec.size_of(spec.prev[s], h, **sizes)))).astype(dtype)
        for s in spec.states
    }
    dy = rng.standard_normal((t, b, spec.size_of(spec.prev["h"], h, **sizes))).astype(dtype)
    return Problem(kernel, params, x, state, dy)
