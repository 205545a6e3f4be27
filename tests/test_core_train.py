"""The training pieces against torch: Adam steps, losses and clipping."""

from __future__ import annotations

import numpy as np
import torch

from gated_ref.train import Adam, clip_by_global_norm, mse_last_step, softmax_cross_entropy


def test_adam_matches_torch() -> None:
    rng = np.random.default_rng(0)
    params = {"a": rng.standard_normal((3, 2)), "b": rng.standard_normal(4)}
    ref = {k: torch.tensor(v.copy(), requires_grad=True) for k, v in params.items()}
    ours = Adam(params, lr=0.05)
    theirs = torch.optim.Adam(list(ref.values()), lr=0.05)
    for _ in range(5):
        grads = {k: rng.standard_normal(v.shape) for k, v in params.items()}
        ours.step(grads)
        for k, t in ref.items():
            t.grad = torch.from_numpy(grads[k])
        theirs.step()
    for k in params:
        np.testing.assert_allclose(params[k], ref[k].detach().numpy(), rtol=1e-12, atol=1e-14)


def test_losses_match_torch_autograd() -> None:
    rng = np.random.default_rng(1)
    y = rng.standard_normal((4, 3, 5))
    w, b = rng.standard_normal((2, 5)), rng.standard_normal(2)
    target = rng.standard_normal((3, 2))
    loss, dy, g = mse_last_step(y, target, w, b)
    yt, wt, bt = (torch.tensor(a, requires_grad=True) for a in (y, w, b))
    ref = (((yt[-1] @ wt.T + bt) - torch.from_numpy(target)) ** 2).sum(-1).mean()
    ref.backward()
    assert abs(loss - ref.item()) < 1e-12
    np.testing.assert_allclose(dy, yt.grad.numpy(), atol=1e-12)
    np.testing.assert_allclose(g["weight"], wt.grad.numpy(), atol=1e-12)

    labels = rng.integers(0, 2, size=(4, 3))
    loss, dy, g = softmax_cross_entropy(y, labels, w, b)
    yt, wt, bt = (torch.tensor(a, requires_grad=True) for a in (y, w, b))
    logits = (yt @ wt.T + bt).reshape(-1, 2)
    ref = torch.nn.functional.cross_entropy(logits, torch.from_numpy(labels).reshape(-1))
    ref.backward()
    assert abs(loss - ref.item()) < 1e-12
    np.testing.assert_allclose(dy, yt.grad.numpy(), atol=1e-12)
    np.testing.assert_allclose(g["bias"], bt.grad.numpy(), atol=1e-12)


def test_clip_by_global_norm() -> None:
    grads = {"a": np.array([3.0, 0.0]), "b": np.array([4.0])}
    clipped, norm = clip_by_global_norm(grads, 1.0)
    assert norm == 5.0
    np.testing.assert_allclose(clipped["a"], [0.6, 0.0])
    same, _ = clip_by_global_norm(grads, 10.0)
    np.testing.assert_array_equal(same["b"], grads["b"])
