package did

import (
	"context"
	"crypto"
	"crypto/ed25519"
	"errors"
	"math/big"
	"testing"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/consensys/gnark-crypto/ecc/bn254/twistededwards"
)

// testZKKey returns [s]G for the curve's prime-order base point G.
func testZKKey(t testing.TB, s int64) *ZKPublicKey {
	t.Helper()
	c := twistededwards.GetEdwardsCurve()
	var p twistededwards.PointAffine
	p.ScalarMultiplication(&c.Base, big.NewInt(s))
	k, err := NewZKPublicKey(p)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestZKPublicKeyRoundTrip(t *testing.T) {
	k := testZKKey(t, 123456789)
	k2, err := ParseZKPublicKey(k.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if !k.Equal(k2) {
		t.Fatal("not equal after round trip")
	}
	p := k.Point()
	if !p.Equal(&k2.p) {
		t.Fatal("Point differs")
	}
	if k.Equal(testZKKey(t, 2)) {
		t.Fatal("different keys compare equal")
	}
}

func TestZKPublicKeyRejects(t *testing.T) {
	c := twistededwards.GetEdwardsCurve()
	good := testZKKey(t, 5).Bytes()

	// Identity (0, 1).
	var id twistededwards.PointAffine
	id.X.SetZero()
	id.Y.SetOne()
	idEnc := id.Bytes()

	// A point of order 2: (0, -1).
	var two twistededwards.PointAffine
	two.Y.SetOne()
	two.Y.Neg(&two.Y)
	twoEnc := two.Bytes()

	// A mixed-order point: base + (0, -1).
	var mixed twistededwards.PointAffine
	mixed.Add(&c.Base, &two)
	mixedEnc := mixed.Bytes()

	// Non-canonical: y + r, which SetBytes would reduce to the same y.
	nonCanon := func() []byte {
		k := testZKKey(t, 9)
		p := k.Point()
		y := p.Y.BigInt(new(big.Int))
		y.Add(y, fr.Modulus())
		if y.BitLen() > 255 {
			return nil
		}
		b := make([]byte, 32)
		y.FillBytes(b)
		for i, j := 0, 31; i < j; i, j = i+1, j-1 {
			b[i], b[j] = b[j], b[i]
		}
		enc := k.Bytes()
		b[31] |= enc[31] & 0x80
		return b
	}()

	// Non-canonical sign: x = 0 with the sign bit set (identity).
	negZero := idEnc
	negZero[31] |= 0x80

	// Off curve: a y for which x^2 is not a square.
	var off []byte
	for i := byte(2); ; i++ {
		b := make([]byte, 32)
		b[0] = i
		var p twistededwards.PointAffine
		p.SetBytes(b)
		if !p.IsOnCurve() {
			off = b
			break
		}
	}

	for _, tc := range []struct {
		name string
		in   []byte
	}{
		// Bad lengths
		{"empty", nil},
		{"short", good[:31]},
		{"long", append(append([]byte{}, good...), 0)},
		// Small order and identity
		{"identity", idEnc[:]},
		{"order 2", twoEnc[:]},
		{"mixed order", mixedEnc[:]},
		// Non-canonical encodings
		{"y + r", nonCanon},
		{"negative zero", negZero[:]},
		// Points not on the curve
		{"off curve", off},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.in == nil && tc.name != "empty" {
				t.Skip("no such encoding")
			}
			k, err := ParseZKPublicKey(tc.in)
			if !errors.Is(err, ErrInvalidKey) || k != nil {
				t.Fatalf("got %v, %v; want ErrInvalidKey", k, err)
			}
		})
	}
	for _, p := range []twistededwards.PointAffine{id, two, mixed} {
		if _, err := NewZKPublicKey(p); !errors.Is(err, ErrInvalidKey) {
			t.Fatalf("NewZKPublicKey accepted %v", p)
		}
	}
}

func TestResolveZKKey(t *testing.T) {
	const id = "did:example:zkissuer"
	zk := testZKKey(t, 77)
	doc := &Document{Context: []any{ContextDIDv1, ContextMultikey}, ID: id}
	add := func(frag string, pub crypto.PublicKey, rel Relationship) {
		vm, err := NewMultikeyMethod(id+"#"+frag, id, pub)
		if err != nil {
			t.Fatal(err)
		}
		if err := doc.AddVerificationMethod(vm, rel); err != nil {
			t.Fatal(err)
		}
	}
	add("zk", zk, AssertionMethod)
	add("jose", ed25519.NewKeyFromSeed(make([]byte, 32)).Public(), AssertionMethod)
	add("auth", testZKKey(t, 78), Authentication)
	r, err := NewStaticResolver(doc)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	got, err := ResolveZKKey(ctx, r, id+"#zk")
	if err != nil || !got.Equal(zk) {
		t.Fatalf("ResolveZKKey = %v, %v", got, err)
	}
	for _, tc := range []struct {
		keyID string
		want  error
	}{
		// An Ed25519 key is not a ZK key.
		{id + "#jose", ErrUnsupportedKey},
		// A ZK key outside assertionMethod cannot sign credentials.
		{id + "#auth", ErrNotInRelationship},
		// No such method.
		{id + "#nope", ErrNotFound},
		// A DID, not a DID URL.
		{id, ErrInvalidDIDURL},
	} {
		if k, err := ResolveZKKey(ctx, r, tc.keyID); !errors.Is(err, tc.want) || k != nil {
			t.Errorf("ResolveZKKey(%q) = %v, %v; want %v", tc.keyID, k, err, tc.want)
		}
	}
}
