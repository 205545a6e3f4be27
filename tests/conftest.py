"""Shared fixtures. ``built_site`` builds the real site once per test session."""

from __future__ import annotations

import functools
import os
import re
import shutil
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from hypothesis import settings

# Hypothesis draws the same examples on every run (derandomize), reads no saved examples from
# earlier runs (database=None), has no time limit (the machine is shared) and prints a failing
# example with its @reproduce_failure line.
settings.register_profile(
    "repeatable", derandomize=True, database=None, print_blob=True, deadline=None
)
settings.load_profile("repeatable")

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # the site's build modules (sitebuild/, hooks/) live at the top
    sys.path.insert(0, str(ROOT))


def mkdocs_build(cwd: Path = ROOT, site_dir: Path | None = None) -> subprocess.CompletedProcess:
    """Run ``mkdocs build --strict`` in ``cwd`` with this interpreter; output captured."""
    return BackgroundBuild(cwd, site_dir).wait()


class BackgroundBuild:
    """``mkdocs build --strict`` in ``cwd``, started now in its own process (after ``after``
    has finished, and ``prepare`` has run, when given); :meth:`wait` returns its result."""

    def __init__(
        self,
        cwd: Path,
        site_dir: Path | None = None,
        after: BackgroundBuild | None = None,
        prepare: Callable[[], None] | None = None,
    ) -> None:
        self.cmd = [sys.executable, "-m", "mkdocs", "build", "--strict"]
        if site_dir is not None:
            self.cmd += ["--site-dir", str(site_dir)]
        self.cwd, self.after, self.prepare = cwd, after, prepare
        self.proc: subprocess.Popen | None = None
        self.result: subprocess.CompletedProcess | None = None
        self.error: BaseException | None = None
        self.cancelled = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        try:
            if self.after is not None:
                self.after.thread.join()
                first = self.after.result
                if first is None or first.returncode != 0:
                    raise RuntimeError("not started: the build it waited for failed")
            if self.prepare is not None:
                self.prepare()
            if self.cancelled.is_set():
                return
            env = dict(os.environ, NO_MKDOCS_2_WARNING="1", PYTHONHASHSEED="0")
            self.proc = subprocess.Popen(
                self.cmd,
                cwd=self.cwd,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            out, err = self.proc.communicate()
            self.result = subprocess.CompletedProcess(self.cmd, self.proc.returncode, out, err)
        except BaseException as exc:  # noqa: BLE001 - handed to whoever waits
            self.error = exc

    def wait(self) -> subprocess.CompletedProcess:
        """The finished build (re-raises what went wrong in starting it)."""
        self.thread.join()
        if self.error is not None:
            raise self.error
        assert self.result is not None, "the build was cancelled"
        return self.result

    def cancel(self) -> None:
        """Stop the build if it is still running (the session ended without it)."""
        self.cancelled.set()
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()


def copy_for_clean_build(dest: Path) -> None:
    """Every source file a clone would have (tracked, or new and not ignored) copied into
    ``dest``, with no cache but the verified MathJax tarball (so no network is needed)."""
    from sitebuild import vendor

    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.decode()
    for name in filter(None, listed.split("\0")):
        if (ROOT / name).is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, dest / name)
    tarball = ROOT / ".cache" / "npm" / f"mathjax-{vendor.MATHJAX_VERSION}.tgz"
    (dest / ".cache" / "npm").mkdir(parents=True)
    shutil.copy2(tarball, dest / ".cache" / "npm")


#: The builds this session started in the background, by fixture name.
_BUILDS: dict[str, BackgroundBuild] = {}
#: Where those builds write: the site, and the clean copy of the repository.
_PLACES: dict[str, Path] = {}
#: The test that needs the second, clean build (it runs last, while the browser tests run).
CLEAN_BUILD_TEST = "test_clean_build_elsewhere_is_byte_identical"


