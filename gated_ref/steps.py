"""The chain rule walked step by step for a state's adjoint, from the cell's own equations.

``derive`` prints the adjoints as results. A :class:`Walk` shows how one of them comes about:
the total adjoint of a state, say the LSTM's cell state, is a sum over every node that reads
that state, in its own step and in the next one:

1. ``readers``: the chain rule, one term ``(d r / d s_t)^T delta r`` per reader ``r`` (and
   the loss term ``d l_t / d y_t`` for ``h``, since ``y_t = h_t``);
2. ``partial.<reader>``: each local derivative: ``sympy.diff`` of the reader's right-hand
   side for an elementwise node (a diagonal matrix), the matrix for an affine map (``U_k``,
   an extra recurrent matrix ``R_k`` or a projection ``W``);
3. ``substituted``: the partials put in, ``diag(v)^T u = v * u``;
4. ``next``: the terms from step t+1 are what step t+1 passes back, ``delta s_t^->``
   (``derive``'s ``grad.<s>_prev`` one step later);
5. ``result``: the adjoint as ``derive`` prints it (``adjoint.<s>_t``).

Every expression exists twice: in *display* form (the site's symbols, printed with
:meth:`Walk.latex_of`) and in *compute* form, a plain elementwise expression whose symbols name
numbers one step of a sequence provides (see :class:`WalkStep`), so a test can evaluate each
step against autograd. Nothing here is written per cell.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

import sympy as sp

from .derive import Backward, adjoint, derive
from .functions import diag
from .latex import to_latex
from .spec import CellSpec, Node

#: Suffix of the compute symbols of step t+1 (``f@next`` is f_{t+1}).
NEXT = "@next"


@dataclass(frozen=True)
class WalkStep:
    r"""One equation of a walk.

    ``compute`` is the right-hand side in compute form. Its symbols: a node's name (``o``:
    o_t), ``<state>_prev`` (s_{t-1}), the same with ``@next`` (``f@next``: f_{t+1};
    ``c_prev@next`` is c_t), ``d_<node>`` and ``d_<node>@next`` (the total adjoint
    dL/d node at t and t+1), ``d_<state>_next`` (delta s_t^->, what step t+1 passes back),
    ``dl_dy`` (d l_t / d y_t), ``UTd_<gate>@next`` (U_k^T times the adjoint of the
    recurrent pre-activation U_k s + b^h_k of gate k at t+1), ``RTd_<matrix>_<gate>@next``
    (the same for the rows of gate k of an extra recurrent matrix, R_k s) and
    ``WTd_<matrix>`` (W^T times the adjoint of a projection node W s, ``@next`` at t+1).
    """

    id: str  # <cell>.walk.<state>.<kind>[.<reader>]: stable, never a position
    kind: str  # readers, partial, substituted, next, result
    note: str  # one sentence, Markdown with inline math: what this step does
    equation: sp.Eq  # display form
    compute: sp.Expr | None  # right-hand side in compute form (None for a partial)


@dataclass(frozen=True)
class Reader:
    """A node that reads the state: in the same step (``later=False``) or in step t+1."""

    name: str  # node name, "a_<gate>" (U_k s) or "<matrix>_<gate>" (R_k s) for an affine map
    later: bool
    affine: bool  # its Jacobian is a matrix: U_k, R_k or a projection (a node then)
    of: str  # LaTeX of the reader's value, e.g. "h_{t}", "c_{t+1}", "a_{f,t+1}"
    partial: sp.Expr  # d reader / d state, display form: diag(...) or U_k
    adjoint: sp.Expr  # delta reader, display form
    term: sp.Expr  # (d reader / d state)^T delta reader, display form, substituted
    term_compute: sp.Expr  # the same in compute form (see WalkStep)
    note: str  # how the partial is found
    gate: str | None = None  # the gate whose pre-activation reads the state (U_k s, R_k s)


@dataclass(frozen=True)
class Walk:
    """The chain rule for the total adjoint of ``state``, step by step (module docstring)."""

    spec: CellSpec
    state: str
    readers: tuple[Reader, ...]
    steps: tuple[WalkStep, ...]
    names: dict[sp.Symbol, str]

    @property
    def equation_ids(self) -> list[str]:
        """The ids of :attr:`steps`, in order."""
        return [s.id for s in self.steps]

    def latex_of(self, expr: sp.Basic) -> str:
        """LaTeX of a display expression or equation of this walk."""
        return to_latex(expr, self.names)

    def latex(self, step: WalkStep) -> str:
        """``lhs = rhs`` of one step."""
        return f"{self.latex_of(step.equation.lhs)} = {self.latex_of(step.equation.rhs)}"

    def one_step_later(self, expr: sp.Expr) -> sp.Expr:
        """A display expression of step t (``derive``'s, say) written for step t+1."""
        return _Names(self.names).later(expr)


# ---- time shift of display symbols ---------------------------------------------------------

_T_MINUS = re.compile(r"t-1(?=[},])")
_T = re.compile(r"(?<=[{,])t(?=[},])")


def later_tex(tex: str) -> str:
    """The LaTeX of a quantity one step later: ``f_{t}`` -> ``f_{t+1}``, ``c_{t-1}`` ->
    ``c_{t}``, ``\\delta a_{f,t}`` -> ``\\delta a_{f,t+1}``."""
    return _T_MINUS.sub("\0", _T.sub("t+1", tex)).replace("\0", "t")


class _Names:
    """Display symbols and their LaTeX: derive's, plus the shifted ones made here."""

    def __init__(self, names: dict[sp.Symbol, str]) -> None:
        self.names = dict(names)

    def sym(self, key: str, tex: str, commutative: bool = True) -> sp.Symbol:
        s = sp.Symbol(key, commutative=commutative)
        self.names[s] = tex
        return s

    def later(self, expr: sp.Expr) -> sp.Expr:
        """``expr`` with every symbol whose LaTeX names a time replaced by its t+1 twin."""
        mapping = {}
        for s in expr.free_symbols:
            tex = self.names[s]
            shifted = later_tex(tex)
            if shifted != tex:
                mapping[s] = self.sym(s.name + NEXT, shifted, s.is_commutative)
        return expr.xreplace(mapping)


def _row(back: Backward, ident: str) -> sp.Eq | None:
    rows = dict(zip(back.equation_ids, back.equations, strict=True))
    return rows.get(f"{back.spec.name}.{ident}")


# ---- the walk -----------------------------------------------------------------------------


def walk(spec: CellSpec | str, state: str) -> Walk:
    """The chain rule for dL/d(state_t), each step an equation printed by SymPy."""
    back = derive(spec)
    if state not in back.spec.states:
        raise ValueError(
            f"state: got {state!r}, expected one of {back.spec.states} of {back.spec.name!r}"
        )
    return _walk(back.spec, state)


@cache
def _walk(spec: CellSpec, state: str) -> Walk:
    back = derive(spec)
    names = _Names(back.symbol_names)
    readers = tuple(_readers(spec, back, state, names))
    return Walk(spec, state, readers, tuple(_steps(spec, back, state, readers, names)), names.names)


def _readers(spec: CellSpec, back: Backward, state: str, names: _Names) -> list[Reader]:
    """Every node that reads ``state``: after it in step t, and in step t+1."""
    mapping = back._display_map()  # compute -> display, exactly as derive prints
    rhs_to_node = {n.rhs: n.symbol for n in spec.nodes if not n.rhs.is_Symbol}
    nodes = {n.symbol for n in spec.nodes}
    affine = (
        set(spec.input_affine.values())
        | set(spec.hidden_affine.values())
        | {sym for fam in spec.families for sym in fam.symbols}
        | ({spec.input_symbol} if spec.input_symbol is not None else set())
    )
    state_at_t = {spec.prev[s]: spec.out[s] for s in spec.states}

    def show(expr: sp.Expr) -> sp.Expr:
        return spec.to_display(expr).xreplace(mapping)

    def one_later(expr: sp.Expr) -> sp.Expr:  # compute form, step t+1
        shift = {s: sp.Symbol(s.name + NEXT) for s in expr.free_symbols & (nodes | affine)}
        return expr.xreplace({**shift, **state_at_t})

    def delta(node: sp.Symbol) -> sp.Expr:
        """delta node as derive prints it: its row's symbol, or what it is an alias of."""
        row = _row(back, f"adjoint.{node.name}_t")
        if row is not None:
            return row.lhs
        value = back.program.node_adjoints.get(node)
        return show(value) if value is not None else back._delta(node)

    here, prev = spec.out[state], spec.prev[state]
    s_tex = names.names[spec.display[here]]
    order = [n.symbol for n in spec.nodes]
    shown = [n.symbol for n in spec.nodes if not n.inline]
    out: list[Reader] = []
    for later, wrt in ((False, here), (True, prev)):
        for node in spec.nodes:
            if wrt not in node.rhs.free_symbols:
                continue
            if not later and order.index(node.symbol) < order.index(here):
                continue
            if node.projection is not None:
                out.append(_projection_reader(spec, back, node, later, s_tex, names))
                continue
            part = sp.diff(node.rhs, wrt).xreplace(rhs_to_node)
            shown_part, adj = show(part), delta(node.symbol)
            of = names.names[spec.display[node.symbol]]
            rhs = spec.equations[shown.index(node.symbol)].rhs if node.symbol in shown else None
            if later:
                shown_part, adj, of = names.later(shown_part), names.later(adj), later_tex(of)
                rhs = names.later(rhs) if rhs is not None else None
                part, adj_c = one_later(part), sp.Symbol(adjoint(node.symbol).name + NEXT)
            else:
                adj_c = adjoint(node.symbol)
            said = f", ${to_latex(rhs, names.names)}$," if rhs is not None else ""
            out.append(
                Reader(
                    node.symbol.name,
                    later,
                    False,
                    of,
                    diag(shown_part),
                    adj,
                    shown_part * adj,
                    part * adj_c,
                    f"`sympy.diff` of ${of}$'s right-hand side{said} with respect to ${s_tex}$: "
                    "an elementwise node, so its Jacobian is a diagonal matrix.",
                )
            )
    for gate in spec.recurrent_gates:  # in step t+1: the recurrent affine maps U_k s_t + b^h_k
        if spec.hidden_source[gate] != prev:
            continue
        lab = spec.gate_labels[gate]
        sub = f"_{{{lab}}}" if lab else ""
        of = later_tex(back._ah_tex(gate).removeprefix(r"\delta "))
        u = names.sym(f"1U_{gate}", f"U{sub}", commutative=False)
        ut = names.sym(f"1U^T_{gate}", f"U{sub}^{{\\top}}", commutative=False)
        adj = names.later(sp.Symbol(f"delta:ah_{gate}~", commutative=False))
        out.append(
            Reader(
                f"a_{gate}",
                True,
                True,
                of,
                u,
                adj,
                ut * adj,
                sp.Symbol(f"UTd_{gate}{NEXT}"),
                f"${of} = U{sub} {s_tex} + \\dots$ is affine in ${s_tex}$: its Jacobian is the "
                "matrix, the one rule for affine nodes.",
                gate,
            )
        )
    for fam in spec.families:  # in step t+1: the extra recurrent matrices R_k s_t (no bias)
        if fam.source != prev:
            continue
        for gate, sym in zip(fam.gates, fam.symbols, strict=True):
            r_tex = names.names[sp.Symbol(f"1R_{fam.key}_{gate}~", commutative=False)]
            of = later_tex(back._fam_tex(sym).removeprefix(r"\delta "))
            r = sp.Symbol(f"1R_{fam.key}_{gate}~", commutative=False)
            rt = names.sym(f"1R^T_{fam.key}_{gate}", "{%s}^{\\top}" % r_tex, commutative=False)
            adj = names.later(sp.Symbol(f"delta:fam_{sym.name}~", commutative=False))
            out.append(
                Reader(
                    f"{fam.key}_{gate}",
                    True,
                    True,
                    of,
                    r,
                    adj,
                    rt * adj,
                    sp.Symbol(f"RTd_{fam.key}_{gate}{NEXT}"),
                    f"${of} = {r_tex} {s_tex} + \\dots$ is affine in ${s_tex}$: its Jacobian "
                    "is the matrix, the one rule for affine nodes.",
                    gate,
                )
            )
    return out


def _projection_reader(
    spec: CellSpec,
    back: Backward,
    node: Node,
    later: bool,
    s_tex: str,
    names: _Names,
) -> Reader:
    """A projection node ``W s`` that reads the state: affine, its Jacobian is ``W``."""
    key = node.projection
    w = sp.Symbol(f"0{key}~", commutative=False)
    w_tex = names.names[w]
    wt = names.sym(f"1{key}^T", w_tex + r"^{\top}", commutative=False)
    adj = back._delta(node.symbol, commutative=False)  # as derive prints W^T delta
    of = names.names[spec.display[node.symbol]]
    compute = sp.Symbol(f"WTd_{key}")
    if later:
        adj, of, compute = names.later(adj), later_tex(of), sp.Symbol(compute.name + NEXT)
    return Reader(
        node.symbol.name,
        later,
        True,
        of,
        w,
        adj,
        wt * adj,
        compute,
        f"${of} = {w_tex} {s_tex}$ is affine in ${s_tex}$: its Jacobian is the matrix, the one "
        "rule for affine nodes.",
    )


def _steps(
    spec: CellSpec, back: Backward, state: str, readers: tuple[Reader, ...], names: _Names
) -> list[WalkStep]:
    """The five kinds of step of the module docstring, for one state."""
    name = spec.name
    s_tex = names.names[spec.display[spec.out[state]]]
    lhs = _row(back, f"adjoint.{state}_t")
    lhs = lhs.lhs if lhs is not None else back._delta(spec.out[state])
    seed, seed_c = sp.Integer(0), sp.Integer(0)
    if state == "h":
        seed = names.sym("dl:h", r"\frac{\partial \ell_{t}}{\partial y_{t}}")
        seed_c = sp.Symbol("dl_dy")
    arrow = names.sym(f"delta:{state}_next", r"\delta %s_{t}^{\rightarrow}" % state)
    now = [r for r in readers if not r.later]
    later = [r for r in readers if r.later]

    def transposed(r: Reader) -> sp.Expr:
        jac = names.sym(
            f"J^T:{r.name}:{int(r.later)}",
            r"\left(\frac{\partial %s}{\partial %s}\right)^{\top}" % (r.of, s_tex),
            commutative=False,
        )
        adj = r.adjoint
        if adj.is_commutative:  # a vector after a matrix: its non-commutative twin
            adj = names.sym(adj.name + "~", names.names[adj], commutative=False)
        return jac * adj

    def compute(chosen: list[Reader]) -> sp.Expr:
        return sp.Add(*[r.term_compute for r in chosen])

    listed = [f"${r.of}$" for r in readers]
    where = ", ".join(listed[:-1]) + (" and " if len(listed) > 1 else "") + listed[-1]
    if state == "h":
        where = where.replace(" and ", ", ") + ", and the loss $\\ell_{t}$ through $y_{t} = h_{t}$"
    steps = [
        WalkStep(
            f"{name}.walk.{state}.readers",
            "readers",
            f"${s_tex}$ is read by {where}. The chain rule sums one term per reader: "
            "its local Jacobian, transposed, times its adjoint.",
            sp.Eq(lhs, seed + sp.Add(*[transposed(r) for r in readers]), evaluate=False),
            seed_c + compute(list(readers)),
        )
    ]
    for r in readers:
        jac = names.sym(
            f"J:{r.name}:{int(r.later)}",
            r"\frac{\partial %s}{\partial %s}" % (r.of, s_tex),
            commutative=False,
        )
        steps.append(
            WalkStep(
                f"{name}.walk.{state}.partial.{r.name}{'_next' if r.later else ''}",
                "partial",
                r.note,
                sp.Eq(jac, r.partial, evaluate=False),
                None,
            )
        )
    steps += [
        WalkStep(
            f"{name}.walk.{state}.substituted",
            "substituted",
            "The partials put in: a diagonal matrix is its own transpose, and "
            "$\\operatorname{diag}(v)\\, u = v \\odot u$.",
            sp.Eq(lhs, seed + sp.Add(*[r.term for r in readers]), evaluate=False),
            seed_c + compute(list(readers)),
        ),
        WalkStep(
            f"{name}.walk.{state}.next",
            "next",
            "The terms of step $t+1$ are what step $t+1$'s backward pass computes and hands "
            f"back: [`{name}.grad.{state}_prev`](gr-eq:{name}.grad.{state}_prev) with $t+1$ "
            "for $t$.",
            sp.Eq(arrow, sp.Add(*[r.term for r in later]), evaluate=False),
            compute(later),
        ),
        WalkStep(
            f"{name}.walk.{state}.result",
            "result",
            f"What is left is step $t$'s own share: the adjoint "
            f"[`{name}.adjoint.{state}_t`](gr-eq:{name}.adjoint.{state}_t) as derived.",
            sp.Eq(lhs, seed + sp.Add(*[r.term for r in now]) + arrow, evaluate=False),
            seed_c + compute(now) + sp.Symbol(f"d_{state}_next"),
        ),
    ]
    return steps
