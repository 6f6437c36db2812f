"use strict";
// The clerk's page: creates an OpenID4VP request with POST
// /openid4vp/create, shows its QR code (cross device) and openid4vp://
// link (same device) with a countdown to its expiry, and long-polls GET
// /openid4vp/requests/{id}/outcome until an answer is accepted or the
// request expires; then the QR code goes. Each answer is shown in the
// clerk's words (the server's "clerk" view, in the language of the
// Accept-Language header), the raw answer folded away under "Technical
// details". All text goes in with textContent.
(function () {
  const $ = (id) => document.getElementById(id);
  let config = null;
  let messages = {};
  let polling = null;
  let ticking = null;

  // msg returns a catalog message with {name} placeholders filled.
  function msg(key, params) {
    let s = messages[key] || key;
    for (const [k, v] of Object.entries(params || {})) s = s.split("{" + k + "}").join(String(v));
    return s;
  }

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

  function showError(text) {
    $("error").textContent = text;
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

  // describe renders one answer as the clerk reads it.
  function describe(at) {
    const view = at.clerk || { kind: "retry", headline: "?", lines: [] };
    const div = document.createElement("div");
    div.className = "outcome " + view.kind;
    div.dataset.kind = view.kind;
    const h = document.createElement("h3");
    h.textContent = view.headline;
    div.appendChild(h);
    if (view.lines && view.lines.length) {
      const ul = document.createElement("ul");
      for (const line of view.lines) {
        const li = document.createElement("li");
        li.textContent = line;
        ul.appendChild(li);
      }
      div.appendChild(ul);
    }
    return div;
  }

  function raw(at) {
    const pre = document.createElement("pre");
    const copy = Object.assign({}, at);
    delete copy.clerk;
    pre.textContent = JSON.stringify(copy, null, 2);
    return pre;
  }

  function stopCountdown() {
    if (ticking) clearInterval(ticking);
    ticking = null;
  }

  // expire: the request can no longer be answered, so its QR code and
  // link go.
  function expire() {
    stopCountdown();
    $("request-qr").removeAttribute("src");
    $("openid4vp-link").removeAttribute("href");
    $("scan").hidden = true;
    $("countdown").textContent = msg("expired");
    $("countdown").className = "expired";
    $("request-box").dataset.expired = "true";
  }

  function countdown(expiresAt) {
    stopCountdown();
    const tick = () => {
      const left = Math.round(expiresAt - Date.now() / 1000);
      if (left <= 0) {
        expire();
        return;
      }
      const m = Math.floor(left / 60), s = left % 60;
      $("countdown").textContent = msg("expires.in", { time: m + ":" + String(s).padStart(2, "0") });
    };
    tick();
    ticking = setInterval(tick, 1000);
  }

  async function poll(req) {
    const me = {};
    polling = me;
    let seen = 0;
    while (polling === me) {
      let out;
      try {
        const res = await fetch("/openid4vp/requests/" + req.id + "/outcome?wait=1&after=" + seen,
          { headers: { "X-Outcome-Key": req.outcomeKey } });
        out = await res.json();
        if (!res.ok) throw new Error(out.code + ": " + out.message);
      } catch (e) {
        showError(msg("error.poll", { detail: e.message }));
        await new Promise((r) => setTimeout(r, 2000));
        continue;
      }
      if (polling !== me) return;
      $("error").hidden = true;
      const list = out.attempts || [];
      for (; seen < list.length; seen++) {
        $("result").appendChild(describe(list[seen]));
        $("raw").appendChild(raw(list[seen]));
      }
      $("result").dataset.outcome = out.state;
      if (out.state === "accepted") {
        // The request is answered: its code can be used no more.
        stopCountdown();
        $("countdown").textContent = "";
        $("scan").hidden = true;
        $("status").textContent = msg("state.accepted");
        return;
      }
      if (out.state === "expired") {
        expire();
        $("status").textContent = "";
        return;
      }
      if (out.state === "rejected") {
        const last = list[list.length - 1];
        $("status").textContent = msg(last && last.clerk && last.clerk.kind === "retry" ? "state.retry" : "state.rejected");
      }
    }
  }

  function show(req) {
    $("scan").hidden = false;
    const link = $("openid4vp-link");
    link.textContent = req.uri;
    link.href = req.uri;
    const qr = $("request-qr");
    delete qr.dataset.loaded;
    qr.addEventListener("load", () => { qr.dataset.loaded = "true"; }, { once: true });
    qr.src = "/qr.svg?data=" + encodeURIComponent(req.uri);
    $("countdown").className = "";
    delete $("request-box").dataset.expired;
    $("request-cmd").textContent = "'" + req.uri + "'";
    $("request").textContent = JSON.stringify(req.dcqlQuery, null, 2);
    $("result").textContent = "";
    $("raw").textContent = "";
    $("result").dataset.outcome = "pending";
    $("status").textContent = msg("waiting");
    $("request-box").hidden = false;
    $("request-box").dataset.request = req.id;
    countdown(req.expiresAt);
    poll(req);
  }

  async function start() {
    [config, messages] = await Promise.all([
      fetch("/config.json").then((r) => r.json()),
      fetch("/messages.json").then((r) => r.json()),
    ]);
    $("key").textContent = config.key;
    $("client").textContent = config.clientId || msg("oid.off");
    $("create").addEventListener("submit", (ev) => {
      ev.preventDefault();
      $("error").hidden = true;
      createRequest($("scenario").value).then(show, (e) => showError(msg("error.create", { detail: e.message })));
    });
    // ?create=KIND starts a request at once; only a kind the page offers
    // (a crafted link must not make it ask for less than the clerk sees).
    const params = new URLSearchParams(location.search);
    const kind = params.get("create");
    if (kind && [...$("scenario").options].some((o) => o.value === kind)) {
      $("scenario").value = kind;
      createRequest(kind).then(show, (e) => showError(msg("error.create", { detail: e.message })));
    }
  }

  start().catch((e) => showError(e.message));
})();
