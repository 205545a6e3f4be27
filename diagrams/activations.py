"""The two nonlinearities of the cells, tanh and the logistic sigmoid, with their derivatives.

The sigmoid is the gates' nonlinearity (a value between 0 and 1 that scales another);
tanh squashes the vanilla RNN's state and the LSTM's and GRU's candidate and cell output.
Both saturate: away from zero their slopes vanish, and a product of many such slopes is
what makes a vanilla RNN's gradient vanish. Writes ``activations.svg`` and ``caption.md``,
whose largest slopes are read off the plotted curves.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
from _style import figure, save_figures

SEED = 0  # nothing random here; kept so every diagram states its seed


def main(out_dir: Path) -> None:
    """Write ``activations.svg`` and ``caption.md`` into ``out_dir``."""
    a = np.linspace(-6.0, 6.0, 481)
    sigma = 1.0 / (1.0 + np.exp(-a))
    tanh = np.tanh(a)

    def draw():
        fig, (left, right) = figure(height=2.8, ncols=2, sharex=True)
        left.plot(a, tanh, label=r"$\tanh a$")
        left.plot(a, sigma, label=r"$\sigma(a)$")
        left.set(title="activation", xlabel="$a$")
        right.plot(a, 1.0 - tanh**2, label=r"$\tanh' a = 1 - \tanh^2 a$")
        right.plot(a, sigma * (1.0 - sigma), label=r"$\sigma'(a) = \sigma(a)(1 - \sigma(a))$")
        right.set(title="derivative", xlabel="$a$", ylim=(0, 1.05))
        for ax in (left, right):
            ax.legend(loc="upper left", fontsize=8)
        return fig

    save_figures(draw, out_dir / "activations.svg")
    text = caption(a, 1.0 - tanh**2, sigma * (1.0 - sigma))
    (out_dir / "caption.md").write_text(text, encoding="utf-8")


def caption(a: np.ndarray, dtanh: np.ndarray, dsigma: np.ndarray) -> str:
    """The figure's caption, with each slope's maximum and where it is reached."""
    top = {k: (float(d.max()), float(a[d.argmax()])) for k, d in (("t", dtanh), ("s", dsigma))}
    return (
        "*$\\tanh$, which squashes the vanilla RNN's state and the gated cells' candidates and the "
        "LSTM's cell output, and $\\sigma$, the gates' nonlinearity, with their slopes "
        "(`diagrams/activations.py`). Away from zero both slopes vanish; the largest is "
        f"$\\tanh'({top['t'][1]:g}) = {top['t'][0]:g}$ and $\\sigma'({top['s'][1]:g}) = "
        f"{top['s'][0]:g}$.*\n"
    )


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("."))
