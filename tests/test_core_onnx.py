"""The cells torch lacks, against onnxruntime's LSTM (peepholes, coupled gates) and GRU.

onnxruntime is an implementation we did not write, so it is an independent oracle for
``lstm_peephole``, ``lstm_cifg`` (ONNX's ``input_forget=1``) and ``gru_reset_before``; ``gru``
(reset-after) is checked too, as a sanity check of the gate reordering shared by both GRU forms.

Coupled gates. onnxruntime's ``input_forget=1`` computes the input gate from its ``i`` block and
sets ``f = 1 - i`` (its ``f`` block is ignored); ``lstm_cifg`` computes ``f`` and sets
``i = 1 - f``. Since ``1 - sigmoid(a) = sigmoid(-a)``, onnxruntime's ``i`` block gets our ``f``
rows negated: its ``i`` is then our ``1 - f`` and its ``f`` our ``f``. Its ``f`` block gets
random rows, which must not matter.

Precision: onnxruntime's CPU LSTM and GRU kernels support float32 only ("LSTM operator does
not support double yet"). So the inputs are drawn in float64, rounded to float32 once, and
fed to onnxruntime in float32 and to our kernel in float64 (the same rounded values, upcast).
The only difference left is onnxruntime's float32 arithmetic, so the tolerance is that of
float32: a norm-wise relative error of 1e-5.

Gate layouts. Ours (PyTorch's): LSTM i, f, g, o; peepholes i, f, o; GRU r, z, n.
ONNX: LSTM W/R/B blocks i, o, f, c; P rows i, o, f; GRU blocks z, r, h. B is [Wb, Rb].
"""

from __future__ import annotations

import numpy as np
import onnxruntime as ort
import pytest
import sympy as sp
from core_helpers import rel_err
from onnx import TensorProto, helper

import gated_ref as gr

F32_RTOL = 1e-5  # float32 arithmetic in onnxruntime (see the module docstring)
OPSET = 22

# Our block index for each ONNX block, in ONNX's order.
LSTM_BLOCKS = {"i": 0, "f": 1, "g": 2, "o": 3}
ONNX_LSTM_ORDER = ("i", "o", "f", "g")  # ONNX calls the cell candidate "c"
PEEPHOLE_ROWS = {"i": 0, "f": 1, "o": 2}
ONNX_PEEPHOLE_ORDER = ("i", "o", "f")
GRU_BLOCKS = {"r": 0, "z": 1, "n": 2}
ONNX_GRU_ORDER = ("z", "r", "n")  # ONNX calls the candidate "h"

SIZES = [  # T, B, I, H
    (1, 1, 1, 1),
    (1, 3, 2, 4),
    (5, 1, 3, 1),
    (7, 4, 5, 6),
    (12, 2, 8, 16),
]


def reorder_blocks(a: np.ndarray, hidden: int, ours: dict[str, int], order) -> np.ndarray:  # noqa: ANN001
    """Restack the gate blocks (of ``hidden`` rows each) of ``a`` from our order into ``order``."""
    return np.concatenate([a[ours[g] * hidden : (ours[g] + 1) * hidden] for g in order], axis=0)


def problem32(name: str, T: int, B: int, I: int, H: int, seed: int):  # noqa: E741, N803, ANN201
    """Parameters, input and a non-zero initial state, all exactly representable in float32."""
    rng = np.random.default_rng(seed)
    kernel = gr.lower(gr.cell(name))
    params = kernel.init_params(I, H, rng=rng, dtype=np.float64)
    x = rng.standard_normal((T, B, I))
    state = {s: 0.5 * rng.standard_normal((B, H)) for s in gr.cell(name).states}
    if "weight_peephole" in params:  # init_params' 1/sqrt(H) range is small: make them count
        params["weight_peephole"] = rng.uniform(-1.0, 1.0, params["weight_peephole"].shape)

    def r32(a: np.ndarray) -> np.ndarray:
        return a.astype(np.float32).astype(np.float64)

    params = {k: r32(v) for k, v in params.items()}
    return kernel, params, r32(x), {s: r32(v) for s, v in state.items()}


