"""Step-by-step gate diagrams: every cell's schematic, one frame per equation.

Nothing here is placed by hand. Each cell's forward equations (``spec.nodes``) are turned into a
small graph: a box per affine map followed by sigma or tanh, a circle per elementwise ``*`` or
``+``, a terminal per input (x_t and the previous states) and per output state. The graph is
laid out in layers (Sugiyama style: longest-path layers, dummy points on long edges, barycentre
ordering, least-squares vertical placement), so a cell added to ``gated_ref/cells`` gets its
diagram for free.

Writes ``<cell>.md`` per cell: an inline SVG (styled by ``docs/stylesheets/stepper.css``, so it
follows the light and dark schemes) and one caption per equation, the LaTeX printed from the
SymPy equation. ``docs/javascripts/stepper.js`` turns it into a stepper: frame k highlights
the vertices and edges the k-th equation computes. Without JavaScript every equation is listed.
"""

from __future__ import annotations

import html
import sys
from dataclasses import dataclass
from pathlib import Path

import sympy as sp

import gated_ref as gr
from gated_ref.functions import sigmoid

SEED = 0  # nothing random here: the layout is a deterministic function of the equations
CELLS = gr.CELL_NAMES

# ---- geometry (SVG user units, about CSS pixels) ----------------------------------------
COLUMN = 84.0  # distance between layer centres
MARGIN = 16.0
GAP = 14.0  # smallest vertical gap between neighbours in a layer
DUMMY = 4.0  # height given to the point where a long edge crosses a layer
SIZES = {
    "input": (46.0, 24.0),
    "output": (40.0, 24.0),
    "layer": (46.0, 28.0),
    "affine": (34.0, 24.0),
    "op": (24.0, 24.0),
    "fn": (42.0, 22.0),
}
ARROW = 7.0
SCALE = 1.25  # displayed size / user units; CSS max-width: 100% shrinks it on phones


# ---- the graph ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Vertex:
    """One box or circle of the schematic.

    ``kind``: ``input`` (x_t, a previous state), ``output`` (a state at t), ``layer`` (an
    affine map of its inputs followed by ``label``: sigma or tanh), ``affine`` (``U s + b``
    alone, where the equation gates it before the nonlinearity), ``op`` (elementwise
    product, sum or ``1 -``) or ``fn`` (an elementwise function of one value). ``node`` is the
    spec node whose equation computes it (``None`` for inputs), ``state`` the state a
    terminal stands for.
    """

    key: str
    kind: str
    label: str
    sub: str = ""
    node: str | None = None
    state: str | None = None


@dataclass(frozen=True)
class Edge:
    """An arrow from vertex ``src`` to vertex ``dst`` (keys)."""

    src: str
    dst: str


@dataclass
class Graph:
    """The schematic of one cell: vertices in creation order, edges, and where nodes end."""

    vertices: dict[str, Vertex]
    edges: list[Edge]
    value: dict[str, str]  # spec node name -> key of the vertex holding its value


def _tex_sub(name: str) -> tuple[str, str]:
    """Display name of a node as (base, subscript): ``tilde_c`` -> (``c~``, ``t``)."""
    if name.startswith("tilde_"):
        return name[len("tilde_") :] + "\u0303", "t"
    return name, "t"


