"""Where a generated kernel's time goes: GEMMs, elementwise work, copies, allocations, the rest.

Every statement of the generated ``forward`` and ``backward`` is timed: the module text is
rewritten with a ``perf_counter`` read before and after each statement (a few hundred
nanoseconds each, counted in "other" with the loop's own overhead), and each statement is put in
one category by what it does:

- ``gemm``: a matrix product (``@``, ``numpy.matmul``);
- ``elementwise``: ufuncs, sums and arithmetic over the batch (the temporaries NumPy allocates
  for an expression are counted here: they are part of evaluating it);
- ``copy``: copying arrays (``.copy()``, ``numpy.copyto``, ``ascontiguousarray``, ``X[t] = y``);
- ``alloc``: ``numpy.empty``/``zeros``/``empty_like``;
- ``other``: views and names bound to them, dicts, the interpreter and the timers themselves
  (the wall time of the whole call minus the statements' times is counted here too).

The split is that of the fastest of ``--runs`` calls. Usage::

    python bench/profile_kernels.py                      # lstm, gru; float32, float64
    python bench/profile_kernels.py --cells all          # every cell
    python bench/profile_kernels.py --source-dir DIR     # profile DIR/<cell>.py instead
    python bench/profile_kernels.py --quick              # tiny sizes: a smoke test

``gemm_fraction(cell, dtype, T, B, H)`` gives the share of forward + backward time in GEMMs
(``bench/record_scaling.py`` records it beside each timing).
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from collections import defaultdict
from pathlib import Path
from types import ModuleType

import numpy as np

import gated_ref as gr

CATEGORIES = ("gemm", "elementwise", "copy", "alloc", "other")
_VIEW = re.compile(r"^([\w, ]+ = )?[\w.]+(\[[^\]]*\])*(\.shape|\.dtype)?(\[\d\])?$")  # a view
_SUBSCRIPT_COPY = re.compile(r"^[\w.\[\]' ,:*+\-]+\] = [\w.]+(\[[\w ,:*+\-']+\])*$")


def category(statement: str) -> str:
    """The category of one printed statement (see the module docstring)."""
    if " @ " in statement or "numpy.matmul(" in statement:
        return "gemm"
    if re.search(r"numpy\.(empty|zeros)\(|empty_like\(", statement):
        return "alloc"
    if re.search(r"\.copy\(\)|numpy\.copyto\(|ascontiguousarray\(", statement):
        return "copy"
    if _SUBSCRIPT_COPY.match(statement):
        return "copy"
    if _VIEW.match(statement) or statement.startswith(("cache = ", "grads = {}")):
        return "other"
    return "elementwise"


def instrument(text: str) -> str:
    """The module ``text`` with every statement of ``forward`` and ``backward`` timed into
    the module's ``_P`` dict by category."""
    out = ["import time as _time", "from collections import defaultdict as _dd"]
    out += ["_clock = _time.perf_counter", "_P = _dd(float)"]
    inside = False
    for line in text.splitlines():
        stripped = line.strip()
        if line.startswith("def "):
            inside = line.startswith(("def forward", "def backward"))
            out.append(line)
            continue
        if not inside or not stripped or stripped.startswith(("#", '"""', "for ")):
            out.append(line)
            continue
        indent = line[: len(line) - len(line.lstrip())]
        if stripped.startswith("return "):
            kind = category(stripped[len("return ") :])
            out += [f"{indent}_t0 = _clock()", f"{indent}_ret = {stripped[len('return ') :]}"]
            out += [f"{indent}_P[{kind!r}] += _clock() - _t0", f"{indent}return _ret"]
            continue
        kind = category(stripped.split("  #")[0])
        out += [f"{indent}_t0 = _clock()", line, f"{indent}_P[{kind!r}] += _clock() - _t0"]
    return "\n".join(out) + "\n"


def profiled_module(name: str, source: str | None = None) -> ModuleType:
    """The instrumented generated module of cell ``name`` (or of the given module text)."""
    text = source if source is not None else gr.lower(gr.cell(name)).source
    module = ModuleType(f"profiled_{name}")
    exec(compile(instrument(text), f"<profiled {name}>", "exec"), module.__dict__)  # noqa: S102
    return module


