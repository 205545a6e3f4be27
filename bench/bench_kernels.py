"""Wall time of the generated kernels against torch CPU and a plain NumPy loop, each measured alone.

For LSTM and GRU, float32 and float64, forward and forward+backward, min and median of the
timed runs of:

1. ours: the generated kernel, ``gr.lower(name)``, through its public API (input validation
   included: that is what a user pays);
2. torch: ``nn.LSTM`` / ``nn.GRU`` on CPU with ``torch.set_num_threads(cores)``; forward under
   ``torch.no_grad()``, forward+backward with autograd and ``y.backward(dy)``, gradients of x
   and of the initial state included (ours computes them too);
3. numpy-loop: the straightforward per-step NumPy implementation (``bench/numpy_loop.py``),
   checked against the generated kernel at startup.

Ours and the loop run in one worker process, torch in another (``bench/harness.py``): each run
starts only once the other worker's threads have stopped spinning, and is redone if they used
CPU during it. Ratios are of the minima, and are withheld when other processes kept the machine
busy. Usage::

    python bench/bench_kernels.py            # T=100, B=64, I=H=256, 7 rounds
    python bench/bench_kernels.py --quick    # tiny sizes, 2 rounds: a smoke test
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # this checkout's gated_ref

import numpy as np  # noqa: E402
from harness import PRELOAD, TORCH_ENV, Config, Harness, Result, Settings  # noqa: E402

CELLS = ("lstm", "gru")
DTYPES = ("float32", "float64")
PASSES = ("fwd", "fwd+bwd")
#: ours/torch targets (issue 13): forward+backward per dtype; forward of the float32 LSTM
#: against torch's fused oneDNN forward. Other rows have no target.
TARGETS = {
    ("lstm", "float64", "fwd+bwd"): 1.0,
    ("gru", "float64", "fwd+bwd"): 1.0,
    ("lstm", "float32", "fwd+bwd"): 1.25,
    ("gru", "float32", "fwd+bwd"): 1.25,
    ("lstm", "float32", "fwd"): 1.5,
}
CONTENDERS = {
    "ours": ("numpy", "contenders:ours"),
    "torch": ("torch", "contenders:torch_rnn"),
    "numpy-loop": ("numpy", "contenders:numpy_loop"),
}
HEADER = (
    f"{'cell':<5} {'dtype':<8} {'pass':<8} {'ours min':>9} {'med':>8} {'torch min':>9} "
    f"{'med':>8} {'numpy-loop min':>14} {'med':>8} {'ours/torch':>10} {'ours/loop':>9} "
    f"{'target':>6} {'met':>4}"
)


def blas_report() -> str:
    """NumPy's BLAS and OpenMP libraries as threadpoolctl reports them."""
    from threadpoolctl import threadpool_info

    return "\n".join(
        f"  {d['user_api']}: {d['internal_api']} {d.get('version')} threads={d['num_threads']} "
        f"arch={d.get('architecture', '-')} ({os.path.basename(d['filepath'])})"
        for d in threadpool_info()
    )


def configs(cells: list[str], sizes: dict[str, int], threads: int) -> list[Config]:
    """Every cell x dtype x pass, with the three contenders."""
    out = []
    for cell in cells:
        for dtype in DTYPES:
            for pass_ in PASSES:
                kwargs = {"cell": cell, "dtype": dtype, "pass_": pass_, **sizes}
                runs = {
                    label: (
                        worker,
                        factory,
                        kwargs | ({"threads": threads} if worker == "torch" else {}),
                    )
                    for label, (worker, factory) in CONTENDERS.items()
                }
                out.append(Config(f"{cell} {dtype} {pass_}", runs))
    return out


