// Persona's operator console: plain JavaScript over the admin API, no build step. Every value from the server is
// written with textContent, never as HTML, so a field value or a dead letter's payload cannot run as script.
"use strict";

const KEY_ITEM = "persona.console.key";
const state = { collections: [], timer: null };

function key() {
  return sessionStorage.getItem(KEY_ITEM);
}

async function api(path, options = {}) {
  const response = await fetch(path, {
    ...options,
    headers: { "Authorization": "Bearer " + key(), "Content-Type": "application/json", ...(options.headers || {}) },
  });
  const text = await response.text();
  let body = null;
  try {
    body = text ? JSON.parse(text) : null;
  } catch (e) {
    body = { message: text };
  }
  if (!response.ok && !(options.accept || []).includes(response.status)) {
    const error = new Error((body && (body.message || body.error)) || response.statusText);
    error.status = response.status;
    throw error;
  }
  return { status: response.status, body };
}

function showError(error) {
  const box = document.getElementById("error");
  if (!error) {
    box.hidden = true;
    box.textContent = "";
    return;
  }
  box.hidden = false;
  box.textContent = error.status === 401 || error.status === 403
    ? "This key may not use the admin API (" + error.message + "). Sign in with an admin key."
    : String(error.message || error);
}

function cell(row, value, className) {
  const td = document.createElement("td");
  td.textContent = value === null || value === undefined ? "" : String(value);
  if (className) {
    td.className = className;
  }
  row.appendChild(td);
  return td;
}

function fill(tableId, rows, columns, emptyText) {
  const body = document.querySelector("#" + tableId + " tbody");
  body.replaceChildren();
  if (rows.length === 0) {
    const tr = document.createElement("tr");
    const td = cell(tr, emptyText, "empty");
    td.colSpan = document.querySelectorAll("#" + tableId + " thead th").length;
    body.appendChild(tr);
    return;
  }
  for (const item of rows) {
    const tr = document.createElement("tr");
    columns(tr, item);
    body.appendChild(tr);
  }
}

function when(iso) {
  return iso ? new Date(iso).toLocaleString() : "";
}

function took(run) {
  if (!run.endedAt) {
    return "";
  }
  return ((new Date(run.endedAt) - new Date(run.startedAt)) / 1000).toFixed(1) + " s";
}

function list(values) {
  return values && values.length ? values.join(", ") : "";
}

// ---- cluster ----

async function showCluster() {
  const { body } = await api("/admin/cluster");
  const rows = [];
  for (const instance of body.instances) {
    const stores = Object.entries(instance.stores || {});
    if (stores.length === 0) {
      rows.push({ instance, store: null });
    }
    for (const [name, store] of stores) {
      rows.push({ instance, store: { name, ...store } });
    }
  }
  fill("instances", rows, (tr, { instance, store }) => {
    cell(tr, instance.host);
    cell(tr, instance.state + (instance.error ? ": " + instance.error : ""), "state-" + instance.state);
    cell(tr, store ? store.name : "(no stores yet)");
    cell(tr, store ? list(store.active) : "");
    cell(tr, store ? list(store.standby) : "");
    cell(tr, store ? Object.entries(store.offsetLag || {}).map(([p, lag]) => p + ": " + lag).join(", ") : "");
    cell(tr, store ? Object.entries(store.restoring || {}).map(([p, r]) => p + ": " + r.restored + "/" + r.total).join(", ") : "");
  }, "No instances answered.");
}

// ---- syncs ----

async function showSyncs() {
  const { body } = await api("/admin/syncs");
  fill("syncs", body.syncs, (tr, sync) => {
    const run = sync.lastRun || {};
    cell(tr, sync.id);
    cell(tr, sync.collection);
    cell(tr, sync.source.type + (sync.source.table ? " " + sync.source.table : "") + (sync.source.topic ? " " + sync.source.topic : ""));
    cell(tr, sync.source.schedule || "continuous");
    cell(tr, run.status || "no run yet", run.status ? "status-" + run.status : "empty");
    cell(tr, when(run.endedAt));
    for (const figure of ["rowsRead", "upserted", "deleted", "unchanged", "rejected"]) {
      cell(tr, run[figure], "num");
    }
    cell(tr, run.error);
    const actions = cell(tr, "");
    actions.appendChild(button("Runs", "runs-" + sync.id, () => showRuns(sync.id)));
    if (sync.source.type === "query") {
      actions.appendChild(button("Run now", "run-" + sync.id, () => requestRun(sync.id, false)));
    }
    // Every source resyncs: a query sync sends every row, CDC reads its table again, a topic sync its topic from the start.
    actions.appendChild(button("Full resync", "full-" + sync.id, () => requestRun(sync.id, true)));
    if (sync.source.type === "query" && run.status === "running") {
      actions.appendChild(button("Cancel", "cancel-" + sync.id, () => cancelRun(sync.id)));
    }
  }, "No syncs in the configuration.");
}

