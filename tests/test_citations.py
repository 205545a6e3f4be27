"""Citable equations: stable unique ids, one anchor each, exports that re-parse to today's
derivation, copyable LaTeX that typesets, the citation files and the printable sheets."""

from __future__ import annotations

import html
import importlib.util
import json
import os
import re
import subprocess
import sys
import tomllib
from collections import Counter
from pathlib import Path

import pytest
import sympy as sp
import yaml
from browser_checks import SHOTS, Watch, open_page, page_problems
from conftest import GENERATED_SAMPLE, ROOT
from playwright import sync_api

import gated_ref as gr
from gated_ref.exports import equation_records, plain, plain_srepr

# One equation as diagrams/equations.py writes it, after Markdown: id line, then display math.
_ENTRY = re.compile(
    r'<p class="gr-eq-meta"><a class="gr-eq-id" href="(?P<href>[^"]*)"(?: id="(?P<id>[^"]*)")?>'
    r"<code>(?P<label>[^<]*)</code></a> "
    r'<button class="gr-copy" type="button" title="[^"]*" data-latex="(?P<latex>[^"]*)">'
    r"Copy LaTeX</button></p>\s*"
    r'<div class="arithmatex">\\\[\\begin\{align\}\n(?P<math>.*?)\n\\end\{align\}\\\]</div>',
    re.S,
)
_HTML_ID = re.compile(r"""\sid=["']([^"']+)["']""")
PAPERS = {  # what the six required papers must say (and Elman 1990 for the vanilla RNN)
    "hochreiter1997long": ["Long Short-Term Memory", "Neural Computation", "1735--1780"],
    "gers2000learning": ["Learning to Forget: Continual Prediction with {LSTM}", "2451--2471"],
    "gers2000recurrent": ["Recurrent Nets that Time and Count", "IJCNN", "189--194"],
    "cho2014learning": ["Encoder--Decoder for Statistical Machine Translation", "EMNLP"],
    "chung2014empirical": ["Empirical Evaluation of Gated Recurrent", "1412.3555"],
    "greff2017lstm": ["{LSTM}: A Search Space Odyssey", "2222--2232", "{28}", "{10}"],
    "elman1990finding": ["Finding Structure in Time", "179--211"],
}


def records(site: Path) -> list[dict]:
    """equations.json of the built site."""
    return json.loads((site / "equations.json").read_text(encoding="utf-8"))


def page_file(site: Path, page: str) -> Path:
    """The HTML file of ``page`` (a URL path, maybe with an anchor)."""
    return site / page.split("#", 1)[0] / "index.html"


def entries(text: str) -> list[dict]:
    """Every equation entry on a page, attributes and math unescaped."""
    found = [
        {k: html.unescape(v or "") for k, v in m.groupdict().items()} for m in _ENTRY.finditer(text)
    ]
    assert len(found) == text.count('class="gr-eq-meta"'), "an equation entry has another shape"
    return found


def site_root(site: Path) -> str:
    """The site_url the site was built for (the sitemap's first address)."""
    return re.findall(r"<loc>([^<]+)</loc>", (site / "sitemap.xml").read_text())[0]


def load(path: Path, name: str):  # noqa: ANN201
    """A module from a file (hooks/, diagrams/ are not packages)."""
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# ---- ids -------------------------------------------------------------------------------------


def test_ids_unique_named_by_quantity_and_independent_of_the_other_cells(built_site: Path) -> None:
    rows = records(built_site)
    ids = [r["id"] for r in rows]
    assert len(ids) == len(set(ids)), [i for i, n in Counter(ids).items() if n > 1]
    assert ids == [r.id for r in equation_records()]
    counts = Counter(r["cell"] for r in rows)
    for name in gr.CELL_NAMES:
        spec = gr.cell(name)
        expected = [*spec.equation_ids, *gr.derive(spec).equation_ids]
        assert [r["id"] for r in rows if r["cell"] == name] == expected
        # derived alone, a cell's ids are the same: no id depends on the cells around it
        assert [r.id for r in equation_records([name])] == expected
        assert counts[name] == len(expected)
    for ident in ids:
        cell, *quantity = ident.split(".")
        assert cell in gr.CELL_NAMES and quantity, ident
        assert not any(part.isdigit() for part in quantity), f"{ident}: looks like a position"


