"""Every page is usable by every reader: axe-core (WCAG 2.0/2.1 A and AA) finds no serious or
critical violation, light and dark, at a laptop's 1280 px and a phone's 390 px; at 390 px no page
scrolls sideways except inside a region that says it scrolls. One browser, one built site.

Each page is loaded once per width and checked in the light scheme with every WCAG rule, then
switched with no reload to the dark scheme and checked with the colour rules (the rest cannot
change: the scheme swaps colours only). Phone screenshots in both schemes land in
``screenshots/`` beside the others, named ``<page>-390-<scheme>.png``.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from axe_checks import axe_violations, sideways_scroll
from browser_checks import SHOTS, Watch, open_page, switch_scheme
from test_browser import site_pages

WIDTHS = (1280, 390)


@pytest.mark.parametrize("width", WIDTHS)
def test_no_serious_accessibility_violations(
    width: int, chromium, site_url: str, built_site: Path
) -> None:  # noqa: ANN001, E501
    """axe-core on every page in the sitemap, light then dark: nothing serious or critical; at
    390 px, no sideways scroll of the page itself."""
    context = chromium.new_context(color_scheme="light", viewport={"width": width, "height": 860})
    page = context.new_page()
    watch = Watch(page, site_url)
    SHOTS.mkdir(exist_ok=True)
    report: dict[str, list[str]] = {}
    for path in site_pages(built_site):
        name = path.strip("/").replace("/", "-") or "index"
        problems = open_page(page, watch, site_url + path)
        if not problems:
            problems = [f"light: {p}" for p in axe_violations(page)]
            if width < 1280:
                problems += sideways_scroll(page)
                page.screenshot(path=str(SHOTS / f"{name}-{width}-light.png"))
            switch_scheme(page, "dark")
            problems += [f"dark: {p}" for p in axe_violations(page, colours_only=True)]
            if width < 1280:
                page.screenshot(path=str(SHOTS / f"{name}-{width}-dark.png"))
            switch_scheme(page, "light")
        if problems:
            report[path or "/"] = problems
    context.close()
    listing = "\n".join(f"{p}:\n  " + "\n  ".join(v) for p, v in report.items())
    assert report == {}, f"{len(report)} page(s) at {width} px with problems:\n{listing}"
