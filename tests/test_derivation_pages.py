"""The teaching parts of the derivations page and the 1997 LSTM page: the walked steps on the
site, the unrolled BPTT graph, the symbol tables, the exercises and the forget-gate figure."""

from __future__ import annotations

import importlib.util
import math
import os
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
import sympy as sp
from conftest import ROOT

import gated_ref as gr
from gated_ref.steps import walk

_HTML_ID = re.compile(r"""\sid=["']([^"']+)["']""")


def diagram(name: str):  # noqa: ANN201
    """diagrams/<name>.py as a module (diagrams/ on the path, as the runner has it)."""
    sys.path.insert(0, str(ROOT / "diagrams"))
    try:
        spec = importlib.util.spec_from_file_location(
            f"diagram_{name}_for_tests", ROOT / "diagrams" / f"{name}.py"
        )
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(ROOT / "diagrams"))
    return module


def run(script: str, out: Path, seed: str) -> None:
    """Run a diagram script in a fresh interpreter with the given hash seed, into ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, PYTHONHASHSEED=seed, PYTHONPATH=str(ROOT))
    proc = subprocess.run(
        [sys.executable, str(ROOT / "diagrams" / f"{script}.py"), str(out)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr


# ---- the walks on the site -------------------------------------------------------------------


def test_walk_ids_are_anchors_on_one_page_only(built_site: Path) -> None:
    steps = diagram("derivation_steps")
    where = {"lstm_1997": "cells/lstm-1997/"}
    expected: dict[str, str] = {}
    for name, state in steps.WALKS:
        for ident in walk(name, state).equation_ids:
            expected[ident] = where.get(name, "derivations/")
    found: dict[str, Counter] = {}
    for page in sorted(built_site.rglob("index.html")):
        url = page.parent.relative_to(built_site).as_posix() + "/"
        ids = Counter(
            i for i in _HTML_ID.findall(page.read_text(encoding="utf-8")) if i in expected
        )
        for ident, n in ids.items():
            found.setdefault(ident, Counter())[url] += n
    assert set(found) == set(expected)
    for ident, pages in found.items():
        assert pages == Counter({expected[ident]: 1}), (ident, pages)


def test_walk_shown_is_the_walk_printed(built_site: Path) -> None:
    """The copy button of each step holds the walk's LaTeX, and the page shows the same row."""
    import html

    text = (built_site / "derivations" / "index.html").read_text(encoding="utf-8")
    for name, state in (("lstm", "c"), ("lstm", "h"), ("gru", "h")):
        w = walk(name, state)
        for step in w.steps:
            latex = w.latex(step)
            button = re.search(
                rf'title="Copy the LaTeX of {re.escape(step.id)}" data-latex="([^"]*)"', text
            )
            assert button and html.unescape(button.group(1)) == latex, step.id
            assert html.escape(latex.replace(" = ", " &= ", 1), quote=False) in text, step.id
    for gone in ("gr-eq:", "@next", "delta:"):
        assert gone not in text, gone


# ---- the unrolled graph ----------------------------------------------------------------------


