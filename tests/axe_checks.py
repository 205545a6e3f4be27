"""Accessibility checks of the built site's pages: axe-core (:mod:`sitebuild.axe`, WCAG 2.0 and
2.1, A and AA) and, for phones, whether a page scrolls sideways.
"""

from __future__ import annotations

from sitebuild.axe import axe_result, axe_violations, start_axe

__all__ = ["axe_result", "axe_violations", "sideways_scroll", "start_axe"]


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
