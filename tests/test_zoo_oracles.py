"""The zoo cells against oracles that did not start from our SymPy equations.

1. ``torch_zoo``: every cell of CELLS.md written by hand in PyTorch from the papers' equations,
   differentiated by torch autograd in float64. Our generated kernel must agree on y, on every
   final state and on every gradient (each parameter, x, each initial state).
2. ``lstm_proj`` against ``torch.nn.LSTM(proj_size=P)`` itself.
3. The oracle can fail: a perturbed activation, a swapped gate block, or the equations of a
   neighbouring cell put in the reference are all caught.
4. Greff et al.'s reductions, kernel against kernel and reference against reference: a variant
   whose extra part is neutralised (zeroed, or a gate pinned at exactly 1, or an activation
   driven into its linear range) equals the simpler cell, and differs when it is not.
5. The harness itself, today: references of cells gated_ref already had (lstm, lstm_peephole,
   lstm_1997, gru) against our kernels, and the lstm / gru / projected-LSTM references against
   torch.nn's modules.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pytest
import torch
import torch_zoo
from core_helpers import rel_err

import gated_ref as gr

TOL = 1e-10
#: Cells whose equations use x elementwise: they need I == H.
SQUARE_ONLY = frozenset({"gru_mut1", "gru_mut2"})
#: Every new cell but lstm_proj (its oracle is torch.nn.LSTM, below).
ORACLE_CELLS = tuple(n for n in torch_zoo.NEW_CELLS if n != "lstm_proj")
SIZES = ((5, 3, 4, 4), (1, 1, 2, 2))
NON_SQUARE = (4, 2, 3, 5)


def zoo_sizes(names: tuple[str, ...]) -> list[tuple[str, tuple[int, int, int, int]]]:
    """(cell, (T, B, I, H)) pairs: the square sizes for all, a non-square one where allowed."""
    cases = [(n, s) for n in names for s in SIZES]
    cases += [(n, NON_SQUARE) for n in names if n not in SQUARE_ONLY]
    return cases


# ---- running both sides ------------------------------------------------------------------

Result = tuple[np.ndarray, dict[str, np.ndarray], dict[str, np.ndarray]]


@dataclass
class Problem:
    """Parameters, input, initial state and output adjoints of one comparison (numpy, float64)."""

    name: str
    params: dict[str, np.ndarray]
    x: np.ndarray
    state: dict[str, np.ndarray]
    dy: np.ndarray
    dstate: dict[str, np.ndarray] = field(default_factory=dict)


def draw_rest(
    name: str,
    params: dict,
    T: int,
    B: int,
    I: int,  # noqa: E741
    H: int,
    rng: np.random.Generator,
    P: int | None = None,
) -> Problem:
    """x, a non-zero initial state for every state key and random adjoints, after ``params``."""
    sizes = torch_zoo.state_sizes(name, H, P)
    x = rng.standard_normal((T, B, I))
    state = {s: 0.5 * rng.standard_normal((B, n)) for s, n in sizes.items()}
    dy = rng.standard_normal((T, B, sizes["h"]))
    dstate = {s: rng.standard_normal((B, n)) for s, n in sizes.items()}
    return Problem(name, params, x, state, dy, dstate)


def kernel_problem(name: str, T: int, B: int, I: int, H: int, seed: int, P=None) -> Problem:  # noqa: E741, N803
    """Parameters from our kernel's ``init_params``, the rest drawn from the same generator."""
    rng = np.random.default_rng(seed)
    kernel = gr.lower(gr.cell(name))
    extra = {} if P is None else {"proj_size": P}
    params = kernel.init_params(I, H, rng=rng, **extra)
    return draw_rest(name, params, T, B, I, H, rng, P)


def own_problem(name: str, T: int, B: int, I: int, H: int, seed: int) -> Problem:  # noqa: E741, N803
    """Parameters drawn here, in CELLS.md's shapes (no gated_ref involved), and the rest."""
    rng = np.random.default_rng(seed)
    bound = 1.0 / np.sqrt(H)
    params = {
        k: rng.uniform(-bound, bound, size=shape)
        for k, shape in torch_zoo.param_shapes(name, I, H).items()
    }
    return draw_rest(name, params, T, B, I, H, rng)


