"""Exploding gradients: the norm grows with T above the boundary; clipping bounds the step.

A vanilla RNN (``rnn_tanh``, H = 32) whose recurrent matrix U is PyTorch's default draw
rescaled to a largest singular value sigma_max of 1, 2, 3 or 4, with zero biases and inputs so
small (1e-20) that every tanh works on its linear part. Left: ||u^T dh_T/dh_{T-d}||, the
gradient of L = u . h_T with respect to the state d steps earlier (u a unit vector per
sequence), from the generated backward pass (``gated_ref.bptt.jacobian_rows``); dashed, the
same sigma_max = 3 network driven by unit inputs with PyTorch's random biases, where tanh
saturates. Right: the global norm of the gradient of every parameter for a sequence of length
T, before and after ``gated_ref.train.clip_by_global_norm``.

Pascanu, Mikolov & Bengio (2013): with |tanh'| <= gamma = 1, sigma_max < 1/gamma is sufficient
for the gradient to vanish and sigma_max > 1/gamma necessary for it to explode. gamma is
computed here with SymPy. Writes ``exploding_gradients.svg`` and ``exploding_gradients.md``
(the numbers quoted on the page).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import sympy as sp
from _style import CYCLE, current, figure, save_figures

import gated_ref as gr
from gated_ref.bptt import jacobian_rows
from gated_ref.train import clip_by_global_norm

SEED = 0
T, B, I, H = 40, 8, 8, 32  # noqa: E741
SIGMAS = (1.0, 2.0, 3.0, 4.0)
SATURATED = 3.0  # the sigma_max also run with unit inputs
SMALL = 1e-20  # input scale of the near-linear runs
MAX_NORM = 1.0  # clipping threshold
CLIPPED = 3.0  # the sigma_max of the right panel


def max_slope(expr: sp.Expr, a: sp.Symbol) -> sp.Expr:
    """gamma: the largest value of d expr / d a over the reals, by SymPy."""
    return sp.maximum(sp.diff(expr, a), a, sp.S.Reals)


def rescaled(params: dict, sigma_max: float) -> dict:
    """A copy of ``params`` with ``weight_hh`` scaled to largest singular value sigma_max."""
    out = {k: v.copy() for k, v in params.items()}
    out["weight_hh"] *= sigma_max / np.linalg.svd(out["weight_hh"], compute_uv=False)[0]
    return out


def linear_regime(params: dict) -> dict:
    """A copy with zero biases: with inputs near 0 every state stays near 0, tanh' near 1."""
    out = {k: v.copy() for k, v in params.items()}
    out["bias_ih"][:] = 0.0
    out["bias_hh"][:] = 0.0
    return out


