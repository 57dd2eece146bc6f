// camera.js: a camera's live page. Keypoint events arrive over Server-Sent Events; each is drawn
// as a skeleton over the picture it was found in (GET /v1/cameras/{id}/frames/{seq}; a dark
// canvas of the frame's aspect ratio when the server does not keep that frame), with the frame
// rate and latencies. One picture is fetched at a time: events that arrive meanwhile are
// skipped but the newest, so a slow connection shows fewer frames, never older ones. Actions are
// listed newest first; window stats and the last minute's timings are charted; the page opens
// with the camera's recent actions and windows (GET /v1/cameras/{id}/recent); the counters come
// from GET /v1/cameras/{id} every few seconds.
//
// Test hooks: #live has data-connected ("true" while the stream is open), data-events (the
// keypoint events received), data-pictures (the frames drawn under a skeleton) and data-seq (the
// seq of the event on the canvas, whose picture it shows when data-picture is "true"); #actions
// has one <li data-kind> per action; #window-stats has data-windows.

import { api, fmtMs, fmtTime, showInfo, withToken } from "/ui/api.js";
import { chart } from "/ui/chart.js";
import { drawPeople, loadSkeleton } from "/ui/draw.js";

const $ = (id) => document.getElementById(id);
const camera = decodeURIComponent(location.pathname.slice("/cameras/".length));
const path = "/v1/cameras/" + encodeURIComponent(camera);
const canvas = $("live");
const ctx = canvas.getContext("2d");
const SPAN = 60_000; // the timing charts show the last minute
const MAX_ACTIONS = 50;
const MAX_WINDOWS = 30;

const frames = []; // {at: arrival ms, processing, latency, age} over the last SPAN
const windows = []; // the last MAX_WINDOWS stats events
let skeleton = null;
let received = 0;
let pictures = 0;
let fetching = false; // a picture is on its way
let waiting = null; // the newest event that came meanwhile

$("camera-id").textContent = camera;
document.title = "holostream: " + camera;

// time parses an event's timestamp; null for a missing one (Go's zero time).
const time = (s) => {
  const t = Date.parse(s);
  return t > 0 ? t : null;
};

function onKeypoints(ev) {
  const now = Date.now();
  const captured = time(ev.captured_at);
  const processed = time(ev.processed_at);
  frames.push({
    at: now,
    processing: ev.processing_ms,
    latency: captured && processed ? processed - captured : null,
    age: captured ? now - captured : null,
  });

  canvas.dataset.events = ++received;
  if (fetching) {
    waiting = ev;
  } else {
    show(ev);
  }

  const last = frames[frames.length - 1];
  const fps = frames.filter((f) => f.at > now - 2000).length / 2;
  $("frame").textContent = `seq ${ev.seq} · ${ev.status} · ${fps.toFixed(1)} fps · ` +
    `processing ${fmtMs(ev.processing_ms)} · capture→keypoints ${fmtMs(last.latency)} · ` +
    `capture→here ${fmtMs(last.age)} · ${ev.model}${ev.detector_ran ? " (detector ran)" : ""} · user ${ev.user_id}`;
}

// show draws ev over its picture once the picture is here, then the newest event that came
// meanwhile.
async function show(ev) {
  fetching = true;
  let picture = null;
  try {
    const res = await api(`${path}/frames/${ev.seq}`, { raw: true });
    picture = await createImageBitmap(await res.blob());
  } catch {
    // Not kept (404), or no Kafka: the skeleton alone, on the dark canvas.
  }
  paint(ev, picture);
  fetching = false;
  if (waiting) {
    const next = waiting;
    waiting = null;
    show(next);
  }
}

function paint(ev, picture) {
  // 640 px wide, as tall as the frame's aspect ratio says (resizing clears the canvas).
  const height = ev.width > 0 && ev.height > 0 ? Math.round((640 * ev.height) / ev.width) : 480;
  if (canvas.height !== height) canvas.height = height;
  if (picture) {
    ctx.drawImage(picture, 0, 0, canvas.width, canvas.height);
    picture.close();
    canvas.dataset.pictures = ++pictures;
  } else {
    ctx.fillStyle = "#15181c";
    ctx.fillRect(0, 0, canvas.width, canvas.height);
  }
  if (ev.pose || ev.people?.length) {
    const drawn = drawPeople(ctx, skeleton, ev, canvas.width, canvas.height);
    canvas.dataset.people = drawn.people;
  } else {
    ctx.fillStyle = "#8a8f98";
    ctx.font = "16px system-ui, sans-serif";
    ctx.fillText("no person", 12, 26);
  }
  canvas.dataset.seq = ev.seq;
  canvas.dataset.picture = picture != null;
}

// history shows the camera's recent actions and windows, kept by the server, before the live ones.
async function history() {
  try {
    const h = await api(path + "/recent");
    h.actions.forEach(onAction);
    h.windows.forEach(onStats);
  } catch {
    // A server without Kafka keeps none: the live events fill the page.
  }
}

