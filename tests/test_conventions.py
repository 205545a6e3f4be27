"""gated_ref.conventions against implementations we did not write, or wrote here from the docs.

Oracles:
- ONNX in float64: ``onnx.reference.ReferenceEvaluator``, the NumPy implementation of the
  operator spec that ships with ``onnx`` (onnxruntime's CPU LSTM and GRU kernels refuse float64:
  "LSTM operator does not support double yet"), to 1e-10;
- onnxruntime itself in float32, on values exactly representable in float32, to the float32
  tolerance of tests/test_core_onnx.py;
- torch.nn.LSTM / torch.nn.GRU in float64, loaded with our parameters as they are;
- Keras's LSTMCell / GRUCell equations, written below in NumPy from Keras's documented formulas
  (TensorFlow is not installed);
- colah's and Karpathy's concatenated equations and a GRU whose ``1 - z`` keeps the old state,
  written below in torch.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from core_helpers import rel_err
from onnx import TensorProto
from onnx.reference import ReferenceEvaluator
from test_core_onnx import F32_RTOL, onnx_model, problem32, run_onnx

import gated_ref as gr
from gated_ref import conventions as cv

TOL = 1e-10  # float64 against float64: max abs difference
CELLS = ("lstm", "gru", "gru_reset_before")
SIZES = [(1, 1, 1, 1), (3, 2, 4, 5), (7, 3, 5, 2), (12, 4, 8, 16)]  # T, B, I, H


def problem(name: str, T: int, B: int, I: int, H: int, seed: int):  # noqa: E741, N803, ANN201
    """Our parameters (drawn wider than init so gates saturate), input, non-zero state."""
    rng = np.random.default_rng(seed)
    params = gr.lower(gr.cell(name)).init_params(I, H, rng=rng)
    params = {k: 2.0 * v for k, v in params.items()}
    x = rng.standard_normal((T, B, I))
    state = {s: 0.5 * rng.standard_normal((B, H)) for s in gr.cell(name).states}
    return params, x, state


def ours(name: str, params, x, state) -> tuple[np.ndarray, dict]:  # noqa: ANN001
    y, final, _ = gr.lower(gr.cell(name)).forward(x, params, state)
    return y, final


def maxdiff(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.max(np.abs(np.asarray(a) - np.asarray(b))))


# ---- torch float64 ---------------------------------------------------------------------------
def torch_forward(name: str, params, x, state) -> tuple[np.ndarray, dict]:  # noqa: ANN001
    """torch.nn.LSTM / GRU in float64 with our parameters loaded as they are."""
    I, H = x.shape[2], params["weight_hh"].shape[1]  # noqa: E741, N806
    module = {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU}[name](I, H).double()
    with torch.no_grad():
        for key, value in params.items():
            getattr(module, f"{key}_l0").copy_(torch.from_numpy(value))
        h0 = torch.from_numpy(state["h"])[None]
        if name == "lstm":
            y, (h, c) = module(torch.from_numpy(x), (h0, torch.from_numpy(state["c"])[None]))
            return y.numpy(), {"h": h[0].numpy(), "c": c[0].numpy()}
        y, h = module(torch.from_numpy(x), h0)
        return y.numpy(), {"h": h[0].numpy()}


# ---- ONNX ------------------------------------------------------------------------------------
def onnx_feeds(name: str, arrays: dict, x: np.ndarray, state: dict) -> dict:
    feeds = {"X": x, **arrays, "initial_h": state["h"][None]}
    if name == "lstm":
        feeds["initial_c"] = state["c"][None]
    return feeds


def onnx_reference(name: str, arrays: dict, x: np.ndarray, state: dict) -> tuple:
    """ONNX's reference implementation in float64: Y (T, B, H) and the final state."""
    H = arrays["R"].shape[2]  # noqa: N806
    op, outs = ("LSTM", ["Y", "Y_h", "Y_c"]) if name == "lstm" else ("GRU", ["Y", "Y_h"])
    feeds = onnx_feeds(name, arrays, x, state)
    model = onnx_model(op, feeds, outs, TensorProto.DOUBLE, **cv.onnx_attributes(name, H))
    got = ReferenceEvaluator(model).run(None, feeds)
    return got[0][:, 0], dict(zip(gr.cell(name).states, (v[0] for v in got[1:]), strict=True))


