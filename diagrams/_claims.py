"""Verdicts on common LSTM vs GRU claims, computed from measurements. Not a diagram itself.

``diagrams/adding_problem.py`` calls :func:`render_all` with its results (and the cost of a
training step from the committed timing record, ``data/kernel_times.json``) and writes one
Markdown snippet per claim; ``docs/cells/lstm-vs-gru.md``
includes each beside the figure or table it rests on. Every number and every verdict in those
snippets comes from here: nothing is typed into the page. The rules are plain functions of a
results dict, so ``tests/test_comparisons.py`` checks them on synthetic results.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import sympy as sp

import gated_ref as gr

HOLDS, PARTLY, FAILS = "holds", "holds in part", "does not hold"
#: Admonition type shown for each verdict.
STYLE = {HOLDS: "success", PARTLY: "warning", FAILS: "failure"}
#: Sizes (I = H) at which parameter counts are compared.
SIZE = 256
#: The timing record (relative to the repository root), made by ``make bench-record``.
RECORD = "data/kernel_times.json"
ROOT = Path(__file__).resolve().parents[1]
#: A gradient row smaller than this fraction of its start after 100 steps has vanished.
VANISHED = 1e-3


@dataclass(frozen=True)
class Verdict:
    """One claim, what the measurements say about it, and the evidence in words."""

    key: str
    claim: str
    status: str
    evidence: str

    def markdown(self) -> str:
        """An admonition: the claim as title, the verdict first, then the evidence."""
        body = f"**Verdict: {self.status}.** {self.evidence}"
        return f'!!! {STYLE[self.status]} "Claim: {self.claim}"\n\n    {body}\n'


def kernel_times(root: Path = ROOT) -> dict:
    """The committed timing record, ``data/kernel_times.json`` (``make bench-record``)."""
    path = root / RECORD
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise FileNotFoundError(
            f"{RECORD}: not found; run `make bench-record` (bench/record_kernel_times.py)"
        ) from None


def record_machine(record: dict) -> str:
    """The machine a timing record was measured on, in words."""
    m = record["machine"]
    threads = "one BLAS thread" if m["blas_threads"] == 1 else f"{m['blas_threads']} BLAS threads"
    return f"{m['cpu']} ({m['cores']} cores), {threads}, NumPy {m['numpy']}"


def _row(summary: list[dict], length: int, cell: str) -> dict:
    return next(r for r in summary if r["T"] == length and r["cell"] == cell)


def _fmt(x: float) -> str:
    return f"{x:.2g}" if x < 0.01 or x >= 1000 else f"{x:.3g}"


def fewer_parameters(size: int = SIZE) -> Verdict:
    """GRU vs LSTM parameter counts from the specs' shapes, at I = H = ``size``."""
    i, h = sp.symbols("I H", positive=True, integer=True)
    counts = {
        n: int(gr.cell(n).parameter_count().subs({i: size, h: size})) for n in ("gru", "lstm")
    }
    ratio = sp.nsimplify(counts["gru"] / counts["lstm"])
    status = HOLDS if counts["gru"] < counts["lstm"] else FAILS
    text = (
        f"With the same input and hidden sizes a GRU has three gate blocks to the LSTM's four, "
        f"so {ratio} of its parameters at every size: {counts['gru']:,} against "
        f"{counts['lstm']:,} at $I = H = {size}$. At equal *parameter budgets*, the GRU gets a "
        "larger hidden state instead."
    )
    return Verdict("fewer_parameters", "GRU has fewer parameters", status, text)


def _compare_runs(summary: list[dict], length: int) -> int:
    """+1 if the GRU did better than the LSTM at this length, -1 if worse, 0 if a tie.

    Better: more seeds solved; with equal solved counts (> 0), fewer median steps to solve.
    """
    g, l_ = _row(summary, length, "gru"), _row(summary, length, "lstm")
    if g["solved"] != l_["solved"]:
        return 1 if g["solved"] > l_["solved"] else -1
    if g["solved"] == 0:
        return 0
    a, b = g["median_steps_to_solve"], l_["median_steps_to_solve"]
    return 0 if a == b else (1 if a < b else -1)


def _seconds(x: float) -> str:
    return f"{x:.2g} s" if x < 10 else f"{x:.0f} s"


