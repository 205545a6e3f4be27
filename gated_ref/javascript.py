"""Lower cells to JavaScript: one time step per cell, for the site's in-browser explorer.

The same three stages as :mod:`gated_ref.lower`, printed for a browser instead of NumPy:

1. plan - :func:`gated_ref.derive.forward_schedule`: the step's elementwise statements and
   its recurrent GEMMs, in execution order;
2. emit - ``sympy.cse`` over each run of elementwise statements, printed with SymPy's
   :class:`~sympy.printing.jscode.JavascriptCodePrinter` (sigmoid as ``0.5 + 0.5 tanh(a/2)``,
   which cannot overflow) inside a loop over the H units;
3. bundle - :func:`javascript_bundle`: a fixed runtime (argument checks, the affine maps, the
   loop over time and batch) plus every cell's step function and metadata, as one script that
   sets ``window.gatedRef`` in a browser and ``module.exports`` in Node.

Every node of a step can be overridden (``overrides = {"f": 1}`` forces the forget gate
open): a node's value is stored, then replaced, before any later statement reads it. So the
common subexpressions are *not* found after substituting earlier targets into later
expressions (as :mod:`gated_ref.lower` does; that would bypass an override). Instead each
temporary that ``cse`` returns is placed just before the first statement that uses it, which
is always after every node it reads: the hazard of a hoisted use above its definition cannot
arise.

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
from .derive import Assign, Gemm, forward_schedule, hidden_groups
from .functions import sigmoid
from .lower import input_hash as kernel_input_hash
from .spec import CellSpec

__all__ = [
    "GENERATOR_VERSION",
    "bundle_hash",
    "cell_metadata",
    "javascript_bundle",
    "javascript_source",
    "value_range",
]

GENERATOR_VERSION = "1"
_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")

# ---- stage 2: emit -----------------------------------------------------------------------


class StepPrinter(JavascriptCodePrinter):
    """SymPy's JavaScript printer, reading vectors at unit ``j`` and sigmoid without overflow."""

    def __init__(self, vectors: dict[str, str]) -> None:
        super().__init__({"allow_unknown_functions": False})
        self._vectors = vectors  # symbol name -> JS array variable, read as name[j]

    def _print_Symbol(self, expr: sp.Symbol) -> str:
        name = expr.name
        if name in self._vectors:
            return f"{self._vectors[name]}[j]"
        if not _IDENT.match(name):
            raise ValueError(f"symbol {name!r}: not a JavaScript identifier")
        return name

    def _print_sigmoid(self, expr: sp.Function) -> str:
        """The logistic sigmoid as ``sigmoid(a) = 0.5 + 0.5 tanh(a / 2)`` (see the runtime)."""
        return f"sigmoid({self._print(expr.args[0])})"


def _node_var(name: str) -> str:
    if not _IDENT.match(name):
        raise ValueError(f"node {name!r}: not a JavaScript identifier")
    return f"v_{name}"


def _vectors(spec: CellSpec) -> dict[str, str]:
    """Every per-unit quantity of one step, by SymPy symbol name -> JavaScript array name."""
    out = {n.symbol.name: _node_var(n.symbol.name) for n in spec.nodes}
    for g in spec.gates:
        out[spec.input_affine[g].name] = spec.input_affine[g].name
        out[spec.hidden_affine[g].name] = spec.hidden_affine[g].name
    for s in spec.states:
        out[spec.prev[s].name] = spec.prev[s].name
    for p in spec.elementwise_params:
        out[p.symbol.name] = p.symbol.name
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
        body.append(f"    {var}[j] = {printer.doprint(expr)};")
        body.append(f"    if (o_{target.name} !== null) {var}[j] = o_{target.name}[j];")
    return ["  for (let j = 0; j < H; j++) {", *body, "  }"]


