"""Every page is usable by every reader: axe-core (WCAG 2.0/2.1 A and AA) finds no serious or
critical violation, light and dark, at a laptop's 1280 px and a phone's 390 px; at 390 px no page
scrolls sideways except inside a region that says it scrolls. One browser, one built site.

``make test`` checks :data:`SAMPLE`, a page of every template and of every kind of content the
site has, in all four combinations; ``make test-a11y`` (``GATED_REF_A11Y_ALL=1``, which CI runs
after ``make test``) checks every page in the sitemap the same way: axe-core takes about ten
minutes over all of them on two cores, more than the whole suite may.

Each page is loaded at both widths side by side (two browser contexts: two renderer processes,
so the two axe runs share the machine's two cores) and checked in the light scheme with every
WCAG rule, then switched with no reload to the dark scheme and checked with the colour rules (the
rest cannot change: the scheme swaps colours only). Phone screenshots in both schemes land in
``screenshots/`` beside the others, named ``<page>-390-<scheme>.png``, and a page's first step
diagram in ``<page>-390-steps-<scheme>.png``.
"""

from __future__ import annotations

import os
from pathlib import Path

from axe_checks import axe_result, sideways_scroll, start_axe
from browser_checks import SHOTS, Watch, switch_scheme, wait_for_math
from playwright import sync_api
from test_browser import site_pages

LAPTOP, PHONE = 1280, 390
#: Every page when set (``make test-a11y``, run by CI), else :data:`SAMPLE`.
ALL_PAGES = os.environ.get("GATED_REF_A11Y_ALL") == "1"
#: One page of each template and each kind of content: the home page; a hand-written cell page
#: (step diagrams, figures, equation ids); the comparison page (wide tables, verdicts); the
#: explorer; a notebook (code cells, outputs, figures); a generated zoo page and cheat sheet
#: (diff tables, the widest equations). The rest are plain pages of the same theme.
SAMPLE = (
    "",
    "cells/lstm/",
    "cells/lstm-vs-gru/",
    "explorer/",
    "notebooks/own_cell/",
    "cells/zoo/lstm_proj/",
    "sheets/gru_mut1/",
)


def shot_name(path: str, width: int, scheme: str) -> str:
    """The screenshot file of ``path`` at ``width`` in ``scheme``."""
    return f"{path.strip('/').replace('/', '-') or 'index'}-{width}-{scheme}.png"


def test_no_serious_accessibility_violations(chromium, site_url: str, built_site: Path) -> None:  # noqa: ANN001
    """axe-core on every page in the sitemap (or the sample) at 1280 and 390 px, light then
    dark: nothing serious or critical; at 390 px, no sideways scroll of the page itself."""
    tabs = {}
    for width in (LAPTOP, PHONE):
        context = chromium.new_context(
            color_scheme="light", viewport={"width": width, "height": 860}
        )
        page = context.new_page()
        tabs[width] = (context, page, Watch(page, site_url))
    SHOTS.mkdir(exist_ok=True)
    report: dict[str, list[str]] = {}
    every = site_pages(built_site)
    assert len(every) >= 50, every
    missing = [p for p in SAMPLE if p not in every]
    assert not missing, f"sample pages not in the sitemap: {missing}"
    pages = every if ALL_PAGES else list(SAMPLE)
    try:
        for path in pages:
            problems: list[str] = []
            for _, page, _ in tabs.values():
                page.goto(site_url + path, wait_until="commit")
            for width, (_, page, _) in tabs.items():
                page.wait_for_load_state("load")
                try:
                    wait_for_math(page)
                except sync_api.TimeoutError:
                    problems.append(f"{width} px: MathJax did not finish typesetting in 20 s")
            if not problems:
                for scheme, colours_only in (("light", False), ("dark", True)):
                    for _, page, _ in tabs.values():
                        switch_scheme(page, scheme)
                        start_axe(page, colours_only)
                    for width, (_, page, _) in tabs.items():
                        problems += [f"{width} px {scheme}: {p}" for p in axe_result(page)]
                    phone = tabs[PHONE][1]
                    if scheme == "light":
                        problems += [f"{PHONE} px: {p}" for p in sideways_scroll(phone)]
                    phone.screenshot(path=str(SHOTS / shot_name(path, PHONE, scheme)))
                    steps = phone.locator(".gr-stepper")
                    if steps.count():  # the step diagrams, scrolled to: do they read on a phone?
                        name = shot_name(path, PHONE, f"steps-{scheme}")
                        steps.first.screenshot(path=str(SHOTS / name))
                for _, page, _ in tabs.values():
                    switch_scheme(page, "light")
            if problems:
                report[path or "/"] = problems
    finally:
        for context, _, _ in tabs.values():
            context.close()
    listing = "\n".join(f"{p}:\n  " + "\n  ".join(v) for p, v in report.items())
    assert report == {}, f"{len(report)} page(s) with problems:\n{listing}"