def trains_faster(
    results: dict, us_per_timestep: dict[str, float], machine: str = "the recorded machine"
) -> Verdict:
    """Cost per step (from the timing record) and steps to solve the adding problem.

    Only deterministic quantities: the steps come from seeded runs, the cost per step from a
    committed measurement (``us_per_timestep``: forward + backward at the experiment's size, on
    ``machine``), never from a clock read during the build.
    """
    summary, lengths = results["summary"], results["config"]["lengths"]
    budget = results["config"]["max_steps"]
    ratio = us_per_timestep["gru"] / us_per_timestep["lstm"]
    per_step = 1 if ratio < 0.95 else (-1 if ratio > 1.05 else 0)
    scores = [_compare_runs(summary, t) for t in lengths]
    wins, losses = scores.count(1), scores.count(-1)
    fewer_steps = 1 if wins > losses else (-1 if losses > wins else 0)
    favourable = (per_step > 0) + (fewer_steps > 0)
    status = HOLDS if favourable == 2 else (PARTLY if favourable == 1 else FAILS)
    step_words = {1: "cheaper", 0: "about as costly", -1: "costlier"}[per_step]
    steps_words = {
        1: "the GRU reached the threshold in fewer steps or on more seeds",
        0: "neither cell reached the threshold consistently sooner",
        -1: "the LSTM reached the threshold in fewer steps or on more seeds",
    }[fewer_steps]

    def cost(t: int, cell: str) -> str:
        row, per_step = _row(summary, t, cell), t * us_per_timestep[cell] / 1e6
        if row["solved"] == 0:
            return f"not within {budget} steps, > {_seconds(budget * per_step)}"
        steps = row["median_steps_to_solve"]
        return f"{_fmt(steps)} steps, about {_seconds(steps * per_step)}"

    detail = "; ".join(
        f"$T = {t}$: GRU {_row(summary, t, 'gru')['solved']} of {_row(summary, t, 'gru')['seeds']}"
        f" solved ({cost(t, 'gru')}), LSTM {_row(summary, t, 'lstm')['solved']} of "
        f"{_row(summary, t, 'lstm')['seeds']} ({cost(t, 'lstm')})"
        for t in lengths
    )
    text = (
        f"Per step, the generated GRU kernel is {step_words}: forward + backward at the "
        f"experiment's size takes {_fmt(us_per_timestep['gru'])} µs per time step against "
        f"{_fmt(us_per_timestep['lstm'])} µs for the LSTM (ratio {ratio:.2f}), as recorded by "
        f"`make bench-record` on {machine}. In steps, on the adding problem, {steps_words}. "
        "Median steps to the threshold, times the recorded forward + backward cost per step: "
        f"{detail}."
    )
    return Verdict("trains_faster", "GRU trains faster", status, text)


def comparable_accuracy(results: dict) -> Verdict:
    """Solved counts of LSTM and GRU within one seed of each other at every length."""
    summary, lengths = results["summary"], results["config"]["lengths"]
    close = []
    parts = []
    for t in lengths:
        g, l_ = _row(summary, t, "gru"), _row(summary, t, "lstm")
        close.append(abs(g["solved"] - l_["solved"]) <= 1)
        parts.append(
            f"$T = {t}$: GRU {g['solved']} of {g['seeds']} "
            f"(median MSE {_fmt(g['median_final_mse'])}), LSTM {l_['solved']} of {l_['seeds']} "
            f"(median MSE {_fmt(l_['median_final_mse'])})"
        )
    status = HOLDS if all(close) else (PARTLY if any(close) else FAILS)
    where = [t for t, c in zip(lengths, close, strict=True) if not c]
    text = "Seeds that solved the adding problem, and median final test MSE: " + "; ".join(parts)
    text += (
        "."
        if not where
        else (f". They differ by more than one seed at $T = {', '.join(map(str, where))}$.")
    )
    text += (
        f" (Within our budget of {results['config']['max_steps']} steps; the published "
        "comparisons, on many tasks and with tuning, find them close.)"
    )
    return Verdict("comparable_accuracy", "their accuracy is comparable", status, text)


def lstm_better_long(results: dict) -> Verdict:
    """At the longest length: does the LSTM solve more often, or reach a lower MSE?"""
    summary, t = results["summary"], max(results["config"]["lengths"])
    g, l_ = _row(summary, t, "gru"), _row(summary, t, "lstm")
    if l_["solved"] != g["solved"]:
        better = l_["solved"] > g["solved"]
    else:
        better = l_["median_final_mse"] < 0.5 * g["median_final_mse"]
    status = HOLDS if better else FAILS
    text = (
        f"At the longest length, $T = {t}$, the LSTM solved {l_['solved']} of {l_['seeds']} seeds "
        f"(median final MSE {_fmt(l_['median_final_mse'])}) and the GRU "
        f"{g['solved']} of {g['seeds']} (median {_fmt(g['median_final_mse'])})."
    )
    if not better:
        text += " Here the LSTM was not better"
        text += f" (within {results['config']['max_steps']} training steps)."
    return Verdict("lstm_better_long", "LSTM is better on long sequences", status, text)


def _decay(curve: list[float]) -> float:
    """How much of the gradient row is left at the longest distance, relative to distance 0."""
    return curve[-1] / curve[0]


