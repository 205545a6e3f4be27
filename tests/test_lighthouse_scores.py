"""`bench/lighthouse_scores.py` without running Lighthouse: its reading of a real Lighthouse
report (tests/data/lighthouse_cells_lstm.json, a trimmed Lighthouse 12.2.3 report of /cells/lstm/),
the explanation of shortfalls, the local server's gzip, and its command-line and install errors.
"""

from __future__ import annotations

import copy
import gzip
import json
import stat
import sys
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
import lighthouse_scores as ls  # noqa: E402

REPORT = Path(__file__).with_name("data") / "lighthouse_cells_lstm.json"


@pytest.fixture(scope="module")
def report() -> dict[str, Any]:
    return json.loads(REPORT.read_text(encoding="utf-8"))


def _with_perf(report: dict[str, Any], score: float) -> dict[str, Any]:
    other = copy.deepcopy(report)
    other["categories"]["performance"]["score"] = score
    return other


def test_scores_are_the_categories_out_of_100(report: dict[str, Any]) -> None:
    got = ls.scores(report)
    assert list(got) == list(ls.CATEGORIES)
    for category, value in got.items():
        assert value == round(100 * report["categories"][category]["score"])


@pytest.mark.parametrize("category", ls.CATEGORIES)
def test_points_lost_add_up_to_the_score(report: dict[str, Any], category: str) -> None:
    """Lighthouse scores a category as the weighted mean of its audits: the points each failing
    audit costs, summed, are what the category lacks of 100 (to Lighthouse's rounding)."""
    reasons = [r for r in ls.shortfall_reasons(report, category, limit=1000) if r.points > 0]
    lacks = 100 - 100 * report["categories"][category]["score"]
    assert sum(r.points for r in reasons) == pytest.approx(lacks, abs=0.6), reasons
    assert [r.points for r in reasons] == sorted((r.points for r in reasons), reverse=True)


def test_accessibility_reasons_name_the_audit_and_the_elements(report: dict[str, Any]) -> None:
    reasons = ls.shortfall_reasons(report, "accessibility")
    assert reasons, "the stored report fails accessibility audits"
    for reason in reasons:
        audit = report["audits"][reason.audit]
        assert audit["score"] == 0 and audit["scoreDisplayMode"] == "binary"
        assert reason.text.startswith(f"{reason.audit} (weight ")
        assert audit["title"].rstrip(".") in reason.text
        selector = audit["details"]["items"][0]["node"]["selector"]
        assert f"`{selector}`" in reason.text or selector in reason.text


def test_performance_reasons_give_metric_values_then_their_causes(report: dict[str, Any]) -> None:
    reasons = ls.shortfall_reasons(report, "performance", limit=3)
    metrics = [r for r in reasons if r.points > 0]
    causes = reasons[len(metrics) :]
    assert metrics and causes and all(r.points == 0 for r in causes)
    for reason in metrics:  # the metric's displayed value, e.g. "5.4 s"
        shown = report["audits"][reason.audit]["displayValue"].replace("\xa0", " ")
        assert f": {shown}" in reason.text
    for reason in causes:  # a saving Lighthouse estimated, and the resource behind it
        audit = report["audits"][reason.audit]
        assert audit["metricSavings"], reason
        assert "est. saving " in reason.text
    unused = next(r for r in causes if r.audit == "unused-javascript")
    biggest = report["audits"]["unused-javascript"]["details"]["items"][0]
    assert f"{urllib.parse.urlsplit(biggest['url']).path} " in unused.text
    assert "127.0.0.1" not in unused.text  # the local origin is noise to a reader
    assert f"{biggest['wastedBytes'] / 1024:,.0f} KiB" in unused.text


def test_table_marks_scores_below_target_and_the_shortfalls_explain_them(
    report: dict[str, Any],
) -> None:
    runs = [_with_perf(report, s) for s in (0.30, 0.95, 0.52)]
    result = ls.PageResult("cells/lstm/", [ls.scores(r) for r in runs], ls.median_report(runs))
    assert result.median_report is runs[2]  # the median performance run is the one explained
    assert result.summary("performance") == (52, 30, 95)
    table = ls.format_table([result]).splitlines()
    assert table[0].split() == ["page", *ls.CATEGORIES]
    row = table[1].split("  ")
    cells = [c.strip() for c in row if c.strip()]
    assert cells[0] == "/cells/lstm/" and cells[1] == "52 (30-95) !"
    for category, cell in zip(ls.CATEGORIES[1:], cells[2:], strict=True):
        score = ls.scores(report)[category]
        assert cell == f"{score:g}" + (" !" if score < ls.TARGETS[category] else "")
    assert table[2].split() == [
        "target",
        *[t for c in ls.CATEGORIES for t in (">=", str(ls.TARGETS[c]))],
    ]
    text = ls.format_shortfalls([result])
    assert "/cells/lstm/ performance 52 < 90:" in text
    for category in ("best-practices", "seo"):
        assert f" {category} " not in text  # at target: nothing to explain
    for reason in ls.shortfall_reasons(report, "accessibility"):
        assert f"  - {reason.text}" in text


