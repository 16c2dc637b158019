// The annotation page. Everything it changes goes through the JSON API; the server decides which
// response is on which side and never tells this script which one is "a" or "b".
(function () {
  "use strict";

  const config = JSON.parse(document.getElementById("annotate-config").textContent);
  const el = (id) => document.getElementById(id);
  const BREAK_INTRO = "Stand up, look away from the screen. The next sitting can start in";
  const BREAK_OVER = "Your break is over: the next sitting can start now.";
  const PANELS = ["loading", "start", "work", "empty", "summary", "break", "paused", "closed", "removed", "elsewhere"];
  const KEYS = {
    1: "left",
    ArrowLeft: "left",
    2: "right",
    ArrowRight: "right",
    0: "tie",
    ArrowUp: "tie",
    s: "skip",
    S: "skip",
  };
  // Keys of the extras, asked only where the project switches them on (see the page's "Keys" box).
  const STRENGTH_KEYS = { q: "1", w: "2", e: "3", r: "4" };
  const SAFETY_KEYS = { z: "both_safe", x: "chosen_safe", c: "both_unsafe" };
  // Inside a criterion's row the side keys answer that criterion (and arrows do not wander the radios).
  const CRITERION_KEYS = { 1: "left", ArrowLeft: "left", 2: "right", ArrowRight: "right", 0: "tie" };
  const FAST_STREAK_NOTE = 3;
  // Two answering clicks closer than this are one double click.
  const DOUBLE_CLICK_MS = 500;
  // No one judges a pair within a quarter second of seeing it: an answering key that soon after the
  // pair appeared was meant for the pair before (a second press, a bouncing key) and is dropped.
  const REACTION_MS = 250;
  // How often, at most, the page tells the server the annotator is at work without answering.
  const ACTIVITY_EVERY_MS = 30000;
  // Warned this long before the idle timeout ends a sitting (WCAG 2.2.1 asks for 20 s at least):
  // a minute, or a third of a shorter timeout. The sitting's own timeout, once one is known: it keeps
  // the one it started with when a lead changes the project's.
  function idleWarningMs() {
    const seconds = state.sitting ? state.sitting.idle_timeout_seconds : config.idleTimeoutSeconds;
    return Math.min(60000, Math.max(20000, (seconds * 1000) / 3));
  }
  const IDLE_NOTE =
    "Still there? Without an answer or any input on this pair, the sitting ends within a minute.";
  const IDLE_NOTE_WAITING = "Still there? Without any input on this page, the sitting ends within a minute.";
  const QUESTIONS_CHANGED =
    "This project's questions changed since this page opened: reload the page to answer them (the pair stays yours).";
  const FAST_NOTE =
    "You've answered the last few very quickly. Please read both responses fully before choosing.";
  const SIDE_WORDS = { left: "left is better", right: "right is better", tie: "about the same", skip: "skipped" };
  const END_REASONS = {
    time: "The sitting's time limit was reached.",
    items: "You reached this sitting's number of pairs.",
    idle: "The sitting ended after a while without activity.",
    manual: "You ended the sitting.",
    paused: "Your annotation was paused, and has since been resumed: the next sitting can start after the break.",
    removed: "You were taken out of this project, and have since been added back: the next sitting can start after the break.",
  };

  const state = {
    sitting: null,
    current: null, // the assignment on screen
    prefetched: null, // the next assignment, already leased and in memory
    prefetching: null, // the pending prefetch request, if any
    prefetchedUntil: 0, // client clock (ms) when the prefetched pair's lease runs out
    focusedChoice: null, // the choice button that had focus when an answer went out
    lastAnswerClick: -Infinity, // performance.now() of the last click that answered
    replyLostFor: null, // the assignment whose answer got no reply (it may be stored all the same)
    shownAt: -Infinity, // performance.now() when the pair on screen appeared
    busy: false,
    dwell: { accumulated: 0, visibleSince: null },
    sittingDeadline: null, // client clock (ms) when the sitting's time runs out
    idleDeadline: null, // client clock (ms) when the sitting goes idle, unless an answer comes first
    breakDeadline: null,
    checkingDeadline: false,
    side: null, // the side selected, where a side key only selects (config.confirmWithEnter)
    fastNoteDismissed: false,
    inputAt: -Infinity, // Date.now() of the annotator's last input on the pair on screen
    minuteLeftDueFor: null, // the open sitting seen with more than a minute left, not yet told of its last
    activityToldAt: -Infinity, // Date.now() when the server last heard of activity: an answer, a start, a word
  };
  const criterionRows = () => Array.from(document.querySelectorAll("#criteria .criterion"));

  // ---- The client's clock -----------------------------------------------------------------------
  // The deadlines and stamps above are on the client's clock (Date.now), set from the seconds the server
  // counts. A clock set back (by hand, or by a time sync correcting it) left them all ahead of it by as
  // much: the timer and the break gained hours, the idle warning never came, and input was no longer
  // told to the server, so the sitting ended as idle under an annotator typing a rationale. A step back
  // is taken off every stamp as soon as it is seen. A step forward is left alone: a laptop waking from
  // sleep is time that passed, which the timer's question to the server settles.
  const CLOCK_STEP_MS = 1000;
  const CLIENT_CLOCK_STAMPS = [
    "sittingDeadline",
    "idleDeadline",
    "breakDeadline",
    "prefetchedUntil",
    "inputAt",
    "activityToldAt",
  ];
  const clockSeen = { wall: Date.now(), steady: performance.now() };
  function clientNow() {
    const wall = Date.now();
    const steady = performance.now();
    const back = clockSeen.wall + (steady - clockSeen.steady) - wall;
    clockSeen.wall = wall;
    clockSeen.steady = steady;
    if (back > CLOCK_STEP_MS) {
      for (const name of CLIENT_CLOCK_STAMPS) {
        if (Number.isFinite(state[name])) state[name] -= back;
      }
    }
    return wall;
  }

  // ---- HTTP -------------------------------------------------------------------------------------

  function csrfToken() {
    const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  }

  async function api(method, url, body) {
    const init = { method, credentials: "same-origin", headers: { Accept: "application/json" } };
    if (method !== "GET") {
      init.headers["Content-Type"] = "application/json";
      init.headers["X-CSRFToken"] = csrfToken();
      init.body = JSON.stringify(body || {});
    }
    let response;
    try {
      response = await fetch(url, init);
    } catch (error) {
      return { status: 0, data: { detail: "The server cannot be reached. Check your connection and try again." } };
    }
    let data = {};
    if ((response.headers.get("Content-Type") || "").includes("application/json")) {
      try {
        data = await response.json();
      } catch (error) {
        // A body cut off on the way (or mangled by a proxy): the request may have done its work, so
        // say so; a repeated answer gets the stored judgment back, a repeated next its held pair.
        return {
          status: 0,
          data: { detail: "The answer from the server was cut off. Check your connection and try again." },
        };
      }
    }
    if (response.status === 401 || (response.status === 403 && data.code !== "not_annotator")) {
      // Logged out (401: the session expired, or ended in another tab), or the CSRF cookie went with
      // it (403): the server's words ("Authentication credentials were not provided.") do not say
      // what to do.
      el("logged-out").hidden = false;
      data = { detail: "You are no longer logged in, so this was not saved." };
    }
    return { status: response.status, data };
  }

  function detailOf(data, fallback) {
    if (data && typeof data.detail === "string") return data.detail;
    if (data && typeof data === "object") {
      const messages = Object.entries(data)
        .filter(([key]) => key !== "code")
        .map(([key, value]) => `${key}: ${Array.isArray(value) ? value.join(" ") : value}`);
      if (messages.length) return messages.join("; ");
    }
    return fallback;
  }

  // ---- Display ----------------------------------------------------------------------------------

  function show(...names) {
    for (const name of PANELS) el(`panel-${name}`).hidden = !names.includes(name);
    el("sitting-bar").hidden = !(names.includes("work") || names.includes("empty"));
    tick();
  }

  function say(message) {
    el("status").textContent = message || "";
  }

  // Told to screen readers only: what the page already shows in its own words.
  function announce(message) {
    el("announce").textContent = message || "";
  }

  function clock(seconds) {
    const s = Math.max(0, Math.ceil(seconds));
    const h = Math.floor(s / 3600);
    const m = Math.floor((s % 3600) / 60);
    const ss = String(s % 60).padStart(2, "0");
    return h ? `${h}:${String(m).padStart(2, "0")}:${ss}` : `${m}:${ss}`;
  }

  // `count`: whether the `n / max` counter moves now; after an answer it moves with the next pair,
  // not before it while a slow prefetch is awaited.
  function setSitting(sitting, count = true) {
    if (!sitting) return;
    state.sitting = sitting;
    if (sitting.is_open) {
      const now = clientNow();
      state.sittingDeadline = now + sitting.seconds_left * 1000;
      state.idleDeadline = now + sitting.idle_seconds_left * 1000;
      if (count) showCount();
    }
    tick();
  }

  function showCount() {
    const sitting = state.sitting;
    if (!sitting || !sitting.is_open) return;
    const n = Math.min(sitting.items_done + 1, sitting.item_limit);
    el("progress").textContent = `${n} / ${sitting.item_limit}`;
  }

  // A carriage return breaks the line, alone (old Mac files) or before a line feed (Windows) as one
  // break: the browser draws a lone one as nothing, which ran two lines into one word.
  const lineBreaks = (text) => text.replace(/\r\n?/g, "\n");

  function renderTurns(turns) {
    const list = el("context");
    list.replaceChildren();
    for (const turn of turns) {
      const item = document.createElement("li");
      const isHuman = turn.role === "human";
      item.className = `turn turn-${isHuman ? "human" : "assistant"}`;
      const who = document.createElement("span");
      who.className = "turn-role";
      who.textContent = isHuman ? "Human" : "Assistant";
      const text = document.createElement("div");
      text.className = `bubble bubble-${isHuman ? "human" : "assistant"}`;
      text.textContent = lineBreaks(turn.text); // text, never HTML
      item.append(who, text);
      list.append(item);
    }
    // The box scrolls on its own: a new conversation starts at its first turn, not where the last
    // one was left.
    list.scrollTop = 0;
    markScrolling(list);
  }

  // The conversation's box is a tab stop only while it scrolls (its turns are taller than it), so
  // that the keyboard can scroll it; a short conversation adds no stop on the way to the answers.
  // Checked at each conversation and whenever the box changes size (a window resized or zoomed).
  function markScrolling(list) {
    if (list.scrollHeight > list.clientHeight + 1) list.tabIndex = 0;
    else list.removeAttribute("tabindex");
  }
  new ResizeObserver(() => markScrolling(el("context"))).observe(el("context"));

  // A response as the page shows it, without the white space around it, as the conversation's turns
  // are: HH-RLHF responses start with the space after "Assistant:", which the page's kept white space
  // showed as an indent. Only that one space goes from the first line, with the blank lines before it:
  // an indentation of its own (code, a nested list) is kept, as the lines after it keep theirs (trimmed
  // whole, a function's first line stood left of its body).
  function responseShown(text) {
    const body = lineBreaks(text).replace(/^(?:[^\S\n]*\n)+/, "").trimEnd();
    return /^ \S/.test(body) ? body.slice(1) : body;
  }

  function showAssignment(assignment) {
    state.current = assignment;
    state.shownAt = performance.now();
    renderTurns(assignment.context || []);
    for (const side of ["left", "right"]) {
      const shown = responseShown(assignment[side]);
      el(`${side}-text`).textContent = shown;
      el(`${side}-text`).hidden = !shown;
      el(`${side}-blank`).hidden = Boolean(shown);
    }
    resetAnswer();
    show("work");
    setBusy(false);
    window.scrollTo(0, 0);
    // Disabling the pressed button sent focus to the page; give it back without scrolling to it (the
    // next pair is read from its top: scrolled to a button under the responses, a phone showed the
    // conversation and the left response above the screen), and announce the pair unless a message
    // is showing. A button that show() just hid (Start sitting, Start next sitting, Try again) still
    // holds focus here: the browser moves it to the page only at its next rendering.
    if (!focusBack() && focusLost()) {
      // Nothing to give focus back to (a Start or Try again button, now hidden, had it): the pair's
      // first heading takes it, so that a screen reader reads on from the pair, not from the top.
      el("left-heading").focus({ preventScroll: true });
    }
    if (!el("status").textContent && state.sitting) {
      announce(`Pair ${state.sitting.items_done + 1} of ${state.sitting.item_limit}.`);
    }
    startDwell();
  }

  // Whether the focus is nowhere a keyboard can go on from: on the page, or in a panel just hidden.
  function focusLost() {
    const active = document.activeElement;
    return !active || active === document.body || active.closest("[hidden]") !== null;
  }

  // The answer button pressed (`state.focusedChoice`), disabled while the answer was out, gave the focus
  // to the page: it takes it back, after the next pair as after a refusal or a lost connection (where a
  // keyboard user's Enter to try again went nowhere, and a screen reader read on from the top of the
  // page). Returns whether it did.
  function focusBack() {
    const focused = state.focusedChoice;
    state.focusedChoice = null;
    if (!focused || !focused.isConnected || !focusLost()) return false;
    focused.focus({ preventScroll: true });
    return true;
  }

  function setBusy(busy) {
    state.busy = busy;
    const active = document.activeElement;
    if (busy && active && (active.closest("#panel-work .choices") || active.id === "send-answer")) {
      state.focusedChoice = active;
    }
    for (const button of document.querySelectorAll("#panel-work .choices button")) button.disabled = busy;
    if (el("send-answer")) el("send-answer").disabled = busy;
  }

  // ---- The answer: side and, where the project asks, criteria, strength, safety, rationale -------

  function checkedValue(name) {
    const input = document.querySelector(`#answer-form input[name="${name}"]:checked`);
    return input ? input.value : "";
  }

  // Check a radio by value; false when it is disabled (strength for a tie).
  function check(name, value) {
    const input = document.querySelector(`#answer-form input[name="${name}"][value="${value}"]`);
    if (!input || input.matches(":disabled")) return false; // also when its fieldset is disabled
    input.checked = true;
    return true;
  }

  function criterionValue(row) {
    const input = row.querySelector("input:checked");
    return input ? input.value : "";
  }

  // The message under the answer, tied to the part of the answer that is missing (`field`, or its
  // group), so that tabbing back to it says what is wrong (WCAG 3.3.1); cleared with the message.
  function showError(message, field) {
    el("answer-error").textContent = message || "";
    for (const marked of document.querySelectorAll("#panel-work [aria-invalid]")) {
      marked.removeAttribute("aria-invalid");
      const others = (marked.getAttribute("aria-describedby") || "").split(" ").filter((id) => id && id !== "answer-error");
      if (others.length) marked.setAttribute("aria-describedby", others.join(" "));
      else marked.removeAttribute("aria-describedby");
    }
    const target = field && (field.closest("fieldset") || field);
    if (message && target && !target.closest(".choices")) {
      target.setAttribute("aria-invalid", "true");
      const ids = (target.getAttribute("aria-describedby") || "").split(" ").filter(Boolean);
      target.setAttribute("aria-describedby", [...ids, "answer-error"].join(" "));
    }
  }

  function resetAnswer() {
    state.side = null;
    for (const input of document.querySelectorAll("#answer-form input[type=radio]")) input.checked = false;
    if (el("rationale")) el("rationale").value = "";
    showError("");
    // A new pair must not start with the focus in a box that would swallow the shortcuts.
    const focused = document.activeElement;
    if (focused && el("panel-work").contains(focused) && focused.tagName !== "BUTTON") focused.blur();
    updateAnswer();
  }

  // Reflect the selection: the pressed side, strength not asked for a tie, the rationale's length.
  function updateAnswer() {
    if (config.confirmWithEnter) {
      for (const button of document.querySelectorAll("#panel-work .choices button")) {
        if (button.dataset.side !== "skip") button.setAttribute("aria-pressed", String(button.dataset.side === state.side));
      }
    }
    if (el("strength")) {
      const notNeeded = state.side === "tie";
      el("strength").disabled = notNeeded;
      el("strength-not-needed").hidden = !notNeeded;
    }
    // A tie has no chosen response: "only the chosen one is safe" means nothing there.
    const chosenSafe = document.querySelector('#answer-form input[name="safety"][value="chosen_safe"]');
    if (chosenSafe) {
      chosenSafe.disabled = state.side === "tie";
      if (chosenSafe.disabled) chosenSafe.checked = false;
    }
    if (el("rationale-count")) el("rationale-count").textContent = String(visibleLength(el("rationale").value));
  }

  // A rationale's length as the server counts it (rationale_length): no invisible characters, each run
  // of white space (Python's, with the separators \x1c-\x1f and \x85) as one, and in characters, not
  // UTF-16 units: an emoji counted two, so ten met a minimum of 20 here and were refused by the server,
  // and the count under the box counted the invisible and repeated characters the minimum leaves out.
  function visibleLength(text) {
    const visible = text.replace(/\p{Cf}/gu, "").replace(/[\s\x1c-\x1f\x85]+/g, " ").replace(/\p{Cc}/gu, "");
    return Array.from(visible.trim()).length;
  }

  function focusCriterion(row) {
    (row.querySelector("input:checked") || row.querySelector("input")).focus();
  }

  // Where the keyboard rests between fields: the send button, or, where a side key answers at once
  // (no send button), the pair's heading; waiting for a pair, that panel's heading. Blurred, the focus
  // fell to the page (and the send button is hidden while waiting), so that a screen reader read on
  // from the top of the page (found by the sitting lifecycle audit).
  function focusHome() {
    if (!el("panel-work").hidden) {
      if (el("send-answer")) el("send-answer").focus();
      else el("left-heading").focus({ preventScroll: true });
    } else if (!el("panel-empty").hidden) {
      el("empty-heading").focus({ preventScroll: true });
    } else if (document.activeElement) {
      document.activeElement.blur();
    }
  }

  function selectSide(side, fromKeyboard) {
    if (state.busy || !state.current) return;
    state.side = side;
    showError("");
    updateAnswer();
    if (fromKeyboard) {
      const open = criterionRows().find((row) => !criterionValue(row));
      if (open) focusCriterion(open);
    }
  }

  // The server's rules, checked here first so that the annotator hears at once what is missing.
  // Returns [message, element to focus] for the first thing missing, or null.
  function missing(side) {
    const decisive = side === "left" || side === "right";
    if (!side) return ["Choose which response is better first.", document.querySelector("#panel-work .choices button")];
    if (side === "skip") return null;
    for (const row of criterionRows()) {
      if (!criterionValue(row)) {
        return [`Choose left, right or same for ${row.dataset.criterion}.`, row.querySelector("input")];
      }
    }
    if (config.askStrength && decisive && !checkedValue("strength")) {
      return ["Say how much better your choice is (keys q, w, e, r).", document.querySelector("input[name=strength]")];
    }
    if (config.askSafety && !checkedValue("safety")) {
      const keys = side === "tie" ? "z or c for a tie" : "keys z, x, c";
      return [`Choose a safety label (${keys}).`, document.querySelector("input[name=safety]")];
    }
    const written = el("rationale") ? visibleLength(el("rationale").value) : 0;
    if (config.askRationale && written < config.rationaleMinChars) {
      return [`Please explain your choice in at least ${config.rationaleMinChars} characters (${written} so far).`, el("rationale")];
    }
    return null;
  }

  function answerBody(side) {
    const decisive = side === "left" || side === "right";
    const answering = side !== "skip";
    const criteria = {};
    if (answering) for (const row of criterionRows()) criteria[row.dataset.criterion] = criterionValue(row);
    const strength = config.askStrength && decisive ? checkedValue("strength") : "";
    return {
      side,
      strength: strength ? Number(strength) : null,
      rationale: el("rationale") ? el("rationale").value.trim() : "",
      criteria,
      safety: config.askSafety && answering ? checkedValue("safety") : "",
      dwell_ms: dwellMs(),
      viewport_width: window.innerWidth,
      viewport_height: window.innerHeight,
    };
  }

  // A side button or key: answers at once where nothing else is asked, else selects the side.
  function choose(side, fromKeyboard) {
    if (side === "skip" || !config.confirmWithEnter) submit(side);
    else selectSide(side, fromKeyboard);
  }

  // ---- The gentle note after repeated fast answers ------------------------------------------------

  function updateFastNote(streak) {
    if (streak < FAST_STREAK_NOTE) state.fastNoteDismissed = false; // a careful answer resets it
    const visible = streak >= FAST_STREAK_NOTE && !state.fastNoteDismissed;
    el("fast-note").hidden = !visible;
    // Text put into the live region (not merely unhidden) is what screen readers announce.
    el("fast-note-text").textContent = visible ? FAST_NOTE : "";
  }

  function dismissFastNote() {
    state.fastNoteDismissed = true;
    updateFastNote(FAST_STREAK_NOTE);
    focusHome();
  }

  // ---- The warning before the idle timeout ------------------------------------------------------

  // In an open sitting with a pair on screen, or waiting for one ("No pair to judge right now"):
  // the idle timeout runs in both.
  function atWork() {
    return Boolean(state.current && !el("panel-work").hidden);
  }
  function waitingForPair() {
    return !state.current && !el("panel-empty").hidden;
  }

  function updateIdleNote(now) {
    const idleLeft = state.idleDeadline === null ? Infinity : state.idleDeadline - now;
    const open = Boolean(state.sitting && state.sitting.is_open);
    const visible = open && (atWork() || waitingForPair()) && idleLeft > 0 && idleLeft <= idleWarningMs();
    const note = el("idle-note");
    const text = visible ? (atWork() ? IDLE_NOTE : IDLE_NOTE_WAITING) : "";
    // Unchanged: the alert is said once, not at every tick.
    if (note.hidden !== visible && el("idle-note-text").textContent === text) return;
    if (!visible && note.contains(document.activeElement)) focusHome();
    note.hidden = !visible;
    // Text put into the alert region (not merely unhidden) is what screen readers announce.
    el("idle-note-text").textContent = text;
  }

  // ---- Dwell time: only the time the page is visible counts -------------------------------------

  // The dwell so far of the pair on screen, kept for this tab as the page goes (a reload, Back, a
  // phone putting the tab away): the same pair comes back, and its reading time with it. Restarted
  // at each load, it was stored short and flagged as faster than reading (found by the annotator
  // page audit).
  const DWELL_KEPT = "pairwise.dwell";

  function dwellKeep() {
    if (!state.current) return;
    try {
      window.sessionStorage.setItem(DWELL_KEPT, JSON.stringify({ id: state.current.id, ms: dwellMs() }));
    } catch (error) {
      // Storage refused (a private window's quota): the dwell counts from this load, as before.
    }
  }

  function dwellKept(assignmentId) {
    try {
      const kept = JSON.parse(window.sessionStorage.getItem(DWELL_KEPT) || "null");
      return kept && kept.id === assignmentId && Number.isFinite(kept.ms) && kept.ms > 0 ? kept.ms : 0;
    } catch (error) {
      return 0;
    }
  }

  function startDwell() {
    state.dwell.accumulated = state.current ? dwellKept(state.current.id) : 0;
    state.dwell.visibleSince = document.hidden ? null : performance.now();
  }

  function dwellMs() {
    const { accumulated, visibleSince } = state.dwell;
    return Math.round(accumulated + (visibleSince === null ? 0 : performance.now() - visibleSince));
  }

  window.addEventListener("pagehide", dwellKeep);
  document.addEventListener("visibilitychange", () => {
    const dwell = state.dwell;
    if (document.hidden) {
      if (dwell.visibleSince !== null) dwell.accumulated += performance.now() - dwell.visibleSince;
      dwell.visibleSince = null;
      dwellKeep();
    } else if (state.current && dwell.visibleSince === null) {
      dwell.visibleSince = performance.now();
    }
    tick();
  });

  // The idle timeout runs from the last answer. An annotator still reading a long pair or writing a
  // rationale is not idle: their own input (keys, typing, clicks, scrolling) on a pair on screen is
  // told to the server (from the timer, at most every ACTIVITY_EVERY_MS, and never while an answer,
  // itself activity, is on its way), so that the sitting, and what they typed, is not ended under them.
  function noteActivity() {
    if ((state.current || waitingForPair()) && !document.hidden) state.inputAt = clientNow();
  }
  // Not "scroll": the page scrolls too (each new conversation back to its top, a shorter pair
  // clamping the window, a focus brought into view), and those are not the annotator's. Their own
  // scrolling comes with a wheel, a key, or a pointer (a scrollbar, a finger).
  for (const type of ["keydown", "input", "pointerdown", "wheel"]) {
    document.addEventListener(type, noteActivity, { capture: true, passive: true });
  }

  function tellActivity() {
    const now = clientNow();
    if (!(state.current || waitingForPair()) || state.busy || !state.sitting || !state.sitting.is_open) return;
    if (state.inputAt <= state.activityToldAt || now - state.activityToldAt < ACTIVITY_EVERY_MS) return;
    state.activityToldAt = now;
    // Waiting for a pair, no lease to renew: only the sitting's idle timeout.
    const body = state.current ? { assignment: state.current.id } : {};
    api("POST", config.urls.activity, body).then(({ status, data }) => {
      if (noLongerAnnotator(status, data)) {
        // Taken off the project's annotators while reading: said now, not after the idle timeout.
        showNoSitting("removed");
        return;
      }
      const sitting = data && data.sitting;
      if (!sitting) return;
      if (status === 200 && sitting.is_open) {
        const answered = clientNow();
        state.idleDeadline = answered + sitting.idle_seconds_left * 1000;
        updateIdleNote(answered);
      } else if (!sitting.is_open) {
        // Ended under the reader, by a limit (200) or before this word came (404: a lead's pause, say).
        checkSittingEnded();
      }
    });
  }

  // ---- Timers -----------------------------------------------------------------------------------

  function tick() {
    const now = clientNow();
    tellActivity();
    updateIdleNote(now); // also when the pair's and the waiting panels are gone: the note goes with them
    if (!el("panel-work").hidden || !el("panel-empty").hidden) {
      const left = state.sittingDeadline === null ? 0 : (state.sittingDeadline - now) / 1000;
      el("timer").textContent = clock(left);
      const idle = state.idleDeadline !== null && state.idleDeadline <= now;
      if ((left <= 0 || idle) && state.sitting && state.sitting.is_open) checkSittingEnded();
      // Said as the last minute begins (not for a sitting that starts with a minute or less).
      const sittingId = state.sitting && state.sitting.is_open ? state.sitting.id : null;
      if (left > 60) state.minuteLeftDueFor = sittingId;
      else if (left > 0 && sittingId !== null && state.minuteLeftDueFor === sittingId) {
        state.minuteLeftDueFor = null;
        announce("One minute left in this sitting.");
      }
    }
    if (!el("panel-break").hidden && state.breakDeadline !== null) {
      const left = (state.breakDeadline - now) / 1000;
      el("break-timer").textContent = clock(left);
      const button = el("next-sitting");
      if (left <= 0 && button.disabled) {
        button.disabled = false;
        el("break-intro").textContent = BREAK_OVER;
        say("Your break is over. You can start the next sitting.");
      }
    }
  }

  // The server ends sittings on its own clock; when ours says time is up or the sitting went idle,
  // ask it (reading progress closes a sitting past its idle timeout). Once the server agrees the time
  // has passed, ask for the next pair (excluding those on hand, so nothing new is leased): that
  // request closes the sitting and answers 409 with its end and break.
  async function checkSittingEnded() {
    if (state.checkingDeadline || state.busy) return;
    state.checkingDeadline = true;
    let sitting = null;
    const progress = await api("GET", config.urls.progress);
    if (noLongerAnnotator(progress.status, progress.data)) {
      // Not asked again every two seconds for ever, with the pair left on screen.
      state.checkingDeadline = false;
      showNoSitting("removed");
      return;
    }
    if (progress.status === 200 && progress.data.sitting) sitting = progress.data.sitting;
    if (sitting && sitting.is_open && sitting.seconds_left <= 0) {
      const onHand = [state.current, state.prefetched].filter(Boolean).map((a) => a.id);
      const { status, data } = await api("POST", config.urls.next, { exclude: onHand });
      if (status === 409) sitting = data.sitting;
      else if (status === 200 && data.assignment && !onHand.includes(data.assignment.id) && !state.prefetched) {
        state.prefetched = data.assignment; // leased after all (clocks a split second apart): keep it
      }
    }
    if (sitting && !sitting.is_open) {
      endOfSitting(sitting);
      state.checkingDeadline = false;
      return;
    }
    setSitting(sitting);
    // Our clock ran ahead of the server's: look again in a moment.
    window.setTimeout(() => (state.checkingDeadline = false), 2000);
  }

  // ---- Flow -------------------------------------------------------------------------------------

  // `elsewhere`: the other project whose sitting the break follows (a break is the person's, in
  // every project), or none for this project's own.
  function showBreak(seconds, elsewhere = null) {
    const note = el("break-elsewhere");
    note.hidden = !elsewhere;
    note.textContent = elsewhere ? `This break follows your sitting in ${elsewhere.name}: breaks count in every project.` : "";
    el("break-intro").textContent = seconds > 0 ? BREAK_INTRO : BREAK_OVER;
    // After another project's sitting, the first here may be no "next" one.
    el("next-sitting").textContent = elsewhere ? "Start a sitting" : "Start next sitting";
    state.breakDeadline = clientNow() + Math.max(0, seconds || 0) * 1000;
    el("next-sitting").disabled = seconds > 0;
    tick();
  }

  // The project's page in the annotator's other tabs: a sitting's end seen here is told there, where
  // the pair left on screen would be answered only to be refused (found by the annotator page audit).
  const otherTabs = "BroadcastChannel" in window ? new BroadcastChannel(`pairwise:${config.slug}`) : null;
  if (otherTabs) {
    otherTabs.addEventListener("message", (event) => {
      const sitting = state.sitting;
      if (sitting && sitting.is_open && event.data && event.data.ended === sitting.id) checkSittingEnded();
    });
  }

  // `paused`: whether a sitting that a pause ended means the annotator is paused now; false when
  // the page loaded after a resume, which leaves only the break of that sitting to run.
  function endOfSitting(sitting, note, paused = true) {
    state.current = null;
    state.prefetched = null;
    state.prefetching = null;
    state.dwell.visibleSince = null;
    setBusy(false);
    if (!sitting) {
      show("start");
      return;
    }
    state.sitting = sitting;
    if (otherTabs && !sitting.is_open) otherTabs.postMessage({ ended: sitting.id });
    const items = sitting.items_done;
    if (sitting.end_reason === "paused" && paused) {
      // Paused (by the lead, or by the gold rule on the answer just given): no break to wait out,
      // since no next sitting will start. Its focused heading says so to screen readers too. Unless
      // the lead has resumed them since (the page learns of the end late, at an answer): then the
      // break of that sitting runs, as a reload shows (found by the annotator page audit).
      show("loading");
      api("GET", config.urls.progress).then(({ status, data }) => {
        if (noLongerAnnotator(status, data)) {
          showNoSitting("removed");
        } else if (status === 200 && data.paused === false) {
          endOfSitting(data.sitting && data.sitting.id === sitting.id ? data.sitting : sitting, note, false);
        } else {
          showNoSitting("paused");
          say(note);
        }
      });
      return;
    }
    // The summary card shows the count; the status line keeps only a note the card does not give.
    const over = `Sitting over: ${items} pair${items === 1 ? "" : "s"} answered${config.allowSkip ? " (skips included)" : ""}.`;
    el("summary-items").textContent = String(items);
    el("summary-plural").textContent = items === 1 ? "" : "s";
    el("summary-reason").textContent = END_REASONS[sitting.end_reason] || "";
    show("summary", "break");
    showBreak(sitting.break_seconds_left);
    say(note);
    announce(over);
    el("summary-heading").focus();
  }

  // No new sitting will start: the annotator is paused, or the project closed.
  function showNoSitting(panel) {
    state.current = null;
    state.prefetched = null;
    state.prefetching = null;
    state.dwell.visibleSince = null;
    show(panel);
    say("");
    announce("");
    el(`${panel}-heading`).focus();
  }
  const showPaused = () => showNoSitting("paused");
  // The project answers 404 (no longer a member) or 403 not_annotator (made lead or engineer): a lead
  // took them off its annotators, and every request from this page would be refused from now on.
  const noLongerAnnotator = (status, data) =>
    (status === 404 && !(data && data.code && data.code !== "not_found")) ||
    (status === 403 && data && data.code === "not_annotator");

  // A start refused for a break (this project's or another's) or a sitting open in another project:
  // from the start button, or, as the progress API foresees it, when the page opens.
  function showStartRefused(refusal) {
    if (refusal.code === "open_elsewhere") {
      // One sitting at a time: the one open in another project is ended there (or by its limits).
      el("elsewhere-detail").textContent = detailOf(refusal, "");
      const link = el("elsewhere-link");
      link.href = refusal.elsewhere.url;
      link.textContent = `Go to your sitting in ${refusal.elsewhere.name}`;
      showNoSitting("elsewhere");
      return;
    }
    show("break");
    showBreak(refusal.break_seconds_left, refusal.elsewhere);
    // The panel's note says whose break it is; the status line would say it twice.
    say(refusal.elsewhere ? "" : detailOf(refusal, "You are on a break."));
    // Focus had been on a button now hidden (Start, Try again): the panel's heading takes it.
    el("break-heading").focus();
  }

  async function startSitting() {
    say("Starting a sitting…");
    const { status, data } = await api("POST", config.urls.sittings);
    if (status === 200 || status === 201) {
      if (status === 201) state.activityToldAt = clientNow();
      setSitting(data.sitting);
      say("");
      await loadNext();
    } else if (status === 409 && data.code === "paused") {
      showPaused();
    } else if (status === 409 && data.code === "closed") {
      showNoSitting("closed");
    } else if (status === 409 && (data.code === "on_break" || (data.code === "open_elsewhere" && data.elsewhere))) {
      showStartRefused(data);
    } else {
      say(detailOf(data, "The sitting could not start."));
    }
  }

  // `gone`: why the pair on screen was taken back (its answer refused), said with what comes instead.
  async function loadNext(gone = "") {
    const { status, data } = await api("POST", config.urls.next, { exclude: [] });
    if (status === 200 && data.assignment) {
      if (gone) say(`${gone} Here is another one.`);
      setSitting(data.sitting);
      showAssignment(data.assignment);
      prefetch();
    } else if (status === 200) {
      const again = !el("panel-empty").hidden; // "Try again" pressed: say that it was tried
      setSitting(data.sitting);
      const detail = detailOf(data, "Every pair you may see is done or taken for now.");
      showEmpty(detail);
      if (again) say(`Checked again at ${new Date().toLocaleTimeString()}: still nothing to judge.`);
      else announce(detail);
      if (gone) say(gone); // not "Here is another one": there is none
    } else if (status === 409 && data.code === "paused") {
      showPaused();
    } else if (status === 409) {
      endOfSitting(data.sitting);
    } else if (noLongerAnnotator(status, data)) {
      showNoSitting("removed");
    } else {
      // Not the answered pair left on screen with its buttons off: the empty panel's "Try again".
      showCount();
      const detail = detailOf(data, "The next pair could not be loaded.");
      showEmpty(detail);
      say(detail);
    }
  }

  // No pair on screen: none to judge now, or none could be loaded. The answer pressed (or the start
  // button) went with its panel, and the focus fell to the page, where a screen reader heard nothing
  // of the change: the panel's heading takes it (found by the sitting lifecycle audit). The caller
  // says why.
  function showEmpty(detail) {
    state.current = null;
    el("empty-detail").textContent = detail;
    show("empty");
    setBusy(false); // the answer before is in: waiting, the page tells the server of input again
    if (focusLost()) el("empty-heading").focus({ preventScroll: true });
  }

  // Lease the following pair now, so that it appears at once after this one is answered.
  function prefetch() {
    const current = state.current;
    if (!current) return;
    state.prefetched = null;
    const request = api("POST", config.urls.next, { exclude: [current.id] }).then(({ status, data }) => {
      if (state.prefetching !== request) return; // superseded
      if (status === 200 && data.assignment && data.assignment.id !== current.id) {
        state.prefetched = data.assignment;
        // The lease's end on this page's clock: its length on the server's, from now.
        const length = Date.parse(data.assignment.expires_at) - Date.parse(data.assignment.served_at);
        state.prefetchedUntil = Number.isFinite(length) ? clientNow() + length : Infinity;
      }
    });
    state.prefetching = request;
  }

  async function advance() {
    if (state.prefetching) await state.prefetching;
    // A prefetched pair whose lease ran out while this one was read would only be refused.
    const next = state.prefetched && clientNow() < state.prefetchedUntil ? state.prefetched : null;
    state.prefetching = null;
    state.prefetched = null;
    if (next) {
      showCount();
      showAssignment(next);
      prefetch();
    } else {
      await loadNext();
    }
  }

  async function submit(side) {
    const assignment = state.current;
    if (state.busy || !assignment) return;
    if (config.confirmWithEnter) {
      const gap = missing(side);
      if (gap) {
        showError(gap[0], gap[1]);
        if (gap[1]) gap[1].focus();
        return;
      }
    }
    setBusy(true);
    showError("");
    const body = answerBody(side);
    const url = config.urls.judgment.replace("/0/", `/${assignment.id}/`);
    const { status, data } = await api("POST", url, body);
    if (status === 200 || status === 201) {
      state.activityToldAt = clientNow();
      state.current = null;
      updateFastNote(data.fast_streak || 0);
      // 200: the pair was answered before (a repeat after a lost reply, or another tab showing the
      // same pair), and the stored answer stands. Say so when it is not the one just given.
      const stored = data.judgment ? data.judgment.side : side;
      const words = SIDE_WORDS[stored] || stored;
      let note = "";
      if (status === 200 && stored !== side) {
        note =
          state.replyLostFor === assignment.id
            ? `Your first answer to this pair (${words}) had reached the server before the connection failed; that answer stands.`
            : `This pair had already been answered (${words}), perhaps in another tab; that answer stands.`;
      }
      const sitting = data.sitting;
      if (sitting && !sitting.is_open) {
        endOfSitting(sitting, note);
        return;
      }
      setSitting(sitting, false);
      say(note);
      await advance();
    } else if (status === 409 && data.code === "sitting_ended") {
      const progress = await api("GET", config.urls.progress);
      endOfSitting(
        data.sitting || (progress.status === 200 ? progress.data.sitting : null),
        detailOf(data, "This sitting has ended; the answer was not recorded."),
      );
    } else if (status === 409 || status === 404) {
      // The lease ran out or was released: this pair is gone, take the next one (if there is one:
      // said "Here is another one" before asking, it stayed under "No pair to judge right now").
      state.current = null;
      state.prefetched = null;
      state.prefetching = null;
      await loadNext(detailOf(data, "That pair is no longer yours."));
      // Taken off the project's annotators (the next pair was refused too, and loadNext said so).
      if (!el("panel-removed").hidden) say("The answer was not recorded.");
    } else {
      // The server refused the answer (400): say why where the answer is given, and keep it. Or no
      // reply came (status 0), and the answer may have been stored all the same.
      if (status === 0) state.replyLostFor = assignment.id;
      const refusal = detailOf(data, "Your answer could not be saved. Try again.");
      showError(refusal);
      setBusy(false);
      focusBack();
      if (status === 400 && (await questionsChanged()) && state.current === assignment) {
        showError(`${refusal} ${QUESTIONS_CHANGED}`);
      }
    }
  }

  // The questions this page asks are the project's as it loaded. A lead who changes them meanwhile
  // (criteria, a safety label, a rationale, strength, ties, skips) has every answer refused for a
  // question the page does not show: said, with what to do, rather than refused over and over
  // (found by the concurrency audit).
  async function questionsChanged() {
    const { status, data } = await api("GET", config.urls.progress);
    if (status !== 200 || !data.project) return false;
    const now = data.project;
    const asked = [
      [now.allow_tie, config.allowTie],
      [now.allow_skip, config.allowSkip],
      [now.ask_strength, config.askStrength],
      [now.ask_rationale, config.askRationale],
      [now.rationale_min_chars, config.rationaleMinChars],
      [now.ask_safety, config.askSafety],
      [JSON.stringify(now.criteria), JSON.stringify(config.criteria)],
    ];
    return asked.some(([value, shown]) => value !== shown);
  }

  async function endSitting() {
    setBusy(true);
    // The sitting this page shows: one since ended elsewhere (another browser, a tab that missed the
    // word) is not taken for the one started after it, which ended under its annotator.
    const body = state.sitting ? { sitting: state.sitting.id } : {};
    const { status, data } = await api("POST", config.urls.endSitting, body);
    if (status === 200) {
      endOfSitting(data.sitting);
    } else if (status === 409 && data.code === "sitting_ended") {
      endOfSitting(data.sitting, detailOf(data, "This sitting had already ended."));
    } else if (noLongerAnnotator(status, data)) {
      showNoSitting("removed"); // not a blank page saying "No such project."
    } else if (status === 404) {
      await init(); // no open sitting (it ended meanwhile): show where things stand
    } else {
      // Not ended (the connection dropped, the login expired): the pair stays, and so does the button.
      setBusy(false);
      say(detailOf(data, "The sitting could not be ended. Try again."));
    }
  }

  async function init() {
    const { status, data } = await api("GET", config.urls.progress);
    if (noLongerAnnotator(status, data)) {
      showNoSitting("removed");
      return;
    }
    if (status !== 200) {
      show();
      say(detailOf(data, "Your progress could not be loaded. Reload the page to try again."));
      return;
    }
    if (data.sitting && data.sitting.is_open) {
      // Open, so its annotator is not paused (a pause ends the open sitting).
      setSitting(data.sitting);
      await loadNext();
    } else if (config.paused) {
      showPaused();
    } else if (config.closed) {
      showNoSitting("closed");
    } else if (data.on_break) {
      if (data.sitting) endOfSitting(data.sitting, "", false); // not paused: config.paused is checked above
      else show("break");
      showBreak(data.break_seconds_left);
    } else if (data.start_refused) {
      showStartRefused(data.start_refused);
    } else if (config.autostart) {
      await startSitting();
    } else {
      show("start");
    }
  }

  // ---- Events -----------------------------------------------------------------------------------


  for (const button of document.querySelectorAll("#panel-work .choices button")) {
    button.addEventListener("click", (event) => {
      // A click that answers at once, hard on the heels of another (a double click, however slow),
      // would land on the next pair, shown in between: it is dropped.
      // So is one within REACTION_MS of the pair appearing, as a key is: behind a slow reply the next
      // pair appeared after DOUBLE_CLICK_MS, under the second click of a double click.
      const now = performance.now();
      const answersAtOnce = button.dataset.side === "skip" || !config.confirmWithEnter;
      const tooSoon =
        event.detail > 1 || now - state.lastAnswerClick < DOUBLE_CLICK_MS || now - state.shownAt < REACTION_MS;
      if (answersAtOnce && tooSoon) return;
      if (answersAtOnce) state.lastAnswerClick = now;
      choose(button.dataset.side, false);
    });
  }
  if (el("send-answer")) el("send-answer").addEventListener("click", () => submit(state.side));
  if (el("answer-form")) el("answer-form").addEventListener("change", () => showError(""));
  if (el("rationale")) el("rationale").addEventListener("input", updateAnswer);
  el("fast-note-dismiss").addEventListener("click", dismissFastNote);
  // The click is input (a screen reader's or a voice command's click comes with no pointerdown or
  // key), told at once even if a word went out moments ago and failed; the note goes when the
  // server answers.
  el("still-here").addEventListener("click", () => {
    noteActivity();
    state.activityToldAt = -Infinity;
    tellActivity();
  });
  el("start-sitting").addEventListener("click", startSitting);
  el("next-sitting").addEventListener("click", startSitting);
  el("elsewhere-retry").addEventListener("click", startSitting);
  // Ending is asked once more: it starts the break, which cannot be taken back, and the button is the
  // tab stop just before the answer buttons (an Enter meant for them lands on it).
  el("end-sitting").addEventListener("click", () => {
    // The project's break as the server last said (a lead may have changed it since the page loaded).
    const minutes = state.sitting && Number.isInteger(state.sitting.break_minutes) ? state.sitting.break_minutes : config.breakMinutes;
    const after = minutes > 0 ? ` The next one can start after a break of ${minutes} minute${minutes === 1 ? "" : "s"}.` : "";
    if (window.confirm(`End this sitting?${after}`)) endSitting();
  });
  el("retry-next").addEventListener("click", () => loadNext());

  // The key a shortcut reads: the character typed, lower-cased; where the layout types no Latin letter
  // or digit there (Cyrillic, Greek, …; French top-row keys type & é " without Shift), the letter or
  // digit of the physical key, so that 1 2 0 s t, q w e r and z x c work on every keyboard.
  function shortcutKey(event) {
    if (event.key.length !== 1) return event.key;
    const typed = event.key.toLowerCase();
    if (/^[a-z0-9]$/.test(typed)) return typed;
    const physical = /^(?:Key([A-Z])|Digit([0-9]))$/.exec(event.code || "");
    return physical ? (physical[1] || physical[2]).toLowerCase() : typed;
  }

  const isTextEntry = (target) =>
    target &&
    (target.isContentEditable ||
      ["TEXTAREA", "SELECT"].includes(target.tagName) ||
      (target.tagName === "INPUT" && !["radio", "checkbox", "button"].includes(target.type)));

  // Inside a criterion's row: 1/← left, 2/→ right, 0 same, then on to the next open criterion;
  // ↑/↓ move between rows; Esc leaves. Other keys go on to the page's shortcuts.
  for (const row of criterionRows()) {
    row.addEventListener("keydown", (event) => {
      if (event.ctrlKey || event.metaKey || event.altKey || state.busy) return;
      const rows = criterionRows();
      const at = rows.indexOf(row);
      const value = CRITERION_KEYS[shortcutKey(event)];
      if (value) {
        event.preventDefault();
        event.stopPropagation();
        // A held key repeats: it answers this criterion once, not every one after it.
        if (event.repeat) return;
        row.querySelector(`input[value="${value}"]`).checked = true;
        showError("");
        const next = rows.slice(at + 1).find((r) => !criterionValue(r)) || rows.find((r) => !criterionValue(r));
        if (next) focusCriterion(next);
        else focusHome();
      } else if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        event.preventDefault();
        event.stopPropagation();
        const target = rows[at + (event.key === "ArrowDown" ? 1 : -1)];
        if (target) focusCriterion(target);
      } else if (event.key === "Escape") {
        event.preventDefault();
        event.stopPropagation();
        focusHome();
      }
    });
  }

  // ↑ scrolls a page scrolled down back up, as ↓ scrolled it down; only at the top, where it would
  // move nothing, is it "about the same". A ↑ less than UP_PAUSE_MS after one that scrolled (or was
  // let pass) belongs to the same climb, and reaching the top does not turn its last press into a tie.
  const UP_PAUSE_MS = 1000;
  let upClimbAt = -Infinity;
  function upScrolls() {
    const now = performance.now();
    const climbing = window.scrollY > 0 || now - upClimbAt < UP_PAUSE_MS;
    if (climbing) upClimbAt = now;
    return climbing;
  }

  // Single-key shortcuts can be turned off (WCAG 2.1.4): speech input types letters and digits as
  // keys, and a stray key would answer. Off, only Enter (where it sends) and the buttons answer; a
  // criterion's own keys still work while focus is in its row. Remembered in this browser.
  const SINGLE_KEYS_OFF = "pairwise.single-keys-off";
  const singleKeys = el("single-keys");
  try {
    singleKeys.checked = window.localStorage.getItem(SINGLE_KEYS_OFF) === null;
  } catch (error) {
    // Storage refused (a privacy setting): the switch still works for this page.
  }
  // Shortcuts that are off are not announced either (Enter, which still sends, keeps its own).
  function singleKeysShown() {
    document.querySelectorAll("[data-keyshortcuts], [aria-keyshortcuts]").forEach((node) => {
      if (node.getAttribute("aria-keyshortcuts") === "Enter") return;
      if (!node.dataset.keyshortcuts) node.dataset.keyshortcuts = node.getAttribute("aria-keyshortcuts");
      if (singleKeys.checked) node.setAttribute("aria-keyshortcuts", node.dataset.keyshortcuts);
      else node.removeAttribute("aria-keyshortcuts");
    });
  }
  singleKeysShown();
  singleKeys.addEventListener("change", () => {
    singleKeysShown();
    try {
      if (singleKeys.checked) window.localStorage.removeItem(SINGLE_KEYS_OFF);
      else window.localStorage.setItem(SINGLE_KEYS_OFF, "1");
    } catch (error) {
      // As above: not remembered, but in force on this page.
    }
  });

  document.addEventListener("keydown", (event) => {
    if (event.repeat) {
      // A held Enter clicks a focused button again at every repeat, and focus stays on the answer
      // pressed: each repeat answered the next pair, unread (found by the annotator page audit). A
      // key held down is one press here, whatever has focus.
      if ((event.key === "Enter" || event.key === " ") && event.target && event.target.closest("button")) {
        event.preventDefault();
      }
      return;
    }
    if (el("panel-work").hidden) return;
    const target = event.target;
    if (isTextEntry(target)) {
      // In a text box keys only type, except these two ways out.
      if (target.id !== "rationale") return;
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey) && config.confirmWithEnter) {
        event.preventDefault();
        submit(state.side);
      } else if (event.key === "Escape") {
        event.preventDefault();
        focusHome();
      }
      return;
    }
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    if (event.shiftKey && event.key.startsWith("Arrow")) return; // extends a text selection
    const key = shortcutKey(event);
    if (!singleKeys.checked && key !== "Enter") return;
    if (key === "Enter") {
      // A focused button or link answers Enter itself, except the side already selected: focus rests
      // there after a click on it (or Enter on it), and pressing it again would only select it again.
      const selected = target && target.getAttribute("aria-pressed") === "true";
      if (!config.confirmWithEnter) return;
      if (!selected && target && ["BUTTON", "A", "SUMMARY"].includes(target.tagName)) return;
      event.preventDefault();
      submit(state.side);
      return;
    }
    if (key === "t" && el("rationale")) {
      event.preventDefault(); // the "t" must not land in the box
      el("rationale").focus();
      return;
    }
    if (config.askStrength && STRENGTH_KEYS[key]) {
      event.preventDefault();
      if (check("strength", STRENGTH_KEYS[key])) showError("");
      else if (state.side === "tie") showError("No strength is asked when both are about the same.");
      return;
    }
    if (config.askSafety && SAFETY_KEYS[key]) {
      event.preventDefault();
      if (check("safety", SAFETY_KEYS[key])) showError("");
      else if (state.side === "tie") showError("A tie has no chosen response: both safe (z) or both unsafe (c).");
      return;
    }
    const side = KEYS[key];
    if (!side || (side === "tie" && !config.allowTie) || (side === "skip" && !config.allowSkip)) return;
    // In the strength and safety radios the arrows keep their usual meaning; so does ↑ in the
    // conversation's own scrolling box, where it goes back up (not "about the same").
    if (target && target.tagName === "INPUT" && event.key.startsWith("Arrow")) return;
    if (target && target.id === "context" && event.key === "ArrowUp") return;
    // Nor on a page scrolled down (a long pair, a narrow screen), where ↑ scrolls (see upScrolls).
    if (event.key === "ArrowUp" && upScrolls()) return;
    event.preventDefault();
    const answersAtOnce = side === "skip" || !config.confirmWithEnter;
    if (answersAtOnce && performance.now() - state.shownAt < REACTION_MS) return;
    choose(side, true);
  });

  // The sitting bar sticks to the top, and on a narrow or zoomed-in screen it wraps to two rows or
  // more, taller than the stylesheet's scroll padding: whatever receives focus scrolls clear of it.
  const bar = el("sitting-bar");
  // The idle warning sticks under it, and a focus brought into view clears both.
  const idleRegion = el("idle-note-region");
  const clearTop = new ResizeObserver(() => {
    const root = document.documentElement;
    root.style.setProperty("--sitting-bar-height", `${bar.offsetHeight}px`);
    const covered = bar.offsetHeight + idleRegion.offsetHeight;
    root.style.scrollPaddingTop = covered ? `${covered + 12}px` : "";
  });
  clearTop.observe(bar);
  clearTop.observe(idleRegion);
  window.setInterval(tick, 500);
  // Back or Forward may bring this page back as it was left (the back-forward cache): its sitting may
  // have ended or started elsewhere since. Loaded again, it asks the server where things stand.
  window.addEventListener("pageshow", (event) => {
    if (event.persisted) window.location.reload();
  });
  init();
})();
