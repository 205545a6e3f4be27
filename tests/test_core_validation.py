"""Bad input raises ValueError / KeyError naming the argument, what came and what was expected."""

from __future__ import annotations

import numpy as np
import pytest
from core_helpers import problem

import gated_ref as gr


def test_unknown_cell_name() -> None:
    with pytest.raises(KeyError, match=r"cell name: got 'lstmm', expected one of rnn_tanh, lstm"):
        gr.cell("lstmm")


def test_x_wrong_rank() -> None:
    kernel, params, x, *_ = problem("lstm", 2, 3, 4, 5)
    with pytest.raises(ValueError, match=r"x: got \(3, 4\), expected a 3-D array \(T, B, I\)"):
        kernel.forward(x[0], params)


def test_x_wrong_input_size() -> None:
    kernel, params, x, *_ = problem("gru", 2, 3, 4, 5)
    with pytest.raises(
        ValueError, match=r"params\['weight_ih'\]: got shape \(15, 4\), expected \(15, 6\)"
    ):
        kernel.forward(np.zeros((2, 3, 6)), params)


def test_missing_parameter() -> None:
    kernel, params, x, *_ = problem("lstm_peephole", 2, 3, 4, 5)
    del params["weight_peephole"]
    with pytest.raises(KeyError, match=r"params: missing 'weight_peephole'; cell 'lstm_peephole'"):
        kernel.forward(x, params)


def test_unexpected_parameter() -> None:
    kernel, params, x, *_ = problem("lstm", 2, 3, 4, 5)
    params["weight_peephole"] = np.zeros((3, 5))
    with pytest.raises(ValueError, match=r"params: unexpected key\(s\) \['weight_peephole'\]"):
        kernel.forward(x, params)


def test_mixed_dtypes() -> None:
    kernel, params, x, *_ = problem("rnn_tanh", 2, 3, 4, 5)
    params["bias_hh"] = params["bias_hh"].astype(np.float32)
    with pytest.raises(
        ValueError, match=r"params\['bias_hh'\]: got dtype float32, expected float64"
    ):
        kernel.forward(x, params)


def test_integer_input_rejected() -> None:
    kernel, params, *_ = problem("rnn_tanh", 2, 3, 4, 5)
    with pytest.raises(ValueError, match=r"x: got dtype int64, expected float32 or float64"):
        kernel.forward(np.zeros((2, 3, 4), dtype=np.int64), params)


def test_state_wrong_shape_and_missing_key() -> None:
    kernel, params, x, state, *_ = problem("lstm", 2, 3, 4, 5)
    with pytest.raises(ValueError, match=r"state\['c'\]: got shape \(3, 4\), expected \(3, 5\)"):
        kernel.forward(x, params, {"h": state["h"], "c": np.zeros((3, 4))})
    with pytest.raises(KeyError, match=r"state: missing 'c'; cell 'lstm' expects \('h', 'c'\)"):
        kernel.forward(x, params, {"h": state["h"]})


def test_non_finite_input() -> None:
    kernel, params, x, *_ = problem("gru", 2, 3, 4, 5)
    x[1, 2, 3] = np.nan
    with pytest.raises(ValueError, match=r"x: got a non-finite value \(nan\), expected finite"):
        kernel.forward(x, params)


def test_dy_wrong_shape_and_foreign_cache() -> None:
    kernel, params, x, state, dy, _ = problem("lstm", 2, 3, 4, 5)
    _, _, cache = kernel.forward(x, params, state)
    with pytest.raises(ValueError, match=r"dy: got shape \(2, 3, 4\), expected \(2, 3, 5\)"):
        kernel.backward(dy[:, :, :4], cache)
    other = gr.lower(gr.cell("gru"))
    with pytest.raises(ValueError, match=r"cache: got one from 'lstm', expected this 'gru'"):
        other.backward(dy, cache)


def test_init_params_arguments() -> None:
    kernel = gr.lower(gr.cell("lstm"))
    with pytest.raises(ValueError, match=r"hidden_size: got 0, expected a positive integer"):
        kernel.init_params(3, 0)
    with pytest.raises(ValueError, match=r"dtype: got int32, expected float32 or float64"):
        kernel.init_params(3, 2, dtype=np.int32)
    p = kernel.init_params(3, 2, dtype=np.float32)
    assert {k: v.shape for k, v in p.items()} == {
        "weight_ih": (8, 3),
        "weight_hh": (8, 2),
        "bias_ih": (8,),
        "bias_hh": (8,),
    }
    assert all(v.dtype == np.float32 and np.abs(v).max() <= 2**-0.5 for v in p.values())


def test_none_state_means_zeros() -> None:
    kernel, params, x, state, *_ = problem("lstm", 3, 2, 4, 5)
    zeros = {s: np.zeros_like(v) for s, v in state.items()}
    y1, _, _ = kernel.forward(x, params, None)
    y2, _, _ = kernel.forward(x, params, zeros)
    np.testing.assert_array_equal(y1, y2)


def test_lower_and_derive_take_a_name_or_a_spec() -> None:
    assert gr.lower("gru").name == gr.lower(gr.cell("gru")).name == "gru"
    assert gr.derive("lstm").equation_ids == gr.derive(gr.cell("lstm")).equation_ids
    with pytest.raises(ValueError, match=r"spec: expected a CellSpec from gated_ref.cell\(name\)"):
        gr.lower(42)  # type: ignore[arg-type]
    with pytest.raises(KeyError, match=r"cell name: got 'lstmm'"):
        gr.derive("lstmm")


def test_changing_y_in_place_does_not_change_gradients() -> None:
    kernel, params, x, state, dy, dstate = problem("lstm", 3, 2, 4, 5)
    y, _, cache = kernel.forward(x, params, state)
    before = kernel.backward(dy, cache, dstate)
    y *= 0.0
    after = kernel.backward(dy, cache, dstate)
    for key in before:
        np.testing.assert_array_equal(before[key], after[key])
