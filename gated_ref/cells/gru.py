"""GRU in its reset-after form, as ``torch.nn.GRU`` and cuDNN: gate blocks r, z, n."""

import sympy as sp

from ..functions import sigmoid
from ..spec import CellBuilder, CellSpec


def build() -> CellSpec:
    """n_t = tanh(W_n x_t + b^x_n + r_t * (U_n h_{t-1} + b^h_n)); h_t = (1 - z) n + z h."""
    cell = CellBuilder(
        "gru",
        title="GRU (reset-after, as PyTorch)",
        reference="Cho et al. (2014); Chung et al. (2014)",
        states=("h",),
        gates=("r", "z", "n"),
    )
    r = cell.node("r", sigmoid(cell.ax("r") + cell.ah("r")))
    z = cell.node("z", sigmoid(cell.ax("z") + cell.ah("z")))
    n = cell.node("n", sp.tanh(cell.ax("n") + r * cell.ah("n")))
    cell.node("h", (1 - z) * n + z * cell.state("h"))
    return cell.build()
