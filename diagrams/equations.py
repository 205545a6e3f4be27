"""Equations of every cell, forward and backward, printed from the SymPy definitions.

Every equation is shown on its own, under a line with its stable id (``lstm.c_t``,
``lstm.grad.c_prev``: the cell and the quantity, never a position) and a button that copies
its LaTeX. The LaTeX is ``gated_ref.cell(name).latex()`` and ``gated_ref.derive(spec).latex()``,
one row per equation, checked to be the record that ``gated_ref.exports`` publishes
(``equations.json``), so what a reader copies or cites is what the page shows.

Snippets, included by the pages with ``--8<--``:

- ``<cell>.forward.md`` and ``<cell>.backward.md``: *anchored*: each equation's HTML id is its
  equation id. Exactly one page includes each (a cell page, the derivations page): that page
  is the id's canonical page, the ``page`` of ``equations.json``.
- ``aliases.json``: old id -> the id it was renamed to (``data/equation_changes.toml``). The
  anchored entry carries its old ids as extra anchors, so an old permalink still lands on it.
- ``rows/<id>.md`` (one equation) and ``sheets/<cell>.md`` (a cell's printable sheet):
  references, without the HTML id; the visible id links to the canonical page.

Links written ``gr-eq:<id>`` (an equation on its canonical page) and ``gr-site:<path>`` (a page
or an exported file, from the site root) are made relative by ``hooks/gated_ref_site.py``,
which fails the build on an unknown target.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import gated_ref as gr
from gated_ref import registry
from gated_ref.exports import EquationRecord, equation_records

SEED = 0  # nothing random here
#: The permanent ids: a renamed id stays an anchor on its equation's page.
DEPENDS = (registry.REGISTRY, registry.CHANGES)

BEGIN, END = r"\begin{aligned}", r"\end{aligned}"

#: The widest line on a printed sheet, as :func:`width` counts (A4, 10 pt).
SHEET_WIDTH = 36

#: Sections of a sheet: title and which ids it holds (by the word after the cell's name).
SHEET_SECTIONS = (
    ("Forward equations", "forward"),
    ("One-step Jacobians", "jacobian"),
    ("Adjoints of one step (backpropagation through time)", "adjoint"),
    ("Gradients", "grad"),
)


def rows_of(latex: str, ids: list[str]) -> list[str]:
    r"""The rows of one ``aligned`` block, checked to be one per equation id."""
    body = latex.strip()
    if not (body.startswith(BEGIN) and body.endswith(END)):
        raise ValueError(f"latex: expected one {BEGIN} ... {END} block, got {body[:40]!r}...")
    rows = [row.strip() for row in body[len(BEGIN) : -len(END)].strip().split("\\\\\n")]
    if len(rows) != len(ids):
        raise ValueError(f"latex: got {len(rows)} rows for {len(ids)} equation ids")
    return rows


def width(latex: str) -> int:
    """A rough printed width of ``latex``, in characters: every command counts as one."""
    text = re.sub(r"\\(?:left|right|operatorname|mathcal|frac)\b", "", latex)
    return len(re.sub(r"[{}_^ ]", "", re.sub(r"\\[a-zA-Z]+", "x", text)))


_TOKEN = re.compile(r"\\(?:left|right)(?![A-Za-z])|\\[A-Za-z]+|\\.|.", re.S)
#: Between two lines of a wrapped row, and inside a ``\left( ... \right)`` group cut in two.
NEXT_TERM = " \\\\\n&\\quad "
NEXT_FACTOR = " \\right. \\\\\n&\\qquad \\left. "


def split_top(text: str, seps: tuple[str, ...]) -> list[str]:
    r"""``text`` cut before each separator that is outside braces and ``\left ... \right``."""
    cuts, depth = [0], 0
    for match in _TOKEN.finditer(text):
        token, i = match.group(), match.start()
        if token in ("\\left", "{"):
            depth += 1
        elif token in ("\\right", "}"):
            depth -= 1
        elif depth == 0 and i > 0 and text.startswith(seps, i):
            cuts.append(i + 1)
    return [text[a:b].strip() for a, b in zip(cuts, [*cuts[1:], len(text)], strict=True)]


def pack(pieces: list[str], limit: int) -> list[str]:
    """Consecutive pieces joined by spaces into lines of at most ``limit`` (where possible)."""
    lines: list[str] = []
    for piece in pieces:
        if lines and width(lines[-1] + piece) <= limit:
            lines[-1] += " " + piece
        else:
            lines.append(piece)
    return lines


def group(term: str) -> tuple[str, str, str] | None:
    r"""``term`` as ``prefix \left( inner \right) suffix`` around its first outer group."""
    depth, start = 0, None
    for match in _TOKEN.finditer(term):
        token = match.group()
        if token in ("\\left", "{"):
            if depth == 0 and token == "\\left" and term.startswith("\\left(", match.start()):
                start = match.start()
            depth += 1
        elif token in ("\\right", "}"):
            depth -= 1
            if depth == 0 and start is not None:
                if not term.startswith("\\right)", match.start()):
                    return None
                inner = term[start + len("\\left(") : match.start()]
                return term[:start], inner, term[match.start() + len("\\right)") :]
    return None


def wrap_term(term: str, limit: int) -> str:
    r"""One wide term cut between the factors or terms inside its outer ``\left( \right)``."""
    parts = group(term) if width(term) > limit else None
    if parts is None:
        return term
    prefix, inner, suffix = parts
    room = limit - width(prefix + suffix)
    chunks = pack(split_top(inner, (" \\odot ", " + ", " - ")), room)
    return f"{prefix}\\left({NEXT_FACTOR.join(chunks)}\\right){suffix}"


def broken(row: str, limit: int = SHEET_WIDTH) -> str:
    r"""A wide row on several lines (``lhs &= a + b \\ &\quad + c``), cut between terms, and
    a term still too wide cut inside its outer parentheses (``\right. \\ \left.``).

    Taking the line breaks out again gives ``row``: the sheet shows the same equation.
    """
    lhs, sep, rhs = row.partition(" &= ")
    if not sep or width(row) <= limit:
        return row
    lines = [wrap_term(line, limit) for line in pack(split_top(rhs, (" + ", " - ")), limit)]
    text = f"{lhs} &= " + NEXT_TERM.join(lines)
    if text.replace(NEXT_FACTOR, " ").replace(NEXT_TERM, " ") != row:
        raise ValueError(f"cannot wrap {row!r} without changing it")
    return text


def attribute(text: str) -> str:
    """``text`` as an HTML attribute value that Markdown cannot touch: every character that is
    not a letter, a digit or a space is a numeric character reference."""
    return "".join(c if c.isascii() and (c.isalnum() or c == " ") else f"&#{ord(c)};" for c in text)


def entry(
    row: str,
    record: EquationRecord,
    anchored: bool,
    wrap: bool = False,
    aliases: tuple[str, ...] = (),
) -> str:
    """One equation: a line with its id and copy button, then its display math.

    ``anchored``: the id line carries the HTML id and links to itself (a permalink), and each
    of ``aliases`` (its ids before a rename) is an anchor beside it; otherwise it links to the
    equation on its canonical page. ``wrap``: a wide row is shown on several lines
    (:func:`broken`); the button still copies the one-line record.
    """
    if row.replace(" &= ", " = ", 1) != record.latex:
        raise ValueError(f"{record.id}: the row shown, {row!r}, is not its record's LaTeX")
    ident = record.id
    link = f"[`{ident}`](#{ident}){{ #{ident} .gr-eq-id }}"
    if not anchored:
        link = f"[`{ident}`](gr-eq:{ident}){{ .gr-eq-id }}"
    button = (
        f'<button class="gr-copy" type="button" title="Copy the LaTeX of {ident}" '
        f'data-latex="{attribute(record.latex)}">Copy LaTeX</button>'
    )
    if anchored:
        link = "".join(f'<span class="gr-eq-alias" id="{old}"></span>' for old in aliases) + link
    shown = broken(row) if wrap else row
    return f"{link} {button}\n{{ .gr-eq-meta }}\n\n\\begin{{align}}\n{shown}\n\\end{{align}}\n"


def old_ids(ident: str, renamed: dict[str, str]) -> tuple[str, ...]:
    """The ids that were renamed, directly or in steps, to ``ident``."""
    return tuple(sorted(old for old, new in renamed.items() if new == ident))


def downloads(name: str) -> str:
    """The exports of one cell, linked from the site root."""
    return (
        f"Every equation of `{name}`, forward and backward: "
        f"[`{name}.tex`](gr-site:equations/{name}.tex) (`\\label` = id), "
        f"the [printable sheet](gr-site:sheets/{name}/), "
        "all cells in [`equations.json`](gr-site:equations.json) "
        "([how to cite](gr-site:cite/)).\n{ .gr-eq-downloads }\n"
    )


def sheet(name: str, rows: dict[str, str], records: list[EquationRecord]) -> str:
    """The body of a cell's printable equation sheet."""
    spec = gr.cell(name)
    text = [
        '<div class="gr-sheet" markdown>\n',
        f"**{spec.title}**, `{name}`, after {spec.reference}: all {len(records)} equations, "
        f"printed from the SymPy source by gated-ref {gr.__version__}. Cite an equation by its "
        "id; each id links to the equation's page. Print this page, or save it as PDF, for a "
        "clean sheet.\n{ .gr-sheet-intro }\n",
    ]
    for title, kind in SHEET_SECTIONS:
        if kind == "forward":
            chosen = [r for r in records if r.part == "forward"]
        else:
            chosen = [r for r in records if r.part == "backward" and r.id.split(".")[1] == kind]
        if chosen:
            text.append(f"## {title}\n")
            text += [entry(rows[r.id], r, anchored=False, wrap=True) for r in chosen]
    text.append("</div>\n")
    shown = sum(t.count(".gr-eq-meta") for t in text)
    if shown != len(records):
        raise ValueError(f"sheet of {name}: {shown} of {len(records)} equations in its sections")
    return "\n".join(text)


