"""The chain rule walked step by step (gated_ref.steps): it ends in derive's adjoints, and every
step's value is the gradient torch autograd finds in float64, from an LSTM and a GRU written
here from PyTorch's documented equations (not from ours)."""

from __future__ import annotations

import re
from collections import Counter

import numpy as np
import pytest
import sympy as sp
import torch

import gated_ref as gr
from gated_ref.functions import sigmoid
from gated_ref.spec import CellBuilder
from gated_ref.steps import NEXT, later_tex, walk

WALKED = [(name, s) for name in gr.CELL_NAMES for s in gr.cell(name).states]


def rows(spec: gr.CellSpec) -> dict[str, sp.Eq]:
    back = gr.derive(spec)
    return dict(zip(back.equation_ids, back.equations, strict=True))


def projected_state() -> gr.CellSpec:
    """A cell none of ours is: its output projects a state, ``h_t = W_hr c_t``, so c_t has
    an affine reader in its own step."""
    b = CellBuilder(
        "projected_state", title="t", reference="r", states=("h", "c"), gates=("f", "g")
    )
    f = b.node("f", sigmoid(b.ax("f") + b.ah("f")))
    c = b.node("c", f * b.state("c") + (1 - f) * sp.tanh(b.ax("g") + b.ah("g")))
    b.project("h", c, key="weight_hr", size="proj_size")
    return b.build()


@pytest.mark.parametrize("name,state", WALKED)
def test_walk_ends_in_the_derived_adjoint(name: str, state: str) -> None:
    check_walk_ends_in_the_derived_adjoint(gr.cell(name), state)


@pytest.mark.parametrize("state", ["h", "c"])
def test_a_projection_reading_a_state_is_an_affine_reader(state: str) -> None:
    spec = projected_state()
    check_walk_ends_in_the_derived_adjoint(spec, state)
    check_each_partial_is_the_derivative_of_the_reader(spec, state)
    if state == "c":
        (reader,) = [r for r in walk(spec, "c").readers if r.name == "h"]
        assert reader.affine and not reader.later
        assert reader.partial == sp.Symbol("0weight_hr~", commutative=False)
        assert reader.term_compute == sp.Symbol("WTd_weight_hr")


def check_walk_ends_in_the_derived_adjoint(spec: gr.CellSpec, state: str) -> None:
    """The walk's last step is derive's adjoint, its hand-over derive's grad.<s>_prev one step
    later, and every step has the same value."""
    name = spec.name
    w = walk(spec, state)
    derived = rows(spec)
    result = w.steps[-1]
    assert result.kind == "result"
    assert result.equation == derived[f"{name}.adjoint.{state}_t"]
    # what step t+1 hands back is derive's grad.<s>_prev, one step later
    (handed,) = [s for s in w.steps if s.kind == "next"]
    assert handed.equation.rhs == w.one_step_later(derived[f"{name}.grad.{state}_prev"].rhs)
    # the first and the substituted steps have the same value as the last
    (first,) = [s for s in w.steps if s.kind == "readers"]
    (subst,) = [s for s in w.steps if s.kind == "substituted"]
    arrow = sp.Symbol(f"d_{state}_next")
    assert sp.expand(first.compute - result.compute.subs(arrow, handed.compute)) == 0
    assert sp.expand(subst.compute - first.compute) == 0


@pytest.mark.parametrize("name,state", WALKED)
def test_each_partial_is_the_derivative_of_the_reader(name: str, state: str) -> None:
    check_each_partial_is_the_derivative_of_the_reader(gr.cell(name), state)


def check_each_partial_is_the_derivative_of_the_reader(spec: gr.CellSpec, state: str) -> None:
    """Each elementwise reader's term, divided by the reader's adjoint, is the central
    difference of the reader's right-hand side at a random point (40 digits)."""
    name = spec.name
    w = walk(spec, state)
    rng = np.random.default_rng(0)
    eps = sp.Float("1e-12", 40)
    # an affine reader's Jacobian is its matrix (U_k, R_k, a projection's W): the term is the
    # matrix transposed times the adjoint by construction; check only that it reads the state
    source = {f"a_{g}": spec.hidden_source[g] for g in spec.recurrent_gates}
    source |= {f"{fam.key}_{g}": fam.source for fam in spec.families for g in fam.gates}
    source |= {n.symbol.name: n.rhs for n in spec.nodes if n.projection is not None}
    for r in w.readers:
        if r.affine:
            assert source[r.name] == (spec.prev[state] if r.later else spec.out[state])
            continue
        node = next(n for n in spec.nodes if n.symbol.name == r.name)
        x = spec.prev[state] if r.later else spec.out[state]
        adj = sp.Symbol(f"d_{r.name}{NEXT if r.later else ''}")
        partial = r.term_compute.subs(adj, 1)
        if r.later:  # back to the symbols of node.rhs: f@next -> f, c (= c_t) -> c_prev
            partial = partial.xreplace({spec.out[state]: x})
            back = {s: sp.Symbol(s.name.removesuffix(NEXT)) for s in partial.free_symbols}
            partial = partial.xreplace(back)
        point = {s: sp.Float(rng.uniform(-1, 1), 40) for s in node.rhs.free_symbols}
        numeric = (
            node.rhs.subs({**point, x: point[x] + eps})
            - node.rhs.subs({**point, x: point[x] - eps})
        ) / (2 * eps)
        values = dict(point)
        for n in spec.nodes:  # a node inside the partial is the node's value at the point
            if n.symbol in partial.free_symbols and n.symbol not in values:
                values[n.symbol] = n.rhs.subs(values)
        assert partial.free_symbols <= set(values), (name, r.name)
        assert abs(partial.subs(values).evalf(40) - numeric.evalf(40)) < 1e-20, (name, r.name)


