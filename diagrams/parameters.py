"""Parameter count of every cell, from its declared shapes.

Writes ``parameters.md``: the count as a polynomial in the input size I and hidden size H
(``spec.parameter_count()``), and its value for I = H = 256.
"""

from __future__ import annotations

import sys
from pathlib import Path

import sympy as sp

import gated_ref as gr

SEED = 0  # nothing random here
SIZE = 256


def main(out_dir: Path) -> None:
    """Write ``parameters.md``."""
    i, h = sp.symbols("I H", positive=True, integer=True)
    rows = [
        f"| Cell | Gate blocks $G$ | Parameters | $I = H = {SIZE}$ |",
        "| --- | --- | --- | --- |",
    ]
    for name in gr.CELL_NAMES:
        spec = gr.cell(name)
        count = spec.parameter_count()
        proj = spec.example_sizes(SIZE).get("proj_size", 0)  # P = H / 2 for a projection
        value = int(
            count.subs({i: SIZE, h: SIZE, sp.Symbol("P", positive=True, integer=True): proj})
        )
        rows.append(
            f"| {spec.title} (`{name}`) | {spec.num_gates} | ${sp.latex(count)}$ | {value:,} |"
        )
    (out_dir / "parameters.md").write_text("\n".join(rows) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("."))
