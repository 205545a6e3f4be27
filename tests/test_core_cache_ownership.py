"""The forward cache owns what backward reads: the caller may change its arrays afterwards."""

from __future__ import annotations

import copy

import numpy as np
import pytest
from core_helpers import problem

#: Cells of every shape of parameter dict: gates from both sides, a projection (weight_hr),
#: an elementwise recurrent weight and no weight_hh (indrnn), peepholes.
CELLS = ["lstm", "gru", "lstm_proj", "indrnn", "lstm_peephole"]


def _scramble(array: np.ndarray) -> None:
    """Change every entry of ``array`` in place (and keep it finite)."""
    array *= -3.0
    array += 0.25


@pytest.mark.parametrize("name", CELLS)
def test_changing_inputs_after_forward_does_not_change_gradients(name: str) -> None:
    kernel, params, x, state, dy, dstate = problem(name, 3, 2, 4, 5, seed=11)
    original = copy.deepcopy((params, x, state))
    _, _, cache = kernel.forward(x, params, state)
    _scramble(x)
    for value in params.values():
        _scramble(value)
    for value in state.values():
        _scramble(value)
    # the caller's arrays really changed (forward neither froze nor replaced them)
    assert not np.any(x == original[1])
    for key, value in params.items():
        assert not np.any(value == original[0][key]), key
    grads = kernel.backward(dy, cache, dstate)

    params0, x0, state0 = copy.deepcopy(original)
    _, _, fresh = kernel.forward(x0, params0, state0)
    expected = kernel.backward(dy, fresh, dstate)
    assert set(grads) == set(expected)
    for key, value in expected.items():
        np.testing.assert_allclose(grads[key], value, rtol=1e-12, atol=1e-14, err_msg=key)
