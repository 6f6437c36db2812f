package issuer

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/go-json-experiment/json/jsontext"
	bolt "go.etcd.io/bbolt"

	"github.com/zkcred/zkcred/credential"
	"github.com/zkcred/zkcred/credential/openid4vci"
	"github.com/zkcred/zkcred/did/strictjson"
)

// maxRequestBody bounds every request body the handler reads.
const maxRequestBody = 64 << 10

// Handler serves the issuer's endpoints:
//
//	GET  /.well-known/openid-credential-issuer   Credential Issuer Metadata (§12.2)
//	GET  /.well-known/oauth-authorization-server Authorization Server Metadata (RFC 8414)
//	GET  /offers/{id}                            a Credential Offer by reference (§4.1.3)
//	POST /token                                  Token Endpoint, Pre-Authorized Code grant (§6)
//	POST /nonce                                  Nonce Endpoint (§7)
//	POST /credential                             Credential Endpoint (§8)
//
// inside http.MaxBytesHandler (64 KiB). Errors are JSON
// {"error": code, "error_description": text} with the status of
// [wireError] (the spec's codes) and a fixed text per code ([describe]);
// a server_error has no description; token, nonce and credential responses carry
// Cache-Control: no-store.
//
// Each refusal is logged once at info level and each server-side failure
// at warn (store and register failures at error), with the request id
// (X-Request-Id when the client or a proxy sent a well-formed one) and
// the error code (see [Config.Logger]); with [Config.Metrics] it counts
// requests by endpoint, outcome and code, times issuances and counts
// store errors (see [Issuer.Ready] for a readiness probe).
//
// Every answer carries Access-Control-Allow-Origin: *, and OPTIONS
// preflights of the token, nonce and credential endpoints are answered,
// for browser wallets (cors.go says why "*" is safe here).
func (is *Issuer) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+openid4vci.PathIssuerMetadata, is.instrument("issuer_metadata", func(w http.ResponseWriter, r *http.Request) {
		writeRaw(w, http.StatusOK, is.metadata, false)
	}))
	mux.HandleFunc("GET "+openid4vci.PathASMetadata, is.instrument("as_metadata", func(w http.ResponseWriter, r *http.Request) {
		writeRaw(w, http.StatusOK, is.asMeta, false)
	}))
	mux.HandleFunc("GET "+openid4vci.PathOffers+"{id}", is.instrument("offer", is.handleOffer))
	mux.HandleFunc("POST "+openid4vci.PathToken, is.instrument("token", is.handleToken))
	mux.HandleFunc("POST "+openid4vci.PathNonce, is.instrument("nonce", is.handleNonce))
	mux.HandleFunc("POST "+openid4vci.PathCredential, is.instrument("credential", is.handleCredential))
	// CORS for browser wallets (cors.go): preflights and "*" on every answer.
	return http.MaxBytesHandler(allowAnyOrigin(mux), maxRequestBody)
}

func writeRaw(w http.ResponseWriter, code int, b []byte, noStore bool) {
	w.Header().Set("Content-Type", "application/json")
	if noStore {
		w.Header().Set("Cache-Control", "no-store")
	}
	w.WriteHeader(code)
	_, _ = w.Write(b)
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	b, err := marshal(v)
	if err != nil {
		code, b = http.StatusInternalServerError, []byte(`{"error":"server_error"}`)
	}
	writeRaw(w, code, b, true)
}

// fail writes the error response of err: its code ([wireError]) and a
// fixed description ([describe]), never err's text. err itself is logged:
// store and register failures at error (counted), other server errors at
// warn, refusals at info, each with the request id. Errors carry no secrets (codes,
// PINs, tokens) nor attribute values; they may name a register record id.
func (is *Issuer) fail(w http.ResponseWriter, r *http.Request, err error) {
	code, st := wireError(err)
	if rec, ok := w.(*recorder); ok {
		rec.code = code
	}
	rid := requestID(r)
	if st >= 500 {
		level := slog.LevelWarn
		if errors.Is(err, openid4vci.ErrStore) {
			is.metrics.storeErrors.Inc()
			level = slog.LevelError
		}
		is.log.Log(r.Context(), level, "openid4vci: request failed", "request_id", rid, "path", r.URL.Path, "code", code, "err", err)
		writeJSON(w, st, map[string]string{"error": code})
		return
	}
	is.log.InfoContext(r.Context(), "openid4vci: request refused", "request_id", rid, "path", r.URL.Path, "code", code, "err", err)
	if st == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
	}
	writeJSON(w, st, map[string]string{"error": code, "error_description": describe(err)})
}

func (is *Issuer) handleOffer(w http.ResponseWriter, r *http.Request) {
	var st offerState
	var ok bool
	err := is.db.View(func(tx *bolt.Tx) error {
		var err error
		ok, err = getJSON(tx.Bucket(bucketOffers), []byte(r.PathValue("id")), &st)
		return err
	})
	if err != nil {
		is.fail(w, r, err)
		return
	}
	if !ok || st.Redeemed || st.Locked || st.OfferJSON == nil || !is.cfg.Clock().Before(st.Expires) {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "not_found"})
		return
	}
	writeRaw(w, http.StatusOK, st.OfferJSON, true)
}

