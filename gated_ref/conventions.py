"""Other frameworks' and texts' conventions for the same cells, and converters to and from them.

Three things differ between sources that mean the same cell:

- **gate order and layout**: which gate block comes first in a stacked weight matrix, whether
  the matrix multiplies ``x`` from the left (``W x``: PyTorch, ONNX, cuDNN) or from the right
  (``x K``: Keras), and how many bias vectors there are (`LAYOUTS`);
- **concatenated notation**: one matrix on ``[h_{t-1}, x_t]`` (colah) or ``[1, x_t, h_{t-1}]``
  (Karpathy) instead of ``W x_t + U h_{t-1} + b`` (`CONCATENATED`);
- **the GRU update convention**: whether ``z`` or ``1 - z`` multiplies the old state
  (`UPDATE_CONVENTIONS`).

``params`` is always gated_ref's (= PyTorch's) dict: ``weight_ih`` (G·H, I), ``weight_hh``
(G·H, H), ``bias_ih`` and ``bias_hh`` (G·H), gate blocks in the cell's order (``lstm``:
i, f, g, o; ``gru``, ``gru_reset_before``: r, z, n). Each ``to_*`` has a ``from_*`` that
inverts it: arrays are only moved, transposed, negated or (where the other side keeps one bias)
added, so a round trip starting from the other side returns the same bytes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .cells import cell

Params = dict[str, np.ndarray]
Arrays = dict[str, np.ndarray]

#: Frameworks in the registry, in the order the tables list them.
FRAMEWORKS = ("pytorch", "onnx", "keras", "cudnn")
#: Concatenated-notation styles (see `CONCATENATED`).
STYLES = ("colah", "karpathy")
_PARAM_KEYS = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")


@dataclass(frozen=True)
class Layout:
    """How one framework stores one gated_ref cell's parameters.

    Attributes:
        framework: one of `FRAMEWORKS`.
        cell: the gated_ref cell whose function the framework computes with these arrays.
        gates: the framework's own names of the gate blocks, in its stacking order.
        ours: the same blocks by gated_ref's (PyTorch's) names, in the framework's order.
        arrays: each stored array and its shape, as the framework documents it.
        attributes: settings that select this cell's form (e.g. ONNX ``linear_before_reset``).
        convert: the gated_ref functions that convert to and from it (empty: none needed).
        documented_in: where the layout is documented.
    """

    framework: str
    cell: str
    gates: tuple[str, ...]
    ours: tuple[str, ...]
    arrays: tuple[tuple[str, str], ...]
    attributes: tuple[tuple[str, object], ...] = ()
    convert: tuple[str, ...] = ()
    documented_in: str = ""


_TORCH_DOC = "PyTorch docs, torch.nn.LSTM / torch.nn.GRU"
_ONNX_DOC = "ONNX operator docs, LSTM-22 / GRU-22"
_KERAS_DOC = "Keras docs and source, keras.layers.LSTM / GRU (LSTMCell, GRUCell)"
_CUDNN_DOC = "cuDNN API docs, cudnnRNNMode_t and cudnnGetRNNWeightParams (linLayerID)"

#: Every (framework, cell) layout gated_ref knows. PyTorch has no reset-before GRU.
LAYOUTS: tuple[Layout, ...] = (
    Layout(
        "pytorch",
        "lstm",
        ("i", "f", "g", "o"),
        ("i", "f", "g", "o"),
        (
            ("weight_ih_l0", "(4H, I)"),
            ("weight_hh_l0", "(4H, H)"),
            ("bias_ih_l0", "(4H,)"),
            ("bias_hh_l0", "(4H,)"),
        ),
        documented_in=_TORCH_DOC,
    ),
    Layout(
        "pytorch",
        "gru",
        ("r", "z", "n"),
        ("r", "z", "n"),
        (
            ("weight_ih_l0", "(3H, I)"),
            ("weight_hh_l0", "(3H, H)"),
            ("bias_ih_l0", "(3H,)"),
            ("bias_hh_l0", "(3H,)"),
        ),
        documented_in=_TORCH_DOC,
    ),
    Layout(
        "onnx",
        "lstm",
        ("i", "o", "f", "c"),
        ("i", "o", "f", "g"),
        (("W", "(1, 4H, I)"), ("R", "(1, 4H, H)"), ("B", "(1, 8H) = [Wb, Rb]")),
        (("hidden_size", "H"),),
        ("to_onnx", "from_onnx"),
        _ONNX_DOC,
    ),
    Layout(
        "onnx",
        "gru",
        ("z", "r", "h"),
        ("z", "r", "n"),
        (("W", "(1, 3H, I)"), ("R", "(1, 3H, H)"), ("B", "(1, 6H) = [Wb, Rb]")),
        (("hidden_size", "H"), ("linear_before_reset", 1)),
        ("to_onnx", "from_onnx"),
        _ONNX_DOC,
    ),
    Layout(
        "onnx",
        "gru_reset_before",
        ("z", "r", "h"),
        ("z", "r", "n"),
        (("W", "(1, 3H, I)"), ("R", "(1, 3H, H)"), ("B", "(1, 6H) = [Wb, Rb]")),
        (("hidden_size", "H"), ("linear_before_reset", 0)),
        ("to_onnx", "from_onnx"),
        _ONNX_DOC,
    ),
    Layout(
        "keras",
        "lstm",
        ("i", "f", "c", "o"),
        ("i", "f", "g", "o"),
        (("kernel", "(I, 4H)"), ("recurrent_kernel", "(H, 4H)"), ("bias", "(4H,)")),
        (("recurrent_activation", "sigmoid"),),
        ("to_keras", "from_keras"),
        _KERAS_DOC,
    ),
    Layout(
        "keras",
        "gru",
        ("z", "r", "h"),
        ("z", "r", "n"),
        (("kernel", "(I, 3H)"), ("recurrent_kernel", "(H, 3H)"), ("bias", "(2, 3H)")),
        (("reset_after", True), ("recurrent_activation", "sigmoid")),
        ("to_keras", "from_keras"),
        _KERAS_DOC,
    ),
    Layout(
        "keras",
        "gru_reset_before",
        ("z", "r", "h"),
        ("z", "r", "n"),
        (("kernel", "(I, 3H)"), ("recurrent_kernel", "(H, 3H)"), ("bias", "(3H,)")),
        (("reset_after", False), ("recurrent_activation", "sigmoid")),
        ("to_keras", "from_keras"),
        _KERAS_DOC,
    ),
    Layout(
        "cudnn",
        "lstm",
        ("i", "f", "c'", "o"),
        ("i", "f", "g", "o"),
        (
            ("W (linLayerID 0-3)", "(H, I) each"),
            ("R (linLayerID 4-7)", "(H, H) each"),
            ("b_W, b_R", "(H,) per gate"),
        ),
        (("mode", "CUDNN_LSTM"),),
        documented_in=_CUDNN_DOC,
    ),
    Layout(
        "cudnn",
        "gru",
        ("r", "i", "h'"),
        ("r", "z", "n"),
        (
            ("W (linLayerID 0-2)", "(H, I) each"),
            ("R (linLayerID 3-5)", "(H, H) each"),
            ("b_W, b_R", "(H,) per gate"),
        ),
        (("mode", "CUDNN_GRU"),),
        documented_in=_CUDNN_DOC,
    ),
)


@dataclass(frozen=True)
class UpdateConvention:
    """Which state the GRU's update gate ``z`` keeps, in one source, as that source writes it.

    Attributes:
        source: who writes it (a paper, a book, a framework).
        reference: where (section or equation), for the reader to look it up.
        equation: the source's state update, in LaTeX, in the source's own symbols.
        keeps: ``"z"`` if ``z`` multiplies the old state, ``"1 - z"`` if ``1 - z`` does.
        cell: the gated_ref cell with the same candidate (``gru``: reset-after,
            ``gru_reset_before``: reset-before).
    """

    source: str
    reference: str
    equation: str
    keeps: str
    cell: str


#: The GRU state update across sources. gated_ref's cells follow the ``"z"`` row.
UPDATE_CONVENTIONS: tuple[UpdateConvention, ...] = (
    UpdateConvention(
        "PyTorch",
        "torch.nn.GRU docs",
        r"h_t = (1 - z_t) \odot n_t + z_t \odot h_{t-1}",
        "z",
        "gru",
    ),
    UpdateConvention(
        "Cho et al. (2014)",
        "eq. (7)",
        r"h_j^{\langle t \rangle} = z_j h_j^{\langle t-1 \rangle}"
        r" + (1 - z_j) \tilde{h}_j^{\langle t \rangle}",
        "z",
        "gru_reset_before",
    ),
    UpdateConvention(
        "d2l.ai",
        "Gated Recurrent Units",
        r"H_t = Z_t \odot H_{t-1} + (1 - Z_t) \odot \tilde{H}_t",
        "z",
        "gru_reset_before",
    ),
    UpdateConvention(
        "Chung et al. (2014)",
        "eq. (5)",
        r"h_t^j = (1 - z_t^j) h_{t-1}^j + z_t^j \tilde{h}_t^j",
        "1 - z",
        "gru_reset_before",
    ),
    UpdateConvention(
        "colah (2015)",
        "Understanding LSTM Networks",
        r"h_t = (1 - z_t) * h_{t-1} + z_t * \tilde{h}_t",
        "1 - z",
        "gru_reset_before",
    ),
    UpdateConvention(
        "Wikipedia",
        "Gated recurrent unit, fully gated unit",
        r"h_t = (1 - z_t) \odot h_{t-1} + z_t \odot \hat{h}_t",
        "1 - z",
        "gru_reset_before",
    ),
    UpdateConvention(
        "ONNX",
        "GRU operator (default linear_before_reset)",
        r"H_t = (1 - z_t) \odot h_t + z_t \odot H_{t-1}",
        "z",
        "gru_reset_before",
    ),
    UpdateConvention(
        "Keras / TensorFlow",
        "GRUCell (default reset_after)",
        r"h = z \cdot h_{\mathrm{tm1}} + (1 - z) \cdot \mathit{hh}",
        "z",
        "gru",
    ),
    UpdateConvention(
        "cuDNN",
        "CUDNN_GRU; its update gate is i",
        r"h_t = (1 - i_t) \circ h'_t + i_t \circ h_{t-1}",
        "z",
        "gru",
    ),
)


@dataclass(frozen=True)
class Concatenated:
    """One concatenated notation: a single matrix per gate on a stacked vector.

    Attributes:
        style: one of `STYLES`, the ``style`` argument of `to_concatenated`.
        source: who writes it.
        writes: for each gated_ref cell it can express, one gate as written in this notation
            (LaTeX); the keys are the cells `to_concatenated` accepts for this style.
        vector: the stacked vector, top to bottom.
        arrays: the arrays `to_concatenated` returns and their shapes.
    """

    style: str
    source: str
    writes: tuple[tuple[str, str], ...]
    vector: str
    arrays: tuple[tuple[str, str], ...]

    @property
    def cells(self) -> tuple[str, ...]:
        """The gated_ref cells this notation can express."""
        return tuple(name for name, _ in self.writes)


#: The concatenated notations `to_concatenated` writes.
CONCATENATED: tuple[Concatenated, ...] = (
    Concatenated(
        "colah",
        "colah (2015), Understanding LSTM Networks",
        (
            ("lstm", r"f_t = \sigma(W_f \cdot [h_{t-1}, x_t] + b_f)"),
            ("gru_reset_before", r"\tilde{h}_t = \tanh(W \cdot [r_t * h_{t-1}, x_t])"),
        ),
        "[h_{t-1}; x_t]",
        (("W", "(G·H, H + I) = [U, W]"), ("b", "(G·H,) = b^x + b^h")),
    ),
    Concatenated(
        "karpathy",
        "Karpathy, lstm.py (gist 587454dc0146a6ae21fc)",
        (("lstm", r"\mathrm{IFOG} = [1, x_t, h_{t-1}] \cdot \mathrm{WLSTM}"),),
        "[1; x_t; h_{t-1}]",
        (("WLSTM", "(1 + I + H, 4H) = [b; W^T; U^T]"),),
    ),
)
_KARPATHY_ORDER = ("i", "f", "o", "g")


# ---- lookup and validation --------------------------------------------------------------------
def layout(framework: str, cell_name: str) -> Layout:
    """The `Layout` of ``cell_name`` in ``framework``."""
    if framework not in FRAMEWORKS:
        raise ValueError(f"framework: got {framework!r}, expected one of {FRAMEWORKS}")
    cells = tuple(entry.cell for entry in LAYOUTS if entry.framework == framework)
    if cell_name not in cells:
        raise ValueError(
            f"cell_name: got {cell_name!r}, expected one of {cells} (the cells {framework} has)"
        )
    return next(e for e in LAYOUTS if e.framework == framework and e.cell == cell_name)


def _sizes(cell_name: str, params: object) -> tuple[int, int]:
    """(I, H) of a gated_ref params dict, after checking its keys and shapes."""
    if not isinstance(params, dict):
        raise ValueError(f"params: got {type(params).__name__}, expected a dict of arrays")
    keys = sorted(params)
    if keys != sorted(_PARAM_KEYS):
        raise ValueError(f"params: got keys {keys}, expected {sorted(_PARAM_KEYS)}")
    w_ih, w_hh = (np.asarray(params[k]) for k in ("weight_ih", "weight_hh"))
    if w_ih.ndim != 2 or w_hh.ndim != 2:
        raise ValueError(
            f"params['weight_ih'], params['weight_hh']: got shapes {w_ih.shape}, {w_hh.shape}, "
            "expected 2-D arrays (G*H, I) and (G*H, H)"
        )
    inputs, hidden = w_ih.shape[1], w_hh.shape[1]
    for key, shape in cell(cell_name).param_shapes(inputs, hidden).items():
        got = np.shape(params[key])
        if got != shape:
            raise ValueError(
                f"params[{key!r}]: got shape {got}, expected {shape} for cell {cell_name!r} "
                f"with I={inputs}, H={hidden}"
            )
    return inputs, hidden


def _check(name: str, array: object, shape: tuple[int, ...]) -> np.ndarray:
    """``array`` as an ndarray if its shape is ``shape``; else a ValueError naming ``name``."""
    a = np.asarray(array)
    if a.shape != shape:
        raise ValueError(f"{name}: got shape {a.shape}, expected {shape}")
    return a


def _keys(name: str, arrays: object, expected: tuple[str, ...]) -> None:
    if not isinstance(arrays, dict) or sorted(arrays) != sorted(expected):
        got = sorted(arrays) if isinstance(arrays, dict) else type(arrays).__name__
        raise ValueError(f"{name}: got {got}, expected a dict with keys {sorted(expected)}")


def _perm(cell_name: str, order: tuple[str, ...]) -> list[int]:
    """Our block index of each block in ``order`` (gated_ref names)."""
    gates = cell(cell_name).gates
    return [gates.index(g) for g in order]


def _restack(a: np.ndarray, hidden: int, perm: list[int], axis: int = 0) -> np.ndarray:
    """Blocks of ``hidden`` along ``axis``, taken in the order ``perm``."""
    blocks = [np.take(a, np.arange(k * hidden, (k + 1) * hidden), axis=axis) for k in perm]
    return np.concatenate(blocks, axis=axis)


def _inverse(perm: list[int]) -> list[int]:
    return [perm.index(k) for k in range(len(perm))]


# ---- ONNX -------------------------------------------------------------------------------------
def to_onnx(cell_name: str, params: Params) -> Arrays:
    """gated_ref/PyTorch parameters as ONNX LSTM/GRU inputs ``W``, ``R``, ``B``.

    One direction (leading axis 1); gate blocks in ONNX's order (LSTM i, o, f, c; GRU z, r, h);
    ``B`` is ``[Wb, Rb]``. Run with `onnx_attributes` (``linear_before_reset`` = 1 for
    ``gru``, 0 for ``gru_reset_before``).
    """
    entry = layout("onnx", cell_name)
    _, hidden = _sizes(cell_name, params)
    perm = _perm(cell_name, entry.ours)
    re = lambda a: _restack(np.asarray(a), hidden, perm)  # noqa: E731
    return {
        "W": re(params["weight_ih"])[None],
        "R": re(params["weight_hh"])[None],
        "B": np.concatenate([re(params["bias_ih"]), re(params["bias_hh"])])[None],
    }


def from_onnx(cell_name: str, arrays: Arrays) -> Params:
    """ONNX LSTM/GRU inputs ``W`` (1, G·H, I), ``R`` (1, G·H, H), ``B`` (1, 2·G·H) as params."""
    entry = layout("onnx", cell_name)
    _keys("arrays", arrays, ("W", "R", "B"))
    g = len(entry.gates)
    r = np.asarray(arrays["R"])
    if r.ndim != 3 or r.shape[0] != 1 or r.shape[1] != g * r.shape[2]:
        raise ValueError(f"arrays['R']: got shape {r.shape}, expected (1, {g}*H, H)")
    hidden = r.shape[2]
    w = np.asarray(arrays["W"])
    if w.ndim != 3:
        raise ValueError(f"arrays['W']: got shape {w.shape}, expected (1, {g * hidden}, I)")
    w = _check("arrays['W']", w, (1, g * hidden, w.shape[2]))
    b = _check("arrays['B']", arrays["B"], (1, 2 * g * hidden))
    inv = _inverse(_perm(cell_name, entry.ours))
    re = lambda a: _restack(a, hidden, inv)  # noqa: E731
    return {
        "weight_ih": re(w[0]),
        "weight_hh": re(r[0]),
        "bias_ih": re(b[0, : g * hidden]),
        "bias_hh": re(b[0, g * hidden :]),
    }


def onnx_attributes(cell_name: str, hidden_size: int) -> dict[str, int]:
    """The ONNX node attributes that make ONNX's LSTM/GRU compute ``cell_name``."""
    entry = layout("onnx", cell_name)
    if not isinstance(hidden_size, int | np.integer) or hidden_size < 1:
        raise ValueError(f"hidden_size: got {hidden_size!r}, expected a positive integer")
    attrs = {"hidden_size": int(hidden_size)}
    attrs.update({k: v for k, v in entry.attributes if k != "hidden_size"})
    return attrs


