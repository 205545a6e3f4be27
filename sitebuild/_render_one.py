"""Render one diagram script in a fresh interpreter; report what it imported.

Run by :mod:`sitebuild.runner`, never imported by it::

    python sitebuild/_render_one.py --root R --script S --out O --report J

Loads ``S`` under a module name other than ``__main__`` (so its command-line guard does not
fire), checks the conventions (a docstring title, a ``main(out_dir)``), calls ``main(O)``, then
writes to ``J`` the repository modules (a trailing ``/`` for a whole package), ``DEPENDS`` files
and distributions it used.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import importlib.util
import json
import site
import sys
from pathlib import Path


def _inside(path: Path, folder: Path) -> bool:
    try:
        path.relative_to(folder)
    except ValueError:
        return False
    return True


def _used(root: Path, script: Path) -> tuple[list[str], list[str]]:
    """Repository modules and packages (relative to root), and distributions, in sys.modules.

    A module inside a top-level package of the repository (``gated_ref/...``) stands for the
    whole package: code may read its package's files (``gated_ref.lower`` hashes them all), and
    a file added to the package later must count too.
    """
    installed = [Path(p).resolve() for p in (*site.getsitepackages(), sys.prefix)]
    stdlib = sys.stdlib_module_names
    to_dist = importlib.metadata.packages_distributions()
    modules: set[str] = set()
    dists: set[str] = set()
    for name, module in list(sys.modules.items()):
        top = name.split(".")[0]
        file = getattr(module, "__file__", None)
        if file:
            path = Path(file).resolve()
            if path == script or path == Path(__file__).resolve():
                continue
            if _inside(path, root) and not any(_inside(path, p) for p in installed):
                rel = path.relative_to(root)
                top = root / rel.parts[0]
                package = len(rel.parts) > 1 and (top / "__init__.py").is_file()
                modules.add(rel.parts[0] + "/" if package else rel.as_posix())
                continue
        if top in stdlib or top.startswith("_"):
            continue
        dists.update(to_dist.get(top, ()))
    return sorted(modules), sorted(dists)


def main() -> None:
    """Command-line entry point (see the module docstring)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    for arg in ("--root", "--script", "--out", "--report"):
        parser.add_argument(arg, required=True, type=Path)
    args = parser.parse_args()
    root, script = args.root.resolve(), args.script.resolve()
    # The repository first (so `import gated_ref` is this checkout), then the scripts' folder
    # (so a script can import a helper such as `_style`).
    sys.path[:0] = [str(root), str(script.parent)]
    spec = importlib.util.spec_from_file_location(f"diagram_{script.stem}", script)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    doc = (module.__doc__ or "").strip()
    if not doc:
        raise SystemExit(f"{script.name}: needs a module docstring whose first line is the title")
    entry = getattr(module, "main", None)
    if not callable(entry):
        raise SystemExit(f"{script.name}: needs a function main(out_dir) that writes its outputs")
    depends = [str(p) for p in getattr(module, "DEPENDS", ())]
    for rel in depends:
        if not (root / rel).is_file():
            raise SystemExit(f"{script.name}: DEPENDS names {rel!r}, which is not a file")
    args.out.mkdir(parents=True, exist_ok=True)
    entry(args.out)
    modules, dists = _used(root, script)
    info = {
        "title": doc.splitlines()[0],
        "modules": modules,
        "depends": sorted(depends),
        "dists": dists,
    }
    args.report.write_text(json.dumps(info, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
