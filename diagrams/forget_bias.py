"""Five readings of "forget-gate bias = 1" with PyTorch's two bias vectors.

PyTorch's LSTM has ``bias_ih`` and ``bias_hh``; the equations see only their sum, the
effective bias b_f = bias_ih[f] + bias_hh[f]. Each reading of "set the forget bias to 1"
(``gated_ref.init.forget_bias``) is applied to one default draw (H = 64) and the table shows
the effective bias it leaves, and the forget gate sigma(b_f) at zero input and state.

Writes ``forget_bias.md``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

import gated_ref as gr
from gated_ref import init

SEED = 0
I, H = 32, 64  # noqa: E741

#: What each reading does to the forget block of the two vectors (explanation, not numbers).
DOES = {
    "add_ih": "`bias_ih[f] += 1`; `bias_hh[f]` keeps its draw",
    "fill_ih": "`bias_ih[f] = 1`; `bias_hh[f]` keeps its draw",
    "fill_both": "`bias_ih[f] = bias_hh[f] = 1` (every bias parameter's forget block filled)",
    "split": "`bias_ih[f] = bias_hh[f] = 0.5`",
    "ih_only": "`bias_ih[f] = 1`, `bias_hh[f] = 0`",
}


def sigmoid(a: np.ndarray) -> np.ndarray:
    """The logistic function."""
    return 1.0 / (1.0 + np.exp(-a))


def main(out_dir: Path) -> None:
    """Write ``forget_bias.md``."""
    params = gr.lower(gr.cell("lstm")).init_params(I, H, rng=np.random.default_rng(SEED))
    rows = [
        "| Reading (`reading=`) | Forget block of the two vectors | effective $b_f$: min | mean "
        "| max | $\\sigma(b_f)$, mean |",
        "| --- | --- | ---: | ---: | ---: | ---: |",
    ]
    default = init.effective_bias("lstm", params, "f")
    rows.append(
        f"| PyTorch default | both drawn from $U(-1/\\sqrt{{H}}, 1/\\sqrt{{H}})$ | "
        f"{default.min():.3f} | {default.mean():.3f} | {default.max():.3f} | "
        f"{sigmoid(default).mean():.3f} |"
    )
    for reading in init.READINGS:
        b = init.effective_bias("lstm", init.forget_bias("lstm", params, 1.0, reading), "f")
        rows.append(
            f"| `{reading}` | {DOES[reading]} | {b.min():.3f} | {b.mean():.3f} | {b.max():.3f} "
            f"| {sigmoid(b).mean():.3f} |"
        )
    note = f"\n*One default draw, $H = {H}$. `diagrams/forget_bias.py`.*\n"
    (out_dir / "forget_bias.md").write_text("\n".join(rows) + "\n" + note, encoding="utf-8")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("."))