@pytest.mark.parametrize("name", CELLS)
@pytest.mark.parametrize("T,B,I,H", SIZES)
def test_to_onnx_runs_in_onnx_reference(name: str, T: int, B: int, I: int, H: int) -> None:  # noqa: E741, N803
    params, x, state = problem(name, T, B, I, H, seed=T + 10 * H)
    y_ref, final_ref = onnx_reference(name, cv.to_onnx(name, params), x, state)
    y, final = ours(name, params, x, state)
    assert maxdiff(y, y_ref) <= TOL
    for s in final:
        assert maxdiff(final[s], final_ref[s]) <= TOL
    if name != "gru_reset_before":  # torch has no reset-before GRU
        y_torch, _ = torch_forward(name, params, x, state)
        assert maxdiff(y_torch, y_ref) <= TOL


@pytest.mark.parametrize("name", CELLS)
def test_from_onnx_reads_onnx_weights(name: str) -> None:
    """Weights drawn in ONNX's own layout run the same in ONNX and, converted, in our kernel."""
    rng = np.random.default_rng(1)
    T, B, I, H = 6, 3, 4, 5  # noqa: E741, N806
    g = gr.cell(name).num_gates
    arrays = {
        "W": rng.standard_normal((1, g * H, I)),
        "R": rng.standard_normal((1, g * H, H)),
        "B": rng.standard_normal((1, 2 * g * H)),
    }
    x = rng.standard_normal((T, B, I))
    state = {s: rng.standard_normal((B, H)) for s in gr.cell(name).states}
    y_ref, _ = onnx_reference(name, arrays, x, state)
    y, _ = ours(name, cv.from_onnx(name, arrays), x, state)
    assert maxdiff(y, y_ref) <= TOL


@pytest.mark.parametrize("name", CELLS)
def test_to_onnx_runs_in_onnxruntime(name: str) -> None:
    """onnxruntime (float32 only) with the converted weights: float32 agreement."""
    _, params, x, state = problem32(name, 7, 4, 5, 6, seed=11)
    arrays = cv.to_onnx(name, params)
    H = params["weight_hh"].shape[1]  # noqa: N806
    outs = ["Y", "Y_h", "Y_c"] if name == "lstm" else ["Y", "Y_h"]
    feeds = onnx_feeds(name, arrays, x, state)
    got = run_onnx("LSTM" if name == "lstm" else "GRU", feeds, outs, **cv.onnx_attributes(name, H))
    y, final = ours(name, params, x, state)
    assert rel_err(y, got[0][:, 0]) <= F32_RTOL
    assert rel_err(final["h"], got[1][0]) <= F32_RTOL


def test_onnx_gru_forms_need_their_attribute() -> None:
    """With the other linear_before_reset, ONNX computes a different function: the attribute
    the registry gives is the one that matters."""
    params, x, state = problem("gru", 5, 2, 3, 4, seed=2)
    arrays = cv.to_onnx("gru", params)
    feeds = onnx_feeds("gru", arrays, x, state)
    model = onnx_model("GRU", feeds, ["Y"], TensorProto.DOUBLE, hidden_size=4)  # lbr = 0
    y_wrong = ReferenceEvaluator(model).run(None, feeds)[0][:, 0]
    assert maxdiff(ours("gru", params, x, state)[0], y_wrong) > 1e-3


# ---- Keras, from its documented equations ----------------------------------------------------
def sigmoid(a: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-a))


