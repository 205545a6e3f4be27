"""The symbolic backward pass of a cell: BPTT adjoints, parameter gradients, one-step Jacobians.

Reverse-mode differentiation over the cell's equations. Elementwise partial derivatives come
from ``sympy.diff``; the only matrix rule is the generic one for affine maps (transpose for
the input's gradient, outer products summed over time for the weight's). Nothing is written
by hand per cell.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from functools import cache, cached_property

import sympy as sp

from .functions import diag, tsum
from .latex import aligned
from .spec import CellSpec

# ---- the forward schedule ---------------------------------------------------------------


@dataclass(frozen=True)
class HiddenGroup:
    """Gates whose recurrent pre-activations come from one source: one fused GEMM.

    ``key`` is the matrix: ``weight_hh`` (with bias ``bias_hh``), or an extra recurrent matrix
    of the cell (:class:`gated_ref.spec.Family`, no bias).
    """

    index: int
    source: sp.Symbol
    gates: tuple[str, ...]
    key: str = "weight_hh"
    symbols: tuple[sp.Symbol, ...] = ()  # the pre-activation symbol of each gate

    @property
    def bias(self) -> bool:
        """Whether the group adds a bias (only ``weight_hh`` has one)."""
        return self.key == "weight_hh"


@dataclass(frozen=True)
class Project:
    """Forward: ``target = W source`` with the matrix ``key``. Backward: the source's adjoint."""

    target: sp.Symbol
    source: sp.Symbol
    key: str
    back: sp.Symbol | None = None  # backward only: symbol receiving  d_target @ W


@dataclass(frozen=True)
class Assign:
    """``target = expr``, elementwise over a (B, H) batch."""

    target: sp.Symbol
    expr: sp.Expr


@dataclass(frozen=True)
class Gemm:
    """Forward: the recurrent pre-activations of a group. Backward: the source's adjoint."""

    group: HiddenGroup
    target: sp.Symbol | None = None  # backward only: symbol receiving  dAH_g @ U_g


@dataclass(frozen=True)
class Store:
    """Backward: write an adjoint into a per-step gradient buffer."""

    kind: str  # "ax", "ah", "fam" (an extra recurrent matrix), "param", "x" or "proj"
    key: str  # gate name, "<matrix>:<gate>", the param symbol's name, "x", or a matrix name
    expr: sp.Expr


def hidden_groups(spec: CellSpec) -> tuple[HiddenGroup, ...]:
    """Group the gates by the source of their recurrent affine map, h_{t-1} first; then the
    cell's extra recurrent matrices, one group each."""
    gates = spec.recurrent_gates
    sources: list[sp.Symbol] = []
    for gate in gates:
        if spec.hidden_source[gate] not in sources:
            sources.append(spec.hidden_source[gate])
    h_prev = spec.prev["h"]
    sources.sort(key=lambda s: s != h_prev)
    groups = []
    for k, src in enumerate(sources):
        members = tuple(g for g in gates if spec.hidden_source[g] == src)
        groups.append(
            HiddenGroup(k, src, members, symbols=tuple(spec.hidden_affine[g] for g in members))
        )
    for fam in spec.families:
        groups.append(HiddenGroup(len(groups), fam.source, fam.gates, fam.key, fam.symbols))
    return tuple(groups)


def forward_schedule(spec: CellSpec) -> list[Assign | Gemm | Project]:
    """The order of one time step: each GEMM as soon as its source exists, then its users."""
    groups = hidden_groups(spec)
    done: set[sp.Symbol] = set(spec.prev.values())
    steps: list[Assign | Gemm | Project] = []
    emitted: set[int] = set()
    recurrent = {sym for grp in groups for sym in grp.symbols}

    def ready_groups() -> None:
        for grp in groups:
            if grp.index not in emitted and grp.source in done:
                steps.append(Gemm(grp))
                emitted.add(grp.index)
                done.update(grp.symbols)

    ready_groups()
    for node in spec.nodes:
        needs = {s for s in node.rhs.free_symbols if s in recurrent}
        if not needs <= done:
            raise ValueError(
                f"cell {spec.name!r}: node {node.symbol} uses {sorted(map(str, needs - done))}"
                " before their source is computed"
            )
        if node.projection is not None:
            steps.append(Project(node.symbol, node.rhs, node.projection))
        else:
            steps.append(Assign(node.symbol, node.rhs))
        done.add(node.symbol)
        ready_groups()
    return steps


