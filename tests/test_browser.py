"""The built site in a real browser: headless Chromium (Debian's) driven by Playwright.

Every page, loaded once and checked in the light scheme and then, switched with no reload, in
the dark one: no request leaves 127.0.0.1, no console error, no broken image, every math block
typeset. A screenshot of each, in each scheme, lands in ``screenshots/`` (git-ignored; the
viewport, or the full page with ``make screenshots``). Then instant navigation: math typesets
on the new page.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from browser_checks import SHOTS, Watch, check_page, page_problems, wait_for_math


def site_pages(site: Path) -> list[str]:
    """Paths of every page in the built sitemap, relative to the site root."""
    sitemap = (site / "sitemap.xml").read_text(encoding="utf-8")
    locs = re.findall(r"<loc>([^<]+)</loc>", sitemap)
    base = locs[0]  # the home page: the site_url
    return [loc[len(base) :] for loc in locs]


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


#: Pages generated per cell from one template (the zoo's pages and equation sheets): each is
#: loaded once by tests/test_zoo_site.py or tests/test_citations.py (the print test), which run
#: the same checks on it (`browser_checks.page_problems`), in both schemes for the cells of
#: `conftest.GENERATED_SAMPLE`; here they are skipped.
GENERATED = re.compile(r"^(cells/zoo|sheets)/([a-z0-9_]+)/$")


def test_every_page(tab, site_url: str, built_site: Path) -> None:  # noqa: ANN001
    """Every page, light and dark: offline, error-free, images loaded, all math typeset."""
    page, watch = tab
    SHOTS.mkdir(exist_ok=True)
    report = {}
    for path in site_pages(built_site):
        if GENERATED.match(path):
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
    assert page.evaluate("document.querySelectorAll('mjx-container').length") > 0, target
    assert page_problems(page, watch, "light") == [], f"{target} after instant navigation"
