"""Code generation: the banner, CSE against no CSE, the on-disk cache, the generated structure."""

from __future__ import annotations

import importlib.metadata
import inspect
import itertools
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import sympy as sp
from core_helpers import problem, rel_err

import gated_ref as gr
from gated_ref.functions import relu, sigmoid
from gated_ref.lower import emit, input_hash, plan


@pytest.mark.parametrize("name", gr.CELL_NAMES)
def test_generated_module_banner_and_getsource(name: str) -> None:
    kernel = gr.lower(gr.cell(name))
    head = kernel.source.splitlines()[:5]
    assert "do not edit" in head[0] and name in head[0]
    assert f"sympy {sp.__version__}" in head[2]
    assert input_hash(gr.cell(name)) in head[3]
    assert kernel.path.suffix == ".py" and kernel.path.read_text() == kernel.source
    assert inspect.getsource(kernel._module.forward).startswith("def forward")


@pytest.mark.parametrize("name", gr.CELL_NAMES)
def test_cse_and_no_cse_agree(name: str) -> None:
    kernel, params, x, state, dy, dstate = problem(name, T=4, B=3, I=2, H=5, seed=1)
    plain = gr.lower(gr.cell(name), cse=False)
    assert plain.source != kernel.source
    y1, f1, c1 = kernel.forward(x, params, state)
    y2, f2, c2 = plain.forward(x, params, state)
    assert rel_err(y1, y2) <= 1e-13
    g1, g2 = kernel.backward(dy, c1, dstate), plain.backward(dy, c2, dstate)
    for key in g1:
        assert rel_err(g1[key], g2[key]) <= 1e-13, key


@pytest.mark.parametrize("name", ["lstm", "gru", "gru_reset_before"])
def test_generated_structure(name: str) -> None:
    """Hoisted input GEMM, fused recurrent GEMM, weight gradients after the loop."""
    source = gr.lower(gr.cell(name)).source
    forward = source[source.index("def forward") : source.index("def backward")]
    before_loop, loop = forward.split("for t in range(T):")
    assert "x.reshape(T * B, I) @ W_ih.T" in before_loop
    assert "W_ih" not in loop
    groups = 2 if name == "gru_reset_before" else 1
    assert loop.count(" @ U") + loop.count("numpy.matmul(") == groups
    backward = source[source.index("def backward") :]
    loop_b, after = backward.split("TB = T * B")
    assert "x.reshape(TB, I)" in after and "x.reshape" not in loop_b
    assert "for " not in after


def other_hash_seed() -> str:
    """A PYTHONHASHSEED this process does not run with: set and dict orders of str differ."""
    return "54321" if os.environ.get("PYTHONHASHSEED") == "12345" else "12345"


def test_emit_is_the_same_in_a_process_with_another_hash_seed() -> None:
    """The kernel cache and the experiment record's fingerprint hash ``emit``'s text: a fresh
    interpreter with another string-hash seed must print the same bytes."""
    names = ("lstm_peephole", "gru_reset_before", "lstm_proj")
    script = (
        "import json, sys; import gated_ref as gr; from gated_ref.lower import emit, plan; "
        "print(json.dumps([emit(plan(gr.cell(n)), input_hash='h') for n in sys.argv[1:]]))"
    )
    env = {**os.environ, "PYTHONHASHSEED": other_hash_seed()}
    there = json.loads(subprocess.check_output([sys.executable, "-c", script, *names], env=env))
    here = [emit(plan(gr.cell(n)), input_hash="h") for n in names]
    assert there == here


def test_cache_is_reused_in_a_new_process(tmp_path: Path) -> None:
    script = (
        "import json, time; t0 = time.perf_counter(); import gated_ref as gr; "
        "t1 = time.perf_counter(); ks = [gr.lower(gr.cell(n)) for n in gr.CELL_NAMES]; "
        "print(json.dumps({'paths': [str(k.path) for k in ks], "
        "'seconds': time.perf_counter() - t1}))"
    )
    env = {**os.environ, "GATED_REF_CACHE": str(tmp_path)}
    first = json.loads(subprocess.check_output([sys.executable, "-c", script], env=env))
    stamps = {p: os.stat(p).st_mtime_ns for p in first["paths"]}
    second = json.loads(subprocess.check_output([sys.executable, "-c", script], env=env))
    assert second["paths"] == first["paths"]
    assert {p: os.stat(p).st_mtime_ns for p in second["paths"]} == stamps
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(Path(p).name for p in stamps)


def test_cache_key_changes_with_the_equations() -> None:
    from gated_ref.spec import CellBuilder

    def variant(scale: int) -> gr.CellSpec:
        b = CellBuilder("rnn_tanh", title="t", reference="r", states=("h",), gates=("h",))
        b.node("h", sp.tanh(scale * (b.ax("h") + b.ah("h"))))
        return b.build()

    assert input_hash(variant(1)) != input_hash(variant(2))


def test_the_installed_sympy_is_the_pinned_one() -> None:
    """The generated code depends on SymPy's printer: the version that runs (and that the
    banner prints) is the one pyproject.toml pins."""
    text = (Path(__file__).resolve().parents[1] / "pyproject.toml").read_text(encoding="utf-8")
    pins = re.findall(r'"sympy==([^"]+)"', text)
    assert pins == [sp.__version__] == [importlib.metadata.version("sympy")]


Range = tuple[float, float]


