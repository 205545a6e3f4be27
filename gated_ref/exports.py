"""Every displayed equation as a citable record: stable id, LaTeX, and SymPy ``srepr``.

The site publishes these as ``equations.json``, ``equations.tex`` and one ``.tex`` per cell.
Ids are made from the cell and the quantity (``lstm.c_t``, ``lstm.grad.c_prev``), never from
a position, so adding an equation never renumbers another.

A record's ``srepr`` needs nothing but SymPy: :func:`plain` writes gated_ref's own functions
(:mod:`gated_ref.functions`) with SymPy's, so ``eval(srepr, vars(sympy))`` and
``sympy.sympify(srepr)`` rebuild it. Python users who want the expressions gated_ref computes
with, ``sigmoid`` and all, get them from :func:`equations_by_id`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass

import sympy as sp
from sympy.core.function import AppliedUndef
from sympy.printing.repr import ReprPrinter

from .cells import CELL_NAMES, cell
from .derive import derive
from .functions import diag, relu, sigmoid, step, tsum
from .glossary import kind_of, notation_url

#: The step a sum over time runs over, and the sequence length: ``tsum(e)`` is
#: ``Sum(e, (STEP, 1, LENGTH))``.
STEP = sp.Symbol("t", integer=True, positive=True)
LENGTH = sp.Symbol("T", integer=True, positive=True)
#: ``diag(v)`` in plain SymPy: an undefined function, a matrix, so it does not commute.
DIAG = sp.Function("diag", commutative=False)
_LATEX = {STEP: "t", LENGTH: "T"}
#: The keys of ``equations.json``, in order.
JSON_KEYS = ("id", "cell", "page", "latex", "srepr", "part", "symbols", "uses", "used_by")


@dataclass(frozen=True)
class SymbolRecord:
    """One symbol an equation uses: its SymPy name, its LaTeX, what it means and where the
    Notation page explains it (a URL path from the site root, with the anchor)."""

    name: str
    latex: str
    kind: str
    meaning: str
    notation: str


@dataclass(frozen=True)
class EquationRecord:
    """One displayed equation of one cell.

    ``srepr`` is plain SymPy (see :func:`plain`); ``symbols`` are the symbols it uses, by
    name; ``uses`` the ids of the same cell's equations whose left-hand side its right-hand
    side reads, ``used_by`` the ids of those that read its left-hand side; both in page order.
    """

    id: str
    cell: str
    part: str  # "forward" or "backward"
    latex: str
    srepr: str
    symbols: tuple[SymbolRecord, ...] = ()
    uses: tuple[str, ...] = ()
    used_by: tuple[str, ...] = ()


def plain(expr: sp.Basic) -> sp.Basic:
    """``expr`` with gated_ref's own functions written in SymPy's: ``sigmoid(x)`` as
    ``1/(1 + exp(-x))``, ``step(x)`` as ``Heaviside(x, 0)``, ``relu(x)`` as
    ``x*Heaviside(x, 0)`` (``Max(x, 0)`` refuses an argument holding a matrix product),
    ``tsum(e)`` as ``Sum(e, (t, 1, T))`` and ``diag(v)`` as a non-commuting undefined
    function ``diag``. The result means the same and needs only SymPy to rebuild."""
    rules: tuple[tuple[type, Callable[[sp.Expr], sp.Expr]], ...] = (
        (sigmoid, lambda a: 1 / (1 + sp.exp(-a))),
        (relu, lambda a: a * sp.Heaviside(a, 0)),
        (step, lambda a: sp.Heaviside(a, 0)),
        (tsum, lambda a: sp.Sum(a, (STEP, 1, LENGTH))),
        (diag, lambda a: DIAG(a)),
    )
    for cls, rule in rules:
        expr = expr.replace(cls, rule)
    return expr


class _PlainRepr(ReprPrinter):
    """SymPy's ``srepr``, keeping an undefined function's ``commutative=False``."""

    def _print_FunctionClass(self, expr: type) -> str:
        if issubclass(expr, AppliedUndef) and expr.is_commutative is False:
            return f"Function({expr.__name__!r}, commutative=False)"
        return super()._print_FunctionClass(expr)


def plain_srepr(expr: sp.Basic) -> str:
    """``srepr`` of :func:`plain` of ``expr``: text that plain SymPy evaluates back to it."""
    return _PlainRepr().doprint(plain(expr))


def equations_by_id(names: Iterable[str] = CELL_NAMES) -> dict[str, sp.Eq]:
    """Equation id -> the equation as gated_ref computes with it (its own functions), in page
    order: forward then backward, cell by cell."""
    found: dict[str, sp.Eq] = {}
    for name in names:
        spec = cell(name)
        back = derive(spec)
        for ids, eqs in ((spec.equation_ids, spec.equations), (back.equation_ids, back.equations)):
            for ident, eq in zip(ids, eqs, strict=True):
                if ident in found:
                    raise ValueError(f"equation id {ident!r} is not unique")
                found[ident] = eq
    return found


def _symbols(eq: sp.Basic, names: dict[sp.Symbol, str]) -> tuple[SymbolRecord, ...]:
    """The symbols of an equation, plain form (a sum over time adds ``t`` and ``T``), by name."""
    rows = []
    for s in sorted(plain(eq).atoms(sp.Symbol), key=lambda s: s.name):
        kind = kind_of(s)
        latex = _LATEX[s] if s in _LATEX else names[s]
        rows.append(SymbolRecord(s.name, latex, kind.name, kind.meaning, notation_url(kind)))
    return tuple(rows)


def _untransposed(latex: str) -> str:
    r"""``{x}^{\top}`` and ``x^{\top}`` -> ``x``; anything else unchanged."""
    if latex.endswith(r"^{\top}"):
        latex = latex[: -len(r"^{\top}")]
        if latex.startswith("{") and latex.endswith("}"):
            latex = latex[1:-1]
    return latex


def _uses(
    mine: list[tuple[str, str, sp.Eq, str]], names: dict[sp.Symbol, str]
) -> dict[str, tuple[str, ...]]:
    """Id -> ids of the cell's equations whose left-hand side its right-hand side reads.

    A quantity is printed by several display symbols (``delta:ax_h`` and, beside a matrix,
    ``delta:ah_h~``; its transpose): the LaTeX, transpose removed, says which quantity it is.
    """
    defines: dict[str, str] = {}
    for ident, _, eq, _ in mine:
        latex = names[eq.lhs]
        if latex in defines:
            raise ValueError(f"{ident} and {defines[latex]} both define ${latex}$")
        defines[latex] = ident
    uses = {}
    for ident, _, eq, _ in mine:
        read = {_untransposed(names[s]) for s in eq.rhs.free_symbols}
        uses[ident] = tuple(i for i, _, e, _ in mine if names[e.lhs] in read and i != ident)
    return uses


def equation_records(names: Iterable[str] = CELL_NAMES) -> list[EquationRecord]:
    """The forward and backward equations of the named cells, in page order."""
    records: list[EquationRecord] = []
    for name in names:
        spec = cell(name)
        back = derive(spec)
        symbol_names = back.symbol_names
        mine: list[tuple[str, str, sp.Eq, str]] = []
        for part, eqs, ids, printer in (
            ("forward", spec.equations, spec.equation_ids, spec.latex_of),
            ("backward", back.equations, back.equation_ids, back.latex_of),
        ):
            for ident, eq in zip(ids, eqs, strict=True):
                mine.append((ident, part, eq, f"{printer(eq.lhs)} = {printer(eq.rhs)}"))
        uses = _uses(mine, symbol_names)
        for ident, part, eq, latex in mine:
            used_by = tuple(other for other, _, _, _ in mine if ident in uses[other])
            records.append(
                EquationRecord(
                    ident,
                    name,
                    part,
                    latex,
                    plain_srepr(eq),
                    _symbols(eq, symbol_names),
                    uses[ident],
                    used_by,
                )
            )
    seen: set[str] = set()
    for r in records:
        if r.id in seen:
            raise ValueError(f"equation id {r.id!r} is not unique")
        seen.add(r.id)
    return records


def to_json(
    records: Iterable[EquationRecord],
    page_of: Callable[[EquationRecord], str],
    more: Callable[[EquationRecord], dict[str, str]] | None = None,
) -> str:
    """``equations.json``: a list of {id, cell, page, latex, srepr, part, symbols, uses,
    used_by}, then the keys ``more`` gives each record (URLs, a citation); byte-stable."""
    rows = []
    for r in records:
        row = asdict(r)
        row["page"] = page_of(r)
        row["uses"], row["used_by"] = list(r.uses), list(r.used_by)
        extra = more(r) if more is not None else {}
        clash = set(extra) & set(JSON_KEYS)
        if clash:
            raise ValueError(f"more: keys {sorted(clash)} would replace the record's own")
        rows.append({**{k: row[k] for k in JSON_KEYS}, **extra})
    return json.dumps(rows, indent=1, ensure_ascii=False) + "\n"


def to_tex(records: Iterable[EquationRecord], title: str) -> str:
    r"""A standalone LaTeX document: one ``align`` row per equation, ``\label`` = its id."""
    lines = [
        r"\documentclass{article}",
        r"\usepackage{amsmath,amssymb}",
        r"\allowdisplaybreaks",
        r"\begin{document}",
        r"\section*{%s}" % title,
        r"% Generated by gated_ref.exports from the SymPy source; do not edit.",
    ]
    for r in records:
        lines += [r"\begin{align}", f"{r.latex} \\label{{{r.id}}}", r"\end{align}"]
    lines.append(r"\end{document}")
    return "\n".join(lines) + "\n"
