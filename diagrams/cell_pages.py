"""One page per cell, its equation sheet, and the zoo's index table: all from the registry.

Every cell in ``gr.CELL_NAMES`` gets, with nothing written for it by hand:

- ``zoo/<cell>.md``: its page (site path ``cells/zoo/<cell>.md``): title and paper, the forward
  equations with their stable ids, how it differs from the cell it changes (``spec.parent``) as
  an equation diff, the step-by-step diagram, its parameters, the derivation (backward
  equations and their symbols), and its costs: parameter count, FLOPs and GEMMs per step, the
  memory kept for the backward and the measured time per step;
- ``sheets/<cell>.md``: its printable equation sheet (site path ``sheets/<cell>.md``);
- ``index.md``: one sortable table of every cell, included by ``docs/cells/variants.md``;
- ``pages.json``: the pages above with their titles, in ``CELL_NAMES`` order, which
  ``hooks/gated_ref_site.py`` adds to the site and to its navigation.

Equations are anchored (their ids are HTML ids) on exactly one page: a cell whose equations a
hand-written page shows (``lstm`` on the LSTM page) keeps them there, and its generated page
shows the same rows linking to them; any other cell is anchored here
(``diagrams/_equation_pages.py`` decides, for every script alike). Every number is computed:
counts from the cell's shapes (``diagrams/cell_comparison.py``), GEMMs from the forward
schedule (``gated_ref.derive.gemm_count``), times from the committed record
``data/kernel_times.json``.
"""

from __future__ import annotations

import difflib
import json
import posixpath
import re
import sys
from pathlib import Path

import _claims
import cell_comparison as cost
import sympy as sp
from _equation_pages import DEPENDS as PAGES
from _equation_pages import canonical_pages, page_title, zoo_page
from citations import PAPERS, bibtex, cell_papers

import gated_ref as gr
from gated_ref.derive import Gemm, Project, forward_schedule, gemm_count

SEED = 0  # nothing random here
DEPENDS = (*PAGES, _claims.RECORD)
#: The sizes every number on the pages is printed at (I = H; P from cell_comparison).
SIZE = _claims.SIZE
#: The hidden size of the measured time shown (one of the record's sizes).
TIME_SIZE = cost.TIMING_SIZES[-1]
#: Where the index page is, as a site path (the zoo's pages link back to it).
INDEX_PAGE = "cells/variants.md"
#: MathJax classes that highlight what an equation diff removed and added (equations.css).
DEL, INS = "gr-diff-del", "gr-diff-ins"


# ---- numbers -------------------------------------------------------------------------------
def at_sizes(spec: gr.CellSpec, expr: sp.Expr) -> int:
    """``expr`` (in I, H, P) at I = H = :data:`SIZE`, P as ``spec.example_sizes`` sets it."""
    extra = spec.example_sizes(SIZE)
    value = expr.subs({cost.I_SYM: SIZE, cost.H_SYM: SIZE, cost.P_SYM: extra.get("proj_size", 0)})
    if value.free_symbols:
        raise ValueError(f"{spec.name}: {expr} at I = H = {SIZE} still holds {value.free_symbols}")
    return int(value)


# ---- links ---------------------------------------------------------------------------------
def link(src: str, frm: str) -> str:
    """The relative Markdown link from page ``frm`` to page ``src`` (both site paths)."""
    return posixpath.relpath(src, posixpath.dirname(frm))


def cell_link(name: str, frm: str) -> str:
    """``[title](page)`` of a cell's generated page."""
    return f"[{gr.cell(name).title}]({link(zoo_page(name), frm)})"


# ---- the equation diff ---------------------------------------------------------------------
#: A symbol with its sub- and superscripts (``R^{(f)}_{i}``) is one token, then commands,
#: words, runs of spaces, single characters.
_SCRIPT = r"[_^](?:\{(?:[^{}]|\{[^{}]*\})*\}|[A-Za-z0-9])"
_TOKEN = re.compile(
    rf"(?:\\[A-Za-z]+|[A-Za-z0-9])(?:{_SCRIPT})+|\\[A-Za-z]+|\\.|[A-Za-z0-9]+|\s+|.", re.S
)
_OPEN, _CLOSE = ("{", "\\left"), ("}", "\\right")


