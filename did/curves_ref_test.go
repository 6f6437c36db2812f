package did

import (
	"crypto"
	"crypto/ed25519"
	"fmt"
	"math/big"
	"slices"
)

// The math/big implementation of the Ed25519 and secp256k1 point checks
// that did/curves.go had before it used filippo.io/edwards25519 and
// github.com/decred/dcrd/dcrec/secp256k1/v4: written from RFC 8032 §5.1.3
// and SEC 1 §2.3.4, kept as an independent reference that the library-based
// checks are compared with (TestEd25519VsReference, TestSecp256k1VsReference),
// and used by the rejection tests to build points.

var (
	p25519 = func() *big.Int { p := new(big.Int).Lsh(big.NewInt(1), 255); return p.Sub(p, big.NewInt(19)) }()
	// d25519 = -121665/121666 mod p.
	d25519 = func() *big.Int {
		d := new(big.Int).ModInverse(big.NewInt(121666), p25519)
		d.Mul(d, big.NewInt(-121665))
		return d.Mod(d, p25519)
	}()
	big19    = big.NewInt(19)
	mask255  = new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 255), big.NewInt(1))
	d2x25519 = new(big.Int).Mod(new(big.Int).Lsh(d25519, 1), p25519)
	// l25519 is the order of the Ed25519 prime-order subgroup.
	l25519, _ = new(big.Int).SetString("7237005577332262213973186563042994240857116359379907606001950938285454250989", 10)

	pSecp256k1, _ = new(big.Int).SetString("fffffffffffffffffffffffffffffffffffffffffffffffffffffffefffffc2f", 16)
)

// refLessThanP25519 reports whether the 32-byte little-endian b is below
// 2^255-19.
func refLessThanP25519(b []byte) bool {
	return leInt(b).Cmp(p25519) < 0
}

func leInt(b []byte) *big.Int {
	be := slices.Clone(b)
	slices.Reverse(be)
	return new(big.Int).SetBytes(be)
}

// refParseEd25519 accepts a 32-byte Ed25519 public key only if it is the
// canonical encoding (RFC 8032 §5.1.3: y < p, no "negative zero" x) of a
// point on the curve that lies in the prime-order subgroup and is not the
// identity. That rejects the eight small-order points, such as the
// identity key of did:key:z6MkeXATEjyXENzBXBxgC5EHk2JE5aqd7qMGGtDpLUH1e2Sj
// with which an all-zero signature verifies for any message, and
// mixed-order points.
func refParseEd25519(b []byte) (crypto.PublicKey, error) {
	if len(b) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("%w: Ed25519 key is 32 bytes, got %d", ErrInvalidKeyLength, len(b))
	}
	yb := slices.Clone(b)
	sign := yb[31] >> 7
	yb[31] &= 0x7f
	y := leInt(yb)
	p := p25519
	if y.Cmp(p) >= 0 {
		return nil, fmt.Errorf("%w: non-canonical Ed25519 encoding (y >= p)", ErrInvalidKey)
	}
	// x^2 = (y^2 - 1) / (d y^2 + 1)
	y2 := new(big.Int).Mul(y, y)
	y2.Mod(y2, p)
	num := new(big.Int).Sub(y2, big.NewInt(1))
	num.Mod(num, p)
	den := new(big.Int).Mul(d25519, y2)
	den.Add(den, big.NewInt(1))
	den.Mod(den, p)
	den.ModInverse(den, p)
	x2 := num.Mul(num, den)
	x2.Mod(x2, p)
	x := new(big.Int).ModSqrt(x2, p)
	if x == nil {
		return nil, fmt.Errorf("%w: Ed25519 point not on the curve", ErrInvalidKey)
	}
	if x.Sign() == 0 && sign == 1 {
		return nil, fmt.Errorf("%w: non-canonical Ed25519 encoding (negative zero)", ErrInvalidKey)
	}
	if x.Bit(0) != uint(sign) {
		x.Sub(p, x)
	}
	if x.Sign() == 0 && y.Cmp(big.NewInt(1)) == 0 {
		return nil, fmt.Errorf("%w: Ed25519 key is the identity (small order)", ErrInvalidKey)
	}
	pt := edPoint{x, y, big.NewInt(1), new(big.Int).Mod(new(big.Int).Mul(x, y), p)}
	if !pt.scalarMult(l25519).isIdentity() {
		return nil, fmt.Errorf("%w: Ed25519 key not in the prime-order subgroup (small or mixed order)", ErrInvalidKey)
	}
	return ed25519.PublicKey(slices.Clone(b)), nil
}

// edPoint is an Ed25519 point in extended coordinates (X:Y:Z:T).
type edPoint struct{ x, y, z, t *big.Int }

// edArith holds the temporaries of the point formulas, so a scalar
// multiplication does not allocate per step.
type edArith struct {
	a, b, c, d, e, f, g, h, q big.Int
	d2                        *big.Int
}

// mul sets z = x*y mod p, for x, y in [0, p), reducing with
// 2^255 = 19 (mod p).
func (s *edArith) mul(z, x, y *big.Int) {
	z.Mul(x, y)
	for z.BitLen() > 255 {
		s.q.Rsh(z, 255)
		z.And(z, mask255)
		z.Add(z, s.q.Mul(&s.q, big19))
	}
	if z.Cmp(p25519) >= 0 {
		z.Sub(z, p25519)
	}
}

// sub sets z = x-y mod p, for x, y in [0, p).
func sub25519(z, x, y *big.Int) {
	z.Sub(x, y)
	if z.Sign() < 0 {
		z.Add(z, p25519)
	}
}

