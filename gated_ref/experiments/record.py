"""The committed experiment record: what determines its numbers, writing it, and proving it.

The record (``data/experiments.json``) holds the protocol, every run's curves and held-out
metrics, the chosen learning rates, the measured step times, versions, the machine and the wall
time. Its *fingerprint* hashes what determines the numbers: the generated kernel source of every
cell the grid trains (without the banner) and the sources of the task, training, run and
protocol code. The site refuses a record whose fingerprint differs from the code's
(:func:`check_fresh`) and re-executes a fixed few runs to compare them (:func:`reexecute`).
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import tempfile
from pathlib import Path

import numpy as np

from .. import tasks as T
from ..cells import cell
from ..lower import emit, plan
from . import grid
from .run import RunConfig, train

ROOT = Path(__file__).resolve().parents[2]
#: Where ``make experiments`` writes the record, relative to the repository root.
RECORD = "data/experiments.json"
#: Sources that determine the numbers (relative to the package folder).
CODE = (
    "tasks.py",
    "train.py",
    "kernel.py",
    "experiments/run.py",
    "experiments/grid.py",
)
#: The command that rebuilds a stale record.
COMMAND = "make experiments"
#: Runs the build re-executes, and how many steps of each (a fixed choice: two gated cells and
#: the RNN, three task families, none that needs scikit-learn or the CPython text).
REEXECUTE = (
    ("lstm", "adding-100", 1),
    ("gru", "recall-50", 2),
    ("rnn_tanh", "adding-50", 3),
)
REEXECUTE_STEPS = 100
#: Relative tolerance of that comparison; see :func:`reexecute` for why it is this.
REEXECUTE_RTOL = 1e-6


class StaleRecordError(RuntimeError):
    """The record does not come from this code: rebuild it with ``make experiments``."""


def fingerprint() -> dict:
    """SHA-256 of every input that determines the record's numbers, and of all of them."""
    parts = {}
    package = Path(__file__).resolve().parents[1]
    for name in sorted({s.cell for s in grid.SETUPS}):
        source = emit(plan(cell(name)))
        parts[f"kernel:{name}"] = hashlib.sha256(source.encode()).hexdigest()
    for rel in CODE:
        text = (package / rel).read_bytes().replace(b"\r\n", b"\n")
        parts[f"code:gated_ref/{rel}"] = hashlib.sha256(text).hexdigest()
    total = hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()
    return {"total": total, "parts": parts}


def versions() -> dict:
    """Versions of what the runs used."""
    import sympy

    return {
        "python": platform.python_version(),
        "numpy": np.__version__,
        "sympy": sympy.__version__,
    }


def machine() -> dict:
    """The machine the grid ran on, in a few words."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:  # pragma: no cover - not Linux
        pass
    return {"cpu": cpu, "cores": os.cpu_count(), "platform": platform.platform(terse=True)}


def text_source() -> dict:
    """Which text the language-modelling task read (it follows the CPython version)."""
    return {
        "source": "pydoc_data.topics (the CPython documentation's topic help)",
        "licence": "PSF License Agreement (Python documentation)",
        "python": platform.python_version(),
        "sha256": T.prose_sha256(),
        "characters": len(T.prose()),
    }


def params_path(path: Path) -> Path:
    """The sibling file that holds the record's trained parameters (``<stem>.params.json``)."""
    return path.with_name(f"{path.stem}.params.json")


def dumps(record: dict) -> tuple[str, str]:
    """The record as two JSON texts: the record without parameters (indented, keys sorted),
    and the trained parameters by run id, one compact line per run (most of the bytes, and
    nobody reads them by eye)."""
    runs, params = [], {}
    for run in record.get("runs", []):
        if "params" in run:
            if run["id"] in params:
                raise ValueError(f"runs: id {run['id']!r} appears twice, expected unique ids")
            params[run["id"]] = run["params"]
            run = {k: v for k, v in run.items() if k != "params"}
        runs.append(run)
    main = json.dumps({**record, "runs": runs}, indent=1, sort_keys=True) + "\n"
    lines = [
        f"{json.dumps(k)}:{json.dumps(v, separators=(',', ':'), sort_keys=True)}"
        for k, v in sorted(params.items())
    ]
    return main, "{\n" + ",\n".join(lines) + "\n}\n"


