"""Independent PyTorch references of the zoo cells, written from the papers' equations.

Each ``step_<name>(params, x_t, state)`` is one time step written by hand from the equations of
/work/shared/zoo/CELLS.md (Greff et al. 2017; Jozefowicz et al. 2015; Zhou et al. 2016; Li et
al. 2018; ``torch.nn.LSTM(proj_size=P)``), with the parameter names and layouts stated there.
Nothing here reads gated_ref: the tests compare gated_ref's generated kernels against these.

Shapes: ``x_t`` (B, I); every state (B, size); params as in CELLS.md (row blocks per gate).
A linear map ``W v`` of a batch of row vectors is ``v @ W.T``.

The activations are module globals (``sigmoid``, ``tanh``, ``relu``) and :func:`run` looks the
step function up by name at call time, so a test can monkeypatch either to break the oracle.
"""

from __future__ import annotations

import torch

Tensor = torch.Tensor
Params = dict[str, Tensor]
State = dict[str, Tensor]

sigmoid = torch.sigmoid
tanh = torch.tanh
relu = torch.relu

#: The new cells of CELLS.md, in its order.
NEW_CELLS: tuple[str, ...] = (
    "lstm_nig",
    "lstm_nfg",
    "lstm_nog",
    "lstm_niaf",
    "lstm_noaf",
    "lstm_fgr",
    "gru_mut1",
    "gru_mut2",
    "gru_mut3",
    "mgu",
    "indrnn",
    "lstm_proj",
)

#: Cells gated_ref already had, referenced here to prove the harness before the zoo lands.
EXISTING_CELLS: tuple[str, ...] = ("lstm", "lstm_peephole", "lstm_cifg", "lstm_1997", "gru")

#: The state keys of every cell referenced here, in the order of CELLS.md.
STATES: dict[str, tuple[str, ...]] = {
    "lstm_nig": ("h", "c"),
    "lstm_nfg": ("h", "c"),
    "lstm_nog": ("h", "c"),
    "lstm_niaf": ("h", "c"),
    "lstm_noaf": ("h", "c"),
    "lstm_fgr": ("h", "c", "i", "f", "o"),
    "gru_mut1": ("h",),
    "gru_mut2": ("h",),
    "gru_mut3": ("h",),
    "mgu": ("h",),
    "indrnn": ("h",),
    "lstm_proj": ("h", "c"),
    "lstm": ("h", "c"),
    "lstm_peephole": ("h", "c"),
    "lstm_cifg": ("h", "c"),
    "lstm_1997": ("h", "c"),
    "gru": ("h",),
}


def state_sizes(name: str, hidden_size: int, proj_size: int | None = None) -> dict[str, int]:
    """Width of every state of ``name``: H, except h of ``lstm_proj``, which is P."""
    sizes = dict.fromkeys(STATES[name], hidden_size)
    if name == "lstm_proj":
        sizes["h"] = proj_size
    return sizes


#: (blocks of weight_ih, blocks of weight_hh, rows of weight_peephole) of the gated cells.
_BLOCKS: dict[str, tuple[int, int, int]] = {
    "lstm_nig": (3, 3, 2),
    "lstm_nfg": (3, 3, 2),
    "lstm_nog": (3, 3, 2),
    "lstm_niaf": (4, 4, 3),
    "lstm_noaf": (4, 4, 3),
    "lstm_fgr": (4, 4, 3),
    "gru_mut1": (2, 2, 0),
    "gru_mut2": (2, 3, 0),
    "gru_mut3": (3, 3, 0),
    "mgu": (2, 2, 0),
    "lstm_proj": (4, 4, 0),
    "lstm": (4, 4, 0),
    "lstm_peephole": (4, 4, 3),
    "lstm_cifg": (3, 3, 0),
    "lstm_1997": (3, 3, 0),
    "gru": (3, 3, 0),
}


