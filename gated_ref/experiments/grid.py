"""The protocol: which runs make up the grid, how a learning rate is chosen, and running them.

Per setup (a cell, its forget bias, its hidden size) and task: a learning-rate sweep over
:data:`LRS` with seed 0, the rate chosen on the validation split (:func:`selection_key`), then
seeds 1-4 at that rate; seed 0's run at the chosen rate counts as the fifth seed. Every setup
gets the same step budget, batch size and gradient clipping. Runs go to any
:class:`concurrent.futures.Executor`: local processes, or a Dask cluster's executor.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, Executor, Future, wait
from dataclasses import dataclass

from .run import METRIC, SOLVED, RunConfig, parameter_count, train

#: Learning rates swept for every setup and task (Adam).
LRS = (3e-3, 1e-2, 3e-2)
#: Seeds of the final runs; seed 0 is also the sweep seed.
SEEDS = (0, 1, 2, 3, 4)
HIDDEN = 16
BATCH = 32
STEPS = 1200
CLIP = 1.0
EVAL_EVERY = 50
#: Every task of the grid (``gated_ref.tasks.make`` keys).
TASKS = (
    "adding-50",
    "adding-100",
    "adding-200",
    "recall-50",
    "recall-200",
    "digits-64",
    "char_lm-50",
)
#: The sequences of length 200 cost most: there only the setups the claims need run (the
#: plain RNN at the LSTM's parameter count, both LSTMs, the GRU at both sizes).
LONG = ("adding-200", "recall-200")
SHORT = tuple(t for t in TASKS if t not in LONG)
#: Tasks on which Greff et al.'s variants are compared with the LSTM: sequence modelling, as
#: in their speech, handwriting and music tasks (each task costs two more setups).
VARIANT_TASKS = ("char_lm-50",)
#: Runs whose trained parameters the record keeps (gradient probes, gate heatmaps).
KEEP_PARAMS = {
    (t, s) for t in LONG for s in ("rnn_params", "lstm", "lstm_fb0", "gru", "gru_params")
} | {("char_lm-50", s) for s in ("lstm", "gru")}


@dataclass(frozen=True)
class Setup:
    """One contender: a cell, its forget bias, and how its hidden size is chosen."""

    key: str
    cell: str
    label: str
    forget_bias: float = 0.0
    #: ``None``: hidden size :data:`HIDDEN`; otherwise the key of the setup whose parameter
    #: count this one matches on each task (the hidden size that comes closest).
    match: str | None = None
    tasks: tuple[str, ...] = TASKS


SETUPS = (
    Setup("rnn_tanh", "rnn_tanh", "RNN", tasks=SHORT),
    Setup("lstm", "lstm", "LSTM", forget_bias=1.0),
    Setup("lstm_fb0", "lstm", "LSTM, forget bias 0", forget_bias=0.0),
    Setup("gru", "gru", "GRU"),
    Setup("gru_reset_before", "gru_reset_before", "GRU, reset-before", tasks=SHORT),
    Setup("gru_params", "gru", "GRU, same parameters", match="lstm"),
    Setup("rnn_params", "rnn_tanh", "RNN, same parameters", match="lstm"),
    Setup("lstm_peephole", "lstm_peephole", "LSTM, peepholes", 1.0, tasks=VARIANT_TASKS),
    Setup("lstm_cifg", "lstm_cifg", "LSTM, CIFG", 1.0, tasks=VARIANT_TASKS),
)
SETUP = {s.key: s for s in SETUPS}


def hidden_size(setup: Setup, task: str) -> int:
    """The setup's hidden size on ``task``: :data:`HIDDEN`, or the parameter-matched size."""
    if setup.match is None:
        return HIDDEN
    ref = SETUP[setup.match]
    target = parameter_count(ref.cell, task, hidden_size(ref, task))
    return min(
        range(2, 8 * HIDDEN), key=lambda h: abs(parameter_count(setup.cell, task, h) - target)
    )


