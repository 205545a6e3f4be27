"""Lower cells to JavaScript: one time step per cell, for the site's in-browser explorer.

The same three stages as :mod:`gated_ref.lower`, printed for a browser instead of NumPy:

1. plan - :func:`gated_ref.program.forward_step`, the statement program the NumPy printer
   prints too: the step's runs of elementwise statements, its recurrent GEMMs (``weight_hh``
   with its bias, and any extra recurrent matrix of the cell, without) and its projections,
   in execution order;
2. emit - ``sympy.cse`` over each run of elementwise statements, printed with SymPy's
   :class:`~sympy.printing.jscode.JavascriptCodePrinter` (sigmoid as ``0.5 + 0.5 tanh(a/2)``,
   which cannot overflow; relu as ``Math.max(a, 0)``) inside a loop over the H units;
3. bundle - :func:`javascript_bundle`: a fixed runtime (argument checks, sizes read off the
   parameters' shapes, the affine maps, the loop over time and batch) plus every cell's step
   function and metadata, as one script that sets ``window.gatedRef`` in a browser and
   ``module.exports`` in Node.

Nothing in the runtime is specific to a cell: which gates have an input or a recurrent term
(their blocks in ``weight_ih`` / ``weight_hh``), the shape of every parameter, the size of
every state (h has P units under a projection) come from the :class:`~gated_ref.spec.CellSpec`,
as metadata (:func:`cell_metadata`). A cell that uses x_t elementwise reads ``x[j]``, and the
runtime insists on I = H for it.

Every node of a step can be overridden (``overrides = {"f": 1}`` forces the forget gate
open): a node's value is replaced before any later statement reads it. So the common
subexpressions are *not* found after substituting earlier targets into later expressions (as
:mod:`gated_ref.lower` does; that would bypass an override). Instead each temporary that
``cse`` returns is placed just before the first statement that uses it, which is always after
every node it reads: the hazard of a hoisted use above its definition cannot arise.

The bundle's bytes depend only on the cells, this generator and the SymPy version: no dates,
keys sorted.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import re
from collections.abc import Iterable, Sequence
from pathlib import Path

import sympy as sp
from sympy.printing.jscode import JavascriptCodePrinter
from sympy.printing.str import StrPrinter

from .cells import CELL_NAMES, cell
from .derive import Gemm, Project
from .functions import sigmoid
from .functions import step as unit_step
from .lower import input_hash as kernel_input_hash
from .program import Run, forward_step
from .spec import CellSpec

__all__ = [
    "GENERATOR_VERSION",
    "bundle_hash",
    "cell_metadata",
    "javascript_bundle",
    "javascript_source",
    "value_range",
]

GENERATOR_VERSION = "2"
_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")

# ---- stage 2: emit -----------------------------------------------------------------------

#: Names a cell's symbols must not take: they are printed as JavaScript identifiers in the same
#: scope as the step function's arguments and the runtime's functions.
_RESERVED = frozenset(
    "x P S ov Z H j k affine matvecInto sigmoid fail describe checkVector checkMatrix getCell "
    "checkParams checkOverrides checkStateKeys step forward paramShapes NONE CELLS CELL_NAMES "
    "api root Math "
    "break case catch class const continue debugger default delete do else enum export extends "
    "false finally for function if import in instanceof let new null return static super switch "
    "this throw true try typeof undefined var void while with yield await arguments eval NaN "
    "Infinity".split()
)


class StepPrinter(JavascriptCodePrinter):
    """SymPy's JavaScript printer, reading vectors at unit ``j``; sigmoid without overflow,
    relu and its derivative ``step`` as plain JavaScript."""

    def __init__(self, vectors: dict[str, str]) -> None:
        super().__init__({"allow_unknown_functions": False})
        self._vectors = vectors  # symbol name -> JS array variable, read as name[j]

    def _print_Symbol(self, expr: sp.Symbol) -> str:
        name = expr.name
        if name in self._vectors:
            return f"{self._vectors[name]}[j]"
        return _ident(name, "symbol")

    def _print_sigmoid(self, expr: sp.Function) -> str:
        """The logistic sigmoid as ``sigmoid(a) = 0.5 + 0.5 tanh(a / 2)`` (see the runtime)."""
        return f"sigmoid({self._print(expr.args[0])})"

    def _print_relu(self, expr: sp.Function) -> str:
        """``relu(a) = max(a, 0)``, as ``numpy.maximum(a, 0)`` in the NumPy kernels."""
        return f"Math.max({self._print(expr.args[0])}, 0)"

    def _print_step(self, expr: sp.Function) -> str:
        """The unit step with ``step(0) = 0`` (relu's derivative, as PyTorch takes it)."""
        return f"({self._print(expr.args[0])} > 0 ? 1 : 0)"


def _ident(name: str, what: str) -> str:
    """``name`` if it can be a JavaScript identifier of the step function; else ValueError."""
    if not _IDENT.match(name) or name in _RESERVED:
        raise ValueError(f"{what} {name!r}: not usable as a JavaScript identifier")
    return name


def _node_var(name: str) -> str:
    if not _IDENT.match(name):
        raise ValueError(f"node {name!r}: not a JavaScript identifier")
    return f"v_{name}"


def _size_name(spec: CellSpec, symbol: sp.Symbol) -> str:
    """Which size a vector has: ``hidden_size`` or one of the cell's extra sizes."""
    size = spec.size_of(symbol, sp.Symbol("hidden_size"), **{s: sp.Symbol(s) for s in spec.sizes})
    return str(size)


def _terms(spec: CellSpec) -> dict[str, str]:
    """The per-unit quantities other than nodes and parameters: symbol name -> JS variable.

    The input and recurrent pre-activations that exist, the extra recurrent terms, the
    previous states, and x_t itself when the cell uses it elementwise.
    """
    out = {spec.input_affine[g].name: spec.input_affine[g].name for g in spec.input_gates}
    out |= {spec.hidden_affine[g].name: spec.hidden_affine[g].name for g in spec.recurrent_gates}
    out |= {sym.name: sym.name for fam in spec.families for sym in fam.symbols}
    out |= {spec.prev[s].name: spec.prev[s].name for s in spec.states}
    if spec.input_symbol is not None:
        out[spec.input_symbol.name] = "x"
    for name, var in out.items():
        if var != "x":
            _ident(name, "symbol")
    return out


def _vectors(spec: CellSpec) -> dict[str, str]:
    """Every per-unit quantity of one step, by SymPy symbol name -> JavaScript array name."""
    out = {n.symbol.name: _node_var(n.symbol.name) for n in spec.nodes}
    out |= _terms(spec)
    for p in spec.elementwise_params:
        out[p.symbol.name] = _ident(p.symbol.name, "elementwise weight")
    return out


def _block(
    assigns: Sequence[tuple[sp.Symbol, sp.Expr]], printer: StepPrinter, use_cse: bool, tag: str
) -> list[str]:
    """One loop over the units: each node's statement, its override, shared temporaries."""
    if use_cse and assigns:
        temps = sp.numbered_symbols(f"_{tag}")
        replacements, reduced = sp.cse([e for _, e in assigns], symbols=temps, order="none")
    else:
        replacements, reduced = [], [e for _, e in assigns]
    pending = dict(replacements)
    placed: set[sp.Symbol] = set()
    body: list[str] = []

    def place(expr: sp.Expr) -> None:
        # a temporary goes just before its first user, after the temporaries it reads
        for sym in sorted(expr.free_symbols, key=lambda s: s.name):
            if sym in pending and sym not in placed:
                place(pending[sym])
                placed.add(sym)
                body.append(f"    const {sym.name} = {printer.doprint(pending[sym])};")

    for (target, _), expr in zip(assigns, reduced, strict=True):
        place(expr)
        var = _node_var(target.name)
        o = f"o_{target.name}"
        body.append(f"    {var}[j] = {o} ? {o}[j] : {printer.doprint(expr)};")
    return ["  for (let j = 0; j < H; j++) {", *body, "  }"]


def _spec(spec: CellSpec | str) -> CellSpec:
    spec = cell(spec) if isinstance(spec, str) else spec
    if not isinstance(spec, CellSpec):
        raise TypeError(f"spec: expected a CellSpec or a cell name, got {type(spec)}")
    if not _IDENT.match(spec.name):
        raise ValueError(f"cell name {spec.name!r}: not a JavaScript identifier")
    return spec


def javascript_source(spec: CellSpec | str, *, use_cse: bool = True) -> str:
    """The JavaScript step function of one cell: ``step_<name>(x, P, S, ov, Z)``.

    ``x`` is one input vector (I), ``P`` the parameters as nested arrays in PyTorch's layout,
    ``S`` the previous state (``{h: [...], c: [...]}``, one array per state), ``ov`` the
    overrides (``{node: array}``; a node absent or null is computed), ``Z`` the sizes
    (``{input_size, hidden_size, ...}``), all already checked
    by the runtime. It returns every per-unit quantity of the step: ``{nodes: {node: [...]},
    terms: {symbol: [...]}, state: {h, c, ...}}``, where ``terms`` holds the pre-activations,
    the previous states and x_t when the cell uses it elementwise (see :func:`_terms`).
    """
    return StepFunctionPrinter(_spec(spec), use_cse=use_cse).doprint()


class StepFunctionPrinter:
    """Prints the forward step program (:func:`gated_ref.program.forward_step`) of one cell as
    a JavaScript function over one sequence: one method per kind of statement."""

    def __init__(self, spec: CellSpec, *, use_cse: bool = True) -> None:
        self.spec, self.use_cse = spec, use_cse
        self.printer = StepPrinter(_vectors(spec))
        self.lines: list[str] = []
        self.runs = 0

    def doprint(self) -> str:
        """The step function's text."""
        self.lines, self.runs = [], 0
        self._head()
        for st in forward_step(self.spec):
            getattr(self, f"_print_{type(st).__name__}")(st)
        self._tail()
        return "\n".join(self.lines) + "\n"

    def _head(self) -> None:
        spec, w = self.spec, self.lines.append
        x_index = {g: k for k, g in enumerate(spec.input_gates)}
        w(f"// cell {spec.name!r}: {spec.title}")
        w(f"function step_{spec.name}(x, P, S, ov, Z) {{")
        w("  const H = Z.hidden_size;")
        for s in spec.states:
            w(f"  const {spec.prev[s].name} = S.{s};")
        for p in spec.elementwise_params:
            w(f"  const {p.symbol.name} = P.{p.key}[{p.row}];")
        for g in spec.input_gates:
            ax = spec.input_affine[g].name
            w(f"  const {ax} = affine(P.weight_ih, P.bias_ih, {x_index[g]}, H, x);")
        for n in spec.nodes:
            name = n.symbol.name
            size = _size_name(spec, n.symbol)
            length = "H" if size == "hidden_size" else f"Z.{size}"
            w(f"  const {_node_var(name)} = new Array({length}), o_{name} = ov.{name};")

    def _print_Run(self, run: Run) -> None:
        assigns = [(st.target, st.expr) for st in run.statements]
        self.lines.extend(_block(assigns, self.printer, self.use_cse, f"t{self.runs}_"))
        self.runs += 1

    def _print_Project(self, st: Project) -> None:
        w = self.lines.append
        var, name = _node_var(st.target.name), st.target.name
        src = self.printer.doprint(st.source).removesuffix("[j]")
        w(f"  // projection: {name} = {st.key} {st.source.name}")
        w(f"  matvecInto({var}, P.{st.key}, {src});")
        w(f"  if (o_{name}) for (let k = 0; k < {var}.length; k++) {var}[k] = o_{name}[k];")

    def _print_Gemm(self, st: Gemm) -> None:
        spec, w = self.spec, self.lines.append
        grp = st.group
        src = self.printer.doprint(grp.source).removesuffix("[j]")
        if grp.bias:
            h_index = {g: k for k, g in enumerate(spec.recurrent_gates)}
            gates = ", ".join(grp.gates)
            w(f"  // recurrent maps of gate(s) {gates}: U_k {grp.source.name} + b^h_k")
            for g, sym in zip(grp.gates, grp.symbols, strict=True):
                w(f"  const {sym.name} = affine(P.weight_hh, P.bias_hh, {h_index[g]}, H, {src});")
            return
        w(f"  // matrix {grp.key}, gate(s) {', '.join(grp.gates)}: R_k {grp.source.name} (no bias)")
        for k, sym in enumerate(grp.symbols):
            w(f"  const {sym.name} = affine(P.{grp.key}, null, {k}, H, {src});")

    def _tail(self) -> None:
        spec, w = self.spec, self.lines.append
        nodes = ", ".join(f"{n.symbol.name}: {_node_var(n.symbol.name)}" for n in spec.nodes)
        terms = ", ".join(
            name if name == var else f"{name}: {var}" for name, var in _terms(spec).items()
        )
        state = ", ".join(f"{s}: {_node_var(spec.out[s].name)}" for s in spec.states)
        w(f"  return {{nodes: {{{nodes}}}, terms: {{{terms}}}, state: {{{state}}}}};")
        w("}")


# ---- metadata the explorer shows -----------------------------------------------------------


def _node_ranges(
    spec: CellSpec, assumed: dict[sp.Symbol, tuple[float, float]]
) -> dict[sp.Symbol, tuple[float, float] | None]:
    """Each node's bounds, given bounds ``assumed`` for some previous states."""
    ranges: dict[sp.Symbol, tuple[float, float]] = dict(assumed)
    out: dict[sp.Symbol, tuple[float, float] | None] = {}
    for n in spec.nodes:
        squashed = dict(ranges)
        counter = itertools.count()

        def squash(e: sp.Expr, squashed: dict = squashed, counter: itertools.count = counter):
            if isinstance(e, sigmoid | sp.tanh | unit_step):
                d = sp.Symbol(f"__bounded{next(counter)}")
                squashed[d] = (-1.0, 1.0) if isinstance(e, sp.tanh) else (0.0, 1.0)
                return d
            if e.args:
                return e.func(*[squash(a) for a in e.args])
            return e

        bounded = None
        if n.projection is None:  # a matrix applied to a bounded vector is not bounded by it
            expr = squash(n.rhs)
            free = sorted(expr.free_symbols, key=lambda s: s.name)
            if all(s in squashed for s in free):
                poly = sp.Poly(expr, *free) if free else None
                if poly is None or all(max(m) <= 1 for m in poly.monoms()):
                    values = [
                        float(expr.xreplace(dict(zip(free, corner, strict=True))))
                        for corner in itertools.product(*(squashed[s] for s in free))
                    ]
                    bounded = (min(values), max(values))
        if bounded is not None:
            ranges[n.symbol] = bounded
        out[n.symbol] = bounded
    return out


def value_range(spec: CellSpec, node: str) -> tuple[float, float] | None:
    """Bounds of a node's values, when its expression bounds them; else None.

    sigma(...) and step(...) lie in [0, 1] and tanh(...) in [-1, 1]; earlier nodes contribute
    their own bounds. An expression that is then multilinear in those bounded quantities takes
    its extremes at the corners of the box. A previous state is taken in [-1, 1] when that is
    an invariant: if every such state starts in [-1, 1] (the zeros a sequence starts from do),
    the step keeps it there. Found by dropping the states whose update leaves [-1, 1] until
    none does (h of the LSTM and GRU stays; c, a relu's h, a projected h do not).
    """
    names = [n.symbol.name for n in spec.nodes]
    if node not in names:
        raise KeyError(f"node: got {node!r}, expected one of {names}")
    kept = set(spec.states)
    while True:
        ranges = _node_ranges(spec, {spec.prev[s]: (-1.0, 1.0) for s in kept})
        leave = {
            s
            for s in kept
            if ranges[spec.out[s]] is None
            or not -1.0 <= ranges[spec.out[s]][0] <= ranges[spec.out[s]][1] <= 1.0
        }
        if not leave:
            return ranges[sp.Symbol(node)]
        kept -= leave


class _TemplatePrinter(StrPrinter):
    """Plain-text expression, every symbol as a ``{name}`` the page fills with a number."""

    def _print_Symbol(self, expr: sp.Symbol) -> str:
        if not _IDENT.match(expr.name):
            raise ValueError(f"symbol {expr.name!r}: not an identifier, cannot be a placeholder")
        return "{%s}" % expr.name

    def _print_sigmoid(self, expr: sp.Function) -> str:
        return f"σ({self._print(expr.args[0])})"

    def _print_Mul(self, expr: sp.Mul) -> str:
        return super()._print_Mul(expr).replace("*", " · ")


def _template(expr: sp.Expr) -> str:
    """A node's right-hand side as plain text, each symbol as ``{name}``: the page puts in the
    symbol's value at the unit shown."""
    return _TemplatePrinter({"order": "none"}).doprint(expr)


def _labels(spec: CellSpec) -> dict[str, str]:
    """Plain-text names of the terms and weights a template refers to (tooltips on the page).

    Nodes (``{c}``: c_t) and previous states (``{c_prev}``: c_{t-1}) are named by the page.
    """

    def vec(sym: sp.Symbol) -> str:
        prev = {v: s for s, v in spec.prev.items()}
        return f"{prev[sym]}_{{t-1}}" if sym in prev else f"{sym.name}_t"

    out: dict[str, str] = {}
    for g in spec.gates:
        lab = spec.gate_labels[g]
        sub = f"_{lab}" if lab else ""
        both = g in spec.input_gates and g in spec.recurrent_gates
        if g in spec.input_gates:
            out[spec.input_affine[g].name] = f"W{sub} x_t + b{'^x' if both else ''}{sub}"
        if g in spec.recurrent_gates:
            src = vec(spec.hidden_source[g])
            out[spec.hidden_affine[g].name] = f"U{sub} {src} + b{'^h' if both else ''}{sub}"
    for fam in spec.families:
        src = vec(fam.source)
        for g, sym in zip(fam.gates, fam.symbols, strict=True):
            lab = spec.gate_labels[g]
            out[sym.name] = f"{fam.key} block {lab or g}: R_{lab} {src}"
    for p in spec.elementwise_params:
        out[p.symbol.name] = f"{p.name}{'_' + p.label if p.label else ''} ({p.key}[{p.row}])"
    if spec.input_symbol is not None:
        out[spec.input_symbol.name] = "x_t (used elementwise)"
    return out


def _deps(spec: CellSpec, expr: sp.Expr) -> list[str]:
    """The diagram's inputs of a node: x, previous states and earlier nodes."""
    names = {n.symbol: n.symbol.name for n in spec.nodes}
    sources = {spec.hidden_affine[g]: spec.hidden_source[g] for g in spec.recurrent_gates}
    sources |= {sym: fam.source for fam in spec.families for sym in fam.symbols}
    found: list[str] = []
    for sym in sorted(expr.free_symbols, key=lambda s: s.name):
        if sym in spec.input_affine.values() or sym == spec.input_symbol:
            found.append("x")
        elif sym in sources:
            src = sources[sym]
            found.extend(_deps(spec, src) if src not in spec.prev.values() else [src.name])
        elif sym in spec.prev.values():
            found.append(sym.name)
        elif sym in names:
            found.append(names[sym])
    return sorted(set(found))


def _dims(dims: tuple) -> list[list]:
    """A symbolic shape as ``[[multiple, size name or null], ...]``: (4H, I) is
    ``[[4, "hidden_size"], [1, "input_size"]]`` and (3, H) is ``[[3, null], [1, "hidden_size"]]``.
    """
    out = []
    for d in dims:
        d = sp.sympify(d)
        if d.is_Integer:
            out.append([int(d), None])
            continue
        coeff, size = d.as_coeff_Mul()
        if not (coeff.is_Integer and size.is_Symbol):
            raise ValueError(f"dimension {d}: expected an integer times one size")
        out.append([int(coeff), size.name])
    return out


def _param_shapes(spec: CellSpec) -> dict[str, list[list]]:
    """Every parameter's shape in terms of the sizes, from :meth:`CellSpec.param_shapes`."""
    sizes = {s: sp.Symbol(s) for s in spec.sizes}
    shapes = spec.param_shapes(sp.Symbol("input_size"), sp.Symbol("hidden_size"), **sizes)
    return {key: _dims(shape) for key, shape in shapes.items()}


def _reads(spec: CellSpec, param: sp.Symbol) -> str | None:
    """The previous state an elementwise weight multiplies (IndRNN's u: ``h_prev``), if any."""
    prev = set(spec.prev.values())
    for n in spec.nodes:
        for e in sp.preorder_traversal(n.rhs):
            if isinstance(e, sp.Mul) and param in e.args:
                found = sorted((a for a in e.args if a in prev), key=str)
                if found:
                    return found[0].name
    return None


def cell_metadata(spec: CellSpec | str) -> dict[str, object]:
    """What the explorer needs besides the maths: names, gates, node graph, bounds, templates,
    sizes and parameter shapes.

    A node is a *gate* (the page offers to force it) when it is shown, bounded, and either not a
    state or a sigmoid carried to the next step (the gates i, f, o of ``lstm_fgr``). A node's
    entry leaves out what is false, null or the hidden size (``inline``, ``state``, ``gate``,
    ``range``, ``size``).
    """
    spec = _spec(spec)
    out_nodes = {sym: s for s, sym in spec.out.items()}
    nodes = []
    for n in spec.nodes:
        rng = value_range(spec, n.symbol.name)
        is_state = n.symbol in out_nodes
        if n.projection is not None:
            template = f"Σₖ {n.projection}[{{}}, k] · {n.rhs}_t[k]"  # {} the unit shown
        else:
            template = _template(n.rhs)
        entry = {
            "name": n.symbol.name,
            "inline": n.inline,
            "state": out_nodes.get(n.symbol),
            "gate": not n.inline
            and rng is not None
            and (not is_state or isinstance(n.rhs, sigmoid)),
            "deps": _deps(spec, n.rhs),
            "range": list(rng) if rng is not None else None,
            "size": _size_name(spec, n.symbol),
            "template": template,
        }
        # the defaults are left out (the bundle is downloaded): false, null, the hidden size
        nodes.append({k: v for k, v in entry.items() if v not in (False, None, "hidden_size")})
    used = {d for n in nodes for d in n["deps"]}
    return {
        "name": spec.name,
        "title": spec.title,
        "reference": spec.reference,
        "states": list(spec.states),
        "stateSizes": {s: _size_name(spec, spec.prev[s]) for s in spec.states},
        "sizes": ["hidden_size", *spec.sizes],
        "inputIsHidden": spec.input_symbol is not None,
        "inputs": ["x", *(spec.prev[s].name for s in spec.states if spec.prev[s].name in used)],
        "gates": list(spec.gates),
        "gateLabels": dict(spec.gate_labels),
        "paramShapes": _param_shapes(spec),
        "projections": {n.symbol.name: n.projection for n in spec.nodes if n.projection},
        "nodes": nodes,
        "labels": _labels(spec),
        "paramSymbols": {
            p.symbol.name: {"key": p.key, "row": p.row, "reads": _reads(spec, p.symbol)}
            for p in spec.elementwise_params
        },
    }


# ---- stage 3: bundle ---------------------------------------------------------------------

_RUNTIME = r"""
"use strict";

const NONE = Object.freeze({}); // no overrides: every node computed

function sigmoid(a) {
  // 0.5 + 0.5 tanh(a / 2): the logistic function, with no overflow for any finite a
  return 0.5 + 0.5 * Math.tanh(0.5 * a);
}

function affine(W, b, block, H, v) {
  // rows block*H .. block*H+H-1 of W v (+ b, unless b is null)
  const out = new Array(H);
  const n = v.length;
  for (let j = 0; j < H; j++) {
    const row = W[block * H + j];
    let acc = 0;
    for (let k = 0; k < n; k++) acc += row[k] * v[k];
    out[j] = b === null ? acc : acc + b[block * H + j];
  }
  return out;
}

function matvecInto(out, W, v) {
  // out = W v (a projection)
  for (let j = 0; j < out.length; j++) {
    const row = W[j];
    let acc = 0;
    for (let k = 0; k < v.length; k++) acc += row[k] * v[k];
    out[j] = acc;
  }
}

function fail(message) {
  throw new Error("gatedRef: " + message);
}

function describe(v) {
  if (Array.isArray(v)) {
    const dims = [];
    for (let a = v; Array.isArray(a); a = a[0]) dims.push(a.length);
    return "an array of shape (" + dims.join(", ") + ")";
  }
  return v === null ? "null" : typeof v === "object" ? "an object" : typeof v + " " + String(v);
}

function checkVector(name, v, n) {
  if (!Array.isArray(v) || v.length !== n)
    fail(name + ": got " + describe(v) + ", expected an array of " + n + " numbers");
  for (let k = 0; k < n; k++) {
    if (typeof v[k] !== "number" || !Number.isFinite(v[k]))
      fail(name + "[" + k + "]: got " + String(v[k]) + ", expected a finite number");
  }
}

function checkMatrix(name, m, rows, cols) {
  if (!Array.isArray(m) || m.length !== rows)
    fail(name + ": got " + describe(m) + ", expected shape (" + rows + ", " + cols + ")");
  for (let r = 0; r < rows; r++) checkVector(name + "[" + r + "]", m[r], cols);
}

function getCell(name) {
  if (!Object.prototype.hasOwnProperty.call(CELLS, name))
    fail("cellName: got " + JSON.stringify(name) + ", expected one of " + CELL_NAMES.join(", "));
  return CELLS[name];
}

function paramShapes(cellName, sizes) {
  // Every parameter's shape at these sizes ({input_size, hidden_size, proj_size, ...}),
  // in PyTorch's layout: e.g. weight_ih (G*H, I), weight_hh (G*H, H), bias_ih (G*H).
  const cell = getCell(cellName);
  const out = {};
  for (const [key, dims] of Object.entries(cell.meta.paramShapes)) {
    out[key] = dims.map(([k, size]) => {
      if (size === null) return k;
      if (!Number.isInteger(sizes[size]) || sizes[size] < 1)
        fail("sizes." + size + ": got " + String(sizes[size]) + ", expected a whole number >= 1");
      return k * sizes[size];
    });
  }
  return out;
}

function checkParams(cell, params, I) {
  // The parameters' keys and shapes; returns the sizes, read off the shapes.
  if (params === null || typeof params !== "object" || Array.isArray(params))
    fail("params: got " + describe(params) + ", expected an object of nested arrays");
  const shapes = cell.meta.paramShapes;
  const expected = Object.keys(shapes).sort();
  for (const key of expected) {
    if (!(key in params))
      fail("params: missing " + JSON.stringify(key) + "; cell " + cell.meta.name +
           " expects " + expected.join(", "));
  }
  for (const key of Object.keys(params)) {
    if (!expected.includes(key))
      fail("params: unexpected key " + JSON.stringify(key) + "; expected " + expected.join(", "));
  }
  // A size is read where it is a whole dimension (the columns of weight_hh: H), else from a
  // multiple (the rows of weight_ih: G*H); then every shape is checked against the sizes.
  const Z = {input_size: I};
  for (const whole of [true, false]) {
    for (const key of expected) {
      shapes[key].forEach(([k, size], d) => {
        if (size === null || size in Z || (whole && k !== 1)) return;
        const a = d === 0 ? params[key] : Array.isArray(params[key]) ? params[key][0] : null;
        if (Array.isArray(a) && a.length >= k && a.length % k === 0) Z[size] = a.length / k;
      });
    }
  }
  for (const size of cell.meta.sizes) {
    if (!(size in Z))
      fail("params: cannot read " + size + " off the shapes of " + expected.join(", "));
  }
  const want = paramShapes(cell.meta.name, Z);
  for (const key of expected) {
    if (want[key].length === 1) checkVector("params." + key, params[key], want[key][0]);
    else checkMatrix("params." + key, params[key], want[key][0], want[key][1]);
  }
  if (cell.meta.inputIsHidden && Z.input_size !== Z.hidden_size)
    fail("x: got input size I = " + Z.input_size + ", expected I = H = " + Z.hidden_size +
         ": cell " + cell.meta.name + " uses x_t elementwise");
  return Z;
}

function checkOverrides(cell, overrides, Z) {
  // {node: number | array of the node's size | null}: null or absent leaves the node computed
  if (overrides === null || overrides === undefined) return null;
  if (typeof overrides !== "object" || Array.isArray(overrides))
    fail("overrides: got " + describe(overrides) + ", expected an object {node: value}");
  const names = cell.meta.nodes.map((n) => n.name);
  const out = {};
  for (const name of names) out[name] = null;
  for (const [name, value] of Object.entries(overrides)) {
    if (!names.includes(name))
      fail("overrides: unknown node " + JSON.stringify(name) + " of cell " + cell.meta.name +
           "; expected one of " + names.join(", "));
    if (value === null || value === undefined) continue;
    const n = Z[cell.meta.nodes[names.indexOf(name)].size || "hidden_size"];
    if (typeof value === "number") {
      if (!Number.isFinite(value))
        fail("overrides." + name + ": got " + value + ", expected a finite number");
      out[name] = new Array(n).fill(value);
    } else {
      checkVector("overrides." + name, value, n);
      out[name] = value.slice();
    }
  }
  return out;
}

function checkStateKeys(cell, state) {
  if (typeof state !== "object" || Array.isArray(state))
    fail("state: got " + describe(state) + ", expected null or {" +
         cell.meta.states.join(", ") + "}");
  for (const key of Object.keys(state)) {
    if (!cell.meta.states.includes(key))
      fail("state: unexpected key " + JSON.stringify(key) + "; expected " +
           cell.meta.states.join(", "));
  }
  for (const s of cell.meta.states) {
    if (!(s in state))
      fail("state: missing " + JSON.stringify(s) + "; cell " + cell.meta.name + " expects " +
           cell.meta.states.join(", "));
  }
}

function step(cellName, x, params, state, overrides) {
  // One time step of one sequence: every node's values (and the terms the equations read),
  // overrides applied; state null means zeros.
  const cell = getCell(cellName);
  if (!Array.isArray(x)) fail("x: got " + describe(x) + ", expected an array of I numbers");
  const Z = checkParams(cell, params, x.length);
  checkVector("x", x, x.length);
  const given = state !== null && state !== undefined;
  if (given) checkStateKeys(cell, state);
  const S = {};
  for (const s of cell.meta.states) {
    const n = Z[cell.meta.stateSizes[s]];
    const v = given ? state[s] : new Array(n).fill(0);
    checkVector("state." + s, v, n);
    S[s] = v;
  }
  return cell.step(x, params, S, checkOverrides(cell, overrides, Z) || NONE, Z);
}

function forward(cellName, x, params, state) {
  // Like the NumPy kernel: x (T, B, I) -> {y: (T, B, size of h), and each final state (B, .)}.
  const cell = getCell(cellName);
  if (!Array.isArray(x) || x.length < 1 || !Array.isArray(x[0]) || x[0].length < 1 ||
      !Array.isArray(x[0][0]) || x[0][0].length < 1)
    fail("x: got " + describe(x) + ", expected a nested array (T, B, I) with T, B, I >= 1");
  const T = x.length, B = x[0].length, I = x[0][0].length;
  const Z = checkParams(cell, params, I);
  for (let t = 0; t < T; t++) {
    if (!Array.isArray(x[t]) || x[t].length !== B)
      fail("x[" + t + "]: got " + describe(x[t]) + ", expected " + B + " rows (B)");
    for (let b = 0; b < B; b++) checkVector("x[" + t + "][" + b + "]", x[t][b], I);
  }
  const given = state !== null && state !== undefined;
  if (given) checkStateKeys(cell, state);
  const states = [];
  for (let b = 0; b < B; b++) states.push({});
  for (const s of cell.meta.states) {
    const n = Z[cell.meta.stateSizes[s]];
    if (given) checkMatrix("state." + s, state[s], B, n);
    for (let b = 0; b < B; b++) states[b][s] = given ? state[s][b] : new Array(n).fill(0);
  }
  const y = [];
  for (let t = 0; t < T; t++) {
    const row = [];
    for (let b = 0; b < B; b++) {
      states[b] = cell.step(x[t][b], params, states[b], NONE, Z).state;
      row.push(states[b].h.slice());
    }
    y.push(row);
  }
  const out = {y: y};
  for (const s of cell.meta.states) out[s] = states.map((st) => st[s].slice());
  return out;
}
"""


def bundle_hash(names: Iterable[str], *, use_cse: bool = True) -> str:
    """Content hash of everything the bundle of ``names`` depends on."""
    h = hashlib.sha256()
    h.update(f"{GENERATOR_VERSION}|{sp.__version__}|{use_cse}|".encode())
    h.update(Path(__file__).read_bytes())
    for name in names:
        h.update(f"{name}:{kernel_input_hash(cell(name), use_cse=use_cse)}|".encode())
    return h.hexdigest()[:16]


def javascript_bundle(names: Iterable[str] = CELL_NAMES, *, use_cse: bool = True) -> str:
    """One script with the runtime and the step functions of ``names``.

    In a browser it sets ``window.gatedRef``; in Node it is ``module.exports``. Either way:
    ``forward(cellName, x, params, state)`` as the NumPy kernel (x (T, B, I) nested arrays),
    ``step(cellName, x_t, params, state, overrides)`` for one sequence's step with every node's
    values, ``paramShapes(cellName, sizes)``, ``cells[name].meta`` (see :func:`cell_metadata`),
    ``cellNames`` and ``sigmoid``.
    """
    if isinstance(names, str):
        raise ValueError(f"names: got the string {names!r}, expected a sequence of cell names")
    names = list(names)
    if not names:
        raise ValueError("names: got an empty sequence, expected at least one cell name")
    for name in names:
        if name not in CELL_NAMES:
            raise KeyError(f"names: got {name!r}, expected cell names from {CELL_NAMES}")
    if len(set(names)) != len(names):
        raise ValueError(f"names: got duplicates in {names}, expected each cell once")
    digest = bundle_hash(names, use_cse=use_cse)
    L = [
        "// Generated by gated_ref.javascript from the cells' SymPy equations: do not edit.",
        f"// generator: gated_ref.javascript v{GENERATOR_VERSION}; sympy {sp.__version__}",
        f"// input hash: {digest}",
        f"// common subexpressions eliminated: {str(use_cse).lower()}",
        f"// cells: {', '.join(names)}",
        "(function (root) {",
        _RUNTIME.strip("\n"),
        "",
    ]
    for name in names:
        L.append(javascript_source(name, use_cse=use_cse))
    L.append(f"const CELL_NAMES = {json.dumps(names)};")
    L.append("const CELLS = {")
    for name in names:
        meta = json.dumps(
            cell_metadata(name), sort_keys=True, ensure_ascii=False, separators=(",", ":")
        )
        L.append(f"  {name}: {{step: step_{name}, meta: {meta}}},")
    L.append("};")
    L.append("const api = Object.freeze({")
    L.append(f"  generator: {json.dumps('gated_ref.javascript v' + GENERATOR_VERSION)},")
    L.append(f"  sympy: {json.dumps(sp.__version__)},")
    L.append(f"  inputHash: {json.dumps(digest)},")
    L.append("  cellNames: CELL_NAMES.slice(),")
    L.append("  cells: CELLS,")
    L.append("  sigmoid: sigmoid,")
    L.append("  paramShapes: paramShapes,")
    L.append("  step: step,")
    L.append("  forward: forward,")
    L.append("});")
    L.append('if (typeof module === "object" && module.exports) module.exports = api;')
    L.append("else root.gatedRef = api;")
    L.append('})(typeof globalThis !== "undefined" ? globalThis : this);')
    return "\n".join(L) + "\n"
