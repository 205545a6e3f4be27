"""Numbers and orders the teaching pages print: recurrent products per step (counted by running
the kernels, not by reading their source), the display order of state updates, the activation
caption's slopes."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

import gated_ref as gr

DIAGRAMS = Path(__file__).resolve().parents[1] / "diagrams"


def _load(name: str):  # noqa: ANN202
    """Import ``diagrams/<name>.py`` as a module (its folder on sys.path, as the runner does)."""
    if str(DIAGRAMS) not in sys.path:
        sys.path.insert(0, str(DIAGRAMS))
    spec = importlib.util.spec_from_file_location(f"_test_{name}", DIAGRAMS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


class _Counted(np.ndarray):
    """An array that counts the matrix products it takes part in."""

    calls = 0

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):  # noqa: ANN001, ANN204
        if ufunc is np.matmul:
            type(self).calls += 1
        plain = [i.view(np.ndarray) if isinstance(i, _Counted) else i for i in inputs]
        return getattr(ufunc, method)(*plain, **kwargs)


def _matmuls_with_weight_hh(name: str, steps: int) -> int:
    """Matrix products with any recurrent matrix (weight_hh, extra recurrent matrices, a
    projection) in a forward run of ``steps`` steps, counted by the matrices themselves."""
    kernel = gr.lower(gr.cell(name))
    spec = kernel.spec
    sizes = {size: 3 for size in spec.sizes}
    n_in = 4 if spec.input_symbol is not None else 3
    params = kernel.init_params(n_in, 4, rng=np.random.default_rng(0), **sizes)
    recurrent = ["weight_hh"] + [f.key for f in spec.families] + list(spec.sizes.values())
    for key in recurrent:
        if key in params:
            params[key] = params[key].view(_Counted)
    x = np.random.default_rng(1).standard_normal((steps, 2, n_in))
    widths = {s: spec.size_of(spec.prev[s], 4, **sizes) for s in spec.states}
    _Counted.calls = 0
    # the generated module itself: Kernel.forward copies params into plain arrays for its cache
    kernel._module.forward(x, params, {s: np.zeros((2, widths[s])) for s in spec.states})
    return _Counted.calls


@pytest.mark.parametrize("name", gr.CELL_NAMES)
def test_products_per_step_match_a_run(name: str) -> None:
    """The count on the Generated code page = extra products with weight_hh per extra step."""
    code = _load("generated_code")
    spec = gr.cell(name)
    printed = len(code.recurrent_products(spec, gr.lower(spec).source))
    measured = _matmuls_with_weight_hh(name, 3) - _matmuls_with_weight_hh(name, 2)
    assert printed == measured


def test_reset_before_needs_two_products_reset_after_one() -> None:
    assert (
        _matmuls_with_weight_hh("gru_reset_before", 2)
        - _matmuls_with_weight_hh("gru_reset_before", 1)
        == 2
    )
    assert _matmuls_with_weight_hh("gru", 2) - _matmuls_with_weight_hh("gru", 1) == 1


@pytest.mark.parametrize(
    ("name", "lhs", "first"),
    [
        ("lstm", "c_{t}", r"f_{t} \odot c_{t-1}"),
        ("lstm_peephole", "c_{t}", r"f_{t} \odot c_{t-1}"),
        ("lstm_cifg", "c_{t}", r"f_{t} \odot c_{t-1}"),
        ("gru", "h_{t}", r"z_{t} \odot h_{t-1}"),
        ("gru_reset_before", "h_{t}", r"z_{t} \odot h_{t-1}"),
    ],
)
def test_state_update_prints_carried_term_first(name: str, lhs: str, first: str) -> None:
    spec = gr.cell(name)
    eq = next(e for e in spec.equations if spec.latex_of(e.lhs) == lhs)
    assert spec.latex_of(eq.rhs).startswith(first + " + ")


def test_activation_caption_slopes() -> None:
    """The caption's maxima against the closed forms: tanh'(0) = 1, sigma'(0) = 1/4."""
    act = _load("activations")
    a = np.linspace(-6.0, 6.0, 481)
    t = np.tanh(a)
    s = 1 / (1 + np.exp(-a))
    text = act.caption(a, 1 - t**2, s * (1 - s))
    assert r"\tanh'(0) = 1$" in text and r"\sigma'(0) = 0.25$" in text
