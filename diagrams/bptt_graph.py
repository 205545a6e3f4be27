"""Backpropagation through time, unrolled: three steps of the LSTM and where the adjoints flow.

The graph is built from the cell, not drawn by hand: one circle per displayed node of each
step (``spec.nodes``), plus the input x_t, the loss term l_t (which reads y_t = h_t) and the
initial states. A grey arrow joins a node to every node whose equation reads it (the free
symbols of its right-hand side; an affine pre-activation counts as a read of its source, x_t or
h_{t-1}). Coloured dashed arrows are the adjoints: for each state, one arrow back from each of
its readers, as ``gated_ref.steps.walk`` finds them (for the LSTM's cell state: h_t in its own
step and c_{t+1} in the next, the two paths).

The SVG is written as text, coordinates rounded to 0.1 px: the same bytes on every run.
Writes ``lstm.svg`` (light), ``lstm-dark.svg`` (the dark scheme) and the caption, ``lstm.md``.
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

import sympy as sp
from _style import LIGHT, MAX_WIDTH, Scheme, write_svgs

import gated_ref as gr
from gated_ref.steps import walk

SEED = 0  # nothing random here
CELL, STEPS = "lstm", 3
WIDTH = round(MAX_WIDTH * 96)  # px, at 96 px per inch
STEP_W, FIRST_X, RADIUS = 190, 95, 14
ROW_Y = {"loss": 42, 3: 100, 2: 170, 1: 240, "x": 300}  # rows of the layout, by level
HEIGHT = 392


def adjoint_colours(scheme: Scheme) -> dict[str, str]:
    """The colour of each state's adjoint arrows: the scheme's first two palette colours."""
    return {"c": scheme.palette[0], "h": scheme.palette[1]}


#: The light rendering's forward-arrow and adjoint colours.
GREY, ADJOINT = LIGHT.muted, adjoint_colours(LIGHT)


def structure(spec: gr.CellSpec) -> tuple[dict[str, int], dict[str, set[str]]]:
    """Level of each displayed node (1 + the deepest node of its own step it reads) and, for
    each, what it reads: node names, ``x``, or ``prev:<state>``."""
    inline = {n.symbol: n for n in spec.nodes if n.inline}
    affine_source = {spec.input_affine[g]: "x" for g in spec.gates}
    for g in spec.gates:
        src = spec.hidden_source[g]
        affine_source[spec.hidden_affine[g]] = src
    prev = {v: f"prev:{k}" for k, v in spec.prev.items()}

    def reads(expr: sp.Expr) -> set[str]:
        out: set[str] = set()
        for s in expr.free_symbols:
            s = affine_source.get(s, s)
            if s == "x":
                out.add("x")
            elif s in prev:
                out.add(prev[s])
            elif s in inline:
                out |= reads(inline[s].rhs)
            elif any(s == n.symbol for n in spec.nodes):
                out.add(s.name)
        return out

    deps = {n.symbol.name: reads(n.rhs) for n in spec.nodes if not n.inline}
    level: dict[str, int] = {}
    for name, needs in deps.items():  # declaration order: a node's inputs come first
        level[name] = 1 + max((level[d] for d in needs if d in level), default=0)
    return level, deps


def positions(
    spec: gr.CellSpec, level: dict[str, int]
) -> dict[tuple[str, int], tuple[float, float]]:
    """Centre of every circle: (name, step) -> (x, y); step 0 holds the initial states."""
    top = max(level.values())
    row = {lv: ROW_Y[min(3, max(1, 3 - top + lv))] for lv in set(level.values())}
    pos: dict[tuple[str, int], tuple[float, float]] = {}
    for t in range(1, STEPS + 1):
        cx = FIRST_X + (t - 1) * STEP_W + STEP_W / 2
        by_row: dict[int, list[str]] = {}
        for name, lv in level.items():
            by_row.setdefault(lv, []).append(name)
        for lv, names in by_row.items():
            for k, name in enumerate(names):
                pos[(name, t)] = (cx + (k - (len(names) - 1) / 2) * 42, row[lv])
        pos[("x", t)] = (cx, ROW_Y["x"])
        pos[("loss", t)] = (pos[(spec.out["h"].name, t)][0], ROW_Y["loss"])
    for s in spec.states:
        pos[(spec.out[s].name, 0)] = (FIRST_X / 2, pos[(spec.out[s].name, 1)][1])
    return pos


def label(name: str, t: int) -> str:
    """SVG text of a node's name with its step as a subscript."""
    base = {"loss": "ℓ", "x": "x"}.get(name, name)
    return f'{base}<tspan dy="3" font-size="8">{t}</tspan>'


