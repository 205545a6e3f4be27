"""Greff et al. (2017), NIG: the peephole LSTM with no input gate (i = 1). Blocks f, g, o."""

import sympy as sp

from ..functions import sigmoid
from ..spec import CellBuilder, CellSpec

ORDER = 100


def build() -> CellSpec:
    """c_t = f_t c_{t-1} + g_t: every candidate is written in full."""
    cell = CellBuilder(
        "lstm_nig",
        title="LSTM, no input gate (NIG)",
        reference="Greff et al. (2017), LSTM: A Search Space Odyssey",
        states=("h", "c"),
        gates=("f", "g", "o"),
        parent="lstm_peephole",
    )
    p = cell.peepholes("weight_peephole", ("f", "o"))
    c_prev = cell.state("c")
    f = cell.node("f", sigmoid(cell.ax("f") + cell.ah("f") + p["f"] * c_prev))
    g = cell.node("g", sp.tanh(cell.ax("g") + cell.ah("g")))
    c = cell.node("c", f * c_prev + g)
    o = cell.node("o", sigmoid(cell.ax("o") + cell.ah("o") + p["o"] * c))
    cell.node("h", o * sp.tanh(c))
    return cell.build()