def tokens(latex: str) -> list[str]:
    """LaTeX cut into commands, words, single characters and runs of spaces."""
    return _TOKEN.findall(latex)


def _partners(toks: list[str]) -> dict[int, int]:
    """Index of the matching brace (or ``\\left`` / ``\\right``) for every group token."""
    stack: list[int] = []
    pairs: dict[int, int] = {}
    for i, tok in enumerate(toks):
        if tok in _OPEN:
            stack.append(i)
        elif tok in _CLOSE:
            if not stack:
                raise ValueError(f"unbalanced LaTeX: {''.join(toks)!r}")
            j = stack.pop()
            pairs[i], pairs[j] = j, i
    if stack:
        raise ValueError(f"unbalanced LaTeX: {''.join(toks)!r}")
    return pairs


def balanced(toks: list[str], lo: int, hi: int) -> tuple[int, int]:
    """The smallest span around ``toks[lo:hi]`` that is a whole piece of LaTeX: its groups
    closed, a ``\\left`` with its delimiter, a sub- or superscript with its base."""
    pairs = _partners(toks)
    while True:
        before = (lo, hi)
        for i in range(lo, hi):
            if i in pairs:
                lo, hi = min(lo, pairs[i]), max(hi, pairs[i] + 1)
        if hi < len(toks) and toks[hi - 1] in ("\\left", "\\right"):
            hi += 1  # the delimiter belongs to its \left or \right
        if lo > 0 and toks[lo - 1] in ("\\left", "\\right"):
            lo -= 1
        while lo > 0 and toks[lo - 1] in ("_", "^"):
            lo -= 1  # a script's group with its _ or ^
        if toks[lo] in ("_", "^") and lo > 0:
            lo -= 1  # a script needs its base
        if hi < len(toks) and toks[hi - 1].startswith("\\") and toks[hi] == "{":
            hi = pairs[hi] + 1  # a command's argument
        if (lo, hi) == before:
            break
    while lo < hi and toks[lo].isspace():
        lo += 1
    while hi > lo and toks[hi - 1].isspace():
        hi -= 1
    return lo, hi


def mark(toks: list[str], spans: list[tuple[int, int]], cls: str) -> str:
    """``toks`` joined, each span wrapped in ``\\class{cls}{...}`` (overlapping spans, and
    spans only spaces apart, merged)."""
    merged: list[list[int]] = []
    for lo, hi in sorted(spans):
        if merged and (lo <= merged[-1][1] or "".join(toks[merged[-1][1] : lo]).isspace()):
            merged[-1][1] = max(merged[-1][1], hi)
        else:
            merged.append([lo, hi])
    out, at = [], 0
    for lo, hi in merged:
        out += [*toks[at:lo], f"\\class{{{cls}}}{{", *toks[lo:hi], "}"]
        at = hi
    return "".join(out + toks[at:])


def highlight(old: str, new: str) -> tuple[str, str]:
    """``old`` and ``new`` with what differs between them marked (:data:`DEL`, :data:`INS`).

    The differing tokens (``difflib``) are widened to whole pieces of LaTeX (:func:`balanced`);
    where that marks most of an equation, the whole side is marked.
    """
    a, b = tokens(old), tokens(new)
    a_spans, b_spans = [], []
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    for op, a0, a1, b0, b1 in matcher.get_opcodes():
        if op in ("replace", "delete") and "".join(a[a0:a1]).strip():
            a_spans.append(balanced(a, a0, a1))
        if op in ("replace", "insert") and "".join(b[b0:b1]).strip():
            b_spans.append(balanced(b, b0, b1))

    def side(toks: list[str], spans: list[tuple[int, int]], cls: str) -> str:
        spans = [(lo, hi) for lo, hi in spans if lo < hi]
        if not spans:
            return "".join(toks)
        if sum(hi - lo for lo, hi in spans) > 0.7 * len(toks):
            return f"\\class{{{cls}}}{{{''.join(toks)}}}"
        return mark(toks, spans, cls)

    return side(a, a_spans, DEL), side(b, b_spans, INS)


def rows(spec: gr.CellSpec) -> dict[str, tuple[str, str]]:
    """Node name -> (LaTeX of the left side, of the right side), for each shown equation."""
    shown = [n for n in spec.nodes if not n.inline]
    return {
        n.symbol.name: (spec.latex_of(eq.lhs), spec.latex_of(eq.rhs))
        for n, eq in zip(shown, spec.equations, strict=True)
    }