// tokenRequest is a parsed token request.
type tokenRequest struct {
	Code      string
	TxCode    string
	HasTxCode bool
}

// parseTokenRequest parses a token request body (RFC 6749 §3.2,
// OpenID4VCI §6.1): application/x-www-form-urlencoded, every parameter at
// most once, grant_type the Pre-Authorized Code grant, a non-empty
// pre-authorized_code, tx_code optional. Other parameters (client_id, ...)
// are ignored, as RFC 6749 requires, except a case variant of one of
// tokenParams ("Pre-Authorized_Code"): names are case-sensitive, and a
// reader that matched them case-insensitively would take it for the
// parameter.
var tokenParams = [...]string{"grant_type", "pre-authorized_code", "tx_code"}

// parseTokenRequest parses as the comment above says.
func parseTokenRequest(contentType string, body []byte) (*tokenRequest, error) {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil || mt != "application/x-www-form-urlencoded" {
		return nil, fmt.Errorf("%w: content type must be application/x-www-form-urlencoded", openid4vci.ErrInvalidRequest)
	}
	q, err := url.ParseQuery(string(body))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", openid4vci.ErrInvalidRequest, err)
	}
	for k, v := range q {
		if len(v) != 1 {
			return nil, fmt.Errorf("%w: parameter %q repeated", openid4vci.ErrInvalidRequest, truncate(k, 64))
		}
		for _, name := range tokenParams {
			if k != name && strings.EqualFold(k, name) {
				return nil, fmt.Errorf("%w: parameter %q is a case variant of %q", openid4vci.ErrInvalidRequest, truncate(k, 64), name)
			}
		}
	}
	switch gt := q.Get("grant_type"); gt {
	case openid4vci.GrantPreAuthorizedCode:
	case "":
		return nil, fmt.Errorf("%w: no grant_type", openid4vci.ErrInvalidRequest)
	default:
		return nil, fmt.Errorf("%w: %q", openid4vci.ErrUnsupportedGrantType, truncate(gt, 64))
	}
	t := &tokenRequest{Code: q.Get("pre-authorized_code")}
	if t.Code == "" || len(t.Code) > 512 {
		return nil, fmt.Errorf("%w: no pre-authorized_code", openid4vci.ErrInvalidRequest)
	}
	if v, ok := q["tx_code"]; ok {
		t.TxCode, t.HasTxCode = v[0], true
		if len(t.TxCode) > 64 {
			return nil, fmt.Errorf("%w: tx_code too long", openid4vci.ErrInvalidRequest)
		}
	}
	return t, nil
}

func readBody(r *http.Request) ([]byte, error) {
	b, err := io.ReadAll(r.Body)
	if err != nil {
		var mb *http.MaxBytesError
		if errors.As(err, &mb) {
			return nil, fmt.Errorf("%w: body over %d bytes", openid4vci.ErrInvalidRequest, maxRequestBody)
		}
		return nil, fmt.Errorf("%w: reading body: %v", openid4vci.ErrInvalidRequest, err)
	}
	return b, nil
}

func (is *Issuer) handleToken(w http.ResponseWriter, r *http.Request) {
	body, err := readBody(r)
	if err != nil {
		is.fail(w, r, err)
		return
	}
	req, err := parseTokenRequest(r.Header.Get("Content-Type"), body)
	if err != nil {
		is.fail(w, r, err)
		return
	}
	tok, exp, err := is.redeem(req.Code, req.TxCode, req.HasTxCode)
	if err != nil {
		is.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, openid4vci.TokenResponse{
		AccessToken: tok, TokenType: "Bearer",
		ExpiresIn: int64(exp.Sub(is.cfg.Clock()) / time.Second),
	})
}

func (is *Issuer) handleNonce(w http.ResponseWriter, r *http.Request) {
	n, err := is.nonce()
	if err != nil {
		is.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, openid4vci.NonceResponse{CNonce: n})
}

