// The cell explorer's user interface: controls, SVG cell diagram, heatmap, line chart.
// No cell maths here: every number comes from window.gatedRef (generated/explorer/
// explorer-cells.js), printed by gated_ref.javascript from the cells' SymPy equations.
// Presets (weights trained at build time) come from window.gatedRefPresets.
//
// Loaded from docs/explorer.md. Material's instant navigation re-runs this file whenever the
// page is shown again, so it initialises on every document$ emission but subscribes once.
(function () {
  "use strict";

  const SVGNS = "http://www.w3.org/2000/svg";
  const MAX_STEPS = 64;
  const TICK_MS = 600;
  const COLORS = {lstm: "#0072B2", gru: "#D55E00", selected: "#009E73"};
  // viridis, 9 stops: dark purple (low) to yellow (high), readable on light and dark
  const VIRIDIS = ["#440154", "#472d7b", "#3b528b", "#2c728e", "#21918c", "#28ae80",
                   "#5ec962", "#addc30", "#fde725"];
  const NAMES = {
    i: "input gate", f: "forget gate", g: "candidate", o: "output gate", c: "cell state",
    h: "hidden state", r: "reset gate", z: "update gate", n: "candidate", rh: "reset h",
    th: "tanh h", fh: "forget h", m: "unprojected h", x: "input",
  };

  // ---- small helpers ----------------------------------------------------------------------
  function el(tag, attrs, children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === false || v === null || v === undefined) continue;
      if (k === "text") node.textContent = v;
      else node.setAttribute(k, v === true ? "" : String(v));
    }
    for (const child of children || []) node.append(child);
    return node;
  }

  function svg(tag, attrs, children) {
    const node = document.createElementNS(SVGNS, tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === "text") node.textContent = v;
      else node.setAttribute(k, String(v));
    }
    for (const child of children || []) node.append(child);
    return node;
  }

  function fmt(v) {
    if (!Number.isFinite(v)) return String(v);
    const s = Math.abs(v) < 5e-4 ? "0.000" : Math.abs(v).toFixed(3);
    return (v < 0 && s !== "0.000" ? "\u2212" : "") + s;
  }

  function label(name) {
    // x_t, a previous state s_{t-1}, or a node n_t
    if (name.endsWith("_prev")) return name.slice(0, -5) + "\u209c\u208b\u2081";
    return name + "\u209c";
  }

  function describeNode(name) {
    if (name.endsWith("_prev")) return "previous " + name.slice(0, -5);
    return NAMES[name] || name;
  }

  function hexToRgb(hex) {
    const n = parseInt(hex.slice(1), 16);
    return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
  }

  function colormap(u) {
    // u in [0, 1] -> viridis, linear between stops
    const x = Math.min(1, Math.max(0, Number.isFinite(u) ? u : 0)) * (VIRIDIS.length - 1);
    const k = Math.min(VIRIDIS.length - 2, Math.floor(x));
    const a = hexToRgb(VIRIDIS[k]), b = hexToRgb(VIRIDIS[k + 1]);
    const rgb = a.map((ak, m) => Math.round(ak + (b[m] - ak) * (x - k)));
    return "rgb(" + rgb.join(",") + ")";
  }

  function textOn(u) {
    return u > 0.55 ? "#000" : "#fff";
  }

  function normalise(v, range) {
    if (range) return (v - range[0]) / (range[1] - range[0]);
    return 0.5 + 0.5 * Math.tanh(v); // unbounded (a cell state): squashed for colour only
  }

  function mulberry32(seed) {
    let a = seed >>> 0;
    return function () {
      a = (a + 0x6d2b79f5) >>> 0;
      let t = a;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
  }

  // ---- parameters and inputs ------------------------------------------------------------

  function fill(shape, f) {
    if (shape.length === 1) return Array.from({length: shape[0]}, (_, j) => f(j, 0));
    return Array.from({length: shape[0]}, (_, r) =>
      Array.from({length: shape[1]}, (_, k) => f(r, k)));
  }

  function makeParams(api, name, kind, sizes, seed) {
    // the shapes come from the cell (window.gatedRef.paramShapes), in PyTorch's layout
    const meta = api.cells[name].meta;
    const shapes = api.paramShapes(name, sizes);
    const H = sizes.hidden_size;
    const out = {};
    if (kind === "random") {
      // as PyTorch initialises: uniform on (-1/sqrt(H), 1/sqrt(H)); seeded, reproducible
      const rand = mulberry32(seed);
      const bound = 1 / Math.sqrt(H);
      for (const [key, shape] of Object.entries(shapes))
        out[key] = fill(shape, () => (2 * rand() - 1) * bound);
    } else {
      // identity-like: every gate block reads unit j of x and of the recurrent source (an
      // elementwise recurrent weight is 1), a projection keeps the first units, the rest is 0
      const projections = Object.values(meta.projections);
      const reads = {};
      for (const p of Object.values(meta.paramSymbols)) {
        (reads[p.key] = reads[p.key] || [])[p.row] = p.reads;
      }
      for (const [key, shape] of Object.entries(shapes)) {
        if (key === "weight_ih" || key === "weight_hh" || projections.includes(key))
          out[key] = fill(shape, (r, k) => (r % H === k ? 1 : 0));
        else if (key in reads) out[key] = fill(shape, (r) => (reads[key][r] === "h_prev" ? 1 : 0));
        else out[key] = fill(shape, () => 0);
      }
    }
    return out;
  }

  // What the numbers mode and the seed accept (the page says so when the input is refused).
  const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
  const MAX_ABS = 1e6;
  const SEED_MAX = 999999;
  const NUMBERS_ACCEPTED = "accepted: decimal numbers such as 0.5, -1 or 2e-3, from " +
    "\u22121000000 to 1000000, separated by spaces or commas";
  const SEED_ACCEPTED = "accepted: a whole number from 0 to " + SEED_MAX;

  function parseInput(mode, text, alphabet) {
    if (mode === "chars") {
      const chars = Array.from(text).slice(0, MAX_STEPS);
      const I = alphabet.length + 1;
      const xs = chars.map((ch) => {
        const v = new Array(I).fill(0);
        const k = alphabet.indexOf(ch);
        v[k >= 0 ? k : alphabet.length] = 1;
        return v;
      });
      const note = Array.from(text).length > MAX_STEPS ? "Only the first " + MAX_STEPS +
        " characters are used." : "";
      return {xs: xs, tokens: chars, I: I, note: note};
    }
    const tokens = text.split(/[\s,;]+/).filter((s) => s.length > 0).slice(0, MAX_STEPS);
    for (const tok of tokens) {
      const v = Number(tok);
      if (!DECIMAL.test(tok) || !Number.isFinite(v) || Math.abs(v) > MAX_ABS)
        return {error: "Input: \u201c" + tok + "\u201d is not accepted; " + NUMBERS_ACCEPTED +
                "."};
    }
    return {xs: tokens.map((tok) => [Number(tok)]), tokens: tokens, I: 1, note: ""};
  }

  function parseSeed(input) {
    // a whole number in 0 .. SEED_MAX, typed as digits (no sign, no decimals, not empty)
    const text = input.value.trim();
    if (input.validity && input.validity.badInput)
      return {error: "Seed: not a number; " + SEED_ACCEPTED + "."};
    if (!/^\d+$/.test(text) || Number(text) > SEED_MAX)
      return {error: "Seed: " + (text ? "got \u201c" + text + "\u201d" : "empty") + "; " +
              SEED_ACCEPTED + "."};
    return {seed: Number(text)};
  }

  // ---- the explorer -----------------------------------------------------------------------
  function init(attempt) {
    const started = performance.now();
    const root = document.getElementById("gr-explorer");
    if (!root || root.dataset.ready === "true") return;
    const api = window.gatedRef;
    const presets = window.gatedRefPresets;
    if (!api || !presets) {
      // After instant navigation the theme re-runs the page's scripts in any order: wait.
      const n = attempt || 0;
      if (n < 400) setTimeout(() => init(n + 1), 25);
      return;
    }
    const task = presets.task;
    const st = {
      cell: "lstm", hidden: task.hiddenSize, weights: "preset", seed: 1, mode: "chars",
      text: task.example, t: 1, unit: 0, playing: false, overrides: {}, timer: null,
      forceFrom: 1, side: false,
    };
    const errors = {}; // a refused input, by control: {input: message, seed: message}
    let run = null; // the current simulation (see recompute)
    let views = []; // the diagrams drawn for this run: {name, steps, refs}
    let heatRefs = null, compareRefs = null;

    // controls
    const cellSelect = el("select", {id: "gr-cell"},
      api.cellNames.map((n) => el("option", {value: n, text: api.cells[n].meta.title})));
    const hiddenSelect = el("select", {id: "gr-hidden"},
      [1, 2, 3, 4, 5, 6, 7, 8].map((h) => el("option", {value: h, text: String(h)})));
    const weightSelect = el("select", {id: "gr-weights"}, [
      el("option", {value: "preset", text: "trained preset (bracket depth)"}),
      el("option", {value: "random", text: "random, from a seed"}),
      el("option", {value: "identity", text: "identity-like"}),
    ]);
    const seedInput = el("input", {id: "gr-seed", type: "number", min: 0, max: SEED_MAX,
      step: 1, value: st.seed, inputmode: "numeric", "aria-describedby": "gr-status"});
    const modeSelect = el("select", {id: "gr-mode"}, [
      el("option", {value: "chars", text: "characters"}),
      el("option", {value: "numbers", text: "numbers"}),
    ]);
    const textInput = el("input", {id: "gr-input", type: "text", value: st.text,
      spellcheck: "false", autocomplete: "off", "aria-describedby": "gr-status"});
    const sideBox = el("input", {type: "checkbox", id: "gr-side"});
    const field = (text, control, extra) => el("label", {class: "gr-field" + (extra || "")},
      [el("span", {text: text}), control]);
    const controls = el("div", {class: "gr-controls"}, [
      field("Cell", cellSelect), field("Hidden size", hiddenSelect),
      field("Weights", weightSelect), field("Seed (0 to " + SEED_MAX + ")", seedInput),
      field("Input as", modeSelect), field("Input sequence", textInput, " gr-wide"),
      el("label", {class: "gr-check"}, [sideBox,
        el("span", {text: "LSTM and GRU side by side"})]),
    ]);
    const status = el("p", {class: "gr-status", id: "gr-status", "aria-live": "polite"});

    // transport
    const btn = (id, text, title, keys) => el("button", {type: "button", id: id, class:
      "md-button gr-button", title: title, "aria-label": title, "aria-keyshortcuts": keys,
      text: text});
    const first = btn("gr-first", "|\u25c0", "First step (Home)", "Home");
    const back = btn("gr-back", "\u25c0", "Step back (Left arrow)", "ArrowLeft");
    const play = btn("gr-play", "\u25b6 Play", "Play or pause (Space)", "Space");
    play.setAttribute("aria-pressed", "false");
    const fwd = btn("gr-forward", "\u25b6", "Step forward (Right arrow)", "ArrowRight");
    const last = btn("gr-last", "\u25b6|", "Last step (End)", "End");
    const slider = el("input", {id: "gr-time", type: "range", min: 1, max: 1, value: 1,
                                "aria-label": "Time step"});
    const stepText = el("span", {id: "gr-step", class: "gr-step"});
    // what a screen reader hears when the step changes: once it settles, not on every tick
    const announcer = el("p", {id: "gr-announce", class: "gr-sr-only", "aria-live": "polite",
                               "aria-atomic": "true"});
    const unitSelect = el("select", {id: "gr-unit"});
    const transport = el("div", {class: "gr-transport"}, [
      first, back, play, fwd, last, slider, stepText,
      field("Unit shown (diagram and equations)", unitSelect),
    ]);

    // panels: what an input computes (marked stale while an input is refused)
    const diagram = el("div", {class: "gr-diagrams"});
    const overridesBox = el("fieldset", {class: "gr-overrides"});
    const eqSlot = el("section", {class: "gr-eqs", "aria-label": "Equations at this step"});
    const heat = el("figure", {class: "gr-heatmap"});
    const compare = el("figure", {class: "gr-compare"});
    const staleNote = el("p", {class: "gr-stale-note", id: "gr-stale-note", hidden: true,
      text: "Stale: the results below are from the last accepted input."});
    const results = el("div", {class: "gr-results", id: "gr-results"}, [
      staleNote, el("div", {class: "gr-panels"}, [diagram, overridesBox]), eqSlot, heat,
      compare]);
    root.replaceChildren(
      el("p", {class: "gr-keys", id: "gr-keys", text: "Keys, with the explorer focused: " +
        "Space plays or pauses, \u2190 \u2192 step, Home and End jump to the ends."}),
      controls, status, transport, announcer, results);
    const equations = document.getElementById("gr-equations");
    if (equations) {
      // one labelled region that may scroll sideways (a long equation on a phone); the
      // typeset equations inside are not Tab stops of their own
      equations.setAttribute("role", "region");
      equations.setAttribute("tabindex", "0");
      equations.setAttribute("aria-label", "Equations and their numbers (scrolls sideways " +
                             "when wider than the screen)");
      eqSlot.append(el("h2", {text: "Equations, numbers at this step"}), equations);
      const untab = () => {
        for (const m of equations.querySelectorAll("mjx-container[tabindex]")) {
          if (m.getAttribute("tabindex") !== "-1") m.setAttribute("tabindex", "-1");
        }
      };
      untab();
      new MutationObserver(untab).observe(equations, {subtree: true, childList: true,
        attributes: true, attributeFilter: ["tabindex"]});
    }

    // ---- simulation -----------------------------------------------------------------
    function simulate(name, params, xs, overrides, from) {
      // overrides act from step `from` (1-based) on; before it the cell runs freely
      let state = null; // zeros, each state of its own size
      const steps = [];
      xs.forEach((x, k) => {
        const r = api.step(name, x, params, state, overrides && k + 1 >= from ? overrides : null);
        steps.push(r);
        state = r.state;
      });
      return steps;
    }

    function inputSize() {
      return st.mode === "chars" ? task.alphabet.length + 1 : 1;
    }

    function sizesFor(name) {
      // the preset's own sizes; else the chosen H (I when the cell adds x_t to an H-vector)
      // and half of it for an extra size (the projection of lstm_proj)
      if (st.weights === "preset") return presets.cells[name].sizes;
      const meta = api.cells[name].meta;
      const I = inputSize();
      const H = meta.inputIsHidden ? I : st.hidden;
      const sizes = {input_size: I, hidden_size: H};
      for (const size of meta.sizes) if (!(size in sizes)) sizes[size] = Math.max(1, H >> 1);
      return sizes;
    }

    function paramsFor(name) {
      if (st.weights === "preset") return presets.cells[name].params;
      return makeParams(api, name, st.weights, sizesFor(name), st.seed);
    }

    function sizesNote(name) {
      const meta = api.cells[name].meta;
      const sizes = sizesFor(name);
      let text = "hidden size " + sizes.hidden_size;
      for (const size of meta.sizes) {
        if (size !== "hidden_size") text += ", " + size.replace("_", " ") + " " + sizes[size];
      }
      return text;
    }

    function activeOverrides() {
      const ov = {};
      for (const [k, v] of Object.entries(st.overrides)) if (v !== null) ov[k] = v;
      return ov;
    }

    function isForced(name, t) {
      const v = st.overrides[name];
      return v !== undefined && v !== null && t >= st.forceFrom;
    }

    function setStale(messages) {
      // the last accepted result stays on the page, marked stale, until the input is fixed
      const stale = messages.length > 0;
      results.classList.toggle("gr-stale", stale);
      results.dataset.stale = String(stale);
      staleNote.hidden = !stale;
      if (stale) results.setAttribute("aria-describedby", "gr-stale-note");
      else results.removeAttribute("aria-describedby");
      textInput.setAttribute("aria-invalid", String("input" in errors));
      seedInput.setAttribute("aria-invalid", String("seed" in errors));
      status.classList.toggle("gr-error", stale);
      if (stale) status.textContent = messages.join(" ") + " The results shown are stale: " +
        "they are from the last accepted input.";
    }

    function recompute() {
      const parsed = parseInput(st.mode, st.text, task.alphabet);
      if (parsed.error) errors.input = parsed.error;
      else delete errors.input;
      if (Object.keys(errors).length) {
        setStale(Object.values(errors));
        return false;
      }
      setStale([]);
      const meta = api.cells[st.cell].meta;
      const ov = activeOverrides();
      const T = parsed.xs.length;
      st.forceFrom = Math.min(Math.max(st.forceFrom, 1), Math.max(T, 1));
      const params = paramsFor(st.cell);
      const steps = simulate(st.cell, params, parsed.xs, ov, st.forceFrom);
      const curves = {};
      for (const name of ["lstm", "gru"]) {
        if (api.cells[name]) {
          curves[name] = name === st.cell && Object.keys(ov).length === 0 ? steps
            : simulate(name, paramsFor(name), parsed.xs, null, 1);
        }
      }
      const forced = Object.keys(ov).length > 0;
      if (forced || !(st.cell in curves)) curves.selected = steps;
      run = {meta: meta, steps: steps, curves: curves, tokens: parsed.tokens, forced: forced,
             params: params};
      st.t = Math.min(Math.max(st.t, T ? 1 : 0), T);
      let note = parsed.note;
      if (st.weights === "preset") {
        const p = presets.cells[st.cell];
        note = (note ? note + " " : "") + "Preset trained on " + task.description +
          " (alphabet \u201c" + task.alphabet + "\u201d, " + sizesNote(st.cell) +
          "); held-out accuracy " + (100 * p.accuracy).toFixed(1) + "%.";
      } else if (meta.inputIsHidden) {
        note = (note ? note + " " : "") + meta.title + " adds x\u209c to an H-vector " +
          "elementwise, so its hidden size is the input size here: " + sizesNote(st.cell) + ".";
      }
      status.textContent = T === 0 ? "Type an input sequence to run the cell." : note;
      return true;
    }

    // ---- rendering: built once per run, then a step only updates values --------------
    function layout(meta) {
      const inputs = meta.inputs; // x and the previous states the equations read
      const depth = {};
      for (const name of inputs) depth[name] = 0;
      for (const n of meta.nodes) depth[n.name] = 1 + Math.max(...n.deps.map((d) => depth[d]));
      const cols = [];
      for (const name of inputs.concat(meta.nodes.map((n) => n.name))) {
        (cols[depth[name]] = cols[depth[name]] || []).push(name);
      }
      const pos = {};
      cols.forEach((names, c) => names.forEach((name, r) => {
        pos[name] = {x: 8 + c * 142, y: 8 + r * 70};
      }));
      const rows = Math.max(...cols.map((c) => c.length));
      return {pos: pos, width: cols.length * 142, height: rows * 70 + 6, inputs: inputs};
    }

    const BOX_W = 128, BOX_H = 58;

    function buildDiagram(name, steps) {
      // the SVG of one cell: boxes, edges, a strip with a cell per unit; values come later
      const meta = api.cells[name].meta;
      const L = layout(meta);
      const byName = Object.fromEntries(meta.nodes.map((n) => [n.name, n]));
      const stateRange = (prev) => {
        // a previous state is bounded as its node is (the bound is an invariant of the cell)
        const node = meta.nodes.find((n) => n.state === prev.slice(0, -5));
        return node && node.range ? node.range : null;
      };
      const g = svg("svg", {viewBox: "0 0 " + L.width + " " + L.height, role: "img",
        style: "min-width:" + Math.round(L.width * 0.8) + "px"});
      for (const n of meta.nodes) {
        for (const d of n.deps) {
          const a = L.pos[d], b = L.pos[n.name];
          const x1 = a.x + BOX_W, y1 = a.y + BOX_H / 2, x2 = b.x, y2 = b.y + BOX_H / 2;
          const mx = (x1 + x2) / 2;
          g.append(svg("path", {class: "gr-edge", d: "M" + x1 + "," + y1 + " C" + mx + "," +
            y1 + " " + mx + "," + y2 + " " + x2 + "," + y2}));
        }
      }
      const boxes = {};
      const width = (nm) => {
        if (nm === "x" || !steps.length) return 0;
        const v = steps[0].nodes[nm] || steps[0].terms[nm];
        return v ? v.length : 0;
      };
      for (const nm of L.inputs.concat(meta.nodes.map((n) => n.name))) {
        const p = L.pos[nm];
        const node = byName[nm];
        const box = svg("g", {class: "gr-node" + (node && node.gate ? " gr-gate" : ""),
          "data-node": nm, transform: "translate(" + p.x + "," + p.y + ")"});
        const rect = svg("rect", {width: BOX_W, height: BOX_H, rx: 6, class: "gr-box"});
        const head = svg("text", {x: 8, y: 17, class: "gr-node-name"});
        const desc = svg("text", {x: 8, y: 32, class: "gr-node-desc"});
        const tip = svg("title");
        box.append(rect, head, desc);
        const units = [];
        const n = width(nm);
        const cw = n ? (BOX_W - 16) / n : 0;
        for (let j = 0; j < n; j++) {
          const u = svg("rect", {x: 8 + j * cw, y: 40, width: Math.max(cw - 1, 1), height: 11,
            class: "gr-unit", "data-unit": j}, [svg("title")]);
          units.push(u);
          box.append(u);
        }
        box.append(tip);
        g.append(box);
        boxes[nm] = {box: box, rect: rect, head: head, desc: desc, tip: tip, units: units,
          node: node, range: node ? node.range : nm.endsWith("_prev") ? stateRange(nm) : null};
      }
      const caption = el("figcaption");
      const scroller = el("div", {class: "gr-scroll", role: "region", tabindex: 0,
        "aria-label": meta.title + " diagram (scrolls sideways when wider than the screen)"},
        [g]);
      const figure = el("figure", {class: "gr-diagram", "data-cell": name}, [scroller, caption]);
      return {figure: figure, svg: g, caption: caption, boxes: boxes, meta: meta};
    }

    function updateDiagram(view) {
      const refs = view.refs, meta = refs.meta;
      const t = st.t, j = st.unit;
      const r = view.steps[t - 1];
      const own = view.name === st.cell; // forcing applies to the selected cell only
      refs.svg.setAttribute("aria-label", meta.title + " at step " + t + ", unit " + j +
        ": gates coloured by their values");
      for (const [nm, b] of Object.entries(refs.boxes)) {
        const v = !r || nm === "x" ? null : r.nodes[nm] || r.terms[nm];
        const value = v && j < v.length ? v[j] : null;
        const forced = Boolean(own && b.node && isForced(nm, t));
        const lit = value !== null && b.node && b.node.gate;
        const u = value === null ? 0.5 : normalise(value, b.range);
        b.box.classList.toggle("gr-forced", forced);
        b.rect.style.fill = lit ? colormap(u) : "";
        const fg = lit ? textOn(u) : "";
        b.head.style.fill = fg;
        b.desc.style.fill = fg;
        b.head.textContent = label(nm) + (forced ? " (forced)" : "");
        b.desc.textContent = nm === "x" && run.tokens[t - 1] !== undefined
          ? "input \u201c" + run.tokens[t - 1] + "\u201d"
          : describeNode(nm) + (value !== null ? " [" + j + "] " + fmt(value) : "");
        b.tip.textContent = describeNode(nm) + (value !== null ? ", unit " + j + ": " +
          fmt(value) : "");
        b.units.forEach((rect, k) => {
          const a = v ? v[k] : NaN;
          rect.style.fill = colormap(normalise(a, b.range));
          rect.classList.toggle("gr-unit-shown", k === j);
          rect.firstChild.textContent = label(nm) + "[" + k + "] = " + fmt(a);
        });
      }
      refs.caption.textContent = meta.title + " at step " + t + ": each box is a node of " +
        "the equations; a gate is filled with the colour of unit " + j + " (the unit the " +
        "equations show; heatmap legend below), the strip shows every unit, unit " + j +
        " outlined.";
    }

    function buildDiagrams() {
      const names = st.side ? ["lstm", "gru"].filter((n) => api.cells[n]) : [st.cell];
      views = names.map((name) => {
        const steps = name === st.cell ? run.steps : run.curves[name];
        return {name: name, steps: steps, refs: buildDiagram(name, steps)};
      });
      diagram.classList.toggle("gr-side", views.length > 1);
      diagram.replaceChildren(...views.map((v) => v.refs.figure));
    }

    function renderOverrides() {
      const meta = run.meta;
      const gates = meta.nodes.filter((n) => n.gate);
      const children = [el("legend", {text: "Force a gate"})];
      if (!gates.length) {
        children.push(el("p", {text: "This cell has no gates: nothing to force."}));
      }
      for (const n of gates) {
        const cur = st.overrides[n.name];
        const on = cur !== undefined && cur !== null;
        const id = "gr-force-" + n.name;
        const box = el("input", {type: "checkbox", id: id, checked: on, "data-node": n.name});
        const mid = (n.range[0] + n.range[1]) / 2;
        const range = el("input", {type: "range", min: n.range[0], max: n.range[1],
          step: 0.01, value: on ? cur : mid, "data-node": n.name, id: id + "-value",
          "aria-label": "Forced value of " + label(n.name) + " " + describeNode(n.name)});
        const out = el("output", {for: id + "-value", text: on ? fmt(cur) : "off"});
        const set = (value) => {
          // the first gate forced starts the forcing at the step on screen
          if (value !== null && Object.keys(activeOverrides()).length === 0) {
            st.forceFrom = Math.max(st.t, 1);
          }
          st.overrides[n.name] = value;
          out.textContent = value === null ? "off" : fmt(value);
          update();
          syncForceFrom();
        };
        box.addEventListener("change", () => set(box.checked ? Number(range.value) : null));
        range.addEventListener("input", () => {
          box.checked = true;
          set(Number(range.value));
        });
        children.push(el("div", {class: "gr-force"}, [
          box, el("label", {for: id, text: "Force " + label(n.name) + " " +
                            describeNode(n.name)}), out, range]));
      }
      if (gates.length) {
        const from = el("select", {id: "gr-force-from"});
        from.addEventListener("change", () => {
          st.forceFrom = Number(from.value);
          update();
        });
        children.push(el("label", {class: "gr-field gr-from"}, [
          el("span", {text: "Forcing acts from step"}), from]));
        const reset = el("button", {type: "button", class: "md-button gr-button",
          id: "gr-reset", text: "Release all"});
        reset.addEventListener("click", () => {
          st.overrides = {};
          update({overrides: true});
          document.getElementById("gr-reset").focus();
        });
        children.push(reset);
      }
      overridesBox.replaceChildren(...children);
      syncForceFrom();
    }

    function syncForceFrom() {
      const from = document.getElementById("gr-force-from");
      if (!from || !run) return;
      const T = Math.max(run.steps.length, 1);
      if (from.options.length !== T) {
        from.replaceChildren(...Array.from({length: T}, (_, k) =>
          el("option", {value: k + 1, text: String(k + 1)})));
      }
      from.value = String(st.forceFrom);
    }

    const templates = {}; // a node's numbers template, split once: [text, sym, text, ...]

    function templateOf(slot, n) {
      const key = st.cell + "/" + n.name;
      if (!(key in templates)) {
        // the snippet's template follows the equation's term order; the metadata's is the
        // fallback (a projection: its sum over k)
        templates[key] = (slot.dataset.template || n.template).split(/\{(\w*)\}/);
      }
      return templates[key];
    }

    function renderEquations() {
      for (const block of eqSlot.querySelectorAll(".gr-eq-cell")) {
        const hidden = block.dataset.cell !== st.cell;
        if (block.hidden !== hidden) block.hidden = hidden;
      }
      const block = eqSlot.querySelector('.gr-eq-cell[data-cell="' + st.cell + '"]');
      if (!block) return;
      const r = run && run.steps[st.t - 1];
      const j = st.unit;
      const meta = api.cells[st.cell].meta;
      const lookup = (sym) => {
        const v = r.nodes[sym] || r.terms[sym]; // a node, pre-activation, previous state, x_t
        if (v) return v[j];
        const p = meta.paramSymbols[sym]; // an elementwise weight (a peephole)
        return p ? run.params[p.key][p.row][j] : NaN;
      };
      const title = (sym) => meta.labels[sym] || (sym.endsWith("_prev")
        ? sym.slice(0, -5) + "_{t-1}" : sym + "_t");
      for (const n of meta.nodes) {
        const slot = block.querySelector('.gr-eq-num[data-node="' + n.name + '"]');
        if (!slot) continue;
        if (!r) { slot.replaceChildren(); continue; }
        const parts = [el("span", {class: "gr-lhs", text: label(n.name) + "[" + j + "] = "})];
        if (j >= r.nodes[n.name].length) {
          // a projected h has fewer units than the gates (lstm_proj: P < H)
          parts[0].textContent = label(n.name) + ": ";
          parts.push(el("span", {text: "has " + r.nodes[n.name].length + " units; unit " + j +
                                 " is not one of them"}));
        } else if (isForced(n.name, st.t)) {
          parts.push(el("strong", {text: fmt(r.nodes[n.name][j])}),
                     el("span", {text: " (forced from step " + st.forceFrom +
                                 "; the equation is bypassed)"}));
        } else {
          // the template is plain text with {symbol} for a value at unit j, {} for j itself
          let afterOp = false;
          templateOf(slot, n).forEach((piece, k) => {
            if (k % 2 === 0) {
              if (!piece) return;
              parts.push(document.createTextNode(piece.replace(/-/g, "\u2212")));
              afterOp = /[+\-\u00b7(]\s*$/.test(piece);
              return;
            }
            if (piece === "") {
              parts.push(document.createTextNode(String(j)));
              return;
            }
            const v = lookup(piece);
            const text = v < 0 && afterOp ? "(" + fmt(v) + ")" : fmt(v);
            parts.push(el("span", {class: "gr-num", title: title(piece), "data-sym": piece,
                                   text: text}));
            afterOp = false;
          });
          parts.push(document.createTextNode(" = "),
                     el("strong", {text: fmt(r.nodes[n.name][j])}));
        }
        slot.replaceChildren(...parts);
      }
    }

    function buildHeatmap() {
      const meta = run.meta;
      let rowsOf = meta.nodes.filter((n) => !n.inline && n.range);
      // a cell with no bounded node (IndRNN: h = relu(...)) shows its states, squashed
      if (!rowsOf.length) rowsOf = meta.nodes.filter((n) => !n.inline && n.state);
      const T = run.steps.length;
      const units = (n) => (T ? run.steps[0].nodes[n.name].length : 0); // a node's own size
      const rows = rowsOf.reduce((a, n) => a + units(n), 0);
      const cw = Math.max(6, Math.min(28, Math.floor(600 / Math.max(T, 1))));
      const ch = Math.max(8, Math.min(16, Math.floor(240 / Math.max(rows, 1))));
      const left = 52, top = 22;
      const width = left + T * cw + 8, height = top + rows * ch + rowsOf.length * 4 + 4;
      const g = svg("svg", {viewBox: "0 0 " + width + " " + height, role: "img",
        style: "max-width:" + width * 1.4 + "px",
        "aria-label": "Heatmap of " + rowsOf.map((n) => n.name).join(", ") +
          " for every unit over " + T + " steps; tap or drag across it to pick a step"});
      run.tokens.forEach((tok, t) => {
        if (st.mode === "numbers" && T > 20 && t % 5 !== 4) return;
        g.append(svg("text", {x: left + t * cw + cw / 2, y: 14, class: "gr-tick",
          "text-anchor": "middle", text: st.mode === "chars" ? tok : String(t + 1)}));
      });
      let y = top;
      for (const n of rowsOf) {
        for (let j = 0; j < units(n); j++) {
          g.append(svg("text", {x: left - 6, y: y + ch - 2, class: "gr-tick",
            "text-anchor": "end", text: label(n.name) + "[" + j + "]"}));
          for (let t = 0; t < T; t++) {
            const v = run.steps[t].nodes[n.name][j];
            g.append(svg("rect", {x: left + t * cw, y: y, width: cw - 1, height: ch - 1,
              style: "fill:" + colormap(normalise(v, n.range)), "data-t": t + 1}, [
              svg("title", {text: label(n.name) + "[" + j + "] at t = " + (t + 1) + ": " +
                fmt(v)})]));
          }
          y += ch;
        }
        y += 4;
      }
      const now = svg("rect", {class: "gr-now", x: left - 1, y: top - 2, width: cw + 1,
                               height: y - top});
      g.append(now);
      // touch, pen or mouse: press on the heatmap and drag across it to pick a step
      const pick = (e) => {
        const box = g.getBoundingClientRect();
        const vx = (e.clientX - box.left) * width / Math.max(box.width, 1);
        const t = Math.floor((vx - left) / cw) + 1;
        if (t >= 1 && t <= T && t !== st.t) go(t);
      };
      g.addEventListener("pointerdown", (e) => {
        if (e.button !== 0) return;
        g.setPointerCapture(e.pointerId);
        pick(e);
      });
      g.addEventListener("pointermove", (e) => {
        if (g.hasPointerCapture(e.pointerId)) pick(e);
      });
      const stops = VIRIDIS.map((c, k) => c + " " +
        (k / (VIRIDIS.length - 1) * 100).toFixed(1) + "%").join(", ");
      const legend = el("div", {class: "gr-legend"}, [
        el("span", {text: "low"}),
        el("span", {class: "gr-ramp", style: "background:linear-gradient(to right, " + stops +
                    ")", role: "img", "aria-label": "viridis colour scale from low to high"}),
        el("span", {text: "high"}),
        el("span", {class: "gr-legend-note", text: "viridis (colour-blind safe); \u03c3 " +
                    "gates 0 \u2192 1; tanh candidates and h \u22121 \u2192 1; outlined " +
                    "column: the current step"}),
      ]);
      heat.replaceChildren(el("figcaption", {text: "Gate activations over time (every unit)"}),
                           legend, g);
      heatRefs = {now: now, left: left, cw: cw};
    }

    function buildCompare() {
      const T = run.steps.length;
      const W = 640, Hh = 200, left = 36, right = 10, top = 10, bottom = 24;
      const mean = (h) => h.reduce((a, b) => a + b, 0) / h.length;
      // the axis spans -1 .. 1, or more for a cell whose h is not bounded (IndRNN, a projection)
      let lim = 1;
      for (const steps of Object.values(run.curves)) {
        for (const s of steps) lim = Math.max(lim, Math.abs(mean(s.state.h)));
      }
      const x = (t) => left + (T > 1 ? (t - 1) / (T - 1) : 0.5) * (W - left - right);
      const y = (v) => top + (1 - (v / lim + 1) / 2) * (Hh - top - bottom);
      const g = svg("svg", {viewBox: "0 0 " + W + " " + Hh, role: "img",
        "aria-label": "Mean hidden state over time, LSTM and GRU"});
      for (const v of [-lim, 0, lim]) {
        g.append(svg("line", {x1: left, x2: W - right, y1: y(v), y2: y(v), class: "gr-grid"}));
        g.append(svg("text", {x: left - 6, y: y(v) + 4, "text-anchor": "end", class: "gr-tick",
                              text: fmt(v).replace(".000", "")}));
      }
      g.append(svg("text", {x: W - right, y: Hh - 6, "text-anchor": "end", class: "gr-tick",
                            text: "t = 1 \u2026 " + T}));
      const legend = el("div", {class: "gr-legend"});
      const series = [["lstm", "LSTM"], ["gru", "GRU"],
        ["selected", api.cells[st.cell].meta.title + (run.forced ? ", forced from step " +
          st.forceFrom : "")]];
      for (const [key, name] of series) {
        const steps = run.curves[key];
        if (!steps) continue;
        const pts = steps.map((s, t) => x(t + 1).toFixed(1) + "," + y(mean(s.state.h)).toFixed(1));
        g.append(svg("polyline", {points: pts.join(" "), class: "gr-line gr-line-" + key,
          style: "stroke:" + COLORS[key]}));
        legend.append(el("span", {class: "gr-key gr-key-" + key, style: "--gr-c:" +
                                  COLORS[key], text: name}));
      }
      const cursor = svg("line", {x1: x(1), x2: x(1), y1: top, y2: Hh - bottom,
                                  class: "gr-cursor"});
      g.append(cursor);
      compare.replaceChildren(el("figcaption", {text: "LSTM vs GRU on the same input: " +
        "hidden state h, mean over units"}), legend, g);
      compareRefs = {cursor: cursor, x: x};
    }

    let announceTimer = null;
    function announce() {
      // polite and not chatty: the step is said once it has settled, never on a play tick
      if (announceTimer !== null) clearTimeout(announceTimer);
      announceTimer = null;
      if (st.playing || !run) return;
      const T = run.steps.length;
      if (T === 0) return;
      const tok = run.tokens[st.t - 1];
      const text = "Step " + st.t + " of " + T + (tok !== undefined ? ", input \u201c" + tok +
        "\u201d" : "");
      announceTimer = setTimeout(() => {
        announceTimer = null;
        if (announcer.textContent !== text) announcer.textContent = text;
      }, 400);
    }

    function renderStep() {
      // what depends on the step alone: values in the diagrams and equations, two cursors
      const T = run.steps.length;
      slider.max = String(Math.max(T, 1));
      slider.value = String(Math.max(st.t, 1));
      slider.disabled = T === 0;
      slider.setAttribute("aria-valuetext", "step " + st.t + " of " + T);
      stepText.textContent = "Current step: " + st.t + " / " + T;
      play.textContent = st.playing ? "\u23f8 Pause" : "\u25b6 Play";
      play.setAttribute("aria-pressed", String(st.playing));
      renderEquations();
      if (T === 0) return;
      for (const view of views) updateDiagram(view);
      heatRefs.now.setAttribute("x", heatRefs.left + (st.t - 1) * heatRefs.cw - 1);
      const cx = compareRefs.x(st.t);
      compareRefs.cursor.setAttribute("x1", cx);
      compareRefs.cursor.setAttribute("x2", cx);
      announce();
    }

    function renderRun() {
      // a new run (input, cell, weights, forcing): rebuild the diagrams, heatmap and chart
      if (run.steps.length === 0) {
        views = [];
        diagram.replaceChildren(), heat.replaceChildren(), compare.replaceChildren();
      } else {
        buildDiagrams();
        buildHeatmap();
        buildCompare();
      }
      renderStep();
    }

    function syncControls() {
      cellSelect.value = st.cell;
      weightSelect.value = st.weights;
      modeSelect.value = st.mode;
      sideBox.checked = st.side;
      weightSelect.querySelector('option[value="preset"]').disabled = st.mode !== "chars";
      // the preset's sizes, or H = I for a cell that adds x_t elementwise: not the reader's
      const H = sizesFor(st.cell).hidden_size;
      hiddenSelect.disabled = st.weights === "preset" || api.cells[st.cell].meta.inputIsHidden;
      if (st.weights === "preset") st.hidden = task.hiddenSize;
      if (!hiddenSelect.querySelector('option[value="' + H + '"]'))
        hiddenSelect.append(el("option", {value: H, text: String(H)}));
      hiddenSelect.value = String(H);
      seedInput.disabled = st.weights !== "random";
      if (unitSelect.options.length !== H) {
        unitSelect.replaceChildren(...Array.from({length: H}, (_, j) =>
          el("option", {value: j, text: "unit " + j})));
      }
      st.unit = Math.min(st.unit, H - 1);
      unitSelect.value = String(st.unit);
    }

    function update(opts) {
      syncControls();
      if (!recompute()) return;
      if (opts && opts.overrides) renderOverrides();
      else syncForceFrom();
      renderRun();
    }

    // ---- animation ----------------------------------------------------------------
    function stop() {
      const was = st.playing;
      st.playing = false;
      if (st.timer !== null) clearInterval(st.timer);
      st.timer = null;
      return was;
    }

    function togglePlay() {
      if (stop()) { renderStep(); return; }
      const T = run ? run.steps.length : 0;
      if (T === 0) return;
      if (st.t >= T) st.t = 1;
      st.playing = true;
      st.timer = setInterval(() => {
        if (!root.isConnected) { stop(); return; } // the reader navigated away
        if (st.t >= run.steps.length) { stop(); renderStep(); return; }
        st.t += 1;
        renderStep();
      }, TICK_MS);
      renderStep();
    }

    function go(t) {
      stop();
      const T = run ? run.steps.length : 0;
      st.t = Math.min(Math.max(t, T ? 1 : 0), T);
      renderStep();
    }

    // ---- events -------------------------------------------------------------------
    cellSelect.addEventListener("change", () => { st.cell = cellSelect.value;
                                                  st.overrides = {};
                                                  update({overrides: true}); });
    hiddenSelect.addEventListener("change", () => { st.hidden = Number(hiddenSelect.value);
                                                    update(); });
    weightSelect.addEventListener("change", () => { st.weights = weightSelect.value; update(); });
    seedInput.addEventListener("input", () => {
      const parsed = parseSeed(seedInput);
      if (parsed.error) errors.seed = parsed.error;
      else {
        delete errors.seed;
        st.seed = parsed.seed;
      }
      update();
    });
    sideBox.addEventListener("change", () => { st.side = sideBox.checked; update(); });
    modeSelect.addEventListener("change", () => {
      st.mode = modeSelect.value;
      if (st.mode === "numbers") {
        if (st.weights === "preset") st.weights = "random";
        if (!/^[\s\d.,;eE+-]*$/.test(st.text) || !st.text.trim()) st.text = "1 0.5 0 -0.5 -1 0 1";
      } else if (/^[\s\d.,;eE+-]*$/.test(st.text)) {
        st.text = task.example;
      }
      textInput.value = st.text;
      update();
    });
    textInput.addEventListener("input", () => { st.text = textInput.value; update(); });
    unitSelect.addEventListener("change", () => { st.unit = Number(unitSelect.value);
                                                  renderStep(); });
    first.addEventListener("click", () => go(1));
    back.addEventListener("click", () => go(st.t - 1));
    fwd.addEventListener("click", () => go(st.t + 1));
    last.addEventListener("click", () => go(run ? run.steps.length : 0));
    play.addEventListener("click", togglePlay);
    slider.addEventListener("input", () => go(Number(slider.value)));
    root.addEventListener("keydown", (e) => {
      const target = e.target;
      if (target.matches("input, select, textarea, output")) return;
      const isButton = target.matches("button");
      if (e.key === " " || e.key === "Spacebar") {
        if (isButton) return; // the button's own click
        e.preventDefault();
        togglePlay();
      } else if (e.key === "ArrowRight") {
        e.preventDefault();
        go(st.t + 1);
      } else if (e.key === "ArrowLeft") {
        e.preventDefault();
        go(st.t - 1);
      } else if (e.key === "Home") {
        e.preventDefault();
        go(1);
      } else if (e.key === "End") {
        e.preventDefault();
        go(run ? run.steps.length : 0);
      }
    });

    update({overrides: true});
    root.dataset.ready = "true";
    root.dataset.readyMs = performance.now().toFixed(1); // since navigation start
    root.dataset.initMs = (performance.now() - started).toFixed(1);
  }

  // ---- start: on this page's load, and on every instant navigation --------------------
  function boot() {
    if (window.__gatedRefExplorerBooted) return; // document$ calls init() for this page
    if (typeof window.document$ !== "undefined" && window.document$.subscribe) {
      window.__gatedRefExplorerBooted = true;
      window.document$.subscribe(() => init(0));
    } else {
      init(); // without Material's observable (the page opened outside the theme)
    }
  }
  init(0); // at once when the page's own scripts are here: before the theme's and MathJax's
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", boot);
  else boot();
})();
