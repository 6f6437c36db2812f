package openid4vp

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/cryptosigner"

	"github.com/zkcred/zkcred/credential/display"
	"github.com/zkcred/zkcred/did"
	"github.com/zkcred/zkcred/did/strictjson"
	"github.com/zkcred/zkcred/verifier/protocol/dcql"
)

// Protocol constants of OpenID4VP 1.0 and RFC 9101.
const (
	// Scheme is the custom URL scheme of an Authorization Request sent to
	// a Wallet: openid4vp://?client_id=...&request_uri=...
	Scheme = "openid4vp"
	// RequestObjectType is the typ header of a Request Object (RFC 9101 §10.8).
	RequestObjectType = "oauth-authz-req+jwt"
	// RequestObjectMediaType is the content type of a request_uri response.
	RequestObjectMediaType = "application/oauth-authz-req+jwt"
	// StaticAudience is the aud of a Request Object when the Verifier uses
	// static discovery of the Wallet (OpenID4VP 1.0 §5.8).
	StaticAudience = "https://self-issued.me/v2"
	// ResponseTypeVPToken is the only response_type of this profile.
	ResponseTypeVPToken = "vp_token"
	// Response modes: the response is posted to response_uri in clear
	// (direct_post) or as a JWE encrypted to the Verifier (direct_post.jwt).
	ResponseModeDirectPost    = "direct_post"
	ResponseModeDirectPostJWT = "direct_post.jwt"
	// RequestURIMethodGet is the request_uri_method this package emits.
	RequestURIMethodGet  = "get"
	RequestURIMethodPost = "post"
)

// Client Identifier Prefixes this profile supports (OpenID4VP 1.0 §5.9.3).
const (
	// PrefixDecentralizedIdentifier: the client_id is a DID; the Request
	// Object MUST be signed with a key of its DID document named by kid.
	PrefixDecentralizedIdentifier = "decentralized_identifier:"
	// PrefixRedirectURI: the client_id is the response_uri; the request
	// cannot be signed. Development only: Wallets refuse it unless
	// [VerifyOptions.InsecureAllowUnsigned] is set.
	PrefixRedirectURI = "redirect_uri:"
	// PrefixOrigin is the effective client_id over the Digital Credentials
	// API ("origin:https://verifier.example"); used only in the handover.
	PrefixOrigin = "origin:"
)

// Limits on a request.
const (
	MaxRequestObjectSize = 64 << 10 // bytes of a compact Request Object
	MaxURISize           = 8 << 10  // bytes of an Authorization Request URI, response_uri or request_uri
	MaxNonceLen          = 256
	MaxStateLen          = 256
	MaxCredentialQueries = 16
	MaxRequestLifetime   = time.Hour // exp − iat
	MaxClockSkew         = time.Minute
	maxJWKS              = 8
)

// RequestObject is the payload of a Request Object: the Authorization
// Request parameters of OpenID4VP 1.0 §5 with the JWT claims of RFC 9101.
type RequestObject struct {
	// Issuer (iss) is optional (RFC 9101 §4 with the client identified by
	// client_id; OpenID4VP 1.0 requires no iss). [SignRequestObject] emits
	// none; a Wallet accepts a Request Object with an iss equal to the
	// client_id and refuses one that differs.
	Issuer   string `json:"iss,omitempty"`
	Audience string `json:"aud"`
	// ClientID is the full client_id, prefix included
	// ("decentralized_identifier:did:web:verifier.example").
	ClientID     string `json:"client_id"`
	ResponseType string `json:"response_type"`
	ResponseMode string `json:"response_mode"`
	ResponseURI  string `json:"response_uri"`
	// Nonce is fresh, random, at least 128 bits, URL-safe ASCII.
	Nonce string `json:"nonce"`
	State string `json:"state,omitempty"`
	// DCQLQuery is the DCQL query with zkcred's profile (package dcql).
	DCQLQuery      *dcql.Query     `json:"dcql_query"`
	ClientMetadata *ClientMetadata `json:"client_metadata,omitempty"`
	// TransactionData holds base64url items (see [TransactionData.Encode]).
	TransactionData []string `json:"transaction_data,omitempty"`
	IssuedAt        int64    `json:"iat"`
	ExpiresAt       int64    `json:"exp"`
}

