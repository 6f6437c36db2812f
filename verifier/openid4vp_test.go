package verifier

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/zkcred/zkcred/credential"
	"github.com/zkcred/zkcred/did"
	"github.com/zkcred/zkcred/did/fetch"
	"github.com/zkcred/zkcred/verifier/protocol"
	"github.com/zkcred/zkcred/verifier/protocol/dcql"
	"github.com/zkcred/zkcred/verifier/protocol/openid4vp"
)

// End to end over loopback TLS: a verifier (did:web:verifier.example,
// resolved statically) issues OpenID4VP requests through its Handler, the
// wallet of package openid4vp answers them, and every refusal of issue 14
// is tried. The agency is offline throughout: Config.Roots always fails,
// and the verifier accepts with the root the holder carries.

const verifierDID = "did:web:verifier.example"

type oidEnv struct {
	*env
	v        *Verifier
	srv      *httptest.Server
	fetch    *fetch.Client
	sigKey   ed25519.PrivateKey
	store    Store
	resolver did.Resolver
	agency   *testIssuer

	mu       sync.Mutex
	lastPost []byte // the last body posted to the response_uri
}

func newOIDEnv(t testing.TB) *oidEnv {
	t.Helper()
	agency := newTestIssuer(t, "agency.example")
	o := &oidEnv{agency: agency}
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	o.sigKey = priv
	vdoc := &did.Document{ID: verifierDID}
	m, err := did.NewMultikeyMethod(verifierDID+"#key-1", verifierDID, pub)
	if err != nil {
		t.Fatal(err)
	}
	if err := vdoc.AddVerificationMethod(m, did.Authentication); err != nil {
		t.Fatal(err)
	}
	o.env = newEnv(t, newBolt(t), agency)
	if o.resolver, err = did.NewStaticResolver(agency.doc, vdoc); err != nil {
		t.Fatal(err)
	}
	var h http.Handler
	o.srv = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && r.URL.Path == OpenID4VPResponsePath {
			b, _ := io.ReadAll(r.Body)
			o.mu.Lock()
			o.lastPost = b
			o.mu.Unlock()
			r.Body = io.NopCloser(bytes.NewReader(b))
		}
		h.ServeHTTP(w, r)
	}))
	o.srv.StartTLS()
	t.Cleanup(o.srv.Close)
	o.store = newBolt(t)
	o.v = o.newVerifier(t, o.resolver)
	h = o.v.Handler()
	pool := x509.NewCertPool()
	pool.AddCert(o.srv.Certificate())
	if o.fetch, err = fetch.New(&fetch.Config{TLSConfig: &tls.Config{RootCAs: pool}, InsecureAllowPrivateAddresses: true}); err != nil {
		t.Fatal(err)
	}
	return o
}

