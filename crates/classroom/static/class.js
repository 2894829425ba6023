// The class hub's one script (/class.js; the CSP allows no inline script).
//
// It keeps the state cell of each challenge current on the lab page and the
// scoreboard: about every second it asks the hub for /lab/status.json, each
// challenge's cell as the page itself renders it, and puts a changed cell in
// place. So a solve shows within two seconds of the request that proved it,
// with no reload. Without this script the pages work the same; a reload
// shows a new solve.
"use strict";

const POLL_EVERY_MS = 1000;
const STATUS_URL = "/lab/status.json";

const cells = document.querySelectorAll("td.status[data-challenge]");
// The HTML each cell was last given, to replace only the cells that changed.
const shown = new Map();

async function fetchStates() {
  try {
    const response = await fetch(STATUS_URL, { cache: "no-store" });
    return response.ok ? await response.json() : null;
  } catch {
    return null;
  }
}

async function refresh() {
  // A tab nobody looks at asks nothing.
  const states = document.hidden ? null : await fetchStates();
  for (const cell of states ? cells : []) {
    const html = states[cell.dataset.challenge];
    if (typeof html === "string" && shown.get(cell) !== html) {
      // The hub escaped every text in it, as on the page.
      cell.innerHTML = html;
      shown.set(cell, html);
    }
  }
  // The next poll only once this one is done: a slow hub gets no pile-up.
  setTimeout(refresh, POLL_EVERY_MS);
}

if (cells.length > 0) {
  setTimeout(refresh, POLL_EVERY_MS);
}
