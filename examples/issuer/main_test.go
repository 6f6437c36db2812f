package main

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/zkcred/zkcred/credential"
	"github.com/zkcred/zkcred/credential/status"
	"github.com/zkcred/zkcred/did"
)

// buildBinary builds the command in the current directory.
func buildBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "issuer")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// TestExport builds the command and runs -export twice on one data
// directory: the artifacts verify against the exported DID document, and
// the keys (so the DID document) survive the restart.
func TestExport(t *testing.T) {
	bin := buildBinary(t)
	data, out := t.TempDir(), t.TempDir()
	export := func() *did.Document {
		cmd := exec.Command(bin, "-data", data, "-domain", "agency.example", "-export", out)
		if b, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("issuer -export: %v\n%s", err, b)
		}
		b, err := os.ReadFile(filepath.Join(out, "did.json"))
		if err != nil {
			t.Fatal(err)
		}
		doc, err := did.ParseDocument(b)
		if err != nil {
			t.Fatal(err)
		}
		return doc
	}
	doc := export()
	if doc.ID != "did:web:agency.example" || len(doc.AssertionMethod) != 2 {
		t.Fatalf("document %+v", doc)
	}
	res, err := did.NewStaticResolver(doc)
	if err != nil {
		t.Fatal(err)
	}
	read := func(name string) string {
		b, err := os.ReadFile(filepath.Join(out, name))
		if err != nil {
			t.Fatal(err)
		}
		return strings.TrimSpace(string(b))
	}
	vc, err := credential.VerifyJWT(t.Context(), res, read("credential.jwt"), credential.VerifyOptions{})
	if err != nil {
		t.Fatalf("exported credential: %v", err)
	}
	if vc.Issuer.ID != doc.ID || len(vc.CredentialStatus) != 1 {
		t.Errorf("credential %+v", vc)
	}
	list, err := credential.VerifyJWT(t.Context(), res, read("statuslist.jwt"), credential.VerifyOptions{MaxTokenSize: 1 << 20})
	if err != nil {
		t.Fatalf("exported status list: %v", err)
	}
	if list.ID != "http://agency.example/status/1" {
		t.Errorf("status list id %q", list.ID)
	}
	root, err := status.VerifySignedRoot(t.Context(), res, read("root.jwt"), status.VerifyRootOptions{Issuer: doc.ID})
	if err != nil {
		t.Fatal(err)
	}
	snap, err := os.ReadFile(filepath.Join(out, "snapshot.bin"))
	if err != nil {
		t.Fatal(err)
	}
	s, err := status.ParseSnapshot(snap)
	if err != nil || s.Root != root.Root || s.Depth != 24 {
		t.Errorf("snapshot %+v, %v", s, err)
	}

	again := export()
	b1, _ := json.Marshal(doc)
	b2, _ := json.Marshal(again)
	if !bytes.Equal(b1, b2) {
		t.Errorf("DID document changed across restarts:\n%s\n%s", b1, b2)
	}

	// Bad command lines exit 1 with the usage.
	for _, args := range [][]string{{}, {"-data", data, "extra"}, {"-data", data, "-tls-cert", "x"}} {
		cmd := exec.Command(bin, args...)
		b, err := cmd.CombinedOutput()
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != 1 || !bytes.Contains(b, []byte("usage: issuer")) {
			t.Errorf("issuer %q: %v\n%s", args, err, b)
		}
	}
}

