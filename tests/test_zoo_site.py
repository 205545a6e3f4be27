"""The zoo on the site: every cell has a generated page, an equation sheet and a row in the
sortable index, and a new cell module gets all of them with nothing else edited.

The numbers of the index are checked against what we did not compute from the spec's counting
code: the arrays ``kernel.init_params`` allocates, and PyTorch's own modules.
"""

from __future__ import annotations

import html
import importlib.util
import json
import re
import shutil
import sys
from pathlib import Path

import pytest
from browser_checks import SHOTS, Watch, in_both_schemes, open_page, page_problems
from conftest import GENERATED_SAMPLE, ROOT

import gated_ref as gr

DIAGRAMS = ROOT / "diagrams"
SIZE = 256  # the index prints its numbers at I = H = 256


def load(path: Path, name: str):  # noqa: ANN201
    """A module from a file, its folder importable (diagrams/ and hooks/ are not packages)."""
    if str(path.parent) not in sys.path:
        sys.path.insert(0, str(path.parent))
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def pages():  # noqa: ANN201
    return load(DIAGRAMS / "cell_pages.py", "_test_cell_pages")


@pytest.fixture(scope="module")
def hook():  # noqa: ANN201
    return load(ROOT / "hooks" / "gated_ref_site.py", "_test_gated_ref_site_zoo")


def text_of(raw: str) -> str:
    """Visible text: tags removed, entities decoded."""
    return html.unescape(re.sub(r"<[^>]+>", "", raw))


def index_rows(site: Path) -> dict[str, list[str]]:
    """Cell name -> the text of each cell of its row in the zoo's index table."""
    raw = (site / "cells" / "variants" / "index.html").read_text(encoding="utf-8")
    block = raw[raw.index('class="gr-sortable"') :]
    table = block[block.index("<tbody>") : block.index("</tbody>")]
    rows = {}
    for tr in re.findall(r"<tr>(.*?)</tr>", table, re.S):
        cells = [text_of(td).strip() for td in re.findall(r"<td[^>]*>(.*?)</td>", tr, re.S)]
        name = re.search(r"<code>([a-z0-9_]+)</code>", tr).group(1)
        rows[name] = cells
        assert f'href="../zoo/{name}/"' in tr, name
    return rows


# ---- the built site --------------------------------------------------------------------------


def test_every_cell_has_a_page_a_sheet_and_an_index_row(built_site: Path) -> None:
    rows = index_rows(built_site)
    assert list(rows) == list(gr.CELL_NAMES)  # one row each, in the registry's order
    sitemap = (built_site / "sitemap.xml").read_text(encoding="utf-8")
    nav = (built_site / "index.html").read_text(encoding="utf-8")
    for name in gr.CELL_NAMES:
        spec = gr.cell(name)
        page = (built_site / "cells" / "zoo" / name / "index.html").read_text(encoding="utf-8")
        sheet = (built_site / "sheets" / name / "index.html").read_text(encoding="utf-8")
        assert "<h1" in page and html.escape(spec.title) in page, name
        assert f'data-cell="{name}"' in page, f"{name}: no step-by-step diagram"
        assert "gr-sheet" in sheet, name
        for where in (f"cells/zoo/{name}/", f"sheets/{name}/"):
            assert where in sitemap, where
            assert f'href="{where}"' in nav, f"{where} is not in the navigation"


