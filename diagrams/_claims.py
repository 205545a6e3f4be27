"""The committed kernel timing record and the exact parameter-count claim. Not a diagram itself.

``diagrams/cell_comparison.py`` reads the timing record (``data/kernel_times.json``, made by
``make bench-record``) through :func:`kernel_times`. The LSTM vs GRU verdicts that rest on
training runs live in ``gated_ref.experiments.claims`` and read ``data/experiments.json``.
"""

from __future__ import annotations

import json
from pathlib import Path

#: Sizes (I = H) at which parameter counts are compared.
SIZE = 256
#: The timing record (relative to the repository root), made by ``make bench-record``.
RECORD = "data/kernel_times.json"
ROOT = Path(__file__).resolve().parents[1]


def kernel_times(root: Path = ROOT) -> dict:
    """The committed timing record, ``data/kernel_times.json`` (``make bench-record``)."""
    path = root / RECORD
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise FileNotFoundError(
            f"{RECORD}: not found; run `make bench-record` (bench/record_kernel_times.py)"
        ) from None


def record_method(record: dict) -> str:
    """How a timing record's numbers were taken, in words: statistic, runs and clock."""
    m = record["method"]
    return f"the {m['statistic']} of {m['repeats']} runs, {m['clock']}"


def record_machine(record: dict) -> str:
    """The machine a timing record was measured on, in words."""
    m = record["machine"]
    threads = "one BLAS thread" if m["blas_threads"] == 1 else f"{m['blas_threads']} BLAS threads"
    return f"{m['cpu']} ({m['cores']} cores), {threads}, NumPy {m['numpy']}"


def fewer_parameters(size: int = SIZE) -> str:
    """The exact claim "GRU has fewer parameters" as an admonition, counted from the specs."""
    import sympy as sp

    import gated_ref as gr

    i, h = sp.symbols("I H", positive=True, integer=True)
    counts = {
        n: int(gr.cell(n).parameter_count().subs({i: size, h: size})) for n in ("gru", "lstm")
    }
    ratio = sp.nsimplify(sp.Rational(counts["gru"], counts["lstm"]))
    status = "holds" if counts["gru"] < counts["lstm"] else "does not hold"
    style = "success" if status == "holds" else "failure"
    body = (
        f"**Verdict: {status}** (exactly: this is arithmetic on the shapes, not a measurement). "
        f"With the same input and hidden sizes a GRU has three gate blocks to the LSTM's four, "
        f"so {ratio} of its parameters at every size: {counts['gru']:,} against "
        f"{counts['lstm']:,} at $I = H = {size}$. At an equal *parameter budget* the GRU gets a "
        "larger hidden state instead: the experiments below compare both ways."
    )
    return f'!!! {style} "Claim: GRU has fewer parameters"\n\n    {body}\n'