def run_kernel(pb: Problem) -> Result:
    """Our generated kernel: forward, then backward with the problem's adjoints."""
    kernel = gr.lower(gr.cell(pb.name))
    y, final, cache = kernel.forward(pb.x, pb.params, pb.state)
    return y, final, kernel.backward(pb.dy, cache, pb.dstate)


def run_torch(pb: Problem) -> Result:
    """The hand-written reference, differentiated by autograd on
    L = sum(y dy) + sum over states of sum(final_s dstate_s)."""
    params = {k: torch.tensor(v, requires_grad=True) for k, v in pb.params.items()}
    x = torch.tensor(pb.x, requires_grad=True)
    state = {s: torch.tensor(v, requires_grad=True) for s, v in pb.state.items()}
    y, final = torch_zoo.run(pb.name, params, x, state)
    total = (y * torch.from_numpy(pb.dy)).sum()
    for s, d in pb.dstate.items():
        total = total + (final[s] * torch.from_numpy(d)).sum()
    leaves = {**params, "x": x, **state}
    # allow_unused=False: every parameter, x and every initial state must reach the loss
    grads = torch.autograd.grad(total, list(leaves.values()))
    return (
        y.detach().numpy(),
        {s: v.detach().numpy() for s, v in final.items()},
        {k: g.numpy() for k, g in zip(leaves, grads, strict=True)},
    )


IMPLS: dict[str, Callable[[Problem], Result]] = {"kernel": run_kernel, "torch": run_torch}


def errors(got: Result, ref: Result) -> dict[str, float]:
    """Norm-wise relative error of every quantity: "y", "final[s]", "grad[key]"."""
    (y, final, grads), (y_ref, final_ref, grads_ref) = got, ref
    assert y.shape == y_ref.shape, (y.shape, y_ref.shape)
    assert set(final) == set(final_ref), (sorted(final), sorted(final_ref))
    assert set(grads) == set(grads_ref), (sorted(grads), sorted(grads_ref))
    out = {"y": rel_err(y, y_ref)}
    for s in final_ref:
        assert final[s].shape == final_ref[s].shape, s
        out[f"final[{s}]"] = rel_err(final[s], final_ref[s])
    for k in grads_ref:
        assert grads[k].shape == grads_ref[k].shape, (k, grads[k].shape, grads_ref[k].shape)
        out[f"grad[{k}]"] = rel_err(grads[k], grads_ref[k])
    return out


def assert_agree(got: Result, ref: Result, tol: float = TOL) -> None:
    """Every quantity within ``tol``; the message names each one that is not, with its error."""
    bad = {q: e for q, e in errors(got, ref).items() if not e <= tol}
    assert not bad, f"relative errors above {tol:g}: " + ", ".join(
        f"{q}: {e:.3e}" for q, e in bad.items()
    )


# ---- 0. the contract: every new cell registered, with CELLS.md's parameter layout ------


@pytest.mark.parametrize("name", torch_zoo.NEW_CELLS)
def test_new_cell_is_registered_with_the_layout_of_cells_md(name: str) -> None:
    assert name in gr.CELL_NAMES
    assert gr.cell(name).states == torch_zoo.STATES[name]
    kernel = gr.lower(gr.cell(name))
    n_in = 4 if name in SQUARE_ONLY else 3
    if name == "lstm_proj":
        params = kernel.init_params(n_in, 4, proj_size=2, rng=np.random.default_rng(0))
        expected = torch_zoo.param_shapes(name, n_in, 4, proj_size=2)
    else:
        params = kernel.init_params(n_in, 4, rng=np.random.default_rng(0))
        expected = torch_zoo.param_shapes(name, n_in, 4)
    assert {k: v.shape for k, v in params.items()} == expected


