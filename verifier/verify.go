package verifier

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"slices"
	"time"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"

	"github.com/zkcred/zkcred/credential"
	"github.com/zkcred/zkcred/credential/status"
	"github.com/zkcred/zkcred/did"
	"github.com/zkcred/zkcred/verifier/protocol"
	"github.com/zkcred/zkcred/zkp"
)

// RootSource supplies an issuer's current signed revocation root: a compact
// JWS as made by status.SignRoot (see status.RootClaims). The verifier
// checks its signature, issuer and age itself, so the source need not be
// trusted (an HTTP fetch from the issuer, a cache, a test fixture).
type RootSource interface {
	SignedRoot(ctx context.Context, issuer string) (string, error)
}

// RootSourceFunc adapts a function to [RootSource].
type RootSourceFunc func(ctx context.Context, issuer string) (string, error)

// SignedRoot implements [RootSource].
func (f RootSourceFunc) SignedRoot(ctx context.Context, issuer string) (string, error) {
	return f(ctx, issuer)
}

// Result is the outcome of an accepted presentation.
type Result struct {
	RequestID string `json:"requestId"`
	// Issuer is the issuer's DID and IssuerKey the DID URL of its ZK key.
	Issuer    string             `json:"issuer"`
	IssuerKey string             `json:"issuerKey"`
	Schema    protocol.SchemaRef `json:"schema"`
	// Predicates are the request's predicates, all proven.
	Predicates []protocol.Predicate `json:"predicates"`
	// Disclosed maps attribute names to their values (numbers, "YYYY-MM-DD"
	// dates, booleans, enum strings).
	Disclosed map[string]any `json:"disclosed,omitempty"`
	// Scope and Nullifier (64 hex digits) are set for scoped requests.
	Scope     string `json:"scope,omitempty"`
	Nullifier string `json:"nullifier,omitempty"`
	// RevocationSequence and RevocationIssuedAt identify the signed root
	// the credential was shown unrevoked against.
	RevocationSequence uint64    `json:"revocationSequence"`
	RevocationIssuedAt time.Time `json:"revocationIssuedAt"`
	VerifiedAt         time.Time `json:"verifiedAt"`
}

// Verify checks a submission (see [Submission]) answering req, a request
// this verifier issued, and on success records the answer: the request is
// then answered (later submissions get [ErrReplay]) and, for a scoped
// request, the nullifier is recorded (a second one gets
// [ErrDuplicateNullifier]), atomically.
//
// Steps: strict decoding ([ErrMalformedPresentation]); the request is known
// and matches the stored one ([ErrUnknownRequest]), unexpired
// ([ErrExpiredRequest]) and unanswered ([ErrReplay]); the issuer is one the
// request trusts and its key is a valid ZK key in its DID document's
// assertionMethod ([ErrUntrustedIssuer]); its signed revocation root checks
// and is fresh enough ([ErrStaleRoot]); the proof verifies against the
// statement computed here from the request, the issuer's key and the root,
// never from the presentation ([ErrInvalidProof]). Without Config.Roots the
// root is the issuer's latest witnessed checkpoint ([ErrUnwitnessed]), and
// only after the proof verified is it checked for consistency with the
// stored checkpoint ([ErrSplitView]) and the issuer's keys against its
// keys log ([ErrUnloggedKey]), as [Verifier.VerifyResponse] does. Replay protection is
// keyed on the nonce and the nullifier, never on proof bytes.
func (v *Verifier) Verify(ctx context.Context, req *protocol.Request, submission []byte) (*Result, error) {
	if req == nil {
		return nil, ErrUnknownRequest
	}
	stored, err := v.cfg.Store.GetRequest(ctx, req.ID)
	if err != nil {
		return nil, err
	}
	body, err := req.JSON()
	if err != nil {
		return nil, err
	}
	if !bytes.Equal(body, stored.Body) {
		return nil, fmt.Errorf("%w: request differs from the one issued as %s", ErrUnknownRequest, req.ID)
	}
	return v.verifyStored(ctx, stored, submission)
}

// VerifyID is [Verifier.Verify] for the request with the given id.
func (v *Verifier) VerifyID(ctx context.Context, id string, submission []byte) (*Result, error) {
	if id == "" || len(id) > maxIDLen {
		return nil, ErrUnknownRequest
	}
	stored, err := v.cfg.Store.GetRequest(ctx, id)
	if err != nil {
		return nil, err
	}
	return v.verifyStored(ctx, stored, submission)
}