// requestWire is the JSON form of a RequestObject: the DCQL query raw, so
// that package dcql parses it strictly (unknown members refused) while the
// Request Object around it ignores unknown parameters.
type requestWire struct {
	Issuer          string          `json:"iss,omitempty"`
	Audience        string          `json:"aud"`
	ClientID        string          `json:"client_id"`
	ResponseType    string          `json:"response_type"`
	ResponseMode    string          `json:"response_mode"`
	ResponseURI     string          `json:"response_uri"`
	Nonce           string          `json:"nonce"`
	State           string          `json:"state,omitempty"`
	DCQLQuery       json.RawMessage `json:"dcql_query"`
	ClientMetadata  *ClientMetadata `json:"client_metadata,omitempty"`
	TransactionData []string        `json:"transaction_data,omitempty"`
	IssuedAt        int64           `json:"iat"`
	ExpiresAt       int64           `json:"exp"`
}

// MarshalJSON implements json.Marshaler: the DCQL query as dcql.Query.JSON
// writes it.
func (ro *RequestObject) MarshalJSON() ([]byte, error) {
	w := requestWire{ro.Issuer, ro.Audience, ro.ClientID, ro.ResponseType, ro.ResponseMode,
		ro.ResponseURI, ro.Nonce, ro.State, nil, ro.ClientMetadata, ro.TransactionData,
		ro.IssuedAt, ro.ExpiresAt}
	if ro.DCQLQuery == nil {
		return nil, fmt.Errorf("%w: no dcql_query", ErrInvalidRequest)
	}
	q, err := ro.DCQLQuery.JSON()
	if err != nil {
		return nil, fmt.Errorf("%w: dcql_query: %w", ErrInvalidRequest, err)
	}
	w.DCQLQuery = q
	return json.Marshal(w)
}

// UnmarshalJSON implements json.Unmarshaler with the rules of
// [VerifyRequestObject] for a payload: unknown parameters ignored, case
// variants and duplicates of known ones refused, the DCQL query parsed by
// dcql.Parse. It does not [RequestObject.Check] the values.
func (ro *RequestObject) UnmarshalJSON(b []byte) error {
	r, err := parseRequestObject(b)
	if err != nil {
		return err
	}
	*ro = *r
	return nil
}

// ClientMetadata is the client_metadata parameter (OpenID4VP 1.0 §5.1).
type ClientMetadata struct {
	// JWKS holds the Verifier's response encryption keys (see
	// [EncryptionJWK]); required for direct_post.jwt.
	JWKS *JWKS `json:"jwks,omitempty"`
	// EncryptedResponseEncValuesSupported lists the JWE enc values the
	// Verifier accepts; absent means A128GCM only.
	EncryptedResponseEncValuesSupported []string `json:"encrypted_response_enc_values_supported,omitempty"`
	// VPFormatsSupported maps a format identifier to its parameters.
	VPFormatsSupported map[string]json.RawMessage `json:"vp_formats_supported"`
}

// JWKS is a JSON Web Key Set of public keys.
type JWKS struct {
	Keys []did.JWK `json:"keys"`
}

var requestMembers = []string{"iss", "aud", "client_id", "response_type", "response_mode",
	"response_uri", "nonce", "state", "dcql_query", "client_metadata", "transaction_data",
	"iat", "exp", "scope", "redirect_uri", "request", "request_uri"}

