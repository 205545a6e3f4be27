"""The exports in real LaTeX: a student's document cites ``gated-ref.bib`` with classic BibTeX
styles and pastes copied equations; ``equations.tex`` and a per-cell ``.tex`` compile.

Runs Debian's pdflatex and bibtex (``make latex`` installs them). Any LaTeX error, undefined
control sequence, reference or citation, and any BibTeX warning fails the test.
"""

from __future__ import annotations

import importlib.util
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT

#: The classic styles every TeX Live has (texlive-latex-base); IEEEtran when installed.
STYLES = ("plain", "unsrt", "alpha")
#: Equations a student pastes (what "Copy LaTeX" copies: the record's ``latex``).
PASTED = ("lstm.c_t", "lstm.grad.c_prev", "gru.jacobian.h_h", "indrnn.h_t", "lstm.grad.W_i")
_LATEX_PROBLEMS = re.compile(
    r"^!.*$|Undefined control sequence|LaTeX Warning: (Reference|Citation) .* undefined"
    r"|There were undefined (references|citations)|LaTeX Error",
    re.M,
)


def tool(name: str) -> str:
    """The path of a TeX program; fails (never skips) when it is missing."""
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"{name} not found: `make latex` installs TeX Live (texlive-latex-base ...)")
    return path


def run(cmd: list[str], cwd: Path) -> subprocess.CompletedProcess:
    """A TeX program in ``cwd``, output captured, no input."""
    return subprocess.run(
        cmd, cwd=cwd, capture_output=True, text=True, check=False, stdin=subprocess.DEVNULL
    )


def pdflatex(cwd: Path, name: str) -> str:
    """One pdflatex run; fails on a non-zero exit. Returns the log."""
    cmd = [tool("pdflatex"), "-interaction=nonstopmode", "-halt-on-error", f"{name}.tex"]
    proc = run(cmd, cwd)
    log = (cwd / f"{name}.log").read_text(encoding="latin-1")
    assert proc.returncode == 0, f"pdflatex {name}.tex:\n{log[-3000:]}"
    return log


def latex_problems(log: str) -> list[str]:
    """Errors and undefined references, citations or control sequences in a LaTeX log."""
    return [m.group(0) for m in _LATEX_PROBLEMS.finditer(log)]


def bibtex_problems(blg: str) -> list[str]:
    """Warnings and errors in a BibTeX log (not its table of built-in function counts)."""
    problem = re.compile(
        r"^(Warning--|I couldn't|I found no|I was expecting|Illegal|Repeated entry|You're missing)"
        r"|^\(There (were|was) [1-9]\d* (warnings?|error messages?)\)"
    )
    return [line for line in blg.splitlines() if problem.search(line)]


def load(path: Path, name: str):  # noqa: ANN201
    """A diagram script as a module (diagrams/ is not a package)."""
    sys.path.insert(0, str(path.parent))
    try:
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(path.parent))
    return module


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """What the two build scripts publish (equations.*, gated-ref.bib), in one folder."""
    out = tmp_path_factory.mktemp("latex_exports")
    load(ROOT / "diagrams" / "equation_exports.py", "equation_exports_for_latex").main(out / "eq")
    load(ROOT / "diagrams" / "citations.py", "citations_for_latex").main(out / "cite")
    shutil.copytree(out / "eq" / "publish", out / "site")
    shutil.copy(out / "cite" / "publish" / "gated-ref.bib", out / "site")
    return out / "site"


def with_equation_entries(bib: str, records: dict[str, dict]) -> str:
    """The site's .bib plus the info box's entries of the pasted equations (``bibtex``)."""
    return bib + "\n" + "\n".join(records[ident]["bibtex"] for ident in PASTED)


def student(bib: str, style: str, records: dict[str, dict]) -> str:
    """A student's document: cites the site, a page and a paper, lists every entry, and pastes
    copied equations into ``equation`` and ``align``."""
    keys = re.findall(r"^@\w+\{([^,]+),", bib, re.M)
    page = next(k for k in keys if k.startswith("gated_ref_cells_"))
    lines = [
        r"\documentclass{article}",
        r"\usepackage{amsmath,amssymb,url}",
        r"\begin{document}",
        rf"We use gated-ref~\cite{{gated_ref}}, its page~\cite[eq.~\texttt{{lstm.c\_t}}]{{{page}}}"
        r" and the LSTM~\cite{hochreiter1997long}; see \eqref{eq:0} and \eqref{eq:1}, cited"
        r" on its own from its info box~\cite{gated_ref_eq_lstm_c_t}.",
        r"\nocite{*}",
    ]
    for i, ident in enumerate(PASTED):
        env = "equation" if i % 2 == 0 else "align"
        lines += [
            rf"\begin{{{env}}}",
            records[ident]["latex"],
            rf"\label{{eq:{i}}}",
            rf"\end{{{env}}}",
        ]
    lines += [rf"\bibliographystyle{{{style}}}", r"\bibliography{gated-ref}", r"\end{document}"]
    return "\n".join(lines) + "\n"


