"""The symbolic layer: derivatives against evalf(50), Jacobians against finite differences."""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp
from core_helpers import lambdify_step, problem

import gated_ref as gr
from gated_ref.functions import SREPR_NAMESPACE, sigmoid


def scalar_cell(spec: gr.CellSpec, values: dict[str, float]) -> dict[str, sp.Expr]:
    """Each state at t as one closed-form expression of scalar weights (I = H = 1)."""
    W = {g: sp.Symbol(f"W_{g}") for g in spec.gates}
    U = {g: sp.Symbol(f"U_{g}") for g in spec.gates}
    bx = {g: sp.Symbol(f"bx_{g}") for g in spec.gates}
    bh = {g: sp.Symbol(f"bh_{g}") for g in spec.gates}
    x = sp.Symbol("x")
    env: dict[sp.Symbol, sp.Expr] = {spec.prev[s]: sp.Symbol(f"{s}0") for s in spec.states}
    for p in spec.elementwise_params:
        env[p.symbol] = sp.Symbol(f"P_{p.label}")
    for g in spec.gates:
        env[spec.input_affine[g]] = W[g] * x + bx[g]
    for node in spec.nodes:
        for g in spec.gates:
            src = env[spec.hidden_source[g]] if spec.hidden_source[g] in env else None
            if src is not None:
                env[spec.hidden_affine[g]] = U[g] * src + bh[g]
        env[node.symbol] = node.rhs.xreplace(env)
    return {s: env[spec.out[s]] for s in spec.states}


@pytest.mark.parametrize("name", gr.CELL_NAMES)
def test_backward_matches_evalf50_derivatives(name: str) -> None:
    """One step, I = H = B = 1: the kernel's gradients vs exact derivatives at 50 digits."""
    spec = gr.cell(name)
    kernel, params, x, state, dy, dstate = problem(name, T=1, B=1, I=1, H=1, seed=3)
    _, _, cache = kernel.forward(x, params, state)
    grads = kernel.backward(dy, cache, dstate)
    outs = scalar_cell(spec, {})
    G = spec.num_gates
    subs: dict[sp.Symbol, sp.Expr] = {sp.Symbol("x"): sp.Float(x[0, 0, 0], 50)}
    for k, g in enumerate(spec.gates):
        subs[sp.Symbol(f"W_{g}")] = sp.Float(params["weight_ih"][k, 0], 50)
        subs[sp.Symbol(f"U_{g}")] = sp.Float(params["weight_hh"][k, 0], 50)
        subs[sp.Symbol(f"bx_{g}")] = sp.Float(params["bias_ih"][k], 50)
        subs[sp.Symbol(f"bh_{g}")] = sp.Float(params["bias_hh"][k], 50)
    for p in spec.elementwise_params:
        subs[sp.Symbol(f"P_{p.label}")] = sp.Float(params[p.key][p.row, 0], 50)
    for s in spec.states:
        subs[sp.Symbol(f"{s}0")] = sp.Float(state[s][0, 0], 50)
    # L = dy * h_1 + sum_s dstate_s * s_1 (T = 1, so y_1 is h_1)
    L = sp.Float(dy[0, 0, 0], 50) * outs["h"]
    for s in spec.states:
        L += sp.Float(dstate[s][0, 0], 50) * outs[s]
    checks = {("x", (0, 0, 0)): sp.Symbol("x")}
    for k, g in enumerate(spec.gates):
        checks[("weight_ih", (k, 0))] = sp.Symbol(f"W_{g}")
        checks[("weight_hh", (k, 0))] = sp.Symbol(f"U_{g}")
        checks[("bias_ih", (k,))] = sp.Symbol(f"bx_{g}")
        checks[("bias_hh", (k,))] = sp.Symbol(f"bh_{g}")
    for p in spec.elementwise_params:
        checks[(p.key, (p.row, 0))] = sp.Symbol(f"P_{p.label}")
    for s in spec.states:
        checks[(s, (0, 0))] = sp.Symbol(f"{s}0")
    assert len(checks) == 4 * G + 1 + len(spec.elementwise_params) + len(spec.states)
    for (key, idx), sym in checks.items():
        exact = sp.diff(L, sym).rewrite(sp.exp).evalf(50, subs=subs)
        assert abs(float(grads[key][idx]) - float(exact)) <= 1e-12 * max(1.0, abs(float(exact))), (
            key
        )