def interval(expr: sp.Expr, ranges: dict[sp.Symbol, Range]) -> Range:
    """The range of ``expr`` when each symbol lies in its range; a symbol without one (an
    affine map) may be anything. Each function call is bounded by its function (sigmoid in
    [0, 1], tanh in [-1, 1], relu >= 0); around the calls, an expression of degree at most one
    in every variable takes its extremes at the corners of the box (exact: a GRU's
    ``n z + h (1 - z)`` stays within its n and h), anything else by interval arithmetic."""
    calls = {c: sp.Dummy() for c in _outer_calls(expr)}
    if calls:
        ranges = {**ranges, **{d: _call_range(c, ranges) for c, d in calls.items()}}
        expr = expr.xreplace(calls)
    free = sorted(expr.free_symbols, key=str)
    box = [ranges.get(v, (-np.inf, np.inf)) for v in free]
    if np.isfinite(box).all() and all(sp.degree(expr, v) <= 1 for v in free):
        fn = sp.lambdify(free, expr, "math")
        corners = [fn(*c) for c in itertools.product(*box)]
        return min(corners), max(corners)
    return _arithmetic(expr, ranges)


def _outer_calls(expr: sp.Expr) -> set[sp.Expr]:
    if isinstance(expr, sp.Function):
        return {expr}
    return set().union(*(_outer_calls(a) for a in expr.args)) if expr.args else set()


def _call_range(call: sp.Expr, ranges: dict[sp.Symbol, Range]) -> Range:
    if isinstance(call, sigmoid):
        return 0.0, 1.0
    if isinstance(call, sp.tanh):
        return -1.0, 1.0
    if isinstance(call, relu):
        lo, hi = interval(call.args[0], ranges)
        return max(lo, 0.0), max(hi, 0.0)
    raise NotImplementedError(f"no range rule for {call.func}: add one")


def _arithmetic(expr: sp.Expr, ranges: dict[sp.Symbol, Range]) -> Range:
    if expr.is_Number:
        return float(expr), float(expr)
    if expr.is_Symbol:
        return ranges.get(expr, (-np.inf, np.inf))
    parts = [_arithmetic(a, ranges) for a in expr.args]
    if expr.is_Add:
        return sum(lo for lo, _ in parts), sum(hi for _, hi in parts)
    if expr.is_Mul:
        lo, hi = 1.0, 1.0
        for a, b in parts:  # 0 * inf is 0 here: an endpoint 0 is attained exactly
            ends = [u * v if u and v else 0.0 for u in (lo, hi) for v in (a, b)]
            lo, hi = min(ends), max(ends)
        return lo, hi
    raise NotImplementedError(f"no interval rule for {expr.func}: add one")


def output_range(spec: gr.CellSpec, params: dict, x: np.ndarray, state: dict) -> Range:
    """Bounds on every y_t, from the cell's equations run on intervals from the initial state."""
    fixed = {
        p.symbol: (params[p.key][p.row].min(), params[p.key][p.row].max())
        for p in spec.elementwise_params
    }
    if spec.input_symbol is not None:
        fixed[spec.input_symbol] = (x.min(), x.max())
    prev = {spec.prev[s]: (state[s].min(), state[s].max()) for s in spec.states}
    lo, hi = np.inf, -np.inf
    for _ in range(x.shape[0]):
        env = {**fixed, **prev}
        for node in spec.nodes:
            if node.projection is None:
                env[node.symbol] = interval(node.rhs, env)
            else:  # |W m|_k <= sum_j |W_kj| max|m|
                size = np.abs(params[node.projection]).sum(axis=1).max() * max(
                    map(abs, env[node.rhs])
                )
                env[node.symbol] = -size, size
        prev = {spec.prev[s]: env[spec.out[s]] for s in spec.states}
        lo, hi = min(lo, env[spec.out["h"]][0]), max(hi, env[spec.out["h"]][1])
    return lo, hi


@pytest.mark.parametrize("name", gr.CELL_NAMES)
def test_saturating_inputs_stay_finite_without_warnings(name: str) -> None:
    """Inputs of 1e4 and weights 50 times too large: every gate saturates, yet no overflow, no
    NaN and no warning, in float64 and float32, and y stays within the range the cell's own
    equations allow (interval arithmetic over the steps, from the initial state): within 1 for
    an LSTM's o * tanh(c), within the weights' row sums for a projection. A cell whose output
    is not squashed (IndRNN's relu) is unbounded above by design, growing with its input: for
    it the inputs are large but finite, and the test asks for finite values, no warnings and
    y >= 0."""
    spec = gr.cell(name)
    kernel, params, x, state, dy, dstate = problem(name, T=3, B=2, I=3, H=4, seed=9)
    x = np.where(np.arange(x.size).reshape(x.shape) % 2 == 0, 1e4, -1e4).astype(np.float64)
    params = {k: v * 50.0 for k, v in params.items()}
    with np.errstate(all="raise"):
        y, final, cache = kernel.forward(x, params, state)
        grads = kernel.backward(dy, cache, dstate)
    assert np.isfinite(y).all() and all(np.isfinite(v).all() for v in final.values())
    assert all(np.isfinite(g).all() for g in grads.values())
    lo, hi = output_range(spec, params, x, state)
    assert lo - 1e-12 * abs(lo) <= y.min() and y.max() <= hi + 1e-12 * abs(hi), (lo, hi)
    for dtype in (np.float32,):
        k32 = {k: v.astype(dtype) for k, v in params.items()}
        s32 = {k: v.astype(dtype) for k, v in state.items()}
        with np.errstate(all="raise"):
            y32, _, c32 = kernel.forward(x.astype(dtype), k32, s32)
            kernel.backward(dy.astype(dtype), c32, {k: v.astype(dtype) for k, v in dstate.items()})
        assert np.isfinite(y32).all()