# ---- Keras / TensorFlow -----------------------------------------------------------------------
def to_keras(cell_name: str, params: Params) -> Arrays:
    """gated_ref/PyTorch parameters as Keras ``kernel``, ``recurrent_kernel``, ``bias``.

    Keras multiplies from the right (``x @ kernel``), so the matrices are transposed, gate
    blocks along columns (LSTM i, f, c, o; GRU z, r, h). Keras's LSTM and reset-before GRU
    (``reset_after=False``) have one bias, so ``bias = bias_ih + bias_hh``; the reset-after
    GRU (``reset_after=True``) keeps both, ``bias = [input_bias, recurrent_bias]``, (2, 3H).
    """
    entry = layout("keras", cell_name)
    _, hidden = _sizes(cell_name, params)
    perm = _perm(cell_name, entry.ours)
    re = lambda a: _restack(np.asarray(a), hidden, perm)  # noqa: E731
    if dict(entry.attributes).get("reset_after", False):
        bias = np.stack([re(params["bias_ih"]), re(params["bias_hh"])])
    else:
        bias = re(np.asarray(params["bias_ih"]) + np.asarray(params["bias_hh"]))
    return {
        "kernel": re(params["weight_ih"]).T.copy(),
        "recurrent_kernel": re(params["weight_hh"]).T.copy(),
        "bias": bias,
    }