// parseRequestObject decodes a payload strictly: unknown members are
// ignored (OpenID4VP 1.0 §5: the Wallet MUST ignore unrecognized
// parameters), but a case variant or duplicate of a known member is refused.
func parseRequestObject(b []byte) (*RequestObject, error) {
	m, err := strictjson.Members(b, requestMembers...)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidRequest, err)
	}
	for _, k := range []string{"scope", "redirect_uri", "request", "request_uri"} {
		if _, ok := m[k]; ok {
			return nil, fmt.Errorf("%w: %s not allowed in this profile's request object", ErrInvalidRequest, k)
		}
	}
	var w requestWire
	if err := strictjson.UnmarshalOpen(b, &w); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidRequest, err)
	}
	if len(w.DCQLQuery) == 0 {
		return nil, fmt.Errorf("%w: dcql_query required", ErrInvalidRequest)
	}
	q, err := dcql.Parse(w.DCQLQuery)
	if err != nil {
		return nil, fmt.Errorf("%w: dcql_query: %w", ErrInvalidRequest, err)
	}
	return &RequestObject{w.Issuer, w.Audience, w.ClientID, w.ResponseType, w.ResponseMode,
		w.ResponseURI, w.Nonce, w.State, q, w.ClientMetadata, w.TransactionData,
		w.IssuedAt, w.ExpiresAt}, nil
}

// Prefix splits a client_id into its Client Identifier Prefix (with the
// colon) and the original identifier; it returns an error wrapping
// [ErrInvalidRequest] for a prefix this profile does not support.
func Prefix(clientID string) (prefix, id string, err error) {
	for _, p := range []string{PrefixDecentralizedIdentifier, PrefixRedirectURI} {
		if rest, ok := strings.CutPrefix(clientID, p); ok && rest != "" {
			return p, rest, nil
		}
	}
	return "", "", fmt.Errorf("%w: client_id %.80q has no supported Client Identifier Prefix", ErrInvalidRequest, clientID)
}

// checkURL checks an https URL (http too if allowHTTP), absolute, with a
// host, no user information and no fragment.
func checkURL(s string, allowHTTP bool) error {
	if s == "" || len(s) > MaxURISize {
		return fmt.Errorf("empty or longer than %d bytes", MaxURISize)
	}
	u, err := url.Parse(s)
	if err != nil {
		return err
	}
	if u.Scheme != "https" && !(allowHTTP && u.Scheme == "http") {
		return fmt.Errorf("%.80q is not https", s)
	}
	if u.Host == "" || u.User != nil || u.Fragment != "" || u.Opaque != "" {
		return fmt.Errorf("%.80q must be an absolute URL with a host, no user information and no fragment", s)
	}
	return nil
}

