package protocol

import "errors"

// Sentinel errors. The errors of [ParseRequest], [Request.Compile],
// [Policy.Validate], [AgeCutoff] and [ParseSubmission] wrap one of them,
// plus, where useful, the error of the package that detected the problem,
// so callers test with [errors.Is]; [Holding.Answer] says what it returns.
// The verifier's errors wrap the same values (verifier.Verifier.Verify a
// malformed submission with [ErrMalformedPresentation], NewRequest a bad
// policy with [ErrInvalidRequest]).
//
// Their texts keep the "verifier:" prefix they had before this package was
// split from verifier: they appear in the verifier's HTTP error messages.
var (
	// ErrInvalidRequest is returned when a presentation request (policy) is
	// not well formed: unknown schema or attribute, operator not allowed for
	// the attribute type, value out of range, bad expiry...
	ErrInvalidRequest = errors.New("verifier: invalid request")
	// ErrMalformedPresentation is returned when a submission cannot be
	// decoded strictly (see "Strict JSON" in request.md), or its
	// presentation was made for another backend or verifying key (then
	// with zkp.ErrKeyMismatch, before the proof is decoded).
	ErrMalformedPresentation = errors.New("verifier: malformed presentation")
	// ErrCannotAnswer is returned by [Holding.Answer] when the credential
	// cannot answer the request at all (another issuer or schema, a
	// credential not bound to the secret, a revoked credential, a request
	// for another audience). A credential that fits the request but whose
	// attributes do not satisfy it gets zkp.ErrUnsatisfied instead, before
	// any proving work.
	ErrCannotAnswer = errors.New("verifier: credential cannot answer this request")
)
