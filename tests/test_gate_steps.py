"""Step-by-step gate diagrams and gate activations (diagrams/gate_steps.py, gate_activations.py).

- The schematic is read off the equations: every node placed once, edges are exactly the
  free symbols of each right-hand side, one frame per equation, no overlapping boxes.
- Both scripts write the same bytes twice.
- The plotted gate values are the kernel's: an independent step-by-step evaluation of the
  SymPy equations with ``sympy.lambdify`` gives the same numbers.
- The stepper works in headless Chromium: buttons, arrow keys, captions, light and dark.
"""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest
import sympy as sp
from core_helpers import lambdify_step

import gated_ref as gr

ROOT = Path(__file__).resolve().parents[1]
DIAGRAMS = ROOT / "diagrams"


def load_diagram(stem: str) -> ModuleType:
    """Import ``diagrams/<stem>.py`` as the runner does (its folder on sys.path for _style)."""
    if str(DIAGRAMS) not in sys.path:
        sys.path.insert(0, str(DIAGRAMS))
    name = f"diagram_{stem}"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, DIAGRAMS / f"{stem}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


steps = load_diagram("gate_steps")


# ---- the schematic -----------------------------------------------------------------------
def expected_sources(spec: gr.CellSpec, rhs: sp.Expr) -> set[str]:
    """What a node's equation reads, from its free symbols alone: vertex keys or node names."""
    params = {p.symbol for p in spec.elementwise_params}
    prev = {sym: f"in.{s}" for s, sym in spec.prev.items()}
    gate_of_h = {sym: g for g, sym in spec.hidden_affine.items()}
    extra = {sym: fam.source for fam in spec.families for sym in fam.symbols}
    found: set[str] = set()
    for sym in rhs.free_symbols:
        if sym in params:
            continue
        if sym in spec.input_affine.values() or sym == spec.input_symbol:
            found.add("in.x")
            continue
        if sym in gate_of_h:
            sym = spec.hidden_source[gate_of_h[sym]]
        elif sym in extra:
            sym = extra[sym]
        found.add(prev.get(sym, sym.name))
    return found


@pytest.mark.parametrize("name", gr.CELL_NAMES)
def test_every_node_placed_exactly_once(name: str) -> None:
    s = steps.schematic(name)
    graph = s.graph
    assert set(graph.value) == {n.symbol.name for n in s.spec.nodes}
    values = list(graph.value.values())
    assert len(set(values)) == len(values), "two nodes share a vertex"
    for node, key in graph.value.items():
        assert graph.vertices[key].node == node
    assert set(s.layout.pos) == set(graph.vertices)
    svg = steps.render_svg(s.spec, graph, s.layout, s.frame_of)
    for node in graph.value:
        assert svg.count(f'data-node="{node}"') == 1, node
    assert svg.count('class="gs-v ') == len(graph.vertices)
    assert svg.count('class="gs-e"') == len(graph.edges)
    states = {v.state for v in graph.vertices.values() if v.kind == "output"}
    assert states == set(s.spec.states)


@pytest.mark.parametrize("name", gr.CELL_NAMES)
def test_edges_follow_free_symbols(name: str) -> None:
    """Walking back from a node's vertex through its own vertices reaches what its rhs reads."""
    s = steps.schematic(name)
    graph = s.graph
    preds: dict[str, list[str]] = {k: [] for k in graph.vertices}
    for e in graph.edges:
        preds[e.dst].append(e.src)
    for n in s.spec.nodes:
        node = n.symbol.name
        reached: set[str] = set()
        todo, seen = [graph.value[node]], set()
        while todo:
            key = todo.pop()
            for src in preds[key]:
                v = graph.vertices[src]
                if v.kind == "input":
                    reached.add(src)
                elif v.node == node:
                    if src not in seen:
                        seen.add(src)
                        todo.append(src)
                else:
                    assert graph.value[v.node] == src, f"{node} reads inside {v.node}"
                    reached.add(v.node)
        assert reached == expected_sources(s.spec, n.rhs), node
    for st in s.spec.states:
        assert [e.src for e in graph.edges if e.dst == f"out.{st}"] == [
            graph.value[s.spec.out[st].name]
        ]


@pytest.mark.parametrize("name", gr.CELL_NAMES)
def test_one_frame_per_equation(name: str) -> None:
    s = steps.schematic(name)
    spec = s.spec
    assert len(s.frames) == len(spec.equations)
    for k, (fr, eq, ident) in enumerate(
        zip(s.frames, spec.equations, spec.equation_ids, strict=True)
    ):
        assert fr.equation_id == ident
        assert fr.latex == f"{spec.latex_of(eq.lhs)} = {spec.latex_of(eq.rhs)}"
        for node in fr.nodes:
            assert s.frame_of[s.graph.value[node]] == k
    covered = [n for fr in s.frames for n in fr.nodes]
    assert sorted(covered) == sorted(n.symbol.name for n in spec.nodes)
    text = steps.snippet(s)
    assert text.count('<div class="arithmatex">\\[') == len(spec.equations)
    assert "\n\n" not in text.strip(), "a blank line would end the raw HTML block"


