"""Forward, final state and every gradient against torch.nn.LSTM / GRU / RNN in float64."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from core_helpers import problem, rel_err
from hypothesis import given, settings
from hypothesis import strategies as st

TORCH_CELLS = {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU, "rnn_tanh": torch.nn.RNN}


def torch_reference(name, params, x, state, dy, dstate):  # noqa: ANN001, ANN201
    """Run torch's module with our parameters and return outputs and autograd gradients."""
    I, H = x.shape[2], params["weight_hh"].shape[1]  # noqa: E741
    module = TORCH_CELLS[name](I, H).double()
    with torch.no_grad():
        for key, value in params.items():
            getattr(module, f"{key}_l0").copy_(torch.from_numpy(value))
    xt = torch.tensor(x, requires_grad=True)
    init = {s: torch.tensor(v[None], requires_grad=True) for s, v in state.items()}
    if name == "lstm":
        y, (h, c) = module(xt, (init["h"], init["c"]))
        finals = {"h": h[0], "c": c[0]}
    else:
        y, h = module(xt, init["h"])
        finals = {"h": h[0]}
    total = (y * torch.from_numpy(dy)).sum()
    for s, d in dstate.items():
        total = total + (finals[s] * torch.from_numpy(d)).sum()
    total.backward()
    grads = {key: getattr(module, f"{key}_l0").grad.numpy() for key in params}
    grads["x"] = xt.grad.numpy()
    for s in state:
        grads[s] = init[s].grad[0].numpy()
    return y.detach().numpy(), {s: v.detach().numpy() for s, v in finals.items()}, grads


def check_against_torch(name: str, T: int, B: int, I: int, H: int, seed: int) -> None:  # noqa: E741, N803
    kernel, params, x, state, dy, dstate = problem(name, T, B, I, H, seed)
    y, final, cache = kernel.forward(x, params, state)
    grads = kernel.backward(dy, cache, dstate)
    y_ref, final_ref, grads_ref = torch_reference(name, params, x, state, dy, dstate)
    assert rel_err(y, y_ref) <= 1e-10
    for s in final_ref:
        assert rel_err(final[s], final_ref[s]) <= 1e-10, s
    assert set(grads) == set(grads_ref)
    for key, ref in grads_ref.items():
        assert grads[key].shape == ref.shape, key
        assert rel_err(grads[key], ref) <= 1e-10, key


@pytest.mark.parametrize("name", sorted(TORCH_CELLS))
@pytest.mark.parametrize("T,B,I,H", [(1, 1, 1, 1), (7, 3, 5, 4), (2, 1, 3, 1), (1, 4, 2, 9)])
def test_matches_torch_fixed_sizes(name: str, T: int, B: int, I: int, H: int) -> None:  # noqa: E741, N803
    check_against_torch(name, T, B, I, H, seed=T * 100 + H)


@pytest.mark.parametrize("name", sorted(TORCH_CELLS))
@settings(max_examples=15, deadline=None)
@given(
    T=st.integers(1, 6),
    B=st.integers(1, 4),
    I=st.integers(1, 5),  # noqa: E741
    H=st.integers(1, 6),
    seed=st.integers(0, 2**16),
)
def test_matches_torch_random_sizes(name: str, T: int, B: int, I: int, H: int, seed: int) -> None:  # noqa: E741, N803
    check_against_torch(name, T, B, I, H, seed)


def test_torch_oracle_can_fail() -> None:
    """Swapping two gate blocks of the LSTM must be caught by the comparison."""
    kernel, params, x, state, dy, dstate = problem("lstm", 3, 2, 3, 4, seed=5)
    y, _, _ = kernel.forward(x, params, state)
    swapped = dict(params)
    w = params["weight_ih"].copy()
    w[0:4], w[4:8] = params["weight_ih"][4:8], params["weight_ih"][0:4]
    swapped["weight_ih"] = w
    y_ref, _, _ = torch_reference("lstm", swapped, x, state, dy, dstate)
    assert rel_err(y, y_ref) > 1e-3


@pytest.mark.parametrize("name", sorted(TORCH_CELLS))
def test_float32_in_float32_out(name: str) -> None:
    kernel, params, x, state, dy, dstate = problem(name, 5, 3, 4, 6, seed=2, dtype=np.float32)
    y, final, cache = kernel.forward(x, params, state)
    grads = kernel.backward(dy, cache, dstate)
    assert y.dtype == np.float32
    assert all(v.dtype == np.float32 for v in final.values())
    assert all(v.dtype == np.float32 for v in grads.values())
    p64 = {k: v.astype(np.float64) for k, v in params.items()}
    s64 = {k: v.astype(np.float64) for k, v in state.items()}
    d64 = {k: v.astype(np.float64) for k, v in dstate.items()}
    y_ref, _, g_ref = torch_reference(
        name, p64, x.astype(np.float64), s64, dy.astype(np.float64), d64
    )
    assert rel_err(y, y_ref) <= 1e-5
    for key, ref in g_ref.items():
        assert rel_err(grads[key], ref) <= 1e-4, key
