package verifier

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"

	"github.com/zkcred/zkcred/credential/status"
	"github.com/zkcred/zkcred/did"
	"github.com/zkcred/zkcred/did/fetch"
	"github.com/zkcred/zkcred/verifier/protocol"
	"github.com/zkcred/zkcred/verifier/protocol/dcql"
	"github.com/zkcred/zkcred/verifier/protocol/openid4vp"
	"github.com/zkcred/zkcred/zkp"
)

// Paths of the OpenID4VP endpoints under [Config.BaseURL] (see
// [Verifier.Handler]).
const (
	OpenID4VPRequestPath  = "/openid4vp/requests/" // + request id: the request_uri
	OpenID4VPResponsePath = "/openid4vp/response"  // the response_uri
)

// AuthorizationRequestOptions configures [Verifier.NewAuthorizationRequest].
type AuthorizationRequestOptions struct {
	// DCQL is the query; every credential query the answer may use must be
	// of format zkcred_zkp and compile (dcql.Query.Compile) to policies
	// that fit Config.Schemas, Config.Key and Config.TrustedIssuers.
	// Required.
	DCQL *dcql.Query
	// TransactionData are typed items the proofs commit to (a ballot
	// choice, a consent text); optional.
	TransactionData []*openid4vp.TransactionData
	// ResponseMode is openid4vp.ResponseModeDirectPost or
	// ResponseModeDirectPostJWT; empty means direct_post.jwt when
	// Config.EncryptionKey is set, direct_post otherwise.
	ResponseMode string
}

// AuthorizationRequest is an issued OpenID4VP request.
type AuthorizationRequest struct {
	// ID is the request's nonce, state and zkcred request id.
	ID string
	// URI is the openid4vp:// link (same device) and QR code content
	// (cross device).
	URI string
	// RequestURI is where the signed Request Object is served.
	RequestURI string
	// RequestObject is what was signed.
	RequestObject *openid4vp.RequestObject
}

// ResponseResult is the outcome of an accepted OpenID4VP response.
type ResponseResult struct {
	RequestID string `json:"requestId"`
	// Presentations holds, per answered credential query id, the result
	// of each verified presentation.
	Presentations map[string][]*Result `json:"presentations"`
	// TransactionData are the request's items, which every proof binds.
	TransactionData []*openid4vp.TransactionData `json:"transactionData,omitempty"`
}

func (v *Verifier) clientID() string {
	return openid4vp.PrefixDecentralizedIdentifier + v.cfg.ClientDID
}

