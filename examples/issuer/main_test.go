package main

import (
	"bytes"
	"crypto/rand"
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
	"github.com/zkcred/zkcred/credential/openid4vci"
	"github.com/zkcred/zkcred/credential/status"
	"github.com/zkcred/zkcred/did"
	"github.com/zkcred/zkcred/did/fetch"
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

// TestServer runs OpenID4VCI against the agency with the library's
// wallet: the back office creates an offer (admin token required), the
// wallet redeems it with the PIN (a wrong PIN is invalid_grant) and gets a
// credential with the register's attributes; the back office revokes it.
func TestServer(t *testing.T) {
	data := t.TempDir()
	a, srv := startAgency(t, data)
	secret, err := credential.GenerateHolderSecret(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}

	// The DID document is served in the did:web layout.
	res := call(t, "GET", srv.URL+"/.well-known/did.json", "", "")
	doc, err := did.ParseDocument(res.body)
	if res.status != 200 || err != nil || doc.ID != a.did {
		t.Fatalf("did.json: %d %v %s", res.status, err, res.body)
	}
	resolver, _ := did.NewStaticResolver(doc)
	token, err := os.ReadFile(filepath.Join(data, "admin.token"))
	if err != nil {
		t.Fatal(err)
	}

	// Offers: the admin token is required; the record must exist.
	for _, tok := range []string{"", "wrong-token-wrong-token"} {
		if res := call(t, "POST", srv.URL+"/admin/offers", tok, `{"recordId":"citizen-1"}`); res.status != http.StatusUnauthorized {
			t.Errorf("offer with token %q: %d", tok, res.status)
		}
	}
	if res := call(t, "POST", srv.URL+"/admin/offers", string(token), `{"recordId":"nobody"}`); res.status != http.StatusNotFound {
		t.Errorf("offer for an unknown record: %d %s", res.status, res.body)
	}
	// The pre-OpenID4VCI endpoint is gone: nothing issues what a wallet sends.
	if res := call(t, "POST", srv.URL+"/credentials", "", `{}`); res.status != http.StatusNotFound {
		t.Errorf("POST /credentials: %d %s", res.status, res.body)
	}
	res = call(t, "POST", srv.URL+"/admin/offers", string(token), `{"recordId":"citizen-1"}`)
	var offer offerResponse
	if res.status != http.StatusCreated || unmarshalStrict(res.body, &offer) != nil || offer.TxCode == "" {
		t.Fatalf("offer: %d %s", res.status, res.body)
	}
	if !strings.HasPrefix(offer.URI, "openid-credential-offer://?credential_offer_uri=") ||
		!strings.HasPrefix(offer.ValueURI, "openid-credential-offer://?credential_offer=") {
		t.Errorf("offer URIs %q %q", offer.URI, offer.ValueURI)
	}

	// The wallet side, as examples/holder runs it.
	fc, err := fetch.New(&fetch.Config{InsecureAllowHTTP: true, InsecureAllowPrivateAddresses: true}) // httptest on loopback
	if err != nil {
		t.Fatal(err)
	}
	w, err := openid4vci.NewWallet(openid4vci.WalletConfig{Fetch: fc, Resolver: resolver})
	if err != nil {
		t.Fatal(err)
	}
	o, err := w.Offer(t.Context(), offer.URI)
	if err != nil {
		t.Fatal(err)
	}
	s, err := w.Start(t.Context(), o)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Redeem(t.Context(), s, "x"+offer.TxCode[1:]); !errors.Is(err, openid4vci.ErrInvalidGrant) {
		t.Errorf("wrong PIN: %v", err)
	}
	if err := w.Redeem(t.Context(), s, offer.TxCode); err != nil {
		t.Fatal(err)
	}
	st, err := w.RequestCredential(t.Context(), s, secret)
	if err != nil {
		t.Fatal(err)
	}
	if st.Values["district"] != "07" || st.Values["birthDate"] != "2001-04-02" {
		t.Errorf("issued values %v, want citizen-1's register record", st.Values)
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

	// Revocation needs the admin token and an offer that issued.
	revoke := `{"offerId":"` + offer.OfferID + `"}`
	for _, tok := range []string{"", "wrong-token-wrong-token"} {
		if res := call(t, "POST", srv.URL+"/revoke", tok, revoke); res.status != http.StatusUnauthorized {
			t.Errorf("revoke with token %q: %d", tok, res.status)
		}
	}
	if res := call(t, "POST", srv.URL+"/revoke", string(token), `{"offerId":"nope"}`); res.status != http.StatusNotFound {
		t.Errorf("unknown offer: %d %s", res.status, res.body)
	}
	if res := call(t, "POST", srv.URL+"/revoke", string(token), `{}`); res.status != http.StatusBadRequest {
		t.Errorf("no offer id: %d %s", res.status, res.body)
	}
	before := call(t, "GET", srv.URL+"/revocation/root", "", "")
	for range 2 { // idempotent
		if res := call(t, "POST", srv.URL+"/revoke", string(token), revoke); res.status != 200 || !bytes.Contains(res.body, []byte(vc.ID)) {
			t.Fatalf("revoke: %d %s", res.status, res.body)
		}
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

	// A restart keeps the DID document, the revocation and the offer
	// state (the redeemed code stays used).
	srv.Close()
	a.Close()
	a2, srv2 := startAgency(t, data)
	if !a2.reg.IsRevoked(st.RevocationID) {
		t.Error("revocation lost across restart")
	}
	if a2.doc.VerificationMethod[1].PublicKeyMultibase != a.doc.VerificationMethod[1].PublicKeyMultibase {
		t.Error("ZK key changed across restart")
	}
	if _, err := a2.oi.Issued(offer.OfferID); err != nil {
		t.Errorf("issuance record lost across restart: %v", err)
	}
	_ = srv2
}

// TestRegisterFile: -register replaces the sample register, and a record
// the register rules refuse (an unknown district) gets no offer.
func TestRegisterFile(t *testing.T) {
	data := t.TempDir()
	reg := filepath.Join(t.TempDir(), "register.json")
	if err := os.WriteFile(reg, []byte(`{"version":"zkcred-register-v1","records":[
		{"id":"p-1","values":{"birthDate":"1980-01-01","district":"99","nationality":"DE","vehicleCategory":"B","vehicleRegistered":true,"voterEligible":true,"residentSince":"2000-01-01"}}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	o, err := parseFlags([]string{"-data", data, "-register", reg, "-slots", "8", "-revocation-depth", "6"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	a, err := openAgency(o, "agency.example", "https://agency.example", slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	h := a.handler()
	for body, want := range map[string]int{`{"recordId":"p-1"}`: http.StatusUnprocessableEntity, `{"recordId":"citizen-1"}`: http.StatusNotFound} {
		r := httptest.NewRequest("POST", "/admin/offers", strings.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		r.Header.Set("Authorization", "Bearer "+string(a.adminToken))
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		if rec.Code != want {
			t.Errorf("%s: %d %s, want %d", body, rec.Code, rec.Body, want)
		}
	}
	if _, err := os.Stat(filepath.Join(data, "register.json")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the sample register was written although -register was given: %v", err)
	}
}

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
	f.Add("/admin/offers", `{"recordId":"citizen-1"}`)
	f.Add("/admin/offers", `{"recordId":"nobody"}`)
	f.Add("/revoke", `{"offerId":"x"}`)
	f.Add("/token", `grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Apre-authorized_code&pre-authorized_code=x&tx_code=1`)
	f.Add("/credential", `{"credential_configuration_id":"zkcred_person","proofs":{"jwt":["a.b.c"]}}`)
	f.Add("/nonce", ``)
	f.Add("/offers/x", ``)
	f.Add("/nope", ``)
	f.Add("//revoke", `{}`)
	f.Add("/log/nope", ``)
	f.Add("/log/revocation/tile/9/000", ``)
	f.Add("/log/revocation/tile/..%2f..%2fkeys.last", ``)
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