def test_reset_gate_position_differs_between_gru_forms() -> None:
    """Reset-after gates U h (an affine box feeds the product); reset-before gates h itself."""
    after, before = steps.schematic("gru").graph, steps.schematic("gru_reset_before").graph
    kinds_after = {v.kind for v in after.vertices.values() if v.node == "n"}
    assert "affine" in kinds_after
    rh = before.vertices[before.value["rh"]]
    assert rh.label == "\u2299"
    assert {e.src for e in before.edges if e.dst == before.value["rh"]} == {
        "in.h",
        before.value["r"],
    }


@pytest.mark.parametrize("name", gr.CELL_NAMES)
def test_layout_boxes_do_not_overlap(name: str) -> None:
    lay = steps.schematic(name).layout
    keys = list(lay.pos)
    for i, a in enumerate(keys):
        for b in keys[i + 1 :]:
            (xa, ya), (wa, ha) = lay.pos[a], lay.size[a]
            (xb, yb), (wb, hb) = lay.pos[b], lay.size[b]
            apart_x = abs(xa - xb) >= (wa + wb) / 2
            apart_y = abs(ya - yb) >= (ha + hb) / 2
            assert apart_x or apart_y, f"{name}: {a} overlaps {b}"
            assert 0 <= xa - wa / 2 and xa + wa / 2 <= lay.width
            assert 0 <= ya - ha / 2 and ya + ha / 2 <= lay.height


def test_a_new_cell_gets_a_diagram_for_free() -> None:
    """A cell defined in the test (a minimal gated unit) is laid out like the built-ins."""
    from gated_ref.functions import sigmoid
    from gated_ref.spec import CellBuilder

    cell = CellBuilder("mgu", title="MGU", reference="Zhou et al. (2016)", states=("h",),
                       gates=("f", "n"))  # fmt: skip
    f = cell.node("f", sigmoid(cell.ax("f") + cell.ah("f")))
    fh = cell.node("fh", f * cell.state("h"), inline=True)
    n = cell.node("n", sp.tanh(cell.ax("n") + cell.ah("n", source=fh)))
    cell.node("h", (1 - f) * cell.state("h") + f * n)
    spec = cell.build()
    graph = steps.build_graph(spec)
    frames = steps.frames(spec)
    assert [fr.node for fr in frames] == ["f", "n", "h"]
    assert frames[1].nodes == ("n", "fh")
    lay = steps.layout(graph)
    assert set(lay.pos) == set(graph.vertices)


# ---- the values plotted are the kernel's -------------------------------------------------
@pytest.fixture(scope="module")
def experiment():  # noqa: ANN201
    return load_diagram("gate_activations").experiment()


def lambdify_steps(spec: gr.CellSpec, params, x: np.ndarray) -> dict[str, np.ndarray]:  # noqa: ANN001
    """Every node over time, evaluating each SymPy rhs with lambdify, one step at a time."""
    H = params["weight_hh"].shape[1]
    state = {s: np.zeros(H) for s in spec.states}
    out: dict[str, list[np.ndarray]] = {n.symbol.name: [] for n in spec.nodes}
    for t in range(x.shape[0]):
        env = lambdify_step(spec, params, x[t, 0], state)
        for node in spec.nodes:
            out[node.symbol.name].append(env[node.symbol])
        state = {s: env[spec.out[s]] for s in spec.states}
    return {k: np.array(v) for k, v in out.items()}


@pytest.mark.parametrize("name", ["lstm", "gru"])
def test_heatmap_values_come_from_the_kernel(experiment, name: str) -> None:  # noqa: ANN001
    module = load_diagram("gate_activations")
    model = experiment.models[name]
    expected = lambdify_steps(model.kernel.spec, model.params, experiment.x)
    plotted = experiment.traces[name]
    for q in (*module.SHOWN[name], "h"):
        np.testing.assert_allclose(plotted[q], expected[q], rtol=1e-10, atol=1e-12, err_msg=q)
    # and the forward cache is where they came from
    _, _, cache = model.kernel.forward(experiment.x, model.params)
    gate = module.SHOWN[name][1]
    np.testing.assert_array_equal(plotted[gate], cache[f"N_{gate}"][:, 0])


def test_models_predict_held_out_text_better_than_letter_frequencies(experiment) -> None:  # noqa: ANN001
    """The recorded models beat the unigram entropy of the test text (computed here)."""
    from gated_ref import tasks

    codes = tasks.CharLM(50).codes("test")
    freq = np.bincount(codes, minlength=len(tasks.ALPHABET)) / len(codes)
    unigram = -float(np.sum(freq[freq > 0] * np.log2(freq[freq > 0])))
    for name, model in experiment.models.items():
        assert model.test_bpc < unigram, (name, model.test_bpc, unigram)
        assert model.test_bpc == pytest.approx(model.run["final"]["test"]["bpc"], rel=1e-9)
    assert experiment.x.shape == (len(experiment.text), 1, len(tasks.ALPHABET))


