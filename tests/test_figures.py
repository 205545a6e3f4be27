"""Figures follow the colour scheme: a dark rendering beside every light one, readable contrast,
colour-blind-safe palettes, descriptive alt text (diagrams/_style.py, docs/stylesheets/figures.css).

Contrast is WCAG 2.x's formula (relative luminance of sRGB); text needs 4.5:1, lines 3:1.
Colour-vision deficiencies are simulated with Machado, Oliveira & Fernandes (2009), "A
physiologically-based model for simulation of color vision deficiency", IEEE TVCG 15(6),
their severity-1.0 matrices for protanopia, deuteranopia and tritanopia (applied to linear RGB);
distances are CIE76 ΔE in CIELAB (D65).
"""

from __future__ import annotations

import ast
import colorsys
import importlib.util
import itertools
import re
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest
from browser_checks import SHOTS, switch_scheme
from conftest import ROOT

DIAGRAMS = ROOT / "diagrams"
sys.path.insert(0, str(DIAGRAMS))
import _style  # noqa: E402

TEXT_CONTRAST, LINE_CONTRAST = 4.5, 3.0
#: Smallest CIE76 distance between two palette colours, as seen with each deficiency.
MIN_DELTA_E = 15.0
MACHADO_2009 = {
    "protanopia": [
        [0.152286, 1.052583, -0.204868],
        [0.114503, 0.786281, 0.099216],
        [-0.003882, -0.048116, 1.051998],
    ],
    "deuteranopia": [
        [0.367322, 0.860646, -0.227968],
        [0.280085, 0.672501, 0.047413],
        [-0.011820, 0.042940, 0.968881],
    ],
    "tritanopia": [
        [1.255528, -0.076749, -0.178779],
        [-0.078411, 0.930809, 0.147602],
        [0.004733, 0.691367, 0.303900],
    ],
}
#: Pages whose images still lack alt text: the notebooks' matplotlib outputs (mkdocs-jupyter's
#: lab template writes nbconvert's placeholder). Pending; the test fails once they are fixed, so
#: the entry is removed with the fix.
#: Alt texts that say nothing about what a figure shows.
VAGUE_ALT = {"", "figure", "plot", "image", "chart", "graph", "diagram", "png", "svg"}


# ---- colour arithmetic ------------------------------------------------------------------------


def rgb(colour: str) -> np.ndarray:
    """``#rrggbb`` (or ``#rgb``) as sRGB in [0, 1]."""
    h = colour.strip().lstrip("#")
    if len(h) == 3:
        h = "".join(c * 2 for c in h)
    if not re.fullmatch(r"[0-9a-fA-F]{6}", h):
        raise ValueError(f"colour: got {colour!r}, expected #rrggbb")
    return np.array([int(h[i : i + 2], 16) / 255 for i in (0, 2, 4)])


def linear(c: np.ndarray) -> np.ndarray:
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)


def luminance(colour: str) -> float:
    return float(np.array([0.2126, 0.7152, 0.0722]) @ linear(rgb(colour)))


def contrast(a: str, b: str) -> float:
    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def lab(lin_rgb: np.ndarray) -> np.ndarray:
    m = np.array([[0.4124564, 0.3575761, 0.1804375], [0.2126729, 0.7151522, 0.0721750],
                  [0.0193339, 0.1191920, 0.9503041]])  # fmt: skip
    xyz = m @ np.clip(lin_rgb, 0, 1) / np.array([0.95047, 1.0, 1.08883])
    f = np.where(xyz > 216 / 24389, np.cbrt(xyz), (24389 / 27 * xyz + 16) / 116)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


# ---- reading an SVG's colours -----------------------------------------------------------------


