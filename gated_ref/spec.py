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
    projection: str | None = None  # a matrix applied to ``rhs`` (a node): its parameter key


@dataclass(frozen=True)
class Family:
    """Extra recurrent matrices ``R_k s`` (no bias), one row block per gate: one fused GEMM."""

    key: str  # parameter name, e.g. "weight_from_i"
    source: sp.Symbol  # what the matrix multiplies: a previous state or a node
    gates: tuple[str, ...]  # row blocks, in the cell's gate order
    symbols: tuple[sp.Symbol, ...]  # the symbol of R_k s for each gate
    tex: str = "R"  # LaTeX of the matrix, before the gate subscript


@dataclass(frozen=True)
class ElementwiseParam:
    """A parameter vector applied elementwise (a peephole), stored as one row of a matrix."""

    symbol: sp.Symbol
    key: str  # parameter name, e.g. "weight_peephole"
    row: int  # its row in that matrix
    label: str  # the gate it belongs to, e.g. "i"
    name: str = "p"  # its letter on the site: p_i, or u alone when the label is empty


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
    input_gates: tuple[str, ...] = ()  # gates with an input term W_k x_t + b^x_k
    recurrent_gates: tuple[str, ...] = ()  # gates with a recurrent term U_k s + b^h_k
    families: tuple[Family, ...] = ()  # extra recurrent matrices (several sources for a gate)
    sizes: dict[str, str] = field(default_factory=dict)  # extra size -> param key whose rows
    state_sizes: dict[str, str] = field(default_factory=dict)  # state -> "hidden_size" or extra
    input_symbol: sp.Symbol | None = None  # x_t used elementwise (then I must equal H)
    parent: str | None = None  # the cell this one changes, for the site's equation diff
    about: str = ""  # one paragraph for the cell's page

    # ---- shapes -------------------------------------------------------------------------
    @property
    def num_gates(self) -> int:
        """G: the number of gate blocks stacked in ``weight_ih`` / ``weight_hh``."""
        return len(self.gates)

    def size_of(self, symbol: sp.Symbol, hidden_size: int, **sizes: int) -> int:
        """Length of the vector ``symbol`` (a node or a previous state) at these sizes."""
        all_sizes = {"hidden_size": hidden_size, **sizes}
        for s, prev in self.prev.items():
            if symbol in (prev, self.out[s]):
                return all_sizes[self.state_sizes[s]]
        for n in self.nodes:
            if n.symbol == symbol and n.projection is not None:
                return all_sizes[next(k for k, v in self.sizes.items() if v == n.projection)]
        return hidden_size

    def _check_sizes(self, sizes: dict[str, int]) -> None:
        expected = set(self.sizes)
        if set(sizes) != expected:
            raise ValueError(
                f"sizes: got {sorted(sizes) or 'none'}, cell {self.name!r} expects "
                f"{sorted(expected) or 'none'}"
            )

    def param_shapes(
        self, input_size: int, hidden_size: int, **sizes: int
    ) -> dict[str, tuple[int, ...]]:
        """Shape of every parameter, in PyTorch's names and layout."""
        self._check_sizes(sizes)
        n_in, n_h = input_size, hidden_size
        gx, gh = len(self.input_gates), len(self.recurrent_gates)
        shapes: dict[str, tuple[int, ...]] = {}
        if gx:
            shapes["weight_ih"] = (gx * n_h, n_in)
        if gh:
            src = {self.hidden_source[g] for g in self.recurrent_gates}
            cols = {self.size_of(s, n_h, **sizes) for s in src}
            shapes["weight_hh"] = (gh * n_h, cols.pop())
        if gx:
            shapes["bias_ih"] = (gx * n_h,)
        if gh:
            shapes["bias_hh"] = (gh * n_h,)
        for key in sorted({p.key for p in self.elementwise_params}):
            rows = 1 + max(p.row for p in self.elementwise_params if p.key == key)
            shapes[key] = (rows, n_h)
        for fam in self.families:
            shapes[fam.key] = (len(fam.gates) * n_h, self.size_of(fam.source, n_h, **sizes))
        for size, key in self.sizes.items():
            shapes[key] = (sizes[size], n_h)
        return shapes

    def example_sizes(self, hidden_size: int) -> dict[str, int]:
        """The extra sizes the site's tables use at hidden size H: a projection to H / 2."""
        return {size: max(1, hidden_size // 2) for size in self.sizes}

    def sizes_from(self, params: dict) -> dict[str, int]:
        """The extra sizes (e.g. ``proj_size``) read off the parameters' shapes."""
        return {size: int(params[key].shape[0]) for size, key in self.sizes.items()}

    def parameter_count(self) -> sp.Expr:
        """Number of parameters as a SymPy expression in ``I``, ``H`` (and ``P`` if projected)."""
        n_in, n_h = sp.symbols("I H", positive=True, integer=True)
        extra = {s: sp.Symbol("P", positive=True, integer=True) for s in self.sizes}
        total = sp.Integer(0)
        for shape in self.param_shapes(n_in, n_h, **extra).values():
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
            sp.Eq(self.display[n.symbol], self.display_rhs(n), evaluate=False)
            for n in self.nodes
            if not n.inline
        ]

    def display_rhs(self, node: Node) -> sp.Expr:
        """The right-hand side of a node in vector notation (a projection as ``W m_t``)."""
        if node.projection is not None:
            return self.display[sp.Symbol(f"__proj_{node.symbol.name}")]
        return self.to_display(node.rhs)

    @property
    def equation_ids(self) -> list[str]:
        """Stable ids of :attr:`equations`: ``<cell>.<node>_t``, never positional."""
        return [f"{self.name}.{n.symbol.name}_t" for n in self.nodes if not n.inline]

    def latex(self) -> str:
        r"""The forward equations as one ``\begin{aligned}`` block."""
        return aligned([(self.latex_of(e.lhs), self.latex_of(e.rhs)) for e in self.equations])


class CellBuilder:
    """Declares a cell: its states, gate blocks (PyTorch order) and elementwise equations.

    Args:
        name: the cell's name (a built-in cell's module name).
        title: its name on the site.
        reference: the paper or implementation it follows.
        states: what is carried from step to step; must include ``"h"``, the output.
        gates: the gate blocks, in the order their rows are stacked in the weight matrices.
        gate_labels: LaTeX subscript of each gate (default: its name; ``""`` for none).
        parent: the cell this one changes, for the equation diff on the site.
        about: one paragraph for the cell's page.
    """

    def __init__(
        self,
        name: str,
        *,
        title: str,
        reference: str,
        states: tuple[str, ...],
        gates: tuple[str, ...],
        gate_labels: dict[str, str] | None = None,
        parent: str | None = None,
        about: str = "",
    ) -> None:
        self.name, self.title, self.reference = name, title, reference
        self.parent, self.about = parent, about
        self.states, self.gates = tuple(states), tuple(gates)
        if "h" not in self.states:
            raise ValueError(f"cell {name!r}: states {self.states} must include 'h' (the output)")
        self.gate_labels = {g: g for g in gates} | (gate_labels or {})
        self._nodes: list[Node] = []
        self._params: list[ElementwiseParam] = []
        self._families: dict[str, dict] = {}
        self._sizes: dict[str, str] = {}
        self._input: sp.Symbol | None = None
        self.prev = {s: sp.Symbol(f"{s}_prev") for s in states}
        self.input_affine = {g: sp.Symbol(f"ax_{g}") for g in gates}
        self.hidden_affine = {g: sp.Symbol(f"ah_{g}") for g in gates}
        self.hidden_source: dict[str, sp.Symbol] = {g: self.prev["h"] for g in gates}

    def _gate(self, gate: str) -> str:
        if gate not in self.gates:
            raise ValueError(
                f"cell {self.name!r}: unknown gate {gate!r}, expected one of {self.gates}"
            )
        return gate

    def ax(self, gate: str) -> sp.Symbol:
        """The input pre-activation of a gate: ``W_k x_t + b^x_k``."""
        return self.input_affine[self._gate(gate)]

    def ah(self, gate: str, source: sp.Symbol | None = None) -> sp.Symbol:
        """The recurrent pre-activation of a gate: ``U_k s + b^h_k``, s = h_{t-1} by default."""
        if source is not None:
            self.hidden_source[self._gate(gate)] = source
        return self.hidden_affine[self._gate(gate)]

    def recurrent(self, gate: str, source: sp.Symbol, key: str, *, tex: str = "R") -> sp.Symbol:
        """One more recurrent term of a gate, ``R_k s`` with no bias, from the matrix ``key``.

        Every gate fed from ``key`` shares its ``source``; the matrix stacks one row block per
        gate in the cell's gate order, and is applied as one GEMM per step.
        """
        fam = self._families.setdefault(key, {"source": source, "gates": {}, "tex": tex})
        if fam["source"] != source:
            raise ValueError(
                f"cell {self.name!r}: matrix {key!r} already multiplies {fam['source']}, "
                f"got {source}"
            )
        sym = sp.Symbol(f"ar_{key}_{self._gate(gate)}")
        fam["gates"][gate] = sym
        return sym

    def input(self) -> sp.Symbol:
        """x_t itself, used elementwise (so the input size must equal the hidden size)."""
        self._input = sp.Symbol("x_in")
        return self._input

    def state(self, name: str) -> sp.Symbol:
        """The previous value of a state, e.g. ``c_{t-1}``."""
        if name not in self.prev:
            raise ValueError(
                f"cell {self.name!r}: unknown state {name!r}, expected one of {self.states}"
            )
        return self.prev[name]

    def peepholes(
        self, key: str, labels: tuple[str, ...], *, name: str = "p"
    ) -> dict[str, sp.Symbol]:
        """Elementwise weight vectors stored as the rows of parameter ``key``.

        Each is shown as ``name`` with the label as subscript (``p_i``), or as ``name`` alone
        when the label is empty.
        """
        out = {}
        for row, label in enumerate(labels):
            sym = sp.Symbol(f"{name}_{label}" if label else name)
            self._params.append(ElementwiseParam(sym, key, row, label, name))
            out[label] = sym
        return out

    def node(self, name: str, rhs: sp.Expr, *, inline: bool = False) -> sp.Symbol:
        """Append the elementwise equation ``name = rhs`` and return its symbol."""
        sym = sp.Symbol(name)
        self._nodes.append(Node(sym, sp.sympify(rhs), inline))
        return sym

    def project(self, name: str, source: sp.Symbol, *, key: str, size: str) -> sp.Symbol:
        """The node ``name = W source``: a matrix (parameter ``key``, shape (size, H)) applied
        after the elementwise nodes, as the projection of ``torch.nn.LSTM(proj_size=P)``."""
        self._sizes[size] = key
        sym = sp.Symbol(name)
        self._nodes.append(Node(sym, source, False, key))
        return sym

    # ---- checks ------------------------------------------------------------------------
    def _fail(self, node: str, what: str) -> ValueError:
        return ValueError(f"cell {self.name!r}, node {node!r}: {what}")

    def _check(self) -> tuple[tuple[str, ...], tuple[str, ...]]:
        names = [n.symbol.name for n in self._nodes]
        missing = [s for s in self.states if s not in names]
        if missing:
            raise ValueError(f"cell {self.name!r}: no equation defines state(s) {missing}")
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"cell {self.name!r}: node(s) {dupes} defined more than once")
        family_syms = {
            sym: key for key, fam in self._families.items() for sym in fam["gates"].values()
        }
        known = (
            set(self.prev.values())
            | {p.symbol for p in self._params}
            | ({self._input} if self._input is not None else set())
        )
        # a recurrent term is available once its source is
        pending = {self.hidden_affine[g]: self.hidden_source[g] for g in self.gates}
        pending |= {sym: self._families[key]["source"] for sym, key in family_syms.items()}
        later = set(names)
        used: set[sp.Symbol] = set()
        for node in self._nodes:
            later.discard(node.symbol.name)
            ready = known | {a for a, src in pending.items() if src in known}
            ready |= {self.input_affine[g] for g in self.gates}
            for sym in sorted(node.rhs.free_symbols, key=str):
                if sym in ready:
                    continue
                if sym.name in later or sym.name == node.symbol.name:
                    raise self._fail(
                        node.symbol.name, f"uses node {sym.name!r} before it is defined"
                    )
                if sym in pending:
                    raise self._fail(
                        node.symbol.name,
                        f"uses {sym.name!r}, whose source {pending[sym].name!r} is not defined yet",
                    )
                raise self._fail(
                    node.symbol.name,
                    f"unknown symbol {sym.name!r}: expected a node defined above, a previous "
                    "state (cell.state), a pre-activation (cell.ax / cell.ah / cell.recurrent), "
                    "a peephole or cell.input()",
                )
            if node.projection is not None and not node.rhs.is_Symbol:
                raise self._fail(node.symbol.name, "a projection applies to one node")
            used |= node.rhs.free_symbols
            known.add(node.symbol)
        input_gates = tuple(g for g in self.gates if self.input_affine[g] in used)
        recurrent_gates = tuple(g for g in self.gates if self.hidden_affine[g] in used)
        fam_gates = {g for fam in self._families.values() for g in fam["gates"]}
        for g in self.gates:
            if g not in input_gates and g not in recurrent_gates and g not in fam_gates:
                raise ValueError(
                    f"cell {self.name!r}, gate {g!r}: gate block never used (no equation "
                    "reads cell.ax or cell.ah of it)"
                )
        for key, fam in self._families.items():
            unused = [g for g, sym in fam["gates"].items() if sym not in used]
            if unused:
                raise ValueError(f"cell {self.name!r}: matrix {key!r} rows {unused} never used")
        for p in self._params:
            if p.symbol not in used:
                raise ValueError(
                    f"cell {self.name!r}: elementwise weight {p.symbol.name!r} never used"
                )
        return input_gates, recurrent_gates

    def build(self) -> CellSpec:
        """Check the declaration and return the immutable :class:`CellSpec`."""
        input_gates, recurrent_gates = self._check()
        out = {s: sp.Symbol(s) for s in self.states}
        families = tuple(
            Family(
                key,
                fam["source"],
                tuple(g for g in self.gates if g in fam["gates"]),
                tuple(fam["gates"][g] for g in self.gates if g in fam["gates"]),
                fam["tex"],
            )
            for key, fam in self._families.items()
        )
        by_key = {v: k for k, v in self._sizes.items()}
        state_sizes = {}
        for s in self.states:
            node = next(n for n in self._nodes if n.symbol.name == s)
            state_sizes[s] = by_key[node.projection] if node.projection else "hidden_size"
        self._input_gates, self._recurrent_gates = input_gates, recurrent_gates
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
            input_gates=input_gates,
            recurrent_gates=recurrent_gates,
            families=families,
            sizes=dict(self._sizes),
            state_sizes=state_sizes,
            input_symbol=self._input,
            parent=self.parent,
            about=self.about,
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
            display[p.symbol] = vec(f"00{p.symbol.name}", f"{p.name}{sub(p.label)}")
        if self._input is not None:
            display[self._input] = vec("0x_in", "x_{t}")
        # Inline nodes print as their own right-hand side, in parentheses.
        printer_names = dict(names)
        for n in self._nodes:
            if n.inline:
                rhs = n.rhs.xreplace(display)
                inline_tex[n.symbol] = r"\left(" + to_latex(rhs, printer_names) + r"\right)"
                names[display[n.symbol]] = inline_tex[n.symbol]

        def source_nc(source: sp.Symbol) -> sp.Symbol:
            if source in inline_tex:
                return vec(f"1{source.name}_src", inline_tex[source], commutative=False)
            return vec(f"1{source.name}_src", to_latex(display[source], names), False)

        has_x = set(self._input_gates)
        has_h = set(self._recurrent_gates)
        for gate in self.gates:
            lab = self.gate_labels[gate]
            w = vec(f"0W_{gate}", f"W{sub(lab)}", commutative=False)
            u = vec(f"1U_{gate}", f"U{sub(lab)}", commutative=False)
            s_nc = source_nc(self.hidden_source[gate])
            both = gate in has_x and gate in has_h
            bx = vec(f"bx_{gate}", f"b^{{x}}{sub(lab)}" if both else f"b{sub(lab)}")
            bh = vec(f"bh_{gate}", f"b^{{h}}{sub(lab)}" if both else f"b{sub(lab)}")
            b = vec(f"b_{gate}", f"b{sub(lab)}")
            display[self.input_affine[gate]] = w * x_nc + bx
            display[self.hidden_affine[gate]] = u * s_nc + bh
            display[sp.Symbol(f"__a_{gate}")] = w * x_nc + u * s_nc + b
        for key, fam in self._families.items():
            s_nc = source_nc(fam["source"])
            src_lab = _tex_name(fam["source"].name.removesuffix("_prev"))
            for gate, sym in fam["gates"].items():
                lab = self.gate_labels[gate]
                r = vec(f"1R_{key}_{gate}", f"{fam['tex']}^{{({src_lab})}}{sub(lab)}", False)
                display[sym] = r * s_nc
        for n in self._nodes:
            if n.projection is not None:
                size = next(k for k, v in self._sizes.items() if v == n.projection)
                w = vec(f"0{n.projection}", _matrix_tex(n.projection), commutative=False)
                display[sp.Symbol(f"__proj_{n.symbol.name}")] = w * source_nc(n.rhs)
                del size
        return display, names


def _matrix_tex(key: str) -> str:
    """LaTeX for a projection matrix named like PyTorch's: ``weight_hr`` -> ``W_{hr}``."""
    return "W_{%s}" % key.removeprefix("weight_") if key.startswith("weight_") else key


def _tex_name(name: str) -> str:
    """LaTeX for a node name: ``tilde_c`` -> ``\\tilde{c}``, anything else as is."""
    if name.startswith("tilde_"):
        return r"\tilde{%s}" % name[len("tilde_") :]
    return name
