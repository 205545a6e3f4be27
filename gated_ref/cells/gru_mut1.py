"""MUT1 (Jozefowicz et al. 2015): z has no recurrent term, n adds tanh(x_t) (so I = H).
Blocks: weight_ih r, z; weight_hh r, n. z weighs the candidate, as in the paper."""

import sympy as sp

from ..functions import sigmoid
from ..spec import CellBuilder, CellSpec

ORDER = 200


def build() -> CellSpec:
    """h_t = n_t z_t + h_{t-1} (1 - z_t), n_t = tanh(U_n (r_t h_{t-1}) + tanh(x_t) + b_n)."""
    cell = CellBuilder(
        "gru_mut1",
        title="MUT1 (Jozefowicz et al. 2015)",
        reference="Jozefowicz, Zaremba & Sutskever (2015), An Empirical Exploration of RNNs",
        states=("h",),
        gates=("r", "z", "n"),
        parent="gru_reset_before",
    )
    h_prev = cell.state("h")
    z = cell.node("z", sigmoid(cell.ax("z")))
    r = cell.node("r", sigmoid(cell.ax("r") + cell.ah("r")))
    rh = cell.node("rh", r * h_prev, inline=True)
    n = cell.node("n", sp.tanh(cell.ah("n", source=rh) + sp.tanh(cell.input())))
    cell.node("h", n * z + h_prev * (1 - z))
    return cell.build()
