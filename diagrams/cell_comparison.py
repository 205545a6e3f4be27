"""Every cell side by side: gates, states, parameters, FLOPs, memory and measured speed.

Nothing here is typed: the parameter count is ``spec.parameter_count()`` (from the declared
shapes), the FLOPs are counted from the same shapes plus ``sympy.count_ops`` of each
elementwise equation, the memory is what ``kernel.cached_per_step`` says the forward keeps
(checked here against the bytes of a real cache), and the times are measured, by
``make bench-record``, and read from the committed record ``data/kernel_times.json``: a build
measures nothing, so two builds give the same bytes.

Conventions. FLOPs are per time step and per sequence: a multiply-add counts 2, every
elementwise operation (+, x, 1 - z, sigma, tanh) counts 1. The backward pass costs about twice
the forward's matrix products. "Kept per step" counts what the forward stores for the backward
beyond x itself: the input projection (G H numbers), the state trajectories (H per state) and
the per-step arrays ``kernel.cached_per_step``; it is read off a real forward cache, key by
key, so it cannot drift from what the kernel does.

Writes ``summary.md`` (formulas), ``sizes.md`` (counts at a few sizes), ``distill.md`` (the
check against a published figure), ``memory.md`` and ``timings.md`` (from the timing record).
"""

from __future__ import annotations

import sys
from pathlib import Path

import _claims
import numpy as np
import sympy as sp

import gated_ref as gr

SEED = 0
I_SYM, H_SYM, P_SYM = sp.symbols("I H P", positive=True, integer=True)
SIZES = (64, 256, 1024)  # I = H
#: Distill, "Visualizing memorization in RNNs" (Madsen 2019): 2 layers of 600 units, one bias
#: per gate, recurrent parameters. One bias per gate is a GRU in its reset-before form (Keras
#: ``reset_after=False``, Cho et al. 2014 as published): a reset-after GRU needs both b^x_n and
#: b^h_n, so the count is checked against ``gru_reset_before``.
DISTILL = {"gru_reset_before": 4_323_600, "lstm": 5_764_800}
DISTILL_LAYERS, DISTILL_UNITS = 2, 600
TIMING_T, TIMING_B, TIMING_SIZES = 32, 32, (64, 256)
MEMORY_H = 256
#: The measured times come from this committed record (``make bench-record``), not a clock.
DEPENDS = (_claims.RECORD,)


def parameter_count(spec: gr.CellSpec, input_size: int, hidden: int) -> int:
    """Parameters at the given sizes (P = H / 2 for a projection), from the spec's count."""
    p = spec.example_sizes(hidden).get("proj_size", 0)
    return int(spec.parameter_count().subs({I_SYM: input_size, H_SYM: hidden, P_SYM: p}))


def biases_only_summed(spec: gr.CellSpec) -> bool:
    """Whether every gate's two biases only ever appear added, ``b^x_k + b^h_k``.

    Then one bias per gate computes the same function; otherwise (the reset-after GRU, whose
    b^h_n sits inside r * (U_n h + b^h_n)) dropping one changes what the cell computes.
    """
    total = sp.Dummy("a")
    for gate in spec.gates:
        if gate not in spec.input_gates or gate not in spec.recurrent_gates:
            continue  # a gate with one affine term has one bias
        ax, ah = spec.input_affine[gate], spec.hidden_affine[gate]
        if any(ah in n.rhs.subs(ax, total - ah).free_symbols for n in spec.nodes):
            return False
    return True


def stacked_count(spec: gr.CellSpec, input_size: int, hidden: int, layers: int, biases: int) -> int:
    """Parameters of ``layers`` stacked cells (layer 1 sees ``input_size``, the rest ``hidden``).

    ``biases`` = 2 counts PyTorch's two bias vectors per gate (``bias_ih`` and ``bias_hh``);
    1 drops one of them, as in frameworks with one bias per gate: only for a cell whose two
    biases are only ever added (:func:`biases_only_summed`), else ValueError.
    """
    if biases not in (1, 2):
        raise ValueError(f"biases: got {biases!r}, expected 1 or 2")
    if biases == 1 and not biases_only_summed(spec):
        raise ValueError(
            f"biases: got 1 for {spec.name!r}, whose recurrent bias is not only added to the "
            "input bias; one bias per gate would change what it computes, expected 2"
        )
    total = 0
    for layer in range(layers):
        n_in = input_size if layer == 0 else hidden
        total += parameter_count(spec, n_in, hidden)
        if biases == 1:
            total -= int(np.prod(spec.param_shapes(n_in, hidden)["bias_hh"]))
    return total


