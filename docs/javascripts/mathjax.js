// MathJax 3 configuration. The library itself is served by this site
// (generated/_vendor/mathjax/, installed from npm at build time): no CDN.
//
// Markdown pages: pymdownx.arithmatex (generic) wraps math in .arithmatex with \( \) and \[ \].
// Notebook pages: nbconvert leaves $...$ and $$...$$ inside .jp-RenderedMarkdown, and SymPy
// outputs inside .jp-RenderedLatex. Only those elements are typeset (MATH below): MathJax's
// ignoreHtmlClass would also skip the <p> inside a notebook's markdown cell.
const MATH = ".arithmatex, .jp-RenderedMarkdown, .jp-RenderedLatex";

window.MathJax = {
  tex: {
    inlineMath: [["\\(", "\\)"], ["$", "$"]],
    displayMath: [["\\[", "\\]"], ["$$", "$$"]],
    processEscapes: true,
    processEnvironments: true,
  },
  startup: {
    // The first typeset runs from document$ below, like every later one.
    typeset: false,
  },
  // Equations are not Tab stops (a derivation would have hundreds); MathJax's menu stays on the
  // context menu. One too wide for its column is made a focusable region instead
  // (scroll-regions.js).
  options: {
    menuOptions: { settings: { inTabOrder: false } },
  },
};

// Material's instant navigation swaps the page without reloading: typeset every new page.
document$.subscribe(() => {
  MathJax.startup.promise
    .then(() => {
      MathJax.startup.output.clearCache();
      MathJax.typesetClear();
      MathJax.texReset();
      return MathJax.typesetPromise(Array.from(document.querySelectorAll(MATH)));
    })
    .then(() => document.body.setAttribute("data-math-typeset", location.pathname))
    .catch((err) => console.error("MathJax typeset failed:", err));
});
