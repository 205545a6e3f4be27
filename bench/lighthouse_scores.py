"""Lighthouse scores of the built site's main pages, and what holds them back.

Serves the built ``site/`` (run ``make docs`` first) on 127.0.0.1 and runs Lighthouse
(``lighthouse@12.2.3`` from npm, installed once into ``.cache/npm/``; Lighthouse 13 needs Node 22)
with the machine's Chromium, under Lighthouse's default mobile profile with simulated throttling,
several times per page. Prints the median performance, accessibility, best-practices and SEO
scores (with min-max when runs differ) against the targets, and for every score short of its
target the failing audits with the largest weight, with their values and the resources or
elements behind them. Deductions that come from serving locally rather than from the site are
named as such. The pages ask for nothing off-machine (the site serves its own fonts and MathJax).
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import gzip
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
LIGHTHOUSE_VERSION = "12.2.3"
CACHE_DIR = ROOT / ".cache" / "npm" / f"lighthouse-{LIGHTHOUSE_VERSION}"
CHROMIUM = "/usr/bin/chromium"
CHROME_FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
#: Site-relative paths of the measured pages ("" is the home page).
PAGES = ("", "cells/lstm/", "cells/lstm-vs-gru/", "explorer/", "derivations/")
CATEGORIES = ("performance", "accessibility", "best-practices", "seo")
#: The issue's aims; SEO has none there, so Lighthouse's own green band (90) stands in.
TARGETS = {"performance": 90, "accessibility": 95, "best-practices": 95, "seo": 90}
#: Seconds one Lighthouse run may take (they take 15-30 s on an idle machine).
RUN_TIMEOUT = 300
#: Text that the published site's host (GitHub Pages) sends gzip-compressed.
COMPRESSIBLE = (".html", ".css", ".js", ".json", ".svg", ".xml", ".txt", ".map", ".bib", ".tex")
#: Audits that fail because the pages are served from a local Python server, not because of
#: the site; their deductions are printed with this explanation.
ENVIRONMENT_AUDITS = {
    "is-on-https": "served over plain HTTP from 127.0.0.1; the published site is HTTPS",
    "redirects-http": "the local server has no HTTPS to redirect to",
    "is-crawlable": "the local server's robots/headers, not the site's",
    "robots-txt": "robots.txt of the local origin (the site root here, not the host's)",
    "uses-http2": "Python's http.server speaks HTTP/1.1 only; GitHub Pages serves HTTP/2",
    "uses-long-cache-ttl": "cache lifetimes are the host's headers (the local server sends none; "
    "GitHub Pages sends max-age=600, which Lighthouse flags too)",
    "uses-text-compression": "run with --no-gzip: the local server sent text uncompressed "
    "(GitHub Pages gzips it)",
}


def positive_int(text: str) -> int:
    """argparse type: a whole number >= 1, or an error naming the value."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"got {text!r}; expected a whole number >= 1")
    return value


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """The command line, checked: a site folder with the measured pages, runs >= 1."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--site", type=Path, default=ROOT / "site", help="the built site")
    parser.add_argument(
        "--runs", type=positive_int, default=3, help="Lighthouse runs per page (median)"
    )
    parser.add_argument(
        "--pages", nargs="+", default=list(PAGES), help="site-relative pages ('' is home)"
    )
    parser.add_argument("--chrome", type=Path, default=Path(CHROMIUM), help="Chromium binary")
    parser.add_argument(
        "--no-gzip", action="store_true", help="serve text uncompressed (GitHub Pages gzips it)"
    )
    parser.add_argument(
        "--reports", type=Path, help="also keep each run's JSON report in this folder"
    )
    args = parser.parse_args(argv)
    if not (args.site / "index.html").is_file():
        parser.error(f"--site: no index.html in {args.site}; run `make docs` first")
    for page in args.pages:
        if not (args.site / page / "index.html").is_file():
            parser.error(f"--pages: no page {page!r} in {args.site} (no {page}index.html)")
    if not os.access(args.chrome, os.X_OK):
        parser.error(f"--chrome: {args.chrome} is not an executable; run `make browser`")
    return args


def lighthouse_cli(prefix: Path = CACHE_DIR) -> Path:
    """The pinned Lighthouse CLI under ``prefix``, installed there with npm once."""
    cli = prefix / "node_modules" / "lighthouse" / "cli" / "index.js"
    if cli.is_file():
        return cli
    npm = shutil.which("npm")
    if npm is None:
        raise SystemExit(
            "npm not found: Lighthouse is installed with it. Install Node.js 20+ and npm "
            "(`make node`, or Debian: apt-get install npm), then run this again."
        )
    cmd = [npm, "install", "--prefix", str(prefix), f"lighthouse@{LIGHTHOUSE_VERSION}"]
    cmd += ["--no-audit", "--no-fund"]
    print(f"installing Lighthouse {LIGHTHOUSE_VERSION} into {prefix} (once) ...", flush=True)
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0 or not cli.is_file():
        said = "\n".join("  " + line for line in proc.stderr.strip().splitlines()[-6:])
        raise SystemExit(
            f"`{' '.join(cmd)}` failed (exit {proc.returncode}):\n{said}\n"
            f"Check the network and the npm registry (`npm config get registry`), then run "
            f"this again, or run that command yourself."
        )
    return cli


class SiteHandler(SimpleHTTPRequestHandler):
    """Static files with no request log; text gzip-compressed as GitHub Pages sends it."""

    compress = True
    _gzipped: dict[str, bytes] = {}
    _lock = threading.Lock()

    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        """Compressed text when the client accepts gzip; anything else as http.server does."""
        path = self.translate_path(self.path)
        if os.path.isdir(path) and self.path.split("?")[0].endswith("/"):
            path = os.path.join(path, "index.html")
        accepts = "gzip" in self.headers.get("Accept-Encoding", "")
        if not (self.compress and accepts and path.endswith(COMPRESSIBLE)):
            return super().do_GET()
        if not os.path.isfile(path):
            return super().do_GET()
        with self._lock:
            body = self._gzipped.get(path)
            if body is None:
                body = gzip.compress(Path(path).read_bytes(), compresslevel=6, mtime=0)
                self._gzipped[path] = body
        self.send_response(200)
        self.send_header("Content-Type", self.guess_type(path))
        self.send_header("Content-Encoding", "gzip")
        self.send_header("Vary", "Accept-Encoding")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@contextlib.contextmanager
def serve(site: Path, *, compress: bool = True) -> Iterator[str]:
    """Serve ``site`` on 127.0.0.1 on a free port; yields the base URL (ending in ``/``)."""
    handler_class = type("Handler", (SiteHandler,), {"compress": compress, "_gzipped": {}})
    handler = functools.partial(handler_class, directory=str(site))
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    finally:
        httpd.shutdown()
        httpd.server_close()


def run_lighthouse(cli: Path, url: str, chrome: Path, out: Path) -> dict[str, Any]:
    """One Lighthouse run of ``url`` (mobile, simulated throttling); its JSON report."""
    cmd = [
        "node",
        str(cli),
        url,
        "--output=json",
        f"--output-path={out}",
        "--quiet",
        f"--only-categories={','.join(CATEGORIES)}",
        f"--chrome-flags={' '.join(CHROME_FLAGS)}",
    ]
    env = {**os.environ, "CHROME_PATH": str(chrome)}
    try:
        proc = subprocess.run(
            cmd, capture_output=True, text=True, env=env, timeout=RUN_TIMEOUT, check=False
        )
    except subprocess.TimeoutExpired:
        raise SystemExit(f"Lighthouse did not finish {url} in {RUN_TIMEOUT} s") from None
    if proc.returncode != 0 or not out.is_file():
        said = "\n".join("  " + line for line in proc.stderr.strip().splitlines()[-8:])
        raise SystemExit(f"Lighthouse failed on {url} (exit {proc.returncode}):\n{said}")
    report = json.loads(out.read_text(encoding="utf-8"))
    if report.get("runtimeError"):
        error = report["runtimeError"]
        raise SystemExit(f"Lighthouse could not load {url}: {error.get('code')}: {error}")
    return report


def scores(report: dict[str, Any]) -> dict[str, float | None]:
    """Each category's score out of 100 (None where Lighthouse could not score it)."""
    out: dict[str, float | None] = {}
    for category in CATEGORIES:
        score = report["categories"][category]["score"]
        out[category] = None if score is None else round(100 * score)
    return out


