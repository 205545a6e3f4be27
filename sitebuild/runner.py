"""The diagram runner: render every ``diagrams/*.py`` into ``docs/generated/<name>/``.

A diagram script is one figure or table (sphinx-gallery's convention):

- its module docstring's first line is the title;
- it fixes its random seed and guards its command line with ``if __name__ == "__main__":``;
- it defines ``main(out_dir: pathlib.Path) -> None``, which writes its outputs into ``out_dir``;
- optionally ``DEPENDS = ("data/foo.csv", ...)``: files (relative to the repository root) that
  it reads, hashed along with its code.

Scripts whose name starts with ``_`` are helpers (a shared style, say) and are not run.

Each script runs in its own interpreter (``sitebuild/_render_one.py``), into a scratch folder
under ``.cache/diagrams/``. Only when it succeeds is its folder swapped in whole: the new folder is
built beside the old one as ``docs/generated/.<name>.new-XXXX``, the old one is renamed to
``.<name>.old-XXXX``, the new one renamed into place, the old one deleted. Files whose bytes did
not change keep their mtime, and when nothing changed nothing is touched. So a failing (or
killed) script leaves the previous folder exactly as it was, and a reader never sees a folder of
mixed old and new files. A build killed between the two renames leaves an ``.old`` folder and no
current one: the next run puts it back (its fingerprint still describes it), and deletes any other
leftover ``.new``/``.old`` folder and scratch folder before it starts.

One build at a time: :func:`run` holds an exclusive lock on ``.cache/diagrams/build.lock``
(``fcntl.flock``, released by the kernel even when the holder is killed). A second build says who
holds it and waits, up to ``GATED_REF_LOCK_TIMEOUT`` seconds (default 900), then gives up.

A script is skipped when its fingerprint is unchanged: a SHA-256 over the script, every module
inside the repository that it imported last time (``diagrams/_style.py``; for a module of a
package such as ``gated_ref``, every ``*.py`` file of that package as it is now), its ``DEPENDS``
files, the versions of the distributions it imported, the Python version and
the render driver. The fingerprint is recorded in ``.cache/diagrams/<name>.json`` only after a
successful render.
"""

from __future__ import annotations

import fcntl
import hashlib
import importlib.metadata
import json
import logging
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

log = logging.getLogger("mkdocs.plugins.sitebuild")

#: Bump to re-render every script after a change in what the runner records.
PROTOCOL = "1"
DRIVER = Path(__file__).with_name("_render_one.py")
#: Seconds a single script may run before the build gives up on it.
DEFAULT_TIMEOUT = float(os.environ.get("GATED_REF_DIAGRAM_TIMEOUT", "600"))
#: Seconds a build waits for another one holding the lock before giving up.
DEFAULT_LOCK_TIMEOUT = float(os.environ.get("GATED_REF_LOCK_TIMEOUT", "900"))
LOCK_NAME = "build.lock"
#: A script's folder being swapped in (``.new``) or out (``.old``), and a render's scratch.
_SWAP = re.compile(r"\.(?P<name>[^/]+)\.(?P<kind>new|old)-[A-Za-z0-9_]+")
_SCRATCH_PREFIX = ".scratch-"
#: Called as each script is done: (script stem, seconds, "rendered" / "up to date" / "failed").
Progress = Callable[[str, float, str], None]


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
    recovered: list[str] = field(default_factory=list)

    def summary(self) -> str:
        """One line for the build log (the scripts themselves are named as each finishes)."""
        text = f"diagrams: {len(self.rendered)} rendered, {len(self.skipped)} up to date"
        if self.recovered:
            text += f"; cleaned up after an interrupted build: {', '.join(self.recovered)}"
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


def _swap_path(dest: Path, kind: str, token: str) -> Path:
    return dest.with_name(f".{dest.name}.{kind}-{token}")


