"""The chain rule step by step: how each state's adjoint is derived, printed by SymPy.

For the walked states (:data:`WALKS`), ``gated_ref.steps.walk`` goes from the chain rule over
every node that reads the state to the adjoint ``derive`` prints. Each step is a sentence and
an equation under its stable id (``lstm.walk.c.readers``: cell, ``walk``, state, kind of step,
reader), with a button that copies its LaTeX. The ids are HTML anchors on the one page that
includes the snippet; they are not equation ids of ``equations.json`` (a walk explains
equations, it adds none).

Writes ``<cell>.<state>.md`` per walk.
"""

from __future__ import annotations

import sys
from pathlib import Path

from equations import attribute

from gated_ref.steps import Walk, WalkStep, walk

SEED = 0  # nothing random here

#: (cell, state) walked, as the pages show them.
WALKS = (("lstm", "c"), ("lstm", "h"), ("gru", "h"), ("lstm_1997", "c"))


def entry(w: Walk, step: WalkStep) -> str:
    """One step: its sentence, its id line (an anchor) with a copy button, its equation."""
    latex = w.latex(step)
    ident = step.id
    link = f"[`{ident}`](#{ident}){{ #{ident} .gr-eq-id }}"
    button = (
        f'<button class="gr-copy" type="button" title="Copy the LaTeX of {ident}" '
        f'data-latex="{attribute(latex)}">Copy LaTeX</button>'
    )
    row = latex.replace(" = ", " &= ", 1)
    return (
        f"{step.note}\n\n{link} {button}\n{{ .gr-walk-meta }}\n\n"
        f"\\begin{{align}}\n{row}\n\\end{{align}}\n"
    )


def snippet(name: str, state: str) -> str:
    """Every step of one walk, in order."""
    w = walk(name, state)
    return "\n".join(entry(w, step) for step in w.steps)


def main(out_dir: Path) -> None:
    """Write ``<cell>.<state>.md`` for every walk in :data:`WALKS`."""
    for name, state in WALKS:
        (out_dir / f"{name}.{state}.md").write_text(snippet(name, state), encoding="utf-8")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("."))
