package tlog

import (
	"crypto/ed25519"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/zkcred/zkcred/credential/status/tlog/internal/cosig"
)

// WitnessKey is a witness's public key: its name and Ed25519 key, used
// for C2SP tlog-cosignature/v1 (timestamped Ed25519, signature type 0x04).
type WitnessKey struct {
	name string
	pub  ed25519.PublicKey
	hash uint32
}

// NewWitnessKey returns the key of the witness name (a signed-note key
// name, conventionally a schema-less URL) with Ed25519 key pub. Errors
// wrap [ErrInvalidOrigin] or [ErrUnsupportedKey].
func NewWitnessKey(name string, pub ed25519.PublicKey) (*WitnessKey, error) {
	if !validName(name) {
		return nil, fmt.Errorf("%w: witness name %q", ErrInvalidOrigin, truncate(name, 64))
	}
	if len(pub) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("%w: Ed25519 key of %d bytes", ErrUnsupportedKey, len(pub))
	}
	p := append(ed25519.PublicKey(nil), pub...)
	return &WitnessKey{name: name, pub: p, hash: cosig.KeyHash(name, p)}, nil
}

// ParseWitnessKey parses a witness verifier key in the signed-note
// encoding "<name>+<8 hex digits key hash>+<base64(0x04 || 32-byte key)>",
// as the witness prints it. Errors wrap [ErrInvalidOrigin] or
// [ErrUnsupportedKey].
func ParseWitnessKey(vkey string) (*WitnessKey, error) {
	if len(vkey) > MaxOriginLen+64 {
		return nil, fmt.Errorf("%w: witness key too long", ErrInvalidOrigin)
	}
	name, rest, ok1 := strings.Cut(vkey, "+")
	h16, b64, ok2 := strings.Cut(rest, "+")
	if !ok1 || !ok2 || len(h16) != 8 || strings.ToLower(h16) != h16 {
		return nil, fmt.Errorf("%w: witness key %q is not name+hash+key", ErrInvalidOrigin, truncate(vkey, 64))
	}
	h, err := strconv.ParseUint(h16, 16, 32)
	if err != nil {
		return nil, fmt.Errorf("%w: witness key hash", ErrInvalidOrigin)
	}
	raw, err := base64.StdEncoding.Strict().DecodeString(b64)
	if err != nil || len(raw) != 1+ed25519.PublicKeySize || base64.StdEncoding.EncodeToString(raw) != b64 {
		return nil, fmt.Errorf("%w: witness key encoding", ErrUnsupportedKey)
	}
	if raw[0] != cosig.Alg {
		return nil, fmt.Errorf("%w: signature type 0x%02x, want 0x04 (tlog-cosignature/v1)", ErrUnsupportedKey, raw[0])
	}
	k, err := NewWitnessKey(name, raw[1:])
	if err != nil {
		return nil, err
	}
	if uint64(k.hash) != h {
		return nil, fmt.Errorf("%w: witness key hash does not match the key", ErrInvalidOrigin)
	}
	return k, nil
}

// Name returns the witness's name.
func (k *WitnessKey) Name() string { return k.name }

// PublicKey returns the witness's Ed25519 key.
func (k *WitnessKey) PublicKey() ed25519.PublicKey { return append(ed25519.PublicKey(nil), k.pub...) }

// String returns the verifier key encoding [ParseWitnessKey] reads.
func (k *WitnessKey) String() string { return cosig.VerifierKey(k.name, k.pub) }

// Cosignature is a verified witness cosignature of a checkpoint.
type Cosignature struct {
	// Witness is the witness's name.
	Witness string
	// Time is when the witness cosigned (whole seconds, UTC): a fresh
	// cosignature shows the checkpoint is current.
	Time time.Time
}
