package did

import (
	"crypto"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/subtle"
	"errors"
	"fmt"
	"math/big"

	"github.com/consensys/gnark-crypto/ecc/bn254/twistededwards"
	"github.com/multiformats/go-multibase"
)

// Multicodec codes of the public key types this package handles
// (https://github.com/multiformats/multicodec, table.csv).
const (
	CodecSecp256k1 uint64 = 0xe7
	CodecX25519    uint64 = 0xec
	CodecEd25519   uint64 = 0xed
	CodecP256      uint64 = 0x1200
	CodecP384      uint64 = 0x1201
	CodecP521      uint64 = 0x1202
	// CodecZKBN254 is the code of a [ZKPublicKey]: a point of gnark-crypto's
	// BN254 twisted-Edwards curve, 32-byte compressed. It is taken from the
	// multicodec private-use range 0x300000–0x3fffff; see the package
	// documentation, "ZK key encoding, version 1".
	CodecZKBN254 uint64 = 0x30b254
)

// keyType describes one multicodec public key type.
type keyType struct {
	codec uint64
	name  string
	size  int // raw public key length
	parse func([]byte) (crypto.PublicKey, error)
}

var keyTypes = []keyType{
	{CodecEd25519, "Ed25519", ed25519.PublicKeySize, parseEd25519},
	{CodecX25519, "X25519", 32, parseX25519},
	{CodecSecp256k1, "secp256k1", 33, func(b []byte) (crypto.PublicKey, error) { return ParseSecp256k1PublicKey(b) }},
	{CodecP256, "P-256", 33, func(b []byte) (crypto.PublicKey, error) { return parseCompressedNIST(elliptic.P256(), b) }},
	{CodecP384, "P-384", 49, func(b []byte) (crypto.PublicKey, error) { return parseCompressedNIST(elliptic.P384(), b) }},
	{CodecP521, "P-521", 67, func(b []byte) (crypto.PublicKey, error) { return parseCompressedNIST(elliptic.P521(), b) }},
	{CodecZKBN254, "BN254 twisted-Edwards", ZKPublicKeySize, func(b []byte) (crypto.PublicKey, error) { return ParseZKPublicKey(b) }},
}

func keyTypeByCodec(c uint64) (keyType, bool) {
	for _, kt := range keyTypes {
		if kt.codec == c {
			return kt, true
		}
	}
	return keyType{}, false
}

// rawPublicKey returns the multicodec code and raw bytes of pub, checking
// it first.
func rawPublicKey(pub crypto.PublicKey) (uint64, []byte, error) {
	switch k := pub.(type) {
	case ed25519.PublicKey:
		if _, err := parseEd25519(k); err != nil {
			return 0, nil, err
		}
		return CodecEd25519, append([]byte{}, k...), nil
	case *ecdh.PublicKey:
		if k == nil || k.Curve() != ecdh.X25519() {
			return 0, nil, fmt.Errorf("%w: only X25519 ECDH keys are supported", ErrUnsupportedKey)
		}
		b := k.Bytes()
		if _, err := parseX25519(b); err != nil {
			return 0, nil, err
		}
		return CodecX25519, b, nil
	case *ecdsa.PublicKey:
		if k == nil || k.X == nil || k.Y == nil {
			return 0, nil, fmt.Errorf("%w: nil ECDSA key", ErrInvalidKey)
		}
		var c uint64
		switch k.Curve {
		case elliptic.P256():
			c = CodecP256
		case elliptic.P384():
			c = CodecP384
		case elliptic.P521():
			c = CodecP521
		default:
			return 0, nil, fmt.Errorf("%w: ECDSA curve %s", ErrUnsupportedKey, k.Curve.Params().Name)
		}
		if !k.Curve.IsOnCurve(k.X, k.Y) {
			return 0, nil, fmt.Errorf("%w: point not on curve", ErrInvalidKey)
		}
		return c, elliptic.MarshalCompressed(k.Curve, k.X, k.Y), nil
	case *Secp256k1PublicKey:
		if k == nil || k.x == nil {
			return 0, nil, fmt.Errorf("%w: nil secp256k1 key", ErrInvalidKey)
		}
		return CodecSecp256k1, k.Bytes(), nil
	case *ZKPublicKey:
		if k == nil {
			return 0, nil, fmt.Errorf("%w: nil ZK key", ErrInvalidKey)
		}
		return CodecZKBN254, k.Bytes(), nil
	default:
		return 0, nil, fmt.Errorf("%w: %T", ErrUnsupportedKey, pub)
	}
}

