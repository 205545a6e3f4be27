"""The comparison pages' numbers: parameter counts, FLOPs, gradient flow and the kernel timing
record. (The trained-model experiments and their verdicts: ``tests/test_experiments.py``.)"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import numpy as np
import pytest
import sympy as sp

import gated_ref as gr

DIAGRAMS = Path(__file__).resolve().parents[1] / "diagrams"


def _load(name: str):  # noqa: ANN202
    """Import ``diagrams/<name>.py`` as a module (its folder on sys.path, as the runner does)."""
    if str(DIAGRAMS) not in sys.path:
        sys.path.insert(0, str(DIAGRAMS))
    spec = importlib.util.spec_from_file_location(f"_test_{name}", DIAGRAMS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def comparison():  # noqa: ANN201
    return _load("cell_comparison")


@pytest.fixture(scope="module")
def flow():  # noqa: ANN201
    return _load("gradient_flow")


@pytest.fixture(scope="module")
def claims():  # noqa: ANN201
    return _load("_claims")


# ---- parameter counts ----------------------------------------------------------------------
def test_distill_published_counts(comparison) -> None:  # noqa: ANN001
    """Distill's 2 x 600 units, one bias per gate: 4,323,600 (GRU) and 5,764,800 (LSTM).

    One bias per gate is the reset-before GRU (Keras ``reset_after=False``); the reset-after
    GRU cannot drop its recurrent candidate bias, so asking for its one-bias count raises.
    """
    got = {
        name: comparison.stacked_count(gr.cell(name), 600, 600, layers=2, biases=1)
        for name in ("gru_reset_before", "lstm")
    }
    assert got == {"gru_reset_before": 4_323_600, "lstm": 5_764_800}
    # PyTorch's two bias vectors per gate do not reproduce them
    two = comparison.stacked_count(gr.cell("gru"), 600, 600, layers=2, biases=2)
    assert two == 4_327_200
    with pytest.raises(ValueError, match="biases: got 1 for 'gru'"):
        comparison.stacked_count(gr.cell("gru"), 600, 600, layers=2, biases=1)


def test_one_bias_per_gate_is_exact_only_where_biases_are_only_added(comparison) -> None:  # noqa: ANN001
    """Folding b_hh into b_ih leaves the output unchanged for reset-before, not reset-after."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((4, 2, 3))
    for name in ("gru", "gru_reset_before", "lstm"):
        kernel = gr.lower(gr.cell(name))
        params = kernel.init_params(3, 5, rng=rng, dtype=np.float64)
        folded = dict(params, bias_ih=params["bias_ih"] + params["bias_hh"])
        folded["bias_hh"] = np.zeros_like(params["bias_hh"])
        same = np.allclose(kernel.forward(x, params)[0], kernel.forward(x, folded)[0])
        assert same == comparison.biases_only_summed(gr.cell(name)), name
        # and what the literature says: only the reset-after GRU keeps b_hn inside r * (...)
        assert same == (name != "gru"), name


def test_stacked_count_uses_hidden_size_above_layer_one(comparison) -> None:  # noqa: ANN001
    spec = gr.cell("lstm")
    one = comparison.parameter_count(spec, 10, 7)
    two = comparison.parameter_count(spec, 7, 7)
    assert comparison.stacked_count(spec, 10, 7, layers=2, biases=2) == one + two
    with pytest.raises(ValueError, match="biases"):
        comparison.stacked_count(spec, 10, 7, layers=1, biases=3)


@pytest.mark.parametrize(
    ("name", "module"), [("rnn_tanh", "RNN"), ("lstm", "LSTM"), ("gru", "GRU")]
)
@pytest.mark.parametrize(("input_size", "hidden"), [(3, 5), (600, 600), (17, 64)])
def test_parameter_count_matches_torch(
    comparison,  # noqa: ANN001
    name: str,
    module: str,
    input_size: int,
    hidden: int,
) -> None:
    import torch

    net = getattr(torch.nn, module)(input_size, hidden)
    expected = sum(p.numel() for p in net.parameters())
    assert comparison.parameter_count(gr.cell(name), input_size, hidden) == expected


