"""MUT3 (Jozefowicz et al. 2015): the update gate reads tanh(h_{t-1}), not h_{t-1}.
Blocks r, z, n in both matrices. z weighs the candidate, as in the paper."""

import sympy as sp

from ..functions import sigmoid
from ..spec import CellBuilder, CellSpec

ORDER = 220


def build() -> CellSpec:
    """z_t = sigmoid(W_z x_t + U_z tanh(h_{t-1}) + b_z); the rest as the reset-before GRU."""
    cell = CellBuilder(
        "gru_mut3",
        title="MUT3 (Jozefowicz et al. 2015)",
        reference="Jozefowicz, Zaremba & Sutskever (2015), An Empirical Exploration of RNNs",
        states=("h",),
        gates=("r", "z", "n"),
        parent="gru_reset_before",
    )
    h_prev = cell.state("h")
    squashed = cell.node("th", sp.tanh(h_prev), inline=True)
    z = cell.node("z", sigmoid(cell.ax("z") + cell.ah("z", source=squashed)))
    r = cell.node("r", sigmoid(cell.ax("r") + cell.ah("r")))
    rh = cell.node("rh", r * h_prev, inline=True)
    n = cell.node("n", sp.tanh(cell.ah("n", source=rh) + cell.ax("n")))
    cell.node("h", n * z + h_prev * (1 - z))
    return cell.build()