def test_exports_identical_across_two_builds(built_site: Path, tmp_path: Path) -> None:
    """The exports again, by a fresh interpreter with another hash seed than the build's (the
    clean second build checks a second build with the same seed): the same bytes."""
    for seed in ("4242",):
        out = tmp_path / seed
        env = dict(os.environ, PYTHONHASHSEED=seed)
        for script in ("equation_exports", "citations"):
            proc = subprocess.run(
                [sys.executable, str(ROOT / "diagrams" / f"{script}.py"), str(out / script)],
                cwd=ROOT,
                env=env,
                capture_output=True,
                text=True,
                check=False,
            )
            assert proc.returncode == 0, proc.stderr
        published = out / "equation_exports" / "publish"
        files = sorted(p.relative_to(published) for p in published.rglob("*") if p.is_file())
        assert sorted(f.as_posix() for f in files) == sorted(
            ["equations.json", "equations.tex", *(f"equations/{n}.tex" for n in gr.CELL_NAMES)]
        )
        for rel in files:
            expected = plain_build((published / rel).read_text(encoding="utf-8"), built_site)
            assert (built_site / rel).read_text(encoding="utf-8") == expected, rel
        bib = (out / "citations" / "publish" / "gated-ref.bib").read_text(encoding="utf-8")
        assert (built_site / "gated-ref.bib").read_text(encoding="utf-8") == plain_build(
            bib, built_site
        )


def plain_build(text: str, site: Path) -> str:
    """``text`` as the hook publishes it in a plain (unversioned) build: the site's and the
    latest version's placeholders both become the site's root."""
    root = site_root(site)
    return text.replace("https://gated-ref.invalid/", root).replace(
        "https://gated-ref-latest.invalid/", root
    )


# ---- anchors ---------------------------------------------------------------------------------


def test_each_id_is_one_anchor_on_its_page_and_on_no_other(built_site: Path) -> None:
    rows = records(built_site)
    page_of = {r["id"]: r["page"] for r in rows}
    for r in rows:
        path, anchor = r["page"].split("#")
        assert anchor == r["id"] and (path == "" or path.endswith("/")), r["page"]
        assert page_file(built_site, path).is_file(), r["page"]
    for page in sorted(built_site.rglob("index.html")):
        url = page.parent.relative_to(built_site).as_posix() + "/"
        url = "" if url == "./" else url
        found = Counter(
            i for i in _HTML_ID.findall(page.read_text(encoding="utf-8")) if i in page_of
        )
        expected = {i for i, p in page_of.items() if p.split("#")[0] == url}
        assert set(found) == expected, f"{url}: ids anchored here differ from equations.json"
        assert all(n == 1 for n in found.values()), f"{url}: {found.most_common(3)}"


def test_srepr_reparses_to_the_equation_derived_today(built_site: Path) -> None:
    """The published srepr needs SymPy alone (tests/test_core_exports.py checks its meaning
    numerically, in an interpreter without gated_ref)."""
    today = {}
    for name in gr.CELL_NAMES:
        spec, back = gr.cell(name), gr.derive(name)
        today.update(zip(spec.equation_ids, spec.equations, strict=True))
        today.update(zip(back.equation_ids, back.equations, strict=True))
    rows = records(built_site)
    assert {r["id"] for r in rows} == set(today)
    for r in rows:
        parsed = eval(r["srepr"], vars(sp))  # noqa: S307
        assert isinstance(parsed, sp.Equality), r["id"]
        assert parsed == plain(today[r["id"]]), r["id"]
        assert plain_srepr(parsed) == r["srepr"], r["id"]


def test_every_symbol_links_to_its_row_on_the_notation_page(built_site: Path) -> None:
    notation = (built_site / "notation" / "index.html").read_text(encoding="utf-8")
    anchors = set(_HTML_ID.findall(notation))
    links = {s["notation"] for r in records(built_site) for s in r["symbols"]}
    assert len(links) >= 10
    for link in links:
        path, anchor = link.split("#")
        assert path == "notation/" and anchor in anchors, link


