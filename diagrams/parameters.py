"""Parameter count of every cell, from its declared shapes.

Writes ``parameters.md``: the count as a polynomial in the input size I and hidden size H (and
the projection size P of a cell that has one: ``spec.parameter_count()``), and its value for
I = H = 256 (P as ``cell_comparison.extra_sizes`` sets it).
"""

from __future__ import annotations

import sys
from pathlib import Path

import sympy as sp
from cell_comparison import EXTRA_FRACTION, H_SYM, parameter_count

import gated_ref as gr

SEED = 0  # nothing random here
SIZE = 256


def main(out_dir: Path) -> None:
    """Write ``parameters.md``."""
    rows = [
        f"| Cell | Gate blocks $G$ | Parameters | $I = H = {SIZE}$ |",
        "| --- | --- | --- | --- |",
    ]
    for name in gr.CELL_NAMES:
        spec = gr.cell(name)
        count = spec.parameter_count()
        value = parameter_count(spec, SIZE, SIZE)
        rows.append(
            f"| {spec.title} (`{name}`) | {spec.num_gates} | ${sp.latex(count)}$ | {value:,} |"
        )
    projected = [f"`{n}`" for n in gr.CELL_NAMES if gr.cell(n).sizes]
    note = ""
    if projected:
        p = sp.latex(EXTRA_FRACTION * H_SYM)
        note = f"\n$P$ is the projection size of {', '.join(projected)}; $P = {p}$ in numbers.\n"
    (out_dir / "parameters.md").write_text("\n".join(rows) + "\n" + note, encoding="utf-8")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("."))
