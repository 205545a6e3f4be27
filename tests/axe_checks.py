"""axe-core, the accessibility engine behind Lighthouse's audit, run in the built site's pages.

The engine comes from npm like the site's MathJax (``sitebuild.vendor.axe_core_source``: a
pinned, integrity-checked tarball in ``.cache/npm/``) and is injected into the page by the test:
nothing is fetched from elsewhere. It checks WCAG 2.0 and 2.1, levels A and AA.
"""

from __future__ import annotations

import functools

from conftest import ROOT

from sitebuild import vendor

#: The rule sets run: WCAG 2.0 and 2.1, levels A and AA.
WCAG_TAGS = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa")
#: The rules whose outcome depends on colours. Switching the colour scheme changes only colours
#: (Material swaps CSS variables; the document is the same), so in the second scheme these are
#: the rules that can find something new.
COLOUR_RULES = ("color-contrast", "link-in-text-block")
#: What a test fails on.
FAILING_IMPACTS = ("serious", "critical")

_RUN = """async ([options, failing]) => {
  const result = await axe.run(document, options);
  return result.violations.filter((v) => failing.includes(v.impact)).map((v) => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.map((n) => {
      const why = [...n.any, ...n.all, ...n.none].map((c) => c.message).filter(Boolean);
      return n.target.join(" ") + (why.length ? ": " + why[0] : "");
    }),
  }));
}"""


@functools.cache
def axe_source() -> str:
    """axe-core's browser bundle (fetched and checked once per test session)."""
    return vendor.axe_core_source(ROOT / ".cache" / "npm")


def axe_violations(page, colours_only: bool = False) -> list[str]:  # noqa: ANN001
    """The serious and critical WCAG 2.0/2.1 A and AA violations on the page now shown, one
    sentence per rule (its nodes, at most five, named); only the colour rules if asked."""
    if not page.evaluate("() => typeof axe !== 'undefined'"):
        page.add_script_tag(content=axe_source())
    if colours_only:
        run_only = {"type": "rule", "values": list(COLOUR_RULES)}
    else:
        run_only = {"type": "tag", "values": list(WCAG_TAGS)}
    options = {"runOnly": run_only, "resultTypes": ["violations"]}
    found = page.evaluate(_RUN, [options, list(FAILING_IMPACTS)])
    sentences = []
    for v in found:
        shown = "; ".join(v["nodes"][:5]) + (" ..." if len(v["nodes"]) > 5 else "")
        sentences.append(f"{v['impact']} {v['id']} ({v['help']}) x{len(v['nodes'])}: {shown}")
    return sentences


#: Runs in the page: what makes it wider than the window, outside the regions that scroll.
SIDEWAYS = """() => {
  const width = document.documentElement.clientWidth;
  const scroller = document.scrollingElement;
  if (scroller.scrollWidth <= width) return [];
  const inside = ".gr-scrolls, [role=region], .md-typeset__scrollwrap, pre, .highlight-ipynb";
  const wide = Array.from(document.querySelectorAll(".md-container *")).filter((el) =>
    el.getBoundingClientRect().right > width + 1 && !el.closest(inside)
    && el.parentElement && el.parentElement.getBoundingClientRect().right <= width + 1);
  return [
    `the page is ${scroller.scrollWidth} px wide in a ${width} px window`,
    ...wide.slice(0, 5).map((el) => `${el.tagName.toLowerCase()}.${el.className} sticks out`),
  ];
}"""


def sideways_scroll(page) -> list[str]:  # noqa: ANN001
    """Why the page now shown scrolls sideways ([] when it does not): the elements that stick
    out of the window other than inside a region that scrolls."""
    return page.evaluate(SIDEWAYS)
