// The wallet's Web Worker: it runs the Go WebAssembly module (proving
// takes seconds; the page stays responsive), keeps the wallet's data in
// IndexedDB, and answers the page's messages {id, op, args} with
// {id, result} or {id, error}. It posts {type: "progress", ...} while the
// module and the keys load and {type: "consent", id, consent} when a
// request needs the citizen's answer.
"use strict";
importScripts("wasm_exec.js");

const post = (m) => self.postMessage(m);
const progress = (stage, text, loaded, total) => post({ type: "progress", stage, text, loaded: loaded || 0, total: total || 0 });
const timings = {};

// --- IndexedDB: one object store, "kv" -------------------------------------
let dbp = null;
function db() {
  if (!dbp) {
    dbp = new Promise((resolve, reject) => {
      const r = indexedDB.open("zkcred-wallet", 1);
      r.onupgradeneeded = () => r.result.createObjectStore("kv");
      r.onsuccess = () => resolve(r.result);
      r.onerror = () => reject(r.error);
    });
  }
  return dbp;
}
async function kv(mode, fn) {
  const d = await db();
  return new Promise((resolve, reject) => {
    const tx = d.transaction("kv", mode);
    const req = fn(tx.objectStore("kv"));
    // Resolve on commit: a write is durable when the promise resolves.
    tx.oncomplete = () => resolve(req ? req.result : undefined);
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error);
  });
}
const get = (k) => kv("readonly", (s) => s.get(k));
const put = (k, v) => kv("readwrite", (s) => s.put(v, k));

// --- fetch with progress ----------------------------------------------------
async function fetchBytes(url, stage, text) {
  const resp = await fetch(url, { credentials: "omit" });
  if (!resp.ok) throw new Error(url + ": " + resp.status);
  const total = Number(resp.headers.get("Content-Length")) || 0;
  const reader = resp.body.getReader();
  const parts = [];
  let loaded = 0, last = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    parts.push(value);
    loaded += value.length;
    if (loaded - last > 256 * 1024) { last = loaded; progress(stage, text, loaded, total); }
  }
  const out = new Uint8Array(loaded);
  let off = 0;
  for (const p of parts) { out.set(p, off); off += p.length; }
  progress(stage, text, loaded, loaded);
  return out;
}

// --- start ------------------------------------------------------------------
let config = null;
let W = null; // globalThis.zkcredWallet once the module runs
let wasmMemory = null; // the module's memory (Go's heap never shrinks: its size is the peak)
const ready = start();

async function start() {
  const t0 = performance.now();
  config = await (await fetch("config.json", { credentials: "omit", cache: "no-store" })).json();
  const wasm = await fetchBytes("wallet.wasm", "module", "Downloading the wallet");
  timings.moduleBytes = wasm.length;
  progress("module", "Starting the wallet", 1, 1);
  const go = new Go();
  if (config.gogc > 0) go.env = { GOGC: String(config.gogc) };
  const { module, instance } = await WebAssembly.instantiate(wasm, go.importObject);
  wasmMemory = instance.exports.mem;
  go.run(instance);
  startHelper(module);
  for (let i = 0; !self.zkcredWallet; i++) {
    if (i > 500) throw new Error("the wallet module did not start");
    await new Promise((r) => setTimeout(r, 10));
  }
  W = self.zkcredWallet;
  timings.moduleStartMs = performance.now() - t0;
  await W.init(JSON.stringify({ insecureLocal: !!config.insecureLocal, keysSha256: config.keysSha256, fingerprint: config.fingerprint,
    witnesses: config.witnesses || [], quorum: config.quorum || 0 }));
  let secret = await get("secret");
  if (!secret) {
    secret = await W.newSecret();
    await put("secret", secret);
  }
  await W.setSecret(secret);
  for (const e of (await get("credentials")) || []) await W.addEntry(e);
  // Each issuer's last accepted checkpoint (with witnesses), the revoked
  // ids up to it, the hash tiles and subtree roots kept: the next sync
  // downloads only what is new.
  for (const [url, d] of Object.entries((await get("issuers")) || {})) {
    try { await W.addIssuerData(d, (await get("ids:" + url)) || new Uint8Array(0), (await get("tiles:" + url)) || new Uint8Array(0),
      (await get("roots:" + url)) || null); }
    catch (e) { console.warn("stored revocation data of " + url + " not used:", e); /* the next sync starts over */ }
  }
  progress("data", "Your credentials are loaded", 1, 1);
  return true;
}

// --- the proving helper (helper.js) -----------------------------------------
// A second worker, another instance of the module, computes about half of
// each proof (zkp.ProveSplit) on another core. Proving is enabled in
// split form only once the helper holds the current keys' helper key; if
// it fails or stops, proofs are made on this worker alone (slower, never
// lost: zkp.Keys.WithSplit).
let helper = null;
let helperReady = false; // the helper holds the current keys' helper key
let helperSeq = 0;
// The number of the last helper key sent: a keyReady for an earlier one
// (the helper still taking the keys of before a reload) enables nothing.
let helperKeyGen = 0;
const helperCalls = new Map();
// Settles when the helper holds the current keys' helper key, or gives up.
let helperSettled = Promise.resolve();
let settleHelper = () => {};
function armHelper() {
  helperSettled = new Promise((r) => { settleHelper = r; });
}

