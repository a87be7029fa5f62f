// revrisk dashboard script (plain JavaScript module, served as is; docs/dashboard.md): first paint from
// /v1/predictions/recent, live rows from the /v1/stream/predictions feed (resumed by the browser's
// EventSource with Last-Event-ID), the numbers from /v1/status every 2 s. Every value from an event is
// written with textContent or as an attribute, never as markup.

const MAX_ROWS = 500; // kept in memory
const SHOWN = 100; // rows in the table
const $ = (id) => document.getElementById(id);

/** For the browser test and for curious operators: what the page received. */
const state = { rows: new Map(), seen: [], reconnects: 0, status: undefined, source: undefined };
window.revriskDashboard = state;

const fmt = new Intl.NumberFormat("en", { maximumFractionDigits: 1 });
const num = (v) => (typeof v === "number" && Number.isFinite(v) ? fmt.format(v) : "–");
const sum = (o) => Object.values(o ?? {}).reduce((a, b) => a + b, 0);
const offsetOf = (id) => {
  try {
    return JSON.parse(id)[0].offset;
  } catch {
    return undefined;
  }
};

function filters() {
  const p = new URLSearchParams();
  const wiki = $("f-wiki").value;
  const min = Number($("f-min").value);
  const windowS = Number($("f-window").value);
  if (wiki) p.set("wiki", wiki);
  if (min > 0) p.set("min_probability", String(Math.min(1, min)));
  if (windowS > 0) p.set("since", new Date(Date.now() - windowS * 1000).toISOString());
  return p;
}

function el(tag, text, cls) {
  const e = document.createElement(tag);
  if (text !== undefined) e.textContent = text;
  if (cls) e.className = cls;
  return e;
}

function link(href, text) {
  const a = el("a", text);
  a.href = href;
  a.rel = "noopener noreferrer";
  a.target = "_blank";
  return a;
}

function row(offset, ev) {
  const pc = ev.predicted_classification ?? {};
  const p = Number(pc.probabilities?.true);
  const domain = /^[a-z0-9.-]+$/.test(ev.meta?.domain ?? "") ? ev.meta.domain : undefined;
  const title = String(ev.page?.page_title ?? "");
  const rev = ev.revision?.rev_id;
  const parent = ev.revision?.rev_parent_id;
  const tr = el("tr");
  tr.dataset.offset = String(offset);
  tr.dataset.probability = String(p);
  tr.dataset.wiki = String(ev.wiki_id ?? "");
  if (pc.predictions?.[0] === "true") tr.classList.add("risky");
  tr.append(el("td", String(ev.wiki_id ?? "")));
  const t = el("td", undefined, "title");
  const shown = title.replace(/_/g, " "); // page_title is in database form (underscores)
  t.append(
    domain ? link(`https://${domain}/wiki/${encodeURIComponent(title.replace(/ /g, "_"))}`, shown) : shown,
  );
  tr.append(t);
  const d = el("td");
  if (domain && Number.isInteger(rev))
    d.append(
      link(
        `https://${domain}/w/index.php?diff=${rev}&oldid=${Number.isInteger(parent) ? parent : "prev"}`,
        "diff",
      ),
    );
  tr.append(d);
  tr.append(el("td", String(ev.performer?.user_text ?? "")));
  const prob = el("td", undefined, "prob");
  const bar = el("span", undefined, "bar");
  const fill = el("span");
  fill.style.width = `${Math.round((Number.isFinite(p) ? p : 0) * 100)}%`;
  bar.append(fill);
  prob.append(bar, document.createTextNode(Number.isFinite(p) ? p.toFixed(3) : "–"));
  tr.append(prob);
  tr.append(el("td", pc.predictions?.[0] === "true" ? "likely reverted" : "ok"));
  const when = el("td", undefined, "hide-narrow");
  const time = el("time", ev.dt ? new Date(ev.dt).toLocaleString() : "");
  if (ev.dt) time.dateTime = String(ev.dt);
  when.append(time);
  tr.append(when);
  tr.append(el("td", String(pc.model_version ?? ""), "hide-narrow"));
  return tr;
}

let renderQueued = false;
function render() {
  renderQueued = false;
  const windowS = Number($("f-window").value);
  const since = windowS > 0 ? Date.now() - windowS * 1000 : -Infinity;
  const list = [...state.rows]
    .filter(([, ev]) => Date.parse(ev.meta?.dt ?? "") >= since || since === -Infinity)
    .sort(
      ([a, x], [b, y]) =>
        (y.predicted_classification?.probabilities?.true ?? 0) -
          (x.predicted_classification?.probabilities?.true ?? 0) || b - a,
    );
  // Keep the riskiest MAX_ROWS in memory.
  for (const [o] of list.slice(MAX_ROWS)) state.rows.delete(o);
  $("rows").tBodies[0].replaceChildren(...list.slice(0, SHOWN).map(([o, ev]) => row(o, ev)));
  $("empty").hidden = list.length > 0;
  $("updated").textContent = new Date().toLocaleTimeString();
}
const scheduleRender = () => {
  if (!renderQueued) {
    renderQueued = true;
    requestAnimationFrame(render);
  }
};

