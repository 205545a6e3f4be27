"""The site build when things go wrong: a killed build, a second build, a script that hangs or
names a missing file, a failing script under ``mkdocs build``, no network for MathJax.

Every build here is of a throwaway project (``runner.Layout.for_repo(tmp_path)``); none renders
the real diagrams.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import signal
import subprocess
import sys
import tarfile
import textwrap
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from test_site_runner import outputs, write_script

from sitebuild import runner, vendor

REPO = Path(__file__).resolve().parents[1]
TARBALL_NAME = f"mathjax-{vendor.MATHJAX_VERSION}.tgz"


@pytest.fixture
def layout(tmp_path: Path) -> runner.Layout:
    """An empty project: diagrams/, docs/generated/, .cache/diagrams/."""
    return runner.Layout.for_repo(tmp_path / "project")


def sitebuild_cli(root: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen:
    """``python -m sitebuild --root ROOT ARGS...`` started in its own process group."""
    return subprocess.Popen(
        [sys.executable, "-m", "sitebuild", "--root", str(root), *args],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def wait_for(condition: Callable[[], bool], what: str, alive: subprocess.Popen | None = None):
    """Poll ``condition`` until it holds; fail if ``alive`` exits first (or after 5 minutes,
    so a broken build cannot hang the suite)."""
    deadline = time.monotonic() + 300
    while not condition():
        if alive is not None and alive.poll() is not None:
            out, err = alive.communicate()
            pytest.fail(f"process exited ({alive.returncode}) before {what}:\n{out}\n{err}")
        if time.monotonic() > deadline:
            pytest.fail(f"gave up waiting for {what}")
        time.sleep(0.05)


def garbage(layout: runner.Layout) -> list[str]:
    """Leftovers of an interrupted build: dot-folders in the outputs, scratch in the cache."""
    found = [p.name for p in layout.out.iterdir() if p.name.startswith(".")]
    if layout.cache.is_dir():
        found += [p.name for p in layout.cache.iterdir() if p.is_dir()]
    return sorted(found)


BLOCKING = """\
(out_dir / "a.txt").write_text("new")
(out_dir / "b.txt").write_text("b")
(ROOT / "rendering").write_text("")  # the test kills the build once this exists
threading.Event().wait()
"""
IMPORTS = "import threading\nROOT = Path(__file__).resolve().parents[1]"


def test_killed_build_keeps_previous_outputs_and_the_next_build_is_clean(
    layout: runner.Layout,
) -> None:
    write_script(
        layout, "a", '(out_dir / "a.txt").write_text("old")\n(out_dir / "b.txt").write_text("b")'
    )
    runner.run(layout)
    before = outputs(layout)
    write_script(layout, "a", BLOCKING, IMPORTS)
    marker = layout.root / "rendering"
    build = sitebuild_cli(layout.root, "diagrams")
    wait_for(marker.exists, "the script started rendering", alive=build)
    os.killpg(build.pid, signal.SIGKILL)
    build.communicate()
    assert build.returncode == -signal.SIGKILL
    assert outputs(layout) == before  # the old folder, same bytes, same mtimes
    assert [p.name.split("-")[0] for p in layout.cache.iterdir() if p.is_dir()] == [".scratch"]

    write_script(layout, "a", BLOCKING.replace("threading.Event().wait()", "pass"), IMPORTS)
    build = sitebuild_cli(layout.root, "diagrams")
    out, err = build.communicate()
    assert build.returncode == 0, out + err
    assert (layout.out / "a" / "a.txt").read_text() == "new"
    after = outputs(layout)
    assert after["a/b.txt"] == before["a/b.txt"]  # unchanged bytes keep their mtime
    assert garbage(layout) == []
    assert "cleaned up after an interrupted build: a" in out


def test_recovers_from_a_build_killed_between_the_two_renames(layout: runner.Layout) -> None:
    write_script(layout, "a", '(out_dir / "a.txt").write_text("a")')
    write_script(layout, "b", '(out_dir / "b.txt").write_text("b")')
    runner.run(layout)
    before = outputs(layout)
    # "a" was renamed out of the way, its new folder not yet renamed in; "b" was swapped, its
    # old folder not yet deleted; a half-built ".new" folder lies beside both.
    (layout.out / "a").rename(layout.out / ".a.old-k1ll3d")
    (layout.out / ".a.new-k1ll3d").mkdir()
    (layout.out / ".a.new-k1ll3d" / "a.txt").write_text("half")
    shutil.copytree(layout.out / "b", layout.out / ".b.old-k1ll3d")
    (layout.out / ".b.old-k1ll3d" / "b.txt").write_text("previous b")
    report = runner.run(layout)
    assert report.rendered == [] and sorted(report.skipped) == ["a", "b"]
    assert report.recovered == ["a", "b"]
    assert outputs(layout) == before
    assert garbage(layout) == []


def test_a_second_build_waits_for_the_first_and_names_it(
    layout: runner.Layout, caplog: pytest.LogCaptureFixture
) -> None:
    write_script(layout, "a", '(out_dir / "a.txt").write_text("a")')
    hold = textwrap.dedent(
        """\
        import sys
        from sitebuild import runner
        with runner.build_lock(runner.Layout.for_repo(sys.argv[1])):
            print("held", flush=True)
            sys.stdin.read()
        """
    )
    holder = subprocess.Popen(
        [sys.executable, "-c", hold, str(layout.root)],
        cwd=REPO,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline() == "held\n"
        with pytest.raises(runner.DiagramError) as refused:
            runner.run(layout, lock_timeout=0)
        message = str(refused.value)
        assert f"pid {holder.pid} (" in message and str(layout.cache / "build.lock") in message
        assert not (layout.out / "a").exists()

        caplog.set_level(logging.INFO, logger="mkdocs.plugins.sitebuild")
        done: list[runner.Report] = []
        waiter = threading.Thread(target=lambda: done.append(runner.run(layout)))
        waiter.start()
        wait_for(
            lambda: any(f"held by pid {holder.pid}" in r.getMessage() for r in caplog.records),
            "the second build to say it is waiting",
        )
        assert not (layout.out / "a").exists()  # it waits: nothing rendered yet
    finally:
        holder.communicate()  # closes its stdin: it lets go of the lock and exits
    waiter.join()
    assert done and done[0].rendered == ["a"]


def test_a_script_past_its_timeout_is_stopped_and_keeps_the_previous_output(
    layout: runner.Layout,
) -> None:
    write_script(layout, "slow", '(out_dir / "s.txt").write_text("old")')
    runner.run(layout)
    before, stamp = outputs(layout), (layout.cache / "slow.json").read_bytes()
    write_script(
        layout, "slow", '(out_dir / "s.txt").write_text("new")\ntime.sleep(3600)', "import time"
    )
    with pytest.raises(
        runner.DiagramError, match=r"diagrams/slow\.py ran past 1 s and was stopped"
    ):
        runner.run(layout, timeout=1)
    assert outputs(layout) == before
    assert (layout.cache / "slow.json").read_bytes() == stamp
    assert garbage(layout) == []


@pytest.mark.parametrize("entry", ["data/missing.csv", "data"])
def test_a_depends_entry_that_is_not_a_file_names_the_script_and_the_entry(
    layout: runner.Layout, entry: str
) -> None:
    (layout.root / "data").mkdir(parents=True)
    write_script(layout, "reads", '(out_dir / "r.txt").write_text("r")', f"DEPENDS = ({entry!r},)")
    with pytest.raises(runner.DiagramError) as info:
        runner.run(layout)
    message = str(info.value)
    assert "diagrams/reads.py failed" in message
    assert f"DEPENDS names {entry!r}, which is not a file" in message
    assert not (layout.out / "reads").exists()


def test_cli_prints_a_line_per_diagram_and_a_summary(layout: runner.Layout) -> None:
    write_script(layout, "alpha", '(out_dir / "a.txt").write_text("a")')
    write_script(layout, "beta", 'print("chatter")\n(out_dir / "b.txt").write_text("b")')
    line = r"  {name} +\d+\.\d s  {status}"
    for status in ("rendered", "up to date"):
        build = sitebuild_cli(layout.root, "diagrams")
        out, err = build.communicate()
        assert build.returncode == 0 and err == "", out + err
        lines = out.splitlines()
        assert len(lines) == 3, out
        for name in ("alpha", "beta"):
            assert (
                sum(bool(re.fullmatch(line.format(name=name, status=status), x)) for x in lines)
                == 1
            ), out
        rendered = 2 if status == "rendered" else 0
        assert re.fullmatch(
            rf"diagrams: {rendered} rendered, {2 - rendered} up to date in \d+\.\d s", lines[2]
        ), out


# ---- the MkDocs hook ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def mathjax_tarball() -> Path:
    """The verified MathJax tarball of this checkout (fetched the usual way if not there yet)."""
    return vendor.fetch_mathjax(REPO / ".cache" / "npm")


def test_a_failing_script_stops_mkdocs_build_through_the_hook(
    tmp_path: Path, mathjax_tarball: Path
) -> None:
    project = tmp_path / "site-project"
    (project / "docs").mkdir(parents=True)
    (project / "docs" / "index.md").write_text("# Home\n")
    hook = REPO / "hooks" / "gated_ref_site.py"
    (project / "mkdocs.yml").write_text(
        f"site_name: faults\nstrict: true\nhooks:\n  - {hook}\nnav:\n  - index.md\n"
    )
    layout = runner.Layout.for_repo(project)
    write_script(layout, "bad", 'raise RuntimeError("boom while rendering")')
    env = dict(os.environ, NO_MKDOCS_2_WARNING="1", MATHJAX_DIR=str(mathjax_tarball))
    proc = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    log = proc.stdout + proc.stderr
    assert proc.returncode == 1, log
    assert "diagram build failed" in log and "diagrams/bad.py failed" in log, log
    assert "RuntimeError: boom while rendering" in log, log
    assert not (project / "site" / "index.html").exists()


# ---- MathJax without the network ------------------------------------------------------------


def npm_unreachable(tmp_path: Path) -> dict[str, str]:
    """The environment of a machine whose npm registry cannot be reached, npm cache empty."""
    assert shutil.which("npm"), "make docs needs npm (the Makefile's `node` target installs it)"
    return dict(
        os.environ,
        npm_config_registry="http://127.0.0.1:9/",  # the discard port: connection refused
        npm_config_cache=str(tmp_path / "empty-npm-cache"),
        MATHJAX_DIR="",
    )


def test_offline_mathjax_stops_at_once_saying_what_to_fetch(tmp_path: Path) -> None:
    project = tmp_path / "project"
    build = sitebuild_cli(project, "mathjax", env=npm_unreachable(tmp_path))
    out, err = build.communicate()
    assert build.returncode == 1, out + err
    assert "npm pack mathjax@3.2.2 failed" in err and "ECONNREFUSED" in err, err
    assert f"copy {TARBALL_NAME} to {project / '.cache' / 'npm' / TARBALL_NAME}" in err, err
    assert "set MATHJAX_DIR to that tarball, or to an unpacked mathjax 3.2.2 package" in err, err
    assert not (project / "docs" / "generated" / "_vendor" / "mathjax").exists()


def test_no_npm_at_all_says_what_to_fetch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))
    monkeypatch.delenv("MATHJAX_DIR", raising=False)
    with pytest.raises(vendor.VendorError) as info:
        vendor.install_mathjax(tmp_path / "cache", tmp_path / "mathjax")
    message = str(info.value)
    assert "npm not found" in message and str(tmp_path / "cache" / TARBALL_NAME) in message
    assert "npm pack mathjax@3.2.2" in message and "MATHJAX_DIR" in message


def tarball_files(tarball: Path) -> dict[str, bytes]:
    """A few files the site needs, read straight from the tarball, by their installed path."""
    wanted = {
        "package/es5/tex-chtml.js": "tex-chtml.js",
        "package/es5/input/tex/extensions/ams.js": "input/tex/extensions/ams.js",
        "package/es5/output/chtml/fonts/woff-v2/MathJax_Main-Regular.woff": (
            "output/chtml/fonts/woff-v2/MathJax_Main-Regular.woff"
        ),
        "package/LICENSE": "LICENSE",
    }
    with tarfile.open(tarball, "r:gz") as archive:
        return {wanted[m.name]: archive.extractfile(m).read() for m in archive if m.name in wanted}


def tree(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` by relative path."""
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_mathjax_dir_builds_offline_from_the_tarball_or_an_unpacked_package(
    tmp_path: Path, mathjax_tarball: Path
) -> None:
    env = npm_unreachable(tmp_path)
    copy = tmp_path / "vendored" / "mathjax.tgz"
    copy.parent.mkdir()
    shutil.copy2(mathjax_tarball, copy)
    with tarfile.open(copy, "r:gz") as archive:
        archive.extractall(tmp_path / "unpacked", filter="data")
    expected = tarball_files(mathjax_tarball)
    assert len(expected) == 4
    installed = {}
    for name, source in [
        ("tarball", copy),
        ("package", tmp_path / "unpacked" / "package"),
        ("its parent", tmp_path / "unpacked"),
    ]:
        project = tmp_path / name.replace(" ", "-")
        build = sitebuild_cli(project, "mathjax", env=dict(env, MATHJAX_DIR=str(source)))
        out, err = build.communicate()
        assert build.returncode == 0, out + err
        dest = project / "docs" / "generated" / "_vendor" / "mathjax"
        installed[name] = tree(dest)
        assert {rel: installed[name][rel] for rel in expected} == expected, name
        assert not (project / ".cache" / "npm" / TARBALL_NAME).exists()  # nothing fetched
    assert installed["package"] == installed["tarball"] == installed["its parent"]


