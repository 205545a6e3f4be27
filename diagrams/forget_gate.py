"""What the forget gate changed: the cell state on a long input stream, with and without it.

Gers, Schmidhuber & Cummins (2000) added the forget gate because, on a continual input stream
that is never reset, the 1997 cell state c_t = c_{t-1} + i_t g_t keeps adding and can grow
without bound; tanh(c_t) then saturates, and its slope 1 - tanh^2(c_t), the factor by which
the output's adjoint enters the cell (``lstm_1997.adjoint.c_t``), goes to zero.

Set-up (fixed seed). One stream of T steps, B sequences, standard normal inputs, never reset.
The 1997 cell (``lstm_1997``) gets PyTorch's default initialisation; the LSTM (``lstm``) gets
the same i, g, o blocks plus a forget block drawn from the same distribution, with 1 added to
its input-side bias (the usual forget-bias initialisation). Both run the generated kernels;
the curves are read from the forward cache's state trajectory ``S_c``.

Writes ``forget_gate.svg`` (two panels: mean |c_t| on a log scale, mean 1 - tanh^2(c_t)) and
``forget_gate.md`` (the numbers the page quotes).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
from _style import CYCLE, figure, save_figures

import gated_ref as gr

SEED = 0
T, B, I, H = 2000, 16, 4, 16  # noqa: E741
FORGET_BIAS = 1.0
SATURATED = 0.99  # |tanh(c)| above this counts as saturated


def with_forget_block(params: dict[str, np.ndarray], rng: np.random.Generator) -> dict:
    """The 1997 cell's i, g, o blocks with a forget block inserted, in torch.nn.LSTM's order."""
    bound = 1 / np.sqrt(H)
    out = {}
    for key, value in params.items():
        i, g, o = np.split(value, 3)
        f = rng.uniform(-bound, bound, i.shape)
        if key == "bias_ih":
            f = f + FORGET_BIAS
        out[key] = np.concatenate([i, f, g, o])
    return out


def trajectories(rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Cell-state trajectory (T + 1, B, H) of each cell on the same input stream."""
    old = gr.lower(gr.cell("lstm_1997"))
    params = old.init_params(I, H, rng=rng)
    x = rng.standard_normal((T, B, I))
    new = gr.lower(gr.cell("lstm"))
    new_params = with_forget_block(params, rng)
    return {
        "lstm_1997": old.forward(x, params)[2]["S_c"],
        "lstm": new.forward(x, new_params)[2]["S_c"],
    }


def summary(c: dict[str, np.ndarray]) -> dict[str, dict[str, float]]:
    """At t = T: mean and largest |c_T|, share of saturated units, mean slope 1 - tanh^2."""
    out = {}
    for name, traj in c.items():
        last = traj[-1]
        out[name] = {
            "mean_abs_c": float(np.abs(last).mean()),
            "max_abs_c": float(np.abs(last).max()),
            "saturated": float((np.abs(np.tanh(last)) > SATURATED).mean()),
            "slope": float((1 - np.tanh(last) ** 2).mean()),
            "mean_abs_c_at_100": float(np.abs(traj[100]).mean()),
        }
    return out


LABELS = {"lstm_1997": "1997 LSTM, no forget gate", "lstm": "LSTM with forget gate"}


def snippet(stats: dict[str, dict[str, float]]) -> str:
    """The Markdown table the page includes, and its set-up."""
    abs_c = r"$\lvert c_t \rvert$"
    rows = [
        f"| Cell | mean {abs_c} at $t = 100$ | mean {abs_c} at $t = {T}$ | largest {abs_c} "
        f"| units with $\\lvert \\tanh c_t \\rvert > {SATURATED}$ | mean $1 - \\tanh^2 c_t$ |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, s in stats.items():
        rows.append(
            f"| {LABELS[name]} (`{name}`) | {s['mean_abs_c_at_100']:.2f} | {s['mean_abs_c']:.2f} "
            f"| {s['max_abs_c']:.1f} | {100 * s['saturated']:.0f} % | {s['slope']:.3f} |"
        )
    setup = (
        f"\nOne input stream of $T = {T}$ steps, never reset: {B} sequences, $I = {I}$ standard "
        f"normal inputs, $H = {H}$ units, seed {SEED}. Both cells share their $i$, $g$, $o$ "
        "weights (PyTorch's default initialisation); the LSTM's forget block is drawn the same "
        f"way, with {FORGET_BIAS:g} added to its bias. Columns at $t = {T}$ are over all "
        f"{B * H} units of the batch.\n"
    )
    return "\n".join(rows) + "\n" + setup


def main(out_dir: Path) -> None:
    """Write ``forget_gate.svg`` and ``forget_gate.md``."""
    rng = np.random.default_rng(SEED)
    c = trajectories(rng)
    steps = np.arange(T + 1)

    def draw():
        fig, (left, right) = figure(height=2.8, ncols=2)
        for color, (name, traj) in zip(CYCLE, c.items(), strict=False):
            left.semilogy(  # from t = 1: c_0 = 0
                steps[1:], np.abs(traj[1:]).mean(axis=(1, 2)), color=color, label=LABELS[name]
            )
            right.plot(steps, (1 - np.tanh(traj) ** 2).mean(axis=(1, 2)), color=color)
        left.set(xlabel="step $t$", ylabel=r"mean $|c_t|$ (log scale)", title="cell state")
        right.set(
            xlabel="step $t$",
            ylabel=r"mean $1 - \tanh^2 c_t$",
            title=r"slope where $\delta h_t$ enters $\delta c_t$",
            ylim=(0, 1.05),
        )
        left.legend(fontsize=8)
        return fig

    save_figures(draw, out_dir / "forget_gate.svg")
    (out_dir / "forget_gate.md").write_text(snippet(summary(c)), encoding="utf-8")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("."))
