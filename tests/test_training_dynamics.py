"""Initialisations, gradient growth, clipping and truncated BPTT against torch float64."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from core_helpers import rel_err

import gated_ref as gr
from gated_ref import bptt, init
from gated_ref.train import clip_by_global_norm

TORCH_CELLS = {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU, "rnn_tanh": torch.nn.RNN}


def torch_module(name: str, params: dict[str, np.ndarray], input_size: int) -> torch.nn.Module:
    """torch's own module, float64, loaded with our parameters."""
    hidden = params["weight_hh"].shape[1]
    module = TORCH_CELLS[name](input_size, hidden).double()
    with torch.no_grad():
        for key, value in params.items():
            getattr(module, f"{key}_l0").copy_(torch.from_numpy(value))
    return module


def run(module: torch.nn.Module, x: torch.Tensor, state: dict[str, torch.Tensor]):  # noqa: ANN201
    """(y, final state dict) of a torch module; states are (B, H)."""
    if "c" in state:
        y, (h, c) = module(x, (state["h"][None], state["c"][None]))
        return y, {"h": h[0], "c": c[0]}
    y, h = module(x, state["h"][None])
    return y, {"h": h[0]}


def setup(name: str, T: int, B: int, I: int, H: int, seed: int = 0):  # noqa: ANN201, E741, N803
    rng = np.random.default_rng(seed)
    kernel = gr.lower(gr.cell(name))
    return kernel, kernel.init_params(I, H, rng=rng), rng.standard_normal((T, B, I)), rng


# ---- PyTorch's default initialisation ------------------------------------------------------


def ks_statistic(a: np.ndarray, b: np.ndarray) -> float:
    """Two-sample Kolmogorov-Smirnov statistic: the largest gap between the empirical CDFs."""
    points = np.concatenate([a, b])
    cdf_a = np.searchsorted(np.sort(a), points, side="right") / a.size
    cdf_b = np.searchsorted(np.sort(b), points, side="right") / b.size
    return float(np.abs(cdf_a - cdf_b).max())


def ks_critical(n: int, alpha_coefficient: float = 1.95) -> float:
    """The KS rejection threshold for two samples of size n at level 0.001 (c = 1.95)."""
    return alpha_coefficient * np.sqrt(2.0 / n)


@pytest.mark.parametrize("name", sorted(TORCH_CELLS))
def test_default_init_has_torch_bound_and_distribution(name: str) -> None:
    """Every parameter lies in torch's (-1/sqrt(H), 1/sqrt(H)) and is distributed as torch's."""
    inp, hidden = 7, 50
    torch.manual_seed(0)
    ref = TORCH_CELLS[name](inp, hidden)
    ours = gr.lower(gr.cell(name)).init_params(inp, hidden, rng=np.random.default_rng(0))
    for key, value in ours.items():
        theirs = getattr(ref, f"{key}_l0").detach().double().numpy()
        assert value.shape == theirs.shape, key
        bound = float(np.abs(theirs).max())
        assert bound <= 1 / np.sqrt(hidden) and np.abs(value).max() <= 1 / np.sqrt(hidden), key
        if value.size >= 200:
            assert ks_statistic(value.ravel(), theirs.ravel()) < ks_critical(value.size), key
    big = gr.lower(gr.cell(name)).init_params(3, 400, rng=np.random.default_rng(1))
    # the largest draw of 10^5 uniform numbers is within 1e-3 of the bound, not just below it
    assert abs(np.abs(big["weight_hh"]).max() * np.sqrt(400) - 1) < 1e-3


# ---- the init functions --------------------------------------------------------------------