# ---- FLOPs and memory -----------------------------------------------------------------------
def test_flops_of_the_vanilla_rnn_by_hand(comparison) -> None:  # noqa: ANN001
    """h = tanh(W x + b^x + U h + b^h): 2HI + 2H^2 (products), 2H (biases), H (+), H (tanh)."""
    i, h = comparison.I_SYM, comparison.H_SYM
    expected = 2 * h * i + 2 * h**2 + 2 * h + h + h
    assert sp.expand(comparison.flops_per_step(gr.cell("rnn_tanh")) - expected) == 0


@pytest.mark.parametrize("name", gr.CELL_NAMES)
def test_flops_are_dominated_by_the_products(comparison, name: str) -> None:  # noqa: ANN001
    """The I H and H^2 coefficients count the gate blocks that multiply x and a hidden vector
    (read off the equations: ax / ah / extra recurrent symbols used), two FLOPs per product."""
    spec = gr.cell(name)
    flops = comparison.flops_per_step(spec)
    i, h, p = comparison.I_SYM, comparison.H_SYM, comparison.P_SYM
    used = set().union(*(n.rhs.free_symbols for n in spec.nodes))
    x_blocks = sum(spec.input_affine[g] in used for g in spec.gates)
    h_blocks = sum(spec.hidden_affine[g] in used for g in spec.gates)
    h_blocks += sum(sym in used for fam in spec.families for sym in fam.symbols)
    poly = sp.Poly(flops, i, h, p)
    assert poly.coeff_monomial(i * h) == 2 * x_blocks
    if spec.sizes:  # U multiplies the P-sized h; W_hr maps H to P
        assert poly.coeff_monomial(h * p) == 2 * h_blocks + 2
    else:
        assert poly.coeff_monomial(h**2) == 2 * h_blocks
    # the elementwise part is a few operations per unit, not more
    linear = poly.coeff_monomial(h)
    assert x_blocks + h_blocks < linear < 2 * (x_blocks + h_blocks) + 10 * len(spec.nodes)


def test_gru_needs_three_quarters_of_the_lstm_products(comparison) -> None:  # noqa: ANN001
    big = {comparison.I_SYM: 4096, comparison.H_SYM: 4096}
    lstm = comparison.flops_per_step(gr.cell("lstm")).subs(big)
    gru = comparison.flops_per_step(gr.cell("gru")).subs(big)
    assert abs(gru / lstm - sp.Rational(3, 4)) < 1e-3


@pytest.mark.parametrize("name", gr.CELL_NAMES)
def test_memory_layout_accounts_for_every_cached_array(comparison, name: str) -> None:  # noqa: ANN001
    kernel = gr.lower(gr.cell(name))
    layout = comparison.cache_layout(kernel)
    spec = kernel.spec
    h, p = comparison.H_SYM, comparison.P_SYM
    assert layout.get("AX", len(spec.input_gates) * h) == len(spec.input_gates) * h
    for s in spec.states:
        assert layout[f"S_{s}"] == (h if spec.state_sizes[s] == "hidden_size" else p)
    # every node the kernel says it keeps is in the cache
    nodes = {k[2:] for k in layout if k.startswith(("N_", "A_"))}
    if "AX" in layout:  # the input pre-activations, kept whole
        nodes |= {spec.input_affine[g].name for g in spec.input_gates}
    assert set(kernel.cached_per_step) <= nodes


def test_memory_bytes_match_a_real_cache(comparison) -> None:  # noqa: ANN001
    """T steps of an LSTM: the cache's arrays (minus x) hold T B (kept per step) + 2 B H floats."""
    kernel = gr.lower(gr.cell("lstm"))
    steps, batch, hidden = 9, 4, 6
    params = kernel.init_params(3, hidden)
    _, _, cache = kernel.forward(np.zeros((steps, batch, 3)), params)
    held = sum(v.size for k, v in cache.items() if isinstance(v, np.ndarray) and k != "x")
    per_step = comparison.floats_kept_per_step(kernel).subs(comparison.H_SYM, hidden)
    assert held == steps * batch * per_step + 2 * batch * hidden