def javascript_source(spec: CellSpec | str, *, use_cse: bool = True) -> str:
    """The JavaScript step function of one cell: ``step_<name>(x, P, S, ov)``.

    ``x`` is one input vector (I), ``P`` the parameters as nested arrays in PyTorch's layout,
    ``S`` the previous state (``{h: [...], c: [...]}``), ``ov`` null or the overrides, already
    checked by the runtime. It returns every per-unit quantity of the step:
    ``{ax: {gate: [...]}, ah: {gate: [...]}, nodes: {node: [...]}, state: {h, c}}``.
    """
    spec = cell(spec) if isinstance(spec, str) else spec
    if not isinstance(spec, CellSpec):
        raise TypeError(f"spec: expected a CellSpec or a cell name, got {type(spec)}")
    if not _IDENT.match(spec.name):
        raise ValueError(f"cell name {spec.name!r}: not a JavaScript identifier")
    printer = StepPrinter(_vectors(spec))
    gate_index = {g: k for k, g in enumerate(spec.gates)}
    groups = {grp.index: grp for grp in hidden_groups(spec)}
    assert groups  # every cell has a recurrent map
    L: list[str] = []
    w = L.append
    w(f"// cell {spec.name!r}: {spec.title}")
    w(f"function step_{spec.name}(x, P, S, ov) {{")
    w("  const H = P.weight_hh[0].length;")
    for s in spec.states:
        w(f"  const {spec.prev[s].name} = S.{s};")
    for p in spec.elementwise_params:
        w(f"  const {p.symbol.name} = P.{p.key}[{p.row}];")
    for g in spec.gates:
        ax = spec.input_affine[g].name
        w(f"  const {ax} = affine(P.weight_ih, P.bias_ih, {gate_index[g]}, H, x);")
    for n in spec.nodes:
        name = n.symbol.name
        w(f"  const {_node_var(name)} = new Array(H);")
        w(f"  const o_{name} = ov === null ? null : ov.{name};")
    pending: list[tuple[sp.Symbol, sp.Expr]] = []
    blocks = 0

    def flush() -> None:
        nonlocal blocks
        if pending:
            L.extend(_block(pending, printer, use_cse, f"t{blocks}_"))
            blocks += 1
            pending.clear()

    for step in forward_schedule(spec):
        if isinstance(step, Assign):
            pending.append((step.target, step.expr))
            continue
        assert isinstance(step, Gemm)
        flush()
        grp = step.group
        src = printer.doprint(grp.source).removesuffix("[j]")
        w(f"  // recurrent maps of gate(s) {', '.join(grp.gates)}: U_k {grp.source.name} + b^h_k")
        for g in grp.gates:
            ah = spec.hidden_affine[g].name
            w(f"  const {ah} = affine(P.weight_hh, P.bias_hh, {gate_index[g]}, H, {src});")
    flush()
    ax = ", ".join(f"{g}: {spec.input_affine[g].name}" for g in spec.gates)
    ah = ", ".join(f"{g}: {spec.hidden_affine[g].name}" for g in spec.gates)
    nodes = ", ".join(f"{n.symbol.name}: {_node_var(n.symbol.name)}" for n in spec.nodes)
    state = ", ".join(f"{s}: {_node_var(spec.out[s].name)}" for s in spec.states)
    w(f"  return {{ax: {{{ax}}}, ah: {{{ah}}}, nodes: {{{nodes}}}, state: {{{state}}}}};")
    w("}")
    return "\n".join(L) + "\n"


# ---- metadata the explorer shows -----------------------------------------------------------