def _problem(name: str, dtype: str, t: int, b: int, h: int) -> tuple:
    spec = gr.cell(name)
    kernel = gr.lower(spec)
    sizes = {size: max(1, h // 2) for size in spec.sizes}
    rng = np.random.default_rng(0)
    params = kernel.init_params(h, h, rng=rng, dtype=dtype, **sizes)
    x = rng.standard_normal((t, b, h)).astype(dtype)
    width = {s: spec.size_of(spec.prev[s], h, **sizes) for s in spec.states}
    state = {s: np.zeros((b, width[s]), dtype) for s in spec.states}
    dy = rng.standard_normal((t, b, width["h"])).astype(dtype)
    return x, params, state, dy


def profile(
    name: str, dtype: str, t: int, b: int, h: int, runs: int = 5, source: str | None = None
) -> dict[str, dict[str, float]]:
    """Seconds per category of the forward and of the backward pass (fastest of ``runs``)."""
    module = profiled_module(name, source)
    x, params, state, dy = _problem(name, dtype, t, b, h)
    best: dict[str, tuple[float, dict[str, float]]] = {}
    for _ in range(runs + 1):  # the first call warms up
        for pass_ in ("fwd", "bwd"):
            module._P.clear()
            start = time.perf_counter()
            if pass_ == "fwd":
                _, _, cache = module.forward(x, params, state)
            else:
                module.backward(dy, cache, {s: np.zeros_like(v) for s, v in state.items()})
            total = time.perf_counter() - start
            split = {k: module._P.get(k, 0.0) for k in CATEGORIES}
            split["other"] += total - sum(split.values())
            if pass_ not in best or total < best[pass_][0]:
                best[pass_] = (total, split)
    return {pass_: split for pass_, (_, split) in best.items()}


def gemm_fraction(cell: str, dtype: str, T: int, B: int, H: int, runs: int = 3) -> float:  # noqa: N803
    """The share of forward + backward time the generated kernel of ``cell`` spends in GEMMs."""
    split = profile(cell, dtype, T, B, H, runs=runs)
    gemm = split["fwd"]["gemm"] + split["bwd"]["gemm"]
    return gemm / (sum(split["fwd"].values()) + sum(split["bwd"].values()))


def main(argv: list[str] | None = None) -> int:
    """Print the split per cell, dtype and pass."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cells", nargs="+", default=["lstm", "gru"], help="names, or 'all'")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--source-dir", type=Path, help="profile DIR/<cell>.py instead")
    parser.add_argument("--quick", action="store_true", help="tiny sizes, one run")
    args = parser.parse_args(argv)
    names = list(gr.CELL_NAMES) if args.cells == ["all"] else args.cells
    for name in names:
        if name not in gr.CELL_NAMES:
            parser.error(f"--cells: got {name!r}, expected names from {gr.CELL_NAMES} or all")
    t, b, h = (3, 2, 4) if args.quick else (100, 64, 256)
    runs = 1 if args.quick else args.runs
    print(f"profile: T={t} B={b} I=H={h}, fastest of {runs} calls; % of each pass's time")
    head = f"{'cell':<18} {'dtype':<8} {'pass':<4} {'ms':>8}"
    print(head + "".join(f" {c:>12}" for c in CATEGORIES))
    totals: dict[str, float] = defaultdict(float)
    for name in names:
        source = None
        if args.source_dir is not None:
            source = (args.source_dir / f"{name}.py").read_text(encoding="utf-8")
        for dtype in ("float32", "float64"):
            split = profile(name, dtype, t, b, h, runs=runs, source=source)
            for pass_, parts in split.items():
                total = sum(parts.values())
                totals[pass_] += total
                shares = "".join(f" {100 * parts[c] / total:11.1f}%" for c in CATEGORIES)
                print(f"{name:<18} {dtype:<8} {pass_:<4} {1e3 * total:8.2f}{shares}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
