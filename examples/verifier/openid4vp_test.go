package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/zkcred/zkcred/credential"
	"github.com/zkcred/zkcred/did"
	"github.com/zkcred/zkcred/did/fetch"
	"github.com/zkcred/zkcred/verifier"
	"github.com/zkcred/zkcred/verifier/protocol"
	"github.com/zkcred/zkcred/verifier/protocol/openid4vp"
	"github.com/zkcred/zkcred/zkp"
)

// openid4vpLink rebuilds the openid4vp:// link of request id of the
// verifier at base (-insecure-local: its DID is did:web of base's host).
func openid4vpLink(t *testing.T, base, id string) string {
	t.Helper()
	u, _ := url.Parse(base)
	d, err := did.WebDID(u.Host)
	if err != nil {
		t.Fatal(err)
	}
	uri, err := openid4vp.AuthorizationRequestURI(openid4vp.PrefixDecentralizedIdentifier+d, base+verifier.OpenID4VPRequestPath+id)
	if err != nil {
		t.Fatal(err)
	}
	return uri
}

// answerOpenID4VP answers uri as a loopback holder wallet does: fetch and
// check the signed request (the verifier's did:web resolved over http),
// prove, post the (encrypted) response.
func answerOpenID4VP(t *testing.T, iss *testIssuer, keys *zkp.Keys, uri string) *openid4vp.VerifierAnswer {
	t.Helper()
	return answerWith(t, iss, keys, iss.holding(t, aliceData), uri)
}

// answerWith answers uri with the credential h (the same person each time).
func answerWith(t *testing.T, iss *testIssuer, keys *zkp.Keys, h *protocol.Holding, uri string) *openid4vp.VerifierAnswer {
	t.Helper()
	ans, err := tryAnswer(t, iss, keys, h, uri)
	if err != nil {
		t.Fatalf("answer %s: %v", uri, err)
	}
	return ans
}

// tryAnswer answers uri with h and returns the wallet's error, if any
// (a refusal by the verifier is one).
func tryAnswer(t *testing.T, iss *testIssuer, keys *zkp.Keys, h *protocol.Holding, uri string) (*openid4vp.VerifierAnswer, error) {
	t.Helper()
	fc, err := fetch.New(&fetch.Config{InsecureAllowHTTP: true, InsecureAllowPrivateAddresses: true})
	if err != nil {
		t.Fatal(err)
	}
	r, err := did.NewInsecureLocalResolver()
	if err != nil {
		t.Fatal(err)
	}
	held := openid4vp.Held{Holding: *h, SignedRoot: iss.reg.SignedRoot()}
	ans, err := openid4vp.Answer(t.Context(), openid4vp.AnswerConfig{Fetch: fc, Resolver: r, Keys: keys,
		Credentials: []openid4vp.Held{held},
		Consent:     func(context.Context, *openid4vp.Description) error { return nil },
		Verify:      &openid4vp.VerifyOptions{InsecureAllowHTTP: true}}, uri)
	return ans, err
}

// TestOpenID4VP: the page's API creates an OpenID4VP request from a
// policy, the verifier's DID document is published, a wallet answers the
// openid4vp:// link, and the outcome the page polls says accepted.
func TestOpenID4VP(t *testing.T) {
	shape, err := parseShapeForTest()
	if err != nil {
		t.Fatal(err)
	}
	iss := newTestIssuer(t, shape)
	base, keys := startVerifier(t, iss.url)

	status, body := postJSON(t, base+"/openid4vp/create", mustJSON(t, votePolicy(iss.did)))
	if status != http.StatusCreated {
		t.Fatalf("POST /openid4vp/create: %d %s", status, body)
	}
	var created oidCreated
	if err := json.Unmarshal(body, &created); err != nil {
		t.Fatal(err)
	}
	if want := openid4vpLink(t, base, created.ID); created.URI != want || !strings.HasPrefix(created.URI, "openid4vp://") {
		t.Fatalf("uri %q, want %q", created.URI, want)
	}
	res, err := http.Get(base + "/.well-known/did.json")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if doc, err := did.ParseDocument(b); err != nil || !strings.HasPrefix(doc.ID, "did:web:127.0.0.1") {
		t.Fatalf("did.json: %v %s", err, b)
	}
	outcome := func() map[string]any {
		req, _ := http.NewRequest("GET", base+"/openid4vp/requests/"+created.ID+"/outcome", nil)
		req.Header.Set("X-Outcome-Key", created.OutcomeKey)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var out map[string]any
		if err := json.NewDecoder(res.Body).Decode(&out); err != nil || res.StatusCode != http.StatusOK {
			t.Fatalf("outcome: %d %v", res.StatusCode, err)
		}
		return out
	}
	if out := outcome(); out["state"] != "pending" {
		t.Fatalf("before: %v", out)
	}
	ans := answerOpenID4VP(t, iss, keys, created.URI)
	if ans.StatusCode != http.StatusOK {
		t.Fatalf("answer: %d %s %s", ans.StatusCode, ans.Error, ans.Description)
	}
	out := outcome()
	atts, _ := out["attempts"].([]any)
	if out["state"] != "accepted" || len(atts) != 1 {
		t.Fatalf("after: %v", out)
	}
	r, _ := json.Marshal(atts[0])
	if !strings.Contains(string(r), `"disclosed":{"voterEligible":true}`) || strings.Contains(string(r), "birthDate\":\"") {
		t.Errorf("attempt %s", r)
	}
	// Unknown ids: 404, as for zkcred's own requests.
	res, err = http.Get(base + "/openid4vp/requests/AAAAAAAAAAAAAAAAAAAAAA/outcome")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusNotFound {
		t.Errorf("unknown outcome: %d", res.StatusCode)
	}
}

// TestOpenID4VPKeys: the keys are created once and kept.
func TestOpenID4VPKeys(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	kp := testProtection(t, testPassphrase)
	a, err := loadOIDKeys(dir, "https://shop.example:8443", kp)
	if err != nil {
		t.Fatal(err)
	}
	b, err := loadOIDKeys(dir, "https://shop.example:8443", kp)
	if err != nil {
		t.Fatal(err)
	}
	if a.clientDID != "did:web:shop.example%3A8443" || !a.signing.Equal(b.signing) || !a.enc.Equal(b.enc) {
		t.Errorf("keys not kept: %s", a.clientDID)
	}
}

// TestPolicyQuery: the page's policies become valid DCQL queries.
func TestPolicyQuery(t *testing.T) {
	schema := credential.PersonSchema()
	p := votePolicy("did:web:agency.example")
	in := protocol.Policy{Issuers: p.Issuers, Schema: p.Schema, MaxRootAge: 60,
		Predicates: []protocol.Predicate{{Attribute: "district", Op: protocol.OpIn, Values: []protocol.Value{protocol.StringValue("07")}}}}
	for _, p := range []protocol.Policy{p, in} {
		q, err := policyQuery(p, schema)
		if err != nil {
			t.Fatalf("%+v: %v", p, err)
		}
		if _, err := q.Compile("n"); err != nil {
			t.Errorf("compile: %v", err)
		}
	}
}

func mustJSON(t *testing.T, v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
