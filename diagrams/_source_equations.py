"""Each source's LSTM/GRU equations, written in NumPy from that source's own text.

The conventions tables check gated_ref's converters against these: each function reads the
arrays in the order and layout its source documents (nothing here imports
``gated_ref.conventions``). Not a diagram itself. Shapes: x (T, B, I); states (B, H); every
function returns y (T, B, H), the hidden state after each step.
"""

from __future__ import annotations

import numpy as np


def sigmoid(a: np.ndarray) -> np.ndarray:
    """The logistic function."""
    return 1.0 / (1.0 + np.exp(-a))


def _lstm_update(i, f, g, o, c):  # noqa: ANN001, ANN202
    c = f * c + i * g
    return o * np.tanh(c), c


# ---- frameworks -------------------------------------------------------------------------------
def pytorch_lstm(p: dict, x: np.ndarray, h: np.ndarray, c: np.ndarray) -> np.ndarray:
    """torch.nn.LSTM docs: weight_ih_l0 is (W_ii|W_if|W_ig|W_io), rows stacked i, f, g, o."""
    ys = []
    for x_t in x:
        a = x_t @ p["weight_ih"].T + p["bias_ih"] + h @ p["weight_hh"].T + p["bias_hh"]
        i, f, g, o = np.split(a, 4, axis=1)
        h, c = _lstm_update(sigmoid(i), sigmoid(f), np.tanh(g), sigmoid(o), c)
        ys.append(h)
    return np.stack(ys)


def pytorch_gru(p: dict, x: np.ndarray, h: np.ndarray) -> np.ndarray:
    """torch.nn.GRU docs: (W_ir|W_iz|W_in); n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn));
    h' = (1 - z) ⊙ n + z ⊙ h."""
    ys = []
    for x_t in x:
        ax = np.split(x_t @ p["weight_ih"].T + p["bias_ih"], 3, axis=1)
        ah = np.split(h @ p["weight_hh"].T + p["bias_hh"], 3, axis=1)
        r, z = sigmoid(ax[0] + ah[0]), sigmoid(ax[1] + ah[1])
        n = np.tanh(ax[2] + r * ah[2])
        h = (1 - z) * n + z * h
        ys.append(h)
    return np.stack(ys)


def onnx_lstm(a: dict, x: np.ndarray, h: np.ndarray, c: np.ndarray) -> np.ndarray:
    """ONNX LSTM (no peepholes): W[iofc], R[iofc], B = [Wb[iofc], Rb[iofc]], one direction."""
    W, R, B = a["W"][0], a["R"][0], a["B"][0]  # noqa: N806
    wb, rb = np.split(B, 2)
    ys = []
    for x_t in x:
        i, o, f, cc = np.split(x_t @ W.T + h @ R.T + wb + rb, 4, axis=1)
        h, c = _lstm_update(sigmoid(i), sigmoid(f), np.tanh(cc), sigmoid(o), c)
        ys.append(h)
    return np.stack(ys)


def onnx_gru(a: dict, x: np.ndarray, h: np.ndarray, linear_before_reset: int) -> np.ndarray:
    """ONNX GRU: W[zrh], R[zrh], B = [Wb[zrh], Rb[zrh]]; Ht = (1 - zt) ⊙ ht + zt ⊙ Ht-1."""
    W, R, B = a["W"][0], a["R"][0], a["B"][0]  # noqa: N806
    wz, wr, wh = np.split(W, 3)
    rz, rr, rh = np.split(R, 3)
    wbz, wbr, wbh, rbz, rbr, rbh = np.split(B, 6)
    ys = []
    for x_t in x:
        z = sigmoid(x_t @ wz.T + h @ rz.T + wbz + rbz)
        r = sigmoid(x_t @ wr.T + h @ rr.T + wbr + rbr)
        if linear_before_reset:
            ht = np.tanh(x_t @ wh.T + r * (h @ rh.T + rbh) + wbh)
        else:
            ht = np.tanh(x_t @ wh.T + (r * h) @ rh.T + rbh + wbh)
        h = (1 - z) * ht + z * h
        ys.append(h)
    return np.stack(ys)


def keras_lstm(a: dict, x: np.ndarray, h: np.ndarray, c: np.ndarray) -> np.ndarray:
    """keras.layers.LSTMCell: z = x @ kernel + h @ recurrent_kernel + bias, split i, f, c, o."""
    ys = []
    for x_t in x:
        z = x_t @ a["kernel"] + h @ a["recurrent_kernel"] + a["bias"]
        i, f, cc, o = np.split(z, 4, axis=1)
        h, c = _lstm_update(sigmoid(i), sigmoid(f), np.tanh(cc), sigmoid(o), c)
        ys.append(h)
    return np.stack(ys)


def keras_gru(a: dict, x: np.ndarray, h: np.ndarray, reset_after: bool) -> np.ndarray:
    """keras.layers.GRUCell, blocks z, r, h; bias (2, 3H) when reset_after; h = z h + (1-z) hh."""
    units = h.shape[1]
    k, rk, b = a["kernel"], a["recurrent_kernel"], a["bias"]
    input_bias, recurrent_bias = (b[0], b[1]) if reset_after else (b, 0.0)
    ys = []
    for x_t in x:
        x_z, x_r, x_h = np.split(x_t @ k + input_bias, 3, axis=1)
        inner = h @ rk + recurrent_bias
        z = sigmoid(x_z + inner[:, :units])
        r = sigmoid(x_r + inner[:, units : 2 * units])
        if reset_after:
            rec_h = r * inner[:, 2 * units :]
        else:
            rec_h = (r * h) @ rk[:, 2 * units :]
        h = z * h + (1 - z) * np.tanh(x_h + rec_h)
        ys.append(h)
    return np.stack(ys)