function button(label, id, action) {
  const b = document.createElement("button");
  b.type = "button";
  b.textContent = label;
  b.id = id;
  b.addEventListener("click", () => action().catch(showError));
  return b;
}

async function requestRun(id, full) {
  const { body } = await api("/admin/syncs/" + encodeURIComponent(id) + "/runs", { method: "POST", body: JSON.stringify({ full }) });
  const message = document.getElementById("run-message");
  message.hidden = false;
  message.textContent = (full ? "Full resync" : "Run") + " of " + body.sync + " requested; its run appears below within seconds.";
  await showRuns(id);
}

async function cancelRun(id) {
  await api("/admin/syncs/" + encodeURIComponent(id) + "/cancel", { method: "POST" });
  const message = document.getElementById("run-message");
  message.hidden = false;
  message.textContent = "Cancellation of " + id + "'s run requested; it ends as cancelled, with nothing applied.";
  await showRuns(id);
}

async function showRuns(id) {
  const { body } = await api("/admin/syncs/" + encodeURIComponent(id) + "/runs");
  document.getElementById("runs-panel").hidden = false;
  document.getElementById("runs-of").textContent = body.sync;
  fill("runs", body.runs, (tr, run) => {
    cell(tr, run.id);
    cell(tr, run.status, "status-" + run.status);
    cell(tr, run.trigger);
    cell(tr, run.full ? "yes" : "");
    cell(tr, run.instance);
    cell(tr, when(run.startedAt));
    cell(tr, took(run));
    for (const figure of ["rowsRead", "upserted", "deleted", "unchanged", "rejected"]) {
      cell(tr, run[figure], "num");
    }
    cell(tr, run.error);
    cell(tr, "").appendChild(button("Changes", "changes-" + run.id, () => showChanges(id, run.id)));
  }, "No runs recorded yet.");
}

async function showChanges(sync, run) {
  const { body } = await api("/admin/syncs/" + encodeURIComponent(sync) + "/runs/" + encodeURIComponent(run));
  document.getElementById("changes-panel").hidden = false;
  document.getElementById("changes-of").textContent = sync + " / " + run;
  fill("changes", body.changes, (tr, change) => {
    cell(tr, change.key);
    cell(tr, change.op);
    cell(tr, when(change.at));
    cell(tr, change.changed.join(", "));
    cell(tr, change.before === undefined ? change.valuesOmitted : JSON.stringify(change.before));
    cell(tr, change.after === undefined ? "" : JSON.stringify(change.after));
  }, "No changes sampled for this run (a run that changed nothing has none).");
}

// ---- collections, dead letters, records ----

async function loadCollections() {
  if (state.collections.length === 0) {
    const { body } = await api("/admin/collections");
    state.collections = body.collections;
    for (const id of ["dl-collection", "rec-collection"]) {
      const select = document.getElementById(id);
      // A collection of a topology version that builds is not served yet: the console says so.
      select.replaceChildren(...state.collections.map((c) => new Option(c.state === "building" ? c.name + " (building)" : c.name, c.name)));
    }
    fillIndices();
  }
}

function fillIndices() {
  const name = document.getElementById("rec-collection").value;
  const collection = state.collections.find((c) => c.name === name);
  const indices = collection ? ["id", ...collection.secondaryIndices] : [];
  document.getElementById("rec-index").replaceChildren(...indices.map((i) => new Option(i === "id" ? "id (" + collection.primaryIndex + ")" : i, i)));
}

async function showDeadLetters() {
  await loadCollections();
  const collection = document.getElementById("dl-collection").value;
  if (!collection) {
    fill("dead-letters", [], () => {}, "No collections.");
    return;
  }
  const { body } = await api("/admin/collections/" + encodeURIComponent(collection) + "/dead-letters");
  fill("dead-letters", body.deadLetters, (tr, letter) => {
    cell(tr, when(letter.at));
    cell(tr, letter.sync);
    cell(tr, letter.key, "json");
    cell(tr, letter.reason);
    cell(tr, letter.source);
    cell(tr, letter.payloadPreview === null ? "(not kept: over the size limit)" : letter.payloadPreview, "json");
  }, "No dead letters in " + body.topic + ".");
}

