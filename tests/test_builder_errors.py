"""A malformed cell raises a ValueError naming the cell and the culprit, before any code exists."""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable
from pathlib import Path

import pytest
import sympy as sp

import gated_ref as gr

NAME = "broken_cell"

# the module, not the function of the same name that gated_ref exports
lower_module = importlib.import_module("gated_ref.lower")


def builder(states: tuple[str, ...] = ("h",), gates: tuple[str, ...] = ("z", "n")):  # noqa: ANN201
    """A fresh builder for a would-be GRU-like cell."""
    return gr.CellBuilder(NAME, title="broken", reference="tests", states=states, gates=gates)


def undefined_state() -> gr.CellSpec:
    cell = builder(states=("h", "c"))
    z = cell.node("z", gr.sigmoid(cell.ax("z") + cell.ah("z")))
    n = cell.node("n", sp.tanh(cell.ax("n") + cell.ah("n")))
    cell.node("h", z * cell.state("h") + (1 - z) * n)  # nothing defines c
    return cell.build()


def used_before_defined() -> gr.CellSpec:
    cell = builder()
    z = cell.node("z", gr.sigmoid(cell.ax("z") + cell.ah("z") + sp.Symbol("n")))
    n = cell.node("n", sp.tanh(cell.ax("n") + cell.ah("n")))
    cell.node("h", z * cell.state("h") + (1 - z) * n)
    return cell.build()


def uses_itself() -> gr.CellSpec:
    cell = builder()
    z = cell.node("z", gr.sigmoid(cell.ax("z") + cell.ah("z") + sp.Symbol("z")))
    n = cell.node("n", sp.tanh(cell.ax("n") + cell.ah("n")))
    cell.node("h", z * cell.state("h") + (1 - z) * n)
    return cell.build()


def unknown_symbol() -> gr.CellSpec:
    cell = builder()
    z = cell.node("z", gr.sigmoid(cell.ax("z") + cell.ah("z")))
    n = cell.node("n", sp.tanh(cell.ax("n") + cell.ah("n") + sp.Symbol("q")))
    cell.node("h", z * cell.state("h") + (1 - z) * n)
    return cell.build()


def unused_gate() -> gr.CellSpec:
    cell = builder(gates=("z", "r", "n"))
    z = cell.node("z", gr.sigmoid(cell.ax("z") + cell.ah("z")))
    n = cell.node("n", sp.tanh(cell.ax("n") + cell.ah("n")))
    cell.node("h", z * cell.state("h") + (1 - z) * n)  # no equation reads gate r
    return cell.build()


def source_not_yet_defined() -> gr.CellSpec:
    cell = builder()
    z = cell.node("z", gr.sigmoid(cell.ax("z") + cell.ah("z")))
    n = cell.node("n", sp.tanh(cell.ax("n") + cell.ah("n", source=sp.Symbol("rh"))))
    cell.node("rh", z * cell.state("h"))
    cell.node("h", z * cell.state("h") + (1 - z) * n)
    return cell.build()


def defined_twice() -> gr.CellSpec:
    cell = builder()
    z = cell.node("z", gr.sigmoid(cell.ax("z") + cell.ah("z")))
    n = cell.node("n", sp.tanh(cell.ax("n") + cell.ah("n")))
    cell.node("n", sp.tanh(cell.ax("n")))
    cell.node("h", z * cell.state("h") + (1 - z) * n)
    return cell.build()


def unused_peephole() -> gr.CellSpec:
    cell = builder()
    cell.peepholes("weight_peephole", ("z",))
    z = cell.node("z", gr.sigmoid(cell.ax("z") + cell.ah("z")))
    n = cell.node("n", sp.tanh(cell.ax("n") + cell.ah("n")))
    cell.node("h", z * cell.state("h") + (1 - z) * n)
    return cell.build()


def unknown_gate() -> gr.CellSpec:
    cell = builder()
    cell.node("z", gr.sigmoid(cell.ax("f")))
    return cell.build()


def unknown_state() -> gr.CellSpec:
    cell = builder()
    cell.node("z", gr.sigmoid(cell.ax("z") + cell.state("c")))
    return cell.build()


# (declaration, what the message must name besides the cell)
CASES: dict[str, tuple[Callable[[], gr.CellSpec], list[str]]] = {
    "a state no equation defines": (undefined_state, ["state", "'c'"]),
    "a node used before it is defined": (used_before_defined, ["node 'z'", "'n'", "before"]),
    "a node that uses itself": (uses_itself, ["node 'z'", "'z'", "before"]),
    "an unknown symbol": (unknown_symbol, ["node 'n'", "unknown symbol 'q'"]),
    "a gate block never used": (unused_gate, ["gate 'r'", "never used"]),
    "a recurrent source not yet defined": (source_not_yet_defined, ["node 'n'", "'rh'"]),
    "a node defined twice": (defined_twice, ["'n'", "more than once"]),
    "a peephole never used": (unused_peephole, ["'p_z'", "never used"]),
    "an unknown gate": (unknown_gate, ["gate 'f'"]),
    "an unknown state": (unknown_state, ["state 'c'"]),
}


@pytest.fixture
def no_codegen(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """An empty kernel cache, and code generation that fails the test if it is ever reached."""
    monkeypatch.setenv("GATED_REF_CACHE", str(tmp_path))

    def forbidden(*args: object, **kwargs: object) -> None:
        raise AssertionError("code generation reached for a malformed cell")

    monkeypatch.setattr(lower_module, "plan", forbidden)
    monkeypatch.setattr(lower_module, "emit", forbidden)
    return tmp_path


@pytest.mark.parametrize("case", list(CASES))
def test_malformed_cell_raises_naming_cell_and_culprit(case: str, no_codegen: Path) -> None:
    declare, names = CASES[case]
    with pytest.raises(ValueError) as info:
        gr.lower(declare())
    message = str(info.value)
    for expected in [f"cell {NAME!r}", *names]:
        assert expected in message, (expected, message)
    assert list(no_codegen.iterdir()) == []


def test_messages_are_distinct() -> None:
    """Each mistake gets its own message, not one generic complaint."""
    messages = set()
    for declare, _ in CASES.values():
        with pytest.raises(ValueError) as info:
            declare()
        messages.add(re.sub(r"'[^']*'", "'_'", str(info.value)))
    assert len(messages) >= 8, messages


def test_a_well_formed_twin_builds() -> None:
    """The declarations above differ from a valid cell only by their mistake."""
    cell = builder()
    z = cell.node("z", gr.sigmoid(cell.ax("z") + cell.ah("z")))
    n = cell.node("n", sp.tanh(cell.ax("n") + cell.ah("n")))
    cell.node("h", z * cell.state("h") + (1 - z) * n)
    spec = cell.build()
    assert spec.gates == ("z", "n") and [str(n.symbol) for n in spec.nodes] == ["z", "n", "h"]