@pytest.mark.parametrize("name", [n for n in gr.CELL_NAMES if gr.cell(n).recurrent_gates])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_orthogonal_blocks(name: str, dtype: type) -> None:
    kernel = gr.lower(gr.cell(name))
    sizes = {size: 4 for size in kernel.spec.sizes}  # a projection: (H, P) blocks, P < H
    n_in = 6 if kernel.spec.input_symbol is not None else 3
    params = kernel.init_params(n_in, 6, rng=np.random.default_rng(0), dtype=dtype, **sizes)
    before = {k: v.copy() for k, v in params.items()}
    out = init.orthogonal(name, params, rng=np.random.default_rng(1), gain=1.0)
    for key, value in before.items():
        np.testing.assert_array_equal(params[key], value)  # input untouched
        assert out[key].shape == value.shape and out[key].dtype == value.dtype, key
    tol = 1e-12 if dtype == np.float64 else 1e-6
    n_blocks = len(kernel.spec.recurrent_gates)
    assert out["weight_hh"].shape[0] == 6 * n_blocks
    cols = out["weight_hh"].shape[1]
    for k in range(n_blocks):
        block = out["weight_hh"][6 * k : 6 * (k + 1)].astype(np.float64)
        assert np.abs(block.T @ block - np.eye(cols)).max() < tol  # orthonormal columns
        if cols == 6:
            assert np.abs(block @ block.T - np.eye(6)).max() < tol
    blocks = [out["weight_hh"][6 * k : 6 * (k + 1)] for k in range(n_blocks)]
    for a, b in zip(blocks, blocks[1:], strict=False):
        assert not np.allclose(a, b)  # each block its own draw


def test_orthogonal_refuses_a_cell_without_recurrent_matrix() -> None:
    params = gr.lower("indrnn").init_params(3, 4)
    with pytest.raises(ValueError, match="indrnn.*weight_hh"):
        init.orthogonal("indrnn", params)


def test_orthogonal_gain_and_torch_algorithm() -> None:
    """Same algorithm as torch.nn.init.orthogonal_: a singular values all equal gain."""
    params = gr.lower(gr.cell("gru")).init_params(2, 5, rng=np.random.default_rng(0))
    out = init.orthogonal("gru", params, gain=1.7)
    for k in range(3):
        s = np.linalg.svd(out["weight_hh"][5 * k : 5 * (k + 1)], compute_uv=False)
        np.testing.assert_allclose(s, 1.7, atol=1e-12)
    w = torch.empty(5, 5, dtype=torch.float64)
    torch.nn.init.orthogonal_(w, gain=1.7)
    np.testing.assert_allclose(np.linalg.svd(w.numpy(), compute_uv=False), 1.7, atol=1e-12)
    wide = init.random_orthogonal(3, 5, np.random.default_rng(2))
    np.testing.assert_allclose(wide @ wide.T, np.eye(3), atol=1e-12)


@pytest.mark.parametrize("name", ["lstm", "lstm_peephole", "lstm_cifg"])
def test_chrono(name: str) -> None:
    spec = gr.cell(name)
    hidden, t_max = 400, 50.0
    params = gr.lower(spec).init_params(3, hidden, rng=np.random.default_rng(0))
    out = init.chrono(name, params, t_max=t_max, rng=np.random.default_rng(3))
    b_f = init.effective_bias(name, out, "f")
    f = spec.gates.index("f")
    np.testing.assert_array_equal(out["bias_hh"][f * hidden : (f + 1) * hidden], 0.0)
    assert b_f.min() >= 0.0 and b_f.max() <= np.log(t_max - 1)
    # u = exp(b_f) is uniform on (1, t_max - 1): its mean and spread, to sampling error
    u = np.exp(b_f)
    assert abs(u.mean() - t_max / 2) < 3 * (t_max - 2) / np.sqrt(12 * hidden)
    assert u.min() < 1 + 0.05 * t_max and u.max() > t_max - 1 - 0.05 * t_max
    if "i" in spec.gates:
        np.testing.assert_array_equal(init.effective_bias(name, out, "i"), -b_f)
    for gate in spec.gates:
        if gate not in ("f", "i"):
            k = spec.gates.index(gate)
            rows = slice(k * hidden, (k + 1) * hidden)
            np.testing.assert_array_equal(out["bias_ih"][rows], params["bias_ih"][rows])


