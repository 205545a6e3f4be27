"""`bench/bench_kernels.py --quick` runs warning-free, checks its implementations, prints its table.

No timing assertions: machines are noisy. This only keeps the benchmark from rotting.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[1] / "bench" / "bench_kernels.py"


def test_bench_quick_runs_and_prints_table() -> None:
    proc = subprocess.run(
        [sys.executable, "-W", "error", str(BENCH), "--quick"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    out = proc.stdout
    assert "check: numpy loop and torch agree with the generated kernel" in out
    header = next((line for line in out.splitlines() if line.startswith("cell ")), None)
    assert header is not None, out
    for column in ("dtype", "pass", "ours ms", "torch ms", "numpy-loop ms", "ours/torch"):
        assert column in header, header
    rows = [line.split() for line in out.splitlines() if line.split()[:1] in (["lstm"], ["gru"])]
    assert len(rows) == 8, out  # 2 cells x 2 dtypes x 2 passes


ZOO = BENCH.with_name("bench_zoo.py")


def test_zoo_bench_has_a_row_per_cell_and_dtype() -> None:
    import gated_ref as gr

    proc = subprocess.run(
        [sys.executable, "-W", "error", str(ZOO), "--quick"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    rows = [line.split() for line in proc.stdout.splitlines()]
    for name in gr.CELL_NAMES:
        dtypes = sorted(r[1] for r in rows if r[:1] == [name])
        assert dtypes == ["float32", "float64"], (name, proc.stdout)
