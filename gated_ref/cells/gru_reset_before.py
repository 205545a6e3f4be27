"""GRU in its reset-before form: Cho et al. (2014) as published (EMNLP; arXiv v3), ONNX's default.

The reset gate scales h_{t-1} before the matrix U_n (ONNX ``linear_before_reset = 0``, Keras
``reset_after=False``). The first arXiv version of the paper (1406.1078v1) applied it after the
matrix instead, the form of ``gru``.
"""

import sympy as sp

from ..functions import sigmoid
from ..spec import CellBuilder, CellSpec

#: Place in gr.CELL_NAMES.
ORDER = 50


def build() -> CellSpec:
    """n_t = tanh(W_n x_t + b^x_n + U_n (r_t * h_{t-1}) + b^h_n); h_t = (1 - z) n + z h."""
    cell = CellBuilder(
        "gru_reset_before",
        title="GRU (reset-before, Cho et al. 2014)",
        reference="Cho et al. (2014), EMNLP version",
        states=("h",),
        gates=("r", "z", "n"),
        parent="gru",
    )
    h_prev = cell.state("h")
    r = cell.node("r", sigmoid(cell.ax("r") + cell.ah("r")))
    z = cell.node("z", sigmoid(cell.ax("z") + cell.ah("z")))
    reset_h = cell.node("rh", r * h_prev, inline=True)
    n = cell.node("n", sp.tanh(cell.ax("n") + cell.ah("n", source=reset_h)))
    cell.node("h", (1 - z) * n + z * h_prev)
    return cell.build()
