package openid4vci

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
	bolt "go.etcd.io/bbolt"

	"github.com/zkcred/zkcred/credential"
)

// Endpoint paths served by [Issuer.Handler], relative to the Credential
// Issuer Identifier.
const (
	PathIssuerMetadata = "/.well-known/openid-credential-issuer"
	PathASMetadata     = "/.well-known/oauth-authorization-server"
	PathToken          = "/token"
	PathNonce          = "/nonce"
	PathCredential     = "/credential"
	PathOffers         = "/offers/" // + offer id
)

// Format is the credential format identifier of a zkcred credential in
// OpenID4VCI (PROFILE.md): the credential is a zkcred stored credential
// (credential.StoredFormat, credential/FORMAT.md), a JSON object.
const Format = "zkcred_vc+jwt"

// Profile names this package's OpenID4VCI profile (PROFILE.md).
const Profile = "zkcred-openid4vci-v1"

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
// {"error": code, "error_description": ...} with the status of [wireError]
// (the spec's codes); token, nonce and credential responses carry
// Cache-Control: no-store.
func (is *Issuer) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+PathIssuerMetadata, func(w http.ResponseWriter, r *http.Request) {
		writeRaw(w, http.StatusOK, is.metadata, false)
	})
	mux.HandleFunc("GET "+PathASMetadata, func(w http.ResponseWriter, r *http.Request) {
		writeRaw(w, http.StatusOK, is.asMeta, false)
	})
	mux.HandleFunc("GET "+PathOffers+"{id}", is.handleOffer)
	mux.HandleFunc("POST "+PathToken, is.handleToken)
	mux.HandleFunc("POST "+PathNonce, is.handleNonce)
	mux.HandleFunc("POST "+PathCredential, is.handleCredential)
	return http.MaxBytesHandler(mux, maxRequestBody)
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

// marshal encodes with encoding/json (deterministic, HTML-escaped).
func marshal(v any) ([]byte, error) { return json.Marshal(v) }

// fail writes the error response of err.
func (is *Issuer) fail(w http.ResponseWriter, r *http.Request, err error) {
	code, st := wireError(err)
	if st >= 500 {
		is.log.ErrorContext(r.Context(), "openid4vci: request failed", "path", r.URL.Path, "err", err)
		writeJSON(w, st, map[string]string{"error": code})
		return
	}
	is.log.DebugContext(r.Context(), "openid4vci: request refused", "path", r.URL.Path, "err", err)
	if st == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
	}
	writeJSON(w, st, map[string]string{"error": code, "error_description": err.Error()})
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
// are ignored, as RFC 6749 requires.
func parseTokenRequest(contentType string, body []byte) (*tokenRequest, error) {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil || mt != "application/x-www-form-urlencoded" {
		return nil, fmt.Errorf("%w: content type must be application/x-www-form-urlencoded", ErrInvalidRequest)
	}
	q, err := url.ParseQuery(string(body))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidRequest, err)
	}
	for k, v := range q {
		if len(v) != 1 {
			return nil, fmt.Errorf("%w: parameter %q repeated", ErrInvalidRequest, truncate(k, 64))
		}
	}
	switch gt := q.Get("grant_type"); gt {
	case GrantPreAuthorizedCode:
	case "":
		return nil, fmt.Errorf("%w: no grant_type", ErrInvalidRequest)
	default:
		return nil, fmt.Errorf("%w: %q", ErrUnsupportedGrantType, truncate(gt, 64))
	}
	t := &tokenRequest{Code: q.Get("pre-authorized_code")}
	if t.Code == "" || len(t.Code) > 512 {
		return nil, fmt.Errorf("%w: no pre-authorized_code", ErrInvalidRequest)
	}
	if v, ok := q["tx_code"]; ok {
		t.TxCode, t.HasTxCode = v[0], true
		if len(t.TxCode) > 64 {
			return nil, fmt.Errorf("%w: tx_code too long", ErrInvalidRequest)
		}
	}
	return t, nil
}