def onnx_model(
    op: str,
    feeds: dict[str, np.ndarray],
    outputs: list[str],
    elem_type: int = TensorProto.FLOAT,
    **attrs,  # noqa: ANN003
):  # noqa: ANN201
    """A one-node ONNX model (``onnx.helper``) of ``op`` with inputs named as ``feeds``."""
    order = ["X", "W", "R", "B", "sequence_lens", "initial_h", "initial_c", "P"]
    names = [n if n in feeds else "" for n in order]
    while names and names[-1] == "":
        names.pop()
    node = helper.make_node(op, names, outputs, **attrs)
    graph = helper.make_graph(
        [node],
        f"{op.lower()}_check",
        [helper.make_tensor_value_info(n, elem_type, feeds[n].shape) for n in feeds],
        [helper.make_tensor_value_info(n, elem_type, None) for n in outputs],
    )
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)])


def run_onnx(op: str, feeds: dict[str, np.ndarray], outputs: list[str], **attrs) -> list:  # noqa: ANN003
    """Build a one-node ONNX model with ``onnx.helper`` and run it on onnxruntime's CPU."""
    model = onnx_model(op, feeds, outputs, **attrs)
    options = ort.SessionOptions()
    options.log_severity_level = 3
    session = ort.InferenceSession(
        model.SerializeToString(), options, providers=["CPUExecutionProvider"]
    )
    f32 = {k: np.ascontiguousarray(v, dtype=np.float32) for k, v in feeds.items()}
    return session.run(outputs, f32)


def onnx_lstm(params, x, state, lstm_order=ONNX_LSTM_ORDER, p_order=ONNX_PEEPHOLE_ORDER):  # noqa: ANN001, ANN201
    """ONNX LSTM on our parameters (with peepholes if they have some): Y (T, B, H), Y_h, Y_c."""
    H = params["weight_hh"].shape[1]  # noqa: N806
    re = lambda a: reorder_blocks(a, H, LSTM_BLOCKS, lstm_order)  # noqa: E731
    feeds = {
        "X": x,
        "W": re(params["weight_ih"])[None],
        "R": re(params["weight_hh"])[None],
        "B": np.concatenate([re(params["bias_ih"]), re(params["bias_hh"])])[None],
        "initial_h": state["h"][None],
        "initial_c": state["c"][None],
    }
    if "weight_peephole" in params:
        p = params["weight_peephole"]
        feeds["P"] = np.concatenate([p[PEEPHOLE_ROWS[g]] for g in p_order])[None]
    y, y_h, y_c = run_onnx("LSTM", feeds, ["Y", "Y_h", "Y_c"], hidden_size=H)
    return y[:, 0], y_h[0], y_c[0]


def onnx_gru(params, x, state, linear_before_reset: int, gru_order=ONNX_GRU_ORDER):  # noqa: ANN001, ANN201
    """ONNX GRU on our parameters: Y (T, B, H), Y_h (B, H)."""
    H = params["weight_hh"].shape[1]  # noqa: N806
    re = lambda a: reorder_blocks(a, H, GRU_BLOCKS, gru_order)  # noqa: E731
    feeds = {
        "X": x,
        "W": re(params["weight_ih"])[None],
        "R": re(params["weight_hh"])[None],
        "B": np.concatenate([re(params["bias_ih"]), re(params["bias_hh"])])[None],
        "initial_h": state["h"][None],
    }
    y, y_h = run_onnx(
        "GRU", feeds, ["Y", "Y_h"], hidden_size=H, linear_before_reset=linear_before_reset
    )
    return y[:, 0], y_h[0]


