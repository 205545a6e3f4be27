// Sortable tables, served by the site itself (no library, no CDN): a table inside
// <div class="gr-sortable"> (the zoo's index, diagrams/cell_pages.py) sorts by a column when
// its header is clicked, or focused and Enter or Space pressed; again for the other direction.
// Numbers written with thousands separators ("1,053,952") sort as numbers, anything else as
// text; "not recorded" and empty cells go last in both directions. Material styles headers
// with role="columnheader" and aria-sort (its tablesort recipe), arrows included.
(() => {
  const MISSING = new Set(["", "not recorded"]);

  function key(cell) {
    const text = (cell ? cell.textContent : "").trim();
    if (MISSING.has(text.toLowerCase())) return null;
    const plain = text.replace(/[,\u00a0\u202f ]/g, "");
    if (/^[-+]?\d+(\.\d+)?$/.test(plain)) return Number(plain);
    return text.toLowerCase();
  }

  function compare(a, b, direction) {
    if (a === null || b === null) return (a === null) - (b === null); // missing last
    if (typeof a === "number" && typeof b === "number") return direction * (a - b);
    return direction * String(a).localeCompare(String(b), "en", { numeric: true });
  }

  function sortBy(table, header) {
    const index = header.cellIndex;
    const direction = header.getAttribute("aria-sort") === "ascending" ? -1 : 1;
    for (const other of table.tHead.rows[0].cells) other.setAttribute("aria-sort", "none");
    header.setAttribute("aria-sort", direction === 1 ? "ascending" : "descending");
    const body = table.tBodies[0];
    const rows = Array.from(body.rows, (row, at) => ({ row, at, key: key(row.cells[index]) }));
    rows.sort((a, b) => compare(a.key, b.key, direction) || a.at - b.at);
    for (const { row } of rows) body.appendChild(row);
  }

  function setup() {
    for (const table of document.querySelectorAll(".gr-sortable table")) {
      if (table.dataset.grSortable || !table.tHead || !table.tBodies.length) continue;
      table.dataset.grSortable = "ready";
      for (const header of table.tHead.rows[0].cells) {
        header.setAttribute("role", "columnheader");
        header.setAttribute("aria-sort", "none");
        header.tabIndex = 0;
        header.title = "Sort by this column";
        header.addEventListener("click", () => sortBy(table, header));
        header.addEventListener("keydown", (event) => {
          if (event.key === "Enter" || event.key === " ") {
            event.preventDefault();
            sortBy(table, header);
          }
        });
      }
    }
  }

  // Material's instant navigation swaps pages without a reload: set up every new page.
  if (typeof document$ !== "undefined") document$.subscribe(setup);
  else document.addEventListener("DOMContentLoaded", setup);
})();
