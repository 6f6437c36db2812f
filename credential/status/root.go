package status

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"time"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/go-jose/go-jose/v4"
	"golang.org/x/crypto/cryptobyte"
	"golang.org/x/crypto/cryptobyte/asn1"

	"github.com/zkcred/zkcred/did/strictjson"
)

// RootType is the JOSE "typ" header of a signed revocation root.
const RootType = "zkcred-revocation-root+jwt"

// RootClaims is what an issuer signs after each change of its revocation
// tree.
//
// # Wire format, version 1
//
// A compact JWS (EdDSA or ES256) with header {"alg", "kid": the DID URL of
// the issuer's assertionMethod key, "typ": "zkcred-revocation-root+jwt"} and
// the JSON payload
//
//	{"iss": issuer DID, "root": base64url-no-pad of the 32-byte big-endian
//	 canonical field element, "depth": tree depth, "count": revoked ids,
//	 "seq": sequence number (0 for the empty registry, +1 per change),
//	 "iat": issue time in Unix seconds, "v": 1}
//
// Decoding is strict ([strictjson.Unmarshal]): duplicate members (also after
// unescaping), case variants of the names ("Root"), unknown or missing
// members, invalid UTF-8, trailing data, numbers that are not integers of
// the member's range, a non-canonical root, or values out of range are
// errors. All three JWS segments must be canonical base64url.
type RootClaims struct {
	Issuer   string
	Root     fr.Element
	Depth    int
	Count    uint64
	Sequence uint64
	IssuedAt time.Time
}

// rootVersion is the payload version, member "v".
const rootVersion = 1

type rootJSON struct {
	V     *int    `json:"v"`
	Iss   string  `json:"iss"`
	Root  string  `json:"root"`
	Depth *int    `json:"depth"`
	Count *uint64 `json:"count"`
	Seq   *uint64 `json:"seq"`
	Iat   *int64  `json:"iat"`
}

// ErrInvalidRoot is returned for a signed root that does not parse, does
// not verify, or whose claims are malformed.
var ErrInvalidRoot = errors.New("status: invalid signed root")

func (c *RootClaims) marshal() ([]byte, error) {
	if c.Issuer == "" || c.Depth < 1 || c.Depth > MaxDepth {
		return nil, fmt.Errorf("%w: incomplete claims", ErrInvalidRoot)
	}
	v, d, cnt, seq, iat := rootVersion, c.Depth, c.Count, c.Sequence, c.IssuedAt.Unix()
	r := c.Root.Bytes()
	return json.Marshal(rootJSON{
		V: &v, Iss: c.Issuer, Root: base64.RawURLEncoding.EncodeToString(r[:]),
		Depth: &d, Count: &cnt, Seq: &seq, Iat: &iat,
	})
}

func parseRootClaims(payload []byte) (*RootClaims, error) {
	var j rootJSON
	if err := strictjson.Unmarshal(payload, &j); err != nil {
		return nil, fmt.Errorf("%w: payload: %v", ErrInvalidRoot, err)
	}
	if j.V == nil || j.Depth == nil || j.Count == nil || j.Seq == nil || j.Iat == nil || j.Iss == "" {
		return nil, fmt.Errorf("%w: missing claim", ErrInvalidRoot)
	}
	if *j.V != rootVersion {
		return nil, fmt.Errorf("%w: unsupported version %d", ErrInvalidRoot, *j.V)
	}
	if *j.Depth < 1 || *j.Depth > MaxDepth {
		return nil, fmt.Errorf("%w: depth %d", ErrInvalidRoot, *j.Depth)
	}
	if *j.Depth < 64 && *j.Count >= uint64(1)<<uint(*j.Depth) {
		return nil, fmt.Errorf("%w: count %d does not fit depth %d", ErrInvalidRoot, *j.Count, *j.Depth)
	}
	if *j.Iat < 0 {
		return nil, fmt.Errorf("%w: negative iat", ErrInvalidRoot)
	}
	c := &RootClaims{Issuer: j.Iss, Depth: *j.Depth, Count: *j.Count, Sequence: *j.Seq, IssuedAt: time.Unix(*j.Iat, 0).UTC()}
	rb, err := decodeBase64URL(j.Root)
	if err != nil || len(rb) != fr.Bytes {
		return nil, fmt.Errorf("%w: root is not 32 bytes of base64url", ErrInvalidRoot)
	}
	if err := c.Root.SetBytesCanonical(rb); err != nil {
		return nil, fmt.Errorf("%w: root is not a canonical field element", ErrInvalidRoot)
	}
	return c, nil
}

