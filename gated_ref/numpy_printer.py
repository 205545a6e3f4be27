"""Print a cell's statement program as a NumPy module: forward and backward over a batch.

Shaped like SymPy's code printers: :class:`KernelPrinter` prints one expression;
:class:`NumPyKernelPrinter` prints the module, one small method per part and one
``_forward_<Statement>`` / ``_backward_<Statement>`` method per kind of statement of
:mod:`gated_ref.program`.

Structure of the printed code: the input projection of all T steps is one GEMM before the
time loop; all recurrent gate matmuls that share a source are one fused GEMM per step; weight
gradients are one GEMM each over all T*B rows after the loop; everything else is vectorised
elementwise NumPy over the (B, H) batch.
"""

from __future__ import annotations

import sympy as sp
from sympy.printing.numpy import NumPyPrinter

from .derive import Assign, Gemm, HiddenGroup, Project, Store
from .program import Plan, Run, next_adjoint, only_as_sum
from .ufunc_chains import Compute, Line, StepWriter

GENERATOR_VERSION = "2"


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


def cse_run(
    assigns: list[tuple[str, sp.Expr]], use_cse: bool, tag: str, live: set[str] | None = None
) -> list[tuple[str, sp.Expr]]:
    """``name = expr`` statements of one run, sharing common subexpressions when ``use_cse``.

    With CSE, a target whose name is not in ``live`` (read after this run) is dropped: its
    value has been substituted into the statements that use it. A target that is just a
    temporary takes the temporary's place (``i = _f0`` becomes ``i = <_f0's expression>``), so
    that its value is computed once, where it is kept.
    """
    if not (use_cse and assigns):
        return list(assigns)
    # Substitute earlier targets first: cse may hoist a subexpression of a later
    # statement above the assignment of a symbol it uses.
    defined: dict[sp.Symbol, sp.Expr] = {}
    for name, expr in assigns:
        defined[sp.Symbol(name)] = expr.xreplace(defined)
    temps = sp.numbered_symbols(f"_{tag}")
    replacements, reduced = sp.cse(list(defined.values()), symbols=temps, order="none")
    keep = [True] * len(assigns) if live is None else [n in live for n, _ in assigns]
    targets = [(sp.Symbol(n), e) for (n, _), e, k in zip(assigns, reduced, keep, strict=True) if k]
    made = {t for t, _ in replacements}
    rename: dict[sp.Symbol, sp.Symbol] = {}
    for target, expr in targets:
        if expr in made and expr not in rename:
            rename[expr] = target
    out = [(rename.get(t, t), e.xreplace(rename)) for t, e in replacements]
    out += [(t, e.xreplace(rename)) for t, e in targets if e not in rename or rename[e] != t]
    return [(t.name, e) for t, e in out]


def _rows(index: int, h: str = "H") -> str:
    return f"{index} * {h}:{index + 1} * {h}" if index else f"0:{h}"