function startHelper(module) {
  if (typeof Worker === "undefined") return; // no nested workers here: one thread
  // One core: a second worker would only take turns with this one.
  if (navigator.hardwareConcurrency && navigator.hardwareConcurrency < 2) return;
  try {
    helper = new Worker("helper.js");
  } catch (e) {
    console.warn("proving helper not started:", e);
    return;
  }
  helper.onmessage = (ev) => {
    const m = ev.data || {};
    if (m.type === "keyReady") {
      if (m.gen !== helperKeyGen) return;
      timings.helperKeyLoadMs = m.ms;
      helperReady = true;
      W.enableSplit(true).then(() => settleHelper());
      return;
    }
    if (m.type === "keyFailed") {
      console.warn("proving helper:", m.error);
      stopHelper();
      return;
    }
    const c = helperCalls.get(m.id);
    helperCalls.delete(m.id);
    if (!c) return;
    if (m.error) c.reject(new Error(m.error));
    else c.resolve(m.ans);
  };
  helper.onerror = (e) => {
    console.warn("proving helper stopped:", e.message || e);
    stopHelper();
  };
  helper.postMessage({ op: "start", module, gogc: config.gogc || 0 });
}

function stopHelper() {
  helperReady = false;
  settleHelper();
  if (W) W.enableSplit(false);
  if (helper) helper.terminate();
  helper = null;
  for (const c of helperCalls.values()) c.reject(new Error("the proving helper stopped"));
  helperCalls.clear();
}

// Called by the module (zkp.SplitStart): post the request now, answer later.
self.zkcredSplit = (req) => new Promise((resolve, reject) => {
  if (!helper) {
    reject(new Error("no proving helper"));
    return;
  }
  const id = ++helperSeq;
  // A helper that is alive but never answers (stuck) must not hold the
  // proof for ever: after a minute (its half takes about a second on a
  // laptop) it is stopped and the proof is made on this worker alone.
  const timer = setTimeout(() => {
    if (!helperCalls.has(id)) return;
    console.warn("proving helper: no answer in 60 s; proving on one worker");
    stopHelper();
  }, 60000);
  helperCalls.set(id, {
    resolve: (v) => { clearTimeout(timer); resolve(v); },
    reject: (e) => { clearTimeout(timer); reject(e); },
  });
  timings.splitRequests = (timings.splitRequests || 0) + 1;
  helper.postMessage({ op: "answer", id, req }, [req.buffer]);
});

// After every key load: the helper gets the new keys' points, and split
// proving waits until it holds them.
async function sendHelperKey() {
  if (!helper) return;
  const gen = ++helperKeyGen;
  helperReady = false;
  armHelper();
  await W.enableSplit(false);
  const key = await W.splitHelperKey();
  timings.helperKeyBytes = key.length;
  if (!helper || gen !== helperKeyGen) return;
  helper.postMessage({ op: "key", key, gen }, [key.buffer]);
}

// Keys load after the page shows the credentials; proving waits for them.
let keysReady = ready.then(loadKeys);
keysReady.then(sendHelperKey, () => {}).catch(helperKeyFailed);

// The helper key could not be made or sent: proofs are made on this
// worker alone, without waiting for the helper.
function helperKeyFailed(e) {
  console.warn("proving helper:", e);
  stopHelper();
}

async function loadKeys() {
  const t0 = performance.now();
  const cached = await get("keys");
  if (cached && cached.bundleSha256 === config.keysSha256 && cached.fingerprint === config.fingerprint) {
    progress("keys", "Loading the proving keys", 0, 1);
    try {
      const r = await W.loadKeyCache(cached.cache, cached.digest);
      timings.keyLoadMs = performance.now() - t0;
      timings.keyLoadGoMs = r.ms;
      timings.keySource = "cache";
      timings.keyBytes = cached.cache.length;
      progress("keys", "Ready", 1, 1);
      return true;
    } catch (e) {
      // Damaged cache, or one of an older form (zkp.ErrStaleKeyCache, as
      // after the cache format's version 2): fetch and check the keys again.
    }
  }
  const bundle = await fetchBytes(config.keysUrl || "keys.bin", "keys", "Downloading the proving keys (once)");
  progress("keys", "Checking the proving keys (once)", 0, 1);
  const r = await W.loadKeyBundle(bundle);
  await put("keys", { bundleSha256: config.keysSha256, fingerprint: config.fingerprint, cache: r.cache, digest: r.digest });
  timings.keyLoadMs = performance.now() - t0;
  timings.keyLoadGoMs = r.ms;
  timings.keySource = "bundle";
  timings.keyBytes = bundle.length;
  progress("keys", "Ready", 1, 1);
  return true;
}