def build_graph(spec: gr.CellSpec) -> Graph:
    """The schematic's graph, read off ``spec.nodes`` (see :class:`Vertex` for the kinds)."""
    vertices: dict[str, Vertex] = {}
    edges: list[Edge] = []
    value: dict[sp.Symbol, str] = {}
    params = {p.symbol for p in spec.elementwise_params}
    gate_of = {s: g for g, s in spec.input_affine.items()}
    gate_of |= {s: g for g, s in spec.hidden_affine.items()}
    family_source = {sym: f.source for f in spec.families for sym in f.symbols}
    gate_of |= {sym: g for f in spec.families for g, sym in zip(f.gates, f.symbols, strict=True)}
    counter = [0]

    def add(vertex: Vertex, sources: list[str]) -> str:
        vertices[vertex.key] = vertex
        for src in dict.fromkeys(sources):
            edges.append(Edge(src, vertex.key))
        return vertex.key

    def fresh(node: str) -> str:
        counter[0] += 1
        return f"{node}.{counter[0]}"

    add(Vertex("in.x", "input", "x", "t"), [])
    for s in spec.states:
        value[spec.prev[s]] = add(Vertex(f"in.{s}", "input", s, "t\u22121", state=s), [])

    def leaf(sym: sp.Symbol, local: dict[sp.Symbol, str]) -> list[str]:
        if sym in local:
            return [local[sym]]
        if sym in params:
            return []  # a peephole weight, like W and U, is a parameter, not a value
        if sym in spec.input_affine.values() or sym == spec.input_symbol:
            return ["in.x"]
        if sym in family_source:
            return [value[family_source[sym]]]
        if sym in spec.hidden_affine.values():
            return [value[spec.hidden_source[gate_of[sym]]]]
        return [value[sym]]

    def visit(expr: sp.Expr, node: str, local: dict[sp.Symbol, str]) -> list[str]:
        """Vertices whose values ``expr`` combines, creating the ones it computes."""
        if expr.is_Symbol:
            return leaf(expr, local)
        if expr.is_Number:
            return []
        affine = expr.free_symbols & set(gate_of)
        if isinstance(expr, sp.Function) and len(expr.args) == 1 and affine:
            arg, inner = expr.args[0], dict(local)
            sources: list[str] = []
            for term in sp.Add.make_args(arg):
                if not term.is_Symbol:
                    # An affine map used inside a product (reset-after GRU: r * (U h + b)).
                    for sym in sorted(term.free_symbols & set(gate_of), key=str):
                        if sym in spec.hidden_affine.values() and sym not in inner:
                            gate = gate_of[sym]
                            inner[sym] = add(
                                Vertex(fresh(node), "affine", "U", spec.gate_labels[gate], node),
                                leaf(sym, local),
                            )
                sources += visit(term, node, inner)
            return [add(Vertex(fresh(node), "layer", _fn_label(expr), node=node), sources)]
        if isinstance(expr, sp.Function):
            sources = [v for a in expr.args for v in visit(a, node, local)]
            return [add(Vertex(fresh(node), "fn", _fn_label(expr), node=node), sources)]
        if expr.is_Add:
            terms = sp.Add.make_args(expr)
            if len(terms) == 2 and sp.S.One in terms:
                (rest,) = [t for t in terms if t != sp.S.One]
                coeff, core = rest.as_coeff_Mul()
                if coeff == -1:
                    sources = visit(core, node, local)
                    return [add(Vertex(fresh(node), "op", "1\u2212", node=node), sources)]
            sources = [v for t in terms for v in visit(t, node, local)]
            if len(dict.fromkeys(sources)) < 2:
                return sources
            return [add(Vertex(fresh(node), "op", "+", node=node), sources)]
        if expr.is_Mul:
            sources = [v for f in expr.args for v in visit(f, node, local)]
            if len(dict.fromkeys(sources)) < 2:
                return sources
            return [add(Vertex(fresh(node), "op", "\u2299", node=node), sources)]
        sources = [v for a in expr.args for v in visit(a, node, local)]
        return [add(Vertex(fresh(node), "fn", type(expr).__name__, node=node), sources)]

    node_value: dict[str, str] = {}
    for n in spec.nodes:
        name = n.symbol.name
        before = len(vertices)
        if n.projection is not None:  # a matrix applied to a node: h = W_hr m (LSTMP)
            matrix = spec.symbol_names[sp.Mul.make_args(spec.display_rhs(n))[0]]
            base, _, sub = matrix.partition("_")
            box = Vertex(fresh(name), "affine", base, sub.strip("{}"), name)
            result = [add(box, leaf(n.rhs, {}))]
        else:
            result = visit(n.rhs, name, {})
        if len(result) != 1 or len(vertices) == before:
            # A node that is a bare copy or a constant still gets a vertex of its own.
            result = [add(Vertex(fresh(name), "fn", "=", node=name), result)]
        value[n.symbol] = node_value[name] = result[0]
    for s in spec.states:
        base, _ = _tex_sub(spec.out[s].name)
        add(Vertex(f"out.{s}", "output", base, "t", state=s), [value[spec.out[s]]])
    return Graph(vertices, edges, node_value)


def _fn_label(expr: sp.Expr) -> str:
    if isinstance(expr, sigmoid):
        return "\u03c3"
    return type(expr).__name__


# ---- frames ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Frame:
    """One step: the equation of a displayed node, and the nodes it computes."""

    node: str
    equation_id: str
    latex: str
    nodes: tuple[str, ...]  # the displayed node plus the inline nodes its equation shows


