"""MathJax, served by the site itself: fetched from npm at build time, checked, unpacked.

The tarball is fetched once with npm's own client (``npm pack``) into ``.cache/npm/``, its
SHA-512 is checked against the pinned integrity below (the one the npm registry publishes), and
the browser bundle is unpacked into ``docs/generated/_vendor/mathjax/``, which MkDocs copies
into the site. Nothing is requested from a CDN at run time.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import shutil
import subprocess
import tarfile
import tempfile
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


class VendorError(RuntimeError):
    """A vendored asset could not be fetched or did not match its pinned hash."""


def _integrity(path: Path) -> str:
    digest = hashlib.sha512(path.read_bytes()).digest()
    return "sha512-" + base64.b64encode(digest).decode()


def fetch_mathjax(cache_dir: Path) -> Path:
    """The verified MathJax tarball in ``cache_dir``, fetched with ``npm pack`` if missing."""
    tarball = cache_dir / f"mathjax-{MATHJAX_VERSION}.tgz"
    if not tarball.is_file():
        npm = shutil.which("npm")
        if npm is None:
            raise VendorError(
                "npm not found: the site serves its own MathJax, fetched from the npm registry "
                "at build time. Install Node.js and npm (Debian: apt-get install npm)."
            )
        cache_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=cache_dir) as scratch:
            cmd = [npm, "pack", f"mathjax@{MATHJAX_VERSION}", "--json", "--pack-destination"]
            proc = subprocess.run(
                [*cmd, scratch], capture_output=True, text=True, cwd=scratch, check=False
            )
            if proc.returncode != 0:
                raise VendorError(f"npm pack mathjax@{MATHJAX_VERSION} failed:\n{proc.stderr}")
            filename = json.loads(proc.stdout)[0]["filename"]
            Path(scratch, filename).replace(tarball)
    got = _integrity(tarball)
    if got != MATHJAX_INTEGRITY:
        tarball.unlink()
        raise VendorError(
            f"{tarball.name}: integrity {got}, expected {MATHJAX_INTEGRITY}; deleted, "
            "the next build fetches it again"
        )
    return tarball


def install_mathjax(cache_dir: Path, dest: Path) -> bool:
    """Unpack MathJax's browser bundle into ``dest`` unless already there.

    Returns True when it (re)installed. The folder is swapped in whole, so a failed unpack
    leaves the previous one.
    """
    stamp = dest / ".installed"
    expected = f"mathjax {MATHJAX_VERSION} {MATHJAX_INTEGRITY} {' '.join(MATHJAX_PARTS)}\n"
    if stamp.is_file() and stamp.read_text(encoding="utf-8") == expected:
        return False
    tarball = fetch_mathjax(cache_dir)
    dest.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".mathjax-", dir=dest.parent) as scratch:
        staging = Path(scratch) / "mathjax"
        prefixes = tuple(f"package/es5/{part}" for part in MATHJAX_PARTS)
        with tarfile.open(tarball, "r:gz") as archive:
            for member in archive.getmembers():
                if member.isfile() and (
                    member.name.startswith(prefixes) or member.name == "package/LICENSE"
                ):
                    rel = member.name.removeprefix("package/").removeprefix("es5/")
                    target = staging / rel
                    target.parent.mkdir(parents=True, exist_ok=True)
                    with archive.extractfile(member) as src:
                        target.write_bytes(src.read())
        if not (staging / "tex-chtml.js").is_file():
            raise VendorError(f"{tarball.name}: no es5/tex-chtml.js inside")
        (staging / ".installed").write_text(expected, encoding="utf-8")
        old = Path(scratch) / "old"
        if dest.exists():
            dest.replace(old)
        staging.replace(dest)
    log.info("MathJax %s installed into %s", MATHJAX_VERSION, dest)
    return True