def test_environment_caused_failures_are_marked_and_explained(report: dict[str, Any]) -> None:
    local = copy.deepcopy(report)
    local["audits"]["is-on-https"]["score"] = 0
    local["audits"]["uses-text-compression"]["score"] = 0
    local["categories"]["best-practices"]["score"] = 0.9
    result = ls.PageResult("", [ls.scores(local)], local)
    assert "is-on-https" in ls.environment_failures(local)
    assert "- is-on-https (weight" in ls.format_shortfalls([result])
    assert "[environment]" in ls.format_shortfalls([result])
    notes = ls.format_notes([result], compressed=True)
    assert f"is-on-https fails here: {ls.ENVIRONMENT_AUDITS['is-on-https']}" in notes
    assert "uses-text-compression fails" not in notes  # we did compress
    assert "uses-text-compression fails" in ls.format_notes([result], compressed=False)


def test_local_server_gzips_text_like_github_pages(tmp_path: Path) -> None:
    page = "<!doctype html><title>x</title>" + "text " * 500
    (tmp_path / "index.html").write_text(page, encoding="utf-8")
    (tmp_path / "a.png").write_bytes(b"\x89PNG" + bytes(range(256)))
    with ls.serve(tmp_path) as base:
        ask = urllib.request.Request(base, headers={"Accept-Encoding": "gzip"})
        with urllib.request.urlopen(ask, timeout=5) as got:
            assert got.headers["Content-Encoding"] == "gzip"
            assert gzip.decompress(got.read()).decode() == page
        with urllib.request.urlopen(base, timeout=5) as got:  # no Accept-Encoding: raw
            assert got.headers["Content-Encoding"] is None and got.read().decode() == page
        png = urllib.request.Request(base + "a.png", headers={"Accept-Encoding": "gzip"})
        with urllib.request.urlopen(png, timeout=5) as got:
            assert got.headers["Content-Encoding"] is None
    with ls.serve(tmp_path, compress=False) as base:
        ask = urllib.request.Request(base, headers={"Accept-Encoding": "gzip"})
        with urllib.request.urlopen(ask, timeout=5) as got:
            assert got.headers["Content-Encoding"] is None and got.read().decode() == page


@pytest.fixture()
def site(tmp_path: Path) -> Path:
    for page in ls.PAGES:
        (tmp_path / page).mkdir(parents=True, exist_ok=True)
        (tmp_path / page / "index.html").write_text("<title>x</title>", encoding="utf-8")
    return tmp_path


@pytest.mark.parametrize("runs", ["0", "-2", "three", "1.5"])
def test_bad_runs_names_the_value_and_what_is_expected(
    site: Path, runs: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as stop:
        ls.parse_args(["--site", str(site), "--runs", runs])
    assert stop.value.code == 2
    err = capsys.readouterr().err
    assert f"--runs: got {runs!r}; expected a whole number >= 1" in err


def test_good_arguments_parse(site: Path) -> None:
    args = ls.parse_args(["--site", str(site), "--runs", "5", "--chrome", sys.executable])
    assert args.runs == 5 and args.pages == list(ls.PAGES) and not args.no_gzip


def test_missing_site_says_to_run_make_docs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit):
        ls.parse_args(["--site", str(tmp_path / "site")])
    err = capsys.readouterr().err
    assert f"--site: no index.html in {tmp_path / 'site'}; run `make docs` first" in err


def test_missing_page_is_named(site: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        ls.parse_args(["--site", str(site), "--pages", "cells/nope/"])
    assert "--pages: no page 'cells/nope/'" in capsys.readouterr().err


def test_missing_npm_says_what_to_install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ls.shutil, "which", lambda name: None)
    with pytest.raises(SystemExit, match=r"npm not found.*`make node`"):
        ls.lighthouse_cli(tmp_path / "lh")


def test_failed_install_shows_npm_and_the_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    npm = tmp_path / "npm"
    npm.write_text("#!/bin/sh\necho 'npm error code E404' >&2\nexit 1\n", encoding="utf-8")
    npm.chmod(npm.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setattr(ls.shutil, "which", lambda name: str(npm))
    with pytest.raises(SystemExit) as stop:
        ls.lighthouse_cli(tmp_path / "lh")
    message = str(stop.value.code)
    assert f"install --prefix {tmp_path / 'lh'} lighthouse@{ls.LIGHTHOUSE_VERSION}" in message
    assert "failed (exit 1)" in message and "npm error code E404" in message