// EncodeMultikey returns the Multikey encoding of pub: multibase base58btc
// ("z") of the unsigned-varint multicodec header followed by the raw key
// (compressed for elliptic curve points). It is the method-specific id of
// did:key and the publicKeyMultibase of a Multikey verification method.
func EncodeMultikey(pub crypto.PublicKey) (string, error) {
	c, raw, err := rawPublicKey(pub)
	if err != nil {
		return "", err
	}
	return encodeMultikey(c, raw), nil
}

func encodeMultikey(codec uint64, raw []byte) string {
	buf := appendUvarint(nil, codec)
	buf = append(buf, raw...)
	s, err := multibase.Encode(multibase.Base58BTC, buf)
	if err != nil {
		panic("did: internal error: " + err.Error())
	}
	return s
}

// DecodeMultikey decodes a Multikey public key value (see [EncodeMultikey])
// and returns ed25519.PublicKey, *ecdh.PublicKey (X25519), *ecdsa.PublicKey
// (P-256, P-384, P-521), *Secp256k1PublicKey or *ZKPublicKey. Only
// base58btc ("z"), a minimal varint header, the exact key length for the
// type and a valid point in canonical encoding are accepted. Errors wrap
// [ErrInvalidKey] (plus [ErrInvalidKeyLength] for a wrong length) or
// [ErrUnsupportedKey] for an unknown multicodec.
func DecodeMultikey(s string) (crypto.PublicKey, error) {
	_, pub, err := decodeMultikey(s)
	return pub, err
}

func decodeMultikey(s string) (uint64, crypto.PublicKey, error) {
	if len(s) < 2 || s[0] != 'z' {
		return 0, nil, fmt.Errorf("%w: multibase value must be base58btc ('z')", ErrInvalidKey)
	}
	if len(s) > 2048 {
		return 0, nil, fmt.Errorf("%w: multibase value too long", ErrInvalidKey)
	}
	enc, buf, err := multibase.Decode(s)
	if err != nil || enc != multibase.Base58BTC {
		return 0, nil, fmt.Errorf("%w: bad base58btc encoding", ErrInvalidKey)
	}
	if s2, _ := multibase.Encode(multibase.Base58BTC, buf); s2 != s {
		return 0, nil, fmt.Errorf("%w: non-canonical base58btc encoding", ErrInvalidKey)
	}
	codec, n, err := readUvarint(buf)
	if err != nil {
		return 0, nil, fmt.Errorf("%w: multicodec header: %v", ErrInvalidKey, err)
	}
	kt, ok := keyTypeByCodec(codec)
	if !ok {
		return 0, nil, fmt.Errorf("%w: unknown or unsupported multicodec 0x%x", ErrUnsupportedKey, codec)
	}
	raw := buf[n:]
	if len(raw) != kt.size {
		return 0, nil, fmt.Errorf("%w: %s key is %d bytes, got %d", ErrInvalidKeyLength, kt.name, kt.size, len(raw))
	}
	pub, err := kt.parse(raw)
	if err != nil {
		return 0, nil, err
	}
	return codec, pub, nil
}

// appendUvarint appends the unsigned varint (multiformats/unsigned-varint)
// encoding of v.
func appendUvarint(b []byte, v uint64) []byte {
	for v >= 0x80 {
		b = append(b, byte(v)|0x80)
		v >>= 7
	}
	return append(b, byte(v))
}

