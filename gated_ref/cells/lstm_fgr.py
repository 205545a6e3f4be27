"""Greff et al. (2017), FGR: the peephole LSTM whose gates i, f, o at t-1 feed i, f, o at t
through nine matrices (``weight_from_i/f/o``, blocks i, f, o, no bias); so i, f, o are states."""

import sympy as sp

from ..functions import sigmoid
from ..spec import CellBuilder, CellSpec

ORDER = 150


def build() -> CellSpec:
    """a_k = W_k x + U_k h + p_k c + R^(i)_k i_{t-1} + R^(f)_k f_{t-1} + R^(o)_k o_{t-1}."""
    cell = CellBuilder(
        "lstm_fgr",
        title="LSTM, full gate recurrence (FGR)",
        reference="Greff et al. (2017), LSTM: A Search Space Odyssey",
        states=("h", "c", "i", "f", "o"),
        gates=("i", "f", "g", "o"),
        parent="lstm_peephole",
    )
    p, c_prev = cell.peepholes("weight_peephole", ("i", "f", "o")), cell.state("c")
    r = {k: sum(cell.recurrent(k, cell.state(s), f"weight_from_{s}") for s in "ifo") for k in "ifo"}
    i = cell.node("i", sigmoid(cell.ax("i") + cell.ah("i") + p["i"] * c_prev + r["i"]))
    f = cell.node("f", sigmoid(cell.ax("f") + cell.ah("f") + p["f"] * c_prev + r["f"]))
    g = cell.node("g", sp.tanh(cell.ax("g") + cell.ah("g")))
    c = cell.node("c", f * c_prev + i * g)
    o = cell.node("o", sigmoid(cell.ax("o") + cell.ah("o") + p["o"] * c + r["o"]))
    cell.node("h", o * sp.tanh(c))
    return cell.build()
