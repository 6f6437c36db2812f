package did

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// countingResolver counts calls and resolves from a StaticResolver.
type countingResolver struct {
	calls atomic.Int64
	inner Resolver
}

func (c *countingResolver) Resolve(ctx context.Context, did string) (*Resolution, error) {
	c.calls.Add(1)
	return c.inner.Resolve(ctx, did)
}

// resolverFunc adapts a function to Resolver.
type resolverFunc func(ctx context.Context, did string) (*Resolution, error)

func (f resolverFunc) Resolve(ctx context.Context, did string) (*Resolution, error) {
	return f(ctx, did)
}

func issuerDoc(t *testing.T) *Document {
	t.Helper()
	doc, err := ParseDocument([]byte(issuerDocJSON))
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

func TestStaticResolver(t *testing.T) {
	doc := issuerDoc(t)
	s, err := NewStaticResolver(doc)
	if err != nil {
		t.Fatal(err)
	}
	res, err := s.Resolve(context.Background(), issuerDID)
	if err != nil {
		t.Fatal(err)
	}
	res.Document.VerificationMethod[0].Type = "changed"
	res2, _ := s.Resolve(context.Background(), issuerDID)
	if res2.Document.VerificationMethod[0].Type != TypeMultikey {
		t.Fatal("resolver state changed through a result")
	}
	_, err = s.Resolve(context.Background(), "did:example:nobody")
	var re *ResolutionError
	if !errors.Is(err, ErrNotFound) || !errors.As(err, &re) || re.Code != CodeNotFound {
		t.Fatal(err)
	}
	if _, err := s.Resolve(context.Background(), "not a did"); !errors.Is(err, ErrInvalidDID) {
		t.Fatal(err)
	}
	if _, err := NewStaticResolver(doc, doc); !errors.Is(err, ErrDuplicateID) {
		t.Fatal(err)
	}
	if _, err := NewStaticResolver(&Document{ID: "x"}); !errors.Is(err, ErrInvalidDocument) {
		t.Fatal(err)
	}
	if _, err := NewStaticResolver(nil); !errors.Is(err, ErrInvalidDocument) {
		t.Fatal(err)
	}
	// A document that cannot be marshalled is an error, not a panic.
	bad := issuerDoc(t)
	bad.Extra["x-custom"] = json.RawMessage("{not json")
	if _, err := NewStaticResolver(bad); !errors.Is(err, ErrInvalidDocument) {
		t.Fatal(err)
	}
	if _, err := DocumentHandler(bad); !errors.Is(err, ErrInvalidDocument) {
		t.Fatal(err)
	}
}

func TestResolutionJSON(t *testing.T) {
	s, _ := NewStaticResolver(issuerDoc(t))
	res, _ := s.Resolve(context.Background(), "did:example:nobody")
	b, _ := json.Marshal(res)
	if string(b) != `{"didResolutionMetadata":{"error":"notFound"},"didDocument":null,"didDocumentMetadata":{}}` {
		t.Fatal(string(b))
	}
	res, _ = s.Resolve(context.Background(), issuerDID)
	b, _ = json.Marshal(res)
	var m map[string]json.RawMessage
	json.Unmarshal(b, &m)
	if string(m["didResolutionMetadata"]) != "{}" || len(m["didDocument"]) < 10 {
		t.Fatal(string(b))
	}
}

func TestResolveVerificationMethod(t *testing.T) {
	ctx := context.Background()
	doc := issuerDoc(t)
	c, err := doc.Clone()
	if err != nil {
		t.Fatal(err)
	}
	other := *c
	other.VerificationMethod[0].Controller = "did:example:someone-else"
	other.ID = "did:example:other"
	other.VerificationMethod[0].ID = "did:example:other#key-1"
	other.VerificationMethod[1].ID = "did:example:other#key-2"
	other.AssertionMethod = other.AssertionMethod[:1]
	other.AssertionMethod[0].ID = "did:example:other#key-1"
	other.Authentication = nil
	s, err := NewStaticResolver(doc, &other)
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{issuerDID + "#key-1", issuerDID + "#key-3"} { // referenced, embedded
		vm, got, err := ResolveVerificationMethod(ctx, s, id, AssertionMethod)
		if err != nil || got.ID != issuerDID || vm.ID != id {
			t.Fatalf("%s: %v", id, err)
		}
	}
	// Relative id in the document, absolute in the request.
	if _, _, err := ResolveVerificationMethod(ctx, s, issuerDID+"#key-2", Authentication); err != nil {
		t.Fatal(err)
	}
	mismatched := resolverFunc(func(ctx context.Context, did string) (*Resolution, error) {
		return &Resolution{Document: issuerDoc(t)}, nil
	})
	deactivated := resolverFunc(func(ctx context.Context, did string) (*Resolution, error) {
		return &Resolution{Document: issuerDoc(t), DocumentMetadata: DocumentMetadata{Deactivated: true}}, nil
	})
	for _, tc := range []struct {
		name string
		r    Resolver
		url  string
		rel  Relationship
		want error
	}{
		{"not in relationship", s, issuerDID + "#key-2", AssertionMethod, ErrNotInRelationship},
		{"unknown relationship", s, issuerDID + "#key-1", "nonsense", ErrNotInRelationship},
		{"no such method", s, issuerDID + "#key-9", AssertionMethod, ErrNotFound},
		{"no such DID", s, "did:example:nobody#key-1", AssertionMethod, ErrNotFound},
		{"other controller", s, "did:example:other#key-1", AssertionMethod, ErrWrongController},
		{"bare DID", s, issuerDID, AssertionMethod, ErrInvalidDIDURL},
		{"bad URL", s, "did:example:issuer#a b", AssertionMethod, ErrInvalidDIDURL},
		{"document for another DID", mismatched, "did:example:x#key-1", AssertionMethod, ErrInvalidDocument},
		{"deactivated", deactivated, issuerDID + "#key-1", AssertionMethod, ErrDeactivated},
		{"method not supported", &MethodResolver{methods: map[string]Resolver{}}, issuerDID + "#key-1", AssertionMethod, ErrMethodNotSupported},
	} {
		t.Run(tc.name, func(t *testing.T) {
			vm, d, err := ResolveVerificationMethod(ctx, tc.r, tc.url, tc.rel)
			if !errors.Is(err, tc.want) || vm != nil || d != nil {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
		})
	}
}

func TestNewResolverDispatch(t *testing.T) {
	r, err := NewResolver(nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	key, _ := KeyDID(ed25519.NewKeyFromSeed(make([]byte, 32)).Public())
	jwk, _ := JWKDID(ed25519.NewKeyFromSeed(make([]byte, 32)).Public(), "sig")
	for _, did := range []string{key, jwk} {
		if _, err := r.Resolve(ctx, did); err != nil {
			t.Fatalf("%s: %v", did, err)
		}
	}
	var re *ResolutionError
	if _, err := r.Resolve(ctx, "did:example:1"); !errors.Is(err, ErrMethodNotSupported) || !errors.As(err, &re) || re.Code != CodeMethodNotSupported {
		t.Fatal(err)
	}
	if _, err := r.Resolve(ctx, "did:web:localhost"); !errors.Is(err, ErrForbiddenAddress) {
		t.Fatal(err)
	}
	if _, err := r.Resolve(ctx, "did:"); !errors.Is(err, ErrInvalidDID) {
		t.Fatal(err)
	}
	if _, err := NewResolver(&ResolverConfig{Methods: map[string]Resolver{"key": nil}}); err == nil {
		t.Fatal("nil method resolver accepted")
	}
	// A method resolver returning a document for another DID is caught.
	bad := resolverFunc(func(ctx context.Context, did string) (*Resolution, error) {
		return &Resolution{Document: issuerDoc(t)}, nil
	})
	r2, _ := NewResolver(&ResolverConfig{Methods: map[string]Resolver{"bad": bad}})
	if _, err := r2.Resolve(ctx, "did:bad:x"); !errors.Is(err, ErrInvalidDocument) {
		t.Fatal(err)
	}
	// A method resolver returning a bare error gets it wrapped.
	plain := resolverFunc(func(ctx context.Context, did string) (*Resolution, error) { return nil, errors.New("boom") })
	r3, _ := NewResolver(&ResolverConfig{Methods: map[string]Resolver{"plain": plain}})
	res, err := r3.Resolve(ctx, "did:plain:x")
	if !errors.As(err, &re) || re.Code != CodeInternalError || res.ResolutionMetadata.Error != CodeInternalError {
		t.Fatal(err)
	}
}

func TestResolverCache(t *testing.T) {
	s, _ := NewStaticResolver(issuerDoc(t))
	c := &countingResolver{inner: s}
	now := time.Unix(1700000000, 0)
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	r, err := NewResolver(&ResolverConfig{Methods: map[string]Resolver{"example": c}, TTL: time.Minute, Now: clock, MaxEntries: 2})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	res, err := r.Resolve(ctx, issuerDID)
	if err != nil {
		t.Fatal(err)
	}
	res.Document.ID = "tampered"
	res2, _ := r.Resolve(ctx, issuerDID)
	if c.calls.Load() != 1 || res2.Document.ID != issuerDID {
		t.Fatalf("calls %d, id %s", c.calls.Load(), res2.Document.ID)
	}
	// Failures are not cached.
	r.Resolve(ctx, "did:example:nobody")
	r.Resolve(ctx, "did:example:nobody")
	if c.calls.Load() != 3 {
		t.Fatalf("calls %d", c.calls.Load())
	}
	mu.Lock()
	now = now.Add(time.Minute)
	mu.Unlock()
	r.Resolve(ctx, issuerDID)
	if c.calls.Load() != 4 {
		t.Fatalf("expired entry served: calls %d", c.calls.Load())
	}
	r.Purge()
	r.Resolve(ctx, issuerDID)
	if c.calls.Load() != 5 {
		t.Fatalf("purged entry served: calls %d", c.calls.Load())
	}
	// Bounded: many DIDs never grow the cache past MaxEntries.
	kr := &KeyResolver{}
	rk, _ := NewResolver(&ResolverConfig{Methods: map[string]Resolver{"key": kr}, MaxEntries: 3})
	for i := range 10 {
		did, _ := KeyDID(testZKKey(t, int64(i+1)))
		if _, err := rk.Resolve(ctx, did); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(rk.cache); n > 3 {
		t.Fatalf("cache has %d entries", n)
	}
	// Caching disabled.
	c2 := &countingResolver{inner: s}
	r4, _ := NewResolver(&ResolverConfig{Methods: map[string]Resolver{"example": c2}, TTL: -1})
	r4.Resolve(ctx, issuerDID)
	r4.Resolve(ctx, issuerDID)
	if c2.calls.Load() != 2 {
		t.Fatal("negative TTL still caches")
	}
}

// Run with -race.
func TestResolverConcurrent(t *testing.T) {
	s, _ := NewStaticResolver(issuerDoc(t))
	r, _ := NewResolver(&ResolverConfig{Methods: map[string]Resolver{"example": s, "key": &KeyResolver{}}, MaxEntries: 4})
	keys := make([]string, 8)
	for i := range keys {
		keys[i], _ = KeyDID(testZKKey(t, int64(i+1)))
	}
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for g := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 50 {
				did := keys[(g+i)%len(keys)]
				if i%3 == 0 {
					did = issuerDID
				}
				res, err := r.Resolve(context.Background(), did)
				if err != nil {
					errs <- err
					return
				}
				res.Document.VerificationMethod[0].Type = "mine" // results are private copies
				if i%17 == 0 {
					r.Purge()
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	res, _ := r.Resolve(context.Background(), issuerDID)
	if res.Document.VerificationMethod[0].Type != TypeMultikey {
		t.Fatal("cached document was modified")
	}
}

func TestResolutionErrorMessage(t *testing.T) {
	_, err := (&KeyResolver{}).Resolve(context.Background(), "did:key:z")
	if err == nil || !strings.HasPrefix(err.Error(), "did: resolve \"did:key:z\": invalidPublicKey: ") {
		t.Fatal(err)
	}
}

// Concurrent misses for one DID make a single call to the method resolver.
func TestResolverDeduplicates(t *testing.T) {
	s, _ := NewStaticResolver(issuerDoc(t))
	release := make(chan struct{})
	var calls atomic.Int64
	slow := resolverFunc(func(ctx context.Context, did string) (*Resolution, error) {
		calls.Add(1)
		<-release
		return s.Resolve(ctx, did)
	})
	r, _ := NewResolver(&ResolverConfig{Methods: map[string]Resolver{"example": slow}})
	var started, wg sync.WaitGroup
	for range 10 {
		started.Add(1)
		wg.Add(1)
		go func() {
			defer wg.Done()
			started.Done()
			if _, err := r.Resolve(context.Background(), issuerDID); err != nil {
				t.Error(err)
			}
		}()
	}
	started.Wait()
	time.Sleep(20 * time.Millisecond) // let them all reach the resolver
	close(release)
	wg.Wait()
	if n := calls.Load(); n != 1 {
		t.Fatalf("%d calls", n)
	}

	// A waiter whose context ends gives up with the context's error.
	block := make(chan struct{})
	defer close(block)
	hang := resolverFunc(func(ctx context.Context, did string) (*Resolution, error) {
		<-block
		return nil, errors.New("unreachable")
	})
	r2, _ := NewResolver(&ResolverConfig{Methods: map[string]Resolver{"example": hang}})
	go r2.Resolve(context.Background(), issuerDID)
	for {
		r2.mu.Lock()
		n := len(r2.inflight)
		r2.mu.Unlock()
		if n == 1 {
			break
		}
		time.Sleep(time.Millisecond)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := r2.Resolve(ctx, issuerDID); !errors.Is(err, context.Canceled) {
		t.Fatal(err)
	}

	// A failure is not cached: the next call tries again.
	var n atomic.Int64
	flaky := resolverFunc(func(ctx context.Context, did string) (*Resolution, error) {
		if n.Add(1) == 1 {
			return resolutionError(did, fmt.Errorf("%w: transient", ErrFetch))
		}
		return s.Resolve(ctx, did)
	})
	r3, _ := NewResolver(&ResolverConfig{Methods: map[string]Resolver{"example": flaky}})
	if _, err := r3.Resolve(context.Background(), issuerDID); !errors.Is(err, ErrFetch) {
		t.Fatal(err)
	}
	if _, err := r3.Resolve(context.Background(), issuerDID); err != nil {
		t.Fatal(err)
	}
}
