// The wallet page: screens and the citizen's answers. All wallet work
// (network, storage, proving) happens in the worker (worker.js).
"use strict";
const $ = (id) => document.getElementById(id);
const worker = new Worker("worker.js");
const pending = new Map();
let seq = 0;
function call(op, ...args) {
  return new Promise((resolve, reject) => {
    const id = ++seq;
    pending.set(id, { resolve, reject });
    worker.postMessage({ id, op, args });
  });
}
window.zkcredWalletCall = call; // for tests and measurements

let consentResolve = null;
worker.onmessage = (ev) => {
  const m = ev.data;
  if (m.id && pending.has(m.id)) {
    const p = pending.get(m.id);
    pending.delete(m.id);
    m.error !== undefined ? p.reject(new Error(m.error)) : p.resolve(m.result);
    return;
  }
  switch (m.type) {
    case "progress": showProgress(m); break;
    case "changed": refresh(); break;
    case "consent": showConsent(m.id, m.consent); break;
    case "proving": show("screen-proving"); startTimer(); break;
    case "fatal": $("status").textContent = m.error; $("progress").hidden = true; break;
  }
};

function showProgress(m) {
  const mb = (n) => (n / 1048576).toFixed(1) + " MB";
  let text = m.text;
  if (m.total && m.loaded < m.total) text += " (" + mb(m.loaded) + " of " + mb(m.total) + ")";
  $("status").textContent = text;
  const bar = $("progress");
  if (m.stage === "keys" && m.text === "Ready") {
    bar.hidden = true;
    $("status").textContent = "Ready.";
    document.body.dataset.keys = "ready";
    return;
  }
  bar.hidden = false;
  if (m.total) { bar.max = m.total; bar.value = m.loaded; } else { bar.removeAttribute("value"); }
}

const screens = ["screen-home", "screen-receive", "screen-request", "screen-scan", "screen-consent", "screen-proving", "screen-outcome"];
function show(id) {
  if (id !== "screen-scan") stopScan();
  for (const s of screens) $(s).hidden = s !== id;
  document.body.dataset.screen = id;
}

function li(text, cls) {
  const e = document.createElement("li");
  e.textContent = text;
  if (cls) e.className = cls;
  return e;
}
function fill(ul, items) {
  ul.replaceChildren(...items.map((t) => li(t)));
  return items.length > 0;
}

async function refresh() {
  let list;
  try { list = await call("list"); } catch (e) { return; }
  const ul = $("credential-list");
  if (!list.length) { ul.replaceChildren(li("No credentials yet.", "empty")); return; }
  ul.replaceChildren(...list.map((c) => {
    const e = document.createElement("li");
    e.className = "credential" + (c.revoked ? " revoked" : "") + (c.expired ? " expired" : "") + (c.warning ? " warning" : "");
    e.dataset.id = c.id;
    const t = document.createElement("div"); t.className = "type"; t.textContent = c.type;
    const i = document.createElement("div"); i.textContent = "Issued by " + c.issuer;
    const s = document.createElement("div"); s.className = "state"; s.textContent = c.status;
    const a = document.createElement("div"); a.className = "attrs";
    a.textContent = Object.keys(c.attributes).sort().map((k) => k + ": " + c.attributes[k]).join(" · ");
    e.append(t, i, s, a);
    return e;
  }));
  document.body.dataset.credentials = String(list.length);
}

// --- receive --------------------------------------------------------------------
let offerID = null;
$("go-receive").onclick = () => { show("screen-receive"); $("offer-details").hidden = true; $("receive-message").textContent = ""; };
$("offer-continue").onclick = async () => {
  const msg = $("receive-message");
  msg.className = "message"; msg.textContent = "Contacting the agency…";
  $("offer-continue").disabled = true;
  try {
    const r = await call("offer", $("offer-input").value);
    if (r.error) { msg.textContent = r.error; return; }
    offerID = r.id;
    const i = r.info;
    $("offer-summary").textContent = i.issuer + " offers you: " + i.credential + ".";
    $("pin-label").hidden = $("pin-input").hidden = !i.needsPin;
    if (i.needsPin) {
      $("pin-label").textContent = (i.pinHint || "The PIN the agency sent you separately") + (i.pinLength ? " (" + i.pinLength + (i.pinNumeric ? " digits)" : " characters)") : "");
      $("pin-input").inputMode = i.pinNumeric ? "numeric" : "text";
    }
    $("offer-details").hidden = false;
    msg.textContent = "";
  } catch (e) { msg.textContent = "The wallet is not ready yet. Wait a moment and retry."; }
  finally { $("offer-continue").disabled = false; }
};
$("receive-button").onclick = async () => {
  const msg = $("receive-message");
  msg.className = "message"; msg.textContent = "Receiving…";
  $("receive-button").disabled = true;
  try {
    const r = await call("receive", offerID, $("pin-input").value.trim());
    if (r.error) { msg.textContent = r.error; return; }
    msg.className = "message ok"; msg.textContent = "Received and stored in this browser.";
    $("offer-input").value = ""; $("pin-input").value = "";
    await refresh();
    show("screen-home");
  } catch (e) { msg.textContent = "The wallet could not receive this credential."; }
  finally { $("receive-button").disabled = false; }
};