// NewAuthorizationRequest creates an OpenID4VP request by reference for
// opts: a fresh nonce (NonceSize random bytes, base64url) that is also
// the state and the id of the zkcred requests the proofs answer, a Request
// Object for client_id decentralized_identifier:<Config.ClientDID> signed
// with Config.SigningKey, response_uri BaseURL+OpenID4VPResponsePath, and
// a lifetime of Config.RequestTTL (at most openid4vp.MaxRequestLifetime).
// The signed object is kept in the Store (single-use nonce, as for
// [Verifier.NewRequest]) and served at the request_uri by the Handler.
// Errors wrap [protocol.ErrInvalidRequest] (with the dcql or openid4vp
// error), [ErrUntrustedIssuer] or [ErrStore].
func (v *Verifier) NewAuthorizationRequest(ctx context.Context, opts AuthorizationRequestOptions) (*AuthorizationRequest, error) {
	bad := func(format string, a ...any) error {
		return fmt.Errorf("%w: "+format, append([]any{protocol.ErrInvalidRequest}, a...)...)
	}
	if v.cfg.ClientDID == "" {
		return nil, bad("this verifier has no ClientDID, SigningKey and BaseURL (OpenID4VP)")
	}
	if opts.DCQL == nil {
		return nil, bad("no DCQL query")
	}
	mode := opts.ResponseMode
	if mode == "" {
		mode = openid4vp.ResponseModeDirectPost
		if v.cfg.EncryptionKey != nil {
			mode = openid4vp.ResponseModeDirectPostJWT
		}
	}
	nonce := make([]byte, protocol.NonceSize)
	if _, err := io.ReadFull(v.cfg.Rand, nonce); err != nil {
		return nil, fmt.Errorf("verifier: reading randomness: %w", err)
	}
	id := base64.RawURLEncoding.EncodeToString(nonce)
	now := v.cfg.Now()
	ttl := min(v.cfg.RequestTTL, openid4vp.MaxRequestLifetime)
	md := &openid4vp.ClientMetadata{VPFormatsSupported: map[string]json.RawMessage{dcql.FormatZKP: json.RawMessage(`{}`)}}
	if v.cfg.EncryptionKey != nil {
		jwk, err := openid4vp.EncryptionJWK(&v.cfg.EncryptionKey.PublicKey, v.cfg.EncryptionKeyID)
		if err != nil {
			return nil, bad("encryption key: %v", err)
		}
		md.JWKS = &openid4vp.JWKS{Keys: []did.JWK{jwk}}
	}
	ro := &openid4vp.RequestObject{
		Audience: openid4vp.StaticAudience, ClientID: v.clientID(),
		ResponseType: openid4vp.ResponseTypeVPToken, ResponseMode: mode,
		ResponseURI: v.cfg.BaseURL + OpenID4VPResponsePath, Nonce: id, State: id,
		DCQLQuery: opts.DCQL, ClientMetadata: md,
		IssuedAt: now.Unix(), ExpiresAt: now.Add(ttl).Unix(),
	}
	for i, td := range opts.TransactionData {
		s, err := td.Encode()
		if err != nil {
			return nil, bad("transaction data %d: %w", i, err)
		}
		ro.TransactionData = append(ro.TransactionData, s)
	}
	// Every policy the query compiles to must be one this verifier can
	// check, as for NewRequest.
	compiled, err := opts.DCQL.Compile(id)
	if err != nil {
		return nil, bad("%w", err)
	}
	for _, cc := range compiled.Credentials {
		for _, p := range cc.Alternatives {
			if _, _, err := v.compileOpenID4VP(ro, cc.ID, p); err != nil {
				return nil, err
			}
		}
	}
	jwt, err := openid4vp.SignRequestObject(ro, v.cfg.SigningKey, v.cfg.SigningKeyID, v.cfg.InsecureHTTPBaseURL)
	if err != nil {
		return nil, bad("%w", err)
	}
	err = v.cfg.Store.CreateRequest(ctx, &StoredRequest{
		ID: id, Nonce: nonce, Body: []byte(jwt),
		ExpiresAt: time.Unix(ro.ExpiresAt, 0).UTC(), CreatedAt: now.UTC(),
	})
	if err != nil {
		return nil, err
	}
	// Compiled once per request, from the stored body (hotcache.go); an
	// error here is met again, and reported, at the first response.
	_, _ = v.authz(&StoredRequest{ID: id, Body: []byte(jwt)})
	requestURI := v.cfg.BaseURL + OpenID4VPRequestPath + id
	uri, err := openid4vp.AuthorizationRequestURI(ro.ClientID, requestURI)
	if err != nil {
		return nil, bad("%w", err)
	}
	return &AuthorizationRequest{ID: id, URI: uri, RequestURI: requestURI, RequestObject: ro}, nil
}

// compileOpenID4VP builds the zkcred request of a presentation answering
// credential query id of ro with policy p, compiles it and binds the
// handover hash as its request hash. Errors wrap
// [protocol.ErrInvalidRequest] or [ErrUntrustedIssuer].
func (v *Verifier) compileOpenID4VP(ro *openid4vp.RequestObject, id string, p protocol.Policy) (*protocol.Request, *protocol.Compiled, error) {
	schema, err := v.schema(p.Schema)
	if err != nil {
		return nil, nil, err
	}
	if len(v.cfg.TrustedIssuers) > 0 {
		for _, iss := range p.Issuers {
			if !slices.Contains(v.cfg.TrustedIssuers, iss) {
				return nil, nil, fmt.Errorf("%w: %s is not among this verifier's trusted issuers", ErrUntrustedIssuer, iss)
			}
		}
	}
	req, err := openid4vp.ZKRequest(ro, p)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %w", protocol.ErrInvalidRequest, err)
	}
	c, err := req.Compile(schema, v.cfg.Key.Shape())
	if err != nil {
		return nil, nil, err
	}
	h, err := openid4vp.HandoverHash(openid4vp.NewHandover(ro, id, req))
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %w", protocol.ErrInvalidRequest, err)
	}
	c.RequestHash = h
	return req, c, nil
}