def keras_lstm(x, kernel, recurrent_kernel, bias, h, c):  # noqa: ANN001, ANN201
    """keras.layers.LSTMCell: z = x K + h R + b split into i, f, c, o (recurrent σ, tanh)."""
    ys = []
    for x_t in x:
        z = x_t @ kernel + h @ recurrent_kernel + bias
        z0, z1, z2, z3 = np.split(z, 4, axis=1)
        i, f, o = sigmoid(z0), sigmoid(z1), sigmoid(z3)
        c = f * c + i * np.tanh(z2)
        h = o * np.tanh(c)
        ys.append(h)
    return np.stack(ys), {"h": h, "c": c}


def keras_gru(x, kernel, recurrent_kernel, bias, h, reset_after: bool):  # noqa: ANN001, ANN201
    """keras.layers.GRUCell, blocks z, r, h; ``h = z * h_tm1 + (1 - z) * hh``."""
    units = h.shape[1]
    input_bias, recurrent_bias = (bias[0], bias[1]) if reset_after else (bias, None)
    ys = []
    for x_t in x:
        x_z, x_r, x_h = np.split(x_t @ kernel + input_bias, 3, axis=1)
        if reset_after:
            inner = h @ recurrent_kernel + recurrent_bias
        else:
            inner = h @ recurrent_kernel[:, : 2 * units]
        z = sigmoid(x_z + inner[:, :units])
        r = sigmoid(x_r + inner[:, units : 2 * units])
        if reset_after:
            rec_h = r * inner[:, 2 * units :]
        else:
            rec_h = (r * h) @ recurrent_kernel[:, 2 * units :]
        hh = np.tanh(x_h + rec_h)
        h = z * h + (1 - z) * hh
        ys.append(h)
    return np.stack(ys), {"h": h}


def keras_forward(name: str, arrays: dict, x: np.ndarray, state: dict) -> tuple:
    x_bt = x  # the equations above work step by step; Keras's batch-major axis is irrelevant
    if name == "lstm":
        return keras_lstm(x_bt, *arrays.values(), state["h"], state["c"])
    return keras_gru(x_bt, *arrays.values(), state["h"], reset_after=name == "gru")


@pytest.mark.parametrize("name", CELLS)
@pytest.mark.parametrize("T,B,I,H", SIZES)
def test_to_keras_matches_keras_equations(name: str, T: int, B: int, I: int, H: int) -> None:  # noqa: E741, N803
    params, x, state = problem(name, T, B, I, H, seed=3 * T + H)
    arrays = cv.to_keras(name, params)
    assert list(arrays) == ["kernel", "recurrent_kernel", "bias"]
    y_ref, final_ref = keras_forward(name, arrays, x, state)
    y, final = ours(name, params, x, state)
    assert maxdiff(y, y_ref) <= TOL
    for s in final:
        assert maxdiff(final[s], final_ref[s]) <= TOL
    if name != "gru_reset_before":
        assert maxdiff(torch_forward(name, params, x, state)[0], y_ref) <= TOL


@pytest.mark.parametrize("name", CELLS)
def test_from_keras_reads_keras_weights(name: str) -> None:
    rng = np.random.default_rng(4)
    T, B, I, H = 5, 2, 3, 4  # noqa: E741, N806
    g = gr.cell(name).num_gates
    bias_shape = (2, g * H) if name == "gru" else (g * H,)
    arrays = {
        "kernel": rng.standard_normal((I, g * H)),
        "recurrent_kernel": rng.standard_normal((H, g * H)),
        "bias": rng.standard_normal(bias_shape),
    }
    x = rng.standard_normal((T, B, I))
    state = {s: rng.standard_normal((B, H)) for s in gr.cell(name).states}
    y_ref, _ = keras_forward(name, arrays, x, state)
    y, _ = ours(name, cv.from_keras(name, arrays), x, state)
    assert maxdiff(y, y_ref) <= TOL


@pytest.mark.parametrize("name", ["lstm", "gru"])
def test_keras_oracle_catches_unconverted_order(name: str) -> None:
    """PyTorch's blocks fed to Keras's equations unreordered give another function."""
    params, x, state = problem(name, 4, 2, 3, 5, seed=5)
    arrays = cv.to_keras(name, params)
    H = 5  # noqa: N806
    wrong = {k: np.roll(v, H, axis=-1) for k, v in arrays.items()}
    assert maxdiff(keras_forward(name, wrong, x, state)[0], ours(name, params, x, state)[0]) > 1e-3