def test_ids_unique_stable_and_named_by_quantity() -> None:
    ids = [i for name, s in WALKED for i in walk(name, s).equation_ids]
    assert len(ids) == len(set(ids)), [i for i, n in Counter(ids).items() if n > 1]
    equation_ids = {i for name in gr.CELL_NAMES for i in gr.derive(name).equation_ids}
    assert not set(ids) & equation_ids
    for ident in ids:
        cell, walk_word, state, kind, *rest = ident.split(".")
        assert cell in gr.CELL_NAMES and walk_word == "walk" and state in gr.cell(cell).states
        assert kind in ("readers", "partial", "substituted", "next", "result"), ident
        assert not any(part.isdigit() for part in ident.split(".")), ident
    # stable: the anchors the derivations page links to, named after the LSTM's equations
    # (c_t is read by h_t and by c_{t+1}), not by position or by what else was walked
    assert walk("lstm", "c").equation_ids == [
        "lstm.walk.c.readers",
        "lstm.walk.c.partial.h",
        "lstm.walk.c.partial.c_next",
        "lstm.walk.c.substituted",
        "lstm.walk.c.next",
        "lstm.walk.c.result",
    ]


def test_lstm_cell_state_has_exactly_two_readers() -> None:
    """As written in gated_ref/cells/lstm.py, c_t is read by h_t and by c_{t+1}: nothing else."""
    w = walk("lstm", "c")
    assert [(r.name, r.later) for r in w.readers] == [("h", False), ("c", True)]
    peep = walk("lstm_peephole", "c")  # the peepholes add three more
    assert {(r.name, r.later) for r in peep.readers} == {
        ("o", False),
        ("h", False),
        ("i", True),
        ("f", True),
        ("c", True),
    }


def test_later_tex() -> None:
    assert later_tex("f_{t}") == "f_{t+1}"
    assert later_tex("c_{t-1}") == "c_{t}"
    assert later_tex(r"\delta a^{h}_{n,t}") == r"\delta a^{h}_{n,t+1}"
    assert later_tex(r"\delta h_{t}^{\rightarrow}") == r"\delta h_{t+1}^{\rightarrow}"
    assert later_tex("U_{f}^{\\top}") == "U_{f}^{\\top}"


def test_bad_state_is_refused() -> None:
    with pytest.raises(ValueError, match="state: got 'c', expected one of"):
        walk("gru", "c")
    with pytest.raises(KeyError, match="cell name"):
        walk("nope", "h")


# ---- numbers: every step against torch autograd ----------------------------------------------


