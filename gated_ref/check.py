"""Gradient checks for any cell: ``gated_ref.check(spec)`` and the report it returns.

Three oracles, none of which shares code with the derivation or the code generator:

- **finite differences**: central differences of a scalar loss in float64, over a few steps of
  a small batch, against the kernel's ``backward``;
- **exact derivatives**: one step written out in SymPy, element by element, straight from the
  cell's own equations and the parameter layout; ``sympy.diff`` of the loss evaluated with
  ``evalf`` to ``DIGITS`` digits at a random point, against the kernel's one-step gradients;
- **CSE vs no CSE**: the kernel generated without common-subexpression elimination
  (``gated_ref.lower(spec, cse=False)``) agrees with the default one.

Each row of the report is one check of one array (a gradient key, or the forward output) with
its error: ``max |kernel - oracle| / max |oracle|`` over the array's entries (the absolute
error where the oracle is all zeros).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import sympy as sp

from .cells import cell
from .kernel import Kernel
from .lower import lower
from .spec import CellSpec

FINITE_DIFFERENCES = "finite differences"
EXACT = "exact derivatives"
CSE = "CSE vs no CSE"

#: Each check's tolerance on the error of an array.
TOLERANCES = {FINITE_DIFFERENCES: 1e-6, EXACT: 1e-10, CSE: 1e-12}
#: Central-difference step.
FD_STEP = 1e-6
#: At most this many entries of each array are perturbed (chosen at random if there are more).
FD_ENTRIES = 64
#: Digits the exact derivatives are evaluated to.
DIGITS = 50
#: The problem's sizes unless ``sizes`` says otherwise; extra sizes (e.g. ``proj_size``)
#: default to ``hidden_size - 1`` (at least 1), ``input_size`` to ``hidden_size`` in a cell
#: that uses x_t elementwise.
DEFAULT_SIZES = {"steps": 3, "batch": 2, "input_size": 3, "hidden_size": 2}
#: The exact check's largest sizes (one step of one sequence; extra sizes as hidden_size).
EXACT_SIZES = {"input_size": 2, "hidden_size": 2}


@dataclass(frozen=True)
class CheckRow:
    """One check of one array: its error and the tolerance it must stay within."""

    check: str  # FINITE_DIFFERENCES, EXACT or CSE
    key: str  # a gradient key ("weight_ih", "x", "h", ...) or a forward output ("y", "final h")
    error: float
    tolerance: float

    @property
    def ok(self) -> bool:
        """Whether the error is within the tolerance (a NaN error is not)."""
        return bool(self.error <= self.tolerance)


@dataclass(frozen=True)
class CheckReport:
    """What ``check`` found: one ``CheckRow`` per check and per array; printed, a table."""

    cell: str
    sizes: dict[str, int]  # of the finite-difference and CSE problem
    exact_sizes: dict[str, int]  # of the exact check's one step
    seed: int
    rows: tuple[CheckRow, ...] = field(default=())

    @property
    def ok(self) -> bool:
        """True when every row is within its tolerance."""
        return all(row.ok for row in self.rows)

    @property
    def failures(self) -> tuple[CheckRow, ...]:
        """The rows outside their tolerance."""
        return tuple(row for row in self.rows if not row.ok)

    def __str__(self) -> str:
        bad = len(self.failures)
        verdict = "all within tolerance" if not bad else f"{bad} FAILED"
        head = [
            f"check({self.cell!r}), seed {self.seed}: {len(self.rows)} rows, {verdict}",
            f"  finite differences, CSE: {_sizes_text(self.sizes)}",
            f"  exact derivatives ({DIGITS} digits): {_sizes_text(self.exact_sizes)}",
        ]
        table = [("check", "array", "error", "tolerance", "")]
        table += [
            (r.check, r.key, f"{r.error:.1e}", f"{r.tolerance:.0e}", "ok" if r.ok else "FAIL")
            for r in self.rows
        ]
        widths = [max(len(line[i]) for line in table) for i in range(5)]
        lines = [*head, ""]
        for line in table:
            cells = [
                line[0].ljust(widths[0]),
                line[1].ljust(widths[1]),
                line[2].rjust(widths[2]),
                line[3].rjust(widths[3]),
                line[4],
            ]
            lines.append("  ".join(cells).rstrip())
        lines += ["", "error: max |kernel - oracle| / max |oracle| over the array's entries"]
        return "\n".join(lines)


def _sizes_text(sizes: Mapping[str, int]) -> str:
    short = {"steps": "T", "batch": "B", "input_size": "I", "hidden_size": "H"}
    return " ".join(f"{short.get(k, k)}={v}" for k, v in sizes.items())


def _error(value: np.ndarray, oracle: np.ndarray) -> float:
    value, oracle = np.asarray(value, np.float64), np.asarray(oracle, np.float64)
    if value.shape != oracle.shape:
        return float("inf")
    if value.size == 0:
        return 0.0
    diff = float(np.max(np.abs(value - oracle)))
    scale = float(np.max(np.abs(oracle)))
    return diff / scale if scale > 0 else diff


# ---- the problem -------------------------------------------------------------------------


def _sizes(spec: CellSpec, sizes: Mapping[str, int] | None) -> dict[str, int]:
    if sizes is not None and not isinstance(sizes, Mapping):
        raise ValueError(f"sizes: got {type(sizes)}, expected a mapping such as {{'batch': 2}}")
    given = dict(sizes or {})
    known = set(DEFAULT_SIZES) | set(spec.sizes)
    unknown = sorted(set(given) - known)
    if unknown:
        raise ValueError(f"sizes: got unknown {unknown}, expected keys among {sorted(known)}")
    for key, value in given.items():
        if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
            raise ValueError(f"sizes[{key!r}]: got {value!r}, expected a positive integer")
    out = {k: int(given.get(k, v)) for k, v in DEFAULT_SIZES.items()}
    hidden = out["hidden_size"]
    if spec.input_symbol is not None:
        if "input_size" in given and given["input_size"] != hidden:
            raise ValueError(
                f"sizes['input_size']: got {given['input_size']}, expected the hidden size "
                f"{hidden}: cell {spec.name!r} uses x_t elementwise"
            )
        out["input_size"] = hidden
    for size in spec.sizes:
        out[size] = int(given.get(size, max(1, hidden - 1)))
    return out


@dataclass
class _Problem:
    params: dict[str, np.ndarray]
    x: np.ndarray
    state: dict[str, np.ndarray]
    dy: np.ndarray
    dstate: dict[str, np.ndarray]


def _problem(kernel: Kernel, sizes: dict[str, int], rng: np.random.Generator) -> _Problem:
    """Random parameters, input, non-zero initial state and output adjoints, all float64."""
    spec = kernel.spec
    extra = {s: sizes[s] for s in spec.sizes}
    t, b, n_in, n_h = (sizes[k] for k in ("steps", "batch", "input_size", "hidden_size"))
    params = kernel.init_params(n_in, n_h, rng=rng, dtype=np.float64, **extra)
    width = {s: spec.size_of(spec.prev[s], n_h, **extra) for s in spec.states}
    x = rng.standard_normal((t, b, n_in))
    state = {s: 0.5 * rng.standard_normal((b, width[s])) for s in spec.states}
    dy = rng.standard_normal((t, b, width["h"]))
    dstate = {s: rng.standard_normal((b, width[s])) for s in spec.states}
    return _Problem(params, x, state, dy, dstate)


def _loss(kernel: Kernel, p: _Problem) -> float:
    """L = <y, dy> + sum over states <final_s, dstate_s>: backward(dy, dstate) is its gradient."""
    y, final, _ = kernel.forward(p.x, p.params, p.state)
    return float(np.sum(y * p.dy) + sum(np.sum(final[s] * d) for s, d in p.dstate.items()))


def _arrays(p: _Problem) -> dict[str, np.ndarray]:
    """Every array the loss has a gradient with respect to, by its gradient key."""
    return {**p.params, "x": p.x, **p.state}


# ---- check 1: central differences --------------------------------------------------------


def _finite_differences(kernel: Kernel, p: _Problem, rng: np.random.Generator) -> list[CheckRow]:
    _, _, cache = kernel.forward(p.x, p.params, p.state)
    grads = kernel.backward(p.dy, cache, p.dstate)
    rows = []
    for key, array in _arrays(p).items():
        if key not in grads:
            rows.append(CheckRow(FINITE_DIFFERENCES, key, float("inf"), 0.0))
            continue
        flat = array.reshape(-1)  # a view: perturbing it perturbs the problem
        picked = np.arange(flat.size)
        if flat.size > FD_ENTRIES:
            picked = np.sort(rng.choice(flat.size, FD_ENTRIES, replace=False))
        numeric = np.empty(len(picked))
        for n, i in enumerate(picked):
            keep = flat[i]
            flat[i] = keep + FD_STEP
            up = _loss(kernel, p)
            flat[i] = keep - FD_STEP
            down = _loss(kernel, p)
            flat[i] = keep
            numeric[n] = (up - down) / (2 * FD_STEP)
        analytic = np.asarray(grads[key], np.float64).reshape(-1)
        error = _error(analytic[picked], numeric) if analytic.size == flat.size else float("inf")
        rows.append(CheckRow(FINITE_DIFFERENCES, key, error, TOLERANCES[FINITE_DIFFERENCES]))
    return rows


# ---- check 2: exact derivatives ----------------------------------------------------------


def _symbols(name: str, shape: tuple[int, ...]) -> np.ndarray:
    out = np.empty(shape, dtype=object)
    for index in np.ndindex(*shape):
        out[index] = sp.Symbol(f"{name}[{','.join(map(str, index))}]", real=True)
    return out


def _matvec(matrix: np.ndarray, vector: np.ndarray) -> np.ndarray:
    if matrix.shape[1] != len(vector):
        raise ValueError(f"a matrix of shape {matrix.shape} cannot multiply {len(vector)} numbers")
    return np.array([sp.Add(*(a * v for a, v in zip(row, vector, strict=True))) for row in matrix])


def symbolic_step(
    spec: CellSpec, input_size: int, hidden_size: int, **sizes: int
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """One step of ``spec`` written out element by element in SymPy, from its equations and
    its parameter layout alone (weight_ih / weight_hh blocks in gate order, one matrix per
    extra recurrent source, peephole rows, projections).

    Returns the leaves (every parameter, ``x`` of shape (1, 1, I) and each initial state of
    shape (1, width): arrays of SymPy symbols, keyed as the kernel's gradients) and each
    state's new value (an array of SymPy expressions of the leaves).
    """
    n_h = hidden_size
    shapes = spec.param_shapes(input_size, n_h, **sizes)
    leaves = {key: _symbols(key, shape) for key, shape in shapes.items()}
    leaves["x"] = _symbols("x", (1, 1, input_size))
    width = {s: spec.size_of(spec.prev[s], n_h, **sizes) for s in spec.states}
    for s in spec.states:
        leaves[s] = _symbols(f"{s}0", (1, width[s]))
    x = leaves["x"][0, 0]
    env: dict[sp.Symbol, np.ndarray] = {spec.prev[s]: leaves[s][0] for s in spec.states}

    def block(k: int) -> slice:
        return slice(k * n_h, (k + 1) * n_h)

    for k, g in enumerate(spec.input_gates):
        rows = block(k)
        env[spec.input_affine[g]] = _matvec(leaves["weight_ih"][rows], x) + leaves["bias_ih"][rows]
    for p in spec.elementwise_params:
        env[p.symbol] = leaves[p.key][p.row]
    if spec.input_symbol is not None:
        env[spec.input_symbol] = x
    # recurrent terms: (symbol, source, matrix rows, bias rows or None)
    pending = [
        (
            spec.hidden_affine[g],
            spec.hidden_source[g],
            leaves["weight_hh"][block(k)],
            leaves["bias_hh"][block(k)],
        )
        for k, g in enumerate(spec.recurrent_gates)
    ]
    for fam in spec.families:
        for k, sym in enumerate(fam.symbols):
            pending.append((sym, fam.source, leaves[fam.key][block(k)], None))

    def resolve() -> None:
        for sym, source, matrix, bias in list(pending):
            if source in env:
                value = _matvec(matrix, env[source])
                env[sym] = value if bias is None else value + bias
                pending.remove((sym, source, matrix, bias))

    resolve()
    for node in spec.nodes:
        if node.projection is not None:
            env[node.symbol] = _matvec(leaves[node.projection], env[node.rhs])
        else:
            args = sorted(node.rhs.free_symbols, key=str)
            lengths = {len(env[a]) for a in args} or {n_h}
            if len(lengths) != 1:
                raise ValueError(
                    f"cell {spec.name!r}, node {node.symbol.name!r}: elementwise over vectors "
                    f"of lengths {sorted(lengths)}"
                )
            (n,) = lengths
            env[node.symbol] = np.array(
                [node.rhs.xreplace({a: env[a][j] for a in args}) for j in range(n)]
            )
        resolve()
    return leaves, {s: env[spec.out[s]] for s in spec.states}


def _exact_sizes(spec: CellSpec, sizes: dict[str, int]) -> dict[str, int]:
    """One step of one sequence, at most ``EXACT_SIZES`` wide: the symbolic loss grows
    with the square of the sizes."""
    out = {"steps": 1, "batch": 1}
    out |= {k: min(sizes[k], cap) for k, cap in EXACT_SIZES.items()}
    if spec.input_symbol is not None:
        out["input_size"] = out["hidden_size"]
    out |= {size: min(sizes[size], EXACT_SIZES["hidden_size"]) for size in spec.sizes}
    return out


def _exact(kernel: Kernel, p: _Problem, sizes: dict[str, int]) -> list[CheckRow]:
    spec = kernel.spec
    extra = {s: sizes[s] for s in spec.sizes}
    leaves, new = symbolic_step(spec, sizes["input_size"], sizes["hidden_size"], **extra)
    x, state, dy, dstate = p.x, p.state, p.dy, p.dstate
    y, _, cache = kernel.forward(x, p.params, state)
    grads = kernel.backward(dy, cache, dstate)

    def num(value: float) -> sp.Float:
        return sp.Float(float(value), DIGITS)

    point: dict[sp.Symbol, sp.Float] = {}
    values = {**p.params, "x": x, **state}
    for key, syms in leaves.items():
        for index in np.ndindex(*syms.shape):
            point[syms[index]] = num(values[key][index])
    loss = sp.Add(*(num(d) * v for d, v in zip(dy[0, 0], new["h"], strict=True)))
    for s in spec.states:
        loss += sp.Add(*(num(d) * v for d, v in zip(dstate[s][0], new[s], strict=True)))

    def evaluate(expr: sp.Expr) -> float:
        return float(sp.sympify(expr).xreplace(point).evalf(DIGITS))

    tol = TOLERANCES[EXACT]
    exact_y = np.array([evaluate(v) for v in new["h"]])
    rows = [CheckRow(EXACT, "y", _error(y[0, 0], exact_y), tol)]
    for key, syms in leaves.items():
        if key not in grads:
            rows.append(CheckRow(EXACT, key, float("inf"), 0.0))
            continue
        exact = np.array([evaluate(sp.diff(loss, sym)) for sym in syms.reshape(-1)])
        rows.append(CheckRow(EXACT, key, _error(grads[key], exact.reshape(syms.shape)), tol))
    return rows


# ---- check 3: CSE vs no CSE --------------------------------------------------------------


def _cse(kernel: Kernel, plain: Kernel, p: _Problem) -> list[CheckRow]:
    tol = TOLERANCES[CSE]
    y, final, cache = kernel.forward(p.x, p.params, p.state)
    y0, final0, cache0 = plain.forward(p.x, p.params, p.state)
    grads = kernel.backward(p.dy, cache, p.dstate)
    grads0 = plain.backward(p.dy, cache0, p.dstate)
    rows = [CheckRow(CSE, "y", _error(y, y0), tol)]
    rows += [CheckRow(CSE, f"final {s}", _error(final[s], final0[s]), tol) for s in final0]
    for key in _arrays(p):
        if key in grads and key in grads0:
            rows.append(CheckRow(CSE, key, _error(grads[key], grads0[key]), tol))
        else:
            rows.append(CheckRow(CSE, key, float("inf"), 0.0))
    return rows


# ---- the entry point ---------------------------------------------------------------------


def check(
    spec: CellSpec | str, *, sizes: Mapping[str, int] | None = None, seed: int = 0
) -> CheckReport:
    """Run the gradient checks on ``spec`` (any cell, built-in or your own) and report.

    Args:
        spec: A ``CellSpec`` (e.g. from ``CellBuilder.build()``) or the name of a built-in
            cell.
        sizes: The problem's sizes: any of ``steps`` (T), ``batch`` (B), ``input_size`` (I),
            ``hidden_size`` (H) and the cell's extra sizes (e.g. ``proj_size``); the rest take
            their defaults (``DEFAULT_SIZES``). The exact check runs one step of one
            sequence, at these sizes capped by ``EXACT_SIZES``.
        seed: Seed of the random parameters, inputs, initial state and output adjoints.

    Returns:
        The report, with ``.ok``, ``.failures`` and one row per check and per array.

    Raises:
        ValueError: ``spec`` is neither a CellSpec nor a cell name, ``sizes`` is malformed or
            ``seed`` is not a non-negative integer.
        KeyError: ``spec`` names no built-in cell.
    """
    if isinstance(spec, str):
        spec = cell(spec)
    if not isinstance(spec, CellSpec):
        raise ValueError(f"spec: expected a CellSpec or a cell name, got {type(spec)}")
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise ValueError(f"seed: got {seed!r}, expected a non-negative integer")
    full = _sizes(spec, sizes)
    rng = np.random.default_rng(seed)
    kernel = lower(spec)
    problem = _problem(kernel, full, rng)
    rows = _finite_differences(kernel, problem, rng)
    small = _exact_sizes(spec, full)
    rows += _exact(kernel, _problem(kernel, small, rng), small)
    rows += _cse(kernel, lower(spec, cse=False), problem)
    return CheckReport(spec.name, full, small, seed, tuple(rows))
