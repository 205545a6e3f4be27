"""Elman RNN with tanh, as ``torch.nn.RNN(nonlinearity="tanh")``."""

import sympy as sp

from ..spec import CellBuilder, CellSpec

#: Place in gr.CELL_NAMES.
ORDER = 0


def build() -> CellSpec:
    """h_t = tanh(W x_t + U h_{t-1} + b)."""
    cell = CellBuilder(
        "rnn_tanh",
        title="Vanilla RNN (tanh)",
        reference="Elman (1990)",
        states=("h",),
        gates=("h",),
        gate_labels={"h": ""},
    )
    cell.node("h", sp.tanh(cell.ax("h") + cell.ah("h")))
    return cell.build()
