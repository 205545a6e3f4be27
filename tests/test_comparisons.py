"""The comparison pages' numbers: parameter counts, FLOPs, gradient flow, the adding problem's
data, and the rules that turn measurements into verdicts on LSTM vs GRU claims."""

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
def adding():  # noqa: ANN201
    return _load("adding_problem")


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
    spec = gr.cell(name)
    flops = comparison.flops_per_step(spec)
    i, h = comparison.I_SYM, comparison.H_SYM
    g = spec.num_gates
    assert sp.Poly(flops, i, h).coeff_monomial(h**2) == 2 * g
    assert sp.Poly(flops, i, h).coeff_monomial(i * h) == 2 * g
    # the elementwise part is a few operations per unit, not more
    linear = sp.Poly(flops, i, h).coeff_monomial(h)
    assert 2 * g < linear < 2 * g + 10 * len(spec.nodes)


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
    assert layout.get("AX", spec.num_gates) == spec.num_gates  # the input projection, if kept
    for s in spec.states:
        assert layout[f"S_{s}"] == 1
    # every node the kernel says it keeps is in the cache
    nodes = {k[2:] for k in layout if k.startswith("N_")}
    assert {c for c in kernel.cached_per_step} - nodes <= {"ah_n"}  # gru keeps all of U h


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
    spec = gr.cell("lstm")
    kernel = gr.lower(spec)
    _, _, cache = kernel.forward(np.ones((4, 2, 3)), kernel.init_params(3, 5))
    np.testing.assert_array_equal(flow.direct_path(spec, cache), cache["N_f"])


# ---- the adding problem ---------------------------------------------------------------------
def test_adding_batch(adding) -> None:  # noqa: ANN001
    rng = np.random.default_rng(0)
    x, target, marks = adding.adding_batch(rng, 20, 500)
    assert x.shape == (20, 500, 2) and target.shape == (500, 1)
    values, markers = x[..., 0], x[..., 1]
    assert np.all((values >= 0) & (values < 1))
    np.testing.assert_array_equal(markers.sum(axis=0), 2)
    first, second = marks
    assert np.all(first < 10) and np.all(second >= 10) and np.all(second < 20)
    np.testing.assert_allclose(target[:, 0], (values * markers).sum(axis=0))
    # always answering the mean scores Var(u1 + u2) = 1/6
    assert np.mean((target - 1.0) ** 2) == pytest.approx(adding.BASELINE_MSE, rel=0.15)
    with pytest.raises(ValueError, match="length"):
        adding.adding_batch(rng, 1, 3)


def test_adding_training_step_lowers_the_loss(adding, monkeypatch) -> None:  # noqa: ANN001
    """A short GRU run on T = 10 improves on its initial test MSE (the loop is wired up)."""
    monkeypatch.setattr(adding, "STEPS", 50)
    monkeypatch.setattr(adding, "TEST_SIZE", 64)
    run = adding.train_one("gru", 10, 0)
    assert run["eval_steps"][0] == 0 and len(run["test_mse"]) == len(run["eval_steps"])
    assert run["best_mse"] < 0.5 * run["test_mse"][0]
    assert run["params"]["weight_hh"].dtype == adding.DTYPE


def _walk_keys(data: object) -> set[str]:
    if isinstance(data, dict):
        return set(data) | {k for v in data.values() for k in _walk_keys(v)}
    if isinstance(data, list):
        return {k for v in data for k in _walk_keys(v)}
    return set()


def test_adding_problem_writes_no_timing(adding, monkeypatch, tmp_path: Path) -> None:  # noqa: ANN001
    """A tiny end-to-end run: every output is written, none holds a measured time, and a second
    run gives the same bytes (the cost of a step comes from the committed record)."""
    monkeypatch.setattr(adding, "LENGTHS", (6, 8, 10))
    monkeypatch.setattr(adding, "GRADIENT_LENGTH", 6)
    monkeypatch.setattr(adding, "STEPS", 4)
    monkeypatch.setattr(adding, "EVAL_EVERY", 2)
    monkeypatch.setattr(adding, "TEST_SIZE", 8)
    monkeypatch.setattr(adding, "JOBS", 1)
    outs = [tmp_path / "a", tmp_path / "b"]
    for out in outs:
        out.mkdir()
        adding.main(out)
    names = sorted(p.name for p in outs[0].iterdir())
    assert names == sorted(
        ["results.json", "results.md", "learning_curves.svg", "gradient_trained.svg"]
        + [f"claim_{k}.md" for k in ("fewer_parameters", "trains_faster", "comparable_accuracy")]
        + [f"claim_{k}.md" for k in ("lstm_better_long", "rnn_vanishes", "cell_state_unchanged")]
    )
    for name in names:
        assert (outs[0] / name).read_bytes() == (outs[1] / name).read_bytes(), name
    results = json.loads((outs[0] / "results.json").read_text(encoding="utf-8"))
    keys = _walk_keys(results)
    assert not {k for k in keys if "time" in k or "cpu" in k or k.startswith("us_")}, keys
    claim = (outs[0] / "claim_trains_faster.md").read_text(encoding="utf-8")
    assert "make bench-record" in claim


