"""Versioned publishing (``make publish``, sitebuild/publish.py, mkdocs.publish.yml).

Two versions are published into a throwaway git repository (a copy of this checkout with its
warm caches: never a branch in the developer's repository), its gh-pages branch is served
over HTTP and checked in the browser: both versions serve, the selector lists both, and each
version's citation permalink to an equation resolves to that equation in that version. Then
the bad inputs, the hook's placeholders and the GitHub Actions workflow.
"""

from __future__ import annotations

import contextlib
import functools
import importlib.util
import io
import json
import re
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import SimpleNamespace
from urllib.request import urlopen

import pytest
import yaml
from browser_checks import Watch, open_page, page_problems

import gated_ref as gr
from sitebuild import __main__ as cli
from sitebuild import publish

ROOT = Path(__file__).resolve().parents[1]
#: The equation whose versioned permalink is followed, and the page that anchors it.
EQUATION, PAGE = "lstm.c_t", "cells/lstm/"
#: The version published second: the checkout's own, one minor up (its package version is
#: given to ``publish.publish``; bumping ``gated_ref/__init__.py`` would re-render every
#: diagram of the copy).
FIRST = publish.major_minor(gr.__version__)
SECOND = f"{FIRST.split('.')[0]}.{int(FIRST.split('.')[1]) + 1}"
_IDENTITY = ["-c", "user.name=gated-ref tests", "-c", "user.email=tests@gated-ref.invalid"]


def _git(repo: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, check=True)
    return done.stdout


def _gh_pages(repo: Path) -> str:
    """The commit of ``repo``'s gh-pages branch, or "" if it has none."""
    done = subprocess.run(
        ["git", "rev-parse", "--verify", "--quiet", "refs/heads/gh-pages"],
        cwd=repo, capture_output=True, text=True,
    )  # fmt: skip
    return done.stdout.strip()


def _new_repo(path: Path) -> Path:
    """An empty git repository at ``path`` with a committer identity of its own."""
    path.mkdir(parents=True, exist_ok=True)
    _git(path, "init", "-q", "-b", "main")
    _git(path, "config", "user.name", "gated-ref tests")
    _git(path, "config", "user.email", "tests@gated-ref.invalid")
    return path


