// The demo frontend: runs each CORS scenario against the API and shows what the browser allowed.
// Results are also left in window.demoResults (and <body data-done="true">) for the browser tests.
"use strict";

const API = window.DEMO_CONFIG.apiBase;

const SCENARIOS = [
  {
    id: "simple",
    title: "Simple request",
    request: "GET /api/data",
    expect: "allowed",
    async run() {
      const r = await call("/api/data");
      document.getElementById("message").textContent = r.body.message;
      return { ...r, ok: r.body.message === "Hello from your API!", summary: r.body.message };
    },
  },
  {
    id: "preflight",
    title: "Preflighted request",
    request: "PUT /api/echo, JSON body, X-Demo-Token header",
    expect: "allowed",
    async run() {
      const r = await call("/api/echo", {
        method: "PUT",
        headers: { "Content-Type": "application/json", "X-Demo-Token": "demo-123" },
        body: JSON.stringify({ hello: "world" }),
      });
      const ok = r.body.x_demo_token === "demo-123" && r.body.json && r.body.json.hello === "world";
      return { ...r, ok, summary: `echoed ${JSON.stringify(r.body.json)} and token ${r.body.x_demo_token}` };
    },
  },
  {
    id: "credentials",
    title: "Credentialed request",
    request: "POST then GET /api/session, credentials: \"include\"",
    expect: "allowed",
    async run() {
      const set = await call("/api/session", { method: "POST", credentials: "include" });
      const r = await call("/api/session", { credentials: "include" });
      const ok = Boolean(set.body.token) && r.body.token === set.body.token;
      return { ...r, ok, summary: ok ? `cookie sent back (token ${r.body.token})` : `no cookie came back` };
    },
  },
  {
    id: "write",
    title: "Write through the guard",
    request: "POST /api/notes, text/plain, credentials: \"include\"",
    expect: "allowed",
    // What the row says when the fetch fails: this page never sees the 403 (no CORS grant on it), so it
    // says what the API did, which the tests check on the server side.
    refusedNote: "write refused: the API's write guard answered 403 before the application ran",
    // A simple request (no preflight): the shape a forged form or a no-cors fetch has. The API's write
    // guard lets it through from this origin because cors.toml lists it, and refuses it from any other.
    async run() {
      const r = await call("/api/notes", {
        method: "POST",
        credentials: "include",
        headers: { "Content-Type": "text/plain" },
        body: `a note from ${window.location.origin}`,
      });
      const ok = r.status === 201 && r.body.notes >= 1;
      return { ...r, ok, summary: `note saved: the API has recorded ${r.body.notes} write(s)` };
    },
  },
  {
    id: "refused-method",
    title: "Method the policy refuses",
    request: "DELETE /api/data",
    expect: "blocked",
    async run() {
      const r = await call("/api/data", { method: "DELETE" });
      return { ...r, ok: false, summary: "the browser let the DELETE through" };
    },
  },
  {
    id: "refused-header",
    title: "Header the policy refuses",
    request: "PUT /api/echo with X-Not-Allowed",
    expect: "blocked",
    async run() {
      const r = await call("/api/echo", {
        method: "PUT",
        headers: { "Content-Type": "application/json", "X-Not-Allowed": "1" },
        body: "{}",
      });
      return { ...r, ok: false, summary: "the browser let the PUT through" };
    },
  },
];

async function call(path, init = {}) {
  const response = await fetch(API + path, init);
  // Only CORS-safelisted response headers and those in Access-Control-Expose-Headers are visible here.
  const headers = {};
  response.headers.forEach((value, name) => { headers[name] = value; });
  const text = await response.text();
  let body;
  try { body = JSON.parse(text); } catch { body = { text }; }
  return { status: response.status, httpOk: response.ok, headers, body };
}

async function runScenario(scenario) {
  const result = { id: scenario.id, expect: scenario.expect };
  try {
    const r = await scenario.run();
    Object.assign(result, r, { outcome: "allowed", ok: r.ok && r.httpOk });
  } catch (err) {
    result.outcome = "blocked";
    result.error = `${err.name}: ${err.message}`;
    result.errorName = err.name;
    if (scenario.refusedNote) result.note = scenario.refusedNote;
  }
  result.asExpected = scenario.expect === "blocked"
    ? result.outcome === "blocked"
    : result.outcome === "allowed" && result.ok === true;
  return result;
}

