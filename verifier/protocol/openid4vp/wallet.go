package openid4vp

import (
	"context"
	"encoding/json"
	"fmt"
	"mime"
	"net/url"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/zkcred/zkcred/did"
	"github.com/zkcred/zkcred/did/fetch"
	"github.com/zkcred/zkcred/did/strictjson"
)

// AuthorizationRequest is an Authorization Request as a Wallet receives it
// in an openid4vp:// URI: by reference (RequestURI), by value in a signed
// Request Object (Request), or as plain parameters (Params, only for the
// development prefix redirect_uri:).
type AuthorizationRequest struct {
	ClientID         string
	RequestURI       string
	RequestURIMethod string // "", "get" or "post"; this package fetches with GET either way
	Request          string // a compact Request Object passed by value
	Params           *RequestObject
}

// authzParams are the URI parameters this package reads; with a
// request_uri or request, the others are ignored (RFC 9101 §5: the
// Request Object's values are used).
var byValueParams = map[string]bool{"client_id": true, "response_type": true, "response_mode": true,
	"response_uri": true, "nonce": true, "state": true, "dcql_query": true, "client_metadata": true,
	"transaction_data": true}

// ParseAuthorizationRequest parses an Authorization Request URI
// (openid4vp://?client_id=…&request_uri=…). Each parameter may appear once;
// client_id is required with a supported prefix; request and request_uri
// exclude each other; request_uri must be https (http with allowHTTP) and
// request_uri_method, if present, "get" or "post". Without either, the
// parameters are read as a by-value request (dcql_query, client_metadata and
// transaction_data as JSON), which only [VerifyUnsignedRequest] accepts.
// Errors wrap [ErrInvalidRequest] or [ErrInvalidRequestURIMethod].
func ParseAuthorizationRequest(uri string, allowHTTP bool) (*AuthorizationRequest, error) {
	bad := func(format string, a ...any) error {
		return fmt.Errorf("%w: "+format, append([]any{ErrInvalidRequest}, a...)...)
	}
	if len(uri) > MaxURISize+MaxRequestObjectSize {
		return nil, bad("URI too long")
	}
	u, err := url.Parse(uri)
	if err != nil {
		return nil, bad("%v", err)
	}
	if u.Scheme != Scheme || u.Opaque != "" || u.User != nil || u.Host != "" || (u.Path != "" && u.Path != "/") || u.Fragment != "" {
		return nil, bad("not an %s://? URI", Scheme)
	}
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return nil, bad("query: %v", err)
	}
	get := func(k string) string {
		if v := q[k]; len(v) == 1 {
			return v[0]
		}
		return ""
	}
	for k, v := range q {
		if len(v) != 1 {
			return nil, bad("parameter %.40q repeated", k)
		}
	}
	ar := &AuthorizationRequest{ClientID: get("client_id"), RequestURI: get("request_uri"),
		RequestURIMethod: get("request_uri_method"), Request: get("request")}
	if _, _, err := Prefix(ar.ClientID); err != nil {
		return nil, err
	}
	if _, ok := q["request_uri_method"]; ok {
		if ar.RequestURI == "" {
			return nil, bad("request_uri_method without request_uri")
		}
		if ar.RequestURIMethod != RequestURIMethodGet && ar.RequestURIMethod != RequestURIMethodPost {
			return nil, fmt.Errorf("%w: %.20q", ErrInvalidRequestURIMethod, ar.RequestURIMethod)
		}
	}
	switch {
	case ar.RequestURI != "" && ar.Request != "":
		return nil, bad("both request and request_uri")
	case ar.RequestURI != "":
		if err := checkURL(ar.RequestURI, allowHTTP); err != nil {
			return nil, bad("request_uri: %v", err)
		}
	case ar.Request != "":
		if len(ar.Request) > MaxRequestObjectSize {
			return nil, bad("request larger than %d bytes", MaxRequestObjectSize)
		}
	default:
		// By value: build the JSON object the parameters stand for.
		m := map[string]json.RawMessage{}
		for k := range q {
			if !byValueParams[k] {
				continue // unrecognized parameters are ignored
			}
			v := get(k)
			switch k {
			case "dcql_query", "client_metadata", "transaction_data":
				m[k] = json.RawMessage(v)
			default:
				m[k], _ = json.Marshal(v)
			}
		}
		b, err := json.Marshal(m)
		if err != nil {
			return nil, bad("%v", err) // a JSON-valued parameter that is not JSON
		}
		if ar.Params, err = parseRequestObject(b); err != nil {
			return nil, err
		}
	}
	return ar, nil
}