// add sets z = x+y mod p, for x, y in [0, p).
func add25519(z, x, y *big.Int) {
	z.Add(x, y)
	if z.Cmp(p25519) >= 0 {
		z.Sub(z, p25519)
	}
}

// addTo sets r = r + o (add-2008-hwcd-3, a = -1; also valid for r == o).
func (s *edArith) addTo(r, o *edPoint) {
	sub25519(&s.e, r.y, r.x)
	sub25519(&s.f, o.y, o.x)
	s.mul(&s.a, &s.e, &s.f)
	add25519(&s.e, r.y, r.x)
	add25519(&s.f, o.y, o.x)
	s.mul(&s.b, &s.e, &s.f)
	s.mul(&s.c, r.t, o.t)
	s.mul(&s.c, &s.c, s.d2)
	s.mul(&s.d, r.z, o.z)
	add25519(&s.d, &s.d, &s.d)
	sub25519(&s.e, &s.b, &s.a)
	sub25519(&s.f, &s.d, &s.c)
	add25519(&s.g, &s.d, &s.c)
	add25519(&s.h, &s.b, &s.a)
	s.mul(r.x, &s.e, &s.f)
	s.mul(r.y, &s.g, &s.h)
	s.mul(r.t, &s.e, &s.h)
	s.mul(r.z, &s.f, &s.g)
}

// double sets r = 2r (dbl-2008-hwcd, a = -1).
func (s *edArith) double(r *edPoint) {
	s.mul(&s.a, r.x, r.x)
	s.mul(&s.b, r.y, r.y)
	s.mul(&s.c, r.z, r.z)
	add25519(&s.c, &s.c, &s.c)
	add25519(&s.e, r.x, r.y)
	s.mul(&s.e, &s.e, &s.e)
	sub25519(&s.e, &s.e, &s.a)
	sub25519(&s.e, &s.e, &s.b) // E = 2XY
	sub25519(&s.g, &s.b, &s.a) // G = D + B with D = -A
	sub25519(&s.f, &s.g, &s.c) // F = G - C
	add25519(&s.h, &s.a, &s.b)
	sub25519(&s.h, big.NewInt(0), &s.h) // H = D - B = -(A + B)
	s.mul(r.x, &s.e, &s.f)
	s.mul(r.y, &s.g, &s.h)
	s.mul(r.t, &s.e, &s.h)
	s.mul(r.z, &s.f, &s.g)
}

func (a edPoint) add(b edPoint) edPoint {
	r := edPoint{new(big.Int).Set(a.x), new(big.Int).Set(a.y), new(big.Int).Set(a.z), new(big.Int).Set(a.t)}
	s := &edArith{d2: d2x25519}
	s.addTo(&r, &b)
	return r
}

// scalarMult returns [k]a (double-and-add; variable time, public input).
func (a edPoint) scalarMult(k *big.Int) edPoint {
	r := edPoint{big.NewInt(0), big.NewInt(1), big.NewInt(1), big.NewInt(0)}
	s := &edArith{d2: d2x25519}
	for i := k.BitLen() - 1; i >= 0; i-- {
		s.double(&r)
		if k.Bit(i) == 1 {
			s.addTo(&r, &a)
		}
	}
	return r
}

func (a edPoint) isIdentity() bool { return a.x.Sign() == 0 && a.y.Cmp(a.z) == 0 }

// refParseSecp256k1 decodes a 33-byte SEC 1 compressed point.
// Errors wrap [ErrInvalidKey].
func refParseSecp256k1(b []byte) (*Secp256k1PublicKey, error) {
	if len(b) != 33 {
		return nil, fmt.Errorf("%w: secp256k1 compressed point is 33 bytes, got %d", ErrInvalidKeyLength, len(b))
	}
	if b[0] != 2 && b[0] != 3 {
		return nil, fmt.Errorf("%w: secp256k1 point is not in compressed form", ErrInvalidKey)
	}
	p := pSecp256k1
	x := new(big.Int).SetBytes(b[1:])
	if x.Cmp(p) >= 0 {
		return nil, fmt.Errorf("%w: non-canonical secp256k1 x-coordinate", ErrInvalidKey)
	}
	rhs := new(big.Int).Exp(x, big.NewInt(3), p)
	rhs.Add(rhs, big.NewInt(7)).Mod(rhs, p)
	y := new(big.Int).ModSqrt(rhs, p)
	if y == nil {
		return nil, fmt.Errorf("%w: secp256k1 point not on the curve", ErrInvalidKey)
	}
	if y.Bit(0) != uint(b[0]&1) {
		y.Sub(p, y)
	}
	return &Secp256k1PublicKey{x: x, y: y}, nil
}

// refNewSecp256k1 checks that (x, y) is on the curve.
func refNewSecp256k1(x, y *big.Int) (*Secp256k1PublicKey, error) {
	p := pSecp256k1
	if x == nil || y == nil || x.Sign() < 0 || y.Sign() < 0 || x.Cmp(p) >= 0 || y.Cmp(p) >= 0 {
		return nil, fmt.Errorf("%w: secp256k1 coordinates out of range", ErrInvalidKey)
	}
	lhs := new(big.Int).Mul(y, y)
	lhs.Mod(lhs, p)
	rhs := new(big.Int).Exp(x, big.NewInt(3), p)
	rhs.Add(rhs, big.NewInt(7)).Mod(rhs, p)
	if lhs.Cmp(rhs) != 0 {
		return nil, fmt.Errorf("%w: secp256k1 point not on the curve", ErrInvalidKey)
	}
	return &Secp256k1PublicKey{x: new(big.Int).Set(x), y: new(big.Int).Set(y)}, nil
}
