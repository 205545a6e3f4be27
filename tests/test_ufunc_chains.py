"""The in-place printer of elementwise statements: the value SymPy's own ``lambdify`` gives, and
no array allocated inside a generated time loop."""

from __future__ import annotations

import ast

import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

import gated_ref as gr
from gated_ref.functions import relu, sigmoid
from gated_ref.numpy_printer import KernelPrinter
from gated_ref.ufunc_chains import Compute, Line, StepWriter

A, B_, C = sp.symbols("a b c")  # batch values
P = sp.Symbol("p")  # a per-unit weight: no batch axis
LEAVES = [A, B_, C, P, sp.Integer(1), sp.Integer(2), sp.Rational(1, 2), sp.Float(0.25)]


def expressions() -> st.SearchStrategy[sp.Expr]:
    """Random expressions over a, b, c, p: sums, products, differences, quotients, squares,
    tanh, sigmoid, relu."""
    leaf = st.sampled_from(LEAVES)

    def grow(children: st.SearchStrategy[sp.Expr]) -> st.SearchStrategy[sp.Expr]:
        pair = st.tuples(children, children)
        return st.one_of(
            pair.map(lambda t: t[0] + t[1]),
            pair.map(lambda t: t[0] * t[1]),
            pair.map(lambda t: t[0] - t[1]),
            pair.map(lambda t: t[0] / (2 + t[1] ** 2)),
            children.map(lambda e: e**2),
            children.map(lambda e: -e),
            children.map(sp.tanh),
            children.map(sigmoid),
            children.map(relu),
        )

    return st.recursive(leaf, grow, max_leaves=8)


def run_chain(exprs: list[sp.Expr], values: dict[str, np.ndarray]) -> list[np.ndarray]:
    """Print ``out_k = expr_k`` with the StepWriter, each result kept in a home, and run it."""
    widths = {"a": "H", "b": "H", "c": "H", "p": None}
    writer = StepWriter(widths.get, KernelPrinter({"fully_qualified_modules": True}), "")
    items: list[Compute | Line] = [
        Compute(f"out{k}", e + A * 0 + A if e.free_symbols <= {P} else e, f"home{k}")
        for k, e in enumerate(exprs)
    ]
    lines = writer.write(items)
    shape = values["a"].shape
    env: dict[str, object] = {"numpy": np, **values}
    env["_sigmoid"] = lambda a: 0.5 + 0.5 * np.tanh(0.5 * a)
    env.update({name: np.empty(shape) for name, _ in writer.registers})
    env.update({f"home{k}": np.full(shape, np.nan) for k in range(len(exprs))})
    exec("\n".join(lines), env)  # noqa: S102
    return [env[f"home{k}"] for k in range(len(exprs))]  # type: ignore[misc]


@settings(max_examples=60, deadline=None)
@given(st.lists(expressions(), min_size=1, max_size=3))
def test_chains_compute_what_lambdify_computes(exprs: list[sp.Expr]) -> None:
    rng = np.random.default_rng(0)
    values = {n: rng.uniform(-2, 2, (3, 4)) for n in "abc"}
    values["p"] = rng.uniform(-2, 2, 4)
    got = run_chain(exprs, values)
    modules = [{"sigmoid": lambda a: 1 / (1 + np.exp(-a)), "relu": lambda a: np.maximum(a, 0)}]
    for expr, value in zip(exprs, got, strict=True):
        target = expr + A * 0 + A if expr.free_symbols <= {P} else expr
        expected = sp.lambdify((A, B_, C, P), target, modules=[*modules, "numpy"])(
            values["a"], values["b"], values["c"], values["p"]
        )
        np.testing.assert_allclose(value, np.broadcast_to(expected, value.shape), rtol=1e-12)


def test_registers_are_reused_and_homes_written_in_place() -> None:
    """Three statements that each need one temporary share one register; a value read later
    keeps its own; a kept value is computed into its home."""
    widths = {"a": "H", "b": "H", "c": "H"}
    writer = StepWriter(widths.get, KernelPrinter(), "")
    u = sp.Symbol("u")
    lines = writer.write(
        [
            Compute("u", sp.tanh(A) * sp.tanh(B_)),
            Compute("y1", sp.tanh(C) * sp.tanh(A), "home1"),
            Compute("y2", sp.tanh(B_) * sp.tanh(u), "home2"),
        ]
    )
    assert len(writer.registers) == 2, lines  # u's, and one temporary for all three
    assert lines[-1].endswith("out=home2)"), lines


def _loop_bodies(source: str) -> list[ast.stmt]:
    tree = ast.parse(source)
    body: list[ast.stmt] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.For):
            body.extend(node.body)
    return body


def _allocates(stmt: ast.stmt) -> bool:
    """Whether a statement can allocate an array: anything but a view bound to a name, an
    in-place update, or a NumPy call writing into ``out=``."""
    if isinstance(stmt, ast.Assign) and isinstance(stmt.value, ast.Name | ast.Subscript):
        return False  # a name for a view (or for another name)
    if isinstance(stmt, ast.AugAssign):
        value = stmt.value
        # dP[k] += r.sum(axis=0): the only (H,) reduction of a per-unit weight's gradient
        summed = isinstance(value, ast.Call) and getattr(value.func, "attr", "") == "sum"
        return not (isinstance(value, ast.Name | ast.Subscript | ast.Attribute) or summed)
    if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call):
        return not any(k.arg == "out" for k in stmt.value.keywords) and not (
            getattr(stmt.value.func, "attr", "") == "copyto"
        )
    return True


@pytest.mark.parametrize("name", gr.CELL_NAMES)
def test_no_array_is_allocated_inside_the_time_loops(name: str) -> None:
    source = gr.lower(gr.cell(name)).source
    body = _loop_bodies(source)
    assert body, "no time loop found"
    bad = [ast.unparse(s) for s in body if _allocates(s)]
    assert not bad, f"{name}: statements that allocate inside the loop: {bad}"


def test_the_loop_check_sees_an_allocation() -> None:
    source = "for t in range(T):\n    h = o * numpy.tanh(c)\n    numpy.add(a, b, out=c)\n"
    assert [ast.unparse(s) for s in _loop_bodies(source) if _allocates(s)] == [
        "h = o * numpy.tanh(c)"
    ]
