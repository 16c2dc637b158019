/* A table whose box scrolls sideways (wider than the screen leaves it) becomes a focusable region
 * named by its caption, so that the keyboard can scroll it in every browser (axe:
 * scrollable-region-focusable); a box that fits is left alone and adds no tab stop. Checked when a
 * box appears (boxes the job tables replace too) and whenever its size changes. */
(function () {
  "use strict";

  const SELECTOR = ".table-wrap";

  function mark(box) {
    const scrolls = box.scrollWidth > box.clientWidth + 1;
    if (scrolls && !box.hasAttribute("data-scroll-region")) {
      const caption = box.querySelector("caption");
      box.setAttribute("data-scroll-region", "");
      box.setAttribute("role", "region");
      box.setAttribute("aria-label", caption ? caption.textContent.trim() : "Table");
      box.tabIndex = 0;
    } else if (!scrolls && box.hasAttribute("data-scroll-region")) {
      for (const name of ["data-scroll-region", "role", "aria-label", "tabindex"]) box.removeAttribute(name);
    }
  }

  const sizes = new ResizeObserver((entries) => entries.forEach((entry) => mark(entry.target)));
  const watched = new WeakSet();

  function watchAll() {
    document.querySelectorAll(SELECTOR).forEach((box) => {
      if (!watched.has(box)) {
        watched.add(box);
        sizes.observe(box); // calls mark() once at once
      }
    });
  }

  // A page without a table box at load (the annotation page, whose DOM changes at every pair) never
  // gains one: it is spared the watch on its changes.
  if (!document.querySelector(SELECTOR)) return;
  watchAll();
  new MutationObserver(watchAll).observe(document.body, { childList: true, subtree: true });
})();