async function showRecordPage() {
  await loadCollections();
}

async function lookUp() {
  const collection = document.getElementById("rec-collection").value;
  const index = document.getElementById("rec-index").value;
  const value = document.getElementById("rec-value").value;
  const base = "/v1/collections/" + encodeURIComponent(collection) + "/records/";
  const { status, body } = await api(base + encodeURIComponent(index) + "/" + encodeURIComponent(value) + "?meta=true", { accept: [404] });
  const panel = document.getElementById("record-panel");
  const summary = document.getElementById("record-summary");
  panel.hidden = false;
  if (status === 404) {
    summary.textContent = "No record with " + index + " = " + value + " in " + collection + ".";
    fill("fields", [], () => {}, "No fields.");
    fill("revisions", [], () => {}, "No revisions.");
    return;
  }
  const meta = body._meta || {};
  const id = String(body[state.collections.find((c) => c.name === collection).primaryIndex]);
  summary.textContent = collection + " " + id + ": revision " + meta.revision + ", updated " + when(meta.updatedAt)
    + (meta.stale ? " (answered by a standby copy)" : "");
  const fields = Object.entries(body).filter(([name]) => name !== "_meta");
  fill("fields", fields, (tr, [name, value]) => {
    const provenance = (meta.fields || {})[name] || {};
    cell(tr, name);
    cell(tr, JSON.stringify(value), "json");
    cell(tr, provenance.sync || "(key)");
    cell(tr, provenance.version);
    cell(tr, when(provenance.updatedAt));
    cell(tr, provenance.updatedAt ? Math.round((Date.now() - new Date(provenance.updatedAt)) / 1000) + " s" : "", "num");
  }, "No fields.");
  const history = await api("/admin/collections/" + encodeURIComponent(collection) + "/records/" + encodeURIComponent(id) + "/history");
  fill("revisions", history.body.revisions, (tr, revision) => {
    cell(tr, revision.deleted ? "deleted" : revision.revision);
    cell(tr, when(revision.at));
    cell(tr, revision.offset, "num");
    cell(tr, revision.deleted ? "" : JSON.stringify(revision.record), "json");
  }, "The changelog holds no revision of this record in its newest offsets.");
}

// ---- navigation ----

const pages = {
  "cluster": { show: showCluster, live: true },
  "syncs": { show: showSyncs, live: true },
  "dead-letters": { show: showDeadLetters, live: false },
  "records": { show: showRecordPage, live: false },
};

async function route() {
  clearInterval(state.timer);
  const signedIn = Boolean(key());
  document.getElementById("sign-in").hidden = signedIn;
  document.getElementById("nav").hidden = !signedIn;
  document.getElementById("sign-out").hidden = !signedIn;
  const name = pages[location.hash.slice(1)] ? location.hash.slice(1) : "cluster";
  for (const section of document.querySelectorAll(".page")) {
    section.hidden = !signedIn || section.id !== "page-" + name;
  }
  for (const link of document.querySelectorAll("#nav a")) {
    link.classList.toggle("current", link.dataset.page === name);
  }
  if (!signedIn) {
    return;
  }
  const page = pages[name];
  const refresh = () => page.show().then(() => showError(null)).catch(showError);
  await refresh();
  if (page.live) {
    state.timer = setInterval(refresh, 2000);
  }
}

document.addEventListener("DOMContentLoaded", () => {
  document.getElementById("sign-in-form").addEventListener("submit", (event) => {
    event.preventDefault();
    sessionStorage.setItem(KEY_ITEM, document.getElementById("key").value.trim());
    route();
  });
  document.getElementById("sign-out").addEventListener("click", () => {
    sessionStorage.removeItem(KEY_ITEM);
    state.collections = [];
    route();
  });
  document.getElementById("dl-collection").addEventListener("change", () => showDeadLetters().catch(showError));
  document.getElementById("rec-collection").addEventListener("change", fillIndices);
  document.getElementById("record-form").addEventListener("submit", (event) => {
    event.preventDefault();
    lookUp().then(() => showError(null)).catch(showError);
  });
  window.addEventListener("hashchange", route);
  route();
});
