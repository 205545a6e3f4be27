"""Wall time of the generated kernels against torch CPU and a plain NumPy loop.

For LSTM and GRU, float32 and float64, forward and forward+backward, the median wall time of:

1. ours: the generated kernel, ``gr.lower(gr.cell(name))``, through its public API (input
   validation included: that is what a user pays);
2. torch: ``nn.LSTM`` / ``nn.GRU`` on CPU with the thread count of NumPy's BLAS; forward under
   ``torch.no_grad()``, forward+backward with autograd and ``y.backward(dy)``, gradients of
   x and of the initial state included (ours computes them too);
3. numpy-loop: the straightforward per-step NumPy implementation written below (one matmul
   per weight per step, manual backward), checked against the generated kernel at startup.

The three implementations are timed round-robin within each repeat, so that a slow phase of
a noisy machine hits all of them alike. Usage::

    python bench/bench_kernels.py            # T=100, B=64, I=H=256
    python bench/bench_kernels.py --quick    # tiny sizes, one repeat: a smoke test
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable

import numpy as np
import torch

import gated_ref as gr

CELLS = ("lstm", "gru")
DTYPES = (np.float32, np.float64)
PASSES = ("fwd", "fwd+bwd")
TARGET = 1.5  # ours/torch for forward+backward
HEADER = (
    f"{'cell':<5} {'dtype':<8} {'pass':<8} {'ours ms':>9} {'torch ms':>9} {'numpy-loop ms':>14} "
    f"{'ours/torch':>10} {'ours/numpy':>10} {'<=' + str(TARGET):>6}"
)


# ---- threads ---------------------------------------------------------------------------------


def blas_threads() -> tuple[int, str]:
    """NumPy's BLAS thread count (threadpoolctl if installed, else os.cpu_count()) and a report."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        n = os.cpu_count() or 1
        return n, f"threadpoolctl not installed; using os.cpu_count() = {n}"
    info = threadpool_info()
    lines = [
        f"  {d['user_api']}: {d['internal_api']} {d.get('version')} "
        f"threads={d['num_threads']} arch={d.get('architecture', '-')} "
        f"layer={d.get('threading_layer', '-')} ({os.path.basename(d['filepath'])})"
        for d in info
    ]
    blas = [d["num_threads"] for d in info if d["user_api"] == "blas"]
    n = max(blas) if blas else (os.cpu_count() or 1)
    return n, "threadpoolctl:\n" + "\n".join(lines)


def load_average() -> str:
    try:
        return " ".join(f"{v:.2f}" for v in os.getloadavg())
    except OSError:  # not available on this platform
        return "n/a"


# ---- the plain NumPy loop: one straightforward implementation, forward and manual backward -----


def _sigmoid(a: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-a))


def loop_forward(name: str, x: np.ndarray, p: dict, state: dict) -> tuple:
    """Per step: a = x_t W_ih^T + b_ih + h W_hh^T + b_hh, then the gates: y, final, cache."""
    T, B, _ = x.shape  # noqa: N806
    H = p["weight_hh"].shape[1]  # noqa: N806
    h = state["h"]
    c = state.get("c")
    steps = []
    y = np.empty((T, B, H), x.dtype)
    for t in range(T):
        ax = x[t] @ p["weight_ih"].T + p["bias_ih"]
        ah = h @ p["weight_hh"].T + p["bias_hh"]
        if name == "lstm":
            a = ax + ah
            i = _sigmoid(a[:, :H])
            f = _sigmoid(a[:, H : 2 * H])
            g = np.tanh(a[:, 2 * H : 3 * H])
            o = _sigmoid(a[:, 3 * H :])
            c_new = f * c + i * g
            tc = np.tanh(c_new)
            h_new = o * tc
            steps.append((h, c, i, f, g, o, tc))
            c = c_new
        else:  # gru, reset-after
            r = _sigmoid(ax[:, :H] + ah[:, :H])
            z = _sigmoid(ax[:, H : 2 * H] + ah[:, H : 2 * H])
            ah_n = ah[:, 2 * H :]
            n = np.tanh(ax[:, 2 * H :] + r * ah_n)
            h_new = (1 - z) * n + z * h
            steps.append((h, r, z, n, ah_n))
        h = h_new
        y[t] = h
    final = {"h": h} if c is None else {"h": h, "c": c}
    return y, final, (x, p, steps)


