"""Gate activations over time: an LSTM and a GRU trained on English text, reading held-out text.

Both models come from the experiment record (``data/experiments.json``, ``make experiments``):
the character-level language-modelling runs (``char_lm-50``) from seed 0 at the learning rate
the protocol chose, whose trained parameters the record keeps. Each reads an excerpt of the
*test* split from a zero state, and the kernel's own forward cache gives the plotted values:
the gates i, f, o and the cell state c of the LSTM, the gates r and z of the GRU, and both
hidden states. The captions give each model's held-out loss: the record's test bits per
character, recomputed here from the recorded parameters (the build fails if they differ).

Writes ``lstm_gates.svg``, ``gru_gates.svg``, ``hidden_mean.svg`` and one Markdown snippet per
figure (``lstm.md``, ``gru.md``, ``hidden.md``). The snippets' image paths are relative to a
page under ``docs/cells/``.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from _style import CYCLE, current, figure, save_figures

import gated_ref as gr
from gated_ref import tasks
from gated_ref.experiments import record
from gated_ref.experiments.claims import final_runs
from gated_ref.experiments.probes import params_of
from gated_ref.experiments.run import READOUT, RunConfig, evaluate
from gated_ref.train import softmax_cross_entropy

SEED = 0
TASK = "char_lm-50"
#: Characters of the test split shown (from its first line break on).
SHOWN_CHARS = 48
CELLS = ("lstm", "gru")
#: What each cell's heatmaps show, in order: gate nodes, then states.
SHOWN = {"lstm": ("i", "f", "o", "c"), "gru": ("r", "z")}
UNITS = 12  # units shown in the heatmaps: those whose state varies most along the excerpt
GATE_CMAP = "viridis"
STATE_CMAP = "RdBu_r"
DEPENDS = (record.RECORD, "data/experiments.params.json")
#: Recomputed held-out numbers must match the record to this relative tolerance.
RTOL = 1e-9


@dataclass
class Model:
    """A trained cell from the record: its kernel, parameters, softmax readout and run."""

    name: str
    kernel: gr.Kernel
    params: dict[str, np.ndarray]
    readout: dict[str, np.ndarray]
    run: dict
    test_bpc: float  # recomputed here from the recorded parameters


@dataclass
class Experiment:
    """Everything the figures show, computed once."""

    text: str  # the held-out excerpt shown
    models: dict[str, Model]
    x: np.ndarray  # the excerpt, one-hot (T, 1, V)
    traces: dict[str, dict[str, np.ndarray]]  # cell -> quantity -> (T, H), from the kernel
    units: dict[str, np.ndarray]  # cell -> indices of the units shown
    excerpt_bpc: dict[str, float]  # cell -> bits per character on the excerpt
    seeds: int  # seeds behind the mean test bpc
    mean_bpc: dict[str, float]  # cell -> mean test bpc over the seeds (the record's)


def one_hot(text: str) -> np.ndarray:
    """``text`` as a (T, 1, V) float64 one-hot array over ``tasks.ALPHABET``."""
    index = np.array([tasks.ALPHABET.index(ch) for ch in text])
    return np.eye(len(tasks.ALPHABET))[index][:, None, :]


def excerpt() -> str:
    """:data:`SHOWN_CHARS` characters of the test split, from its first line break on."""
    codes = tasks.CharLM(50).codes("test")
    text = "".join(tasks.ALPHABET[c] for c in codes)
    start = text.index("\n") + 1
    return text[start : start + SHOWN_CHARS + 1]


def load_model(rec: dict, name: str) -> Model:
    """The recorded ``char_lm`` run of ``name`` from seed :data:`SEED`, checked against it."""
    run = next(r for r in final_runs(rec, name, TASK) if r["config"]["seed"] == SEED)
    params = params_of(run)
    cfg = RunConfig(**{**run["config"], "keep_params": False})
    bpc = evaluate(cfg, params, "test")["bpc"]
    want = run["final"]["test"]["bpc"]
    if not abs(bpc - want) <= RTOL * abs(want):
        raise record.StaleRecordError(
            f"{record.RECORD}: {run['id']} scores {bpc:.12g} bits per character on the test split "
            f"here, {want:.12g} in the record; run `{record.COMMAND}`"
        )
    cell = {k: v for k, v in params.items() if k not in READOUT}
    readout = {"weight": params["W_out"], "bias": params["b_out"]}
    return Model(name, gr.lower(name), cell, readout, run, float(bpc))


def traces(model: Model, x: np.ndarray) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Run ``model`` on ``x`` (T, 1, V); every node and state over time, (T, H) each.

    Gate values are the kernel's forward cache (``N_<node>``), states its trajectories
    (``S_<state>``, from t = 1): nothing is recomputed outside the generated code.
    Also returns the outputs ``y`` (T, 1, H).
    """
    y, _, cache = model.kernel.forward(x, model.params)
    spec = model.kernel.spec
    out: dict[str, np.ndarray] = {}
    for node in model.kernel.cached_per_step:
        if f"N_{node}" in cache:
            out[node] = cache[f"N_{node}"][:, 0]
    for s in spec.states:
        out[s] = cache[f"S_{s}"][1:, 0]
    missing = [q for q in SHOWN[model.name] if q not in out]
    if missing:
        raise KeyError(f"{model.name}: the kernel's cache lacks {missing}; it has {sorted(out)}")
    return out, y


