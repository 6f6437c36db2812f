package issuer

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/zkcred/zkcred/credential/openid4vci"
)

var b64 = base64.RawURLEncoding.Strict()

// marshal encodes with encoding/json (deterministic, HTML-escaped).
func marshal(v any) ([]byte, error) { return json.Marshal(v) }

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

// wireError maps an error to its OAuth / OpenID4VCI error code and HTTP
// status. A store or register failure ([openid4vci.ErrStore]) is a
// server_error whatever else it wraps.
func wireError(err error) (code string, status int) {
	switch {
	case errors.Is(err, openid4vci.ErrStore):
		return "server_error", http.StatusInternalServerError
	case errors.Is(err, openid4vci.ErrInvalidGrant):
		return "invalid_grant", http.StatusBadRequest
	case errors.Is(err, openid4vci.ErrUnsupportedGrantType):
		return "unsupported_grant_type", http.StatusBadRequest
	case errors.Is(err, openid4vci.ErrInvalidToken):
		return "invalid_token", http.StatusUnauthorized
	case errors.Is(err, openid4vci.ErrInvalidNonce):
		return "invalid_nonce", http.StatusBadRequest
	case errors.Is(err, openid4vci.ErrInvalidProof):
		return "invalid_proof", http.StatusBadRequest
	case errors.Is(err, openid4vci.ErrUnsupportedFormat):
		return "unsupported_credential_format", http.StatusBadRequest
	case errors.Is(err, openid4vci.ErrUnknownConfiguration):
		return "unknown_credential_configuration", http.StatusBadRequest
	case errors.Is(err, openid4vci.ErrInvalidCredentialRequest):
		return "invalid_credential_request", http.StatusBadRequest
	case errors.Is(err, openid4vci.ErrRequestDenied):
		return "credential_request_denied", http.StatusBadRequest
	case errors.Is(err, openid4vci.ErrInvalidRequest):
		return "invalid_request", http.StatusBadRequest
	}
	return "server_error", http.StatusInternalServerError
}

// wrongTxCodeError is a wrong transaction code, the attempt-th of max
// allowed. It wraps [openid4vci.ErrInvalidGrant].
type wrongTxCodeError struct{ attempt, max int }

func (e *wrongTxCodeError) Error() string {
	return fmt.Sprintf("%v: wrong transaction code (%d of %d tries)", openid4vci.ErrInvalidGrant, e.attempt, e.max)
}

func (e *wrongTxCodeError) Unwrap() error { return openid4vci.ErrInvalidGrant }

// describe returns the error_description sent for err: a fixed text per
// error code (a few codes have one per cause), never err's own text, which
// may carry a register's record id and values or a database's host and
// user. The full error goes to the issuer's log.
func describe(err error) string {
	var wrong *wrongTxCodeError
	switch {
	case errors.Is(err, openid4vci.ErrStore):
		return ""
	case errors.As(err, &wrong):
		return fmt.Sprintf("wrong transaction code (%d of %d tries)", wrong.attempt, wrong.max)
	case errors.Is(err, openid4vci.ErrOfferLocked):
		return "the offer is locked after too many wrong transaction codes; ask the issuer for a new offer"
	case errors.Is(err, openid4vci.ErrInvalidGrant) && errors.Is(err, openid4vci.ErrExpired):
		return "the pre-authorized code expired"
	case errors.Is(err, openid4vci.ErrInvalidGrant):
		return "unknown or already used pre-authorized code"
	case errors.Is(err, openid4vci.ErrUnsupportedGrantType):
		return "only the pre-authorized code grant is supported"
	case errors.Is(err, openid4vci.ErrInvalidToken) && errors.Is(err, openid4vci.ErrExpired):
		return "the access token expired"
	case errors.Is(err, openid4vci.ErrInvalidToken):
		return "missing, malformed or unknown access token"
	case errors.Is(err, openid4vci.ErrInvalidNonce) && errors.Is(err, openid4vci.ErrExpired):
		return "the c_nonce expired; fetch a new one"
	case errors.Is(err, openid4vci.ErrInvalidNonce):
		return "unknown or already used c_nonce; fetch a new one"
	case errors.Is(err, openid4vci.ErrInvalidProof):
		return "the key proof is malformed or does not verify (profile " + openid4vci.ProofProfile + ")"
	case errors.Is(err, openid4vci.ErrUnsupportedFormat):
		return "send credential_configuration_id, not format"
	case errors.Is(err, openid4vci.ErrUnknownConfiguration):
		return "unknown credential_configuration_id"
	case errors.Is(err, openid4vci.ErrInvalidCredentialRequest):
		return "the credential request is malformed: want JSON with credential_configuration_id and proofs.jwt holding one proof"
	case errors.Is(err, openid4vci.ErrRequestDenied):
		return "the issuer does not issue this credential; ask the issuer"
	case errors.Is(err, openid4vci.ErrInvalidRequest):
		return "the token request is malformed or misses a parameter"
	}
	return ""
}