def _probed(probe: dict, cell: str) -> str:
    """Which run a gradient probe used, in words."""
    state = "which solved the task" if probe["solved"][cell] else "which did not solve the task"
    return f"seed {probe['seed'][cell]}, {state}"


def rnn_vanishes(results: dict) -> Verdict:
    """From the gradient probe: ||dh_T/dh_t|| at distance T relative to distance 0."""
    probe, summary = results["gradients"], results["summary"]
    t = probe["T"]
    init = {c: _decay(v) for c, v in probe["init"].items()}
    trained = {c: _decay(v) for c, v in probe["trained"].items()}
    vanish_init, vanish_trained = init["rnn_tanh"] < VANISHED, trained["rnn_tanh"] < VANISHED
    status = HOLDS if vanish_init and vanish_trained else (PARTLY if vanish_init else FAILS)
    solved = ", ".join(
        f"{_row(summary, n, 'rnn_tanh')['solved']} of {_row(summary, n, 'rnn_tanh')['seeds']} at "
        f"$T = {n}$"
        for n in results["config"]["lengths"]
    )
    gated = []
    for cell, label in (("lstm", "LSTM"), ("gru", "GRU")):
        moved = "rose" if trained[cell] > 10 * init[cell] else "did not rise"
        gated.append(
            f"the {label}'s {moved} from {_fmt(init[cell])} to {_fmt(trained[cell])} "
            f"({_probed(probe, cell)})"
        )
    text = (
        f"Over {t} steps the gradient row of the vanilla RNN shrinks to "
        f"{_fmt(init['rnn_tanh'])} of its size at initialisation and {_fmt(trained['rnn_tanh'])}"
        f" after training on $T = {t}$; it solved the adding problem for {solved}. "
        "The claim needs a qualifier: at PyTorch's initialisation the gated cells' gradients "
        f"vanish too. What gating adds is a path that training can open: over the same {t} "
        f"steps, {gated[0]}, and {gated[1]}."
    )
    return Verdict("rnn_vanishes", "plain RNN gradients vanish", status, text)


def cell_state_unchanged(results: dict) -> Verdict:
    """From the trained LSTM's forget gates: how much a unit keeps over the whole sequence."""
    probe = results["gradients"]
    forget = probe["lstm_forget"]
    prods = np.array(forget["prod_f_sorted"])
    keep_half = int(np.sum(prods > 0.5))
    top, median = float(prods[0]), float(np.median(prods))
    status = HOLDS if median >= 0.9 else (PARTLY if top >= 0.5 else FAILS)
    opened = top > 10 * forget["prod_f_init_max"]
    text = (
        r"Along the cell state alone the one-step Jacobian is $\operatorname{diag}(f_t)$, "
        "so a value is carried unchanged only where $f_t = 1$ (and $i_t = 0$). After training "
        f"on $T = {probe['T']}$ ({_probed(probe, 'lstm')}), the mean forget gate is "
        f"{forget['mean_f']:.3g}; over the {probe['T']} steps, {keep_half} of "
        f"{forget['units']} units keep more than half of their value "
        rf"($\prod_t f_t > 0.5$; largest {_fmt(top)}, median {_fmt(median)}), against a "
        f"largest {_fmt(forget['prod_f_init_max'])} at initialisation. "
    )
    if status == HOLDS:
        text += "Here most units do carry their value nearly unchanged."
    elif opened:
        text += (
            "The cell state is a path that *can* carry a value almost unchanged, and training "
            "opened it for a few units; it is not unchanged by construction: every step scales "
            "it by $f_t$ and adds $i_t \\odot g_t$."
        )
    else:
        text += (
            "In this run training did not open that path: every step scales the cell state by "
            "$f_t$ and adds $i_t \\odot g_t$."
        )
    return Verdict(
        "cell_state_unchanged", "the LSTM cell state carries information unchanged", status, text
    )


def verdicts(
    results: dict, us_per_timestep: dict[str, float], machine: str = "the recorded machine"
) -> list[Verdict]:
    """Every claim's verdict, in the order the page discusses them."""
    return [
        fewer_parameters(),
        trains_faster(results, us_per_timestep, machine),
        comparable_accuracy(results),
        lstm_better_long(results),
        rnn_vanishes(results),
        cell_state_unchanged(results),
    ]


def render_all(
    results: dict,
    us_per_timestep: dict[str, float],
    out_dir: Path,
    machine: str = "the recorded machine",
) -> None:
    """Write ``claim_<key>.md`` for every verdict into ``out_dir``."""
    for v in verdicts(results, us_per_timestep, machine):
        (out_dir / f"claim_{v.key}.md").write_text(v.markdown(), encoding="utf-8")