// Revocation data: each issuer's witnessed log, synced when the wallet
// opens, after a credential arrives and every 15 minutes, never while
// answering a request. An issuer's data, its revoked ids, hash tiles and
// subtree roots are stored in one transaction, so a stored checkpoint always has its ids.
async function sync() {
  const r = await W.sync();
  for (const s of r.issuers) {
    try {
      await kv("readwrite", (st) => {
        const req = st.get("issuers");
        req.onsuccess = () => {
          const issuers = req.result || {};
          issuers[s.issuerUrl] = s.data;
          st.put(issuers, "issuers");
          if (s.ids) st.put(s.ids, "ids:" + s.issuerUrl);
          if (s.tiles) st.put(s.tiles, "tiles:" + s.issuerUrl);
          if (s.roots) st.put(s.roots, "roots:" + s.issuerUrl);
        };
        return null;
      });
    } catch (e) {
      console.error("storing revocation data:", e);
      await W.storeFailed(s.issuerUrl);
    }
  }
  if (r.detail) console.warn("revocation sync:", r.detail);
  return r.error || "";
}
ready.then(() => sync()).then(() => post({ type: "changed" })).catch((e) => console.error("sync:", e));
setInterval(() => { ready.then(sync).then(() => post({ type: "changed" })).catch((e) => console.error("sync:", e)); }, 15 * 60 * 1000);

// --- consent round trip -----------------------------------------------------
const consents = new Map();
let consentSeq = 0;

// --- operations ---------------------------------------------------------------
const ops = {
  async list() { await ready; return JSON.parse(await W.list()); },
  async offer([uri]) {
    await ready;
    const r = await W.offer(uri);
    return r.error ? { error: r.error } : { id: r.id, info: JSON.parse(r.info) };
  },
  async receive([id, pin]) {
    await ready;
    const r = await W.receive(id, pin);
    if (r.error) return { error: r.error };
    const list = (await get("credentials")) || [];
    list.push(r.entry);
    await put("credentials", list); // durable before the page says "received"
    await sync().catch(() => {});
    return { id: r.id };
  },
  async sync() { await ready; return sync(); },
  // The text of the QR code in an RGBA picture, or "" (core.DecodeQR).
  async scanQR([w, h, pixels]) { await ready; return W.scanQR(w, h, pixels); },
  async present([uri]) {
    await ready;
    post({ type: "progress", stage: "keys", text: "Preparing…" });
    await keysReady;
    // Just after opening, the helper may still be taking its key (a
    // fraction of a second): waiting for it is faster than proving alone.
    // Once: a helper that has not taken it by then (stuck, or its key
    // never sent) costs this proof the wait, not every later one.
    await Promise.race([helperSettled, new Promise((r) => setTimeout(r, 3000))]);
    settleHelper();
    progress("keys", "Ready", 1, 1);
    const t0 = performance.now();
    const out = JSON.parse(await W.present(uri, (c) => new Promise((resolve) => {
      const id = ++consentSeq;
      consents.set(id, resolve);
      post({ type: "consent", id, consent: JSON.parse(c) });
    })));
    timings.lastPresentMs = performance.now() - t0;
    timings.lastProveMs = out.proveMillis;
    if (out.dropKeys) {
      // The keys made a proof their verifying key refuses: fetch and check
      // the pinned bundle again (zkp/FORMAT.md, "Key cache").
      await kv("readwrite", (s) => s.delete("keys"));
      keysReady = loadKeys();
      keysReady.then(sendHelperKey, () => {}).catch(helperKeyFailed);
      keysReady.catch((e) => {
        console.error("wallet keys:", e);
        post({ type: "fatal", error: "The wallet could not load what it needs to make proofs. Check the connection and reload the page." });
      });
    }
    return out;
  },
  async consent([id, yes]) {
    const r = consents.get(id);
    consents.delete(id);
    if (r) r(!!yes);
    if (yes) post({ type: "proving" });
    return true;
  },
  async timings() {
    await keysReady.catch(() => {});
    const m = self.performance && performance.memory;
    const extra = { wasmMemoryBytes: wasmMemory ? wasmMemory.buffer.byteLength : 0 };
    if (m) Object.assign(extra, { jsHeapUsed: m.usedJSHeapSize, jsHeapTotal: m.totalJSHeapSize });
    return Object.assign({}, timings, extra);
  },
  async keys() { return keysReady; },
  // The proving helper's state; [true] stops it (proofs then use this
  // worker alone: the measurement test compares the two).
  async helper([stop]) {
    if (stop) stopHelper();
    return { running: !!helper, ready: helperReady, requests: timings.splitRequests || 0 };
  },
};

self.onmessage = async (ev) => {
  const { id, op, args } = ev.data || {};
  try {
    if (!ops[op]) throw new Error("unknown operation " + op);
    post({ id, result: await ops[op](args || []) });
  } catch (e) {
    post({ id, error: String(e && e.message || e) });
  }
};
// Failures in plain words for the page; the detail goes to the console.
ready.catch((e) => {
  console.error("wallet start:", e);
  post({ type: "fatal", error: "The wallet could not start in this browser. Reload the page; if it happens again, this browser may block storage for this site (a private window?)." });
});
keysReady.catch((e) => {
  console.error("wallet keys:", e);
  post({ type: "fatal", error: "The wallet could not load what it needs to make proofs. Check the connection and reload the page." });
});
