"""The built site in a real browser: headless Chromium (Debian's) driven by Playwright.

Every page, loaded once and checked in the light scheme and then, switched with no reload, in
the dark one: no request leaves 127.0.0.1, no console error, no broken image, every math block
typeset. A screenshot of each, in each scheme, lands in ``screenshots/`` (git-ignored; the
viewport, or the full page with ``make screenshots``). Then instant navigation: math typesets
on the new page.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from conftest import GENERATED_SAMPLE
from playwright import sync_api

ROOT = Path(__file__).resolve().parents[1]
SHOTS = ROOT / "screenshots"
SCHEMES = {"light": "default", "dark": "slate"}


def site_pages(site: Path) -> list[str]:
    """Paths of every page in the built sitemap, relative to the site root."""
    sitemap = (site / "sitemap.xml").read_text(encoding="utf-8")
    locs = re.findall(r"<loc>([^<]+)</loc>", sitemap)
    base = locs[0]  # the home page: the site_url
    return [loc[len(base) :] for loc in locs]


class Watch:
    """Everything a page did that a test can object to."""

    def __init__(self, page, origin: str) -> None:  # noqa: ANN001
        self.external: list[str] = []
        self.errors: list[str] = []
        self.failed: list[str] = []
        host = urlsplit(origin).netloc

        def route(route) -> None:  # noqa: ANN001
            url = route.request.url
            if url.startswith(("data:", "blob:")) or urlsplit(url).netloc == host:
                route.continue_()
            else:
                self.external.append(url)
                route.abort()

        page.route("**/*", route)
        page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        page.on("pageerror", lambda e: self.errors.append(f"uncaught: {e}"))
        # A load the page itself cancels (a font still in flight while instant navigation
        # swaps the page) is net::ERR_ABORTED, not a broken resource; a missing file shows
        # up below as HTTP 404, and anything refused or unreachable as another failure.
        page.on(
            "requestfailed",
            lambda r: (
                "ERR_ABORTED" not in (r.failure or "")
                and self.failed.append(f"{r.url}: {r.failure}")
            ),
        )
        page.on(
            "response",
            lambda r: r.status >= 400 and self.failed.append(f"{r.url}: HTTP {r.status}"),
        )


# Runs in the page: math and images that did not render.
_PAGE_PROBLEMS = """async () => {
  const problems = [];
  for (const el of document.querySelectorAll(".arithmatex")) {
    if (!el.querySelector("mjx-container"))
      problems.push("math not typeset: " + el.textContent.slice(0, 80));
  }
  for (const el of document.querySelectorAll("mjx-merror, mjx-container [data-mjx-error]"))
    problems.push("math error: " + (el.getAttribute("data-mjx-error") || el.textContent));
  const skip = "pre, code, script, style, mjx-container, textarea, .clipboard-copy-txt";
  const content = document.querySelector(".md-content");
  const walker = document.createTreeWalker(content, NodeFilter.SHOW_TEXT);
  const raw = /\\\\\\(|\\\\\\[|\\$\\$|\\\\begin\\{|\\$[^$\\s][^$]*\\$/;
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    if (node.parentElement.closest(skip)) continue;
    if (raw.test(node.textContent))
      problems.push("raw TeX left on the page: " + node.textContent.trim().slice(0, 80));
  }
  const settled = (img) => img.complete ? null : new Promise((done) => {
    img.addEventListener("load", done, {once: true});
    img.addEventListener("error", done, {once: true});
  });
  await document.fonts.ready;
  const timeout = new Promise((done) => setTimeout(done, 10000));
  await Promise.race([Promise.all(Array.from(document.images, settled)), timeout]);
  for (const img of document.images) {
    if (img.naturalWidth === 0)
      problems.push("broken image: " + img.getAttribute("src"));
  }
  return {problems, math: document.querySelectorAll("mjx-container").length,
          scheme: document.body.getAttribute("data-md-color-scheme")};
}"""


def wait_for_math(page) -> None:  # noqa: ANN001
    """Wait until mathjax.js has typeset the page now shown (it marks <body> when done)."""
    page.wait_for_function(
        "() => document.body.getAttribute('data-math-typeset') === location.pathname",
        timeout=20_000,
    )


@pytest.fixture(scope="module")
def tab(chromium, site_url):  # noqa: ANN001
    """A browser tab that starts in the system's light preference (tests switch it to dark)."""
    context = chromium.new_context(color_scheme="light", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    watch = Watch(page, site_url)
    yield page, watch
    context.close()


def test_site_has_pages(built_site: Path) -> None:
    """The sitemap lists every page of the nav (the browser tests visit these)."""
    pages = site_pages(built_site)
    assert "" in pages and "notebooks/kernel/" in pages and "api/" in pages
    assert len(pages) >= 13


#: Pages generated per cell from one template (the zoo's pages and equation sheets). Each is
#: typeset and checked by tests/test_zoo_site.py and tests/test_citations.py; here, in both
#: schemes, only those of the cells that exercise every part of the template (projection, extra
#: recurrent matrices, elementwise weights, x used elementwise).
GENERATED = re.compile(r"^(cells/zoo|sheets)/([a-z0-9_]+)/$")
#: Full-page screenshots cost seconds per page: `make screenshots` sets this for a review.
FULL_PAGE = os.environ.get("GATED_REF_FULL_SCREENSHOTS") == "1"


def switch_scheme(page, scheme: str) -> None:  # noqa: ANN001
    """Emulate the system's light or dark preference and wait until the palette follows it."""
    page.emulate_media(color_scheme=scheme)
    page.wait_for_function(
        "(want) => document.body.getAttribute('data-md-color-scheme') === want",
        arg=SCHEMES[scheme],
        timeout=10_000,
    )


def check_page(page, watch: Watch, url: str, shots: Path) -> list[str]:  # noqa: ANN001
    """Load ``url`` once and check it in the light scheme, then switched to dark with no
    reload; everything wrong with it, as sentences. Saves a screenshot in each scheme."""
    watch.external.clear(), watch.errors.clear(), watch.failed.clear()
    page.goto(url, wait_until="load")
    try:
        wait_for_math(page)
    except sync_api.TimeoutError:
        return ["MathJax did not finish typesetting within 20 s"]
    problems: list[str] = []
    for scheme in ("light", "dark"):
        if scheme == "dark":
            try:
                switch_scheme(page, "dark")
            except sync_api.TimeoutError:
                scheme_now = page.evaluate("document.body.getAttribute('data-md-color-scheme')")
                problems.append(f"palette {scheme_now!r} does not follow the system (dark)")
                break
        result = page.evaluate(_PAGE_PROBLEMS)
        page.screenshot(
            path=str(shots.with_name(f"{shots.name}-{scheme}.png")), full_page=FULL_PAGE
        )
        problems += [f"{scheme}: {p}" for p in result["problems"]]
        if result["scheme"] != SCHEMES[scheme]:
            problems.append(f"palette {result['scheme']!r} does not follow the system ({scheme})")
    switch_scheme(page, "light")
    problems += [f"request left 127.0.0.1: {u}" for u in watch.external]
    problems += [f"console error: {e}" for e in watch.errors]
    problems += [f"failed request: {f}" for f in watch.failed]
    return problems


def test_every_page(tab, site_url: str, built_site: Path) -> None:  # noqa: ANN001
    """Every page, light and dark: offline, error-free, images loaded, all math typeset."""
    page, watch = tab
    SHOTS.mkdir(exist_ok=True)
    report = {}
    for path in site_pages(built_site):
        generated = GENERATED.match(path)
        if generated and generated.group(2) not in GENERATED_SAMPLE:
            continue
        name = path.strip("/").replace("/", "-") or "index"
        problems = check_page(page, watch, site_url + path, SHOTS / name)
        if problems:
            report[path or "/"] = problems
    listing = "\n".join(f"{p}:\n  " + "\n  ".join(v) for p, v in report.items())
    assert report == {}, f"{len(report)} page(s) with problems:\n{listing}"


@pytest.mark.parametrize("target", ["cells/lstm/", "notebooks/kernel/", "derivations/"])
def test_instant_navigation_typesets(target: str, tab, site_url: str) -> None:  # noqa: ANN001
    """A click follows instant navigation (no reload), and the new page's math is typeset."""
    page, watch = tab
    watch.external.clear(), watch.errors.clear(), watch.failed.clear()
    page.goto(site_url, wait_until="load")
    wait_for_math(page)
    page.evaluate("() => { window.__sameDocument = true; }")
    page.locator(f'.md-nav a[href$="{target}"]').first.click()
    page.wait_for_url(site_url + target)
    wait_for_math(page)
    assert page.evaluate("() => window.__sameDocument === true"), "the page reloaded"
    result = page.evaluate(_PAGE_PROBLEMS)
    assert result["math"] > 0, f"{target}: no math on the page"
    assert result["problems"] == [], f"{target} after instant navigation"
    assert watch.external == [] and watch.errors == [] and watch.failed == []
