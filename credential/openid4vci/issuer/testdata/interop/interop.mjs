// interop.mjs runs the OpenWallet Foundation's OpenID4VCI client
// (@openid4vc/openid4vci, pinned in package.json) against a zkcred issuer,
// and prints one JSON object saying which steps passed. See README.md.
//
// Usage:
//
//	node interop.mjs -issuer URL -offer URI [-offer URI ...]
//	    -redeem URI -tx-code PIN [-wrong-tx-code PIN] [-allow-http]
//
// Every -offer is resolved (by value or by reference) and checked against the
// issuer metadata. The -redeem offer is then taken to the token endpoint: first
// with -wrong-tx-code (must fail with invalid_grant), then with -tx-code (must
// give an access token), then once more with -tx-code (the code is single-use:
// must fail with invalid_grant). Last the nonce endpoint is asked for a c_nonce.
//
// The script exits 0 whenever it could run the steps, passed or not: the
// caller reads "steps". It exits 2 on a usage error and 3 when the library
// cannot be loaded (npm ci not run).

import { createHash, randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'

function usage(msg) {
  process.stderr.write(`interop.mjs: ${msg}\nusage: node interop.mjs -issuer URL -offer URI [-offer URI ...] -redeem URI -tx-code PIN [-wrong-tx-code PIN] [-allow-http]\n`)
  process.exit(2)
}

function parseArgs(argv) {
  const args = { offers: [], allowHttp: false }
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i].replace(/^--?/, '')
    const next = () => {
      if (i + 1 >= argv.length) usage(`flag -${a} needs a value`)
      return argv[++i]
    }
    switch (a) {
      case 'issuer': args.issuer = next(); break
      case 'offer': args.offers.push(next()); break
      case 'redeem': args.redeem = next(); break
      case 'tx-code': args.txCode = next(); break
      case 'wrong-tx-code': args.wrongTxCode = next(); break
      case 'allow-http': args.allowHttp = true; break
      default: usage(`unknown flag ${argv[i]}`)
    }
  }
  if (!args.issuer) usage('missing -issuer')
  if (!args.redeem) usage('missing -redeem')
  if (args.txCode === undefined) usage('missing -tx-code')
  return args
}

const args = parseArgs(process.argv.slice(2))

let oid4vci, oauth2
try {
  oid4vci = await import('@openid4vc/openid4vci')
  oauth2 = await import('@openid4vc/oauth2')
} catch (e) {
  process.stderr.write(`interop.mjs: cannot load @openid4vc/openid4vci (run npm ci in this folder): ${e.message}\n`)
  process.exit(3)
}
const { Openid4vciClient, setGlobalConfig } = oid4vci
const { clientAuthenticationAnonymous } = oauth2

const libVersion = JSON.parse(readFileSync(new URL('./node_modules/@openid4vc/openid4vci/package.json', import.meta.url))).version

// Plain http only when asked (the library refuses http:// URLs by default, as
// the spec requires https).
if (args.allowHttp) setGlobalConfig({ allowInsecureUrls: true })

// Every request the library makes, so a failed step shows what went over the wire.
const requests = []
const recordingFetch = async (input, init) => {
  const url = typeof input === 'string' ? input : input.url
  const method = init?.method ?? 'GET'
  const res = await fetch(input, init)
  requests.push({ method, url, status: res.status })
  return res
}

const client = new Openid4vciClient({
  callbacks: {
    fetch: recordingFetch,
    hash: (data, alg) => createHash(alg.replace('-', '').toLowerCase()).update(data).digest(),
    generateRandom: (n) => randomBytes(n),
    clientAuthentication: clientAuthenticationAnonymous(),
    signJwt: () => { throw new Error('interop.mjs: signJwt not expected (no DPoP, no proofs)') },
  },
})

const steps = []
async function step(name, fn) {
  const from = requests.length
  try {
    const detail = await fn()
    steps.push({ name, ok: true, ...(detail === undefined ? {} : { detail }) })
    return true
  } catch (e) {
    steps.push({
      name,
      ok: false,
      error: String(e?.message ?? e).slice(0, 2000),
      requests: requests.slice(from),
    })
    return false
  }
}

function check(cond, msg) {
  if (!cond) throw new Error(msg)
}

const PRE_AUTH = 'urn:ietf:params:oauth:grant-type:pre-authorized_code'