// isOpenID4VP reports whether a stored body is a signed Request Object
// (a compact JWS) rather than a zkcred request (JSON).
func isOpenID4VP(body []byte) bool { return len(body) > 0 && body[0] != '{' }

// RequestObject returns the signed Request Object of the OpenID4VP request
// id, as the Handler serves it at the request_uri. Errors wrap
// [ErrUnknownRequest], [ErrExpiredRequest], [ErrReplay] or [ErrStore].
func (v *Verifier) RequestObject(ctx context.Context, id string) (string, error) {
	s, err := v.storedOpenID4VP(ctx, id)
	if err != nil {
		return "", err
	}
	return string(s.Body), nil
}

func (v *Verifier) storedOpenID4VP(ctx context.Context, id string) (*StoredRequest, error) {
	if id == "" || len(id) > maxIDLen {
		return nil, ErrUnknownRequest
	}
	s, err := v.cfg.Store.GetRequest(ctx, id)
	if err != nil {
		return nil, err
	}
	switch {
	case !isOpenID4VP(s.Body):
		return nil, fmt.Errorf("%w: %s is not an OpenID4VP request", ErrUnknownRequest, id)
	case !v.cfg.Now().Before(s.ExpiresAt):
		return nil, ErrExpiredRequest
	case !s.AnsweredAt.IsZero():
		return nil, ErrReplay
	}
	return s, nil
}