func nonceOK(s string, max int) bool {
	if s == "" || len(s) > max {
		return false
	}
	return !strings.ContainsFunc(s, func(r rune) bool {
		// RFC 3986 unreserved characters: ASCII URL-safe.
		return !(r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.' || r == '~')
	})
}

// Check validates the parameters of ro on their own, as a Wallet does after
// the signature (the time window excepted, see [VerifyOptions]): response
// type and mode, response_uri, nonce and state, a DCQL query object naming
// its credential queries, client_metadata (encryption keys for
// direct_post.jwt), transaction data of known types referring to the
// query's credential ids. allowHTTP permits an http response_uri
// (development). Errors wrap [ErrInvalidRequest],
// [ErrInvalidTransactionData] or [ErrClientMismatch].
func (ro *RequestObject) Check(allowHTTP bool) error {
	bad := func(format string, a ...any) error {
		return fmt.Errorf("%w: "+format, append([]any{ErrInvalidRequest}, a...)...)
	}
	prefix, id, err := Prefix(ro.ClientID)
	if err != nil {
		return err
	}
	if ro.Issuer != "" && ro.Issuer != ro.ClientID {
		return fmt.Errorf("%w: iss %.80q is not the client_id", ErrClientMismatch, ro.Issuer)
	}
	if ro.ResponseType != ResponseTypeVPToken {
		return bad("response_type must be %q", ResponseTypeVPToken)
	}
	if ro.ResponseMode != ResponseModeDirectPost && ro.ResponseMode != ResponseModeDirectPostJWT {
		return bad("response_mode must be %s or %s", ResponseModeDirectPost, ResponseModeDirectPostJWT)
	}
	if err := checkURL(ro.ResponseURI, allowHTTP); err != nil {
		return bad("response_uri: %v", err)
	}
	// The wallet shows both to the holder ([Description]).
	for _, f := range [...]struct{ name, s string }{{"client_id", ro.ClientID}, {"response_uri", ro.ResponseURI}} {
		if err := display.Check(f.s, false); err != nil {
			return fmt.Errorf("%w: %s: %w", ErrInvalidRequest, f.name, err)
		}
	}
	switch prefix {
	case PrefixDecentralizedIdentifier:
		if _, err := did.Parse(id); err != nil {
			return bad("client_id: %v", err)
		}
	case PrefixRedirectURI:
		if id != ro.ResponseURI {
			return fmt.Errorf("%w: redirect_uri: client_id must be the response_uri", ErrClientMismatch)
		}
	}
	if !nonceOK(ro.Nonce, MaxNonceLen) {
		return bad("nonce must be 1 to %d URL-safe ASCII characters", MaxNonceLen)
	}
	if ro.State != "" && !nonceOK(ro.State, MaxStateLen) {
		return bad("state must be 1 to %d URL-safe ASCII characters", MaxStateLen)
	}
	ids, err := credentialQueryIDs(ro.DCQLQuery)
	if err != nil {
		return err
	}
	if err := ro.ClientMetadata.check(ro.ResponseMode); err != nil {
		return err
	}
	if ro.TransactionData != nil && (len(ro.TransactionData) == 0 || len(ro.TransactionData) > MaxTransactionData) {
		return fmt.Errorf("%w: 1 to %d items", ErrInvalidTransactionData, MaxTransactionData)
	}
	for i, s := range ro.TransactionData {
		td, err := ParseTransactionData(s)
		if err != nil {
			return fmt.Errorf("transaction_data %d: %w", i, err)
		}
		for _, c := range td.CredentialIDs {
			if !ids[c] {
				return fmt.Errorf("%w: transaction_data %d names credential query %.80q, which the DCQL query does not have", ErrInvalidTransactionData, i, c)
			}
		}
	}
	return nil
}

// credentialQueryIDs validates the DCQL query and returns the ids of its
// credential queries, which transaction data refer to.
func credentialQueryIDs(q *dcql.Query) (map[string]bool, error) {
	if q == nil {
		return nil, fmt.Errorf("%w: dcql_query required", ErrInvalidRequest)
	}
	if err := q.Validate(); err != nil {
		return nil, fmt.Errorf("%w: dcql_query: %w", ErrInvalidRequest, err)
	}
	ids := map[string]bool{}
	for _, c := range q.Credentials {
		ids[c.ID] = true
	}
	return ids, nil
}

func (md *ClientMetadata) check(mode string) error {
	bad := func(format string, a ...any) error {
		return fmt.Errorf("%w: client_metadata: "+format, append([]any{ErrInvalidRequest}, a...)...)
	}
	if md == nil {
		return bad("required (vp_formats_supported)")
	}
	if len(md.VPFormatsSupported) == 0 {
		return bad("vp_formats_supported required")
	}
	for _, e := range md.EncryptedResponseEncValuesSupported {
		if !encAllowed(e) {
			return bad("unsupported enc %.20q", e)
		}
	}
	if md.JWKS != nil {
		if len(md.JWKS.Keys) == 0 || len(md.JWKS.Keys) > maxJWKS {
			return bad("jwks must hold 1 to %d keys", maxJWKS)
		}
		kids := map[string]bool{}
		for i := range md.JWKS.Keys {
			k := &md.JWKS.Keys[i]
			if err := k.Check(); err != nil {
				return bad("jwks key %d: %v", i, err)
			}
			if k.Kid == "" || kids[k.Kid] {
				return bad("jwks key %d: kid missing or repeated", i)
			}
			kids[k.Kid] = true
		}
	}
	if mode == ResponseModeDirectPostJWT {
		if _, _, err := md.encryptionKey(); err != nil {
			return err
		}
	}
	return nil
}

// SignRequestObject validates ro (see [RequestObject.Check]; allowHTTP for
// an http response_uri in development), clears iss (none is emitted: the
// client is identified by client_id, and a Wallet library that reads an
// iss containing "did:" as a bare DID would refuse the full client_id), and
// signs it as a compact JWS with typ oauth-authz-req+jwt and the given kid:
// EdDSA for an Ed25519 key, ES256 for a P-256 key: key is any
// crypto.Signer with such a public key (an ed25519.PrivateKey, an
// *ecdsa.PrivateKey, or a handle to a key in an HSM or a cloud KMS).
// The client_id must carry the decentralized_identifier: prefix and kid
// must be a DID URL of that DID, whose document lists the key (the Wallet
// checks it in the authentication relationship by default).
func SignRequestObject(ro *RequestObject, key crypto.Signer, kid string, allowHTTP bool) (string, error) {
	prefix, id, err := Prefix(ro.ClientID)
	if err != nil {
		return "", err
	}
	if prefix != PrefixDecentralizedIdentifier {
		return "", fmt.Errorf("%w: only decentralized_identifier: requests are signed", ErrInvalidRequest)
	}
	if err := checkKid(kid, id); err != nil {
		return "", err
	}
	ro.Issuer = ""
	if err := ro.Check(allowHTTP); err != nil {
		return "", err
	}
	if ro.IssuedAt <= 0 || ro.ExpiresAt <= ro.IssuedAt || ro.ExpiresAt-ro.IssuedAt > int64(MaxRequestLifetime/time.Second) {
		return "", fmt.Errorf("%w: iat/exp window must be non-empty and at most %v", ErrInvalidRequest, MaxRequestLifetime)
	}
	if ro.Audience != StaticAudience {
		return "", fmt.Errorf("%w: aud must be %s", ErrInvalidRequest, StaticAudience)
	}
	if key == nil {
		return "", fmt.Errorf("%w: no signing key", ErrInvalidRequest)
	}
	// The algorithm follows the public key, so any crypto.Signer works: a
	// concrete key or a handle to one in an HSM or a KMS.
	var alg jose.SignatureAlgorithm
	switch pub := key.Public().(type) {
	case ed25519.PublicKey:
		if len(pub) != ed25519.PublicKeySize {
			return "", fmt.Errorf("%w: Ed25519 public key of %d bytes", ErrInvalidRequest, len(pub))
		}
		alg = jose.EdDSA
	case *ecdsa.PublicKey:
		if pub.Curve != elliptic.P256() {
			return "", fmt.Errorf("%w: ECDSA key must be P-256", ErrInvalidRequest)
		}
		alg = jose.ES256
	default:
		return "", fmt.Errorf("%w: signing key must be Ed25519 or P-256", ErrInvalidRequest)
	}
	payload, err := json.Marshal(ro)
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrInvalidRequest, err)
	}
	opts := (&jose.SignerOptions{}).WithType(RequestObjectType).WithHeader("kid", kid)
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: cryptosigner.Opaque(key)}, opts)
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrInvalidRequest, err)
	}
	jws, err := signer.Sign(payload)
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrInvalidRequest, err)
	}
	return jws.CompactSerialize()
}