def param_shapes(
    name: str, input_size: int, hidden_size: int, proj_size: int | None = None
) -> dict[str, tuple[int, ...]]:
    """The shape of every parameter of ``name``, as CELLS.md lays them out."""
    n_in, hid = input_size, hidden_size
    if name == "indrnn":
        return {"weight_ih": (hid, n_in), "bias_ih": (hid,), "recurrent_weight": (1, hid)}
    g_x, g_h, peep = _BLOCKS[name]
    src = proj_size if name == "lstm_proj" else hid
    shapes = {
        "weight_ih": (g_x * hid, n_in),
        "weight_hh": (g_h * hid, src),
        "bias_ih": (g_x * hid,),
        "bias_hh": (g_h * hid,),
    }
    if peep:
        shapes["weight_peephole"] = (peep, hid)
    if name == "lstm_fgr":
        shapes.update({f"weight_from_{j}": (3 * hid, hid) for j in ("i", "f", "o")})
    if name == "lstm_proj":
        shapes["weight_hr"] = (proj_size, hid)
    return shapes


# ---- the affine maps ---------------------------------------------------------------------


def _split(w: Tensor, gates: tuple[str, ...]) -> dict[str, Tensor]:
    """Equal row blocks of ``w``, one per gate, in the order given."""
    return dict(zip(gates, torch.chunk(w, len(gates), dim=0), strict=True))


def _ax(p: Params, x_t: Tensor, gates: tuple[str, ...]) -> dict[str, Tensor]:
    """W_k x_t + b^x_k for every gate k of ``weight_ih``'s blocks."""
    w, b = _split(p["weight_ih"], gates), _split(p["bias_ih"], gates)
    return {k: x_t @ w[k].T + b[k] for k in gates}


def _ah(p: Params, s: Tensor, gates: tuple[str, ...]) -> dict[str, Tensor]:
    """U_k s + b^h_k for every gate k of ``weight_hh``'s blocks."""
    w, b = _split(p["weight_hh"], gates), _split(p["bias_hh"], gates)
    return {k: s @ w[k].T + b[k] for k in gates}


def _peep(p: Params, gates: tuple[str, ...]) -> dict[str, Tensor]:
    """The peephole vectors p_k: one row of ``weight_peephole`` per gate, in the order given."""
    assert p["weight_peephole"].shape[0] == len(gates)
    return {k: p["weight_peephole"][n] for n, k in enumerate(gates)}


# ---- the cells gated_ref already had (harness check) ---------------------------------------


def step_lstm(p: Params, x_t: Tensor, state: State) -> State:
    """torch.nn.LSTM: blocks i, f, g, o; c = f c + i g; h = o tanh(c)."""
    gates = ("i", "f", "g", "o")
    h, c_prev = state["h"], state["c"]
    ax, ah = _ax(p, x_t, gates), _ah(p, h, gates)
    i = sigmoid(ax["i"] + ah["i"])
    f = sigmoid(ax["f"] + ah["f"])
    g = tanh(ax["g"] + ah["g"])
    o = sigmoid(ax["o"] + ah["o"])
    c = f * c_prev + i * g
    return {"h": o * tanh(c), "c": c}


def step_lstm_peephole(p: Params, x_t: Tensor, state: State) -> State:
    """Gers & Schmidhuber (2000), Greff's vanilla LSTM: i, f peep at c_{t-1}, o at c_t."""
    gates = ("i", "f", "g", "o")
    h, c_prev = state["h"], state["c"]
    ax, ah, pp = _ax(p, x_t, gates), _ah(p, h, gates), _peep(p, ("i", "f", "o"))
    i = sigmoid(ax["i"] + ah["i"] + pp["i"] * c_prev)
    f = sigmoid(ax["f"] + ah["f"] + pp["f"] * c_prev)
    g = tanh(ax["g"] + ah["g"])
    c = f * c_prev + i * g
    o = sigmoid(ax["o"] + ah["o"] + pp["o"] * c)
    return {"h": o * tanh(c), "c": c}


