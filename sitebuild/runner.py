"""The diagram runner: render every ``diagrams/*.py`` into ``docs/generated/<name>/``.

A diagram script is one figure or table (sphinx-gallery's convention):

- its module docstring's first line is the title;
- it fixes its random seed and guards its command line with ``if __name__ == "__main__":``;
- it defines ``main(out_dir: pathlib.Path) -> None``, which writes its outputs into ``out_dir``;
- optionally ``DEPENDS = ("data/foo.csv", ...)``: files (relative to the repository root) that
  it reads, hashed along with its code.

Scripts whose name starts with ``_`` are helpers (a shared style, say) and are not run.

Each script runs in its own interpreter (``sitebuild/_render_one.py``), into a scratch folder.
Only when it succeeds are its outputs copied into ``docs/generated/<name>/``, file by file, each
through a temporary file and ``os.replace``, and only when the bytes differ; files it no longer
writes are removed. So a failing script leaves the previous output exactly as it was, a reader
never sees half a file, and an unchanged figure keeps its bytes and its mtime.

A script is skipped when its fingerprint is unchanged: a SHA-256 over the script, every module
inside the repository that it imported last time (``diagrams/_style.py``; for a module of a
package such as ``gated_ref``, every ``*.py`` file of that package as it is now), its ``DEPENDS``
files, the versions of the distributions it imported, the Python version and
the render driver. The fingerprint is recorded in ``.cache/diagrams/<name>.json`` only after a
successful render.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import logging
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

log = logging.getLogger("mkdocs.plugins.sitebuild")

#: Bump to re-render every script after a change in what the runner records.
PROTOCOL = "1"
DRIVER = Path(__file__).with_name("_render_one.py")
#: Seconds a single script may run before the build gives up on it.
DEFAULT_TIMEOUT = float(os.environ.get("GATED_REF_DIAGRAM_TIMEOUT", "600"))


class DiagramError(RuntimeError):
    """One or more diagram scripts failed; the message names each with its traceback."""


@dataclass(frozen=True)
class Layout:
    """Where the runner reads scripts, writes outputs and keeps its fingerprints."""

    root: Path
    scripts: Path
    out: Path
    cache: Path

    @classmethod
    def for_repo(cls, root: Path | str) -> Layout:
        """The repository's standard layout: ``diagrams/`` -> ``docs/generated/``."""
        root = Path(root).resolve()
        return cls(
            root=root,
            scripts=root / "diagrams",
            out=root / "docs" / "generated",
            cache=root / ".cache" / "diagrams",
        )


@dataclass
class Report:
    """What one run did: script names rendered and skipped, output folders removed."""

    rendered: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)

    def summary(self) -> str:
        """One line for the build log."""
        text = f"diagrams: {len(self.rendered)} rendered, {len(self.skipped)} up to date"
        if self.rendered:
            text += f" (rendered: {', '.join(self.rendered)})"
        if self.removed:
            text += f"; removed stale: {', '.join(self.removed)}"
        return text


def discover(scripts_dir: Path) -> list[Path]:
    """Every diagram script in ``scripts_dir``, sorted; helpers (``_*.py``) excluded."""
    if not scripts_dir.is_dir():
        return []
    return sorted(p for p in scripts_dir.glob("*.py") if not p.name.startswith("_"))


def sha256_bytes(data: bytes) -> str:
    """Hex SHA-256 of ``data``."""
    return hashlib.sha256(data).hexdigest()


def _dist_version(name: str) -> str:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return "<missing>"


