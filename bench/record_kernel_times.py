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

Method: through ``bench/harness.py``: the kernels run in a worker process of their own with
one BLAS thread (as the training runs), warm-up calls, then ``--repeats`` interleaved rounds;
each round times every configuration once, so a slow phase of a shared machine hits them all
alike. The clock is the wall time of each call (``time.perf_counter`` in the worker); the
record keeps the median (``us_per_step``, what the site shows) and the minimum
(``us_per_step_min``). It keeps the machine (CPU model, cores, BLAS threads, library versions),
the load average before and after and the CPU other processes used meanwhile; when that was
above the harness's threshold the record is not written (``--allow-busy`` writes it, marked
busy). It holds no date, so re-running on an unchanged machine changes only the noise. Usage::

    python bench/record_kernel_times.py --out data/kernel_times.json
    python bench/record_kernel_times.py --quick --out /tmp/k.json   # a smoke test
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import os
import platform
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # this checkout's gated_ref

import numpy as np  # noqa: E402
from harness import PRELOAD, Config, Harness, Result, Settings, call_once  # noqa: E402

import gated_ref as gr  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
DIAGRAMS = ROOT / "diagrams"
PASSES = ("fwd", "fwd+bwd")
SEED = 0
#: The NumPy worker's environment: one BLAS thread, as the training runs.
ONE_THREAD = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


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
    """Threads of NumPy's BLAS in the measuring worker, as threadpoolctl reports them there."""
    return int(call_once("contenders:blas_threads", env=ONE_THREAD))


def machine(blas: int | None = None) -> dict:
    """What the numbers depend on, besides the code (``blas``: the measuring worker's BLAS
    threads; by default those of a one-thread worker, as this record measures)."""
    return {
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "blas_threads": blas_threads() if blas is None else blas,
        "python": platform.python_version(),
        "numpy": np.__version__,
        "sympy": _version("sympy"),
        "torch": _version("torch"),
    }


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


def configs(comparison: dict) -> list[Config]:
    """Every cell x size x pass of the comparison table, in the NumPy worker."""
    out = []
    for name in comparison["cells"]:
        for n in comparison["sizes"]:
            for pass_ in PASSES:
                kwargs = {"cell": name, "dtype": comparison["dtype"], "pass_": pass_}
                kwargs |= {"t": comparison["T"], "b": comparison["B"], "i": n, "h": n}
                runs = {"ours": ("numpy", "contenders:ours", kwargs | {"seed": SEED})}
                out.append(Config(f"{name} {n} {pass_}", runs))
    return out


def _us(seconds: float, steps: int) -> float:
    """µs per time step, to 3 significant digits."""
    return float(f"{1e6 * seconds / steps:.3g}")


def record(settings: Settings, quick: bool = False) -> tuple[dict, Result]:
    """Measure everything the site shows; return the record and the harness's result."""
    comparison = _sizes()
    if quick:
        comparison |= {"T": 4, "sizes": [8]}
    info = machine()
    with Harness({"numpy": ONE_THREAD}, settings, preload=PRELOAD) as harness:
        result = harness.measure(configs(comparison))
    for stat, field in ((result.median, "us_per_step"), (result.min, "us_per_step_min")):
        node = comparison.setdefault(field, {})
        for name in comparison["cells"]:
            for n in comparison["sizes"]:
                by_pass = node.setdefault(name, {}).setdefault(str(n), {})
                for pass_ in PASSES:
                    by_pass[pass_] = _us(stat(f"{name} {n} {pass_}", "ours"), comparison["T"])
    data = {
        "about": (
            "Measured times of the generated NumPy kernels, in µs per time step of a whole "
            "batch; written by bench/record_kernel_times.py (make bench-record), read by "
            "diagrams/cell_comparison.py."
        ),
        "machine": info,
        "method": {
            "clock": (
                "wall time of each call (time.perf_counter) in a worker process of its own "
                "(bench/harness.py), one BLAS thread"
            ),
            "statistic": "median",
            "also": "us_per_step_min: the minimum of the same runs",
            "warmup": settings.warmup,
            "repeats": settings.rounds,
            "order": "interleaved rounds: each round times every configuration once",
            "harness": settings.describe(),
        },
        "load": result.load_record()
        | {
            "note": (
                "load average (1, 5, 15 min) of the machine, and the cores processes outside "
                "the bench used on average while it measured"
            ),
        },
        "comparison": comparison,
    }
    if quick:
        data["quick"] = True
    return data, result


def main(argv: list[str] | None = None) -> int:
    """Measure, and write the record atomically unless the machine was busy."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "data" / "kernel_times.json")
    parser.add_argument("--repeats", type=int, default=None, help="timed rounds (default 41)")
    parser.add_argument("--quick", action="store_true", help="tiny sizes, 3 rounds")
    parser.add_argument("--wait", type=float, default=None, help="s to wait for an idle machine")
    parser.add_argument("--busy-cores", type=float, default=0.25, help="busy above (cores)")
    parser.add_argument("--allow-busy", action="store_true", help="write a busy record too")
    args = parser.parse_args(argv)
    settings = Settings.for_cli(
        args.quick,
        args.repeats or (3 if args.quick else 41),
        1 if args.quick else 3,
        args.wait,
        args.busy_cores,
    )
    print("\n".join(settings.describe()), flush=True)
    data, result = record(settings, quick=args.quick)
    print("\n".join(result.report()))
    if result.busy and not args.allow_busy:
        print(f"busy: {args.out} not written (--allow-busy writes it, marked busy)")
        return 1
    args.out.parent.mkdir(parents=True, exist_ok=True)
    tmp = args.out.with_name(args.out.name + ".tmp")
    tmp.write_text(json.dumps(data, indent=1, sort_keys=True, ensure_ascii=False) + "\n", "utf-8")
    os.replace(tmp, args.out)
    print(f"wrote {args.out} ({data['load']['seconds']} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