// --- present ----------------------------------------------------------------------
$("go-request").onclick = () => { show("screen-request"); $("request-message").textContent = ""; };
$("request-continue").onclick = async () => {
  const msg = $("request-message");
  msg.textContent = "Reading the request…";
  $("request-continue").disabled = true;
  try {
    const out = await call("present", $("request-input").value);
    showOutcome(out);
  } catch (e) {
    showOutcome({ status: "error", title: "Something went wrong", message: "The wallet could not answer this request. Nothing was sent.", sent: false });
  } finally { $("request-continue").disabled = false; msg.textContent = ""; }
};

// --- scan ------------------------------------------------------------------------
// Camera frames (or a photo) are drawn on a canvas and read by the worker
// (core.DecodeQR); nothing leaves the device. An offer opens the receive
// screen, a request the consent screen, as if the link had been pasted.
let scanStream = null, scanTimer = null, scanBusy = false, scanAttempt = 0;
const scanCanvas = document.createElement("canvas");
$("go-scan").onclick = async () => {
  show("screen-scan");
  const attempt = ++scanAttempt; // a photo chosen meanwhile takes over
  const msg = $("scan-message");
  msg.className = "message";
  if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
    msg.textContent = "This browser cannot use a camera here. Choose a photo, or paste the link.";
    return;
  }
  msg.textContent = "Starting the camera…";
  let stream;
  try {
    stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false });
    if (attempt !== scanAttempt || document.body.dataset.screen !== "screen-scan") { for (const t of stream.getTracks()) t.stop(); return; }
    stopScan(); // a camera of an earlier attempt, if any
    scanStream = stream;
  } catch (e) {
    if (attempt === scanAttempt) msg.textContent = "The camera is not available (no permission, or no camera). Choose a photo, or paste the link.";
    return;
  }
  const v = $("scan-video");
  v.srcObject = scanStream;
  await v.play().catch(() => {});
  // Left the screen, or chose a photo, while the video started: stopScan
  // already ran (it stopped the camera), and a timer started now would
  // outlive it.
  if (attempt !== scanAttempt || scanStream !== stream || document.body.dataset.screen !== "screen-scan") return;
  msg.textContent = "Looking for a QR code…";
  clearInterval(scanTimer);
  scanTimer = setInterval(() => { if (v.readyState >= 2) scanImage(v, v.videoWidth, v.videoHeight); }, 300);
};
function stopScan() {
  clearInterval(scanTimer);
  scanTimer = null;
  if (scanStream) for (const t of scanStream.getTracks()) t.stop();
  scanStream = null;
  if ($("scan-video")) $("scan-video").srcObject = null;
}
// scanImage reads one picture; it returns true when it held a link of ours.
async function scanImage(src, w, h) {
  if (scanBusy || !w || !h) return false;
  scanBusy = true;
  try {
    const k = Math.min(1, 1024 / Math.max(w, h));
    scanCanvas.width = Math.max(1, Math.round(w * k));
    scanCanvas.height = Math.max(1, Math.round(h * k));
    const ctx = scanCanvas.getContext("2d", { willReadFrequently: true });
    ctx.drawImage(src, 0, 0, scanCanvas.width, scanCanvas.height);
    const d = ctx.getImageData(0, 0, scanCanvas.width, scanCanvas.height);
    const text = await call("scanQR", d.width, d.height, new Uint8Array(d.data.buffer));
    return text ? useScanned(text) : false;
  } catch (e) {
    console.warn("scan:", e);
    return false;
  } finally { scanBusy = false; }
}
function useScanned(text) {
  if (document.body.dataset.screen !== "screen-scan") return false;
  if (text.startsWith("openid-credential-offer:")) {
    $("go-receive").onclick();
    $("offer-input").value = text;
    $("offer-continue").onclick();
    return true;
  }
  if (text.startsWith("openid4vp:")) {
    $("go-request").onclick();
    $("request-input").value = text;
    $("request-continue").onclick();
    return true;
  }
  $("scan-message").textContent = "This QR code is not a credential offer or a request. Keep looking, or go back.";
  return false;
}
$("scan-file").onchange = async () => {
  const f = $("scan-file").files[0];
  $("scan-file").value = "";
  if (!f) return;
  scanAttempt++;
  stopScan();
  const msg = $("scan-message");
  msg.textContent = "Reading the photo…";
  let bmp;
  try { bmp = await createImageBitmap(f); } catch (e) { msg.textContent = "This file is not a picture the wallet can read."; return; }
  // A camera frame still being read (the worker may be busy with the
  // module's start, or a hard picture): the photo waits its turn.
  for (let i = 0; scanBusy && i < 600; i++) await new Promise((r) => setTimeout(r, 100));
  if (scanBusy) { msg.textContent = "The wallet is busy. Try the photo again in a moment."; bmp.close(); return; }
  if (!(await scanImage(bmp, bmp.width, bmp.height)) && document.body.dataset.screen === "screen-scan") {
    if (!msg.textContent.startsWith("This QR code")) msg.textContent = "No QR code found in this photo. Try a sharper one, or paste the link.";
  }
  bmp.close();
};

