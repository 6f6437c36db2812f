package verifier

import (
	"errors"
	"testing"
	"time"

	"github.com/zkcred/zkcred/did"
)

// TestSettleAttackUnloggedKeyAdvancesStore (red-team): a revocation
// checkpoint signed by a key missing from the issuer's latest keys-log
// entry (a key the agency shows only to some holders) was refused only
// after settle had checked its consistency and advanced the verifier's
// stored checkpoint to it: a refused presentation changed what the
// verifier later compares every holder against. The keys log is checked
// first; the store keeps no checkpoint of a refused presentation.
func TestSettleAttackUnloggedKeyAdvancesStore(t *testing.T) {
	ctx := t.Context()
	e := newLogEnv(t, 1)
	e.clock.Add(time.Minute)
	e.revoke(t, 12)
	noJose := &did.Document{ID: e.issuer.did}
	zm, _ := did.NewMultikeyMethod(e.issuer.zkKeyID, e.issuer.did, e.issuer.zk.Public())
	if err := noJose.AddVerificationMethod(zm, did.AssertionMethod); err != nil {
		t.Fatal(err)
	}
	e.addKeysLog(t, e.issuer.doc, noJose)
	store := newBolt(t)
	v := e.verifier(t, store, 1)
	policy := votePolicy(e.issuer.did)
	r, err := v.NewRequest(ctx, policy)
	if err != nil {
		t.Fatal(err)
	}
	req, err := v.Request(ctx, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	_, err = v.VerifyID(ctx, r.ID, e.issuer.issue(t, aliceData).prove(t, req))
	if !errors.Is(err, ErrUnloggedKey) {
		t.Fatalf("unlogged checkpoint key: %v, want ErrUnloggedKey", err)
	}
	if cp, err := store.LatestCheckpoint(ctx, e.issuer.did); err != nil || cp != nil {
		t.Fatalf("a refused presentation's checkpoint was stored (%v)", err)
	}
}
