package main

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/zkcred/zkcred/credential/status/tlog"
	"github.com/zkcred/zkcred/did"
	"github.com/zkcred/zkcred/verifier"
	"github.com/zkcred/zkcred/verifier/protocol"
	"github.com/zkcred/zkcred/verifier/protocol/dcql"
	"github.com/zkcred/zkcred/verifier/protocol/openid4vp"
	"github.com/zkcred/zkcred/zkp"
)

// service is an OpenID4VP verifier with its own embedded store, its own
// did:web host (its DID document and its Handler served by the demo's
// in-process HTTPS network) and its own signing and encryption keys.
type service struct {
	host string
	did  string
	mode string // response mode of its requests
	v    *verifier.Verifier
	st   *verifier.BoltStore
	err  error

	mu       sync.Mutex
	lastForm url.Values    // the last form posted to its response_uri
	verify   time.Duration // how long the verifier took on it
}

func (d *demo) service(name, host, mode string) *service {
	s := &service{host: host, mode: mode}
	s.err = func() error {
		var err error
		if s.did, err = did.WebDID(host); err != nil {
			return err
		}
		pub, priv, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			return err
		}
		doc := &did.Document{ID: s.did, Context: []any{did.ContextDIDv1}}
		m, err := did.NewMultikeyMethod(s.did+"#key-1", s.did, pub)
		if err != nil {
			return err
		}
		if err := doc.AddVerificationMethod(m, did.Authentication); err != nil {
			return err
		}
		docHandler, err := did.DocumentHandler(doc)
		if err != nil {
			return err
		}
		enc, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			return err
		}
		if s.st, err = verifier.OpenBolt(filepath.Join(d.tmp, name+"-verifier.db")); err != nil {
			return err
		}
		// The wallet carries the agency's checkpoint; the verifier accepts
		// it with the witness's cosignature, consistent with the last one
		// it stored (tiles fetched once per new checkpoint, never per
		// presentation). No signed roots (Roots unset).
		logPolicy := &verifier.LogPolicy{Witnesses: []*tlog.WitnessKey{d.agency.log.witness.Key()}, Quorum: 1, Tiles: d.net.client}
		s.v, err = verifier.New(verifier.Config{
			Store: s.st, Audience: "https://" + host, Resolver: d.resolver, Log: logPolicy,
			Key: d.keys.VerifyingKey, Schemas: d.schemas(), TrustedIssuers: []string{d.agency.DID},
			ClientDID: s.did, SigningKey: priv, SigningKeyID: s.did + "#key-1",
			EncryptionKey: enc, EncryptionKeyID: "enc-1", BaseURL: "https://" + host,
		})
		if err != nil {
			return err
		}
		vh := s.v.Handler()
		mux := http.NewServeMux()
		mux.Handle("GET /.well-known/did.json", docHandler)
		mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodPost && r.URL.Path == verifier.OpenID4VPResponsePath {
				b, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
				form, _ := url.ParseQuery(string(b))
				r.Body = io.NopCloser(bytes.NewReader(b))
				start := time.Now()
				vh.ServeHTTP(w, r)
				s.mu.Lock()
				s.lastForm, s.verify = form, time.Since(start)
				s.mu.Unlock()
				return
			}
			vh.ServeHTTP(w, r)
		})
		d.net.handle(host, mux)
		return nil
	}()
	return s
}

func (s *service) close() {
	if s.st != nil {
		s.st.Close()
	}
}

// request creates a signed OpenID4VP request for the credential query
// "pid" with claims (DCQL claims JSON), nullifier scope (may be empty) and
// transaction data.
func (d *demo) request(ctx context.Context, s *service, scope, claims string, td ...*openid4vp.TransactionData) (*verifier.AuthorizationRequest, error) {
	sc := ""
	if scope != "" {
		sc = fmt.Sprintf(`,"zkcred_nullifier_scope":%q`, scope)
	}
	q, err := dcql.Parse(fmt.Appendf(nil, `{"credentials":[{"id":"pid","format":"zkcred_zkp",
		"meta":{"zkcred_profile":"zkcred-dcql-predicates-v1","zkcred_schema":{"name":%q,"version":%d,"id":%q},"zkcred_max_root_age":3600%s},
		"trusted_authorities":[{"type":"zkcred_did","values":[%q]}],"claims":[%s]}]}`,
		d.schema.Name, d.schema.Version, protocol.FieldHex(d.schema.ID()), sc, d.agency.DID, claims))
	if err != nil {
		return nil, err
	}
	return s.v.NewAuthorizationRequest(ctx, verifier.AuthorizationRequestOptions{DCQL: q, TransactionData: td, ResponseMode: s.mode})
}