// SignRoot signs c as a compact JWS with key (an Ed25519 or P-256 private
// key, or any crypto.Signer with such a public key) under kid, the DID URL
// of the key.
func SignRoot(c *RootClaims, key crypto.Signer, kid string) (string, error) {
	payload, err := c.marshal()
	if err != nil {
		return "", err
	}
	sk, err := joseSigningKey(key)
	if err != nil {
		return "", err
	}
	opts := (&jose.SignerOptions{}).WithType(RootType).WithHeader(jose.HeaderKey("kid"), kid)
	signer, err := jose.NewSigner(sk, opts)
	if err != nil {
		return "", fmt.Errorf("status: signing root: %w", err)
	}
	jws, err := signer.Sign(payload)
	if err != nil {
		return "", fmt.Errorf("status: signing root: %w", err)
	}
	return jws.CompactSerialize()
}

// ErrUnsupportedKey is returned for a signing or verification key that is
// neither Ed25519 nor ECDSA P-256.
var ErrUnsupportedKey = errors.New("status: unsupported key (want Ed25519 or P-256)")

// joseSigningKey maps a crypto.Signer to a go-jose signing key: concrete
// Ed25519 and P-256 keys directly, other signers (HSMs, KMS) through an
// opaque signer.
func joseSigningKey(key crypto.Signer) (jose.SigningKey, error) {
	if key == nil {
		return jose.SigningKey{}, fmt.Errorf("%w: nil signer", ErrUnsupportedKey)
	}
	alg, err := algFor(key.Public())
	if err != nil {
		return jose.SigningKey{}, err
	}
	switch k := key.(type) {
	case ed25519.PrivateKey, *ecdsa.PrivateKey:
		return jose.SigningKey{Algorithm: alg, Key: k}, nil
	}
	return jose.SigningKey{Algorithm: alg, Key: opaqueSigner{key, alg}}, nil
}

func algFor(pub crypto.PublicKey) (jose.SignatureAlgorithm, error) {
	switch p := pub.(type) {
	case ed25519.PublicKey:
		if len(p) == ed25519.PublicKeySize {
			return jose.EdDSA, nil
		}
	case *ecdsa.PublicKey:
		if p.Curve == elliptic.P256() {
			return jose.ES256, nil
		}
	}
	return "", fmt.Errorf("%w: %T", ErrUnsupportedKey, pub)
}

// opaqueSigner adapts a crypto.Signer to go-jose: Ed25519 signs the message
// itself, P-256 signs its SHA-256 and the ASN.1 signature is converted to the
// JWS r‖s form (RFC 7518 §3.4).
type opaqueSigner struct {
	s   crypto.Signer
	alg jose.SignatureAlgorithm
}

func (o opaqueSigner) Public() *jose.JSONWebKey {
	return &jose.JSONWebKey{Key: o.s.Public(), Algorithm: string(o.alg)}
}

func (o opaqueSigner) Algs() []jose.SignatureAlgorithm { return []jose.SignatureAlgorithm{o.alg} }

func (o opaqueSigner) SignPayload(payload []byte, alg jose.SignatureAlgorithm) ([]byte, error) {
	if alg != o.alg {
		return nil, fmt.Errorf("%w: algorithm %s", ErrUnsupportedKey, alg)
	}
	if alg == jose.EdDSA {
		return o.s.Sign(rand.Reader, payload, crypto.Hash(0))
	}
	h := sha256.Sum256(payload)
	der, err := o.s.Sign(rand.Reader, h[:], crypto.SHA256)
	if err != nil {
		return nil, err
	}
	var r, s big.Int
	in := cryptobyte.String(der)
	var seq cryptobyte.String
	if !in.ReadASN1(&seq, asn1.SEQUENCE) || !in.Empty() || !seq.ReadASN1Integer(&r) || !seq.ReadASN1Integer(&s) || !seq.Empty() ||
		r.Sign() <= 0 || s.Sign() <= 0 || r.BitLen() > 256 || s.BitLen() > 256 {
		return nil, errors.New("status: signer returned a malformed ECDSA signature")
	}
	out := make([]byte, 64)
	r.FillBytes(out[:32])
	s.FillBytes(out[32:])
	return out, nil
}
