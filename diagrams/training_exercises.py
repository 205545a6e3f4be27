"""Exercises on exploding gradients, clipping, truncation and initialisation, with solutions.

Every number in a solution is computed here: by SymPy where it is a formula, and by the
generated kernels (``gated_ref.bptt``) or ``gated_ref.train.clip_by_global_norm`` where it is
a measurement. Writes ``exercises.md``: the questions, each with a folded solution.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import sympy as sp

import gated_ref as gr
from gated_ref.bptt import jacobian_rows
from gated_ref.train import clip_by_global_norm

SEED = 0
GAIN, STEPS = sp.Rational(3, 2), 20  # exercise 1
NORM, MAX_NORM, LR = 50.0, 5.0, 0.1  # exercise 2
T, K = 100, 10  # exercise 3
SPAN = 50  # exercise 4


def solution(lines: list[str]) -> str:
    """A folded Material admonition holding ``lines``, indented into the list item above."""
    body = "".join(f"        {line}\n" if line else "\n" for line in lines)
    return '    ??? success "Solution"\n\n' + body


def sci(value: float) -> str:
    """A number in LaTeX, three significant digits, times a power of ten when needed."""
    mantissa, exponent = f"{value:.2e}".split("e")
    if -3 <= int(exponent) < 4:
        return f"{value:.3g}"
    return f"{mantissa} \\times 10^{{{int(exponent)}}}"


def scalar_rnn_gradient(gain: float, steps: int) -> float:
    """dh_T/dh_0 of a one-unit tanh RNN with U = gain, zero biases and zero input, measured."""
    kernel = gr.lower(gr.cell("rnn_tanh"))
    params = {
        "weight_ih": np.zeros((1, 1)),
        "weight_hh": np.full((1, 1), gain),
        "bias_ih": np.zeros(1),
        "bias_hh": np.zeros(1),
    }
    rows = jacobian_rows(kernel, params, np.zeros((steps, 1, 1)), np.ones((1, 1)))
    return float(rows["h"][-1, 0, 0])


def main(out_dir: Path) -> None:
    """Write ``exercises.md``."""
    rng = np.random.default_rng(SEED)
    text: list[str] = []

    exact = GAIN**STEPS
    measured = scalar_rnn_gradient(float(GAIN), STEPS)
    text += [
        f"1. A one-unit tanh RNN has $U = {sp.latex(GAIN)}$, zero biases, and reads zeros. "
        f"What is $\\partial h_{{{STEPS}}} / \\partial h_0$? Which values of $U$ make it "
        "vanish, and which make it explode?\n",
        solution(
            [
                "At $h = 0$ every slope $1 - h_t^2$ is 1, so each one-step Jacobian is $U$ and "
                f"$\\partial h_{{{STEPS}}} / \\partial h_0 = U^{{{STEPS}}} = "
                f"{sp.latex(exact)} \\approx {float(exact):.6g}$. The generated backward pass "
                f"(`jacobian_rows`) gives {measured:.6g}. It vanishes for $|U| < 1$ and "
                "explodes for $|U| > 1$; with one unit, the largest singular value and the "
                "spectral radius are both $|U|$, so Pascanu et al.'s necessary condition is "
                "also sufficient here, as long as the state stays near 0.",
            ]
        ),
    ]

    grads = {"a": rng.standard_normal((4, 3)), "b": rng.standard_normal(5)}
    scale = NORM / np.sqrt(sum(float(np.sum(g * g)) for g in grads.values()))
    grads = {k: g * scale for k, g in grads.items()}
    clipped, norm = clip_by_global_norm(grads, MAX_NORM)
    step = LR * np.sqrt(sum(float(np.sum(g * g)) for g in clipped.values()))
    flat = np.concatenate([g.ravel() for g in grads.values()])
    flat_c = np.concatenate([g.ravel() for g in clipped.values()])
    cosine = float(flat @ flat_c / (np.linalg.norm(flat) * np.linalg.norm(flat_c)))
    text += [
        f"2. A gradient has global norm {NORM:g}. You clip it at {MAX_NORM:g} and take an SGD "
        f"step with learning rate {LR:g}. How long is the step, and in which direction? What "
        "would clipping each element to $[-5, 5]$ have done instead?\n",
        solution(
            [
                f"`clip_by_global_norm` measures {norm:.6g} and scales every array by "
                f"{MAX_NORM:g}/{norm:.6g}, so the step has length "
                f"${LR:g} \\times {MAX_NORM:g} = {step:.6g}$ along the same direction as the "
                f"gradient (cosine {cosine:.12f}). Clipping each element separately caps the "
                "large components and leaves the small ones: the step is shorter but turns "
                "toward the small components, and the descent direction is lost.",
            ]
        ),
    ]

    shallow = sum(min(K, t) for t in range(1, T + 1))
    text += [
        f"3. A sequence has $T = {T}$ steps. Count the cell steps the backward passes run "
        f"under TBPTT({K}, {K}) and TBPTT(1, {K}), and give the shortest and longest path a "
        f"loss at some step $t$ is sent back through under TBPTT({K}, {K}).\n",
        solution(
            [
                f"TBPTT({K}, {K}) sends each window of {K} steps back once: {T} backward "
                f"steps, as many as full BPTT, but holding only {K} steps in memory. "
                f"TBPTT(1, {K}) sends the loss of every step back through up to {K} steps: "
                f"$\\sum_{{t=1}}^{{{T}}} \\min({K}, t) = {shallow}$ backward steps. Under "
                f"TBPTT({K}, {K}) a loss on the last step of a window travels {K} steps, one "
                "on the first step only 1: on average the truncation is about half as deep "
                "as $k$, which is why the every-step column of the table cuts more than the "
                "last-step column at the same $k$.",
            ]
        ),
    ]

    b = sp.Symbol("b", real=True)
    f_of = 1 / (1 + sp.exp(-b))
    one, two = (float(f_of.subs(b, v)) for v in (1, 2))
    text += [
        "4. A colleague's code fills the forget block of *every* bias parameter of "
        "`torch.nn.LSTM` with 1. What forget gate does the cell start with at zero input, "
        f"and how does the cell-state path $\\prod f_t$ scale over {SPAN} steps, "
        "compared with an effective bias of exactly 1?\n",
        solution(
            [
                "Both `bias_ih` and `bias_hh` are filled, so the effective bias is "
                f"$b_f = 2$ and $f = \\sigma(2) = {two:.4f}$ instead of "
                f"$\\sigma(1) = {one:.4f}$. Over {SPAN} steps the cell-state path scales by "
                f"$f^{{{SPAN}}}$: ${sci(two**SPAN)}$ against ${sci(one**SPAN)}$, "
                f"a factor of ${sci(two**SPAN / one**SPAN)}$ more gradient along that path.",
            ]
        ),
    ]

    u = sp.Symbol("u", positive=True)
    time = sp.simplify(1 / (1 - f_of.subs(b, sp.log(u))))
    i_gate = sp.simplify(f_of.subs(b, -sp.log(u)))
    coupled = sp.simplify(i_gate - (1 - f_of.subs(b, sp.log(u)))) == 0
    text += [
        "5. Chrono initialisation sets $b_f = \\log u$ with $u \\sim U(1, T_{\\max} - 1)$. "
        "At zero input, a forget gate $f$ keeps a fraction $f$ of the cell state per step: "
        "its characteristic memory is $1 / (1 - f)$ steps. Express it in $u$.\n",
        solution(
            [
                f"SymPy simplifies $1 / (1 - \\sigma(\\log u))$ to ${sp.latex(time)}$. So "
                "$u \\in (1, T_{\\max} - 1)$ spreads the units' memories uniformly over "
                "$(2, T_{\\max})$ steps. With $b_i = -b_f$ the input gate starts at "
                f"$\\sigma(-\\log u) = {sp.latex(i_gate)}$, which SymPy finds "
                f"{'equal' if coupled else 'not equal'} to $1 - f$: each unit writes in as "
                "much as it lets decay.",
            ]
        ),
    ]
    (out_dir / "exercises.md").write_text("\n".join(text), encoding="utf-8")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("."))