# ---- 1. every new cell (but lstm_proj) against its PyTorch reference ---------------------


@pytest.mark.parametrize("name,size", zoo_sizes(ORACLE_CELLS))
def test_kernel_matches_torch_reference(name: str, size: tuple[int, int, int, int]) -> None:
    T, B, I, H = size  # noqa: E741, N806
    pb = kernel_problem(name, T, B, I, H, seed=sum(size) + len(name))
    got, ref = run_kernel(pb), run_torch(pb)
    assert set(ref[2]) == set(pb.params) | {"x"} | set(pb.state)
    assert_agree(got, ref)


@pytest.mark.parametrize("name,size", zoo_sizes(torch_zoo.EXISTING_CELLS))
def test_harness_existing_cells_match_their_reference(
    name: str, size: tuple[int, int, int, int]
) -> None:
    """The same harness on the cells gated_ref had before the zoo: the references, the
    problem drawing and the comparison are proven on kernels that exist."""
    T, B, I, H = size  # noqa: E741, N806
    pb = kernel_problem(name, T, B, I, H, seed=sum(size) + len(name))
    assert_agree(run_kernel(pb), run_torch(pb))


@pytest.mark.parametrize("name", torch_zoo.NEW_CELLS)
def test_default_state_is_zeros(name: str) -> None:
    """No initial state and no state adjoints: the kernel runs from zeros (FGR's i, f, o
    included), as the reference does from explicit zeros."""
    n_in = 4 if name in SQUARE_ONLY else 3
    pb = kernel_problem(name, 3, 2, n_in, 4, seed=21, P=2 if name == "lstm_proj" else None)
    pb.state = {s: np.zeros_like(v) for s, v in pb.state.items()}
    pb.dstate = {s: np.zeros_like(v) for s, v in pb.dstate.items()}
    kernel = gr.lower(gr.cell(name))
    y, final, cache = kernel.forward(pb.x, pb.params)
    got = (y, final, kernel.backward(pb.dy, cache))
    assert_agree(got, run_torch(pb))


# ---- 2. lstm_proj against torch.nn.LSTM(proj_size=P) -------------------------------------


def run_torch_lstm(pb: Problem) -> Result:
    """torch.nn.LSTM (with a projection when ``weight_hr`` is given) on our parameters."""
    n_in, hid = pb.x.shape[2], pb.params["weight_ih"].shape[0] // 4
    proj = pb.params["weight_hr"].shape[0] if "weight_hr" in pb.params else 0
    module = torch.nn.LSTM(n_in, hid, proj_size=proj, dtype=torch.float64)
    assert {f"{k}_l0" for k in pb.params} == {k for k, _ in module.named_parameters()}
    with torch.no_grad():
        for k, v in pb.params.items():
            getattr(module, f"{k}_l0").copy_(torch.from_numpy(v))
    x = torch.tensor(pb.x, requires_grad=True)
    h0 = torch.tensor(pb.state["h"][None], requires_grad=True)
    c0 = torch.tensor(pb.state["c"][None], requires_grad=True)
    y, (h, c) = module(x, (h0, c0))
    final = {"h": h[0], "c": c[0]}
    total = (y * torch.from_numpy(pb.dy)).sum()
    for s, d in pb.dstate.items():
        total = total + (final[s] * torch.from_numpy(d)).sum()
    total.backward()
    grads = {k: getattr(module, f"{k}_l0").grad.numpy() for k in pb.params}
    grads.update(x=x.grad.numpy(), h=h0.grad[0].numpy(), c=c0.grad[0].numpy())
    return y.detach().numpy(), {s: v.detach().numpy() for s, v in final.items()}, grads


PROJ_SIZES = ((5, 3, 4, 6, 3), (1, 1, 2, 3, 2), (3, 2, 3, 4, 1), (2, 2, 3, 5, 4))


