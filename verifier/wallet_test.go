package verifier

import (
	"crypto/rand"
	"errors"
	"maps"
	"testing"
	"time"

	"github.com/zkcred/zkcred/credential"
	"github.com/zkcred/zkcred/credential/status"
	"github.com/zkcred/zkcred/verifier/protocol"
	"github.com/zkcred/zkcred/zkp"
)

// storedFor issues values as a credential.Stored with the test issuer's keys.
func (i *testIssuer) storedFor(t testing.TB, secret *credential.HolderSecret, values map[string]any) *credential.Stored {
	t.Helper()
	is := &credential.Issuer{DID: i.did, JOSEKey: i.jose, JOSEKeyID: i.joseKeyID, ZKKey: i.zk, ZKKeyID: i.zkKeyID,
		Clock: func() time.Time { return testEpoch }}
	i.mu.Lock()
	i.nextRev++
	rev := i.nextRev
	i.mu.Unlock()
	s, err := is.Issue(credential.IssueRequest{Schema: testSchema(), Values: values, HolderCommitment: secret.Commitment(),
		ValidUntil: testEpoch.AddDate(5, 0, 0), RevocationID: rev})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestHoldingAnswer(t *testing.T) {
	agency := newTestIssuer(t, "agency.example")
	rogue := newTestIssuer(t, "rogue.example")
	e := newEnv(t, newBolt(t), agency)
	secret, err := credential.GenerateHolderSecret(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	holding := func(iss *testIssuer, values map[string]any) *protocol.Holding {
		return &protocol.Holding{Credential: iss.storedFor(t, secret, values), Secret: secret, IssuerKey: iss.zk.Public(), Revocation: iss.tree}
	}
	req, err := e.v.NewRequest(t.Context(), votePolicy(agency.did))
	if err != nil {
		t.Fatal(err)
	}

	// Refusals before any proving work.
	other, _ := credential.GenerateHolderSecret(rand.Reader)
	wrongSecret := holding(agency, aliceData)
	wrongSecret.Secret = other
	revoked := holding(agency, aliceData)
	agency.revoke(t, revoked.Credential.RevocationID, testEpoch)
	elsewhere := maps.Clone(aliceData)
	elsewhere["district"] = "09"
	for name, tc := range map[string]struct {
		h    *protocol.Holding
		want error
	}{
		"untrusted issuer":        {holding(rogue, aliceData), protocol.ErrCannotAnswer},
		"another holder's secret": {wrongSecret, protocol.ErrCannotAnswer},
		"revoked":                 {revoked, status.ErrRevoked},
		"district not in set":     {holding(agency, elsewhere), zkp.ErrUnsatisfied},
		"incomplete":              {&protocol.Holding{Secret: secret}, protocol.ErrCannotAnswer},
	} {
		if _, err := tc.h.Answer(keys(t), req, req.Audience); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", name, err, tc.want)
		}
	}
	// A phishing site relays this verifier's live request as its own: the
	// wallet, which knows it is talking to the phishing site, refuses.
	if _, err := holding(agency, aliceData).Answer(keys(t), req, "https://phish.example"); !errors.Is(err, protocol.ErrCannotAnswer) {
		t.Errorf("relayed request: %v, want ErrCannotAnswer", err)
	}

	// The honest answer is accepted by the verifier.
	sub, err := holding(agency, aliceData).Answer(keys(t), req, req.Audience)
	if err != nil {
		t.Fatal(err)
	}
	res, err := e.v.Verify(t.Context(), req, sub)
	if err != nil {
		t.Fatal(err)
	}
	if res.Issuer != agency.did || res.Disclosed["voterEligible"] != true || res.Nullifier == "" {
		t.Errorf("result %+v", res)
	}
}
