"""Gate activations over time: a trained LSTM and GRU reading a sentence, character by character.

Both cells are trained at build time, with the generated NumPy kernels and
``gated_ref.train.Adam``, to predict the next character of a few fixed English sentences
(one-hot characters in, a linear softmax readout out). Then each reads the sentence
:data:`SENTENCE` from a zero state, and the kernel's own forward cache gives the plotted
values: the gates i, f, o and the cell state c of the LSTM, the gates r and z of the GRU,
and both hidden states.

Writes ``lstm_gates.svg``, ``gru_gates.svg``, ``hidden_mean.svg`` and one Markdown snippet per
figure (``lstm.md``, ``gru.md``, ``hidden.md``) whose captions state what was trained, with the
numbers computed here. The snippets' image paths are relative to a page under ``docs/cells/``.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from _style import PALETTE, figure, save_svg

import gated_ref as gr
from gated_ref.train import Adam, clip_by_global_norm, softmax_cross_entropy

SEED = 0
SENTENCE = "The dog which ran away from home has returned."
#: The training text: sentences with a subject far from its verb, and the one shown.
CORPUS = (
    SENTENCE,
    "The dogs which ran away from home have returned.",
    "The cat which sat on the wall has gone to sleep.",
    "The cats which sat on the wall have gone to sleep.",
    "A bird that flew over the hill has come back.",
    "The children who played in the park have gone home.",
    "The man who lost his keys has found them again.",
    "The girls who ran to school have won the race.",
)
CELLS = ("lstm", "gru")
#: What each cell's heatmaps show, in order: gate nodes, then states.
SHOWN = {"lstm": ("i", "f", "o", "c"), "gru": ("r", "z")}
HIDDEN = 24
UNITS = 12  # units shown in the heatmaps: those whose state varies most along the sentence
STEPS = 400
WINDOW = 40
BATCH = 16
LR = 1e-2
CLIP = 1.0
GATE_CMAP = "viridis"
STATE_CMAP = "RdBu_r"


@dataclass
class Model:
    """A trained cell: its kernel, parameters, softmax readout and training losses."""

    name: str
    kernel: gr.Kernel
    params: dict[str, np.ndarray]
    readout: dict[str, np.ndarray]
    losses: list[float] = field(default_factory=list)


@dataclass
class Experiment:
    """Everything the figures show, computed once."""

    vocab: str
    models: dict[str, Model]
    x: np.ndarray  # the sentence, one-hot (T, 1, V)
    traces: dict[str, dict[str, np.ndarray]]  # cell -> quantity -> (T, H), from the kernel
    units: dict[str, np.ndarray]  # cell -> indices of the units shown
    sentence_loss: dict[str, float]  # cell -> mean next-character loss on the sentence


def one_hot(text: str, vocab: str) -> np.ndarray:
    """``text`` as a (T, 1, V) float64 one-hot array over ``vocab``."""
    index = np.array([vocab.index(ch) for ch in text])
    return np.eye(len(vocab))[index][:, None, :]


def train(name: str, stream: np.ndarray, vocab_size: int) -> Model:
    """Fit cell ``name`` to predict the next symbol of windows of ``stream`` (indices)."""
    kernel = gr.lower(name)
    rng = np.random.default_rng(SEED)
    params = kernel.init_params(vocab_size, HIDDEN, rng=rng)
    bound = 1.0 / np.sqrt(HIDDEN)
    readout = {
        "weight": rng.uniform(-bound, bound, (vocab_size, HIDDEN)),
        "bias": np.zeros(vocab_size),
    }
    # One optimiser over both dicts; Adam updates the arrays in place.
    opt = Adam({**params, **{f"readout.{k}": v for k, v in readout.items()}}, lr=LR)
    eye = np.eye(vocab_size)
    model = Model(name, kernel, params, readout)
    for step in range(STEPS):
        starts = rng.integers(0, len(stream), BATCH)
        idx = stream[(starts[None, :] + np.arange(WINDOW + 1)[:, None]) % len(stream)]
        y, _, cache = kernel.forward(eye[idx[:-1]], params)
        loss, dy, grads_out = softmax_cross_entropy(y, idx[1:], readout["weight"], readout["bias"])
        grads = kernel.backward(dy, cache)
        grads = {k: grads[k] for k in params} | {f"readout.{k}": g for k, g in grads_out.items()}
        grads, _ = clip_by_global_norm(grads, CLIP)
        opt.step(grads)
        model.losses.append(loss)
        if (step + 1) % 100 == 0:
            print(f"{name}: step {step + 1}/{STEPS}, loss {loss:.3f}", flush=True)
    return model


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
    """Train both cells and run them on :data:`SENTENCE`."""
    vocab = "".join(sorted(set("".join(CORPUS))))
    stream = np.array([vocab.index(ch) for ch in " ".join(CORPUS) + " "])
    x = one_hot(SENTENCE, vocab)
    targets = np.array([vocab.index(ch) for ch in SENTENCE[1:] + " "])[:, None]
    models, all_traces, units, sentence_loss = {}, {}, {}, {}
    for name in CELLS:
        start = time.perf_counter()
        model = models[name] = train(name, stream, len(vocab))
        values, y = traces(model, x)
        all_traces[name] = values
        state = "c" if "c" in values else "h"
        spread = values[state].std(axis=0)
        units[name] = np.sort(np.argsort(-spread, kind="stable")[:UNITS])
        sentence_loss[name], _, _ = softmax_cross_entropy(
            y, targets, model.readout["weight"], model.readout["bias"]
        )
        print(f"{name}: trained in {time.perf_counter() - start:.1f} s", flush=True)
    return Experiment(vocab, models, x, all_traces, units, sentence_loss)


def _char_axis(ax, text: str) -> None:  # noqa: ANN001
    ax.set_xticks(range(len(text)))
    ax.set_xticklabels(["\u2423" if ch == " " else ch for ch in text], fontsize=7)
    ax.tick_params(axis="x", length=0, pad=2)


def plot_heatmaps(exp: Experiment, name: str, path: Path) -> None:
    """One heatmap row per quantity of :data:`SHOWN`: units (rows) against characters."""
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
    _char_axis(axes[-1], SENTENCE)
    axes[-1].set_xlabel("character read at step $t$")
    rows = dict(zip(shown, axes, strict=True))
    if gate_image is not None:
        bar = fig.colorbar(gate_image, ax=[rows[q] for q in gates])
        bar.set_label("gate value", fontsize=8)
    if state_image is not None:
        bar = fig.colorbar(state_image, ax=[rows[q] for q in shown if q in states])
        bar.set_label("state value", fontsize=8)
    save_svg(fig, path)


def plot_hidden_mean(exp: Experiment, path: Path) -> None:
    """Mean over all hidden units of h_t, LSTM against GRU, along the sentence."""
    fig, ax = figure(height=2.6)
    steps = np.arange(len(SENTENCE))
    for colour, name in zip(PALETTE, CELLS, strict=False):
        mean = exp.traces[name]["h"].mean(axis=1)
        ax.plot(steps, mean, marker="o", markersize=2.5, color=colour, label=name.upper())
    ax.axhline(0.0, color="0.5", linewidth=0.6)
    ax.grid(axis="x", visible=False)
    _char_axis(ax, SENTENCE)
    ax.set(xlabel="character read at step $t$", ylabel="mean of $h_t$ over units")
    ax.set_xlim(-0.5, len(SENTENCE) - 0.5)
    ax.legend(loc="upper right", fontsize=8, ncols=2)
    save_svg(fig, path)


def _training_note(exp: Experiment) -> str:
    parts = []
    for name in CELLS:
        m = exp.models[name]
        n_params = sum(v.size for v in m.params.values()) + sum(v.size for v in m.readout.values())
        parts.append(
            f"{name.upper()} ({n_params:,} parameters with the readout): training loss "
            f"{np.mean(m.losses[:10]):.2f} nats per character over the first 10 steps, "
            f"{np.mean(m.losses[-10:]):.2f} over the last 10; "
            f"{exp.sentence_loss[name]:.2f} on the sentence shown"
        )
    return (
        f"Trained here, at build time, with the generated kernels: next-character prediction "
        f"on {len(CORPUS)} English sentences ({len(exp.vocab)} distinct characters, one-hot), "
        f"hidden size {HIDDEN}, {STEPS} Adam steps (learning rate {LR:g}, {BATCH} windows of "
        f"{WINDOW} characters, gradients clipped to norm {CLIP:g}), seed {SEED}. "
        + "; ".join(parts)
        + "."
    )


def main(out_dir: Path) -> None:
    """Train, run, and write the three figures with their Markdown snippets."""
    exp = experiment()
    plot_heatmaps(exp, "lstm", out_dir / "lstm_gates.svg")
    plot_heatmaps(exp, "gru", out_dir / "gru_gates.svg")
    plot_hidden_mean(exp, out_dir / "hidden_mean.svg")
    note = _training_note(exp)
    quote = f"\u201c{SENTENCE}\u201d"
    for cell, stem, alt, text in (
        (
            "lstm",
            "lstm_gates",
            "LSTM gates and cell state over a sentence",
            f"An LSTM reading {quote}: input gate $i_t$, forget gate $f_t$, output gate "
            f"$o_t$ and cell state $c_t$ of the {UNITS} units (of {HIDDEN}) whose $c_t$ "
            "varies most, one column per character.",
        ),
        (
            "gru",
            "gru_gates",
            "GRU gates over a sentence",
            f"A GRU reading {quote}: reset gate $r_t$ and update gate $z_t$ of the {UNITS} "
            f"units (of {HIDDEN}) whose $h_t$ varies most, one column per character.",
        ),
        (
            "hidden",
            "hidden_mean",
            "Mean hidden state over a sentence, LSTM and GRU",
            f"Hidden state $h_t$ averaged over all {HIDDEN} units, LSTM and GRU, reading {quote}.",
        ),
    ):
        snippet = f"![{alt}](../generated/gate_activations/{stem}.svg)\n\n*{text} {note}*\n"
        (out_dir / f"{cell}.md").write_text(snippet, encoding="utf-8")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("."))