def _write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write(record: dict, path: Path) -> None:
    """Write ``record`` atomically as ``path`` and its parameters file (each a temporary file
    renamed into place; the parameters first, so the record never names missing ones)."""
    main, params = dumps(record)
    _write_atomic(params_path(path), params)
    _write_atomic(path, main)


def load(path: Path | None = None) -> dict:
    """The record at ``path`` (default: :data:`RECORD` in the repository), with each run's
    trained parameters from the parameters file attached as ``run["params"]``."""
    path = path or ROOT / RECORD
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise FileNotFoundError(f"{path}: not found; run `{COMMAND}` to create it") from None
    side = params_path(path)
    if side.exists():
        params = json.loads(side.read_text(encoding="utf-8"))
        for run in record["runs"]:
            if run["id"] in params:
                run["params"] = params[run["id"]]
    return record


def check_fresh(record: dict) -> None:
    """Raise :class:`StaleRecordError` naming what changed if the record is not from this code."""
    now = fingerprint()
    then = record.get("fingerprint", {})
    if then.get("total") == now["total"]:
        return
    changed = sorted(
        k
        for k in set(now["parts"]) | set(then.get("parts", {}))
        if now["parts"].get(k) != then.get("parts", {}).get(k)
    )
    raise StaleRecordError(
        f"{RECORD} is stale: it was made by other code than this checkout's "
        f"(changed: {', '.join(changed) or 'the fingerprint format'}). "
        f"Run `{COMMAND}` (about {record.get('wall_s', 0) / 60:.0f} minutes on 2 cores) "
        "and commit the new record."
    )


def find_run(record: dict, setup: str, task: str, seed: int) -> dict:
    """The final (chosen learning rate) run of ``setup`` on ``task`` from ``seed``."""
    lr = record["chosen_lr"][f"{setup}/{task}"]
    for run in record["runs"]:
        c = run["config"]
        if run["setup"] == setup and c["task"] == task and c["seed"] == seed and c["lr"] == lr:
            return run
    raise KeyError(f"run: no {setup} run on {task} from seed {seed} at lr {lr} in the record")


def reexecute(record: dict) -> list[dict]:
    """Re-run the first :data:`REEXECUTE_STEPS` steps of the :data:`REEXECUTE` runs and
    compare their validation metric and training loss with the record.

    Why a prefix and this tolerance: each run is single-threaded and bit-exact on one machine,
    but another CPU's BLAS may round a dot product differently (about 1e-16 relative), and
    training amplifies such differences: a run's curve drifts apart over hundreds of steps, and
    a threshold crossing can move. Over the first 100 steps the amplification stays far below
    1e-6 (``tests/test_experiments.py`` measures it by perturbing the initial parameters by
    1e-12), while a change to the code, the data or the initialisation moves these numbers by
    1e-3 or more. Raises :class:`StaleRecordError` on a mismatch; returns the comparisons.
    """
    out = []
    for setup, task, seed in REEXECUTE:
        run = find_run(record, setup, task, seed)
        cfg = RunConfig(**{**run["config"], "keep_params": False})
        fresh = train(cfg, stop_after=REEXECUTE_STEPS)
        worst = 0.0
        for key in ("val", "train_loss"):
            n = min(len(fresh[key]), len(run[key]))
            if n == 0:
                continue
            got, want = np.array(fresh[key][:n]), np.array(run[key][:n])
            worst = max(worst, float(np.max(np.abs(got - want) / np.maximum(np.abs(want), 1e-12))))
        out.append({"id": run["id"], "steps": REEXECUTE_STEPS, "max_rel_diff": worst})
        if not worst <= REEXECUTE_RTOL:
            raise StaleRecordError(
                f"{RECORD}: re-running {run['id']} for {REEXECUTE_STEPS} steps gives numbers "
                f"that differ from the record by {worst:.2g} (relative; tolerance "
                f"{REEXECUTE_RTOL:g}). The record does not come from this code: run `{COMMAND}`."
            )
    return out
