"""Every cell's weights, biases and peepholes, mapped to their parameter slices.

Writes ``<cell>.md`` per cell: a table whose symbols are printed by the cell's own LaTeX
printer and whose slices follow the cell's declared gate order and parameter shapes. The
matrices and biases carry PyTorch's names and layout; an elementwise parameter (a peephole,
``weight_peephole``) is gated-ref's own, since PyTorch's recurrent modules have none, and the
table says so.
"""

from __future__ import annotations

import sys
from pathlib import Path

import sympy as sp

import gated_ref as gr

SEED = 0  # nothing random here


def block(j: int) -> str:
    """The rows ``[jH:(j+1)H]`` of gate block ``j``, as PyTorch slicing."""
    start = "0" if j == 0 else ("H" if j == 1 else f"{j}H")
    stop = "H" if j == 0 else f"{j + 1}H"
    return f"[{start}:{stop}]"


def matrix_and_bias(spec, affine: sp.Symbol) -> tuple[str, str]:
    """LaTeX of the matrix and of the bias in one affine node (``W_k x_t + b^x_k``)."""
    matrix = bias = None
    for term in sp.Add.make_args(spec.display[affine]):
        if term.is_Mul:
            matrix = term.args[0]
        else:
            bias = term
    if matrix is None or bias is None:
        raise ValueError(f"{spec.name}: cannot read a matrix and a bias from {affine}")
    return spec.symbol_names[matrix], spec.symbol_names[bias]


def table(spec) -> str:
    """The Markdown table of one cell."""
    rows = [
        "| Symbol | Parameter slice | Shape | Multiplies |",
        "| --- | --- | --- | --- |",
    ]
    sizes = {size: sp.Symbol("P", positive=True, integer=True) for size in spec.sizes}
    i, h = sp.symbols("I H", positive=True, integer=True)

    def width(symbol: sp.Symbol) -> str:
        return sp.latex(spec.size_of(symbol, h, **sizes))

    for gate in spec.gates:
        if gate in spec.input_gates:
            j = spec.input_gates.index(gate)
            w, bx = matrix_and_bias(spec, spec.input_affine[gate])
            rows.append(f"| ${w}$ | `weight_ih{block(j)}` | $H \\times I$ | $x_{{t}}$ |")
        if gate in spec.recurrent_gates:
            j = spec.recurrent_gates.index(gate)
            src = spec.hidden_source[gate]
            u, bh = matrix_and_bias(spec, spec.hidden_affine[gate])
            source = spec.latex_of(spec.display[src])
            rows.append(
                f"| ${u}$ | `weight_hh{block(j)}` | $H \\times {width(src)}$ | ${source}$ |"
            )
        if gate in spec.input_gates:
            rows.append(f"| ${bx}$ | `bias_ih{block(spec.input_gates.index(gate))}` | $H$ | |")
        if gate in spec.recurrent_gates:
            rows.append(f"| ${bh}$ | `bias_hh{block(spec.recurrent_gates.index(gate))}` | $H$ | |")
    for fam in spec.families:
        source = spec.latex_of(spec.display[fam.source])
        for j, sym in enumerate(fam.symbols):
            matrix = sp.Mul.make_args(spec.display[sym])[0]
            tex = spec.symbol_names[matrix]
            rows.append(
                f"| ${tex}$ | `{fam.key}{block(j)}` | $H \\times {width(fam.source)}$ "
                f"| ${source}$ |"
            )
    for node in spec.nodes:
        if node.projection is not None:
            matrix = sp.Mul.make_args(spec.display_rhs(node))[0]
            tex, source = spec.symbol_names[matrix], spec.latex_of(spec.display[node.rhs])
            size = width(node.symbol)
            rows.append(f"| ${tex}$ | `{node.projection}` | ${size} \\times H$ | ${source}$ |")
    for p in spec.elementwise_params:
        tex = spec.symbol_names[spec.display[p.symbol]]
        own = "gated-ref's own; PyTorch has no peepholes" if p.name == "p" else "gated-ref's own"
        rows.append(f"| ${tex}$ | `{p.key}[{p.row}]` ({own}) | $H$ | elementwise |")
    times = r" \times "
    shapes = ", ".join(
        f"`{key}` ${times.join(sp.latex(d) for d in shape)}$"
        for key, shape in spec.param_shapes(i, h, **sizes).items()
    )
    return "\n".join(rows) + f"\n\nParameters and their shapes: {shapes}.\n"


def main(out_dir: Path) -> None:
    """Write ``<cell>.md`` for every cell."""
    for name in gr.CELL_NAMES:
        (out_dir / f"{name}.md").write_text(table(gr.cell(name)), encoding="utf-8")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("."))
