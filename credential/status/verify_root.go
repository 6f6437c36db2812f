package status

import (
	"context"
	"fmt"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-json-experiment/json/jsontext"

	"github.com/zkcred/zkcred/credential/internal/jws"
	"github.com/zkcred/zkcred/did"
	"github.com/zkcred/zkcred/did/strictjson"
)

// DefaultMaxRootAge is the maximum root age [VerifySignedRoot] accepts when
// VerifyRootOptions.MaxAge is zero.
const DefaultMaxRootAge = 24 * time.Hour

// maxSignedRootLen bounds the compact JWS a verifier parses.
const maxSignedRootLen = 8 << 10

// VerifyRootOptions configures [VerifySignedRoot].
type VerifyRootOptions struct {
	// Issuer, if set, is the DID the root must come from.
	Issuer string
	// MaxAge is the oldest root accepted; 0 means DefaultMaxRootAge.
	MaxAge time.Duration
	// MaxClockSkew is how far in the future iat may be; 0 means one minute.
	MaxClockSkew time.Duration
	// MinSequence rejects roots older (by sequence) than one already seen,
	// so an attacker cannot replay a root from before a revocation.
	MinSequence uint64
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
}

// StaleRootError is returned by [VerifySignedRoot] for a root older than
// the maximum age. It wraps [ErrStaleRoot].
type StaleRootError struct {
	Age, MaxAge time.Duration
}

func (e *StaleRootError) Error() string {
	return fmt.Sprintf("status: revocation root is stale: age %s exceeds %s", e.Age.Round(time.Second), e.MaxAge)
}

// Unwrap returns [ErrStaleRoot].
func (e *StaleRootError) Unwrap() error { return ErrStaleRoot }

// Age returns how old the root is at now.
func (c *RootClaims) Age(now time.Time) time.Duration { return now.Sub(c.IssuedAt) }

// VerifySignedRoot verifies a signed revocation root (see [RootClaims]): it
// resolves the JWS kid with r, requires the key to be an assertionMethod of
// the DID named in iss (did.ResolveVerificationMethod), requires the three
// JWS segments to be canonical base64url, checks the EdDSA or
// ES256 signature, parses the claims strictly, and checks their age.
//
// Errors wrap [ErrInvalidRoot] (malformed, wrong type or issuer, bad
// signature, sequence below MinSequence, iat in the future), the did
// package's resolution errors, or are a [*StaleRootError] (wrapping
// [ErrStaleRoot]) for a root older than MaxAge. Claims are returned only on
// success.
func VerifySignedRoot(ctx context.Context, r did.Resolver, token string, opts VerifyRootOptions) (*RootClaims, error) {
	if len(token) > maxSignedRootLen {
		return nil, fmt.Errorf("%w: token too long", ErrInvalidRoot)
	}
	// go-jose decodes the segments leniently and the header with its own
	// JSON reader: refuse non-canonical segments and a header with
	// duplicate members (also after unescaping) first.
	hb, _, _, err := jws.Split(token)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidRoot, err)
	}
	var hdr map[string]jsontext.Value
	if err := strictjson.Unmarshal(hb, &hdr); err != nil {
		return nil, fmt.Errorf("%w: header: %v", ErrInvalidRoot, err)
	}
	obj, err := jose.ParseSignedCompact(token, []jose.SignatureAlgorithm{jose.EdDSA, jose.ES256})
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidRoot, err)
	}
	if len(obj.Signatures) != 1 {
		return nil, fmt.Errorf("%w: want one signature", ErrInvalidRoot)
	}
	h := obj.Signatures[0].Protected
	if typ, _ := h.ExtraHeaders[jose.HeaderType].(string); typ != RootType {
		return nil, fmt.Errorf("%w: typ %q, want %q", ErrInvalidRoot, typ, RootType)
	}
	u, err := did.ParseURL(h.KeyID)
	if err != nil {
		return nil, fmt.Errorf("%w: kid: %w", ErrInvalidRoot, err)
	}
	if u.Fragment == "" {
		return nil, fmt.Errorf("%w: kid is not a DID URL with a fragment", ErrInvalidRoot)
	}
	issuer := u.DID.String()
	if opts.Issuer != "" && opts.Issuer != issuer {
		return nil, fmt.Errorf("%w: signed by %q, want issuer %q", ErrInvalidRoot, issuer, opts.Issuer)
	}
	vm, _, err := did.ResolveVerificationMethod(ctx, r, h.KeyID, did.AssertionMethod)
	if err != nil {
		return nil, fmt.Errorf("status: signed root key: %w", err)
	}
	pub, err := vm.PublicKey()
	if err != nil {
		return nil, fmt.Errorf("status: signed root key: %w", err)
	}
	alg, err := algFor(pub)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidRoot, err)
	}
	if h.Algorithm != string(alg) {
		return nil, fmt.Errorf("%w: alg %q does not match the %s key", ErrInvalidRoot, h.Algorithm, alg)
	}
	payload, err := obj.Verify(pub)
	if err != nil {
		return nil, fmt.Errorf("%w: signature: %v", ErrInvalidRoot, err)
	}
	c, err := parseRootClaims(payload)
	if err != nil {
		return nil, err
	}
	if c.Issuer != issuer {
		return nil, fmt.Errorf("%w: iss %q differs from the key's DID %q", ErrInvalidRoot, c.Issuer, issuer)
	}
	if c.Sequence < opts.MinSequence {
		return nil, fmt.Errorf("%w: sequence %d below %d (rollback)", ErrInvalidRoot, c.Sequence, opts.MinSequence)
	}
	now := time.Now
	if opts.Now != nil {
		now = opts.Now
	}
	maxAge, skew := opts.MaxAge, opts.MaxClockSkew
	if maxAge == 0 {
		maxAge = DefaultMaxRootAge
	}
	if skew == 0 {
		skew = time.Minute
	}
	age := c.Age(now())
	if age < -skew {
		return nil, fmt.Errorf("%w: issued %s in the future", ErrInvalidRoot, -age)
	}
	if age > maxAge {
		return nil, &StaleRootError{Age: age, MaxAge: maxAge}
	}
	return c, nil
}
