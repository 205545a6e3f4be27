"""`bench/axe_counts.py` on a two-page site made to fail: it counts what axe-core finds, by rule,
width and scheme, and only there (a page that passes adds nothing)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
import axe_counts  # noqa: E402

#: Follows the system scheme the way Material does: <body data-md-color-scheme=...>.
SCHEME_SCRIPT = """<script>
const q = matchMedia("(prefers-color-scheme: dark)");
const set = () =>
  document.body.setAttribute("data-md-color-scheme", q.matches ? "slate" : "default");
set(); q.addEventListener("change", set);
document.body.setAttribute("data-math-typeset", location.pathname);
</script>"""


def page(body: str) -> str:
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>t</title>'
        '<meta name="viewport" content="width=device-width"></head><body><main>'
        f"{body}</main>{SCHEME_SCRIPT}</body></html>"
    )


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("axe-site")
    # Pale grey on white in the light scheme only; in the dark scheme the text is white on black.
    (root / "index.html").write_text(
        page(
            "<style>p{color:#bbbbbb;background:#ffffff}"
            "[data-md-color-scheme=slate] p{color:#ffffff;background:#000000}</style>"
            "<h1>Home</h1><p>Pale text.</p><p>More pale text.</p>"
        )
    )
    (root / "good").mkdir()
    (root / "good" / "index.html").write_text(page("<h1>Good</h1><p>Black text.</p>"))
    (root / "sitemap.xml").write_text(
        "<urlset><url><loc>https://example.org/x/</loc></url>"
        "<url><loc>https://example.org/x/good/</loc></url></urlset>"
    )
    return root


def test_counts_the_violations_by_rule_width_and_scheme(site: Path) -> None:
    found, pages = axe_counts.count(site)
    assert pages == 2
    for width in axe_counts.WIDTHS:
        light = found[("color-contrast", width, "light")]
        assert (light["elements"], light["pages"]) == (2, 1)
        assert ("color-contrast", width, "dark") not in found
    table = axe_counts.report(found, pages)
    assert "on 2 pages" in table
    row = next(line for line in table.splitlines() if line.startswith("color-contrast"))
    assert row.split()[1:] == ["2", "(1)", "0", "(0)", "2", "(1)", "0", "(0)", "4"]


def test_a_site_without_a_sitemap_says_to_build_it(tmp_path: Path, monkeypatch) -> None:  # noqa: ANN001
    monkeypatch.setattr(sys, "argv", ["axe_counts.py", "--site", str(tmp_path)])
    with pytest.raises(SystemExit, match="no sitemap.xml.*make docs"):
        axe_counts.main()