def experiment() -> Experiment:
    """Load both recorded models and run them on the held-out excerpt."""
    rec = record.load()
    text = excerpt()
    shown, following = text[:-1], text[1:]
    x = one_hot(shown)
    targets = np.array([tasks.ALPHABET.index(ch) for ch in following])[:, None]
    models, all_traces, units, excerpt_bpc, mean_bpc = {}, {}, {}, {}, {}
    seeds = 0
    for name in CELLS:
        model = load_model(rec, name)
        models[name] = model
        all_traces[name], y = traces(model, x)
        key = "c" if "c" in all_traces[name] else "h"
        units[name] = np.sort(np.argsort(all_traces[name][key].std(axis=0))[::-1][:UNITS])
        loss = softmax_cross_entropy(y, targets, model.readout["weight"], model.readout["bias"])[0]
        excerpt_bpc[name] = loss / np.log(2.0)
        runs = final_runs(rec, name, TASK)
        seeds = len(runs)
        mean_bpc[name] = float(np.mean([r["final"]["test"]["bpc"] for r in runs]))
    return Experiment(shown, models, x, all_traces, units, excerpt_bpc, seeds, mean_bpc)


def _char_axis(ax, text: str) -> None:  # noqa: ANN001
    ax.set_xticks(range(len(text)))
    ax.set_xticklabels(["\u2423" if ch == " " else ch for ch in text], fontsize=7)
    ax.tick_params(axis="x", length=0, pad=2)


def plot_heatmaps(exp: Experiment, name: str, path: Path) -> None:
    """One heatmap row per quantity of :data:`SHOWN`: units (rows) against characters."""
    save_figures(lambda: heatmaps_figure(exp, name), path)


def heatmaps_figure(exp: Experiment, name: str):
    """The figure of :func:`plot_heatmaps`, in the active scheme."""
    shown = SHOWN[name]
    states = gr.cell(name).states
    gates = [q for q in shown if q not in states]
    fig, axes = figure(height=1.05 * len(shown) + 0.5, nrows=len(shown), sharex=True)
    axes = np.atleast_1d(axes)
    units = exp.units[name]
    gate_image = state_image = None
    for ax, q in zip(axes, shown, strict=True):
        values = exp.traces[name][q][:, units].T
        if q in states:
            vmax = float(np.abs(values).max())
            state_image = ax.imshow(
                values, aspect="auto", cmap=STATE_CMAP, vmin=-vmax, vmax=vmax,
                interpolation="nearest",
            )  # fmt: skip
        else:
            gate_image = ax.imshow(
                values, aspect="auto", cmap=GATE_CMAP, vmin=0.0, vmax=1.0,
                interpolation="nearest",
            )  # fmt: skip
        ax.grid(False)
        ax.tick_params(axis="x", length=0)
        ax.set_ylabel(f"${q}_t$", rotation=0, labelpad=12, va="center", fontsize=11)
        ax.set_yticks(range(0, len(units), 3), [str(u) for u in units[::3]], fontsize=6)
        for side in ("top", "right"):
            ax.spines[side].set_visible(True)
    _char_axis(axes[-1], exp.text)
    axes[-1].set_xlabel("character read at step $t$")
    rows = dict(zip(shown, axes, strict=True))
    if gate_image is not None:
        bar = fig.colorbar(gate_image, ax=[rows[q] for q in gates])
        bar.set_label("gate value", fontsize=8)
    if state_image is not None:
        bar = fig.colorbar(state_image, ax=[rows[q] for q in shown if q in states])
        bar.set_label("state value", fontsize=8)
    return fig


