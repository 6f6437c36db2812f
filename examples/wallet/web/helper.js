// The proving helper: a second Web Worker, started by the wallet's worker
// (worker.js), running another instance of the same WebAssembly module.
// A Go program in WebAssembly has one thread; with this worker a proof
// uses two (zkp.ProveSplit, zkp/FORMAT.md "Split proving"): the helper
// holds the proving key's [A]1, [B]1 and [B]2 points and, for each proof,
// computes their multi-scalar multiplications from the witness values the
// proving worker sends. Those values are the whole witness (attributes and
// the holder secret among them): the helper sees them as the proving
// worker does, stores nothing, makes no request, and never holds the
// proof's randomness. Messages:
// {op: "start", module, gogc}, {op: "key", key, gen} (answered
// {type: "keyReady", ms, gen} or {type: "keyFailed", error}) and
// {op: "answer", id, req} (answered {id, ans} or {id, error}). If the Go
// program exits (a fatal error such as running out of memory, which no
// recover catches), the promise of the answer it was computing never
// settles: the helper then posts {type: "keyFailed"} so that the proving
// worker stops it and proves alone, instead of waiting for ever.
"use strict";
importScripts("wasm_exec.js");

let ready = null;

async function start(module, gogc) {
  const go = new Go();
  if (gogc > 0) go.env = { GOGC: String(gogc) };
  const instance = await WebAssembly.instantiate(module, go.importObject);
  go.run(instance).finally(() => self.postMessage({ type: "keyFailed", error: "the helper module exited" }));
  for (let i = 0; !self.zkcredWallet; i++) {
    if (i > 500) throw new Error("the helper module did not start");
    await new Promise((r) => setTimeout(r, 10));
  }
  return self.zkcredWallet;
}

self.onmessage = async (ev) => {
  const m = ev.data || {};
  if (m.op === "start") {
    ready = start(m.module, m.gogc);
    ready.catch((e) => self.postMessage({ type: "keyFailed", error: String(e && e.message || e) }));
    return;
  }
  try {
    if (!ready) throw new Error("the helper has not started");
    const W = await ready;
    if (m.op === "key") {
      const t0 = performance.now();
      await W.splitLoad(m.key);
      self.postMessage({ type: "keyReady", ms: performance.now() - t0, gen: m.gen });
    } else if (m.op === "answer") {
      const ans = await W.splitAnswer(m.req);
      self.postMessage({ id: m.id, ans }, [ans.buffer]);
    }
  } catch (e) {
    const error = String(e && e.message || e);
    self.postMessage(m.op === "key" ? { type: "keyFailed", error } : { id: m.id, error });
  }
};
