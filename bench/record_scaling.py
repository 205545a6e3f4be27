"""Record how the generated kernels scale against torch: ``data/kernel_scaling.json``.

The grid of issue 13: T in {10, 100, 1000} x B in {1, 64} x H in {64, 256, 1024} (I = H), LSTM
and GRU, float32, forward + backward. For each point: our time and torch's (min and median of
the rounds), the ratio of the minima, and the fraction of our time spent in GEMMs, from
``bench/profile_kernels.py``'s ``gemm_fraction(cell, dtype, T, B, H)``, called in the NumPy
worker after the timing.

Measured through ``bench/harness.py``: ours in a NumPy worker process, torch (all cores) in a
worker of its own; one configuration at a time (the largest do not fit in memory together),
its rounds alternating between the two, each run alone with the other worker's threads idle.
A configuration whose single warm-up run takes longer than ``LONG_RUN`` s gets
``LONG_ROUNDS`` rounds instead of 7; the record says which. The record keeps the machine, the
method and the load, and no date; on a busy machine the ratios are withheld (``null``).

Usage::

    python bench/record_scaling.py                      # make bench-scaling
    python bench/record_scaling.py --quick --out /tmp/s.json   # tiny grid: a smoke test
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # this checkout's gated_ref

from harness import PRELOAD, TORCH_ENV, Config, Harness, Result, Settings  # noqa: E402
from record_kernel_times import machine  # noqa: E402
from worker import resolve  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
GRID = {"T": [10, 100, 1000], "B": [1, 64], "H": [64, 256, 1024], "cells": ["lstm", "gru"]}
QUICK_GRID = {"T": [3, 5], "B": [1, 2], "H": [4, 8], "cells": ["lstm", "gru"]}
DTYPE = "float32"
ROUNDS, LONG_RUN, LONG_ROUNDS = 7, 10.0, 3
GEMM_FRACTION = "profile_kernels:gemm_fraction"
SEED = 0


def points(grid: dict) -> list[tuple[str, int, int, int]]:
    """(cell, T, B, H) for every point of the grid, cells outermost."""
    return [
        (c, t, b, h) for c in grid["cells"] for t in grid["T"] for b in grid["B"] for h in grid["H"]
    ]


def key(cell: str, t: int, b: int, h: int) -> str:
    """The harness key of one point."""
    return f"{cell} T={t} B={b} H={h}"


def configs(grid: dict, threads: int) -> list[Config]:
    """Ours and torch at every point of the grid."""
    out = []
    for cell, t, b, h in points(grid):
        kwargs = {"cell": cell, "dtype": DTYPE, "pass_": "fwd+bwd", "t": t, "b": b, "i": h, "h": h}
        kwargs["seed"] = SEED
        runs = {
            "ours": ("numpy", "contenders:ours", kwargs),
            "torch": ("torch", "contenders:torch_rnn", kwargs | {"threads": threads}),
        }
        out.append(Config(key(cell, t, b, h), runs))
    return out


def rows(result: Result, grid: dict, fractions: dict[str, float | None]) -> list[dict]:
    """One record row per point: ms (min, median), runs, ratio of minima, GEMM fraction."""
    out = []
    for cell, t, b, h in points(grid):
        k = key(cell, t, b, h)
        ratio = result.ratio(k, "ours", "torch")
        out.append(
            {
                "cell": cell,
                "T": t,
                "B": b,
                "H": h,
                "runs": result.rounds[k],
                "ours_ms_min": round(1e3 * result.min(k, "ours"), 4),
                "ours_ms_median": round(1e3 * result.median(k, "ours"), 4),
                "torch_ms_min": round(1e3 * result.min(k, "torch"), 4),
                "torch_ms_median": round(1e3 * result.median(k, "torch"), 4),
                "ratio": None if ratio is None else round(ratio, 3),
                "gemm_fraction": fractions[k],
            }
        )
    return out


def record(settings: Settings, grid: dict, gemm_fn: str | None, quick: bool) -> tuple[dict, Result]:
    """Measure the grid; return the record and the harness's result."""
    threads = os.cpu_count() or 1
    with Harness({"numpy": None, "torch": TORCH_ENV}, settings, preload=PRELOAD) as harness:
        info = machine(int(harness.call("numpy", "contenders:blas_threads")))
        result = harness.measure(configs(grid, threads))
        fractions: dict[str, float | None] = {}
        for cell, t, b, h in points(grid):
            k = key(cell, t, b, h)
            if gemm_fn is None:
                fractions[k] = None
                continue
            value = harness.call("numpy", gemm_fn, cell=cell, dtype=DTYPE, T=t, B=b, H=h)
            if not (isinstance(value, float) and 0.0 <= value <= 1.0):
                raise ValueError(f"{gemm_fn}({k}): got {value!r}, expected a float in [0, 1]")
            fractions[k] = round(value, 3)
    data = {
        "about": (
            "Forward + backward wall time of the generated kernels against torch CPU over "
            "T x B x H (I = H), float32; written by bench/record_scaling.py (make "
            "bench-scaling), read by diagrams/kernel_scaling.py."
        ),
        "quick": quick,
        "machine": info | {"torch_threads": threads},
        "method": {
            "pass": "forward + backward",
            "dtype": DTYPE,
            "sizes": "I = H",
            "statistic": "min and median of the rounds; ratio = ours min / torch min",
            "rounds": settings.rounds,
            "long_run_seconds": settings.long_run,
            "long_rounds": settings.long_rounds,
            "harness": settings.describe(),
            "gemm_fraction": (
                f"{gemm_fn}(cell, dtype, T, B, H), in the NumPy worker after the timing"
                if gemm_fn
                else "not measured (--no-gemm-fraction)"
            ),
        },
        "load": result.load_record(),
        "grid": grid,
        "rows": rows(result, grid, fractions),
    }
    return data, result


def main(argv: list[str] | None = None) -> int:
    """Measure the grid and write the record atomically."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "data" / "kernel_scaling.json")
    parser.add_argument("--quick", action="store_true", help="tiny grid, 2 rounds: a placeholder")
    parser.add_argument("--wait", type=float, default=None, help="s to wait for an idle machine")
    parser.add_argument("--busy-cores", type=float, default=0.25, help="busy above (cores)")
    parser.add_argument("--gemm-fraction", default=GEMM_FRACTION, help="module:function")
    parser.add_argument("--no-gemm-fraction", action="store_true", help="record it as null")
    args = parser.parse_args(argv)
    gemm_fn = None if args.no_gemm_fraction else args.gemm_fraction
    if gemm_fn is not None:
        try:
            resolve(gemm_fn)
        except (ImportError, AttributeError) as exc:
            parser.error(f"--gemm-fraction {gemm_fn}: {exc} (bench/profile_kernels.py provides it)")
    settings = Settings.for_cli(
        args.quick,
        2 if args.quick else ROUNDS,
        1,
        args.wait,
        args.busy_cores,
        interleave="config",
        long_run=LONG_RUN,
        long_rounds=LONG_ROUNDS,
    )
    print("\n".join(settings.describe()), flush=True)
    data, result = record(settings, QUICK_GRID if args.quick else GRID, gemm_fn, args.quick)
    print("\n".join(result.report()))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    tmp = args.out.with_name(args.out.name + ".tmp")
    tmp.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n", "utf-8")
    os.replace(tmp, args.out)
    print(f"wrote {args.out} ({data['load']['seconds']} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
