"""Conventions across sources: GRU update, concatenated notation, gate order per framework.

Every row comes from the registry in ``gated_ref.conventions`` and carries a check run here: the
source's own equations (``_source_equations.py``, written from each source's text) on the
converted weights against gated_ref's generated kernel, as the largest absolute difference. A
difference above ``TOL`` stops the build, so no table claims what the code does not do.

Writes ``update_convention.md`` (a), ``concatenated.md`` (b), ``gate_order_lstm.md`` and
``gate_order_gru.md`` (c), ``example.md`` (a converter call and its printed output, executed
here) and ``checks.md`` (what a check is).
"""

from __future__ import annotations

import contextlib
import io
import sys
from pathlib import Path

import _source_equations as src
import numpy as np

import gated_ref as gr
from gated_ref import conventions as cv

SEED = 0
T, B, I, H = 6, 3, 4, 5  # noqa: E741
TOL = 1e-12  # float64: anything above is a wrong layout, not rounding


def problem(name: str) -> tuple[dict, np.ndarray, dict]:
    """Parameters (twice PyTorch's init range, so gates saturate), input, non-zero state."""
    rng = np.random.default_rng(SEED)
    params = gr.lower(gr.cell(name)).init_params(I, H, rng=rng)
    params = {k: 2.0 * v for k, v in params.items()}
    x = rng.standard_normal((T, B, I))
    state = {s: 0.5 * rng.standard_normal((B, H)) for s in gr.cell(name).states}
    return params, x, state


def check(name: str, params: dict, x: np.ndarray, state: dict, y_ref: np.ndarray) -> str:
    """``✓`` and the largest difference between ``y_ref`` and our kernel; raises above TOL."""
    y, _, _ = gr.lower(gr.cell(name)).forward(x, params, state)
    diff = float(np.max(np.abs(y - y_ref)))
    if not diff <= TOL:
        raise RuntimeError(f"{name}: a conventions check differs by {diff:.3g} > {TOL:g}")
    return "✓ 0" if diff == 0 else f"✓ {diff:.1e}"


def exact(a: dict, b: dict) -> bool:
    """Same keys, same bytes."""
    return sorted(a) == sorted(b) and all(np.array_equal(a[k], b[k]) for k in a)


def code(s: str) -> str:
    return f"`{s}`"


# ---- (a) GRU update convention ------------------------------------------------------------------
def per_gate(params: dict) -> dict:
    """A GRU's params split into a text's per-gate names (PyTorch stacks r, z, n)."""
    out = {}
    for key, prefix in (
        ("weight_ih", "W"),
        ("weight_hh", "U"),
        ("bias_ih", "bx"),
        ("bias_hh", "bh"),
    ):
        for gate, block in zip("rzh", np.split(params[key], 3), strict=True):
            out[f"{prefix}_{gate}"] = block
    return out


def update_table() -> str:
    rows = [
        "| Source | As written there | $h_{t-1}$ kept by | gated_ref | Check |",
        "| --- | --- | --- | --- | --- |",
    ]
    for u in cv.UPDATE_CONVENTIONS:
        params, x, state = problem(u.cell)
        if u.keeps == "z":
            theirs, how = params, "as is"
        else:
            theirs, how = cv.flip_update_convention(u.cell, params), "flipped"
        y_ref = src.textbook_gru(
            per_gate(theirs), x, state["h"], keeps=u.keeps, reset_after=u.cell == "gru"
        )
        rows.append(
            f"| {u.source}<br><small>{u.reference}</small> | ${u.equation}$ | ${u.keeps}$ "
            f"| `{u.cell}`, {how} | {check(u.cell, params, x, state, y_ref)} |"
        )
    return "\n".join(rows) + "\n"


# ---- (b) concatenated notation ------------------------------------------------------------------
REFERENCES = {
    ("colah", "lstm"): src.colah_lstm,
    ("colah", "gru_reset_before"): src.colah_gru,
    ("karpathy", "lstm"): src.karpathy_lstm,
}


def where(style: str, params: dict, cat: dict) -> str:
    """Which rows/columns of the concatenated matrix hold U, W and b, checked on ``cat``."""
    w_ih, w_hh = params["weight_ih"], params["weight_hh"]
    if style == "colah":
        assert np.array_equal(cat["W"][:, :H], w_hh) and np.array_equal(cat["W"][:, H:], w_ih)
        assert np.array_equal(cat["b"], params["bias_ih"] + params["bias_hh"])
        return "`W[:, :H]` $= U$, `W[:, H:]` $= W$, `b` $= b^{x} + b^{h}$"
    w = cat["WLSTM"]
    i_block = slice(0, H)  # Karpathy's first column block is i, as is PyTorch's
    assert np.array_equal(w[0, i_block], params["bias_ih"][i_block] + params["bias_hh"][i_block])
    assert np.array_equal(w[1 : 1 + I, i_block], w_ih[i_block].T)
    assert np.array_equal(w[1 + I :, i_block], w_hh[i_block].T)
    return "row 0 $= b^{x} + b^{h}$, rows `1:1+I` $= W^T$, rows `1+I:` $= U^T$; columns i, f, o, g"