func (v *Verifier) verifyStored(ctx context.Context, stored *StoredRequest, submission []byte) (*Result, error) {
	now := v.cfg.Now()
	if isOpenID4VP(stored.Body) {
		return nil, fmt.Errorf("%w: %s is an OpenID4VP request (see VerifyResponse)", ErrUnknownRequest, stored.ID)
	}
	req, err := protocol.ParseRequest(stored.Body)
	if err != nil {
		return nil, fmt.Errorf("%w: stored request %s does not parse: %v", ErrStore, stored.ID, err)
	}
	// Cheap checks first; Store.Answer repeats them atomically.
	if now.Unix() >= req.ExpiresAt {
		return nil, fmt.Errorf("%w: expired at %s", ErrExpiredRequest, time.Unix(req.ExpiresAt, 0).UTC().Format(time.RFC3339))
	}
	if !stored.AnsweredAt.IsZero() {
		return nil, ErrReplay
	}

	sub, pres, err := protocol.ParseSubmission(submission, v.cfg.Key)
	if err != nil {
		return nil, err
	}

	// Compiled once per request (when issued, see hotcache.go); the
	// cached parts are a function of the stored body alone.
	compiled, err := v.compiled(stored.Body)
	if err != nil {
		return nil, err
	}

	issuer, issuerKey, err := v.issuerKey(ctx, req, sub.Issuer)
	if err != nil {
		return nil, err
	}
	// The same checks in the same order as the OpenID4VP path
	// (verifyPresentation): the root's signature, quorum, freshness and
	// floor; then the proof; only then the keys log, the checkpoint's
	// consistency with the stored one and the store's advance (settle).
	root, settle, err := v.revocationRoot(ctx, req, issuer, sub.Issuer, issuerKey)
	if err != nil {
		return nil, err
	}

	st := compiled.Statement(issuerKey, root.Root)
	if err := zkp.Verify(v.cfg.Key, st, pres); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidProof, err)
	}
	if err := settle(ctx); err != nil {
		return nil, err
	}

	res, err := v.result(req, compiled, sub, issuer, root, pres, now)
	if err != nil {
		return nil, err
	}
	var nullifier []byte
	if req.Scope != "" {
		b := pres.Nullifier.Bytes()
		nullifier = b[:]
	}
	// The answer, the nullifier and the issuer's raised revocation floor are
	// recorded in one store transaction, which also refuses a root below a
	// floor raised meanwhile (by this or another instance).
	err = v.cfg.Store.Answer(ctx, &AnswerRecord{
		RequestID: req.ID, At: now, Scope: req.Scope, Nullifier: nullifier,
		Issuer: issuer, RootSequence: root.Sequence,
	})
	if err != nil {
		return nil, err
	}
	v.cfg.Logger.InfoContext(ctx, "verifier: presentation accepted", "request", req.ID, "issuer", issuer)
	return res, nil
}

// issuerKey checks that keyID names a ZK key of an issuer the request
// trusts, in its DID document's assertionMethod, and returns the issuer DID
// and the key.
func (v *Verifier) issuerKey(ctx context.Context, req *protocol.Request, keyID string) (string, *did.ZKPublicKey, error) {
	u, err := did.ParseURL(keyID)
	if err != nil {
		return "", nil, fmt.Errorf("%w: issuer key id: %w", protocol.ErrMalformedPresentation, err)
	}
	issuer := u.DID.String()
	trusted := false
	for _, iss := range req.Issuers {
		trusted = trusted || iss == issuer
	}
	if !trusted {
		return "", nil, fmt.Errorf("%w: %s is not trusted by this request", ErrUntrustedIssuer, issuer)
	}
	if pinned, ok := v.cfg.IssuerKeys[issuer]; ok && !slices.Contains(pinned, keyID) {
		return "", nil, fmt.Errorf("%w: %w: %.200s is not among the keys of %s this verifier accepts", ErrUntrustedIssuer, ErrUnpinnedKey, keyID, issuer)
	}
	// did validated the point (canonical, in the prime-order subgroup, not
	// the identity); zkp checks it again where it enters the circuit.
	zk, err := did.ResolveZKKey(ctx, v.cfg.Resolver, keyID)
	if err != nil {
		return "", nil, fmt.Errorf("%w: %w", ErrUntrustedIssuer, err)
	}
	return issuer, zk, nil
}

