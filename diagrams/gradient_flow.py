"""Vanishing and exploding gradients: ||dh_T/dh_t|| against T - t, at initialisation.

What is measured. For a random unit vector u per sequence, the row ``u^T dh_T/dh_t`` of the
Jacobian is the gradient of the loss ``L = u . h_T`` with respect to ``h_t``. The generated
kernels return gradients only for the input and the *initial* state, so the figure runs the
generated kernel once per t: forward over ``x[t:]`` from the state the full forward reached at
t (``cache["S_h"][t]``, ``cache["S_c"][t]``), then backward with ``dy = 0`` and
``dstate = {"h": u}``; ``grads["h"]`` is then exactly ``u^T dh_T/dh_t`` (and ``grads["c"]``,
for an LSTM, ``u^T dh_T/dc_t``). That is O(T^2) kernel steps, cheap at these sizes, and exact:
no finite differences, no hand-written Jacobian. The curves are means over the batch of the norm
of that row (for a random unit u, its expected square is ||dh_T/dh_t||_F^2 / H).

Recurrent weight scale. Every H x H gate block ``U_k`` of ``weight_hh`` is rescaled so that its
spectral radius (largest |eigenvalue|) is rho; PyTorch's default initialisation gives about
1/sqrt(3) = 0.58. The spectral radius alone decides nothing: each factor of the product is
diag(tanh') U, and the slopes shrink as a larger U saturates the state. The sufficient
condition for vanishing (Pascanu, Mikolov & Bengio 2013) is on the largest *singular* value of
U, below 1/gamma with gamma bounding the slope (1 for tanh); above 1/gamma is only necessary for
exploding. ``decay.md`` prints, for each radius, what was measured: the norm left after the
full distance, the mean rate per step, the largest singular value of U and the mean tanh slope.

The LSTM's paths. Its one-step Jacobian dc_t/dc_{t-1} has a direct term diag(f_t) (read from
``gr.derive(spec).jacobians``): along the cell state alone the gradient is scaled by the product
of forget gates, with no weight matrix and no squashing slope in between. ``lstm_paths.svg``
plots that product against the two full derivatives, each through every path (h and c):
u^T dh_T/dh_t (c_t held fixed) and u^T dc_T/dc_t (h_t held fixed). ``lstm_paths_caption.md``
is its caption.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import sympy as sp
from _style import CYCLE, figure, save_figures

import gated_ref as gr

SEED = 0
CELLS = ("rnn_tanh", "lstm", "gru")
RADII = (0.5, 1.0, 1.5, 2.0)
T, B, I, H = 100, 16, 32, 64  # noqa: E741
STRIDE = 2  # distances T - t measured: 0, 2, 4, ..., T
TITLES = {"rnn_tanh": "vanilla RNN (tanh)", "lstm": "LSTM", "gru": "GRU"}


def set_spectral_radius(params: dict, rho: float, hidden: int) -> dict:
    """A copy of ``params`` whose every H x H block of ``weight_hh`` has spectral radius rho."""
    out = {k: v.copy() for k, v in params.items()}
    w = out["weight_hh"]
    for g in range(w.shape[0] // hidden):
        block = w[g * hidden : (g + 1) * hidden]
        block *= rho / np.max(np.abs(np.linalg.eigvals(block)))
    return out


def suffix_gradients(
    kernel: gr.Kernel,
    params: dict,
    x: np.ndarray,
    u: np.ndarray,
    state: dict | None = None,
    stride: int = 1,
    seed_state: str = "h",
) -> dict[str, np.ndarray]:
    """Rows ``u^T d s_T / d h_t`` (and ``/ d c_t``) for t = T, T - stride, ..., 0.

    ``seed_state`` names the final state s the vector u is applied to (``"h"``, or ``"c"`` for
    an LSTM). Returns ``{"distance": (n,), "h": (n, B, H), "c": (n, B, H)}`` (``"c"`` only for
    cells with a cell state), each row computed by the generated forward and backward passes run
    on ``x[t:]`` from the state the full forward pass had reached at step t.
    """
    steps = x.shape[0]
    _, _, cache = kernel.forward(x, params, state)
    states = kernel.spec.states
    distance, rows = [], {s: [] for s in states}
    for t in range(steps, -1, -stride):
        if t == steps:
            for s in states:
                rows[s].append(u if s == seed_state else np.zeros_like(u))
        else:
            start = {s: cache[f"S_{s}"][t] for s in states}
            y, _, suffix = kernel.forward(x[t:], params, start)
            dstate = {s: (u if s == seed_state else np.zeros_like(u)) for s in states}
            grads = kernel.backward(np.zeros_like(y), suffix, dstate)
            for s in states:
                rows[s].append(grads[s])
        distance.append(steps - t)
    return {"distance": np.array(distance)} | {s: np.stack(v) for s, v in rows.items()}


def direct_path(spec: gr.CellSpec, cache: dict, of: str = "c") -> np.ndarray:
    """Per-step diagonal of the chain-free term of ``d of_t / d of_{t-1}``, shape (T, B, H).

    For the LSTM's cell state that term is diag(f_t) (from ``gr.derive(spec).jacobians``); its
    symbols are evaluated on the node values the forward pass cached.
    """
    jac = next(j for j in gr.derive(spec).jacobians if j.of == of and j.wrt == of)
    direct = [e for chain, e in jac.terms if chain == ()]
    if len(direct) != 1:
        raise ValueError(f"{spec.name}: d{of}/d{of}_prev has no single direct term")
    expr = direct[0]
    symbols = sorted(expr.free_symbols, key=str)
    values = []
    for sym in symbols:
        key = f"N_{sym.name}"
        if key not in cache:
            raise ValueError(f"{spec.name}: {sym} is not a cached node ({key})")
        values.append(cache[key])
    return np.broadcast_to(sp.lambdify(symbols, expr, "numpy")(*values), cache[f"S_{of}"][1:].shape)


def row_norms(rows: np.ndarray) -> np.ndarray:
    """Mean over the batch of the L2 norm of each row: (n, B, H) -> (n,)."""
    return np.linalg.norm(rows, axis=-1).mean(axis=-1)


def unit_rows(rng: np.random.Generator, batch: int, hidden: int) -> np.ndarray:
    """One random unit vector per sequence, (B, H)."""
    u = rng.standard_normal((batch, hidden))
    return u / np.linalg.norm(u, axis=1, keepdims=True)


def decay_curves(rng: np.random.Generator) -> dict[str, dict[float, np.ndarray]]:
    """||u^T dh_T/dh_t|| for every cell and spectral radius; plus the distances under ``"d"``."""
    x = rng.standard_normal((T, B, I))
    u = unit_rows(rng, B, H)
    curves: dict = {}
    for name in CELLS:
        kernel = gr.lower(gr.cell(name))
        base = kernel.init_params(I, H, rng=np.random.default_rng([SEED, CELLS.index(name)]))
        curves[name] = {}
        for rho in RADII:
            params = set_spectral_radius(base, rho, H)
            rows = suffix_gradients(kernel, params, x, u, stride=STRIDE)
            curves[name][rho] = row_norms(rows["h"])
            curves["d"] = rows["distance"]
        print(f"gradient_flow: {name} done", flush=True)
    return curves


def lstm_paths(rng: np.random.Generator) -> dict[str, np.ndarray]:
    """LSTM at PyTorch's initialisation: the hidden path, the cell path, and prod f_t alone."""
    spec = gr.cell("lstm")
    kernel = gr.lower(spec)
    params = kernel.init_params(I, H, rng=np.random.default_rng([SEED, 99]))
    x = rng.standard_normal((T, B, I))
    u = unit_rows(rng, B, H)
    via_h = suffix_gradients(kernel, params, x, u, stride=STRIDE, seed_state="h")
    via_c = suffix_gradients(kernel, params, x, u, stride=STRIDE, seed_state="c")
    _, _, cache = kernel.forward(x, params)
    f = direct_path(spec, cache)  # (T, B, H): f_1 .. f_T
    distance = via_h["distance"]
    # prod_{s=t+1}^{T} f_s, for t = T - d
    prods = np.stack([np.prod(f[T - d :], axis=0) for d in distance])
    return {
        "distance": distance,
        "dh_T/dh_t": row_norms(via_h["h"]),
        "dc_T/dc_t": row_norms(via_c["c"]),
        "prod f": row_norms(u[None] * prods),
    }


