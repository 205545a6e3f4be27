"""What the benchmark workers run: zero-argument callables built from a seed, one per contender.

Each factory builds its data with :func:`problems.make_problem` and returns the call to time:

- :func:`ours`: the generated kernel, ``gr.lower(cell)``, through its public API (input
  validation included: that is what a user pays);
- :func:`numpy_loop`: the plain per-step NumPy implementation (``numpy_loop.py``);
- :func:`torch_rnn`: ``torch.nn.LSTM`` / ``GRU`` on CPU; forward under ``torch.no_grad()``,
  forward+backward with autograd and ``y.backward(dy)``, gradients of x and of the initial state
  included (ours computes them too). It calls no NumPy BLAS: NumPy only draws the data;
- :func:`spinner`: the harness's own test contender, a thread that keeps spinning after a call
  (what OpenBLAS and OpenMP worker threads do), or a sleeper.

Plus the startup checks, each in its own worker: :func:`numpy_check` and :func:`torch_check`
(the three implementations agree, float64), and :func:`torch_forward_ops` (which ATen ops
torch's forward really ran).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import numpy as np
from numpy_loop import loop_backward, loop_forward

PASSES = ("fwd", "fwd+bwd")


def _check_pass(pass_: str) -> None:
    if pass_ not in PASSES:
        raise ValueError(f"pass_: got {pass_!r}, expected one of {PASSES}")


def ours(
    cell: str, dtype: str, pass_: str, t: int, b: int, i: int, h: int, seed: int = 0
) -> Callable:
    """The generated kernel's forward, or forward then backward (dstate = 0, as torch's)."""
    from problems import make_problem

    _check_pass(pass_)
    p = make_problem(cell, dtype, t, b, i, h, seed)
    kernel = p.kernel
    if pass_ == "fwd":
        return lambda: kernel.forward(p.x, p.params, p.state)
    return lambda: kernel.backward(p.dy, kernel.forward(p.x, p.params, p.state)[2])


def numpy_loop(
    cell: str, dtype: str, pass_: str, t: int, b: int, i: int, h: int, seed: int = 0
) -> Callable:
    """The plain NumPy loop on the same data (lstm and gru only)."""
    from problems import make_problem

    _check_pass(pass_)
    p = make_problem(cell, dtype, t, b, i, h, seed)
    if pass_ == "fwd":
        return lambda: loop_forward(cell, p.x, p.params, p.state)
    zeros = {s: np.zeros_like(v) for s, v in p.state.items()}
    return lambda: loop_backward(cell, p.dy, loop_forward(cell, p.x, p.params, p.state)[2], zeros)


def _torch_module(cell: str, params: dict, dtype: str):  # noqa: ANN202
    import torch

    if cell not in ("lstm", "gru"):
        raise ValueError(f"cell: got {cell!r}, expected 'lstm' or 'gru' (torch.nn has those)")
    size_in, hidden = params["weight_ih"].shape[1], params["weight_hh"].shape[1]
    cls = {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU}[cell]
    module = cls(size_in, hidden, dtype=getattr(torch, dtype))
    with torch.no_grad():
        for key, value in params.items():
            getattr(module, f"{key}_l0").copy_(torch.from_numpy(value))
    return module


def torch_calls(cell: str, p) -> tuple[Callable, Callable]:  # noqa: ANN001
    """torch's forward (no_grad) and forward+backward on a problem's data; fwd+bwd returns dx."""
    import torch

    module = _torch_module(cell, p.params, p.x.dtype.name)
    xt = torch.from_numpy(p.x)
    init = {s: torch.from_numpy(v[None]) for s, v in p.state.items()}
    dyt = torch.from_numpy(p.dy)

    def call(xx, ii):  # noqa: ANN001, ANN202
        if cell == "lstm":
            return module(xx, (ii["h"], ii["c"]))[0]
        return module(xx, ii["h"])[0]

    def fwd():  # noqa: ANN202
        with torch.no_grad():
            return call(xt, init)

    def fwd_bwd():  # noqa: ANN202
        module.zero_grad(set_to_none=True)
        xg = xt.detach().requires_grad_(True)
        ig = {s: v.detach().requires_grad_(True) for s, v in init.items()}
        call(xg, ig).backward(dyt)  # gradients of the weights, of x and of the initial state
        return xg.grad

    return fwd, fwd_bwd


def torch_rnn(
    cell: str,
    dtype: str,
    pass_: str,
    t: int,
    b: int,
    i: int,
    h: int,
    seed: int = 0,
    threads: int = 1,
) -> Callable:
    """``torch.nn.LSTM`` / ``GRU`` on CPU with ``torch.set_num_threads(threads)``."""
    import torch
    from problems import make_problem

    _check_pass(pass_)
    torch.set_num_threads(threads)
    fwd, fwd_bwd = torch_calls(cell, make_problem(cell, dtype, t, b, i, h, seed))
    return fwd if pass_ == "fwd" else fwd_bwd


def _rel_err(a: np.ndarray, b: np.ndarray) -> float:
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    denom = np.linalg.norm(b)
    return float(np.linalg.norm(a - b) / denom) if denom > 0 else float(np.linalg.norm(a))


#: The startup checks' sizes (T, B, I, H), float64.
CHECK_SIZES = (5, 3, 4, 6)


def numpy_check(cell: str, tol: float = 1e-10) -> dict:
    """In the NumPy worker: relative errors of the NumPy loop against the generated kernel
    (float64, small sizes; AssertionError naming those above ``tol``), and the kernel's y and
    dx (``dstate`` = None, as torch's ``y.backward(dy)``) as lists, for :func:`torch_check`."""
    from problems import make_problem

    p = make_problem(cell, "float64", *CHECK_SIZES, seed=1)
    kernel = p.kernel
    rng = np.random.default_rng(2)
    dstate = {s: rng.standard_normal(v.shape) for s, v in p.state.items()}
    y, final, cache = kernel.forward(p.x, p.params, p.state)
    grads = kernel.backward(p.dy, cache, dstate)
    y2, final2, cache2 = loop_forward(cell, p.x, p.params, p.state)
    grads2 = loop_backward(cell, p.dy, cache2, dstate)
    errs = {"y": _rel_err(y2, y)}
    errs |= {f"final[{s}]": _rel_err(final2[s], final[s]) for s in final}
    if set(grads2) != set(grads):
        raise AssertionError(f"{cell}: numpy loop grads {sorted(grads2)} != {sorted(grads)}")
    errs |= {f"d{k}": _rel_err(grads2[k], grads[k]) for k in grads}
    bad = {k: v for k, v in errs.items() if not v <= tol}
    if bad:
        raise AssertionError(f"{cell}: the numpy loop disagrees with the generated kernel: {bad}")
    dx = kernel.backward(p.dy, cache)["x"]
    return {"errors": errs, "y": y.tolist(), "dx": dx.tolist()}


def torch_check(cell: str, y: list, dx: list, tol: float = 1e-10) -> dict[str, float]:
    """In the torch worker: relative errors of torch's y and dx against the generated kernel's
    (from :func:`numpy_check`), computed with torch alone; AssertionError above ``tol``."""
    import torch
    from problems import make_problem

    fwd, fwd_bwd = torch_calls(cell, make_problem(cell, "float64", *CHECK_SIZES, seed=1))

    def rel(got: torch.Tensor, want: list) -> float:
        ref = torch.tensor(want, dtype=torch.float64)
        return float(torch.linalg.norm(got.detach() - ref) / torch.linalg.norm(ref))

    errs = {"torch y": rel(fwd(), y), "torch dx": rel(fwd_bwd(), dx)}
    bad = {k: v for k, v in errs.items() if not v <= tol}
    if bad:
        raise AssertionError(f"{cell}: torch disagrees with the generated kernel: {bad}")
    return errs


def torch_forward_ops(
    cell: str, dtype: str, t: int, b: int, i: int, h: int, threads: int = 1
) -> list[str]:
    """The ATen / oneDNN op names torch's forward (no_grad) ran, from ``torch.profiler``."""
    import torch
    from problems import make_problem
    from torch.profiler import ProfilerActivity, profile

    torch.set_num_threads(threads)
    fwd, _ = torch_calls(cell, make_problem(cell, dtype, t, b, i, h))
    fwd()
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        fwd()
    return sorted({event.key for event in prof.key_averages()})


def spinner(
    work: float = 0.001, spin_after: float = 0.0, forever: bool = False, delay: float = 0.0
) -> Callable:
    """A test contender: each call busy-waits ``work`` seconds, then leaves a thread that sleeps
    ``delay`` seconds and spins for ``spin_after`` (or, with ``forever``, one that never stops)."""

    def spin(seconds: float) -> None:
        time.sleep(delay)
        end = time.perf_counter() + seconds
        while time.perf_counter() < end:
            pass

    started: list[threading.Thread] = []

    def call() -> None:
        end = time.perf_counter() + work
        while time.perf_counter() < end:
            pass
        if forever and not started:
            started.append(threading.Thread(target=spin, args=(1e9,), daemon=True))
            started[0].start()
        elif spin_after > 0:
            threading.Thread(target=spin, args=(spin_after,), daemon=True).start()

    return call


def sleeper(seconds: float = 0.001) -> Callable:
    """A test contender that uses no CPU while it runs."""
    return lambda: time.sleep(seconds)


def blas_threads() -> int:
    """Threads of NumPy's BLAS in this process (the largest, if several libraries)."""
    from threadpoolctl import threadpool_info

    return max((d["num_threads"] for d in threadpool_info() if d["user_api"] == "blas"), default=0)