def _copy_checkout(dest: Path) -> None:
    """What a clone of the working tree holds, plus the warm caches (``.cache/``, without a
    previous publish's build, and ``docs/generated/``), committed in a new repository."""
    listed = _git(ROOT, "ls-files", "--cached", "--others", "--exclude-standard", "-z")
    for name in filter(None, listed.split("\0")):
        if (ROOT / name).is_file() and not (ROOT / name).is_symlink():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, dest / name)
    shutil.copytree(ROOT / ".cache", dest / ".cache", ignore=shutil.ignore_patterns("publish"))
    shutil.copytree(ROOT / "docs" / "generated", dest / "docs" / "generated")
    _new_repo(dest)
    _git(dest, "add", "-A")
    _git(dest, "commit", "-q", "-m", "the working tree")


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def published(built_site: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    """``FIRST`` published with the command line, then ``SECOND`` with ``publish.publish``,
    into a copy of this checkout; its gh-pages branch served over HTTP at ``base``, the address
    both were published for (``--site-url``). ``built_site`` has warmed the caches."""
    work = tmp_path_factory.mktemp("publish")
    ours = _gh_pages(ROOT)
    repo, served = work / "repo", work / "gh-pages"
    _copy_checkout(repo)
    handler = functools.partial(_Quiet, directory=str(served))
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{httpd.server_address[1]}/"
    try:
        first = subprocess.run(
            [sys.executable, "-m", "sitebuild", "--root", str(repo), "publish", FIRST,
             "--site-url", base],
            cwd=repo, capture_output=True, text=True,
        )  # fmt: skip
        assert first.returncode == 0, f"publish {FIRST} failed:\n{first.stdout}\n{first.stderr}"
        said: list[str] = []
        url = publish.publish(repo, SECOND, site_url=base, package=f"{SECOND}.0", say=said.append)
        assert url == f"{base}{SECOND}/"
        _git(repo, "worktree", "add", "-q", "--detach", str(served), "gh-pages")
        assert _gh_pages(ROOT) == ours, "publishing in the copy touched this repository's gh-pages"
        yield {"repo": repo, "base": base, "log": first.stdout + "\n".join(said)}
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()


def _get(url: str) -> str:
    with urlopen(url, timeout=10) as response:  # noqa: S310 - our own local server
        return response.read().decode("utf-8")


def _cited(base: str, version: str) -> list[str]:
    """The site's own URLs in ``<version>/gated-ref.bib``, checked to name one version."""
    bib = _get(f"{base}{version}/gated-ref.bib")
    urls = [u for u in re.findall(r"url\s*=\s*\{([^}]*)\}", bib) if u.startswith(base)]
    pinned = {u[len(base) :].split("/", 1)[0] for u in urls}
    assert len(urls) > 1 and len(pinned) == 1, f"{version}/gated-ref.bib cites {pinned}"
    return urls


def test_two_versions_side_by_side(published: dict, chromium) -> None:  # noqa: ANN001
    """Both versions serve; versions.json and Material's selector list both, ``latest`` on the
    newer; each version's BibTeX cites its own URLs, and its permalink to an equation shows
    that equation in that version; the root redirects to ``latest``."""
    base, repo = published["base"], published["repo"]
    assert "publish: building with mike" in published["log"]
    assert "publish: first version on gh-pages" in published["log"]
    versions = {v["version"]: v["aliases"] for v in json.loads(_get(f"{base}versions.json"))}
    assert versions == {SECOND: ["latest"], FIRST: []}
    assert _git(repo, "branch", "--list", "gh-pages").strip(), "no gh-pages branch in the copy"

    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    watch = Watch(page, base)
    try:
        for version in (FIRST, SECOND):
            permalink = f"{base}{version}/{PAGE}"
            assert permalink in _cited(base, version)
            problems = open_page(page, watch, f"{permalink}#{EQUATION}")
            assert not problems, (version, problems)
            assert page.url == f"{permalink}#{EQUATION}"
            equation = page.locator(f'[id="{EQUATION}"]')
            assert equation.count() == 1 and equation.is_visible(), (version, EQUATION)
            page.wait_for_selector(".md-version__link", state="attached", timeout=10_000)
            listed = page.locator(".md-version__link").all_text_contents()
            assert [t.split()[0] for t in listed] == [SECOND, FIRST], listed
            current = page.locator(".md-version__current").text_content().strip()
            assert current == version, (version, current)
            assert not page_problems(page, watch, "light"), version
        # latest is the newer version: its pages, and its citations pinning that version.
        assert f"{base}{SECOND}/{PAGE}" in _cited(base, "latest")
        assert _get(f"{base}latest/{PAGE}") == _get(f"{base}{SECOND}/{PAGE}")
        page.goto(base, wait_until="load")
        page.wait_for_url(f"{base}latest/", timeout=10_000)
    finally:
        context.close()


def test_only_the_published_site_has_the_selector(published: dict, built_site: Path) -> None:
    """``make docs`` (and the suite's build) has no version selector: its versions.json
    request would fail. The published pages have it."""
    provider = re.compile(r'"version":\s*\{[^}]*"provider":\s*"mike"')
    assert not provider.search((built_site / "index.html").read_text(encoding="utf-8"))
    assert provider.search(_get(f"{published['base']}{FIRST}/index.html"))


# ---- bad input, each named, before anything is built -----------------------------------


def _checkout(tmp_path: Path, version: str = "0.1.0") -> Path:
    """A repository with only a package version: every check runs before a build."""
    repo = _new_repo(tmp_path / "repo")
    (repo / "gated_ref").mkdir()
    (repo / "gated_ref" / "__init__.py").write_text(f'__version__ = "{version}"\n')
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "package")
    return repo


