"""Equation exports: unique stable ids, a plain-SymPy srepr that means today's derivation,
the symbols each equation uses and which equations it reads, labels."""

from __future__ import annotations

import importlib.util
import json
import os
import random
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import sympy as sp
from conftest import ROOT

import gated_ref as gr
from gated_ref import glossary
from gated_ref.exports import (
    JSON_KEYS,
    equation_records,
    equations_by_id,
    plain,
    plain_srepr,
    to_json,
    to_tex,
)
from gated_ref.functions import diag, sigmoid, tsum

# Run by a fresh interpreter that imports nothing but SymPy: parse every record both ways,
# then evaluate the right-hand side at each set of numbers (diag(v) -> v: the scalar shadow of the
# vector equation; a Sum over t is left to SymPy's doit).
_PARSE_WITH_SYMPY_ONLY = """
import json, sys
import sympy
rows = json.load(open(sys.argv[1], encoding="utf-8"))
values = json.load(open(sys.argv[2], encoding="utf-8"))
diag = sympy.Function("diag", commutative=False)
out = {}
for r in rows:
    a = eval(r["srepr"], vars(sympy))
    b = sympy.sympify(r["srepr"])
    assert isinstance(a, sympy.Equality) and a == b, r["id"]
    assert a.rhs.has(diag) == ("Function('diag', commutative=False)" in r["srepr"]), r["id"]
    names = sorted(s.name for s in a.atoms(sympy.Symbol))

    def number(e):
        e = e.replace(lambda x: x.func == diag, lambda x: x.args[0])
        return [
            float(e.xreplace({s: sympy.Number(v[s.name]) for s in e.free_symbols}).doit().evalf(30))
            for v in values
        ]

    out[r["id"]] = {"lhs": a.lhs.name, "names": names, "rhs": number(a.rhs)}
loaded = sorted(m for m in sys.modules if m.split(".")[0] == "gated_ref")
assert not loaded, loaded
print(json.dumps(out))
"""


def load(path: Path, name: str):  # noqa: ANN201
    """A module from a file (diagrams/ is not a package)."""
    sys.path.insert(0, str(path.parent))
    try:
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(path.parent))
    return module


@pytest.fixture(scope="module")
def records() -> list:
    return equation_records()


@pytest.fixture(scope="module")
def today() -> dict[str, sp.Eq]:
    """Every equation as derived today, by id, with gated_ref's own functions."""
    found = {}
    for name in gr.CELL_NAMES:
        spec, back = gr.cell(name), gr.derive(name)
        found.update(zip(spec.equation_ids, spec.equations, strict=True))
        found.update(zip(back.equation_ids, back.equations, strict=True))
    return found


def values_for(rows: list[dict]) -> list[dict[str, object]]:
    """Three sets of a random number for every symbol the records list (an integer length for
    ``T``): all positive (every rectifier and step open), then two of random signs."""
    rng = random.Random(20260101)
    names = sorted({s["name"] for r in rows for s in r["symbols"]})
    sets = []
    for signs in ((1,), (-1, 1), (-1, 1)):
        sets.append(
            {
                n: rng.randint(2, 6) if n == "T" else rng.uniform(0.2, 1.3) * rng.choice(signs)
                for n in names
            }
        )
    return sets


def shadow(eq: sp.Basic, values: dict[str, object]) -> float:
    """gated_ref's own expression at ``values``: its functions evaluate by their own
    ``evalf``; diag(v) -> v and a sum over T steps of a term with no t -> T times it."""
    eq = eq.replace(tsum, lambda a: values["T"] * a).replace(diag, lambda a: a)
    eq = eq.xreplace({s: sp.Number(values[s.name]) for s in eq.free_symbols})
    return float(eq.evalf(30))


def parse_elsewhere(tmp: Path, rows: list[dict], values: list[dict]) -> dict:
    """Run :data:`_PARSE_WITH_SYMPY_ONLY` on ``rows`` in a fresh interpreter."""
    (tmp / "rows.json").write_text(json.dumps(rows), encoding="utf-8")
    (tmp / "values.json").write_text(json.dumps(values), encoding="utf-8")
    proc = subprocess.run(
        [sys.executable, "-c", _PARSE_WITH_SYMPY_ONLY, "rows.json", "values.json"],
        cwd=tmp,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout)


