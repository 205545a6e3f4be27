"""Symbols used on each equation sheet, and on the derivations page, with what they mean.

One table per cell, built from the symbols that actually occur in its forward and backward
equations (``gr.cell(name).equations``, ``gr.derive(name).equations``): every symbol is listed
under the kind it belongs to, printed by the cell's own LaTeX printer, with its meaning, its
shape and where it lives in the code (``params``, ``grads``, ``dy``, ``dstate``). A symbol of
a kind this script does not know stops the build, so a new symbol cannot go unexplained.

Writes ``<cell>.md`` per cell, ``walk.md`` (the symbols the step-by-step derivations add) and
``kinds.md`` (every kind of symbol, anchored, for the Notation page).
"""

from __future__ import annotations

import sys
from pathlib import Path

import sympy as sp

import gated_ref as gr
from gated_ref import glossary
from gated_ref.steps import NEXT, walk

SEED = 0  # nothing random here

#: Operators and names that are not symbols of an equation: (LaTeX shown, meaning, found by).
OPERATORS = (
    (r"\sigma(v)", "logistic sigmoid $1 / (1 + e^{-v})$, elementwise", r"\sigma"),
    (r"\tanh(v)", "hyperbolic tangent, elementwise", r"\tanh"),
    (r"\operatorname{relu}(v)", "rectifier $\\max(v, 0)$, elementwise", r"relu"),
    (
        r"\mathbf{1}\left[v > 0\right]",
        "1 where $v > 0$, else 0 (the rectifier's slope)",
        r"\mathbf{1}",
    ),
    (r"u \odot v", "elementwise (Hadamard) product", r"\odot"),
    (r"A^{\top}", "transpose", r"^{\top}"),
    (r"\operatorname{diag}(v)", "the diagonal matrix with $v$ on its diagonal", r"diag"),
    (r"\sum_{t=1}^{T}", "sum over the $T$ steps of the sequence", r"\sum"),
    (
        r"\mathcal{L}",
        r"the loss, $\sum_{t} \ell_{t}(y_{t})$ plus any terms on the final state; "
        r"$\ell_{t}$ is step $t$'s term",
        r"\mathcal{L}",
    ),
)


def kind_of(sym: sp.Symbol) -> str:
    """The kind of a display symbol (``gated_ref.glossary``); ValueError if unknown."""
    return glossary.kind_of(sym).name


def block(j: int) -> str:
    """The rows ``[jH:(j+1)H]`` of gate block ``j``."""
    start = "0" if j == 0 else ("H" if j == 1 else f"{j}H")
    return f"[{start}:{'H' if j == 0 else f'{j + 1}H'}]"


def used(name: str) -> tuple[dict[sp.Symbol, str], str]:
    """Every display symbol of the cell's equations with its LaTeX, and all their LaTeX."""
    spec, back = gr.cell(name), gr.derive(name)
    names = back.symbol_names
    found: dict[sp.Symbol, str] = {}
    for eq in [*spec.equations, *back.equations]:
        for s in eq.free_symbols:
            found[s] = names[s]
    text = "\n".join(spec.latex_of(e) for e in spec.equations) + back.latex()
    return dict(sorted(found.items(), key=lambda kv: kv[0].name)), text


def listed(texs: list[str]) -> str:
    """``$a$, $b$``, each once, in order."""
    return ", ".join(f"${t}$" for t in dict.fromkeys(texs))