def _needs_site(item: pytest.Item) -> bool:
    return "built_site" in getattr(item, "fixturenames", ())


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The tests that need the built site run last (the site builds in the background while
    the others run), and the clean second build's test after all of them. With
    ``GATED_REF_QUICK=1`` (``make test-quick``) they are deselected: no site build, no browser."""
    if os.environ.get("GATED_REF_QUICK") == "1":
        site = [i for i in items if _needs_site(i)]
        if site:
            config.hook.pytest_deselected(items=site)
            items[:] = [i for i in items if not _needs_site(i)]
    rank = {id(i): (2 if i.name == CLEAN_BUILD_TEST else 1 if _needs_site(i) else 0) for i in items}
    items.sort(key=lambda i: rank[id(i)])  # stable: the order within each group is kept


def pytest_collection_finish(session: pytest.Session) -> None:
    """Start the site build now if a selected test needs it (and the clean build after it)."""
    if session.config.option.collectonly or not any(_needs_site(i) for i in session.items):
        return
    factory = session.config._tmp_path_factory  # noqa: SLF001 - what tmp_path_factory returns
    _PLACES["built_site"] = factory.mktemp("site")
    _BUILDS["built_site"] = BackgroundBuild(ROOT, _PLACES["built_site"])
    if any(i.name == CLEAN_BUILD_TEST for i in session.items):
        copy = _PLACES["clean_build"] = factory.mktemp("clean") / "repo"
        _BUILDS["clean_build"] = BackgroundBuild(
            copy,
            after=_BUILDS["built_site"],
            prepare=lambda: copy_for_clean_build(copy),
        )


def pytest_sessionfinish(session: pytest.Session) -> None:
    """No build outlives the session (one interrupted by ``-x`` is killed)."""
    for build in _BUILDS.values():
        build.cancel()


@pytest.fixture(scope="session")
def built_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The site freshly built from the working tree, into a folder of this test session.

    Diagrams and notebooks come from the usual caches (unchanged ones are not re-rendered);
    the pages go to a private folder, so a `make docs` running meanwhile cannot pull files
    from under the browser. The build started in the background when the tests were collected.
    """
    if "built_site" not in _BUILDS:
        _PLACES["built_site"] = tmp_path_factory.mktemp("site")
        _BUILDS["built_site"] = BackgroundBuild(ROOT, _PLACES["built_site"])
    proc = _BUILDS["built_site"].wait()
    if proc.returncode != 0:
        pytest.fail(f"mkdocs build --strict failed:\n{proc.stdout}\n{proc.stderr}")
    return _PLACES["built_site"]


@pytest.fixture(scope="session")
def clean_build(built_site: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A second build, in a clean copy of the sources with no cache (started in the
    background once the first was done): the copy's folder and the build's log."""
    if "clean_build" not in _BUILDS:
        copy = _PLACES["clean_build"] = tmp_path_factory.mktemp("clean") / "repo"
        _BUILDS["clean_build"] = BackgroundBuild(copy, prepare=lambda: copy_for_clean_build(copy))
    proc = _BUILDS["clean_build"].wait()
    log = proc.stdout + proc.stderr
    if proc.returncode != 0:
        pytest.fail(f"mkdocs build --strict of a clean copy failed:\n{log}")
    return _PLACES["clean_build"], log


#: The cells whose generated pages (one template for all) the browser tests visit: together
#: they exercise every part of the template (projection, extra recurrent matrices, elementwise
#: weights, x used elementwise).
GENERATED_SAMPLE = ("lstm", "lstm_fgr", "lstm_proj", "indrnn", "gru_mut1")


# ---- the built site in a real browser (shared by every browser test) ----------------------

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _site_handler(directory: Path) -> functools.partial:
    class Handler(SimpleHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            # Material's instant navigation follows only links listed in sitemap.xml, which
            # name the published site_url: list this server's address there instead.
            if self.path.split("?")[0] == "/sitemap.xml":
                text = (directory / "sitemap.xml").read_text(encoding="utf-8")
                base = re.findall(r"<loc>([^<]+)</loc>", text)[0]
                body = text.replace(base, f"http://{self.headers['Host']}/").encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/xml")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                return
            super().do_GET()

    return functools.partial(Handler, directory=str(directory))


@pytest.fixture(scope="session")
def site_url(built_site: Path) -> Iterator[str]:
    """The built site over HTTP on 127.0.0.1, at the root path (ends with ``/``)."""
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _site_handler(built_site))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    httpd.shutdown()
    httpd.server_close()
    thread.join()


@pytest.fixture(scope="session")
def chromium(site_url: str) -> Iterator[object]:
    """One headless Chromium (Debian's, driven by Playwright) for the whole session."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: `make browser` installs Debian's")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()