# ---- gradient flow --------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["rnn_tanh", "lstm", "gru"])
def test_suffix_gradients_match_finite_differences(flow, name: str) -> None:  # noqa: ANN001
    """u^T dh_T/dh_t from the suffix runs equals a central difference of u . h_T in h_t."""
    rng = np.random.default_rng(3)
    kernel = gr.lower(gr.cell(name))
    steps, batch, size_in, hidden = 7, 2, 3, 4
    params = kernel.init_params(size_in, hidden, rng=rng)
    x = rng.standard_normal((steps, batch, size_in))
    u = flow.unit_rows(rng, batch, hidden)
    rows = flow.suffix_gradients(kernel, params, x, u, stride=1)
    assert rows["distance"].tolist() == list(range(steps + 1))
    _, _, cache = kernel.forward(x, params)
    t, b, j, eps = 2, 1, 3, 1e-6  # perturb h_t (after t steps), batch b, unit j
    state = {s: cache[f"S_{s}"][t].copy() for s in kernel.spec.states}

    def score(delta: float) -> float:
        moved = {s: v.copy() for s, v in state.items()}
        moved["h"][b, j] += delta
        final = kernel.forward(x[t:], params, moved)[1]
        return float(np.sum(u * final["h"]))

    numeric = (score(eps) - score(-eps)) / (2 * eps)
    row = rows["h"][steps - t]
    assert row[b, j] == pytest.approx(numeric, rel=1e-6, abs=1e-9)
    # distance 0 is u itself
    np.testing.assert_array_equal(rows["h"][0], u)


def test_suffix_gradients_match_the_jacobian_product(flow) -> None:  # noqa: ANN001
    """Vanilla RNN: dh_T/dh_t = prod_s diag(1 - h_s^2) U, multiplied out by hand."""
    rng = np.random.default_rng(5)
    kernel = gr.lower(gr.cell("rnn_tanh"))
    steps, hidden = 6, 4
    params = kernel.init_params(2, hidden, rng=rng)
    x = rng.standard_normal((steps, 1, 2))
    u = flow.unit_rows(rng, 1, hidden)
    rows = flow.suffix_gradients(kernel, params, x, u)
    _, _, cache = kernel.forward(x, params)
    h = cache["S_h"][:, 0]
    row = u[0]
    for s in range(steps, 0, -1):  # row <- row diag(1 - h_s^2) U
        row = (row * (1 - h[s] ** 2)) @ params["weight_hh"]
    np.testing.assert_allclose(rows["h"][steps, 0], row, rtol=1e-12)


def test_spectral_radius_is_set_per_gate_block(flow) -> None:  # noqa: ANN001
    kernel = gr.lower(gr.cell("gru"))
    params = flow.set_spectral_radius(kernel.init_params(3, 8), 1.5, 8)
    for g in range(3):
        block = params["weight_hh"][8 * g : 8 * (g + 1)]
        assert np.max(np.abs(np.linalg.eigvals(block))) == pytest.approx(1.5)


def test_direct_cell_path_is_the_forget_gate(flow) -> None:  # noqa: ANN001
    """diag(f_t), against f_t from an LSTM loop written here (PyTorch's i, f, g, o blocks)."""
    spec = gr.cell("lstm")
    kernel = gr.lower(spec)
    rng = np.random.default_rng(4)
    params = kernel.init_params(3, 5, rng=rng)
    x = rng.standard_normal((4, 2, 3))
    _, _, cache = kernel.forward(x, params)
    h, c, forget = np.zeros((2, 5)), np.zeros((2, 5)), []
    for x_t in x:
        a = x_t @ params["weight_ih"].T + params["bias_ih"] + h @ params["weight_hh"].T
        i, f, g, o = np.split(a + params["bias_hh"], 4, axis=1)
        i, f, o = (1 / (1 + np.exp(-v)) for v in (i, f, o))
        c = f * c + i * np.tanh(g)
        h = o * np.tanh(c)
        forget.append(f)
    np.testing.assert_allclose(flow.direct_path(spec, cache), np.stack(forget), rtol=1e-12)


