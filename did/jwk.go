package did

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/big"

	"github.com/zkcred/zkcred/did/strictjson"
)

// JWK is a public JSON Web Key (RFC 7517) as found in publicKeyJwk and in
// did:jwk. Members other than the named ones are kept in Extra, so a JWK
// survives a JSON round trip; private members (d, p, q, dp, dq, qi, oth, k)
// end up there too and make [JWK.Check] fail.
type JWK struct {
	Kty    string   `json:"kty"`
	Crv    string   `json:"crv,omitempty"`
	X      string   `json:"x,omitempty"`
	Y      string   `json:"y,omitempty"`
	N      string   `json:"n,omitempty"`
	E      string   `json:"e,omitempty"`
	Use    string   `json:"use,omitempty"`
	KeyOps []string `json:"key_ops,omitempty"`
	Alg    string   `json:"alg,omitempty"`
	Kid    string   `json:"kid,omitempty"`

	Extra map[string]json.RawMessage `json:"-"`
}

// jwkPrivateMembers are the JWA private (or symmetric) key members.
var jwkPrivateMembers = []string{"d", "p", "q", "dp", "dq", "qi", "oth", "k"}

type jwkFields JWK

// MarshalJSON writes the members in lexicographic order (as RFC 7638 and
// JCS do), with the Extra members.
func (j JWK) MarshalJSON() ([]byte, error) {
	b, err := json.Marshal(jwkFields(j))
	if err != nil {
		return nil, err
	}
	var m map[string]json.RawMessage
	if err := strictjson.Unmarshal(b, &m); err != nil {
		return nil, err
	}
	for k, v := range j.Extra {
		if _, ok := m[k]; !ok {
			m[k] = v
		}
	}
	return json.Marshal(m)
}

// UnmarshalJSON reads a JWK with exact (case-sensitive) member names.
func (j *JWK) UnmarshalJSON(b []byte) error {
	m, err := strictjson.Members(b, append([]string{"kty", "crv", "x", "y", "n", "e", "use", "key_ops", "alg", "kid"}, jwkPrivateMembers...)...)
	if err != nil {
		return fmt.Errorf("jwk: %v", err)
	}
	var out JWK
	for name, dst := range map[string]any{"kty": &out.Kty, "crv": &out.Crv, "x": &out.X, "y": &out.Y,
		"n": &out.N, "e": &out.E, "use": &out.Use, "key_ops": &out.KeyOps, "alg": &out.Alg, "kid": &out.Kid} {
		if err := take(m, name, dst); err != nil {
			return fmt.Errorf("jwk: %v", err)
		}
	}
	if len(m) > 0 {
		out.Extra = m
	}
	*j = out
	return nil
}

// Check reports whether the JWK is a public key: kty present and no
// private members. Errors wrap [ErrPrivateKeyMaterial] or [ErrInvalidKey].
func (j *JWK) Check() error {
	if j.Kty == "" {
		return fmt.Errorf("%w: jwk without kty", ErrInvalidKey)
	}
	for _, n := range jwkPrivateMembers {
		if _, ok := j.Extra[n]; ok {
			return fmt.Errorf("%w: jwk has private member %q", ErrPrivateKeyMaterial, n)
		}
	}
	return nil
}

// PublicKey decodes the key: OKP Ed25519 and X25519, EC P-256, P-384,
// P-521 and secp256k1, with the same checks as [DecodeMultikey]
// (canonical, on the curve, not of small order). Errors wrap
// [ErrInvalidKey], [ErrPrivateKeyMaterial] or [ErrUnsupportedKey].
func (j *JWK) PublicKey() (crypto.PublicKey, error) {
	if err := j.Check(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidKey, err)
	}
	b64 := base64.RawURLEncoding.Strict()
	switch j.Kty {
	case "OKP":
		if j.Y != "" {
			return nil, fmt.Errorf("%w: OKP jwk with y", ErrInvalidKey)
		}
		x, err := b64.DecodeString(j.X)
		if err != nil {
			return nil, fmt.Errorf("%w: jwk x: %v", ErrInvalidKey, err)
		}
		switch j.Crv {
		case "Ed25519":
			return parseEd25519(x)
		case "X25519":
			return parseX25519(x)
		}
	case "EC":
		x, err := b64.DecodeString(j.X)
		if err != nil {
			return nil, fmt.Errorf("%w: jwk x: %v", ErrInvalidKey, err)
		}
		y, err := b64.DecodeString(j.Y)
		if err != nil {
			return nil, fmt.Errorf("%w: jwk y: %v", ErrInvalidKey, err)
		}
		switch j.Crv {
		case "P-256":
			return newNISTKey(elliptic.P256(), x, y)
		case "P-384":
			return newNISTKey(elliptic.P384(), x, y)
		case "P-521":
			return newNISTKey(elliptic.P521(), x, y)
		case "secp256k1":
			if len(x) != 32 || len(y) != 32 {
				return nil, fmt.Errorf("%w: secp256k1 coordinates are 32 bytes", ErrInvalidKeyLength)
			}
			return newSecp256k1PublicKey(new(big.Int).SetBytes(x), new(big.Int).SetBytes(y))
		}
	}
	return nil, fmt.Errorf("%w: jwk kty %q crv %q", ErrUnsupportedKey, truncate(j.Kty, 32), truncate(j.Crv, 32))
}

// NewPublicJWK returns the public JWK of pub (ed25519.PublicKey,
// *ecdh.PublicKey for X25519, *ecdsa.PublicKey on P-256/P-384/P-521,
// *Secp256k1PublicKey). A [ZKPublicKey] has no JWK representation and
// gives [ErrUnsupportedKey].
func NewPublicJWK(pub crypto.PublicKey) (*JWK, error) {
	codec, raw, err := rawPublicKey(pub)
	if err != nil {
		return nil, err
	}
	enc := base64.RawURLEncoding.EncodeToString
	switch codec {
	case CodecEd25519:
		return &JWK{Kty: "OKP", Crv: "Ed25519", X: enc(raw)}, nil
	case CodecX25519:
		return &JWK{Kty: "OKP", Crv: "X25519", X: enc(raw)}, nil
	case CodecP256, CodecP384, CodecP521:
		k := pub.(*ecdsa.PublicKey)
		size := (k.Curve.Params().BitSize + 7) / 8
		return &JWK{Kty: "EC", Crv: k.Curve.Params().Name, X: enc(k.X.FillBytes(make([]byte, size))), Y: enc(k.Y.FillBytes(make([]byte, size)))}, nil
	case CodecSecp256k1:
		k := pub.(*Secp256k1PublicKey)
		return &JWK{Kty: "EC", Crv: "secp256k1", X: enc(k.x.FillBytes(make([]byte, 32))), Y: enc(k.y.FillBytes(make([]byte, 32)))}, nil
	default:
		return nil, fmt.Errorf("%w: %T has no JWK representation", ErrUnsupportedKey, pub)
	}
}