def test_bptt_graph_is_byte_identical_across_runs(tmp_path: Path) -> None:
    run("bptt_graph", tmp_path / "a", "1")
    run("bptt_graph", tmp_path / "b", "4242")
    for name in ("lstm.svg", "lstm.md"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()


def test_bptt_graph_edges_are_the_lstm_equations(tmp_path: Path) -> None:
    """Counted from the LSTM's equations as the paper writes them, not from our code: per step,
    each of the 4 gates reads x_t and h_{t-1}, c_t reads f, c_{t-1}, i, g, h_t reads o and c_t,
    and the loss reads h_t. Adjoints: c_t gets one arrow from h_t and one from c_{t+1} where
    they exist; h_t one from the loss and one from each of the 4 gates of step t+1."""
    graph = diagram("bptt_graph")
    text = graph.svg(gr.cell("lstm"))
    steps = graph.STEPS
    lines = re.findall(r'<line [^>]*stroke="([^"]+)"[^>]*marker-end', text)
    counts = Counter(lines)
    assert counts[graph.GREY] == steps * (4 * 2 + 4 + 2 + 1)
    into_c = sum((t >= 1) + (t + 1 <= steps) for t in range(steps + 1))
    into_h = sum((t >= 1) + 4 * (t + 1 <= steps) for t in range(steps + 1))
    assert counts[graph.ADJOINT["c"]] == into_c
    assert counts[graph.ADJOINT["h"]] == into_h
    width = float(re.search(r'<svg [^>]*width="([\d.]+)"', text).group(1))
    assert width <= 7.2 * 96
    xs = [float(v) for v in re.findall(r' (?:cx|x1|x2)="([\d.]+)"', text)]
    assert max(xs) < width, "something is drawn outside the figure"


# ---- symbols -----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", gr.CELL_NAMES)
def test_every_symbol_of_a_sheet_is_defined(name: str) -> None:
    symbols = diagram("symbols")
    table = symbols.table(name)
    spec, back = gr.cell(name), gr.derive(name)
    for eq in [*spec.equations, *back.equations]:
        for s in eq.free_symbols:
            tex = back.symbol_names[s].replace("^{\\top}", "")
            if tex.startswith("{") and tex.endswith("}"):  # {R^{(i)}_{f}}^{\top}
                tex = tex[1:-1]
            assert f"${tex}$" in table or f"{tex}$" in table, (name, tex)
    for needle in (r"\odot", r"\sigma", r"\mathcal{L}"):
        if needle in back.latex() + spec.latex():
            assert needle in table


def test_an_unknown_symbol_stops_the_table() -> None:
    symbols = diagram("symbols")
    with pytest.raises(ValueError, match="no kind"):
        symbols.kind_of(sp.Symbol("mystery"))


# ---- exercises -------------------------------------------------------------------------------


def test_exercise_numbers(tmp_path: Path) -> None:
    """The solutions' numbers, recomputed here without the package."""
    run("derivation_exercises", tmp_path, "0")
    text = (tmp_path / "exercises.md").read_text(encoding="utf-8")
    ex = diagram("derivation_exercises")
    decay = (1 / (1 + math.exp(-ex.FORGET_BIAS))) ** ex.SPAN
    mantissa, exponent = f"{decay:.1e}".split("e")
    assert f"{mantissa} \\times 10^{{{int(exponent)}}}" in text
    k = 0
    while ex.Z_GATE**k > 1 / ex.SHRINK:
        k += 1
    assert f"\\rceil = {k}$ steps" in text
    # readers, from the paper's equations: LSTM c_t -> h_t, c_{t+1}; LSTM h_t -> 4 gates + loss;
    # GRU h_t -> r, z, n of step t+1 and h_{t+1} itself, + loss
    assert "| `lstm` | $c$ | $h_{t}$, $c_{t+1}$ | 2 |" in text
    assert re.search(r"\| `lstm` \| \$h\$ \|[^|]*\| 5 \|", text)
    assert re.search(r"\| `gru` \| \$h\$ \|[^|]*\| 5 \|", text)
    assert text.count('??? success "Solution"') == 4


# ---- the forget gate figure ------------------------------------------------------------------


def test_forget_gate_trajectories_match_a_plain_loop() -> None:
    """The script's cell states, against the two cells written here in NumPy."""
    fg = diagram("forget_gate")
    fg.T = 30
    c = fg.trajectories(np.random.default_rng(fg.SEED))
    rng = np.random.default_rng(fg.SEED)
    params = gr.lower(gr.cell("lstm_1997")).init_params(fg.I, fg.H, rng=rng)
    x = rng.standard_normal((fg.T, fg.B, fg.I))
    forget = fg.with_forget_block(params, rng)

    def sig(v: np.ndarray) -> np.ndarray:
        return 1 / (1 + np.exp(-v))

    for name, p, blocks in (("lstm_1997", params, "igo"), ("lstm", forget, "ifgo")):
        h = np.zeros((fg.B, fg.H))
        cell = np.zeros((fg.B, fg.H))
        for t in range(fg.T):
            a = x[t] @ p["weight_ih"].T + p["bias_ih"] + h @ p["weight_hh"].T + p["bias_hh"]
            gates = dict(zip(blocks, np.split(a, len(blocks), axis=1), strict=True))
            f = sig(gates["f"]) if "f" in gates else 1.0
            cell = f * cell + sig(gates["i"]) * np.tanh(gates["g"])
            h = sig(gates["o"]) * np.tanh(cell)
            np.testing.assert_allclose(c[name][t + 1], cell, rtol=1e-12, atol=1e-12)


def test_forget_gate_numbers_say_what_the_page_says(tmp_path: Path) -> None:
    """The page: without the forget gate c_t drifts far and saturates tanh; with it, bounded."""
    fg = diagram("forget_gate")
    stats = fg.summary(fg.trajectories(np.random.default_rng(fg.SEED)))
    old, new = stats["lstm_1997"], stats["lstm"]
    assert old["mean_abs_c"] > 10 * old["mean_abs_c_at_100"] > 10 * new["mean_abs_c"]
    assert old["saturated"] > 0.5 and new["saturated"] == 0
    assert old["slope"] < 0.1 < new["slope"]
    run("forget_gate", tmp_path / "a", "1")
    run("forget_gate", tmp_path / "b", "7")
    for f in ("forget_gate.svg", "forget_gate.md"):
        assert (tmp_path / "a" / f).read_bytes() == (tmp_path / "b" / f).read_bytes()
    assert f"{old['mean_abs_c']:.2f}" in (tmp_path / "a" / "forget_gate.md").read_text()
