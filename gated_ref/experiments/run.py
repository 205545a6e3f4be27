"""One training run: a cell, a task, a learning rate and a seed, trained with the generated kernels.

A run is a pure function of its :class:`RunConfig`: the same config gives the same numbers on
the same machine (it limits BLAS to one thread itself, so any executor may call it).
"""

from __future__ import annotations

import time
import zlib
from dataclasses import asdict, dataclass, field

import numpy as np

from .. import tasks as T
from ..cells import cell
from ..lower import lower
from ..train import (
    Adam,
    clip_by_global_norm,
    cross_entropy_last_step,
    mse_last_step,
    softmax_cross_entropy,
)

#: Validation metric that counts as "solved", per task family (``None``: a fixed budget).
SOLVED = {"adding": ("mse", 0.01), "recall": ("accuracy", 0.99)}
#: Each task family's headline metric and whether lower is better.
METRIC = {
    "adding": ("mse", True),
    "recall": ("accuracy", False),
    "digits": ("accuracy", False),
    "char_lm": ("bpc", True),
}
READOUT = ("W_out", "b_out")


@dataclass(frozen=True)
class RunConfig:
    """Everything that determines a run's numbers."""

    task: str
    cell: str
    hidden: int
    lr: float
    seed: int
    steps: int
    batch: int = 32
    clip: float = 1.0
    #: Added to the forget block of ``bias_hh`` (cells with an ``f`` gate): the effective forget
    #: bias ``b_ih + b_hh`` then starts at PyTorch's uniform draw plus this.
    forget_bias: float = 0.0
    eval_every: int = 50
    stop_when_solved: bool = True
    keep_params: bool = False
    extra: dict = field(default_factory=dict, compare=False, hash=False)

    def __post_init__(self) -> None:
        for name in ("hidden", "steps", "batch", "eval_every"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name}: got {value!r}, expected a positive integer")
        if not (self.lr > 0 and self.clip > 0):
            raise ValueError(f"lr, clip: got {self.lr!r}, {self.clip!r}, expected positive numbers")
        cell(self.cell)  # KeyError naming the cell if unknown
        T.make(self.task)

    @property
    def family(self) -> str:
        """The task family: ``adding``, ``recall``, ``digits`` or ``char_lm``."""
        return self.task.rpartition("-")[0]

    def as_dict(self) -> dict:
        """The config as plain JSON values (without ``extra``)."""
        out = asdict(self)
        out.pop("extra")
        return out


def _stable(*words: str | int) -> list[int]:
    return [zlib.crc32(w.encode()) if isinstance(w, str) else int(w) for w in words]


def init_model(cfg: RunConfig, task: T.Task) -> dict[str, np.ndarray]:
    """The cell's parameters (PyTorch's initialisation, plus the forget bias) and the readout."""
    spec = cell(cfg.cell)
    kernel = lower(spec)
    rng = np.random.default_rng(_stable("init", cfg.cell, cfg.seed))
    params = kernel.init_params(task.input_size, cfg.hidden, rng=rng)
    if cfg.forget_bias and "f" in spec.gates:
        k = spec.gates.index("f")
        params["bias_hh"][k * cfg.hidden : (k + 1) * cfg.hidden] += cfg.forget_bias
    bound = 1.0 / np.sqrt(cfg.hidden)
    params["W_out"] = rng.uniform(-bound, bound, size=(task.output_size, cfg.hidden))
    params["b_out"] = np.zeros(task.output_size)
    return params


def parameter_count(cell_name: str, task_key: str, hidden: int) -> int:
    """Trainable numbers of a model: the cell's parameters plus the linear readout."""
    task = T.make(task_key)
    spec = cell(cell_name)
    shapes = spec.param_shapes(task.input_size, hidden)
    n = sum(int(np.prod(s)) for s in shapes.values())
    return n + task.output_size * (hidden + 1)


def _loss(task: T.Task, y: np.ndarray, target: np.ndarray, w: np.ndarray, b: np.ndarray):  # noqa: ANN202
    if task.kind == T.REGRESS_LAST:
        return mse_last_step(y, target, w, b)
    if task.kind == T.CLASSIFY_LAST:
        return cross_entropy_last_step(y, target, w, b)
    return softmax_cross_entropy(y, target, w, b)


