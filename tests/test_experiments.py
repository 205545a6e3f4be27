"""The LSTM vs GRU experiments: tasks, losses, runs, the protocol, statistics, the record."""

from __future__ import annotations

import json
import math
from concurrent.futures import Future
from pathlib import Path

import numpy as np
import pytest

from gated_ref import tasks
from gated_ref.experiments import claims, grid, record, stats
from gated_ref.experiments.run import RunConfig, evaluate, init_model, parameter_count, train
from gated_ref.train import cross_entropy_last_step

ROOT = Path(__file__).resolve().parents[1]


class Inline:
    """An executor that runs each task at once, in this process."""

    def submit(self, fn, *args):  # noqa: ANN001, ANN002, ANN201
        future: Future = Future()
        future.set_result(fn(*args))
        return future


# ---- tasks ---------------------------------------------------------------------------------
def test_adding_targets_are_the_sum_of_the_marked_values() -> None:
    x, y = tasks.Adding(20).train_batch(seed=3, step=5, batch=64)
    assert x.shape == (20, 64, 2) and y.shape == (64, 1)
    marks = x[..., 1]
    assert np.all(marks.sum(axis=0) == 2)
    assert np.all(marks[:10].sum(axis=0) == 1) and np.all(marks[10:].sum(axis=0) == 1)
    np.testing.assert_allclose(y[:, 0], (x[..., 0] * marks).sum(axis=0), rtol=0, atol=1e-15)


def test_batches_are_a_function_of_seed_and_step_only() -> None:
    task = tasks.Adding(30)
    a, b = task.train_batch(1, 7, 8), task.train_batch(1, 7, 8)
    np.testing.assert_array_equal(a[0], b[0])
    assert not np.array_equal(a[0], task.train_batch(1, 8, 8)[0])
    assert not np.array_equal(a[0], task.train_batch(2, 7, 8)[0])
    val, test = task.split("val")[0], task.split("test")[0]
    assert val.shape[1] == 256 and test.shape[1] == 512 and not np.array_equal(val, test[:, :256])


def test_recall_label_is_the_one_class_symbol() -> None:
    task = tasks.Recall(40)
    x, label = task.train_batch(0, 1, 128)
    assert np.all(x.sum(axis=-1) == 1)  # one-hot
    classes = x[..., : task.symbols]
    assert np.all(classes.sum(axis=(0, 2)) == 1)  # the class symbol appears exactly once
    np.testing.assert_array_equal(np.argmax(classes.sum(axis=0), axis=-1), label)
    where = np.argmax(classes.sum(axis=-1), axis=0)
    assert where.min() >= 0 and where.max() <= 38  # never at the last step


def test_digits_are_sklearn_images_read_pixel_by_pixel() -> None:
    from sklearn.datasets import load_digits

    task = tasks.SequentialDigits()
    parts = task._parts()
    sets = [set(parts[k].tolist()) for k in ("train", "val", "test")]
    assert sum(map(len, sets)) == 1797 and not (sets[0] & sets[1] or sets[0] & sets[2])
    x, y = task.split("test")
    data = load_digits()
    i = parts["test"][5]
    np.testing.assert_array_equal(x[:, 5, 0].reshape(8, 8), data.images[i] / 16.0)
    assert y[5] == data.target[i]


def test_char_lm_labels_are_the_next_character() -> None:
    task = tasks.CharLM(20)
    x, y = task.train_batch(0, 1, 4)
    assert x.shape == (20, 4, len(tasks.ALPHABET)) and y.shape == (20, 4)
    np.testing.assert_array_equal(np.argmax(x[1:], axis=-1), y[:-1])
    text = tasks.prose()
    assert len(text) > 100_000 and set(text) <= set(tasks.ALPHABET)
    assert " the " in text and "def " not in text  # prose, not code
    parts = [task.codes(p) for p in ("train", "val", "test")]
    assert sum(len(p) for p in parts) == len(text)


def test_unknown_task_names_what_is_expected() -> None:
    with pytest.raises(KeyError, match="adding-<T>"):
        tasks.make("copy-10")
    with pytest.raises(ValueError, match="T: got 1"):
        tasks.Adding(1)
    with pytest.raises(ValueError, match="split: got 'train'"):
        tasks.Adding(5).split("train")


