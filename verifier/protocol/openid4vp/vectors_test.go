package openid4vp

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/zkcred/zkcred/verifier/protocol/dcql"
)

// TestGoldenHandoverRederived re-derives, as a verifier does, the handover
// hash of testdata/handover.txt from the committed Request Object alone:
// verify the JWS, take its DCQL query (which must be
// testdata/dcql_query.json), compile it, derive the zkcred request with
// ZKRequest (not the test fixture's hand-built one) and hash the handover of
// credential query "pid".
func TestGoldenHandoverRederived(t *testing.T) {
	ro, err := VerifyRequestObject(context.Background(), testAR(), readGolden(t, "request_object.jwt"), resolver(t), testOpts())
	if err != nil {
		t.Fatal(err)
	}
	q, err := json.Marshal(ro.DCQLQuery)
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "dcql_query.json", append(q, '\n'))
	committed, err := dcql.Parse([]byte(readGolden(t, "dcql_query.json")))
	if err != nil {
		t.Fatalf("committed dcql_query.json: %v", err)
	}
	if cb, _ := json.Marshal(committed); string(cb) != string(q) {
		t.Errorf("dcql_query.json is not the request object's query:\n%s\n%s", cb, q)
	}
	c, err := ro.DCQLQuery.Compile(ro.Nonce)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Credentials) != 1 || c.Credentials[0].ID != "pid" {
		t.Fatalf("compiled %+v", c.Credentials)
	}
	req, err := ZKRequest(ro, c.Credentials[0].Alternatives[0])
	if err != nil {
		t.Fatal(err)
	}
	h, err := HandoverHash(NewHandover(ro, "pid", req))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(readGolden(t, "handover.txt"), "\n")
	if want := lines[len(lines)-1]; want != "hash "+h.Text(16) {
		t.Errorf("re-derived handover hash %s, committed %q", h.Text(16), want)
	}
	cb, err := NewHandover(ro, "pid", req).CanonicalBytes()
	if err != nil {
		t.Fatal(err)
	}
	if want := strings.Join(lines[:len(lines)-1], "\n"); string(cb) != want {
		t.Errorf("re-derived handover bytes differ:\n%s\n%s", cb, want)
	}
}