@dataclass(frozen=True)
class GemmCount:
    """Matrix products of the generated kernel: per time step, and once per sequence."""

    forward_step: int  # recurrent GEMMs (one per source group) and projections, per step
    backward_step: int  # the same products transposed, for the sources' adjoints, per step
    per_sequence: int  # hoisted: x W_ih^T before the loop; dW_ih, dW_hh, ..., dx after it


def gemm_count(spec: CellSpec) -> GemmCount:
    """How many GEMMs the generated kernel of ``spec`` runs per step and per sequence."""
    steps = [st for st in forward_schedule(spec) if not isinstance(st, Assign)]
    hoisted = 0
    if spec.input_gates:
        hoisted += 3  # x W_ih^T before the loop; dW_ih and dx after it
    hoisted += len(steps)  # one weight gradient per recurrent group or projection
    return GemmCount(len(steps), len(steps), hoisted)


# ---- reverse mode ------------------------------------------------------------------------


def adjoint(sym: sp.Symbol) -> sp.Symbol:
    """The symbol of dL/d(sym) inside one step."""
    return sp.Symbol(f"d_{sym.name}")


@dataclass
class BackwardProgram:
    """One step of the backward pass, in execution order, in compute form."""

    incoming: dict[str, sp.Symbol]  # state -> symbol of dL/d state_t (from y_t and step t+1)
    statements: list[Assign | Gemm | Store | Project]
    outgoing: dict[str, sp.Expr]  # state -> dL/d state_{t-1}
    ax: dict[str, sp.Expr] = field(default_factory=dict)  # gate -> dL/d(W_k x + b^x_k)
    ah: dict[str, sp.Expr] = field(default_factory=dict)  # gate -> dL/d(U_k s + b^h_k)
    params: dict[sp.Symbol, sp.Expr] = field(default_factory=dict)  # peephole -> per-step grad
    node_adjoints: dict[sp.Symbol, sp.Expr] = field(default_factory=dict)
    fam: dict[sp.Symbol, sp.Expr] = field(default_factory=dict)  # R_k s symbol -> its adjoint
    x: sp.Expr | None = None  # dL/dx_t through x used elementwise
    proj: dict[str, sp.Expr] = field(default_factory=dict)  # matrix -> adjoint of its output


def backward_program(spec: CellSpec) -> BackwardProgram:
    """Reverse-mode pass over :func:`forward_schedule`, with local partials from sympy.diff."""
    rhs_to_node = {n.rhs: n.symbol for n in spec.nodes if not n.rhs.is_Symbol}
    differentiable = (
        {n.symbol for n in spec.nodes}
        | set(spec.input_affine.values())
        | set(spec.hidden_affine.values())
        | set(spec.prev.values())
        | {p.symbol for p in spec.elementwise_params}
        | {sym for fam in spec.families for sym in fam.symbols}
        | ({spec.input_symbol} if spec.input_symbol is not None else set())
    )
    terms: dict[sp.Symbol, list[sp.Expr]] = defaultdict(list)
    incoming = {s: sp.Symbol(f"d_{s}_out") for s in spec.states}
    for s in spec.states:
        terms[spec.out[s]].append(incoming[s])
    prog = BackwardProgram(incoming=incoming, statements=[], outgoing={})

    def total(sym: sp.Symbol) -> sp.Expr:
        return sp.Add(*terms.get(sym, []))

    schedule = forward_schedule(spec)
    # Input-side adjoints and peephole gradients are final once their first user is done:
    # store them there, so they share common subexpressions with that step's adjoints.
    first_use: dict[int, list[sp.Symbol]] = defaultdict(list)
    leaves = [spec.input_affine[g] for g in spec.input_gates] + [
        p.symbol for p in spec.elementwise_params
    ]
    if spec.input_symbol is not None:
        leaves.append(spec.input_symbol)
    for leaf in leaves:
        users = [
            j
            for j, st in enumerate(schedule)
            if isinstance(st, Assign) and leaf in st.expr.free_symbols
        ]
        first_use[min(users) if users else 0].append(leaf)
    gate_of = {spec.input_affine[g]: g for g in spec.gates}

    def store_leaves(j: int) -> None:
        for leaf in first_use.get(j, []):
            if leaf in gate_of:
                gate = gate_of[leaf]
                prog.ax[gate] = total(leaf)
                prog.statements.append(Store("ax", gate, prog.ax[gate]))
            elif leaf == spec.input_symbol:
                prog.x = total(leaf)
                prog.statements.append(Store("x", "x", prog.x))
            else:
                prog.params[leaf] = total(leaf)
                prog.statements.append(Store("param", leaf.name, prog.params[leaf]))

    for j in range(len(schedule) - 1, -1, -1):
        step = schedule[j]
        if isinstance(step, Assign):
            value = total(step.target)
            if value == 0:
                continue
            if value.is_Symbol:
                d_sym = value  # a plain alias needs no statement
            else:
                d_sym = adjoint(step.target)
                prog.statements.append(Assign(d_sym, value))
            prog.node_adjoints[step.target] = value
            for s in sorted(step.expr.free_symbols & differentiable, key=str):
                partial = sp.diff(step.expr, s).xreplace(rhs_to_node)
                if partial != 0:
                    terms[s].append(d_sym * partial)
            store_leaves(j)
        elif isinstance(step, Project):
            value = total(step.target)
            if value == 0:
                continue
            prog.node_adjoints[step.target] = value
            prog.proj[step.key] = value
            prog.statements.append(Store("proj", step.key, value))
            back = sp.Symbol(f"d_proj_{step.target.name}")
            prog.statements.append(Project(step.target, step.source, step.key, back))
            terms[step.source].append(back)
        else:
            grp = step.group
            for gate, sym in zip(grp.gates, grp.symbols, strict=True):
                value = total(sym)
                if grp.bias:
                    prog.ah[gate] = value
                    prog.statements.append(Store("ah", gate, value))
                else:
                    prog.fam[sym] = value
                    prog.statements.append(Store("fam", f"{grp.key}:{gate}", value))
            target = sp.Symbol(f"d_src{grp.index}")
            prog.statements.append(Gemm(grp, target))
            terms[grp.source].append(target)
    for s in spec.states:
        prog.outgoing[s] = total(spec.prev[s])
    return prog


