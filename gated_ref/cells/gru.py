"""GRU in its reset-after form, as ``torch.nn.GRU`` and cuDNN: gate blocks r, z, n.

The reset gate scales ``U_n h_{t-1} + b^h_n``, after the matrix. This is the candidate of the
first arXiv version of Cho et al. (2014, arXiv:1406.1078v1); later versions and the EMNLP paper
apply the reset gate before the matrix (``gru_reset_before``). The update puts z on the
previous state, as Cho et al. do. Chung et al. (2014) use the reset-before candidate and the
opposite update convention, z on the candidate, so they are not a source for this form.
"""

import sympy as sp

from ..functions import sigmoid
from ..spec import CellBuilder, CellSpec

#: Place in gr.CELL_NAMES.
ORDER = 40


def build() -> CellSpec:
    """n_t = tanh(W_n x_t + b^x_n + r_t * (U_n h_{t-1} + b^h_n)); h_t = (1 - z) n + z h."""
    cell = CellBuilder(
        "gru",
        title="GRU (reset-after, as PyTorch)",
        reference="Cho et al. (2014), arXiv v1; torch.nn.GRU and cuDNN",
        states=("h",),
        gates=("r", "z", "n"),
    )
    r = cell.node("r", sigmoid(cell.ax("r") + cell.ah("r")))
    z = cell.node("z", sigmoid(cell.ax("z") + cell.ah("z")))
    n = cell.node("n", sp.tanh(cell.ax("n") + r * cell.ah("n")))
    cell.node("h", (1 - z) * n + z * cell.state("h"))
    return cell.build()
