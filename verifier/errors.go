package verifier

import "errors"

// Sentinel errors. The errors of verification, requests and stores wrap
// one of them ([ErrUnpinnedKey] always together with [ErrUntrustedIssuer])
// or one of the protocol's, [protocol.ErrInvalidRequest] (a bad policy or
// request) and [protocol.ErrMalformedPresentation] (a submission that does
// not decode), plus, where useful, the error of the package that detected
// the problem, so callers test with [errors.Is]; see "Errors" in the
// package doc for the exception ([New]). [Verifier.Handler] maps each to a
// stable error code (see [ErrorCode]).
var (
	// ErrUnknownRequest is returned when a presentation names a request this
	// verifier never issued (or one that was pruned).
	ErrUnknownRequest = errors.New("verifier: unknown request")
	// ErrExpiredRequest is returned when a presentation arrives after its
	// request's expiry.
	ErrExpiredRequest = errors.New("verifier: request expired")
	// ErrReplay is returned when a request (keyed on its nonce) was already
	// answered by an accepted presentation.
	ErrReplay = errors.New("verifier: request already answered")
	// ErrHolderDeclined is what [Config.OnResponse] is told when a wallet
	// answers an OpenID4VP request with the error response access_denied:
	// the holder declined (nothing was proven). The request stays
	// answerable until it expires, as the holder may change their mind.
	ErrHolderDeclined = errors.New("verifier: the holder declined the request")
	// ErrWalletError is what [Config.OnResponse] is told when a wallet
	// answers an OpenID4VP request with another error response (a request
	// it cannot process): the error's code follows it.
	ErrWalletError = errors.New("verifier: the wallet could not answer the request")
	// ErrDuplicateNullifier is returned when the presentation's nullifier was
	// already recorded in the request's scope: the same holder acted twice.
	ErrDuplicateNullifier = errors.New("verifier: nullifier already used in this scope")
	// ErrUntrustedIssuer is returned when the issuer is not in the request's
	// trusted list, the key is not pinned for it ([Config.IssuerKeys], with
	// [ErrUnpinnedKey]), or its DID document has no usable ZK key in
	// assertionMethod.
	ErrUntrustedIssuer = errors.New("verifier: untrusted issuer")
	// ErrUnpinnedKey is returned, together with [ErrUntrustedIssuer], when
	// a presentation names a key of a trusted issuer that is not among the
	// keys [Config.IssuerKeys] pins for that issuer.
	ErrUnpinnedKey = errors.New("verifier: issuer key not pinned")
	// ErrStaleRoot is returned when the issuer's signed revocation root is
	// older than the request allows, has a lower sequence than a root this
	// verifier's store already accepted for that issuer (a rollback: the
	// floor is kept in the [Store], so it holds across restarts and
	// instances), or cannot be obtained or verified.
	ErrStaleRoot = errors.New("verifier: revocation root stale or unverifiable")
	// ErrInvalidProof is returned when the proof does not verify against the
	// statement the verifier computed (wrong request, revoked credential,
	// forged proof, other verifying key...).
	ErrInvalidProof = errors.New("verifier: invalid proof")
	// ErrDuplicateRequest is returned by a [Store] when a request with the
	// same id or nonce already exists.
	ErrDuplicateRequest = errors.New("verifier: duplicate request id or nonce")
	// ErrUnavailable is returned by the OpenID4VP path when a check could
	// not be made now (the store failed, or a DID document or key could not
	// be fetched): "could not check, retry", not a rejection. It wraps the
	// cause ([ErrStore] among others).
	ErrUnavailable = errors.New("verifier: could not check now, retry")
	// ErrUnsatisfiedQuery is returned when an OpenID4VP response does not
	// satisfy its DCQL query's credential sets, answers a query that was
	// not asked, or answers linked queries with presentations of different
	// holders (wrapping dcql.ErrNotSatisfied or dcql.ErrDifferentHolders).
	ErrUnsatisfiedQuery = errors.New("verifier: response does not satisfy the query")
	// ErrStore is returned when the state store fails (I/O, database
	// unavailable). It is the only error callers may retry.
	ErrStore = errors.New("verifier: store failure")
)
