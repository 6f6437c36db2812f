package main

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/zkcred/zkcred/credential"
	"github.com/zkcred/zkcred/did/fetch"
)

// TestAttrsStrict: -attrs (a JSON object or a file) is read with json v2,
// as the issuer reads it: encoding/json let the last duplicate win and
// turned lone surrogates into U+FFFD.
func TestAttrsStrict(t *testing.T) {
	wallet := filepath.Join(t.TempDir(), "w")
	if _, err := holder(t, "init", "-wallet", wallet); err != nil {
		t.Fatal(err)
	}
	for name, attrs := range map[string]string{
		"duplicate":         `{"district":"07","district":"08"}`,
		"escaped duplicate": `{"district":"07","\u0064istrict":"08"}`,
		"lone surrogate":    `{"name":"\ud800"}`,
		"invalid UTF-8":     "{\"name\":\"\xff\"}",
		"trailing data":     `{"district":"07"}{}`,
		"not an object":     `null`,
	} {
		_, err := holder(t, "request", "-wallet", wallet, "-issuer", "http://127.0.0.1:1", "-insecure-local", "-attrs", attrs)
		if err == nil || !strings.Contains(err.Error(), "-attrs") {
			t.Errorf("%s: %v, want an -attrs error", name, err)
		}
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