def test_student_document_cites_the_bib_with_classic_styles(
    published: Path, tmp_path: Path
) -> None:
    records = {r["id"]: r for r in json.loads((published / "equations.json").read_text())}
    site_bib = (published / "gated-ref.bib").read_text(encoding="utf-8")
    bib = with_equation_entries(site_bib, records)
    keys = re.findall(r"^@\w+\{([^,]+),", bib, re.M)
    assert "gated_ref" in keys and "gated_ref_eq_lstm_c_t" in keys and len(keys) >= 20
    styles = [*STYLES]
    if run(["kpsewhich", "IEEEtran.bst"], tmp_path).stdout.strip():
        styles.append("IEEEtran")
    for style in styles:
        work = tmp_path / style
        work.mkdir()
        (work / "gated-ref.bib").write_text(bib, encoding="utf-8")
        (work / "student.tex").write_text(student(bib, style, records), encoding="utf-8")
        pdflatex(work, "student")
        proc = run([tool("bibtex"), "student"], work)
        blg = (work / "student.blg").read_text(encoding="latin-1")
        assert proc.returncode == 0 and bibtex_problems(blg) == [], f"{style}: {blg[-2000:]}"
        pdflatex(work, "student")
        log = pdflatex(work, "student")
        assert latex_problems(log) == [], f"{style}: {latex_problems(log)}"
        bbl = (work / "student.bbl").read_text(encoding="utf-8")
        assert sorted(re.findall(r"\\bibitem(?:\[[^\]]*\])?\{([^}]+)\}", bbl)) == sorted(keys)
        site = bbl[bbl.index("{gated_ref}") :].split(r"\bibitem")[0]
        assert "version 0.1.0" in " ".join(site.split()), f"{style}: the version is not printed"
        # one equation's entry prints its id, the version and its page's URL
        one = " ".join(bbl[bbl.index("{gated_ref_eq_lstm_c_t}") :].split(r"\bibitem")[0].split())
        url = records["lstm.c_t"]["url"]
        assert r"\texttt{lstm.c\_t}" in one and "version 0.1.0" in one, one
        assert rf"\url{{{url.split('#')[0]}}}" in one and url.endswith("#lstm.c_t"), one
        assert (work / "student.pdf").stat().st_size > 10_000


def test_biblatex_reads_the_bib(published: Path, tmp_path: Path) -> None:
    """The same entries through biblatex (its BibTeX backend: Debian's biber is not needed):
    no biblatex or BibTeX warning, every entry in the bibliography."""
    records = {r["id"]: r for r in json.loads((published / "equations.json").read_text())}
    bib = with_equation_entries((published / "gated-ref.bib").read_text(encoding="utf-8"), records)
    if not run(["kpsewhich", "biblatex.sty"], tmp_path).stdout.strip():
        pytest.fail("biblatex.sty not found: `make latex` installs texlive-bibtex-extra")
    (tmp_path / "gated-ref.bib").write_text(bib, encoding="utf-8")
    (tmp_path / "student.tex").write_text(
        "\\documentclass{article}\n\\usepackage[backend=bibtex,style=numeric]{biblatex}\n"
        "\\addbibresource{gated-ref.bib}\n\\begin{document}\n"
        "gated-ref~\\cite{gated_ref}, one equation~\\cite{gated_ref_eq_lstm_c_t}.\n"
        "\\nocite{*}\n\\printbibliography\n\\end{document}\n",
        encoding="utf-8",
    )
    pdflatex(tmp_path, "student")
    proc = run([tool("bibtex"), "student"], tmp_path)
    blg = (tmp_path / "student.blg").read_text(encoding="latin-1")
    assert proc.returncode == 0 and bibtex_problems(blg) == [], blg[-2000:]
    pdflatex(tmp_path, "student")
    log = pdflatex(tmp_path, "student")
    # every biblatex warning but the one that says it runs BibTeX, as asked, not biber
    warnings = re.findall(
        r"Package biblatex Warning: (?!Using fall-back BibTeX\(8\) backend).*", log
    )
    assert latex_problems(log) == [] and warnings == [], latex_problems(log) + warnings
    bbl = (tmp_path / "student.bbl").read_text(encoding="utf-8")
    keys = re.findall(r"^@\w+\{([^,]+),", bib, re.M)
    assert sorted(re.findall(r"\\entry\{([^}]+)\}", bbl)) == sorted(keys)
    # biblatex keeps the permalink, anchor included
    assert records["lstm.c_t"]["url"] in bbl


def test_equations_tex_and_every_cell_tex_compile(published: Path) -> None:
    import gated_ref as gr

    log = pdflatex(published, "equations")
    log = pdflatex(published, "equations")  # labels settled: no "may have changed"
    assert latex_problems(log) == [], f"equations.tex: {latex_problems(log)}"
    assert "Label(s) may have changed" not in log and "multiply defined" not in log
    for name in gr.CELL_NAMES:
        log = pdflatex(published / "equations", name)
        assert latex_problems(log) == [], f"equations/{name}.tex: {latex_problems(log)}"
        assert "multiply defined" not in log, name


def test_the_checks_see_errors_and_warnings(tmp_path: Path) -> None:
    """The log checks catch what they are for: an undefined control sequence, an undefined
    citation, and BibTeX's warning on an entry type a classic style lacks (@software)."""
    (tmp_path / "bad.bib").write_text(
        "@software{tool,\n  author = {A. Person},\n  title = {T},\n"
        "  year = {2026},\n  version = {1}\n}\n"
    )
    (tmp_path / "bad.tex").write_text(
        "\\documentclass{article}\n\\begin{document}\n\\cite{tool} \\cite{missing} "
        "$\\notacommand$\n\\bibliographystyle{plain}\n\\bibliography{bad}\n\\end{document}\n"
    )
    proc = run([tool("pdflatex"), "-interaction=nonstopmode", "bad.tex"], tmp_path)
    assert proc.returncode != 0
    log = (tmp_path / "bad.log").read_text(encoding="latin-1")
    assert any("Undefined control sequence" in p for p in latex_problems(log))
    assert any("Citation" in p for p in latex_problems(log))
    run([tool("bibtex"), "bad"], tmp_path)
    blg = (tmp_path / "bad.blg").read_text(encoding="latin-1")
    assert any("isn't style-file defined" in p for p in bibtex_problems(blg)), blg