def step_lstm_cifg(p: Params, x_t: Tensor, state: State) -> State:
    """Coupled input and forget gates, no peepholes: blocks f, g, o; i = 1 - f."""
    gates = ("f", "g", "o")
    h, c_prev = state["h"], state["c"]
    ax, ah = _ax(p, x_t, gates), _ah(p, h, gates)
    f = sigmoid(ax["f"] + ah["f"])
    g = tanh(ax["g"] + ah["g"])
    o = sigmoid(ax["o"] + ah["o"])
    c = f * c_prev + (1 - f) * g
    return {"h": o * tanh(c), "c": c}


def step_lstm_1997(p: Params, x_t: Tensor, state: State) -> State:
    """Hochreiter & Schmidhuber (1997): blocks i, g, o; c = c_prev + i g; h = o tanh(c)."""
    gates = ("i", "g", "o")
    h, c_prev = state["h"], state["c"]
    ax, ah = _ax(p, x_t, gates), _ah(p, h, gates)
    i = sigmoid(ax["i"] + ah["i"])
    g = tanh(ax["g"] + ah["g"])
    o = sigmoid(ax["o"] + ah["o"])
    c = c_prev + i * g
    return {"h": o * tanh(c), "c": c}


def step_gru(p: Params, x_t: Tensor, state: State) -> State:
    """torch.nn.GRU: blocks r, z, n; n = tanh(W_n x + b + r (U_n h + b)); h = (1-z) n + z h."""
    gates = ("r", "z", "n")
    h = state["h"]
    ax, ah = _ax(p, x_t, gates), _ah(p, h, gates)
    r = sigmoid(ax["r"] + ah["r"])
    z = sigmoid(ax["z"] + ah["z"])
    n = tanh(ax["n"] + r * ah["n"])
    return {"h": (1 - z) * n + z * h}


# ---- Greff et al. (2017): the LSTM variants ------------------------------------------------


def step_lstm_nig(p: Params, x_t: Tensor, state: State) -> State:
    """NIG, no input gate: c = f c_prev + g. Blocks f, g, o; peepholes (f, o)."""
    gates = ("f", "g", "o")
    h, c_prev = state["h"], state["c"]
    ax, ah, pp = _ax(p, x_t, gates), _ah(p, h, gates), _peep(p, ("f", "o"))
    f = sigmoid(ax["f"] + ah["f"] + pp["f"] * c_prev)
    g = tanh(ax["g"] + ah["g"])
    c = f * c_prev + g
    o = sigmoid(ax["o"] + ah["o"] + pp["o"] * c)
    return {"h": o * tanh(c), "c": c}


def step_lstm_nfg(p: Params, x_t: Tensor, state: State) -> State:
    """NFG, no forget gate: c = c_prev + i g. Blocks i, g, o; peepholes (i, o)."""
    gates = ("i", "g", "o")
    h, c_prev = state["h"], state["c"]
    ax, ah, pp = _ax(p, x_t, gates), _ah(p, h, gates), _peep(p, ("i", "o"))
    i = sigmoid(ax["i"] + ah["i"] + pp["i"] * c_prev)
    g = tanh(ax["g"] + ah["g"])
    c = c_prev + i * g
    o = sigmoid(ax["o"] + ah["o"] + pp["o"] * c)
    return {"h": o * tanh(c), "c": c}


def step_lstm_nog(p: Params, x_t: Tensor, state: State) -> State:
    """NOG, no output gate: h = tanh(c). Blocks i, f, g; peepholes (i, f)."""
    gates = ("i", "f", "g")
    h, c_prev = state["h"], state["c"]
    ax, ah, pp = _ax(p, x_t, gates), _ah(p, h, gates), _peep(p, ("i", "f"))
    i = sigmoid(ax["i"] + ah["i"] + pp["i"] * c_prev)
    f = sigmoid(ax["f"] + ah["f"] + pp["f"] * c_prev)
    g = tanh(ax["g"] + ah["g"])
    c = f * c_prev + i * g
    return {"h": tanh(c), "c": c}


