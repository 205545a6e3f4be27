"""The LSTM of Hochreiter & Schmidhuber (1997), before the forget gate: gate blocks i, g, o."""

import sympy as sp

from ..functions import sigmoid
from ..spec import CellBuilder, CellSpec

#: Place in gr.CELL_NAMES.
ORDER = 60


def build() -> CellSpec:
    """c_t = c_{t-1} + i_t g_t: the constant error carousel, self-weight 1; h = o tanh(c)."""
    cell = CellBuilder(
        "lstm_1997",
        title="LSTM (1997, no forget gate)",
        reference="Hochreiter & Schmidhuber (1997)",
        states=("h", "c"),
        gates=("i", "g", "o"),
        parent="lstm",
    )
    i = cell.node("i", sigmoid(cell.ax("i") + cell.ah("i")))
    g = cell.node("g", sp.tanh(cell.ax("g") + cell.ah("g")))
    o = cell.node("o", sigmoid(cell.ax("o") + cell.ah("o")))
    c = cell.node("c", cell.state("c") + i * g)
    cell.node("h", o * sp.tanh(c))
    return cell.build()
