"""The numbers the exercise solutions state (diagrams/exercise_solutions.py), recomputed without
the generated kernels: PyTorch float64 modules and autograd, plain NumPy loops."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

DIAGRAMS = Path(__file__).resolve().parents[1] / "diagrams"


def _load(name: str):  # noqa: ANN202
    """Import ``diagrams/<name>.py`` as a module (its folder on sys.path, as the runner does)."""
    if str(DIAGRAMS) not in sys.path:
        sys.path.insert(0, str(DIAGRAMS))
    spec = importlib.util.spec_from_file_location(f"_test_{name}", DIAGRAMS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def sol():  # noqa: ANN201
    return _load("exercise_solutions")


def _t(a: np.ndarray) -> torch.Tensor:
    return torch.tensor(np.asarray(a), dtype=torch.float64)


def _load_torch(module: torch.nn.Module, params: dict) -> None:
    with torch.no_grad():
        for key, value in params.items():
            getattr(module, f"{key}_l0").copy_(_t(value))


def test_rnn1_product_of_slopes_and_fixed_points(sol) -> None:  # noqa: ANN001
    """dh_T/dh_0 = prod u (1 - h_t^2) by a plain loop; h* is a fixed point, stable iff |f| < 1."""
    for row in sol.rnn1_data():
        u, h, prod = row["u"], sol.RNN1_H0, 1.0
        for _ in range(sol.RNN1_T):
            h = np.tanh(u * h)
            prod *= u * (1 - h**2)
        assert row["dhT_dh0"] == pytest.approx(prod, rel=1e-9, abs=1e-300)
        h_star = row["h_star"]
        assert np.tanh(u * h_star) == pytest.approx(h_star, abs=1e-12)
        assert abs(row["factor"]) < 1  # every fixed point listed is a stable one


def test_rnn2_gradient_norms_match_torch(sol) -> None:  # noqa: ANN001
    data = sol.rnn2_data()
    rng = np.random.default_rng(sol.SEED)
    rnn = torch.nn.RNN(sol.RNN2_I, sol.RNN2_H, dtype=torch.float64)
    bound = 1 / np.sqrt(sol.RNN2_H)
    keys = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")  # the order init_params draws in
    shapes = {k: tuple(getattr(rnn, f"{k}_l0").shape) for k in keys}
    params = {k: rng.uniform(-bound, bound, size=s) for k, s in shapes.items()}
    x = rng.standard_normal((sol.RNN2_T, sol.RNN2_B, sol.RNN2_I))
    w = rng.standard_normal((sol.RNN2_B, sol.RNN2_H))
    for label, scale in (("1", 1.0), ("3", sol.RNN2_SCALE)):
        _load_torch(rnn, dict(params, weight_hh=params["weight_hh"] * scale))
        xt = _t(x).requires_grad_(True)
        y, _ = rnn(xt)
        (y[-1] * _t(w)).sum().backward()
        norms = xt.grad.norm(dim=2).mean(dim=1).numpy()
        assert data[label]["first"] == pytest.approx(norms[0], rel=1e-8)
        assert data[label]["last"] == pytest.approx(norms[-1], rel=1e-8)


def test_lstm1_bias_redundancy_in_torch(sol) -> None:  # noqa: ANN001
    data = sol.lstm1_data()
    with torch.random.fork_rng():  # the same module and input every run, in any test order
        torch.manual_seed(sol.SEED)
        lstm = torch.nn.LSTM(sol.LSTM_I, sol.LSTM_H, dtype=torch.float64)
        x = torch.randn(sol.LSTM_T, sol.LSTM_B, sol.LSTM_I, dtype=torch.float64)
    assert lstm.bias_hh_l0.numel() == data["redundant"] == 4 * sol.LSTM_H
    y, _ = lstm(x)
    y.pow(2).sum().backward()
    assert torch.allclose(lstm.bias_ih_l0.grad, lstm.bias_hh_l0.grad, rtol=1e-12, atol=0)
    with torch.no_grad():
        lstm.bias_ih_l0 += lstm.bias_hh_l0
        lstm.bias_hh_l0.zero_()
        y2, _ = lstm(x)
    assert torch.allclose(y, y2, rtol=0, atol=1e-14)
    assert data["dy_max"] <= 1e-14 and data["grad_diff"] <= 1e-14


def test_lstm2_forget_gates_from_torch_cell(sol) -> None:  # noqa: ANN001
    """Mean f_t and mean products of f_t from an LSTMCell loop with f computed by hand."""
    data = sol.forget_gate_data()
    rng = np.random.default_rng(sol.SEED)
    i_size, h_size = sol.FORGET_I, sol.FORGET_H
    cell = torch.nn.LSTMCell(i_size, h_size, dtype=torch.float64)
    bound = 1 / np.sqrt(h_size)
    params = {
        k: rng.uniform(-bound, bound, size=tuple(getattr(cell, k).shape))
        for k in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")
    }
    x = _t(rng.standard_normal((sol.FORGET_T, sol.FORGET_B, i_size)))
    rows = slice(h_size, 2 * h_size)
    one = {k: v.copy() for k, v in params.items()}
    one["bias_ih"][rows], one["bias_hh"][rows] = 1.0, 0.0
    for label, p in (("default", params), ("one", one)):
        with torch.no_grad():
            for key, value in p.items():
                getattr(cell, key).copy_(_t(value))
            h = torch.zeros(sol.FORGET_B, h_size, dtype=torch.float64)
            c = torch.zeros_like(h)
            fs = []
            for t in range(sol.FORGET_T):
                pre = x[t] @ cell.weight_ih.T + cell.bias_ih + h @ cell.weight_hh.T + cell.bias_hh
                fs.append(torch.sigmoid(pre[:, rows]))
                h, c = cell(x[t], (h, c))
        f = torch.stack(fs).numpy()
        assert data[label]["f"] == pytest.approx(f.mean(), rel=1e-10)
        for d in sol.FORGET_DISTANCES:
            expected = np.prod(f[sol.FORGET_T - d :], axis=0).mean()
            assert data[label][f"prod{d}"] == pytest.approx(expected, rel=1e-9)


def _gru_reset_before_numpy(params: dict, x: np.ndarray, hidden: int) -> np.ndarray:
    """Cho et al.'s reset-before GRU, a plain loop (blocks r, z, n as PyTorch stacks them)."""
    w, u, bx, bh = (params[k] for k in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"))
    blocks = [slice(k * hidden, (k + 1) * hidden) for k in range(3)]
    h = np.zeros((x.shape[1], hidden))
    out = []
    for xt in x:
        ax = xt @ w.T + bx
        r = 1 / (1 + np.exp(-(ax[:, blocks[0]] + h @ u[blocks[0]].T + bh[blocks[0]])))
        z = 1 / (1 + np.exp(-(ax[:, blocks[1]] + h @ u[blocks[1]].T + bh[blocks[1]])))
        n = np.tanh(ax[:, blocks[2]] + (r * h) @ u[blocks[2]].T + bh[blocks[2]])
        h = (1 - z) * n + z * h
        out.append(h)
    return np.stack(out)


def _gru_torch(params: dict, x: np.ndarray, sizes: tuple[int, int]) -> np.ndarray:
    gru = torch.nn.GRU(*sizes, dtype=torch.float64)
    _load_torch(gru, params)
    with torch.no_grad():
        return gru(_t(x))[0].numpy()


def _gru_inputs(sol) -> tuple[dict, np.ndarray]:  # noqa: ANN001
    rng = np.random.default_rng(sol.SEED)
    bound = 1 / np.sqrt(sol.GRU_H)
    g, i, h = 3 * sol.GRU_H, sol.GRU_I, sol.GRU_H
    shapes = {"weight_ih": (g, i), "weight_hh": (g, h), "bias_ih": (g,), "bias_hh": (g,)}
    params = {k: rng.uniform(-bound, bound, size=s) for k, s in shapes.items()}
    return params, rng.standard_normal((sol.GRU_T, sol.GRU_B, sol.GRU_I))


def test_gru1_forms_coincide_at_reset_one(sol) -> None:  # noqa: ANN001
    data = sol.gru1_data()
    assert data["equal"] is True and data["r_elsewhere"] == []
    params, x = _gru_inputs(sol)
    forced = {k: v.copy() for k, v in params.items()}
    forced["bias_ih"][: sol.GRU_H] = sol.RESET_BIAS
    sizes = (sol.GRU_I, sol.GRU_H)
    with np.errstate(over="ignore"):
        gap_forced = np.abs(
            _gru_torch(forced, x, sizes) - _gru_reset_before_numpy(forced, x, sol.GRU_H)
        ).max()
    gap_free = np.abs(
        _gru_torch(params, x, sizes) - _gru_reset_before_numpy(params, x, sol.GRU_H)
    ).max()
    assert gap_forced < 1e-13 and data["gap"]["r = 1"] < 1e-13
    assert data["gap"]["free"] == pytest.approx(gap_free, rel=1e-9)


def test_gru2_torch_weights_in_reset_before(sol) -> None:  # noqa: ANN001
    data = sol.gru2_data()
    params, x = _gru_inputs(sol)
    y_torch = _gru_torch(params, x, (sol.GRU_I, sol.GRU_H))
    y_before = _gru_reset_before_numpy(params, x, sol.GRU_H)
    assert data["max_abs"] == pytest.approx(np.abs(y_torch - y_before).max(), rel=1e-9)
    rel = np.linalg.norm(y_torch - y_before) / np.linalg.norm(y_torch)
    assert data["rel"] == pytest.approx(rel, rel=1e-9)


def test_mgu_solution_against_torch_autograd(sol) -> None:  # noqa: ANN001
    """The exercise's MGU, lowered, against the MGU written in PyTorch with autograd."""
    import gated_ref as gr

    spec = sol.mgu_spec()
    kernel = gr.lower(spec)
    i_size, h_size, steps, batch = 3, 4, 6, 2
    rng = np.random.default_rng(1)
    params = kernel.init_params(i_size, h_size, rng=rng)
    x = rng.standard_normal((steps, batch, i_size))
    dy = rng.standard_normal((steps, batch, h_size))
    y, _, cache = kernel.forward(x, params)
    grads = kernel.backward(dy, cache)

    tp = {k: _t(v).requires_grad_(True) for k, v in params.items()}
    xt = _t(x).requires_grad_(True)
    f_rows, n_rows = slice(0, h_size), slice(h_size, 2 * h_size)
    h = torch.zeros(batch, h_size, dtype=torch.float64)
    outs = []
    for t in range(steps):
        ax = xt[t] @ tp["weight_ih"].T + tp["bias_ih"]
        f = torch.sigmoid(ax[:, f_rows] + h @ tp["weight_hh"][f_rows].T + tp["bias_hh"][f_rows])
        n = torch.tanh(ax[:, n_rows] + (f * h) @ tp["weight_hh"][n_rows].T + tp["bias_hh"][n_rows])
        h = (1 - f) * h + f * n
        outs.append(h)
    y_ref = torch.stack(outs)
    (y_ref * _t(dy)).sum().backward()
    np.testing.assert_allclose(y, y_ref.detach().numpy(), rtol=1e-12, atol=1e-13)
    for key, value in tp.items():
        np.testing.assert_allclose(grads[key], value.grad.numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(grads["x"], xt.grad.numpy(), rtol=1e-10, atol=1e-12)
    count = sum(v.numel() for v in tp.values())
    formula = spec.parameter_count()
    sizes = {"I": i_size, "H": h_size}
    assert int(formula.subs({s: sizes[s.name] for s in formula.free_symbols})) == count


def test_mgu_finite_difference_error_is_small(sol) -> None:  # noqa: ANN001
    assert sol.mgu_data()["fd_error"] < 1e-6
