"""Initialisations beyond PyTorch's default: forget-gate bias, orthogonal and chrono.

PyTorch's default (``Kernel.init_params``) draws every weight and both biases from
U(-1/sqrt(H), 1/sqrt(H)). The functions here take such a parameter dict and return a modified
copy; the input is never changed. Gate blocks are found by the cell's gate names, in PyTorch's
stacking order (``lstm``: i, f, g, o).

PyTorch keeps two bias vectors per gate, ``bias_ih`` and ``bias_hh``, and only their sum, the
*effective bias*, enters the equations. "Set the forget bias to 1" therefore has several
readings, each a value of ``reading`` in :func:`forget_bias`.
"""

from __future__ import annotations

from typing import Literal, get_args

import numpy as np

from .cells import cell as _cell
from .kernel import Kernel, Params
from .spec import CellSpec

Cell = str | CellSpec | Kernel

#: The readings of "forget-gate bias = value" with two bias vectors (see :func:`forget_bias`).
Reading = Literal["add_ih", "fill_ih", "fill_both", "split", "ih_only"]
READINGS: tuple[str, ...] = get_args(Reading)


def _spec(cell: Cell) -> CellSpec:
    if isinstance(cell, Kernel):
        return cell.spec
    if isinstance(cell, CellSpec):
        return cell
    if isinstance(cell, str):
        return _cell(cell)
    raise ValueError(f"cell: got {type(cell)}, expected a cell name, CellSpec or Kernel")


def _checked_copy(spec: CellSpec, params: object) -> tuple[Params, int]:
    """A copy of ``params`` after checking the keys and the stacked shapes against ``spec``."""
    if not isinstance(params, dict):
        raise ValueError(f"params: expected a dict of arrays, got {type(params)}")
    probe = spec.param_shapes(1, 2, **{size: 3 for size in spec.sizes})
    for key in probe:
        if key not in params:
            raise KeyError(f"params: missing {key!r}; cell {spec.name!r} needs it")
    key = "weight_hh" if "weight_hh" in probe else "weight_ih"
    w = np.asarray(params[key])
    g = len(spec.recurrent_gates if key == "weight_hh" else spec.input_gates)
    square = key == "weight_hh" and probe[key][1] == 2
    if w.ndim != 2 or (square and w.shape[0] != g * w.shape[1]) or w.shape[0] % g:
        expected = f"({g}*H, H)" if square else f"({g}*H, ...)"
        raise ValueError(
            f"params[{key!r}]: got shape {w.shape}, expected {expected} for {spec.name!r}"
        )
    hidden = w.shape[0] // g
    sizes = {size: int(np.shape(params[k])[0]) for size, k in spec.sizes.items()}
    input_size = np.shape(params["weight_ih"])[1] if "weight_ih" in params else hidden
    for k, shape in spec.param_shapes(input_size, hidden, **sizes).items():
        if np.shape(params[k]) != shape:
            raise ValueError(f"params[{k!r}]: got shape {np.shape(params[k])}, expected {shape}")
    return {k: np.array(v, copy=True) for k, v in params.items()}, hidden


def _block(spec: CellSpec, gate: str, hidden: int, key: str = "ih") -> slice | None:
    """Rows of ``gate`` in ``weight_ih``/``bias_ih`` (key "ih") or ``weight_hh``/``bias_hh``
    ("hh"); None when the gate has no such term."""
    if gate not in spec.gates:
        raise ValueError(f"cell {spec.name!r} has gates {spec.gates}, expected one named {gate!r}")
    gates = spec.input_gates if key == "ih" else spec.recurrent_gates
    if gate not in gates:
        return None
    k = gates.index(gate)
    return slice(k * hidden, (k + 1) * hidden)


def effective_bias(cell: Cell, params: Params, gate: str) -> np.ndarray:
    """The bias the equations see for ``gate``: ``bias_ih + bias_hh`` on its block, shape (H,)."""
    spec = _spec(cell)
    p, hidden = _checked_copy(spec, params)
    total = np.zeros(hidden, p[next(iter(p))].dtype)
    for key in ("ih", "hh"):
        rows = _block(spec, gate, hidden, key)
        if rows is not None:
            total = total + p[f"bias_{key}"][rows]
    return total