func readBody(r *http.Request) ([]byte, error) {
	b, err := io.ReadAll(r.Body)
	if err != nil {
		var mb *http.MaxBytesError
		if errors.As(err, &mb) {
			return nil, fmt.Errorf("%w: body over %d bytes", ErrInvalidRequest, maxRequestBody)
		}
		return nil, fmt.Errorf("%w: reading body: %v", ErrInvalidRequest, err)
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
	writeJSON(w, http.StatusOK, tokenResponse{
		AccessToken: tok, TokenType: "Bearer",
		ExpiresIn: int64(exp.Sub(is.cfg.Clock()) / time.Second),
	})
}

// tokenResponse is the token endpoint's success response (§6.2).
type tokenResponse struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	ExpiresIn   int64  `json:"expires_in,omitempty"`
}

func (is *Issuer) handleNonce(w http.ResponseWriter, r *http.Request) {
	n, err := is.nonce()
	if err != nil {
		is.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, nonceResponse{CNonce: n})
}

// nonceResponse is the nonce endpoint's response (§7.2).
type nonceResponse struct {
	CNonce string `json:"c_nonce"`
}

// credentialRequest is a Credential Request (§8.2) of this profile: its
// member set is closed.
type credentialRequest struct {
	ConfigurationID string      `json:"credential_configuration_id"`
	Proofs          *proofsJSON `json:"proofs"`
}

// proofsJSON holds exactly one proof type, jwt, with exactly one proof.
type proofsJSON struct {
	JWT []string `json:"jwt"`
}

// parseCredentialRequest parses a credential request body strictly: JSON
// (json v2: no duplicate members, case-sensitive names, valid UTF-8, no
// trailing data) with exactly the members credential_configuration_id and
// proofs {"jwt": [one proof JWT]}. A "format" member (drafts before 1.0)
// is ErrUnsupportedFormat; credential_identifier (no authorization
// details are issued), credential_response_encryption and any other member
// are ErrInvalidCredentialRequest.
func parseCredentialRequest(contentType string, body []byte) (*credentialRequest, error) {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil || mt != "application/json" {
		return nil, fmt.Errorf("%w: content type must be application/json", ErrInvalidCredentialRequest)
	}
	var probe struct {
		Format *jsontext.Value `json:"format"`
	}
	if err := jsonv2.Unmarshal(body, &probe); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidCredentialRequest, err)
	}
	if probe.Format != nil {
		return nil, fmt.Errorf("%w: \"format\" in a credential request (pre-1.0 drafts); send credential_configuration_id", ErrUnsupportedFormat)
	}
	var req credentialRequest
	if err := jsonv2.Unmarshal(body, &req, jsonv2.RejectUnknownMembers(true)); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidCredentialRequest, err)
	}
	if req.ConfigurationID == "" {
		return nil, fmt.Errorf("%w: no credential_configuration_id", ErrInvalidCredentialRequest)
	}
	if req.Proofs == nil || len(req.Proofs.JWT) != 1 || req.Proofs.JWT[0] == "" {
		return nil, fmt.Errorf("%w: proofs must hold exactly one jwt proof", ErrInvalidCredentialRequest)
	}
	return &req, nil
}

