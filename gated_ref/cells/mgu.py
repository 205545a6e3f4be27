"""The minimal gated unit of Zhou, Wu, Zhang & Zhou (2016): one forget gate. Blocks f, n."""

import sympy as sp

from ..functions import sigmoid
from ..spec import CellBuilder, CellSpec

ORDER = 230


def build() -> CellSpec:
    """n_t = tanh(W_n x_t + U_n (f_t h_{t-1}) + b_n); h_t = (1 - f_t) h_{t-1} + f_t n_t."""
    cell = CellBuilder(
        "mgu",
        title="Minimal gated unit (MGU)",
        reference="Zhou, Wu, Zhang & Zhou (2016), Minimal Gated Unit for Recurrent Neural Networks",
        states=("h",),
        gates=("f", "n"),
        parent="gru_reset_before",
    )
    h_prev = cell.state("h")
    f = cell.node("f", sigmoid(cell.ax("f") + cell.ah("f")))
    fh = cell.node("fh", f * h_prev, inline=True)
    n = cell.node("n", sp.tanh(cell.ax("n") + cell.ah("n", source=fh)))
    cell.node("h", (1 - f) * h_prev + f * n)
    return cell.build()