def test_forget_bias_readings() -> None:
    """The effective bias b_ih + b_hh of each reading of 'forget bias = 1'."""
    hidden = 8
    params = gr.lower(gr.cell("lstm")).init_params(3, hidden, rng=np.random.default_rng(0))
    f = slice(hidden, 2 * hidden)
    draw = params["bias_ih"][f] + params["bias_hh"][f]
    expected = {
        "add_ih": 1.0 + draw,
        "fill_ih": 1.0 + params["bias_hh"][f],
        "fill_both": np.full(hidden, 2.0),
        "split": np.full(hidden, 1.0),
        "ih_only": np.full(hidden, 1.0),
    }
    assert set(expected) == set(init.READINGS)
    for reading, want in expected.items():
        out = init.forget_bias("lstm", params, 1.0, reading=reading)
        np.testing.assert_allclose(init.effective_bias("lstm", out, "f"), want, atol=1e-15)
        # other gates untouched
        for key in ("bias_ih", "bias_hh"):
            np.testing.assert_array_equal(out[key][:hidden], params[key][:hidden])
            np.testing.assert_array_equal(out[key][2 * hidden :], params[key][2 * hidden :])


@pytest.mark.parametrize("reading, b_f", [("split", 1.0), ("ih_only", 1.0), ("fill_both", 2.0)])
def test_forget_bias_effect_in_torch(reading: str, b_f: float) -> None:
    """torch.nn.LSTM with our biases: at x = h = 0, the forget gate is sigma(effective bias).

    f is read off torch's own output: c_1 = f * c_0 + i * g, so c_1(c_0 = 1) - c_1(c_0 = 0) = f.
    """
    params = gr.lower(gr.cell("lstm")).init_params(2, 3, rng=np.random.default_rng(0))
    module = torch_module("lstm", init.forget_bias("lstm", params, 1.0, reading=reading), 2)
    x = torch.zeros(1, 1, 2, dtype=torch.float64)
    h0 = torch.zeros(1, 3, dtype=torch.float64)
    with torch.no_grad():
        _, one = run(module, x, {"h": h0, "c": torch.ones(1, 3, dtype=torch.float64)})
        _, zero = run(module, x, {"h": h0, "c": h0})
    f = (one["c"] - zero["c"]).numpy()
    np.testing.assert_allclose(f, 1 / (1 + np.exp(-b_f)), rtol=1e-12)


@pytest.mark.parametrize(
    "cell, call, match",
    [
        ("rnn_tanh", lambda p: init.orthogonal("rnn_tanh", p, gain=0.0), "gain: got 0.0"),
        ("gru", lambda p: init.chrono("gru", p, t_max=10), "expected a cell with a forget gate"),
        ("lstm", lambda p: init.chrono("lstm", p, t_max=2), "t_max: got 2"),
        ("lstm", lambda p: init.forget_bias("lstm", p, reading="both"), "reading: got 'both'"),
        ("gru", lambda p: init.forget_bias("gru", p), "expected one named 'f'"),
        ("lstm", lambda p: init.orthogonal("nope", p), "nope"),
        ("lstm", lambda p: init.orthogonal(3, p), "cell: got <class 'int'>"),
        ("lstm", lambda p: init.forget_bias("lstm", p, value=float("nan")), "value: got nan"),
        ("lstm", lambda p: init.random_orthogonal(0, 3, np.random.default_rng()), "rows: got 0"),
    ],
)
def test_init_errors(cell: str, call, match: str) -> None:  # noqa: ANN001
    params = gr.lower(gr.cell(cell)).init_params(2, 3)
    with pytest.raises((ValueError, KeyError), match=match):
        call(params)


def test_init_shape_errors() -> None:
    params = gr.lower(gr.cell("lstm")).init_params(2, 3)
    with pytest.raises(ValueError, match=r"params\['weight_hh'\]: got shape \(12, 3\)"):
        init.orthogonal("gru", params)
    with pytest.raises(KeyError, match="missing 'bias_hh'"):
        init.orthogonal("lstm", {k: v for k, v in params.items() if k != "bias_hh"})
    with pytest.raises(ValueError, match="params: expected a dict"):
        init.chrono("lstm", [1, 2], t_max=10)


