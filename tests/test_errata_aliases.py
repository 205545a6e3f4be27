"""The errata page and renamed ids: what diagrams/errata.py writes from the registry and the
changes, and how an old id stays an anchor on its equation (diagrams/equations.py, the hook)."""

from __future__ import annotations

import importlib.util
import json
import shutil
import sys
from pathlib import Path

import markdown
import pytest

from gated_ref import registry as reg
from gated_ref.exports import equation_records

ROOT = Path(__file__).resolve().parents[1]
DIAGRAMS = ROOT / "diagrams"


def load(path: Path, name: str):  # noqa: ANN201
    """Import a diagram script or the hook as a module."""
    if str(DIAGRAMS) not in sys.path:
        sys.path.insert(0, str(DIAGRAMS))
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def history(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A repository root whose registry is today's and whose changes rename, change and
    remove one id each (the registry module reads its files from there)."""
    (tmp_path / "data").mkdir()
    shutil.copy(ROOT / reg.REGISTRY, tmp_path / reg.REGISTRY)
    known = json.loads((ROOT / reg.REGISTRY).read_text(encoding="utf-8"))["ids"]
    old = known["lstm.h_t"]["fingerprint"]
    (tmp_path / reg.CHANGES).write_text(
        "[[change]]\n"
        'id = "gru.h_t"\nversion = "0.2.0"\nrenamed_to = "gru.h"\n'
        'reason = "the output is h, at every step"\n'
        "[[change]]\n"
        f'id = "lstm.h_t"\nversion = "0.2.0"\nold = "{old}"\nnew = "{"f" * 16}"\n'
        'reason = "a | in the reason"\n'
        "[[change]]\n"
        'id = "mgu.f_t"\nversion = "0.3.0"\nremoved = true\nreason = "withdrawn"\n',
        encoding="utf-8",
    )
    monkeypatch.setattr(reg, "ROOT", tmp_path)
    return tmp_path


def test_errata_lists_each_change_by_version(history: Path, tmp_path: Path) -> None:
    errata = load(DIAGRAMS / "errata.py", "_test_errata")
    out = tmp_path / "out"
    errata.main(out)
    known = json.loads((history / reg.REGISTRY).read_text(encoding="utf-8"))["ids"]
    summary = (out / "summary.md").read_text(encoding="utf-8")
    assert f"holds **{len(known)}** published equation ids" in summary
    assert f"**{len(known) - 1}** of them are on the site today" in summary
    assert "**1** old ids are aliases" in summary and "**1** were removed" in summary
    assert "**3** changes are recorded" in summary
    changes = (out / "changes.md").read_text(encoding="utf-8")
    # newest version first; a renamed id links to its alias anchor, a removed one is no link
    assert changes.index("### Version 0.3.0") < changes.index("### Version 0.2.0")
    assert (
        "| [`gru.h_t`](gr-eq:gru.h_t) | renamed to [`gru.h`](gr-eq:gru.h) | unchanged |" in changes
    )
    assert "| `mgu.f_t` | removed | — | withdrawn |" in changes
    assert f"→ `{'f' * 16}` | a \\| in the reason |" in changes
    html = markdown.markdown(changes, extensions=["tables"])
    assert html.count("<tr>") == 3 + 2  # three changes, two header rows


def test_no_changes_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "data").mkdir()
    shutil.copy(ROOT / reg.REGISTRY, tmp_path / reg.REGISTRY)
    (tmp_path / reg.CHANGES).write_text("# nothing yet\n", encoding="utf-8")
    monkeypatch.setattr(reg, "ROOT", tmp_path)
    errata = load(DIAGRAMS / "errata.py", "_test_errata_none")
    errata.main(tmp_path / "out")
    assert (
        (tmp_path / "out" / "changes.md")
        .read_text(encoding="utf-8")
        .startswith("No published equation has changed")
    )


def test_a_renamed_id_stays_an_anchor_on_its_equation(history: Path, tmp_path: Path) -> None:
    """The old id is an HTML anchor beside the equation's own, the hook resolves links to it and
    accepts it as an anchor of that page, and the script publishes the alias."""
    equations = load(DIAGRAMS / "equations.py", "_test_equations_aliases")
    record = next(r for r in equation_records(["gru"]) if r.id == "gru.h_t")
    row = record.latex.replace(" = ", " &= ", 1)
    text = equations.entry(row, record, anchored=True, aliases=("gru.h_old",))
    html = markdown.markdown(text, extensions=["attr_list", "md_in_html"])
    assert (
        '<span class="gr-eq-alias" id="gru.h_old"></span>'
        '<a class="gr-eq-id" href="#gru.h_t" id="gru.h_t">' in html
    )
    # the script writes every alias, and puts it on the page of the equation it now names
    out = tmp_path / "eq"
    equations.main(out)
    assert json.loads((out / "aliases.json").read_text(encoding="utf-8")) == {"gru.h_t": "gru.h"}
    hook = load(ROOT / "hooks" / "gated_ref_site.py", "_test_hook_aliases")
    docs = tmp_path / "docs"
    (docs / hook.EQUATIONS_JSON).parent.mkdir(parents=True)
    (docs / hook.ALIASES_JSON).parent.mkdir(parents=True)
    (docs / hook.EQUATIONS_JSON).write_text(
        json.dumps([{"id": "gru.h", "page": "cells/gru/#gru.h"}]), encoding="utf-8"
    )
    (docs / hook.ALIASES_JSON).write_text(json.dumps({"gru.h_t": "gru.h"}), encoding="utf-8")
    pages = hook.equation_pages(docs)
    assert pages == {"gru.h": "cells/gru/", "gru.h_t": "cells/gru/"}
    link = hook.resolve_links('<a href="gr-eq:gru.h_t">', "derivations/", pages, set())
    assert link == '<a href="../cells/gru/#gru.h_t">'
    page = '<span class="gr-eq-alias" id="gru.h_t"></span><a class="gr-eq-id" id="gru.h">'
    assert hook.anchor_problems(page, "cells/gru/", pages) == []
    assert hook.anchor_problems(page.split("</span>")[1], "cells/gru/", pages) == [
        "id 'gru.h_t' appears 0 times as an HTML id, expected once"
    ]
    # an alias of an id that is not on the site stops the build, naming it
    (docs / hook.ALIASES_JSON).write_text(json.dumps({"gru.x": "gru.nope"}), encoding="utf-8")
    with pytest.raises(Exception, match=r"aliases of ids that are not on the site: \['gru.nope'\]"):
        hook.equation_pages(docs)
