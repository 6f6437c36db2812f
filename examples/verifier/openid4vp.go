package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/zkcred/zkcred/credential"
	"github.com/zkcred/zkcred/did"
	"github.com/zkcred/zkcred/did/strictjson"
	"github.com/zkcred/zkcred/verifier"
	"github.com/zkcred/zkcred/verifier/protocol"
	"github.com/zkcred/zkcred/verifier/protocol/dcql"
)

// oidKeysVersion names the format of DATA/openid4vp-keys.json.
const oidKeysVersion = "zkcred-verifier-openid4vp-keys-v1"

// oidKeyFile holds the verifier's OpenID4VP keys: the Ed25519 seed that
// signs Request Objects (published in its did:web document) and the P-256
// scalar that decrypts direct_post.jwt responses (published in each
// request's client_metadata).
type oidKeyFile struct {
	Version    string `json:"version"`
	Signing    []byte `json:"signing"`
	Encryption []byte `json:"encryption"`
}

// oidKeys are the verifier's OpenID4VP identity.
type oidKeys struct {
	clientDID string
	signing   ed25519.PrivateKey
	sigKID    string
	enc       *ecdsa.PrivateKey
	doc       *did.Document
}

// loadOIDKeys reads the OpenID4VP keys from dir, creating them (mode 0600)
// on first use, and builds the did:web document of baseURL's host and path
// with the signing key in authentication.
func loadOIDKeys(dir, baseURL string) (*oidKeys, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	name := filepath.Join(dir, "openid4vp-keys.json")
	b, err := os.ReadFile(name)
	if errors.Is(err, os.ErrNotExist) {
		enc, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			return nil, err
		}
		encRaw, err := enc.Bytes()
		if err != nil {
			return nil, err
		}
		kf := oidKeyFile{Version: oidKeysVersion, Signing: make([]byte, ed25519.SeedSize), Encryption: encRaw}
		rand.Read(kf.Signing)
		if b, err = json.Marshal(kf); err != nil {
			return nil, err
		}
		if err := writeNew(name, b); err != nil {
			return nil, err
		}
	} else if err != nil {
		return nil, err
	}
	var kf oidKeyFile
	if err := strictjson.Unmarshal(b, &kf); err != nil || kf.Version != oidKeysVersion || len(kf.Signing) != ed25519.SeedSize {
		return nil, fmt.Errorf("%s: not a %s file", name, oidKeysVersion)
	}
	enc, err := ecdsa.ParseRawPrivateKey(elliptic.P256(), kf.Encryption)
	if err != nil {
		return nil, fmt.Errorf("%s: encryption key: %w", name, err)
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
	k := &oidKeys{clientDID: id, signing: ed25519.NewKeyFromSeed(kf.Signing), sigKID: id + "#key-1", enc: enc,
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

// writeNew creates name with mode 0600, failing if it exists.
func writeNew(name string, b []byte) error {
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
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
