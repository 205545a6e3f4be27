"""Versioned publishing: ``make publish VERSION=x.y`` (``python -m sitebuild publish x.y``).

mike builds the site with ``mkdocs.publish.yml`` (``mkdocs.yml`` plus mike's plugin and
Material's version selector) and commits it under ``x.y/`` on the ``gh-pages`` branch, moving
the ``latest`` alias to it; the first publish also makes ``latest`` the default (the branch's
root redirects there). Under mike, ``site_url`` gains the version, so every citation URL and
permalink of that build names ``x.y/``: a citation pins the text it cited.

Checked before anything is built, each failure naming the bad value and what was expected:
the version is ``MAJOR.MINOR`` digits, equal to ``gated_ref.__version__``'s major.minor (bump
``gated_ref/__init__.py`` to publish another), and not yet on the branch unless ``force``
(re-publishing an older version that way leaves ``latest`` on the newest).
Nothing is pushed unless ``push`` (then ``git push <remote> gh-pages``).
"""

from __future__ import annotations

import ast
import json
import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

#: The configuration mike builds (at the checkout's root).
CONFIG = "mkdocs.publish.yml"
BRANCH = "gh-pages"
REMOTE = "origin"
LATEST = "latest"
#: The environment variable ``mike deploy`` sets for the build it runs (mike.mkdocs_utils).
MIKE_VERSION_VAR = "MIKE_DOCS_VERSION"
_VERSION = re.compile(r"[0-9]+\.[0-9]+")


class PublishError(Exception):
    """A bad input or a failed step of publishing; the message says which and why."""


def package_version(root: Path) -> str:
    """``__version__`` as written in ``<root>/gated_ref/__init__.py``."""
    path = root / "gated_ref" / "__init__.py"
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "__version__" for t in node.targets
        ):
            if isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
                return node.value.value
    raise PublishError(f'{path}: no `__version__ = "..."` string found')


def major_minor(version: str) -> str:
    """``"0.1"`` for ``"0.1.0"``: the part of a package version the site is published as."""
    return ".".join(version.split(".")[:2])


def check_version(version: str, package: str) -> None:
    """Raise ``PublishError`` unless ``version`` is MAJOR.MINOR digits matching ``package``."""
    if not _VERSION.fullmatch(version):
        raise PublishError(
            f"VERSION {version!r} is malformed: expected MAJOR.MINOR digits, such as "
            f"{major_minor(package)!r}"
        )
    if version != major_minor(package):
        raise PublishError(
            f"VERSION {version!r} does not match the package: gated_ref.__version__ is "
            f"{package!r} (gated_ref/__init__.py), which publishes as {major_minor(package)!r}; "
            "bump __version__ first to publish another version"
        )


