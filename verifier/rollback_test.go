package verifier

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/zkcred/zkcred/verifier/protocol"
)

// Revocation rollback: after a verifier accepted the issuer's root with
// sequence 1 (which revokes bob), an instance that sees the older root with
// sequence 0 (bob unrevoked, still younger than maxRootAge: a replayed or
// rolled-back root) must refuse it, whether it is the same instance after
// a restart or another instance sharing the store. Before the floor moved
// into the Store, a fresh instance accepted bob.

type rollbackWorldT struct {
	once     sync.Once
	issuer   *testIssuer
	oldRoot  string // sequence 0, bob not revoked
	aliceSub []byte // answers request 0, proven against sequence 1
	bobSub   []byte // answers request 1, proven against sequence 0
	reqIDs   [2]string
}

var rollbackWorld rollbackWorldT

var rollbackClock = testEpoch.Add(2 * time.Minute)

// rollbackRequests creates requests 0 and 1 (identical for every store:
// deterministic nonces and clock).
func rollbackRequests(t *testing.T, e *env, v *Verifier) [2]*protocol.Request {
	var reqs [2]*protocol.Request
	for i := range reqs {
		r, err := v.NewRequest(t.Context(), votePolicy(e.issuers[0].did))
		if err != nil {
			t.Fatal(err)
		}
		reqs[i] = r
	}
	return reqs
}

func rollbackFixture(t *testing.T) *rollbackWorldT {
	w := &rollbackWorld
	w.once.Do(func() {
		w.issuer = newTestIssuer(t, "agency.example")
		e := newEnv(t, newBolt(t), w.issuer)
		e.clock.Set(rollbackClock)
		reqs := rollbackRequests(t, e, e.newVerifier(t, newBolt(t), &detRand{}))
		alice, bob := w.issuer.issue(t, aliceData), w.issuer.issue(t, aliceData)
		w.oldRoot = w.issuer.signedRoot(t)
		w.bobSub = bob.prove(t, reqs[1])
		w.issuer.revoke(t, bob.cred.RevocationID, testEpoch.Add(time.Minute))
		w.aliceSub = alice.prove(t, reqs[0])
		w.reqIDs = [2]string{reqs[0].ID, reqs[1].ID}
	})
	if w.bobSub == nil || w.aliceSub == nil {
		t.Fatal("rollback fixture failed in an earlier test")
	}
	return w
}

// rollback: instance A (current roots) accepts alice against sequence 1 on
// store a; then instance B, on store b (the same state: reopened file,
// another pool) and fed the old root, must refuse bob with ErrStaleRoot.
func rollback(t *testing.T, a Store, b func() Store) {
	w := rollbackFixture(t)
	e := newEnv(t, a, w.issuer)
	e.clock.Set(rollbackClock)
	va := e.newVerifier(t, a, &detRand{})
	reqs := rollbackRequests(t, e, va)
	if reqs[0].ID != w.reqIDs[0] || reqs[1].ID != w.reqIDs[1] {
		t.Fatal("requests differ from the fixture's")
	}
	if _, err := va.VerifyID(t.Context(), reqs[0].ID, w.aliceSub); err != nil {
		t.Fatalf("alice against the current root: %v", err)
	}
	old := RootSourceFunc(func(context.Context, string) (string, error) { return w.oldRoot, nil })
	vb := e.newVerifierWith(t, b(), nil, old, nil)
	if _, err := vb.VerifyID(t.Context(), reqs[1].ID, w.bobSub); !errors.Is(err, ErrStaleRoot) {
		t.Fatalf("revoked bob against the rolled-back root: %v, want ErrStaleRoot", err)
	}
}

func TestRollbackBoltRestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "v.db")
	a, err := OpenBolt(path)
	if err != nil {
		t.Fatal(err)
	}
	rollback(t, a, func() Store {
		a.Close() // the instance restarts
		b, err := OpenBolt(path)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { b.Close() })
		return b
	})
}

func TestRollbackBoltSecondInstance(t *testing.T) {
	s := newBolt(t)
	rollback(t, s, func() Store { return s })
}

func TestRollbackPostgres(t *testing.T) {
	open := pgSchemaForTest(t)
	rollback(t, open(), func() Store { return open() })
}

// TestRollbackControl: on a store that never saw sequence 1, the old root
// is young enough and bob is accepted: what the floor prevents above.
func TestRollbackControl(t *testing.T) {
	w := rollbackFixture(t)
	s := newBolt(t)
	e := newEnv(t, s, w.issuer)
	e.clock.Set(rollbackClock)
	reqs := rollbackRequests(t, e, e.newVerifier(t, s, &detRand{}))
	old := RootSourceFunc(func(context.Context, string) (string, error) { return w.oldRoot, nil })
	if _, err := e.newVerifierWith(t, s, nil, old, nil).VerifyID(t.Context(), reqs[1].ID, w.bobSub); err != nil {
		t.Fatalf("control: %v", err)
	}
}