def config(setup: Setup, task: str, lr: float, seed: int, steps: int = STEPS) -> RunConfig:
    """The run of ``setup`` on ``task`` at learning rate ``lr`` from ``seed``."""
    return RunConfig(
        task=task,
        cell=setup.cell,
        hidden=hidden_size(setup, task),
        lr=lr,
        seed=seed,
        steps=steps,
        batch=BATCH,
        clip=CLIP,
        forget_bias=setup.forget_bias,
        eval_every=EVAL_EVERY,
        keep_params=(task, setup.key) in KEEP_PARAMS,
        extra={"setup": setup.key},
    )


def selection_key(run: dict) -> tuple[float, float]:
    """Order of preference between sweep runs, from validation numbers only (smaller wins).

    Tasks with a "solved" threshold: solved runs first, fewer steps to solve first; otherwise
    the better final validation metric.
    """
    family = run["config"]["task"].rpartition("-")[0]
    metric, lower_better = METRIC[family]
    value = run["final"]["val"][metric]
    score = value if lower_better else -value
    if family in SOLVED:
        solved = run["solved_at"]
        return (0.0, float(solved)) if solved is not None else (1.0, score)
    return (0.0, score)


def groups(setups: Iterable[Setup] = SETUPS, tasks: Iterable[str] | None = None) -> list:
    """Every (setup, task) pair of the grid, in a fixed order."""
    wanted = None if tasks is None else set(tasks)
    return [(s, t) for s in setups for t in s.tasks if wanted is None or t in wanted]


def run_grid(
    executor: Executor,
    pairs: list,
    *,
    lrs: tuple[float, ...] = LRS,
    seeds: tuple[int, ...] = SEEDS,
    steps: int = STEPS,
    log: Callable[[str], None] | None = None,
) -> tuple[list[dict], dict[str, float]]:
    """Run the protocol for every (setup, task) pair on ``executor``.

    Returns every run (sorted by id) and the learning rate chosen for each pair. Sweep runs
    are submitted first; a pair's remaining seeds are submitted as soon as its sweep is done.
    """
    log = log or (lambda line: print(line, file=sys.stderr, flush=True))
    start = time.perf_counter()
    total = len(pairs) * (len(lrs) + len(seeds) - 1)
    pending: dict[Future, tuple] = {}
    sweeps: dict[str, list[dict]] = {}
    runs: list[dict] = []
    chosen: dict[str, float] = {}

    def submit(setup: Setup, task: str, lr: float, seed: int, phase: str) -> None:
        cfg = config(setup, task, lr, seed, steps)
        pending[executor.submit(train, cfg)] = (setup, task, phase)

    # Longest sequences first: they are the stragglers at the end otherwise.
    order = sorted(pairs, key=lambda p: -int(p[1].rpartition("-")[2]))
    for setup, task in order:
        for lr in lrs:
            submit(setup, task, lr, seeds[0], "sweep")
    while pending:
        done, _ = wait(pending, return_when=FIRST_COMPLETED)
        for future in sorted(done, key=lambda f: pending[f][0].key + pending[f][1]):
            setup, task, phase = pending.pop(future)
            run = future.result()
            run["setup"] = setup.key
            run["phase"] = phase
            runs.append(run)
            _progress(log, run, len(runs), total, start)
            if phase != "sweep":
                continue
            key = f"{setup.key}/{task}"
            sweeps.setdefault(key, []).append(run)
            if len(sweeps[key]) == len(lrs):
                best = min(sweeps[key], key=lambda r: (*selection_key(r), r["config"]["lr"]))
                chosen[key] = best["config"]["lr"]
                for seed in seeds[1:]:
                    submit(setup, task, chosen[key], seed, "seeds")
    runs.sort(key=lambda r: (r["setup"], r["id"]))
    return runs, dict(sorted(chosen.items()))


def _progress(log: Callable[[str], None], run: dict, done: int, total: int, start: float) -> None:
    elapsed = time.perf_counter() - start
    eta = elapsed / done * (total - done)
    status = f"solved at {run['solved_at']}" if run["solved_at"] else f"{run['steps_run']} steps"
    test = ", ".join(f"{k} {v:.4g}" for k, v in run["final"]["test"].items() if k != "loss")
    log(
        f"[{done}/{total}] {run['setup']:16s} {run['id']}: {status}; test {test} "
        f"({run['cpu_s']:.0f} s CPU; elapsed {elapsed / 60:.1f} min, ~{eta / 60:.1f} min left)"
    )
