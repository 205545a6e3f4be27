"""LSTM with a projection, as ``torch.nn.LSTM(proj_size=P)`` (Sak, Senior & Beaufays 2014):
h_t = W_hr (o_t tanh(c_t)) has P units, and it is h that recurs: weight_hh is (4H, P)."""

import sympy as sp

from ..functions import sigmoid
from ..spec import CellBuilder, CellSpec

ORDER = 400


def build() -> CellSpec:
    """The LSTM, whose output m_t = o_t tanh(c_t) is projected: h_t = W_hr m_t."""
    cell = CellBuilder(
        "lstm_proj",
        title="LSTM with projection (LSTMP)",
        reference="Sak, Senior & Beaufays (2014); torch.nn.LSTM(proj_size=P)",
        states=("h", "c"),
        gates=("i", "f", "g", "o"),
        parent="lstm",
    )
    i = cell.node("i", sigmoid(cell.ax("i") + cell.ah("i")))
    f = cell.node("f", sigmoid(cell.ax("f") + cell.ah("f")))
    g = cell.node("g", sp.tanh(cell.ax("g") + cell.ah("g")))
    o = cell.node("o", sigmoid(cell.ax("o") + cell.ah("o")))
    c = cell.node("c", f * cell.state("c") + i * g)
    m = cell.node("m", o * sp.tanh(c))
    cell.project("h", m, key="weight_hr", size="proj_size")
    return cell.build()
