"""Greff et al. (2017), NOG: the peephole LSTM with no output gate (o = 1). Blocks i, f, g."""

import sympy as sp

from ..functions import sigmoid
from ..spec import CellBuilder, CellSpec

ORDER = 120


def build() -> CellSpec:
    """h_t = tanh(c_t): the whole memory is shown at every step."""
    cell = CellBuilder(
        "lstm_nog",
        title="LSTM, no output gate (NOG)",
        reference="Greff et al. (2017), LSTM: A Search Space Odyssey",
        states=("h", "c"),
        gates=("i", "f", "g"),
        parent="lstm_peephole",
    )
    p = cell.peepholes("weight_peephole", ("i", "f"))
    c_prev = cell.state("c")
    i = cell.node("i", sigmoid(cell.ax("i") + cell.ah("i") + p["i"] * c_prev))
    f = cell.node("f", sigmoid(cell.ax("f") + cell.ah("f") + p["f"] * c_prev))
    g = cell.node("g", sp.tanh(cell.ax("g") + cell.ah("g")))
    c = cell.node("c", f * c_prev + i * g)
    cell.node("h", sp.tanh(c))
    return cell.build()
