package verifier

import (
	"context"
	"crypto/sha256"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/zkcred/zkcred/credential"
	"github.com/zkcred/zkcred/credential/status"
	"github.com/zkcred/zkcred/did"
	"github.com/zkcred/zkcred/verifier/protocol"
)

// countingResolver counts resolutions: a signed root served from the cache
// resolves nothing.
type countingResolver struct {
	did.Resolver
	n atomic.Int64
}

func (r *countingResolver) Resolve(ctx context.Context, d string) (*did.Resolution, error) {
	r.n.Add(1)
	return r.Resolver.Resolve(ctx, d)
}

// rootCacheWorld is a verifier over a counting resolver and one issuer
// whose current root was signed at testEpoch.
func rootCacheWorld(t *testing.T) (*env, *Verifier, *countingResolver, Store) {
	t.Helper()
	iss := newTestIssuer(t, "agency.example")
	s := newBolt(t)
	e := newEnv(t, s, iss)
	cr := &countingResolver{Resolver: e.resolver}
	v, err := New(Config{Store: s, Audience: "https://vote.example", Resolver: cr,
		Roots: RootSourceFunc(func(context.Context, string) (string, error) { return iss.signedRoot(t), nil }),
		Key:   keys(t).VerifyingKey, Schemas: []*credential.Schema{testSchema()}, Now: e.clock.Func()})
	if err != nil {
		t.Fatal(err)
	}
	return e, v, cr, s
}

func reqWithMaxAge(sec int64) *protocol.Request {
	return &protocol.Request{Policy: protocol.Policy{MaxRootAge: sec}}
}

// TestRootCacheHit: the second check of the same token resolves nothing and
// returns the same claims, as a copy.
func TestRootCacheHit(t *testing.T) {
	e, v, cr, _ := rootCacheWorld(t)
	iss := e.issuers[0]
	tok := iss.signedRoot(t)
	e.clock.Set(testEpoch.Add(10 * time.Minute))
	c1, err := v.verifyRoot(t.Context(), reqWithMaxAge(3600), iss.did, tok)
	if err != nil {
		t.Fatal(err)
	}
	if cr.n.Load() != 1 {
		t.Fatalf("%d resolutions", cr.n.Load())
	}
	c1.Sequence = 99 // must not reach the cache
	c2, err := v.verifyRoot(t.Context(), reqWithMaxAge(3600), iss.did, tok)
	if err != nil || cr.n.Load() != 1 || c2.Sequence != 0 || c2.Root != c1.Root {
		t.Fatalf("second check: %v, %d resolutions, %+v", err, cr.n.Load(), c2)
	}
	// Another issuer's name for the same token is refused from the cache.
	if _, err := v.verifyRoot(t.Context(), reqWithMaxAge(3600), "did:web:other.example", tok); !errors.Is(err, ErrStaleRoot) || !errors.Is(err, status.ErrInvalidRoot) {
		t.Fatalf("wrong issuer: %v", err)
	}
	// After rootCacheTTL the signature is checked again.
	e.clock.Add(rootCacheTTL)
	if _, err := v.verifyRoot(t.Context(), reqWithMaxAge(3600), iss.did, tok); err != nil || cr.n.Load() != 2 {
		t.Fatalf("after the TTL: %v, %d resolutions", err, cr.n.Load())
	}
}

// TestRootCacheExpired: a cached root that has grown older than the
// request's maximum age since it was cached is refused.
func TestRootCacheExpired(t *testing.T) {
	e, v, cr, _ := rootCacheWorld(t)
	iss := e.issuers[0]
	tok := iss.signedRoot(t)
	e.clock.Set(testEpoch.Add(3600*time.Second - 10*time.Second))
	if _, err := v.verifyRoot(t.Context(), reqWithMaxAge(3600), iss.did, tok); err != nil {
		t.Fatal(err)
	}
	e.clock.Add(20 * time.Second) // within rootCacheTTL: a hit
	_, err := v.verifyRoot(t.Context(), reqWithMaxAge(3600), iss.did, tok)
	var se *status.StaleRootError
	if !errors.Is(err, ErrStaleRoot) || !errors.As(err, &se) || se.MaxAge != time.Hour {
		t.Fatalf("expired cached root: %v", err)
	}
	if cr.n.Load() != 1 || v.hot.roots.len() != 1 {
		t.Fatalf("not served from the cache: %d resolutions", cr.n.Load())
	}
}

