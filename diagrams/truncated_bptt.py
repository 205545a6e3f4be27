"""What truncated BPTT cuts: the share of the full gradient lost at truncation depth k.

Full BPTT's parameter gradient is a sum over path lengths: every loss at step s reaches the
parameters used at steps s, s - 1, ..., 1. Truncating at depth k drops the terms that travel
more than k steps, so ``g - g_k`` is exactly what the truncation cuts, and the table shows its
size relative to the full gradient, ``||g - g_k|| / ||g||`` (global norm over every
parameter), computed with the generated kernels (``gated_ref.bptt.truncated_gradients``).

Two settings, T = 100 steps of unit Gaussian input, PyTorch's default initialisation:

- every step scored (a softmax readout of every output against random labels, the language
  model setting) and TBPTT(k, k): the state ``detach()``-ed every k steps;
- only the last output scored (a random unit direction u, L = u . h_T) and TBPTT(1, k): the
  last step's loss sent back through k steps.

Writes ``truncated_bptt.md``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

import gated_ref as gr
from gated_ref.bptt import truncated_gradients
from gated_ref.train import softmax_cross_entropy

SEED = 0
CELLS = ("rnn_tanh", "lstm")
T, B, I, H, K = 100, 16, 32, 64, 10  # noqa: E741  (K: classes of the readout)
DEPTHS = (1, 2, 5, 10, 20, 50, 100)


def global_norm(grads: dict[str, np.ndarray]) -> float:
    """The L2 norm of all arrays together."""
    return float(np.sqrt(sum(float(np.sum(g * g)) for g in grads.values())))


def cut_share(kernel: gr.Kernel, params: dict, x: np.ndarray, dy: np.ndarray, every: bool) -> list:
    """||g - g_k|| / ||g|| for each depth k: TBPTT(k, k) if ``every``, else TBPTT(1, k)."""
    full = truncated_gradients(kernel, params, x, dy, x.shape[0])
    shares = []
    for k in DEPTHS:
        k1 = k if every else 1
        part = truncated_gradients(kernel, params, x, dy, k1, k)
        shares.append(global_norm({n: full[n] - part[n] for n in full}) / global_norm(full))
    return shares


def fmt(value: float) -> str:
    """A share for the table: 0 exactly, else three significant digits in LaTeX."""
    if value == 0:
        return "0"
    if value >= 1e-3:
        return f"{value:.3g}"
    mantissa, exponent = f"{value:.2e}".split("e")
    return f"${mantissa} \\times 10^{{{int(exponent)}}}$"


def main(out_dir: Path) -> None:
    """Write ``truncated_bptt.md``."""
    rng = np.random.default_rng(SEED)
    columns = []
    for name in CELLS:
        kernel = gr.lower(gr.cell(name))
        params = kernel.init_params(I, H, rng=rng)
        x = rng.standard_normal((T, B, I))
        y, _, _ = kernel.forward(x, params)
        weight, bias = rng.standard_normal((K, H)) / np.sqrt(H), np.zeros(K)
        labels = rng.integers(0, K, size=(T, B))
        _, dy_every, _ = softmax_cross_entropy(y, labels, weight, bias)
        dy_last = np.zeros_like(y)
        u = rng.standard_normal((B, H))
        dy_last[-1] = u / np.linalg.norm(u, axis=1, keepdims=True)
        columns.append(cut_share(kernel, params, x, dy_every, every=True))
        columns.append(cut_share(kernel, params, x, dy_last, every=False))
        print(f"truncated_bptt: {name} done", flush=True)
    head = " | ".join(
        f"{gr.cell(n).title}: {what}"
        for n in CELLS
        for what in ("every step, TBPTT(k, k)", "last step, TBPTT(1, k)")
    )
    rows = [f"| $k$ | {head} |", "| ---: |" + " ---: |" * len(columns)]
    for j, k in enumerate(DEPTHS):
        rows.append(f"| {k} | " + " | ".join(fmt(col[j]) for col in columns) + " |")
    note = (
        f"\n*$\\lVert g - g_k \\rVert / \\lVert g \\rVert$ over every parameter, $T = {T}$, "
        f"$H = {H}$, batch {B}, PyTorch's default initialisation; $k = {T}$ is full BPTT "
        "(nothing cut). `diagrams/truncated_bptt.py`.*\n"
    )
    (out_dir / "truncated_bptt.md").write_text("\n".join(rows) + "\n" + note, encoding="utf-8")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("."))
