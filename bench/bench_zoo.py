"""Every cell against ``lstm``: forward and forward+backward wall time of the generated kernels.

One row per cell in ``gr.CELL_NAMES`` (so a new cell module adds a row), float64 and float32,
forward and forward+backward, T=100, B=64, I=H=256 (P=128 for a projection). Measured through
``bench/harness.py`` in one NumPy worker process: interleaved rounds (each round times every
cell, dtype and pass once), min and median, the ratio of the minima to ``lstm``'s at the same
dtype and pass, and the GEMMs each kernel runs per step (from the schedule). The load average
and the CPU other processes used are printed; when they kept the machine busy the ratios are
withheld.

Usage::

    python bench/bench_zoo.py            # 7 rounds (make bench)
    python bench/bench_zoo.py --quick    # tiny sizes, 2 rounds: a smoke test
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # this checkout's gated_ref

from harness import PRELOAD, Config, Harness, Settings  # noqa: E402

import gated_ref as gr  # noqa: E402
from gated_ref.derive import gemm_count  # noqa: E402

DTYPES = ("float64", "float32")
PASSES = ("fwd", "fwd+bwd")
SEED = 20261130


def configs(t: int, b: int, h: int) -> list[Config]:
    """Every cell x dtype x pass, the generated kernel in the NumPy worker."""
    return [
        Config(
            f"{name} {dtype} {pass_}",
            {
                "ours": (
                    "numpy",
                    "contenders:ours",
                    {"cell": name, "dtype": dtype, "pass_": pass_, "t": t, "b": b, "i": h, "h": h}
                    | {"seed": SEED},
                )
            },
        )
        for dtype in DTYPES
        for pass_ in PASSES
        for name in gr.CELL_NAMES
    ]


def main(argv: list[str] | None = None) -> int:
    """Print the table: cell, dtype, pass, min and median ms, ratio to lstm, GEMMs per step."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes, 2 rounds")
    parser.add_argument("--rounds", type=int, default=None, help="timed rounds (default 7)")
    parser.add_argument("--wait", type=float, default=None, help="s to wait for an idle machine")
    parser.add_argument("--busy-cores", type=float, default=0.25, help="busy above (cores)")
    args = parser.parse_args(argv)
    t, b, h = (5, 2, 8) if args.quick else (100, 64, 256)
    settings = Settings.for_cli(
        args.quick, args.rounds or (2 if args.quick else 7), 1, args.wait, args.busy_cores
    )
    print(f"zoo bench: T={t} B={b} I=H={h} (P=H/2 for a projection)")
    print("\n".join(settings.describe()), flush=True)
    with Harness({"numpy": None}, settings, preload=PRELOAD) as harness:
        result = harness.measure(configs(t, b, h))
    header = f"{'cell':<18} {'dtype':<8} {'pass':<8} {'min ms':>9} {'median ms':>10} {'/lstm':>8}"
    print(f"\n{header} {'GEMMs/step':>11}")
    for dtype in DTYPES:
        for pass_ in PASSES:
            for name in gr.CELL_NAMES:
                key = f"{name} {dtype} {pass_}"
                ratio = result.ratio(key, "ours", "ours", key_b=f"lstm {dtype} {pass_}")
                gemms = gemm_count(gr.cell(name))
                print(
                    f"{name:<18} {dtype:<8} {pass_:<8} {1e3 * result.min(key, 'ours'):9.2f} "
                    f"{1e3 * result.median(key, 'ours'):10.2f} "
                    f"{'withheld' if ratio is None else f'{ratio:.2f}':>8} "
                    f"{gemms.forward_step:>5} fwd {gemms.backward_step} bwd"
                )
    print("\nratio: min of the cell / min of lstm, same dtype and pass")
    print("\n".join(result.report()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