def from_keras(cell_name: str, arrays: Arrays) -> Params:
    """Keras ``kernel`` (I, G·H), ``recurrent_kernel`` (H, G·H), ``bias`` as params.

    A single Keras bias goes to ``bias_ih``, and ``bias_hh`` is zero: the same function.
    """
    entry = layout("keras", cell_name)
    _keys("arrays", arrays, ("kernel", "recurrent_kernel", "bias"))
    g = len(entry.gates)
    rk = np.asarray(arrays["recurrent_kernel"])
    if rk.ndim != 2 or rk.shape[1] != g * rk.shape[0]:
        raise ValueError(f"arrays['recurrent_kernel']: got shape {rk.shape}, expected (H, {g}*H)")
    hidden = rk.shape[0]
    k = np.asarray(arrays["kernel"])
    if k.ndim != 2:
        raise ValueError(f"arrays['kernel']: got shape {k.shape}, expected (I, {g * hidden})")
    k = _check("arrays['kernel']", k, (k.shape[0], g * hidden))
    two = dict(entry.attributes).get("reset_after", False)
    b = _check("arrays['bias']", arrays["bias"], (2, g * hidden) if two else (g * hidden,))
    inv = _inverse(_perm(cell_name, entry.ours))
    re = lambda a: _restack(a, hidden, inv)  # noqa: E731
    return {
        "weight_ih": re(k.T),
        "weight_hh": re(rk.T),
        "bias_ih": re(b[0] if two else b),
        "bias_hh": re(b[1]) if two else np.zeros_like(b),
    }


