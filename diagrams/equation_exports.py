"""Equation exports: equations.json, equations.tex and one .tex per cell.

Made by ``gated_ref.exports`` from the same SymPy equations that the pages show
(``diagrams/equations.py``). Each record's ``page`` is the URL path, from the site root, of
the page that shows the equation with its anchor (read from the pages: see
``diagrams/_equation_pages.py``), then ``#`` and the id. Its ``srepr`` is plain SymPy, and its
``symbols`` link to their rows on the Notation page (``gated_ref.exports``,
``gated_ref.glossary``); ``tests/test_latex_exports.py`` compiles the ``.tex`` files.

Each record also carries what the equation's info box shows (``docs/javascripts/
equation-info.js``): ``title``, its permalinks ``url`` (this version) and ``latest``, written with
the placeholders the hook replaces (``hooks/gated_ref_site.py``: the versioned site root and the
``latest`` alias), and ``bibtex``, a BibTeX entry for that one equation (classic styles print its
URL and version; ``tests/test_latex_exports.py`` compiles it).

Writes into ``publish/``, which ``hooks/gated_ref_site.py`` copies to the site root:
``equations.json``, ``equations.tex`` and ``equations/<cell>.tex``.
"""

from __future__ import annotations

import sys
from pathlib import Path

from _equation_pages import DEPENDS, canonical_pages, page_url
from citations import AUTHOR, SITE, YEAR, bibtex, tex

import gated_ref as gr
from gated_ref.exports import EquationRecord, equation_records, to_json, to_tex

SEED = 0  # nothing random here
__all__ = ["DEPENDS", "main"]


def tex_title(text: str) -> str:
    """``text`` safe in LaTeX's text mode (cell names hold underscores)."""
    return text.replace("&", r"\&").replace("_", r"\_")


#: Replaced by the hook with the URL of the ``latest`` alias (the site root when unversioned).
LATEST = "https://gated-ref-latest.invalid/"


def bib_key(ident: str) -> str:
    """The BibTeX key of one equation: ``lstm.c_t`` -> ``gated_ref_eq_lstm_c_t``."""
    return "gated_ref_eq_" + ident.replace(".", "_")


def equation_entry(record: EquationRecord, page: str) -> str:
    """A BibTeX entry for one equation at ``page`` (its URL path with the anchor). ``url`` is
    the permalink, anchor included (biblatex prints it); classic styles, which ignore ``url``,
    print ``howpublished``: the version and the page's URL (``\\url``: the url or hyperref
    package), without the anchor, whose ``#`` breaks biblatex there, and ``note``: the id."""
    spec, where = gr.cell(record.cell), SITE + page.split("#")[0]
    fields = {
        "author": AUTHOR,
        "title": f"Equation \\texttt{{{tex(record.id)}}} of the {{{tex_title(spec.title)}}} cell",
        "howpublished": f"gated-ref, version {gr.__version__}, \\url{{{where}}}",
        "year": YEAR,
        "url": SITE + page,
        "note": f"Equation \\texttt{{{tex(record.id)}}} ({record.part})",
    }
    return bibtex("misc", bib_key(record.id), fields)


def info(record: EquationRecord, page: str) -> dict[str, str]:
    """The info box's fields of one record (see the module docstring)."""
    url = SITE + page
    return {
        "title": f"{gr.cell(record.cell).title}, {record.part}",
        "url": url,
        "latest": LATEST + page,
        "bibtex": equation_entry(record, page),
    }


def main(out_dir: Path) -> None:
    """Write ``publish/equations.json``, ``publish/equations.tex``, ``publish/equations/*.tex``."""
    publish = out_dir / "publish"
    (publish / "equations").mkdir(parents=True)
    pages = {key: page_url(src) for key, src in canonical_pages(list(gr.CELL_NAMES)).items()}
    records = equation_records()
    page_of = lambda r: f"{pages[(r.cell, r.part)]}#{r.id}"  # noqa: E731
    text = to_json(records, page_of, lambda r: info(r, page_of(r)))
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
