package did

import (
	"context"
	"crypto/elliptic"
	"errors"
	"math/big"
	"slices"
	"testing"

	"github.com/multiformats/go-multibase"
)

// ed25519Identity is the Ed25519 identity point as a did:key; with it an
// all-zero signature verifies for every message.
const ed25519Identity = "did:key:z6MkeXATEjyXENzBXBxgC5EHk2JE5aqd7qMGGtDpLUH1e2Sj"

func keyDID(codec uint64, raw []byte) string { return "did:key:" + encodeMultikey(codec, raw) }

func keyDIDBytes(b []byte) string {
	s, _ := multibase.Encode(multibase.Base58BTC, b)
	return "did:key:" + s
}

// edEncode encodes an extended Ed25519 point (RFC 8032 §5.1.2).
func edEncode(p edPoint) []byte {
	zi := new(big.Int).ModInverse(p.z, p25519)
	x := new(big.Int).Mul(p.x, zi)
	x.Mod(x, p25519)
	y := new(big.Int).Mul(p.y, zi)
	y.Mod(y, p25519)
	b := y.FillBytes(make([]byte, 32))
	slices.Reverse(b)
	b[31] |= byte(x.Bit(0)) << 7
	return b
}

func TestKeyIdentityDID(t *testing.T) {
	// The vector really is the identity point, 01 00 ... 00.
	_, buf, err := multibase.Decode(ed25519Identity[len("did:key:"):])
	if err != nil || buf[0] != 0xed || buf[1] != 1 || buf[2] != 1 || slices.ContainsFunc(buf[3:], func(b byte) bool { return b != 0 }) {
		t.Fatalf("%x %v", buf, err)
	}
	res, err := (&KeyResolver{}).Resolve(context.Background(), ed25519Identity)
	var re *ResolutionError
	if !errors.Is(err, ErrInvalidKey) || !errors.As(err, &re) || re.Code != CodeInvalidPublicKey || res.Document != nil || res.ResolutionMetadata.Error != CodeInvalidPublicKey {
		t.Fatalf("got %v, %+v", err, res)
	}
}