def step_lstm_niaf(p: Params, x_t: Tensor, state: State) -> State:
    """NIAF, no input activation function: g is the bare pre-activation. Peepholes (i, f, o)."""
    gates = ("i", "f", "g", "o")
    h, c_prev = state["h"], state["c"]
    ax, ah, pp = _ax(p, x_t, gates), _ah(p, h, gates), _peep(p, ("i", "f", "o"))
    i = sigmoid(ax["i"] + ah["i"] + pp["i"] * c_prev)
    f = sigmoid(ax["f"] + ah["f"] + pp["f"] * c_prev)
    g = ax["g"] + ah["g"]
    c = f * c_prev + i * g
    o = sigmoid(ax["o"] + ah["o"] + pp["o"] * c)
    return {"h": o * tanh(c), "c": c}


def step_lstm_noaf(p: Params, x_t: Tensor, state: State) -> State:
    """NOAF, no output activation function: h = o c. Peepholes (i, f, o)."""
    gates = ("i", "f", "g", "o")
    h, c_prev = state["h"], state["c"]
    ax, ah, pp = _ax(p, x_t, gates), _ah(p, h, gates), _peep(p, ("i", "f", "o"))
    i = sigmoid(ax["i"] + ah["i"] + pp["i"] * c_prev)
    f = sigmoid(ax["f"] + ah["f"] + pp["f"] * c_prev)
    g = tanh(ax["g"] + ah["g"])
    c = f * c_prev + i * g
    o = sigmoid(ax["o"] + ah["o"] + pp["o"] * c)
    return {"h": o * c, "c": c}


def step_lstm_fgr(p: Params, x_t: Tensor, state: State) -> State:
    """FGR, full gate recurrence: the peephole LSTM, and the pre-activation of every gate k in
    (i, f, o) adds R^(i)_k i_prev + R^(f)_k f_prev + R^(o)_k o_prev (no bias); ``weight_from_j``
    holds R^(j) as row blocks (i, f, o). The gate values are carried as states i, f, o."""
    gates = ("i", "f", "g", "o")
    h, c_prev = state["h"], state["c"]
    ax, ah, pp = _ax(p, x_t, gates), _ah(p, h, gates), _peep(p, ("i", "f", "o"))
    rec = {k: 0.0 for k in ("i", "f", "o")}
    for j in ("i", "f", "o"):
        r_j = _split(p[f"weight_from_{j}"], ("i", "f", "o"))
        for k in ("i", "f", "o"):
            rec[k] = rec[k] + state[j] @ r_j[k].T
    i = sigmoid(ax["i"] + ah["i"] + pp["i"] * c_prev + rec["i"])
    f = sigmoid(ax["f"] + ah["f"] + pp["f"] * c_prev + rec["f"])
    g = tanh(ax["g"] + ah["g"])
    c = f * c_prev + i * g
    o = sigmoid(ax["o"] + ah["o"] + pp["o"] * c + rec["o"])
    return {"h": o * tanh(c), "c": c, "i": i, "f": f, "o": o}


# ---- Jozefowicz et al. (2015): the three mutated GRUs --------------------------------------


def step_gru_mut1(p: Params, x_t: Tensor, state: State) -> State:
    """MUT1: z = σ(W_z x + b), no recurrent term; n = tanh(U_n (r h) + b^h_n + tanh(x)).
    weight_ih blocks (r, z); weight_hh blocks (r, n). Needs I == H."""
    h = state["h"]
    ax, ah = _ax(p, x_t, ("r", "z")), _ah(p, h, ("r", "n"))
    z = sigmoid(ax["z"])
    r = sigmoid(ax["r"] + ah["r"])
    u_n, b_n = _split(p["weight_hh"], ("r", "n"))["n"], _split(p["bias_hh"], ("r", "n"))["n"]
    n = tanh((r * h) @ u_n.T + b_n + tanh(x_t))
    return {"h": n * z + h * (1 - z)}