# ---- the generated backward pass measures growth: against torch autograd -------------------


@pytest.mark.parametrize("name", sorted(TORCH_CELLS))
def test_jacobian_rows_match_torch(name: str) -> None:
    """u^T ds_T/dh_t from the generated kernels equals torch autograd through nn.RNN/LSTM/GRU,
    with recurrent weights scaled so the norm grows (every singular value 1.5)."""
    T, B, I, H = 9, 2, 3, 4  # noqa: E741
    kernel, params, x, rng = setup(name, T, B, I, H)
    params = init.orthogonal(name, params, rng=rng, gain=1.5)
    params["bias_ih"][:] = params["bias_hh"][:] = 0.0  # with small x: tanh near its linear part
    x *= 1e-6
    u = rng.standard_normal((B, H))
    rows = bptt.jacobian_rows(kernel, params, x, u, stride=2)
    module = torch_module(name, params, I)
    xt = torch.from_numpy(x)
    zero = {s: torch.zeros(B, H, dtype=torch.float64) for s in kernel.spec.states}
    for d, row_h in zip(rows["distance"], rows["h"], strict=True):
        t = T - d
        _, start = run(module, xt[:t], zero) if t > 0 else (None, zero)
        leaf = {s: v.detach().requires_grad_(True) for s, v in start.items()}
        _, final = run(module, xt[t:], leaf) if t < T else (None, leaf)
        (final["h"] * torch.from_numpy(u)).sum().backward()
        assert rel_err(row_h, leaf["h"].grad.numpy()) < 1e-10, d
        if "c" in rows:
            i = list(rows["distance"]).index(d)
            grad_c = leaf["c"].grad
            ref_c = np.zeros((B, H)) if grad_c is None else grad_c.numpy()  # t = T: no path
            assert np.abs(rows["c"][i] - ref_c).max() <= 1e-10 * np.abs(ref_c).max() + 1e-300, d
    norms = np.linalg.norm(rows["h"], axis=-1).mean(axis=-1)
    if name == "rnn_tanh":  # near-linear tanh, all singular values 1.5: growth 1.5 per step
        ratio = norms[-1] / norms[0]
        assert abs(np.log(ratio) / rows["distance"][-1] - np.log(1.5)) < 1e-6


def test_jacobian_rows_errors() -> None:
    kernel, params, x, _ = setup("gru", 3, 2, 2, 3)
    with pytest.raises(ValueError, match="seed_state: got 'c'"):
        bptt.jacobian_rows(kernel, params, x, np.ones((2, 3)), seed_state="c")
    with pytest.raises(ValueError, match=r"u: got \(3,\)"):
        bptt.jacobian_rows(kernel, params, x, np.ones(3))
    with pytest.raises(ValueError, match="stride: got 0"):
        bptt.jacobian_rows(kernel, params, x, np.ones((2, 3)), stride=0)


def test_clipping_bounds_the_norm_as_torch() -> None:
    """clip_by_global_norm on exploding RNN gradients: norm <= max_norm, same as torch's."""
    kernel, params, x, rng = setup("rnn_tanh", 20, 3, 2, 5)
    params = init.orthogonal("rnn_tanh", params, rng=rng, gain=1.5)
    params["bias_ih"][:] = params["bias_hh"][:] = 0.0
    y, _, cache = kernel.forward(1e-8 * x, params)
    dy = np.zeros_like(y)
    dy[-1] = rng.standard_normal(dy[-1].shape)
    grads = {k: v for k, v in kernel.backward(dy, cache).items() if k in params}
    clipped, norm = clip_by_global_norm(grads, max_norm=1.0)
    assert norm > 100  # the gradient has exploded
    total = np.sqrt(sum(float(np.sum(g * g)) for g in clipped.values()))
    assert total <= 1.0 + 1e-12
    tensors = {
        k: torch.zeros(v.shape, dtype=torch.float64, requires_grad=True) for k, v in grads.items()
    }
    for k, t in tensors.items():
        t.grad = torch.from_numpy(grads[k].copy())
    ref_norm = torch.nn.utils.clip_grad_norm_(list(tensors.values()), max_norm=1.0)
    assert abs(float(ref_norm) - norm) < 1e-9 * norm
    for k, t in tensors.items():
        np.testing.assert_allclose(clipped[k], t.grad.numpy(), rtol=1e-9, atol=1e-300)