def swap_in(produced: Mapping[str, bytes], dest: Path) -> bool:
    """Replace the folder ``dest`` whole by one holding exactly ``produced`` (path -> bytes).

    The new folder is written beside ``dest`` (``.<name>.new-XXXX``), then two renames swap it
    in; files whose bytes are unchanged keep their mtime. Returns False, touching nothing,
    when ``dest`` already holds exactly these files.
    """
    current: dict[str, Path] = {}
    if dest.is_dir():
        current = {p.relative_to(dest).as_posix(): p for p in dest.rglob("*") if p.is_file()}
        if current.keys() == produced.keys() and all(
            current[rel].read_bytes() == data for rel, data in produced.items()
        ):
            return False
    dest.parent.mkdir(parents=True, exist_ok=True)
    new = Path(tempfile.mkdtemp(prefix=f".{dest.name}.new-", dir=dest.parent))
    token = new.name.rsplit("-", 1)[1]
    old = _swap_path(dest, "old", token)
    try:
        os.chmod(new, 0o755)
        for rel, data in produced.items():
            target = new / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
            os.chmod(target, 0o644)
            before = current.get(rel)
            if before is not None and before.read_bytes() == data:
                st = before.stat()
                os.utime(target, ns=(st.st_atime_ns, st.st_mtime_ns))
        if dest.exists():
            os.rename(dest, old)
        os.rename(new, dest)
    except BaseException:
        if old.exists() and not dest.exists():
            os.rename(old, dest)
        shutil.rmtree(new, ignore_errors=True)
        raise
    shutil.rmtree(old, ignore_errors=True)
    return True


def recover(layout: Layout) -> list[str]:
    """Clean up after a build that was stopped half-way (killed, say); returns the names fixed.

    An ``.<name>.old-*`` folder with no ``<name>`` beside it was being swapped out: it is put
    back (the recorded fingerprint still describes it). Every other ``.new``/``.old`` folder in
    ``layout.out`` and every folder in ``layout.cache`` (all scratch) is deleted. Call it holding
    :func:`build_lock`.
    """
    fixed: set[str] = set()
    if layout.out.is_dir():
        for child in sorted(layout.out.iterdir()):  # ".a.new-*" sorts before ".a.old-*"
            match = _SWAP.fullmatch(child.name)
            if match is None or not child.is_dir():
                continue
            current = layout.out / match["name"]
            if match["kind"] == "old" and not current.exists():
                os.rename(child, current)
            else:
                shutil.rmtree(child)
            fixed.add(match["name"])
    if layout.cache.is_dir():  # holds stamps, the lock, and scratch folders (older ones unprefixed)
        for child in sorted(p for p in layout.cache.iterdir() if p.is_dir()):
            shutil.rmtree(child)
            fixed.add(child.name.removeprefix(_SCRATCH_PREFIX).rsplit("-", 1)[0])
    return sorted(fixed)


_held: dict[Path, list[int]] = {}  # lock path -> [file descriptor, depth], this process
_held_guard = threading.Lock()


def _holder(fd: int) -> str:
    text = os.pread(fd, 4096, 0).decode("utf-8", "replace").strip()
    return text or "another process (it has not said who it is yet)"


@contextmanager
def build_lock(layout: Layout, timeout: float = DEFAULT_LOCK_TIMEOUT) -> Iterator[None]:
    """Hold the build's exclusive lock, ``<layout.cache>/build.lock``, for the ``with`` block.

    Re-entrant within a process. If another process holds it, says who (pid, command, since
    when) and waits up to ``timeout`` seconds, then raises :class:`DiagramError` naming it.
    """
    path = layout.cache / LOCK_NAME
    with _held_guard:
        entry = _held.get(path)
        if entry is not None:
            entry[1] += 1
    if entry is not None:
        try:
            yield
        finally:
            with _held_guard:
                entry[1] -= 1
        return
    layout.cache.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        deadline = time.monotonic() + timeout
        waiting = False
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                holder = _holder(fd)
                if time.monotonic() >= deadline:
                    raise DiagramError(
                        f"another build is running: {path} is held by {holder}; gave up after "
                        f"{timeout:g} s (GATED_REF_LOCK_TIMEOUT). Let it finish or stop it, "
                        "then build again."
                    ) from None
                if not waiting:
                    log.info(
                        "waiting up to %g s for another build to finish: %s is held by %s",
                        timeout,
                        path,
                        holder,
                    )
                    waiting = True
                time.sleep(0.2)
        since = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime())
        command = " ".join(sys.argv) or sys.executable
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"pid {os.getpid()} ({command}), since {since}\n".encode(), 0)
        with _held_guard:
            _held[path] = [fd, 1]
        try:
            yield
        finally:
            with _held_guard:
                del _held[path]
            os.ftruncate(fd, 0)
    finally:
        os.close(fd)  # releases the lock


