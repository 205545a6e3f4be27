"""MathJax, served by the site itself: fetched from npm at build time, checked, unpacked;
and axe-core, the accessibility engine the browser tests inject into each page, the same way.

The tarball is fetched once with npm's own client (``npm pack``) into ``.cache/npm/``, its
SHA-512 is checked against the pinned integrity below (the one the npm registry publishes), and
the browser bundle is unpacked into ``docs/generated/_vendor/mathjax/``, which MkDocs copies
into the site. Nothing is requested from a CDN at run time.

Offline: ``npm pack`` gets one try and a short timeout (``GATED_REF_NPM_TIMEOUT`` seconds,
default 30), and its failure stops the build at once with what to fetch and where to put it.
Two ways to build without the registry:

- copy ``mathjax-3.2.2.tgz`` (``npm pack mathjax@3.2.2`` on any machine with network) into
  ``.cache/npm/``; or
- set ``MATHJAX_DIR`` to that tarball, or to an unpacked MathJax 3.2.2 package: the folder
  holding ``package.json`` and ``es5/`` (``node_modules/mathjax``, or the ``package/`` folder
  of the unpacked tarball). A tarball is checked against the pinned integrity, a folder against
  its ``package.json`` name and version.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import os
import shutil
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator
from pathlib import Path

log = logging.getLogger("mkdocs.plugins.sitebuild")

MATHJAX_VERSION = "3.2.2"
#: ``npm view mathjax@3.2.2 dist.integrity``
MATHJAX_INTEGRITY = (
    "sha512-Bt+SSVU8eBG27zChVewOicYs7Xsdt40qm4+UpHyX7k0"
    "/O9NliPc+x77k1/FEsPsjKPZGJvtRZM1vO+geW0OhGw=="
)
#: What the browser needs from ``package/es5``: the TeX-to-CommonHTML bundle, its fonts, and the
#: pieces it loads on demand (TeX extensions, the menu, the accessibility explorer).
MATHJAX_PARTS = ("tex-chtml.js", "input", "output/chtml", "ui", "a11y", "sre")

#: The accessibility engine the browser tests run on every page (WCAG 2.0/2.1 A and AA rules).
AXE_CORE_VERSION = "4.14.1"
#: ``npm view axe-core@4.14.1 dist.integrity``
AXE_CORE_INTEGRITY = (
    "sha512-FHfa+lmNjQZfJz1q8wKqIDwC6DExcHt/pkjNQb09a3NPjCKg2rh"
    "u5qb2S4r76ASyFNNtuFooJpZe37OgudVGtQ=="
)


#: Seconds ``npm pack`` may take before the build says it cannot reach the registry.
NPM_TIMEOUT = float(os.environ.get("GATED_REF_NPM_TIMEOUT", "30"))


class VendorError(RuntimeError):
    """A vendored asset could not be fetched or did not match its pinned hash."""


def _how_to_get(tarball: Path) -> str:
    return (
        f"The site serves its own MathJax {MATHJAX_VERSION}; to build without the npm registry:\n"
        f"  - on a machine with network, run `npm pack mathjax@{MATHJAX_VERSION}` and copy "
        f"{tarball.name} to {tarball}; or\n"
        f"  - set MATHJAX_DIR to that tarball, or to an unpacked mathjax {MATHJAX_VERSION} package "
        "(the folder holding package.json and es5/)."
    )


def _integrity(path: Path) -> str:
    digest = hashlib.sha512(path.read_bytes()).digest()
    return "sha512-" + base64.b64encode(digest).decode()


def _npm_summary(stderr: str, lines: int = 4) -> str:
    """npm's error, without its stack trace: the first few lines, indented."""
    kept = []
    for line in stderr.strip().splitlines():
        if line.strip().removeprefix("npm error").lstrip().startswith("at "):
            break
        kept.append("    " + line.strip())
    return "\n".join(kept[:lines])


