"""gr.check: passes on every cell, on a cell built here, and fails on broken kernels."""

from __future__ import annotations

import importlib

import numpy as np
import pytest
import sympy as sp

import gated_ref as gr
from gated_ref.check import CSE, EXACT, FINITE_DIFFERENCES, symbolic_step
from gated_ref.kernel import Kernel

# the module, not the function of the same name that gated_ref exports
check_module = importlib.import_module("gated_ref.check")


def gradient_keys(spec: gr.CellSpec, **sizes: int) -> set[str]:
    """What the kernel's backward returns: every parameter, x and each initial state."""
    return set(spec.param_shapes(3, 2, **sizes)) | {"x"} | set(spec.states)


@pytest.mark.parametrize("name", gr.CELL_NAMES)
def test_every_cell_passes(name: str) -> None:
    spec = gr.cell(name)
    report = gr.check(spec)
    assert report.ok, str(report)
    keys = gradient_keys(spec, **{size: 1 for size in spec.sizes})
    for kind in (FINITE_DIFFERENCES, EXACT, CSE):
        assert keys <= {r.key for r in report.rows if r.check == kind}, kind
    assert {r.key for r in report.rows if r.check == CSE} >= {f"final {s}" for s in spec.states}


def test_a_cell_built_here_passes_and_reads_as_a_table() -> None:
    """A cell that is none of the built-ins: a peephole on a node, x_t used elementwise."""
    cell = gr.CellBuilder(
        "test_own",
        title="test cell",
        reference="tests/test_check.py",
        states=("h",),
        gates=("z", "n"),
    )
    p = cell.peepholes("weight_peephole", ("z",))
    n = cell.node("n", sp.tanh(cell.ax("n") + cell.ah("n") + cell.input()))
    z = cell.node("z", gr.sigmoid(cell.ax("z") + cell.ah("z") + p["z"] * n))
    cell.node("h", z * cell.state("h") + (1 - z) * n)
    spec = cell.build()
    assert spec.name not in gr.CELL_NAMES
    report = gr.check(spec, sizes={"hidden_size": 3, "steps": 2}, seed=5)
    assert report.ok, str(report)
    assert report.sizes["input_size"] == report.sizes["hidden_size"] == 3  # I = H: x_t elementwise
    text = str(report)
    lines = text.splitlines()
    assert "check('test_own')" in lines[0] and "all within tolerance" in lines[0]
    table = [line for line in lines if line.startswith((FINITE_DIFFERENCES, EXACT, CSE))]
    assert len(table) == len(report.rows)
    # aligned: every row's "error" column ends at the same place as its header
    header = next(line for line in lines if line.startswith("check "))
    end = header.index("error") + len("error")
    assert all(line[end - 7 : end].strip() for line in table)
    assert all(line[end] == " " for line in table)


def test_sizes_are_validated() -> None:
    with pytest.raises(ValueError, match="proj_size"):
        gr.check("lstm", sizes={"proj_size": 2})
    with pytest.raises(ValueError, match=r"sizes\['batch'\].*0"):
        gr.check("gru", sizes={"batch": 0})
    with pytest.raises(ValueError, match="input_size.*elementwise"):
        gr.check("gru_mut1", sizes={"input_size": 3, "hidden_size": 2})
    with pytest.raises(ValueError, match="spec"):
        gr.check(42)  # type: ignore[arg-type]


def _perturbing_backward(key: str, relative: float):  # noqa: ANN202
    """Kernel.backward with one entry of ``grads[key]`` off by ``relative`` of the key's size."""
    real = Kernel.backward

    def backward(self, dy, cache, dstate=None):  # noqa: ANN001, ANN202
        grads = dict(real(self, dy, cache, dstate))
        wrong = np.array(grads[key], copy=True)
        wrong.flat[0] += relative * np.max(np.abs(wrong))
        grads[key] = wrong
        return grads

    return backward


@pytest.mark.parametrize("key", ["weight_hh", "x", "c"])
def test_a_wrong_gradient_fails_and_is_named(monkeypatch: pytest.MonkeyPatch, key: str) -> None:
    monkeypatch.setattr(Kernel, "backward", _perturbing_backward(key, 1e-3))
    report = gr.check("lstm")
    assert not report.ok
    failed = {(r.check, r.key) for r in report.failures}
    # both oracles see it; the CSE check compares two kernels that share the broken backward
    assert failed == {(FINITE_DIFFERENCES, key), (EXACT, key)}
    text = str(report)
    assert "2 FAILED" in text.splitlines()[0]
    assert all(key in line for line in text.splitlines() if line.endswith("FAIL"))


def test_exact_derivatives_see_what_finite_differences_cannot(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """An error far below the finite differences' noise still fails the 50-digit check."""
    monkeypatch.setattr(Kernel, "backward", _perturbing_backward("bias_ih", 1e-8))
    report = gr.check("gru")
    assert {(r.check, r.key) for r in report.failures} == {(EXACT, "bias_ih")}


def test_a_cse_kernel_that_disagrees_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    real_lower = check_module.lower

    def lower(spec, *, cse=True):  # noqa: ANN001, ANN202
        kernel = real_lower(spec, cse=cse)
        if not cse:  # the kernel without CSE gets a wrong forward output
            forward = kernel.forward

            def wrong_forward(x, params, state=None):  # noqa: ANN001, ANN202
                y, final, cache = forward(x, params, state)
                return y * (1 + 1e-9), final, cache

            kernel.forward = wrong_forward  # type: ignore[method-assign]
        return kernel

    monkeypatch.setattr(check_module, "lower", lower)
    report = gr.check("rnn_tanh")
    assert {(r.check, r.key) for r in report.failures} == {(CSE, "y")}


def test_symbolic_step_matches_a_hand_written_gru() -> None:
    """The exact oracle's forward, against PyTorch's GRU equations written out here."""
    spec = gr.cell("gru")
    leaves, new = symbolic_step(spec, 2, 2)
    rng = np.random.default_rng(1)
    values = {key: rng.standard_normal(syms.shape) for key, syms in leaves.items()}
    point = {
        syms[i]: values[key][i] for key, syms in leaves.items() for i in np.ndindex(syms.shape)
    }
    got = np.array([float(e.xreplace(point).evalf(30)) for e in new["h"]])
    w, u, bx, bh = (values[k] for k in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"))
    x, h = values["x"][0, 0], values["h"][0]
    ax, ah = w @ x + bx, u @ h + bh

    def sig(a: np.ndarray) -> np.ndarray:
        return 1 / (1 + np.exp(-a))

    r, z = sig(ax[0:2] + ah[0:2]), sig(ax[2:4] + ah[2:4])
    n = np.tanh(ax[4:6] + r * ah[4:6])
    np.testing.assert_allclose(got, (1 - z) * n + z * h, rtol=1e-13)
