package main

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/zkcred/zkcred/credential"
	"github.com/zkcred/zkcred/credential/openid4vci"
	"github.com/zkcred/zkcred/did/fetch"
)

// TestReceiveOffer: receive refuses offers that do not parse before it
// fetches anything, and fetches an offer by reference (an issuer URL from
// a QR code) under did/fetch's policy: without -insecure-local no plain
// http and no loopback.
func TestReceiveOffer(t *testing.T) {
	wallet := filepath.Join(t.TempDir(), "w")
	if _, err := holder(t, "init", "-wallet", wallet); err != nil {
		t.Fatal(err)
	}
	var hits atomic.Int32
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
	defer srv.Close()
	plain := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
	defer plain.Close()
	byValue := func(j string) string { return "openid-credential-offer://?credential_offer=" + url.QueryEscape(j) }
	byRef := func(u string) string { return "openid-credential-offer://?credential_offer_uri=" + url.QueryEscape(u) }
	const grant = `"grants":{"urn:ietf:params:oauth:grant-type:pre-authorized_code":{"pre-authorized_code":"c","tx_code":{"length":6}}}`
	for name, tc := range map[string]struct {
		offer string
		want  error
	}{
		"not an offer URI":        {"https://agency.example/offers/1", openid4vci.ErrInvalidOffer},
		"not JSON":                {byValue(`{`), openid4vci.ErrInvalidOffer},
		"duplicate member":        {byValue(`{"credential_issuer":"https://a.example","credential_issuer":"https://b.example","credential_configuration_ids":["x"],` + grant + `}`), openid4vci.ErrInvalidOffer},
		"no configuration":        {byValue(`{"credential_issuer":"https://a.example","credential_configuration_ids":[],` + grant + `}`), openid4vci.ErrInvalidOffer},
		"by reference, http":      {byRef(plain.URL + "/offers/1"), fetch.ErrInvalidURL},
		"by reference, loopback":  {byRef(srv.URL + "/offers/1"), fetch.ErrForbiddenAddress},
		"issuer on http (strict)": {byValue(`{"credential_issuer":"` + plain.URL + `","credential_configuration_ids":["x"],` + grant + `}`), fetch.ErrInvalidURL},
	} {
		_, err := holder(t, "receive", "-wallet", wallet, "-pin", "123456", "-offer", tc.offer)
		if !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", name, err, tc.want)
		}
	}
	if n := hits.Load(); n != 0 {
		t.Errorf("servers reached %d times", n)
	}
}

// TestEntriesStrict: a wallet entry file (one a user could be handed) has
// one reading.
func TestEntriesStrict(t *testing.T) {
	secret, err := credential.GenerateHolderSecret(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	zkSeed := make([]byte, credential.ZKPrivateKeySize)
	rand.Read(zkSeed)
	zk, err := credential.NewZKPrivateKey(zkSeed)
	if err != nil {
		t.Fatal(err)
	}
	_, jk, _ := ed25519.GenerateKey(rand.Reader)
	const id = "did:web:agency.example"
	iss := &credential.Issuer{DID: id, JOSEKey: jk, JOSEKeyID: id + "#jose-1", ZKKey: zk, ZKKeyID: id + "#zk-1"}
	schema, err := credential.PersonSchema().WithSlots(8)
	if err != nil {
		t.Fatal(err)
	}
	var values map[string]any
	json.Unmarshal([]byte(aliceAttrs), &values)
	st, err := iss.Issue(credential.IssueRequest{Schema: schema, Values: values, HolderCommitment: secret.Commitment(),
		ValidUntil: time.Now().Add(time.Hour), RevocationID: 1, ID: "urn:uuid:00000000-0000-4000-8000-000000000000"})
	if err != nil {
		t.Fatal(err)
	}
	stored, err := json.Marshal(st)
	if err != nil {
		t.Fatal(err)
	}
	c := &command{wallet: t.TempDir()}
	dir := filepath.Join(c.wallet, "credentials")
	os.MkdirAll(dir, 0o700)
	write := func(body string) {
		if err := os.WriteFile(filepath.Join(dir, "x.json"), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	head := `{"version":"` + entryVersion + `","issuerUrl":"https://agency.example","id":"urn:uuid:00000000-0000-4000-8000-000000000000",`
	write(head + `"credential":` + string(stored) + `}`)
	if es, err := c.entries(); err != nil || len(es) != 1 {
		t.Fatalf("good entry: %v", err)
	}
	for name, body := range map[string]string{
		"duplicate":         head + `"issuerUrl":"https://evil.example","credential":` + string(stored) + `}`,
		"escaped duplicate": head + `"\u0069ssuerUrl":"https://evil.example","credential":` + string(stored) + `}`,
		"case variant":      head + `"IssuerURL":"https://evil.example","credential":` + string(stored) + `}`,
		"trailing data":     head + `"credential":` + string(stored) + `}{}`,
	} {
		write(body)
		if es, err := c.entries(); err == nil {
			t.Errorf("%s: accepted (issuer URL %s)", name, es[0].IssuerURL)
		}
	}
}

// TestFetchPolicy: the wallet fetches URLs from a verifier's QR code (and
// issuer URLs) under did/fetch's policy: without -insecure-local no plain
// http and no loopback; with it, still no redirect to another host.
func TestFetchPolicy(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		http.Redirect(w, r, "http://169.254.169.254/latest/meta-data/", http.StatusFound)
	}))
	defer srv.Close()
	plain := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		http.Redirect(w, r, "http://169.254.169.254/latest/meta-data/", http.StatusTemporaryRedirect)
	}))
	defer plain.Close()
	strict := &command{}
	for _, method := range []string{"GET", "POST"} {
		if _, err := strict.fetch(t.Context(), method, plain.URL+"/requests/x", "application/json", nil); !errors.Is(err, fetch.ErrInvalidURL) {
			t.Errorf("%s plain http: %v", method, err)
		}
		if _, err := strict.fetch(t.Context(), method, srv.URL+"/requests/x", "application/json", nil); !errors.Is(err, fetch.ErrForbiddenAddress) {
			t.Errorf("%s https to loopback: %v", method, err)
		}
	}
	if n := hits.Load(); n != 0 {
		t.Fatalf("servers reached %d times", n)
	}
	local := &command{insecureLocal: true}
	for _, method := range []string{"GET", "POST"} {
		if _, err := local.fetch(t.Context(), method, plain.URL+"/requests/x", "application/json", []byte("{}")); !errors.Is(err, fetch.ErrRedirect) {
			t.Errorf("%s redirect to another host: %v", method, err)
		}
	}
}
