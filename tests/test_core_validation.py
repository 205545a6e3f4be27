"""Bad input raises ValueError / KeyError naming the argument, what came and what was expected."""

from __future__ import annotations

import re

import numpy as np
import pytest
from core_helpers import problem

import gated_ref as gr


def test_unknown_cell_name() -> None:
    with pytest.raises(KeyError, match=r"cell name: got 'lstmm', expected one of rnn_tanh, lstm"):
        gr.cell("lstmm")


def test_x_wrong_rank() -> None:
    kernel, params, x, *_ = problem("lstm", 2, 3, 4, 5)
    with pytest.raises(ValueError, match=r"x: got \(3, 4\), expected a 3-D array \(T, B, I\)"):
        kernel.forward(x[0], params)


def test_x_wrong_input_size() -> None:
    kernel, params, x, *_ = problem("gru", 2, 3, 4, 5)
    with pytest.raises(
        ValueError, match=r"params\['weight_ih'\]: got shape \(15, 4\), expected \(15, 6\)"
    ):
        kernel.forward(np.zeros((2, 3, 6)), params)


def test_missing_parameter() -> None:
    kernel, params, x, *_ = problem("lstm_peephole", 2, 3, 4, 5)
    del params["weight_peephole"]
    with pytest.raises(KeyError, match=r"params: missing 'weight_peephole'; cell 'lstm_peephole'"):
        kernel.forward(x, params)


def test_unexpected_parameter() -> None:
    kernel, params, x, *_ = problem("lstm", 2, 3, 4, 5)
    params["weight_peephole"] = np.zeros((3, 5))
    with pytest.raises(ValueError, match=r"params: unexpected key\(s\) \['weight_peephole'\]"):
        kernel.forward(x, params)


def test_mixed_dtypes() -> None:
    kernel, params, x, *_ = problem("rnn_tanh", 2, 3, 4, 5)
    params["bias_hh"] = params["bias_hh"].astype(np.float32)
    with pytest.raises(
        ValueError, match=r"params\['bias_hh'\]: got dtype float32, expected float64"
    ):
        kernel.forward(x, params)


def test_integer_input_rejected() -> None:
    kernel, params, *_ = problem("rnn_tanh", 2, 3, 4, 5)
    with pytest.raises(ValueError, match=r"x: got dtype int64, expected float32 or float64"):
        kernel.forward(np.zeros((2, 3, 4), dtype=np.int64), params)


def test_state_wrong_shape_and_missing_key() -> None:
    kernel, params, x, state, *_ = problem("lstm", 2, 3, 4, 5)
    with pytest.raises(ValueError, match=r"state\['c'\]: got shape \(3, 4\), expected \(3, 5\)"):
        kernel.forward(x, params, {"h": state["h"], "c": np.zeros((3, 4))})
    with pytest.raises(KeyError, match=r"state: missing 'c'; cell 'lstm' expects \('h', 'c'\)"):
        kernel.forward(x, params, {"h": state["h"]})


def test_non_finite_input() -> None:
    kernel, params, x, *_ = problem("gru", 2, 3, 4, 5)
    x[1, 2, 3] = np.nan
    with pytest.raises(ValueError, match=r"x: got a non-finite value \(nan\), expected finite"):
        kernel.forward(x, params)


def test_dy_wrong_shape_and_foreign_cache() -> None:
    kernel, params, x, state, dy, _ = problem("lstm", 2, 3, 4, 5)
    _, _, cache = kernel.forward(x, params, state)
    with pytest.raises(ValueError, match=r"dy: got shape \(2, 3, 4\), expected \(2, 3, 5\)"):
        kernel.backward(dy[:, :, :4], cache)
    other = gr.lower(gr.cell("gru"))
    with pytest.raises(
        ValueError, match=r"cache: got one from 'lstm', expected the cache this 'gru'"
    ):
        other.backward(dy, cache)


