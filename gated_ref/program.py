"""One time step of a cell as a statement program: what every code printer prints.

The forward step and the backward step are each a tuple of three kinds of statement, in
execution order:

- :class:`Run` - a run of elementwise statements over the units, the unit of common-subexpression
  elimination (forward: node assignments; backward: adjoints and the stores of the per-step
  gradients);
- :class:`~gated_ref.derive.Gemm` - a recurrent group's matrix product (forward: the gates'
  recurrent pre-activations; backward: the source's adjoint through the transposed matrix);
- :class:`~gated_ref.derive.Project` - a projection (forward: ``W source``; backward: the
  source's adjoint).

The NumPy printer (:mod:`gated_ref.numpy_printer`) prints both steps over a batch inside loops
over time; the explorer's JavaScript printer (:mod:`gated_ref.javascript`) prints the forward
step for one sequence, one loop over the units per run. Neither walks the schedule itself.
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from .derive import (
    Assign,
    BackwardProgram,
    Gemm,
    HiddenGroup,
    Project,
    Store,
    backward_program,
    forward_schedule,
    hidden_groups,
)
from .spec import CellSpec

__all__ = [
    "Plan",
    "Run",
    "Statement",
    "backward_step",
    "forward_step",
    "next_adjoint",
    "only_as_sum",
    "plan",
]


@dataclass(frozen=True)
class Run:
    """Elementwise statements over the units, printed as one block (one ``sympy.cse``).

    ``tag`` prefixes the block's temporaries; ``live`` holds the names read after the block
    (a backward target outside it need not be printed), or None when every target is kept.
    """

    statements: tuple[Assign | Store, ...]
    tag: str
    live: frozenset[str] | None = None


Statement = Run | Gemm | Project


def forward_step(spec: CellSpec) -> tuple[Statement, ...]:
    """The forward step of ``spec``: each product as soon as its source exists, then its users;
    consecutive node assignments gathered into runs."""
    program: list[Statement] = []
    pending: list[Assign] = []
    for step in forward_schedule(spec):
        if isinstance(step, Assign):
            pending.append(step)
            continue
        if pending:
            program.append(Run(tuple(pending), "f"))
            pending = []
        program.append(step)
    if pending:
        program.append(Run(tuple(pending), "f"))
    return tuple(program)


def next_adjoint(state: str) -> sp.Symbol:
    """The symbol of dL/d(state at t - 1) that the backward step hands to the step before."""
    return sp.Symbol(f"dnext_{state}")


def _live_after(spec: CellSpec, prog: BackwardProgram) -> list[set[str]]:
    """Names read after each backward statement: a target nobody reads later need not exist."""
    live: list[set[str]] = [set() for _ in prog.statements]
    later: set[str] = {str(x) for s in spec.states for x in prog.outgoing[s].free_symbols}
    for k in range(len(prog.statements) - 1, -1, -1):
        live[k] = set(later)
        st = prog.statements[k]
        if isinstance(st, Assign | Store):
            later |= {str(x) for x in st.expr.free_symbols}
        elif isinstance(st, Project):
            later.add(st.target.name)
    return live


def backward_step(spec: CellSpec, prog: BackwardProgram) -> tuple[Statement, ...]:
    """The backward step of ``spec`` from its derived program: runs of adjoints and stores
    between the transposed products, ending with the adjoints handed to the step before."""
    live_after = _live_after(spec, prog)
    program: list[Statement] = []
    pending: list[Assign | Store] = []

    def close(position: int) -> None:
        live = frozenset(live_after[position - 1]) if position else frozenset()
        program.append(Run(tuple(pending), f"b{position}_", live))
        pending.clear()

    position = 0
    for position, st in enumerate(prog.statements, start=1):
        if isinstance(st, Assign | Store):
            pending.append(st)
            continue
        if pending:
            close(position)
        program.append(st)
    pending.extend(Assign(next_adjoint(s), prog.outgoing[s]) for s in spec.states)
    close(position)
    return tuple(program)


# ---- the plan: both steps' programs and what printing them needs ----------------------


@dataclass(frozen=True)
class Plan:
    """Everything code generation needs, derived from the spec."""

    spec: CellSpec
    forward: tuple[Statement, ...]  # one forward step, as a statement program
    backward: BackwardProgram
    backward_step: tuple[Statement, ...]  # one backward step, as a statement program
    groups: tuple[HiddenGroup, ...]
    cached: tuple[sp.Symbol, ...]  # forward quantities the backward pass reads, per step
    shared_adjoint: bool  # dL/d(ax) == dL/d(ah) for every gate: one buffer serves both
    used: frozenset[sp.Symbol]  # every symbol the backward pass reads
    merged_bias: frozenset[int]  # groups whose b_hh is folded into the hoisted input GEMM


def plan(spec: CellSpec) -> Plan:
    """Schedule the forward step and derive the backward program of ``spec``."""
    groups = hidden_groups(spec)
    prog = backward_program(spec)
    used: set[sp.Symbol] = set()
    for st in prog.statements:
        if isinstance(st, Assign | Store):
            used |= st.expr.free_symbols
    for s in spec.states:
        used |= prog.outgoing[s].free_symbols
    kept = used | {g.source for g in groups}  # sources also feed the weight-gradient GEMMs
    kept |= {n.rhs for n in spec.nodes if n.projection is not None}  # and the projection's
    per_step = [n.symbol for n in spec.nodes] + [spec.hidden_affine[g] for g in spec.gates]
    per_step += [spec.input_affine[g] for g in spec.gates]
    per_step += [sym for fam in spec.families for sym in fam.symbols]
    cached = tuple(s for s in per_step if s in kept and s not in spec.out.values())
    full = spec.input_gates == spec.gates == spec.recurrent_gates and not spec.families
    shared = full and all(prog.ax[g] == prog.ah[g] for g in spec.gates) and len(groups) == 1
    merged = frozenset(
        grp.index
        for grp in groups
        if grp.bias
        and all(g in spec.input_gates for g in grp.gates)
        and all(only_as_sum(spec, g, cached) for g in grp.gates)
    )
    return Plan(
        spec,
        forward_step(spec),
        prog,
        backward_step(spec, prog),
        groups,
        cached,
        shared,
        frozenset(used),
        merged,
    )


def only_as_sum(spec: CellSpec, gate: str, cached: tuple[sp.Symbol, ...]) -> bool:
    """Whether a gate's two pre-activations only ever appear added: then b_hh can join b_ih."""
    ax, ah = spec.input_affine[gate], spec.hidden_affine[gate]
    if ax in cached or ah in cached:
        return False
    total = sp.Dummy("a")
    return all(ah not in n.rhs.subs(ax, total - ah).free_symbols for n in spec.nodes)
