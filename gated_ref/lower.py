"""Lower a cell to a NumPy module: forward and backward over a whole batched sequence.

Three stages, each testable alone (as pydy's MatrixGenerator and SymPy's lambdify):

1. :func:`plan` - the forward schedule and backward program from :mod:`gated_ref.derive`;
2. :func:`emit` - ``sympy.cse`` on each run of elementwise statements, printed as module text;
3. :func:`load` - the text, sealed with its SHA-256, written atomically to a content-addressed
   ``.py`` file and imported only when the seal matches.

Structure of the generated code: the input projection of all T steps is one GEMM before the
time loop; all recurrent gate matmuls that share a source are one fused GEMM per step; weight
gradients are one GEMM each over all T*B rows after the loop; everything else is vectorised
elementwise NumPy over the (B, H) batch.
"""

from __future__ import annotations

import hashlib
import linecache
import os
import sys
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import numpy as np
import sympy as sp
from sympy.printing.numpy import NumPyPrinter

from .derive import (
    Assign,
    BackwardProgram,
    Gemm,
    HiddenGroup,
    Project,
    Store,
    backward_program,
    forward_schedule,
    hidden_groups,
)
from .kernel import Kernel
from .spec import CellSpec

GENERATOR_VERSION = "1"


# ---- stage 1: plan -----------------------------------------------------------------------


@dataclass(frozen=True)
class Plan:
    """Everything code generation needs, derived from the spec."""

    spec: CellSpec
    forward: list[Assign | Gemm]
    backward: BackwardProgram
    groups: tuple[HiddenGroup, ...]
    cached: tuple[sp.Symbol, ...]  # forward quantities the backward pass reads, per step
    shared_adjoint: bool  # dL/d(ax) == dL/d(ah) for every gate: one buffer serves both
    used: frozenset[sp.Symbol]  # every symbol the backward pass reads
    merged_bias: frozenset[int]  # groups whose b_hh is folded into the hoisted input GEMM


def plan(spec: CellSpec) -> Plan:
    """Schedule the forward step and derive the backward program of ``spec``."""
    groups = hidden_groups(spec)
    prog = backward_program(spec)
    used: set[sp.Symbol] = set()
    for st in prog.statements:
        if isinstance(st, Assign | Store):
            used |= st.expr.free_symbols
    for s in spec.states:
        used |= prog.outgoing[s].free_symbols
    kept = used | {g.source for g in groups}  # sources also feed the weight-gradient GEMMs
    kept |= {n.rhs for n in spec.nodes if n.projection is not None}  # and the projection's
    per_step = [n.symbol for n in spec.nodes] + [spec.hidden_affine[g] for g in spec.gates]
    per_step += [spec.input_affine[g] for g in spec.gates]
    per_step += [sym for fam in spec.families for sym in fam.symbols]
    cached = tuple(s for s in per_step if s in kept and s not in spec.out.values())
    full = spec.input_gates == spec.gates == spec.recurrent_gates and not spec.families
    shared = full and all(prog.ax[g] == prog.ah[g] for g in spec.gates) and len(groups) == 1
    merged = frozenset(
        grp.index
        for grp in groups
        if grp.bias
        and all(g in spec.input_gates for g in grp.gates)
        and all(_only_as_sum(spec, g, cached) for g in grp.gates)
    )
    return Plan(spec, forward_schedule(spec), prog, groups, cached, shared, frozenset(used), merged)


def _only_as_sum(spec: CellSpec, gate: str, cached: tuple[sp.Symbol, ...]) -> bool:
    """Whether a gate's two pre-activations only ever appear added: then b_hh can join b_ih."""
    ax, ah = spec.input_affine[gate], spec.hidden_affine[gate]
    if ax in cached or ah in cached:
        return False
    total = sp.Dummy("a")
    return all(ah not in n.rhs.subs(ax, total - ah).free_symbols for n in spec.nodes)


# ---- stage 2: emit -----------------------------------------------------------------------


