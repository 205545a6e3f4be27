"""Gate nonlinearities: tanh and the logistic sigmoid, with their derivatives.

Both saturate: away from zero their slopes vanish, and a product of many such slopes is
what makes a vanilla RNN's gradient vanish. sigma'(a) never exceeds 1/4, tanh'(a) never 1.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
from _style import figure, save_svg

SEED = 0  # nothing random here; kept so every diagram states its seed


def main(out_dir: Path) -> None:
    """Write ``activations.svg`` into ``out_dir``."""
    a = np.linspace(-6.0, 6.0, 481)
    sigma = 1.0 / (1.0 + np.exp(-a))
    tanh = np.tanh(a)
    fig, (left, right) = figure(height=2.8, ncols=2, sharex=True)
    left.plot(a, tanh, label=r"$\tanh a$")
    left.plot(a, sigma, label=r"$\sigma(a)$")
    left.set(title="activation", xlabel="$a$")
    right.plot(a, 1.0 - tanh**2, label=r"$\tanh' a = 1 - \tanh^2 a$")
    right.plot(a, sigma * (1.0 - sigma), label=r"$\sigma'(a) = \sigma(a)(1 - \sigma(a))$")
    right.set(title="derivative", xlabel="$a$", ylim=(0, 1.05))
    for ax in (left, right):
        ax.legend(loc="upper left", fontsize=8)
    save_svg(fig, out_dir / "activations.svg")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("."))