def equation_diff(spec: gr.CellSpec, parent: gr.CellSpec) -> list[tuple[str, str, str]]:
    """``(kind, node, LaTeX row)`` for every equation of either cell, aligned by node name:
    kind is ``same``, ``removed``, ``added``, or ``before`` and ``after`` for a changed one."""
    old, new = rows(parent), rows(spec)
    # the cell's equations in its order; one only the parent has goes after the equation
    # that precedes it in the parent, or first
    order: list[tuple[str, str]] = [("new", name) for name in new]
    for k, name in enumerate(old):
        if name in new:
            continue
        before = [n for n in list(old)[:k] if n in new]
        at = order.index(("new", before[-1])) + 1 if before else 0
        while at < len(order) and order[at][0] == "old":
            at += 1
        order.insert(at, ("old", name))
    out: list[tuple[str, str, str]] = []
    for side, name in order:
        if side == "old":
            lhs, rhs = old[name]
            out.append(("removed", name, f"{lhs} &= \\class{{{DEL}}}{{{rhs}}}"))
        elif name not in old:
            lhs, rhs = new[name]
            out.append(("added", name, f"{lhs} &= \\class{{{INS}}}{{{rhs}}}"))
        elif old[name] == new[name]:
            out.append(("same", name, f"{new[name][0]} &= {new[name][1]}"))
        else:
            (lhs_a, rhs_a), (lhs_b, rhs_b) = old[name], new[name]
            before, after = highlight(rhs_a, rhs_b)
            out.append(("before", name, f"{lhs_a} &= {before}"))
            out.append(("after", name, f"{lhs_b} &= {after}"))
    return out


#: How each kind of row of an equation diff is labelled (``{parent}``, ``{cell}``: names).
TAGS = {
    "same": "unchanged",
    "removed": "removed (only in `{parent}`)",
    "added": "added (only in `{cell}`)",
    "before": "changed: in `{parent}`",
    "after": "changed: in `{cell}`",
}


def math_block(row: str) -> str:
    """One displayed equation, as the equation snippets write it."""
    return f"\\begin{{align}}\n{row}\n\\end{{align}}\n"


def shapes_tex(spec: gr.CellSpec) -> dict[str, str]:
    """Parameter name -> its shape in LaTeX (``4 H \\times I``)."""
    i, h, p = cost.I_SYM, cost.H_SYM, cost.P_SYM
    shapes = spec.param_shapes(i, h, **{size: p for size in spec.sizes})
    return {k: r" \times ".join(sp.latex(d) for d in shape) for k, shape in shapes.items()}


def structure_diff(spec: gr.CellSpec, parent: gr.CellSpec) -> list[str]:
    """Sentences on what changes besides the equations: states, gate blocks, parameters."""
    out = []
    if spec.states != parent.states:
        out.append(
            f"States: {', '.join(f'`{s}`' for s in parent.states)} in `{parent.name}`, "
            f"{', '.join(f'`{s}`' for s in spec.states)} here."
        )
    if spec.gates != parent.gates:
        out.append(
            f"Gate blocks: {', '.join(parent.gates)} in `{parent.name}`, "
            f"{', '.join(spec.gates)} here."
        )
    old, new = shapes_tex(parent), shapes_tex(spec)
    changes = [f"`{k}` ${new[k]}$ added" for k in new if k not in old]
    changes += [f"`{k}` ${old[k]}$ removed" for k in old if k not in new]
    changes += [
        f"`{k}` ${old[k]}$ becomes ${new[k]}$" for k in new if k in old and old[k] != new[k]
    ]
    out.append("Parameters: " + ("; ".join(changes) if changes else "the same shapes") + ".")
    return out


