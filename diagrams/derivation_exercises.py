"""Exercises on the derivations, with solutions computed from the derived equations.

Each solution comes from the package: readers from ``gated_ref.steps.walk``, equations printed
by SymPy, and numbers evaluated from ``derive``'s one-step Jacobians. The page folds each
solution (``??? success "Solution"``).

Writes ``exercises.md``.
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

import sympy as sp

import gated_ref as gr
from gated_ref.functions import sigmoid
from gated_ref.steps import walk

SEED = 0  # nothing random here
SPAN = 100  # steps an adjoint travels back along the cell state (exercise 2)
FORGET_BIAS = 1  # a_f = 1: the forget gate of an LSTM whose forget weights are zero
Z_GATE = 0.9  # the GRU's update gate, held fixed (exercise 3)
SHRINK = 1000  # by how much the adjoint should shrink (exercise 3)


def cell_path_coefficient(name: str) -> sp.Expr:
    """The diagonal of d c_t / d c_{t-1} (derive's one-step Jacobian), compute form."""
    (jac,) = [j for j in gr.derive(name).jacobians if (j.of, j.wrt) == ("c", "c")]
    (((chain, coefficient),)) = jac.terms
    if chain:
        raise ValueError(f"{name}: d c_t / d c_(t-1) goes through a matrix; expected a diagonal")
    return coefficient


def folded(text: str) -> str:
    """A solution block, folded: the text indented under ``??? success``."""
    body = "\n".join(("    " + line) if line else "" for line in text.strip().splitlines())
    return f'??? success "Solution"\n\n{body}\n'


def readers_exercise() -> str:
    """1: which nodes read the peephole LSTM's cell state; its adjoint."""
    w = walk("lstm_peephole", "c")
    plain = walk("lstm", "c")
    names = ", ".join(f"${r.of}$" for r in w.readers)
    result = w.steps[-1]
    question = (
        f"1. The LSTM's cell state $c_{{t}}$ has {len(plain.readers)} readers, so "
        f"$\\delta c_{{t}}$ has {len(plain.readers)} terms. "
        "List the readers of $c_{t}$ in the peephole LSTM (`lstm_peephole`) and write "
        "$\\delta c_{t}$ for it.\n"
    )
    answer = (
        f"{len(w.readers)} readers instead of {len(plain.readers)}: {names}. The peepholes "
        "make $i_{t+1}$ and $f_{t+1}$ read $c_{t}$, and $o_{t}$ read $c_{t}$ in its own step. "
        "Each adds one term; the two of step $t+1$ are part of what step $t+1$ hands back, "
        f"$\\delta c_{{t}}^{{\\rightarrow}}$, and the one through $o_{{t}}$ stays:\n\n"
        f"$$\n{w.latex(result)}\n$$\n\n"
        'The whole walk is `gated_ref.steps.walk("lstm_peephole", "c")`.'
    )
    return question + "\n" + _indent(folded(answer)) + "\n"


def carousel_exercise() -> str:
    """2: how much of an adjoint survives SPAN steps along the cell state alone."""
    old = cell_path_coefficient("lstm_1997")
    new = cell_path_coefficient("lstm")
    f_value = sigmoid(sp.Integer(FORGET_BIAS)).evalf(30)
    new_value = new.subs(sp.Symbol("f"), f_value)
    kept = old**SPAN, new_value**SPAN
    question = (
        f"2. Along the cell state alone, an adjoint is multiplied by "
        "$\\partial c_{t} / \\partial c_{t-1}$ at every step back. What fraction of "
        f"$\\delta c_{{t}}$ reaches $c_{{t-{SPAN}}}$ that way in the 1997 LSTM, and in an LSTM "
        f"whose forget gate sits at $f_{{t}} = \\sigma({FORGET_BIAS})$ (zero forget weights, "
        f"bias {FORGET_BIAS})?\n"
    )
    answer = (
        f"The derived one-step Jacobians are $\\operatorname{{diag}}({sp.latex(old)})$ and "
        f"$\\operatorname{{diag}}(f_{{t}})$. Over {SPAN} steps the path multiplies by their "
        f"product: ${sp.latex(old)}^{{{SPAN}}} = {sp.latex(kept[0])}$ for the 1997 cell, "
        f"$\\sigma({FORGET_BIAS})^{{{SPAN}}} = {float(f_value):.4f}^{{{SPAN}}} "
        f"\\approx {_sci(float(kept[1]))}$ with the forget gate. The carousel keeps the error "
        "whole; a forget gate that is not saturated at one lets it decay, which is the point: "
        "the network can learn to forget, and also to keep ($f_{t} \\to 1$)."
    )
    return question + "\n" + _indent(folded(answer)) + "\n"


def gru_exercise() -> str:
    """3: the GRU's matrix-free path, z_{t+1} * delta h_{t+1}."""
    w = walk("gru", "h")
    (direct,) = [r for r in w.readers if r.later and not r.affine]
    steps = math.ceil(math.log(SHRINK) / -math.log(Z_GATE))
    question = (
        "3. One term of the GRU's $\\delta h_{t}$ has no weight matrix in it. Which, and if the "
        f"update gate stayed at $z = {Z_GATE:g}$ in every unit, after how many steps "
        f"back would that path alone have shrunk an adjoint {SHRINK} times?\n"
    )
    answer = (
        f"The term from the reader ${direct.of}$: ${w.latex_of(direct.term)}$, since "
        f"$h_{{t+1}}$ reads $h_{{t}}$ through $z_{{t+1}} \\odot h_{{t}}$. Along that path an "
        f"adjoint is multiplied by $z$ each step, so it takes the smallest $k$ with "
        f"${Z_GATE:g}^{{k}} \\le 1/{SHRINK}$: $k = \\lceil \\ln {SHRINK} / "
        f"(-\\ln {Z_GATE:g}) \\rceil = {steps}$ steps. The GRU's $z$ plays the "
        "forget gate's part."
    )
    return question + "\n" + _indent(folded(answer)) + "\n"


def count_exercise() -> str:
    """4: how many terms each state's adjoint has, per cell."""
    rows = [
        "| Cell | State | Readers | Terms of $\\delta s_{t}$ before splitting |",
        "| --- | --- | --- | ---: |",
    ]
    for name in gr.CELL_NAMES:
        for s in gr.cell(name).states:
            w = walk(name, s)
            readers = ", ".join(f"${r.of}$" for r in w.readers)
            extra = 1 if s == "h" else 0
            if extra:
                readers += ", $\\ell_{t}$"
            rows.append(f"| `{name}` | ${s}$ | {readers} | {len(w.readers) + extra} |")
    question = (
        "4. Without looking at the derivations above, count the terms of the chain rule for "
        "each state of each cell: one per node that reads the state, plus the loss for $h$. "
        "Then check with the walks.\n"
    )
    answer = "Counted by `gated_ref.steps.walk` for every cell:\n\n" + "\n".join(rows)
    return question + "\n" + _indent(folded(answer)) + "\n"


def _sci(value: float) -> str:
    """``2.6 \\times 10^{-14}``."""
    mantissa, exponent = f"{value:.1e}".split("e")
    return f"{mantissa} \\times 10^{{{int(exponent)}}}"


def _indent(block: str) -> str:
    """Indented under a list item."""
    return "\n".join(("    " + line) if line else "" for line in block.splitlines())


def main(out_dir: Path) -> None:
    """Write ``exercises.md``."""
    parts = [readers_exercise(), carousel_exercise(), gru_exercise(), count_exercise()]
    (out_dir / "exercises.md").write_text("\n".join(parts), encoding="utf-8")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("."))