def value_range(spec: CellSpec, node: str) -> tuple[float, float] | None:
    """Bounds of a node's values, when its expression bounds them; else None.

    sigma(...) lies in [0, 1] and tanh(...) in [-1, 1]; h_{t-1} is taken in [-1, 1] (every
    cell's h is); earlier nodes contribute their own bounds. An expression that is then
    multilinear in those bounded quantities takes its extremes at the corners of the box.
    """
    ranges: dict[sp.Symbol, tuple[float, float]] = {spec.prev["h"]: (-1.0, 1.0)}
    for n in spec.nodes:
        squashed = dict(ranges)
        counter = itertools.count()

        def squash(e: sp.Expr, squashed: dict = squashed, counter: itertools.count = counter):
            if isinstance(e, sigmoid | sp.tanh):
                d = sp.Symbol(f"__bounded{next(counter)}")
                squashed[d] = (0.0, 1.0) if isinstance(e, sigmoid) else (-1.0, 1.0)
                return d
            if e.args:
                return e.func(*[squash(a) for a in e.args])
            return e

        expr = squash(n.rhs)
        free = sorted(expr.free_symbols, key=lambda s: s.name)
        bounded = None
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
        if n.symbol.name == node:
            return bounded
    raise KeyError(f"node: got {node!r}, expected one of {[n.symbol.name for n in spec.nodes]}")


class _TemplatePrinter(StrPrinter):
    """Plain-text expression with every symbol as a placeholder the page fills with a number."""

    def _print_Symbol(self, expr: sp.Symbol) -> str:
        return f"\0{expr.name}\0"

    def _print_sigmoid(self, expr: sp.Function) -> str:
        return f"σ({self._print(expr.args[0])})"

    def _print_Mul(self, expr: sp.Mul) -> str:
        return super()._print_Mul(expr).replace("*", " · ")


def _template(expr: sp.Expr) -> list[str | dict[str, str]]:
    text = _TemplatePrinter({"order": "none"}).doprint(expr)
    parts: list[str | dict[str, str]] = []
    for k, piece in enumerate(text.split("\0")):
        if k % 2:
            parts.append({"sym": piece})
        elif piece:
            parts.append(piece)
    return parts


def _labels(spec: CellSpec) -> dict[str, str]:
    """Plain-text names of every quantity a template refers to (tooltips on the page)."""
    out: dict[str, str] = {}
    for g in spec.gates:
        lab = spec.gate_labels[g]
        sub = f"_{lab}" if lab else ""
        src = spec.hidden_source[g]
        src_text = "h_{t-1}" if src == spec.prev["h"] else f"{src.name}_t"
        out[spec.input_affine[g].name] = f"W{sub} x_t + b^x{sub}"
        out[spec.hidden_affine[g].name] = f"U{sub} {src_text} + b^h{sub}"
    for s in spec.states:
        out[spec.prev[s].name] = f"{s}_{{t-1}}"
    for n in spec.nodes:
        out[n.symbol.name] = f"{n.symbol.name}_t"
    for p in spec.elementwise_params:
        out[p.symbol.name] = f"p_{p.label} ({p.key}[{p.row}])"
    return out


def _deps(spec: CellSpec, expr: sp.Expr) -> list[str]:
    """The diagram's inputs of a node: x, previous states and earlier nodes."""
    names = {n.symbol: n.symbol.name for n in spec.nodes}
    found: list[str] = []
    for sym in sorted(expr.free_symbols, key=lambda s: s.name):
        if sym in spec.input_affine.values():
            found.append("x")
        elif sym in spec.hidden_affine.values():
            gate = next(g for g, a in spec.hidden_affine.items() if a == sym)
            src = spec.hidden_source[gate]
            found.extend(_deps(spec, src) if src not in spec.prev.values() else [src.name])
        elif sym in spec.prev.values():
            found.append(sym.name)
        elif sym in names:
            found.append(names[sym])
    return sorted(set(found))