# ---- truncated BPTT: against torch with detach() ---------------------------------------------


def torch_tbptt(name: str, params, x, dy, k1: int, k2: int):  # noqa: ANN001, ANN201
    """TBPTT(k1, k2) in torch: every k1 steps, the losses since the last update sent back
    through the last k2 steps, the state detach()-ed at the window's start."""
    T, B, I = x.shape  # noqa: E741, N806
    module = torch_module(name, params, I)
    xt, dyt = torch.from_numpy(x), torch.from_numpy(dy)
    zero = {
        s: torch.zeros(B, params["weight_hh"].shape[1], dtype=torch.float64)
        for s in (("h", "c") if name == "lstm" else ("h",))
    }
    with torch.no_grad():  # the states at every step, as constants
        states = [zero]
        for t in range(T):
            _, nxt = run(module, xt[t : t + 1], states[-1])
            states.append(nxt)
    previous = 0
    for end in [*range(k1, T, k1), T]:
        start = max(0, end - k2)
        detached = {s: v.detach() for s, v in states[start].items()}
        y, _ = run(module, xt[start:end], detached)
        (y[previous - start :] * dyt[previous:end]).sum().backward()
        previous = end
    return {key: getattr(module, f"{key}_l0").grad.numpy() for key in params}


@pytest.mark.parametrize("name", ["rnn_tanh", "lstm", "gru"])
@pytest.mark.parametrize("k1, k2", [(1, 1), (3, 3), (4, 4), (2, 5), (13, 13), (20, 20)])
def test_truncated_matches_torch_detach(name: str, k1: int, k2: int) -> None:
    T = 13
    kernel, params, x, rng = setup(name, T, 2, 3, 4, seed=k1 * 10 + k2)
    dy = rng.standard_normal((T, 2, 4))
    ours = bptt.truncated_gradients(kernel, params, x, dy, k1, k2)
    ref = torch_tbptt(name, params, x, dy, k1, k2)
    for key in params:
        assert rel_err(ours[key], ref[key]) < 1e-10, key


def test_truncated_full_length_is_full_bptt_and_short_is_not() -> None:
    kernel, params, x, rng = setup("lstm", 12, 2, 3, 4)
    dy = rng.standard_normal((12, 2, 4))
    y, _, cache = kernel.forward(x, params)
    full = kernel.backward(dy, cache)
    assert (
        rel_err(bptt.truncated_gradients(kernel, params, x, dy, 12)["weight_hh"], full["weight_hh"])
        < 1e-12
    )
    assert (
        rel_err(bptt.truncated_gradients(kernel, params, x, dy, 3)["weight_hh"], full["weight_hh"])
        > 1e-6
    )


def test_truncated_errors() -> None:
    kernel, params, x, _ = setup("rnn_tanh", 5, 2, 3, 4)
    dy = np.zeros((5, 2, 4))
    with pytest.raises(ValueError, match="k2: got 2, expected at least k1 = 3"):
        bptt.truncated_gradients(kernel, params, x, dy, 3, 2)
    with pytest.raises(ValueError, match="k1: got 0"):
        bptt.truncated_gradients(kernel, params, x, dy, 0)
    with pytest.raises(ValueError, match=r"dy: got \(4, 2, 4\)"):
        bptt.truncated_gradients(kernel, params, x, dy[:4], 2)
