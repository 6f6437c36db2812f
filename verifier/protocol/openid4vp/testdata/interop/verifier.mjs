// Direction 2: the OpenWallet Foundation's @openid4vc/openid4vp library, on
// the Verifier side, creates Authorization Requests for zkcred's format;
// TestInteropVerifier (../../interop_test.go) feeds them to our wallet
// (package openid4vp). README.md records the results.
//
//   node verifier.mjs -query dcql.json -request-uri URL -response-uri URL
//
// It generates an Ed25519 key, derives its did:jwk (use "sig"), and with
// createOpenid4vpAuthorizationRequest builds:
//   signed_by_value:     decentralized_identifier:<did:jwk>, request=<JWT>,
//                        direct_post.jwt with a P-256 encryption key it also
//                        generates, transaction_data (a zkcred_ballot);
//   signed_by_reference: the same with request_uri (the Go test serves
//                        the JWT printed here at that URL), direct_post;
//   unsigned:            redirect_uri:<response-uri>, parameters by value.
// Prints {"library","version","node","did","cases":{name:{"uri","jwt"?}}}.
import { readFileSync } from "node:fs";
import { generateKeyPairSync, randomBytes, sign } from "node:crypto";

let lib;
try {
  lib = await import("@openid4vc/openid4vp");
} catch (e) {
  process.stderr.write(`cannot load the npm packages (run npm ci): ${e.message}\n`);
  process.exit(3);
}
const { Openid4vpVerifier } = lib;

const args = {};
for (let i = 2; i < process.argv.length; i += 2) args[process.argv[i].replace(/^-+/, "")] = process.argv[i + 1];
const query = JSON.parse(readFileSync(args.query, "utf8"));
const version = JSON.parse(readFileSync(new URL("./node_modules/@openid4vc/openid4vp/package.json", import.meta.url), "utf8")).version;

const { privateKey, publicKey } = generateKeyPairSync("ed25519");
const pubJwk = publicKey.export({ format: "jwk" });
const did = "did:jwk:" + Buffer.from(JSON.stringify({ crv: pubJwk.crv, kty: pubJwk.kty, use: "sig", x: pubJwk.x })).toString("base64url");
const didUrl = `${did}#0`;
const enc = generateKeyPairSync("ec", { namedCurve: "P-256" }).publicKey.export({ format: "jwk" });

const b64json = (o) => Buffer.from(JSON.stringify(o)).toString("base64url");
const callbacks = {
  signJwt: async (signer, { header, payload }) => {
    if (signer.method !== "did" || signer.didUrl !== didUrl) throw new Error(`unexpected signer ${JSON.stringify(signer)}`);
    const input = `${b64json(header)}.${b64json(payload)}`;
    const sig = sign(null, Buffer.from(input), privateKey).toString("base64url");
    return { jwt: `${input}.${sig}`, signerJwk: pubJwk };
  },
  encryptJwe: async () => {
    throw new Error("not used");
  },
};
const verifier = new Openid4vpVerifier({ callbacks });
const nonce = () => randomBytes(24).toString("base64url");
const credId = query.credentials[0].id;
const ballot = b64json({ type: "zkcred_ballot", credential_ids: [credId], ballot_id: "referendum-2026-12", choice: "yes" });
const vpFormats = { zkcred_zkp: { zkcred_profiles: ["zkcred-dcql-predicates-v1"] } };

const jarSigner = { method: "did", alg: "EdDSA", didUrl };
const staticAud = { aud: "https://self-issued.me/v2" }; // OpenID4VP 1.0 §5.8; the library defaults aud to the request_uri

const cases = {};
{
  const r = await verifier.createOpenId4vpAuthorizationRequest({
    authorizationRequestPayload: {
      response_type: "vp_token",
      client_id: `decentralized_identifier:${did}`,
      response_mode: "direct_post.jwt",
      response_uri: args["response-uri"],
      nonce: nonce(),
      state: nonce(),
      dcql_query: query,
      client_metadata: {
        vp_formats_supported: vpFormats,
        jwks: { keys: [{ ...enc, use: "enc", alg: "ECDH-ES", kid: "enc-1" }] },
        encrypted_response_enc_values_supported: ["A128GCM"],
      },
      transaction_data: [ballot],
    },
    jar: { jwtSigner: jarSigner, expiresInSeconds: 300, additionalJwtPayload: staticAud },
  });
  cases.signed_by_value = { uri: r.authorizationRequest, jwt: r.jar.authorizationRequestJwt };
}
{
  const r = await verifier.createOpenId4vpAuthorizationRequest({
    authorizationRequestPayload: {
      response_type: "vp_token",
      client_id: `decentralized_identifier:${did}`,
      response_mode: "direct_post",
      response_uri: args["response-uri"],
      nonce: nonce(),
      dcql_query: query,
      client_metadata: { vp_formats_supported: vpFormats },
    },
    jar: { jwtSigner: jarSigner, expiresInSeconds: 300, requestUri: args["request-uri"], additionalJwtPayload: staticAud },
  });
  cases.signed_by_reference = { uri: r.authorizationRequest, jwt: r.jar.authorizationRequestJwt };
}
{
  const r = await verifier.createOpenId4vpAuthorizationRequest({
    authorizationRequestPayload: {
      response_type: "vp_token",
      client_id: `redirect_uri:${args["response-uri"]}`,
      response_mode: "direct_post",
      response_uri: args["response-uri"],
      nonce: nonce(),
      dcql_query: query,
      client_metadata: { vp_formats_supported: vpFormats },
      transaction_data: [ballot],
    },
  });
  cases.unsigned = { uri: r.authorizationRequest };
}

process.stdout.write(JSON.stringify({ library: "@openid4vc/openid4vp", version, node: process.version, did, cases }, null, 1));