func TestKeyRejects(t *testing.T) {
	good := mustHex("3b6a27bcceb6a42d62a3a8d02a6f0d73653215771de243a63ac048a18b59da29")
	p256 := mustHex("03" + "8a0ac59a2d3086e8a12a78fd4773a6d52a0ca61ef6c1419e15a05bcc6dafce7b")
	pMinus := func(c elliptic.Curve, prefix byte) []byte { // x = p: out of range
		b := c.Params().P.FillBytes(make([]byte, (c.Params().BitSize+7)/8))
		return append([]byte{prefix}, b...)
	}
	offCurve := func(c elliptic.Curve, size int) []byte {
		for i := int64(1); ; i++ {
			x := big.NewInt(i)
			b := append([]byte{2}, x.FillBytes(make([]byte, size))...)
			if xx, _ := elliptic.UnmarshalCompressed(c, b); xx == nil {
				return b
			}
		}
	}
	secpOff := func() []byte {
		for i := int64(1); ; i++ {
			b := append([]byte{2}, big.NewInt(i).FillBytes(make([]byte, 32))...)
			if _, err := ParseSecp256k1PublicKey(b); err != nil {
				return b
			}
		}
	}()
	base := edPoint{big.NewInt(0), big.NewInt(0), big.NewInt(1), big.NewInt(0)}
	{ // the Ed25519 base point, decoded from the zero-seed key's scalar-free form: use y = 4/5
		y := new(big.Int).Mul(big.NewInt(4), new(big.Int).ModInverse(big.NewInt(5), p25519))
		y.Mod(y, p25519)
		yb := y.FillBytes(make([]byte, 32))
		slices.Reverse(yb)
		if _, err := parseEd25519(yb); err != nil {
			t.Fatalf("base point rejected: %v", err)
		}
		x2 := new(big.Int).Sub(new(big.Int).Mul(y, y), big.NewInt(1))
		d := new(big.Int).Add(new(big.Int).Mul(d25519, new(big.Int).Mul(y, y)), big.NewInt(1))
		x2.Mul(x2, new(big.Int).ModInverse(d.Mod(d, p25519), p25519)).Mod(x2, p25519)
		x := new(big.Int).ModSqrt(x2, p25519)
		if x.Bit(0) == 1 {
			x.Sub(p25519, x)
		}
		base = edPoint{x, y, big.NewInt(1), new(big.Int).Mod(new(big.Int).Mul(x, y), p25519)}
	}
	order2 := edPoint{big.NewInt(0), new(big.Int).Sub(p25519, big.NewInt(1)), big.NewInt(1), big.NewInt(0)}
	mixed := edEncode(base.add(order2))

	for _, tc := range []struct {
		name string
		did  string
		want error
	}{
		// Bad lengths
		{"Ed25519 31 bytes", keyDID(CodecEd25519, good[:31]), ErrInvalidKeyLength},
		{"Ed25519 33 bytes", keyDID(CodecEd25519, append(slices.Clone(good), 0)), ErrInvalidKeyLength},
		{"P-256 uncompressed", keyDID(CodecP256, append([]byte{4}, make([]byte, 64)...)), ErrInvalidKeyLength},
		{"P-256 32 bytes", keyDID(CodecP256, p256[1:]), ErrInvalidKeyLength},
		{"P-384 33 bytes", keyDID(CodecP384, p256), ErrInvalidKeyLength},
		{"secp256k1 32 bytes", keyDID(CodecSecp256k1, p256[1:]), ErrInvalidKeyLength},
		{"X25519 31 bytes", keyDID(CodecX25519, good[:31]), ErrInvalidKeyLength},
		{"ZK 33 bytes", keyDID(CodecZKBN254, p256), ErrInvalidKeyLength},
		{"no key bytes", keyDID(CodecEd25519, nil), ErrInvalidKeyLength},
		// Small order
		{"Ed25519 identity", ed25519Identity, ErrInvalidKey},
		{"Ed25519 order 2", keyDID(CodecEd25519, mustHex("ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f")), ErrInvalidKey},
		{"Ed25519 order 4", keyDID(CodecEd25519, make([]byte, 32)), ErrInvalidKey},
		{"Ed25519 order 4 neg", keyDID(CodecEd25519, mustHex("0000000000000000000000000000000000000000000000000000000000000080")), ErrInvalidKey},
		{"Ed25519 order 8", keyDID(CodecEd25519, mustHex("c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a")), ErrInvalidKey},
		{"Ed25519 order 8 b", keyDID(CodecEd25519, mustHex("26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05")), ErrInvalidKey},
		{"Ed25519 mixed order", keyDID(CodecEd25519, mixed), ErrInvalidKey},
		{"X25519 u=0", keyDID(CodecX25519, make([]byte, 32)), ErrInvalidKey},
		{"X25519 u=1", keyDID(CodecX25519, append([]byte{1}, make([]byte, 31)...)), ErrInvalidKey},
		{"X25519 order 8", keyDID(CodecX25519, x25519LowOrder[2][:]), ErrInvalidKey},
		{"X25519 u=p-1", keyDID(CodecX25519, x25519LowOrder[4][:]), ErrInvalidKey},
		{"ZK identity", keyDID(CodecZKBN254, append([]byte{1}, make([]byte, 31)...)), ErrInvalidKey},
		// Non-canonical encodings
		{"Ed25519 y = p+1 (identity)", keyDID(CodecEd25519, mustHex("eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f")), ErrInvalidKey},
		{"Ed25519 y = p", keyDID(CodecEd25519, mustHex("edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f")), ErrInvalidKey},
		{"Ed25519 negative zero x", keyDID(CodecEd25519, mustHex("0100000000000000000000000000000000000000000000000000000000000080")), ErrInvalidKey},
		{"X25519 u = p", keyDID(CodecX25519, mustHex("edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f")), ErrInvalidKey},
		{"X25519 top bit set", keyDID(CodecX25519, append(slices.Clone(good[:31]), 0x80|good[31])), ErrInvalidKey},
		{"P-256 x = p", keyDID(CodecP256, pMinus(elliptic.P256(), 2)), ErrInvalidKey},
		{"P-384 x = p", keyDID(CodecP384, pMinus(elliptic.P384(), 3)), ErrInvalidKey},
		{"secp256k1 x = p", keyDID(CodecSecp256k1, append([]byte{2}, pSecp256k1.FillBytes(make([]byte, 32))...)), ErrInvalidKey},
		{"P-256 prefix 04", keyDID(CodecP256, append([]byte{4}, p256[1:]...)), ErrInvalidKey},
		{"P-256 prefix 00", keyDID(CodecP256, append([]byte{0}, p256[1:]...)), ErrInvalidKey},
		{"non-minimal varint", keyDIDBytes(append([]byte{0xed, 0x81, 0x00}, good...)), ErrInvalidKey},
		{"overlong varint", keyDIDBytes([]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}), ErrInvalidKey},
		{"truncated varint", keyDIDBytes([]byte{0xed}), ErrInvalidKey},
		// Points not on the curve
		{"Ed25519 off curve", keyDID(CodecEd25519, append([]byte{2}, make([]byte, 31)...)), ErrInvalidKey},
		{"P-256 off curve", keyDID(CodecP256, offCurve(elliptic.P256(), 32)), ErrInvalidKey},
		{"P-384 off curve", keyDID(CodecP384, offCurve(elliptic.P384(), 48)), ErrInvalidKey},
		{"P-521 off curve", keyDID(CodecP521, offCurve(elliptic.P521(), 66)), ErrInvalidKey},
		{"secp256k1 off curve", keyDID(CodecSecp256k1, secpOff), ErrInvalidKey},
		// Unknown or unsupported codecs
		{"RSA", keyDID(0x1205, good), ErrUnsupportedKey},
		{"BLS12-381 G2", keyDID(0xeb, make([]byte, 96)), ErrUnsupportedKey},
		{"private-use code", keyDID(0x300000, good), ErrUnsupportedKey},
		{"Ed25519 private key codec", keyDID(0x1300, good), ErrUnsupportedKey},
		{"identity codec", keyDID(0, good), ErrUnsupportedKey},
		// Malformed DIDs
		{"not base58btc", "did:key:u7QE7aie8z7Q", ErrInvalidDID},
		{"bad base58 char", "did:key:z6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooW0", ErrInvalidKey},
		{"just z", "did:key:z", ErrInvalidKey},
		{"version 2", "did:key:2:z6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooWp", ErrInvalidDID},
		{"version 0", "did:key:0:z6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooWp", ErrInvalidDID},
		{"extra segment", "did:key:1:z6Mk:z6Mk", ErrInvalidDID},
		{"percent", "did:key:z6Mk%41", ErrInvalidDID},
		{"other method", "did:web:z6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooWp", ErrInvalidDID},
		{"DID URL", "did:key:z6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooWp#x", ErrInvalidDID},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, err := (&KeyResolver{}).Resolve(context.Background(), tc.did)
			if !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
			var re *ResolutionError
			if !errors.As(err, &re) || re.Code == "" || res == nil || res.Document != nil || res.ResolutionMetadata.Error != re.Code {
				t.Fatalf("resolution %+v, %v", res, err)
			}
			want := map[error]string{ErrInvalidKeyLength: CodeInvalidPublicKeyLength, ErrInvalidKey: CodeInvalidPublicKey,
				ErrUnsupportedKey: CodeUnsupportedPublicKeyType, ErrInvalidDID: CodeInvalidDID}[tc.want]
			if re.Code != want {
				t.Fatalf("code %s, want %s", re.Code, want)
			}
		})
	}
}