def frames(spec: gr.CellSpec) -> list[Frame]:
    """One frame per equation of ``spec``, in order; inline nodes join the first user."""
    inline = {n.symbol.name for n in spec.nodes if n.inline}
    source_of = {spec.hidden_affine[g]: spec.hidden_source[g] for g in spec.gates}

    def shown(expr: sp.Expr) -> list[str]:
        found: list[str] = []
        for sym in sorted(expr.free_symbols, key=str):
            sym = source_of.get(sym, sym)
            if sym.name in inline and sym.name not in found:
                rhs = next(n.rhs for n in spec.nodes if n.symbol == sym)
                found += [sym.name, *shown(rhs)]
        return found

    out: list[Frame] = []
    taken: set[str] = set()
    displayed = [n for n in spec.nodes if not n.inline]
    for n, eq, ident in zip(displayed, spec.equations, spec.equation_ids, strict=True):
        extra = tuple(m for m in dict.fromkeys(shown(n.rhs)) if m not in taken)
        taken.update(extra)
        latex = f"{spec.latex_of(eq.lhs)} = {spec.latex_of(eq.rhs)}"
        out.append(Frame(n.symbol.name, ident, latex, (n.symbol.name, *extra)))
    return out


# ---- layout ------------------------------------------------------------------------------
@dataclass
class Layout:
    """Vertex centres and sizes, edge routes (polylines through dummy points), canvas size."""

    layer: dict[str, int]
    pos: dict[str, tuple[float, float]]
    size: dict[str, tuple[float, float]]
    routes: dict[Edge, list[tuple[float, float]]]
    width: float
    height: float


def _crossings(order: list[list[str]], links: list[tuple[str, str]], layer: dict[str, int]) -> int:
    index = {v: i for row in order for i, v in enumerate(row)}
    total = 0
    for k in range(len(order) - 1):
        pairs = [(index[a], index[b]) for a, b in links if layer[a] == k]
        for i, (a1, b1) in enumerate(pairs):
            for a2, b2 in pairs[i + 1 :]:
                total += (a1 - a2) * (b1 - b2) < 0
    return total


def _isotonic(values: list[float]) -> list[float]:
    """Least-squares non-decreasing fit (pool adjacent violators)."""
    blocks: list[list[float]] = []  # [mean, weight, count]
    for v in values:
        blocks.append([v, 1.0, 1])
        while len(blocks) > 1 and blocks[-2][0] > blocks[-1][0]:
            m2, w2, c2 = blocks.pop()
            m1, w1, c1 = blocks.pop()
            blocks.append([(m1 * w1 + m2 * w2) / (w1 + w2), w1 + w2, c1 + c2])
    fit: list[float] = []
    for mean, _, count in blocks:
        fit += [mean] * int(count)
    return fit