// FetchRequestObject fetches the Request Object of ar.RequestURI with GET
// through c, the one outbound policy of package did/fetch (HTTPS, public
// addresses, same-host redirects, deadline, size limit). It checks the
// status (200) and the content type (application/oauth-authz-req+jwt) and
// returns the body; errors wrap [ErrFetch].
func FetchRequestObject(ctx context.Context, c *fetch.Client, ar *AuthorizationRequest) (string, error) {
	if ar == nil || c == nil || ar.RequestURI == "" {
		return "", fmt.Errorf("%w: no request_uri or fetch client", ErrInvalidRequest)
	}
	rsp, err := c.Get(ctx, ar.RequestURI, RequestObjectMediaType)
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrFetch, err)
	}
	if rsp.StatusCode != 200 {
		return "", fmt.Errorf("%w: status %d", ErrFetch, rsp.StatusCode)
	}
	if mt, _, err := mime.ParseMediaType(rsp.Header.Get("Content-Type")); err != nil || mt != RequestObjectMediaType {
		return "", fmt.Errorf("%w: content type %.60q, want %s", ErrFetch, rsp.Header.Get("Content-Type"), RequestObjectMediaType)
	}
	if len(rsp.Body) > MaxRequestObjectSize {
		return "", fmt.Errorf("%w: larger than %d bytes", ErrFetch, MaxRequestObjectSize)
	}
	return strings.TrimSuffix(string(rsp.Body), "\n"), nil
}

// VerifyOptions configures [VerifyRequestObject]. The zero value is the
// production policy.
type VerifyOptions struct {
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
	// Audience is the aud the Wallet accepts: its issuer with dynamic
	// discovery. Empty means [StaticAudience].
	Audience string
	// Relationship is the verification relationship the signing key must
	// be in. Empty means did.Authentication (the verifier authenticates
	// itself as the client; see PROFILE.md).
	Relationship did.Relationship
	// InsecureAllowHTTP permits http response_uri and request_uri values.
	// Development only.
	InsecureAllowHTTP bool
	// InsecureAllowUnsigned lets [VerifyUnsignedRequest] accept a
	// redirect_uri: request. Development only: nothing authenticates the
	// verifier.
	InsecureAllowUnsigned bool
}

func (o *VerifyOptions) now() time.Time {
	if o != nil && o.Now != nil {
		return o.Now()
	}
	return time.Now()
}

// requestHeader is the protected header of a Request Object.
type requestHeader struct {
	Alg  string          `json:"alg"`
	Typ  string          `json:"typ"`
	Kid  string          `json:"kid"`
	Crit json.RawMessage `json:"crit"`
}

// VerifyRequestObject verifies a signed Request Object for the
// Authorization Request ar (whose client_id it must carry) and returns its
// parameters. In order: the token is three segments of canonical base64url
// (before go-jose sees it) within [MaxRequestObjectSize]; the header is
// strict JSON with typ oauth-authz-req+jwt, alg EdDSA or ES256 (none, HS256
// and all others refused), a kid and no crit; client_id has the
// decentralized_identifier: prefix (a redirect_uri: request is unsigned by
// definition, [ErrUnsignedRequest]); kid is a DID URL of that DID, resolved
// with r to a verification method in opts.Relationship; the signature
// verifies with its key; the payload's client_id (and iss) is ar's; aud is
// opts.Audience; iat ≤ now+skew < exp, exp−iat ≤ [MaxRequestLifetime];
// then [RequestObject.Check].
func VerifyRequestObject(ctx context.Context, ar *AuthorizationRequest, token string, r did.Resolver, opts *VerifyOptions) (*RequestObject, error) {
	if opts == nil {
		opts = &VerifyOptions{}
	}
	invalid := func(format string, a ...any) error {
		return fmt.Errorf("%w: "+format, append([]any{ErrInvalidRequestObject}, a...)...)
	}
	if ar == nil || r == nil {
		return nil, fmt.Errorf("%w: no authorization request or resolver", ErrInvalidRequest)
	}
	prefix, clientDID, err := Prefix(ar.ClientID)
	if err != nil {
		return nil, err
	}
	if prefix != PrefixDecentralizedIdentifier {
		return nil, fmt.Errorf("%w: %s requests cannot be signed", ErrUnsignedRequest, prefix)
	}
	if len(token) > MaxRequestObjectSize {
		return nil, invalid("larger than %d bytes", MaxRequestObjectSize)
	}
	seg, err := splitCompact(token, 3, 2) // an empty signature is refused below, after alg
	if err != nil {
		return nil, invalid("%v", err)
	}
	var h requestHeader
	if _, err := strictjson.Members(seg[0], "alg", "typ", "kid", "crit"); err != nil {
		return nil, invalid("header: %v", err)
	}
	if err := strictjson.UnmarshalOpen(seg[0], &h); err != nil {
		return nil, invalid("header: %v", err)
	}
	if h.Alg == "none" || h.Alg == "" {
		return nil, fmt.Errorf("%w: %w: alg %q", ErrInvalidRequestObject, ErrUnsignedRequest, h.Alg)
	}
	if h.Alg != string(jose.EdDSA) && h.Alg != string(jose.ES256) {
		return nil, invalid("alg %.20q not allowed (EdDSA, ES256)", h.Alg)
	}
	if len(seg[2]) == 0 {
		return nil, fmt.Errorf("%w: %w: empty signature", ErrInvalidRequestObject, ErrUnsignedRequest)
	}
	if h.Typ != RequestObjectType {
		return nil, invalid("typ %.40q, want %s", h.Typ, RequestObjectType)
	}
	if h.Crit != nil {
		return nil, invalid("critical header parameters are not supported")
	}
	if err := checkKid(h.Kid, clientDID); err != nil {
		return nil, err
	}
	rel := opts.Relationship
	if rel == "" {
		rel = did.Authentication
	}
	vm, _, err := did.ResolveVerificationMethod(ctx, r, h.Kid, rel)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrClientKey, err)
	}
	pub, err := vm.PublicKey()
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrClientKey, err)
	}
	jws, err := jose.ParseSignedCompact(token, []jose.SignatureAlgorithm{jose.EdDSA, jose.ES256})
	if err != nil {
		return nil, invalid("%v", err)
	}
	payload, err := jws.Verify(pub)
	if err != nil {
		return nil, invalid("signature does not verify with %.80q: %v", h.Kid, err)
	}
	ro, err := parseRequestObject(payload)
	if err != nil {
		return nil, err
	}
	if ro.ClientID != ar.ClientID {
		return nil, fmt.Errorf("%w: request object client_id %.80q, authorization request %.80q", ErrClientMismatch, ro.ClientID, ar.ClientID)
	}
	aud := opts.Audience
	if aud == "" {
		aud = StaticAudience
	}
	if ro.Audience != aud {
		return nil, invalid("aud %.80q, want %s", ro.Audience, aud)
	}
	now := opts.now()
	skew := int64(MaxClockSkew / time.Second)
	switch {
	case ro.IssuedAt <= 0 || ro.ExpiresAt <= ro.IssuedAt || ro.ExpiresAt-ro.IssuedAt > int64(MaxRequestLifetime/time.Second):
		return nil, invalid("iat/exp window must be non-empty and at most %v", MaxRequestLifetime)
	case ro.IssuedAt > now.Unix()+skew || now.Unix() >= ro.ExpiresAt+skew:
		return nil, fmt.Errorf("%w: %w: iat %d, exp %d, now %d", ErrInvalidRequestObject, ErrExpired, ro.IssuedAt, ro.ExpiresAt, now.Unix())
	}
	if err := ro.Check(opts.InsecureAllowHTTP); err != nil {
		return nil, err
	}
	return ro, nil
}

