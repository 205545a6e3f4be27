"""Generated NumPy source of every cell: the module ``gated_ref.lower`` prints and loads.

Writes ``<cell>.py`` per cell: ``gated_ref.lower(gated_ref.cell(name)).source``, byte for
byte, and ``<cell>.md``: the same text in a fenced code block, which the Generated code page
includes. Nothing on that page is copied by hand.
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


def main(out_dir: Path) -> None:
    """Write ``<cell>.py`` and ``<cell>.md`` for every cell in ``gated_ref.CELL_NAMES``."""
    for name in gr.CELL_NAMES:
        source = gr.lower(gr.cell(name)).source
        (out_dir / f"{name}.py").write_text(source, encoding="utf-8")
        (out_dir / f"{name}.md").write_text(fenced(source), encoding="utf-8")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("."))
