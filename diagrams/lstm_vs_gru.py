"""LSTM vs GRU: the experiment record, proven to come from this code, as tables, figures, verdicts.

Reads only the committed record ``data/experiments.json`` (written by ``make experiments``)
and the literature file ``data/literature.json``. Before writing anything it checks that the
record's fingerprint matches this checkout's kernels and training code, and re-executes a fixed
few runs for their first steps (``gated_ref.experiments.record``): a stale record stops the
build with the command that rebuilds it.

Writes Markdown snippets (``protocol.md``, ``tasks.md``, ``setups.md``, ``results.md``,
``per_seed.md``, ``timing.md``, ``summary.md``, ``verification.md``, ``claim_<key>.md``,
``budget.md``) and figures (``curves.svg``, ``gradients.svg``).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
from _claims import fewer_parameters
from _style import CYCLE, figure, save_figures

from gated_ref.experiments import claims, record, report
from gated_ref.experiments.claims import family, final_runs
from gated_ref.experiments.probes import initial_params, input_gradient_profile, params_of
from gated_ref.experiments.run import METRIC, SOLVED

SEED = 0  # nothing here is random: the record holds every number
ROOT = Path(__file__).resolve().parents[1]
LITERATURE = "data/literature.json"
DEPENDS = (record.RECORD, "data/experiments.params.json", LITERATURE)
#: Setups drawn in the learning curves, with their line style.
CURVES = {
    "rnn_params": (CYCLE[4], "-"),
    "lstm": (CYCLE[0], "-"),
    "lstm_fb0": (CYCLE[0], ":"),
    "gru": (CYCLE[1], "-"),
    "gru_reset_before": (CYCLE[2], "-"),
    "gru_params": (CYCLE[1], "--"),
}
PROBED = {"rnn_params": CYCLE[4], "lstm": CYCLE[0], "gru": CYCLE[1]}


def literature() -> dict:
    """The sources beside each claim (``data/literature.json``)."""
    return json.loads((ROOT / LITERATURE).read_text(encoding="utf-8"))


def why_we_differ(rec: dict) -> dict[str, str]:
    """Per claim, why our verdict can differ from a source's: printed only where it does."""
    p = rec["protocol"]
    small = (
        f"our models are small (hidden size {p['hidden']}) and trained for {p['steps']:,} steps "
        f"on short synthetic and small real tasks; "
    )
    return {
        "comparable_accuracy": small
        + "the sources compare larger models on speech, music, translation or word-level "
        "language modelling, where a difference this small can go either way.",
        "trains_faster": "per step the GRU does three quarters of the LSTM's products, but at "
        "these sizes the cost is not only the products (elementwise work, memory traffic); "
        "the sources that measured found no large difference either way.",
        "lstm_better_lm": small + "Jozefowicz et al. modelled words on Penn Treebank with far "
        "larger networks.",
        "forget_bias_one": small + "with a validation-chosen learning rate the LSTM without "
        "the bias may catch up within the budget.",
        "lstm_better_long": small + "the formal result (counting) is about what an LSTM can "
        "represent, not what training finds in a few thousand steps.",
        "gated_beat_tanh": small,
        "variants_not_better": small,
        "rnn_vanishes": small,
        "cell_state_unchanged": "the 1997 cell kept its state by construction (no forget "
        "gate); a trained LSTM with a forget gate keeps it only where training opened the gate.",
    }


def plot_curves(rec: dict, path: Path) -> None:
    """Median validation metric over the seeds against training step, one panel per task."""
    save_figures(lambda: curves_figure(rec), path)