// answer is the wallet: openid4vp.Answer fetches and checks the signed
// Request Object of the link, chooses the credential by the DCQL query,
// prints the plain-words description (the consent screen; the demo's
// citizen agrees), proves and posts. It returns the verifier's answer and
// the proving time.
func (d *demo) answer(ctx context.Context, s *service, link string, h *protocol.Holding, carried string) (*openid4vp.VerifierAnswer, time.Duration, error) {
	var start time.Time
	ans, err := openid4vp.Answer(ctx, openid4vp.AnswerConfig{
		Fetch: d.net.client, Resolver: d.resolver, Keys: d.keys,
		Credentials: []openid4vp.Held{{Holding: *h, Checkpoint: []byte(carried)}},
		Consent: func(_ context.Context, desc *openid4vp.Description) error {
			fmt.Fprintf(d.w, "     consent: %s\n", oneLine(desc))
			start = time.Now()
			return nil
		},
	}, link)
	prove := time.Duration(0)
	if !start.IsZero() {
		prove = time.Since(start) - s.lastVerify()
	}
	return ans, prove, err
}

func (s *service) lastVerify() time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.verify
}

// lastResponse is the last response the wallet posted to s (direct_post).
func (s *service) lastResponse() (*openid4vp.Response, error) {
	s.mu.Lock()
	form := s.lastForm
	s.mu.Unlock()
	if form == nil || form.Get("vp_token") == "" {
		return nil, errors.New("no direct_post response captured")
	}
	r := &openid4vp.Response{State: form.Get("state")}
	if err := json.Unmarshal([]byte(form.Get("vp_token")), &r.VPToken); err != nil {
		return nil, err
	}
	return r, nil
}

// oneLine renders the wallet's consent description on one line.
func oneLine(desc *openid4vp.Description) string {
	var parts []string
	for _, l := range strings.Split(strings.TrimSpace(desc.String()), "\n") {
		parts = append(parts, strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(l), "- ")))
	}
	return strings.Join(parts, " ")
}

// accept runs a presentation that must be accepted and checked by check;
// it returns the posted response (nil if not accepted).
func (d *demo) accept(ctx context.Context, s *service, name, proven, scope, claims string, check func(*verifier.Result) error, td ...*openid4vp.TransactionData) *openid4vp.Response {
	start := time.Now()
	st := step{Name: name, Proven: proven}
	defer func() { st.Took = time.Since(start); d.record(st) }()
	ar, err := d.request(ctx, s, scope, claims, td...)
	if err != nil {
		st.Learned = "could not create the request: " + err.Error()
		return nil
	}
	ans, prove, err := d.answer(ctx, s, ar.URI, d.holding, d.carried)
	st.Timing = fmt.Sprintf("prove %s, verify %s", round(prove), round(s.lastVerify()))
	if err != nil {
		st.Learned = "REJECTED: " + err.Error()
		return nil
	}
	var rr verifier.ResponseResult
	if err := json.Unmarshal(ans.Body, &rr); err != nil || len(rr.Presentations["pid"]) != 1 {
		st.Learned = fmt.Sprintf("accepted, but the answer is unreadable (%v): %s", err, ans.Body)
		return nil
	}
	res := rr.Presentations["pid"][0]
	if err := check(res); err != nil {
		st.Learned = "accepted, but " + err.Error()
		return nil
	}
	st.OK = true
	st.Learned = "accepted: " + learned(res)
	for _, t := range rr.TransactionData {
		if t.Type == openid4vp.TypeBallot {
			st.Learned += fmt.Sprintf("; ballot %q bound in the proof", t.Choice)
		}
	}
	resp, _ := s.lastResponse()
	return resp
}