// startAgency serves an agency in-process on a loopback port, the DID
// being did:web of that address.
func startAgency(t *testing.T, data string) (*agency, *httptest.Server) {
	t.Helper()
	srv := httptest.NewUnstartedServer(nil)
	o, err := parseFlags([]string{"-data", data, "-slots", "8", "-revocation-depth", "6"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	domain := srv.Listener.Addr().String()
	a, err := openAgency(o, domain, "http://"+domain, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	srv.Config.Handler = a.handler()
	srv.Start()
	t.Cleanup(func() { srv.Close(); a.Close() })
	return a, srv
}

type response struct {
	status int
	body   []byte
}

func call(t *testing.T, method, url, token string, body string) response {
	t.Helper()
	r, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	r.Header.Set("Content-Type", "application/json")
	if token != "" {
		r.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(r)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return response{res.StatusCode, b}
}

const attrs = `{"birthDate":"2001-04-02","district":"07","nationality":"DE","vehicleCategory":"B","vehicleRegistered":true,"voterEligible":true,"residentSince":"2015-06-01"}`

func TestServer(t *testing.T) {
	data := t.TempDir()
	a, srv := startAgency(t, data)
	secret, err := credential.GenerateHolderSecret(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	cm := secret.Commitment()
	cb := cm.Bytes()
	commit := hex.EncodeToString(cb[:])

	// The DID document is served in the did:web layout.
	res := call(t, "GET", srv.URL+"/.well-known/did.json", "", "")
	doc, err := did.ParseDocument(res.body)
	if res.status != 200 || err != nil || doc.ID != a.did {
		t.Fatalf("did.json: %d %v %s", res.status, err, res.body)
	}
	resolver, _ := did.NewStaticResolver(doc)

	// Issuance: bad inputs are refused with 4xx.
	for name, body := range map[string]string{
		"not JSON":          `hello`,
		"short commitment":  `{"holderCommitment":"00","attributes":` + attrs + `}`,
		"non-canonical":     `{"holderCommitment":"` + strings.Repeat("ff", 32) + `","attributes":` + attrs + `}`,
		"unknown field":     `{"holderCommitment":"` + commit + `","attributes":` + attrs + `,"x":1}`,
		"missing attribute": `{"holderCommitment":"` + commit + `","attributes":{"district":"07"}}`,
		"trailing data":     `{"holderCommitment":"` + commit + `","attributes":` + attrs + `}{}`,
	} {
		if res := call(t, "POST", srv.URL+"/credentials", "", body); res.status < 400 || res.status >= 500 {
			t.Errorf("%s: %d %s", name, res.status, res.body)
		}
	}
	res = call(t, "POST", srv.URL+"/credentials", "", `{"holderCommitment":"`+commit+`","attributes":`+attrs+`}`)
	if res.status != http.StatusCreated {
		t.Fatalf("issue: %d %s", res.status, res.body)
	}
	st, err := credential.ParseStored(res.body)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.CheckHolder(secret); err != nil {
		t.Fatal(err)
	}
	vc, err := st.Verify(t.Context(), resolver, credential.VerifyOptions{})
	if err != nil {
		t.Fatalf("issued credential does not verify: %v", err)
	}
	entry, err := status.ParseEntry(vc.CredentialStatus[0])
	if err != nil {
		t.Fatal(err)
	}
	checkCfg := status.CheckConfig{Resolver: resolver, Issuer: a.did, AllowHTTP: true, AllowPrivateAddresses: true} // httptest on loopback
	if cr, err := status.CheckStatus(t.Context(), checkCfg, *entry); err != nil || !cr.Valid {
		t.Errorf("status list before revocation: %+v %v", cr, err)
	}

	// Revocation needs the admin token.
	token, err := os.ReadFile(filepath.Join(data, "admin.token"))
	if err != nil {
		t.Fatal(err)
	}
	revoke := `{"credentialId":"` + vc.ID + `"}`
	for _, tok := range []string{"", "wrong-token-wrong-token"} {
		if res := call(t, "POST", srv.URL+"/revoke", tok, revoke); res.status != http.StatusUnauthorized {
			t.Errorf("revoke with token %q: %d", tok, res.status)
		}
	}
	if res := call(t, "POST", srv.URL+"/revoke", string(token), `{"credentialId":"urn:uuid:nope"}`); res.status != http.StatusNotFound {
		t.Errorf("unknown credential: %d %s", res.status, res.body)
	}
	if res := call(t, "POST", srv.URL+"/revoke", string(token), `{"credentialId":"x","revocationId":5}`); res.status != http.StatusBadRequest {
		t.Errorf("two ids: %d %s", res.status, res.body)
	}
	before := call(t, "GET", srv.URL+"/revocation/root", "", "")
	for range 2 { // idempotent
		if res := call(t, "POST", srv.URL+"/revoke", string(token), revoke); res.status != 200 {
			t.Fatalf("revoke: %d %s", res.status, res.body)
		}
	}
	// By revocation id as well (already revoked: still fine).
	if res := call(t, "POST", srv.URL+"/revoke", string(token), `{"revocationId":`+jsonUint(st.RevocationID)+`}`); res.status != 200 {
		t.Errorf("revoke by revocation id: %d %s", res.status, res.body)
	}

	// The signed root, the snapshot and the status list all show it.
	after := call(t, "GET", srv.URL+"/revocation/root", "", "")
	claims, err := status.VerifySignedRoot(t.Context(), resolver, string(after.body), status.VerifyRootOptions{Issuer: a.did})
	if err != nil || claims.Sequence != 1 || claims.Count != 1 || bytes.Equal(before.body, after.body) {
		t.Errorf("root after revocation: %+v %v", claims, err)
	}
	snapRes := call(t, "GET", srv.URL+"/revocation/snapshot", "", "")
	snap, err := status.ParseSnapshot(snapRes.body)
	if err != nil || len(snap.IDs) != 1 || snap.IDs[0] != st.RevocationID || snap.Root != claims.Root {
		t.Errorf("snapshot %+v %v", snap, err)
	}
	if _, err := status.CheckStatus(t.Context(), checkCfg, *entry); !errors.Is(err, status.ErrRevoked) {
		t.Errorf("status list after revocation: %v", err)
	}

	// A restart keeps the DID document and the revocation.
	srv.Close()
	a.Close()
	a2, srv2 := startAgency(t, data)
	if !a2.reg.IsRevoked(st.RevocationID) {
		t.Error("revocation lost across restart")
	}
	if a2.doc.VerificationMethod[1].PublicKeyMultibase != a.doc.VerificationMethod[1].PublicKeyMultibase {
		t.Error("ZK key changed across restart")
	}
	_ = srv2
}

func jsonUint(n uint64) string { b, _ := json.Marshal(n); return string(b) }

// FuzzHandler posts (and gets) arbitrary bodies to arbitrary paths: bad
// input is a 4xx with a JSON error, never a panic, a 5xx, a redirect or
// ServeMux's plain text.
func FuzzHandler(f *testing.F) {
	data := f.TempDir()
	o, err := parseFlags([]string{"-data", data, "-slots", "8", "-revocation-depth", "6"}, io.Discard)
	if err != nil {
		f.Fatal(err)
	}
	a, err := openAgency(o, "agency.example", "https://agency.example", slog.New(slog.DiscardHandler))
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { a.Close() })
	h := a.handler()
	commit := "0f" + strings.Repeat("00", 31)
	f.Add("/credentials", `{"holderCommitment":"`+commit+`","attributes":`+attrs+`}`)
	f.Add("/credentials", `{"holderCommitment":"`+commit+`","attributes":{"birthDate":"1799-12-31"}}`)
	f.Add("/credentials", `{"holderCommitment":"`+commit+`","attributes":{"district":7}}`)
	f.Add("/revoke", `{"revocationId":18446744073709551615}`)
	f.Add("/revoke", `{"revocationId":-1}`)
	f.Add("/revoke", `{"credentialId":"urn:uuid:x"}`)
	f.Add("/nope", ``)
	f.Add("//revoke", `{}`)
	f.Fuzz(func(t *testing.T, path, body string) {
		// Any path: an error is JSON, whichever answers it.
		for _, method := range []string{"POST", "GET"} {
			r := httptest.NewRequest(method, "/", strings.NewReader(body))
			r.URL.Path = path
			r.Header.Set("Content-Type", "application/json")
			r.Header.Set("Authorization", "Bearer "+string(a.adminToken))
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code >= 500 {
				t.Errorf("%s %s %q: %d %s", method, path, body, w.Code, w.Body)
			}
			if ct := w.Header().Get("Content-Type"); w.Code >= 300 && ct != "application/json" {
				t.Errorf("%s %s %q: %d with content type %q", method, path, body, w.Code, ct)
			}
		}
	})
}
