package credential

import (
	"bytes"
	"crypto/subtle"
	"fmt"
	"io"
	"math/big"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/consensys/gnark-crypto/ecc/bn254/twistededwards"
	"github.com/consensys/gnark-crypto/ecc/bn254/twistededwards/eddsa"

	"github.com/zkcred/zkcred/credential/zkhash"
	"github.com/zkcred/zkcred/did"
)

// The issuer's zero-knowledge signature.
//
// The issuer signs [zkhash.Message] with EdDSA on gnark-crypto's BN254
// twisted-Edwards curve (ecc/bn254/twistededwards/eddsa), with the
// challenge hash [zkhash.NewEdDSA] (Poseidon2, tag [zkhash.TagEdDSA]);
// the signed message is the 32-byte big-endian encoding of the
// zkhash.Message element. The zkp package checks the same signature
// in-circuit with its own gadget (zkp/internal/circuit), not gnark's
// std/signature/eddsa.
//
// # Encodings (version 1)
//
//   - ZK private key: the 32-byte seed. gnark-crypto's eddsa.GenerateKey
//     expands it with BLAKE2b-512 into the pruned scalar (first half) and
//     the nonce key (second half), as RFC 8032 does for Ed25519.
//   - ZK public key: the 32-byte compressed point of [did.ZKPublicKey].
//   - ZK signature: 64 bytes, R (compressed point, 32 bytes) ‖ S (32 bytes
//     big-endian, 0 < S < subgroup order); see [ParseZKSignature].
//   - Holder secret: a non-zero field element, 32 bytes big-endian,
//     canonical (below r).

// ZKPrivateKeySize is the size of an encoded [ZKPrivateKey] (its seed).
const ZKPrivateKeySize = 32

// ZKSignatureSize is the size of an encoded [ZKSignature].
const ZKSignatureSize = 64

// ZKPrivateKey is an issuer's zero-knowledge signing key. It must be kept
// secret: its fields are unexported and String, GoString and Format print
// a redacted placeholder.
type ZKPrivateKey struct {
	seed [32]byte
	key  *eddsa.PrivateKey
	pub  *did.ZKPublicKey
}

// GenerateZKKey returns a new key made from 32 bytes of rand (use
// crypto/rand.Reader).
func GenerateZKKey(rand io.Reader) (*ZKPrivateKey, error) {
	var seed [32]byte
	if _, err := io.ReadFull(rand, seed[:]); err != nil {
		return nil, fmt.Errorf("credential: generate ZK key: %w", err)
	}
	return NewZKPrivateKey(seed[:])
}

// NewZKPrivateKey returns the key of a 32-byte seed (the encoding returned
// by [ZKPrivateKey.Bytes]). Errors wrap [ErrInvalidKey].
func NewZKPrivateKey(seed []byte) (*ZKPrivateKey, error) {
	if len(seed) != ZKPrivateKeySize {
		return nil, fmt.Errorf("%w: ZK private key is %d bytes, got %d", ErrInvalidKey, ZKPrivateKeySize, len(seed))
	}
	k := &ZKPrivateKey{}
	copy(k.seed[:], seed)
	sk, err := eddsa.GenerateKey(bytes.NewReader(k.seed[:]))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidKey, err)
	}
	pub, err := did.NewZKPublicKey(sk.PublicKey.A)
	if err != nil {
		// Unreachable: a pruned non-zero scalar times the subgroup generator.
		return nil, fmt.Errorf("%w: %w", ErrInvalidKey, err)
	}
	k.key, k.pub = sk, pub
	return k, nil
}

// Bytes returns the 32-byte seed. It is the secret key: store it as such.
func (k *ZKPrivateKey) Bytes() []byte { return append([]byte(nil), k.seed[:]...) }

// Public returns the public key, to publish as a verification method of the
// issuer's DID document.
func (k *ZKPrivateKey) Public() *did.ZKPublicKey { return k.pub }

// Equal reports whether k and o are the same key, in constant time.
func (k *ZKPrivateKey) Equal(o *ZKPrivateKey) bool {
	return k != nil && o != nil && subtle.ConstantTimeCompare(k.seed[:], o.seed[:]) == 1
}

const redacted = "[REDACTED]"

// String returns a placeholder; the key is never printed.
func (k ZKPrivateKey) String() string { return "credential.ZKPrivateKey" + redacted }

// GoString returns a placeholder; the key is never printed.
func (k ZKPrivateKey) GoString() string { return k.String() }

// Format prints a placeholder for every verb.
func (k ZKPrivateKey) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, k.String()) }

// Sign signs msg (normally a [zkhash.Message]). Signing is deterministic.
func (k *ZKPrivateKey) Sign(msg fr.Element) (ZKSignature, error) {
	if k == nil || k.key == nil {
		return ZKSignature{}, fmt.Errorf("%w: zero ZK private key", ErrInvalidKey)
	}
	m := msg.Bytes()
	b, err := k.key.Sign(m[:], zkhash.NewEdDSA())
	if err != nil {
		return ZKSignature{}, fmt.Errorf("credential: ZK sign: %w", err)
	}
	return ParseZKSignature(b)
}

// ZKSignature is a parsed, canonical issuer ZK signature (R, S).
type ZKSignature struct {
	b [ZKSignatureSize]byte
	r twistededwards.PointAffine
	s big.Int
}