def plot_hidden_mean(exp: Experiment, path: Path) -> None:
    """Mean over all hidden units of h_t, LSTM against GRU, along the sentence."""
    save_figures(lambda: hidden_mean_figure(exp), path)


def hidden_mean_figure(exp: Experiment):
    """The figure of :func:`plot_hidden_mean`, in the active scheme."""
    fig, ax = figure(height=2.6)
    steps = np.arange(len(exp.text))
    for colour, name in zip(CYCLE, CELLS, strict=False):
        mean = exp.traces[name]["h"].mean(axis=1)
        ax.plot(steps, mean, marker="o", markersize=2.5, color=colour, label=name.upper())
    ax.axhline(0.0, color=current().muted, linewidth=0.6)
    ax.grid(axis="x", visible=False)
    _char_axis(ax, exp.text)
    ax.set(xlabel="character read at step $t$", ylabel="mean of $h_t$ over units")
    ax.set_xlim(-0.5, len(exp.text) - 0.5)
    ax.legend(loc="upper right", fontsize=8, ncols=2)
    return fig


def training_note(exp: Experiment, name: str) -> str:
    """What model ``name`` is and how well it predicts held-out text: numbers from the record."""
    m = exp.models[name]
    c = m.run["config"]
    n_params = sum(v.size for v in m.params.values()) + sum(v.size for v in m.readout.values())
    return (
        f"The {name.upper()} is the seed-{SEED} run of the experiment record's character-level "
        f"language model (`{TASK}`: hidden size {c['hidden']}, {n_params:,} parameters with "
        f"the readout, {m.run['steps_run']:,} Adam steps at the chosen learning rate "
        f"{c['lr']:g}). Held-out loss: {m.test_bpc:.3f} bits per character on the test split "
        f"(mean over the {exp.seeds} seeds: {exp.mean_bpc[name]:.3f}); "
        f"{exp.excerpt_bpc[name]:.3f} on the excerpt shown, which is test text it never "
        "trained on."
    )


def main(out_dir: Path) -> None:
    """Load, run, and write the three figures with their Markdown snippets."""
    exp = experiment()
    plot_heatmaps(exp, "lstm", out_dir / "lstm_gates.svg")
    plot_heatmaps(exp, "gru", out_dir / "gru_gates.svg")
    plot_hidden_mean(exp, out_dir / "hidden_mean.svg")
    quote = "\u201c" + exp.text.replace("\n", " ") + "\u201d"
    both = " ".join(training_note(exp, n) for n in CELLS)
    for cell, stem, alt, text, note in (
        (
            "lstm",
            "lstm_gates",
            "LSTM gates and cell state over held-out text",
            f"A trained LSTM reading {quote}: input gate $i_t$, forget gate $f_t$, output gate "
            f"$o_t$ and cell state $c_t$ of the {UNITS} units whose $c_t$ varies most, one "
            "column per character.",
            training_note(exp, "lstm"),
        ),
        (
            "gru",
            "gru_gates",
            "GRU gates over held-out text",
            f"A trained GRU reading {quote}: reset gate $r_t$ and update gate $z_t$ of the "
            f"{UNITS} units whose $h_t$ varies most, one column per character.",
            training_note(exp, "gru"),
        ),
        (
            "hidden",
            "hidden_mean",
            "Mean hidden state over held-out text, LSTM and GRU",
            f"Hidden state $h_t$ averaged over all units, the trained LSTM and GRU, reading "
            f"{quote}.",
            both,
        ),
    ):
        snippet = (
            f"![{alt}](../generated/gate_activations/{stem}.svg#only-light)\n"
            f"![{alt}](../generated/gate_activations/{stem}-dark.svg#only-dark)\n\n"
            f"*{text} {note}*\n"
        )
        (out_dir / f"{cell}.md").write_text(snippet, encoding="utf-8")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("."))