// storedRequestObject decodes the payload of a Request Object this
// verifier signed and stored.
func storedRequestObject(s *StoredRequest) (*openid4vp.RequestObject, error) {
	parts := strings.Split(string(s.Body), ".")
	if len(parts) != 3 {
		return nil, fmt.Errorf("%w: stored request object %s is not a JWS", ErrStore, s.ID)
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	var ro openid4vp.RequestObject
	if err == nil {
		err = ro.UnmarshalJSON(payload)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: stored request object %s does not parse: %v", ErrStore, s.ID, err)
	}
	return &ro, nil
}

// VerifyResponse checks an OpenID4VP Authorization Response answering a
// request of [Verifier.NewAuthorizationRequest] and, on success, records it
// (the nonce is then answered: a second response gets [ErrReplay]).
// encrypted tells whether it arrived as direct_post.jwt; it must be the
// request's response mode.
//
// Steps: the request named by state is known, unexpired and unanswered;
// each vp_token value is an [openid4vp.Presentation] for a credential
// query of the request, whose zkcred request (openid4vp.ZKRequest) is
// compiled here (once per request) and whose proof must verify with the handover hash as
// request hash (so a proof made for another client_id, nonce,
// response_uri, query or transaction data fails, [ErrInvalidProof]); the
// issuer is trusted and its ZK key in its DID document
// ([ErrUntrustedIssuer]); the revocation root the holder carries is signed
// by the issuer, fresh enough and not below the store's floor
// ([ErrStaleRoot]; the agency is not contacted); the answered queries
// satisfy the credential sets and linked presentations are of one holder
// ([ErrUnsatisfiedQuery]). Nullifiers of the holder-linking scope
// (dcql.HolderScope) are not recorded; a query's own nullifier scope is,
// as for Verify.
//
// Config.OnResponse, if set, is told the outcome (see
// [Verifier.AuthorizationResult]).
//
// A check that could not be made (the store, or a DID document that could
// not be fetched) gives an error wrapping [ErrUnavailable]: retry later.
//
// The revocation floor of every issuer of the response is rechecked and
// raised atomically with the answer (Store.Answer): if any issuer's root
// is below its floor by then, nothing is recorded.
func (v *Verifier) VerifyResponse(ctx context.Context, resp *openid4vp.Response, encrypted bool) (*ResponseResult, error) {
	res, err := v.verifyResponse(ctx, resp, encrypted)
	if err != nil && transient(err) {
		err = fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	v.notifyResponse(ctx, resp, res, err)
	return res, err
}

// transient reports whether err means "could not check now".
func transient(err error) bool {
	return errors.Is(err, ErrStore) || errors.Is(err, did.ErrFetch) || errors.Is(err, fetch.ErrFetch)
}

func (v *Verifier) verifyResponse(ctx context.Context, resp *openid4vp.Response, encrypted bool) (*ResponseResult, error) {
	if resp == nil {
		return nil, fmt.Errorf("%w: no response", protocol.ErrMalformedPresentation)
	}
	stored, err := v.storedOpenID4VP(ctx, resp.State)
	if err != nil {
		return nil, err
	}
	// The Request Object, its query and every claim set's statement parts
	// are compiled once per request (hotcache.go): read-only here.
	a, err := v.authz(stored)
	if err != nil {
		return nil, err
	}
	ro, compiled := a.ro, a.query
	if encrypted != (ro.ResponseMode == openid4vp.ResponseModeDirectPostJWT) {
		return nil, fmt.Errorf("%w: the request's response mode is %s", protocol.ErrMalformedPresentation, ro.ResponseMode)
	}
	// Counts that cannot satisfy the query (a presentation repeated for a
	// query that takes one, a query not asked) are refused before any
	// presentation costs a resolution or a proof verification.
	submitted := make(map[string]int, len(resp.VPToken))
	for id, ps := range resp.VPToken {
		submitted[id] = len(ps)
	}
	if err := compiled.Satisfied(submitted); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrUnsatisfiedQuery, err)
	}
	now := v.cfg.Now()
	out := &ResponseResult{RequestID: stored.ID, Presentations: map[string][]*Result{}}
	for _, s := range ro.TransactionData {
		td, err := openid4vp.ParseTransactionData(s)
		if err != nil {
			return nil, fmt.Errorf("%w: stored transaction data: %v", ErrStore, err)
		}
		out.TransactionData = append(out.TransactionData, td)
	}
	answered := map[string]int{}
	nullifiers := map[string][]fr.Element{}
	floors := map[string]uint64{} // issuer → highest root sequence
	var record *AnswerRecord
	ids := slices.Sorted(func(yield func(string) bool) {
		for id := range resp.VPToken {
			if !yield(id) {
				return
			}
		}
	})
	for _, id := range ids {
		i := slices.IndexFunc(compiled.Credentials, func(cc dcql.CompiledCredential) bool { return cc.ID == id })
		if i < 0 {
			return nil, fmt.Errorf("%w: %w: %.80q was not asked for", ErrUnsatisfiedQuery, dcql.ErrNotSatisfied, id)
		}
		for _, raw := range resp.VPToken[id] {
			r, req, pres, root, err := v.verifyPresentation(ctx, a.alts[i], raw, now)
			if err != nil {
				return nil, fmt.Errorf("credential query %q: %w", id, err)
			}
			answered[id]++
			nullifiers[id] = append(nullifiers[id], pres.Nullifier)
			out.Presentations[id] = append(out.Presentations[id], r)
			floors[r.Issuer] = max(floors[r.Issuer], root.Sequence)
			if req.Scope != "" && !dcql.IsHolderScope(req.Scope) && record == nil {
				b := pres.Nullifier.Bytes()
				record = &AnswerRecord{Scope: req.Scope, Nullifier: b[:]}
			}
			if dcql.IsHolderScope(req.Scope) {
				// A request-scoped value that links this response's
				// proofs; not a one-per-person nullifier.
				r.Scope, r.Nullifier = "", ""
			}
		}
	}
	if err := compiled.Satisfied(answered); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrUnsatisfiedQuery, err)
	}
	if err := compiled.CheckSameHolder(nullifiers); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrUnsatisfiedQuery, err)
	}
	if record == nil {
		record = &AnswerRecord{}
	}
	record.RequestID, record.At = stored.ID, now
	for iss, seq := range floors {
		record.Roots = append(record.Roots, AnswerRoot{Issuer: iss, Sequence: seq})
	}
	if err := v.cfg.Store.Answer(ctx, record); err != nil {
		return nil, err
	}
	v.cfg.Logger.InfoContext(ctx, "verifier: openid4vp response accepted", "request", stored.ID)
	return out, nil
}

