"""SymPy functions the cells are written with: the logistic sigmoid, plus display-only helpers."""

from __future__ import annotations

import sympy as sp


class sigmoid(sp.Function):  # noqa: N801 - SymPy function classes are lower case, like sp.tanh
    """The logistic function sigma(x) = 1 / (1 + exp(-x))."""

    nargs = 1

    def fdiff(self, argindex: int = 1) -> sp.Expr:
        """d sigma / dx = sigma (1 - sigma)."""
        if argindex != 1:
            raise sp.ArgumentIndexError(self, argindex)
        return sigmoid(self.args[0]) * (1 - sigmoid(self.args[0]))

    @classmethod
    def eval(cls, arg: sp.Expr) -> sp.Expr | None:
        if arg.is_zero:
            return sp.Rational(1, 2)
        return None

    def _eval_rewrite_as_exp(self, arg: sp.Expr, **kwargs: object) -> sp.Expr:
        return 1 / (1 + sp.exp(-arg))

    def _eval_evalf(self, prec: int) -> sp.Expr:
        return self.rewrite(sp.exp)._eval_evalf(prec)

    def _latex(self, printer: sp.printing.latex.LatexPrinter) -> str:
        return r"\sigma\left(%s\right)" % printer._print(self.args[0])


class step(sp.Function):  # noqa: N801
    """The unit step with step(0) = 0: the derivative of :class:`relu`, as PyTorch takes it."""

    nargs = 1

    def fdiff(self, argindex: int = 1) -> sp.Expr:
        """Zero almost everywhere."""
        if argindex != 1:
            raise sp.ArgumentIndexError(self, argindex)
        return sp.Integer(0)

    def _eval_rewrite_as_Heaviside(self, arg: sp.Expr, **kwargs: object) -> sp.Expr:
        return sp.Heaviside(arg, 0)

    def _eval_evalf(self, prec: int) -> sp.Expr:
        return sp.Heaviside(self.args[0], 0)._eval_evalf(prec)

    def _latex(self, printer: sp.printing.latex.LatexPrinter) -> str:
        return r"\mathbf{1}\left[%s > 0\right]" % printer._print(self.args[0])


class relu(sp.Function):  # noqa: N801
    """The rectifier relu(x) = max(x, 0)."""

    nargs = 1

    def fdiff(self, argindex: int = 1) -> sp.Expr:
        """d relu / dx = step(x), 0 at x = 0."""
        if argindex != 1:
            raise sp.ArgumentIndexError(self, argindex)
        return step(self.args[0])

    def _eval_rewrite_as_Max(self, arg: sp.Expr, **kwargs: object) -> sp.Expr:
        return sp.Max(arg, 0)

    def _eval_evalf(self, prec: int) -> sp.Expr:
        return sp.Max(self.args[0], 0)._eval_evalf(prec)

    def _latex(self, printer: sp.printing.latex.LatexPrinter) -> str:
        return r"\operatorname{relu}\left(%s\right)" % printer._print(self.args[0])


class diag(sp.Function):  # noqa: N801
    """Display only: the diagonal matrix whose diagonal is a vector expression."""

    nargs = 1
    is_commutative = False

    def _latex(self, printer: sp.printing.latex.LatexPrinter) -> str:
        return r"\operatorname{diag}\left(%s\right)" % printer._print(self.args[0])


class tsum(sp.Function):  # noqa: N801
    """Display only: a sum over the time steps t = 1 .. T."""

    nargs = 1
    is_commutative = False

    def _latex(self, printer: sp.printing.latex.LatexPrinter) -> str:
        body = printer._print(self.args[0])
        if self.args[0].is_Add:
            body = r"\left(" + body + r"\right)"
        return r"\sum_{t=1}^{T} " + body


#: Names a parser needs to rebuild any expression gated_ref prints with ``sympy.srepr``.
SREPR_NAMESPACE: dict[str, object] = {
    "sigmoid": sigmoid,
    "relu": relu,
    "step": step,
    "diag": diag,
    "tsum": tsum,
}