def cell_metadata(spec: CellSpec | str) -> dict[str, object]:
    """What the explorer needs besides the maths: names, gates, node graph, bounds, templates."""
    spec = cell(spec) if isinstance(spec, str) else spec
    out_nodes = {sym: s for s, sym in spec.out.items()}
    nodes = []
    for n in spec.nodes:
        rng = value_range(spec, n.symbol.name)
        is_state = n.symbol in out_nodes
        nodes.append(
            {
                "name": n.symbol.name,
                "inline": n.inline,
                "state": out_nodes.get(n.symbol),
                "gate": not is_state and not n.inline and rng is not None,
                "deps": _deps(spec, n.rhs),
                "range": list(rng) if rng is not None else None,
                "template": _template(n.rhs),
            }
        )
    rows: dict[str, int] = {}
    for p in spec.elementwise_params:
        rows[p.key] = max(rows.get(p.key, 0), p.row + 1)
    return {
        "name": spec.name,
        "title": spec.title,
        "reference": spec.reference,
        "states": list(spec.states),
        "gates": list(spec.gates),
        "gateLabels": dict(spec.gate_labels),
        "extraParams": rows,
        "nodes": nodes,
        "labels": _labels(spec),
        "paramSymbols": {
            p.symbol.name: {"key": p.key, "row": p.row} for p in spec.elementwise_params
        },
    }


# ---- stage 3: bundle ---------------------------------------------------------------------