def test_init_params_arguments() -> None:
    kernel = gr.lower(gr.cell("lstm"))
    with pytest.raises(ValueError, match=r"hidden_size: got 0, expected a positive integer"):
        kernel.init_params(3, 0)
    with pytest.raises(ValueError, match=r"dtype: got int32, expected float32 or float64"):
        kernel.init_params(3, 2, dtype=np.int32)
    p = kernel.init_params(3, 2, dtype=np.float32)
    assert {k: v.shape for k, v in p.items()} == {
        "weight_ih": (8, 3),
        "weight_hh": (8, 2),
        "bias_ih": (8,),
        "bias_hh": (8,),
    }
    assert all(v.dtype == np.float32 and np.abs(v).max() <= 2**-0.5 for v in p.values())


def test_none_state_means_zeros() -> None:
    kernel, params, x, state, *_ = problem("lstm", 3, 2, 4, 5)
    zeros = {s: np.zeros_like(v) for s, v in state.items()}
    y1, _, _ = kernel.forward(x, params, None)
    y2, _, _ = kernel.forward(x, params, zeros)
    np.testing.assert_array_equal(y1, y2)


def test_lower_and_derive_take_a_name_or_a_spec() -> None:
    assert gr.lower("gru").name == gr.lower(gr.cell("gru")).name == "gru"
    assert gr.derive("lstm").equation_ids == gr.derive(gr.cell("lstm")).equation_ids
    with pytest.raises(ValueError, match=r"spec: expected a CellSpec from gated_ref.cell\(name\)"):
        gr.lower(42)  # type: ignore[arg-type]
    with pytest.raises(KeyError, match=r"cell name: got 'lstmm'"):
        gr.derive("lstmm")


def test_changing_y_in_place_does_not_change_gradients() -> None:
    kernel, params, x, state, dy, dstate = problem("lstm", 3, 2, 4, 5)
    y, _, cache = kernel.forward(x, params, state)
    before = kernel.backward(dy, cache, dstate)
    y *= 0.0
    after = kernel.backward(dy, cache, dstate)
    for key in before:
        np.testing.assert_array_equal(before[key], after[key])


# ---- every public error path: the argument, what came, what was expected ---------------------

CELL_LIST = r"expected one of rnn_tanh, lstm, lstm_peephole"


@pytest.mark.parametrize("bad", [[], None, (("weight_ih", 1),)], ids=["list", "None", "tuple"])
def test_params_not_a_dict(bad: object) -> None:
    kernel, _, x, *_ = problem("lstm", 2, 3, 4, 5)
    got = re.escape(str(type(bad)))
    with pytest.raises(ValueError, match=rf"params: expected a dict of arrays, got {got}"):
        kernel.forward(x, bad)  # type: ignore[arg-type]