def cudnn_lstm(m: list, b: list, x: np.ndarray, h: np.ndarray, c: np.ndarray) -> np.ndarray:
    """cuDNN CUDNN_LSTM: matrices and biases by linLayerID, 0-3 on x (i, f, c', o), 4-7 on h."""
    ys = []
    for x_t in x:
        pre = [x_t @ m[k].T + h @ m[k + 4].T + b[k] + b[k + 4] for k in range(4)]
        h, c = _lstm_update(sigmoid(pre[0]), sigmoid(pre[1]), np.tanh(pre[2]), sigmoid(pre[3]), c)
        ys.append(h)
    return np.stack(ys)


def cudnn_gru(m: list, b: list, x: np.ndarray, h: np.ndarray) -> np.ndarray:
    """cuDNN CUDNN_GRU: linLayerID 0-2 on x (r, i = update, h'), 3-5 on h;
    h'_t = tanh(W_h x + r ⊙ (R_h h + b_Rh) + b_Wh); h_t = (1 - i) ⊙ h' + i ⊙ h."""
    ys = []
    for x_t in x:
        r = sigmoid(x_t @ m[0].T + h @ m[3].T + b[0] + b[3])
        i = sigmoid(x_t @ m[1].T + h @ m[4].T + b[1] + b[4])
        hp = np.tanh(x_t @ m[2].T + r * (h @ m[5].T + b[5]) + b[2])
        h = (1 - i) * hp + i * h
        ys.append(h)
    return np.stack(ys)


# ---- texts -------------------------------------------------------------------------------------
def colah_lstm(a: dict, x: np.ndarray, h: np.ndarray, c: np.ndarray) -> np.ndarray:
    """colah (2015): f_t = σ(W_f·[h_{t-1}, x_t] + b_f), i_t, C~_t (tanh), o_t likewise."""
    w_i, w_f, w_c, w_o = np.split(a["W"], 4)
    b_i, b_f, b_c, b_o = np.split(a["b"], 4)
    ys = []
    for x_t in x:
        hx = np.concatenate([h, x_t], axis=1)
        f = sigmoid(hx @ w_f.T + b_f)
        i = sigmoid(hx @ w_i.T + b_i)
        c_tilde = np.tanh(hx @ w_c.T + b_c)
        c = f * c + i * c_tilde
        h = sigmoid(hx @ w_o.T + b_o) * np.tanh(c)
        ys.append(h)
    return np.stack(ys)


def colah_gru(a: dict, x: np.ndarray, h: np.ndarray) -> np.ndarray:
    """colah (2015): z_t = σ(W_z·[h_{t-1}, x_t]), r_t likewise,
    h~_t = tanh(W·[r_t * h_{t-1}, x_t]), h_t = (1 - z_t) * h_{t-1} + z_t * h~_t; plus b."""
    w_r, w_z, w_h = np.split(a["W"], 3)
    b_r, b_z, b_h = np.split(a["b"], 3)
    ys = []
    for x_t in x:
        hx = np.concatenate([h, x_t], axis=1)
        z = sigmoid(hx @ w_z.T + b_z)
        r = sigmoid(hx @ w_r.T + b_r)
        h_tilde = np.tanh(np.concatenate([r * h, x_t], axis=1) @ w_h.T + b_h)
        h = (1 - z) * h + z * h_tilde
        ys.append(h)
    return np.stack(ys)


def karpathy_lstm(a: dict, x: np.ndarray, h: np.ndarray, c: np.ndarray) -> np.ndarray:
    """Karpathy's lstm.py: Hin = [1, x_t, h_{t-1}], IFOG = Hin.dot(WLSTM), σ on IFO, tanh on G."""
    d = h.shape[1]
    ys = []
    for x_t in x:
        hin = np.concatenate([np.ones((x_t.shape[0], 1)), x_t, h], axis=1)
        ifog = hin @ a["WLSTM"]
        ifo, g = sigmoid(ifog[:, : 3 * d]), np.tanh(ifog[:, 3 * d :])
        c = ifo[:, :d] * g + ifo[:, d : 2 * d] * c
        h = ifo[:, 2 * d :] * np.tanh(c)
        ys.append(h)
    return np.stack(ys)


def textbook_gru(
    p: dict, x: np.ndarray, h: np.ndarray, keeps: str, reset_after: bool
) -> np.ndarray:
    """A GRU as a text writes it: ``keeps`` ("z" or "1 - z") multiplies h_{t-1}; the candidate
    resets before the recurrent matrix (Cho, d2l, Chung, colah, Wikipedia) or after (PyTorch).
    Weights per gate: W_r, W_z, W_h (on x), U_r, U_z, U_h (on h), biases bx_*, bh_*."""
    ys = []
    for x_t in x:
        z = sigmoid(x_t @ p["W_z"].T + p["bx_z"] + h @ p["U_z"].T + p["bh_z"])
        r = sigmoid(x_t @ p["W_r"].T + p["bx_r"] + h @ p["U_r"].T + p["bh_r"])
        if reset_after:
            cand = np.tanh(x_t @ p["W_h"].T + p["bx_h"] + r * (h @ p["U_h"].T + p["bh_h"]))
        else:
            cand = np.tanh(x_t @ p["W_h"].T + p["bx_h"] + (r * h) @ p["U_h"].T + p["bh_h"])
        h = z * h + (1 - z) * cand if keeps == "z" else (1 - z) * h + z * cand
        ys.append(h)
    return np.stack(ys)