def _short_url(url: str) -> str:
    """A resource's URL without the local origin."""
    if url.startswith("http://127.0.0.1:"):
        return "/" + url.split("/", 3)[3]
    return url


def _kib(n: float) -> str:
    return f"{n / 1024:,.0f} KiB"


def _culprits(audit: dict[str, Any], limit: int = 3) -> str:
    """The first few resources or elements in an audit's details, with sizes where given."""
    details = audit.get("details") or {}
    items = details.get("items") or []
    parts = []
    for item in items:
        if not isinstance(item, dict):
            continue
        if "url" in item and isinstance(item["url"], str):
            size = item.get("wastedBytes") or item.get("transferSize") or item.get("totalBytes")
            took = item.get("total")
            text = _short_url(item["url"])
            if isinstance(size, int | float) and size:
                text += f" {_kib(size)}"
            elif isinstance(took, int | float):
                text += f" {took:,.0f} ms"
            parts.append(text)
        elif isinstance(item.get("node"), dict):
            node = item["node"]
            label = (node.get("nodeLabel") or "").replace("\n", " ")[:40]
            selector = node.get("selector", "?")
            parts.append(f"`{selector}` ({label})" if label and label != selector else selector)
        elif "groupLabel" in item and "duration" in item:  # mainthread-work-breakdown
            parts.append(f"{item['groupLabel']} {item['duration']:,.0f} ms")
        if len(parts) == limit:
            break
    if not parts:
        return ""
    more = len(items) - len(parts)
    return ": " + "; ".join(parts) + (f"; and {more} more" if more > 0 else "")