# ---- concatenated notation ---------------------------------------------------------------------
def _style(style: str, cell_name: str) -> Concatenated:
    if style not in STYLES:
        raise ValueError(f"style: got {style!r}, expected one of {STYLES}")
    entry = next(c for c in CONCATENATED if c.style == style)
    if cell_name not in entry.cells:
        why = (
            " (the reset-after GRU gates U_n h_{t-1} + b^h_n by r_t after the matrix, which "
            "no single matrix on a stacked vector can express)"
            if cell_name == "gru"
            else ""
        )
        raise ValueError(
            f"cell_name: got {cell_name!r}, expected one of {entry.cells} for style {style!r}{why}"
        )
    return entry


def to_concatenated(cell_name: str, params: Params, style: str = "colah") -> Arrays:
    """gated_ref/PyTorch parameters as one matrix on a stacked vector.

    ``style="colah"``: ``W`` (G·H, H + I) with ``W[:, :H]`` = U (on h_{t-1}) and
    ``W[:, H:]`` = W (on x_t), and ``b = bias_ih + bias_hh``, so a gate's pre-activation is
    ``W_k [h_{t-1}; x_t] + b_k`` (for the GRU candidate, the stacked vector is
    ``[r_t ⊙ h_{t-1}; x_t]``). ``style="karpathy"`` (LSTM only): ``WLSTM`` (1 + I + H, 4H),
    rows ``[b; W^T; U^T]``, column blocks i, f, o, g, so ``IFOG = [1, x_t, h_{t-1}] @ WLSTM``.
    """
    _style(style, cell_name)
    inputs, hidden = _sizes(cell_name, params)
    w_ih, w_hh, b_ih, b_hh = (np.asarray(params[k]) for k in _PARAM_KEYS)
    if style == "colah":
        return {"W": np.concatenate([w_hh, w_ih], axis=1), "b": b_ih + b_hh}
    perm = _perm(cell_name, _KARPATHY_ORDER)
    stacked = np.concatenate([(b_ih + b_hh)[:, None], w_ih, w_hh], axis=1)  # (4H, 1 + I + H)
    return {"WLSTM": _restack(stacked, hidden, perm).T.copy()}