def step_gru_mut2(p: Params, x_t: Tensor, state: State) -> State:
    """MUT2: r = σ(x + U_r h + b^h_r), no W_r; n = tanh(U_n (r h) + b^h_n + W_n x + b^x_n).
    weight_ih blocks (z, n); weight_hh blocks (r, z, n). Needs I == H."""
    h = state["h"]
    ax, ah = _ax(p, x_t, ("z", "n")), _ah(p, h, ("r", "z", "n"))
    z = sigmoid(ax["z"] + ah["z"])
    r = sigmoid(x_t + ah["r"])
    u_n, b_n = (_split(p[k], ("r", "z", "n"))["n"] for k in ("weight_hh", "bias_hh"))
    n = tanh((r * h) @ u_n.T + b_n + ax["n"])
    return {"h": n * z + h * (1 - z)}


def step_gru_mut3(p: Params, x_t: Tensor, state: State) -> State:
    """MUT3: z = σ(W_z x + b^x_z + U_z tanh(h) + b^h_z); n = tanh(U_n (r h) + b^h_n + W_n x +
    b^x_n). Blocks (r, z, n) in both matrices."""
    gates = ("r", "z", "n")
    h = state["h"]
    ax = _ax(p, x_t, gates)
    u, b = _split(p["weight_hh"], gates), _split(p["bias_hh"], gates)
    z = sigmoid(ax["z"] + tanh(h) @ u["z"].T + b["z"])
    r = sigmoid(ax["r"] + h @ u["r"].T + b["r"])
    n = tanh((r * h) @ u["n"].T + b["n"] + ax["n"])
    return {"h": n * z + h * (1 - z)}


# ---- Zhou et al. (2016), Li et al. (2018), torch's projected LSTM --------------------------


def step_mgu(p: Params, x_t: Tensor, state: State) -> State:
    """Minimal gated unit: f = σ(..); n = tanh(W_n x + b^x_n + U_n (f h) + b^h_n);
    h = (1 - f) h + f n. Blocks (f, n)."""
    gates = ("f", "n")
    h = state["h"]
    ax = _ax(p, x_t, gates)
    u, b = _split(p["weight_hh"], gates), _split(p["bias_hh"], gates)
    f = sigmoid(ax["f"] + h @ u["f"].T + b["f"])
    n = tanh(ax["n"] + (f * h) @ u["n"].T + b["n"])
    return {"h": (1 - f) * h + f * n}


def step_indrnn(p: Params, x_t: Tensor, state: State) -> State:
    """IndRNN: h = relu(W x + b + u * h_prev), u = ``recurrent_weight`` (1, H) elementwise."""
    a = x_t @ p["weight_ih"].T + p["bias_ih"] + p["recurrent_weight"][0] * state["h"]
    return {"h": relu(a)}


def step_lstm_proj(p: Params, x_t: Tensor, state: State) -> State:
    """torch.nn.LSTM(proj_size=P): the LSTM with h (size P) = W_hr (o tanh(c))."""
    gates = ("i", "f", "g", "o")
    h, c_prev = state["h"], state["c"]
    ax, ah = _ax(p, x_t, gates), _ah(p, h, gates)
    i = sigmoid(ax["i"] + ah["i"])
    f = sigmoid(ax["f"] + ah["f"])
    g = tanh(ax["g"] + ah["g"])
    o = sigmoid(ax["o"] + ah["o"])
    c = f * c_prev + i * g
    return {"h": (o * tanh(c)) @ p["weight_hr"].T, "c": c}


# ---- the sequence ------------------------------------------------------------------------


def run(name: str, params: Params, x: Tensor, state: State) -> tuple[Tensor, State]:
    """Run cell ``name`` over ``x`` (T, B, I) from ``state``: y = the h sequence, final state."""
    step = globals()[f"step_{name}"]
    assert set(state) == set(STATES[name]), (name, sorted(state))
    ys = []
    for t in range(x.shape[0]):
        state = step(params, x[t], state)
        assert set(state) == set(STATES[name]), (name, sorted(state))
        ys.append(state["h"])
    return torch.stack(ys), state
