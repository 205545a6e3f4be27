"""Equations of every cell, forward and backward, printed from the SymPy definitions.

Writes one Markdown snippet per cell and direction (``<cell>.forward.md``,
``<cell>.backward.md``) and one per equation (``rows/<id>.md``), included by the pages with
``--8<--``. The LaTeX is
``gated_ref.cell(name).latex()`` and ``gated_ref.derive(spec).latex()``, unchanged but for a
``\\tag`` per row carrying the equation's stable id (an anchor too), so a citation never shifts
between builds.
"""

from __future__ import annotations

import sys
from pathlib import Path

import gated_ref as gr

SEED = 0  # nothing random here

BEGIN, END = r"\begin{aligned}", r"\end{aligned}"


def rows_of(latex: str, ids: list[str]) -> list[str]:
    r"""The rows of one ``aligned`` block, checked to be one per equation id."""
    body = latex.strip()
    if not (body.startswith(BEGIN) and body.endswith(END)):
        raise ValueError(f"latex: expected one {BEGIN} ... {END} block, got {body[:40]!r}...")
    rows = [row.strip() for row in body[len(BEGIN) : -len(END)].strip().split("\\\\\n")]
    if len(rows) != len(ids):
        raise ValueError(f"latex: got {len(rows)} rows for {len(ids)} equation ids")
    return rows


def tag(ident: str) -> str:
    """The visible label of an equation: its id without the cell's name, in small type.

    The page (or tab) already names the cell; the full id is the equation's link anchor.
    """
    short = ident.split(".", 1)[-1]
    return r"\tag{$\small\texttt{" + short + "}$}"


def tagged(latex: str, ids: list[str]) -> str:
    r"""Turn one ``aligned`` block into an ``align`` block whose rows are tagged by ``ids``."""
    lines = [f"{row} {tag(i)}" for row, i in zip(rows_of(latex, ids), ids, strict=True)]
    return "\\begin{align}\n" + " \\\\\n".join(lines) + "\n\\end{align}"


def snippet(latex: str, ids: list[str]) -> str:
    """A Markdown block: anchors for every equation id, then the display math."""
    anchors = "".join(f'<a id="{ident}"></a>' for ident in ids)
    return f"{anchors}\n\n{tagged(latex, ids)}\n"


def main(out_dir: Path) -> None:
    """Write ``<cell>.forward.md``, ``<cell>.backward.md`` and ``rows/<id>.md``."""
    (out_dir / "rows").mkdir()
    for name in gr.CELL_NAMES:
        spec = gr.cell(name)
        back = gr.derive(spec)
        for part, eqs in (("forward", spec), ("backward", back)):
            latex, ids = eqs.latex(), eqs.equation_ids
            (out_dir / f"{name}.{part}.md").write_text(snippet(latex, ids), encoding="utf-8")
            for row, ident in zip(rows_of(latex, ids), ids, strict=True):
                text = f"\\begin{{align}}\n{row} {tag(ident)}\n\\end{{align}}\n"
                (out_dir / "rows" / f"{ident}.md").write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("."))
