"""Every cell against ``lstm``: forward + backward wall time of the generated kernels.

One row per cell in ``gr.CELL_NAMES`` (so a new cell module adds a row), float64 and float32,
T=100, B=64, I=H=256 (P=128 for a projection). Only NumPy runs in this process, so every cell
meets the same BLAS threads; the cells are timed round-robin within each round so that a slow
phase of the machine hits all of them alike. Reports min and median of the rounds, the ratio of
the minima to ``lstm``'s, and the GEMMs each kernel runs per step (from the schedule). The load
average is printed before and after; above ``--max-load`` the ratios are withheld.

Usage::

    python bench/bench_zoo.py            # 7 rounds (make bench)
    python bench/bench_zoo.py --quick    # tiny sizes, 2 rounds: a smoke test
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable

import numpy as np

import gated_ref as gr
from gated_ref.derive import gemm_count

SEED = 20261130


def runner(name: str, t: int, b: int, h: int, dtype: type) -> Callable[[], None]:
    """Forward + backward of one cell on fixed random data (I = H, P = H / 2)."""
    spec = gr.cell(name)
    kernel = gr.lower(spec)
    sizes = {size: max(1, h // 2) for size in spec.sizes}
    rng = np.random.default_rng(SEED)
    params = kernel.init_params(h, h, rng=rng, dtype=dtype, **sizes)
    x = rng.standard_normal((t, b, h)).astype(dtype)
    width = spec.size_of(spec.prev["h"], h, **sizes)
    dy = rng.standard_normal((t, b, width)).astype(dtype)

    def fwd_bwd() -> None:
        kernel.backward(dy, kernel.forward(x, params)[2])

    return fwd_bwd


def measure(runners: dict[str, Callable[[], None]], rounds: int) -> dict[str, list[float]]:
    """Wall seconds of each runner per round, round-robin, after one warm-up call each."""
    for run in runners.values():
        run()
    times: dict[str, list[float]] = {key: [] for key in runners}
    for _ in range(rounds):
        for key, run in runners.items():
            start = time.perf_counter()
            run()
            times[key].append(time.perf_counter() - start)
    return times


def main(argv: list[str] | None = None) -> int:
    """Print the table: cell, dtype, min and median ms, ratio to lstm, GEMMs per step."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes, 2 rounds")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--max-load", type=float, default=0.5 * (os.cpu_count() or 1))
    args = parser.parse_args(argv)
    t, b, h, rounds = (5, 2, 8, 2) if args.quick else (100, 64, 256, args.rounds)
    before = os.getloadavg()[0]
    print(f"zoo bench: T={t} B={b} I=H={h}, {rounds} rounds; load average {before:.2f}")
    header = f"{'cell':<18} {'dtype':<8} {'min ms':>9} {'median ms':>10} {'/lstm':>7}"
    print(f"{header} {'GEMMs/step':>11}")
    for dtype in (np.float64, np.float32):
        runners = {name: runner(name, t, b, h, dtype) for name in gr.CELL_NAMES}
        times = measure(runners, rounds)
        base = min(times["lstm"])
        after = os.getloadavg()[0]
        for name in gr.CELL_NAMES:
            best, med = min(times[name]), statistics.median(times[name])
            ratio = f"{best / base:7.2f}" if max(before, after) <= args.max_load else "   busy"
            gemms = gemm_count(gr.cell(name))
            print(
                f"{name:<18} {np.dtype(dtype).name:<8} {1e3 * best:9.2f} {1e3 * med:10.2f} "
                f"{ratio} {gemms.forward_step:>5} fwd {gemms.backward_step} bwd"
            )
    after = os.getloadavg()[0]
    print(f"load average after: {after:.2f} (ratios withheld above {args.max_load:.2f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
