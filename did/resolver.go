package did

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/zkcred/zkcred/did/strictjson"
)

// Resolver resolves a DID to its document (DID Core §7.1 resolve).
//
// On success Resolve returns the resolution and a nil error; the document's
// id equals did and the document is valid (see [Document.Validate]). On
// failure it returns a *[ResolutionError] together with a Resolution whose
// ResolutionMetadata.Error carries the same code and whose Document is nil,
// ready to be serialized as a DID resolution result.
//
// Implementations must be safe for concurrent use.
type Resolver interface {
	Resolve(ctx context.Context, did string) (*Resolution, error)
}

// Resolution is a DID resolution result, serialized as
// {didResolutionMetadata, didDocument, didDocumentMetadata}.
type Resolution struct {
	ResolutionMetadata ResolutionMetadata `json:"didResolutionMetadata"`
	Document           *Document          `json:"didDocument"`
	DocumentMetadata   DocumentMetadata   `json:"didDocumentMetadata"`
}

// ResolutionMetadata is didResolutionMetadata (DID Core §7.1.2).
// ContentType is only set by resolveRepresentation-style resolvers, so the
// resolvers of this package leave it empty.
type ResolutionMetadata struct {
	ContentType string `json:"contentType,omitempty"`
	Error       string `json:"error,omitempty"`
}

// DocumentMetadata is didDocumentMetadata (DID Core §7.1.3). Times are XML
// datetimes in UTC without fractional seconds.
type DocumentMetadata struct {
	Created       string   `json:"created,omitempty"`
	Updated       string   `json:"updated,omitempty"`
	Deactivated   bool     `json:"deactivated,omitempty"`
	NextUpdate    string   `json:"nextUpdate,omitempty"`
	VersionID     string   `json:"versionId,omitempty"`
	NextVersionID string   `json:"nextVersionId,omitempty"`
	EquivalentID  []string `json:"equivalentId,omitempty"`
	CanonicalID   string   `json:"canonicalId,omitempty"`
}

// clone returns a deep copy, so cached results cannot be changed by
// callers.
func (r *Resolution) clone() (*Resolution, error) {
	out := *r
	out.DocumentMetadata.EquivalentID = append([]string(nil), r.DocumentMetadata.EquivalentID...)
	if r.Document != nil {
		d, err := r.Document.Clone()
		if err != nil {
			return nil, err
		}
		out.Document = d
	}
	return &out, nil
}

// Clone returns a deep copy of the document, made through its JSON form.
// It fails, with [ErrInvalidDocument], only for a document that does not
// marshal (an invalid raw JSON value in Extra or ServiceEndpoint, or an
// unmarshalable @context entry).
func (d *Document) Clone() (*Document, error) {
	b, err := json.Marshal(d)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidDocument, err)
	}
	var c Document
	if err := strictjson.Unmarshal(b, &c); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidDocument, err)
	}
	return &c, nil
}

// checkResolved enforces what every resolver promises: a valid document
// whose id is the DID that was resolved.
func checkResolved(did string, doc *Document) error {
	if err := doc.Validate(); err != nil {
		return err
	}
	if doc.ID != did {
		return fmt.Errorf("%w: document id %q does not match %q", ErrInvalidDocument, truncate(doc.ID, 256), truncate(did, 256))
	}
	return nil
}

// ResolveVerificationMethod resolves the DID of didURL with r, finds the
// verification method didURL names, and checks that it is in relationship
// rel and that its controller is the DID. It returns a copy of the method
// and the resolved document. Errors wrap [ErrInvalidDIDURL], the
// resolver's error, [ErrDeactivated], [ErrNotFound] (no such method),
// [ErrNotInRelationship] or [ErrWrongController].
//
// A credential's issuer key, for instance, must be checked with rel =
// [AssertionMethod].
func ResolveVerificationMethod(ctx context.Context, r Resolver, didURL string, rel Relationship) (*VerificationMethod, *Document, error) {
	u, err := ParseURL(didURL)
	if err != nil {
		return nil, nil, err
	}
	if u.Path == "" && u.Query == "" && u.Fragment == "" {
		return nil, nil, fmt.Errorf("%w: %q names a DID, not a verification method", ErrInvalidDIDURL, truncate(didURL, 256))
	}
	did := u.DID.String()
	res, err := r.Resolve(ctx, did)
	if err != nil {
		return nil, nil, err
	}
	if res == nil || res.Document == nil {
		return nil, nil, fmt.Errorf("%w: resolver returned no document for %q", ErrNotFound, truncate(did, 256))
	}
	if res.DocumentMetadata.Deactivated {
		return nil, nil, fmt.Errorf("%w: %q", ErrDeactivated, truncate(did, 256))
	}
	doc := res.Document
	if err := checkResolved(did, doc); err != nil {
		return nil, nil, err
	}
	vm, err := doc.FindVerificationMethod(didURL)
	if err != nil {
		return nil, nil, err
	}
	if !doc.HasRelationship(rel, vm.ID) {
		return nil, nil, fmt.Errorf("%w: %q is not in %s", ErrNotInRelationship, truncate(didURL, 256), rel)
	}
	if vm.Controller != did {
		return nil, nil, fmt.Errorf("%w: %q is controlled by %q", ErrWrongController, truncate(didURL, 256), truncate(vm.Controller, 256))
	}
	c := *vm
	return &c, doc, nil
}