def _value(audit: dict[str, Any]) -> str:
    value = (audit.get("displayValue") or "").replace("\xa0", " ")
    return f" {value}" if value else ""


@dataclass(frozen=True)
class Reason:
    """One failing audit of a category: why a score falls short."""

    audit: str
    points: float
    text: str
    environment: bool


def _scored(audit: dict[str, Any]) -> bool:
    """Whether an audit counts in its category's weighted mean (not n/a, manual or info)."""
    return audit.get("score") is not None and audit.get("scoreDisplayMode") in (
        "binary",
        "numeric",
        "metricSavings",
    )


def shortfall_reasons(report: dict[str, Any], category: str, limit: int = 4) -> list[Reason]:
    """The failing audits with the largest weight in ``category``, heaviest first.

    For performance the weighted audits are the metrics (LCP, TBT, ...); what costs them is in
    the unweighted diagnostics, so those follow, ordered by Lighthouse's estimated saving in
    milliseconds of the metrics.
    """
    audits = report["audits"]
    refs = report["categories"][category]["auditRefs"]
    total = sum(ref["weight"] for ref in refs if _scored(audits[ref["id"]]))
    failing = []
    for ref in refs:
        audit = audits[ref["id"]]
        if ref["weight"] > 0 and _scored(audit) and audit["score"] < 1:
            failing.append((ref["weight"], 1 - audit["score"], ref["id"]))
    failing.sort(key=lambda t: (-t[0] * t[1], -t[0], t[2]))
    reasons = []
    for weight, loss, audit_id in failing[:limit]:
        audit = audits[audit_id]
        points = 100 * weight * loss / total
        text = (
            f"{audit_id} (weight {weight:g}, score {100 * audit['score']:.0f}, "
            f"costs {points:.1f} points):{_value(audit)}"
        )
        if not audit.get("displayValue"):
            text += " " + audit["title"].rstrip(".")
        text += _culprits(audit)
        reasons.append(Reason(audit_id, points, text, audit_id in ENVIRONMENT_AUDITS))
    if category == "performance":
        reasons += _performance_causes(report, limit)
    return reasons


