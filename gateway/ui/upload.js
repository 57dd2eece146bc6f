// upload.js: the upload page. A photo picked or dropped goes to POST /v1/infer; the answer's
// landmarks are drawn over the photo on #photo, and the JSON is shown beside it. Below, the
// cameras the server knows (GET /v1/cameras), refreshed every few seconds.
//
// Test hooks on #photo: data-state is "busy", "drawn" or "error"; data-joints counts the pose
// joints drawn, data-hands the hand joints, data-face the face points, data-people the people
// and data-ids their ids (a server with --max-people above 1 answers with every person).

import { api, fmtMs, showInfo } from "/ui/api.js";
import { drawPeople, loadSkeleton } from "/ui/draw.js";

const $ = (id) => document.getElementById(id);
const canvas = $("photo");
let latest = 0; // the newest upload: an older answer arriving late is dropped

async function upload(file) {
  const mine = ++latest;
  setState("busy", `Finding landmarks in ${file.name}…`);
  const form = new FormData();
  form.append("image", file, file.name);
  try {
    const [out, sk] = await Promise.all([api("/v1/infer", { method: "POST", body: form }), loadSkeleton()]);
    const bitmap = await createImageBitmap(file);
    if (mine !== latest) return;
    // The landmarks are relative to the image as the server decoded it: draw it at that aspect
    // ratio, a small one enlarged (up to 2x, to about 720 px wide) so the skeleton stays legible.
    const scale = Math.min(2, Math.max(1, 720 / out.width));
    canvas.width = Math.round(out.width * scale);
    canvas.height = Math.round(out.height * scale);
    const ctx = canvas.getContext("2d");
    ctx.drawImage(bitmap, 0, 0, canvas.width, canvas.height);
    const drawn = drawPeople(ctx, sk, out, canvas.width, canvas.height);
    // Indented, but each landmark (an object of numbers only) on one line.
    $("json").textContent = JSON.stringify(out, null, 2).replace(/\{[^{}[\]]*\}/g, (m) => m.replace(/\s+/g, " "));
    $("json-box").hidden = false;
    Object.assign(canvas.dataset, { joints: drawn.joints, hands: drawn.hands, face: drawn.face, irises: drawn.irises,
      people: drawn.people, ids: drawn.ids.join(",") });
    let msg = out.pose ? `${drawn.visible} of ${out.pose.landmarks.length} landmarks visible` : "No person found";
    if (Array.isArray(out.people) && out.people.length) {
      msg = `${out.people.length} ${out.people.length === 1 ? "person" : "people"}, ${drawn.visible} landmarks visible`;
    }
    if (drawn.face) msg += `, face ${drawn.face} points`;
    if (drawn.irises) msg += ` with ${drawn.irises} irises`;
    if (drawn.hands) msg += `, hands ${drawn.hands} points`;
    msg += `, ${fmtMs(out.timings_ms?.total)} (${out.model}, ${out.width}×${out.height})`;
    if (bitmap.width !== out.width || bitmap.height !== out.height) {
      msg += `. Note: the browser shows this photo at ${bitmap.width}×${bitmap.height}, the server read it at ${out.width}×${out.height} (their EXIF orientation handling differs).`;
    }
    setState("drawn", msg + ".");
  } catch (err) {
    if (mine !== latest) return;
    $("json-box").hidden = true;
    canvas.width = canvas.height = 0; // no stale picture beside the error
    canvas.dataset.joints = 0;
    setState("error", err.message);
  }
}

function setState(state, message) {
  canvas.dataset.state = state;
  const status = $("status");
  status.textContent = message;
  status.classList.toggle("error", state === "error");
  canvas.classList.toggle("dim", state === "busy");
}

// The file input, and drag and drop onto the drop zone.
$("file").addEventListener("change", (e) => e.target.files[0] && upload(e.target.files[0]));
const drop = $("drop");
drop.addEventListener("dragover", (e) => {
  e.preventDefault();
  drop.classList.add("over");
});
drop.addEventListener("dragleave", () => drop.classList.remove("over"));
drop.addEventListener("drop", (e) => {
  e.preventDefault();
  drop.classList.remove("over");
  if (e.dataTransfer.files[0]) upload(e.dataTransfer.files[0]);
});

// The cameras list, refreshed every few seconds. A server without Kafka has none: say so once.
async function cameras(info) {
  const status = $("cameras-status");
  if (info && !info.cameras) {
    status.textContent = "This server is not connected to Kafka, so it has no cameras to show. Photo upload works without it.";
    return;
  }
  try {
    const { cameras } = await api("/v1/cameras");
    const rows = cameras.map((c) => {
      const link = Object.assign(document.createElement("a"), { href: "/cameras/" + encodeURIComponent(c.camera_id), textContent: c.camera_id });
      const cells = [link, c.last_seq, new Date(c.last_captured_at).toLocaleString(), c.tracking ? "yes" : "no",
        c.counters.received, c.counters.emitted, c.counters.detected, c.counters.dead_lettered, c.balanced ? "yes" : "no"];
      const tr = document.createElement("tr");
      for (const v of cells) tr.insertCell().append(v);
      return tr;
    });
    document.querySelector("#camera-table tbody").replaceChildren(...rows);
    $("camera-table").hidden = !rows.length;
    status.textContent = rows.length ? "" : "No camera has sent a frame yet.";
    status.classList.remove("error");
  } catch (err) {
    status.textContent = err.message;
    status.classList.add("error");
    if (err.status === 401) return; // the user declined to give a token
  }
  setTimeout(cameras, 5000);
}

showInfo().then(cameras);
