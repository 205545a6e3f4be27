"""Command line: ``python -m sitebuild diagrams [NAME ...] [--force]``, ``... mathjax`` and
``... publish VERSION [--site-url URL] [--force] [--push]``.

The Makefile's entry points; ``mkdocs build`` runs the same steps from its hook. ``diagrams``
prints one line per script as it finishes (name, seconds, rendered / up to date / failed) and a
summary; ``mathjax`` installs the site's MathJax (``MATHJAX_DIR`` works offline: see
``sitebuild/vendor.py``); ``publish`` builds the versioned site with mike into the gh-pages
branch (``sitebuild/publish.py``). ``--root`` builds another checkout (the tests' throwaway
ones).
"""

from __future__ import annotations

import argparse
import functools
import logging
import sys
import time
from pathlib import Path

from sitebuild import publish, runner, vendor

ROOT = Path(__file__).resolve().parents[1]


def print_progress(name: str, seconds: float, status: str) -> None:
    """One line for a finished script: its name, seconds, and what happened."""
    print(f"  {name:<24} {seconds:6.1f} s  {status}", flush=True)


def main(argv: list[str] | None = None) -> int:
    """Parse ``argv`` and run the chosen step; returns the process exit status."""
    parser = argparse.ArgumentParser(prog="python -m sitebuild", description=__doc__)
    parser.add_argument("--root", type=Path, default=ROOT, help="the checkout (default: this one)")
    sub = parser.add_subparsers(dest="step", required=True)
    diagrams = sub.add_parser("diagrams", help="render out-of-date diagrams/*.py")
    diagrams.add_argument("names", nargs="*", help="only these scripts (file stems)")
    diagrams.add_argument("--force", action="store_true", help="ignore fingerprints")
    diagrams.add_argument("--jobs", type=int, default=None, help="parallel scripts (cores)")
    sub.add_parser("mathjax", help="install the site's own MathJax into docs/generated")
    pub = sub.add_parser("publish", help="build VERSION with mike into the gh-pages branch")
    pub.add_argument("version", help="MAJOR.MINOR, gated_ref.__version__'s (such as 0.1)")
    pub.add_argument("--site-url", help="the published address (default: $SITE_URL, mkdocs.yml)")
    pub.add_argument("--force", action="store_true", help="replace a version published already")
    pub.add_argument("--push", action="store_true", help="push gh-pages to origin afterwards")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    root = args.root.resolve()
    start = time.perf_counter()
    try:
        if args.step == "diagrams":
            layout = runner.Layout.for_repo(root)
            report = runner.run(
                layout,
                only=args.names or None,
                force=args.force,
                jobs=args.jobs,
                progress=print_progress,
            )
            print(f"{report.summary()} in {time.perf_counter() - start:.1f} s", flush=True)
        elif args.step == "publish":
            say = functools.partial(print, flush=True)
            publish.publish(
                root,
                args.version,
                site_url=args.site_url,
                force=args.force,
                push=args.push,
                say=say,
            )
            print(f"publish: done in {time.perf_counter() - start:.1f} s", flush=True)
        else:
            dest = root / "docs" / "generated" / "_vendor" / "mathjax"
            vendor.install_mathjax(root / ".cache" / "npm", dest)
    except (runner.DiagramError, vendor.VendorError, publish.PublishError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