// ResolveZKKey resolves keyID, the DID URL of an issuer's ZK key, with
// [ResolveVerificationMethod] and rel = [AssertionMethod], and returns its
// key. The key was checked when the method was decoded (canonical
// encoding, on the curve, in the prime-order subgroup, not the identity;
// see [ParseZKPublicKey]). Errors are those of ResolveVerificationMethod
// and [VerificationMethod.PublicKey], or wrap [ErrUnsupportedKey] if the
// method holds another type of key.
func ResolveZKKey(ctx context.Context, r Resolver, keyID string) (*ZKPublicKey, error) {
	vm, _, err := ResolveVerificationMethod(ctx, r, keyID, AssertionMethod)
	if err != nil {
		return nil, err
	}
	pub, err := vm.PublicKey()
	if err != nil {
		return nil, err
	}
	zk, ok := pub.(*ZKPublicKey)
	if !ok {
		return nil, fmt.Errorf("%w: %q is a %T, not a ZK key", ErrUnsupportedKey, truncate(keyID, 256), pub)
	}
	return zk, nil
}

// StaticResolver resolves a fixed set of documents; for tests, examples
// and pinned issuers.
type StaticResolver struct {
	docs map[string]*Document
}

var _ Resolver = (*StaticResolver)(nil)

// NewStaticResolver validates docs and returns a resolver for them. Two
// documents with the same id are an error ([ErrDuplicateID]).
func NewStaticResolver(docs ...*Document) (*StaticResolver, error) {
	s := &StaticResolver{docs: map[string]*Document{}}
	for _, d := range docs {
		if d == nil {
			return nil, fmt.Errorf("%w: nil document", ErrInvalidDocument)
		}
		if err := d.Validate(); err != nil {
			return nil, err
		}
		if _, dup := s.docs[d.ID]; dup {
			return nil, fmt.Errorf("%w: %w: document %q", ErrInvalidDocument, ErrDuplicateID, d.ID)
		}
		c, err := d.Clone()
		if err != nil {
			return nil, err
		}
		s.docs[d.ID] = c
	}
	return s, nil
}

// Resolve implements [Resolver]. Unknown DIDs give [ErrNotFound].
func (s *StaticResolver) Resolve(_ context.Context, did string) (*Resolution, error) {
	if _, err := Parse(did); err != nil {
		return resolutionError(did, err)
	}
	d, ok := s.docs[did]
	if !ok {
		return resolutionError(did, fmt.Errorf("%w: %q", ErrNotFound, truncate(did, 256)))
	}
	c, err := d.Clone()
	if err != nil {
		return resolutionError(did, err)
	}
	return &Resolution{Document: c}, nil
}

// DefaultCacheTTL is the cache lifetime [NewResolver] uses when
// ResolverConfig.TTL is zero.
const DefaultCacheTTL = 5 * time.Minute

// ResolverConfig configures [NewResolver]. The zero value resolves did:key
// and did:jwk, and did:web with a default [WebResolver] (HTTPS only, public
// addresses only), caching results for [DefaultCacheTTL].
type ResolverConfig struct {
	// Methods maps a method name ("key", "web", ...) to its resolver. Nil
	// means the defaults above; a non-nil map is used as is.
	Methods map[string]Resolver
	// TTL is how long a successful resolution is cached. Zero means
	// DefaultCacheTTL; negative disables caching. Failures are not cached.
	TTL time.Duration
	// MaxEntries bounds the cache. Zero means 10000.
	MaxEntries int
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
}

// MethodResolver dispatches by DID method and caches results. It is safe
// for concurrent use.
type MethodResolver struct {
	methods map[string]Resolver
	ttl     time.Duration
	max     int
	now     func() time.Time

	mu       sync.Mutex
	cache    map[string]cacheEntry
	inflight map[string]*inflightCall
}

// inflightCall is a resolution in progress; ok is set before done is
// closed when the result was cached.
type inflightCall struct {
	done chan struct{}
	ok   bool
}

type cacheEntry struct {
	res     *Resolution
	expires time.Time
}

var _ Resolver = (*MethodResolver)(nil)