def _publish_gh_pages(repo: Path, versions: list[str], ref: str = "gh-pages") -> None:
    """A gh-pages commit whose versions.json lists ``versions``, at ``ref``."""
    entries = [{"version": v, "title": v, "aliases": []} for v in versions]
    blob = subprocess.run(
        ["git", "hash-object", "-w", "--stdin"], cwd=repo, input=json.dumps(entries),
        capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    tree = subprocess.run(
        ["git", "mktree"], cwd=repo, input=f"100644 blob {blob}\tversions.json\n",
        capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    commit = _git(repo, "commit-tree", tree, "-m", "versions").strip()
    _git(repo, "update-ref", f"refs/heads/{ref}" if "/" not in ref else f"refs/remotes/{ref}",
         commit)  # fmt: skip


def _cli(repo: Path, *args: str) -> tuple[int, str]:
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        status = cli.main(["--root", str(repo), "publish", *args])
    return status, err.getvalue()


@pytest.mark.parametrize("where", ["gh-pages", "origin/gh-pages"])
def test_a_published_version_needs_force(tmp_path: Path, where: str) -> None:
    """A version on the branch (or on the remote's copy of it) is refused without --force,
    naming the version, the branch and the flag; nothing is committed."""
    repo = _checkout(tmp_path)
    _publish_gh_pages(repo, ["0.0", "0.1"], where)
    before = _git(repo, "for-each-ref").strip()
    status, err = _cli(repo, "0.1")
    assert status == 1
    assert "version 0.1 is already published on branch gh-pages" in err, err
    assert "--force" in err and "FORCE=1" in err, err
    assert _git(repo, "for-each-ref").strip() == before
    publish.check_unpublished(repo, "0.1", force=True)  # --force lets it through
    publish.check_unpublished(repo, "0.2", force=False)  # a new version too


def test_latest_stays_on_the_newest_version() -> None:
    """A new version takes ``latest``; an older one re-published with --force does not
    (versions compare as numbers: 0.10 is newer than 0.9)."""
    published = {"0.9": [], "0.10": ["latest"], "dev": []}
    assert publish.takes_latest("0.11", published)
    assert publish.takes_latest("0.10", published)
    assert not publish.takes_latest("0.9", published)
    assert publish.takes_latest("0.1", {})


@pytest.mark.parametrize(
    ("version", "package", "expected"),
    [
        ("0.1.0", "0.1.0", "VERSION '0.1.0' is malformed: expected MAJOR.MINOR digits"),
        ("v0.1", "0.1.0", "VERSION 'v0.1' is malformed"),
        ("", "0.1.0", "VERSION '' is malformed"),
        ("0.2", "0.1.0", "VERSION '0.2' does not match the package: gated_ref.__version__ is"),
        ("1.1", "0.1.0", "'0.1.0' (gated_ref/__init__.py), which publishes as '0.1'"),
    ],
)
def test_bad_versions_are_named(tmp_path: Path, version: str, package: str, expected: str) -> None:
    """A malformed version, or one that is not the package's, stops before any git or build
    step, naming it and what was expected."""
    repo = _checkout(tmp_path, package)
    status, err = _cli(repo, version)
    assert status == 1 and expected in err, err
    assert not _git(repo, "branch", "--list", "gh-pages").strip()


def test_bad_site_url_is_named(tmp_path: Path) -> None:
    """SITE_URL must be an absolute http(s) URL; a missing slash is added (mike appends the
    version to it)."""
    status, err = _cli(_checkout(tmp_path), "0.1", "--site-url", "gated-ref.github.io/x")
    assert status == 1 and "SITE_URL 'gated-ref.github.io/x' is not the site's address" in err
    assert (
        publish.check_site_url("https://o.github.io/gated-ref") == "https://o.github.io/gated-ref/"
    )


# ---- the hook's placeholders ---------------------------------------------------------------


def _hook():
    spec = importlib.util.spec_from_file_location(
        "_gated_ref_site_publish", ROOT / "hooks" / "gated_ref_site.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


PLACEHOLDERS = "{site} {latest} v{version}"


def _text(hook) -> str:  # noqa: ANN001
    return PLACEHOLDERS.format(
        site=hook.SITE_PLACEHOLDER + "cells/lstm/",
        latest=hook.LATEST_PLACEHOLDER + "cells/lstm/",
        version=hook.VERSION_PLACEHOLDER,
    )


def test_placeholders_in_a_mike_build(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Under mike (its plugin's own ``site_url``): the site is the version's, latest the
    alias's, the version the one built; in pages and in published files alike."""
    from mike.mkdocs_plugin import MikePlugin

    hook = _hook()
    monkeypatch.setenv("MIKE_DOCS_VERSION", "0.3")
    mike_config = {"site_url": "https://o.github.io/gated-ref/"}
    MikePlugin.default().on_config(mike_config)
    config = SimpleNamespace(
        site_url=mike_config["site_url"],
        config_file_path=str(ROOT / "mkdocs.yml"),
        site_dir=str(tmp_path / "site"),
    )
    want = PLACEHOLDERS.format(
        site="https://o.github.io/gated-ref/0.3/cells/lstm/",
        latest="https://o.github.io/gated-ref/latest/cells/lstm/",
        version="0.3",
    )
    assert hook.replace_placeholders(_text(hook), config) == want
    source = tmp_path / "cite.txt"
    source.write_text(_text(hook), encoding="utf-8")
    monkeypatch.setattr(hook, "_published", {"cite.txt": source})
    monkeypatch.setattr(hook, "_notebook_cache", None)
    hook.on_post_build(config)
    assert (tmp_path / "site" / "cite.txt").read_text(encoding="utf-8") == want


def test_placeholders_in_a_plain_build(monkeypatch: pytest.MonkeyPatch) -> None:
    """``make docs``: site and latest are both the site root; the version is the one this
    source publishes as."""
    hook = _hook()
    monkeypatch.delenv("MIKE_DOCS_VERSION", raising=False)
    config = SimpleNamespace(site_url="https://o.github.io/g", config_file_path=None)
    want = PLACEHOLDERS.format(
        site="https://o.github.io/g/cells/lstm/",
        latest="https://o.github.io/g/cells/lstm/",
        version=FIRST,
    )
    assert hook.replace_placeholders(_text(hook), config) == want


def test_a_version_without_mikes_plugin_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    """MIKE_DOCS_VERSION set for a config without mike's plugin: the hook says so."""
    hook = _hook()
    monkeypatch.setenv("MIKE_DOCS_VERSION", "0.3")
    config = SimpleNamespace(site_url="https://o.github.io/g/", config_file_path=None)
    with pytest.raises(hook.PluginError, match="does not end with the version '0.3'"):
        hook.replace_placeholders("x", config)


# ---- the GitHub Actions workflow -----------------------------------------------------------

WORKFLOW = ROOT / ".github" / "workflows" / "site.yml"


def _runs(job: dict) -> str:
    return "\n".join(step.get("run", "") for step in job["steps"])


def test_workflow_publishes_on_tags_and_only_builds_pull_requests() -> None:
    """A ``v*`` tag runs ``make publish`` with the tag's major.minor and PUSH=1; a pull request
    runs ``make docs`` with read-only permissions, and deploys nothing."""
    flow = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    on = flow.get("on", flow.get(True))  # YAML 1.1 reads a bare `on` as true
    assert on == {"pull_request": None, "push": {"tags": ["v*"]}}
    assert flow["permissions"] == {"contents": "read"}
    jobs = flow["jobs"]
    pulls = [j for j in jobs.values() if "pull_request" in j.get("if", "")]
    tags = [j for j in jobs.values() if "refs/tags/v" in j.get("if", "")]
    assert len(pulls) == 1 and len(tags) == 1 and len(jobs) == 2
    build, deploy = pulls[0], tags[0]
    assert "push" not in build["if"] and "pull_request" not in deploy["if"]
    assert _runs(build).split() == ["make", "docs"]
    assert "permissions" not in build  # the workflow's: read only
    assert not re.search(r"publish|mike|push|gh-pages", _runs(build))
    assert deploy["permissions"] == {"contents": "write"}
    assert 'make publish VERSION="$(echo "${GITHUB_REF_NAME#v}" | cut -d. -f1,2)" PUSH=1' in (
        _runs(deploy)
    )
    assert "SITE_URL" in deploy["env"]
    # The version the tag names: what the shell line computes, for the tags people write.
    for tag, version in [("v0.1.0", "0.1"), ("v0.1", "0.1"), ("v12.3.4", "12.3")]:
        line = 'echo "$(echo "${GITHUB_REF_NAME#v}" | cut -d. -f1,2)"'
        done = subprocess.run(
            ["bash", "-c", line], env={"GITHUB_REF_NAME": tag, "PATH": "/usr/bin:/bin"},
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        assert done.stdout.strip() == version, tag
