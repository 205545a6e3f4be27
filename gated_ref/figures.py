"""The look of every figure on the site: a light and a dark scheme, drawn twice, no dates.

Every figure is drawn twice, once per scheme of the site's palette toggle: on the page's white
and on its dark ("slate") background. Pages embed both renderings with Material's
``#only-light`` / ``#only-dark`` fragments, so the toggle swaps them with no reload. The diagram
scripts write the two as files (:func:`save_figures`, :func:`write_svgs`); a notebook shows the
two inline (:func:`show_light_and_dark`).

Colours are the Okabe & Ito (2008) palette, chosen to stay distinct for readers with every
common colour-vision deficiency. On each background the scheme keeps the five members whose
lines reach WCAG's 3:1 contrast there: on white, blue, vermillion, bluish green, reddish purple
and black (orange, sky blue and yellow are too pale); on slate, sky blue in place of blue (too
dark there) and orange in place of black. ``tests/test_figures.py`` checks the contrasts and the
distances under simulated protanopia, deuteranopia and tritanopia.

Needs matplotlib (the ``docs`` extra); the rest of the package does not import this module.
"""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import matplotlib
import matplotlib.pyplot as plt

if TYPE_CHECKING:
    from matplotlib.figure import Figure

#: Widest figure the pages show, in inches.
MAX_WIDTH = 7.2
#: Colours by index, resolved when an artist is made under the scheme being drawn (matplotlib's
#: ``"C<n>"`` specs read the active colour cycle), so one drawing function serves both schemes.
CYCLE = ("C0", "C1", "C2", "C3", "C4")


@dataclass(frozen=True)
class Scheme:
    """One colour scheme of the site: background, text, secondary ink and the line palette."""

    name: str
    suffix: str  # added to a figure's file stem: "" or "-dark"
    background: str
    text: str
    muted: str  # reference lines, axes, secondary labels: text-like, but quieter
    grid: str
    palette: tuple[str, ...]
    fills: dict[str, str]  # hand-drawn diagrams: panel, node fills


#: Material's default scheme: text on white.
LIGHT = Scheme(
    name="light",
    suffix="",
    background="#ffffff",
    text="#000000",
    muted="#595959",
    grid="#b0b0b0",
    # Okabe-Ito: blue, vermillion, bluish green, reddish purple, black.
    palette=("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#000000"),
    fills={"panel": "#f6f6f6", "node": "#ffffff", "state": "#dbeaf5", "x": "#eeeeee",
           "loss": "#ddf0e6", "edge": "#444444"},
)  # fmt: skip
#: Material's "slate" scheme: background hsl(225, 15%, 14%) (``--md-default-bg-color`` at the
#: theme's ``--md-hue``), text as its ``--md-default-fg-color`` looks on it.
DARK = Scheme(
    name="dark",
    suffix="-dark",
    background="#1e2129",
    text="#bfc1c7",
    muted="#a3a7b1",
    grid="#6b707c",
    # Okabe-Ito: sky blue, vermillion, bluish green, reddish purple, orange.
    palette=("#56B4E9", "#D55E00", "#009E73", "#CC79A7", "#E69F00"),
    fills={"panel": "#272b35", "node": "#1e2129", "state": "#1a3148", "x": "#30343f",
           "loss": "#193429", "edge": "#a3a7b1"},
)  # fmt: skip
SCHEMES = (LIGHT, DARK)
#: Material's fragments that show an image in one scheme only, by scheme name.
FRAGMENTS = {"light": "#only-light", "dark": "#only-dark"}

_active: Scheme = LIGHT


def rc(scheme: Scheme) -> dict:
    """The matplotlib settings of ``scheme``: fixed SVG ids, its colours, the site's fonts."""
    return {
        "svg.hashsalt": "gated-ref",  # fixed ids inside the SVG: identical bytes on every build
        "svg.fonttype": "path",  # glyphs as paths: the same on every machine, no font files
        "font.family": "sans-serif",
        "font.size": 10,
        "axes.prop_cycle": matplotlib.cycler(color=scheme.palette),
        "axes.spines.top": False,
        "axes.spines.right": False,
        "axes.grid": True,
        "grid.alpha": 0.3,
        "grid.color": scheme.grid,
        "figure.facecolor": scheme.background,
        "savefig.facecolor": scheme.background,
        "axes.facecolor": scheme.background,
        "axes.edgecolor": scheme.muted,
        "axes.labelcolor": scheme.text,
        "axes.titlecolor": scheme.text,
        "text.color": scheme.text,
        "xtick.color": scheme.muted,
        "ytick.color": scheme.muted,
        "xtick.labelcolor": scheme.text,
        "ytick.labelcolor": scheme.text,
        "legend.frameon": False,
        "legend.labelcolor": scheme.text,
    }