def diff_section(spec: gr.CellSpec, frm: str) -> str:
    """The page's section on how the cell differs from its parent (or that it has none)."""
    children = [n for n in gr.CELL_NAMES if gr.cell(n).parent == spec.name]
    told = ""
    if children:
        told = "\n\nCells that change it: " + ", ".join(cell_link(n, frm) for n in children) + "."
    if spec.parent is None:
        return (
            f"`{spec.name}` is a starting point: its module names no `parent`, the cell it "
            f"would change.{told}\n"
        )
    if spec.parent not in gr.CELL_NAMES:
        raise ValueError(
            f"cell {spec.name!r}: parent {spec.parent!r} is not a cell; expected one of "
            f"{', '.join(gr.CELL_NAMES)}"
        )
    parent = gr.cell(spec.parent)
    entries = equation_diff(spec, parent)
    count = {k: sum(e[0] == k for e in entries) for k in ("same", "after", "added", "removed")}
    text = [
        f"Against {cell_link(parent.name, frm)} (`{parent.name}`), equation by equation, "
        f"matched by the quantity they define: {count['after']} changed, {count['added']} "
        f"added, {count['removed']} removed, {count['same']} unchanged. What differs is "
        "highlighted: red where it is the parent's, green where it is this "
        "cell's.\n",
        '<div class="gr-diff" markdown>\n',
    ]
    for kind, _node, row in entries:
        tag = TAGS[kind].format(parent=parent.name, cell=spec.name)
        text.append(
            f'<div class="gr-diff__row gr-diff__row--{kind}" markdown>\n\n'
            f'<span class="gr-diff__tag">{tag}</span>\n\n{math_block(row)}\n</div>\n'
        )
    text.append("</div>\n")
    text += [f"- {line}" for line in structure_diff(spec, parent)]
    return "\n".join(text) + told + "\n"


# ---- costs ---------------------------------------------------------------------------------
def sizes_note(spec: gr.CellSpec) -> str:
    """``I = H = 256``, and the projection size where the cell has one."""
    extra = spec.example_sizes(SIZE)
    text = f"$I = H = {SIZE}$"
    if extra:
        text += ", " + ", ".join(f"$P = {v}$ (`{k}`)" for k, v in extra.items())
    return text


def gemm_lines(spec: gr.CellSpec) -> tuple[list[str], int]:
    """The GEMMs of one forward step (one per source group, extra matrix, projection) in
    words, from the schedule of the generated kernel, and the number hoisted out of the loop."""
    lines = []
    for step in forward_schedule(spec):
        if isinstance(step, Gemm):
            grp = step.group
            blocks = ", ".join(spec.gate_labels[g] or g for g in grp.gates)
            source = spec.latex_of(spec.display[grp.source])
            lines.append(f"`{grp.key}` (blocks {blocks}) times ${source}$")
        elif isinstance(step, Project):
            source = spec.latex_of(spec.display[step.source])
            lines.append(f"`{step.key}` times ${source}$, after the elementwise nodes")
    if len(lines) != gemm_count(spec).forward_step:
        raise ValueError(f"{spec.name}: {len(lines)} products listed, gemm_count disagrees")
    return lines, int(bool(spec.input_gates))


def time_text(measured: dict[int, tuple[float, float]] | None) -> str:
    """µs per step at :data:`TIME_SIZE`, forward / forward + backward, or ``not recorded``."""
    if measured is None:
        return "not recorded"
    fwd, both = measured[TIME_SIZE]
    return f"{fwd:,.0f} / {both:,.0f}"


def cost_section(spec: gr.CellSpec, measured: dict | None, record: dict) -> str:
    """The page's table of costs, every number computed from the cell."""
    params = spec.parameter_count()
    flops = cost.flops_per_step(spec)
    kept = cost.floats_kept_per_step(gr.lower(spec))
    at = {k: at_sizes(spec, e) for k, e in (("p", params), ("f", flops))}
    kept_n = at_sizes(spec, kept)
    lines, hoisted = gemm_lines(spec)
    rows = [
        f"| | Formula | At {sizes_note(spec)} |",
        "| --- | --- | ---: |",
        f"| Parameters | ${sp.latex(params)}$ | {at['p']:,} |",
        f"| FLOPs per step, forward, one sequence | ${sp.latex(flops)}$ | {at['f']:,} |",
        f"| GEMMs per step, forward | | {len(lines)} |",
        f"| GEMMs per sequence, hoisted out of the loop | | {hoisted} |",
        f"| Kept per step for the backward (numbers) | ${sp.latex(kept)}$ | {kept_n:,} |",
        f"| µs per step at $H = {TIME_SIZE}$, forward / forward + backward | "
        f"| {time_text(measured)} |",
    ]
    gemms = "\n".join(f"{k}. {line}" for k, line in enumerate(lines, 1))
    hoist = (
        "The input product `weight_ih` times $x_{t}$ is made for every step at once, before "
        "the loop: one GEMM per sequence."
        if hoisted
        else "No gate has an input matrix: nothing is hoisted."
    )
    return (
        "\n".join(rows)
        + "\n\nThe GEMMs of one forward step of the generated kernel, in its order (gates that "
        "multiply the same vector share one):\n\n"
        + (gemms or "None: every recurrent weight is elementwise.")
        + f"\n\n{hoist} FLOPs count a multiply-add as 2 and every elementwise operation as 1 "
        "([all cells side by side](../lstm-vs-gru.md#the-cells-at-a-glance)). Times: batch of "
        f"{cost.TIMING_B}, float64, $I = H$, {_claims.record_method(record)}, from "
        f"`{_claims.RECORD}` ({_claims.record_machine(record)}).\n"
    )