def loop_backward(name: str, dy: np.ndarray, cache: tuple, dstate: dict) -> dict:
    """Backpropagation through time, step by step, with per-step weight-gradient matmuls."""
    x, p, steps = cache
    grads = {k: np.zeros_like(v) for k, v in p.items()}
    dx = np.empty_like(x)
    dh = dstate["h"]
    dc = dstate.get("c")
    for t in range(x.shape[0] - 1, -1, -1):
        dh = dh + dy[t]
        if name == "lstm":
            h_prev, c_prev, i, f, g, o, tc = steps[t]
            do = dh * tc
            dc = dc + dh * o * (1 - tc * tc)
            da = np.concatenate(
                [
                    dc * g * i * (1 - i),
                    dc * c_prev * f * (1 - f),
                    dc * i * (1 - g * g),
                    do * o * (1 - o),
                ],
                axis=1,
            )
            dc = dc * f
            dax = dah = da
        else:
            h_prev, r, z, n, ah_n = steps[t]
            dn = dh * (1 - z)
            dz = dh * (h_prev - n)
            dan = dn * (1 - n * n)
            dar = dan * ah_n * r * (1 - r)
            daz = dz * z * (1 - z)
            dax = np.concatenate([dar, daz, dan], axis=1)
            dah = np.concatenate([dar, daz, dan * r], axis=1)
            dh = dh * z
        grads["weight_ih"] += dax.T @ x[t]
        grads["bias_ih"] += dax.sum(axis=0)
        grads["weight_hh"] += dah.T @ h_prev
        grads["bias_hh"] += dah.sum(axis=0)
        dx[t] = dax @ p["weight_ih"]
        dh = (dh if name == "gru" else 0) + dah @ p["weight_hh"]
    grads["x"] = dx
    grads["h"] = dh
    if dc is not None:
        grads["c"] = dc
    return grads


# ---- torch -----------------------------------------------------------------------------------


def torch_module(name: str, params: dict, dtype: np.dtype) -> torch.nn.Module:
    I, H = params["weight_ih"].shape[1], params["weight_hh"].shape[1]  # noqa: E741, N806
    cls = {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU}[name]
    module = cls(I, H, dtype=torch.float32 if dtype == np.float32 else torch.float64)
    with torch.no_grad():
        for key, value in params.items():
            getattr(module, f"{key}_l0").copy_(torch.from_numpy(value))
    return module


def torch_runners(name: str, params: dict, x, state, dy) -> tuple[Callable, Callable]:  # noqa: ANN001
    module = torch_module(name, params, x.dtype)
    xt = torch.from_numpy(x)
    init = {s: torch.from_numpy(v[None]) for s, v in state.items()}
    dyt = torch.from_numpy(dy)

    def call(xx, ii):  # noqa: ANN001, ANN202
        if name == "lstm":
            y, (h, c) = module(xx, (ii["h"], ii["c"]))
            return y, {"h": h, "c": c}
        y, h = module(xx, ii["h"])
        return y, {"h": h}

    def fwd():  # noqa: ANN202
        with torch.no_grad():
            return call(xt, init)

    def fwd_bwd():  # noqa: ANN202
        module.zero_grad(set_to_none=True)
        xg = xt.detach().requires_grad_(True)
        ig = {s: v.detach().requires_grad_(True) for s, v in init.items()}
        y, _ = call(xg, ig)
        y.backward(dyt)  # gradients of the weights, of x and of the initial state
        return xg.grad

    return fwd, fwd_bwd


# ---- checks at startup -------------------------------------------------------------------------


def rel_err(a: np.ndarray, b: np.ndarray) -> float:
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    denom = np.linalg.norm(b)
    return float(np.linalg.norm(a - b) / denom) if denom > 0 else float(np.linalg.norm(a))


def make_problem(name: str, T: int, B: int, I: int, H: int, dtype, seed: int = 0):  # noqa: E741, N803, ANN001, ANN201
    rng = np.random.default_rng(seed)
    kernel = gr.lower(gr.cell(name))
    params = kernel.init_params(I, H, rng=rng, dtype=dtype)
    states = gr.cell(name).states
    x = rng.standard_normal((T, B, I)).astype(dtype)
    state = {s: (0.5 * rng.standard_normal((B, H))).astype(dtype) for s in states}
    dy = rng.standard_normal((T, B, H)).astype(dtype)
    dstate = {s: rng.standard_normal((B, H)).astype(dtype) for s in states}
    return kernel, params, x, state, dy, dstate