# ---- the loss the classification tasks train with --------------------------------------------
def test_cross_entropy_last_step_matches_torch() -> None:
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    y, w, b = rng.standard_normal((5, 3, 4)), rng.standard_normal((6, 4)), rng.standard_normal(6)
    labels = np.array([0, 5, 2])
    loss, dy, grads = cross_entropy_last_step(y, labels, w, b)
    ty, tw, tb = (torch.tensor(a, requires_grad=True) for a in (y, w, b))
    ref = torch.nn.functional.cross_entropy(ty[-1] @ tw.T + tb, torch.tensor(labels))
    ref.backward()
    assert math.isclose(loss, ref.item(), rel_tol=1e-12)
    np.testing.assert_allclose(dy, ty.grad.numpy(), atol=1e-14)
    np.testing.assert_allclose(grads["weight"], tw.grad.numpy(), atol=1e-14)
    np.testing.assert_allclose(grads["bias"], tb.grad.numpy(), atol=1e-14)


# ---- runs ----------------------------------------------------------------------------------
def test_run_config_rejects_bad_values() -> None:
    with pytest.raises(ValueError, match="hidden: got 0"):
        RunConfig("adding-10", "lstm", 0, 0.01, 0, 10)
    with pytest.raises(ValueError, match="lr, clip"):
        RunConfig("adding-10", "lstm", 4, -1.0, 0, 10)
    with pytest.raises(KeyError, match="cell name"):
        RunConfig("adding-10", "lsmt", 4, 0.01, 0, 10)


def test_forget_bias_goes_to_the_forget_block_only() -> None:
    base = RunConfig("adding-10", "lstm", 4, 0.01, 0, 10)
    plus = RunConfig("adding-10", "lstm", 4, 0.01, 0, 10, forget_bias=1.0)
    task = tasks.make("adding-10")
    diff = init_model(plus, task)["bias_hh"] - init_model(base, task)["bias_hh"]
    np.testing.assert_allclose(diff, np.repeat([0.0, 1.0, 0.0, 0.0], 4), atol=1e-15)  # i f g o


def test_parameter_count_matches_torch() -> None:
    torch = pytest.importorskip("torch")
    lstm = torch.nn.LSTM(2, 16)
    readout = torch.nn.Linear(16, 1)
    expected = sum(p.numel() for m in (lstm, readout) for p in m.parameters())
    assert parameter_count("lstm", "adding-50", 16) == expected


def test_training_learns_and_evaluation_is_held_out() -> None:
    cfg = RunConfig("recall-10", "gru", 12, 0.03, 0, 300, eval_every=50)
    run = train(cfg)
    assert run["final"]["test"]["accuracy"] > 0.9 > run["val"][0]
    assert run["solved_at"] is not None and run["steps_run"] == run["solved_at"]
    assert run["val"][-1] >= 0.99


def test_reexecution_tolerance_is_far_above_rounding_and_far_below_a_change() -> None:
    """Why ``REEXECUTE_RTOL`` is what it is: perturb the start by 1e-12 (a different BLAS
    rounding, amplified) and the prefix moves far less than the tolerance; change the data by
    one seed and it moves far more."""
    cfg = RunConfig("adding-50", "lstm", 16, 0.01, 1, 1200, forget_bias=1.0)
    base = train(cfg, stop_after=record.REEXECUTE_STEPS)

    import gated_ref.experiments.run as run_module

    original = run_module.init_model

    def nudged(c, t):  # noqa: ANN001, ANN202
        params = original(c, t)
        return {k: v * (1 + 1e-12) for k, v in params.items()}

    run_module.init_model = nudged
    try:
        nudged_run = train(cfg, stop_after=record.REEXECUTE_STEPS)
    finally:
        run_module.init_model = original
    other = train(
        RunConfig("adding-50", "lstm", 16, 0.01, 2, 1200, forget_bias=1.0),
        stop_after=record.REEXECUTE_STEPS,
    )

    def rel(a: dict, b: dict) -> float:
        x, y = np.array(a["train_loss"]), np.array(b["train_loss"])
        return float(np.max(np.abs(x - y) / np.abs(y)))

    assert rel(nudged_run, base) < record.REEXECUTE_RTOL / 100
    assert rel(other, base) > record.REEXECUTE_RTOL * 1000