def _performance_causes(report: dict[str, Any], limit: int) -> list[Reason]:
    """The diagnostics with the largest estimated saving (ms of LCP, FCP, TBT) that fail."""
    causes = []
    for ref in report["categories"]["performance"]["auditRefs"]:
        audit = report["audits"][ref["id"]]
        savings = audit.get("metricSavings") or {}
        ms = sum(v for k, v in savings.items() if k != "CLS" and isinstance(v, int | float))
        if ref["weight"] == 0 and ms > 0 and audit.get("score") is not None and audit["score"] < 1:
            causes.append((ms, ref["id"], savings))
    causes.sort(key=lambda t: (-t[0], t[1]))
    reasons = []
    for _ms, audit_id, savings in causes[:limit]:
        audit = report["audits"][audit_id]
        saved = ", ".join(f"{k} {v:,.0f} ms" for k, v in savings.items() if k != "CLS" and v)
        text = f"{audit_id} ({audit['title']}):{_value(audit)}; est. saving {saved}"
        text += _culprits(audit)
        reasons.append(Reason(audit_id, 0, text, audit_id in ENVIRONMENT_AUDITS))
    return reasons


def environment_failures(report: dict[str, Any]) -> set[str]:
    """The failing audits of ``report`` that the local serving causes (ENVIRONMENT_AUDITS)."""
    return {
        audit_id
        for audit_id in ENVIRONMENT_AUDITS
        if audit_id in report["audits"]
        and report["audits"][audit_id].get("score") is not None
        and report["audits"][audit_id]["score"] < 1
    }


@dataclass(frozen=True)
class PageResult:
    """All runs of one page."""

    page: str
    runs: list[dict[str, float | None]]
    median_report: dict[str, Any]

    def summary(self, category: str) -> tuple[float | None, float | None, float | None]:
        """Median, min and max score of ``category`` over the runs (None if never scored)."""
        values = [r[category] for r in self.runs if r[category] is not None]
        if not values:
            return None, None, None
        return statistics.median(values), min(values), max(values)