def check_implementations(name: str) -> None:
    """The NumPy loop and torch agree with the generated kernel (float64): an honest comparison."""
    kernel, params, x, state, dy, dstate = make_problem(name, 5, 3, 4, 6, np.float64, seed=1)
    y, final, cache = kernel.forward(x, params, state)
    grads = kernel.backward(dy, cache, dstate)
    y2, final2, cache2 = loop_forward(name, x, params, state)
    grads2 = loop_backward(name, dy, cache2, dstate)
    errs = {"y": rel_err(y2, y)}
    errs |= {f"final[{s}]": rel_err(final2[s], final[s]) for s in final}
    if set(grads2) != set(grads):
        raise AssertionError(f"{name}: numpy loop grads {sorted(grads2)} != {sorted(grads)}")
    errs |= {f"d{k}": rel_err(grads2[k], grads[k]) for k in grads}
    torch_fwd, torch_fwd_bwd = torch_runners(name, params, x, state, dy)
    errs["torch y"] = rel_err(torch_fwd()[0].numpy(), y)
    grads0 = kernel.backward(dy, cache)  # dstate = None, as torch's y.backward(dy)
    errs["torch dx"] = rel_err(torch_fwd_bwd().numpy(), grads0["x"])
    bad = {k: v for k, v in errs.items() if not v <= 1e-10}
    if bad:
        raise AssertionError(f"{name}: implementations disagree with the generated kernel: {bad}")


# ---- timing ------------------------------------------------------------------------------------


def bench_config(name: str, dtype, pass_: str, sizes: tuple, warmup: int, repeats: int) -> dict:  # noqa: ANN001
    kernel, params, x, state, dy, _ = make_problem(name, *sizes, dtype)
    torch_fwd, torch_fwd_bwd = torch_runners(name, params, x, state, dy)
    # the loss is <y, dy>, as torch's y.backward(dy): no gradient flows into the final state
    dstate = {s: np.zeros_like(v) for s, v in state.items()}
    if pass_ == "fwd":
        runners = {
            "ours": lambda: kernel.forward(x, params, state),
            "torch": torch_fwd,
            "numpy": lambda: loop_forward(name, x, params, state),
        }
    else:

        def ours() -> dict:
            _, _, cache = kernel.forward(x, params, state)
            return kernel.backward(dy, cache)

        def loop() -> dict:
            _, _, cache = loop_forward(name, x, params, state)
            return loop_backward(name, dy, cache, dstate)

        runners = {"ours": ours, "torch": torch_fwd_bwd, "numpy": loop}
    times: dict[str, list[float]] = {k: [] for k in runners}
    for rep in range(warmup + repeats):
        for key, run in runners.items():  # round-robin: drift hits all three alike
            t0 = time.perf_counter()
            run()
            elapsed = time.perf_counter() - t0
            if rep >= warmup:
                times[key].append(elapsed * 1e3)
    return {k: statistics.median(v) for k, v in times.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes, one repeat")
    parser.add_argument("--repeats", type=int, default=None, help="timed repeats per config")
    parser.add_argument("--cells", nargs="+", default=list(CELLS), choices=CELLS)
    args = parser.parse_args(argv)
    sizes = (3, 2, 4, 4) if args.quick else (100, 64, 256, 256)  # T, B, I, H
    warmup = 1 if args.quick else 2
    repeats = args.repeats or (1 if args.quick else 7)

    n_threads, thread_report = blas_threads()
    torch.set_num_threads(n_threads)
    print(f"python {platform.python_version()}, numpy {np.__version__}, torch {torch.__version__}")
    print(f"cpu: {platform.processor() or platform.machine()}, os.cpu_count() = {os.cpu_count()}")
    for var in ("OPENBLAS_CORETYPE", "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        print(f"{var} = {os.environ.get(var, '(unset)')}")
    print(thread_report)
    print(f"threads: numpy BLAS {n_threads}, torch.set_num_threads({n_threads})")
    T, B, I, H = sizes  # noqa: E741, N806
    print(f"sizes: T={T} B={B} I={I} H={H}; warm-up {warmup}, median of {repeats}")
    print(f"load average before: {load_average()} (other processes make the numbers noisy)")

    for name in args.cells:
        check_implementations(name)
    print("check: numpy loop and torch agree with the generated kernel (float64, rel err <= 1e-10)")
    print()
    print(HEADER)
    print("-" * len(HEADER))
    start = time.perf_counter()
    for name in args.cells:
        for dtype in DTYPES:
            for pass_ in PASSES:
                ms = bench_config(name, dtype, pass_, sizes, warmup, repeats)
                r_torch, r_numpy = ms["ours"] / ms["torch"], ms["ours"] / ms["numpy"]
                ok = "yes" if r_torch <= TARGET else "no"
                print(
                    f"{name:<5} {np.dtype(dtype).name:<8} {pass_:<8} {ms['ours']:>9.2f} "
                    f"{ms['torch']:>9.2f} {ms['numpy']:>14.2f} {r_torch:>10.2f} "
                    f"{r_numpy:>10.2f} {ok:>6}",
                    flush=True,
                )
    elapsed = time.perf_counter() - start
    print(f"\n(target: ours/torch <= {TARGET} for fwd+bwd; total {elapsed:.1f} s)")
    print(f"load average after: {load_average()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