def rnn_diagnostics(rng: np.random.Generator) -> dict[float, dict[str, float]]:
    """Per radius, for the vanilla RNN of :func:`decay_curves`: sigma_max(U), mean tanh slope.

    Uses the same parameters and (re-drawn with the same seed) the same input as the figure.
    """
    x = rng.standard_normal((T, B, I))
    kernel = gr.lower(gr.cell("rnn_tanh"))
    base = kernel.init_params(I, H, rng=np.random.default_rng([SEED, CELLS.index("rnn_tanh")]))
    out = {}
    for rho in RADII:
        params = set_spectral_radius(base, rho, H)
        _, _, cache = kernel.forward(x, params)
        slope = 1.0 - cache["S_h"][1:] ** 2  # tanh' at every step, unit and sequence
        out[rho] = {
            "sigma_max": float(np.linalg.norm(params["weight_hh"], 2)),
            "slope": float(slope.mean()),
        }
    return out


def decay_table(curves: dict, diagnostics: dict[float, dict[str, float]]) -> str:
    """Markdown: per cell and radius, the norm left at the largest distance and its rate."""
    far = int(curves["d"][-1])
    head = " | ".join(f"$\\rho = {rho:g}$" for rho in RADII)
    rows = [f"| | {head} |", "| --- |" + " ---: |" * len(RADII)]

    def row(label: str, values: list[str]) -> None:
        rows.append(f"| {label} | " + " | ".join(values) + " |")

    for name in CELLS:
        left = [curves[name][rho][-1] / curves[name][rho][0] for rho in RADII]
        row(f"{TITLES[name]}: norm at $T - t = {far}$", [f"{v:.1e}" for v in left])
        row(f"{TITLES[name]}: mean factor per step", [f"{v ** (1 / far):.3f}" for v in left])
    sig = [f"{diagnostics[rho]['sigma_max']:.2f}" for rho in RADII]
    row("vanilla RNN: largest singular value of $U$", sig)
    slopes = [f"{diagnostics[rho]['slope']:.2f}" for rho in RADII]
    row("vanilla RNN: mean $\\tanh'$ slope along the run", slopes)

    def radii(selected: list[float]) -> str:
        return ", ".join(f"{r:g}" for r in selected) if selected else "none"

    rnn = curves["rnn_tanh"]
    below = [rho for rho in RADII if diagnostics[rho]["sigma_max"] < 1]
    shrinks = [rho for rho in RADII if rnn[rho][-1] < rnn[rho][0]]
    grows = [rho for rho in RADII if rho not in shrinks]
    note = (
        f"\n*Measured on the runs of the figure (mean over {B} sequences of "
        f"$\\|u^\\top \\partial h_T / \\partial h_t\\|$, $H = {H}$, $T = {T}$); a mean "
        "factor per step below one is geometric decay at that rate. Vanilla RNN: the largest "
        "singular value of $U$ is below one, Pascanu et al.'s sufficient condition for "
        f"vanishing, at $\\rho$ = {radii(below)}; the gradient at $T - t = {far}$ is smaller "
        f"than at $T - t = 0$ at $\\rho$ = {radii(shrinks)}, and larger at $\\rho$ = "
        f"{radii(grows)}.*\n"
    )
    return "\n".join(rows) + "\n" + note