def test_index_numbers_match_the_kernels_arrays_and_torch(built_site: Path) -> None:
    """Parameters: the entries of the arrays the kernel allocates; for the cells torch has, the
    parameters of the torch module. GEMMs per step: the products one step of the generated
    NumPy source computes inside its loop."""
    torch = pytest.importorskip("torch")
    rows = index_rows(built_site)
    head = ("states", "blocks", "params", "flops", "gemms", "time", "paper")
    for name, cells in rows.items():
        row = dict(zip(head, cells[1:], strict=True))
        spec = gr.cell(name)
        kernel = gr.lower(spec)
        sizes = spec.example_sizes(SIZE)
        held = sum(a.size for a in kernel.init_params(SIZE, SIZE, **sizes).values())
        assert int(row["params"].replace(",", "")) == held, name
        assert row["states"] == ", ".join(spec.states)
        assert row["time"] == "not recorded" or float(row["time"].replace(",", "")) > 0
    torch_modules = {
        "rnn_tanh": torch.nn.RNN(SIZE, SIZE),
        "lstm": torch.nn.LSTM(SIZE, SIZE),
        "gru": torch.nn.GRU(SIZE, SIZE),
        "lstm_proj": torch.nn.LSTM(SIZE, SIZE, proj_size=SIZE // 2),
    }
    for name, module in torch_modules.items():
        count = sum(p.numel() for p in module.parameters())
        assert int(rows[name][3].replace(",", "")) == count, name


def test_gemms_per_step_are_the_products_in_the_kernels_loop(built_site: Path) -> None:
    """Counted in the generated source: ``numpy.matmul`` (or ``@``) inside the time loop of
    ``forward``."""
    rows = index_rows(built_site)
    for name in gr.CELL_NAMES:
        source = gr.lower(gr.cell(name)).source
        body = source[source.index("def forward") :]
        body = body[: body.index("\ndef ", 1)]
        loop = body[body.index("for t in") :]
        products = loop.count(" @ ") + loop.count("numpy.matmul(")
        assert products == int(rows[name][5]), name


def test_cell_pages_diff_against_their_parent(built_site: Path, pages) -> None:  # noqa: ANN001
    for name in gr.CELL_NAMES:
        spec = gr.cell(name)
        raw = (built_site / "cells" / "zoo" / name / "index.html").read_text(encoding="utf-8")
        if spec.parent is None:
            assert "gr-diff__row" not in raw and "is a starting point" in raw, name
            continue
        kinds = re.findall(r'class="gr-diff__row gr-diff__row--(\w+)"', raw)
        parent = gr.cell(spec.parent)
        mine = {n.symbol.name for n in spec.nodes if not n.inline}
        theirs = {n.symbol.name for n in parent.nodes if not n.inline}
        assert kinds.count("added") == len(mine - theirs), name
        assert kinds.count("removed") == len(theirs - mine), name
        assert kinds.count("before") == kinds.count("after"), name
        assert len(kinds) == len(mine | theirs) + kinds.count("after"), name
        assert kinds.count("same") < len(mine | theirs), f"{name}: no difference shown"


# ---- the equation diff, alone ----------------------------------------------------------------


def unmarked(latex: str) -> str:
    r"""``latex`` with every ``\class{gr-diff-...}{...}`` wrapper taken off."""
    while True:
        match = re.search(r"\\class\{gr-diff-(?:del|ins)\}\{", latex)
        if match is None:
            return latex
        depth, i = 1, match.end()
        while depth:
            depth += {"{": 1, "}": -1}.get(latex[i], 0)
            i += 1
        latex = latex[: match.start()] + latex[match.end() : i - 1] + latex[i:]


@pytest.mark.parametrize("name", [n for n in gr.CELL_NAMES if gr.cell(n).parent])
def test_highlighting_changes_no_equation_and_keeps_latex_whole(pages, name: str) -> None:  # noqa: ANN001
    spec = gr.cell(name)
    old, new = pages.rows(gr.cell(spec.parent)), pages.rows(spec)
    marks: dict[str, int] = {}
    for kind, node, row in pages.equation_diff(spec, gr.cell(spec.parent)):
        lhs, rhs = (old if kind in ("before", "removed") else new)[node]
        assert unmarked(row) == f"{lhs} &= {rhs}", (name, node)
        pages._partners(pages.tokens(row))  # every group closed: raises if not
        group = "changed" if kind in ("before", "after") else kind
        marks[f"{group}:{node}"] = marks.get(f"{group}:{node}", 0) + row.count("\\class{")
    for key, count in marks.items():  # marked exactly where something differs
        assert (count > 0) == (not key.startswith("same:")), (name, key)


def test_highlight_marks_what_changed() -> None:
    cp = load(DIAGRAMS / "cell_pages.py", "_test_cell_pages_small")
    old, new = cp.highlight(
        r"f_{t} \odot c_{t-1} + i_{t} \odot g_{t}", r"f_{t} \odot c_{t-1} + g_{t}"
    )
    assert old == r"f_{t} \odot c_{t-1} + \class{gr-diff-del}{i_{t} \odot} g_{t}"
    assert new == r"f_{t} \odot c_{t-1} + g_{t}"
    # a change inside a script takes the whole symbol, never a lone subscript
    old, new = cp.highlight(
        r"U_{n} \left(r_{t} \odot h\right)", r"U_{n} \left(f_{t} \odot h\right)"
    )
    assert r"\class{gr-diff-del}{r_{t}}" in old and r"\class{gr-diff-ins}{f_{t}}" in new
    # a change inside \left( ... \right) that leaves it open takes the whole group
    lo, hi = cp.balanced(cp.tokens(r"a + \left(b + c\right) + d"), 4, 6)
    assert "".join(cp.tokens(r"a + \left(b + c\right) + d")[lo:hi]) == r"\left(b + c\right)"


# ---- the navigation --------------------------------------------------------------------------


def test_nav_takes_the_generated_pages_once(hook) -> None:  # noqa: ANN001
    nav = [
        "index.md",
        {"Cells": ["cells/index.md", {"Variants": "cells/variants.md"}, "cells/training.md"]},
        {"Equation sheets": ["sheets/index.md"]},
    ]
    pages = {
        "zoo": [{"src": "cells/zoo/a.md", "path": "zoo/a.md", "title": "A"}],
        "sheets": [{"src": "sheets/a.md", "path": "sheets/a.md", "title": "A"}],
    }
    once = hook.with_generated_nav(nav, pages)
    assert once[1]["Cells"][2] == {hook.ZOO_SECTION: [{"A": "cells/zoo/a.md"}]}
    assert once[2]["Equation sheets"] == ["sheets/index.md", {"A": "sheets/a.md"}]
    assert hook.with_generated_nav(once, pages) == once  # a rebuild does not add them again
    from mkdocs.exceptions import PluginError

    with pytest.raises(PluginError, match="after"):
        hook.with_generated_nav(["index.md"], pages)


# ---- a new cell: one file, nothing else -----------------------------------------------------

TOY = '''"""A GRU without its reset gate: a throwaway cell for the test."""

import sympy as sp

from ..functions import sigmoid
from ..spec import CellBuilder, CellSpec


def build() -> CellSpec:
    """z = sigma(W_z x + U_z h + b_z); n = tanh(W_n x + U_n h + b_n); h' = (1 - z) n + z h."""
    cell = CellBuilder(
        "zz_toy",
        title="Toy GRU without a reset gate",
        reference="A test (2026)",
        states=("h",),
        gates=("z", "n"),
        parent="gru_reset_before",
    )
    h_prev = cell.state("h")
    z = cell.node("z", sigmoid(cell.ax("z") + cell.ah("z")))
    n = cell.node("n", sp.tanh(cell.ax("n") + cell.ah("n")))
    cell.node("h", (1 - z) * n + z * h_prev)
    return cell.build()
'''

#: The diagram scripts whose outputs the toy's page, sheet, index row and exports are made of.
SCRIPTS = (
    "cell_comparison",
    "cell_pages",
    "equation_exports",
    "equations",
    "gate_steps",
    "notation",
    "symbols",
)


def test_a_new_cell_module_is_all_it_takes(tmp_path: Path, hook) -> None:  # noqa: ANN001
    """A copy of the sources plus one module in gated_ref/cells/: its page, sheet, index row,
    nav entries, comparison rows and exports appear, and every snippet its pages include is
    written. Only the scripts those are made of run, not the whole site."""
    from mkdocs.config import load_config

    from sitebuild import runner

    copy = tmp_path / "repo"
    skip = shutil.ignore_patterns("generated", "__pycache__", "*.ipynb")
    for folder in ("gated_ref", "diagrams", "sitebuild", "hooks", "data", "docs"):
        shutil.copytree(ROOT / folder, copy / folder, ignore=skip)
    shutil.copy2(ROOT / "mkdocs.yml", copy / "mkdocs.yml")
    (copy / "gated_ref" / "cells" / "zz_toy.py").write_text(TOY, encoding="utf-8")
    layout = runner.Layout.for_repo(copy)
    runner.run(layout, only=list(SCRIPTS), jobs=2)
    out = layout.out

    manifest = json.loads((out / "cell_pages" / "pages.json").read_text(encoding="utf-8"))
    assert {
        "src": "cells/zoo/zz_toy.md",
        "path": "zoo/zz_toy.md",
        "title": "Toy GRU without a reset gate",
    } in manifest["zoo"]
    assert any(p["src"] == "sheets/zz_toy.md" for p in manifest["sheets"])
    index = (out / "cell_pages" / "index.md").read_text(encoding="utf-8")
    assert "(zoo/zz_toy.md) `zz_toy`" in index and "not recorded" in index
    for rel in ("cell_pages/zoo/zz_toy.md", "cell_pages/sheets/zz_toy.md"):
        text = (out / rel).read_text(encoding="utf-8")
        for include in re.findall(r'--8<-- "generated/([^"]+)"', text):
            assert (out / include).is_file(), f"{rel} includes {include}, which nothing wrote"
    page = (out / "cell_pages" / "zoo" / "zz_toy.md").read_text(encoding="utf-8")
    assert "gr-diff__row--removed" in page  # the reset gate r of gru_reset_before
    assert '--8<-- "generated/equations/zz_toy.forward.md"' in page  # anchored here
    for table in ("summary.md", "sizes.md", "memory.md", "timings.md"):
        assert "`zz_toy`" in (out / "cell_comparison" / table).read_text(encoding="utf-8")
    exported = json.loads(
        (out / "equation_exports" / "publish" / "equations.json").read_text(encoding="utf-8")
    )
    toy = {r["page"].split("#")[0] for r in exported if r["cell"] == "zz_toy"}
    assert toy == {"cells/zoo/zz_toy/"}
    assert (out / "equation_exports" / "publish" / "equations" / "zz_toy.tex").is_file()

    nav = hook.with_generated_nav(load_config(str(copy / "mkdocs.yml")).nav, manifest)
    flat = json.dumps(nav)
    assert '"cells/zoo/zz_toy.md"' in flat and '"sheets/zz_toy.md"' in flat
    assert "zz_toy" not in (copy / "mkdocs.yml").read_text(encoding="utf-8")


# ---- the sortable index in a browser ---------------------------------------------------------


def test_index_sorts_by_a_column_in_the_browser(chromium, site_url: str) -> None:  # noqa: ANN001
    """Parameters ascending, then descending; by time, cells not recorded stay last. Every
    cell's page is one click away."""
    page = chromium.new_page()
    page.goto(site_url + "cells/variants/", wait_until="load")
    table = page.locator(".gr-sortable table")
    headers = table.locator("thead th")

    def column(k: int) -> list[str]:
        return [
            t.strip() for t in table.locator(f"tbody tr td:nth-child({k + 1})").all_inner_texts()
        ]

    def numbers(values: list[str]) -> list[float]:
        return [float(v.replace(",", "")) for v in values if v != "not recorded"]

    headers.nth(3).click()
    assert headers.nth(3).get_attribute("aria-sort") == "ascending"
    ascending = numbers(column(3))
    assert ascending == sorted(ascending) and len(ascending) == len(gr.CELL_NAMES)
    headers.nth(3).press("Enter")
    assert headers.nth(3).get_attribute("aria-sort") == "descending"
    assert numbers(column(3)) == sorted(ascending, reverse=True)
    for _ in range(2):  # both directions
        headers.nth(6).click()
        times = column(6)
        recorded = [t for t in times if t != "not recorded"]
        assert times[: len(recorded)] == recorded, times  # the unrecorded last
    links = table.locator("tbody a").evaluate_all("(as) => as.map((a) => a.pathname)")
    assert {f"/cells/zoo/{n}/" for n in gr.CELL_NAMES} <= set(links)
    page.close()


def test_every_cell_page_typesets_its_diff_and_steps(chromium, site_url: str) -> None:  # noqa: ANN001
    """In a browser: the stepper runs (one step per equation) and the diff's highlights are
    MathJax elements carrying their class, on every cell's page; and the checks every page
    gets (tests/browser_checks.py: offline, no console error, math typeset, images loaded), in
    both schemes for the sampled cells (conftest.GENERATED_SAMPLE), with their screenshots."""
    context = chromium.new_context(color_scheme="light", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    watch = Watch(page, site_url)
    report = {}
    for name in gr.CELL_NAMES:
        problems = open_page(page, watch, f"{site_url}cells/zoo/{name}/")
        if not problems and name in GENERATED_SAMPLE:
            problems = in_both_schemes(page, watch, SHOTS / f"cells-zoo-{name}")
        elif not problems:
            problems = page_problems(page, watch, "light")
        if problems:
            report[name] = problems
            continue
        found = page.evaluate(
            """() => ({
              steps: document.querySelector('[data-gr-stepper] .gr-stepper__count')?.textContent,
              marked: document.querySelectorAll('.gr-diff mjx-container .gr-diff-del,'
                + ' .gr-diff mjx-container .gr-diff-ins').length,
              errors: document.querySelectorAll('.gr-diff mjx-merror').length,
            })"""
        )
        assert found["steps"] == f"Step 1 / {len(gr.cell(name).equations)}", name
        assert found["errors"] == 0, name
        assert (found["marked"] > 0) == (gr.cell(name).parent is not None), name
    context.close()
    assert report == {}, report