# ---- the adding problem ---------------------------------------------------------------------
# ---- the timing record ------------------------------------------------------------------------
def test_timing_table_reads_the_record(comparison, claims) -> None:  # noqa: ANN001
    """The table shows the committed record's numbers, nothing measured, with its machine."""
    record = json.loads(json.dumps(claims.kernel_times()))
    # a recognisable value: the table must show it, so it cannot come from a clock
    record["comparison"]["us_per_step"]["gru"]["64"]["fwd"] = 123456.0
    record["machine"]["cpu"] = "Test CPU 9000"
    table = comparison.timings_table(comparison.timings(record), record)
    assert "123,456" in table and "Test CPU 9000" in table and "make bench-record" in table
    assert comparison.DEPENDS == ("data/kernel_times.json",)
    assert "time" not in vars(comparison)  # the module does not even import a clock
    del record["comparison"]["us_per_step"]["lstm"]
    with pytest.raises(ValueError, match="make bench-record"):
        comparison.timings(record)


def test_timing_table_says_not_recorded_for_a_cell_newer_than_the_record(
    comparison,
    claims,  # noqa: ANN001
) -> None:
    """A cell the record does not list is shown as not recorded, never given a number."""
    record = json.loads(json.dumps(claims.kernel_times()))
    entry = record["comparison"]
    newest = entry["cells"][-1]
    entry["cells"].remove(newest)
    del entry["us_per_step"][newest]
    measured = comparison.timings(record)
    assert measured[newest] is None
    assert all(measured[n] is not None for n in entry["cells"])
    table = comparison.timings_table(measured, record)
    row = next(line for line in table.splitlines() if f"(`{newest}`)" in line)
    assert row.count("not recorded") == 2 * len(comparison.TIMING_SIZES)
    assert f"Not recorded: `{newest}`" in table
    entry["cells"].append(newest)  # listed but absent: a broken record, not a new cell
    with pytest.raises(ValueError, match=f"cells missing: \\['{newest}'\\]"):
        comparison.timings(record)


def test_timing_record_is_complete(claims) -> None:  # noqa: ANN001
    """The committed record covers every cell it lists, and lists the cells in registry
    order (a cell added since is missing at the end); it names its machine; keys are sorted."""
    path = Path(__file__).resolve().parents[1] / claims.RECORD
    text = path.read_text(encoding="utf-8")
    record = json.loads(text)
    assert text == json.dumps(record, indent=1, sort_keys=True, ensure_ascii=False) + "\n"
    listed = record["comparison"]["cells"]
    assert set(record["comparison"]["us_per_step"]) == set(listed)
    assert listed == list(gr.CELL_NAMES[: len(listed)])
    for by_size in record["comparison"]["us_per_step"].values():
        for n in record["comparison"]["sizes"]:
            assert by_size[str(n)]["fwd"] < by_size[str(n)]["fwd+bwd"]
    for key in ("cpu", "cores", "blas_threads", "numpy", "sympy", "torch", "python"):
        assert record["machine"][key], key
    assert record["load"]["load_average_before"]


# ---- the exact claim ---------------------------------------------------------------------------
def test_fewer_parameters_claim_counts_like_torch(claims) -> None:  # noqa: ANN001
    """The printed counts are torch's own parameter counts at I = H = SIZE."""
    torch = pytest.importorskip("torch")
    text = claims.fewer_parameters()
    n = claims.SIZE
    counts = {
        name: sum(p.numel() for p in module(n, n).parameters())
        for name, module in (("gru", torch.nn.GRU), ("lstm", torch.nn.LSTM))
    }
    assert f"{counts['gru']:,} against {counts['lstm']:,}" in text
    assert "Verdict: holds" in text


# ---- the scaling record ------------------------------------------------------------------------
@pytest.fixture(scope="module")
def scaling():  # noqa: ANN201
    return _load("kernel_scaling")


def _scaling_record(scaling) -> dict:  # noqa: ANN001
    path = Path(__file__).resolve().parents[1] / scaling.RECORD
    return json.loads(path.read_text(encoding="utf-8"))


