package verifier

import (
	"container/list"
	"crypto/sha256"
	"fmt"
	"sync"
	"time"

	"github.com/zkcred/zkcred/credential"
	"github.com/zkcred/zkcred/credential/status"
	"github.com/zkcred/zkcred/verifier/protocol"
	"github.com/zkcred/zkcred/verifier/protocol/dcql"
	"github.com/zkcred/zkcred/verifier/protocol/openid4vp"
)

// The verification hot path keeps two bounded caches, both keyed by the
// SHA-256 of exactly the bytes whose meaning they cache, so a hit can only
// return what a miss would have computed from the same bytes:
//
//   - compiled requests, filled when NewRequest or
//     NewAuthorizationRequest issues a request, so the statement is
//     compiled once per request: protocol.Request.Compile of a stored
//     zkcred request body, or, for a stored OpenID4VP Request Object (the
//     signed JWS, which holds everything the statements depend on: nonce,
//     client_id, response_uri, DCQL query, transaction data, iat, exp),
//     its DCQL query compiled with its nonce and every claim set's zkcred
//     request compiled and bound to its handover hash (compileOpenID4VP).
//     Beyond the body only this verifier's configuration (schemas, key
//     shape, trusted issuers), fixed by New, enters a compilation. Entries
//     are shared by every caller and never written after they are cached:
//     what a caller gets back (Result.Predicates) is copied out;
//   - signed revocation roots whose signature verified
//     (status.VerifySignedRoot). A hit re-checks, at the current time and
//     for the current request, everything that depends on either: issuer,
//     sequence against the floor read from the Store on this very call,
//     iat not in the future, age within the request's maximum. Only the
//     token's parsing, the key's resolution and the signature check are
//     reused, for at most rootCacheTTL, so a key removed from the
//     issuer's DID document stops verifying roots within that time.
const (
	compileCacheSize = 4096
	rootCacheSize    = 4096
	rootCacheTTL     = time.Minute
	// rootMaxClockSkew is how far in the future a root's iat may be, as
	// status.VerifySignedRoot's default.
	rootMaxClockSkew = time.Minute
)

// hotCaches are a Verifier's caches; the zero value is ready to use.
type hotCaches struct {
	compiled lru[*compiledBody]
	roots    lru[*cachedRoot]
	// schemaIDs maps each of Config.Schemas (validated by New, not to be
	// changed after) to its id in hex; protocol.Request.Compile still
	// hashes the schema itself.
	schemaIDs sync.Map
	// authzPerResponse is a benchmark hook (BenchmarkVerifyResponse): it
	// compiles an OpenID4VP request on every response, as before the
	// cache, without reading or filling it.
	authzPerResponse bool
}

// compiledBody is what a stored request body compiles to: own for a
// zkcred request, authz for an OpenID4VP Request Object.
type compiledBody struct {
	own   *protocol.Compiled
	authz *compiledAuthz
}

// compiledAuthz is an OpenID4VP request compiled: its Request Object
// (decoded from the stored body, never the caller's), its DCQL query
// compiled with its nonce, and per credential query (in query.Credentials
// order) and claim set the zkcred request and its compilation, or the
// error compileOpenID4VP gave. Read-only once built.
type compiledAuthz struct {
	ro    *openid4vp.RequestObject
	query *dcql.Compiled
	alts  [][]compiledAlt
}

// compiledAlt is one claim set of a credential query, compiled.
type compiledAlt struct {
	req *protocol.Request
	c   *protocol.Compiled
	err error
}

// schemaHex returns protocol.FieldHex(s.ID()), hashed once per schema.
func (v *Verifier) schemaHex(s *credential.Schema) string {
	if id, ok := v.hot.schemaIDs.Load(s); ok {
		return id.(string)
	}
	id := protocol.FieldHex(s.ID())
	v.hot.schemaIDs.Store(s, id)
	return id
}

// cachedRoot is a signed root whose signature was verified at verified.
type cachedRoot struct {
	claims   status.RootClaims
	verified time.Time
}

// lru is a mutex-guarded least-recently-used map from SHA-256 digests;
// the zero value is an empty cache.
type lru[V any] struct {
	mu sync.Mutex
	m  map[[32]byte]*list.Element
	ll list.List
}

type lruItem[V any] struct {
	key [32]byte
	val V
}

func (c *lru[V]) get(k [32]byte) (V, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.m[k]; ok {
		c.ll.MoveToFront(e)
		return e.Value.(*lruItem[V]).val, true
	}
	var zero V
	return zero, false
}

// put adds or replaces k, evicting the least recently used entry beyond max.
func (c *lru[V]) put(k [32]byte, v V, max int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = make(map[[32]byte]*list.Element)
	}
	if e, ok := c.m[k]; ok {
		e.Value.(*lruItem[V]).val = v
		c.ll.MoveToFront(e)
		return
	}
	c.m[k] = c.ll.PushFront(&lruItem[V]{k, v})
	for c.ll.Len() > max {
		e := c.ll.Back()
		c.ll.Remove(e)
		delete(c.m, e.Value.(*lruItem[V]).key)
	}
}