def mismatches(parsed: dict, today: dict[str, sp.Eq], values: list[dict]) -> list[str]:
    """Ids whose plain-SymPy rhs differs numerically from gated_ref's, or whose lhs differs."""
    bad = []
    for ident, got in parsed.items():
        eq = today[ident]
        want = [shadow(eq.rhs, v) for v in values]
        if got["lhs"] != eq.lhs.name or len(got["rhs"]) != len(want):
            bad.append(ident)
            continue
        pairs = zip(got["rhs"], want, strict=True)
        if not all(abs(g - w) <= 1e-9 * max(1.0, abs(w)) for g, w in pairs):
            bad.append(ident)
    return bad


def untransposed(latex: str) -> str:
    """``{v}^{\\top}`` or ``v^{\\top}`` -> ``v``."""
    if latex.endswith("^{\\top}"):
        latex = latex.removesuffix("^{\\top}")
        latex = latex[1:-1] if latex.startswith("{") and latex.endswith("}") else latex
    return latex


def test_ids_unique_and_made_of_cell_and_quantity(records: list) -> None:
    ids = [r.id for r in records]
    assert len(ids) == len(set(ids))
    assert all(r.id.startswith(r.cell + ".") for r in records)
    assert "lstm.c_t" in ids and "lstm.grad.c_prev" in ids and "gru.jacobian.h_h" in ids
    per_cell = {n: sum(r.cell == n for r in records) for n in gr.CELL_NAMES}
    assert all(count >= 8 for count in per_cell.values()), per_cell
    assert list(equations_by_id()) == ids


def test_srepr_is_plain_sympy_that_means_the_derivation(
    records: list, today: dict, tmp_path: Path
) -> None:
    """Every record, parsed by an interpreter with only SymPy, equals today's equation at
    random numbers; the same check fails on a record whose sigmoid has the wrong sign."""
    rows = json.loads(to_json(records, lambda r: ""))
    values = values_for(rows)
    # a planted fault: three cells' records with sigma(x) written 1 / (1 + exp(x))
    wrong = [
        {
            **row,
            "id": "wrong:" + row["id"],
            "srepr": plain_srepr(today[row["id"]].replace(sigmoid, lambda a: 1 / (1 + sp.exp(a)))),
        }
        for row in rows
        if row["cell"] in ("lstm", "gru", "lstm_peephole")
    ]
    parsed = parse_elsewhere(tmp_path, rows + wrong, values)
    faulty = {k[len("wrong:") :]: parsed.pop(k) for k in list(parsed) if k.startswith("wrong:")}
    assert set(parsed) == set(today)
    assert mismatches(parsed, today, values) == []
    with_sigmoid = {i for i in faulty if today[i].rhs.has(sigmoid)}
    assert len(with_sigmoid) >= 8 and set(mismatches(faulty, today, values)) == with_sigmoid
    # each record lists exactly the symbols of its plain equation
    for row in rows:
        assert [s["name"] for s in row["symbols"]] == parsed[row["id"]]["names"], row["id"]
    # every function gated_ref writes was met, and written with SymPy's own
    text = "".join(r["srepr"] for r in rows)
    for name in ("sigmoid", "relu", "step", "tsum", "Function('diag')"):
        assert name not in text, name
    for name in ("exp(", "Heaviside(", "Sum(", "Function('diag', commutative=False)"):
        assert name in text, name


def test_plain_keeps_the_expression_and_order_of_matrices(today: dict) -> None:
    eq = today["lstm.jacobian.h_h"]
    p = plain(eq)
    assert not p.has(diag) and not p.atoms(sigmoid)
    term = next(a for a in sp.Add.make_args(p.rhs) if "U_o" in str(a))
    assert [str(f) for f in term.args][0].startswith("diag(")  # diag(v) U_o, not U_o diag(v)
    assert sp.srepr(plain(sigmoid(sp.Symbol("x")))) == sp.srepr(1 / (1 + sp.exp(-sp.Symbol("x"))))
    with_sum = plain(today["lstm.grad.W_i"])
    assert with_sum.rhs.is_commutative is False and isinstance(with_sum.rhs, sp.Sum)