# ---- the page ------------------------------------------------------------------------------
def equations_section(name: str, part: str, pages: dict, frm: str) -> str:
    """A cell's forward or backward equations: the anchored snippet where this page is their
    page, else the same rows linking to the page that anchors them."""
    src = pages[(name, part)]
    if src == frm:
        return f'--8<-- "generated/equations/{name}.{part}.md"\n'
    spec = gr.cell(name)
    ids = spec.equation_ids if part == "forward" else gr.derive(spec).equation_ids
    head = (
        f"The ids link to where these equations are anchored and cited: "
        f"[{page_title(src)}]({link(src, frm)}).\n{{ .gr-eq-downloads }}\n"
    )
    body = "\n".join(f'--8<-- "generated/equations/rows/{i}.md"\n' for i in ids)
    return head + "\n" + body


def paper_section(spec: gr.CellSpec) -> str:
    """The reference, and the BibTeX of the papers to cite with the cell."""
    keys = cell_papers(spec.name)
    text = f"{spec.reference}.\n"
    if keys:
        entries = "\n".join(bibtex(PAPERS[k][0], k, PAPERS[k][1]) for k in keys)
        text += f"\n``` bibtex\n{entries}```\n"
    return text + "\nHow to cite the equations themselves: [How to cite](../../cite.md).\n"


def page(name: str, pages: dict, measured: dict | None, record: dict) -> str:
    """The Markdown source of a cell's generated page (site path :func:`zoo_page`)."""
    spec = gr.cell(name)
    frm = zoo_page(name)
    states = ", ".join(
        f"${s}$ ($P$)" if spec.state_sizes[s] != "hidden_size" else f"${s}$" for s in spec.states
    )
    facts = [
        f"`{name}`, `gated_ref/cells/{name}.py`: {spec.reference}. States {states}; gate "
        f"blocks {', '.join(spec.gate_labels[g] or g for g in spec.gates)}. "
        f"[Equation sheet]({link(f'sheets/{name}.md', frm)}) · "
        f"[every cell]({link(INDEX_PAGE, frm)}).\n",
    ]
    if spec.about:
        facts.append(spec.about.strip() + "\n")
    parts = [
        f"# {spec.title}\n",
        *facts,
        "## Equations\n",
        equations_section(name, "forward", pages, frm),
        f"## What changes{f' from `{spec.parent}`' if spec.parent else ''}\n",
        diff_section(spec, frm),
        "## Step by step\n",
        "One time step, one equation at a time, laid out from the equations above.\n",
        f'--8<-- "generated/gate_steps/{name}.md"\n',
        "## Parameters\n",
        f'--8<-- "generated/notation/{name}.md"\n',
        "## Cost\n",
        cost_section(spec, measured, record),
        "## Derivation\n",
        "The backward pass, derived by `gated_ref.derive` from the equations above: "
        "adjoints, gradients and one-step Jacobians.\n",
        equations_section(name, "backward", pages, frm),
        "### Symbols\n",
        f'--8<-- "generated/symbols/{name}.md"\n',
        "## Paper\n",
        paper_section(spec),
    ]
    return "\n".join(parts)


def sheet(name: str) -> str:
    """The Markdown source of a cell's equation sheet (site path ``sheets/<cell>.md``)."""
    return (
        f"# Equation sheet: {gr.cell(name).title}\n\n"
        f'--8<-- "generated/equations/sheets/{name}.md"\n\n'
        '<div class="gr-symbols" markdown>\n\n'
        "## Symbols used on this sheet\n\n"
        f'--8<-- "generated/symbols/{name}.md"\n\n'
        "</div>\n"
    )