@pytest.mark.parametrize("T,B,I,H,P", PROJ_SIZES)
def test_lstm_proj_kernel_matches_torch_lstm(T: int, B: int, I: int, H: int, P: int) -> None:  # noqa: E741, N803
    pb = kernel_problem("lstm_proj", T, B, I, H, seed=T + 10 * P, P=P)
    assert pb.state["h"].shape == (B, P) and pb.state["c"].shape == (B, H)
    got = run_kernel(pb)
    assert got[0].shape == (T, B, P)
    assert_agree(got, run_torch_lstm(pb))


@pytest.mark.parametrize("T,B,I,H,P", PROJ_SIZES)
def test_harness_lstm_proj_reference_matches_torch_lstm(
    T: int,
    B: int,
    I: int,  # noqa: E741, N803
    H: int,
    P: int,
) -> None:
    """Our hand-written projected LSTM is torch.nn.LSTM(proj_size=P), gradients included."""
    rng = np.random.default_rng(T + P)
    params = {
        k: rng.uniform(-0.5, 0.5, size=s)
        for k, s in torch_zoo.param_shapes("lstm_proj", I, H, proj_size=P).items()
    }
    pb = draw_rest("lstm_proj", params, T, B, I, H, rng, P)
    assert_agree(run_torch(pb), run_torch_lstm(pb))


def run_torch_gru(pb: Problem) -> Result:
    """torch.nn.GRU on our parameters."""
    n_in, hid = pb.x.shape[2], pb.params["weight_hh"].shape[1]
    module = torch.nn.GRU(n_in, hid, dtype=torch.float64)
    with torch.no_grad():
        for k, v in pb.params.items():
            getattr(module, f"{k}_l0").copy_(torch.from_numpy(v))
    x = torch.tensor(pb.x, requires_grad=True)
    h0 = torch.tensor(pb.state["h"][None], requires_grad=True)
    y, h = module(x, h0)
    total = (y * torch.from_numpy(pb.dy)).sum() + (h[0] * torch.from_numpy(pb.dstate["h"])).sum()
    total.backward()
    grads = {k: getattr(module, f"{k}_l0").grad.numpy() for k in pb.params}
    grads.update(x=x.grad.numpy(), h=h0.grad[0].numpy())
    return y.detach().numpy(), {"h": h[0].detach().numpy()}, grads


@pytest.mark.parametrize("name,module", [("lstm", run_torch_lstm), ("gru", run_torch_gru)])
@pytest.mark.parametrize("size", [(5, 3, 4, 4), (2, 1, 3, 5)])
def test_harness_references_match_torch_modules(name: str, module, size) -> None:  # noqa: ANN001
    """The hand-written lstm and gru references are torch.nn.LSTM and torch.nn.GRU."""
    pb = own_problem(name, *size, seed=sum(size))
    assert_agree(run_torch(pb), module(pb))


# ---- 3. the oracle can fail ------------------------------------------------------------

#: Each cell's activations, as the module globals of torch_zoo that its equations use.
ACTIVATIONS = {n: ("sigmoid", "tanh") for n in torch_zoo.NEW_CELLS + torch_zoo.EXISTING_CELLS}
ACTIVATIONS["indrnn"] = ("relu",)
PERTURBED = {
    "sigmoid": lambda a: torch.sigmoid(a + 1e-3),
    "tanh": lambda a: torch.tanh(a * (1 + 1e-3)),
    "relu": lambda a: torch.nn.functional.leaky_relu(a, 1e-3),
}
DETECTED = 1e-7  # a perturbation of relative size 1e-3 must show far above TOL