def flops_per_step(spec: gr.CellSpec) -> sp.Expr:
    """Forward FLOPs of one step for one sequence, in I and H (and P for a projection).

    Each matrix (rows x cols) costs 2 rows cols (multiply-adds), each bias its length, each
    elementwise node its SymPy operation count per unit.
    """
    shapes = spec.param_shapes(I_SYM, H_SYM, **{size: P_SYM for size in spec.sizes})
    vectors = {p.key for p in spec.elementwise_params}
    matmul = sum(
        (
            2 * rows * cols
            for key, (rows, *rest) in shapes.items()
            if rest and key not in vectors
            for cols in rest
        ),
        sp.Integer(0),
    )
    bias = sum(
        (shape[0] for key, shape in shapes.items() if key.startswith("bias_")), sp.Integer(0)
    )
    elementwise = H_SYM * sum(
        sp.count_ops(node.rhs) for node in spec.nodes if node.projection is None
    )
    return sp.expand(matmul + bias + elementwise)


def cache_layout(kernel: gr.Kernel, steps: int = 6, batch: int = 3) -> dict[str, sp.Expr]:
    """What a forward cache holds per step and sequence, in H (and P), by cache key.

    Measured on real forward passes (x and the parameters excluded) at several sizes, and
    solved for the width a H + b P of each array, so a width that is not of that form raises.
    The state trajectories ``S_*`` hold T + 1 entries (the initial state too); the extra one is
    not counted, so that the figure is per step.
    """
    spec = kernel.spec
    points = [(5, 2), (7, 2), (7, 3)] if spec.sizes else [(5, 0), (7, 0)]
    widths: list[dict[str, float]] = []
    for hidden, proj in points:
        rng = np.random.default_rng(SEED)
        sizes = {size: proj for size in spec.sizes}
        n_in = hidden if spec.input_symbol is not None else 4
        params = kernel.init_params(n_in, hidden, rng=rng, **sizes)
        x = rng.standard_normal((steps, batch, n_in))
        _, _, cache = kernel.forward(x, params)
        state = {f"S_{s}": spec.size_of(spec.prev[s], hidden, **sizes) for s in spec.states}
        layout = {}
        for key, value in sorted(cache.items()):
            if isinstance(value, np.ndarray) and key != "x":
                extra = batch * state.get(key, 0)
                layout[key] = (value.size - extra) / (steps * batch)
        widths.append(layout)
    out: dict[str, sp.Expr] = {}
    for key in widths[0]:
        a = (widths[1][key] - widths[0][key]) / 2  # per unit of H
        b = widths[2][key] - widths[1][key] if spec.sizes else 0.0  # per unit of P
        c = widths[0][key] - 5 * a - 2 * b
        if any(v != int(v) for v in (a, b)) or abs(c) > 1e-9:
            raise ValueError(f"{kernel.name}: cache width of {key} is not a H + b P: {widths}")
        out[key] = int(a) * H_SYM + int(b) * P_SYM
    return out


def floats_kept_per_step(kernel: gr.Kernel) -> sp.Expr:
    """Numbers the forward keeps per step and sequence for the backward, beyond x."""
    return sum(cache_layout(kernel).values(), sp.Integer(0))


def _cell_label(spec: gr.CellSpec) -> str:
    return f"{spec.title} (`{spec.name}`)"


