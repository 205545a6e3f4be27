// Regions that scroll sideways are reachable and named (WCAG 2.1.1, axe's
// scrollable-region-focusable): a wide table, code block, notebook cell or equation that
// overflows its column, or a step diagram on a phone, gets tabindex="0" (arrow keys scroll
// it), role="region" and a label that says what it is and that it scrolls, e.g. "Table,
// scrolls sideways". Checked again when the
// window is resized (a phone turned), when a region or its content changes size, and on every
// page instant navigation shows; what this script added is taken back from a region that no
// longer overflows.
(() => {
  const KINDS = [
    // Material wraps a table in a scrolling div; a table wider than that div's own box can
    // also scroll by itself (display: inline-block with overflow: auto).
    [".md-typeset__scrollwrap, .md-typeset table:not([class])", "Table"],
    [".highlight-ipynb, .jp-OutputArea-output pre, .md-typeset pre > code", "Code"],
    ["div.arithmatex, mjx-container[display='true']", "Equation"],
    [".gr-steps__scroll", "Diagram"],
  ];
  const ADDED = "grScrollRegion";

  function overflows(el) {
    const style = getComputedStyle(el);
    return (
      (el.scrollWidth > el.clientWidth + 1 && style.overflowX !== "visible") ||
      (el.scrollHeight > el.clientHeight + 1 && style.overflowY !== "visible")
    );
  }

  // A region can start to overflow with no resize of the window: a web font or MathJax
  // arrives and its content grows. Every candidate and its content are watched for that.
  const watched = new WeakSet();
  const resizes = new ResizeObserver(() => soon());
  function watch(el) {
    if (watched.has(el)) return;
    watched.add(el);
    resizes.observe(el);
    if (el.firstElementChild) resizes.observe(el.firstElementChild);
  }

  function mark(el, kind) {
    if (el.dataset[ADDED] !== undefined) return;
    const had = [el.hasAttribute("tabindex"), el.hasAttribute("role"), el.hasAttribute("aria-label")];
    el.dataset[ADDED] = had.map(Number).join("");
    if (!had[0]) el.setAttribute("tabindex", "0");
    if (!had[1]) el.setAttribute("role", "region");
    if (!had[2]) el.setAttribute("aria-label", kind + ", scrolls sideways");
    el.classList.add("gr-scrolls");
  }

  function unmark(el) {
    const had = el.dataset[ADDED];
    if (had === undefined) return;
    if (had[0] === "0") el.removeAttribute("tabindex");
    if (had[1] === "0") el.removeAttribute("role");
    if (had[2] === "0") el.removeAttribute("aria-label");
    el.classList.remove("gr-scrolls");
    delete el.dataset[ADDED];
  }

  function update() {
    const content = document.querySelector(".md-content");
    if (!content) return;
    for (const [selector, kind] of KINDS) {
      for (const el of content.querySelectorAll(selector)) {
        watch(el);
        if (overflows(el)) mark(el, kind);
        else unmark(el);
      }
    }
  }

  let pending = 0;
  function soon() {
    cancelAnimationFrame(pending);
    pending = requestAnimationFrame(update);
  }

  window.addEventListener("resize", soon);
  // Equations change width once MathJax has typeset them (docs/javascripts/mathjax.js marks
  // <body> with data-math-typeset when done).
  new MutationObserver(soon).observe(document.body, {
    attributes: true,
    attributeFilter: ["data-math-typeset"],
  });
  if (typeof document$ !== "undefined") document$.subscribe(soon);
  else document.addEventListener("DOMContentLoaded", soon);
})();
