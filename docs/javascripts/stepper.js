// Step-by-step gate diagrams (snippets written by diagrams/gate_steps.py).
//
// Markup, generated: <div data-gr-stepper> holding an inline <svg> whose parts carry
// data-frame="k" (the step computing them; -1 for inputs) and, on edges, data-from (the
// vertex the edge leaves), then <ol class="gr-stepper__captions"> with one <li> per step.
// Without JavaScript every caption shows. With it, this adds Previous / Next buttons and a
// "Step k / n" counter, shows one caption at a time, and marks every SVG part as
// is-on (computed in this step), is-done (earlier), is-todo (later); is-src marks the values
// this step reads. ArrowLeft / ArrowRight, Home / End move while the stepper has focus.
// Material's instant navigation swaps pages without reloading: set up on every document$.
(() => {
  "use strict";

  function button(label, text, dir) {
    const b = document.createElement("button");
    b.type = "button";
    b.className = "md-button gr-stepper__button";
    b.setAttribute("aria-label", label);
    b.dataset.dir = String(dir);
    b.textContent = text;
    return b;
  }

  function setup(root) {
    if (root.dataset.grStepperReady === "1") return;
    const list = root.querySelector(".gr-stepper__captions");
    const captions = list ? Array.from(list.children) : [];
    const n = captions.length;
    if (n === 0) return;
    root.dataset.grStepperReady = "1";
    const parts = Array.from(root.querySelectorAll("svg [data-frame]"));
    const edges = parts.filter((el) => el.classList.contains("gs-e"));
    const vertices = parts.filter((el) => el.classList.contains("gs-v"));

    const bar = document.createElement("div");
    bar.className = "gr-stepper__bar";
    const prev = button("Previous step", "\u2039 Previous", -1);
    const next = button("Next step", "Next \u203a", 1);
    const count = document.createElement("span");
    count.className = "gr-stepper__count";
    count.setAttribute("aria-live", "polite");
    bar.append(prev, count, next);
    root.insertBefore(bar, list);
    root.classList.add("is-live");
    if (!root.hasAttribute("tabindex")) root.tabIndex = 0;

    let step = 0;
    const mark = (el, frame) => {
      el.classList.toggle("is-on", frame === step);
      el.classList.toggle("is-done", frame < step);
      el.classList.toggle("is-todo", frame > step);
    };
    function show(k) {
      step = Math.max(0, Math.min(n - 1, k));
      captions.forEach((li, i) => {
        li.hidden = i !== step;
      });
      const read = new Set();
      for (const e of edges) {
        const frame = Number(e.dataset.frame);
        mark(e, frame);
        if (frame === step) read.add(e.dataset.from);
      }
      for (const v of vertices) {
        const frame = Number(v.dataset.frame);
        mark(v, frame);
        v.classList.toggle("is-src", frame !== step && read.has(v.dataset.v));
      }
      count.textContent = `Step ${step + 1} / ${n}`;
      prev.setAttribute("aria-disabled", String(step === 0));
      next.setAttribute("aria-disabled", String(step === n - 1));
      root.dataset.step = String(step + 1);
    }

    bar.addEventListener("click", (ev) => {
      const b = ev.target.closest("button[data-dir]");
      if (b) show(step + Number(b.dataset.dir));
    });
    root.addEventListener("keydown", (ev) => {
      if (ev.altKey || ev.ctrlKey || ev.metaKey || ev.shiftKey) return;
      // arrow keys in the diagram's own scroll region (a phone) scroll it, not step
      if (ev.target.closest && ev.target.closest(".gr-steps__scroll")) return;
      const moves = { ArrowRight: step + 1, ArrowLeft: step - 1, Home: 0, End: n - 1 };
      if (!(ev.key in moves)) return;
      ev.preventDefault();
      show(moves[ev.key]);
    });
    show(0);
  }

  const init = () => document.querySelectorAll("[data-gr-stepper]").forEach(setup);
  if (typeof document$ !== "undefined") {
    document$.subscribe(init);
  } else if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
