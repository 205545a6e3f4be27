"""The kernel cache survives what users and machines do to it.

Each test works in its own empty cache (``$GATED_REF_CACHE``) and checks the loaded kernel
against numbers that do not come from the cache: a kernel generated in memory from the cell
(``emit(plan(spec))``, executed without touching the disk) or torch's own cell.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
import torch
from core_helpers import problem

import gated_ref as gr

# the module, not the function gated_ref.lower that shadows it on the package
lowering = importlib.import_module("gated_ref.lower")

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def empty_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh cache folder, and no generated module left over in this process."""
    cache = tmp_path / "kernels"
    monkeypatch.setenv("GATED_REF_CACHE", str(cache))
    for name in [m for m in sys.modules if m.startswith("gated_ref_generated_")]:
        monkeypatch.delitem(sys.modules, name)
    return cache


def forget_loaded() -> None:
    """Drop the generated modules this process imported (as a new process would start)."""
    for name in [m for m in sys.modules if m.startswith("gated_ref_generated_")]:
        del sys.modules[name]


def torch_gru_y(params: dict, x: np.ndarray, h0: np.ndarray) -> np.ndarray:
    """torch.nn.GRU in float64 on our parameters (the same names and layout as torch's)."""
    gru = torch.nn.GRU(x.shape[2], params["weight_hh"].shape[1], dtype=torch.float64)
    with torch.no_grad():
        for key, value in params.items():
            getattr(gru, f"{key}_l0").copy_(torch.from_numpy(value))
        y, _ = gru(torch.from_numpy(x), torch.from_numpy(h0)[None])
    return y.numpy()


def check_gru(kernel: gr.Kernel) -> None:
    """``kernel`` computes torch's GRU (a kernel returning zeros or garbage fails)."""
    _, params, x, state, *_ = problem("gru", 4, 3, 2, 5, seed=11)
    y, _, _ = kernel.forward(x, params, state)
    np.testing.assert_allclose(y, torch_gru_y(params, x, state["h"]), rtol=1e-12, atol=1e-13)


def test_the_file_carries_the_hash_of_its_text(empty_cache: Path) -> None:
    kernel = gr.lower("gru")
    data = kernel.path.read_bytes()
    *lines, last = data.decode().splitlines(keepends=True)
    # the check written out here, not through lowering.unseal
    assert (
        last
        == f"# sha256 of the text above: {hashlib.sha256(''.join(lines).encode()).hexdigest()}\n"
    )
    assert kernel.source == data.decode()
    check_gru(kernel)


