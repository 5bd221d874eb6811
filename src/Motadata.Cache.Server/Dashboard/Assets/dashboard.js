// The operator page of Motadata.Cache: polls the service's own routes (GET v1/dashboard with the admin key, GET readyz)
// and draws what they say. No library, nothing fetched from elsewhere; text is set with textContent only.
"use strict";

(function () {
  const keyName = "motadata-cache-admin-key";
  const maxSamples = 60;
  const topTenants = 25;
  const refreshSeconds = (function () {
    const asked = Number(new URLSearchParams(window.location.search).get("refresh"));
    return Number.isInteger(asked) && asked >= 1 && asked <= 60 ? asked : 3;
  })();
  const numbers = new Intl.NumberFormat("en-US");
  const samples = [];
  let sortField = "requests";
  let sortAscending = false;
  let lastFigures = null;
  let timer = null;

  const $ = (id) => document.getElementById(id);

  function storedKey() {
    try { return window.sessionStorage.getItem(keyName); } catch (e) { return null; }
  }

  function keysRequired() { return document.body.dataset.auth === "required"; }

  function showLogin(message) {
    $("content").hidden = true;
    $("error").hidden = true;
    $("login").hidden = false;
    $("forget-key").hidden = true;
    $("login-error").textContent = message || "";
    clear(["backend", "health", "readiness", "updated"]);
    samples.length = 0;
    lastFigures = null;
  }

  function clear(ids) { ids.forEach((id) => { $(id).textContent = ""; $(id).className = $(id).className.replace(/ ?(Healthy|Degraded|Unavailable|NotReady)/g, ""); }); }

  function showError(message) {
    $("error").textContent = message;
    $("error").hidden = false;
  }

  function schedule() {
    if (timer !== null) { window.clearTimeout(timer); }
    timer = window.setTimeout(refresh, refreshSeconds * 1000);
  }

  async function refresh() {
    timer = null;
    const key = storedKey();
    if (keysRequired() && !key) {
      showLogin("");
      return;
    }

    const headers = { "Accept": "application/json" };
    if (key) { headers["Authorization"] = "Bearer " + key; }
    let response;
    try {
      response = await fetch("v1/dashboard", { headers: headers, cache: "no-store", credentials: "omit", redirect: "error" });
    } catch (e) {
      showError("The service did not answer (" + e.message + "); retrying.");
      schedule();
      return;
    }

    if (response.status === 401 || response.status === 403) {
      try { window.sessionStorage.removeItem(keyName); } catch (e) { /* nothing kept */ }
      showLogin(response.status === 401
        ? "The service does not know this key."
        : "This key is not an admin key; the page needs one.");
      return;
    }

    if (!response.ok) {
      let detail = "";
      try { detail = (await response.json()).detail || ""; } catch (e) { /* not a problem body */ }
      showError("The figures could not be read: " + response.status + " " + detail + " Retrying.");
      schedule();
      return;
    }

    const figures = await response.json();
    $("login").hidden = true;
    $("error").hidden = true;
    $("content").hidden = false;
    $("forget-key").hidden = !key;
    render(figures);
    refreshReadiness();
    schedule();
  }

  async function refreshReadiness() {
    const badge = $("readiness");
    try {
      const response = await fetch("readyz", { cache: "no-store", credentials: "omit" });
      badge.textContent = response.ok ? "ready" : "not ready";
      badge.className = "badge " + (response.ok ? "Healthy" : "NotReady");
    } catch (e) {
      badge.textContent = "not ready";
      badge.className = "badge NotReady";
    }
  }

  function render(figures) {
    const totals = figures.totals;
    const now = Date.now();
    samples.push({ at: now, hits: totals.hits, misses: totals.misses });
    while (samples.length > maxSamples + 1) { samples.shift(); }
    lastFigures = figures;

    $("backend").textContent = figures.backend;
    const health = $("health");
    health.textContent = figures.health.status;
    health.className = "badge " + figures.health.status;
    $("updated").textContent = "updated " + new Date(now).toLocaleTimeString("en-GB") + ", every " + refreshSeconds + " s";

    setFigure("hit-rate", percent(totals.hit_rate), totals.hit_rate);
    $("hit-rate-detail").textContent = numbers.format(totals.hits) + " hits, " + numbers.format(totals.misses) + " misses";
    const previous = samples.length > 1 ? samples[samples.length - 2] : null;
    if (previous && now > previous.at) {
      const seconds = (now - previous.at) / 1000;
      const hits = Math.max(0, totals.hits - previous.hits);
      const lookups = hits + Math.max(0, totals.misses - previous.misses);
      setFigure("requests-per-second", (lookups / seconds).toFixed(1), lookups / seconds);
      $("hits-per-second").textContent = (hits / seconds).toFixed(1) + " hits / s";
    } else {
      setFigure("requests-per-second", "\u2013", "");
      $("hits-per-second").textContent = "after the next refresh";
    }

    setFigure("size", numbers.format(totals.size), totals.size);
    limit("size-bar", "size-limit", totals.size, totals.max_size, (n) => numbers.format(n) + " entries (Cache:MaxSize)");
    setFigure("memory", bytes(totals.memory_usage), totals.memory_usage);
    limit("memory-bar", "memory-limit", totals.memory_usage, totals.max_memory_bytes, (n) => bytes(n) + " (Cache:MaxMemoryBytes)");

    drawChart();
    rows("evictions", [
      ["capacity (size or memory)", totals.evictions - totals.quota_evictions, "evictions-capacity"],
      ["tenant quota", totals.quota_evictions, "evictions-quota"],
      ["expired", totals.expirations, "expirations"],
      ["rejected as too large", totals.rejected_values, "rejected"],
      ["values stored", totals.sets, "sets"],
    ]);
    const recovery = [
      ["state", figures.health.status + " since " + new Date(figures.health.since).toLocaleString("en-GB"), "recovery-state"],
      ["recovery", figures.settings.recovery ? "on (journal of " + numbers.format(figures.settings.recovery_journal_capacity) + ")" : "off", "recovery-on"],
      ["journal: removals waiting for replay", figures.settings.pending_removals, "pending-removals"],
      ["backend failures", totals.backend_failures, "backend-failures"],
      ["breaker openings", totals.breaker_openings, "breaker-openings"],
      ["replayed operations", totals.replayed_operations, "replayed"],
      ["journal overflows", totals.journal_overflows, "journal-overflows"],
      ["abandoned removals", totals.abandoned_removals, "abandoned"],
      ["corrupt payloads", totals.corrupt_payloads, "corrupt"],
    ];
    if (figures.health.last_error) {
      recovery.push(["last error", figures.health.last_error + " (" + new Date(figures.health.last_error_at).toLocaleString("en-GB") + ")", "last-error"]);
    }
    rows("recovery", recovery);

    $("local-section").hidden = !figures.settings.local_level;
    if (figures.settings.local_level) {
      rows("local", [
        ["local hits", totals.local_hits, "local-hits"],
        ["server hits", totals.hits - totals.local_hits, "server-hits"],
        ["local flushes", totals.local_flushes, "local-flushes"],
        ["backplane sent", totals.backplane_messages_sent, "backplane-sent"],
        ["backplane received", totals.backplane_messages_received, "backplane-received"],
        ["backplane dropped", totals.backplane_messages_dropped, "backplane-dropped"],
      ]);
    }

    $("nodes-section").hidden = figures.nodes.length === 0;
    const nodes = $("nodes");
    nodes.replaceChildren();
    figures.nodes.forEach((node) => {
      const row = document.createElement("tr");
      row.dataset.endpoint = node.endpoint;
      const status = node.status || figures.health.status;
      const badge = cell(status, "", status, "status");
      if (node.last_error) { badge.title = node.last_error; }
      row.append(cell(node.endpoint, "name"), badge,
        cell(node.size == null ? "\u2013" : numbers.format(node.size), "number", node.size == null ? "" : node.size),
        cell(node.memory_usage == null ? "\u2013" : bytes(node.memory_usage), "number", node.memory_usage == null ? "" : node.memory_usage));
      nodes.append(row);
    });

    renderTenants();
  }

  function renderTenants() {
    if (!lastFigures) { return; }
    const figures = lastFigures;
    const tenants = figures.tenants.map((t) => Object.assign({ requests: t.hits + t.misses }, t));
    tenants.sort((a, b) => {
      const x = a[sortField], y = b[sortField];
      const order = typeof x === "string" ? x.localeCompare(y) : x - y;
      return (sortAscending ? order : -order) || a.tenant.localeCompare(b.tenant);
    });
    const shown = tenants.slice(0, topTenants);
    const note = [];
    if (!figures.settings.tenant_labels) {
      note.push("Tenants are not reported (Service:Metrics:TenantLabels is off).");
    } else {
      note.push(tenants.length + " tenant(s) in use (at most " + figures.settings.max_metric_tenants + " are reported, Service:MaxMetricTenants).");
      if (tenants.length > shown.length) { note.push("The top " + shown.length + " are shown; click a column to sort."); }
      if (figures.backend !== "Memory") { note.push("On Dragonfly the tenants' figures are up to Service:Metrics:StatsRefreshInterval old."); }
    }
    $("tenants-note").textContent = note.join(" ");
    const body = $("tenants");
    body.replaceChildren();
    shown.forEach((t) => {
      const row = document.createElement("tr");
      row.dataset.tenant = t.tenant;
      const quota = t.max_size != null ? " / " + numbers.format(t.max_size) : "";
      row.append(
        cell(t.tenant, "name", t.tenant, "tenant"),
        cell(numbers.format(t.requests), "number", t.requests, "requests"),
        cell(numbers.format(t.hits), "number", t.hits, "hits"),
        cell(numbers.format(t.misses), "number", t.misses, "misses"),
        cell(percent(t.hit_rate), "number", t.hit_rate, "hit_rate"),
        cell(numbers.format(t.size) + quota, "number", t.size, "size"),
        cell(bytes(t.memory_usage), "number", t.memory_usage, "memory_usage"));
      body.append(row);
    });
    document.querySelectorAll("#tenants-table th[data-sort]").forEach((th) => {
      th.classList.toggle("sorted", th.dataset.sort === sortField);
      th.classList.toggle("ascending", th.dataset.sort === sortField && sortAscending);
    });
  }

  function drawChart() {
    const points = [];
    for (let i = 1; i < samples.length; i++) {
      const hits = samples[i].hits - samples[i - 1].hits;
      const lookups = hits + samples[i].misses - samples[i - 1].misses;
      points.push(lookups > 0 ? hits / lookups : null);
    }
    const step = 600 / Math.max(1, maxSamples - 1);
    const coordinates = [];
    points.forEach((rate, i) => {
      if (rate !== null) {
        coordinates.push((i * step).toFixed(1) + "," + (115 - rate * 110).toFixed(1));
      }
    });
    $("chart-line").setAttribute("points", coordinates.join(" "));
    $("chart-span").textContent = String(points.length);
  }

  function limit(barId, textId, value, max, describe) {
    const bar = $(barId);
    if (max) {
      bar.style.width = Math.min(100, (100 * value) / max).toFixed(1) + "%";
      $(textId).textContent = "of " + describe(max) + ", " + percent(value / max);
    } else {
      bar.style.width = "0";
      $(textId).textContent = "no limit configured here";
    }
  }

  function rows(id, entries) {
    const body = $(id);
    body.replaceChildren();
    entries.forEach(([name, value, testId]) => {
      const row = document.createElement("tr");
      row.dataset.figure = testId;
      row.append(cell(name), cell(typeof value === "number" ? numbers.format(value) : value, "number", value));
      body.append(row);
    });
  }

  function cell(text, className, value, field) {
    const td = document.createElement("td");
    td.textContent = text;
    if (className) { td.className = className; }
    if (value !== undefined) { td.dataset.value = String(value); }
    if (field) { td.dataset.field = field; }
    return td;
  }

  function setFigure(id, text, value) {
    $(id).textContent = text;
    $(id).dataset.value = String(value);
  }

  function percent(rate) { return (100 * (rate || 0)).toFixed(1) + " %"; }

  function bytes(n) {
    const units = ["B", "KiB", "MiB", "GiB", "TiB"];
    let value = n, unit = 0;
    while (value >= 1024 && unit < units.length - 1) { value /= 1024; unit++; }
    return (unit === 0 ? String(value) : value.toFixed(1)) + " " + units[unit];
  }

  document.addEventListener("DOMContentLoaded", () => {
    $("login-form").addEventListener("submit", (event) => {
      event.preventDefault();
      const key = $("admin-key").value.trim();
      $("admin-key").value = "";
      if (!key) { return; }
      try { window.sessionStorage.setItem(keyName, key); } catch (e) { /* refused: the key cannot be kept */ }
      $("login").hidden = true;
      refresh();
    });
    $("forget-key").addEventListener("click", () => {
      try { window.sessionStorage.removeItem(keyName); } catch (e) { /* nothing kept */ }
      if (timer !== null) { window.clearTimeout(timer); timer = null; }
      showLogin("");
    });
    document.querySelectorAll("#tenants-table th[data-sort]").forEach((th) => {
      th.addEventListener("click", () => {
        if (sortField === th.dataset.sort) { sortAscending = !sortAscending; } else { sortField = th.dataset.sort; sortAscending = th.dataset.sort === "tenant"; }
        renderTenants();
      });
    });
    refresh();
  });
})();
