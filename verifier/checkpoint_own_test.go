package verifier

import (
	"crypto/rand"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/zkcred/zkcred/credential"
	"github.com/zkcred/zkcred/did"
)

// TestCheckpointAttackUnloggedKeysOwnFormat is TestCheckpointAttackUnloggedKeys
// through zkcred's own request format (Verify, no Config.Roots: the
// verifier fetches the issuer's latest witnessed checkpoint). A proof that
// does not verify makes the verifier fetch no tile and leaves the stored
// checkpoint as it was (consistency and the keys log come after the
// proof, as on the OpenID4VP path); the logged keys pass; a per-holder ZK
// key or a checkpoint-signing key missing from the latest keys-log entry
// is refused and nothing is recorded; with KeysLogRequired an issuer
// naming no keys log is refused.
func TestCheckpointAttackUnloggedKeysOwnFormat(t *testing.T) {
	ctx := t.Context()
	e := newLogEnv(t, 1)
	e.clock.Add(time.Minute)
	e.revoke(t, 11)
	logged := *e.issuer.doc // before the keys log's own service
	e.addKeysLog(t, &logged)
	tiles := &countingTiles{g: e.fetch}
	store := newBolt(t)
	v := e.verifier(t, store, 1)
	v.cfg.Log.Tiles = tiles
	policy := votePolicy(e.issuer.did)
	policy.Scope = "" // one holder answers several requests
	newReq := func(v *Verifier) string {
		r, err := v.NewRequest(ctx, policy)
		if err != nil {
			t.Fatal(err)
		}
		return r.ID
	}
	mustReq := func(v *Verifier, id string) *StoredRequest {
		s, err := v.cfg.Store.GetRequest(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	prove := func(v *Verifier, h *testHolder, id string) []byte {
		r, err := v.Request(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		return h.prove(t, r)
	}
	alice := e.issuer.issue(t, aliceData)

	// A proof for another request: refused before any fetch of tiles or
	// of the keys log, and the store keeps no checkpoint.
	id1, id2 := newReq(v), newReq(v)
	sub1 := prove(v, alice, id1)
	if _, err := v.VerifyID(ctx, id2, sub1); !errors.Is(err, ErrInvalidProof) {
		t.Fatalf("proof for another request: %v, want ErrInvalidProof", err)
	}
	if n := tiles.tiles.Load(); n != 0 {
		t.Fatalf("%d tiles fetched for a proof that does not verify", n)
	}
	for _, k := range []string{e.issuer.did, e.issuer.did + keysLogStoreSuffix} {
		if cp, err := store.LatestCheckpoint(ctx, k); err != nil || cp != nil {
			t.Fatalf("store advanced (%s) before the proof verified: %v", k, err)
		}
	}

	// The logged keys: accepted, the keys log read, the store advanced.
	if _, err := v.VerifyID(ctx, id1, sub1); err != nil {
		t.Fatalf("logged keys: %v", err)
	}
	if tiles.tiles.Load() == 0 {
		t.Fatal("the keys log's entries were not read")
	}
	if cp, err := store.LatestCheckpoint(ctx, e.issuer.did); err != nil || cp == nil {
		t.Fatalf("stored checkpoint: %v", err)
	}

	// A per-holder ZK key: in the document the agency serves, not in the
	// keys log.
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
	zk, zkID := e.issuer.zk, e.issuer.zkKeyID
	e.issuer.zk, e.issuer.zkKeyID = holderZK, e.issuer.did+"#zk-holder"
	mallory := e.issuer.issue(t, aliceData)
	id3 := newReq(v)
	sub3 := prove(v, mallory, id3)
	e.issuer.zk, e.issuer.zkKeyID = zk, zkID
	if _, err := v.VerifyID(ctx, id3, sub3); !errors.Is(err, ErrUnloggedKey) || !errors.Is(err, ErrUntrustedIssuer) {
		t.Fatalf("per-holder ZK key: %v, want ErrUnloggedKey", err)
	}
	if !mustReq(v, id3).AnsweredAt.IsZero() {
		t.Fatal("a presentation with an unlogged key was recorded")
	}

	// A checkpoint-signing key missing from the latest logged version.
	e2 := newLogEnv(t, 1)
	e2.clock.Add(time.Minute)
	e2.revoke(t, 12)
	noJose := &did.Document{ID: e2.issuer.did}
	zm, _ := did.NewMultikeyMethod(e2.issuer.zkKeyID, e2.issuer.did, e2.issuer.zk.Public())
	if err := noJose.AddVerificationMethod(zm, did.AssertionMethod); err != nil {
		t.Fatal(err)
	}
	e2.addKeysLog(t, e2.issuer.doc, noJose)
	v2 := e2.verifier(t, newBolt(t), 1)
	policy.Issuers = []string{e2.issuer.did}
	id4 := newReq(v2)
	_, err = v2.VerifyID(ctx, id4, prove(v2, e2.issuer.issue(t, aliceData), id4))
	if !errors.Is(err, ErrUnloggedKey) || !strings.Contains(err.Error(), "revocation checkpoints") {
		t.Fatalf("unlogged checkpoint key: %v", err)
	}
	if !mustReq(v2, id4).AnsweredAt.IsZero() {
		t.Fatal("a presentation under an unlogged checkpoint key was recorded")
	}

	// No keys log named: refused when required.
	e3 := newLogEnv(t, 1)
	e3.clock.Add(time.Minute)
	e3.revoke(t, 13)
	v3 := e3.verifier(t, newBolt(t), 1)
	v3.cfg.Log.KeysLog = KeysLogRequired
	policy.Issuers = []string{e3.issuer.did}
	id5 := newReq(v3)
	if _, err := v3.VerifyID(ctx, id5, prove(v3, e3.issuer.issue(t, aliceData), id5)); !errors.Is(err, ErrUnloggedKey) {
		t.Fatalf("no keys log, required: %v", err)
	}
}