# problem(name, T=2, B=3, I=4, H=5): lstm has G*H = 20; lstm_proj has P = 4; indrnn has G = 1.
@pytest.mark.parametrize(
    "name, key, reshape, message",
    [
        (
            "lstm",
            "weight_hh",
            (1, 20, 5),
            r"got an array of shape \(1, 20, 5\), expected a 2-D array \(4H, H\)",
        ),
        (
            "lstm",
            "weight_hh",
            (100,),
            r"got an array of shape \(100,\), expected a 2-D array \(4H, H\)",
        ),
        ("lstm", "weight_ih", (1, 20, 4), r"got shape \(1, 20, 4\), expected \(20, 4\)"),
        ("lstm", "weight_ih", (80,), r"got shape \(80,\), expected \(20, 4\)"),
        ("lstm", "bias_ih", (20, 1), r"got shape \(20, 1\), expected \(20,\)"),
        ("lstm", "bias_hh", (1, 20), r"got shape \(1, 20\), expected \(20,\)"),
        (
            "lstm_proj",
            "weight_hr",
            (1, 4, 5),
            r"got an array of shape \(1, 4, 5\), expected a 2-D array \(P, H\)",
        ),
        (
            "indrnn",
            "weight_ih",
            (1, 5, 4),
            r"got an array of shape \(1, 5, 4\), expected a 2-D array \(H, I\)",
        ),
        ("indrnn", "recurrent_weight", (5,), r"got shape \(5,\), expected \(1, 5\)"),
    ],
    ids=[
        "lstm-weight_hh-3D",
        "lstm-weight_hh-1D",
        "lstm-weight_ih-3D",
        "lstm-weight_ih-1D",
        "lstm-bias_ih-2D",
        "lstm-bias_hh-2D",
        "lstm_proj-weight_hr-3D",
        "indrnn-weight_ih-3D",
        "indrnn-recurrent_weight-1D",
    ],
)
def test_parameter_of_the_wrong_rank(
    name: str, key: str, reshape: tuple[int, ...], message: str
) -> None:
    kernel, params, x, *_ = problem(name, 2, 3, 4, 5)
    params[key] = params[key].reshape(reshape)
    with pytest.raises(ValueError, match=rf"^params\[{key!r}\]: {message}"):
        kernel.forward(x, params)


def test_parameter_not_an_array() -> None:
    kernel, params, x, *_ = problem("lstm", 2, 3, 4, 5)
    params["bias_ih"] = params["bias_ih"].tolist()  # type: ignore[assignment]
    with pytest.raises(
        ValueError,
        match=r"params\['bias_ih'\]: expected a numpy array of shape \(20,\), got <class 'list'>",
    ):
        kernel.forward(x, params)


def _call_with_state(arg: str, kernel, x, params, state, dy, dstate) -> None:  # noqa: ANN001
    """forward with ``state`` (arg "state") or backward with ``dstate`` (arg "dstate")."""
    if arg == "state":
        kernel.forward(x, params, state)
    else:
        _, _, cache = kernel.forward(x, params)
        kernel.backward(dy, cache, state)


@pytest.mark.parametrize("arg", ["state", "dstate"])
@pytest.mark.parametrize(
    "case, error, message",
    [
        ("extra key", ValueError, r"{arg}: unexpected key\(s\) \['z'\]; expected \('h', 'c'\)"),
        ("missing key", KeyError, r"{arg}: missing 'c'; cell 'lstm' expects \('h', 'c'\)"),
        ("wrong shape", ValueError, r"{arg}\['c'\]: got shape \(3, 4\), expected \(3, 5\)"),
        ("wrong dtype", ValueError, r"{arg}\['h'\]: got dtype float32, expected float64"),
        (
            "not a dict",
            ValueError,
            r"{arg}: got an object of type list, expected None or a dict with keys \('h', 'c'\)",
        ),
    ],
    ids=["extra_key", "missing_key", "wrong_shape", "wrong_dtype", "not_a_dict"],
)
def test_state_and_dstate(arg: str, case: str, error: type, message: str) -> None:
    kernel, params, x, state, dy, _ = problem("lstm", 2, 3, 4, 5)
    bad: object = {
        "extra key": {**state, "z": state["h"]},
        "missing key": {"h": state["h"]},
        "wrong shape": {"h": state["h"], "c": state["c"][:, :4]},
        "wrong dtype": {"h": state["h"].astype(np.float32), "c": state["c"]},
        "not a dict": [state["h"], state["c"]],
    }[case]
    with pytest.raises(error, match=message.format(arg=arg)):
        _call_with_state(arg, kernel, x, params, bad, dy, None)


@pytest.mark.parametrize("shape", [(0, 3, 4), (2, 0, 4), (2, 3, 0)], ids=["T=0", "B=0", "I=0"])
def test_empty_dimension(shape: tuple[int, int, int]) -> None:
    kernel, params, *_ = problem("lstm", 2, 3, 4, 5)
    got = re.escape(str(shape))
    with pytest.raises(ValueError, match=rf"x: got shape {got}, expected T, B, I >= 1"):
        kernel.forward(np.zeros(shape), params)


