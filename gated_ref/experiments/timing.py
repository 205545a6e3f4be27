"""Time per training step where the matrix products dominate, each contender alone.

The generated kernels and ``torch.nn.LSTM`` / ``torch.nn.GRU`` on the CPU, forward + backward
(gradients of every parameter, of x and of the initial state), at T = 100, B = 64,
I = H = 256, float32 and float64. Every measurement runs in a process of its own, so no other
library's threads spin on the cores while it runs; contenders take turns in rounds, so a noisy
phase of the machine hits them alike. Each contender's repeats are pooled over the rounds:
the record keeps the minimum, the median and every repeat, and the load average before each.

Run as ``python -m gated_ref.experiments.timing <impl> <cell> <dtype> <repeats>`` it measures
one contender in this process and prints its times as JSON (the parent's building block).
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time

import numpy as np

SIZES = {"T": 100, "B": 64, "I": 256, "H": 256}
CELLS = ("lstm", "gru")
IMPLS = ("gated_ref", "torch")
DTYPES = ("float32", "float64")
WARMUP = 2


def _problem(dtype: str) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    t, b, i, h = SIZES["T"], SIZES["B"], SIZES["I"], SIZES["H"]
    return rng.standard_normal((t, b, i)).astype(dtype), rng.standard_normal((t, b, h)).astype(
        dtype
    )


def _ours(cell: str, dtype: str):  # noqa: ANN202
    import gated_ref as gr

    kernel = gr.lower(cell)
    params = kernel.init_params(SIZES["I"], SIZES["H"], rng=np.random.default_rng(1), dtype=dtype)
    x, dy = _problem(dtype)

    def step() -> None:
        y, _, cache = kernel.forward(x, params)
        kernel.backward(dy, cache)

    return step


def _torch(cell: str, dtype: str):  # noqa: ANN202
    import torch

    torch.manual_seed(1)
    module = {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU}[cell](SIZES["I"], SIZES["H"])
    module = module.to(getattr(torch, dtype))
    x_np, dy_np = _problem(dtype)
    x, dy = torch.from_numpy(x_np), torch.from_numpy(dy_np)
    shape = (1, SIZES["B"], SIZES["H"])
    h0 = torch.zeros(shape, dtype=x.dtype)

    def step() -> None:
        xx = x.clone().requires_grad_(True)
        hh = h0.clone().requires_grad_(True)
        state = (hh, torch.zeros_like(hh).requires_grad_(True)) if cell == "lstm" else hh
        module.zero_grad(set_to_none=True)
        y, _ = module(xx, state)
        y.backward(dy)

    return step


def measure_here(impl: str, cell: str, dtype: str, repeats: int) -> list[float]:
    """Seconds per forward + backward of the whole sequence, ``repeats`` times, here."""
    if impl not in IMPLS or cell not in CELLS or dtype not in DTYPES:
        raise ValueError(
            f"contender: got {(impl, cell, dtype)}, expected impl in {IMPLS}, cell in {CELLS}, "
            f"dtype in {DTYPES}"
        )
    step = (_ours if impl == "gated_ref" else _torch)(cell, dtype)
    for _ in range(WARMUP):
        step()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
    return times


def measure_all(rounds: int = 3, repeats: int = 3, log=print) -> dict:  # noqa: ANN001
    """Every contender in its own process, ``rounds`` interleaved rounds of ``repeats`` each."""
    contenders = [(i, c, d) for c in CELLS for d in DTYPES for i in IMPLS]
    times: dict[str, list[float]] = {}
    loads: list[float] = []
    for r in range(rounds):
        for impl, cell, dtype in contenders:
            loads.append(round(os.getloadavg()[0], 2))
            cmd = [sys.executable, "-m", __name__, impl, cell, dtype, str(repeats)]
            done = subprocess.run(cmd, capture_output=True, text=True, check=False)
            if done.returncode != 0:
                raise RuntimeError(f"timing {impl} {cell} {dtype} failed:\n{done.stderr}")
            key = f"{impl}/{cell}/{dtype}"
            times.setdefault(key, []).extend(json.loads(done.stdout))
            log(f"timing round {r + 1}/{rounds}: {key} min {min(times[key]) * 1e3:.1f} ms")
    return {
        "sizes": SIZES,
        "what": "forward + backward over T steps (all parameter, input and state gradients)",
        "rounds": rounds,
        "repeats_per_round": repeats,
        "load_average_before": loads,
        "torch_threads": _torch_threads(),
        "seconds": {
            k: {"min": min(v), "median": statistics.median(v), "all": v}
            for k, v in sorted(times.items())
        },
    }


def _torch_threads() -> int:
    cmd = [sys.executable, "-c", "import torch; print(torch.get_num_threads())"]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    return int(done.stdout.strip()) if done.returncode == 0 else 0


if __name__ == "__main__":
    impl_, cell_, dtype_, repeats_ = sys.argv[1:5]
    print(json.dumps(measure_here(impl_, cell_, dtype_, int(repeats_))))