// checkKid checks that kid is an absolute DID URL with a fragment whose DID
// is clientDID.
func checkKid(kid, clientDID string) error {
	u, err := did.ParseURL(kid)
	if err != nil {
		return fmt.Errorf("%w: kid %.80q is not a DID URL: %v", ErrClientMismatch, kid, err)
	}
	if "did:"+u.Method+":"+u.ID != clientDID || u.Fragment == "" || u.Path != "" || u.Query != "" {
		return fmt.Errorf("%w: kid %.80q is not a key of %.80q", ErrClientMismatch, kid, clientDID)
	}
	return nil
}

// AuthorizationRequestURI returns the Authorization Request by reference,
// openid4vp://?client_id=…&request_uri=…&request_uri_method=get, for a
// same-device link; a QR code holds the same string for cross-device flows.
func AuthorizationRequestURI(clientID, requestURI string) (string, error) {
	if _, _, err := Prefix(clientID); err != nil {
		return "", err
	}
	if err := checkURL(requestURI, true); err != nil {
		return "", fmt.Errorf("%w: request_uri: %v", ErrInvalidRequest, err)
	}
	q := url.Values{"client_id": {clientID}, "request_uri": {requestURI}, "request_uri_method": {RequestURIMethodGet}}
	return Scheme + "://?" + q.Encode(), nil
}