class KernelPrinter(NumPyPrinter):
    """NumPy printer whose sigmoid never overflows (see ``_sigmoid`` in the banner)."""

    def _print_sigmoid(self, expr: sp.Function) -> str:
        return f"_sigmoid({self._print(expr.args[0])})"

    def _print_relu(self, expr: sp.Function) -> str:
        return f"numpy.maximum({self._print(expr.args[0])}, 0)"

    def _print_step(self, expr: sp.Function) -> str:
        return f"numpy.heaviside({self._print(expr.args[0])}, 0)"


def _printer() -> KernelPrinter:
    return KernelPrinter({"fully_qualified_modules": True, "allow_unknown_functions": False})


def _cse_block(
    assigns: list[tuple[str, sp.Expr]],
    indent: str,
    use_cse: bool,
    tag: str,
    live: set[str] | None = None,
) -> list[str]:
    """Print ``name = expr`` lines, sharing common subexpressions when ``use_cse``.

    With CSE, a target whose name is not in ``live`` (read after this block) is not printed:
    its value has been substituted into the statements that use it.
    """
    printer = _printer()
    if use_cse and assigns:
        # Substitute earlier targets first: cse may hoist a subexpression of a later
        # statement above the assignment of a symbol it uses.
        defined: dict[sp.Symbol, sp.Expr] = {}
        for name, expr in assigns:
            defined[sp.Symbol(name)] = expr.xreplace(defined)
        temps = sp.numbered_symbols(f"_{tag}")
        replacements, reduced = sp.cse(list(defined.values()), symbols=temps, order="none")
    else:
        replacements, reduced = [], [e for _, e in assigns]
    lines = [f"{indent}{s} = {printer.doprint(e)}" for s, e in replacements]
    keep = [True] * len(assigns) if live is None or not use_cse else [n in live for n, _ in assigns]
    lines += [
        f"{indent}{n} = {printer.doprint(e)}"
        for (n, _), e, k in zip(assigns, reduced, keep, strict=True)
        if k
    ]
    return lines


def _rows(index: int, h: str = "H") -> str:
    return f"{index} * {h}:{index + 1} * {h}" if index else f"0:{h}"