def forget_bias(
    cell: Cell, params: Params, value: float = 1.0, reading: Reading = "split"
) -> Params:
    """A copy of ``params`` with the forget-gate bias set to ``value`` under one ``reading``.

    With PyTorch's two bias vectors, b_f = bias_ih[f] + bias_hh[f], and:

    - ``"add_ih"``: add ``value`` to ``bias_ih[f]``; b_f = value + the two random draws.
    - ``"fill_ih"``: ``bias_ih[f] = value``, ``bias_hh[f]`` keeps its draw; b_f = value + draw.
    - ``"fill_both"``: both set to ``value``; b_f = 2 * value.
    - ``"split"``: both set to ``value / 2``; b_f = value exactly.
    - ``"ih_only"``: ``bias_ih[f] = value``, ``bias_hh[f] = 0``; b_f = value exactly.
    """
    spec = _spec(cell)
    if reading not in READINGS:
        raise ValueError(f"reading: got {reading!r}, expected one of {READINGS}")
    if not np.isfinite(value):
        raise ValueError(f"value: got {value!r}, expected a finite number")
    p, hidden = _checked_copy(spec, params)
    f, f_hh = _block(spec, "f", hidden), _block(spec, "f", hidden, "hh")
    if f is None or f != f_hh:
        raise ValueError(
            f"cell: got {spec.name!r}, expected a forget gate 'f' with both bias blocks at the "
            "same rows"
        )
    b_ih, b_hh = p["bias_ih"], p["bias_hh"]
    if reading == "add_ih":
        b_ih[f] += value
    elif reading == "fill_ih":
        b_ih[f] = value
    elif reading == "fill_both":
        b_ih[f] = b_hh[f] = value
    elif reading == "split":
        b_ih[f] = b_hh[f] = value / 2
    else:
        b_ih[f], b_hh[f] = value, 0.0
    return p


def random_orthogonal(
    rows: int, cols: int, rng: np.random.Generator, dtype: type | np.dtype = np.float64
) -> np.ndarray:
    """A random (rows, cols) matrix with orthonormal rows or columns, as
    ``torch.nn.init.orthogonal_`` draws it: QR of a Gaussian matrix, signs fixed by diag(R)."""
    for arg, value in (("rows", rows), ("cols", cols)):
        if not isinstance(value, int | np.integer) or isinstance(value, bool) or value < 1:
            raise ValueError(f"{arg}: got {value!r}, expected a positive integer")
    a = rng.standard_normal((rows, cols))
    if rows < cols:
        a = a.T
    q, r = np.linalg.qr(a)
    q *= np.sign(np.diag(r))
    if rows < cols:
        q = q.T
    return q.astype(dtype)


def orthogonal(
    cell: Cell, params: Params, rng: np.random.Generator | None = None, gain: float = 1.0
) -> Params:
    """A copy of ``params`` whose every H x H gate block of ``weight_hh`` is ``gain`` times a
    random orthogonal matrix (Saxe, McClelland & Ganguli 2014); everything else is kept."""
    spec = _spec(cell)
    if not (np.isfinite(gain) and gain > 0):
        raise ValueError(f"gain: got {gain!r}, expected a positive finite number")
    if not spec.recurrent_gates:
        raise ValueError(f"cell: got {spec.name!r}, which has no recurrent matrix weight_hh")
    p, hidden = _checked_copy(spec, params)
    rng = np.random.default_rng(0) if rng is None else rng
    w = p["weight_hh"]
    for gate in spec.recurrent_gates:
        block = random_orthogonal(hidden, w.shape[1], rng, w.dtype)
        w[_block(spec, gate, hidden, "hh")] = gain * block
    return p


def chrono(
    cell: Cell, params: Params, t_max: float, rng: np.random.Generator | None = None
) -> Params:
    """A copy of ``params`` with chrono initialisation (Tallec & Ollivier 2018).

    The effective forget bias is b_f = log(u), u ~ U(1, t_max - 1) per unit, so that the
    forget gate's characteristic memory spans 1 to t_max steps; the effective input bias is
    b_i = -b_f. Both are written into ``bias_ih`` and the same blocks of ``bias_hh`` are zeroed,
    so the sum the equations see is exactly these values. Cells without an input gate of
    their own (``lstm_cifg``: i = 1 - f) get b_f only.
    """
    spec = _spec(cell)
    if not (np.isfinite(t_max) and t_max > 2):
        raise ValueError(f"t_max: got {t_max!r}, expected a finite number above 2")
    p, hidden = _checked_copy(spec, params)
    if "f" not in spec.gates:
        raise ValueError(
            f"cell: got {spec.name!r} with gates {spec.gates}, "
            "expected a cell with a forget gate 'f'"
        )
    rng = np.random.default_rng(0) if rng is None else rng
    b_f = np.log(rng.uniform(1.0, t_max - 1.0, size=hidden))
    dtype = p["bias_ih"].dtype
    blocks = {"f": b_f, "i": -b_f} if "i" in spec.gates else {"f": b_f}
    for gate, values in blocks.items():
        rows, rows_hh = _block(spec, gate, hidden), _block(spec, gate, hidden, "hh")
        if rows is not None:
            p["bias_ih"][rows] = values.astype(dtype)
            if rows_hh is not None:
                p["bias_hh"][rows_hh] = 0.0
        elif rows_hh is not None:
            p["bias_hh"][rows_hh] = values.astype(dtype)
    return p
