"""Greff et al. (2017), FGR: the peephole LSTM whose gates i, f, o at t-1 feed i, f, o at t
through nine matrices (``weight_from_i/f/o``, blocks i, f, o, no bias); so i, f, o are states."""

import sympy as sp

from ..functions import sigmoid
from ..spec import CellBuilder, CellSpec

ORDER = 150


def build() -> CellSpec:
    cell = CellBuilder(
        "lstm_fgr",
        title="LSTM, full gate recurrence (FGR)",
        reference="Greff et al. (2017), LSTM: A Search Space Odyssey",
        states=("h", "c", "i", "f", "o"),
        gates=("i", "f", "g", "o"),
        parent="lstm_peephole",
    )
    p = cell.peepholes("weight_peephole", ("i", "f", "o"))
    c_prev = cell.state("c")

    def r(k: str) -> sp.Expr:
        return sum(cell.recurrent(k, cell.state(s), f"weight_from_{s}") for s in ("i", "f", "o"))

    i = cell.node("i", sigmoid(cell.ax("i") + cell.ah("i") + p["i"] * c_prev + r("i")))
    f = cell.node("f", sigmoid(cell.ax("f") + cell.ah("f") + p["f"] * c_prev + r("f")))
    g = cell.node("g", sp.tanh(cell.ax("g") + cell.ah("g")))
    c = cell.node("c", f * c_prev + i * g)
    o = cell.node("o", sigmoid(cell.ax("o") + cell.ah("o") + p["o"] * c + r("o")))
    cell.node("h", o * sp.tanh(c))
    return cell.build()