# ---- concatenated notation, in torch ---------------------------------------------------------
def colah_lstm(W: torch.Tensor, b: torch.Tensor, x, h, c):  # noqa: ANN001, ANN201, N803
    """colah: each gate is act(W_k · [h_{t-1}, x_t] + b_k); blocks in the order to_concatenated
    documents (i, f, g, o)."""
    W_i, W_f, W_C, W_o = W.chunk(4)  # noqa: N806
    b_i, b_f, b_C, b_o = b.chunk(4)  # noqa: N806
    ys = []
    for x_t in x:
        hx = torch.cat([h, x_t], dim=1)
        f = torch.sigmoid(hx @ W_f.T + b_f)
        i = torch.sigmoid(hx @ W_i.T + b_i)
        c_tilde = torch.tanh(hx @ W_C.T + b_C)
        c = f * c + i * c_tilde
        o = torch.sigmoid(hx @ W_o.T + b_o)
        h = o * torch.tanh(c)
        ys.append(h)
    return torch.stack(ys)


def karpathy_lstm(WLSTM: torch.Tensor, x, h, c):  # noqa: ANN001, ANN201, N803
    """Karpathy's lstm.py: Hin = [1, x_t, h_{t-1}]; IFOG = Hin @ WLSTM; sigmoid on IFO."""
    d = h.shape[1]
    ys = []
    for x_t in x:
        hin = torch.cat([torch.ones_like(x_t[:, :1]), x_t, h], dim=1)
        ifog = hin @ WLSTM
        ifo = torch.sigmoid(ifog[:, : 3 * d])
        g = torch.tanh(ifog[:, 3 * d :])
        c = ifo[:, :d] * g + ifo[:, d : 2 * d] * c
        h = ifo[:, 2 * d :] * torch.tanh(c)
        ys.append(h)
    return torch.stack(ys)


def one_minus_z_gru(params: dict, x, h, reset_after: bool) -> torch.Tensor:  # noqa: ANN001
    """A GRU written as Chung et al., colah and Wikipedia write it: (1 - z) keeps the old state,
    h_t = (1 - z_t) h_{t-1} + z_t h~_t; weights in blocks r, z, n as PyTorch stores them."""
    W_r, W_z, W_n = params["weight_ih"].chunk(3)  # noqa: N806
    U_r, U_z, U_n = params["weight_hh"].chunk(3)  # noqa: N806
    bx_r, bx_z, bx_n = params["bias_ih"].chunk(3)
    bh_r, bh_z, bh_n = params["bias_hh"].chunk(3)
    ys = []
    for x_t in x:
        z = torch.sigmoid(x_t @ W_z.T + bx_z + h @ U_z.T + bh_z)
        r = torch.sigmoid(x_t @ W_r.T + bx_r + h @ U_r.T + bh_r)
        if reset_after:
            cand = torch.tanh(x_t @ W_n.T + bx_n + r * (h @ U_n.T + bh_n))
        else:
            cand = torch.tanh(x_t @ W_n.T + bx_n + (r * h) @ U_n.T + bh_n)
        h = (1 - z) * h + z * cand
        ys.append(h)
    return torch.stack(ys)


def t(a: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(a))


@pytest.mark.parametrize("T,B,I,H", SIZES)
def test_concatenated_colah_matches_torch(T: int, B: int, I: int, H: int) -> None:  # noqa: E741, N803
    params, x, state = problem("lstm", T, B, I, H, seed=7 + T)
    cat = cv.to_concatenated("lstm", params, "colah")
    assert cat["W"].shape == (4 * H, H + I)
    y = colah_lstm(t(cat["W"]), t(cat["b"]), t(x), t(state["h"]), t(state["c"]))
    y_torch, _ = torch_forward("lstm", params, x, state)
    assert maxdiff(y.numpy(), y_torch) <= TOL


