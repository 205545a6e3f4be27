"""The claims the LSTM vs GRU page tests, and their verdicts computed from the record.

Every verdict is one of three: holds, does not hold, not resolved at this budget
(:mod:`gated_ref.experiments.stats`). A comparison "does not hold" only when the intervals
separate. Each function takes the record (a dict, as ``data/experiments.json`` holds it), so
tests can check the rules on synthetic records.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from . import stats
from .run import METRIC, SOLVED
from .stats import FAILS, HOLDS, UNRESOLVED, Estimate

#: Differences smaller than this count as "comparable", per metric (in the metric's units):
#: 2 points of accuracy, 0.05 bits per character, and the adding problem's "solved" MSE.
MARGIN = {"accuracy": 0.02, "bpc": 0.05, "mse": SOLVED["adding"][1]}
METRIC_WORDS = {
    "accuracy": "test accuracy",
    "bpc": "test bits per character",
    "mse": "test MSE",
}


def family(task: str) -> str:
    """``adding-200`` -> ``adding``."""
    return task.rpartition("-")[0]


def final_runs(record: dict, setup: str, task: str) -> list[dict]:
    """The runs of ``setup`` on ``task`` at its chosen learning rate, one per seed, seed order."""
    lr = record["chosen_lr"].get(f"{setup}/{task}")
    runs = [
        r
        for r in record["runs"]
        if r["setup"] == setup and r["config"]["task"] == task and r["config"]["lr"] == lr
    ]
    return sorted(runs, key=lambda r: r["config"]["seed"])


#: The range each metric can take: intervals are clipped to it.
BOUNDS = {"accuracy": (0.0, 1.0), "bpc": (0.0, float("inf")), "mse": (0.0, float("inf"))}


def metric_estimate(record: dict, setup: str, task: str) -> Estimate:
    """Mean over seeds of the task's headline test metric, with its interval."""
    metric = METRIC[family(task)][0]
    values = [r["final"]["test"][metric] for r in final_runs(record, setup, task)]
    return stats.mean_interval(values, bounds=BOUNDS[metric])