def fetch_npm(name: str, version: str, integrity: str, cache_dir: Path, how_to_get: str) -> Path:
    """The verified tarball of npm package ``name@version`` in ``cache_dir``, fetched with
    ``npm pack`` if missing; ``how_to_get`` ends every error (how to get it without npm)."""
    cache_dir = cache_dir.resolve()  # npm runs in a scratch folder: no relative paths
    tarball = cache_dir / f"{name}-{version}.tgz"
    if not tarball.is_file():
        npm = shutil.which("npm")
        if npm is None:
            raise VendorError(
                f"npm not found, and {tarball} is missing. Install Node.js and npm (Debian: "
                "apt-get install npm), or get the tarball yourself.\n" + how_to_get
            )
        cache_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=cache_dir) as scratch:
            # One attempt and a short timeout: offline, the build stops now, not after npm's
            # retries (minutes).
            cmd = [npm, "pack", f"{name}@{version}", "--json", "--fetch-retries=0"]
            cmd += [f"--fetch-timeout={int(NPM_TIMEOUT * 1000)}", "--pack-destination", scratch]
            try:
                proc = subprocess.run(
                    cmd,
                    capture_output=True,
                    text=True,
                    cwd=scratch,
                    check=False,
                    timeout=NPM_TIMEOUT + 30,
                )
            except subprocess.TimeoutExpired:
                raise VendorError(
                    f"npm pack {name}@{version} did not finish in {NPM_TIMEOUT + 30:g} s "
                    "(no network?).\n" + how_to_get
                ) from None
            if proc.returncode != 0:
                said = _npm_summary(proc.stderr)
                raise VendorError(
                    f"npm pack {name}@{version} failed (exit {proc.returncode}; no "
                    f"network, or the registry unreachable?):\n{said}\n" + how_to_get
                )
            filename = json.loads(proc.stdout)[0]["filename"]
            Path(scratch, filename).replace(tarball)
    got = _integrity(tarball)
    if got != integrity:
        tarball.unlink()
        raise VendorError(
            f"{tarball.name}: integrity {got}, expected {integrity}; deleted, "
            "the next build fetches it again"
        )
    return tarball


def fetch_mathjax(cache_dir: Path) -> Path:
    """The verified MathJax tarball in ``cache_dir``, fetched with ``npm pack`` if missing."""
    tarball = cache_dir / f"mathjax-{MATHJAX_VERSION}.tgz"
    return fetch_npm("mathjax", MATHJAX_VERSION, MATHJAX_INTEGRITY, cache_dir, _how_to_get(tarball))


def axe_core_source(cache_dir: Path) -> str:
    """The text of axe-core's browser bundle (``axe.min.js``), from the verified tarball in
    ``cache_dir`` (fetched with ``npm pack`` if missing). The accessibility tests inject it
    into each page themselves: nothing is requested from elsewhere."""
    tarball = cache_dir / f"axe-core-{AXE_CORE_VERSION}.tgz"
    how = (
        f"The accessibility tests run axe-core {AXE_CORE_VERSION}; without the npm registry, run "
        f"`npm pack axe-core@{AXE_CORE_VERSION}` on a machine with network and copy "
        f"{tarball.name} to {tarball}."
    )
    fetch_npm("axe-core", AXE_CORE_VERSION, AXE_CORE_INTEGRITY, cache_dir, how)
    with tarfile.open(tarball, "r:gz") as archive, archive.extractfile("package/axe.min.js") as f:
        return f.read().decode("utf-8")


def _wanted(rel: str) -> str | None:
    """Where a file of the package (path relative to the package root) goes in the install."""
    if rel == "LICENSE":
        return rel
    if any(rel.startswith(f"es5/{part}") for part in MATHJAX_PARTS):
        return rel.removeprefix("es5/")
    return None


def _from_tarball(tarball: Path) -> Iterator[tuple[str, bytes]]:
    with tarfile.open(tarball, "r:gz") as archive:
        for member in archive.getmembers():
            if member.isfile() and member.name.startswith("package/"):
                rel = _wanted(member.name.removeprefix("package/"))
                if rel is not None:
                    with archive.extractfile(member) as src:
                        yield rel, src.read()