def test_adding_problem_cost_comes_from_the_record(adding, claims) -> None:  # noqa: ANN001
    record = claims.kernel_times()
    cost = adding.step_cost(record)
    entry = record["adding_problem"]
    assert cost == {c: entry["us_per_step"][c]["fwd+bwd"] for c in adding.CELLS}
    assert (entry["H"], entry["B"], entry["I"]) == (adding.HIDDEN, adding.BATCH, 2)
    stale = json.loads(json.dumps(record))
    stale["adding_problem"]["H"] += 1
    with pytest.raises(ValueError, match="make bench-record"):
        adding.step_cost(stale)


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


def test_timing_record_is_complete(claims) -> None:  # noqa: ANN001
    """The committed record covers every cell and names its machine; keys are sorted."""
    path = Path(__file__).resolve().parents[1] / claims.RECORD
    text = path.read_text(encoding="utf-8")
    record = json.loads(text)
    assert text == json.dumps(record, indent=1, sort_keys=True, ensure_ascii=False) + "\n"
    assert set(record["comparison"]["us_per_step"]) == set(gr.CELL_NAMES)
    for by_size in record["comparison"]["us_per_step"].values():
        for n in record["comparison"]["sizes"]:
            assert by_size[str(n)]["fwd"] < by_size[str(n)]["fwd+bwd"]
    for key in ("cpu", "cores", "blas_threads", "numpy", "sympy", "torch", "python"):
        assert record["machine"][key], key
    assert record["load"]["load_average_before"]


# ---- verdicts on synthetic results ----------------------------------------------------------
def _results(solved: dict[tuple[int, str], int], steps: dict | None = None, mse=None) -> dict:  # noqa: ANN001
    lengths = sorted({t for t, _ in solved})
    summary = []
    for (t, cell), n in solved.items():
        summary.append(
            {
                "T": t,
                "cell": cell,
                "solved": n,
                "seeds": 3,
                "median_steps_to_solve": (steps or {}).get((t, cell), 100.0) if n else None,
                "median_final_mse": (mse or {}).get((t, cell), 0.005 if n >= 2 else 0.16),
            }
        )
    decay = np.geomspace(1.0, 1e-8, 51).tolist()
    flat = np.linspace(1.0, 0.5, 51).tolist()
    return {
        "config": {"lengths": lengths, "max_steps": 300},
        "summary": summary,
        "gradients": {
            "T": 100,
            "seed": {"rnn_tanh": 0, "lstm": 1, "gru": 0},
            "solved": {"rnn_tanh": False, "lstm": True, "gru": True},
            "init": {"rnn_tanh": decay, "lstm": decay, "gru": decay},
            "trained": {"rnn_tanh": decay, "lstm": flat, "gru": flat},
            "lstm_forget": {
                "units": 4,
                "mean_f": 0.8,
                "prod_f_sorted": [0.9, 0.2, 0.01, 0.0],
                "prod_f_init_max": 1e-12,
            },
        },
    }


def _grid(rnn: int, lstm: int, gru: int, lengths=(50, 200)) -> dict:  # noqa: ANN001
    return {
        (t, c): n for t in lengths for c, n in (("rnn_tanh", rnn), ("lstm", lstm), ("gru", gru))
    }


def test_verdict_gru_fewer_parameters(claims) -> None:  # noqa: ANN001
    v = claims.fewer_parameters(256)
    assert v.status == claims.HOLDS and "394,752" in v.evidence and "526,336" in v.evidence


