"""The built site: reproducible bytes, no-op rebuilds, generated content, offline pages."""

from __future__ import annotations

import hashlib
import html
import importlib.util
import json
import re
import tarfile
from pathlib import Path

import pytest
from conftest import ROOT, mkdocs_build

import gated_ref as gr
from sitebuild import vendor


def tree_hashes(folder: Path) -> dict[str, str]:
    """SHA-256 of every file under ``folder``, by relative path."""
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def generated_state() -> dict[str, tuple[str, int]]:
    """Hash and mtime of every file under docs/generated/."""
    folder = ROOT / "docs" / "generated"
    return {
        p.relative_to(folder).as_posix(): (
            hashlib.sha256(p.read_bytes()).hexdigest(),
            p.stat().st_mtime_ns,
        )
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def page_text(site: Path, page: str) -> str:
    """The visible text of a built page: tags removed, entities decoded."""
    raw = (site / page / "index.html").read_text(encoding="utf-8")
    return html.unescape(re.sub(r"<[^>]+>", "", raw))


def test_rebuild_with_no_change_renders_nothing_and_keeps_bytes(built_site: Path) -> None:
    site_before, generated_before = tree_hashes(built_site), generated_state()
    proc = mkdocs_build(site_dir=built_site)
    log = proc.stdout + proc.stderr
    assert proc.returncode == 0, log
    assert re.search(r"diagrams: 0 rendered, \d+ up to date", log), log
    assert "Converting notebook" not in log and "Cache hit" in log, log
    assert generated_state() == generated_before  # not even rewritten: same mtimes
    assert tree_hashes(built_site) == site_before


def test_clean_build_elsewhere_is_byte_identical(
    built_site: Path, clean_build: tuple[Path, str]
) -> None:
    """Two builds of the same sources, the second with no cache in another folder (conftest
    copies what a clone would hold and builds it while the other tests run): the same bytes."""
    copy, log = clean_build
    assert "Converting notebook" in log  # really executed afresh
    ours, theirs = tree_hashes(built_site), tree_hashes(copy / "site")
    assert sorted(ours) == sorted(theirs)
    differ = [path for path in ours if ours[path] != theirs[path]]
    assert differ == [], f"files that differ between two clean builds: {differ}"


def test_figures_carry_no_date(built_site: Path) -> None:
    """No SVG figure carries a build date (matplotlib writes one unless told not to); together
    with the clean second build above, every figure's bytes are the same on every build."""
    svgs = sorted(built_site.rglob("*.svg"))
    assert len(svgs) >= 10, "the site has no figures"
    dated = [p.relative_to(built_site).as_posix() for p in svgs if "<dc:date>" in p.read_text()]
    assert dated == []


def test_cell_pages_show_the_equations_sympy_prints(built_site: Path) -> None:
    """Every cell's equations, forward and backward, on the page that anchors them (a teaching
    page, the derivations page or its generated page: equations.json says which) and on its
    generated page. The teaching pages keep the cells they teach."""
    records = json.loads((built_site / "equations.json").read_text(encoding="utf-8"))
    page_of = {(r["cell"], r["part"]): r["page"].split("#")[0].strip("/") for r in records}
    assert {c for c, _ in page_of} == set(gr.CELL_NAMES), "a cell without anchored equations"
    teaching = {"rnn_tanh": "cells/rnn", "lstm": "cells/lstm", "gru": "cells/gru"}
    teaching |= {"gru_reset_before": "cells/gru", "lstm_1997": "cells/lstm-1997"}
    assert {c: page_of[(c, "forward")] for c in teaching} == teaching
    for name in gr.CELL_NAMES:
        spec, back = gr.cell(name), gr.derive(gr.cell(name))
        own = page_text(built_site, f"cells/zoo/{name}")
        for part, eqs in (("forward", spec), ("backward", back)):
            anchored = page_text(built_site, page_of[(name, part)])
            for row in eqs.latex().splitlines()[1:-1]:
                assert row.rstrip(" \\") in anchored, f"{page_of[(name, part)]}: {name} row"
                assert row.rstrip(" \\") in own, f"cells/zoo/{name}: {part} row missing"


def test_generated_code_page_shows_each_kernel_source(built_site: Path) -> None:
    text = page_text(built_site, "generated-code")
    for name in gr.CELL_NAMES:
        source = gr.lower(gr.cell(name)).source
        generated = ROOT / "docs" / "generated" / "generated_code" / f"{name}.py"
        assert generated.read_text(encoding="utf-8") == source
        # pygments wraps every token, but the text of each line survives
        for line in source.splitlines():
            if line.strip():
                assert line.strip() in text, f"generated code of {name}: {line!r} missing"


def test_pages_load_nothing_from_other_hosts(built_site: Path) -> None:
    hook = load_hook()
    for page in sorted(built_site.rglob("*.html")):
        found = hook.external_requests(page.read_text(encoding="utf-8"))
        assert found == [], f"{page.relative_to(built_site)}: {found}"
    css = "".join(p.read_text(encoding="utf-8") for p in built_site.rglob("*.css"))
    assert "fonts.googleapis" not in css and "@import url(http" not in css


def load_hook():
    """hooks/gated_ref_site.py as a module."""
    spec = importlib.util.spec_from_file_location(
        "gated_ref_site", ROOT / "hooks" / "gated_ref_site.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_offline_checker_and_cdn_stripper() -> None:
    hook = load_hook()
    page = """
    <a href="https://example.org/paper">a link is fine</a>
    <link rel="canonical" href="https://gated-ref.example/x/">
    <link rel="stylesheet" href="https://fonts.googleapis.com/css?family=Roboto">
    <img src="//cdn.example/a.png"><img src="../local.svg">
    <script src="https://cdnjs.cloudflare.com/ajax/libs/mathjax/2.7.7/latest.js"> </script>
    <script type="text/x-mathjax-config">MathJax.Hub.Config({});</script>
    <script type="module">const m = (await import("https://cdn.example/m.mjs")).default;</script>
    <div style="background: url('https://x.example/bg.png')"></div>
    """
    found = hook.external_requests(page)
    assert len(found) == 5, found
    assert not any("example.org/paper" in f or "canonical" in f for f in found)
    stripped = hook.strip_cdn_scripts(page)
    assert "cdnjs" not in stripped and "x-mathjax-config" not in stripped
    assert "cdn.example/m.mjs" not in stripped and "../local.svg" in stripped


def test_mathjax_tarball_is_checked(tmp_path: Path) -> None:
    bad = tmp_path / f"mathjax-{vendor.MATHJAX_VERSION}.tgz"
    with tarfile.open(bad, "w:gz"):
        pass
    with pytest.raises(vendor.VendorError, match="integrity"):
        vendor.fetch_mathjax(tmp_path)
    assert not bad.exists()