def test_symbols_uses_and_used_by(records: list, today: dict) -> None:
    by_id = {r.id: r for r in records}
    assert set(by_id["lstm.c_t"].uses) == {"lstm.i_t", "lstm.f_t", "lstm.g_t"}
    assert set(by_id["lstm.h_t"].uses) == {"lstm.o_t", "lstm.c_t"}
    assert "lstm.adjoint.a_i" in by_id["lstm.grad.W_i"].uses
    assert "lstm_proj.m_t" in by_id["lstm_proj.grad.weight_hr"].uses  # through m_t's transpose
    order = list(by_id)
    for r in records:
        for other in r.uses:
            assert by_id[other].cell == r.cell and r.id in by_id[other].used_by, (r.id, other)
            lhs = today[other].lhs
            shown = {untransposed(s.latex) for s in r.symbols}
            assert by_id[other].symbols and any(s.name == lhs.name for s in by_id[other].symbols)
            assert next(s.latex for s in by_id[other].symbols if s.name == lhs.name) in shown
        for other in r.used_by:
            assert r.id in by_id[other].uses
        assert list(r.uses) == sorted(r.uses, key=order.index)
        for s in r.symbols:
            assert s.notation == f"notation/#symbol-{s.kind}" and s.meaning and s.latex
    kinds = {s.kind for r in records for s in r.symbols}
    assert kinds >= {"x", "node", "prev", "weight_ih", "grad", "jacobian", "time"}
    # the Notation page's table anchors every kind a record links to
    table = load(ROOT / "diagrams" / "symbols.py", "symbols_for_exports").kinds_table()
    anchors = re.findall(r'id="([^"]+)"', table)
    assert anchors == [glossary.anchor(k) for k in glossary.KINDS]
    assert {f"symbol-{k}" for k in kinds} <= set(anchors)
    with pytest.raises(ValueError, match="'zz9'"):
        glossary.kind_of(sp.Symbol("zz9"))


def test_json_and_tex_exports() -> None:
    records = equation_records(["gru"])
    text = to_json(records, lambda r: f"cells/gru/#{r.id}")
    rows = json.loads(text)
    assert [row["id"] for row in rows] == [r.id for r in records]
    assert tuple(rows[0]) == JSON_KEYS
    assert JSON_KEYS[:6] == ("id", "cell", "page", "latex", "srepr", "part")
    # the published file is the same from a fresh interpreter with another string-hash seed
    seed = "54321" if os.environ.get("PYTHONHASHSEED") == "12345" else "12345"
    script = (
        "from gated_ref.exports import equation_records, to_json; "
        "print(to_json(equation_records(['gru']), lambda r: 'p'), end='')"
    )
    there = subprocess.check_output(
        [sys.executable, "-c", script],
        env={**os.environ, "PYTHONHASHSEED": seed, "PYTHONPATH": str(ROOT)},
        text=True,
    )
    assert there == to_json(records, lambda r: "p")
    tex = to_tex(records, "GRU")
    assert tex.count("\\label{") == len(records)
    assert all(f"\\label{{{r.id}}}" in tex for r in records)


def test_cite_page_example_runs_with_sympy_only(tmp_path: Path) -> None:
    """docs/cite.md's example, run on the equations.json the build script writes."""
    exports = load(ROOT / "diagrams" / "equation_exports.py", "equation_exports_for_cite")
    exports.main(tmp_path)
    page = (ROOT / "docs" / "cite.md").read_text(encoding="utf-8")
    section = page[page.index("## The equations as data") :]
    code = textwrap.dedent(re.search(r"``` python\n(.*?)\n\s*```", section, re.S).group(1))
    check = "\nimport sys\nassert not [m for m in sys.modules if m.startswith('gated_ref')]\n"
    proc = subprocess.run(
        [sys.executable, "-c", code + check],
        cwd=tmp_path / "publish",
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert "uses ['lstm.i_t', 'lstm.f_t', 'lstm.g_t']" in proc.stdout
    assert "02c_t = " in proc.stdout or "c_t = " in proc.stdout
