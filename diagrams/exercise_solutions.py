"""Exercise solutions: every number a solution on the cell pages states, computed here.

One snippet per solution, named ``<page>_<exercise>.md`` (``rnn_1.md``, ``lstm_2.md``, ...),
included by the pages inside folded "Solution" blocks. Each is computed with the package's own
specs and generated kernels; ``tests/test_exercise_solutions.py`` checks the numbers against
computations that do not use them (PyTorch float64, plain NumPy loops, finite differences).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import sympy as sp
from gradient_flow import direct_path

import gated_ref as gr
from gated_ref.functions import sigmoid
from gated_ref.spec import CellBuilder

SEED = 0

# ---- vanilla RNN -------------------------------------------------------------------------
#: Exercise rnn 1: H = I = 1, no input and no bias; the recurrent weight u.
RNN1_U = (0.5, 0.9, 1.5, 2.0, 3.0, 5.0)
RNN1_T, RNN1_H0 = 50, 0.5
#: Exercise rnn 2: the setup of diagrams/gradient_decay.py, recurrent weights scaled by 3.
RNN2_T, RNN2_B, RNN2_I, RNN2_H, RNN2_SCALE = 100, 16, 32, 64, 3.0


def stable_fixed_point(u: float) -> float:
    """The non-negative stable fixed point of h -> tanh(u h): 0 for |u| <= 1, else h* > 0."""
    if abs(u) <= 1:
        return 0.0
    h = 1.0
    for _ in range(10_000):  # h -> tanh(u h) converges monotonically from 1 for u > 1
        h = float(np.tanh(u * h))
    return h


def rnn1_data() -> list[dict[str, float]]:
    """Per u: h*, the one-step factor u (1 - h*^2) there, and dh_T/dh_0 from the kernel."""
    kernel = gr.lower(gr.cell("rnn_tanh"))
    rows = []
    for u in RNN1_U:
        params = {
            "weight_ih": np.zeros((1, 1)),
            "weight_hh": np.array([[u]]),
            "bias_ih": np.zeros(1),
            "bias_hh": np.zeros(1),
        }
        x = np.zeros((RNN1_T, 1, 1))
        y, _, cache = kernel.forward(x, params, {"h": np.full((1, 1), RNN1_H0)})
        grads = kernel.backward(np.zeros_like(y), cache, {"h": np.ones((1, 1))})
        h_star = stable_fixed_point(u)
        rows.append(
            {
                "u": u,
                "h_star": h_star,
                "factor": u * (1 - h_star**2),
                "dhT_dh0": float(grads["h"][0, 0]),
            }
        )
    return rows


def rnn1_md() -> str:
    """The table of exercise rnn 1."""
    lines = [
        f"| $u$ | stable fixed point $h^*$ | factor $u(1 - h^{{*2}})$ at $h^*$ "
        f"| $\\partial h_T / \\partial h_0$, $T = {RNN1_T}$, $h_0 = {RNN1_H0:g}$ |",
        "| ---: | ---: | ---: | ---: |",
    ]
    for r in rnn1_data():
        lines.append(f"| {r['u']:g} | {r['h_star']:.4f} | {r['factor']:.4f} | {r['dhT_dh0']:.2e} |")
    return "\n".join(lines) + "\n"


def rnn2_data() -> dict[str, dict[str, float]]:
    """Gradient norms at both ends of the sequence, PyTorch's init and its U scaled by 3."""
    rng = np.random.default_rng(SEED)  # as diagrams/gradient_decay.py draws for the RNN
    kernel = gr.lower(gr.cell("rnn_tanh"))
    params = kernel.init_params(RNN2_I, RNN2_H, rng=rng)
    x = rng.standard_normal((RNN2_T, RNN2_B, RNN2_I))
    w = rng.standard_normal((RNN2_B, RNN2_H))
    out = {}
    for label, scale in (("1", 1.0), ("3", RNN2_SCALE)):
        p = dict(params, weight_hh=params["weight_hh"] * scale)
        y, _, cache = kernel.forward(x, p)
        dy = np.zeros_like(y)
        dy[-1] = w
        norms = np.linalg.norm(kernel.backward(dy, cache)["x"], axis=2).mean(axis=1)
        out[label] = {
            "rho": float(np.max(np.abs(np.linalg.eigvals(p["weight_hh"])))),
            "sigma_max": float(np.linalg.norm(p["weight_hh"], 2)),
            "last": float(norms[-1]),
            "first": float(norms[0]),
            "slope": float((1 - cache["S_h"][1:] ** 2).mean()),
            "saturated": float((np.abs(cache["S_h"][1:]) > 0.99).mean()),
        }
    return out