def _package_folder(folder: Path) -> Path:
    """The MathJax package inside ``folder`` (itself, or its ``package/``), checked."""
    if not (folder / "package.json").is_file() and (folder / "package" / "package.json").is_file():
        folder = folder / "package"
    try:
        meta = json.loads((folder / "package.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise VendorError(
            f"MATHJAX_DIR={folder}: no readable package.json ({exc}); expected an unpacked "
            f"mathjax {MATHJAX_VERSION} package (package.json and es5/) or its .tgz"
        ) from exc
    got = (meta.get("name"), meta.get("version"))
    if got != ("mathjax", MATHJAX_VERSION):
        raise VendorError(
            f"MATHJAX_DIR={folder}: package.json says {got[0]} {got[1]}, expected mathjax "
            f"{MATHJAX_VERSION}"
        )
    return folder


def _from_folder(folder: Path) -> Iterator[tuple[str, bytes]]:
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            rel = _wanted(path.relative_to(folder).as_posix())
            if rel is not None:
                yield rel, path.read_bytes()


def _source_files(cache_dir: Path, source: Path | None) -> tuple[str, Iterator[tuple[str, bytes]]]:
    """A name for where MathJax comes from, and its files (install path, bytes)."""
    if source is None:
        tarball = fetch_mathjax(cache_dir)
        return tarball.name, _from_tarball(tarball)
    if source.is_dir():
        folder = _package_folder(source)
        return f"MATHJAX_DIR={folder}", _from_folder(folder)
    if source.is_file():
        got = _integrity(source)
        if got != MATHJAX_INTEGRITY:
            raise VendorError(
                f"MATHJAX_DIR={source}: integrity {got}, expected {MATHJAX_INTEGRITY} "
                f"(mathjax-{MATHJAX_VERSION}.tgz from `npm pack mathjax@{MATHJAX_VERSION}`)"
            )
        return f"MATHJAX_DIR={source}", _from_tarball(source)
    raise VendorError(
        f"MATHJAX_DIR={source}: no such file or folder; expected mathjax-{MATHJAX_VERSION}.tgz "
        "or an unpacked mathjax package (package.json and es5/)"
    )


def install_mathjax(cache_dir: Path, dest: Path, source: Path | str | None = None) -> bool:
    """Unpack MathJax's browser bundle into ``dest`` unless already there.

    It comes from ``source`` (the tarball or an unpacked package; default: the ``MATHJAX_DIR``
    environment variable), else from the verified tarball in ``cache_dir``, fetched with npm if
    missing. Returns True when it (re)installed. The folder is swapped in whole, so a failed
    unpack leaves the previous one.
    """
    if source is None:
        source = os.environ.get("MATHJAX_DIR") or None
    source = Path(source).expanduser().resolve() if source is not None else None
    if source is not None and not source.exists():
        _source_files(cache_dir, source)  # raises, naming MATHJAX_DIR
    stamp = dest / ".installed"
    expected = f"mathjax {MATHJAX_VERSION} {' '.join(MATHJAX_PARTS)}\n"
    if stamp.is_file() and stamp.read_text(encoding="utf-8") == expected:
        return False
    origin, files = _source_files(cache_dir, source)
    dest.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".mathjax-", dir=dest.parent) as scratch:
        staging = Path(scratch) / "mathjax"
        for rel, data in files:
            target = staging / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        if not (staging / "tex-chtml.js").is_file():
            raise VendorError(f"{origin}: no es5/tex-chtml.js inside")
        (staging / ".installed").write_text(expected, encoding="utf-8")
        old = Path(scratch) / "old"
        if dest.exists():
            dest.replace(old)
        staging.replace(dest)
    log.info("MathJax %s installed into %s (from %s)", MATHJAX_VERSION, dest, origin)
    return True
