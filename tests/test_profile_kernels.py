"""`bench/profile_kernels.py`: statements put in the right category, instrumentation that
changes no result, and a split that adds up. No timing assertions: machines are noisy."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

import gated_ref as gr

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
import profile_kernels as pk  # noqa: E402


@pytest.mark.parametrize(
    ("statement", "expected"),
    [
        ("numpy.matmul(h_prev, U0T, out=A0)", "gemm"),
        ("AX = (x.reshape(T * B, I) @ W_ih.T).reshape(T, B, 4 * H)", "gemm"),
        ("d_src0 = dAH0[t] @ U0", "gemm"),
        ("numpy.tanh(c, out=h)", "elementwise"),
        ("_f4 = _f0*_f2 + _f1*c_prev", "elementwise"),
        ("dP[0] += _r3.sum(axis=0)", "elementwise"),
        ("N_i[t] = i", "copy"),
        ("dAX[t, :, 0:H] = _store_ax_r", "copy"),
        ("_store_ah_i[...] = _r4", "copy"),
        ("U0T = W_hh[0 * H:4 * H].T.copy()", "copy"),
        ("_r0 = numpy.empty((B, H), dtype)", "alloc"),
        ("i = N_i[t]", "other"),
        ("W_hh = params['weight_hh']", "other"),
        ("a_i = A0[:, 0:H]", "other"),
    ],
)
def test_statement_categories(statement: str, expected: str) -> None:
    assert pk.category(statement) == expected


@pytest.mark.parametrize("name", ["lstm", "gru_reset_before", "lstm_proj"])
def test_instrumented_kernel_computes_the_same(name: str) -> None:
    kernel = gr.lower(gr.cell(name))
    module = pk.profiled_module(name)
    x, params, state, dy = pk._problem(name, "float64", 4, 3, 6)
    y, final, cache = kernel._module.forward(x, params, state)
    y2, final2, cache2 = module.forward(x, params, state)
    np.testing.assert_array_equal(y, y2)
    zero = {s: np.zeros_like(v) for s, v in state.items()}
    grads, grads2 = kernel._module.backward(dy, cache, zero), module.backward(dy, cache2, zero)
    for key in grads:
        np.testing.assert_array_equal(grads[key], grads2[key])
    assert set(module._P) <= set(pk.CATEGORIES) and module._P["gemm"] > 0


def test_split_adds_up_and_gemm_fraction_is_a_share() -> None:
    split = pk.profile("lstm", "float32", 5, 4, 8, runs=1)
    assert set(split) == {"fwd", "bwd"}
    for parts in split.values():
        assert set(parts) == set(pk.CATEGORIES) and all(v >= 0 for v in parts.values())
        assert parts["gemm"] > 0 and parts["elementwise"] > 0
    share = pk.gemm_fraction("gru", "float32", 5, 4, 8, runs=1)
    assert 0 < share < 1
