"""The adding problem: which cells learn a 50-, 100- and 200-step dependency.

Hochreiter & Schmidhuber (1997), in the form of Le et al. (2015) and Arjovsky et al. (2016):
each step carries a value drawn uniformly from [0, 1] and a marker; exactly two steps are
marked, one in each half of the sequence, and the target, read from the last hidden state by a
linear readout, is the sum of the two marked values. Predicting the mean (1) scores an MSE of
1/6; a model that solves the task must hold the first value for up to T steps.

Every cell trains with its generated kernels, :class:`gated_ref.train.Adam` and
:func:`gated_ref.train.clip_by_global_norm`, on fresh batches, for ``STEPS`` steps or until its
test MSE drops below ``THRESHOLD`` (it has then solved the task; the curve stops there). The
runs (cells x lengths x seeds) are spread over two worker processes, one BLAS thread each; each
run is seeded on its own, so the results do not depend on the order they finish in. The kernels
run in float32 at H = 16: the cost is per-step NumPy overhead, and these settings keep the whole
experiment under a minute of CPU time.

Writes ``results.json`` (configuration, learning curves, gradient norms before and after
training, the trained LSTM's forget gates), ``learning_curves.svg``, ``gradient_trained.svg``,
``results.md`` (the results table) and ``claim_*.md`` (the LSTM vs GRU verdicts, computed by
``diagrams/_claims.py``). No output holds a measured time: the cost of a training step behind
the "GRU trains faster" verdict comes from the committed record ``data/kernel_times.json``
(``make bench-record``), so two builds write the same bytes. The notebook
``docs/notebooks/adding_problem.ipynb`` plots these.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path

import _claims
import numpy as np
from _style import PALETTE, figure, save_svg
from gradient_flow import row_norms, suffix_gradients, unit_rows

import gated_ref as gr
from gated_ref.train import Adam, clip_by_global_norm, mse_last_step

SEED = 0
CELLS = ("rnn_tanh", "lstm", "gru")
LENGTHS = (50, 100, 200)
SEEDS = (0, 1, 2)
HIDDEN = 16
BATCH = 32
DTYPE = np.float32  # parameters, inputs and kernels
JOBS = 2  # worker processes: the build machine has two cores
STEPS = 600  # at most; a run stops early once solved
LR = 0.03
CLIP = 1.0
EVAL_EVERY = 25
TEST_SIZE = 64
THRESHOLD = 0.01  # test MSE that counts as solved (predicting the mean scores 1/6)
BASELINE_MSE = 1.0 / 6.0  # Var(u1 + u2) for u1, u2 ~ U(0, 1)
FORGET_BIAS = 1.0  # added to the LSTM's forget-gate bias (Gers et al. 2000; Jozefowicz 2015)
GRADIENT_LENGTH = 50  # models trained at this T are probed for ||dh_T/dh_t|| after training
GRADIENT_BATCH = 16
RECORD_T = 100  # the sequence length at which bench/record_kernel_times.py times a step
#: The committed timing record: the cost of a training step for the "trains faster" verdict.
DEPENDS = (_claims.RECORD,)
SHORT = {"rnn_tanh": "RNN", "lstm": "LSTM", "gru": "GRU"}


def adding_batch(rng: np.random.Generator, length: int, batch: int) -> tuple[np.ndarray, ...]:
    """One batch: inputs x (T, B, 2) = (value, marker), targets (B, 1), marker positions (2, B).

    One marker lies in the first half ``[0, T // 2)``, the other in ``[T // 2, T)``.
    """
    if length < 2:
        raise ValueError(f"length: got {length}, expected at least 2")
    values = rng.uniform(0.0, 1.0, size=(length, batch))
    cols = np.arange(batch)
    first = rng.integers(0, length // 2, size=batch)
    second = rng.integers(length // 2, length, size=batch)
    markers = np.zeros((length, batch))
    markers[first, cols] = 1.0
    markers[second, cols] = 1.0
    target = (values[first, cols] + values[second, cols])[:, None]
    return np.stack([values, markers], axis=-1), target, np.stack([first, second])


def init_model(name: str, seed: int) -> tuple[gr.Kernel, dict[str, np.ndarray]]:
    """The cell's kernel and its parameters (PyTorch's init) plus the readout ``W_out, b_out``."""
    kernel = gr.lower(gr.cell(name))
    rng = np.random.default_rng([seed, CELLS.index(name)])
    params = kernel.init_params(2, HIDDEN, rng=rng, dtype=DTYPE)
    if name == "lstm":  # gate order i, f, g, o: the forget block is the second
        params["bias_hh"][HIDDEN : 2 * HIDDEN] += FORGET_BIAS
    bound = 1.0 / np.sqrt(HIDDEN)
    params["W_out"] = rng.uniform(-bound, bound, size=(1, HIDDEN)).astype(DTYPE)
    params["b_out"] = np.zeros(1, DTYPE)
    return kernel, params


def split(params: dict[str, np.ndarray]) -> tuple[dict, np.ndarray, np.ndarray]:
    """Cell parameters, readout weight, readout bias."""
    cell = {k: v for k, v in params.items() if k not in ("W_out", "b_out")}
    return cell, params["W_out"], params["b_out"]


def test_mse(kernel: gr.Kernel, params: dict, x: np.ndarray, target: np.ndarray) -> float:
    """Mean squared error of the model on a fixed test batch."""
    cell, w, b = split(params)
    y, _, _ = kernel.forward(x, cell)
    return mse_last_step(y, target, w, b)[0]


def test_set(length: int) -> tuple[np.ndarray, np.ndarray]:
    """The fixed test batch for sequences of ``length`` (the same for every cell and seed)."""
    x, target, _ = adding_batch(np.random.default_rng([SEED, length, 1]), length, TEST_SIZE)
    return x.astype(DTYPE), target.astype(DTYPE)


def train_one(name: str, length: int, seed: int) -> dict:
    """Train one cell on one length from one seed; returns its curves and final parameters.

    Everything it returns is a function of the settings and the seeds; the CPU time it took is
    returned apart (``"cpu_s"``), for the progress line only: it never reaches an output file.
    """
    start = time.process_time()
    kernel, params = init_model(name, seed)
    data_rng = np.random.default_rng([seed, length])  # same batches for every cell
    x_test, y_test = test_set(length)
    opt = Adam(params, lr=LR)
    evals, mses, train_losses, window = [0], [test_mse(kernel, params, x_test, y_test)], [], []
    solved_at = None
    for step in range(1, STEPS + 1):
        x, target, _ = adding_batch(data_rng, length, BATCH)
        cell, w, b = split(params)
        y, _, cache = kernel.forward(x.astype(DTYPE), cell)
        loss, dy, readout = mse_last_step(y, target.astype(DTYPE), w, b)
        grads = kernel.backward(dy, cache)
        grads = {k: grads[k] for k in cell} | {"W_out": readout["weight"], "b_out": readout["bias"]}
        grads, _ = clip_by_global_norm(grads, CLIP)
        opt.step(grads)
        window.append(loss)
        if step % EVAL_EVERY == 0:
            evals.append(step)
            mses.append(test_mse(kernel, params, x_test, y_test))
            train_losses.append(float(np.mean(window)))
            window = []
            if mses[-1] < THRESHOLD:
                solved_at = step
                break
    return {
        "cell": name,
        "T": length,
        "seed": seed,
        "eval_steps": evals,
        "test_mse": [round(float(m), 6) for m in mses],
        "train_loss": [round(m, 6) for m in train_losses],
        "solved_at": solved_at,
        "final_mse": round(float(mses[-1]), 6),
        "best_mse": round(float(min(mses)), 6),
        "steps": evals[-1],
        "params": params,
        "cpu_s": time.process_time() - start,
    }


def _one_thread() -> None:
    """Pool initializer: one BLAS thread per worker (two workers share two cores)."""
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = "1"
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # the environment variables still hold for a freshly started BLAS
        return
    threadpool_limits(1)


def run_all(jobs: int | None = None) -> list[dict]:
    """Every (cell, length, seed) run, longest first over a process pool; sorted on return.

    ``jobs`` worker processes (default ``JOBS``, or ``GATED_REF_JOBS``), one BLAS thread each.
    Each run is seeded on its own, so the results do not depend on the order runs finish in.
    """
    tasks = [(c, t, s) for t in LENGTHS for c in CELLS for s in SEEDS]
    tasks.sort(key=lambda task: -task[1] * (1 if task[0] == "rnn_tanh" else 4))
    jobs = jobs or int(os.environ.get("GATED_REF_JOBS", 0)) or JOBS
    runs = []
    if jobs == 1:  # in this process (a test's tiny run): no pool
        for done, task in enumerate(tasks, 1):
            runs.append(_progress(train_one(*task), done, len(tasks)))
        return sorted(runs, key=_order)
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(
        max_workers=min(jobs, len(tasks)), mp_context=context, initializer=_one_thread
    ) as pool:
        futures = [pool.submit(train_one, *task) for task in tasks]
        for done, future in enumerate(as_completed(futures), 1):
            runs.append(_progress(future.result(), done, len(tasks)))
    return sorted(runs, key=_order)


def _order(run: dict) -> tuple[int, int, int]:
    """Results order: length, cell, seed (whatever order the runs finished in)."""
    return LENGTHS.index(run["T"]), CELLS.index(run["cell"]), run["seed"]


def _progress(run: dict, done: int, total: int) -> dict:
    """Print one finished run (with its CPU time: stdout only) and drop that time from it."""
    status = f"solved at {run['solved_at']}" if run["solved_at"] else "not solved"
    print(
        f"adding_problem [{done}/{total}] {run['cell']:8s} T={run['T']:3d} "
        f"seed={run['seed']}: {status}, test MSE {run['final_mse']:.4f} "
        f"({run.pop('cpu_s'):.1f} s CPU)",
        flush=True,
    )
    return run


def gradient_probe(runs: list[dict]) -> dict:
    """||u^T dh_T/dh_t|| at T = GRADIENT_LENGTH, at initialisation and after training.

    Each cell is probed in its first run at that length that solved the task (seed order), or
    its first seed if none did. Also the trained LSTM's forget gates on the same batch: the
    per-unit product of f_t over the whole sequence, which scales the gradient along the cell
    state alone. The probe runs in float64 (the trained parameters widened), so that a row that
    has vanished to 1e-30 is still a number.
    """
    rng = np.random.default_rng([SEED, 7])
    x, _, _ = adding_batch(rng, GRADIENT_LENGTH, GRADIENT_BATCH)
    u = unit_rows(rng, GRADIENT_BATCH, HIDDEN)
    out: dict = {"T": GRADIENT_LENGTH, "seed": {}, "solved": {}, "init": {}, "trained": {}}
    for name in CELLS:
        group = [r for r in runs if (r["cell"], r["T"]) == (name, GRADIENT_LENGTH)]
        run = next((r for r in group if r["solved_at"] is not None), group[0])
        out["seed"][name], out["solved"][name] = run["seed"], run["solved_at"] is not None
        kernel, initial = init_model(name, run["seed"])
        initial = {k: v.astype(np.float64) for k, v in initial.items()}
        trained = {k: v.astype(np.float64) for k, v in run["params"].items()}
        for key, params in (("init", initial), ("trained", trained)):
            rows = suffix_gradients(kernel, split(params)[0], x, u, stride=2)
            out[key][name] = [float(f"{v:.4g}") for v in row_norms(rows["h"])]
            out["distance"] = rows["distance"].tolist()
        if name == "lstm":
            _, _, cache = kernel.forward(x, split(trained)[0])
            prod = np.prod(cache["N_f"], axis=0).mean(axis=0)  # per unit, mean over the batch
            _, _, cache0 = kernel.forward(x, split(initial)[0])
            prod0 = np.prod(cache0["N_f"], axis=0).mean(axis=0)
            out["lstm_forget"] = {
                "units": HIDDEN,
                "mean_f": round(float(cache["N_f"].mean()), 4),
                "prod_f_sorted": [float(f"{v:.4g}") for v in np.sort(prod)[::-1]],
                "prod_f_init_max": float(f"{prod0.max():.4g}"),
            }
    return out


def summarize(runs: list[dict]) -> list[dict]:
    """One row per (T, cell): solved seeds, median steps to solve, median final MSE, speed."""
    rows = []
    for length in LENGTHS:
        for name in CELLS:
            group = [r for r in runs if r["T"] == length and r["cell"] == name]
            solved = [r["solved_at"] for r in group if r["solved_at"] is not None]
            rows.append(
                {
                    "T": length,
                    "cell": name,
                    "solved": len(solved),
                    "seeds": len(group),
                    "median_steps_to_solve": float(np.median(solved)) if solved else None,
                    "median_final_mse": round(float(np.median([r["final_mse"] for r in group])), 6),
                }
            )
    return rows


def results_table(summary: list[dict]) -> str:
    """The Markdown results table."""
    lines = [
        "| $T$ | Cell | Solved (seeds) | Median steps to solve | Median final test MSE |",
        "| ---: | --- | ---: | ---: | ---: |",
    ]
    for row in summary:
        steps = row["median_steps_to_solve"]
        lines.append(
            f"| {row['T']} | {SHORT[row['cell']]} | {row['solved']} of {row['seeds']} | "
            f"{'—' if steps is None else f'{steps:g}'} | {row['median_final_mse']:.4f} |"
        )
    return "\n".join(lines) + "\n"


def plot_curves(runs: list[dict], path: Path) -> None:
    """Test MSE against training step, one panel per length, one line per run."""
    fig, axes = figure(height=2.9, ncols=len(LENGTHS), sharey=True)
    for ax, length in zip(axes, LENGTHS, strict=True):
        for color, name in zip(PALETTE, CELLS, strict=False):
            for r in (r for r in runs if r["T"] == length and r["cell"] == name):
                label = SHORT[name] if r["seed"] == SEEDS[0] else None
                ax.semilogy(r["eval_steps"], r["test_mse"], color=color, lw=1.2, label=label)
                if r["solved_at"] is not None:
                    ax.plot(r["eval_steps"][-1], r["test_mse"][-1], "o", color=color, ms=3.5)
        ax.axhline(BASELINE_MSE, color="0.4", ls="--", lw=0.8)
        ax.axhline(THRESHOLD, color="0.4", ls=":", lw=0.8)
        ax.set(title=f"$T = {length}$", xlabel="training step")
    axes[0].set_ylabel("test MSE")
    axes[0].legend(fontsize=8, loc="lower left")
    save_svg(fig, path)


def plot_gradients(probe: dict, path: Path) -> None:
    """||u^T dh_T/dh_t|| against T - t, before (dashed) and after (solid) training."""
    fig, ax = figure(height=2.9)
    for color, name in zip(PALETTE, CELLS, strict=False):
        ax.semilogy(probe["distance"], probe["init"][name], color=color, ls="--", lw=1)
        ax.semilogy(probe["distance"], probe["trained"][name], color=color, label=SHORT[name])
    ax.set(
        xlabel="distance $T - t$",
        ylabel=r"$\|u^\top \partial h_T / \partial h_t\|$",
        title=f"after training on $T = {probe['T']}$ (solid) and at initialisation (dashed)",
    )
    ax.legend(fontsize=8)
    save_svg(fig, path)


def config() -> dict:
    """The experiment's settings, as recorded in results.json."""
    return {
        "cells": list(CELLS),
        "lengths": list(LENGTHS),
        "seeds": list(SEEDS),
        "hidden": HIDDEN,
        "batch": BATCH,
        "max_steps": STEPS,
        "lr": LR,
        "clip": CLIP,
        "eval_every": EVAL_EVERY,
        "test_size": TEST_SIZE,
        "dtype": np.dtype(DTYPE).name,
        "threshold": THRESHOLD,
        "baseline_mse": round(BASELINE_MSE, 6),
        "lstm_forget_bias": FORGET_BIAS,
    }