def still_improving(run: dict, group: list[dict] | None = None) -> bool:
    """Could more steps change this run's result?

    On a task with a "solved" threshold: the run had not solved it, while another seed of the
    same setup did (the cell learns the task; these tasks are learnt after a plateau, so an
    unsolved run may only need more steps). On a fixed-budget task: the validation metric
    still moved by more than the comparison margin over the last fifth of the budget.
    """
    if run["solved_at"] is not None:
        return False
    family_ = family(run["config"]["task"])
    if family_ in SOLVED:
        return any(r["solved_at"] is not None for r in (group or []))
    metric, lower = METRIC[family_]
    v = run["val"]
    tail = v[-max(2, len(v) // 5) :]
    gain = (tail[0] - tail[-1]) if lower else (tail[-1] - tail[0])
    return gain > MARGIN[metric]


def _improving(record: dict, setup: str, task: str) -> bool:
    group = final_runs(record, setup, task)
    return any(still_improving(r, group) for r in group)


def budget_limited(status: str, a_improving: bool, b_improving: bool, a_is_worse: bool) -> str:
    """A verdict the budget could still change becomes "not resolved at this budget".

    A separation stands only if the side that lost it had stopped improving (more steps could
    close the gap); "comparable" stands only if neither side was still improving.
    """
    loser_improving = a_improving if a_is_worse else b_improving
    if status in (HOLDS, FAILS) and loser_improving:
        return UNRESOLVED
    return status


def steps_estimate(record: dict, setup: str, task: str) -> Estimate:
    """Median over seeds of the steps to reach the "solved" threshold (unsolved: infinity)."""
    values = [
        float(r["solved_at"]) if r["solved_at"] is not None else float("inf")
        for r in final_runs(record, setup, task)
    ]
    return stats.median_interval(values)


def solved_estimate(record: dict, setup: str, task: str) -> Estimate:
    """Fraction of seeds that reached the "solved" threshold, with a Wilson interval."""
    runs = final_runs(record, setup, task)
    return stats.wilson_interval(sum(r["solved_at"] is not None for r in runs), len(runs))


@dataclass
class Comparison:
    """One row of evidence: a task, the two estimates compared, and the verdict on that row."""

    task: str
    what: str
    a: Estimate
    b: Estimate
    status: str


@dataclass
class Verdict:
    """A claim, its overall verdict, and the rows it rests on."""

    key: str
    claim: str
    status: str
    rows: list[Comparison] = field(default_factory=list)
    labels: tuple[str, str] = ("", "")
    note: str = ""


def all_hold(statuses: list[str]) -> str:
    """For "comparable" claims: holds only where every row holds; fails if any row fails."""
    if any(s == FAILS for s in statuses):
        return FAILS
    if statuses and all(s == HOLDS for s in statuses):
        return HOLDS
    return UNRESOLVED


def holds_where_resolved(statuses: list[str]) -> str:
    """For "better" claims: fails if any row fails; holds if at least one row holds and none
    fails; otherwise not resolved."""
    if any(s == FAILS for s in statuses):
        return FAILS
    if any(s == HOLDS for s in statuses):
        return HOLDS
    return UNRESOLVED


def _better_rows(record: dict, a: str, b: str, tasks: list[str]) -> list[Comparison]:
    rows = []
    for task in tasks:
        metric, lower = METRIC[family(task)]
        ea, eb = metric_estimate(record, a, task), metric_estimate(record, b, task)
        status = stats.claim_better(ea, eb, lower)
        a_worse = stats.better(ea, eb, lower) < 0
        status = budget_limited(
            status, _improving(record, a, task), _improving(record, b, task), a_worse
        )
        rows.append(Comparison(task, METRIC_WORDS[metric], ea, eb, status))
    return rows


def _available(record: dict, setup: str) -> list[str]:
    return [
        t
        for t in record["protocol"]["setups"][setup]["tasks"]
        if f"{setup}/{t}" in record["chosen_lr"]
    ]


def better_claim(
    record: dict,
    key: str,
    claim: str,
    a: str,
    b: str,
    tasks: list[str] | None = None,
    rule: Callable[[list[str]], str] = holds_where_resolved,
) -> Verdict:
    """ "Setup ``a`` is better than setup ``b``" on each task, by the headline test metric."""
    tasks = tasks or [t for t in _available(record, a) if t in _available(record, b)]
    rows = _better_rows(record, a, b, tasks)
    return Verdict(key, claim, rule([r.status for r in rows]), rows, _labels(record, a, b))


def comparable_claim(record: dict, key: str, claim: str, a: str, b: str) -> Verdict:
    """ "Setups ``a`` and ``b`` reach comparable accuracy" on every task they share."""
    tasks = [t for t in _available(record, a) if t in _available(record, b)]
    rows = []
    for task in tasks:
        metric = METRIC[family(task)][0]
        ea, eb = metric_estimate(record, a, task), metric_estimate(record, b, task)
        status = stats.claim_comparable(ea, eb, MARGIN[metric])
        ia, ib = _improving(record, a, task), _improving(record, b, task)
        lower = METRIC[family(task)][1]
        if status == HOLDS and (ia or ib):
            status = UNRESOLVED
        elif status == FAILS:
            status = budget_limited(status, ia, ib, stats.better(ea, eb, lower) < 0)
        rows.append(Comparison(task, METRIC_WORDS[metric], ea, eb, status))
    return Verdict(key, claim, all_hold([r.status for r in rows]), rows, _labels(record, a, b))


def _labels(record: dict, a: str, b: str) -> tuple[str, str]:
    setups = record["protocol"]["setups"]
    return setups[a]["label"], setups[b]["label"]


def fewer_updates(record: dict, a: str = "gru", b: str = "lstm") -> Verdict:
    """ "``a`` needs fewer training steps than ``b``": median steps to the solved threshold."""
    rows = []
    for task in record["protocol"]["tasks"]:
        if family(task) not in SOLVED:
            continue
        ea, eb = steps_estimate(record, a, task), steps_estimate(record, b, task)
        if not (np.isfinite(ea.value) or np.isfinite(eb.value)):
            status = UNRESOLVED  # neither solved on most seeds: nothing to compare
        else:
            status = stats.claim_better(ea, eb, lower_is_better=True)
        rows.append(Comparison(task, "median steps to solve", ea, eb, status))
    return Verdict(
        "fewer_updates",
        "GRU needs fewer training steps",
        holds_where_resolved([r.status for r in rows]),
        rows,
        _labels(record, a, b),
    )


def cheaper_steps(record: dict, dtype: str = "float64") -> Verdict:
    """ "A GRU step costs less than an LSTM step": the timing record, per implementation."""
    timing = record["timing"]["seconds"]
    rows = []
    for impl in ("gated_ref", "torch"):
        ga, lb = (timing[f"{impl}/{c}/{dtype}"]["all"] for c in ("gru", "lstm"))
        ea, eb = stats.median_interval(ga), stats.median_interval(lb)
        rows.append(
            Comparison(
                impl,
                f"seconds per forward + backward pass of the sequence, {dtype}",
                ea,
                eb,
                stats.claim_better(ea, eb, True),
            )
        )
    status = all_hold([r.status for r in rows])
    return Verdict("cheaper_steps", "a GRU step is cheaper", status, rows, ("GRU", "LSTM"))


def _kept_runs(record: dict, setup: str, task: str) -> list[dict]:
    return [r for r in final_runs(record, setup, task) if "params" in r]


def _point(value: float) -> Estimate:
    return Estimate(value, value, value, (value,), "threshold")


#: A gradient profile that fell below this at the longest distance has vanished.
VANISHED = 1e-3
#: How a gated cell's row reads in the "plain RNN gradients vanish" table (context rows).
VANISHED_WORDS = {HOLDS: "vanished", FAILS: "did not vanish", UNRESOLVED: "unclear"}
#: How the initial-state rows of the cell-state table read (context rows).
KEPT_WORDS = {HOLDS: "kept", FAILS: "not kept", UNRESOLVED: "unclear"}
#: A unit whose forget-gate product over the whole sequence exceeds this keeps its value.
KEEPS = 0.5


def rnn_vanishes(record: dict, task: str = "adding-200") -> Verdict:
    """Does the gradient reaching the first input vanish (below :data:`VANISHED` of the
    newest) for the plain RNN, at initialisation and after training? Gated cells beside it."""
    from .probes import initial_params, input_gradient_profile, params_of

    rows = []
    for setup in ("rnn_params", "lstm", "gru"):
        runs = _kept_runs(record, setup, task)
        if not runs:
            continue
        for when, get in (("at initialisation", initial_params), ("after training", params_of)):
            logs = [float(np.log10(input_gradient_profile(r, get(r))[0])) for r in runs]
            est = stats.mean_interval(logs)
            below = est.high < np.log10(VANISHED)
            above = est.low > np.log10(VANISHED)
            status = HOLDS if below else (FAILS if above else UNRESOLVED)
            if setup != "rnn_params":  # context, not the claim: say what happened
                status = VANISHED_WORDS[status]
            label = record["protocol"]["setups"][setup]["label"]
            what = f"{label}, {when}: log10 of the first input's gradient, relative to the last"
            rows.append(Comparison(task, what, est, _point(np.log10(VANISHED)), status))
    rnn = [
        r.status
        for r in rows
        if r.what.startswith(record["protocol"]["setups"]["rnn_tanh"]["label"] + ",")
    ]
    return Verdict(
        "rnn_vanishes", "plain RNN gradients vanish", all_hold(rnn), rows, ("", "threshold")
    )


def cell_state_unchanged(record: dict, task: str = "recall-200") -> Verdict:
    """After training on a memory task, does some LSTM unit keep its cell state over the whole
    sequence (forget-gate product above :data:`KEEPS`)? At initialisation beside it."""
    from .probes import forget_products, initial_params, params_of

    rows = []
    for setup in ("lstm", "lstm_fb0"):
        runs = _kept_runs(record, setup, task)
        if not runs:
            continue
        label = record["protocol"]["setups"][setup]["label"]
        for when, get in (("at initialisation", initial_params), ("after training", params_of)):
            best = [float(forget_products(r, get(r)).max()) for r in runs]
            est = stats.mean_interval(best)
            est = stats.mean_interval(best, bounds=(0.0, 1.0))
            status = HOLDS if est.low > KEEPS else (FAILS if est.high < KEEPS else UNRESOLVED)
            if when == "at initialisation":  # context, not the claim: say what happened
                status = KEPT_WORDS[status]
            what = f"{label}, {when}: largest product of f_t over the sequence, over units"
            rows.append(Comparison(task, what, est, _point(KEEPS), status))
    trained = [r.status for r in rows if "after training" in r.what]
    return Verdict(
        "cell_state_unchanged",
        "the LSTM cell state carries information unchanged",
        all_hold(trained),
        rows,
        ("", "threshold"),
    )


def verdicts(record: dict) -> dict[str, Verdict]:
    """Every claim the page tests, keyed by its literature key."""
    long_tasks = [t for t in record["protocol"]["tasks"] if t.endswith("-200")]
    lm = [t for t in record["protocol"]["tasks"] if family(t) == "char_lm"]
    out = {
        "comparable_accuracy": comparable_claim(
            record, "comparable_accuracy", "LSTM and GRU reach comparable accuracy", "gru", "lstm"
        ),
        "comparable_accuracy_params": comparable_claim(
            record,
            "comparable_accuracy",
            "LSTM and GRU reach comparable accuracy with the same number of parameters",
            "gru_params",
            "lstm",
        ),
        "gated_beat_tanh": better_claim(
            record,
            "gated_beat_tanh",
            "the LSTM beats the plain RNN (same parameters)",
            "lstm",
            "rnn_params",
        ),
        "gated_beat_tanh_gru": better_claim(
            record,
            "gated_beat_tanh",
            "the GRU beats the plain RNN (same parameters)",
            "gru",
            "rnn_params",
        ),
        "lstm_better_long": better_claim(
            record,
            "lstm_better_long",
            "LSTM is better on long sequences",
            "lstm",
            "gru",
            long_tasks,
        ),
        "lstm_better_lm": better_claim(
            record, "lstm_better_lm", "LSTM is better at language modelling", "lstm", "gru", lm
        ),
        "forget_bias_one": better_claim(
            record, "forget_bias_one", "a forget bias of 1 helps the LSTM", "lstm", "lstm_fb0"
        ),
        "fewer_updates": fewer_updates(record),
        "rnn_vanishes": rnn_vanishes(record),
        "cell_state_unchanged": cell_state_unchanged(record),
    }
    if "timing" in record:
        out["cheaper_steps"] = cheaper_steps(record)
    for variant in ("lstm_peephole", "lstm_cifg"):
        if variant in record["protocol"]["setups"]:
            label = record["protocol"]["setups"][variant]["label"]
            v = better_claim(
                record, "variants_not_better", f"{label} does not beat the LSTM", variant, "lstm"
            )
            # The claim is that the variant is NOT better: a variant that separates above the
            # LSTM refutes it; one that separates below, or is comparable, supports it.
            for row in v.rows:
                sep = stats.better(row.a, row.b, METRIC[family(row.task)][1])
                row.status = FAILS if sep > 0 else (HOLDS if sep < 0 else _not_better(row))
            v.status = all_hold([r.status for r in v.rows])
            out[f"variants_not_better_{variant}"] = v
    return out


def _not_better(row: Comparison) -> str:
    """Overlapping intervals: "not better" holds when they are also comparable within margin."""
    metric = next(k for k, w in METRIC_WORDS.items() if w == row.what)
    return stats.claim_comparable(row.a, row.b, MARGIN[metric])
