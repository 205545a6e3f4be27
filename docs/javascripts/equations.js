// Equations with stable ids (diagrams/equations.py):
// - "Copy LaTeX" buttons, with the equation's LaTeX in data-latex. One listener on the
//   document: it keeps working when Material's instant navigation swaps the page, and never
//   binds a button twice.
// - A link to an equation inside a content tab (the derivations page) opens that tab, and the
//   equation is scrolled into view again once MathJax has typeset the page.
(() => {
  const RESET_MS = 1500;

  function copyWithTextarea(text) {
    const area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.style.position = "fixed";
    area.style.opacity = "0";
    document.body.appendChild(area);
    area.select();
    let ok = false;
    try {
      ok = document.execCommand("copy");
    } catch (err) {
      ok = false;
    }
    area.remove();
    return ok;
  }

  async function copy(text) {
    if (navigator.clipboard && window.isSecureContext) {
      try {
        await navigator.clipboard.writeText(text);
        return true;
      } catch (err) {
        // denied or unavailable: fall back below
      }
    }
    return copyWithTextarea(text);
  }

  document.addEventListener("click", async (event) => {
    const button = event.target.closest("button.gr-copy");
    if (!button) return;
    const label = button.dataset.label || button.textContent;
    button.dataset.label = label;
    const ok = await copy(button.dataset.latex);
    button.dataset.state = ok ? "copied" : "failed";
    button.textContent = ok ? "Copied" : "Copy failed";
    clearTimeout(button._grReset);
    button._grReset = setTimeout(() => {
      button.textContent = label;
      delete button.dataset.state;
    }, RESET_MS);
  });

  // Open every content tab around ``target``; true if one had to be opened.
  function openTabsAround(target) {
    let opened = false;
    for (let block = target.closest(".tabbed-block"); block; ) {
      const set = block.closest(".tabbed-set");
      const index = Array.prototype.indexOf.call(block.parentElement.children, block);
      const input = set.querySelectorAll(":scope > input")[index];
      if (input && !input.checked) {
        input.checked = true;
        input.dispatchEvent(new Event("change", { bubbles: true }));
        opened = true;
      }
      block = set.parentElement.closest(".tabbed-block");
    }
    return opened;
  }

  function showEquation() {
    const id = decodeURIComponent(location.hash.slice(1));
    let target = id && document.getElementById(id);
    // an old id of a renamed equation is an anchor just before the equation's id
    if (target && target.classList.contains("gr-eq-alias")) {
      target = target.parentElement.querySelector(".gr-eq-id");
    }
    if (!target || !target.classList.contains("gr-eq-id")) return;
    openTabsAround(target);
    target.scrollIntoView();
  }

  window.addEventListener("hashchange", showEquation);
  // Typesetting changes the heights above the target: scroll again when mathjax.js is done
  // (it marks <body> with the path it typeset), on the first page and after instant navigation.
  new MutationObserver(showEquation).observe(document.body, {
    attributes: true,
    attributeFilter: ["data-math-typeset"],
  });
  if (typeof document$ !== "undefined") document$.subscribe(showEquation);
})();
