"""Generated NumPy source of every cell: the module ``gated_ref.lower`` prints and loads.

Writes ``<cell>.py`` per cell: ``gated_ref.lower(gated_ref.cell(name)).source``, byte for
byte, and ``<cell>.md``: the same text in a fenced code block, which the Generated code page
includes. Nothing on that page is copied by hand.

Also ``products.md``: for every cell, the recurrent matrix products one forward step performs,
read from that same source (each ``v @ U<k>T`` inside the time loop, with the rows of
``weight_hh`` that ``U<k>T`` slices and so the gate blocks it computes).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import gated_ref as gr

SEED = 0  # nothing random here


def fenced(source: str, language: str = "python") -> str:
    """``source`` in a Markdown code fence longer than any run of backticks inside it."""
    longest = max((len(run) for run in re.findall(r"`+", source)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence} {language}\n{source.rstrip()}\n{fence}\n"


def recurrent_products(spec: gr.CellSpec, source: str) -> list[tuple[str, tuple[str, ...]]]:
    """``(operand, gate blocks)`` of each matrix product in the forward time loop of ``source``.

    Raises ValueError when the source has no such loop or a product's matrix is not a slice of
    ``weight_hh``, an extra recurrent matrix or a projection: the page would otherwise print a
    wrong count.
    """
    forward = source[source.index("def forward") : source.index("def backward")]
    if "for t in range(T):" not in forward:
        raise ValueError(f"{spec.name}: no time loop in the generated forward")
    head, loop = forward.split("for t in range(T):", 1)
    blocks: dict[str, tuple[str, ...]] = {
        name: spec.recurrent_gates[int(a) : int(b)]
        for name, a, b in re.findall(r"(U\d+T) = W_hh\[(\d+) \* H:(\d+) \* H\]\.T\.copy\(\)", head)
    }
    for name, key in re.findall(r"(\w+T) = params\['(\w+)'\]\.T\.copy\(\)", head):
        family = next((f for f in spec.families if f.key == key), None)
        blocks[name] = family.gates if family else (f"projection {key}",)
    found = []
    for operand, matrix in re.findall(r"numpy\.matmul\((\w+), (\w+), out=\w+\)", loop):
        if matrix not in blocks:
            raise ValueError(f"{spec.name}: {operand} @ {matrix} is not a recurrent matrix")
        found.append((operand, blocks[matrix]))
    return found


def operand_latex(spec: gr.CellSpec, operand: str) -> str:
    """LaTeX of a product's operand named in the source: a previous state or a cell node."""
    for state, symbol in spec.prev.items():
        if operand == f"{state}_prev":
            return spec.latex_of(spec.display[symbol])
    for node in spec.nodes:
        if node.symbol.name == operand:
            return spec.latex_of(spec.to_display(node.rhs))
    raise ValueError(f"{spec.name}: operand {operand!r} is neither a state nor a node")


def products_table() -> str:
    """Markdown: per cell, the recurrent products of one forward step and what they compute."""
    rows = [
        "| Cell | Recurrent products per step | Blocks in each product (the vector multiplied) |",
        "| --- | ---: | --- |",
    ]
    for name in gr.CELL_NAMES:
        spec = gr.cell(name)
        products = recurrent_products(spec, gr.lower(spec).source)
        what = "; ".join(
            f"{', '.join(blocks)} (${operand_latex(spec, operand)}$, `{operand}`)"
            for operand, blocks in products
        )
        rows.append(f"| {spec.title} (`{name}`) | {len(products)} | {what} |")
    return "\n".join(rows) + "\n"


def main(out_dir: Path) -> None:
    """Write ``<cell>.py`` and ``<cell>.md`` for every cell, ``tabs.md`` (one content tab per
    cell, in ``gr.CELL_NAMES`` order) and ``products.md``."""
    tabs = []
    for name in gr.CELL_NAMES:
        spec = gr.cell(name)
        source = gr.lower(spec).source
        (out_dir / f"{name}.py").write_text(source, encoding="utf-8")
        (out_dir / f"{name}.md").write_text(fenced(source), encoding="utf-8")
        body = "\n".join(f"    {line}" if line else "" for line in fenced(source).splitlines())
        tabs.append(f'=== "{spec.title}"\n\n{body}\n')
    (out_dir / "tabs.md").write_text("\n".join(tabs), encoding="utf-8")
    (out_dir / "products.md").write_text(products_table(), encoding="utf-8")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("."))