_RUNTIME = r"""
"use strict";

function sigmoid(a) {
  // 0.5 + 0.5 tanh(a / 2): the logistic function, with no overflow for any finite a
  return 0.5 + 0.5 * Math.tanh(0.5 * a);
}

function affine(W, b, block, H, v) {
  // rows block*H .. block*H+H-1 of W v + b
  const out = new Array(H);
  const n = v.length;
  for (let j = 0; j < H; j++) {
    const row = W[block * H + j];
    let acc = 0;
    for (let k = 0; k < n; k++) acc += row[k] * v[k];
    out[j] = acc + b[block * H + j];
  }
  return out;
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

function checkParams(cell, params, I) {
  // PyTorch's layout: weight_ih (G*H, I), weight_hh (G*H, H), bias_ih, bias_hh (G*H)
  if (params === null || typeof params !== "object")
    fail("params: got " + describe(params) + ", expected an object of nested arrays");
  const expected = ["weight_ih", "weight_hh", "bias_ih", "bias_hh"].concat(
    Object.keys(cell.meta.extraParams).sort());
  for (const key of expected) {
    if (!(key in params))
      fail("params: missing " + JSON.stringify(key) + "; cell " + cell.meta.name +
           " expects " + expected.join(", "));
  }
  for (const key of Object.keys(params)) {
    if (!expected.includes(key))
      fail("params: unexpected key " + JSON.stringify(key) + "; expected " + expected.join(", "));
  }
  const whh = params.weight_hh;
  if (!Array.isArray(whh) || !Array.isArray(whh[0]) || whh[0].length < 1)
    fail("params.weight_hh: got " + describe(whh) + ", expected a nested array (G*H, H)");
  const H = whh[0].length;
  const GH = cell.meta.gates.length * H;
  checkMatrix("params.weight_ih", params.weight_ih, GH, I);
  checkMatrix("params.weight_hh", whh, GH, H);
  checkVector("params.bias_ih", params.bias_ih, GH);
  checkVector("params.bias_hh", params.bias_hh, GH);
  for (const key of Object.keys(cell.meta.extraParams).sort())
    checkMatrix("params." + key, params[key], cell.meta.extraParams[key], H);
  return H;
}

function checkOverrides(cell, overrides, H) {
  // {node: number | array of H numbers | null}: null or absent leaves the node computed
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
    if (typeof value === "number") {
      if (!Number.isFinite(value))
        fail("overrides." + name + ": got " + value + ", expected a finite number");
      out[name] = new Array(H).fill(value);
    } else {
      checkVector("overrides." + name, value, H);
      out[name] = value.slice();
    }
  }
  return out;
}

function step(cellName, x, params, state, overrides) {
  // One time step of one sequence: every gate's and node's values, overrides applied.
  const cell = getCell(cellName);
  if (!Array.isArray(x)) fail("x: got " + describe(x) + ", expected an array of I numbers");
  const H = checkParams(cell, params, x.length);
  checkVector("x", x, x.length);
  const S = {};
  for (const s of cell.meta.states) {
    const v = state === null || state === undefined ? new Array(H).fill(0) : state[s];
    checkVector("state." + s, v, H);
    S[s] = v;
  }
  if (state !== null && state !== undefined) {
    for (const key of Object.keys(state)) {
      if (!cell.meta.states.includes(key))
        fail("state: unexpected key " + JSON.stringify(key) + "; expected " +
             cell.meta.states.join(", "));
    }
  }
  return cell.step(x, params, S, checkOverrides(cell, overrides, H));
}

function forward(cellName, x, params, state) {
  // Like the NumPy kernel: x (T, B, I) -> {y: (T, B, H), h: (B, H), c: (B, H) for LSTMs}.
  const cell = getCell(cellName);
  if (!Array.isArray(x) || x.length < 1 || !Array.isArray(x[0]) || x[0].length < 1 ||
      !Array.isArray(x[0][0]) || x[0][0].length < 1)
    fail("x: got " + describe(x) + ", expected a nested array (T, B, I) with T, B, I >= 1");
  const T = x.length, B = x[0].length, I = x[0][0].length;
  const H = checkParams(cell, params, I);
  for (let t = 0; t < T; t++) {
    if (!Array.isArray(x[t]) || x[t].length !== B)
      fail("x[" + t + "]: got " + describe(x[t]) + ", expected " + B + " rows (B)");
    for (let b = 0; b < B; b++) checkVector("x[" + t + "][" + b + "]", x[t][b], I);
  }
  const states = [];
  for (let b = 0; b < B; b++) states.push({});
  if (state !== null && state !== undefined) {
    if (typeof state !== "object" || Array.isArray(state))
      fail("state: got " + describe(state) + ", expected null or {" +
           cell.meta.states.join(", ") + "}");
    for (const key of Object.keys(state)) {
      if (!cell.meta.states.includes(key))
        fail("state: unexpected key " + JSON.stringify(key) + "; expected " +
             cell.meta.states.join(", "));
    }
  }
  for (const s of cell.meta.states) {
    if (state === null || state === undefined) {
      for (let b = 0; b < B; b++) states[b][s] = new Array(H).fill(0);
    } else {
      if (!(s in state))
        fail("state: missing " + JSON.stringify(s) + "; cell " + cell.meta.name + " expects " +
             cell.meta.states.join(", "));
      checkMatrix("state." + s, state[s], B, H);
      for (let b = 0; b < B; b++) states[b][s] = state[s][b];
    }
  }
  const y = [];
  for (let t = 0; t < T; t++) {
    const row = [];
    for (let b = 0; b < B; b++) {
      states[b] = cell.step(x[t][b], params, states[b], null).state;
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
    values, ``cells[name].meta`` (see :func:`cell_metadata`), ``cellNames`` and ``sigmoid``.
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
        meta = json.dumps(cell_metadata(name), sort_keys=True, ensure_ascii=False)
        L.append(f"  {name}: {{step: step_{name}, meta: {meta}}},")
    L.append("};")
    L.append("const api = Object.freeze({")
    L.append(f"  generator: {json.dumps('gated_ref.javascript v' + GENERATOR_VERSION)},")
    L.append(f"  sympy: {json.dumps(sp.__version__)},")
    L.append(f"  inputHash: {json.dumps(digest)},")
    L.append("  cellNames: CELL_NAMES.slice(),")
    L.append("  cells: CELLS,")
    L.append("  sigmoid: sigmoid,")
    L.append("  step: step,")
    L.append("  forward: forward,")
    L.append("});")
    L.append('if (typeof module === "object" && module.exports) module.exports = api;')
    L.append("else root.gatedRef = api;")
    L.append('})(typeof globalThis !== "undefined" ? globalThis : this);')
    return "\n".join(L) + "\n"
