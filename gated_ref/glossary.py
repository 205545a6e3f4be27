"""What each symbol of the printed equations means, by kind, and where the Notation page says so.

The display symbols of :func:`gated_ref.derive` are named by kind (``0W_f~`` is an input
weight, ``delta:c`` an adjoint, ``J:h:c`` a one-step Jacobian). :func:`kind_of` reads the kind
from the name; :data:`KINDS` gives each kind its meaning, its shape and an example, and
:func:`notation_url` the anchor of its row on the Notation page (``docs/notation.md`` includes
the table ``diagrams/symbols.py`` writes from :data:`KINDS`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import sympy as sp

#: The Notation page, as a URL path from the site root.
NOTATION_PAGE = "notation/"
#: Anchors of the kinds' rows on the Notation page: ``symbol-<kind>``.
ANCHOR_PREFIX = "symbol-"


@dataclass(frozen=True)
class Kind:
    """One kind of display symbol: its name, the pattern of its names, what it means."""

    name: str
    pattern: str  # a regular expression over the display symbol's name
    example: str  # LaTeX of one symbol of this kind
    meaning: str  # Markdown, math in $...$
    shape: str  # LaTeX, empty for a scalar index


#: Every kind, in the order the patterns are tried (the first match wins).
KINDS: tuple[Kind, ...] = (
    Kind(
        "transpose",
        r"^[01](W\^T|U\^T|x\^T|src\^T|R\^T_|weight_\w+\^T)",
        r"W_{k}^{\top}",
        "transpose of a weight matrix, of the input or of what a recurrent weight multiplies",
        "",
    ),
    Kind("x", r"^0x_(t~?|in)$", "x_{t}", "input at step $t$ (`x[t - 1]`)", "I"),
    Kind(
        "weight_ih",
        r"^0W_",
        "W_{k}",
        "input weights of gate block $k$ (`weight_ih`)",
        r"H \times I",
    ),
    Kind(
        "weight_hh",
        r"^1U_",
        "U_{k}",
        "recurrent weights of gate block $k$ (`weight_hh`)",
        r"H \times H",
    ),
    Kind(
        "weight_extra",
        r"^1R_",
        "R_{k}",
        "more recurrent weights: a gate block fed from another source",
        r"H \times H",
    ),
    Kind(
        "projection",
        r"^0weight_\w+~$",
        "W_{hr}",
        "projection applied after the elementwise nodes",
        r"P \times H",
    ),
    Kind(
        "source",
        r"^1.*_src~?$",
        r"r_{t} \odot h_{t-1}",
        "what a recurrent weight multiplies: $h_{t-1}$, or another vector of the step",
        "H",
    ),
    Kind("bias", r"^b_", "b_{k}", "$b^{x}_{k} + b^{h}_{k}$, where only the sum appears", "H"),
    Kind("bias_ih", r"^bx_", "b^{x}_{k}", "input-side bias of block $k$ (`bias_ih`)", "H"),
    Kind("bias_hh", r"^bh_", "b^{h}_{k}", "recurrent-side bias of block $k$ (`bias_hh`)", "H"),
    Kind("peephole", r"^00p_", "p_{k}", "peephole weights, multiplied elementwise", "H"),
    Kind(
        "elementwise_weight",
        r"^00(?!.*_t$)",
        "u",
        "recurrent weights multiplied elementwise",
        "H",
    ),
    Kind(
        "prev",
        r"^9.*_\(t-1\)$",
        "c_{t-1}",
        "state of step $t - 1$; at $t = 1$ the initial state (zeros when not given)",
        "H",
    ),
    Kind(
        "node",
        r"^\d\d[A-Za-z_]+_t$",
        "c_{t}",
        "a node or state of step $t$, defined by one of the cell's forward equations",
        "H",
    ),
    Kind(
        "delta_a",
        r"^delta:(a[xh]_|fam_)",
        r"\delta a_{k,t}",
        "adjoint of a pre-activation ($a$, $a^{x}$ or $a^{h}$)",
        "H",
    ),
    Kind(
        "delta_next",
        r"^delta:\w+_next$",
        r"\delta c_{t}^{\rightarrow}",
        "the adjoint that arrives at a state from step $t + 1$; at $t = T$ the gradient of the "
        "loss by the final state (`dstate`)",
        "H",
    ),
    Kind(
        "delta_prev",
        r"^delta:\w+_prev$",
        r"\delta c_{t-1}",
        "the adjoint step $t$ hands back to step $t - 1$; at $t = 1$ the gradient of the "
        "initial state",
        "H",
    ),
    Kind(
        "delta_node",
        r"^delta:",
        r"\delta c_{t}",
        r"adjoint $\partial \mathcal{L} / \partial v$ of a node or state $v$ of step $t$",
        "H",
    ),
    Kind(
        "seed",
        r"^dl:h$",
        r"\frac{\partial \ell_{t}}{\partial y_{t}}",
        "the loss term of step $t$ differentiated by its output $y_{t} = h_{t}$ (`dy[t - 1]`)",
        "H",
    ),
    Kind("grad_x", r"^dx$", r"\delta x_{t}", "gradient of the loss by the input of step $t$", "I"),
    Kind(
        "grad",
        r"^d(W|U|bx|bh|p|R|P)_",
        r"\frac{\partial \mathcal{L}}{\partial W_{k}}",
        "gradient of the loss by a parameter, summed over the steps (`grads`)",
        "like the parameter",
    ),
    Kind(
        "jacobian",
        r"^J:",
        r"\frac{\partial c_{t}}{\partial h_{t-1}}",
        "one-step Jacobian of a state by a state of the step before",
        r"H \times H",
    ),
    Kind(
        "time",
        r"^[tT]$",
        "t, T",
        "the step $t = 1, \\dots, T$ a sum over time runs over, and the sequence length $T$",
        "",
    ),
)

_BY_NAME = {k.name: k for k in KINDS}


def kind_of(symbol: sp.Symbol) -> Kind:
    """The kind of a display symbol, from its name; ``ValueError`` names an unknown one."""
    for kind in KINDS:
        if re.search(kind.pattern, symbol.name):
            return kind
    raise ValueError(
        f"symbol {symbol.name!r}: no kind in gated_ref.glossary.KINDS matches its name; add one"
    )


def kind(name: str) -> Kind:
    """The kind called ``name``; ``KeyError`` lists the known ones."""
    try:
        return _BY_NAME[name]
    except KeyError:
        raise KeyError(
            f"unknown symbol kind {name!r}; expected one of {sorted(_BY_NAME)}"
        ) from None


def anchor(kind: Kind) -> str:
    """The id of the kind's row on the Notation page."""
    return ANCHOR_PREFIX + kind.name


def notation_url(kind: Kind) -> str:
    """URL path, from the site root, of the kind's row on the Notation page."""
    return f"{NOTATION_PAGE}#{anchor(kind)}"