def test_shown_and_copied_latex_is_the_record(built_site: Path) -> None:
    """On every page, each entry's button copies its record's LaTeX, its math shows the same
    equation, and its id links to the record's page (itself where it is the anchor)."""
    by_id = {r["id"]: r for r in records(built_site)}
    seen = Counter()
    for page in sorted(built_site.rglob("*.html")):
        url = page.parent.relative_to(built_site).as_posix() + "/"
        for entry in entries(page.read_text(encoding="utf-8")):
            record = by_id[entry["label"]]
            assert entry["latex"] == record["latex"], f"{url}: {entry['label']}"
            math = entry["math"].replace(" \\right. \\\\\n&\\qquad \\left. ", " ")
            math = math.replace(" \\\\\n&\\quad ", " ").replace(" &= ", " = ", 1)
            assert math == record["latex"], f"{url}: {entry['label']} shows other math"
            target = (page.parent / entry["href"].split("#")[0]).resolve()
            assert target == page_file(built_site, record["page"]).parent.resolve(), entry
            assert entry["href"].endswith("#" + record["id"])
            if entry["id"]:
                assert entry["id"] == record["id"] and entry["href"] == "#" + record["id"]
            seen[url] += 1
    assert sum(seen.values()) >= 2 * len(by_id), seen  # canonical pages and the sheets


def test_cell_pages_offer_their_tex_and_labels_match_ids(built_site: Path) -> None:
    rows = records(built_site)
    tex = (built_site / "equations.tex").read_text(encoding="utf-8")
    assert re.findall(r"\\label\{([^}]*)\}", tex) == [r["id"] for r in rows]
    for name in gr.CELL_NAMES:
        mine = [r for r in rows if r["cell"] == name]
        one = (built_site / "equations" / f"{name}.tex").read_text(encoding="utf-8")
        assert re.findall(r"\\label\{([^}]*)\}", one) == [r["id"] for r in mine]
        assert all(r["latex"] + f" \\label{{{r['id']}}}" in one for r in mine)
        page = page_file(built_site, next(r["page"] for r in mine if r["part"] == "forward"))
        links = re.findall(r'href="([^"]*equations/' + name + r'\.tex)"', page.read_text())
        assert links, f"{page}: no link to {name}.tex"
        assert all((page.parent / link).resolve().is_file() for link in links)


# ---- in the browser --------------------------------------------------------------------------

_TYPESET = """(items) => {
  const problems = [];
  for (const [id, latex] of items) {
    let mml;
    try { mml = MathJax.tex2mml(latex, {display: true}); }
    catch (err) { problems.push(id + ": " + err.message); continue; }
    if (/<merror|mathcolor="red"/.test(mml)) problems.push(id + ": " + mml.slice(0, 200));
  }
  return problems;
}"""


@pytest.fixture(scope="module")
def tab(chromium, site_url: str):  # noqa: ANN001, ANN201
    """A browser tab allowed to use the clipboard, printing on A4's width."""
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=site_url[:-1])
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))
    page.on("pageerror", lambda e: errors.append(str(e)))
    yield page, errors
    context.close()


def goto(page, url: str) -> None:  # noqa: ANN001
    page.goto(url, wait_until="load")
    page.wait_for_function(
        "() => document.body.getAttribute('data-math-typeset') === location.pathname",
        timeout=20_000,
    )


def test_every_latex_typesets_without_error(tab, site_url: str, built_site: Path) -> None:  # noqa: ANN001
    page, errors = tab
    goto(page, site_url)
    items = [[r["id"], r["latex"]] for r in records(built_site)]
    bad = [["broken.example", r"\frac{x"], ["undefined.example", r"\nosuchmacro x"]]
    assert len(page.evaluate(_TYPESET, bad)) == 2, "the check would not notice an error"
    assert page.evaluate(_TYPESET, items) == []
    assert errors == []


#: Runs in the page: is the equation of the id ``id`` shown inside the viewport?
IN_VIEW = """(id) => {
  const el = document.getElementById(id);
  const math = el && el.parentElement.nextElementSibling;
  const box = math && math.getBoundingClientRect();
  return !!box && box.height > 0 && box.top >= 0 && box.top <= innerHeight;
}"""