// verifyPresentation checks one vp_token value answering the credential
// query whose claim sets compiled to alts.
func (v *Verifier) verifyPresentation(ctx context.Context, alts []compiledAlt, raw json.RawMessage, now time.Time) (*Result, *protocol.Request, *zkp.Presentation, *status.RootClaims, error) {
	p, err := openid4vp.ParsePresentation(raw)
	if err != nil {
		return nil, nil, nil, nil, fmt.Errorf("%w: %w", protocol.ErrMalformedPresentation, err)
	}
	if p.ClaimSet < 0 || p.ClaimSet >= len(alts) {
		return nil, nil, nil, nil, fmt.Errorf("%w: claim_set %d of %d", protocol.ErrMalformedPresentation, p.ClaimSet, len(alts))
	}
	alt := alts[p.ClaimSet]
	if alt.err != nil {
		return nil, nil, nil, nil, alt.err
	}
	req, compiled := alt.req, alt.c
	sub, pres, err := protocol.ParseSubmission(p.Submission, v.cfg.Key)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	issuer, issuerKey, err := v.issuerKey(ctx, req, sub.Issuer)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	root, settle, err := v.carriedRoot(ctx, req, issuer, sub.Issuer, issuerKey, p)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	if err := zkp.Verify(v.cfg.Key, compiled.Statement(issuerKey, root.Root), pres); err != nil {
		return nil, nil, nil, nil, fmt.Errorf("%w: %w", ErrInvalidProof, err)
	}
	// Only now, with a valid proof, is the checkpoint checked against the
	// stored one (which may fetch the issuer's tiles).
	if err := settle(ctx); err != nil {
		return nil, nil, nil, nil, err
	}
	r, err := v.result(req, compiled, sub, issuer, root, pres, now)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	return r, req, pres, root, nil
}

// result builds the Result of a verified presentation.
func (v *Verifier) result(req *protocol.Request, compiled *protocol.Compiled, sub *protocol.Submission, issuer string, root *status.RootClaims, pres *zkp.Presentation, now time.Time) (*Result, error) {
	res := &Result{
		RequestID: req.ID, Issuer: issuer, IssuerKey: sub.Issuer, Schema: req.Schema,
		Predicates: clonePredicates(req.Predicates), Scope: req.Scope, // req may be cached
		RevocationSequence: root.Sequence, RevocationIssuedAt: root.IssuedAt.UTC(), VerifiedAt: now.UTC(),
	}
	if len(pres.Disclosed) > 0 {
		res.Disclosed = make(map[string]any, len(pres.Disclosed))
		for _, d := range pres.Disclosed {
			attr := compiled.Schema.Attributes[d.Slot] // disclosable slots are attributes (Compile)
			val, err := decodeSlot(attr, d.Value)
			if err != nil {
				return nil, fmt.Errorf("%w: disclosed %s: %v", ErrInvalidProof, attr.Name, err)
			}
			res.Disclosed[attr.Name] = val
		}
	}
	if req.Scope != "" {
		b := pres.Nullifier.Bytes()
		res.Nullifier = hex.EncodeToString(b[:])
	}
	return res, nil
}

