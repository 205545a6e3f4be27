"""Initialisation and the gradient at step 0: ||u^T dh_T/dh_t|| for five initialisations.

Each cell runs its generated kernel over T = 100 steps of unit Gaussian input from each
initialisation; ``gated_ref.bptt.jacobian_rows`` gives the gradient of L = u . h_T with
respect to every earlier state (u a random unit vector per sequence), and the curves are the
batch means of its norm against the distance T - t. Initialisations (``gated_ref.init``):

- PyTorch's default: every weight and both biases from U(-1/sqrt(H), 1/sqrt(H));
- forget bias 1: the default, then the effective forget bias b_ih + b_hh set to exactly 1;
- orthogonal: the default, then every H x H gate block of ``weight_hh`` a random orthogonal
  matrix (Saxe et al. 2014);
- chrono: the default, then b_f = log(U(1, T_max - 1)) and b_i = -b_f (Tallec & Ollivier 2018),
  T_max = T.

Writes ``init_gradients.svg`` and ``init_gradients.md`` (the table of the plotted values).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
from _style import CYCLE, figure, save_figures

import gated_ref as gr
from gated_ref import init
from gated_ref.bptt import jacobian_rows

SEED = 0
T, B, I, H = 100, 16, 32, 64  # noqa: E741
STRIDE = 2
SHOWN = (10, 30, 50, 100)  # distances in the table

Init = Callable[[str, dict, np.random.Generator], dict]
INITS: dict[str, Init] = {
    "PyTorch default": lambda name, p, rng: p,
    "forget bias 1": lambda name, p, rng: init.forget_bias(name, p, 1.0, reading="split"),
    "orthogonal": lambda name, p, rng: init.orthogonal(name, p, rng=rng),
    "chrono": lambda name, p, rng: init.chrono(name, p, t_max=T, rng=rng),
}
PANELS = {
    "lstm": ("PyTorch default", "forget bias 1", "orthogonal", "chrono"),
    "rnn_tanh": ("PyTorch default", "orthogonal"),
    "gru": ("PyTorch default", "orthogonal"),
}
COLORS = dict(zip(INITS, CYCLE, strict=False))
TITLES = {"lstm": "LSTM", "rnn_tanh": "vanilla RNN (tanh)", "gru": "GRU"}


def curves(name: str) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Distances and, per initialisation, the batch mean of ||u^T dh_T/dh_t||."""
    kernel = gr.lower(gr.cell(name))
    rng = np.random.default_rng([SEED, gr.CELL_NAMES.index(name)])
    base = kernel.init_params(I, H, rng=rng)
    x = rng.standard_normal((T, B, I))
    u = rng.standard_normal((B, H))
    u /= np.linalg.norm(u, axis=1, keepdims=True)
    out = {}
    for label in PANELS[name]:
        params = INITS[label](name, base, np.random.default_rng([SEED, 1, len(out)]))
        rows = jacobian_rows(kernel, params, x, u, stride=STRIDE)
        out[label] = np.linalg.norm(rows["h"], axis=-1).mean(axis=-1)
    return rows["distance"], out


def fmt(value: float) -> str:
    """A norm for the table, in LaTeX."""
    mantissa, exponent = f"{value:.2e}".split("e")
    return f"${mantissa} \\times 10^{{{int(exponent)}}}$" if int(exponent) else f"{value:.3g}"


def main(out_dir: Path) -> None:
    """Write ``init_gradients.svg`` and ``init_gradients.md``."""
    rows = [
        "| Cell | Initialisation | " + " | ".join(f"$d = {d}$" for d in SHOWN) + " |",
        "| --- | --- |" + " ---: |" * len(SHOWN),
    ]
    panels = {}
    for name in PANELS:
        distance, norms = curves(name)
        panels[name] = distance, norms
        for label, values in norms.items():
            picked = [fmt(values[list(distance).index(d)]) for d in SHOWN]
            rows.append(f"| {gr.cell(name).title} | {label} | " + " | ".join(picked) + " |")
        print(f"init_gradients: {name} done", flush=True)

    def draw():
        fig, axes = figure(height=2.9, ncols=len(PANELS), sharey=True)
        for ax, (name, (distance, norms)) in zip(axes, panels.items(), strict=True):
            for label, values in norms.items():
                ax.semilogy(distance, values, color=COLORS[label], label=label)
            ax.set(title=TITLES[name], xlabel="distance $d = T - t$")
            ax.legend(fontsize=7, loc="lower left")
        axes[0].set_ylabel(r"$\|u^\top \partial h_T / \partial h_t\|$")
        return fig

    save_figures(draw, out_dir / "init_gradients.svg")
    note = (
        f"\n*Batch mean of $\\lVert u^\\top \\partial h_T / \\partial h_{{T-d}} \\rVert$, "
        f"$T = {T}$, $H = {H}$, batch {B}; chrono with $T_{{\\max}} = {T}$. "
        "`diagrams/init_gradients.py`.*\n"
    )
    (out_dir / "init_gradients.md").write_text("\n".join(rows) + "\n" + note, encoding="utf-8")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("."))
