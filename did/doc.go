// Package did implements W3C Decentralized Identifiers (DID Core 1.0,
// https://www.w3.org/TR/did-core/): DID and DID URL syntax, DID documents
// and verification methods, DID resolution, and the did:key (v0.7),
// did:jwk and did:web methods.
//
// For most uses: build a resolver with [NewResolver], then look up an
// issuer's key with [ResolveVerificationMethod], naming the verification
// relationship the key must be in ([AssertionMethod] for credentials), and
// decode it with [VerificationMethod.PublicKey]. An issuer's ZK key comes
// from [ResolveZKKey], which does both and checks the key's type.
//
//	r, _ := did.NewResolver(nil)
//	vm, _, err := did.ResolveVerificationMethod(ctx, r, kid, did.AssertionMethod)
//	pub, err := vm.PublicKey()
//	zk, err := did.ResolveZKKey(ctx, r, zkKid)
//
// # Errors
//
// Every error wraps an exported sentinel ([ErrInvalidDID], [ErrNotFound],
// [ErrInvalidKey], ...), testable with errors.Is. Resolvers return a
// *[ResolutionError] whose Code is the DID resolution error code
// ("invalidDid", "notFound", "methodNotSupported",
// "representationNotSupported", "invalidPublicKey",
// "invalidPublicKeyLength", "unsupportedPublicKeyType", ...). Bad input
// never panics.
//
// # Keys
//
// Public keys are ed25519.PublicKey, *ecdsa.PublicKey (P-256, P-384,
// P-521), *ecdh.PublicKey (X25519), [*Secp256k1PublicKey] and
// [*ZKPublicKey]. Every decoder accepts only canonical encodings of points
// on the curve, and rejects points of small order (for Ed25519 also
// mixed-order points, for X25519 the low-order u-coordinates).
//
// # ZK key encoding, version 1
//
// The issuer's zero-knowledge signing key is a point of gnark-crypto's
// BN254 twisted-Edwards curve (ecc/bn254/twistededwards, the curve the
// credential package signs with in EdDSA). It has no registered
// multicodec, so this package uses, in version 1 of this encoding:
//
//   - multicodec code 0x30b254, from the private-use range
//     0x300000–0x3fffff, as the unsigned varint d4 e4 c2 01;
//   - raw key: 32 bytes, gnark-crypto's PointAffine.Bytes: y as 32 bytes
//     little-endian with the top bit of the last byte set when x is
//     "negative" (lexicographically largest, RFC 8032 §5.1.2 style);
//   - Multikey / publicKeyMultibase / did:key value: "z" +
//     base58btc(d4 e4 c2 01 || raw), type "Multikey";
//   - acceptance: exactly 32 bytes, canonical (y < r, no alternative sign
//     bit, re-encodes to the same bytes), on the curve, in the prime-order
//     subgroup, not the identity.
//
// It has no JWK form: did:key with JsonWebKey2020 keeps it as Multikey,
// and [NewJWKMethod] and [JWKDID] refuse it. A later version would take a
// new code, so version 1 keys stay valid.
//
// # did:web
//
// [WebResolver] fetches with the outbound policy of package
// [github.com/zkcred/zkcred/did/fetch]: HTTPS only, public addresses only
// (checked when connecting, on the address dialled, whatever name led to
// it), no proxy, redirects only to the same scheme and host, one deadline
// for the whole fetch and a size limit. It builds its own transport and
// takes only TLS settings from the caller (see [WebConfig]). Before any
// request, [Parse] applies the did:web syntax: a domain name host whose
// only percent-encoding is "%3A" before a port, and ':'-separated path
// segments of ALPHA, DIGIT, '.', '-' and '_' that are neither empty nor
// "." or ".." (no percent-encoded dots, slashes, controls or anything
// else); the resolver also refuses IP literals and local names.
// [WebDID], [WebDocumentPath] and [DocumentHandler] help an issuer
// publish its document.
package did