@pytest.mark.parametrize("T,B,I,H", SIZES)
def test_concatenated_karpathy_matches_torch(T: int, B: int, I: int, H: int) -> None:  # noqa: E741, N803
    params, x, state = problem("lstm", T, B, I, H, seed=8 + T)
    cat = cv.to_concatenated("lstm", params, "karpathy")
    assert cat["WLSTM"].shape == (1 + I + H, 4 * H)
    y = karpathy_lstm(t(cat["WLSTM"]), t(x), t(state["h"]), t(state["c"]))
    y_torch, _ = torch_forward("lstm", params, x, state)
    assert maxdiff(y.numpy(), y_torch) <= TOL


def test_concatenated_colah_gru_with_flip_matches_ours() -> None:
    """colah's GRU: concatenated, no separate U, and (1 - z) keeping the old state."""
    params, x, state = problem("gru_reset_before", 6, 3, 4, 5, seed=9)
    cat = cv.to_concatenated(
        "gru_reset_before", cv.flip_update_convention("gru_reset_before", params), "colah"
    )
    W_r, W_z, W_h = t(cat["W"]).chunk(3)  # noqa: N806
    b_r, b_z, b_h = t(cat["b"]).chunk(3)
    h = t(state["h"])
    ys = []
    for x_t in t(x):
        z = torch.sigmoid(torch.cat([h, x_t], 1) @ W_z.T + b_z)
        r = torch.sigmoid(torch.cat([h, x_t], 1) @ W_r.T + b_r)
        h_tilde = torch.tanh(torch.cat([r * h, x_t], 1) @ W_h.T + b_h)
        h = (1 - z) * h + z * h_tilde
        ys.append(h)
    y, _ = ours("gru_reset_before", params, x, state)
    assert maxdiff(torch.stack(ys).numpy(), y) <= TOL


# ---- the GRU update-convention flip ------------------------------------------------------
@pytest.mark.parametrize("name", ["gru", "gru_reset_before"])
@pytest.mark.parametrize("T,B,I,H", SIZES)
def test_flip_gives_the_one_minus_z_gru(name: str, T: int, B: int, I: int, H: int) -> None:  # noqa: E741, N803
    """Forward and gradients: the (1 - z) GRU in torch autograd at flipped weights is our GRU.

    Gradients: the flip is p' = D p with D = diag(±1), so dL/dp' = D dL/dp = flip(dL/dp).
    """
    params, x, state = problem(name, T, B, I, H, seed=13 + T * H)
    flipped = {k: t(v).requires_grad_() for k, v in cv.flip_update_convention(name, params).items()}
    y = one_minus_z_gru(flipped, t(x), t(state["h"]), reset_after=name == "gru")
    kernel = gr.lower(gr.cell(name))
    y_ours, _, cache = kernel.forward(x, params, state)
    assert maxdiff(y.detach().numpy(), y_ours) <= TOL
    dy = np.random.default_rng(T).standard_normal(y_ours.shape)
    (y * t(dy)).sum().backward()
    grads = cv.flip_update_convention(name, {k: kernel.backward(dy, cache)[k] for k in flipped})
    for k, v in flipped.items():
        assert maxdiff(v.grad.numpy(), grads[k]) <= TOL, k


@pytest.mark.parametrize("name", ["gru", "gru_reset_before"])
def test_without_flip_the_conventions_differ(name: str) -> None:
    params, x, state = problem(name, 5, 2, 3, 4, seed=21)
    p = {k: t(v) for k, v in params.items()}
    y = one_minus_z_gru(p, t(x), t(state["h"]), reset_after=name == "gru").numpy()
    assert maxdiff(y, ours(name, params, x, state)[0]) > 1e-3


