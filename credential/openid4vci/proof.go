package openid4vci

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/asn1"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/big"
	"strings"
	"time"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/go-json-experiment/json/jsontext"

	"github.com/zkcred/zkcred/credential/internal/jws"
	"github.com/zkcred/zkcred/did/strictjson"
)

// Proof profile identifiers (PROFILE.md).
const (
	// ProofJWTType is the "typ" of a key proof JWT (OpenID4VCI 1.0 §F.1).
	ProofJWTType = "openid4vci-proof+jwt"
	// ProofProfile names the key proof profile that carries the holder
	// commitment: a jwt key proof whose payload has exactly aud, iat,
	// nonce and CommitmentClaim (PROFILE.md).
	ProofProfile = "zkcred-commitment-proof-v1"
	// CommitmentClaim is the proof JWT claim holding the holder commitment
	// (credential.HolderSecret.Commitment): base64url without padding of
	// its 32-byte big-endian canonical encoding.
	CommitmentClaim = "zkcred_holder_commitment"
	// MaxProofSize bounds a proof JWT.
	MaxProofSize = 4 << 10
)

var b64 = base64.RawURLEncoding.Strict()

// proofHeader is the proof JWT header; its member set is closed.
type proofHeader struct {
	Alg string     `json:"alg"`
	Typ string     `json:"typ"`
	JWK *publicJWK `json:"jwk"`
}

// publicJWK is the wallet's public key: OKP Ed25519 {kty, crv, x} or EC
// P-256 {kty, crv, x, y}, with exactly these members (no "d": a private
// key is refused). Y is kept raw so that its presence is known: an OKP key
// with a "y" member, even "" or null, is refused.
type publicJWK struct {
	Kty string         `json:"kty"`
	Crv string         `json:"crv"`
	X   string         `json:"x"`
	Y   jsontext.Value `json:"y,omitzero"`
}

// proofPayload is the proof JWT payload; its member set is closed.
type proofPayload struct {
	Aud        string `json:"aud"`
	Iat        int64  `json:"iat"`
	Nonce      string `json:"nonce"`
	Commitment string `json:"zkcred_holder_commitment"`
}

// NewProof signs a key proof JWT of profile zkcred-commitment-proof-v1
// (PROFILE.md) with key (ed25519.PrivateKey, *ecdsa.PrivateKey on P-256,
// or any other crypto.Signer of such a key): audience aud (the
// Credential Issuer Identifier), the issuer's c_nonce, the holder
// commitment and issued-at time iat. Errors wrap [ErrConfig] for a key of
// another type.
func NewProof(key crypto.Signer, aud, nonce string, commitment fr.Element, iat time.Time) (string, error) {
	var h proofHeader
	h.Typ = ProofJWTType
	switch k := key.Public().(type) {
	case ed25519.PublicKey:
		h.Alg, h.JWK = "EdDSA", &publicJWK{Kty: "OKP", Crv: "Ed25519", X: b64.EncodeToString(k)}
	case *ecdsa.PublicKey:
		b, err := k.Bytes()
		if err != nil || k.Curve != elliptic.P256() {
			return "", fmt.Errorf("%w: proof key must be Ed25519 or P-256", ErrConfig)
		}
		h.Alg, h.JWK = "ES256", &publicJWK{Kty: "EC", Crv: "P-256", X: b64.EncodeToString(b[1:33]), Y: jsontext.Value(`"` + b64.EncodeToString(b[33:]) + `"`)}
	default:
		return "", fmt.Errorf("%w: proof key must be Ed25519 or P-256", ErrConfig)
	}
	c := commitment.Bytes()
	hb, _ := json.Marshal(h)
	pb, _ := json.Marshal(proofPayload{Aud: aud, Iat: iat.Unix(), Nonce: nonce, Commitment: b64.EncodeToString(c[:])})
	input := b64.EncodeToString(hb) + "." + b64.EncodeToString(pb)
	var sig []byte
	var err error
	switch k := key.(type) {
	case ed25519.PrivateKey:
		sig = ed25519.Sign(k, []byte(input))
	case *ecdsa.PrivateKey:
		d := sha256.Sum256([]byte(input))
		r, s, e := ecdsa.Sign(rand.Reader, k, d[:])
		if e != nil {
			return "", e
		}
		sig = make([]byte, 64)
		r.FillBytes(sig[:32])
		s.FillBytes(sig[32:])
	default: // a key held elsewhere (a secure element, an HSM)
		if h.Alg == "EdDSA" {
			if sig, err = key.Sign(rand.Reader, []byte(input), crypto.Hash(0)); err != nil {
				return "", err
			}
			break
		}
		d := sha256.Sum256([]byte(input))
		der, err := key.Sign(rand.Reader, d[:], crypto.SHA256)
		if err != nil {
			return "", err
		}
		if sig, err = rawECDSA(der); err != nil {
			return "", err
		}
	}
	return input + "." + b64.EncodeToString(sig), nil
}

