package zkp

import (
	"errors"
	"fmt"

	"github.com/consensys/gnark-crypto/ecc/bn254/twistededwards"
)

// ErrInvalidIssuerKey is returned for an issuer ZK key that is not a
// canonical point of the prime-order subgroup (small-order points and the
// identity let anyone forge signatures that the circuit's EdDSA accepts).
var ErrInvalidIssuerKey = errors.New("zkp: invalid issuer key")

// IssuerKey is a validated issuer ZK public key: a point of the BN254
// twisted-Edwards curve in its prime-order subgroup, not the identity.
// The zero value is invalid.
type IssuerKey struct {
	p  twistededwards.PointAffine
	ok bool
}

// NewIssuerKey validates p.
func NewIssuerKey(p twistededwards.PointAffine) (IssuerKey, error) {
	if !p.IsOnCurve() {
		return IssuerKey{}, fmt.Errorf("%w: not on the curve", ErrInvalidIssuerKey)
	}
	if p.IsZero() {
		return IssuerKey{}, fmt.Errorf("%w: identity", ErrInvalidIssuerKey)
	}
	var q twistededwards.PointAffine
	params := twistededwards.GetEdwardsCurve()
	q.ScalarMultiplication(&p, &params.Order)
	if !q.IsZero() {
		return IssuerKey{}, fmt.Errorf("%w: not in the prime-order subgroup", ErrInvalidIssuerKey)
	}
	return IssuerKey{p: p, ok: true}, nil
}

// ParseIssuerKey parses a 32-byte compressed point (gnark-crypto
// PointAffine.Bytes) and validates it.
func ParseIssuerKey(b []byte) (IssuerKey, error) {
	if len(b) != 32 {
		return IssuerKey{}, fmt.Errorf("%w: length %d, want 32", ErrInvalidIssuerKey, len(b))
	}
	var p twistededwards.PointAffine
	if _, err := p.SetBytes(b); err != nil {
		return IssuerKey{}, fmt.Errorf("%w: %v", ErrInvalidIssuerKey, err)
	}
	// Reject non-canonical encodings: the re-encoding must match.
	if enc := p.Bytes(); string(enc[:]) != string(b) {
		return IssuerKey{}, fmt.Errorf("%w: non-canonical encoding", ErrInvalidIssuerKey)
	}
	return NewIssuerKey(p)
}

// Point returns the key's point.
func (k IssuerKey) Point() twistededwards.PointAffine { return k.p }

// Bytes returns the 32-byte compressed encoding.
func (k IssuerKey) Bytes() []byte { b := k.p.Bytes(); return b[:] }

func (k IssuerKey) err() error {
	if !k.ok {
		return fmt.Errorf("%w: zero value", ErrInvalidIssuerKey)
	}
	return nil
}
