package verifier

import (
	"bytes"
	"crypto/rand"
	"errors"
	"net/http"
	"testing"

	"github.com/zkcred/zkcred/credential"
	"github.com/zkcred/zkcred/did"
	"github.com/zkcred/zkcred/verifier/protocol"
)

// TestIssuerKeyPinning: an issuer that signs some holders with a key of
// their own (here #zk-2, also in its assertionMethod) can tell them apart
// at a colluding verifier; a verifier that pins #zk-1 refuses #zk-2.
func TestIssuerKeyPinning(t *testing.T) {
	agency := newTestIssuer(t, "agency.example")
	zk2, err := credential.GenerateZKKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	m, err := did.NewMultikeyMethod(agency.did+"#zk-2", agency.did, zk2.Public())
	if err != nil {
		t.Fatal(err)
	}
	if err := agency.doc.AddVerificationMethod(m, did.AssertionMethod); err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, newBolt(t), agency)
	pins := map[string][]string{agency.did: {agency.zkKeyID}}
	v := e.newVerifierWith(t, e.v.cfg.Store, nil, e.v.cfg.Roots, pins)
	h := v.Handler()

	// A submission naming #zk-2 is refused before its proof is looked at.
	sub := bytes.Replace(realSubmission(t), []byte(`#zk-1"`), []byte(`#zk-2"`), 1)
	req, err := v.NewRequest(t.Context(), votePolicy(agency.did))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v.Verify(t.Context(), req, sub); !errors.Is(err, ErrUntrustedIssuer) || !errors.Is(err, ErrUnpinnedKey) {
		t.Fatalf("unpinned key: %v, want ErrUntrustedIssuer and ErrUnpinnedKey", err)
	}
	wantError(t, present(h, req.ID, sub), http.StatusForbidden, CodeUntrustedIssuer)
	// The unpinned verifier takes #zk-2 past the issuer check (the proof,
	// made for another statement, then fails): what pinning prevents.
	if _, err := e.v.Verify(t.Context(), mustRequest(t, e.v, agency), sub); !errors.Is(err, ErrInvalidProof) {
		t.Fatalf("unpinned verifier: %v, want ErrInvalidProof", err)
	}
	// The pinned key is accepted, end to end.
	alice := agency.issue(t, aliceData)
	req = mustRequest(t, v, agency)
	if _, err := v.Verify(t.Context(), req, alice.prove(t, req)); err != nil {
		t.Fatalf("pinned key: %v", err)
	}
}

func mustRequest(t *testing.T, v *Verifier, iss *testIssuer) *protocol.Request {
	t.Helper()
	req, err := v.NewRequest(t.Context(), votePolicy(iss.did))
	if err != nil {
		t.Fatal(err)
	}
	return req
}

func TestIssuerKeysConfig(t *testing.T) {
	e := newEnv(t, newBolt(t), newTestIssuer(t, "agency.example"))
	for name, pins := range map[string]map[string][]string{
		"no keys":          {"did:web:agency.example": nil},
		"not a DID":        {"agency.example": {"did:web:agency.example#zk-1"}},
		"another issuer's": {"did:web:agency.example": {"did:web:rogue.example#zk-1"}},
		"no fragment":      {"did:web:agency.example": {"did:web:agency.example"}},
		"not a DID URL":    {"did:web:agency.example": {"#zk-1"}},
	} {
		cfg := e.v.cfg
		cfg.IssuerKeys = pins
		if _, err := New(cfg); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
