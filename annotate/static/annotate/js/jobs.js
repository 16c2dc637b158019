/* A table of import or export jobs that follows its jobs. While one is waiting or running, the
 * server marks the table's box with `data-refresh-url`; every 3 s the page is fetched again and only
 * that box is replaced, so that a form being filled in on the same page keeps what was typed (a
 * whole-page refresh wiped it). It stops once the fresh box carries no `data-refresh-url`: every job
 * has ended. A box holding the keyboard focus is left for the next tick, so focus is never lost.
 * Without JavaScript, a <noscript> refresh reloads the whole page instead. */
(function () {
  "use strict";

  const POLL_MS = 3000;

  function follow(id) {
    const tick = async () => {
      const current = document.getElementById(id);
      if (!current || !current.dataset.refreshUrl) {
        return;
      }
      if (!current.contains(document.activeElement)) {
        try {
          const response = await fetch(current.dataset.refreshUrl, {
            credentials: "same-origin",
            headers: { Accept: "text/html" },
          });
          if (response.ok) {
            const page = new DOMParser().parseFromString(await response.text(), "text/html");
            const fresh = page.getElementById(id);
            if (fresh) {
              current.replaceWith(document.importNode(fresh, true));
            }
          }
        } catch (error) {
          // A dropped connection is no reason to stop: the next tick asks again.
        }
      }
      window.setTimeout(tick, POLL_MS);
    };
    window.setTimeout(tick, POLL_MS);
  }

  document.querySelectorAll("[data-refresh-url][id]").forEach((box) => follow(box.id));
})();