// newVerifier returns a verifier on o's store whose agency is offline.
func (o *oidEnv) newVerifier(t testing.TB, r did.Resolver) *Verifier {
	t.Helper()
	encKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	offline := RootSourceFunc(func(context.Context, string) (string, error) {
		return "", errors.New("agency offline")
	})
	v, err := New(Config{Store: o.store, Audience: "https://vote.example", Resolver: r, Roots: offline,
		Key: keys(t).VerifyingKey, Schemas: []*credential.Schema{testSchema()}, Now: o.clock.Func(),
		Logger:    slog.New(slog.NewTextHandler(o.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		ClientDID: verifierDID, SigningKey: o.sigKey, SigningKeyID: verifierDID + "#key-1",
		EncryptionKey: encKey, EncryptionKeyID: "enc-1", BaseURL: o.srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func (o *oidEnv) held(t *testing.T, secret *credential.HolderSecret, values map[string]any) openid4vp.Held {
	return openid4vp.Held{
		Holding: protocol.Holding{Credential: o.agency.storedFor(t, secret, values), Secret: secret,
			IssuerKey: o.agency.zk.Public(), Revocation: o.agency.tree},
		SignedRoot: o.agency.signedRoot(t),
	}
}

func (o *oidEnv) walletConfig(t *testing.T, creds []openid4vp.Held, consented *bool) openid4vp.AnswerConfig {
	return openid4vp.AnswerConfig{Fetch: o.fetch, Resolver: o.resolver, Keys: keys(t), Credentials: creds,
		Consent: func(_ context.Context, d *openid4vp.Description) error {
			*consented = true
			return nil
		},
		Verify: &openid4vp.VerifyOptions{Now: o.clock.Func()}}
}

func voteQuery(t testing.TB, agency string) *dcql.Query {
	t.Helper()
	q, err := dcql.Parse(fmt.Appendf(nil, `{"credentials":[{"id":"pid","format":"zkcred_zkp",
		"meta":{"zkcred_profile":"zkcred-dcql-predicates-v1",
			"zkcred_schema":{"name":%q,"version":1,"id":%q},
			"zkcred_max_root_age":3600,"zkcred_nullifier_scope":"ballot-2027"},
		"trusted_authorities":[{"type":"zkcred_did","values":[%q]}],
		"claims":[
			{"path":["credentialSubject","birthDate"],"zkcred_predicate":{"op":"ageAtLeast","years":18}},
			{"path":["credentialSubject","district"],"values":["07","08"]},
			{"path":["credentialSubject","voterEligible"]}]}]}`,
		credential.PersonSchemaName, protocol.FieldHex(testSchema().ID()), agency))
	if err != nil {
		t.Fatal(err)
	}
	return q
}

// andQuery asks for two credentials of one holder (no credential_sets:
// both required, linked by the holder scope).
func andQuery(t *testing.T, agency string) *dcql.Query {
	t.Helper()
	cq := func(id string) string {
		return fmt.Sprintf(`{"id":%q,"format":"zkcred_zkp",
		"meta":{"zkcred_profile":"zkcred-dcql-predicates-v1",
			"zkcred_schema":{"name":%q,"version":1,"id":%q},"zkcred_max_root_age":3600},
		"trusted_authorities":[{"type":"zkcred_did","values":[%q]}],
		"claims":[{"path":["credentialSubject","birthDate"],"zkcred_predicate":{"op":"ageAtLeast","years":18}}]}`,
			id, credential.PersonSchemaName, protocol.FieldHex(testSchema().ID()), agency)
	}
	q, err := dcql.Parse([]byte(`{"credentials":[` + cq("a") + `,` + cq("b") + `]}`))
	if err != nil {
		t.Fatal(err)
	}
	return q
}

func ballot(choice string) *openid4vp.TransactionData {
	return &openid4vp.TransactionData{Type: openid4vp.TypeBallot, CredentialIDs: []string{"pid"}, BallotID: "ballot-2027", Choice: choice}
}

// presentVP proves, outside the wallet flow, the presentation of h for
// credential query id of ro (possibly altered by the test), with the
// handover hash of ro.
func presentVP(t testing.TB, h openid4vp.Held, ro *openid4vp.RequestObject, id string) json.RawMessage {
	t.Helper()
	c, err := ro.DCQLQuery.Compile(ro.Nonce)
	if err != nil {
		t.Fatal(err)
	}
	var policy protocol.Policy
	for _, cc := range c.Credentials {
		if cc.ID == id {
			policy = cc.Alternatives[0]
		}
	}
	req, err := openid4vp.ZKRequest(ro, policy)
	if err != nil {
		t.Fatal(err)
	}
	hh, err := openid4vp.HandoverHash(openid4vp.NewHandover(ro, id, req))
	if err != nil {
		t.Fatal(err)
	}
	sub, err := h.AnswerBound(keys(t), req, ro.ClientID, hh)
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(&openid4vp.Presentation{Version: openid4vp.PresentationVersionV1, Submission: sub, RevocationRoot: h.SignedRoot})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// post sends a direct_post response and returns the status and the
// zkcred_code of an error.
func (o *oidEnv) post(t *testing.T, form url.Values) (int, string) {
	t.Helper()
	rsp, err := o.fetch.Post(t.Context(), o.srv.URL+OpenID4VPResponsePath, "application/x-www-form-urlencoded", []byte(form.Encode()), "application/json")
	if err != nil {
		t.Fatal(err)
	}
	var e OpenID4VPError
	json.Unmarshal(rsp.Body, &e)
	return rsp.StatusCode, e.ZKCredCode
}

func vpForm(state string, vp map[string][]json.RawMessage) url.Values {
	b, _ := json.Marshal(vp)
	return url.Values{"vp_token": {string(b)}, "state": {state}}
}

func TestOpenID4VPEndToEnd(t *testing.T) {
	o := newOIDEnv(t)
	ctx := t.Context()
	secret, _ := credential.GenerateHolderSecret(rand.Reader)
	alice := o.held(t, secret, aliceData)

	// Accept: direct_post.jwt, the agency offline, the consent asked
	// before proving.
	ar, err := o.v.NewAuthorizationRequest(ctx, AuthorizationRequestOptions{
		DCQL: voteQuery(t, o.agency.did), TransactionData: []*openid4vp.TransactionData{ballot("yes")}})
	if err != nil {
		t.Fatal(err)
	}
	var consented bool
	cfg := o.walletConfig(t, []openid4vp.Held{alice}, &consented)
	var desc string
	cfg.Consent = func(_ context.Context, d *openid4vp.Description) error {
		consented, desc = true, d.String()
		return nil
	}
	ans, err := openid4vp.Answer(ctx, cfg, ar.URI)
	if err != nil {
		t.Fatalf("answer: %v (%+v)", err, ans)
	}
	if !consented || !strings.Contains(desc, `You vote "yes"`) || !strings.Contains(desc, verifierDID) {
		t.Errorf("consent description:\n%s", desc)
	}
	var res ResponseResult
	if err := json.Unmarshal(ans.Body, &res); err != nil {
		t.Fatal(err)
	}
	if p := res.Presentations["pid"]; len(p) != 1 || p[0].Disclosed["voterEligible"] != true || p[0].Nullifier == "" || p[0].Issuer != o.agency.did {
		t.Errorf("result %s", ans.Body)
	}

	// A replay of the same response.
	o.mu.Lock()
	replay := append([]byte(nil), o.lastPost...)
	o.mu.Unlock()
	rsp, err := o.fetch.Post(ctx, o.srv.URL+OpenID4VPResponsePath, "application/x-www-form-urlencoded", replay, "application/json")
	if err != nil || rsp.StatusCode != http.StatusConflict {
		t.Errorf("replay: %v %+v", err, rsp)
	}

	// A proof made for another nonce, client_id, response_uri or ballot
	// choice, posted to a live request.
	live, err := o.v.NewAuthorizationRequest(ctx, AuthorizationRequestOptions{DCQL: voteQuery(t, o.agency.did),
		TransactionData: []*openid4vp.TransactionData{ballot("yes")}, ResponseMode: openid4vp.ResponseModeDirectPost})
	if err != nil {
		t.Fatal(err)
	}
	other, err := o.v.NewAuthorizationRequest(ctx, AuthorizationRequestOptions{DCQL: voteQuery(t, o.agency.did),
		TransactionData: []*openid4vp.TransactionData{ballot("yes")}})
	if err != nil {
		t.Fatal(err)
	}
	no, _ := ballot("no").Encode()
	var anyProof json.RawMessage
	for name, alter := range map[string]func(ro *openid4vp.RequestObject){
		"other nonce":        func(ro *openid4vp.RequestObject) { ro.Nonce = other.ID },
		"other client_id":    func(ro *openid4vp.RequestObject) { ro.ClientID = "decentralized_identifier:did:web:evil.example" },
		"other response_uri": func(ro *openid4vp.RequestObject) { ro.ResponseURI = "https://evil.example/response" },
		"ballot changed":     func(ro *openid4vp.RequestObject) { ro.TransactionData = []string{no} },
	} {
		if testing.Short() && name != "ballot changed" {
			continue
		}
		ro := *live.RequestObject
		alter(&ro)
		p := presentVP(t, alice, &ro, "pid")
		anyProof = p
		if status, code := o.post(t, vpForm(live.ID, map[string][]json.RawMessage{"pid": {p}})); status != http.StatusUnprocessableEntity || code != CodeInvalidProof {
			t.Errorf("%s: %d %s, want 422 invalid_proof", name, status, code)
		}
	}

	// Could not check now: the issuer's DID document cannot be fetched.
	// 503, temporarily_unavailable, distinct from a rejection.
	down := o.newVerifier(t, unreachable{})
	resp := &openid4vp.Response{VPToken: map[string][]json.RawMessage{"pid": {anyProof}}, State: live.ID}
	if _, err := down.VerifyResponse(ctx, resp, false); !errors.Is(err, ErrUnavailable) {
		t.Errorf("issuer unresolvable: %v, want ErrUnavailable", err)
	} else if status, code := ErrorCode(err); status != http.StatusServiceUnavailable || code != CodeUnavailable {
		t.Errorf("issuer unresolvable: %d %s", status, code)
	}

	// Alice voted already (same client_id, same ballot scope): her honest
	// proof for the live request is a second vote.
	if status, code := o.post(t, vpForm(live.ID, map[string][]json.RawMessage{"pid": {presentVP(t, alice, live.RequestObject, "pid")}})); status != http.StatusConflict || code != CodeDuplicateNullifier {
		t.Errorf("second vote: %d %s, want 409 duplicate_nullifier", status, code)
	}
	// Carol's honest proof is accepted: the refusals did not consume the
	// request.
	carolSecret, _ := credential.GenerateHolderSecret(rand.Reader)
	carol := o.held(t, carolSecret, aliceData)
	if status, code := o.post(t, vpForm(live.ID, map[string][]json.RawMessage{"pid": {presentVP(t, carol, live.RequestObject, "pid")}})); status != http.StatusOK {
		t.Errorf("honest direct_post: %d %s", status, code)
	}
}

func TestOpenID4VPRequestChecks(t *testing.T) {
	o := newOIDEnv(t)
	ctx := t.Context()
	secret, _ := credential.GenerateHolderSecret(rand.Reader)
	var consented bool
	cfg := o.walletConfig(t, []openid4vp.Held{o.held(t, secret, aliceData)}, &consented)
	ar, err := o.v.NewAuthorizationRequest(ctx, AuthorizationRequestOptions{DCQL: voteQuery(t, o.agency.did)})
	if err != nil {
		t.Fatal(err)
	}

	// An unsigned request (redirect_uri:, by value) where a signed one is
	// required.
	ro := *ar.RequestObject
	md := *ro.ClientMetadata
	md.JWKS = nil
	ro.ClientID, ro.Issuer, ro.ResponseMode, ro.ClientMetadata = openid4vp.PrefixRedirectURI+ro.ResponseURI, "", openid4vp.ResponseModeDirectPost, &md
	unsigned, err := ro.ByValueURI(false)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := openid4vp.Answer(ctx, cfg, unsigned); !errors.Is(err, openid4vp.ErrUnsignedRequest) {
		t.Errorf("unsigned: %v, want ErrUnsignedRequest", err)
	}

	// A request signed by a key that is not the client DID's (kid names
	// the verifier's key).
	_, rogue, _ := ed25519.GenerateKey(rand.Reader)
	ro = *ar.RequestObject
	forged, err := openid4vp.SignRequestObject(&ro, rogue, verifierDID+"#key-1", false)
	if err != nil {
		t.Fatal(err)
	}
	link := openid4vp.Scheme + "://?" + url.Values{"client_id": {ro.ClientID}, "request": {forged}}.Encode()
	if _, err := openid4vp.Answer(ctx, cfg, link); !errors.Is(err, openid4vp.ErrInvalidRequestObject) {
		t.Errorf("forged signature: %v, want ErrInvalidRequestObject", err)
	}
	if consented {
		t.Error("consent asked for a refused request")
	}

	// A revoked credential is skipped and the next one tried; with only
	// the revoked one, nothing is proven, consent is not asked.
	revoked := o.held(t, secret, aliceData)
	o.agency.revoke(t, revoked.Credential.RevocationID, testEpoch)
	revoked.SignedRoot = o.agency.signedRoot(t)
	good := o.held(t, secret, aliceData)
	if _, err := openid4vp.Answer(ctx, o.walletConfig(t, []openid4vp.Held{revoked}, &consented), ar.URI); !errors.Is(err, openid4vp.ErrNoCredential) || consented {
		t.Errorf("only a revoked credential: %v (consent asked: %v), want ErrNoCredential", err, consented)
	}
	if ans, err := openid4vp.Answer(ctx, o.walletConfig(t, []openid4vp.Held{revoked, good}, &consented), ar.URI); err != nil {
		t.Errorf("revoked then valid: %v %+v", err, ans)
	}

	// The request_uri serves the signed object with its media type (a
	// fresh request: an answered one is no longer served).
	ar, err = o.v.NewAuthorizationRequest(ctx, AuthorizationRequestOptions{DCQL: voteQuery(t, o.agency.did)})
	if err != nil {
		t.Fatal(err)
	}
	rsp, err := o.fetch.Get(ctx, ar.RequestURI, openid4vp.RequestObjectMediaType)
	if err != nil || rsp.StatusCode != 200 || rsp.Header.Get("Content-Type") != openid4vp.RequestObjectMediaType {
		t.Errorf("request_uri: %v %+v", err, rsp)
	}
}

func TestOpenID4VPSameHolder(t *testing.T) {
	o := newOIDEnv(t)
	ctx := t.Context()
	aliceSecret, _ := credential.GenerateHolderSecret(rand.Reader)
	bobSecret, _ := credential.GenerateHolderSecret(rand.Reader)
	alice1, alice2 := o.held(t, aliceSecret, aliceData), o.held(t, aliceSecret, aliceData)
	bob := o.held(t, bobSecret, aliceData)

	// An AND query answered with credentials of two different holders.
	ar, err := o.v.NewAuthorizationRequest(ctx, AuthorizationRequestOptions{DCQL: andQuery(t, o.agency.did), ResponseMode: openid4vp.ResponseModeDirectPost})
	if err != nil {
		t.Fatal(err)
	}
	vp := map[string][]json.RawMessage{"a": {presentVP(t, alice1, ar.RequestObject, "a")}, "b": {presentVP(t, bob, ar.RequestObject, "b")}}
	if status, code := o.post(t, vpForm(ar.ID, vp)); status != http.StatusUnprocessableEntity || code != CodeUnsatisfiedQuery {
		t.Errorf("two holders: %d %s, want 422 unsatisfied_query", status, code)
	}
	// Only one of the two: the credential set is not satisfied.
	if status, code := o.post(t, vpForm(ar.ID, map[string][]json.RawMessage{"a": vp["a"]})); status != http.StatusUnprocessableEntity || code != CodeUnsatisfiedQuery {
		t.Errorf("one of two: %d %s, want 422 unsatisfied_query", status, code)
	}
	if testing.Short() {
		return
	}
	// The wallet answers with two credentials of one holder (bob's listed
	// first is skipped for the second query).
	var consented bool
	ans, err := openid4vp.Answer(ctx, o.walletConfig(t, []openid4vp.Held{alice1, bob, alice2}, &consented), ar.URI)
	if err != nil {
		t.Fatalf("same holder: %v %+v", err, ans)
	}
	var res ResponseResult
	if err := json.Unmarshal(ans.Body, &res); err != nil || len(res.Presentations["a"]) != 1 || len(res.Presentations["b"]) != 1 || res.Presentations["a"][0].Nullifier != "" {
		t.Errorf("result %s (holder-scope nullifiers are not reported as one-per-person)", ans.Body)
	}
}

// unreachable is a resolver whose network is down.
type unreachable struct{}

func (unreachable) Resolve(ctx context.Context, id string) (*did.Resolution, error) {
	return nil, &did.ResolutionError{DID: id, Code: did.CodeInternalError, Err: fmt.Errorf("%w: connection refused", did.ErrFetch)}
}