// TestRootCacheStricterRequest: a root cached for a request allowing an
// hour is refused, from the cache, for a request allowing five minutes.
func TestRootCacheStricterRequest(t *testing.T) {
	e, v, cr, _ := rootCacheWorld(t)
	iss := e.issuers[0]
	tok := iss.signedRoot(t)
	e.clock.Set(testEpoch.Add(10 * time.Minute))
	if _, err := v.verifyRoot(t.Context(), reqWithMaxAge(3600), iss.did, tok); err != nil {
		t.Fatal(err)
	}
	_, err := v.verifyRoot(t.Context(), reqWithMaxAge(300), iss.did, tok)
	var se *status.StaleRootError
	if !errors.Is(err, ErrStaleRoot) || !errors.As(err, &se) || se.MaxAge != 5*time.Minute {
		t.Fatalf("stricter request: %v", err)
	}
	if cr.n.Load() != 1 {
		t.Fatalf("not served from the cache: %d resolutions", cr.n.Load())
	}
	// A root from the future (iat beyond the clock skew) is refused too:
	// move the clock back before the root's iat.
	e.clock.Set(testEpoch.Add(-2 * time.Minute))
	if _, err := v.verifyRoot(t.Context(), reqWithMaxAge(3600), iss.did, tok); !errors.Is(err, ErrStaleRoot) {
		t.Fatalf("clock before iat: %v", err)
	}
}

// TestRootCacheFloor: with the old root cached, a floor raised in the
// Store (by an answer against a newer root, here or in another instance)
// refuses it on the next check.
func TestRootCacheFloor(t *testing.T) {
	e, v, cr, s := rootCacheWorld(t)
	iss := e.issuers[0]
	old := iss.signedRoot(t) // sequence 0
	e.clock.Set(testEpoch.Add(2 * time.Minute))
	if _, err := v.verifyRoot(t.Context(), reqWithMaxAge(3600), iss.did, old); err != nil {
		t.Fatal(err)
	}
	sr := &StoredRequest{ID: "r1", Nonce: []byte("n1"), Body: []byte("{}"), ExpiresAt: testEpoch.Add(time.Hour), CreatedAt: testEpoch}
	if err := s.CreateRequest(t.Context(), sr); err != nil {
		t.Fatal(err)
	}
	if err := s.Answer(t.Context(), &AnswerRecord{RequestID: "r1", At: e.clock.Now(), Issuer: iss.did, RootSequence: 1}); err != nil {
		t.Fatal(err)
	}
	_, err := v.verifyRoot(t.Context(), reqWithMaxAge(3600), iss.did, old)
	if !errors.Is(err, ErrStaleRoot) || !errors.Is(err, status.ErrInvalidRoot) {
		t.Fatalf("old root with the floor at 1: %v", err)
	}
	if cr.n.Load() != 1 {
		t.Fatalf("not served from the cache: %d resolutions", cr.n.Load())
	}
}