def curves_figure(rec: dict):
    """The figure of :func:`plot_curves`, in the active scheme."""
    tasks = rec["protocol"]["tasks"]
    ncols = 4
    nrows = -(-len(tasks) // ncols)
    fig, axes = figure(height=2.3 * nrows, nrows=nrows, ncols=ncols)
    axes = np.ravel(axes)
    budget = rec["protocol"]["steps"]
    for ax, task in zip(axes, tasks, strict=False):
        metric, lower = METRIC[family(task)]
        for setup, (color, ls) in CURVES.items():
            runs = final_runs(rec, setup, task)
            if not runs:
                continue
            steps = np.array(max((r["eval_steps"] for r in runs), key=len))
            # A run that stopped once solved keeps its last value to the end of the axis.
            curves = np.array(
                [np.pad(r["val"], (0, len(steps) - len(r["val"])), "edge") for r in runs]
            )
            label = rec["protocol"]["setups"][setup]["label"]
            ax.plot(steps, np.median(curves, axis=0), color=color, ls=ls, lw=1.2, label=label)
        ax.set_title(f"{task}", fontsize=9)
        ax.set_xlim(0, budget)
        if metric == "mse":
            ax.set_yscale("log")
        ax.set_ylabel(f"validation {metric}", fontsize=8)
        ax.tick_params(labelsize=7)
    for ax in axes[len(tasks) :]:
        ax.axis("off")
    handles, labels = axes[0].get_legend_handles_labels()
    axes[-1].legend(handles, labels, loc="center", fontsize=8)
    for ax in axes[len(tasks) - ncols :]:
        ax.set_xlabel("training step", fontsize=8)
    return fig


def gradient_profiles(rec: dict, task: str = "adding-200") -> dict:
    """Median over seeds of the input-gradient profile, at initialisation and after training."""
    out: dict = {}
    for setup in PROBED:
        runs = [r for r in final_runs(rec, setup, task) if "params" in r]
        if not runs:
            continue
        out[setup] = {
            "init": np.median([input_gradient_profile(r, initial_params(r)) for r in runs], axis=0),
            "trained": np.median([input_gradient_profile(r, params_of(r)) for r in runs], axis=0),
            "seeds": len(runs),
        }
    return out


def plot_gradients(rec: dict, profiles: dict, path: Path, task: str = "adding-200") -> None:
    """The input-gradient profiles against distance from the last step (log scale)."""
    save_figures(lambda: gradients_figure(rec, profiles, task), path)


def gradients_figure(rec: dict, profiles: dict, task: str):
    """The figure of :func:`plot_gradients`, in the active scheme."""
    fig, ax = figure(height=2.9)
    for setup, color in PROBED.items():
        if setup not in profiles:
            continue
        prof = profiles[setup]
        distance = np.arange(len(prof["init"]))[::-1]
        label = rec["protocol"]["setups"][setup]["label"]
        ax.semilogy(distance, prof["init"], color=color, ls="--", lw=1)
        ax.semilogy(distance, prof["trained"], color=color, lw=1.4, label=f"{label}, trained")
    ax.set(
        xlabel="distance from the last step, $T - 1 - t$",
        ylabel=r"$\|\partial (u^\top h_T)/\partial x_t\|$, relative",
        title=f"{task}: after training (solid) and at initialisation (dashed), median of seeds",
    )
    ax.title.set_fontsize(9)
    ax.legend(fontsize=8)
    return fig


def verification_md(rec: dict, checks: list[dict]) -> str:
    """What this build re-executed and how close it came to the record."""
    lines = [
        f"This build checked that `{record.RECORD}` comes from this code: its fingerprint "
        f"(`{rec['fingerprint']['total'][:12]}`) matches the generated kernels and the task and "
        f"training sources, and re-running the first {record.REEXECUTE_STEPS} steps of "
        f"{len(checks)} recorded runs reproduced them:",
        "",
        "| Run | Steps re-run | Largest relative difference |",
        "| --- | ---: | ---: |",
    ]
    lines += [f"| `{c['id']}` | {c['steps']} | {c['max_rel_diff']:.1g} |" for c in checks]
    lines += [
        "",
        f"*Tolerance {record.REEXECUTE_RTOL:g}: another CPU's BLAS may round differently, and "
        "training amplifies that, so a prefix of the runs is compared, not their end.*",
    ]
    return "\n".join(lines) + "\n"


def record_md(rec: dict) -> str:
    """Where the record came from: machine, versions, executor, wall time, text."""
    m, v, text = rec["machine"], rec["versions"], rec["text"]
    runs = len(rec["runs"])
    return (
        f"The record holds {runs} runs ({len(rec['chosen_lr'])} setup and task pairs). "
        f"`make experiments` took {rec['wall_s'] / 60:.0f} minutes of wall time "
        f"({rec['cpu_s'] / 3600:.1f} CPU hours) on {rec['executor']}, on {m['cpu']} "
        f"({m['cores']} cores), with Python {v['python']}, NumPy {v['numpy']} and "
        f"SymPy {v['sympy']}. The language-modelling text is {text['source']}, "
        f"{text['characters']:,} characters after cleaning, from Python {text['python']} "
        f"({text['licence']}).\n"
    )


def budget_md(rec: dict) -> str:
    """How many final runs were still improving at the end of the budget."""
    groups = [
        final_runs(rec, setup, task)
        for setup, s in rec["protocol"]["setups"].items()
        for task in s["tasks"]
    ]
    unsolved = [(r, g) for g in groups for r in g if r["solved_at"] is None]
    threshold = [(r, g) for r, g in unsolved if family(r["config"]["task"]) in SOLVED]
    fixed = [(r, g) for r, g in unsolved if family(r["config"]["task"]) not in SOLVED]
    limited = sum(claims.still_improving(r, g) for r, g in threshold)
    improving = sum(claims.still_improving(r, g) for r, g in fixed)
    steps = rec["protocol"]["steps"]
    solved = []
    for task in rec["protocol"]["tasks"]:
        if not task.endswith("-200"):
            continue
        for setup in ("lstm", "gru"):
            runs = final_runs(rec, setup, task)
            n = sum(r["solved_at"] is not None for r in runs)
            label = rec["protocol"]["setups"][setup]["label"]
            solved.append(f"{label} {n} of {len(runs)} on `{task}`")
    return (
        f"Within the budget the gated cells solved the length-200 tasks as follows: "
        f"{'; '.join(solved)}. "
        f"On the tasks with a threshold, {len(threshold)} final runs had not solved their task "
        f"when the {steps:,}-step budget ran out; for {limited} of them another seed of the same "
        "setup did solve it, so more steps might have too. On the fixed-budget tasks, "
        f"{improving} of {len(fixed)} final runs were still improving at the end (their "
        "validation metric moved by more than the comparison margin over the last fifth of the "
        "budget). A comparison that such runs lost is reported as not resolved at this budget: "
        "more steps could close it.\n"
    )


def _solution(text: str) -> str:
    body = "\n".join(("    " + line) if line else "" for line in text.splitlines())
    return f'??? success "Solution"\n\n{body}\n'


def exercises_md(rec: dict, checks: list[dict], verdicts: dict) -> str:
    """Exercises with folded solutions, every number computed from the record."""
    p = rec["protocol"]
    lm = "char_lm-50"
    h_lstm = p["setups"]["lstm"]["hidden"][lm]
    h_gru = p["setups"]["gru_params"]["hidden"][lm]
    from gated_ref.experiments.run import parameter_count

    n_lstm = parameter_count("lstm", lm, h_lstm)
    n_gru = parameter_count("gru", lm, h_gru)
    n_gru16 = parameter_count("gru", lm, h_lstm)
    task, setup, seed = record.REEXECUTE[0][1], record.REEXECUTE[0][0], record.REEXECUTE[0][2]
    run = record.find_run(rec, setup, task, seed)
    step = record.REEXECUTE_STEPS
    at = run["eval_steps"].index(step) if step in run["eval_steps"] else len(run["val"]) - 1
    unresolved = [
        v.claim for v in verdicts.values() if any(r.status == claims.UNRESOLVED for r in v.rows)
    ]
    ex = []
    ex.append(
        f"1. On `{lm}` the LSTM has hidden size {h_lstm}. Which hidden size gives the GRU the "
        "same number of parameters (cell and readout), and why is it not simply 4/3 of the "
        "LSTM's?\n\n"
        + _solution(
            f"The LSTM has {n_lstm:,} parameters. A GRU of hidden size {h_lstm} has {n_gru16:,}; "
            f"the closest count is at hidden size {h_gru}, with {n_gru:,}. Not 4/3 of "
            f"{h_lstm}: the recurrent weights grow with $H^2$ and the readout and the input "
            "weights with $H$, so matching the total needs a smaller step up in $H$ than "
            "matching gate blocks would suggest (`grid.hidden_size`)."
        )
    )
    ex.append(
        f"2. Re-run the first {step} steps of the recorded run `{run['id']}` with "
        "`gated_ref.experiments.run.train(cfg, stop_after=...)` and compare its validation "
        "metric with the record's.\n\n"
        + _solution(
            "```python\n"
            "from gated_ref.experiments import record\n"
            "from gated_ref.experiments.run import RunConfig, train\n\n"
            "rec = record.load()\n"
            f'run = record.find_run(rec, "{setup}", "{task}", {seed})\n'
            'cfg = RunConfig(**{**run["config"], "keep_params": False})\n'
            f"fresh = train(cfg, stop_after={step})\n"
            'print(fresh["val"][-1], run["val"][len(fresh["val"]) - 1])\n'
            "```\n\n"
            f"The record holds {run['val'][at]:.10g} at step {run['eval_steps'][at]}; this "
            f"build re-ran it and differed by at most {checks[0]['max_rel_diff']:.1g} "
            "(relative) over the whole prefix."
        )
    )
    listed = "; ".join(unresolved) if unresolved else "none"
    ex.append(
        "3. Which claims have at least one comparison the experiment could not resolve, and "
        "what would you change first to resolve them: more seeds, more steps, or larger "
        "models?\n\n"
        + _solution(
            f"Claims with an unresolved row: {listed}. Where the runs were still improving at "
            "the end of the budget (see the budget note above), more steps come first; where "
            "the runs had stopped improving but the intervals overlap, more seeds narrow the "
            "intervals (as one over the square root of their number)."
        )
    )
    return "\n".join(ex)


def main(out_dir: Path) -> None:
    """Check the record, then write every table, figure and verdict into ``out_dir``."""
    rec = record.load()
    record.check_fresh(rec)
    print("lstm_vs_gru: re-executing recorded runs", flush=True)
    checks = record.reexecute(rec)
    lit = literature()
    write = {
        "verification.md": verification_md(rec, checks),
        "record.md": record_md(rec),
        "protocol.md": report.protocol_md(rec),
        "tasks.md": report.tasks_md(rec),
        "setups.md": report.setups_md(rec),
        "results.md": report.results_md(rec),
        "per_seed.md": report.per_seed_md(rec),
        "budget.md": budget_md(rec),
    }
    if "timing" in rec:
        write["timing.md"] = report.timing_md(rec)
    print("lstm_vs_gru: computing verdicts", flush=True)
    verdicts = claims.verdicts(rec)
    reasons = why_we_differ(rec)
    for key, v in verdicts.items():
        write[f"claim_{key}.md"] = report.verdict_md(v, rec, lit, reasons.get(v.key, ""))
    exact = fewer_parameters()
    exact_status = "holds" if "**Verdict: holds**" in exact else "does not hold"
    write["summary.md"] = report.summary_md(verdicts, ("GRU has fewer parameters", exact_status))
    write["claim_fewer_parameters.md"] = exact
    write["exercises.md"] = exercises_md(rec, checks, verdicts)
    for name, text in write.items():
        (out_dir / name).write_text(text, encoding="utf-8")
    plot_curves(rec, out_dir / "curves.svg")
    plot_gradients(rec, gradient_profiles(rec), out_dir / "gradients.svg")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("."))