class NumPyKernelPrinter:
    """The module text of a generated kernel: ``NumPyKernelPrinter(plan).doprint()``."""

    def __init__(self, p: Plan, *, use_cse: bool = True, input_hash: str = "") -> None:
        spec = p.spec
        self.p, self.spec, self.use_cse, self.input_hash = p, spec, use_cse, input_hash
        self.x_index = {g: k for k, g in enumerate(spec.input_gates)}
        self.h_index = {g: k for k, g in enumerate(spec.recurrent_gates)}
        for grp in p.groups:
            index = self.h_index if grp.bias else {g: k for k, g in enumerate(grp.gates)}
            rows = [index[g] for g in grp.gates]
            if rows != list(range(rows[0], rows[0] + len(rows))):
                raise ValueError(f"cell {spec.name!r}: gates {grp.gates} are not contiguous blocks")
        self.bias_groups = [grp for grp in p.groups if grp.bias]
        self.families = [grp for grp in p.groups if not grp.bias]
        self.projections = [n for n in spec.nodes if n.projection is not None]
        self.width = {
            s: ("H" if spec.state_sizes[s] == "hidden_size" else "P") for s in spec.states
        }
        self.node_names = {n.symbol for n in spec.nodes}
        self.out_nodes = {spec.out[s]: s for s in spec.states}
        self.params = spec.elementwise_params
        self.n_x = len(spec.input_gates)
        self.has_x, self.has_h = bool(spec.input_gates), bool(spec.recurrent_gates)
        self.cached_nodes = [s for s in p.cached if s in self.node_names]
        # recurrent pre-activations the backward pass reads (e.g. U_n h + b^h_n of the GRU)
        self.cached_ah = [
            spec.hidden_affine[g] for g in spec.gates if spec.hidden_affine[g] in p.cached
        ]
        self.cached_ah += [sym for grp in self.families for sym in grp.symbols if sym in p.cached]
        self.needs_ax = any(spec.input_affine[g] in p.cached for g in spec.input_gates)
        self.peep: dict[str, int] = {}
        for prm in self.params:
            self.peep[prm.key] = max(self.peep.get(prm.key, 0), prm.row + 1)
        self.lines: list[str] = []
        self.loop_head = ""
        self.gemm_homes: dict[str, str] = {}
        # gates whose input and recurrent terms are only ever added: summed in place, in the
        # recurrent product's buffer, and read as a_<gate>
        self.summed = {
            g
            for grp in self.bias_groups
            for g in grp.gates
            if g in self.x_index and only_as_sum(spec, g, p.cached)
        }
        self.sums: dict[sp.Symbol, sp.Expr] = {}
        for g in sorted(self.summed):
            self.sums[spec.input_affine[g]] = sp.Integer(0)
            self.sums[spec.hidden_affine[g]] = sp.Symbol(f"a_{g}")
        self.widths = self._widths()

    def _widths(self) -> dict[str, str | None]:
        """Width of every batch value by name (``H`` or ``P``); per-unit weights: None."""
        spec = self.spec
        size = {"hidden_size": "H"} | {k: "P" for k in spec.sizes}
        H, P = sp.Symbol("hidden_size"), {k: sp.Symbol(k) for k in spec.sizes}  # noqa: N806
        widths: dict[str, str | None] = {}
        for s in spec.states:
            widths[spec.prev[s].name] = widths[spec.out[s].name] = self.width[s]
            widths[f"d_{s}_out"] = widths[f"dnext_{s}"] = self.width[s]
        for node in spec.nodes:
            widths[node.symbol.name] = size[str(spec.size_of(node.symbol, H, **P))]
        for sym in [*spec.input_affine.values(), *spec.hidden_affine.values()]:
            widths[sym.name] = "H"
        for sym in self.sums.values():
            if sym != 0:
                widths[str(sym)] = "H"
        for fam in spec.families:
            widths.update({sym.name: "H" for sym in fam.symbols})
        if spec.input_symbol is not None:
            widths[spec.input_symbol.name] = "H"
        for prm in self.params:
            widths[prm.symbol.name] = None
        widths |= {f"d_{name}": w for name, w in widths.items() if w is not None}
        for grp in self.p.groups:
            widths[f"d_src{grp.index}"] = widths[grp.source.name]
        for node in self.projections:
            widths[f"d_proj_{node.symbol.name}"] = widths[node.rhs.name]
        widths["dy_t"] = self.width["h"]
        return widths

    # ---- the module ------------------------------------------------------------------------
    def doprint(self) -> str:
        """The whole module's text."""
        self.lines = []
        self._banner()
        self._forward()
        self._backward()
        return "\n".join(self.lines) + "\n"

    def w(self, line: str) -> None:
        """Append one line."""
        self.lines.append(line)

    def _banner(self) -> None:
        spec, w = self.spec, self.w
        w(f'"""Generated by gated_ref.lower from cell {spec.name!r}: do not edit.')
        w("")
        w(f"generator: gated_ref.lower v{GENERATOR_VERSION}; sympy {sp.__version__}")
        w(f"input hash: {self.input_hash}")
        w(f"common subexpressions eliminated: {self.use_cse}")
        w('"""')
        w("")
        w("import numpy")
        w("")
        w(f"CELL = {spec.name!r}")
        w(f"STATES = {spec.states!r}")
        w(f"GATES = {spec.gates!r}")
        w(f"CACHED = {tuple(s.name for s in self.p.cached)!r}")
        w(f"ELEMENTWISE_PARAMS = {self.peep!r}")
        w("")
        w("")
        w("def _sigmoid(a):")
        w('    """Logistic sigmoid as 0.5 + 0.5 tanh(a / 2): no overflow for any finite a."""')
        w("    return 0.5 + 0.5 * numpy.tanh(0.5 * a)")
        w("")
        w("")

    def _sizes(self) -> None:
        spec, w = self.spec, self.w
        w("    T, B, I = x.shape")
        if self.has_h and all(self.width[s] == "H" for s in spec.states):
            w("    H = params['weight_hh'].shape[1]")
        else:
            w(f"    H = params['weight_ih'].shape[0] // {self.n_x}")
        for node in self.projections:
            w(f"    P = params[{node.projection!r}].shape[0]")
        w("    dtype = x.dtype")
        if self.has_x:
            w("    W_ih = params['weight_ih']")
        if self.has_h:
            w("    W_hh = params['weight_hh']")

    def _elementwise_params(self) -> None:
        for prm in self.params:
            self.w(f"    {prm.symbol.name} = params[{prm.key!r}][{prm.row}]")

    def _group_rows(self, grp: object) -> tuple[int, int]:
        lo, hi = self.h_index[grp.gates[0]], self.h_index[grp.gates[-1]] + 1  # type: ignore[attr-defined]
        return lo, hi

    def _source_buffer(self, source: sp.Symbol) -> str:
        for s, prev in self.spec.prev.items():
            if source == prev:
                return f"S_{s}[:T].reshape(TB, {self.width[s]})"
        return f"N_{source.name}.reshape(TB, H)"

    # ---- one step: items for the StepWriter ------------------------------------------------
    def _width_of(self, name: str) -> str | None:
        return self.widths.get(name)

    def _step(self, top: list[str], items: list[Compute | Line], indent: str = "    ") -> None:
        """Print the step's buffers (made once), then the loop's bindings and its items."""
        writer = StepWriter(self._width_of, _printer(), indent + "    ")
        body = writer.write(items)
        if writer.registers:
            self.w(f"{indent}# registers: (B, width) buffers the step's values reuse")
        for name, width in writer.registers:
            self.w(f"{indent}{name} = numpy.empty((B, {width}), dtype)")
        self.w(self.loop_head)
        self.lines.extend(f"{indent}    {line}" for line in top)
        self.lines.extend(body)

    def _computes(
        self,
        pairs: list[tuple[str, sp.Expr]],
        homes: dict[str, str],
        strided: frozenset[str] = frozenset(),
    ) -> list[Compute]:
        printer = _printer()
        return [
            Compute(
                name, expr, homes.get(name), f"{name} = {printer.doprint(expr)}", name in strided
            )
            for name, expr in pairs
        ]

    # ---- forward ---------------------------------------------------------------------------
    def _forward(self) -> None:
        self._forward_head()
        self._forward_buffers()
        self._forward_loop()
        self._forward_tail()

    def _forward_head(self) -> None:
        p, w = self.p, self.w
        w("def forward(x, params, state):")
        w('    """Run the cell over x (T, B, I); return y (T, B, H), final state, cache."""')
        self._sizes()
        if self.has_h:
            w("    b_hh = params['bias_hh']")
        self._elementwise_params()
        if self.has_x:
            w("    # the input projection of all T steps: one GEMM, hoisted out of the time loop")
            w("    b_x = params['bias_ih'].copy()")
        for grp in self.bias_groups:
            if grp.index in p.merged_bias:
                lo, hi = self._group_rows(grp)
                xlo, xhi = self.x_index[grp.gates[0]], self.x_index[grp.gates[-1]] + 1
                w(f"    b_x[{xlo} * H:{xhi} * H] += b_hh[{lo} * H:{hi} * H]  # only ever added")
        if self.has_x:
            w(f"    AX = (x.reshape(T * B, I) @ W_ih.T).reshape(T, B, {self.n_x} * H)")
            w("    AX += b_x")
        w("    # the per-step matrices, transposed once into C-contiguous copies")
        for grp in self.bias_groups:
            lo, hi = self._group_rows(grp)
            w(f"    U{grp.index}T = W_hh[{lo} * H:{hi} * H].T.copy()")
            if grp.index not in p.merged_bias:
                w(f"    c{grp.index} = b_hh[{lo} * H:{hi} * H]")
        for grp in self.families:
            w(f"    U{grp.index}T = params[{grp.key!r}].T.copy()")
        for node in self.projections:
            w(f"    Wp_{node.symbol.name}T = params[{node.projection!r}].T.copy()")

    def _forward_buffers(self) -> None:
        w = self.w
        for s in self.spec.states:
            w(f"    S_{s} = numpy.empty((T + 1, B, {self.width[s]}), dtype)")
            w(f"    S_{s}[0] = state[{s!r}]")
        for s in self.cached_nodes:
            w(f"    N_{s.name} = numpy.empty((T, B, H), dtype)")
        for sym in self.cached_ah:
            w(f"    A_{sym.name} = numpy.empty((T, B, H), dtype)")
        for grp in self.p.groups:
            w(f"    A{grp.index} = numpy.empty((B, {len(grp.gates)} * H), dtype)")

    def _forward_loop(self) -> None:
        spec = self.spec
        self.loop_head = "    for t in range(T):"
        top = [f"{spec.prev[s].name} = S_{s}[t]" for s in spec.states]
        top += [
            f"{spec.input_affine[g].name} = AX[t, :, {_rows(k)}]"
            for k, g in enumerate(spec.input_gates)
            if g not in self.summed
        ]
        if spec.input_symbol is not None:
            top.append(f"{spec.input_symbol.name} = x[t]")
        homes = {s.name: s.name for s in self.cached_nodes}
        top += [f"{s.name} = N_{s.name}[t]" for s in self.cached_nodes]
        homes |= {sym.name: sym.name for sym in self.out_nodes}
        top += [f"{sym.name} = S_{s}[t + 1]" for sym, s in self.out_nodes.items()]
        items: list[Compute | Line] = []
        for st in self.p.forward:
            items += getattr(self, f"_forward_{type(st).__name__}")(st, homes)
        for sym in self.cached_ah:
            items.append(Line(f"A_{sym.name}[t] = {{{sym.name}}}", reads=(sym.name,)))
        self._step(top, items)

    def _forward_Run(self, run: Run, homes: dict[str, str]) -> list[Compute | Line]:
        pairs = [(st.target.name, st.expr.xreplace(self.sums)) for st in run.statements]
        return list(self._computes(cse_run(pairs, self.use_cse, run.tag), homes))

    def _forward_Project(self, st: Project, homes: dict[str, str]) -> list[Compute | Line]:
        name, src = st.target.name, st.source.name
        text = f"numpy.matmul({{{src}}}, Wp_{name}T, out={{out}})"
        return [Line(text, reads=(src,), writes=name, home=homes.get(name))]

    def _forward_Gemm(self, st: Gemm, homes: dict[str, str]) -> list[Compute | Line]:
        grp = st.group
        gi, src = grp.index, grp.source.name
        items = [Line(f"numpy.matmul({{{src}}}, U{gi}T, out=A{gi})", reads=(src,))]
        if grp.bias and gi not in self.p.merged_bias:
            items.append(Line(f"A{gi} += c{gi}"))
        for lo, hi, xlo in self._summed_blocks(grp):
            cols, xcols = f"{lo} * H:{hi} * H", f"{xlo} * H:{xlo + hi - lo} * H"
            items.append(Line(f"A{gi}[:, {cols}] += AX[t, :, {xcols}]  # + input terms"))
        for j, sym in enumerate(grp.symbols):
            name = self.sums[sym].name if sym in self.sums else sym.name
            items.append(Line(f"{name} = A{gi}[:, {_rows(j)}]"))
        return items

    def _summed_blocks(self, grp: HiddenGroup) -> list[tuple[int, int, int]]:
        """Column blocks (lo, hi of the group, first x block) whose gates are summed in place."""
        blocks: list[tuple[int, int, int]] = []
        for j, gate in enumerate(grp.gates):
            if not grp.bias or gate not in self.summed:
                continue
            xk = self.x_index[gate]
            if blocks and blocks[-1][1] == j and blocks[-1][2] + j - blocks[-1][0] == xk:
                blocks[-1] = (blocks[-1][0], j + 1, blocks[-1][2])
            else:
                blocks.append((j, j + 1, xk))
        return blocks

    def _forward_tail(self) -> None:
        spec, w = self.spec, self.w
        w("    final = {" + ", ".join(f"{s!r}: S_{s}[T].copy()" for s in spec.states) + "}")
        items = ["'x': x", "'params': params"] + (["'AX': AX"] if self.needs_ax else [])
        items += [f"'S_{s}': S_{s}" for s in spec.states]
        items += [f"'N_{s.name}': N_{s.name}" for s in self.cached_nodes]
        items += [f"'A_{sym.name}': A_{sym.name}" for sym in self.cached_ah]
        w("    cache = {" + ", ".join(items) + "}")
        w("    # a copy: y is the caller's to change, the cache must stay as the forward left it")
        w("    return S_h[1:].copy(), final, cache")
        w("")
        w("")

    # ---- backward --------------------------------------------------------------------------
    def _backward(self) -> None:
        self._backward_head()
        self._backward_loop()
        self._weight_gradients()

    def _backward_head(self) -> None:
        spec, p, w = self.spec, self.p, self.w
        w("def backward(dy, cache, dstate):")
        w('    """Gradients of every parameter, of x and of the initial state, given dL/dy."""')
        w("    x = cache['x']")
        w("    params = cache['params']")
        self._sizes()
        if self.needs_ax:
            w("    AX = cache['AX']")
        self._elementwise_params()
        for s in spec.states:
            w(f"    S_{s} = cache['S_{s}']")
        for s in self.cached_nodes:
            w(f"    N_{s.name} = cache['N_{s.name}']")
        for sym in self.cached_ah:
            w(f"    A_{sym.name} = cache['A_{sym.name}']")
        for grp in self.bias_groups:
            lo, hi = self._group_rows(grp)
            w(f"    U{grp.index} = W_hh[{lo} * H:{hi} * H]")
        for grp in self.families:
            w(f"    U{grp.index} = params[{grp.key!r}]")
        for node in self.projections:
            w(f"    Wp_{node.symbol.name} = params[{node.projection!r}]")
        if self.has_x:
            w(f"    dAX = numpy.empty((T, B, {self.n_x} * H), dtype)")
        for grp in p.groups:
            if p.shared_adjoint:
                w(f"    dAH{grp.index} = dAX")
            else:
                w(f"    dAH{grp.index} = numpy.empty((T, B, {len(grp.gates)} * H), dtype)")
        for node in self.projections:
            w(f"    dPr_{node.symbol.name} = numpy.empty((T, B, P), dtype)")
        if spec.input_symbol is not None:
            w("    dXe = numpy.empty((T, B, H), dtype)")
        if self.params:
            w(f"    dP = numpy.zeros(({len(self.params)}, H), dtype)")
        w("    # each state's adjoint for the step before: two buffers, written in turn")
        for s in spec.states:
            w(f"    DN_{s} = numpy.empty((2, B, {self.width[s]}), dtype)")
            w(f"    dnext_{s} = dstate[{s!r}]")

    def _backward_loop(self) -> None:
        spec, p = self.spec, self.p
        prog = p.backward
        self.loop_head = "    for t in range(T - 1, -1, -1):"
        top = [f"{spec.prev[s].name} = S_{s}[t]" for s in spec.states if spec.prev[s] in p.used]
        top += [f"{sym.name} = N_{sym.name}[t]" for sym in p.cached if sym in self.node_names]
        top += [f"{sym.name} = S_{s}[t + 1]" for sym, s in self.out_nodes.items() if sym in p.used]
        top += [f"{sym.name} = A_{sym.name}[t]" for sym in self.cached_ah]
        top += [
            f"{spec.input_affine[g].name} = AX[t, :, {_rows(k)}]"
            for k, g in enumerate(spec.input_gates)
            if spec.input_affine[g] in p.cached
        ]
        if spec.input_symbol is not None and spec.input_symbol in p.used:
            top.append(f"{spec.input_symbol.name} = x[t]")
        homes = {next_adjoint(s).name: f"_dn_{s}" for s in spec.states}
        top += [f"_dn_{s} = DN_{s}[t % 2]" for s in spec.states]
        items: list[Compute | Line] = []
        for s in spec.states:
            incoming = prog.incoming[s].name
            if s == "h":
                top.append("dy_t = dy[t]")
                items.append(Compute(incoming, sp.Symbol("dnext_h") + sp.Symbol("dy_t")))
            else:
                top.append(f"{incoming} = dnext_{s}")
        self.gemm_homes = {
            prog.outgoing[s].name: homes.pop(next_adjoint(s).name)
            for s in spec.states
            if prog.outgoing[s].is_Symbol and prog.outgoing[s].name.startswith("d_src")
        }
        for st in p.backward_step:
            items += getattr(self, f"_backward_{type(st).__name__}")(st, homes, top)
        for s in spec.states:
            items.append(Line(f"dnext_{s} = _dn_{s}"))
        self._step(top, items)

    def _store_target(self, st: Store) -> str | None:
        """Where a per-step gradient is written, or None when an identical store writes it."""
        p, prog = self.p, self.p.backward
        if st.kind == "ax" and (p.shared_adjoint or prog.ah.get(st.key) == st.expr):
            return None  # the identical ah adjoint writes this block too
        if st.kind == "ax":
            return f"dAX[t, :, {_rows(self.x_index[st.key])}]"
        if st.kind == "ah":
            grp = next(g for g in self.bias_groups if st.key in g.gates)
            return f"dAH{grp.index}[t, :, {_rows(grp.gates.index(st.key))}]"
        if st.kind == "fam":
            matrix, gate = st.key.split(":")
            grp = next(g for g in self.families if g.key == matrix)
            return f"dAH{grp.index}[t, :, {_rows(grp.gates.index(gate))}]"
        if st.kind == "proj":
            target = next(n.symbol.name for n in self.projections if n.projection == st.key)
            return f"dPr_{target}[t]"
        if st.kind == "x":
            return "dXe[t]"
        row = next(k for k, prm in enumerate(self.params) if prm.symbol.name == st.key)
        return f"dP[{row}]"

    def _store_blocks(self, st: Store) -> int:
        """How many gate blocks share the rows of the buffer a store writes into."""
        if st.kind == "ax":
            return self.n_x
        if st.kind == "ah":
            return len(next(g for g in self.bias_groups if st.key in g.gates).gates)
        if st.kind == "fam":
            matrix = st.key.split(":")[0]
            return len(next(g for g in self.families if g.key == matrix).gates)
        return 1

    def _backward_Run(
        self, run: Run, homes: dict[str, str], top: list[str]
    ) -> list[Compute | Line]:
        p, prog = self.p, self.p.backward
        assigns: list[tuple[str, sp.Expr]] = []
        after: list[Line] = []
        strided: set[str] = set()
        homes = dict(homes)
        for st in run.statements:
            if isinstance(st, Assign):
                assigns.append((st.target.name, st.expr))
                continue
            target = self._store_target(st)
            if target is None:
                continue
            name = f"_store_{st.kind}_{st.key}".replace(":", "_")
            self.widths[name] = "P" if st.kind == "proj" else "H"
            assigns.append((name, st.expr))
            if st.kind == "ah" and not p.shared_adjoint and prog.ax.get(st.key) == st.expr:
                dup = f"dAX[t, :, {_rows(self.x_index[st.key])}]"
                after.append(Line(f"{dup} = {{{name}}}", reads=(name,)))
            if st.kind == "param":
                after.append(Line(f"{target} += {{{name}}}.sum(axis=0)", reads=(name,)))
            else:
                homes[name] = name
                top.append(f"{name} = {target}")
                if self._store_blocks(st) > 1:  # a gate's columns: a strided view
                    strided.add(name)
        live = set(run.live or ())
        live |= {n for n, _ in assigns if n.startswith(("_store_", "dnext_"))}
        pairs = cse_run(assigns, self.use_cse, run.tag, live if self.use_cse else None)
        return [*self._computes(pairs, homes, frozenset(strided)), *after]

    def _backward_Project(
        self, st: Project, homes: dict[str, str], top: list[str]
    ) -> list[Compute | Line]:
        name, back = st.target.name, st.back.name  # type: ignore[union-attr]
        text = f"numpy.matmul(dPr_{name}[t], Wp_{name}, out={{out}})"
        return [Line(text, writes=back, home=self.gemm_homes.get(back))]

    def _backward_Gemm(
        self, st: Gemm, homes: dict[str, str], top: list[str]
    ) -> list[Compute | Line]:
        gi, target = st.group.index, st.target.name  # type: ignore[union-attr]
        text = f"numpy.matmul(dAH{gi}[t], U{gi}, out={{out}})"
        return [Line(text, writes=target, home=self.gemm_homes.get(target))]

    def _weight_gradients(self) -> None:
        spec, p, w = self.spec, self.p, self.w
        w("    TB = T * B")
        if self.has_x:
            w(f"    dAX2 = dAX.reshape(TB, {self.n_x} * H)")
        w("    grads = {}")
        w("    # weight gradients: one GEMM each over all T*B rows, after the loop")
        if self.has_x:
            w("    grads['weight_ih'] = dAX2.T @ x.reshape(TB, I)")
            w("    grads['bias_ih'] = dAX2.sum(axis=0)")
        if self.has_h:
            w("    grads['weight_hh'] = numpy.empty_like(W_hh)")
            w("    grads['bias_hh'] = numpy.empty_like(params['bias_hh'])")
        for grp in self.bias_groups:
            lo, hi = self._group_rows(grp)
            gi = grp.index
            src = self._source_buffer(grp.source)
            if p.shared_adjoint:
                w(f"    grads['weight_hh'][{lo} * H:{hi} * H] = dAX2.T @ {src}")
                w(f"    grads['bias_hh'][{lo} * H:{hi} * H] = grads['bias_ih'][{lo} * H:{hi} * H]")
                continue
            d = f"dAH{gi}.reshape(TB, {len(grp.gates)} * H)"
            w(f"    grads['weight_hh'][{lo} * H:{hi} * H] = {d}.T @ {src}")
            w(f"    grads['bias_hh'][{lo} * H:{hi} * H] = {d}.sum(axis=0)")
        for key, rows in self.peep.items():
            idx = [k for k, prm in enumerate(self.params) if prm.key == key]
            w(f"    grads[{key!r}] = dP[{idx[0]}:{idx[-1] + 1}].copy()")
            assert len(idx) == rows
        for grp in self.families:
            d = f"dAH{grp.index}.reshape(TB, {len(grp.gates)} * H)"
            w(f"    grads[{grp.key!r}] = {d}.T @ {self._source_buffer(grp.source)}")
        for node in self.projections:
            name = node.symbol.name
            src = self._source_buffer(node.rhs)
            w(f"    grads[{node.projection!r}] = dPr_{name}.reshape(TB, P).T @ {src}")
        dx = "(dAX2 @ W_ih).reshape(T, B, I)" if self.has_x else "numpy.zeros_like(x)"
        if spec.input_symbol is not None:
            dx += " + dXe"
        w(f"    grads['x'] = {dx}")
        for s in spec.states:
            w(f"    grads[{s!r}] = dnext_{s}")
        w("    return grads")