def layout(graph: Graph) -> Layout:
    """Layered left-to-right layout of ``graph``; deterministic."""
    keys = list(graph.vertices)
    preds: dict[str, list[str]] = {k: [] for k in keys}
    for e in graph.edges:
        preds[e.dst].append(e.src)
    layer: dict[str, int] = {}
    for k in keys:  # creation order is a topological order
        layer[k] = 1 + max((layer[p] for p in preds[k]), default=-1)
    outputs = [k for k in keys if graph.vertices[k].kind == "output"]
    last = 1 + max(layer[k] for k in keys if k not in outputs)
    for k in outputs:
        layer[k] = last
    # Long edges pass through one dummy point per layer they cross.
    size = {k: SIZES[graph.vertices[k].kind] for k in keys}
    chains: dict[Edge, list[str]] = {}
    links: list[tuple[str, str]] = []
    for e in graph.edges:
        chain = [e.src]
        for j in range(layer[e.src] + 1, layer[e.dst]):
            dummy = f"~{e.src}>{e.dst}@{j}"
            layer[dummy], size[dummy] = j, (0.0, DUMMY)
            chain.append(dummy)
        chain.append(e.dst)
        chains[e] = chain
        links += list(zip(chain, chain[1:], strict=False))
    order: list[list[str]] = [[] for _ in range(last + 1)]
    for v in layer:
        order[layer[v]].append(v)
    up: dict[str, list[str]] = {v: [] for v in layer}
    down: dict[str, list[str]] = {v: [] for v in layer}
    for a, b in links:
        down[a].append(b)
        up[b].append(a)

    def sweep(rows: list[list[str]], forward: bool) -> list[list[str]]:
        rows = [list(r) for r in rows]
        seq = range(1, len(rows)) if forward else range(len(rows) - 2, -1, -1)
        for k in seq:
            ref = {v: i for i, v in enumerate(rows[k - 1 if forward else k + 1])}
            nbrs = up if forward else down
            keyed = []
            for i, v in enumerate(rows[k]):
                near = [ref[u] for u in nbrs[v]]
                keyed.append((sum(near) / len(near) if near else float(i), i, v))
            rows[k] = [v for _, _, v in sorted(keyed)]
        return rows

    def transpose(rows: list[list[str]]) -> tuple[list[list[str]], int]:
        # Swap neighbours while that removes crossings (Gansner et al. 1993, "transpose").
        rows = [list(r) for r in rows]
        cross = _crossings(rows, links, layer)
        improved = True
        while improved:
            improved = False
            for row in rows:
                for i in range(len(row) - 1):
                    row[i], row[i + 1] = row[i + 1], row[i]
                    swapped = _crossings(rows, links, layer)
                    if swapped < cross:
                        cross, improved = swapped, True
                    else:
                        row[i], row[i + 1] = row[i + 1], row[i]
        return rows, cross

    best, best_cross = transpose(order)
    current = best
    for it in range(8):
        current, cross = transpose(sweep(current, forward=it % 2 == 0))
        if cross < best_cross:
            best, best_cross = current, cross
    order = best

    # Vertical placement: each vertex near the mean of its neighbours, order and gaps kept.
    y: dict[str, float] = {}
    for row in order:
        offset = 0.0
        for i, v in enumerate(row):
            if i:
                offset += (size[row[i - 1]][1] + size[v][1]) / 2 + GAP
            y[v] = offset
    for it in range(40):
        rows = order if it % 2 == 0 else order[::-1]
        for row in rows:
            wanted = []
            for v in row:
                near = [y[u] for u in up[v] + down[v]]
                wanted.append(sum(near) / len(near) if near else y[v])
            offsets = [0.0]
            for a, b in zip(row, row[1:], strict=False):
                offsets.append(offsets[-1] + (size[a][1] + size[b][1]) / 2 + GAP)
            fit = _isotonic([w - o for w, o in zip(wanted, offsets, strict=True)])
            for v, f, o in zip(row, fit, offsets, strict=True):
                y[v] = f + o
    top = min(y[v] - size[v][1] / 2 for v in y)
    bottom = max(y[v] + size[v][1] / 2 for v in y)
    label_room = 12.0  # node names sit above their vertex
    pos = {
        v: (MARGIN + 24.0 + layer[v] * COLUMN, round(y[v] - top + MARGIN + label_room, 1))
        for v in y
    }
    routes = {e: [pos[v] for v in chain] for e, chain in chains.items()}
    width = 2 * (MARGIN + 24.0) + last * COLUMN
    height = bottom - top + 2 * MARGIN + label_room
    return Layout(
        layer,
        {k: pos[k] for k in keys},
        {k: size[k] for k in keys},
        routes,
        width,
        round(height, 1),
    )


# ---- SVG ---------------------------------------------------------------------------------
def _f(v: float) -> str:
    return f"{v:.1f}".rstrip("0").rstrip(".")


def _text(x: float, y: float, base: str, sub: str = "", cls: str = "") -> str:
    attr = f' class="{cls}"' if cls else ""
    body = html.escape(base)
    if sub:
        body += f'<tspan class="gs-sub" dy="4">{html.escape(sub)}</tspan>'
    return f'<text{attr} x="{_f(x)}" y="{_f(y)}" text-anchor="middle">{body}</text>'


def _port_in(v: Vertex, centre: tuple[float, float], size: tuple[float, float], dy: float):
    """Where an edge entering ``v`` at height offset ``dy`` touches its left side."""
    x, y = centre
    w, h = size
    if v.kind == "op":
        r = w / 2
        dy = max(-r * 0.8, min(r * 0.8, dy))
        return x - (r * r - dy * dy) ** 0.5, y + dy
    return x - w / 2, y + dy


def _edge_path(points: list[tuple[float, float]]) -> str:
    (x0, y0), parts = points[0], [f"M{_f(points[0][0])} {_f(points[0][1])}"]
    for x1, y1 in points[1:]:
        mid = (x1 - x0) / 2
        parts.append(f"C{_f(x0 + mid)} {_f(y0)} {_f(x1 - mid)} {_f(y1)} {_f(x1)} {_f(y1)}")
        x0, y0 = x1, y1
    return " ".join(parts)