// ParseZKSignature decodes R ‖ S strictly: exactly 64 bytes, R a canonical
// compressed point of the prime-order subgroup (not the identity), and
// 0 < S < the subgroup order (no S+order malleability). Errors wrap
// [ErrBadSignature].
func ParseZKSignature(b []byte) (ZKSignature, error) {
	if len(b) != ZKSignatureSize {
		return ZKSignature{}, fmt.Errorf("%w: ZK signature is %d bytes, got %d", ErrBadSignature, ZKSignatureSize, len(b))
	}
	var sig eddsa.Signature
	if _, err := sig.SetBytes(b); err != nil {
		return ZKSignature{}, fmt.Errorf("%w: %v", ErrBadSignature, err)
	}
	if enc := sig.R.Bytes(); !bytes.Equal(enc[:], b[:32]) {
		return ZKSignature{}, fmt.Errorf("%w: non-canonical R", ErrBadSignature)
	}
	if sig.R.IsZero() || !sig.R.IsOnCurve() || !sig.R.IsInSubGroup() {
		return ZKSignature{}, fmt.Errorf("%w: R not in the prime-order subgroup", ErrBadSignature)
	}
	var s ZKSignature
	copy(s.b[:], b)
	s.r = sig.R
	s.s.SetBytes(b[32:])
	return s, nil
}

// Bytes returns the 64-byte encoding R ‖ S.
func (s ZKSignature) Bytes() []byte { return append([]byte(nil), s.b[:]...) }

// R returns the signature's point R.
func (s ZKSignature) R() twistededwards.PointAffine { return s.r }

// S returns the signature's scalar S (0 < S < subgroup order).
func (s ZKSignature) S() *big.Int { return new(big.Int).Set(&s.s) }

// IsZero reports whether s is the zero value (not a parsed signature).
func (s ZKSignature) IsZero() bool { return s.b == [ZKSignatureSize]byte{} }

// VerifyZK checks sig on msg under pub. It returns nil or an error wrapping
// [ErrBadSignature] (or [ErrInvalidKey] for a nil key).
func VerifyZK(pub *did.ZKPublicKey, msg fr.Element, sig ZKSignature) error {
	if pub == nil {
		return fmt.Errorf("%w: nil ZK public key", ErrInvalidKey)
	}
	if sig.IsZero() {
		return fmt.Errorf("%w: zero ZK signature", ErrBadSignature)
	}
	pk := eddsa.PublicKey{A: pub.Point()}
	m := msg.Bytes()
	ok, err := pk.Verify(sig.b[:], m[:], zkhash.NewEdDSA())
	if err != nil {
		return fmt.Errorf("%w: %v", ErrBadSignature, err)
	}
	if !ok {
		return fmt.Errorf("%w: ZK signature does not verify", ErrBadSignature)
	}
	return nil
}

// HolderSecretSize is the size of an encoded [HolderSecret].
const HolderSecretSize = 32

// HolderSecret is the secret a holder binds its credentials to (DESIGN.md
// decision 5). It must be kept secret: it never leaves the holder's device,
// the issuer sees only [HolderSecret.Commitment], and String, GoString and
// Format print a redacted placeholder.
type HolderSecret struct {
	e fr.Element
}

// GenerateHolderSecret draws a uniformly random non-zero field element from
// rand (64 bytes reduced mod r: the bias is below 2^-250).
func GenerateHolderSecret(rand io.Reader) (*HolderSecret, error) {
	for range 8 {
		var buf [64]byte
		if _, err := io.ReadFull(rand, buf[:]); err != nil {
			return nil, fmt.Errorf("credential: generate holder secret: %w", err)
		}
		var h HolderSecret
		h.e.SetBigInt(new(big.Int).SetBytes(buf[:]))
		if !h.e.IsZero() {
			return &h, nil
		}
	}
	return nil, fmt.Errorf("%w: random source returned only zero secrets", ErrInvalidKey)
}

// ParseHolderSecret decodes the 32-byte big-endian canonical encoding of a
// non-zero secret. Errors wrap [ErrInvalidKey].
func ParseHolderSecret(b []byte) (*HolderSecret, error) {
	if len(b) != HolderSecretSize {
		return nil, fmt.Errorf("%w: holder secret is %d bytes, got %d", ErrInvalidKey, HolderSecretSize, len(b))
	}
	var h HolderSecret
	if err := h.e.SetBytesCanonical(b); err != nil {
		return nil, fmt.Errorf("%w: holder secret not canonical", ErrInvalidKey)
	}
	if h.e.IsZero() {
		return nil, fmt.Errorf("%w: zero holder secret", ErrInvalidKey)
	}
	return &h, nil
}

// Bytes returns the 32-byte encoding. It is the secret: store it as such.
func (h *HolderSecret) Bytes() []byte { b := h.e.Bytes(); return b[:] }

// Element returns the secret as a field element, the witness of a proof.
// It is the secret itself.
func (h *HolderSecret) Element() fr.Element { return h.e }

// Commitment returns [HolderCommitment] of the secret: what the holder
// gives the issuer.
func (h *HolderSecret) Commitment() fr.Element { return HolderCommitment(h.e) }

// Nullifier returns the nullifier a proof for a verifier with this
// audience and scope outputs, and that verifier records:
// [Nullifier](secret, [ScopeFor](audience, scope)). The circuit binds the
// audience, so the scope name alone ([ScopeElement]) gives a value no
// verifier ever sees.
func (h *HolderSecret) Nullifier(audience, scope string) fr.Element {
	return Nullifier(h.e, ScopeFor(audience, scope))
}

// Equal reports whether h and o are the same secret, in constant time.
func (h *HolderSecret) Equal(o *HolderSecret) bool {
	if h == nil || o == nil {
		return false
	}
	a, b := h.e.Bytes(), o.e.Bytes()
	return subtle.ConstantTimeCompare(a[:], b[:]) == 1
}

// String returns a placeholder; the secret is never printed.
func (h HolderSecret) String() string { return "credential.HolderSecret" + redacted }

// GoString returns a placeholder; the secret is never printed.
func (h HolderSecret) GoString() string { return h.String() }

// Format prints a placeholder for every verb.
func (h HolderSecret) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, h.String()) }