def torch_run(name: str, T: int = 4, B: int = 3, I: int = 3, H: int = 5, seed: int = 0):  # noqa: E741, N803, ANN201
    """An LSTM or GRU written here from PyTorch's documentation, every intermediate kept with
    its gradient, for L = sum_t <y_t, dy_t> + <h_T, dh> (+ <c_T, dc>)."""
    g = {"lstm": 4, "gru": 3, "lstm_1997": 3}[name]
    rng = np.random.default_rng(seed)
    w_ih = torch.tensor(rng.uniform(-0.8, 0.8, (g * H, I)))
    w_hh = torch.tensor(rng.uniform(-0.8, 0.8, (g * H, H)))
    b_ih = torch.tensor(rng.uniform(-0.5, 0.5, g * H))
    b_hh = torch.tensor(rng.uniform(-0.5, 0.5, g * H))
    x = torch.tensor(rng.standard_normal((T, B, I)))
    h = torch.tensor(rng.uniform(-1, 1, (B, H)), requires_grad=True)
    c = torch.tensor(rng.uniform(-1, 1, (B, H)), requires_grad=True)
    dy = torch.tensor(rng.standard_normal((T, B, H)))
    steps = [{"h": h, "c": c}]  # steps[k]: the values of step k (k = 0: the initial state)
    for t in range(T):
        ax = x[t] @ w_ih.T + b_ih
        ah = h @ w_hh.T + b_hh
        ah.retain_grad()
        v = {"ah": ah}
        blocks = ax.split(H, dim=1), ah.split(H, dim=1)
        if name in ("lstm", "lstm_1997"):
            keys = ("i", "f", "g", "o") if name == "lstm" else ("i", "g", "o")
            a = dict(zip(keys, [p + q for p, q in zip(*blocks, strict=True)], strict=True))
            v["i"], v["g"], v["o"] = a["i"].sigmoid(), a["g"].tanh(), a["o"].sigmoid()
            v["f"] = a["f"].sigmoid() if name == "lstm" else torch.ones_like(v["i"])
            v["c"] = v["f"] * c + v["i"] * v["g"]
            v["h"] = v["o"] * v["c"].tanh()
        else:  # torch.nn.GRU: r, z, n; n = tanh(W_in x + b_in + r * (W_hn h + b_hn))
            (ax_r, ax_z, ax_n), (ah_r, ah_z, ah_n) = blocks
            v["r"], v["z"] = (ax_r + ah_r).sigmoid(), (ax_z + ah_z).sigmoid()
            v["n"] = (ax_n + v["r"] * ah_n).tanh()
            v["h"] = (1 - v["z"]) * v["n"] + v["z"] * h
        for value in v.values():
            if value.requires_grad:  # all but the 1997 cell's f = 1
                value.retain_grad()
        h, c = v["h"], v.get("c", c)
        steps.append(v)
    loss = (torch.stack([s["h"] for s in steps[1:]]) * dy).sum()
    loss = loss + (h * torch.tensor(rng.standard_normal((B, H)))).sum()
    if "c" in steps[-1]:
        loss = loss + (c * torch.tensor(rng.standard_normal((B, H)))).sum()
    loss.backward()
    return steps, dy, w_hh, H


def environment(name: str, t: int) -> tuple[dict[str, np.ndarray], dict]:
    """Compute-form symbol name -> value at step t (see gated_ref.steps.WalkStep), and the
    autograd gradients of the states at t."""
    steps, dy, w_hh, H = torch_run(name)
    spec = gr.cell(name)
    now, nxt, before = steps[t], steps[t + 1], steps[t - 1]
    env = {"dl_dy": dy[t - 1].numpy()}
    for s in spec.states:
        env[f"{s}_prev"] = before[s].detach().numpy()
        env[f"{s}_prev{NEXT}"] = now[s].detach().numpy()
    for node in spec.nodes:
        key = node.symbol.name
        env[key] = now[key].detach().numpy()
        env[key + NEXT] = nxt[key].detach().numpy()
        env[f"d_{key}"] = now[key].grad.numpy()
        env[f"d_{key}{NEXT}"] = nxt[key].grad.numpy()
    for k, gate in enumerate(spec.gates):
        block = slice(k * H, (k + 1) * H)
        env[f"UTd_{gate}{NEXT}"] = (nxt["ah"].grad[:, block] @ w_hh[block]).numpy()
    return env, {s: now[s].grad.numpy() for s in spec.states}


def evaluate(expr: sp.Expr, env: dict[str, np.ndarray]) -> np.ndarray:
    args = sorted(expr.free_symbols, key=str)
    fn = sp.lambdify(args, expr, modules="numpy", dummify=True)
    return fn(*[env[a.name] for a in args])


@pytest.mark.parametrize("name", ["lstm", "gru", "lstm_1997"])
@pytest.mark.parametrize("t", [1, 2])
def test_every_step_is_the_autograd_gradient(name: str, t: int) -> None:
    env, autograd = environment(name, t)
    for state in gr.cell(name).states:
        w = walk(name, state)
        by_kind = {s.kind: s for s in w.steps}
        env[f"d_{state}_next"] = evaluate(by_kind["next"].compute, env)
        for kind in ("readers", "substituted", "result"):
            value = evaluate(by_kind[kind].compute, env)
            err = np.abs(value - autograd[state]).max() / np.abs(autograd[state]).max()
            assert err <= 1e-12, (name, state, kind, err)
        # the check can fail: without what step t+1 hands back, the value is wrong
        env_without = dict(env, **{f"d_{state}_next": 0 * env[f"d_{state}_next"]})
        wrong = evaluate(by_kind["result"].compute, env_without)
        assert np.abs(wrong - autograd[state]).max() > 1e-3


def test_printed_steps_typeset_as_latex_of_display_equations() -> None:
    w = walk("lstm", "c")
    text = [w.latex(s) for s in w.steps]
    assert text[0].startswith(r"\delta c_{t} = ")
    assert r"\operatorname{diag}\left(f_{t+1}\right)" in " ".join(text)
    assert not re.search(r"@|~|delta:", " ".join(text)), "an internal symbol name leaked"
