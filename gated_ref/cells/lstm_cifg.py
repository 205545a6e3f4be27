"""LSTM with coupled input and forget gates (CIFG): i_t = 1 - f_t. Gate blocks f, g, o."""

import sympy as sp

from ..functions import sigmoid
from ..spec import CellBuilder, CellSpec

#: Place in gr.CELL_NAMES.
ORDER = 30


def build() -> CellSpec:
    """The coupled-gate LSTM of Greff et al. (2017), with two differences from their CIFG: the
    input gate follows the forget gate (i = 1 - f, where they write f = 1 - i), and no peepholes."""
    cell = CellBuilder(
        "lstm_cifg",
        title="LSTM with coupled input-forget gate (CIFG)",
        reference="Greff et al. (2017)",
        states=("h", "c"),
        gates=("f", "g", "o"),
        parent="lstm",
    )
    f = cell.node("f", sigmoid(cell.ax("f") + cell.ah("f")))
    i = cell.node("i", 1 - f)
    g = cell.node("g", sp.tanh(cell.ax("g") + cell.ah("g")))
    o = cell.node("o", sigmoid(cell.ax("o") + cell.ah("o")))
    c = cell.node("c", f * cell.state("c") + i * g)
    cell.node("h", o * sp.tanh(c))
    return cell.build()
