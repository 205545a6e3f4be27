"""Notebook caching keyed on the package, not only on the notebook's bytes.

mkdocs-jupyter caches each executed notebook under a key made of the notebook's bytes and its
own options, so an edit to ``gated_ref`` would leave every notebook showing stale outputs. The
hook points the plugin's ``cache_dir`` at a subfolder named after :func:`package_hash`; a change
to the package or to the execution toolchain picks a fresh folder, and every notebook executes
again. Superseded folders are removed after a successful build.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import shutil
import sys
from pathlib import Path

#: Distributions whose versions can change what an executed notebook shows.
TOOLCHAIN = (
    "ipykernel",
    "jupyter_client",
    "matplotlib",
    "mkdocs-jupyter",
    "nbclient",
    "nbconvert",
    "numpy",
    "sympy",
)


def package_hash(package_dir: Path, extra_dists: tuple[str, ...] = TOOLCHAIN) -> str:
    """SHA-256 (first 16 hex digits) of a package's ``*.py`` sources and the toolchain versions."""
    h = hashlib.sha256()
    h.update(sys.version.encode())
    for path in sorted(package_dir.rglob("*.py")):
        if "__pycache__" in path.parts:
            continue
        h.update(path.relative_to(package_dir).as_posix().encode() + b"\0")
        h.update(hashlib.sha256(path.read_bytes()).digest())
    for name in extra_dists:
        try:
            version = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            version = "<missing>"
        h.update(f"{name}=={version}\0".encode())
    return h.hexdigest()[:16]


def prune(cache_root: Path, keep: Path) -> list[Path]:
    """Delete every folder in ``cache_root`` except ``keep``; returns what was deleted."""
    removed = []
    if cache_root.is_dir():
        for child in sorted(cache_root.iterdir()):
            if child.is_dir() and child.resolve() != keep.resolve():
                shutil.rmtree(child)
                removed.append(child)
    return removed