function onAction(ev) {
  const li = document.createElement("li");
  li.dataset.kind = ev.kind;
  const what = {
    POSTURE_CHANGED: `${ev.previous_posture} → ${ev.posture}`,
    REP: `${ev.exercise} #${ev.rep_count}`,
    FALL: `now ${ev.posture}`,
  }[ev.kind] ?? ev.posture;
  li.append(
    Object.assign(document.createElement("time"), { textContent: fmtTime(time(ev.at) ?? Date.now()) }),
    Object.assign(document.createElement("b"), { textContent: ev.kind }),
    ` ${what} · seq ${ev.seq} · confidence ${(ev.confidence ?? 0).toFixed(2)}`,
  );
  const list = $("actions");
  list.prepend(li);
  while (list.children.length > MAX_ACTIONS) list.lastChild.remove();
  list.dataset.count = list.children.length;
}

function onStats(ev) {
  windows.push(ev);
  if (windows.length > MAX_WINDOWS) windows.shift();
  const entries = (o, fmt) => Object.entries(o || {}).map(([k, v]) => `${k.toLowerCase()} ${fmt(v)}`).join(", ") || "–";
  const rows = {
    window: `${fmtTime(time(ev.window_start))} – ${fmtTime(time(ev.window_end))}`,
    frames: `${ev.frames} (${ev.detected} with a person, ${(100 * ev.detection_rate).toFixed(0)} %)`,
    "motion energy": ev.motion_energy.toFixed(4),
    postures: entries(ev.posture_seconds, (s) => s.toFixed(1) + " s"),
    reps: entries(ev.reps, String),
    falls: ev.falls,
    "mean angles": entries(ev.mean_angles, (d) => d.toFixed(0) + "°"),
    "late events": ev.late_events,
  };
  $("window-stats").replaceChildren(...definitions(rows));
  $("window-stats").dataset.windows = windows.length;
  drawCharts();
}

// definitions turns {term: value} into <dt>/<dd> pairs.
function definitions(rows) {
  return Object.entries(rows).flatMap(([k, v]) => [
    Object.assign(document.createElement("dt"), { textContent: k.replaceAll("_", " ") }),
    Object.assign(document.createElement("dd"), { textContent: v }),
  ]);
}

function drawCharts() {
  const now = Date.now();
  while (frames.length && frames[0].at < now - SPAN) frames.shift();
  const series = (key) => frames.filter((f) => f[key] != null).map((f) => ({ x: f.at, y: f[key] }));
  const ms = (v) => fmtMs(v);
  chart($("chart-processing"), series("processing"), { x0: now - SPAN, x1: now, unit: ms });
  chart($("chart-latency"), series("latency"), { x0: now - SPAN, x1: now, unit: ms, colour: "rgb(200,110,0)" });
  const perWindow = (key) => windows.map((w, i) => ({ x: i, y: w[key] }));
  const pct = (v) => (100 * v).toFixed(0) + " %";
  const bars = { bars: true, slots: MAX_WINDOWS };
  chart($("chart-detection"), perWindow("detection_rate"), { ...bars, max: 1, unit: pct, colour: "rgb(40,160,90)" });
  chart($("chart-motion"), perWindow("motion_energy"), { ...bars, unit: (v) => v.toFixed(3), colour: "rgb(130,90,200)" });
}

// The event stream. EventSource retries by itself after a dropped connection, but gives up on
// an error answer (401, 503, ...) without saying which: then ask the URL with fetch to learn the
// API's message (and the token, on 401), and reconnect.
function connect() {
  const source = new EventSource(withToken(path + "/events"));
  source.onopen = () => connected(true, "live");
  source.onerror = () => {
    connected(false, "reconnecting…");
    if (source.readyState === EventSource.CLOSED) whyClosed();
  };
  source.addEventListener("keypoints", (e) => onKeypoints(JSON.parse(e.data)));
  source.addEventListener("action", (e) => onAction(JSON.parse(e.data)));
  source.addEventListener("stats", (e) => onStats(JSON.parse(e.data)));
}

async function whyClosed() {
  const probe = new AbortController();
  try {
    await api(path + "/events", { raw: true, signal: probe.signal });
    probe.abort(); // it answers now: only the status was wanted
  } catch (err) {
    connected(false, err.message);
    if (err.status === 401 || err.status === 400) return; // no token given, or no such camera id
  }
  setTimeout(connect, 3000);
}

function connected(open, text) {
  canvas.dataset.connected = open;
  const pill = $("conn");
  pill.textContent = text;
  pill.classList.toggle("ok", open);
}

// The counters, every few seconds. 404: the landmarks table has no row for the camera yet.
async function counters(info) {
  const status = $("counters-status");
  if (info && !info.cameras) {
    status.textContent = "This server does not read the landmarks table (no Kafka): no counters to show.";
    return;
  }
  try {
    const c = await api(path);
    status.textContent = "";
    $("counters").replaceChildren(...definitions({
      "last seq": c.last_seq, "last frame": new Date(c.last_captured_at).toLocaleTimeString(),
      tracking: c.tracking ? "yes" : "no", ...c.counters, balanced: c.balanced ? "yes" : "no",
    }));
  } catch (err) {
    status.textContent = err.status === 404 ? "No frame of this camera has been processed yet." : err.message;
    if (err.status === 401) return;
  }
  setTimeout(() => counters(info), 3000);
}

const info = await showInfo(); // first, so that a token is asked for once, before the rest
counters(info);
if (info && !info.events) {
  connected(false, "no live events: this server does not follow the output topics (no Kafka)");
} else {
  try {
    skeleton = await loadSkeleton();
    await history();
    connect();
  } catch (err) {
    connected(false, err.message);
  }
}
drawCharts();
setInterval(drawCharts, 1000);
