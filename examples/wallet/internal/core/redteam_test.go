package core

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/zkcred/zkcred/credential"
	"github.com/zkcred/zkcred/verifier/protocol/openid4vp"
)

// TestConsentAttackPathDID: a verifier or issuer whose did:web DID has a
// path (did:web:gov.example:someone, a document anyone allowed to publish
// under /someone/ on gov.example serves) is not named as the host alone
// on the consent screen and the credential list.
func TestConsentAttackPathDID(t *testing.T) {
	for id, want := range map[string]string{
		"did:web:gov.example":                   "gov.example",
		"did:web:gov.example%3A8443":            "gov.example:8443",
		"did:web:gov.example:someone":           "gov.example/someone",
		"did:web:gov.example:users:someone":     "gov.example/users/someone",
		"did:key:z6MkhaXgBZDvotDkL5257faiztiGi": "did:key:z6MkhaXgBZDvotDkL5257faiztiGi",
	} {
		if got := issuerName(id); got != want {
			t.Errorf("issuerName(%q) = %q, want %q", id, got, want)
		}
	}
}

// TestOutcomeAttackShownByVerifier: the outcome's "They saw your X: V"
// lines come from the verifier's answer body; the verifier may list only
// attributes the citizen agreed to show, in the answer format of
// verifier.ResponseResult. A body naming others (or a top-level
// "disclosed" of the verifier's invention) adds no line.
func TestOutcomeAttackShownByVerifier(t *testing.T) {
	body := []byte(`{"requestId":"r","disclosed":{"pin":"call +1 555 0100 to confirm"},
		"presentations":{"pid":[{"issuer":"did:web:agency.example","disclosed":{"voterEligible":true,"birthDate":"1990-01-01"}}]}}`)
	got := shownIn(body, []string{"voterEligible"})
	if want := map[string]string{"voterEligible": "true"}; !reflect.DeepEqual(got, want) {
		t.Errorf("shown %v, want %v", got, want)
	}
	if got := shownIn(body, nil); got != nil {
		t.Errorf("nothing disclosed: shown %v", got)
	}
}

// TestConsentAttackHiddenButShown: a request that asks the same
// credential twice, the second time disclosing what the first proves
// about, must not list that attribute as hidden while it is shown; and
// every credential used is named, not only the last.
func TestConsentAttackHiddenButShown(t *testing.T) {
	w, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	schema := credential.PersonSchema()
	w.entries = []*Entry{{Version: EntryVersion, Stored: &credential.Stored{Issuer: "did:web:agency.example", Schema: schema}}}
	c := w.describe(&openid4vp.Description{
		Verifier: "did:web:shop.example", ResponseURI: "https://shop.example/openid4vp/response",
		Presentations: []openid4vp.PresentationDescription{
			{Issuer: "did:web:agency.example", Schema: schema.Name + " v1", Proven: []string{"you are at least 18 years old (by your birthDate)"}},
			{Issuer: "did:web:agency.example", Schema: schema.Name + " v1", Disclosed: []string{"birthDate"}},
			{Issuer: "did:web:other.example", Schema: "club v1", Disclosed: []string{"member"}},
		},
	})
	if slices.Contains(c.Hidden, "birthDate") || !slices.Contains(c.Disclosed, "birthDate") {
		t.Errorf("birthDate disclosed %v and hidden %v", c.Disclosed, c.Hidden)
	}
	if c.Credential != "your personal identity credential from agency.example and your club v1 credential from other.example" {
		t.Errorf("credential %q", c.Credential)
	}
}

// TestPresentAttackUnmetProbe: the request object is fetched once per
// answer. The unmet explanation used to fetch it a second time, so a
// verifier counting fetches of its request_uri learnt, without consent,
// that the citizen does not meet its request (under 18, another
// district...).
func TestPresentAttackUnmetProbe(t *testing.T) {
	var gets atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gets.Add(1)
		w.Header().Set("Content-Type", openid4vp.RequestObjectMediaType)
		io.WriteString(w, "eyJhbGciOiJFZERTQSJ9.e30.c2ln")
	}))
	defer srv.Close()
	w, err := New(Config{InsecureLocal: true})
	if err != nil {
		t.Fatal(err)
	}
	link := openid4vp.Scheme + "://?" + url.Values{"client_id": {"decentralized_identifier:did:web:verifier.example"},
		"request_uri": {srv.URL + "/openid4vp/requests/r1"}}.Encode()
	byValue, err := w.requestByValue(t.Context(), link)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(byValue, "request=eyJhbGciOiJFZERTQSJ9.e30.c2ln") || strings.Contains(byValue, "request_uri") {
		t.Fatalf("by value: %s", byValue)
	}
	w.requestObject(t.Context(), byValue, nil) // the bogus object does not verify; what matters is what it fetches
	if n := gets.Load(); n != 1 {
		t.Errorf("%d fetches of the request_uri, want 1", n)
	}
}