def edge(a: tuple[float, float], b: tuple[float, float], shift: float = 0.0) -> tuple:
    """The segment from circle a to circle b, cut at both rims, moved sideways by ``shift``."""
    dx, dy = b[0] - a[0], b[1] - a[1]
    length = math.hypot(dx, dy)
    ux, uy = dx / length, dy / length
    nx, ny = -uy * shift, ux * shift
    start = (a[0] + ux * RADIUS + nx, a[1] + uy * RADIUS + ny)
    end = (b[0] - ux * (RADIUS + 2) + nx, b[1] - uy * (RADIUS + 2) + ny)
    return start, end


def f(v: float) -> str:
    """A coordinate, rounded: the bytes do not depend on float noise."""
    return f"{v:.1f}".rstrip("0").rstrip(".")


def line(a: tuple, b: tuple, color: str, marker: str, dash: str = "") -> str:
    extra = f' stroke-dasharray="{dash}"' if dash else ""
    return (
        f'<line x1="{f(a[0])}" y1="{f(a[1])}" x2="{f(b[0])}" y2="{f(b[1])}" stroke="{color}" '
        f'stroke-width="{1.6 if dash else 1}"{extra} marker-end="url(#{marker})"/>'
    )


def svg(spec: gr.CellSpec, scheme: Scheme = LIGHT) -> str:
    """The whole figure (see the module docstring), in the colours of ``scheme``."""
    grey, adjoint, fills = scheme.muted, adjoint_colours(scheme), scheme.fills
    level, deps = structure(spec)
    pos = positions(spec, level)
    state_of = {spec.out[s].name: s for s in spec.states}
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" font-family="sans-serif" font-size="12" '
        f'fill="{scheme.text}">',
        f"<title>{spec.title}: {STEPS} steps of backpropagation through time</title>",
        "<defs>",
    ]
    for marker, color in (("fwd", grey), *((f"adj-{s}", c) for s, c in adjoint.items())):
        out.append(
            f'<marker id="{marker}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" '
            f'markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" '
            f'fill="{color}"/></marker>'
        )
    out += ["</defs>", f'<rect width="{WIDTH}" height="{HEIGHT}" fill="{scheme.background}"/>']
    for t in range(1, STEPS + 1):  # step columns
        x0 = FIRST_X + (t - 1) * STEP_W
        out.append(
            f'<rect x="{x0 + 4}" y="62" width="{STEP_W - 8}" height="262" rx="8" '
            f'fill="{fills["panel"]}"/>'
        )
        out.append(f'<text x="{x0 + 12}" y="80" fill="{scheme.muted}">step {t}</text>')
    lines: list[str] = []
    for t in range(1, STEPS + 1):  # forward edges
        for name, needs in deps.items():
            for d in sorted(needs):
                if d == "x":
                    src = ("x", t)
                elif d.startswith("prev:"):
                    src = (spec.out[d[5:]].name, t - 1)
                else:
                    src = (d, t)
                lines.append(line(*edge(pos[src], pos[(name, t)]), grey, "fwd"))
        h = spec.out["h"].name
        lines.append(line(*edge(pos[(h, t)], pos[("loss", t)]), grey, "fwd"))
    gate_node = {}  # the node that holds a gate's recurrent pre-activation
    for g in spec.gates:
        for n in spec.nodes:
            if spec.hidden_affine[g] in n.rhs.free_symbols and not n.inline:
                gate_node[g] = n.symbol.name
    for s in spec.states:  # adjoints: back from every reader of s_t
        w = walk(spec, s)
        here = spec.out[s].name
        for t in range(0, STEPS + 1):
            targets = []
            if s == "h" and t >= 1:
                targets.append(("loss", t))
            for r in w.readers:
                step = t + 1 if r.later else t
                if not 1 <= step <= STEPS:
                    continue
                node = gate_node[r.name[2:]] if r.affine else r.name
                targets.append((node, step))
            for reader in targets:
                a, b = edge(pos[reader], pos[(here, t)], shift=4)
                lines.append(line(a, b, adjoint[s], f"adj-{s}", dash="4 3"))
    out += lines
    for (name, t), (x, y) in sorted(pos.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        kind = (
            "x"
            if name == "x"
            else "loss"
            if name == "loss"
            else ("state" if name in state_of else "node")
        )
        out.append(
            f'<circle cx="{f(x)}" cy="{f(y)}" r="{RADIUS}" fill="{fills[kind]}" '
            f'stroke="{fills["edge"]}"/>'
        )
        out.append(
            f'<text x="{f(x - 1)}" y="{f(y + 4)}" text-anchor="middle">{label(name, t)}</text>'
        )
    out += legend(spec, scheme)
    out.append("</svg>")
    return "\n".join(out) + "\n"


def legend(spec: gr.CellSpec, scheme: Scheme = LIGHT) -> list[str]:
    """Three lines under the graph; the readers named are the walk's."""
    adjoint = adjoint_colours(scheme)
    items = [(scheme.muted, "", "forward: a value goes to each node that reads it")]
    for s in spec.states:
        readers = [r.of for r in walk(spec, s).readers]
        if s == "h":
            readers.append(r"\ell_{t}")
        delta, state = _svg_text(r"\delta " + s + "_{t}"), _svg_text(s + "_{t}")
        names = ", ".join(_svg_text(r) for r in readers)
        text = f"adjoint {delta}: back from each reader of {state} ({names})"
        items.append((adjoint[s], "4 3", text))
    out = []
    for k, (color, dash, text) in enumerate(items):
        y = 346 + 15 * k
        extra = f' stroke-dasharray="{dash}"' if dash else ""
        out.append(
            f'<line x1="20" y1="{y - 4}" x2="52" y2="{y - 4}" stroke="{color}" '
            f'stroke-width="1.6"{extra}/>'
        )
        out.append(f'<text x="60" y="{y}" font-size="11" fill="{scheme.text}">{text}</text>')
    return out


def _svg_text(tex: str) -> str:
    """Simple LaTeX (``a^{h}_{n,t+1}``, ``\\ell_{t}``, ``\\delta c_{t}``) as SVG text."""
    tex = tex.replace("\\ell", "ℓ").replace("\\delta ", "δ")
    base, _, sub = tex.partition("_{")
    base, _, sup = base.partition("^{")
    text = base
    if sup:
        text += f'<tspan dy="-4" font-size="8">{sup.rstrip("}")}</tspan>'
    if sub:
        shift = 7 if sup else 3
        text += f'<tspan dy="{shift}" font-size="8">{sub.rstrip("}")}</tspan>'
        text += f'<tspan dy="-3" font-size="11">{chr(8203)}</tspan>'
    return text


def caption(spec: gr.CellSpec) -> str:
    """The figure's caption: how many steps, and each state's readers (from the walks)."""
    parts = []
    for s in spec.states:
        readers = [f"${r.of}$" for r in walk(spec, s).readers]
        if s == "h":
            readers.append(r"the loss term $\ell_{t}$")
        parts.append(f"into ${s}_{{t}}$ from {', '.join(readers)}")
    return (
        f"{STEPS} steps of `{spec.name}`, unrolled. Adjoint arrows: "
        + "; ".join(parts)
        + ". A pre-activation $a_{k,t+1}$ is drawn as the gate node that applies its "
        "nonlinearity.\n"
    )


def main(out_dir: Path) -> None:
    """Write ``lstm.svg``, ``lstm-dark.svg`` and the caption ``lstm.md``."""
    spec = gr.cell(CELL)
    write_svgs(lambda scheme: svg(spec, scheme), out_dir / f"{CELL}.svg")
    (out_dir / f"{CELL}.md").write_text(caption(spec), encoding="utf-8")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("."))
