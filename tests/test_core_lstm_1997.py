"""The 1997 LSTM (no forget gate) against two oracles that did not start from our equations.

1. An LSTM written here in PyTorch, from Hochreiter & Schmidhuber (1997): input gate, output
   gate, cell input, and a cell whose self-connection has weight 1 (c_t = c_{t-1} + i g),
   differentiated by torch autograd in float64.
2. ``torch.nn.LSTM`` with its forget gate pinned at exactly 1: zero forget weights and a bias
   of 40 on each side, so sigma(80) rounds to 1.0 in float64 and PyTorch's own cell computes
   c_t = 1.0 c_{t-1} + i g. The two LSTMs then differ by nothing but the forget block.

Finite differences for every gradient are in ``test_core_finite_differences.py`` (all cells).
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from core_helpers import problem, rel_err

import gated_ref as gr

NAME = "lstm_1997"
TOL = 1e-10


def torch_lstm_1997(params: dict, x: np.ndarray, state: dict, dy: np.ndarray, dstate: dict):  # noqa: ANN201
    """Outputs, final states and autograd gradients of the 1997 cell, written from the paper."""
    p = {k: torch.tensor(v, requires_grad=True) for k, v in params.items()}
    xt = torch.tensor(x, requires_grad=True)
    h0 = torch.tensor(state["h"], requires_grad=True)
    c0 = torch.tensor(state["c"], requires_grad=True)
    hidden = h0.shape[1]
    w_i, w_g, w_o = p["weight_ih"].split(hidden)
    u_i, u_g, u_o = p["weight_hh"].split(hidden)
    b_i, b_g, b_o = (p["bias_ih"] + p["bias_hh"]).split(hidden)
    h, c, ys = h0, c0, []
    for x_t in xt:
        in_gate = torch.sigmoid(x_t @ w_i.T + h @ u_i.T + b_i)
        cell_input = torch.tanh(x_t @ w_g.T + h @ u_g.T + b_g)
        out_gate = torch.sigmoid(x_t @ w_o.T + h @ u_o.T + b_o)
        c = c + in_gate * cell_input  # the constant error carousel: self-weight 1
        h = out_gate * torch.tanh(c)
        ys.append(h)
    y = torch.stack(ys)
    total = (y * torch.from_numpy(dy)).sum()
    total = total + (h * torch.from_numpy(dstate["h"])).sum()
    total = total + (c * torch.from_numpy(dstate["c"])).sum()
    total.backward()
    grads = {k: v.grad.numpy() for k, v in p.items()}
    grads.update(x=xt.grad.numpy(), h=h0.grad.numpy(), c=c0.grad.numpy())
    return y.detach().numpy(), {"h": h.detach().numpy(), "c": c.detach().numpy()}, grads


def torch_lstm_forget_pinned(params: dict, x: np.ndarray, state: dict, dy, dstate):  # noqa: ANN001, ANN201
    """torch.nn.LSTM with the forget block's weights 0 and biases 40: f = 1.0 exactly."""
    hidden = params["weight_hh"].shape[1]
    module = torch.nn.LSTM(x.shape[2], hidden).double()

    def with_forget(a: np.ndarray, value: float) -> np.ndarray:
        i, g, o = np.split(a, 3)
        return np.concatenate([i, np.full_like(i, value), g, o])  # torch's order: i, f, g, o

    weights = {
        "weight_ih": with_forget(params["weight_ih"], 0.0),
        "weight_hh": with_forget(params["weight_hh"], 0.0),
        "bias_ih": with_forget(params["bias_ih"], 40.0),
        "bias_hh": with_forget(params["bias_hh"], 40.0),
    }
    with torch.no_grad():
        for key, value in weights.items():
            getattr(module, f"{key}_l0").copy_(torch.from_numpy(value))
    xt = torch.tensor(x, requires_grad=True)
    h0 = torch.tensor(state["h"][None], requires_grad=True)
    c0 = torch.tensor(state["c"][None], requires_grad=True)
    y, (h, c) = module(xt, (h0, c0))
    total = (y * torch.from_numpy(dy)).sum()
    total = total + (h[0] * torch.from_numpy(dstate["h"])).sum()
    total = total + (c[0] * torch.from_numpy(dstate["c"])).sum()
    total.backward()
    grads = {}
    for key in weights:
        i, _, g, o = np.split(getattr(module, f"{key}_l0").grad.numpy(), 4)
        grads[key] = np.concatenate([i, g, o])  # the forget block's gradient is dropped
    grads.update(x=xt.grad.numpy(), h=h0.grad[0].numpy(), c=c0.grad[0].numpy())
    finals = {"h": h[0].detach().numpy(), "c": c[0].detach().numpy()}
    return y.detach().numpy(), finals, grads


ORACLES = {
    "written from the paper": torch_lstm_1997,
    "torch.nn.LSTM, f = 1": torch_lstm_forget_pinned,
}


@pytest.mark.parametrize("oracle", sorted(ORACLES))
@pytest.mark.parametrize("T,B,I,H", [(1, 1, 1, 1), (6, 3, 4, 5), (12, 2, 3, 7)])
def test_lstm_1997_matches_torch(oracle: str, T: int, B: int, I: int, H: int) -> None:  # noqa: E741, N803
    kernel, params, x, state, dy, dstate = problem(NAME, T, B, I, H, seed=T + 10 * H)
    y, final, cache = kernel.forward(x, params, state)
    grads = kernel.backward(dy, cache, dstate)
    y_ref, final_ref, grads_ref = ORACLES[oracle](params, x, state, dy, dstate)
    assert rel_err(y, y_ref) <= TOL
    for s in ("h", "c"):
        assert rel_err(final[s], final_ref[s]) <= TOL, s
    assert set(grads) == set(grads_ref) == {*params, "x", "h", "c"}
    for key, ref in grads_ref.items():
        assert grads[key].shape == ref.shape, key
        assert rel_err(grads[key], ref) <= TOL, key


def test_oracles_tell_the_1997_cell_from_the_lstm() -> None:
    """With the forget gate at work (f < 1), the 1997 cell's numbers are not the LSTM's."""
    kernel, params, x, state, dy, dstate = problem(NAME, 8, 2, 3, 4, seed=3)
    y, _, _ = kernel.forward(x, params, state)
    lstm = gr.lower(gr.cell("lstm"))
    p4 = {
        k: np.concatenate(
            [np.split(v, 3)[0], np.zeros_like(np.split(v, 3)[0]), *np.split(v, 3)[1:]]
        )
        for k, v in params.items()
    }  # forget gate weights and biases 0: f = 1/2
    y_lstm, _, _ = lstm.forward(x, p4, state)
    assert rel_err(y_lstm, y) > 1e-3
    y_ref, _, _ = torch_lstm_1997(params, x, state, dy, dstate)
    assert rel_err(y, y_ref) <= TOL


def test_cell_state_jacobian_is_the_identity() -> None:
    """The constant error carousel: d c_t / d c_{t-1} is diag(1), as derived."""
    (jac,) = [j for j in gr.derive(NAME).jacobians if (j.of, j.wrt) == ("c", "c")]
    assert jac.terms == (((), 1),)
    kernel, params, x, state, dy, dstate = problem(NAME, 1, 1, 2, 3, seed=1)
    eps, base = 1e-6, kernel.forward(x, params, state)[1]["c"]
    for k in range(3):
        bumped = {s: v.copy() for s, v in state.items()}
        bumped["c"][0, k] += eps
        column = (kernel.forward(x, params, bumped)[1]["c"] - base)[0] / eps
        np.testing.assert_allclose(column, np.eye(3)[k], atol=1e-9)