def short_reference(spec: gr.CellSpec) -> str:
    """The reference up to its first year, ``Greff et al. (2017)``: the index's Paper column."""
    head, sep, _ = spec.reference.partition(")")
    return head + sep if sep else spec.reference


# ---- the index -----------------------------------------------------------------------------
def index_table(timings: dict, record: dict) -> str:
    """Every cell in one sortable table (``docs/javascripts/tablesort.js``), and its notes."""
    head = [
        "Cell",
        "States",
        "Gate blocks",
        "Parameters",
        "FLOPs / step",
        "GEMMs / step",
        "µs / step",
        "Paper",
    ]
    rows = [
        '<div class="gr-sortable" markdown>\n',
        "| " + " | ".join(head) + " |",
        "| --- | --- | --- | ---: | ---: | ---: | ---: | --- |",
    ]
    for name in gr.CELL_NAMES:
        spec = gr.cell(name)
        lines, _ = gemm_lines(spec)
        measured = timings[name]
        states = ", ".join(f"`{s}`" for s in spec.states)
        blocks = f"{', '.join(spec.gate_labels[g] or g for g in spec.gates)} ({spec.num_gates})"
        params = at_sizes(spec, spec.parameter_count())
        flops = at_sizes(spec, cost.flops_per_step(spec))
        time = "not recorded" if measured is None else f"{measured[TIME_SIZE][1]:,.0f}"
        title = f"[{spec.title}]({link(zoo_page(name), INDEX_PAGE)}) `{name}`"
        cells = [title, states, blocks, f"{params:,}", f"{flops:,}", str(len(lines)), time]
        rows.append("| " + " | ".join([*cells, short_reference(spec)]) + " |")
    rows.append("\n</div>\n")
    extra = "".join(
        f" For `{n}`, $P = {v}$."
        for n in gr.CELL_NAMES
        for v in gr.cell(n).example_sizes(SIZE).values()
    )
    notes = (
        f"*{len(gr.CELL_NAMES)} cells, one module each, in `gr.CELL_NAMES` order; select a "
        f"column's header to sort by it. Parameters and FLOPs at $I = H = {SIZE}$, computed "
        "from each cell's equations and shapes (FLOPs: forward, one step, one sequence; a "
        f"multiply-add counts 2).{extra} GEMMs per step: the matrix products of one forward "
        "step of the generated "
        "kernel, gates that multiply the same vector sharing one; the input product is made "
        "for the whole sequence before the loop and is not counted. Time: forward + backward, "
        f"µs per step for a batch of {cost.TIMING_B} (float64, $I = H = {TIME_SIZE}$), from the "
        "committed "
        f"record `{_claims.RECORD}` ({_claims.record_method(record)}), measured on "
        f"{_claims.record_machine(record)}; a cell "
        "added after the record says *not recorded*.*\n"
    )
    return "\n".join(rows) + "\n" + notes


def main(out_dir: Path) -> None:
    """Write ``zoo/<cell>.md``, ``sheets/<cell>.md``, ``index.md`` and ``pages.json``."""
    (out_dir / "zoo").mkdir(parents=True)
    (out_dir / "sheets").mkdir()
    pages = canonical_pages(list(gr.CELL_NAMES))
    record = _claims.kernel_times()
    timings = cost.timings(record)
    manifest: dict[str, list[dict[str, str]]] = {"zoo": [], "sheets": []}
    for name in gr.CELL_NAMES:
        title = gr.cell(name).title
        text = page(name, pages, timings[name], record)
        (out_dir / "zoo" / f"{name}.md").write_text(text, encoding="utf-8")
        (out_dir / "sheets" / f"{name}.md").write_text(sheet(name), encoding="utf-8")
        manifest["zoo"].append({"src": zoo_page(name), "path": f"zoo/{name}.md", "title": title})
        manifest["sheets"].append(
            {"src": f"sheets/{name}.md", "path": f"sheets/{name}.md", "title": title}
        )
    (out_dir / "index.md").write_text(index_table(timings, record), encoding="utf-8")
    text = json.dumps(manifest, indent=1, sort_keys=True) + "\n"
    (out_dir / "pages.json").write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("."))