def svg_colours(text: str) -> dict[str, set[str]]:
    """An SVG's background, area fills, text colours and opaque line colours.

    Matplotlib's SVG: text is in ``<g id="text_N">`` groups, areas are ``patch_N`` fills without
    a stroke (figure and axes backgrounds), lines are opaque strokes. A hand-written SVG: the
    first ``<rect>`` is the background, ``<rect>``/``<circle>`` fills are areas, ``<text>`` takes
    the nearest ``fill``. Translucent strokes (grid lines) are decoration and not counted.
    """
    root = ET.fromstring(text)
    out: dict[str, set[str]] = {"background": set(), "areas": set(), "text": set(), "lines": set()}

    def props(el: ET.Element) -> dict[str, str]:
        p = {k: v for k, v in el.attrib.items() if k in ("fill", "stroke", "stroke-opacity")}
        for part in el.attrib.get("style", "").split(";"):
            if ":" in part:
                k, v = (s.strip() for s in part.split(":", 1))
                p[k] = v
        return p

    def walk(el: ET.Element, fill: str | None, group: str, in_defs: bool) -> None:
        tag = el.tag.rsplit("}", 1)[-1]
        if tag == "defs":
            in_defs = True
        group = next((g for g in ("text_", "patch_") if el.get("id", "").startswith(g)), group)
        p = props(el)
        fill = p.get("fill", fill)
        own_fill = p.get("fill", "none")
        stroke, opacity = p.get("stroke", "none"), float(p.get("stroke-opacity", "1"))
        if not in_defs:
            if tag == "text" or (group == "text_" and own_fill.startswith("#")):
                out["text"].add(fill.lower())
            elif tag in ("rect", "circle") and own_fill.startswith("#"):
                out["areas"].add(own_fill.lower())
                if tag == "rect" and not out["background"]:
                    out["background"].add(own_fill.lower())
            elif group == "patch_" and own_fill.startswith("#") and stroke == "none":
                out["areas"].add(own_fill.lower())
                if not out["background"]:
                    out["background"].add(own_fill.lower())
            if stroke.startswith("#") and opacity >= 1 and group != "text_":
                out["lines"].add(stroke.lower())
        for child in el:
            walk(child, fill, group, in_defs)

    walk(root, root.get("fill", "#000000"), "", False)
    return out


def contrast_problems(text: str, name: str) -> list[str]:
    """Why the dark SVG ``text`` is not readable on its own background, as sentences."""
    c = svg_colours(text)
    problems = []
    if len(c["background"]) != 1:
        return [f"{name}: no single background found: {c['background']}"]
    (bg,) = c["background"]
    if luminance(bg) > 0.05:
        problems.append(f"{name}: background {bg} is not dark (luminance {luminance(bg):.3f})")
    if not c["text"]:
        problems.append(f"{name}: no text found")
    for kind, need in (("text", TEXT_CONTRAST), ("lines", LINE_CONTRAST)):
        for colour in sorted(c[kind]):
            for area in sorted(c["areas"] | {bg}):
                if (r := contrast(colour, area)) < need:
                    problems.append(f"{name}: {kind} {colour} on {area}: {r:.2f}:1 < {need}:1")
    return problems


# ---- fast checks, no site ---------------------------------------------------------------------


