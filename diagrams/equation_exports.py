"""Equation exports: equations.json, equations.tex and one .tex per cell.

Made by ``gated_ref.exports`` from the same SymPy equations that the pages show
(``diagrams/equations.py``). Each record's ``page`` is the URL path, from the site root, of
the page that shows the equation with its anchor (read from the pages: see
``diagrams/_equation_pages.py``), then ``#`` and the id. Its ``srepr`` is plain SymPy, and its
``symbols`` link to their rows on the Notation page (``gated_ref.exports``,
``gated_ref.glossary``); ``tests/test_latex_exports.py`` compiles the ``.tex`` files.

Writes into ``publish/``, which ``hooks/gated_ref_site.py`` copies to the site root:
``equations.json``, ``equations.tex`` and ``equations/<cell>.tex``.
"""

from __future__ import annotations

import sys
from pathlib import Path

from _equation_pages import DEPENDS, canonical_pages, page_url

import gated_ref as gr
from gated_ref.exports import equation_records, to_json, to_tex

SEED = 0  # nothing random here
__all__ = ["DEPENDS", "main"]


def tex_title(text: str) -> str:
    """``text`` safe in LaTeX's text mode (cell names hold underscores)."""
    return text.replace("&", r"\&").replace("_", r"\_")


def main(out_dir: Path) -> None:
    """Write ``publish/equations.json``, ``publish/equations.tex``, ``publish/equations/*.tex``."""
    publish = out_dir / "publish"
    (publish / "equations").mkdir(parents=True)
    pages = {key: page_url(src) for key, src in canonical_pages(list(gr.CELL_NAMES)).items()}
    records = equation_records()
    text = to_json(records, lambda r: f"{pages[(r.cell, r.part)]}#{r.id}")
    (publish / "equations.json").write_text(text, encoding="utf-8")
    title = f"gated-ref {gr.__version__}: every equation, forward and backward"
    (publish / "equations.tex").write_text(to_tex(records, title), encoding="utf-8")
    for name in gr.CELL_NAMES:
        spec = gr.cell(name)
        title = f"gated-ref {gr.__version__}: {spec.title} (\\texttt{{{name}}})"
        mine = [r for r in records if r.cell == name]
        text = to_tex(mine, tex_title(title))
        (publish / "equations" / f"{name}.tex").write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("."))