// bearer returns the access token of an Authorization: Bearer header
// (RFC 6750 §2.1): exactly one header, scheme case-insensitive, a token of
// b64token characters.
func bearer(r *http.Request) (string, error) {
	h := r.Header.Values("Authorization")
	if len(h) != 1 {
		return "", fmt.Errorf("%w: want one Authorization: Bearer header", ErrInvalidToken)
	}
	scheme, tok, ok := strings.Cut(h[0], " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || tok == "" || len(tok) > 512 ||
		strings.Trim(tok, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~+/=") != "" {
		return "", fmt.Errorf("%w: malformed Authorization header", ErrInvalidToken)
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
		is.fail(w, r, fmt.Errorf("%w: %w", ErrInvalidCredentialRequest, err))
		return
	}
	req, err := parseCredentialRequest(r.Header.Get("Content-Type"), body)
	if err != nil {
		is.fail(w, r, err)
		return
	}
	raw, err := is.issue(r.Context(), offerID, req)
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
	var claims []ClaimDescription
	for _, a := range c.Schema.Attributes {
		claims = append(claims, ClaimDescription{Path: []string{"credentialSubject", a.Name}, Display: c.ClaimDisplay[a.Name]})
	}
	m := issuerMetadata{
		CredentialIssuer:   c.CredentialIssuer,
		CredentialEndpoint: c.CredentialIssuer + PathCredential,
		NonceEndpoint:      c.CredentialIssuer + PathNonce,
		Display:            c.Display,
		Configurations: map[string]*CredentialConfiguration{c.ConfigurationID: {
			Format:         Format,
			Profile:        Profile,
			BindingMethods: []string{CommitmentClaim},
			SigningAlgs:    []string{"EdDSA", "ES256"},
			ProofTypes:     map[string]ProofType{"jwt": {SigningAlgs: []string{"EdDSA", "ES256"}, Profile: ProofProfile}},
			CredentialDef:  &CredentialDefinition{Type: append([]string{credential.TypeVerifiableCredential}, c.Types...)},
			Schema:         schema,
			Metadata:       &CredentialMetadata{Display: c.CredentialDisplay, Claims: claims},
		}},
	}
	if issuerMeta, err = marshal(m); err != nil {
		return nil, nil, err
	}
	as := asMetadata{
		Issuer:                  c.CredentialIssuer,
		TokenEndpoint:           c.CredentialIssuer + PathToken,
		GrantTypes:              []string{GrantPreAuthorizedCode},
		ResponseTypes:           []string{},
		PreAuthAnonymousAllowed: true,
	}
	asMeta, err = marshal(as)
	return issuerMeta, asMeta, err
}

// issuerMetadata is the Credential Issuer Metadata (§12.2.4).
type issuerMetadata struct {
	CredentialIssuer     string                              `json:"credential_issuer"`
	AuthorizationServers []string                            `json:"authorization_servers,omitempty"`
	CredentialEndpoint   string                              `json:"credential_endpoint"`
	NonceEndpoint        string                              `json:"nonce_endpoint,omitempty"`
	Display              []Display                           `json:"display,omitempty"`
	Configurations       map[string]*CredentialConfiguration `json:"credential_configurations_supported"`
}

// CredentialConfiguration is one entry of
// credential_configurations_supported, as this profile writes it.
type CredentialConfiguration struct {
	Format         string                `json:"format"`
	Profile        string                `json:"zkcred_profile,omitempty"`
	BindingMethods []string              `json:"cryptographic_binding_methods_supported,omitempty"`
	SigningAlgs    []string              `json:"credential_signing_alg_values_supported,omitempty"`
	ProofTypes     map[string]ProofType  `json:"proof_types_supported,omitempty"`
	CredentialDef  *CredentialDefinition `json:"credential_definition,omitempty"`
	// Schema is the zkcred schema (credential.SchemaFormat) of the credential.
	Schema   json.RawMessage     `json:"zkcred_schema,omitempty"`
	Metadata *CredentialMetadata `json:"credential_metadata,omitempty"`
}

// ProofType is an entry of proof_types_supported.
type ProofType struct {
	SigningAlgs []string `json:"proof_signing_alg_values_supported"`
	Profile     string   `json:"zkcred_proof_profile,omitempty"`
}

// CredentialDefinition lists the VC types.
type CredentialDefinition struct {
	Type []string `json:"type"`
}

// CredentialMetadata holds display and claims (1.0 §12.2.4).
type CredentialMetadata struct {
	Display []Display          `json:"display,omitempty"`
	Claims  []ClaimDescription `json:"claims,omitempty"`
}

// ClaimDescription describes one claim of the credential by its path.
type ClaimDescription struct {
	Path    []string  `json:"path"`
	Display []Display `json:"display,omitempty"`
}

// asMetadata is the OAuth 2.0 Authorization Server Metadata (RFC 8414).
type asMetadata struct {
	Issuer                  string   `json:"issuer"`
	TokenEndpoint           string   `json:"token_endpoint"`
	GrantTypes              []string `json:"grant_types_supported"`
	ResponseTypes           []string `json:"response_types_supported"`
	PreAuthAnonymousAllowed bool     `json:"pre-authorized_grant_anonymous_access_supported"`
}