// A hidden page does not film: the camera stops, and starts again when
// the page is shown on the scan screen.
document.addEventListener("visibilitychange", () => {
  if (document.body.dataset.screen !== "screen-scan") return;
  if (document.hidden) { scanAttempt++; stopScan(); }
  else if (!scanStream) $("go-scan").onclick();
});

function showConsent(id, c) {
  $("consent-who").textContent = c.verifier + " asks you to prove:";
  fill($("consent-proven"), c.proven || []);
  $("consent-disclosed-box").hidden = !fill($("consent-disclosed"), (c.disclosed || []).map((a) => "your " + a));
  $("consent-signed-box").hidden = !fill($("consent-signed"), c.signed || []);
  $("consent-once-box").hidden = !fill($("consent-once"), (c.oncePer || []).map((s) => "You can answer only once in \u201c" + s + "\u201d; your answers elsewhere cannot be linked to it."));
  fill($("consent-hidden"), (c.hidden || []).map((a) => "your " + a));
  $("consent-credential").textContent = c.credential;
  $("consent-to").textContent = c.responseTo;
  consentResolve = (yes) => call("consent", id, yes);
  show("screen-consent");
}
$("consent-accept").onclick = () => { if (consentResolve) consentResolve(true); consentResolve = null; };
$("consent-decline").onclick = () => { if (consentResolve) consentResolve(false); consentResolve = null; };

let timer = null;
function startTimer() {
  const t0 = Date.now();
  clearInterval(timer);
  timer = setInterval(() => {
    $("proving-status").textContent = "Proving on this device… " + ((Date.now() - t0) / 1000).toFixed(0) + " s. Nothing leaves it until the proof is ready.";
  }, 500);
}

function showOutcome(o) {
  clearInterval(timer);
  const s = $("screen-outcome");
  s.className = "screen " + o.status;
  s.dataset.status = o.status;
  $("outcome-title").textContent = o.title;
  $("outcome-message").textContent = o.message;
  fill($("outcome-shown"), Object.entries(o.shown || {}).map(([k, v]) => "They saw your " + k + ": " + v));
  $("outcome-sent").textContent = o.sent ? "Your proof was sent to the verifier." : "";
  show("screen-outcome");
}

for (const b of document.querySelectorAll("button.back, button.home")) b.onclick = () => { show("screen-home"); refresh(); };

// A link opened with the offer or request in the fragment:
// https://wallet.example/#openid-credential-offer://?... or #openid4vp://?...
function fromFragment() {
  let f;
  try { f = decodeURIComponent(location.hash.slice(1)); } catch (e) { return; } // "#%": not a link of ours, and no reason to stop the page
  if (f.startsWith("openid-credential-offer:")) { show("screen-receive"); $("offer-input").value = f; }
  else if (f.startsWith("openid4vp:")) { show("screen-request"); $("request-input").value = f; }
}
show("screen-home");
fromFragment();
refresh();
