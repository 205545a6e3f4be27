"""MkDocs hooks for the gated-ref site (``hooks:`` in mkdocs.yml).

- ``on_config``: keys mkdocs-jupyter's cache (below), and has nbconvert read
  ``sitebuild/jupyter/`` (encrypted kernel transport: no warning per notebook).
- ``on_pre_build``: installs the site's own MathJax and runs the diagram runner, the same one
  ``make diagrams`` calls, on the project of the ``mkdocs.yml`` being built; each rendered
  script gets a line, and a failing script stops the build, naming it with its traceback. Then
  keys mkdocs-jupyter's cache on what the notebooks read: ``gated_ref`` (see
  ``sitebuild.notebooks``) and the diagrams' ``results.json`` files. The pages
  ``diagrams/cell_pages.py`` generates, one per cell and one equation sheet per cell, are put
  into the nav: the cell pages as a section after the zoo's index (``cells/variants.md``), the
  sheets after ``sheets/index.md``. So a new cell module adds its pages, and ``mkdocs.yml``
  names none of them.
- ``on_files``: those pages join the site's files, at their site paths (``cells/zoo/<cell>.md``,
  ``sheets/<cell>.md``); a hand-written page at the same path stops the build.
- ``on_page_content``: notebook pages lose the MathJax 2 / Mermaid loaders nbconvert points at
  a CDN; the site's MathJax typesets them instead. Equation links are resolved (``gr-eq:<id>``
  to the equation on its page, ``gr-site:<path>`` to a page or export, from the site root),
  the citation placeholder URL becomes ``site_url``, and each equation id must be an HTML id on
  its own page (``equations.json``) exactly once, and on no other page. The placeholders below
  are replaced in every page's content and in the published files.
- ``on_post_page``: the build fails if a page would make the browser request another host.
- ``on_post_build``: the files a diagram script writes under ``publish/`` (the equation
  exports, the BibTeX) are copied to the site root, each atomically.

Placeholders, for any page or published file (``replace_placeholders``):

- ``https://gated-ref.invalid/`` (``SITE_PLACEHOLDER``): the root of this build's site, with
  the version when mike publishes one (``https://.../gated-ref/0.1/``), so a citation pins it;
- ``https://gated-ref-latest.invalid/`` (``LATEST_PLACEHOLDER``): the ``latest`` alias of a
  published version (``https://.../gated-ref/latest/``); the site root in a plain build;
- ``gated-ref-version.invalid`` (``VERSION_PLACEHOLDER``): the version published (``0.1``); in a
  plain build, the one this source would be published as (``gated_ref.__version__``'s
  major.minor). ``published_version()`` tells Python code whether mike is building one.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import sys
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.structure.files import File, Files
from mkdocs.structure.pages import Page
from mkdocs.utils import get_relative_url

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sitebuild import SOURCE_DATE_EPOCH, notebooks, publish, runner, vendor  # noqa: E402

log = logging.getLogger("mkdocs.plugins.gated_ref_site")

# Dates in the build (sitemap lastmod, its gzip header) come from here, whoever starts MkDocs.
os.environ.setdefault("SOURCE_DATE_EPOCH", str(SOURCE_DATE_EPOCH))

_JUPYTER = "mkdocs-jupyter"
_notebook_cache: Path | None = None

# ---- citable equations (diagrams/equations.py, equation_exports.py, citations.py) ----------
#: Where diagrams/equation_exports.py writes the equation index.
EQUATIONS_JSON = Path("generated") / "equation_exports" / "publish" / "equations.json"
#: Where diagrams/equations.py writes the renamed ids: old id -> the id it now lands on.
ALIASES_JSON = Path("generated") / "equations" / "aliases.json"
#: Written by diagrams/citations.py where the site's URL belongs (a reserved host).
SITE_PLACEHOLDER = "https://gated-ref.invalid/"
#: Where the URL of the newest published version belongs (a link that follows new versions).
LATEST_PLACEHOLDER = "https://gated-ref-latest.invalid/"
#: Where the version string belongs (``0.1``).
VERSION_PLACEHOLDER = "gated-ref-version.invalid"
#: The alias mike keeps on the newest version (sitebuild/publish.py).
LATEST_ALIAS = "latest"
_equations: dict[str, str] = {}  # equation id -> URL path of its page

# ---- generated pages (diagrams/cell_pages.py) ----------------------------------------------
#: Where diagrams/cell_pages.py writes the pages and their list, ``pages.json``.
CELL_PAGES = Path("generated") / "cell_pages"
#: The nav places: the cell pages as a section after this page, the sheets after this one.
ZOO_AFTER, ZOO_SECTION = "cells/variants.md", "Every cell"
SHEETS_AFTER = "sheets/index.md"
_generated: dict[str, list[dict[str, str]]] = {}  # "zoo", "sheets" -> [{src, path, title}]
_published: dict[str, Path] = {}  # site path -> file under docs/generated/*/publish/
_mkdocs_outputs: set[str] = set()


def project_root(config: MkDocsConfig) -> Path:
    """The folder of the ``mkdocs.yml`` being built (this repository, or a test's copy)."""
    if config.config_file_path:
        return Path(config.config_file_path).resolve().parent
    return ROOT


def notebook_cache_key(root: Path = ROOT) -> str:
    """What executed notebooks depend on: the package, the toolchain, the committed records in
    ``data/`` (``docs/notebooks/adding_problem.ipynb`` reads the experiment record) and the
    diagrams' ``results.json`` files."""
    h = hashlib.sha256(notebooks.package_hash(root / "gated_ref").encode())
    for path in sorted((root / "data").glob("*.json")):  # the records notebooks read
        h.update(path.name.encode() + b"\0" + hashlib.sha256(path.read_bytes()).digest())
    generated = root / "docs" / "generated"
    for path in sorted(generated.glob("*/results.json")):
        h.update(path.relative_to(generated).as_posix().encode() + b"\0")
        h.update(hashlib.sha256(path.read_bytes()).digest())
    return h.hexdigest()[:16]


#: nbconvert's configuration for the notebooks this build executes.
JUPYTER_CONFIG = ROOT / "sitebuild" / "jupyter"


def on_config(config: MkDocsConfig) -> MkDocsConfig:
    """Point mkdocs-jupyter's cache at a folder keyed on its inputs (again after the diagrams);
    put the build's nbconvert configuration first on ``JUPYTER_CONFIG_PATH``."""
    _key_notebook_cache(config)
    paths = [p for p in os.environ.get("JUPYTER_CONFIG_PATH", "").split(os.pathsep) if p]
    if str(JUPYTER_CONFIG) not in paths:
        os.environ["JUPYTER_CONFIG_PATH"] = os.pathsep.join([str(JUPYTER_CONFIG), *paths])
    return config


def _key_notebook_cache(config: MkDocsConfig) -> None:
    global _notebook_cache
    plugin = config.plugins.get(_JUPYTER)
    if plugin is not None:
        root = project_root(config)
        _notebook_cache = root / ".cache" / "mkdocs-jupyter" / notebook_cache_key(root)
        plugin.config["cache_dir"] = str(_notebook_cache)


def _log_progress(name: str, seconds: float, status: str) -> None:
    if status != "up to date":  # the summary counts those
        log.info("diagram %s: %.1f s, %s", name, seconds, status)


def on_pre_build(config: MkDocsConfig) -> None:
    """Install MathJax into docs/generated/_vendor, render out-of-date diagrams, then key the
    notebook cache on their results and read the equation index."""
    docs, root = Path(config.docs_dir), project_root(config)
    try:
        vendor.install_mathjax(root / ".cache" / "npm", docs / "generated" / "_vendor" / "mathjax")
    except vendor.VendorError as exc:
        raise PluginError(str(exc)) from exc
    layout = runner.Layout.for_repo(root)
    try:
        report = runner.run(layout, progress=_log_progress)
    except runner.DiagramError as exc:
        raise PluginError(f"diagram build failed:\n{exc}") from exc
    log.info(report.summary())
    _key_notebook_cache(config)  # results.json may have just changed
    global _equations, _generated
    _equations = equation_pages(docs)
    _generated = generated_pages(docs)
    if config.nav is not None:
        config.nav = with_generated_nav(config.nav, _generated)


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


def equation_pages(docs: Path) -> dict[str, str]:
    """Equation id -> URL path of the page that anchors it, from equations.json; an old id of
    a renamed equation (``aliases.json``) -> the page of the equation it now names."""
    pages = {}
    for path in (docs / EQUATIONS_JSON, docs / ALIASES_JSON):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise PluginError(f"{path}: cannot read the equation index: {exc}") from exc
        if isinstance(data, list):
            pages.update({row["id"]: row["page"].split("#", 1)[0] for row in data})
        else:
            unknown = sorted(new for new in data.values() if new not in pages)
            if unknown:
                raise PluginError(f"{path}: aliases of ids that are not on the site: {unknown}")
            pages.update({old: pages[new] for old, new in data.items()})
    return pages


def generated_pages(docs: Path) -> dict[str, list[dict[str, str]]]:
    """The pages diagrams/cell_pages.py wrote: ``{"zoo": [...], "sheets": [...]}``, each entry
    ``{"src": site path, "path": file under CELL_PAGES, "title": nav title}``."""
    path = docs / CELL_PAGES / "pages.json"
    try:
        pages = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise PluginError(f"{path}: cannot read the generated pages: {exc}") from exc
    if set(pages) != {"zoo", "sheets"}:
        raise PluginError(f"{path}: expected the keys zoo and sheets, got {sorted(pages)}")
    return pages


def _nav_target(item: str | dict) -> str | list:
    """What a nav entry points at: a path, or the list of a section."""
    return item if isinstance(item, str) else next(iter(item.values()))


def with_generated_nav(nav: list, pages: dict[str, list[dict[str, str]]]) -> list:
    """``nav`` with the generated pages in it: the cell pages as the section ``ZOO_SECTION``
    right after the entry ``ZOO_AFTER``, the sheets right after ``SHEETS_AFTER``.

    Idempotent: entries for generated pages already in ``nav`` are replaced. Raises
    ``PluginError`` if either place is missing from the nav.
    """
    generated = {p["src"] for group in pages.values() for p in group}
    zoo = {ZOO_SECTION: [{p["title"]: p["src"]} for p in pages["zoo"]]}
    sheets = [{p["title"]: p["src"]} for p in pages["sheets"]]
    placed: list[str] = []

    def walk(items: list) -> list:
        out = []
        for item in items:
            target = _nav_target(item)
            if isinstance(target, list):
                if isinstance(item, dict) and next(iter(item)) == ZOO_SECTION:
                    continue  # placed again below
                out.append({next(iter(item)): walk(target)})
                continue
            if target in generated:
                continue
            out.append(item)
            if target == ZOO_AFTER:
                out.append(zoo)
                placed.append("zoo")
            if target == SHEETS_AFTER:
                out.extend(sheets)
                placed.append("sheets")
        return out

    result = walk(nav)
    if sorted(placed) != ["sheets", "zoo"]:
        raise PluginError(
            f"nav: the generated pages go after {ZOO_AFTER} and {SHEETS_AFTER}; "
            f"found {placed or 'neither'}"
        )
    return result


def generated_files(config: MkDocsConfig, files: Files) -> list[File]:
    """The generated pages as MkDocs files at their site paths (``pages.json``)."""
    docs = Path(config.docs_dir)
    found = []
    for group in ("zoo", "sheets"):
        for page in _generated.get(group, []):
            if files.get_file_from_path(page["src"]) is not None:
                raise PluginError(
                    f"{page['src']}: both a hand-written page and one diagrams/cell_pages.py "
                    "generates; delete the hand-written one"
                )
            source = docs / CELL_PAGES / page["path"]
            found.append(File.generated(config, page["src"], abs_src_path=str(source)))
    return found


def published_files(docs: Path) -> dict[str, Path]:
    """Site path -> source, for every file under ``docs/generated/<script>/publish/``."""
    found: dict[str, Path] = {}
    for folder in sorted((docs / "generated").glob("*/publish")):
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            rel = path.relative_to(folder).as_posix()
            if rel in found:
                raise PluginError(f"{rel} is published by both {found[rel]} and {path}")
            found[rel] = path
    return found


def on_files(files: Files, config: MkDocsConfig) -> Files:
    """Add the generated pages; note what MkDocs writes, and what the diagrams publish, so
    neither overwrites the other."""
    for file in generated_files(config, files):
        files.append(file)
    global _published
    _published = published_files(Path(config.docs_dir))
    _mkdocs_outputs.clear()
    _mkdocs_outputs.update(f.dest_uri for f in files)
    clash = sorted(set(_published) & _mkdocs_outputs)
    if clash:
        raise PluginError(f"published files would overwrite pages or assets: {clash}")
    return files


_EQ_LINK = re.compile(r'href="gr-eq:([^"#]*)"')
_SITE_LINK = re.compile(r'href="gr-site:([^"]*)"')
_HTML_ID = re.compile(r"""\sid=["']([^"']+)["']""")


def resolve_links(html: str, page_url: str, equations: dict[str, str], targets: set[str]) -> str:
    """Turn ``gr-eq:<id>`` and ``gr-site:<path>`` links into links relative to ``page_url``.

    Raises ``PluginError`` for an unknown equation id or a path that is neither a page nor a
    published file.
    """

    def equation(match: re.Match) -> str:
        ident = match.group(1)
        if ident not in equations:
            raise PluginError(f"link to unknown equation id {ident!r}")
        return f'href="{get_relative_url(equations[ident], page_url)}#{ident}"'

    def site(match: re.Match) -> str:
        path = match.group(1)
        if path.split("#", 1)[0] not in targets:
            raise PluginError(f"link to gr-site:{path}: no such page or published file")
        return f'href="{get_relative_url(path, page_url)}"'

    return _SITE_LINK.sub(site, _EQ_LINK.sub(equation, html))


def anchor_problems(html: str, page_url: str, equations: dict[str, str]) -> list[str]:
    """Equation ids that this page should anchor once and does not, or anchors but should not."""
    found = Counter(i for i in _HTML_ID.findall(html) if i in equations)
    problems = []
    for ident, page in sorted(equations.items()):
        count = found.get(ident, 0)
        if page == page_url and count != 1:
            problems.append(f"id {ident!r} appears {count} times as an HTML id, expected once")
        elif page != page_url and count:
            problems.append(f"id {ident!r} is an HTML id here, but its page is {page or '/'}")
    return problems


def on_page_content(html: str, page: Page, config: MkDocsConfig, files: Files) -> str:
    """Notebook pages: drop the CDN loaders. Every page: resolve and check equation links."""
    if page.file.src_uri.endswith(".ipynb"):
        html = strip_cdn_scripts(html)
    targets = {f.url for f in files.documentation_pages()} | set(_published)
    try:
        html = resolve_links(html, page.url, _equations, targets)
    except PluginError as exc:
        raise PluginError(f"{page.file.src_uri}: {exc}") from exc
    problems = anchor_problems(html, page.url, _equations)
    if problems:
        raise PluginError(f"{page.file.src_uri}: equation anchors:\n  " + "\n  ".join(problems))
    return replace_placeholders(html, config)


def site_root(config: MkDocsConfig) -> str:
    """``site_url`` with one trailing slash."""
    if not config.site_url:
        raise PluginError("site_url is needed: citations give the pages' full URLs")
    return config.site_url.rstrip("/") + "/"


def published_version() -> str | None:
    """The version ``mike deploy`` is building (it sets ``MIKE_DOCS_VERSION``), or None."""
    return os.environ.get(publish.MIKE_VERSION_VAR) or None


def latest_root(config: MkDocsConfig) -> str:
    """The URL of the ``latest`` alias when mike builds a version (its plugin has made
    ``site_url`` end with the version); ``site_root`` in a plain build."""
    root, version = site_root(config), published_version()
    if version is None:
        return root
    if not root.endswith(f"/{version}/"):
        raise PluginError(
            f"site_url {config.site_url!r} does not end with the version {version!r} mike is "
            "building: build with mkdocs.publish.yml, whose mike plugin adds it"
        )
    return root[: -len(version) - 1] + LATEST_ALIAS + "/"


def placeholder_values(config: MkDocsConfig) -> dict[str, str]:
    """Each placeholder and what replaces it in this build."""
    version = published_version()
    if version is None:
        version = publish.major_minor(publish.package_version(project_root(config)))
    return {
        SITE_PLACEHOLDER: site_root(config),
        LATEST_PLACEHOLDER: latest_root(config),
        VERSION_PLACEHOLDER: version,
    }


def replace_placeholders(text: str, config: MkDocsConfig) -> str:
    """``text`` with every placeholder replaced (``placeholder_values``)."""
    for placeholder, value in placeholder_values(config).items():
        text = text.replace(placeholder, value)
    return text


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


#: Material's instant-navigation progress bar has the progressbar role but no name (axe-core's
#: aria-progressbar-name, WCAG 1.1.1); its template has no block to override, so it is named here.
PROGRESS_BAR = '<div class="md-progress" data-md-component="progress" role="progressbar">'
PROGRESS_BAR_NAMED = PROGRESS_BAR.replace(">", ' aria-label="Loading the next page">')


def name_progress_bar(html: str) -> str:
    """``html`` with Material's progress bar given an accessible name."""
    return html.replace(PROGRESS_BAR, PROGRESS_BAR_NAMED)


def on_post_page(output: str, page: Page, config: MkDocsConfig) -> str:
    """Fail the build if a page would load anything from another host; name the progress bar."""
    found = external_requests(output)
    if found:
        listing = "\n  ".join(found)
        raise PluginError(f"{page.file.src_uri}: the page would request other hosts:\n  {listing}")
    return name_progress_bar(output)


def on_post_build(config: MkDocsConfig) -> None:
    """Publish the diagrams' ``publish/`` files; drop notebook caches for older inputs."""
    site = Path(config.site_dir)
    for rel, source in sorted(_published.items()):
        data = source.read_bytes()
        for placeholder, value in placeholder_values(config).items():
            data = data.replace(placeholder.encode(), value.encode())
        runner.write_atomic(site / rel, data)
    if _notebook_cache is not None:
        for path in notebooks.prune(_notebook_cache.parent, keep=_notebook_cache):
            log.info("removed stale notebook cache %s", path.name)