def check_site_url(url: str) -> str:
    """``url`` with one trailing slash (mike appends the version to it); raises
    ``PublishError`` unless it is an absolute http(s) URL."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise PublishError(
            f"SITE_URL {url!r} is not the site's address: expected an absolute http(s) URL "
            "such as https://owner.github.io/gated-ref/"
        )
    return url.rstrip("/") + "/"


def _git(root: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["git", *args], cwd=root, capture_output=True, text=True)


def _has_ref(root: Path, ref: str) -> bool:
    return _git(root, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}").returncode == 0


def published_versions(root: Path, branch: str = BRANCH, remote: str = REMOTE) -> dict[str, list]:
    """Version -> its aliases, from ``versions.json`` on ``branch`` and on ``remote``'s copy of
    it (either may be missing: nothing published yet)."""
    found: dict[str, list] = {}
    for ref in (f"{remote}/{branch}", branch):
        if not _has_ref(root, ref):
            continue
        shown = _git(root, "show", f"{ref}:versions.json")
        if shown.returncode != 0:
            continue
        try:
            entries = json.loads(shown.stdout)
        except ValueError as exc:
            raise PublishError(f"{ref}:versions.json is not JSON: {exc}") from exc
        for entry in entries:
            found[str(entry["version"])] = list(entry.get("aliases", []))
    return found


def check_unpublished(root: Path, version: str, force: bool = False) -> dict[str, list]:
    """Raise ``PublishError`` if ``version`` is on the gh-pages branch already, unless
    ``force``; returns the published versions (``published_versions``)."""
    existing = published_versions(root)
    if version in existing and not force:
        raise PublishError(
            f"version {version} is already published on branch {BRANCH} "
            f"(versions: {', '.join(existing)}): pass --force (make publish FORCE=1) to "
            "replace it"
        )
    return existing


def _number(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


def takes_latest(version: str, published: dict[str, list]) -> bool:
    """Whether ``version`` gets the ``latest`` alias: it is not older than any published
    MAJOR.MINOR version (re-publishing an old one with ``--force`` leaves ``latest`` alone)."""
    numbered = [v for v in published if _VERSION.fullmatch(v)]
    return all(_number(version) >= _number(v) for v in numbered)


def _has_default(root: Path, branch: str) -> bool:
    return _git(root, "cat-file", "-e", f"{branch}:index.html").returncode == 0


def published_url(root: Path, version: str, branch: str = BRANCH) -> str:
    """The address ``version`` was built for: the first URL of its sitemap on ``branch``."""
    shown = _git(root, "show", f"{branch}:{version}/sitemap.xml")
    found = re.search(r"<loc>([^<]+)</loc>", shown.stdout)
    if shown.returncode != 0 or found is None:
        raise PublishError(f"{branch}:{version}/sitemap.xml: no URL found ({shown.stderr.strip()})")
    return found.group(1)


def _run(cmd: list[str], root: Path, env: dict[str, str], what: str) -> None:
    proc = subprocess.run(cmd, cwd=root, env=env)
    if proc.returncode != 0:
        raise PublishError(f"{what} failed (exit status {proc.returncode}): {' '.join(cmd)}")


def _mike(root: Path) -> str:
    """mike's command, from this interpreter's environment (the venv)."""
    path = Path(sys.executable).parent / "mike"
    if not path.exists():
        raise PublishError(
            f"mike is not installed beside {sys.executable}: `make venv` installs it"
        )
    return str(path)


def publish(
    root: Path,
    version: str,
    *,
    site_url: str | None = None,
    force: bool = False,
    push: bool = False,
    package: str | None = None,
    say: Callable[[str], None] = print,
) -> str:
    """Build the site of ``root`` with mike and commit it as ``version`` (alias ``latest``)
    on the gh-pages branch; push it when ``push``. ``package`` is the package version
    ``version`` must match (default: ``gated_ref.__version__`` as ``root`` has it).
    Returns the URL of the published version."""
    root = Path(root).resolve()
    package = package or package_version(root)
    check_version(version, package)
    env = dict(os.environ)
    if site_url is not None:
        env["SITE_URL"] = check_site_url(site_url)
    elif env.get("SITE_URL"):
        env["SITE_URL"] = check_site_url(env["SITE_URL"])
    # mike runs `mkdocs build` found on PATH: this interpreter's, not another install's.
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    say(f"publish: version {version} of gated-ref {package}, branch {BRANCH}")
    existing = check_unpublished(root, version, force)
    if version in existing:
        say(f"publish: replacing the published {version} (--force)")
    latest = takes_latest(version, existing)
    mike = _mike(root)
    say(f"publish: building with mike ({CONFIG}; a warm build takes about 15 s)")
    deploy = [mike, "deploy", "--config-file", CONFIG, "--update-aliases", version]
    _run(deploy + ([LATEST] if latest else []), root, env, "mike deploy")
    if not _has_default(root, BRANCH):
        say(f"publish: first version on {BRANCH}: the site's root now redirects to {LATEST}/")
        _run([mike, "set-default", "--config-file", CONFIG, LATEST], root, env, "mike set-default")
    url = published_url(root, version)
    moved = f"{LATEST} -> {version}" if latest else f"{LATEST} stays on a newer version"
    say(f"publish: {version} committed to {BRANCH} ({moved}): {url}")
    if push:
        say(f"publish: pushing {BRANCH} to {REMOTE}")
        _run(["git", "push", REMOTE, BRANCH], root, env, "git push")
    else:
        say(f"publish: not pushed (PUSH=1 pushes; or `git push {REMOTE} {BRANCH}`)")
    return url
