"""IndRNN of Li, Li, Cook, Zhu & Gao (2018): each unit sees only its own past, u * h_{t-1}.

No recurrent matrix: the recurrent weight is the vector ``recurrent_weight`` (1, H).
"""

from ..functions import relu
from ..spec import CellBuilder, CellSpec

ORDER = 300


def build() -> CellSpec:
    """h_t = relu(W x_t + b + u h_{t-1})."""
    cell = CellBuilder(
        "indrnn",
        title="Independently recurrent network (IndRNN)",
        reference="Li et al. (2018), Independently Recurrent Neural Network (IndRNN)",
        states=("h",),
        gates=("h",),
        gate_labels={"h": ""},
        parent="rnn_tanh",
    )
    u = cell.peepholes("recurrent_weight", ("",), name="u")[""]
    cell.node("h", relu(cell.ax("h") + u * cell.state("h")))
    return cell.build()