// parseFormResponse reads an Authorization Response from form values:
// response (direct_post.jwt, decrypted with Config.EncryptionKey) or
// vp_token and state (direct_post), each at most once.
func (v *Verifier) parseFormResponse(form map[string][]string) (*openid4vp.Response, bool, error) {
	bad := func(format string, a ...any) error {
		return fmt.Errorf("%w: "+format, append([]any{protocol.ErrMalformedPresentation}, a...)...)
	}
	for k, vs := range form {
		if len(vs) != 1 {
			return nil, false, bad("parameter %.40q repeated", k)
		}
	}
	get := func(k string) string {
		if vs := form[k]; len(vs) == 1 {
			return vs[0]
		}
		return ""
	}
	if jwe := get("response"); jwe != "" {
		if get("vp_token") != "" {
			return nil, false, bad("both response and vp_token")
		}
		if v.cfg.EncryptionKey == nil {
			return nil, false, bad("this verifier takes no encrypted responses")
		}
		resp, err := openid4vp.DecryptResponse(jwe, v.cfg.EncryptionKey, v.cfg.EncryptionKeyID, nil)
		if err != nil {
			return nil, false, bad("%w", err)
		}
		return resp, true, nil
	}
	vpToken := get("vp_token")
	if vpToken == "" {
		return nil, false, bad("no response or vp_token")
	}
	// One JSON object, checked alone before it is spliced in: otherwise
	// `{...},"state":"..."` would add members to the response.
	if vpToken[0] != '{' || !json.Valid([]byte(vpToken)) {
		return nil, false, bad("vp_token is not a JSON object")
	}
	var payload bytes.Buffer
	payload.WriteString(`{"vp_token":`)
	payload.WriteString(vpToken)
	if s := get("state"); s != "" {
		st, _ := json.Marshal(s)
		payload.WriteString(`,"state":`)
		payload.Write(st)
	}
	payload.WriteString(`}`)
	if !json.Valid(payload.Bytes()) {
		return nil, false, bad("vp_token is not a JSON object")
	}
	resp, err := openid4vp.ParseResponse(payload.Bytes())
	if err != nil {
		return nil, false, bad("%w", err)
	}
	return resp, false, nil
}

// OpenID4VPError is the JSON body of an error answer of the OpenID4VP
// endpoints.
type OpenID4VPError struct {
	Error       string `json:"error"`
	Description string `json:"error_description,omitempty"`
	// ZKCredCode is the stable code of [ErrorCode].
	ZKCredCode string `json:"zkcred_code"`
}

func (v *Verifier) openID4VPError(w http.ResponseWriter, r *http.Request, endpoint string, err error) {
	status, code := ErrorCode(err)
	body := OpenID4VPError{Error: openid4vp.CodeInvalidRequest, Description: err.Error(), ZKCredCode: code}
	switch {
	case status == http.StatusServiceUnavailable:
		body.Error, body.Description = "temporarily_unavailable", "could not check now, retry"
	case status >= 500:
		body.Error, body.Description = openid4vp.CodeServerError, http.StatusText(status)
	}
	v.observe(r, endpoint, status, code, err)
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, status, body)
}

func (v *Verifier) getRequestObject(w http.ResponseWriter, r *http.Request) {
	jwt, err := v.RequestObject(r.Context(), r.PathValue("id"))
	if err != nil {
		v.openID4VPError(w, r, "openid4vp_request_object", err)
		return
	}
	v.observe(r, "openid4vp_request_object", http.StatusOK, "", nil)
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Type", openid4vp.RequestObjectMediaType)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(http.StatusOK)
	io.WriteString(w, jwt)
}

func (v *Verifier) postAuthorizationResponse(w http.ResponseWriter, r *http.Request) {
	res, err := func() (*ResponseResult, error) {
		mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
		if err != nil || mt != "application/x-www-form-urlencoded" {
			return nil, fmt.Errorf("%w: content type must be application/x-www-form-urlencoded", errWrongContentType)
		}
		if err := r.ParseForm(); err != nil {
			var tooLarge *http.MaxBytesError
			if errors.As(err, &tooLarge) {
				return nil, tooLarge
			}
			return nil, fmt.Errorf("%w: form: %v", protocol.ErrMalformedPresentation, err)
		}
		if _, ok := r.PostForm["error"]; ok {
			return nil, v.walletErrorResponse(r.Context(), r.PostForm)
		}
		resp, encrypted, err := v.parseFormResponse(r.PostForm)
		if err != nil {
			return nil, err
		}
		start := time.Now()
		res, err := v.VerifyResponse(r.Context(), resp, encrypted)
		v.timeVerification(start, err)
		return res, err
	}()
	var werr *walletError
	if errors.As(err, &werr) {
		// Processed: the wallet is told so (OpenID4VP 1.0, section 8.2).
		v.cfg.Logger.InfoContext(r.Context(), "verifier: the wallet answered with an error response", "request_id", werr.id, "error", werr.code)
		v.observe(r, "openid4vp_response", http.StatusOK, werr.code, nil)
		w.Header().Set("Cache-Control", "no-store")
		writeJSON(w, http.StatusOK, struct{}{})
		return
	}
	if err != nil {
		v.openID4VPError(w, r, "openid4vp_response", err)
		return
	}
	v.observe(r, "openid4vp_response", http.StatusOK, "", nil)
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, res)
}

