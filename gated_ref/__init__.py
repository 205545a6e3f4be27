"""gated-ref: LSTM and GRU cells written once in SymPy, with derived gradients and NumPy kernels."""

from .cells import CELL_NAMES, cell
from .check import CheckReport, check
from .derive import Backward, derive
from .functions import relu, sigmoid
from .kernel import Kernel
from .lower import lower
from .spec import CellBuilder, CellSpec

__all__ = [
    "CELL_NAMES",
    "Backward",
    "CellBuilder",
    "CellSpec",
    "CheckReport",
    "Kernel",
    "cell",
    "check",
    "derive",
    "lower",
    "relu",
    "sigmoid",
]
__version__ = "0.1.0"
