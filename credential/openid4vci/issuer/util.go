package issuer

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/zkcred/zkcred/credential/openid4vci"
	"github.com/zkcred/zkcred/did/fetch"
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

// checkIssuerURL checks a Credential Issuer Identifier: an absolute https
// URL (or http when allowHTTP) with a host, no query, no fragment, no user
// information, as the wallet checks it (openid4vci.ParseOffer).
func checkIssuerURL(s string, allowHTTP bool) error {
	if err := fetch.CheckURL(s, allowHTTP); err != nil {
		return err
	}
	u, _ := url.Parse(s)
	if u.RawQuery != "" || u.Fragment != "" || strings.HasSuffix(s, "#") || strings.HasSuffix(s, "?") {
		return fmt.Errorf("%q has a query or fragment", truncate(s, 128))
	}
	return nil
}

// wireError maps an error to its OAuth / OpenID4VCI error code and HTTP
// status.
func wireError(err error) (code string, status int) {
	switch {
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
