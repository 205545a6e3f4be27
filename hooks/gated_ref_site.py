"""MkDocs hooks for the gated-ref site (``hooks:`` in mkdocs.yml).

- ``on_config``: notebooks re-execute when ``gated_ref`` changes (see ``sitebuild.notebooks``).
- ``on_pre_build``: installs the site's own MathJax and runs the diagram runner, the same one
  ``make diagrams`` calls; a failing script stops the build, naming it with its traceback.
- ``on_page_content``: notebook pages lose the MathJax 2 / Mermaid loaders nbconvert points at
  a CDN; the site's MathJax typesets them instead.
- ``on_post_page``: the build fails if a page would make the browser request another host.
"""

from __future__ import annotations

import logging
import os
import re
import sys
from html.parser import HTMLParser
from pathlib import Path

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.structure.pages import Page

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sitebuild import SOURCE_DATE_EPOCH, notebooks, runner, vendor  # noqa: E402

log = logging.getLogger("mkdocs.plugins.gated_ref_site")

# Dates in the build (sitemap lastmod, its gzip header) come from here, whoever starts MkDocs.
os.environ.setdefault("SOURCE_DATE_EPOCH", str(SOURCE_DATE_EPOCH))

_JUPYTER = "mkdocs-jupyter"
_notebook_cache: Path | None = None


def on_config(config: MkDocsConfig) -> MkDocsConfig:
    """Key mkdocs-jupyter's cache on the gated_ref sources, not only on the notebook bytes."""
    global _notebook_cache
    plugin = config.plugins.get(_JUPYTER)
    if plugin is not None:
        root = ROOT / ".cache" / "mkdocs-jupyter"
        _notebook_cache = root / notebooks.package_hash(ROOT / "gated_ref")
        plugin.config["cache_dir"] = str(_notebook_cache)
    return config


def on_pre_build(config: MkDocsConfig) -> None:
    """Install MathJax into docs/generated/_vendor, then render out-of-date diagrams."""
    docs = Path(config.docs_dir)
    try:
        vendor.install_mathjax(ROOT / ".cache" / "npm", docs / "generated" / "_vendor" / "mathjax")
    except vendor.VendorError as exc:
        raise PluginError(str(exc)) from exc
    layout = runner.Layout.for_repo(ROOT)
    try:
        report = runner.run(layout)
    except runner.DiagramError as exc:
        raise PluginError(f"diagram build failed:\n{exc}") from exc
    log.info(report.summary())


# nbconvert's HTML template loads MathJax 2 and Mermaid from cdnjs.cloudflare.com.
_CDN_SCRIPTS = [
    re.compile(r'<script[^>]*\ssrc="(?:https?:)?//[^"]*"[^>]*>\s*</script>', re.I),
    re.compile(r'<script type="text/x-mathjax-config">.*?</script>', re.I | re.S),
    re.compile(r'<script type="module">(?:(?!</script>).)*?https://.*?</script>', re.I | re.S),
]


def strip_cdn_scripts(html: str) -> str:
    """Remove the CDN-loading ``<script>`` elements nbconvert puts into a notebook's HTML."""
    for pattern in _CDN_SCRIPTS:
        html = pattern.sub("", html)
    return html


def on_page_content(html: str, page: Page, config: MkDocsConfig, files) -> str:  # noqa: ANN001
    """Notebook pages: drop the CDN loaders; the site's own MathJax typesets them."""
    if page.file.src_uri.endswith(".ipynb"):
        html = strip_cdn_scripts(html)
    return html


_EXTERNAL = re.compile(r"^\s*(?:[a-z][a-z0-9+.-]*:)?//", re.I)
_SCRIPT_FETCH = re.compile(r"""(?:import\s*\(|fetch\s*\(|\bsrc\s*=)\s*["'](?:https?:)?//""", re.I)
_CSS_URL = re.compile(r"""(?:url\(\s*["']?|@import\s+["'])(?:https?:)?//""", re.I)
_LOADING_ATTRS = {"src", "srcset", "poster", "data", "background"}
_NON_LOADING_RELS = {"canonical", "alternate", "author", "license", "help", "me"}


class _ExternalFinder(HTMLParser):
    """Collects every URL on another host that a browser would fetch while showing a page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self._in: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        if tag in ("script", "style"):
            self._in = tag
        if "style" in values and _CSS_URL.search(values["style"]):
            self.found.append(f"<{tag} style={values['style']!r}>")
        if tag == "a":
            return
        for key, value in values.items():
            loads = key in _LOADING_ATTRS
            if tag == "link" and key == "href":
                loads = not set(values.get("rel", "").lower().split()) <= _NON_LOADING_RELS
            if loads and any(_EXTERNAL.match(part) for part in value.split(",")):
                self.found.append(f"<{tag} {key}={value!r}>")

    def handle_endtag(self, tag: str) -> None:
        if tag == self._in:
            self._in = None

    def handle_data(self, data: str) -> None:
        if self._in == "script" and _SCRIPT_FETCH.search(data):
            self.found.append(f"<script> loading {_SCRIPT_FETCH.search(data).group(0)!r}...")
        elif self._in == "style" and _CSS_URL.search(data):
            self.found.append(f"<style> loading {_CSS_URL.search(data).group(0)!r}...")


def external_requests(html: str) -> list[str]:
    """The references in ``html`` that would make a browser contact another host."""
    finder = _ExternalFinder()
    finder.feed(html)
    finder.close()
    return finder.found


def on_post_page(output: str, page: Page, config: MkDocsConfig) -> str:
    """Fail the build if a page would load anything from another host."""
    found = external_requests(output)
    if found:
        listing = "\n  ".join(found)
        raise PluginError(f"{page.file.src_uri}: the page would request other hosts:\n  {listing}")
    return output


def on_post_build(config: MkDocsConfig) -> None:
    """Drop notebook caches made for older versions of gated_ref."""
    if _notebook_cache is not None:
        for path in notebooks.prune(_notebook_cache.parent, keep=_notebook_cache):
            log.info("removed stale notebook cache %s", path.name)
