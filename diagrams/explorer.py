"""Cell explorer assets: generated JavaScript cells, trained presets, equation snippets.

Writes what ``docs/explorer.md`` loads:

- ``explorer-cells.js``: every cell's step function, printed from its SymPy equations by
  :mod:`gated_ref.javascript` (sets ``window.gatedRef``);
- ``presets.js``: weights of every cell trained here, with gated_ref's own kernels and Adam, on
  a tiny character task (the bracket depth of a string such as ``(a(b)c)``), as
  ``window.gatedRefPresets``, with each cell's sizes (H = I for a cell that uses x_t
  elementwise); JSON is not published by the site, a script is;
- ``equations.md``: each cell's equations in LaTeX, one block per node, included as a snippet.
"""

from __future__ import annotations

import html
import json
import sys
import time
from pathlib import Path

import numpy as np
import sympy as sp
from sympy.printing.precedence import precedence

import gated_ref as gr
from gated_ref.javascript import _TemplatePrinter, javascript_bundle
from gated_ref.spec import CellSpec
from gated_ref.train import Adam, clip_by_global_norm, softmax_cross_entropy

SEED = 0
ALPHABET = "()abc"  # every other character is one more input: "other"
MAX_DEPTH = 3
HIDDEN = 4
STEPS, BATCH, LENGTH = 150, 32, 20
EXAMPLE = "(a(b)c)((a))b"
DIGITS = 4  # significant digits of the published presets


def encode(text: str) -> np.ndarray:
    """One-hot (T, I) inputs of ``text``; I = len(ALPHABET) + 1."""
    x = np.zeros((len(text), len(ALPHABET) + 1))
    for t, ch in enumerate(text):
        k = ALPHABET.find(ch)
        x[t, k if k >= 0 else len(ALPHABET)] = 1.0
    return x


def depths(text: str) -> list[int]:
    """The nesting depth after each character (the task's labels)."""
    out, d = [], 0
    for ch in text:
        d += (ch == "(") - (ch == ")")
        out.append(min(max(d, 0), MAX_DEPTH))
    return out


def sample(rng: np.random.Generator, length: int) -> str:
    """A random string of brackets (never deeper than MAX_DEPTH, never below 0) and letters."""
    chars, d = [], 0
    for _ in range(length):
        u = rng.random()
        if u < 0.3 and d < MAX_DEPTH:
            chars.append("(")
            d += 1
        elif u < 0.6 and d > 0:
            chars.append(")")
            d -= 1
        else:
            chars.append(str(rng.choice(list("abcxyz "))))
    return "".join(chars)


