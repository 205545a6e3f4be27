"""LaTeX for cell equations: vectors multiply elementwise (odot), matrices by juxtaposition."""

from __future__ import annotations

from collections.abc import Mapping

import sympy as sp
from sympy.printing.latex import LatexPrinter
from sympy.printing.precedence import PRECEDENCE


class CellLatexPrinter(LatexPrinter):
    """LaTeX printer that writes a commutative product of vectors as a Hadamard product.

    The setting ``carry`` (a set of symbols, the previous states) fixes the display order of a
    state update the same way in every cell: the term that carries the previous state comes
    first (``f_t \\odot c_{t-1} + i_t \\odot g_t``, ``z_t \\odot h_{t-1} + (1 - z_t) \\odot n_t``),
    and a factor that is a sum (``1 - z_t``) leads its product. Only the printed order changes:
    the expression, and so the generated code and the equation ids, stay as they are.
    """

    _default_settings = {**LatexPrinter._default_settings, "carry": frozenset()}

    def _carries(self, term: sp.Expr) -> bool:
        return bool(self._settings["carry"]) and bool(term.free_symbols & self._settings["carry"])

    def _as_ordered_terms(self, expr: sp.Expr, order: str | None = None) -> list[sp.Expr]:
        # Numbers first, then matrix products (W x, U h), then elementwise terms (the one
        # carrying a previous state first), biases last.
        if not expr.is_Add:
            return super()._as_ordered_terms(expr, order=order)

        def rank(term: sp.Expr) -> tuple[int, int]:
            if term.is_number:
                return (0, 0)
            if term.is_Symbol:
                return (3, 0)
            if not term.is_commutative and not term.args_cnc()[0]:
                return (1, 0)  # a matrix product alone: W x, U h
            return (2, 0 if self._carries(term) else 1)

        return sorted(expr.args, key=rank)

    def _print_Mul(self, expr: sp.Mul) -> str:
        if not expr.is_commutative:
            # vector (x) matrix-product: r_t (U_n^T d) prints as r_t \odot (U_n^T d)
            c_part, nc_part = expr.args_cnc()
            vectors = [f for f in c_part if not f.is_number]
            if not vectors or not nc_part:
                return super()._print_Mul(expr)
            coeff = sp.Mul(*[f for f in c_part if f.is_number])
            product = sp.Mul(*nc_part)
            tail = self._print(product)
            if product.is_Add or len(nc_part) > 1:
                tail = r"\left(" + tail + r"\right)"
            text = r" \odot ".join(
                [*(self.parenthesize(f, PRECEDENCE["Mul"]) for f in vectors), tail]
            )
            if coeff == 1:
                return text
            return ("- " if coeff == -1 else self._print(coeff) + " ") + text
        coeff, factors = expr.as_coeff_mul()
        if len(factors) < 2:
            return super()._print_Mul(expr)
        if self._settings["carry"]:
            factors = sorted(factors, key=lambda f: 0 if f.is_Add else 1)
        text = r" \odot ".join(self.parenthesize(f, PRECEDENCE["Mul"]) for f in factors)
        if coeff == 1:
            return text
        if coeff == -1:
            return "- " + text
        return self._print(coeff) + " " + text


def to_latex(
    expr: sp.Basic,
    symbol_names: Mapping[sp.Symbol, str],
    carry: frozenset[sp.Symbol] = frozenset(),
) -> str:
    """Print a display expression (or ``Eq``) with each symbol's LaTeX name.

    ``carry``: the previous-state symbols; a state update then prints its carried term first
    (see :class:`CellLatexPrinter`).
    """
    settings = {"symbol_names": dict(symbol_names), "carry": frozenset(carry)}
    return CellLatexPrinter(settings).doprint(expr)


def aligned(rows: list[tuple[str, str]]) -> str:
    r"""Join ``(left, right)`` LaTeX pairs into one ``\begin{aligned}`` block."""
    body = " \\\\\n".join(f"{left} &= {right}" for left, right in rows)
    return "\\begin{aligned}\n" + body + "\n\\end{aligned}"