def fingerprint(
    layout: Layout,
    script: Path,
    modules: Iterable[str],
    depends: Iterable[str],
    dists: Iterable[str],
) -> str:
    """The content hash that decides whether ``script`` must render again.

    ``modules`` and ``depends`` are paths relative to ``layout.root``; one ending in ``/`` is a
    package, and stands for every ``*.py`` file in it now. ``dists`` are distribution names
    whose installed versions are hashed.
    """
    h = hashlib.sha256()

    def feed(tag: str, payload: bytes) -> None:
        h.update(tag.encode() + b"\0" + len(payload).to_bytes(8, "big") + payload)

    feed("protocol", PROTOCOL.encode())
    feed("python", sys.version.encode())
    feed("driver", DRIVER.read_bytes())
    feed("script", script.read_bytes())
    files: set[str] = set(depends)
    for rel in modules:
        if rel.endswith("/"):
            package = layout.root / rel
            files.add(rel)  # a deleted package still changes the hash
            files.update(
                p.relative_to(layout.root).as_posix()
                for p in package.rglob("*.py")
                if "__pycache__" not in p.parts
            )
        else:
            files.add(rel)
    for rel in sorted(files):
        path = layout.root / rel
        feed("file:" + rel, path.read_bytes() if path.is_file() else b"<missing>")
    for name in sorted(set(dists)):
        feed("dist:" + name, _dist_version(name).encode())
    return h.hexdigest()


def _stamp_path(layout: Layout, script: Path) -> Path:
    return layout.cache / f"{script.stem}.json"


def _read_stamp(layout: Layout, script: Path) -> dict | None:
    path = _stamp_path(layout, script)
    try:
        stamp = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return stamp if isinstance(stamp, dict) else None


def _outputs_intact(layout: Layout, script: Path, outputs: Mapping[str, str]) -> bool:
    folder = layout.out / script.stem
    for rel, digest in outputs.items():
        path = folder / rel
        if not path.is_file() or sha256_bytes(path.read_bytes()) != digest:
            return False
    return bool(outputs)


def is_up_to_date(layout: Layout, script: Path) -> bool:
    """True when ``script``'s recorded fingerprint and outputs still match the files on disk."""
    stamp = _read_stamp(layout, script)
    if stamp is None:
        return False
    try:
        current = fingerprint(layout, script, stamp["modules"], stamp["depends"], stamp["dists"])
        return current == stamp["hash"] and _outputs_intact(layout, script, stamp["outputs"])
    except (KeyError, TypeError):
        return False


def write_atomic(path: Path, data: bytes) -> bool:
    """Write ``data`` to ``path`` through a temporary file; do nothing if the bytes are equal.

    Returns True when the file was (re)written.
    """
    if path.is_file() and path.read_bytes() == data:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return True


def _produced_files(folder: Path) -> dict[str, bytes]:
    files: dict[str, bytes] = {}
    for path in sorted(folder.rglob("*")):
        if path.is_symlink():
            raise DiagramError(f"{path}: diagram outputs must be plain files, not links")
        if path.is_file():
            files[path.relative_to(folder).as_posix()] = path.read_bytes()
    return files


def sync_folder(produced: Mapping[str, bytes], dest: Path) -> None:
    """Make ``dest`` hold exactly ``produced`` (relative path -> bytes), rewriting only changes."""
    for rel, data in produced.items():
        write_atomic(dest / rel, data)
    if dest.is_dir():
        for path in sorted(dest.rglob("*"), reverse=True):
            rel = path.relative_to(dest).as_posix()
            if path.is_file() and rel not in produced:
                path.unlink()
            elif path.is_dir() and not any(path.iterdir()):
                path.rmdir()


@dataclass
class _Result:
    script: Path
    error: str | None = None


def _child_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONHASHSEED"] = "0"
    env.setdefault("SOURCE_DATE_EPOCH", "1767225600")
    env["MPLBACKEND"] = "Agg"
    # One BLAS thread per script: the runner already uses the cores, and a reduction split
    # over a different number of threads can change the last bits of a float.
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env[var] = "1"
    return env