def test_every_id_link_shows_its_equation(tab, site_url: str, built_site: Path) -> None:  # noqa: ANN001
    """Following ``page#id`` shows the equation, in view, even inside a closed content tab."""
    page, errors = tab
    by_page: dict[str, list[str]] = {}
    for r in records(built_site):
        by_page.setdefault(r["page"].split("#")[0], []).append(r["id"])
    for path, every in by_page.items():
        # The generated cell pages share one template: those of the sampled cells (each id is
        # one anchor on its page for every cell: test_each_id_is_one_anchor_on_its_page...).
        zoo = re.match(r"^cells/zoo/([a-z0-9_]+)/$", path)
        if zoo and zoo.group(1) not in GENERATED_SAMPLE:
            continue
        # at most 16 ids per page, evenly spread, first and last included (a page's ids share
        # its layout: tabs, admonitions and the equation blocks are what can hide one)
        step = max(1, -(-len(every) // 16))
        ids = every[::step] + ([every[-1]] if (len(every) - 1) % step else [])
        goto(page, site_url + path + "#" + ids[-1])
        # The browser scrolls to the anchor as the typeset math settles: wait until it is in
        # view (or give up after 5 s and let the check below report it).
        try:
            page.wait_for_function(IN_VIEW, arg=ids[-1], timeout=5_000)
        except sync_api.TimeoutError:
            pass
        hidden = page.evaluate(
            """async (ids) => {
              const hidden = [];
              for (const id of ids) {
                if (location.hash !== "#" + id) {
                  await new Promise((done) => {
                    window.addEventListener("hashchange", done, {once: true});
                    location.hash = id;
                  });
                }
                const el = document.getElementById(id);
                const math = el && el.parentElement.nextElementSibling;
                const box = math && math.getBoundingClientRect();
                if (!box || box.height === 0 || box.top < 0 || box.top > innerHeight)
                  hidden.push(id);
              }
              return hidden;
            }""",
            ids,
        )
        assert hidden == [], f"{path}: equations not shown by their link: {hidden[:5]}"
    assert errors == []


def test_copy_button_copies_the_latex(tab, site_url: str, built_site: Path) -> None:  # noqa: ANN001
    page, errors = tab
    by_id = {r["id"]: r for r in records(built_site)}
    for ident in ("lstm.c_t", "gru.grad.W_n"):
        record = by_id[ident]
        goto(page, site_url + record["page"])
        button = page.locator(f'[id="{ident}"] + button.gr-copy')
        page.evaluate("() => navigator.clipboard.writeText('')")
        button.click()
        page.wait_for_function("(b) => b.dataset.state === 'copied'", arg=button.element_handle())
        assert page.evaluate("() => navigator.clipboard.readText()") == record["latex"]
    assert errors == []


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_print_shows_the_sheet_only(chromium, site_url: str, scheme: str) -> None:  # noqa: ANN001
    """Printed (A4's width), a sheet has no site chrome or buttons, black on white, and no
    equation wider than the paper."""
    context = chromium.new_context(viewport={"width": 703, "height": 1000}, color_scheme=scheme)
    page = context.new_page()
    watch = Watch(page, site_url)
    report = {}
    try:
        # every sheet in the light scheme; in the dark one, the sheets of the cells whose
        # equations are the widest or the most varied (print ignores the scheme's colours).
        # On screen first, each gets the checks every page gets (tests/browser_checks.py).
        names = gr.CELL_NAMES if scheme == "light" else ("lstm", "lstm_fgr", "lstm_proj", "gru")
        for name in names:
            problems = open_page(page, watch, f"{site_url}sheets/{name}/")
            shot = SHOTS / f"sheets-{name}-{scheme}.png" if name in GENERATED_SAMPLE else None
            problems = problems or page_problems(page, watch, scheme, shot)
            if problems:
                report[name] = problems
                continue
            page.emulate_media(media="print")
            state = page.evaluate(
                """() => {
                  const shown = (sel) => Array.from(document.querySelectorAll(sel))
                    .filter((el) => getComputedStyle(el).display !== "none").length;
                  const style = getComputedStyle(document.body);
                  return {
                    chrome: [".md-header", ".md-sidebar", ".md-footer", ".md-tabs",
                             "button.gr-copy", ".md-top"].map((s) => [s, shown(s)]),
                    ids: shown(".gr-eq-id"),
                    background: style.backgroundColor, color: style.color,
                    wide: Array.from(document.querySelectorAll(".gr-sheet div.arithmatex"))
                      .filter((d) => d.scrollWidth > d.clientWidth + 1).length,
                    page: document.documentElement.scrollWidth,
                  };
                }"""
            )
            assert all(n == 0 for _, n in state["chrome"]), (name, state["chrome"])
            assert state["ids"] == len(gr.cell(name).equation_ids) + len(
                gr.derive(name).equation_ids
            )
            assert state["background"] in ("rgb(255, 255, 255)", "rgba(0, 0, 0, 0)"), state
            assert state["color"] == "rgb(0, 0, 0)", state
            assert state["wide"] == 0 and state["page"] <= 703, (name, state)
            if name == "lstm":
                (ROOT / "screenshots").mkdir(exist_ok=True)
                shot = ROOT / "screenshots" / f"print-sheets-lstm-{scheme}.png"
                page.screenshot(path=str(shot), full_page=True)
                assert page.pdf(format="A4")[:5] == b"%PDF-"
            page.emulate_media(media="screen")
    finally:
        context.close()
    assert report == {}, report


# ---- citation files --------------------------------------------------------------------------


def test_citation_cff() -> None:
    cff = yaml.safe_load((ROOT / "CITATION.cff").read_text(encoding="utf-8"))
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert cff["cff-version"] == "1.2.0"
    assert cff["type"] == "software" and cff["message"]
    assert cff["title"].startswith("gated-ref") and cff["authors"]
    assert all(a.get("name") or a.get("family-names") for a in cff["authors"])
    assert cff["version"] == gr.__version__ == project["version"]
    assert cff["license"] == "MIT"
    dois = {ref.get("doi") for ref in cff["references"]}
    for doi in (
        "10.1162/neco.1997.9.8.1735",
        "10.1162/089976600300015015",
        "10.1109/IJCNN.2000.861302",
        "10.3115/v1/D14-1179",
        "10.1109/TNNLS.2016.2582924",
    ):
        assert doi in dois, doi
    assert any("1412.3555" in json.dumps(ref) for ref in cff["references"])


def cffconvert(path: Path) -> subprocess.CompletedProcess:
    """``cffconvert --validate`` on one file (the test extra pins cffconvert)."""
    exe = Path(sys.executable).parent / "cffconvert"
    if not exe.exists():
        pytest.fail(f"{exe} not found: install the test extra (make deps-test)")
    cmd = [str(exe), "--validate", "-i", str(path)]
    return subprocess.run(cmd, capture_output=True, text=True, check=False)


def test_citation_cff_validates_with_cffconvert(tmp_path: Path) -> None:
    proc = cffconvert(ROOT / "CITATION.cff")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "valid" in proc.stdout
    text = (ROOT / "CITATION.cff").read_text(encoding="utf-8")
    assert "\nversion: " in text
    for planted in (
        text.replace("\nversion: ", "\nversoin: "),  # an unknown key
        text.replace("\ntype: software\n", "\ntype: program\n"),  # not in the enum
    ):
        assert planted != text
        (tmp_path / "CITATION.cff").write_text(planted, encoding="utf-8")
        bad = cffconvert(tmp_path / "CITATION.cff")
        assert bad.returncode != 0, bad.stdout


def test_cite_page_and_bibtex(built_site: Path) -> None:
    text = html.unescape(re.sub(r"<[^>]+>", "", (built_site / "cite" / "index.html").read_text()))
    bib = (built_site / "gated-ref.bib").read_text(encoding="utf-8")
    root = site_root(built_site)
    cff = yaml.safe_load((ROOT / "CITATION.cff").read_text(encoding="utf-8"))
    for source in (text, bib):
        assert "@misc{gated_ref," in source and f"url          = {{{root}}}" in source
        assert f"howpublished = {{Software, version {cff['version']}}}" in source
        assert "@software" not in source  # classic BibTeX styles do not define it
        for key, facts in PAPERS.items():
            entry = source[source.index("{" + key + ",") :].split("\n}\n")[0]
            for fact in facts:
                assert fact in entry, (key, fact)
        for page in {r["page"].split("#")[0] for r in records(built_site)}:
            assert f"url          = {{{root}{page}}}" in source, page
    for path in built_site.rglob("*"):
        if path.is_file() and path.suffix in (".html", ".bib", ".json", ".tex", ".xml"):
            assert "gated-ref.invalid" not in path.read_text(encoding="utf-8"), path
    for name in ("equations.json", "equations.tex", "gated-ref.bib"):
        assert f'href="../{name}"' in (built_site / "cite" / "index.html").read_text()


def test_sheets_list_every_equation_of_their_cell(built_site: Path) -> None:
    rows = records(built_site)
    index = (built_site / "sheets" / "index.html").read_text(encoding="utf-8")
    for name in gr.CELL_NAMES:
        assert f'href="{name}/"' in index, name
        page = (built_site / "sheets" / name / "index.html").read_text(encoding="utf-8")
        labels = [e["label"] for e in entries(page)]
        assert labels and sorted(labels) == sorted(r["id"] for r in rows if r["cell"] == name)
        assert all(e["id"] == "" for e in entries(page)), "sheets are not the ids' anchors"


# ---- the build steps alone -------------------------------------------------------------------


def test_hook_resolves_links_and_checks_anchors(tmp_path: Path) -> None:
    from mkdocs.exceptions import PluginError

    hook = load(ROOT / "hooks" / "gated_ref_site.py", "gated_ref_site_for_citations")
    equations = {"lstm.c_t": "cells/lstm/", "lstm.grad.c_prev": "derivations/"}
    page = '<a href="gr-eq:lstm.grad.c_prev">x</a> <a href="gr-site:equations/lstm.tex">t</a>'
    out = hook.resolve_links(page, "cells/lstm/", equations, {"equations/lstm.tex"})
    assert out == (
        '<a href="../../derivations/#lstm.grad.c_prev">x</a> '
        '<a href="../../equations/lstm.tex">t</a>'
    )
    with pytest.raises(PluginError, match="unknown equation id"):
        hook.resolve_links('<a href="gr-eq:lstm.nope">', "", equations, set())
    with pytest.raises(PluginError, match="no such page"):
        hook.resolve_links('<a href="gr-site:missing.tex">', "", equations, set())
    ok = '<a id="lstm.c_t" href="#lstm.c_t">'
    assert hook.anchor_problems(ok, "cells/lstm/", equations) == []
    assert len(hook.anchor_problems(ok + ok, "cells/lstm/", equations)) == 1
    assert len(hook.anchor_problems("", "cells/lstm/", equations)) == 1
    assert len(hook.anchor_problems(ok, "derivations/", equations)) == 2
    # the notebooks' cache key follows the results they read
    (tmp_path / "gated_ref").mkdir()
    (tmp_path / "gated_ref" / "__init__.py").write_text("")
    results = tmp_path / "docs" / "generated" / "adding_problem" / "results.json"
    results.parent.mkdir(parents=True)
    results.write_text("{}")
    before = hook.notebook_cache_key(tmp_path)
    assert hook.notebook_cache_key(tmp_path) == before
    results.write_text('{"changed": 1}')
    assert hook.notebook_cache_key(tmp_path) != before


def test_wrapped_sheet_rows_are_the_same_equations() -> None:
    sys.path.insert(0, str(ROOT / "diagrams"))
    try:
        equations = load(ROOT / "diagrams" / "equations.py", "diagram_equations_for_tests")
    finally:
        sys.path.remove(str(ROOT / "diagrams"))
    wrapped = 0
    for name in gr.CELL_NAMES:
        for eqs in (gr.cell(name), gr.derive(name)):
            for row in equations.rows_of(eqs.latex(), eqs.equation_ids):
                text = equations.broken(row)
                wrapped += text != row
                for line in text.split("\\\\\n"):
                    opened = re.findall(r"\\left(?![A-Za-z])", line)
                    assert len(opened) == len(re.findall(r"\\right(?![A-Za-z])", line)), line
                    assert equations.width(line) <= equations.SHEET_WIDTH + 20, line
                latex = row.replace(" &= ", " = ", 1)
                assert html.unescape(equations.attribute(latex)) == latex
    assert wrapped >= 5
    assert equations.split_top(r"a^{\rightarrow} + \left(b - c\right) - d", (" + ", " - ")) == [
        r"a^{\rightarrow}",
        r"+ \left(b - c\right)",
        "- d",
    ]
