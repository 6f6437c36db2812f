// issuer.mjs is a third-party OpenID4VCI issuer for the reverse
// interoperability test: an HTTP server whose protocol work is done by the
// OpenWallet Foundation's @openid4vc/openid4vci (Openid4vciIssuer: metadata,
// offer, credential request parsing, jwt key proof verification, nonce and
// credential responses) and @openid4vc/oauth2 (Oauth2AuthorizationServer:
// AS metadata, token request parsing and pre-authorized code + tx_code
// verification, access token). Our Go wallet client runs against it. See
// README.md.
//
// Usage:
//
//	node issuer.mjs -credential FILE -tx-code PIN
//
// FILE is the credential to hand out: a zkcred stored credential (JSON)
// that the Go test issued beforehand for the wallet's holder commitment (a
// third-party issuer cannot sign a zkcred credential). The server listens on
// a loopback port and prints one JSON line to stdout:
// {"issuer", "offer_uri", "offer_value_uri"}. GET /_result returns the steps
// it ran, as interop.mjs prints them. It serves plain http on loopback
// (setGlobalConfig allowInsecureUrls); the Go wallet runs with
// InsecureAllowHTTP and InsecureAllowPrivateAddresses, as holder
// -insecure-local does.

import { createHash, createPublicKey, generateKeyPairSync, randomBytes, sign, verify } from 'node:crypto'
import { readFileSync } from 'node:fs'
import http from 'node:http'

function usage(msg) {
  process.stderr.write(`issuer.mjs: ${msg}\nusage: node issuer.mjs -credential FILE -tx-code PIN\n`)
  process.exit(2)
}
const args = {}
for (let i = 2; i < process.argv.length; i++) {
  const a = process.argv[i].replace(/^--?/, '')
  if (a !== 'credential' && a !== 'tx-code') usage(`unknown flag ${process.argv[i]}`)
  if (i + 1 >= process.argv.length) usage(`flag -${a} needs a value`)
  args[a] = process.argv[++i]
}
if (!args.credential || !args['tx-code']) usage('-credential and -tx-code are required')
const storedCredential = JSON.parse(readFileSync(args.credential, 'utf8'))
const txCode = args['tx-code']

let oid4vci, oauth2
try {
  oid4vci = await import('@openid4vc/openid4vci')
  oauth2 = await import('@openid4vc/oauth2')
} catch (e) {
  process.stderr.write(`issuer.mjs: cannot load @openid4vc/openid4vci (run npm ci in this folder): ${e.message}\n`)
  process.exit(3)
}
const { Openid4vciIssuer, setGlobalConfig } = oid4vci
const { Oauth2AuthorizationServer, Oauth2ServerErrorResponseError, preAuthorizedCodeGrantIdentifier } = oauth2
setGlobalConfig({ allowInsecureUrls: true })

const b64u = (b) => Buffer.from(b).toString('base64url')

// The access-token signing key (RFC 9068 JWT access tokens).
const { privateKey, publicKey } = generateKeyPairSync('ed25519')
const asJwk = publicKey.export({ format: 'jwk' })

const callbacks = {
  hash: (data, alg) => createHash(alg.replace('-', '').toLowerCase()).update(data).digest(),
  generateRandom: (n) => randomBytes(n),
  signJwt: async (signer, { header, payload }) => {
    const input = `${b64u(JSON.stringify(header))}.${b64u(JSON.stringify(payload))}`
    return { jwt: `${input}.${b64u(sign(null, Buffer.from(input), privateKey))}`, signerJwk: asJwk }
  },
  // Verifies a jwt key proof with the key of its header (EdDSA or ES256).
  verifyJwt: async (signer, { compact }) => {
    const jwk = signer.publicJwk
    if (!jwk) return { verified: false }
    const [h, p, s] = compact.split('.')
    const key = createPublicKey({ key: jwk, format: 'jwk' })
    const data = Buffer.from(`${h}.${p}`)
    const sig = Buffer.from(s, 'base64url')
    let ok = false
    if (signer.alg === 'EdDSA' && jwk.kty === 'OKP') ok = verify(null, data, key, sig)
    else if (signer.alg === 'ES256' && jwk.kty === 'EC') ok = verify('sha256', data, { key, dsaEncoding: 'ieee-p1363' }, sig)
    return ok ? { verified: true, signerJwk: jwk } : { verified: false }
  },
  clientAuthentication: () => {},
}
const issuer = new Openid4vciIssuer({ callbacks })
const as = new Oauth2AuthorizationServer({ callbacks })

