// Validates zkcred's DCQL query vectors (../queries/*.json) with the
// OpenWallet Foundation's dcql library (npm dcql, pinned in
// package-lock.json) and prints one JSON report on stdout, which
// TestInterop (../../interop_test.go) checks. For each query:
//
//   asIs:        DcqlQuery.parse + DcqlQuery.validate of the query as we
//                write it, with the paths of the issues if it fails;
//   formatOnly:  the same with format zkcred_zkp replaced by dc+sd-jwt, one
//                of the formats the library closes "format" to;
//   substituted: also without the trusted_authorities entries of type
//                zkcred_did (the library closes "type" to aki, etsi_tl and
//                openid_federation, each with its own value syntax), plus
//                the query the library returns, so the Go test can check
//                that it kept every standard member and dropped only
//                zkcred_*.
import { readFileSync, readdirSync } from "node:fs";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { DcqlQuery } from "dcql";

const dir = join(dirname(fileURLToPath(import.meta.url)), "..", "queries");

function run(query) {
  try {
    const parsed = DcqlQuery.parse(query);
    DcqlQuery.validate(parsed);
    return { ok: true, output: parsed };
  } catch (e) {
    const issues = (e.issues ?? []).map((i) => ({
      path: (i.path ?? []).map((p) => p.key),
      message: i.message,
    }));
    return { ok: false, error: String(e.message ?? e), issues };
  }
}

const report = {};
for (const name of readdirSync(dir).filter((n) => n.endsWith(".json")).sort()) {
  const query = JSON.parse(readFileSync(join(dir, name), "utf8"));
  const formatOnly = structuredClone(query);
  for (const c of formatOnly.credentials) {
    if (c.format === "zkcred_zkp") c.format = "dc+sd-jwt";
  }
  const sub = structuredClone(formatOnly);
  for (const c of sub.credentials) {
    c.trusted_authorities = c.trusted_authorities?.filter((ta) => ta.type !== "zkcred_did");
    if (!c.trusted_authorities?.length) delete c.trusted_authorities;
  }
  report[name] = { asIs: run(query), formatOnly: run(formatOnly), substituted: run(sub) };
}
process.stdout.write(JSON.stringify(report));
