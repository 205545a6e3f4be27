"""Shared fixtures. ``built_site`` builds the real site once per test session."""

from __future__ import annotations

import functools
import os
import re
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
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
    cmd = [sys.executable, "-m", "mkdocs", "build", "--strict"]
    if site_dir is not None:
        cmd += ["--site-dir", str(site_dir)]
    env = dict(os.environ, NO_MKDOCS_2_WARNING="1", PYTHONHASHSEED="0")
    return subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, check=False)


@pytest.fixture(scope="session")
def built_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The site freshly built from the working tree, into a folder of this test session.

    Diagrams and notebooks come from the usual caches (unchanged ones are not re-rendered);
    the pages go to a private folder, so a `make docs` running meanwhile cannot pull files
    from under the browser.
    """
    site = tmp_path_factory.mktemp("site")
    proc = mkdocs_build(site_dir=site)
    if proc.returncode != 0:
        pytest.fail(f"mkdocs build --strict failed:\n{proc.stdout}\n{proc.stderr}")
    return site


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
