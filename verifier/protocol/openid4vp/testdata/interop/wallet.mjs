// Direction 1: the OpenWallet Foundation's @openid4vc/openid4vp library, on
// the Wallet side, reads an Authorization Request that zkcred's verifier
// produced (package openid4vp), and the OWF dcql library reads its
// dcql_query. TestInteropWallet (../../interop_test.go) runs it and checks
// the steps; README.md records the results.
//
//   node wallet.mjs -uri openid4vp://... -dids dids.json [-dcql-format FORMAT]
//
// dids.json maps a DID to its DID document: the resolver callback the
// library needs for the decentralized_identifier: prefix (it leaves DID
// resolution and the signature check to the caller). Prints
// {"library","version","node","steps":[{"name","ok","detail"|"error"}]}.
import { readFileSync } from "node:fs";
import { createPublicKey, createHash, verify } from "node:crypto";

let lib, dcqlLib;
try {
  lib = await import("@openid4vc/openid4vp");
  dcqlLib = await import("dcql");
} catch (e) {
  process.stderr.write(`cannot load the npm packages (run npm ci): ${e.message}\n`);
  process.exit(3);
}
const { parseOpenid4vpAuthorizationRequest, resolveOpenid4vpAuthorizationRequest, zClientMetadata, parseTransactionData } = lib;
const { DcqlQuery } = dcqlLib;

const args = {};
for (let i = 2; i < process.argv.length; i += 2) args[process.argv[i].replace(/^-+/, "")] = process.argv[i + 1];
const dids = args.dids ? JSON.parse(readFileSync(args.dids, "utf8")) : {};
const version = JSON.parse(readFileSync(new URL("./node_modules/@openid4vc/openid4vp/package.json", import.meta.url), "utf8")).version;

const steps = [];
function step(name, fn) {
  try {
    const detail = fn();
    steps.push({ name, ok: true, detail });
  } catch (e) {
    steps.push({ name, ok: false, error: errText(e) });
  }
}
async function stepAsync(name, fn) {
  try {
    const detail = await fn();
    steps.push({ name, ok: true, detail });
    return detail;
  } catch (e) {
    steps.push({ name, ok: false, error: errText(e) });
    return undefined;
  }
}
function errText(e) {
  let s = String(e?.message ?? e);
  if (e?.errorResponse?.error) s = `${e.errorResponse.error}: ${e.errorResponse.error_description ?? ""}`;
  if (e?.cause) s += ` (cause: ${e.cause.message ?? e.cause})`;
  return s;
}
function must(cond, msg) {
  if (!cond) throw new Error(msg);
}

// --- DID resolution: the verification method a DID URL names, in the
// authentication relationship (what our wallet requires by default).
const B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
function base58(s) {
  let n = 0n;
  for (const c of s) {
    const d = B58.indexOf(c);
    if (d < 0) throw new Error("bad base58");
    n = n * 58n + BigInt(d);
  }
  const out = [];
  while (n > 0n) {
    out.unshift(Number(n & 255n));
    n >>= 8n;
  }
  for (const c of s) {
    if (c !== "1") break;
    out.unshift(0);
  }
  return Buffer.from(out);
}
function resolveKey(didUrl) {
  const [did] = didUrl.split("#");
  const doc = dids[did];
  if (!doc) throw new Error(`DID ${did} not resolvable`);
  const abs = (id) => (id.startsWith("#") ? did + id : id);
  const vm = (doc.verificationMethod ?? []).find((m) => abs(m.id) === didUrl);
  if (!vm) throw new Error(`${didUrl} not in the DID document`);
  const inAuth = (doc.authentication ?? []).some((r) => abs(typeof r === "string" ? r : r.id) === didUrl);
  if (!inAuth) throw new Error(`${didUrl} not in authentication`);
  if (vm.publicKeyJwk) return vm.publicKeyJwk;
  if (vm.publicKeyMultibase?.startsWith("z")) {
    const b = base58(vm.publicKeyMultibase.slice(1));
    if (b[0] === 0xed && b[1] === 0x01 && b.length === 34) return { kty: "OKP", crv: "Ed25519", x: b.subarray(2).toString("base64url") };
  }
  throw new Error(`${didUrl}: unsupported key type ${vm.type}`);
}

const verified = [];
function verifyJws(compact, jwk, alg) {
  const [h, p, s] = compact.split(".");
  const key = createPublicKey({ key: jwk, format: "jwk" });
  const data = Buffer.from(`${h}.${p}`);
  const sig = Buffer.from(s, "base64url");
  if (alg === "EdDSA" || alg === "Ed25519") return verify(null, data, key, sig);
  if (alg === "ES256") return verify("sha256", data, { key, dsaEncoding: "ieee-p1363" }, sig);
  throw new Error(`alg ${alg} not supported by this test`);
}
const fetched = [];
const callbacks = {
  verifyJwt: async (signer, { compact, header }) => {
    if (signer.method !== "did") throw new Error(`signer method ${signer.method}, want did`);
    const jwk = resolveKey(signer.didUrl);
    const ok = verifyJws(compact, jwk, header.alg);
    verified.push({ didUrl: signer.didUrl, alg: header.alg, typ: header.typ, ok });
    return ok ? { verified: true, signerJwk: jwk } : { verified: false };
  },
  fetch: async (url, init) => {
    const r = await fetch(url, init);
    fetched.push({ url: String(url), method: init?.method ?? "GET", status: r.status, contentType: r.headers.get("content-type") });
    return r;
  },
  hash: (data, alg) => createHash(alg.replace("-", "").toLowerCase()).update(data).digest(),
};