def table(name: str) -> str:
    """The Markdown table of one cell's symbols (see the module docstring)."""
    spec = gr.cell(name)
    symbols, text = used(name)
    previous = {spec.symbol_names[spec.display[p]] for p in spec.prev.values()}
    by_kind: dict[str, list[str]] = {}
    for sym, tex in symbols.items():
        kind = kind_of(sym)
        if kind == "source" and tex in previous:
            kind = "prev"
        by_kind.setdefault(kind, []).append(tex)
    by_kind["prev"] = sorted(by_kind.get("prev", []))
    labels = [spec.gate_labels[g] or g for g in spec.gates]
    blocks = ", ".join(f"`{lab}` `{block(j)}`" for j, lab in enumerate(labels))
    states = ", ".join(spec.states)
    rows = ["| Symbol | Meaning | Shape | In the code |", "| --- | --- | --- | --- |"]

    def add(kind: str, meaning: str, shape: str, code: str) -> None:
        if kind in by_kind:
            rows.append(f"| {listed(by_kind[kind])} | {meaning} | {shape} | {code} |")

    add("x", "input at step $t$ ($t = 1, \\dots, T$)", "$I$", "`x[t - 1]`")
    nodes = [n for n in spec.nodes if not n.inline]
    for node, ident in zip(nodes, spec.equation_ids, strict=True):
        tex = spec.symbol_names[spec.display[node.symbol]]
        what = "state" if node.symbol in spec.out.values() else "node"
        extra = ", and the output $y_{t} = h_{t}$" if node.symbol == spec.out["h"] else ""
        code = "`y[t - 1]`" if extra else ""
        size = "P" if spec.size_of(node.symbol, 0, **{k: -1 for k in spec.sizes}) else "H"
        rows.append(
            f"| ${tex}$ | {what} of step $t${extra}: [`{ident}`](gr-eq:{ident}) | ${size}$ "
            f"| {code} |"
        )
    add(
        "prev",
        "state of step $t - 1$; at $t = 1$ the initial state (zeros when not given)",
        "$H$",
        ", ".join(f'`state["{s}"]`' for s in spec.states) + " at $t = 1$",
    )
    add("weight_ih", "input weights of a gate block", "$H \\times I$", f"`weight_ih`: {blocks}")
    add("weight_hh", "recurrent weights of a gate block", "$H \\times H$", f"`weight_hh`: {blocks}")
    extra = ", ".join(f"`{f.key}`" for f in spec.families)
    add(
        "weight_extra",
        "more recurrent weights: a gate block fed from another source",
        "$H \\times H$",
        extra,
    )
    proj = ", ".join(f"`{n.projection}`" for n in spec.nodes if n.projection)
    add("projection", "projection applied after the elementwise nodes", "$P \\times H$", proj)
    add("source", "what a recurrent weight multiplies, when it is not $h_{t-1}$", "$H$", "")
    add("bias", "$b^{x}_{k} + b^{h}_{k}$, where only the sum appears", "$H$", "`bias_ih + bias_hh`")
    add("bias_ih", "input-side bias of a block", "$H$", f"`bias_ih`: {blocks}")
    add("bias_hh", "recurrent-side bias of a block", "$H$", f"`bias_hh`: {blocks}")
    add("peephole", "peephole weights, multiplied elementwise", "$H$", "`weight_peephole` rows")
    vectors = ", ".join(sorted({f"`{p.key}`" for p in spec.elementwise_params if p.name != "p"}))
    add("elementwise_weight", "recurrent weights multiplied elementwise", "$H$", vectors)
    program = gr.derive(name).program
    pre = []
    for gate in spec.gates:
        lab = spec.gate_labels[gate]
        sub = f"_{{{lab},t}}" if lab else "_{t}"
        if gate not in program.ax or gate not in program.ah:  # one affine term only
            one = spec.input_affine[gate] if gate in program.ax else spec.hidden_affine[gate]
            pre.append(f"$a{sub} = {spec.latex_of(spec.display[one])}$")
        elif program.ax[gate] == program.ah[gate]:  # only the sum enters: one pre-activation
            both = spec.display[sp.Symbol(f"__a_{gate}")]
            pre.append(f"$a{sub} = {spec.latex_of(both)}$")
        else:
            ax, ah = spec.display[spec.input_affine[gate]], spec.display[spec.hidden_affine[gate]]
            pre.append(f"$a^{{x}}{sub} = {spec.latex_of(ax)}$")
            pre.append(f"$a^{{h}}{sub} = {spec.latex_of(ah)}$")
    rows.append(
        f"| {', '.join(pre)} | pre-activation of a gate block, the argument of its $\\sigma$ or "
        "$\\tanh$; split into an input part $a^{x}$ and a recurrent part $a^{h}$ where the two "
        "enter the node separately | $H$ | |"
    )
    add(
        "delta_node",
        "adjoint $\\partial \\mathcal{L} / \\partial v$ of a node or state $v$ of step $t$: "
        "the total derivative of the loss, along every path from $v$",
        "$H$",
        "",
    )
    add("delta_a", "adjoint of a pre-activation ($a$, $a^{x}$ or $a^{h}$)", "$H$", "")
    add(
        "seed",
        "the loss term of step $t$ differentiated by its output $y_{t} = h_{t}$: what arrives "
        "from outside the recurrence",
        "$H$",
        "`dy[t - 1]`",
    )
    add(
        "delta_next",
        "the adjoint that arrives at the state from step $t + 1$ (what step $t + 1$ hands back);"
        " at $t = T$ the gradient of the loss by the final state",
        "$H$",
        f"`dstate` ({states}) at $t = T$, zeros when not given",
    )
    add(
        "delta_prev",
        "the adjoint step $t$ hands back to step $t - 1$; at $t = 1$ the gradient of the initial "
        "state",
        "$H$",
        ", ".join(f'`grads["{s}"]`' for s in spec.states) + " at $t = 1$",
    )
    add("grad", "gradient of the loss by a parameter, summed over steps", "its own", "`grads`")
    add("grad_x", "gradient of the loss by the input of step $t$", "$I$", '`grads["x"][t - 1]`')
    add(
        "jacobian",
        "one-step Jacobian of a state by a state of the step before",
        "$H \\times H$",
        "",
    )
    for shown, meaning, needle in OPERATORS:
        if needle in text:
            rows.append(f"| ${shown}$ | {meaning} | | |")
    shown = "\n".join(rows)
    missing = [t for t in symbols.values() if _untransposed(t) not in shown]
    if missing:
        raise ValueError(f"{name}: symbols not in the table: {missing}")
    return "\n".join(rows) + "\n"


