"""Greff et al. (2017), NIAF: the peephole LSTM with no input activation (g is linear)."""

import sympy as sp

from ..functions import sigmoid
from ..spec import CellBuilder, CellSpec

ORDER = 130


def build() -> CellSpec:
    """g_t = W_g x_t + U_g h_{t-1} + b_g, without tanh; blocks i, f, g, o."""
    cell = CellBuilder(
        "lstm_niaf",
        title="LSTM, no input activation function (NIAF)",
        reference="Greff et al. (2017), LSTM: A Search Space Odyssey",
        states=("h", "c"),
        gates=("i", "f", "g", "o"),
        parent="lstm_peephole",
    )
    p = cell.peepholes("weight_peephole", ("i", "f", "o"))
    c_prev = cell.state("c")
    i = cell.node("i", sigmoid(cell.ax("i") + cell.ah("i") + p["i"] * c_prev))
    f = cell.node("f", sigmoid(cell.ax("f") + cell.ah("f") + p["f"] * c_prev))
    g = cell.node("g", cell.ax("g") + cell.ah("g"))
    c = cell.node("c", f * c_prev + i * g)
    o = cell.node("o", sigmoid(cell.ax("o") + cell.ah("o") + p["o"] * c))
    cell.node("h", o * sp.tanh(c))
    return cell.build()
