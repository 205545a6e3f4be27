"""Shared look of every figure: one palette, fixed SVG ids, no dates. Not a diagram itself."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402

#: The site-wide palette (Okabe-Ito, readable by colour-blind readers, on light and dark).
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9")
#: Widest figure the pages show, in inches.
MAX_WIDTH = 7.2

RC = {
    "svg.hashsalt": "gated-ref",  # fixed ids inside the SVG: identical bytes on every build
    "svg.fonttype": "path",  # glyphs as paths: looks the same on every machine, no font files
    "font.family": "sans-serif",
    "font.size": 10,
    "axes.prop_cycle": matplotlib.cycler(color=PALETTE),
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "figure.facecolor": "white",
    "savefig.facecolor": "white",
    "legend.frameon": False,
}


def figure(width: float = MAX_WIDTH, height: float = 3.0, **kwargs):
    """A new figure and axes in the site style; ``width`` at most :data:`MAX_WIDTH` inches."""
    if width > MAX_WIDTH:
        raise ValueError(f"width: got {width} in, expected at most {MAX_WIDTH} in")
    plt.rcParams.update(RC)
    return plt.subplots(figsize=(width, height), layout="constrained", **kwargs)


def save_svg(fig, path: Path) -> None:
    """Write ``fig`` as an SVG without date or creator metadata, then close it."""
    fig.savefig(path, format="svg", metadata={"Date": None, "Creator": None})
    plt.close(fig)
