"""MUT2 (Jozefowicz et al. 2015): the reset gate adds x_t itself, not W_r x_t (so I = H).
Blocks: weight_ih z, n; weight_hh r, z, n. z weighs the candidate, as in the paper."""

import sympy as sp

from ..functions import sigmoid
from ..spec import CellBuilder, CellSpec

ORDER = 210


def build() -> CellSpec:
    """r_t = sigmoid(x_t + U_r h_{t-1} + b_r); the rest as the reset-before GRU."""
    cell = CellBuilder(
        "gru_mut2",
        title="MUT2 (Jozefowicz et al. 2015)",
        reference="Jozefowicz, Zaremba & Sutskever (2015), An Empirical Exploration of RNNs",
        states=("h",),
        gates=("r", "z", "n"),
        parent="gru_reset_before",
    )
    h_prev = cell.state("h")
    z = cell.node("z", sigmoid(cell.ax("z") + cell.ah("z")))
    r = cell.node("r", sigmoid(cell.input() + cell.ah("r")))
    rh = cell.node("rh", r * h_prev, inline=True)
    n = cell.node("n", sp.tanh(cell.ah("n", source=rh) + cell.ax("n")))
    cell.node("h", n * z + h_prev * (1 - z))
    return cell.build()