def test_scaling_table_prints_the_record(scaling) -> None:  # noqa: ANN001
    """Every number comes from the committed record; a --quick record is marked a placeholder."""
    record = _scaling_record(scaling)
    scaling.check(record)
    assert scaling.DEPENDS == ("data/kernel_scaling.json",)
    assert "time" not in vars(scaling)  # the module does not even import a clock
    record["rows"][0] |= {"ours_ms_min": 12345.0, "gemm_fraction": 0.64, "ratio": 0.987}
    record["machine"]["cpu"] = "Test CPU 9000"
    record["quick"], record["load"]["busy"] = False, False
    table = scaling.table(record)
    assert "12,345" in table and "64%" in table and "0.99" in table and "Test CPU 9000" in table
    assert "make bench-scaling" in table and "Placeholder" not in table
    assert sum(line.startswith("| `") for line in table.splitlines()) == len(record["rows"])
    record["quick"], record["load"]["busy"] = True, True
    record["rows"][0] |= {"ratio": None, "gemm_fraction": None}
    table = scaling.table(record)
    assert "Placeholder measurement" in table and "withheld (busy)" in table
    assert "not measured" in table and "The machine was busy" in table


def test_scaling_record_errors_name_the_make_target(scaling, tmp_path: Path) -> None:  # noqa: ANN001
    with pytest.raises(FileNotFoundError, match="make bench-scaling"):
        scaling.load(tmp_path)
    (tmp_path / "data").mkdir()
    (tmp_path / scaling.RECORD).write_text("{", encoding="utf-8")
    with pytest.raises(ValueError, match="not JSON.*make bench-scaling"):
        scaling.load(tmp_path)
    good = _scaling_record(scaling)
    broken = json.loads(json.dumps(good))
    dropped = broken["rows"].pop()
    with pytest.raises(ValueError, match=f"missing \\[\\('{dropped['cell']}'.*make bench-scaling"):
        scaling.check(broken)
    broken["rows"] += [dropped, dropped]
    with pytest.raises(ValueError, match="repeated"):
        scaling.check(broken)
    for field, value in (("torch_ms_min", "12"), ("T", 1.5), ("ratio", "1.0")):
        broken = json.loads(json.dumps(good))
        broken["rows"][0][field] = value
        with pytest.raises(ValueError, match=f"{field} is {value!r}"):
            scaling.check(broken)
    del good["machine"]
    with pytest.raises(ValueError, match="no 'machine'"):
        scaling.check(good)


def test_record_scaling_measures_through_the_harness(
    scaling,  # noqa: ANN001
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A one-point grid through both workers; the GEMM fraction is what ``gemm_fraction``
    (a stand-in here, with bench/profile_kernels.py's signature) returns for that point."""
    bench = Path(__file__).resolve().parents[1] / "bench"
    monkeypatch.syspath_prepend(str(bench))
    (tmp_path / "fake_profile.py").write_text(
        "def gemm_fraction(cell: str, dtype: str, T: int, B: int, H: int) -> float:\n"
        "    assert dtype == 'float32'\n"
        "    return {'lstm': 0.5, 'gru': 0.25}[cell] + T / 100 + B / 1000 + (H == 4) / 10\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("PYTHONPATH", str(tmp_path))
    import harness
    import record_scaling

    grid = {"T": [3], "B": [2], "H": [4], "cells": ["gru"]}
    settings = harness.Settings(
        rounds=2, start_wait=0.2, start_window=0.2, idle_window=0.05, interleave="config"
    )
    record, result = record_scaling.record(settings, grid, "fake_profile:gemm_fraction", True)
    scaling.check(record)
    (row,) = record["rows"]
    assert row["gemm_fraction"] == pytest.approx(0.25 + 0.03 + 0.002 + 0.1)
    assert row["runs"] == 2 and row["ours_ms_min"] <= row["ours_ms_median"]
    assert (row["ratio"] is None) == result.busy == record["load"]["busy"]
    assert record["quick"] is True and record["machine"]["torch_threads"] >= 1
    with pytest.raises(SystemExit):  # a missing profiler is named before anything runs
        record_scaling.main(["--gemm-fraction", "no_such_module:gemm_fraction"])
