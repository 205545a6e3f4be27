"""``python -m gated_ref.experiments``: run the grid and write the record (``make experiments``).

Usage::

    python -m gated_ref.experiments                      # local processes, both cores
    python -m gated_ref.experiments --scheduler tcp://host:8786   # an existing Dask cluster
    python -m gated_ref.experiments --part timing        # only re-measure the step times

The step times are measured first, each contender alone (no grid running), then the grid.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import sys
import time
from concurrent.futures import Executor, ProcessPoolExecutor
from contextlib import contextmanager
from pathlib import Path

from . import grid, record, timing

ABOUT = (
    "The LSTM vs GRU experiment record, written by `make experiments` "
    "(python -m gated_ref.experiments) and read by diagrams/lstm_vs_gru.py. Trained parameters "
    "are kept for the runs at the chosen learning rate of the pairs in "
    "gated_ref.experiments.grid.KEEP_PARAMS."
)


@contextmanager
def executor_for(scheduler: str | None, jobs: int):  # noqa: ANN201
    """Local worker processes, or the executor of the Dask cluster at ``scheduler``."""
    if scheduler:
        try:
            from distributed import Client
        except ImportError as exc:
            raise SystemExit(
                f"--scheduler {scheduler}: needs Dask's distributed "
                "(pip install -e '.[experiments]')"
            ) from exc
        with Client(scheduler) as client:
            yield client.get_executor(pure=False)
        return
    context = multiprocessing.get_context("forkserver")
    with ProcessPoolExecutor(max_workers=jobs, mp_context=context) as pool:
        yield pool


#: Parameters the site reads: the probes read every final seed of these pairs, the heatmaps
#: only seed 0 of the language models.
PARAMS_READ = {
    ("adding-200", "rnn_params"): None,
    ("adding-200", "lstm"): None,
    ("adding-200", "gru"): None,
    ("recall-200", "lstm"): None,
    ("recall-200", "lstm_fb0"): None,
    ("char_lm-50", "lstm"): 0,
    ("char_lm-50", "gru"): 0,
}


def prune_params(runs: list[dict], chosen: dict[str, float]) -> None:
    """Drop the trained parameters nothing reads (keeps the record small)."""
    for r in runs:
        if "params" not in r:
            continue
        task = r["config"]["task"]
        final = r["config"]["lr"] == chosen[f"{r['setup']}/{task}"]
        key = (task, r["setup"])
        seed = PARAMS_READ.get(key, -1)
        if not final or key not in PARAMS_READ or seed not in (None, r["config"]["seed"]):
            del r["params"]


def describe(scheduler: str | None, jobs: int) -> str:
    """The executor in words, for the record."""
    return f"Dask cluster at {scheduler}" if scheduler else f"{jobs} local processes"


def run(executor: Executor, pairs: list, *, steps: int = grid.STEPS, log=print) -> dict:  # noqa: ANN001
    """The grid's runs and chosen learning rates, with their wall and CPU time."""
    start = time.perf_counter()
    runs, chosen = grid.run_grid(executor, pairs, steps=steps, log=log)
    prune_params(runs, chosen)
    return {
        "about": ABOUT,
        "runs": runs,
        "chosen_lr": chosen,
        "wall_s": round(time.perf_counter() - start, 1),
        "cpu_s": round(sum(r["cpu_s"] for r in runs), 1),
    }


def protocol() -> dict:
    """The protocol's settings, as the record states them."""
    return {
        "lrs": list(grid.LRS),
        "seeds": list(grid.SEEDS),
        "hidden": grid.HIDDEN,
        "batch": grid.BATCH,
        "steps": grid.STEPS,
        "clip": grid.CLIP,
        "eval_every": grid.EVAL_EVERY,
        "optimizer": "Adam (Kingma & Ba 2015), betas (0.9, 0.999), eps 1e-8",
        "tasks": list(grid.TASKS),
        "setups": {
            s.key: {
                "cell": s.cell,
                "label": s.label,
                "forget_bias": s.forget_bias,
                "match": s.match,
                "tasks": list(s.tasks),
                "hidden": {t: grid.hidden_size(s, t) for t in s.tasks},
            }
            for s in grid.SETUPS
        },
    }


def main(argv: list[str] | None = None) -> int:
    """Run what ``--part`` asks for and write the record atomically."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scheduler", default=os.environ.get("SCHEDULER") or None)
    parser.add_argument("--jobs", type=int, default=2, help="local worker processes")
    parser.add_argument("--out", type=Path, default=record.ROOT / record.RECORD)
    parser.add_argument("--part", choices=("all", "grid", "timing"), default="all")
    args = parser.parse_args(argv)
    if args.jobs < 1:
        parser.error(f"--jobs: got {args.jobs}, expected at least 1")

    def log(line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    old = record.load(args.out) if args.part != "all" and args.out.exists() else {}
    out = dict(old)
    if args.part in ("all", "timing"):
        log("experiments: timing each contender alone (separate processes, interleaved rounds)")
        out["timing"] = timing.measure_all(log=log)
    if args.part in ("all", "grid"):
        pairs = grid.groups()
        log(
            f"experiments: {len(pairs)} setup x task pairs on {describe(args.scheduler, args.jobs)}"
        )
        with executor_for(args.scheduler, args.jobs) as executor:
            out |= run(executor, pairs, log=log)
        out["executor"] = describe(args.scheduler, args.jobs)
        out["protocol"] = protocol()
        out["text"] = record.text_source()
        # Only a grid run may vouch for the runs: --part timing keeps the old fingerprint.
        out["fingerprint"] = record.fingerprint()
        out["versions"] = record.versions()
        out["machine"] = record.machine()
    out["command"] = "make experiments"
    record.write(out, args.out)
    log(f"experiments: wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
