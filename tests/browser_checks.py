"""Browser checks shared by the tests that load the built site's pages (Playwright, Chromium).

``check_page`` loads a page once and checks it in the light scheme, then switched with no reload
to the dark one; ``page_problems`` checks a page already loaded: no request left 127.0.0.1, no
console error or failed request, every math block typeset, no raw TeX, no broken image, the
palette following the system's scheme. A screenshot per scheme lands in ``screenshots/``.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlsplit

from playwright import sync_api

ROOT = Path(__file__).resolve().parents[1]
SHOTS = ROOT / "screenshots"
SCHEMES = {"light": "default", "dark": "slate"}


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
PAGE_PROBLEMS = """async () => {
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


def page_problems(page, watch: Watch, scheme: str, shot: Path | None = None) -> list[str]:  # noqa: ANN001
    """Everything wrong with the page now shown in ``scheme`` ("light" or "dark"), as
    sentences, including what ``watch`` saw since it was last cleared (then cleared).
    Saves a screenshot to ``shot`` when given."""
    result = page.evaluate(PAGE_PROBLEMS)
    if shot is not None:
        SHOTS.mkdir(exist_ok=True)
        page.screenshot(path=str(shot), full_page=FULL_PAGE)
    problems = [f"{scheme}: {p}" for p in result["problems"]]
    if result["scheme"] != SCHEMES[scheme]:
        problems.append(f"palette {result['scheme']!r} does not follow the system ({scheme})")
    problems += [f"request left 127.0.0.1: {u}" for u in watch.external]
    problems += [f"console error: {e}" for e in watch.errors]
    problems += [f"failed request: {f}" for f in watch.failed]
    watch.external.clear(), watch.errors.clear(), watch.failed.clear()
    return problems


def in_both_schemes(page, watch: Watch, shots: Path | None = None) -> list[str]:  # noqa: ANN001
    """The problems of the page now shown, in the light scheme and then switched to dark with
    no reload (back to light after); screenshots ``<shots>-light.png`` and ``-dark.png``."""
    shot = (lambda scheme: shots.with_name(f"{shots.name}-{scheme}.png")) if shots else None
    problems = page_problems(page, watch, "light", shot and shot("light"))
    try:
        switch_scheme(page, "dark")
    except sync_api.TimeoutError:
        now = page.evaluate("document.body.getAttribute('data-md-color-scheme')")
        return [*problems, f"palette {now!r} does not follow the system (dark)"]
    problems += page_problems(page, watch, "dark", shot and shot("dark"))
    switch_scheme(page, "light")
    return problems


def open_page(page, watch: Watch, url: str) -> list[str]:  # noqa: ANN001
    """Load ``url`` and wait for its math; [] or why it could not be checked."""
    watch.external.clear(), watch.errors.clear(), watch.failed.clear()
    page.goto(url, wait_until="load")
    try:
        wait_for_math(page)
    except sync_api.TimeoutError:
        return ["MathJax did not finish typesetting within 20 s"]
    return []


def check_page(page, watch: Watch, url: str, shots: Path) -> list[str]:  # noqa: ANN001
    """Load ``url`` once and check it in the light scheme, then switched to dark with no
    reload; everything wrong with it, as sentences. Saves a screenshot in each scheme."""
    return open_page(page, watch, url) or in_both_schemes(page, watch, shots)