def onnx_cifg(params, x, state, junk_seed: int = 0, couple: bool = True):  # noqa: ANN001, ANN201
    """ONNX LSTM with ``input_forget=1`` on lstm_cifg's parameters (blocks f, g, o): Y, Y_h, Y_c."""
    H = params["weight_hh"].shape[1]  # noqa: N806
    rng = np.random.default_rng(junk_seed)
    f, g, o = 0, 1, 2

    def stack(a: np.ndarray) -> np.ndarray:  # ours f, g, o -> ONNX i, o, f, c
        block = lambda k: a[k * H : (k + 1) * H]  # noqa: E731
        ignored = rng.standard_normal(block(f).shape)
        return np.concatenate([-block(f), block(o), ignored, block(g)])

    feeds = {
        "X": x,
        "W": stack(params["weight_ih"])[None],
        "R": stack(params["weight_hh"])[None],
        "B": np.concatenate([stack(params["bias_ih"]), stack(params["bias_hh"])])[None],
        "initial_h": state["h"][None],
        "initial_c": state["c"][None],
    }
    y, y_h, y_c = run_onnx(
        "LSTM", feeds, ["Y", "Y_h", "Y_c"], hidden_size=H, input_forget=int(couple)
    )
    return y[:, 0], y_h[0], y_c[0]


def cifg_errors(params, x, state, **kwargs) -> list[float]:  # noqa: ANN001, ANN003
    kernel = gr.lower(gr.cell("lstm_cifg"))
    y, final, _ = kernel.forward(x, params, state)
    y_ref, h_ref, c_ref = onnx_cifg(params, x, state, **kwargs)
    return [rel_err(y, y_ref), rel_err(final["h"], h_ref), rel_err(final["c"], c_ref)]


def lstm_errors(params, x, state, name="lstm_peephole", **orders) -> list[float]:  # noqa: ANN001, ANN003
    kernel = gr.lower(gr.cell(name))
    y, final, _ = kernel.forward(x, params, state)
    y_ref, h_ref, c_ref = onnx_lstm(params, x, state, **orders)
    return [rel_err(y, y_ref), rel_err(final["h"], h_ref), rel_err(final["c"], c_ref)]


def gru_errors(name: str, params, x, state, linear_before_reset: int, **orders) -> list[float]:  # noqa: ANN001, ANN003
    kernel = gr.lower(gr.cell(name))
    y, final, _ = kernel.forward(x, params, state)
    y_ref, h_ref = onnx_gru(params, x, state, linear_before_reset, **orders)
    return [rel_err(y, y_ref), rel_err(final["h"], h_ref)]


@pytest.mark.parametrize("name", ["lstm_peephole", "lstm"])
@pytest.mark.parametrize("T,B,I,H", SIZES)
def test_lstm_matches_onnx(name: str, T: int, B: int, I: int, H: int) -> None:  # noqa: E741, N803
    """``lstm`` too: a second oracle, beside torch, for its gate order."""
    _, params, x, state = problem32(name, T, B, I, H, seed=T * 100 + H)
    errors = lstm_errors(params, x, state, name)
    assert max(errors) <= F32_RTOL, dict(zip(["Y", "Y_h", "Y_c"], errors, strict=True))


@pytest.mark.parametrize("T,B,I,H", SIZES)
def test_lstm_cifg_matches_onnx_input_forget(T: int, B: int, I: int, H: int) -> None:  # noqa: E741, N803
    _, params, x, state = problem32("lstm_cifg", T, B, I, H, seed=T * 100 + H + 3)
    for junk_seed in (0, 1):  # onnxruntime's f block is ignored: any values give the same result
        errors = cifg_errors(params, x, state, junk_seed=junk_seed)
        assert max(errors) <= F32_RTOL, dict(zip(["Y", "Y_h", "Y_c"], errors, strict=True))


@pytest.mark.parametrize(
    "name,linear_before_reset", [("gru_reset_before", 0), ("gru", 1)], ids=["lbr0", "lbr1"]
)
@pytest.mark.parametrize("T,B,I,H", SIZES)
def test_gru_matches_onnx(
    name: str,
    linear_before_reset: int,
    T: int,  # noqa: N803
    B: int,  # noqa: N803
    I: int,  # noqa: E741, N803
    H: int,  # noqa: N803
) -> None:
    _, params, x, state = problem32(name, T, B, I, H, seed=T * 100 + H + 7)
    errors = gru_errors(name, params, x, state, linear_before_reset)
    assert max(errors) <= F32_RTOL, dict(zip(["Y", "Y_h"], errors, strict=True))


