"use strict";
// The verifier page: creates an OpenID4VP request with POST
// /openid4vp/create, shows its openid4vp:// link (same device) and QR code
// (cross device), and long-polls GET /openid4vp/requests/{id}/outcome
// until a response is accepted or the request expires. All text goes in
// with textContent.
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
    const res = await fetch("/openid4vp/create", {
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
      // An OpenID4VP result: per credential query id, the presentations.
      const parts = [];
      for (const [qid, list] of Object.entries(at.result.presentations || {})) {
        for (const r of list) {
          const preds = (r.predicates || []).map((p) => p.attribute + " " + p.op + " " +
            JSON.stringify(p.years ?? p.value ?? p.values ?? [p.min, p.max])).join(", ");
          let text = "proven " + (preds || "a valid credential") + " from " + r.issuer + " (" + qid + ")";
          if (r.disclosed) text += "; disclosed " + JSON.stringify(r.disclosed);
          if (r.nullifier) text += "; nullifier " + r.nullifier.slice(0, 16) + "…";
          parts.push(text);
        }
      }
      head.textContent = "Accepted: " + parts.join("; ");
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
        const res = await fetch("/openid4vp/requests/" + req.id + "/outcome?wait=1&after=" + seen);
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
    const link = $("openid4vp-link");
    link.textContent = req.uri;
    link.href = req.uri;
    const qr = $("request-qr");
    delete qr.dataset.loaded;
    qr.addEventListener("load", () => { qr.dataset.loaded = "true"; }, { once: true });
    qr.src = "/qr.svg?data=" + encodeURIComponent(req.uri);
    $("request-cmd").textContent = "'" + req.uri + "'";
    $("request").textContent = JSON.stringify(req.dcqlQuery, null, 2);
    $("result").textContent = "";
    $("result").dataset.outcome = "pending";
    $("status").textContent = "waiting for the holder…";
    $("request-box").hidden = false;
    $("request-box").dataset.request = req.id;
    poll(req);
  }

  async function start() {
    config = await (await fetch("/config.json")).json();
    $("key").textContent = config.key;
    $("client").textContent = config.clientId || "(OpenID4VP off: start with -base-url or -insecure-local)";
    $("create").addEventListener("submit", (ev) => {
      ev.preventDefault();
      $("error").hidden = true;
      createRequest($("scenario").value).then(show, (e) => showError(e.message));
    });
    const params = new URLSearchParams(location.search);
    if (params.get("create")) {
      createRequest(params.get("create")).then(show, (e) => showError(e.message));
    }
  }

  start().catch((e) => showError(e.message));
})();