# ---- the protocol ---------------------------------------------------------------------------
def test_grid_chooses_the_rate_on_validation_and_runs_the_seeds_there() -> None:
    pairs = [(grid.SETUP["gru"], "recall-10"), (grid.SETUP["lstm"], "adding-10")]
    runs, chosen = grid.run_grid(Inline(), pairs, lrs=(1e-3, 3e-2), seeds=(0, 1), steps=60)
    assert len(runs) == len(pairs) * 3
    for setup, task in pairs:
        key = f"{setup.key}/{task}"
        sweep = [r for r in runs if r["setup"] == setup.key and r["phase"] == "sweep"]
        sweep = [r for r in sweep if r["config"]["task"] == task]
        best = min(sweep, key=grid.selection_key)
        assert chosen[key] == best["config"]["lr"]
        seeds = [r for r in runs if r["phase"] == "seeds" and r["config"]["task"] == task]
        assert [r["config"]["lr"] for r in seeds] == [chosen[key]]


def test_same_parameter_setups_come_closest_to_the_lstm() -> None:
    for task in ("adding-50", "char_lm-50"):
        target = parameter_count("lstm", task, grid.HIDDEN)
        h = grid.hidden_size(grid.SETUP["gru_params"], task)
        gap = abs(parameter_count("gru", task, h) - target)
        for other in (h - 1, h + 1):
            assert gap <= abs(parameter_count("gru", task, other) - target)