@pytest.mark.parametrize(
    "damage",
    [
        "edited",  # the returned outputs replaced by zeros, seal left as it was
        "truncated",  # cut in the middle, as by a full disk or a killed writer
        "unsealed",  # the edit re-saved without the seal line
        "garbage",  # not even text
        "empty",
    ],
)
def test_a_damaged_file_is_regenerated_with_a_warning_never_imported(
    empty_cache: Path, damage: str
) -> None:
    path = gr.lower("gru").path
    good = path.read_text(encoding="utf-8")
    body = good[: good.rindex(lowering.SEAL)]
    bad = {
        "edited": good.replace(
            "return S_h[1:].copy(), final, cache", "return 0 * S_h[1:], final, cache"
        ),
        "truncated": good[: len(good) // 2],
        "unsealed": body.replace("return S_h[1:].copy()", "return 0 * S_h[1:]"),
        "garbage": "\udcff",
        "empty": "",
    }[damage]
    assert bad != good
    path.write_bytes(bad.encode("utf-8", "surrogateescape"))
    forget_loaded()
    with pytest.warns(lowering.KernelCacheWarning, match=rf"{path.name} failed its SHA-256 check"):
        kernel = gr.lower("gru")
    check_gru(kernel)
    assert path.read_text(encoding="utf-8") == good  # written again, whole
    assert [p.name for p in empty_cache.iterdir()] == [path.name]  # no temporary left behind


def test_an_intact_file_is_imported_from_the_cache_without_regenerating(
    empty_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    gr.lower("gru")
    forget_loaded()

    def no_emit(*args: object, **kwargs: object) -> str:
        raise AssertionError("emit called although the cached file is intact")

    monkeypatch.setattr(lowering, "emit", no_emit)
    check_gru(gr.lower("gru"))


CONCURRENT = textwrap.dedent(
    """
    import json, sys
    import numpy as np
    import gated_ref as gr
    sys.path.insert(0, {tests!r})
    from core_helpers import problem
    out = {{}}
    for name in sys.argv[1:]:
        kernel, params, x, state, dy, dstate = problem(name, 3, 2, 4, 4, seed=5)
        y, _, cache = kernel.forward(x, params, state)
        grads = kernel.backward(dy, cache, dstate)
        sums = [float(np.abs(grads[k]).sum()) for k in sorted(grads)]
        out[name] = [float(np.abs(y).sum())] + sums
    print(json.dumps(out))
    """
)


def test_processes_filling_an_empty_cache_at_once_all_get_correct_kernels(
    empty_cache: Path, tmp_path: Path
) -> None:
    cells = ["lstm", "gru", "mgu"]
    script = tmp_path / "lower_many.py"
    script.write_text(CONCURRENT.format(tests=str(ROOT / "tests")), encoding="utf-8")
    env = {**os.environ, "GATED_REF_CACHE": str(empty_cache), "OMP_NUM_THREADS": "1"}
    procs = [
        subprocess.Popen(
            [sys.executable, str(script), *(cells if k % 2 else cells[::-1])],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for k in range(4)
    ]
    results = []
    for proc in procs:
        out, err = proc.communicate(timeout=600)
        assert proc.returncode == 0, err
        assert "KernelCacheWarning" not in err, err
        results.append(json.loads(out))
    # Reference: the kernels generated in memory here, never read from the shared cache.
    for name in cells:
        spec = gr.cell(name)
        module = {}
        exec(compile(lowering.emit(lowering.plan(spec)), name, "exec"), module)  # noqa: S102
        kernel, params, x, state, dy, dstate = problem(name, 3, 2, 4, 4, seed=5)
        y, _, cache = module["forward"](x, params, state)
        grads = module["backward"](dy, cache, dstate)
        expected = [float(np.abs(y).sum())] + [float(np.abs(grads[k]).sum()) for k in sorted(grads)]
        for got in results:
            np.testing.assert_allclose(got[name], expected, rtol=1e-12)
    files = sorted(p.name for p in empty_cache.iterdir())
    assert len(files) == len(cells) and all(f.endswith(".py") for f in files), files
    for path in empty_cache.iterdir():
        assert lowering.unseal(path.read_bytes()) is not None, path.name


LOWER_ONE = (
    "import json, numpy as np, gated_ref as gr; k = gr.lower('gru'); "
    "p = k.init_params(2, 3); y, _, _ = k.forward(np.ones((2, 1, 2)), p); "
    "print(json.dumps({'file': k.path.name, 'y': y.ravel().tolist()}))"
)


def lower_gru_from(package_root: Path, cache: Path) -> dict:
    """Lower gru with the package at ``package_root`` in a new process; its file and output."""
    env = {**os.environ, "GATED_REF_CACHE": str(cache), "PYTHONPATH": str(package_root)}
    out = subprocess.check_output(
        [sys.executable, "-c", LOWER_ONE], env=env, cwd=package_root, text=True
    )
    return json.loads(out)


def test_editing_a_cell_file_or_the_generator_changes_the_kernel(tmp_path: Path) -> None:
    copy = tmp_path / "src"
    shutil.copytree(
        ROOT / "gated_ref", copy / "gated_ref", ignore=shutil.ignore_patterns("__pycache__")
    )
    cache = tmp_path / "kernels"
    before = lower_gru_from(copy, cache)
    assert before["file"].startswith("gru-")

    cell_file = copy / "gated_ref" / "cells" / "gru.py"
    text = cell_file.read_text(encoding="utf-8")
    cell_file.write_text(text + "\n# a comment: the kernel key still follows the file\n")
    commented = lower_gru_from(copy, cache)
    assert commented["file"] != before["file"]
    assert commented["y"] == before["y"]

    # A real change of the equations: the candidate's tanh becomes a sigmoid.
    assert text.count("sp.tanh(") == 1, "gru.py changed: update the edit below"
    cell_file.write_text(text.replace("sp.tanh(", "sigmoid("), encoding="utf-8")
    edited = lower_gru_from(copy, cache)
    assert edited["file"] not in (before["file"], commented["file"])
    assert not np.allclose(edited["y"], before["y"])

    cell_file.write_text(text, encoding="utf-8")
    generator = copy / "gated_ref" / "lower.py"
    generator.write_text(generator.read_text(encoding="utf-8") + "\n# generator edited\n")
    regenerated = lower_gru_from(copy, cache)
    assert regenerated["file"] not in (before["file"], commented["file"], edited["file"])
    assert regenerated["y"] == before["y"]
    assert len(list(cache.iterdir())) == 4