func TestKeyVersionAndFormat(t *testing.T) {
	d1 := "did:key:1:z6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooWp"
	doc, err := (&KeyResolver{}).Document(d1)
	if err != nil || doc.VerificationMethod[0].ID != d1+"#z6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooWp" {
		t.Fatalf("%v %+v", err, doc)
	}
	if _, err := (&KeyResolver{Format: "Ed25519VerificationKey2018"}).Document(d1); !errors.Is(err, ErrUnsupportedKey) {
		t.Fatal(err)
	}
	doc, err = (&KeyResolver{Format: KeyFormatEd25519VerificationKey2020, EnableEncryptionKeyDerivation: true}).Document(d1)
	if err != nil || doc.VerificationMethod[0].Type != "Ed25519VerificationKey2020" || doc.VerificationMethod[1].Type != "X25519KeyAgreementKey2020" || len(doc.Context) != 3 {
		t.Fatalf("%v %+v", err, doc)
	}
	p256 := "did:key:zDnaerx9CtbPJ1q36T5Ln5wYt3MQYeGRG5ehnPAmxcf5mDZpv"
	if _, err := (&KeyResolver{Format: KeyFormatEd25519VerificationKey2020}).Document(p256); !errors.Is(err, ErrUnsupportedKey) {
		t.Fatal(err)
	}
	// The ZK key has no JWK: JsonWebKey2020 resolution keeps Multikey.
	zk, _ := KeyDID(testZKKey(t, 11))
	doc, err = (&KeyResolver{Format: KeyFormatJsonWebKey2020}).Document(zk)
	if err != nil || doc.VerificationMethod[0].Type != TypeMultikey {
		t.Fatalf("%v %+v", err, doc)
	}
	if _, err := JWKDID(testZKKey(t, 11), ""); !errors.Is(err, ErrUnsupportedKey) {
		t.Fatal(err)
	}
}
