package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/zkcred/zkcred/credential"
	"github.com/zkcred/zkcred/did"
	"github.com/zkcred/zkcred/did/strictjson"
	"github.com/zkcred/zkcred/verifier"
	"github.com/zkcred/zkcred/verifier/protocol"
	"github.com/zkcred/zkcred/verifier/protocol/dcql"
)

// oidKeys are the verifier's OpenID4VP identity.
type oidKeys struct {
	clientDID string
	signing   ed25519.PrivateKey
	sigKID    string
	enc       *ecdsa.PrivateKey
	doc       *did.Document
}

// loadOIDKeys opens the OpenID4VP keys in dir with kp (keys.go),
// creating them on first use, and builds the did:web document of
// baseURL's host and path with the signing key in authentication.
func loadOIDKeys(dir, baseURL string, kp *keyProtection) (*oidKeys, error) {
	signing, enc, err := openOIDKeys(dir, kp)
	if err != nil {
		return nil, err
	}
	u, err := url.Parse(baseURL)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("base URL %q: not a URL", baseURL)
	}
	var path []string
	if p := strings.Trim(u.Path, "/"); p != "" {
		path = strings.Split(p, "/")
	}
	id, err := did.WebDID(u.Host, path...)
	if err != nil {
		return nil, fmt.Errorf("base URL %q: %w", baseURL, err)
	}
	k := &oidKeys{clientDID: id, signing: signing, sigKID: id + "#key-1", enc: enc,
		doc: &did.Document{Context: []any{did.ContextDIDv1}, ID: id}}
	vm, err := did.NewMultikeyMethod(k.sigKID, id, k.signing.Public())
	if err != nil {
		return nil, err
	}
	if err := k.doc.AddVerificationMethod(vm, did.Authentication); err != nil {
		return nil, err
	}
	return k, nil
}

// policyQuery is the DCQL query of the page's policy: one zkcred_zkp
// credential query "pid" of schema (dcql.FromPolicy).
func policyQuery(p protocol.Policy, schema *credential.Schema) (*dcql.Query, error) {
	p.Schema = protocol.SchemaRef{Name: schema.Name, Version: schema.Version, ID: protocol.FieldHex(schema.ID())}
	return dcql.FromPolicy("pid", p)
}

// oidCreated is the answer of POST /openid4vp/create.
type oidCreated struct {
	ID         string          `json:"id"`
	URI        string          `json:"uri"` // the openid4vp:// link and QR content
	RequestURI string          `json:"requestUri"`
	ExpiresAt  int64           `json:"expiresAt"`
	DCQL       json.RawMessage `json:"dcqlQuery"`
	// OutcomeKey reads the outcome (GET /openid4vp/requests/{id}/outcome
	// with the X-Outcome-Key header): the page keeps it, the QR code
	// does not carry it.
	OutcomeKey string `json:"outcomeKey"`
}

// createOpenID4VP answers POST /openid4vp/create: body, a policy as the
// page builds it -> 201, the OpenID4VP request (id, openid4vp:// link).
func (a *app) createOpenID4VP(w http.ResponseWriter, r *http.Request) {
	fail := func(err error) { a.fail(w, r, err) }
	if a.oidErr != nil {
		fail(fmt.Errorf("%w: %v", protocol.ErrInvalidRequest, a.oidErr))
		return
	}
	// application/json only: a form or text/plain POST, which any web page
	// may send across origins without a preflight, creates no request.
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		fail(fmt.Errorf("%w: content type must be application/json", protocol.ErrInvalidRequest))
		return
	}
	body, err := io.ReadAll(r.Body)
	var p protocol.Policy
	if err == nil {
		err = strictjson.Unmarshal(body, &p)
	}
	if err != nil {
		fail(fmt.Errorf("%w: policy: %v", protocol.ErrInvalidRequest, err))
		return
	}
	q, err := policyQuery(p, a.schema)
	if err != nil {
		fail(err)
		return
	}
	ar, err := a.v.NewAuthorizationRequest(r.Context(), verifier.AuthorizationRequestOptions{DCQL: q})
	if err != nil {
		fail(err)
		return
	}
	qj, _ := q.JSON()
	writeJSON(w, http.StatusCreated, oidCreated{ID: ar.ID, URI: ar.URI, RequestURI: ar.RequestURI,
		ExpiresAt: ar.RequestObject.ExpiresAt, DCQL: qj, OutcomeKey: a.newOutcomeKey(ar.ID, time.Now().UTC())})
}

// onResponse is the verifier's Config.OnResponse: it keeps each checked
// OpenID4VP response of this verifier's requests for the page, as
// recordPresentation does for zkcred's own requests.
func (a *app) onResponse(_ context.Context, id string, res *verifier.ResponseResult, err error) {
	at := attempt{At: time.Now().UTC(), Status: http.StatusOK}
	if err != nil {
		status, code := verifier.ErrorCode(err)
		msg := err.Error()
		if status >= 500 {
			msg = http.StatusText(status) // the detail is in the log (verifier.Handler logs it)
		}
		at.Status, at.Error = status, &verifier.ErrorBody{Code: code, Message: msg}
		at.Reason = reasonOf(err)
	} else if at.Result, err = json.Marshal(res); err != nil {
		return
	}
	a.record(id, at)
}
