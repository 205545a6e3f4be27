"""The cells: one module each, holding nothing but forward equations.

Discovery lives here and only here: every module of this package that defines ``build()`` is a
cell, named after its module, placed in :data:`CELL_NAMES` by its ``ORDER`` (then its name).
Adding a cell is adding one file.
"""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache
from types import ModuleType

from ..spec import CellSpec


def _modules() -> dict[str, ModuleType]:
    found: dict[str, ModuleType] = {}
    for info in pkgutil.iter_modules(__path__):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        if callable(getattr(module, "build", None)):
            found[info.name] = module
    return found


_MODULES = _modules()

#: Every cell gated_ref knows, in the order the modules declare (``ORDER``), the six cells of
#: the first round first.
CELL_NAMES: tuple[str, ...] = tuple(
    sorted(_MODULES, key=lambda name: (getattr(_MODULES[name], "ORDER", 1000), name))
)


def cell(name: str) -> CellSpec:
    """The symbolic cell called ``name`` (one of :data:`CELL_NAMES`)."""
    if not isinstance(name, str) or name not in CELL_NAMES:
        raise KeyError(f"cell name: got {name!r}, expected one of {', '.join(CELL_NAMES)}")
    return _built(name)


@cache  # after the check: an unhashable name must get the message above, not a TypeError
def _built(name: str) -> CellSpec:
    spec = _MODULES[name].build()
    if not isinstance(spec, CellSpec) or spec.name != name:
        got = getattr(spec, "name", type(spec))
        raise ValueError(
            f"cell module {name!r}: build() returned {got!r}, expected CellSpec {name!r}"
        )
    return spec