def emit(p: Plan, *, use_cse: bool = True, input_hash: str = "") -> str:
    """The module text of the generated kernel for plan ``p``."""
    spec = p.spec
    x_index = {g: k for k, g in enumerate(spec.input_gates)}
    h_index = {g: k for k, g in enumerate(spec.recurrent_gates)}
    for grp in p.groups:
        index = h_index if grp.bias else {g: k for k, g in enumerate(grp.gates)}
        rows = [index[g] for g in grp.gates]
        if rows != list(range(rows[0], rows[0] + len(rows))):
            raise ValueError(f"cell {spec.name!r}: gates {grp.gates} are not contiguous blocks")
    bias_groups = [grp for grp in p.groups if grp.bias]
    families = [grp for grp in p.groups if not grp.bias]
    projections = [n for n in spec.nodes if n.projection is not None]
    width = {s: ("H" if spec.state_sizes[s] == "hidden_size" else "P") for s in spec.states}
    node_names = {n.symbol for n in spec.nodes}
    out_nodes = {spec.out[s]: s for s in spec.states}
    params = spec.elementwise_params
    n_x = len(spec.input_gates)
    has_x, has_h = bool(spec.input_gates), bool(spec.recurrent_gates)
    L: list[str] = []
    w = L.append
    w(f'"""Generated by gated_ref.lower from cell {spec.name!r}: do not edit.')
    w("")
    w(f"generator: gated_ref.lower v{GENERATOR_VERSION}; sympy {sp.__version__}")
    w(f"input hash: {input_hash}")
    w(f"common subexpressions eliminated: {use_cse}")
    w('"""')
    w("")
    w("import numpy")
    w("")
    w(f"CELL = {spec.name!r}")
    w(f"STATES = {spec.states!r}")
    w(f"GATES = {spec.gates!r}")
    w(f"CACHED = {tuple(s.name for s in p.cached)!r}")
    peep = {}
    for prm in params:
        peep[prm.key] = max(peep.get(prm.key, 0), prm.row + 1)
    w(f"ELEMENTWISE_PARAMS = {peep!r}")
    w("")
    w("")
    w("def _sigmoid(a):")
    w('    """Logistic sigmoid as 0.5 + 0.5 tanh(a / 2): no overflow for any finite a."""')
    w("    return 0.5 + 0.5 * numpy.tanh(0.5 * a)")
    w("")
    w("")

    def sizes_lines() -> None:
        w("    T, B, I = x.shape")
        if has_h and all(width[s] == "H" for s in spec.states):
            w("    H = params['weight_hh'].shape[1]")
        else:
            w(f"    H = params['weight_ih'].shape[0] // {n_x}")
        for node in projections:
            w(f"    P = params[{node.projection!r}].shape[0]")
        w("    dtype = x.dtype")
        if has_x:
            w("    W_ih = params['weight_ih']")
        if has_h:
            w("    W_hh = params['weight_hh']")

    def src_buffer(source: sp.Symbol) -> str:
        for s, prev in spec.prev.items():
            if source == prev:
                return f"S_{s}[:T].reshape(TB, {width[s]})"
        return f"N_{source.name}.reshape(TB, H)"

    # ---------------- forward
    w("def forward(x, params, state):")
    w('    """Run the cell over x (T, B, I); return y (T, B, H), final state, cache."""')
    sizes_lines()
    if has_h:
        w("    b_hh = params['bias_hh']")
    for prm in params:
        w(f"    {prm.symbol.name} = params[{prm.key!r}][{prm.row}]")
    if has_x:
        w("    # the input projection of all T steps: one GEMM, hoisted out of the time loop")
        w("    b_x = params['bias_ih'].copy()")
    for grp in bias_groups:
        if grp.index in p.merged_bias:
            lo, hi = h_index[grp.gates[0]], h_index[grp.gates[-1]] + 1
            xlo, xhi = x_index[grp.gates[0]], x_index[grp.gates[-1]] + 1
            w(f"    b_x[{xlo} * H:{xhi} * H] += b_hh[{lo} * H:{hi} * H]  # only ever added")
    if has_x:
        w(f"    AX = (x.reshape(T * B, I) @ W_ih.T).reshape(T, B, {n_x} * H)")
        w("    AX += b_x")
    for grp in bias_groups:
        lo, hi = h_index[grp.gates[0]], h_index[grp.gates[-1]] + 1
        w(f"    U{grp.index}T = W_hh[{lo} * H:{hi} * H].T")
        w(f"    c{grp.index} = b_hh[{lo} * H:{hi} * H]")
    for grp in families:
        w(f"    U{grp.index}T = params[{grp.key!r}].T")
    for node in projections:
        w(f"    Wp_{node.symbol.name}T = params[{node.projection!r}].T")
    for s in spec.states:
        w(f"    S_{s} = numpy.empty((T + 1, B, {width[s]}), dtype)")
        w(f"    S_{s}[0] = state[{s!r}]")
    cached_nodes = [s for s in p.cached if s in node_names]
    # recurrent pre-activations the backward pass reads (e.g. U_n h + b^h_n of the GRU)
    cached_ah = [spec.hidden_affine[g] for g in spec.gates if spec.hidden_affine[g] in p.cached]
    cached_ah += [sym for grp in families for sym in grp.symbols if sym in p.cached]
    for s in cached_nodes:
        w(f"    N_{s.name} = numpy.empty((T, B, H), dtype)")
    for sym in cached_ah:
        w(f"    A_{sym.name} = numpy.empty((T, B, H), dtype)")
    w("    for t in range(T):")
    for s in spec.states:
        w(f"        {spec.prev[s].name} = S_{s}[t]")
    for k, gate in enumerate(spec.input_gates):
        w(f"        {spec.input_affine[gate].name} = AX[t, :, {_rows(k)}]")
    if spec.input_symbol is not None:
        w(f"        {spec.input_symbol.name} = x[t]")
    pending: list[tuple[str, sp.Expr]] = []

    def flush_forward() -> None:
        L.extend(_cse_block(pending, "        ", use_cse, "f"))
        pending.clear()

    for step in p.forward:
        if isinstance(step, Assign):
            pending.append((step.target.name, step.expr))
            continue
        flush_forward()
        if isinstance(step, Project):
            w(f"        {step.target.name} = {step.source.name} @ Wp_{step.target.name}T")
            continue
        grp = step.group
        gi = grp.index
        w(f"        ah{gi} = {grp.source.name} @ U{gi}T")
        if grp.bias and gi not in p.merged_bias:
            w(f"        ah{gi} += c{gi}")
        for j, sym in enumerate(grp.symbols):
            w(f"        {sym.name} = ah{gi}[:, {_rows(j)}]")
    flush_forward()
    for s in cached_nodes:
        w(f"        N_{s.name}[t] = {s.name}")
    for sym in cached_ah:
        w(f"        A_{sym.name}[t] = {sym.name}")
    for sym, s in out_nodes.items():
        w(f"        S_{s}[t + 1] = {sym.name}")
    w("    final = {" + ", ".join(f"{s!r}: S_{s}[T].copy()" for s in spec.states) + "}")
    needs_ax = any(spec.input_affine[g] in p.cached for g in spec.input_gates)
    cache_items = ["'x': x", "'params': params"] + (["'AX': AX"] if needs_ax else [])
    cache_items += [f"'S_{s}': S_{s}" for s in spec.states]
    cache_items += [f"'N_{s.name}': N_{s.name}" for s in cached_nodes]
    cache_items += [f"'A_{sym.name}': A_{sym.name}" for sym in cached_ah]
    w("    cache = {" + ", ".join(cache_items) + "}")
    w("    # a copy: y is the caller's to change, the cache must stay as the forward left it")
    w("    return S_h[1:].copy(), final, cache")
    w("")
    w("")
    # ---------------- backward
    prog = p.backward
    w("def backward(dy, cache, dstate):")
    w('    """Gradients of every parameter, of x and of the initial state, given dL/dy."""')
    w("    x = cache['x']")
    w("    params = cache['params']")
    sizes_lines()
    if needs_ax:
        w("    AX = cache['AX']")
    for prm in params:
        w(f"    {prm.symbol.name} = params[{prm.key!r}][{prm.row}]")
    for s in spec.states:
        w(f"    S_{s} = cache['S_{s}']")
    for s in cached_nodes:
        w(f"    N_{s.name} = cache['N_{s.name}']")
    for sym in cached_ah:
        w(f"    A_{sym.name} = cache['A_{sym.name}']")
    for grp in bias_groups:
        lo, hi = h_index[grp.gates[0]], h_index[grp.gates[-1]] + 1
        w(f"    U{grp.index} = W_hh[{lo} * H:{hi} * H]")
    for grp in families:
        w(f"    U{grp.index} = params[{grp.key!r}]")
    for node in projections:
        w(f"    Wp_{node.symbol.name} = params[{node.projection!r}]")
    if has_x:
        w(f"    dAX = numpy.empty((T, B, {n_x} * H), dtype)")
    for grp in p.groups:
        if p.shared_adjoint:
            w(f"    dAH{grp.index} = dAX")
        else:
            w(f"    dAH{grp.index} = numpy.empty((T, B, {len(grp.gates)} * H), dtype)")
    for node in projections:
        w(f"    dPr_{node.symbol.name} = numpy.empty((T, B, P), dtype)")
    if spec.input_symbol is not None:
        w("    dXe = numpy.empty((T, B, H), dtype)")
    if params:
        w(f"    dP = numpy.zeros(({len(params)}, H), dtype)")
    for s in spec.states:
        w(f"    dnext_{s} = dstate[{s!r}]")
    w("    for t in range(T - 1, -1, -1):")
    for s in spec.states:
        if spec.prev[s] in p.used:
            w(f"        {spec.prev[s].name} = S_{s}[t]")
    for sym in p.cached:
        if sym in node_names:
            w(f"        {sym.name} = N_{sym.name}[t]")
    for sym, s in out_nodes.items():
        if sym in p.used:
            w(f"        {sym.name} = S_{s}[t + 1]")
    for sym in cached_ah:
        w(f"        {sym.name} = A_{sym.name}[t]")
    for k, gate in enumerate(spec.input_gates):
        if spec.input_affine[gate] in p.cached:
            w(f"        {spec.input_affine[gate].name} = AX[t, :, {_rows(k)}]")
    if spec.input_symbol is not None and spec.input_symbol in p.used:
        w(f"        {spec.input_symbol.name} = x[t]")
    for s in spec.states:
        seed = " + dy[t]" if s == "h" else ""
        w(f"        {prog.incoming[s].name} = dnext_{s}{seed}")
    group_of = {g: grp for grp in bias_groups for g in grp.gates}
    fam_of = {f"{grp.key}:{g}": (grp, j) for grp in families for j, g in enumerate(grp.gates)}
    pending_b: list[tuple[str, sp.Expr]] = []

    # names read after each backward statement: a target nobody reads later need not exist
    live_after: list[set[str]] = [set() for _ in prog.statements]
    later: set[str] = {str(x) for s in spec.states for x in prog.outgoing[s].free_symbols}
    for k in range(len(prog.statements) - 1, -1, -1):
        live_after[k] = set(later)
        st = prog.statements[k]
        if isinstance(st, Assign | Store):
            later |= {str(x) for x in st.expr.free_symbols}
        elif isinstance(st, Project):
            later.add(st.target.name)
    position = 0

    def flush_backward() -> None:
        live = live_after[position - 1] if position else set()
        live |= {n for n, _ in pending_b if n.startswith(("_store_", "dnext_"))}
        L.extend(_cse_block(pending_b, "        ", use_cse, f"b{position}_", live))
        pending_b.clear()

    store_lines: list[str] = []
    param_row = {prm.symbol.name: k for k, prm in enumerate(params)}
    for position, st in enumerate(prog.statements, start=1):  # noqa: B007 - read by flush
        if isinstance(st, Assign):
            pending_b.append((st.target.name, st.expr))
        elif isinstance(st, Store):
            name = f"_store_{st.kind}_{st.key}".replace(":", "_")
            if st.kind == "ax" and (p.shared_adjoint or prog.ah.get(st.key) == st.expr):
                continue  # the identical ah adjoint writes this block too
            pending_b.append((name, st.expr))
            if st.kind == "ah" and not p.shared_adjoint and prog.ax.get(st.key) == st.expr:
                store_lines.append(f"        dAX[t, :, {_rows(x_index[st.key])}] = {name}")
            if st.kind == "ax":
                store_lines.append(f"        dAX[t, :, {_rows(x_index[st.key])}] = {name}")
            elif st.kind == "ah":
                grp = group_of[st.key]
                j = grp.gates.index(st.key)
                store_lines.append(f"        dAH{grp.index}[t, :, {_rows(j)}] = {name}")
            elif st.kind == "fam":
                grp, j = fam_of[st.key]
                store_lines.append(f"        dAH{grp.index}[t, :, {_rows(j)}] = {name}")
            elif st.kind == "proj":
                target = next(n.symbol.name for n in projections if n.projection == st.key)
                store_lines.append(f"        dPr_{target}[t] = {name}")
            elif st.kind == "x":
                store_lines.append(f"        dXe[t] = {name}")
            else:
                store_lines.append(f"        dP[{param_row[st.key]}] += {name}.sum(axis=0)")
        elif isinstance(st, Project):  # the source's adjoint through W^T
            flush_backward()
            L.extend(store_lines)
            store_lines.clear()
            w(f"        {st.back.name} = dPr_{st.target.name}[t] @ Wp_{st.target.name}")
        else:  # Gemm: the source's adjoint through U_g^T
            flush_backward()
            L.extend(store_lines)
            store_lines.clear()
            gi = st.group.index
            w(f"        {st.target.name} = dAH{gi}[t] @ U{gi}")
    for s in spec.states:
        pending_b.append((f"dnext_{s}", prog.outgoing[s]))
    flush_backward()
    L.extend(store_lines)
    w("    TB = T * B")
    if has_x:
        w(f"    dAX2 = dAX.reshape(TB, {n_x} * H)")
    w("    grads = {}")
    w("    # weight gradients: one GEMM each over all T*B rows, after the loop")
    if has_x:
        w("    grads['weight_ih'] = dAX2.T @ x.reshape(TB, I)")
        w("    grads['bias_ih'] = dAX2.sum(axis=0)")
    if has_h:
        w("    grads['weight_hh'] = numpy.empty_like(W_hh)")
        w("    grads['bias_hh'] = numpy.empty_like(params['bias_hh'])")
    for grp in bias_groups:
        lo, hi = h_index[grp.gates[0]], h_index[grp.gates[-1]] + 1
        gi = grp.index
        src = src_buffer(grp.source)
        if p.shared_adjoint:
            w(f"    grads['weight_hh'][{lo} * H:{hi} * H] = dAX2.T @ {src}")
            w(f"    grads['bias_hh'][{lo} * H:{hi} * H] = grads['bias_ih'][{lo} * H:{hi} * H]")
            continue
        d = f"dAH{gi}.reshape(TB, {len(grp.gates)} * H)"
        w(f"    grads['weight_hh'][{lo} * H:{hi} * H] = {d}.T @ {src}")
        w(f"    grads['bias_hh'][{lo} * H:{hi} * H] = {d}.sum(axis=0)")
    for key, rows in peep.items():
        idx = [k for k, prm in enumerate(params) if prm.key == key]
        w(f"    grads[{key!r}] = dP[{idx[0]}:{idx[-1] + 1}].copy()")
        assert len(idx) == rows
    for grp in families:
        d = f"dAH{grp.index}.reshape(TB, {len(grp.gates)} * H)"
        w(f"    grads[{grp.key!r}] = {d}.T @ {src_buffer(grp.source)}")
    for node in projections:
        name = node.symbol.name
        src = src_buffer(node.rhs)
        w(f"    grads[{node.projection!r}] = dPr_{name}.reshape(TB, P).T @ {src}")
    dx = "(dAX2 @ W_ih).reshape(T, B, I)" if has_x else "numpy.zeros_like(x)"
    if spec.input_symbol is not None:
        dx += " + dXe"
    w(f"    grads['x'] = {dx}")
    for s in spec.states:
        w(f"    grads[{s!r}] = dnext_{s}")
    w("    return grads")
    return "\n".join(L) + "\n"


