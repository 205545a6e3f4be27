"""What trained models do inside: how far back a gradient reaches, and how much the LSTM keeps.

Both read a run's recorded parameters (the record keeps them for the runs listed in
``grid.KEEP_PARAMS``) and evaluate them with the generated kernels on held-out data.
"""

from __future__ import annotations

import numpy as np

from .. import tasks as T
from ..lower import lower
from .run import READOUT, RunConfig, init_model

#: Held-out sequences a probe reads (the first ones of the test split).
PROBE_BATCH = 64


def params_of(run: dict) -> dict[str, np.ndarray]:
    """A recorded run's trained parameters as arrays."""
    if "params" not in run:
        raise KeyError(f"run {run['id']}: the record keeps no parameters for it")
    return {k: np.asarray(v, dtype=np.float64) for k, v in run["params"].items()}


def initial_params(run: dict) -> dict[str, np.ndarray]:
    """The parameters the run started from (re-drawn from its seed)."""
    cfg = RunConfig(**run["config"])
    return init_model(cfg, T.make(cfg.task))


def input_gradient_profile(run: dict, params: dict[str, np.ndarray]) -> np.ndarray:
    """``mean_b ||d(u_b . h_T) / d x_t||`` for t = 0..T-1, divided by its value at t = T-1.

    ``u_b`` are fixed random unit vectors, one per held-out sequence: the profile says how
    strongly the last state still depends on the input t steps back, relative to the newest.
    """
    cfg = RunConfig(**run["config"])
    task = T.make(cfg.task)
    kernel = lower(cfg.cell)
    x = task.split("test")[0][:, :PROBE_BATCH]
    cell = {k: v for k, v in params.items() if k not in READOUT}
    y, _, cache = kernel.forward(x, cell)
    u = np.random.default_rng(7).standard_normal(y.shape[1:])
    u /= np.linalg.norm(u, axis=-1, keepdims=True)
    dy = np.zeros_like(y)
    dy[-1] = u
    dx = kernel.backward(dy, cache)["x"]
    profile = np.linalg.norm(dx, axis=-1).mean(axis=1)
    return profile / profile[-1]


def forget_products(run: dict, params: dict[str, np.ndarray]) -> np.ndarray:
    """Per unit, the product of the LSTM's forget gate over the whole held-out sequence
    (mean over sequences): the factor by which the cell state alone carries a value from the
    first step to the last."""
    cfg = RunConfig(**run["config"])
    task = T.make(cfg.task)
    kernel = lower(cfg.cell)
    x = task.split("test")[0][:, :PROBE_BATCH]
    cell = {k: v for k, v in params.items() if k not in READOUT}
    _, _, cache = kernel.forward(x, cell)
    if "N_f" not in cache:
        raise KeyError(f"cell {cfg.cell}: has no forget gate in its forward cache")
    return np.prod(cache["N_f"], axis=0).mean(axis=0)