LSTM_LABELS = {
    "dh_T/dh_t": r"$\|u^\top \partial h_T / \partial h_t\|$ ($c_t$ fixed; via $h$ and $c$)",
    "dc_T/dc_t": r"$\|u^\top \partial c_T / \partial c_t\|$ ($h_t$ fixed; via $h$ and $c$)",
    "prod f": r"$\|u \odot \prod_{s>t} f_s\|$ (direct cell-state term alone)",
}


def lstm_caption() -> str:
    """The caption of ``lstm_paths.svg``: what each curve is, exactly."""
    return (
        f"*LSTM with PyTorch's initialisation, $H = {H}$, $T = {T}$, random inputs "
        "(`diagrams/gradient_flow.py`). Each curve is a mean over "
        f"{B} sequences of the norm of one row of a Jacobian, $u^\\top J$, for one random unit "
        "vector $u$ per sequence (its expected square is $\\|J\\|_F^2 / H$). Blue: "
        "$J = \\partial h_T / \\partial h_t$ with $c_t$ held fixed, the total derivative "
        "through every later $h$ and $c$. Orange: $J = \\partial c_T / \\partial c_t$ with "
        "$h_t$ held fixed, again through every path. Green: only the product of the direct "
        "terms $\\operatorname{diag}(f_s)$ along the cell state, "
        "$u \\odot \\prod_{s=t+1}^{T} f_s$, no other path.*\n"
    )


def main(out_dir: Path) -> None:
    """Write ``gradient_flow.svg``, ``decay.md``, ``lstm_paths.svg``, ``lstm_paths_caption.md``."""
    rng = np.random.default_rng(SEED)
    curves = decay_curves(rng)

    def draw_decay():
        fig, axes = figure(height=2.9, ncols=len(CELLS), sharey=True)
        for ax, name in zip(axes, CELLS, strict=True):
            for color, rho in zip(CYCLE, RADII, strict=False):
                label = rf"$\rho = {rho:g}$"
                ax.semilogy(curves["d"], curves[name][rho], color=color, label=label)
            ax.set(title=TITLES[name], xlabel="distance $T - t$")
        axes[0].set_ylabel(rf"$\|u^\top \partial h_T / \partial h_t\|$, mean of {B}")
        axes[0].legend(fontsize=8, loc="lower left")
        return fig

    save_figures(draw_decay, out_dir / "gradient_flow.svg")
    diagnostics = rnn_diagnostics(np.random.default_rng(SEED))
    (out_dir / "decay.md").write_text(decay_table(curves, diagnostics), encoding="utf-8")

    paths = lstm_paths(rng)

    def draw_paths():
        fig, ax = figure(height=2.8)
        for key, label in LSTM_LABELS.items():
            ax.semilogy(paths["distance"], paths[key], label=label)
        ax.set(
            xlabel="distance $T - t$",
            ylabel=rf"$\|u^\top J\|$, mean of {B}",
            title="LSTM at initialisation: one random row $u^\\top J$ of each Jacobian",
        )
        ax.legend(fontsize=8)
        return fig

    save_figures(draw_paths, out_dir / "lstm_paths.svg")
    (out_dir / "lstm_paths_caption.md").write_text(lstm_caption(), encoding="utf-8")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("."))