def from_concatenated(cell_name: str, arrays: Arrays, style: str = "colah") -> Params:
    """The inverse of `to_concatenated`: the bias goes to ``bias_ih``, ``bias_hh`` is 0."""
    _style(style, cell_name)
    g = cell(cell_name).num_gates
    if style == "colah":
        _keys("arrays", arrays, ("W", "b"))
        b = np.asarray(arrays["b"])
        if b.ndim != 1 or b.shape[0] % g:
            raise ValueError(f"arrays['b']: got shape {b.shape}, expected ({g}*H,)")
        hidden = b.shape[0] // g
        w = np.asarray(arrays["W"])
        if w.ndim != 2 or w.shape[0] != g * hidden or w.shape[1] <= hidden:
            raise ValueError(
                f"arrays['W']: got shape {w.shape}, expected ({g * hidden}, {hidden} + I)"
            )
        return {
            "weight_ih": w[:, hidden:].copy(),
            "weight_hh": w[:, :hidden].copy(),
            "bias_ih": b.copy(),
            "bias_hh": np.zeros_like(b),
        }
    _keys("arrays", arrays, ("WLSTM",))
    m = np.asarray(arrays["WLSTM"])
    if m.ndim != 2 or m.shape[1] % g or m.shape[0] <= 1 + m.shape[1] // g:
        raise ValueError(f"arrays['WLSTM']: got shape {m.shape}, expected (1 + I + H, {g}*H)")
    hidden = m.shape[1] // g
    inputs = m.shape[0] - 1 - hidden
    stacked = _restack(m.T, hidden, _inverse(_perm(cell_name, _KARPATHY_ORDER)))
    return {
        "weight_ih": stacked[:, 1 : 1 + inputs].copy(),
        "weight_hh": stacked[:, 1 + inputs :].copy(),
        "bias_ih": stacked[:, 0].copy(),
        "bias_hh": np.zeros_like(stacked[:, 0]),
    }