# ---- stage 3: load -----------------------------------------------------------------------


def _package_sources() -> bytes:
    """The package's own sources and its cells' (not ``kernel.py``: it does not shape the text)."""
    root = Path(__file__).resolve().parent
    files = sorted(root.glob("*.py")) + sorted((root / "cells").glob("*.py"))
    return b"\0".join(p.read_bytes() for p in files if p.name != "kernel.py")


def input_hash(spec: CellSpec, *, use_cse: bool = True) -> str:
    """Content hash of everything the generated module depends on."""
    h = hashlib.sha256()
    h.update(f"{GENERATOR_VERSION}|{sp.__version__}|{np.__version__}|{use_cse}|".encode())
    h.update(_package_sources())
    h.update(spec.name.encode())
    for node in spec.nodes:
        h.update(sp.srepr(node.rhs).encode() + node.symbol.name.encode())
    h.update(repr((spec.states, spec.gates, sorted(map(str, spec.hidden_source.items())))).encode())
    h.update(repr([(p.symbol.name, p.key, p.row) for p in spec.elementwise_params]).encode())
    return h.hexdigest()[:16]


def cache_dir() -> Path:
    """Where generated modules live: ``$GATED_REF_CACHE``, else ``.cache/kernels`` in the repo."""
    env = os.environ.get("GATED_REF_CACHE")
    if env:
        return Path(env)
    repo = Path(__file__).resolve().parent.parent
    if (repo / "pyproject.toml").exists():
        return repo / ".cache" / "kernels"
    return Path.home() / ".cache" / "gated_ref" / "kernels"