// revocationRoot fetches and verifies the issuer's signed root: signature
// by the issuer's assertionMethod key, age within the request's maximum,
// depth matching the circuit, sequence not below the floor in the Store
// (the highest accepted so far by any instance sharing it; Store.Answer
// checks it again and raises it atomically with the answer). Without
// Config.Roots it is the issuer's latest witnessed checkpoint
// (latestCheckpointRoot), and settle, which the caller must call once the
// proof verified against the root, checks keyID's zk and the
// checkpoint's signing key against the issuer's keys log, then the
// checkpoint's consistency with the stored one, and advances the store
// last; for a signed
// root settle checks only keyID's zk against the keys log (with Config.Log).
func (v *Verifier) revocationRoot(ctx context.Context, req *protocol.Request, issuer, keyID string, zk *did.ZKPublicKey) (root *status.RootClaims, settle func(context.Context) error, err error) {
	if v.cfg.Roots == nil {
		return v.latestCheckpointRoot(ctx, req, issuer, keyID, zk)
	}
	token, err := v.cfg.Roots.SignedRoot(ctx, issuer)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: fetching the revocation root of %s: %w", ErrStaleRoot, issuer, err)
	}
	root, err = v.verifyRoot(ctx, req, issuer, token)
	if err != nil {
		return nil, nil, err
	}
	return root, v.settleSignedRoot(issuer, keyID, zk), nil
}

// verifyRoot checks a signed root token of issuer as revocationRoot
// describes; the OpenID4VP path gives it the root the holder carries.
func (v *Verifier) verifyRoot(ctx context.Context, req *protocol.Request, issuer, token string) (*status.RootClaims, error) {
	minSeq, err := v.cfg.Store.RootFloor(ctx, issuer)
	if err != nil {
		return nil, err
	}
	opts := status.VerifyRootOptions{
		Issuer:       issuer,
		MaxAge:       time.Duration(req.MaxRootAge) * time.Second,
		MinSequence:  minSeq,
		MaxClockSkew: rootMaxClockSkew,
		Now:          v.cfg.Now,
	}
	// A token whose signature verified recently skips only that: the
	// floor just read, the issuer, the age for this request at this time
	// are checked again (hotcache.go).
	key := sha256.Sum256([]byte(token))
	claims, hit, err := v.cachedRootClaims(key, issuer, opts)
	if !hit {
		claims, err = status.VerifySignedRoot(ctx, v.cfg.Resolver, token, opts)
		if err == nil {
			v.hot.roots.put(key, &cachedRoot{claims: *claims, verified: v.cfg.Now()}, rootCacheSize)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrStaleRoot, err)
	}
	if want := v.cfg.Key.Shape().RevocationDepth; claims.Depth != want {
		return nil, fmt.Errorf("%w: root of a depth-%d tree, circuit has depth %d", ErrStaleRoot, claims.Depth, want)
	}
	return claims, nil
}

// decodeSlot turns a disclosed slot value back into the attribute's JSON
// value (the inverse of credential's encoding for the disclosable types).
func decodeSlot(attr credential.Attribute, e fr.Element) (any, error) {
	if !e.IsUint64() {
		return nil, fmt.Errorf("value does not fit 64 bits")
	}
	n := e.Uint64()
	switch attr.Type {
	case credential.TypeUint:
		if attr.Bits < 64 && n>>attr.Bits != 0 {
			return nil, fmt.Errorf("value wider than %d bits", attr.Bits)
		}
		return n, nil
	case credential.TypeTimestamp:
		return n, nil
	case credential.TypeDate:
		d, err := credential.DecodeDate(n)
		if err != nil {
			return nil, err
		}
		return d.Format(time.DateOnly), nil
	case credential.TypeBool:
		if n > 1 {
			return nil, fmt.Errorf("boolean slot holds %d", n)
		}
		return n == 1, nil
	case credential.TypeEnum:
		if n == 0 || n > uint64(len(attr.Enum)) {
			return nil, fmt.Errorf("enum code %d out of range", n)
		}
		return attr.Enum[n-1], nil
	}
	return nil, fmt.Errorf("attribute type %s is not disclosable", attr.Type)
}

// clonePredicates deep-copies ps, so that a Result never shares a value
// with a cached request.
func clonePredicates(ps []protocol.Predicate) []protocol.Predicate {
	out := slices.Clone(ps)
	for i := range out {
		p := &out[i]
		p.Value, p.Min, p.Max, p.Years = clonePtr(p.Value), clonePtr(p.Min), clonePtr(p.Max), clonePtr(p.Years)
		p.Values = slices.Clone(p.Values)
	}
	return out
}

func clonePtr[T any](p *T) *T {
	if p == nil {
		return nil
	}
	c := *p
	return &c
}