def render(layout: Layout, script: Path, timeout: float = DEFAULT_TIMEOUT) -> None:
    """Run one script into a scratch folder; on success publish its outputs and fingerprint.

    Raises :class:`DiagramError` naming the script, with its traceback, when it fails.
    """
    name = _display_name(layout, script)
    layout.cache.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=f"{script.stem}-", dir=layout.cache) as scratch:
        out_dir = Path(scratch) / "out"
        report = Path(scratch) / "report.json"
        cmd = [
            sys.executable,
            str(DRIVER),
            "--root",
            str(layout.root),
            "--script",
            str(script),
            "--out",
            str(out_dir),
            "--report",
            str(report),
        ]
        try:
            proc = subprocess.run(
                cmd,
                cwd=layout.root,
                env=_child_env(),
                capture_output=True,
                text=True,
                timeout=timeout,
            )
        except subprocess.TimeoutExpired as exc:
            raise DiagramError(f"{name} ran past {timeout:g} s and was stopped") from exc
        if proc.returncode != 0:
            detail = (proc.stderr or proc.stdout).strip()
            raise DiagramError(f"{name} failed (exit {proc.returncode}):\n{detail}")
        info = json.loads(report.read_text(encoding="utf-8"))
        produced = _produced_files(out_dir)
        if not produced:
            raise DiagramError(f"{name}: main(out_dir) wrote no files into out_dir")
        sync_folder(produced, layout.out / script.stem)
        stamp = {
            "script": name,
            "title": info["title"],
            "hash": fingerprint(layout, script, info["modules"], info["depends"], info["dists"]),
            "modules": info["modules"],
            "depends": info["depends"],
            "dists": info["dists"],
            "outputs": {rel: sha256_bytes(data) for rel, data in produced.items()},
        }
        text = json.dumps(stamp, indent=1, sort_keys=True) + "\n"
        write_atomic(_stamp_path(layout, script), text.encode())


def _display_name(layout: Layout, script: Path) -> str:
    try:
        return script.resolve().relative_to(layout.root).as_posix()
    except ValueError:
        return str(script)


def remove_stale(layout: Layout, scripts: Sequence[Path]) -> list[str]:
    """Delete output folders and fingerprints of scripts that no longer exist.

    Folders whose name starts with ``_`` or ``.`` belong to other build steps and are kept.
    """
    names = {s.stem for s in scripts}
    removed = []
    if layout.out.is_dir():
        for child in sorted(layout.out.iterdir()):
            if child.is_dir() and child.name[0] not in "_." and child.name not in names:
                shutil.rmtree(child)
                removed.append(child.name)
    if layout.cache.is_dir():
        for stamp in sorted(layout.cache.glob("*.json")):
            if stamp.stem not in names:
                stamp.unlink()
    return removed


def run(
    layout: Layout,
    only: Sequence[str] | None = None,
    force: bool = False,
    jobs: int | None = None,
    timeout: float = DEFAULT_TIMEOUT,
) -> Report:
    """Render every out-of-date script, in parallel on up to ``jobs`` cores.

    ``only`` restricts the run to the named scripts (stems); ``force`` ignores fingerprints.
    Every script is attempted; if any failed, :class:`DiagramError` is raised afterwards with
    all their tracebacks, and their previous outputs are left untouched.
    """
    scripts = discover(layout.scripts)
    report = Report()
    if only is None:
        report.removed = remove_stale(layout, scripts)
    else:
        unknown = sorted(set(only) - {s.stem for s in scripts})
        if unknown:
            known = ", ".join(s.stem for s in scripts) or "none"
            raise DiagramError(f"unknown diagram(s): {', '.join(unknown)}; known: {known}")
        scripts = [s for s in scripts if s.stem in only]
    todo = []
    for script in scripts:
        if not force and is_up_to_date(layout, script):
            report.skipped.append(script.stem)
        else:
            todo.append(script)
    if not todo:
        return report
    workers = max(1, min(len(todo), jobs or os.cpu_count() or 1))

    def attempt(script: Path) -> _Result:
        try:
            render(layout, script, timeout=timeout)
        except DiagramError as exc:
            return _Result(script, str(exc))
        return _Result(script)

    with ThreadPoolExecutor(max_workers=workers) as pool:
        results = list(pool.map(attempt, todo))
    failures = [r.error for r in results if r.error]
    report.rendered = [r.script.stem for r in results if not r.error]
    if failures:
        raise DiagramError("\n\n".join(failures))
    return report