// NewResolver returns a resolver that dispatches by method and caches
// successful results (see [ResolverConfig]). A nil cfg is the zero
// config.
func NewResolver(cfg *ResolverConfig) (*MethodResolver, error) {
	if cfg == nil {
		cfg = &ResolverConfig{}
	}
	r := &MethodResolver{methods: cfg.Methods, ttl: cfg.TTL, max: cfg.MaxEntries, now: cfg.Now,
		cache: map[string]cacheEntry{}, inflight: map[string]*inflightCall{}}
	if r.methods == nil {
		web, err := NewWebResolver(nil)
		if err != nil {
			return nil, err
		}
		r.methods = map[string]Resolver{"key": &KeyResolver{}, "jwk": &JWKResolver{}, "web": web}
	}
	for m, res := range r.methods {
		if res == nil {
			return nil, fmt.Errorf("did: nil resolver for method %q", m)
		}
	}
	if r.ttl == 0 {
		r.ttl = DefaultCacheTTL
	}
	if r.max <= 0 {
		r.max = 10000
	}
	if r.now == nil {
		r.now = time.Now
	}
	return r, nil
}

// Resolve implements [Resolver]. An unknown method gives
// [ErrMethodNotSupported]. The returned resolution is the caller's to
// modify.
func (r *MethodResolver) Resolve(ctx context.Context, did string) (*Resolution, error) {
	d, err := Parse(did)
	if err != nil {
		return resolutionError(did, err)
	}
	m, ok := r.methods[d.Method]
	if !ok {
		return resolutionError(did, fmt.Errorf("%w: %q", ErrMethodNotSupported, d.Method))
	}
	if r.ttl <= 0 {
		return r.resolve(ctx, m, did)
	}
	for {
		r.mu.Lock()
		if e, hit := r.cache[did]; hit && r.now().Before(e.expires) {
			r.mu.Unlock()
			return e.res.clone()
		}
		if c, busy := r.inflight[did]; busy {
			// Another caller is resolving this DID: wait for its result.
			r.mu.Unlock()
			select {
			case <-c.done:
				if c.ok {
					continue // cached now
				}
				return r.resolve(ctx, m, did) // it failed: try on our own
			case <-ctx.Done():
				return resolutionError(did, fmt.Errorf("did: waiting for resolution: %w", ctx.Err()))
			}
		}
		c := &inflightCall{done: make(chan struct{})}
		r.inflight[did] = c
		r.mu.Unlock()

		res, err := r.resolve(ctx, m, did)
		r.mu.Lock()
		delete(r.inflight, did)
		if err == nil {
			if cl, cerr := res.clone(); cerr == nil {
				r.store(did, cl)
				c.ok = true
			}
		}
		r.mu.Unlock()
		close(c.done)
		return res, err
	}
}

// resolve calls the method resolver and enforces the Resolver contract on
// its answer.
func (r *MethodResolver) resolve(ctx context.Context, m Resolver, did string) (*Resolution, error) {
	res, err := m.Resolve(ctx, did)
	if err != nil {
		var re *ResolutionError
		if !errors.As(err, &re) || res == nil || res.Document != nil {
			return resolutionError(did, err)
		}
		return res, err
	}
	if res == nil || res.Document == nil {
		return resolutionError(did, fmt.Errorf("%w: resolver returned no document", ErrNotFound))
	}
	if err := checkResolved(did, res.Document); err != nil {
		return resolutionError(did, err)
	}
	return res, nil
}

// store adds a cache entry; r.mu must be held.
func (r *MethodResolver) store(did string, res *Resolution) {
	now := r.now()
	if len(r.cache) >= r.max {
		for k, e := range r.cache {
			if !now.Before(e.expires) {
				delete(r.cache, k)
			}
		}
		for k := range r.cache {
			if len(r.cache) < r.max {
				break
			}
			delete(r.cache, k)
		}
	}
	r.cache[did] = cacheEntry{res: res, expires: now.Add(r.ttl)}
}

// Purge empties the cache.
func (r *MethodResolver) Purge() {
	r.mu.Lock()
	clear(r.cache)
	r.mu.Unlock()
}

// NewInsecureLocalResolver returns a resolver like NewResolver(nil) whose
// did:web also resolves over plain HTTP and to loopback, private and local
// host names, caching for a minute. It is for development on one machine
// (an issuer on 127.0.0.1): did:web requires HTTPS on a public name, and
// nothing resolved this way proves who controls the DID.
func NewInsecureLocalResolver() (*MethodResolver, error) {
	web, err := NewWebResolver(&WebConfig{AllowHTTP: true, AllowLocalHosts: true, AllowPrivateAddresses: true})
	if err != nil {
		return nil, err
	}
	return NewResolver(&ResolverConfig{TTL: time.Minute, Methods: map[string]Resolver{
		"web": web, "key": &KeyResolver{}, "jwk": &JWKResolver{},
	}})
}