def render_svg(spec: gr.CellSpec, graph: Graph, lay: Layout, frame_of: dict[str, int]) -> str:
    """The schematic as inline SVG; ``data-frame`` says in which step each part is computed."""
    parts: list[str] = []
    incoming: dict[str, list[Edge]] = {k: [] for k in graph.vertices}
    for e in graph.edges:
        incoming[e.dst].append(e)
    ends: dict[Edge, tuple[float, float]] = {}
    for key, edges in incoming.items():
        v, (x, y), (w, h) = graph.vertices[key], lay.pos[key], lay.size[key]
        edges = sorted(edges, key=lambda e: (lay.routes[e][-2][1], e.src))
        step = min(8.0, (h - 6) / max(1, len(edges) - 1)) if len(edges) > 1 else 0.0
        for j, e in enumerate(edges):
            ends[e] = _port_in(v, (x, y), (w, h), (j - (len(edges) - 1) / 2) * step)
    parts.append('<g class="gs-edges">')
    for e in graph.edges:
        pts = list(lay.routes[e])
        (sx, sy), (sw, _) = lay.pos[e.src], lay.size[e.src]
        pts[0] = (sx + sw / 2, sy)
        ex, ey = ends[e]
        pts[-1] = (ex - ARROW, ey)
        head = (
            f"M{_f(ex)} {_f(ey)} L{_f(ex - ARROW)} {_f(ey - ARROW / 2)} "
            f"L{_f(ex - ARROW)} {_f(ey + ARROW / 2)} Z"
        )
        parts.append(
            f'<g class="gs-e" data-frame="{frame_of[e.dst]}" data-from="{e.src}">'
            f'<path class="gs-line" d="{_edge_path(pts)}"/>'
            f'<path class="gs-head" d="{head}"/></g>'
        )
    parts.append("</g>")
    parts.append('<g class="gs-vertices">')
    node_value = {k: n for n, k in graph.value.items()}
    inline = {n.symbol.name for n in spec.nodes if n.inline}
    for key, v in graph.vertices.items():
        (x, y), (w, h) = lay.pos[key], lay.size[key]
        attrs = f'class="gs-v gs-{v.kind}" data-v="{key}" data-frame="{frame_of[key]}"'
        if key in node_value:
            attrs += f' data-node="{node_value[key]}"'
        body: list[str] = []
        if v.kind == "op":
            body.append(f'<circle cx="{_f(x)}" cy="{_f(y)}" r="{_f(w / 2)}"/>')
            if v.label == "\u2299":
                body.append(f'<circle class="gs-glyph" cx="{_f(x)}" cy="{_f(y)}" r="2.4"/>')
            elif v.label == "+":
                body.append(
                    f'<path class="gs-stroke" d="M{_f(x - 6)} {_f(y)} H{_f(x + 6)} '
                    f'M{_f(x)} {_f(y - 6)} V{_f(y + 6)}"/>'
                )
            else:
                body.append(_text(x, y + 4.5, v.label, cls="gs-op-text"))
        else:
            rx = {"input": h / 2, "output": h / 2, "fn": h / 2}.get(v.kind, 4.0)
            body.append(
                f'<rect x="{_f(x - w / 2)}" y="{_f(y - h / 2)}" width="{_f(w)}" '
                f'height="{_f(h)}" rx="{_f(rx)}"/>'
            )
            cls = "gs-math" if v.kind in ("input", "output", "affine") else "gs-fn-text"
            body.append(_text(x, y + 4.5 - (2 if v.sub else 0), v.label, v.sub, cls))
        if key in node_value and node_value[key] not in inline:  # inline: no name of its own
            base, sub = _tex_sub(node_value[key])
            body.append(_text(x + w / 2 + 2, y - h / 2 - 4, base, sub, "gs-name"))
        parts.append(f"<g {attrs}>{''.join(body)}</g>")
    parts.append("</g>")
    title = f"{spec.title}: one time step, computed equation by equation"
    return (
        f'<svg class="gr-steps__svg" xmlns="http://www.w3.org/2000/svg" '
        f'viewBox="0 0 {_f(lay.width)} {_f(lay.height)}" width="{_f(lay.width * SCALE)}" '
        f'height="{_f(lay.height * SCALE)}" role="img" aria-label="{html.escape(title)}">'
        f"<title>{html.escape(title)}</title>" + "".join(parts) + "</svg>"
    )


