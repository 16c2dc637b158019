/* Annotator scorecards: sort a table by a column when its heading is selected.
 *
 * Each heading of a `table.sortable` with a `data-sort-type` ("number" or "text") becomes a button;
 * selecting it sorts the body rows by the cells' `data-sort` values, ascending first, then
 * descending on the next press. Cells without a value (a dash on the page) always go last. The
 * sorted heading carries `aria-sort`, and a polite status line says what changed. Without
 * JavaScript the table stays in its server order (by name). */
(function () {
  "use strict";

  function sortKey(row, index, type) {
    const cell = row.cells[index];
    const raw = cell ? (cell.dataset.sort ?? cell.textContent.trim()) : "";
    if (raw === "") {
      return null;
    }
    if (type === "number") {
      const number = Number(raw);
      return Number.isNaN(number) ? null : number;
    }
    return raw.toLocaleLowerCase();
  }

  function compare(a, b, type) {
    if (type === "number") {
      return a - b;
    }
    return a.localeCompare(b);
  }

  function sortBy(table, heading, index, status) {
    const type = heading.dataset.sortType;
    const direction = heading.getAttribute("aria-sort") === "ascending" ? "descending" : "ascending";
    const body = table.tBodies[0];
    const rows = Array.from(body.rows).filter((row) => row.cells.length > 1);
    const keyed = rows.map((row, position) => ({ row, position, key: sortKey(row, index, type) }));
    const sign = direction === "ascending" ? 1 : -1;
    keyed.sort((x, y) => {
      if (x.key === null || y.key === null) {
        // Undefined figures last in either direction; otherwise keep the current order.
        return x.key === null && y.key === null ? x.position - y.position : x.key === null ? 1 : -1;
      }
      return sign * compare(x.key, y.key, type) || x.position - y.position;
    });
    keyed.forEach(({ row }) => body.appendChild(row));
    table.querySelectorAll("thead th[aria-sort]").forEach((th) => th.removeAttribute("aria-sort"));
    heading.setAttribute("aria-sort", direction);
    if (status) {
      status.textContent = `Sorted by ${heading.textContent.trim()}, ${direction}.`;
    }
  }

  function enhance(table) {
    const status = document.getElementById("sort-status");
    const headings = Array.from(table.tHead.rows[0].cells);
    headings.forEach((heading, index) => {
      if (!heading.dataset.sortType) {
        return;
      }
      const button = document.createElement("button");
      button.type = "button";
      button.className = "sort-button";
      button.textContent = heading.textContent.trim();
      // The arrow is decoration: aria-sort on the heading already says how the column is sorted.
      const mark = document.createElement("span");
      mark.className = "sort-mark";
      mark.setAttribute("aria-hidden", "true");
      button.appendChild(mark);
      heading.textContent = "";
      heading.appendChild(button);
      button.addEventListener("click", () => sortBy(table, heading, index, status));
    });
  }

  document.querySelectorAll("table.sortable").forEach(enhance);
})();