def _untransposed(tex: str) -> str:
    """The LaTeX of a symbol without its transpose: ``{R^{(i)}_{f}}^{\\top}`` -> ``R^{(i)}_{f}``."""
    tex = tex.replace("^{\\top}", "")
    if tex.startswith("{") and tex.endswith("}"):
        tex = tex[1:-1]
    return tex


def walk_table() -> str:
    """The symbols the step-by-step derivations add to those of the sheets."""
    rows = ["| Symbol | Meaning |", "| --- | --- |"]
    later, jac = [], []
    for name, state in (("lstm", "c"), ("lstm", "h"), ("gru", "h")):
        w = walk(name, state)
        for step in w.steps:
            for s in step.equation.free_symbols:
                if s.name.endswith(NEXT):
                    later.append(w.names[s])
                elif s.name.startswith("J:"):
                    jac.append(w.names[s])
    rows.append(
        f"| {listed(sorted(later))} | the same quantity one step later, at $t + 1$ "
        "(the next step reads $s_{t}$ where it reads $s_{t-1}$) |"
    )
    rows.append(
        f"| {listed(sorted(jac))} | local Jacobian of a reader by the state it reads; the chain "
        "rule multiplies the reader's adjoint by its transpose, "
        r"$\left(\partial r / \partial s\right)^{\top}$ |"
    )
    return "\n".join(rows) + "\n"


def kinds_table() -> str:
    """Every kind of symbol, each row anchored (``#symbol-<kind>``): the Notation page's table,
    which each record of ``equations.json`` links its symbols to."""
    rows = ["| Kind | For example | Meaning | Shape |", "| --- | --- | --- | --- |"]
    for kind in glossary.KINDS:
        shape = f"${kind.shape}$" if kind.shape.startswith(("H", "I", "P")) else kind.shape
        rows.append(
            f'| <span id="{glossary.anchor(kind)}"></span>`{kind.name}` | ${kind.example}$ '
            f"| {kind.meaning} | {shape} |"
        )
    return "\n".join(rows) + "\n"


def main(out_dir: Path) -> None:
    """Write ``<cell>.md`` for every cell, ``walk.md`` and ``kinds.md``."""
    for name in gr.CELL_NAMES:
        (out_dir / f"{name}.md").write_text(table(name), encoding="utf-8")
    (out_dir / "walk.md").write_text(walk_table(), encoding="utf-8")
    (out_dir / "kinds.md").write_text(kinds_table(), encoding="utf-8")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("."))