@dataclass
class Schematic:
    """Everything about one cell's stepper: graph, layout, frames, and each vertex's frame."""

    spec: gr.CellSpec
    graph: Graph
    layout: Layout
    frames: list[Frame]
    frame_of: dict[str, int]  # vertex key -> index of the frame computing it (-1: input)


def schematic(name: str) -> Schematic:
    """Build the graph, frames and layout of cell ``name``."""
    spec = gr.cell(name)
    graph = build_graph(spec)
    steps = frames(spec)
    node_frame = {n: k for k, fr in enumerate(steps) for n in fr.nodes}
    frame_of: dict[str, int] = {}
    for key, v in graph.vertices.items():
        if v.kind == "input":
            frame_of[key] = -1
        elif v.kind == "output":
            frame_of[key] = node_frame[spec.out[v.state].name]
        else:
            frame_of[key] = node_frame[v.node]
    return Schematic(spec, graph, layout(graph), steps, frame_of)


def legend(graph: Graph, spec: gr.CellSpec | None = None) -> str:
    """One sentence per kind of shape the schematic uses (HTML).

    With ``spec``, a cell with elementwise parameters (peepholes) says that a box also adds
    ``p ⊙ c`` for each such arrow.
    """
    present = {(v.kind, v.label) for v in graph.vertices.values()}
    kinds = {k for k, _ in present}
    fns = sorted({label for k, label in present if k == "layer"})
    affine = "<em>W x</em> + <em>U h</em> + <em>b</em>"
    if spec is not None and spec.elementwise_params:
        affine += (
            ", plus <em>p</em> \u2299 <em>c</em> for an arrow from a cell state: a peephole,"
            " an elementwise weight vector <em>p</em>"
        )
    text = [f"Boxes: an affine map of the arrows coming in ({affine}), then {' or '.join(fns)}."]
    if ("affine", "U") in present:
        text.append("Dashed box <em>U</em>: the recurrent affine map alone, gated before use.")
    projections = sorted(
        {(v.label, v.sub) for v in graph.vertices.values() if v.kind == "affine" and v.label != "U"}
    )
    for label, sub in projections:
        text.append(
            f"Dashed box <em>{label}</em><sub>{sub}</sub>: a matrix applied to a node, "
            "after the elementwise ones (a projection)."
        )
    ops = {"\u2299": "\u2299 product", "+": "+ sum", "1\u2212": "1 \u2212 \u00b7"}
    found = [name for label, name in ops.items() if ("op", label) in present]
    if found:
        text.append(f"Circles, elementwise: {', '.join(found)}.")
    if "fn" in kinds:
        names = sorted({label for k, label in present if k == "fn"})
        text.append(f"Rounded: {', '.join(names)} applied elementwise.")
    return " ".join(text)


def snippet(s: Schematic) -> str:
    """The Markdown snippet a page includes: one raw-HTML block, no blank lines inside."""
    n = len(s.frames)
    items = []
    for k, fr in enumerate(s.frames):
        items.append(
            f'<li data-step="{k}" data-equation="{fr.equation_id}">'
            f'<div class="arithmatex">\\[{html.escape(fr.latex, quote=False)}\\]</div></li>'
        )
    return (
        f'<div class="gr-stepper" data-gr-stepper data-cell="{s.spec.name}" '
        f'role="group" aria-label="{html.escape(s.spec.title)}, step by step" tabindex="0">\n'
        # the wrapper scrolls sideways on a phone, where the diagram keeps a readable size
        f'<div class="gr-steps__scroll">{render_svg(s.spec, s.graph, s.layout, s.frame_of)}'
        "</div>\n"
        f'<p class="gr-stepper__legend">{legend(s.graph, s.spec)} '
        f"{n} steps, one per equation.</p>\n"
        f'<ol class="gr-stepper__captions" aria-live="polite">\n'
        + "\n".join(items)
        + "\n</ol>\n</div>\n"
    )


def main(out_dir: Path) -> None:
    """Write ``<cell>.md`` for every cell in :data:`CELLS`."""
    for name in CELLS:
        (out_dir / f"{name}.md").write_text(snippet(schematic(name)), encoding="utf-8")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("."))
