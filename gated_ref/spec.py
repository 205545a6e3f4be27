"""The symbolic cell: a few elementwise SymPy equations fed by affine maps of x_t and h_{t-1}.

A cell is declared with :class:`CellBuilder` in one small module under ``gated_ref/cells``.
Only two kinds of node exist: the *affine* pre-activations (``W_k x_t + b^x_k`` and
``U_k s + b^h_k``, where ``s`` is ``h_{t-1}`` or an earlier node) and *elementwise* nodes, any
SymPy expression of other symbols. Everything else (gradients, code, LaTeX) is derived.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sympy as sp

from .latex import aligned, to_latex


@dataclass(frozen=True)
class Node:
    """One elementwise equation ``symbol = rhs``, evaluated in declaration order."""

    symbol: sp.Symbol
    rhs: sp.Expr
    inline: bool = False  # shown inside other equations rather than as an equation of its own


@dataclass(frozen=True)
class ElementwiseParam:
    """A parameter vector applied elementwise (a peephole), stored as one row of a matrix."""

    symbol: sp.Symbol
    key: str  # parameter name, e.g. "weight_peephole"
    row: int  # its row in that matrix
    label: str  # the gate it belongs to, e.g. "i"


@dataclass(frozen=True, eq=False)
class CellSpec:
    """A recurrent cell written once, symbolically. See the module docstring."""

    name: str
    title: str
    reference: str
    states: tuple[str, ...]
    gates: tuple[str, ...]
    nodes: tuple[Node, ...]
    input_affine: dict[str, sp.Symbol]  # gate -> symbol of W_k x_t + b^x_k
    hidden_affine: dict[str, sp.Symbol]  # gate -> symbol of U_k s + b^h_k
    hidden_source: dict[str, sp.Symbol]  # gate -> s (h_prev or a node symbol)
    prev: dict[str, sp.Symbol]  # state -> its value at t-1
    out: dict[str, sp.Symbol]  # state -> node holding its value at t
    elementwise_params: tuple[ElementwiseParam, ...]
    display: dict[sp.Symbol, sp.Expr] = field(repr=False)  # compute symbol -> display expr
    symbol_names: dict[sp.Symbol, str] = field(repr=False)  # display symbol -> LaTeX
    gate_labels: dict[str, str] = field(repr=False)

    # ---- shapes -------------------------------------------------------------------------
    @property
    def num_gates(self) -> int:
        """G: the number of gate blocks stacked in ``weight_ih`` / ``weight_hh``."""
        return len(self.gates)

    def param_shapes(self, input_size: int, hidden_size: int) -> dict[str, tuple[int, ...]]:
        """Shape of every parameter, in PyTorch's names and layout."""
        g, n_in, n_h = self.num_gates, input_size, hidden_size
        shapes: dict[str, tuple[int, ...]] = {
            "weight_ih": (g * n_h, n_in),
            "weight_hh": (g * n_h, n_h),
            "bias_ih": (g * n_h,),
            "bias_hh": (g * n_h,),
        }
        for key in sorted({p.key for p in self.elementwise_params}):
            rows = 1 + max(p.row for p in self.elementwise_params if p.key == key)
            shapes[key] = (rows, n_h)
        return shapes

    def parameter_count(self) -> sp.Expr:
        """Number of parameters as a SymPy expression in the symbols ``I`` and ``H``."""
        n_in, n_h = sp.symbols("I H", positive=True, integer=True)
        total = sp.Integer(0)
        for shape in self.param_shapes(n_in, n_h).values():
            total += sp.Mul(*shape)
        return sp.expand(total)

    # ---- display ------------------------------------------------------------------------
    def to_display(self, expr: sp.Expr) -> sp.Expr:
        """Rewrite a compute-form expression in the vector notation shown on the site."""
        merged = expr
        for gate in self.gates:
            ax, ah = self.input_affine[gate], self.hidden_affine[gate]
            both = self.display.get(sp.Symbol(f"__a_{gate}"))
            if both is not None:
                merged = merged.subs(ax + ah, sp.Symbol(f"__a_{gate}"))
        mapping = {s: d for s, d in self.display.items()}
        return merged.xreplace(mapping)

    def latex_of(self, expr: sp.Basic) -> str:
        """LaTeX of a display expression, with the site's symbol names.

        A state update prints the term carrying the previous state first, in every cell.
        """
        carry = frozenset(self.display[s] for s in self.prev.values())
        return to_latex(expr, self.symbol_names, carry)

    @property
    def equations(self) -> list[sp.Eq]:
        """The forward equations in vector notation, one per displayed node."""
        return [
            sp.Eq(self.display[n.symbol], self.to_display(n.rhs), evaluate=False)
            for n in self.nodes
            if not n.inline
        ]

    @property
    def equation_ids(self) -> list[str]:
        """Stable ids of :attr:`equations`: ``<cell>.<node>_t``, never positional."""
        return [f"{self.name}.{n.symbol.name}_t" for n in self.nodes if not n.inline]

    def latex(self) -> str:
        r"""The forward equations as one ``\begin{aligned}`` block."""
        return aligned([(self.latex_of(e.lhs), self.latex_of(e.rhs)) for e in self.equations])