// rawECDSA converts a P-256 crypto.Signer's ASN.1 signature to the JWS
// form r‖s (RFC 7518 §3.4), refusing anything but one DER SEQUENCE of two
// positive integers below 2^256.
func rawECDSA(der []byte) ([]byte, error) {
	var rs struct{ R, S *big.Int }
	rest, err := asn1.Unmarshal(der, &rs)
	if err != nil || len(rest) != 0 || rs.R.Sign() <= 0 || rs.S.Sign() <= 0 || rs.R.BitLen() > 256 || rs.S.BitLen() > 256 {
		return nil, fmt.Errorf("%w: the signer returned a malformed ECDSA signature", ErrConfig)
	}
	sig := make([]byte, 64)
	rs.R.FillBytes(sig[:32])
	rs.S.FillBytes(sig[32:])
	return sig, nil
}

// VerifiedProof is what a checked key proof says.
type VerifiedProof struct {
	Commitment fr.Element // the holder commitment, canonical and non-zero
	Nonce      string     // the c_nonce, not checked by VerifyProof
	IssuedAt   time.Time
}

// VerifyProof checks a proof JWT of profile zkcred-commitment-proof-v1:
// strict compact JWS, header exactly {alg, typ, jwk} with typ
// openid4vci-proof+jwt, alg EdDSA with an Ed25519 jwk or ES256 with a
// P-256 jwk, a valid signature, payload exactly {aud, iat, nonce,
// zkcred_holder_commitment}, aud the credential issuer, iat within
// [now-maxAge, now+leeway], and a canonical non-zero commitment. The
// nonce's validity is checked by the caller. Header and payload are
// decoded with did/strictjson (unknown, duplicate and case-variant members
// refused; iat an exact integer). Errors wrap [ErrInvalidProof].
func VerifyProof(token, aud string, now time.Time, maxAge, leeway time.Duration) (*VerifiedProof, error) {
	bad := func(f string, a ...any) (*VerifiedProof, error) {
		return nil, fmt.Errorf("%w: "+f, append([]any{ErrInvalidProof}, a...)...)
	}
	if len(token) > MaxProofSize {
		return bad("proof JWT over %d bytes", MaxProofSize)
	}
	hb, pb, sig, err := jws.Split(token)
	if err != nil {
		return bad("%v", err)
	}
	var h proofHeader
	if err := strictjson.Unmarshal(hb, &h); err != nil {
		return bad("header: %v", err)
	}
	if h.Typ != ProofJWTType {
		return bad("typ %q, want %q", truncate(h.Typ, 64), ProofJWTType)
	}
	if h.JWK == nil {
		return bad("no jwk header")
	}
	input := []byte(token[:strings.LastIndexByte(token, '.')])
	x, err := b64.DecodeString(h.JWK.X)
	if err != nil {
		return bad("jwk x: %v", err)
	}
	switch {
	case h.Alg == "EdDSA" && h.JWK.Kty == "OKP" && h.JWK.Crv == "Ed25519" && len(h.JWK.Y) == 0:
		if len(x) != ed25519.PublicKeySize {
			return bad("jwk x is %d bytes", len(x))
		}
		if len(sig) != ed25519.SignatureSize || !ed25519.Verify(ed25519.PublicKey(x), input, sig) {
			return bad("signature does not verify")
		}
	case h.Alg == "ES256" && h.JWK.Kty == "EC" && h.JWK.Crv == "P-256":
		var ys string
		if len(h.JWK.Y) == 0 || strictjson.Unmarshal(h.JWK.Y, &ys) != nil {
			return bad("jwk y must be a string")
		}
		y, err := b64.DecodeString(ys)
		if err != nil || len(x) != 32 || len(y) != 32 {
			return bad("jwk x, y must be 32 bytes each")
		}
		pub, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), append(append([]byte{4}, x...), y...))
		if err != nil {
			return bad("jwk: %v", err)
		}
		if len(sig) != 64 {
			return bad("ES256 signature is %d bytes", len(sig))
		}
		d := sha256.Sum256(input)
		if !ecdsa.Verify(pub, d[:], new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])) {
			return bad("signature does not verify")
		}
	default:
		return bad("alg %q with a %q/%q jwk: want EdDSA with Ed25519 or ES256 with P-256", truncate(h.Alg, 16), truncate(h.JWK.Kty, 16), truncate(h.JWK.Crv, 16))
	}
	var p proofPayload
	if err := strictjson.Unmarshal(pb, &p); err != nil {
		return bad("payload: %v", err)
	}
	if p.Aud != aud {
		return bad("aud %q is not this issuer", truncate(p.Aud, 128))
	}
	iat := time.Unix(p.Iat, 0)
	if p.Iat <= 0 || iat.After(now.Add(leeway)) || iat.Before(now.Add(-maxAge)) {
		return bad("iat %d outside [now-%s, now+%s]", p.Iat, maxAge, leeway)
	}
	if p.Nonce == "" {
		return bad("no nonce")
	}
	cb, err := b64.DecodeString(p.Commitment)
	if err != nil || len(cb) != fr.Bytes {
		return bad("%s is not base64url of 32 bytes", CommitmentClaim)
	}
	var c fr.Element
	if err := c.SetBytesCanonical(cb); err != nil || c.IsZero() {
		return bad("%s is not a canonical non-zero field element", CommitmentClaim)
	}
	return &VerifiedProof{Commitment: c, Nonce: p.Nonce, IssuedAt: iat}, nil
}