# ---- GRU update convention ---------------------------------------------------------------------
def flip_update_convention(cell_name: str, params: Params) -> Params:
    """The parameters that compute the same function in the other GRU update convention.

    gated_ref (like PyTorch, Cho et al., d2l.ai) writes ``h_t = (1 - z) ⊙ n + z ⊙ h_{t-1}``;
    Chung et al., colah and Wikipedia write ``h_t = (1 - z') ⊙ h_{t-1} + z' ⊙ n``. Since
    ``σ(-a) = 1 - σ(a)``, negating the ``z`` block of both weight matrices and both biases gives
    ``z' = 1 - z``. The flip is its own inverse.
    """
    if cell_name not in ("gru", "gru_reset_before"):
        raise ValueError(
            f"cell_name: got {cell_name!r}, expected 'gru' or 'gru_reset_before' "
            "(only the GRU has an update gate z)"
        )
    _, hidden = _sizes(cell_name, params)
    start = cell(cell_name).gates.index("z") * hidden
    rows = slice(start, start + hidden)
    out = {k: np.array(params[k], copy=True) for k in _PARAM_KEYS}
    for k in _PARAM_KEYS:
        out[k][rows] = -out[k][rows]
    return out


__all__ = [
    "CONCATENATED",
    "FRAMEWORKS",
    "LAYOUTS",
    "STYLES",
    "UPDATE_CONVENTIONS",
    "Concatenated",
    "Layout",
    "UpdateConvention",
    "flip_update_convention",
    "from_concatenated",
    "from_keras",
    "from_onnx",
    "layout",
    "onnx_attributes",
    "to_concatenated",
    "to_keras",
    "to_onnx",
]
