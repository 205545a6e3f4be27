"""Shared fixtures. ``built_site`` builds the real site once per test session."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

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
