"""axe-core, the accessibility engine behind Lighthouse's audit, run in a page of the site.

The engine comes from npm like the site's MathJax (:func:`sitebuild.vendor.axe_core_source`: a
pinned, integrity-checked tarball in ``.cache/npm/``) and is injected into the page by the
caller (the browser tests, ``bench/axe_counts.py``): nothing is fetched from elsewhere. It checks
WCAG 2.0 and 2.1, levels A and AA. ``page`` is a Playwright page.
"""

from __future__ import annotations

import functools
from pathlib import Path

from sitebuild import vendor

ROOT = Path(__file__).resolve().parents[1]

#: The rule sets run: WCAG 2.0 and 2.1, levels A and AA.
WCAG_TAGS = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa")
#: The rules whose outcome depends on colours. Switching the colour scheme changes only colours
#: (Material swaps CSS variables; the document is the same), so in the second scheme these are
#: the rules that can find something new.
COLOUR_RULES = ("color-contrast", "link-in-text-block")
#: The impacts counted (what a test fails on).
FAILING_IMPACTS = ("serious", "critical")

#: Starts axe in the page and returns at once; the summary lands in ``window.__grAxe``.
_START = """([options, failing]) => {
  window.__grAxe = null;
  axe.run(document, options).then(
    (result) => {
      window.__grAxe = result.violations.filter((v) => failing.includes(v.impact)).map((v) => ({
        id: v.id, impact: v.impact, help: v.help,
        nodes: v.nodes.map((n) => {
          const why = [...n.any, ...n.all, ...n.none].map((c) => c.message).filter(Boolean);
          return n.target.join(" ") + (why.length ? ": " + why[0] : "");
        }),
      }));
    },
    (error) => { window.__grAxe = { error: String(error) }; },
  );
}"""
#: Milliseconds one axe run may take (the longest page takes ~10 s on an idle machine).
AXE_TIMEOUT = 120_000


@functools.cache
def axe_source() -> str:
    """axe-core's browser bundle (fetched and checked once per test session)."""
    return vendor.axe_core_source(ROOT / ".cache" / "npm")


def start_axe(page, colours_only: bool = False, impacts: tuple[str, ...] = FAILING_IMPACTS) -> None:  # noqa: ANN001
    """Start axe-core's WCAG 2.0/2.1 A and AA rules (only the colour rules if asked) on the page
    now shown, without waiting: pages in other browser contexts run in other processes, so two
    started together use both cores. :func:`axe_result` collects the outcome."""
    if not page.evaluate("() => typeof axe !== 'undefined'"):
        page.add_script_tag(content=axe_source())
    if colours_only:
        run_only = {"type": "rule", "values": list(COLOUR_RULES)}
    else:
        run_only = {"type": "tag", "values": list(WCAG_TAGS)}
    options = {"runOnly": run_only, "resultTypes": ["violations"]}
    page.evaluate(_START, [options, list(impacts)])


def axe_found(page) -> list[dict]:  # noqa: ANN001
    """The violations found by the run :func:`start_axe` started (waiting for it): per rule,
    its id, impact, help text and the nodes, each a selector and the first reason."""
    page.wait_for_function("() => window.__grAxe !== null", timeout=AXE_TIMEOUT, polling=100)
    found = page.evaluate("() => window.__grAxe")
    if isinstance(found, dict):
        raise RuntimeError(f"axe-core failed on {page.url}: {found['error']}")
    return found


def axe_result(page) -> list[str]:  # noqa: ANN001
    """The violations found by the run :func:`start_axe` started, one sentence per rule (its
    nodes, at most five, named)."""
    sentences = []
    for v in axe_found(page):
        shown = "; ".join(v["nodes"][:5]) + (" ..." if len(v["nodes"]) > 5 else "")
        sentences.append(f"{v['impact']} {v['id']} ({v['help']}) x{len(v['nodes'])}: {shown}")
    return sentences


def axe_violations(page, colours_only: bool = False) -> list[str]:  # noqa: ANN001
    """The serious and critical WCAG 2.0/2.1 A and AA violations on the page now shown (only
    the colour rules if asked), one sentence per rule."""
    start_axe(page, colours_only)
    return axe_result(page)