// 1. Credential Issuer Metadata and the Authorization Server metadata.
let metadata
await step('issuer_metadata', async () => {
  metadata = await client.resolveIssuerMetadata(args.issuer)
  const ci = metadata.credentialIssuer
  check(ci.credential_issuer === args.issuer, `credential_issuer ${ci.credential_issuer} != ${args.issuer}`)
  check(ci.nonce_endpoint, 'no nonce_endpoint')
  const ids = Object.keys(ci.credential_configurations_supported)
  check(ids.length > 0, 'no credential_configurations_supported')
  return {
    original_draft_version: metadata.originalDraftVersion,
    credential_configuration_ids: ids,
    formats: ids.map((id) => ci.credential_configurations_supported[id].format),
    // Configurations whose format the library knows (ours is zkcred's own).
    known_to_library: Object.keys(metadata.knownCredentialConfigurations),
  }
})
// The library tells a 1.0 issuer from a draft one by credential_metadata.
await step('issuer_metadata_version_1_0', async () => {
  check(metadata, 'no metadata')
  check(metadata.originalDraftVersion === 'V1', `library sees version ${metadata.originalDraftVersion}, want V1`)
})
await step('authorization_server_metadata', async () => {
  check(metadata, 'no metadata')
  check(metadata.authorizationServers.length > 0, 'no authorization server metadata')
  const as = metadata.authorizationServers[0]
  check(as.token_endpoint, 'no token_endpoint')
  // Found at /.well-known/oauth-authorization-server, not from a fallback.
  const fetched = requests.some((r) => r.url.includes('/.well-known/oauth-authorization-server') && r.status === 200)
  check(fetched, 'authorization server metadata not served at /.well-known/oauth-authorization-server')
  return {
    issuer: as.issuer,
    token_endpoint: as.token_endpoint,
    pre_authorized_grant_anonymous_access_supported: as['pre-authorized_grant_anonymous_access_supported'],
  }
})

// 2. Credential offers, by value and by reference.
async function resolveOffer(uri) {
  const offer = await client.resolveCredentialOffer(uri)
  check(offer.credential_issuer === args.issuer, `offer credential_issuer ${offer.credential_issuer} != ${args.issuer}`)
  if (metadata) {
    for (const id of offer.credential_configuration_ids) {
      check(metadata.credentialIssuer.credential_configurations_supported[id], `offer names ${id}, not in metadata`)
    }
  }
  const grant = offer.grants?.[PRE_AUTH]
  check(grant, 'offer has no pre-authorized_code grant')
  check(grant.tx_code, 'offer asks for no tx_code')
  return offer
}
const offers = new Map()
for (const [i, uri] of args.offers.entries()) {
  const byRef = uri.includes('credential_offer_uri=')
  const byVal = uri.includes('credential_offer=')
  const kind = byRef ? 'by_reference' : byVal ? 'by_value' : 'unknown'
  await step(`offer_${i}_${kind}`, async () => {
    const offer = await resolveOffer(uri)
    offers.set(uri, offer)
    const grant = offer.grants[PRE_AUTH]
    return {
      scheme: uri.split(':')[0],
      credential_configuration_ids: offer.credential_configuration_ids,
      tx_code: grant.tx_code,
    }
  })
}

// 3. Token requests with the pre-authorized code and the tx_code.
let offer = offers.get(args.redeem)
if (!offer) {
  await step('offer_redeem', async () => {
    offer = await resolveOffer(args.redeem)
  })
}
function expectInvalidGrant(e) {
  const code = e?.errorResponse?.error
  check(code === 'invalid_grant', `want a token error response invalid_grant, got ${code ?? String(e?.message ?? e)}`)
  return { error: code, error_description: e.errorResponse.error_description }
}
if (args.wrongTxCode !== undefined) {
  await step('token_wrong_tx_code_invalid_grant', async () => {
    check(offer && metadata, 'no offer or metadata')
    try {
      await client.retrievePreAuthorizedCodeAccessTokenFromOffer({ credentialOffer: offer, issuerMetadata: metadata, txCode: args.wrongTxCode })
    } catch (e) {
      return expectInvalidGrant(e)
    }
    throw new Error('wrong tx_code gave an access token')
  })
}
await step('token', async () => {
  check(offer && metadata, 'no offer or metadata')
  const { accessTokenResponse } = await client.retrievePreAuthorizedCodeAccessTokenFromOffer({
    credentialOffer: offer,
    issuerMetadata: metadata,
    txCode: args.txCode,
  })
  check(accessTokenResponse.access_token, 'no access_token')
  check(String(accessTokenResponse.token_type).toLowerCase() === 'bearer', `token_type ${accessTokenResponse.token_type}`)
  return {
    token_type: accessTokenResponse.token_type,
    expires_in: accessTokenResponse.expires_in,
    has_c_nonce: 'c_nonce' in accessTokenResponse,
    authorization_details: accessTokenResponse.authorization_details,
  }
})
await step('token_reused_code_invalid_grant', async () => {
  check(offer && metadata, 'no offer or metadata')
  try {
    await client.retrievePreAuthorizedCodeAccessTokenFromOffer({ credentialOffer: offer, issuerMetadata: metadata, txCode: args.txCode })
  } catch (e) {
    return expectInvalidGrant(e)
  }
  throw new Error('a used pre-authorized code gave a second access token')
})

// 4. Nonce endpoint.
await step('nonce', async () => {
  check(metadata, 'no metadata')
  const a = await client.requestNonce({ issuerMetadata: metadata })
  const b = await client.requestNonce({ issuerMetadata: metadata })
  check(a.c_nonce && b.c_nonce, 'no c_nonce')
  check(a.c_nonce !== b.c_nonce, 'two nonce requests gave the same c_nonce')
  return { c_nonce_length: a.c_nonce.length, c_nonce_expires_in: a.c_nonce_expires_in }
})

process.stdout.write(JSON.stringify({
  library: '@openid4vc/openid4vci',
  version: libVersion,
  node: process.version,
  passed: steps.every((s) => s.ok),
  steps,
}, null, 2) + '\n')
