// api.js: how the pages talk to the gateway's /v1/ API.
//
// Every call goes through api(), which sends the bearer token when there is one, turns error
// answers ({"error": "...", "code": "..."}) into an ApiError carrying that message, and on 401
// asks the user for the token (one form, shared by every call waiting on it), keeps it in
// localStorage and retries.

const TOKEN_KEY = "holostream.token";

// ApiError is a failed call: the HTTP status, the API's error code and its message.
export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

export function token() {
  return localStorage.getItem(TOKEN_KEY) || "";
}

// api fetches path and returns its JSON body (or, with init.raw, the Response unread: for
// streams). It throws an ApiError for every answer but 2xx.
export async function api(path, init = {}) {
  for (;;) {
    const sent = token();
    const headers = new Headers(init.headers);
    if (sent) headers.set("Authorization", "Bearer " + sent);
    let res;
    try {
      res = await fetch(path, { ...init, headers });
    } catch (err) {
      if (err.name === "AbortError") throw err;
      throw new ApiError(0, "NETWORK", "the server cannot be reached: " + err.message);
    }
    if (res.ok) return init.raw ? res : res.json();
    const err = await readError(res);
    if (res.status !== 401) throw err;
    // Another call may have got the token while this one was on its way: just retry.
    if (token() === sent) await askToken((sent ? "The server refused that token: " : "This server needs an access token: ") + err.message);
  }
}

// readError makes an ApiError from an error answer, JSON or not (a proxy's HTML page, say).
async function readError(res) {
  const text = await res.text().catch(() => "");
  try {
    const body = JSON.parse(text);
    if (body && typeof body.error === "string") return new ApiError(res.status, body.code || "", body.error);
  } catch {}
  return new ApiError(res.status, "", `${res.status} ${res.statusText}${text ? ": " + text.slice(0, 200) : ""}`);
}

// withToken adds the token to a URL as ?access_token=, for EventSource, which cannot send headers.
export function withToken(path) {
  const t = token();
  return t ? path + (path.includes("?") ? "&" : "?") + "access_token=" + encodeURIComponent(t) : path;
}

let asking = null; // the open token form's promise, shared by the calls waiting on it
let declined = false; // the user cancelled the form: do not ask again until the page reloads

// askToken shows the token form and resolves once a token is saved; it rejects if the user
// cancels.
function askToken(message) {
  if (declined) return Promise.reject(new ApiError(401, "UNAUTHORIZED", message + " (reload the page to enter a token)"));
  asking ??= new Promise((resolve, reject) => {
    const dialog = tokenDialog();
    dialog.querySelector("#token-message").textContent = message;
    dialog.querySelector("#token-input").value = "";
    dialog.addEventListener("close", () => {
      const value = dialog.querySelector("#token-input").value.trim();
      if (dialog.returnValue === "ok" && value) {
        localStorage.setItem(TOKEN_KEY, value);
        resolve();
      } else {
        declined = true;
        reject(new ApiError(401, "UNAUTHORIZED", message + " (reload the page to enter a token)"));
      }
    }, { once: true });
    dialog.showModal();
  }).finally(() => { asking = null; });
  return asking;
}

function tokenDialog() {
  let dialog = document.getElementById("token-dialog");
  if (dialog) return dialog;
  dialog = document.createElement("dialog");
  dialog.id = "token-dialog";
  dialog.innerHTML = `<form method="dialog">
      <h2>Access token</h2>
      <p id="token-message"></p>
      <label>Token <input id="token-input" type="password" autocomplete="off" required></label>
      <p class="hint">It stays in this browser (localStorage) and goes with every API call.</p>
      <div class="buttons"><button value="cancel" formnovalidate>Cancel</button>
        <button id="token-submit" value="ok">Use this token</button></div>
    </form>`;
  document.body.append(dialog);
  return dialog;
}

// showInfo puts the server's model and version in the header's #info, discreetly, and returns
// GET /v1/info's answer (null when it failed).
export async function showInfo() {
  const el = document.getElementById("info");
  try {
    const info = await api("/v1/info");
    el.textContent = `${info.model || "no model"} · ${info.version || "dev"}`;
    el.title = ["infer", "frames", "cameras", "events"].map((k) => `${k}: ${info[k] ? "yes" : "no"}`).join(", ");
    return info;
  } catch (err) {
    el.textContent = "server info unavailable";
    el.title = err.message;
    return null;
  }
}

// The small formatting helpers the pages share.
export const fmtMs = (ms) => (ms == null || !isFinite(ms) ? "–" : ms < 1000 ? ms.toFixed(1) + " ms" : (ms / 1000).toFixed(2) + " s");
export const fmtTime = (t) => new Date(t).toLocaleTimeString([], { hour12: false }) + "." + String(new Date(t).getMilliseconds()).padStart(3, "0");