# ---- one-step Jacobians (forward mode, generic) ------------------------------------------

# A Jacobian is a sum of terms diag(e) M, M a product of U_k's and diag()s: {M: e}.
Chain = tuple[object, ...]


def _jacobians(spec: CellSpec, wrt: sp.Symbol) -> dict[sp.Symbol, dict[Chain, sp.Expr]]:
    rhs_to_node = {n.rhs: n.symbol for n in spec.nodes if not n.rhs.is_Symbol}
    jac: dict[sp.Symbol, dict[Chain, sp.Expr]] = {wrt: {(): sp.Integer(1)}}
    for step in forward_schedule(spec):
        if isinstance(step, Assign):
            acc: dict[Chain, sp.Expr] = defaultdict(lambda: sp.Integer(0))
            for s in sorted(step.expr.free_symbols, key=str):
                if s not in jac:
                    continue
                partial = sp.diff(step.expr, s).xreplace(rhs_to_node)
                for chain, e in jac[s].items():
                    acc[chain] += partial * e
            jac[step.target] = {c: e for c, e in acc.items() if e != 0}
            continue
        if isinstance(step, Project):
            pairs = [(step.source, step.target, ("P", step.key))]
        else:
            grp = step.group
            pairs = [
                (grp.source, sym, ("U", gate) if grp.bias else ("R", grp.key, gate))
                for gate, sym in zip(grp.gates, grp.symbols, strict=True)
            ]
        for source, target, matrix in pairs:
            src = jac.get(source)
            if not src:
                continue
            out: dict[Chain, sp.Expr] = {}
            for chain, e in src.items():
                if e == 1:
                    out[(matrix,) + chain] = sp.Integer(1)
                else:
                    out[(matrix, ("diag", e)) + chain] = sp.Integer(1)
            jac[target] = out
    return jac


@dataclass(frozen=True)
class Jacobian:
    """d(state_t)/d(state_{t-1}) as a sum of ``diag(coefficient) @ chain`` terms."""

    of: str
    wrt: str
    terms: tuple[tuple[Chain, sp.Expr], ...]  # compute form


# ---- the public object ------------------------------------------------------------------