def current() -> Scheme:
    """The scheme being drawn (:data:`LIGHT` outside :func:`save_figures`)."""
    return _active


@contextmanager
def drawing(scheme: Scheme) -> Iterator[Scheme]:
    """Make ``scheme`` the active one (its rc settings and :func:`current`) inside the block."""
    global _active
    previous, _active = _active, scheme
    try:
        with plt.rc_context(rc(scheme)):
            yield scheme
    finally:
        _active = previous


def figure(width: float = MAX_WIDTH, height: float = 3.0, **kwargs):
    """A new figure and axes in the active scheme; ``width`` at most :data:`MAX_WIDTH` inches."""
    if width > MAX_WIDTH:
        raise ValueError(f"width: got {width} in, expected at most {MAX_WIDTH} in")
    plt.rcParams.update(rc(_active))
    return plt.subplots(figsize=(width, height), layout="constrained", **kwargs)


def scheme_path(path: Path, scheme: Scheme) -> Path:
    """Where ``scheme``'s rendering of the figure at ``path`` goes: ``x.svg`` or ``x-dark.svg``."""
    if path.suffix != ".svg":
        raise ValueError(f"path: got {str(path)!r}, expected a file name ending in .svg")
    return path.with_name(path.stem + scheme.suffix + path.suffix)


def _svg_bytes(fig: Figure) -> bytes:
    out = io.BytesIO()
    fig.savefig(out, format="svg", metadata={"Date": None, "Creator": None})
    return out.getvalue()


def save_figures(draw: Callable[[], Figure], path: Path) -> list[Path]:
    """Draw the figure once per scheme and write ``path`` (light) and ``<stem>-dark.svg``.

    ``draw`` builds a fresh figure with :func:`figure`, taking colours from :data:`CYCLE` or
    :func:`current`; it is called once under each of :data:`SCHEMES`. Returns the paths written.
    """
    written = []
    for scheme in SCHEMES:
        with drawing(scheme):
            fig = draw()
            out = scheme_path(path, scheme)
            out.write_bytes(_svg_bytes(fig))
            plt.close(fig)
        written.append(out)
    return written


def write_svgs(render: Callable[[Scheme], str], path: Path) -> list[Path]:
    """Write a hand-built SVG once per scheme: ``render(scheme)`` gives the text of each."""
    written = []
    for scheme in SCHEMES:
        out = scheme_path(path, scheme)
        out.write_text(render(scheme), encoding="utf-8")
        written.append(out)
    return written


class LightAndDark:
    """A figure drawn in both schemes, shown inline by Jupyter (and by the site) as two SVG
    images, each with the alt text and Material's fragment for its scheme."""

    def __init__(self, svgs: dict[str, bytes], alt: str) -> None:
        self.svgs = svgs
        self.alt = alt

    def _repr_html_(self) -> str:
        images = []
        for name, svg in self.svgs.items():
            data = base64.b64encode(svg).decode("ascii")
            images.append(
                f'<img class="gr-figure" alt="{html.escape(self.alt)}" '
                f'src="data:image/svg+xml;base64,{data}{FRAGMENTS[name]}">'
            )
        return '<p class="gr-figure-pair">' + "".join(images) + "</p>"


def show_light_and_dark(draw: Callable[[], Figure], alt: str) -> LightAndDark:
    """The figure ``draw`` builds, drawn under each scheme, for a notebook cell's output.

    ``draw`` makes a fresh figure with :func:`figure` (colours from :data:`CYCLE` or
    :func:`current`); ``alt`` says what the figure shows, for readers who cannot see it.
    """
    if len(alt.split()) < 3:
        raise ValueError(f"alt: got {alt!r}, expected a sentence saying what the figure shows")
    svgs = {}
    for scheme in SCHEMES:
        with drawing(scheme):
            fig = draw()
            svgs[scheme.name] = _svg_bytes(fig)
            plt.close(fig)
    return LightAndDark(svgs, alt)