// reject runs a presentation from h (with its signed root) that the
// verifier must refuse with one of want (matched by the answer's
// zkcred_code); it returns the posted response.
func (d *demo) reject(ctx context.Context, s *service, name, proven, scope, claims string, h *protocol.Holding, carried string, want []error, td ...*openid4vp.TransactionData) *openid4vp.Response {
	start := time.Now()
	st := step{Name: name, Proven: proven}
	defer func() { st.Took = time.Since(start); d.record(st) }()
	ar, err := d.request(ctx, s, scope, claims, td...)
	if err != nil {
		st.Learned = "could not create the request: " + err.Error()
		return nil
	}
	ans, prove, err := d.answer(ctx, s, ar.URI, h, carried)
	st.Timing = fmt.Sprintf("prove %s, verify %s", round(prove), round(s.lastVerify()))
	var code string
	if ans != nil {
		var e verifier.OpenID4VPError
		json.Unmarshal(ans.Body, &e)
		code = e.ZKCredCode
	}
	switch {
	case err == nil:
		st.Learned = "ACCEPTED, but it must be refused"
	case !errors.Is(err, openid4vp.ErrRefused):
		st.Learned = "the wallet could not answer: " + err.Error()
	default:
		for _, w := range want {
			if _, c := verifier.ErrorCode(w); c == code {
				st.OK, st.Err = true, fmt.Errorf("%w (%s)", w, ans.Description)
				st.Learned = "refused: " + ans.Error + ": " + ans.Description
			}
		}
		if !st.OK {
			st.Learned = "refused for the wrong reason: " + err.Error()
		}
	}
	resp, _ := s.lastResponse()
	return resp
}

// forge alters the first vp_token value of resp with edit and submits it
// to s for the request whose state is state (resp's own if empty).
func (d *demo) forge(ctx context.Context, name, proven string, s *service, resp *openid4vp.Response, state string, edit func(*zkp.Presentation), want ...error) {
	if resp == nil || len(resp.VPToken["pid"]) == 0 {
		d.record(step{Name: name, Proven: proven, Learned: "skipped: the response to alter is missing"})
		return
	}
	forged := &openid4vp.Response{State: resp.State, VPToken: map[string][]json.RawMessage{}}
	if state != "" {
		forged.State = state
	}
	p, err := openid4vp.ParsePresentation(resp.VPToken["pid"][0])
	if err == nil && edit != nil {
		var env *protocol.Submission
		var pres *zkp.Presentation
		env, pres, err = protocol.ParseSubmission(p.Submission, d.keys.VerifyingKey)
		if err == nil {
			pres.Proof = append([]byte(nil), pres.Proof...)
			edit(pres)
			p.Submission, err = protocol.NewSubmission(env.Issuer, pres)
		}
	}
	var v []byte
	if err == nil {
		v, err = json.Marshal(p)
	}
	if err != nil {
		d.record(step{Name: name, Proven: proven, Learned: "could not alter the response: " + err.Error()})
		return
	}
	forged.VPToken["pid"] = []json.RawMessage{v}
	d.submit(ctx, name, proven, s, forged, want...)
}

// submit has s verify resp and records whether it was refused with one of
// want.
func (d *demo) submit(ctx context.Context, name, proven string, s *service, resp *openid4vp.Response, want ...error) {
	start := time.Now()
	_, err := s.v.VerifyResponse(ctx, resp, false)
	took := time.Since(start)
	st := step{Name: name, Proven: proven, Err: err, Took: took, Timing: "verify " + round(took).String()}
	switch {
	case err == nil:
		st.Learned = "ACCEPTED, but it must be refused"
	case isAny(err, want):
		st.OK = true
		st.Learned = "refused: " + err.Error()
	default:
		st.Learned = fmt.Sprintf("refused for the wrong reason: %v", err)
	}
	d.record(st)
}