// readUvarint reads a minimal unsigned varint of at most 9 bytes.
func readUvarint(b []byte) (uint64, int, error) {
	var v uint64
	for i := 0; i < len(b) && i < 9; i++ {
		v |= uint64(b[i]&0x7f) << (7 * i)
		if b[i] < 0x80 {
			if i > 0 && b[i] == 0 {
				return 0, 0, errors.New("non-minimal varint")
			}
			return v, i + 1, nil
		}
	}
	return 0, 0, errors.New("truncated or overlong varint")
}

// parseCompressedNIST decodes a SEC 1 compressed point (0x02/0x03 || x).
func parseCompressedNIST(c elliptic.Curve, b []byte) (*ecdsa.PublicKey, error) {
	size := (c.Params().BitSize + 7) / 8
	if len(b) != 1+size {
		return nil, fmt.Errorf("%w: %s compressed point is %d bytes, got %d", ErrInvalidKeyLength, c.Params().Name, 1+size, len(b))
	}
	if b[0] != 2 && b[0] != 3 {
		return nil, fmt.Errorf("%w: %s point is not in compressed form", ErrInvalidKey, c.Params().Name)
	}
	x, y := elliptic.UnmarshalCompressed(c, b)
	if x == nil {
		return nil, fmt.Errorf("%w: %s point not on the curve or not canonical", ErrInvalidKey, c.Params().Name)
	}
	return &ecdsa.PublicKey{Curve: c, X: x, Y: y}, nil
}

// newNISTKey checks affine coordinates (from a JWK) and builds the key.
func newNISTKey(c elliptic.Curve, xb, yb []byte) (*ecdsa.PublicKey, error) {
	size := (c.Params().BitSize + 7) / 8
	if len(xb) != size || len(yb) != size {
		return nil, fmt.Errorf("%w: %s coordinates are %d bytes", ErrInvalidKeyLength, c.Params().Name, size)
	}
	x, y := new(big.Int).SetBytes(xb), new(big.Int).SetBytes(yb)
	p := c.Params().P
	if x.Cmp(p) >= 0 || y.Cmp(p) >= 0 || !c.IsOnCurve(x, y) {
		return nil, fmt.Errorf("%w: %s point not on the curve", ErrInvalidKey, c.Params().Name)
	}
	return &ecdsa.PublicKey{Curve: c, X: x, Y: y}, nil
}

// x25519LowOrder lists the canonical little-endian encodings of the
// Curve25519 points of small order (u = 0, 1, p-1 and the two points of
// order 8), which give an all-zero shared secret.
var x25519LowOrder = [][32]byte{
	{},
	{1},
	{0xe0, 0xeb, 0x7a, 0x7c, 0x3b, 0x41, 0xb8, 0xae, 0x16, 0x56, 0xe3, 0xfa, 0xf1, 0x9f, 0xc4, 0x6a, 0xda, 0x09, 0x8d, 0xeb, 0x9c, 0x32, 0xb1, 0xfd, 0x86, 0x62, 0x05, 0x16, 0x5f, 0x49, 0xb8, 0x00},
	{0x5f, 0x9c, 0x95, 0xbc, 0xa3, 0x50, 0x8c, 0x24, 0xb1, 0xd0, 0xb1, 0x55, 0x9c, 0x83, 0xef, 0x5b, 0x04, 0x44, 0x5c, 0xc4, 0x58, 0x1c, 0x8e, 0x86, 0xd8, 0x22, 0x4e, 0xdd, 0xd0, 0x9f, 0x11, 0x57},
	{0xec, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f},
}