function render(scenario, result) {
  const row = document.getElementById(`row-${scenario.id}`);
  row.dataset.state = result.asExpected ? "as-expected" : "unexpected";
  row.dataset.outcome = result.outcome;
  const outcome = result.outcome === "allowed" ? `allowed (HTTP ${result.status})` : "blocked by the browser";
  row.querySelector(".outcome").textContent = `${outcome} ${result.asExpected ? "\u2714" : "\u2718"}`;
  const details = row.querySelector(".details");
  details.textContent = "";
  const line = document.createElement("div");
  line.textContent = result.outcome === "allowed" ? result.summary : result.error;
  details.append(line);
  if (result.note) {
    const note = document.createElement("div");
    note.className = "refused-note";
    note.textContent = result.note;
    details.append(note);
  }
  if (result.headers) {
    const pre = document.createElement("pre");
    pre.textContent = Object.entries(result.headers).map(([k, v]) => `${k}: ${v}`).join("\n");
    details.append(pre);
  }
}

async function runAll() {
  document.body.dataset.done = "false";
  document.querySelector(".hero").classList.remove("refused");
  const tbody = document.querySelector("#scenarios tbody");
  tbody.textContent = "";
  for (const s of SCENARIOS) {
    const row = document.createElement("tr");
    row.id = `row-${s.id}`;
    row.dataset.state = "pending";
    const expected = s.expect === "allowed" ? "succeeds" : "blocked";
    for (const [cls, text] of [["title", s.title], ["request", s.request], ["expect", expected],
                               ["outcome", "\u2026"], ["details", ""]]) {
      const td = document.createElement("td");
      td.className = cls;
      td.textContent = text;
      row.append(td);
    }
    tbody.append(row);
  }
  const results = [];
  // One at a time, so each browser console message belongs to the scenario that is running.
  for (const s of SCENARIOS) {
    const result = await runScenario(s);
    render(s, result);
    if (s.id === "simple" && result.outcome === "blocked") {
      const hero = document.querySelector(".hero");
      hero.classList.add("refused");
      document.getElementById("message").textContent =
        "blocked: this origin is not allowed, or the API is down (see the console)";
    }
    results.push(result);
  }
  explain(results);
  window.demoResults = results;
  document.body.dataset.done = "true";
  return results;
}

// What the page shows under the result: the refusal on an unlisted origin is the demonstration itself,
// and on the allowed origin the two refused scenarios print console errors on purpose.
function explain(results) {
  const box = document.getElementById("explain");
  const simple = results.find((r) => r.id === "simple");
  const origin = window.location.origin;
  box.textContent = "";
  const add = (text) => {
    const p = document.createElement("p");
    p.textContent = text;
    box.append(p);
  };
  if (simple && simple.outcome === "blocked") {
    box.dataset.kind = "refused";
    add(`This refusal is the demonstration: this page is ${origin}, an origin the API's CORS policy does ` +
        "not list, so the browser lets the API answer but withholds every response from this script.");
    add("The console's \u201cblocked by CORS policy: No 'Access-Control-Allow-Origin' header is present " +
        "on the requested resource\u201d means exactly that: the API answered without granting this " +
        "origin. Preflighted requests (the PUT, the DELETE) were not even sent: their preflight was refused.");
    add("The writes (POST /api/session, POST /api/notes) are simple requests: the browser sent them " +
        "without asking first, and CORS alone would have let the API run them with your cookie, " +
        "withholding only the answer. Write refused: the API's write guard (csrf_protection in " +
        "cors.toml) answered 403 before the application ran. This page cannot see that answer; the " +
        "API's log shows \u201cPOST /api/notes HTTP/1.1\u201d 403, and the page on the allowed origin " +
        "shows the count of writes unchanged.");
    add("Open http://localhost:3000, the origin the policy allows, to see the same page read the API.");
  } else {
    box.dataset.kind = "allowed";
    add(`This page (${origin}) is allowed by the API's CORS policy, so it reads every allowed response.`);
    add("Its write (POST /api/notes) passed the API's write guard because the policy lists this origin; " +
        "from any other origin the guard refuses it with 403 before the application runs.");
    add("The browser console shows two CORS errors on purpose: the DELETE and the PUT with X-Not-Allowed " +
        "ask for a method and a header the policy does not allow, their preflights get 403, and the " +
        "browser reports \u201cResponse to preflight request doesn't pass access control check\u201d for each.");
  }
  box.hidden = false;
}

document.getElementById("page-origin").textContent = window.location.origin;
document.getElementById("api-base").textContent = API;
document.getElementById("run-again").addEventListener("click", () => { runAll(); });
runAll();