def table(result: Result, cells: list[str]) -> list[str]:
    """The rows: min and median ms per contender, ratios of the minima, the target."""
    lines = [HEADER, "-" * len(HEADER)]
    for cell in cells:
        for dtype in DTYPES:
            for pass_ in PASSES:
                key = f"{cell} {dtype} {pass_}"
                ms = [
                    f"{1e3 * result.min(key, c):>{w}.2f} {1e3 * result.median(key, c):>8.2f}"
                    for c, w in (("ours", 9), ("torch", 9), ("numpy-loop", 14))
                ]
                r_torch = result.ratio(key, "ours", "torch")
                r_loop = result.ratio(key, "ours", "numpy-loop")
                target = TARGETS.get((cell, dtype, pass_))
                met = (
                    "-"
                    if target is None or r_torch is None
                    else ("yes" if r_torch <= target else "no")
                )
                lines.append(
                    f"{cell:<5} {dtype:<8} {pass_:<8} {' '.join(ms)} "
                    f"{'withheld' if r_torch is None else f'{r_torch:.2f}':>10} "
                    f"{'withheld' if r_loop is None else f'{r_loop:.2f}':>9} "
                    f"{'-' if target is None else f'<={target:g}':>6} {met:>4}"
                )
    return lines


def onednn_report(ops: list[str]) -> str:
    """Whether torch's float32 LSTM forward ran oneDNN (mkldnn ops in ``torch.profiler``)."""
    mkldnn = [op for op in ops if "mkldnn" in op or "onednn" in op.lower()]
    if mkldnn:
        return f"torch float32 LSTM forward ran oneDNN: yes ({', '.join(mkldnn)})"
    return f"torch float32 LSTM forward ran oneDNN: NO; its ops: {', '.join(ops)}"


def main(argv: list[str] | None = None) -> int:
    """Check the implementations agree, then measure and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes, 2 rounds")
    parser.add_argument("--rounds", type=int, default=None, help="timed rounds (default 7)")
    parser.add_argument("--cells", nargs="+", default=list(CELLS), choices=CELLS)
    parser.add_argument("--wait", type=float, default=None, help="s to wait for an idle machine")
    parser.add_argument("--busy-cores", type=float, default=0.25, help="busy above (cores)")
    args = parser.parse_args(argv)
    t, b, i, h = (3, 2, 4, 4) if args.quick else (100, 64, 256, 256)
    sizes = {"t": t, "b": b, "i": i, "h": h}
    settings = Settings.for_cli(
        args.quick,
        args.rounds or (2 if args.quick else 7),
        1 if args.quick else 2,
        args.wait,
        args.busy_cores,
    )
    threads = os.cpu_count() or 1
    print(f"python {platform.python_version()}, numpy {np.__version__}")
    print(f"cpu: {platform.processor() or platform.machine()}, os.cpu_count() = {threads}")
    for var in ("OPENBLAS_CORETYPE", "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        print(f"{var} = {os.environ.get(var, '(unset)')}")
    print("numpy worker's threadpools:\n" + blas_report())
    print(f"torch worker: torch.set_num_threads({threads}), OPENBLAS_NUM_THREADS=1 (no NumPy BLAS)")
    print(f"sizes: T={t} B={b} I={i} H={h}")
    with Harness({"numpy": None, "torch": TORCH_ENV}, settings, preload=PRELOAD) as harness:
        for cell in args.cells:  # each worker checks with its own library only
            ref = harness.call("numpy", "contenders:numpy_check", cell=cell)
            harness.call("torch", "contenders:torch_check", cell=cell, y=ref["y"], dx=ref["dx"])
        print("check: numpy loop and torch agree with the generated kernel (float64, rel err")
        print("       <= 1e-10 for y, the final states and every gradient)")
        ops = harness.call(
            "torch",
            "contenders:torch_forward_ops",
            cell="lstm",
            dtype="float32",
            **sizes,
            threads=threads,
        )
        print(onednn_report(ops))
        print("\n".join(settings.describe()), flush=True)
        result = harness.measure(configs(args.cells, sizes, threads))
    print()
    print("\n".join(table(result, args.cells)))
    print()
    print("ms per call; ratios are of the minima; target: ours/torch (issue 13)")
    print("\n".join(result.report()))
    print(f"total {result.seconds:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