def param_gradient_norms(
    kernel: gr.Kernel, params: dict, x: np.ndarray, u: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For T' = 1..T: global norm of dL/dtheta (L = u . h_T'), after clipping, and cosine."""
    raw, clipped, cosine = [], [], []
    for steps in range(1, x.shape[0] + 1):
        _, _, cache = kernel.forward(x[:steps], params)
        grads = kernel.backward(np.zeros((steps, *u.shape)), cache, {"h": u})
        grads = {k: grads[k] for k in params}
        clip, norm = clip_by_global_norm(grads, MAX_NORM)
        flat, flat_clip = (np.concatenate([g.ravel() for g in d.values()]) for d in (grads, clip))
        raw.append(norm)
        clipped.append(float(np.linalg.norm(flat_clip)))
        cosine.append(float(flat @ flat_clip / (np.linalg.norm(flat) * np.linalg.norm(flat_clip))))
    return np.array(raw), np.array(clipped), np.array(cosine)


def fmt(value: float) -> str:
    """A number for prose (LaTeX): three significant digits, times a power of ten if needed."""
    if value == 0 or 1e-3 <= abs(value) < 1e4:
        return f"${value:.3g}$"
    mantissa, exponent = f"{value:.2e}".split("e")
    return f"${mantissa} \\times 10^{{{int(exponent)}}}$"


def main(out_dir: Path) -> None:
    """Write ``exploding_gradients.svg`` and ``exploding_gradients.md``."""
    rng = np.random.default_rng(SEED)
    kernel = gr.lower(gr.cell("rnn_tanh"))
    base = kernel.init_params(I, H, rng=rng)
    x = rng.standard_normal((T, B, I))
    u = rng.standard_normal((B, H))
    u /= np.linalg.norm(u, axis=1, keepdims=True)

    default_sigma = float(np.linalg.svd(base["weight_hh"], compute_uv=False)[0])
    default_rho = float(np.abs(np.linalg.eigvals(base["weight_hh"])).max())
    a = sp.Symbol("a", real=True)
    gamma_tanh = max_slope(sp.tanh(a), a)
    gamma_sigmoid = max_slope(1 / (1 + sp.exp(-a)), a)

    lines, curves = [], []
    for color, sigma in zip(CYCLE, SIGMAS, strict=False):
        params = linear_regime(rescaled(base, sigma))
        rho = float(np.abs(np.linalg.eigvals(params["weight_hh"])).max())
        rows = jacobian_rows(kernel, params, SMALL * x, u)
        norms = np.linalg.norm(rows["h"], axis=-1).mean(axis=-1)
        rate = (norms[-1] / norms[-11]) ** 0.1
        _, _, cache = kernel.forward(SMALL * x, params)
        curves.append((rows["distance"], norms, color, rf"$\sigma_{{\max}} = {sigma:g}$"))
        lines.append(
            f"| {sigma:g} | {rho:.3f} | {fmt(norms[-1])} | {rate:.3f} | "
            f"{fmt(float(np.abs(cache['S_h']).max()))} |"
        )
        if sigma == SATURATED:
            sat_color, linear_at_t = color, norms[-1]
    sat_rows = jacobian_rows(kernel, rescaled(base, SATURATED), x, u)
    sat_norms = np.linalg.norm(sat_rows["h"], axis=-1).mean(axis=-1)
    sat_label = rf"$\sigma_{{\max}} = {SATURATED:g}$, unit inputs"

    params = linear_regime(rescaled(base, CLIPPED))
    raw, clipped, cosine = param_gradient_norms(kernel, params, SMALL * x, u)
    lengths = np.arange(1, T + 1)

    def draw():
        fig, (left, right) = figure(height=3.0, ncols=2)
        for distance, norms, color, label in curves:
            left.semilogy(distance, norms, color=color, label=label)
        left.semilogy(
            sat_rows["distance"], sat_norms, color=sat_color, linestyle="--", label=sat_label
        )
        left.axhline(1.0, color=current().muted, linewidth=0.8)
        left.set(
            xlabel="distance $d = T - t$",
            ylabel=r"$\|u^\top \partial h_T / \partial h_t\|$",
            title="gradient through time",
        )
        left.legend(fontsize=7, loc="upper left")
        right.semilogy(lengths, raw, color=CYCLE[2], label=r"$\|g\|$, raw")
        right.semilogy(
            lengths, clipped, color=CYCLE[1], linestyle="--", label=rf"clipped at {MAX_NORM:g}"
        )
        right.set(
            xlabel="sequence length $T$",
            ylabel=r"global norm of $\partial L / \partial \theta$",
            title=rf"$\sigma_{{\max}} = {CLIPPED:g}$: every parameter",
        )
        right.legend(fontsize=7, loc="upper left")
        return fig

    save_figures(draw, out_dir / "exploding_gradients.svg")

    text = [
        f"Largest slope, by SymPy: $\\gamma = \\max_a \\tanh'(a) = {sp.latex(gamma_tanh)}$ and "
        f"$\\max_a \\sigma'(a) = {sp.latex(gamma_sigmoid)}$, so the boundary for a tanh RNN is "
        f"$\\sigma_{{\\max}}(U) = 1/\\gamma = {sp.latex(1 / gamma_tanh)}$.",
        "",
        f"PyTorch's default draw of this $U$ ($H = {H}$) has $\\sigma_{{\\max}}(U) = "
        f"{default_sigma:.3f}$ and spectral radius $\\rho(U) = {default_rho:.3f}$; the table "
        "rescales it.",
        "",
        f"| $\\sigma_{{\\max}}(U)$ | spectral radius $\\rho(U)$ | "
        f"$\\lVert u^\\top \\partial h_T / \\partial h_0 \\rVert$, $T = {T}$ | "
        "growth per step, last 10 | largest $\\lvert h_t \\rvert$ |",
        "| --- | --- | --- | --- | --- |",
        *lines,
        "",
        f"With unit inputs and PyTorch's random biases, the same $\\sigma_{{\\max}} = "
        f"{SATURATED:g}$ network reaches only {fmt(sat_norms[-1])} at $d = {T}$, against "
        f"{fmt(linear_at_t)} in the near-linear regime: saturated units have "
        "$\\tanh' \\approx 0$ and cut the product.",
        "",
        f"Right panel, $\\sigma_{{\\max}} = {CLIPPED:g}$, $T = {T}$: the global norm is "
        f"{fmt(raw[-1])} before clipping and {fmt(clipped[-1])} after "
        f"(`clip_by_global_norm(grads, {MAX_NORM:g})`). Clipping rescales, it does not turn: "
        f"over all $T$, the cosine between the raw and the clipped gradient differs from 1 by "
        f"at most {fmt(float(np.abs(1 - cosine).max()))}.",
    ]
    (out_dir / "exploding_gradients.md").write_text("\n".join(text) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("."))