def main(out_dir: Path) -> None:
    """Write the anchored, row and sheet snippets of every cell (see the module docstring)."""
    (out_dir / "rows").mkdir(parents=True)
    (out_dir / "sheets").mkdir()
    renamed = registry.replay(registry.load_registry(), registry.load_changes()).aliases
    (out_dir / "aliases.json").write_text(
        json.dumps(renamed, indent=1, sort_keys=True) + "\n", encoding="utf-8"
    )
    index = []
    for name in gr.CELL_NAMES:
        spec = gr.cell(name)
        records = equation_records([name])
        rows: dict[str, str] = {}
        for part, eqs in (("forward", spec), ("backward", gr.derive(spec))):
            ids = eqs.equation_ids
            rows.update(zip(ids, rows_of(eqs.latex(), ids), strict=True))
            chosen = [r for r in records if r.part == part]
            if [r.id for r in chosen] != list(ids):
                raise ValueError(f"{name}.{part}: exported ids differ from the displayed ones")
            text = "\n".join(
                entry(rows[r.id], r, anchored=True, aliases=old_ids(r.id, renamed)) for r in chosen
            )
            text += "\n" + downloads(name)
            (out_dir / f"{name}.{part}.md").write_text(text, encoding="utf-8")
        for r in records:
            (out_dir / "rows" / f"{r.id}.md").write_text(
                entry(rows[r.id], r, anchored=False), encoding="utf-8"
            )
        (out_dir / "sheets" / f"{name}.md").write_text(sheet(name, rows, records), encoding="utf-8")
        index.append(f"- [{spec.title}]({name}.md) (`{name}`): {len(records)} equations")
    (out_dir / "sheets" / "index.md").write_text("\n".join(index) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("."))