def rnn2_md() -> str:
    """The table of exercise rnn 2."""
    d = rnn2_data()
    lines = [
        "| $U$ | spectral radius | $\\sigma_{\\max}$ | $\\|\\partial L / \\partial x_T\\|$ "
        f"| $\\|\\partial L / \\partial x_{{1}}\\|$ ($T - t = {RNN2_T - 1}$) | mean $\\tanh'$ "
        "| share of $|h| > 0.99$ |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for label, r in d.items():
        name = "PyTorch's initialisation" if label == "1" else f"scaled by {RNN2_SCALE:g}"
        lines.append(
            f"| {name} | {r['rho']:.2f} | {r['sigma_max']:.2f} | {r['last']:.2e} "
            f"| {r['first']:.2e} | {r['slope']:.2f} | {r['saturated']:.0%} |"
        )
    ratio = {k: r["first"] / r["last"] for k, r in d.items()}
    verdict = {True: "grows with the distance (explodes)", False: "shrinks with the distance"}
    note = (
        "\n*$L = \\sum w \\odot h_T$ as in `diagrams/gradient_decay.py`, mean over "
        f"{RNN2_B} sequences. At PyTorch's initialisation the gradient at the first input is "
        f"{ratio['1']:.1e} times the one at the last: it {verdict[ratio['1'] > 1]}. Scaled by "
        f"{RNN2_SCALE:g}: {ratio['3']:.1e} times; it {verdict[ratio['3'] > 1]}.*\n"
    )
    return "\n".join(lines).replace("%", "\\%") + "\n" + note


# ---- LSTM --------------------------------------------------------------------------------
LSTM_I, LSTM_H, LSTM_T, LSTM_B = 8, 16, 20, 4
#: Exercise lstm 2: the setup of diagrams/gradient_flow.py's LSTM figure.
FORGET_T, FORGET_B, FORGET_I, FORGET_H = 100, 16, 32, 64
FORGET_DISTANCES = (10, 50)


def lstm1_data() -> dict[str, float]:
    """Folding bias_hh into bias_ih: the change in y, and how far the two bias gradients differ."""
    kernel = gr.lower(gr.cell("lstm"))
    rng = np.random.default_rng(SEED)
    params = kernel.init_params(LSTM_I, LSTM_H, rng=rng)
    x = rng.standard_normal((LSTM_T, LSTM_B, LSTM_I))
    y, _, cache = kernel.forward(x, params)
    dy = rng.standard_normal(y.shape)
    grads = kernel.backward(dy, cache)
    folded = dict(
        params,
        bias_ih=params["bias_ih"] + params["bias_hh"],
        bias_hh=np.zeros_like(params["bias_hh"]),
    )
    y_folded, _, _ = kernel.forward(x, folded)
    return {
        "hidden": LSTM_H,
        "redundant": int(params["bias_hh"].size),
        "dy_max": float(np.abs(y - y_folded).max()),
        "grad_diff": float(np.abs(grads["bias_ih"] - grads["bias_hh"]).max()),
    }


def lstm1_md() -> str:
    """The sentence of exercise lstm 1."""
    d = lstm1_data()
    return (
        f"Measured on the generated `lstm` kernel ($H = {d['hidden']}$): moving `bias_hh` into "
        f"`bias_ih` and zeroing it changes the outputs by at most {d['dy_max']:.2g}; the "
        "gradients with respect to `bias_ih` and `bias_hh` differ by at most "
        f"{d['grad_diff']:.2g}. One of the two vectors, {d['redundant']} numbers ($4H$) per "
        "layer, is redundant.\n"
    )


def forget_gate_data() -> dict[str, dict[str, float]]:
    """Mean forget gate and mean product of forget gates, PyTorch's init and b_f = 1."""
    spec = gr.cell("lstm")
    kernel = gr.lower(spec)
    rng = np.random.default_rng(SEED)
    params = kernel.init_params(FORGET_I, FORGET_H, rng=rng)
    x = rng.standard_normal((FORGET_T, FORGET_B, FORGET_I))
    f_rows = slice(FORGET_H, 2 * FORGET_H)  # block f of i, f, g, o
    one = {k: v.copy() for k, v in params.items()}
    one["bias_ih"][f_rows], one["bias_hh"][f_rows] = 1.0, 0.0
    out = {}
    for label, p in (("default", params), ("one", one)):
        _, _, cache = kernel.forward(x, p)
        f = direct_path(spec, cache)  # (T, B, H): the diagonal of the direct term of dc/dc
        row = {"f": float(f.mean()), "b_f": float((p["bias_ih"] + p["bias_hh"])[f_rows].mean())}
        for d in FORGET_DISTANCES:
            row[f"prod{d}"] = float(np.prod(f[FORGET_T - d :], axis=0).mean())
        out[label] = row
    return out


def lstm2_md() -> str:
    """The table of exercise lstm 2."""
    d = forget_gate_data()
    heads = " | ".join(f"mean $\\prod f$ over {n} steps" for n in FORGET_DISTANCES)
    lines = [
        f"| forget-gate bias $b_f$ | mean $b_f$ | mean $f_t$ | {heads} |",
        "| --- | ---: | ---: |" + " ---: |" * len(FORGET_DISTANCES),
    ]
    names = {"default": "PyTorch's initialisation", "one": "set to 1"}
    for label, r in d.items():
        prods = " | ".join(f"{r[f'prod{n}']:.1e}" for n in FORGET_DISTANCES)
        lines.append(f"| {names[label]} | {r['b_f']:.2f} | {r['f']:.3f} | {prods} |")
    note = (
        f"\n*Generated `lstm` kernel, $I = {FORGET_I}$, $H = {FORGET_H}$, {FORGET_B} random "
        f"sequences of $T = {FORGET_T}$; the product is that of the diagonal of the direct "
        "term $\\operatorname{diag}(f_t)$ of $\\partial c_t / \\partial c_{t-1}$ over the last "
        "steps, averaged over units and sequences.*\n"
    )
    return "\n".join(lines) + "\n" + note


# ---- GRU ---------------------------------------------------------------------------------
GRU_I, GRU_H, GRU_T, GRU_B = 8, 16, 20, 4
RESET_BIAS = 1000.0  # sigma(1000) is exactly 1 in float64: r_t = 1


def candidate_at_reset_one(spec: gr.CellSpec) -> sp.Expr:
    """The candidate n_t of a GRU spec with r_t = 1, affine maps written out (U_n as a map)."""
    nodes = {n.symbol.name: n for n in spec.nodes}
    r, h = nodes["r"].symbol, spec.prev["h"]
    gate = "n"
    source = spec.hidden_source[gate]
    source_expr = nodes[source.name].rhs if source.name in nodes else source
    x = sp.Symbol("x_t")
    ax = sp.Function("W_n")(x) + sp.Symbol("b^x_n")
    ah = sp.Function("U_n")(source_expr) + sp.Symbol("b^h_n")
    rhs = nodes[gate].rhs.xreplace({spec.input_affine[gate]: ax, spec.hidden_affine[gate]: ah})
    return rhs.subs(r, 1).subs(h, sp.Symbol("h_{t-1}"))


def gru1_data() -> dict[str, object]:
    """Symbolic and numeric agreement of the two forms at r_t = 1, and their gap otherwise."""
    after, before = gr.cell("gru"), gr.cell("gru_reset_before")
    n_after, n_before = candidate_at_reset_one(after), candidate_at_reset_one(before)
    r_elsewhere = [
        n.symbol.name
        for spec in (after, before)
        for n in spec.nodes
        if n.symbol.name not in ("n", "rh") and any(m.name == "r" for m in n.rhs.free_symbols)
    ]
    rng = np.random.default_rng(SEED)
    ka, kb = gr.lower(after), gr.lower(before)
    params = ka.init_params(GRU_I, GRU_H, rng=rng)
    x = rng.standard_normal((GRU_T, GRU_B, GRU_I))
    forced = {k: v.copy() for k, v in params.items()}
    forced["bias_ih"][:GRU_H] = RESET_BIAS  # block r of r, z, n
    gap = {}
    for label, p in (("r = 1", forced), ("free", params)):
        gap[label] = float(np.abs(ka.forward(x, p)[0] - kb.forward(x, p)[0]).max())
    return {
        "n_after": n_after,
        "n_before": n_before,
        "equal": sp.simplify(n_after - n_before) == 0,
        "r_elsewhere": r_elsewhere,
        "gap": gap,
    }


def gru1_md() -> str:
    """The snippet of exercise gru 1."""
    d = gru1_data()
    return (
        "With $r_t = 1$ substituted into each cell's own equation for $n_t$ (affine maps written "
        "out, $U_n$ as a linear map), SymPy gives\n\n"
        f"$$n_t^{{\\text{{after}}}} = {sp.latex(d['n_after'])}, \\qquad "
        f"n_t^{{\\text{{before}}}} = {sp.latex(d['n_before'])},$$\n\n"
        f"and their difference simplifies to zero: {d['equal']}. Equations other than $n_t$ "
        f"that read $r_t$: {', '.join(d['r_elsewhere']) or 'none'}. "
        "Numerically, the generated kernels with the same parameters ($H = "
        f"{GRU_H}$, $T = {GRU_T}$) and the reset gate's bias set to {RESET_BIAS:g}, so that "
        f"$r_t = 1$ exactly, differ by at most {d['gap']['r = 1']:.1e}; with the reset gate "
        f"left free, by {d['gap']['free']:.2f}.\n"
    )


def gru2_data() -> dict[str, float]:
    """``gru`` (torch.nn.GRU's function) and ``gru_reset_before`` on the same parameters."""
    rng = np.random.default_rng(SEED)
    ka, kb = gr.lower(gr.cell("gru")), gr.lower(gr.cell("gru_reset_before"))
    params = ka.init_params(GRU_I, GRU_H, rng=rng)
    x = rng.standard_normal((GRU_T, GRU_B, GRU_I))
    ya, yb = ka.forward(x, params)[0], kb.forward(x, params)[0]
    return {
        "max_abs": float(np.abs(ya - yb).max()),
        "rel": float(np.linalg.norm(ya - yb) / np.linalg.norm(ya)),
    }


def gru2_md() -> str:
    """The sentence of exercise gru 2."""
    d = gru2_data()
    return (
        f"On PyTorch-initialised weights ($I = {GRU_I}$, $H = {GRU_H}$, $T = {GRU_T}$, "
        f"{GRU_B} random sequences) the outputs of `gru_reset_before` differ from those of "
        f"`gru`, which are `torch.nn.GRU`'s, by up to {d['max_abs']:.2f} (relative error "
        f"{d['rel']:.0%} in norm).\n"
    ).replace("%", "\\%")


# ---- variants: a minimal gated unit ------------------------------------------------------
MGU_SOURCE = '''\
"""Minimal gated unit (Zhou et al. 2016): one gate f, which both resets and updates."""

import sympy as sp

from ..functions import sigmoid
from ..spec import CellBuilder, CellSpec


def build() -> CellSpec:
    """f = sigma(W_f x + U_f h + b_f); n = tanh(W_n x + U_n (f * h) + b_n); h' = (1 - f) h + f n."""
    cell = CellBuilder(
        "mgu",
        title="Minimal gated unit",
        reference="Zhou et al. (2016)",
        states=("h",),
        gates=("f", "n"),
    )
    h_prev = cell.state("h")
    f = cell.node("f", sigmoid(cell.ax("f") + cell.ah("f")))
    fh = cell.node("fh", f * h_prev, inline=True)
    n = cell.node("n", sp.tanh(cell.ax("n") + cell.ah("n", source=fh)))
    cell.node("h", (1 - f) * h_prev + f * n)
    return cell.build()
'''
MGU_I, MGU_H, MGU_T, MGU_B = 3, 4, 5, 2
FD_STEP = 1e-6


def mgu_spec() -> gr.CellSpec:
    """The cell of :data:`MGU_SOURCE`, built from that text (its relative imports resolved)."""
    text = MGU_SOURCE.replace("from ..functions import sigmoid\n", "").replace(
        "from ..spec import CellBuilder, CellSpec\n", ""
    )
    namespace = {"sigmoid": sigmoid, "CellBuilder": CellBuilder, "CellSpec": gr.CellSpec}
    exec(compile(text, "mgu.py", "exec"), namespace)  # noqa: S102 - our own constant
    return namespace["build"]()


def mgu_data() -> dict[str, object]:
    """Parameter count, equations, and the kernel's gradient against central differences."""
    spec = mgu_spec()
    kernel = gr.lower(spec)
    rng = np.random.default_rng(SEED)
    params = kernel.init_params(MGU_I, MGU_H, rng=rng)
    x = rng.standard_normal((MGU_T, MGU_B, MGU_I))
    dy = rng.standard_normal((MGU_T, MGU_B, MGU_H))

    def loss(p: dict, xs: np.ndarray) -> float:
        return float((kernel.forward(xs, p)[0] * dy).sum())

    _, _, cache = kernel.forward(x, params)
    grads = kernel.backward(dy, cache)
    worst = 0.0
    for key in (*params, "x"):
        value = x if key == "x" else params[key]
        numeric = np.zeros_like(value)
        for idx in np.ndindex(value.shape):
            plus, minus = value.copy(), value.copy()
            plus[idx] += FD_STEP
            minus[idx] -= FD_STEP
            if key == "x":
                numeric[idx] = (loss(params, plus) - loss(params, minus)) / (2 * FD_STEP)
            else:
                up, down = dict(params, **{key: plus}), dict(params, **{key: minus})
                numeric[idx] = (loss(up, x) - loss(down, x)) / (2 * FD_STEP)
        err = np.linalg.norm(grads[key] - numeric) / np.linalg.norm(numeric)
        worst = max(worst, float(err))
    i, h = sp.symbols("I H", positive=True, integer=True)
    return {
        "spec": spec,
        "count": spec.parameter_count(),
        "gru_count": gr.cell("gru").parameter_count(),
        "fd_error": worst,
        "symbols": (i, h),
    }


def mgu_md() -> str:
    """The snippet of exercise variants 2: the module, its equations, its checks."""
    d = mgu_data()
    spec = d["spec"]
    shipped = ""
    if "mgu" in gr.CELL_NAMES:
        same = "the same equations" if spec.latex() == gr.cell("mgu").latex() else "other equations"
        shipped = (
            f" gated-ref ships this cell as `mgu` ([its page](gr-site:cells/zoo/mgu/)), with "
            f"{same}."
        )
    return (
        "Save it as `gated_ref/cells/mgu.py`, and that is all: the package finds every module "
        "of `gated_ref/cells/` that defines `build()` (`gr.CELL_NAMES`), and the site gives "
        f"it a page, an equation sheet and a row in the table of every cell.{shipped}\n\n"
        f"``` python\n{MGU_SOURCE}```\n\n"
        "The equations SymPy prints from it:\n\n"
        f"$$\n{spec.latex()}\n$$\n\n"
        f"Parameters: ${sp.latex(d['count'])}$, against the GRU's "
        f"${sp.latex(d['gru_count'])}$. Its generated kernel's gradients, every parameter and "
        f"the input, agree with central finite differences (step {FD_STEP:g}, $I = {MGU_I}$, "
        f"$H = {MGU_H}$, $T = {MGU_T}$) to a relative error of {d['fd_error']:.1e}.\n"
    )


SNIPPETS = {
    "rnn_1": rnn1_md,
    "rnn_2": rnn2_md,
    "lstm_1": lstm1_md,
    "lstm_2": lstm2_md,
    "gru_1": gru1_md,
    "gru_2": gru2_md,
    "variants_2": mgu_md,
}


def main(out_dir: Path) -> None:
    """Write one ``<page>_<exercise>.md`` per computed solution."""
    for name, make in SNIPPETS.items():
        (out_dir / f"{name}.md").write_text(make(), encoding="utf-8")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("."))