def test_flip_negates_only_the_z_block() -> None:
    params, _, _ = problem("gru", 1, 1, 3, 4, seed=0)
    flipped = cv.flip_update_convention("gru", params)
    z = slice(4, 8)  # PyTorch's r, z, n: z is the second block
    for k, v in params.items():
        assert np.array_equal(flipped[k][z], -v[z])
        assert np.array_equal(np.delete(flipped[k], z, axis=0), np.delete(v, z, axis=0))
    assert params["weight_ih"] is not flipped["weight_ih"]


# ---- round trips -----------------------------------------------------------------------------
def same(a: dict, b: dict) -> bool:
    return sorted(a) == sorted(b) and all(np.array_equal(a[k], b[k]) for k in a)


@pytest.mark.parametrize("name", CELLS)
def test_round_trips_are_exact(name: str) -> None:
    params, x, state = problem(name, 4, 2, 3, 5, seed=31)
    assert same(cv.from_onnx(name, cv.to_onnx(name, params)), params)
    onnx = cv.to_onnx(name, params)
    assert same(cv.to_onnx(name, cv.from_onnx(name, onnx)), onnx)
    keras = cv.to_keras(name, params)
    assert same(cv.to_keras(name, cv.from_keras(name, keras)), keras)
    back = cv.from_keras(name, keras)
    if name == "gru":  # reset_after=True keeps both biases: exact both ways
        assert same(back, params)
    else:  # one Keras bias: the weights come back exactly, the two biases as their sum
        for k in ("weight_ih", "weight_hh"):
            assert np.array_equal(back[k], params[k])
        assert np.array_equal(back["bias_ih"], params["bias_ih"] + params["bias_hh"])
        assert not back["bias_hh"].any()
        assert maxdiff(ours(name, back, x, state)[0], ours(name, params, x, state)[0]) <= TOL
    if name.startswith("gru"):
        assert same(
            cv.flip_update_convention(name, cv.flip_update_convention(name, params)), params
        )


@pytest.mark.parametrize(
    "name,style",
    [("lstm", "colah"), ("lstm", "karpathy"), ("gru_reset_before", "colah")],
)
def test_concatenated_round_trips(name: str, style: str) -> None:
    params, x, state = problem(name, 4, 2, 3, 5, seed=32)
    cat = cv.to_concatenated(name, params, style)
    assert same(cv.to_concatenated(name, cv.from_concatenated(name, cat, style), style), cat)
    back = cv.from_concatenated(name, cat, style)
    for k in ("weight_ih", "weight_hh"):
        assert np.array_equal(back[k], params[k])
    assert maxdiff(ours(name, back, x, state)[0], ours(name, params, x, state)[0]) <= TOL


# ---- the registry says what torch and onnx say -----------------------------------------------
@pytest.mark.parametrize("name", ["lstm", "gru"])
def test_pytorch_layout_names_and_shapes(name: str) -> None:
    I, H = 3, 5  # noqa: E741, N806
    module = {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU}[name](I, H)
    entry = cv.layout("pytorch", name)
    g = len(entry.gates)
    sizes = {
        "(4H, I)": (4 * H, I),
        "(4H, H)": (4 * H, H),
        "(4H,)": (4 * H,),
        "(3H, I)": (3 * H, I),
        "(3H, H)": (3 * H, H),
        "(3H,)": (3 * H,),
    }
    for key, shape in entry.arrays:
        assert tuple(getattr(module, key).shape) == sizes[shape]
    assert entry.ours == gr.cell(name).gates and g == gr.cell(name).num_gates


def test_registry_is_consistent() -> None:
    for entry in cv.LAYOUTS:
        assert entry.framework in cv.FRAMEWORKS
        assert sorted(entry.ours) == sorted(gr.cell(entry.cell).gates), entry
        for fn in entry.convert:
            assert callable(getattr(cv, fn))
    for conv in cv.UPDATE_CONVENTIONS:
        assert conv.keeps in ("z", "1 - z") and conv.cell in ("gru", "gru_reset_before")
    assert cv.onnx_attributes("gru", 4) == {"hidden_size": 4, "linear_before_reset": 1}
    assert cv.onnx_attributes("gru_reset_before", 4) == {"hidden_size": 4, "linear_before_reset": 0}
    assert cv.onnx_attributes("lstm", 4) == {"hidden_size": 4}


