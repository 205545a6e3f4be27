"""The cells: one module each, holding nothing but forward equations."""

from __future__ import annotations

import importlib
from functools import cache

from ..spec import CellSpec

#: Every cell gated_ref knows, in the order the site presents them.
CELL_NAMES: tuple[str, ...] = (
    "rnn_tanh",
    "lstm",
    "lstm_peephole",
    "lstm_cifg",
    "gru",
    "gru_reset_before",
    "lstm_1997",
)


@cache
def cell(name: str) -> CellSpec:
    """The symbolic cell called ``name`` (one of :data:`CELL_NAMES`)."""
    if not isinstance(name, str) or name not in CELL_NAMES:
        raise KeyError(f"cell name: got {name!r}, expected one of {', '.join(CELL_NAMES)}")
    module = importlib.import_module(f"{__name__}.{name}")
    return module.build()
