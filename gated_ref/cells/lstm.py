"""LSTM with a forget gate, as ``torch.nn.LSTM``: gate blocks i, f, g, o."""

import sympy as sp

from ..functions import sigmoid
from ..spec import CellBuilder, CellSpec

#: Place in gr.CELL_NAMES.
ORDER = 10


def build() -> CellSpec:
    """Hochreiter & Schmidhuber (1997) with the forget gate of Gers et al. (2000)."""
    cell = CellBuilder(
        "lstm",
        title="LSTM",
        reference="Hochreiter & Schmidhuber (1997); Gers, Schmidhuber & Cummins (2000)",
        states=("h", "c"),
        gates=("i", "f", "g", "o"),
    )
    i = cell.node("i", sigmoid(cell.ax("i") + cell.ah("i")))
    f = cell.node("f", sigmoid(cell.ax("f") + cell.ah("f")))
    g = cell.node("g", sp.tanh(cell.ax("g") + cell.ah("g")))
    o = cell.node("o", sigmoid(cell.ax("o") + cell.ah("o")))
    c = cell.node("c", f * cell.state("c") + i * g)
    cell.node("h", o * sp.tanh(c))
    return cell.build()