def test_verdict_trains_faster(claims) -> None:  # noqa: ANN001
    both = _results(_grid(0, 1, 3))
    v = claims.trains_faster(both, {"gru": 80.0, "lstm": 100.0}, "Test CPU")
    assert v.status == claims.HOLDS and "Test CPU" in v.evidence
    # steps x recorded cost: T = 50, 100 steps, 80 µs per time step -> 0.4 s
    assert "GRU 3 of 3 solved (100 steps, about 0.4 s)" in v.evidence
    unsolved = claims.trains_faster(_results(_grid(0, 0, 3)), {"gru": 80.0, "lstm": 100.0})
    # LSTM, T = 50, unsolved: more than 300 steps x 50 x 100 µs
    assert "LSTM 0 of 3 (not within 300 steps, > 1.5 s)" in unsolved.evidence
    assert claims.trains_faster(both, {"gru": 120.0, "lstm": 100.0}).status == claims.PARTLY
    lstm_wins = _results(_grid(0, 3, 1))
    assert claims.trains_faster(lstm_wins, {"gru": 120.0, "lstm": 100.0}).status == claims.FAILS
    # equal solved counts: fewer steps decides
    steps = {(50, "gru"): 300.0, (50, "lstm"): 100.0, (200, "gru"): 300.0, (200, "lstm"): 100.0}
    slow = _results(_grid(0, 3, 3), steps=steps)
    assert claims.trains_faster(slow, {"gru": 100.0, "lstm": 100.0}).status == claims.FAILS


def test_verdict_comparable_accuracy(claims) -> None:  # noqa: ANN001
    assert claims.comparable_accuracy(_results(_grid(0, 3, 2))).status == claims.HOLDS
    apart = _results(_grid(0, 0, 3))
    v = claims.comparable_accuracy(apart)
    assert v.status == claims.FAILS and "$T = 50, 200$" in v.evidence
    mixed = _grid(0, 3, 3) | {(200, "lstm"): 0}
    assert claims.comparable_accuracy(_results(mixed)).status == claims.PARTLY


def test_verdict_lstm_better_on_long_sequences(claims) -> None:  # noqa: ANN001
    assert claims.lstm_better_long(_results(_grid(0, 3, 1))).status == claims.HOLDS
    assert claims.lstm_better_long(_results(_grid(0, 1, 3))).status == claims.FAILS
    tie = _results(_grid(0, 3, 3), mse={(200, "lstm"): 0.001, (200, "gru"): 0.008})
    assert claims.lstm_better_long(tie).status == claims.HOLDS
    even = _results(_grid(0, 3, 3))
    assert claims.lstm_better_long(even).status == claims.FAILS


def test_verdict_rnn_vanishes(claims) -> None:  # noqa: ANN001
    res = _results(_grid(0, 3, 3))
    v = claims.rnn_vanishes(res)
    assert v.status == claims.HOLDS and "the LSTM's rose from 1e-08 to 0.5" in v.evidence
    res["gradients"]["trained"]["rnn_tanh"] = np.linspace(1, 0.5, 51).tolist()
    assert claims.rnn_vanishes(res).status == claims.PARTLY
    res["gradients"]["init"]["rnn_tanh"] = np.linspace(1, 2, 51).tolist()
    assert claims.rnn_vanishes(res).status == claims.FAILS


def test_verdict_cell_state_unchanged(claims) -> None:  # noqa: ANN001
    res = _results(_grid(0, 3, 3))
    v = claims.cell_state_unchanged(res)
    assert v.status == claims.PARTLY and "1 of 4 units" in v.evidence
    assert "seed 1, which solved the task" in v.evidence and "opened it" in v.evidence
    res["gradients"]["lstm_forget"]["prod_f_sorted"] = [0.99, 0.97, 0.95, 0.92]
    assert claims.cell_state_unchanged(res).status == claims.HOLDS
    res["gradients"]["lstm_forget"]["prod_f_sorted"] = [0.3, 0.1, 0.0, 0.0]
    assert claims.cell_state_unchanged(res).status == claims.FAILS


def test_verdicts_render_as_admonitions(claims, tmp_path: Path) -> None:  # noqa: ANN001
    res = _results(_grid(0, 3, 3))
    claims.render_all(res, {"gru": 90.0, "lstm": 100.0}, tmp_path)
    files = sorted(p.name for p in tmp_path.iterdir())
    assert len(files) == 6 and all(f.startswith("claim_") for f in files)
    text = (tmp_path / "claim_fewer_parameters.md").read_text(encoding="utf-8")
    assert text.startswith('!!! success "Claim: GRU has fewer parameters"')
