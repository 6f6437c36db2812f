package openid4vci

import (
	"errors"
	"fmt"
)

// Sentinel errors, shared by both sides. Every error this package and
// package issuer return for refused input wraps one of them (test with
// [errors.Is]); the issuer answers each with the OpenID4VCI or OAuth 2.0
// error code named below, and the wallet turns an issuer's error response
// into a [*ServerError] that wraps the sentinel of its code.
var (
	// ErrInvalidRequest (invalid_request, 400): a malformed token request
	// (wrong content type, a repeated parameter, a missing
	// pre-authorized_code, a tx_code missing when the offer has one),
	// or a malformed response seen by the wallet.
	ErrInvalidRequest = errors.New("openid4vci: invalid request")
	// ErrUnsupportedGrantType (unsupported_grant_type, 400): a grant_type
	// other than the Pre-Authorized Code grant.
	ErrUnsupportedGrantType = errors.New("openid4vci: unsupported grant type")
	// ErrInvalidGrant (invalid_grant, 400): an unknown, used or expired
	// pre-authorized code, a wrong transaction code (counted), or a locked
	// offer. [ErrOfferLocked] and [ErrExpired] are wrapped with it.
	ErrInvalidGrant = errors.New("openid4vci: invalid grant")
	// ErrOfferLocked is returned, with [ErrInvalidGrant], once an offer had
	// issuer.Config.MaxTxCodeAttempts wrong transaction codes: even the right
	// one is then refused. The back office creates a new offer.
	ErrOfferLocked = errors.New("openid4vci: offer locked after too many wrong transaction codes")
	// ErrExpired is returned, with [ErrInvalidGrant], [ErrInvalidToken] or
	// [ErrInvalidNonce], for an offer, access token or c_nonce past its TTL.
	ErrExpired = errors.New("openid4vci: expired")
	// ErrInvalidToken (invalid_token, 401, RFC 6750): a missing, unknown or
	// expired access token at the credential endpoint.
	ErrInvalidToken = errors.New("openid4vci: invalid access token")
	// ErrInvalidCredentialRequest (invalid_credential_request, 400): a
	// credential request that is not JSON of the profile (unknown or
	// duplicate members, no proofs, more than one proof).
	ErrInvalidCredentialRequest = errors.New("openid4vci: invalid credential request")
	// ErrUnknownConfiguration (unknown_credential_configuration, 400): a
	// credential_configuration_id the offer does not name.
	ErrUnknownConfiguration = errors.New("openid4vci: unknown credential configuration")
	// ErrUnsupportedFormat (unsupported_credential_format, 400): a request
	// in the pre-1.0 style naming a "format", or, on the wallet side, a
	// configuration whose format is not [Format].
	ErrUnsupportedFormat = errors.New("openid4vci: unsupported credential format")
	// ErrInvalidProof (invalid_proof, 400): a key proof that is malformed,
	// does not verify, has another typ, aud or alg, an iat outside the
	// window, a non-canonical or zero holder commitment, or that was
	// already used for another offer.
	ErrInvalidProof = errors.New("openid4vci: invalid proof")
	// ErrInvalidNonce (invalid_nonce, 400): a c_nonce that this issuer did
	// not make, that expired ([ErrExpired]) or that was already used. The
	// wallet fetches a fresh one from the nonce endpoint.
	ErrInvalidNonce = errors.New("openid4vci: invalid nonce")
	// ErrRequestDenied (credential_request_denied, 400): the register
	// refuses to issue: the offer's credential was already issued with
	// another proof, or the record no longer validates ([ErrInvalidRecord]
	// or [ErrUnknownRecord] are wrapped with it).
	ErrRequestDenied = errors.New("openid4vci: credential request denied")
	// ErrUnknownRecord is returned by an issuer.Register for an id it
	// does not hold.
	ErrUnknownRecord = errors.New("openid4vci: unknown register record")
	// ErrInvalidRecord is returned when a register record does not
	// validate against the schema and the issuer.Rules: a value of the wrong
	// type or out of range, an unknown enum value or district, a date in
	// the future, a missing or unknown attribute, a validity in the past.
	// It wraps credential.ErrSchemaMismatch where the schema refused.
	ErrInvalidRecord = errors.New("openid4vci: invalid register record")
	// ErrConfig is returned by [NewWallet], [NewProof], issuer.New and the
	// register constructors for an invalid configuration.
	ErrConfig = errors.New("openid4vci: invalid configuration")
	// ErrStore is returned when the issuer's state store or the register's
	// database fails (server_error, 500).
	ErrStore = errors.New("openid4vci: store error")
	// ErrInvalidOffer is returned by [ParseOffer] for a credential offer
	// that is malformed, and by the wallet for metadata that does not match
	// the offer (another credential_issuer, no usable configuration).
	ErrInvalidOffer = errors.New("openid4vci: invalid credential offer")
	// ErrInvalidCredential is returned by the wallet when the issued
	// credential does not parse, is bound to another holder commitment,
	// or does not verify (it then also wraps the credential package's
	// error).
	ErrInvalidCredential = errors.New("openid4vci: invalid credential")
)

// codeErrors maps error codes back to sentinels, for [ServerError].
var codeErrors = map[string]error{
	"invalid_request":                  ErrInvalidRequest,
	"unsupported_grant_type":           ErrUnsupportedGrantType,
	"invalid_grant":                    ErrInvalidGrant,
	"invalid_token":                    ErrInvalidToken,
	"invalid_nonce":                    ErrInvalidNonce,
	"invalid_proof":                    ErrInvalidProof,
	"unsupported_credential_format":    ErrUnsupportedFormat,
	"unknown_credential_configuration": ErrUnknownConfiguration,
	"invalid_credential_request":       ErrInvalidCredentialRequest,
	"credential_request_denied":        ErrRequestDenied,
}

// ServerError is an error response of an issuer, as the wallet received
// it. It unwraps to the sentinel of its Code (invalid_grant to
// [ErrInvalidGrant], ...), or to nothing for a code this package does not
// know.
type ServerError struct {
	Status      int    // HTTP status
	Code        string // "error"
	Description string // "error_description", may be empty
}

func (e *ServerError) Error() string {
	s := fmt.Sprintf("openid4vci: issuer answered %d %s", e.Status, truncate(e.Code, 64))
	if e.Description != "" {
		s += ": " + truncate(e.Description, 256)
	}
	return s
}

// Unwrap returns the sentinel of e.Code, or nil.
func (e *ServerError) Unwrap() error { return codeErrors[e.Code] }

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
