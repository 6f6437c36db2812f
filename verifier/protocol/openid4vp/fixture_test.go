package openid4vp

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"encoding/base64"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/zkcred/zkcred/did"
	"github.com/zkcred/zkcred/verifier/protocol"
	"github.com/zkcred/zkcred/verifier/protocol/dcql"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// Fixed test material: a did:web verifier whose signing key (#key-1, in
// authentication) and whose other key (#assert-1, assertionMethod only)
// come from fixed seeds, a fixed P-256 encryption key and a fixed clock.
const (
	clientDID   = "did:web:verifier.example"
	clientID    = PrefixDecentralizedIdentifier + clientDID
	kid         = clientDID + "#key-1"
	responseURI = "https://verifier.example/openid4vp/response"
	requestURI  = "https://verifier.example/openid4vp/request/abc"
	encKid      = "enc-1"
	// dcqlJSON is verifier/protocol/dcql's testdata/queries/ballot.json
	// with the credential query id "pid".
	dcqlJSON = `{"credentials":[{"id":"pid","format":"zkcred_zkp","meta":{"zkcred_profile":"zkcred-dcql-predicates-v1","zkcred_schema":{"name":"zkcred/person","version":1,"id":"0c4f1d5e7a9b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5"},"zkcred_max_root_age":86400,"zkcred_nullifier_scope":"election-2027-referendum-1"},"trusted_authorities":[{"type":"zkcred_did","values":["did:web:agency.example"]}],"require_cryptographic_holder_binding":true,"claims":[{"path":["credentialSubject","birthDate"],"zkcred_predicate":{"op":"ageAtLeast","years":18}},{"path":["credentialSubject","nationality"],"values":["FR"]}]}]}`
)

var (
	testNow     = time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	signKey     = ed25519.NewKeyFromSeed(bytes.Repeat([]byte{7}, 32))
	assertKey   = ed25519.NewKeyFromSeed(bytes.Repeat([]byte{8}, 32))
	attackerKey = ed25519.NewKeyFromSeed(bytes.Repeat([]byte{9}, 32))
	testNonce   = bytes.Repeat([]byte{0x42}, protocol.NonceSize)
)

func encKey(t testing.TB) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.ParseRawPrivateKey(elliptic.P256(), bytes.Repeat([]byte{3}, 32))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func resolver(t testing.TB) did.Resolver {
	t.Helper()
	doc := &did.Document{ID: clientDID}
	for _, m := range []struct {
		id  string
		pub any
		rel did.Relationship
	}{{kid, signKey.Public(), did.Authentication}, {clientDID + "#assert-1", assertKey.Public(), did.AssertionMethod}} {
		vm, err := did.NewMultikeyMethod(m.id, clientDID, m.pub)
		if err != nil {
			t.Fatal(err)
		}
		if err := doc.AddVerificationMethod(vm, m.rel); err != nil {
			t.Fatal(err)
		}
	}
	r, err := did.NewStaticResolver(doc)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func ballot(t testing.TB, choice string) string {
	t.Helper()
	s, err := (&TransactionData{Type: TypeBallot, CredentialIDs: []string{"pid"}, BallotID: "referendum-2026-12", Choice: choice}).Encode()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func consent(t testing.TB, text string) string {
	t.Helper()
	s, err := (&TransactionData{Type: TypeConsent, CredentialIDs: []string{"pid"}, Text: text}).Encode()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// testRequestObject returns the fixed request: direct_post.jwt to the
// fixed encryption key, a ballot and a consent text.
func testRequestObject(t testing.TB) *RequestObject {
	t.Helper()
	jwk, err := EncryptionJWK(&encKey(t).PublicKey, encKid)
	if err != nil {
		t.Fatal(err)
	}
	return &RequestObject{
		Audience:     StaticAudience,
		ClientID:     clientID,
		ResponseType: ResponseTypeVPToken,
		ResponseMode: ResponseModeDirectPostJWT,
		ResponseURI:  responseURI,
		Nonce:        base64.RawURLEncoding.EncodeToString(testNonce),
		State:        "state-1",
		DCQLQuery:    testQuery(t),
		ClientMetadata: &ClientMetadata{
			JWKS:                                &JWKS{Keys: []did.JWK{jwk}},
			EncryptedResponseEncValuesSupported: []string{EncA128GCM},
			VPFormatsSupported:                  map[string]json.RawMessage{"zkcred_vc": json.RawMessage(`{}`)},
		},
		TransactionData: []string{ballot(t, "yes"), consent(t, "I consent to proving that I am of voting age.")},
		IssuedAt:        testNow.Unix(),
		ExpiresAt:       testNow.Add(10 * time.Minute).Unix(),
	}
}

func testQuery(t testing.TB) *dcql.Query {
	t.Helper()
	q, err := dcql.Parse([]byte(dcqlJSON))
	if err != nil {
		t.Fatal(err)
	}
	return q
}

// testZKRequest is the zkcred request for the policy ro's DCQL query
// compiles to (credential query "pid", its only alternative).
func testZKRequest(t testing.TB, ro *RequestObject) *protocol.Request {
	t.Helper()
	nonce, err := base64.RawURLEncoding.DecodeString(ro.Nonce)
	if err != nil {
		t.Fatal(err)
	}
	c, err := ro.DCQLQuery.Compile(ro.Nonce)
	if err != nil {
		t.Fatal(err)
	}
	return &protocol.Request{
		Version:   protocol.RequestVersion,
		ID:        ro.Nonce,
		Nonce:     nonce,
		Audience:  ro.ClientID,
		Policy:    c.Credentials[0].Alternatives[0],
		Date:      testNow.Format(time.DateOnly),
		IssuedAt:  ro.IssuedAt,
		ExpiresAt: ro.ExpiresAt,
	}
}

func testOpts() *VerifyOptions { return &VerifyOptions{Now: func() time.Time { return testNow }} }

func testAR() *AuthorizationRequest {
	return &AuthorizationRequest{ClientID: clientID, RequestURI: requestURI, RequestURIMethod: RequestURIMethodGet}
}

// golden compares got with testdata/name, rewriting it under -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from golden:\ngot  %s\nwant %s", name, got, want)
	}
}