# ---- errors ----------------------------------------------------------------------------------
def test_errors_name_the_argument_value_and_expectation() -> None:
    params, _, _ = problem("lstm", 1, 1, 3, 4, seed=0)
    with pytest.raises(ValueError, match=r"framework: got 'tf'.*expected one of"):
        cv.layout("tf", "lstm")
    with pytest.raises(ValueError, match=r"cell_name: got 'lstm_cifg'.*expected one of"):
        cv.to_onnx("lstm_cifg", params)
    with pytest.raises(ValueError, match=r"cell_name: got 'gru_reset_before'.*pytorch"):
        cv.layout("pytorch", "gru_reset_before")
    with pytest.raises(
        ValueError, match=r"params\['weight_ih'\]: got shape \(16, 3\), expected \(12, 3\)"
    ):
        cv.to_keras("gru", params)
    with pytest.raises(
        ValueError, match=r"params: got keys \['bias_hh', 'bias_ih', 'weight_ih'\].*expected"
    ):
        cv.to_onnx("lstm", {k: v for k, v in params.items() if k != "weight_hh"})
    with pytest.raises(ValueError, match=r"params: got list"):
        cv.to_onnx("lstm", [])
    onnx = cv.to_onnx("lstm", params)
    with pytest.raises(ValueError, match=r"arrays\['B'\]: got shape \(1, 31\), expected \(1, 32\)"):
        cv.from_onnx("lstm", dict(onnx, B=onnx["B"][:, :-1]))
    with pytest.raises(ValueError, match=r"arrays\['R'\]: got shape \(1, 15, 4\)"):
        cv.from_onnx("lstm", dict(onnx, R=onnx["R"][:, :-1]))
    with pytest.raises(ValueError, match=r"arrays: got \['B', 'W'\]"):
        cv.from_onnx("lstm", {"W": onnx["W"], "B": onnx["B"]})
    keras = cv.to_keras(
        "gru", cv.from_onnx("gru", cv.to_onnx("gru", problem("gru", 1, 1, 3, 4, 0)[0]))
    )
    with pytest.raises(
        ValueError, match=r"arrays\['bias'\]: got shape \(12,\), expected \(2, 12\)"
    ):
        cv.from_keras("gru", dict(keras, bias=keras["bias"][0]))
    with pytest.raises(ValueError, match=r"arrays\['kernel'\]: got shape \(3, 11\)"):
        cv.from_keras("gru", dict(keras, kernel=keras["kernel"][:, :-1]))
    with pytest.raises(ValueError, match=r"style: got 'cs231n'"):
        cv.to_concatenated("lstm", params, "cs231n")
    with pytest.raises(ValueError, match=r"cell_name: got 'gru'.*reset-after"):
        cv.to_concatenated("gru", problem("gru", 1, 1, 3, 4, 0)[0])
    with pytest.raises(ValueError, match=r"cell_name: got 'gru_reset_before'.*'karpathy'"):
        cv.to_concatenated(
            "gru_reset_before", problem("gru_reset_before", 1, 1, 3, 4, 0)[0], "karpathy"
        )
    with pytest.raises(ValueError, match=r"arrays\['WLSTM'\]: got shape \(8, 15\)"):
        cv.from_concatenated("lstm", {"WLSTM": np.zeros((8, 15))}, "karpathy")
    with pytest.raises(ValueError, match=r"arrays\['W'\]: got shape \(16, 4\)"):
        cv.from_concatenated("lstm", {"W": np.zeros((16, 4)), "b": np.zeros(16)})
    with pytest.raises(ValueError, match=r"cell_name: got 'lstm'.*only the GRU"):
        cv.flip_update_convention("lstm", params)
    with pytest.raises(ValueError, match=r"hidden_size: got 0"):
        cv.onnx_attributes("gru", 0)