@dataclass(frozen=True)
class Backward:
    """The symbolic backward pass of a cell: ``.equations`` (display), ``.latex()``."""

    spec: CellSpec
    program: BackwardProgram = field(repr=False)

    @cached_property
    def jacobians(self) -> tuple[Jacobian, ...]:
        """Every one-step Jacobian d s_t / d s'_{t-1} between the cell's states."""
        out = []
        for wrt in self.spec.states:
            jac = _jacobians(self.spec, self.spec.prev[wrt])
            for of in self.spec.states:
                terms = jac.get(self.spec.out[of], {})
                ordered = sorted(terms.items(), key=lambda kv: _chain_key(kv[0]))
                out.append(Jacobian(of, wrt, tuple((c, sp.factor_terms(e)) for c, e in ordered)))
        return tuple(out)

    # display ------------------------------------------------------------------------------
    def _sym(self, key: str, tex: str, commutative: bool = True) -> sp.Symbol:
        sym = sp.Symbol(key, commutative=commutative)
        self._names[sym] = tex
        return sym

    @cached_property
    def _names(self) -> dict[sp.Symbol, str]:
        return dict(self.spec.symbol_names)

    def _delta(self, what: sp.Symbol, commutative: bool = True) -> sp.Symbol:
        tex = r"\delta " + self._names[self.spec.display[what]]
        key = f"delta:{what.name}" + ("" if commutative else "~")
        return self._sym(key, tex, commutative)

    def _display_map(self) -> dict[sp.Symbol, sp.Expr]:
        spec, mapping = self.spec, dict(self.spec.display)
        for s in spec.states:
            mapping[self.program.incoming[s]] = self._sym(f"delta:{s}_out", r"\delta %s_{t}" % s)
        for node in spec.nodes:
            mapping[adjoint(node.symbol)] = self._delta(node.symbol)
        for grp in hidden_groups(spec):
            mapping[sp.Symbol(f"d_src{grp.index}")] = self._gemm_back_display(grp)
        for node in spec.nodes:
            if node.projection is not None:
                w_t = self._sym(
                    f"1{node.projection}^T", self._matrix_tex(node.projection) + "^{\\top}", False
                )
                delta = self._delta(node.symbol, commutative=False)
                mapping[sp.Symbol(f"d_proj_{node.symbol.name}")] = w_t * delta
        return mapping

    def _matrix_tex(self, key: str) -> str:
        name = self.spec.symbol_names[sp.Symbol(f"0{key}~", commutative=False)]
        return name

    def _gate_sub(self, gate: str) -> str:
        lab = self.spec.gate_labels[gate]
        return f"_{{{lab},t}}" if lab else "_{t}"

    def _gemm_back_display(self, grp: HiddenGroup) -> sp.Expr:
        total = sp.Integer(0)
        for gate, sym in zip(grp.gates, grp.symbols, strict=True):
            lab = self.spec.gate_labels[gate]
            if grp.bias:
                u_t = self._sym(
                    f"1U^T_{gate}", r"U%s^{\top}" % (f"_{{{lab}}}" if lab else ""), False
                )
                total += u_t * self._sym(f"delta:ah_{gate}~", self._ah_tex(gate), False)
            else:
                r_tex = self.spec.symbol_names[self._family_matrix(grp.key, gate)]
                r_t = self._sym(f"1R^T_{grp.key}_{gate}", "{%s}^{\\top}" % r_tex, False)
                total += r_t * self._sym(f"delta:fam_{sym.name}~", self._fam_tex(sym), False)
        return total

    def _family_matrix(self, key: str, gate: str) -> sp.Symbol:
        return sp.Symbol(f"1R_{key}_{gate}~", commutative=False)

    def _fam_tex(self, sym: sp.Symbol) -> str:
        """The adjoint of an extra recurrent term: the gate's, when they are equal."""
        gate = sym.name.rsplit("_", 1)[1]
        value = self.program.fam[sym]
        if value == self.program.ax.get(gate):
            return self._ax_tex(gate)
        if value == self.program.ah.get(gate):
            return self._ah_tex(gate)
        return r"\delta r%s" % self._gate_sub(gate)

    def _merged(self, gate: str) -> bool:
        prog = self.program
        return gate not in prog.ax or gate not in prog.ah or prog.ax[gate] == prog.ah[gate]

    def _ah_tex(self, gate: str) -> str:
        merged = self._merged(gate)
        return r"\delta a%s%s" % ("" if merged else "^{h}", self._gate_sub(gate))

    def _ax_tex(self, gate: str) -> str:
        merged = self._merged(gate)
        return r"\delta a%s%s" % ("" if merged else "^{x}", self._gate_sub(gate))

    @cached_property
    def _rows(self) -> list[tuple[str, sp.Eq]]:
        spec, prog = self.spec, self.program
        mapping = self._display_map()

        def show(expr: sp.Expr) -> sp.Expr:
            return spec.to_display(expr).xreplace(mapping)

        rows: list[tuple[str, sp.Eq]] = []
        # What reaches state s_t from outside the step: dl_t/dy_t (for h) and step t+1.
        for s in spec.states:
            rest = self._sym(f"delta:{s}_next", r"\delta %s_{t}^{\rightarrow}" % s)
            seed = self._sym(f"dl:{s}", r"\frac{\partial \ell_{t}}{\partial y_{t}}")
            value = rest + seed if s == "h" else rest
            if prog.node_adjoints.get(spec.out[s]) == prog.incoming[s]:
                rows.append((f"adjoint.{s}_t", sp.Eq(mapping[prog.incoming[s]], value)))
            else:
                mapping[prog.incoming[s]] = value
        for node_sym, value in prog.node_adjoints.items():  # in the order they are computed
            if not value.is_Symbol:
                eq = sp.Eq(self._delta(node_sym), show(value))
                rows.append((f"adjoint.{node_sym.name}_t", eq))
        for gate in spec.gates:
            lab = gate
            if gate in prog.ax:
                ax_sym = self._sym(f"delta:ax_{gate}", self._ax_tex(gate))
                rows.append((f"adjoint.a_{lab}", sp.Eq(ax_sym, show(prog.ax[gate]))))
            if gate in prog.ah and (gate not in prog.ax or prog.ax[gate] != prog.ah[gate]):
                ah_sym = self._sym(f"delta:ah_{gate}", self._ah_tex(gate))
                key = "adjoint.ah" if gate in prog.ax else "adjoint.a"
                rows.append((f"{key}_{lab}", sp.Eq(ah_sym, show(prog.ah[gate]))))
        for s in spec.states:
            lhs = self._sym(f"delta:{s}_prev", r"\delta %s_{t-1}^{\rightarrow}" % s)
            rows.append((f"grad.{s}_prev", sp.Eq(lhs, show(prog.outgoing[s]))))
        # parameter gradients: outer products summed over time
        x_t = self._sym("0x^T", r"x_{t}^{\top}", False)
        groups = hidden_groups(spec)

        def transposed(src: sp.Symbol) -> sp.Symbol:
            src_tex = self._names[spec.display[src]]
            if not src_tex.startswith(r"\left("):
                src_tex = r"\left(%s\right)" % src_tex if " " in src_tex else src_tex
            return self._sym(f"1src^T_{src.name}", src_tex + r"^{\top}", False)

        for gate in spec.gates:
            lab = spec.gate_labels[gate]
            sub = f"_{{{lab}}}" if lab else ""
            dax = self._sym(f"delta:ax_{gate}~", self._ax_tex(gate), False)
            dah = self._sym(f"delta:ah_{gate}~", self._ah_tex(gate), False)
            w = self._sym(f"dW_{gate}", r"\frac{\partial \mathcal{L}}{\partial W%s}" % sub)
            u = self._sym(f"dU_{gate}", r"\frac{\partial \mathcal{L}}{\partial U%s}" % sub)
            both = gate in prog.ax and gate in prog.ah
            bx_tex = r"\frac{\partial \mathcal{L}}{\partial b%s%s}" % ("^{x}" if both else "", sub)
            bh_tex = r"\frac{\partial \mathcal{L}}{\partial b%s%s}" % ("^{h}" if both else "", sub)
            if gate in prog.ax:
                rows.append((f"grad.W_{gate}", sp.Eq(w, tsum(dax * x_t))))
            if gate in prog.ah:
                src = next(g.source for g in groups if g.bias and gate in g.gates)
                rows.append((f"grad.U_{gate}", sp.Eq(u, tsum(dah * transposed(src)))))
            if gate in prog.ax:
                bx = self._sym(f"dbx_{gate}", bx_tex)
                rows.append((f"grad.bx_{gate}", sp.Eq(bx, tsum(dax))))
            if gate in prog.ah:
                bh = self._sym(f"dbh_{gate}", bh_tex)
                rows.append((f"grad.bh_{gate}", sp.Eq(bh, tsum(dah))))
        for grp in groups:
            if grp.bias:
                continue
            for gate, sym in zip(grp.gates, grp.symbols, strict=True):
                r_tex = spec.symbol_names[self._family_matrix(grp.key, gate)]
                lhs = self._sym(
                    f"dR_{grp.key}_{gate}", r"\frac{\partial \mathcal{L}}{\partial %s}" % r_tex
                )
                d = self._sym(f"delta:fam_{sym.name}~", self._fam_tex(sym), False)
                rows.append(
                    (f"grad.{grp.key}_{gate}", sp.Eq(lhs, tsum(d * transposed(grp.source))))
                )
        for node in spec.nodes:
            if node.projection is None:
                continue
            lhs = self._sym(
                f"dP_{node.projection}",
                r"\frac{\partial \mathcal{L}}{\partial %s}" % self._matrix_tex(node.projection),
            )
            d = self._delta(node.symbol, commutative=False)
            rows.append((f"grad.{node.projection}", sp.Eq(lhs, tsum(d * transposed(node.rhs)))))
        for p in spec.elementwise_params:
            tex = f"{p.name}_{{{p.label}}}" if p.label else p.name
            lhs = self._sym(
                f"dp_{p.symbol.name}", r"\frac{\partial \mathcal{L}}{\partial %s}" % tex
            )
            rows.append((f"grad.{p.symbol.name}", sp.Eq(lhs, tsum(show(prog.params[p.symbol])))))
        dx = self._sym("dx", r"\frac{\partial \mathcal{L}}{\partial x_{t}}")
        dx_sum = sp.Integer(0)
        for gate in spec.input_gates:
            lab = spec.gate_labels[gate]
            w_t = self._sym(f"0W^T_{gate}", r"W%s^{\top}" % (f"_{{{lab}}}" if lab else ""), False)
            dx_sum += w_t * self._sym(f"delta:ax_{gate}~", self._ax_tex(gate), False)
        if prog.x is not None:
            dx_sum += show(prog.x)
        rows.append(("grad.x_t", sp.Eq(dx, dx_sum)))
        # one-step Jacobians
        for jac in self.jacobians:
            lhs = self._sym(
                f"J:{jac.of}:{jac.wrt}",
                r"\frac{\partial %s_{t}}{\partial %s_{t-1}}" % (jac.of, jac.wrt),
            )
            rows.append((f"jacobian.{jac.of}_{jac.wrt}", sp.Eq(lhs, self._chain_sum(jac, show))))
        return [(f"{spec.name}.{key}", eq) for key, eq in rows]

    def _chain_sum(self, jac: Jacobian, show) -> sp.Expr:  # noqa: ANN001
        total = sp.Integer(0)
        for chain, e in jac.terms:
            # diag(1), the identity as a diagonal, only where it stands alone (the CEC)
            factors: list[sp.Expr] = [] if e == 1 and chain else [diag(show(e))]
            for item in chain:
                if item[0] == "U":
                    lab = self.spec.gate_labels[item[1]]
                    factors.append(
                        self._sym(f"1U_{item[1]}", "U" + (f"_{{{lab}}}" if lab else ""), False)
                    )
                elif item[0] == "R":
                    factors.append(self._family_matrix(item[1], item[2]))
                elif item[0] == "P":
                    factors.append(sp.Symbol(f"0{item[1]}~", commutative=False))
                else:
                    factors.append(diag(show(item[1])))
            total += sp.Mul(*factors)
        return total

    @property
    def equations(self) -> list[sp.Eq]:
        """Adjoints, parameter gradients and Jacobians, in vector notation."""
        return [eq for _, eq in self._rows]

    @property
    def equation_ids(self) -> list[str]:
        """Stable ids of :attr:`equations`, e.g. ``lstm.adjoint.c_t``, ``lstm.grad.c_prev``."""
        return [key for key, _ in self._rows]

    @property
    def symbol_names(self) -> dict[sp.Symbol, str]:
        """LaTeX name of every display symbol used in :attr:`equations`."""
        _ = self._rows
        return dict(self._names)

    def latex_of(self, expr: sp.Basic) -> str:
        """LaTeX of one display expression or equation."""
        from .latex import to_latex

        _ = self._rows
        return to_latex(expr, self._names)

    def latex(self) -> str:
        r"""All backward equations as one ``\begin{aligned}`` block."""
        return aligned([(self.latex_of(e.lhs), self.latex_of(e.rhs)) for e in self.equations])


def _chain_key(chain: Chain) -> str:
    return "".join(
        str(item[1]) if item[0] == "U" else "d" if item[0] == "diag" else str(item[1:])
        for item in chain
    )


def derive(spec: CellSpec | str) -> Backward:
    """The symbolic backward pass of ``spec`` (or a cell name): adjoints, gradients, Jacobians."""
    if isinstance(spec, str):
        from .cells import cell

        spec = cell(spec)
    if not isinstance(spec, CellSpec):  # before the cache: it would hash the argument first
        raise ValueError(f"spec: expected a CellSpec from gated_ref.cell(name), got {type(spec)}")
    return _derive(spec)


@cache
def _derive(spec: CellSpec) -> Backward:
    return Backward(spec, backward_program(spec))