def evaluate(cfg: RunConfig, params: dict[str, np.ndarray], which: str) -> dict[str, float]:
    """Loss and the task's metric on the held-out ``"val"`` or ``"test"`` split."""
    task = T.make(cfg.task)
    kernel = lower(cfg.cell)
    x, target = task.split(which)
    cell_params = {k: v for k, v in params.items() if k not in READOUT}
    losses, hits, count = [], 0, 0
    for lo in range(0, x.shape[1], 256):
        xb = x[:, lo : lo + 256]
        tb = target[:, lo : lo + 256] if task.kind == T.CLASSIFY_EVERY else target[lo : lo + 256]
        y, _, _ = kernel.forward(xb, cell_params)
        loss = _loss(task, y, tb, params["W_out"], params["b_out"])[0]
        n = tb.size
        losses.append(loss * n)
        count += n
        if task.kind != T.REGRESS_LAST:
            logits = (y[-1] if task.kind == T.CLASSIFY_LAST else y) @ params["W_out"].T
            hits += int(np.sum(np.argmax(logits + params["b_out"], axis=-1) == tb))
    loss = sum(losses) / count
    out = {"loss": loss}
    if task.kind == T.REGRESS_LAST:
        out["mse"] = loss
    elif task.kind == T.CLASSIFY_LAST:
        out["accuracy"] = hits / count
    else:
        out["bpc"] = loss / np.log(2.0)
        out["accuracy"] = hits / count
    return out


def _limit_threads():  # noqa: ANN202
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - installed with the docs extra
        import contextlib

        return contextlib.nullcontext()
    return threadpool_limits(1)


def train(cfg: RunConfig, *, stop_after: int | None = None) -> dict:
    """Train one run; returns its curves, final held-out metrics and (optionally) parameters.

    ``stop_after`` ends training after that many steps with no test evaluation: the build's
    re-execution check compares such a prefix with the record.
    """
    with _limit_threads():
        return _train(cfg, stop_after)


def _train(cfg: RunConfig, stop_after: int | None) -> dict:
    wall, cpu = time.perf_counter(), time.process_time()
    task = T.make(cfg.task)
    kernel = lower(cfg.cell)
    params = init_model(cfg, task)
    opt = Adam(params, lr=cfg.lr)
    metric, lower_better = METRIC[cfg.family]
    solved_rule = SOLVED.get(cfg.family)
    first = evaluate(cfg, params, "val")
    evals, val_curve, train_curve, window = [0], [first[metric]], [], []
    solved_at = None
    last = stop_after if stop_after is not None else cfg.steps
    step = 0
    for step in range(1, last + 1):
        x, target = task.train_batch(cfg.seed, step, cfg.batch)
        cell_params = {k: v for k, v in params.items() if k not in READOUT}
        y, _, cache = kernel.forward(x, cell_params)
        loss, dy, readout = _loss(task, y, target, params["W_out"], params["b_out"])
        grads = kernel.backward(dy, cache)
        grads = {k: grads[k] for k in cell_params}
        grads |= {"W_out": readout["weight"], "b_out": readout["bias"]}
        grads, _ = clip_by_global_norm(grads, cfg.clip)
        opt.step(grads)
        window.append(loss)
        if step % cfg.eval_every == 0:
            evals.append(step)
            val_curve.append(evaluate(cfg, params, "val")[metric])
            train_curve.append(float(np.mean(window)))
            window = []
            if solved_rule and solved_at is None:
                value = val_curve[-1]
                if (value < solved_rule[1]) if lower_better else (value >= solved_rule[1]):
                    solved_at = step
                    if cfg.stop_when_solved:
                        break
    out = {
        "id": run_id(cfg),
        "config": cfg.as_dict(),
        "eval_steps": evals,
        "val": val_curve,
        "train_loss": train_curve,
        "steps_run": step,
        "solved_at": solved_at,
    }
    if stop_after is None:
        out["final"] = {"val": evaluate(cfg, params, "val"), "test": evaluate(cfg, params, "test")}
    if cfg.keep_params:
        out["params"] = {k: v.tolist() for k, v in params.items()}
    out["cpu_s"] = round(time.process_time() - cpu, 2)
    out["wall_s"] = round(time.perf_counter() - wall, 2)
    return out


def run_id(cfg: RunConfig) -> str:
    """A readable unique name of a run, e.g. ``adding-200/lstm/H16/fb1/lr0.01/s3``."""
    fb = f"/fb{cfg.forget_bias:g}" if cfg.forget_bias else ""
    return f"{cfg.task}/{cfg.cell}/H{cfg.hidden}{fb}/lr{cfg.lr:g}/s{cfg.seed}"
