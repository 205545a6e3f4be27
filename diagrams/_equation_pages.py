"""Helper (not a diagram): which site page displays which cell's equations, and their URLs.

An equation's canonical page is the one page that includes its anchored snippet,
``generated/equations/<cell>.forward.md`` (a cell page) or ``<cell>.backward.md`` (the
derivations page). It is read from the pages themselves, so the exports and the citations never
disagree with what the site shows. Scripts that use it list :data:`DEPENDS` as their own.
"""

from __future__ import annotations

import re
from pathlib import Path

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
    """A page's first ``# `` heading."""
    text = (DOCS / src).read_text(encoding="utf-8")
    match = re.search(r"^# (.+)$", text, re.M)
    if match is None:
        raise ValueError(f"docs/{src}: no '# ' title")
    return match.group(1).strip()


def canonical_pages(cells: list[str]) -> dict[tuple[str, str], str]:
    """``(cell, part) -> page source`` for every cell and part ("forward", "backward").

    Raises ``ValueError`` when a snippet is included by no page or by more than one: each
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
            where = found.get((cell, part), [])
            snippet = f"generated/equations/{cell}.{part}.md"
            if len(where) != 1:
                raise ValueError(
                    f"{snippet}: included by {where or 'no page'}; expected exactly one page"
                )
            pages[(cell, part)] = where[0]
    unknown = sorted({cell for cell, _ in found} - set(cells))
    if unknown:
        raise ValueError(f"pages include equations of unknown cells: {unknown}")
    return pages
