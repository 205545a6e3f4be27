"""Record the generated kernels' measured times for the site: ``data/kernel_times.json``.

The site shows measured times (the comparison table on the LSTM vs GRU page), but a build must
not measure anything: two builds of one commit give the same bytes. So the measurements are a
data record, made here, reviewed and committed, and read by ``diagrams/cell_comparison.py``.
Refresh it with ``make bench-record``. (The step times behind the "GRU trains faster" verdict
are measured by ``make experiments``, each contender alone: ``gated_ref.experiments.timing``.)

What is measured, each as µs per time step (one step of the whole batch):

- ``comparison``: every cell in ``gr.CELL_NAMES``, forward and forward + backward, at the sizes
  of the comparison table (``cell_comparison.TIMING_*``: float64, I = H).

The sizes are read from the diagram script, so the record cannot drift from what it shows; it
checks the record against its own settings and stops, naming this script, when it does not
match.

Method: one BLAS thread (as the training runs), warm-up calls, then ``--repeats`` rounds; each
round times every configuration once, round-robin, so a slow phase of a shared machine hits them
all alike. The statistic is the median CPU time of the process (``time.process_time``). The
record keeps the machine (CPU model, cores, BLAS threads, library versions) and the load
average before and after; it holds no date, so re-running on an unchanged machine changes only
the noise. Usage::

    python bench/record_kernel_times.py --out data/kernel_times.json
    python bench/record_kernel_times.py --quick --out /tmp/k.json   # a smoke test
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

import gated_ref as gr

ROOT = Path(__file__).resolve().parents[1]
DIAGRAMS = ROOT / "diagrams"
PASSES = ("fwd", "fwd+bwd")
SEED = 0


def cpu_model() -> str:
    """The CPU's model name from /proc/cpuinfo (else what ``platform`` knows)."""
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _version(dist: str) -> str:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def blas_threads() -> int:
    """Threads of NumPy's BLAS as threadpoolctl reports them (the largest, if several)."""
    from threadpoolctl import threadpool_info

    return max((d["num_threads"] for d in threadpool_info() if d["user_api"] == "blas"), default=0)


def machine() -> dict:
    """What the numbers depend on, besides the code."""
    return {
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "blas_threads": blas_threads(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "sympy": _version("sympy"),
        "torch": _version("torch"),
    }


def load_average() -> list[float]:
    try:
        return [round(v, 2) for v in os.getloadavg()]
    except OSError:
        return []


def _sizes() -> dict:
    """The comparison table's sizes, read from its diagram script."""
    sys.path.insert(0, str(DIAGRAMS))
    import cell_comparison

    comparison = {
        "T": cell_comparison.TIMING_T,
        "B": cell_comparison.TIMING_B,
        "sizes": list(cell_comparison.TIMING_SIZES),
        "dtype": "float64",
        "cells": list(gr.CELL_NAMES),
    }
    return comparison


def _runners(name: str, t: int, b: int, i: int, h: int, dtype: str) -> dict[str, Callable]:
    """Forward and forward + backward of one cell at one size, on fixed random data."""
    spec = gr.cell(name)
    kernel = gr.lower(spec)
    rng = np.random.default_rng([SEED, t, b, i, h])
    if spec.input_symbol is not None:
        i = h  # the cell adds x_t to an H-vector
    sizes = {size: max(1, h // 2) for size in spec.sizes}  # a projection to H / 2
    params = kernel.init_params(i, h, rng=rng, dtype=dtype, **sizes)
    x = rng.standard_normal((t, b, i)).astype(dtype)
    dy = rng.standard_normal((t, b, spec.size_of(spec.prev["h"], h, **sizes))).astype(dtype)

    def fwd() -> None:
        kernel.forward(x, params)

    def fwd_bwd() -> None:
        kernel.backward(dy, kernel.forward(x, params)[2])

    return {"fwd": fwd, "fwd+bwd": fwd_bwd}


def measure(configs: dict[tuple, Callable], warmup: int, repeats: int) -> dict[tuple, float]:
    """Median CPU seconds of each runner over ``repeats`` round-robin rounds."""
    times: dict[tuple, list[float]] = {k: [] for k in configs}
    for rnd in range(warmup + repeats):
        for key, run in configs.items():
            start = time.process_time()
            run()
            elapsed = time.process_time() - start
            if rnd >= warmup:
                times[key].append(elapsed)
    return {k: statistics.median(v) for k, v in times.items()}


def _us(seconds: float, steps: int) -> float:
    """µs per time step, to 3 significant digits."""
    return float(f"{1e6 * seconds / steps:.3g}")


def record(warmup: int, repeats: int, quick: bool = False) -> dict:
    """Measure everything the site shows; return the record."""
    from threadpoolctl import threadpool_limits

    comparison = _sizes()
    if quick:
        comparison |= {"T": 4, "sizes": [8]}
    configs: dict[tuple, Callable] = {}
    for name in comparison["cells"]:
        for n in comparison["sizes"]:
            sizes = (comparison["T"], comparison["B"], n, n, comparison["dtype"])
            for pass_, run in _runners(name, *sizes).items():
                configs[("comparison", name, str(n), pass_)] = run
    with threadpool_limits(1):
        load_before = load_average()
        info = machine()
        start = time.perf_counter()
        medians = measure(configs, warmup, repeats)
        elapsed = time.perf_counter() - start
        load_after = load_average()
    for key, seconds in medians.items():
        section = comparison
        node = section.setdefault("us_per_step", {})
        for part in key[1:-1]:
            node = node.setdefault(part, {})
        node[key[-1]] = _us(seconds, section["T"])
    return {
        "about": (
            "Measured times of the generated NumPy kernels, in µs per time step of a whole "
            "batch; written by bench/record_kernel_times.py (make bench-record), read by "
            "diagrams/cell_comparison.py."
        ),
        "machine": info,
        "method": {
            "clock": "CPU time of the process (time.process_time), one BLAS thread",
            "statistic": "median",
            "warmup": warmup,
            "repeats": repeats,
            "order": "round-robin over every configuration within each repeat",
        },
        "load": {
            "load_average_before": load_before,
            "load_average_after": load_after,
            "seconds": round(elapsed),
            "note": (
                "load average (1, 5, 15 min) of the machine: above its core count, other "
                "processes shared the cores and the numbers are noisier"
            ),
        },
        "comparison": comparison,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "data" / "kernel_times.json")
    parser.add_argument("--repeats", type=int, default=None, help="timed rounds (default 41)")
    parser.add_argument("--quick", action="store_true", help="tiny sizes, 3 rounds")
    args = parser.parse_args(argv)
    repeats = args.repeats or (3 if args.quick else 41)
    data = record(warmup=1 if args.quick else 3, repeats=repeats, quick=args.quick)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    tmp = args.out.with_name(args.out.name + ".tmp")
    tmp.write_text(json.dumps(data, indent=1, sort_keys=True, ensure_ascii=False) + "\n", "utf-8")
    os.replace(tmp, args.out)
    print(f"wrote {args.out} ({data['load']['seconds']} s; load {data['load']})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