def load(stem: str):  # noqa: ANN201
    spec = importlib.util.spec_from_file_location(f"diagram_{stem}", DIAGRAMS / f"{stem}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_no_diagram_writes_an_svg_except_through_the_two_scheme_writers() -> None:
    """Every script that writes an SVG goes through ``save_figures`` or ``write_svgs``, which
    write the light and the dark rendering; a bare ``savefig`` or ``.svg`` write is a figure
    with no dark twin."""
    bad = []
    for path in sorted(DIAGRAMS.glob("[!_]*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
                continue
            target = ast.unparse(node.func.value)
            if node.func.attr == "savefig" or (
                node.func.attr in ("write_text", "write_bytes", "open") and ".svg" in target
            ):
                bad.append(f"{path.name}:{node.lineno}: {ast.unparse(node.func)}")
    assert not bad, "SVGs written without a dark rendering:\n" + "\n".join(bad)


def test_save_figures_writes_both_schemes_deterministically(tmp_path: Path) -> None:
    def draw():  # noqa: ANN202
        fig, ax = _style.figure(width=3, height=2)
        for k, colour in enumerate(_style.CYCLE):
            ax.plot([0, 1], [k, k + 1], color=colour, label=f"line {k}")
        ax.axhline(0.5, color=_style.current().muted)
        ax.set(title="title", xlabel="x")
        ax.legend()
        return fig

    (tmp_path / "a").mkdir()
    first = _style.save_figures(draw, tmp_path / "a" / "f.svg")
    assert [p.name for p in first] == ["f.svg", "f-dark.svg"]
    (tmp_path / "b").mkdir()
    _style.save_figures(draw, tmp_path / "b" / "f.svg")
    for name in ("f.svg", "f-dark.svg"):
        text = (tmp_path / "a" / name).read_text()
        assert text == (tmp_path / "b" / name).read_text(), f"{name} differs between runs"
        assert "<dc:date>" not in text
    dark = (tmp_path / "a" / "f-dark.svg").read_text()
    assert contrast_problems(dark, "f-dark.svg") == []
    lines = svg_colours(dark)["lines"]
    assert {c.lower() for c in _style.DARK.palette} <= lines, "the dark palette was not used"


@pytest.mark.parametrize("stem", ["activations", "bptt_graph"])
def test_real_diagrams_have_a_readable_dark_twin(stem: str, tmp_path: Path) -> None:
    load(stem).main(tmp_path)
    svgs = sorted(p.name for p in tmp_path.glob("*.svg"))
    light = [n for n in svgs if not n.endswith("-dark.svg")]
    assert light and svgs == sorted(light + [n[:-4] + "-dark.svg" for n in light])
    for name in light:
        dark = (tmp_path / (name[:-4] + "-dark.svg")).read_text()
        assert contrast_problems(dark, name) == []


@pytest.mark.parametrize("scheme", _style.SCHEMES, ids=lambda s: s.name)
def test_palette_lines_and_text_reach_contrast_on_their_background(scheme) -> None:  # noqa: ANN001
    for colour in scheme.palette + (scheme.muted,):
        assert contrast(colour, scheme.background) >= LINE_CONTRAST, colour
    assert contrast(scheme.text, scheme.background) >= TEXT_CONTRAST


@pytest.mark.parametrize("scheme", _style.SCHEMES, ids=lambda s: s.name)
@pytest.mark.parametrize("deficiency", ["none", *MACHADO_2009])
def test_palette_stays_distinct_under_colour_vision_deficiency(scheme, deficiency: str) -> None:  # noqa: ANN001
    m = np.eye(3) if deficiency == "none" else np.array(MACHADO_2009[deficiency])
    seen = {c: lab(m @ linear(rgb(c))) for c in scheme.palette}
    for (a, la), (b, lb) in itertools.combinations(seen.items(), 2):
        assert np.linalg.norm(la - lb) >= MIN_DELTA_E, (deficiency, a, b)


def test_machado_matrices_keep_neutrals_neutral() -> None:
    """A sanity check of the typed-in matrices: each row sums to 1, so greys stay grey."""
    for name, m in MACHADO_2009.items():
        np.testing.assert_allclose(np.array(m).sum(axis=1), 1.0, atol=1e-5, err_msg=name)


def test_dark_background_is_materials_slate() -> None:
    """Cross-check against the installed theme's CSS: slate's --md-default-bg-color at the
    theme's --md-hue, converted by colorsys, is the dark scheme's background."""
    import material

    css_dir = Path(material.__file__).parent / "templates" / "assets" / "stylesheets"
    css = "".join(p.read_text() for p in css_dir.glob("*.css"))
    hue = float(re.search(r"--md-hue:\s*([\d.]+)deg", css).group(1))
    slate = re.search(r"\[data-md-color-scheme=slate\]\{[^}]*--md-default-bg-color:hsla\(var"
                      r"\(--md-hue\),\s*([\d.]+)%,\s*([\d.]+)%", css)  # fmt: skip
    s, lightness = float(slate.group(1)) / 100, float(slate.group(2)) / 100
    expected = np.array(colorsys.hls_to_rgb(hue / 360, lightness, s)) * 255
    assert np.abs(rgb(_style.DARK.background) * 255 - expected).max() <= 1.0


def test_every_embedded_figure_names_both_renderings() -> None:
    """Each ``![alt](x.svg#only-light)`` in the pages (and the snippets a diagram writes) is
    followed by ``![alt](x-dark.svg#only-dark)``; no SVG is embedded for one scheme only."""
    sources = [*(ROOT / "docs").rglob("*.md"), DIAGRAMS / "gate_activations.py"]
    problems = []
    for path in sources:
        if "generated" in path.parts:
            continue
        text = path.read_text(encoding="utf-8")
        for m in re.finditer(r"!\[([^\]]*)\]\(([^)]+\.svg)(#only-light)?\)", text):
            if m.group(2).endswith("-dark.svg"):
                continue
            twin = f"![{m.group(1)}]({m.group(2)[:-4]}-dark.svg#only-dark)"
            after = text[m.end() :].lstrip()
            paired = twin in text if path.suffix == ".py" else after.startswith(twin)
            if not m.group(3) or not paired:
                problems.append(f"{path.relative_to(ROOT)}: {m.group(0)[:80]}")
    assert not problems, "figures without a dark twin:\n" + "\n".join(problems)


# ---- the built site ---------------------------------------------------------------------------


def test_every_image_in_the_site_has_descriptive_alt_text(built_site: Path) -> None:
    from bs4 import BeautifulSoup

    bad = []
    for page in sorted(built_site.rglob("*.html")):
        tags = re.findall(r"<img\b[^>]*>", page.read_text(encoding="utf-8"), flags=re.I)
        for img in BeautifulSoup("".join(tags), "html.parser").find_all("img"):
            alt = (img.get("alt") or "").strip()
            words = re.findall(r"[A-Za-z]{2,}", alt)
            if alt.lower() in VAGUE_ALT or len(words) < 3 or "no description" in alt.lower():
                src = (img.get("src") or "")[:60]
                bad.append(f"{page.relative_to(built_site)}: {src!r} alt={alt!r}")
    assert not bad, "images without a descriptive alt text:\n" + "\n".join(bad)


def test_every_generated_dark_figure_in_the_site_is_readable(built_site: Path) -> None:
    light = [p for p in (built_site / "generated").rglob("*.svg") if "_vendor" not in p.parts]
    light = [p for p in light if not p.name.endswith("-dark.svg")]
    assert len(light) >= 13
    problems = []
    for path in light:
        dark = path.with_name(path.stem + "-dark.svg")
        if not dark.exists():
            problems.append(f"{path.relative_to(built_site)}: no dark rendering")
            continue
        problems += contrast_problems(dark.read_text(encoding="utf-8"), dark.name)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize(
    ("path", "figures"),
    [("cells/rnn/", 3), ("notebooks/adding_problem/", 1), ("notebooks/own_cell/", 1)],
)
def test_palette_toggle_swaps_figures_with_no_reload(
    path: str,
    figures: int,
    chromium,
    site_url: str,  # noqa: ANN001
) -> None:
    """Diagram pages and notebooks (whose figures are inline SVG data) alike: each figure is
    shown once, in the scheme's rendering, and the toggle swaps it with no reload."""
    context = chromium.new_context(color_scheme="light", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    try:
        page.goto(site_url + path, wait_until="load")
        page.evaluate("window.__sameDocument = true")
        shown = """() => [...document.querySelectorAll(
            '.md-content img[src$="#only-light"], .md-content img[src$="#only-dark"]'
          )].map(i => [i.getAttribute('src').slice(-40), i.complete && i.naturalWidth > 0
            && i.getBoundingClientRect().width > 0 && getComputedStyle(i).display !== 'none'])"""
        light = page.evaluate(shown)
        assert len(light) >= 2 * figures, light
        for src, visible in light:
            assert visible == src.endswith("#only-light"), ("light", src, visible)
        # the page's first figure as shown, in each scheme: screenshots/figure-<page>-<scheme>.png
        SHOTS.mkdir(exist_ok=True)
        shot = f"figure-{path.strip('/').replace('/', '-')}"
        page.locator('.md-content img[src$="#only-light"]').first.screenshot(
            path=str(SHOTS / f"{shot}-light.png")
        )
        switch_scheme(page, "dark")
        assert page.evaluate("window.__sameDocument === true"), "the page was reloaded"
        for src, visible in page.evaluate(shown):
            assert visible == src.endswith("#only-dark"), ("dark", src, visible)
        page.locator('.md-content img[src$="#only-dark"]').first.screenshot(
            path=str(SHOTS / f"{shot}-dark.png")
        )
    finally:
        context.close()
