"use strict";
// The verifier page: creates a request with POST /requests, shows it, and
// long-polls GET /requests/{id}/outcome until a presentation is accepted
// or the request expires. All text goes in with textContent.
(function () {
  const $ = (id) => document.getElementById(id);
  let config = null;
  let polling = null;

  function policy(kind) {
    const p = { issuers: config.issuers, schema: config.schema, predicates: [], maxRootAge: 86400 };
    if (kind === "adult") {
      p.predicates.push({ attribute: "birthDate", op: "ageAtLeast", years: 18 });
    } else if (kind === "district") {
      p.predicates.push({ attribute: "district", op: "in", values: ["07"] });
    } else if (kind === "vote") {
      p.predicates.push({ attribute: "birthDate", op: "ageAtLeast", years: 18 });
      p.disclose = ["voterEligible"];
      p.scope = "election-demo";
    }
    return p;
  }

  function showError(msg) {
    $("error").textContent = msg;
    $("error").hidden = false;
  }

  async function createRequest(kind) {
    const res = await fetch("/requests", {
      method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(policy(kind)),
    });
    const body = await res.json();
    if (!res.ok) throw new Error(body.code + ": " + body.message);
    return body;
  }

  function describe(at) {
    const div = document.createElement("div");
    const ok = at.status === 200;
    div.className = "attempt " + (ok ? "accepted" : "rejected");
    const head = document.createElement("p");
    head.className = ok ? "accepted" : "rejected";
    if (ok) {
      const r = at.result;
      const preds = (r.predicates || []).map((p) => p.attribute + " " + p.op + " " +
        JSON.stringify(p.years ?? p.value ?? p.values ?? [p.min, p.max])).join(", ");
      let text = "Accepted: proven " + (preds || "a valid credential") + " from " + r.issuer;
      if (r.disclosed) text += "; disclosed " + JSON.stringify(r.disclosed);
      if (r.nullifier) text += "; nullifier " + r.nullifier.slice(0, 16) + "…";
      head.textContent = text;
    } else {
      head.textContent = "Rejected (" + at.status + " " + at.error.code + "): " + at.error.message;
    }
    div.appendChild(head);
    const pre = document.createElement("pre");
    pre.textContent = JSON.stringify(ok ? at.result : at.error, null, 2);
    div.appendChild(pre);
    return div;
  }

  async function poll(req) {
    const me = {};
    polling = me;
    let seen = 0;
    while (polling === me && Date.now() / 1000 < req.expiresAt) {
      let out;
      try {
        const res = await fetch("/requests/" + req.id + "/outcome?wait=1&after=" + seen);
        out = await res.json();
        if (!res.ok) throw new Error(out.code + ": " + out.message);
      } catch (e) {
        showError("polling: " + e.message);
        await new Promise((r) => setTimeout(r, 2000));
        continue;
      }
      if (polling !== me) return;
      const list = out.attempts || [];
      for (; seen < list.length; seen++) $("result").appendChild(describe(list[seen]));
      $("result").dataset.outcome = out.state;
      if (out.state === "accepted") {
        $("status").textContent = "verified";
        return;
      }
      if (out.state === "rejected") $("status").textContent = "rejected so far; still waiting…";
    }
    if (polling === me) $("status").textContent = "request expired";
  }

  function show(req) {
    const url = location.origin + "/requests/" + req.id;
    $("request-url").textContent = url;
    const qr = $("request-qr");
    delete qr.dataset.loaded;
    qr.addEventListener("load", () => { qr.dataset.loaded = "true"; }, { once: true });
    qr.src = "/qr.svg?data=" + encodeURIComponent(url);
    $("request-cmd").textContent = url;
    $("request").textContent = JSON.stringify(req, null, 2);
    $("result").textContent = "";
    $("result").dataset.outcome = "pending";
    $("status").textContent = "waiting for the holder…";
    $("request-box").hidden = false;
    $("request-box").dataset.request = req.id;
    history.replaceState(null, "", "/?request=" + encodeURIComponent(req.id));
    poll(req);
  }

  async function start() {
    config = await (await fetch("/config.json")).json();
    $("key").textContent = config.key;
    $("create").addEventListener("submit", (ev) => {
      ev.preventDefault();
      $("error").hidden = true;
      createRequest($("scenario").value).then(show, (e) => showError(e.message));
    });
    const params = new URLSearchParams(location.search);
    const id = params.get("request");
    if (id) {
      const res = await fetch("/requests/" + encodeURIComponent(id));
      const body = await res.json();
      if (!res.ok) return showError(body.code + ": " + body.message);
      show(body);
    } else if (params.get("create")) {
      createRequest(params.get("create")).then(show, (e) => showError(e.message));
    }
  }

  start().catch((e) => showError(e.message));
})();
