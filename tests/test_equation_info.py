"""The equation info box (docs/javascripts/equation-info.js) in a real browser: clicking an id,
or Enter on it, opens what DLMF shows, on the same page; an unknown id in a permalink says so."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from browser_checks import Watch, wait_for_math
from playwright import sync_api

ID = "lstm.c_t"


def records(site: Path) -> dict[str, dict]:
    rows = json.loads((site / "equations.json").read_text(encoding="utf-8"))
    return {r["id"]: r for r in rows}


@pytest.fixture
def tab(chromium, site_url: str):  # noqa: ANN001, ANN201
    """A tab that may use the clipboard, with its requests and console watched."""
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=site_url[:-1])
    page = context.new_page()
    watch = Watch(page, site_url)
    yield page, watch
    context.close()


def html_ids(site: Path, page_path: str) -> set[str]:
    text = (site / page_path.split("#")[0] / "index.html").read_text(encoding="utf-8")
    return set(re.findall(r'\sid="([^"]+)"', text))


def test_the_info_box_shows_what_dlmf_shows(tab, site_url: str, built_site: Path) -> None:  # noqa: ANN001
    page, watch = tab
    every = records(built_site)
    record = every[ID]
    page.goto(site_url + record["page"].split("#")[0], wait_until="load")
    wait_for_math(page)
    link = page.locator(f'a.gr-eq-id[id="{ID}"]')
    before = page.url
    link.click()
    box = page.locator("dialog.gr-eq-info[open]")
    box.wait_for(state="visible")
    assert page.url.split("#")[0] == before.split("#")[0], "the box must not leave the page"
    assert box.locator("#gr-eq-info-title").inner_text() == f"Equation {ID}"
    # permalinks: this version and latest, as equations.json publishes them
    hrefs = box.locator(".gr-eq-info__links a").evaluate_all("els => els.map(a => a.href)")
    assert hrefs == [record["url"], record["latest"]]
    assert record["url"].endswith("/" + record["page"])
    # the hook has replaced every placeholder (in a plain build both name the site's root)
    assert not any(".invalid" in record[k] for k in ("url", "latest", "bibtex")), record
    assert record["latest"] == record["url"]
    # the LaTeX, the srepr and the BibTeX entry, exactly
    codes = box.locator("pre.gr-eq-info__code").all_inner_texts()
    assert codes == [record["latex"], record["srepr"], record["bibtex"]]
    # the equation itself is typeset in the box
    box.locator(".gr-eq-info__math mjx-container").wait_for()
    # symbols: each links to an anchor that exists on the Notation page
    symbols = box.locator(".gr-eq-info__symbols a").evaluate_all(
        "els => els.map(a => a.getAttribute('href'))"
    )
    assert len(symbols) == len(record["symbols"]) > 0
    for href, symbol in zip(symbols, record["symbols"], strict=True):
        path, _, anchor = symbol["notation"].partition("#")
        assert href == site_url + symbol["notation"]
        assert anchor in html_ids(built_site, path), f"no anchor {anchor!r} on {path}"
    # the equations it uses and those that use it, each linked to its page
    lists = box.locator(".gr-eq-info__ids").evaluate_all(
        "uls => uls.map(ul => Array.from(ul.querySelectorAll('code'), c => c.textContent))"
    )
    expected = [ids for ids in (record["uses"], record["used_by"]) if ids]
    assert lists == expected and record["used_by"], lists
    # copy: the LaTeX reaches the clipboard
    box.locator("button.gr-copy", has_text="Copy LaTeX").click()
    assert page.evaluate("navigator.clipboard.readText()") == record["latex"]
    # keyboard: Escape closes and gives the focus back to the id; Enter on it opens again
    page.keyboard.press("Escape")
    box.wait_for(state="detached")
    try:
        page.wait_for_function("id => document.activeElement?.id === id", arg=ID, timeout=5_000)
    except sync_api.TimeoutError as exc:
        focused = page.evaluate("document.activeElement.outerHTML.slice(0, 200)")
        raise AssertionError(f"the focus did not return to {ID}: {focused}") from exc
    page.keyboard.press("Enter")
    box.wait_for(state="visible")
    assert page.evaluate("document.activeElement.closest('dialog') !== null")
    # an equation it uses, on the same page: its box opens in place
    used = record["uses"][0]
    box.locator(f'a[data-gr-eq-ref="{used}"]').click()
    page.wait_for_function(
        "id => document.querySelector('#gr-eq-info-title code')?.textContent === id", arg=used
    )
    assert page.url.split("#")[0] == before.split("#")[0]
    page.keyboard.press("Escape")
    assert watch.errors == [] and watch.failed == [] and watch.external == []


def test_a_permalink_to_an_unknown_id_says_so(tab, site_url: str, built_site: Path) -> None:  # noqa: ANN001
    page, watch = tab
    lstm = records(built_site)[ID]["page"].split("#")[0]
    page.goto(site_url + lstm + "#lstm.nope", wait_until="load")
    note = page.locator(".gr-eq-unknown")
    note.wait_for()
    text = note.inner_text()
    assert "lstm.nope" in text and "Errata and changes" in text
    assert note.locator("a", has_text="Errata and changes").get_attribute("href") == (
        site_url + "errata/"
    )
    # an id that is on another page: the notice links there
    gru = records(built_site)["gru.h_t"]["page"]
    page.evaluate("location.hash = 'gru.h_t'")
    page.wait_for_function(
        "() => document.querySelector('.gr-eq-unknown a')?.href.endsWith('#gru.h_t')"
    )
    assert page.locator(".gr-eq-unknown a").get_attribute("href") == site_url + gru
    # a known id on this page: no notice
    page.evaluate(f"location.hash = '{ID}'")
    with pytest.raises(sync_api.TimeoutError):
        note.wait_for(timeout=500)
    assert watch.errors == [] and watch.failed == [] and watch.external == []