def test_captions_state_each_models_own_numbers(experiment) -> None:  # noqa: ANN001
    module = load_diagram("gate_activations")
    for name, model in experiment.models.items():
        note = module.training_note(experiment, name)
        assert f"{model.test_bpc:.3f} bits per character" in note, name
        assert f"hidden size {model.run['config']['hidden']}" in note
        other = next(m for n, m in experiment.models.items() if n != name)
        assert f"{other.test_bpc:.3f} bits" not in note  # no other model's statistics


# ---- the stepper in a browser --------------------------------------------------------------


def _visible_caption(page) -> str:  # noqa: ANN001
    return page.evaluate(
        """(root) => {
          const li = [...document.querySelector(root).querySelectorAll(
            '.gr-stepper__captions > li')].filter((el) => !el.hidden);
          return li.map((el) => el.dataset.equation).join(',');
        }""",
        ".gr-stepper",
    )


def _luminance(css: str) -> float:
    r, g, b = (int(v) for v in re.findall(r"\d+", css)[:3])
    return (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_stepper_in_browser(chromium, site_url: str, scheme: str) -> None:  # noqa: ANN001
    context = chromium.new_context(color_scheme=scheme, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))
    page.on("pageerror", lambda e: errors.append(str(e)))
    # Reach the LSTM page by instant navigation, as a reader would.
    page.goto(site_url, wait_until="load")
    page.evaluate("() => { window.__sameDocument = true; }")
    page.locator('.md-nav a[href$="cells/lstm/"]').first.click()
    page.wait_for_url(site_url + "cells/lstm/")
    page.wait_for_function(
        "() => document.body.getAttribute('data-math-typeset') === location.pathname",
        timeout=20_000,
    )
    assert page.evaluate("() => window.__sameDocument === true"), "the page reloaded"
    stepper = page.locator(".gr-stepper").first
    count = stepper.locator(".gr-stepper__count")
    n = len(gr.cell("lstm").equations)
    assert count.inner_text() == f"Step 1 / {n}"
    assert _visible_caption(page) == "lstm.i_t"
    assert stepper.locator(".gr-stepper__captions > li:not([hidden]) mjx-container").count() == 1

    stepper.focus()
    page.keyboard.press("ArrowRight")
    assert count.inner_text() == f"Step 2 / {n}"
    assert _visible_caption(page) == "lstm.f_t"
    on = stepper.locator("svg .gs-v.is-on")
    assert on.count() >= 1 and on.first.get_attribute("data-frame") == "1"
    assert stepper.locator("svg .gs-v.is-src").count() >= 1  # x_t and h_{t-1} are read
    stepper.get_by_role("button", name="Next step").click()
    assert count.inner_text() == f"Step 3 / {n}"
    page.keyboard.press("End")
    assert count.inner_text() == f"Step {n} / {n}"
    assert _visible_caption(page) == "lstm.h_t"
    page.keyboard.press("ArrowRight")  # stays on the last step
    assert count.inner_text() == f"Step {n} / {n}"
    page.keyboard.press("Home")
    assert count.inner_text() == f"Step 1 / {n}"
    previous = stepper.get_by_role("button", name="Previous step")
    assert previous.get_attribute("aria-disabled") == "true"
    previous.focus()  # stays focusable at the first step; Enter does nothing there
    page.keyboard.press("Enter")
    assert count.inner_text() == f"Step 1 / {n}"
    stepper.get_by_role("button", name="Next step").focus()
    page.keyboard.press("Space")
    assert count.inner_text() == f"Step 2 / {n}"

    # Legible in both schemes: SVG text contrasts with the page background.
    text_fill = page.evaluate(
        "() => getComputedStyle(document.querySelector('.gr-steps__svg .gs-math')).fill"
    )
    background = page.evaluate("() => getComputedStyle(document.body).backgroundColor")
    bg = _luminance(background)
    assert abs(_luminance(text_fill) - bg) > 0.5, (scheme, text_fill, background)
    assert errors == []
    context.close()


@pytest.mark.parametrize("page_path", ["cells/lstm/", "cells/gru/", "cells/variants/"])
def test_every_stepper_on_the_pages_starts(chromium, site_url: str, page_path: str) -> None:  # noqa: ANN001
    """Each included stepper runs: n steps for n equations, every caption typeset."""
    page = chromium.new_page()
    page.goto(site_url + page_path, wait_until="load")
    page.wait_for_function(
        "() => document.body.getAttribute('data-math-typeset') === location.pathname",
        timeout=20_000,
    )
    found = page.evaluate(
        """() => [...document.querySelectorAll('[data-gr-stepper]')].map((el) => ({
          cell: el.dataset.cell,
          count: el.querySelector('.gr-stepper__count')?.textContent,
          items: el.querySelectorAll('.gr-stepper__captions > li').length,
          typeset: el.querySelectorAll('.gr-stepper__captions > li mjx-container').length,
        }))"""
    )
    assert found, f"{page_path}: no stepper"
    for item in found:
        n = len(gr.cell(item["cell"]).equations)
        assert item == {"cell": item["cell"], "count": f"Step 1 / {n}", "items": n, "typeset": n}
    page.close()
