// Package issuer is the issuer side of OpenID for Verifiable Credential
// Issuance 1.0 under the profile zkcred-openid4vci-v1 (../PROFILE.md): an
// [http.Handler] serving the Pre-Authorized Code flow, its state store (a
// bbolt file), the agency's registers (in memory, a JSON file,
// PostgreSQL) and the back office ([Issuer.CreateOffer], [Issuer.Issued]).
// What both sides speak, and the wallet, are package
// credential/openid4vci, which imports no store so that it builds for
// js/wasm.
//
// For most uses: the agency builds an [Issuer] with [New] over its
// [Register], serves [Issuer.Handler] at its Credential Issuer Identifier,
// and for each citizen calls [Issuer.CreateOffer], showing the
// [Offer.URI] (or [Offer.QRCode]) and sending [Offer.TxCode] on another
// channel.
//
// # API
//
// [New]([Config]) → [*Issuer]; [Issuer.Handler]; [Issuer.CreateOffer](ctx,
// recordID) → [*Offer] (ID, Offer, JSON, URI, ValueURI, TxCode, ExpiresAt;
// [Offer.QRCode]); [Issuer.Issued](offerID) → [*Issuance] (revocation id
// of what was issued); [Issuer.Close]. Register: the [Register] interface
// (Record(ctx, id) → [Record]), [Rules], [NewMemoryRegister],
// [LoadRegisterFile] ([RegisterFileFormat]), [OpenPostgresRegister]
// ([PostgresRegister]). Errors wrap the sentinels of package
// credential/openid4vci. Every JSON document read (requests, register
// files and rows, store entries) is decoded with did/strictjson.
//
// # Specification sections implemented
//
//   - §4.1 Credential Offer, by value (credential_offer) and by reference
//     (credential_offer_uri, served at /offers/{id} until redeemed), as an
//     openid-credential-offer:// URI and a QR code; the Pre-Authorized Code
//     grant with tx_code (numeric, [Config.TxCodeLength] digits).
//   - §6 Token Endpoint, grant urn:ietf:params:oauth:grant-type:pre-authorized_code
//     only, anonymous (pre-authorized_grant_anonymous_access_supported):
//     codes single-use and short-lived ([Config.OfferTTL]), stored
//     hashed in a bbolt file; a wrong tx_code is counted and the offer is
//     locked after [Config.MaxTxCodeAttempts] (the final text sets no
//     limit; see STANDARDS.md A14); tx codes are compared in constant time;
//     access tokens are opaque, random, bound to the offer, short-lived.
//   - §7 Nonce Endpoint: stateless MAC'd c_nonces with an expiry, recorded
//     when used: a replayed or expired nonce is invalid_nonce.
//   - §8 Credential Endpoint: credential_configuration_id and proofs.jwt
//     with one proof; the response {"credentials":[{"credential": ...}]}.
//   - §F.1 jwt key proof (typ openid4vci-proof+jwt, aud, iat, nonce, jwk
//     header), extended by the holder commitment claim (PROFILE.md).
//   - §12.2 Credential Issuer Metadata with credential_metadata (display,
//     claims), and RFC 8414 Authorization Server metadata.
//   - Error responses of §6.3 and §8.3.1.2 (invalid_request, invalid_grant,
//     unsupported_grant_type, invalid_proof, invalid_nonce,
//     invalid_credential_request, unknown_credential_configuration,
//     credential_request_denied; unsupported_credential_format for a pre-1.0
//     "format" member) and RFC 6750 invalid_token.
//
// # Left out
//
//   - The Authorization Code flow (§3.4, with PKCE, PAR, authorization
//     details, credential_identifier): the agency knows who the citizen is
//     before issuing (its register and an out-of-band PIN), so the
//     Pre-Authorized Code flow is the whole use case; an authorization
//     server with user login is a separate product. Offers carrying only an
//     authorization_code grant are refused by the wallet.
//   - Batch issuance, deferred issuance (§9), notifications (§11),
//     credential response encryption, wallet attestation and
//     key attestations, signed metadata, the proof types di_vp and
//     attestation, and the removed singular "proof" member.
//   - A shared state store for several issuer instances: offers, tokens and
//     used nonces live in one bbolt file (one instance); the register can be
//     PostgreSQL ([PostgresRegister]) and shared.
//
// # Issuance
//
// At the credential endpoint the issuer: authenticates the access token;
// parses the request strictly; if the same proof JWT already produced a
// credential for this offer, returns that credential again (idempotent
// retry); verifies the proof (signature, typ, aud, iat window, a c_nonce
// it made that has not expired); refuses an offer already used; reads the
// register record and validates every value against the schema and
// [Rules]. Only then it draws a revocation id from the status registry,
// consumes the nonce and claims the offer in one store transaction
// (recording a pending [Issuance]), signs, and records the credential under
// the SHA-256 of the proof JWT. Nothing is signed before every check has
// passed, and a credential is delivered only once it is recorded. (The
// revocation id and status index are drawn before the claim: those of a
// request that loses a race for the same offer stay unused, and a crash
// between claim and record leaves the offer spent with a pending
// [Issuance]; the back office makes a new offer.)
//
// One offer gives one credential. The back office may make several offers
// for one record (a citizen's new phone); each credential has its own
// revocation id ([Issuer.Issued]), revoked through the status registry.
//
// # Performance
//
// BenchmarkIssuance (the whole issuer side of one issuance, no HTTP: offer,
// token, nonce, credential) measured about 60 to 70 credentials/s with the
// in-memory register and 44/s with PostgreSQL, sequentially, on 2 shared
// cores of an AMD EPYC. About 2 ms of that is CPU (Poseidon2 hashing of
// the schema and attributes, both signatures); the rest is waiting for
// fsync: an issuance commits six bbolt transactions (offer, token, the
// registry's revocation id and status index, the claim, the record).
//
// # Operations
//
// [Config.Logger] (nil discards) gets each refused request once at info
// (request id, path, error code), each server-side failure at warn, and
// store and register failures at error; never a code, PIN, token or
// attribute value. [Config.Metrics] (a prometheus.Registerer; nil, none)
// registers zkcred_issuer_requests_total{endpoint,outcome,code},
// zkcred_issuer_issuance_duration_seconds{outcome} and
// zkcred_issuer_store_errors_total. [Issuer.Ready] is a readiness probe:
// it reads the state store and pings a [PostgresRegister].
package issuer
