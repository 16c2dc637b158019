/* A table of import or export jobs that follows its jobs. While one is waiting or running, the
 * server marks the table's box with `data-refresh-url`; every 3 s the page is fetched again and only
 * that box is replaced, so that a form being filled in on the same page keeps what was typed (a
 * whole-page refresh wiped it). It stops once the fresh box carries no `data-refresh-url`: every job
 * has ended. A box holding the keyboard focus is left for the next tick, so focus is never lost.
 * Without JavaScript, a <noscript> refresh reloads the whole page instead.
 *
 * The box is no live region (a screen reader would read the whole table at every swap): the status
 * line `#<box id>-status` (role="status") says what changed instead, once, when a job the page
 * already showed changes state ("Import 12 done: 2,312 pairs created."). Jobs that had ended before
 * the page loaded are never read out. */
(function () {
  "use strict";

  const POLL_MS = 3000;

  /* One sentence per job (a row's data-job) whose state differs between the box on screen and its
   * fresh copy, with the row's outcome (a count, or the first line of the error). */
  function changes(current, fresh) {
    const before = new Map();
    current.querySelectorAll("[data-job]").forEach((row) => before.set(row.dataset.job, row.dataset.state));
    const sentences = [];
    fresh.querySelectorAll("[data-job]").forEach((row) => {
      const state = before.get(row.dataset.job);
      if (state === undefined || state === row.dataset.state) {
        return;
      }
      const outcome = (row.dataset.outcome || "").trim().split("\n")[0].trim();
      const sentence = `${row.dataset.job} ${row.dataset.state}${outcome ? `: ${outcome}` : ""}`;
      sentences.push(/[.!?…]$/.test(sentence) ? sentence : `${sentence}.`);
    });
    return sentences.join(" ");
  }

  function follow(id) {
    const status = document.getElementById(`${id}-status`);
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
              const said = changes(current, fresh);
              current.replaceWith(document.importNode(fresh, true));
              if (said && status) {
                status.textContent = said;
              }
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