@dataclass
class _Result:
    script: Path
    seconds: float
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


def _tail(text: str, lines: int = 40) -> str:
    kept = text.strip().splitlines()
    cut = len(kept) - lines
    return "\n".join(([f"[... {cut} lines ...]"] if cut > 0 else []) + kept[-lines:])


def render(layout: Layout, script: Path, timeout: float = DEFAULT_TIMEOUT) -> None:
    """Run one script into a scratch folder; on success swap in its outputs, record its
    fingerprint.

    Raises :class:`DiagramError` naming the script, with its traceback, when it fails or runs
    past ``timeout`` seconds.
    """
    name = _display_name(layout, script)
    layout.cache.mkdir(parents=True, exist_ok=True)
    prefix = f"{_SCRATCH_PREFIX}{script.stem}-"
    with tempfile.TemporaryDirectory(prefix=prefix, dir=layout.cache) as scratch:
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
            said = exc.stderr or exc.stdout or b""
            said = said.decode("utf-8", "replace") if isinstance(said, bytes) else said
            detail = f"; its last output:\n{_tail(said)}" if said.strip() else ""
            raise DiagramError(
                f"{name} ran past {timeout:g} s and was stopped (GATED_REF_DIAGRAM_TIMEOUT){detail}"
            ) from exc
        if proc.returncode != 0:
            detail = (proc.stderr or proc.stdout).strip()
            raise DiagramError(f"{name} failed (exit {proc.returncode}):\n{detail}")
        info = json.loads(report.read_text(encoding="utf-8"))
        produced = _produced_files(out_dir)
        if not produced:
            raise DiagramError(f"{name}: main(out_dir) wrote no files into out_dir")
        swap_in(produced, layout.out / script.stem)
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
    progress: Progress | None = None,
    lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
) -> Report:
    """Render every out-of-date script, in parallel on up to ``jobs`` cores.

    ``only`` restricts the run to the named scripts (stems); ``force`` ignores fingerprints.
    ``progress`` is told about each script as it is done. Every script is attempted; if any
    failed, :class:`DiagramError` is raised afterwards with all their tracebacks, and their
    previous outputs are left untouched. Holds :func:`build_lock` throughout (waiting up to
    ``lock_timeout`` seconds for it) and first cleans up after an interrupted build.
    """
    with build_lock(layout, timeout=lock_timeout):
        return _run_locked(layout, only, force, jobs, timeout, progress)


def _run_locked(
    layout: Layout,
    only: Sequence[str] | None,
    force: bool,
    jobs: int | None,
    timeout: float,
    progress: Progress | None,
) -> Report:
    tell = progress or (lambda name, seconds, status: None)
    scripts = discover(layout.scripts)
    report = Report(recovered=recover(layout))
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
        start = time.perf_counter()
        if not force and is_up_to_date(layout, script):
            report.skipped.append(script.stem)
            tell(script.stem, time.perf_counter() - start, "up to date")
        else:
            todo.append(script)
    if not todo:
        return report
    workers = max(1, min(len(todo), jobs or os.cpu_count() or 1))

    def attempt(script: Path) -> _Result:
        start = time.perf_counter()
        try:
            render(layout, script, timeout=timeout)
        except DiagramError as exc:
            return _Result(script, time.perf_counter() - start, str(exc))
        return _Result(script, time.perf_counter() - start)

    results = []
    with ThreadPoolExecutor(max_workers=workers) as pool:
        for future in as_completed([pool.submit(attempt, s) for s in todo]):
            result = future.result()
            results.append(result)
            tell(result.script.stem, result.seconds, "failed" if result.error else "rendered")
    order = {s: i for i, s in enumerate(todo)}
    results.sort(key=lambda r: order[r.script])
    failures = [r.error for r in results if r.error]
    report.rendered = [r.script.stem for r in results if not r.error]
    if failures:
        raise DiagramError("\n\n".join(failures))
    return report
