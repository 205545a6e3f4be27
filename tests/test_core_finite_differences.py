"""Every gradient of every cell against central finite differences (float64)."""

from __future__ import annotations

import numpy as np
import pytest
from core_helpers import loss, problem

import gated_ref as gr


@pytest.mark.parametrize("name", gr.CELL_NAMES)
def test_gradients_match_central_differences(name: str) -> None:
    kernel, params, x, state, dy, dstate = problem(name, T=3, B=2, I=3, H=2, seed=11)
    _, _, cache = kernel.forward(x, params, state)
    grads = kernel.backward(dy, cache, dstate)
    inputs = {**params, "x": x, **state}
    assert set(grads) == set(inputs)
    eps = 1e-6
    for key, array in inputs.items():
        numeric = np.zeros_like(array)
        for idx in np.ndindex(array.shape):
            saved = array[idx]
            array[idx] = saved + eps
            up = loss(kernel, params, x, state, dy, dstate)
            array[idx] = saved - eps
            down = loss(kernel, params, x, state, dy, dstate)
            array[idx] = saved
            numeric[idx] = (up - down) / (2 * eps)
        assert grads[key].shape == array.shape, key
        np.testing.assert_allclose(grads[key], numeric, rtol=1e-6, atol=1e-8, err_msg=key)
