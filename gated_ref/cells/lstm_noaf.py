"""Greff et al. (2017), NOAF: the peephole LSTM with no output activation (h = o c)."""

import sympy as sp

from ..functions import sigmoid
from ..spec import CellBuilder, CellSpec

ORDER = 140


def build() -> CellSpec:
    """h_t = o_t c_t, without tanh; blocks i, f, g, o."""
    cell = CellBuilder(
        "lstm_noaf",
        title="LSTM, no output activation function (NOAF)",
        reference="Greff et al. (2017), LSTM: A Search Space Odyssey",
        states=("h", "c"),
        gates=("i", "f", "g", "o"),
        parent="lstm_peephole",
    )
    p = cell.peepholes("weight_peephole", ("i", "f", "o"))
    c_prev = cell.state("c")
    i = cell.node("i", sigmoid(cell.ax("i") + cell.ah("i") + p["i"] * c_prev))
    f = cell.node("f", sigmoid(cell.ax("f") + cell.ah("f") + p["f"] * c_prev))
    g = cell.node("g", sp.tanh(cell.ax("g") + cell.ah("g")))
    c = cell.node("c", f * c_prev + i * g)
    o = cell.node("o", sigmoid(cell.ax("o") + cell.ah("o") + p["o"] * c))
    cell.node("h", o * c)
    return cell.build()