def _strip(run: dict) -> dict:
    return {k: v for k, v in run.items() if k not in ("cpu_s", "wall_s")}


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.filterwarnings("ignore::ResourceWarning")
def test_a_dask_cluster_gives_the_same_results_as_local_runs() -> None:
    distributed = pytest.importorskip("distributed")
    pairs = [(grid.SETUP["gru"], "recall-10"), (grid.SETUP["rnn_tanh"], "adding-10")]
    kwargs = {"lrs": (1e-2, 3e-2), "seeds": (0, 1), "steps": 40, "log": lambda line: None}
    local, chosen_local = grid.run_grid(Inline(), pairs, **kwargs)
    with (
        distributed.LocalCluster(
            host="127.0.0.1",
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            silence_logs=50,
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        remote, chosen_remote = grid.run_grid(client.get_executor(pure=False), pairs, **kwargs)
    assert chosen_remote == chosen_local
    assert [_strip(r) for r in remote] == [_strip(r) for r in local]


# ---- statistics -----------------------------------------------------------------------------
def test_mean_interval_is_students_t() -> None:
    from scipy import stats as sps

    values = [0.3, 0.5, 0.4, 0.9, 0.45]
    e = stats.mean_interval(values)
    lo, hi = sps.t.interval(0.95, len(values) - 1, loc=np.mean(values), scale=sps.sem(values))
    assert math.isclose(e.low, lo, rel_tol=1e-12) and math.isclose(e.high, hi, rel_tol=1e-12)


def test_wilson_interval_published_values() -> None:
    # 0 of n: the upper bound is z^2 / (n + z^2); n of n mirrors it (Wilson 1927).
    z2 = 1.959963984540054**2
    e = stats.wilson_interval(0, 5)
    assert e.low == 0 and math.isclose(e.high, z2 / (5 + z2), rel_tol=1e-9)
    f = stats.wilson_interval(5, 5)
    assert math.isclose(f.low, 5 / (5 + z2), rel_tol=1e-9) and f.high == 1
    with pytest.raises(ValueError, match="successes, n"):
        stats.wilson_interval(6, 5)


def test_median_interval_handles_unsolved_runs() -> None:
    e = stats.median_interval([100, 200, float("inf"), float("inf"), float("inf")])
    assert math.isinf(e.value) and e.low >= 100


def test_three_way_verdicts() -> None:
    def est(lo: float, hi: float) -> stats.Estimate:
        return stats.Estimate((lo + hi) / 2, lo, hi, (lo, hi), "mean")

    assert stats.claim_better(est(0.1, 0.2), est(0.3, 0.4), True) == stats.HOLDS
    assert stats.claim_better(est(0.1, 0.2), est(0.3, 0.4), False) == stats.FAILS
    assert stats.claim_better(est(0.1, 0.35), est(0.3, 0.4), True) == stats.UNRESOLVED
    assert stats.claim_comparable(est(0.50, 0.51), est(0.505, 0.515), 0.02) == stats.HOLDS
    assert stats.claim_comparable(est(0.1, 0.2), est(0.5, 0.6), 0.02) == stats.FAILS
    assert stats.claim_comparable(est(0.1, 0.5), est(0.45, 0.6), 0.02) == stats.UNRESOLVED


def _synthetic(values: dict[tuple[str, str], list[float]]) -> dict:
    """A record with one final run per seed, with the given test accuracies."""
    runs, chosen, setups = [], {}, {}
    for (setup, task), accs in values.items():
        chosen[f"{setup}/{task}"] = 0.01
        setups.setdefault(setup, {"label": setup, "tasks": []})["tasks"].append(task)
        for seed, acc in enumerate(accs):
            runs.append(
                {
                    "setup": setup,
                    "config": {"task": task, "lr": 0.01, "seed": seed},
                    "final": {"test": {"accuracy": acc}},
                    "solved_at": None,
                    "val": [acc, acc],
                }
            )
    return {"runs": runs, "chosen_lr": chosen, "protocol": {"setups": setups}}


def test_claims_follow_the_intervals() -> None:
    good, bad = [0.9, 0.91, 0.92, 0.9, 0.91], [0.5, 0.52, 0.49, 0.5, 0.51]
    rec = _synthetic({("lstm", "digits-64"): good, ("gru", "digits-64"): bad})
    assert claims.better_claim(rec, "k", "c", "lstm", "gru").status == stats.HOLDS
    assert claims.better_claim(rec, "k", "c", "gru", "lstm").status == stats.FAILS
    assert claims.comparable_claim(rec, "k", "c", "gru", "lstm").status == stats.FAILS
    noisy = [0.3, 0.9, 0.5, 0.95, 0.6]
    rec = _synthetic({("lstm", "digits-64"): good, ("gru", "digits-64"): noisy})
    assert claims.better_claim(rec, "k", "c", "lstm", "gru").status == stats.UNRESOLVED
    # a loser still improving at the end of the budget: the separation is not a verdict
    rec = _synthetic({("lstm", "digits-64"): good, ("gru", "digits-64"): bad})
    for run in rec["runs"]:
        if run["setup"] == "gru":
            run["val"] = [0.2, 0.3, 0.4, 0.5, 0.6]
    assert claims.better_claim(rec, "k", "c", "lstm", "gru").status == stats.UNRESOLVED
    assert claims.better_claim(rec, "k", "c", "gru", "lstm").status == stats.UNRESOLVED


# ---- the record -------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def committed() -> dict:
    return record.load()


def test_committed_record_comes_from_this_code(committed: dict) -> None:
    record.check_fresh(committed)  # what `make docs` checks first
    assert committed["command"] == "make experiments"
    assert set(committed["versions"]) >= {"python", "numpy", "sympy"}
    assert committed["wall_s"] > 0 and committed["runs"]
    seeds = {r["config"]["seed"] for r in committed["runs"]}
    assert len(seeds) >= 5


def test_a_changed_kernel_or_code_makes_the_record_stale(committed: dict, monkeypatch) -> None:  # noqa: ANN001
    monkeypatch.setattr(record, "emit", lambda p: "changed")
    with pytest.raises(record.StaleRecordError, match="make experiments") as info:
        record.check_fresh(committed)
    assert "kernel:lstm" in str(info.value)


def test_a_tampered_record_fails_reexecution(committed: dict) -> None:
    tampered = json.loads(json.dumps(committed))
    setup, task, seed = record.REEXECUTE[0]
    run = record.find_run(tampered, setup, task, seed)
    run["train_loss"][0] *= 1 + 1e-4
    with pytest.raises(record.StaleRecordError, match="differ from the record"):
        record.reexecute(tampered)


def test_recorded_metrics_are_what_the_recorded_parameters_score(committed: dict) -> None:
    for run in committed["runs"]:
        if "params" in run and run["config"]["task"] == "adding-200":
            params = {k: np.asarray(v) for k, v in run["params"].items()}
            cfg = RunConfig(**{**run["config"], "keep_params": False})
            got = evaluate(cfg, params, "test")["mse"]
            assert math.isclose(got, run["final"]["test"]["mse"], rel_tol=1e-9), run["id"]
            break
    else:
        pytest.fail("the record keeps no adding-200 parameters")