// TestRollbackRootCacheWarm is the rollback test with the old root in the
// verifier's cache: a failed presentation caches the old root (its
// signature checks; the proof does not), alice is accepted against the
// current root (the floor rises to 1), and bob, against the cached old
// root, is refused.
func TestRollbackRootCacheWarm(t *testing.T) {
	w := rollbackFixture(t)
	s := newBolt(t)
	e := newEnv(t, s, w.issuer)
	e.clock.Set(rollbackClock)
	serveOld := atomic.Bool{}
	current := w.issuer.signedRoot(t)
	src := RootSourceFunc(func(context.Context, string) (string, error) {
		if serveOld.Load() {
			return w.oldRoot, nil
		}
		return current, nil
	})
	v := e.newVerifierWith(t, s, &detRand{}, src, nil)
	reqs := rollbackRequests(t, e, v)
	serveOld.Store(true)
	if _, err := v.VerifyID(t.Context(), reqs[0].ID, w.aliceSub); !errors.Is(err, ErrInvalidProof) {
		t.Fatalf("alice against the old root: %v, want ErrInvalidProof", err)
	}
	if _, ok := v.hot.roots.get(sha256.Sum256([]byte(w.oldRoot))); !ok {
		t.Fatal("the old root is not cached")
	}
	serveOld.Store(false)
	if _, err := v.VerifyID(t.Context(), reqs[0].ID, w.aliceSub); err != nil {
		t.Fatalf("alice against the current root: %v", err)
	}
	serveOld.Store(true)
	if _, err := v.VerifyID(t.Context(), reqs[1].ID, w.bobSub); !errors.Is(err, ErrStaleRoot) {
		t.Fatalf("revoked bob against the cached old root: %v, want ErrStaleRoot", err)
	}
}

// TestLRUBounded: the caches keep at most their size, dropping the least
// recently used entry.
func TestLRUBounded(t *testing.T) {
	var c lru[int]
	key := func(i int) [32]byte { return sha256.Sum256([]byte{byte(i), byte(i >> 8)}) }
	for i := range 10 {
		c.put(key(i), i, 4)
	}
	if c.len() != 4 {
		t.Fatalf("%d entries", c.len())
	}
	if _, ok := c.get(key(5)); ok {
		t.Fatal("evicted entry returned")
	}
	c.get(key(6)) // 6 is now the most recent; 7 the least
	c.put(key(10), 10, 4)
	if _, ok := c.get(key(7)); ok {
		t.Fatal("least recently used entry kept")
	}
	if v, ok := c.get(key(6)); !ok || v != 6 {
		t.Fatal("recently used entry dropped")
	}
}

// TestCompileCache: NewRequest fills the cache with the request's
// compilation, keyed by its exact body; the cached statement equals a
// fresh compilation's.
func TestCompileCache(t *testing.T) {
	iss := newTestIssuer(t, "agency.example")
	s := newBolt(t)
	e := newEnv(t, s, iss)
	r, err := e.v.NewRequest(t.Context(), votePolicy(iss.did))
	if err != nil {
		t.Fatal(err)
	}
	if e.v.hot.compiled.len() != 1 {
		t.Fatalf("%d compiled", e.v.hot.compiled.len())
	}
	sr, err := s.GetRequest(t.Context(), r.ID)
	if err != nil {
		t.Fatal(err)
	}
	c, err := e.v.compiled(sr.Body)
	if err != nil {
		t.Fatal(err)
	}
	fresh, err := r.Compile(testSchema(), testShape)
	if err != nil {
		t.Fatal(err)
	}
	ik := iss.zk.Public()
	a, b := c.Statement(ik, iss.tree.Root()), fresh.Statement(ik, iss.tree.Root())
	if a.SchemaID != b.SchemaID || a.RequestHash != b.RequestHash || a.Now != b.Now || a.Scope != b.Scope || len(a.Predicates) != len(b.Predicates) {
		t.Fatalf("cached statement differs: %+v vs %+v", a, b)
	}
	if a.SchemaID != testSchema().ID() {
		t.Fatal("schema id")
	}
	// Another request is another entry; a body that is not a canonical
	// request is refused and not cached.
	if _, err := e.v.NewRequest(t.Context(), votePolicy(iss.did)); err != nil {
		t.Fatal(err)
	}
	body := append([]byte{}, sr.Body...)
	body = append(body[:len(body)-1], ' ', body[len(body)-1])
	if _, err := e.v.compiled(body); !errors.Is(err, protocol.ErrInvalidRequest) {
		t.Fatalf("non-canonical body: %v", err)
	}
	if e.v.hot.compiled.len() != 2 {
		t.Fatalf("%d compiled", e.v.hot.compiled.len())
	}
}
