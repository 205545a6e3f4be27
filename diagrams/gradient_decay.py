"""How far back a gradient reaches: the norm of dL/dx_t when only the last output is scored.

Each cell runs its generated kernel over T = 100 steps of random input, with PyTorch's
initialisation; the loss reads h_T only. At initialisation every cell's gradient shrinks
geometrically with the distance T - t, the vanilla RNN's fastest: what gating adds is a rate
the network can learn to bring near one (a forget gate held open), not a free lunch.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
from _style import figure, save_figures

import gated_ref as gr

SEED = 0
CELLS = ("rnn_tanh", "lstm", "gru")
T, BATCH, INPUT, HIDDEN = 100, 16, 32, 64


def decay(name: str, rng: np.random.Generator) -> np.ndarray:
    """Mean over the batch of ||dL/dx_t||, t = 0..T-1, for L = sum(w * h_T)."""
    kernel = gr.lower(gr.cell(name))
    params = kernel.init_params(INPUT, HIDDEN, rng=rng)
    x = rng.standard_normal((T, BATCH, INPUT))
    y, _, cache = kernel.forward(x, params)
    dy = np.zeros_like(y)
    dy[-1] = rng.standard_normal((BATCH, HIDDEN))
    grads = kernel.backward(dy, cache)
    return np.linalg.norm(grads["x"], axis=2).mean(axis=1)


def main(out_dir: Path) -> None:
    """Write ``gradient_decay.svg``."""
    rng = np.random.default_rng(SEED)
    distance = np.arange(T)[::-1]
    curves = {name: decay(name, rng) for name in CELLS}

    def draw():
        fig, ax = figure(height=3.0)
        for name, curve in curves.items():
            ax.semilogy(distance, curve, label=gr.cell(name).title)
        ax.set(
            xlabel="distance $T - t$ (steps back from the scored output)",
            ylabel=r"$\|\partial L / \partial x_t\|$",
        )
        ax.legend()
        return fig

    save_figures(draw, out_dir / "gradient_decay.svg")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("."))
