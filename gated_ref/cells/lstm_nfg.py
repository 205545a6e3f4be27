"""Greff et al. (2017), NFG: the peephole LSTM with no forget gate (f = 1). Blocks i, g, o."""

import sympy as sp

from ..functions import sigmoid
from ..spec import CellBuilder, CellSpec

ORDER = 110


def build() -> CellSpec:
    """c_t = c_{t-1} + i_t g_t: the 1997 carousel, with peepholes."""
    cell = CellBuilder(
        "lstm_nfg",
        title="LSTM, no forget gate (NFG)",
        reference="Greff et al. (2017), LSTM: A Search Space Odyssey",
        states=("h", "c"),
        gates=("i", "g", "o"),
        parent="lstm_peephole",
    )
    p = cell.peepholes("weight_peephole", ("i", "o"))
    c_prev = cell.state("c")
    i = cell.node("i", sigmoid(cell.ax("i") + cell.ah("i") + p["i"] * c_prev))
    g = cell.node("g", sp.tanh(cell.ax("g") + cell.ah("g")))
    c = cell.node("c", c_prev + i * g)
    o = cell.node("o", sigmoid(cell.ax("o") + cell.ah("o") + p["o"] * c))
    cell.node("h", o * sp.tanh(c))
    return cell.build()
