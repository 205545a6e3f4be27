// The info box of a citable equation (diagrams/equations.py), after NIST's DLMF: clicking an
// equation's id (or Enter on it) opens, without leaving the page, its permalinks (this version
// and latest), its LaTeX and SymPy srepr (copy), the symbols it uses linked to Notation, the
// equations it uses and those that use it, and a BibTeX entry for it. Everything comes from
// the site's own equations.json (diagrams/equation_exports.py), read once.
//
// A permalink whose id is on no page of the site (#lstm.nope) gets a notice naming the id and
// saying where ids are listed, instead of silently landing at the top of the page.
(() => {
  let index = null; // Promise of Map id -> record

  function siteRoot() {
    if (typeof __md_scope !== "undefined") return new URL(__md_scope.href);
    return new URL(".", location.href);
  }

  function records() {
    if (!index) {
      const url = new URL("equations.json", siteRoot());
      index = fetch(url)
        .then((r) => {
          if (!r.ok) throw new Error(`${url}: HTTP ${r.status}`);
          return r.json();
        })
        .then((rows) => new Map(rows.map((row) => [row.id, row])));
      index.catch(() => {
        index = null; // try again on the next click
      });
    }
    return index;
  }

  function el(tag, attrs = {}, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs)) {
      if (key === "text") node.textContent = value;
      else node.setAttribute(key, value);
    }
    for (const child of children) if (child != null) node.append(child);
    return node;
  }

  function pageLink(record) {
    return new URL(record.page, siteRoot()).href;
  }

  function idLink(map, ident) {
    const target = map.get(ident);
    const code = el("code", { text: ident });
    if (!target) return code;
    return el("a", { href: pageLink(target), "data-gr-eq-ref": ident }, code);
  }

  function copyButton(what, text) {
    return el("button", {
      type: "button",
      class: "gr-copy",
      title: `Copy the ${what}`,
      "data-latex": text,
      text: `Copy ${what}`,
    });
  }

  function field(title, value, what, scroll) {
    const pre = el("pre", { class: "gr-eq-info__code" }, el("code", { text: value }));
    if (scroll) pre.setAttribute("tabindex", "0");
    return el(
      "section",
      { class: "gr-eq-info__field" },
      el("div", { class: "gr-eq-info__label" }, el("h3", { text: title }), copyButton(what, value)),
      pre,
    );
  }

  function idList(map, title, ids) {
    const section = el("section", { class: "gr-eq-info__field" }, el("h3", { text: title }));
    if (!ids.length) {
      section.append(el("p", { text: "none" }));
      return section;
    }
    const list = el("ul", { class: "gr-eq-info__ids" });
    for (const ident of ids) list.append(el("li", {}, idLink(map, ident)));
    section.append(list);
    return section;
  }

  function symbolList(symbols) {
    const section = el("section", { class: "gr-eq-info__field" }, el("h3", { text: "Symbols" }));
    const list = el("ul", { class: "gr-eq-info__symbols" });
    for (const s of symbols) {
      const math = el("span", { class: "arithmatex", text: `\\(${s.latex}\\)` });
      const link = el("a", { href: new URL(s.notation, siteRoot()).href }, math);
      // the meaning may hold inline math ($t$): typeset with the box
      list.append(el("li", {}, link, " ", el("span", { class: "arithmatex", text: s.meaning })));
    }
    section.append(list);
    return section;
  }

  function permalinks(record) {
    const rows = [
      ["This version", record.url],
      ["Latest version", record.latest],
    ];
    const list = el("dl", { class: "gr-eq-info__links" });
    for (const [label, url] of rows) {
      list.append(
        el("dt", { text: label }),
        el("dd", {}, el("a", { href: url, text: url }), " ", copyButton("link", url)),
      );
    }
    return el("section", { class: "gr-eq-info__field" }, el("h3", { text: "Permalink" }), list);
  }

  let dialog = null;
  let opener = null;

  function theDialog() {
    if (dialog && dialog.isConnected) return dialog;
    dialog = el("dialog", {
      class: "gr-eq-info md-typeset",
      "aria-labelledby": "gr-eq-info-title",
    });
    // Focus goes back to the id that opened the box, found again by its text in case the page
    // content was swapped meanwhile (after anything the browser restores on its own).
    dialog.addEventListener("close", () => {
      const ident = opener && opener.textContent.trim();
      opener = null;
      setTimeout(() => {
        const back = Array.from(document.querySelectorAll("a.gr-eq-id")).find(
          (a) => a.textContent.trim() === ident,
        );
        if (back) back.focus();
      }, 0);
    });
    // a click on the backdrop (outside the box's rectangle) closes it
    dialog.addEventListener("click", (event) => {
      if (event.target !== dialog) return;
      const box = dialog.getBoundingClientRect();
      const inside =
        event.clientX >= box.left &&
        event.clientX <= box.right &&
        event.clientY >= box.top &&
        event.clientY <= box.bottom;
      if (!inside) dialog.close();
    });
    document.body.append(dialog);
    return dialog;
  }

  function fill(box, map, record) {
    const close = el("button", {
      type: "button",
      class: "gr-eq-info__close",
      "aria-label": "Close",
      text: "×",
    });
    close.addEventListener("click", () => box.close());
    const shown = el("a", { href: pageLink(record), text: "its page" });
    box.replaceChildren(
      el(
        "header",
        { class: "gr-eq-info__head" },
        el("h2", { id: "gr-eq-info-title" }, "Equation ", el("code", { text: record.id })),
        close,
      ),
      el("p", { class: "gr-eq-info__what" }, `${record.title}; shown on `, shown, "."),
      el("div", { class: "arithmatex gr-eq-info__math", text: `\\[${record.latex}\\]` }),
      permalinks(record),
      field("LaTeX", record.latex, "LaTeX", false),
      field("SymPy srepr", record.srepr, "srepr", true),
      symbolList(record.symbols),
      idList(map, "Uses", record.uses),
      idList(map, "Used by", record.used_by),
      field("BibTeX", record.bibtex, "BibTeX", true),
    );
  }

  async function open(ident, from) {
    const box = theDialog();
    opener = from;
    let map;
    try {
      map = await records();
    } catch (err) {
      box.replaceChildren(el("p", { text: `The equation index could not be read: ${err.message}` }));
      if (!box.open) box.showModal();
      return;
    }
    const record = map.get(ident);
    if (!record) return;
    fill(box, map, record);
    if (!box.open) box.showModal();
    box.querySelector(".gr-eq-info__close").focus();
    if (typeof MathJax !== "undefined" && MathJax.typesetPromise) {
      await MathJax.typesetPromise([box]);
    }
  }

  document.addEventListener("click", (event) => {
    if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey) return;
    const link = event.target.closest("a.gr-eq-id");
    if (link) {
      event.preventDefault();
      const ident = link.textContent.trim();
      if (link.id === ident && location.hash !== `#${ident}`) {
        history.replaceState(history.state, "", `#${ident}`);
      }
      open(ident, link);
      return;
    }
    // an id inside the box: open that equation's box on this page, or go to its page
    const ref = event.target.closest("a[data-gr-eq-ref]");
    if (ref && dialog && dialog.contains(ref)) {
      const target = document.getElementById(ref.dataset.grEqRef);
      if (target && target.classList.contains("gr-eq-id")) {
        event.preventDefault();
        open(ref.dataset.grEqRef, target);
      } else {
        dialog.close();
      }
    }
  });

  // ---- a permalink to an id this site does not have ------------------------------------
  const ID_FORM = /^[A-Za-z0-9_]+(\.[A-Za-z0-9_]+)+$/;

  async function checkHash() {
    document.querySelectorAll(".gr-eq-unknown").forEach((node) => node.remove());
    const ident = decodeURIComponent(location.hash.slice(1));
    if (!ID_FORM.test(ident) || document.getElementById(ident)) return;
    let map;
    try {
      map = await records();
    } catch (err) {
      return;
    }
    const content = document.querySelector(".md-content__inner");
    if (!content) return;
    const known = map.get(ident);
    const note = el("div", { class: "admonition warning gr-eq-unknown", role: "alert" });
    note.append(el("p", { class: "admonition-title", text: "Equation not on this page" }));
    if (known) {
      note.append(
        el("p", {}, "Equation ", el("code", { text: ident }), " is on ",
          el("a", { href: pageLink(known), text: "its own page" }), "."),
      );
    } else {
      const errata = new URL("errata/", siteRoot()).href;
      const cite = new URL("cite/", siteRoot()).href;
      note.append(
        el("p", {}, "No equation of this version of the site has the id ",
          el("code", { text: ident }), ". Ids look like ", el("code", { text: "lstm.c_t" }),
          " (see ", el("a", { href: cite, text: "how to cite" }),
          "); a renamed or removed id is listed under ",
          el("a", { href: errata, text: "Errata and changes" }), "."),
      );
    }
    content.prepend(note);
  }

  window.addEventListener("hashchange", checkHash);
  if (typeof document$ !== "undefined") document$.subscribe(checkHash);
  else checkHash();
})();
