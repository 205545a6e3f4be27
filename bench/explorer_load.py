"""Time until the explorer page is interactive, the time one step takes, and asset sizes.

Serves the built ``site/`` (run ``make docs`` first) on 127.0.0.1, opens ``explorer/`` in
headless Chromium several times with a cold cache, and prints the median time from navigation
start to the page's own "ready" mark, next to the target (1 s) and the explorer's JavaScript
size (target: 50 KiB plus 5 KiB per cell, as tests/test_explorer.py checks). Then, at 60
characters and hidden size 8 (LSTM and GRU side by side, the heaviest view), it steps forward
through the sequence and prints the median script time of a step and the time until the
browser has drawn the frame that shows it, against one frame (16 ms).
"""

from __future__ import annotations

import argparse
import functools
import statistics
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from playwright.sync_api import sync_playwright

import gated_ref as gr

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
OWN_JS = (
    "generated/explorer/explorer-cells.js",
    "generated/explorer/presets.js",
    "javascripts/explorer.js",
)


#: Runs in the page: step forward ``n`` times, each from an idle page; per step, the script's
#: time (the click handler), the rendering after it (from the next animation frame's start to
#: the end of that frame's style, layout and paint) and the total until the frame is drawn.
STEP_TIMES = """async (n) => {
  const fwd = document.getElementById("gr-forward");
  document.getElementById("gr-first").click();
  const idle = () => new Promise((r) => setTimeout(r, 50));
  const afterFrame = () => new Promise((r) => requestAnimationFrame((t) => {
    const start = performance.now();
    setTimeout(() => r([start, performance.now()]), 0);
  }));
  await idle();
  const rows = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    fwd.click();
    const t1 = performance.now();
    const [frameStart, drawn] = await afterFrame();
    rows.push([t1 - t0, drawn - frameStart, drawn - t0]);
    await idle();
  }
  return rows;
}"""
#: One frame at 60 Hz, in milliseconds: the issue's aim for a step.
FRAME_MS = 16


class QuietHandler(SimpleHTTPRequestHandler):
    """Static files, no request log."""

    def log_message(self, *args: object) -> None:
        pass


def main() -> None:
    """Print the explorer's asset sizes and its median time to interactive."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--site", type=Path, default=ROOT / "site")
    parser.add_argument("--loads", type=int, default=7)
    args = parser.parse_args()
    if not (args.site / "explorer" / "index.html").is_file():
        raise SystemExit(f"--site: no explorer page under {args.site}; run `make docs` first")
    sizes = {path: (args.site / path).stat().st_size for path in OWN_JS}
    handler = functools.partial(QuietHandler, directory=str(args.site))
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{httpd.server_address[1]}/explorer/"
    ready: list[float] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        for _ in range(args.loads):
            context = browser.new_context()  # a cold cache every time
            page = context.new_page()
            page.goto(url, wait_until="load")
            page.wait_for_selector("#gr-explorer[data-ready='true']", timeout=10_000)
            ready.append(
                float(page.evaluate("document.getElementById('gr-explorer').dataset.readyMs"))
            )
            context.close()
        steps = step_times(browser, url)
        browser.close()
    httpd.shutdown()
    total = sum(sizes.values())
    budget = (50 + 5 * len(gr.CELL_NAMES)) * 1024  # as tests/test_explorer.py
    for path, size in sizes.items():
        print(f"{path:<40}{size:>9,} B")
    print(
        f"{'explorer JavaScript, total':<40}{total:>9,} B   (target < {budget:,} B: "
        f"{'yes' if total < budget else 'no'})"
    )
    median = statistics.median(ready)
    print(
        f"time to interactive, median of {len(ready)} cold loads: {median:.0f} ms "
        f"(min {min(ready):.0f}, max {max(ready):.0f}; target < 1000 ms: "
        f"{'yes' if median < 1000 else 'no'})"
    )
    script, render, total = (statistics.median(column) for column in zip(*steps, strict=True))
    print(
        f"one step at 60 characters, hidden size 8, LSTM and GRU side by side (median of "
        f"{len(steps)}): script {script:.1f} ms, rendering {render:.1f} ms, shown after "
        f"{total:.1f} ms (aim: script and rendering within one frame, {FRAME_MS} ms: "
        f"{'yes' if script + render <= FRAME_MS else 'no'})"
    )


def step_times(browser, url: str) -> list[tuple[float, float, float]]:  # noqa: ANN001
    """Script, rendering and total milliseconds of each step forward through a 60-character
    input at hidden size 8 with the LSTM and GRU side by side."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(url, wait_until="load")
    page.wait_for_selector("#gr-explorer[data-ready='true']", timeout=10_000)
    page.select_option("#gr-weights", "random")
    page.select_option("#gr-hidden", "8")
    text = "(()[(()())])" * 5
    page.fill("#gr-input", text)
    page.check("#gr-side")
    length = page.evaluate("document.getElementById('gr-time').max")
    if int(length) != len(text):
        raise SystemExit(f"the explorer took {length} steps for {len(text)} characters")
    rows = page.evaluate(STEP_TIMES, len(text) - 1)
    context.close()
    return [tuple(row) for row in rows]


if __name__ == "__main__":
    main()
