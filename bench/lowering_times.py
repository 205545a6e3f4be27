"""Time deriving and lowering every cell of gr.CELL_NAMES: cold (empty cache) and cached.

Each measurement runs in a fresh interpreter, so "cached" means a new process that finds the
generated modules on disk. Prints seconds for: import, build specs, derive (symbolic backward
incl. Jacobians and LaTeX), lower (generate or load the kernels).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile

PROBE = r"""
import json, time
t0 = time.perf_counter()
import gated_ref as gr
t1 = time.perf_counter()
specs = [gr.cell(n) for n in gr.CELL_NAMES]
t2 = time.perf_counter()
kernels = [gr.lower(s) for s in specs]
t3 = time.perf_counter()
for s in specs:
    gr.derive(s).latex()
t4 = time.perf_counter()
print(json.dumps({"import": t1 - t0, "cells": t2 - t1, "lower": t3 - t2, "derive+latex": t4 - t3}))
"""


def run(cache: str) -> dict[str, float]:
    env = {**os.environ, "GATED_REF_CACHE": cache}
    out = subprocess.check_output([sys.executable, "-c", PROBE], env=env, text=True)
    return json.loads(out)


def main() -> None:
    """Print cold and cached timings of deriving and lowering every cell."""
    with tempfile.TemporaryDirectory() as cache:
        cold = run(cache)
        warm = min((run(cache) for _ in range(3)), key=lambda r: r["lower"])
    print(f"{'stage':<14}{'cold s':>10}{'cached s':>10}")
    for key in cold:
        print(f"{key:<14}{cold[key]:>10.3f}{warm[key]:>10.3f}")
    lowering_cold = cold["cells"] + cold["lower"]
    lowering_warm = warm["cells"] + warm["lower"]
    target = "(targets: < 5 s cold, < 0.2 s cached)"
    print(f"{'cells+lower':<14}{lowering_cold:>10.3f}{lowering_warm:>10.3f}   {target}")


if __name__ == "__main__":
    main()