class CellBuilder:
    """Declares a cell: its states, gate blocks (PyTorch order) and elementwise equations."""

    def __init__(
        self,
        name: str,
        *,
        title: str,
        reference: str,
        states: tuple[str, ...],
        gates: tuple[str, ...],
        gate_labels: dict[str, str] | None = None,
    ) -> None:
        self.name, self.title, self.reference = name, title, reference
        self.states, self.gates = states, gates
        self.gate_labels = {g: g for g in gates} | (gate_labels or {})
        self._nodes: list[Node] = []
        self._params: list[ElementwiseParam] = []
        self.prev = {s: sp.Symbol(f"{s}_prev") for s in states}
        self.input_affine = {g: sp.Symbol(f"ax_{g}") for g in gates}
        self.hidden_affine = {g: sp.Symbol(f"ah_{g}") for g in gates}
        self.hidden_source: dict[str, sp.Symbol] = {g: self.prev["h"] for g in gates}

    def ax(self, gate: str) -> sp.Symbol:
        """The input pre-activation of a gate: ``W_k x_t + b^x_k``."""
        return self.input_affine[gate]

    def ah(self, gate: str, source: sp.Symbol | None = None) -> sp.Symbol:
        """The recurrent pre-activation of a gate: ``U_k s + b^h_k``, s = h_{t-1} by default."""
        if source is not None:
            self.hidden_source[gate] = source
        return self.hidden_affine[gate]

    def state(self, name: str) -> sp.Symbol:
        """The previous value of a state, e.g. ``c_{t-1}``."""
        return self.prev[name]

    def peepholes(self, key: str, labels: tuple[str, ...]) -> dict[str, sp.Symbol]:
        """Elementwise weight vectors stored as the rows of parameter ``key``."""
        out = {}
        for row, label in enumerate(labels):
            sym = sp.Symbol(f"p_{label}")
            self._params.append(ElementwiseParam(sym, key, row, label))
            out[label] = sym
        return out

    def node(self, name: str, rhs: sp.Expr, *, inline: bool = False) -> sp.Symbol:
        """Append the elementwise equation ``name = rhs`` and return its symbol."""
        sym = sp.Symbol(name)
        self._nodes.append(Node(sym, sp.sympify(rhs), inline))
        return sym

    def build(self) -> CellSpec:
        """Check the declaration and return the immutable :class:`CellSpec`."""
        names = [n.symbol.name for n in self._nodes]
        missing = [s for s in self.states if s not in names]
        if missing:
            raise ValueError(f"cell {self.name!r}: no equation defines state(s) {missing}")
        out = {s: sp.Symbol(s) for s in self.states}
        display, symbol_names = self._display(out)
        return CellSpec(
            name=self.name,
            title=self.title,
            reference=self.reference,
            states=self.states,
            gates=self.gates,
            nodes=tuple(self._nodes),
            input_affine=dict(self.input_affine),
            hidden_affine=dict(self.hidden_affine),
            hidden_source=dict(self.hidden_source),
            prev=dict(self.prev),
            out=out,
            elementwise_params=tuple(self._params),
            display=display,
            symbol_names=symbol_names,
            gate_labels=dict(self.gate_labels),
        )

    # The vector notation of the site: one display symbol per quantity, with its LaTeX name.
    def _display(
        self, out: dict[str, sp.Symbol]
    ) -> tuple[dict[sp.Symbol, sp.Expr], dict[sp.Symbol, str]]:
        names: dict[sp.Symbol, str] = {}
        display: dict[sp.Symbol, sp.Expr] = {}

        def vec(key: str, tex: str, commutative: bool = True) -> sp.Symbol:
            sym = sp.Symbol(f"{key}{'' if commutative else '~'}", commutative=commutative)
            names[sym] = tex
            return sym

        def sub(label: str) -> str:
            return f"_{{{label}}}" if label else ""

        # Symbol names only fix the order SymPy sorts terms and factors in (LaTeX comes from
        # `names`): x after W, nodes in declaration order, previous states last.
        x_nc = vec("0x_t", "x_{t}", commutative=False)
        for s, sym in self.prev.items():
            display[sym] = vec(f"9{s}_(t-1)", f"{s}_{{t-1}}")
        inline_tex: dict[sp.Symbol, str] = {}
        for k, n in enumerate(self._nodes):
            tex = f"{_tex_name(n.symbol.name)}_{{t}}"
            display[n.symbol] = vec(f"{k:02d}{n.symbol.name}_t", tex)
        for p in self._params:
            display[p.symbol] = vec(f"00p_{p.label}", f"p{sub(p.label)}")
        # Inline nodes print as their own right-hand side, in parentheses.
        printer_names = dict(names)
        for n in self._nodes:
            if n.inline:
                rhs = n.rhs.xreplace(display)
                inline_tex[n.symbol] = r"\left(" + to_latex(rhs, printer_names) + r"\right)"
                names[display[n.symbol]] = inline_tex[n.symbol]
        for gate in self.gates:
            lab = self.gate_labels[gate]
            w = vec(f"0W_{gate}", f"W{sub(lab)}", commutative=False)
            u = vec(f"1U_{gate}", f"U{sub(lab)}", commutative=False)
            source = self.hidden_source[gate]
            if source in inline_tex:
                s_nc = vec(f"1{source.name}_src", inline_tex[source], commutative=False)
            else:
                s_nc = vec(f"1{source.name}_src", to_latex(display[source], names), False)
            bx = vec(f"bx_{gate}", f"b^{{x}}{sub(lab)}")
            bh = vec(f"bh_{gate}", f"b^{{h}}{sub(lab)}")
            b = vec(f"b_{gate}", f"b{sub(lab)}")
            display[self.input_affine[gate]] = w * x_nc + bx
            display[self.hidden_affine[gate]] = u * s_nc + bh
            display[sp.Symbol(f"__a_{gate}")] = w * x_nc + u * s_nc + b
        return display, names


def _tex_name(name: str) -> str:
    """LaTeX for a node name: ``tilde_c`` -> ``\\tilde{c}``, anything else as is."""
    if name.startswith("tilde_"):
        return r"\tilde{%s}" % name[len("tilde_") :]
    return name
