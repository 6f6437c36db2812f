package credential

import "errors"

// Sentinel errors. Every error this package returns for bad input wraps one
// of them (test with [errors.Is]); the message adds the context.
var (
	// ErrInvalidCredential is returned when a credential breaks a rule of the
	// VC Data Model 2.0 (see [Credential.Validate]), when a JWT payload is
	// not a valid credential (for instance it carries the VC 1.1 "vc" or "vp"
	// claims, or "iss" differs from the issuer), or when a stored credential
	// is inconsistent.
	ErrInvalidCredential = errors.New("credential: invalid credential")
	// ErrSubjectMismatch is returned, wrapped with [ErrInvalidCredential],
	// when a VC-JWT's "sub" claim is not the id of its only
	// credentialSubject, by [IssueJWT] and [VerifyJWT].
	ErrSubjectMismatch = errors.New("credential: sub differs from credentialSubject.id")
	// ErrMalformedJWT is returned for a token that is not a well-formed JWS
	// compact serialization: wrong number of parts, bad base64url, bad JSON,
	// duplicate JSON members, a claim of the wrong type.
	ErrMalformedJWT = errors.New("credential: malformed JWT")
	// ErrTooLarge is returned for input over a size limit (a token, a header,
	// a JSON document, a string attribute).
	ErrTooLarge = errors.New("credential: input too large")
	// ErrUnsupportedAlgorithm is returned for a JWS "alg" outside the
	// allow-list: "none", every HMAC and RSA algorithm, and anything not
	// enabled in [VerifyOptions.Algorithms].
	ErrUnsupportedAlgorithm = errors.New("credential: unsupported algorithm")
	// ErrUnsupportedHeader is returned for JOSE header parameters this
	// package refuses: "crit" (no extension is understood), "b64", and the
	// embedded or remote keys "jwk", "jku", "x5u", "x5c", "x5t", "x5t#S256".
	ErrUnsupportedHeader = errors.New("credential: unsupported JOSE header")
	// ErrMediaType is returned when "typ" is not vc+jwt or "cty" is present
	// and not vc.
	ErrMediaType = errors.New("credential: wrong media type")
	// ErrUntrustedKey is returned when the signing key cannot be trusted for
	// the credential: "kid" is missing or not an absolute DID URL, it does
	// not resolve, the method is not in the issuer's assertionMethod or is
	// controlled by another DID, the DID is not the issuer, the key type
	// does not match "alg", or the key is weak (an Ed25519 key of small
	// order, an invalid ZK key).
	ErrUntrustedKey = errors.New("credential: untrusted key")
	// ErrBadSignature is returned when a JWS or ZK signature does not verify,
	// or a ZK signature is not canonically encoded.
	ErrBadSignature = errors.New("credential: bad signature")
	// ErrExpired is returned when "exp" or "validUntil" is not after the
	// verification time.
	ErrExpired = errors.New("credential: expired")
	// ErrNotYetValid is returned when "nbf" or "validFrom" is after the
	// verification time, or "iat" is in the future.
	ErrNotYetValid = errors.New("credential: not yet valid")
	// ErrSchemaMismatch is returned when attribute values do not fit a
	// schema: an unknown or missing attribute, a value of the wrong type or
	// out of range (a uint wider than its declared bits, a date before
	// 1800-01-01, an unknown enum value), or stored slots that are not the
	// encoding of the stored values.
	ErrSchemaMismatch = errors.New("credential: value does not match schema")
	// ErrInvalidSchema is returned for a schema that breaks the rules of
	// [Schema.Validate].
	ErrInvalidSchema = errors.New("credential: invalid schema")
	// ErrInvalidKey is returned for malformed private key or holder secret
	// encodings, and for a ZK public key that is missing or invalid.
	ErrInvalidKey = errors.New("credential: invalid key")
	// ErrInvalidOptions is returned for [VerifyOptions] out of range (a
	// negative leeway or one above [MaxLeeway]).
	ErrInvalidOptions = errors.New("credential: invalid options")
	// ErrUnsupportedVersion is returned when a stored credential has an
	// unknown format version.
	ErrUnsupportedVersion = errors.New("credential: unsupported format version")
)

// truncate shortens s, untrusted, to n bytes for an error message.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