// 1. The openid4vp:// URI.
let parsed;
step("parse_uri", () => {
  parsed = parseOpenid4vpAuthorizationRequest({ authorizationRequest: args.uri });
  return { type: parsed.type, provided: parsed.provided, params: parsed.params };
});

// 2. Fetch (request_uri) and verify the Request Object, validate the
// authorization request payload and the client identifier prefix.
const resolved = parsed && (await stepAsync("resolve", async () => {
  const r = await resolveOpenid4vpAuthorizationRequest({ authorizationRequestPayload: parsed.params, callbacks });
  return { version: r.version, client: { prefix: r.client.prefix, identifier: r.client.identifier, effective: r.client.effective, didUrl: r.client.didUrl, redirectUri: r.client.redirectUri }, jar: r.jar ? { sendBy: r.jar.sendBy, signer: { method: r.jar.signer.method, alg: r.jar.signer.alg, didUrl: r.jar.signer.didUrl } } : null, payload: r.authorizationRequestPayload, transactionData: r.transactionData?.map((t) => t.transactionData) };
}));

if (resolved) {
  const ro = resolved.payload;
  step("version_1_0", () => {
    must(resolved.version === 100, `library classifies the request as version ${resolved.version}, want 100 (1.0 final)`);
    return resolved.version;
  });
  if (parsed.params.request_uri) {
    step("fetch_request_object", () => {
      must(fetched.length === 1, `${fetched.length} fetches`);
      const f = fetched[0];
      must(f.url === parsed.params.request_uri && f.status === 200, `fetched ${f.url} status ${f.status}`);
      must(resolved.jar?.sendBy === "reference", "not by reference");
      return f;
    });
    step("request_object_signature", () => {
      must(verified.length === 1 && verified[0].ok, "signature not verified");
      must(verified[0].typ === "oauth-authz-req+jwt", `typ ${verified[0].typ}`);
      return verified[0];
    });
  }
  step("client_id_prefix", () => {
    const c = resolved.client;
    must(ro.client_id === parsed.params.client_id, "client_id differs from the URI's");
    if (c.prefix === "decentralized_identifier") {
      must(ro.client_id === `decentralized_identifier:${c.identifier}`, `identifier ${c.identifier}`);
      must(c.didUrl?.startsWith(`${c.identifier}#`), `signed by ${c.didUrl}, not a key of ${c.identifier}`);
    } else {
      must(c.prefix === "redirect_uri" && c.redirectUri === c.identifier && ro.response_uri === c.identifier, `prefix ${c.prefix}`);
    }
    return c;
  });
  step("response_mode", () => {
    must(["direct_post", "direct_post.jwt"].includes(ro.response_mode), `response_mode ${ro.response_mode}`);
    must(/^https:\/\//.test(ro.response_uri), `response_uri ${ro.response_uri}`);
    must(ro.response_type === "vp_token" && typeof ro.nonce === "string" && ro.nonce.length > 0, "response_type/nonce");
    return { response_mode: ro.response_mode, response_uri: ro.response_uri };
  });
  step("client_metadata", () => {
    const md = zClientMetadata.parse(ro.client_metadata);
    must(md.vp_formats_supported && Object.keys(md.vp_formats_supported).length > 0, "no vp_formats_supported");
    if (ro.response_mode === "direct_post.jwt") {
      const k = lib.extractEncryptionJwkFromJwks(md.jwks, {});
      must(k && k.kty === "EC" && k.crv === "P-256", "no P-256 encryption key found by the library");
      return { vp_formats_supported: Object.keys(md.vp_formats_supported), encryption_key: { kid: k.kid, alg: k.alg, use: k.use } };
    }
    return { vp_formats_supported: Object.keys(md.vp_formats_supported) };
  });
  if (ro.transaction_data) {
    step("transaction_data", () => {
      const td = parseTransactionData({ transactionData: ro.transaction_data });
      const ids = new Set((ro.dcql_query?.credentials ?? []).map((c) => c.id));
      for (const t of td) must(t.transactionData.credential_ids.every((id) => ids.has(id)), `credential_ids ${t.transactionData.credential_ids}`);
      return td.map((t) => t.transactionData);
    });
  }
  // The DCQL query: as we write it, and with our format identifier and
  // trusted authority type replaced by registered ones (the dcql library
  // closes both; see verifier/protocol/dcql/PROFILE.md).
  const runDcql = (q) => {
    try {
      const p = DcqlQuery.parse(q);
      DcqlQuery.validate(p);
      return { ok: true, output: p };
    } catch (e) {
      return { ok: false, error: String(e.message ?? e), issues: (e.issues ?? []).map((i) => ({ path: (i.path ?? []).map((p) => p.key ?? p), message: i.message })) };
    }
  };
  const q = ro.dcql_query;
  const asIs = runDcql(q);
  steps.push({ name: "dcql_query_as_is", ok: asIs.ok, detail: asIs.ok ? asIs.output : undefined, error: asIs.ok ? undefined : asIs.error, issues: asIs.issues });
  const sub = structuredClone(q);
  for (const c of sub.credentials ?? []) {
    if (c.format === "zkcred_zkp") c.format = args["dcql-format"] ?? "dc+sd-jwt";
    c.trusted_authorities = c.trusted_authorities?.filter((ta) => ta.type !== "zkcred_did");
    if (!c.trusted_authorities?.length) delete c.trusted_authorities;
  }
  const s = runDcql(sub);
  steps.push({ name: "dcql_query_substituted", ok: s.ok, detail: s.ok ? s.output : undefined, error: s.ok ? undefined : s.error, issues: s.issues });
}

process.stdout.write(JSON.stringify({ library: "@openid4vc/openid4vp", version, node: process.version, steps }, null, 1));