def concatenated_table() -> str:
    rows = [
        "| Source | Writes | Where $U$, $W$, $b$ are | Check |",
        "| --- | --- | --- | --- |",
    ]
    for c in cv.CONCATENATED:
        for name in c.cells:
            params, x, state = problem(name)
            theirs, how = params, ""
            if name == "gru_reset_before":  # colah's GRU also lets 1 - z keep the state
                theirs, how = cv.flip_update_convention(name, params), ", flipped"
            cat = cv.to_concatenated(name, theirs, c.style)
            back = cv.from_concatenated(name, cat, c.style)
            assert exact(cv.to_concatenated(name, back, c.style), cat)
            y_ref = REFERENCES[c.style, name](cat, x, *state.values())
            rows.append(
                f'| {c.source}<br><small>`{name}`{how}; `style="{c.style}"`</small> '
                f"| ${dict(c.writes)[name]}$ | {where(c.style, theirs, cat)} "
                f"| {check(name, params, x, state, y_ref)} |"
            )
    return "\n".join(rows) + "\n"


# ---- (c) gate order and layout per framework ----------------------------------------------------
def framework_reference(entry: cv.Layout, params: dict, x: np.ndarray, state: dict):  # noqa: ANN201
    """The framework's documented equations on the arrays it stores, and the round-trip note."""
    name, fw = entry.cell, entry.framework
    if fw == "pytorch":
        fn = src.pytorch_lstm if name == "lstm" else src.pytorch_gru
        return fn(params, x, *state.values()), ""
    if fw == "onnx":
        arrays = cv.to_onnx(name, params)
        trip = exact(cv.to_onnx(name, cv.from_onnx(name, arrays)), arrays)
        trip = trip and exact(cv.from_onnx(name, arrays), params)
        if name == "lstm":
            y = src.onnx_lstm(arrays, x, *state.values())
        else:
            lbr = cv.onnx_attributes(name, H)["linear_before_reset"]
            y = src.onnx_gru(arrays, x, state["h"], lbr)
        return y, "<br><small>round trip exact</small>" if trip else ""
    if fw == "keras":
        arrays = cv.to_keras(name, params)
        trip = exact(cv.to_keras(name, cv.from_keras(name, arrays)), arrays)
        if name == "lstm":
            y = src.keras_lstm(arrays, x, *state.values())
        else:
            y = src.keras_gru(arrays, x, state["h"], reset_after=name == "gru")
        return y, "<br><small>round trip exact from Keras</small>" if trip else ""
    g = gr.cell(name).num_gates  # cuDNN: PyTorch's blocks, read as linLayerIDs
    mats = np.split(params["weight_ih"], g) + np.split(params["weight_hh"], g)
    biases = np.split(params["bias_ih"], g) + np.split(params["bias_hh"], g)
    fn = src.cudnn_lstm if name == "lstm" else src.cudnn_gru
    return fn(
        mats, biases, x, *state.values()
    ), "<br><small>no GPU: its documented equations</small>"


NAMES = {"pytorch": "PyTorch", "onnx": "ONNX", "keras": "Keras / TF", "cudnn": "cuDNN"}


def gate_order_table(cells: tuple[str, ...]) -> str:
    rows = [
        "| Framework | Their order<br><small>as gated_ref blocks</small> | Arrays | Convert "
        "| Check |",
        "| --- | --- | --- | --- | --- |",
    ]
    for fw in cv.FRAMEWORKS:
        for entry in (e for e in cv.LAYOUTS if e.framework == fw and e.cell in cells):
            params, x, state = problem(entry.cell)
            y_ref, note = framework_reference(entry, params, x, state)
            settings = "".join(
                f"<br><small>`{k}={v}`</small>"
                for k, v in entry.attributes
                if k not in ("hidden_size", "recurrent_activation", "mode")
            )
            arrays = "<br>".join(f"`{k}` {shape}" for k, shape in entry.arrays)
            convert = "<br>".join(code(f"{f}()") for f in entry.convert) or "none"
            rows.append(
                f"| {NAMES[fw]}<br><small>`{entry.cell}`</small>{settings} "
                f"| {', '.join(entry.gates)}<br><small>{', '.join(entry.ours)}</small> "
                f"| {arrays} | {convert} "
                f"| {check(entry.cell, params, x, state, y_ref)}{note} |"
            )
    return "\n".join(rows) + "\n"