def median_report(reports: list[dict[str, Any]]) -> dict[str, Any]:
    """The run whose performance score is the (lower) median: the one explained."""
    ranked = sorted(reports, key=lambda r: -1 if (s := scores(r)["performance"]) is None else s)
    return ranked[(len(ranked) - 1) // 2]


def _cell(median: float | None, low: float | None, high: float | None, target: int) -> str:
    if median is None:
        return "n/a"
    text = f"{median:g}" if low == high else f"{median:g} ({low:g}-{high:g})"
    return text + ("" if median >= target else " !")


def format_table(results: list[PageResult]) -> str:
    """The score table: a row per page, a column per category, ``!`` below target."""
    width = max(len("page"), *(len("/" + r.page) for r in results)) + 2
    lines = ["page".ljust(width) + "".join(c.ljust(17) for c in CATEGORIES).rstrip()]
    for result in results:
        row = ("/" + result.page).ljust(width)
        for category in CATEGORIES:
            row += _cell(*result.summary(category), TARGETS[category]).ljust(17)
        lines.append(row.rstrip())
    lines.append(
        "target".ljust(width) + "".join(f">= {TARGETS[c]}".ljust(17) for c in CATEGORIES).rstrip()
    )
    return "\n".join(lines)


def format_shortfalls(results: list[PageResult]) -> str:
    """For each score below target: what holds it back, from the median run's report."""
    lines = []
    for result in results:
        for category in CATEGORIES:
            median, _, _ = result.summary(category)
            if median is None or median >= TARGETS[category]:
                continue
            lines.append(f"/{result.page} {category} {median:g} < {TARGETS[category]}:")
            for reason in shortfall_reasons(result.median_report, category):
                mark = " [environment]" if reason.environment else ""
                lines.append(f"  - {reason.text}{mark}")
    return "\n".join(lines)


def format_notes(results: list[PageResult], *, compressed: bool) -> str:
    """What the environment contributes: the serving, and local-only failing audits."""
    failing = set().union(*(environment_failures(r.median_report) for r in results))
    if compressed:
        failing.discard("uses-text-compression")
    report = results[0].median_report
    settings = report["configSettings"]
    bench = statistics.median(r.median_report["environment"]["benchmarkIndex"] for r in results)
    load = " ".join(f"{v:.1f}" for v in os.getloadavg())
    notes = [
        f"Lighthouse {report['lighthouseVersion']}, form factor {settings['formFactor']}, "
        f"throttling {settings['throttlingMethod']} (Lighthouse's defaults), Chromium "
        f"{report['environment']['hostUserAgent'].split('Chrome/')[-1].split()[0]}.",
        "Served by a Python server on 127.0.0.1 "
        + (
            "with text gzip-compressed, as GitHub Pages serves it; --no-gzip measures raw files."
            if compressed
            else "with text UNcompressed (--no-gzip); GitHub Pages gzips it."
        ),
        "Simulated throttling models a slow 4G phone from this load: byte counts carry over, "
        "but main-thread time (TBT, and LCP behind it) is this machine's, slowed 4x; a busy "
        f"machine inflates TBT (load average at the end {load}; benchmarkIndex {bench:.0f}).",
    ]
    notes += [f"{a} fails here: {ENVIRONMENT_AUDITS[a]}." for a in sorted(failing)]
    return "\n".join("note: " + n for n in notes)


def measure(args: argparse.Namespace, cli: Path) -> list[PageResult]:
    """Every page, ``args.runs`` times each, one run at a time, with progress on stdout."""
    results = []
    with tempfile.TemporaryDirectory(prefix="lighthouse-") as tmp:
        with serve(args.site, compress=not args.no_gzip) as base:
            for page in args.pages:
                reports = []
                for run in range(1, args.runs + 1):
                    out = Path(tmp) / f"{page.replace('/', '_') or 'home'}-{run}.json"
                    start = time.monotonic()
                    report = run_lighthouse(cli, base + page, args.chrome, out)
                    reports.append(report)
                    got = " ".join(
                        f"{c} {'n/a' if s is None else f'{s:g}'}" for c, s in scores(report).items()
                    )
                    print(
                        f"/{page} run {run}/{args.runs}: {got} ({time.monotonic() - start:.0f} s)",
                        flush=True,
                    )
                    if args.reports:
                        args.reports.mkdir(parents=True, exist_ok=True)
                        shutil.copyfile(out, args.reports / out.name)
                results.append(
                    PageResult(page, [scores(r) for r in reports], median_report(reports))
                )
    return results


def main(argv: Sequence[str] | None = None) -> int:
    """Measure, print the table, the shortfalls and the notes; 0 even when below target."""
    args = parse_args(argv)
    cli = lighthouse_cli()
    if shutil.which("node") is None:
        raise SystemExit("node not found: install Node.js 20+ (`make node`)")
    print(
        f"Lighthouse {LIGHTHOUSE_VERSION} on {len(args.pages)} pages x {args.runs} runs "
        f"(about 15-30 s each) ...",
        flush=True,
    )
    results = measure(args, cli)
    print()
    print(f"Lighthouse scores, mobile, median of {args.runs} runs (min-max); ! = below target")
    print(format_table(results))
    shortfalls = format_shortfalls(results)
    if shortfalls:
        print("\nWhat holds the scores below target back (failing audits, heaviest first):")
        print(shortfalls)
    print()
    print(format_notes(results, compressed=not args.no_gzip))
    return 0


if __name__ == "__main__":
    sys.exit(main())
