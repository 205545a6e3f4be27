"""LSTM with peephole connections (Gers & Schmidhuber 2000): i and f see c_{t-1}, o sees c_t."""

import sympy as sp

from ..functions import sigmoid
from ..spec import CellBuilder, CellSpec

#: Place in gr.CELL_NAMES.
ORDER = 20


def build() -> CellSpec:
    """The LSTM of ``lstm.py`` plus ``weight_peephole`` (3, H), rows i, f, o."""
    cell = CellBuilder(
        "lstm_peephole",
        title="LSTM with peepholes",
        reference="Gers & Schmidhuber (2000)",
        states=("h", "c"),
        gates=("i", "f", "g", "o"),
        parent="lstm",
    )
    p = cell.peepholes("weight_peephole", ("i", "f", "o"))
    c_prev = cell.state("c")
    i = cell.node("i", sigmoid(cell.ax("i") + cell.ah("i") + p["i"] * c_prev))
    f = cell.node("f", sigmoid(cell.ax("f") + cell.ah("f") + p["f"] * c_prev))
    g = cell.node("g", sp.tanh(cell.ax("g") + cell.ah("g")))
    c = cell.node("c", f * c_prev + i * g)
    o = cell.node("o", sigmoid(cell.ax("o") + cell.ah("o") + p["o"] * c))
    cell.node("h", o * sp.tanh(c))
    return cell.build()