# ---- the oracle can fail: each mistake the comparison guards against is caught ----------------
FAIL_SIZE = (4, 3, 3, 5)  # T, B, I, H
CAUGHT = 1e-3  # a wrong layout gives errors of order 1e-1; float32 noise is under 1e-5


@pytest.mark.parametrize(
    "orders",
    [
        {"lstm_order": ("i", "f", "g", "o")},  # our order passed as is
        {"lstm_order": ("o", "i", "f", "g")},  # i and o blocks swapped
        {"p_order": ("i", "f", "o")},  # peephole rows not reordered
        {"p_order": ("f", "o", "i")},
    ],
    ids=["blocks-unordered", "blocks-i-o-swapped", "peep-unordered", "peep-rotated"],
)
def test_lstm_onnx_oracle_catches_wrong_layout(orders: dict) -> None:
    _, params, x, state = problem32("lstm_peephole", *FAIL_SIZE, seed=3)
    assert max(lstm_errors(params, x, state)) <= F32_RTOL
    assert max(lstm_errors(params, x, state, **orders)) >= CAUGHT


@pytest.mark.parametrize("name,lbr", [("gru_reset_before", 0), ("gru", 1)], ids=["lbr0", "lbr1"])
@pytest.mark.parametrize("gru_order", [("r", "z", "n"), ("z", "n", "r")], ids=["ours", "rotated"])
def test_gru_onnx_oracle_catches_wrong_layout(name: str, lbr: int, gru_order: tuple) -> None:
    _, params, x, state = problem32(name, *FAIL_SIZE, seed=4)
    assert max(gru_errors(name, params, x, state, lbr)) <= F32_RTOL
    assert max(gru_errors(name, params, x, state, lbr, gru_order=gru_order)) >= CAUGHT


@pytest.mark.parametrize("name,lbr", [("gru_reset_before", 1), ("gru", 0)])
def test_gru_forms_are_told_apart(name: str, lbr: int) -> None:
    """Reset-before and reset-after differ: each GRU matches only its own ONNX form."""
    _, params, x, state = problem32(name, *FAIL_SIZE, seed=5)
    assert max(gru_errors(name, params, x, state, lbr)) >= CAUGHT


def test_peepholes_matter() -> None:
    """With the peepholes zeroed in ONNX only, the comparison fails: P is really used."""
    _, params, x, state = problem32("lstm_peephole", *FAIL_SIZE, seed=6)
    kernel = gr.lower(gr.cell("lstm_peephole"))
    y, _, _ = kernel.forward(x, params, state)
    no_peep = dict(params, weight_peephole=np.zeros_like(params["weight_peephole"]))
    y_ref, _, _ = onnx_lstm(no_peep, x, state)
    assert rel_err(y, y_ref) >= CAUGHT


def test_cifg_onnx_oracle_needs_the_coupling() -> None:
    """Without ``input_forget`` onnxruntime reads its (random) f block: the comparison fails."""
    _, params, x, state = problem32("lstm_cifg", *FAIL_SIZE, seed=7)
    assert max(cifg_errors(params, x, state)) <= F32_RTOL
    assert max(cifg_errors(params, x, state, couple=False)) >= CAUGHT


def test_cifg_onnx_oracle_catches_an_uncoupled_input_gate() -> None:
    """A kernel with i = f (the planted bug) against onnxruntime's coupled gates: caught."""
    _, params, x, state = problem32("lstm_cifg", *FAIL_SIZE, seed=8)
    b = gr.CellBuilder(
        "lstm_cifg_i_is_f", title="t", reference="r", states=("h", "c"), gates=("f", "g", "o")
    )
    f = b.node("f", gr.sigmoid(b.ax("f") + b.ah("f")))
    i = b.node("i", 1 * f)
    g = b.node("g", sp.tanh(b.ax("g") + b.ah("g")))
    o = b.node("o", gr.sigmoid(b.ax("o") + b.ah("o")))
    c = b.node("c", f * b.state("c") + i * g)
    b.node("h", o * sp.tanh(c))
    planted = gr.lower(b.build())
    y, _, _ = planted.forward(x, params, state)
    y_ref, _, _ = onnx_cifg(params, x, state)
    assert rel_err(y, y_ref) >= CAUGHT
