package did

import (
	"bytes"
	"crypto"
	"crypto/ed25519"
	"errors"
	"fmt"
	"math/big"
	"slices"

	"filippo.io/edwards25519"
	"github.com/decred/dcrd/dcrec/secp256k1/v4"
)

// The point checks the standard library does not expose, done with
// maintained libraries: Ed25519 point validation with
// filippo.io/edwards25519, secp256k1 decompression with
// github.com/decred/dcrd/dcrec/secp256k1/v4. Our own code checks only what
// those libraries deliberately accept (edwards25519's SetBytes takes
// non-canonical encodings, as crypto/ed25519 does).

// p25519LE is 2^255-19, little-endian.
var p25519LE = [32]byte{0xed, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f}

// lessThanP25519 reports whether the 32-byte little-endian b is below
// 2^255-19 (variable time: public keys only).
func lessThanP25519(b []byte) bool {
	for i := 31; i >= 0; i-- {
		if b[i] != p25519LE[i] {
			return b[i] < p25519LE[i]
		}
	}
	return false
}

// edOrderMinus1 is l-1, where l = 2^252 + 27742317777372353535851937790883648493
// is the order of the Ed25519 prime-order subgroup. [l-1]P + P = [l]P, which is
// the identity exactly for P in that subgroup; a scalar holds l-1 but not l.
var edOrderMinus1 = func() *edwards25519.Scalar {
	b := [32]byte{0xec, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10}
	s, err := edwards25519.NewScalar().SetCanonicalBytes(b[:])
	if err != nil {
		panic("did: internal error: l-1 is not a canonical scalar")
	}
	return s
}()

// parseEd25519 accepts a 32-byte Ed25519 public key only if it is the
// canonical encoding (RFC 8032 §5.1.3: y < p, no "negative zero" x) of a
// point on the curve that lies in the prime-order subgroup and is not the
// identity. That rejects the eight small-order points, such as the
// identity key of did:key:z6MkeXATEjyXENzBXBxgC5EHk2JE5aqd7qMGGtDpLUH1e2Sj
// with which an all-zero signature verifies for any message, and
// mixed-order points.
func parseEd25519(b []byte) (crypto.PublicKey, error) {
	if _, err := edwardsPoint(b); err != nil {
		return nil, err
	}
	return ed25519.PublicKey(slices.Clone(b)), nil
}

// edwardsPoint decodes and checks b as [parseEd25519] describes.
func edwardsPoint(b []byte) (*edwards25519.Point, error) {
	if len(b) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("%w: Ed25519 key is 32 bytes, got %d", ErrInvalidKeyLength, len(b))
	}
	var y [32]byte
	copy(y[:], b)
	y[31] &= 0x7f
	if !lessThanP25519(y[:]) {
		return nil, fmt.Errorf("%w: non-canonical Ed25519 encoding (y >= p)", ErrInvalidKey)
	}
	pt, err := new(edwards25519.Point).SetBytes(b)
	if err != nil {
		return nil, fmt.Errorf("%w: Ed25519 point not on the curve", ErrInvalidKey)
	}
	// With y < p, the only other non-canonical encodings SetBytes accepts
	// have x = 0 and the sign bit set; the canonical re-encoding differs.
	if !bytes.Equal(pt.Bytes(), b) {
		return nil, fmt.Errorf("%w: non-canonical Ed25519 encoding (negative zero)", ErrInvalidKey)
	}
	id := edwards25519.NewIdentityPoint()
	if new(edwards25519.Point).MultByCofactor(pt).Equal(id) == 1 {
		return nil, fmt.Errorf("%w: Ed25519 key of small order", ErrInvalidKey)
	}
	lp := new(edwards25519.Point).ScalarMult(edOrderMinus1, pt)
	if lp.Add(lp, pt).Equal(id) != 1 {
		return nil, fmt.Errorf("%w: Ed25519 key not in the prime-order subgroup (mixed order)", ErrInvalidKey)
	}
	return pt, nil
}

// Secp256k1PublicKey is a point of the secp256k1 curve (SEC 2), which the
// standard library does not provide. did:key resolves such keys; this
// package does not verify secp256k1 signatures.
type Secp256k1PublicKey struct {
	x, y *big.Int
}

// ParseSecp256k1PublicKey decodes a 33-byte SEC 1 compressed point
// (prefix 02 or 03, x below the field prime, on the curve).
// Errors wrap [ErrInvalidKey].
func ParseSecp256k1PublicKey(b []byte) (*Secp256k1PublicKey, error) {
	if len(b) != 33 {
		return nil, fmt.Errorf("%w: secp256k1 compressed point is 33 bytes, got %d", ErrInvalidKeyLength, len(b))
	}
	if b[0] != 2 && b[0] != 3 {
		return nil, fmt.Errorf("%w: secp256k1 point is not in compressed form", ErrInvalidKey)
	}
	// Length and prefix are checked above, so ParsePubKey takes the
	// compressed path only: x < p, then the square root of x^3 + 7.
	k, err := secp256k1.ParsePubKey(b)
	if err != nil {
		return nil, secp256k1Err(err)
	}
	return &Secp256k1PublicKey{x: k.X(), y: k.Y()}, nil
}

func secp256k1Err(err error) error {
	switch {
	case errors.Is(err, secp256k1.ErrPubKeyXTooBig), errors.Is(err, secp256k1.ErrPubKeyYTooBig):
		return fmt.Errorf("%w: non-canonical secp256k1 coordinate (>= p)", ErrInvalidKey)
	case errors.Is(err, secp256k1.ErrPubKeyNotOnCurve):
		return fmt.Errorf("%w: secp256k1 point not on the curve", ErrInvalidKey)
	}
	return fmt.Errorf("%w: secp256k1: %v", ErrInvalidKey, err)
}

// newSecp256k1PublicKey checks that (x, y) is on the curve.
func newSecp256k1PublicKey(x, y *big.Int) (*Secp256k1PublicKey, error) {
	if x == nil || y == nil || x.Sign() < 0 || y.Sign() < 0 || x.BitLen() > 256 || y.BitLen() > 256 {
		return nil, fmt.Errorf("%w: secp256k1 coordinates out of range", ErrInvalidKey)
	}
	var b [65]byte
	b[0] = secp256k1.PubKeyFormatUncompressed
	x.FillBytes(b[1:33])
	y.FillBytes(b[33:])
	k, err := secp256k1.ParsePubKey(b[:])
	if err != nil {
		return nil, secp256k1Err(err)
	}
	return &Secp256k1PublicKey{x: k.X(), y: k.Y()}, nil
}

// X returns a copy of the x-coordinate.
func (k *Secp256k1PublicKey) X() *big.Int { return new(big.Int).Set(k.x) }

// Y returns a copy of the y-coordinate.
func (k *Secp256k1PublicKey) Y() *big.Int { return new(big.Int).Set(k.y) }

// Bytes returns the 33-byte SEC 1 compressed encoding.
func (k *Secp256k1PublicKey) Bytes() []byte {
	b := make([]byte, 33)
	b[0] = 2 | byte(k.y.Bit(0))
	k.x.FillBytes(b[1:])
	return b
}

// Equal reports whether k and o are the same key.
func (k *Secp256k1PublicKey) Equal(o crypto.PublicKey) bool {
	ok, isK := o.(*Secp256k1PublicKey)
	return isK && k != nil && ok != nil && k.x.Cmp(ok.x) == 0 && k.y.Cmp(ok.y) == 0
}