def batch(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """x (T, B, I) and labels (T, B)."""
    texts = [sample(rng, LENGTH) for _ in range(BATCH)]
    x = np.stack([encode(s) for s in texts], axis=1)
    labels = np.array([depths(s) for s in texts]).T
    return x, labels


def sizes_for(name: str) -> dict[str, int]:
    """The preset's sizes: I from the alphabet, H = HIDDEN, or H = I for a cell that adds x_t
    to an H-vector elementwise; an extra size (the projection's P) is half of H."""
    spec = gr.cell(name)
    n_in = len(ALPHABET) + 1
    hidden = n_in if spec.input_symbol is not None else HIDDEN
    return {"input_size": n_in, "hidden_size": hidden} | {s: hidden // 2 for s in spec.sizes}


def train(name: str, rng: np.random.Generator) -> dict[str, object]:
    """Train one cell plus a linear readout; return its parameters (rounded, as published) and
    the held-out accuracy of those rounded parameters."""
    kernel = gr.lower(gr.cell(name))
    sizes = sizes_for(name)
    params = kernel.init_params(**sizes, rng=rng)
    spec = kernel.spec
    out_size = spec.size_of(
        spec.out["h"], sizes["hidden_size"], **{s: sizes[s] for s in spec.sizes}
    )
    readout = {
        "weight": rng.uniform(-0.5, 0.5, (MAX_DEPTH + 1, out_size)),
        "bias": np.zeros(MAX_DEPTH + 1),
    }
    everything = params | {f"readout_{k}": v for k, v in readout.items()}
    opt = Adam(everything, lr=0.05)
    for _ in range(STEPS):
        x, labels = batch(rng)
        y, _, cache = kernel.forward(x, params)
        loss, dy, dread = softmax_cross_entropy(y, labels, readout["weight"], readout["bias"])
        grads = kernel.backward(dy, cache)
        grads = {k: grads[k] for k in params} | {f"readout_{k}": v for k, v in dread.items()}
        grads, _ = clip_by_global_norm(grads, 1.0)
        opt.step(grads)
    params = {k: _rounded(v) for k, v in params.items()}
    readout = {k: _rounded(v) for k, v in readout.items()}
    x, labels = batch(np.random.default_rng(SEED + 1))
    y, _, _ = kernel.forward(x, params)
    loss, _, _ = softmax_cross_entropy(y, labels, readout["weight"], readout["bias"])
    pred = (y @ readout["weight"].T + readout["bias"]).argmax(axis=-1)
    return {
        "params": {k: v.tolist() for k, v in params.items()},
        "readout": {k: v.tolist() for k, v in readout.items()},
        "sizes": sizes,
        "accuracy": round(float((pred == labels).mean()), 4),
        "loss": round(loss, 4),
    }


def _rounded(a: np.ndarray) -> np.ndarray:
    """DIGITS significant digits: presets are examples, not a checkpoint (and are downloaded)."""
    return np.vectorize(lambda v: float(f"{v:.{DIGITS}g}"), otypes=[float])(a)


class DisplayOrderTemplate(_TemplatePrinter):
    """A node's numbers template (see :func:`gated_ref.javascript._template`) with its terms
    and factors in the order the node's LaTeX prints them (``f_t ⊙ c_{t-1}``, ``W x`` before
    ``U h``): each term goes where its own LaTeX first occurs in the whole expression's."""

    def __init__(self, spec: CellSpec) -> None:
        super().__init__({"order": "none"})
        self.spec = spec

    def _tex(self, expr: sp.Expr) -> str:
        return self.spec.latex_of(self.spec.to_display(expr))

    def _in_display_order(self, args: tuple[sp.Expr, ...], whole: sp.Expr) -> list[sp.Expr]:
        text = self._tex(whole)

        def place(arg: sp.Expr) -> int:
            shown = self.spec.to_display(arg)
            parts = shown.args if shown.is_Add else (shown,)
            found = [p for p in (text.find(self.spec.latex_of(t)) for t in parts) if p >= 0]
            return min(found, default=len(text))  # not found: after the rest, in sympy's order

        return sorted(args, key=place)

    def _as_ordered_terms(self, expr: sp.Expr, order: str | None = None) -> list[sp.Expr]:
        return self._in_display_order(expr.args, expr)

    def _print_Mul(self, expr: sp.Mul) -> str:
        coeff, factors = expr.as_coeff_mul()
        if coeff != 1 or len(factors) < 2:
            return super()._print_Mul(expr)
        ordered = self._in_display_order(factors, expr)
        return " · ".join(self.parenthesize(f, precedence(expr)) for f in ordered)


def numbers_template(spec: CellSpec, name: str) -> str:
    """The template of node ``name`` for the page's "numbers at this step" line, in the order of
    the node's equation; a projection keeps :func:`gated_ref.javascript.cell_metadata`'s."""
    node = next(n for n in spec.nodes if n.symbol.name == name)
    if node.projection is not None:
        return ""
    return DisplayOrderTemplate(spec).doprint(node.rhs)


def equations_snippet() -> str:
    """Raw HTML: per cell, per displayed node, the LaTeX line and a slot for its numbers (with
    the node's numbers template in the equation's term order, ``data-template``)."""
    out = ['<div class="gr-equations" id="gr-equations">']
    for name in gr.CELL_NAMES:
        spec = gr.cell(name)
        shown = [n for n in spec.nodes if not n.inline]
        out.append(f'<div class="gr-eq-cell" data-cell="{name}" hidden>')
        for node, eq, eid in zip(shown, spec.equations, spec.equation_ids, strict=True):
            tex = spec.latex_of(eq.lhs) + " = " + spec.latex_of(eq.rhs)
            sym = node.symbol.name
            template = html.escape(numbers_template(spec, sym), quote=True)
            out.append(
                f'<div class="gr-eq" data-node="{sym}" id="explorer-{eid}">'
                f'<div class="arithmatex">\\[{html.escape(tex, quote=False)}\\]</div>'
                f'<div class="gr-eq-num" data-node="{sym}" data-template="{template}"></div></div>'
            )
        out.append("</div>")
    out.append("</div>")
    return "\n".join(out) + "\n"


def main(out_dir: Path) -> None:
    """Write ``explorer-cells.js``, ``presets.js`` and ``equations.md`` into ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "explorer-cells.js").write_text(javascript_bundle(gr.CELL_NAMES), encoding="utf-8")
    rng = np.random.default_rng(SEED)
    start = time.perf_counter()
    cells = {name: train(name, rng) for name in gr.CELL_NAMES}
    print(f"trained {len(cells)} presets in {time.perf_counter() - start:.1f} s")
    presets = {
        "task": {
            "description": "bracket depth after each character, 0 to %d" % MAX_DEPTH,
            "alphabet": ALPHABET,
            "inputSize": len(ALPHABET) + 1,
            "hiddenSize": HIDDEN,
            "digits": DIGITS,
            "classes": MAX_DEPTH + 1,
            "example": EXAMPLE,
            "steps": STEPS,
            "batch": BATCH,
            "length": LENGTH,
            "seed": SEED,
        },
        "cells": cells,
    }
    text = json.dumps(presets, sort_keys=True, separators=(",", ":"))
    (out_dir / "presets.js").write_text(
        "// Generated by diagrams/explorer.py: presets trained at build time, do not edit.\n"
        f"window.gatedRefPresets = {text};\n",
        encoding="utf-8",
    )
    (out_dir / "equations.md").write_text(equations_snippet(), encoding="utf-8")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("."))
