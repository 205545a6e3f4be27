"""Helper (not a diagram): which site page displays which cell's equations, and their URLs.

An equation's canonical page is the one page that includes its anchored snippet,
``generated/equations/<cell>.forward.md`` (a cell page) or ``<cell>.backward.md`` (the
derivations page). It is read from the pages themselves, so the exports and the citations never
disagree with what the site shows. A cell whose snippet no hand-written page includes is
anchored on its generated page, :func:`zoo_page` (written by ``diagrams/cell_pages.py``, put
into the site by ``hooks/gated_ref_site.py``): adding a cell needs no page edited. Scripts that
use it list :data:`DEPENDS` as their own.
"""

from __future__ import annotations

import re
from pathlib import Path

import gated_ref as gr

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"

#: The hand-written pages, relative to the repository root (a diagram's ``DEPENDS``).
DEPENDS = tuple(
    sorted(
        p.relative_to(ROOT).as_posix()
        for p in DOCS.rglob("*.md")
        if "generated" not in p.relative_to(DOCS).parts
    )
)

#: Where the generated per-cell pages and equation sheets sit in the site (source paths).
ZOO_DIR = "cells/zoo"
SHEETS_DIR = "sheets"


def zoo_page(cell: str) -> str:
    """The source path of a cell's generated page, e.g. ``cells/zoo/lstm.md``."""
    return f"{ZOO_DIR}/{cell}.md"


def sheet_page(cell: str) -> str:
    """The source path of a cell's generated equation sheet, e.g. ``sheets/lstm.md``."""
    return f"{SHEETS_DIR}/{cell}.md"


_INCLUDE = re.compile(
    r"""^[ \t]*--8<--[ \t]+["']generated/equations/(?P<cell>[A-Za-z0-9_]+)\."""
    r"""(?P<part>forward|backward)\.md["'][ \t]*$""",
    re.M,
)


def page_url(src: str) -> str:
    """The URL path (relative to the site root) of a page, as MkDocs' directory URLs give it."""
    if not src.endswith(".md"):
        raise ValueError(f"page: expected a Markdown file, got {src!r}")
    stem = src[: -len(".md")]
    if stem == "index":
        return ""
    if stem.endswith("/index"):
        return stem[: -len("index")]
    return stem + "/"


def page_title(src: str) -> str:
    """A page's first ``# `` heading; a generated cell page's is its cell's title."""
    if src.startswith(f"{ZOO_DIR}/") and not (DOCS / src).exists():
        return gr.cell(Path(src).stem).title
    text = (DOCS / src).read_text(encoding="utf-8")
    match = re.search(r"^# (.+)$", text, re.M)
    if match is None:
        raise ValueError(f"docs/{src}: no '# ' title")
    return match.group(1).strip()


def canonical_pages(cells: list[str]) -> dict[tuple[str, str], str]:
    """``(cell, part) -> page source`` for every cell and part ("forward", "backward").

    A snippet no hand-written page includes is anchored on the cell's generated page
    (:func:`zoo_page`). Raises ``ValueError`` when one is included by more than one page: each
    equation id must be an anchor on exactly one page.
    """
    found: dict[tuple[str, str], list[str]] = {}
    for rel in DEPENDS:
        src = Path(rel).relative_to("docs").as_posix()
        text = (ROOT / rel).read_text(encoding="utf-8")
        for match in _INCLUDE.finditer(text):
            found.setdefault((match["cell"], match["part"]), []).append(src)
    pages = {}
    for cell in cells:
        for part in ("forward", "backward"):
            where = found.get((cell, part), [zoo_page(cell)])
            snippet = f"generated/equations/{cell}.{part}.md"
            if len(where) != 1:
                raise ValueError(f"{snippet}: included by {where}; expected at most one page")
            pages[(cell, part)] = where[0]
    unknown = sorted({cell for cell, _ in found} - set(cells))
    if unknown:
        raise ValueError(f"pages include equations of unknown cells: {unknown}")
    return pages