// walletErrorCodes are the error codes a wallet may answer a request with
// (OpenID4VP 1.0, section 8.5, and RFC 6749, section 4.1.2.1).
var walletErrorCodes = map[string]bool{
	openid4vp.CodeAccessDenied: true, openid4vp.CodeInvalidRequest: true, openid4vp.CodeInvalidClient: true,
	openid4vp.CodeInvalidRequestObject: true, openid4vp.CodeInvalidRequestURIMethod: true,
	openid4vp.CodeInvalidTransactionData: true, openid4vp.CodeVPFormatsNotSupported: true,
	openid4vp.CodeServerError: true, "unsupported_response_type": true, "invalid_scope": true,
	"temporarily_unavailable": true, "wallet_unavailable": true,
}

// maxErrorDescription bounds a wallet's error_description.
const maxErrorDescription = 300

// walletError is a wallet's error response to request id, processed: the
// handler answers it 200.
type walletError struct{ id, code string }

func (e *walletError) Error() string { return "wallet error response " + e.code + " to " + e.id }

// walletErrorResponse reads a wallet's error response (form parameters
// error, optional error_description and error_uri, and state; each at
// most once, nothing else) to one of this verifier's pending OpenID4VP
// requests, and tells Config.OnResponse: ErrHolderDeclined for
// access_denied, ErrWalletError otherwise. It returns a *walletError once
// processed, or the refusal. An error response carries no personal data,
// so it is taken as a plain form whatever the request's response mode
// (some error responses cannot be encrypted: an unreadable request). The
// request stays answerable: anyone who read its request object could
// send this, and the holder may still answer.
func (v *Verifier) walletErrorResponse(ctx context.Context, form map[string][]string) error {
	bad := func(format string, a ...any) error {
		return fmt.Errorf("%w: error response: "+format, append([]any{protocol.ErrMalformedPresentation}, a...)...)
	}
	for k, vs := range form {
		switch k {
		case "error", "error_description", "error_uri", "state":
		default:
			return bad("unexpected parameter %.40q", k)
		}
		if len(vs) != 1 {
			return bad("parameter %.40q repeated", k)
		}
	}
	code := form["error"][0]
	if !walletErrorCodes[code] {
		return bad("unknown error code %.40q", code)
	}
	if d := form["error_description"]; d != nil && !errorTextOK(d[0], maxErrorDescription) {
		return bad("error_description is not up to %d printable ASCII characters (RFC 6749)", maxErrorDescription)
	}
	if u := form["error_uri"]; u != nil && !errorTextOK(u[0], maxErrorDescription) {
		return bad("error_uri is not up to %d printable ASCII characters", maxErrorDescription)
	}
	var state string
	if s := form["state"]; s != nil {
		state = s[0]
	}
	if state == "" {
		return bad("no state: the error response names no request")
	}
	stored, err := v.storedOpenID4VP(ctx, state)
	if err != nil {
		if transient(err) {
			err = fmt.Errorf("%w: %w", ErrUnavailable, err)
		}
		return err
	}
	if v.cfg.OnResponse != nil {
		cause := fmt.Errorf("%w: %s", ErrWalletError, code)
		if code == openid4vp.CodeAccessDenied {
			cause = fmt.Errorf("%w (%s)", ErrHolderDeclined, code)
		}
		v.cfg.OnResponse(ctx, stored.ID, nil, cause)
	}
	return &walletError{id: stored.ID, code: code}
}

// errorTextOK reports whether s is at most max characters of the set RFC
// 6749 allows in error_description: printable ASCII but '"' and '\\'.
func errorTextOK(s string, max int) bool {
	if len(s) > max {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c > 0x7e || c == '"' || c == '\\' {
			return false
		}
	}
	return true
}
