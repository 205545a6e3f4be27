"""Shared look of every figure, for the diagram scripts: ``gated_ref.figures``, drawn headless.

Not a diagram. The schemes, palette and writers live in :mod:`gated_ref.figures` so that the
notebooks draw with the same ones; this module only selects matplotlib's file-only backend.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

from gated_ref.figures import (  # noqa: E402
    CYCLE,
    DARK,
    LIGHT,
    MAX_WIDTH,
    SCHEMES,
    Scheme,
    current,
    drawing,
    figure,
    rc,
    save_figures,
    scheme_path,
    write_svgs,
)

__all__ = [
    "CYCLE", "DARK", "LIGHT", "MAX_WIDTH", "SCHEMES", "Scheme", "current", "drawing", "figure",
    "rc", "save_figures", "scheme_path", "write_svgs",
]  # fmt: skip
