"""gated-ref: LSTM and GRU cells written once in SymPy, with derived gradients and NumPy kernels."""

from .cells import CELL_NAMES, cell
from .derive import Backward, derive
from .kernel import Kernel
from .lower import lower
from .spec import CellSpec

__all__ = ["CELL_NAMES", "Backward", "CellSpec", "Kernel", "cell", "derive", "lower"]
__version__ = "0.1.0"