// parseCredentialRequest parses a credential request body strictly: JSON
// (did/strictjson: no duplicate members, case-sensitive names, valid UTF-8,
// no trailing data; the probe for "format" allows unknown members) with
// exactly the members credential_configuration_id and
// proofs {"jwt": [one proof JWT]}. A "format" member (drafts before 1.0)
// is ErrUnsupportedFormat; credential_identifier (no authorization
// details are issued), credential_response_encryption and any other member
// are ErrInvalidCredentialRequest.
func parseCredentialRequest(contentType string, body []byte) (*openid4vci.CredentialRequest, error) {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil || mt != "application/json" {
		return nil, fmt.Errorf("%w: content type must be application/json", openid4vci.ErrInvalidCredentialRequest)
	}
	var probe struct {
		Format *jsontext.Value `json:"format"`
	}
	if err := strictjson.UnmarshalOpen(body, &probe); err != nil {
		return nil, fmt.Errorf("%w: %v", openid4vci.ErrInvalidCredentialRequest, err)
	}
	if probe.Format != nil {
		return nil, fmt.Errorf("%w: \"format\" in a credential request (pre-1.0 drafts); send credential_configuration_id", openid4vci.ErrUnsupportedFormat)
	}
	var req openid4vci.CredentialRequest
	if err := strictjson.Unmarshal(body, &req); err != nil {
		return nil, fmt.Errorf("%w: %v", openid4vci.ErrInvalidCredentialRequest, err)
	}
	if req.ConfigurationID == "" {
		return nil, fmt.Errorf("%w: no credential_configuration_id", openid4vci.ErrInvalidCredentialRequest)
	}
	if req.Proofs == nil || len(req.Proofs.JWT) != 1 || req.Proofs.JWT[0] == "" {
		return nil, fmt.Errorf("%w: proofs must hold exactly one jwt proof", openid4vci.ErrInvalidCredentialRequest)
	}
	return &req, nil
}

// bearer returns the access token of an Authorization: Bearer header
// (RFC 6750 §2.1): exactly one header, scheme case-insensitive, a token of
// b64token characters.
func bearer(r *http.Request) (string, error) {
	h := r.Header.Values("Authorization")
	if len(h) != 1 {
		return "", fmt.Errorf("%w: want one Authorization: Bearer header", openid4vci.ErrInvalidToken)
	}
	scheme, tok, ok := strings.Cut(h[0], " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || tok == "" || len(tok) > 512 ||
		strings.Trim(tok, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~+/=") != "" {
		return "", fmt.Errorf("%w: malformed Authorization header", openid4vci.ErrInvalidToken)
	}
	return tok, nil
}

func (is *Issuer) handleCredential(w http.ResponseWriter, r *http.Request) {
	tok, err := bearer(r)
	if err != nil {
		is.fail(w, r, err)
		return
	}
	offerID, err := is.tokenOffer(tok)
	if err != nil {
		is.fail(w, r, err)
		return
	}
	body, err := readBody(r)
	if err != nil {
		is.fail(w, r, fmt.Errorf("%w: %w", openid4vci.ErrInvalidCredentialRequest, err))
		return
	}
	req, err := parseCredentialRequest(r.Header.Get("Content-Type"), body)
	if err != nil {
		is.fail(w, r, err)
		return
	}
	start := time.Now()
	raw, err := is.issue(r.Context(), offerID, req)
	is.timeIssuance(start, err)
	if err != nil {
		is.fail(w, r, err)
		return
	}
	out := make([]byte, 0, len(raw)+32)
	out = append(out, `{"credentials":[{"credential":`...)
	out = append(out, raw...)
	out = append(out, "}]}"...)
	writeRaw(w, http.StatusOK, out, true)
}

// buildMetadata returns the credential issuer and authorization server
// metadata documents.
func (is *Issuer) buildMetadata() (issuerMeta, asMeta []byte, err error) {
	c := &is.cfg
	schema, err := c.Schema.MarshalJSON()
	if err != nil {
		return nil, nil, err
	}
	var claims []openid4vci.ClaimDescription
	for _, a := range c.Schema.Attributes {
		claims = append(claims, openid4vci.ClaimDescription{Path: []string{"credentialSubject", a.Name}, Display: c.ClaimDisplay[a.Name]})
	}
	m := openid4vci.IssuerMetadata{
		CredentialIssuer:   c.CredentialIssuer,
		CredentialEndpoint: c.CredentialIssuer + openid4vci.PathCredential,
		NonceEndpoint:      c.CredentialIssuer + openid4vci.PathNonce,
		Display:            c.Display,
		Configurations: map[string]*openid4vci.CredentialConfiguration{c.ConfigurationID: {
			Format:         openid4vci.Format,
			Profile:        openid4vci.Profile,
			BindingMethods: []string{openid4vci.CommitmentClaim},
			SigningAlgs:    []string{"EdDSA", "ES256"},
			ProofTypes:     map[string]openid4vci.ProofType{"jwt": {SigningAlgs: []string{"EdDSA", "ES256"}, Profile: openid4vci.ProofProfile}},
			CredentialDef:  &openid4vci.CredentialDefinition{Type: append([]string{credential.TypeVerifiableCredential}, c.Types...)},
			Schema:         schema,
			Metadata:       &openid4vci.CredentialMetadata{Display: c.CredentialDisplay, Claims: claims},
		}},
	}
	if issuerMeta, err = marshal(m); err != nil {
		return nil, nil, err
	}
	as := openid4vci.AuthorizationServerMetadata{
		Issuer:                  c.CredentialIssuer,
		TokenEndpoint:           c.CredentialIssuer + openid4vci.PathToken,
		GrantTypes:              []string{openid4vci.GrantPreAuthorizedCode},
		ResponseTypes:           []string{},
		PreAuthAnonymousAllowed: true,
	}
	asMeta, err = marshal(as)
	return issuerMeta, asMeta, err
}