const steps = []
const step = (name, ok, detail) => steps.push({ name, ok, ...(ok ? { detail } : { error: detail }) })

let base
let metadata, asMetadata, issuerMetadata, offerByRef, offerByValue
const preAuthorizedCode = b64u(randomBytes(32))
let codeUsed = false
const accessTokens = new Set()
const nonces = new Map() // c_nonce -> expiry
const configurationId = 'zkcred_person'

async function setup() {
  metadata = issuer.createCredentialIssuerMetadata({
    credential_issuer: base,
    credential_endpoint: `${base}/credential`,
    nonce_endpoint: `${base}/nonce`,
    display: [{ name: 'Third-party test issuer (@openid4vc/openid4vci)', locale: 'en' }],
    credential_configurations_supported: {
      [configurationId]: {
        format: 'zkcred_vc+jwt',
        cryptographic_binding_methods_supported: ['zkcred_holder_commitment'],
        proof_types_supported: { jwt: { proof_signing_alg_values_supported: ['EdDSA', 'ES256'] } },
        credential_metadata: { display: [{ name: 'Person credential', locale: 'en' }] },
      },
    },
  })
  asMetadata = as.createAuthorizationServerMetadata({
    issuer: base,
    token_endpoint: `${base}/token`,
    'pre-authorized_grant_anonymous_access_supported': true,
  })
  issuerMetadata = {
    originalDraftVersion: 'V1',
    credentialIssuer: metadata,
    authorizationServers: [asMetadata],
    knownCredentialConfigurations: issuer.getKnownCredentialConfigurationsSupported(metadata),
  }
  const grants = {
    [preAuthorizedCodeGrantIdentifier]: {
      'pre-authorized_code': preAuthorizedCode,
      tx_code: { input_mode: 'numeric', length: txCode.length, description: 'test PIN' },
    },
  }
  offerByRef = await issuer.createCredentialOffer({ credentialConfigurationIds: [configurationId], grants, issuerMetadata, credentialOfferUri: `${base}/offer` })
  offerByValue = await issuer.createCredentialOffer({ credentialConfigurationIds: [configurationId], grants, issuerMetadata })
}

function send(res, status, body, headers = {}) {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers })
  res.end(JSON.stringify(body))
}