@pytest.mark.parametrize(
    "name,fn", [(n, f) for n in ORACLE_CELLS + torch_zoo.EXISTING_CELLS for f in ACTIVATIONS[n]]
)
def test_oracle_catches_a_perturbed_activation(
    name: str, fn: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One activation of the reference slightly off: the comparison must fail, in y or in the
    gradients (every use of the activation in the cell is perturbed at once)."""
    pb = kernel_problem(name, 3, 2, 4, 4, seed=7)
    got = run_kernel(pb)
    assert max(errors(got, run_torch(pb)).values()) <= TOL
    monkeypatch.setattr(torch_zoo, fn, PERTURBED[fn])
    assert max(errors(got, run_torch(pb)).values()) > DETECTED


#: (cell, param key, its number of row blocks): swapping two blocks must be caught.
SWAPS = [
    (n, k, nb)
    for n in ORACLE_CELLS
    if n != "indrnn"
    for k, nb in zip(
        ("weight_ih", "weight_hh", "weight_peephole"), torch_zoo._BLOCKS[n], strict=True
    )
    if nb >= 2
]


@pytest.mark.parametrize("name,key,n_blocks", SWAPS)
def test_oracle_catches_swapped_gate_blocks(name: str, key: str, n_blocks: int) -> None:
    """The reference run on parameters whose first two row blocks of ``key`` are swapped: a
    kernel that reads the layout of CELLS.md must disagree with it."""
    pb = kernel_problem(name, 3, 2, 4, 4, seed=11)
    got = run_kernel(pb)
    w = pb.params[key]
    rows = w.shape[0] // n_blocks
    swapped = np.concatenate([w[rows : 2 * rows], w[:rows], w[2 * rows :]])
    pb.params = {**pb.params, key: swapped}
    assert errors(got, run_torch(pb))["y"] > DETECTED


def test_oracle_catches_swapped_fgr_sources() -> None:
    """R^(i) and R^(f) exchanged in the reference: caught."""
    pb = kernel_problem("lstm_fgr", 3, 2, 4, 4, seed=12)
    got = run_kernel(pb)
    p = pb.params
    pb.params = {**p, "weight_from_i": p["weight_from_f"], "weight_from_f": p["weight_from_i"]}
    assert errors(got, run_torch(pb))["y"] > DETECTED


#: A cell's reference replaced by a neighbour's with the same parameter layout: caught.
NEIGHBOURS = [
    ("lstm_niaf", "lstm_peephole"),
    ("lstm_noaf", "lstm_peephole"),
    ("lstm_noaf", "lstm_niaf"),
    ("gru_mut3", "gru"),
    ("lstm_nfg", "lstm_1997_with_peepholes"),
]


def _step_lstm_1997_with_peepholes(p, x_t, state):  # noqa: ANN001, ANN202
    """NFG's layout with the 1997 equations: the peepholes ignored."""
    return torch_zoo.step_lstm_1997(p, x_t, state)


@pytest.mark.parametrize("name,wrong", NEIGHBOURS)
def test_oracle_catches_a_neighbours_equations(
    name: str, wrong: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    pb = kernel_problem(name, 3, 2, 4, 4, seed=13)
    got = run_kernel(pb)
    step = (
        _step_lstm_1997_with_peepholes
        if wrong == "lstm_1997_with_peepholes"
        else getattr(torch_zoo, f"step_{wrong}")
    )
    monkeypatch.setattr(torch_zoo, f"step_{name}", step)
    # forward only: the neighbour may not read every parameter, so autograd has no gradient
    with torch.no_grad():
        params = {k: torch.from_numpy(v) for k, v in pb.params.items()}
        state = {s: torch.from_numpy(v) for s, v in pb.state.items()}
        y_wrong, _ = torch_zoo.run(name, params, torch.from_numpy(pb.x), state)
    assert rel_err(got[0], y_wrong.numpy()) > DETECTED


# ---- 4. Greff's reductions ---------------------------------------------------------------

PINNED = 100.0  # sigma(100) rounds to 1.0 in float64: a gate pinned exactly open
SMALL = 1e-7  # tanh(a) = a (1 - a^2/3 + ...): at this scale tanh is the identity to ~1e-14


def blocks(a: np.ndarray, n: int, idx: tuple[int, ...]) -> np.ndarray:
    """The row blocks ``idx`` of ``a`` cut into ``n`` equal row blocks, concatenated."""
    rows = a.shape[0] // n
    return np.concatenate([a[k * rows : (k + 1) * rows] for k in idx])


def set_block(a: np.ndarray, n: int, k: int, value: np.ndarray | float) -> np.ndarray:
    """A copy of ``a`` with its row block ``k`` (of ``n``) set to ``value``."""
    rows = a.shape[0] // n
    out = a.copy()
    out[k * rows : (k + 1) * rows] = value
    return out


def pin_gate(k: int, peep_row: int) -> Callable[[dict, dict], tuple[dict, dict]]:
    """Gate block ``k`` of a peephole LSTM pinned at exactly 1: weights, peephole and recurrent
    bias zero, input bias PINNED."""

    def neutralise(params: dict, state: dict) -> tuple[dict, dict]:
        p = dict(params)
        for key in ("weight_ih", "weight_hh", "bias_hh"):
            p[key] = set_block(p[key], 4, k, 0.0)
        p["bias_ih"] = set_block(p["bias_ih"], 4, k, PINNED)
        p["weight_peephole"] = set_block(p["weight_peephole"], 3, peep_row, 0.0)
        return p, state

    return neutralise


def zero(*keys: str) -> Callable[[dict, dict], tuple[dict, dict]]:
    """The parameters ``keys`` set to zero."""

    def neutralise(params: dict, state: dict) -> tuple[dict, dict]:
        return {k: np.zeros_like(v) if k in keys else v for k, v in params.items()}, state

    return neutralise


def shrink_g(*states: str) -> Callable[[dict, dict], tuple[dict, dict]]:
    """The g block (2 of 4) of every affine map, and the initial ``states``, scaled by SMALL:
    tanh(g) and tanh(c) then equal g and c to far below TOL."""

    def neutralise(params: dict, state: dict) -> tuple[dict, dict]:
        p = dict(params)
        for key in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
            p[key] = set_block(p[key], 4, 2, SMALL * blocks(p[key], 4, (2,)))
        return p, {s: SMALL * v if s in states else v for s, v in state.items()}

    return neutralise


@dataclass(frozen=True)
class Reduction:
    """``big`` with ``neutralise`` applied equals ``small``, whose parameters are ``keep``'s row
    blocks of big's (key -> (big key, number of blocks, blocks kept)); the gradients of
    ``vanish`` (big's (key, n, blocks), or a state) must be zero."""

    big: str
    small: str
    neutralise: Callable[[dict, dict], tuple[dict, dict]]
    keep: dict[str, tuple[str, int, tuple[int, ...]]]
    vanish: tuple[tuple[str, int, tuple[int, ...]], ...] = ()


WHOLE = {k: (k, 1, (0,)) for k in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")}
WHOLE_PEEP = {**WHOLE, "weight_peephole": ("weight_peephole", 1, (0,))}


def _gate_blocks(kept: tuple[int, ...], peep: tuple[int, ...]) -> dict:
    out = {k: (k, 4, kept) for k in WHOLE}
    out["weight_peephole"] = ("weight_peephole", 3, peep)
    return out


def _pinned_vanish(k: int, peep_row: int) -> tuple:
    return tuple((key, 4, (k,)) for key in WHOLE) + (("weight_peephole", 3, (peep_row,)),)


REDUCTIONS = {
    # NP: the peephole LSTM without its peepholes is the LSTM
    "np": Reduction("lstm_peephole", "lstm", zero("weight_peephole"), WHOLE),
    # FGR without the gate-to-gate matrices is the peephole LSTM; i, f, o states unread
    "fgr": Reduction(
        "lstm_fgr",
        "lstm_peephole",
        zero("weight_from_i", "weight_from_f", "weight_from_o"),
        WHOLE_PEEP,
        vanish=(("i", 1, (0,)), ("f", 1, (0,)), ("o", 1, (0,))),
    ),
    # NFG without peepholes is the 1997 LSTM
    "nfg_1997": Reduction("lstm_nfg", "lstm_1997", zero("weight_peephole"), WHOLE),
    # a peephole LSTM with one gate pinned at 1 is NIG / NFG / NOG
    "nig": Reduction(
        "lstm_peephole",
        "lstm_nig",
        pin_gate(0, 0),
        _gate_blocks((1, 2, 3), (1, 2)),
        vanish=_pinned_vanish(0, 0),
    ),
    "nfg": Reduction(
        "lstm_peephole",
        "lstm_nfg",
        pin_gate(1, 1),
        _gate_blocks((0, 2, 3), (0, 2)),
        vanish=_pinned_vanish(1, 1),
    ),
    "nog": Reduction(
        "lstm_peephole",
        "lstm_nog",
        pin_gate(3, 2),
        _gate_blocks((0, 1, 2), (0, 1)),
        vanish=_pinned_vanish(3, 2),
    ),
    # in tanh's linear range: small g input is NIAF, small g and c is NOAF
    "niaf": Reduction("lstm_peephole", "lstm_niaf", shrink_g(), WHOLE_PEEP),
    "noaf": Reduction("lstm_peephole", "lstm_noaf", shrink_g("c"), WHOLE_PEEP),
}


def reduction_problems(red: Reduction, neutralised: bool, seed: int) -> tuple[Problem, Problem]:
    """The big cell's problem and the small cell's, sharing x, shared states and adjoints."""
    big = own_problem(red.big, 4, 2, 3, 4, seed)
    if neutralised:
        big.params, big.state = red.neutralise(big.params, big.state)
    small_states = torch_zoo.STATES[red.small]
    # the big cell's extra states (FGR's i, f, o) get no adjoint: the losses are the same
    big.dstate = {s: d if s in small_states else np.zeros_like(d) for s, d in big.dstate.items()}
    small = Problem(
        red.small,
        {k: blocks(big.params[bk], n, idx) for k, (bk, n, idx) in red.keep.items()},
        big.x,
        {s: big.state[s] for s in small_states},
        big.dy,
        {s: big.dstate[s] for s in small_states},
    )
    assert set(small.params) == set(torch_zoo.param_shapes(red.small, 3, 4))
    return big, small


@pytest.mark.parametrize("impl", sorted(IMPLS))
@pytest.mark.parametrize("reduction", sorted(REDUCTIONS))
def test_greff_reduction_holds(reduction: str, impl: str) -> None:
    red = REDUCTIONS[reduction]
    big_pb, small_pb = reduction_problems(red, neutralised=True, seed=len(reduction))
    (y, final, grads), small = IMPLS[impl](big_pb), IMPLS[impl](small_pb)
    restricted = (
        y,
        {s: final[s] for s in small[1]},
        {k: blocks(grads[bk], n, idx) for k, (bk, n, idx) in red.keep.items()}
        | {"x": grads["x"]}
        | {s: grads[s] for s in small[1]},
    )
    assert_agree(restricted, small)
    scale = max(float(np.abs(g).max()) for g in grads.values())
    for key, n, idx in red.vanish:
        assert np.abs(blocks(grads[key], n, idx)).max() <= 1e-20 * scale, key


@pytest.mark.parametrize("impl", sorted(IMPLS))
@pytest.mark.parametrize("reduction", sorted(REDUCTIONS))
def test_greff_reduction_can_fail(reduction: str, impl: str) -> None:
    """Without the neutralisation the two cells differ: the reduction test is not vacuous."""
    red = REDUCTIONS[reduction]
    big_pb, small_pb = reduction_problems(red, neutralised=False, seed=len(reduction))
    assert rel_err(IMPLS[impl](big_pb)[0], IMPLS[impl](small_pb)[0]) > 1e-3


def test_fgr_carries_its_gates() -> None:
    """FGR's state o is the output gate: h = o tanh(c) on the final state (kernel and torch)."""
    pb = own_problem("lstm_fgr", 3, 2, 3, 4, seed=3)
    for impl in IMPLS.values():
        _, final, _ = impl(pb)
        assert rel_err(final["o"] * np.tanh(final["c"]), final["h"]) <= TOL
        assert all(((final[g] > 0) & (final[g] < 1)).all() for g in ("i", "f", "o"))