// parseX25519 accepts 32-byte canonical u-coordinates (u < 2^255-19) that
// are not of small order.
func parseX25519(b []byte) (crypto.PublicKey, error) {
	if len(b) != 32 {
		return nil, fmt.Errorf("%w: X25519 key is 32 bytes, got %d", ErrInvalidKeyLength, len(b))
	}
	if !lessThanP25519(b) {
		return nil, fmt.Errorf("%w: non-canonical X25519 u-coordinate", ErrInvalidKey)
	}
	for _, lo := range x25519LowOrder {
		if subtle.ConstantTimeCompare(b, lo[:]) == 1 {
			return nil, fmt.Errorf("%w: X25519 point of small order", ErrInvalidKey)
		}
	}
	k, err := ecdh.X25519().NewPublicKey(b)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidKey, err)
	}
	return k, nil
}

// ZKPublicKeySize is the size of an encoded [ZKPublicKey].
const ZKPublicKeySize = 32

// ZKPublicKey is an issuer's zero-knowledge signing key: a point of
// gnark-crypto's BN254 twisted-Edwards curve (ecc/bn254/twistededwards) in
// the prime-order subgroup, other than the identity. Values returned by
// [ParseZKPublicKey] and [NewZKPublicKey] are always valid.
type ZKPublicKey struct {
	p twistededwards.PointAffine
}

// ParseZKPublicKey decodes the 32-byte compressed encoding of
// gnark-crypto's PointAffine.Bytes (y little-endian, top bit = sign of x).
// It checks, in this order: the length, that the point is on the curve,
// that the encoding is canonical (it re-encodes to the same bytes, so
// y < r and the sign bit is right), that it is not the identity and that
// it is in the prime-order subgroup (which leaves no point of small or
// mixed order). Errors wrap [ErrInvalidKey] ([ErrInvalidKeyLength] for
// the length).
func ParseZKPublicKey(b []byte) (*ZKPublicKey, error) {
	if len(b) != ZKPublicKeySize {
		return nil, fmt.Errorf("%w: ZK key is %d bytes, got %d", ErrInvalidKeyLength, ZKPublicKeySize, len(b))
	}
	var p twistededwards.PointAffine
	if _, err := p.SetBytes(b); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidKey, err)
	}
	if !p.IsOnCurve() {
		return nil, fmt.Errorf("%w: ZK key not on the BN254 twisted-Edwards curve", ErrInvalidKey)
	}
	if enc := p.Bytes(); subtle.ConstantTimeCompare(enc[:], b) != 1 {
		return nil, fmt.Errorf("%w: non-canonical ZK key encoding", ErrInvalidKey)
	}
	return NewZKPublicKey(p)
}

// NewZKPublicKey checks p (on the curve, in the prime-order subgroup, not
// the identity) and returns it as a key. Errors wrap [ErrInvalidKey].
func NewZKPublicKey(p twistededwards.PointAffine) (*ZKPublicKey, error) {
	if !p.IsOnCurve() {
		return nil, fmt.Errorf("%w: ZK key not on the BN254 twisted-Edwards curve", ErrInvalidKey)
	}
	if p.IsZero() {
		return nil, fmt.Errorf("%w: ZK key is the identity", ErrInvalidKey)
	}
	if !p.IsInSubGroup() {
		return nil, fmt.Errorf("%w: ZK key not in the prime-order subgroup (small or mixed order)", ErrInvalidKey)
	}
	return &ZKPublicKey{p: p}, nil
}

// Bytes returns the 32-byte compressed encoding of the key.
func (k *ZKPublicKey) Bytes() []byte {
	b := k.p.Bytes()
	return b[:]
}

// Point returns the key as a curve point.
func (k *ZKPublicKey) Point() twistededwards.PointAffine { return k.p }

// Equal reports whether k and o are the same key.
func (k *ZKPublicKey) Equal(o *ZKPublicKey) bool {
	if k == nil || o == nil {
		return k == o
	}
	return k.p.Equal(&o.p)
}

// String returns the Multikey encoding of the key.
func (k *ZKPublicKey) String() string { return encodeMultikey(CodecZKBN254, k.Bytes()) }