func (c *lru[V]) remove(k [32]byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.m[k]; ok {
		c.ll.Remove(e)
		delete(c.m, k)
	}
}

func (c *lru[V]) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.ll.Len()
}

// compiled returns the compiled statement parts of the request in a
// stored body: from the cache when body was compiled before, else compiled
// now (and cached if it compiles).
func (v *Verifier) compiled(body []byte) (*protocol.Compiled, error) {
	key := sha256.Sum256(body)
	if c, ok := v.hot.compiled.get(key); ok && c.own != nil {
		return c.own, nil
	}
	c, err := v.compileBody(body)
	if err != nil {
		return nil, err
	}
	v.hot.compiled.put(key, &compiledBody{own: c}, compileCacheSize)
	return c, nil
}

// compileBody compiles the request in body for this verifier, from a
// request parsed for the cache alone (no caller holds it).
func (v *Verifier) compileBody(body []byte) (*protocol.Compiled, error) {
	own, err := protocol.ParseRequest(body) // wraps protocol.ErrInvalidRequest
	if err != nil {
		return nil, err
	}
	schema, err := v.schema(own.Schema)
	if err != nil {
		return nil, err
	}
	return own.Compile(schema, v.cfg.Key.Shape())
}

// precompile fills the compile cache for a request body just issued.
func (v *Verifier) precompile(body []byte) {
	if c, err := v.compileBody(body); err == nil {
		v.hot.compiled.put(sha256.Sum256(body), &compiledBody{own: c}, compileCacheSize)
	}
}

// authz returns the compilation of the OpenID4VP request stored as s:
// from the cache when its body was compiled before (keyed by the SHA-256
// of the whole signed body), else compiled now and cached.
func (v *Verifier) authz(s *StoredRequest) (*compiledAuthz, error) {
	if v.hot.authzPerResponse {
		return v.compileAuthz(s)
	}
	key := sha256.Sum256(s.Body)
	if c, ok := v.hot.compiled.get(key); ok && c.authz != nil {
		return c.authz, nil
	}
	a, err := v.compileAuthz(s)
	if err != nil {
		return nil, err
	}
	v.hot.compiled.put(key, &compiledBody{authz: a}, compileCacheSize)
	return a, nil
}

// compileAuthz compiles the OpenID4VP request stored as s from its body
// alone: every claim set of every credential query the answer may use
// (NewAuthorizationRequest checked that each compiles). Errors wrap
// [ErrStore]: the body is one this verifier signed.
func (v *Verifier) compileAuthz(s *StoredRequest) (*compiledAuthz, error) {
	ro, err := storedRequestObject(s)
	if err != nil {
		return nil, err
	}
	q, err := ro.DCQLQuery.Compile(ro.Nonce)
	if err != nil {
		return nil, fmt.Errorf("%w: stored query: %v", ErrStore, err)
	}
	a := &compiledAuthz{ro: ro, query: q, alts: make([][]compiledAlt, len(q.Credentials))}
	for i, cc := range q.Credentials {
		a.alts[i] = make([]compiledAlt, len(cc.Alternatives))
		for j, p := range cc.Alternatives {
			req, c, err := v.compileOpenID4VP(ro, cc.ID, p)
			a.alts[i][j] = compiledAlt{req: req, c: c, err: err}
		}
	}
	return a, nil
}

// cachedRootClaims returns the claims of token if its signature was
// verified within rootCacheTTL, after the checks of
// status.VerifySignedRoot that depend on the time, the request and the
// floor, with the same errors. ok is false on a miss.
func (v *Verifier) cachedRootClaims(key [32]byte, issuer string, opts status.VerifyRootOptions) (c *status.RootClaims, ok bool, err error) {
	e, hit := v.hot.roots.get(key)
	if !hit {
		return nil, false, nil
	}
	now := opts.Now()
	if d := now.Sub(e.verified); d < 0 || d >= rootCacheTTL {
		v.hot.roots.remove(key)
		return nil, false, nil
	}
	claims := e.claims // a copy: callers may keep it
	if claims.Issuer != issuer {
		return nil, true, fmt.Errorf("%w: iss %q, want issuer %q", status.ErrInvalidRoot, claims.Issuer, issuer)
	}
	if claims.Sequence < opts.MinSequence {
		return nil, true, fmt.Errorf("%w: sequence %d below %d (rollback)", status.ErrInvalidRoot, claims.Sequence, opts.MinSequence)
	}
	maxAge := opts.MaxAge
	if maxAge == 0 {
		maxAge = status.DefaultMaxRootAge
	}
	age := claims.Age(now)
	if age < -rootMaxClockSkew {
		return nil, true, fmt.Errorf("%w: issued %s in the future", status.ErrInvalidRoot, -age)
	}
	if age > maxAge {
		return nil, true, &status.StaleRootError{Age: age, MaxAge: maxAge}
	}
	return &claims, true, nil
}
