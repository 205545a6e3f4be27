"""LaTeX for cell equations: vectors multiply elementwise (odot), matrices by juxtaposition."""

from __future__ import annotations

from collections.abc import Mapping

import sympy as sp
from sympy.printing.latex import LatexPrinter
from sympy.printing.precedence import PRECEDENCE


class CellLatexPrinter(LatexPrinter):
    """LaTeX printer that writes a commutative product of vectors as a Hadamard product."""

    def _as_ordered_terms(self, expr: sp.Expr, order: str | None = None) -> list[sp.Expr]:
        # Numbers first, then matrix products (W x, U h), then elementwise terms, biases last.
        if not expr.is_Add:
            return super()._as_ordered_terms(expr, order=order)

        def rank(term: sp.Expr) -> int:
            if term.is_number:
                return 0
            if not term.is_commutative:
                return 1
            return 3 if term.is_Symbol else 2

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
        text = r" \odot ".join(self.parenthesize(f, PRECEDENCE["Mul"]) for f in factors)
        if coeff == 1:
            return text
        if coeff == -1:
            return "- " + text
        return self._print(coeff) + " " + text


def to_latex(expr: sp.Basic, symbol_names: Mapping[sp.Symbol, str]) -> str:
    """Print a display expression (or ``Eq``) with each symbol's LaTeX name."""
    return CellLatexPrinter({"symbol_names": dict(symbol_names)}).doprint(expr)


def aligned(rows: list[tuple[str, str]]) -> str:
    r"""Join ``(left, right)`` LaTeX pairs into one ``\begin{aligned}`` block."""
    body = " \\\\\n".join(f"{left} &= {right}" for left, right in rows)
    return "\\begin{aligned}\n" + body + "\n\\end{aligned}"
