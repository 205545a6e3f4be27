"""The diagram runner on throwaway repositories: skipping, invalidation, failures, atomicity."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from sitebuild import notebooks, runner

SCRIPT = '''\
"""{title}"""
import sys
from pathlib import Path

{imports}
SEED = 0


def main(out_dir: Path) -> None:
{body}


if __name__ == "__main__":
    main(Path(sys.argv[1]))
'''


def write_script(layout: runner.Layout, name: str, body: str, imports: str = "", title="T") -> Path:
    """A diagram script ``name.py`` whose ``main`` runs ``body``."""
    layout.scripts.mkdir(parents=True, exist_ok=True)
    path = layout.scripts / f"{name}.py"
    text = SCRIPT.format(title=title, imports=imports, body=textwrap.indent(body, "    "))
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def layout(tmp_path: Path) -> runner.Layout:
    """An empty repository: diagrams/, docs/generated/, .cache/diagrams/."""
    return runner.Layout.for_repo(tmp_path)


def outputs(layout: runner.Layout) -> dict[str, tuple[bytes, int]]:
    """Every file under docs/generated/: bytes and mtime."""
    return {
        p.relative_to(layout.out).as_posix(): (p.read_bytes(), p.stat().st_mtime_ns)
        for p in sorted(layout.out.rglob("*"))
        if p.is_file()
    }


def test_renders_then_skips_when_nothing_changed(layout: runner.Layout) -> None:
    write_script(layout, "a", '(out_dir / "a.txt").write_text("one")')
    write_script(
        layout, "b", '(out_dir / "sub").mkdir()\n(out_dir / "sub" / "b.txt").write_text("2")'
    )
    first = runner.run(layout)
    assert sorted(first.rendered) == ["a", "b"] and first.skipped == []
    assert (layout.out / "a" / "a.txt").read_text() == "one"
    assert (layout.out / "b" / "sub" / "b.txt").read_text() == "2"
    before = outputs(layout)
    second = runner.run(layout)
    assert second.rendered == [] and sorted(second.skipped) == ["a", "b"]
    assert outputs(layout) == before  # same bytes, same mtimes


def test_script_edit_renders_again(layout: runner.Layout) -> None:
    write_script(layout, "a", '(out_dir / "a.txt").write_text("one")')
    runner.run(layout)
    write_script(layout, "a", '(out_dir / "a.txt").write_text("two")')
    assert runner.run(layout).rendered == ["a"]
    assert (layout.out / "a" / "a.txt").read_text() == "two"


def test_imported_repository_module_is_part_of_the_hash(layout: runner.Layout) -> None:
    pkg = layout.root / "pkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "values.py").write_text("VALUE = 1\n")
    (layout.root / "loose.py").write_text("Y = 0\n")
    (layout.root / "other.py").write_text("Z = 0\n")
    write_script(
        layout,
        "a",
        '(out_dir / "v.txt").write_text(str(values.VALUE + loose.Y))',
        "import loose\nfrom pkg import values",
    )
    runner.run(layout)
    stamp = json.loads((layout.cache / "a.json").read_text())
    assert stamp["modules"] == ["loose.py", "pkg/"]
    (layout.root / "other.py").write_text("Z = 1\n")  # not imported: no re-render
    assert runner.run(layout).rendered == []
    (pkg / "values.py").write_text("VALUE = 2\n")
    assert runner.run(layout).rendered == ["a"]
    assert (layout.out / "a" / "v.txt").read_text() == "2"
    (pkg / "new.py").write_text("")  # a new file in an imported package counts
    assert runner.run(layout).rendered == ["a"]
    (layout.root / "loose.py").write_text("Y = 1\n")
    assert runner.run(layout).rendered == ["a"]
    assert (layout.out / "a" / "v.txt").read_text() == "3"


def test_depends_files_are_part_of_the_hash(layout: runner.Layout) -> None:
    data = layout.root / "data.csv"
    data.write_text("1\n")
    body = '(out_dir / "d.txt").write_text((ROOT / "data.csv").read_text())'
    imports = 'DEPENDS = ("data.csv",)\nROOT = Path(__file__).resolve().parents[1]'
    write_script(layout, "a", body, imports)
    runner.run(layout)
    assert runner.run(layout).rendered == []
    data.write_text("2\n")
    assert runner.run(layout).rendered == ["a"]
    assert (layout.out / "a" / "d.txt").read_text() == "2\n"


def test_failure_names_the_script_and_keeps_the_previous_output(layout: runner.Layout) -> None:
    write_script(layout, "good", '(out_dir / "g.txt").write_text("g")')
    write_script(layout, "bad", '(out_dir / "b.txt").write_text("old")')
    runner.run(layout)
    before = outputs(layout)
    stamp = (layout.cache / "bad.json").read_bytes()
    write_script(
        layout,
        "bad",
        '(out_dir / "b.txt").write_text("half")\nraise RuntimeError("boom in the middle")',
    )
    with pytest.raises(runner.DiagramError) as info:
        runner.run(layout)
    message = str(info.value)
    assert "diagrams/bad.py failed" in message
    assert "Traceback" in message and "RuntimeError: boom in the middle" in message
    assert outputs(layout) == before  # nothing half-written, nothing touched
    assert (layout.cache / "bad.json").read_bytes() == stamp  # still out of date
    with pytest.raises(runner.DiagramError):
        runner.run(layout)  # and it fails again, rather than being skipped


def test_conventions_are_checked(layout: runner.Layout) -> None:
    layout.scripts.mkdir(parents=True)
    (layout.scripts / "nodoc.py").write_text("def main(out_dir):\n    pass\n")
    with pytest.raises(runner.DiagramError, match="nodoc.py: needs a module docstring"):
        runner.run(layout, only=["nodoc"])
    (layout.scripts / "nomain.py").write_text('"""Title."""\n')
    with pytest.raises(runner.DiagramError, match=r"nomain.py: needs a function main\(out_dir\)"):
        runner.run(layout, only=["nomain"])
    write_script(layout, "empty", "pass")
    with pytest.raises(runner.DiagramError, match="wrote no files"):
        runner.run(layout, only=["empty"])
    with pytest.raises(runner.DiagramError, match="unknown diagram"):
        runner.run(layout, only=["missing"])


def test_helpers_are_not_run_and_stale_outputs_go(layout: runner.Layout) -> None:
    write_script(layout, "_helper", "raise SystemExit('helpers must not run')")
    write_script(
        layout, "a", '(out_dir / "a.txt").write_text("a")\n(out_dir / "x.txt").write_text("x")'
    )
    runner.run(layout)
    write_script(layout, "a", '(out_dir / "a.txt").write_text("a")')
    runner.run(layout)
    assert sorted(p.name for p in (layout.out / "a").iterdir()) == ["a.txt"]
    (layout.out / "_vendor").mkdir()  # other build steps' folders are left alone
    (layout.scripts / "a.py").unlink()
    assert runner.run(layout).removed == ["a"]
    assert not (layout.out / "a").exists() and (layout.out / "_vendor").is_dir()
    assert not (layout.cache / "a.json").exists()


def test_deleted_output_renders_again(layout: runner.Layout) -> None:
    write_script(layout, "a", '(out_dir / "a.txt").write_text("a")')
    runner.run(layout)
    (layout.out / "a" / "a.txt").write_text("edited by hand")
    assert runner.run(layout).rendered == ["a"]
    assert (layout.out / "a" / "a.txt").read_text() == "a"


def test_write_atomic_rewrites_only_changes(tmp_path: Path) -> None:
    path = tmp_path / "f.txt"
    assert runner.write_atomic(path, b"x") is True
    mtime = path.stat().st_mtime_ns
    assert runner.write_atomic(path, b"x") is False
    assert path.stat().st_mtime_ns == mtime
    assert runner.write_atomic(path, b"y") is True and path.read_bytes() == b"y"
    assert [p.name for p in tmp_path.iterdir()] == ["f.txt"]  # no temporary left behind


def test_package_hash_follows_sources(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text("A = 1\n")
    first = notebooks.package_hash(tmp_path)
    assert notebooks.package_hash(tmp_path) == first
    (tmp_path / "a.py").write_text("A = 2\n")
    assert notebooks.package_hash(tmp_path) != first
