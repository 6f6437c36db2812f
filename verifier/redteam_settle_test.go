package verifier

import (
	"context"
	"crypto/rand"
	"errors"
	"testing"
	"time"

	"github.com/zkcred/zkcred/credential"
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

// TestSettleAttackSignedRootSkipsKeysLog (red-team): a verifier taking
// both signed roots (Config.Roots) and checkpoints (Config.Log), as the
// documentation suggests while holders move to checkpoints, checked the
// ZK key against the issuer's keys log only for checkpoints: an agency
// giving one holder a ZK key of its own (in the document it serves, not in
// its keys log) had that holder answer with a signed root and was not
// caught. The ZK key is checked for a signed root too.
func TestSettleAttackSignedRootSkipsKeysLog(t *testing.T) {
	ctx := t.Context()
	e := newLogEnv(t, 1)
	e.clock.Add(time.Minute)
	e.revoke(t, 11)
	logged := *e.issuer.doc
	e.addKeysLog(t, &logged)
	v := e.verifier(t, newBolt(t), 1)
	v.cfg.Roots = RootSourceFunc(func(context.Context, string) (string, error) { return e.issuer.signedRoot(t), nil })
	policy := votePolicy(e.issuer.did)
	policy.Scope = ""
	answer := func(h *testHolder) error {
		r, err := v.NewRequest(ctx, policy)
		if err != nil {
			t.Fatal(err)
		}
		req, err := v.Request(ctx, r.ID)
		if err != nil {
			t.Fatal(err)
		}
		_, err = v.VerifyID(ctx, r.ID, h.prove(t, req))
		return err
	}
	if err := answer(e.issuer.issue(t, aliceData)); err != nil {
		t.Fatalf("logged keys, signed root: %v", err)
	}
	holderZK, err := credential.GenerateZKKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	m, err := did.NewMultikeyMethod(e.issuer.did+"#zk-holder", e.issuer.did, holderZK.Public())
	if err != nil {
		t.Fatal(err)
	}
	if err := e.issuer.doc.AddVerificationMethod(m, did.AssertionMethod); err != nil {
		t.Fatal(err)
	}
	if v.cfg.Resolver, err = did.NewStaticResolver(e.issuer.doc); err != nil {
		t.Fatal(err)
	}
	e.issuer.zk, e.issuer.zkKeyID = holderZK, e.issuer.did+"#zk-holder"
	if err := answer(e.issuer.issue(t, aliceData)); !errors.Is(err, ErrUnloggedKey) {
		t.Fatalf("per-holder ZK key, signed root: %v, want ErrUnloggedKey", err)
	}
}