def test_sigmoid_derivative_and_value_at_50_digits() -> None:
    a = sp.Symbol("a")
    point = sp.Rational(-37, 10)
    exact = 1 / (1 + sp.exp(-point))
    assert abs(sigmoid(point).evalf(50) - exact.evalf(50)) < sp.Float(10) ** -45
    d = sp.diff(sigmoid(a), a).subs(a, point).evalf(50)
    assert abs(d - (exact * (1 - exact)).evalf(50)) < sp.Float(10) ** -45


@pytest.mark.parametrize("name", gr.CELL_NAMES)
def test_one_step_jacobians_match_finite_differences(name: str) -> None:
    spec = gr.cell(name)
    back = gr.derive(spec)
    H = 3
    kernel, params, x, state, _, _ = problem(name, T=1, B=1, I=2, H=H, seed=7)
    env = lambdify_step(spec, params, x[0, 0], {s: v[0] for s, v in state.items()})
    expected = {(j.of, j.wrt) for j in back.jacobians}
    assert expected == {(a, b) for a in spec.states for b in spec.states}
    for jac in back.jacobians:
        total = np.zeros((H, H))
        for chain, coeff in jac.terms:
            matrix = np.eye(H)
            for item in reversed(chain):
                if item[0] == "U":
                    k = spec.gates.index(item[1])
                    factor = params["weight_hh"][k * H : (k + 1) * H]
                else:
                    args = sorted(item[1].free_symbols, key=str)
                    fn = sp.lambdify(
                        args,
                        item[1],
                        modules=[{"sigmoid": lambda v: 1 / (1 + np.exp(-v))}, "numpy"],
                    )
                    factor = np.diag(np.broadcast_to(fn(*[env[a] for a in args]), (H,)))
                matrix = factor @ matrix
            args = sorted(coeff.free_symbols, key=str)
            value = sp.lambdify(args, coeff, "numpy")(*[env[a] for a in args])
            total += np.diag(np.broadcast_to(value, (H,))) @ matrix
        numeric = np.zeros((H, H))
        eps = 1e-6
        for col in range(H):
            for sign in (1, -1):
                moved = {s: v.copy() for s, v in state.items()}
                moved[jac.wrt][0, col] += sign * eps
                _, final, _ = kernel.forward(x, params, moved)
                numeric[:, col] += sign * final[jac.of][0] / (2 * eps)
        np.testing.assert_allclose(total, numeric, rtol=1e-6, atol=1e-8, err_msg=str(jac.of))


def test_lstm_cell_path_jacobian_is_diag_f() -> None:
    back = gr.derive(gr.cell("lstm"))
    (jac,) = [j for j in back.jacobians if (j.of, j.wrt) == ("c", "c")]
    assert jac.terms == (((), sp.Symbol("f")),)


@pytest.mark.parametrize("name", gr.CELL_NAMES)
def test_equations_have_unique_ids_and_reparse_from_srepr(name: str) -> None:
    spec, back = gr.cell(name), gr.derive(gr.cell(name))
    for eqs, ids in ((spec.equations, spec.equation_ids), (back.equations, back.equation_ids)):
        assert len(eqs) == len(ids) == len(set(ids))
        assert all(i.startswith(f"{name}.") for i in ids)
        for eq in eqs:
            again = eval(sp.srepr(eq), {**vars(sp), **SREPR_NAMESPACE})  # noqa: S307
            assert again == eq
    ids = set(spec.equation_ids) | set(back.equation_ids)
    assert f"{name}.h_t" in ids
    assert f"{name}.grad.h_prev" in ids
    assert f"{name}.jacobian.h_h" in ids


def test_latex_blocks_are_aligned_and_mention_every_state() -> None:
    for name in gr.CELL_NAMES:
        spec = gr.cell(name)
        text = spec.latex()
        assert text.startswith("\\begin{aligned}") and text.endswith("\\end{aligned}")
        assert text.count("&=") == len(spec.equations)
        assert "h_{t}" in text and "h_{t-1}" in text
        back = gr.derive(spec).latex()
        assert back.count("&=") == len(gr.derive(spec).equations)
        assert "\\top" in back


def test_parameter_count_formula() -> None:
    I, H = sp.symbols("I H", positive=True, integer=True)  # noqa: E741
    # one-layer counts with PyTorch's two bias vectors: G (H I + H H + 2 H)
    assert sp.simplify(gr.cell("lstm").parameter_count() - 4 * (H * I + H * H + 2 * H)) == 0
    assert sp.simplify(gr.cell("gru").parameter_count() - 3 * (H * I + H * H + 2 * H)) == 0
    peep = gr.cell("lstm_peephole").parameter_count()
    assert sp.simplify(peep - 4 * (H * I + H * H + 2 * H) - 3 * H) == 0