def summary_table() -> str:
    """States, gate blocks and the three formulas, one row per cell."""
    rows = [
        "| Cell | States | Blocks ($G$) | Parameters | FLOPs per step | Kept per step |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for name in gr.CELL_NAMES:
        spec, kernel = gr.cell(name), gr.lower(gr.cell(name))
        states = ", ".join(f"${s}_t$" for s in spec.states)
        blocks = ", ".join(f"${spec.gate_labels[g] or g}$" for g in spec.gates)
        rows.append(
            f"| {_cell_label(spec)} | {states} | {blocks} ({spec.num_gates}) "
            f"| ${sp.latex(spec.parameter_count())}$ | ${sp.latex(flops_per_step(spec))}$ "
            f"| ${sp.latex(floats_kept_per_step(kernel))}$ |"
        )
    return "\n".join(rows) + "\n"


def sizes_table() -> str:
    """Parameter counts and FLOPs per step at a few sizes I = H."""
    head = " | ".join(f"$I = H = {n}$" for n in SIZES)
    rows = [
        f"| Cell | Parameters: {head} | FLOPs per step at $I = H = {SIZES[1]}$ |",
        "| --- |" + " ---: |" * (len(SIZES) + 1),
    ]
    for name in gr.CELL_NAMES:
        spec = gr.cell(name)
        counts = " | ".join(f"{parameter_count(spec, n, n):,}" for n in SIZES)
        proj = spec.example_sizes(SIZES[1]).get("proj_size", 0)
        at = {I_SYM: SIZES[1], H_SYM: SIZES[1], P_SYM: proj}
        flops = int(flops_per_step(spec).subs(at))
        rows.append(f"| {_cell_label(spec)} | {counts} | {flops:,} |")
    rows[0] = rows[0].replace("Parameters: ", "")
    return "\n".join(rows) + "\n"


def distill_table() -> str:
    """The published 2 x 600 figures against the count from the specs' shapes, and a caption."""
    rows = [
        "| Cell | Published | From the spec, one bias per gate | From the spec, two biases |",
        "| --- | ---: | ---: | ---: |",
    ]
    for name, published in DISTILL.items():
        spec = gr.cell(name)
        one = stacked_count(spec, DISTILL_UNITS, DISTILL_UNITS, DISTILL_LAYERS, biases=1)
        two = stacked_count(spec, DISTILL_UNITS, DISTILL_UNITS, DISTILL_LAYERS, biases=2)
        if one != published:
            raise ValueError(f"{name}: computed {one:,}, Distill publishes {published:,}")
        rows.append(f"| {_cell_label(spec)} | {published:,} | {one:,} ✓ | {two:,} |")
    exact = [f"`{n}`" for n in gr.CELL_NAMES if biases_only_summed(gr.cell(n))]
    not_exact = [f"`{n}`" for n in gr.CELL_NAMES if not biases_only_summed(gr.cell(n))]
    caption = (
        "\n*One bias per gate describes a cell only where each gate's two biases are only ever "
        f"added, $b^x_k + b^h_k$: here {', '.join(exact)}. For the GRU that is the reset-before "
        "form (Keras `reset_after=False`; Cho et al. 2014 as published), the parameterisation "
        f"the published GRU count corresponds to. In {', '.join(not_exact)} (the reset-after "
        "form of PyTorch and cuDNN) the candidate's recurrent bias sits inside "
        "$r_t \\odot (U_n h_{t-1} + b^h_n)$, so dropping it changes what the cell computes; its "
        "count is the two-bias one, which has the same shapes.*\n"
    )
    return "\n".join(rows) + "\n" + caption


def memory_table() -> str:
    """Bytes kept per step and sequence at H = MEMORY_H, read off a real cache."""
    rows = [
        f"| Cell | Kept per step (cache key: width) | $H = {MEMORY_H}$, float32 | float64 |",
        "| --- | --- | ---: | ---: |",
    ]
    keys: set[str] = set()
    for name in gr.CELL_NAMES:
        kernel = gr.lower(gr.cell(name))
        layout = cache_layout(kernel)
        keys |= set(layout)
        parts = ", ".join(f"`{k}`: ${sp.latex(v)}$" for k, v in layout.items())
        proj = kernel.spec.example_sizes(MEMORY_H).get("proj_size", 0)
        n = int(sum(layout.values()).subs({H_SYM: MEMORY_H, P_SYM: proj}))
        rows.append(f"| {_cell_label(kernel.spec)} | {parts} | {4 * n:,} B | {8 * n:,} B |")
    meaning = {
        "AX": "`AX`: the input projection, computed for all steps before the loop",
        "S_": "`S_*`: the state trajectories",
        "N_": "`N_*`: the node values the backward reads (`kernel.cached_per_step`)",
        "AH": "`AH*`: recurrent projections, kept whole",
    }
    present = [text for prefix, text in meaning.items() if any(k.startswith(prefix) for k in keys)]
    note = "\nBytes per time step and per sequence in the batch. " + "; ".join(present) + ".\n"
    return "\n".join(rows) + "\n" + note


def timings(record: dict) -> dict[str, dict[int, tuple[float, float]] | None]:
    """µs per step (batch TIMING_B) of forward and of forward + backward, per cell and size;
    ``None`` for a cell newer than the record (not in its ``cells``): never made up.

    Read from the committed record (``data/kernel_times.json``, made by ``make bench-record``),
    never measured here; raises ``ValueError`` naming ``make bench-record`` if the record was
    made at other sizes or lacks a cell it says it measured.
    """
    entry = record["comparison"]
    wanted = {"T": TIMING_T, "B": TIMING_B, "sizes": list(TIMING_SIZES), "dtype": "float64"}
    got = {k: entry.get(k) for k in wanted}
    recorded = entry.get("us_per_step", {})
    covered = entry.get("cells", list(recorded))
    missing = [n for n in covered if n not in recorded]
    if got != wanted or missing:
        raise ValueError(
            f"{_claims.RECORD}: comparison recorded at {got}, expected {wanted}"
            + (f"; cells missing: {missing}" if missing else "")
            + "; run `make bench-record`"
        )
    return {
        name: {
            n: (recorded[name][str(n)]["fwd"], recorded[name][str(n)]["fwd+bwd"])
            for n in TIMING_SIZES
        }
        if name in covered
        else None
        for name in gr.CELL_NAMES
    }


def timings_table(measured: dict[str, dict[int, tuple[float, float]] | None], record: dict) -> str:
    """The recorded times as Markdown, with the machine they were measured on; a cell the
    record does not cover says so."""
    head = " | ".join(f"$H = {n}$: forward | forward + backward" for n in TIMING_SIZES)
    rows = [f"| Cell | {head} |", "| --- |" + " ---: |" * (2 * len(TIMING_SIZES))]
    absent = [name for name, by_size in measured.items() if by_size is None]
    for name, by_size in measured.items():
        if by_size is None:
            cells = " | ".join(["not recorded"] * (2 * len(TIMING_SIZES)))
        else:
            cells = " | ".join(f"{f:,.0f} | {fb:,.0f}" for f, fb in by_size.values())
        rows.append(f"| {_cell_label(gr.cell(name))} | {cells} |")
    note = (
        f"\nµs per time step for a batch of {TIMING_B} sequences ($I = H$, float64, "
        f"$T = {TIMING_T}$), generated NumPy kernels, {_claims.record_method(record)}, on "
        f"{_claims.record_machine(record)}. "
        "Measured by `make bench-record` "
        f"(`bench/record_kernel_times.py`) and committed as `{_claims.RECORD}`, not at build "
        "time: the site shows the same numbers on every build, and they change only when the "
        "record is refreshed.\n"
    )
    load = record["load"]
    if load.get("busy"):
        note += (
            f"\n**Measured on a busy machine**: other processes used "
            f"{load['other_processes_cores']} core on average meanwhile; these times are noisy.\n"
        )
    if absent:
        names = ", ".join(f"`{n}`" for n in absent)
        note += (
            f"\nNot recorded: {names}, added after the record was made; the next "
            "`make bench-record` measures it with the others, on one machine.\n"
        )
    return "\n".join(rows) + "\n" + note


def main(out_dir: Path) -> None:
    """Write the five Markdown tables."""
    (out_dir / "summary.md").write_text(summary_table(), encoding="utf-8")
    (out_dir / "sizes.md").write_text(sizes_table(), encoding="utf-8")
    (out_dir / "distill.md").write_text(distill_table(), encoding="utf-8")
    (out_dir / "memory.md").write_text(memory_table(), encoding="utf-8")
    record = _claims.kernel_times()
    (out_dir / "timings.md").write_text(timings_table(timings(record), record), encoding="utf-8")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("."))