def step_cost(record: dict) -> dict[str, float]:
    """µs per time step of forward + backward at this experiment's size, from the record.

    Raises ``ValueError`` naming ``make bench-record`` when the record was made at other sizes.
    """
    entry = record["adding_problem"]
    wanted = {"I": 2, "H": HIDDEN, "B": BATCH, "dtype": np.dtype(DTYPE).name}
    got = {k: entry.get(k) for k in wanted}
    missing = [c for c in CELLS if c not in entry.get("us_per_step", {})]
    if got != wanted or missing:
        raise ValueError(
            f"{_claims.RECORD}: adding_problem recorded at {got} for cells "
            f"{sorted(entry.get('us_per_step', {}))}, expected {wanted} for {list(CELLS)}; "
            "run `make bench-record`"
        )
    return {c: entry["us_per_step"][c]["fwd+bwd"] for c in CELLS}


def main(out_dir: Path) -> None:
    """Train every run, then write the results, figures, table and verdicts into ``out_dir``.

    Nothing written depends on a clock: the runs are seeded, and the cost of a step comes from
    the committed record ``data/kernel_times.json``, so two builds give the same bytes.
    """
    record = _claims.kernel_times()
    cost = step_cost(record)  # fail before training, not after
    runs = run_all()
    print("adding_problem: probing gradients before and after training", flush=True)
    probe = gradient_probe(runs)
    for r in runs:
        del r["params"]
    summary = summarize(runs)
    results = {"config": config(), "summary": summary, "runs": runs, "gradients": probe}
    text = json.dumps(results, indent=1, sort_keys=True) + "\n"
    (out_dir / "results.json").write_text(text, encoding="utf-8")
    (out_dir / "results.md").write_text(results_table(summary), encoding="utf-8")
    _claims.render_all(results, cost, out_dir, _claims.record_machine(record))
    plot_curves(runs, out_dir / "learning_curves.svg")
    plot_gradients(probe, out_dir / "gradient_trained.svg")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("."))
