package main

import (
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
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/zkcred/zkcred/credential"
	"github.com/zkcred/zkcred/did"
	"github.com/zkcred/zkcred/verifier"
	"github.com/zkcred/zkcred/verifier/protocol"
	"github.com/zkcred/zkcred/verifier/protocol/dcql"
	"github.com/zkcred/zkcred/verifier/protocol/openid4vp"
)

// oidVerifier starts an in-process OpenID4VP verifier (verifier.Verifier's
// Handler over loopback TLS, its did:web document served over plain HTTP
// on loopback, as -insecure-local resolves it) that trusts issuerDID and
// never contacts the agency: the wallet carries the signed root.
func oidVerifier(t *testing.T, issuerDID string) *verifier.Verifier {
	t.Helper()
	keys, err := testKeys()
	if err != nil {
		t.Fatal(err)
	}
	schema, err := testSchema()
	if err != nil {
		t.Fatal(err)
	}
	var doc []byte
	didSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/.well-known/did.json" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/did+json")
		w.Write(doc)
	}))
	t.Cleanup(didSrv.Close)
	vDID, err := did.WebDID(didSrv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	d := &did.Document{ID: vDID}
	m, err := did.NewMultikeyMethod(vDID+"#key-1", vDID, pub)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.AddVerificationMethod(m, did.Authentication); err != nil {
		t.Fatal(err)
	}
	if doc, err = json.Marshal(d); err != nil {
		t.Fatal(err)
	}
	var h http.Handler
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.ServeHTTP(w, r) }))
	srv.StartTLS()
	t.Cleanup(srv.Close)
	pool := x509.NewCertPool()
	pool.AddCert(srv.Certificate())
	testTLSConfig = &tls.Config{RootCAs: pool}
	t.Cleanup(func() { testTLSConfig = nil })

	store, err := verifier.OpenBolt(filepath.Join(t.TempDir(), "oid.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	res, err := did.NewInsecureLocalResolver()
	if err != nil {
		t.Fatal(err)
	}
	encKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	offline := verifier.RootSourceFunc(func(context.Context, string) (string, error) {
		return "", errors.New("agency offline")
	})
	cfg := verifier.Config{Store: store, Audience: srv.URL, Resolver: res, Roots: offline,
		Key: keys.VerifyingKey, Schemas: []*credential.Schema{schema}, TrustedIssuers: []string{issuerDID},
		ClientDID: vDID, SigningKey: priv, SigningKeyID: vDID + "#key-1",
		EncryptionKey: encKey, EncryptionKeyID: "enc-1", BaseURL: srv.URL}
	if oidConfig != nil { // sync_test.go
		oidConfig(&cfg)
	}
	v, err := verifier.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	h = v.Handler()
	return v
}

// oidVote asks for an adult of district 07 or 08 who discloses
// voterEligible, once per person in scope, with a ballot choice.
func oidVote(t *testing.T, v *verifier.Verifier, issuerDID, scope, choice string) string {
	t.Helper()
	schema, err := testSchema()
	if err != nil {
		t.Fatal(err)
	}
	q, err := dcql.Parse(fmt.Appendf(nil, `{"credentials":[{"id":"pid","format":"zkcred_zkp",
		"meta":{"zkcred_profile":"zkcred-dcql-predicates-v1",
			"zkcred_schema":{"name":%q,"version":1,"id":%q},
			"zkcred_max_root_age":3600,"zkcred_nullifier_scope":%q},
		"trusted_authorities":[{"type":"zkcred_did","values":[%q]}],
		"claims":[
			{"path":["credentialSubject","birthDate"],"zkcred_predicate":{"op":"ageAtLeast","years":18}},
			{"path":["credentialSubject","district"],"values":["07","08"]},
			{"path":["credentialSubject","voterEligible"]}]}]}`,
		credential.PersonSchemaName, protocol.FieldHex(schema.ID()), scope, issuerDID))
	if err != nil {
		t.Fatal(err)
	}
	ar, err := v.NewAuthorizationRequest(t.Context(), verifier.AuthorizationRequestOptions{DCQL: q,
		TransactionData: []*openid4vp.TransactionData{{Type: openid4vp.TypeBallot, CredentialIDs: []string{"pid"}, BallotID: scope, Choice: choice}}})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(ar.URI, "openid4vp://") {
		t.Fatalf("authorization request URI %q", ar.URI)
	}
	return ar.URI
}

// testSchema is the person schema at the test circuit's slot count, as
// the issuer and examples/verifier use it.
func testSchema() (*credential.Schema, error) {
	return credential.PersonSchema().WithSlots(testShape.Slots)
}

// presentOID runs holder present for an OpenID4VP link with answer typed
// on the terminal.
func presentOID(t *testing.T, wallet, uri, answer string, args ...string) (string, error) {
	t.Helper()
	old := stdin
	stdin = strings.NewReader(answer)
	defer func() { stdin = old }()
	return holder(t, append([]string{"present", "-wallet", wallet, "-keys", keysDir, "-insecure-local", "-request", uri}, args...)...)
}

// testOpenID4VP: the wallet answers an OpenID4VP request (signed Request
// Object, DCQL with predicates, a ballot) after showing what it proves
// and asking consent; a refusal sends nothing (not even an error
// response); replay and a second vote
// are refused; without -insecure-local the loopback request is not
// fetched.
func testOpenID4VP(t *testing.T, wallet, issuerDID string) {
	v := oidVerifier(t, issuerDID)
	uri := oidVote(t, v, issuerDID, "ballot-oid", "yes")

	out, err := presentOID(t, wallet, uri, "n\n")
	if err == nil || !errors.Is(err, openid4vp.ErrConsentDenied) {
		t.Fatalf("declined consent: %v\n%s", err, out)
	}
	for _, want := range []string{"asks you to prove", "you are at least 18 years old (by your birthDate)", "voterEligible",
		`You vote "yes" in ballot "ballot-oid"`, "one answer per person", "The answer goes to https://127.0.0.1:", "Send this proof? [y/N]", "nothing was proven or sent"} {
		if !strings.Contains(out, want) {
			t.Errorf("consent screen lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "2001-04-02") {
		t.Errorf("the consent screen shows the birth date:\n%s", out)
	}

	// Nothing was sent: the same request is still open. Consent: accepted.
	out, err = presentOID(t, wallet, uri, "y\n")
	if err != nil || !strings.Contains(out, "presentation accepted") || !strings.Contains(out, `"voterEligible": true`) {
		t.Fatalf("present over OpenID4VP: %v\n%s", err, out)
	}
	if strings.Contains(out, "2001-04-02") {
		t.Errorf("the result shows the birth date:\n%s", out)
	}
	// Replay of the answered request; a second vote in the same ballot.
	if out, err := presentOID(t, wallet, uri, "", "-yes"); err == nil {
		t.Errorf("answered request answered again:\n%s", out)
	}
	if out, err := presentOID(t, wallet, oidVote(t, v, issuerDID, "ballot-oid", "no"), "", "-yes"); err == nil ||
		!errors.Is(err, openid4vp.ErrRefused) || !strings.Contains(err.Error(), "nullifier") {
		t.Errorf("second vote: %v\n%s", err, out)
	}
	// Without -insecure-local the wallet does not fetch from loopback.
	if out, err := holder(t, "present", "-wallet", wallet, "-keys", keysDir, "-yes", "-request", oidVote(t, v, issuerDID, "ballot-oid-2", "yes")); err == nil {
		t.Errorf("fetched a loopback request without -insecure-local:\n%s", out)
	}
}
