"""`bench/bench_kernels.py --quick` and `bench/bench_zoo.py --quick` run warning-free through the
harness, check their implementations and print their tables; on a busy machine they withhold the
ratios and say so.

No timing assertions: machines are noisy. This only keeps the benchmarks from rotting. (The
harness's own promises: ``tests/test_bench_harness.py``.)
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[1] / "bench" / "bench_kernels.py"


#: Another process burning a core: niced, so it takes only what the bench leaves idle.
BURN = "import os\nos.nice(19)\nwhile True: pass"


def _run(script: Path, *args: str) -> str:
    proc = subprocess.run(
        [sys.executable, "-W", "error", str(script), "--quick", *args],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout


def test_bench_quick_runs_and_prints_table() -> None:
    """With the busy threshold out of reach, every row has times, both ratios and its target."""
    out = _run(BENCH, "--busy-cores", "1000")
    assert "check: numpy loop and torch agree with the generated kernel" in out
    assert "torch float32 LSTM forward ran oneDNN: yes (aten::mkldnn_rnn_layer" in out, out
    assert "load average (1/5/15 min): before " in out
    assert "ratios withheld if they used > 1000 core" in out  # the threshold is stated
    header = next((line for line in out.splitlines() if line.startswith("cell ")), None)
    assert header is not None, out
    for column in ("dtype", "pass", "ours min", "med", "torch min", "numpy-loop min"):
        assert column in header, header
    assert "ours/torch" in header and "target" in header
    rows = [line.split() for line in out.splitlines() if line.split()[:1] in (["lstm"], ["gru"])]
    assert len(rows) == 8, out  # 2 cells x 2 dtypes x 2 passes
    for row in rows:
        cell, dtype, pass_, *numbers = row
        ms = [float(v) for v in numbers[:6]]  # min and median of ours, torch, the loop
        assert all(v > 0 for v in ms) and ms[0] <= ms[1] and ms[2] <= ms[3], row
        ratio = ms[0] / ms[2]  # ours/torch: ratio of the minima (printed to 0.01 ms)
        assert abs(float(numbers[6]) - ratio) <= 0.03 * ratio + 0.01, row
    targets = {(r[0], r[1], r[2]): r[-2] for r in rows}
    assert targets[("lstm", "float64", "fwd+bwd")] == "<=1"
    assert targets[("gru", "float32", "fwd+bwd")] == "<=1.25"
    assert targets[("lstm", "float32", "fwd")] == "<=1.5"


ZOO = BENCH.with_name("bench_zoo.py")


def test_zoo_bench_has_a_row_per_cell_and_withholds_ratios_when_busy() -> None:
    """Another process burns a core meanwhile: every ratio is withheld, and the output says so."""
    import gated_ref as gr

    burner = subprocess.Popen([sys.executable, "-c", BURN])  # noqa: S603
    try:
        out = _run(ZOO)
    finally:
        burner.kill()
        burner.wait()
    rows = [line.split() for line in out.splitlines()]
    for name in gr.CELL_NAMES:
        mine = [r for r in rows if r[:1] == [name]]
        got = sorted((r[1], r[2]) for r in mine)
        assert got == [(d, p) for d in ("float32", "float64") for p in ("fwd", "fwd+bwd")], out
        assert all(r[5] == "withheld" for r in mine), mine
    assert "busy: ratios withheld (other processes used" in out, out
