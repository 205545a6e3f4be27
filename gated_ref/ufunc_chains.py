"""Elementwise statements as chains of NumPy ufunc calls into buffers made once, before the loop.

One time step is a list of items: :class:`Compute` (``name = expr``, elementwise) and
:class:`Line` (a printed statement such as a GEMM with ``out=``, reading and writing named
values). :class:`StepWriter` prints them so that nothing is allocated inside the time loop:

- a value with a *home* (a view bound at the top of the step, e.g. ``i = N_i[t]``, where the
  forward keeps ``i`` for the backward) is computed straight into it, unless the home is a
  strided view (a gate's columns of a per-step gradient): ufuncs writing a strided view run
  at half speed, so the value is computed in a register and copied in once;
- any other value gets a *register*, a ``(B, width)`` buffer that is reused once the value's
  last reader has run (a linear scan over the step);
- ``c = f*c_prev + g*i`` becomes ``numpy.multiply(f, c_prev, out=c)``,
  ``numpy.multiply(g, i, out=_r0)``, ``numpy.add(c, _r0, out=c)``: each operation of the
  expression, in SymPy's order of terms, once, in place where it can be.

Every printed chain is preceded by a comment with the statement it computes. Values that hold no
batch (expressions of the cell's per-unit weights alone) are printed as plain NumPy expressions.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

import sympy as sp
from sympy.printing.numpy import NumPyPrinter

__all__ = ["Compute", "Line", "StepWriter"]

#: SymPy functions printed as one NumPy ufunc applied in place.
UNARY = {"tanh": "numpy.tanh", "exp": "numpy.exp", "log": "numpy.log", "Abs": "numpy.absolute"}


@dataclass(frozen=True)
class Compute:
    """``name = expr`` over the batch; ``home`` is the variable of its buffer, if it has one."""

    name: str
    expr: sp.Expr
    home: str | None = None
    comment: str = ""
    strided: bool = False  # the home is a strided view: computed elsewhere, copied in once


@dataclass(frozen=True)
class Line:
    """A printed statement: ``text`` with ``{name}`` fields for the values it reads and writes.

    ``writes``: a value the line writes into ``{out}``, a register unless ``home`` is given.
    """

    text: str
    reads: tuple[str, ...] = ()
    writes: str | None = None
    home: str | None = None


@dataclass
class StepWriter:
    """Prints one time step's items with registers; ``width_of`` names the width (``"H"``,
    ``"P"``) of a batch value by symbol name, or None for a value without a batch axis."""

    width_of: Callable[[str], str | None]
    printer: NumPyPrinter
    indent: str = "        "
    lines: list[str] = field(default_factory=list)
    registers: list[tuple[str, str]] = field(default_factory=list)  # (name, width), made once
    _free: dict[str, list[str]] = field(default_factory=dict)
    _where: dict[str, str] = field(default_factory=dict)  # value -> its buffer's variable
    _uses: Counter[str] = field(default_factory=Counter)
    _temps: list[str] = field(default_factory=list)  # registers of the current expression
    _widths: dict[str, str | None] = field(default_factory=dict)
    _alias: dict[str, str] = field(default_factory=dict)  # a value that is another's, by name
    _register_width: dict[str, str] = field(default_factory=dict)

    # ---- the step ----------------------------------------------------------------------------
    def write(self, items: list[Compute | Line]) -> list[str]:
        """The printed lines of ``items``, in order; registers are added to ``self.registers``."""
        for item in items:
            reads = item.expr.free_symbols if isinstance(item, Compute) else item.reads
            self._uses.update(str(s) for s in reads)
        for item in items:
            if isinstance(item, Compute):
                self._compute(item)
            else:
                self._line(item)
        return self.lines

    def _emit(self, text: str) -> None:
        self.lines.append(self.indent + text)

    def _width(self, expr: sp.Expr) -> str | None:
        key = str(expr)
        if key not in self._widths:
            found = [self._width_of_symbol(s.name) for s in sorted(expr.free_symbols, key=str)]
            self._widths[key] = next((w for w in found if w is not None), None)
        return self._widths[key]

    def _width_of_symbol(self, name: str) -> str | None:
        return self._widths[name] if name in self._widths else self.width_of(name)

    def _register(self, width: str) -> str:
        free = self._free.setdefault(width, [])
        if free:
            return free.pop()
        name = f"_r{len(self.registers)}"
        self.registers.append((name, width))
        return name

    def _root(self, name: str) -> str:
        while name in self._alias:
            name = self._alias[name]
        return name

    def _release(self, names: list[str]) -> None:
        """One read of each of ``names`` is done; a register whose value nobody reads again
        is free for the next value of its width."""
        for name in map(self._root, names):
            self._uses[name] -= 1
            if self._uses[name] > 0 or name not in self._where:
                continue
            where = self._where.pop(name)
            width = self._register_width.get(where)
            if width is not None:
                self._free.setdefault(width, []).append(where)

    def _place(self, name: str, home: str | None, width: str) -> str:
        self._widths[name] = width
        if home is not None:
            return home
        reg = self._register(width)
        self._register_width[reg] = width
        return reg

    def _line(self, item: Line) -> None:
        fields = {n: self._operand_of(n) for n in item.reads}
        if item.writes is not None:
            width = self._width_of_symbol(item.writes)
            assert width is not None, item
            fields["out"] = self._place(item.writes, item.home, width)
        self._emit(item.text.format(**fields))
        self._release(list(item.reads))
        if item.writes is not None:
            self._where[item.writes] = fields["out"]
            self._release_unread(item.writes)

    def _release_unread(self, name: str) -> None:
        """Free the buffer of a value nobody reads."""
        if self._uses[name] <= 0:
            self._uses[name] = 1
            self._release([name])

    def _operand_of(self, name: str) -> str:
        root = self._root(name)
        return self._where.get(root, root)

    def _compute(self, item: Compute) -> None:
        reads = sorted(str(s) for s in item.expr.free_symbols)
        width = self._width(item.expr)
        if width is None:  # no batch axis: a plain NumPy expression, made once per step
            self._emit(f"{item.name} = {self.printer.doprint(item.expr)}")
            self._widths[item.name] = None
        elif item.expr.is_Symbol and item.home is None:  # an alias: no code, no copy
            self._widths[item.name] = width
            root = self._root(item.expr.name)
            self._alias[item.name] = root
            self._uses[root] += self._uses.pop(item.name, 0)
        else:
            dest = self._place(item.name, None if item.strided else item.home, width)
            if item.comment:
                where = "" if dest == item.name else f"  (in {dest})"
                self._emit(f"# {item.comment}{where}")
            self._into(item.expr, dest)
            if item.strided:
                self._emit(f"{item.home}[...] = {dest}")
            self._where[item.name] = dest
            self._free_temps()
        self._release(reads)
        if item.name not in self._alias:
            self._release_unread(item.name)

    # ---- one expression into one buffer ------------------------------------------------------
    def _free_temps(self) -> None:
        for reg in self._temps:
            self._free.setdefault(self._register_width[reg], []).append(reg)
        self._temps = []

    def _leaf(self, expr: sp.Expr) -> bool:
        return expr.is_Symbol or expr.is_Number or self._width(expr) is None

    def _operand(self, expr: sp.Expr) -> str:
        """A leaf's text: a buffer, a literal, or a plain expression of per-unit weights."""
        if expr.is_Symbol:
            return self._operand_of(expr.name)
        text = self.printer.doprint(expr)
        return text if expr.is_Symbol or text.replace(".", "").isdigit() else f"({text})"

    def _value(self, expr: sp.Expr) -> str:
        """``expr`` as an operand: a leaf as it is, anything else computed into a register."""
        if self._leaf(expr):
            return self._operand(expr)
        width = self._width(expr)
        assert width is not None
        reg = self._place(str(expr), None, width)
        self._into(expr, reg)
        self._temps.append(reg)
        return reg

    def _call(self, ufunc: str, *args: str, out: str) -> None:
        self._emit(f"numpy.{ufunc}({', '.join(args)}, out={out})")

    def _into(self, expr: sp.Expr, dest: str) -> None:
        """Print the calls that leave ``expr``'s value in ``dest``."""
        if self._leaf(expr):
            self._emit(f"numpy.copyto({dest}, {self._operand(expr)})")
        elif isinstance(expr, sp.Add):
            self._add(expr, dest)
        elif isinstance(expr, sp.Mul):
            self._mul(expr, dest)
        elif isinstance(expr, sp.Pow):
            self._pow(expr, dest)
        else:
            self._function(expr, dest)

    def _unary_source(self, arg: sp.Expr, dest: str) -> str:
        """Where a one-argument function reads its argument: a leaf in place, else ``dest``."""
        if self._leaf(arg):
            return self._operand(arg)
        self._into(arg, dest)
        return dest

    def _function(self, expr: sp.Expr, dest: str) -> None:
        name = type(expr).__name__
        (arg,) = expr.args
        if name == "sigmoid":  # 0.5 + 0.5 tanh(a / 2), as the banner's _sigmoid
            self._call("multiply", self._unary_source(arg, dest), "0.5", out=dest)
            self._call("tanh", dest, out=dest)
            self._call("multiply", dest, "0.5", out=dest)
            self._call("add", dest, "0.5", out=dest)
        elif name == "relu":
            self._call("maximum", self._unary_source(arg, dest), "0", out=dest)
        elif name == "step":
            self._call("heaviside", self._unary_source(arg, dest), "0", out=dest)
        elif name in UNARY:
            self._call(UNARY[name].removeprefix("numpy."), self._unary_source(arg, dest), out=dest)
        else:
            raise ValueError(f"no in-place NumPy form for {expr}")

    def _add(self, expr: sp.Add, dest: str) -> None:
        plus, minus = [], []
        for term in expr.as_ordered_terms():
            coeff, _ = term.as_coeff_Mul()
            (minus if coeff.is_negative else plus).append(-term if coeff.is_negative else term)
        if not plus:
            self._add(sp.Add(*minus, evaluate=False), dest)
            self._call("negative", dest, out=dest)
            return
        compound = [t for t in plus if not self._leaf(t)]
        first = compound[0] if compound else plus[0]
        rest = [t for t in plus if t is not first]
        if compound:
            self._into(first, dest)
        elif rest:
            self._call("add", self._operand(first), self._operand(rest.pop(0)), out=dest)
        else:
            self._call("subtract", self._operand(first), self._value(minus.pop(0)), out=dest)
        for term in rest:
            self._call("add", dest, self._value(term), out=dest)
        for term in minus:
            self._call("subtract", dest, self._value(term), out=dest)

    def _mul(self, expr: sp.Mul, dest: str) -> None:
        coeff, factors = expr.as_coeff_mul()
        over = [f.base ** (-f.exp) for f in factors if f.is_Pow and f.exp.is_negative]
        times = [f for f in factors if not (f.is_Pow and f.exp.is_negative)]
        scale = "" if coeff == 1 or coeff == -1 else self._operand(abs(coeff))
        if not times:  # c / (x y ...)
            self._call("divide", scale or "1.0", self._value(over.pop(0)), out=dest)
            scale = ""
        else:
            compound = [f for f in times if not self._leaf(f)]
            first = compound[0] if compound else times[0]
            rest = [f for f in times if f is not first]
            if compound:
                self._into(first, dest)
            elif rest:
                self._call("multiply", self._operand(first), self._operand(rest.pop(0)), out=dest)
            elif scale:
                self._call("multiply", self._operand(first), scale, out=dest)
                scale = ""
            elif over:
                self._call("divide", self._operand(first), self._value(over.pop(0)), out=dest)
            else:
                self._emit(f"numpy.copyto({dest}, {self._operand(first)})")
            for f in rest:
                self._call("multiply", dest, self._value(f), out=dest)
        for f in over:
            self._call("divide", dest, self._value(f), out=dest)
        if scale:
            self._call("multiply", dest, scale, out=dest)
        if coeff.is_negative:
            self._call("negative", dest, out=dest)

    def _pow(self, expr: sp.Pow, dest: str) -> None:
        base, exp = expr.args
        source = self._unary_source(base, dest)
        if exp == 2:
            self._call("multiply", source, source, out=dest)
        elif exp == -1:
            self._call("divide", "1.0", source, out=dest)
        elif exp == sp.Rational(1, 2):
            self._call("sqrt", source, out=dest)
        else:
            self._call("power", source, self._operand(exp), out=dest)
