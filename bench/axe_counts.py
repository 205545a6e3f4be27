"""Serious and critical axe-core violations on every page of a built site, counted by rule.

Serves a built site (``site/`` by default: run ``make docs`` first; any older build works too,
which is how a before/after comparison is made) on 127.0.0.1 and loads every page of its
sitemap in headless Chromium at 1280 px and at 390 px wide, side by side. On each it runs
axe-core's WCAG 2.0/2.1 A and AA rules (:mod:`sitebuild.axe`: the pinned engine from npm) in the
light scheme, then switches to dark with no reload and runs them again. Prints, per rule, the
number of offending elements and of pages at each width and scheme, and the totals. The browser
tests fail on any of these; this script only counts them.
"""

from __future__ import annotations

import argparse
import functools
import re
import sys
import threading
from collections import Counter
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # this checkout's sitebuild

from playwright.sync_api import TimeoutError as PlaywrightTimeout  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402

from sitebuild.axe import axe_found, start_axe  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
WIDTHS = (1280, 390)
SCHEMES = ("light", "dark")
#: Material's name for each scheme on <body data-md-color-scheme>.
MATERIAL_SCHEME = {"light": "default", "dark": "slate"}


class QuietHandler(SimpleHTTPRequestHandler):
    """Static files, no request log."""

    def log_message(self, *args: object) -> None:
        pass


def sitemap_paths(site: Path) -> list[str]:
    """Site-relative paths of every page in the built sitemap ("" is the home page)."""
    locs = re.findall(r"<loc>([^<]+)</loc>", (site / "sitemap.xml").read_text(encoding="utf-8"))
    if not locs:
        raise SystemExit(f"--site: {site / 'sitemap.xml'} lists no pages")
    return [loc[len(locs[0]) :] for loc in locs]


def show(page, scheme: str) -> None:  # noqa: ANN001
    """Switch the page to ``scheme`` as the system preference does, and wait for the palette."""
    page.emulate_media(color_scheme=scheme)
    page.wait_for_function(
        "(want) => document.body.getAttribute('data-md-color-scheme') === want",
        arg=MATERIAL_SCHEME[scheme],
        timeout=10_000,
    )


def settle(page) -> None:  # noqa: ANN001
    """Wait for the page's load and for MathJax (the site's mathjax.js marks <body> when done;
    a build without that mark gets 3 s)."""
    page.wait_for_load_state("load")
    try:
        page.wait_for_function(
            "() => document.body.getAttribute('data-math-typeset') === location.pathname",
            timeout=20_000,
        )
    except PlaywrightTimeout:
        page.wait_for_timeout(3_000)


def count(site: Path) -> tuple[dict[tuple[str, int, str], Counter], int]:
    """Offending elements and pages per (rule, width, scheme), and the number of pages."""
    paths = sitemap_paths(site)
    handler = functools.partial(QuietHandler, directory=str(site))
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{httpd.server_address[1]}/"
    found: dict[tuple[str, int, str], Counter] = {}
    impacts = ("serious", "critical")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        tabs = {}
        for width in WIDTHS:
            context = browser.new_context(viewport={"width": width, "height": 860})
            tabs[width] = context.new_page()
        for n, path in enumerate(paths, 1):
            print(f"[{n}/{len(paths)}] /{path}", file=sys.stderr, flush=True)
            for page in tabs.values():
                page.emulate_media(color_scheme="light")
                page.goto(base + path, wait_until="commit")
            for page in tabs.values():
                settle(page)
            for scheme in SCHEMES:
                for page in tabs.values():
                    show(page, scheme)
                    start_axe(page, impacts=impacts)
                for width, page in tabs.items():
                    for v in axe_found(page):
                        tally = found.setdefault((v["id"], width, scheme), Counter())
                        tally["elements"] += len(v["nodes"])
                        tally["pages"] += 1
        browser.close()
    httpd.shutdown()
    httpd.server_close()
    return found, len(paths)


def report(found: dict[tuple[str, int, str], Counter], pages: int) -> str:
    """The counts as a table: one row per rule, one column per width and scheme."""
    columns = [(w, s) for w in WIDTHS for s in SCHEMES]
    heads = [f"{w} px {s}" for w, s in columns]
    lines = [
        f"serious and critical axe-core violations (WCAG 2.0/2.1 A, AA) on {pages} pages: "
        "offending elements (pages)",
        f"{'rule':<32}" + "".join(f"{h:>18}" for h in heads) + f"{'total':>10}",
    ]
    rules = sorted({rule for rule, _, _ in found})
    totals = Counter()
    for rule in rules:
        cells, row_total = [], 0
        for width, scheme in columns:
            tally = found.get((rule, width, scheme), Counter())
            cells.append(f"{tally['elements']} ({tally['pages']})")
            row_total += tally["elements"]
            totals[(width, scheme)] += tally["elements"]
        lines.append(f"{rule:<32}" + "".join(f"{c:>18}" for c in cells) + f"{row_total:>10}")
    lines.append(
        f"{'all rules':<32}"
        + "".join(f"{totals[c]:>18}" for c in columns)
        + f"{sum(totals.values()):>10}"
    )
    return "\n".join(lines)


def main() -> None:
    """Count and print the violations of the site at ``--site``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--site", type=Path, default=ROOT / "site")
    args = parser.parse_args()
    if not (args.site / "sitemap.xml").is_file():
        raise SystemExit(f"--site: no sitemap.xml under {args.site}; run `make docs` first")
    print(report(*count(args.site)))


if __name__ == "__main__":
    main()