@pytest.mark.parametrize("value", [np.nan, np.inf, -np.inf], ids=["nan", "+inf", "-inf"])
@pytest.mark.parametrize(
    "where",
    [
        "x",
        "params['weight_ih']",
        "params['weight_hh']",
        "params['bias_ih']",
        "params['bias_hh']",
        "state['h']",
        "state['c']",
        "dy",
        "dstate['h']",
        "dstate['c']",
    ],
)
def test_non_finite_values_rejected_everywhere(where: str, value: float) -> None:
    kernel, params, x, state, dy, dstate = problem("lstm", 2, 3, 4, 5)
    arrays = {"x": x, "dy": dy}
    arrays |= {f"params[{k!r}]": v for k, v in params.items()}
    arrays |= {f"state[{k!r}]": v for k, v in state.items()}
    arrays |= {f"dstate[{k!r}]": v for k, v in dstate.items()}
    target = arrays[where]
    target[(-1,) * target.ndim] = value  # the last entry: the check must look at every one
    message = rf"^{re.escape(where)}: got a non-finite value \({value}\), expected finite numbers"
    with pytest.raises(ValueError, match=message):
        _, _, cache = kernel.forward(x, params, state)
        kernel.backward(dy, cache, dstate)


@pytest.mark.parametrize(
    "make, got",
    [
        (lambda cache, params: [cache], r"got an object of type list"),
        (lambda cache, params: None, r"got None"),
        (lambda cache, params: params, r"got a dict without a 'cell' entry"),
        (lambda cache, params: {}, r"got a dict without a 'cell' entry"),
        (lambda cache, params: problem_cache("gru"), r"got one from 'gru'"),
        (lambda cache, params: problem_cache("indrnn"), r"got one from 'indrnn'"),
        (
            lambda cache, params: {k: v for k, v in cache.items() if k != "S_c"},
            r"missing \['S_c'\];",
        ),
        (
            lambda cache, params: {k: v for k, v in cache.items() if k != "x"},
            r"missing \['x'\];",
        ),
    ],
    ids=[
        "list",
        "None",
        "the_params_dict",
        "empty_dict",
        "gru_cache",
        "indrnn_cache",
        "without_S_c",
        "without_x",
    ],
)
def test_not_a_cache(make, got: str) -> None:  # noqa: ANN001
    kernel, params, x, state, dy, _ = problem("lstm", 2, 3, 4, 5)
    _, _, cache = kernel.forward(x, params, state)
    expected = r"expected the cache this 'lstm' kernel's forward returned"
    with pytest.raises(ValueError, match=rf"^cache: {got},? {expected}"):
        kernel.backward(dy, make(cache, params))


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"rng": 5}, r"^rng: got an object of type int, expected a numpy.random.Generator or None"),
        ({"rng": np.random.RandomState(0)}, r"^rng: got an object of type RandomState, expected"),
        ({"dtype": "foo"}, r"^dtype: got 'foo', expected float32 or float64"),
        ({"dtype": np.int32}, r"^dtype: got int32, expected float32 or float64"),
    ],
    ids=["rng-int", "rng-RandomState", "dtype-foo", "dtype-int32"],
)
def test_init_params_rng_and_dtype(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        gr.lower("lstm").init_params(3, 4, **kwargs)


def problem_cache(name: str) -> dict:
    """The cache of a forward pass of cell ``name`` on a small problem."""
    kernel, params, x, state, *_ = problem(name, 2, 3, 4, 5)
    return kernel.forward(x, params, state)[2]


@pytest.mark.parametrize("arg", ["input_size", "hidden_size", "proj_size"])
@pytest.mark.parametrize("value", [2.0, True, 0, -1, "3", None, np.int64(0)], ids=repr)
def test_init_params_sizes(arg: str, value: object) -> None:
    kernel = gr.lower("lstm_proj")
    sizes = {"input_size": 3, "hidden_size": 4, "proj_size": 2, arg: value}
    with pytest.raises(ValueError, match=rf"^{arg}: got {re.escape(repr(value))}, expected a pos"):
        kernel.init_params(**sizes)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "name, extra, message",
    [
        ("lstm_proj", {}, r"sizes: got none, cell 'lstm_proj' expects \['proj_size'\]"),
        ("lstm", {"proj_size": 2}, r"sizes: got \['proj_size'\], cell 'lstm' expects none"),
        ("lstm_proj", {"proj_size": 2, "foo": 1}, r"sizes: got \['foo', 'proj_size'\], cell"),
    ],
    ids=["proj_size_missing", "proj_size_on_lstm", "unknown_size"],
)
def test_init_params_extra_sizes(name: str, extra: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        gr.lower(name).init_params(3, 4, **extra)


@pytest.mark.parametrize("function", [gr.cell, gr.lower, gr.derive, gr.check])
@pytest.mark.parametrize("name", ["lstmm", "", "LSTM", " lstm"], ids=repr)
def test_unknown_names(function, name: str) -> None:  # noqa: ANN001
    with pytest.raises(KeyError, match=rf"cell name: got {re.escape(repr(name))}, {CELL_LIST}"):
        function(name)


@pytest.mark.parametrize("bad", [42, None, b"lstm", ["lstm"]], ids=repr)
@pytest.mark.parametrize(
    "function, error, message",
    [
        (gr.cell, KeyError, r"cell name: got {got}, " + CELL_LIST),
        (gr.lower, ValueError, r"spec: expected a CellSpec from gated_ref.cell\(name\), got {t}"),
        (gr.derive, ValueError, r"spec: expected a CellSpec from gated_ref.cell\(name\), got {t}"),
        (gr.check, ValueError, r"spec: expected a CellSpec or a cell name, got {t}"),
    ],
    ids=["cell", "lower", "derive", "check"],
)
def test_not_a_name_nor_a_spec(function, error: type, message: str, bad: object) -> None:  # noqa: ANN001
    expected = message.format(got=re.escape(repr(bad)), t=re.escape(str(type(bad))))
    with pytest.raises(error, match=expected):
        function(bad)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"sizes": {"foo": 1}}, r"sizes: got unknown \['foo'\], expected keys among \['batch'"),
        ({"sizes": {"batch": 0}}, r"sizes\['batch'\]: got 0, expected a positive integer"),
        ({"sizes": {"steps": 2.0}}, r"sizes\['steps'\]: got 2.0, expected a positive integer"),
        ({"sizes": {"batch": True}}, r"sizes\['batch'\]: got True, expected a positive integer"),
        ({"sizes": [("batch", 2)]}, r"sizes: got <class 'list'>, expected a mapping"),
        ({"seed": "a"}, r"seed: got 'a', expected a non-negative integer"),
        ({"seed": -1}, r"seed: got -1, expected a non-negative integer"),
    ],
    ids=["unknown_size", "zero", "float", "bool", "sizes_not_a_mapping", "seed_str", "seed<0"],
)
def test_check_arguments(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        gr.check("rnn_tanh", **kwargs)


def test_check_input_size_of_an_elementwise_cell() -> None:
    with pytest.raises(ValueError, match=r"sizes\['input_size'\]: got 3, expected the hidden size"):
        gr.check("gru_mut1", sizes={"input_size": 3, "hidden_size": 4})


@pytest.mark.parametrize("cse", ["no", 0, None], ids=repr)
def test_lower_cse_must_be_a_bool(cse: object) -> None:
    with pytest.raises(
        ValueError, match=rf"^cse: got {re.escape(repr(cse))}, expected True or False"
    ):
        gr.lower("gru", cse=cse)  # type: ignore[arg-type]