def test_mathjax_dir_of_the_wrong_thing_is_refused(
    tmp_path: Path, mathjax_tarball: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))
    package = tmp_path / "package"
    (package / "es5").mkdir(parents=True)
    (package / "package.json").write_text('{"name": "mathjax", "version": "3.2.1"}')
    monkeypatch.setenv("MATHJAX_DIR", str(package))
    with pytest.raises(vendor.VendorError, match=r"package.json says mathjax 3\.2\.1, expected"):
        vendor.install_mathjax(tmp_path / "cache", tmp_path / "dest")
    monkeypatch.setenv("MATHJAX_DIR", str(tmp_path / "nowhere"))
    with pytest.raises(vendor.VendorError, match=r"MATHJAX_DIR=.*nowhere: no such file or folder"):
        vendor.install_mathjax(tmp_path / "cache", tmp_path / "dest")
    truncated = tmp_path / "short.tgz"
    truncated.write_bytes(mathjax_tarball.read_bytes()[:1000])
    monkeypatch.setenv("MATHJAX_DIR", str(truncated))
    with pytest.raises(vendor.VendorError, match=r"short\.tgz: integrity sha512-"):
        vendor.install_mathjax(tmp_path / "cache", tmp_path / "dest")
    assert not (tmp_path / "dest").exists()