# ---- an executed example ------------------------------------------------------------------------
EXAMPLE = """\
import numpy as np
import gated_ref as gr
from gated_ref import conventions as cv

rng = np.random.default_rng(0)
params = gr.lower(gr.cell("gru")).init_params(3, 2, rng=rng)
onnx = cv.to_onnx("gru", params)
print({k: v.shape for k, v in onnx.items()})
print(cv.onnx_attributes("gru", 2))
keras = cv.to_keras("gru", params)
print({k: v.shape for k, v in keras.items()})
back = cv.from_keras("gru", keras)
print("exact:", all(np.array_equal(back[k], params[k]) for k in params))
print(cv.layout("onnx", "gru").gates, "=", cv.layout("onnx", "gru").ours)
flipped = cv.flip_update_convention("gru", params)
z = slice(2, 4)  # H = 2: the z block is rows 2:4
print("z negated:", np.array_equal(flipped["bias_ih"][z], -params["bias_ih"][z]))
"""


def example() -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(EXAMPLE, "example", "exec"), {})  # noqa: S102
    return f"```python\n{EXAMPLE}```\n\nPrints:\n\n```text\n{out.getvalue()}```\n"


def checks_note() -> str:
    return (
        f"Each ✓ is the largest absolute difference between the source's equations (run in "
        f"NumPy on the converted arrays) and gated_ref's kernel, over {T} steps of a batch of "
        f"{B}, input size {I}, hidden size {H}, in float64. The build stops if one exceeds "
        f"{TOL:g}.\n"
    )


def _folded(text: str) -> str:
    body = "\n".join(("    " + line) if line else "" for line in text.splitlines())
    return f'??? success "Solution"\n\n{body}\n'


def exercises() -> str:
    """The page's exercises with folded solutions; the drift of exercise 3 is measured here."""
    params, x, state = problem("gru_reset_before")
    y_right, _, _ = gr.lower("gru_reset_before").forward(x, params, state)
    y_wrong, _, _ = gr.lower("gru").forward(x, params, state)
    drift = float(np.max(np.abs(y_wrong - y_right)))
    return "\n".join(
        [
            "1. Show that negating the $z$ block makes a reset-after GRU in one convention "
            "compute exactly what the other convention computes, for every input. Why would "
            "negating only $W_z$ not do?\n",
            _folded(
                "$\\sigma(-a) = 1 - \\sigma(a)$, so negating every term of the update gate's "
                "pre-activation (both weight blocks and both bias blocks) turns $z$ into $1 - z$ "
                "at every step and input, and the update $z \\odot h + (1 - z) \\odot n$ "
                "becomes the other convention's. Negating only the weights leaves $b_z$ with "
                "its old sign, so $\\sigma(-W_z x - U_z h + b_z) \\neq 1 - z$. "
                "`tests/test_conventions.py` checks it numerically: a GRU written in torch with "
                "$(1 - z)$ keeping the old state, given the flipped weights "
                "(`flip_update_convention`), equals `gru`, outputs and gradients."
            ),
            "2. Keras's reset-before GRU keeps a single bias. Why is nothing lost when "
            "`to_keras` adds `bias_ih` and `bias_hh`, and why would the same addition change "
            "PyTorch's reset-after GRU?\n",
            _folded(
                "In the reset-before GRU every bias only ever appears in a sum "
                "$W x + b_{ih} + U h + b_{hh}$ (the reset gate multiplies $h$ before $U$), so "
                "only $b_{ih} + b_{hh}$ matters. In the reset-after GRU the candidate's "
                "recurrent bias sits inside the product, $r \\odot (U_n h + b_{hn})$: moving it "
                "out of the bracket changes the output wherever $r \\neq 1$."
            ),
            "3. Load the weights of an ONNX GRU saved with `linear_before_reset = 0` into `gru` "
            "instead of `gru_reset_before`, and measure how far the outputs drift.\n",
            _folded(
                f"On the page's random problem ($T = {T}$, $B = {B}$, $I = {I}$, $H = {H}$, "
                "weights at twice PyTorch's range, a non-zero initial state) the largest "
                f"difference between the two cells' outputs is {drift:.3g}: the same weights "
                "are a different function once the reset gate moves past the matrix product."
            ),
        ]
    )


def main(out_dir: Path) -> None:
    """Write the tables, the example and the note on checks."""
    files = {
        "update_convention.md": update_table(),
        "concatenated.md": concatenated_table(),
        "gate_order_lstm.md": gate_order_table(("lstm",)),
        "gate_order_gru.md": gate_order_table(("gru", "gru_reset_before")),
        "example.md": example(),
        "checks.md": checks_note(),
        "exercises.md": exercises(),
    }
    for name, text in files.items():
        (out_dir / name).write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("."))