class KernelCacheWarning(UserWarning):
    """A cached kernel file failed its check and was generated again."""


#: The last line of every cached kernel file: the SHA-256 of all the text above it.
SEAL = "# sha256 of the text above: "


def seal(text: str) -> str:
    """``text`` followed by its seal line (what the cache writes)."""
    return f"{text}{SEAL}{hashlib.sha256(text.encode()).hexdigest()}\n"


def unseal(data: bytes) -> str | None:
    """The text of a sealed file when its seal matches, else None (edited, partial, corrupt)."""
    body, sep, tail = data.rpartition(SEAL.encode())
    if not sep or not tail.endswith(b"\n") or b"\n" in tail[:-1]:
        return None
    if hashlib.sha256(body).hexdigest().encode() != tail[:-1]:
        return None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return text


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` so that readers see the old file or the new, never half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def load(path: Path, text: str) -> ModuleType:
    """Import the generated module whose checked text is ``text`` and whose file is ``path``.

    The module is compiled from ``text``, not from a second read of the file, and
    ``inspect.getsource`` returns that same text.
    """
    name = f"gated_ref_generated_{path.stem.replace('-', '_')}"
    if name in sys.modules:
        return sys.modules[name]
    module = ModuleType(name)
    module.__file__ = str(path)
    linecache.cache[str(path)] = (len(text), None, text.splitlines(keepends=True), str(path))
    exec(compile(text, str(path), "exec"), module.__dict__)  # noqa: S102 - our own sealed text
    sys.modules[name] = module
    return module


def _read_checked(path: Path) -> str | None:
    """The text of the cached file at ``path`` if it is there and intact; warns when not intact."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    text = unseal(data)
    if text is None:
        warnings.warn(
            f"kernel cache: {path} failed its SHA-256 check (edited, truncated or corrupt; "
            f"{len(data)} bytes); generating it again",
            KernelCacheWarning,
            stacklevel=3,
        )
    return text


def generated_module(spec: CellSpec, *, use_cse: bool = True) -> tuple[Path, ModuleType]:
    """The generated module of ``spec``: from the on-disk cache, or planned, emitted, written.

    A cached file is imported only when its seal (the SHA-256 of its text) matches; a file that
    fails the check is generated again with a :class:`KernelCacheWarning`. Writers rename a
    complete temporary file into place, so processes filling the cache at once are safe.
    """
    digest = input_hash(spec, use_cse=use_cse)
    suffix = "" if use_cse else "-nocse"
    path = cache_dir() / f"{spec.name}{suffix}-{digest}.py"
    text = _read_checked(path)
    if text is None:
        text = seal(emit(plan(spec), use_cse=use_cse, input_hash=digest))
        write_atomic(path, text)
    return path, load(path, text)


def lower(spec: CellSpec | str, *, cse: bool = True) -> Kernel:
    """The generated NumPy kernel of ``spec`` (or a cell name): ``.forward``, ``.backward``."""
    from .cells import cell

    if isinstance(spec, str):
        spec = cell(spec)
    if not isinstance(spec, CellSpec):
        raise ValueError(f"spec: expected a CellSpec from gated_ref.cell(name), got {type(spec)}")
    if not isinstance(cse, bool):
        raise ValueError(f"cse: got {cse!r}, expected True or False")
    path, module = generated_module(spec, use_cse=cse)
    return Kernel(spec, path, module)