async function handle(req, res, body) {
  const url = new URL(req.url, base)
  const request = { method: req.method, url: `${base}${url.pathname}`, headers: new Headers(req.headers) }
  const route = `${req.method} ${url.pathname}`
  switch (route) {
    case 'GET /.well-known/openid-credential-issuer':
      step('serve_issuer_metadata', true)
      return send(res, 200, metadata)
    case 'GET /.well-known/oauth-authorization-server':
      step('serve_as_metadata', true)
      return send(res, 200, asMetadata)
    case 'GET /offer':
      step('serve_offer_by_reference', true)
      return send(res, 200, offerByRef.credentialOfferObject)
    case 'GET /_result':
      return send(res, 200, { library: '@openid4vc/openid4vci', version: libVersion, node: process.version, passed: steps.every((s) => s.ok), steps })
    case 'POST /token': {
      const accessTokenRequest = Object.fromEntries(new URLSearchParams(body))
      try {
        const { grant } = as.parseAccessTokenRequest({ accessTokenRequest, request })
        await as.verifyPreAuthorizedCodeAccessTokenRequest({
          grant, accessTokenRequest, request, authorizationServerMetadata: asMetadata,
          expectedPreAuthorizedCode: preAuthorizedCode, expectedTxCode: txCode,
          preAuthorizedCodeExpiresAt: new Date(Date.now() + 600_000),
        })
        // The library checks the code and PIN; single use is the server's job.
        if (codeUsed) throw new Oauth2ServerErrorResponseError({ error: 'invalid_grant', error_description: 'pre-authorized code already used' })
        codeUsed = true
        const response = await as.createAccessTokenResponse({
          audience: base, authorizationServer: base, expiresInSeconds: 300, subject: preAuthorizedCode,
          signer: { method: 'jwk', alg: 'EdDSA', publicJwk: asJwk },
        })
        accessTokens.add(response.access_token)
        step('token', true, { token_type: response.token_type })
        return send(res, 200, response)
      } catch (e) {
        if (e instanceof Oauth2ServerErrorResponseError) {
          step(`token_refused_${e.errorResponse.error}`, true, e.errorResponse)
          return send(res, e.status, e.errorResponse)
        }
        throw e
      }
    }
    case 'POST /nonce': {
      const cNonce = b64u(randomBytes(24))
      nonces.set(cNonce, new Date(Date.now() + 300_000))
      step('nonce', true)
      return send(res, 200, issuer.createNonceResponse({ cNonce, cNonceExpiresIn: 300 }))
    }
    case 'POST /credential': {
      const auth = req.headers.authorization ?? ''
      if (!auth.startsWith('Bearer ') || !accessTokens.has(auth.slice(7))) {
        step('credential', false, 'no valid access token')
        return send(res, 401, { error: 'invalid_token' }, { 'www-authenticate': 'Bearer error="invalid_token"' })
      }
      try {
        const parsed = issuer.parseCredentialRequest({ issuerMetadata, credentialRequest: JSON.parse(body) })
        const jwt = parsed.proofs?.jwt?.[0]
        if (parsed.credentialConfigurationId !== configurationId || !jwt || parsed.proofs.jwt.length !== 1) {
          throw new Oauth2ServerErrorResponseError({ error: 'invalid_credential_request', error_description: 'want one jwt proof for zkcred_person' })
        }
        const nonce = JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url')).nonce
        const nonceExpiresAt = nonces.get(nonce)
        if (!nonceExpiresAt) throw new Oauth2ServerErrorResponseError({ error: 'invalid_nonce', error_description: 'unknown c_nonce' })
        nonces.delete(nonce)
        const { header, payload } = await issuer.verifyCredentialRequestJwtProof({ issuerMetadata, jwt, expectedNonce: nonce, nonceExpiresAt })
        // The zkcred profile's claim: the credential must be for this commitment.
        const commitment = payload.zkcred_holder_commitment
        const want = storedCredential.holderCommitment
        step('proof_verified', true, { typ: header.typ, alg: header.alg, commitment_matches: commitment === want })
        const response = issuer.createCredentialResponse({ credentialRequest: parsed, credentials: [{ credential: storedCredential }] })
        step('credential', true)
        return send(res, 200, response)
      } catch (e) {
        if (e instanceof Oauth2ServerErrorResponseError) {
          step('credential', false, e.errorResponse)
          return send(res, e.status, e.errorResponse)
        }
        throw e
      }
    }
    default:
      return send(res, 404, { error: 'not_found' })
  }
}

const libVersion = JSON.parse(readFileSync(new URL('./node_modules/@openid4vc/openid4vci/package.json', import.meta.url))).version

const server = http.createServer((req, res) => {
  let body = ''
  req.setEncoding('utf8')
  req.on('data', (d) => { body += d })
  req.on('end', () => {
    handle(req, res, body).catch((e) => {
      step(`internal_error ${req.method} ${req.url}`, false, String(e?.message ?? e).slice(0, 2000))
      send(res, 500, { error: 'server_error' })
    })
  })
})
server.listen(0, '127.0.0.1', async () => {
  base = `http://127.0.0.1:${server.address().port}`
  try {
    await setup()
  } catch (e) {
    process.stderr.write(`issuer.mjs: setup: ${e.message}\n`)
    process.exit(1)
  }
  process.stdout.write(JSON.stringify({ issuer: base, offer_uri: offerByRef.credentialOffer, offer_value_uri: offerByValue.credentialOffer }) + '\n')
})
process.on('SIGTERM', () => server.close(() => process.exit(0)))
