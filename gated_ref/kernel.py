"""The public face of a generated kernel: validated forward/backward and parameter init."""

from __future__ import annotations

import inspect
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

from .spec import CellSpec

Params = dict[str, np.ndarray]
State = dict[str, np.ndarray]
Cache = dict[str, Any]

_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))


def _what(value: object) -> str:
    """What came, in words: a type name, or an array's shape."""
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape}"
    if isinstance(value, dict):
        return f"a dict with keys {sorted(map(str, value))}"
    if value is None:
        return "None"
    return f"an object of type {type(value).__name__}"


def _formula(shape: tuple[int, ...]) -> str:
    """A probe shape (I = 11, H = 5, P = 7) written with the size names, e.g. ``(4H, I)``."""
    names = []
    for d in shape:
        for size, name in ((11, "I"), (7, "P"), (5, "H")):
            if d % size == 0:
                names.append(name if d == size else f"{d // size}{name}")
                break
    return f"({', '.join(names)}{',' if len(names) == 1 else ''})"


def _check_array(name: str, value: object, shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
    if not isinstance(value, np.ndarray):
        raise ValueError(f"{name}: expected a numpy array of shape {shape}, got {type(value)}")
    if value.shape != shape:
        raise ValueError(f"{name}: got shape {value.shape}, expected {shape}")
    if value.dtype != dtype:
        raise ValueError(f"{name}: got dtype {value.dtype}, expected {dtype} (the dtype of x)")
    if not np.isfinite(value).all():
        bad = value[~np.isfinite(value)].flat[0]
        raise ValueError(f"{name}: got a non-finite value ({bad}), expected finite numbers")
    return value


def _frozen_copy(value: np.ndarray) -> np.ndarray:
    """A C-contiguous copy that raises on write."""
    out = np.array(value, order="C", copy=True)
    out.flags.writeable = False
    return out


class Kernel:
    """A cell lowered to NumPy: ``forward``, ``backward``, ``init_params`` and its ``source``."""

    def __init__(self, spec: CellSpec, path: Path, module: ModuleType) -> None:
        self.spec = spec
        self.path = path
        self._module = module

    @property
    def name(self) -> str:
        """The cell's name."""
        return self.spec.name

    @property
    def source(self) -> str:
        """The generated Python source text (a real file: ``self.path``)."""
        return inspect.getsource(self._module)

    @property
    def cached_per_step(self) -> tuple[str, ...]:
        """Names of the per-step (B, H) quantities the forward pass keeps for backward."""
        return tuple(self._module.CACHED)

    def param_shapes(
        self, input_size: int, hidden_size: int, **sizes: int
    ) -> dict[str, tuple[int, ...]]:
        """Shape of every parameter, in PyTorch's names and layout."""
        return self.spec.param_shapes(input_size, hidden_size, **sizes)

    def init_params(
        self,
        input_size: int,
        hidden_size: int,
        rng: np.random.Generator | None = None,
        dtype: type | np.dtype = np.float64,
        **sizes: int,
    ) -> Params:
        """Parameters drawn as PyTorch does: uniform on (-1/sqrt(H), 1/sqrt(H)).

        ``sizes``: the cell's extra sizes, e.g. ``proj_size=P`` for ``lstm_proj``.
        """
        every = {"input_size": input_size, "hidden_size": hidden_size, **sizes}
        for arg, value in every.items():
            if not isinstance(value, int | np.integer) or isinstance(value, bool) or value < 1:
                raise ValueError(f"{arg}: got {value!r}, expected a positive integer")
        try:
            dt = np.dtype(dtype)
        except TypeError:
            raise ValueError(f"dtype: got {dtype!r}, expected float32 or float64") from None
        if dt not in _FLOATS:
            raise ValueError(f"dtype: got {dt}, expected float32 or float64")
        if rng is not None and not isinstance(rng, np.random.Generator):
            raise ValueError(f"rng: got {_what(rng)}, expected a numpy.random.Generator or None")
        rng = np.random.default_rng(0) if rng is None else rng
        bound = 1.0 / np.sqrt(hidden_size)
        return {
            key: rng.uniform(-bound, bound, size=shape).astype(dt)
            for key, shape in self.param_shapes(
                int(input_size), int(hidden_size), **{k: int(v) for k, v in sizes.items()}
            ).items()
        }

    # ---- validation ----------------------------------------------------------------------
    def _check_params(
        self, params: object, input_size: int, dtype: np.dtype
    ) -> tuple[Params, int, dict[str, int]]:
        if not isinstance(params, dict):
            raise ValueError(f"params: expected a dict of arrays, got {type(params)}")
        spec = self.spec
        ones = {size: 1 for size in spec.sizes}
        expected_keys = list(spec.param_shapes(1, 1, **ones))
        for key in expected_keys:
            if key not in params:
                raise KeyError(
                    f"params: missing {key!r}; cell {self.name!r} expects {expected_keys}"
                )
        extra = sorted(set(params) - set(expected_keys))
        if extra:
            raise ValueError(f"params: unexpected key(s) {extra}; expected {expected_keys}")
        # H: the columns of weight_hh (rows / G when it multiplies a projection), else the
        # rows of weight_ih / G
        probe = spec.param_shapes(1, 2, **{size: 3 for size in spec.sizes})
        named = spec.param_shapes(11, 5, **{size: 7 for size in spec.sizes})
        key = "weight_hh" if "weight_hh" in probe else "weight_ih"
        for k in [key, *spec.sizes.values()]:
            value = params[k]
            if not isinstance(value, np.ndarray) or value.ndim != 2:
                raise ValueError(
                    f"params[{k!r}]: got {_what(value)}, expected a 2-D array {_formula(named[k])}"
                )
        value = params[key]
        if key == "weight_hh" and probe[key][1] == 2:
            hidden = value.shape[1]
        else:
            hidden = value.shape[0] // (probe[key][0] // 2)
        sizes = spec.sizes_from(params)
        for key, shape in spec.param_shapes(input_size, hidden, **sizes).items():
            _check_array(f"params[{key!r}]", params[key], shape, dtype)
        return params, hidden, sizes

    def _check_state(
        self, name: str, state: object, batch: int, widths: dict[str, int], dtype: np.dtype
    ) -> State:
        if state is None:
            return {s: np.zeros((batch, widths[s]), dtype) for s in self.spec.states}
        if not isinstance(state, dict):
            raise ValueError(
                f"{name}: got {_what(state)}, expected None or a dict with keys {self.spec.states}"
            )
        for s in self.spec.states:
            if s not in state:
                raise KeyError(
                    f"{name}: missing {s!r}; cell {self.name!r} expects {self.spec.states}"
                )
        extra = sorted(set(state) - set(self.spec.states))
        if extra:
            raise ValueError(f"{name}: unexpected key(s) {extra}; expected {self.spec.states}")
        return {
            s: _check_array(f"{name}[{s!r}]", state[s], (batch, widths[s]), dtype)
            for s in self.spec.states
        }

    def _widths(self, hidden: int, sizes: dict[str, int]) -> dict[str, int]:
        every = {"hidden_size": hidden, **sizes}
        return {s: every[self.spec.state_sizes[s]] for s in self.spec.states}

    # ---- the passes ----------------------------------------------------------------------
    def forward(
        self, x: np.ndarray, params: Params, state: State | None = None
    ) -> tuple[np.ndarray, State, Cache]:
        """Run the cell over ``x`` (T, B, I): outputs y (T, B, H), final state, cache."""
        if not isinstance(x, np.ndarray) or x.ndim != 3:
            got = getattr(x, "shape", type(x))
            raise ValueError(f"x: got {got}, expected a 3-D array (T, B, I)")
        if x.dtype not in _FLOATS:
            raise ValueError(f"x: got dtype {x.dtype}, expected float32 or float64")
        if min(x.shape) < 1:
            raise ValueError(f"x: got shape {x.shape}, expected T, B, I >= 1")
        _check_array("x", x, x.shape, x.dtype)
        params, hidden, sizes = self._check_params(params, x.shape[2], x.dtype)
        if self.spec.input_symbol is not None and x.shape[2] != hidden:
            raise ValueError(
                f"x: got input size I={x.shape[2]}, expected I = H = {hidden}: cell "
                f"{self.name!r} uses x_t elementwise"
            )
        widths = self._widths(hidden, sizes)
        state = self._check_state("state", state, x.shape[1], widths, x.dtype)
        # The cache owns what backward reads: the caller may change x or params afterwards.
        x = _frozen_copy(x)
        params = {key: _frozen_copy(value) for key, value in params.items()}
        y, final, cache = self._module.forward(x, params, state)
        cache["cell"] = self.name
        cache["entries"] = tuple(sorted(cache))  # what backward will check is still there
        return y, final, cache

    def backward(
        self, dy: np.ndarray, cache: Cache, dstate: State | None = None
    ) -> dict[str, np.ndarray]:
        """Gradients of every parameter, ``x`` and the initial state, given dL/dy (T, B, H)."""
        expected = f"the cache this {self.name!r} kernel's forward returned"
        if not isinstance(cache, dict) or "cell" not in cache:
            got = "a dict without a 'cell' entry" if isinstance(cache, dict) else _what(cache)
            raise ValueError(f"cache: got {got}, expected {expected}")
        if cache["cell"] != self.name:
            raise ValueError(f"cache: got one from {cache['cell']!r}, expected {expected}")
        missing = [k for k in cache.get("entries", ("entries",)) if k not in cache]
        if missing:
            raise ValueError(f"cache: missing {missing}; expected {expected}, unchanged")
        x = cache["x"]
        t, b, _ = x.shape
        _, hidden, sizes = self._check_params(cache["params"], x.shape[2], x.dtype)
        widths = self._widths(hidden, sizes)
        dy = _check_array("dy", dy, (t, b, widths["h"]), x.dtype)
        dstate = self._check_state("dstate", dstate, b, widths, x.dtype)
        return self._module.backward(dy, cache, dstate)