let generation = 0;
async function load() {
  const gen = ++generation;
  state.source?.close();
  const p = filters();
  p.set("limit", "200");
  const res = await fetch(`/v1/predictions/recent?${p}`);
  if (gen !== generation) return;
  if (!res.ok) {
    $("feed-state").textContent =
      res.status === 404 ? "feed: none in this deployment" : `feed: HTTP ${res.status}`;
    $("empty").hidden = false;
    return;
  }
  const body = await res.json();
  state.rows.clear();
  for (const r of body.predictions) state.rows.set(r.offset, r.event);
  state.firstPaintAt = performance.now();
  state.firstOffset = offsetOf(body.last_event_id);
  render();
  p.delete("limit");
  p.delete("since"); // the window applies to the table; new events are recent anyway
  p.set("last_event_id", body.last_event_id);
  const es = new EventSource(`/v1/stream/predictions?${p}`);
  state.source = es;
  es.addEventListener("open", () => {
    $("feed-state").textContent = "feed: live";
    $("feed-state").className = "badge ok";
  });
  es.addEventListener("message", (e) => {
    const offset = offsetOf(e.lastEventId);
    if (offset === undefined) return;
    state.seen.push(offset);
    const ev = JSON.parse(e.data);
    state.rows.set(offset, ev);
    offerWikis([ev]);
    scheduleRender();
  });
  es.addEventListener("error", () => {
    state.reconnects++;
    $("feed-state").textContent = "feed: reconnecting";
    $("feed-state").className = "badge warn";
  });
}

function reasonsTable(s) {
  const rows = [];
  for (const [outcome, by] of Object.entries(s.outcomes ?? {}))
    for (const [reason, n] of Object.entries(by))
      if (outcome !== "published") rows.push(["scorer", outcome, reason, n]);
  for (const [reason, n] of Object.entries(s.ingest?.skipped ?? {}))
    if (n) rows.push(["ingest", "skipped", reason, n]);
  if (s.ingest?.events.invalid) rows.push(["ingest", "invalid", "schema", s.ingest.events.invalid]);
  rows.sort((a, b) => b[3] - a[3]);
  const empty = el("tr");
  const none = el("td", "nothing skipped yet");
  none.colSpan = 4;
  empty.append(none);
  $("reasons").tBodies[0].replaceChildren(
    ...(rows.length
      ? rows.map(([stage, o, r, n]) => {
          const tr = el("tr");
          tr.dataset.key = `${stage}:${o}:${r}`;
          tr.append(el("td", stage), el("td", o), el("td", r), el("td", num(n), "num"));
          return tr;
        })
      : [empty]),
  );
}

let chart;
function drawChart(points) {
  if (!window.uPlot) return;
  const data = [points.map((p) => p[0]), points.map((p) => p[1])];
  const width = Math.max(240, $("chart").clientWidth);
  if (!chart) {
    chart = new window.uPlot(
      {
        width,
        height: 180,
        series: [{}, { label: "rev/s", stroke: "#36c", fill: "rgba(51,102,204,0.1)" }],
        axes: [{}, { label: "rev/s" }],
        legend: { show: false },
      },
      data,
      $("chart"),
    );
  } else {
    if (chart.width !== width) chart.setSize({ width, height: 180 });
    chart.setData(data);
  }
}

async function status() {
  try {
    const res = await fetch("/v1/status");
    const s = await res.json();
    state.status = s;
    const h = s.health ?? {};
    const badge = $("health");
    badge.textContent =
      h.status === "ok" ? "ready" : h.status === "starting" ? "warming up" : String(h.status);
    badge.className = `badge ${h.status === "ok" ? "ok" : h.status === "degraded" ? "bad" : "warn"}`;
    badge.title = h.warning ?? "";
    $("model").textContent = `${h.model?.name ?? ""} ${h.model?.version ?? ""} on ${h.provider ?? "?"}`;
    $("n-rate").textContent = num(s.rate);
    $("n-visible").textContent = num(s.backlog?.visible);
    $("n-inflight").textContent = num(s.backlog?.inFlight);
    $("n-dead").textContent = num(s.backlog?.dead);
    $("n-workers").textContent = num(s.workers);
    $("n-target").textContent = num(s.targetWorkers);
    $("n-published").textContent = num(s.published);
    $("n-skipped").textContent = num(s.skipped);
    $("n-retries").textContent = num(sum(s.outcomes?.retry));
    $("n-oldest").textContent = num(s.backlog?.oldestAgeS);
    $("n-p50").textContent = num(s.latencyMs?.p50);
    $("n-p99").textContent = num(s.latencyMs?.p99);
    reasonsTable(s);
    drawChart(s.throughput ?? []);
    $("updated").textContent = new Date().toLocaleTimeString();
  } catch {
    $("health").textContent = "unreachable";
    $("health").className = "badge bad";
  }
}

// The wiki filter offers every wiki seen so far (first listing and feed).
const wikisOffered = new Set();
function offerWikis(events) {
  const sel = $("f-wiki");
  for (const ev of events) {
    const w = ev.wiki_id;
    if (typeof w !== "string" || !w || wikisOffered.has(w)) continue;
    wikisOffered.add(w);
    const opt = el("option", w);
    opt.value = w;
    const after = [...sel.options].slice(1).find((o) => o.value > w);
    sel.insertBefore(opt, after ?? null);
  }
}

async function wikis() {
  const res = await fetch("/v1/predictions/recent?limit=500");
  if (res.ok) offerWikis((await res.json()).predictions.map((p) => p.event));
}

for (const id of ["f-wiki", "f-min", "f-window"]) $(id).addEventListener("change", () => void load());
$("filters").addEventListener("submit", (e) => e.preventDefault());
void wikis();
void load();
void status();
setInterval(() => void status(), 2000);
window.addEventListener("resize", () => drawChart(state.status?.throughput ?? []));