// VerifyUnsignedRequest returns the parameters of a by-value request of the
// development prefix redirect_uri:, if opts.InsecureAllowUnsigned is set.
// Any other prefix, or a request_uri / request, is [ErrUnsignedRequest]
// (use [VerifyRequestObject]); then [RequestObject.Check].
func VerifyUnsignedRequest(ar *AuthorizationRequest, opts *VerifyOptions) (*RequestObject, error) {
	if opts == nil {
		opts = &VerifyOptions{}
	}
	if ar == nil {
		return nil, fmt.Errorf("%w: no authorization request", ErrInvalidRequest)
	}
	prefix, _, err := Prefix(ar.ClientID)
	if err != nil {
		return nil, err
	}
	if prefix != PrefixRedirectURI || ar.Params == nil {
		return nil, fmt.Errorf("%w: %s requires a signed request object", ErrUnsignedRequest, prefix)
	}
	if !opts.InsecureAllowUnsigned {
		return nil, fmt.Errorf("%w: unsigned redirect_uri: requests are for development only", ErrUnsignedRequest)
	}
	ro := ar.Params
	if ro.ClientID != ar.ClientID {
		return nil, fmt.Errorf("%w: client_id", ErrClientMismatch)
	}
	if err := ro.Check(opts.InsecureAllowHTTP); err != nil {
		return nil, err
	}
	return ro, nil
}

// ByValueURI returns the openid4vp:// URI of an unsigned request of the
// development prefix redirect_uri: (OpenID4VP 1.0 §5.9.3: such requests
// cannot be signed), with every parameter in the query.
func (ro *RequestObject) ByValueURI(allowHTTP bool) (string, error) {
	prefix, _, err := Prefix(ro.ClientID)
	if err != nil {
		return "", err
	}
	if prefix != PrefixRedirectURI {
		return "", fmt.Errorf("%w: %s requests must be signed (use SignRequestObject)", ErrInvalidRequest, prefix)
	}
	if err := ro.Check(allowHTTP); err != nil {
		return "", err
	}
	dq, err := ro.DCQLQuery.JSON()
	if err != nil {
		return "", fmt.Errorf("%w: dcql_query: %w", ErrInvalidRequest, err)
	}
	q := url.Values{"client_id": {ro.ClientID}, "response_type": {ro.ResponseType},
		"response_mode": {ro.ResponseMode}, "response_uri": {ro.ResponseURI}, "nonce": {ro.Nonce},
		"dcql_query": {string(dq)}}
	if ro.State != "" {
		q.Set("state", ro.State)
	}
	md, err := json.Marshal(ro.ClientMetadata)
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrInvalidRequest, err)
	}
	q.Set("client_metadata", string(md))
	if ro.TransactionData != nil {
		td, _ := json.Marshal(ro.TransactionData)
		q.Set("transaction_data", string(td))
	}
	return Scheme + "://?" + q.Encode(), nil
}
