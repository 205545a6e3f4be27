"""Lower a cell to a NumPy module: forward and backward over a whole batched sequence.

Three stages, each testable alone (as pydy's MatrixGenerator and SymPy's lambdify):

1. :func:`~gated_ref.program.plan` - the forward and backward steps as statement programs
   (:mod:`gated_ref.program`, from :mod:`gated_ref.derive`'s schedule and backward program);
2. :func:`emit` - ``sympy.cse`` on each run of elementwise statements, the programs printed
   as module text by :mod:`gated_ref.numpy_printer`;
3. :func:`load` - the text, sealed with its SHA-256, written atomically to a content-addressed
   ``.py`` file and imported only when the seal matches.

Structure of the generated code: the input projection of all T steps is one GEMM before the
time loop; all recurrent gate matmuls that share a source are one fused GEMM per step; weight
gradients are one GEMM each over all T*B rows after the loop; everything else is vectorised
elementwise NumPy over the (B, H) batch.
"""

from __future__ import annotations

import hashlib
import linecache
import os
import sys
import tempfile
import warnings
from pathlib import Path
from types import ModuleType

import numpy as np
import sympy as sp

from .kernel import Kernel
from .numpy_printer import GENERATOR_VERSION, NumPyKernelPrinter
from .program import Plan, plan
from .spec import CellSpec

# ---- stage 2: emit -----------------------------------------------------------------------


def emit(p: Plan, *, use_cse: bool = True, input_hash: str = "") -> str:
    """The module text of the generated kernel for plan ``p`` (see :mod:`.numpy_printer`)."""
    return NumPyKernelPrinter(p, use_cse=use_cse, input_hash=input_hash).doprint()


# ---- stage 3: load -----------------------------------------------------------------------


def _package_sources() -> bytes:
    """The package's own sources and its cells' (not ``kernel.py``: it does not shape the text)."""
    root = Path(__file__).resolve().parent
    files = sorted(root.glob("*.py")) + sorted((root / "cells").glob("*.py"))
    return b"\0".join(p.read_bytes() for p in files if p.name != "kernel.py")


def input_hash(spec: CellSpec, *, use_cse: bool = True) -> str:
    """Content hash of everything the generated module depends on."""
    h = hashlib.sha256()
    h.update(f"{GENERATOR_VERSION}|{sp.__version__}|{np.__version__}|{use_cse}|".encode())
    h.update(_package_sources())
    h.update(spec.name.encode())
    for node in spec.nodes:
        h.update(sp.srepr(node.rhs).encode() + node.symbol.name.encode())
    h.update(repr((spec.states, spec.gates, sorted(map(str, spec.hidden_source.items())))).encode())
    h.update(repr([(p.symbol.name, p.key, p.row) for p in spec.elementwise_params]).encode())
    return h.hexdigest()[:16]


def cache_dir() -> Path:
    """Where generated modules live: ``$GATED_REF_CACHE``, else ``.cache/kernels`` in the repo."""
    env = os.environ.get("GATED_REF_CACHE")
    if env:
        return Path(env)
    repo = Path(__file__).resolve().parent.parent
    if (repo / "pyproject.toml").exists():
        return repo / ".cache" / "kernels"
    return Path.home() / ".cache" / "gated_ref" / "kernels"


class KernelCacheWarning(UserWarning):
    """A cached kernel file failed its check and was generated again."""


#: The last line of every cached kernel file: the SHA-256 of all the text above it.
SEAL = "# sha256 of the text above: "


def seal(text: str) -> str:
    """``text`` followed by its seal line (what the cache writes)."""
    return f"{text}{SEAL}{hashlib.sha256(text.encode()).hexdigest()}\n"


def unseal(data: bytes) -> str | None:
    """The text of a sealed file when its seal matches, else None (edited, partial, corrupt)."""
    body, sep, tail = data.rpartition(SEAL.encode())
    if not sep or not tail.endswith(b"\n") or b"\n" in tail[:-1]:
        return None
    if hashlib.sha256(body).hexdigest().encode() != tail[:-1]:
        return None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return text


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` so that readers see the old file or the new, never half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def load(path: Path, text: str) -> ModuleType:
    """Import the generated module whose checked text is ``text`` and whose file is ``path``.

    The module is compiled from ``text``, not from a second read of the file, and
    ``inspect.getsource`` returns that same text.
    """
    name = f"gated_ref_generated_{path.stem.replace('-', '_')}"
    if name in sys.modules:
        return sys.modules[name]
    module = ModuleType(name)
    module.__file__ = str(path)
    linecache.cache[str(path)] = (len(text), None, text.splitlines(keepends=True), str(path))
    exec(compile(text, str(path), "exec"), module.__dict__)  # noqa: S102 - our own sealed text
    sys.modules[name] = module
    return module


def _read_checked(path: Path) -> str | None:
    """The text of the cached file at ``path`` if it is there and intact; warns when not intact."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    text = unseal(data)
    if text is None:
        warnings.warn(
            f"kernel cache: {path} failed its SHA-256 check (edited, truncated or corrupt; "
            f"{len(data)} bytes); generating it again",
            KernelCacheWarning,
            stacklevel=3,
        )
    return text


def generated_module(spec: CellSpec, *, use_cse: bool = True) -> tuple[Path, ModuleType]:
    """The generated module of ``spec``: from the on-disk cache, or planned, emitted, written.

    A cached file is imported only when its seal (the SHA-256 of its text) matches; a file that
    fails the check is generated again with a :class:`KernelCacheWarning`. Writers rename a
    complete temporary file into place, so processes filling the cache at once are safe.
    """
    digest = input_hash(spec, use_cse=use_cse)
    suffix = "" if use_cse else "-nocse"
    path = cache_dir() / f"{spec.name}{suffix}-{digest}.py"
    text = _read_checked(path)
    if text is None:
        text = seal(emit(plan(spec), use_cse=use_cse, input_hash=digest))
        write_atomic(path, text)
    return path, load(path, text)


def lower(spec: CellSpec | str, *, cse: bool = True) -> Kernel:
    """The generated NumPy kernel of ``spec`` (or a cell name): ``.forward``, ``.backward``."""
    from .cells import cell

    if isinstance(spec, str):
        spec = cell(spec)
    if not isinstance(spec, CellSpec):
        raise ValueError(f"spec: expected a CellSpec from gated_ref.cell(name), got {type(spec)}")
    if not isinstance(cse, bool):
        raise ValueError(f"cse: got {cse!r}, expected True or False")
    path, module = generated_module(spec, use_cse=cse)
    return Kernel(spec, path, module)
